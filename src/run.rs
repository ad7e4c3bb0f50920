//! One period's run: the stages in order, then the archive moves.
//!
//! The outbox folders of a period are its state: every run re-reads the period's archive (accepted, duplicate
//! and rejected files) together with the new files in the inbox, so a re-run with nothing new gives the same
//! report, and a run killed at any moment is repaired by running again. Files move only after the outputs
//! are durably written.

mod arrival;
mod cache;
mod complete;
mod dispose;
mod draw;
mod gather;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use cache::{Cache, Seen};
use complete::completeness;
use dispose::{Candidate, Outcome, Place, decide, disposition_finding, future_finding};
pub use gather::{STILL_WRITING, received_name};

use crate::consolidate::model::{Disposition, FileRecord, Report, Summary, tables};
use crate::error::Error;
use crate::finding::{Code, Severity};
use crate::ledger::{self, LedgerEntry};
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::validate::{self, CheckedReturn, Context};
use crate::workspace::Workspace;

/// What `run` hands back to the CLI.
pub struct RunResult {
    /// The report as written.
    pub report: Report,
    /// Where report.json is.
    pub report_path: PathBuf,
    /// The consolidated workbook first, then each unit's feedback.
    pub workbooks: Vec<PathBuf>,
}

/// What a period's run would do, worked out without changing anything.
pub struct Assessment {
    /// The report the run writes.
    pub report: Report,
    /// Its figures by unit.
    figures: Vec<validate::UnitFigures>,
    catalogue: std::sync::Arc<Catalogue>,
    settings: Settings,
    run_id: String,
    /// Each inbox file to move.
    moves: Vec<Move>,
    /// Inbox copies of files already filed (a move across file systems killed before its removal), with hashes.
    leftovers: Vec<(PathBuf, String)>,
    /// The ledger as the run found it: under the run's lock, as it still is when the run adds to it.
    ledger: Vec<LedgerEntry>,
    /// What earlier runs learned, and what this one adds.
    cache: Cache,
}

/// One planned move out of the inbox.
struct Move {
    from: PathBuf,
    /// The exact destination, reserved while assessing so that no two moves claim one name.
    to: PathBuf,
    /// Index into `report.files`.
    record: usize,
    /// The code a rejected file was rejected with.
    code: Option<Code>,
    /// What the run read: a copy across file systems must match it.
    sha256: String,
    /// How the file looked when it was read (see [`Cache::keep_moved`]).
    seen: Option<Seen>,
}

/// Runs one period over a workspace: assess, write the outputs, then move the files. Holds the workspace lock.
pub fn run(ws: &Workspace, period: Period) -> Result<RunResult, Error> {
    let settings = Settings::load(&ws.settings_path())?;
    run_settled(ws, period, settings.settle)
}

/// [`run`], leaving in the inbox every file modified less than `settle` ago: it may still be being written.
pub fn run_settled(
    ws: &Workspace,
    period: Period,
    settle: std::time::Duration,
) -> Result<RunResult, Error> {
    // The plan is checked (and its store kept) while the period's cache is read: neither writes what the other
    // reads, and a province's plan takes a fifth of a second to check. The run reads the plan again once it holds
    // the lock, and keeps nothing learned from a plan that changed meanwhile (see `Cache::made_for`).
    let (checked, cache) = rayon::join(|| ws.check(true), || Cache::open(ws, period, true));
    checked?;
    let settings = Settings::load(&ws.settings_path())?;
    let _lock = crate::lock::acquire(
        ws,
        &format!("huizong run --period {period}"),
        settings.lock_wait,
    )?;
    for dir in [ws.period_dir(period), ws.inbox()] {
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    }
    crate::output::remove_stale_temps(&ws.period_dir(period));
    ledger::remove_orphan_reasons(&ws.rejected_dir(period));
    let assessment = assess_settled(ws, period, settle, cache)?;
    let (cache_hits, unread) = (assessment.cache.hits(), assessment.cache.unread());
    let result = commit(ws, period, assessment)?;
    log::info!(
        "reused what earlier runs read from {cache_hits} files ({unread} known by their look, not read again)"
    );
    Ok(result)
}

