//! `huizong demo`: a realistic sample workspace built from the built-in Dingxi plan, then run.
//!
//! The filled returns are the forms of `forms` with plausible figures that add up (county shares sum to the
//! lead's city figure, cumulative figures grow month by month), plus the mistakes people really make.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Formula, Workbook};

use crate::cli::Outcome;
use crate::error::Error;
use crate::forms::{self, DATA_SHEET, HEADER_ROW, col};
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::{IndicatorKind, RowRole};
use crate::settings::Settings;
use crate::workspace::Workspace;

/// The Dingxi plan shipped with huizong.
pub const BUILTIN_PLAN: &str = include_str!("../templates/plan.toml");

/// What to write into one cell of a filled return.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// Text, written as text whatever it looks like.
    Text(String),
    /// A formula and the result saved with it (an error value such as `#DIV/0!`, or a number as text).
    Formula(String, String),
    /// Nothing: leave the cell blank.
    Blank,
}

/// One change to a return, by indicator code and header column.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// 指标编码 of the row.
    pub code: String,
    /// The column, one of [`forms::col`].
    pub column: u16,
    /// What to write.
    pub value: Value,
}

impl Edit {
    /// Writes `value` into `column` of the row `code`.
    pub fn new(code: &str, column: u16, value: Value) -> Edit {
        Edit {
            code: code.to_string(),
            column,
            value,
        }
    }
}

