//! `huizong fetch`: save the attachments of new mail in the office's mailbox into `inbox/`, each once.
//!
//! The mailbox is only read (EXAMINE). Each attachment is written to a temporary file in the inbox, flushed,
//! then linked under its final name (never replacing a file) and recorded in [`state`], with the time its mail
//! arrived at the server, so that `run` judges lateness by that time and not by when the file was saved.

pub mod message;
pub mod session;
pub mod state;

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::ingest::sniff::{self, Refusal};
use crate::settings::Settings;
use crate::workspace::Workspace;
use message::Attachment;
use state::{Item, State};

/// Why fetch could not read the mailbox at all. A single bad message is reported and skipped instead.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No `[imap]` host or user in the settings.
    #[error(
        "no mailbox is set up: add an [imap] section with host and user to {settings} (see the README, \"Returns from the office mailbox\")"
    )]
    NotConfigured {
        /// The settings file.
        settings: PathBuf,
    },
    /// The password variable is unset.
    #[error(
        "HUIZONG_IMAP_PASSWORD is not set: put the password of the mailbox user {user} in that environment variable (it is never read from a file)"
    )]
    NoPassword {
        /// The login name.
        user: String,
    },
    /// The server could not be reached or the secure connection failed.
    #[error(
        "cannot connect to the IMAP server {host}:{port}: {message}; check imap.host, imap.port and imap.security"
    )]
    Connect {
        /// Server host.
        host: String,
        /// Server port.
        port: u16,
        /// What failed.
        message: String,
    },
    /// The server refused the login.
    #[error(
        "the IMAP server {host} refused the login of {user}: {message}; check imap.user and HUIZONG_IMAP_PASSWORD (163 and QQ enterprise mail want an app password, not the web password)"
    )]
    Login {
        /// Server host.
        host: String,
        /// The login name.
        user: String,
        /// What the server said.
        message: String,
    },
    /// The folder cannot be opened.
    #[error("cannot open the mail folder {folder:?} read-only: {message}; check imap.folder")]
    Folder {
        /// The folder.
        folder: String,
        /// What the server said.
        message: String,
    },
    /// The conversation broke off.
    #[error(
        "the IMAP server {host} broke off: {message}; run fetch again, it carries on where it stopped"
    )]
    Protocol {
        /// Server host.
        host: String,
        /// What failed.
        message: String,
    },
}

impl From<FetchError> for crate::error::Error {
    fn from(e: FetchError) -> crate::error::Error {
        // Settings at fault are the caller's to fix: they exit like any other usage error.
        if e.is_usage() {
            crate::error::Error::Usage(e.to_string())
        } else {
            crate::error::Error::Fetch(Box::new(e))
        }
    }
}

impl FetchError {
    /// Whether the settings or environment are at fault rather than the server.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            FetchError::NotConfigured { .. } | FetchError::NoPassword { .. }
        )
    }
}

/// What kind of file was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A spreadsheet: a return for `run`.
    Return,
    /// Anything else: saved too, and `run` will say it is not a return.
    Other,
}

/// One file put into the inbox.
#[derive(Debug, Clone)]
pub struct Saved {
    /// What it is.
    pub kind: Kind,
    /// The mail and name it came with.
    pub item: Item,
}

/// A message that was not (fully) taken.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Its UID.
    pub uid: u32,
    /// Its subject.
    pub subject: String,
    /// Why, in English.
    pub why: String,
}

/// What one fetch did.
#[derive(Debug, Default)]
pub struct Fetched {
    /// New messages read.
    pub messages: usize,
    /// Files put into the inbox.
    pub saved: Vec<Saved>,
    /// New messages without any attachment: (UID, sender, subject).
    pub empty: Vec<(u32, String, String)>,
    /// Messages skipped, to be looked at by hand.
    pub skipped: Vec<Skipped>,
    /// Zip attachments that were unpacked, and where each original is kept.
    pub unpacked: Vec<PathBuf>,
}

