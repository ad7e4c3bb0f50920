//! Drafting a catalogue from a notice's plain text or a responsibility table, for a person to review.
//!
//! A small pipeline: the text is brought to one form ([`text`]); it is split into items ([`layout`]): (a) tasks
//! with 预期目标和成效 when they are the notice's items, else (d) a flattened responsibility table, else (b, c)
//! items closed by a responsibility annotation, else (e) numbered items stating figures, with the overall
//! targets (一、主要目标) in front; each item's targets are read ([`targets`]); its responsibility is read
//! ([`duty`]); and the names become units ([`units`]).
//!
//! Whatever is uncertain is marked for a person: an indicator or unit gets `review = "…"`, and anything about
//! the plan itself becomes a `# REVIEW:` line in the TOML header. `plan check` fails while any mark is left.

mod duty;
mod layout;
mod targets;
mod text;
mod units;

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::model::{Catalogue, PlanInfo, Task};
use layout::Item;
use text::re;
use units::UnitBook;

/// Drafts a catalogue from the notice's text.
pub fn extract(text: &str) -> Catalogue {
    draft(text).catalogue
}

/// The draft as TOML, with review marks for what could not be classified.
pub fn extract_toml(text: &str) -> String {
    draft(text).to_toml()
}

/// Drafts a catalogue from a responsibility table's rows (header among the first rows), e.g. a spreadsheet's
/// first sheet; `name` (the file name) stands in for the title when the rows above the header give none.
pub fn table_toml(rows: &[Vec<String>], name: &str) -> Option<String> {
    let items = layout::from_rows(rows)?;
    // The rows above the header hold the title and the issuer, if the sheet names them.
    let above: String = rows[..layout::header_at(rows)?]
        .iter()
        .flat_map(|r| r.iter().map(String::as_str))
        .filter(|c| !c.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let heading = if above.trim().is_empty() {
        name.to_string()
    } else {
        above
    };
    Some(build(&text::normalise(&heading), items).to_toml())
}

/// A catalogue and the remarks that belong to no indicator.
struct Draft {
    catalogue: Catalogue,
    notes: Vec<String>,
}

impl Draft {
    fn to_toml(&self) -> String {
        let mut out = String::from(
            "# DRAFT catalogue written by `huizong plan extract`: a person must review it before use.\n\
             # Entries marked `review = \"…\"` and the REVIEW lines below could not be read with confidence;\n\
             # search for \"review\", fix each one and delete its mark, then run `huizong plan check`.\n",
        );
        for note in &self.notes {
            out.push_str(&format!("# REVIEW: {note}\n"));
        }
        out.push('\n');
        out.push_str(&self.catalogue.to_toml());
        out
    }
}

static TITLE_ISSUED: LazyLock<Regex> =
    LazyLock::new(|| re(r"《([^《》]{2,60})》(?:已经|已|，?现)"));
static TITLE_ANY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(贯彻|落实|根据|按照|依据|依照|对照)?[^《》]{0,6}《([^《》]{2,60}?(?:方案|规划|计划|意见|办法|纲要|要点|清单|分工))》",
    )
});
static ABOUT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:关于(?:印发|转发|下达)?|印发|转发)([^，。|\n]{2,60}?)的通知"));
/// A title line: the plan's own name standing alone near the top.
static TITLE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[^为根按依，。：][^，。：]{3,59}(?:方案|规划|计划|意见|要点|清单|分工表|分解表|任务表|台账|措施|任务分工|工作安排)(?:（[^）]{2,12}）)?$",
    )
});
static ISSUER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\n。|])([^\n。|，：《》“”]{2,30}?(?:人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会|领导小组|局|委|厅))(?:\s*文件|\s*关于)",
    )
});
/// An issuer alone on one of the first lines, named with its place (长沙市人民政府办公厅).
static ISSUER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\p{Han}{2,8}?(?:省|市|州|盟|县|区|旗)\p{Han}{0,20}?(?:人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会|领导小组|局|委|厅)$",
    )
});
static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\n。|])([^\n。|，：《》“”]{2,30}?(?:人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会|领导小组|局|委|厅))\n?((?:19|20)\d\d)年\d{1,2}月\d{1,2}日",
    )
});
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"((?:19|20)\d\d)(?:-(?:19|20)\d\d)?年"));

