//! The plan catalogue: what is tracked, by whom, against which targets.
//!
//! These types are the serde schema of `templates/plan.toml`. Everything the later stages know about the
//! plan comes from here; derived facts (who reports which row) are computed by methods, not stored twice.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The whole catalogue as written in `templates/plan.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The plan's identity.
    pub plan: PlanInfo,
    /// Every unit that is responsible for at least one task.
    #[serde(default)]
    pub units: Vec<Unit>,
    /// The tasks in the notice's order.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Lookups built on first use: a plan with thousands of units must not be searched linearly per row.
    #[serde(skip)]
    index: OnceLock<Index>,
    /// Built apart from the index, on first use: only a file read afresh looks for names in its text, and a
    /// run whose returns all come from the cache would build it for nothing.
    #[serde(skip)]
    finder: OnceLock<Finder>,
}

impl PartialEq for Catalogue {
    fn eq(&self, other: &Self) -> bool {
        self.plan == other.plan && self.units == other.units && self.tasks == other.tasks
    }
}

/// Lists told apart by their contents: each distinct list once, in order of first appearance, and each list's
/// place among them. A task's indicators mostly name the same counties (a province's ten thousand), which are
/// then looked up once rather than once per indicator.
pub fn distinct<'a>(lists: impl Iterator<Item = &'a [String]>) -> (Vec<&'a [String]>, Vec<usize>) {
    use std::hash::BuildHasher;
    // Compared only with lists of the same hash: a plan of many long lists, each its own, stays linear.
    let state = foldhash::fast::RandomState::default();
    let mut by_hash: foldhash::HashMap<u64, Vec<usize>> = Default::default();
    let mut apart: Vec<&[String]> = Vec::new();
    let places = lists
        .map(|list| {
            let alike = by_hash.entry(state.hash_one(list)).or_default();
            let same = alike.iter().copied().find(|&n| apart[n] == list);
            same.unwrap_or_else(|| {
                apart.push(list);
                alike.push(apart.len() - 1);
                apart.len() - 1
            })
        })
        .collect();
    (apart, places)
}

/// What a unit reports for one task: every indicator as the city figure (it leads the task), its share of a set
/// of the task's indicators (by their places, [`Index::shares`]), or one narrative.
#[derive(Debug, Clone, Copy)]
enum TaskRows {
    Lead,
    Shares(usize),
    Narrative,
}

/// Where things are in a catalogue, by code. foldhash: a run builds this for a province's ten thousand units
/// before it reads anything, and hashes short codes in a fraction of SipHash's time (seeded per process like it).
#[derive(Debug, Clone, Default)]
struct Index {
    units: foldhash::HashMap<String, usize>,
    indicators: foldhash::HashMap<String, (usize, usize)>,
    /// What each unit reports, task by task in catalogue order: unit `p` (by its place in `units`, the first of
    /// a code) has `rows[starts[p]..starts[p + 1]]`, none for a unit no task names.
    rows: Vec<(usize, TaskRows)>,
    /// See `rows`.
    starts: Vec<usize>,
    /// The same for codes a task names that are no unit's (a plan that fails its check).
    other_rows: foldhash::HashMap<String, Vec<(usize, TaskRows)>>,
    /// The sets of indicators counties report shares of, each once: a province's 10,000 counties share a few.
    shares: Vec<Vec<usize>>,
    /// Folded names and aliases to unit positions.
    names: foldhash::HashMap<String, usize>,
    /// Lower-case codes to unit positions.
    codes: foldhash::HashMap<String, usize>,
}

/// Finds every folded name or alias inside a text in one pass; `owners[pattern]` is its unit.
#[derive(Debug, Clone, Default)]
struct Finder {
    finder: Option<aho_corasick::AhoCorasick>,
    owners: Vec<usize>,
    alias: Vec<bool>,
}

