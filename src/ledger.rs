//! The record of every file received, and the moves that archive or quarantine it.
//!
//! The ledger is an append-only JSON-lines file, fsync'd after each run's batch: it needs no server, survives a
//! crash with at most the last partial line lost (skipped when read), and can be read with any text tool.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// A file name safe to create: no path separators or control characters, not empty.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "unnamed".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A path in `dir` for `name` that does not exist yet: `name`, then `name (2)`, `name (3)` … before the extension.
pub fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let name = safe_name(name);
    let first = dir.join(&name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .expect("some numbered name is free")
}

/// Moves a file into `dir` under a unique name; never overwrites. The caller flushes the folders afterwards
/// (once for a whole batch) with [`crate::output::sync_dir`].
pub fn move_into(from: &Path, dir: &Path) -> Result<PathBuf, Error> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let to = unique_path(dir, &name);
    std::fs::rename(from, &to).map_err(Error::io(from))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_and_unique() {
        assert_eq!(safe_name("a/b\u{7}.xlsx"), "a_b_.xlsx");
        assert_eq!(safe_name("..."), "unnamed");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.xlsx"), b"1").unwrap();
        assert_eq!(
            unique_path(dir.path(), "x.xlsx"),
            dir.path().join("x (2).xlsx")
        );
    }
}
