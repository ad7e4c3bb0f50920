//! Across months: a unit's figures against its own accepted figures of earlier months of the plan year.

use std::path::Path;

use serde::Deserialize;

use super::{CheckedReturn, Context, Reading};
use crate::display;
use crate::finding::{Code, Finding};
use crate::period::Period;
use crate::plan::model::{IndicatorKind, fmt_num};

/// The accepted figures of earlier months, oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// (month, its readings not in doubt that month) for each earlier month that has a report.
    pub months: Vec<(Period, Vec<Reading>)>,
}

#[derive(Deserialize)]
struct PastReport {
    readings: Vec<Reading>,
    #[serde(default)]
    findings: Vec<Finding>,
}

impl PastReport {
    /// The month's readings without those that were in doubt then: they never counted, so a correction
    /// is not measured against them.
    fn trusted(self) -> Vec<Reading> {
        let doubtful: std::collections::HashSet<(&str, &str)> = self
            .findings
            .iter()
            .filter(|f| super::doubts(f))
            .map(|f| (f.unit.as_str(), f.indicator.as_str()))
            .collect();
        self.readings
            .iter()
            .filter(|r| !doubtful.contains(&(r.unit.as_ref(), r.indicator.as_str())))
            .cloned()
            .collect()
    }
}

impl History {
    /// Loads the readings of every earlier month of `period`'s year from `outbox/<month>/report.json`.
    pub fn load(outbox: &Path, period: Period) -> History {
        let months = (1..period.month)
            .filter_map(|m| {
                let p = Period {
                    year: period.year,
                    month: m,
                };
                let text =
                    std::fs::read_to_string(outbox.join(p.to_string()).join("report.json")).ok()?;
                match serde_json::from_str::<PastReport>(&text) {
                    Ok(r) => Some((p, by_unit_and_indicator(r.trusted()))),
                    Err(e) => {
                        log::warn!("ignoring the {p} report for history: {e}");
                        None
                    }
                }
            })
            .collect();
        History { months }
    }

    /// The figure a unit gave for an indicator in a month, if any (the first, should it have given two).
    pub fn reading(&self, period: Period, unit: &str, indicator: &str) -> Option<&Reading> {
        let (_, rs) = self.months.iter().find(|(p, _)| *p == period)?;
        let at = rs.partition_point(|r| (&*r.unit, r.indicator.as_str()) < (unit, indicator));
        rs.get(at)
            .filter(|r| *r.unit == *unit && r.indicator == indicator)
    }
}

/// A month's readings in the order [`History::reading`] searches them, as its report lists them already: each of
/// a province's 400,000 readings was looked for among as many, one by one.
fn by_unit_and_indicator(mut readings: Vec<Reading>) -> Vec<Reading> {
    let order = |a: &Reading, b: &Reading| {
        (&*a.unit, a.indicator.as_str()).cmp(&(&*b.unit, b.indicator.as_str()))
    };
    if !readings.is_sorted_by(|a, b| order(a, b).is_le()) {
        readings.sort_by(order);
    }
    readings
}

/// Whether an indicator's figure accumulates over the year (so it can neither fall nor jump without cause).
fn cumulative_kind(kind: IndicatorKind, unit: &str) -> bool {
    kind.is_additive() || (kind == IndicatorKind::Growth && unit != "%")
}

