//! Validation: every figure of every return against the plan and against the other units' returns.
//!
//! Each family of checks lives in its own file and returns findings; none stops the run.

mod county;
mod history;
mod schedule;
mod values;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use compact_str::CompactString;

use crate::finding::{Code, Finding, Severity};
use crate::ingest::parse::ParsedReturn;
use crate::normalise::MilestoneState;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::RowRole;
use crate::settings::Settings;

pub use county::check_county_sums;
pub use history::{History, check_history};
pub use schedule::{due, elapsed_share, grew, met};

/// Whether a finding puts its figure in doubt: an error on it, or a warning that it is implausible or in the
/// wrong unit. Such a figure counts toward no total, progress or status until the unit corrects or confirms it.
pub fn doubts(f: &Finding) -> bool {
    !f.indicator.is_empty()
        && (f.severity == Severity::Error
            || (f.severity == Severity::Warning
                && matches!(f.code, Code::ImplausibleValue | Code::UnitMismatch)))
}

/// What every reading of a return repeats, made once and shared by them.
pub struct Origin {
    /// The unit that reported them.
    pub unit: Arc<str>,
    /// The file they came from.
    pub file: Arc<str>,
    /// The sheet they came from.
    pub sheet: Arc<str>,
}

impl Origin {
    /// The origin of a return's readings.
    pub fn new(unit: &str, file: &str, sheet: &str) -> Origin {
        Origin {
            unit: unit.into(),
            file: file.into(),
            sheet: sheet.into(),
        }
    }
}

/// One figure taken from a return, ready to consolidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The unit that reported it (shared by all of a return's readings).
    pub unit: Arc<str>,
    /// The 指标编码 (an indicator code, or a task's narrative code).
    pub indicator: CompactString,
    /// City figure, county share or narrative.
    pub role: Role,
    /// 本月完成, when usable.
    pub month: Option<f64>,
    /// 累计完成, when usable.
    pub cumulative: Option<f64>,
    /// A milestone's state.
    pub state: Option<MilestoneState>,
    /// 进展情况 as written.
    pub progress: String,
    /// 备注 as written.
    pub remark: String,
    /// The file it came from (shared, as the unit is).
    pub file: Arc<str>,
    /// The sheet it came from (shared, as the unit is).
    pub sheet: Arc<str>,
    /// A1 cell of 本月完成 (empty when the column is missing).
    pub month_cell: CompactString,
    /// A1 cell of 累计完成 (empty when the column is missing).
    pub cumulative_cell: CompactString,
    /// A1 cell of 进展情况 (empty when the column is missing).
    pub progress_cell: CompactString,
}

impl Reading {
    /// Whether two readings are of one unit: a return's share its unit's text, and are told so without comparing
    /// it (a province's 400,000 readings are walked unit by unit several times a run).
    pub fn same_unit(&self, other: &Reading) -> bool {
        Arc::ptr_eq(&self.unit, &other.unit) || self.unit == other.unit
    }
}

/// [`RowRole`] as it appears in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The lead's city-wide figure.
    City,
    /// A county's own share.
    CountyShare,
    /// A progress narrative.
    Narrative,
}

impl From<RowRole> for Role {
    fn from(r: RowRole) -> Self {
        match r {
            RowRole::City => Role::City,
            RowRole::CountyShare => Role::CountyShare,
            RowRole::Narrative => Role::Narrative,
        }
    }
}

/// A return after its own checks: the figures it gives and what is wrong with them.
#[derive(Debug, Clone)]
pub struct CheckedReturn {
    /// The unit that sent it.
    pub unit: String,
    /// The file's name as received.
    pub file: String,
    /// Its figures.
    pub readings: Vec<Reading>,
    /// Its findings (identification, values, schedule).
    pub findings: Vec<Finding>,
    /// [`hash_readings`] of its readings in the report's order, when known: a return taken from the cache
    /// brings it, so that a run hashes the figures of its new returns alone.
    pub figures: Option<String>,
}

impl CheckedReturn {
    /// The same return under `name`, the name the run knows its file by once it has read them all (the ledger's
    /// name for an archived file, or a name marked as one of two that display alike).
    pub fn renamed(mut self, name: &str) -> CheckedReturn {
        self.figures = None;
        let shared: Arc<str> = name.into();
        for r in self.readings.iter_mut().filter(|r| *r.file == *self.file) {
            r.file = Arc::clone(&shared);
        }
        for f in self.findings.iter_mut().filter(|f| f.file == self.file) {
            f.file = name.to_string();
        }
        self.file = name.to_string();
        self
    }
}

