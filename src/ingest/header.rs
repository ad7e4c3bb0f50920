//! Finding the header: which row or rows of a sheet title its columns, and what each column means.
//!
//! Offices retype the form into their own table, so a column is recognised by what its title means, not by
//! its exact text; a two- or three-row header with a merged parent (完成情况 over 本月 | 累计) is read as the
//! parent's and the child's titles together.

use std::cell::RefCell;
use std::sync::LazyLock;

use regex::Regex;

use super::memo::Memo;
use crate::forms::col;
use crate::normalise::fold_text;
use crate::period::Period;
use crate::raw::{RawSheet, RawValue};

/// How many rows from the top of a sheet the header may start in.
pub const HEADER_SEARCH_ROWS: u32 = 30;

/// Column positions of the header fields that were found.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Columns {
    /// Column of each header name, by its index in [`crate::forms::HEADERS`].
    pub by_field: [Option<u32>; 9],
    /// A unit of measure written in a column's title (累计完成（万元）), by field.
    pub units: [Option<String>; 9],
}

impl Columns {
    /// The column of header field `field` (an index into [`crate::forms::HEADERS`]).
    pub fn get(&self, field: u16) -> Option<u32> {
        self.by_field[field as usize]
    }

    fn count(&self) -> usize {
        self.by_field.iter().filter(|c| c.is_some()).count()
    }
}

/// The header of one sheet.
#[derive(Debug, Clone)]
pub struct Header {
    /// The first header row (real, 0-based).
    pub row: u32,
    /// The last header row: the data starts below it.
    pub last_row: u32,
    /// Where each field sits.
    pub columns: Columns,
    /// A money unit written once for the whole table (单位：万元 in the title rows or over the header).
    pub table_unit: Option<String>,
    /// The month the figure columns' titles name, and one such title: the run's (10月当月, 1-10月累计), or,
    /// when every figure column is titled for one other month, that month (9月当月, 1-9月累计).
    pub month_named: Option<(u32, String)>,
}

/// What a column title means.
#[derive(Debug, Clone, PartialEq)]
pub enum Meaning {
    /// One of the form's fields (an index into [`crate::forms::HEADERS`]).
    Field(u16),
    /// A task column that serves as the indicator column when the table has none.
    TaskOrIndicator,
    /// This month's or the cumulative figure for another month of the run's year (9月当月, 1-9月累计): read
    /// never, but it says which month the table reports.
    OtherMonth(u32),
    /// A figure for another year, last year's, a ratio, a row number: read never.
    Ignored,
}

static MONTH_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\d{1,2}|[一二三四五六七八九十]+)月?(?:-|—|–|~|～|至|到)(\d{1,2})月").unwrap()
});
static UP_TO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:截至|截止|截止到|至)(\d{1,2})月").unwrap());
static MONTH_OF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{1,2})月").unwrap());
static PARENT_MONTH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{1,2})月").unwrap());
static BARE_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,2}月份?(完成|完成数|完成情况)?$").unwrap());
static YEAR_OF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})年?").unwrap());
static BRACKETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[（(\[【][^）)\]】]*[）)\]】]").unwrap());
static UNIT_IN_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[（(\[【](?:单位[:：])?|单位[:：])(万元|亿元|千元|元)[）)\]】]?").unwrap()
});

/// The money unit a text declares (单位：万元, 累计完成（万元）), if any.
pub fn declared_unit(text: &str) -> Option<String> {
    // Every unit the pattern knows ends in 元, which folding leaves alone: most texts are passed over here.
    if !text.contains('元') {
        return None;
    }
    let folded = fold_text(text);
    UNIT_IN_TITLE.captures(&folded).map(|c| c[1].to_string())
}

/// What a column title means in a return for `run`.
///
/// Header finding asks this of every text in a sheet's first rows, several times over, and the same titles
/// and indicator names recur in every return of a run: answers are remembered per thread (a pure function of
/// the title and the run's period).
pub fn meaning(title: &str, run: Period) -> Option<Meaning> {
    thread_local! {
        static KNOWN: RefCell<Memo<Period, Option<Meaning>>> = RefCell::default();
    }
    KNOWN.with_borrow_mut(|memo| memo.answer(title, run, || meaning_of(title, run)))
}

