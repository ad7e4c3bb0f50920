//! Checks against the plan: behind the pro-rata line, milestones overdue, implausible figures, targets met.

use super::{Context, Reading, Role};
use crate::display;
use crate::finding::{Code, Finding, Severity};
use crate::ingest::parse::ParsedReturn;
use crate::normalise::MilestoneState;
use crate::plan::model::{Comparator, Indicator, IndicatorKind, fmt_num};

/// The share of the annual target due by the end of the run's month (month/12 for a year-end deadline).
pub fn elapsed_share(indicator: &Indicator, ctx: &Context<'_>) -> f64 {
    let (year, month) = indicator
        .deadline_month()
        .unwrap_or((ctx.catalogue.plan.year, 12));
    let months_to_deadline = (year - ctx.catalogue.plan.year) * 12 + month as i32;
    let elapsed = (ctx.period.year - ctx.catalogue.plan.year) * 12 + ctx.period.month as i32;
    (elapsed as f64 / months_to_deadline.max(1) as f64).clamp(0.0, 1.0)
}

/// Whether the run's month is at or past the indicator's deadline.
pub fn due(indicator: &Indicator, ctx: &Context<'_>) -> bool {
    elapsed_share(indicator, ctx) >= 1.0
}

/// Whether a growth figure beat last year's.
pub fn grew(value: f64, baseline: f64, ctx: &Context<'_>) -> bool {
    value > baseline + ctx.settings.sum_tolerance
}

/// Whether `value` meets the target of `indicator`.
pub fn met(indicator: &Indicator, value: f64, ctx: &Context<'_>) -> bool {
    let Some(target) = indicator.target else {
        return false;
    };
    match indicator.comparator {
        Comparator::About => {
            (value - target.goal()).abs() <= target.goal() * ctx.settings.about_tolerance
                || value >= target.goal()
        }
        // 以内 / 不超过: the target is a ceiling.
        Comparator::AtMost => value <= target.ceiling() + ctx.settings.sum_tolerance,
        _ => value + ctx.settings.sum_tolerance >= target.goal(),
    }
}

/// Whether a 备注 says the unit has checked an unusual figure and stands by it.
fn confirmed(remark: &str) -> bool {
    let r = crate::normalise::fold_text(remark);
    ["已核实", "核实无误", "确认无误", "数据无误", "已确认"]
        .iter()
        .any(|w| r.contains(w))
}

pub(super) fn check(
    readings: &[Reading],
    ret: &ParsedReturn,
    file: &str,
    ctx: &Context<'_>,
    findings: &mut Vec<Finding>,
) {
    for r in readings {
        let Some((_, ind)) = ctx.catalogue.indicator(&r.indicator) else {
            continue;
        };
        let here = |code: Code, cell: &str, message: String| {
            Finding::new(code, message)
                .unit(&ret.unit)
                .indicator(&r.indicator)
                .at(file, &ret.sheet, cell)
        };
        if ind.kind == IndicatorKind::Milestone {
            if r.role == Role::City
                && due(ind, ctx)
                && r.state.is_some_and(|s| s != MilestoneState::Done)
            {
                let state = r.state.map(|s| s.chinese()).unwrap_or("");
                findings.push(
                    here(
                        Code::MilestoneOverdue,
                        &r.progress_cell,
                        format!(
                            "节点目标“{}”应于{}前完成，目前为“{state}”；请说明原因和完成时限",
                            ind.text, ind.deadline
                        ),
                    )
                    .values("已完成", state),
                );
            }
            continue;
        }
        let Some(value) = r.cumulative else { continue };
        let cell = r.cumulative_cell.as_str();
        if ind.unit == "%" && value > 100.0 {
            findings.push(
                here(
                    Code::ImplausibleValue,
                    cell,
                    format!(
                        "比重{}%超过100%，不可能；请核对",
                        display::figure(value, &ind.unit)
                    ),
                )
                .values("≤100", display::figure(value, &ind.unit)),
            );
            continue;
        }
        // Growth compares two figures as written: rounding could show them equal.
        if ind.kind == IndicatorKind::Growth {
            // Growth is judged against last year's figure, once the office has filled it in.
            if r.role == Role::City
                && let Some(base) = ind.baseline
            {
                if grew(value, base, ctx) {
                    findings.push(
                        here(
                            Code::TargetMet,
                            cell,
                            format!(
                                "{}{}，已超过上年的{}，实现增长",
                                fmt_num(value),
                                ind.unit,
                                fmt_num(base)
                            ),
                        )
                        .values(format!(">{}", fmt_num(base)), fmt_num(value)),
                    );
                } else if due(ind, ctx) {
                    findings.push(
                        here(
                            Code::BehindSchedule,
                            cell,
                            format!(
                                "{}{}，未超过上年的{}，增长目标未实现；请说明原因",
                                fmt_num(value),
                                ind.unit,
                                fmt_num(base)
                            ),
                        )
                        .values(format!(">{}", fmt_num(base)), fmt_num(value)),
                    );
                }
            }
            continue;
        }
        let Some(target) = ind.target else { continue };
        if target.ceiling() > 0.0 && value > target.ceiling() * ctx.settings.implausible_factor {
            // A unit that has checked the figure says so in 备注; from then on it counts, recorded as info.
            let (severity, advice) = if confirmed(&r.remark) {
                (Severity::Info, "单位已在备注中确认")
            } else {
                (
                    Severity::Warning,
                    "请核对单位和数字；如确实无误，请在备注中注明“已核实”",
                )
            };
            findings.push(
                here(
                    Code::ImplausibleValue,
                    cell,
                    format!(
                        "累计完成{}{}，是年度目标{}的{:.0}倍以上，明显异常；{advice}",
                        display::figure(value, &ind.unit),
                        ind.unit,
                        ind.target_display(),
                        ctx.settings.implausible_factor
                    ),
                )
                .severity(severity)
                .values(
                    format!(
                        "≤{}",
                        display::figure(
                            target.ceiling() * ctx.settings.implausible_factor,
                            &ind.unit
                        )
                    ),
                    display::figure(value, &ind.unit),
                ),
            );
            if severity != Severity::Info {
                continue;
            }
        }
        if r.role != Role::City {
            continue;
        }
        if met(ind, value, ctx) {
            findings.push(
                here(
                    Code::TargetMet,
                    cell,
                    format!(
                        "累计完成{}{}，已达到年度目标{}",
                        display::figure(value, &ind.unit),
                        ind.unit,
                        ind.target_display()
                    ),
                )
                .values(ind.target_display(), display::figure(value, &ind.unit)),
            );
            continue;
        }
        let share = elapsed_share(ind, ctx);
        let pro_rata = ind.kind.is_additive();
        let expected = if pro_rata {
            target.goal() * share
        } else {
            target.goal()
        };
        let limit = if pro_rata {
            target.goal() * (share - ctx.settings.behind_tolerance)
        } else {
            expected
        };
        if (pro_rata || due(ind, ctx)) && value < limit {
            findings.push(
                here(
                    Code::BehindSchedule,
                    cell,
                    format!(
                        "累计完成{}{}，低于按时序进度应完成的{}{}（年度目标{}的{:.0}%）；请加快进度并说明原因",
                        display::figure(value, &ind.unit), ind.unit, display::pro_rata(expected, &ind.unit), ind.unit, ind.target_display(), share * 100.0
                    ),
                )
                .values(display::pro_rata(expected, &ind.unit), display::figure(value, &ind.unit)),
            );
        }
    }
}
