//! Delivery: the `mail` command under the workspace lock, the login checked first, each message recorded in the
//! send log before, while and after it goes out (the SMTP exchange itself is in `smtp`), and a bound on the whole
//! send.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::message::header::MessageId;
use sha2::{Digest, Sha256};

use super::sendlog::{SendLog, SendRecord, State};
use super::smtp::{Event, Job, Worker, tls_parameters};
use super::{Outgoing, compose, message, write_eml};
use crate::consolidate::model::Report;
use crate::error::Error;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::{Login, Settings};
use crate::workspace::Workspace;

/// Errors of the mail stage.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A template does not parse or render.
    #[error("the mail template {name} is invalid: {message}; fix it in templates/mail/")]
    Template {
        /// Template file name.
        name: String,
        /// What minijinja said.
        message: String,
    },
    /// An address in the plan or settings is malformed.
    #[error(
        "'{address}' is not a valid e-mail address ({context}); correct it in the plan or huizong.toml"
    )]
    Address {
        /// The address.
        address: String,
        /// Whose address.
        context: String,
    },
    /// The message could not be built.
    #[error("cannot build the message {key}: {message}")]
    Build {
        /// The message key.
        key: String,
        /// Why.
        message: String,
    },
    /// A line of the send log cannot be read: what was sent is unknown, so nothing is sent.
    #[error(
        "the send log {} cannot be read at line {line}: {problem}. Nothing was sent: without the log, messages \
         already delivered would go out again. Repair or delete that line (a message whose lines are deleted \
         may be sent again), then run `huizong mail --send` again",
        path.display()
    )]
    SendLog {
        /// The send log.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
}

impl From<MailError> for Error {
    fn from(e: MailError) -> Error {
        Error::Mail(Box::new(e))
    }
}

/// What `send` did.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Messages delivered now to every recipient tried.
    pub sent: Vec<String>,
    /// Messages already delivered by an earlier `--send`.
    pub skipped: Vec<String>,
    /// (key, why) of each message not delivered to at least one recipient.
    pub failed: Vec<(String, String)>,
    /// (key, why) of each message sent whole with no answer: it may have been delivered.
    pub unknown: Vec<(String, String)>,
}

/// The Message-ID of a message: the same for every try of it (key, attachment names and hashes), so that a
/// message sent twice after a crash shows once in the recipient's mail client.
pub fn message_id(m: &Outgoing, from: &str) -> String {
    let mut h = Sha256::new();
    h.update(m.key.as_bytes());
    for ((name, _), hash) in m.attachments.iter().zip(m.attachment_hashes()) {
        h.update([0]);
        h.update(name.as_bytes());
        h.update([0]);
        h.update(hash.as_bytes());
    }
    let digest = output::hex(&h.finalize());
    let domain = from
        .rsplit_once('@')
        .map_or("huizong.invalid", |(_, d)| d.trim_end_matches('>'));
    format!("<{}.huizong@{domain}>", &digest[..32])
}

/// The login to send with, checked against the settings before anything is composed or connected.
pub fn check_login(ws: &Workspace, settings: &Settings) -> Result<Option<Login>, Error> {
    settings
        .smtp
        .login(std::env::var("HUIZONG_SMTP_PASSWORD").ok())
        .map_err(|message| Error::Settings {
            path: ws.settings_path(),
            message,
        })
}

/// `huizong mail`: compose the period's messages, write them as .eml, and with `send` deliver them. Returns
/// whether every message went out (or none was to be sent).
pub fn run(ws: &Workspace, period: Period, send_now: bool) -> Result<bool, Error> {
    let settings = Settings::load(&ws.settings_path())?;
    let login = if send_now {
        check_login(ws, &settings)?
    } else {
        None
    };
    let _lock = lock(ws, &settings, period, send_now)?;
    let catalogue = crate::plan::load(&ws.plan_path())?;
    let path = ws.report_path(period);
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| Error::Settings {
        path: path.clone(),
        message: format!("{e}; run `huizong run --period {period}` first"),
    })?;
    deliver_locked(
        ws,
        &report,
        &catalogue,
        &settings,
        period,
        send_now.then_some(login),
    )
}