/// Where a unit's name or alias occurs in a text.
#[derive(Debug, Clone, Copy)]
pub struct NameMatch {
    /// Byte offset in the folded text.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
    /// Length of the name in characters.
    pub chars: usize,
    /// The unit's place in the plan's list.
    pub unit: usize,
    /// An alias rather than the unit's name.
    pub alias: bool,
}

/// Identity of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInfo {
    /// Short ASCII identifier, used in file names.
    pub id: String,
    /// Title as the notice writes it.
    pub title: String,
    /// The plan year.
    pub year: i32,
    /// The office that issued the notice and tracks the plan.
    pub office: String,
}

/// What kind of body a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A county or district government; reports its own share of additive indicators.
    County,
    /// A city bureau or office.
    Bureau,
    /// A development zone's administration.
    Zone,
    /// A leading group whose member units report through its office.
    Group,
}

/// A responsible unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Short ASCII code (`kjj`, `longxi`).
    pub code: String,
    /// Full name as the notice writes it.
    pub name: String,
    /// County, bureau, zone or group.
    pub kind: UnitKind,
    /// Where feedback is mailed.
    #[serde(default)]
    pub email: String,
    /// Other names people write for this unit.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Set by `plan extract` where a person must look (an email to fill in, a group to list); `plan check`
    /// fails while it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

/// One task of the notice, e.g. 二（一）.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// `2.1` for 二（一）.
    pub code: String,
    /// The task's heading.
    pub title: String,
    /// Responsible unit codes in the notice's order; the first leads.
    pub units: Vec<String>,
    /// The notice's 预期目标和成效 text.
    #[serde(default)]
    pub goals: String,
    /// The measurable targets and milestones.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

/// How an indicator's figure is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A number of things (家, 件, 项, 名 …); additive across counties.
    Count,
    /// Money (亿元, 万元); additive across counties.
    Amount,
    /// A percentage; not additive.
    Share,
    /// A rate such as 件/万人; not additive.
    Ratio,
    /// Something to get done; reported as 未启动/推进中/已完成.
    Milestone,
    /// Growth over last year; compared with a baseline the office fills in.
    Growth,
}

impl IndicatorKind {
    /// Whether county figures add up to the city figure.
    pub fn is_additive(self) -> bool {
        matches!(self, IndicatorKind::Count | IndicatorKind::Amount)
    }

    /// Whether the indicator is reported as a number.
    pub fn is_numeric(self) -> bool {
        !matches!(self, IndicatorKind::Milestone)
    }
}

/// How a reported figure is compared with the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// 以上 / 力争: the target is a floor.
    AtLeast,
    /// 左右: within a tolerance either side.
    About,
    /// 2-3: within [min, max].
    Range,
    /// A plain figure or 达到: reach it.
    Reach,
    /// 以内 / 以下 / 不超过 / 控制在: the target is a ceiling.
    AtMost,
    /// No figure: a milestone or a growth target.
    None,
}

/// A target: one figure, or a range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Target {
    /// A single figure.
    Value(f64),
    /// `[min, max]`.
    Range([f64; 2]),
}

impl Target {
    /// The figure that progress is measured against (the lower end of a range).
    pub fn goal(self) -> f64 {
        match self {
            Target::Value(v) => v,
            Target::Range([min, _]) => min,
        }
    }

    /// The upper end (the figure itself when it is not a range).
    pub fn ceiling(self) -> f64 {
        match self {
            Target::Value(v) => v,
            Target::Range([_, max]) => max,
        }
    }
}

/// A measurable target or milestone of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable code that no spreadsheet turns into a number or date (`T2.1-01`).
    pub code: String,
    /// The target as the notice words it.
    pub text: String,
    /// Unit of measure (家, 亿元, %, 件/万人 …); empty for milestones.
    #[serde(default)]
    pub unit: String,
    /// How the figure is read.
    pub kind: IndicatorKind,
    /// How the figure is compared with the target.
    pub comparator: Comparator,
    /// The annual target; absent for milestones and growth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// The figure the target starts from (从574元提高到609元: 574), or last year's for growth targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// When the target is due (ISO date).
    #[serde(default = "default_deadline")]
    pub deadline: String,
    /// County codes that report their own share (additive indicators only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counties: Vec<String>,
    /// Set by `plan extract` where a person must look; `plan check` treats it like any other indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

