//! Completeness: which expected units sent no usable return, and which sent theirs late.

use std::collections::{HashMap, HashSet};

use crate::consolidate::model::{Disposition, FileRecord};
use crate::finding::{Code, Finding};
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::validate::History;
use crate::workspace::Workspace;

/// MISSING_RETURN for each expected unit with no usable return, LATE_RETURN for each one used but received late.
pub fn completeness(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    files: &[FileRecord],
) -> Vec<Finding> {
    let due = crate::forms::deadline(period, settings);
    let mut by_unit: HashMap<(&str, Disposition), &FileRecord> = HashMap::new();
    for f in files {
        by_unit.entry((f.unit.as_str(), f.disposition)).or_insert(f);
    }
    let mut out = Vec::new();
    for unit in catalogue.reporting_units() {
        let mine = |d: Disposition| by_unit.get(&(unit.code.as_str(), d)).copied();
        let message = match (
            mine(Disposition::Accepted),
            mine(Disposition::Rejected),
            mine(Disposition::Ignored),
        ) {
            (Some(f), _, _) if f.late => {
                out.push(
                    Finding::new(
                        Code::LateReturn,
                        format!(
                            "{}的报表应于{due}前报送，实际收到时间为{}；请按时报送",
                            period.chinese(),
                            super::local_time(&f.received, settings)
                        ),
                    )
                    .unit(&unit.code)
                    .at(&f.name, "", "")
                    .values(due.clone(), super::local_time(&f.received, settings)),
                );
                continue;
            }
            (Some(_), _, _) => continue,
            (None, Some(f), _) => format!(
                "报送的“{}”无法使用，视为未报送；请按反馈意见重新报送{}的报表",
                f.name,
                period.chinese()
            ),
            // A file of the unit's sits in the inbox unread: saying nothing arrived would be false.
            (None, None, Some(f)) => format!(
                "已收到“{}”，但暂未能读取，办公室处理后再核对{}的报表；无需重复报送",
                f.name,
                period.chinese()
            ),
            (None, None, None) => format!(
                "尚未收到{}的报表（应于{due}前报送）；请尽快报送",
                period.chinese()
            ),
        };
        out.push(
            Finding::new(Code::MissingReturn, message)
                .unit(&unit.code)
                .values(format!("{}报表", period.chinese()), ""),
        );
    }
    out
}

/// HISTORY_MISSING for each earlier month of the year that was run (its folder or the ledger says so) but whose
/// report can no longer be read: the checks against it were not made.
pub fn missing_history(
    ws: &Workspace,
    period: Period,
    history: &History,
    ledger: &[crate::ledger::LedgerEntry],
) -> Vec<Finding> {
    let recorded: HashSet<&str> = ledger.iter().map(|e| e.period.as_str()).collect();
    (1..period.month)
        .map(|month| Period {
            year: period.year,
            month,
        })
        .filter(|p| history.months.iter().all(|(m, _)| m != p))
        .filter(|p| ws.accepted_dir(*p).is_dir() || recorded.contains(p.to_string().as_str()))
        .map(|p| {
            Finding::new(
                Code::HistoryMissing,
                format!(
                    "{}的汇总结果（outbox/{p}/report.json）缺失或无法读取，与该月比较的检查（累计数减少、突增）本次未做；请重新运行该月：huizong run --period {p}",
                    p.chinese()
                ),
            )
            .values(format!("outbox/{p}/report.json"), "")
        })
        .collect()
}
