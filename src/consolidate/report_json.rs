//! report.json: pretty JSON as [`crate::display::write_json`] writes it, except that each reading takes one line.
//!
//! A province's report holds 400,000 readings of thirteen fields each. Laid out by serde's pretty printer, one
//! field a line, they made a file of 156 MB at 10,000 returns, whose writing alone took longer than the rest of
//! the report; one line a reading is 30% smaller, and reads well in a pager or grep. Each reading is one fixed
//! shape of short strings and numbers, written here field by field, with strings escaped by serde_json itself
//! wherever they need it; a test holds the result to serde's, value for value.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::model::Report;
use crate::display;
use crate::normalise::MilestoneState;
use crate::validate::{Reading, Role};

/// Writes `report` as pretty JSON, one reading a line; the same JSON values as [`display::write_json`] writes.
pub fn write(w: &mut dyn Write, report: &Report) -> io::Result<()> {
    let Report {
        plan_id,
        period,
        tool_version,
        run_id,
        run_time,
        summary,
        files,
        findings,
        indicators,
        units,
        readings,
        trend,
    } = report;
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    w.write_all(b"{")?;
    field(&mut w, "plan_id", plan_id, true)?;
    field(&mut w, "period", period, false)?;
    field(&mut w, "tool_version", tool_version, false)?;
    field(&mut w, "run_id", run_id, false)?;
    field(&mut w, "run_time", run_time, false)?;
    field(&mut w, "summary", summary, false)?;
    field(&mut w, "files", files, false)?;
    field(&mut w, "findings", findings, false)?;
    field(&mut w, "indicators", indicators, false)?;
    field(&mut w, "units", units, false)?;
    w.write_all(b",\n  \"readings\": ")?;
    write_readings(&mut w, readings)?;
    field(&mut w, "trend", trend, false)?;
    w.write_all(b"\n}")?;
    w.flush()
}

/// One member of the top-level object: its value pretty-printed by serde and set one level in.
fn field<T: Serialize + ?Sized>(
    w: &mut impl Write,
    key: &str,
    value: &T,
    first: bool,
) -> io::Result<()> {
    w.write_all(if first { b"\n  " } else { b",\n  " })?;
    string(w, key)?;
    w.write_all(b": ")?;
    let mut buf = Vec::new();
    display::write_json(&mut buf, value)?;
    // JSON strings hold no raw line breaks: every one in the text is the printer's own.
    for (n, line) in buf.split(|b| *b == b'\n').enumerate() {
        if n > 0 {
            w.write_all(b"\n  ")?;
        }
        w.write_all(line)?;
    }
    Ok(())
}

/// The readings array one level in, one reading a line.
fn write_readings(w: &mut impl Write, readings: &[Reading]) -> io::Result<()> {
    if readings.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    // Written a block at a time: a province's report has 400,000 readings of thirty pieces each, and each piece
    // handed to the writer on its own was a call through `dyn Write`.
    let mut b = Vec::with_capacity(BLOCK + 4096);
    for (n, r) in readings.iter().enumerate() {
        if b.len() >= BLOCK {
            w.write_all(&b)?;
            b.clear();
        }
        let w = &mut b;
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
        w.write_all(if n == 0 { b"\n    {" } else { b",\n    {" })?;
        w.write_all(b"\"unit\": ")?;
        string(w, unit)?;
        w.write_all(b", \"indicator\": ")?;
        string(w, indicator)?;
        w.write_all(b", \"role\": ")?;
        w.write_all(match role {
            Role::City => b"\"city\"",
            Role::CountyShare => b"\"county_share\"",
            Role::Narrative => b"\"narrative\"",
        })?;
        w.write_all(b", \"month\": ")?;
        number(w, *month)?;
        w.write_all(b", \"cumulative\": ")?;
        number(w, *cumulative)?;
        w.write_all(b", \"state\": ")?;
        w.write_all(match state {
            None => b"null",
            Some(MilestoneState::NotStarted) => b"\"not_started\"",
            Some(MilestoneState::InProgress) => b"\"in_progress\"",
            Some(MilestoneState::Done) => b"\"done\"",
        })?;
        w.write_all(b", \"progress\": ")?;
        string(w, progress)?;
        w.write_all(b", \"remark\": ")?;
        string(w, remark)?;
        w.write_all(b", \"file\": ")?;
        string(w, file)?;
        w.write_all(b", \"sheet\": ")?;
        string(w, sheet)?;
        w.write_all(b", \"month_cell\": ")?;
        string(w, month_cell)?;
        w.write_all(b", \"cumulative_cell\": ")?;
        string(w, cumulative_cell)?;
        w.write_all(b", \"progress_cell\": ")?;
        string(w, progress_cell)?;
        w.write_all(b"}")?;
    }
    w.write_all(&b)?;
    w.write_all(b"\n  ]")
}

/// How many bytes of readings are gathered before they are written.
const BLOCK: usize = 1 << 16;

/// A JSON string: as it is between quotes when nothing in it needs escaping (nearly always), else escaped by
/// serde_json.
fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        return serde_json::to_writer(w, s).map_err(io::Error::from);
    }
    w.write_all(b"\"")?;
    w.write_all(s.as_bytes())?;
    w.write_all(b"\"")
}

