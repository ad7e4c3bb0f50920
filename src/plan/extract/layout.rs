//! Splitting a notice into items, one function per layout family:
//! (a) [`goals_blocks`]: tasks （一）（二） each with 预期目标和成效 and 责任单位;
//! (b, c) [`anchored`]: items closed by a responsibility annotation, labelled lines or brackets;
//! (d) [`table`]: a responsibility table flattened to text, and [`from_rows`] for spreadsheets;
//! (e) [`numbered`]: numbered items with targets in running text and no responsibility.
//! Deadlines of multi-year plans (f) are read with the targets (see `targets`).

use std::sync::LazyLock;

use regex::Regex;

use super::duty::{self, Duty, LABEL};
use super::text::{cn_number, is_han, normalise_line, re};
use super::units::split_names;

/// One task as the notice writes it.
#[derive(Debug, Clone, Default)]
pub(super) struct Item {
    /// `2.1` for 二（一）, the serial of a table row.
    pub code: String,
    /// The item's heading or first sentence.
    pub title: String,
    /// The text its targets are read from.
    pub goals: Option<String>,
    /// Whether every goal clause is a target (layout (a)'s 预期目标和成效).
    pub milestones: bool,
    /// A task of layout (a) that states no 预期目标: its lead is asked to supply them.
    pub missing_goals: bool,
    /// Who is responsible.
    pub duty: Duty,
}

static PART: LazyLock<Regex> = LazyLock::new(|| re(r"([一二三四五六七八九十]{1,3})、"));
static TASK: LazyLock<Regex> = LazyLock::new(|| re(r"（([一二三四五六七八九十]{1,3})）"));
static GOALS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"预期目标[和及与]成效：?|(?:预期成效|预期目标|主要目标|工作目标|目标任务)：")
});

/// (a) Parts 二、三、… with tasks （一）（二）… that state 预期目标和成效; parts without any are left out.
pub(super) fn goals_blocks(text: &str) -> Vec<Item> {
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
        parts.push((1, 0, 0));
    }
    let mut tasks = Vec::new();
    for (i, &(part, _, body)) in parts.iter().enumerate() {
        let end = parts.get(i + 1).map_or(text.len(), |p| p.1);
        let in_part = part_tasks(part, &text[body..end]);
        if in_part.iter().any(|t| t.milestones) {
            tasks.extend(in_part);
        }
    }
    tasks
}

fn part_tasks(part: u32, text: &str) -> Vec<Item> {
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
            goals_block(format!("{part}.{}", i + 1), &text[start..end])
        })
        .collect()
}

fn goals_block(code: String, text: &str) -> Item {
    let goals_at = GOALS.find(text);
    // Whichever way the task names its units: 责任单位：… labels or a bracket （…牵头，…配合）.
    let notes = annotations(text);
    let first_note = notes.first().map(|n| n.start);
    let title_end = [
        text.find(['。', '\n']),
        goals_at.map(|m| m.start()),
        first_note,
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(text.len());
    let goals = goals_at.map(|g| {
        let end = notes
            .iter()
            .map(|n| n.start)
            .find(|&s| s >= g.end())
            .unwrap_or(text.len());
        // `|` is web-page debris (table borders), never part of the goals.
        let goals = &text[g.end()..end];
        goals[..goals.find('|').unwrap_or(goals.len())].to_string()
    });
    let mut duty = Duty::default();
    for note in &notes {
        duty.merge(note.duty.clone());
    }
    // A task of the same notice that states no 预期目标 may still name figures in its text: read those.
    let body = goals.is_none().then(|| {
        let end = notes.first().map_or(text.len(), |n| n.start);
        text[title_end.min(end)..end].to_string()
    });
    let milestones = goals.is_some();
    Item {
        code,
        title: tidy(&text[..title_end]),
        goals: goals.or(body.filter(|b| !tidy(b).is_empty())),
        milestones,
        missing_goals: !milestones,
        duty,
    }
}

fn tidy(s: &str) -> String {
    s.trim_matches(['，', '；', '：', '|', ' ', '\n', '。'])
        .to_string()
}

/// An item marker: 一、 （一） 1. （1）, with its level (0 part … 3 sub) and number.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?:^|[\n。；！？|])([一二三四五六七八九十]{1,3})、|（([一二三四五六七八九十]{1,3})）",
        r"|(?:^|[\n。；！？|：）])(\d{1,2})[.、]|（(\d{1,2})）|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])",
    ))
});
/// A figure with a unit, roughly: enough to tell a section or item that states targets from one that does not.
static FIGURE_HINT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\d(?:[万亿]?[元人家个户项所座条吨亩次名件]|%)"));
/// A bracket that may hold a responsibility annotation.
static BRACKET: LazyLock<Regex> = LazyLock::new(|| {
    re(r"[（〔【]((?:[^（）〔〕【】]|[（〔][^（）〔〕【】]{1,10}[）〕]){2,200})[）〕】]")
});
static DUTY_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r"牵头|配合|负责|参与|协助|责任单位|责任部门"));