/// CUMULATIVE_DECREASED, MONTHLY_CUMULATIVE_MISMATCH against last month, and SPIKE.
pub fn check_history(
    returns: &[CheckedReturn],
    history: &History,
    ctx: &Context<'_>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // The first month of a year has nothing to be measured against.
    if history.months.is_empty() {
        return out;
    }
    let last_month = ctx.period.previous();
    let tol = ctx.settings.sum_tolerance;
    for r in returns.iter().flat_map(|c| c.readings.iter()) {
        let Some((_, ind)) = ctx.catalogue.indicator(&r.indicator) else {
            continue;
        };
        if !cumulative_kind(ind.kind, &ind.unit) {
            continue;
        }
        let Some(now) = r.cumulative else { continue };
        let here = |code: Code, cell: &str, message: String| {
            Finding::new(code, message)
                .unit(&r.unit)
                .indicator(&r.indicator)
                .at(&r.file, &r.sheet, cell)
        };
        if let Some(before) = history
            .reading(last_month, &r.unit, &r.indicator)
            .and_then(|p| p.cumulative)
        {
            if now + tol < before {
                out.push(
                    here(
                        Code::CumulativeDecreased,
                        &r.cumulative_cell,
                        format!(
                            "累计完成{}{}，比上月（{}）的累计{}{}还少；累计数不应减少，请核对本月或说明上月数据的更正情况",
                            fmt_num(now), ind.unit, last_month.chinese(), fmt_num(before), ind.unit
                        ),
                    )
                    .values(format!("≥{}", fmt_num(before)), fmt_num(now)),
                );
            } else if let Some(month) = r.month
                && (before + month - now).abs() > tol
            {
                let expected = crate::normalise::excel_round(before + month);
                out.push(
                    here(
                        Code::MonthlyCumulativeMismatch,
                        &r.cumulative_cell,
                        format!(
                            "上月累计{} + 本月完成{} = {}，但本月累计填了{}；请核对本月数和累计数",
                            fmt_num(before),
                            fmt_num(month),
                            display::figure(expected, &ind.unit),
                            fmt_num(now)
                        ),
                    )
                    .values(display::figure(expected, &ind.unit), fmt_num(now)),
                );
            }
        }
        let Some(month) = r.month else { continue };
        let past: Vec<f64> = history
            .months
            .iter()
            .rev()
            .take(6)
            .filter_map(|(p, _)| {
                history
                    .reading(*p, &r.unit, &r.indicator)
                    .and_then(|x| x.month)
            })
            .collect();
        if past.len() < 2 {
            continue;
        }
        let highest = past.iter().copied().fold(0.0, f64::max);
        let floor = ind.target.map_or(1.0, |t| (t.goal() * 0.1).max(1.0));
        if month > highest * 4.0 && month - highest >= floor {
            out.push(
                here(
                    Code::Spike,
                    &r.month_cell,
                    format!(
                        "本月完成{}{}，远高于本单位前{}个月的月度数（最高{}）；请核对是否多填或把累计数填进了本月",
                        fmt_num(month), ind.unit, past.len(), fmt_num(highest)
                    ),
                )
                .values(format!("≤{}", display::figure(highest * 4.0, &ind.unit)), fmt_num(month)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(unit: &str, indicator: &str, cumulative: f64) -> Reading {
        Reading {
            unit: unit.into(),
            indicator: indicator.into(),
            role: super::super::Role::CountyShare,
            month: None,
            cumulative: Some(cumulative),
            state: None,
            progress: String::new(),
            remark: String::new(),
            file: "f.xlsx".into(),
            sheet: "s".into(),
            month_cell: "F4".into(),
            cumulative_cell: "G4".into(),
            progress_cell: "H4".into(),
        }
    }

    #[test]
    fn a_month_s_figure_is_found_whatever_order_its_report_listed_them_in() {
        let september = Period::new(2020, 9).unwrap();
        let listed = vec![
            reading("longxi", "T2.1-01", 3.0),
            reading("anding", "T2.1-02", 2.0),
            reading("anding", "T2.1-01", 1.0),
            reading("anding", "T2.1-01", 9.0),
        ];
        let history = History {
            months: vec![(september, by_unit_and_indicator(listed))],
        };
        let found = |unit, indicator| {
            history
                .reading(september, unit, indicator)
                .and_then(|r| r.cumulative)
        };
        assert_eq!(found("anding", "T2.1-01"), Some(1.0), "the first of two");
        assert_eq!(found("anding", "T2.1-02"), Some(2.0));
        assert_eq!(found("longxi", "T2.1-01"), Some(3.0));
        assert_eq!(found("longxi", "T2.1-02"), None);
        assert_eq!(found("weiyuan", "T2.1-01"), None);
        let august = Period::new(2020, 8).unwrap();
        assert!(history.reading(august, "anding", "T2.1-01").is_none());
    }
}
