//! `huizong forms`: one protected, identifiable blank return per reporting unit, the same bytes every time.

use std::io::Read;

use calamine::{Reader, Xlsx, open_workbook};
use huizong::forms::HEADERS;
use huizong::plan::Catalogue;

use crate::util::Workspace;

#[test]
fn one_form_per_unit_with_its_rows_and_meta() {
    let ws = Workspace::new();
    let out = ws.ok(&["forms", "--period", "2020-10"]);
    let catalogue = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let units: Vec<_> = catalogue.reporting_units().collect();
    assert_eq!(units.len(), 24);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 24);
    let dir = ws.path().join("outbox/2020-10/forms");
    for unit in units {
        let path = dir.join(format!("2020-10_{}_{}.xlsx", unit.code, unit.name));
        let mut wb: Xlsx<_> =
            open_workbook(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(wb.sheet_names(), ["填报说明", "进展填报", "_meta"]);
        let data = wb.worksheet_range("进展填报").unwrap();
        let header: Vec<String> = data
            .rows()
            .nth(2)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(header, HEADERS, "{}", unit.code);
        assert_eq!(
            data.rows().nth(1).unwrap()[0].to_string(),
            format!("填报单位：{}    报告期：2020年10月", unit.name)
        );
        let codes: Vec<String> = data.rows().skip(3).map(|r| r[0].to_string()).collect();
        let expected: Vec<String> = catalogue
            .rows_for(&unit.code)
            .iter()
            .map(|r| r.code())
            .collect();
        assert_eq!(codes, expected, "{}", unit.code);
        let meta = wb.worksheet_range("_meta").unwrap();
        let value = |key: &str| {
            meta.rows()
                .find(|r| r[0] == *key)
                .map(|r| r[1].to_string())
                .unwrap_or_default()
        };
        assert_eq!(value("unit_code"), unit.code);
        assert_eq!(value("period"), "2020-10");
        assert_eq!(value("plan_id"), catalogue.plan.id);
        assert!(!value("rows_checksum").is_empty());
        let hidden = wb
            .sheets_metadata()
            .iter()
            .find(|s| s.name == "_meta")
            .unwrap()
            .visible;
        assert_ne!(hidden, calamine::SheetVisible::Visible);
    }

    // The data sheet is protected, with number validation and the milestone dropdown.
    let kjj = std::fs::read(dir.join("2020-10_kjj_市科技局.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&kjj)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet2.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("<sheetProtection"), "not protected");
    assert!(sheet.contains("type=\"decimal\""), "no number validation");
    assert!(
        sheet.contains("未启动,推进中,已完成"),
        "no milestone dropdown"
    );

    // The same inputs give byte-identical files.
    ws.ok(&[
        "forms",
        "--period",
        "2020-10",
        "--out",
        ws.path().join("again").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(ws.path().join("again/2020-10_kjj_市科技局.xlsx")).unwrap(),
        kjj
    );
}