fn meaning_of(title: &str, run: Period) -> Option<Meaning> {
    let full = fold_text(title).replace(['－', '—', '–'], "-");
    let t = BRACKETS.replace_all(&full, "").to_string();
    let t = if t.is_empty() { full.clone() } else { t };
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if t == "序号" || t == "序" || t == "行次" {
        return Some(Meaning::Ignored);
    }
    if has(&["编码", "代码", "指标编号"]) {
        return Some(Meaning::Field(col::CODE));
    }
    // Last year's or last month's figures, growth rates and completion ratios look like figures but are not
    // this month's (上月累计 beside 本月累计).
    if has(&[
        "同期",
        "上年",
        "去年",
        "上月",
        "上期",
        "时限",
        "时间",
        "日期",
        "同比",
        "增长",
        "增速",
        "增幅",
        "完成率",
        "完成进度",
        "完成比例",
        "百分比",
        "占比",
        "进度(%)",
        "比例",
    ]) {
        return Some(Meaning::Ignored);
    }
    // 进度 under a month (10月份完成情况 over 数量 | 进度) is a ratio; 工作进度 is written progress.
    if (t.ends_with("进度") || t.ends_with("进度%")) && !has(&["工作进度", "推进进度"])
    {
        return Some(Meaning::Ignored);
    }
    if has(&[
        "进展",
        "推进情况",
        "进度情况",
        "工作进度",
        "推进进度",
        "工作情况",
        "落实情况",
    ]) {
        return Some(Meaning::Field(col::PROGRESS));
    }
    if has(&["备注", "说明"]) {
        return Some(Meaning::Field(col::REMARK));
    }
    if t == "计量单位" || t == "单位" || t == "指标单位" {
        return Some(Meaning::Field(col::UNIT));
    }
    // What was planned is not what was done: 本月计划, 1-10月目标, 累计应完成 sit beside the figures they are
    // measured against. The year's plan is the target (全年计划, 年度任务, 任务数).
    let planned = has(&["计划", "预计", "预期", "应完成", "目标", "任务数"]);
    let figure_word = has(&[
        "本月",
        "当月",
        "本期",
        "当期",
        "累计",
        "截至",
        "截止",
        "年初至今",
    ]) || MONTH_OF.is_match(&t);
    if planned && figure_word {
        return Some(Meaning::Ignored);
    }
    if has(&["计划", "任务数"])
        || (t.ends_with("任务") && ["全年", "年度", "本年"].iter().any(|w| t.starts_with(w)))
    {
        return Some(Meaning::Field(col::TARGET));
    }
    let other_year = YEAR_OF
        .captures(&t)
        .and_then(|c| c[1].parse::<i32>().ok())
        .is_some_and(|y| y != run.year);
    if has(&["累计", "年初至今", "截至", "截止"]) || MONTH_RANGE.is_match(&t) {
        let last = MONTH_RANGE
            .captures(&t)
            .or_else(|| UP_TO.captures(&t))
            .and_then(|c| c[1].parse::<u32>().ok());
        return Some(match last {
            _ if other_year => Meaning::Ignored,
            Some(m) if m != run.month => Meaning::OtherMonth(m),
            _ => Meaning::Field(col::CUMULATIVE),
        });
    }
    let month_word = has(&[
        "本月",
        "当月",
        "本期",
        "当期",
        "月完成",
        "月份完成",
        "月度完成",
    ]);
    let named_month = MONTH_OF.captures(&t).and_then(|c| c[1].parse::<u32>().ok());
    let bare_month = BARE_MONTH.is_match(&t);
    if month_word || bare_month {
        return Some(match named_month {
            _ if other_year => Meaning::Ignored,
            Some(m) if m != run.month => Meaning::OtherMonth(m),
            _ => Meaning::Field(col::MONTH),
        });
    }
    // 完成情况 alone holds what was done, in words as often as in figures: read as the progress text.
    if t.ends_with("完成情况") {
        return Some(Meaning::Field(col::PROGRESS));
    }
    if t == "目标任务" || t == "工作目标" {
        return Some(Meaning::TaskOrIndicator);
    }
    if has(&["目标"]) {
        return Some(if other_year {
            Meaning::Ignored
        } else {
            Meaning::Field(col::TARGET)
        });
    }
    if has(&["指标"]) {
        return Some(Meaning::Field(col::TEXT));
    }
    // 任务名称, 考核内容: the row's name, unless it names a unit, an enterprise or a project (a list of those is
    // not a return of this plan).
    if has(&["任务", "工作事项", "重点工作", "工作内容"])
        || ["内容", "事项", "名称"].contains(&t.as_str())
        || ((t.ends_with("名称") || t.ends_with("内容"))
            && !["单位", "企业", "公司", "项目"]
                .iter()
                .any(|w| t.contains(w)))
    {
        return Some(Meaning::TaskOrIndicator);
    }
    None
}

