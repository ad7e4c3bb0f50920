//! The report model: what the run found, as data. report.json is this model serialised, and the workbooks
//! only draw it.

use std::collections::HashMap;

use rayon::prelude::*;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::normalise::excel_round;
use crate::plan::model::{Comparator, IndicatorKind, Target};
use crate::validate::{Context, Reading, Role};

/// What became of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Used in this period's consolidation; archived in `accepted/`.
    Accepted,
    /// An older return of a unit that sent a newer one; kept in `accepted/`, not used.
    Superseded,
    /// The same bytes as a file already received; kept in `duplicates/`.
    Duplicate,
    /// Cannot be used; in `rejected/` with a reason beside it.
    Rejected,
    /// A return for another month; left in the inbox for that month's run.
    OtherPeriod,
    /// A lock file, partial download, hidden file or folder; left in the inbox.
    Ignored,
}

impl Disposition {
    /// The word used in reports and the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::Superseded => "superseded",
            Disposition::Duplicate => "duplicate",
            Disposition::Rejected => "rejected",
            Disposition::OtherPeriod => "other_period",
            Disposition::Ignored => "ignored",
        }
    }
}

/// One file seen by the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The name it arrived under.
    pub name: String,
    /// SHA-256 of its bytes (empty for ignored entries).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time when first seen (RFC 3339, UTC).
    pub received: String,
    /// Detected format.
    pub format: String,
    /// Unit code, when identified.
    pub unit: String,
    /// Period, when identified.
    pub period: String,
    /// What became of it.
    pub disposition: Disposition,
    /// Why, for a person.
    pub reason: String,
    /// Where it is now, relative to the workspace.
    pub location: String,
    /// Received after the period's deadline.
    pub late: bool,
}

/// Progress of one indicator for the city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorStatus {
    /// Indicator code.
    pub code: String,
    /// Task code.
    pub task: String,
    /// The indicator's text.
    pub text: String,
    /// Unit of measure.
    pub unit: String,
    /// Count, amount, share …
    pub kind: IndicatorKind,
    /// How the target is compared.
    pub comparator: Comparator,
    /// The annual target.
    pub target: Option<Target>,
    /// The target as people read it.
    pub target_display: String,
    /// What should be done by the end of the month, pro rata.
    pub expected_to_date: Option<f64>,
    /// The lead unit.
    pub lead: String,
    /// The lead's city figure (累计完成).
    pub city: Option<f64>,
    /// The sum of the counties' shares, when every listed county reported a usable figure (none in doubt).
    pub county_sum: Option<f64>,
    /// The milestone's state, as the lead reported it.
    pub state: Option<String>,
    /// city / goal; none while the city figure is unconfirmed.
    pub progress: Option<f64>,
    /// met, on_track, below_target, behind, unconfirmed, not_reported, no_baseline (numeric indicators);
    /// done, in_progress, not_started, overdue, not_reported (milestones).
    pub status: String,
    /// For below_target and behind: how far the city figure is short of what should be done by now.
    pub gap: Option<f64>,
    /// Findings on this indicator.
    pub findings: usize,
}

/// One expected unit's standing for the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitStatus {
    /// Unit code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// on_time, late, missing or rejected.
    pub status: String,
    /// The file used (or rejected).
    pub file: String,
    /// Errors among its findings.
    pub errors: usize,
    /// Warnings among its findings.
    pub warnings: usize,
    /// Infos among its findings.
    pub infos: usize,
}

/// Counts for the summary line: files in = accepted + rejected + duplicate + superseded + other period + ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Every file and entry seen.
    pub files_in: usize,
    /// Used.
    pub accepted: usize,
    /// Quarantined.
    pub rejected: usize,
    /// Byte-identical copies.
    pub duplicate: usize,
    /// Older returns replaced by newer ones.
    pub superseded: usize,
    /// Left for another period's run.
    pub other_period: usize,
    /// Left alone (locks, partial files, folders).
    pub ignored: usize,
    /// Findings that are errors.
    pub errors: usize,
    /// Findings that are warnings.
    pub warnings: usize,
    /// Findings that are infos.
    pub infos: usize,
}

