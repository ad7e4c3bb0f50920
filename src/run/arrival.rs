//! When each file arrived: the run that first recorded it in the ledger, and the time it was received then.
//!
//! The ledger's order is the order of arrival: a file first seen in a later run is newer than all seen before,
//! whatever modification time it carries; within one run the modification time breaks the tie.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use super::dispose::Candidate;
use crate::ledger::LedgerEntry;
use crate::workspace::Workspace;

/// Sets each candidate's arrival, received time and claimed future time from `ledger`, and takes out the
/// inbox copies a move across file systems left behind: returns those, with their hashes, for removal.
pub fn settle(
    ws: &Workspace,
    ledger: &[LedgerEntry],
    candidates: &mut Vec<Candidate>,
) -> Vec<(PathBuf, String)> {
    let inbox = ws.inbox();
    let filed_as = remember_arrivals(ws, ledger, candidates);
    for c in candidates.iter_mut() {
        c.future = (c.modified > c.mtime + std::time::Duration::from_secs(1)).then_some(c.modified);
    }
    // An inbox file whose recorded place already holds the same bytes, on another file system and with the same
    // modification time, is what a move across file systems left behind when killed between its copy and its
    // removal: it is not received again, only removed. Most runs have no inbox file the ledger knows: the
    // archive's ten thousand are then not indexed for none.
    if filed_as.is_empty() {
        return Vec::new();
    }
    let archived: HashMap<(String, String), PathBuf> = candidates
        .iter()
        .filter(|c| !c.path.starts_with(&inbox) && !c.sha256.is_empty())
        .map(|c| {
            (
                (c.sha256.clone(), super::shown(ws, &c.path)),
                c.path.clone(),
            )
        })
        .collect();
    let mut leftovers = Vec::new();
    for (i, location) in filed_as.into_iter().rev() {
        let copy = archived.get(&(candidates[i].sha256.clone(), location));
        if copy.is_some_and(|copy| left_behind(&candidates[i].path, copy)) {
            let c = candidates.remove(i);
            leftovers.push((c.path, c.sha256));
        }
    }
    leftovers
}

/// Sets from the ledger when each file arrived (the run that first recorded it), the time it was received then,
/// and the name it arrived under when its archived copy's name lost a clash. An archived file is found by where
/// it was filed; a file still in the inbox by its name and bytes (a run killed before moving it recorded it).
/// Two copies of the same bytes keep each its own time, so neither can take the other's place.
///
/// Returns, for each inbox file the ledger knows, its index and the place it was recorded as filed to.
fn remember_arrivals(
    ws: &Workspace,
    entries: &[LedgerEntry],
    candidates: &mut [Candidate],
) -> Vec<(usize, String)> {
    // foldhash, and the candidates on all cores: a province's ledger and archive are ten thousand each.
    let mut runs: foldhash::HashMap<&str, u64> = Default::default();
    let mut by_name: foldhash::HashMap<(&str, &str), (u64, &LedgerEntry)> = Default::default();
    let mut by_location: foldhash::HashMap<&str, (u64, &LedgerEntry)> = Default::default();
    for e in entries {
        let next = runs.len() as u64;
        let run = *runs.entry(e.run_id.as_str()).or_insert(next);
        by_name
            .entry((e.sha256.as_str(), e.name.as_str()))
            .or_insert((run, e));
        by_location.entry(e.location.as_str()).or_insert((run, e));
    }
    let inbox = ws.inbox();
    let filed_as = candidates.par_iter_mut().enumerate().map(|(i, c)| {
        let in_inbox = c.path.starts_with(&inbox);
        let found = if in_inbox {
            by_name.get(&(c.sha256.as_str(), c.name.as_str()))
        } else {
            by_location.get(super::shown(ws, &c.path).as_str())
        };
        let Some(&(run, e)) = found else {
            // An archived file the ledger does not know (the ledger was lost) came before anything new.
            if !in_inbox {
                log::warn!(
                    "{} is not in the ledger {}; taking it as received before this run",
                    c.path.display(),
                    ws.ledger_path().display()
                );
                c.arrival = 0;
            }
            return None;
        };
        c.arrival = run;
        if c.name != e.name {
            c.name = e.name.clone();
        }
        if let Ok(t) = e.first_seen.parse::<jiff::Timestamp>() {
            c.mtime = SystemTime::try_from(t).unwrap_or(c.mtime);
        }
        in_inbox.then(|| (i, e.location.clone()))
    });
    filed_as.flatten().collect()
}

/// Whether `original` is the source of a copy across file systems that was made (`copy`, same time, another
/// device) but not yet removed.
fn left_behind(original: &Path, copy: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(original), std::fs::metadata(copy)) {
        (Ok(a), Ok(b)) => a.dev() != b.dev() && a.modified().ok() == b.modified().ok(),
        _ => false,
    }
}
