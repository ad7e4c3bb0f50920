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

/// strace, if installed. Absent: a notice and `None`, or a panic under `CI=true`.
pub fn strace() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("strace"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("strace is missing, and CI=true requires it");
        }
        eprintln!("notice: strace is not installed; skipping the kill-at-each-rename test");
    }
    found
}

/// A small month with every kind of filing: returns (one in a sub-folder), a copy, a correction carrying an
/// older time, broken files whose names clash, a file called like a reason file, and November's return.
fn tricky_inbox() -> Vec<(&'static str, Vec<u8>, u64)> {
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let ret = |unit: &str, p: Period, edits: &[huizong::demo::Edit]| {
        filled_return(&catalogue, &Settings::default(), p, unit, edits).unwrap()
    };
    let day = |d: u64| 1_604_188_800 + d * 86_400;
    let fix = [huizong::demo::Edit::new(
        "T2.7-02",
        huizong::forms::col::REMARK,
        huizong::demo::Value::Text("已更正".into()),
    )];
    vec![
        ("kjj.xlsx", ret("kjj", OCT, &[]), day(1)),
        ("kjj again.xlsx", ret("kjj", OCT, &[]), day(2)),
        ("czj.xlsx", ret("czj", OCT, &[]), day(3)),
        ("czj 更正.xlsx", ret("czj", OCT, &fix), day(2)),
        ("县区/安定区.xlsx", ret("anding", OCT, &[]), day(1)),
        ("bad.xlsx", b"PK\x03\x04 broken one".to_vec(), day(1)),
        ("bad (2).xlsx", b"PK\x03\x04 broken two".to_vec(), day(1)),
        ("县区/bad.xlsx", b"PK\x03\x04 broken three".to_vec(), day(1)),
        ("readme.reason.txt", b"a note".to_vec(), day(1)),
        ("gxj 11月.xlsx", ret("gxj", OCT.next(), &[]), day(20)),
    ]
}

fn put_all(ws: &Workspace, files: &[(&str, Vec<u8>, u64)]) {
    for (name, bytes, secs) in files {
        let path = ws.path().join("inbox").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        util::set_mtime(&path, *secs);
    }
}

/// Runs the tricky month killed at the 1st, 2nd, 3rd … call of `syscalls` (counted per system call and
/// thread, strace's way) until a run finishes; after each kill a plain run must repair the workspace to exactly
/// what an uninterrupted run leaves. With `tmpfs`, the inbox is on another file system. Returns how many runs
/// were killed, or `None` when a tool or permission is missing.
fn kill_at_each(syscalls: &str, tmpfs: bool) -> Option<usize> {
    let strace = strace()?;
    let files = tricky_inbox();
    // The mount first, so that it is undone before the workspace folder is removed.
    let prepare = || -> Option<(Option<crate::faults::Unmount>, Workspace)> {
        let ws = Workspace::new();
        let mounted = if tmpfs {
            let inbox = ws.path().join("inbox");
            if !crate::faults::mount_tmpfs(&inbox) {
                return None;
            }
            Some(crate::faults::Unmount(inbox))
        } else {
            None
        };
        put_all(&ws, &files);
        Some((mounted, ws))
    };
    let (_mounted, reference) = prepare()?;
    reference.ok(&["run", "--period", "2020-10"]);
    let expected = snapshot(reference.path());
    let mut killed = 0;
    for n in 1..500 {
        let (_mounted, ws) = prepare()?;
        let out = Command::new(&strace)
            .args(["-f", "-qq", "-o", "/dev/null", "-e"])
            .arg(format!("trace={syscalls}"))
            .arg("-e")
            .arg(format!("inject={syscalls}:signal=KILL:when={n}"))
            .arg(env!("CARGO_BIN_EXE_huizong"))
            .arg("--root")
            .arg(ws.path())
            .args(["run", "--period", "2020-10"])
            .output()
            .unwrap();
        let finished = out.status.success();
        if !finished {
            killed += 1;
            ws.ok(&["run", "--period", "2020-10"]);
        }
        let got = snapshot(ws.path());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "killed at call {n} of {syscalls}: the files differ"
        );
        for (k, v) in &expected {
            assert!(
                got[k] == *v,
                "killed at call {n} of {syscalls}: {k} differs"
            );
        }
        let ledger = std::fs::read_to_string(ws.path().join("outbox/ledger.jsonl")).unwrap();
        assert_eq!(
            ledger.lines().count(),
            9,
            "killed at call {n} of {syscalls}: one ledger entry per filed file"
        );
        if finished {
            break;
        }
    }
    eprintln!("{killed} runs killed at a call of {syscalls}, each repaired");
    Some(killed)
}

