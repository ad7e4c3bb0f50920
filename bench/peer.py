#!/usr/bin/env python3
"""The Python peer of `huizong run` for bench/run.sh: the same month's batch written the way a competent Python
engineer would, with python-calamine to read and XlsxWriter to write.

    python3 bench/peer.py WORKSPACE OUTDIR [--period 2020-10] [--jobs N]

WORKSPACE is a workspace as `huizong demo` makes it (templates/plan.toml or plan.json, inbox/). OUTDIR receives
the consolidated workbook, one feedback workbook per unit under feedback/, and report.json. The inbox is read,
not moved. Reading and checking each return and drawing each feedback workbook run in a process pool (one worker
per core by default; --jobs 1 runs everything in this process); the consolidated workbook is drawn in this
process meanwhile.

XlsxWriter settings: the consolidated workbook uses {'constant_memory': True} (rows streamed to disk, strings
inline, as huizong's long sheet is); each feedback workbook uses {'in_memory': True}, because XlsxWriter's default
writes every part of a workbook to a temporary file and deletes it, which costs more than drawing the workbook.

Left out, next to huizong: moving files into the outbox, the ledger and the cache of a period, late returns (no
received time), identity checks between file name and content, size and cell limits, merged cells, units
declared in headers, older formats' quirks, mail, the terminal summary.
"""

import argparse
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import sys
import time
import tomllib
from multiprocessing import Pool

import xlsxwriter
from python_calamine import CalamineWorkbook

HEADER_SCAN_ROWS = 30
SUM_TOLERANCE = 0.005
BEHIND_TOLERANCE = 0.05
IMPLAUSIBLE_FACTOR = 5.0
ABOUT_TOLERANCE = 0.05
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
ROLE_ZH = {"city": "全市", "county_share": "县区", "narrative": "进展"}
STATUS_ZH = {
    "on_track": "正常推进", "met": "已完成", "behind": "进度滞后", "below_target": "未达目标",
    "not_reported": "未报送", "unconfirmed": "待核实", "done": "已完成", "in_progress": "推进中",
    "not_started": "未启动", "overdue": "逾期", "no_baseline": "无基数",
}
UNIT_STATUS_ZH = {"on_time": "按时报送", "late": "逾期报送", "missing": "未报送", "rejected": "退回"}
MILESTONE = {"未启动": "not_started", "推进中": "in_progress", "已完成": "done"}


# ---------------------------------------------------------------- plan

