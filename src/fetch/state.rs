//! What fetch remembers: every attachment it saved, with the mail it came in, in `outbox/fetch/state.jsonl`.
//!
//! An append-only JSON-lines journal, fsync'd after each line. Before a file is put into the inbox a `saving`
//! line names it; once it is there a `saved` line follows; once every attachment of a message is saved a `done`
//! line marks the message. A fetch killed between any two steps finds the `saving` line on its next start and
//! checks whether the file arrived, so that no attachment is saved twice and none is lost.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::plan::Catalogue;

/// One attachment (or one file unpacked from a zip attachment) and the mail it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The mailbox: `user@host/folder`.
    pub mailbox: String,
    /// The folder's UIDVALIDITY: UIDs are only unique within one.
    pub uidvalidity: u32,
    /// The message's UID.
    pub uid: u32,
    /// Which part of the message: the attachment's position, and for a file from a zip its position inside.
    pub part: String,
    /// The message's Message-ID header, to recognise the mail if the server renumbers its UIDs.
    pub message_id: String,
    /// When the message arrived at the server (its INTERNALDATE, RFC 3339).
    pub received: String,
    /// The sender's address (for an attachment of a forwarded mail, that mail's sender).
    pub sender: String,
    /// The message's subject.
    pub subject: String,
    /// The attachment's name as the mail gives it, decoded.
    pub original: String,
    /// The name it was saved under in `inbox/`.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Record {
    /// About to put the file into the inbox under `name`.
    Saving(Item),
    /// The file is in the inbox.
    Saved(Item),
    /// Every attachment of the message is saved.
    Done {
        mailbox: String,
        uidvalidity: u32,
        uid: u32,
    },
}

/// The journal, read once at the start of a fetch and appended to as it goes.
#[derive(Debug, Default)]
pub struct State {
    path: std::path::PathBuf,
    /// The journal ends in a torn line (a fetch killed mid-write): the next line starts on a fresh one.
    torn: bool,
    done: HashSet<(String, u32, u32)>,
    saved: HashSet<(String, u32, u32, String)>,
    /// Message-ID, part and content of every saved item: the same mail under a new UIDVALIDITY.
    saved_content: HashSet<(String, String, String)>,
    pending: HashMap<(String, u32, u32, String), Item>,
}

impl State {
    /// Reads the journal at `path` (none yet: empty); a torn last line from a crash is skipped.
    pub fn load(path: &Path) -> State {
        let mut state = State {
            path: path.to_path_buf(),
            torn: std::fs::read(path).is_ok_and(|b| !b.is_empty() && !b.ends_with(b"\n")),
            ..State::default()
        };
        for record in read(path) {
            state.note(record);
        }
        state
    }

    fn note(&mut self, record: Record) {
        match record {
            Record::Saving(item) => {
                self.pending.insert(item_key(&item), item);
            }
            Record::Saved(item) => {
                let key = item_key(&item);
                self.pending.remove(&key);
                if !item.message_id.is_empty() {
                    self.saved_content.insert((
                        item.message_id.clone(),
                        item.part.clone(),
                        item.sha256.clone(),
                    ));
                }
                self.saved.insert(key);
            }
            Record::Done {
                mailbox,
                uidvalidity,
                uid,
            } => {
                self.done.insert((mailbox, uidvalidity, uid));
            }
        }
    }

    /// Whether every attachment of this message is saved.
    pub fn is_done(&self, mailbox: &str, uidvalidity: u32, uid: u32) -> bool {
        self.done.contains(&(mailbox.to_string(), uidvalidity, uid))
    }

    /// Whether this part of this message is saved already (under this UIDVALIDITY, or the same mail and bytes
    /// under an earlier one).
    pub fn is_saved(&self, item: &Item) -> bool {
        self.saved.contains(&item_key(item))
            || (!item.message_id.is_empty()
                && self.saved_content.contains(&(
                    item.message_id.clone(),
                    item.part.clone(),
                    item.sha256.clone(),
                )))
    }

