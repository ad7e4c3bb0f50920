//! Writing output files durably and reproducibly: temp file, fsync, rename; fixed document timestamps.

use std::io::Write;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

use crate::error::Error;
use crate::period::Period;

mod direct;

/// Lower-case hex of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The running executable as size and modification time, for keys of what a run keeps: a rebuilt tool of the
/// same version is another tool.
pub fn executable() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            format!("{} {}", m.len(), t.as_nanos())
        })
        .unwrap_or_default()
}

/// Document properties fixed to the period, so that the same inputs give byte-identical workbooks.
pub fn properties(title: &str, period: Period) -> Result<DocProperties, XlsxError> {
    let month = u8::try_from(period.month).unwrap_or(1);
    let year = u16::try_from(period.year).unwrap_or(2000);
    Ok(DocProperties::new()
        .set_title(title)
        .set_author("huizong")
        .set_creation_datetime(&ExcelDateTime::from_ymd(year, month, 1)?))
}

/// Maps a rust_xlsxwriter error to one naming the workbook.
pub fn xlsx_err(path: &Path) -> impl FnOnce(XlsxError) -> Error + '_ {
    move |e| Error::Workbook {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The zip level workbooks are deflated at. At the default level 6 deflate took a tenth of a cold run's
/// cycles; level 1 takes a sixth of that, for files larger by a third (feedback, a few KB each) to four fifths
/// (the consolidated workbook); the output stays byte-identical across runs.
pub const ZIP_LEVEL: u8 = 1;

/// The options rust_xlsxwriter writes a workbook's zip entries with, at `level`: an entry rewritten here reads
/// as its neighbours do, and comes out as the bytes rust_xlsxwriter would have written.
pub fn zip_entry_options(level: u32) -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(i64::from(level)))
        .unix_permissions(0o600)
        .last_modified_time(zip::DateTime::default())
}

/// Renders a workbook to bytes, deflated at [`ZIP_LEVEL`].
pub fn render(wb: &mut Workbook, path: &Path) -> Result<Vec<u8>, Error> {
    wb.set_zip_compression_level(ZIP_LEVEL);
    wb.save_to_buffer().map_err(xlsx_err(path))
}

/// Renders a workbook and writes it durably to `path`.
pub fn save_workbook(wb: &mut Workbook, path: &Path) -> Result<(), Error> {
    let bytes = render(wb, path)?;
    write_atomic(path, &bytes)
}

/// Writes a file that does not exist yet into a staging folder, which [`swap_dir`] flushes and puts in place
/// as a whole.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f = std::fs::File::create_new(path).map_err(Error::io(path))?;
    f.write_all(bytes).map_err(Error::io(path))?;
    // Linux starts writing the data now and waits for it once, for the whole folder, in `swap_dir`.
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // Only a start: an error here shows again when the folder is flushed.
        // SAFETY: `f` is an open descriptor for the call's whole length.
        unsafe { libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    f.sync_data().map_err(Error::io(path))
}

/// A fresh, empty staging folder beside `dir` (hidden, so that nothing else reads it).
pub fn staging_dir(dir: &Path) -> Result<PathBuf, Error> {
    let staging = hidden_sibling(dir, "new");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(Error::io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(Error::io(&staging))?;
    Ok(staging)
}

/// Replaces `dir` with the filled `staging` folder: a reader sees the whole old set of files or the whole new
/// one. Creating many files directly in a fresh folder is also far cheaper than a temp file and a rename each.
pub fn swap_dir(staging: &Path, dir: &Path) -> Result<(), Error> {
    sync_files_and_dir(staging)?;
    let old = hidden_sibling(dir, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(Error::io(&old))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(Error::io(dir))?;
    }
    std::fs::rename(staging, dir).map_err(Error::io(staging))?;
    sync_dir(dir.parent().unwrap_or(Path::new(".")))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(Error::io(&old))?;
    }
    Ok(())
}

fn hidden_sibling(dir: &Path, what: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.with_file_name(format!(".{name}.{what}"))
}

