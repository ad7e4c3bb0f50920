//! The send log `outbox/<period>/mail/send-log.jsonl`: an intent line, on disk before a message goes out, a line
//! before its content goes, then its result, so that whatever interrupts a send, no message goes out more than
//! twice.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::send::MailError;
use crate::error::Error;

/// One line of the send log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRecord {
    /// The message's key.
    pub key: String,
    /// The Message-ID it went out with (absent from lines written before it was recorded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_id: String,
    /// The recipients of this try.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// (name, sha256) of each attachment.
    pub attachments: Vec<(String, String)>,
    /// When it was written (RFC 3339).
    pub time: String,
    /// `sending` (the intent), `content` (the recipients in `to` were accepted and the content is about to go),
    /// then `sent`, `failed: <why>` or `unknown: <why>`.
    pub result: String,
    /// (address, the server's answer) of each recipient refused on a try that reached others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<(String, String)>,
}

/// What a line of the send log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// About to go out: written and synced before the first SMTP command of the message.
    Sending,
    /// The server accepted the recipients of this line; the content is about to go. From here until a result,
    /// the message may be delivered.
    Content,
    /// The server took it for every recipient of the try but the refused ones.
    Sent,
    /// Not delivered to anyone: the server said no, or the connection broke before the message was complete.
    Failed,
    /// The whole message went out but no answer came back: it may have been delivered.
    Unknown,
}

impl State {
    /// The `result` text for this state, with the reason where there is one.
    pub fn result(self, why: &str) -> String {
        match self {
            State::Sending => "sending".to_string(),
            State::Content => "content".to_string(),
            State::Sent => "sent".to_string(),
            State::Failed => format!("failed: {why}"),
            State::Unknown => format!("unknown: {why}"),
        }
    }
}

impl SendRecord {
    /// The state its `result` says, or `None` for a text this version does not write.
    pub fn state(&self) -> Option<State> {
        match self.result.as_str() {
            "sending" => Some(State::Sending),
            "content" => Some(State::Content),
            "sent" => Some(State::Sent),
            r if r.starts_with("failed") => Some(State::Failed),
            r if r.starts_with("unknown") => Some(State::Unknown),
            _ => None,
        }
    }

    fn is_of(&self, key: &str, hashes: &[String]) -> bool {
        self.key == key
            && self.attachments.len() == hashes.len()
            && self
                .attachments
                .iter()
                .zip(hashes)
                .all(|((_, h), want)| h == want)
    }
}

/// What the log says about one message (same key and attachment hashes), recipient by recipient.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    delivered: Vec<String>,
    unknown: HashMap<String, u32>,
}

impl History {
    /// Whether a try reached this recipient for certain.
    pub fn delivered(&self, address: &str) -> bool {
        self.delivered.iter().any(|a| a == address)
    }

    /// How many tries may have reached this recipient without anyone knowing: interrupted while the content
    /// went out, or sent whole with no answer.
    pub fn unknown(&self, address: &str) -> u32 {
        self.unknown.get(address).copied().unwrap_or(0)
    }
}

/// The send log of one period, open for appending; only written under the workspace lock.
#[derive(Debug)]
pub struct SendLog {
    path: PathBuf,
    file: File,
    records: Vec<SendRecord>,
}

