//! The consolidated workbook and the feedback workbooks: read back, checked against report.json, opened by
//! LibreOffice, and stable across re-runs.

use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
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
const BOOK: &str = "outbox/2020-10/dingxi-2020-ctcz_汇总_2020-10.xlsx";

fn catalogue() -> Catalogue {
    Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap()
}

fn drop_return(ws: &Workspace, name: &str, unit: &str, edits: &[Edit]) {
    let period = OCT;
    let bytes = filled_return(&catalogue(), &Settings::default(), OCT, unit, edits).unwrap();
    let path = ws.path().join("inbox").join(name);
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, period.year, period.month);
}

/// A month with a county sum that disagrees, a remark that looks like a formula, a broken file, a missing unit.
fn month(ws: &Workspace) {
    for u in catalogue().reporting_units() {
        let edits = match u.code.as_str() {
            "zrzyj" => continue,
            "lintao" => vec![Edit::new("T2.4-01", col::CUMULATIVE, Value::Number(999.0))],
            "kjj" => vec![Edit::new(
                "T2.2-03",
                col::REMARK,
                Value::Text("=HYPERLINK(\"http://x\",\"y\")".into()),
            )],
            _ => vec![],
        };
        drop_return(ws, &format!("{}.xlsx", u.code), &u.code, &edits);
    }
    std::fs::write(ws.path().join("inbox/broken.xlsx"), b"PK\x03\x04broken").unwrap();
}

fn report(ws: &Workspace) -> Json {
    serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap()
}

fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    wb.worksheet_range(name).unwrap()
}

/// Rows of a sheet as text cells, keyed by the first column.
fn rows_by_key(range: &calamine::Range<Data>, key_col: usize) -> HashMap<String, Vec<Data>> {
    range
        .rows()
        .skip(1)
        .map(|r| (r[key_col].to_string(), r.to_vec()))
        .collect()
}

#[test]
fn the_consolidated_workbook_shows_the_report() {
    let ws = Workspace::new();
    month(&ws);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    let book = ws.path().join(BOOK);
    let wb: Xlsx<_> = open_workbook(&book).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "总览",
            "指标汇总",
            "分县区",
            "问题清单",
            "报送情况",
            "趋势",
            "明细数据"
        ]
    );

    let indicators = rows_by_key(&sheet(&book, "指标汇总"), 1);
    assert_eq!(indicators.len(), r["indicators"].as_array().unwrap().len());
    for i in r["indicators"].as_array().unwrap() {
        let row = &indicators[i["code"].as_str().unwrap()];
        // The sheet shows each figure with its unit's decimals (issue 11: % one decimal, 亿元 two).
        let unit = i["unit"].as_str().unwrap();
        if let Some(city) = i["city"].as_f64() {
            let shown = huizong::display::round(city, unit);
            assert_eq!(row[7].as_f64(), Some(shown), "{}", i["code"]);
        }
        if let Some(sum) = i["county_sum"].as_f64() {
            let shown = huizong::display::round(sum, unit);
            assert_eq!(row[8].as_f64(), Some(shown), "{}", i["code"]);
        }
    }

    let counties = rows_by_key(&sheet(&book, "分县区"), 0);
    let patents = &counties["T2.4-01"];
    assert_eq!(
        patents[3 + 4].as_f64(),
        Some(999.0),
        "临洮县 is the fifth county"
    );
    let expected_sum = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "T2.4-01")
        .unwrap()["county_sum"]
        .as_f64();
    assert_eq!(patents[10].as_f64(), expected_sum);

    let problems = sheet(&book, "问题清单");
    assert_eq!(
        problems.height() - 1,
        r["findings"].as_array().unwrap().len()
    );
    assert!(problems.rows().any(|row| row[1] == *"COUNTY_SUM_MISMATCH"));
    let severities: Vec<String> = problems
        .rows()
        .skip(1)
        .map(|row| row[0].to_string())
        .collect();
    let rank = |s: &str| {
        ["错误", "警告", "提示"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    assert!(
        severities.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "not sorted by severity"
    );

    let submissions = rows_by_key(&sheet(&book, "报送情况"), 0);
    assert_eq!(submissions["zrzyj"][2].to_string(), "未报送");
    assert_eq!(submissions["kjj"][2].to_string(), "按时报送");
    let kjj_file = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "kjj.xlsx")
        .unwrap();
    assert_eq!(
        submissions["kjj"][5].to_string(),
        kjj_file["sha256"].as_str().unwrap()
    );

    // A remark that looks like a formula stays text.
    let details = sheet(&book, "明细数据");
    let remark = details
        .rows()
        .find(|row| row[0] == *"kjj" && row[2] == *"T2.2-03")
        .unwrap()[7]
        .clone();
    assert_eq!(
        remark,
        Data::String("=HYPERLINK(\"http://x\",\"y\")".into())
    );
    assert_eq!(
        details.height() - 1,
        r["readings"].as_array().unwrap().len()
    );

    // Hyperlinks to the archived sources are relative, so that the outbox can be moved.
    let zipped = std::fs::File::open(&book).unwrap();
    let mut archive = zip::ZipArchive::new(zipped).unwrap();
    let mut rels = String::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        if f.name().unwrap().contains("worksheets/_rels/sheet4") {
            std::io::Read::read_to_string(&mut f, &mut rels).unwrap();
        }
    }
    assert!(rels.contains("Target=\"accepted/"), "{rels}");
    assert!(!rels.contains("/tmp"), "{rels}");
}

