//! Raw cell → typed value, recording every change made on the way.

/// Folds text for matching: full-width ASCII to half-width, spaces and invisible characters dropped.
pub fn fold_text(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace() && !matches!(c, '\u{200B}' | '\u{FEFF}')).then_some(c)
        })
        .collect()
}

use std::sync::LazyLock;

use regex::Regex;

use crate::plan::model::fmt_num;
use crate::raw::{RawCell, RawValue};

/// A change made while reading a figure; each becomes a finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Text was read as a number (full-width digits, separators or the unit removed).
    Cleaned(String),
    /// An amount written in another unit was converted.
    Converted(String),
    /// A cell formatted as a percentage stored 0.8 for 80%.
    PercentFormat,
    /// A bare 0.8 in a % row whose target is far above 1 was read as 80 (a guess: warn).
    PercentGuess,
    /// 约50 or 50左右 was taken as 50.
    Approximate,
}

/// Why a cell's content cannot be used as a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    /// Text that is not a number.
    NotANumber(String),
    /// An error value, or a formula saved without its result (`None`).
    Formula(Option<String>),
    /// A unit written in the cell that does not fit the row's unit.
    WrongUnit {
        /// What the cell says.
        written: String,
    },
    /// A bare number far too large for the row's unit (e.g. 万元 typed into a 亿元 row).
    LikelyWrongUnit(f64),
}

/// A usable figure and what was changed to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The value in the row's unit.
    pub value: f64,
    /// The changes made, in order.
    pub changes: Vec<Change>,
}

/// What the row expects: its unit of measure and, if any, its annual target.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The row's unit (亿元, %, 家 …).
    pub unit: &'a str,
    /// The annual target, for telling 0.8 from 80%.
    pub target: Option<f64>,
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<approx>约|大约|近|约为)?(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?P<unit>[^\d]*?)(?P<approx2>左右|余|多)?$")
        .unwrap()
});

static NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<figure>.+?)\s*[（(](?P<note>[^（）()]*)[）)]$").unwrap());

/// Whether a bracketed text is only a unit of measure (亿元, 件, %), not a note.
fn is_unit(text: &str) -> bool {
    let t = text.trim();
    money_scale(t).is_some()
        || [
            "万",
            "亿",
            "%",
            "％",
            "件",
            "家",
            "个",
            "项",
            "名",
            "人",
            "件/万人",
        ]
        .contains(&t)
}

/// What clerks write for "nothing to report" instead of leaving a cell empty.
const PLACEHOLDERS: [&str; 8] = ["-", "--", "—", "——", "/", "\\", "无", "暂无"];

/// Excel's error values, which some writers store as plain text.
const EXCEL_ERRORS: [&str; 8] = [
    "#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
];

/// Rounds away binary noise the way Excel shows a number (15 significant digits).
pub fn excel_round(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 15 - (v.abs().log10().floor() as i32) - 1;
    let factor = 10f64.powi(digits.clamp(-300, 300));
    (v * factor).round() / factor
}

/// The factor from a money unit declared outside the cell to the row's money unit, with the declared unit;
/// `None` when nothing is declared, the units agree, or either is not money.
fn declared_factor<'c>(cell: &'c RawCell, unit: &str) -> Option<(f64, &'c str)> {
    let declared = cell.declared_unit.as_deref()?;
    let (from, to) = (money_scale(declared)?, money_scale(unit)?);
    (from != to).then_some((from / to, declared))
}

/// Yuan per unit of a money unit.
fn money_scale(unit: &str) -> Option<f64> {
    match unit {
        "元" => Some(1.0),
        "千元" => Some(1e3),
        "万元" => Some(1e4),
        "亿元" => Some(1e8),
        _ => None,
    }
}