fn default_deadline() -> String {
    "2020-12-31".to_string()
}

impl Indicator {
    /// The deadline as (year, month).
    pub fn deadline_month(&self) -> Option<(i32, u32)> {
        let mut parts = self.deadline.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        Some((year, month))
    }

    /// The target written as people read it: `≥242`, `2–3`, `约1200`, `1.3`.
    pub fn target_display(&self) -> String {
        match (self.target, self.comparator) {
            (None, _) if self.kind == IndicatorKind::Growth => "比上年增长".to_string(),
            (None, _) => "完成".to_string(),
            (Some(Target::Range([a, b])), _) => format!("{}-{}", fmt_num(a), fmt_num(b)),
            (Some(Target::Value(v)), Comparator::AtLeast) => format!("≥{}", fmt_num(v)),
            (Some(Target::Value(v)), Comparator::About) => format!("约{}", fmt_num(v)),
            (Some(Target::Value(v)), Comparator::AtMost) => format!("≤{}", fmt_num(v)),
            (Some(Target::Value(v)), _) => fmt_num(v),
        }
    }
}

/// Formats a figure the way Excel's General format shows it (no float noise, no trailing zeros).
pub fn fmt_num(v: f64) -> String {
    let rounded = (v * 1e9).round() / 1e9;
    // Whole numbers, most figures, print as the integer they are (and -0 as 0) without float formatting.
    if rounded.trunc() == rounded && rounded.abs() < 1e15 {
        return (rounded as i64).to_string();
    }
    let s = format!("{rounded}");
    if s == "-0" { "0".to_string() } else { s }
}

/// What a unit reports in one row of its return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRole {
    /// The lead's city-wide figure.
    City,
    /// A county's own share of an additive indicator.
    CountyShare,
    /// A co-responsible unit's progress narrative for a task.
    Narrative,
}

/// One row a unit must fill in its return.
#[derive(Debug, Clone, Copy)]
pub struct ReportRow<'a> {
    /// The task the row belongs to.
    pub task: &'a Task,
    /// The indicator; `None` for a narrative row.
    pub indicator: Option<&'a Indicator>,
    /// What the figure stands for.
    pub role: RowRole,
}

impl ReportRow<'_> {
    /// The code written in the 指标编码 column.
    pub fn code(&self) -> String {
        match self.indicator {
            Some(ind) => ind.code.clone(),
            None => narrative_code(&self.task.code),
        }
    }

    /// Whether `code` is [`ReportRow::code`], asked without building it: rows are matched by code in a loop.
    pub fn has_code(&self, code: &str) -> bool {
        match self.indicator {
            Some(ind) => ind.code == code,
            None => code
                .strip_prefix('T')
                .and_then(|c| c.strip_suffix("-N"))
                .is_some_and(|t| t == self.task.code),
        }
    }

    /// The text written in the 指标 column.
    pub fn text(&self) -> String {
        match (self.indicator, self.role) {
            (Some(ind), RowRole::CountyShare) => format!("{}（本县区）", ind.text),
            (Some(ind), _) => ind.text.clone(),
            (None, _) => "工作进展情况".to_string(),
        }
    }

    /// The text written in the 年度目标 column.
    pub fn target_text(&self) -> String {
        match (self.indicator, self.role) {
            (Some(ind), RowRole::CountyShare) => format!("全市{}", ind.target_display()),
            (Some(ind), _) => ind.target_display(),
            (None, _) => String::new(),
        }
    }
}

/// The 指标编码 of a task's narrative row.
pub fn narrative_code(task_code: &str) -> String {
    format!("T{task_code}-N")
}

