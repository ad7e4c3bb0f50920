//! `huizong mail --send` against a real SMTP server (aiosmtpd) on 127.0.0.1, plain and STARTTLS, and against
//! tests/support/faulty_smtp.py, a server that stays silent, refuses service, drops or stalls after a message.

use std::collections::HashMap;
use std::io::BufRead;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use huizong::demo::filled_return;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;
use serde_json::Value as Json;

use crate::util::{self, Workspace};

/// Python with aiosmtpd, if installed. Absent: a notice and `None`, or a panic under `CI=true`.
fn python_with_aiosmtpd() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some("python3");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 with aiosmtpd is missing, and CI=true requires it");
    }
    eprintln!("notice: python3 -m aiosmtpd is not available; skipping this test");
    None
}

/// A real SMTP server storing what it receives in a Maildir; stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Server {
    fn start(python: &str, dir: &Path, refuse: &str, tls: Option<(&Path, &Path)>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = dir.join("maildir");
        let mut cmd = Command::new(python);
        cmd.env("PYTHONPATH", util::repo().join("tests/support"))
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "smtp_handlers.RefusingMailbox",
            ]);
        if let Some((cert, key)) = tls {
            cmd.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        let child = cmd
            .arg(&maildir)
            .arg(refuse)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            port,
            maildir,
        }
    }

    /// What the server received, decoded by Python's email package.
    fn received(&self, python: &str) -> Vec<Json> {
        read_maildir(python, &self.maildir)
    }
}