/// Fetches new mail into the inbox, holding the workspace lock.
pub fn fetch(ws: &Workspace) -> Result<Fetched, Error> {
    let settings = Settings::load(&ws.settings_path())?;
    let imap = &settings.imap;
    if imap.host.is_empty() || imap.user.is_empty() {
        return Err(FetchError::NotConfigured {
            settings: ws.settings_path(),
        }
        .into());
    }
    let password = std::env::var("HUIZONG_IMAP_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| FetchError::NoPassword {
            user: imap.user.clone(),
        })?;
    let _lock = crate::lock::acquire(ws, "huizong fetch", settings.lock_wait)?;
    let inbox = ws.inbox();
    std::fs::create_dir_all(&inbox).map_err(Error::io(&inbox))?;
    remove_stale_temps(&inbox);
    let mut state = State::load(&state::journal_path(ws));
    let mailbox = format!("{}@{}/{}", imap.user, imap.host, imap.folder);

    let mut session = session::Session::open(imap, &password)?;
    let uidvalidity = session.uidvalidity;
    let new = session.list(imap.since, |uid| !state.is_done(&mailbox, uidvalidity, uid))?;
    let mut out = Fetched::default();
    for listed in new {
        out.messages += 1;
        let skip = |why: String| Skipped {
            uid: listed.uid,
            subject: listed.subject.clone(),
            why,
        };
        if listed.size > settings.max_unpacked_bytes {
            out.skipped.push(skip(format!(
                "the message is {} bytes, over the {} byte limit (max_unpacked_bytes); save its attachments by hand",
                listed.size, settings.max_unpacked_bytes
            )));
            continue;
        }
        let Some(raw) = session.download(listed.uid)? else {
            out.skipped.push(skip(
                "the server sent no content for it (deleted meanwhile?)".to_string(),
            ));
            continue;
        };
        let Some(mail) = message::parse(&raw) else {
            out.skipped.push(skip(
                "it is not a readable mail message; look at it in a mail client".to_string(),
            ));
            continue;
        };
        let base = Item {
            mailbox: mailbox.clone(),
            uidvalidity,
            uid: listed.uid,
            part: String::new(),
            message_id: mail.message_id.clone(),
            received: listed.received.to_string(),
            sender: mail.sender.clone(),
            subject: if mail.subject.is_empty() {
                listed.subject.clone()
            } else {
                mail.subject.clone()
            },
            original: String::new(),
            name: String::new(),
            sha256: String::new(),
            size: 0,
        };
        if mail.attachments.is_empty() {
            out.empty
                .push((listed.uid, base.sender.clone(), base.subject.clone()));
        }
        for attachment in &mail.attachments {
            for (file, bytes) in unpack(ws, &settings, &base, attachment, &mut out)? {
                if let Some(saved) = save(ws, &settings, &mut state, file, &bytes)? {
                    out.saved.push(saved);
                }
            }
        }
        state.done(&mailbox, uidvalidity, listed.uid)?;
    }
    session.close();
    for s in &out.skipped {
        log::warn!("message UID {} ({:?}) skipped: {}", s.uid, s.subject, s.why);
    }
    Ok(out)
}

/// The files one attachment yields: itself, or for a zip that passes the ingest guards, what it holds (the
/// zip itself is kept under `outbox/fetch/zips/`).
fn unpack(
    ws: &Workspace,
    settings: &Settings,
    base: &Item,
    attachment: &Attachment,
    out: &mut Fetched,
) -> Result<Vec<(Item, Vec<u8>)>, Error> {
    let base = &Item {
        sender: attachment
            .forwarded_from
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| base.sender.clone()),
        ..base.clone()
    };
    let whole = || {
        let item = Item {
            part: attachment.part.clone(),
            original: attachment.name.clone(),
            ..base.clone()
        };
        vec![(item, attachment.bytes.clone())]
    };
    // A workbook is a zip package too: one renamed to .zip is a return, not an archive to unpack.
    if !attachment.name.to_lowercase().ends_with(".zip")
        || sniff::sniff(&attachment.bytes, settings).is_ok()
    {
        return Ok(whole());
    }
    let files = match unzip(&attachment.bytes, settings) {
        Ok(files) => files,
        Err(why) => {
            // Saved as it is: run rejects it with the reason, and the unit is told.
            log::warn!(
                "zip attachment {:?} of UID {} not unpacked: {why:?}",
                attachment.name,
                base.uid
            );
            return Ok(whole());
        }
    };
    let kept = ws
        .root
        .join("outbox")
        .join("fetch")
        .join("zips")
        .join(format!(
            "{}-{}-{}",
            base.uidvalidity, base.uid, attachment.part
        ))
        .join(crate::ledger::safe_name(std::ffi::OsStr::new(&clean_name(
            &attachment.name,
        ))));
    crate::output::write_atomic(&kept, &attachment.bytes)?;
    out.unpacked.push(kept);
    Ok(files
        .into_iter()
        .map(|(index, name, bytes)| {
            let item = Item {
                part: format!("{}/{index}", attachment.part),
                original: name,
                ..base.clone()
            };
            (item, bytes)
        })
        .collect())
}

