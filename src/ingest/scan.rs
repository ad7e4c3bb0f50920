//! Listing what is in the inbox and what must be left alone.

use std::path::{Path, PathBuf};

/// What the scan makes of one inbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file to read.
    File(PathBuf),
    /// A symbolic link: never followed out of the inbox.
    Symlink(PathBuf),
    /// Left where it is (lock files, partial downloads, hidden files, folders), with the reason.
    Ignored(PathBuf, &'static str),
}

/// Why a name marks a file that is not (yet) a return, if it does.
pub fn transient(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    if name.starts_with("~$") {
        Some("Office lock file")
    } else if name.starts_with(".~lock.") {
        Some("LibreOffice lock file")
    } else if [".part", ".crdownload", ".tmp", ".download", ".partial"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Some("partial download or temporary file")
    } else if name.starts_with('.') {
        Some("hidden file")
    } else {
        None
    }
}

/// Lists the inbox's entries in name order; the inbox's subfolders are not entered.
pub fn scan(inbox: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for dirent in std::fs::read_dir(inbox)? {
        let dirent = dirent?;
        let path = dirent.path();
        let name = dirent.file_name().to_string_lossy().into_owned();
        let kind = dirent.file_type()?;
        entries.push(if let Some(why) = transient(&name) {
            Entry::Ignored(path, why)
        } else if kind.is_symlink() {
            Entry::Symlink(path)
        } else if kind.is_dir() {
            Entry::Ignored(path, "folder (only files directly in inbox/ are read)")
        } else if kind.is_file() {
            Entry::File(path)
        } else {
            Entry::Ignored(path, "not a regular file")
        });
    }
    entries.sort_by(|a, b| path_of(a).cmp(path_of(b)));
    Ok(entries)
}

/// The path of any entry.
pub fn path_of(e: &Entry) -> &Path {
    match e {
        Entry::File(p) | Entry::Symlink(p) | Entry::Ignored(p, _) => p,
    }
}