def load_plan(workspace):
    """The catalogue: units, indicators with their targets, and which rows each unit reports."""
    tdir = os.path.join(workspace, "templates")
    for name in ("plan.toml", "plan.json"):
        path = os.path.join(tdir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw = tomllib.load(f) if name.endswith(".toml") else json.load(f)
            break
    else:
        sys.exit(f"no plan.toml or plan.json in {tdir}")
    units = {u["code"]: u for u in raw["units"]}
    indicators, rows_for = {}, {}
    for task in raw["tasks"]:
        lead = task["units"][0]
        own = []
        for ind in task.get("indicators", []):
            t = ind.get("target")
            goal, ceiling = (None, None) if t is None else (t[0], t[-1]) if isinstance(t, list) else (t, t)
            ind = dict(ind, unit=ind.get("unit", ""), task=task["code"], lead=lead, task_title=task.get("title", ""),
                       goal=None if goal is None else float(goal), ceiling=None if ceiling is None else float(ceiling))
            indicators[ind["code"]] = ind
            own.append(ind)
        # The lead reports every indicator for the city; another unit its county shares, else a narrative row.
        seen = set()
        for pos, unit in enumerate(task["units"]):
            if unit in seen:
                continue
            seen.add(unit)
            rows = rows_for.setdefault(unit, [])
            if pos == 0:
                rows.extend((ind["code"], "city") for ind in own)
                shares = [] if own else [None]
            else:
                shares = [ind["code"] for ind in own if unit in ind.get("counties", [])] or [None]
            for code in shares:
                rows.append((code, "county_share") if code else (f"T{task['code']}-N", "narrative"))
    by_name = {u["name"]: c for c, u in units.items()}
    for c, u in units.items():
        for a in u.get("aliases", []):
            by_name.setdefault(a, c)
    return {"plan": raw["plan"], "units": units, "indicators": indicators, "rows_for": rows_for,
            "leads": {t["units"][0] for t in raw["tasks"]},
            "by_name": by_name}


def fmt_num(v):
    """A number as Excel shows it: no trailing .0, 15 significant digits."""
    if v is None:
        return ""
    r = excel_round(v)
    if r == int(r) and abs(r) < 1e15:
        return str(int(r))
    return repr(r)


def excel_round(v):
    if v == 0 or not math.isfinite(v):
        return v
    digits = 15 - int(math.floor(math.log10(abs(v)))) - 1
    return round(v, max(-300, min(300, digits)))


COUNTS = set("项家件个名人所次场台套户座条批份处篇部支株头")


def pro_rata_places(unit):
    """Decimals of a pro-rata share of a target: % one, counts one, money and ratios two."""
    return 1 if unit.strip() == "%" or unit.strip() in COUNTS else 2


def target_display(ind):
    t, cmp = ind.get("target"), ind.get("comparator")
    if t is None:
        return "比上年增长" if ind["kind"] == "growth" else "完成"
    if isinstance(t, list):
        return f"{fmt_num(float(t[0]))}-{fmt_num(float(t[-1]))}"
    prefix = {"at_least": "≥", "about": "约", "at_most": "≤"}.get(cmp, "")
    return f"{prefix}{fmt_num(float(t))}"


def elapsed_share(ind, plan_year, period):
    dl = ind.get("deadline") or f"{plan_year}-12-31"
    y, m = int(dl[:4]), int(dl[5:7])
    to_deadline = (y - plan_year) * 12 + m
    elapsed = (period[0] - plan_year) * 12 + period[1]
    return min(1.0, max(0.0, elapsed / max(1, to_deadline)))


def additive(ind):
    return ind["kind"] in ("count", "amount")


# ---------------------------------------------------------------- reading one return (in a worker)

def fold(s):
    out = []
    for c in s:
        o = ord(c)
        if c == "\u3000":
            continue
        if 0xFF01 <= o <= 0xFF5E:
            c = chr(o - 0xFEE0)
        if c.isspace() or c in "\u200b\ufeff":
            continue
        out.append(c)
    return "".join(out)


NUMBER = re.compile(r"^(?P<approx>约|大约|近|约为)?(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
                    r"(?P<unit>[^\d]*?)(?P<approx2>左右|余|多)?$")
NOTE = re.compile(r"^(?P<figure>.+?)\s*[（(](?P<note>[^（）()]*)[）)]$")
MONEY = {"元": 1.0, "千元": 1e3, "万元": 1e4, "亿元": 1e8}
UNIT_WORDS = set(MONEY) | {"万", "亿", "%", "％", "件", "家", "个", "项", "名", "人", "件/万人"}
PLACEHOLDERS = {"-", "--", "—", "——", "/", "\\", "无", "暂无"}
EXCEL_ERRORS = {"#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!"}


def figure(value, unit, target):
    """A cell's content as a figure in the row's unit: (value or None, changes, problem or None).

    changes: list of ("cleaned"|"converted"|"approx", text); problem: (kind, text) when the cell can't be used.
    """
    if value is None or value == "":
        return None, [], None
    if isinstance(value, bool):
        return None, [], ("not_a_number", str(value).upper())
    if isinstance(value, (int, float)):
        n = excel_round(float(value))
        return check_scale(n, unit, target, [], False)
    if not isinstance(value, str):
        return None, [], ("not_a_number", str(value))
    text = value.strip()
    folded = fold(value).replace("，", ",").replace("。", ".")
    if not folded or folded in PLACEHOLDERS:
        return None, [], None
    if folded.upper() in EXCEL_ERRORS:
        return None, [], ("formula", folded)
    m = NOTE.match(folded)
    if m and NUMBER.match(m["figure"]) and m["note"].strip() not in UNIT_WORDS:
        folded = m["figure"]
    m = NUMBER.match(folded)
    if not m:
        return None, [], ("not_a_number", text)
    n = float(m["num"].replace(",", ""))
    changes = []
    if m["approx"] or m["approx2"]:
        changes.append(("approx", ""))
    raw = m["unit"].strip().strip("（）()")
    written = {"％": "%", "万": "万元", "亿": "亿元"}.get(raw, raw)
    if raw.startswith("万") and unit not in MONEY and unit != "%" and raw[1:] in ("", unit):
        n *= 1e4
        changes.append(("converted", f"“{text}”按万换算为{fmt_num(n)}{unit}"))
        written = ""
    unit_written = bool(written)
    if written and written != unit:
        if written in MONEY and unit in MONEY:
            n *= MONEY[written] / MONEY[unit]
            changes.append(("converted", f"“{text}”按{written}换算为{fmt_num(n)}{unit}"))
        else:
            return None, [], ("wrong_unit", written)
    n = excel_round(n)
    if not any(k == "converted" for k, _ in changes) and fmt_num(n) != text:
        changes.insert(0, ("cleaned", text))
    return check_scale(n, unit, target, changes, unit_written)


def check_scale(n, unit, target, changes, unit_written):
    if not math.isfinite(n):
        return None, [], ("not_a_number", fmt_num(n))
    if unit == "%" and not unit_written and 0 < n < 1 and target is not None and target >= 5:
        return excel_round(n * 100), changes + [("percent_guess", "")], None
    converted = any(k == "converted" for k, _ in changes)
    if unit == "亿元" and not converted and target is not None and target > 0 and n >= target * 500:
        return None, [], ("likely_wrong_unit", fmt_num(n))
    return n, changes, None


def a1(row, col):
    name = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        name = chr(65 + r) + name
    return f"{name}{row + 1}"


PERIOD_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
UNIT_RE = re.compile(r"填报单位[:：]\s*(\S+)")


def find_header(rows):
    """The header row and the columns of code, month, cumulative, progress, remark and target."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols = {}
        for j, cell in enumerate(row):
            if not isinstance(cell, str):
                continue
            c = fold(cell)
            if "编码" in c or c in ("代码", "指标代码"):
                cols.setdefault("code", j)
            elif "本月" in c:
                cols.setdefault("month", j)
            elif "累计" in c:
                cols.setdefault("cumulative", j)
            elif "进展" in c:
                cols.setdefault("progress", j)
            elif "备注" in c:
                cols.setdefault("remark", j)
            elif "目标" in c:
                cols.setdefault("target", j)
        if "code" in cols and "cumulative" in cols:
            return i, cols
    return None, None


def read_return(path):
    """Opens one file and returns what it says, without judging it (the plan is not needed here)."""
    with open(path, "rb") as f:
        data = f.read()
    rec = {"name": os.path.basename(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
           "mtime": os.stat(path).st_mtime,
           "format": os.path.splitext(path)[1].lstrip(".").lower()}
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # a broken workbook is reported, never stops the month
        rec["error"] = f"无法读取：{e}"
        return rec
    meta = {}
    if "_meta" in wb.sheet_names:
        for r in wb.get_sheet_by_name("_meta").to_python():
            if len(r) >= 2 and isinstance(r[0], str):
                meta[r[0]] = r[1]
    for sheet in wb.sheet_names:
        if sheet == "_meta":
            continue
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        hi, cols = find_header(rows)
        if hi is None:
            continue
        unit_name = period = None
        for r in rows[:hi]:
            for cell in r:
                if isinstance(cell, str):
                    if unit_name is None and (m := UNIT_RE.search(cell)):
                        unit_name = m[1]
                    if period is None and (m := PERIOD_RE.search(cell)):
                        period = f"{int(m[1]):04d}-{int(m[2]):02d}"
        body = []
        for i in range(hi + 1, len(rows)):
            r = rows[i]
            code = r[cols["code"]] if cols["code"] < len(r) else ""
            if not isinstance(code, str) or not code.strip():
                continue
            body.append((i, code.strip(), r))
        rec.update(sheet=sheet, header_row=hi, cols=cols, header=rows[hi], rows=body,
                   unit_code=meta.get("unit_code"), unit_name=unit_name,
                   period=meta.get("period") or period)
        return rec
    rec["error"] = "没有找到含“指标编码”“累计完成”表头的工作表"
    return rec


def finding(code, severity, message, unit="", indicator="", file="", sheet="", cell="", expected="", actual=""):
    return {"code": code, "severity": severity, "message": message, "unit": unit, "indicator": indicator,
            "file": file, "sheet": sheet, "cell": cell, "expected": expected, "actual": actual}


def cell_text(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return fmt_num(v)
    return str(v)


NUMS = re.compile(r"[0-9.]+")


def same_target(written, want):
    """Whether a target cell still says the plan's target (spacing, full-width, dashes and ≥ spellings aside)."""
    def key(x):
        return fold(x).replace(">=", "≥").replace("－", "-").replace("—", "-").replace("–", "-")

    if key(written) == key(want):
        return True

    def nums(x):
        out = []
        for part in NUMS.findall(key(x)):
            try:
                out.append(float(part))
            except ValueError:
                pass
        return out

    a = nums(written)
    return bool(a) and a == nums(want)


def check_return(rec, plan, unit):
    """Reads every expected row of one return into readings, with the findings of its own cells."""
    readings, findings = [], []
    cols, file, sheet = rec["cols"], rec["name"], rec["sheet"]
    by_code = {code: (i, r) for i, code, r in rec["rows"]}

    def get(r, key):
        j = cols.get(key)
        return r[j] if j is not None and j < len(r) else None

    for code, role in plan["rows_for"].get(unit, []):
        if role == "narrative":
            row = by_code.get(code)
            if row is None:
                continue
            readings.append({"unit": unit, "indicator": code, "role": role, "month": None, "cumulative": None,
                             "state": None, "progress": cell_text(get(row[1], "progress")),
                             "remark": cell_text(get(row[1], "remark")), "file": file, "sheet": sheet,
                             "month_cell": a1(row[0], cols["month"]) if "month" in cols else "",
                             "cumulative_cell": a1(row[0], cols["cumulative"]),
                             "progress_cell": a1(row[0], cols["progress"]) if "progress" in cols else ""})
            if "progress" in cols and not cell_text(get(row[1], "progress")).strip():
                findings.append(finding("MISSING_VALUE", "warning",
                                        f"任务{code[1:-2]}的“进展情况”未填写；请简述本单位本月的工作进展", unit, code,
                                        file, sheet, a1(row[0], cols["progress"]), "工作进展文字", ""))
            continue
        ind = plan["indicators"][code]
        if code not in by_code:
            findings.append(finding("MISSING_VALUE", "error",
                                    f"表中缺少指标“{code} {ind['text']}”这一行；请按下发的模板补上该行并填写",
                                    unit, code, file, sheet, "", ind["text"], ""))
            continue
        i, r = by_code[code]
        rd = {"unit": unit, "indicator": code, "role": role, "month": None, "cumulative": None, "state": None,
              "progress": cell_text(get(r, "progress")), "remark": cell_text(get(r, "remark")),
              "file": file, "sheet": sheet,
              "month_cell": a1(i, cols["month"]) if "month" in cols else "",
              "cumulative_cell": a1(i, cols["cumulative"]),
              "progress_cell": a1(i, cols["progress"]) if "progress" in cols else ""}
        want = target_display(ind) if role == "city" else f"全市{target_display(ind)}"
        written = cell_text(get(r, "target"))
        if "target" in cols and written != want and not same_target(written, want):
            findings.append(finding("TARGET_ALTERED", "warning",
                                    f"年度目标被改为“{written}”，计划目标是“{want}”；年度目标不能自行修改，请恢复原值",
                                    unit, code, file, sheet, a1(i, cols["target"]), want, written))
        if ind["kind"] == "milestone":
            rd["state"] = MILESTONE.get(fold(rd["progress"]))
            if rd["state"] is None and role == "city":
                findings.append(finding("MISSING_VALUE", "error",
                                        f"节点目标“{ind['text']}”的“进展情况”未填写；请选择未启动、推进中或已完成",
                                        unit, code, file, sheet, rd["progress_cell"], "未启动/推进中/已完成", ""))
            readings.append(rd)
            continue
        target = ind["ceiling"]
        for key, name in (("month", "本月完成"), ("cumulative", "累计完成")):
            if key not in cols:
                continue
            addr = rd[f"{key}_cell"]
            raw = get(r, key)
            shown = cell_text(raw)
            value, changes, problem = figure(raw, ind["unit"], target)

            def here(fcode, sev, msg, exp="", act=""):
                findings.append(finding(fcode, sev, msg, unit, code, file, sheet, addr, exp, act))

            if problem is not None:
                kind, what = problem
                if kind == "not_a_number":
                    here("NOT_A_NUMBER", "error", f"“{name}”填的是“{what}”，不是数字；请只填写数字，文字说明写在“备注”中",
                         f"数字（{ind['unit']}）", what)
                elif kind == "formula":
                    here("FORMULA_ERROR", "error", f"“{name}”是错误值{what}；请改正公式或直接填写数字", "数字", what)
                elif kind == "wrong_unit":
                    here("UNIT_MISMATCH", "error",
                         f"“{name}”写的单位是“{what}”，本指标的计量单位是“{ind['unit']}”；请换算成{ind['unit']}后只填数字",
                         ind["unit"], shown)
                else:
                    here("UNIT_MISMATCH", "error",
                         f"“{name}”填了{what}，按“{ind['unit']}”计远超年度目标，像是按万元填写的；请换算成{ind['unit']}后重填",
                         f"单位：{ind['unit']}", what)
                continue
            if value is None:
                if key == "cumulative" or additive(ind):
                    here("MISSING_VALUE", "error" if key == "cumulative" else "warning",
                         f"“{ind['text']}”的“{name}”未填写；没有进展请填0，不要留空", f"数字（{ind['unit']}）", "")
                continue
            for ck, text in changes:
                if ck == "approx":
                    here("APPROXIMATE_VALUE", "warning",
                         f"“{name}”填的是约数“{shown}”，已按{fmt_num(value)}读取；请填写准确数字", fmt_num(value), shown)
                elif ck == "percent_guess":
                    here("PERCENT_SCALE", "warning", f"“{name}”填的是{shown}，已按{fmt_num(value)}%读取；请核对",
                         fmt_num(value), shown)
                elif ck == "converted":
                    here("VALUE_NORMALISED", "info", f"“{name}”{text}；今后请按{ind['unit']}只填数字",
                         fmt_num(value), shown)
                else:
                    here("VALUE_NORMALISED", "info", f"“{name}”填的是“{text}”，已按数字{fmt_num(value)}读取；今后请只填数字",
                         fmt_num(value), shown)
            if value < 0:
                here("NEGATIVE_VALUE", "error", f"“{name}”为负数{fmt_num(value)}；完成数不能为负，请核对", "≥0",
                     fmt_num(value))
                continue
            rd[key] = value
        m, c = rd["month"], rd["cumulative"]
        if additive(ind) and m is not None and c is not None and m > c + SUM_TOLERANCE:
            findings.append(finding("MONTHLY_CUMULATIVE_MISMATCH", "error",
                                    f"本月完成{fmt_num(m)}大于累计完成{fmt_num(c)}；累计数应包含本月数，请核对",
                                    unit, code, file, sheet, rd["month_cell"], f"≤{fmt_num(c)}", fmt_num(m)))
        readings.append(rd)
    return readings, findings


def met(ind, v):
    if ind["goal"] is None:
        return False
    t = ind["goal"]
    if ind.get("comparator") == "about":
        return abs(v - t) <= t * ABOUT_TOLERANCE or v >= t
    if ind.get("comparator") == "at_most":
        return v <= ind["ceiling"] + SUM_TOLERANCE
    return v + SUM_TOLERANCE >= t


def check_schedule(readings, plan, period, findings):
    """Against the plan: implausible figures, targets met, behind the pro-rata line (city rows)."""
    year = plan["plan"]["year"]
    for r in readings:
        v = r["cumulative"]
        if v is None or r["role"] == "narrative":
            continue
        ind = plan["indicators"][r["indicator"]]
        if ind["kind"] == "milestone":
            continue
        here = lambda code, sev, msg, exp, act: findings.append(  # noqa: E731
            finding(code, sev, msg, r["unit"], r["indicator"], r["file"], r["sheet"], r["cumulative_cell"], exp, act))
        if ind["unit"] == "%" and v > 100:
            here("IMPLAUSIBLE_VALUE", "warning", f"比重{fmt_num(v)}%超过100%，不可能；请核对", "≤100", fmt_num(v))
            continue
        if ind["kind"] == "growth":
            base = ind.get("baseline")
            if r["role"] == "city" and base is not None:
                if v > base + SUM_TOLERANCE:
                    here("TARGET_MET", "info", f"{fmt_num(v)}{ind['unit']}，已超过上年的{fmt_num(base)}，实现增长",
                         f">{fmt_num(base)}", fmt_num(v))
                elif elapsed_share(ind, year, period) >= 1.0:
                    here("BEHIND_SCHEDULE", "warning",
                         f"{fmt_num(v)}{ind['unit']}，未超过上年的{fmt_num(base)}，增长目标未实现；请说明原因",
                         f">{fmt_num(base)}", fmt_num(v))
            continue
        if ind["goal"] is None:
            continue
        t, ceiling = ind["goal"], ind["ceiling"]
        if ceiling > 0 and v > ceiling * IMPLAUSIBLE_FACTOR:
            ok = any(w in fold(r["remark"]) for w in ("已核实", "核实无误", "确认无误", "数据无误", "已确认"))
            here("IMPLAUSIBLE_VALUE", "info" if ok else "warning",
                 f"累计完成{fmt_num(v)}{ind['unit']}，是年度目标{target_display(ind)}的{IMPLAUSIBLE_FACTOR:.0f}倍以上，明显异常；"
                 + ("单位已在备注中确认" if ok else "请核对单位和数字；如确实无误，请在备注中注明“已核实”"),
                 f"≤{fmt_num(ceiling * IMPLAUSIBLE_FACTOR)}", fmt_num(v))
            if not ok:
                continue
        if r["role"] != "city":
            continue
        if met(ind, v):
            here("TARGET_MET", "info", f"累计完成{fmt_num(v)}{ind['unit']}，已达到年度目标{target_display(ind)}",
                 target_display(ind), fmt_num(v))
            continue
        share = elapsed_share(ind, year, period)
        expected = t * share if additive(ind) else t
        limit = t * (share - BEHIND_TOLERANCE) if additive(ind) else expected
        places = pro_rata_places(ind["unit"])
        if (additive(ind) or share >= 1.0) and v < limit:
            here("BEHIND_SCHEDULE", "warning",
                 f"累计完成{fmt_num(v)}{ind['unit']}，低于按时序进度应完成的{fmt_num(round(expected, places))}{ind['unit']}"
                 f"（年度目标{target_display(ind)}的{share * 100:.0f}%）；请加快进度并说明原因",
                 fmt_num(round(expected, places)), fmt_num(v))


PLAN = None
PERIOD = None


def init_worker(plan, period):
    """Hands each worker the plan once, not with every file."""
    global PLAN, PERIOD
    PLAN, PERIOD = plan, period


def work_file(path):
    """One return, read and checked, in a worker: the file record, its readings and its findings."""
    plan, period = PLAN, PERIOD
    rec = read_return(path)
    if "error" in rec:
        rec.update(disposition="rejected", reason=rec["error"], unit="", period="")
        f = finding("UNREADABLE_FILE", "error", f"文件“{rec['name']}”{rec['error']}；请重新保存为Excel文件后报送",
                    file=rec["name"])
        return rec, [], [f]
    unit = rec.get("unit_code")
    if unit not in plan["units"]:
        unit = plan["by_name"].get(rec.get("unit_name") or "")
    if unit is None:
        rec.update(disposition="rejected", reason="无法识别填报单位", unit="")
        return rec, [], [finding("UNKNOWN_UNIT", "error", f"无法从“{rec['name']}”中识别填报单位；请使用下发的模板",
                                 file=rec["name"], sheet=rec["sheet"])]
    rec["unit"] = unit
    want = f"{period[0]:04d}-{period[1]:02d}"
    if rec.get("period") != want:
        rec.update(disposition="other_period", reason=f"报告期为{rec.get('period')}")
        return rec, [], [finding("PERIOD_MISMATCH", "info", f"“{rec['name']}”的报告期是{rec.get('period')}，不是本期",
                                 unit, file=rec["name"])]
    readings, findings = check_return(rec, plan, unit)
    check_schedule(readings, plan, period, findings)
    rec["disposition"] = "accepted"
    # The rows are drawn again only in the feedback of a return with findings; a lead may get some later (the
    # county sums). Not sending the others back saves most of what the workers pickle.
    if all(f["severity"] == "info" for f in findings) and unit not in plan["leads"]:
        del rec["rows"], rec["header"]
    return rec, readings, findings


# ---------------------------------------------------------------- across returns

def doubts(f):
    """Whether a finding puts its figure in doubt: an error on it, or a warning that it is implausible or in the
    wrong unit. Such a figure counts toward no total until the unit corrects or confirms it."""
    return bool(f["indicator"]) and (f["severity"] == "error" or (
        f["severity"] == "warning" and f["code"] in ("IMPLAUSIBLE_VALUE", "UNIT_MISMATCH")))


def check_county_sums(plan, readings_by_key, sent, findings):
    doubtful = {(f["unit"], f["indicator"]) for f in findings if doubts(f)}
    out = []
    for code, ind in plan["indicators"].items():
        if not ind.get("counties") or not additive(ind):
            continue
        city = readings_by_key.get((ind["lead"], code))
        if city is None or city["cumulative"] is None:
            continue
        cv = city["cumulative"]
        usable, missing, silent = [], [], 0
        for c in ind["counties"]:
            r = readings_by_key.get((c, code))
            if r is None:
                if c not in sent:
                    silent += 1
                else:
                    missing.append((c, "报表中缺少该行"))
            elif r["cumulative"] is None:
                missing.append((c, "累计完成不是可用的数字"))
            elif (c, code) in doubtful:
                missing.append((c, "数值待核实"))
            else:
                usable.append((c, r["cumulative"]))
        total = excel_round(sum(v for _, v in usable))
        tol = max(SUM_TOLERANCE, abs(cv) * 1e-9)
        name = lambda c: plan["units"][c]["name"]  # noqa: E731
        lead_name = name(ind["lead"])
        here = lambda fcode, sev, msg, exp, act: out.append(finding(  # noqa: E731
            fcode, sev, msg, ind["lead"], code, city["file"], city["sheet"], city["cumulative_cell"], exp, act))
        fig = lambda v: f"{fmt_num(v)}{ind['unit']}"  # noqa: E731
        if missing or silent:
            if missing:
                named = "、".join(f"{name(c)}（{why}）" for c, why in missing)
                here("COUNTY_SUM_INCOMPLETE", "warning",
                     f"“{ind['text']}”累计完成：{named}的县区数无法使用，不能核对各县区合计与{lead_name}填报的全市{fig(cv)}；"
                     "请这些县区更正后重新报送", f"{len(ind['counties'])}个县区的数字", f"{len(usable)}个可用")
            if total > cv + tol:
                here("COUNTY_SUM_MISMATCH", "error",
                     f"“{ind['text']}”累计完成：{lead_name}填报全市{fig(cv)}，仅可用的县区合计已达{fig(total)}，超过全市数；"
                     "请牵头单位与各县区核对", f"≥{fmt_num(total)}", fmt_num(cv))
            continue
        if abs(total - cv) > tol:
            listing = "、".join(f"{name(c)}{fmt_num(v)}" for c, v in usable)
            here("COUNTY_SUM_MISMATCH", "error",
                 f"“{ind['text']}”累计完成：{lead_name}填报全市{fig(cv)}，各县区合计{fig(total)}（{listing}），两者不一致；"
                 "请牵头单位与各县区核对", fmt_num(total), fmt_num(cv))
    findings.extend(out)


def check_history(workspace, period, readings, findings):
    """Cumulative figures must not fall below last month's, when last month's report exists."""
    y, m = period
    prev = f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"
    path = os.path.join(workspace, "outbox", prev, "report.json")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        last = {(r["unit"], r["indicator"]): r.get("cumulative") for r in json.load(f).get("readings", [])}
    for r in readings:
        before = last.get((r["unit"], r["indicator"]))
        if before is not None and r["cumulative"] is not None and r["cumulative"] + SUM_TOLERANCE < before:
            findings.append(finding("CUMULATIVE_DECREASED", "error",
                                    f"累计完成{fmt_num(r['cumulative'])}比上月的{fmt_num(before)}减少；累计数不应减少，请核对",
                                    r["unit"], r["indicator"], r["file"], r["sheet"], r["cumulative_cell"],
                                    f"≥{fmt_num(before)}", fmt_num(r["cumulative"])))


def tables(plan, period, readings_by_key, findings, files):
    """Per indicator: city figure, county sum, target, progress, status; per unit: what it sent and its findings."""
    year = plan["plan"]["year"]
    per_ind = {}
    for f in findings:
        if f["severity"] != "info":
            per_ind[f["indicator"]] = per_ind.get(f["indicator"], 0) + 1
    behind = {(f["unit"], f["indicator"]) for f in findings if f["code"] == "BEHIND_SCHEDULE"}
    doubtful = {(f["unit"], f["indicator"]) for f in findings if doubts(f)}
    unreadable = {(f["unit"], f["indicator"]) for f in findings if doubts(f) and f["code"] != "MISSING_VALUE"}
    inds = []
    for code, ind in plan["indicators"].items():
        city_r = readings_by_key.get((ind["lead"], code))
        key = (ind["lead"], code)
        city = None if city_r is None else city_r["cumulative"]
        # A figure written but unusable (text, negative, wrong unit), or one in doubt, is unconfirmed, not missing.
        unconfirmed = ind["kind"] != "milestone" and (
            (city is None and key in unreadable) or (city is not None and key in doubtful))
        county_sum = None
        if ind.get("counties"):
            vals = [readings_by_key.get((c, code)) for c in ind["counties"]]
            if all(r is not None and r["cumulative"] is not None and (r["unit"], code) not in doubtful for r in vals):
                county_sum = excel_round(sum(r["cumulative"] for r in vals))
        t = ind["goal"]
        share = elapsed_share(ind, year, period)
        expected = None if t is None else (
            round(t * share, pro_rata_places(ind["unit"])) if additive(ind) else t)
        progress = city / t if city is not None and t and not unconfirmed else None
        if ind["kind"] == "milestone":
            state = city_r and city_r["state"]
            status = "not_reported" if state is None else (
                "overdue" if state != "done" and share >= 1 else state)
        elif unconfirmed:
            status = "unconfirmed"
        elif city is None:
            status = "not_reported"
        elif ind["kind"] == "growth":
            base = ind.get("baseline")
            status = ("no_baseline" if base is None else "met" if city > base + SUM_TOLERANCE
                      else "behind" if share >= 1 else "on_track")
        elif met(ind, city):
            status = "met"
        elif (ind["lead"], code) in behind:
            status = "behind"
        elif not additive(ind) and t is not None:
            status = "below_target"
        else:
            status = "on_track"
        inds.append({"code": code, "task": ind["task"], "text": ind["text"], "unit": ind.get("unit", ""),
                     "kind": ind["kind"], "target": ind.get("target"), "target_display": target_display(ind),
                     "expected_to_date": expected, "lead": ind["lead"], "city": city, "county_sum": county_sum,
                     "progress": progress, "status": status, "findings": per_ind.get(code, 0)})
    by_unit = {}
    for f in findings:
        if f["unit"]:
            by_unit.setdefault(f["unit"], []).append(f)
    file_of = {r["unit"]: r for r in files if r.get("disposition") == "accepted"}
    units = []
    for code, u in plan["units"].items():
        if code not in plan["rows_for"]:
            continue
        mine = by_unit.get(code, [])
        rec = file_of.get(code)
        units.append({"code": code, "name": u["name"], "status": "on_time" if rec else "missing",
                      "file": rec["name"] if rec else "",
                      "errors": sum(f["severity"] == "error" for f in mine),
                      "warnings": sum(f["severity"] == "warning" for f in mine),
                      "infos": sum(f["severity"] == "info" for f in mine)})
    return inds, units, by_unit


# ---------------------------------------------------------------- drawing

def widths(ws, cols):
    """Column widths and a frozen header row, set before any cell (constant_memory writes rows as they come)."""
    for j, w in enumerate(cols):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 0)


