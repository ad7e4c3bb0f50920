//! Who sent a return and for which month, from the evidence in the sheet, the hidden `_meta` sheet and the
//! file name, strongest first.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Code, Finding};
use crate::forms::META_SHEET;
use crate::normalise::fold_text;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::{Unit, UnitKind};
use crate::raw::{RawBook, RawSheet};

/// Where a return's unit or period was read from, strongest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The sheet's name (9月, 2020年10月).
    SheetName,
    /// The header, when every figure column is titled for one other month (9月当月, 1-9月累计).
    Header,
    /// The `填报单位：…` or `报告期：…` line.
    UnitLine,
    /// A title or other text above the header.
    Title,
    /// The hidden `_meta` sheet of the form.
    Meta,
    /// The file name.
    FileName,
    /// The mail the file came in (`huizong fetch`): its sender's address, else the one unit its subject names;
    /// used only when the file itself names no unit.
    Sender,
    /// Nothing said; the run's period was assumed.
    Assumed,
}

impl Source {
    /// Written by the unit in the sheet it filled, as opposed to carried over in a copied form or a file name.
    fn visible(self) -> bool {
        matches!(self, Source::UnitLine | Source::Title)
    }
}

/// Why a readable workbook is still not a usable return.
#[derive(Debug, Clone)]
pub struct NotUsable {
    /// NOT_A_RETURN or UNKNOWN_UNIT.
    pub code: Code,
    /// A sentence for the sender.
    pub reason: String,
}

/// Who sent a return and for when, and what disagreed on the way.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The unit's code.
    pub unit: String,
    /// Where the unit was read from.
    pub unit_source: Source,
    /// The month reported.
    pub period: Period,
    /// Where the period was read from.
    pub period_source: Source,
    /// IDENTITY_CONFLICT, IDENTITY_MISMATCH, PERIOD_ASSUMED.
    pub findings: Vec<Finding>,
}

/// Words that end a 填报单位 value when further fields share its line.
const NEXT_FIELD: &str = "金额单位|计量单位|单位[:：]|填表人|填报人|制表人|联系人|联系电话|电话|手机|报告期|统计期|所属期|报送期|统计时间|填报时间|填报日期|填表日期|日期|时间|审核人|负责人|单位负责人|分管领导|盖章|签字";

static UNIT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:(?:填报单位|填表单位|报送单位|上报单位|报表单位|单位名称)(?:[（(][^）)]*[）)])?[:：]?|^单位(?:[（(][^）)]*[）)])?[:：])(?P<unit>.*?)(?:(?:{NEXT_FIELD})|$)"
    ))
    .unwrap()
});
static FIELD_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("(?:{NEXT_FIELD})")).unwrap());
/// Texts above the header that give deadlines or instructions, whose months are not the period.
const NOT_A_PERIOD: [&str; 10] = [
    "时限",
    "前报",
    "日前",
    "之前",
    "要求",
    "报送时间",
    "完成时间",
    "截止时间",
    "截止日期",
    "通知",
];
static PERIOD_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:报告期|统计期|所属期|所属月份|统计时间|报告时间|期间|月份|^时间)[:：]?(?P<p>.+)",
    )
    .unwrap()
});
static DATES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:填报|填表|报送|制表|报表)?日期[:：]?[\d年月日号./-]*",
        r"|(?:19|20)\d{2}年\d{1,2}月\d{1,2}[日号]?",
        r"|(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}",
        r"|(?:^|\D)(?:19|20)\d{6}(?:\D|$)",
        r"|\d{1,2}月\d{1,2}[日号]"
    ))
    .unwrap()
});
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?P<y>(?:19|20)\d{2})年?)?(?:1[0-2]|0?[1-9])月?(?:-|至|到)(?P<m>1[0-2]|0?[1-9])月",
    )
    .unwrap()
});
static FULL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)(?P<y>(?:19|20)\d{2})(?:年(?P<a>1[0-2]|0?[1-9])月|[-_./](?P<b>1[0-2]|0?[1-9])(?:\D|$)|(?P<c>0[1-9]|1[0-2])(?:\D|$))").unwrap()
});
static MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\D)(?P<m>1[0-2]|0?[1-9])月").unwrap());
static CN_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[〇零○一二三四五六七八九]{4}年").unwrap());
static CN_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(十[一二]|十|[一二三四五六七八九])月").unwrap());

