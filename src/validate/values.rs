//! Checks of the cells themselves: present, numeric, in the right unit, consistent within the row.

use std::sync::Arc;

use super::{Context, Origin, Reading};
use crate::finding::{Code, Finding, Severity, a1};
use crate::forms::col;
use crate::ingest::parse::{ParsedReturn, ReturnRow};
use crate::ingest::read::RawValue;
use crate::normalise::{self, Change, Expect, Unusable, fold_text};
use crate::plan::model::{IndicatorKind, ReportRow, RowRole, fmt_num};

/// Reads every expected row of a return into readings, recording what was wrong or changed.
pub(super) fn read_figures(
    ret: &ParsedReturn,
    file: &str,
    ctx: &Context<'_>,
    findings: &mut Vec<Finding>,
) -> Vec<Reading> {
    let expected_rows = ctx.catalogue.rows_for(&ret.unit);
    let mut readings = Vec::with_capacity(expected_rows.len());
    let origin = Origin::new(&ret.unit, file, &ret.sheet);
    for expected in expected_rows {
        let Some(row) = ret.rows.iter().find(|r| expected.has_code(&r.code)) else {
            let code = expected.code();
            findings.push(
                Finding::new(
                    Code::MissingValue,
                    format!(
                        "表中缺少指标“{code} {}”这一行；请按下发的模板补上该行并填写",
                        expected.text()
                    ),
                )
                .unit(&ret.unit)
                .indicator(&code)
                .at(file, &ret.sheet, "")
                .values(expected.text(), ""),
            );
            continue;
        };
        readings.push(read_row(ret, row, &expected, &origin, ctx, findings));
    }
    readings
}

fn read_row(
    ret: &ParsedReturn,
    row: &ReturnRow,
    expected: &ReportRow<'_>,
    origin: &Origin,
    ctx: &Context<'_>,
    findings: &mut Vec<Finding>,
) -> Reading {
    let file = &*origin.file;
    let cell_of = |field: u16| {
        ret.columns
            .get(field)
            .map(|c| a1(row.row, c))
            .unwrap_or_default()
    };
    let here = |code: Code, cell: &str, message: String| {
        Finding::new(code, message)
            .unit(&ret.unit)
            .indicator(&row.code)
            .at(file, &ret.sheet, cell)
    };
    let mut reading = Reading {
        unit: Arc::clone(&origin.unit),
        indicator: row.code.as_str().into(),
        role: expected.role.into(),
        month: None,
        cumulative: None,
        state: None,
        progress: row.progress.clone(),
        remark: row.remark.clone(),
        file: Arc::clone(&origin.file),
        sheet: Arc::clone(&origin.sheet),
        month_cell: cell_of(col::MONTH).into(),
        cumulative_cell: cell_of(col::CUMULATIVE).into(),
        progress_cell: cell_of(col::PROGRESS).into(),
    };

    if ret.columns.get(col::TARGET).is_some() {
        let written = row.target.as_str();
        let want = expected.target_text();
        if !want.is_empty() && !same_target(written, &want) {
            findings.push(
                here(
                    Code::TargetAltered,
                    &cell_of(col::TARGET),
                    format!("年度目标被改为“{written}”，计划目标是“{want}”；年度目标不能自行修改，请恢复原值"),
                )
                .values(want, written.to_string()),
            );
        }
    }

    let Some(indicator) = expected.indicator else {
        if row.progress.trim().is_empty() {
            findings.push(
                here(
                    Code::MissingValue,
                    &cell_of(col::PROGRESS),
                    format!(
                        "任务{}的“进展情况”未填写；请简述本单位本月的工作进展",
                        expected.task.code
                    ),
                )
                .severity(Severity::Warning)
                .values("工作进展文字", ""),
            );
        }
        return reading;
    };

    if indicator.kind == IndicatorKind::Milestone {
        reading.state = normalise::milestone(&row.progress);
        if reading.state.is_none() && expected.role == RowRole::City {
            findings.push(
                here(
                    Code::MissingValue,
                    &cell_of(col::PROGRESS),
                    format!(
                        "节点目标“{}”的“进展情况”未填写；请选择未启动、推进中或已完成",
                        indicator.text
                    ),
                )
                .values("未启动/推进中/已完成", ""),
            );
        }
        return reading;
    }

    let expect = Expect {
        unit: &indicator.unit,
        target: indicator.target.map(|t| t.ceiling()),
    };
    let additive = indicator.kind.is_additive();
    for (field, name, slot) in [
        (col::MONTH, "本月完成", &mut reading.month),
        (col::CUMULATIVE, "累计完成", &mut reading.cumulative),
    ] {
        let cell = ret.columns.get(field).and_then(|_| row_cell(row, field));
        let addr = if field == col::MONTH {
            &reading.month_cell
        } else {
            &reading.cumulative_cell
        };
        // As the cell showed it, for a finding's message: most figures need none.
        let shown = || cell.map(|c| show(&c.value)).unwrap_or_default();
        let required = field == col::CUMULATIVE || additive;
        match normalise::figure(cell, expect) {
            Ok(Some(fig)) => {
                for change in &fig.changes {
                    findings.push(change_finding(change, name, &shown(), fig.value, &indicator.unit, here(Code::ValueNormalised, addr, String::new())));
                }
                if fig.value < 0.0 {
                    findings.push(
                        here(Code::NegativeValue, addr, format!("“{name}”为负数{}；完成数不能为负，请核对", fmt_num(fig.value)))
                            .values("≥0", fmt_num(fig.value)),
                    );
                } else {
                    *slot = Some(fig.value);
                }
            }
            Ok(None) if required && ret.columns.get(field).is_some() => {
                let severity = if field == col::MONTH { Severity::Warning } else { Severity::Error };
                findings.push(
                    here(
                        Code::MissingValue,
                        addr,
                        format!("“{}”的“{name}”未填写；没有进展请填0，不要留空", indicator.text),
                    )
                    .severity(severity)
                    .values(format!("数字（{}）", indicator.unit), ""),
                );
            }
            Ok(None) => {}
            Err(Unusable::NotANumber(t)) => findings.push(
                here(Code::NotANumber, addr, format!("“{name}”填的是“{t}”，不是数字；请只填写数字，文字说明写在“备注”中"))
                    .values(format!("数字（{}）", indicator.unit), t),
            ),
            Err(Unusable::Formula(e)) => findings.push(
                here(
                    Code::FormulaError,
                    addr,
                    match &e {
                        Some(e) => format!("“{name}”是错误值{e}；请改正公式或直接填写数字"),
                        None => format!("“{name}”是公式，但文件中没有保存计算结果；请在Excel中重新计算并保存，或直接填写数字"),
                    },
                )
                .values("数字", e.unwrap_or_else(|| "公式（无结果）".to_string())),
            ),
            Err(Unusable::WrongUnit { written }) => findings.push(
                here(
                    Code::UnitMismatch,
                    addr,
                    format!("“{name}”写的单位是“{written}”，本指标的计量单位是“{}”；请换算成{}后只填数字", indicator.unit, indicator.unit),
                )
                .values(indicator.unit.clone(), shown()),
            ),
            Err(Unusable::LikelyWrongUnit(v)) => findings.push(
                here(
                    Code::UnitMismatch,
                    addr,
                    format!(
                        "“{name}”填了{}，按“{}”计远超年度目标，像是按万元填写的；请换算成{}后重填（例如13000万元填1.3）",
                        fmt_num(v), indicator.unit, indicator.unit
                    ),
                )
                .values(format!("单位：{}", indicator.unit), fmt_num(v)),
            ),
        }
    }
    if additive
        && let (Some(m), Some(c)) = (reading.month, reading.cumulative)
        && m > c + ctx.settings.sum_tolerance
    {
        findings.push(
            here(
                Code::MonthlyCumulativeMismatch,
                &reading.month_cell,
                format!(
                    "本月完成{}大于累计完成{}；累计数应包含本月数，请核对",
                    fmt_num(m),
                    fmt_num(c)
                ),
            )
            .values(format!("≤{}", fmt_num(c)), fmt_num(m)),
        );
    }
    reading
}

