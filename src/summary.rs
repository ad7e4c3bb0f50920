//! The one-screen terminal summary of a run.

use std::fmt::Write;

use crate::consolidate::model::{Disposition, Report};

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
    for u in &report.units {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:>6} {:>8} {:>5}",
            u.code, u.status, u.errors, u.warnings, u.infos
        );
    }
    for f in report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::Rejected)
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
    out
}