def write_consolidated(path, plan, period_text, inds, units, readings, findings, files, constant_memory, inbox_link):
    wb = xlsxwriter.Workbook(path, {"constant_memory": constant_memory})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    pct = wb.add_format({"num_format": "0.0%"})
    title = wb.add_format({"bold": True, "font_size": 14})
    name = lambda c: plan["units"][c]["name"] if c in plan["units"] else c  # noqa: E731
    sent = sum(u["status"] != "missing" for u in units)

    ws = wb.add_worksheet("总览")
    ws.write(0, 0, f"{plan['plan']['title']}进展情况汇总", title)
    ws.write(1, 0, f"报告期：{period_text}\u3000应报{len(units)}家，已报{sent}家，未报{len(units) - sent}家")
    ws.write_row(3, 0, ["任务", "重点任务", "牵头单位", "正常/完成", "滞后", "未报送", "平均进度"], bold)
    tasks = {}
    for i in inds:
        tasks.setdefault(i["task"], []).append(i)
    for n, (task, its) in enumerate(tasks.items()):
        first = plan["indicators"][its[0]["code"]]
        progs = [i["progress"] for i in its if i["progress"] is not None]
        ws.write_row(4 + n, 0, [task, first["task_title"], name(first["lead"]),
                                sum(i["status"] in ("on_track", "met", "done") for i in its),
                                sum(i["status"] in ("behind", "below_target", "overdue") for i in its),
                                sum(i["status"] == "not_reported" for i in its)])
        ws.write(4 + n, 6, sum(progs) / len(progs) if progs else "", pct)
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"name": "平均进度", "categories": ["总览", 4, 1, 3 + len(tasks), 1],
                      "values": ["总览", 4, 6, 3 + len(tasks), 6]})
    ws.insert_chart(5 + len(tasks), 0, chart)

    ws = wb.add_worksheet("指标汇总")
    widths(ws, [6, 10, 24, 8, 10, 12, 12, 12, 12, 10, 10, 8])
    ws.write_row(0, 0, ["任务", "指标编码", "指标", "计量单位", "年度目标", "应完成(按时序)", "牵头单位", "全市累计",
                        "县区合计", "完成进度", "状态", "问题数"], bold)
    for n, i in enumerate(inds, 1):
        ws.write_row(n, 0, [i["task"], i["code"], i["text"], i["unit"], i["target_display"],
                            i["expected_to_date"] if i["expected_to_date"] is not None else "", name(i["lead"]),
                            i["city"] if i["city"] is not None else "",
                            i["county_sum"] if i["county_sum"] is not None else ""])
        ws.write(n, 9, i["progress"] if i["progress"] is not None else "", pct)
        ws.write_row(n, 10, [STATUS_ZH.get(i["status"], i["status"]), i["findings"]])

    ws = wb.add_worksheet("分县区")
    county_inds = [i for i in inds if plan["indicators"][i["code"]].get("counties")]
    ws.write_row(0, 0, ["单位编码", "县区"] + [f"{i['code']} {i['text']}（{i['unit']}）" for i in county_inds], bold)
    counties = [u for u in units if any(r == "county_share" for _, r in plan["rows_for"].get(u["code"], []))]
    cum = {(r["unit"], r["indicator"]): r["cumulative"] for r in readings}
    for n, u in enumerate(counties, 1):
        ws.write_row(n, 0, [u["code"], u["name"]])
        for k, i in enumerate(county_inds):
            v = cum.get((u["code"], i["code"]))
            if v is not None:
                ws.write_number(n, 2 + k, v)
    ws.write_row(len(counties) + 1, 0, ["", "县区合计"] +
                 [i["county_sum"] if i["county_sum"] is not None else "" for i in county_inds], bold)
    ws.write_row(len(counties) + 2, 0, ["", "全市（牵头单位）"] +
                 [i["city"] if i["city"] is not None else "" for i in county_inds], bold)

    ws = wb.add_worksheet("问题清单")
    widths(ws, [8, 26, 12, 10, 60, 16, 16, 30, 8])
    ws.write_row(0, 0, ["严重程度", "问题代码", "单位", "指标编码", "问题说明", "应为", "实为", "来源文件", "单元格"], bold)
    order = {"error": 0, "warning": 1, "info": 2}
    for n, f in enumerate(sorted(findings, key=lambda f: (order[f["severity"]], f["code"], f["unit"])), 1):
        ws.write_row(n, 0, [SEVERITY_ZH[f["severity"]], f["code"], name(f["unit"]) if f["unit"] else "",
                            f["indicator"], f["message"], f["expected"], f["actual"]])
        if f["file"]:
            ws.write_url(n, 7, f"external:{os.path.join(inbox_link, f['file'])}", string=f["file"])
        ws.write(n, 8, f["cell"])

    ws = wb.add_worksheet("报送情况")
    widths(ws, [10, 14, 10, 30, 20, 6, 6, 6])
    ws.write_row(0, 0, ["单位编码", "单位", "报送状态", "文件名", "SHA-256", "错误", "警告", "提示"], bold)
    sha = {r["name"]: r["sha256"] for r in files}
    for n, u in enumerate(units, 1):
        ws.write_row(n, 0, [u["code"], u["name"], UNIT_STATUS_ZH[u["status"]], u["file"], sha.get(u["file"], ""),
                            u["errors"], u["warnings"], u["infos"]])

    ws = wb.add_worksheet("趋势")
    ws.write_row(0, 0, ["指标编码", "指标", "计量单位", "年度目标", period_text], bold)
    for n, i in enumerate(inds, 1):
        goal = plan["indicators"][i["code"]]["goal"]
        ws.write_row(n, 0, [i["code"], i["text"], i["unit"], goal if goal is not None else "",
                            i["city"] if i["city"] is not None else ""])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": period_text, "categories": ["趋势", 1, 0, len(inds), 0],
                      "values": ["趋势", 1, 4, len(inds), 4]})
    ws.insert_chart(len(inds) + 2, 0, chart)

    ws = wb.add_worksheet("明细数据")
    widths(ws, [10, 20, 11, 9, 10, 10, 36, 24, 30, 10, 10])
    ws.write_row(0, 0, ["单位编码", "单位", "指标编码", "类别", "本月完成", "累计完成", "进展情况", "备注", "来源文件",
                        "工作表", "累计完成单元格"], bold)
    for n, r in enumerate(readings, 1):
        ws.write_row(n, 0, [r["unit"], name(r["unit"]), r["indicator"], ROLE_ZH[r["role"]],
                            r["month"] if r["month"] is not None else "",
                            r["cumulative"] if r["cumulative"] is not None else "",
                            r["progress"], r["remark"], r["file"], r["sheet"], r["cumulative_cell"]])
    wb.close()