/// Reads a figure from a cell. `Ok(None)` is a blank cell.
pub fn figure(cell: Option<&RawCell>, expect: Expect<'_>) -> Result<Option<Figure>, Unusable> {
    let Some(cell) = cell else { return Ok(None) };
    let mut changes = Vec::new();
    let mut unit_written = false;
    let value = match &cell.value {
        RawValue::Empty if cell.formula => return Err(Unusable::Formula(None)),
        RawValue::Empty => return Ok(None),
        RawValue::Error(e) => return Err(Unusable::Formula(Some(e.clone()))),
        RawValue::Bool(b) => return Err(Unusable::NotANumber(b.to_string().to_uppercase())),
        RawValue::Number(n) => {
            let n = excel_round(*n);
            if expect.unit == "%" && cell.percent {
                changes.push(Change::PercentFormat);
                excel_round(n * 100.0)
            } else if cell.percent {
                // 85% typed into a count or amount row is stored as 0.85: neither reading can be trusted.
                return Err(Unusable::WrongUnit {
                    written: "%".to_string(),
                });
            } else if let Some((factor, declared)) = declared_factor(cell, expect.unit) {
                let v = excel_round(n * factor);
                // 0.35 under 单位：万元 in a 亿元 row was most likely already written in 亿元: neither reading is safe.
                if factor < 1.0
                    && expect.target.is_some_and(|t| t > 0.0 && v < t / 1000.0)
                    && v != 0.0
                {
                    return Err(Unusable::WrongUnit {
                        written: format!("表头所注的{declared}"),
                    });
                }
                changes.push(Change::Converted(format!(
                    "按表头所注单位（{declared}）将{}{declared}换算为{}{}",
                    fmt_num(n),
                    fmt_num(v),
                    expect.unit
                )));
                v
            } else {
                n
            }
        }
        RawValue::Text(t) => {
            let folded = fold_text(t).replace('，', ",").replace('。', ".");
            // A dash, slash or 无 is how a clerk leaves a figure blank on purpose.
            if folded.is_empty() || PLACEHOLDERS.contains(&folded.as_str()) {
                return Ok(None);
            }
            if EXCEL_ERRORS.contains(&folded.to_uppercase().as_str()) {
                return Err(Unusable::Formula(Some(folded)));
            }
            // A note in brackets after the figure (42（其中发明5件）, 1家（新增）) explains it; a unit in brackets
            // (0.5（亿元）) is kept.
            let folded = match NOTE.captures(&folded) {
                Some(n) if NUMBER.is_match(&n["figure"]) && !is_unit(&n["note"]) => {
                    n["figure"].to_string()
                }
                _ => folded,
            };
            let Some(c) = NUMBER.captures(&folded) else {
                return Err(Unusable::NotANumber(t.trim().to_string()));
            };
            let mut n: f64 = c["num"]
                .replace(',', "")
                .parse()
                .map_err(|_| Unusable::NotANumber(t.clone()))?;
            if c.name("approx").is_some() || c.name("approx2").is_some() {
                changes.push(Change::Approximate);
            }
            // 万 and 亿 alone are how people abbreviate 万元 and 亿元.
            let written = match c["unit"].trim().trim_matches(['（', '）', '(', ')']) {
                "％" => "%",
                "万" => "万元",
                "亿" => "亿元",
                w => w,
            };
            // 1.2万 in a count row, 1.2万人 in a 人 row: 万 multiplies the count.
            let raw = c["unit"].trim().trim_matches(['（', '）', '(', ')']);
            let written = match raw.strip_prefix('万') {
                Some(rest)
                    if money_scale(expect.unit).is_none()
                        && expect.unit != "%"
                        && (rest.is_empty() || rest == expect.unit) =>
                {
                    n *= 1e4;
                    changes.push(Change::Converted(format!(
                        "“{}”按万换算为{}{}",
                        t.trim(),
                        fmt_num(excel_round(n)),
                        expect.unit
                    )));
                    ""
                }
                _ => written,
            };
            unit_written = !written.is_empty();
            // A bare number under a heading that declares its money unit is in that unit.
            let written = match (written, declared_factor(cell, expect.unit)) {
                ("", Some((_, declared))) => declared,
                (w, _) => w,
            };
            match (written, expect.unit) {
                ("", _) => {}
                (w, u) if w == u => {}
                (w, u) if money_scale(w).is_some() && money_scale(u).is_some() => {
                    n *= money_scale(w).unwrap_or(1.0) / money_scale(u).unwrap_or(1.0);
                    changes.push(Change::Converted(format!(
                        "“{}”按{w}换算为{}{u}",
                        t.trim(),
                        fmt_num(excel_round(n))
                    )));
                }
                (w, _) => {
                    return Err(Unusable::WrongUnit {
                        written: w.to_string(),
                    });
                }
            }
            let n = excel_round(n);
            if changes.iter().all(|c| !matches!(c, Change::Converted(_))) && fmt_num(n) != t.trim()
            {
                changes.insert(0, Change::Cleaned(t.trim().to_string()));
            }
            n
        }
    };
    if !value.is_finite() {
        return Err(Unusable::NotANumber(fmt_num(value)));
    }
    // A bare fraction in a % row whose target is far above 1 is a percentage written as a fraction; a value
    // written with its % sign, or one of 1 or more, means what it says.
    if expect.unit == "%"
        && !unit_written
        && !changes.contains(&Change::PercentFormat)
        && value > 0.0
        && value < 1.0
        && expect.target.is_some_and(|t| t >= 5.0)
    {
        changes.push(Change::PercentGuess);
        return Ok(Some(Figure {
            value: excel_round(value * 100.0),
            changes,
        }));
    }
    if expect.unit == "亿元"
        && changes.iter().all(|c| !matches!(c, Change::Converted(_)))
        && expect.target.is_some_and(|t| t > 0.0 && value >= t * 500.0)
    {
        return Err(Unusable::LikelyWrongUnit(value));
    }
    Ok(Some(Figure { value, changes }))
}