/// Composes, writes .eml files, and with `send_now` delivers; prints a line per message. Holds the workspace lock.
/// Returns whether every message went out (or none was to be sent).
pub fn deliver(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    send_now: bool,
) -> Result<bool, Error> {
    let login = if send_now {
        check_login(ws, settings)?
    } else {
        None
    };
    let _lock = lock(ws, settings, period, send_now)?;
    deliver_locked(
        ws,
        report,
        catalogue,
        settings,
        period,
        send_now.then_some(login),
    )
}

/// Two sends at once would each deliver every message: the send log is read and written under the lock.
fn lock(
    ws: &Workspace,
    settings: &Settings,
    period: Period,
    send_now: bool,
) -> Result<crate::lock::WorkspaceLock, Error> {
    let what = format!(
        "huizong mail --period {period}{}",
        if send_now { " --send" } else { "" }
    );
    crate::lock::acquire(ws, &what, settings.lock_wait)
}

/// `send`: `None` to only write the .eml files, else the login to send with.
fn deliver_locked(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    send: Option<Option<Login>>,
) -> Result<bool, Error> {
    let messages = compose(ws, report, catalogue, settings, period)?;
    let dir = ws.period_dir(period).join("mail");
    let written = write_eml(&dir, &messages, &settings.smtp.from)?;
    println!("{} messages written to {}", written.len(), dir.display());
    let Some(login) = send else {
        return Ok(true);
    };
    let mut log = SendLog::open(&dir.join("send-log.jsonl"))?;
    let d = self::send(&messages, settings, login.as_ref(), &mut log)?;
    println!(
        "sent {}, already sent {}, failed {}, outcome unknown {}",
        d.sent.len(),
        d.skipped.len(),
        d.failed.len(),
        d.unknown.len()
    );
    for (key, why) in &d.failed {
        println!("failed: {key}: {why}");
    }
    for (key, why) in &d.unknown {
        println!("outcome unknown: {key}: {why}");
    }
    Ok(d.failed.is_empty() && d.unknown.is_empty())
}

/// How long after the deadline the log keeper waits for the SMTP worker's own (more precise) account of a timeout.
const GRACE: Duration = Duration::from_secs(1);

