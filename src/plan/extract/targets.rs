//! The targets of an item: its text cut into clauses, each clause one indicator per figure, a growth
//! target, or a milestone; comparators, baselines and deadlines read from the words around each figure.

use std::sync::LazyLock;

use regex::Regex;

use super::text::re;
use crate::plan::model::{Comparator, Indicator, IndicatorKind, Target};

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:到|至|截至|截止|在)?(?:(?:19|20)\d\d-)?((?:19|20)\d\d)年(?:(\d{1,2})月)?(?:底前|底|末|内|前|度|份)*的?",
    )
});
/// A date inside a clause (全市…到2025年达到120家): it holds for that clause only.
static DATE_INSIDE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:到|至|截至|截止|在|于)((?:19|20)\d\d)年(?:(\d{1,2})月)?"));
static ORDINAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:[一二三四五六七八九十]是|其[一二三四五六七八九十])"));
/// Words that say a figure is how things stand, not a target.
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:目前|现有|截至目前)|已有|已建成|已达到|已累计|累计已|共有"));
/// The words between a baseline and its target: 从574元提高到609元.
/// What opens a baseline: 从, or 由 and the year it stood in (由2021年的1.8亿元提高到2.2亿元).
static BASELINE_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:从|由)(?:(?:19|20)\d\d年(?:底|末)?的?)?$"));
static BASELINE_TO: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:提高|增加|增长|提升|上升|扩大|下降|降低|减少|压减|降)?(?:到|至)$"));
/// Before a % figure: the figure is a growth rate (增长6.2%左右).
static GROWTH_RATE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:增长|增速|增幅|递增)率?(?:保持在|达到|为|达|不低于|不少于|高于|超过)?$")
});
static CEILING_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:不超过|不高于|控制在|低于|降至|降到|下降到|下降至|减少到|减少至|压减到|压减至|压缩到|降低到|降低至)$",
    )
});
static MONTH: LazyLock<Regex> = LazyLock::new(|| re(r"(\d{1,2})月(?:底|末|份)?前?"));
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?",
        r"(件/万人|个百分点|个工作日|工作日|个月|万人次|人次|场次|批次|万标准箱|标准箱|艘|(?:万|亿)?(?:元|千瓦时|千瓦|平方米|立方米|平方公里|公顷|吨标准煤|标准煤|吨|亩|人|名|件|个|家|户|辆|套|台|张|床位|床|株|头|只",
        r"|公里|千米|项|所|座|条|处|次|篇|部|批|场|期)|%|‰|小时|天|岁)",
        r"(?:（[^）]{1,4}）)?(及以上|以上|左右|以内|以下)?",
    ))
});
static PER_PEOPLE: LazyLock<Regex> = LazyLock::new(|| re(r"每?(十万|万|千|百)人"));
static GROWTH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"比上年度?.*(?:增长|增加|提高)|有所增长|有较大增长|大幅增长|稳步增长|持续增长|稳定增长|逐年增加|逐年增长|逐步增加|明显提高|显著提高|稳步提高|有所提高|不断提高",
    )
});
static ACTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:积极|全面|加快|年内|年底前|力争|进一步|基本|全力|切实|认真|努力|着力|重点)*(?:完成|建成|启动|编制|组建|申报|提出|争取|部署|组织|实施|形成|明确|细化|谋划|取得|制定|出台|建立|开展|推进|推动|培育|创建|打造|举办|召开|印发|落实|完善|引进|建设|实现|开工|投产|通过|获批|批复|设立|成立|搭建|发布|修订|起草|上报|争创|确保)",
    )
});
static OUTCOME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"完成|建成|启动|编制|组建|申报|提出|争取|部署|实施|形成|明确|细化|谋划|取得|制定|出台|建立|开展|推进|实现|开工|投产|获批|批复|成立|发布|运行|共享|互通|理顺|健全|深化|见效|成效|到位|覆盖|投用|使用|提升|增强|优化|改善",
    )
});
static CHINESE_COUNT: LazyLock<Regex> =
    LazyLock::new(|| re(r"[一二两三四五六七八九十百千]+[家件项个名所座]"));
static TRAILING_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:达到了|达到|达|为|稳定在|保持在|控制在|突破|超过|不低于|不少于|至少|增至|增加到|提高到|提升到|提高至|提升至|压缩至|压缩到|压减至|压减到|降至|降到|下降到|下降至|减少到|减少至|降低到|降低至|不超过|不高于|低于)$",
    )
});
static FLOOR_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:突破|超过|不低于|不少于|至少|达到|达)?(?:突破|超过|不低于|不少于|至少)$")
});

