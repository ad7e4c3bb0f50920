//! A held-out check of reading returns as clerks really make them: each workbook below was built from the plan's
//! units and indicators without looking at the other return tests' fixtures, in layouts the issue names (WPS
//! titles merged across the sheet, stamped and spaced 填报单位, three-row headers, ①②③ and 其中： rows, figures as
//! text with their units, 单位：万元 over 亿元 rows, a 说明 sheet and a hidden sheet, a September return in October's
//! run, 9月 and 10月 sheets, an .xls and an .ods saved by LibreOffice). Each test compares what huizong read with
//! the truth and prints a `SCORE` line (figures right / wrong / missed, unit and period, false alarms).

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde_json::Value as Json;

use crate::util::{self, Workspace};

/// A cell as the clerk typed it.
#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    N(f64),
    /// A number shown with a percentage format (0.0048 shown as 0.48%).
    P(f64),
    E,
}

use V::{E, N, P, S};

fn write_row(ws: &mut Worksheet, row: u32, cells: &[V]) {
    let pct = Format::new().set_num_format("0.00%");
    for (c, v) in cells.iter().enumerate() {
        let c = c as u16;
        match *v {
            S(t) => {
                ws.write_string(row, c, t).unwrap();
            }
            N(x) => {
                ws.write_number(row, c, x).unwrap();
            }
            P(x) => {
                ws.write_number_with_format(row, c, x, &pct).unwrap();
            }
            E => {}
        }
    }
}

fn merge(ws: &mut Worksheet, r1: u32, c1: u16, r2: u32, c2: u16, t: &str) {
    ws.merge_range(r1, c1, r2, c2, t, &Format::new()).unwrap();
}

/// What the return holds, as the clerk meant it.
struct Truth {
    case: &'static str,
    file: &'static str,
    unit: &'static str,
    period: &'static str,
    sheet: &'static str,
    /// (indicator, 本月完成, 累计完成) as the unit meant them, in the plan's unit of measure.
    figures: Vec<(&'static str, Option<f64>, Option<f64>)>,
    /// (code, indicator, cell) of every finding about reading the file that the return deserves.
    alarms: Vec<(&'static str, &'static str, &'static str)>,
}

/// Findings about reading a return (not about its progress or other units): these are false alarms when unearned.
const READING_CODES: &[&str] = &[
    "NOT_A_RETURN",
    "UNKNOWN_UNIT",
    "IDENTITY_MISMATCH",
    "IDENTITY_CONFLICT",
    "PERIOD_ASSUMED",
    "NOT_A_NUMBER",
    "NEGATIVE_VALUE",
    "APPROXIMATE_VALUE",
    "PERCENT_SCALE",
    "UNIT_MISMATCH",
    "TARGET_ALTERED",
    "UNKNOWN_INDICATOR",
    "FORMULA_ERROR",
    "MONTHLY_CUMULATIVE_MISMATCH",
    "IMPLAUSIBLE_VALUE",
    "SHEET_CHOSEN",
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

/// Puts the workbook in a fresh workspace, runs October, scores the report against the truth and asserts it.
fn check(truth: &Truth, bytes: &[u8]) -> Json {
    let ws = Workspace::new();
    let path = ws.path().join("inbox").join(truth.file);
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let text = std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap();
    let r: Json = serde_json::from_str(&text).unwrap();
    score(truth, &r);
    r
}

fn score(t: &Truth, r: &Json) {
    let readings: Vec<&Json> = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["file"] == t.file)
        .collect();
    let file = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == t.file)
        .unwrap_or_else(|| panic!("{}: no file {} in {:#}", t.case, t.file, r["files"]));
    let (mut right, mut wrong, mut missed) = (0, 0, 0);
    let mut notes = Vec::new();
    for &(code, month, cum) in &t.figures {
        let got = readings.iter().find(|x| x["indicator"] == code);
        for (field, want) in [("month", month), ("cumulative", cum)] {
            let have = got.and_then(|x| x[field].as_f64());
            match (want, have) {
                (Some(w), Some(h)) if close(w, h) => right += 1,
                (Some(w), Some(h)) => {
                    wrong += 1;
                    notes.push(format!("WRONG {code} {field}: {h} (truth {w})"));
                }
                (Some(w), None) => {
                    missed += 1;
                    notes.push(format!("missed {code} {field} (truth {w})"));
                }
                (None, Some(h)) => {
                    wrong += 1;
                    notes.push(format!("WRONG {code} {field}: {h} (truth blank)"));
                }
                (None, None) => {}
            }
        }
    }
    for x in &readings {
        let code = x["indicator"].as_str().unwrap();
        if t.figures.iter().all(|f| f.0 != code) {
            for field in ["month", "cumulative"] {
                if let Some(h) = x[field].as_f64() {
                    wrong += 1;
                    notes.push(format!("WRONG {code} {field}: {h} (not in the return)"));
                }
            }
        }
    }
    let unit_ok = file["unit"] == t.unit;
    let period_ok = file["period"] == t.period;
    let sheets_ok = readings.iter().all(|x| x["sheet"] == t.sheet);
    let alarms: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == t.file || (f["unit"] == t.unit && f["file"] == ""))
        .filter(|f| READING_CODES.contains(&f["code"].as_str().unwrap()))
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("code"), s("indicator"), s("cell"))
        })
        .collect();
    let false_alarms: Vec<_> = alarms
        .iter()
        .filter(|(c, i, a)| !t.alarms.iter().any(|w| w.0 == c && w.1 == i && w.2 == a))
        .collect();
    let unmet: Vec<_> = t
        .alarms
        .iter()
        .filter(|w| {
            !alarms
                .iter()
                .any(|(c, i, a)| w.0 == c && w.1 == i && w.2 == a)
        })
        .collect();
    println!(
        "SCORE {} right={right} wrong={wrong} missed={missed} unit={} period={} sheet={} false_alarms={}",
        t.case,
        unit_ok,
        period_ok,
        sheets_ok,
        false_alarms.len()
    );
    for n in &notes {
        println!("  {n}");
    }
    for a in &false_alarms {
        println!("  false alarm {a:?}");
    }
    assert!(
        wrong == 0 && missed == 0 && unit_ok && period_ok && sheets_ok,
        "{}: {notes:#?}\nfile {file:#}\nreadings {readings:#?}",
        t.case
    );
    assert!(
        false_alarms.is_empty() && unmet.is_empty(),
        "{}: false alarms {false_alarms:#?}, expected but absent {unmet:#?}\nall findings {:#}",
        t.case,
        r["findings"]
    );
}

/// A reading's (sheet, month cell, cumulative cell).
fn cells_of(r: &Json, unit: &str, code: &str) -> (String, String, String) {
    let x = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit"] == unit && x["indicator"] == code)
        .unwrap_or_else(|| panic!("no reading {unit} {code}"));
    let s = |k: &str| x[k].as_str().unwrap_or_default().to_string();
    (s("sheet"), s("month_cell"), s("cumulative_cell"))
}

