//! Moving received files into the archive and quarantine: names that never clash, reasons beside rejected
//! files, and moves that work across file systems without losing or changing a byte.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::finding::Code;

/// Longest file name the archive stores, in bytes: room under the usual 255-byte limit for ` (NN)` and
/// `.reason.txt`. A received name fits its own file system, so only a name within 17 bytes of the limit is cut.
const MAX_NAME: usize = 255 - " (99)".len() - ".reason.txt".len();

/// The name to store `name` under: its bytes unchanged, only cut (keeping the extension) when too long to take a
/// number and a reason file beside it.
pub fn safe_name(name: &OsStr) -> OsString {
    let bytes = name.as_encoded_bytes();
    if bytes.len() <= MAX_NAME {
        return name.to_os_string();
    }
    let ext = bytes
        .iter()
        .rposition(|&b| b == b'.')
        .map(|i| &bytes[i..])
        .filter(|e| e.len() <= 11)
        .unwrap_or(b"");
    let mut cut = MAX_NAME - ext.len();
    // Cut on a character boundary when the name is UTF-8.
    if let Ok(s) = std::str::from_utf8(bytes) {
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
    }
    let mut out = bytes[..cut].to_vec();
    out.extend_from_slice(ext);
    OsString::from_vec(out)
}

/// Whether anything (a file, a folder, even a dangling link) already has this name.
fn taken(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The paths a run has planned to fill, with every folder above them: whether anything is planned at or below
/// a path is one lookup, so planning n files stays linear.
#[derive(Debug, Default)]
pub struct Reserved {
    paths: std::collections::HashSet<PathBuf>,
    folders: std::collections::HashSet<PathBuf>,
}

impl Reserved {
    /// Plans `path`.
    pub fn insert(&mut self, path: PathBuf) {
        for folder in path.ancestors().skip(1) {
            // A folder already recorded has its own ancestors recorded too.
            if !self.folders.insert(folder.to_path_buf()) {
                break;
            }
        }
        self.paths.insert(path);
    }

    /// Whether `path` itself is planned.
    pub fn contains(&self, path: &Path) -> bool {
        self.paths.contains(path)
    }

    /// Whether `path` is planned or holds something planned below it.
    fn occupies(&self, path: &Path) -> bool {
        self.paths.contains(path) || self.folders.contains(path)
    }

    /// Whether `path` is the reason file of a planned file (`x.xlsx.reason.txt` beside a planned `x.xlsx`).
    fn reason_of_planned(&self, path: &Path) -> bool {
        path.file_name()
            .and_then(|n| n.as_encoded_bytes().strip_suffix(b".reason.txt"))
            .is_some_and(|stem| {
                self.paths
                    .contains(&path.with_file_name(OsStr::from_bytes(stem)))
            })
    }
}

/// A path in `dir` for the file received as `rel` (its path below the inbox, as bytes) that is neither taken nor
/// in `reserved`: the name, then `name (2)`, `name (3)` … before the extension. A rejected file's `.reason.txt`
/// must be free too. A file received in a sub-folder keeps its folders below `dir`.
pub fn unique_path(dir: &Path, rel: &Path, reserved: &Reserved) -> PathBuf {
    let mut parts: Vec<&OsStr> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p),
            _ => None,
        })
        .collect();
    let file = parts.pop().unwrap_or(OsStr::new("unnamed"));
    // A folder may be entered if it is one (not a file, nor a link) or does not exist yet, and no file is
    // planned under its name.
    let dir = parts.iter().fold(dir.to_path_buf(), |d, p| {
        let usable = |f: &PathBuf| {
            !reserved.contains(f)
                && std::fs::symlink_metadata(f).map_or(true, |m| m.file_type().is_dir())
        };
        numbered(&d, &safe_name(p))
            .find(usable)
            .expect("some numbered name is free")
    });
    let name = safe_name(file);
    // Free: nothing there, no reason file of its own in the way, nothing planned there or below it, and not the
    // reason file of a file planned beside it (a received `x.xlsx.reason.txt` next to a rejected `x.xlsx`).
    let free = |p: &PathBuf| {
        !taken(p)
            && !taken(&reason_path(p))
            && !reserved.contains(&reason_path(p))
            && !reserved.occupies(p)
            && !reserved.reason_of_planned(p)
    };
    numbered(&dir, &name)
        .find(free)
        .expect("some numbered name is free")
}

