//! From sheets to a return: who sent it, for which month, and which row holds which indicator.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::read::{RawBook, RawCell, RawSheet, RawValue};
use crate::finding::{Code, Finding, a1};
use crate::forms::{self, HEADERS, META_SHEET};
use crate::normalise::fold_text;
use crate::period::Period;
use crate::plan::Catalogue;

/// Where a return's unit or period was read from, strongest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The hidden `_meta` sheet of the form.
    Meta,
    /// The `填报单位：… 报告期：…` line.
    UnitLine,
    /// The file name.
    FileName,
    /// The mail the file came in (`huizong fetch`): its sender's address, else the one unit its subject names;
    /// used only when the file itself names no unit.
    Sender,
    /// Nothing said; the run's period was assumed.
    Assumed,
}

/// One indicator row as found in the file; values are still raw.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReturnRow {
    /// The 指标编码 the row was matched to.
    pub code: String,
    /// Real 0-based row in the sheet.
    pub row: u32,
    /// The 年度目标 cell as written.
    pub target: String,
    /// The 本月完成 cell.
    pub month: Option<RawCell>,
    /// The 累计完成 cell.
    pub cumulative: Option<RawCell>,
    /// The 进展情况 text.
    pub progress: String,
    /// The 备注 text.
    pub remark: String,
}

/// Column positions of the header fields that were found.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Columns {
    /// Column of each header name, by its index in [`HEADERS`].
    pub by_field: [Option<u32>; 9],
}

impl Columns {
    /// The column of header field `field` (an index into [`HEADERS`]).
    pub fn get(&self, field: u16) -> Option<u32> {
        self.by_field[field as usize]
    }
}

/// A return read from one file: identified, with its indicator rows located.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ParsedReturn {
    /// The unit that sent it.
    pub unit: String,
    /// The month it reports.
    pub period: Period,
    /// Where the unit was read from.
    pub unit_source: Source,
    /// Where the period was read from.
    pub period_source: Source,
    /// The data sheet's name.
    pub sheet: String,
    /// Where each header field sits.
    pub columns: Columns,
    /// The indicator rows, in sheet order.
    pub rows: Vec<ReturnRow>,
    /// Identification and row-matching findings.
    pub findings: Vec<Finding>,
}

/// Why a readable workbook is still not a usable return.
#[derive(Debug, Clone)]
pub struct NotUsable {
    /// NOT_A_RETURN or UNKNOWN_UNIT.
    pub code: Code,
    /// A sentence for the sender.
    pub reason: String,
}

static UNIT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"填报单位[:：]\s*(?P<unit>[^\s:：]+?)\s*(?:报告期[:：]\s*(?P<period>\S+))?\s*$")
        .unwrap()
});
static PERIOD_FULL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-_.\s/])?\s*(?P<m>1[0-2]|0?[1-9])\s*(?:月|(?:[-_.\s/]|$|[^\d]))").unwrap()
});
static PERIOD_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?P<m>1[0-2]|[1-9])\s*月").unwrap());

/// Reads a period written as 2020-10, 202010, 2020年10月 or, with `year` given, 10月.
pub fn parse_period(text: &str, year: i32) -> Option<Period> {
    let folded = fold_text(text);
    if let Some(c) = PERIOD_FULL.captures(&folded) {
        return Period::new(c["y"].parse().ok()?, c["m"].parse().ok()?);
    }
    let c = PERIOD_MONTH.captures(&folded)?;
    Period::new(year, c["m"].parse().ok()?)
}

/// Identifies a workbook as a return and locates its rows.
pub fn parse(
    book: &RawBook,
    file_name: &str,
    catalogue: &Catalogue,
    run_period: Period,
) -> Result<ParsedReturn, NotUsable> {
    parse_mailed(book, file_name, None, catalogue, run_period)
}

