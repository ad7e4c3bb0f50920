//! Draws each unit's feedback workbook: its return again with every flagged cell filled and noted, and the list
//! of what to fix.

use rust_xlsxwriter::{Note, Workbook, Worksheet, XlsxError};

use super::model::{Codes, Disposition, Lookup, Report};
use crate::finding::{Finding, Severity};
use crate::forms::{HEADERS, col};
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::Unit;
use crate::settings::Settings;
use crate::style::{self, Styles, Text};
use crate::validate::Reading;

/// The feedback file name: `<period>_<unit code>_<unit name>_反馈.xlsx`.
pub fn file_name(period: Period, unit: &Unit) -> String {
    format!("{period}_{}_{}_反馈.xlsx", unit.code, unit.name)
}

/// The date a corrected return is due.
pub fn correction_deadline(period: Period, settings: &Settings) -> String {
    let next = period.next();
    format!(
        "{}年{}月{}日",
        next.year, next.month, settings.correction_day
    )
}

/// The units that get feedback: those whose return was used or rejected.
pub fn recipients<'a>(report: &Report, catalogue: &'a Catalogue) -> Vec<&'a Unit> {
    let heard_from: std::collections::HashSet<&str> = report
        .units
        .iter()
        .filter(|s| s.status != "missing")
        .map(|s| s.code.as_str())
        .collect();
    catalogue
        .reporting_units()
        .filter(|u| heard_from.contains(u.code.as_str()))
        .collect()
}

/// What a feedback workbook's first sheet says, and whether the workbook is that sheet alone.
pub struct Cover {
    /// The sheet's title, in its first row.
    pub title: String,
    /// The lines under it, a row each from the third.
    pub lines: Vec<String>,
    /// No other sheet follows: the unit has no findings.
    pub alone: bool,
}

/// The width of the cover's one column, in characters.
pub const COVER_WIDTH: f64 = 100.0;

/// What one unit's feedback says on its first sheet.
pub fn cover(
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    unit: &Unit,
) -> Cover {
    let mine: &[&Finding] = lookup.unit_findings(&unit.code);
    let serious = mine.iter().filter(|f| f.severity != Severity::Info).count();
    let rejected = lookup.unit_files(&unit.code, Disposition::Rejected);
    let used = lookup.unit_file(&unit.code, Disposition::Accepted);
    let mut lines = vec![format!(
        "填报单位：{}　报告期：{}",
        unit.name,
        period.chinese()
    )];
    match used {
        Some(f) if serious == 0 => lines.push(format!(
            "经核对，贵单位报送的“{}”未发现需要更正的问题，已纳入汇总。谢谢！",
            f.name
        )),
        Some(f) => {
            let errors = mine
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            // Findings may concern another file the unit sent: say which file was used, and each other one.
            lines.push(format!(
                "贵单位{}的报表已采用“{}”，经核对发现{}个问题（其中错误{}个，须更正；警告{}个，请核实），已在“进展填报”工作表中用红色（错误）和黄色（警告）标出，鼠标移到单元格上可看到说明，详见“问题清单”（每个问题注明所在文件）。",
                period.chinese(),
                f.name,
                serious,
                errors,
                serious - errors
            ));
            for r in &rejected {
                lines.push(format!("另报送的“{}”无法使用：{}", r.name, r.reason));
            }
            lines.push(format!(
                "请在原报表上更正后，于{}前重新报送（文件名可不变）。",
                correction_deadline(period, settings)
            ));
        }
        None => {
            for f in &rejected {
                lines.push(format!("贵单位报送的“{}”无法使用：{}", f.name, f.reason));
            }
            lines.push(format!(
                "请使用下发的填报表模板（{}）填写，保存为.xlsx文件，于{}前重新报送。",
                crate::forms::file_name(period, unit),
                correction_deadline(period, settings)
            ));
        }
    }
    lines.push(format!("联系单位：{}", catalogue.plan.office));
    Cover {
        title: format!("{}：{}进展情况报表反馈", unit.name, period.chinese()),
        lines,
        alone: mine.is_empty(),
    }
}

