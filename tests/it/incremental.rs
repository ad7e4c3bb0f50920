//! Incremental runs: what a run read is reused and unchanged workbooks are left alone, and none of it changes a
//! byte of the outputs; a deleted, corrupt or outdated cache (a changed plan, settings file or tool) changes
//! nothing but the time.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use huizong::demo::{Edit, Value, filled_return};
use huizong::forms::col;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;
use sha2::Digest;

use crate::util::{self, Workspace};

const OCT: Period = Period {
    year: 2020,
    month: 10,
};
const RUN: [&str; 4] = ["-v", "run", "--period", "2020-10"];
const BOOK: &str = "dingxi-2020-ctcz_汇总_2020-10.xlsx";

fn catalogue() -> Catalogue {
    Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap()
}

fn drop_return(root: &Path, unit: &str, edits: &[Edit]) {
    let bytes = filled_return(&catalogue(), &Settings::default(), OCT, unit, edits).unwrap();
    let path = root.join("inbox").join(format!("{unit}.xlsx"));
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, OCT.year, OCT.month);
}

/// Every unit but 自然资源局 (`zrzyj`), 临洮县 with a county figure that breaks the sum, a workbook that is not a
/// return (rejected, and cached as such) and a broken file (never cached: it is not readable).
fn month_but_one(root: &Path) {
    for u in catalogue().reporting_units() {
        let edits = match u.code.as_str() {
            "zrzyj" => continue,
            "lintao" => vec![Edit::new("T2.4-01", col::CUMULATIVE, Value::Number(999.0))],
            _ => vec![],
        };
        drop_return(root, &u.code, &edits);
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .write_string(0, 0, "十月份局务会议记录")
        .unwrap();
    let notes = root.join("inbox/会议记录.xlsx");
    std::fs::write(&notes, wb.save_to_buffer().unwrap()).unwrap();
    util::received_on_time(&notes, OCT.year, OCT.month);
    let broken = root.join("inbox/broken.xlsx");
    std::fs::write(&broken, b"PK\x03\x04broken").unwrap();
    util::received_on_time(&broken, OCT.year, OCT.month);
}

/// How many files the run says it took from the cache.
fn reused(out: &Output) -> usize {
    let err = util::stderr(out);
    let tail = err
        .split("reused what earlier runs read from ")
        .nth(1)
        .unwrap_or_else(|| panic!("no cache line in:\n{err}"));
    tail.split(' ').next().unwrap().parse().unwrap()
}

/// How many files the run says it did not read at all.
fn unread(out: &Output) -> usize {
    let err = util::stderr(out);
    let tail = err
        .split(" known by their look")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .unwrap_or_else(|| panic!("no cache line in:\n{err}"));
    tail.parse().unwrap()
}

/// The period's outputs with their bytes (hidden cache files left out; report.json without its run's id and
/// time), and the modification time of each.
fn outputs(root: &Path) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, SystemTime>) {
    let dir = root.join("outbox/2020-10");
    let mut bytes = BTreeMap::new();
    let mut times = BTreeMap::new();
    for sub in ["", "feedback"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() || name.starts_with('.') {
                continue;
            }
            let key = format!("{sub}/{name}");
            let mut b = std::fs::read(&path).unwrap();
            if name == "report.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap();
                v["run_id"] = serde_json::Value::Null;
                v["run_time"] = serde_json::Value::Null;
                b = serde_json::to_vec_pretty(&v).unwrap();
            }
            times.insert(
                key.clone(),
                std::fs::metadata(&path).unwrap().modified().unwrap(),
            );
            bytes.insert(key, b);
        }
    }
    (bytes, times)
}

/// A copy of the workspace (times kept) with its cache spoiled by `spoil`, run again: its outputs and how many
/// files it took from the cache.
fn twin(ws: &Workspace, spoil: impl Fn(&Path)) -> (BTreeMap<String, Vec<u8>>, usize) {
    let copy = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(ws.path())
        .arg(copy.path().join("ws"))
        .status()
        .unwrap();
    assert!(status.success());
    let root = copy.path().join("ws");
    spoil(&root.join("outbox/2020-10"));
    let out = util::huizong_in(&root, &RUN);
    util::assert_success(&out, &RUN);
    (outputs(&root).0, reused(&out))
}

