//! Draws the consolidated workbook `<plan>_汇总_<period>.xlsx` from the report model. Values only, no formulas.

use std::collections::HashMap;
use std::path::Path;

use rust_xlsxwriter::{
    Chart, ChartType, Color, ConditionalFormatDataBar, Url, Workbook, Worksheet, XlsxError,
};

use jiff::tz::Offset;

use super::model::{Codes, Disposition, IndicatorStatus, Lookup, Report};
use super::{county_rows, long_sheet, submission_rows};
use crate::display;
use crate::error::Error;
use crate::finding::Severity;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::style::{self, Styles, Text};
use crate::validate::{Reading, Role, UnitFigures};

/// The consolidated workbook's file name.
pub fn file_name(catalogue: &Catalogue, period: Period) -> String {
    format!("{}_汇总_{period}.xlsx", catalogue.plan.id)
}

/// Chinese words for indicator statuses.
pub fn status_word(status: &str) -> &'static str {
    match status {
        "met" => "已完成目标",
        "on_track" => "正常推进",
        "below_target" => "低于目标",
        "unconfirmed" => "待核实",
        "behind" => "进度滞后",
        "not_reported" => "未报送",
        "done" => "已完成",
        "in_progress" => "推进中",
        "not_started" => "未启动",
        "overdue" => "逾期未完成",
        "no_baseline" => "待填上年基数",
        _ => "",
    }
}

/// An indicator's status as the sheet shows it: the word, with the gap where it is short.
pub fn status_text(i: &IndicatorStatus) -> String {
    let word = status_word(&i.status);
    match i.gap {
        Some(g) if g > 0.0 => {
            let unit = if i.unit == "%" {
                "个百分点"
            } else {
                i.unit.as_str()
            };
            format!("{word}（差{}{unit}）", display::figure(g, &i.unit))
        }
        _ => word.to_string(),
    }
}

/// A figure as its cell holds it: rounded to the decimals its unit shows.
fn shown(v: Option<f64>, unit: &str) -> Option<f64> {
    v.map(|v| display::round(v, unit))
}

/// Draws the whole workbook and renders it to bytes; times are written in the plan's time zone `tz`, and the
/// long sheet's pieces taken from and kept in `pieces` (see [`long_sheet`]). `path` is where it will be written,
/// for errors.
pub fn render(
    report: &Report,
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    period: Period,
    tz: Offset,
    path: &Path,
    pieces: Pieces<'_>,
) -> Result<Vec<u8>, Error> {
    let long = Long {
        rows: LONG_ROWS,
        pieces,
    };
    render_rows(report, lookup, catalogue, period, tz, path, long)
}

/// Where the long sheets' and 分县区's pieces are kept, and the report's figures by unit (sorted by unit) that
/// name most of the long sheet's pieces.
pub struct Pieces<'a> {
    /// The store.
    pub store: &'a dyn long_sheet::Store,
    /// Each unit's figures, by their hash.
    pub figures: &'a [UnitFigures],
}

/// How the long sheets are drawn: the rows each takes under its header (Excel's limit, or a few in a test), and
/// where their pieces are kept.
struct Long<'a> {
    rows: usize,
    pieces: Pieces<'a>,
}