/// A workbook of the cover sheet alone, the first of a feedback workbook; `plan` is the plan's title.
pub fn cover_book(cover: &Cover, plan: &str, period: Period) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&crate::output::properties(plan, period)?);
    let st = Styles::new();
    let ws = wb.add_worksheet();
    ws.set_name("反馈说明")?;
    ws.set_column_width(0, COVER_WIDTH)?;
    ws.text_with(0, 0, &cover.title, &st.title)?;
    for (i, l) in cover.lines.iter().enumerate() {
        style::fit_row(ws, 2 + i as u32, &[(l, COVER_WIDTH)])?;
        ws.text_with(
            2 + i as u32,
            0,
            l,
            &st.wrap
                .clone()
                .set_border(rust_xlsxwriter::FormatBorder::None),
        )?;
    }
    Ok(wb)
}

/// Draws one unit's feedback workbook from its cover.
pub fn build(
    cover: &Cover,
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    period: Period,
    unit: &Unit,
) -> Result<Workbook, XlsxError> {
    let mut wb = cover_book(cover, &catalogue.plan.title, period)?;
    let st = Styles::new();
    let mine: &[&Finding] = lookup.unit_findings(&unit.code);
    let serious = mine.iter().filter(|f| f.severity != Severity::Info).count();
    let used = lookup.unit_file(&unit.code, Disposition::Accepted);
    // A return with nothing to fix gets only the short confirmation, not a copy of itself.
    if used.is_some() && serious > 0 {
        redraw(wb.add_worksheet(), lookup, catalogue, unit, mine, &st)?;
    }
    if !mine.is_empty() {
        list(wb.add_worksheet(), mine, &st)?;
    }
    Ok(wb)
}

