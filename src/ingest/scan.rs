//! Listing what is in the inbox and what must be left alone.
//!
//! Sub-folders are entered (an unpacked archive is as much a delivery as loose files); symbolic links, to
//! files or folders, are never followed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Deepest sub-folder entered: far beyond any unpacked delivery, and a bound on a hostile tree.
const MAX_DEPTH: usize = 16;

/// What the scan makes of one inbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file to read.
    File(PathBuf),
    /// A symbolic link: never followed out of the inbox.
    Symlink(PathBuf),
    /// Left where it is (lock files, partial downloads, hidden files and folders), with the reason.
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

/// Lists the entries of `dir` and of its sub-folders, in path order. An entry that vanishes while it is listed
/// is left out: the next scan will not see it either.
pub fn scan(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((folder, depth)) = stack.pop() {
        let listing = match std::fs::read_dir(&folder) {
            Ok(l) => l,
            // The top folder must be readable; a sub-folder removed meanwhile is simply gone.
            Err(e) if depth == 0 => return Err(e),
            Err(_) if !folder.exists() => continue,
            Err(_) => {
                entries.push(Entry::Ignored(folder, "folder that cannot be read"));
                continue;
            }
        };
        for dirent in listing {
            let Ok(dirent) = dirent else { continue };
            let path = dirent.path();
            let name = dirent.file_name().to_string_lossy().into_owned();
            let Ok(kind) = dirent.file_type() else {
                continue;
            };
            entries.push(if let Some(why) = transient(&name) {
                Entry::Ignored(path, why)
            } else if kind.is_symlink() {
                Entry::Symlink(path)
            } else if kind.is_dir() && depth < MAX_DEPTH {
                stack.push((path, depth + 1));
                continue;
            } else if kind.is_dir() {
                Entry::Ignored(path, "folder nested too deep")
            } else if kind.is_file() {
                Entry::File(path)
            } else {
                Entry::Ignored(path, "not a regular file")
            });
        }
    }
    entries.sort_by_cached_key(|e| order_key(path_of(e)));
    Ok(entries)
}

/// A key whose byte order is the paths' order (component by component): the components joined by a zero byte,
/// which no name holds and which sorts below every byte that does. Comparing a province's 10,000 paths as
/// components split each of them again at every comparison.
fn order_key(path: &Path) -> Vec<u8> {
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for (n, c) in path.components().enumerate() {
        if n > 0 {
            key.push(0);
        }
        key.extend_from_slice(c.as_os_str().as_encoded_bytes());
    }
    key
}

/// A file name as people read it: UTF-8 as it is, else GB18030 (the GBK names of a Windows zip unpacked on
/// Linux), else each undecodable byte as `\xNN`. Control characters are escaped (`\n`), so that a name can never
/// break a line of the terminal or a report. Two different names never display alike: UTF-8 and GB18030
/// decoding are each one-to-one, and a valid UTF-8 name never takes the GB18030 path.
pub fn display_name(name: &OsStr) -> String {
    let bytes = name.as_encoded_bytes();
    let decoded = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(s) => s.into_owned(),
                None => escape_invalid(bytes),
            }
        }
    };
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Valid UTF-8 runs kept, every other byte written `\xNN`.
fn escape_invalid(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len()).max(1);
                for b in &rest[..bad] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
    out
}

/// A relative path that names exactly one path: UTF-8 parts as they are, any other byte as `\xNN`. Used where
/// a path is looked up again (report locations, the ledger), so that a GBK name and its UTF-8 twin never meet.
pub fn exact_path(path: &Path) -> String {
    path.components()
        .map(|c| escape_invalid(c.as_os_str().as_encoded_bytes()))
        .collect::<Vec<_>>()
        .join("/")
}

/// A relative path as people read it: each part by [`display_name`], joined by `/`.
pub fn display_path(path: &Path) -> String {
    path.components()
        .map(|c| display_name(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

/// The path of any entry.
pub fn path_of(e: &Entry) -> &Path {
    match e {
        Entry::File(p) | Entry::Symlink(p) | Entry::Ignored(p, _) => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn paths_sort_by_their_keys_as_they_sort_by_their_components() {
        let names = [
            "a",
            "a/b",
            "a-b",
            "a-b/x",
            "a/b/c",
            "a.b",
            "ab",
            "a/b-c",
            "a/b/",
            "b",
            "甲县/乙.xlsx",
            "甲县.xlsx",
            "A",
            "a b/c",
            "a\\b",
        ];
        let paths: Vec<std::path::PathBuf> =
            names.iter().map(|n| Path::new("/in").join(n)).collect();
        let mut by_components = paths.clone();
        by_components.sort();
        let mut by_keys = paths.clone();
        by_keys.sort_by_cached_key(|p| order_key(p));
        assert_eq!(by_keys, by_components);
        let odd = Path::new("/in").join(std::ffi::OsStr::from_bytes(b"x\xff/y"));
        assert!(order_key(&odd) > order_key(Path::new("/in/x")));
    }

    #[test]
    fn names_display_as_utf8_then_gb18030_then_escaped() {
        let gbk = encoding_rs::GBK.encode("定西市科技局.xlsx").0;
        assert_eq!(display_name(OsStr::from_bytes(&gbk)), "定西市科技局.xlsx");
        assert_eq!(display_name(OsStr::new("报表.xlsx")), "报表.xlsx");
        assert_eq!(
            display_name(OsStr::from_bytes(b"a\xff\xfe.xlsx")),
            "a\\xff\\xfe.xlsx"
        );
        assert_eq!(
            display_name(OsStr::new("a\nrejected: b.xlsx")),
            "a\\nrejected: b.xlsx"
        );
        // Two GBK names that a lossy decoding would make one stay two.
        let other = encoding_rs::GBK.encode("定西市财政局.xlsx").0;
        assert_ne!(
            display_name(OsStr::from_bytes(&gbk)),
            display_name(OsStr::from_bytes(&other))
        );
    }

    #[test]
    fn sub_folders_are_entered_and_hidden_ones_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("县区/安定区")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("a.xlsx"), b"1").unwrap();
        std::fs::write(root.join("县区/安定区/b.xlsx"), b"2").unwrap();
        std::fs::write(root.join(".git/c"), b"3").unwrap();
        std::os::unix::fs::symlink(root.join("县区"), root.join("link")).unwrap();
        let got = scan(root).unwrap();
        assert_eq!(
            got,
            [
                Entry::Ignored(root.join(".git"), "hidden file"),
                Entry::File(root.join("a.xlsx")),
                Entry::Symlink(root.join("link")),
                Entry::File(root.join("县区/安定区/b.xlsx")),
            ]
        );
    }
}
