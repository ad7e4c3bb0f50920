//! Returns as offices really send them: their own tables, merged and two-row headers, several months in one
//! workbook, the unit only in the title, units of measure written once, a copied form. Each workbook is built
//! the way Excel or WPS users lay it out (rust_xlsxwriter), or converted by LibreOffice.

use huizong::demo::filled_return;
use huizong::period::Period;
use huizong::plan::Catalogue;
use huizong::settings::Settings;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde_json::Value as Json;

use crate::util::{self, Workspace};

const OCT: Period = Period {
    year: 2020,
    month: 10,
};

fn report(ws: &Workspace) -> Json {
    let text = std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn put(ws: &Workspace, name: &str, bytes: &[u8]) {
    let path = ws.path().join("inbox").join(name);
    std::fs::write(&path, bytes).unwrap();
    util::received_on_time(&path, 2020, 10);
}

/// (month, cumulative, sheet, month cell, cumulative cell) of a unit's reading of an indicator.
fn reading(r: &Json, unit: &str, code: &str) -> (Option<f64>, Option<f64>, String, String, String) {
    let x = r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit"] == unit && x["indicator"] == code)
        .unwrap_or_else(|| panic!("no reading {unit} {code} in {:#}", r["readings"]));
    let s = |k: &str| x[k].as_str().unwrap_or_default().to_string();
    (
        x["month"].as_f64(),
        x["cumulative"].as_f64(),
        s("sheet"),
        s("month_cell"),
        s("cumulative_cell"),
    )
}

fn progress(r: &Json, unit: &str, code: &str) -> String {
    r["readings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit"] == unit && x["indicator"] == code)
        .map(|x| x["progress"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// (code, indicator, cell) of every finding for `unit`.
fn findings_of(r: &Json, unit: &str) -> Vec<(String, String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["unit"] == unit)
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("code"), s("indicator"), s("cell"))
        })
        .collect()
}

fn has(r: &Json, unit: &str, code: &str, indicator: &str, cell: &str) -> bool {
    findings_of(r, unit)
        .iter()
        .any(|(c, i, a)| c == code && i == indicator && (cell.is_empty() || a == cell))
}

fn disposition(r: &Json, file: &str) -> (String, String, String) {
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == file)
        .unwrap_or_else(|| panic!("no file {file} in {:#}", r["files"]));
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
    (s("disposition"), s("unit"), s("period"))
}

fn text(ws: &mut Worksheet, row: u32, col: u16, t: &str) {
    ws.write_string(row, col, t).unwrap();
}

/// 陇西县's own table: a title naming the county and 1-10月, 单位：万元, 填报单位 with further fields, a two-row
/// header with 1-10月完成情况 merged over 当月 | 累计, no codes, a section heading, a 重点任务 and a 工作进展
/// merged down three rows, a 小计 and a 合计, two of the county's rows left out, signature lines.
fn own_table() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Sheet1").unwrap();
    let plain = Format::new();
    ws.merge_range(
        0,
        0,
        0,
        8,
        "定西市陇西县人民政府2020年1-10月创新助力拓存创增工作进展情况",
        &plain,
    )
    .unwrap();
    ws.merge_range(
        1,
        0,
        1,
        6,
        "填报单位（盖章）：陇 西 县 科 技 局    填表人：张三    联系电话：0932-6621234",
        &plain,
    )
    .unwrap();
    text(ws, 1, 8, "单位：万元");
    for (c, t) in [
        (0, "序号"),
        (1, "重点任务"),
        (2, "指标名称"),
        (3, "计量单位"),
        (4, "全年目标"),
        (7, "工作进展"),
        (8, "备注"),
        (9, "上年同期累计"),
    ] {
        ws.merge_range(2, c, 3, c, t, &plain).unwrap();
    }
    ws.merge_range(2, 5, 2, 6, "1-10月完成情况", &plain)
        .unwrap();
    text(ws, 3, 5, "当月");
    text(ws, 3, 6, "累计");
    text(ws, 4, 0, "一、积极融入丝绸之路国际知识产权港建设");
    ws.merge_range(5, 1, 7, 1, "积极融入丝绸之路国际知识产权港建设", &plain)
        .unwrap();
    ws.merge_range(5, 7, 7, 7, "专利工作稳步推进", &plain)
        .unwrap();
    let rows: [(&str, &str, &str, f64, f64); 3] = [
        ("1", "申请专利", "件", 12.0, 85.0),
        ("2", "授权专利", "件", 5.0, 40.0),
        ("3", "其中：发明专利授权", "件", 1.0, 6.0),
    ];
    for (i, (n, name, unit, m, c)) in rows.iter().enumerate() {
        let r = 5 + i as u32;
        text(ws, r, 0, n);
        text(ws, r, 2, name);
        text(ws, r, 3, unit);
        ws.write_number(r, 5, *m).unwrap();
        ws.write_number(r, 6, *c).unwrap();
        ws.write_number(r, 9, c - 10.0).unwrap();
    }
    text(ws, 8, 0, "小计");
    ws.write_number(8, 5, 18.0).unwrap();
    ws.write_number(8, 6, 131.0).unwrap();
    text(ws, 9, 0, "4");
    text(ws, 9, 1, "加快推进科技成果转化");
    text(ws, 9, 2, "全市技术市场合同交易额");
    ws.write_number(9, 5, 500.0).unwrap();
    ws.write_number(9, 6, 3500.0).unwrap();
    text(ws, 10, 0, "5");
    text(ws, 10, 1, "建设陇西省级创新型试点县");
    text(ws, 10, 2, "新申报高新技术企业");
    text(ws, 10, 3, "家");
    text(ws, 10, 5, "２");
    text(ws, 10, 6, "９");
    text(ws, 11, 0, "合计");
    text(
        ws,
        13,
        0,
        "填报人：张三        审核人：李四        单位负责人：王五",
    );
    text(ws, 14, 0, "填报日期：2020年11月3日");
    wb.save_to_buffer().unwrap()
}