/// 陇西县 as a WPS user lays it out: a title merged across the sheet, 单位名称（盖章） with the name spaced out,
/// 报告期 as 2020年1—10月 on the same line, 序号|工作任务|目标任务数|10月完成|1-10月累计完成|完成进度|责任单位|备注,
/// units of measure in brackets after the task, 其中： rows, signature lines under the table.
fn longxi_wps() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("陇西县").unwrap();
    merge(ws, 0, 0, 0, 7, "陇西县创新助力拓存创增工作进展情况统计表");
    merge(
        ws,
        1,
        0,
        1,
        7,
        "单位名称（盖章）：  陇 西 县 科 技 局            报告期：2020年1—10月",
    );
    write_row(
        ws,
        2,
        &[
            S("序号"),
            S("工作任务"),
            S("目标任务数"),
            S("10月完成"),
            S("1-10月累计完成"),
            S("完成进度"),
            S("责任单位"),
            S("备注"),
        ],
    );
    let rows: &[&[V]] = &[
        &[
            N(1.0),
            S("申请专利（件）"),
            N(120.0),
            N(8.0),
            N(96.0),
            S("80%"),
            S("县市场监管局"),
        ],
        &[
            N(2.0),
            S("授权专利（件）"),
            N(50.0),
            N(3.0),
            N(41.0),
            S("82%"),
            S("县市场监管局"),
        ],
        &[
            E,
            S("其中：发明专利授权（件）"),
            N(20.0),
            N(1.0),
            N(12.0),
            S("60%"),
            S("县市场监管局"),
        ],
        &[
            N(3.0),
            S("高新技术企业总数（家）"),
            N(8.0),
            N(0.0),
            N(7.0),
            S("87.5%"),
            S("县科技局"),
        ],
        &[
            N(4.0),
            S("新增省级\"科技小巨人\"企业（家）"),
            N(1.0),
            N(0.0),
            N(1.0),
            S("100%"),
            S("县工信局"),
        ],
        &[
            N(5.0),
            S("转化科技成果（项）"),
            N(10.0),
            N(1.0),
            N(9.0),
            S("90%"),
            S("县科技局"),
        ],
        &[
            N(6.0),
            S("科技特派员总数（名）"),
            N(170.0),
            N(0.0),
            N(160.0),
            S("94%"),
            S("县科技局"),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    write_row(
        ws,
        11,
        &[S(
            "填报人：王芳    审核人：李强    联系电话：0932-6621234    填报日期：2020年11月3日",
        )],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn wps_title_spaced_stamped_unit_and_task_column() {
    let t = Truth {
        case: "wps_title_spaced_stamped_unit_and_task_column",
        file: "陇西县10月份创新助力进展.xlsx",
        unit: "longxi",
        period: "2020-10",
        sheet: "陇西县",
        figures: vec![
            ("T2.4-01", Some(8.0), Some(96.0)),
            ("T2.4-02", Some(3.0), Some(41.0)),
            ("T2.4-03", Some(1.0), Some(12.0)),
            ("T2.5-01", Some(0.0), Some(7.0)),
            ("T2.5-02", Some(0.0), Some(1.0)),
            ("T2.8-02", Some(1.0), Some(9.0)),
            ("T2.10-04", Some(0.0), Some(160.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &longxi_wps());
    assert_eq!(
        cells_of(&r, "longxi", "T2.4-03"),
        ("陇西县".into(), "D6".into(), "E6".into())
    );
}

/// 通渭县: the unit in the cell right of 填报单位, 统计时间 as 二〇二〇年十月, a three-row header (完成情况 over 本月完成
/// and 累计完成, 累计完成 over 完成数 | 占目标比例 | 同比增长), section headings, ①②③ numbering and 其中：.
fn tongwei_three_rows() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        8,
        "通渭县创新助力拓存创增重点指标完成情况统计表",
    );
    write_row(
        ws,
        1,
        &[
            S("填报单位："),
            S("通渭县科技局（盖章）"),
            E,
            E,
            E,
            E,
            S("统计时间：二〇二〇年十月"),
        ],
    );
    merge(ws, 2, 0, 4, 0, "序号");
    merge(ws, 2, 1, 4, 1, "指标名称");
    merge(ws, 2, 2, 4, 2, "计量单位");
    merge(ws, 2, 3, 4, 3, "年度目标");
    merge(ws, 2, 4, 2, 7, "完成情况");
    merge(ws, 3, 4, 4, 4, "本月完成");
    merge(ws, 3, 5, 3, 7, "累计完成");
    write_row(
        ws,
        4,
        &[E, E, E, E, E, S("完成数"), S("占目标比例"), S("同比增长")],
    );
    merge(ws, 2, 8, 4, 8, "备注");
    let rows: &[&[V]] = &[
        &[S("一"), S("知识产权")],
        &[
            S("①"),
            S("申请专利"),
            S("件"),
            N(90.0),
            N(6.0),
            N(70.0),
            S("77.8%"),
            S("12%"),
        ],
        &[
            S("②"),
            S("授权专利"),
            S("件"),
            N(40.0),
            N(2.0),
            N(25.0),
            S("62.5%"),
            S("-5%"),
        ],
        &[
            S("③"),
            S("其中：发明专利授权"),
            S("件"),
            N(15.0),
            N(0.0),
            N(9.0),
            S("60%"),
            E,
        ],
        &[S("二"), S("科技型企业培育")],
        &[
            S("①"),
            S("高新技术企业总数"),
            S("家"),
            N(5.0),
            N(1.0),
            N(4.0),
            S("80%"),
            E,
        ],
        &[
            S("②"),
            S("新增省级“专精特新”中小企业"),
            S("家"),
            N(1.0),
            N(0.0),
            N(1.0),
            S("100%"),
            E,
        ],
        &[
            S("③"),
            S("入库备案国家科技型中小企业"),
            S("家"),
            N(8.0),
            N(1.0),
            N(7.0),
            S("87.5%"),
            E,
        ],
        &[S("三"), S("科技人才")],
        &[
            S("①"),
            S("科技领军人才"),
            S("名"),
            N(8.0),
            N(0.0),
            N(6.0),
            S("75%"),
            E,
        ],
        &[
            S("②"),
            S("柔性引进高层次人才（团队）"),
            S("人"),
            N(6.0),
            N(1.0),
            N(5.0),
            S("83.3%"),
            E,
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 5 + i as u32, row);
    }
    write_row(
        ws,
        17,
        &[
            S("单位负责人：赵明"),
            E,
            S("填表人：孙丽"),
            E,
            E,
            S("联系电话：13909321234"),
        ],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn three_row_header_circled_numbers_and_chinese_numeral_month() {
    let t = Truth {
        case: "three_row_header_circled_numbers_and_chinese_numeral_month",
        file: "通渭县.xlsx",
        unit: "tongwei",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(6.0), Some(70.0)),
            ("T2.4-02", Some(2.0), Some(25.0)),
            ("T2.4-03", Some(0.0), Some(9.0)),
            ("T2.5-01", Some(1.0), Some(4.0)),
            ("T2.5-03", Some(0.0), Some(1.0)),
            ("T2.5-04", Some(1.0), Some(7.0)),
            ("T2.10-02", Some(0.0), Some(6.0)),
            ("T2.10-03", Some(1.0), Some(5.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &tongwei_three_rows());
    assert_eq!(
        cells_of(&r, "tongwei", "T2.4-02"),
        ("Sheet1".into(), "E8".into(), "F8".into())
    );
}

/// 岷县: 金额单位：万元 in the heading and 累计完成（万元） over the county's 亿元 row of 技术合同交易额, counts beside it.
fn minxian_wanyuan() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("10月").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        6,
        "岷县2020年10月创新助力拓存创增工作进展情况表",
    );
    write_row(
        ws,
        1,
        &[S("填报单位：岷县人民政府"), E, E, E, E, S("金额单位：万元")],
    );
    write_row(
        ws,
        2,
        &[
            S("序号"),
            S("指标"),
            S("计量单位"),
            S("年度目标"),
            S("本月完成"),
            S("累计完成（万元）"),
            S("备注"),
        ],
    );
    let rows: &[&[V]] = &[
        &[N(1.0), S("转化科技成果"), S("项"), N(4.0), N(0.0), N(3.0)],
        &[
            N(2.0),
            S("新增省级技术转移示范机构"),
            S("家"),
            N(1.0),
            N(0.0),
            N(0.0),
        ],
        &[
            N(3.0),
            S("技术市场合同交易额"),
            S("亿元"),
            N(0.5),
            N(500.0),
            N(3500.0),
            S("累计3500万元"),
        ],
        &[N(4.0), S("培育科技型企业上市"), S("家"), E, N(0.0), N(0.0)],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn wanyuan_heading_over_a_yiyuan_row() {
    let t = Truth {
        case: "wanyuan_heading_over_a_yiyuan_row",
        file: "岷县进展情况表.xlsx",
        unit: "minxian",
        period: "2020-10",
        sheet: "10月",
        figures: vec![
            ("T2.8-02", Some(0.0), Some(3.0)),
            ("T2.8-03", Some(0.0), Some(0.0)),
            ("T2.8-04", Some(0.05), Some(0.35)),
            ("T2.9-01", Some(0.0), Some(0.0)),
        ],
        alarms: vec![],
    };
    check(&t, &minxian_wanyuan());
}

/// 安定区: a 说明 sheet first, the table on 进展表 with figures typed as text with their units (15家, full-width
/// ３件, 0.2亿元, 500万元 in a 亿元 row), 85% typed into a count row, and a hidden sheet holding last month's table.
fn anding_text_figures() -> Vec<u8> {
    let mut wb = Workbook::new();
    let note = wb.add_worksheet().set_name("说明").unwrap();
    write_row(note, 0, &[S("填表说明：")]);
    write_row(note, 1, &[S("1. 数据截至2020年10月31日；")]);
    write_row(
        note,
        2,
        &[S("2. 本表由安定区科技局汇总填报，联系电话0932-8212345。")],
    );
    let ws = wb.add_worksheet().set_name("进展表").unwrap();
    merge(ws, 0, 0, 0, 5, "安定区创新助力拓存创增工作进展情况");
    write_row(ws, 1, &[S("报告期：2020.10")]);
    write_row(
        ws,
        2,
        &[
            S("指标"),
            S("单位"),
            S("目标"),
            S("当月完成"),
            S("累计完成"),
            S("进展情况"),
        ],
    );
    let rows: &[&[V]] = &[
        &[S("申请专利"), S("件"), N(200.0), S("１２件"), S("１６８件")],
        &[S("授权专利"), S("件"), N(80.0), S("３件"), S("61 件")],
        &[S("高新技术企业总数"), S("家"), N(12.0), S("1家"), S("15家")],
        &[
            S("全市技术市场合同交易额"),
            S("亿元"),
            N(1.0),
            S("500万元"),
            S("0.2亿元"),
        ],
        &[
            S("培育科技型企业上市"),
            S("家"),
            N(1.0),
            E,
            S("85%"),
            S("已进入辅导期"),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    let old = wb.add_worksheet().set_name("Sheet3").unwrap();
    write_row(old, 0, &[S("安定区2020年9月进展")]);
    write_row(
        old,
        1,
        &[
            S("指标"),
            S("单位"),
            S("目标"),
            S("当月完成"),
            S("累计完成"),
        ],
    );
    write_row(
        old,
        2,
        &[S("申请专利"), S("件"), N(200.0), N(20.0), N(156.0)],
    );
    write_row(old, 3, &[S("授权专利"), S("件"), N(80.0), N(5.0), N(58.0)]);
    old.set_hidden(true);
    wb.save_to_buffer().unwrap()
}

#[test]
fn text_figures_with_units_a_note_sheet_and_a_hidden_sheet() {
    let t = Truth {
        case: "text_figures_with_units_a_note_sheet_and_a_hidden_sheet",
        file: "安定区10月报表.xlsx",
        unit: "anding",
        period: "2020-10",
        sheet: "进展表",
        figures: vec![
            ("T2.4-01", Some(12.0), Some(168.0)),
            ("T2.4-02", Some(3.0), Some(61.0)),
            ("T2.5-01", Some(1.0), Some(15.0)),
            ("T2.8-04", Some(0.05), Some(0.2)),
            ("T2.9-01", None, None),
        ],
        alarms: vec![("UNIT_MISMATCH", "T2.9-01", "E8")],
    };
    check(&t, &anding_text_figures());
}

/// 渭源县's September return, sent late and caught by October's run: 报告期 2020年9月 and 1-9月 in the title.
fn weiyuan_september() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        5,
        "渭源县2020年1-9月创新助力拓存创增工作进展情况",
    );
    write_row(
        ws,
        1,
        &[S("填报单位：渭源县科技局"), E, E, S("报告期：2020年9月")],
    );
    write_row(
        ws,
        2,
        &[
            S("指标名称"),
            S("计量单位"),
            S("年度目标"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    write_row(ws, 3, &[S("申请专利"), S("件"), N(60.0), N(4.0), N(44.0)]);
    write_row(ws, 4, &[S("授权专利"), S("件"), N(25.0), N(1.0), N(17.0)]);
    write_row(ws, 5, &[S("转化科技成果"), S("项"), N(4.0), N(0.0), N(2.0)]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_september_return_in_octobers_run_waits_for_september() {
    let t = Truth {
        case: "a_september_return_in_octobers_run_waits_for_september",
        file: "渭源县9月进展情况.xlsx",
        unit: "weiyuan",
        period: "2020-09",
        sheet: "",
        figures: vec![],
        alarms: vec![],
    };
    let r = check(&t, &weiyuan_september());
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == t.file)
        .unwrap();
    assert_eq!(f["disposition"], "other_period");
}

fn lintao_month(ws: &mut Worksheet, month: u32, rows: &[&[V]]) {
    merge(
        ws,
        0,
        0,
        0,
        5,
        &format!("临洮县2020年{month}月创新助力拓存创增工作推进情况"),
    );
    write_row(
        ws,
        1,
        &[S("填报单位（盖章）：临洮县科学技术局    填表人：马华")],
    );
    write_row(
        ws,
        2,
        &[
            S("考核指标"),
            S("单位"),
            S("全年目标"),
            S("本月"),
            S("累计"),
            S("推进情况"),
        ],
    );
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    write_row(
        ws,
        3 + rows.len() as u32,
        &[S("合计"), E, E, N(99.0), N(999.0)],
    );
    write_row(
        ws,
        5 + rows.len() as u32,
        &[S(&format!("填报日期：2020年{}月2日", month + 1))],
    );
}

/// 临洮县 keeps the year in one workbook: a 9月份 sheet first, then 10月份, each with its own 合计 row.
fn lintao_two_months() -> Vec<u8> {
    let mut wb = Workbook::new();
    let sep = wb.add_worksheet().set_name("9月份").unwrap();
    lintao_month(
        sep,
        9,
        &[
            &[
                S("申请专利"),
                S("件"),
                N(100.0),
                N(7.0),
                N(71.0),
                S("稳步推进"),
            ],
            &[S("科技特派员总数"), S("名"), N(180.0), N(0.0), N(175.0)],
            &[S("全市科技创新团队"), S("个"), N(7.0), N(0.0), N(5.0)],
        ],
    );
    let oct = wb.add_worksheet().set_name("10月份").unwrap();
    lintao_month(
        oct,
        10,
        &[
            &[
                S("申请专利"),
                S("件"),
                N(100.0),
                N(9.0),
                N(80.0),
                S("稳步推进"),
            ],
            &[S("科技特派员总数"), S("名"), N(180.0), N(2.0), N(177.0)],
            &[S("全市科技创新团队"), S("个"), N(7.0), N(1.0), N(6.0)],
        ],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn september_and_october_sheets_give_october_its_own() {
    let t = Truth {
        case: "september_and_october_sheets_give_october_its_own",
        file: "临洮县创新助力进展（2020年）.xlsx",
        unit: "lintao",
        period: "2020-10",
        sheet: "10月份",
        figures: vec![
            ("T2.4-01", Some(9.0), Some(80.0)),
            ("T2.10-04", Some(2.0), Some(177.0)),
            ("T2.10-01", Some(1.0), Some(6.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &lintao_two_months());
    assert_eq!(
        cells_of(&r, "lintao", "T2.10-01"),
        ("10月份".into(), "D6".into(), "E6".into())
    );
}

/// 漳县: the unit in the cell right of 填报单位, 报告期 2020.10 beside it, codes retyped by hand (t2.4-1, Ｔ2.4－02,
/// one left blank), saved as .xls by LibreOffice.
fn zhangxian_table() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(ws, 0, 0, 0, 6, "漳县创新助力拓存创增工作进展统计表");
    write_row(
        ws,
        1,
        &[
            S("填报单位："),
            S("漳县科学技术局"),
            E,
            E,
            S("报告期："),
            S("2020.10"),
        ],
    );
    write_row(
        ws,
        2,
        &[
            S("指标编码"),
            S("指标名称"),
            S("计量单位"),
            S("年度目标"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    let rows: &[&[V]] = &[
        &[
            S("t2.4-1"),
            S("申请专利"),
            S("件"),
            N(40.0),
            N(3.0),
            N(33.0),
        ],
        &[
            S("Ｔ2.4－02"),
            S("授权专利"),
            S("件"),
            N(15.0),
            N(1.0),
            N(11.0),
        ],
        &[E, S("其中发明专利授权"), S("件"), N(5.0), N(0.0), N(2.0)],
        &[
            S("T2.10-1"),
            S("全市科技创新团队"),
            S("个"),
            N(4.0),
            N(0.0),
            N(3.0),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn an_xls_saved_by_libreoffice_with_the_unit_in_the_next_cell() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("漳县10月.xlsx");
    std::fs::write(&src, zhangxian_table()).unwrap();
    util::convert(&soffice, &src, "xls", dir.path());
    let bytes = std::fs::read(dir.path().join("漳县10月.xls")).unwrap();
    let t = Truth {
        case: "an_xls_saved_by_libreoffice_with_the_unit_in_the_next_cell",
        file: "漳县10月.xls",
        unit: "zhangxian",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(3.0), Some(33.0)),
            ("T2.4-02", Some(1.0), Some(11.0)),
            ("T2.4-03", Some(0.0), Some(2.0)),
            ("T2.10-01", Some(0.0), Some(3.0)),
        ],
        alarms: vec![],
    };
    check(&t, &bytes);
}

/// 定西经开区's table: 重点任务 merged down its six indicators, one 进展情况 merged over the investment, the topping
/// out and the image progress, saved as .ods by LibreOffice.
fn kfq_merged() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("10月进展").unwrap();
    merge(ws, 0, 0, 0, 6, "定西经济开发区管委会2020年10月工作进展情况");
    write_row(
        ws,
        1,
        &[
            S("重点任务"),
            S("主要指标"),
            S("单位"),
            S("年度目标"),
            S("本月完成"),
            S("累计完成"),
            S("进展情况"),
        ],
    );
    merge(ws, 2, 0, 7, 0, "加快定西省级高新技术产业开发区建设");
    let rows: &[&[V]] = &[
        &[
            E,
            S("新认定高新技术企业"),
            S("家"),
            N(1.0),
            N(0.0),
            N(1.0),
            S("已认定1家"),
        ],
        &[
            E,
            S("新增省级创新科研平台"),
            S("家"),
            N(3.0),
            N(1.0),
            N(2.0),
            S("推进中"),
        ],
        &[
            E,
            S("入库科技型中小企业"),
            S("家"),
            N(15.0),
            N(2.0),
            N(13.0),
            S("推进中"),
        ],
        &[
            E,
            S("定西现代科技产业园完成投资"),
            S("亿元"),
            N(1.3),
            N(0.12),
            N(1.05),
        ],
        &[E, S("年内完成主体封顶"), E, E, E, E],
        &[E, S("形象进度达到"), S("%"), N(80.0), N(5.0), N(72.0)],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 2 + i as u32, row);
    }
    merge(ws, 5, 6, 7, 6, "已完成");
    wb.save_to_buffer().unwrap()
}

#[test]
fn an_ods_with_merged_task_and_progress_cells() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("经开区10月进展.xlsx");
    std::fs::write(&src, kfq_merged()).unwrap();
    util::convert(&soffice, &src, "ods", dir.path());
    let bytes = std::fs::read(dir.path().join("经开区10月进展.ods")).unwrap();
    let t = Truth {
        case: "an_ods_with_merged_task_and_progress_cells",
        file: "经开区10月进展.ods",
        unit: "kfq",
        period: "2020-10",
        sheet: "10月进展",
        figures: vec![
            ("T2.1-01", Some(0.0), Some(1.0)),
            ("T2.1-02", Some(1.0), Some(2.0)),
            ("T2.1-03", Some(2.0), Some(13.0)),
            ("T2.1-04", Some(0.12), Some(1.05)),
            ("T2.1-06", Some(5.0), Some(72.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &bytes);
    let progress = |code: &str| {
        r["readings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit"] == "kfq" && x["indicator"] == code)
            .map(|x| x["progress"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(progress("T2.1-05"), "已完成");
    assert_eq!(progress("T2.1-06"), "已完成");
}

/// 市市场监管局's own table: 主要指标|单位|全年目标|当月完成|截至10月底累计|推进情况, the indicators paraphrased
/// (申请专利数, 全市授权专利, 其中:发明专利授权, 每万人发明专利拥有量), signature lines.
fn scjgj_paraphrased() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        5,
        "定西市市场监督管理局知识产权工作进展情况（2020年10月）",
    );
    write_row(
        ws,
        1,
        &[
            S("主要指标"),
            S("单位"),
            S("全年目标"),
            S("当月完成"),
            S("截至10月底累计"),
            S("推进情况"),
        ],
    );
    let rows: &[&[V]] = &[
        &[S("1.申请专利数"), S("件"), N(1078.0), N(85.0), N(903.0)],
        &[S("2.全市授权专利"), S("件"), N(432.0), N(30.0), N(371.0)],
        &[S("其中:发明专利授权"), S("件"), N(242.0), N(12.0), N(198.0)],
        &[
            S("3.每万人发明专利拥有量"),
            S("件/万人"),
            N(0.87),
            E,
            N(0.79),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 2 + i as u32, row);
    }
    write_row(ws, 7, &[S("审核人：周伟"), E, S("填报人：陈静")]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_bureau_table_with_paraphrased_indicators() {
    let t = Truth {
        case: "a_bureau_table_with_paraphrased_indicators",
        file: "市场监管局10月.xlsx",
        unit: "scjgj",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(85.0), Some(903.0)),
            ("T2.4-02", Some(30.0), Some(371.0)),
            ("T2.4-03", Some(12.0), Some(198.0)),
            ("T2.4-04", None, Some(0.79)),
        ],
        alarms: vec![],
    };
    check(&t, &scjgj_paraphrased());
}

/// 市政府金融办: the unit only in the title (关于…的报告), no 报告期 line, the month only in the attachment's name.
fn jrb_title_only() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        5,
        "定西市人民政府金融工作办公室科技金融融合工作进展情况",
    );
    write_row(
        ws,
        2,
        &[
            S("序号"),
            S("指标名称"),
            S("计量单位"),
            S("本月完成"),
            S("累计完成"),
            S("进展情况"),
        ],
    );
    write_row(
        ws,
        3,
        &[
            N(1.0),
            S("培育科技型企业上市"),
            S("家"),
            N(0.0),
            N(0.0),
            S("1家企业已报辅导备案"),
        ],
    );
    write_row(
        ws,
        4,
        &[N(2.0), S("企业融资取得突破性进展"), E, E, E, S("推进中")],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn the_unit_only_in_the_title_and_the_month_only_in_the_file_name() {
    let t = Truth {
        case: "the_unit_only_in_the_title_and_the_month_only_in_the_file_name",
        file: "附件3：进展情况统计表（10月）.xlsx",
        unit: "jrb",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![("T2.9-01", Some(0.0), Some(0.0))],
        alarms: vec![],
    };
    check(&t, &jrb_title_only());
}

/// 市财政局: shares typed into cells formatted as percentages (0.48% stored as 0.0048) or as text (0.41%), an
/// amount with a thousands separator (1,250), 万元 written after a growth figure.
fn czj_percent_cells() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("财政局").unwrap();
    merge(ws, 0, 0, 0, 5, "市财政局2020年1-10月科技投入进展情况");
    write_row(ws, 1, &[S("填报单位：定西市财政局")]);
    write_row(
        ws,
        2,
        &[
            S("指标编码"),
            S("指标"),
            S("计量单位"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    let rows: &[&[V]] = &[
        &[
            S("T2.6-02"),
            S("争取中央引导地方科技发展专项资金"),
            S("万元"),
            N(0.0),
            S("1,250"),
        ],
        &[
            S("T2.7-01"),
            S("全市财政科技投入"),
            S("万元"),
            N(310.0),
            S("3260.5万元"),
        ],
        &[
            S("T2.7-02"),
            S("全社会研发投入占GDP的比重"),
            S("%"),
            E,
            P(0.0048),
        ],
        &[
            S("T2.7-03"),
            S("地方财政科学技术支出占地方财政支出的比重"),
            S("%"),
            E,
            S("0.41%"),
        ],
        &[
            S("T2.7-04"),
            S("市本级财政科学技术支出占财政支出的比重"),
            S("%"),
            E,
            N(2.1),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn shares_in_percent_formatted_cells_and_text_amounts() {
    let t = Truth {
        case: "shares_in_percent_formatted_cells_and_text_amounts",
        file: "财政局科技投入.xlsx",
        unit: "czj",
        period: "2020-10",
        sheet: "财政局",
        figures: vec![
            ("T2.6-02", Some(0.0), Some(1250.0)),
            ("T2.7-01", Some(310.0), Some(3260.5)),
            ("T2.7-02", None, Some(0.48)),
            ("T2.7-03", None, Some(0.41)),
            ("T2.7-04", None, Some(2.1)),
        ],
        alarms: vec![],
    };
    check(&t, &czj_percent_cells());
}

/// 渭源县: a title naming nobody, 9月 and 10月 side by side over 当月 | 累计, the 10月 累计 a formula with its
/// saved result, dashes and slashes for nothing, the 填报单位 line under the table with 填报人 and 填报日期.
fn weiyuan_side_by_side() -> Vec<u8> {
    use rust_xlsxwriter::Formula;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        8,
        "创新助力拓存创增工作进展情况统计表（2020年10月）",
    );
    merge(ws, 1, 0, 2, 0, "序号");
    merge(ws, 1, 1, 2, 1, "指标名称");
    merge(ws, 1, 2, 2, 2, "单位");
    merge(ws, 1, 3, 2, 3, "全年目标");
    merge(ws, 1, 4, 1, 5, "9月");
    merge(ws, 1, 6, 1, 7, "10月");
    merge(ws, 1, 8, 2, 8, "备注");
    write_row(
        ws,
        2,
        &[E, E, E, E, S("当月"), S("累计"), S("当月"), S("累计")],
    );
    let rows: &[(&str, &str, f64, f64, f64, f64)] = &[
        ("申请专利", "件", 60.0, 4.0, 44.0, 5.0),
        ("授权专利", "件", 25.0, 1.0, 17.0, 2.0),
        ("转化科技成果", "项", 4.0, 0.0, 2.0, 1.0),
    ];
    for (i, &(name, unit, target, sep_m, sep_c, oct_m)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        write_row(
            ws,
            r,
            &[
                N(i as f64 + 1.0),
                S(name),
                S(unit),
                N(target),
                N(sep_m),
                N(sep_c),
                N(oct_m),
            ],
        );
        ws.write_formula(
            r,
            7,
            Formula::new(format!("=F{}+G{}", r + 1, r + 1))
                .set_result(format!("{}", sep_c + oct_m)),
        )
        .unwrap();
    }
    write_row(
        ws,
        6,
        &[
            N(4.0),
            S("培育科技型企业上市"),
            S("家"),
            N(0.0),
            S("——"),
            S("/"),
            S("—"),
            S("/"),
        ],
    );
    write_row(
        ws,
        8,
        &[S(
            "填报单位：渭源县科技局    填报人：李娜    填报日期：2020年11月4日",
        )],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn september_and_october_side_by_side_with_the_unit_under_the_table() {
    let t = Truth {
        case: "september_and_october_side_by_side_with_the_unit_under_the_table",
        file: "进展情况统计表.xlsx",
        unit: "weiyuan",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(5.0), Some(49.0)),
            ("T2.4-02", Some(2.0), Some(19.0)),
            ("T2.8-02", Some(1.0), Some(3.0)),
            ("T2.9-01", None, None),
        ],
        alarms: vec![],
    };
    let r = check(&t, &weiyuan_side_by_side());
    assert_eq!(
        cells_of(&r, "weiyuan", "T2.4-02"),
        ("Sheet1".into(), "G5".into(), "H5".into())
    );
}

/// 通渭县's return filled in by its market regulation bureau: 填报单位：通渭县市场监管局 (市场监管局 is also an
/// alias of the city's bureau), the county's patent rows only.
fn tongwei_by_its_bureau() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("知识产权").unwrap();
    merge(ws, 0, 0, 0, 4, "2020年10月知识产权指标完成情况");
    write_row(ws, 1, &[S("填报单位：通渭县市场监管局")]);
    write_row(
        ws,
        2,
        &[
            S("指标"),
            S("单位"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    write_row(ws, 3, &[S("申请专利"), S("件"), N(7.0), N(77.0)]);
    write_row(ws, 4, &[S("授权专利"), S("件"), N(3.0), N(28.0)]);
    write_row(ws, 5, &[S("其中：发明专利授权"), S("件"), N(1.0), N(10.0)]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_county_return_filled_in_by_its_market_regulation_bureau() {
    let t = Truth {
        case: "a_county_return_filled_in_by_its_market_regulation_bureau",
        file: "知识产权指标（10月）.xlsx",
        unit: "tongwei",
        period: "2020-10",
        sheet: "知识产权",
        figures: vec![
            ("T2.4-01", Some(7.0), Some(77.0)),
            ("T2.4-02", Some(3.0), Some(28.0)),
            ("T2.4-03", Some(1.0), Some(10.0)),
        ],
        alarms: vec![],
    };
    check(&t, &tongwei_by_its_bureau());
}

/// 市科技局: a covering letter above the table, 重点任务 telling apart two indicators the plan words alike
/// (入库备案国家科技型中小企业 in 2.2 and 2.5, 高新技术产业增加值占工业增加值比重 in 2.5 and 3.7), indicators copied
/// with their targets (新申报高新技术企业5家, 认定高新技术企业2-3家), a 说明 under the table.
fn kjj_letter() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    write_row(ws, 0, &[S("定西市科学技术局")]);
    write_row(
        ws,
        1,
        &[S("关于报送2020年10月份创新助力拓存创增工作进展情况的报告")],
    );
    write_row(
        ws,
        2,
        &[S(
            "市政府办公室：根据《实施方案》要求，现将我局牵头的各项指标10月份完成情况报送如下，请审阅。",
        )],
    );
    write_row(
        ws,
        4,
        &[
            S("序号"),
            S("重点任务"),
            S("指标名称"),
            S("计量单位"),
            S("本月完成"),
            S("累计完成"),
            S("进展情况"),
        ],
    );
    let rows: &[&[V]] = &[
        &[
            S("（一）"),
            S("建设陇西省级创新型试点县"),
            S("新申报高新技术企业5家"),
            S("家"),
            N(1.0),
            N(4.0),
        ],
        &[
            E,
            S("建设陇西省级创新型试点县"),
            S("认定高新技术企业2-3家"),
            S("家"),
            N(0.0),
            N(2.0),
        ],
        &[
            E,
            S("建设陇西省级创新型试点县"),
            S("入库备案国家科技型中小企业"),
            S("家"),
            N(2.0),
            N(14.0),
        ],
        &[
            S("（二）"),
            S("支持科技型中小企业发展"),
            S("入库备案国家科技型中小企业"),
            S("家"),
            N(5.0),
            N(52.0),
        ],
        &[
            E,
            S("支持科技型中小企业发展"),
            S("高新技术产业增加值占工业增加值比重"),
            S("%"),
            E,
            N(20.5),
        ],
        &[
            S("（三）"),
            S("争取创建陇西省级高新技术产业开发区"),
            S("高新技术产业增加值占工业增加值比重"),
            S("%"),
            E,
            N(9.8),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 5 + i as u32, row);
    }
    write_row(
        ws,
        12,
        &[S("说明：比重为1-9月数据，10月数据统计部门尚未发布。")],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_covering_letter_above_a_table_whose_tasks_tell_alike_indicators_apart() {
    let t = Truth {
        case: "a_covering_letter_above_a_table_whose_tasks_tell_alike_indicators_apart",
        file: "市科技局10月份进展.xlsx",
        unit: "kjj",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.2-03", Some(1.0), Some(4.0)),
            ("T2.2-04", Some(0.0), Some(2.0)),
            ("T2.2-05", Some(2.0), Some(14.0)),
            ("T2.5-04", Some(5.0), Some(52.0)),
            ("T2.5-05", None, Some(20.5)),
            ("T3.7-07", None, Some(9.8)),
        ],
        alarms: vec![],
    };
    check(&t, &kjj_letter());
}

/// 临洮县: 工作任务 | 年度任务 (the target, titled as a task) | 10月份 | 1-10月份 | 责任单位, the indicator merged
/// across two columns, and a second sheet listing the county's high-tech enterprises.
fn lintao_task_titled_target() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("进展").unwrap();
    merge(ws, 0, 0, 0, 6, "临洮县2020年创新助力拓存创增工作任务进展表");
    write_row(
        ws,
        1,
        &[
            S("报送单位：临洮县人民政府办公室"),
            E,
            E,
            E,
            S("填报时间：2020年11月2日"),
        ],
    );
    write_row(
        ws,
        2,
        &[
            S("序号"),
            S("工作任务"),
            E,
            S("年度任务"),
            S("10月份"),
            S("1-10月份"),
            S("责任单位"),
        ],
    );
    merge(ws, 2, 1, 2, 2, "工作任务");
    let rows: &[(&str, &str, f64, f64, f64)] = &[
        ("申请专利", "件", 110.0, 10.0, 92.0),
        ("授权专利", "件", 45.0, 4.0, 38.0),
        ("新增省级技术转移示范机构", "家", 1.0, 0.0, 1.0),
        ("科技特派员总数", "名", 200.0, 3.0, 196.0),
    ];
    for (i, &(name, unit, target, m, c)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        merge(ws, r, 1, r, 2, &format!("{name}（{unit}）"));
        write_row(
            ws,
            r,
            &[
                N(i as f64 + 1.0),
                E,
                E,
                N(target),
                N(m),
                N(c),
                S("县科技局"),
            ],
        );
    }
    let list = wb.add_worksheet().set_name("附表").unwrap();
    write_row(list, 0, &[S("临洮县高新技术企业名单")]);
    write_row(
        list,
        1,
        &[S("序号"), S("企业名称"), S("认定时间"), S("备注")],
    );
    write_row(
        list,
        2,
        &[
            N(1.0),
            S("甘肃某某药业有限公司"),
            S("2019年11月"),
            S("复审"),
        ],
    );
    write_row(
        list,
        3,
        &[
            N(2.0),
            S("临洮某某农业科技有限公司"),
            S("2020年10月"),
            S("新认定"),
        ],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_target_column_titled_as_a_task_and_an_enterprise_list_sheet() {
    let t = Truth {
        case: "a_target_column_titled_as_a_task_and_an_enterprise_list_sheet",
        file: "临洮县10月份工作进展.xlsx",
        unit: "lintao",
        period: "2020-10",
        sheet: "进展",
        figures: vec![
            ("T2.4-01", Some(10.0), Some(92.0)),
            ("T2.4-02", Some(4.0), Some(38.0)),
            ("T2.8-03", Some(0.0), Some(1.0)),
            ("T2.10-04", Some(3.0), Some(196.0)),
        ],
        alarms: vec![],
    };
    check(&t, &lintao_task_titled_target());
}

/// 市财政局: 单位：万元 in the title over rows whose unit is 万元 already (nothing to convert), a 合计 row, and the
/// unit written as 定西市财政局办公室.
fn czj_wanyuan_rows() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(ws, 0, 0, 0, 4, "财政科技投入情况表（单位：万元）");
    write_row(
        ws,
        1,
        &[
            S("填报单位（盖章）：定西市财政局办公室"),
            E,
            E,
            S("2020年10月"),
        ],
    );
    write_row(
        ws,
        2,
        &[S("项目"), S("指标编码"), S("本月"), S("累计"), S("备注")],
    );
    write_row(
        ws,
        3,
        &[
            S("争取中央引导地方科技发展专项资金"),
            S("T2.6-02"),
            N(120.0),
            N(1370.0),
        ],
    );
    write_row(
        ws,
        4,
        &[S("全市财政科技投入"), S("T2.7-01"), N(280.0), N(3540.5)],
    );
    write_row(ws, 5, &[S("合计"), E, N(400.0), N(4910.5)]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_wanyuan_heading_over_wanyuan_rows_changes_nothing() {
    let t = Truth {
        case: "a_wanyuan_heading_over_wanyuan_rows_changes_nothing",
        file: "财政局.xlsx",
        unit: "czj",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.6-02", Some(120.0), Some(1370.0)),
            ("T2.7-01", Some(280.0), Some(3540.5)),
        ],
        alarms: vec![],
    };
    check(&t, &czj_wanyuan_rows());
}

/// 岷县: 全年目标 | 本月计划 | 本月完成 | 上月累计 | 本月累计 | 累计完成率: the plan and last month's total sit left of
/// the figures and must not be taken for them; 小 计 and 合　计 spaced out.
fn minxian_plan_and_last_month() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(ws, 0, 0, 0, 7, "岷县2020年10月份科技创新重点指标推进情况");
    write_row(
        ws,
        1,
        &[S("填报单位：岷县科技局"), E, E, E, E, S("联系人：杨军")],
    );
    write_row(
        ws,
        2,
        &[
            S("指标名称"),
            S("计量单位"),
            S("全年目标"),
            S("本月计划"),
            S("本月完成"),
            S("上月累计"),
            S("本月累计"),
            S("累计完成率"),
        ],
    );
    let rows: &[&[V]] = &[
        &[
            S("申请专利"),
            S("件"),
            N(50.0),
            N(5.0),
            N(4.0),
            N(38.0),
            N(42.0),
            S("84%"),
        ],
        &[
            S("授权专利"),
            S("件"),
            N(20.0),
            N(2.0),
            N(2.0),
            N(14.0),
            N(16.0),
            S("80%"),
        ],
        &[S("小 计"), E, N(70.0), N(7.0), N(6.0), N(52.0), N(58.0)],
        &[
            S("科技领军人才"),
            S("名"),
            N(9.0),
            N(1.0),
            N(1.0),
            N(7.0),
            N(8.0),
            S("88.9%"),
        ],
        &[S("合　计"), E, N(79.0), N(8.0), N(7.0), N(59.0), N(66.0)],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_monthly_plan_and_last_months_total_beside_the_figures() {
    let t = Truth {
        case: "a_monthly_plan_and_last_months_total_beside_the_figures",
        file: "岷县10月.xlsx",
        unit: "minxian",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(4.0), Some(42.0)),
            ("T2.4-02", Some(2.0), Some(16.0)),
            ("T2.10-02", Some(1.0), Some(8.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &minxian_plan_and_last_month());
    assert_eq!(
        cells_of(&r, "minxian", "T2.10-02"),
        ("Sheet1".into(), "E7".into(), "G7".into())
    );
}

/// 市科技局's table for the 陇西 pilot county task: the title is the task's own title (建设陇西省级创新型试点县…),
/// which names 陇西 as a place, not as the sender; no 填报单位 line; the sender only in the file name; the
/// indicator column titled 任务名称.
fn kjj_pilot_county() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        4,
        "建设陇西省级创新型试点县工作进展情况（2020年10月）",
    );
    write_row(
        ws,
        2,
        &[
            S("任务名称"),
            S("单位"),
            S("本月完成"),
            S("累计完成"),
            S("进展情况"),
        ],
    );
    write_row(ws, 3, &[S("新申报高新技术企业"), S("家"), N(1.0), N(5.0)]);
    write_row(ws, 4, &[S("认定高新技术企业"), S("家"), N(1.0), N(3.0)]);
    write_row(
        ws,
        5,
        &[S("入库备案国家科技型中小企业"), S("家"), N(0.0), N(16.0)],
    );
    write_row(
        ws,
        6,
        &[
            S("细化完善《陇西创新型试点县实施方案》"),
            E,
            E,
            E,
            S("已完成"),
        ],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_title_naming_a_county_as_the_place_of_a_task_does_not_make_it_the_sender() {
    let t = Truth {
        case: "a_title_naming_a_county_as_the_place_of_a_task_does_not_make_it_the_sender",
        file: "市科技局试点县进展.xlsx",
        unit: "kjj",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.2-03", Some(1.0), Some(5.0)),
            ("T2.2-04", Some(1.0), Some(3.0)),
            ("T2.2-05", Some(0.0), Some(16.0)),
        ],
        alarms: vec![],
    };
    check(&t, &kjj_pilot_county());
}

/// 漳县: figures typed with remarks and other scales: 42（其中发明5件）, ０．５ full width, 1家（新增）, 0.012万 in a
/// 名 row (120 people).
fn zhangxian_remarked_figures() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    write_row(ws, 0, &[S("漳县2020年10月创新助力拓存创增工作进展")]);
    write_row(
        ws,
        1,
        &[S("指标名称"), S("计量单位"), S("本月完成"), S("累计完成")],
    );
    write_row(
        ws,
        2,
        &[S("申请专利"), S("件"), N(4.0), S("42（其中发明5件）")],
    );
    write_row(
        ws,
        3,
        &[
            S("全市技术市场合同交易额"),
            S("亿元"),
            S("０．０５"),
            S("０．５"),
        ],
    );
    write_row(
        ws,
        4,
        &[
            S("新增省级技术转移示范机构"),
            S("家"),
            N(0.0),
            S("1家（新增）"),
        ],
    );
    write_row(ws, 5, &[S("科技特派员总数"), S("名"), N(0.0), S("0.012万")]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn figures_typed_with_remarks_and_full_width_decimals() {
    let t = Truth {
        case: "figures_typed_with_remarks_and_full_width_decimals",
        file: "漳县.xlsx",
        unit: "zhangxian",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(4.0), Some(42.0)),
            ("T2.8-04", Some(0.05), Some(0.5)),
            ("T2.8-03", Some(0.0), Some(1.0)),
            ("T2.10-04", Some(0.0), Some(120.0)),
        ],
        alarms: vec![],
    };
    check(&t, &zhangxian_remarked_figures());
}

/// 陇西县: indicators in the clerk's own word order (专利申请量, 专利授权量), 其中：发明专利 without 授权, and a row
/// of newly added high-tech enterprises that must not be read as the county's total (高新技术企业总数).
fn longxi_reworded() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        4,
        "陇西县知识产权和科技型企业培育进展（2020年10月）",
    );
    write_row(
        ws,
        1,
        &[S("指标"), S("单位"), S("本月"), S("累计"), S("备注")],
    );
    write_row(ws, 2, &[S("专利申请量"), S("件"), N(9.0), N(105.0)]);
    write_row(ws, 3, &[S("专利授权量"), S("件"), N(4.0), N(45.0)]);
    write_row(ws, 4, &[S("  其中：发明专利"), S("件"), N(1.0), N(13.0)]);
    write_row(ws, 5, &[S("新增高新技术企业"), S("家"), N(1.0), N(2.0)]);
    write_row(ws, 6, &[S("高新技术企业总数"), S("家"), N(1.0), N(9.0)]);
    wb.save_to_buffer().unwrap()
}

#[test]
fn reworded_indicators_and_a_new_count_beside_a_total() {
    let t = Truth {
        case: "reworded_indicators_and_a_new_count_beside_a_total",
        file: "陇西县10月知识产权.xlsx",
        unit: "longxi",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(9.0), Some(105.0)),
            ("T2.4-02", Some(4.0), Some(45.0)),
            ("T2.4-03", Some(1.0), Some(13.0)),
            ("T2.5-01", Some(1.0), Some(9.0)),
        ],
        alarms: vec![("UNKNOWN_INDICATOR", "", "A6")],
    };
    check(&t, &longxi_reworded());
}

/// 定西经开区: the task as a heading merged across the whole table, the topping-out milestone answered in words
/// in the 累计完成 column (已封顶), as clerks answer a milestone whichever column is at hand.
fn kfq_words_in_figure_columns() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        5,
        "定西经济开发区管理委员会2020年10月份重点指标完成情况",
    );
    write_row(
        ws,
        1,
        &[
            S("指标"),
            S("单位"),
            S("年度目标"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    merge(ws, 2, 0, 2, 5, "（一）加快定西省级高新技术产业开发区建设");
    let rows: &[&[V]] = &[
        &[S("新认定高新技术企业"), S("家"), N(1.0), N(0.0), N(1.0)],
        &[S("新增省级创新科研平台"), S("家"), N(3.0), N(0.0), N(2.0)],
        &[S("入库科技型中小企业"), S("家"), N(15.0), N(1.0), N(14.0)],
        &[
            S("定西现代科技产业园完成投资"),
            S("亿元"),
            N(1.3),
            N(0.1),
            N(1.1),
        ],
        &[
            S("年内完成主体封顶"),
            E,
            E,
            E,
            S("已封顶"),
            S("9月28日主体封顶"),
        ],
        &[S("形象进度达到"), S("%"), N(80.0), S("5%"), S("75%")],
    ];
    for (i, row) in rows.iter().enumerate() {
        write_row(ws, 3 + i as u32, row);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_milestone_answered_in_the_figure_column_under_a_merged_task_heading() {
    let t = Truth {
        case: "a_milestone_answered_in_the_figure_column_under_a_merged_task_heading",
        file: "经开区10月份.xlsx",
        unit: "kfq",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.1-01", Some(0.0), Some(1.0)),
            ("T2.1-02", Some(0.0), Some(2.0)),
            ("T2.1-03", Some(1.0), Some(14.0)),
            ("T2.1-04", Some(0.1), Some(1.1)),
            ("T2.1-06", Some(5.0), Some(75.0)),
        ],
        alarms: vec![],
    };
    check(&t, &kfq_words_in_figure_columns());
}

/// 通渭县: the figures table, then a second, narrower table under it for the tasks the county reports in words
/// (重点任务 | 工作进展), as a clerk appends the narrative part of the return.
fn tongwei_two_tables() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(ws, 0, 0, 0, 4, "通渭县2020年10月创新助力拓存创增工作进展");
    write_row(ws, 1, &[S("一、主要指标完成情况")]);
    write_row(
        ws,
        2,
        &[
            S("指标"),
            S("单位"),
            S("本月完成"),
            S("累计完成"),
            S("备注"),
        ],
    );
    write_row(ws, 3, &[S("申请专利"), S("件"), N(5.0), N(61.0)]);
    write_row(ws, 4, &[S("授权专利"), S("件"), N(2.0), N(23.0)]);
    write_row(ws, 5, &[S("科技特派员总数"), S("名"), N(0.0), N(150.0)]);
    write_row(ws, 7, &[S("二、其他工作进展情况")]);
    write_row(ws, 8, &[S("重点任务"), S("工作进展")]);
    write_row(
        ws,
        9,
        &[
            S("积极融入丝绸之路信息港建设"),
            S("县级政务数据共享平台已上线运行。"),
        ],
    );
    write_row(
        ws,
        10,
        &[S("开展新基建领域技术创新"), S("完成5G基站建设12个。")],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_narrative_table_under_the_figures_table() {
    let t = Truth {
        case: "a_narrative_table_under_the_figures_table",
        file: "通渭县10月进展.xlsx",
        unit: "tongwei",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(5.0), Some(61.0)),
            ("T2.4-02", Some(2.0), Some(23.0)),
            ("T2.10-04", Some(0.0), Some(150.0)),
        ],
        alarms: vec![],
    };
    let r = check(&t, &tongwei_two_tables());
    let progress = |code: &str| {
        r["readings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit"] == "tongwei" && x["indicator"] == code)
            .map(|x| x["progress"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(progress("T2.3-N"), "县级政务数据共享平台已上线运行。");
    assert_eq!(progress("T3.8-N"), "完成5G基站建设12个。");
}

/// 安定区: 10月份完成情况 over 进度 | 数量 (the ratio first) and 1-10月累计完成情况 over 数量 | 占年度目标%.
fn anding_month_parents() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    merge(
        ws,
        0,
        0,
        0,
        6,
        "安定区创新助力拓存创增指标完成情况（2020年10月）",
    );
    merge(ws, 1, 0, 2, 0, "指标名称");
    merge(ws, 1, 1, 2, 1, "计量单位");
    merge(ws, 1, 2, 2, 2, "年度目标");
    merge(ws, 1, 3, 1, 4, "10月份完成情况");
    merge(ws, 1, 5, 1, 6, "1-10月累计完成情况");
    write_row(
        ws,
        2,
        &[E, E, E, S("进度"), S("数量"), S("数量"), S("占年度目标%")],
    );
    write_row(
        ws,
        3,
        &[
            S("申请专利"),
            S("件"),
            N(180.0),
            S("5%"),
            N(9.0),
            N(150.0),
            S("83%"),
        ],
    );
    write_row(
        ws,
        4,
        &[
            S("授权专利"),
            S("件"),
            N(70.0),
            S("4%"),
            N(3.0),
            N(52.0),
            S("74%"),
        ],
    );
    wb.save_to_buffer().unwrap()
}

#[test]
fn month_parents_over_a_ratio_and_a_count() {
    let t = Truth {
        case: "month_parents_over_a_ratio_and_a_count",
        file: "安定区.xlsx",
        unit: "anding",
        period: "2020-10",
        sheet: "Sheet1",
        figures: vec![
            ("T2.4-01", Some(9.0), Some(150.0)),
            ("T2.4-02", Some(3.0), Some(52.0)),
        ],
        alarms: vec![],
    };
    check(&t, &anding_month_parents());
}
