//! The record of every file received, and the moves that archive or quarantine it.
//!
//! The ledger is an append-only JSON-lines file, fsync'd after each run's batch: it needs no server, survives a
//! crash with at most the last partial line lost (skipped when read), and can be read with any text tool.
//! The moves into the archive and quarantine live in [`archive`].

mod archive;

pub use archive::{
    Reserved, is_reason_file, move_to, read_reason, reason_file_text, reason_path, remove_if_same,
    remove_orphan_reasons, safe_name, unique_path,
};

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One file's fate in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The run that handled it.
    pub run_id: String,
    /// The file's name as received.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Its modification time when first seen (RFC 3339).
    pub first_seen: String,
    /// Unit code, when identified.
    pub unit: String,
    /// Period, when identified.
    pub period: String,
    /// What became of it.
    pub disposition: String,
    /// Why, in the sender's language.
    pub reason: String,
    /// Where it is now, relative to the workspace.
    pub location: String,
    /// How many entries its run appended together (set by [`append`]; 0 in ledgers written before it was kept):
    /// a run that stopped half-way through its append (a full disk) left fewer, and none of them counts.
    #[serde(default)]
    pub batch: usize,
}

/// Appends entries to the ledger and flushes them to disk.
pub fn append(path: &Path, entries: &[LedgerEntry]) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let mut text = String::new();
    for e in entries {
        let e = LedgerEntry {
            batch: entries.len(),
            ..e.clone()
        };
        text.push_str(&serde_json::to_string(&e).expect("ledger entries serialise"));
        text.push('\n');
    }
    // A run killed mid-append leaves a torn last line; start on a fresh line so that only it is lost.
    let torn = std::fs::read(path).is_ok_and(|b| !b.is_empty() && !b.ends_with(b"\n"));
    if torn {
        text.insert(0, '\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(Error::io(path))?;
    f.write_all(text.as_bytes()).map_err(Error::io(path))?;
    f.sync_all().map_err(Error::io(path))
}

/// Reads every entry of every complete batch. A torn line (a crash, a full disk) is skipped, even one cut inside
/// a character; a batch with fewer entries than it announced is left out whole, as its run moved nothing.
pub fn read(path: &Path) -> Vec<LedgerEntry> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let entries: Vec<LedgerEntry> = bytes
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for e in &entries {
        *count.entry(e.run_id.as_str()).or_default() += 1;
    }
    let complete: std::collections::HashSet<String> = entries
        .iter()
        .filter(|e| count[e.run_id.as_str()] >= e.batch)
        .map(|e| e.run_id.clone())
        .collect();
    entries
        .into_iter()
        .filter(|e| complete.contains(&e.run_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(run: &str, name: &str) -> LedgerEntry {
        LedgerEntry {
            run_id: run.to_string(),
            name: name.to_string(),
            sha256: "00".to_string(),
            size: 1,
            first_seen: String::new(),
            unit: String::new(),
            period: "2020-10".to_string(),
            disposition: "accepted".to_string(),
            reason: String::new(),
            location: format!("outbox/2020-10/accepted/{name}"),
            batch: 0,
        }
    }

    #[test]
    fn torn_lines_and_half_written_batches_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        append(&path, &[entry("r1", "甲.xlsx"), entry("r1", "乙.xlsx")]).unwrap();
        append(&path, &[entry("r2", "丙.xlsx"), entry("r2", "丁.xlsx")]).unwrap();
        // The disk filled during r2's append: its second line was cut inside a character.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = "丁".as_bytes();
        let at = bytes.windows(3).rposition(|w| w == last).unwrap();
        bytes.truncate(at + 1);
        std::fs::write(&path, &bytes).unwrap();
        let names: Vec<String> = read(&path).into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["甲.xlsx", "乙.xlsx"]);
        append(&path, &[entry("r3", "戊.xlsx")]).unwrap();
        let names: Vec<String> = read(&path).into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["甲.xlsx", "乙.xlsx", "戊.xlsx"]);
    }
}