/// Delivers every message not yet delivered to each of its recipients, recording each try in the log: an intent
/// line before the first SMTP command, the result after. A recipient whose earlier try has an unknown outcome
/// is tried once more; after a second unknown outcome it is not tried again.
///
/// The SMTP exchange runs on a thread of its own so that `smtp.total_timeout_seconds` bounds the whole send even
/// when a server answers a byte at a time: at the deadline this thread stops listening and the exchange is left
/// behind, to end with the process.
pub fn send(
    messages: &[Outgoing],
    settings: &Settings,
    login: Option<&Login>,
    log: &mut SendLog,
) -> Result<Delivery, Error> {
    let smtp = &settings.smtp;
    let deadline = Instant::now() + smtp.total_timeout;
    let mut delivery = Delivery::default();
    let todo = to_send(messages, log, &mut delivery);
    if todo.is_empty() {
        return Ok(delivery);
    }
    let tls = tls_parameters(settings)?;
    let from: Address = smtp.from.parse().map_err(|_| {
        Error::from(MailError::Address {
            address: smtp.from.clone(),
            context: "smtp.from".to_string(),
        })
    })?;
    let server = smtp.address();
    let record = |m: &Outgoing, to: &[String], state: State, why: &str, refused| SendRecord {
        key: m.key.clone(),
        message_id: message_id(m, &smtp.from),
        to: to.to_vec(),
        subject: m.subject.clone(),
        attachments: m
            .attachments
            .iter()
            .map(|(n, _)| n.clone())
            .zip(m.attachment_hashes())
            .collect(),
        time: jiff::Timestamp::now().to_string(),
        result: state.result(why),
        refused,
    };

    let mut owners = Vec::new();
    let mut jobs = Vec::new();
    for (m, to) in todo {
        match message(m, &smtp.from) {
            Ok(mut msg) => {
                msg.headers_mut()
                    .set(MessageId::from(message_id(m, &smtp.from)));
                jobs.push(Job {
                    to: to.clone(),
                    bytes: msg.formatted(),
                });
                owners.push((m, to));
            }
            Err(e) => {
                let why = e.to_string();
                log.append(record(m, &to, State::Failed, &why, Vec::new()))?;
                delivery.failed.push((m.key.clone(), why));
            }
        }
    }

    let (events, inbox) = mpsc::channel();
    let (ack, acks) = mpsc::channel();
    let worker = Worker {
        smtp: smtp.clone(),
        tls,
        login: login.cloned(),
        from,
        deadline,
    };
    let handle = std::thread::spawn(move || worker.run(&jobs, &events, &acks));
    let mut finished = vec![false; owners.len()];
    // The job on the wire, and whether its content has started to go.
    let mut in_flight: Option<(usize, bool)> = None;
    let mut take = |event: Event,
                    may_start: bool,
                    in_flight: &mut Option<(usize, bool)>|
     -> Result<(), Error> {
        // The worker waits for each acknowledgement: no command of a message goes out before its intent is on
        // disk, and none of its content before the line saying so.
        match event {
            Event::Sending(i) if may_start => {
                let (m, to) = &owners[i];
                log.append(record(m, to, State::Sending, "", Vec::new()))?;
                *in_flight = Some((i, false));
                let _ = ack.send(());
            }
            Event::Content(i, accepted) if may_start && *in_flight == Some((i, false)) => {
                let (m, _) = &owners[i];
                log.append(record(m, &accepted, State::Content, "", Vec::new()))?;
                *in_flight = Some((i, true));
                let _ = ack.send(());
            }
            Event::Sending(_) | Event::Content(..) => {}
            Event::Tried {
                job,
                state,
                why,
                refused,
                again,
            } => {
                let (m, to) = &owners[job];
                log.append(record(m, to, state, &why, refused.clone()))?;
                *in_flight = None;
                if !again {
                    finished[job] = true;
                    let why = hint(log, m, to, state, why);
                    tally(&mut delivery, &m.key, to, state, why, &refused, &server);
                }
            }
        }
        Ok(())
    };
    let expired = loop {
        let left = (deadline + GRACE).saturating_duration_since(Instant::now());
        match inbox.recv_timeout(left) {
            Ok(event) => take(event, true, &mut in_flight)?,
            Err(mpsc::RecvTimeoutError::Timeout) => break true,
            Err(mpsc::RecvTimeoutError::Disconnected) => break false,
        }
    };
    if expired {
        // What the worker finished just in time still counts; what it was about to start never starts.
        while let Ok(event) = inbox.try_recv() {
            take(event, false, &mut in_flight)?;
        }
    } else {
        let _ = handle.join();
    }
    let limit = smtp.total_timeout.as_secs();
    for (i, (m, to)) in owners.iter().enumerate() {
        if finished[i] {
            continue;
        }
        let (state, why) = match in_flight {
            Some((job, true)) if job == i => (
                State::Unknown,
                format!(
                    "{server} was still busy with its content when the send reached smtp.total_timeout_seconds = \
                     {limit} s"
                ),
            ),
            Some((job, false)) if job == i => (
                State::Failed,
                format!(
                    "{server} was still busy with it, before its content went, when the send reached \
                     smtp.total_timeout_seconds = {limit} s; send again to deliver it"
                ),
            ),
            _ => (
                State::Failed,
                format!(
                    "not tried: the send reached smtp.total_timeout_seconds = {limit} s; send again to deliver \
                     the rest"
                ),
            ),
        };
        log.append(record(m, to, state, &why, Vec::new()))?;
        let why = hint(log, m, to, state, why);
        tally(&mut delivery, &m.key, to, state, why, &[], &server);
    }
    Ok(delivery)
}

/// For an unknown outcome, what the next `--send` will do about it.
fn hint(log: &SendLog, m: &Outgoing, to: &[String], state: State, why: String) -> String {
    if state != State::Unknown {
        return why;
    }
    let history = log.history(&m.key, &m.attachment_hashes());
    if to.iter().any(|a| history.unknown(a) >= 2) {
        format!(
            "{why}; this was its second try whose outcome is unknown, so it is not sent again: ask whether it arrived"
        )
    } else {
        format!(
            "{why}; the next `huizong mail --send` sends it once more, with the same Message-ID"
        )
    }
}

