//! One period's run: the stages in order, then the archive moves.
//!
//! The outbox folders of a period are its state: every run re-reads the period's archive (accepted, duplicate
//! and rejected files) together with the new files in the inbox, so a re-run with nothing new gives the same
//! report, and a run killed at any moment is repaired by running again. Files move only after the outputs
//! are durably written.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::consolidate::model::{Disposition, FileRecord, Lookup, Report, Summary, tables};
use crate::consolidate::{feedback, workbook};
use crate::error::Error;
use crate::finding::{Code, Finding, Severity};
use crate::ingest::parse::{NotUsable, ParsedReturn};
use crate::ingest::scan::{self, Entry};
use crate::ingest::sniff::Refusal;
use crate::ledger::{self, LedgerEntry};
use crate::output;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;
use crate::validate::{self, CheckedReturn, Context};
use crate::workspace::Workspace;

/// Where a candidate file sits when the run starts; archived files outrank new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Accepted,
    Duplicates,
    Rejected,
    Inbox,
}

/// A file the run considers, with what reading it gave.
struct Candidate {
    path: PathBuf,
    place: Place,
    name: String,
    size: u64,
    mtime: SystemTime,
    sha256: String,
    format: String,
    /// For a file that could not be read: the unit its name speaks of, so that it can be told.
    unit_hint: String,
    /// For a file in `rejected/`: the code and reason it was rejected with, from its `.reason.txt`.
    stored: Option<(Code, String)>,
    outcome: Outcome,
}

enum Outcome {
    Refused(Code, String),
    Parsed(Box<ParsedReturn>),
    Symlink,
    /// The file could not be opened now (permissions, removed meanwhile): left where it is.
    Unavailable(String),
}

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
    catalogue: Catalogue,
    settings: Settings,
    run_id: String,
    /// Each inbox file to move.
    moves: Vec<Move>,
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
    let assessment = assess_settled(ws, period, settle)?;
    commit(ws, period, assessment)
}

/// Reads the inbox and the period's archive and builds the report; writes and moves nothing.
pub fn assess(ws: &Workspace, period: Period) -> Result<Assessment, Error> {
    let settings = Settings::load(&ws.settings_path())?;
    assess_settled(ws, period, settings.settle)
}

