//! Checking a catalogue for consistency before anything relies on it.
//!
//! Indicators and units marked `review` are drafts from `plan extract`: [`check`] checks them like any other,
//! and [`review_marks`] (run on the file's text by `plan check` and by loading) fails each mark left, by line.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::model::{Catalogue, Comparator, Indicator, IndicatorKind, Target, Task, UnitKind};
use crate::normalise::fold_text;

/// One problem in a catalogue, naming where it is and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where: a unit, task or indicator code.
    pub place: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Returns every problem found; an empty list means the catalogue can be used.
pub fn check(catalogue: &Catalogue) -> Vec<Problem> {
    let mut problems = Vec::new();
    if catalogue.units.is_empty()
        || catalogue.tasks.is_empty()
        || catalogue.indicators().next().is_none()
    {
        problem(
            &mut problems,
            "plan",
            format!(
                "the catalogue is empty ({} units, {} tasks, {} indicators); a plan needs units, tasks and their indicators",
                catalogue.units.len(),
                catalogue.tasks.len(),
                catalogue.indicators().count()
            ),
        );
    }
    check_plan(catalogue, &mut problems);
    check_units(catalogue, &mut problems);
    check_tasks(catalogue, &mut problems);
    problems
}

fn problem(problems: &mut Vec<Problem>, place: impl Into<String>, message: impl Into<String>) {
    problems.push(Problem {
        place: place.into(),
        message: message.into(),
    });
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_plan(catalogue: &Catalogue, problems: &mut Vec<Problem>) {
    let info = &catalogue.plan;
    for (field, value) in [("title", &info.title), ("office", &info.office)] {
        if value.trim().is_empty() {
            problem(
                problems,
                "plan",
                format!("the {field} is empty; set [plan] {field} as the notice writes it"),
            );
        }
    }
    if !(2000..=2100).contains(&info.year) {
        problem(
            problems,
            "plan",
            format!(
                "the year {} is not a plan year; set [plan] year, e.g. 2021",
                info.year
            ),
        );
    }
    let id = &catalogue.plan.id;
    if id.is_empty() {
        problem(
            problems,
            "plan",
            "the id is empty; set [plan] id to a short ASCII name such as dingxi-2020",
        );
    } else if !is_code(id) {
        problem(
            problems,
            "plan",
            format!(
                "the id '{id}' is used in file names; write it with ASCII letters, digits, '-' or '_' only"
            ),
        );
    }
}

/// The `review` marks and `# REVIEW:` lines left in a catalogue file, each naming its line.
pub fn review_marks(text: &str) -> Vec<Problem> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let l = line.trim_start();
            let mark = l
                .strip_prefix("# REVIEW:")
                .or_else(|| l.strip_prefix("review ="))?;
            Some(Problem {
                place: format!("line {}", i + 1),
                message: format!(
                    "review mark left: {}; resolve it, then delete the mark",
                    mark.trim().trim_matches('"')
                ),
            })
        })
        .collect()
}

/// Units nobody can mail feedback to: worth a warning, not a failure.
pub fn warnings(catalogue: &Catalogue) -> Vec<Problem> {
    catalogue
        .reporting_units()
        .filter(|u| !u.email.contains('@'))
        .map(|u| Problem {
            place: format!("unit {} ({})", u.code, u.name),
            message: format!(
                "has no email address (email = {:?}); its feedback and reminders cannot be mailed until one is set",
                u.email
            ),
        })
        .collect()
}

/// A group phrase that stands for units nobody has listed yet (各县区人民政府, 各成员单位, 有关部门).
fn is_unexpanded_group(name: &str) -> bool {
    name.starts_with('各')
        || ["成员单位", "有关部门", "相关部门", "有关单位", "相关单位"]
            .iter()
            .any(|w| name.ends_with(w))
}

fn check_units(catalogue: &Catalogue, problems: &mut Vec<Problem>) {
    let mut codes = HashSet::new();
    // Folded name or alias → the first unit that uses it.
    let mut names: HashMap<String, &str> = HashMap::new();
    for unit in &catalogue.units {
        let place = format!("unit {}", unit.code);
        if !is_code(&unit.code) {
            problem(
                problems,
                &place,
                "the code must be short ASCII (letters, digits, '-' or '_'), e.g. kjj",
            );
        }
        if !codes.insert(unit.code.as_str()) {
            problem(
                problems,
                &place,
                "the code is used by more than one unit; give each unit its own code",
            );
        }
        if is_unexpanded_group(&unit.name) {
            problem(
                problems,
                &place,
                format!(
                    "「{}」 is a group, not a unit; list its members as units and put their codes on the tasks instead of {}",
                    unit.name, unit.code
                ),
            );
        }
        let mut own = HashSet::new();
        for name in std::iter::once(&unit.name).chain(&unit.aliases) {
            let key = fold_text(name);
            if key.is_empty() || !own.insert(key.clone()) {
                continue;
            }
            match names.get(&key) {
                Some(other) if *other != unit.code => problem(
                    problems,
                    &place,
                    format!(
                        "the name 「{name}」 is also used by unit {other}; returns signed with it could come from either, so keep it on one unit only"
                    ),
                ),
                Some(_) => {}
                None => {
                    names.insert(key, &unit.code);
                }
            }
        }
    }
}