/// The files of a zip: (entry index, name without folders, bytes); folders and empty names left out.
fn unzip(bytes: &[u8], settings: &Settings) -> Result<Vec<(usize, String, Vec<u8>)>, Refusal> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Refusal::Unreadable(format!("压缩包结构损坏（{e}）")))?;
    sniff::check_zip_entries(&mut zip, settings)?;
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Refusal::Unreadable(format!("压缩包条目无法解压（{e}）")))?;
        if entry.is_dir() {
            continue;
        }
        // Windows zip tools write names in GBK without saying so.
        let raw = entry.name_raw();
        let full = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::GB18030.decode(raw).0.into_owned(),
        };
        let name = full
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_string();
        if name.is_empty() || name.starts_with("__MACOSX") || full.starts_with("__MACOSX/") {
            continue;
        }
        let declared = entry.size();
        let mut data = Vec::new();
        // The declared size was checked; an entry that unpacks to more than it declared is refused.
        (&mut entry)
            .take(declared.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| Refusal::Unreadable(format!("压缩包条目“{name}”无法解压（{e}）")))?;
        if data.len() as u64 > declared {
            return Err(Refusal::TooLarge(format!(
                "压缩包条目“{name}”解压后超过其声明的{declared}字节"
            )));
        }
        files.push((i, name, data));
    }
    Ok(files)
}

/// Puts one file into the inbox unless it is there already; `None` when an earlier fetch saved it.
fn save(
    ws: &Workspace,
    settings: &Settings,
    state: &mut State,
    mut item: Item,
    bytes: &[u8],
) -> Result<Option<Saved>, Error> {
    item.sha256 = crate::output::hex(&Sha256::digest(bytes));
    item.size = bytes.len() as u64;
    let kind = if sniff::sniff(bytes, settings).is_ok()
        || sniff::Format::from_name(&extension(&item.original)).is_some()
    {
        Kind::Return
    } else {
        Kind::Other
    };
    if state.is_saved(&item) {
        return Ok(None);
    }
    let inbox = ws.inbox();
    if let Some(pending) = state.pending(&item).cloned()
        && arrived(ws, &pending)
    {
        // Killed after the file went in but before that was written down.
        state.saved(&pending)?;
        return Ok(Some(Saved {
            kind,
            item: pending,
        }));
    }
    let temp = inbox.join(format!(
        ".huizong-fetch-{}-{}.tmp",
        std::process::id(),
        item.uid
    ));
    write_synced(&temp, bytes)?;
    let result = link_unique(&inbox, &temp, state, &mut item);
    let _ = std::fs::remove_file(&temp);
    result?;
    crate::output::sync_dir(&inbox)?;
    state.saved(&item)?;
    Ok(Some(Saved { kind, item }))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(Error::io(path))?;
    f.write_all(bytes).map_err(Error::io(path))?;
    f.sync_all().map_err(Error::io(path))
}

/// Links `temp` into `inbox` under the first free name for `item.original`, writing the `saving` line first.
fn link_unique(inbox: &Path, temp: &Path, state: &mut State, item: &mut Item) -> Result<(), Error> {
    let mut reserved = crate::ledger::Reserved::default();
    loop {
        let target =
            crate::ledger::unique_path(inbox, Path::new(&clean_name(&item.original)), &reserved);
        item.name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        state.saving(item)?;
        // A hard link never replaces an existing file; where the file system has none, rename after a check.
        let linked = match std::fs::hard_link(temp, &target) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(_) if std::fs::symlink_metadata(&target).is_err() => {
                std::fs::rename(temp, &target).map_err(Error::io(&target))?;
                true
            }
            Err(e) => return Err(Error::io(&target)(e)),
            Ok(()) => true,
        };
        if linked {
            return Ok(());
        }
        // Someone put a file of that name there meanwhile: take the next name.
        reserved.insert(target);
    }
}

/// Whether an interrupted save completed: the file is in the inbox, or `run` has since filed it.
fn arrived(ws: &Workspace, pending: &Item) -> bool {
    let path = ws.inbox().join(&pending.name);
    let same = std::fs::read(&path)
        .is_ok_and(|b| crate::output::hex(&Sha256::digest(&b)) == pending.sha256);
    same || crate::ledger::read(&ws.ledger_path())
        .iter()
        .any(|e| e.name == pending.name && e.sha256 == pending.sha256)
}

