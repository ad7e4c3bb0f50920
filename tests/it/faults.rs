//! Faults of a real month (issue #12): files still being written, an inbox on another file system, deliveries
//! unpacked into sub-folders, clocks in the future, lost history, and corrections carrying old times.

use std::path::Path;

use huizong::demo::{Edit, Value, filled_return};
use huizong::forms::col;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;
use serde_json::Value as Json;

use crate::util::{self, Workspace};

const OCT: Period = Period {
    year: 2020,
    month: 10,
};

fn ret(unit: &str, period: Period, edits: &[Edit]) -> Vec<u8> {
    let c = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    filled_return(&c, &Settings::default(), period, unit, edits).unwrap()
}

fn run(ws: &Workspace, period: &str) -> Json {
    ws.ok(&["run", "--period", period]);
    serde_json::from_str(
        &std::fs::read_to_string(ws.path().join(format!("outbox/{period}/report.json"))).unwrap(),
    )
    .unwrap()
}

fn file<'a>(r: &'a Json, name: &str) -> &'a Json {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the report: {:#}", r["files"]))
}

fn findings<'a>(r: &'a Json, code: &str) -> Vec<&'a Json> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn unit<'a>(r: &'a Json, code: &str) -> &'a Json {
    r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap()
}

fn ledger(ws: &Workspace) -> Vec<Json> {
    std::fs::read_to_string(ws.path().join("outbox/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_file_still_being_written_stays_in_the_inbox_until_complete() {
    let ws = Workspace::new();
    let full = ret("kjj", OCT, &[]);
    let path = ws.path().join("inbox/kjj.xlsx");
    // Half of the file, just written: the copy is still under way.
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let r = run(&ws, "2020-10");
    let f = file(&r, "kjj.xlsx");
    assert_eq!(f["disposition"], "ignored");
    assert_eq!(f["location"], "inbox/kjj.xlsx");
    let pending = findings(&r, "FILE_IN_PROGRESS");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["severity"], "info");
    assert!(path.exists(), "the half file must stay in the inbox");
    assert!(
        ws.path()
            .join("outbox/2020-10/rejected")
            .read_dir()
            .is_err()
    );
    // The unit is not told that nothing arrived.
    let missing = findings(&r, "MISSING_RETURN");
    let kjj = missing.iter().find(|f| f["unit"] == "kjj").unwrap();
    assert!(
        kjj["message"]
            .as_str()
            .unwrap()
            .contains("已收到“kjj.xlsx”"),
        "{kjj}"
    );
    assert!(ledger(&ws).is_empty());

    // The copy completes; the next run files it.
    std::fs::write(&path, &full).unwrap();
    util::received_on_time(&path, 2020, 10);
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "kjj.xlsx")["disposition"], "accepted");
    assert_eq!(unit(&r, "kjj")["status"], "on_time");
    assert!(findings(&r, "FILE_IN_PROGRESS").is_empty());
    assert_eq!(ledger(&ws).len(), 1);
}

#[test]
fn a_rejected_file_whose_bytes_changed_is_read_again() {
    let ws = Workspace::new();
    let full = ret("czj", OCT, &[]);
    let path = ws.path().join("inbox/czj.xlsx");
    std::fs::write(&path, &full[..full.len() / 3]).unwrap();
    util::received_on_time(&path, 2020, 10);
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "czj.xlsx")["disposition"], "rejected");
    // The writer kept its handle open and finished the file where it was moved to.
    let rejected = ws.path().join("outbox/2020-10/rejected/czj.xlsx");
    std::fs::write(&rejected, &full).unwrap();
    util::received_on_time(&rejected, 2020, 10);
    let r = run(&ws, "2020-10");
    let f = file(&r, "czj.xlsx");
    assert_eq!(f["disposition"], "accepted");
    assert_eq!(f["location"], "outbox/2020-10/accepted/czj.xlsx");
    assert_eq!(
        std::fs::read(ws.path().join("outbox/2020-10/accepted/czj.xlsx")).unwrap(),
        full
    );
    assert!(!rejected.exists());
    assert!(
        !ws.path()
            .join("outbox/2020-10/rejected/czj.xlsx.reason.txt")
            .exists()
    );
    assert_eq!(unit(&r, "czj")["status"], "on_time");
    let again = run(&ws, "2020-10");
    assert_eq!(again["files"], r["files"]);
}