/// The title of `col` over the header rows `first..=last`, parent first: each row's text, a merged cell's in
/// every column it covers, the same text once.
fn title(sheet: &RawSheet, first: u32, last: u32, col: u32) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for row in first..=last {
        let t = sheet.text_merged(row, col);
        if !t.is_empty() && parts.last() != Some(&t) {
            parts.push(t);
        }
    }
    parts
}

/// Whether a parent title puts its columns in another month or year than the run's (9月完成情况, 上年同期,
/// 2019年, 1-9月).
fn other_time(parent: &str, run: Period) -> bool {
    let t = fold_text(parent).replace(['－', '—', '–'], "-");
    let year = YEAR_OF.captures(&t).and_then(|c| c[1].parse::<i32>().ok());
    let month = MONTH_RANGE
        .captures(&t)
        .or_else(|| UP_TO.captures(&t))
        .or_else(|| MONTH_OF.captures(&t))
        .and_then(|c| c[1].parse::<u32>().ok());
    ["同期", "上年", "去年", "同比"]
        .iter()
        .any(|w| t.contains(w))
        || year.is_some_and(|y| y != run.year)
        || month.is_some_and(|m| m != run.month)
}

/// What a column titled by `parts` (parent first) means: the child's meaning, in its parents' month and year.
fn column_meaning(parts: &[String], run: Period) -> Option<Meaning> {
    thread_local! {
        static KNOWN: RefCell<Memo<Period, Option<Meaning>>> = RefCell::default();
    }
    // Titles never hold a control character: the unit separator keeps ["1-10月", "累计"] apart from
    // ["1-10", "月累计"].
    let key = parts.join("\u{1f}");
    KNOWN.with_borrow_mut(|memo| memo.answer(&key, run, || column_meaning_of(parts, run)))
}

fn column_meaning_of(parts: &[String], run: Period) -> Option<Meaning> {
    let (child, parents) = parts.split_last()?;
    let own = meaning(child, run).or_else(|| meaning(&parts.concat(), run));
    if let Some(parent) = parents.iter().find(|p| other_time(p, run)) {
        // A figure under 9月 is September's; anything under 上年同期 or 2019年 is never read.
        let t = fold_text(parent).replace(['－', '—', '–'], "-");
        let month = PARENT_MONTH
            .captures(&t)
            .and_then(|c| c[1].parse::<u32>().ok());
        let same_year = !["同期", "上年", "去年", "同比"]
            .iter()
            .any(|w| t.contains(w))
            && YEAR_OF
                .captures(&t)
                .and_then(|c| c[1].parse::<i32>().ok())
                .is_none_or(|y| y == run.year);
        return Some(match (&own, month) {
            (Some(Meaning::Field(col::MONTH | col::CUMULATIVE)), Some(m)) if same_year => {
                Meaning::OtherMonth(m)
            }
            _ => Meaning::Ignored,
        });
    }
    own
}