/// [`parse`] for a file mailed by `sender_unit` (the unit whose address sent it): the sender identifies the
/// unit when nothing in the file does.
pub fn parse_mailed(
    book: &RawBook,
    file_name: &str,
    sender_unit: Option<&str>,
    catalogue: &Catalogue,
    run_period: Period,
) -> Result<ParsedReturn, NotUsable> {
    let year = catalogue.plan.year;
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let mut findings = Vec::new();

    let meta = read_meta(book);
    let header = find_header(book).ok_or_else(|| NotUsable {
        code: Code::NotAReturn,
        reason: format!(
            "文件中找不到填报表的表头（应包含“{}”“{}”“{}”等列）；请使用下发的填报表模板填写",
            HEADERS[0], HEADERS[2], HEADERS[6]
        ),
    })?;
    let sheet = &book.sheets[header.sheet];
    let line = unit_line(sheet, header.row);

    // Candidates, strongest first.
    let mut units: Vec<(Source, String, String)> = Vec::new();
    if let Some(code) = meta
        .get("unit_code")
        .filter(|c| catalogue.unit(c).is_some())
    {
        units.push((Source::Meta, code.clone(), format!("_meta: {code}")));
    }
    if let Some((name, _, _)) = &line
        && let Some(u) = catalogue.resolve_unit(name)
    {
        units.push((
            Source::UnitLine,
            u.code.clone(),
            format!("填报单位：{name}"),
        ));
    }
    if let Some(u) = catalogue.unit_named_in(stem) {
        units.push((
            Source::FileName,
            u.code.clone(),
            format!("文件名：{file_name}"),
        ));
    }
    if units.is_empty()
        && let Some(u) = sender_unit.and_then(|c| catalogue.unit(c))
    {
        units.push((
            Source::Sender,
            u.code.clone(),
            format!("报送邮件：{}", u.name),
        ));
    }
    let Some((unit_source, unit, unit_said)) = units.first().cloned() else {
        let written = line.as_ref().map(|(n, _, _)| n.as_str()).unwrap_or("");
        return Err(NotUsable {
            code: Code::UnknownUnit,
            reason: if written.is_empty() {
                "无法识别填报单位：表中没有“填报单位”，文件名中也没有单位名称；请在表头下方写明“填报单位：单位全称”后重新报送".to_string()
            } else {
                format!(
                    "无法识别填报单位“{written}”：它不是本计划的责任单位；请写单位全称（如“陇西县”“市科技局”）后重新报送"
                )
            },
        });
    };
    if let Some((_, other, said)) = units.iter().find(|(_, c, _)| *c != unit) {
        findings.push(
            Finding::new(
                Code::IdentityMismatch,
                format!("填报单位的写法前后不一致：按{unit_said}认定，但{said}；请核对后统一"),
            )
            .unit(&unit)
            .values(unit.clone(), other.clone()),
        );
    }

    let mut periods: Vec<(Source, Period, String)> = Vec::new();
    if let Some(p) = meta.get("period").and_then(|p| p.parse::<Period>().ok()) {
        periods.push((Source::Meta, p, format!("_meta: {p}")));
    }
    if let Some((_, Some(text), _)) = &line
        && let Some(p) = parse_period(text, year)
    {
        periods.push((Source::UnitLine, p, format!("报告期：{text}")));
    }
    if let Some(p) = parse_period(stem, year) {
        periods.push((Source::FileName, p, format!("文件名：{file_name}")));
    }
    let (period_source, period) = match periods.first() {
        Some((source, p, said)) => {
            if let Some((_, other, other_said)) = periods.iter().find(|(_, q, _)| q != p) {
                findings.push(
                    Finding::new(
                        Code::IdentityMismatch,
                        format!("报告期的写法前后不一致：按{said}认定为{}，但{other_said}；请核对后统一", p.chinese()),
                    )
                    .unit(&unit)
                    .values(p.to_string(), other.to_string()),
                );
            }
            (*source, *p)
        }
        None => {
            findings.push(
                Finding::new(
                    Code::PeriodAssumed,
                    format!(
                        "表中和文件名中都没有写报告期，按本期（{}）处理；请在表头下方写明报告期",
                        run_period.chinese()
                    ),
                )
                .unit(&unit)
                .values(run_period.to_string(), ""),
            );
            (Source::Assumed, run_period)
        }
    };
    for f in &mut findings {
        f.sheet = sheet.name.clone();
    }

    let rows = locate_rows(sheet, &header, catalogue, &unit, file_name, &mut findings);
    Ok(ParsedReturn {
        unit,
        period,
        unit_source,
        period_source,
        sheet: sheet.name.clone(),
        columns: header.columns,
        rows,
        findings,
    })
}

fn read_meta(book: &RawBook) -> HashMap<String, String> {
    let Some(sheet) = book
        .sheets
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(META_SHEET))
    else {
        return HashMap::new();
    };
    sheet
        .rows()
        .take(50)
        .map(|r| (sheet.text(r, 0), sheet.text(r, 1)))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

/// The `填报单位：… 报告期：…` line above the header: (unit text, period text, row).
fn unit_line(sheet: &RawSheet, header_row: u32) -> Option<(String, Option<String>, u32)> {
    for row in sheet.rows().take_while(|r| *r < header_row) {
        let joined: String = sheet
            .cells
            .range((row, 0)..(row + 1, 0))
            .filter_map(|(_, c)| match &c.value {
                RawValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(c) = UNIT_LINE.captures(joined.trim()) {
            return Some((
                c["unit"].to_string(),
                c.name("period").map(|m| m.as_str().to_string()),
                row,
            ));
        }
    }
    None
}

struct Header {
    sheet: usize,
    row: u32,
    columns: Columns,
}

/// Finds the sheet and row holding the header, by names, wherever the rows and columns were moved.
fn find_header(book: &RawBook) -> Option<Header> {
    let mut best: Option<(usize, Header)> = None;
    for (si, sheet) in book.sheets.iter().enumerate() {
        if sheet.name.eq_ignore_ascii_case(META_SHEET) {
            continue;
        }
        for row in sheet.rows().take(60) {
            let mut columns = Columns::default();
            for ((_, col), cell) in sheet.cells.range((row, 0)..(row + 1, 0)) {
                let RawValue::Text(t) = &cell.value else {
                    continue;
                };
                let t = fold_text(t);
                if let Some(field) = HEADERS.iter().position(|h| t == *h)
                    && columns.by_field[field].is_none()
                {
                    columns.by_field[field] = Some(*col);
                }
            }
            let has_key =
                columns.get(forms::col::CODE).is_some() || columns.get(forms::col::TEXT).is_some();
            let has_value = columns.get(forms::col::CUMULATIVE).is_some()
                || columns.get(forms::col::MONTH).is_some();
            let score = columns.by_field.iter().filter(|c| c.is_some()).count();
            if has_key && has_value && best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Header {
                        sheet: si,
                        row,
                        columns,
                    },
                ));
            }
        }
    }
    best.map(|(_, h)| h)
}