fn cn_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
        .or(matches!(c, '零' | '○').then_some(0))
}

/// Chinese numerals in years and months as digits: 二〇二〇年十月 → 2020年10月.
fn arabic(text: &str) -> String {
    let years = CN_YEAR.replace_all(text, |c: &regex::Captures<'_>| {
        let digits: String = c[0]
            .chars()
            .filter_map(cn_digit)
            .map(|d| char::from_digit(d, 10).unwrap_or('0'))
            .collect();
        format!("{digits}年")
    });
    CN_MONTH
        .replace_all(&years, |c: &regex::Captures<'_>| {
            let m = match &c[1] {
                "十" => 10,
                "十一" => 11,
                "十二" => 12,
                d => d.chars().next().and_then(cn_digit).unwrap_or(0),
            };
            format!("{m}月")
        })
        .into_owned()
}

/// Reads the month a text names: 2020年10月, 2020年1-10月 (its last month), 2020.10, 2020-10, 202010, 10月份,
/// 十月, 二〇二〇年十月; a month without a year takes `year`. A full date (20201103, 2020年11月3日, 填报日期：…) is
/// when a form was filled in, never a period.
pub fn parse_period(text: &str, year: i32) -> Option<Period> {
    let folded = arabic(&fold_text(text).replace(['－', '—', '–', '～', '~'], "-"));
    let t = DATES.replace_all(&folded, "|");
    if let Some(c) = RANGE.captures(&t) {
        let y = c
            .name("y")
            .and_then(|y| y.as_str().parse().ok())
            .unwrap_or(year);
        return Period::new(y, c["m"].parse().ok()?);
    }
    if let Some(c) = FULL.captures(&t) {
        let m = c.name("a").or(c.name("b")).or(c.name("c"))?;
        return Period::new(c["y"].parse().ok()?, m.as_str().parse().ok()?);
    }
    let c = MONTH.captures(&t)?;
    Period::new(year, c["m"].parse().ok()?)
}

/// The unit written on a `填报单位：…` line of `sheet`, top rows first: (the name as written, row). A bare
/// 单位 is the unit-of-measure column's title, not the line (单位：陇西县 needs its colon); a 填报单位 line
/// without a name counts only when no line below names one.
fn unit_line(sheet: &RawSheet) -> Option<(String, u32)> {
    let mut unnamed = None;
    for row in sheet.rows() {
        let cells = sheet.row_texts(row);
        for (i, (_, text)) in cells.iter().enumerate() {
            let folded = fold_text(text);
            let Some(c) = UNIT_LINE.captures(&folded) else {
                continue;
            };
            let mut name = c["unit"].trim_matches([':', '：', '_', '-']).to_string();
            // 单位：万元 declares a unit of measure, not the sender.
            if super::header::declared_unit(&format!("单位：{name}")).is_some() {
                continue;
            }
            // 填报单位： alone in its cell, the name in the next one.
            if name.is_empty()
                && let Some((_, next)) = cells.get(i + 1)
            {
                let next = fold_text(next);
                let cut = FIELD_WORD.find(&next).map_or(next.len(), |m| m.start());
                name = next[..cut].trim_matches([':', '：', '_', '-']).to_string();
            }
            if name.is_empty() {
                unnamed.get_or_insert((name, row));
                continue;
            }
            return Some((name, row));
        }
    }
    unnamed
}

/// The county a 填报单位 value names before an office of its own (陇西县科技局 is the county's return, not
/// the city bureau's): the longest county name or alias in it.
fn county_in<'c>(catalogue: &'c Catalogue, name: &str) -> Option<&'c Unit> {
    let folded = fold_text(name);
    let folded = folded
        .trim_start_matches("甘肃省")
        .trim_start_matches("定西市");
    // The longest name wins; between two counties of one name, the later one, as the list is written.
    catalogue
        .names_in(folded)
        .filter(|m| m.start == 0 && catalogue.units[m.unit].kind == UnitKind::County)
        .map(|m| (m.chars, m.unit))
        .max()
        .map(|(_, i)| &catalogue.units[i])
}