fn assert_own_table_read(r: &Json, file: &str) {
    assert_eq!(
        disposition(r, file),
        ("accepted".into(), "longxi".into(), "2020-10".into())
    );
    let sheet = "Sheet1".to_string();
    assert_eq!(
        reading(r, "longxi", "T2.4-01"),
        (
            Some(12.0),
            Some(85.0),
            sheet.clone(),
            "F6".into(),
            "G6".into()
        )
    );
    assert_eq!(reading(r, "longxi", "T2.4-02").0, Some(5.0));
    assert_eq!(reading(r, "longxi", "T2.4-02").1, Some(40.0));
    assert_eq!(reading(r, "longxi", "T2.4-03").1, Some(6.0));
    // 单位：万元 in the title over a 亿元 row: 3500万元 = 0.35亿元.
    assert_eq!(
        reading(r, "longxi", "T2.8-04"),
        (
            Some(0.05),
            Some(0.35),
            sheet.clone(),
            "F10".into(),
            "G10".into()
        )
    );
    // Full-width text figures.
    assert_eq!(reading(r, "longxi", "T2.2-03").1, Some(9.0));
    // One 工作进展 merged over three rows applies to each of them.
    assert_eq!(progress(r, "longxi", "T2.4-03"), "专利工作稳步推进");
    assert!(has(r, "longxi", "MATCHED_BY_TEXT", "T2.4-03", "C8"));
    assert!(has(r, "longxi", "VALUE_NORMALISED", "T2.8-04", "G10"));
    // Left out of the table: said, at no cell.
    assert!(has(r, "longxi", "MISSING_VALUE", "T2.2-04", ""));
    let wrong: Vec<_> = findings_of(r, "longxi")
        .into_iter()
        .filter(|(c, _, _)| {
            [
                "UNKNOWN_INDICATOR",
                "IDENTITY_MISMATCH",
                "PERIOD_ASSUMED",
                "NOT_A_NUMBER",
                "UNIT_MISMATCH",
            ]
            .contains(&c.as_str())
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn an_own_table_with_a_merged_two_row_header_and_no_codes_is_read() {
    let ws = Workspace::new();
    put(&ws, "陇西县10月.xlsx", &own_table());
    ws.ok(&["run", "--period", "2020-10"]);
    assert_own_table_read(&report(&ws), "陇西县10月.xlsx");
    // The feedback workbook tells, at each figure taken, where in the unit's file it was read.
    let feedback = std::fs::read(
        ws.path()
            .join("outbox/2020-10/feedback/2020-10_longxi_陇西县_反馈.xlsx"),
    )
    .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(feedback)).unwrap();
    let mut notes = String::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        if f.name().unwrap_or_default().contains("comments") {
            std::io::Read::read_to_string(&mut f, &mut notes).unwrap();
        }
    }
    assert!(notes.contains("取自工作表“Sheet1”的G6单元格"), "{notes}");
    assert!(notes.contains("取自工作表“Sheet1”的G10单元格"), "{notes}");
}

#[test]
fn the_own_table_as_xls_and_ods_is_read_alike() {
    let Some(soffice) = util::soffice() else {
        return;
    };
    for ext in ["xls", "ods"] {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("own.xlsx");
        std::fs::write(&src, own_table()).unwrap();
        util::convert(&soffice, &src, ext, dir.path());
        let bytes = std::fs::read(dir.path().join(format!("own.{ext}"))).unwrap();
        let ws = Workspace::new();
        let name = format!("陇西县10月.{ext}");
        put(&ws, &name, &bytes);
        ws.ok(&["run", "--period", "2020-10"]);
        assert_own_table_read(&report(&ws), &name);
    }
}

/// 定西经开区's return as 附件2.xlsx: a blank Sheet1 first, the return on the second sheet with the unit only in
/// its title, retyped codes, 85% typed into a count row, a percentage-formatted share.
#[test]
fn an_attachment_named_for_nobody_is_known_by_its_title() {
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("Sheet1").unwrap();
    let ws = wb.add_worksheet().set_name("Sheet2").unwrap();
    text(ws, 0, 0, "定西经开区2020年10月份重点工作进展情况");
    for (c, t) in [
        "编码",
        "指标",
        "单位",
        "目标",
        "本月完成",
        "累计完成",
        "完成率",
        "进展情况",
    ]
    .iter()
    .enumerate()
    {
        text(ws, 2, c as u16, t);
    }
    let pct = Format::new().set_num_format("0%");
    text(ws, 3, 0, "ｔ2.1-01");
    text(ws, 3, 1, "新认定高新技术企业");
    ws.write_number(3, 4, 3.0).unwrap();
    ws.write_number(3, 5, 12.0).unwrap();
    ws.write_number(3, 6, 0.8).unwrap();
    text(ws, 4, 0, "T2.1－2");
    text(ws, 4, 1, "新增省级创新科研平台");
    ws.write_number_with_format(4, 5, 0.85, &pct).unwrap();
    text(ws, 5, 0, "t2.1-04");
    text(ws, 5, 1, "定西现代科技产业园完成投资");
    ws.write_number(5, 4, 0.3).unwrap();
    ws.write_number(5, 5, 2.1).unwrap();
    text(ws, 7, 0, "T2.1-03");
    text(ws, 7, 1, "入库科技型中小企业");
    text(ws, 7, 5, "85%");
    text(ws, 6, 0, "T2.1-6");
    text(ws, 6, 1, "形象进度达到");
    ws.write_number_with_format(6, 5, 0.85, &pct).unwrap();
    let ws = Workspace::new();
    put(&ws, "附件2.xlsx", &wb.save_to_buffer().unwrap());
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    assert_eq!(
        disposition(&r, "附件2.xlsx"),
        ("accepted".into(), "kfq".into(), "2020-10".into()),
        "{:#}",
        r["files"]
    );
    assert_eq!(
        reading(&r, "kfq", "T2.1-01"),
        (
            Some(3.0),
            Some(12.0),
            "Sheet2".into(),
            "E4".into(),
            "F4".into()
        )
    );
    assert_eq!(reading(&r, "kfq", "T2.1-04").1, Some(2.1));
    assert_eq!(reading(&r, "kfq", "T2.1-06").1, Some(85.0));
    // 85% in a count row is not 0.85 平台.
    assert_eq!(reading(&r, "kfq", "T2.1-02").1, None);
    assert!(has(&r, "kfq", "UNIT_MISMATCH", "T2.1-02", "F5"));
    assert_eq!(reading(&r, "kfq", "T2.1-03").1, None);
    assert!(has(&r, "kfq", "UNIT_MISMATCH", "T2.1-03", "F8"));
    assert!(
        !findings_of(&r, "kfq")
            .iter()
            .any(|(c, _, _)| c == "UNKNOWN_INDICATOR" || c == "PERIOD_ASSUMED"),
        "{:?}",
        findings_of(&r, "kfq")
    );
}

/// One workbook, a sheet per month: October's run reads the 10月 sheet, never September's.
#[test]
fn a_workbook_with_september_and_october_sheets_gives_october_its_own() {
    let mut wb = Workbook::new();
    for (name, month, cumulative) in [("9月", 4.0, 70.0), ("10月", 12.0, 85.0)] {
        let ws = wb.add_worksheet().set_name(name).unwrap();
        text(ws, 0, 0, "市场监管局知识产权工作进展");
        let header = ["指标编码", "指标", "当月", "累计", "备注"];
        for (c, t) in header.iter().enumerate() {
            text(ws, 1, c as u16, t);
        }
        text(ws, 2, 0, "T2.4-01");
        text(ws, 2, 1, "申请专利");
        ws.write_number(2, 2, month).unwrap();
        ws.write_number(2, 3, cumulative).unwrap();
    }
    let ws = Workspace::new();
    put(&ws, "市市场监管局.xlsx", &wb.save_to_buffer().unwrap());
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    assert_eq!(
        disposition(&r, "市市场监管局.xlsx"),
        ("accepted".into(), "scjgj".into(), "2020-10".into())
    );
    assert_eq!(
        reading(&r, "scjgj", "T2.4-01"),
        (
            Some(12.0),
            Some(85.0),
            "10月".into(),
            "C3".into(),
            "D3".into()
        )
    );
}

/// Two sheets both claim October: the one used is named, and why.
#[test]
fn two_sheets_for_the_same_month_are_not_chosen_silently() {
    let mut wb = Workbook::new();
    for (name, cumulative) in [("10月", 80.0), ("10月（修改）", 85.0)] {
        let ws = wb.add_worksheet().set_name(name).unwrap();
        for (c, t) in ["指标编码", "指标", "本月完成", "累计完成"]
            .iter()
            .enumerate()
        {
            text(ws, 0, c as u16, t);
        }
        for (i, code) in ["T2.4-01", "T2.4-02"].iter().enumerate() {
            let row = 1 + i as u32;
            text(ws, row, 0, code);
            ws.write_number(row, 3, cumulative).unwrap();
            if name == "10月（修改）" {
                ws.write_number(row, 2, 1.0).unwrap();
            }
        }
    }
    let ws = Workspace::new();
    put(
        &ws,
        "市场监管局2020年10月.xlsx",
        &wb.save_to_buffer().unwrap(),
    );
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    let chosen = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "SHEET_CHOSEN")
        .expect("a SHEET_CHOSEN finding");
    assert_eq!(chosen["unit"], "scjgj");
    assert_eq!(chosen["expected"], "10月（修改）");
    assert_eq!(reading(&r, "scjgj", "T2.4-01").2, "10月（修改）");
}