/// The messages of a Maildir, decoded by Python's email package (see tests/support/read_maildir.py).
fn read_maildir(python: &str, maildir: &Path) -> Vec<Json> {
    let out = Command::new(python)
        .arg(util::repo().join("tests/support/read_maildir.py"))
        .arg(maildir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Json>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A run for 2020-10 with every unit but zrzyj; anding's address is one the server refuses.
fn month(ws: &Workspace) {
    let plan = ws.path().join("templates/plan.toml");
    let text = std::fs::read_to_string(&plan).unwrap().replace(
        "anding@dingxi.example.org",
        "refuse-anding@dingxi.example.org",
    );
    std::fs::write(&plan, text).unwrap();
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let oct = Period {
        year: 2020,
        month: 10,
    };
    for u in catalogue.reporting_units().filter(|u| u.code != "zrzyj") {
        let path = ws.path().join("inbox").join(format!("{}.xlsx", u.code));
        std::fs::write(
            &path,
            filled_return(&catalogue, &Settings::default(), oct, &u.code, &[]).unwrap(),
        )
        .unwrap();
        util::received_on_time(&path, 2020, 10);
    }
    ws.ok(&["run", "--period", "2020-10"]);
}

fn settings(ws: &Workspace, port: u16, security: &str, ca: Option<&Path>) {
    let ca = ca
        .map(|p| format!("ca_file = {:?}\n", p.display().to_string()))
        .unwrap_or_default();
    std::fs::write(
        ws.path().join("huizong.toml"),
        format!(
            "[mail]\nleadership = [\"mayor@dingxi.example.org\", \"office@dingxi.example.org\"]\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\nfrom = \"huizong@dingxi.example.org\"\n{ca}"
        ),
    )
    .unwrap();
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn mail_is_delivered_once_and_failures_are_reported() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let server_dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, server_dir.path(), "refuse-", None);
    settings(&ws, server.port, "none", None);

    let out = ws.run(&["mail", "--period", "2020-10", "--send"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one refused recipient must fail the command:\n{}",
        util::stdout(&out)
    );
    let text = util::stdout(&out);
    assert!(text.contains("failed: feedback_anding"), "{text}");

    let got = server.received(python);
    // 23 units with feedback (anding refused), leadership, and a reminder to zrzyj (the deadline has passed).
    assert_eq!(got.len(), 23 + 1 + 1 - 1, "{got:#?}");
    let leadership = got
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("进展情况汇总"))
        .unwrap();
    assert!(
        leadership["rcpt"]
            .as_str()
            .unwrap()
            .contains("mayor@dingxi.example.org")
    );
    assert!(
        leadership["rcpt"]
            .as_str()
            .unwrap()
            .contains("office@dingxi.example.org")
    );
    let book = ws
        .path()
        .join("outbox/2020-10/dingxi-2020-ctcz_汇总_2020-10.xlsx");
    assert_eq!(
        leadership["attachments"][0]["name"],
        "dingxi-2020-ctcz_汇总_2020-10.xlsx"
    );
    assert_eq!(
        leadership["attachments"][0]["sha256"].as_str().unwrap(),
        sha256_of(&book)
    );

    let kjj = got
        .iter()
        .find(|m| m["rcpt"].as_str().unwrap().contains("kjj@"))
        .unwrap();
    assert!(
        kjj["subject"]
            .as_str()
            .unwrap()
            .starts_with("【2020年10月进展情况反馈】市科技局"),
        "{kjj}"
    );
    let feedback = ws
        .path()
        .join("outbox/2020-10/feedback/2020-10_kjj_市科技局_反馈.xlsx");
    assert_eq!(
        kjj["attachments"][0]["name"],
        "2020-10_kjj_市科技局_反馈.xlsx"
    );
    assert_eq!(
        kjj["attachments"][0]["sha256"].as_str().unwrap(),
        sha256_of(&feedback)
    );
    let reminder = got
        .iter()
        .find(|m| m["rcpt"].as_str().unwrap().contains("zrzyj@"))
        .unwrap();
    assert!(reminder["subject"].as_str().unwrap().contains("催报"));
    assert_eq!(
        reminder["attachments"][0]["name"],
        "2020-10_zrzyj_市自然资源局.xlsx"
    );

    let log =
        std::fs::read_to_string(ws.path().join("outbox/2020-10/mail/send-log.jsonl")).unwrap();
    let failed: Vec<&str> = log.lines().filter(|l| l.contains("\"failed: ")).collect();
    assert_eq!(failed.len(), 1, "{log}");
    assert!(
        failed[0].contains("feedback_anding") && failed[0].contains("550"),
        "{}",
        failed[0]
    );

    // Again: nothing new is sent, only the failure is retried (and fails again).
    let again = ws.run(&["mail", "--period", "2020-10", "--send"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        util::stdout(&again).contains("sent 0, already sent 24, failed 1"),
        "{}",
        util::stdout(&again)
    );
    assert_eq!(server.received(python).len(), got.len());
}

#[test]
fn starttls_is_verified_against_the_configured_ca() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, cert_pem, key_pem) = certificates();
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("server.pem"),
        dir.path().join("server.key"),
    );
    std::fs::write(&ca, ca_pem).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let server = Server::start(python, dir.path(), "nobody-is-refused", Some((&cert, &key)));

    // Without the CA, rustls refuses the server's certificate and nothing is delivered.
    settings(&ws, server.port, "starttls", None);
    let refused = ws.run(&["mail", "--period", "2020-10", "--send"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(server.received(python).len(), 0);

    settings(&ws, server.port, "starttls", Some(&ca));
    let out = ws.run(&["mail", "--period", "2020-10", "--send"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        util::stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.received(python).len(), 25);
}

/// A test CA and a certificate for 127.0.0.1 signed by it, as PEM: (ca, server certificate, server key).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "huizong test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// tests/support/faulty_smtp.py in one of its modes; stopped when dropped.
struct Faulty {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Faulty {
    fn start(python: &str, mode: &str, at: u32) -> Faulty {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .arg(util::repo().join("tests/support/faulty_smtp.py"))
            .args([mode, &at.to_string()])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("faulty_smtp.py printed {line:?}, not its port"));
        Faulty { child, port, dir }
    }

    /// How many connections it accepted.
    fn connections(&self) -> usize {
        self.file("connections").lines().count()
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn received(&self, python: &str) -> Vec<Json> {
        read_maildir(python, &self.dir.path().join("maildir"))
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Settings with the given leadership and `[smtp]` lines.
fn smtp_settings(ws: &Workspace, leadership: &[&str], smtp: &str) {
    let leadership: Vec<String> = leadership.iter().map(|a| format!("{a:?}")).collect();
    std::fs::write(
        ws.path().join("huizong.toml"),
        format!(
            "[mail]\nleadership = [{}]\n\n[smtp]\nfrom = \"huizong@dingxi.example.org\"\n{smtp}\n",
            leadership.join(", ")
        ),
    )
    .unwrap();
}

/// `huizong --root WS ARGS…` started, with no SMTP password in its environment unless given.
fn spawn(ws: &Workspace, args: &[&str], password: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huizong"));
    cmd.arg("--root")
        .arg(ws.path())
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("HUIZONG_SMTP_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("HUIZONG_SMTP_PASSWORD", p);
    }
    cmd.spawn().unwrap()
}

const SEND: [&str; 4] = ["mail", "--period", "2020-10", "--send"];

fn send(ws: &Workspace) -> Output {
    spawn(ws, &SEND, None).wait_with_output().unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        util::stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// How many times each Message-ID was received.
fn by_message_id(messages: &[Json]) -> HashMap<String, usize> {
    let mut count = HashMap::new();
    for m in messages {
        let id = m["message_id"].as_str().unwrap().to_string();
        assert!(
            id.starts_with('<') && id.ends_with("@dingxi.example.org>"),
            "{id}"
        );
        *count.entry(id).or_default() += 1;
    }
    count
}

fn send_log(ws: &Workspace) -> PathBuf {
    ws.path().join("outbox/2020-10/mail/send-log.jsonl")
}

/// Every line of the send log, each of which must be JSON.
fn log_lines(ws: &Workspace) -> Vec<Json> {
    std::fs::read_to_string(send_log(ws))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const LEADERS: [&str; 2] = ["mayor@dingxi.example.org", "office@dingxi.example.org"];

#[test]
fn two_sends_at_once_deliver_each_message_once() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "nobody-is-refused", None);
    settings(&ws, server.port, "none", None);

    let (a, b) = (spawn(&ws, &SEND, None), spawn(&ws, &SEND, None));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", show(&a));
    assert!(b.status.success(), "{}", show(&b));
    let mut lines = [util::stdout(&a), util::stdout(&b)].map(|t| {
        t.lines()
            .find(|l| l.starts_with("sent "))
            .unwrap()
            .to_string()
    });
    lines.sort();
    assert_eq!(
        lines,
        [
            "sent 0, already sent 25, failed 0, outcome unknown 0",
            "sent 25, already sent 0, failed 0, outcome unknown 0"
        ]
    );
    let got = server.received(python);
    assert_eq!(got.len(), 25);
    assert_eq!(by_message_id(&got).len(), 25);
}

#[test]
fn a_kill_mid_send_delivers_only_the_message_in_flight_twice_with_one_message_id() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    // The server keeps the 5th message and never answers it: huizong is killed while it waits.
    let stalling = Faulty::start(python, "stall", 5);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", stalling.port),
    );
    let mut child = spawn(&ws, &SEND, None);
    let started = Instant::now();
    while stalling.file("stalled").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server never stalled: {}",
            show(&child.wait_with_output().unwrap())
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first = stalling.received(python);
    assert_eq!(first.len(), 5);
    let log = log_lines(&ws);
    assert_eq!(
        log.iter()
            .map(|r| r["result"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "sending", "content", "sent", "sending", "content", "sent", "sending", "content",
            "sent", "sending", "content", "sent", "sending", "content"
        ]
    );
    let in_flight = log[13]["message_id"].as_str().unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "nobody-is-refused", None);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", server.port),
    );
    let out = send(&ws);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 21, already sent 4, failed 0, outcome unknown 0"),
        "{}",
        show(&out)
    );
    let mut all = first;
    all.extend(server.received(python));
    let ids = by_message_id(&all);
    assert_eq!(ids.len(), 25);
    let twice: Vec<&String> = ids
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(twice, [&in_flight]);

    let again = send(&ws);
    assert!(
        util::stdout(&again).contains("sent 0, already sent 25"),
        "{}",
        show(&again)
    );
    assert_eq!(server.received(python).len(), 21);
}

#[test]
fn a_lost_answer_is_sent_once_more_with_the_same_message_id() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    // The server keeps the 3rd message but closes the connection instead of answering it.
    let dropping = Faulty::start(python, "drop", 3);
    let port = dropping.port;
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}"),
    );

    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = util::stdout(&out);
    assert!(
        text.contains("sent 24, already sent 0, failed 0, outcome unknown 1"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("outcome unknown: "))
        .unwrap();
    assert!(
        line.contains(&format!(
            "127.0.0.1:{port} gave no answer after the whole message was sent: the server closed the connection"
        )),
        "{line}"
    );
    assert!(!text.contains("failed: failed"), "{text}");
    assert_eq!(dropping.received(python).len(), 25);

    let out = send(&ws);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 1, already sent 24, failed 0, outcome unknown 0"),
        "{}",
        show(&out)
    );
    let got = dropping.received(python);
    assert_eq!(got.len(), 26);
    let ids = by_message_id(&got);
    assert_eq!((ids.len(), ids.values().max()), (25, Some(&2)));
    // One connection up to the drop, one for the rest, one for the second send: not one per message.
    assert_eq!(dropping.connections(), 3);

    let out = send(&ws);
    assert!(
        util::stdout(&out).contains("sent 0, already sent 25"),
        "{}",
        show(&out)
    );
    assert_eq!(dropping.received(python).len(), 26);
}

