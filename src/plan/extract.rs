//! Drafting a catalogue from a notice's plain text.
//!
//! The notice is read the way a person skims it: parts 二、三、…, tasks （一）（二）… inside each, and in each
//! task its title, its 预期目标和成效 (goals) and its 责任单位 (responsible units). Only parts with at least one
//! task that states goals are kept (一、总体要求 and 四、保障措施 state none). The goals are cut into clauses and
//! each clause becomes one indicator per figure, a growth target, or a milestone.
//!
//! Whatever is uncertain is marked for a person: an indicator gets `review = "…"`, and anything about units or
//! the plan itself becomes a `# REVIEW:` line in the TOML header. A task that states no goals keeps its units
//! and gets a single milestone (its title) marked for review, so its lead still reports on it.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::model::{
    Catalogue, Comparator, Indicator, IndicatorKind, PlanInfo, Target, Task, Unit, UnitKind,
};
use crate::normalise::fold_text;

/// Drafts a catalogue from the notice's text.
pub fn extract(text: &str) -> Catalogue {
    draft(text).catalogue
}

/// The draft as TOML, with review marks for what could not be classified.
pub fn extract_toml(text: &str) -> String {
    let draft = draft(text);
    let mut out = String::from(
        "# DRAFT catalogue written by `huizong plan extract`: a person must review it before use.\n\
         # Entries marked `review = \"…\"` and the REVIEW lines below could not be read with confidence;\n\
         # search for \"review\", fix each one and delete its mark, then run `huizong plan check`.\n",
    );
    for note in &draft.notes {
        out.push_str(&format!("# REVIEW: {note}\n"));
    }
    out.push('\n');
    out.push_str(&draft.catalogue.to_toml());
    out
}

/// A catalogue and the remarks that belong to no indicator.
struct Draft {
    catalogue: Catalogue,
    notes: Vec<String>,
}

/// The units of the Dingxi notice, with the codes `templates/plan.toml` uses.
#[rustfmt::skip]
const KNOWN_UNITS: &[(&str, &str, UnitKind, &[&str])] = &[
    ("kfq", "定西经济开发区管委会", UnitKind::Zone, &["定西经济开发区管理委员会", "经开区管委会", "定西经开区", "开发区管委会"]),
    ("kjj", "市科技局", UnitKind::Bureau, &["定西市科学技术局", "定西市科技局", "科技局"]),
    ("fgw", "市发展改革委", UnitKind::Bureau, &["定西市发展和改革委员会", "市发改委", "定西市发改委", "发改委"]),
    ("gxj", "市工信局", UnitKind::Bureau, &["定西市工业和信息化局", "定西市工信局", "工信局"]),
    ("jyj", "市教育局", UnitKind::Bureau, &["定西市教育局", "教育局"]),
    ("czj", "市财政局", UnitKind::Bureau, &["定西市财政局", "财政局"]),
    ("rsj", "市人社局", UnitKind::Bureau, &["定西市人力资源和社会保障局", "定西市人社局", "人社局"]),
    ("zrzyj", "市自然资源局", UnitKind::Bureau, &["定西市自然资源局", "自然资源局"]),
    ("scjgj", "市市场监管局", UnitKind::Bureau, &["定西市市场监督管理局", "定西市市场监管局", "市场监管局"]),
    ("jrb", "市政府金融办", UnitKind::Bureau, &["定西市人民政府金融工作办公室", "定西市政府金融办", "市金融办", "金融办"]),
    ("swj", "定西市税务局", UnitKind::Bureau, &["国家税务总局定西市税务局", "市税务局", "税务局"]),
    ("zgj", "市政管局", UnitKind::Bureau, &["定西市政务服务管理局", "定西市政管局", "政管局"]),
    ("gzw", "市政府国资委", UnitKind::Bureau, &["定西市人民政府国有资产监督管理委员会", "定西市国资委", "市国资委", "国资委"]),
    ("wjw", "市卫生健康委", UnitKind::Bureau, &["定西市卫生健康委员会", "定西市卫健委", "市卫健委", "卫健委"]),
    ("stkcc", "定西生态科技创新城建设领导小组", UnitKind::Group, &["定西生态科技创新城建设领导小组各成员单位", "定西生态科技创新城建设领导小组办公室", "生态科技创新城领导小组"]),
    ("zyyj", "市中医药产业局", UnitKind::Bureau, &["定西市中医药产业发展局", "定西市中医药产业局", "中医药产业局"]),
    ("nyncj", "市农业农村局", UnitKind::Bureau, &["定西市农业农村局", "农业农村局"]),
    ("anding", "安定区", UnitKind::County, &["安定区人民政府", "定西市安定区", "安定"]),
    ("tongwei", "通渭县", UnitKind::County, &["通渭县人民政府", "通渭"]),
    ("longxi", "陇西县", UnitKind::County, &["陇西县人民政府", "陇西"]),
    ("weiyuan", "渭源县", UnitKind::County, &["渭源县人民政府", "渭源"]),
    ("lintao", "临洮县", UnitKind::County, &["临洮县人民政府", "临洮"]),
    ("zhangxian", "漳县", UnitKind::County, &["漳县人民政府"]),
    ("minxian", "岷县", UnitKind::County, &["岷县人民政府"]),
];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern")
}

