//! Blank return workbooks, one per reporting unit.
//!
//! The layout written here is the contract that `ingest` reads back: the header names, the `_meta` keys and the
//! `填报单位：… 报告期：…` line are defined once in this file.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet,
};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::{IndicatorKind, ReportRow, RowRole, Unit};
use crate::settings::Settings;
use crate::style::Text;

/// Version of the form layout, written into `_meta`.
pub const FORM_VERSION: &str = "1";
/// Name of the data sheet.
pub const DATA_SHEET: &str = "进展填报";
/// Name of the instructions sheet.
pub const GUIDE_SHEET: &str = "填报说明";
/// Name of the hidden identification sheet.
pub const META_SHEET: &str = "_meta";

/// The header row of the data sheet, in order.
pub const HEADERS: [&str; 9] = [
    "指标编码",
    "重点任务",
    "指标",
    "计量单位",
    "年度目标",
    "本月完成",
    "累计完成",
    "进展情况",
    "备注",
];

/// The statuses a milestone row may take.
pub const MILESTONE_STATES: [&str; 3] = ["未启动", "推进中", "已完成"];

/// Column indices of the header, by meaning.
pub mod col {
    /// 指标编码
    pub const CODE: u16 = 0;
    /// 重点任务
    pub const TASK: u16 = 1;
    /// 指标
    pub const TEXT: u16 = 2;
    /// 计量单位
    pub const UNIT: u16 = 3;
    /// 年度目标
    pub const TARGET: u16 = 4;
    /// 本月完成
    pub const MONTH: u16 = 5;
    /// 累计完成
    pub const CUMULATIVE: u16 = 6;
    /// 进展情况
    pub const PROGRESS: u16 = 7;
    /// 备注
    pub const REMARK: u16 = 8;
}

/// Row (0-based) of the header on a fresh form.
pub const HEADER_ROW: u32 = 2;

/// The identification line written under the title.
pub fn unit_line(unit_name: &str, period: Period) -> String {
    format!("填报单位：{unit_name}    报告期：{}", period.chinese())
}

/// Checksum of the rows a unit reports: changes whenever the plan changes what the unit reports.
pub fn rows_checksum(rows: &[ReportRow<'_>]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        h.update(r.code().as_bytes());
        h.update(b"\x1f");
        h.update(r.text().as_bytes());
        h.update(b"\x1e");
    }
    output::hex(&h.finalize())[..16].to_string()
}

/// The file name of a unit's form: `<period>_<code>_<name>.xlsx`.
pub fn file_name(period: Period, unit: &Unit) -> String {
    format!("{period}_{}_{}.xlsx", unit.code, unit.name)
}

/// The day returns for `period` are due: `deadline_day` of the following month.
pub fn deadline(period: Period, settings: &Settings) -> String {
    let next = period.next();
    format!("{}年{}月{}日", next.year, next.month, settings.deadline_day)
}

/// Writes every reporting unit's blank form into `dir`; returns the paths written.
pub fn write_all(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    catalogue
        .reporting_units()
        .map(|unit| {
            let path = dir.join(file_name(period, unit));
            let mut wb =
                build(catalogue, settings, period, unit).map_err(output::xlsx_err(&path))?;
            output::save_workbook(&mut wb, &path)?;
            Ok(path)
        })
        .collect()
}

/// Builds one unit's blank form.
pub fn build(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    unit: &Unit,
) -> Result<Workbook, rust_xlsxwriter::XlsxError> {
    let rows = catalogue.rows_for(&unit.code);
    let mut wb = Workbook::new();
    wb.set_properties(&output::properties(&catalogue.plan.title, period)?);
    write_guide(wb.add_worksheet(), catalogue, settings, period, unit)?;
    write_data(wb.add_worksheet(), catalogue, period, unit, &rows)?;
    let meta = wb.add_worksheet();
    meta.set_name(META_SHEET)?.set_hidden(true);
    let pairs = [
        ("form_version", FORM_VERSION.to_string()),
        ("plan_id", catalogue.plan.id.clone()),
        ("unit_code", unit.code.clone()),
        ("unit_name", unit.name.clone()),
        ("period", period.to_string()),
        ("rows_checksum", rows_checksum(&rows)),
    ];
    for (i, (k, v)) in pairs.iter().enumerate() {
        // Whole or not at all: a cut value would identify the return wrongly.
        meta.write_string(i as u32, 0, *k)?;
        meta.write_string(i as u32, 1, v)?;
    }
    Ok(wb)
}

