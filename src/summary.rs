//! The one-screen terminal summary of a run.

use std::fmt::Write;

use crate::consolidate::model::{Disposition, Report};
use crate::display;
use crate::finding::Code;

/// Most unit lines the summary prints.
const SCREEN: usize = 30;

/// The Chinese word for a unit's standing.
pub fn unit_status(status: &str) -> &'static str {
    match status {
        "on_time" => "按时报送",
        "late" => "逾期报送",
        "rejected" => "文件退回",
        _ => "未报送",
    }
}

/// A row with the unit's code in front when `verbose`: names are what people read, codes what they type.
fn with_code(verbose: bool, code: &str, mut row: Vec<String>) -> Vec<String> {
    if verbose {
        row.insert(0, code.to_string());
    }
    row
}

/// Renders the summary: the file count identity, units × findings by severity, rejected files with reasons.
/// Units are listed by name, with their codes when `verbose`.
pub fn render(report: &Report, verbose: bool) -> String {
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
    let mut rows = vec![with_code(
        verbose,
        "编码",
        vec![
            "单位".into(),
            "状态".into(),
            "错误".into(),
            "警告".into(),
            "提示".into(),
        ],
    )];
    for u in &listed {
        rows.push(with_code(
            verbose,
            &u.code,
            vec![
                u.name.clone(),
                unit_status(&u.status).to_string(),
                u.errors.to_string(),
                u.warnings.to_string(),
                u.infos.to_string(),
            ],
        ));
    }
    out.push_str(&display::table(&rows));
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

/// The completeness table of `huizong status`: one line per expected unit, times in the plan's zone `tz`.
pub fn status(report: &Report, tz: jiff::tz::Offset, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "period {}: returns expected from {} units",
        report.period,
        report.units.len()
    );
    let mut rows = vec![with_code(
        verbose,
        "编码",
        vec![
            "单位".into(),
            "状态".into(),
            "收到时间".into(),
            "文件".into(),
        ],
    )];
    for u in &report.units {
        let received = report
            .files
            .iter()
            .find(|f| f.name == u.file && !u.file.is_empty())
            .map(|f| display::time_text(&f.received, tz))
            .unwrap_or_default();
        rows.push(with_code(
            verbose,
            &u.code,
            vec![
                u.name.clone(),
                unit_status(&u.status).to_string(),
                received,
                u.file.clone(),
            ],
        ));
    }
    out.push_str(&display::table(&rows));
    let count = |s: &str| report.units.iter().filter(|u| u.status == s).count();
    let _ = writeln!(
        out,
        "按时{}家，逾期{}家，未报{}家，退回{}家",
        count("on_time"),
        count("late"),
        count("missing"),
        count("rejected")
    );
    out
}