/// The plan's title: the notice's own name for it, never a basis document it cites.
fn title(text: &str) -> Option<String> {
    let head: String = text.chars().take(1500).collect();
    let strip = |s: &str| s.trim_matches(['《', '》', ' ']).to_string();
    if let Some(c) = TITLE_ISSUED.captures(&head) {
        return Some(strip(&c[1]));
    }
    if let Some(c) = ABOUT.captures(&head) {
        return Some(strip(&c[1]));
    }
    if let Some(line) = head.lines().take(15).find(|l| TITLE_LINE.is_match(l)) {
        return Some(strip(line));
    }
    TITLE_ANY
        .captures_iter(&head)
        .find(|c| c.get(1).is_none())
        .map(|c| strip(&c[2]))
}

/// The issuer: the heading's body before 关于, or the signature above the date.
fn office(text: &str) -> Option<String> {
    let head: String = text.chars().take(600).collect();
    ISSUER
        .captures(&head)
        .map(|c| c[1].trim().to_string())
        .or_else(|| {
            head.lines()
                .take(3)
                .find(|l| ISSUER_LINE.is_match(l))
                .map(str::to_string)
        })
        .or_else(|| {
            SIGNATURE
                .captures_iter(text)
                .last()
                .map(|c| c[1].trim().to_string())
        })
}

/// The plan year: the title's first year, else the year the notice was signed, else the earliest year its
/// targets name, else the one the text names most.
fn plan_year(title: &str, text: &str, goals: &[&str], notes: &mut Vec<String>) -> i32 {
    let years = |t: &str| -> Vec<i32> {
        YEAR.captures_iter(t)
            .filter_map(|c| c[1].parse().ok())
            .collect()
    };
    if let Some(&y) = years(title).first() {
        return y;
    }
    if let Some(c) = SIGNATURE.captures_iter(text).last()
        && let Ok(y) = c[2].parse()
    {
        return y;
    }
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for g in goals {
        for y in years(g) {
            *counts.entry(y).or_default() += 1;
        }
    }
    if let Some((&y, _)) = counts.iter().max_by_key(|&(y, n)| (*n, -*y)) {
        return y;
    }
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for y in years(text) {
        *counts.entry(y).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(y, n)| (n, -y))
        .map(|(y, _)| y)
        .unwrap_or_else(|| {
            notes.push(
                "no year found in the notice: year 2020 assumed; set [plan] year and the deadlines"
                    .to_string(),
            );
            2020
        })
}

fn draft(raw: &str) -> Draft {
    let text = text::normalise(raw);
    let a = layout::goals_blocks(&text);
    let b = layout::anchored(&text);
    let with_goals = a.iter().filter(|t| t.milestones).count();
    // Layout (a) only when its tasks are the notice's items, not one section that happens to state 目标任务.
    let items = if with_goals > 0 && 2 * with_goals >= b.len() {
        a
    } else if let Some(d) = layout::table(raw).filter(|d| !d.is_empty()) {
        d
    } else if b.is_empty() {
        layout::numbered(&text)
    } else {
        b
    };
    // The plan's overall targets (一、主要目标) belong to no task's lead but are still figures to track.
    let items: Vec<Item> = layout::overall(&text).into_iter().chain(items).collect();
    build(&text, items)
}