/// [`render`] with the long sheets (明细数据 and 问题清单) drawn as `long` says.
fn render_rows(
    report: &Report,
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    period: Period,
    tz: Offset,
    path: &Path,
    long: Long<'_>,
) -> Result<Vec<u8>, Error> {
    let Long {
        rows,
        pieces: Pieces { store, figures },
    } = long;
    // A sheet holds 1,048,576 rows: past that (26,000 units of 40 figures) the figures go on in a second sheet.
    let chunks: Vec<&[Reading]> = if report.readings.is_empty() {
        vec![&[]]
    } else {
        report.readings.chunks(rows).collect()
    };
    let level = u32::from(crate::output::ZIP_LEVEL);
    // The long sheet's rows are most of the drawing: they are deflated while the other sheets are drawn.
    let (drawn, deflated) = rayon::join(
        || -> Result<_, Error> {
            let (mut wb, parts, inserts) = build_rows(
                report, lookup, catalogue, figures, period, tz, rows, &chunks,
            )
            .map_err(crate::output::xlsx_err(path))?;
            Ok((crate::output::render(&mut wb, path)?, parts, inserts))
        },
        || long_sheet::deflate_rows(&chunks, catalogue, level, store, figures),
    );
    let (bytes, parts, inserts) = drawn?;
    let spliced = deflated.and_then(|deflated| {
        long_sheet::splice(&bytes, &parts, deflated, &inserts, catalogue, level, store)
    });
    spliced.map_err(|e| Error::Workbook {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The workbook with its long sheets' headers, and the rows to put under them.
#[allow(clippy::too_many_arguments)]
fn build_rows<'a>(
    report: &'a Report,
    lookup: &'a Lookup<'_>,
    catalogue: &'a Catalogue,
    figures: &'a [UnitFigures],
    period: Period,
    tz: Offset,
    rows: usize,
    chunks: &[&'a [Reading]],
) -> Result<(Workbook, Vec<long_sheet::Part<'a>>, long_sheet::Inserts<'a>), XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&crate::output::properties(&catalogue.plan.title, period)?);
    let st = Styles::new();
    st.register(&mut wb);
    let mut sheets: [Worksheet; 6] = std::array::from_fn(|_| Worksheet::new());
    // Each sheet is filled on its own, on whichever core is free: a worksheet takes its formats' indices only
    // when the workbook is saved, so the bytes do not depend on which finishes first.
    let mut filled: [Result<(), XlsxError>; 6] = std::array::from_fn(|_| Ok(()));
    let mut county = Ok(county_rows::Rows::none());
    let mut submitted = Ok(submission_rows::Rows::none());
    {
        let [o, i, c, f, s, t] = &mut sheets;
        let [r0, r1, _, r3, _, r5] = &mut filled;
        let (st, county, submitted) = (&st, &mut county, &mut submitted);
        rayon::scope(|scope| {
            scope.spawn(|_| *r0 = overview(o, report, lookup, catalogue, period, tz, st));
            scope.spawn(|_| *r1 = indicators(i, report, catalogue, st));
            scope.spawn(|_| *county = counties(c, report, lookup, catalogue, figures, st));
            scope.spawn(|_| *r3 = findings(f, report, catalogue, st, rows));
            scope.spawn(|_| *submitted = submissions(s, report, lookup, tz, st));
            scope.spawn(|_| *r5 = trend(t, report, st));
        });
    }
    filled.into_iter().collect::<Result<(), XlsxError>>()?;
    // 分县区 is the third sheet, 报送情况 the fifth.
    let mut county = county?;
    county.entry = "xl/worksheets/sheet3.xml".to_string();
    let mut submitted = submitted?;
    submitted.entry = "xl/worksheets/sheet5.xml".to_string();
    let first = sheets.len() + 1;
    for ws in sheets {
        wb.push_worksheet(ws);
    }
    let mut parts = Vec::with_capacity(chunks.len());
    for (n, &readings) in chunks.iter().enumerate() {
        let name = match n {
            0 => "明细数据".to_string(),
            _ => format!("明细数据{}", n + 1),
        };
        let mut ws = Worksheet::new();
        details(&mut ws, &name, readings.len(), &st)?;
        wb.push_worksheet(ws);
        // rust_xlsxwriter names sheet files by their place in the workbook.
        parts.push(long_sheet::Part {
            entry: format!("xl/worksheets/sheet{}.xml", first + n),
            readings,
        });
    }
    let inserts = long_sheet::Inserts {
        county,
        submissions: submitted,
    };
    Ok((wb, parts, inserts))
}

fn unit_name<'a>(catalogue: &'a Catalogue, code: &'a str) -> &'a str {
    catalogue.unit(code).map_or(code, |u| u.name.as_str())
}

/// Newest received time of the returns used: the workbook's "as of", stable across re-runs.
fn as_of(report: &Report, tz: Offset) -> String {
    report
        .files
        .iter()
        .filter(|f| f.disposition == Disposition::Accepted)
        .filter_map(|f| f.received.parse::<jiff::Timestamp>().ok())
        .max()
        .map(|t| display::time(t, tz))
        .unwrap_or_else(|| "—".to_string())
}

fn overview(
    ws: &mut Worksheet,
    report: &Report,
    lookup: &Lookup<'_>,
    catalogue: &Catalogue,
    period: Period,
    tz: Offset,
    st: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name("总览")?;
    let headers = [
        "任务",
        "重点任务",
        "牵头单位",
        "正常/完成",
        "滞后",
        "未报送",
        "总体状态",
        "平均进度",
    ];
    let widths = [7.0, 44.0, 32.0, 10.0, 7.0, 8.0, 10.0, 12.0];
    style::columns(ws, &widths)?;
    ws.merge_range(
        0,
        0,
        0,
        7,
        &format!("{}进展情况汇总", catalogue.plan.title),
        &st.title,
    )?;
    let received = report
        .units
        .iter()
        .filter(|u| u.status == "on_time" || u.status == "late")
        .count();
    let missing = report
        .units
        .iter()
        .filter(|u| u.status == "missing")
        .count();
    let rejected = report
        .units
        .iter()
        .filter(|u| u.status == "rejected")
        .count();
    let late = report.units.iter().filter(|u| u.status == "late").count();
    let line = format!(
        "报告期：{}　应报{}家，已报{}家，逾期{}家，未报{}家，退回{}家　数据截至：{}",
        period.chinese(),
        report.units.len(),
        received,
        late,
        missing,
        rejected,
        as_of(report, tz)
    );
    ws.merge_range(1, 0, 1, 7, &line, &st.plain)?;
    let top = 3;
    style::header_row(ws, top, &headers, &st.header)?;
    let mut by_task: HashMap<&str, Vec<&super::model::IndicatorStatus>> = HashMap::new();
    for i in &report.indicators {
        by_task.entry(i.task.as_str()).or_default().push(i);
    }
    for (n, task) in catalogue.tasks.iter().enumerate() {
        let r = top + 1 + n as u32;
        let list = by_task.get(task.code.as_str()).cloned().unwrap_or_default();
        let ok = list
            .iter()
            .filter(|i| {
                matches!(
                    i.status.as_str(),
                    "met" | "on_track" | "done" | "in_progress"
                )
            })
            .count();
        let behind = list
            .iter()
            .filter(|i| matches!(i.status.as_str(), "behind" | "overdue" | "not_started"))
            .count();
        let absent = list.iter().filter(|i| i.status == "not_reported").count();
        let doubtful = list
            .iter()
            .filter(|i| matches!(i.status.as_str(), "unconfirmed" | "below_target"))
            .count();
        let progress: Vec<f64> = list
            .iter()
            .filter_map(|i| i.progress)
            .map(|p| p.min(1.5))
            .collect();
        let worst = list
            .iter()
            .flat_map(|i| lookup.indicator_findings(&i.code))
            .map(|f| f.severity)
            .min();
        let (word, fill) = if behind > 0 {
            ("滞后", &st.red)
        } else if worst == Some(Severity::Error) {
            ("有错误", &st.red)
        } else if absent + doubtful > 0 || worst == Some(Severity::Warning) {
            ("需核实", &st.amber)
        } else {
            ("正常", &st.green)
        };
        ws.text_with(r, 0, &task.code, &st.cell)?;
        ws.text_with(r, 1, &task.title, &st.wrap)?;
        ws.text_with(r, 2, unit_name(catalogue, &task.units[0]), &st.cell)?;
        ws.write_number_with_format(r, 3, ok as f64, &st.cell)?;
        ws.write_number_with_format(r, 4, behind as f64, &st.cell)?;
        ws.write_number_with_format(r, 5, absent as f64, &st.cell)?;
        ws.text_with(r, 6, word, fill)?;
        if progress.is_empty() {
            ws.text_with(r, 7, "—", &st.cell)?;
        } else {
            ws.write_number_with_format(
                r,
                7,
                display::percent_value(progress.iter().sum::<f64>() / progress.len() as f64),
                &st.percent,
            )?;
        }
    }
    let last = top + catalogue.tasks.len() as u32;
    ws.add_conditional_format(
        top + 1,
        7,
        last,
        7,
        &ConditionalFormatDataBar::new().set_fill_color(Color::RGB(0x5B9BD5)),
    )?;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_categories(("总览", top + 1, 0, last, 0))
        .set_values(("总览", top + 1, 7, last, 7))
        .set_name("平均进度");
    chart
        .title()
        .set_name("各项任务平均进度（累计完成/年度目标）");
    chart
        .x_axis()
        .set_name("进度")
        .set_num_format("0%")
        .set_label_interval(1);
    chart
        .y_axis()
        .set_name("任务")
        .set_reverse()
        .set_label_interval(1);
    chart.legend().set_hidden();
    chart.set_width(900).set_height(400);
    ws.insert_chart(last + 2, 0, &chart)?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 1);
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(())
}