/// A figure as report.json holds it: to 10 significant digits, and `null` for none (or one JSON cannot hold).
fn number(w: &mut impl Write, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(v) if v.is_finite() => CompactFormatter.write_f64(w, display::significant(v)),
        _ => w.write_all(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidate::model::{Disposition, FileRecord, Trend};

    fn reading(n: usize, text: &str, v: Option<f64>) -> Reading {
        Reading {
            unit: format!("unit{n}").into(),
            indicator: "T2.1-01".into(),
            role: [Role::City, Role::CountyShare, Role::Narrative][n % 3],
            month: v,
            cumulative: v.map(|v| v * 3.0),
            state: [
                None,
                Some(MilestoneState::NotStarted),
                Some(MilestoneState::InProgress),
                Some(MilestoneState::Done),
            ][n % 4],
            progress: text.to_string(),
            remark: text.chars().rev().collect(),
            file: format!("{text}.xlsx").into(),
            sheet: "进展填报".into(),
            month_cell: "F4".into(),
            cumulative_cell: Default::default(),
            progress_cell: "H4".into(),
        }
    }

    fn report(readings: Vec<Reading>) -> Report {
        Report {
            plan_id: "dingxi \"2020\"".to_string(),
            period: "2020-10".to_string(),
            tool_version: "0.1.0".to_string(),
            run_id: "run\\1".to_string(),
            run_time: "2026-11-27T00:00:00Z".to_string(),
            summary: Default::default(),
            files: vec![FileRecord {
                name: "安定区\n10月.xlsx".to_string(),
                sha256: "ab".repeat(32),
                size: 11_067,
                received: "2020-11-02T00:00:00Z".to_string(),
                format: "xlsx".to_string(),
                unit: "anding".to_string(),
                period: "2020-10".to_string(),
                disposition: Disposition::Accepted,
                reason: String::new(),
                location: "outbox/2020-10/accepted/安定区.xlsx".to_string(),
                late: true,
            }],
            findings: Vec::new(),
            indicators: Vec::new(),
            units: Vec::new(),
            readings,
            trend: Trend {
                months: vec!["2020-09".to_string(), "2020-10".to_string()],
                rows: Vec::new(),
                average_progress: vec![None, Some(0.123_456_789_012)],
                pro_rata: vec![0.75, 10.0 / 12.0],
            },
        }
    }

    /// report.json as written here and as serde writes it.
    fn both_ways(report: &Report) -> (String, String) {
        let mut ours = Vec::new();
        write(&mut ours, report).unwrap();
        let mut serde = Vec::new();
        display::write_json(&mut serde, report).unwrap();
        (
            String::from_utf8(ours).unwrap(),
            String::from_utf8(serde).unwrap(),
        )
    }

    /// The text with each reading's object folded onto one line, as this module writes them.
    fn folded(serde: &str) -> String {
        let (head, rest) = serde.split_once("\"readings\": [").unwrap();
        let (readings, tail) = rest.split_once("\n  ]").unwrap_or((rest, ""));
        let one_line = readings
            .replace("{\n      ", "{")
            .replace(",\n      ", ", ")
            .replace("\n    }", "}");
        let close = if tail.is_empty() { "" } else { "\n  ]" };
        format!("{head}\"readings\": [{one_line}{close}{tail}")
    }

    #[test]
    fn report_json_holds_serdes_values_with_one_reading_a_line() {
        let texts = [
            "进展顺利",
            "",
            "quote \" and backslash \\ and slash /",
            "line\nbreak, tab\t, return\r, bell \u{7}, escape \u{1b}, delete \u{7f}",
            "non-characters \u{fffe} \u{ffff}, emoji 😀 and 𠀀",
            " leading and trailing blanks ",
        ];
        let values = [
            Some(1.0),
            None,
            Some(0.1 + 0.2),
            Some(-0.0),
            Some(1e21),
            Some(123_456.789_5),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(2.675e-7),
            Some(-42.0),
            Some(3e15),
            Some(0.924_999_999_999_999_9),
        ];
        // Enough of them to be written in several blocks.
        let readings: Vec<Reading> = (0..texts.len() * values.len() * 30)
            .map(|n| reading(n, texts[n % texts.len()], values[n % values.len()]))
            .collect();
        let count = readings.len();
        let (ours, serde) = both_ways(&report(readings));
        assert!(serde.contains("\\u001b") && serde.contains("0.925") && serde.contains("null"));
        // Every byte as serde's, numbers and escapes included, once its readings are folded onto their lines.
        assert_eq!(ours, folded(&serde));
        let lines: Vec<&str> = ours
            .lines()
            .filter(|l| l.starts_with("    {\"unit\""))
            .collect();
        assert_eq!(lines.len(), count);
        assert!(ours.len() > 4 * BLOCK, "{}", ours.len());
        assert!(lines[0].ends_with("\"progress_cell\": \"H4\"},"));
        let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(parse(&ours), parse(&serde));
        let (ours, serde) = both_ways(&report(Vec::new()));
        assert!(serde.contains("\"readings\": []"));
        assert_eq!(ours, serde);
    }
}