    /// The `saving` line of a save that was interrupted, if this part had one.
    pub fn pending(&self, item: &Item) -> Option<&Item> {
        self.pending.get(&item_key(item))
    }

    /// Records that `item` is about to be put into the inbox.
    pub fn saving(&mut self, item: &Item) -> Result<(), Error> {
        self.append(Record::Saving(item.clone()))
    }

    /// Records that `item` is in the inbox.
    pub fn saved(&mut self, item: &Item) -> Result<(), Error> {
        self.append(Record::Saved(item.clone()))
    }

    /// Records that every attachment of a message is saved.
    pub fn done(&mut self, mailbox: &str, uidvalidity: u32, uid: u32) -> Result<(), Error> {
        self.append(Record::Done {
            mailbox: mailbox.to_string(),
            uidvalidity,
            uid,
        })
    }

    fn append(&mut self, record: Record) -> Result<(), Error> {
        let path = self.path.clone();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let mut text = serde_json::to_string(&record).expect("journal lines serialise");
        text.push('\n');
        // A fetch killed mid-line leaves a torn last line; start on a fresh line so that only it is lost.
        if self.torn {
            text.insert(0, '\n');
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        f.write_all(text.as_bytes()).map_err(Error::io(&path))?;
        f.sync_all().map_err(Error::io(&path))?;
        self.torn = false;
        self.note(record);
        Ok(())
    }
}

fn item_key(item: &Item) -> (String, u32, u32, String) {
    (
        item.mailbox.clone(),
        item.uidvalidity,
        item.uid,
        item.part.clone(),
    )
}

fn read(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// When and from whom each fetched file came, for `run`: looked up by name and content.
#[derive(Debug, Default)]
pub struct Arrivals {
    by_name: HashMap<(String, String), Item>,
    by_content: HashMap<String, Item>,
}

impl Arrivals {
    /// Every file fetch saved into the workspace's inbox, from `outbox/fetch/state.jsonl`.
    pub fn load(ws: &crate::workspace::Workspace) -> Arrivals {
        let mut arrivals = Arrivals::default();
        for record in read(&journal_path(ws)) {
            // A `saving` line counts too: a fetch killed just after the file went in has not written `saved`
            // yet, and the content hash ties the file to its mail all the same.
            if let Record::Saving(item) | Record::Saved(item) = record {
                // The earliest arrival of the same bytes counts, as the ledger counts first sight.
                let earlier = |old: &Item| old.received <= item.received;
                if !arrivals.by_content.get(&item.sha256).is_some_and(earlier) {
                    arrivals
                        .by_content
                        .insert(item.sha256.clone(), item.clone());
                }
                arrivals
                    .by_name
                    .insert((item.name.clone(), item.sha256.clone()), item);
            }
        }
        arrivals
    }

    /// The mail the file `name` with these bytes came in: by name and content, else (an archived file may have
    /// been renamed on a clash) by content alone.
    pub fn get(&self, name: &str, sha256: &str) -> Option<&Item> {
        if sha256.is_empty() {
            return None;
        }
        self.by_name
            .get(&(name.to_string(), sha256.to_string()))
            .or_else(|| self.by_content.get(sha256))
    }

    /// When the file's mail arrived at the server.
    pub fn received(&self, name: &str, sha256: &str) -> Option<std::time::SystemTime> {
        let t: jiff::Timestamp = self.get(name, sha256)?.received.parse().ok()?;
        std::time::SystemTime::try_from(t).ok()
    }

    /// The reporting unit the file's mail came from: the one whose address (as the plan gives it) sent it, else
    /// the one unit the subject names (a clerk writing from a personal mailbox: “陇西县10月进展”).
    pub fn sender_unit(&self, name: &str, sha256: &str, catalogue: &Catalogue) -> Option<String> {
        let item = self.get(name, sha256)?;
        let sender = item.sender.trim();
        let by_address = catalogue
            .reporting_units()
            .find(|u| !sender.is_empty() && u.email.trim().eq_ignore_ascii_case(sender));
        by_address
            .or_else(|| only_unit_named_in(&item.subject, catalogue))
            .map(|u| u.code.clone())
    }
}

/// The unit `subject` names, when it names exactly one (a mail forwarding several units' returns names none).
fn only_unit_named_in<'c>(
    subject: &str,
    catalogue: &'c Catalogue,
) -> Option<&'c crate::plan::model::Unit> {
    let unit = catalogue.unit_named_in(subject)?;
    let mut names: Vec<String> = std::iter::once(&unit.name)
        .chain(&unit.aliases)
        .map(|n| crate::normalise::fold_text(n))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut rest = crate::normalise::fold_text(subject);
    for n in &names {
        rest = rest.replace(n.as_str(), " ");
    }
    let reporting = catalogue.reporting_units().any(|u| u.code == unit.code);
    (reporting && catalogue.unit_named_in(&rest).is_none()).then_some(unit)
}