fn indicators(
    ws: &mut Worksheet,
    report: &Report,
    catalogue: &Catalogue,
    st: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name("指标汇总")?;
    let headers = [
        "任务",
        "指标编码",
        "指标",
        "计量单位",
        "年度目标",
        "应完成(按时序)",
        "牵头单位",
        "全市累计",
        "县区合计",
        "完成进度",
        "状态",
        "问题数",
    ];
    style::columns(
        ws,
        &[
            7.0, 11.0, 40.0, 9.0, 10.0, 12.0, 20.0, 11.0, 11.0, 10.0, 11.0, 8.0,
        ],
    )?;
    style::header_row(ws, 0, &headers, &st.header)?;
    for (n, i) in report.indicators.iter().enumerate() {
        let r = 1 + n as u32;
        let num = st.number_for(&i.unit);
        ws.text_with(r, 0, &i.task, &st.cell)?;
        ws.text_with(r, 1, &i.code, &st.cell)?;
        ws.text_with(r, 2, &i.text, &st.wrap)?;
        ws.text_with(r, 3, &i.unit, &st.cell)?;
        ws.text_with(r, 4, &i.target_display, &st.cell)?;
        style::maybe_number(ws, r, 5, i.expected_to_date, num)?;
        style::fit_row(
            ws,
            r,
            &[(&i.text, 40.0), (unit_name(catalogue, &i.lead), 20.0)],
        )?;
        ws.text_with(r, 6, unit_name(catalogue, &i.lead), &st.wrap)?;
        match (&i.state, i.city) {
            (Some(s), _) => {
                ws.text_with(r, 7, s, &st.cell)?;
            }
            (None, v) => style::maybe_number(ws, r, 7, shown(v, &i.unit), num)?,
        }
        style::maybe_number(ws, r, 8, shown(i.county_sum, &i.unit), num)?;
        style::maybe_number(
            ws,
            r,
            9,
            i.progress.map(display::percent_value),
            &st.percent,
        )?;
        let fill = match i.status.as_str() {
            "behind" | "overdue" => &st.red,
            "not_reported" | "not_started" | "below_target" | "unconfirmed" => &st.amber,
            _ => &st.green,
        };
        ws.text_with(r, 10, status_text(i), fill)?;
        ws.write_number_with_format(r, 11, i.findings as f64, &st.cell)?;
    }
    let last = report.indicators.len().max(1) as u32;
    ws.set_freeze_panes(1, 3)?;
    ws.autofilter(0, 0, last, (headers.len() - 1) as u16)?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Above this many counties the sheet turns: one row per county, one column per indicator.
const WIDE_COUNTIES: usize = 60;

/// Draws 分县区, one row per county past [`WIDE_COUNTIES`]; returns the counties' rows for [`county_rows`] to put
/// in after the first county's then (none otherwise). `figures` names a county's readings in a piece's key.
fn counties<'a>(
    ws: &mut Worksheet,
    report: &'a Report,
    lookup: &'a Lookup<'_>,
    catalogue: &'a Catalogue,
    figures: &'a [UnitFigures],
    st: &Styles,
) -> Result<county_rows::Rows<'a>, XlsxError> {
    ws.set_name("分县区")?;
    let counties: Vec<_> = catalogue.counties().collect();
    let rows: Vec<&IndicatorStatus> = report
        .indicators
        .iter()
        .filter(|i| {
            catalogue
                .indicator(&i.code)
                .is_some_and(|(_, ind)| !ind.counties.is_empty())
        })
        .collect();
    let codes: Vec<&str> = rows.iter().map(|i| i.code.as_str()).collect();
    let codes = Codes::new(&codes);
    // Each county's figures, one per row, shown as their cells show them: made from its readings, the rows'
    // indicators and their units alone (see `columns` below).
    let columns: Vec<&IndicatorStatus> = rows.clone();
    let values = move |unit: &str| -> Vec<Option<f64>> {
        lookup
            .unit_readings(unit, &codes)
            .into_iter()
            .zip(&columns)
            .map(|(r, i)| {
                let v = r
                    .filter(|r| r.role == Role::CountyShare)
                    .and_then(|r| r.cumulative);
                shown(v, &i.unit)
            })
            .collect()
    };
    // Red exactly where the county check raised its finding, so that the fill and the check's tolerance agree.
    let mismatch = |i: &IndicatorStatus| {
        lookup
            .indicator_findings(&i.code)
            .iter()
            .any(|f| f.code == crate::finding::Code::CountySumMismatch)
    };
    let diff = |i: &IndicatorStatus| {
        i.county_sum
            .zip(i.city)
            .map(|(a, b)| display::round(a - b, &i.unit))
    };
    let mut lines = county_rows::Rows {
        width: rows.len(),
        columns: rows
            .iter()
            .map(|i| format!("{}\u{0}{}\u{0}", i.code, i.unit))
            .collect(),
        ..county_rows::Rows::none()
    };
    if counties.len() <= WIDE_COUNTIES {
        let mut headers = vec![
            "指标编码".to_string(),
            "指标".to_string(),
            "计量单位".to_string(),
        ];
        headers.extend(counties.iter().map(|c| c.name.clone()));
        headers.extend([
            "县区合计".to_string(),
            "牵头单位全市数".to_string(),
            "差额".to_string(),
        ]);
        let mut widths = vec![11.0, 36.0, 9.0];
        widths.extend(counties.iter().map(|_| 9.0));
        widths.extend([10.0, 13.0, 9.0]);
        style::columns(ws, &widths)?;
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        style::header_row(ws, 0, &refs, &st.header)?;
        let by_county: Vec<Vec<Option<f64>>> = counties.iter().map(|c| values(&c.code)).collect();
        for (n, i) in rows.iter().enumerate() {
            let r = 1 + n as u32;
            let num = st.number_for(&i.unit);
            ws.text_with(r, 0, &i.code, &st.cell)?;
            ws.text_with(r, 1, &i.text, &st.wrap)?;
            ws.text_with(r, 2, &i.unit, &st.cell)?;
            style::fit_row(ws, r, &[(&i.text, 36.0)])?;
            for (k, v) in by_county.iter().enumerate() {
                style::maybe_number(ws, r, 3 + k as u16, v[n], num)?;
            }
            let base = 3 + counties.len() as u16;
            let flag = if mismatch(i) {
                st.red_number_for(&i.unit)
            } else {
                num
            };
            style::maybe_number(ws, r, base, shown(i.county_sum, &i.unit), flag)?;
            style::maybe_number(ws, r, base + 1, shown(i.city, &i.unit), flag)?;
            style::maybe_number(ws, r, base + 2, diff(i), flag)?;
        }
        ws.set_freeze_panes(1, 2)?;
    } else {
        let mut headers = vec!["单位编码".to_string(), "县区".to_string()];
        headers.extend(
            rows.iter()
                .map(|i| format!("{} {}（{}）", i.code, i.text, i.unit)),
        );
        let mut widths = vec![10.0, 14.0];
        widths.extend(rows.iter().map(|_| 14.0));
        style::columns(ws, &widths)?;
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        style::header_row(ws, 0, &refs, &st.header)?;
        // The first county drawn here gives each column's style to the rest (see county_rows).
        if let Some(c) = counties.first() {
            ws.text_with(1, 0, &c.code, &st.cell)?;
            ws.text_with(1, 1, &c.name, &st.cell)?;
            for (n, (i, v)) in rows.iter().zip(values(&c.code)).enumerate() {
                style::maybe_number(ws, 1, 2 + n as u16, v, st.number_for(&i.unit))?;
            }
        }
        let by_unit: foldhash::HashMap<&str, &UnitFigures> =
            figures.iter().map(|f| (&*f.unit, f)).collect();
        lines.counties = counties
            .iter()
            .skip(1)
            .map(|c| county_rows::County {
                code: &c.code,
                name: &c.name,
                readings: by_unit.get(c.code.as_str()).copied(),
            })
            .collect();
        let base = 1 + counties.len() as u32;
        for (offset, label) in ["县区合计", "牵头单位全市数", "差额"].iter().enumerate()
        {
            let r = base + offset as u32;
            ws.text_with(r, 1, *label, &st.header)?;
            for (n, i) in rows.iter().enumerate() {
                let v = [
                    shown(i.county_sum, &i.unit),
                    shown(i.city, &i.unit),
                    diff(i),
                ][offset];
                let f = if mismatch(i) {
                    st.red_number_for(&i.unit)
                } else {
                    st.number_for(&i.unit)
                };
                style::maybe_number(ws, r, 2 + n as u16, v, f)?;
            }
        }
        ws.set_freeze_panes(1, 2)?;
    }
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    lines.values = Box::new(values);
    Ok(lines)
}