#[test]
fn one_new_return_reuses_what_was_read_and_rewrites_only_what_changed() {
    let ws = Workspace::new();
    month_but_one(ws.path());
    let returns = catalogue().reporting_units().count() - 1;
    assert_eq!(reused(&ws.ok(&RUN)), 0);
    let (first, first_times) = outputs(ws.path());
    assert!(
        first.contains_key(&format!("/{BOOK}")),
        "{:?}",
        first.keys()
    );

    drop_return(ws.path(), "zrzyj", &[]);
    let out = ws.ok(&RUN);
    // Every return and the workbook that is not one came from the cache; the broken file is read again.
    assert_eq!(reused(&out), returns + 1);
    let (second, second_times) = outputs(ws.path());
    assert!(second.contains_key("feedback/2020-10_zrzyj_市自然资源局_反馈.xlsx"));
    assert_ne!(first[&format!("/{BOOK}")], second[&format!("/{BOOK}")]);
    // A feedback workbook that did not change was not written again.
    let mut untouched = 0;
    for (name, bytes) in first.iter().filter(|(n, _)| n.starts_with("feedback/")) {
        if second.get(name) == Some(bytes) {
            assert_eq!(
                first_times[name], second_times[name],
                "{name} was rewritten"
            );
            untouched += 1;
        }
    }
    assert!(untouched >= returns - 2, "{untouched} of {returns}");

    // Nothing new: everything from the cache, nothing rewritten but report.json.
    let out = ws.ok(&RUN);
    assert_eq!(reused(&out), returns + 2);
    let (third, third_times) = outputs(ws.path());
    assert_eq!(third, second);
    for (name, t) in third_times
        .iter()
        .filter(|(n, _)| !n.ends_with("report.json"))
    {
        assert_eq!(*t, second_times[name], "{name} was rewritten");
    }

    // The same outputs, byte for byte, without the cache and with a corrupt one.
    let (cold, cold_reused) = twin(&ws, |dir| {
        for f in [".cache-readings.bin", ".cache-workbooks.json"] {
            std::fs::remove_file(dir.join(f)).unwrap();
        }
        std::fs::remove_dir_all(dir.join(".cache-pieces")).unwrap();
    });
    assert_eq!(cold_reused, 0);
    assert_eq!(cold, second);
    let (corrupt, corrupt_reused) = twin(&ws, |dir| {
        let path = dir.join(".cache-readings.bin");
        let text = std::fs::read(&path).unwrap();
        let mut cut = text[..text.len() / 2].to_vec();
        cut.extend_from_slice(b"\0x\t00000000\tnot an entry\0\n{\"key\":\"x\"}\n");
        std::fs::write(&path, cut).unwrap();
        std::fs::write(dir.join(".cache-workbooks.json"), b"{\"feedback/").unwrap();
    });
    assert!(
        corrupt_reused > 0 && corrupt_reused < returns,
        "{corrupt_reused}"
    );
    assert_eq!(corrupt, second);
    // The consolidated workbook drawn again from the long sheet's pieces as kept, each then damaged or cut short.
    let (pieces, _) = twin(&ws, |dir| {
        std::fs::remove_file(dir.join(".cache-workbooks.json")).unwrap();
        let kept: Vec<_> = std::fs::read_dir(dir.join(".cache-pieces"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!kept.is_empty());
        for (n, path) in kept.iter().enumerate() {
            let mut b = std::fs::read(path).unwrap();
            if n % 2 == 0 {
                let at = b.len() - 10;
                b[at] ^= 1;
            } else {
                b.truncate(b.len() / 2);
            }
            std::fs::write(path, b).unwrap();
        }
    });
    assert_eq!(pieces, second);

    // A workbook changed by hand is drawn again, even though its inputs did not change.
    let tampered = ws
        .path()
        .join("outbox/2020-10/feedback/2020-10_zrzyj_市自然资源局_反馈.xlsx");
    std::fs::write(&tampered, b"edited").unwrap();
    ws.ok(&RUN);
    assert_eq!(outputs(ws.path()).0, second);

    // So is one changed in place to bytes of the same length, its modification time then set back: a run does
    // not hash a workbook whose size, inode and change time are as it left them, and this one's change time moved.
    let bytes = std::fs::read(&tampered).unwrap();
    let modified = std::fs::metadata(&tampered).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&tampered)
        .unwrap();
    std::io::Write::write_all(&mut &file, &vec![b'x'; bytes.len()]).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    assert_eq!(
        std::fs::metadata(&tampered).unwrap().len(),
        bytes.len() as u64
    );
    ws.ok(&RUN);
    assert_eq!(outputs(ws.path()).0, second);
}