/// 市发展改革委 filled a copy of 市科技局's form: its own name wins, the file never replaces 市科技局's own return,
/// and both units are told.
#[test]
fn a_copied_form_naming_another_unit_is_a_conflict_told_to_both() {
    let c = Catalogue::from_toml(huizong::demo::BUILTIN_PLAN).unwrap();
    let s = Settings::default();
    let kjj = filled_return(&c, &s, OCT, "kjj", &[]).unwrap();
    let copied = util::rewrite_parts(&kjj, |name, data| {
        if name == "xl/sharedStrings.xml" {
            data.replace("填报单位：市科技局", "填报单位：市发展改革委")
        } else {
            data
        }
    });
    let ws = Workspace::new();
    put(&ws, "市科技局10月.xlsx", &kjj);
    put(&ws, "10月进展（发改委）.xlsx", &copied);
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    assert_eq!(
        disposition(&r, "10月进展（发改委）.xlsx"),
        ("accepted".into(), "fgw".into(), "2020-10".into())
    );
    assert_eq!(
        disposition(&r, "市科技局10月.xlsx"),
        ("accepted".into(), "kjj".into(), "2020-10".into())
    );
    for unit in ["fgw", "kjj"] {
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "IDENTITY_CONFLICT" && f["unit"] == unit)
            .unwrap_or_else(|| panic!("no IDENTITY_CONFLICT for {unit}"));
        assert_eq!(f["severity"], "error");
        assert_eq!(
            (f["expected"].as_str(), f["actual"].as_str()),
            (Some("fgw"), Some("kjj"))
        );
    }
}