impl Catalogue {
    /// A catalogue of these parts.
    pub fn new(plan: PlanInfo, units: Vec<Unit>, tasks: Vec<Task>) -> Catalogue {
        Catalogue {
            plan,
            units,
            tasks,
            index: OnceLock::new(),
            finder: OnceLock::new(),
        }
    }

    /// Parses a catalogue from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Serialises the catalogue as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a catalogue always serialises")
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut ix = Index::default();
            // Each unit's place, or that of the first unit of its code.
            let mut first = Vec::with_capacity(self.units.len());
            for (i, u) in self.units.iter().enumerate() {
                first.push(*ix.units.entry(u.code.clone()).or_insert(i));
                ix.codes.entry(u.code.to_ascii_lowercase()).or_insert(i);
                for name in std::iter::once(&u.name).chain(&u.aliases) {
                    ix.names
                        .entry(crate::normalise::fold_text(name))
                        .or_insert(i);
                }
            }
            // Units are found by their place rather than their code, and what each reports is kept a task at a
            // time (its rows are spelled out when asked for): a province's plan names its 10,000 counties on every
            // task and indicator, and a list of rows for each took every run a twentieth of a second, most of it
            // fresh memory.
            let mut flat: Vec<(usize, usize, TaskRows)> = Vec::new();
            let mut sets: foldhash::HashMap<Vec<usize>, usize> = Default::default();
            let mut set_of = |ks: &[usize], shares: &mut Vec<Vec<usize>>| match sets.get(ks) {
                Some(&n) => n,
                None => {
                    sets.insert(ks.to_vec(), shares.len());
                    shares.push(ks.to_vec());
                    shares.len() - 1
                }
            };
            let mut shares: Vec<Vec<usize>> = vec![Vec::new(); self.units.len()];
            let mut touched = Vec::new();
            let mut seen = vec![usize::MAX; self.units.len()];
            // A task's lists mostly name units in the catalogue's order: the unit after the last one found is
            // tried before the map.
            let mut next = 0;
            let mut place_of = |code: &str| {
                let p = match self.units.get(next) {
                    Some(u) if u.code == code => Some(first[next]),
                    _ => ix.units.get(code).copied(),
                };
                next = p.map_or(0, |p| p + 1);
                p
            };
            for (t, task) in self.tasks.iter().enumerate() {
                for (k, ind) in task.indicators.iter().enumerate() {
                    ix.indicators.entry(ind.code.clone()).or_insert((t, k));
                }
                // County → the indicators of this task it reports a share of, in indicator order.
                let mut other_shares: foldhash::HashMap<&str, Vec<usize>> = Default::default();
                for (k, ind) in task.indicators.iter().enumerate() {
                    for c in &ind.counties {
                        let list = match place_of(c) {
                            Some(p) => {
                                if shares[p].is_empty() {
                                    touched.push(p);
                                }
                                &mut shares[p]
                            }
                            None => other_shares.entry(c.as_str()).or_default(),
                        };
                        if list.last() != Some(&k) {
                            list.push(k);
                        }
                    }
                }
                let mut other_seen = foldhash::HashSet::default();
                for (pos, unit) in task.units.iter().enumerate() {
                    let place = place_of(unit);
                    let first = match place {
                        Some(p) => std::mem::replace(&mut seen[p], t) != t,
                        None => other_seen.insert(unit.as_str()),
                    };
                    if !first {
                        continue;
                    }
                    let ks = match place {
                        Some(p) => Some(&shares[p]).filter(|l| !l.is_empty()),
                        None => other_shares.get(unit.as_str()),
                    };
                    let what = match (pos, ks) {
                        (0, _) => TaskRows::Lead,
                        (_, Some(ks)) => TaskRows::Shares(set_of(ks, &mut ix.shares)),
                        (_, None) => TaskRows::Narrative,
                    };
                    match place {
                        Some(p) => flat.push((p, t, what)),
                        None => ix
                            .other_rows
                            .entry(unit.clone())
                            .or_default()
                            .push((t, what)),
                    }
                }
                for p in touched.drain(..) {
                    shares[p].clear();
                }
            }
            // Laid out unit by unit, each unit's tasks in order (a counting sort keeps their order).
            ix.starts = vec![0; self.units.len() + 1];
            for &(p, ..) in &flat {
                ix.starts[p + 1] += 1;
            }
            for p in 0..self.units.len() {
                ix.starts[p + 1] += ix.starts[p];
            }
            let mut at = ix.starts.clone();
            ix.rows = vec![(0, TaskRows::Narrative); flat.len()];
            for (p, t, what) in flat {
                ix.rows[at[p]] = (t, what);
                at[p] += 1;
            }
            ix
        })
    }

    /// Builds the lookups that reading a return uses. Each is otherwise built by the first return to need it,
    /// while the others that need it wait: called beside the first reads, it costs a run no time.
    pub fn prepare(&self) {
        self.index();
        self.finder();
    }

    fn finder(&self) -> &Finder {
        self.finder.get_or_init(|| {
            let mut f = Finder::default();
            let mut patterns = Vec::new();
            for (i, u) in self.units.iter().enumerate() {
                for (k, name) in std::iter::once(&u.name).chain(&u.aliases).enumerate() {
                    let folded = crate::normalise::fold_text(name);
                    if !folded.is_empty() {
                        patterns.push(folded);
                        f.owners.push(i);
                        f.alias.push(k > 0);
                    }
                }
            }
            f.finder = aho_corasick::AhoCorasick::new(&patterns).ok();
            f
        })
    }

    /// Looks a unit up by its code.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.index().units.get(code).map(|&i| &self.units[i])
    }

    /// The county units in catalogue order.
    pub fn counties(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| u.kind == UnitKind::County)
    }

    /// Finds an indicator and its task by indicator code.
    pub fn indicator(&self, code: &str) -> Option<(&Task, &Indicator)> {
        self.index()
            .indicators
            .get(code)
            .map(|&(t, k)| (&self.tasks[t], &self.tasks[t].indicators[k]))
    }

    /// Every indicator with its task, in catalogue order.
    pub fn indicators(&self) -> impl Iterator<Item = (&Task, &Indicator)> {
        self.tasks
            .iter()
            .flat_map(|t| t.indicators.iter().map(move |i| (t, i)))
    }

    /// The rows a unit reports each month, in catalogue order.
    ///
    /// The lead reports every indicator as the city figure; a county named on the task reports its share of
    /// the additive ones it is listed on; any other responsible unit reports one narrative for the task.
    pub fn rows_for(&self, unit: &str) -> Vec<ReportRow<'_>> {
        let ix = self.index();
        let mut rows = Vec::new();
        for &(t, what) in self.unit_rows(unit).unwrap_or_default() {
            let task = &self.tasks[t];
            let row = |k: Option<usize>, role| ReportRow {
                task,
                indicator: k.map(|k| &task.indicators[k]),
                role,
            };
            match what {
                TaskRows::Lead if !task.indicators.is_empty() => {
                    rows.extend((0..task.indicators.len()).map(|k| row(Some(k), RowRole::City)))
                }
                TaskRows::Shares(n) => rows.extend(
                    ix.shares[n]
                        .iter()
                        .map(|&k| row(Some(k), RowRole::CountyShare)),
                ),
                TaskRows::Lead | TaskRows::Narrative => rows.push(row(None, RowRole::Narrative)),
            }
        }
        rows
    }

    /// Units that report anything, in catalogue order.
    pub fn reporting_units(&self) -> impl Iterator<Item = &Unit> {
        self.units
            .iter()
            .filter(move |u| self.unit_rows(&u.code).is_some())
    }

    /// What a unit code reports, task by task, as the index holds it; `None` for a code no task names.
    fn unit_rows(&self, unit: &str) -> Option<&[(usize, TaskRows)]> {
        let ix = self.index();
        let rows = match ix.units.get(unit) {
            Some(&p) => &ix.rows[ix.starts[p]..ix.starts[p + 1]],
            None => ix.other_rows.get(unit)?,
        };
        (!rows.is_empty()).then_some(rows)
    }

    /// The unit whose name or alias appears in `text` (the longest such, the first unit on a tie), else the
    /// unit whose code is one of the text's ASCII words: how a file name says who sent it.
    pub fn unit_named_in(&self, text: &str) -> Option<&Unit> {
        let ix = self.index();
        let folded = crate::normalise::fold_text(text);
        let best = self
            .names_in(&folded)
            .map(|m| (m.end - m.start, std::cmp::Reverse(m.unit)))
            .max();
        if let Some((_, std::cmp::Reverse(i))) = best {
            return Some(&self.units[i]);
        }
        folded
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .find_map(|w| ix.codes.get(&w.to_ascii_lowercase()))
            .map(|&i| &self.units[i])
    }

    /// Every place a unit's name or alias occurs in a folded text (overlapping), in constant time per match
    /// whatever the number of units.
    pub fn names_in<'t>(&'t self, folded: &'t str) -> impl Iterator<Item = NameMatch> + 't {
        let ix = self.finder();
        ix.finder
            .iter()
            .flat_map(move |f| f.find_overlapping_iter(folded))
            .map(move |m| {
                let p = m.pattern().as_usize();
                NameMatch {
                    start: m.start(),
                    end: m.end(),
                    chars: folded[m.start()..m.end()].chars().count(),
                    unit: ix.owners[p],
                    alias: ix.alias[p],
                }
            })
    }

    /// Finds a unit by code, full name or alias, ignoring spaces and full-width forms.
    pub fn resolve_unit(&self, name: &str) -> Option<&Unit> {
        let key = crate::normalise::fold_text(name);
        if key.is_empty() {
            return None;
        }
        let ix = self.index();
        ix.names.get(&key).map(|&i| &self.units[i]).or_else(|| {
            self.units
                .iter()
                .find(|u| u.code.eq_ignore_ascii_case(&key))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_numbers_print_as_float_formatting_would() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            15021.0,
            999_999_999_999_999.0,
            -123_456_789.0,
            1e-12,
            2.999_999_999_9,
        ] {
            let rounded = (v * 1e9_f64).round() / 1e9;
            let slow = format!("{rounded}");
            let slow = if slow == "-0" { "0".to_string() } else { slow };
            assert_eq!(super::fmt_num(v), slow, "{v}");
        }
        assert_eq!(super::fmt_num(1e15), "1000000000000000");
        assert_eq!(super::fmt_num(0.1 + 0.2), "0.3");
    }

    use super::*;

    #[test]
    fn lists_alike_are_told_apart_by_contents_in_order_of_first_appearance() {
        let list = |codes: &[&str]| codes.iter().map(ToString::to_string).collect::<Vec<_>>();
        let (a, b, c) = (list(&["x", "y"]), list(&["y", "x"]), list(&["x", "y"]));
        let empty = list(&[]);
        let (apart, places) = distinct([&a, &b, &c, &empty, &b].into_iter().map(Vec::as_slice));
        assert_eq!(apart, [&a[..], &b[..], &empty[..]]);
        assert_eq!(places, [0, 1, 0, 2, 1]);
    }

    #[test]
    fn units_are_found_in_file_names() {
        let c = Catalogue::from_toml(include_str!("../../templates/plan.toml")).unwrap();
        let code = |s: &str| c.unit_named_in(s).map(|u| u.code.as_str());
        assert_eq!(code("陇西县2020年10月进展"), Some("longxi"));
        assert_eq!(code("渭源县10月报表"), Some("weiyuan"));
        assert_eq!(code("定西市科学技术局 10月"), Some("kjj"));
        assert_eq!(code("2020-10_KJJ_report"), Some("kjj"));
        assert_eq!(code("报表"), None);
    }
}
