//! Real spreadsheet software on our files: LibreOffice opens what huizong writes, and re-saves returns as
//! .xls and .ods that huizong then reads.

use huizong::demo::filled_return;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;

use crate::util::{self, Workspace};

#[test]
fn libreoffice_opens_the_forms() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    let ws = Workspace::new();
    ws.ok(&["forms", "--period", "2020-10"]);
    let form = ws
        .path()
        .join("outbox/2020-10/forms/2020-10_longxi_陇西县.xlsx");
    let csv = util::csv_of(&soffice, &form);
    assert!(csv.contains("填报单位：陇西县"), "{csv}");
    let pdf_dir = tempfile::tempdir().unwrap();
    util::convert(&soffice, &form, "pdf", pdf_dir.path());
    let pdf = std::fs::read(pdf_dir.path().join("2020-10_longxi_陇西县.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn returns_resaved_as_xls_and_ods_are_read() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    let ws = Workspace::new();
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let oct = Period {
        year: 2020,
        month: 10,
    };
    let scratch = tempfile::tempdir().unwrap();
    for (unit, to) in [("kjj", "xls"), ("longxi", "ods")] {
        let xlsx = scratch.path().join(format!("{unit}_return.xlsx"));
        std::fs::write(
            &xlsx,
            filled_return(&catalogue, &Settings::default(), oct, unit, &[]).unwrap(),
        )
        .unwrap();
        util::convert(&soffice, &xlsx, to, &ws.path().join("inbox"));
        let converted = ws.path().join("inbox").join(format!("{unit}_return.{to}"));
        util::received_on_time(&converted, 2020, 10);
    }
    ws.ok(&["run", "--period", "2020-10"]);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    for (name, unit, format) in [
        ("kjj_return.xls", "kjj", "xls"),
        ("longxi_return.ods", "longxi", "ods"),
    ] {
        let f = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        assert_eq!(
            (
                f["unit"].as_str(),
                f["format"].as_str(),
                f["disposition"].as_str()
            ),
            (Some(unit), Some(format), Some("accepted")),
            "{f:#}"
        );
    }
    let serious: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            (f["severity"] == "error" || f["severity"] == "warning")
                && f["code"] != "MISSING_RETURN"
        })
        .collect();
    assert!(serious.is_empty(), "re-saved returns raised {serious:#?}");
    let kjj_figures = report["readings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["unit"] == "kjj" && r["cumulative"].is_number())
        .count();
    assert!(
        kjj_figures > 20,
        "only {kjj_figures} figures read from the .xls"
    );
}