#[test]
fn a_message_whose_outcome_stays_unknown_goes_out_at_most_twice() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    // Every message is kept and never answered; after two such tries in a row the send stops.
    let dropping = Faulty::start(python, "drop", 0);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", dropping.port),
    );
    for hint in [
        "the next `huizong mail --send` sends it once more, with the same Message-ID",
        "this was its second try whose outcome is unknown, so it is not sent again: ask whether it arrived",
    ] {
        let out = send(&ws);
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        let text = util::stdout(&out);
        assert!(
            text.contains("sent 0, already sent 0, failed 23, outcome unknown 2"),
            "{text}"
        );
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("outcome unknown: ") && l.ends_with(hint))
                .count(),
            2,
            "{text}"
        );
    }
    let kept = dropping.received(python);
    assert_eq!(kept.len(), 4);
    assert_eq!(dropping.connections(), 4);

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "nobody-is-refused", None);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", server.port),
    );
    let out = send(&ws);
    let text = util::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text.contains("sent 23, already sent 0, failed 2, outcome unknown 0"),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("not sent a third time"))
            .count(),
        2,
        "{text}"
    );
    let mut all = kept;
    all.extend(server.received(python));
    let ids = by_message_id(&all);
    assert_eq!(ids.len(), 25);
    assert_eq!(ids.values().filter(|n| **n == 2).count(), 2);
    assert_eq!(ids.values().max(), Some(&2));
}

