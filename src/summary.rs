//! The one-screen terminal summary of a run.

use std::fmt::Write;

use crate::consolidate::model::{Disposition, Report};
use crate::finding::Code;

/// Most unit lines the summary prints.
const SCREEN: usize = 30;

/// Renders the summary: the file count identity, units × findings by severity, rejected files with reasons.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "period {}: {} files in = {} accepted + {} rejected + {} duplicate + {} superseded + {} other period + {} ignored",
        report.period,
        s.files_in,
        s.accepted,
        s.rejected,
        s.duplicate,
        s.superseded,
        s.other_period,
        s.ignored
    );
    let _ = writeln!(
        out,
        "findings: {} errors, {} warnings, {} info",
        s.errors, s.warnings, s.infos
    );
    let _ = writeln!(
        out,
        "{:<10} {:<9} {:>6} {:>8} {:>5}",
        "unit", "status", "errors", "warnings", "info"
    );
    // A big plan would scroll off the screen: past a screenful, list only the units that need attention.
    let listed: Vec<_> = if report.units.len() <= SCREEN {
        report.units.iter().collect()
    } else {
        report
            .units
            .iter()
            .filter(|u| u.status != "on_time" || u.errors + u.warnings > 0)
            .take(SCREEN)
            .collect()
    };
    for u in &listed {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:>6} {:>8} {:>5}",
            u.code, u.status, u.errors, u.warnings, u.infos
        );
    }
    if listed.len() < report.units.len() {
        let _ = writeln!(
            out,
            "… {} more units not listed (see report.json)",
            report.units.len() - listed.len()
        );
    }
    for f in report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::Rejected)
        .take(SCREEN)
    {
        let _ = writeln!(out, "rejected: {} ({})", f.name, f.reason);
    }
    for f in report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::OtherPeriod)
    {
        let _ = writeln!(out, "left in inbox for {}: {}", f.period, f.name);
    }
    // Files the run could not read (unopenable, vanished, still being written) are named, not silently left.
    let unread = |name: &str| {
        report.findings.iter().any(|x| {
            matches!(x.code, Code::FileUnavailable | Code::FileInProgress) && x.file == name
        })
    };
    for f in report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::Ignored && unread(&f.name))
    {
        let _ = writeln!(out, "not read: {} ({})", f.name, f.reason);
    }
    out
}

/// The completeness table of `huizong status`: one line per expected unit.
pub fn status(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "period {}: returns expected from {} units",
        report.period,
        report.units.len()
    );
    let _ = writeln!(
        out,
        "{:<10} {:<9} {:<20} file",
        "unit", "status", "received"
    );
    for u in &report.units {
        let received = report
            .files
            .iter()
            .find(|f| f.name == u.file && !u.file.is_empty())
            .map(|f| f.received.chars().take(19).collect::<String>())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<20} {}",
            u.code, u.status, received, u.file
        );
    }
    let count = |s: &str| report.units.iter().filter(|u| u.status == s).count();
    let _ = writeln!(
        out,
        "{} on time, {} late, {} missing, {} rejected",
        count("on_time"),
        count("late"),
        count("missing"),
        count("rejected")
    );
    out
}