/// What every check needs to know.
pub struct Context<'a> {
    /// The plan.
    pub catalogue: &'a Catalogue,
    /// Tolerances.
    pub settings: &'a Settings,
    /// The month being checked.
    pub period: Period,
}

/// Checks one return's figures against the plan.
pub fn check_return(ret: &ParsedReturn, file: &str, ctx: &Context<'_>) -> CheckedReturn {
    let mut findings: Vec<Finding> = ret
        .findings
        .iter()
        .cloned()
        .map(|mut f| {
            if f.file.is_empty() {
                f.file = file.to_string();
            }
            f
        })
        .collect();
    let readings = values::read_figures(ret, file, ctx, &mut findings);
    schedule::check(&readings, ret, file, ctx, &mut findings);
    CheckedReturn {
        unit: ret.unit.clone(),
        file: file.to_string(),
        readings,
        findings,
        figures: None,
    }
}

/// One unit's readings in a report, known by their [`hash_readings`]: what decides whether a workbook showing
/// them is drawn again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitFigures {
    /// The unit.
    pub unit: Arc<str>,
    /// How many readings it has.
    pub len: usize,
    /// Their hash.
    pub hash: String,
}

/// Each unit's run of `readings` (sorted by unit) with its hash, in order: taken from `known` (a unit's one
/// return's count and hash, which a return from the cache brings) where the run is that return's readings,
/// hashed here otherwise.
pub fn unit_figures(
    readings: &[Reading],
    known: &std::collections::HashMap<String, (usize, String)>,
) -> Vec<UnitFigures> {
    use rayon::prelude::*;
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=readings.len() {
        if i == readings.len() || !readings[i].same_unit(&readings[start]) {
            runs.push(start..i);
            start = i;
        }
    }
    runs.into_par_iter()
        .map(|run| {
            let unit = &readings[run.start].unit;
            // A known return's readings are all of its unit: a run of as many is exactly them.
            let hash = match known.get(&**unit) {
                Some((len, hash)) if *len == run.len() => hash.clone(),
                _ => hash_readings(&readings[run.clone()]),
            };
            UnitFigures {
                unit: Arc::clone(unit),
                len: run.len(),
                hash,
            }
        })
        .collect()
}

/// The hex SHA-256 of figures, fed field by field: the same figures as their JSON would tell apart (and -0 from
/// 0), without writing every number as text. Every field is named, so that a field added to [`Reading`] cannot
/// be left out of what decides a redraw.
pub fn hash_readings<'a, I>(readings: I) -> String
where
    I: IntoIterator<Item = &'a Reading>,
    I::IntoIter: ExactSizeIterator,
{
    fn text(b: &mut Vec<u8>, s: &str) {
        b.extend_from_slice(&(s.len() as u64).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    fn number(b: &mut Vec<u8>, v: Option<f64>) {
        match v {
            None => b.push(0),
            Some(v) => {
                b.push(1);
                b.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
    }
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let readings = readings.into_iter();
    h.update((readings.len() as u64).to_le_bytes());
    // A reading's fields are gathered first and handed over together: the hash's cost per call, not per byte,
    // was most of it.
    let mut b = Vec::with_capacity(512);
    for r in readings {
        let Reading {
            unit,
            indicator,
            role,
            month,
            cumulative,
            state,
            progress,
            remark,
            file,
            sheet,
            month_cell,
            cumulative_cell,
            progress_cell,
        } = r;
        let role = match role {
            Role::City => 0,
            Role::CountyShare => 1,
            Role::Narrative => 2,
        };
        let state = match state {
            None => 0,
            Some(crate::normalise::MilestoneState::NotStarted) => 1,
            Some(crate::normalise::MilestoneState::InProgress) => 2,
            Some(crate::normalise::MilestoneState::Done) => 3,
        };
        b.clear();
        b.extend_from_slice(&[role, state]);
        number(&mut b, *month);
        number(&mut b, *cumulative);
        for t in [
            &**unit,
            indicator,
            progress,
            remark,
            file,
            sheet,
            month_cell,
            cumulative_cell,
            progress_cell,
        ] {
            text(&mut b, t);
        }
        h.update(&b);
    }
    crate::output::hex(&h.finalize())
}
