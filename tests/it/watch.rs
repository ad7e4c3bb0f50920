//! `huizong watch`: files are read once complete, each once, and Ctrl-C stops it cleanly.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use huizong::demo::filled_return;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;

use crate::util::{self, Workspace};

fn ledger(ws: &Workspace) -> Vec<serde_json::Value> {
    std::fs::read_to_string(ws.path().join("outbox/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watch_reads_each_file_once_it_is_complete() {
    let ws = Workspace::new();
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let oct = Period {
        year: 2020,
        month: 10,
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args(["watch", "--period", "2020-10", "--stable-seconds", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let quick = ws.path().join("inbox/kjj.xlsx");
    std::fs::write(
        &quick,
        filled_return(&catalogue, &Settings::default(), oct, "kjj", &[]).unwrap(),
    )
    .unwrap();
    util::received_on_time(&quick, 2020, 10);

    // A return that arrives slowly: each chunk lands before the file has been still for a second.
    let slow_bytes = filled_return(&catalogue, &Settings::default(), oct, "longxi", &[]).unwrap();
    let slow = ws.path().join("inbox/陇西县10月.xlsx");
    let mut f = std::fs::File::create(&slow).unwrap();
    for chunk in slow_bytes.chunks(slow_bytes.len() / 4 + 1) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(600));
    }
    drop(f);
    util::received_on_time(&slow, 2020, 10);
    let partial = ws.path().join("inbox/report.xlsx.part");
    std::fs::write(&partial, b"half a download").unwrap();

    wait_for("both returns to be archived", || {
        let accepted = ws.path().join("outbox/2020-10/accepted");
        accepted.join("kjj.xlsx").exists() && accepted.join("陇西县10月.xlsx").exists()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let entries = ledger(&ws);
    let slow_entries: Vec<_> = entries
        .iter()
        .filter(|e| e["name"] == "陇西县10月.xlsx")
        .collect();
    assert_eq!(
        slow_entries.len(),
        1,
        "the slow file was handled more than once: {slow_entries:#?}"
    );
    assert_eq!(slow_entries[0]["disposition"], "accepted");
    assert_eq!(slow_entries[0]["unit"], "longxi");
    assert!(
        partial.exists(),
        "the partial download must stay in the inbox"
    );

    // Ctrl-C: a clean stop.
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "watch did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "watch exited with {status}");
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(out.contains("accepted\t陇西县10月.xlsx"), "{out}");
}

#[test]
fn watch_keeps_running_through_a_busy_lock_and_reads_future_dated_files() {
    let ws = Workspace::new();
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let oct = Period {
        year: 2020,
        month: 10,
    };
    std::fs::write(ws.path().join("huizong.toml"), "lock_wait_seconds = 1\n").unwrap();
    // Another process holds the workspace while the first file lands.
    let mut held = std::fs::File::create(ws.path().join("outbox/.lock")).unwrap();
    held.try_lock().unwrap();
    held.write_all(b"huizong run (pid 4242, since today)")
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(ws.path())
        .args(["watch", "--period", "2020-10", "--stable-seconds", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let kjj = ws.path().join("inbox/kjj.xlsx");
    std::fs::write(
        &kjj,
        filled_return(&catalogue, &Settings::default(), oct, "kjj", &[]).unwrap(),
    )
    .unwrap();
    util::received_on_time(&kjj, 2020, 10);
    // A file unpacked from a zip whose times were local China time read as UTC: eight hours ahead.
    let future = ws.path().join("inbox/批次/czj.xlsx");
    std::fs::create_dir_all(future.parent().unwrap()).unwrap();
    std::fs::write(
        &future,
        filled_return(&catalogue, &Settings::default(), oct, "czj", &[]).unwrap(),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    util::set_mtime(&future, now + 8 * 3600);
    // Long enough for watch to find the files stable and fail to take the lock more than once.
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        child.try_wait().unwrap().is_none(),
        "watch exited while the workspace was busy"
    );
    assert!(kjj.exists(), "nothing is filed while the lock is held");
    drop(held);
    wait_for("both returns to be archived", || {
        let accepted = ws.path().join("outbox/2020-10/accepted");
        accepted.join("kjj.xlsx").exists() && accepted.join("批次/czj.xlsx").exists()
    });
    assert_eq!(ledger(&ws).len(), 2);
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "watch exited with {status}");
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(out.contains("accepted\t批次/czj.xlsx"), "{out}");
}