/// `dir/name`, then `dir/name (2)`, `dir/name (3)` … with the number before the extension.
fn numbered<'a>(dir: &'a Path, name: &'a OsStr) -> impl Iterator<Item = PathBuf> + 'a {
    let bytes = name.as_encoded_bytes();
    let (stem, ext) = match bytes.iter().rposition(|&b| b == b'.') {
        Some(i) if i > 0 => bytes.split_at(i),
        _ => (bytes, &b""[..]),
    };
    std::iter::once(dir.join(name)).chain((2..).map(move |n| {
        let mut b = stem.to_vec();
        b.extend_from_slice(format!(" ({n})").as_bytes());
        b.extend_from_slice(ext);
        dir.join(OsString::from_vec(b))
    }))
}

/// Moves a file to `to`, refusing to replace anything there. The caller flushes the folders afterwards (once
/// for a whole batch) with [`crate::output::sync_dir`].
///
/// Across file systems (an inbox on a mounted share) a rename is impossible: the file is copied beside its
/// target, flushed, its copy's SHA-256 checked against `sha256` (what the run read), linked into place and only
/// then removed from the inbox. A file that changed since it was read is not moved.
pub fn move_to(from: &Path, to: &Path, sha256: &str) -> Result<(), Error> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    if taken(to) {
        return Err(Error::io(to)(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the archive already holds a file of this name; nothing was moved",
        )));
    }
    match std::fs::rename(from, to) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => copy_across(from, to, sha256),
        other => other.map_err(Error::io(from)),
    }
}

/// The copy, check and remove of a move across file systems.
fn copy_across(from: &Path, to: &Path, sha256: &str) -> Result<(), Error> {
    let dir = to.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".huizong-move-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| -> Result<(), Error> {
        let mut src = std::fs::File::open(from).map_err(Error::io(from))?;
        let modified = src.metadata().and_then(|m| m.modified()).ok();
        let mut dst = std::fs::File::create_new(&tmp).map_err(Error::io(&tmp))?;
        std::io::copy(&mut src, &mut dst).map_err(Error::io(&tmp))?;
        // The archived copy keeps the time it was received with.
        if let Some(t) = modified {
            dst.set_modified(t).map_err(Error::io(&tmp))?;
        }
        dst.sync_all().map_err(Error::io(&tmp))?;
        drop(dst);
        let copied = hash_file(&tmp)?;
        if !sha256.is_empty() && copied != sha256 {
            return Err(Error::io(from)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file changed after it was read (its copy's SHA-256 differs); it stays in the inbox for the next run",
            )));
        }
        // A hard link never replaces an existing file, unlike rename; a file system without links (some
        // shares) gets the rename, `to` having been found free just before.
        if let Err(e) = std::fs::hard_link(&tmp, to) {
            if taken(to) {
                return Err(Error::io(to)(e));
            }
            std::fs::rename(&tmp, to).map_err(Error::io(to))?;
        }
        crate::output::sync_dir(dir)
    })();
    let _ = std::fs::remove_file(&tmp);
    result?;
    std::fs::remove_file(from).map_err(Error::io(from))
}

/// Removes `path` if its bytes still have the SHA-256 `sha256` (a copy already filed elsewhere).
pub fn remove_if_same(path: &Path, sha256: &str) -> Result<(), Error> {
    if !sha256.is_empty() && hash_file(path)? == sha256 {
        std::fs::remove_file(path).map_err(Error::io(path))?;
    }
    Ok(())
}

fn hash_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(Error::io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::output::hex(&hasher.finalize()))
}

/// Where the reason for a rejected file is written: beside it, `<name>.reason.txt`.
pub fn reason_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".reason.txt");
    file.with_file_name(name)
}

/// Whether `path` is the reason file of a file beside it (a received file may be called `x.reason.txt` too).
pub fn is_reason_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.as_encoded_bytes().strip_suffix(b".reason.txt"))
        .is_some_and(|of| !of.is_empty() && taken(&path.with_file_name(OsStr::from_bytes(of))))
}

