//! Reading the rows under the header: which row holds which of the unit's indicators, by its code when it has
//! one, else by its text; total and signature rows skipped.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::header::{self, Header};
use super::memo::Memo;
use crate::finding::{Code, Finding, a1};
use crate::forms::col;
use crate::normalise::fold_text;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::ReportRow;
use crate::raw::{RawCell, RawSheet, RawValue};

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
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub progress: String,
    /// The 备注 text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remark: String,
}

/// A text match is taken when its similarity reaches this and beats the next indicator by [`MARGIN`].
///
/// Similarity is the Dice coefficient of the two normalised texts' character pairs. A retyping that adds or
/// drops a word or two (新认定的高新技术企业, 申请专利数) keeps 0.8 or more of the pairs of an indicator text of
/// eight or more characters; two different indicators of one unit share far fewer, except near-namesakes such
/// as 新认定高新技术企业 / 认定高新技术企业 (0.93), which the margin keeps apart: a row that sits between two
/// indicators is asked about, never guessed (see the tests).
pub const THRESHOLD: f64 = 0.75;
/// How far the best text match must lead the second.
pub const MARGIN: f64 = 0.1;
/// A text whose character pairs miss may still hold the same characters in another order: Chinese names swap
/// their words freely (专利申请 for 申请专利, 专利授权 for 授权专利). Taken only when the Dice coefficient of the
/// characters themselves reaches this and leads the next indicator by [`REORDER_MARGIN`]: a word swapped keeps
/// every character (1.0), while a different indicator sharing most characters (专利授权 against 发明专利授权,
/// 0.8) or a row between two (新增高新技术企业: 0.8 to both 新申报… and 认定…) stays in doubt.
pub const REORDER_THRESHOLD: f64 = 0.9;
/// How far the best character match must lead the second.
pub const REORDER_MARGIN: f64 = 0.15;

/// Money units a row, column or table may declare.
const MONEY: [&str; 4] = ["元", "千元", "万元", "亿元"];

/// Total, subtotal and signature rows: skipped without a finding.
const SKIP: [&str; 17] = [
    "合计",
    "小计",
    "总计",
    "共计",
    "填报人",
    "填表人",
    "制表人",
    "审核人",
    "负责人",
    "单位负责人",
    "分管领导",
    "联系人",
    "联系电话",
    "填报日期",
    "填表日期",
    "填报单位",
    "报送日期",
];

static LEADING_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[Tt]\d+\.\d+-(?:\d{1,3}|[Nn])").unwrap());
/// All of [`SKIP`] sought at once: every cell of a key column is looked at.
static SKIP_FINDER: LazyLock<aho_corasick::AhoCorasick> =
    LazyLock::new(|| aho_corasick::AhoCorasick::new(SKIP).expect("fixed words build a finder"));

static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d+(?:\.\d+)*[.、)）]|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.]|[①-⑳]|[a-zA-Z][.、)）])+").unwrap()
});
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:其中|含|包括)[:：]?|^(?:全市|全县区|全县|全区|本县区|本县|本区|本市|我县|我区|我市)",
    )
    .unwrap()
});
/// Counting words a clerk adds to an indicator's name (申请专利数, 专利申请量, 科技特派员人数 → 科技特派员).
static SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:数量|个数|人数|总数|总量|数|量|情况)$").unwrap());
static BRACKETED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[（(\[【][^）)\]】]*[）)\]】]").unwrap());
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^T?(?P<a>\d+)\.(?P<b>\d+)-(?:(?P<n>N)|0*(?P<k>\d{1,3}))$").unwrap()
});

/// A code as written (ｔ2.4-01, t2.4-01, T2.4－01, T2.4-1) in the plan's spelling (T2.4-01), if it is one.
pub fn canonical_code(text: &str) -> Option<String> {
    // Most codes arrive as the form printed them; such a code is its own canonical spelling.
    if is_canonical(text) {
        return Some(text.to_string());
    }
    respelled_code(text)
}