/// Reads the inbox and the period's archive and builds the report; writes and moves nothing.
pub fn assess(ws: &Workspace, period: Period) -> Result<Assessment, Error> {
    let settings = Settings::load(&ws.settings_path())?;
    assess_settled(ws, period, settings.settle, Cache::open(ws, period, false))
}

/// The parts laid end to end, moved on all cores: on one core it took a province's run 0.07 s, most of it the
/// first touch of the new memory. Sized once: doubling would hold the old and the new copy at once.
fn concat<T: Send>(parts: Vec<Vec<T>>) -> Vec<T> {
    let total = parts.iter().map(Vec::len).sum();
    let mut all: Vec<T> = Vec::with_capacity(total);
    let mut slots = &mut all.spare_capacity_mut()[..total];
    let mut pairs = Vec::with_capacity(parts.len());
    for part in parts {
        let (these, rest) = slots.split_at_mut(part.len());
        pairs.push((these, part));
        slots = rest;
    }
    pairs.into_par_iter().for_each(|(these, part)| {
        for (slot, item) in these.iter_mut().zip(part) {
            slot.write(item);
        }
    });
    // SAFETY: the parts filled the first `total` slots, each slot once: a part's items are exactly its length.
    unsafe { all.set_len(total) };
    all
}

fn assess_settled(
    ws: &Workspace,
    period: Period,
    settle: std::time::Duration,
    cache: Cache,
) -> Result<Assessment, Error> {
    let catalogue = crate::plan::load(&ws.plan_path())?;
    let settings = Settings::load(&ws.settings_path())?;
    let cache = if cache.made_for(ws) {
        cache
    } else {
        log::warn!("the plan or settings changed as the run began; what it reads is not cached");
        Cache::none()
    };
    let inbox = ws.inbox();

    let run_time = jiff::Timestamp::now();
    let run_id = format!(
        "{}-{}",
        run_time.strftime("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );

    let gather::Gathered {
        files: paths,
        ignored,
    } = gather::gather(ws, period, settle)?;
    let arrivals = crate::fetch::state::Arrivals::load(ws);
    log::info!("reading {} files for {period}", paths.len());
    let clock = std::time::Instant::now();
    let progress = progress_bar(paths.len());
    let (ledger, mut candidates) = rayon::join(
        || {
            catalogue.prepare();
            ledger::read(&ws.ledger_path())
        },
        || -> Vec<Candidate> {
            paths
                .into_par_iter()
                .map(|(path, place, base)| {
                    let known = gather::Known {
                        arrivals: &arrivals,
                        cache: &cache,
                    };
                    let c =
                        gather::examine(path, place, &base, &catalogue, &settings, period, known);
                    progress.inc(1);
                    c
                })
                .collect()
        },
    );
    progress.finish_and_clear();
    log::info!(
        "read {} files in {:.3} s",
        candidates.len(),
        clock.elapsed().as_secs_f64()
    );
    gather::keep_names_apart(&mut candidates);
    let leftovers = arrival::settle(ws, &ledger, &mut candidates);
    candidates.sort_by(|a, b| (a.place, a.arrival_key()).cmp(&(b.place, b.arrival_key())));

    let due = SystemTime::try_from(settings.deadline(period)).unwrap_or(SystemTime::UNIX_EPOCH);
    let ctx = Context {
        catalogue: &catalogue,
        settings: &settings,
        period,
    };
    let dispositions = decide(&candidates, period, |t| {
        local_time(&timestamp(t), &settings)
    });
    // Each return was checked on its own as it was read (or its checks read back from the cache). The figures of
    // those not used are no longer needed, only who sent them for when: freed before drawing.
    let mut accepted: Vec<CheckedReturn> = Vec::new();
    for (c, (d, _)) in candidates.iter_mut().zip(&dispositions) {
        if let Outcome::Parsed(p) = &mut c.outcome
            && let Some(checked) = p.checked.take()
            && *d == Disposition::Accepted
        {
            // Checked under the name it was read under, before two names that display alike were told apart.
            accepted.push(if checked.file == c.name {
                checked
            } else {
                checked.renamed(&c.name)
            });
        }
    }
    log::info!(
        "using {} returns at {:.3} s",
        accepted.len(),
        clock.elapsed().as_secs_f64()
    );

    // Neither check reads what the other finds.
    let (mut findings, (history, against_history)) = rayon::join(
        || validate::check_county_sums(&accepted, &ctx),
        || {
            let history = validate::History::load(&ws.root.join("outbox"), period);
            let mut found = complete::missing_history(ws, period, &history, &ledger);
            found.extend(validate::check_history(&accepted, &history, &ctx));
            (history, found)
        },
    );
    findings.extend(against_history);
    // Laid out by unit and indicator already, so that the sort below has only to confirm it: moving a province's
    // readings about in memory cost more than all its lookups.
    accepted.sort_by(|a, b| a.unit.cmp(&b.unit));
    let order = |a: &validate::Reading, b: &validate::Reading| {
        let unit = if a.same_unit(b) {
            std::cmp::Ordering::Equal
        } else {
            a.unit.cmp(&b.unit)
        };
        unit.then_with(|| a.indicator.cmp(&b.indicator))
    };
    // A return taken from the cache comes sorted: the check spares a province's run moving its readings about.
    accepted.par_iter_mut().for_each(|r| {
        if !r.readings.is_sorted_by(|a, b| order(a, b).is_le()) {
            r.readings.sort_by(order);
            r.figures = None;
        }
    });
    // Each return's readings sorted and all of its own unit (its first and last are), and no unit twice: laid
    // end to end they are in the report's order, each unit's run one return's readings, known by the hash its
    // return brought from the cache or hashed now. Otherwise the readings are sorted and each unit's run hashed
    // whole, but for a unit's one return that brought its hash.
    let apart = accepted.windows(2).all(|w| w[0].unit < w[1].unit)
        && accepted.iter().all(|r| {
            [r.readings.first(), r.readings.last()]
                .iter()
                .flatten()
                .all(|x| *x.unit == *r.unit)
        });
    let figures = if apart {
        Figures::Known(
            accepted
                .par_iter()
                .filter(|r| !r.readings.is_empty())
                .map(|r| validate::UnitFigures {
                    unit: std::sync::Arc::clone(&r.readings[0].unit),
                    len: r.readings.len(),
                    hash: r
                        .figures
                        .clone()
                        .unwrap_or_else(|| validate::hash_readings(&r.readings)),
                })
                .collect(),
        )
    } else {
        Figures::Brought(
            accepted
                .chunk_by(|a, b| a.unit == b.unit)
                .filter_map(|returns| match returns {
                    [r] => r
                        .figures
                        .as_ref()
                        .map(|h| (r.unit.clone(), (r.readings.len(), h.clone()))),
                    _ => None,
                })
                .collect(),
        )
    };
    let mut parts = Vec::with_capacity(accepted.len());
    for r in accepted {
        findings.extend(r.findings);
        parts.push(r.readings);
    }
    let mut readings = concat(parts);
    let mut files = Vec::new();
    let mut moves: Vec<(usize, PathBuf, Option<Code>)> = Vec::new();
    let mut reserved = ledger::Reserved::default();
    for (i, (c, (disposition, reason))) in candidates.iter().zip(&dispositions).enumerate() {
        let (unit, p) = match &c.outcome {
            Outcome::Parsed(p) => (p.unit.clone(), p.period.to_string()),
            _ => (c.unit_hint.clone(), String::new()),
        };
        let filed_as = disposition_finding(c, *disposition, reason, &unit);
        let code = filed_as.as_ref().map(|f| f.code);
        findings.extend(filed_as);
        // A file left in the inbox is judged when it is filed; until then it is shown with the time it claims.
        let stays = matches!(disposition, Disposition::OtherPeriod | Disposition::Ignored);
        if let Some(claimed) = c.future.filter(|_| !stays) {
            findings.push(future_finding(
                c,
                &local_time(&timestamp(claimed), &settings),
                &local_time(&timestamp(c.mtime), &settings),
                &unit,
            ));
        }
        let target_dir = match disposition {
            Disposition::Accepted | Disposition::Superseded => Some(ws.accepted_dir(period)),
            Disposition::Duplicate => Some(ws.duplicates_dir(period)),
            Disposition::Rejected => Some(ws.rejected_dir(period)),
            Disposition::OtherPeriod | Disposition::Ignored => None,
        };
        // Only new files move; a rejected file read afresh stays put when it is rejected again.
        let location = match target_dir {
            Some(dir) if c.place == Place::Inbox && !c.path.starts_with(&dir) => {
                let planned = ledger::unique_path(&dir, &c.rel, &reserved);
                reserved.insert(planned.clone());
                moves.push((i, planned.clone(), code));
                planned
            }
            Some(_) if c.place == Place::Inbox => {
                moves.push((i, c.path.clone(), code));
                c.path.clone()
            }
            _ => c.path.clone(),
        };
        files.push(FileRecord {
            name: c.name.clone(),
            sha256: c.sha256.clone(),
            size: c.size,
            received: timestamp(if stays { c.modified } else { c.mtime }),
            format: c.format.clone(),
            unit,
            period: p,
            disposition: *disposition,
            reason: reason.clone(),
            location: shown(ws, &location),
            late: false,
        });
    }
    // A unit is late when its first usable return came after the deadline; a later correction is not late.
    let mut first_usable: HashMap<&str, SystemTime> = HashMap::new();
    for (c, (d, _)) in candidates.iter().zip(&dispositions) {
        if let (Outcome::Parsed(p), Disposition::Accepted | Disposition::Superseded) =
            (&c.outcome, d)
            && p.period == period
        {
            let t = first_usable.entry(p.unit.as_str()).or_insert(c.mtime);
            *t = (*t).min(c.mtime);
        }
    }
    for f in files
        .iter_mut()
        .filter(|f| f.disposition == Disposition::Accepted)
    {
        f.late = first_usable.get(f.unit.as_str()).is_some_and(|t| *t > due);
    }
    for (path, why) in &ignored {
        files.push(FileRecord {
            name: gather::received_name(path, &inbox),
            sha256: String::new(),
            size: 0,
            received: String::new(),
            format: String::new(),
            unit: String::new(),
            period: String::new(),
            disposition: Disposition::Ignored,
            reason: (*why).to_string(),
            location: shown(ws, path),
            late: false,
        });
    }
    // The report lists files by name, whatever folder each sat in when the run began, so that a run
    // interrupted half-way through its moves and run again reports exactly what an uninterrupted one would.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| {
        (&files[a].name, &files[a].location).cmp(&(&files[b].name, &files[b].location))
    });
    let mut position = vec![0; files.len()];
    for (new, &old) in order.iter().enumerate() {
        position[old] = new;
    }
    let mut slots: Vec<Option<FileRecord>> = files.into_iter().map(Some).collect();
    let files: Vec<FileRecord> = order
        .iter()
        .map(|&i| slots[i].take().expect("each file once"))
        .collect();
    let moves: Vec<(usize, PathBuf, Option<Code>)> = moves
        .into_iter()
        .map(|(i, to, code)| (position[i], to, code))
        .collect();
    findings.extend(completeness(&catalogue, &settings, period, &files));
    findings.sort_by(|a, b| {
        (
            a.severity,
            &a.unit,
            &a.indicator,
            &a.file,
            &a.cell,
            a.code,
            &a.message,
        )
            .cmp(&(
                b.severity,
                &b.unit,
                &b.indicator,
                &b.file,
                &b.cell,
                b.code,
                &b.message,
            ))
    });
    findings.dedup();

    let figures = match figures {
        Figures::Known(figures) => figures,
        Figures::Brought(known) => {
            readings.sort_by(|a, b| (&a.unit, &a.indicator).cmp(&(&b.unit, &b.indicator)));
            validate::unit_figures(&readings, &known)
        }
    };
    let (indicators, units) = tables(&ctx, &readings, &findings, &files);
    let count = |d: Disposition| files.iter().filter(|f| f.disposition == d).count();
    let severity = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        files_in: files.len(),
        accepted: count(Disposition::Accepted),
        rejected: count(Disposition::Rejected),
        duplicate: count(Disposition::Duplicate),
        superseded: count(Disposition::Superseded),
        other_period: count(Disposition::OtherPeriod),
        ignored: count(Disposition::Ignored),
        errors: severity(Severity::Error),
        warnings: severity(Severity::Warning),
        infos: severity(Severity::Info),
    };
    let trend = crate::consolidate::model::trend(&ctx, &history, &readings, &findings);
    let report = Report {
        plan_id: catalogue.plan.id.clone(),
        period: period.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id: run_id.clone(),
        run_time: run_time.to_string(),
        summary,
        files,
        findings,
        indicators,
        units,
        trend,
        readings,
    };

    let moves = moves
        .into_iter()
        .map(|(i, to, code)| Move {
            from: candidates[order[i]].path.clone(),
            to,
            record: i,
            code,
            sha256: candidates[order[i]].sha256.clone(),
            seen: candidates[order[i]].seen.clone(),
        })
        .collect();
    log::info!("assessed at {:.3} s", clock.elapsed().as_secs_f64());
    Ok(Assessment {
        report,
        figures,
        catalogue,
        settings,
        run_id,
        moves,
        leftovers,
        ledger,
        cache,
    })
}