fn findings(
    ws: &mut Worksheet,
    report: &Report,
    catalogue: &Catalogue,
    st: &Styles,
    rows: usize,
) -> Result<(), XlsxError> {
    ws.set_name("问题清单")?;
    let headers = [
        "严重程度",
        "问题代码",
        "单位",
        "指标编码",
        "问题说明",
        "应为",
        "实为",
        "来源文件",
        "单元格",
    ];
    style::columns(ws, &[9.0, 26.0, 18.0, 11.0, 60.0, 14.0, 14.0, 30.0, 9.0])?;
    style::header_row(ws, 0, &headers, &st.header)?;
    let location: HashMap<&str, &str> = report
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.location.as_str()))
        .collect();
    let prefix = format!("outbox/{}/", report.period);
    let mut sorted: Vec<_> = report.findings.iter().collect();
    sorted.sort_by(|a, b| (a.severity, &a.unit).cmp(&(b.severity, &b.unit)));
    // The most severe first, as many as the sheet's rows hold; the last row says how many more report.json has.
    let left_out = if sorted.len() > rows {
        sorted.len() - (rows - 1)
    } else {
        0
    };
    sorted.truncate(sorted.len() - left_out);
    if left_out > 0 {
        ws.text_with(
            rows as u32,
            4,
            format!("……另有{left_out}条问题未能列入本表（工作表行数已满），全部问题见 report.json"),
            &st.wrap,
        )?;
    }
    let mut links = 0;
    for (n, f) in sorted.iter().enumerate() {
        let r = 1 + n as u32;
        ws.text_with(r, 0, f.severity.chinese(), st.severity(f.severity))?;
        ws.text_with(r, 1, f.code.name(), &st.cell)?;
        ws.text_with(r, 2, unit_name(catalogue, &f.unit), &st.cell)?;
        ws.text_with(r, 3, &f.indicator, &st.cell)?;
        ws.text_with(r, 4, &f.message, &st.wrap)?;
        ws.text_with(r, 5, &f.expected, &st.wrap)?;
        ws.text_with(r, 6, &f.actual, &st.wrap)?;
        let link = location
            .get(f.file.as_str())
            .and_then(|l| l.strip_prefix(&prefix))
            .filter(|_| !f.file.is_empty() && links < MAX_LINKS)
            .map(|rel| {
                if rel.contains('#') {
                    // A `#` would be read as the start of the link's anchor: such a file is linked by its folder.
                    let folder = rel.rsplit_once('/').map_or("", |(d, _)| d);
                    format!("file:///{folder}/")
                } else if f.sheet.is_empty() || f.cell.is_empty() {
                    format!("file:///{rel}")
                } else {
                    format!("file:///{rel}#'{}'!{}", f.sheet.replace('\'', "''"), f.cell)
                }
            })
            // A file unpacked from folders within folders can have a longer path than a link may hold.
            .filter(|url| url.encode_utf16().count() <= MAX_LINK_LEN);
        match link {
            Some(url) => {
                ws.write_url_with_format(r, 7, Url::new(url).set_text(&f.file), &st.link)?;
                links += 1;
            }
            None => {
                ws.text_with(r, 7, &f.file, &st.wrap)?;
            }
        }
        ws.text_with(r, 8, &f.cell, &st.cell)?;
        style::fit_row(
            ws,
            r,
            &[
                (&f.message, 60.0),
                (&f.expected, 14.0),
                (&f.actual, 14.0),
                (&f.file, 30.0),
            ],
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, sorted.len().max(1) as u32, (headers.len() - 1) as u16)?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Draws 报送情况: the header, and of the units' rows those [`submission_rows`] takes its styles from (the
/// first, the last and the first of each status); returns the others, to be put in among them.
fn submissions(
    ws: &mut Worksheet,
    report: &Report,
    lookup: &Lookup<'_>,
    tz: Offset,
    st: &Styles,
) -> Result<submission_rows::Rows, XlsxError> {
    ws.set_name("报送情况")?;
    let headers = [
        "单位编码",
        "单位",
        "报送状态",
        "文件名",
        "收到时间",
        "SHA-256",
        "错误",
        "警告",
        "提示",
    ];
    style::columns(ws, &[10.0, 24.0, 10.0, 36.0, 18.0, 20.0, 7.0, 7.0, 7.0])?;
    style::header_row(ws, 0, &headers, &st.header)?;
    let mut rows = submission_rows::Rows::none();
    let mut statuses: Vec<&str> = Vec::new();
    let last = report.units.len().saturating_sub(1);
    for (n, u) in report.units.iter().enumerate() {
        let r = 1 + n as u32;
        let file = lookup.file(&u.file);
        let status = submission_status(&u.status);
        let received = file
            .map(|f| display::time_text(&f.received, tz))
            .unwrap_or_default();
        let sha256 = file.map_or("", |f| f.sha256.as_str());
        let counts = [u.errors, u.warnings, u.infos];
        let first_of_status = !statuses.contains(&status);
        if !(n == 0 || n == last || first_of_status) {
            rows.lines.push(submission_rows::Line {
                row: r + 1,
                status,
                texts: [
                    u.code.clone(),
                    u.name.clone(),
                    submission_word(status).to_string(),
                    u.file.clone(),
                    received,
                    sha256.to_string(),
                ],
                counts,
            });
            continue;
        }
        statuses.push(status);
        rows.drawn.push((r + 1, status));
        let fill = match status {
            "on_time" => &st.green,
            "late" => &st.amber,
            _ => &st.red,
        };
        ws.text_with(r, 0, &u.code, &st.cell)?;
        ws.text_with(r, 1, &u.name, &st.cell)?;
        ws.text_with(r, 2, submission_word(status), fill)?;
        ws.text_with(r, 3, &u.file, &st.wrap)?;
        ws.text_with(r, 4, &received, &st.cell)?;
        ws.text_with(r, 5, sha256, &st.cell)?;
        for (k, count) in counts.iter().enumerate() {
            ws.write_number_with_format(r, 6 + k as u16, *count as f64, &st.cell)?;
        }
    }
    ws.set_freeze_panes(1, 2)?;
    ws.autofilter(
        0,
        0,
        report.units.len().max(1) as u32,
        (headers.len() - 1) as u16,
    )?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    Ok(rows)
}

/// A unit's status as 报送情况 tells them apart: each with its own word and fill.
fn submission_status(status: &str) -> &'static str {
    match status {
        "on_time" => "on_time",
        "late" => "late",
        "rejected" => "rejected",
        _ => "missing",
    }
}