/// Mounts a tmpfs on `dir`; `false` (with a notice) where that is not permitted, a panic under CI=true.
pub fn mount_tmpfs(dir: &Path) -> bool {
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "huizong-test"])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("cannot mount a tmpfs, and CI=true requires it");
        }
        eprintln!("notice: cannot mount a tmpfs here; skipping the cross-device test");
    }
    ok
}

/// Unmounts the folder when dropped.
pub struct Unmount(pub std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn an_inbox_on_another_file_system_is_filed_by_copy() {
    let ws = Workspace::new();
    let inbox = ws.path().join("inbox");
    if !mount_tmpfs(&inbox) {
        return;
    }
    let _unmount = Unmount(inbox.clone());
    let good = ret("kjj", OCT, &[]);
    for (name, bytes) in [
        ("kjj.xlsx", good.clone()),
        ("zz copy of kjj.xlsx", good.clone()),
        ("broken.xlsx", b"PK\x03\x04 broken".to_vec()),
    ] {
        std::fs::write(inbox.join(name), &bytes).unwrap();
        util::received_on_time(&inbox.join(name), 2020, 10);
    }
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "kjj.xlsx")["disposition"], "accepted");
    assert_eq!(file(&r, "zz copy of kjj.xlsx")["disposition"], "duplicate");
    assert_eq!(file(&r, "broken.xlsx")["disposition"], "rejected");
    let accepted = ws.path().join("outbox/2020-10/accepted/kjj.xlsx");
    assert_eq!(std::fs::read(&accepted).unwrap(), good);
    // The copy keeps the time it was received with.
    let before = std::fs::metadata(&accepted).unwrap().modified().unwrap();
    assert_eq!(unit(&r, "kjj")["status"], "on_time");
    assert_eq!(
        std::fs::read_dir(&inbox).unwrap().count(),
        0,
        "the inbox is emptied"
    );
    assert_eq!(ledger(&ws).len(), 3, "one ledger entry per file");
    let again = run(&ws, "2020-10");
    assert_eq!(again["files"], r["files"]);
    assert_eq!(ledger(&ws).len(), 3, "a re-run records nothing again");
    assert_eq!(
        std::fs::metadata(&accepted).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn a_correction_carrying_an_older_time_still_replaces_the_original() {
    let ws = Workspace::new();
    let original = ws.path().join("inbox/2020-10_czj.xlsx");
    std::fs::write(&original, ret("czj", OCT, &[])).unwrap();
    util::received_on_time(&original, 2020, 10);
    // Dated the 2nd of November 2020 + 1 day: on time.
    util::set_mtime(&original, 1_604_361_600);
    run(&ws, "2020-10");
    // The correction was unzipped with its original date, a day older than the first file's.
    let corrected = ret(
        "czj",
        OCT,
        &[Edit::new(
            "T2.7-02",
            col::REMARK,
            Value::Text("已更正".into()),
        )],
    );
    let fix = ws.path().join("inbox/2020-10_czj 更正.xlsx");
    std::fs::write(&fix, &corrected).unwrap();
    util::set_mtime(&fix, 1_604_275_200);
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "2020-10_czj 更正.xlsx")["disposition"], "accepted");
    assert_eq!(file(&r, "2020-10_czj.xlsx")["disposition"], "superseded");
    assert_eq!(unit(&r, "czj")["status"], "on_time");
    assert_eq!(unit(&r, "czj")["file"], "2020-10_czj 更正.xlsx");
    // A broken file of the unit, received late, changes nothing about its lateness.
    let broken = ws.path().join("inbox/2020-10_czj 再次.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 broken").unwrap();
    util::set_mtime(&broken, 1_609_459_200);
    let again = run(&ws, "2020-10");
    assert_eq!(
        file(&again, "2020-10_czj 更正.xlsx")["disposition"],
        "accepted"
    );
    assert_eq!(
        file(&again, "2020-10_czj 再次.xlsx")["disposition"],
        "rejected"
    );
    assert_eq!(unit(&again, "czj")["status"], "on_time");
    let third = run(&ws, "2020-10");
    assert_eq!(third["files"], again["files"]);
}

