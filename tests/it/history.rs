//! Across months: each run compares a unit's figures with its own figures of earlier months.

use std::collections::BTreeSet;

use calamine::{DataType, Reader, Xlsx, open_workbook};
use huizong::demo::{Edit, Value, filled_return};
use huizong::forms::col;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;
use serde_json::Value as Json;

use crate::util::{self, Workspace};

fn catalogue() -> Catalogue {
    Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap()
}

fn month(ws: &Workspace, period: Period, edits: &[(&str, Edit)]) -> Json {
    for u in catalogue().reporting_units() {
        let mine: Vec<Edit> = edits
            .iter()
            .filter(|(c, _)| *c == u.code)
            .map(|(_, e)| e.clone())
            .collect();
        let bytes =
            filled_return(&catalogue(), &Settings::default(), period, &u.code, &mine).unwrap();
        let path = ws
            .path()
            .join("inbox")
            .join(format!("{period}_{}.xlsx", u.code));
        std::fs::write(&path, bytes).unwrap();
        util::received_on_time(&path, period.year, period.month);
    }
    ws.ok(&["run", "--period", &period.to_string()]);
    serde_json::from_str(
        &std::fs::read_to_string(ws.path().join(format!("outbox/{period}/report.json"))).unwrap(),
    )
    .unwrap()
}

fn cumulative(unit: &str, code: &str, period: Period) -> f64 {
    huizong::demo::cumulative(&catalogue(), unit, code, period).unwrap()
}

#[test]
fn figures_are_checked_against_last_month() {
    let ws = Workspace::new();
    let aug = Period {
        year: 2020,
        month: 8,
    };
    let sep = aug.next();
    let oct = sep.next();
    assert_eq!(util::problems(&month(&ws, aug, &[])), BTreeSet::new());
    assert_eq!(
        util::problems(&month(&ws, sep, &[])),
        BTreeSet::new(),
        "a clean second month raises nothing"
    );

    let sep_patents = cumulative("anding", "T2.4-01", sep);
    let oct_teams = cumulative("longxi", "T2.10-01", oct);
    let edits = [
        // Lower than September: cumulative went down.
        (
            "anding",
            Edit::new("T2.4-01", col::CUMULATIVE, Value::Number(sep_patents - 5.0)),
        ),
        (
            "anding",
            Edit::new("T2.4-01", col::MONTH, Value::Number(0.0)),
        ),
        // September's cumulative + this month ≠ this cumulative.
        (
            "longxi",
            Edit::new("T2.10-01", col::CUMULATIVE, Value::Number(oct_teams + 3.0)),
        ),
        // A month far above the unit's own months.
        ("kfq", Edit::new("T2.1-03", col::MONTH, Value::Number(40.0))),
        (
            "kfq",
            Edit::new(
                "T2.1-03",
                col::CUMULATIVE,
                Value::Number(cumulative("kfq", "T2.1-03", sep) + 40.0),
            ),
        ),
    ];
    let r = month(&ws, oct, &edits);
    let found = util::problems(&r);
    assert!(
        found.contains(&(
            "CUMULATIVE_DECREASED".into(),
            "anding".into(),
            "T2.4-01".into()
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "MONTHLY_CUMULATIVE_MISMATCH".into(),
            "longxi".into(),
            "T2.10-01".into()
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&("SPIKE".into(), "kfq".into(), "T2.1-03".into())),
        "{found:?}"
    );
    let history_codes = [
        "CUMULATIVE_DECREASED",
        "MONTHLY_CUMULATIVE_MISMATCH",
        "SPIKE",
    ];
    let unexpected: Vec<_> = found
        .iter()
        .filter(|(c, u, _)| {
            history_codes.contains(&c.as_str())
                && !["anding", "longxi", "kfq"].contains(&u.as_str())
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");

    // The trend sheet holds the three months.
    assert_eq!(
        r["trend"]["months"],
        serde_json::json!(["2020-08", "2020-09", "2020-10"])
    );
    let mut wb: Xlsx<_> = open_workbook(
        ws.path()
            .join("outbox/2020-10/dingxi-2020-ctcz_汇总_2020-10.xlsx"),
    )
    .unwrap();
    let trend = wb.worksheet_range("趋势").unwrap();
    let row = trend.rows().find(|row| row[0] == *"T2.4-01").unwrap();
    let lead_sep = cumulative("scjgj", "T2.4-01", sep);
    assert_eq!(row[5].as_f64(), Some(lead_sep));
}