fn build(text: &str, items: Vec<Item>) -> Draft {
    let mut notes = Vec::new();
    let title = title(text).unwrap_or_else(|| {
        notes.push("no plan title found: fill in [plan] title".to_string());
        String::new()
    });
    let office = office(text).unwrap_or_else(|| {
        notes.push("no issuing office found: fill in [plan] office".to_string());
        String::new()
    });
    let goals: Vec<&str> = items.iter().filter_map(|t| t.goals.as_deref()).collect();
    let year = plan_year(&title, text, &goals, &mut notes);
    let span = targets::Span {
        year,
        end: deadline_in(&title)
            .map(|w| w.0)
            .or_else(|| five_year_end(&title))
            .filter(|&end| end > year),
    };
    // Without an issuer, the title's place names the city (酒泉市肃州区2021年…).
    let mut book = UnitBook::new(if office.is_empty() { &title } else { &office });
    let mut tasks = Vec::new();
    for t in items {
        let mut units: Vec<String> = Vec::new();
        for name in t.duty.names() {
            if let Some(code) = book.code(&name)
                && !units.contains(&code)
            {
                units.push(code);
            }
        }
        if units.is_empty() {
            notes.push(format!(
                "task {}: no responsible unit found; list its units, the lead first",
                t.code
            ));
        }
        let counties: Vec<String> = units
            .iter()
            .filter(|c| book.is_county(c))
            .cloned()
            .collect();
        let when = t
            .duty
            .deadline
            .as_deref()
            .and_then(|d| targets::strip_date(d).1.or_else(|| deadline_in(d)));
        let mut indicators = match &t.goals {
            Some(goals) => targets::read(&t.code, &span, counties, when, goals, t.milestones),
            None => Vec::new(),
        };
        if indicators.is_empty() {
            let due = when.map_or(span.end.unwrap_or(year), |w| w.0).max(year);
            let mut m = targets::milestone(format!("T{}-01", t.code), t.title.clone(), due);
            if t.milestones || t.missing_goals || t.goals.is_none() {
                m.review = Some(
                    "通知未写本任务的预期目标和成效：请补充指标，或保留为一项工作任务".to_string(),
                );
            }
            indicators.push(m);
        }
        tasks.push(Task {
            code: t.code,
            title: t.title,
            units,
            goals: if t.milestones {
                t.goals.unwrap_or_default()
            } else {
                String::new()
            },
            indicators,
        });
    }
    if tasks.is_empty() {
        notes.push(
            "no task found (no 预期目标和成效, responsibility annotation, table or numbered target): is this the notice's full text?"
                .to_string(),
        );
    }
    Draft {
        catalogue: Catalogue::new(
            PlanInfo {
                id: format!("plan-{year}"),
                title,
                year,
                office,
            },
            book.into_units(),
            tasks,
        ),
        notes,
    }
}

/// The last year of the five-year plan period a title names (“十四五” → 2025).
fn five_year_end(title: &str) -> Option<i32> {
    static PERIOD: LazyLock<Regex> = LazyLock::new(|| re(r"十([一二三四五六七八九])五"));
    let n = text::cn_number(&PERIOD.captures(title)?[1])? as i32;
    // The 十一五 period ended in 2010; each period is five years.
    Some(2010 + (n - 1) * 5)
}

