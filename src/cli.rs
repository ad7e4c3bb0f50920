//! Command-line arguments (clap derive) and dispatch to the stages.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::period::Period;
use crate::workspace::Workspace;

/// huizong (汇总): check and consolidate the monthly progress returns of a city's units.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// The workspace folder (holding templates/, inbox/ and outbox/).
    #[arg(long, global = true, default_value = ".")]
    pub root: PathBuf,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a sample workspace from the built-in Dingxi plan and run it (or, with --units, a synthetic one).
    Demo {
        /// Where to build it.
        #[arg(long, default_value = "demo")]
        dir: PathBuf,
        /// Build a synthetic workspace of the same shape with this many reporting units (for benchmarks).
        #[arg(long)]
        units: Option<usize>,
        /// With --units: write the workspace without running it.
        #[arg(long, requires = "units")]
        no_run: bool,
    },
    /// Read the inbox, check every return against the plan, write outbox/<period>/ and archive the files.
    Run {
        /// The reporting month, YYYY-MM.
        #[arg(long)]
        period: Period,
        /// After a successful run, compose the period's mail (as `huizong mail`).
        #[arg(long)]
        mail: bool,
        /// With --mail: deliver it over SMTP too.
        #[arg(long, requires = "mail")]
        send: bool,
        /// First save new mail's attachments from the office mailbox into inbox/ (as `huizong fetch`).
        #[arg(long)]
        fetch: bool,
    },
    /// Save the attachments of new mail in the office mailbox ([imap] settings) into inbox/; the mailbox is
    /// only read, never changed.
    Fetch,
    /// Compose the period's mail into outbox/<period>/mail/*.eml; with --send, deliver it over SMTP.
    Mail {
        /// The reporting month, YYYY-MM.
        #[arg(long)]
        period: Period,
        /// Deliver through SMTP (settings in huizong.toml or HUIZONG_SMTP_*); never sends a message twice.
        #[arg(long)]
        send: bool,
    },
    /// Watch inbox/ and process each file once it has stopped changing; Ctrl-C stops.
    Watch {
        /// The period for files that name none (default: last month).
        #[arg(long)]
        period: Option<Period>,
        /// Seconds a file's size and time must stay unchanged before it is read.
        #[arg(long, default_value_t = 3)]
        stable_seconds: u64,
        /// Also fetch new mail from the office mailbox, every imap.poll_minutes.
        #[arg(long)]
        fetch: bool,
    },
    /// Print each expected unit's standing for a period (on time, late, missing, rejected); changes nothing.
    Status {
        /// The reporting month, YYYY-MM.
        #[arg(long)]
        period: Period,
    },
    /// Internal: read one workbook from stdin in a memory-limited child process.
    #[command(hide = true)]
    ReadWorkbook {
        /// xlsx, xlsm, xlsb, xls or ods.
        format: String,
        /// Row cap.
        max_rows: u32,
        /// Cell cap.
        max_cells: u64,
    },
    /// Work with the plan catalogue.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Make a new workspace: templates/plan.toml (drafted with --from), inbox/, outbox/, an example huizong.toml.
    Init {
        /// The folder to create (must be new or empty).
        dir: PathBuf,
        /// A notice (.txt) or responsibility table (.xlsx, .xls, .ods, .csv) to draft the plan from.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Write one blank return form per reporting unit.
    Forms {
        /// The reporting month, YYYY-MM.
        #[arg(long)]
        period: Period,
        /// Where to write them (default outbox/<period>/forms).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `huizong plan …`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Draft a catalogue (TOML on stdout) from a notice's plain text, for a person to review.
    Extract {
        /// The notice as a UTF-8 text file.
        notice: PathBuf,
    },
    /// Check a catalogue (default templates/plan.toml) and list every problem.
    Check {
        /// The catalogue file.
        file: Option<PathBuf>,
    },
    /// Draft a catalogue (TOML on stdout) from a responsibility table (.xlsx, .xls, .ods or .csv).
    Import {
        /// The table: 序号, 重点任务, 目标, 牵头单位, 责任单位, 完成时限 columns, found by meaning.
        table: PathBuf,
    },
}

/// What a command ended with, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The command ran but found the input wanting (e.g. `plan check` found problems).
    Failed,
}