#[derive(Debug, Clone, Copy)]
struct Marker {
    start: usize,
    end: usize,
    level: usize,
    number: u32,
}

fn markers(text: &str) -> Vec<Marker> {
    MARKER
        .captures_iter(text)
        .filter_map(|caps| {
            let (group, m) = (0..5).find_map(|l| caps.get(l + 1).map(|m| (l, m)))?;
            // Circled numbers ① … ⑳ are the same level as （1）.
            let level = group.min(3);
            let number = match group {
                0 | 1 => cn_number(m.as_str())?,
                4 => m
                    .as_str()
                    .chars()
                    .next()
                    .map(|c| c as u32 - '①' as u32 + 1)?,
                _ => m.as_str().parse().ok()?,
            };
            let whole = caps.get(0)?;
            // 1.3亿元 is a figure, not item 1; 4.6月底前兑付 is item 4 opening with a date.
            let after = &text[whole.end()..];
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if level == 2 && digits > 0 && !after[digits..].starts_with(['年', '月']) {
                return None;
            }
            let start = m.start()
                - if group == 1 || group == 3 {
                    '（'.len_utf8()
                } else {
                    0
                };
            Some(Marker {
                start,
                end: whole.end(),
                level,
                number,
            })
        })
        .collect()
}

/// A responsibility annotation and where it stands in the text.
struct Annotation {
    start: usize,
    end: usize,
    duty: Duty,
}

fn annotations(text: &str) -> Vec<Annotation> {
    let mut found: Vec<Annotation> = BRACKET
        .captures_iter(text)
        .filter_map(|caps| {
            let m = caps.get(0)?;
            let inner = caps.get(1)?.as_str();
            if !DUTY_WORD.is_match(inner) {
                return None;
            }
            let duty = duty::bracketed(inner);
            (!duty.is_empty()).then_some(Annotation {
                start: m.start(),
                end: m.end(),
                duty,
            })
        })
        .collect();
    let inside =
        |at: usize, found: &[Annotation]| found.iter().any(|a| a.start <= at && at < a.end);
    // A sentence of its own naming who does the item (由市商务局牵头，市财政局配合。), outside any bracket.
    let mut sentences = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if !matches!(c, '。' | '；' | '\n') {
            continue;
        }
        let end = at + c.len_utf8();
        if !inside(start, &found)
            && text[start..at].chars().count() <= 200
            && let Some(duty) = duty::sentence(&text[start..at])
        {
            sentences.push(Annotation { start, end, duty });
        }
        start = end;
    }
    if let Some(duty) = duty::sentence(&text[start..]).filter(|_| !inside(start, &found)) {
        sentences.push(Annotation {
            start,
            end: text.len(),
            duty,
        });
    }
    found.extend(sentences);
    let labels: Vec<_> = LABEL
        .find_iter(text)
        .filter(|m| !inside(m.start(), &found))
        .collect();
    let marks = markers(text);
    let mut i = 0;
    let mut clusters = Vec::new();
    while i < labels.len() {
        let start = labels[i].start();
        let mut end;
        loop {
            // A line break right after the label (a hard wrap) does not end its value.
            let from = labels[i].end() + text[labels[i].end()..].len()
                - text[labels[i].end()..]
                    .trim_start_matches(['\n', ' '])
                    .len();
            let next_label = labels.get(i + 1).map(|m| m.start());
            let mut line_end = text[from..]
                .find(['。', '\n'])
                .map_or(text.len(), |p| from + p);
            // Units stacked one per line under their label: 责任单位：\n市发改委\n市财政局.
            while text[line_end..].starts_with('\n') {
                let next = line_end + 1;
                let stop = text[next..].find('\n').map_or(text.len(), |p| next + p);
                let line = &text[next..stop];
                if line.is_empty()
                    || !is_units(line)
                    || LABEL.is_match(line)
                    || MARKER.is_match(line)
                {
                    break;
                }
                line_end = stop;
            }
            let next_mark = marks
                .iter()
                .map(|m| m.start)
                .find(|&s| s > from)
                .unwrap_or(text.len());
            end = line_end
                .min(next_mark)
                .min(next_label.unwrap_or(text.len()));
            match next_label {
                Some(n)
                    if text[end..n]
                        .trim_matches(['；', '，', '。', '\n', ' '])
                        .is_empty() =>
                {
                    i += 1
                }
                _ => break,
            }
        }
        clusters.push(Annotation {
            start,
            end,
            duty: duty::labelled(&text[start..end]),
        });
        i += 1;
    }
    found.extend(clusters.into_iter().filter(|a| !a.duty.is_empty()));
    found.sort_by_key(|a| a.start);
    found
}