/// 不少于床位总数的5%: a floor stated as a share of something.
static FLOOR_OF: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:不少于|不低于|不小于)\p{Han}{1,12}的$"));

/// A year and maybe a month that a goal is due in.
pub(super) type When = (i32, Option<u32>);

/// The indicators of an item's text; `milestones` also makes one milestone per clause that states no figure
/// (layout (a), whose 预期目标和成效 are all targets), otherwise only figures and growth targets are read.
pub(super) fn read(
    task: &str,
    plan: &Span,
    counties: Vec<String>,
    when: Option<When>,
    text: &str,
    milestones: bool,
) -> Vec<Indicator> {
    let mut goals = Goals::new(task, plan.year, counties);
    goals.milestones = milestones;
    goals.period_end = plan.end;
    goals.read(text, when)
}

/// The years a plan covers: its first, and for a multi-year plan (2021—2023年) its last.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    /// The plan year.
    pub year: i32,
    /// The last year of a multi-year plan.
    pub end: Option<i32>,
}

/// A milestone due at the end of `year`.
pub(super) fn milestone(code: String, text: String, year: i32) -> Indicator {
    Indicator {
        code,
        text,
        unit: String::new(),
        kind: IndicatorKind::Milestone,
        comparator: Comparator::None,
        target: None,
        baseline: None,
        deadline: format!("{year}-12-31"),
        counties: Vec::new(),
        review: None,
    }
}

/// Reads one task's goals into indicators.
struct Goals {
    task: String,
    year: i32,
    counties: Vec<String>,
    milestones: bool,
    period_end: Option<i32>,
    /// Where the current sentence's indicators begin: 分别 may refer to them.
    sentence_start: usize,
    out: Vec<Indicator>,
}

impl Goals {
    fn new(task: &str, year: i32, counties: Vec<String>) -> Goals {
        Goals {
            task: task.to_string(),
            year,
            counties,
            milestones: true,
            period_end: None,
            sentence_start: 0,
            out: Vec::new(),
        }
    }

    fn read(mut self, goals: &str, given: Option<When>) -> Vec<Indicator> {
        let mut dated = given.is_some();
        let mut when = given.unwrap_or((self.period_end.unwrap_or(self.year), None));
        // The date the goals last named (`2020年底前`, `2021年6月`) holds for the clauses after it.
        for sentence in clauses(goals) {
            self.sentence_start = self.out.len();
            // A milestone that later clauses of the same sentence may extend, e.g. 体制机制健全理顺，…基本建成.
            let mut open: Option<usize> = None;
            for clause in sentence {
                let (clause, said) = strip_date(&clause);
                if let Some(date) = said {
                    when = date;
                    dated = true;
                }
                if clause.is_empty() || STATUS.is_match(&clause) {
                    continue;
                }
                let inside = DATE_INSIDE.captures(&clause).and_then(|c| {
                    let y = c[1].parse().ok()?;
                    Some((y, c.get(2).and_then(|m| m.as_str().parse().ok())))
                });
                let here = inside.unwrap_or(when);
                let first = self.out.len();
                let figures = figures(&clause);
                if !figures.is_empty() {
                    self.figures(&clause, &figures, here);
                    open = None;
                } else if GROWTH.is_match(&clause) {
                    let ind = self.growth(&clause, here);
                    self.push(ind);
                    open = None;
                } else if !self.milestones {
                    // In running text only a dated action is a target: 2023年底前建成梅山港区铁路支线.
                    if (said.is_some() || inside.is_some()) && ACTION.is_match(&clause) {
                        let ind = self.milestone(&clause, here);
                        self.push(ind);
                    }
                } else if let (Some(i), false) = (open, ACTION.is_match(&clause)) {
                    let ind = &mut self.out[i];
                    ind.text = format!("{}，{}", ind.text, clause);
                } else {
                    let ind = self.milestone(&clause, when);
                    self.push(ind);
                    open = Some(self.out.len() - 1);
                }
                if let (Some(end), false) = (self.period_end, dated || inside.is_some()) {
                    for ind in self.out.iter_mut().skip(first) {
                        ind.review.get_or_insert_with(|| {
                            format!("多年方案（至{end}年）的目标未写年份：截止日期暂按{end}年底，核对是否为年度目标")
                        });
                    }
                }
            }
        }
        self.out
    }

