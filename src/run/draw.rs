//! Drawing a run's workbooks: the consolidated workbook beside every unit's feedback, each left as it is when
//! what it is drawn from has not changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cache::{self, Cache, HashWriter, Stamp};
use crate::consolidate::model::{FileRecord, Lookup, Report};
use crate::consolidate::{feedback, workbook};
use crate::error::Error;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::Unit;
use crate::settings::Settings;
use crate::workspace::Workspace;

/// Draws and writes the consolidated workbook and every unit's feedback, in parallel; returns their paths.
///
/// A workbook whose inputs are those it was last drawn from, and whose bytes are still those written then, is
/// left as it is: the same inputs would draw the same bytes. The two sides finish apart: should the consolidated
/// workbook fail, the feedback folder may already be new; no stamp is saved then, so the next run draws both.
/// `expect_change` says the run files new returns.
pub fn write_workbooks(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    cache: &Cache,
    expect_change: bool,
) -> Result<Vec<PathBuf>, Error> {
    let lookup = Lookup::of(report);
    let name = workbook::file_name(catalogue, period);
    let consolidated = ws.period_dir(period).join(&name);
    let dir = ws.feedback_dir(period);
    let old = cache.stamps();
    let units = feedback::recipients(report, catalogue);
    let draw = Draw {
        report,
        lookup: &lookup,
        catalogue,
        settings,
        period,
        cache,
        old: &old,
        expect_change,
    };
    // The consolidated workbook is the longest single piece: the feedback side works out what changed beside it.
    let (book, feedback) = rayon::join(
        || draw.consolidated(&name, &consolidated),
        || draw.feedback(&units, &dir),
    );
    let mut stamps = BTreeMap::new();
    stamps.insert(name, book?);
    stamps.extend(feedback?);
    cache.save_stamps(&stamps);
    let mut paths: Vec<PathBuf> = units
        .iter()
        .map(|u| dir.join(feedback::file_name(period, u)))
        .collect();
    paths.insert(0, consolidated);
    Ok(paths)
}

/// What both kinds of workbook are drawn from, and the stamps of the last run's.
struct Draw<'a> {
    report: &'a Report,
    lookup: &'a Lookup<'a>,
    catalogue: &'a Catalogue,
    settings: &'a Settings,
    period: Period,
    cache: &'a Cache,
    old: &'a BTreeMap<String, Stamp>,
    /// Whether the run files new returns, so that the consolidated workbook has surely changed.
    expect_change: bool,
}