def draw_return(wb, rec, mine):
    """The unit's return as it was read, findings marked red (errors) or yellow (warnings) with comments."""
    red = wb.add_format({"bg_color": "#FFC7CE", "border": 1})
    yellow = wb.add_format({"bg_color": "#FFEB9C", "border": 1})
    data = wb.add_worksheet("进展填报")
    data.write_row(0, 0, [cell_text(c) for c in rec["header"]], wb.add_format({"bold": True}))
    hi = rec["header_row"]
    marks = {f["cell"]: f for f in mine if f["cell"] and f["file"] == rec["name"] and f["severity"] != "info"}
    # Every figure says where it was read; a cell with a finding says what is wrong instead.
    figures = {rec["cols"][k] for k in ("month", "cumulative") if k in rec["cols"]}
    for i, _, r in rec["rows"]:
        out = i - hi
        for j, c in enumerate(r):
            cell = a1(i, j)
            f = marks.get(cell)
            fmt = None if f is None else (red if f["severity"] == "error" else yellow)
            if isinstance(c, (int, float)) and not isinstance(c, bool):
                data.write_number(out, j, c, fmt)
            else:
                data.write_string(out, j, cell_text(c), fmt)
            if f is not None:
                data.write_comment(out, j, f"【{SEVERITY_ZH[f['severity']]}】{f['message']}")
            elif j in figures:
                data.write_comment(out, j, f"取自工作表“{rec['sheet']}”的{cell}单元格")


