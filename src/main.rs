//! The `huizong` binary: parse arguments, run, turn the result into an exit status.

use std::process::ExitCode;

use clap::Parser;
use huizong::cli::{Cli, Outcome, dispatch};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .init();
    match dispatch(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(err) => {
            // Every message already names its cause (the I/O error, the parser's words).
            eprintln!("error: {err}");
            ExitCode::from(if err.is_usage() { 2 } else { 1 })
        }
    }
}

// glibc's per-thread arenas keep what the reading threads freed: a province's run peaked near 900 MiB under it
// and near 550 MiB under mimalloc, in about the same time (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