#[test]
fn a_silent_server_costs_two_timeouts_not_one_per_message() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let silent = Faulty::start(python, "silent", 0);
    let port = silent.port;
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}\ntimeout_seconds = 2"),
    );
    let started = Instant::now();
    let out = send(&ws);
    // 25 messages at 2 s each would take 50 s.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = util::stdout(&out);
    assert!(
        text.contains("sent 0, already sent 0, failed 25, outcome unknown 0"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "cannot use the SMTP server 127.0.0.1:{port}: no answer within 2 s"
        )),
        "{text}"
    );
    assert!(
        !text.contains("os error") && !text.contains("failed: failed"),
        "{text}"
    );
    assert_eq!(silent.connections(), 2);
    // Nothing went out, so no intent was written: the next send tries every message.
    assert!(log_lines(&ws).iter().all(|r| r["result"] != "sending"));

    // A bound on the whole send: once it is spent, the rest waits for the next --send.
    smtp_settings(
        &ws,
        &LEADERS,
        &format!(
            "host = \"127.0.0.1\"\nport = {port}\ntimeout_seconds = 2\ntotal_timeout_seconds = 2"
        ),
    );
    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        util::stdout(&out)
            .lines()
            .filter(|l| l.contains("not tried: the send reached smtp.total_timeout_seconds = 2 s"))
            .count(),
        24,
        "{}",
        show(&out)
    );
    assert_eq!(silent.connections(), 3);
}

