//! `huizong plan extract` and `huizong plan check` on the seed notice, the template and a broken catalogue.

use std::collections::BTreeSet;

use huizong::plan::model::{Catalogue, Task};

use crate::util::{self, Workspace};

/// A task's figures as comparable strings: (target, unit, comparator, kind), sorted.
fn figures(task: &Task) -> Vec<String> {
    let mut out: Vec<String> = task
        .indicators
        .iter()
        .filter_map(|i| {
            Some(format!(
                "{:?} {} {:?} {:?}",
                i.target?, i.unit, i.comparator, i.kind
            ))
        })
        .collect();
    out.sort();
    out
}

fn template() -> Catalogue {
    let text = std::fs::read_to_string(util::repo().join("templates/plan.toml")).unwrap();
    Catalogue::from_toml(&text).expect("the template parses")
}

/// The template's codes of a draft task's units: each unit found in the template by its name as the notice
/// writes it, and the group 各县区人民政府 standing for the template's counties.
fn template_units(draft: &Catalogue, task: &Task, reference: &Catalogue) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for code in &task.units {
        let unit = draft.unit(code).expect("a task's unit is in [[units]]");
        if unit.name == "各县区人民政府" {
            out.extend(reference.counties().map(|c| c.code.clone()));
            continue;
        }
        let found = reference
            .resolve_unit(&unit.name)
            .unwrap_or_else(|| panic!("「{}」 is not a unit of the template", unit.name));
        out.insert(found.code.clone());
    }
    out
}

#[test]
fn extract_drafts_the_seed_notice_like_the_template() {
    let Some(shared) = util::shared() else {
        return;
    };
    let notice = shared.join("seed/dingxi-2020-notice.txt");
    let ws = Workspace::new();
    let out = ws.ok(&["plan", "extract", notice.to_str().unwrap()]);
    let text = util::stdout(&out);
    assert!(text.starts_with("# DRAFT"), "{text}");
    // A draft is not a usable plan until a person has resolved its review marks (emails, the county group).
    let draft_path = ws.path().join("draft.toml");
    std::fs::write(&draft_path, &text).unwrap();
    let check = ws.run(&["plan", "check", draft_path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let problems = util::stdout(&check);
    assert!(
        problems
            .lines()
            .any(|l| l.contains("各县区人民政府") && l.contains("is a group")),
        "{problems}"
    );
    assert!(
        problems
            .lines()
            .all(|l| l.starts_with("line ") || l.starts_with("unit ")),
        "only review marks and the group are left:\n{problems}"
    );

    let draft = Catalogue::from_toml(&text).expect("the draft parses");
    let reference = template();
    assert_eq!(draft.plan.year, reference.plan.year);
    assert_eq!(draft.plan.title, reference.plan.title);
    assert_eq!(draft.plan.office, reference.plan.office);
    assert_eq!(draft.tasks.len(), 18);
    let mut total = 0;
    for (got, want) in draft.tasks.iter().zip(&reference.tasks) {
        assert_eq!(got.code, want.code);
        let lead = draft.unit(&got.units[0]).expect("the lead is a unit");
        assert_eq!(
            reference.resolve_unit(&lead.name).map(|u| u.code.as_str()),
            want.units.first().map(String::as_str),
            "lead of task {}",
            want.code
        );
        let set = want.units.iter().cloned().collect::<BTreeSet<_>>();
        assert_eq!(
            template_units(&draft, got, &reference),
            set,
            "units of task {}",
            want.code
        );
        assert_eq!(figures(got), figures(want), "figures of task {}", want.code);
        total += figures(want).len();
    }
    assert_eq!(total, 35);
    // Nothing of the template is built in: every unit carries its name as the notice writes it, no address.
    assert!(draft.units.iter().all(|u| u.email.is_empty()));
}

#[test]
fn extract_copes_with_full_width_digits_and_hard_wraps() {
    let Some(shared) = util::shared() else {
        return;
    };
    let notice = std::fs::read_to_string(shared.join("seed/dingxi-2020-notice.txt")).unwrap();
    // Full-width digits and punctuation, and a line break every 37 characters, even inside numbers and names.
    let mangled: String = notice
        .chars()
        .map(|c| match c {
            '0'..='9' | '.' | ',' | ':' | '(' | ')' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            _ => c,
        })
        .collect::<Vec<_>>()
        .chunks(37)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    let ws = Workspace::new();
    let path = ws.path().join("mangled.txt");
    std::fs::write(&path, mangled).unwrap();
    let out = ws.ok(&["plan", "extract", path.to_str().unwrap()]);
    let draft = Catalogue::from_toml(&util::stdout(&out)).expect("the draft parses");
    let clean = ws.ok(&[
        "plan",
        "extract",
        shared.join("seed/dingxi-2020-notice.txt").to_str().unwrap(),
    ]);
    let clean = Catalogue::from_toml(&util::stdout(&clean)).expect("the draft parses");
    assert_eq!(draft.tasks.len(), clean.tasks.len());
    for (got, want) in draft.tasks.iter().zip(&clean.tasks) {
        assert_eq!(got.units, want.units, "units of task {}", want.code);
        assert_eq!(figures(got), figures(want), "figures of task {}", want.code);
    }
}

#[test]
fn check_passes_the_template() {
    let ws = Workspace::new();
    let out = ws.ok(&["plan", "check"]);
    assert!(util::stdout(&out).contains("OK"));
}

#[test]
fn check_fails_a_broken_catalogue_naming_each_indicator() {
    let ws = Workspace::new();
    let broken = std::fs::read_to_string(util::repo().join("templates/plan.toml"))
        .unwrap()
        // A county share on a share indicator.
        .replacen(
            "target = 13.5\ndeadline = \"2020-12-31\"",
            "target = 13.5\ndeadline = \"2020-12-31\"\ncounties = [\"longxi\"]",
            1,
        )
        // A range with min > max.
        .replacen("target = [2, 3]", "target = [3, 2]", 1)
        // An unknown unit.
        .replacen(
            "counties = [\"longxi\"]\n\n[[tasks.indicators]]\ncode = \"T2.2-04\"",
            "counties = [\"nowhere\"]\n\n[[tasks.indicators]]\ncode = \"T2.2-04\"",
            1,
        );
    let path = ws.path().join("broken.toml");
    std::fs::write(&path, broken).unwrap();
    let out = ws.run(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = util::stdout(&out);
    for (code, words) in [
        ("T3.7-02", "remove counties"),
        ("T2.2-04", "min > max"),
        ("T2.2-03", "'nowhere'"),
    ] {
        assert!(
            text.lines().any(|l| l.contains(code) && l.contains(words)),
            "no problem for {code} mentioning {words:?} in:\n{text}"
        );
    }
    assert_eq!(text.lines().count(), 3, "{text}");
}
