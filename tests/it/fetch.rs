//! `huizong fetch` against a real IMAP server (Dovecot) on 127.0.0.1, its Maildir filled by the test with
//! messages whose arrival times lie before and after the deadline.

use std::collections::BTreeMap;
use std::io::Write;
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

const PASSWORD: &str = "s3cret-mailbox";

/// A private Dovecot serving one user, `office`, whose Maildir the test fills; stopped when dropped.
struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    /// The TLS port (0: none).
    imaps_port: u16,
    owner: (u32, u32),
    delivered: u32,
}

/// uid and gid of a system user, from /etc/passwd.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name))
            .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    })
}

fn missing(what: &str) -> Option<Dovecot> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what}, and CI=true requires it");
    }
    eprintln!("notice: {what}; skipping this test");
    None
}

impl Dovecot {
    /// Starts Dovecot from tests/support/dovecot.conf; `None` (with a notice) when it cannot run here.
    fn start() -> Option<Dovecot> {
        Dovecot::start_with(None)
    }

    /// [`Dovecot::start`], with `tls` (certificate and key, PEM): TLS on a second port and STARTTLS required.
    fn start_with(tls: Option<(&str, &str)>) -> Option<Dovecot> {
        let Some(exe) = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        else {
            return missing("Dovecot (dovecot-imapd) is not installed");
        };
        let Some(owner) = system_user("dovecot") else {
            return missing("the dovecot system user is missing");
        };
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return missing("Dovecot's mail user switch needs root");
        }
        let dir = tempfile::tempdir().unwrap();
        // imap-login runs as dovenull and the mail process as dovecot: both must reach into the folder.
        chmod(dir.path(), 0o755);
        let free = || {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let port = free();
        let imaps_port = if tls.is_some() { free() } else { 0 };
        let d = dir.path().display().to_string();
        let mut conf = std::fs::read_to_string(util::repo().join("tests/support/dovecot.conf"))
            .unwrap()
            .replace("{DIR}", &d)
            .replace("{PORT}", &port.to_string())
            .replace("{IMAPS_PORT}", &imaps_port.to_string())
            .replace("{UID}", &owner.0.to_string());
        if let Some((cert, key)) = tls {
            std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
            std::fs::write(dir.path().join("key.pem"), key).unwrap();
            conf.push_str(&format!(
                "ssl = required\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n"
            ));
        }
        std::fs::write(dir.path().join("dovecot.conf"), conf).unwrap();
        std::fs::write(
            dir.path().join("users"),
            format!(
                "office:{{PLAIN}}{PASSWORD}:{}:{}::{d}/home/office\n",
                owner.0, owner.1
            ),
        )
        .unwrap();
        let home = dir.path().join("home");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(home.join("office/Maildir").join(sub)).unwrap();
        }
        chown_tree(&home, owner);
        let child = Command::new(exe)
            .arg("-F")
            .arg("-c")
            .arg(dir.path().join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || (imaps_port != 0 && TcpStream::connect(("127.0.0.1", imaps_port)).is_err())
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "dovecot did not start: {}",
                std::fs::read_to_string(dir.path().join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Dovecot {
            child,
            dir,
            port,
            imaps_port,
            owner,
            delivered: 0,
        })
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("home/office/Maildir")
    }

    /// Drops a message into the Maildir as arrived at `arrived` (its INTERNALDATE is the file's time).
    fn deliver(&mut self, raw: &[u8], arrived: jiff::Timestamp) {
        self.deliver_in(self.maildir(), raw, arrived);
    }

    /// [`Dovecot::deliver`] into a subfolder, named as Dovecot's Maildir++ names it on disk (modified UTF-7).
    fn deliver_to(&mut self, folder: &str, raw: &[u8], arrived: jiff::Timestamp) {
        let dir = self.maildir().join(format!(".{folder}"));
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        chown_tree(&dir, self.owner);
        self.deliver_in(dir, raw, arrived);
    }