/// (b, c) Items closed by a responsibility annotation: the item runs from its marker (1. （一） 一、) to the
/// annotation; sibling items before one annotation share it; text between an annotation and the next marker
/// still belongs to the item before.
pub(super) fn anchored(text: &str) -> Vec<Item> {
    let notes = annotations(text);
    let marks = markers(text);
    let mut items: Vec<Item> = Vec::new();
    let mut from = 0;
    let mut path: [Option<u32>; 4] = [None; 4];
    let mut seen = 0;
    let mut last_level = None;
    for note in &notes {
        if note.start < from {
            continue;
        }
        let region: Vec<Marker> = marks
            .iter()
            .copied()
            .filter(|m| m.start >= from && m.end <= note.start)
            .collect();
        // Keep the numbering path up to date through every marker passed.
        for m in &region {
            path[m.level] = Some(m.number);
            for p in path.iter_mut().skip(m.level + 1) {
                *p = None;
            }
        }
        match region.last() {
            None => {
                let body = &text[from..note.start];
                if !tidy(body).is_empty() {
                    seen += 1;
                    items.push(item(seen.to_string(), body, note.duty.clone()));
                } else if let Some(last) = items.last_mut() {
                    last.duty.merge(note.duty.clone());
                }
            }
            Some(last) => {
                if let (Some(prev), Some(first)) = (items.last_mut(), region.first())
                    && first.start > from
                {
                    let orphan = tidy(&text[from..first.start]);
                    if !orphan.is_empty()
                        && let Some(goals) = prev.goals.as_mut()
                    {
                        goals.push('。');
                        goals.push_str(&orphan);
                    }
                }
                let siblings: Vec<&Marker> = region
                    .iter()
                    .filter(|m| m.level == last.level && region_after_parent(&region, m, last))
                    .collect();
                last_level = Some(last.level);
                for (k, m) in siblings.iter().enumerate() {
                    let end = siblings.get(k + 1).map_or(note.start, |n| n.start);
                    let mut code_path = path;
                    code_path[m.level] = Some(m.number);
                    let code = code_path
                        .iter()
                        .take(m.level + 1)
                        .flatten()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(".");
                    seen += 1;
                    items.push(item(code, &text[m.end..end], note.duty.clone()));
                }
            }
        }
        from = note.end;
    }
    // The last item's text after its annotation, up to the next heading (never the rest of the page).
    if let (Some(last), Some(next)) = (items.last_mut(), marks.iter().find(|m| m.start >= from)) {
        let orphan = tidy(&text[from..next.start]);
        if !orphan.is_empty()
            && let Some(goals) = last.goals.as_mut()
        {
            goals.push('。');
            goals.push_str(&orphan);
        }
    }
    // Items after the last annotation, in the same section as the items before it, name nobody: they are still
    // the notice's tasks, for a person to assign (the draft says so).
    if let Some(level) = last_level {
        let rest: Vec<&Marker> = marks
            .iter()
            .filter(|m| m.start >= from)
            .take_while(|m| m.level >= level)
            .filter(|m| m.level == level)
            .collect();
        for m in rest {
            let end = marks
                .iter()
                .find(|n| n.start > m.start && n.level <= level)
                .map_or(text.len(), |n| n.start);
            path[level] = Some(m.number);
            let code = path
                .iter()
                .take(level + 1)
                .flatten()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".");
            items.push(item(code, &text[m.end..end], Duty::default()));
        }
    }
    unique_codes(&mut items);
    items
}