fn assess_settled(
    ws: &Workspace,
    period: Period,
    settle: std::time::Duration,
) -> Result<Assessment, Error> {
    let catalogue = crate::plan::load(&ws.plan_path())?;
    let settings = Settings::load(&ws.settings_path())?;
    let inbox = ws.inbox();

    let run_time = jiff::Timestamp::now();
    let run_id = format!(
        "{}-{}",
        run_time.strftime("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );

    let (paths, ignored) = gather(ws, period, settle)?;
    let arrivals = crate::fetch::state::Arrivals::load(ws);
    log::info!("reading {} files for {period}", paths.len());
    let clock = std::time::Instant::now();
    let progress = progress_bar(paths.len());
    let mut candidates: Vec<Candidate> = paths
        .into_par_iter()
        .map(|(path, place)| {
            let c = examine(path, place, &catalogue, &settings, period, &arrivals);
            progress.inc(1);
            c
        })
        .collect::<Result<_, _>>()?;
    progress.finish_and_clear();
    log::info!(
        "read {} files in {:.3} s",
        candidates.len(),
        clock.elapsed().as_secs_f64()
    );
    // What the ledger remembers: when content was first seen (by hash), and for an archived file the name it
    // arrived under (by where it was put), which its archived copy may have lost to a clash.
    let entries = ledger::read(&ws.ledger_path());
    let mut first_seen: HashMap<&str, &str> = HashMap::new();
    let mut arrived_as: HashMap<&str, &str> = HashMap::new();
    for e in &entries {
        if !e.sha256.is_empty() {
            first_seen
                .entry(e.sha256.as_str())
                .or_insert(e.first_seen.as_str());
        }
        arrived_as.insert(e.location.as_str(), e.name.as_str());
    }
    for c in &mut candidates {
        if let Some(t) = first_seen
            .get(c.sha256.as_str())
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        {
            c.mtime = SystemTime::try_from(t).unwrap_or(c.mtime);
        } else if let Some(t) = arrivals.received(&c.name, &c.sha256) {
            // Fetched from the mailbox: received when the mail arrived, not when fetch saved it.
            c.mtime = t;
        }
        if c.place != Place::Inbox
            && let Some(name) = arrived_as.get(ws.relative(&c.path).to_string_lossy().as_ref())
        {
            c.name = (*name).to_string();
        }
    }
    candidates.sort_by(|a, b| (a.place, a.mtime, &a.name).cmp(&(b.place, b.mtime, &b.name)));

    let due = SystemTime::try_from(deadline(period, &settings)).unwrap_or(SystemTime::UNIX_EPOCH);
    let ctx = Context {
        catalogue: &catalogue,
        settings: &settings,
        period,
    };
    let dispositions = decide(&candidates, period);
    let checked: Vec<Option<CheckedReturn>> = candidates
        .par_iter()
        .zip(&dispositions)
        .map(|(c, (d, _))| match (&c.outcome, d) {
            (Outcome::Parsed(p), Disposition::Accepted) => {
                Some(validate::check_return(p, &c.name, &ctx))
            }
            _ => None,
        })
        .collect();
    let accepted: Vec<CheckedReturn> = checked.into_iter().flatten().collect();
    // The rows of every return are no longer needed, only who sent it for when: free them before drawing.
    for c in &mut candidates {
        if let Outcome::Parsed(p) = &mut c.outcome {
            p.rows = Vec::new();
            p.findings = Vec::new();
        }
    }
    log::info!(
        "validated {} returns at {:.3} s",
        accepted.len(),
        clock.elapsed().as_secs_f64()
    );

    let mut findings: Vec<Finding> = validate::check_county_sums(&accepted, &ctx);
    let history = validate::History::load(&ws.root.join("outbox"), period);
    findings.extend(validate::check_history(&accepted, &history, &ctx));
    let mut readings = Vec::new();
    for r in accepted {
        findings.extend(r.findings);
        readings.extend(r.readings);
    }
    let mut files = Vec::new();
    let mut moves: Vec<(usize, PathBuf, Option<Code>)> = Vec::new();
    let mut reserved: HashSet<PathBuf> = HashSet::new();
    for (i, (c, (disposition, reason))) in candidates.iter().zip(&dispositions).enumerate() {
        let (unit, p) = match &c.outcome {
            Outcome::Parsed(p) => (p.unit.clone(), p.period.to_string()),
            _ => (c.unit_hint.clone(), String::new()),
        };
        let filed_as = disposition_finding(c, *disposition, reason, &unit);
        let code = filed_as.as_ref().map(|f| f.code);
        findings.extend(filed_as);
        let target_dir = match disposition {
            Disposition::Accepted | Disposition::Superseded => ws.accepted_dir(period),
            Disposition::Duplicate => ws.duplicates_dir(period),
            Disposition::Rejected => ws.rejected_dir(period),
            Disposition::OtherPeriod | Disposition::Ignored => inbox.clone(),
        };
        let location = if c.place == Place::Inbox && target_dir != inbox {
            let planned = ledger::unique_path(&target_dir, &c.name, &reserved);
            reserved.insert(planned.clone());
            moves.push((i, planned.clone(), code));
            planned
        } else {
            c.path.clone()
        };
        files.push(FileRecord {
            name: c.name.clone(),
            sha256: c.sha256.clone(),
            size: c.size,
            received: timestamp(c.mtime),
            format: c.format.clone(),
            unit,
            period: p,
            disposition: *disposition,
            reason: reason.clone(),
            location: ws.relative(&location).to_string_lossy().into_owned(),
            late: false,
        });
    }
    // A unit is late when its first usable return came after the deadline; a later correction is not late.
    let mut first_usable: HashMap<&str, SystemTime> = HashMap::new();
    for (c, (d, _)) in candidates.iter().zip(&dispositions) {
        if let (Outcome::Parsed(p), Disposition::Accepted | Disposition::Superseded) =
            (&c.outcome, d)
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
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push(FileRecord {
            name,
            sha256: String::new(),
            size: 0,
            received: String::new(),
            format: String::new(),
            unit: String::new(),
            period: String::new(),
            disposition: Disposition::Ignored,
            reason: (*why).to_string(),
            location: ws.relative(path).to_string_lossy().into_owned(),
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

    readings.sort_by(|a, b| (&a.unit, &a.indicator).cmp(&(&b.unit, &b.indicator)));
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
        trend: crate::consolidate::model::trend(&ctx, &history, &readings),
        readings,
    };

    let moves = moves
        .into_iter()
        .map(|(i, to, code)| Move {
            from: candidates[order[i]].path.clone(),
            to,
            record: i,
            code,
        })
        .collect();
    log::info!("assessed at {:.3} s", clock.elapsed().as_secs_f64());
    Ok(Assessment {
        report,
        catalogue,
        settings,
        run_id,
        moves,
    })
}

/// Writes the report and the workbooks durably, then files every inbox file and records it in the ledger.
fn commit(ws: &Workspace, period: Period, a: Assessment) -> Result<RunResult, Error> {
    let Assessment {
        report,
        catalogue,
        settings,
        run_id,
        moves,
    } = a;
    let clock = std::time::Instant::now();
    let report_path = ws.report_path(period);
    output::write_atomic_with(&report_path, |w| {
        serde_json::to_writer_pretty(w, &report).map_err(std::io::Error::from)
    })?;
    log::info!(
        "wrote report.json in {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let workbooks = write_workbooks(ws, &report, &catalogue, &settings, period)?;
    log::info!(
        "wrote {} workbooks at {:.3} s",
        workbooks.len(),
        clock.elapsed().as_secs_f64()
    );

    // The ledger records each file before it moves: a run killed between the two leaves a record of a file
    // still in the inbox (the next run records it again), never a moved file that no record mentions.
    let entries: Vec<LedgerEntry> = moves
        .iter()
        .map(|m| {
            let record = &report.files[m.record];
            LedgerEntry {
                run_id: run_id.clone(),
                name: record.name.clone(),
                sha256: record.sha256.clone(),
                size: record.size,
                first_seen: record.received.clone(),
                unit: record.unit.clone(),
                period: record.period.clone(),
                disposition: record.disposition.name().to_string(),
                reason: record.reason.clone(),
                location: ws.relative(&m.to).to_string_lossy().into_owned(),
            }
        })
        .collect();
    ledger::append(&ws.ledger_path(), &entries)?;
    let mut touched: Vec<PathBuf> = vec![ws.inbox()];
    for m in &moves {
        let record = &report.files[m.record];
        if record.disposition == Disposition::Rejected {
            output::write_atomic(
                &ledger::reason_path(&m.to),
                reason_text(record, m.code).as_bytes(),
            )?;
        }
        ledger::move_to(&m.from, &m.to)?;
        if let Some(dir) = m.to.parent() {
            touched.push(dir.to_path_buf());
        }
    }
    touched.sort();
    touched.dedup();
    for dir in touched.iter().filter(|d| d.is_dir()) {
        output::sync_dir(dir)?;
    }
    log::info!(
        "moved {} files at {:.3} s",
        entries.len(),
        clock.elapsed().as_secs_f64()
    );
    Ok(RunResult {
        report,
        report_path,
        workbooks,
    })
}

/// Draws and writes the consolidated workbook and every unit's feedback, in parallel; returns their paths.
fn write_workbooks(
    ws: &Workspace,
    report: &Report,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
) -> Result<Vec<PathBuf>, Error> {
    let lookup = Lookup::of(report);
    let consolidated = ws
        .period_dir(period)
        .join(workbook::file_name(catalogue, period));
    let dir = ws.feedback_dir(period);
    let staging = output::staging_dir(&dir)?;
    let (book, feedback) = rayon::join(
        || -> Result<(), Error> {
            let clock = std::time::Instant::now();
            let mut book = workbook::build(report, &lookup, catalogue, period)
                .map_err(output::xlsx_err(&consolidated))?;
            output::save_workbook(&mut book, &consolidated)?;
            log::info!(
                "wrote the consolidated workbook in {:.3} s",
                clock.elapsed().as_secs_f64()
            );
            Ok(())
        },
        || -> Result<Vec<PathBuf>, Error> {
            feedback::recipients(report, catalogue)
                .par_iter()
                .map(|unit| {
                    let name = feedback::file_name(period, unit);
                    let path = staging.join(&name);
                    let mut wb = feedback::build(&lookup, catalogue, settings, period, unit)
                        .map_err(output::xlsx_err(&path))?;
                    output::save_workbook_new(&mut wb, &path)?;
                    Ok(dir.join(name))
                })
                .collect()
        },
    );
    book?;
    let mut paths = feedback?;
    output::swap_dir(&staging, &dir)?;
    paths.insert(0, consolidated);
    Ok(paths)
}

/// Lists the period's archive and the inbox: files to read, and entries left alone.
#[allow(clippy::type_complexity)]
fn gather(
    ws: &Workspace,
    period: Period,
    settle: std::time::Duration,
) -> Result<(Vec<(PathBuf, Place)>, Vec<(PathBuf, &'static str)>), Error> {
    let mut files = Vec::new();
    for (dir, place) in [
        (ws.accepted_dir(period), Place::Accepted),
        (ws.duplicates_dir(period), Place::Duplicates),
        (ws.rejected_dir(period), Place::Rejected),
    ] {
        if !dir.is_dir() {
            continue;
        }
        for entry in scan::scan(&dir).map_err(Error::io(&dir))? {
            if let Entry::File(p) | Entry::Symlink(p) = entry
                && !ledger::is_reason_file(&p)
            {
                files.push((p, place));
            }
        }
    }
    let inbox = ws.inbox();
    let mut ignored = Vec::new();
    let entries = if inbox.is_dir() {
        scan::scan(&inbox).map_err(Error::io(&inbox))?
    } else {
        Vec::new()
    };
    for entry in entries {
        match entry {
            Entry::File(p) if recently_modified(&p, settle) => {
                ignored.push((p, "still being written (modified moments ago)"))
            }
            Entry::File(p) | Entry::Symlink(p) => files.push((p, Place::Inbox)),
            Entry::Ignored(p, why) if p.file_name().is_some_and(|n| n != ".gitkeep") => {
                ignored.push((p, why))
            }
            Entry::Ignored(..) => {}
        }
    }
    Ok((files, ignored))
}

/// Whether the file changed less than `settle` ago (or claims a time in the future).
fn recently_modified(path: &std::path::Path, settle: std::time::Duration) -> bool {
    if settle.is_zero() {
        return false;
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| {
            SystemTime::now()
                .duration_since(t)
                .map_or(true, |age| age < settle)
        })
        .unwrap_or(false)
}

/// Reads one file and says what it is. Only an unreadable folder entry is an error; a bad file is an outcome.
fn examine(
    path: PathBuf,
    place: Place,
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    arrivals: &crate::fetch::state::Arrivals,
) -> Result<Candidate, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(s, _)| s)
        .to_string();
    // A file that vanished or cannot be inspected is reported and left alone; it never stops the run.
    let meta = std::fs::symlink_metadata(&path).map_err(Error::io(&path))?;
    let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let mut c = Candidate {
        path,
        place,
        name,
        size: meta.len(),
        mtime,
        sha256: String::new(),
        format: String::new(),
        unit_hint: catalogue
            .unit_named_in(&stem)
            .map(|u| u.code.clone())
            .unwrap_or_default(),
        stored: None,
        outcome: Outcome::Symlink,
    };
    if place == Place::Rejected {
        c.stored = ledger::read_reason(&ledger::reason_path(&c.path));
    }
    if meta.file_type().is_symlink() {
        return Ok(c);
    }
    if meta.len() > settings.max_file_bytes {
        c.outcome = Outcome::Refused(
            Code::FileTooLarge,
            format!(
                "文件大小{}字节，超过上限{}字节；填报表通常只有几十KB，请只报送填报表",
                meta.len(),
                settings.max_file_bytes
            ),
        );
        return Ok(c);
    }
    let bytes = match std::fs::read(&c.path) {
        Ok(b) => b,
        Err(e) => {
            c.outcome = Outcome::Unavailable(format!("cannot be read now ({e}); left where it is"));
            return Ok(c);
        }
    };
    c.sha256 = output::hex(&Sha256::digest(&bytes));
    let sender_unit = arrivals.sender_unit(&c.name, &c.sha256, catalogue);
    if c.unit_hint.is_empty() {
        c.unit_hint = sender_unit.clone().unwrap_or_default();
    }
    c.outcome = match crate::ingest::load(&bytes, settings) {
        Err(Refusal::Unreadable(why)) => Outcome::Refused(Code::UnreadableFile, why),
        Err(Refusal::Encrypted) => Outcome::Refused(
            Code::EncryptedFile,
            "文件设置了打开密码，无法读取；请取消密码（文件→信息→保护工作簿）后重新报送"
                .to_string(),
        ),
        Err(Refusal::TooLarge(why)) => {
            Outcome::Refused(Code::FileTooLarge, format!("{why}；请只报送填报表"))
        }
        Ok((format, book)) => {
            c.format = format.name().to_string();
            for sheet in book.sheets.iter().filter(|s| s.truncated) {
                log::warn!(
                    "{}: sheet '{}' has cells beyond row {} or column 64; they were not read",
                    c.name,
                    sheet.name,
                    settings.max_rows
                );
            }
            match crate::ingest::parse::parse_mailed(
                &book,
                &c.name,
                sender_unit.as_deref(),
                catalogue,
                period,
            ) {
                Ok(p) => Outcome::Parsed(Box::new(p)),
                Err(NotUsable { code, reason }) => Outcome::Refused(code, reason),
            }
        }
    };
    Ok(c)
}

/// Decides each candidate's disposition, in the candidates' (sorted) order.
fn decide(candidates: &[Candidate], period: Period) -> Vec<(Disposition, String)> {
    const SAME_BYTES: &str = "与已收到的文件内容完全相同，只处理一次";
    const LINK: &str = "这是符号链接，不跟随读取；请放入文件本身";
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<(Disposition, String)> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let first = c.sha256.is_empty() || seen.insert(&c.sha256);
        out.push(match (c.place, &c.outcome) {
            (_, Outcome::Unavailable(why)) => (Disposition::Ignored, why.clone()),
            // An archived file keeps the standing its folder gives it: a run never re-files the archive.
            (Place::Duplicates, _) => (Disposition::Duplicate, SAME_BYTES.to_string()),
            (Place::Rejected, outcome) => {
                let why = match (&c.stored, outcome) {
                    (Some((_, why)), _) => why.clone(),
                    (None, Outcome::Refused(_, why)) => why.clone(),
                    (None, _) => LINK.to_string(),
                };
                (Disposition::Rejected, why)
            }
            (Place::Accepted, Outcome::Parsed(p)) if p.period == period => {
                (Disposition::Accepted, String::new())
            }
            (Place::Accepted, _) => (
                Disposition::Superseded,
                "存档文件已不能按本期报表使用（报告期或内容不符），未采用".to_string(),
            ),
            // A return for another month stays in the inbox for that month, copies included.
            (Place::Inbox, Outcome::Parsed(p)) if p.period != period => (
                Disposition::OtherPeriod,
                format!(
                    "这是{}的报表，留在收件箱，待运行该月时处理",
                    p.period.chinese()
                ),
            ),
            (Place::Inbox, _) if !first => (Disposition::Duplicate, SAME_BYTES.to_string()),
            (Place::Inbox, Outcome::Symlink) => (Disposition::Rejected, LINK.to_string()),
            (Place::Inbox, Outcome::Refused(_, why)) => (Disposition::Rejected, why.clone()),
            (Place::Inbox, Outcome::Parsed(_)) => (Disposition::Accepted, String::new()),
        });
    }
    // The newest return of each unit wins; older ones are kept but not used.
    let mut by_unit: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if let (Outcome::Parsed(p), Disposition::Accepted) = (&c.outcome, out[i].0) {
            by_unit.entry(p.unit.as_str()).or_default().push(i);
        }
    }
    for list in by_unit.values() {
        let Some(&newest) = list.iter().max_by(|&&a, &&b| {
            (candidates[a].mtime, &candidates[a].name)
                .cmp(&(candidates[b].mtime, &candidates[b].name))
        }) else {
            continue;
        };
        for &i in list.iter().filter(|&&i| i != newest) {
            out[i] = (
                Disposition::Superseded,
                format!(
                    "同一单位又报送了更新的“{}”（收到于{}），本文件不再使用",
                    candidates[newest].name,
                    china_time(&timestamp(candidates[newest].mtime))
                ),
            );
        }
    }
    out
}

fn disposition_finding(c: &Candidate, d: Disposition, reason: &str, unit: &str) -> Option<Finding> {
    let code = match (&c.outcome, d) {
        (_, Disposition::Duplicate) => Code::DuplicateFile,
        (_, Disposition::Superseded) => Code::Superseded,
        (_, Disposition::OtherPeriod) => Code::PeriodMismatch,
        (_, Disposition::Rejected) => match (&c.stored, &c.outcome) {
            (Some((code, _)), _) => *code,
            (None, Outcome::Refused(code, _)) => *code,
            (None, _) => Code::UnreadableFile,
        },
        _ => return None,
    };
    let message = match code {
        Code::DuplicateFile | Code::Superseded | Code::PeriodMismatch => reason.to_string(),
        _ => format!("文件“{}”未被采用：{reason}", c.name),
    };
    Some(
        Finding::new(code, message)
            .unit(unit)
            .at(&c.name, "", "")
            .values("", c.name.clone()),
    )
}

/// China Standard Time, in which the deadline day is counted.
const CHINA: jiff::tz::Offset = jiff::tz::offset(8);

/// The end of the deadline day for `period`'s returns: `deadline_day` of the following month, 24:00 China time.
pub fn deadline(period: Period, settings: &Settings) -> jiff::Timestamp {
    let next = period.next();
    let day = jiff::civil::date(
        next.year as i16,
        next.month as i8,
        settings.deadline_day as i8,
    );
    day.tomorrow()
        .and_then(|d| {
            d.to_datetime(jiff::civil::Time::midnight())
                .to_zoned_datetime(jiff::tz::TimeZone::fixed(CHINA))
        })
        .map(|z| z.timestamp())
        .unwrap_or(jiff::Timestamp::MAX)
}

/// MISSING_RETURN for each expected unit with no usable return, LATE_RETURN for each one used but received late.
fn completeness(
    catalogue: &Catalogue,
    settings: &Settings,
    period: Period,
    files: &[FileRecord],
) -> Vec<Finding> {
    let due = crate::forms::deadline(period, settings);
    let mut by_unit: HashMap<(&str, Disposition), &FileRecord> = HashMap::new();
    for f in files {
        by_unit.entry((f.unit.as_str(), f.disposition)).or_insert(f);
    }
    let mut out = Vec::new();
    for unit in catalogue.reporting_units() {
        let mine = |d: Disposition| by_unit.get(&(unit.code.as_str(), d)).copied();
        match (mine(Disposition::Accepted), mine(Disposition::Rejected)) {
            (Some(f), _) if f.late => out.push(
                Finding::new(
                    Code::LateReturn,
                    format!(
                        "{}的报表应于{due}前报送，实际收到时间为{}；请按时报送",
                        period.chinese(),
                        china_time(&f.received)
                    ),
                )
                .unit(&unit.code)
                .at(&f.name, "", "")
                .values(due.clone(), china_time(&f.received)),
            ),
            (Some(_), _) => {}
            (None, rejected) => out.push(
                Finding::new(
                    Code::MissingReturn,
                    match rejected {
                        Some(f) => format!(
                            "报送的“{}”无法使用，视为未报送；请按反馈意见重新报送{}的报表",
                            f.name,
                            period.chinese()
                        ),
                        None => format!(
                            "尚未收到{}的报表（应于{due}前报送）；请尽快报送",
                            period.chinese()
                        ),
                    },
                )
                .unit(&unit.code)
                .values(format!("{}报表", period.chinese()), ""),
            ),
        }
    }
    out
}

/// An RFC 3339 time shown in China time, as `2020-11-06 09:30`.
fn china_time(rfc3339: &str) -> String {
    rfc3339
        .parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::fixed(CHINA))
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
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