def write_feedback(args):
    """One unit's feedback workbook: a confirmation (with the notes, if any), or its return with the errors and
    warnings marked, and the list of findings."""
    path, unit_name, period_text, office, rec, mine, in_memory = args
    wb = xlsxwriter.Workbook(path, {"in_memory": in_memory})
    ws = wb.add_worksheet("反馈说明")
    ws.write(0, 0, f"{unit_name}：{period_text}进展情况报表反馈", wb.add_format({"bold": True, "font_size": 14}))
    ws.write(2, 0, f"填报单位：{unit_name}\u3000报告期：{period_text}")
    errors = sum(f["severity"] == "error" for f in mine)
    warnings = sum(f["severity"] == "warning" for f in mine)
    if errors + warnings == 0:
        ws.write(3, 0, f"经核对，贵单位报送的“{rec['name']}”未发现需要更正的问题，已纳入汇总。谢谢！")
        ws.write(4, 0, f"联系单位：{office}")
    else:
        ws.write(3, 0, f"贵单位{period_text}的报表已采用“{rec['name']}”，经核对发现{errors + warnings}个问题（其中错误{errors}个，"
                       f"须更正；警告{warnings}个，请核实），已在“进展填报”工作表中用红色（错误）和黄色（警告）标出，"
                       "鼠标移到单元格上可看到说明，详见“问题清单”。")
        ws.write(4, 0, "请在原报表上更正后重新报送（文件名可不变）。")
        ws.write(5, 0, f"联系单位：{office}")
        # A return whose own cells raised nothing (its findings are about the file) comes without its rows.
        if rec["rows"] is not None:
            draw_return(wb, rec, mine)
    if not mine:
        wb.close()
        return
    lst = wb.add_worksheet("问题清单")
    lst.write_row(0, 0, ["严重程度", "问题代码", "指标编码", "原表单元格", "问题说明及更正要求", "应为", "实为", "所在文件"])
    for n, f in enumerate(mine, 1):
        lst.write_row(n, 0, [SEVERITY_ZH[f["severity"]], f["code"], f["indicator"], f["cell"], f["message"],
                             f["expected"], f["actual"] or "—", f["file"]])
    wb.close()