/// A sheet that names nothing anywhere is refused with the reason, and a table with no header is not a return.
#[test]
fn a_table_without_unit_or_header_is_refused_with_the_reason() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, t) in ["指标", "本月完成", "累计完成"].iter().enumerate() {
        text(ws, 0, c as u16, t);
    }
    text(ws, 1, 0, "申请专利");
    ws.write_number(1, 2, 3.0).unwrap();
    let mut other = Workbook::new();
    text(other.add_worksheet(), 0, 0, "会议通知");
    let ws = Workspace::new();
    put(&ws, "附件2.xlsx", &wb.save_to_buffer().unwrap());
    put(&ws, "附件3.xlsx", &other.save_to_buffer().unwrap());
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    assert_eq!(disposition(&r, "附件2.xlsx").0, "rejected");
    assert_eq!(disposition(&r, "附件3.xlsx").0, "rejected");
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "附件2.xlsx" || f["file"] == "附件3.xlsx")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"UNKNOWN_UNIT"), "{codes:?}");
    assert!(codes.contains(&"NOT_A_RETURN"), "{codes:?}");
}

/// 市发展改革委 reports only progress, in its own table: the task titles numbered its own way, 填报单位： in one cell
/// and the name in the next, a heading over the header, no figure column at all.
#[test]
fn a_progress_only_table_is_matched_by_task_titles() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("发改委").unwrap();
    text(ws, 0, 0, "2020年十月份创新助力拓存创增重点工作推进情况");
    text(ws, 1, 0, "填报单位：");
    text(ws, 1, 1, "定西市发展和改革委员会");
    for (c, t) in ["序号", "重点任务", "工作进展", "备注"].iter().enumerate() {
        text(ws, 2, c as u16, t);
    }
    let rows = [
        (
            "1",
            "（一）加快定西省级高新技术产业开发区建设",
            "配合开展园区规划",
        ),
        ("2", "（三）积极融入“丝绸之路信息港”建设", "推进数据共享"),
        ("3", "（八）加快推进科技成果转化", "组织项目申报"),
    ];
    for (i, (n, task, progress)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        text(ws, r, 0, n);
        text(ws, r, 1, task);
        text(ws, r, 2, progress);
    }
    text(ws, 7, 0, "审核人：李四");
    let ws = Workspace::new();
    put(&ws, "附件1.xlsx", &wb.save_to_buffer().unwrap());
    ws.ok(&["run", "--period", "2020-10"]);
    let r = report(&ws);
    assert_eq!(
        disposition(&r, "附件1.xlsx"),
        ("accepted".into(), "fgw".into(), "2020-10".into())
    );
    assert_eq!(progress(&r, "fgw", "T2.1-N"), "配合开展园区规划");
    assert_eq!(progress(&r, "fgw", "T2.3-N"), "推进数据共享");
    assert_eq!(progress(&r, "fgw", "T2.8-N"), "组织项目申报");
    assert!(has(&r, "fgw", "MATCHED_BY_TEXT", "T2.3-N", "B5"));
    assert!(
        !findings_of(&r, "fgw")
            .iter()
            .any(|(c, _, _)| c == "UNKNOWN_INDICATOR" || c == "PERIOD_ASSUMED"),
        "{:?}",
        findings_of(&r, "fgw")
    );
}

