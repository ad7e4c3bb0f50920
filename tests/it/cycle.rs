//! The monthly cycle's safety: the workspace lock, `status` changing nothing, and runs killed at any moment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use huizong::demo::filled_return;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;

use crate::util::{self, Workspace};

const OCT: Period = Period {
    year: 2020,
    month: 10,
};

/// A month of returns with a duplicate, a broken file and a return for November.
fn fill_inbox(ws: &Workspace) {
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    for u in catalogue.reporting_units() {
        let bytes = filled_return(&catalogue, &Settings::default(), OCT, &u.code, &[]).unwrap();
        let path = ws.path().join("inbox").join(format!("{}.xlsx", u.code));
        std::fs::write(&path, &bytes).unwrap();
        util::received_on_time(&path, 2020, 10);
    }
    std::fs::copy(
        ws.path().join("inbox/kjj.xlsx"),
        ws.path().join("inbox/kjj again.xlsx"),
    )
    .unwrap();
    util::received_on_time(&ws.path().join("inbox/kjj again.xlsx"), 2020, 10);
    std::fs::write(
        ws.path().join("inbox/broken.xls"),
        b"\xD0\xCF\x11\xE0 not really",
    )
    .unwrap();
    util::received_on_time(&ws.path().join("inbox/broken.xls"), 2020, 10);
    let nov = filled_return(&catalogue, &Settings::default(), OCT.next(), "gxj", &[]).unwrap();
    std::fs::write(ws.path().join("inbox/gxj 11月.xlsx"), nov).unwrap();
    util::received_on_time(&ws.path().join("inbox/gxj 11月.xlsx"), 2020, 11);
}

/// Every file of the workspace (but the ledger, the lock and hidden temp files) with its bytes; report.json
/// without its run id and time.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if name.starts_with('.') || name == "ledger.jsonl" {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            if name == "report.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                v["run_id"] = serde_json::Value::Null;
                v["run_time"] = serde_json::Value::Null;
                bytes = serde_json::to_vec_pretty(&v).unwrap();
            }
            out.insert(rel, bytes);
        }
    }
    out
}

#[test]
fn status_changes_nothing() {
    let ws = Workspace::new();
    fill_inbox(&ws);
    let before = snapshot(ws.path());
    let out = ws.ok(&["status", "--period", "2020-10"]);
    let text = util::stdout(&out);
    // Units by name, standings in Chinese (issue 11).
    assert!(
        text.contains("市科技局") && text.contains("按时报送"),
        "{text}"
    );
    assert!(
        text.contains("按时24家，逾期0家，未报0家，退回0家"),
        "{text}"
    );
    assert_eq!(snapshot(ws.path()), before);
}

#[test]
fn a_second_process_waits_then_names_the_holder() {
    let ws = Workspace::new();
    std::fs::write(ws.path().join("huizong.toml"), "lock_wait_seconds = 1\n").unwrap();
    let lock_path = ws.path().join("outbox/.lock");
    let mut held = std::fs::File::create(&lock_path).unwrap();
    held.try_lock().unwrap();
    held.write_all(b"huizong watch (pid 4242, since yesterday)")
        .unwrap();
    let started = Instant::now();
    let out = ws.run(&["run", "--period", "2020-10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "it did not wait"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("huizong watch (pid 4242"), "{stderr}");
    drop(held);
    ws.ok(&["run", "--period", "2020-10"]);
}

#[test]
fn runs_killed_at_random_moments_lose_nothing() {
    let reference = Workspace::new();
    fill_inbox(&reference);
    let inputs = snapshot(reference.path());
    let started = Instant::now();
    reference.ok(&["run", "--period", "2020-10"]);
    let full = started.elapsed();
    let expected = snapshot(reference.path());

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill-test seed {seed}, an uninterrupted run takes {full:?}");
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for trial in 0..20 {
        let ws = Workspace::new();
        // Same names, bytes and modification times as the reference inbox.
        for (rel, bytes) in &inputs {
            let to = ws.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, bytes).unwrap();
            let from = std::fs::metadata(
                reference
                    .path()
                    .join("outbox/2020-10/accepted")
                    .join(Path::new(rel).file_name().unwrap()),
            )
            .or_else(|_| std::fs::metadata(reference.path().join(rel)))
            .or_else(|_| {
                std::fs::metadata(
                    reference
                        .path()
                        .join("outbox/2020-10/duplicates")
                        .join(Path::new(rel).file_name().unwrap()),
                )
            })
            .or_else(|_| {
                std::fs::metadata(
                    reference
                        .path()
                        .join("outbox/2020-10/rejected")
                        .join(Path::new(rel).file_name().unwrap()),
                )
            });
            if let Ok(m) = from {
                std::fs::File::options()
                    .write(true)
                    .open(&to)
                    .unwrap()
                    .set_modified(m.modified().unwrap())
                    .unwrap();
            }
        }
        let delay = Duration::from_micros(next() % (full.as_micros() as u64 * 12 / 10 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_huizong"))
            .arg("--root")
            .arg(ws.path())
            .args(["run", "--period", "2020-10"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        ws.ok(&["run", "--period", "2020-10"]);
        let got = snapshot(ws.path());
        let keys = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&got),
            keys(&expected),
            "trial {trial} (killed after {delay:?}): files differ"
        );
        // Every archived file is in the ledger under the place it is now.
        let ledger = std::fs::read_to_string(ws.path().join("outbox/ledger.jsonl")).unwrap();
        for k in got.keys().filter(|k| {
            ["accepted/", "duplicates/", "rejected/"]
                .iter()
                .any(|d| k.contains(d))
                && !k.ends_with(".reason.txt")
        }) {
            assert!(
                ledger.contains(&format!(
                    "\"location\":{}",
                    serde_json::to_string(k).unwrap()
                )),
                "trial {trial}: {k} is not in the ledger"
            );
        }
        for (k, v) in &expected {
            if got[k] != *v && k.ends_with(".json") {
                let (a, b) = (String::from_utf8_lossy(v), String::from_utf8_lossy(&got[k]));
                let diff: Vec<_> = a
                    .lines()
                    .zip(b.lines())
                    .filter(|(x, y)| x != y)
                    .take(6)
                    .collect();
                panic!("trial {trial} (killed after {delay:?}): {k} differs: {diff:#?}");
            }
            assert!(
                got[k] == *v,
                "trial {trial} (killed after {delay:?}): {k} differs"
            );
        }
    }
}