/// Reads rows `first..=last` as a header; `None` unless it names an indicator and a figure or progress column.
pub fn read_header(sheet: &RawSheet, first: u32, last: u32, run: Period) -> Option<Header> {
    let mut cols: Vec<u32> = (first..=last)
        .flat_map(|r| sheet.text_cols(r))
        .chain(
            sheet
                .merges
                .iter()
                .filter(|m| m.row <= last && m.last_row >= first)
                .flat_map(|m| m.col..=m.last_col.min(m.col + 63)),
        )
        .collect();
    cols.sort_unstable();
    cols.dedup();
    let mut columns = Columns::default();
    let mut task_like: Vec<u32> = Vec::new();
    let mut other: Vec<(u32, String)> = Vec::new();
    let mut this_named: Option<(u32, String)> = None;
    for c in cols {
        let parts = title(sheet, first, last, c);
        match column_meaning(&parts, run) {
            Some(Meaning::Field(f)) if columns.by_field[f as usize].is_none() => {
                columns.by_field[f as usize] = Some(c);
                let title = parts.concat();
                columns.units[f as usize] = declared_unit(&title);
                if (f == col::MONTH || f == col::CUMULATIVE)
                    && MONTH_OF.is_match(&fold_text(&title))
                {
                    this_named.get_or_insert((run.month, title));
                }
            }
            Some(Meaning::TaskOrIndicator) => task_like.push(c),
            Some(Meaning::OtherMonth(m)) => other.push((m, parts.concat())),
            _ => {}
        }
    }
    // 重点任务 is the task; it holds the indicator only when no column is titled as one.
    for c in task_like {
        if columns.get(col::TASK).is_none() {
            columns.by_field[col::TASK as usize] = Some(c);
        } else if columns.get(col::TEXT).is_none() {
            columns.by_field[col::TEXT as usize] = Some(c);
        }
    }
    if columns.get(col::TEXT).is_none() {
        columns.by_field[col::TEXT as usize] = columns.get(col::TASK);
    }
    let has_key = columns.get(col::CODE).is_some() || columns.get(col::TEXT).is_some();
    let this_month = [col::MONTH, col::CUMULATIVE]
        .iter()
        .any(|f| columns.get(*f).is_some());
    // A table of another month is still a return: found here, so that it waits for that month's run.
    let other_month = (!this_month)
        .then(|| other.into_iter().max_by_key(|(m, _)| *m))
        .flatten();
    let has_value = this_month || columns.get(col::PROGRESS).is_some() || other_month.is_some();
    let fields = columns.count() + usize::from(other_month.is_some());
    let month_named = this_named.or(other_month);
    (has_key && has_value && fields >= 2).then_some(Header {
        row: first,
        last_row: last,
        columns,
        table_unit: None,
        month_named,
    })
}

/// Whether a row under the header repeats a header (a second table, or the header on each printed page):
/// every text in it is a column title, and it names at least three fields.
pub fn is_header_row(sheet: &RawSheet, row: u32, run: Period) -> bool {
    // Asked of every data row: most fail at their first text, and the rest need not be written out.
    let mut titles = 0;
    for (_, t) in sheet.row_texts_lazily(row) {
        if meaning(&t, run).is_none() {
            return false;
        }
        titles += 1;
    }
    titles >= 3 && read_header(sheet, row, row, run).is_some_and(|h| h.columns.count() >= 3)
}

/// Whether a text is a column title or says which month or year its columns are for.
fn titles_a_column(text: &str, run: Period) -> bool {
    meaning(text, run).is_some() || MONTH_OF.is_match(text) || YEAR_OF.is_match(text)
}

/// Whether a row can be a parent row of a header: two or more short titles, at least one of them meaningful,
/// none the 填报单位 line or a unit declaration (a title row has one long text).
fn parent_row(sheet: &RawSheet, row: u32, run: Period) -> bool {
    let texts = sheet.row_texts(row);
    texts.len() >= 2
        && texts.iter().all(|(_, t)| {
            let f = fold_text(t);
            f.chars().count() <= 20 && !f.contains("填报") && declared_unit(&f).is_none()
        })
        && texts.iter().any(|(_, t)| titles_a_column(t, run))
}