fn write_guide(
    ws: &mut Worksheet,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    unit: &Unit,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.set_name(GUIDE_SHEET)?;
    ws.set_column_width(0, 100)?;
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.text_with(
        0,
        0,
        format!(
            "{}：{}进展情况填报说明",
            catalogue.plan.title,
            period.chinese()
        ),
        &title,
    )?;
    let lines = [
        format!("填报单位：{}", unit.name),
        format!("报告期：{}；报送截止时间：{}。", period.chinese(), deadline(period, settings)),
        "请在“进展填报”工作表中填写，只需填写“本月完成”“累计完成”“进展情况”“备注”四列，其余各列请勿修改，也请勿增删行或改动“指标编码”。".to_string(),
        "本月完成：本月新增的数量；累计完成：自年初至本月末的累计数。两者都只填数字，单位见“计量单位”列，不要把单位写进单元格。".to_string(),
        "金额以“亿元”为单位的，请换算成亿元后填写（例如1300万元填0.13）。".to_string(),
        "比重（%）请填写百分数的数值，例如80%填80，不要填0.8。".to_string(),
        "标有“（本县区）”的指标，请填写本县区的数字，不要填写全市数字；全市数字由牵头单位填写。".to_string(),
        "节点性目标请在“进展情况”中选择“未启动”“推进中”或“已完成”，并在“备注”中简述进展。".to_string(),
        "“工作进展情况”一行请用文字简述本单位承担工作的进展。".to_string(),
        format!("联系单位：{}。填报后请保存为Excel文件，通过电子邮件报送，文件可以改名。", catalogue.plan.office),
    ];
    for (i, line) in lines.iter().enumerate() {
        ws.text_with(i as u32 + 2, 0, line, &wrap)?;
    }
    ws.protect();
    Ok(())
}

fn write_data(
    ws: &mut Worksheet,
    catalogue: &Catalogue,
    period: Period,
    unit: &Unit,
    rows: &[ReportRow<'_>],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.set_name(DATA_SHEET)?.set_active(true);
    let border = |f: Format| {
        f.set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
    };
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let header = border(
        Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_align(FormatAlign::Center),
    );
    let locked = border(Format::new().set_background_color(Color::RGB(0xF2F2F2)));
    let open = border(Format::new().set_unlocked());
    let open_money = border(Format::new().set_unlocked().set_num_format("0.00"));

    let widths = [12.0, 26.0, 40.0, 9.0, 11.0, 11.0, 11.0, 36.0, 24.0];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let last = (HEADERS.len() - 1) as u16;
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("{}进展情况报表", catalogue.plan.title),
        &title,
    )?;
    ws.merge_range(
        1,
        0,
        1,
        last,
        &unit_line(&unit.name, period),
        &Format::new(),
    )?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.text_with(HEADER_ROW, c as u16, *h, &header)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;

    for (i, row) in rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + i as u32;
        let task = format!("{} {}", row.task.code, row.task.title);
        let unit_of_measure = row.indicator.map(|ind| ind.unit.as_str()).unwrap_or("");
        let cells = [
            row.code(),
            task,
            row.text(),
            unit_of_measure.to_string(),
            row.target_text(),
        ];
        crate::style::fit_row(ws, r, &[(&cells[1], widths[1]), (&cells[2], widths[2])])?;
        for (c, text) in cells.iter().enumerate() {
            ws.text_with(r, c as u16, text, &locked)?;
        }
        let numeric = row.indicator.is_some_and(|ind| ind.kind.is_numeric());
        let money = unit_of_measure == "亿元";
        for c in [col::MONTH, col::CUMULATIVE] {
            ws.write_blank(r, c, if money { &open_money } else { &open })?;
        }
        ws.write_blank(r, col::PROGRESS, &open)?;
        ws.write_blank(r, col::REMARK, &open)?;
        if numeric {
            let message = match row.indicator.map(|i| i.kind) {
                Some(IndicatorKind::Share) => "请填写百分数的数值，例如80%填80。".to_string(),
                _ => format!("请只填写数字，单位：{unit_of_measure}。"),
            };
            let dv = DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                .set_input_title(format!("单位：{unit_of_measure}"))?
                .set_input_message(message)?
                .set_error_message("请填写大于或等于0的数字，不要写单位或文字。")?;
            ws.add_data_validation(r, col::MONTH, r, col::CUMULATIVE, &dv)?;
        }
        if row.role != RowRole::Narrative && !numeric {
            let dv = DataValidation::new()
                .allow_list_strings(&MILESTONE_STATES)?
                .set_input_message("请选择：未启动、推进中或已完成；进展请写在“备注”中。")?;
            ws.add_data_validation(r, col::PROGRESS, r, col::PROGRESS, &dv)?;
        }
    }
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    ws.protect();
    Ok(())
}