/// `outbox/fetch/state.jsonl`.
pub fn journal_path(ws: &crate::workspace::Workspace) -> std::path::PathBuf {
    ws.root.join("outbox").join("fetch").join("state.jsonl")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(uid: u32, part: &str, name: &str) -> Item {
        Item {
            mailbox: "office@127.0.0.1/INBOX".to_string(),
            uidvalidity: 7,
            uid,
            part: part.to_string(),
            message_id: format!("m{uid}@x"),
            received: "2020-11-03T02:00:00Z".to_string(),
            sender: "longxi@dingxi.example.org".to_string(),
            subject: "10月报表".to_string(),
            original: name.to_string(),
            name: name.to_string(),
            sha256: format!("sha-{uid}-{part}"),
            size: 1,
        }
    }

    #[test]
    fn the_sender_or_the_one_unit_a_subject_names_identifies_the_mail() {
        let c = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let arrivals = |sender: &str, subject: &str| {
            let mut a = Arrivals::default();
            let it = Item {
                sender: sender.to_string(),
                subject: subject.to_string(),
                ..item(1, "1", "表.xlsx")
            };
            a.by_content.insert(it.sha256.clone(), it);
            a.sender_unit("表.xlsx", "sha-1-1", &c)
        };
        assert_eq!(
            arrivals("KJJ@dingxi.example.org", "陇西县").as_deref(),
            Some("kjj")
        );
        assert_eq!(
            arrivals("clerk@qq.com", "陇西县10月进展").as_deref(),
            Some("longxi")
        );
        assert_eq!(
            arrivals("clerk@qq.com", "转发：市科技局报表").as_deref(),
            Some("kjj")
        );
        assert_eq!(arrivals("clerk@qq.com", "陇西县、渭源县10月报表"), None);
        assert_eq!(arrivals("clerk@qq.com", "10月报表"), None);
    }

    #[test]
    fn the_journal_survives_a_torn_line_and_remembers_what_was_pending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fetch/state.jsonl");
        let mut state = State::load(&path);
        let (a, b) = (item(1, "1", "a.xlsx"), item(1, "2", "b.xlsx"));
        state.saving(&a).unwrap();
        state.saved(&a).unwrap();
        state.saving(&b).unwrap();
        // A fetch killed while writing the next line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"kind\":\"saved\",\"mail").unwrap();

        let mut state = State::load(&path);
        assert!(state.is_saved(&a));
        assert!(!state.is_saved(&b));
        assert_eq!(state.pending(&b), Some(&b));
        assert!(!state.is_done(&a.mailbox, 7, 1));
        state.saved(&b).unwrap();
        state.done(&a.mailbox, 7, 1).unwrap();

        let state = State::load(&path);
        assert!(state.is_saved(&b) && state.pending(&b).is_none());
        assert!(state.is_done(&a.mailbox, 7, 1));
        // The same mail under a new UIDVALIDITY is recognised by its Message-ID and content.
        let renumbered = Item {
            uidvalidity: 8,
            uid: 40,
            ..a.clone()
        };
        assert!(state.is_saved(&renumbered));
    }
}