static THOUSANDS: LazyLock<Regex> = LazyLock::new(|| re(r"(\d)，(\d{3})(\D|$)"));
static DASH: LazyLock<Regex> = LazyLock::new(|| re(r"(\d)[—–−~〜-]{1,2}(\d)"));
static PART: LazyLock<Regex> = LazyLock::new(|| re(r"([一二三四五六七八九十]{1,3})、"));
static TASK: LazyLock<Regex> = LazyLock::new(|| re(r"（([一二三四五六七八九十]{1,3})）"));
static GOALS: LazyLock<Regex> =
    LazyLock::new(|| re(r"预期目标[和及与]成效：?|(?:预期成效|预期目标)："));
static DUTY: LazyLock<Regex> = LazyLock::new(|| re(r"责任单位(：)?"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"((?:19|20)\d\d)年"));
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:到|至|截至|截止|在)?((?:19|20)\d\d)年(?:(\d{1,2})月)?(?:底前|底|末|内|前|度|份)*")
});
static MONTH: LazyLock<Regex> = LazyLock::new(|| re(r"(\d{1,2})月(?:底|末|份)?前?"));
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?",
        r"(件/万人|个百分点|万人次|万人|人次|亿元|万元|万亩|万吨|平方米|公里|千米|元|%|家|件|项|个|名|人|所|座|条|套|台|处|户|次|篇|部|批|亩|吨|场|期)",
        r"(?:（[^）]{1,4}）)?(以上|左右|以内|以下)?",
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
        r"(?:达到了|达到|达|为|稳定在|保持在|控制在|突破|超过|不低于|不少于|至少|增至|增加到|提高到|提升到)$",
    )
});
static FLOOR_VERB: LazyLock<Regex> = LazyLock::new(|| re(r"(?:突破|超过|不低于|不少于|至少)$"));
static TITLE_ISSUED: LazyLock<Regex> =
    LazyLock::new(|| re(r"《([^《》]{2,60})》(?:已经|已|，?现)"));
static TITLE_ANY: LazyLock<Regex> =
    LazyLock::new(|| re(r"《([^《》]{2,60}?(?:方案|规划|计划|意见|办法|纲要))》"));
static ABOUT: LazyLock<Regex> = LazyLock::new(|| re(r"关于(?:印发)?([^，。|]{2,60}?)的通知"));
static OFFICE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[。|])([^。|，：《》]{2,20}?人民政府办公[室厅])"));
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| re(r"\([^)]*\)"));
static COUNTY_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^\p{Han}{1,4}[县区](?:人民政府)?$"));

/// Brings the text to one form: half-width digits and letters, Chinese punctuation, `-` in number ranges, no
/// thousands separators, and no whitespace except a space between two ASCII words on one line.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // None: no gap; Some(true): a gap of spaces only; Some(false): a gap with a line break, i.e. a hard wrap.
    let mut gap: Option<bool> = None;
    for c in text.chars() {
        let c = canonical_char(c);
        if c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}') {
            let spaces = !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
            gap = Some(gap.unwrap_or(true) && spaces);
            continue;
        }
        if gap == Some(true)
            && let Some(prev) = out.chars().next_back()
            && prev.is_ascii_alphanumeric()
            && c.is_ascii_alphanumeric()
            && !(prev.is_ascii_digit() && c.is_ascii_digit())
        {
            out.push(' ');
        }
        gap = None;
        out.push(c);
    }
    let out = DASH.replace_all(&out, "${1}-${2}");
    // Twice, because a match consumes the digit group the next separator would need.
    let out = THOUSANDS.replace_all(&out, "${1}${2}${3}");
    THOUSANDS.replace_all(&out, "${1}${2}${3}").into_owned()
}

