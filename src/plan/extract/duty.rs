//! Who is responsible for an item, however the notice writes it: 牵头单位：…/责任单位：…/配合单位：… labels,
//! （市发改委牵头，市财政局配合）, 〔…牵头，…参与，…负责落实〕, (责任领导:张三;牵头单位:…).

use std::sync::LazyLock;

use regex::Regex;

use super::text::re;
use super::units::{names_a_unit, split_names};

/// The responsibility of one item: names as written, leads first.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Duty {
    /// Names given as leading (牵头), or the first responsible unit when none is.
    pub leads: Vec<String>,
    /// Every other responsible or supporting unit.
    pub others: Vec<String>,
    /// The 完成时限 text, if any.
    pub deadline: Option<String>,
}

impl Duty {
    /// Whether any unit was named.
    pub(super) fn is_empty(&self) -> bool {
        self.leads.is_empty() && self.others.is_empty()
    }

    /// Leads then others, each name once.
    pub(super) fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for n in self.leads.iter().chain(&self.others) {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }

    /// Adds what another annotation of the same item says.
    pub(super) fn merge(&mut self, other: Duty) {
        self.leads.extend(other.leads);
        self.others.extend(other.others);
        self.deadline = self.deadline.take().or(other.deadline);
    }
}

/// What a label says about the names after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Role {
    Lead,
    Duty,
    Support,
    Person,
    Time,
}

/// A label that introduces names or a time limit.
pub(super) static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(牵头单位|牵头部门|主办单位|牵头领导|责任单位|责任部门|负责单位|负责部门|实施单位|承办单位|落实单位|责任主体",
        r"|配合单位|配合部门|协办单位|参与单位|参与部门|协同单位|协同部门|协助单位|协办部门|责任领导|分管领导|责任人|联系人",
        r"|完成时限|完成时间|时间节点|时限要求|时限)：",
    ))
});

fn role(label: &str) -> Role {
    match label {
        "牵头单位" | "牵头部门" | "主办单位" => Role::Lead,
        "责任单位" | "责任部门" | "负责单位" | "负责部门" | "实施单位" | "承办单位"
        | "落实单位" | "责任主体" => Role::Duty,
        "配合单位" | "配合部门" | "协办单位" | "参与单位" | "参与部门" | "协同单位"
        | "协同部门" | "协助单位" | "协办部门" => Role::Support,
        "完成时限" | "完成时间" | "时间节点" | "时限要求" | "时限" => Role::Time,
        _ => Role::Person,
    }
}

/// What a phrase without a label ends with: X牵头, Y配合, Z负责落实.
static VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(牵头(?:负责|抓总)?|(?:配合|参与|协助|协同|共同)(?:落实|推进|实施)?",
        r"|(?:按职责分工|按职责|分别|具体|共同)?负责(?:落实|实施|推进)?|落实)$",
    ))
});