fn row_cell(row: &ReturnRow, field: u16) -> Option<&crate::ingest::read::RawCell> {
    match field {
        col::MONTH => row.month.as_ref(),
        _ => row.cumulative.as_ref(),
    }
}

fn change_finding(
    change: &Change,
    name: &str,
    shown: &str,
    value: f64,
    unit: &str,
    base: Finding,
) -> Finding {
    let v = fmt_num(value);
    let (code, message) = match change {
        Change::Cleaned(t) => (
            Code::ValueNormalised,
            format!("“{name}”填的是“{t}”，已按数字{v}读取；今后请只填数字"),
        ),
        Change::Converted(what) => (
            Code::ValueNormalised,
            format!("“{name}”{what}；今后请直接按{unit}填写"),
        ),
        Change::PercentFormat => (
            Code::ValueNormalised,
            format!("“{name}”是百分比格式，已按{v}（%）读取"),
        ),
        Change::PercentGuess => (
            Code::PercentScale,
            format!(
                "“{name}”填了{shown}，像是把{v}%写成了小数，已按{v}%读取；比重请填百分数的数值（80%填80），请核对"
            ),
        ),
        Change::Approximate => (
            Code::ApproximateValue,
            format!("“{name}”填的是约数“{shown}”，已按{v}读取；请填写准确数字"),
        ),
    };
    let mut f = base;
    f.code = code;
    f.severity = code.severity();
    f.message = message;
    f.values(v, shown.to_string())
}

fn show(v: &RawValue) -> String {
    match v {
        RawValue::Number(n) => fmt_num(normalise::excel_round(*n)),
        RawValue::Text(t) => t.trim().to_string(),
        RawValue::Bool(b) => b.to_string().to_uppercase(),
        RawValue::Error(e) => e.clone(),
        RawValue::Empty => String::new(),
    }
}

/// Whether a written 年度目标 says the same as the plan (ignoring spaces, width and the ≥/约 marks' spelling).
fn same_target(written: &str, want: &str) -> bool {
    if written == want {
        return true;
    }
    let key = |s: &str| {
        fold_text(s)
            .replace(">=", "≥")
            .replace(['－', '—', '–'], "-")
    };
    if key(written) == key(want) {
        return true;
    }
    let nums = |s: &str| -> Vec<f64> {
        let k = key(s);
        k.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let (a, b) = (nums(written), nums(want));
    !a.is_empty() && a == b
}