#[test]
fn feedback_marks_each_units_cells() {
    let ws = Workspace::new();
    month(&ws);
    ws.ok(&["run", "--period", "2020-10"]);
    let feedback = ws.path().join("outbox/2020-10/feedback");
    let scjgj = feedback.join("2020-10_scjgj_市市场监管局_反馈.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&scjgj).unwrap();
    assert_eq!(wb.sheet_names(), ["反馈说明", "进展填报", "问题清单"]);
    let list = wb.worksheet_range("问题清单").unwrap();
    assert!(list.rows().any(|row| row[1] == *"COUNTY_SUM_MISMATCH"));
    let redrawn = wb.worksheet_range("进展填报").unwrap();
    let patents = redrawn.rows().find(|row| row[0] == *"T2.4-01").unwrap();
    let r = report(&ws);
    let city = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "T2.4-01")
        .unwrap()["city"]
        .as_f64();
    assert_eq!(patents[6].as_f64(), city);

    // A clean unit gets a short confirmation; the missing one none.
    let mut fgw: Xlsx<_> =
        open_workbook(feedback.join("2020-10_fgw_市发展改革委_反馈.xlsx")).unwrap();
    let note = fgw.worksheet_range("反馈说明").unwrap();
    assert!(
        note.rows()
            .any(|row| row[0].to_string().contains("未发现需要更正的问题"))
    );
    assert!(
        !feedback
            .join("2020-10_zrzyj_市自然资源局_反馈.xlsx")
            .exists()
    );
}

#[test]
fn a_rejected_unit_is_told_why() {
    let ws = Workspace::new();
    let bytes = filled_return(&catalogue(), &Settings::default(), OCT, "weiyuan", &[]).unwrap();
    std::fs::write(
        ws.path().join("inbox/渭源县10月.xlsx"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    // Received long before the run: a broken file modified moments ago would wait for the next run (#12.4).
    util::received_on_time(&ws.path().join("inbox/渭源县10月.xlsx"), 2020, 10);
    drop_return(&ws, "fgw.xlsx", "fgw", &[]);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    let weiyuan = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "weiyuan")
        .unwrap();
    assert_eq!(weiyuan["status"], "rejected");
    let path = ws
        .path()
        .join("outbox/2020-10/feedback/2020-10_weiyuan_渭源县_反馈.xlsx");
    let text = sheet(&path, "反馈说明");
    assert!(
        text.rows()
            .any(|row| row[0].to_string().contains("无法使用")),
        "{text:?}"
    );
}

#[test]
fn re_running_gives_byte_identical_workbooks() {
    let ws = Workspace::new();
    month(&ws);
    ws.ok(&["run", "--period", "2020-10"]);
    let outputs = |ws: &Workspace| -> Vec<(String, Vec<u8>)> {
        let mut v = vec![(
            BOOK.to_string(),
            std::fs::read(ws.path().join(BOOK)).unwrap(),
        )];
        let dir = ws.path().join("outbox/2020-10/feedback");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        v.extend(
            names
                .into_iter()
                .map(|p| (p.display().to_string(), std::fs::read(p).unwrap())),
        );
        v
    };
    let first = outputs(&ws);
    ws.ok(&["run", "--period", "2020-10"]);
    let second = outputs(&ws);
    assert_eq!(first.len(), second.len());
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert!(a == b, "{name} differs between runs");
    }
}