/// The word 报送情况 shows for a status of [`submission_status`].
fn submission_word(status: &str) -> &'static str {
    match status {
        "on_time" => "按时报送",
        "late" => "逾期报送",
        "rejected" => "文件退回",
        _ => "未报送",
    }
}

/// Most hyperlinks Excel keeps on a sheet: past them a finding names its file as text.
const MAX_LINKS: usize = 65_530;
/// Most UTF-16 units in a link: rust_xlsxwriter refuses past 2,080; a longer one is written as plain text.
const MAX_LINK_LEN: usize = 2_000;

/// Rows of a long sheet under its header row (Excel's 1,048,576 in all).
const LONG_ROWS: usize = 1_048_575;

/// A long sheet's header, widths, filter and frozen header over `rows` rows; the rows are spliced in after
/// rendering (see [`long_sheet`]).
fn details(ws: &mut Worksheet, name: &str, rows: usize, st: &Styles) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    style::columns(
        ws,
        &[
            10.0, 20.0, 11.0, 9.0, 10.0, 10.0, 36.0, 24.0, 30.0, 10.0, 10.0,
        ],
    )?;
    style::header_row(ws, 0, &long_sheet::HEADERS, &st.header)?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(
        0,
        0,
        rows.max(1) as u32,
        (long_sheet::HEADERS.len() - 1) as u16,
    )?;
    Ok(())
}