/// How a run knows each unit's figures (see [`validate::UnitFigures`]).
enum Figures {
    /// Every unit's, one return's readings each, in the report's order.
    Known(Vec<validate::UnitFigures>),
    /// The hashes units' one returns brought, by unit, with their readings' count: the rest are hashed once the
    /// readings are in order.
    Brought(HashMap<String, (usize, String)>),
}

/// Writes the report and the workbooks durably, then files every inbox file and records it in the ledger.
fn commit(ws: &Workspace, period: Period, a: Assessment) -> Result<RunResult, Error> {
    let Assessment {
        report,
        figures,
        catalogue,
        settings,
        run_id,
        moves,
        leftovers,
        ledger,
        cache,
    } = a;
    let clock = std::time::Instant::now();
    let report_path = ws.report_path(period);
    // report.json beside the workbooks: neither reads the other, and a run killed between them is redone whole.
    let (json, workbooks) = rayon::join(
        || {
            let written = output::write_large_atomic_with(&report_path, |w| {
                crate::consolidate::report_json::write(w, &report)
            });
            log::info!(
                "wrote report.json in {:.3} s",
                clock.elapsed().as_secs_f64()
            );
            written
        },
        || {
            let from = draw::Drawn {
                report: &report,
                figures: &figures,
                catalogue: &catalogue,
                settings: &settings,
                period,
            };
            draw::write_workbooks(ws, &from, &cache, !moves.is_empty())
        },
    );
    json?;
    let (workbooks, stamps) = workbooks?;
    log::info!(
        "wrote {} workbooks at {:.3} s",
        workbooks.len(),
        clock.elapsed().as_secs_f64()
    );

    // What the workbooks were drawn from is kept while the files are filed: neither reads what the other writes.
    let (filed, ()) = rayon::join(
        || file_inbox(ws, &report, &run_id, moves, &leftovers, &ledger, &cache),
        || cache.save_stamps(&stamps),
    );
    let filed = filed?;
    cache.save();
    log::info!(
        "filed {filed} files at {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    Ok(RunResult {
        report,
        report_path,
        workbooks,
    })
}

