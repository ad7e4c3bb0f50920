//! Drawing a run's workbooks: the consolidated workbook beside every unit's feedback, each left as it is when
//! what it is drawn from has not changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cache::{self, Cache, HashWriter, Stamp};
use crate::consolidate::model::{FileRecord, Lookup, Report};
use crate::consolidate::{cover, feedback, workbook};
use crate::error::Error;
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::plan::model::Unit;
use crate::settings::Settings;
use crate::validate::UnitFigures;
use crate::workspace::Workspace;

/// What a run's workbooks are drawn from.
pub struct Drawn<'a> {
    /// The report.
    pub report: &'a Report,
    /// Its figures by unit (see [`crate::validate::unit_figures`]).
    pub figures: &'a [UnitFigures],
    /// The plan.
    pub catalogue: &'a Catalogue,
    /// The settings.
    pub settings: &'a Settings,
    /// The period.
    pub period: Period,
}

/// Draws and writes the consolidated workbook and every unit's feedback, in parallel; returns their paths, and
/// the stamps for [`Cache::save_stamps`] to keep.
///
/// A workbook whose inputs are those it was last drawn from, and whose bytes are still those written then, is
/// left as it is: the same inputs would draw the same bytes. The two sides finish apart: should the consolidated
/// workbook fail, the feedback folder may already be new; no stamp is saved then, so the next run draws both.
/// `expect_change` says the run files new returns.
pub fn write_workbooks(
    ws: &Workspace,
    from: &Drawn<'_>,
    cache: &Cache,
    expect_change: bool,
) -> Result<(Vec<PathBuf>, BTreeMap<String, Stamp>), Error> {
    let &Drawn {
        report,
        figures,
        catalogue,
        settings,
        period,
    } = from;
    // The last run's stamps are read while the report is indexed.
    let (lookup, old) = rayon::join(|| Lookup::of(report), || cache.stamps());
    let name = workbook::file_name(catalogue, period);
    let consolidated = ws.period_dir(period).join(&name);
    let dir = ws.feedback_dir(period);
    let units = feedback::recipients(report, catalogue);
    let draw = Draw {
        report,
        figures,
        lookup: &lookup,
        catalogue,
        settings,
        period,
        cache,
        old: &old,
    };
    // The consolidated workbook is the longest single piece. A run that files new returns changes it, so it is
    // drawn at once, while the other side works out which feedback changed from each unit's figures' hash; its
    // own stamp, from those hashes, then says whether it is written. Drawing is never wrong, only sometimes not
    // needed.
    let clock = std::time::Instant::now();
    let (drawn, (inputs, feedback)) = rayon::join(
        || expect_change.then(|| draw.render(&consolidated)),
        || {
            rayon::join(
                || report_inputs(cache, report, figures),
                || draw.feedback(&units, &dir, figures),
            )
        },
    );
    let book = draw.consolidated(&name, &consolidated, inputs, drawn);
    log::info!(
        "the consolidated workbook done in {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let mut stamps = BTreeMap::new();
    stamps.insert(name, book?);
    stamps.extend(feedback?);
    let mut paths: Vec<PathBuf> = units
        .iter()
        .map(|u| dir.join(feedback::file_name(period, u)))
        .collect();
    paths.insert(0, consolidated);
    Ok((paths, stamps))
}

/// What both kinds of workbook are drawn from, and the stamps of the last run's.
struct Draw<'a> {
    report: &'a Report,
    figures: &'a [UnitFigures],
    lookup: &'a Lookup<'a>,
    catalogue: &'a Catalogue,
    settings: &'a Settings,
    period: Period,
    cache: &'a Cache,
    old: &'a BTreeMap<String, Stamp>,
}

