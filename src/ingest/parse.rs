//! From sheets to a return: which sheet holds it, who sent it for which month, and which row holds which
//! indicator. The three steps live in [`super::header`], [`super::identify`] and [`super::rows`].

pub use super::header::Columns;
use super::header::{self, Header};
use super::identify;
pub use super::identify::{NotUsable, Source, parse_period};
pub use super::rows::ReturnRow;
use crate::finding::{Code, Finding};
use crate::forms::{HEADERS, META_SHEET, col};
use crate::period::Period;
use crate::plan::Catalogue;
use crate::raw::{RawBook, RawSheet, RawValue};

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

/// A sheet that looks like a return.
struct Candidate<'a> {
    sheet: &'a RawSheet,
    header: Header,
    /// The month the sheet's name gives it (9月, 2020年10月), or its header (9月当月).
    period: Option<Period>,
    /// Where that month was read.
    said: Option<(Source, Period, String)>,
    /// Figures and progress texts under the header.
    figures: usize,
}

fn candidates(book: &RawBook, year: i32, run: Period) -> Vec<Candidate<'_>> {
    book.sheets
        .iter()
        .filter(|s| !s.hidden && !s.name.eq_ignore_ascii_case(META_SHEET))
        .filter_map(|sheet| {
            let header = header::find(sheet, run)?;
            let figure_cols: Vec<u32> = [col::MONTH, col::CUMULATIVE, col::PROGRESS]
                .iter()
                .filter_map(|f| header.columns.get(*f))
                .collect();
            let figures = sheet
                .rows()
                .filter(|r| *r > header.last_row)
                .map(|r| {
                    figure_cols
                        .iter()
                        .filter(|c| {
                            sheet
                                .get(r, **c)
                                .is_some_and(|x| x.value != RawValue::Empty)
                        })
                        .count()
                })
                .sum();
            let said = match (parse_period(&sheet.name, year), &header.month_named) {
                (Some(p), _) => Some((Source::SheetName, p, format!("工作表名“{}”", sheet.name))),
                (None, Some((m, title))) => {
                    Period::new(run.year, *m).map(|p| (Source::Header, p, format!("表头“{title}”")))
                }
                (None, None) => None,
            };
            Some(Candidate {
                sheet,
                period: said.as_ref().map(|(_, p, _)| *p),
                said,
                header,
                figures,
            })
        })
        .collect()
}

/// Picks the sheet holding the run's return: one named for the run's month, else one named for no month, else
/// the latest month named; among several, the one with the most figures, said in a finding.
fn choose(mut all: Vec<Candidate<'_>>, run: Period) -> Option<(Candidate<'_>, Option<Finding>)> {
    let pool: Vec<usize> = if all.iter().any(|c| c.period == Some(run)) {
        (0..all.len())
            .filter(|&i| all[i].period == Some(run))
            .collect()
    } else if all.iter().any(|c| c.period.is_none()) {
        (0..all.len())
            .filter(|&i| all[i].period.is_none())
            .collect()
    } else {
        let latest = all.iter().filter_map(|c| c.period).max()?;
        (0..all.len())
            .filter(|&i| all[i].period == Some(latest))
            .collect()
    };
    let &best = pool
        .iter()
        .max_by(|&&a, &&b| all[a].figures.cmp(&all[b].figures).then(b.cmp(&a)))?;
    let others: Vec<String> = pool
        .iter()
        .filter(|&&i| i != best && all[i].figures > 0)
        .map(|&i| format!("“{}”", all[i].sheet.name))
        .collect();
    let finding = (!others.is_empty()).then(|| {
        let why = if all[best].period == Some(run) {
            format!("表名都写的是{}", run.chinese())
        } else {
            "表名都没有写月份".to_string()
        };
        Finding::new(
            Code::SheetChosen,
            format!(
                "工作簿中有多张表像是本期的填报表（{why}）：采用了填写内容最多的“{}”，未采用{}；请只保留一张本期填报表，或在表名中写明月份",
                all[best].sheet.name,
                others.join("、")
            ),
        )
        .values(all[best].sheet.name.clone(), others.join("、"))
    });
    Some((all.swap_remove(best), finding))
}

/// Whether the workbook is the form huizong sent (it keeps its hidden `_meta` sheet).
fn on_the_form(book: &RawBook) -> bool {
    book.sheets
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(META_SHEET))
}

/// Identifies a workbook as a return and locates its rows.
pub fn parse(
    book: &RawBook,
    file_name: &str,
    catalogue: &Catalogue,
    run: Period,
) -> Result<ParsedReturn, NotUsable> {
    parse_mailed(book, file_name, None, catalogue, run)
}

/// [`parse`] for a file mailed by `sender_unit` (the unit whose address sent it): the sender identifies the
/// unit when nothing in the file does.
pub fn parse_mailed(
    book: &RawBook,
    file_name: &str,
    sender_unit: Option<&str>,
    catalogue: &Catalogue,
    run: Period,
) -> Result<ParsedReturn, NotUsable> {
    let year = catalogue.plan.year;
    let (chosen, sheet_finding) =
        choose(candidates(book, year, run), run).ok_or_else(|| NotUsable {
            code: Code::NotAReturn,
            reason: format!(
                "文件中找不到填报表的表头（应有指标名称或“{}”列，以及“{}”“{}”或“{}”列）；请使用下发的填报表模板填写",
                HEADERS[0], HEADERS[5], HEADERS[6], HEADERS[7]
            ),
        })?;
    let sheet = chosen.sheet;
    let id = identify::identify(
        book,
        sheet,
        chosen.header.row,
        chosen.said.clone(),
        file_name,
        sender_unit,
        catalogue,
        run,
    )?;
    let mut findings = id.findings;
    findings.extend(sheet_finding.map(|f| f.unit(&id.unit)));
    for f in &mut findings {
        f.file = file_name.to_string();
        f.sheet = sheet.name.clone();
    }
    let rows = super::rows::locate(
        sheet,
        &chosen.header,
        run,
        catalogue,
        &id.unit,
        file_name,
        &mut findings,
    );
    // Only the form carries the plan's 年度目标 to compare with; an office's own table states targets its own way
    // (a county its own share), which is no alteration.
    let mut columns = chosen.header.columns;
    if !on_the_form(book) {
        columns.by_field[col::TARGET as usize] = None;
    }
    Ok(ParsedReturn {
        unit: id.unit,
        period: id.period,
        unit_source: id.unit_source,
        period_source: id.period_source,
        sheet: sheet.name.clone(),
        columns,
        rows,
        findings,
    })
}
