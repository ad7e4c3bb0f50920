//! The SMTP side of a send, on a thread of its own: one connection kept from message to message, each recipient
//! accepted or refused on its own, every wait bounded, and every step reported to the thread that keeps the log.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::sendlog::State;
use crate::error::Error;
use crate::settings::{Login, Security, Settings, Smtp};

/// Consecutive tries that found no usable connection before the send gives up on the server for this time.
const GIVE_UP_AFTER: u32 = 2;

/// One message for the SMTP worker: the recipients it is still to reach, and its bytes.
pub(super) struct Job {
    pub(super) to: Vec<String>,
    pub(super) bytes: Vec<u8>,
}

/// What the SMTP worker tells the thread that keeps the log.
pub(super) enum Event {
    /// This job is about to go out: the worker waits for an acknowledgement that its intent is on disk.
    Sending(usize),
    /// The server accepted these recipients of the job and its content is about to go: acknowledged likewise.
    Content(usize, Vec<String>),
    /// A try of a job came to this.
    Tried {
        /// The job.
        job: usize,
        /// Its outcome.
        state: State,
        /// Why, when not sent.
        why: String,
        /// (address, answer) of each refused recipient.
        refused: Vec<(String, String)>,
        /// Whether the job is tried again on a new connection.
        again: bool,
    },
}

/// The SMTP side of a send: one connection kept from message to message, replaced when the server closes it.
pub(super) struct Worker {
    pub(super) smtp: Smtp,
    pub(super) tls: Option<TlsParameters>,
    pub(super) login: Option<Login>,
    pub(super) from: Address,
    pub(super) deadline: Instant,
}

impl Worker {
    /// Works through the jobs until done, until the deadline, or until the log keeper stops listening.
    pub(super) fn run(self, jobs: &[Job], events: &mpsc::Sender<Event>, acks: &mpsc::Receiver<()>) {
        let server = self.smtp.address();
        let mut conn: Option<SmtpConnection> = None;
        // Tries in a row that found no working connection, and the last reason.
        let mut broken = 0;
        let mut last_problem = String::new();
        let tried = |job, state, why, refused, again| {
            events
                .send(Event::Tried {
                    job,
                    state,
                    why,
                    refused,
                    again,
                })
                .is_ok()
        };
        for (i, job) in jobs.iter().enumerate() {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if broken >= GIVE_UP_AFTER {
                if !tried(
                    i,
                    State::Failed,
                    format!("not tried: {last_problem}"),
                    Vec::new(),
                    false,
                ) {
                    return;
                }
                continue;
            }
            let wait = self.smtp.timeout.min(left);
            // A connection kept from the message before may have been closed by the server meanwhile (many close
            // after so many messages, or when idle): then the message is tried once more on a new one.
            let mut retried = false;
            loop {
                let (mut c, reused) = match conn.take() {
                    Some(c) => (c, true),
                    None => match connect(&self.smtp, self.tls.as_ref(), self.login.as_ref(), wait)
                    {
                        Ok(c) => (c, false),
                        Err(why) => {
                            broken += 1;
                            last_problem = format!("cannot use the SMTP server {server}: {why}");
                            if !tried(i, State::Failed, last_problem.clone(), Vec::new(), false) {
                                return;
                            }
                            break;
                        }
                    },
                };
                let _ = c.set_timeout(Some(wait));
                if events.send(Event::Sending(i)).is_err() || acks.recv().is_err() {
                    c.abort();
                    return;
                }
                let mut before_content = |accepted: &[String]| {
                    events.send(Event::Content(i, accepted.to_vec())).is_ok() && acks.recv().is_ok()
                };
                let t = transmit(
                    &mut c,
                    &self.from,
                    &job.to,
                    &job.bytes,
                    wait,
                    &mut before_content,
                );
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
                let again = t.closed_before_mail && reused && !retried;
                if !again && !t.usable {
                    broken += 1;
                    last_problem = format!("the SMTP server {server} {}", t.problem());
                }
                if !tried(i, state, why, t.refused, again) {
                    return;
                }
                if !again {
                    break;
                }
                retried = true;
            }
        }
        if let Some(mut c) = conn {
            let _ = c.quit();
        }
    }
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
    before_content: &mut dyn FnMut(&[String]) -> bool,
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
    let mut accepted = Vec::new();
    for (text, addr) in addresses {
        match c.command(Rcpt::new(addr, Vec::new())) {
            Ok(_) => accepted.push(text.clone()),
            Err(e) if answered(&e) => refused.push((text.clone(), reason(&e, wait))),
            Err(e) => {
                let why = format!("broke off at the recipients: {}", reason(&e, wait));
                return done(Err((State::Failed, why)), refused, false);
            }
        }
    }
    if accepted.is_empty() {
        let usable = c.command(Rset).is_ok();
        let why = format!("refused every recipient: {}", refusals_brief(&refused));
        return done(Err((State::Failed, why)), refused, usable);
    }
    if let Err(e) = c.command(Data) {
        let usable = answered(&e) && c.command(Rset).is_ok();
        let why = format!("refused to take the message (DATA): {}", reason(&e, wait));
        return done(Err((State::Failed, why)), refused, usable);
    }
    if !before_content(&accepted) {
        let why = "was left before the content went: the send reached its time limit".to_string();
        return done(Err((State::Failed, why)), refused, false);
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
    smtp: &Smtp,
    tls: Option<&TlsParameters>,
    login: Option<&Login>,
    wait: Duration,
) -> Result<SmtpConnection, String> {
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

pub(super) fn tls_parameters(settings: &Settings) -> Result<Option<TlsParameters>, Error> {
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