fn canonical_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    match c {
        ',' => '，',
        ';' => '；',
        ':' => '：',
        '(' => '（',
        ')' => '）',
        '!' => '！',
        '?' => '？',
        _ => c,
    }
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// The value of a Chinese numeral up to 九十九 (`十一` → 11).
fn cn_number(s: &str) -> Option<u32> {
    const DIGITS: [char; 9] = ['一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let d = |c: char| DIGITS.iter().position(|&x| x == c).map(|i| i as u32 + 1);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [a] => d(*a),
        ['十', b] => Some(10 + d(*b)?),
        [a, '十'] => Some(d(*a)? * 10),
        [a, '十', b] => Some(d(*a)? * 10 + d(*b)?),
        _ => None,
    }
}

/// One task as the notice writes it.
struct RawTask {
    code: String,
    title: String,
    goals: Option<String>,
    units: Vec<String>,
}

/// Splits the text into parts and tasks; keeps the parts that have a task with goals.
fn raw_tasks(text: &str, notes: &mut Vec<String>) -> Vec<RawTask> {
    let mut parts = Vec::new();
    let mut last = 0;
    for caps in PART.captures_iter(text) {
        let (Some(m), Some(num)) = (caps.get(0), cn_number(&caps[1])) else {
            continue;
        };
        let after_sentence = text[..m.start()]
            .chars()
            .next_back()
            .is_none_or(|c| !is_han(c));
        // A numeral after a character is a heading only when its first task follows at once.
        let task_follows = text[m.end()..]
            .chars()
            .take(60)
            .collect::<String>()
            .contains("（一）");
        if num > last && (after_sentence || task_follows) {
            parts.push((num, m.start(), m.end()));
            last = num;
        }
    }
    if parts.is_empty() {
        notes.push(
            "no part heading (二、三、…) found: task codes are numbered as part 1".to_string(),
        );
        parts.push((1, 0, 0));
    }
    let mut tasks = Vec::new();
    for (i, &(part, _, body)) in parts.iter().enumerate() {
        let end = parts.get(i + 1).map_or(text.len(), |p| p.1);
        let in_part = part_tasks(part, &text[body..end]);
        if in_part.iter().any(|t| t.goals.is_some()) {
            tasks.extend(in_part);
        }
    }
    tasks
}