/// Whether `m` is a sibling of `last` under the same parent (no higher-level marker between them).
fn region_after_parent(region: &[Marker], m: &Marker, last: &Marker) -> bool {
    !region
        .iter()
        .any(|x| x.level < last.level && x.start > m.start && x.start < last.start)
}

fn item(code: String, body: &str, duty: Duty) -> Item {
    let body = body.trim_matches(['\n', ' ', '：', '，']);
    let end = body
        .find(['。', '；', '：', '\n', '！'])
        .unwrap_or(body.len());
    let title: String = tidy(&body[..end]).chars().take(80).collect();
    Item {
        code,
        title,
        // 主要目标： and the like introduce targets; they are not part of one.
        goals: Some(GOALS.replace_all(body, "\n").into_owned()),
        milestones: false,
        missing_goals: false,
        duty,
    }
}

fn unique_codes(items: &mut [Item]) {
    let mut seen: Vec<String> = Vec::new();
    for it in items.iter_mut() {
        if it.code.is_empty() {
            it.code = (seen.len() + 1).to_string();
        }
        let base = it.code.clone();
        let mut n = 2;
        while seen.contains(&it.code) {
            it.code = format!("{base}-{n}");
            n += 1;
        }
        seen.push(it.code.clone());
    }
}

/// (e) Numbered items (1. 2. … or （一）（二）…) with targets in their text and no responsibility named:
/// only those stating a figure are kept, so the preamble and the safeguards are not taken for tasks.
pub(super) fn numbered(text: &str) -> Vec<Item> {
    let marks = markers(text);
    let Some(level) = [2, 1, 0]
        .into_iter()
        .find(|l| marks.iter().filter(|m| m.level == *l).count() >= 2)
    else {
        return Vec::new();
    };
    let mut path: [Option<u32>; 4] = [None; 4];
    let mut items = Vec::new();
    for (i, m) in marks.iter().enumerate() {
        path[m.level] = Some(m.number);
        for p in path.iter_mut().skip(m.level + 1) {
            *p = None;
        }
        if m.level != level {
            continue;
        }
        let end = marks
            .iter()
            .skip(i + 1)
            .find(|n| n.level <= level)
            .map_or(text.len(), |n| n.start);
        let code = path
            .iter()
            .take(level + 1)
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let body = &text[m.end..end];
        if FIGURE_HINT.is_match(body) {
            items.push(item(code, body, Duty::default()));
        }
    }
    unique_codes(&mut items);
    items
}

/// The section of overall targets (一、主要目标 / 总体目标 / 发展目标), as an item without units, when it
/// states a figure.
pub(super) fn overall(text: &str) -> Option<Item> {
    let marks = markers(text);
    let (k, m) = marks.iter().enumerate().find(|(_, m)| {
        m.level == 0
            && text[m.end..]
                .chars()
                .take(8)
                .collect::<String>()
                .contains("目标")
    })?;
    let end = marks
        .iter()
        .skip(k + 1)
        .find(|n| n.level == 0)
        .map_or(text.len(), |n| n.start);
    let body = &text[m.end..end];
    if !FIGURE_HINT.is_match(body) {
        return None;
    }
    let mut it = item("0".to_string(), body, Duty::default());
    it.title = tidy(&body[..body.find(['\n', '。']).unwrap_or(body.len())])
        .chars()
        .take(12)
        .collect();
    Some(it)
}