/// The whole run, as written to report.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The plan's id.
    pub plan_id: String,
    /// The period, YYYY-MM.
    pub period: String,
    /// huizong's version.
    pub tool_version: String,
    /// This run's id (differs between runs).
    pub run_id: String,
    /// When this run happened (differs between runs).
    pub run_time: String,
    /// The counts.
    pub summary: Summary,
    /// Every file seen.
    pub files: Vec<FileRecord>,
    /// Every finding, sorted by severity, unit, indicator, file, cell.
    pub findings: Vec<Finding>,
    /// Per indicator, the city's progress.
    pub indicators: Vec<IndicatorStatus>,
    /// Per expected unit, its standing.
    pub units: Vec<UnitStatus>,
    /// Every figure used, in long format.
    pub readings: Vec<Reading>,
    /// The city figures month by month.
    pub trend: Trend,
}

/// The city figure of each numeric indicator for each month of the year so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The months, oldest first, ending with the run's.
    pub months: Vec<String>,
    /// One row per indicator with a target.
    pub rows: Vec<TrendRow>,
    /// Mean of city / target over the additive indicators, per month.
    pub average_progress: Vec<Option<f64>>,
    /// The pro-rata line: month / 12.
    pub pro_rata: Vec<f64>,
}

/// One indicator's city figures by month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRow {
    /// Indicator code.
    pub code: String,
    /// Indicator text.
    pub text: String,
    /// Unit of measure.
    pub unit: String,
    /// The annual target's goal.
    pub goal: f64,
    /// The lead's cumulative figure per month.
    pub values: Vec<Option<f64>>,
}

/// Builds the trend from earlier months' readings and this month's, leaving out this month's figures in doubt.
pub fn trend(
    ctx: &Context<'_>,
    history: &crate::validate::History,
    readings: &[Reading],
    findings: &[Finding],
) -> Trend {
    let doubtful: foldhash::HashSet<(&str, &str)> = findings
        .iter()
        .filter(|f| crate::validate::doubts(f))
        .map(|f| (f.unit.as_str(), f.indicator.as_str()))
        .collect();
    // This month's city figures are taken from the readings in place: a copy of every reading for the sake
    // of a few dozen city rows would double a province's peak memory.
    let mut city: Vec<HashMap<&str, Option<f64>>> = history
        .months
        .iter()
        .map(|(_, rs)| city_figures(rs.iter()))
        .collect();
    // The few city rows are picked out before asking whether each is in doubt.
    city.push(city_figures(readings.iter().filter(|r| {
        r.role == Role::City && !doubtful.contains(&(r.unit.as_ref(), r.indicator.as_str()))
    })));
    let mut rows = Vec::new();
    for (_, ind) in ctx.catalogue.indicators() {
        let Some(target) = ind.target else { continue };
        let values = city
            .iter()
            .map(|m| m.get(ind.code.as_str()).copied().flatten())
            .collect();
        rows.push(TrendRow {
            code: ind.code.clone(),
            text: ind.text.clone(),
            unit: ind.unit.clone(),
            goal: target.goal(),
            values,
        });
    }
    let additive: Vec<&TrendRow> = rows
        .iter()
        .filter(|r| {
            ctx.catalogue
                .indicator(&r.code)
                .is_some_and(|(_, i)| i.kind.is_additive())
                && r.goal > 0.0
        })
        .collect();
    let months: Vec<crate::period::Period> = history
        .months
        .iter()
        .map(|(p, _)| *p)
        .chain([ctx.period])
        .collect();
    let average_progress = (0..months.len())
        .map(|k| {
            let p: Vec<f64> = additive
                .iter()
                .filter_map(|r| r.values[k].map(|v| v / r.goal))
                .collect();
            (!p.is_empty()).then(|| p.iter().sum::<f64>() / p.len() as f64)
        })
        .collect();
    Trend {
        months: months.iter().map(|p| p.to_string()).collect(),
        pro_rata: months.iter().map(|p| f64::from(p.month) / 12.0).collect(),
        rows,
        average_progress,
    }
}

/// The city's cumulative figure of each indicator among `readings`.
fn city_figures<'r>(readings: impl Iterator<Item = &'r Reading>) -> HashMap<&'r str, Option<f64>> {
    readings
        .filter(|r| r.role == Role::City)
        .map(|r| (r.indicator.as_str(), r.cumulative))
        .collect()
}