#[test]
fn returns_unpacked_into_sub_folders_are_received() {
    let ws = Workspace::new();
    let dir = ws.path().join("inbox/县区报表/第二批");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, unit) in [("安定区.xlsx", "anding"), ("陇西县.xlsx", "longxi")] {
        std::fs::write(dir.join(name), ret(unit, OCT, &[])).unwrap();
        util::received_on_time(&dir.join(name), 2020, 10);
    }
    let r = run(&ws, "2020-10");
    let f = file(&r, "县区报表/第二批/安定区.xlsx");
    assert_eq!(f["disposition"], "accepted");
    assert_eq!(f["unit"], "anding");
    assert_eq!(
        f["location"],
        "outbox/2020-10/accepted/县区报表/第二批/安定区.xlsx"
    );
    assert_eq!(unit(&r, "longxi")["status"], "on_time");
    assert!(
        !findings(&r, "MISSING_RETURN")
            .iter()
            .any(|f| f["unit"] == "anding" || f["unit"] == "longxi")
    );
    assert!(
        !ws.path().join("inbox/县区报表").exists(),
        "emptied sub-folders are removed"
    );
    let again = run(&ws, "2020-10");
    assert_eq!(again["files"], r["files"]);
}

#[test]
fn a_file_dated_in_the_future_is_taken_as_received_now() {
    let ws = Workspace::new();
    let path = ws.path().join("inbox/kjj.xlsx");
    std::fs::write(&path, ret("kjj", OCT, &[])).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A zip's local China time read as UTC: eight hours ahead.
    util::set_mtime(&path, now + 8 * 3600);
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "kjj.xlsx")["disposition"], "accepted");
    let received: jiff::Timestamp = file(&r, "kjj.xlsx")["received"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (received.as_second() - now as i64).abs() < 120,
        "{received}"
    );
    let future = findings(&r, "FUTURE_TIME");
    assert_eq!(future.len(), 1);
    assert_eq!(
        (&future[0]["unit"], &future[0]["severity"]),
        (&"kjj".into(), &"info".into())
    );
    let again = run(&ws, "2020-10");
    assert_eq!(again["files"], r["files"], "the time taken is kept");
    assert_eq!(again["findings"], r["findings"]);
}

#[test]
fn a_deleted_earlier_report_is_named() {
    let ws = Workspace::new();
    let sep = ws.path().join("inbox/kjj-9.xlsx");
    std::fs::write(
        &sep,
        ret(
            "kjj",
            Period {
                year: 2020,
                month: 9,
            },
            &[],
        ),
    )
    .unwrap();
    util::received_on_time(&sep, 2020, 9);
    run(&ws, "2020-09");
    let oct = ws.path().join("inbox/kjj-10.xlsx");
    std::fs::write(&oct, ret("kjj", OCT, &[])).unwrap();
    util::received_on_time(&oct, 2020, 10);
    let r = run(&ws, "2020-10");
    assert!(findings(&r, "HISTORY_MISSING").is_empty());
    std::fs::remove_file(ws.path().join("outbox/2020-09/report.json")).unwrap();
    let r = run(&ws, "2020-10");
    let missing = findings(&r, "HISTORY_MISSING");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["severity"], "warning");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("2020年9月"),
        "{}",
        missing[0]["message"]
    );
}