/// The unit a title or file name names. A county's full name with a bureau's short name (陇西县科技局) is the
/// county's office, not the city bureau: the county wins unless the city-level name is written (市科技局,
/// 定西市科技局).
fn named_in<'c>(catalogue: &'c Catalogue, text: &str) -> Option<&'c Unit> {
    let found = catalogue.unit_named_in(text)?;
    if found.kind == UnitKind::County {
        return Some(found);
    }
    let folded = fold_text(text);
    let city_level = std::iter::once(&found.name)
        .chain(&found.aliases)
        .map(|n| fold_text(n))
        .any(|n| (n.starts_with('市') || n.starts_with("定西")) && folded.contains(&n));
    let county = catalogue
        .names_in(&folded)
        .filter(|m| !m.alias && catalogue.units[m.unit].kind == UnitKind::County)
        .map(|m| m.unit)
        .min()
        .map(|i| &catalogue.units[i]);
    match county {
        Some(k) if !city_level => Some(k),
        _ => Some(found),
    }
}

/// `text` folded, without the plan's task titles and indicator texts, the longest first.
fn without_plan_words(catalogue: &Catalogue, text: &str) -> String {
    let mut folded = fold_text(text);
    let mut words: Vec<String> = catalogue
        .tasks
        .iter()
        .flat_map(|t| std::iter::once(&t.title).chain(t.indicators.iter().map(|i| &i.text)))
        .map(|w| fold_text(w))
        .filter(|w| w.chars().count() >= 4)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    for w in words {
        if folded.contains(&w) {
            folded = folded.replace(&w, " ");
        }
    }
    folded
}

/// The hidden `_meta` sheet's key/value pairs.
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