/// [`canonical_code`] the long way: folded, upper-cased and dashes unified, then read by the pattern.
fn respelled_code(text: &str) -> Option<String> {
    let t = fold_text(text)
        .to_uppercase()
        .replace(['－', '—', '–', '_', '－', '‐'], "-")
        .replace('。', ".");
    let c = CODE.captures(&t)?;
    Some(match c.name("k") {
        Some(k) => format!(
            "T{}.{}-{:02}",
            &c["a"],
            &c["b"],
            k.as_str().parse::<u32>().ok()?
        ),
        None => format!("T{}.{}-N", &c["a"], &c["b"]),
    })
}

/// Whether `text` is spelled exactly as the plan spells codes: T, digits, a dot, digits, a dash, then two digits
/// or N (what [`canonical_code`] would return for it unchanged).
fn is_canonical(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = text.strip_prefix('T') else {
        return false;
    };
    let Some((task, k)) = rest.split_once('-') else {
        return false;
    };
    let Some((a, b)) = task.split_once('.') else {
        return false;
    };
    digits(a) && digits(b) && (k == "N" || (k.len() == 2 && digits(k)))
}

/// A code written at the start of an indicator's text, if any.
fn leading_code(text: &str) -> Option<String> {
    let folded = fold_text(text).replace(['－', '—', '–'], "-");
    LEADING_CODE
        .find(&folded)
        .and_then(|m| canonical_code(m.as_str()))
}

/// Text as compared: half-width, no numbering, no 其中 prefix, no bracketed notes, no punctuation or quotes.
pub fn match_key(text: &str) -> String {
    thread_local! {
        static KNOWN: std::cell::RefCell<Memo<(), String>> = std::cell::RefCell::default();
    }
    // Every return names the same indicators: their keys are worked out once per thread.
    KNOWN.with_borrow_mut(|memo| memo.answer(text, (), || match_key_of(text)))
}

fn match_key_of(text: &str) -> String {
    let t = fold_text(text);
    let t = NUMBERING.replace(&t, "");
    let t = PREFIX.replace(&t, "");
    let t = BRACKETED.replace_all(&t, "");
    let t = SUFFIX.replace(&t, "");
    // No indicator is worded in more than a hundred characters; a longer cell is a note, and would only cost.
    t.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '%' | '+'))
        .take(100)
        .collect()
}

/// The Dice coefficient of two keys' character pairs.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let pairs = |s: &str| -> HashMap<(char, char), usize> {
        let c: Vec<char> = s.chars().collect();
        let mut m = HashMap::new();
        for w in c.windows(2) {
            *m.entry((w[0], w[1])).or_insert(0) += 1;
        }
        m
    };
    let (pa, pb) = (pairs(a), pairs(b));
    let total: usize = pa.values().sum::<usize>() + pb.values().sum::<usize>();
    if total == 0 {
        return 0.0;
    }
    let common: usize = pa
        .iter()
        .map(|(p, n)| (*n).min(pb.get(p).copied().unwrap_or(0)))
        .sum();
    2.0 * common as f64 / total as f64
}

/// The keys an expected row answers to: its indicator's text, or for a narrative its task's title.
fn keys(r: &ReportRow<'_>) -> Vec<String> {
    let mut k = vec![match_key(&r.text())];
    match r.indicator {
        Some(ind) => k.push(match_key(&ind.text)),
        None => {
            k.push(match_key(&r.task.title));
            k.retain(|s| s != &match_key("工作进展情况"));
        }
    }
    k.retain(|s| !s.is_empty());
    k
}

/// How a row's text matched the unit's expected rows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Match {
    /// The row is this expected row, with this similarity.
    Found(usize, f64),
    /// No expected row clearly; the nearest, if any is near at all.
    Doubt(Option<usize>),
}