/// Indexes over a run's readings, findings and files, built once, so that drawing stays linear in their size.
pub struct Lookup<'a> {
    all: &'a [Reading],
    /// Every reading by unit and indicator, built on first use: a run draws each unit's figures from its own
    /// (see `units`), and asks this only of readings whose units do not lie together. foldhash hashes a pair of
    /// short codes in a fraction of SipHash's time, and is seeded per process like it.
    readings: std::sync::OnceLock<foldhash::HashMap<(&'a str, &'a str), &'a Reading>>,
    /// Each unit's readings, when every unit's lie together (a run's do): for drawing a unit's row of figures from
    /// its own few dozen rather than from the whole map, whose entries are far apart in memory. With them, whether
    /// they are sorted by indicator (a run's are), found once here rather than at every look.
    units: Option<foldhash::HashMap<&'a str, (&'a [Reading], bool)>>,
    by_unit: foldhash::HashMap<&'a str, Vec<&'a Finding>>,
    by_indicator: foldhash::HashMap<&'a str, Vec<&'a Finding>>,
    files_by_unit: foldhash::HashMap<&'a str, Vec<&'a FileRecord>>,
    files_by_name: foldhash::HashMap<&'a str, &'a FileRecord>,
}

/// Indicator codes to look up unit after unit, sorted once: each unit's readings are then met in one walk.
pub struct Codes<'c> {
    /// Each code with its place in the order asked.
    sorted: Vec<(&'c str, usize)>,
}