fn check_tasks(catalogue: &Catalogue, problems: &mut Vec<Problem>) {
    let mut task_codes = HashSet::new();
    let mut indicator_codes = HashSet::new();
    for task in &catalogue.tasks {
        let place = format!("task {}", task.code);
        if !task_codes.insert(task.code.as_str()) {
            problem(
                problems,
                &place,
                "the code is used by more than one task; give each task its own code",
            );
        }
        if task.units.is_empty() {
            problem(
                problems,
                &place,
                "no responsible units; list their codes in units, the lead first",
            );
        }
        let mut listed = HashSet::new();
        for code in &task.units {
            if catalogue.unit(code).is_none() {
                problem(
                    problems,
                    &place,
                    format!("unit '{code}' is not in [[units]]; add the unit or correct the code"),
                );
            }
            if !listed.insert(code.as_str()) {
                problem(
                    problems,
                    &place,
                    format!("unit '{code}' is listed twice in units; remove one"),
                );
            }
        }
        for ind in &task.indicators {
            if !indicator_codes.insert(ind.code.as_str()) {
                problem(
                    problems,
                    indicator_place(ind),
                    "the code is used by more than one indicator; give each indicator its own code",
                );
            }
            check_indicator(catalogue, task, ind, problems);
        }
    }
}

fn indicator_place(ind: &Indicator) -> String {
    format!("indicator {} 「{}」", ind.code, ind.text)
}

fn check_indicator(
    catalogue: &Catalogue,
    task: &Task,
    ind: &Indicator,
    problems: &mut Vec<Problem>,
) {
    let place = indicator_place(ind);
    let mut report = |message: String| problem(problems, &place, message);
    if !ind.code.starts_with(|c: char| c.is_ascii_alphabetic()) {
        report(format!(
            "the code '{}' would be read as a number or a date by a spreadsheet; start it with a letter, e.g. T{}-01",
            ind.code, task.code
        ));
    }
    // The variants are single words, so their Debug form is the TOML spelling.
    let kind = format!("{:?}", ind.kind).to_lowercase();
    if matches!(
        ind.kind,
        IndicatorKind::Count | IndicatorKind::Amount | IndicatorKind::Share | IndicatorKind::Ratio
    ) {
        if ind.unit.trim().is_empty() {
            report(format!(
                "a {kind} indicator needs a unit of measure (家, 亿元, % …); set unit"
            ));
        }
        if ind.target.is_none() {
            report(format!(
                "a {kind} indicator needs a target; set target (a number, or [min, max] for a range)"
            ));
        }
        if ind.comparator == Comparator::None {
            report(format!(
                "a {kind} indicator needs a comparator: reach, at_least, at_most, about or range"
            ));
        }
    }
    if ind.kind == IndicatorKind::Growth && ind.unit.trim().is_empty() {
        report("a growth indicator needs the unit its figures are reported in (万元, %, 人 …); set unit".to_string());
    }
    if ind.kind == IndicatorKind::Milestone && ind.target.is_some() {
        report(
            "a milestone has no target; remove target, or change kind to the figure's kind"
                .to_string(),
        );
    }
    match (ind.target, ind.comparator) {
        (Some(Target::Range([min, max])), _) if min > max => {
            report(format!(
                "the range [{min}, {max}] has min > max; write it as [min, max]"
            ));
        }
        (Some(Target::Range(_)), c) if c != Comparator::Range => {
            report("the target is a range [min, max] but the comparator is not range; set comparator = \"range\" or give one figure".to_string());
        }
        (Some(Target::Value(_)) | None, Comparator::Range) => {
            report("comparator range needs target = [min, max]".to_string());
        }
        _ => {}
    }
    if let Some(t) = ind.target {
        let (a, b) = (t.goal(), t.ceiling());
        if !a.is_finite() || !b.is_finite() {
            report("the target must be a finite number".to_string());
        } else if a < 0.0 || b < 0.0 {
            report("the target is negative; targets are counts, amounts or shares, write it without the sign".to_string());
        }
    }
    if ind.baseline.is_some_and(|b| !b.is_finite()) {
        report("the baseline must be a finite number, or left out until it is known".to_string());
    }
    let year = catalogue.plan.year;
    if !is_iso_date(&ind.deadline) {
        report(format!(
            "the deadline '{}' is not a date; write it as YYYY-MM-DD, e.g. {year}-12-31",
            ind.deadline
        ));
    } else if ind.deadline_month().is_some_and(|(y, _)| y < year) {
        // A later year is a multi-year plan's own deadline (到2025年); an earlier one cannot be tracked.
        report(format!(
            "the deadline {} is before the plan year {year}; correct the deadline or [plan] year",
            ind.deadline
        ));
    }
    if !ind.counties.is_empty() && !ind.kind.is_additive() {
        report(format!(
            "a {kind} indicator does not add up across counties; remove counties (only count and amount indicators have county shares)"
        ));
    }
    let responsible: std::collections::HashSet<&str> =
        task.units.iter().map(String::as_str).collect();
    for county in &ind.counties {
        match catalogue.unit(county) {
            None => report(format!(
                "county '{county}' is not in [[units]]; add the unit or correct the code"
            )),
            Some(u) if u.kind != UnitKind::County => report(format!(
                "'{county}' in counties is not a county (kind = {}); remove it",
                format!("{:?}", u.kind).to_lowercase()
            )),
            Some(_) if !responsible.contains(county.as_str()) => report(format!(
                "county '{county}' is not a responsible unit of task {}; add it to the task's units or remove it from counties",
                task.code
            )),
            Some(_) => {}
        }
    }
}

