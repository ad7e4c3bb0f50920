//! `huizong demo`: a realistic sample workspace built from the built-in Dingxi plan, then run.
//!
//! The filled returns are the forms of `forms` with plausible figures that add up (county shares sum to the
//! lead's city figure, cumulative figures grow month by month), plus the mistakes people really make.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Formula, Workbook};

use crate::error::Error;
use crate::forms::{self, DATA_SHEET, HEADER_ROW, col};
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::{IndicatorKind, ReportRow, RowRole};
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
pub(crate) fn jitter(key: &str) -> f64 {
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
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    // Whole units for counts, hundredths for amounts.
    let step = if ind.kind == IndicatorKind::Amount {
        0.01
    } else {
        1.0
    };
    let mut share = 0.0;
    for month in 1..=period.month {
        let increase = city_figure(ind, code, month)
            - if month > 1 {
                city_figure(ind, code, month - 1)
            } else {
                0.0
            };
        // Each month's weights differ, so that small increases do not always fall to the same counties.
        let monthly: Vec<f64> = ind
            .counties
            .iter()
            .zip(&weights)
            .map(|(c, w)| w * (1.0 + jitter(&format!("{c}{code}{month}"))))
            .collect();
        share += split(increase, &monthly, step)[pos];
    }
    Some(cents(share))
}

/// Splits `amount` by `weights` in whole `step`s (largest remainder first), so the parts are never negative
/// and always add up to the amount.
fn split(amount: f64, weights: &[f64], step: f64) -> Vec<f64> {
    let units = (amount / step).round().max(0.0) as u64;
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| units as f64 * w / total).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let left = units - parts.iter().sum::<u64>();
    for &i in order.iter().take(left as usize) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| p as f64 * step).collect()
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
    let figures = |row: &ReportRow<'_>| {
        let code = row.code();
        let cum = cumulative(catalogue, unit, &code, period)?;
        let before = if period.month > 1 {
            cumulative(catalogue, unit, &code, period.previous()).unwrap_or(0.0)
        } else {
            0.0
        };
        let additive = row.indicator.is_some_and(|i| i.kind.is_additive());
        let month = (additive || row.role == RowRole::CountyShare)
            .then(|| ((cum - before).max(0.0) * 100.0).round() / 100.0);
        Some((month, cum))
    };
    fill(catalogue, settings, period, unit, &figures, edits)
}

/// Figures for one row of a return: (本月完成 if reported, 累计完成).
pub type Figures<'a> = dyn Fn(&ReportRow<'_>) -> Option<(Option<f64>, f64)> + 'a;