fn locate_rows(
    sheet: &RawSheet,
    header: &Header,
    catalogue: &Catalogue,
    unit: &str,
    file: &str,
    findings: &mut Vec<Finding>,
) -> Vec<ReturnRow> {
    let expected = catalogue.rows_for(unit);
    let by_code: HashMap<String, String> = expected
        .iter()
        .map(|r| (fold_text(&r.code()).to_uppercase(), r.code()))
        .collect();
    let by_text: HashMap<String, String> = expected
        .iter()
        .flat_map(|r| {
            let mut keys = vec![(fold_text(&r.text()), r.code())];
            if let Some(ind) = r.indicator {
                keys.push((fold_text(&ind.text), r.code()));
            }
            keys
        })
        .collect();
    let cols = &header.columns;
    let text_at = |row: u32, field: u16| {
        cols.get(field)
            .map(|c| sheet.text(row, c))
            .unwrap_or_default()
    };
    let cell_at = |row: u32, field: u16| cols.get(field).and_then(|c| sheet.get(row, c)).cloned();
    // Row-level findings point at the row's code (or, without a code column, its 指标) cell.
    let cell_col = cols
        .get(forms::col::CODE)
        .or(cols.get(forms::col::TEXT))
        .unwrap_or(0);
    let mut rows: Vec<ReturnRow> = Vec::new();
    for row in sheet.rows().filter(|r| *r > header.row) {
        let code_text = fold_text(&text_at(row, forms::col::CODE)).to_uppercase();
        let text = fold_text(&text_at(row, forms::col::TEXT));
        let matched = by_code
            .get(&code_text)
            .or_else(|| (code_text.is_empty()).then(|| by_text.get(&text)).flatten())
            .cloned();
        let has_figures = [forms::col::MONTH, forms::col::CUMULATIVE]
            .iter()
            .any(|f| cell_at(row, *f).is_some_and(|c| c.value != RawValue::Empty));
        let Some(code) = matched else {
            let is_total = ["合计", "总计", "小计"].iter().any(|w| {
                [forms::col::CODE, forms::col::TASK, forms::col::TEXT]
                    .iter()
                    .any(|f| fold_text(&text_at(row, *f)).starts_with(w))
            });
            if is_total || (code_text.is_empty() && !has_figures) {
                continue;
            }
            let in_plan = catalogue.indicator(&code_text).is_some()
                || catalogue.tasks.iter().any(|t| {
                    crate::plan::model::narrative_code(&t.code).eq_ignore_ascii_case(&code_text)
                });
            let shown = if code_text.is_empty() {
                text.clone()
            } else {
                code_text.clone()
            };
            findings.push(
                Finding::new(
                    Code::UnknownIndicator,
                    if in_plan {
                        format!("第{}行的指标“{shown}”不是本单位应填报的指标，未汇总；请删除该行", row + 1)
                    } else {
                        format!("第{}行的指标“{shown}”不在计划内，未汇总；请核对指标编码，不要自行增加指标", row + 1)
                    },
                )
                .unit(unit)
                .indicator(&code_text)
                .at(file, &sheet.name, &a1(row, cell_col))
                .values("", shown),
            );
            continue;
        };
        if rows.iter().any(|r| r.code == code) {
            findings.push(
                Finding::new(
                    Code::UnknownIndicator,
                    format!(
                        "指标“{code}”在第{}行重复出现，只采用第一次出现的那一行；请删除重复行",
                        row + 1
                    ),
                )
                .unit(unit)
                .indicator(&code)
                .at(file, &sheet.name, &a1(row, cell_col))
                .values("", code.clone()),
            );
            continue;
        }
        rows.push(ReturnRow {
            code,
            row,
            target: text_at(row, forms::col::TARGET),
            month: cell_at(row, forms::col::MONTH),
            cumulative: cell_at(row, forms::col::CUMULATIVE),
            progress: text_at(row, forms::col::PROGRESS),
            remark: text_at(row, forms::col::REMARK),
        });
    }
    rows
}