#[test]
fn a_server_refusing_service_is_named_with_its_answer() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let refusing = Faulty::start(python, "refuse", 0);
    let port = refusing.port;
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}"),
    );
    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = util::stdout(&out);
    let named = format!(
        "cannot use the SMTP server 127.0.0.1:{port}: 554 5.3.2 no service here, try again later"
    );
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("failed: ")).collect();
    assert_eq!(failed.len(), 25, "{text}");
    assert!(failed.iter().all(|l| l.ends_with(&named)), "{text}");
    assert!(text.contains("failed 25"), "{text}");
    assert_eq!(refusing.connections(), 2);
}

#[test]
fn one_refused_leadership_address_does_not_stop_the_others() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "refuse-", None);
    let leaders = [
        "mayor@dingxi.example.org",
        "refuse-office@dingxi.example.org",
    ];
    let port = server.port;
    smtp_settings(
        &ws,
        &leaders,
        &format!("host = \"127.0.0.1\"\nport = {port}"),
    );

    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = util::stdout(&out);
    assert!(text.contains("sent 23, already sent 0, failed 2"), "{text}");
    assert!(
        text.contains(&format!(
            "failed: leadership: 127.0.0.1:{port} refused refuse-office@dingxi.example.org: 550 5.1.1 \
             <refuse-office@dingxi.example.org>: mailbox unavailable"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "failed: feedback_anding: 127.0.0.1:{port} refused every recipient: refuse-anding@dingxi.example.org: 550"
        )),
        "{text}"
    );
    let got = server.received(python);
    assert_eq!(got.len(), 24);
    let leadership: Vec<&Json> = got
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("进展情况汇总"))
        .collect();
    assert_eq!(leadership.len(), 1);
    assert_eq!(leadership[0]["rcpt"], "mayor@dingxi.example.org");
    // The header still names both: the message is the same one whoever receives it.
    assert!(
        leadership[0]["to"]
            .as_str()
            .unwrap()
            .contains("refuse-office@")
    );

    // Again: the mayor is not sent it a second time.
    let out = send(&ws);
    assert!(
        util::stdout(&out).contains("sent 0, already sent 23, failed 2"),
        "{}",
        show(&out)
    );
    assert_eq!(server.received(python).len(), 24);

    // Once the server takes the address, only that recipient gets it, with the same Message-ID.
    let dir2 = tempfile::tempdir().unwrap();
    let open = Server::start(python, dir2.path(), "nobody-is-refused", None);
    smtp_settings(
        &ws,
        &leaders,
        &format!("host = \"127.0.0.1\"\nport = {}", open.port),
    );
    let out = send(&ws);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 2, already sent 23, failed 0"),
        "{}",
        show(&out)
    );
    let late = open.received(python);
    assert_eq!(late.len(), 2);
    let again = late
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("进展情况汇总"))
        .unwrap();
    assert_eq!(again["rcpt"], "refuse-office@dingxi.example.org");
    assert_eq!(again["message_id"], leadership[0]["message_id"]);
}

