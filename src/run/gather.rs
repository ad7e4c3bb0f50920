//! What a run considers: the period's archive and the inbox, each file read and told apart from one that is
//! still being written, has vanished, or cannot be opened.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::cache::{Cache, Kept, Learned, Seen};
use super::dispose::{Candidate, Outcome, Place, Return};
use crate::error::Error;
use crate::finding::Code;
use crate::ingest::parse::NotUsable;
use crate::ingest::scan::{self, Entry};
use crate::ingest::sniff::Refusal;
use crate::ledger;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::validate::Context;
use crate::workspace::Workspace;

/// A file that fails to read and was modified this recently may simply not be complete yet.
pub const STILL_WRITING: Duration = Duration::from_secs(60);

/// Files to read with their place (and the folder their name is relative to), and entries left alone.
pub struct Gathered {
    /// Each file to read: its path, place, and the folder its received name is counted from.
    pub files: Vec<(PathBuf, Place, PathBuf)>,
    /// Entries left where they are, with why.
    pub ignored: Vec<(PathBuf, &'static str)>,
}

/// Lists the period's archive and the inbox (sub-folders included).
pub fn gather(ws: &Workspace, period: Period, settle: Duration) -> Result<Gathered, Error> {
    let mut files = Vec::new();
    for (dir, place) in [
        (ws.accepted_dir(period), Place::Accepted),
        (ws.duplicates_dir(period), Place::Duplicates),
        (ws.rejected_dir(period), Place::Rejected),
    ] {
        if !dir.is_dir() {
            continue;
        }
        for entry in scan::scan(&dir).map_err(Error::io(&dir))? {
            if let Entry::File(p) | Entry::Symlink(p) = entry
                && !ledger::is_reason_file(&p)
            {
                files.push((p, place, dir.clone()));
            }
        }
    }
    let inbox = ws.inbox();
    let mut ignored = Vec::new();
    let entries = if inbox.is_dir() {
        scan::scan(&inbox).map_err(Error::io(&inbox))?
    } else {
        Vec::new()
    };
    for entry in entries {
        match entry {
            Entry::File(p) if recently_modified(&p, settle) => {
                ignored.push((p, "still being written (modified moments ago)"))
            }
            Entry::File(p) | Entry::Symlink(p) => files.push((p, Place::Inbox, inbox.clone())),
            Entry::Ignored(p, why) if p.file_name().is_some_and(|n| n != ".gitkeep") => {
                ignored.push((p, why))
            }
            Entry::Ignored(..) => {}
        }
    }
    Ok(Gathered { files, ignored })
}

/// Whether the file changed less than `settle` ago. A time in the future says nothing about that: `watch` has
/// already seen such a file stay unchanged, and `run` takes it as received now.
fn recently_modified(path: &Path, settle: Duration) -> bool {
    if settle.is_zero() {
        return false;
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| {
            SystemTime::now()
                .duration_since(t)
                .is_ok_and(|age| age < settle)
        })
        .unwrap_or(false)
}

/// The name a file was received under, as people read it: its path below `base`, folders joined by `/`.
pub fn received_name(path: &Path, base: &Path) -> String {
    scan::display_path(path.strip_prefix(base).unwrap_or(path))
}

/// Marks the names that display alike but are different bytes on disk (a GBK name and its UTF-8 twin): the one
/// that is not UTF-8 is shown with ` [GBK]`, so that report, ledger and mail never merge two files into one name.
pub fn keep_names_apart(candidates: &mut [Candidate]) {
    let mut by_name: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        by_name.entry(c.name.clone()).or_default().push(i);
    }
    let utf8: Vec<bool> = candidates
        .iter()
        .map(|c| std::str::from_utf8(c.rel.as_os_str().as_encoded_bytes()).is_ok())
        .collect();
    for list in by_name.values().filter(|l| l.len() > 1) {
        if !list.iter().any(|&i| utf8[i]) {
            continue;
        }
        for &i in list.iter().filter(|&&i| !utf8[i]) {
            candidates[i].name.push_str(" [GBK]");
        }
    }
}

/// What the run already knows of files before reading them.
#[derive(Clone, Copy)]
pub struct Known<'a> {
    /// When and from whom fetched mail brought them.
    pub arrivals: &'a crate::fetch::state::Arrivals,
    /// What earlier runs read from them.
    pub cache: &'a Cache,
}

/// Reads one file and says what it is. A bad, vanished or unopenable file is an outcome, never an error.
pub fn examine(
    path: PathBuf,
    place: Place,
    base: &Path,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    known: Known<'_>,
) -> Candidate {
    let mut c = look_at(path, place, base, catalogue, settings, period, known);
    // Only a file that gave no return is shown by the unit its name speaks of (before the unit its mail came
    // from): a return names its own, and the search costs a province's run a tenth of a second of work.
    if !matches!(c.outcome, Outcome::Parsed(_)) {
        let file_name = c
            .path
            .file_name()
            .map(scan::display_name)
            .unwrap_or_default();
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name.as_str(), |(s, _)| s);
        if let Some(u) = catalogue
            .unit_named_in(stem)
            .or_else(|| catalogue.unit_named_in(&c.name))
        {
            c.unit_hint = u.code.clone();
        }
    }
    c
}

