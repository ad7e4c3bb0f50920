//! `huizong watch`: process returns as they land, each once its file has stopped changing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher;

use crate::error::Error;
use crate::ingest::scan::{self, Entry};
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::workspace::Workspace;

/// How long after its last change a file that fails to read counts as possibly still being written (as `run`
/// judges it), plus a margin.
const RECENT: Duration = crate::run::STILL_WRITING.saturating_add(Duration::from_secs(2));

/// A file's size and modification time: it is stable when these stop changing.
type Stamp = (u64, SystemTime);

/// Watches the inbox until Ctrl-C (or SIGTERM); runs the period of each file that has become stable.
///
/// `fallback` is the period for files that say none (unreadable, unidentified). With `fetch_every`, new mail
/// is fetched from the office mailbox into the inbox at that interval.
pub fn watch(
    ws: &Workspace,
    fallback: Period,
    stable: Duration,
    fetch_every: Option<Duration>,
) -> Result<(), Error> {
    let catalogue = crate::plan::load(&ws.plan_path())?;
    let settings = Settings::load(&ws.settings_path())?;
    let inbox = ws.inbox();
    std::fs::create_dir_all(&inbox).map_err(Error::io(&inbox))?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            log::warn!("cannot catch Ctrl-C ({e}); stop watch with SIGKILL, it is safe");
        }
    }
    // inotify wakes the loop as soon as something changes; without it the loop simply polls.
    let (tx, rx) = mpsc::channel();
    let _watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reading a file (watch's own scans and runs) is an event too: only changes, and a writer closing its
        // file, wake the loop, or it would wake itself for as long as files wait in the inbox.
        use notify::event::{AccessKind, AccessMode, EventKind};
        let read_only = event.is_ok_and(
            |e| matches!(e.kind, EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write)),
        );
        if !read_only {
            let _ = tx.send(());
        }
    })
    .and_then(|mut w| {
        w.watch(&inbox, notify::RecursiveMode::Recursive)
            .map(|()| w)
    })
    .map_err(|e| log::warn!("file notifications unavailable ({e}); polling the inbox every second"))
    .ok();
    log::info!(
        "watching {} (files are read once unchanged for {stable:?}); Ctrl-C stops",
        inbox.display()
    );

    let mut seen: HashMap<PathBuf, (Stamp, Instant)> = HashMap::new();
    let mut done: HashSet<(PathBuf, Stamp)> = HashSet::new();
    let mut recheck: Vec<(PathBuf, Stamp, Instant)> = Vec::new();
    let mut fetched: Option<Instant> = None;
    // A run re-reads the whole period (from the cache) and redraws its outputs, so it costs in proportion to
    // the returns already in. After each run watch rests as long as the run took: files that land meanwhile
    // wait and are taken together, so a flood of arrivals is taken in ever larger batches (the total work stays
    // linear in the number of files) and watch never takes more than half the machine's time, while a file
    // arriving alone is still taken at once.
    let mut rest_until = Instant::now();
    let mut told_waiting = false;
    while !stop.load(Ordering::SeqCst) {
        // Fetched files are stamped as they land, before the clock that times their stability is read.
        if let Some(every) = fetch_every
            && fetched.is_none_or(|t| t.elapsed() >= every)
        {
            // A mailbox that cannot be reached now is tried again at the next poll; watch goes on.
            match crate::fetch::fetch(ws) {
                Ok(f) => print!("{}", crate::fetch::render(&f)),
                Err(e) if e.is_usage() => return Err(e),
                Err(e) => log::warn!("fetch failed: {e}"),
            }
            fetched = Some(Instant::now());
        }
        let now = Instant::now();
        let mut ready: Vec<PathBuf> = Vec::new();
        // The inbox itself may vanish (a share unmounted, a folder replaced): wait for it to come back.
        let entries = match scan::scan(&inbox) {
            Ok(e) => e,
            Err(e) => {
                log::warn!("cannot list {} ({e}); trying again", inbox.display());
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let present: HashSet<PathBuf> = entries
            .iter()
            .map(|e| scan::path_of(e).to_path_buf())
            .collect();
        seen.retain(|p, _| present.contains(p));
        for entry in entries {
            let Entry::File(path) = entry else { continue };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let stamp = (
                meta.len(),
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            );
            if done.contains(&(path.clone(), stamp)) {
                continue;
            }
            match seen.get(&path) {
                Some((s, since)) if *s == stamp => {
                    if now.duration_since(*since) >= stable {
                        ready.push(path);
                    }
                }
                _ => {
                    seen.insert(path, (stamp, now));
                }
            }
        }
        if !ready.is_empty() && now < rest_until {
            if !told_waiting {
                log::info!(
                    "{} files ready; the next run starts in {:.1} s",
                    ready.len(),
                    (rest_until - now).as_secs_f64()
                );
                told_waiting = true;
            }
            ready.clear();
        }
        if !ready.is_empty() {
            told_waiting = false;
            let started = Instant::now();
            let mut periods: Vec<Period> = ready
                .iter()
                .map(|p| period_of(p, &catalogue, &settings, fallback))
                .collect();
            periods.sort();
            periods.dedup();
            let mut retry = false;
            for period in periods {
                let result = match crate::run::run_settled(ws, period, stable.max(settings.settle))
                {
                    Ok(r) => r,
                    // A broken plan or settings will not mend by waiting.
                    Err(e) if e.is_usage() => return Err(e),
                    // A busy workspace, a vanished file, a full disk: say so and try again later.
                    Err(e) => {
                        log::warn!(
                            "the run for {period} did not finish: {e}; trying again shortly"
                        );
                        retry = true;
                        continue;
                    }
                };
                for f in &result.report.files {
                    if ready
                        .iter()
                        .any(|p| crate::run::received_name(p, &inbox) == f.name)
                    {
                        log::info!(
                            "{}: {} for {} ({})",
                            f.name,
                            f.disposition.name(),
                            period,
                            f.location
                        );
                        println!(
                            "{}\t{}\t{}\t{}",
                            period,
                            f.disposition.name(),
                            f.name.replace(['\n', '\r', '\t'], " "),
                            f.location
                        );
                    }
                }
            }
            rest_until = Instant::now() + started.elapsed();
            if retry {
                let _ = rx.recv_timeout(Duration::from_secs(2));
                continue;
            }
            // Whatever is still in the inbox with the same stamp (ignored, for another period) is not re-run; but a
            // file the run left as possibly still being written (recently modified) is looked at again once it
            // is old enough for the run to judge it.
            for path in ready {
                if let Ok(meta) = std::fs::metadata(&path) {
                    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    let stamp = (meta.len(), modified);
                    if let Ok(age) = SystemTime::now().duration_since(modified)
                        && age < RECENT
                    {
                        recheck.push((path.clone(), stamp, Instant::now() + (RECENT - age)));
                    }
                    done.insert((path, stamp));
                }
            }
        }
        let now = Instant::now();
        recheck.retain(|(path, stamp, at)| {
            if *at > now {
                return true;
            }
            done.remove(&(path.clone(), *stamp));
            false
        });
        let tick = Duration::from_millis(500);
        let wait = if told_waiting {
            rest_until
                .saturating_duration_since(Instant::now())
                .min(tick)
        } else {
            tick
        };
        let _ = rx.recv_timeout(wait);
        while rx.try_recv().is_ok() {}
    }
    log::info!("watch stopped");
    Ok(())
}

/// The period a file reports, read from the file itself; `fallback` when it says none or cannot be read.
fn period_of(
    path: &std::path::Path,
    catalogue: &Catalogue,
    settings: &Settings,
    fallback: Period,
) -> Period {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(bytes) = std::fs::read(path) else {
        return fallback;
    };
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    let from_name =
        || crate::ingest::parse::parse_period(stem, catalogue.plan.year).unwrap_or(fallback);
    match crate::ingest::load(&bytes, settings) {
        Ok((_, book)) => crate::ingest::parse::parse(&book, &name, catalogue, fallback)
            .map(|r| r.period)
            .unwrap_or_else(|_| from_name()),
        Err(_) => from_name(),
    }
}