#[test]
fn libreoffice_opens_every_output_workbook() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    let ws = Workspace::new();
    month(&ws);
    ws.ok(&["run", "--period", "2020-10"]);
    let book = ws.path().join(BOOK);
    let csv = util::csv_of(&soffice, &book);
    assert!(
        csv.contains("定西市创新助力拓存创增促进经济社会发展实施方案进展情况汇总"),
        "{csv}"
    );
    assert!(!csv.contains("###"), "{csv}");
    // 明细数据's rows are written apart from rust_xlsxwriter and spliced in: LibreOffice reads them all.
    let details = util::sheet_csv_of(&soffice, &book, "明细数据");
    let lines: Vec<&str> = details.lines().collect();
    assert!(lines[0].starts_with("单位编码,单位,指标编码"), "{details}");
    let rows = sheet(&book, "明细数据");
    assert_eq!(lines.len(), rows.height(), "{details}");
    // A cell that follows the one before is written without its reference: each lands in the column calamine
    // puts it in, an empty one between two others included.
    let mut compared = 0;
    for (line, row) in lines.iter().zip(rows.rows()).skip(1) {
        if line.contains('"') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 11, "{line}");
        for (field, cell) in fields.iter().zip(row) {
            match cell {
                Data::Float(v) => assert_eq!(field.parse::<f64>().ok(), Some(*v), "{line}"),
                Data::Empty => assert_eq!(*field, "", "{line}"),
                other => assert_eq!(*field, other.to_string(), "{line}"),
            }
        }
        compared += 1;
    }
    assert!(
        compared * 2 > rows.height(),
        "{compared} of {}",
        rows.height()
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("kjj,市科技局,T2.2-03,") && l.contains("=HYPERLINK(")),
        "{details}"
    );
    // 报送情况's rows but a few are written apart from rust_xlsxwriter: LibreOffice reads each as calamine does.
    let submitted = util::sheet_csv_of(&soffice, &book, "报送情况");
    let lines: Vec<&str> = submitted.lines().collect();
    let rows = sheet(&book, "报送情况");
    assert_eq!(lines.len(), rows.height(), "{submitted}");
    assert!(rows.height() > 6, "{submitted}");
    for (line, row) in lines.iter().zip(rows.rows()) {
        let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
        if !line.contains('"') {
            assert_eq!(*line, cells.join(","), "{submitted}");
        }
    }
    let pdf_dir = tempfile::tempdir().unwrap();
    util::convert(&soffice, &book, "pdf", pdf_dir.path());
    let feedback = ws.path().join("outbox/2020-10/feedback");
    for e in std::fs::read_dir(&feedback).unwrap() {
        let path = e.unwrap().path();
        assert!(
            util::csv_of(&soffice, &path).contains("反馈"),
            "{}",
            path.display()
        );
    }
    util::convert(
        &soffice,
        &feedback.join("2020-10_lintao_临洮县_反馈.xlsx"),
        "pdf",
        pdf_dir.path(),
    );
    assert!(std::fs::read_dir(pdf_dir.path()).unwrap().count() >= 2);
}

/// A remark pasted from a long document: LibreOffice and WPS keep text past the 32,767 characters an Excel cell
/// holds, and rust_xlsxwriter refuses such a cell. The run still draws every workbook: the long sheet's cell is
/// cut and says so, and report.json keeps the remark whole.
#[test]
fn a_remark_longer_than_an_excel_cell_is_cut_in_the_workbook_and_whole_in_the_report() {
    let ws = Workspace::new();
    let bytes = filled_return(
        &catalogue(),
        &Settings::default(),
        OCT,
        "lintao",
        &[Edit::new(
            "T2.4-01",
            col::REMARK,
            Value::Text("PASTED".into()),
        )],
    )
    .unwrap();
    let pasted = "临洮县专利申请情况说明。".repeat(4_000);
    let bytes = util::rewrite_parts(&bytes, |_, text| text.replace("PASTED", &pasted));
    let path = ws.path().join("inbox/lintao.xlsx");
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, 2020, 10);
    ws.ok(&["run", "--period", "2020-10"]);

    let r = report(&ws);
    let reading = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit"] == "lintao" && x["indicator"] == "T2.4-01")
        .expect("the lintao figure is read");
    assert_eq!(reading["remark"].as_str().unwrap(), pasted);
    assert_eq!(r["summary"]["accepted"], 1);

    let details = sheet(&ws.path().join(BOOK), "明细数据");
    let row = details
        .rows()
        .find(|x| x[0] == "lintao" && x[2] == "T2.4-01")
        .expect("the lintao row in 明细数据");
    let cell = row[7].to_string();
    // Every character here is one UTF-16 unit: the cut fills the cell exactly.
    assert_eq!(cell.encode_utf16().count(), 32_767);
    assert!(cell.starts_with("临洮县专利申请情况说明。临洮县"));
    assert!(cell.ends_with("……（内容过长，余下从略）"));
    assert!(
        ws.path()
            .join("outbox/2020-10/feedback/2020-10_lintao_临洮县_反馈.xlsx")
            .is_file()
    );
}