/// What a table column holds, found by its header's meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Column {
    Serial,
    Task,
    Goal,
    Lead,
    Duty,
    Time,
    Other,
}

/// The meaning of a header cell.
pub(super) fn column(header: &str) -> Column {
    let h = header.replace(' ', "");
    if h.is_empty() {
        Column::Other
    } else if h == "序号" || h == "编号" || h == "序" {
        Column::Serial
    } else if h.contains("牵头") {
        Column::Lead
    } else if [
        "责任单位",
        "责任部门",
        "配合",
        "协办",
        "参与",
        "责任主体",
        "实施单位",
        "承办",
    ]
    .iter()
    .any(|w| h.contains(w))
    {
        Column::Duty
    } else if ["时限", "时间", "节点", "进度安排"]
        .iter()
        .any(|w| h.contains(w))
    {
        Column::Time
    } else if ["目标", "成效", "指标"].iter().any(|w| h.contains(w)) {
        Column::Goal
    } else if ["任务", "内容", "事项", "重点工作", "举措", "措施", "工作"]
        .iter()
        .any(|w| h.contains(w))
    {
        Column::Task
    } else {
        Column::Other
    }
}

/// The header row of a table: at least a task or goal column and a lead or duty column.
fn header(cells: &[String]) -> Option<Vec<Column>> {
    let cols: Vec<Column> = cells.iter().map(|c| column(c)).collect();
    let has = |c: Column| cols.contains(&c);
    ((has(Column::Task) || has(Column::Goal)) && (has(Column::Lead) || has(Column::Duty)))
        .then_some(cols)
}

/// Which of the first ten rows is the table's header.
pub(super) fn header_at(rows: &[Vec<String>]) -> Option<usize> {
    rows.iter().take(10).position(|r| header(r).is_some())
}

/// (d) and `plan import`: rows of cells, the header among the first ten, into items. A row whose serial and
/// task are empty continues the row above (merged cells, or units stacked one per row).
pub(super) fn from_rows(rows: &[Vec<String>]) -> Option<Vec<Item>> {
    let at = header_at(rows)?;
    let cols = header(&rows[at])?;
    let get = |row: &[String], c: Column| -> String {
        cols.iter()
            .zip(row)
            .filter(|(k, _)| **k == c)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            // 指标名称 | 目标值 read as one: 规模以上工业增加值增长 + 7% → 规模以上工业增加值增长7%.
            .join(match c {
                Column::Goal => "",
                Column::Lead | Column::Duty => "、",
                _ => "；",
            })
    };
    let mut merged: Vec<Vec<(Column, String)>> = Vec::new();
    for row in &rows[at + 1..] {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let starts = !get(row, Column::Serial).is_empty()
            || !get(row, Column::Task).is_empty()
            || merged.is_empty();
        let cells: Vec<(Column, String)> = [
            Column::Serial,
            Column::Task,
            Column::Goal,
            Column::Lead,
            Column::Duty,
            Column::Time,
        ]
        .into_iter()
        .map(|c| (c, get(row, c)))
        .collect();
        if starts {
            merged.push(cells);
        } else if let Some(last) = merged.last_mut() {
            for ((_, old), (c, new)) in last.iter_mut().zip(cells) {
                if new.is_empty() {
                    continue;
                }
                let sep = if matches!(c, Column::Lead | Column::Duty) {
                    "、"
                } else {
                    "；"
                };
                if !old.is_empty() {
                    old.push_str(sep);
                }
                old.push_str(&new);
            }
        }
    }
    let items: Vec<Item> = merged
        .into_iter()
        .enumerate()
        .map(|(i, cells)| {
            let cell = |c: Column| {
                cells
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|(_, v)| normalise_line(v))
                    .unwrap_or_default()
            };
            let serial = cell(Column::Serial);
            let code =
                if !serial.is_empty() && serial.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    serial
                } else {
                    (i + 1).to_string()
                };
            let task = cell(Column::Task);
            let goal = cell(Column::Goal);
            let title_src = if task.is_empty() { &goal } else { &task };
            let end = title_src
                .find(['。', '；', '：'])
                .unwrap_or(title_src.len());
            // A cell is one line of its own: ranges (1到2家) and thousands separators read as in running text.
            let goals = super::text::normalise(if goal.is_empty() { &task } else { &goal });
            let lead = split_names(&cell(Column::Lead));
            let (leads, others) = if lead.is_empty() {
                // 市工信局、市市场监管局（牵头）: the marked name leads, else the first.
                let d = duty::labelled(&format!("责任单位：{}", cell(Column::Duty)));
                (d.leads, d.others)
            } else {
                (lead, split_names(&cell(Column::Duty)))
            };
            let time = cell(Column::Time);
            Item {
                code,
                title: tidy(&title_src[..end]).chars().take(80).collect(),
                goals: Some(goals),
                milestones: false,
                missing_goals: false,
                duty: Duty {
                    leads,
                    others,
                    deadline: (!time.is_empty()).then_some(time),
                },
            }
        })
        .collect();
    Some(items)
}