/// The unit's return drawn again in the form's layout, with the figures as read.
fn redraw(
    ws: &mut Worksheet,
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    unit: &Unit,
    mine: &[&Finding],
    st: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name("进展填报")?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    style::columns(ws, &[12.0, 26.0, 40.0, 9.0, 11.0, 11.0, 11.0, 36.0, 24.0])?;
    style::header_row(ws, 0, &HEADERS, &st.header)?;
    let rows = catalogue.rows_for(&unit.code);
    let codes: Vec<String> = rows.iter().map(|row| row.code()).collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let readings = lookup.unit_readings(&unit.code, &Codes::new(&refs));
    for (i, ((row, code), reading)) in rows.iter().zip(codes).zip(readings).enumerate() {
        let r = 1 + i as u32;
        let unit_of_measure = row.indicator.map_or("", |ind| ind.unit.as_str());
        let num = st.number_for(unit_of_measure);
        let texts = [
            (col::CODE, code.clone()),
            (col::TASK, format!("{} {}", row.task.code, row.task.title)),
            (col::TEXT, row.text()),
            (col::UNIT, unit_of_measure.to_string()),
            (col::TARGET, row.target_text()),
        ];
        for (c, t) in &texts {
            ws.text_with(r, *c, t, &st.wrap)?;
        }
        let shown = |v: Option<f64>| v.map(|v| crate::display::round(v, unit_of_measure));
        style::maybe_number(ws, r, col::MONTH, shown(reading.and_then(|x| x.month)), num)?;
        style::maybe_number(
            ws,
            r,
            col::CUMULATIVE,
            shown(reading.and_then(|x| x.cumulative)),
            num,
        )?;
        let progress = reading.map_or(String::new(), |x| {
            x.state
                .map_or(x.progress.clone(), |s| s.chinese().to_string())
        });
        ws.text_with(r, col::PROGRESS, &progress, &st.wrap)?;
        ws.text_with(
            r,
            col::REMARK,
            reading.map_or("", |x| x.remark.as_str()),
            &st.wrap,
        )?;
        style::fit_row(
            ws,
            r,
            &[(&texts[1].1, 26.0), (&texts[2].1, 40.0), (&progress, 36.0)],
        )?;
        let mut flagged: Vec<(u16, &Finding)> = mine
            .iter()
            .filter(|f| f.indicator == code && f.severity != Severity::Info)
            .map(|f| (field_of(f, reading), *f))
            .collect();
        flagged.sort_by_key(|(c, f)| (*c, f.severity));
        let mut done: Vec<u16> = Vec::new();
        for (c, f) in flagged {
            if done.contains(&c) {
                continue;
            }
            done.push(c);
            let fill = if f.severity == Severity::Error {
                &st.red
            } else {
                &st.amber
            };
            let text = match c {
                col::MONTH => shown(reading.and_then(|x| x.month)),
                col::CUMULATIVE => shown(reading.and_then(|x| x.cumulative)),
                _ => None,
            };
            match (c, text) {
                (col::MONTH | col::CUMULATIVE, Some(v)) => {
                    ws.write_number_with_format(r, c, v, fill)?
                }
                (col::MONTH | col::CUMULATIVE, None) => ws.text_with(r, c, &f.actual, fill)?,
                _ => {
                    let current = texts
                        .iter()
                        .find(|(k, _)| *k == c)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_else(|| {
                            if c == col::PROGRESS {
                                progress.clone()
                            } else {
                                String::new()
                            }
                        });
                    ws.text_with(r, c, &current, fill)?
                }
            };
            let mut all: Vec<String> = mine
                .iter()
                .filter(|g| {
                    g.indicator == code && g.severity != Severity::Info && field_of(g, reading) == c
                })
                .map(|g| format!("【{}】{}", g.severity.chinese(), g.message))
                .collect();
            all.extend(source(reading, c, text));
            ws.insert_note(
                r,
                c,
                &Note::new(style::fit(&all.join("\n"), style::NOTE_MAX))
                    .set_author("huizong")
                    .add_author_prefix(false),
            )?;
        }
        // Every figure taken says where in the unit's own file it was read.
        for c in [col::MONTH, col::CUMULATIVE] {
            let value = match c {
                col::MONTH => reading.and_then(|x| x.month),
                _ => reading.and_then(|x| x.cumulative),
            };
            if let Some(line) = source(reading, c, value).filter(|_| !done.contains(&c)) {
                ws.insert_note(
                    r,
                    c,
                    &Note::new(style::fit(&line, style::NOTE_MAX))
                        .set_author("huizong")
                        .add_author_prefix(false),
                )?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Where a figure taken was read: 取自工作表“10月”的G6单元格.
fn source(reading: Option<&Reading>, c: u16, value: Option<f64>) -> Option<String> {
    let r = reading?;
    value?;
    let cell = if c == col::MONTH {
        &r.month_cell
    } else {
        &r.cumulative_cell
    };
    (!cell.is_empty()).then(|| format!("取自工作表“{}”的{cell}单元格", r.sheet))
}

/// Which column of the form a finding belongs to, by the cell it names in the original file.
fn field_of(f: &Finding, reading: Option<&Reading>) -> u16 {
    match reading {
        Some(r) if !f.cell.is_empty() && f.cell == r.month_cell => col::MONTH,
        Some(r) if !f.cell.is_empty() && f.cell == r.cumulative_cell => col::CUMULATIVE,
        Some(r) if !f.cell.is_empty() && f.cell == r.progress_cell => col::PROGRESS,
        _ if f.code == crate::finding::Code::TargetAltered => col::TARGET,
        _ => col::CODE,
    }
}

fn list(ws: &mut Worksheet, mine: &[&Finding], st: &Styles) -> Result<(), XlsxError> {
    ws.set_name("问题清单")?;
    let headers = [
        "严重程度",
        "问题代码",
        "指标编码",
        "原表单元格",
        "问题说明及更正要求",
        "应为",
        "实为",
        "所在文件",
    ];
    style::columns(ws, &[9.0, 26.0, 11.0, 10.0, 70.0, 14.0, 14.0, 30.0])?;
    style::header_row(ws, 0, &headers, &st.header)?;
    let mut sorted = mine.to_vec();
    sorted.sort_by(|a, b| {
        (a.severity, &a.indicator, &a.cell).cmp(&(b.severity, &b.indicator, &b.cell))
    });
    for (n, f) in sorted.iter().enumerate() {
        let r = 1 + n as u32;
        ws.text_with(r, 0, f.severity.chinese(), st.severity(f.severity))?;
        ws.text_with(r, 1, f.code.name(), &st.cell)?;
        // A file-level finding has no indicator or cell: a dash says so rather than a blank that looks missed.
        let or_dash = |s: &str| {
            if s.is_empty() {
                "—".to_string()
            } else {
                s.to_string()
            }
        };
        ws.text_with(r, 2, or_dash(&f.indicator), &st.cell)?;
        ws.text_with(r, 3, or_dash(&f.cell), &st.cell)?;
        ws.text_with(r, 4, &f.message, &st.wrap)?;
        ws.text_with(r, 5, or_dash(&f.expected), &st.wrap)?;
        ws.text_with(r, 6, or_dash(&f.actual), &st.wrap)?;
        ws.text_with(r, 7, or_dash(&f.file), &st.wrap)?;
        style::fit_row(ws, r, &[(&f.message, 70.0)])?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, sorted.len() as u32, (headers.len() - 1) as u16)?;
    Ok(())
}