#[test]
fn runs_killed_at_each_rename_are_repaired_by_running_again() {
    if let Some(killed) = kill_at_each("rename,renameat,renameat2", false) {
        assert!(killed > 10, "only {killed} renames were interrupted");
    }
}

#[test]
fn moves_across_file_systems_killed_at_each_step_are_repaired() {
    for syscalls in ["link,linkat", "unlink,unlinkat"] {
        if let Some(killed) = kill_at_each(syscalls, true) {
            assert!(
                killed >= 5,
                "only {killed} calls of {syscalls} were interrupted"
            );
        }
    }
}

/// Bytes used by the files under `dir`.
fn used(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                total += m.len();
            }
        }
    }
    total
}

#[test]
fn a_full_disk_at_any_level_loses_nothing_and_a_run_after_freeing_space_repairs() {
    let files = tricky_inbox();
    let reference = Workspace::new();
    put_all(&reference, &files);
    reference.ok(&["run", "--period", "2020-10"]);
    let expected = snapshot(reference.path());
    let need = used(&reference.path().join("outbox"));
    let mut failed = 0;
    // Eighteen sizes: a few far too small, then in 5% steps around what the month needs, where the disk fills
    // during the workbooks, the ledger and the moves.
    let sizes: Vec<u64> = (1..=6)
        .map(|k| need * k / 8)
        .chain((0..12).map(|k| need * (90 + 5 * k) / 100))
        .collect();
    for size in sizes {
        let ws = Workspace::new();
        let outbox = ws.path().join("outbox");
        let size = size.max(4096);
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "huizong-full"])
            .arg(&outbox)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("cannot mount a tmpfs, and CI=true requires it");
            }
            eprintln!("notice: cannot mount a tmpfs here; skipping the full-disk test");
            return;
        }
        let _unmount = crate::faults::Unmount(outbox.clone());
        put_all(&ws, &files);
        let out = ws.run(&["run", "--period", "2020-10"]);
        if !out.status.success() {
            failed += 1;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("No space left"), "{size} bytes: {stderr}");
        }
        // Space is freed; the next run completes what the first could not.
        let grown = std::process::Command::new("mount")
            .args(["-o", "remount,size=64m"])
            .arg(&outbox)
            .status()
            .unwrap();
        assert!(grown.success());
        ws.ok(&["run", "--period", "2020-10"]);
        let got = snapshot(ws.path());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "disk full at {size} bytes: the files differ"
        );
        for (k, v) in &expected {
            assert!(got[k] == *v, "disk full at {size} bytes: {k} differs");
        }
        // One entry per filed file among the complete batches (a batch cut short by the full disk does not count).
        let entries: Vec<serde_json::Value> = std::fs::read(outbox.join("ledger.jsonl"))
            .unwrap()
            .split(|&b| b == b'\n')
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        let in_run =
            |run: &serde_json::Value| entries.iter().filter(|e| e["run_id"] == *run).count();
        let complete = entries
            .iter()
            .filter(|e| in_run(&e["run_id"]) as u64 >= e["batch"].as_u64().unwrap())
            .count();
        assert_eq!(complete, 9, "disk full at {size} bytes: {entries:#?}");
    }
    eprintln!("{failed} of 18 runs met a full disk; each was repaired");
    assert!(failed >= 6, "only {failed} runs met a full disk");
}