/// A deterministic stand-in for chance: the same key always gives the same number in [0, 1).
fn jitter(key: &str) -> f64 {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The cumulative figure a unit reports for an indicator by the end of `period`, on track and adding up.
///
/// The city figure never falls from month to month; each month's increase is split among the counties (rounded
/// down, the last county taking the remainder), so county shares never fall either and always sum to the city.
pub fn cumulative(catalogue: &Catalogue, unit: &str, code: &str, period: Period) -> Option<f64> {
    let (task, ind) = catalogue.indicator(code)?;
    if ind.kind == IndicatorKind::Milestone {
        return None;
    }
    if unit == task.units[0] {
        return Some(city_figure(ind, code, period.month));
    }
    let pos = ind.counties.iter().position(|c| c == unit)?;
    let weights: Vec<f64> = ind
        .counties
        .iter()
        .map(|c| 1.0 + jitter(&format!("{c}{code}")))
        .collect();
    let total: f64 = weights.iter().sum();
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    let floor = |v: f64| {
        if ind.kind == IndicatorKind::Amount {
            (v * 100.0).floor() / 100.0
        } else {
            v.floor()
        }
    };
    let mut share = 0.0;
    for month in 1..=period.month {
        let increase = city_figure(ind, code, month)
            - if month > 1 {
                city_figure(ind, code, month - 1)
            } else {
                0.0
            };
        let parts: Vec<f64> = weights
            .iter()
            .map(|w| floor(increase * w / total))
            .collect();
        share += if pos + 1 == parts.len() {
            increase - parts[..pos].iter().sum::<f64>()
        } else {
            parts[pos]
        };
    }
    Some(cents(share))
}

/// The lead's city figure for an indicator at the end of `month`: on track, never falling.
fn city_figure(ind: &crate::plan::model::Indicator, code: &str, month: u32) -> f64 {
    let goal = ind.target.map(|t| t.ceiling()).unwrap_or(100.0);
    let m = f64::from(month);
    let two_places = ind.unit == "亿元" || ind.unit == "%" || ind.kind == IndicatorKind::Ratio;
    let round = |v: f64| {
        if two_places {
            (v * 100.0).round() / 100.0
        } else {
            v.round()
        }
    };
    match ind.kind {
        // Counts round up so that a small target is never behind the pro-rata line by rounding alone.
        IndicatorKind::Count => (goal * m / 12.0 * (1.0 + 0.15 * jitter(code))).ceil(),
        IndicatorKind::Amount => round(goal * m / 12.0 * (1.0 + 0.15 * jitter(code))),
        IndicatorKind::Share | IndicatorKind::Ratio => {
            round(goal * (0.8 + 0.15 * jitter(code)) * (0.9 + 0.01 * m))
        }
        IndicatorKind::Growth if ind.unit == "%" => round(10.0 + 5.0 * jitter(code)),
        IndicatorKind::Growth => round(1000.0 * (1.0 + jitter(code)) * m / 12.0),
        IndicatorKind::Milestone => 0.0,
    }
}

/// A unit's return for `period`, filled with on-track figures, then changed by `edits`; as xlsx bytes.
pub fn filled_return(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    unit: &str,
    edits: &[Edit],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let u = catalogue.unit(unit).ok_or_else(|| {
        rust_xlsxwriter::XlsxError::ParameterError(format!("unknown unit {unit}"))
    })?;
    let mut wb: Workbook = forms::build(catalogue, settings, period, u)?;
    let rows = catalogue.rows_for(unit);
    let ws = wb.worksheet_from_name(DATA_SHEET)?;
    for (i, row) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + i as u32;
        let code = row.code();
        match row.indicator {
            None => {
                ws.write_string(
                    r,
                    col::PROGRESS,
                    format!("{}：按计划推进，本月召开专题会议1次。", row.task.title),
                )?;
            }
            Some(ind) if ind.kind == IndicatorKind::Milestone => {
                ws.write_string(
                    r,
                    col::PROGRESS,
                    if period.month >= 12 {
                        "已完成"
                    } else {
                        "推进中"
                    },
                )?;
            }
            Some(_) => {
                if let Some(cum) = cumulative(catalogue, unit, &code, period) {
                    let before = if period.month > 1 {
                        cumulative(catalogue, unit, &code, period.previous()).unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let additive = row.indicator.is_some_and(|i| i.kind.is_additive());
                    if additive || row.role == RowRole::CountyShare {
                        ws.write_number(
                            r,
                            col::MONTH,
                            ((cum - before).max(0.0) * 100.0).round() / 100.0,
                        )?;
                    }
                    ws.write_number(r, col::CUMULATIVE, cum)?;
                }
            }
        }
        for e in edits.iter().filter(|e| e.code == code) {
            match &e.value {
                Value::Number(n) => ws.write_number(r, e.column, *n)?,
                Value::Text(t) => ws.write_string(r, e.column, t)?,
                Value::Formula(f, result) => {
                    ws.write_formula(r, e.column, Formula::new(f).set_result(result))?
                }
                Value::Blank => ws.write_blank(r, e.column, &rust_xlsxwriter::Format::new())?,
            };
        }
    }
    wb.save_to_buffer()
}

/// Builds the sample workspace in `dir` and runs 2020-10 on it.
pub fn run(dir: &Path) -> Result<Outcome, Error> {
    let ws = Workspace::new(dir);
    let period = Period {
        year: 2020,
        month: 10,
    };
    build(&ws, period)?;
    let result = crate::run::run(&ws, period)?;
    print!("{}", crate::summary::render(&result.report));
    println!("demo workspace: {}", dir.display());
    println!("report: {}", result.report_path.display());
    if let Some(book) = result.workbooks.first() {
        println!("consolidated workbook: {}", book.display());
    }
    println!("feedback: {}", ws.feedback_dir(period).display());
    println!("archive: {}", ws.accepted_dir(period).display());
    println!("rejected: {}", ws.rejected_dir(period).display());
    Ok(Outcome::Success)
}

/// Writes the plan, the forms and a month of realistic returns (with typical mistakes) into a fresh workspace.
pub fn build(ws: &Workspace, period: Period) -> Result<Vec<PathBuf>, Error> {
    if ws.inbox().exists()
        && std::fs::read_dir(ws.inbox())
            .map_err(Error::io(ws.inbox()))?
            .next()
            .is_some()
    {
        return Err(Error::Io {
            path: ws.inbox(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the demo inbox is not empty; choose another --dir or remove it",
            ),
        });
    }
    let plan = ws.plan_path();
    output::write_atomic(&plan, BUILTIN_PLAN.as_bytes())?;
    let catalogue = crate::plan::load(&plan)?;
    let settings = Settings::default();
    forms::write_all(&catalogue, &settings, period, &ws.forms_dir(period))?;
    let inbox = ws.inbox();
    let mut written = Vec::new();
    let xlsx = |unit: &str, edits: &[Edit]| {
        filled_return(&catalogue, &settings, period, unit, edits).map_err(output::xlsx_err(&inbox))
    };
    let mut put = |name: String, bytes: &[u8]| -> Result<(), Error> {
        let path = inbox.join(name);
        output::write_atomic(&path, bytes)?;
        written.push(path);
        Ok(())
    };
    for unit in catalogue.reporting_units() {
        let edits = match unit.code.as_str() {
            "zrzyj" => continue,
            "kfq" => vec![Edit::new(
                "T2.1-04",
                col::CUMULATIVE,
                Value::Text("11500万元".into()),
            )],
            "anding" => vec![Edit::new("T2.8-04", col::CUMULATIVE, Value::Number(4500.0))],
            "lintao" => vec![Edit::new("T2.4-01", col::CUMULATIVE, Value::Number(150.0))],
            "tongwei" => vec![Edit::new(
                "T2.10-01",
                col::CUMULATIVE,
                Value::Text("约6个".into()),
            )],
            "jrb" => vec![Edit::new("T2.9-01", col::TARGET, Value::Text("2".into()))],
            _ => vec![],
        };
        let bytes = xlsx(&unit.code, &edits)?;
        let name = match unit.code.as_str() {
            "longxi" => "陇西县2020年10月进展.xlsx".to_string(),
            _ => forms::file_name(period, unit),
        };
        put(name, &bytes)?;
        if unit.code == "kjj" {
            put("市科技局10月报表（重发）.xlsx".to_string(), &bytes)?;
        }
    }
    let corrupt = xlsx("weiyuan", &[])?;
    let next_period = period.next();
    put(
        format!("{next_period}_gxj_市工信局（提前报送）.xlsx"),
        &filled_return(&catalogue, &settings, next_period, "gxj", &[])
            .map_err(output::xlsx_err(&inbox))?,
    )?;
    put(
        "渭源县10月报表.xlsx".to_string(),
        &corrupt[..corrupt.len() / 2],
    )?;
    Ok(written)
}