impl Draw<'_> {
    /// The consolidated workbook at `path`, drawn unless it is still the one its inputs gave.
    fn consolidated(&self, name: &str, path: &Path) -> Result<Stamp, Error> {
        let clock = std::time::Instant::now();
        let render = || {
            workbook::render(
                self.report,
                self.lookup,
                self.catalogue,
                self.period,
                self.settings.timezone,
                path,
            )
        };
        // A run that files new returns changes the report: the workbook is drawn while its stamp is worked out
        // (on the other core once that is free), not after. Drawing is never wrong, only sometimes not needed.
        let (inputs, drawn) = if self.expect_change {
            let (drawn, inputs) = rayon::join(render, || report_inputs(self.cache, self.report));
            (inputs, Some(drawn))
        } else {
            (report_inputs(self.cache, self.report), None)
        };
        if let Some(stamp) = self
            .old
            .get(name)
            .filter(|s| cache::unchanged(path, Some(s), &inputs))
        {
            return Ok(stamp.clone());
        }
        let bytes = match drawn {
            Some(drawn) => drawn?,
            None => render()?,
        };
        output::write_atomic(path, &bytes)?;
        log::info!(
            "wrote the consolidated workbook in {:.3} s",
            clock.elapsed().as_secs_f64()
        );
        Ok(Stamp {
            inputs,
            sha256: cache::sha256_hex(&bytes),
        })
    }

    /// Every unit's feedback in `dir`, with its stamp; a unit that no longer gets feedback loses the old one.
    fn feedback(&self, units: &[&Unit], dir: &Path) -> Result<Vec<(String, Stamp)>, Error> {
        let period = self.period;
        let mut files_of: HashMap<&str, Vec<&FileRecord>> = HashMap::new();
        for f in &self.report.files {
            files_of.entry(f.unit.as_str()).or_default().push(f);
        }
        let inputs: Vec<String> = units
            .par_iter()
            .map(|u| {
                let files = files_of.get(u.code.as_str()).map_or(&[][..], Vec::as_slice);
                unit_inputs(self.cache, self.report, self.lookup, &u.code, files)
            })
            .collect();
        let keep: Vec<bool> = units
            .par_iter()
            .zip(&inputs)
            .map(|(u, inputs)| {
                let name = feedback::file_name(period, u);
                cache::unchanged(&dir.join(&name), self.old.get(&feedback_key(&name)), inputs)
            })
            .collect();
        // Few changes are written one by one into the folder as it is; many (a first run, a changed plan) into
        // a fresh folder that replaces it whole, which is far cheaper than a temp file and a rename each.
        let changed = keep.iter().filter(|k| !**k).count();
        let in_place = dir.is_dir() && changed * 2 <= units.len();
        let target = if in_place {
            dir.to_path_buf()
        } else {
            output::staging_dir(dir)?
        };
        let mut stamps: Vec<(String, Stamp)> = units
            .par_iter()
            .zip(&inputs)
            .zip(&keep)
            .filter(|(_, keep)| !in_place || !**keep)
            .map(|((unit, inputs), keep)| {
                let name = feedback::file_name(period, unit);
                let path = target.join(&name);
                let key = feedback_key(&name);
                // An unchanged workbook moves to the fresh folder as a second name for the same bytes.
                if *keep && std::fs::hard_link(dir.join(&name), &path).is_ok() {
                    return Ok((key.clone(), self.old[&key].clone()));
                }
                let mut wb =
                    feedback::build(self.lookup, self.catalogue, self.settings, period, unit)
                        .map_err(output::xlsx_err(&path))?;
                let bytes = output::render(&mut wb, &path)?;
                if in_place {
                    output::write_atomic(&path, &bytes)?;
                } else {
                    output::write_new(&path, &bytes)?;
                }
                Ok((
                    key,
                    Stamp {
                        inputs: inputs.clone(),
                        sha256: cache::sha256_hex(&bytes),
                    },
                ))
            })
            .collect::<Result<_, Error>>()?;
        if !in_place {
            output::swap_dir(&target, dir)?;
            return Ok(stamps);
        }
        for (u, _) in units.iter().zip(&keep).filter(|(_, k)| **k) {
            let key = feedback_key(&feedback::file_name(period, u));
            stamps.push((key.clone(), self.old[&key].clone()));
        }
        // Units that no longer get feedback (their return was withdrawn) lose the old one.
        let names: HashSet<String> = units
            .iter()
            .map(|u| feedback::file_name(period, u))
            .collect();
        for e in std::fs::read_dir(dir).map_err(Error::io(dir))?.flatten() {
            if !names.contains(&*e.file_name().to_string_lossy()) {
                let p = e.path();
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                }
                .map_err(Error::io(&p))?;
            }
        }
        output::sync_dir(dir)?;
        Ok(stamps)
    }
}

/// The stamps' key of a feedback workbook.
fn feedback_key(name: &str) -> String {
    format!("feedback/{name}")
}

/// What the consolidated workbook is drawn from: the whole report but its run's id and time.
fn report_inputs(cache: &Cache, report: &Report) -> String {
    let Report {
        plan_id,
        period,
        tool_version,
        run_id: _,
        run_time: _,
        summary,
        files,
        findings,
        indicators,
        units,
        readings,
        trend,
    } = report;
    let mut h = HashWriter::new();
    let all = (
        plan_id,
        period,
        tool_version,
        summary,
        files,
        findings,
        indicators,
        units,
        readings,
        trend,
    );
    match serde_json::to_writer(&mut h, &all) {
        Ok(()) => cache.key(&[&h.finish()]),
        // Never equal to a stamp: the workbook is drawn.
        Err(_) => String::new(),
    }
}

/// What a unit's feedback is drawn from: its findings, its files and its figures (the plan, the settings and
/// the period are in every key).
fn unit_inputs(
    cache: &Cache,
    report: &Report,
    lookup: &Lookup<'_>,
    unit: &str,
    files: &[&FileRecord],
) -> String {
    let from = report.readings.partition_point(|r| r.unit.as_str() < unit);
    let to = report.readings.partition_point(|r| r.unit.as_str() <= unit);
    let mut h = HashWriter::new();
    let all = (
        lookup.unit_findings(unit),
        files,
        &report.readings[from..to],
    );
    match serde_json::to_writer(&mut h, &all) {
        Ok(()) => cache.key(&[unit, &h.finish()]),
        Err(_) => String::new(),
    }
}
