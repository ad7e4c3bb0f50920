//! Across units: the counties' shares of an additive indicator must add up to the lead's city figure.

use rayon::prelude::*;

use super::{CheckedReturn, Context, Reading, Role, doubts};
use crate::display;
use crate::finding::{Code, Finding};

/// Why a county's share cannot be added up.
fn unusable(reading: Option<&Reading>, doubtful: bool) -> Option<&'static str> {
    match reading {
        None => Some("报表中缺少该行"),
        Some(r) if r.cumulative.is_none() => Some("累计完成不是可用的数字"),
        Some(_) if doubtful => Some("数值待核实"),
        Some(_) => None,
    }
}

/// What the returns hold of one county: its readings of the indicators checked, which of them are in doubt, and
/// whether it sent a return at all.
struct County<'m, 'r> {
    readings: Option<&'m Vec<Option<&'r Reading>>>,
    doubtful: Option<&'m Vec<bool>>,
    sent: bool,
}

/// Compares each additive indicator's county sum with the lead's city figure.
///
/// When counties that sent a return gave a share that cannot be used, says which (COUNTY_SUM_INCOMPLETE); and
/// whenever some share is missing, still flags a mismatch if the usable shares alone exceed the city figure.
pub fn check_county_sums(returns: &[CheckedReturn], ctx: &Context<'_>) -> Vec<Finding> {
    let additive: Vec<_> = ctx
        .catalogue
        .indicators()
        .filter(|(_, ind)| !ind.counties.is_empty() && ind.kind.is_additive())
        .collect();
    // Each unit's reading of each indicator checked here (the later of two), by the indicator's place in
    // `additive`: a unit's few dozen side by side, where a map of a province's 400,000 readings, looked up one
    // by one, missed the cache at nearly every look. foldhash: short codes hashed in a fraction of SipHash's
    // time, seeded per process like it.
    let slot: foldhash::HashMap<&str, usize> = additive
        .iter()
        .enumerate()
        .map(|(k, (_, ind))| (ind.code.as_str(), k))
        .collect();
    // A return's readings are its unit's, one after another: each unit's run gathered on all cores, then laid
    // in a map in order, a later reading of an indicator over an earlier.
    let runs: Vec<(&str, Vec<Option<&Reading>>)> = returns
        .par_iter()
        .flat_map_iter(|ret| {
            ret.readings.chunk_by(|a, b| a.same_unit(b)).map(|run| {
                let mut of = vec![None; additive.len()];
                for r in run {
                    if let Some(&k) = slot.get(r.indicator.as_str()) {
                        of[k] = Some(r);
                    }
                }
                (run[0].unit.as_ref(), of)
            })
        })
        .collect();
    let mut readings: foldhash::HashMap<&str, Vec<Option<&Reading>>> =
        foldhash::HashMapExt::with_capacity(runs.len());
    for (unit, of) in runs {
        match readings.entry(unit) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(of);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                for (old, new) in o.get_mut().iter_mut().zip(of) {
                    if new.is_some() {
                        *old = new;
                    }
                }
            }
        }
    }
    // Figures in doubt, marked beside the unit's readings: one look-up a county, not two.
    let mut doubtful: foldhash::HashMap<&str, Vec<bool>> = foldhash::HashMap::default();
    for f in returns
        .iter()
        .flat_map(|r| r.findings.iter())
        .filter(|f| doubts(f))
    {
        if let Some(&k) = slot.get(f.indicator.as_str()) {
            doubtful
                .entry(f.unit.as_str())
                .or_insert_with(|| vec![false; additive.len()])[k] = true;
        }
    }
    let sent: foldhash::HashSet<&str> = returns.iter().map(|r| r.unit.as_str()).collect();
    // Each county of a list looked up once, whatever the indicators naming it: a task's indicators mostly name
    // the same ten thousand, and looking each up again per indicator took most of this check.
    let (lists, list_of) = crate::plan::model::distinct(additive.iter().map(|(_, i)| &*i.counties));
    let found: Vec<Vec<County<'_, '_>>> = lists
        .par_iter()
        .map(|list| {
            list.iter()
                .map(|c| County {
                    readings: readings.get(c.as_str()),
                    doubtful: doubtful.get(c.as_str()),
                    sent: sent.contains(c.as_str()),
                })
                .collect()
        })
        .collect();
    let reading = |unit: &str, k: usize| readings.get(unit).and_then(|of| of[k]);
    let name = |code: &str| {
        ctx.catalogue
            .unit(code)
            .map_or(code.to_string(), |u| u.name.clone())
    };
    // Indicators apart on both cores: a province has ten thousand counties to look up for each.
    additive
        .par_iter()
        .enumerate()
        .flat_map_iter(|(k, &(task, ind))| {
            let mut findings = Vec::new();
            let lead = &task.units[0];
            let Some(city) = reading(lead, k).filter(|r| r.role == Role::City) else {
                return findings;
            };
            let Some(city_value) = city.cumulative else {
                return findings;
            };
            let mut usable: Vec<(&str, f64)> = Vec::new();
            let mut missing: Vec<(&str, &str)> = Vec::new();
            let mut silent = 0;
            for (c, county) in ind.counties.iter().zip(&found[list_of[k]]) {
                let reading = county.readings.and_then(|of| of[k]);
                let doubted = reading.is_some() && county.doubtful.is_some_and(|of| of[k]);
                match (unusable(reading, doubted), reading) {
                    (None, Some(r)) => usable.push((c.as_str(), r.cumulative.unwrap_or_default())),
                    // A county that sent nothing is MISSING_RETURN already; the lead is not told again per row.
                    (Some(_), None) if !county.sent => silent += 1,
                    (Some(why), _) => missing.push((c.as_str(), why)),
                    (None, None) => {}
                }
            }
            let fig = |v: f64| format!("{}{}", display::figure(v, &ind.unit), ind.unit);
            let sum = crate::normalise::excel_round(usable.iter().map(|(_, v)| v).sum());
            let tolerance = ctx.settings.sum_tolerance.max(city_value.abs() * 1e-9);
            // Written out only into a finding: a province's ten thousand counties, per indicator, otherwise.
            let listing = || {
                some_of(
                    usable
                        .iter()
                        .map(|(c, v)| format!("{}{}", name(c), display::figure(*v, &ind.unit))),
                )
            };
            let lead_name = name(lead);
            let here = |code: Code, message: String| {
                Finding::new(code, message)
                    .unit(lead)
                    .indicator(&ind.code)
                    .at(&city.file, &city.sheet, &city.cumulative_cell)
            };
            if !missing.is_empty() || silent > 0 {
                if !missing.is_empty() {
                    let named = some_of(
                        missing
                            .iter()
                            .map(|(c, why)| format!("{}（{why}）", name(c))),
                    );
                    findings.push(
                    here(
                        Code::CountySumIncomplete,
                        format!(
                            "“{}”累计完成：{named}的县区数无法使用，不能核对各县区合计与{lead_name}填报的全市{}；请这些县区更正后重新报送",
                            ind.text,
                            fig(city_value)
                        ),
                    )
                    .values(
                        format!("{}个县区的数字", ind.counties.len()),
                        format!("{}个可用", usable.len()),
                    ),
                );
                }
                if sum > city_value + tolerance {
                    findings.push(
                        here(
                            Code::CountySumMismatch,
                            format!(
                                "“{}”累计完成：{lead_name}填报全市{}，仅可用的县区合计已达{}（{}），超过全市数；请牵头单位与各县区核对",
                                ind.text,
                                fig(city_value),
                                fig(sum),
                                listing()
                            ),
                        )
                        .values(format!("≥{}", display::figure(sum, &ind.unit)), display::figure(city_value, &ind.unit)),
                    );
                }
                return findings;
            }
            if (sum - city_value).abs() <= tolerance {
                return findings;
            }
            findings.push(
                here(
                    Code::CountySumMismatch,
                    format!(
                        "“{}”累计完成：{lead_name}填报全市{}，各县区合计{}（{}），两者不一致；请牵头单位与各县区核对",
                        ind.text,
                        fig(city_value),
                        fig(sum),
                        listing()
                    ),
                )
                .values(display::figure(sum, &ind.unit), display::figure(city_value, &ind.unit)),
            );
            findings
        })
        .collect()
}

/// Most counties a message names one by one: past that a list is no help to the reader, and a province's
/// would not fit a cell.
const NAMED: usize = 30;

/// The first [`NAMED`] items joined with 、, and how many there are in all when some are left out.
fn some_of(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let shown: Vec<String> = items.take(NAMED).collect();
    let joined = shown.join("、");
    if total > shown.len() {
        format!("{joined}等{total}个县区")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_counties_names_the_first_thirty_and_counts_all() {
        let names = |n: usize| (0..n).map(|i| format!("第{:05}县", i + 1));
        assert_eq!(some_of(names(2)), "第00001县、第00002县");
        let many = some_of(names(10_000));
        assert!(many.starts_with("第00001县、第00002县"));
        assert!(many.ends_with("第00030县等10000个县区"), "{many}");
        assert_eq!(many.matches('、').count(), NAMED - 1);
    }
}