/// The last year (and month) a 完成时限 names: 2021—2023年 is due in 2023.
fn deadline_in(text: &str) -> Option<targets::When> {
    static WHEN: LazyLock<Regex> = LazyLock::new(|| re(r"((?:19|20)\d\d)年(?:(\d{1,2})月)?"));
    let c = WHEN.captures_iter(text).last()?;
    Some((
        c[1].parse().ok()?,
        c.get(2).and_then(|m| m.as_str().parse().ok()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::{Comparator, IndicatorKind, Target, UnitKind};

    const NOTICE: &str = "定西市人民政府办公室 关于印发某某实施方案的通知\n\
        《定西市某某实施方案》已经市政府同意，现印发给你们。\n\
        一、总体要求 坚持创新驱动。\n\
        二、释放潜力 （一）建设创新平台。正文。预期目标和成效：２０２０年，新认定高新技术企业１５家，\
        投资１．３亿元，认定2-3家，引进人才（团队）50人（个），团队达到50个以上，特派员1200名左右。\
        责任单位：市科技局、各县区人民政府。\
        （二）推进数据建设。正文“1+7”平台。预期目标和成效：2020年，组织实施好5G网络建设，\
        万人发明专利拥有量达到0.87件，研发投入占GDP的比重达到0.5%，专项资金比上年度有所增长。\
        责任单位：市工信局，陇西县人民政府、市未知局。\
        （三）加强组织。没有预期目标的任务。责任单位：市财政局。\
        三、保障措施 （一）加强领导。各责任单位要细化预期目标，明确工作措施。";

    fn task<'a>(c: &'a Catalogue, code: &str) -> &'a Task {
        c.tasks.iter().find(|t| t.code == code).expect("task")
    }

    fn figures_of(t: &Task) -> Vec<(String, String, Comparator, IndicatorKind)> {
        t.indicators
            .iter()
            .filter_map(|i| {
                Some((
                    format!("{:?}", i.target?),
                    i.unit.clone(),
                    i.comparator,
                    i.kind,
                ))
            })
            .collect()
    }

    #[test]
    fn reads_parts_tasks_and_plan() {
        let c = extract(NOTICE);
        let codes: Vec<_> = c.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["2.1", "2.2", "2.3"]);
        assert_eq!(c.plan.title, "定西市某某实施方案");
        assert_eq!(c.plan.office, "定西市人民政府办公室");
        assert_eq!((c.plan.year, c.plan.id.as_str()), (2020, "plan-2020"));
        assert_eq!(task(&c, "2.1").title, "建设创新平台");
    }

    #[test]
    fn reads_figures_in_full_width_and_ranges() {
        let c = extract(NOTICE);
        let t = task(&c, "2.1");
        let v = |x: f64| format!("{:?}", Target::Value(x));
        assert_eq!(
            figures_of(t),
            [
                (
                    v(15.0),
                    "家".into(),
                    Comparator::Reach,
                    IndicatorKind::Count
                ),
                (
                    v(1.3),
                    "亿元".into(),
                    Comparator::Reach,
                    IndicatorKind::Amount
                ),
                (
                    format!("{:?}", Target::Range([2.0, 3.0])),
                    "家".into(),
                    Comparator::Range,
                    IndicatorKind::Count
                ),
                (
                    v(50.0),
                    "人".into(),
                    Comparator::Reach,
                    IndicatorKind::Count
                ),
                (
                    v(50.0),
                    "个".into(),
                    Comparator::AtLeast,
                    IndicatorKind::Count
                ),
                (
                    v(1200.0),
                    "名".into(),
                    Comparator::About,
                    IndicatorKind::Count
                ),
            ]
        );
        assert_eq!(t.indicators[0].code, "T2.1-01");
        assert_eq!(t.indicators[0].text, "新认定高新技术企业");
        // 各县区人民政府 is a group to list, not seven known counties: no county shares yet.
        assert!(t.indicators[0].counties.is_empty());
        assert_eq!(t.indicators[0].deadline, "2020-12-31");
    }

    #[test]
    fn reads_ratios_shares_growth_and_skips_codes() {
        let c = extract(NOTICE);
        let t = task(&c, "2.2");
        let kinds: Vec<_> = t
            .indicators
            .iter()
            .map(|i| (i.kind, i.unit.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (IndicatorKind::Milestone, ""),
                (IndicatorKind::Ratio, "件/万人"),
                (IndicatorKind::Share, "%"),
                (IndicatorKind::Growth, "万元"),
            ]
        );
        assert!(t.indicators.iter().all(|i| i.counties.is_empty()));
        assert!(t.indicators[0].text.contains("5G"));
    }

    #[test]
    fn resolves_units() {
        let c = extract(NOTICE);
        assert_eq!(task(&c, "2.1").units, ["kjj", "gxqrmzf"]);
        let group = c.unit("gxqrmzf").expect("the group");
        assert_eq!(
            (group.name.as_str(), group.kind),
            ("各县区人民政府", UnitKind::Group)
        );
        assert!(group.review.is_some());
        assert_eq!(task(&c, "2.2").units, ["gxj", "longxi", "wzj"]);
        let unknown = c.unit("wzj").expect("unknown unit");
        assert_eq!(
            (unknown.name.as_str(), unknown.kind, unknown.email.as_str()),
            ("市未知局", UnitKind::Bureau, "")
        );
        assert_eq!(c.unit("longxi").map(|u| u.kind), Some(UnitKind::County));
        assert!(c.units.iter().all(|u| u.review.is_some()));
        let toml = extract_toml(NOTICE);
        assert_eq!(Catalogue::from_toml(&toml).expect("parses"), c);
    }

    #[test]
    fn task_without_goals_gets_one_milestone_for_review() {
        let c = extract(NOTICE);
        let t = task(&c, "2.3");
        assert_eq!(t.units, ["czj"]);
        assert!(t.goals.is_empty());
        assert_eq!(t.indicators.len(), 1);
        assert_eq!(t.indicators[0].text, "加强组织");
        assert!(t.indicators[0].review.is_some());
    }

    #[test]
    fn hard_wraps_anywhere_do_not_matter() {
        let wrapped: String = NOTICE
            .replace("１５家", "１\n５家")
            .replace("1200名", "12\n 00名")
            .replace("市科技局", "市科\n技局")
            .replace("预期目标和成效", "预期目\r\n标和成效");
        assert_eq!(extract(&wrapped), extract(NOTICE));
    }

    #[test]
    fn half_width_punctuation_reads_the_same() {
        let ascii = NOTICE
            .replace('，', ",")
            .replace('：', ":")
            .replace('（', "(")
            .replace('）', ")");
        assert_eq!(extract(&ascii), extract(NOTICE));
    }

    #[test]
    fn other_years_and_months_set_the_deadline() {
        let c = extract(
            "二、任务（一）甲。预期目标和成效：2021年6月底前，完成平台建设，2022年，建成中心。责任单位：市科技局。",
        );
        assert_eq!(c.plan.year, 2021);
        let t = &c.tasks[0];
        assert_eq!(t.indicators[0].deadline, "2021-06-30");
        assert!(t.indicators[0].review.is_none());
        // A later year is the target's own deadline (multi-year plans), not a doubt.
        assert_eq!(t.indicators[1].deadline, "2022-12-31");
        assert!(t.indicators[1].review.is_none());
    }

    #[test]
    fn unclear_clauses_are_marked_for_review() {
        let c = extract(
            "二、任务（一）甲。预期目标和成效：2020年，新增平台三家。天气晴朗。责任单位：市科技局。",
        );
        let reviews: Vec<_> = c.tasks[0]
            .indicators
            .iter()
            .map(|i| i.review.is_some())
            .collect();
        assert_eq!(reviews, [true, true]);
    }

    #[test]
    fn never_panics() {
        for text in [
            "",
            "   ",
            "（一）",
            "二、",
            "预期目标和成效：",
            "责任单位：、、",
            "二、（一）。预期目标和成效：1-家1.",
            "\u{FEFF}１．",
            "|序号|重点任务|牵头单位|\n|1|",
            "序号\n任务\n牵头单位\n1\n",
            "序号\n任务\n牵头单位\n责任单位\n完成时限\n1\n2021年\n2\n",
            "1.（牵头）〔〕【责任单位：】（市发改委牵头",
            "分别1%、2%和从1元提高到",
            "一、主要目标 1%\n二、",
            "牵头单位 市\n责任单位：各",
            "①②③（1）（2）1.2.3.",
        ] {
            let c = extract(text);
            assert!(
                Catalogue::from_toml(&extract_toml(text)).is_ok(),
                "{text:?} gave {c:?}"
            );
        }
        let garbage: String = (0..3000u32)
            .filter_map(|i| char::from_u32(0x3000 + i * 7 % 0x7000))
            .collect();
        extract(&garbage);
    }
}