fn trend(ws: &mut Worksheet, report: &Report, st: &Styles) -> Result<(), XlsxError> {
    ws.set_name("趋势")?;
    let t = &report.trend;
    let mut widths = vec![11.0, 36.0, 9.0, 10.0];
    widths.extend(t.months.iter().map(|_| 10.0));
    style::columns(ws, &widths)?;
    let mut headers = vec![
        "指标编码".to_string(),
        "指标".to_string(),
        "计量单位".to_string(),
        "年度目标".to_string(),
    ];
    headers.extend(t.months.iter().cloned());
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    style::header_row(ws, 0, &refs, &st.header)?;
    ws.text_with(1, 1, "平均进度（累计/目标，计数和金额类指标）", &st.cell)?;
    ws.text_with(2, 1, "按时序应达进度（月份/12）", &st.cell)?;
    for (k, (avg, line)) in t.average_progress.iter().zip(&t.pro_rata).enumerate() {
        let c = 4 + k as u16;
        style::maybe_number(ws, 1, c, avg.map(display::percent_value), &st.percent)?;
        ws.write_number_with_format(2, c, display::percent_value(*line), &st.percent)?;
    }
    for (n, row) in t.rows.iter().enumerate() {
        let r = 3 + n as u32;
        let num = st.number_for(&row.unit);
        ws.text_with(r, 0, &row.code, &st.cell)?;
        ws.text_with(r, 1, &row.text, &st.wrap)?;
        ws.text_with(r, 2, &row.unit, &st.cell)?;
        ws.write_number_with_format(r, 3, row.goal, num)?;
        for (k, v) in row.values.iter().enumerate() {
            style::maybe_number(ws, r, 4 + k as u16, shown(*v, &row.unit), num)?;
        }
        style::fit_row(ws, r, &[(&row.text, 36.0)])?;
    }
    let last_col = 3 + t.months.len() as u16;
    let mut chart = Chart::new(ChartType::Line);
    for (row, name) in [(1, "平均进度"), (2, "按时序应达进度")] {
        chart
            .add_series()
            .set_categories(("趋势", 0, 4, 0, last_col))
            .set_values(("趋势", row, 4, row, last_col))
            .set_name(name);
    }
    chart.title().set_name("全市指标平均进度与按时序进度");
    chart.x_axis().set_name("月份");
    chart.y_axis().set_name("进度").set_num_format("0%");
    chart.set_width(720).set_height(360);
    ws.insert_chart(t.rows.len() as u32 + 5, 1, &chart)?;
    ws.set_freeze_panes(1, 2)?;
    ws.set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{Reader, Xlsx};

    use super::*;
    use crate::consolidate::model::{FileRecord, Trend, UnitStatus};
    use crate::finding::{Code, Finding};

    /// Long sheets of `rows` rows each, every piece deflated afresh.
    fn few(rows: usize) -> Long<'static> {
        Long {
            rows,
            pieces: Pieces {
                store: &(),
                figures: &[],
            },
        }
    }

    /// A report of these parts for `period`, with no indicators and a trend of its month alone.
    fn report(
        period: Period,
        files: Vec<FileRecord>,
        findings: Vec<Finding>,
        units: Vec<UnitStatus>,
        readings: Vec<Reading>,
    ) -> Report {
        Report {
            plan_id: "dingxi".to_string(),
            period: period.to_string(),
            tool_version: "test".to_string(),
            run_id: String::new(),
            run_time: String::new(),
            summary: Default::default(),
            files,
            findings,
            indicators: Vec::new(),
            units,
            readings,
            trend: Trend {
                months: vec!["2020-10".to_string()],
                rows: Vec::new(),
                average_progress: vec![None],
                pro_rata: vec![10.0 / 12.0],
            },
        }
    }

    fn reading(unit: &str, indicator: &str) -> Reading {
        Reading {
            unit: unit.to_string().into(),
            indicator: indicator.into(),
            role: Role::CountyShare,
            month: Some(1.0),
            cumulative: Some(10.0),
            state: None,
            progress: String::new(),
            remark: String::new(),
            file: format!("{unit}.xlsx").into(),
            sheet: "进展填报".into(),
            month_cell: "F4".into(),
            cumulative_cell: "G4".into(),
            progress_cell: "H4".into(),
        }
    }

    #[test]
    fn every_units_submission_row_reads_and_is_styled_as_its_status_says() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let period = Period::new(2020, 10).unwrap();
        let statuses = ["on_time", "missing", "on_time", "late", "rejected", "late"];
        let units: Vec<UnitStatus> = (0..12)
            .map(|n| UnitStatus {
                code: format!("u{n:02}"),
                name: format!("单位{n} & <{n}>"),
                status: statuses[n % statuses.len()].to_string(),
                file: if n % 6 == 1 {
                    String::new()
                } else {
                    format!("2020-10_u{n:02}.xlsx")
                },
                errors: n,
                warnings: 2 * n,
                infos: n % 3,
            })
            .collect();
        let files: Vec<FileRecord> = units
            .iter()
            .filter(|u| !u.file.is_empty())
            .map(|u| FileRecord {
                name: u.file.clone(),
                sha256: format!("sha of {}", u.code),
                size: 1,
                received: "2020-11-02T01:30:00Z".to_string(),
                format: "xlsx".to_string(),
                unit: u.code.clone(),
                period: "2020-10".to_string(),
                disposition: if u.status == "rejected" {
                    Disposition::Rejected
                } else {
                    Disposition::Accepted
                },
                reason: String::new(),
                location: String::new(),
                late: u.status == "late",
            })
            .collect();
        let report = report(period, files, Vec::new(), units, Vec::new());
        let lookup = Lookup::of(&report);
        let mut ws = Worksheet::new();
        let rows = submissions(&mut ws, &report, &lookup, Offset::UTC, &Styles::new()).unwrap();
        // Drawn: the first, the last and the first of each status; the other seven put in.
        let drawn: Vec<u32> = rows.drawn.iter().map(|(r, _)| *r).collect();
        assert_eq!(drawn, [2, 3, 5, 6, 13]);
        assert_eq!(rows.lines.len(), 7);
        let bytes = render_rows(
            &report,
            &lookup,
            &catalogue,
            period,
            Offset::from_hours(8).unwrap(),
            Path::new("test.xlsx"),
            few(5),
        )
        .unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
        let range = book.worksheet_range("报送情况").unwrap();
        assert_eq!(range.height(), 13);
        for (n, u) in report.units.iter().enumerate() {
            let row: Vec<String> = range
                .rows()
                .nth(n + 1)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            let word = submission_word(&u.status);
            let (received, sha) = if u.file.is_empty() {
                (String::new(), String::new())
            } else {
                ("2020-11-02 09:30".to_string(), format!("sha of {}", u.code))
            };
            let counts = [u.errors, u.warnings, u.infos].map(|c| c.to_string());
            let expected = [
                &u.code, &u.name, word, &u.file, &received, &sha, &counts[0], &counts[1],
                &counts[2],
            ];
            assert_eq!(row, expected, "row {}", n + 2);
        }
        // A row's status cell has the style of its status's first row, and the statuses' styles differ.
        let style_of =
            |cell: &str| crate::style::style_of(&bytes, "xl/worksheets/sheet5.xml", cell);
        for (n, u) in report.units.iter().enumerate() {
            let first = report
                .units
                .iter()
                .position(|v| v.status == u.status)
                .unwrap();
            assert_eq!(
                style_of(&format!("C{}", n + 2)),
                style_of(&format!("C{}", first + 2))
            );
            assert_eq!(style_of(&format!("A{}", n + 2)), style_of("A2"));
            assert_eq!(style_of(&format!("D{}", n + 2)), style_of("D2"));
        }
        let fills: std::collections::HashSet<String> = ["C2", "C3", "C5", "C6"]
            .iter()
            .map(|c| style_of(c))
            .collect();
        assert_eq!(
            fills.len(),
            3,
            "on time, late, and missing and rejected alike (red)"
        );
    }

    #[test]
    fn rows_past_a_sheets_limit_go_on_in_another_sheet_and_findings_say_how_many_are_left_out() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let period = Period::new(2020, 10).unwrap();
        let readings: Vec<Reading> = ["anding", "lintao", "longxi"]
            .iter()
            .flat_map(|u| (1..=4).map(move |i| reading(u, &format!("T2.1-0{i}"))))
            .collect();
        let findings: Vec<Finding> = (0..7)
            .map(|i| Finding::new(Code::Spike, format!("第{i}条")).unit("lintao"))
            .collect();
        let report = report(period, Vec::new(), findings, Vec::new(), readings);
        let lookup = Lookup::of(&report);
        let path = Path::new("test.xlsx");
        let bytes = render_rows(
            &report,
            &lookup,
            &catalogue,
            period,
            Offset::UTC,
            path,
            few(5),
        )
        .unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(
            names[names.len() - 3..],
            ["明细数据", "明细数据2", "明细数据3"]
        );
        let units: Vec<String> = ["明细数据", "明细数据2", "明细数据3"]
            .iter()
            .flat_map(|s| {
                let range = book.worksheet_range(s).unwrap();
                assert_eq!(range.get((0, 0)).unwrap().to_string(), "单位编码", "{s}");
                range
                    .rows()
                    .skip(1)
                    .map(|r| format!("{} {}", r[0], r[2]))
                    .collect::<Vec<_>>()
            })
            .collect();
        let expected: Vec<String> = report
            .readings
            .iter()
            .map(|r| format!("{} {}", r.unit, r.indicator))
            .collect();
        assert_eq!(
            units, expected,
            "every reading once, in order, five to a sheet"
        );
        let problems = book.worksheet_range("问题清单").unwrap();
        assert_eq!(problems.height(), 6, "the header, four findings, the note");
        assert_eq!(problems.get((4, 4)).unwrap().to_string(), "第3条");
        assert_eq!(
            problems.get((5, 4)).unwrap().to_string(),
            "……另有3条问题未能列入本表（工作表行数已满），全部问题见 report.json"
        );
        // Exactly as many findings as rows: all of them, and no note.
        let bytes = render_rows(
            &report,
            &lookup,
            &catalogue,
            period,
            Offset::UTC,
            path,
            few(7),
        )
        .unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let problems = book.worksheet_range("问题清单").unwrap();
        assert_eq!(problems.height(), 8);
        assert_eq!(problems.get((7, 4)).unwrap().to_string(), "第6条");
    }
}