#[test]
fn a_login_in_clear_or_without_a_password_stops_before_any_connection() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let server = Faulty::start(python, "normal", 0);
    let port = server.port;

    // A login name and no password: not tried with an empty one.
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}\nsecurity = \"starttls\"\nuser = \"clerk\""),
    );
    for args in [
        &SEND[..],
        &["run", "--period", "2020-10", "--mail", "--send"],
    ] {
        let out = spawn(&ws, args, None).wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "smtp.user = \"clerk\" is set but HUIZONG_SMTP_PASSWORD is empty or not set"
            ),
            "{err}"
        );
        assert!(
            !util::stdout(&out).contains("messages written"),
            "{}",
            show(&out)
        );
    }

    // A login over a plain connection to another machine: the password would travel in clear.
    smtp_settings(
        &ws,
        &LEADERS,
        "host = \"smtp.dingxi.example.org\"\nport = 25\nsecurity = \"none\"\nuser = \"clerk\"",
    );
    let out = spawn(&ws, &SEND, Some("s3cret"))
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would send the password in clear to smtp.dingxi.example.org:25"),
        "{err}"
    );
    assert_eq!(server.connections(), 0);
    assert!(!send_log(&ws).exists());

    // Plain is acceptable to this machine, and the password is the one in the environment.
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nuser = \"clerk\""),
    );
    let out = spawn(&ws, &SEND, Some("s3cret"))
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(server.file("logins"), "clerk:s3cret\n");
    assert_eq!(server.received(python).len(), 25);
}

#[test]
fn a_torn_send_log_line_is_removed_and_a_damaged_one_stops_the_send() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "refuse-", None);
    settings(&ws, server.port, "none", None);
    assert_eq!(send(&ws).status.code(), Some(1));

    // A crash in the middle of writing a line leaves it without its end.
    let path = send_log(&ws);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"key\":\"feedback_anding\",\"message_id\":\"<0f");
    std::fs::write(&path, &text).unwrap();
    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 0, already sent 24, failed 1"),
        "{}",
        show(&out)
    );
    let lines = log_lines(&ws);
    let last: Vec<&str> = lines[lines.len() - 2..]
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(last[0], "sending");
    assert!(last[1].starts_with("failed: 127.0.0.1:"), "{}", last[1]);
    // Three lines for each message delivered (intent, content, result), two for the refused one, each time.
    assert_eq!(lines.len(), 24 * 3 + 2 + 2);

    // A line damaged otherwise: nothing is sent until it is repaired.
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 1 {
                "{\"key\": \"feedback_kjj\", sent"
            } else {
                l
            }
        })
        .collect();
    let damaged = damaged.join("\n") + "\n";
    std::fs::write(&path, &damaged).unwrap();
    let out = send(&ws);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "the send log {} cannot be read at line 2: ",
            path.display()
        )) && err.contains("Nothing was sent"),
        "{err}"
    );
    assert!(!util::stdout(&out).contains("sent "), "{}", show(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
    assert_eq!(server.received(python).len(), 24);
}

#[test]
fn a_server_closing_after_ten_messages_per_connection_gets_them_all() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let limiting = Faulty::start(python, "limit", 10);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", limiting.port),
    );
    let out = send(&ws);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 25, already sent 0, failed 0, outcome unknown 0"),
        "{}",
        show(&out)
    );
    assert_eq!(by_message_id(&limiting.received(python)).len(), 25);
    assert_eq!(limiting.connections(), 3);
    // The two messages the closing connections turned away are recorded as tried twice.
    let failed: Vec<String> = log_lines(&ws)
        .iter()
        .filter_map(|r| {
            r["result"]
                .as_str()
                .filter(|t| t.starts_with("failed"))
                .map(String::from)
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed[0].contains("421 4.7.0 too many messages on one connection"),
        "{failed:?}"
    );
}

