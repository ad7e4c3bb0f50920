//! The record of every file received, and the moves that archive or quarantine it.
//!
//! The ledger is an append-only JSON-lines file, fsync'd after each run's batch: it needs no server, survives a
//! crash with at most the last partial line lost (skipped when read), and can be read with any text tool.
//! The moves into the archive and quarantine live in [`archive`].

mod archive;

pub use archive::{
    is_reason_file, move_to, read_reason, reason_file_text, reason_path, remove_if_same,
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
        text.push_str(&serde_json::to_string(e).expect("ledger entries serialise"));
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

/// Reads every complete entry; a torn last line from a crash is skipped.
pub fn read(path: &Path) -> Vec<LedgerEntry> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