impl SendLog {
    /// Opens the log, creating it, and reads every line. A line that cannot be read stops here, naming it, so
    /// that nothing is sent on a guess; a last line cut short by a crash (a write that never finished, so its
    /// message never went out) is removed, so that the next record starts on a line of its own.
    pub fn open(path: &Path) -> Result<SendLog, Error> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let existed = path.exists();
        let mut file = File::options()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(Error::io(path))?;
        if !existed {
            // The new file's name must survive a crash as surely as the intent line written into it.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(Error::io(dir))?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(Error::io(path))?;
        let parsed = parse(&bytes).map_err(|(line, problem)| {
            Error::from(MailError::SendLog {
                path: path.to_path_buf(),
                line,
                problem,
            })
        })?;
        match parsed.tail {
            Tail::Whole => {}
            Tail::NoNewline => {
                file.write_all(b"\n")
                    .and_then(|()| file.sync_data())
                    .map_err(Error::io(path))?;
            }
            Tail::Torn { keep, line, text } => {
                log::warn!(
                    "{} line {line} was cut short by an interrupted write and is removed: {text}",
                    path.display()
                );
                file.set_len(keep as u64)
                    .and_then(|()| file.sync_data())
                    .map_err(Error::io(path))?;
            }
        }
        Ok(SendLog {
            path: path.to_path_buf(),
            file,
            records: parsed.records,
        })
    }

    /// Every record read or written so far, in order.
    pub fn records(&self) -> &[SendRecord] {
        &self.records
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: SendRecord) -> Result<(), Error> {
        let mut line = serde_json::to_string(&record).map_err(|e| {
            Error::from(MailError::Build {
                key: record.key.clone(),
                message: e.to_string(),
            })
        })?;
        line.push('\n');
        // One write of the whole line, so that a crash leaves at most a torn last line, which `open` removes.
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(Error::io(&self.path))?;
        self.records.push(record);
        Ok(())
    }

    /// What the log says about the message with this key and these attachment hashes.
    pub fn history(&self, key: &str, hashes: &[String]) -> History {
        history(self.records.iter().filter(|r| r.is_of(key, hashes)))
    }
}