fn max_similarity(texts: &[String], keys: &[String]) -> f64 {
    texts
        .iter()
        .flat_map(|t| keys.iter().map(move |k| similarity(t, k)))
        .fold(0.0, f64::max)
}

/// Matches a row's texts to an expected row: the best above [`THRESHOLD`] that leads the rest by [`MARGIN`];
/// among close contenders, the one whose task the row's 重点任务 names; among rows the plan words identically
/// (the same quantity asked under two tasks), the first not yet taken, in the plan's order.
fn match_row(
    texts: &[String],
    task: &str,
    expected: &[(ReportRow<'_>, Vec<String>)],
    taken: &HashSet<String>,
) -> Match {
    let scores: Vec<f64> = expected
        .iter()
        .map(|(r, ks)| {
            if flow_for_stock(texts, &r.text()) {
                0.0
            } else {
                max_similarity(texts, ks)
            }
        })
        .collect();
    let Some((best_i, &best)) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
    else {
        return Match::Doubt(None);
    };
    if best < THRESHOLD {
        return reordered(texts, expected).unwrap_or(Match::Doubt((best > 0.3).then_some(best_i)));
    }
    let close: Vec<usize> = (0..expected.len())
        .filter(|&i| scores[i] > best - MARGIN)
        .collect();
    if close.len() == 1 {
        return Match::Found(best_i, best);
    }
    let task = match_key(task);
    if !task.is_empty() {
        let mut by_task: Vec<(usize, f64)> = close
            .iter()
            .map(|&i| (i, similarity(&task, &match_key(&expected[i].0.task.title))))
            .collect();
        by_task.sort_by(|a, b| b.1.total_cmp(&a.1));
        if by_task[0].1 >= 0.5 && by_task[0].1 - by_task[1].1 >= MARGIN {
            return Match::Found(by_task[0].0, scores[by_task[0].0]);
        }
    }
    let same_words = close
        .iter()
        .all(|&i| scores[i] == best && expected[i].1 == expected[best_i].1);
    if same_words
        && let Some(&i) = close
            .iter()
            .find(|&&i| !taken.contains(&expected[i].0.code()))
    {
        return Match::Found(i, best);
    }
    reordered(texts, expected).unwrap_or(Match::Doubt(Some(best_i)))
}

/// Words of a flow (what was added this year) and of a stock (how many there are in all).
const FLOW: [&str; 6] = ["新增", "新认定", "新申报", "新引进", "新培育", "新建"];
const STOCK: [&str; 4] = ["总数", "总量", "拥有量", "总额"];

/// Whether a row that counts what is new (新增高新技术企业) would be read as an indicator that counts all there
/// is (高新技术企业总数): the words left after normalising look alike, the figures never mean the same.
fn flow_for_stock(texts: &[String], indicator: &str) -> bool {
    let has = |t: &str, words: &[&str]| words.iter().any(|w| t.contains(w));
    texts.iter().any(|t| has(t, &FLOW)) && has(indicator, &STOCK) && !has(indicator, &FLOW)
}

/// The one expected row whose text holds the same characters as the row's, in another order, if one clearly
/// does (see [`REORDER_THRESHOLD`]).
fn reordered(texts: &[String], expected: &[(ReportRow<'_>, Vec<String>)]) -> Option<Match> {
    let mut scores: Vec<(usize, f64)> = expected
        .iter()
        .enumerate()
        .filter(|(_, (r, _))| !flow_for_stock(texts, &r.text()))
        .map(|(i, (_, ks))| {
            let s = texts
                .iter()
                .flat_map(|t| ks.iter().map(move |k| char_similarity(t, k)))
                .fold(0.0, f64::max);
            (i, s)
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let (best_i, best) = *scores.first()?;
    let second = scores.get(1).map_or(0.0, |s| s.1);
    (best >= REORDER_THRESHOLD && best - second >= REORDER_MARGIN)
        .then_some(Match::Found(best_i, best))
}

/// The Dice coefficient of two keys' characters, in any order.
pub fn char_similarity(a: &str, b: &str) -> f64 {
    let count = |s: &str| -> HashMap<char, usize> {
        let mut m = HashMap::new();
        for c in s.chars() {
            *m.entry(c).or_insert(0) += 1;
        }
        m
    };
    let (ca, cb) = (count(a), count(b));
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 0.0;
    }
    let common: usize = ca
        .iter()
        .map(|(c, n)| (*n).min(cb.get(c).copied().unwrap_or(0)))
        .sum();
    2.0 * common as f64 / total as f64
}

/// Whether a row is a total, subtotal or signature line.
fn is_skipped(sheet: &RawSheet, row: u32, key_cols: &[u32]) -> bool {
    let first = sheet.text_cols(row).next();
    key_cols.iter().copied().chain(first).any(|c| {
        let t = fold_text(&sheet.text(row, c));
        // A text that holds none of the words cannot start with one once its numbering is gone.
        if !SKIP_FINDER.is_match(&t) {
            return false;
        }
        let t = NUMBERING.replace(&t, "");
        SKIP.iter().any(|w| t.starts_with(w))
    })
}

/// Locates the unit's indicator rows under the header, recording rows it cannot place.
pub fn locate(
    sheet: &RawSheet,
    header: &Header,
    run: Period,
    catalogue: &Catalogue,
    unit: &str,
    file: &str,
    findings: &mut Vec<Finding>,
) -> Vec<ReturnRow> {
    let expected: Vec<(ReportRow<'_>, Vec<String>)> = catalogue
        .rows_for(unit)
        .into_iter()
        .map(|r| {
            let k = keys(&r);
            (r, k)
        })
        .collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut rows: Vec<ReturnRow> = Vec::new();
    let mut table = header.clone();
    // A second table under the first (the narrative part: 重点任务 | 工作进展) has its own header: the rows
    // below it are read by its columns.
    loop {
        let next = sheet
            .rows()
            .filter(|r| *r > table.last_row)
            .find(|r| second_header(sheet, *r, run));
        let part = Part {
            sheet,
            header: &table,
            until: next,
            run,
            expected: &expected,
            catalogue,
            unit,
            file,
        };
        part.read(&mut taken, &mut rows, findings);
        let Some(mut h) = next.and_then(|r| header::read_header(sheet, r, r, run)) else {
            break;
        };
        h.table_unit = h.table_unit.or(table.table_unit.clone());
        table = h;
    }
    rows
}

/// Whether a row under a table starts another: two or more texts, every one a column title, naming an indicator
/// or task column and a figure or progress column.
fn second_header(sheet: &RawSheet, row: u32, run: Period) -> bool {
    let texts = sheet.row_texts(row);
    texts.len() >= 2
        && texts
            .iter()
            .all(|(_, t)| header::meaning(t, run).is_some_and(|m| m != header::Meaning::Ignored))
        && header::read_header(sheet, row, row, run).is_some()
}

/// One table of a sheet: its header and the rows under it, up to the next table's header.
struct Part<'a, 'c> {
    sheet: &'a RawSheet,
    header: &'a Header,
    until: Option<u32>,
    run: Period,
    expected: &'a [(ReportRow<'c>, Vec<String>)],
    catalogue: &'c Catalogue,
    unit: &'a str,
    file: &'a str,
}

impl Part<'_, '_> {
    /// Reads the table's rows into `rows`, recording rows it cannot place.
    fn read(
        &self,
        taken: &mut HashSet<String>,
        rows: &mut Vec<ReturnRow>,
        findings: &mut Vec<Finding>,
    ) {
        let Part {
            sheet,
            header,
            until,
            run,
            expected,
            catalogue,
            unit,
            file,
        } = *self;
        let cols = &header.columns;
        let text_at = |row: u32, field: u16| {
            cols.get(field)
                .map(|c| sheet.text_merged(row, c))
                .unwrap_or_default()
        };
        // A figure merged over several rows cannot be split among them: only its own row reads it.
        let figure_at = |row: u32, field: u16| {
            let c = cols.get(field)?;
            let mut cell = sheet.get(row, c).cloned()?;
            // A unit declared for the column or the whole table is what the figures were typed in; a money unit in
            // the row's own 计量单位 cell counts only without one (a copied form keeps the plan's unit there).
            let row_unit = cols
                .get(col::UNIT)
                .map(|u| fold_text(&sheet.text_merged(row, u)))
                .filter(|u| MONEY.contains(&u.as_str()));
            cell.declared_unit = cols.units[field as usize]
                .clone()
                .or(header.table_unit.clone())
                .or(row_unit);
            Some(cell)
        };
        let key_cols: Vec<u32> = [col::CODE, col::TASK, col::TEXT]
            .iter()
            .filter_map(|f| cols.get(*f))
            .collect();
        let cell_col = cols.get(col::CODE).or(cols.get(col::TEXT)).unwrap_or(0);
        let text_col = cols.get(col::TEXT).or(cols.get(col::CODE)).unwrap_or(0);
        for row in sheet
            .rows()
            .filter(|r| *r > header.last_row && until.is_none_or(|u| *r < u))
        {
            // A second table's header, or the header repeated on each printed page, is no indicator.
            if is_skipped(sheet, row, &key_cols) || header::is_header_row(sheet, row, run) {
                continue;
            }
            let written_code = cols
                .get(col::CODE)
                .map(|c| sheet.text(row, c))
                .unwrap_or_default();
            // Without a code column, a code may lead the indicator's text (T2.4-01 申请专利).
            let code = canonical_code(&written_code).or_else(|| {
                written_code
                    .is_empty()
                    .then(|| leading_code(&text_at(row, col::TEXT)))
                    .flatten()
            });
            let text = text_at(row, col::TEXT);
            let has_content = [col::MONTH, col::CUMULATIVE]
                .iter()
                .any(|f| figure_at(row, *f).is_some_and(|c| c.value != RawValue::Empty))
                || !fold_text(&text_at(row, col::PROGRESS)).is_empty();
            let by_code = code
                .as_ref()
                .and_then(|c| expected.iter().find(|(r, _)| r.has_code(c)))
                .map(|(r, _)| r.code());
            let matched = match (&by_code, &code) {
                (Some(c), _) => Some(c.clone()),
                (None, Some(c)) => {
                    let in_plan = catalogue.indicator(c).is_some()
                        || catalogue
                            .tasks
                            .iter()
                            .any(|t| crate::plan::model::narrative_code(&t.code) == *c);
                    findings.push(
                    Finding::new(
                        Code::UnknownIndicator,
                        if in_plan {
                            format!("第{}行的指标“{c}”不是本单位应填报的指标，未汇总；请删除该行", row + 1)
                        } else {
                            format!("第{}行的指标“{c}”不在计划内，未汇总；请核对指标编码，不要自行增加指标", row + 1)
                        },
                    )
                    .unit(unit)
                    .indicator(c)
                    .at(file, &sheet.name, &a1(row, cell_col))
                    .values("", written_code.clone()),
                );
                    continue;
                }
                (None, None) => {
                    // A task column that also serves as the indicator column names no task.
                    let task = if cols.get(col::TASK) == cols.get(col::TEXT) {
                        String::new()
                    } else {
                        text_at(row, col::TASK)
                    };
                    let texts: Vec<String> = [text.clone(), task.clone()]
                        .iter()
                        .map(|t| match_key(t))
                        .filter(|t| !t.is_empty())
                        .collect();
                    match match_row(&texts, &task, expected, taken) {
                        Match::Found(i, score) => {
                            let (r, _) = &expected[i];
                            findings.push(
                            Finding::new(
                                Code::MatchedByText,
                                format!(
                                    "第{}行没有可用的指标编码，按文字“{}”对应为指标“{} {}”（相似度{:.2}）；请核对",
                                    row + 1,
                                    text,
                                    r.code(),
                                    r.text(),
                                    score
                                ),
                            )
                            .unit(unit)
                            .indicator(&r.code())
                            .at(file, &sheet.name, &a1(row, text_col))
                            .values(r.text(), text.clone()),
                        );
                            Some(r.code())
                        }
                        // Headings, blank lines and notes carry no figure to lose.
                        Match::Doubt(_) if !has_content => continue,
                        Match::Doubt(nearest) => {
                            let nearest = nearest.map(|i| &expected[i].0);
                            let shown = if text.is_empty() {
                                text_at(row, col::TASK)
                            } else {
                                text.clone()
                            };
                            let ask = nearest
                                .map(|r| format!("是否为“{} {}”？", r.code(), r.text()))
                                .unwrap_or_default();
                            findings.push(
                            Finding::new(
                                Code::UnknownIndicator,
                                format!(
                                    "第{}行的“{shown}”对应不到本单位应填报的指标，未汇总；{ask}请填写指标编码或按模板的指标名称填写",
                                    row + 1
                                ),
                            )
                            .unit(unit)
                            .indicator("")
                            .at(file, &sheet.name, &a1(row, text_col))
                            .values(nearest.map(|r| r.text()).unwrap_or_default(), shown),
                        );
                            continue;
                        }
                    }
                }
            };
            let Some(code) = matched else { continue };
            if !taken.insert(code.clone()) {
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
                target: text_at(row, col::TARGET),
                month: figure_at(row, col::MONTH),
                cumulative: figure_at(row, col::CUMULATIVE),
                progress: text_at(row, col::PROGRESS),
                remark: text_at(row, col::REMARK),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retyped_codes_are_recognised() {
        for t in [
            "T2.4-01",
            "ｔ2.4-01",
            "t2.4-01",
            "T2.4－01",
            "T2.4-1",
            " T2.4 - 01 ",
            "2.4-01",
        ] {
            assert_eq!(canonical_code(t).as_deref(), Some("T2.4-01"), "{t}");
        }
        assert_eq!(canonical_code("T2.3-N").as_deref(), Some("T2.3-N"));
        assert_eq!(leading_code("T2.4-01 申请专利").as_deref(), Some("T2.4-01"));
        assert_eq!(leading_code("申请专利"), None);
        for t in ["1", "序号", "2020", "T2.4"] {
            assert_eq!(canonical_code(t), None, "{t}");
        }
    }

    #[test]
    fn codes_spelled_as_the_plan_spells_them_skip_the_long_way_and_agree_with_it() {
        for t in ["T2.4-01", "T2.3-N", "T02.4-00", "T10.12-99", "T1.0-10"] {
            assert!(is_canonical(t), "{t}");
            assert_eq!(respelled_code(t).as_deref(), Some(t), "{t}");
        }
        for t in [
            "T2.4-1", "T2.4-001", "t2.4-01", "T2.4-n", "T2.4-", "T.4-01", "T2-01", "T2.4-01 ",
        ] {
            assert!(!is_canonical(t), "{t}");
        }
    }

    #[test]
    fn texts_are_normalised_before_matching() {
        assert_eq!(match_key("1. 其中：申请专利（件）"), "申请专利");
        assert_eq!(
            match_key("（一）“新认定”高新技术企业"),
            "新认定高新技术企业"
        );
        assert_eq!(
            match_key("①细化完善《陇西创新型试点县实施方案》"),
            "细化完善陇西创新型试点县实施方案"
        );
    }

    fn expected_of<'c>(c: &'c Catalogue, unit: &str) -> Vec<(ReportRow<'c>, Vec<String>)> {
        c.rows_for(unit)
            .into_iter()
            .map(|r| {
                let k = keys(&r);
                (r, k)
            })
            .collect()
    }

    /// The threshold and margin, checked on the built-in plan: retypings are matched, near-namesakes and
    /// unrelated texts are not, and no two differently worded rows of one unit come within the margin of each
    /// other (the closest pair, 地方财政科学技术支出占地方财政支出的比重 / 市本级财政科学技术支出占财政支出的比重,
    /// scores 0.76), so a text typed exactly as the plan words it is never in doubt.
    #[test]
    fn the_threshold_takes_retypings_and_leaves_doubt_alone() {
        let c = Catalogue::from_toml(include_str!("../../templates/plan.toml")).unwrap();
        let pick = |unit: &str, t: &str, task: &str| {
            let expected = expected_of(&c, unit);
            match match_row(&[match_key(t)], task, &expected, &HashSet::new()) {
                Match::Found(i, _) => Some(expected[i].0.code()),
                Match::Doubt(_) => None,
            }
        };
        assert_eq!(
            pick("kfq", "新认定高新技术企业", "").as_deref(),
            Some("T2.1-01")
        );
        assert_eq!(
            pick("kfq", "1.新认定高新技术企业数（家）", "").as_deref(),
            Some("T2.1-01")
        );
        assert_eq!(
            pick("kfq", "新认定的高新技术企业", "").as_deref(),
            Some("T2.1-01")
        );
        assert_eq!(
            pick("kfq", "定西现代科技产业园完成投资额", "").as_deref(),
            Some("T2.1-04")
        );
        assert_eq!(
            pick("longxi", "其中：发明专利授权", "").as_deref(),
            Some("T2.4-03")
        );
        // Words swapped keep every character; a text between two indicators stays in doubt.
        assert_eq!(pick("longxi", "专利申请", "").as_deref(), Some("T2.4-01"));
        assert_eq!(pick("longxi", "专利授权", "").as_deref(), Some("T2.4-02"));
        assert_eq!(pick("longxi", "专利申请量", "").as_deref(), Some("T2.4-01"));
        // What is new is never read as all there is (高新技术企业总数), however alike the words.
        assert_eq!(pick("longxi", "新增高新技术企业", ""), None);
        assert_eq!(
            pick("longxi", "高新技术企业总数", "").as_deref(),
            Some("T2.5-01")
        );
        assert_eq!(
            pick("longxi", "本县申请专利数", "").as_deref(),
            Some("T2.4-01")
        );
        assert_eq!(
            pick("kjj", "科技特派员人数", "").as_deref(),
            Some("T2.10-04")
        );
        assert_eq!(
            pick("kjj", "争取省科技厅支持工作", "").as_deref(),
            Some("T3.4-02")
        );
        assert_eq!(pick("czj", "财政科学技术支出占财政支出的比重", ""), None);
        assert_eq!(pick("kjj", "招商引资到位资金", ""), None);
        // The same words under two tasks: the task names which, else the plan's order.
        assert_eq!(
            pick(
                "longxi",
                "入库备案国家科技型中小企业",
                "支持科技型中小企业发展"
            )
            .as_deref(),
            Some("T2.5-04")
        );
        assert_eq!(
            pick("longxi", "入库备案国家科技型中小企业", "").as_deref(),
            Some("T2.2-05")
        );
        for u in c.reporting_units() {
            let expected = expected_of(&c, &u.code);
            // Normalising never makes two differently worded indicators read alike.
            for (a, ka) in &expected {
                for (b, kb) in &expected {
                    if ka == kb && a.indicator.is_some() && b.indicator.is_some() {
                        assert_eq!(a.text(), b.text(), "{}: {} {}", u.code, a.code(), b.code());
                    }
                }
            }
            for (a, ka) in &expected {
                for (b, kb) in &expected {
                    if ka != kb {
                        let s = ka
                            .iter()
                            .flat_map(|x| kb.iter().map(move |y| similarity(x, y)))
                            .fold(0.0, f64::max);
                        assert!(s < 1.0 - MARGIN, "{} {} {} {s}", u.code, a.code(), b.code());
                    }
                }
            }
        }
    }
}