/// Whether `s` is a real calendar date written as YYYY-MM-DD.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?
            .parse::<u32>()
            .ok()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[plan]
id = "test-2020"
title = "测试方案"
year = 2020
office = "测试市人民政府办公室"

[[units]]
code = "kjj"
name = "市科技局"
kind = "bureau"
aliases = ["科技局"]

[[units]]
code = "longxi"
name = "陇西县"
kind = "county"

[[units]]
code = "anding"
name = "安定区"
kind = "county"

[[tasks]]
code = "2.1"
title = "任务"
units = ["kjj", "longxi"]

[[tasks.indicators]]
code = "T2.1-01"
text = "新认定企业"
unit = "家"
kind = "count"
comparator = "reach"
target = 5
counties = ["longxi"]

[[tasks.indicators]]
code = "T2.1-02"
text = "认定企业"
unit = "家"
kind = "count"
comparator = "range"
target = [2, 3]

[[tasks.indicators]]
code = "T2.1-03"
text = "比重"
unit = "%"
kind = "share"
comparator = "at_least"
target = 0.5

[[tasks.indicators]]
code = "T2.1-04"
text = "完成方案"
kind = "milestone"
comparator = "none"
review = "草稿"

[[tasks.indicators]]
code = "T2.1-05"
text = "资金增长"
unit = "万元"
kind = "growth"
comparator = "none"
"#;

    fn problems(toml: &str) -> Vec<String> {
        let catalogue = Catalogue::from_toml(toml).expect("test catalogue parses");
        check(&catalogue).iter().map(ToString::to_string).collect()
    }

    /// Asserts that replacing `from` with `to` in the good catalogue gives exactly one problem, at `place`,
    /// mentioning `words`.
    fn broken(from: &str, to: &str, place: &str, words: &str) {
        assert!(GOOD.contains(from), "{from:?} is not in the test catalogue");
        let found = problems(&GOOD.replacen(from, to, 1));
        assert_eq!(found.len(), 1, "{from:?} → {to:?}: {found:#?}");
        assert!(
            found[0].starts_with(place) && found[0].contains(words),
            "{found:#?}"
        );
    }

    #[test]
    fn good_catalogue_and_template_pass() {
        assert_eq!(problems(GOOD), Vec::<String>::new());
        let template = include_str!("../../templates/plan.toml");
        assert_eq!(problems(template), Vec::<String>::new());
    }

    #[test]
    fn plan_id() {
        broken(r#"id = "test-2020""#, r#"id = """#, "plan", "empty");
        broken(r#"id = "test-2020""#, r#"id = "测试""#, "plan", "ASCII");
    }

    #[test]
    fn units() {
        broken(
            r#"code = "anding""#,
            r#"code = "longxi""#,
            "unit longxi",
            "more than one unit",
        );
        broken(
            r#"name = "安定区""#,
            r#"name = "科技局""#,
            "unit anding",
            "unit kjj",
        );
        broken(
            r#"code = "anding""#,
            r#"code = "安定""#,
            "unit 安定",
            "ASCII",
        );
    }

    #[test]
    fn tasks() {
        let none = problems(&GOOD.replace(r#"units = ["kjj", "longxi"]"#, "units = []"));
        assert!(
            none[0].starts_with("task 2.1") && none[0].contains("no responsible units"),
            "{none:#?}"
        );
        broken(
            r#"units = ["kjj", "longxi"]"#,
            r#"units = ["kjj", "longxi", "nope"]"#,
            "task 2.1",
            "'nope'",
        );
        broken(
            r#"units = ["kjj", "longxi"]"#,
            r#"units = ["kjj", "longxi", "kjj"]"#,
            "task 2.1",
            "twice",
        );
        let twice =
            format!("{GOOD}\n[[tasks]]\ncode = \"2.1\"\ntitle = \"重复\"\nunits = [\"kjj\"]\n");
        assert!(
            problems(&twice)
                .iter()
                .any(|p| p.starts_with("task 2.1") && p.contains("more than one task"))
        );
    }

    #[test]
    fn indicator_codes() {
        broken(
            r#"code = "T2.1-02""#,
            r#"code = "T2.1-01""#,
            "indicator T2.1-01 「认定企业」",
            "more than one",
        );
        for code in ["2.1", "10-1", "201", ""] {
            broken(
                r#"code = "T2.1-02""#,
                &format!("code = \"{code}\""),
                "indicator",
                "start it with a letter",
            );
        }
    }

    #[test]
    fn numeric_indicators_need_unit_target_and_comparator() {
        broken(
            r#"unit = "%""#,
            r#"unit = """#,
            "indicator T2.1-03 「比重」",
            "unit of measure",
        );
        broken("target = 0.5\n", "", "indicator T2.1-03", "needs a target");
        broken(
            r#"comparator = "at_least""#,
            r#"comparator = "none""#,
            "indicator T2.1-03",
            "comparator",
        );
    }

    #[test]
    fn milestone_with_target() {
        broken(
            r#"comparator = "none"
review"#,
            "comparator = \"none\"\ntarget = 1\nreview",
            "indicator T2.1-04 「完成方案」",
            "no target",
        );
    }

    #[test]
    fn ranges() {
        broken(
            "target = [2, 3]",
            "target = [3, 2]",
            "indicator T2.1-02",
            "min > max",
        );
        broken(
            "target = [2, 3]",
            "target = 2",
            "indicator T2.1-02",
            "needs target = [min, max]",
        );
        broken(
            "target = 0.5",
            "target = [1, 2]",
            "indicator T2.1-03",
            "is a range",
        );
    }

    #[test]
    fn negative_target() {
        broken("target = 5", "target = -5", "indicator T2.1-01", "negative");
        broken("target = 5", "target = nan", "indicator T2.1-01", "finite");
    }

    /// TOML takes nan and inf; a kept plan (JSON) would read them back as no baseline at all.
    #[test]
    fn baseline_not_a_number() {
        broken(
            "comparator = \"reach\"\ntarget = 5",
            "comparator = \"reach\"\ntarget = 5\nbaseline = inf",
            "indicator T2.1-01",
            "baseline",
        );
    }

    #[test]
    fn deadlines() {
        broken(
            "target = 5",
            "target = 5\ndeadline = \"2019-12-31\"",
            "indicator T2.1-01",
            "before the plan year 2020",
        );
        for bad in [
            "2020-13-01",
            "2020-02-30",
            "2020/12/31",
            "年底",
            "2020-1-31",
        ] {
            broken(
                "target = 5",
                &format!("target = 5\ndeadline = \"{bad}\""),
                "indicator T2.1-01",
                "YYYY-MM-DD",
            );
        }
    }

    #[test]
    fn county_shares() {
        broken(
            r#"target = 0.5"#,
            "target = 0.5\ncounties = [\"longxi\"]",
            "indicator T2.1-03 「比重」",
            "remove counties",
        );
        broken(
            r#"counties = ["longxi"]"#,
            r#"counties = ["nope"]"#,
            "indicator T2.1-01",
            "'nope' is not in [[units]]",
        );
        broken(
            r#"counties = ["longxi"]"#,
            r#"counties = ["kjj"]"#,
            "indicator T2.1-01",
            "not a county",
        );
        broken(
            r#"counties = ["longxi"]"#,
            r#"counties = ["anding"]"#,
            "indicator T2.1-01",
            "not a responsible unit",
        );
    }
}