    fn push(&mut self, mut ind: Indicator) {
        ind.code = format!("T{}-{:02}", self.task, self.out.len() + 1);
        self.out.push(ind);
    }

    /// The deadline a clause implies: the year and month the text names (a multi-year plan's 到2025年 is due
    /// in 2025), else the plan year's end; a review note when the date lies before the plan year.
    fn deadline(&self, clause: &str, (year, month): When) -> (String, Option<String>) {
        let review = (year < self.year).then(|| {
            format!(
                "目标年份为{year}年，早于方案年度{}年：核对截止日期",
                self.year
            )
        });
        let month = MONTH
            .captures(clause)
            .and_then(|c| c[1].parse::<u32>().ok())
            .or(month)
            .filter(|m| (1..=12).contains(m))
            .unwrap_or(12);
        let y = year.max(self.year);
        let last = match month {
            2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (format!("{y}-{month:02}-{last}"), review)
    }

    fn milestone(&self, clause: &str, when: When) -> Indicator {
        let (deadline, review) = self.deadline(clause, when);
        let review = review.or_else(|| {
            if CHINESE_COUNT.is_match(clause) {
                Some(
                    "数量用汉字书写：核对是否应为数字指标（写成阿拉伯数字、计量单位和目标值）"
                        .to_string(),
                )
            } else if !ACTION.is_match(clause) && !OUTCOME.is_match(clause) {
                Some("未识别出工作动作或数量：核对这是否是一项可考核的目标".to_string())
            } else {
                None
            }
        });
        Indicator {
            deadline,
            review,
            ..milestone(String::new(), clause.to_string(), self.year)
        }
    }

    fn growth(&self, clause: &str, when: When) -> Indicator {
        let (deadline, review) = self.deadline(clause, when);
        let unit = if clause.contains("比重") || clause.contains('率') {
            "%"
        } else if ["资金", "投入", "收入", "额", "支出"]
            .iter()
            .any(|w| clause.contains(w))
        {
            "万元"
        } else if clause.contains("人数") {
            "人"
        } else {
            ""
        };
        Indicator {
            unit: unit.to_string(),
            kind: IndicatorKind::Growth,
            deadline,
            review: review.or_else(|| {
                unit.is_empty()
                    .then(|| "增长指标：填写计量单位（unit）".to_string())
            }),
            ..milestone(String::new(), clause.to_string(), self.year)
        }
    }

    fn figures(&mut self, clause: &str, figures: &[Figure], when: When) {
        let floor = clause.contains("力争");
        // 甲、乙和丙分别下降15%、10%和26%: one subject per figure.
        let mut verb_growth = false;
        let subjects: Vec<String> = match clause.find("分别") {
            Some(at) if figures.len() > 1 && figures[0].start > at => {
                let verb = TRAILING_VERB.replace(&clause[at + "分别".len()..figures[0].start], "");
                verb_growth = GROWTH_RATE.is_match(&verb);
                let named: Vec<&str> = clause[..at]
                    .split(['、', '和', '及', '与'])
                    .map(|s| s.trim_start_matches(['，', '、']))
                    .filter(|s| !s.is_empty())
                    .collect();
                // …游客2500万人次，…收入120亿元，分别增长15%和18%: the figures just read are the subjects.
                let earlier: Vec<&str> = self.out[self.sentence_start..]
                    .iter()
                    .map(|i| i.text.as_str())
                    .collect();
                let subjects = if named.is_empty() && earlier.len() >= figures.len() {
                    earlier[earlier.len() - figures.len()..].to_vec()
                } else {
                    named
                };
                subjects.iter().map(|s| format!("{s}{verb}")).collect()
            }
            _ => Vec::new(),
        };
        let subjects = if subjects.len() == figures.len() {
            subjects
        } else {
            Vec::new()
        };
        let mut prev_end = 0;
        let mut baseline: Option<(f64, usize)> = None;
        for (i, f) in figures.iter().enumerate() {
            // 从574元提高到609元: the first figure is the baseline of the second.
            if let Some(next) = figures.get(i + 1)
                && BASELINE_TO.is_match(&clause[f.end..next.start])
                && let Some(from) = BASELINE_FROM.find(&clause[prev_end..f.start])
            {
                baseline = Some((f.min, prev_end + from.start()));
                continue;
            }
            let (base, before) = match baseline.take() {
                Some((value, subject_end)) => (Some(value), &clause[prev_end..subject_end]),
                None => (None, &clause[prev_end..f.start]),
            };
            let after = if i + 1 == figures.len() {
                &clause[f.end..]
            } else {
                ""
            };
            prev_end = f.end;
            let (deadline, mut review) = self.deadline(clause, when);
            let growth_rate = f.unit == "%" && (GROWTH_RATE.is_match(before) || verb_growth);
            let (unit, kind) = match f.unit.as_str() {
                "%" if growth_rate => (f.unit.clone(), IndicatorKind::Growth),
                "%" | "‰" | "个百分点" => (f.unit.clone(), IndicatorKind::Share),
                u if u.ends_with('元') => (f.unit.clone(), IndicatorKind::Amount),
                u => match PER_PEOPLE.captures(before) {
                    Some(per) if before.contains("拥有") || per[0].starts_with('每') => {
                        (format!("{u}/{}人", &per[1]), IndicatorKind::Ratio)
                    }
                    _ => (u.to_string(), IndicatorKind::Count),
                },
            };
            let comparator = match (f.max, f.qualifier.as_deref()) {
                (Some(_), _) => Comparator::Range,
                (None, Some("以上" | "及以上")) => Comparator::AtLeast,
                (None, Some("左右")) => Comparator::About,
                (None, Some(_)) => Comparator::AtMost,
                // 不超过 ends with 超过 and 不低于 with 低于: the negated ceiling is read first.
                _ if before.ends_with("不超过") || before.ends_with("不高于") => {
                    Comparator::AtMost
                }
                _ if FLOOR_VERB.is_match(before) || FLOOR_OF.is_match(before) => {
                    Comparator::AtLeast
                }
                _ if CEILING_VERB.is_match(before) => Comparator::AtMost,
                _ if floor => Comparator::AtLeast,
                _ => Comparator::Reach,
            };
            let text = match subjects.get(i) {
                Some(subject) => subject.clone(),
                None => figure_text(before, after, kind),
            };
            // 到2022年，产能达到8万吨，到2023年，达到10万吨 (or 2022年新建基站120个，2023年新建150个): a figure
            // without its own words, or with only the verb, counts what the figure before it in the sentence counts.
            let text = match self.out[self.sentence_start..].last() {
                Some(prev) if text.chars().count() <= 2 && prev.text.starts_with(&text) => {
                    prev.text.clone()
                }
                _ => text,
            };
            // 分别为2个、3个和3个 with one subject: what each figure stands for (a year, a kind) is for a person.
            if subjects.is_empty() && figures.len() > 1 && clause.contains("分别") {
                review = review.or(Some(
                    "“分别”后有多个数值：核对每个数值对应的对象或年份，并写入指标名称".to_string(),
                ));
            }
            if growth_rate && comparator == Comparator::AtMost {
                review = review.or(Some("增长率的上限目标：核对比较方式".to_string()));
            }
            let review = review.or_else(|| {
                if ["万亩", "亩", "万吨", "吨", "平方米", "公里", "千米", "岁"]
                    .contains(&unit.as_str())
                {
                    Some(format!(
                        "计量单位为{unit}：核对指标类型，以及能否按县区相加"
                    ))
                } else if !growth_rate && (f.unit == "个百分点" || clause.contains("增长")) {
                    Some("含增长的说法：核对是否应为增长指标（growth）并填写上年度基数".to_string())
                } else if text.chars().count() <= 3 || text.starts_with('占') {
                    Some("指标名称不完整：请补全（写明统计的是什么）".to_string())
                } else {
                    None
                }
            });
            let target = match f.max {
                Some(max) => Target::Range([f.min, max]),
                None => Target::Value(f.min),
            };
            let ind = Indicator {
                text,
                unit,
                kind,
                comparator,
                target: Some(target),
                baseline: base,
                deadline,
                counties: if kind.is_additive() {
                    self.counties.clone()
                } else {
                    Vec::new()
                },
                review,
                ..milestone(String::new(), String::new(), self.year)
            };
            self.push(ind);
        }
    }
}

/// A figure with its unit of measure, as found in a clause.
struct Figure {
    start: usize,
    end: usize,
    min: f64,
    max: Option<f64>,
    unit: String,
    qualifier: Option<String>,
}

/// The figures of a clause that are targets: not a part of a code (`5G`, `1+7`), an ordinal or a quotation.
fn figures(clause: &str) -> Vec<Figure> {
    FIGURE
        .captures_iter(clause)
        .filter_map(|caps| {
            let m = caps.get(0)?;
            let prev = clause[..m.start()].chars().next_back();
            // 500万元以上项目: a threshold that qualifies what is counted, not a target.
            let threshold = caps
                .get(4)
                .is_some_and(|q| ["以上", "及以上", "以下"].contains(&q.as_str()))
                && clause[m.end()..].starts_with(|c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c));
            // 年销售额超过100万元的电商企业10家: a figure that qualifies a later one (…的) is not a target.
            let attribute =
                clause[m.end()..].starts_with('的') && FIGURE.is_match(&clause[m.end()..]);
            if prev.is_some_and(|c| c.is_ascii_alphanumeric() || "+.-/第".contains(c))
                || attribute
                || nesting(&clause[..m.start()]) > 0
                || threshold
            {
                return None;
            }
            Some(Figure {
                start: m.start(),
                end: m.end(),
                min: caps[1].parse().ok()?,
                max: match caps.get(2) {
                    Some(max) => Some(max.as_str().parse().ok()?),
                    None => None,
                },
                unit: caps[3].to_string(),
                qualifier: caps.get(4).map(|q| q.as_str().to_string()),
            })
        })
        .collect()
}