fn look_at(
    path: PathBuf,
    place: Place,
    base: &Path,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    known: Known<'_>,
) -> Candidate {
    let cache = known.cache;
    let name = received_name(&path, base);
    let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
    let now = SystemTime::now();
    let mut c = Candidate {
        path,
        rel,
        place,
        name,
        size: 0,
        mtime: now,
        arrival: u64::MAX,
        modified: now,
        future: None,
        sha256: String::new(),
        format: String::new(),
        unit_hint: String::new(),
        stored: None,
        seen: None,
        outcome: Outcome::Symlink,
    };
    let meta = match std::fs::symlink_metadata(&c.path) {
        Ok(m) => m,
        Err(e) => {
            c.outcome = unavailable(&e);
            return c;
        }
    };
    let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    c.size = meta.len();
    c.modified = mtime;
    // A time in the future is taken as now; the ledger keeps the time taken.
    c.mtime = mtime.min(now);
    let mut stored_sha = String::new();
    if place == Place::Rejected
        && let Some((code, why, sha)) = ledger::read_reason(&ledger::reason_path(&c.path))
    {
        c.stored = Some((code, why));
        stored_sha = sha;
    }
    if meta.file_type().is_symlink() {
        return c;
    }
    if !meta.is_file() {
        c.outcome = Outcome::Unavailable("不是普通文件，未读取".to_string());
        return c;
    }
    if meta.len() > settings.max_file_bytes {
        c.outcome = Outcome::Refused(
            Code::FileTooLarge,
            format!(
                "文件大小{}字节，超过上限{}字节；填报表通常只有几十KB，请只报送填报表",
                meta.len(),
                settings.max_file_bytes
            ),
        );
        return c;
    }
    // A file that looks as it did when an earlier run read it has the bytes it had then: their hash is known,
    // and if what they gave is known too, the file is not read at all.
    let seen = Seen::of_meta(&meta);
    let file_key = cache.file_key(&c.path, &seen);
    if let Some(sha) = cache.known_sha(&file_key) {
        let id = identify(&c, sha, &stored_sha, known, catalogue);
        if let Some((format, learned)) = cache.reading(&id.key) {
            apply(&mut c, id, now);
            c.seen = seen.written_before(now).then_some(seen);
            cache.count_unread();
            c.format = format;
            c.outcome = outcome(learned);
            return c;
        }
    }
    let bytes = match read_bounded(&c.path, settings.max_file_bytes) {
        Ok(Some(b)) => b,
        // Not a regular file any more (replaced by a pipe or a device meanwhile): never read, it could block.
        Ok(None) => {
            c.outcome = Outcome::Unavailable("不是普通文件，未读取".to_string());
            return c;
        }
        Err(e) => {
            c.outcome = unavailable(&e);
            return c;
        }
    };
    // It grew past the limit while being read: still being written.
    if bytes.len() as u64 > settings.max_file_bytes {
        c.outcome = Outcome::Pending;
        return c;
    }
    let sha = output::hex(&Sha256::digest(&bytes));
    // Looked at before it was read: a write since then has moved its change time on.
    if seen.settled(now) {
        cache.keep_sha(&file_key, &sha);
        c.seen = Some(seen);
    }
    let id = identify(&c, sha, &stored_sha, known, catalogue);
    let (key, fetched, sender_unit) = (id.key.clone(), id.fetched, id.sender_unit.clone());
    apply(&mut c, id, now);
    if let Some((format, learned)) = cache.reading(&key) {
        c.format = format;
        c.outcome = outcome(learned);
        return c;
    }
    c.outcome = match crate::ingest::load(&bytes, settings) {
        Err(Refusal::Unreadable(why)) => {
            let changed = std::fs::symlink_metadata(&c.path).map_or(true, |m| {
                m.len() != meta.len() || m.modified().ok() != meta.modified().ok()
            });
            let fresh = now
                .duration_since(mtime)
                .is_ok_and(|age| age < STILL_WRITING);
            if c.place == Place::Inbox && fetched.is_none() && (changed || fresh) {
                Outcome::Pending
            } else {
                Outcome::Refused(Code::UnreadableFile, why)
            }
        }
        Err(Refusal::Encrypted) => Outcome::Refused(
            Code::EncryptedFile,
            "文件设置了打开密码，无法读取；请取消密码（文件→信息→保护工作簿）后重新报送"
                .to_string(),
        ),
        Err(Refusal::TooLarge(why)) => {
            Outcome::Refused(Code::FileTooLarge, format!("{why}；请只报送填报表"))
        }
        Ok((format, book)) => {
            c.format = format.name().to_string();
            for sheet in book.sheets.iter().filter(|s| s.truncated) {
                log::warn!(
                    "{}: sheet '{}' has cells beyond row {} or column 64; they were not read",
                    c.name,
                    sheet.name,
                    settings.max_rows
                );
            }
            match crate::ingest::parse::parse_mailed(
                &book,
                &c.name,
                sender_unit.as_deref(),
                catalogue,
                period,
            ) {
                Ok(p) => {
                    let ctx = Context {
                        catalogue,
                        settings,
                        period,
                    };
                    let checked = crate::validate::check_return(&p, &c.name, &ctx);
                    if let Some(kept) = Kept::new(&p, &checked) {
                        cache.keep(&key, &c.format, &Learned::Checked(Box::new(kept)));
                    }
                    Outcome::Parsed(Box::new(Return {
                        unit: p.unit,
                        period: p.period,
                        checked: Some(checked),
                    }))
                }
                Err(NotUsable { code, reason }) => {
                    let learned = Learned::NotUsable(code, reason);
                    cache.keep(&key, &c.format, &learned);
                    outcome(learned)
                }
            }
        }
    };
    c
}