/// Removes from `dir` (and its sub-folders) the reason files whose rejected file is not beside them: a run
/// killed after writing a reason and before moving the file leaves one, which would otherwise be taken for a
/// received file and push the real file to another name. A received file called `x.reason.txt` is never
/// removed: it has its own reason beside it, and its text is not one huizong writes.
pub fn remove_orphan_reasons(dir: &Path) {
    let Ok(entries) = crate::ingest::scan::scan(dir) else {
        return;
    };
    for entry in entries {
        let crate::ingest::scan::Entry::File(path) = entry else {
            continue;
        };
        let is_ours = path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().ends_with(b".reason.txt"))
            && !is_reason_file(&path)
            && !taken(&reason_path(&path))
            && read_reason(&path).is_some();
        if is_ours {
            log::info!(
                "removing {}, the reason of a file a killed run did not move",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The text of a reason file.
pub fn reason_file_text(name: &str, sha256: &str, code: Option<Code>, reason: &str) -> String {
    let code = code.map(Code::name).unwrap_or("");
    // One line per field: a name or reason with a line break in it cannot forge another field.
    let flat = |s: &str| s.replace(['\n', '\r'], " ");
    format!(
        "文件：{}\nSHA-256：{sha256}\n处理结果：未采用（rejected）\n代码：{code}\n原因：{}\n",
        flat(name),
        flat(reason)
    )
}

/// The code, reason and SHA-256 a reason file records, if it can be read.
pub fn read_reason(path: &Path) -> Option<(Code, String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::to_string)
    };
    let code = field("代码：")?;
    let code = Code::ALL.iter().copied().find(|c| c.name() == code)?;
    Some((
        code,
        field("原因：")?,
        field("SHA-256：").unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_bytes_and_become_unique() {
        use std::os::unix::ffi::OsStrExt;
        let odd = OsStr::from_bytes(b"a\nb\xb1\xa8.xlsx");
        assert_eq!(safe_name(odd), odd);
        let long = safe_name(OsStr::new(&format!("{}.xlsx", "报".repeat(80))));
        assert!(
            long.len() <= MAX_NAME && long.to_str().unwrap().ends_with("报.xlsx"),
            "{long:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.xlsx"), b"1").unwrap();
        std::os::unix::fs::symlink("/nonexistent", dir.path().join("x (2).xlsx")).unwrap();
        let mut reserved = Reserved::default();
        assert_eq!(
            unique_path(dir.path(), Path::new("x.xlsx"), &reserved),
            dir.path().join("x (3).xlsx")
        );
        reserved.insert(dir.path().join("x (3).xlsx"));
        assert_eq!(
            unique_path(dir.path(), Path::new("x.xlsx"), &reserved),
            dir.path().join("x (4).xlsx")
        );
        std::fs::write(dir.path().join(odd), b"1").unwrap();
        assert_eq!(
            unique_path(dir.path(), odd.as_ref(), &reserved),
            dir.path().join(OsStr::from_bytes(b"a\nb\xb1\xa8 (2).xlsx"))
        );
        assert_eq!(
            unique_path(dir.path(), &Path::new("批").join(odd), &reserved),
            dir.path().join("批").join(odd)
        );
        // A folder received under the name of an archived file goes beside it, numbered.
        assert_eq!(
            unique_path(dir.path(), Path::new("x.xlsx/y.xlsx"), &reserved),
            dir.path().join("x (4).xlsx/y.xlsx")
        );
        // A file named like the reason of a file planned beside it is numbered.
        reserved.insert(dir.path().join("r.xlsx"));
        assert_eq!(
            unique_path(dir.path(), Path::new("r.xlsx.reason.txt"), &reserved),
            dir.path().join("r.xlsx.reason (2).txt")
        );
        // A file planned where a folder is planned is numbered too.
        reserved.insert(dir.path().join("z/y.xlsx"));
        assert_eq!(
            unique_path(dir.path(), Path::new("z"), &reserved),
            dir.path().join("z (2)")
        );
    }
}
