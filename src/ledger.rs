//! The record of every file received, and the moves that archive or quarantine it.
//!
//! The ledger is an append-only JSON-lines file, fsync'd after each run's batch: it needs no server, survives a
//! crash with at most the last partial line lost (skipped when read), and can be read with any text tool.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::finding::Code;

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

/// Longest stored file name, in bytes: room under the usual 255-byte limit for ` (NN)` and `.reason.txt`.
const MAX_NAME: usize = 180;

/// A file name safe to create: no path separators or control characters, not hidden, not empty, and short
/// enough for the file system (long names are cut on a character boundary, keeping the extension).
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
    let name = if trimmed.is_empty() {
        "unnamed"
    } else {
        trimmed
    };
    if name.len() <= MAX_NAME {
        return name.to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.len() <= 10)
        .unwrap_or("");
    let mut cut = MAX_NAME - ext.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}.{ext}", &name[..cut])
        .trim_end_matches('.')
        .to_string()
}

/// Whether anything (a file, a folder, even a dangling link) already has this name.
fn taken(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// A path in `dir` for `name` that is neither taken nor in `reserved`: `name`, then `name (2)`, `name (3)` …
/// before the extension. A rejected file's `.reason.txt` must be free too.
pub fn unique_path(
    dir: &Path,
    name: &str,
    reserved: &std::collections::HashSet<PathBuf>,
) -> PathBuf {
    let name = safe_name(name);
    let free = |p: &PathBuf| !taken(p) && !reserved.contains(p) && !taken(&reason_path(p));
    let first = dir.join(&name);
    if free(&first) {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(free)
        .expect("some numbered name is free")
}

/// Moves a file to `to`, refusing to replace anything there. The caller flushes the folders afterwards (once
/// for a whole batch) with [`crate::output::sync_dir`].
pub fn move_to(from: &Path, to: &Path) -> Result<(), Error> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    if taken(to) {
        return Err(Error::io(to)(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the archive already holds a file of this name; nothing was moved",
        )));
    }
    std::fs::rename(from, to).map_err(Error::io(from))
}

/// Where the reason for a rejected file is written: beside it, `<name>.reason.txt`.
pub fn reason_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".reason.txt");
    file.with_file_name(name)
}

/// Whether `path` is the reason file of a file beside it (a received file may be called `x.reason.txt` too).
pub fn is_reason_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(".reason.txt")
        .is_some_and(|of| !of.is_empty() && taken(&path.with_file_name(of)))
}

/// The text of a reason file.
pub fn reason_file_text(name: &str, sha256: &str, code: Option<Code>, reason: &str) -> String {
    let code = code.map(Code::name).unwrap_or("");
    format!(
        "文件：{name}\nSHA-256：{sha256}\n处理结果：未采用（rejected）\n代码：{code}\n原因：{reason}\n"
    )
}

/// The code and reason a reason file records, if it can be read.
pub fn read_reason(path: &Path) -> Option<(Code, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::to_string)
    };
    let code = field("代码：")?;
    let code = Code::ALL.iter().copied().find(|c| c.name() == code)?;
    Some((code, field("原因：")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_and_unique() {
        assert_eq!(safe_name("a/b\u{7}.xlsx"), "a_b_.xlsx");
        assert_eq!(safe_name("..."), "unnamed");
        let long = safe_name(&format!("{}.xlsx", "报".repeat(100)));
        assert!(
            long.len() <= MAX_NAME && long.ends_with("报.xlsx"),
            "{long}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.xlsx"), b"1").unwrap();
        std::os::unix::fs::symlink("/nonexistent", dir.path().join("x (2).xlsx")).unwrap();
        let mut reserved = std::collections::HashSet::new();
        assert_eq!(
            unique_path(dir.path(), "x.xlsx", &reserved),
            dir.path().join("x (3).xlsx")
        );
        reserved.insert(dir.path().join("x (3).xlsx"));
        assert_eq!(
            unique_path(dir.path(), "x.xlsx", &reserved),
            dir.path().join("x (4).xlsx")
        );
    }
}
