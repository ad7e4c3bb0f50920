//! Filing the inbox into the archive: names that clash, names that are too long, copies of another month's
//! return, corrections sent under the same name, and re-runs that must report the same.

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

fn put(ws: &Workspace, name: &str, bytes: &[u8], day_after: u32) {
    let path = ws.path().join("inbox").join(name);
    std::fs::write(&path, bytes).unwrap();
    util::set_mtime(&path, 1_604_188_800 + u64::from(day_after) * 86_400);
}

fn ret(unit: &str, period: Period, edits: &[Edit]) -> Vec<u8> {
    let c = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    filled_return(&c, &Settings::default(), period, unit, edits).unwrap()
}

fn run(ws: &Workspace) -> Json {
    ws.ok(&["run", "--period", "2020-10"]);
    let mut r: Json = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    r["run_id"] = Json::Null;
    r["run_time"] = Json::Null;
    r
}

fn file<'a>(r: &'a Json, name: &str) -> Vec<&'a Json> {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .collect()
}

#[test]
fn copies_of_another_months_return_stay_in_the_inbox() {
    let ws = Workspace::new();
    put(&ws, "gxj-10.xlsx", &ret("gxj", OCT, &[]), 1);
    let nov = ret("gxj", OCT.next(), &[]);
    put(&ws, "gxj-11.xlsx", &nov, 20);
    put(&ws, "gxj-11 copy.xlsx", &nov, 21);
    let first = run(&ws);
    for name in ["gxj-11.xlsx", "gxj-11 copy.xlsx"] {
        assert_eq!(file(&first, name)[0]["disposition"], "other_period");
        assert!(ws.path().join("inbox").join(name).exists());
    }
    let again = run(&ws);
    assert_eq!(again, first, "a re-run must report the same");
    assert_eq!(file(&again, "gxj-10.xlsx")[0]["disposition"], "accepted");
}

#[test]
fn clashing_names_each_get_their_own_place_and_reason() {
    let ws = Workspace::new();
    put(&ws, "bad.xlsx", b"PK\x03\x04 first broken file", 1);
    put(&ws, "bad (2).xlsx", b"PK\x03\x04 second broken file", 1);
    run(&ws);
    put(&ws, "bad.xlsx", b"PK\x03\x04 third broken file", 2);
    put(&ws, "bad (3).xlsx", b"PK\x03\x04 fourth broken file", 2);
    let r = run(&ws);
    let rejected = ws.path().join("outbox/2020-10/rejected");
    let mut locations: Vec<String> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"].as_str().unwrap().to_string())
        .collect();
    locations.sort();
    locations.dedup();
    assert_eq!(locations.len(), 4, "{locations:?}");
    for f in r["files"].as_array().unwrap() {
        let path = ws.path().join(f["location"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        let reason = std::fs::read_to_string(format!("{}.reason.txt", path.display())).unwrap();
        assert!(
            reason.contains(f["sha256"].as_str().unwrap()),
            "{} has another file's reason",
            path.display()
        );
        assert!(!bytes.is_empty());
    }
    assert_eq!(std::fs::read_dir(&rejected).unwrap().count(), 8);
}

#[test]
fn long_and_odd_names_are_filed_without_failing_the_run() {
    let ws = Workspace::new();
    let long = format!("{}.xlsx", "很长的文件名".repeat(12));
    put(&ws, &long, b"not a workbook", 1);
    put(&ws, "readme.reason.txt", b"a note someone dropped in", 1);
    let first = run(&ws);
    assert_eq!(file(&first, &long)[0]["disposition"], "rejected");
    assert_eq!(
        file(&first, "readme.reason.txt")[0]["disposition"],
        "rejected"
    );
    let again = run(&ws);
    assert_eq!(again["files"], first["files"]);
    assert!(
        std::fs::read_dir(ws.path().join("inbox"))
            .unwrap()
            .all(|e| e.unwrap().file_name() == ".gitkeep")
    );
}

#[test]
fn a_correction_under_the_same_name_replaces_the_original_and_reruns_agree() {
    let ws = Workspace::new();
    put(&ws, "2020-10_czj_市财政局.xlsx", &ret("czj", OCT, &[]), 1);
    run(&ws);
    let corrected = ret(
        "czj",
        OCT,
        &[Edit::new(
            "T2.7-02",
            col::REMARK,
            Value::Text("已更正".into()),
        )],
    );
    put(&ws, "2020-10_czj_市财政局.xlsx", &corrected, 6);
    let r = run(&ws);
    let same_name = file(&r, "2020-10_czj_市财政局.xlsx");
    let dispositions: Vec<&str> = same_name
        .iter()
        .map(|f| f["disposition"].as_str().unwrap())
        .collect();
    assert_eq!(dispositions.len(), 2);
    assert!(dispositions.contains(&"accepted") && dispositions.contains(&"superseded"));
    let czj = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "czj")
        .unwrap();
    assert_eq!(
        czj["status"], "on_time",
        "a correction after the deadline does not make the unit late"
    );
    let again = run(&ws);
    assert_eq!(again, r, "a re-run must report the same");
}