/// Reads labelled text: `牵头单位：A、B 责任单位：C 完成时限：2021年底`.
pub(super) fn labelled(text: &str) -> Duty {
    let labels: Vec<_> = LABEL.captures_iter(text).collect();
    let mut duty = Duty::default();
    let mut duty_names = Vec::new();
    for (i, caps) in labels.iter().enumerate() {
        let (Some(whole), Some(label)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let end = labels
            .get(i + 1)
            .and_then(|c| c.get(0))
            .map_or(text.len(), |m| m.start());
        let value = &text[whole.end()..end];
        add(&mut duty, &mut duty_names, role(label.as_str()), value);
    }
    finish(duty, duty_names)
}

/// Reads a bracketed annotation: （牵头单位：A；配合单位：B） or （A牵头，B配合）.
pub(super) fn bracketed(inner: &str) -> Duty {
    if LABEL.is_match(inner) {
        let mut duty = Duty::default();
        let mut duty_names = Vec::new();
        // Unlabelled phrases before the first label (（A牵头，责任单位：B）) read by their verb.
        let first = LABEL.find(inner).map_or(inner.len(), |m| m.start());
        verbs(&inner[..first], &mut duty, &mut duty_names);
        let rest = labelled(&inner[first..]);
        duty.leads.extend(rest.leads);
        duty.others.extend(rest.others);
        duty.deadline = rest.deadline;
        return finish(duty, duty_names);
    }
    let mut duty = Duty::default();
    let mut duty_names = Vec::new();
    verbs(inner, &mut duty, &mut duty_names);
    finish(duty, duty_names)
}

/// Reads a sentence of its own that closes an item in running text: 由市工信局牵头，市财政局、市商务局配合, or
/// 新区招商局负责. Only when every phrase of it names units and ends with a duty verb, so 由…任组长, 各部门要主动牵头
/// or a sentence that merely mentions 牵头 is not taken for a responsibility.
pub(super) fn sentence(text: &str) -> Option<Duty> {
    let text = text.trim().trim_start_matches('由');
    let phrases: Vec<&str> = text
        .split(['，', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let all_duties = phrases.iter().all(|p| {
        VERB.find(p).is_some_and(|m| {
            let names = split_names(p[..m.start()].trim_start_matches('由'));
            !names.is_empty() && names.iter().all(|n| names_a_unit(n))
        })
    });
    // A lone 负责 names who does the item; otherwise the sentence must say who leads.
    let says_who = phrases.first().is_some_and(|p| p.contains("牵头"))
        || (phrases.len() == 1 && phrases[0].contains("负责"));
    if phrases.is_empty() || !all_duties || !says_who {
        return None;
    }
    let duty = bracketed(text);
    (!duty.is_empty()).then_some(duty)
}

fn verbs(text: &str, duty: &mut Duty, duty_names: &mut Vec<String>) {
    for phrase in text.split(['，', '；', '。']) {
        let phrase = phrase.trim();
        let Some(m) = VERB.find(phrase) else {
            continue;
        };
        let names = phrase[..m.start()].trim_start_matches('由');
        let verb = m.as_str();
        let role = if verb.starts_with("牵头") {
            Role::Lead
        } else if ["配合", "参与", "协助", "协同", "共同"]
            .iter()
            .any(|v| verb.starts_with(v))
        {
            Role::Support
        } else {
            Role::Duty
        };
        add(duty, duty_names, role, names);
    }
}

fn add(duty: &mut Duty, duty_names: &mut Vec<String>, role: Role, value: &str) {
    let value = value.trim_end_matches(['；', '，', '。', ' ', '\n']);
    // 责任单位：市发改委、市工信局（牵头）: the marked name leads.
    if matches!(role, Role::Duty | Role::Support) && value.contains("牵头）") {
        for piece in value.split(['、', '，']) {
            let names = split_names(piece);
            if piece.contains("牵头）") {
                duty.leads.extend(names);
            } else if role == Role::Duty {
                duty_names.extend(names);
            } else {
                duty.others.extend(names);
            }
        }
        return;
    }
    match role {
        Role::Lead => duty.leads.extend(split_names(value)),
        Role::Duty => duty_names.extend(split_names(value)),
        Role::Support => duty.others.extend(split_names(value)),
        Role::Time => {
            let t = value.trim().to_string();
            if !t.is_empty() {
                duty.deadline = Some(t);
            }
        }
        Role::Person => {}
    }
}

/// Without a 牵头 label, the first responsible unit leads (the usual reading of 责任单位：A、B).
fn finish(mut duty: Duty, duty_names: Vec<String>) -> Duty {
    if duty.leads.is_empty() {
        let mut names = duty_names.into_iter();
        duty.leads.extend(names.next());
        let supporting = std::mem::take(&mut duty.others);
        duty.others.extend(names);
        duty.others.extend(supporting);
    } else {
        let supporting = std::mem::take(&mut duty.others);
        duty.others.extend(duty_names);
        duty.others.extend(supporting);
    }
    duty
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(d: &Duty) -> (Vec<&str>, Vec<&str>) {
        (
            d.leads.iter().map(String::as_str).collect(),
            d.others.iter().map(String::as_str).collect(),
        )
    }

    #[test]
    fn reads_every_way_of_writing_it() {
        let d = labelled("牵头单位：市发改委\n责任单位：市财政局、市科技局\n完成时限：2022年底前");
        assert_eq!(pair(&d), (vec!["市发改委"], vec!["市财政局", "市科技局"]));
        assert_eq!(d.deadline.as_deref(), Some("2022年底前"));
        let d = bracketed("市发改委牵头，市财政局配合");
        assert_eq!(pair(&d), (vec!["市发改委"], vec!["市财政局"]));
        let d = bracketed("市住建局牵头，市自然资源局参与，各区政府负责落实");
        assert_eq!(
            pair(&d),
            (vec!["市住建局"], vec!["各区政府", "市自然资源局"])
        );
        let d = bracketed("责任领导：张三；牵头单位：市商务局；责任单位：市统计局");
        assert_eq!(pair(&d), (vec!["市商务局"], vec!["市统计局"]));
        let d = labelled("责任单位：市发改委、市工信局（牵头）、各县区");
        assert_eq!(pair(&d), (vec!["市工信局"], vec!["市发改委", "各县区"]));
        let d = sentence("由市工业和信息化局牵头，市财政局、市商务局配合").expect("a duty");
        assert_eq!(
            pair(&d),
            (vec!["市工业和信息化局"], vec!["市财政局", "市商务局"])
        );
        let d = sentence("由县商务局牵头，各乡镇人民政府负责落实").expect("a duty");
        assert_eq!(pair(&d), (vec!["县商务局"], vec!["各乡镇人民政府"]));
        assert_eq!(sentence("由县政府分管副县长任组长，县商务局牵头"), None);
        assert_eq!(sentence("各部门要主动牵头"), None);
        assert_eq!(sentence("由王建国同志牵头"), None);
        let d = sentence("新区招商局负责").expect("a duty");
        assert_eq!(pair(&d), (vec!["新区招商局"], vec![]));
        let d = labelled("责任单位：市科技局，陇西县人民政府");
        assert_eq!(pair(&d), (vec!["市科技局"], vec!["陇西县人民政府"]));
    }
}