impl Draw<'_> {
    /// The consolidated workbook, rendered to bytes; `path` is where it goes, for errors.
    fn render(&self, path: &Path) -> Result<Vec<u8>, Error> {
        workbook::render(
            self.report,
            self.lookup,
            self.catalogue,
            self.period,
            self.settings.timezone,
            path,
            workbook::Pieces {
                store: self.cache,
                figures: self.figures,
            },
        )
    }

    /// The consolidated workbook at `path`, written unless it is still the one its `inputs` gave; `drawn` is
    /// its bytes if they were drawn already.
    fn consolidated(
        &self,
        name: &str,
        path: &Path,
        inputs: String,
        drawn: Option<Result<Vec<u8>, Error>>,
    ) -> Result<Stamp, Error> {
        if let Some(stamp) = cache::unchanged(path, self.old.get(name), &inputs) {
            return Ok(stamp);
        }
        let bytes = match drawn {
            Some(drawn) => drawn?,
            None => self.render(path)?,
        };
        output::write_atomic(path, &bytes)?;
        Ok(Stamp {
            inputs,
            sha256: cache::sha256_hex(&bytes),
            seen: cache::Seen::of(path),
        })
    }

    /// One unit's feedback workbook as bytes; `path` is where it goes, for errors. A workbook that is its cover
    /// alone is drawn from one of its shape drawn before, when there is one.
    fn feedback_bytes(
        &self,
        unit: &Unit,
        path: &Path,
        patterns: &cover::Patterns,
    ) -> Result<Vec<u8>, Error> {
        let cover = feedback::cover(
            self.lookup,
            self.catalogue,
            self.settings,
            self.period,
            unit,
        );
        let shape = cover::Shape::of(&cover);
        if let Some(bytes) = shape.as_ref().and_then(|s| patterns.draw(s, &cover)) {
            return Ok(bytes);
        }
        let mut wb = feedback::build(&cover, self.lookup, self.catalogue, self.period, unit)
            .map_err(output::xlsx_err(path))?;
        let bytes = output::render(&mut wb, path)?;
        if let Some(shape) = shape {
            patterns.keep(shape, &cover, &bytes);
        }
        Ok(bytes)
    }

    /// Every unit's feedback in `dir`, with its stamp; a unit that no longer gets feedback loses the old one.
    fn feedback(
        &self,
        units: &[&Unit],
        dir: &Path,
        figures: &[UnitFigures],
    ) -> Result<Vec<(String, Stamp)>, Error> {
        let period = self.period;
        let mut files_of: HashMap<&str, Vec<&FileRecord>> = HashMap::new();
        for f in &self.report.files {
            files_of.entry(f.unit.as_str()).or_default().push(f);
        }
        let inputs: Vec<String> = units
            .par_iter()
            .map(|u| {
                let files = files_of.get(u.code.as_str()).map_or(&[][..], Vec::as_slice);
                unit_inputs(self.cache, self.lookup, &u.code, files, figures)
            })
            .collect();
        let keep: Vec<Option<Stamp>> = units
            .par_iter()
            .zip(&inputs)
            .map(|(u, inputs)| {
                let name = feedback::file_name(period, u);
                cache::unchanged(&dir.join(&name), self.old.get(&feedback_key(&name)), inputs)
            })
            .collect();
        // Few changes are written one by one into the folder as it is; many (a first run, a changed plan) into
        // a fresh folder that replaces it whole, which is far cheaper than a temp file and a rename each.
        let changed = keep.iter().filter(|k| k.is_none()).count();
        let in_place = dir.is_dir() && changed * 2 <= units.len();
        let target = if in_place {
            dir.to_path_buf()
        } else {
            output::staging_dir(dir)?
        };
        // New files in a fresh folder are created by one thread while the others draw: creating a file locks
        // its folder, and a second thread creating there waited on that lock with a core to itself.
        let patterns = cover::Patterns::default();
        let (to_writer, received) = std::sync::mpsc::sync_channel::<(PathBuf, Vec<u8>)>(64);
        let (drawn, written) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> Result<(), Error> {
                for (path, bytes) in received {
                    output::write_new(&path, &bytes)?;
                }
                Ok(())
            });
            let drawn = units
                .par_iter()
                .zip(&inputs)
                .zip(&keep)
                .filter(|(_, keep)| !in_place || keep.is_none())
                .map_with(to_writer, |to_writer, ((unit, inputs), keep)| {
                    let name = feedback::file_name(period, unit);
                    let path = target.join(&name);
                    // An unchanged workbook moves to the fresh folder as a second name for the same bytes; the
                    // new link moves its change time on.
                    if let Some(kept) = keep
                        && std::fs::hard_link(dir.join(&name), &path).is_ok()
                    {
                        let seen = cache::Seen::of(&path);
                        return Ok((
                            name,
                            Stamp {
                                seen,
                                ..kept.clone()
                            },
                        ));
                    }
                    let bytes = self.feedback_bytes(unit, &path, &patterns)?;
                    let sha256 = cache::sha256_hex(&bytes);
                    // A new file's look is taken once the writer is done with it.
                    let seen = if in_place {
                        output::write_atomic(&path, &bytes)?;
                        cache::Seen::of(&path)
                    } else {
                        // The writer stops only on an error, which it returns.
                        let _ = to_writer.send((path, bytes));
                        None
                    };
                    let inputs = inputs.clone();
                    Ok((
                        name,
                        Stamp {
                            inputs,
                            sha256,
                            seen,
                        },
                    ))
                })
                .collect::<Result<Vec<(String, Stamp)>, Error>>();
            let written = writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (drawn, written)
        });
        written?;
        let mut drawn = drawn?;
        drawn
            .par_iter_mut()
            .filter(|(_, stamp)| stamp.seen.is_none())
            .for_each(|(name, stamp)| stamp.seen = cache::Seen::of(&target.join(name)));
        log::info!(
            "drew {} feedback workbooks, {} of them from one of their shape",
            drawn.len(),
            patterns.used()
        );
        let mut stamps: Vec<(String, Stamp)> = drawn
            .into_iter()
            .map(|(name, stamp)| (feedback_key(&name), stamp))
            .collect();
        if !in_place {
            output::swap_dir(&target, dir)?;
            return Ok(stamps);
        }
        for (u, kept) in units.iter().zip(keep) {
            if let Some(kept) = kept {
                stamps.push((feedback_key(&feedback::file_name(period, u)), kept));
            }
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

/// The hex SHA-256 of a value's JSON; none if it cannot be written.
fn hash_json(value: &impl serde::Serialize) -> Option<String> {
    let mut h = HashWriter::new();
    // serde_json writes a token at a time: a buffer hands the hash whole blocks.
    let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut h);
    let written = serde_json::to_writer(&mut w, value).is_ok() && w.flush().is_ok();
    drop(w);
    written.then(|| h.finish())
}