/// A unit's form for `period` filled with `figures`, milestones in progress, narratives written; then `edits`.
pub fn fill(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    unit: &str,
    figures: &Figures<'_>,
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
                if let Some((month, cum)) = figures(row) {
                    if let Some(m) = month {
                        ws.write_number(r, col::MONTH, m)?;
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

/// An .xls return as WPS or old Excel would send it (made by LibreOffice from the gxj form).
const XLS_RETURN: &[u8] = include_bytes!("../templates/demo/2020-10_gxj_市工信局.xls");
/// An .ods return as LibreOffice saves it (made from the jyj form, renamed by its sender).
const ODS_RETURN: &[u8] = include_bytes!("../templates/demo/教育局2020年10月进展.ods");

/// Builds the sample workspace in `dir` and runs September and October 2020 on it, as the office would.
pub fn run(dir: &Path) -> Result<(), Error> {
    let ws = Workspace::new(dir);
    let sep = Period {
        year: 2020,
        month: 9,
    };
    let oct = sep.next();
    prepare(&ws, &[sep, oct])?;
    for period in [sep, oct] {
        drop_month(&ws, period)?;
        let result = crate::run::run(&ws, period)?;
        println!("== {} ==", period.chinese());
        print!("{}", crate::summary::render(&result.report, false));
    }
    println!();
    println!("demo workspace: {}", dir.display());
    println!("  plan:          {}", ws.plan_path().display());
    println!("  forms:         {}", ws.forms_dir(oct).display());
    println!("  report:        {}", ws.report_path(oct).display());
    println!(
        "  consolidated:  {}",
        ws.period_dir(oct)
            .join(crate::consolidate::workbook::file_name(
                &*crate::plan::load(&ws.plan_path())?,
                oct
            ))
            .display()
    );
    println!("  feedback:      {}", ws.feedback_dir(oct).display());
    println!("  archive:       {}", ws.accepted_dir(oct).display());
    println!("  rejected:      {}", ws.rejected_dir(oct).display());
    println!("  still in inbox: {}", ws.inbox().display());
    Ok(())
}

/// Writes the plan and the forms of each period into a fresh workspace.
pub fn prepare(ws: &Workspace, periods: &[Period]) -> Result<(), Error> {
    let inbox = ws.inbox();
    let used = |dir: &Path| std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if used(&inbox) || used(&ws.root.join("outbox")) {
        return Err(Error::Io {
            path: ws.root.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "this folder already holds a workspace; choose another --dir or remove it",
            ),
        });
    }
    std::fs::create_dir_all(&inbox).map_err(Error::io(&inbox))?;
    let plan = ws.plan_path();
    output::write_atomic(&plan, BUILTIN_PLAN.as_bytes())?;
    let catalogue = crate::plan::load(&plan)?;
    for p in periods {
        forms::write_all(&catalogue, &Settings::default(), *p, &ws.forms_dir(*p))?;
    }
    Ok(())
}

/// Drops a month of returns into the inbox, each dated as received: on time on the 3rd of the following
/// month, except the late ones. October carries the mistakes people make.
pub fn drop_month(ws: &Workspace, period: Period) -> Result<Vec<PathBuf>, Error> {
    let catalogue = crate::plan::load(&ws.plan_path())?;
    let settings = Settings::default();
    let inbox = ws.inbox();
    let next = period.next();
    let on_time = received(next, 3, 9);
    let late = received(next, 9, 16);
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8], when: std::time::SystemTime| -> Result<(), Error> {
        let path = inbox.join(name);
        output::write_atomic(&path, bytes)?;
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .map_err(Error::io(&path))?;
        written.push(path);
        Ok(())
    };
    let xlsx = |unit: &str, p: Period, edits: &[Edit]| {
        filled_return(&catalogue, &settings, p, unit, edits).map_err(output::xlsx_err(&inbox))
    };
    let october = period.month == 10;
    for unit in catalogue.reporting_units() {
        let code = unit.code.as_str();
        if october && ["zrzyj", "gxj", "jyj"].contains(&code) {
            continue;
        }
        let edits = match code {
            "kfq" if october => {
                let yi = cumulative(&catalogue, "kfq", "T2.1-04", period).unwrap_or(1.0);
                vec![Edit::new(
                    "T2.1-04",
                    col::CUMULATIVE,
                    Value::Text(format!("{}万元", (yi * 10_000.0).round())),
                )]
            }
            "anding" if october => {
                vec![Edit::new("T2.8-04", col::CUMULATIVE, Value::Number(4500.0))]
            }
            "lintao" if october => {
                vec![Edit::new("T2.4-01", col::CUMULATIVE, Value::Number(150.0))]
            }
            "minxian" if october => {
                let sep =
                    cumulative(&catalogue, "minxian", "T2.5-01", period.previous()).unwrap_or(1.0);
                vec![
                    Edit::new(
                        "T2.5-01",
                        col::CUMULATIVE,
                        Value::Number((sep - 1.0).max(0.0)),
                    ),
                    Edit::new("T2.5-01", col::MONTH, Value::Number(0.0)),
                ]
            }
            "tongwei" if october => {
                let n = cumulative(&catalogue, "tongwei", "T2.10-04", period).unwrap_or(0.0);
                vec![Edit::new(
                    "T2.10-04",
                    col::CUMULATIVE,
                    Value::Text(format!("约{n}名")),
                )]
            }
            "jrb" if october => vec![Edit::new("T2.9-01", col::TARGET, Value::Text("2".into()))],
            "kjj" if october => vec![Edit::new(
                "T2.2-03",
                col::REMARK,
                Value::Text("=HYPERLINK(\"http://x\",\"y\")".into()),
            )],
            _ => vec![],
        };
        let bytes = xlsx(code, period, &edits)?;
        let name = match code {
            "longxi" if october => "陇西县2020年10月进展.xlsx".to_string(),
            _ => forms::file_name(period, unit),
        };
        let when = if october && code == "tongwei" {
            late
        } else {
            on_time
        };
        put(&name, &bytes, when)?;
        if october && code == "kjj" {
            put(
                "市科技局10月报表（重发）.xlsx",
                &bytes,
                received(next, 4, 10),
            )?;
        }
    }
    if october {
        put("2020-10_gxj_市工信局.xls", XLS_RETURN, on_time)?;
        put("教育局2020年10月进展.ods", ODS_RETURN, on_time)?;
        let broken = xlsx("weiyuan", period, &[])?;
        put(
            "渭源县10月报表（补充）.xlsx",
            &broken[..broken.len() / 2],
            received(next, 4, 11),
        )?;
        put(
            &format!("{next}_gxj_市工信局（提前报送）.xlsx"),
            &xlsx("gxj", next, &[])?,
            received(next, 28, 15),
        )?;
        put("~$2020-10_kjj_市科技局.xlsx", b"lock", on_time)?;
    }
    Ok(written)
}

/// `day` of `period`'s month at `hour`:00 China time (UTC+8), as a file time.
fn received(period: Period, day: u32, hour: u32) -> std::time::SystemTime {
    let days = jiff::civil::date(period.year as i16, period.month as i8, day as i8)
        .since(jiff::civil::date(1970, 1, 1))
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0);
    std::time::UNIX_EPOCH
        + std::time::Duration::from_secs((days * 86_400 + (i64::from(hour) - 8) * 3_600) as u64)
}