/// Identifies the unit and period of the return on `sheet`, whose header starts at `header_row`; `sheet_period`
/// is what the sheet's name or its header says of the month.
#[allow(clippy::too_many_arguments)]
pub fn identify(
    book: &RawBook,
    sheet: &RawSheet,
    header_row: u32,
    sheet_period: Option<(Source, Period, String)>,
    file_name: &str,
    sender_unit: Option<&str>,
    catalogue: &Catalogue,
    run: Period,
) -> Result<Identity, NotUsable> {
    let year = catalogue.plan.year;
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let meta = read_meta(book);
    let line = unit_line(sheet);
    let top: Vec<String> = sheet
        .rows()
        .take_while(|r| *r < header_row)
        .flat_map(|r| sheet.row_texts(r).into_iter().map(|(_, t)| t))
        .collect();

    let mut units: Vec<(Source, String, String)> = Vec::new();
    if let Some((name, _)) = &line
        && let Some(u) = catalogue
            .resolve_unit(name)
            .or_else(|| county_in(catalogue, name))
            .or_else(|| named_in(catalogue, name))
    {
        units.push((
            Source::UnitLine,
            u.code.clone(),
            format!("表中“填报单位：{name}”"),
        ));
    }
    // Titles name places and partners as well as the sender: they count only when no 填报单位 line does, and
    // a task's or indicator's own words (建设陇西省级创新型试点县) name a place, not who sent the table.
    if let Some((text, u)) = top
        .iter()
        .filter(|_| units.is_empty())
        .filter(|t| !UNIT_LINE.is_match(&fold_text(t)))
        .find_map(|t| named_in(catalogue, &without_plan_words(catalogue, t)).map(|u| (t, u)))
    {
        units.push((Source::Title, u.code.clone(), format!("表头文字“{text}”")));
    }
    if let Some(code) = meta
        .get("unit_code")
        .filter(|c| catalogue.unit(c).is_some())
    {
        units.push((
            Source::Meta,
            code.clone(),
            format!("隐藏的_meta表（{code}）"),
        ));
    }
    if let Some(u) = named_in(catalogue, stem) {
        units.push((
            Source::FileName,
            u.code.clone(),
            format!("文件名“{file_name}”"),
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
        let written = line.as_ref().map(|(n, _)| n.as_str()).unwrap_or("");
        return Err(NotUsable {
            code: Code::UnknownUnit,
            reason: if written.is_empty() {
                "无法识别填报单位：表中没有“填报单位”，标题和文件名中也没有单位名称；请在表头上方写明“填报单位：单位全称”后重新报送".to_string()
            } else {
                format!(
                    "无法识别填报单位“{written}”：它不是本计划的责任单位；请写单位全称（如“陇西县”“市科技局”）后重新报送"
                )
            },
        });
    };
    let name = |code: &str| {
        catalogue
            .unit(code)
            .map_or(code.to_string(), |u| u.name.clone())
    };
    let mut findings = Vec::new();
    if let Some((source, other, said)) = units.iter().find(|(_, c, _)| *c != unit) {
        if unit_source.visible() && *source == Source::Meta {
            // A unit filled in a form copied from another unit: its own name wins, and both are told.
            let message = format!(
                "本表按{unit_said}认定为{}的报表，但{said}属于{}，像是用{}的表格填写的；已按{}汇总，不会替代{}的报表；请核对后使用本单位的模板重新报送",
                name(&unit),
                name(other),
                name(other),
                name(&unit),
                name(other)
            );
            for to in [&unit, other] {
                findings.push(
                    Finding::new(Code::IdentityConflict, message.clone())
                        .unit(to)
                        .values(unit.clone(), other.clone()),
                );
            }
        } else {
            findings.push(
                Finding::new(
                    Code::IdentityMismatch,
                    format!("填报单位的写法前后不一致：按{unit_said}认定，但{said}；请核对后统一"),
                )
                .unit(&unit)
                .values(unit.clone(), other.clone()),
            );
        }
    }

    let mut periods: Vec<(Source, Period, String)> = Vec::new();
    if let Some(p) = sheet_period {
        periods.push(p);
    }
    if let Some((p, text)) = top.iter().find_map(|t| {
        let folded = fold_text(t);
        let c = PERIOD_LINE.captures(&folded)?;
        parse_period(&c["p"], year).map(|p| (p, t))
    }) {
        periods.push((Source::UnitLine, p, format!("“{text}”")));
    }
    if let Some((p, text)) = top
        .iter()
        .filter(|t| !NOT_A_PERIOD.iter().any(|w| t.contains(w)))
        .find_map(|t| parse_period(t, year).map(|p| (p, t)))
    {
        periods.push((Source::Title, p, format!("表头文字“{text}”")));
    }
    if let Some(p) = meta.get("period").and_then(|p| p.parse::<Period>().ok()) {
        periods.push((Source::Meta, p, format!("隐藏的_meta表（{p}）")));
    }
    if let Some(p) = parse_period(stem, year) {
        periods.push((Source::FileName, p, format!("文件名“{file_name}”")));
    }
    let (period_source, period) = match periods.first() {
        Some((source, p, said)) => {
            // A sheet named for its month answers for itself: the file's name and `_meta` speak for the whole
            // workbook, which may hold other months' sheets.
            let comparable =
                |s: &Source| !matches!(source, Source::SheetName | Source::Header) || s.visible();
            if let Some((_, other, other_said)) =
                periods.iter().find(|(s, q, _)| q != p && comparable(s))
            {
                findings.push(
                    Finding::new(
                        Code::IdentityMismatch,
                        format!(
                            "报告期的写法前后不一致：按{said}认定为{}，但{other_said}是{}；请核对后统一",
                            p.chinese(),
                            other.chinese()
                        ),
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
                        "表中、工作表名和文件名中都没有写报告期，按本期（{}）处理；请在表头上方写明报告期",
                        run.chinese()
                    ),
                )
                .unit(&unit)
                .values(run.to_string(), ""),
            );
            (Source::Assumed, run)
        }
    };
    Ok(Identity {
        unit,
        unit_source,
        period,
        period_source,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_however_written() {
        let p = |t: &str| parse_period(t, 2020).map(|p| p.to_string());
        for t in [
            "2020年10月",
            "2020年1-10月",
            "1—10月",
            "1至10月",
            "2020.10",
            "2020-10",
            "2020/10",
            "202010",
            "10月份",
            "十月",
            "二〇二〇年十月",
            "陇西县2020年10月进展",
            "报告期：2020年10月 填报日期：2020年11月3日",
        ] {
            assert_eq!(p(t).as_deref(), Some("2020-10"), "{t}");
        }
        for t in [
            "20201103",
            "2020年11月3日",
            "填报日期：2020.11.3",
            "附件2",
            "2020年目标",
        ] {
            assert_eq!(p(t), None, "{t}");
        }
        assert_eq!(p("9月").as_deref(), Some("2020-09"));
    }

    #[test]
    fn the_unit_line_tolerates_spaces_seals_and_further_fields() {
        let sheet = |t: &str| {
            let mut s = RawSheet::default();
            s.cells.insert(
                (1, 0),
                crate::raw::RawCell::of(crate::raw::RawValue::Text(t.into())),
            );
            s
        };
        assert_eq!(unit_line(&sheet("单位：万元")), None);
        assert_eq!(
            unit_line(&sheet("填报单位：陇西县  单位：万元")).map(|(n, _)| n),
            Some("陇西县".to_string())
        );
        for (t, want) in [
            ("填报单位：陇西县", "陇西县"),
            ("填 报 单 位（盖章）：陇西县    填表人：张三", "陇西县"),
            (
                "填报单位:定西市科技局 联系电话：0932-1234567",
                "定西市科技局",
            ),
            ("报送单位：陇西县", "陇西县"),
            ("单位：陇西县", "陇西县"),
        ] {
            assert_eq!(unit_line(&sheet(t)).map(|(n, _)| n).as_deref(), Some(want));
        }
    }

    #[test]
    fn a_unit_column_title_is_not_the_unit_line_under_the_table() {
        let mut s = RawSheet::default();
        let text = |t: &str| crate::raw::RawCell::of(crate::raw::RawValue::Text(t.into()));
        s.cells.insert((1, 1), text("单位"));
        s.cells.insert((1, 2), text("全年目标"));
        s.cells.insert((3, 0), text("填报单位："));
        s.cells
            .insert((8, 0), text("填报单位：渭源县科技局    填报人：李娜"));
        assert_eq!(
            unit_line(&s),
            Some(("渭源县科技局".to_string(), 8)),
            "a bare 单位 titles a column; an empty 填报单位 gives way to a named one"
        );
    }

    #[test]
    fn the_forms_title_names_no_unit() {
        let c = Catalogue::from_toml(include_str!("../../templates/plan.toml")).unwrap();
        assert!(
            c.unit_named_in(&format!("{}进展情况报表", c.plan.title))
                .is_none()
        );
        let code = |t: &str| c.unit_named_in(t).map(|u| u.code.clone());
        assert_eq!(
            code("定西市陇西县人民政府关于…进展情况").as_deref(),
            Some("longxi")
        );
        let named = |t: &str| named_in(&c, t).map(|u| u.code.clone());
        assert_eq!(named("陇西县科技局10月报表").as_deref(), Some("longxi"));
        assert_eq!(
            named("市科技局关于陇西县试点工作的进展").as_deref(),
            Some("kjj")
        );
        assert_eq!(named("定西市科技局10月").as_deref(), Some("kjj"));
        assert_eq!(named("科技局10月").as_deref(), Some("kjj"));
        // A task's own title names a place, not the sender; the county's own title still names it.
        let in_title = |t: &str| named_in(&c, &without_plan_words(&c, t)).map(|u| u.code.clone());
        assert_eq!(in_title("建设陇西省级创新型试点县工作进展情况"), None);
        assert_eq!(
            in_title("陇西县建设陇西省级创新型试点县工作进展").as_deref(),
            Some("longxi")
        );
    }
}