fn history<'a>(records: impl Iterator<Item = &'a SendRecord>) -> History {
    let mut h = History::default();
    // The recipients whose content was going out when the last line of a try was written: a try interrupted
    // there (no result follows before the next try, or ever) may have been delivered.
    let mut open: Option<&[String]> = None;
    for r in records {
        let Some(state) = r.state() else { continue };
        match state {
            State::Sending => interrupted(open.take(), &mut h),
            State::Content => open = Some(&r.to),
            State::Sent | State::Failed | State::Unknown => {
                open = None;
                for to in
                    r.to.iter()
                        .filter(|to| !r.refused.iter().any(|(a, _)| a == *to))
                {
                    match state {
                        State::Sent if !h.delivered(to) => h.delivered.push(to.clone()),
                        State::Unknown => *h.unknown.entry(to.clone()).or_default() += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    interrupted(open, &mut h);
    h
}

fn interrupted(open: Option<&[String]>, h: &mut History) {
    for to in open.unwrap_or_default() {
        *h.unknown.entry(to.clone()).or_default() += 1;
    }
}

/// How the file ends.
#[derive(Debug, PartialEq, Eq)]
enum Tail {
    /// With a newline, or empty.
    Whole,
    /// With a whole record but no newline after it.
    NoNewline,
    /// With the start of a record whose write never finished: the file is cut back to `keep` bytes.
    Torn {
        keep: usize,
        line: usize,
        text: String,
    },
}

#[derive(Debug)]
struct Parsed {
    records: Vec<SendRecord>,
    tail: Tail,
}

/// Reads every line; the error is (line number, what is wrong with it).
fn parse(bytes: &[u8]) -> Result<Parsed, (usize, String)> {
    let mut records = Vec::new();
    let mut start = 0;
    let mut number = 0;
    while start < bytes.len() {
        number += 1;
        let Some(len) = bytes[start..].iter().position(|&b| b == b'\n') else {
            let rest = &bytes[start..];
            // A write cut short may also end inside a multi-byte character.
            let text = match std::str::from_utf8(rest) {
                Ok(t) => t,
                Err(e) if e.error_len().is_none() => {
                    std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default()
                }
                Err(_) => return Err((number, "it is not UTF-8 text".to_string())),
            };
            if text.trim().is_empty() {
                return Ok(Parsed {
                    records,
                    tail: Tail::Torn {
                        keep: start,
                        line: number,
                        text: String::new(),
                    },
                });
            }
            return match serde_json::from_str::<SendRecord>(text) {
                Ok(r) if text.len() == rest.len() => {
                    check(&r).map_err(|p| (number, p))?;
                    records.push(r);
                    Ok(Parsed {
                        records,
                        tail: Tail::NoNewline,
                    })
                }
                Err(e) if e.is_eof() => Ok(Parsed {
                    records,
                    tail: Tail::Torn {
                        keep: start,
                        line: number,
                        text: text.to_string(),
                    },
                }),
                Ok(_) => Err((number, "it ends inside a character".to_string())),
                Err(e) => Err((number, e.to_string())),
            };
        };
        let line = &bytes[start..start + len];
        start += len + 1;
        let text =
            std::str::from_utf8(line).map_err(|_| (number, "it is not UTF-8 text".to_string()))?;
        if text.trim().is_empty() {
            continue;
        }
        let record: SendRecord = serde_json::from_str(text).map_err(|e| (number, e.to_string()))?;
        check(&record).map_err(|p| (number, p))?;
        records.push(record);
    }
    Ok(Parsed {
        records,
        tail: Tail::Whole,
    })
}

fn check(r: &SendRecord) -> Result<(), String> {
    match r.state() {
        Some(_) => Ok(()),
        None => Err(format!(
            "result {:?} is none of sending, content, sent, failed or unknown",
            r.result
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, to: &[&str], result: &str) -> SendRecord {
        SendRecord {
            key: key.to_string(),
            message_id: "<x@y>".to_string(),
            to: to.iter().map(|s| s.to_string()).collect(),
            subject: "【反馈】市科技局".to_string(),
            attachments: vec![("a.xlsx".to_string(), "h1".to_string())],
            time: "2020-11-06T00:00:00Z".to_string(),
            result: result.to_string(),
            refused: Vec::new(),
        }
    }

    fn line(r: &SendRecord) -> String {
        serde_json::to_string(r).unwrap() + "\n"
    }

    fn hist(records: &[SendRecord]) -> History {
        history(records.iter().filter(|r| r.is_of("k", &["h1".to_string()])))
    }

    #[test]
    fn a_try_interrupted_while_its_content_went_out_counts_as_unknown() {
        let a = ["a@x.org"];
        // Interrupted before the content: nothing can have been delivered.
        assert_eq!(hist(&[record("k", &a, "sending")]).unknown("a@x.org"), 0);
        let h = hist(&[record("k", &a, "sending"), record("k", &a, "content")]);
        assert_eq!(h.unknown("a@x.org"), 1);
        let h = hist(&[
            record("k", &a, "sending"),
            record("k", &a, "content"),
            record("k", &a, "sending"),
            record("k", &a, "content"),
            record(
                "k",
                &a,
                "failed: 127.0.0.1:25 refused the message: 554 5.6.0 no",
            ),
        ]);
        assert_eq!(h.unknown("a@x.org"), 1);
        assert!(!h.delivered("a@x.org"));
        let h = hist(&[
            record("k", &a, "sending"),
            record("k", &a, "content"),
            record("k", &a, "sent"),
        ]);
        assert_eq!((h.unknown("a@x.org"), h.delivered("a@x.org")), (0, true));
        let h = hist(&[
            record("k", &a, "sending"),
            record("k", &a, "content"),
            record("k", &a, "unknown: no answer"),
            record("k", &a, "sending"),
            record("k", &a, "content"),
        ]);
        assert_eq!(h.unknown("a@x.org"), 2);
        // Only the recipients the server accepted were going to get the content.
        let h = hist(&[
            record("k", &["a@x.org", "b@x.org"], "sending"),
            record("k", &a, "content"),
        ]);
        assert_eq!((h.unknown("a@x.org"), h.unknown("b@x.org")), (1, 0));
    }

    #[test]
    fn a_refused_recipient_is_not_delivered_but_the_others_are() {
        let mut sent = record("k", &["a@x.org", "b@x.org"], "sent");
        sent.refused = vec![("b@x.org".to_string(), "550 no such user".to_string())];
        let h = hist(&[
            record("k", &["a@x.org", "b@x.org"], "sending"),
            record("k", &["a@x.org"], "content"),
            sent,
        ]);
        assert!(h.delivered("a@x.org"));
        assert!(!h.delivered("b@x.org"));
        assert_eq!(h.unknown("b@x.org"), 0);
    }

    #[test]
    fn a_log_written_before_intents_still_counts_its_deliveries() {
        let old = r#"{"key":"k","to":["a@x.org"],"subject":"s","attachments":[["a.xlsx","h1"]],"time":"t","result":"sent"}"#;
        let parsed = parse(format!("{old}\n").as_bytes()).unwrap();
        assert!(hist(&parsed.records).delivered("a@x.org"));
    }

    #[test]
    fn other_attachments_make_another_message() {
        let mut r = record("k", &["a@x.org"], "sent");
        r.attachments[0].1 = "h2".to_string();
        assert!(!hist(&[r]).delivered("a@x.org"));
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_does_not_swallow_the_next_one() {
        let first = line(&record("k", &["a@x.org"], "sending"));
        let torn = &line(&record("k", &["a@x.org"], "sent"))[..40];
        let parsed = parse(format!("{first}{torn}").as_bytes()).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(
            parsed.tail,
            Tail::Torn {
                keep: first.len(),
                line: 2,
                text: torn.to_string()
            }
        );
        // Cut inside the Chinese subject, in the middle of a character.
        let whole = line(&record("k", &["a@x.org"], "sent"));
        let cut = whole.find('科').unwrap() + 1;
        let parsed = parse(&whole.as_bytes()[..cut]).unwrap();
        assert!(matches!(
            parsed.tail,
            Tail::Torn {
                keep: 0,
                line: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_whole_last_record_without_its_newline_is_kept() {
        let r = record("k", &["a@x.org"], "sent");
        let parsed = parse(serde_json::to_string(&r).unwrap().as_bytes()).unwrap();
        assert_eq!(parsed.records, vec![r]);
        assert_eq!(parsed.tail, Tail::NoNewline);
    }

    #[test]
    fn a_damaged_line_is_named() {
        let good = line(&record("k", &["a@x.org"], "sent"));
        let text = format!("{good}{{\"key\": 12}}\n{good}");
        let (n, problem) = parse(text.as_bytes()).unwrap_err();
        assert_eq!(n, 2);
        assert!(problem.contains("invalid type"), "{problem}");
        let text = format!("{good}{}", line(&record("k", &["a@x.org"], "maybe")));
        assert_eq!(parse(text.as_bytes()).unwrap_err().0, 2);
        let mut bytes = good.clone().into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n");
        assert_eq!(
            parse(&bytes).unwrap_err(),
            (2, "it is not UTF-8 text".to_string())
        );
        // Damage in the last line that is not a cut-short write is not taken for one.
        let text = format!("{good}{{\"key\": ]");
        assert_eq!(parse(text.as_bytes()).unwrap_err().0, 2);
    }

    #[test]
    fn appending_after_a_torn_line_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail").join("send-log.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let first = line(&record("k", &["a@x.org"], "sending"));
        std::fs::write(&path, format!("{first}{{\"key\":\"k\",\"to\":[\"a@")).unwrap();
        let mut log = SendLog::open(&path).unwrap();
        log.append(record("k", &["a@x.org"], "sent")).unwrap();
        drop(log);
        let log = SendLog::open(&path).unwrap();
        assert_eq!(log.records().len(), 2);
        assert!(log.history("k", &["h1".to_string()]).delivered("a@x.org"));
    }
}
