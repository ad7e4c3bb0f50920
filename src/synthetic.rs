//! `huizong demo --units N`: a synthetic workspace of the Dingxi plan's shape at any scale, for benchmarks.
//!
//! One lead bureau and N−1 counties; ten tasks of four additive indicators each, every county reporting its
//! share of all forty (so each return has about forty rows) and the lead the city figure, which is the exact
//! sum of the shares. A few percent of returns carry a typical mistake.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use crate::demo::{Edit, Figures, Value, fill, jitter};
use crate::error::Error;
use crate::forms::col;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::{
    Comparator, Indicator, IndicatorKind, PlanInfo, ReportRow, RowRole, Target, Task, Unit,
    UnitKind,
};
use crate::settings::Settings;
use crate::workspace::Workspace;

const TASKS: usize = 10;
const PER_TASK: usize = 4;

/// The synthetic plan: a lead and `units − 1` counties.
pub fn plan(units: usize) -> Catalogue {
    let counties: Vec<Unit> = (1..units.max(2))
        .map(|i| Unit {
            code: format!("c{i:05}"),
            name: format!("第{i:05}县"),
            kind: UnitKind::County,
            email: format!("c{i:05}@synthetic.example.org"),
            aliases: Vec::new(),
            review: None,
        })
        .collect();
    let codes: Vec<String> = counties.iter().map(|c| c.code.clone()).collect();
    let mut all = vec![Unit {
        code: "lead".to_string(),
        name: "市牵头局".to_string(),
        kind: UnitKind::Bureau,
        email: "lead@synthetic.example.org".to_string(),
        aliases: Vec::new(),
        review: None,
    }];
    all.extend(counties);
    let tasks = (1..=TASKS)
        .map(|t| {
            let mut units = vec!["lead".to_string()];
            units.extend(codes.iter().cloned());
            let indicators = (1..=PER_TASK)
                .map(|k| {
                    let code = format!("T2.{t}-{k:02}");
                    let amount = k == PER_TASK;
                    let annual: f64 = codes.iter().map(|c| annual_share(c, &code, amount)).sum();
                    Indicator {
                        code,
                        text: format!("任务{t}指标{k}"),
                        unit: if amount { "亿元" } else { "家" }.to_string(),
                        kind: if amount {
                            IndicatorKind::Amount
                        } else {
                            IndicatorKind::Count
                        },
                        comparator: Comparator::Reach,
                        target: Some(Target::Value((annual * 100.0).round() / 100.0)),
                        baseline: None,
                        deadline: "2020-12-31".to_string(),
                        counties: codes.clone(),
                        review: None,
                    }
                })
                .collect();
            Task {
                code: format!("2.{t}"),
                title: format!("合成任务{t}"),
                units,
                goals: String::new(),
                indicators,
            }
        })
        .collect();
    Catalogue::new(
        PlanInfo {
            id: format!("synthetic-{units}"),
            title: format!("合成计划（{units}个填报单位）"),
            year: 2020,
            office: "合成计划办公室".to_string(),
        },
        all,
        tasks,
    )
}

fn annual_share(county: &str, code: &str, amount: bool) -> f64 {
    let j = jitter(&format!("{county}{code}"));
    if amount {
        ((0.1 + 0.1 * j) * 100.0).round() / 100.0
    } else {
        (10.0 + 10.0 * j).round()
    }
}

/// A county's (month, cumulative) for October: on track, whole units (hundredths for amounts).
fn county_figures(county: &str, code: &str, amount: bool, period: Period) -> (f64, f64) {
    let annual = annual_share(county, code, amount);
    let round = |v: f64| {
        if amount {
            (v * 100.0).round() / 100.0
        } else {
            v.round()
        }
    };
    let cum = round(annual * f64::from(period.month) / 12.0 * 1.05);
    (round(annual / 12.0).min(cum), cum)
}

/// Writes the synthetic plan, settings and one filled return per unit for `period` into `dir`.
pub fn build(dir: &Path, units: usize, period: Period) -> Result<usize, Error> {
    let ws = Workspace::new(dir);
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "this folder is not empty; choose another --dir or remove it",
            ),
        });
    }
    let catalogue = plan(units);
    output::write_atomic(&ws.plan_path(), catalogue.to_toml().as_bytes())?;
    output::write_atomic(
        &ws.settings_path(),
        b"# Synthetic workspace: defaults everywhere.\n",
    )?;
    let settings = Settings::default();
    let inbox = ws.inbox();
    std::fs::create_dir_all(&inbox).map_err(Error::io(&inbox))?;

    // City figures are the sums of the county figures, computed once.
    let mut city: HashMap<String, (f64, f64)> = HashMap::new();
    for (_, ind) in catalogue.indicators() {
        let amount = ind.kind == IndicatorKind::Amount;
        let (m, c) = ind
            .counties
            .iter()
            .map(|u| county_figures(u, &ind.code, amount, period))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        city.insert(
            ind.code.clone(),
            ((m * 100.0).round() / 100.0, (c * 100.0).round() / 100.0),
        );
    }
    let next = period.next();
    let received = jiff::civil::date(next.year as i16, next.month as i8, 2)
        .since(jiff::civil::date(1970, 1, 1))
        .map(|s| i64::from(s.get_days()) as u64 * 86_400)
        .unwrap_or(0);
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(received);
    let codes: Vec<&Unit> = catalogue.reporting_units().collect();
    codes
        .par_iter()
        .enumerate()
        .try_for_each(|(i, unit)| -> Result<(), Error> {
            let figures = |row: &ReportRow<'_>| {
                let ind = row.indicator?;
                match row.role {
                    RowRole::City => city.get(&ind.code).map(|(m, c)| (Some(*m), *c)),
                    _ => {
                        let (m, c) = county_figures(
                            &unit.code,
                            &ind.code,
                            ind.kind == IndicatorKind::Amount,
                            period,
                        );
                        Some((Some(m), c))
                    }
                }
            };
            let edits = mistakes(i, &catalogue, unit, &figures);
            let bytes = fill(&catalogue, &settings, period, &unit.code, &figures, &edits)
                .map_err(output::xlsx_err(&inbox))?;
            let path = inbox.join(crate::forms::file_name(period, unit));
            std::fs::write(&path, bytes).map_err(Error::io(&path))?;
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(when))
                .map_err(Error::io(&path))
        })?;
    Ok(codes.len())
}

/// About 4% of returns carry one typical mistake: a unit written into the cell, an approximation, a blank.
fn mistakes(i: usize, catalogue: &Catalogue, unit: &Unit, figures: &Figures<'_>) -> Vec<Edit> {
    let rows = catalogue.rows_for(&unit.code);
    let Some(row) = rows.get(i % rows.len().max(1)) else {
        return Vec::new();
    };
    let Some((_, cum)) = figures(row) else {
        return Vec::new();
    };
    let code = row.code();
    let unit_of = row.indicator.map_or("", |x| x.unit.as_str());
    match i % 75 {
        7 => vec![Edit::new(
            &code,
            col::CUMULATIVE,
            Value::Text(format!("{}{unit_of}", crate::plan::model::fmt_num(cum))),
        )],
        31 => vec![Edit::new(
            &code,
            col::CUMULATIVE,
            Value::Text(format!("约{}", crate::plan::model::fmt_num(cum))),
        )],
        58 => vec![Edit::new(&code, col::CUMULATIVE, Value::Blank)],
        _ => Vec::new(),
    }
}