/// A September table that arrives during October: its columns are titled 9月当月 and 1-9月累计, so it is
/// September's return and waits in the inbox for September's run, where it is read.
#[test]
fn a_table_titled_for_another_month_waits_for_that_month() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    text(ws, 0, 0, "市场监管局知识产权工作进展");
    for (c, t) in ["指标", "9月当月", "1-9月累计"].iter().enumerate() {
        text(ws, 1, c as u16, t);
    }
    text(ws, 2, 0, "申请专利");
    ws.write_number(2, 1, 4.0).unwrap();
    ws.write_number(2, 2, 70.0).unwrap();
    let ws = Workspace::new();
    put(&ws, "市市场监管局.xlsx", &wb.save_to_buffer().unwrap());
    ws.ok(&["run", "--period", "2020-10"]);
    assert_eq!(
        disposition(&report(&ws), "市市场监管局.xlsx"),
        ("other_period".into(), "scjgj".into(), "2020-09".into())
    );
    ws.ok(&["run", "--period", "2020-09"]);
    let text = std::fs::read_to_string(ws.path().join("outbox/2020-09/report.json")).unwrap();
    let r: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(reading(&r, "scjgj", "T2.4-01").0, Some(4.0));
    assert_eq!(reading(&r, "scjgj", "T2.4-01").1, Some(70.0));
}