fn part_tasks(part: u32, text: &str) -> Vec<RawTask> {
    let mut marks = Vec::new();
    for caps in TASK.captures_iter(text) {
        if let (Some(m), Some(num)) = (caps.get(0), cn_number(&caps[1]))
            && num == marks.len() as u32 + 1
        {
            marks.push((m.start(), m.end()));
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(i, &(_, start))| {
            let end = marks.get(i + 1).map_or(text.len(), |m| m.0);
            raw_task(format!("{part}.{}", i + 1), &text[start..end])
        })
        .collect()
}

fn raw_task(code: String, text: &str) -> RawTask {
    let goals_at = GOALS.find(text);
    // 各责任单位要… in running text is not the label.
    let duty_at = DUTY.captures_iter(text).find_map(|caps| {
        let m = caps.get(0)?;
        let label = caps.get(1).is_some()
            || text[..m.start()]
                .chars()
                .next_back()
                .is_none_or(|c| !is_han(c));
        label.then_some(m)
    });
    let title_end = [
        text.find('。'),
        goals_at.map(|m| m.start()),
        duty_at.map(|m| m.start()),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(text.len());
    let goals = goals_at.map(|g| {
        let end = duty_at
            .filter(|d| d.start() >= g.end())
            .map_or(text.len(), |d| d.start());
        // `|` is web-page debris (table borders), never part of the goals.
        let goals = &text[g.end()..end];
        goals[..goals.find('|').unwrap_or(goals.len())].to_string()
    });
    let units = duty_at
        .map(|d| {
            let rest = &text[d.end()..];
            let stop = rest.find(['。', '|']).unwrap_or(rest.len());
            rest[..stop]
                .split(['、', '，', '；'])
                .map(|s| s.trim_matches(['|', ' ']).to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    RawTask {
        code,
        title: text[..title_end]
            .trim_matches(['，', '；', '：', '|', ' '])
            .to_string(),
        goals,
        units,
    }
}

/// Turns the names of 责任单位 into unit codes, collecting the units met on the way.
#[derive(Default)]
struct UnitBook {
    units: Vec<Unit>,
    unknown: usize,
}

impl UnitBook {
    fn codes(&mut self, name: &str, notes: &mut Vec<String>) -> Vec<String> {
        let key = BRACKETED
            .replace_all(&fold_text(name), "")
            .trim_end_matches('等')
            .to_string();
        if key.is_empty() {
            return Vec::new();
        }
        if key.starts_with("各县") {
            return KNOWN_UNITS
                .iter()
                .filter(|u| u.2 == UnitKind::County)
                .map(|u| self.known(u))
                .collect();
        }
        let found = KNOWN_UNITS
            .iter()
            .find(|u| fold_text(u.1) == key || u.3.iter().any(|a| fold_text(a) == key));
        if let Some(known) = found {
            return vec![self.known(known)];
        }
        if let Some(u) = self.units.iter().find(|u| fold_text(&u.name) == key) {
            return vec![u.code.clone()];
        }
        self.unknown += 1;
        let code = format!("unit{:02}", self.unknown);
        let kind = guess_kind(&key);
        notes.push(format!(
            "unit {code} 「{name}」 is not a known unit: give it a short ASCII code, check its kind ({}) and email",
            format!("{kind:?}").to_lowercase()
        ));
        self.units.push(Unit {
            code: code.clone(),
            name: name.to_string(),
            kind,
            email: format!("{code}@dingxi.example.org"),
            aliases: Vec::new(),
        });
        vec![code]
    }

    fn known(&mut self, (code, name, kind, aliases): &(&str, &str, UnitKind, &[&str])) -> String {
        if self.units.iter().all(|u| u.code != *code) {
            self.units.push(Unit {
                code: code.to_string(),
                name: name.to_string(),
                kind: *kind,
                email: format!("{code}@dingxi.example.org"),
                aliases: aliases.iter().map(ToString::to_string).collect(),
            });
        }
        code.to_string()
    }

    /// Bureaus, zones and groups as first met, then the counties in the notice's usual order.
    fn into_units(self) -> Vec<Unit> {
        let rank = |u: &Unit| {
            KNOWN_UNITS
                .iter()
                .position(|k| k.0 == u.code)
                .unwrap_or(KNOWN_UNITS.len())
        };
        let (mut counties, mut others): (Vec<Unit>, Vec<Unit>) = self
            .units
            .into_iter()
            .partition(|u| u.kind == UnitKind::County);
        counties.sort_by_key(rank);
        others.extend(counties);
        others
    }
}

fn guess_kind(name: &str) -> UnitKind {
    if name.contains("管委会") || name.contains("管理委员会") {
        UnitKind::Zone
    } else if name.contains("领导小组") {
        UnitKind::Group
    } else if COUNTY_NAME.is_match(name) && !name.contains("开发区") {
        UnitKind::County
    } else {
        UnitKind::Bureau
    }
}

/// The plan year: the year most goals are dated with, else the one the whole notice names most.
fn plan_year(goals: &[&str], text: &str, notes: &mut Vec<String>) -> i32 {
    let mode = |texts: &[&str]| {
        let mut counts: HashMap<i32, usize> = HashMap::new();
        for t in texts {
            for caps in YEAR.captures_iter(t) {
                if let Ok(y) = caps[1].parse() {
                    *counts.entry(y).or_default() += 1;
                }
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(y, n)| (n, -y))
            .map(|(y, _)| y)
    };
    mode(goals).or_else(|| mode(&[text])).unwrap_or_else(|| {
        notes.push(
            "no year found in the notice: year 2020 assumed; set [plan] year and the deadlines"
                .to_string(),
        );
        2020
    })
}

fn plan_info(text: &str, year: i32, notes: &mut Vec<String>) -> PlanInfo {
    let title = TITLE_ISSUED
        .captures(text)
        .or_else(|| ABOUT.captures(text))
        .or_else(|| TITLE_ANY.captures(text))
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| {
            notes.push("no plan title found: fill in [plan] title".to_string());
            "（待填写方案名称）".to_string()
        });
    let office = OFFICE
        .captures(text)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| {
            notes.push("no issuing office found: fill in [plan] office".to_string());
            String::new()
        });
    PlanInfo {
        id: format!("plan-{year}"),
        title,
        year,
        office,
    }
}

fn draft(text: &str) -> Draft {
    let text = normalise(text);
    let mut notes = Vec::new();
    let raw = raw_tasks(&text, &mut notes);
    let goals: Vec<&str> = raw.iter().filter_map(|t| t.goals.as_deref()).collect();
    let year = plan_year(&goals, &text, &mut notes);
    let plan = plan_info(&text, year, &mut notes);
    let mut book = UnitBook::default();
    let mut tasks = Vec::new();
    for t in raw {
        let mut units: Vec<String> = Vec::new();
        for name in &t.units {
            for code in book.codes(name, &mut notes) {
                if !units.contains(&code) {
                    units.push(code);
                }
            }
        }
        if units.is_empty() {
            notes.push(format!(
                "task {}: no 责任单位 found; list its units, the lead first",
                t.code
            ));
        }
        let counties: Vec<String> = units
            .iter()
            .filter(|c| {
                book.units
                    .iter()
                    .any(|u| &u.code == *c && u.kind == UnitKind::County)
            })
            .cloned()
            .collect();
        let indicators = match &t.goals {
            Some(goals) => Goals::new(&t.code, year, counties).read(goals),
            None => vec![Indicator {
                review: Some(
                    "通知未写本任务的预期目标和成效：请补充指标，或保留为一项工作任务".to_string(),
                ),
                ..milestone(format!("T{}-01", t.code), t.title.clone(), year)
            }],
        };
        tasks.push(Task {
            code: t.code,
            title: t.title,
            units,
            goals: t.goals.unwrap_or_default(),
            indicators,
        });
    }
    if tasks.is_empty() {
        notes
            .push("no task with 预期目标和成效 found: is this the notice's full text?".to_string());
    }
    Draft {
        catalogue: Catalogue::new(plan, book.into_units(), tasks),
        notes,
    }
}

fn milestone(code: String, text: String, year: i32) -> Indicator {
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
    out: Vec<Indicator>,
}

impl Goals {
    fn new(task: &str, year: i32, counties: Vec<String>) -> Goals {
        Goals {
            task: task.to_string(),
            year,
            counties,
            out: Vec::new(),
        }
    }

    fn read(mut self, goals: &str) -> Vec<Indicator> {
        // The date the goals last named (`2020年底前`, `2021年6月`) holds for the clauses after it.
        let mut when = (self.year, None);
        for sentence in clauses(goals) {
            // A milestone that later clauses of the same sentence may extend, e.g. 体制机制健全理顺，…基本建成.
            let mut open: Option<usize> = None;
            for clause in sentence {
                let (clause, said) = strip_date(&clause);
                if let Some(date) = said {
                    when = date;
                }
                if clause.is_empty() {
                    continue;
                }
                let figures = figures(&clause);
                if !figures.is_empty() {
                    self.figures(&clause, &figures, when);
                    open = None;
                } else if GROWTH.is_match(&clause) {
                    let ind = self.growth(&clause, when);
                    self.push(ind);
                    open = None;
                } else if let (Some(i), false) = (open, ACTION.is_match(&clause)) {
                    let ind = &mut self.out[i];
                    ind.text = format!("{}，{}", ind.text, clause);
                } else {
                    let ind = self.milestone(&clause, when);
                    self.push(ind);
                    open = Some(self.out.len() - 1);
                }
            }
        }
        self.out
    }

    fn push(&mut self, mut ind: Indicator) {
        ind.code = format!("T{}-{:02}", self.task, self.out.len() + 1);
        self.out.push(ind);
    }

    /// The deadline a clause implies, and a review note when it is not in the plan year.
    fn deadline(&self, clause: &str, (year, month): When) -> (String, Option<String>) {
        let review = (year != self.year).then(|| {
            format!(
                "目标年份为{year}年，与方案年度{}年不同：核对截止日期",
                self.year
            )
        });
        let month = MONTH
            .captures(clause)
            .and_then(|c| c[1].parse::<u32>().ok())
            .or(month)
            .filter(|m| (1..=12).contains(m))
            .unwrap_or(12);
        let y = self.year;
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
        let mut prev_end = 0;
        for (i, f) in figures.iter().enumerate() {
            let before = &clause[prev_end..f.start];
            let after = if i + 1 == figures.len() {
                &clause[f.end..]
            } else {
                ""
            };
            prev_end = f.end;
            let (deadline, mut review) = self.deadline(clause, when);
            let (unit, kind) = match f.unit.as_str() {
                "%" | "个百分点" => (f.unit.clone(), IndicatorKind::Share),
                "亿元" | "万元" | "元" => (f.unit.clone(), IndicatorKind::Amount),
                u => match PER_PEOPLE.captures(before) {
                    Some(per) if before.contains("拥有") || per[0].starts_with('每') => {
                        (format!("{u}/{}人", &per[1]), IndicatorKind::Ratio)
                    }
                    _ => (u.to_string(), IndicatorKind::Count),
                },
            };
            let comparator = match (f.max, f.qualifier.as_deref()) {
                (Some(_), _) => Comparator::Range,
                (None, Some("以上")) => Comparator::AtLeast,
                (None, Some("左右")) => Comparator::About,
                (None, Some(_)) => {
                    review = review.or(Some(
                        "上限目标（以内/以下）：比较方式需人工确定".to_string(),
                    ));
                    Comparator::Reach
                }
                _ if floor || FLOOR_VERB.is_match(before) => Comparator::AtLeast,
                _ => Comparator::Reach,
            };
            let text = figure_text(before, after, kind);
            let review = review.or_else(|| {
                if ["万亩", "亩", "万吨", "吨", "平方米", "公里", "千米"].contains(&unit.as_str())
                {
                    Some(format!(
                        "计量单位为{unit}：核对指标类型，以及能否按县区相加"
                    ))
                } else if f.unit == "个百分点" || clause.contains("增长") {
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
            if prev.is_some_and(|c| c.is_ascii_alphanumeric() || "+.-/第".contains(c))
                || nesting(&clause[..m.start()]) > 0
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
    let before = before.strip_prefix("力争").unwrap_or(before);
    let mut text = TRAILING_VERB.replace(before, "").into_owned();
    text.push_str(after.trim_start_matches(['、', '，']));
    if kind == IndicatorKind::Share
        && text.contains('占')
        && !["比重", "比例", "份额", "率"]
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
fn clauses(goals: &str) -> Vec<Vec<String>> {
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
        let ends_sentence = c == '。' || (depth == 0 && matches!(c, '；' | '！' | '？'));
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

/// A year and maybe a month that a goal is due in.
type When = (i32, Option<u32>);

/// The clause without a leading date (`2020年底前`), and the date it names.
fn strip_date(clause: &str) -> (String, Option<When>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(t.indicators[0].counties.len(), 7);
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
        assert_eq!(task(&c, "2.1").units.len(), 8);
        assert_eq!(task(&c, "2.1").units[0], "kjj");
        assert_eq!(task(&c, "2.2").units, ["gxj", "longxi", "unit01"]);
        let unknown = c.unit("unit01").expect("unknown unit");
        assert_eq!(
            (unknown.name.as_str(), unknown.kind),
            ("市未知局", UnitKind::Bureau)
        );
        assert_eq!(c.unit("longxi").map(|u| u.kind), Some(UnitKind::County));
        let toml = extract_toml(NOTICE);
        assert!(toml.contains("# REVIEW: unit unit01 「市未知局」"));
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
    fn normalises_numbers() {
        assert_eq!(normalise("１，０７８件 ２～３家\n0 .87"), "1078件2-3家0.87");
        assert_eq!(normalise("DNA test G\nDP"), "DNA test GDP");
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
        assert!(
            t.indicators[1]
                .review
                .as_deref()
                .is_some_and(|r| r.contains("2022"))
        );
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