/// Records every inbox file in the ledger, then moves it to its place, and flushes the folders; returns how many
/// were filed.
fn file_inbox(
    ws: &Workspace,
    report: &Report,
    run_id: &str,
    moves: Vec<Move>,
    leftovers: &[(PathBuf, String)],
    ledger: &[LedgerEntry],
    cache: &Cache,
) -> Result<usize, Error> {
    // The ledger records each file before it moves: a run killed between the two leaves a record of a file
    // still in the inbox, never a moved file that no record mentions. A file already recorded at the same place
    // with the same bytes (by a run killed before its move) is not recorded twice.
    let known: HashSet<(&str, &str)> = ledger
        .iter()
        .map(|e| (e.sha256.as_str(), e.location.as_str()))
        .collect();
    let mut moves = moves;
    // Used files first: a run killed half-way has filed originals before their copies and corrections.
    moves.sort_by_key(|m| match report.files[m.record].disposition {
        Disposition::Accepted => 0,
        Disposition::Superseded => 1,
        Disposition::Rejected => 2,
        _ => 3,
    });
    let entries: Vec<LedgerEntry> = moves
        .iter()
        .map(|m| {
            let record = &report.files[m.record];
            LedgerEntry {
                run_id: run_id.to_string(),
                name: record.name.clone(),
                sha256: record.sha256.clone(),
                size: record.size,
                first_seen: record.received.clone(),
                unit: record.unit.clone(),
                period: record.period.clone(),
                disposition: record.disposition.name().to_string(),
                reason: record.reason.clone(),
                location: shown(ws, &m.to),
                batch: 0,
            }
        })
        .filter(|e| !known.contains(&(e.sha256.as_str(), e.location.as_str())))
        .collect();
    ledger::append(&ws.ledger_path(), &entries)?;
    let inbox = ws.inbox();
    for (path, sha256) in leftovers {
        ledger::remove_if_same(path, sha256)?;
        remove_empty_folders(path, &inbox);
    }
    let mut touched: Vec<PathBuf> = vec![inbox.clone()];
    for m in &moves {
        let record = &report.files[m.record];
        if record.disposition == Disposition::Rejected {
            output::write_atomic(
                &ledger::reason_path(&m.to),
                reason_text(record, m.code).as_bytes(),
            )?;
        }
        if m.from == m.to {
            continue;
        }
        if let Err(e) = ledger::move_to(&m.from, &m.to, &m.sha256) {
            // A file that vanished, or changed after it was read, is not the run's to file: the next run sees
            // whatever is there then. Any other failure (a full disk) stops the run.
            let changed = matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData);
            if m.from.exists() && !changed {
                return Err(e);
            }
            log::warn!("{}: not filed: {e}", m.from.display());
            continue;
        }
        if let Some(seen) = &m.seen {
            cache.keep_moved(&m.to, seen, &m.sha256);
        }
        // A rejected file read afresh leaves its old reason behind.
        if !m.from.starts_with(&inbox) {
            let _ = std::fs::remove_file(ledger::reason_path(&m.from));
        }
        remove_empty_folders(&m.from, &inbox);
        for dir in [m.to.parent(), m.from.parent()].into_iter().flatten() {
            touched.push(dir.to_path_buf());
        }
    }
    touched.sort();
    touched.dedup();
    for dir in touched.iter().filter(|d| d.is_dir()) {
        output::sync_dir(dir)?;
    }
    Ok(moves.len())
}