/// Writes `bytes` to `path` through a temp file in the same folder, fsync'd, then renamed over.
///
/// A reader (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() >= LARGE {
        write_large_atomic_with(path, |w| w.write_all(bytes))
    } else {
        write_atomic_with(path, |w| w.write_all(bytes))
    }
}

/// From this size on a file is written around the page cache (see [`direct`]): a province's consolidated
/// workbook is 10 MB; a feedback workbook, a few KB, is not worth a thread.
const LARGE: usize = 1 << 20;

/// [`write_atomic`] for content produced by a writer (a large report is streamed, never held whole).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    replace_with(path, |tmp| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(tmp)?);
        fill(&mut w)?;
        w.into_inner().map_err(std::io::IntoInnerError::into_error)
    })
}

/// [`write_atomic_with`] for content of many megabytes, written around the page cache where the file system
/// allows it (see [`direct`]).
pub fn write_large_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    replace_with(path, |tmp| {
        let mut w = direct::Uncached::create(tmp)?;
        fill(&mut w)?;
        w.finish()
    })
}

/// Writes a temp file beside `path` with `write`, flushes it, and renames it over `path`.
fn replace_with(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<std::fs::File>,
) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let tmp = temp_sibling(path);
    let f = write(&tmp).map_err(Error::io(&tmp))?;
    f.sync_data().map_err(Error::io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    sync_dir(dir)
}

/// Flushes the files [`write_new`] put in `dir`, and its entries. On Linux, one `syncfs` of the filesystem: an
/// fdatasync for each of a thousand new files waited for each write in turn, the cores idle a third of a second.
fn sync_files_and_dir(dir: &Path) -> Result<(), Error> {
    let d = std::fs::File::open(dir).map_err(Error::io(dir))?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `d` is an open descriptor for the call's whole length.
        if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
            return Err(Error::io(dir)(std::io::Error::last_os_error()));
        }
    }
    d.sync_all().map_err(Error::io(dir))
}

/// Flushes a folder's entries (renames, new files) to disk.
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(dir))
}

/// A short hidden temp name in the same folder: short, so that a long target name cannot make it too long.
fn temp_sibling(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_file_name(format!(".huizong-{}-{n}.tmp", std::process::id()))
}

/// Removes temp files left in `dir` and its subfolders by a run that was killed mid-write.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        // The entry's own type, from the listing: no stat per file (a province's feedback folder holds ten
        // thousand), and a link to a folder elsewhere is not followed. Nor is its path made unless it is needed.
        let Ok(kind) = e.file_type() else {
            continue;
        };
        if kind.is_dir() {
            remove_stale_temps(&e.path());
        } else {
            let name = e.file_name();
            let name = name.as_encoded_bytes();
            if name.starts_with(b".") && name.ends_with(b".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::remove_stale_temps;

    #[test]
    fn stale_temps_are_removed_below_the_folder_and_nowhere_else() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("outbox");
        let elsewhere = root.path().join("elsewhere");
        std::fs::create_dir_all(dir.join("2020-10/feedback")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        let write = |p: &std::path::Path| std::fs::write(p, b"x").unwrap();
        let stale = [
            dir.join(".huizong-1-0.tmp"),
            dir.join("2020-10/feedback/.huizong-1-1.tmp"),
        ];
        let kept = [
            dir.join("2020-10/report.json"),
            dir.join("2020-10/.cache-readings.bin"),
            dir.join("2020-10/feedback/甲县.tmp.xlsx"),
            elsewhere.join(".huizong-2-0.tmp"),
        ];
        stale.iter().chain(&kept).for_each(|p| write(p));
        std::os::unix::fs::symlink(&elsewhere, dir.join("2020-10/linked")).unwrap();
        remove_stale_temps(&dir);
        for p in &stale {
            assert!(!p.exists(), "{} left", p.display());
        }
        for p in &kept {
            assert!(p.exists(), "{} removed", p.display());
        }
    }
}