/// What the consolidated workbook is drawn from: the whole report but its run's id and time, its figures by
/// their hashes. Empty, never equal to a stamp (the workbook is drawn), when any part could not be hashed.
fn report_inputs(cache: &Cache, report: &Report, figures: &[UnitFigures]) -> String {
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
        readings: _,
        trend,
    } = report;
    let all = (
        plan_id,
        period,
        tool_version,
        summary,
        files,
        findings,
        indicators,
        units,
        figures,
        trend,
    );
    hash_json(&all).map_or_else(String::new, |h| cache.key(&[&h]))
}

/// What a unit's feedback is drawn from: its findings, its files and its figures (the plan, the settings and
/// the period are in every key). Empty, never equal to a stamp, when a part could not be hashed.
fn unit_inputs(
    cache: &Cache,
    lookup: &Lookup<'_>,
    unit: &str,
    files: &[&FileRecord],
    figures: &[UnitFigures],
) -> String {
    let at = figures.partition_point(|f| &*f.unit < unit);
    // A unit without figures hashes none.
    let own = figures
        .get(at)
        .filter(|f| &*f.unit == unit)
        .map_or("", |f| f.hash.as_str());
    hash_json(&(lookup.unit_findings(unit), files))
        .map_or_else(String::new, |h| cache.key(&[unit, &h, own]))
}
