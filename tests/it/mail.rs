//! `huizong mail --send` against a real SMTP server (aiosmtpd) on 127.0.0.1: plain and STARTTLS.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
        let out = Command::new(python)
            .arg(util::repo().join("tests/support/read_maildir.py"))
            .arg(&self.maildir)
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