/// What a figure counts: the words before it (without 达到 and the like) and, for the last figure, after it.
fn figure_text(before: &str, after: &str, kind: IndicatorKind) -> String {
    let before = before.trim_start_matches(['、', '，', '和', '及', '与']);
    // 一是…二是…: the ordinal is not part of what is counted.
    let before = ORDINAL.replace(before, "");
    let before = before.as_ref();
    let before = before.strip_prefix("力争").unwrap_or(before);
    let before = before.replace("分别", "");
    let mut text = TRAILING_VERB.replace(&before, "").into_owned();
    text.push_str(after.trim_start_matches(['、', '，']));
    if kind == IndicatorKind::Share
        && text.contains('占')
        && !["比重", "比例", "份额", "率", "占比"]
            .iter()
            .any(|w| text.ends_with(w))
    {
        text = format!("{}的比重", text.trim_end_matches('的'));
    }
    text
}

/// How deep a position is inside 《》 “” （） and similar, counting from the start of the clause.
fn nesting(prefix: &str) -> usize {
    prefix.chars().fold(0usize, |depth, c| match c {
        '《' | '“' | '（' | '〈' | '「' | '『' | '【' => depth + 1,
        '》' | '”' | '）' | '〉' | '」' | '』' | '】' => depth.saturating_sub(1),
        _ => depth,
    })
}

