//! SMTP delivery: one connection for the whole send, each recipient accepted or refused on its own, each message
//! recorded in the send log before and after it goes out, and a bound on how long the whole send takes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::message::header::MessageId;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use sha2::{Digest, Sha256};

use super::sendlog::{SendLog, SendRecord, State};
use super::{Outgoing, compose, message, write_eml};
use crate::cli::Outcome;
use crate::consolidate::model::Report;
use crate::error::Error;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::{Login, Security, Settings};
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

/// `huizong mail`: compose the period's messages, write them as .eml, and with `send` deliver them.
pub fn run(ws: &Workspace, period: Period, send_now: bool) -> Result<Outcome, Error> {
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
pub fn deliver(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    send_now: bool,
) -> Result<Outcome, Error> {
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
) -> Result<Outcome, Error> {
    let messages = compose(ws, report, catalogue, settings, period)?;
    let dir = ws.period_dir(period).join("mail");
    let written = write_eml(&dir, &messages, &settings.smtp.from)?;
    println!("{} messages written to {}", written.len(), dir.display());
    let Some(login) = send else {
        return Ok(Outcome::Success);
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
        println!(
            "outcome unknown: {key}: {why}; the next `huizong mail --send` sends it once more, with the same Message-ID"
        );
    }
    Ok(if d.failed.is_empty() && d.unknown.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// Consecutive tries that found no usable connection before the send gives up on the server for this time.
const GIVE_UP_AFTER: u32 = 2;

/// Delivers every message not yet delivered to each of its recipients, recording each try in the log: an intent
/// line before the first SMTP command, the result after. A recipient whose earlier try has an unknown outcome
/// is tried once more; after a second unknown outcome it is not tried again.
pub fn send(
    messages: &[Outgoing],
    settings: &Settings,
    login: Option<&Login>,
    log: &mut SendLog,
) -> Result<Delivery, Error> {
    let smtp = &settings.smtp;
    let started = Instant::now();
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
    let mut conn: Option<SmtpConnection> = None;
    // Tries in a row that found no working connection, and the last reason.
    let mut broken = 0;
    let mut last_problem = String::new();
    for (m, to) in todo {
        let record = |state: State, why: &str, refused: Vec<(String, String)>| SendRecord {
            key: m.key.clone(),
            message_id: message_id(m, &smtp.from),
            to: to.clone(),
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
        let left = smtp.total_timeout.saturating_sub(started.elapsed());
        let not_tried = if left.is_zero() {
            Some(format!(
                "not tried: the send reached smtp.total_timeout_seconds = {} s; send again to deliver the rest",
                smtp.total_timeout.as_secs()
            ))
        } else if broken >= GIVE_UP_AFTER {
            Some(format!("not tried: {last_problem}"))
        } else {
            None
        };
        if let Some(why) = not_tried {
            log.append(record(State::Failed, &why, Vec::new()))?;
            delivery.failed.push((m.key.clone(), why));
            continue;
        }
        let wait = smtp.timeout.min(left);
        let bytes = match message(m, &smtp.from) {
            Ok(mut msg) => {
                msg.headers_mut()
                    .set(MessageId::from(message_id(m, &smtp.from)));
                msg.formatted()
            }
            Err(e) => {
                let why = e.to_string();
                log.append(record(State::Failed, &why, Vec::new()))?;
                delivery.failed.push((m.key.clone(), why));
                continue;
            }
        };
        // A connection kept from the message before may have been closed by the server meanwhile (many close
        // after so many messages, or when idle): then the message is tried once more on a new one.
        let mut retried = false;
        let (state, why, refused) = loop {
            let (mut c, reused) = match conn.take() {
                Some(c) => (c, true),
                None => match connect(settings, tls.as_ref(), login, wait) {
                    Ok(c) => (c, false),
                    Err(why) => {
                        broken += 1;
                        last_problem = format!("cannot use the SMTP server {server}: {why}");
                        break (State::Failed, last_problem.clone(), Vec::new());
                    }
                },
            };
            let _ = c.set_timeout(Some(wait));
            log.append(record(State::Sending, "", Vec::new()))?;
            let t = transmit(&mut c, &from, &to, &bytes, wait);
            let (state, why) = match &t.outcome {
                Ok(()) => (State::Sent, String::new()),
                Err((state, why)) => (*state, format!("{server} {why}")),
            };
            if t.usable {
                broken = 0;
                conn = Some(c);
            } else {
                c.abort();
            }
            if t.closed_before_mail && reused && !retried {
                log.append(record(State::Failed, &why, t.refused))?;
                retried = true;
                continue;
            }
            if !t.usable {
                broken += 1;
                last_problem = format!("the SMTP server {server} {}", t.problem());
            }
            break (state, why, t.refused);
        };
        log.append(record(state, &why, refused.clone()))?;
        match state {
            State::Sent if refused.is_empty() => {
                log::info!("sent {} to {}", m.key, to.join(", "));
                delivery.sent.push(m.key.clone());
            }
            State::Sent => {
                let why = refusals(&server, &refused);
                log::error!("{}: {why}", m.key);
                delivery.failed.push((m.key.clone(), why));
            }
            State::Unknown => {
                log::error!("{} to {}: {why}", m.key, to.join(", "));
                delivery.unknown.push((m.key.clone(), why));
            }
            _ => {
                log::error!("{} to {}: {why}", m.key, to.join(", "));
                delivery.failed.push((m.key.clone(), why));
            }
        }
    }
    if let Some(mut c) = conn {
        let _ = c.quit();
    }
    Ok(delivery)
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

/// What one message's SMTP exchange came to.
struct Transmitted {
    /// `Ok` when the server took the message for the accepted recipients, else the state and why (the text
    /// follows the server's `host:port`).
    outcome: Result<(), (State, String)>,
    /// (address, answer) of each recipient the server refused.
    refused: Vec<(String, String)>,
    /// Whether the connection can carry the next message.
    usable: bool,
    /// Whether the server had closed the connection before this message's first command.
    closed_before_mail: bool,
}

impl Transmitted {
    fn problem(&self) -> String {
        match &self.outcome {
            Err((_, why)) => why.clone(),
            Ok(()) => String::new(),
        }
    }
}

/// Sends one message over an open connection: MAIL, RCPT for each recipient (a refused one does not stop the
/// others), DATA. Lettre's own `send` gives up on the first refused recipient.
fn transmit(
    c: &mut SmtpConnection,
    from: &Address,
    to: &[String],
    email: &[u8],
    wait: Duration,
) -> Transmitted {
    let mut refused = Vec::new();
    let done = |outcome, refused, usable| Transmitted {
        outcome,
        refused,
        usable,
        closed_before_mail: false,
    };
    let mut params = Vec::new();
    if !email.is_ascii() {
        if !c.server_info().supports_feature(Extension::EightBitMime) {
            return done(
                Err((
                    State::Failed,
                    "does not offer 8BITMIME, and the message is not plain ASCII".to_string(),
                )),
                refused,
                true,
            );
        }
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let mut addresses = Vec::new();
    for a in to {
        match a.parse::<Address>() {
            Ok(addr) => addresses.push((a, addr)),
            Err(_) => refused.push((a.clone(), "not a valid e-mail address".to_string())),
        }
    }
    if addresses.iter().any(|(a, _)| !a.is_ascii()) || !from.to_string().is_ascii() {
        if !c.server_info().supports_feature(Extension::SmtpUtfEight) {
            return done(
                Err((
                    State::Failed,
                    "does not offer SMTPUTF8, which an address with non-ASCII characters needs"
                        .to_string(),
                )),
                refused,
                true,
            );
        }
        params.push(MailParameter::SmtpUtfEight);
    }
    // An answer with a code leaves the connection usable (421 aside: the server is closing it); no answer does not.
    let answered = |e: &lettre::transport::smtp::Error| {
        e.status().is_some_and(|code| code.to_string() != "421")
    };
    if let Err(e) = c.command(Mail::new(Some(from.clone()), params)) {
        if !answered(&e) {
            let why = format!("broke off before the message: {}", reason(&e, wait));
            return Transmitted {
                closed_before_mail: true,
                ..done(Err((State::Failed, why)), refused, false)
            };
        }
        let usable = c.command(Rset).is_ok();
        let why = format!("refused the sender {from}: {}", reason(&e, wait));
        return done(Err((State::Failed, why)), refused, usable);
    }
    let mut accepted = 0;
    for (text, addr) in addresses {
        match c.command(Rcpt::new(addr, Vec::new())) {
            Ok(_) => accepted += 1,
            Err(e) if answered(&e) => refused.push((text.clone(), reason(&e, wait))),
            Err(e) => {
                let why = format!("broke off at the recipients: {}", reason(&e, wait));
                return done(Err((State::Failed, why)), refused, false);
            }
        }
    }
    if accepted == 0 {
        let usable = c.command(Rset).is_ok();
        let why = format!("refused every recipient: {}", refusals_brief(&refused));
        return done(Err((State::Failed, why)), refused, usable);
    }
    if let Err(e) = c.command(Data) {
        let usable = answered(&e) && c.command(Rset).is_ok();
        let why = format!("refused to take the message (DATA): {}", reason(&e, wait));
        return done(Err((State::Failed, why)), refused, usable);
    }
    match c.message(email) {
        Ok(_) => done(Ok(()), refused, true),
        Err(e) if answered(&e) => {
            let why = format!("refused the message: {}", reason(&e, wait));
            done(Err((State::Failed, why)), refused, true)
        }
        // The whole message went out; whether the server kept it is unknown.
        Err(e) => {
            let why = format!(
                "gave no answer after the whole message was sent: {}",
                reason(&e, wait)
            );
            done(Err((State::Unknown, why)), refused, false)
        }
    }
}

fn refusals_brief(refused: &[(String, String)]) -> String {
    refused
        .iter()
        .map(|(a, why)| format!("{a}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Opens a connection, secures it and logs in, each step bounded by `wait`.
fn connect(
    settings: &Settings,
    tls: Option<&TlsParameters>,
    login: Option<&Login>,
    wait: Duration,
) -> Result<SmtpConnection, String> {
    let smtp = &settings.smtp;
    let hello = ClientId::default();
    let wrapper = if smtp.security == Security::Tls {
        tls
    } else {
        None
    };
    let mut c = SmtpConnection::connect(
        (smtp.host.as_str(), smtp.port),
        Some(wait),
        &hello,
        wrapper,
        None,
    )
    .map_err(|e| reason(&e, wait))?;
    if let (Security::StartTls, Some(tls)) = (smtp.security, tls) {
        c.starttls(tls, &hello)
            .map_err(|e| format!("STARTTLS failed: {}", reason(&e, wait)))?;
    }
    if let Some(login) = login {
        let credentials = Credentials::new(login.user.clone(), login.password.clone());
        c.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
            .map_err(|e| format!("login as {:?} refused: {}", login.user, reason(&e, wait)))?;
    }
    Ok(c)
}

/// What went wrong, in words: the server's own answer (code and text), or what happened to the connection.
fn reason(e: &lettre::transport::smtp::Error, wait: Duration) -> String {
    let inner = std::error::Error::source(e).map(ToString::to_string);
    if let Some(code) = e.status() {
        return match inner {
            Some(text) if !text.is_empty() => format!("{code} {text}"),
            _ => code.to_string(),
        };
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return match io.kind() {
                K::WouldBlock | K::TimedOut => {
                    format!("no answer within {} s", wait.as_secs().max(1))
                }
                K::ConnectionRefused => {
                    "connection refused (is the server running, and is the port right?)".to_string()
                }
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    "the server closed the connection".to_string()
                }
                _ if io.to_string().contains("certificate") => format!(
                    "{io} (for a server with a private CA, set smtp.ca_file to that CA's certificate)"
                ),
                _ => io.to_string(),
            };
        }
        source = s.source();
    }
    match inner.as_deref() {
        Some("incomplete response") => {
            "the server closed the connection without answering".to_string()
        }
        Some(text) => text.to_string(),
        None => e.to_string(),
    }
}

fn tls_parameters(settings: &Settings) -> Result<Option<TlsParameters>, Error> {
    let smtp = &settings.smtp;
    if smtp.security == Security::None {
        return Ok(None);
    }
    let bad = |message: String| Error::Settings {
        path: PathBuf::from("huizong.toml [smtp]"),
        message,
    };
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if let Some(ca) = &smtp.ca_file {
        let pem = std::fs::read(ca).map_err(Error::io(ca))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| bad(format!("smtp.ca_file {}: {e}", ca.display())))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map(Some)
        .map_err(|e| bad(format!("TLS setup failed: {e}")))
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