    fn deliver_in(&mut self, maildir: PathBuf, raw: &[u8], arrived: jiff::Timestamp) {
        self.delivered += 1;
        let path = maildir
            .join("cur")
            // Dovecot numbers new files in name order: the names keep the order of delivery.
            .join(format!(
                "{}.M{}P1.test:2,",
                1_600_000_000 + self.delivered,
                self.delivered
            ));
        std::fs::write(&path, raw).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(std::time::SystemTime::try_from(arrived).unwrap())
            .unwrap();
        std::os::unix::fs::chown(&path, Some(self.owner.0), Some(self.owner.1)).unwrap();
    }

    /// Every file of the Maildir (names carry the flags) with its bytes.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for sub in ["cur", "new"] {
            for e in std::fs::read_dir(self.maildir().join(sub)).unwrap() {
                let e = e.unwrap();
                out.insert(
                    format!("{sub}/{}", e.file_name().to_string_lossy()),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
        out
    }

    /// Points the workspace at this server, in plain text; `extra` goes before `[imap]`, `imap` into it.
    fn configure(&self, ws: &Workspace, extra: &str, imap: &str) {
        std::fs::write(
            ws.path().join("huizong.toml"),
            format!(
                "{extra}\n[imap]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nuser = \"office\"\n{imap}\n",
                self.port
            ),
        )
        .unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown_tree(path: &Path, owner: (u32, u32)) {
    std::os::unix::fs::chown(path, Some(owner.0), Some(owner.1)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_tree(&e.unwrap().path(), owner);
        }
    }
}

/// `huizong --root WS ARGS…` with the mailbox password in the environment.
fn huizong(ws: &Workspace, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args(args)
        .env_remove("RUST_LOG")
        .env("HUIZONG_IMAP_PASSWORD", PASSWORD)
        .output()
        .expect("run huizong")
}

fn ok(ws: &Workspace, args: &[&str]) -> String {
    let out = huizong(ws, args);
    util::assert_success(&out, args);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(PASSWORD)
            && !util::stdout(&out).contains(PASSWORD),
        "the password was printed"
    );
    util::stdout(&out)
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    // Mail lines stay under 78 characters.
    out.as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

/// A mail from `from` with `subject` (already encoded as it goes on the wire) and attachments, each given
/// with its raw Content-Disposition parameter (`filename="…"`, `filename*=…`) exactly as a client writes it.
fn mail(from: &str, subject: &[u8], id: &str, attachments: &[(Vec<u8>, &[u8])]) -> Vec<u8> {
    let mut m = format!("From: {from}\r\nTo: office@dingxi.example.org\r\nSubject: ").into_bytes();
    m.extend_from_slice(subject);
    m.extend_from_slice(
        format!(
            "\r\nMessage-ID: <{id}@dingxi.example.org>\r\nDate: Tue, 3 Nov 2020 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n请查收。\r\n"
        )
        .as_bytes(),
    );
    for (param, bytes) in attachments {
        m.extend_from_slice(b"--=_b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; ");
        m.extend_from_slice(param);
        m.extend_from_slice(b"\r\n\r\n");
        m.extend_from_slice(base64(bytes).as_bytes());
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--=_b--\r\n");
    m
}

fn rfc2047_gbk(text: &str) -> Vec<u8> {
    format!("=?GBK?B?{}?=", base64(&gbk(text))).into_bytes()
}

fn rfc2231_gb18030(text: &str) -> Vec<u8> {
    let pct: String = encoding_rs::GB18030
        .encode(text)
        .0
        .iter()
        .map(|b| format!("%{b:02X}"))
        .collect();
    format!("filename*=gb18030''{pct}").into_bytes()
}

fn china(text: &str) -> jiff::Timestamp {
    format!("{text}:00+08:00").parse().unwrap()
}

fn oct() -> Period {
    Period {
        year: 2020,
        month: 10,
    }
}

fn ret(unit: &str) -> Vec<u8> {
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    filled_return(&catalogue, &Settings::default(), oct(), unit, &[]).unwrap()
}

/// A zip as Windows' own zip tool writes one: names in GBK, without the UTF-8 flag. The zip crate writes only
/// UTF-8 names, so each ASCII placeholder of the same byte length is replaced in both headers that hold it.
fn windows_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut placeholders = Vec::new();
    let named: Vec<(String, &[u8])> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let real = gbk(name);
            let fake: String = format!("{i}{}", "_".repeat(real.len() - 1));
            placeholders.push((fake.clone().into_bytes(), real));
            (fake, *bytes)
        })
        .collect();
    let mut z = zip_of(
        &named
            .iter()
            .map(|(n, b)| (n.as_str(), *b))
            .collect::<Vec<_>>(),
    );
    for (fake, real) in placeholders {
        let mut at = 0;
        while let Some(pos) = z[at..].windows(fake.len()).position(|w| w == fake) {
            z[at + pos..at + pos + fake.len()].copy_from_slice(&real);
            at += pos + fake.len();
        }
    }
    z
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// The office's October mail: on time, late, GBK names three ways, two attachments, none, a zip of two
/// returns, a return naming no unit from a unit's address, a message that is no mail at all, and a return
/// naming no unit from a personal address whose subject names the unit. (name in inbox, bytes) expected.
fn october_mail(server: &mut Dovecot) -> BTreeMap<String, Vec<u8>> {
    let pdf = b"%PDF-1.4\n% a note, not a return\n".to_vec();
    let (longxi, tongwei, kjj, fgw, gxj, jyj, czj) = (
        ret("longxi"),
        ret("tongwei"),
        ret("kjj"),
        ret("fgw"),
        util::strip_identity(&ret("gxj")),
        ret("jyj"),
        util::strip_identity(&ret("czj")),
    );
    let mut gbk_param = b"filename=\"".to_vec();
    gbk_param.extend_from_slice(&gbk("市教育局十月.xlsx"));
    gbk_param.push(b'"');
    let messages: Vec<(Vec<u8>, &str)> = vec![
        (
            mail(
                "陇西县 <longxi@dingxi.example.org>",
                &rfc2047_gbk("陇西县10月报表"),
                "m1",
                &[(
                    [
                        b"filename=\"".as_slice(),
                        &rfc2047_gbk("陇西县2020年10月进展.xlsx"),
                        b"\"",
                    ]
                    .concat(),
                    &longxi,
                )],
            ),
            "2020-11-03T10:00",
        ),
        (
            mail(
                "tongwei@dingxi.example.org",
                b"=?UTF-8?B?6YCa5rit5Y6/?=",
                "m2",
                &[
                    (rfc2231_gb18030("通渭县10月报表.xlsx"), &tongwei),
                    (rfc2231_gb18030("情况说明.pdf"), &pdf),
                ],
            ),
            "2020-11-09T08:30",
        ),
        (
            mail("weiyuan@dingxi.example.org", b"report", "m3", &[]),
            "2020-11-02T09:00",
        ),
        (
            mail(
                "kjj@dingxi.example.org",
                b"zip",
                "m4",
                &[(
                    b"filename=\"10yue.zip\"".to_vec(),
                    &windows_zip(&[("市科技局.xlsx", &kjj), ("报表/市发展改革委.xlsx", &fgw)]),
                )],
            ),
            "2020-11-04T16:20",
        ),
        (
            mail(
                "GXJ@Dingxi.example.org",
                b"progress",
                "m5",
                &[(b"filename=\"progress.xlsx\"".to_vec(), &gxj)],
            ),
            "2020-11-05T23:50",
        ),
        (
            mail("jyj@dingxi.example.org", b"jyj", "m6", &[(gbk_param, &jyj)]),
            "2020-11-05T11:00",
        ),
        (
            b"\x00\x01garbage without any header\r\n".to_vec(),
            "2020-11-04T12:00",
        ),
        (
            mail(
                "clerk1985@qq.example.com",
                &rfc2047_gbk("市财政局10月进展"),
                "m8",
                &[(b"filename=\"jinzhan.xlsx\"".to_vec(), &czj)],
            ),
            "2020-11-06T08:00",
        ),
    ];
    for (raw, at) in &messages {
        server.deliver(raw, china(at));
    }
    [
        ("陇西县2020年10月进展.xlsx", longxi),
        ("通渭县10月报表.xlsx", tongwei),
        ("情况说明.pdf", pdf),
        ("市科技局.xlsx", kjj),
        ("市发展改革委.xlsx", fgw),
        ("progress.xlsx", gxj),
        ("市教育局十月.xlsx", jyj),
        ("jinzhan.xlsx", czj),
    ]
    .into_iter()
    .map(|(n, b)| (n.to_string(), b))
    .collect()
}

/// The inbox's files (hidden ones too) with their bytes.
fn inbox(ws: &Workspace) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(ws.path().join("inbox"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn mailed_returns_are_judged_by_arrival_and_fetched_once() {
    let Some(mut server) = Dovecot::start() else {
        return;
    };
    let ws = Workspace::new();
    server.configure(&ws, "", "");
    let expected = october_mail(&mut server);
    let before = server.snapshot();

    let out = ok(&ws, &["fetch"]);
    assert_eq!(inbox(&ws), expected, "{out}");
    assert!(
        out.contains("saved\treturn\t陇西县2020年10月进展.xlsx\tUID 1\t2020-11-03 10:00\tlongxi@dingxi.example.org\t陇西县10月报表\n"),
        "{out}"
    );
    assert!(
        out.contains("saved\tnot-a-return\t情况说明.pdf\tUID 2\t"),
        "{out}"
    );
    assert!(
        out.contains("no-attachment\tUID 3\tweiyuan@dingxi.example.org\treport\n"),
        "{out}"
    );
    assert!(out.contains("skipped\tUID 7\t"), "{out}");
    assert!(
        out.ends_with("收取新邮件8封：保存文件8个（报表7个，其他1个），无附件1封，跳过1封\n"),
        "{out}"
    );
    assert!(ws.path().join("outbox/fetch/zips/").is_dir());

    // A second fetch saves nothing new, and the server holds exactly what it held, flags included.
    let again = ok(&ws, &["fetch"]);
    assert!(
        again.ends_with("收取新邮件1封：保存文件0个（报表0个，其他0个），无附件0封，跳过1封\n"),
        "{again}"
    );
    assert_eq!(inbox(&ws), expected);
    assert_eq!(server.snapshot(), before, "fetch changed the mailbox");

    let out = ok(&ws, &["run", "--period", "2020-10", "--fetch"]);
    assert!(out.contains("收取新邮件1封：保存文件0个"), "{out}");
    let report: Json = serde_json::from_slice(
        &std::fs::read(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let files: BTreeMap<String, (String, String, String, bool)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (
                s("name"),
                (
                    s("unit"),
                    s("disposition"),
                    s("received"),
                    f["late"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    let row = |unit: &str, d: &str, at: &str, late: bool| {
        (unit.to_string(), d.to_string(), china(at).to_string(), late)
    };
    assert_eq!(
        files,
        BTreeMap::from([
            (
                "陇西县2020年10月进展.xlsx".to_string(),
                row("longxi", "accepted", "2020-11-03T10:00", false)
            ),
            (
                "通渭县10月报表.xlsx".to_string(),
                row("tongwei", "accepted", "2020-11-09T08:30", true)
            ),
            (
                "情况说明.pdf".to_string(),
                row("tongwei", "rejected", "2020-11-09T08:30", false)
            ),
            (
                "市科技局.xlsx".to_string(),
                row("kjj", "accepted", "2020-11-04T16:20", false)
            ),
            (
                "市发展改革委.xlsx".to_string(),
                row("fgw", "accepted", "2020-11-04T16:20", false)
            ),
            (
                "progress.xlsx".to_string(),
                row("gxj", "accepted", "2020-11-05T23:50", false)
            ),
            (
                "市教育局十月.xlsx".to_string(),
                row("jyj", "accepted", "2020-11-05T11:00", false)
            ),
            (
                "jinzhan.xlsx".to_string(),
                row("czj", "accepted", "2020-11-06T08:00", true)
            ),
        ]),
        "{out}"
    );
    let problems = util::problems(&report);
    let late: Vec<_> = problems.iter().filter(|p| p.0 == "LATE_RETURN").collect();
    assert_eq!(
        late,
        [
            &("LATE_RETURN".to_string(), "czj".to_string(), String::new()),
            &(
                "LATE_RETURN".to_string(),
                "tongwei".to_string(),
                String::new()
            )
        ]
    );
    assert!(problems.contains(&(
        "MISSING_RETURN".to_string(),
        "weiyuan".to_string(),
        String::new()
    )));
    for unit in ["longxi", "kjj", "fgw", "gxj", "jyj"] {
        assert!(
            !problems
                .iter()
                .any(|p| p.1 == unit && p.0 == "MISSING_RETURN"),
            "{unit}: {problems:?}"
        );
    }
}

#[test]
fn fetch_killed_at_any_moment_saves_each_attachment_once() {
    let Some(mut server) = Dovecot::start() else {
        return;
    };
    let ws = Workspace::new();
    server.configure(&ws, "", "");
    let expected = october_mail(&mut server);
    // Kill fetch at ever later moments; whatever it had done, the next one carries on.
    let mut completed = false;
    let mut partial = 0;
    // Until one fetch finishes, however slow the machine is today.
    for step in 0..500u64 {
        if completed {
            break;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
            .arg("--root")
            .arg(ws.path())
            .arg("fetch")
            .env("HUIZONG_IMAP_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(step * 4));
        let _ = child.kill();
        let status = child.wait().unwrap();
        completed |= status.success();
        let saved = inbox(&ws).keys().filter(|n| !n.starts_with('.')).count();
        if (1..expected.len()).contains(&saved) && !completed {
            partial += 1;
        }
    }
    assert!(partial > 0, "no kill landed while fetch was half done");
    let out = ok(&ws, &["fetch"]);
    let visible: BTreeMap<String, Vec<u8>> = inbox(&ws)
        .into_iter()
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    assert_eq!(visible, expected, "completed before: {completed}\n{out}");
    assert_eq!(inbox(&ws), expected, "a temporary file was left behind");
    assert!(out.contains("保存文件0个") || !completed, "{out}");
}

#[test]
fn fetch_waits_for_the_workspace_lock_and_reads_one_folder_since_a_day() {
    let Some(mut server) = Dovecot::start() else {
        return;
    };
    let ws = Workspace::new();
    server.configure(
        &ws,
        "lock_wait_seconds = 0",
        "folder = \"报表\"\nsince = \"2020-10-01\"",
    );
    // The folder 报表 (a mail rule files returns there); mail from before `since` is not read.
    for (id, at) in [("old", "2020-09-28T10:00"), ("new", "2020-11-02T10:00")] {
        server.deliver_to(
            "&YqWIaA-",
            &mail(
                "longxi@dingxi.example.org",
                id.as_bytes(),
                id,
                &[(
                    format!("filename=\"longxi-{id}.xlsx\"").into_bytes(),
                    &ret("longxi"),
                )],
            ),
            china(at),
        );
    }
    let lock = std::fs::File::create(ws.path().join("outbox/.lock")).unwrap();
    lock.try_lock().unwrap();
    let out = huizong(&ws, &["fetch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is busy"), "{err}");
    drop(lock);
    let out = ok(&ws, &["fetch"]);
    assert!(
        out.ends_with("收取新邮件1封：保存文件1个（报表1个，其他0个），无附件0封，跳过0封\n"),
        "{out}"
    );
    assert_eq!(
        inbox(&ws).into_keys().collect::<Vec<_>>(),
        ["longxi-new.xlsx"]
    );
}

#[test]
fn plain_imap_is_refused_beyond_this_machine() {
    let ws = Workspace::new();
    std::fs::write(
        ws.path().join("huizong.toml"),
        "[imap]\nhost = \"mail.dingxi.example.org\"\nsecurity = \"none\"\nuser = \"office\"\n",
    )
    .unwrap();
    let out = huizong(&ws, &["fetch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "imap.security = \"none\" sends the password in the clear and is allowed only for a server on this machine"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(ws.path().join("huizong.toml"), "").unwrap();
    let out = huizong(&ws, &["fetch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no mailbox is set up"));
}

#[test]
fn watch_fetches_mail_and_files_it_by_arrival() {
    let Some(mut server) = Dovecot::start() else {
        return;
    };
    let ws = Workspace::new();
    server.configure(&ws, "", "");
    server.deliver(
        &mail(
            "longxi@dingxi.example.org",
            b"late",
            "w1",
            &[(b"filename=\"longxi.xlsx\"".to_vec(), &ret("longxi"))],
        ),
        china("2020-11-07T09:15"),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args([
            "watch",
            "--period",
            "2020-10",
            "--stable-seconds",
            "1",
            "--fetch",
        ])
        .env("HUIZONG_IMAP_PASSWORD", PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let report = ws.path().join("outbox/2020-10/report.json");
    let started = Instant::now();
    while !ws
        .path()
        .join("outbox/2020-10/accepted/longxi.xlsx")
        .exists()
    {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "watch --fetch did not file the mailed return:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let report: Json = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let file = &report["files"][0];
    assert_eq!(file["name"], "longxi.xlsx");
    assert_eq!(file["received"], china("2020-11-07T09:15").to_string());
    assert_eq!(file["late"], true);
}

/// A test CA and a certificate for 127.0.0.1 signed by it: (CA, certificate, key), PEM.
fn test_ca() -> (String, String, String) {
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

#[test]
fn fetch_over_tls_and_starttls_trusts_only_known_certificates() {
    let (ca, cert, key) = test_ca();
    let Some(mut server) = Dovecot::start_with(Some((&cert, &key))) else {
        return;
    };
    server.deliver(
        &mail(
            "longxi@dingxi.example.org",
            b"tls",
            "t1",
            &[(b"filename=\"longxi.xlsx\"".to_vec(), &ret("longxi"))],
        ),
        china("2020-11-03T10:00"),
    );
    let ca_file = server.dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    for (security, port) in [("tls", server.imaps_port), ("starttls", server.port)] {
        let ws = Workspace::new();
        std::fs::write(
            ws.path().join("huizong.toml"),
            format!(
                "[imap]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\nuser = \"office\"\n"
            ),
        )
        .unwrap();
        let fetch = |trust: &Path| {
            Command::new(env!("CARGO_BIN_EXE_huizong"))
                .arg("--root")
                .arg(ws.path())
                .arg("fetch")
                .env("HUIZONG_IMAP_PASSWORD", PASSWORD)
                .env("SSL_CERT_FILE", trust)
                .env_remove("SSL_CERT_DIR")
                .output()
                .unwrap()
        };
        // A certificate from a CA the machine does not trust is refused before the password is sent.
        let refused = fetch(&server.dir.path().join("cert.pem"));
        let err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{security}: {err}");
        assert!(
            err.contains("cannot connect to the IMAP server 127.0.0.1"),
            "{security}: {err}"
        );
        let out = fetch(&ca_file);
        util::assert_success(&out, &["fetch", security]);
        assert!(
            util::stdout(&out).contains("saved\treturn\tlongxi.xlsx\tUID 1\t2020-11-03 10:00"),
            "{security}: {}",
            util::stdout(&out)
        );
    }
}