/// (d) A responsibility table as a web page flattens it: cells separated by `|` or tabs, or one cell per line
/// under a header of one cell per line.
pub(super) fn table(raw: &str) -> Option<Vec<Item>> {
    let lines: Vec<&str> = raw.lines().collect();
    delimited(&lines).or_else(|| one_per_line(&lines))
}

fn cells_of(line: &str) -> Option<Vec<String>> {
    let sep = if line.contains('\t') { '\t' } else { '|' };
    if !line.contains(sep) {
        return None;
    }
    let mut cells: Vec<String> = line.split(sep).map(normalise_line).collect();
    if line.trim_start().starts_with(sep) && cells.first().is_some_and(String::is_empty) {
        cells.remove(0);
    }
    if line.trim_end().ends_with(sep) && cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    Some(cells)
}

fn delimited(lines: &[&str]) -> Option<Vec<Item>> {
    let at = lines
        .iter()
        .position(|l| cells_of(l).is_some_and(|c| c.len() >= 3 && header(&c).is_some()))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut blank = false;
    for line in &lines[at..] {
        match cells_of(line) {
            Some(cells) => {
                // A separator row of a Markdown-like table (|---|---|).
                if cells.iter().all(|c| c.chars().all(|ch| "-:—".contains(ch))) {
                    continue;
                }
                rows.push(cells);
                blank = false;
            }
            None if line.trim().is_empty() => blank = true,
            None if blank => break,
            None => {
                // A cell's text wrapped onto a line of its own: it continues the last filled cell.
                if let Some(cell) = rows
                    .last_mut()
                    .and_then(|r| r.iter_mut().rev().find(|c| !c.is_empty()))
                {
                    cell.push_str(&normalise_line(line));
                }
            }
        }
    }
    from_rows(&rows)
}

