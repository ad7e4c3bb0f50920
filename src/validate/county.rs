//! Across units: the counties' shares of an additive indicator must add up to the lead's city figure.

use std::collections::HashMap;

use super::{CheckedReturn, Context, Reading, Role};
use crate::finding::{Code, Finding};
use crate::plan::model::fmt_num;

/// Compares each additive indicator's county sum with the lead's city figure, where every county reported.
pub fn check_county_sums(returns: &[CheckedReturn], ctx: &Context<'_>) -> Vec<Finding> {
    let readings: HashMap<(&str, &str), &Reading> = returns
        .iter()
        .flat_map(|r| r.readings.iter())
        .map(|r| ((r.unit.as_str(), r.indicator.as_str()), r))
        .collect();
    let mut findings = Vec::new();
    for (task, ind) in ctx.catalogue.indicators() {
        if ind.counties.is_empty() || !ind.kind.is_additive() {
            continue;
        }
        let lead = &task.units[0];
        let Some(city) = readings
            .get(&(lead.as_str(), ind.code.as_str()))
            .filter(|r| r.role == Role::City)
        else {
            continue;
        };
        let Some(city_value) = city.cumulative else {
            continue;
        };
        let shares: Option<Vec<(&str, f64)>> = ind
            .counties
            .iter()
            .map(|c| {
                readings
                    .get(&(c.as_str(), ind.code.as_str()))
                    .and_then(|r| r.cumulative)
                    .map(|v| (c.as_str(), v))
            })
            .collect();
        let Some(shares) = shares else { continue };
        let sum: f64 = shares.iter().map(|(_, v)| v).sum();
        if (sum - city_value).abs() <= ctx.settings.sum_tolerance.max(city_value.abs() * 1e-9) {
            continue;
        }
        let listing = shares
            .iter()
            .map(|(c, v)| {
                let name = ctx.catalogue.unit(c).map_or(*c, |u| u.name.as_str());
                format!("{name}{}", fmt_num(*v))
            })
            .collect::<Vec<_>>()
            .join("、");
        let lead_name = ctx
            .catalogue
            .unit(lead)
            .map_or(lead.as_str(), |u| u.name.as_str());
        findings.push(
            Finding::new(
                Code::CountySumMismatch,
                format!(
                    "“{}”累计完成：{lead_name}填报全市{}{}，各县区合计{}{}（{listing}），两者不一致；请牵头单位与各县区核对",
                    ind.text,
                    fmt_num(city_value),
                    ind.unit,
                    fmt_num(crate::normalise::excel_round(sum)),
                    ind.unit
                ),
            )
            .unit(lead)
            .indicator(&ind.code)
            .at(&city.file, &city.sheet, &city.cumulative_cell)
            .values(fmt_num(crate::normalise::excel_round(sum)), fmt_num(city_value)),
        );
    }
    findings
}
