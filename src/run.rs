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
    outcome: Outcome,
}

enum Outcome {
    Refused(Code, String),
    Parsed(Box<ParsedReturn>),
    Symlink,
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
    /// (source path, destination folder, index into `report.files`) for each inbox file to move.
    moves: Vec<(PathBuf, PathBuf, usize)>,
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
    log::info!("reading {} files for {period}", paths.len());
    let clock = std::time::Instant::now();
    let progress = progress_bar(paths.len());
    let mut candidates: Vec<Candidate> = paths
        .into_par_iter()
        .map(|(path, place)| {
            let c = examine(path, place, &catalogue, &settings, period);
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
    let first_seen: HashMap<String, String> = ledger::read(&ws.ledger_path())
        .into_iter()
        .rev()
        .map(|e| (e.sha256, e.first_seen))
        .collect();
    for c in &mut candidates {
        if let Some(t) = first_seen
            .get(&c.sha256)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        {
            c.mtime = SystemTime::try_from(t).unwrap_or(c.mtime);
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
    let mut moves: Vec<(usize, PathBuf)> = Vec::new();
    for (i, (c, (disposition, reason))) in candidates.iter().zip(&dispositions).enumerate() {
        let (unit, p) = match &c.outcome {
            Outcome::Parsed(p) => (p.unit.clone(), p.period.to_string()),
            _ => (c.unit_hint.clone(), String::new()),
        };
        if let Some(f) = disposition_finding(c, *disposition, reason, &unit) {
            findings.push(f);
        }
        let target_dir = match disposition {
            Disposition::Accepted | Disposition::Superseded => ws.accepted_dir(period),
            Disposition::Duplicate => ws.duplicates_dir(period),
            Disposition::Rejected => ws.rejected_dir(period),
            Disposition::OtherPeriod | Disposition::Ignored => inbox.clone(),
        };
        let location = if c.place == Place::Inbox && target_dir != inbox {
            let planned = ledger::unique_path(&target_dir, &c.name);
            moves.push((i, target_dir.clone()));
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
            late: c.mtime > due,
        });
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
    let moves: Vec<(usize, PathBuf)> = moves
        .into_iter()
        .map(|(i, dir)| (position[i], dir))
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
        .map(|(i, dir)| (candidates[order[i]].path.clone(), dir, i))
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

    let mut entries = Vec::new();
    for (from, dir, i) in moves {
        let record = &report.files[i];
        if record.disposition == Disposition::Rejected {
            let reason_path = dir.join(format!("{}.reason.txt", ledger::safe_name(&record.name)));
            output::write_atomic(&reason_path, reason_text(record).as_bytes())?;
        }
        let to = ledger::move_into(&from, &dir)?;
        entries.push(LedgerEntry {
            run_id: run_id.clone(),
            name: record.name.clone(),
            sha256: record.sha256.clone(),
            size: record.size,
            first_seen: record.received.clone(),
            unit: record.unit.clone(),
            period: record.period.clone(),
            disposition: record.disposition.name().to_string(),
            reason: record.reason.clone(),
            location: ws.relative(&to).to_string_lossy().into_owned(),
        });
    }
    // The renames are made durable before the ledger says they happened.
    let mut touched: Vec<PathBuf> = entries
        .iter()
        .filter_map(|e| ws.root.join(&e.location).parent().map(PathBuf::from))
        .collect();
    touched.sort();
    touched.dedup();
    touched.push(ws.inbox());
    for dir in touched.iter().filter(|d| d.is_dir()) {
        output::sync_dir(dir)?;
    }
    ledger::append(&ws.ledger_path(), &entries)?;
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
                && !p.to_string_lossy().ends_with(".reason.txt")
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
) -> Result<Candidate, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(s, _)| s)
        .to_string();
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
        outcome: Outcome::Symlink,
    };
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
    let bytes = std::fs::read(&c.path).map_err(Error::io(&c.path))?;
    c.sha256 = output::hex(&Sha256::digest(&bytes));
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
            match crate::ingest::parse::parse(&book, &c.name, catalogue, period) {
                Ok(p) => Outcome::Parsed(Box::new(p)),
                Err(NotUsable { code, reason }) => Outcome::Refused(code, reason),
            }
        }
    };
    Ok(c)
}

/// Decides each candidate's disposition, in the candidates' (sorted) order.
fn decide(candidates: &[Candidate], period: Period) -> Vec<(Disposition, String)> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<(Disposition, String)> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let first = c.sha256.is_empty() || seen.insert(&c.sha256);
        out.push(match &c.outcome {
            _ if !first => (
                Disposition::Duplicate,
                "与已收到的文件内容完全相同，只处理一次".to_string(),
            ),
            Outcome::Symlink => (
                Disposition::Rejected,
                "这是符号链接，不跟随读取；请放入文件本身".to_string(),
            ),
            Outcome::Refused(_, why) => (Disposition::Rejected, why.clone()),
            Outcome::Parsed(p) if p.period != period && c.place == Place::Inbox => (
                Disposition::OtherPeriod,
                format!(
                    "这是{}的报表，留在收件箱，待运行该月时处理",
                    p.period.chinese()
                ),
            ),
            Outcome::Parsed(_) => (Disposition::Accepted, String::new()),
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
                    "同一单位又报送了更新的“{}”，本文件不再使用",
                    candidates[newest].name
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
        (Outcome::Refused(code, _), Disposition::Rejected) => *code,
        (Outcome::Symlink, Disposition::Rejected) => Code::UnreadableFile,
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

fn reason_text(record: &FileRecord) -> String {
    format!(
        "文件：{}\nSHA-256：{}\n处理结果：未采用（rejected）\n原因：{}\n",
        record.name, record.sha256, record.reason
    )
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