/// Counts one message's final result in `delivery`, and logs it.
fn tally(
    delivery: &mut Delivery,
    key: &str,
    to: &[String],
    state: State,
    why: String,
    refused: &[(String, String)],
    server: &str,
) {
    match state {
        State::Sent if refused.is_empty() => {
            log::info!("sent {key} to {}", to.join(", "));
            delivery.sent.push(key.to_string());
        }
        State::Sent => {
            let why = refusals(server, refused);
            log::info!("{key}: {why}");
            delivery.failed.push((key.to_string(), why));
        }
        State::Unknown => {
            log::info!("{key} to {}: {why}", to.join(", "));
            delivery.unknown.push((key.to_string(), why));
        }
        State::Failed | State::Sending | State::Content => {
            log::info!("{key} to {}: {why}", to.join(", "));
            delivery.failed.push((key.to_string(), why));
        }
    }
}

/// The messages to try and, for each, the recipients it has not reached; records in `delivery` the messages
/// already delivered and the recipients not to be tried again.
fn to_send<'a>(
    messages: &'a [Outgoing],
    log: &SendLog,
    delivery: &mut Delivery,
) -> Vec<(&'a Outgoing, Vec<String>)> {
    let mut todo = Vec::new();
    for m in messages {
        let history = log.history(&m.key, &m.attachment_hashes());
        let (twice, to): (Vec<String>, Vec<String>) =
            m.to.iter()
                .filter(|a| !history.delivered(a))
                .cloned()
                .partition(|a| history.unknown(a) >= 2);
        if twice.is_empty() && to.is_empty() {
            delivery.skipped.push(m.key.clone());
            continue;
        }
        if !twice.is_empty() {
            delivery.failed.push((
                m.key.clone(),
                format!(
                    "not sent a third time to {}: two earlier tries may each have been delivered (interrupted, or \
                     no answer from the server). Ask whether it arrived; if not, delete this message's lines from \
                     send-log.jsonl and send again",
                    twice.join(", ")
                ),
            ));
        }
        if !to.is_empty() {
            todo.push((m, to));
        }
    }
    todo
}

fn refusals(server: &str, refused: &[(String, String)]) -> String {
    refused
        .iter()
        .map(|(a, why)| format!("{server} refused {a}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(bytes: &[u8]) -> Outgoing {
        Outgoing {
            key: "feedback_kjj".to_string(),
            to: vec!["kjj@dingxi.example.org".to_string()],
            subject: "【2020年10月进展情况反馈】市科技局".to_string(),
            body: "正文".to_string(),
            attachments: vec![("2020-10_kjj_市科技局_反馈.xlsx".to_string(), bytes.to_vec())],
        }
    }

    #[test]
    fn the_message_id_follows_the_key_and_the_attachments_only() {
        let id = message_id(&outgoing(b"one"), "huizong@dingxi.example.org");
        assert!(
            id.starts_with('<') && id.ends_with(".huizong@dingxi.example.org>"),
            "{id}"
        );
        let mut reworded = outgoing(b"one");
        reworded.subject.push_str("（更正）");
        assert_eq!(message_id(&reworded, "huizong@dingxi.example.org"), id);
        assert_ne!(
            message_id(&outgoing(b"two"), "huizong@dingxi.example.org"),
            id
        );
    }

    #[test]
    fn an_unreadable_send_log_says_where_and_what_to_do() {
        let e = Error::from(MailError::SendLog {
            path: PathBuf::from("outbox/2020-10/mail/send-log.jsonl"),
            line: 7,
            problem: "expected value at line 1 column 1".to_string(),
        });
        assert_eq!(
            e.to_string(),
            "the send log outbox/2020-10/mail/send-log.jsonl cannot be read at line 7: expected value at line 1 \
             column 1. Nothing was sent: without the log, messages already delivered would go out again. Repair \
             or delete that line (a message whose lines are deleted may be sent again), then run `huizong mail \
             --send` again"
        );
        assert!(!e.is_usage());
    }
}
