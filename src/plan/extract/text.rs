//! Bringing a notice's text to one form before it is read: half-width digits, Chinese punctuation, and line
//! breaks kept only where they mean something (a hard wrap inside a sentence is joined).

use std::sync::LazyLock;

use regex::Regex;

pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern")
}

static THOUSANDS: LazyLock<Regex> = LazyLock::new(|| re(r"(\d)，(\d{3})(\D|$)"));
static DASH: LazyLock<Regex> = LazyLock::new(|| re(r"(\d)(?:[—–−~〜-]{1,2}|到|至)(\d)"));
/// What a line starts with when its break is structure (an item, a label), not a hard wrap.
static LINE_START: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"^(?:[一二三四五六七八九十]{1,3}[、.]|（[一二三四五六七八九十]{1,3}）|\d{1,2}[.、](?:\D|$)|（\d{1,2}）",
        r"|[①-⑳]|(?:牵头|责任|配合|协办|参与|主办|承办)(?:单位|部门|领导)|完成时限|时间节点|预期目标|主要目标|目标任务)",
    ))
});

/// Brings the text to one form: half-width digits and letters, Chinese punctuation, `-` in number ranges, no
/// thousands separators, no spaces except between two ASCII words, and `\n` only where a line ends a sentence
/// or the next line starts an item or a label.
pub(super) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let text = text.replace("\r\n", "\n");
    // A table row (cells split by tabs or |) is a line of its own, never joined to the next.
    let mut row_before = false;
    for raw in text.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        let row = raw.contains(['\t', '|']);
        let line = with_label_colon(normalise_line(raw));
        if line.is_empty() {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        // A short line is a heading or a paragraph's end; a hard wrap leaves lines of one long length.
        let last_line = out.rsplit('\n').next().unwrap_or("");
        let structural = out.ends_with(['。', '；', '！', '？', '：', '|'])
            || LINE_START.is_match(&line)
            || (1..=20).contains(&last_line.chars().count())
            || row
            || row_before;
        row_before = row;
        // A hard wrap is joined without a space, even between ASCII words (`G\nDP` is GDP).
        if structural && !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&line);
    }
    let out = DASH.replace_all(out.trim_end_matches('\n'), "${1}-${2}");
    // Twice, because a match consumes the digit group the next separator would need.
    let out = THOUSANDS.replace_all(&out, "${1}${2}${3}");
    THOUSANDS.replace_all(&out, "${1}${2}${3}").into_owned()
}

/// `责任单位 市发改委` (a table cell's label, a space for the colon) as `责任单位：市发改委`.
fn with_label_colon(line: String) -> String {
    const LABELS: [&str; 8] = [
        "牵头单位",
        "责任单位",
        "配合单位",
        "牵头部门",
        "责任部门",
        "配合部门",
        "协办单位",
        "完成时限",
    ];
    match LABELS.iter().find(|l| line.starts_with(*l)) {
        // Only before a name: 责任单位要细化措施 is a sentence, not a label.
        Some(l)
            if line.len() > l.len()
                && line[l.len()..].starts_with(['市', '区', '县', '省', '州', '各', '国']) =>
        {
            format!("{l}：{}", &line[l.len()..])
        }
        _ => line,
    }
}

/// One line in canonical characters, spaces dropped except one between two ASCII words.
pub(super) fn normalise_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut gap = false;
    for c in line.chars() {
        let c = canonical_char(c);
        if c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}') {
            gap = true;
            continue;
        }
        if gap
            && let Some(prev) = out.chars().next_back()
            && prev.is_ascii_alphanumeric()
            && c.is_ascii_alphanumeric()
            && !(prev.is_ascii_digit() && c.is_ascii_digit())
        {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
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

pub(super) fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// The value of a Chinese numeral up to 九十九 (`十一` → 11).
pub(super) fn cn_number(s: &str) -> Option<u32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_numbers_and_wraps() {
        const LONG: &str = "新认定高新技术企业和科技型中小企业的数量达到";
        assert_eq!(
            normalise(&format!("{LONG}１，０７８件 ２～３家\n0 .87")),
            format!("{LONG}1078件2-3家0.87")
        );
        assert_eq!(
            normalise(&format!("{LONG}DNA test G\nDP")),
            format!("{LONG}DNA test GDP")
        );
        assert_eq!(normalise("1到2个，8—10个"), "1-2个，8-10个");
    }

    #[test]
    fn keeps_breaks_that_are_structure() {
        assert_eq!(
            normalise("推进建设。\n牵头单位：市发改委\n2.加快"),
            "推进建设。\n牵头单位：市发改委\n2.加快"
        );
        // A hard wrap leaves a long line; a short line is a heading.
        assert_eq!(
            normalise("推进产业基础高级化和产业链现代化，全面加快建\n设工作"),
            "推进产业基础高级化和产业链现代化，全面加快建设工作"
        );
        assert_eq!(
            normalise("一、主要目标\n到2025年"),
            "一、主要目标\n到2025年"
        );
    }
}