/// A milestone's reported state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneState {
    /// 未启动
    NotStarted,
    /// 推进中
    InProgress,
    /// 已完成
    Done,
}

impl MilestoneState {
    /// The Chinese word on the form.
    pub fn chinese(self) -> &'static str {
        match self {
            MilestoneState::NotStarted => "未启动",
            MilestoneState::InProgress => "推进中",
            MilestoneState::Done => "已完成",
        }
    }
}

/// Reads a milestone's 进展情况 text; `None` when blank.
pub fn milestone(text: &str) -> Option<MilestoneState> {
    let t = fold_text(text);
    if t.is_empty() {
        None
    } else if t.contains("未启动") || t.contains("尚未") {
        Some(MilestoneState::NotStarted)
    } else if (t.contains("已完成") || t == "完成" || t.starts_with("完成"))
        && !t.contains("未完成")
    {
        Some(MilestoneState::Done)
    } else {
        Some(MilestoneState::InProgress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> RawCell {
        RawCell::of(RawValue::Text(s.into()))
    }

    #[test]
    fn text_numbers_are_cleaned_and_converted() {
        let yi = Expect {
            unit: "亿元",
            target: Some(1.3),
        };
        let jia = Expect {
            unit: "家",
            target: Some(15.0),
        };
        assert_eq!(
            figure(Some(&text("１５")), jia).unwrap().unwrap().value,
            15.0
        );
        assert_eq!(
            figure(Some(&text("15家")), jia).unwrap().unwrap().value,
            15.0
        );
        assert_eq!(
            figure(Some(&text("15（家）")), jia).unwrap().unwrap().value,
            15.0
        );
        assert_eq!(
            figure(Some(&text("1,078")), jia).unwrap().unwrap().value,
            1078.0
        );
        assert_eq!(
            figure(Some(&text("13000万元")), yi).unwrap().unwrap().value,
            1.3
        );
        // A note in brackets explains the figure; 万 multiplies a count; 万元 in a count row stays wrong.
        for (t, want) in [
            ("42（其中发明5件）", 42.0),
            ("1家（新增）", 1.0),
            ("1.2万", 12000.0),
            ("1.2万家", 12000.0),
            ("０．５", 0.5),
        ] {
            assert_eq!(
                figure(Some(&text(t)), jia).unwrap().unwrap().value,
                want,
                "{t}"
            );
        }
        assert_eq!(
            figure(Some(&text("12万元")), jia),
            Err(Unusable::WrongUnit {
                written: "万元".into()
            })
        );
        assert_eq!(
            figure(Some(&text("0.5（亿元）")), yi)
                .unwrap()
                .unwrap()
                .value,
            0.5
        );
        assert_eq!(
            figure(Some(&text("15件")), jia),
            Err(Unusable::WrongUnit {
                written: "件".into()
            })
        );
        assert!(matches!(
            figure(Some(&text("正在推进")), jia),
            Err(Unusable::NotANumber(_))
        ));
        assert_eq!(
            figure(Some(&text("1.3亿")), yi).unwrap().unwrap().value,
            1.3
        );
        assert_eq!(
            figure(Some(&text("13000万")), yi).unwrap().unwrap().value,
            1.3
        );
        let share = Expect {
            unit: "%",
            target: Some(80.0),
        };
        assert_eq!(
            figure(Some(&text("1%")), share).unwrap().unwrap().value,
            1.0
        );
        assert_eq!(
            figure(Some(&text("0.8")), share).unwrap().unwrap().value,
            80.0
        );
        let huge = format!("1{}", "0".repeat(400));
        assert!(figure(Some(&text(&huge)), jia).is_err());
        assert_eq!(figure(Some(&text("—")), jia), Ok(None));
        assert_eq!(figure(Some(&text("无")), jia), Ok(None));
        let approx = figure(Some(&text("约50")), jia).unwrap().unwrap();
        assert_eq!(
            (approx.value, approx.changes.contains(&Change::Approximate)),
            (50.0, true)
        );
    }

    #[test]
    fn a_unit_declared_outside_the_cell_converts_money_only() {
        let yi = Expect {
            unit: "亿元",
            target: Some(1.3),
        };
        let jia = Expect {
            unit: "家",
            target: Some(15.0),
        };
        let mut wan = RawCell::of(RawValue::Number(13000.0));
        wan.declared_unit = Some("万元".into());
        let fig = figure(Some(&wan), yi).unwrap().unwrap();
        assert_eq!(fig.value, 1.3);
        assert!(matches!(fig.changes[0], Change::Converted(_)));
        let mut already = RawCell::of(RawValue::Number(0.35));
        already.declared_unit = Some("万元".into());
        assert_eq!(
            figure(Some(&already), yi),
            Err(Unusable::WrongUnit {
                written: "表头所注的万元".into()
            })
        );
        let mut count = RawCell::of(RawValue::Number(12.0));
        count.declared_unit = Some("万元".into());
        assert_eq!(figure(Some(&count), jia).unwrap().unwrap().value, 12.0);
        let mut typed = text("13000");
        typed.declared_unit = Some("万元".into());
        assert_eq!(figure(Some(&typed), yi).unwrap().unwrap().value, 1.3);
    }

    #[test]
    fn a_percentage_in_a_count_row_is_not_a_count() {
        let jia = Expect {
            unit: "家",
            target: Some(15.0),
        };
        let mut pct = RawCell::of(RawValue::Number(0.85));
        pct.percent = true;
        assert_eq!(
            figure(Some(&pct), jia),
            Err(Unusable::WrongUnit {
                written: "%".into()
            })
        );
        assert_eq!(
            figure(Some(&text("85%")), jia),
            Err(Unusable::WrongUnit {
                written: "%".into()
            })
        );
    }

    #[test]
    fn excel_noise_is_rounded() {
        assert_eq!(excel_round(29.020000000000003), 29.02);
        assert_eq!(fmt_num(excel_round(0.1 + 0.2)), "0.3");
    }
}