#[test]
fn a_changed_settings_file_plan_or_tool_reads_and_draws_afresh() {
    let ws = Workspace::new();
    month_but_one(ws.path());
    let read = catalogue().reporting_units().count();
    ws.ok(&RUN);
    let (before, _) = outputs(ws.path());
    let cold = |ws: &Workspace| {
        twin(ws, |dir| {
            for f in [".cache-readings.bin", ".cache-workbooks.json"] {
                std::fs::remove_file(dir.join(f)).unwrap();
            }
        })
        .0
    };

    // A later correction day changes the feedback of the units with something to correct: a stale cache or
    // workbook would keep the old day.
    std::fs::write(ws.path().join("huizong.toml"), "correction_day = 20\n").unwrap();
    assert_eq!(reused(&ws.ok(&RUN)), 0);
    let (settings_changed, _) = outputs(ws.path());
    let differ: Vec<&String> = before
        .keys()
        .filter(|k| before[*k] != settings_changed[*k])
        .collect();
    // Only 市场监管局 has something to correct in these demo returns.
    assert_eq!(differ, ["feedback/2020-10_scjgj_市市场监管局_反馈.xlsx"]);
    assert_eq!(settings_changed, cold(&ws));
    assert_eq!(reused(&ws.ok(&RUN)), read);

    // A plan changed only by a comment: read afresh, the same outputs.
    let plan = ws.path().join("templates/plan.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str("\n# 十月起按新口径统计\n");
    std::fs::write(&plan, text).unwrap();
    assert_eq!(reused(&ws.ok(&RUN)), 0);
    assert_eq!(outputs(ws.path()).0, settings_changed);

    // Another build of the tool (a copy of the binary is another executable) reads afresh too.
    let tools = tempfile::tempdir().unwrap();
    let tool = tools.path().join("huizong");
    std::fs::copy(env!("CARGO_BIN_EXE_huizong"), &tool).unwrap();
    let run_with = |bin: &Path| {
        let out = Command::new(bin)
            .arg("--root")
            .arg(ws.path())
            .args(RUN)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        util::assert_success(&out, &RUN);
        reused(&out)
    };
    assert_eq!(run_with(&tool), 0);
    assert_eq!(run_with(&tool), read);
    assert_eq!(outputs(ws.path()).0, settings_changed);
}

#[test]
fn a_file_known_by_its_look_is_not_read_again_and_a_change_in_place_is_seen() {
    let ws = Workspace::new();
    month_but_one(ws.path());
    drop_return(ws.path(), "zrzyj", &[]);
    let returns = catalogue().reporting_units().count();
    // A look is trusted only for a file left alone longer than the slowest clock's tick, two seconds.
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(unread(&ws.ok(&RUN)), 0);
    let first = outputs(ws.path()).0;

    // That run filed them: a rename moves the change time and nothing else, so the returns and the workbook that
    // is not one are known by their look in the archive; the broken file gave nothing to keep and is read again.
    let out = ws.ok(&RUN);
    assert_eq!((reused(&out), unread(&out)), (returns + 1, returns + 1));
    assert_eq!(outputs(ws.path()).0, first);

    // A return changed in place to bytes of the same length, its modification time then set back, is read again
    // (its change time moved): it is no return any more.
    let filed = ws.path().join("outbox/2020-10/accepted/lintao.xlsx");
    let len = std::fs::metadata(&filed).unwrap().len();
    let modified = std::fs::metadata(&filed).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&filed)
        .unwrap();
    std::io::Write::write_all(&mut &file, &vec![0; len as usize]).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let out = ws.ok(&RUN);
    assert_eq!((reused(&out), unread(&out)), (returns, returns));
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let record = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "lintao.xlsx")
        .unwrap();
    // Archived as it is, and not used: what it now holds is no return for the period.
    assert_eq!(record["disposition"], "superseded", "{record}");
    let zeros: String = sha2::Sha256::digest(vec![0; len as usize])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(record["sha256"], zeros, "{record}");
}