/// A path inside the workspace as report and ledger record it: one string for one path (bytes that are not
/// UTF-8 written `\xNN`).
fn shown(ws: &Workspace, path: &Path) -> String {
    crate::ingest::scan::exact_path(ws.relative(path))
}

/// Removes the sub-folders of the inbox that `moved` left empty (an unpacked archive, now filed).
fn remove_empty_folders(moved: &Path, inbox: &Path) {
    let mut dir = moved.parent();
    while let Some(d) = dir {
        if d == inbox || !d.starts_with(inbox) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// An RFC 3339 time as people read it, in the plan's time zone: `2020-11-06 09:30`.
fn local_time(rfc3339: &str, settings: &Settings) -> String {
    crate::display::time_text(rfc3339, settings.timezone)
}

fn reason_text(record: &FileRecord, code: Option<Code>) -> String {
    ledger::reason_file_text(&record.name, &record.sha256, code, &record.reason)
}

fn timestamp(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        indicatif::ProgressBar::new(len as u64)
    } else {
        indicatif::ProgressBar::hidden()
    }
}

#[cfg(test)]
mod tests {
    use super::concat;

    #[test]
    fn parts_are_laid_end_to_end_in_their_order_and_none_is_lost() {
        let parts: Vec<Vec<String>> = vec![
            vec!["a".into(), "b".into()],
            vec![],
            (0..1000).map(|i| i.to_string()).collect(),
            vec!["z".into()],
        ];
        let expected: Vec<String> = parts.iter().flatten().cloned().collect();
        assert_eq!(concat(parts), expected);
        assert!(concat(Vec::<Vec<String>>::new()).is_empty());
        assert!(concat(vec![Vec::<String>::new(); 3]).is_empty());
    }
}