impl Outcome {
    /// `Success` when the command's work all succeeded, else `Failed`.
    fn of(ok: bool) -> Outcome {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    let ws = Workspace::new(&cli.root);
    // A run checks the workspace itself, beside its first reads.
    if matches!(
        cli.command,
        Command::Mail { .. }
            | Command::Watch { .. }
            | Command::Status { .. }
            | Command::Forms { .. }
            | Command::Fetch
    ) {
        ws.check(matches!(cli.command, Command::Watch { .. }))?;
    }
    match cli.command {
        Command::Demo {
            dir, units: None, ..
        } => crate::demo::run(&dir).map(|()| Outcome::Success),
        Command::Demo {
            dir,
            units: Some(n),
            no_run,
        } => {
            let oct = Period {
                year: 2020,
                month: 10,
            };
            let written = crate::synthetic::build(&dir, n, oct)?;
            println!(
                "synthetic workspace {} with {written} returns for {oct}",
                dir.display()
            );
            if !no_run {
                let result = crate::run::run(&Workspace::new(&dir), oct)?;
                print!(
                    "{}",
                    crate::summary::render(&result.report, cli.verbose > 0)
                );
            }
            Ok(Outcome::Success)
        }
        Command::Plan(PlanCommand::Extract { notice }) => {
            let text = std::fs::read_to_string(&notice).map_err(Error::io(&notice))?;
            print!("{}", crate::plan::extract::extract_toml(&text));
            Ok(Outcome::Success)
        }
        Command::Plan(PlanCommand::Check { file }) => {
            let path = file.unwrap_or_else(|| ws.plan_path());
            let report = crate::plan::check_file(&path)?;
            for p in &report.problems {
                println!("{p}");
            }
            for w in &report.warnings {
                eprintln!("warning: {} {}", w.place, w.message);
            }
            let (units, tasks, indicators) = report.counts;
            if report.problems.is_empty() {
                println!(
                    "{}: {units} units, {tasks} tasks, {indicators} indicators: OK",
                    path.display()
                );
                Ok(Outcome::Success)
            } else {
                eprintln!("{}: {} problem(s)", path.display(), report.problems.len());
                Ok(Outcome::Failed)
            }
        }
        Command::Plan(PlanCommand::Import { table }) => {
            print!("{}", crate::plan::import::import_toml(&table)?);
            Ok(Outcome::Success)
        }
        Command::Init { dir, from } => {
            print!("{}", crate::plan::init::init(&dir, from.as_deref())?);
            Ok(Outcome::Success)
        }
        Command::Mail { period, send } => crate::mail::run(&ws, period, send).map(Outcome::of),
        Command::Fetch => {
            print!("{}", crate::fetch::render(&crate::fetch::fetch(&ws)?));
            Ok(Outcome::Success)
        }
        Command::Run {
            period,
            mail,
            send,
            fetch,
        } => {
            if send || fetch {
                ws.check(true)?;
            }
            if send {
                // A login that cannot work is a configuration error, found before the run rather than after.
                let settings = crate::settings::Settings::load(&ws.settings_path())?;
                crate::mail::send::check_login(&ws, &settings)?;
            }
            if fetch {
                print!("{}", crate::fetch::render(&crate::fetch::fetch(&ws)?));
            }
            let result = crate::run::run(&ws, period)?;
            print!(
                "{}",
                crate::summary::render(&result.report, cli.verbose > 0)
            );
            println!("report: {}", result.report_path.display());
            if let Some(book) = result.workbooks.first() {
                println!("consolidated: {}", book.display());
            }
            println!(
                "feedback: {} workbooks in {}",
                result.workbooks.len().saturating_sub(1),
                ws.feedback_dir(period).display()
            );
            if !mail {
                // The process ends here: the report's every reading is freed with it at once, rather than one by
                // one first (3.5 ms of a one-new run at 1,000 returns, measured; a province's has ten times as many).
                std::mem::forget(result);
                return Ok(Outcome::Success);
            }
            let catalogue = crate::plan::load(&ws.plan_path())?;
            let settings = crate::settings::Settings::load(&ws.settings_path())?;
            crate::mail::deliver(&ws, &result.report, &catalogue, &settings, period, send)
                .map(Outcome::of)
        }
        Command::Watch {
            period,
            stable_seconds,
            fetch,
        } => {
            let fallback = period.unwrap_or_else(last_month);
            let poll = if fetch {
                Some(
                    crate::settings::Settings::load(&ws.settings_path())?
                        .imap
                        .poll,
                )
            } else {
                None
            };
            crate::watch::watch(
                &ws,
                fallback,
                std::time::Duration::from_secs(stable_seconds),
                poll,
            )
            .map(|()| Outcome::Success)
        }
        Command::Status { period } => {
            let assessment = crate::run::assess(&ws, period)?;
            let settings = crate::settings::Settings::load(&ws.settings_path())?;
            print!(
                "{}",
                crate::summary::status(&assessment.report, settings.timezone, cli.verbose > 0)
            );
            Ok(Outcome::Success)
        }
        Command::ReadWorkbook {
            format,
            max_rows,
            max_cells,
        } => {
            let format = crate::ingest::sniff::Format::from_name(&format)
                .ok_or_else(|| Error::Usage(format!("'{format}' is not a workbook format")))?;
            std::process::exit(crate::ingest::child_main(format, max_rows, max_cells));
        }
        Command::Forms { period, out } => {
            let catalogue = crate::plan::load(&ws.plan_path())?;
            let settings = crate::settings::Settings::load(&ws.settings_path())?;
            let dir = out.unwrap_or_else(|| ws.forms_dir(period));
            let written = crate::forms::write_all(&catalogue, &settings, period, &dir)?;
            for path in &written {
                println!("{}", path.display());
            }
            log::info!("wrote {} forms into {}", written.len(), dir.display());
            Ok(Outcome::Success)
        }
    }
}

/// The month before today's (in China time): the period most returns arriving now belong to.
fn last_month() -> Period {
    let today =
        jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    Period::new(i32::from(today.year()), today.month() as u32)
        .map(Period::previous)
        .unwrap_or(Period {
            year: 2020,
            month: 10,
        })
}