impl<'c> Codes<'c> {
    /// The codes, in the order answers are wanted.
    pub fn new(codes: &[&'c str]) -> Codes<'c> {
        let mut sorted: Vec<(&str, usize)> = codes.iter().copied().zip(0..).collect();
        sorted.sort_unstable();
        Codes { sorted }
    }

    /// `answer` for each code, in the order asked.
    fn in_order<T: Clone>(&self, answer: impl Fn(&str) -> Option<T>) -> Vec<Option<T>> {
        let mut found = vec![None; self.sorted.len()];
        for &(code, k) in &self.sorted {
            found[k] = answer(code);
        }
        found
    }
}

impl<'a> Lookup<'a> {
    /// Indexes the parts of a report.
    pub fn new(
        readings: &'a [Reading],
        findings: &'a [Finding],
        files: &'a [FileRecord],
    ) -> Lookup<'a> {
        let mut by_unit: foldhash::HashMap<&str, Vec<&Finding>> = Default::default();
        let mut by_indicator: foldhash::HashMap<&str, Vec<&Finding>> = Default::default();
        for f in findings {
            by_unit.entry(f.unit.as_str()).or_default().push(f);
            by_indicator
                .entry(f.indicator.as_str())
                .or_default()
                .push(f);
        }
        let mut files_by_unit: foldhash::HashMap<&str, Vec<&FileRecord>> = Default::default();
        for f in files {
            files_by_unit.entry(f.unit.as_str()).or_default().push(f);
        }
        let mut units: Option<foldhash::HashMap<&str, (&[Reading], bool)>> =
            Some(Default::default());
        let mut start = 0;
        let mut sorted = true;
        for i in 1..=readings.len() {
            if i < readings.len() && readings[i].same_unit(&readings[start]) {
                sorted &= readings[i - 1].indicator <= readings[i].indicator;
                continue;
            }
            if let Some(map) = &mut units
                && map
                    .insert(readings[start].unit.as_ref(), (&readings[start..i], sorted))
                    .is_some()
            {
                units = None;
            }
            start = i;
            sorted = true;
        }
        Lookup {
            all: readings,
            readings: std::sync::OnceLock::new(),
            units,
            by_unit,
            by_indicator,
            files_by_unit,
            // Two files may arrive under one name (a correction sent as the same file): the one used wins.
            files_by_name: {
                let mut map: foldhash::HashMap<&str, &FileRecord> = Default::default();
                for f in files {
                    let slot = map.entry(f.name.as_str()).or_insert(f);
                    if f.disposition == Disposition::Accepted {
                        *slot = f;
                    }
                }
                map
            },
        }
    }

    /// Indexes a whole report.
    pub fn of(report: &'a Report) -> Lookup<'a> {
        Lookup::new(&report.readings, &report.findings, &report.files)
    }

    /// A unit's reading of an indicator (or narrative code).
    pub fn reading(&self, unit: &str, indicator: &str) -> Option<&'a Reading> {
        self.readings
            .get_or_init(|| {
                self.all
                    .iter()
                    .map(|r| ((r.unit.as_ref(), r.indicator.as_str()), r))
                    .collect()
            })
            .get(&(unit, indicator))
            .copied()
    }

    /// A unit's readings of each of `codes`, as [`Lookup::reading`] gives them.
    pub fn unit_readings(&self, unit: &str, codes: &Codes<'_>) -> Vec<Option<&'a Reading>> {
        let Some((own, sorted)) = self
            .units
            .as_ref()
            .map(|u| u.get(unit).copied().unwrap_or((&[], true)))
        else {
            return codes.in_order(|c| self.reading(unit, c));
        };
        // A run's readings are sorted by unit and indicator, so one walk beside the sorted codes meets them all:
        // a search for each code took a province's county sheet a tenth of a second.
        if sorted {
            let mut found = vec![None; codes.sorted.len()];
            let mut at = 0;
            for &(code, k) in &codes.sorted {
                while own.get(at).is_some_and(|r| r.indicator.as_str() < code) {
                    at += 1;
                }
                // The later of two readings of one indicator, as the map keeps it; `at` stays at the first, for
                // a code asked twice.
                let run = own[at..].iter().take_while(|r| r.indicator == code);
                found[k] = run.last();
            }
            return found;
        }
        let by_code: foldhash::HashMap<&str, &Reading> =
            own.iter().map(|r| (r.indicator.as_str(), r)).collect();
        codes.in_order(|c| by_code.get(c).copied())
    }

    /// A unit's findings.
    pub fn unit_findings(&self, unit: &str) -> &[&'a Finding] {
        self.by_unit.get(unit).map_or(&[], Vec::as_slice)
    }

    /// An indicator's findings.
    pub fn indicator_findings(&self, code: &str) -> &[&'a Finding] {
        self.by_indicator.get(code).map_or(&[], Vec::as_slice)
    }

    /// The unit's file with this disposition, if any.
    pub fn unit_file(&self, unit: &str, disposition: Disposition) -> Option<&'a FileRecord> {
        self.files_by_unit
            .get(unit)
            .and_then(|fs| fs.iter().find(|f| f.disposition == disposition).copied())
    }

    /// The unit's files with this disposition.
    pub fn unit_files(&self, unit: &str, disposition: Disposition) -> Vec<&'a FileRecord> {
        self.files_by_unit
            .get(unit)
            .map(|fs| {
                fs.iter()
                    .filter(|f| f.disposition == disposition)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A file by the name it arrived under.
    pub fn file(&self, name: &str) -> Option<&'a FileRecord> {
        self.files_by_name.get(name).copied()
    }
}

/// Builds the per-indicator and per-unit tables from the accepted readings and all findings.
pub fn tables(
    ctx: &Context<'_>,
    readings: &[Reading],
    findings: &[Finding],
    files: &[FileRecord],
) -> (Vec<IndicatorStatus>, Vec<UnitStatus>) {
    let lookup = Lookup::new(readings, findings, files);
    let all: Vec<_> = ctx.catalogue.indicators().collect();
    let codes: Vec<&str> = all.iter().map(|(_, ind)| ind.code.as_str()).collect();
    let sorted = Codes::new(&codes);
    // Every reporting unit's reading of every indicator, unit by unit from its own readings (a province's 400,000
    // looked up one by one missed the cache), in `all`'s order.
    let by_unit: foldhash::HashMap<&str, Vec<Option<&Reading>>> = ctx
        .catalogue
        .reporting_units()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|u| (u.code.as_str(), lookup.unit_readings(&u.code, &sorted)))
        .collect();
    let find = |unit: &str, k: usize| {
        by_unit
            .get(unit)
            .map_or_else(|| lookup.reading(unit, codes[k]), |r| r[k])
    };
    let doubtful: foldhash::HashSet<(&str, &str)> = findings
        .iter()
        .filter(|f| crate::validate::doubts(f))
        .map(|f| (f.unit.as_str(), f.indicator.as_str()))
        .collect();
    // A figure in doubt counts toward no total, progress or status until the unit corrects or confirms it.
    let in_doubt: foldhash::HashSet<&str> = doubtful.iter().map(|(unit, _)| *unit).collect();
    // Each county of a list looked up once, whatever the indicators naming it (see `plan::model::distinct`).
    let (lists, list_of) = crate::plan::model::distinct(all.iter().map(|(_, i)| &*i.counties));
    // Each county's readings of every indicator (`None` for a unit that reports nothing), and whether any of
    // its figures is in doubt.
    type Found<'r> = (Option<&'r Vec<Option<&'r Reading>>>, bool);
    let found: Vec<Vec<Found<'_>>> = lists
        .par_iter()
        .map(|list| {
            list.iter()
                .map(|c| (by_unit.get(c.as_str()), in_doubt.contains(c.as_str())))
                .collect()
        })
        .collect();
    let county_sum = |k: usize, counties: &[String]| -> Option<f64> {
        counties
            .iter()
            .zip(&found[list_of[k]])
            .map(|(c, &(of, doubted))| {
                of.map_or_else(|| lookup.reading(c, codes[k]), |of| of[k])
                    .filter(|_| !doubted || !doubtful.contains(&(c.as_str(), codes[k])))
                    .and_then(|r| r.cumulative)
            })
            .sum::<Option<f64>>()
            .map(excel_round)
    };
    // Indicators apart on both cores: each sums a province's ten thousand county figures.
    let indicators = all
        .par_iter()
        .enumerate()
        .map(|(k, &(task, ind))| {
            let lead = task.units[0].clone();
            let city_reading = find(&lead, k).filter(|r| r.role == Role::City);
            let city = city_reading.and_then(|r| r.cumulative);
            // A figure that was written but could not be used (text, negative, wrong unit) is in doubt, not missing.
            let unreadable = city.is_none()
                && lookup.unit_findings(&lead).iter().any(|f| {
                    f.indicator == ind.code
                        && crate::validate::doubts(f)
                        && f.code != crate::finding::Code::MissingValue
                });
            let unconfirmed = ind.kind != IndicatorKind::Milestone
                && (unreadable
                    || (city.is_some() && doubtful.contains(&(lead.as_str(), ind.code.as_str()))));
            let county_sum = if ind.counties.is_empty() {
                None
            } else {
                county_sum(k, &ind.counties)
            };
            let share = crate::validate::elapsed_share(ind, ctx);
            let expected_to_date = ind.target.map(|t| {
                if ind.kind.is_additive() {
                    crate::display::pro_rata_value(t.goal() * share, &ind.unit)
                } else {
                    t.goal()
                }
            });
            let progress = match (city, ind.target) {
                (Some(v), Some(t)) if t.goal() > 0.0 && !unconfirmed => Some(v / t.goal()),
                _ => None,
            };
            let on_indicator = lookup.indicator_findings(&ind.code);
            let n_findings = on_indicator
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .count();
            let behind = on_indicator.iter().any(|f| {
                f.indicator == ind.code
                    && f.unit == lead
                    && f.code == crate::finding::Code::BehindSchedule
            });
            let state = city_reading.and_then(|r| r.state);
            let status = if ind.kind == IndicatorKind::Milestone {
                match state {
                    None => "not_reported",
                    Some(s)
                        if s != crate::normalise::MilestoneState::Done
                            && crate::validate::due(ind, ctx) =>
                    {
                        "overdue"
                    }
                    Some(crate::normalise::MilestoneState::Done) => "done",
                    Some(crate::normalise::MilestoneState::InProgress) => "in_progress",
                    Some(crate::normalise::MilestoneState::NotStarted) => "not_started",
                }
            } else {
                match city {
                    _ if unconfirmed => "unconfirmed",
                    None => "not_reported",
                    Some(_) if ind.kind == IndicatorKind::Growth && ind.baseline.is_none() => {
                        "no_baseline"
                    }
                    Some(v) if ind.kind == IndicatorKind::Growth => match ind.baseline {
                        Some(b) if crate::validate::grew(v, b, ctx) => "met",
                        _ if crate::validate::due(ind, ctx) => "behind",
                        _ => "on_track",
                    },
                    Some(v) if crate::validate::met(ind, v, ctx) => "met",
                    Some(_) if behind => "behind",
                    // A share or ratio is not done bit by bit: below its target it is below target, not on track.
                    Some(_) if !ind.kind.is_additive() && ind.target.is_some() => "below_target",
                    Some(_) => "on_track",
                }
            };
            let gap = match (status, city, expected_to_date) {
                ("below_target" | "behind", Some(v), Some(e))
                    if ind.kind != IndicatorKind::Growth =>
                {
                    Some(crate::display::round(e - v, &ind.unit).max(0.0))
                }
                _ => None,
            };
            IndicatorStatus {
                code: ind.code.clone(),
                task: task.code.clone(),
                text: ind.text.clone(),
                unit: ind.unit.clone(),
                kind: ind.kind,
                comparator: ind.comparator,
                target: ind.target,
                target_display: ind.target_display(),
                expected_to_date,
                lead,
                city,
                county_sum,
                state: state.map(|s| s.chinese().to_string()),
                progress,
                status: status.to_string(),
                gap,
                findings: n_findings,
            }
        })
        .collect();
    let units = ctx
        .catalogue
        .reporting_units()
        .map(|u| {
            let used = lookup.unit_file(&u.code, Disposition::Accepted);
            let rejected = lookup.unit_file(&u.code, Disposition::Rejected);
            let (status, file) = match (used, rejected) {
                (Some(f), _) if f.late => ("late", f.name.clone()),
                (Some(f), _) => ("on_time", f.name.clone()),
                (None, Some(f)) => ("rejected", f.name.clone()),
                (None, None) => ("missing", String::new()),
            };
            let mine = lookup.unit_findings(&u.code);
            let count = |s: Severity| mine.iter().filter(|f| f.severity == s).count();
            UnitStatus {
                code: u.code.clone(),
                name: u.name.clone(),
                status: status.to_string(),
                file,
                errors: count(Severity::Error),
                warnings: count(Severity::Warning),
                infos: count(Severity::Info),
            }
        })
        .collect();
    (indicators, units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(unit: &str, indicator: &str, cumulative: f64) -> Reading {
        Reading {
            unit: unit.into(),
            indicator: indicator.into(),
            role: Role::CountyShare,
            month: None,
            cumulative: Some(cumulative),
            state: None,
            progress: String::new(),
            remark: String::new(),
            file: format!("{unit}.xlsx").into(),
            sheet: "进展填报".into(),
            month_cell: Default::default(),
            cumulative_cell: Default::default(),
            progress_cell: Default::default(),
        }
    }

    #[test]
    fn a_units_readings_come_as_single_lookups_give_them_whether_or_not_units_lie_together() {
        // Out of order and one asked twice, as a sheet's rows may ask.
        let codes = ["T3", "T1", "T9", "T2", "T1"];
        let together = vec![
            reading("a", "T2", 1.0),
            reading("a", "T1", 2.0),
            reading("a", "T2", 3.0),
            reading("b", "T1", 4.0),
        ];
        let apart = vec![
            reading("a", "T2", 1.0),
            reading("b", "T1", 4.0),
            reading("a", "T1", 2.0),
            reading("a", "T2", 3.0),
        ];
        // As a run lays them out: by unit and indicator, a unit's readings searched rather than mapped.
        let sorted = vec![
            reading("a", "T1", 2.0),
            reading("a", "T2", 1.0),
            reading("a", "T2", 3.0),
            reading("b", "T1", 4.0),
        ];
        for readings in [&together, &apart, &sorted] {
            let lookup = Lookup::new(readings, &[], &[]);
            for unit in ["a", "b", "c"] {
                let single: Vec<_> = codes.iter().map(|c| lookup.reading(unit, c)).collect();
                let all = lookup.unit_readings(unit, &Codes::new(&codes));
                assert_eq!(
                    all.iter()
                        .map(|r| r.map(|r| r.cumulative))
                        .collect::<Vec<_>>(),
                    single
                        .iter()
                        .map(|r| r.map(|r| r.cumulative))
                        .collect::<Vec<_>>(),
                    "{unit}"
                );
            }
            // The later of two readings of one indicator.
            assert_eq!(
                lookup.unit_readings("a", &Codes::new(&["T2"]))[0]
                    .unwrap()
                    .cumulative,
                Some(3.0)
            );
        }
        assert!(Lookup::new(&together, &[], &[]).units.is_some());
        assert!(Lookup::new(&apart, &[], &[]).units.is_none());
    }
}