#[test]
fn a_server_answering_a_line_at_a_time_is_left_at_the_total_timeout() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let limits = "timeout_seconds = 2\ntotal_timeout_seconds = 4";

    // A greeting that never ends: each line comes well within timeout_seconds.
    let slow = Faulty::start(python, "trickle", 0);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}\n{limits}", slow.port),
    );
    let started = Instant::now();
    let out = send(&ws);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = util::stdout(&out);
    assert!(
        text.contains("sent 0, already sent 0, failed 25, outcome unknown 0"),
        "{text}"
    );
    assert!(
        text.contains("not tried: the send reached smtp.total_timeout_seconds = 4 s"),
        "{text}"
    );

    // An answer to the third message that never ends: it may have been delivered.
    let slow = Faulty::start(python, "trickle", 3);
    let port = slow.port;
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {port}\n{limits}"),
    );
    let started = Instant::now();
    let out = send(&ws);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let text = util::stdout(&out);
    assert!(
        text.contains("sent 2, already sent 0, failed 22, outcome unknown 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "127.0.0.1:{port} was still busy with its content when the send reached smtp.total_timeout_seconds = 4 s"
        )),
        "{text}"
    );
    let kept = slow.received(python);
    assert_eq!(kept.len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(python, dir.path(), "nobody-is-refused", None);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", server.port),
    );
    let out = send(&ws);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        util::stdout(&out).contains("sent 23, already sent 2"),
        "{}",
        show(&out)
    );
    let mut all = kept;
    all.extend(server.received(python));
    let ids = by_message_id(&all);
    assert_eq!((ids.len(), all.len()), (25, 26));
}

#[test]
fn sends_killed_at_random_moments_send_nothing_twice_but_a_message_in_flight() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    // 100 ms per message: a whole send takes about 2.5 s, so most kills land in the middle of it.
    let server = Faulty::start(python, "slow", 100);
    smtp_settings(
        &ws,
        &LEADERS,
        &format!("host = \"127.0.0.1\"\nport = {}", server.port),
    );
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("mail kill-test seed {seed}");
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Message-IDs whose content was going out, or waiting for its answer, when the process was killed.
    let mut in_flight = std::collections::HashSet::new();
    for _ in 0..6 {
        let mut child = spawn(&ws, &SEND, None);
        std::thread::sleep(Duration::from_millis(next() % 3000));
        let _ = child.kill();
        let _ = child.wait();
        if !send_log(&ws).exists() {
            continue;
        }
        // A try whose content line is its last: the kill came while the content went, or before its answer.
        let mut content: Option<String> = None;
        for r in log_lines(&ws) {
            if let Some(id) = content.take()
                && r["result"] == "sending"
            {
                in_flight.insert(id);
            }
            if r["result"] == "content" {
                content = Some(r["message_id"].as_str().unwrap().to_string());
            }
        }
        in_flight.extend(content);
    }
    let out = send(&ws);
    // Killed twice with the same message in flight, a message is not sent a third time: the only failure allowed.
    let text = util::stdout(&out);
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("failed: ")).collect();
    assert!(
        failed.iter().all(|l| l.contains("not sent a third time")),
        "seed {seed}: {}",
        show(&out)
    );
    assert_eq!(out.status.success(), failed.is_empty(), "{}", show(&out));
    let ids = by_message_id(&server.received(python));
    eprintln!(
        "{} messages in flight at a kill, {} received twice, {} not sent a third time",
        in_flight.len(),
        ids.values().filter(|n| **n == 2).count(),
        failed.len()
    );
    assert!(
        ids.len() + failed.len() >= 25,
        "seed {seed}: {}",
        show(&out)
    );
    for (id, n) in &ids {
        assert!(
            *n == 1 || (*n == 2 && in_flight.contains(id)),
            "seed {seed}: {id} received {n} times; in flight at a kill: {in_flight:?}"
        );
    }
}

#[test]
fn smtp_settings_from_the_environment_apply_without_a_settings_file() {
    let Some(python) = python_with_aiosmtpd() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    let server = Faulty::start(python, "normal", 0);
    assert!(!ws.path().join("huizong.toml").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args(SEND)
        .env_remove("RUST_LOG")
        .env("HUIZONG_SMTP_HOST", "127.0.0.1")
        .env("HUIZONG_SMTP_PORT", server.port.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(server.received(python).len(), 25);
}