/// Whether a row can be the last row of a header: every text in it is a column title (data rows hold names
/// and figures).
fn child_row(sheet: &RawSheet, row: u32, run: Period) -> bool {
    let texts = sheet.row_texts(row);
    !texts.is_empty() && texts.iter().all(|(_, t)| titles_a_column(t, run))
}

/// The best header of a sheet: the one, two or three rows among its first rows that name the most fields,
/// the fewest rows on a tie.
pub fn find(sheet: &RawSheet, run: Period) -> Option<Header> {
    let rows: Vec<u32> = sheet
        .rows()
        .take_while(|r| *r < HEADER_SEARCH_ROWS + 3)
        .collect();
    // Each row is asked about by up to three bands: answer once.
    let parent: Vec<bool> = rows.iter().map(|r| parent_row(sheet, *r, run)).collect();
    let child: Vec<bool> = rows.iter().map(|r| child_row(sheet, *r, run)).collect();
    let mut best: Option<Header> = None;
    for (i, &first) in rows.iter().enumerate() {
        if first >= HEADER_SEARCH_ROWS {
            break;
        }
        for (k, &last) in rows[i..].iter().take(3).enumerate() {
            // A band of rows is a header only if each row looks like one: the title above and the first data
            // row below must not be read into the column titles.
            if k > 0 && !(parent[i..i + k].iter().all(|p| *p) && child[i + k]) {
                continue;
            }
            let Some(h) = read_header(sheet, first, last, run) else {
                continue;
            };
            // On a tie, the band with more rows: its parents (9月 | 10月 over 当月 | 累计) decide the columns.
            let better = best.as_ref().is_none_or(|b| {
                let rows = |x: &Header| x.last_row - x.row;
                (h.columns.count(), rows(&h)) > (b.columns.count(), rows(b))
            });
            if better {
                best = Some(h);
            }
        }
    }
    // A title merged down below the band (指标名称 over three header rows) shows how deep the header is: the rows
    // it covers, when they hold no figures, are header rows too (完成数 | 占目标比例 under 累计完成), not data.
    if let Some(h) = &best {
        let deeper = sheet
            .merges
            .iter()
            .filter(|m| (h.row..=h.last_row).contains(&m.row) && m.last_row > h.last_row)
            .map(|m| m.last_row)
            .filter(|last| *last <= h.row + 2)
            .max();
        let textual = |r: u32| {
            sheet
                .cells
                .range((r, 0)..(r + 1, 0))
                .all(|(_, c)| !matches!(c.value, RawValue::Number(_)))
        };
        if let Some(last) = deeper.filter(|last| (h.last_row + 1..=*last).all(textual))
            && let Some(d) = read_header(sheet, h.row, last, run)
            && d.columns.count() >= h.columns.count()
        {
            best = Some(d);
        }
    }
    // Titles merged down from rows above (序号 over two header rows) start the header there: those rows are
    // header, not title text.
    if let Some(h) = &mut best {
        let top = sheet
            .merges
            .iter()
            .filter(|m| m.row < h.row && m.last_row >= h.row && m.last_col == m.col)
            .map(|m| m.row)
            .min();
        h.row = top.unwrap_or(h.row);
        h.table_unit = sheet
            .rows()
            .take_while(|r| *r <= h.last_row)
            .flat_map(|r| sheet.row_texts(r))
            .filter(|(_, t)| t.contains("单位"))
            .find_map(|(_, t)| declared_unit(&t));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(row: u32, col: u32, last_row: u32, last_col: u32) -> Merge {
        Merge {
            row,
            col,
            last_row,
            last_col,
        }
    }
    use crate::raw::{Merge, RawCell, RawValue};

    const OCT: Period = Period {
        year: 2020,
        month: 10,
    };

    fn field(t: &str) -> Option<Meaning> {
        meaning(t, OCT)
    }

    #[test]
    fn titles_are_recognised_by_meaning() {
        use Meaning::{Field, Ignored};
        for t in ["指标", "指标名称", "考核指标", "主要指标"] {
            assert_eq!(field(t), Some(Field(col::TEXT)), "{t}");
        }
        for t in ["年度目标", "目标", "全年目标", "目标任务数", "2020年目标"] {
            assert_eq!(field(t), Some(Field(col::TARGET)), "{t}");
        }
        for t in [
            "本月完成",
            "本月",
            "当月",
            "10月当月",
            "当月完成",
            "本期完成",
            "10月份",
        ] {
            assert_eq!(field(t), Some(Field(col::MONTH)), "{t}");
        }
        for t in [
            "累计完成",
            "累计",
            "1-10月累计",
            "1—10月",
            "截至10月底",
            "年初至今",
            "累计完成数",
            "累计完成（万元）",
        ] {
            assert_eq!(field(t), Some(Field(col::CUMULATIVE)), "{t}");
        }
        for t in ["进展情况", "工作进展", "进展", "推进情况", "完成情况"] {
            assert_eq!(field(t), Some(Field(col::PROGRESS)), "{t}");
        }
        for t in ["指标编码", "编码", "代码"] {
            assert_eq!(field(t), Some(Field(col::CODE)), "{t}");
        }
        assert_eq!(field("计量单位"), Some(Field(col::UNIT)));
        assert_eq!(field("备注"), Some(Field(col::REMARK)));
        assert_eq!(field("重点任务"), Some(Meaning::TaskOrIndicator));
        for t in ["序号", "完成率", "完成进度", "上年同期累计", "2019年累计"] {
            assert_eq!(field(t), Some(Ignored), "{t}");
        }
        // Planned figures and last month's total are measured against, never read as what was done.
        for t in [
            "本月计划",
            "10月计划完成",
            "本月目标",
            "1-10月目标",
            "累计应完成",
            "上月累计",
            "上期完成",
            "累计占年度目标%",
            "计划完成时间",
            "完成时限",
        ] {
            assert_eq!(field(t), Some(Ignored), "{t}");
        }
        for t in ["全年计划", "年度任务", "全年任务", "计划数", "目标任务数"] {
            assert_eq!(field(t), Some(Field(col::TARGET)), "{t}");
        }
        assert_eq!(field("本月累计"), Some(Field(col::CUMULATIVE)));
        // 10月份完成情况 over 数量 | 占年度目标%: the count is the month's, the share is measured against.
        assert_eq!(field("10月份完成情况数量"), Some(Field(col::MONTH)));
        assert_eq!(field("9月份完成情况数量"), Some(Meaning::OtherMonth(9)));
        assert_eq!(field("1-10月累计完成情况占年度目标%"), Some(Ignored));
        assert_eq!(field("10月份完成情况进度"), Some(Ignored));
        assert_eq!(field("工作进度"), Some(Field(col::PROGRESS)));
        assert_eq!(field("工作任务"), Some(Meaning::TaskOrIndicator));
        for t in ["任务名称", "考核内容", "具体内容"] {
            assert_eq!(field(t), Some(Meaning::TaskOrIndicator), "{t}");
        }
        for t in ["企业名称", "项目名称", "单位名称"] {
            assert_eq!(field(t), None, "{t}");
        }
        assert_eq!(declared_unit("累计完成（万元）").as_deref(), Some("万元"));
        assert_eq!(declared_unit("单位：万元").as_deref(), Some("万元"));
        assert_eq!(declared_unit("填报单位：陇西县"), None);
    }

    #[test]
    fn a_three_row_header_takes_the_runs_month() {
        let mut s = RawSheet::default();
        let mut put = |r: u32, c: u32, t: &str| {
            s.cells
                .insert((r, c), RawCell::of(RawValue::Text(t.into())));
        };
        put(0, 0, "市科技局2020年重点指标完成情况统计表");
        put(1, 0, "序号");
        put(1, 1, "主要指标");
        put(1, 2, "完成情况");
        put(2, 2, "9月");
        put(2, 4, "10月");
        for (c, t) in [(2, "当月"), (3, "累计"), (4, "当月"), (5, "累计")] {
            put(3, c, t);
        }
        put(4, 1, "申请专利");
        s.merges = vec![
            merge(1, 0, 3, 0),
            merge(1, 1, 3, 1),
            merge(1, 2, 1, 5),
            merge(2, 2, 2, 3),
            merge(2, 4, 2, 5),
        ];
        let h = find(&s, OCT).unwrap();
        assert_eq!((h.row, h.last_row), (1, 3));
        assert_eq!(h.columns.get(col::MONTH), Some(4));
        assert_eq!(h.columns.get(col::CUMULATIVE), Some(5));
    }

    #[test]
    fn a_title_merged_down_three_rows_makes_them_all_header() {
        let mut s = RawSheet::default();
        let mut put = |r: u32, c: u32, v: RawValue| {
            s.cells.insert((r, c), RawCell::of(v));
        };
        let t = |x: &str| RawValue::Text(x.into());
        put(0, 0, t("指标名称"));
        put(0, 1, t("完成情况"));
        put(1, 1, t("本月完成"));
        put(1, 2, t("累计完成"));
        put(2, 2, t("完成数"));
        put(2, 3, t("占目标比例"));
        put(3, 0, t("申请专利"));
        put(3, 1, RawValue::Number(6.0));
        put(3, 2, RawValue::Number(70.0));
        s.merges = vec![
            merge(0, 0, 2, 0),
            merge(0, 1, 0, 3),
            merge(1, 1, 2, 1),
            merge(1, 2, 1, 3),
        ];
        let h = find(&s, OCT).unwrap();
        // 完成数 alone titles nothing; the merged 指标名称 shows the header is three rows deep.
        assert_eq!((h.row, h.last_row), (0, 2));
        assert_eq!(h.columns.get(col::MONTH), Some(1));
        assert_eq!(h.columns.get(col::CUMULATIVE), Some(2));
        // A row with figures under the band is data, however far a merge reaches.
        s.merges.push(merge(0, 4, 3, 4));
        assert_eq!(find(&s, OCT).unwrap().last_row, 2);
    }

    #[test]
    fn a_merged_parent_titles_its_children() {
        let mut s = RawSheet::default();
        let mut put = |r: u32, c: u32, t: &str| {
            s.cells
                .insert((r, c), RawCell::of(RawValue::Text(t.into())));
        };
        put(3, 0, "序号");
        put(3, 1, "工作任务");
        put(3, 2, "完成情况");
        put(4, 2, "本月");
        put(4, 3, "累计");
        put(3, 4, "备注");
        put(5, 1, "申请专利");
        s.merges.push(Merge {
            row: 3,
            col: 2,
            last_row: 3,
            last_col: 3,
        });
        let h = find(&s, OCT).unwrap();
        assert_eq!((h.row, h.last_row), (3, 4));
        assert!(is_header_row(&s, 3, OCT));
        assert!(!is_header_row(&s, 5, OCT));
        let parts = |p: &str, c: &str| vec![p.to_string(), c.to_string()];
        assert_eq!(
            column_meaning(&parts("1-10月完成情况", "当月"), OCT),
            Some(Meaning::Field(col::MONTH))
        );
        assert_eq!(
            column_meaning(&parts("1-10月完成情况", "累计"), OCT),
            Some(Meaning::Field(col::CUMULATIVE))
        );
        assert_eq!(
            column_meaning(&parts("上年同期", "累计"), OCT),
            Some(Meaning::Ignored)
        );
        assert_eq!(
            column_meaning(&parts("9月完成情况", "当月"), OCT),
            Some(Meaning::OtherMonth(9))
        );
        assert_eq!(
            column_meaning(&parts("2019年", "累计"), OCT),
            Some(Meaning::Ignored)
        );
        assert_eq!(field("9月当月"), Some(Meaning::OtherMonth(9)));
        assert_eq!(field("1-9月累计"), Some(Meaning::OtherMonth(9)));
        assert_eq!(h.columns.get(col::TEXT), Some(1));
        assert_eq!(h.columns.get(col::MONTH), Some(2));
        assert_eq!(h.columns.get(col::CUMULATIVE), Some(3));
        assert_eq!(h.columns.get(col::REMARK), Some(4));
    }
}