/// Sentences (ended by 。；！？) of clauses (separated by ，), never cut inside 《》 “” or brackets.
pub(super) fn clauses(goals: &str) -> Vec<Vec<String>> {
    let mut sentences = Vec::new();
    let mut sentence = Vec::new();
    let mut clause = String::new();
    let mut depth = 0usize;
    for c in goals.chars() {
        match c {
            '《' | '“' | '（' | '〈' | '「' | '『' | '【' => depth += 1,
            '》' | '”' | '）' | '〉' | '」' | '』' | '】' => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
        // 。 always ends a sentence, so an unclosed quotation cannot swallow the rest of the goals.
        let ends_sentence =
            matches!(c, '。' | '\n') || (depth == 0 && matches!(c, '；' | '！' | '？'));
        if ends_sentence || (depth == 0 && c == '，') {
            sentence.push(std::mem::take(&mut clause));
            if ends_sentence {
                depth = 0;
                sentences.push(std::mem::take(&mut sentence));
            }
        } else {
            clause.push(c);
        }
    }
    sentence.push(clause);
    sentences.push(sentence);
    sentences
        .into_iter()
        .map(|s| {
            s.into_iter()
                .map(|c| c.trim_matches(['|', ' ', '：']).to_string())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The clause without a leading date (`2020年底前`), and the date it names.
pub(super) fn strip_date(clause: &str) -> (String, Option<When>) {
    let Some(caps) = DATE.captures(clause) else {
        return (clause.to_string(), None);
    };
    let rest = clause[caps[0].len()..].trim_start_matches(['，', '、']);
    let when = caps[1]
        .parse()
        .ok()
        .map(|y| (y, caps.get(2).and_then(|m| m.as_str().parse().ok())));
    (rest.to_string(), when)
}
