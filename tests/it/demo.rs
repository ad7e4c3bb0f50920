//! `huizong demo`: the README's main command, end to end.

use std::collections::BTreeSet;

use calamine::DataType as _;

use crate::util;

#[test]
fn the_demo_runs_two_months_with_the_usual_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = util::huizong_in(dir.path(), &["demo", "--dir", demo.to_str().unwrap()]);
    util::assert_success(&out, &["demo"]);
    let text = util::stdout(&out);
    assert!(
        text.contains("== 2020年9月 ==") && text.contains("== 2020年10月 =="),
        "{text}"
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(demo.join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let found: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["unit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (code, unit) in [
        ("MISSING_RETURN", "zrzyj"),
        ("LATE_RETURN", "tongwei"),
        ("VALUE_NORMALISED", "kfq"),
        ("UNIT_MISMATCH", "anding"),
        ("COUNTY_SUM_MISMATCH", "scjgj"),
        ("CUMULATIVE_DECREASED", "minxian"),
        ("UNREADABLE_FILE", "weiyuan"),
        ("DUPLICATE_FILE", "kjj"),
        ("PERIOD_MISMATCH", "gxj"),
        ("TARGET_ALTERED", "jrb"),
    ] {
        assert!(
            found.contains(&(code.to_string(), unit.to_string())),
            "no {code} for {unit}: {found:?}"
        );
    }
    let format_of = |name: &str| {
        let f = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        (
            f["format"].as_str().unwrap().to_string(),
            f["disposition"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        format_of("2020-10_gxj_市工信局.xls"),
        ("xls".into(), "accepted".into())
    );
    assert_eq!(
        format_of("教育局2020年10月进展.ods"),
        ("ods".into(), "accepted".into())
    );
    assert_eq!(
        format_of("陇西县2020年10月进展.xlsx"),
        ("xlsx".into(), "accepted".into())
    );
    assert!(
        demo.join("outbox/2020-10/dingxi-2020-ctcz_汇总_2020-10.xlsx")
            .is_file()
    );
    assert!(demo.join("outbox/2020-09/report.json").is_file());
    // A second demo into the same folder refuses rather than mixing months.
    let again = util::huizong_in(dir.path(), &["demo", "--dir", demo.to_str().unwrap()]);
    assert!(!again.status.success());
}

#[test]
fn a_synthetic_workspace_adds_up_at_scale() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("synthetic");
    let out = util::huizong_in(
        dir.path(),
        &[
            "demo",
            "--units",
            "80",
            "--dir",
            ws.to_str().unwrap(),
            "--no-run",
        ],
    );
    util::assert_success(&out, &["demo", "--units", "80"]);
    assert_eq!(std::fs::read_dir(ws.join("inbox")).unwrap().count(), 80);
    let run = util::huizong_in(&ws, &["run", "--period", "2020-10"]);
    util::assert_success(&run, &["run"]);
    let text = util::stdout(&run);
    assert!(text.contains("80 files in = 80 accepted"), "{text}");
    assert!(
        text.lines().count() < 45,
        "the summary does not fit a screen:\n{text}"
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let codes: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    // The city figures are the exact sums of the shares; only the planted mistakes show.
    assert!(
        !codes.contains("COUNTY_SUM_MISMATCH") || codes.contains("MISSING_VALUE"),
        "{codes:?}"
    );
    assert!(
        codes.contains("VALUE_NORMALISED") && codes.contains("APPROXIMATE_VALUE"),
        "{codes:?}"
    );
    let rows = report["readings"].as_array().unwrap().len();
    assert_eq!(rows, 80 * 40, "every return has forty rows");

    // 分县区 of 79 counties takes one row each: the first drawn by rust_xlsxwriter, the others put in after it.
    let book = ws.join("outbox/2020-10/synthetic-80_汇总_2020-10.xlsx");
    let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let counties = calamine::Reader::worksheet_range(&mut xlsx, "分县区").unwrap();
    assert_eq!(
        counties.height(),
        1 + 79 + 3,
        "the header, the counties, the totals"
    );
    let header: Vec<String> = counties
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut seen = 0;
    for r in report["readings"].as_array().unwrap() {
        if r["role"] != "county_share" {
            continue;
        }
        let unit = r["unit"].as_str().unwrap();
        let code = format!("{} ", r["indicator"].as_str().unwrap());
        let row = counties
            .rows()
            .find(|x| x[0] == unit)
            .unwrap_or_else(|| panic!("{unit} in 分县区"));
        let col = header.iter().position(|h| h.starts_with(&code)).unwrap();
        match r["cumulative"].as_f64() {
            Some(v) => {
                let shown = row[col]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{unit} {code}: {:?}", row[col]));
                assert!((shown - v).abs() < 0.005, "{unit} {code}: {shown} for {v}");
            }
            None => assert!(row[col].is_empty(), "{unit} {code}: {:?}", row[col]),
        }
        seen += 1;
    }
    assert_eq!(seen, 79 * 40);
    if let Some(soffice) = util::soffice() {
        let csv = util::sheet_csv_of(&soffice, &book, "分县区");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 79 + 3, "{csv}");
        assert!(lines[79].starts_with("c00079,"), "{csv}");
        assert!(lines[81].starts_with(",牵头单位全市数,"), "{csv}");
    }
}