#[test]
fn gbk_names_keep_their_bytes_and_odd_names_forge_nothing() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let ws = Workspace::new();
    let inbox = ws.path().join("inbox");
    // Names as a Windows zip unpacked on Linux leaves them: GBK bytes, not UTF-8.
    let kjj_name = encoding_rs::GBK
        .encode("定西市科技局10月.xlsx")
        .0
        .into_owned();
    let czj_name = encoding_rs::GBK
        .encode("定西市财政局10月.xlsx")
        .0
        .into_owned();
    let kjj = ret("kjj", OCT, &[]);
    for (name, bytes) in [
        (kjj_name.as_slice(), kjj.clone()),
        (czj_name.as_slice(), ret("czj", OCT, &[])),
        ("kjj#2.xlsx".as_bytes(), kjj.clone()),
        (
            "bad\nrejected: forged.xlsx (fake)".as_bytes(),
            b"PK\x03\x04 broken".to_vec(),
        ),
        // The UTF-8 twin of the GBK name: another file, which must stay another name.
        (
            "定西市科技局10月.xlsx".as_bytes(),
            b"PK\x03\x04 broken twin".to_vec(),
        ),
    ] {
        let path = inbox.join(OsStr::from_bytes(name));
        std::fs::write(&path, bytes).unwrap();
        util::received_on_time(&path, 2020, 10);
    }
    // The copy came an hour after the original.
    util::set_mtime(&inbox.join("kjj#2.xlsx"), 1_604_278_800 + 3_600);
    let out = ws.ok(&["run", "--period", "2020-10"]);
    let r: Json = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let f = file(&r, "定西市科技局10月.xlsx [GBK]");
    assert_eq!(
        (&f["disposition"], &f["unit"]),
        (&"accepted".into(), &"kjj".into())
    );
    let twin = file(&r, "定西市科技局10月.xlsx");
    assert_eq!(twin["disposition"], "rejected");
    assert_ne!(twin["location"], f["location"]);
    assert!(
        std::fs::read(
            ws.path()
                .join("outbox/2020-10/rejected/定西市科技局10月.xlsx")
        )
        .unwrap()
        .ends_with(b"twin")
    );
    assert_eq!(file(&r, "定西市财政局10月.xlsx")["unit"], "czj");
    assert_eq!(file(&r, "kjj#2.xlsx")["disposition"], "duplicate");
    assert_eq!(
        file(&r, "bad\\nrejected: forged.xlsx (fake)")["disposition"],
        "rejected"
    );
    // On disk the names are the bytes that arrived.
    let accepted = ws.path().join("outbox/2020-10/accepted");
    assert_eq!(
        std::fs::read(accepted.join(OsStr::from_bytes(&kjj_name))).unwrap(),
        kjj
    );
    assert!(accepted.join(OsStr::from_bytes(&czj_name)).exists());
    assert!(
        ws.path()
            .join("outbox/2020-10/rejected")
            .join("bad\nrejected: forged.xlsx (fake)")
            .exists()
    );
    let names: Vec<String> = ledger(&ws)
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"定西市科技局10月.xlsx [GBK]".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"定西市科技局10月.xlsx".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"定西市财政局10月.xlsx".to_string()),
        "{names:?}"
    );
    let stdout = util::stdout(&out);
    assert!(
        !stdout.lines().any(|l| l.starts_with("rejected: forged")),
        "{stdout}"
    );
    // The `#` does not cut the link to the duplicate in 问题清单.
    let book = std::fs::read(
        std::fs::read_dir(ws.path().join("outbox/2020-10"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
            .unwrap(),
    )
    .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut rels = String::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        if part.name().unwrap().contains("_rels/sheet") {
            std::io::Read::read_to_string(&mut part, &mut rels).unwrap();
        }
    }
    assert!(!rels.contains("Target=\"accepted/kjj\""), "{rels}");
    assert!(!rels.contains("Target=\"duplicates/kjj\""), "{rels}");
    let again = run(&ws, "2020-10");
    assert_eq!(again["files"], r["files"]);
}

#[test]
fn an_unreadable_file_is_named_and_its_unit_told_nothing_false() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    let path = ws.path().join("inbox/市科技局10月.xlsx");
    std::fs::write(&path, ret("kjj", OCT, &[])).unwrap();
    util::received_on_time(&path, 2020, 10);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file: run as nobody, in a workspace nobody may write.
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        let mut stack = vec![ws.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p != path {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
                }
            }
        }
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_huizong"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
    };
    let out = cmd
        .arg("--root")
        .arg(ws.path())
        .args(["run", "--period", "2020-10"])
        .output()
        .unwrap();
    if root && !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("setpriv") {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("setpriv failed, and CI=true requires it");
        }
        eprintln!("notice: cannot drop privileges here; skipping");
        return;
    }
    util::assert_success(&out, &["run"]);
    assert!(
        util::stdout(&out).contains("not read: 市科技局10月.xlsx"),
        "{}",
        util::stdout(&out)
    );
    let r: Json = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let f = file(&r, "市科技局10月.xlsx");
    assert_eq!(f["disposition"], "ignored");
    assert_eq!(f["location"], "inbox/市科技局10月.xlsx");
    let unavailable = findings(&r, "FILE_UNAVAILABLE");
    assert_eq!(unavailable.len(), 1);
    assert_eq!(unavailable[0]["unit"], "", "the office looks, not the unit");
    assert!(
        unavailable[0]["message"]
            .as_str()
            .unwrap()
            .contains("市科技局10月.xlsx")
    );
    let missing = findings(&r, "MISSING_RETURN");
    let kjj = missing.iter().find(|f| f["unit"] == "kjj").unwrap();
    let message = kjj["message"].as_str().unwrap();
    assert!(message.contains("已收到“市科技局10月.xlsx”"), "{message}");
    assert!(!message.contains("尚未收到"), "{message}");
    assert!(path.exists());
}