# ---------------------------------------------------------------- the batch

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace")
    ap.add_argument("outdir")
    ap.add_argument("--period", default="2020-10")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (1: none)")
    ap.add_argument("--no-constant-memory", action="store_true",
                    help="build the consolidated workbook in memory (XlsxWriter's default) instead of streaming it")
    ap.add_argument("--temp-files", action="store_true",
                    help="draw feedback workbooks with XlsxWriter's default (parts in temporary files), for comparison")
    ap.add_argument("--timings", action="store_true", help="print the seconds each stage took to stderr")
    a = ap.parse_args()
    t0 = [time.perf_counter()]

    def lap(stage):
        if a.timings:
            now = time.perf_counter()
            print(f"{stage}: {now - t0[0]:.2f} s", file=sys.stderr)
            t0[0] = now
    period = (int(a.period[:4]), int(a.period[5:7]))
    period_text = f"{period[0]}年{period[1]}月"
    plan = load_plan(a.workspace)
    inbox = os.path.join(a.workspace, "inbox")
    paths = sorted(os.path.join(inbox, n) for n in os.listdir(inbox)
                   if os.path.isfile(os.path.join(inbox, n)) and not n.startswith(("~$", ".")))
    os.makedirs(os.path.join(a.outdir, "feedback"), exist_ok=True)

    init_worker(plan, period)
    pool = Pool(a.jobs, init_worker, (plan, period)) if a.jobs > 1 else None
    results = pool.imap(work_file, paths, chunksize=16) if pool else map(work_file, paths)

    files, kept, by_sha, others = [], {}, {}, []
    # In order of arrival (modification time, then name): a byte-identical copy is a duplicate of the first, and
    # a later return from the same unit supersedes the earlier one.
    for rec, rs, fs in sorted(results, key=lambda x: (x[0]["mtime"], x[0]["name"])):
        files.append(rec)
        first = by_sha.setdefault(rec["sha256"], rec["name"])
        if first != rec["name"]:
            rec.update(disposition="duplicate", reason=f"与“{first}”内容相同")
            others.append(finding("DUPLICATE_FILE", "info", f"“{rec['name']}”与已收到的“{first}”内容完全相同，未重复汇总",
                                  rec.get("unit", ""), file=rec["name"]))
        elif rec["disposition"] != "accepted":
            others.extend(fs)
        else:
            if rec["unit"] in kept:
                kept[rec["unit"]][0]["disposition"] = "superseded"
            kept[rec["unit"]] = (rec, rs, fs)
    by_unit_file = {u: rec for u, (rec, _, _) in kept.items()}
    readings = [r for _, rs, _ in kept.values() for r in rs]
    findings = [f for _, _, fs in kept.values() for f in fs] + others

    lap("read and check returns")
    by_key = {(r["unit"], r["indicator"]): r for r in readings}
    sent = set(by_unit_file)
    check_county_sums(plan, by_key, sent, findings)
    check_history(a.workspace, period, readings, findings)
    for code in plan["rows_for"]:
        if code not in sent:
            findings.append(finding("MISSING_RETURN", "error", f"{plan['units'][code]['name']}未报送{period_text}报表",
                                    code))
    inds, units, by_unit = tables(plan, period, by_key, findings, files)

    lap("checks across returns, tables")
    office = plan["plan"].get("office", "")
    fb_jobs = []
    for u in units:
        rec = by_unit_file.get(u["code"])
        if rec is None:
            continue
        name = f"{a.period}_{u['code']}_{u['name']}_反馈.xlsx"
        fb_jobs.append((os.path.join(a.outdir, "feedback", name), u["name"], period_text, office,
                        {k: rec.get(k) for k in ("name", "sheet", "cols", "header", "header_row", "rows")},
                        by_unit.get(u["code"], []), not a.temp_files))
    # Feedback workbooks are drawn in the workers while this process writes the consolidated workbook.
    fb = pool.map_async(write_feedback, fb_jobs, chunksize=16) if pool else None
    write_consolidated(os.path.join(a.outdir, f"{plan['plan']['id']}_汇总_{a.period}.xlsx"), plan, period_text,
                       inds, units, readings, findings, files, not a.no_constant_memory,
                       os.path.relpath(inbox, a.outdir))
    lap("consolidated workbook")
    if fb is None:
        for j in fb_jobs:
            write_feedback(j)
        lap("feedback workbooks")

    summary = {"files_in": len(files),
               "accepted": sum(f.get("disposition") == "accepted" for f in files),
               "rejected": sum(f.get("disposition") == "rejected" for f in files),
               "superseded": sum(f.get("disposition") == "superseded" for f in files),
               "duplicate": sum(f.get("disposition") == "duplicate" for f in files),
               "other_period": sum(f.get("disposition") == "other_period" for f in files),
               "errors": sum(f["severity"] == "error" for f in findings),
               "warnings": sum(f["severity"] == "warning" for f in findings),
               "infos": sum(f["severity"] == "info" for f in findings)}
    file_rows = [{k: f.get(k, "") for k in ("name", "size", "sha256", "format", "unit", "period", "disposition",
                                             "reason")} for f in files]
    report = {"plan_id": plan["plan"]["id"], "period": a.period,
              "run_time": dt.datetime.now(dt.timezone.utc).isoformat(), "summary": summary, "files": file_rows,
              "units": units, "indicators": inds, "findings": findings, "readings": readings}
    # Indented like huizong's report.json; one json.dumps and one write rather than json.dump's many small writes.
    with open(os.path.join(a.outdir, "report.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(report, ensure_ascii=False, indent=2))
    lap("report.json")
    if pool:
        fb.get()
        pool.close()
        pool.join()
        lap("waiting for the feedback workbooks")
    print(f"{summary['accepted']} accepted, {summary['errors']} errors, {summary['warnings']} warnings, "
          f"{summary['infos']} infos; {len(fb_jobs)} feedback workbooks; report: {a.outdir}/report.json")


if __name__ == "__main__":
    main()