fn one_per_line(lines: &[&str]) -> Option<Vec<Item>> {
    // Blank lines stay: the table ends at the first blank line after its last row.
    let lines: Vec<String> = lines.iter().map(|l| normalise_line(l)).collect();
    // The header: consecutive lines that are each a column name, a serial first.
    let (start, cols) = (0..lines.len()).find_map(|i| {
        let mut cols = Vec::new();
        for l in lines.iter().skip(i).take(8) {
            let c = column(l);
            if c == Column::Other || l.chars().count() > 12 {
                break;
            }
            cols.push(c);
        }
        (cols.len() >= 3 && header(&lines[i..i + cols.len()]).is_some()).then_some((i, cols))
    })?;
    let body = &lines[start + cols.len()..];
    let has_serial = cols.first() == Some(&Column::Serial);
    let fields: Vec<Column> = cols
        .iter()
        .copied()
        .filter(|c| *c != Column::Serial)
        .collect();
    // Rows start at the serials 1, 2, 3, … (or, without a serial column, every line of prose).
    let mut starts = Vec::new();
    if has_serial {
        let mut next = 1;
        for (i, l) in body.iter().enumerate() {
            // 1, 1. or 1、 alone on its line.
            if l.trim_end_matches(['.', '、']) == next.to_string() {
                starts.push(i);
                next += 1;
            }
        }
    }
    if starts.is_empty() {
        return None;
    }
    let mut rows = vec![cols.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>()];
    rows[0] = cols
        .iter()
        .map(|c| match c {
            Column::Serial => "序号",
            Column::Task => "任务",
            Column::Goal => "目标",
            Column::Lead => "牵头单位",
            Column::Duty => "责任单位",
            Column::Time => "完成时限",
            Column::Other => "",
        })
        .map(str::to_string)
        .collect();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(body.len());
        let mut cells: Vec<&String> = body[s + 1..end].iter().collect();
        // The last row runs to the end of the page: stop at the first blank line.
        if k + 1 == starts.len()
            && let Some(p) = cells.iter().position(|l| l.is_empty())
        {
            cells.truncate(p);
        }
        cells.retain(|l| !l.is_empty());
        let mut row = vec![String::new(); cols.len()];
        row[0] = body[s].clone();
        let slot = |c: Column| cols.iter().position(|x| *x == c);
        let mut i = 0;
        let mut j = cells.len();
        if let Some(t) = slot(Column::Time)
            && j > i
            && is_time(cells[j - 1])
        {
            row[t] = cells[j - 1].clone();
            j -= 1;
        }
        for f in &fields {
            if i >= j {
                break;
            }
            match f {
                Column::Task | Column::Goal | Column::Other
                    if !is_units(cells[i]) || *f == Column::Task =>
                {
                    if let Some(p) = cols.iter().position(|x| x == f) {
                        row[p] = cells[i].clone();
                    }
                    i += 1;
                }
                _ => {}
            }
        }
        // The rest are units: one lead, then the responsible units.
        let units: Vec<String> = cells[i..j].iter().map(|s| s.to_string()).collect();
        match (slot(Column::Lead), slot(Column::Duty)) {
            (Some(l), Some(d)) => {
                if let Some((first, rest)) = units.split_first() {
                    row[l] = first.clone();
                    row[d] = rest.join("、");
                }
            }
            (Some(p), None) | (None, Some(p)) => row[p] = units.join("、"),
            (None, None) => {}
        }
        rows.push(row);
    }
    from_rows(&rows)
}

fn is_time(line: &str) -> bool {
    line.chars().count() <= 24
        && ["年", "月", "长期", "持续", "季度", "前", "底"]
            .iter()
            .any(|w| line.contains(w))
        && !line.ends_with(['局', '委', '办', '府'])
}

fn is_units(line: &str) -> bool {
    let names = split_names(line);
    !names.is_empty()
        && line.chars().count() <= 60
        && !line.contains('。')
        && names.iter().all(|n| {
            [
                "局",
                "委",
                "办",
                "厅",
                "室",
                "中心",
                "政府",
                "管委会",
                "公司",
                "院",
                "会",
                "部",
                "组",
                "行",
                "区",
                "县",
                "市",
            ]
            .iter()
            .any(|s| n.ends_with(s))
                || n.starts_with('各')
        })
}

#[cfg(test)]
mod tests {
    use super::super::text::normalise;
    use super::*;

    #[test]
    fn units_stacked_under_their_label() {
        let text = normalise(
            "一、重点任务\n1.新增规模以上工业企业30家。\n牵头单位：\n市工信局\n配合单位：\n市统计局\n市财政局\n2.新建5G基站500个。\n牵头单位：市通信管理办",
        );
        let items = anchored(&text);
        let names: Vec<_> = items.iter().map(|i| i.duty.names()).collect();
        assert_eq!(
            names,
            [
                vec!["市工信局", "市统计局", "市财政局"],
                vec!["市通信管理办"]
            ]
        );
    }

    #[test]
    fn items_close_at_their_annotation() {
        let text = normalise(
            "二、重点任务\n（一）推进产业\n1.培育企业。到2025年，新增企业10家。（牵头单位：市工信局；配合单位：市财政局）\n2.建设园区。建成园区2个。（市发改委牵头，市自然资源局配合）\n三、保障措施",
        );
        let items = anchored(&text);
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.code.as_str(), i.title.as_str(), i.duty.leads.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("2.1.1", "培育企业", vec!["市工信局".to_string()]),
                ("2.1.2", "建设园区", vec!["市发改委".to_string()]),
            ]
        );
    }
}