/// What a file's bytes make of it, before they are read as a workbook.
struct Identity {
    sha256: String,
    /// When its mail arrived, if it was fetched.
    fetched: Option<SystemTime>,
    /// The unit its mail came from.
    sender_unit: Option<String>,
    /// Whether it was rejected for other bytes than these.
    rejected_for_other_bytes: bool,
    /// The key of its reading.
    key: String,
}

fn identify(
    c: &Candidate,
    sha256: String,
    stored_sha: &str,
    known: Known<'_>,
    catalogue: &Catalogue,
) -> Identity {
    let Known { arrivals, cache } = known;
    let fetched = arrivals.received(&c.name, &sha256);
    let sender_unit = arrivals.sender_unit(&c.name, &sha256, catalogue);
    let key = cache.reading_key(&sha256, &c.name, sender_unit.as_deref());
    Identity {
        rejected_for_other_bytes: !stored_sha.is_empty() && stored_sha != sha256,
        sha256,
        fetched,
        sender_unit,
        key,
    }
}

fn apply(c: &mut Candidate, id: Identity, now: SystemTime) {
    c.sha256 = id.sha256;
    // Fetched from the mailbox: received when its mail arrived, not when fetch saved it; fetch wrote it whole
    // (temp file, then link) and recorded these very bytes, so it is never a file still being written.
    if let Some(t) = id.fetched {
        c.mtime = t.min(now);
        c.modified = c.mtime;
    }
    c.unit_hint = id.sender_unit.unwrap_or_default();
    // A rejected file whose bytes are not those it was rejected for (it was still being written when it was
    // moved) is read afresh, as if it had just arrived.
    if id.rejected_for_other_bytes {
        c.stored = None;
        c.place = Place::Inbox;
    }
}

fn outcome(learned: Learned) -> Outcome {
    match learned {
        Learned::Checked(k) => Outcome::Parsed(Box::new(k.into_return())),
        Learned::NotUsable(code, reason) => Outcome::Refused(code, reason),
    }
}

/// Reads at most `limit + 1` bytes of a regular file (`None` for anything else), so that a file growing while it
/// is read cannot exhaust memory, and a pipe put in its place cannot block the run.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

fn unavailable(e: &std::io::Error) -> Outcome {
    if e.kind() == std::io::ErrorKind::NotFound {
        Outcome::Gone
    } else {
        Outcome::Unavailable(format!("暂时无法打开（{e}），留在原处"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(path: PathBuf, base: &Path) -> Candidate {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let period = Period {
            year: 2020,
            month: 10,
        };
        examine(
            path,
            Place::Inbox,
            base,
            &catalogue,
            &Settings::default(),
            period,
            Known {
                arrivals: &crate::fetch::state::Arrivals::default(),
                cache: &Cache::none(),
            },
        )
    }

    #[test]
    fn a_vanished_or_unopenable_file_is_an_outcome_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let gone = look(dir.path().join("市科技局.xlsx"), dir.path());
        assert!(matches!(gone.outcome, Outcome::Gone));
        assert_eq!(gone.unit_hint, "kjj");
        // A folder where a file was expected cannot be read as one.
        std::fs::create_dir(dir.path().join("odd.xlsx")).unwrap();
        let odd = look(dir.path().join("odd.xlsx"), dir.path());
        assert!(
            matches!(odd.outcome, Outcome::Unavailable(_)),
            "{:?}",
            odd.name
        );
        // A pipe put where a file was listed is never opened for reading: it would block the run.
        let pipe = dir.path().join("pipe.xlsx");
        let c_path = std::ffi::CString::new(pipe.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        assert!(matches!(
            look(pipe, dir.path()).outcome,
            Outcome::Unavailable(_)
        ));
    }

    #[test]
    fn a_broken_file_written_moments_ago_is_pending_and_an_old_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("县区");
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("half.xlsx");
        std::fs::write(&path, b"PK\x03\x04 half").unwrap();
        let fresh = look(path.clone(), dir.path());
        assert!(matches!(fresh.outcome, Outcome::Pending));
        assert_eq!(fresh.name, "县区/half.xlsx");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_604_000_000))
            .unwrap();
        let old = look(path, dir.path());
        assert!(matches!(
            old.outcome,
            Outcome::Refused(Code::UnreadableFile, _)
        ));
    }
}