#[test]
fn a_file_that_vanishes_during_the_run_is_reported_and_the_run_goes_on() {
    let Some(strace) = crate::cycle::strace() else {
        return;
    };
    let ws = Workspace::new();
    for unit in ["kjj", "czj"] {
        let path = ws.path().join(format!("inbox/{unit}.xlsx"));
        std::fs::write(&path, ret(unit, OCT, &[])).unwrap();
        util::received_on_time(&path, 2020, 10);
    }
    // Listed, then gone when the run opens it: every open of czj.xlsx fails as if it had been removed.
    let czj = ws.path().join("inbox/czj.xlsx");
    let out = std::process::Command::new(strace)
        .args(["-f", "-qq", "-o", "/dev/null", "-P"])
        .arg(&czj)
        .args([
            "-e",
            "inject=open,openat,openat2,stat,lstat,newfstatat,statx:error=ENOENT",
        ])
        .arg(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args(["run", "--period", "2020-10"])
        .output()
        .unwrap();
    util::assert_success(&out, &["run (czj.xlsx vanishing)"]);
    let r: Json = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file(&r, "kjj.xlsx")["disposition"], "accepted");
    let gone = file(&r, "czj.xlsx");
    assert_eq!(gone["disposition"], "ignored");
    assert!(
        gone["reason"].as_str().unwrap().contains("移走或删除"),
        "{gone}"
    );
    assert_eq!(findings(&r, "FILE_UNAVAILABLE").len(), 1);
    // It was there all along: the next run files it.
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "czj.xlsx")["disposition"], "accepted");
}

#[test]
fn without_its_ledger_the_archive_still_came_before_the_inbox() {
    let ws = Workspace::new();
    let original = ws.path().join("inbox/2020-10_czj.xlsx");
    std::fs::write(&original, ret("czj", OCT, &[])).unwrap();
    util::set_mtime(&original, 1_604_361_600);
    run(&ws, "2020-10");
    std::fs::remove_file(ws.path().join("outbox/ledger.jsonl")).unwrap();
    let fix = ws.path().join("inbox/2020-10_czj 更正.xlsx");
    let corrected = ret(
        "czj",
        OCT,
        &[Edit::new(
            "T2.7-02",
            col::REMARK,
            Value::Text("已更正".into()),
        )],
    );
    std::fs::write(&fix, corrected).unwrap();
    util::set_mtime(&fix, 1_604_275_200);
    let r = run(&ws, "2020-10");
    assert_eq!(file(&r, "2020-10_czj 更正.xlsx")["disposition"], "accepted");
    assert_eq!(file(&r, "2020-10_czj.xlsx")["disposition"], "superseded");
}

/// A delivery unpacked into folders within folders keeps its folders in the archive, and its path can be longer
/// than a hyperlink may be (rust_xlsxwriter refuses past 2,080 characters): 问题清单 names such a file as text,
/// where before the whole run failed.
#[test]
fn a_file_deep_in_unpacked_folders_is_named_without_a_link() {
    let ws = Workspace::new();
    let mut dir = ws.path().join("inbox");
    for i in 0..9 {
        dir = dir.join(format!("{i}-{}", "delivery".repeat(30)));
    }
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lintao.xlsx");
    let approximate = Edit::new("T2.4-01", col::CUMULATIVE, Value::Text("约12".into()));
    std::fs::write(&path, ret("lintao", OCT, &[approximate])).unwrap();
    util::received_on_time(&path, 2020, 10);
    let r = run(&ws, "2020-10");
    let name = dir
        .strip_prefix(ws.path().join("inbox"))
        .unwrap()
        .join("lintao.xlsx")
        .to_str()
        .unwrap()
        .to_string();
    let f = file(&r, &name);
    assert_eq!(f["disposition"], "accepted");
    assert!(
        f["location"].as_str().unwrap().len() > 2_080,
        "{}",
        f["location"]
    );
    let found = findings(&r, "APPROXIMATE_VALUE");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["cell"], "G5");
    let book = ws
        .path()
        .join("outbox/2020-10/dingxi-2020-ctcz_汇总_2020-10.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut wb, "问题清单").unwrap();
    let row = sheet
        .rows()
        .find(|row| row[1] == "APPROXIMATE_VALUE")
        .expect("the finding's row");
    assert_eq!(row[7].to_string(), name);
}