/// Temporary files of a fetch that was killed: the journal says what to redo.
fn remove_stale_temps(inbox: &Path) {
    let Ok(dir) = std::fs::read_dir(inbox) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".huizong-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The fetch's result for the terminal: one line per file saved or message skipped, then a summary.
pub fn render(f: &Fetched) -> String {
    let mut out = String::new();
    for s in &f.saved {
        let kind = match s.kind {
            Kind::Return => "return",
            Kind::Other => "not-a-return",
        };
        out.push_str(&format!(
            "saved\t{kind}\t{}\tUID {}\t{}\t{}\t{}\n",
            s.item.name,
            s.item.uid,
            china_time(&s.item.received),
            s.item.sender,
            s.item.subject
        ));
    }
    for (uid, sender, subject) in &f.empty {
        out.push_str(&format!("no-attachment\tUID {uid}\t{sender}\t{subject}\n"));
    }
    for s in &f.skipped {
        out.push_str(&format!(
            "skipped\tUID {}\t{}\t{}\n",
            s.uid, s.subject, s.why
        ));
    }
    let returns = f.saved.iter().filter(|s| s.kind == Kind::Return).count();
    out.push_str(&format!(
        "收取新邮件{}封：保存文件{}个（报表{}个，其他{}个），无附件{}封，跳过{}封\n",
        f.messages,
        f.saved.len(),
        returns,
        f.saved.len() - returns,
        f.empty.len(),
        f.skipped.len()
    ));
    out
}

fn china_time(rfc3339: &str) -> String {
    rfc3339
        .parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A name a mail gave an attachment, made safe to create in the inbox: no path separators or control
/// characters, not hidden, not empty (a name from a mail is the sender's to choose).
fn clean_name(name: &str) -> String {
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
    match cleaned.trim_start_matches('.') {
        "" => "unnamed".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_unpacked_under_the_ingest_guards() {
        use std::io::Write;
        let zip_of = |n: usize| {
            let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
            for i in 0..n {
                z.start_file(
                    format!("dir/{i}.xlsx"),
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
                z.write_all(b"x").unwrap();
            }
            z.finish().unwrap().into_inner()
        };
        let files = unzip(&zip_of(2), &Settings::default()).unwrap();
        assert_eq!(
            files,
            [
                (0, "0.xlsx".to_string(), b"x".to_vec()),
                (1, "1.xlsx".to_string(), b"x".to_vec())
            ]
        );
        assert!(matches!(
            unzip(&zip_of(2_001), &Settings::default()),
            Err(Refusal::TooLarge(why)) if why == "压缩包内有2001个条目，超过上限2000个"
        ));
        let small = Settings {
            max_unpacked_bytes: 1,
            ..Settings::default()
        };
        assert!(matches!(
            unzip(&zip_of(2), &small),
            Err(Refusal::TooLarge(_))
        ));
    }

    #[test]
    fn a_workbook_renamed_to_zip_is_saved_whole() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .write_string(0, 0, "填报单位：陇西县")
            .unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let attachment = Attachment {
            part: "2".to_string(),
            name: "陇西县报表.zip".to_string(),
            bytes: bytes.clone(),
            forwarded_from: None,
        };
        let base = Item {
            mailbox: "m".to_string(),
            uidvalidity: 1,
            uid: 3,
            part: String::new(),
            message_id: String::new(),
            received: String::new(),
            sender: String::new(),
            subject: String::new(),
            original: String::new(),
            name: String::new(),
            sha256: String::new(),
            size: 0,
        };
        let mut out = Fetched::default();
        let files = unpack(&ws, &Settings::default(), &base, &attachment, &mut out).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0.original, "陇西县报表.zip");
        assert_eq!(files[0].1, bytes);
        assert!(out.unpacked.is_empty());
    }

    #[test]
    fn errors_say_what_to_do() {
        assert_eq!(
            FetchError::NoPassword {
                user: "fzb".to_string()
            }
            .to_string(),
            "HUIZONG_IMAP_PASSWORD is not set: put the password of the mailbox user fzb in that environment variable (it is never read from a file)"
        );
        assert_eq!(
            FetchError::Folder {
                folder: "报表".to_string(),
                message: "Mailbox doesn't exist".to_string()
            }
            .to_string(),
            "cannot open the mail folder \"报表\" read-only: Mailbox doesn't exist; check imap.folder"
        );
    }
}
