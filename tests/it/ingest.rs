//! `huizong run`: every return read, every figure checked, every file accounted for.

use std::collections::BTreeSet;
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

fn catalogue() -> Catalogue {
    Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap()
}

/// Writes a filled return for `unit` into the inbox under `name`.
fn drop_return(ws: &Workspace, name: &str, unit: &str, period: Period, edits: &[Edit]) {
    let bytes = filled_return(&catalogue(), &Settings::default(), period, unit, edits).unwrap();
    let path = ws.path().join("inbox").join(name);
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, period.year, period.month);
}

fn drop_all(ws: &Workspace, period: Period, except: &[&str]) {
    for u in catalogue().reporting_units() {
        if !except.contains(&u.code.as_str()) {
            drop_return(
                ws,
                &format!("{period}_{}.xlsx", u.code),
                &u.code,
                period,
                &[],
            );
        }
    }
}

fn report(ws: &Workspace, period: Period) -> Json {
    let text =
        std::fs::read_to_string(ws.path().join(format!("outbox/{period}/report.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (code, unit, indicator) of every finding that is not info.
fn codes(r: &Json) -> BTreeSet<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(r: &'a Json, code: &str, unit: &str) -> &'a Json {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["unit"] == unit)
        .unwrap_or_else(|| panic!("no {code} for {unit} in {:#}", r["findings"]))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn clean_returns_raise_no_errors_or_warnings() {
    let ws = Workspace::new();
    drop_all(&ws, OCT, &[]);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    assert_eq!(
        util::problems(&r),
        BTreeSet::new(),
        "false alarms on clean returns"
    );
    assert_eq!(r["summary"]["accepted"], 24);
    assert!(
        r["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "on_time")
    );
    // The lead's city figure and the county sum agree, and both reach the report.
    let patents = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "T2.4-01")
        .unwrap();
    assert_eq!(patents["city"], patents["county_sum"]);
    assert!(patents["city"].as_f64().unwrap() > 0.0);
    assert_eq!(files_in(&ws.path().join("inbox")), Vec::<String>::new());
    assert_eq!(
        files_in(&ws.path().join("outbox/2020-10/accepted")).len(),
        24
    );
}

#[test]
fn each_value_problem_is_flagged_at_its_cell() {
    let ws = Workspace::new();
    drop_all(
        &ws,
        OCT,
        &["kfq", "kjj", "scjgj", "lintao", "anding", "jrb", "czj"],
    );
    drop_return(
        &ws,
        "kfq.xlsx",
        "kfq",
        OCT,
        &[
            Edit::new("T2.1-04", col::CUMULATIVE, Value::Text("11500万元".into())),
            Edit::new("T2.1-03", col::CUMULATIVE, Value::Text("正在统计".into())),
            Edit::new("T2.1-06", col::CUMULATIVE, Value::Number(0.75)),
            Edit::new("T2.1-02", col::MONTH, Value::Number(9.0)),
            Edit::new("T2.1-02", col::CUMULATIVE, Value::Number(2.0)),
        ],
    );
    drop_return(
        &ws,
        "kjj.xlsx",
        "kjj",
        OCT,
        &[
            Edit::new("T2.2-03", col::CUMULATIVE, Value::Number(-2.0)),
            Edit::new("T2.5-01", col::TARGET, Value::Text("30".into())),
            Edit::new("T2.5-02", col::CUMULATIVE, Value::Blank),
            Edit::new(
                "T2.8-04",
                col::CUMULATIVE,
                Value::Formula("=1/0".into(), "#DIV/0!".into()),
            ),
            Edit::new("T2.10-02", col::CUMULATIVE, Value::Number(5.0)),
            Edit::new("T3.7-02", col::CUMULATIVE, Value::Number(130.0)),
            Edit::new("T2.10-03", col::CUMULATIVE, Value::Number(5000.0)),
        ],
    );
    drop_return(
        &ws,
        "anding.xlsx",
        "anding",
        OCT,
        &[Edit::new("T2.8-04", col::CUMULATIVE, Value::Number(8000.0))],
    );
    drop_return(
        &ws,
        "lintao.xlsx",
        "lintao",
        OCT,
        &[Edit::new("T2.5-01", col::CUMULATIVE, Value::Number(99.0))],
    );
    drop_return(
        &ws,
        "scjgj.xlsx",
        "scjgj",
        OCT,
        &[Edit::new(
            "T2.4-02",
            col::CUMULATIVE,
            Value::Text("15家".into()),
        )],
    );
    drop_return(
        &ws,
        "jrb.xlsx",
        "jrb",
        OCT,
        &[Edit::new(
            "T2.9-01",
            col::CUMULATIVE,
            Value::Text("约1".into()),
        )],
    );
    drop_return(
        &ws,
        "czj.xlsx",
        "czj",
        OCT,
        &[Edit::new("T2.7-02", col::CUMULATIVE, Value::Number(250.0))],
    );
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let f = finding(&r, "VALUE_NORMALISED", "kfq");
    assert_eq!(
        (
            f["indicator"].as_str(),
            f["cell"].as_str(),
            f["expected"].as_str()
        ),
        (Some("T2.1-04"), Some("G7"), Some("1.15"))
    );
    assert_eq!(finding(&r, "NOT_A_NUMBER", "kfq")["cell"], "G6");
    assert_eq!(finding(&r, "PERCENT_SCALE", "kfq")["expected"], "75");
    assert_eq!(
        finding(&r, "MONTHLY_CUMULATIVE_MISMATCH", "kfq")["cell"],
        "F5"
    );
    assert_eq!(finding(&r, "NEGATIVE_VALUE", "kjj")["indicator"], "T2.2-03");
    let altered = finding(&r, "TARGET_ALTERED", "kjj");
    assert_eq!(
        (altered["expected"].as_str(), altered["actual"].as_str()),
        (Some("38"), Some("30"))
    );
    assert_eq!(finding(&r, "MISSING_VALUE", "kjj")["indicator"], "T2.5-02");
    assert_eq!(finding(&r, "FORMULA_ERROR", "kjj")["indicator"], "T2.8-04");
    assert_eq!(
        finding(&r, "BEHIND_SCHEDULE", "kjj")["indicator"],
        "T2.10-02"
    );
    let implausible: BTreeSet<_> = util::problems(&r)
        .into_iter()
        .filter(|(c, u, _)| c == "IMPLAUSIBLE_VALUE" && u == "kjj")
        .map(|(_, _, i)| i)
        .collect();
    assert_eq!(
        implausible,
        BTreeSet::from(["T2.10-03".to_string(), "T3.7-02".to_string()])
    );
    assert_eq!(finding(&r, "UNIT_MISMATCH", "anding")["cell"], "G15");
    assert_eq!(
        finding(&r, "UNIT_MISMATCH", "scjgj")["indicator"],
        "T2.4-02"
    );
    assert_eq!(
        finding(&r, "APPROXIMATE_VALUE", "jrb")["indicator"],
        "T2.9-01"
    );
    assert_eq!(
        finding(&r, "IMPLAUSIBLE_VALUE", "czj")["indicator"],
        "T2.7-02"
    );
    let sum = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "COUNTY_SUM_MISMATCH" && f["indicator"] == "T2.5-01")
        .expect("county sum mismatch on T2.5-01");
    assert_eq!(sum["unit"], "kjj");
    let message = sum["message"].as_str().unwrap();
    assert!(
        message.contains("临洮县99") && message.contains("市科技局"),
        "{message}"
    );
    assert!(codes(&r).contains("TARGET_MET"));
    // Nothing else is wrong with the untouched returns.
    let touched = ["kfq", "kjj", "anding", "lintao", "scjgj", "jrb", "czj"];
    for (code, unit, ind) in util::problems(&r) {
        assert!(
            touched.contains(&unit.as_str()),
            "unexpected {code} for {unit} {ind}"
        );
    }
}

#[test]
fn returns_are_identified_however_they_arrive() {
    let ws = Workspace::new();
    let c = catalogue();
    let s = Settings::default();
    // Renamed, with _meta intact.
    drop_return(&ws, "最终版(2).xlsx", "kjj", OCT, &[]);
    // No _meta and no unit line: only the file name says who and when.
    let bytes = filled_return(&c, &s, OCT, "longxi", &[]).unwrap();
    let stripped = util::strip_identity(&bytes);
    std::fs::write(ws.path().join("inbox/陇西县2020年10月进展.xlsx"), stripped).unwrap();
    // Nothing says who sent it.
    std::fs::write(
        ws.path().join("inbox/报表.xlsx"),
        util::strip_identity(&filled_return(&c, &s, OCT, "czj", &[]).unwrap()),
    )
    .unwrap();
    // Another month: left in the inbox.
    drop_return(&ws, "2020-11_gxj.xlsx", "gxj", OCT.next(), &[]);
    // The same bytes twice, and a newer return from the same unit.
    drop_return(&ws, "a_wjw.xlsx", "wjw", OCT, &[]);
    std::fs::copy(
        ws.path().join("inbox/a_wjw.xlsx"),
        ws.path().join("inbox/b_wjw_copy.xlsx"),
    )
    .unwrap();
    drop_return(&ws, "old_rsj.xlsx", "rsj", OCT, &[]);
    util::set_mtime(&ws.path().join("inbox/old_rsj.xlsx"), 1_604_000_000);
    drop_return(
        &ws,
        "new_rsj.xlsx",
        "rsj",
        OCT,
        &[Edit::new(
            "T2.10-N",
            col::PROGRESS,
            Value::Text("更正后的进展".into()),
        )],
    );
    // Lock and partial files stay where they are.
    std::fs::write(ws.path().join("inbox/~$最终版(2).xlsx"), b"lock").unwrap();
    std::fs::write(ws.path().join("inbox/x.xlsx.crdownload"), b"part").unwrap();
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let file = |name: &str| {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            file("最终版(2).xlsx")["unit"].as_str(),
            file("最终版(2).xlsx")["disposition"].as_str()
        ),
        (Some("kjj"), Some("accepted"))
    );
    assert_eq!(file("陇西县2020年10月进展.xlsx")["unit"], "longxi");
    assert_eq!(file("陇西县2020年10月进展.xlsx")["disposition"], "accepted");
    assert_eq!(file("报表.xlsx")["disposition"], "rejected");
    assert_eq!(finding(&r, "UNKNOWN_UNIT", "")["file"], "报表.xlsx");
    assert_eq!(file("2020-11_gxj.xlsx")["disposition"], "other_period");
    assert_eq!(
        finding(&r, "PERIOD_MISMATCH", "gxj")["file"],
        "2020-11_gxj.xlsx"
    );
    assert_eq!(file("b_wjw_copy.xlsx")["disposition"], "duplicate");
    assert_eq!(file("old_rsj.xlsx")["disposition"], "superseded");
    assert_eq!(file("new_rsj.xlsx")["disposition"], "accepted");
    assert_eq!(file("~$最终版(2).xlsx")["disposition"], "ignored");
    let inbox = files_in(&ws.path().join("inbox"));
    assert_eq!(
        inbox,
        vec!["2020-11_gxj.xlsx", "x.xlsx.crdownload", "~$最终版(2).xlsx"]
    );
    assert_eq!(
        files_in(&ws.path().join("outbox/2020-10/duplicates")),
        vec!["b_wjw_copy.xlsx"]
    );
    assert_eq!(
        files_in(&ws.path().join("outbox/2020-10/rejected")),
        vec!["报表.xlsx", "报表.xlsx.reason.txt"]
    );
    util::assert_files_add_up(&r);

    // A second run with nothing new gives the same report apart from its run id and time.
    ws.ok(&["run", "--period", "2020-10"]);
    let mut again = report(&ws, OCT);
    let mut first = r.clone();
    for j in [&mut again, &mut first] {
        j["run_id"] = Json::Null;
        j["run_time"] = Json::Null;
    }
    // Locations of files moved in the first run now point at the archive they were moved to.
    assert_eq!(again["findings"], first["findings"]);
    assert_eq!(again["indicators"], first["indicators"]);
    assert_eq!(again["summary"], first["summary"]);
}

#[test]
fn hostile_and_broken_files_are_rejected_with_a_reason() {
    let Some(shared) = util::shared() else { return };
    let ws = Workspace::new();
    let crafted = shared.join("corpus/crafted");
    for name in [
        "encrypted.xlsx",
        "sst_count.xlsx",
        "big_sst.xlsx",
        "huge_dim.xlsx",
    ] {
        std::fs::copy(crafted.join(name), ws.path().join("inbox").join(name)).unwrap();
    }
    std::fs::write(
        ws.path().join("inbox/truncated.xlsx"),
        b"PK\x03\x04 not really",
    )
    .unwrap();
    // Written well before the run: a broken file modified moments ago is left for the next run (issue #12.4).
    util::received_on_time(&ws.path().join("inbox/truncated.xlsx"), 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let code_of = |name: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"] == name)
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(code_of("encrypted.xlsx"), "ENCRYPTED_FILE");
    assert_eq!(code_of("sst_count.xlsx"), "FILE_TOO_LARGE");
    assert_eq!(code_of("big_sst.xlsx"), "FILE_TOO_LARGE");
    assert_eq!(code_of("huge_dim.xlsx"), "NOT_A_RETURN");
    assert_eq!(code_of("truncated.xlsx"), "UNREADABLE_FILE");
    for name in [
        "encrypted.xlsx",
        "sst_count.xlsx",
        "big_sst.xlsx",
        "huge_dim.xlsx",
    ] {
        let kept = std::fs::read(ws.path().join("outbox/2020-10/rejected").join(name)).unwrap();
        assert_eq!(
            kept,
            std::fs::read(crafted.join(name)).unwrap(),
            "{name} changed"
        );
        let reason = std::fs::read_to_string(
            ws.path()
                .join(format!("outbox/2020-10/rejected/{name}.reason.txt")),
        )
        .unwrap();
        assert!(reason.contains("原因"), "{reason}");
    }
}

#[test]
fn milestones_not_done_by_december_are_overdue() {
    let ws = Workspace::new();
    let dec = Period {
        year: 2020,
        month: 12,
    };
    drop_return(
        &ws,
        "stkcc.xlsx",
        "stkcc",
        dec,
        &[Edit::new(
            "T3.1-02",
            col::PROGRESS,
            Value::Text("推进中".into()),
        )],
    );
    ws.ok(&["run", "--period", "2020-12"]);
    let r = report(&ws, dec);
    let f = finding(&r, "MILESTONE_OVERDUE", "stkcc");
    assert_eq!(
        (f["indicator"].as_str(), f["actual"].as_str()),
        (Some("T3.1-02"), Some("推进中"))
    );
    let others: Vec<_> = util::problems(&r)
        .into_iter()
        .filter(|(c, _, _)| c != "MISSING_RETURN")
        .collect();
    assert_eq!(others.len(), 1, "{others:?}");
}

#[test]
fn rows_not_in_the_plan_are_unknown_indicators() {
    let ws = Workspace::new();
    drop_return(
        &ws,
        "wjw.xlsx",
        "wjw",
        OCT,
        &[Edit::new(
            "T2.10-N",
            col::CODE,
            Value::Text("T9.9-01".into()),
        )],
    );
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    assert_eq!(finding(&r, "UNKNOWN_INDICATOR", "wjw")["actual"], "T9.9-01");
    assert_eq!(finding(&r, "MISSING_VALUE", "wjw")["indicator"], "T2.10-N");
}

#[test]
fn disagreeing_or_missing_identity_is_a_warning() {
    let ws = Workspace::new();
    let c = catalogue();
    let s = Settings::default();
    // _meta says 市科技局, the file name says 陇西县: _meta wins, with a warning.
    drop_return(&ws, "陇西县2020年10月进展.xlsx", "kjj", OCT, &[]);
    // No _meta, no unit line period, no period in the name: the run's period is assumed.
    let bare = ws.path().join("inbox/临洮县进展.xlsx");
    std::fs::write(
        &bare,
        util::strip_identity(&filled_return(&c, &s, OCT, "lintao", &[]).unwrap()),
    )
    .unwrap();
    util::received_on_time(&bare, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let mismatch = finding(&r, "IDENTITY_MISMATCH", "kjj");
    assert_eq!(
        (mismatch["expected"].as_str(), mismatch["actual"].as_str()),
        (Some("kjj"), Some("longxi"))
    );
    assert_eq!(
        finding(&r, "PERIOD_ASSUMED", "lintao")["expected"],
        "2020-10"
    );
    let files = r["files"].as_array().unwrap();
    assert!(
        files.iter().all(|f| f["disposition"] == "accepted"),
        "{files:#?}"
    );
}

/// jrb's return with its T2.9-01 累计完成 a formula (=1+1) saved with its result, 2.
fn jrb_with_a_formula() -> Vec<u8> {
    filled_return(
        &catalogue(),
        &Settings::default(),
        OCT,
        "jrb",
        &[Edit::new(
            "T2.9-01",
            col::CUMULATIVE,
            Value::Formula("=1+1".into(), "2".into()),
        )],
    )
    .unwrap()
}

#[test]
fn a_sheet_whose_formula_records_cannot_be_parsed_is_read_for_its_saved_values() {
    let ws = Workspace::new();
    let bytes = jrb_with_a_formula();
    // A shared formula without the index every shared formula must carry: calamine refuses the record, while
    // the value saved with it is sound.
    let broken = util::rewrite_parts(&bytes, |name, text| {
        if name.starts_with("xl/worksheets/sheet") {
            text.replace("<f>", "<f t=\"shared\">")
        } else {
            text
        }
    });
    assert_ne!(broken, bytes);
    let path = ws.path().join("inbox/jrb.xlsx");
    std::fs::write(&path, broken).unwrap();
    util::received_on_time(&path, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    assert_eq!(r["files"][0]["disposition"], "accepted", "{:#}", r["files"]);
    let figure = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit"] == "jrb" && x["indicator"] == "T2.9-01")
        .unwrap();
    assert_eq!(figure["cumulative"].as_f64(), Some(2.0));
    assert!(!codes(&r).contains("FORMULA_ERROR"));
}

#[test]
fn a_formula_saved_without_its_result_is_flagged() {
    let ws = Workspace::new();
    let bytes = jrb_with_a_formula();
    // Drop the saved result, as some generators do.
    let path = ws.path().join("inbox/jrb.xlsx");
    std::fs::write(&path, util::without_formula_results(&bytes)).unwrap();
    util::received_on_time(&path, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let f = finding(&r, "FORMULA_ERROR", "jrb");
    assert_eq!(
        (f["indicator"].as_str(), f["cell"].as_str()),
        (Some("T2.9-01"), Some("G5"))
    );
}

#[test]
fn symbolic_links_are_not_followed_out_of_the_inbox() {
    let ws = Workspace::new();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.xlsx");
    std::fs::write(
        &secret,
        filled_return(&catalogue(), &Settings::default(), OCT, "kjj", &[]).unwrap(),
    )
    .unwrap();
    std::os::unix::fs::symlink(&secret, ws.path().join("inbox/link.xlsx")).unwrap();
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let link = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "link.xlsx")
        .unwrap();
    assert_eq!(link["disposition"], "rejected");
    assert!(secret.exists(), "the link's target must stay where it is");
    let moved = ws.path().join("outbox/2020-10/rejected/link.xlsx");
    assert!(
        std::fs::symlink_metadata(&moved)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_retyped_return_with_moved_rows_and_columns_is_read() {
    let ws = Workspace::new();
    let bytes = filled_return(&catalogue(), &Settings::default(), OCT, "scjgj", &[]).unwrap();
    let path = ws.path().join("inbox/市场监管局10月（整理）.xlsx");
    std::fs::write(&path, util::rearranged(&bytes)).unwrap();
    util::received_on_time(&path, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let serious: Vec<_> = util::problems(&r)
        .into_iter()
        .filter(|(c, _, _)| c != "MISSING_RETURN")
        .collect();
    assert!(serious.is_empty(), "{serious:?}");
    let patents = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["indicator"] == "T2.4-01")
        .unwrap();
    let expected = huizong::demo::cumulative(&catalogue(), "scjgj", "T2.4-01", OCT).unwrap();
    assert_eq!(patents["cumulative"].as_f64(), Some(expected));
    assert_eq!(patents["sheet"], "10月进展");
}

#[test]
fn a_huge_string_count_hidden_behind_a_comment_is_refused() {
    let ws = Workspace::new();
    let bytes = filled_return(&catalogue(), &Settings::default(), OCT, "fgw", &[]).unwrap();
    let crafted = util::rewrite_parts(&bytes, |name, text| {
        if name == "xl/sharedStrings.xml" {
            let padding = format!("<!--{}-->", "x".repeat(4000));
            let tag = regex::Regex::new(r#"uniqueCount="\d+""#).unwrap();
            tag.replace(
                &text.replacen("<sst", &format!("{padding}<sst"), 1),
                r#"uniqueCount="100000000000""#,
            )
            .into_owned()
        } else {
            text
        }
    });
    std::fs::write(ws.path().join("inbox/fgw.xlsx"), crafted).unwrap();
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws, OCT);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "fgw.xlsx")
        .unwrap();
    assert_eq!(f["code"], "FILE_TOO_LARGE", "{f:#}");
}
