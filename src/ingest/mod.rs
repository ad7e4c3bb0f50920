//! Reading the inbox: scan it, sniff each file's format, read it within limits, identify unit and period,
//! find the header and the indicator rows.

pub mod header;
pub mod identify;
mod memo;
mod ods;
pub mod parse;
pub mod read;
pub mod rows;
pub mod scan;
pub mod sniff;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use read::RawBook;
use sniff::{Format, Refusal};

use crate::settings::Settings;

/// Memory a child reader may use before the kernel stops it: far above any real return.
const CHILD_MEMORY: u64 = 1536 * 1024 * 1024;

/// Sniffs and reads a workbook's bytes within the settings' limits; never panics and never aborts the caller.
///
/// xls, xlsb and ods are read by calamine in a child process with a memory limit when the `huizong` binary is
/// at hand: some damaged xls files make calamine allocate gigabytes or panic, and an allocation failure aborts
/// the whole process, which no `catch_unwind` can stop.
pub fn load(bytes: &[u8], settings: &Settings) -> Result<(Format, RawBook), Refusal> {
    let format = sniff::sniff(bytes, settings)?;
    let book = match (format, child_reader()) {
        (Format::Xls | Format::Xlsb | Format::Ods, Some(exe)) => {
            read_in_child(&exe, bytes, format, settings)?
        }
        _ => read_guarded(bytes, format, settings)?,
    };
    Ok((format, book))
}

/// Reads in this process, turning a panic inside calamine into a refusal.
pub fn read_guarded(bytes: &[u8], format: Format, settings: &Settings) -> Result<RawBook, Refusal> {
    std::panic::catch_unwind(|| read::read(bytes, format, settings)).unwrap_or_else(|_| {
        Err(Refusal::Unreadable(
            "文件结构损坏，读取时出错；请用Excel或WPS打开后另存为.xlsx再报送".to_string(),
        ))
    })
}

/// The `huizong` executable, when this process is it (tests and library users read in-process).
fn child_reader() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    (exe.file_stem()? == "huizong").then_some(exe)
}

/// The hidden `read-workbook` entry point of the child: bytes on stdin, the book as JSON on stdout.
pub fn child_main(format: Format, max_rows: u32, max_cells: u64) -> i32 {
    let mut bytes = Vec::new();
    if std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).is_err() {
        return 3;
    }
    let settings = Settings {
        max_rows,
        max_cells,
        ..Settings::default()
    };
    let result = read_guarded(&bytes, format, &settings).map_err(|r| match r {
        Refusal::Unreadable(s) => ("unreadable", s),
        Refusal::Encrypted => ("encrypted", String::new()),
        Refusal::TooLarge(s) => ("too_large", s),
    });
    let out = std::io::stdout();
    let mut out = out.lock();
    let ok = serde_json::to_writer(&mut out, &result).is_ok() && out.flush().is_ok();
    if ok { 0 } else { 3 }
}

fn read_in_child(
    exe: &Path,
    bytes: &[u8],
    format: Format,
    settings: &Settings,
) -> Result<RawBook, Refusal> {
    let crashed = || {
        Refusal::Unreadable(
            "文件结构严重损坏，读取时程序出错；请用Excel或WPS打开后另存为.xlsx再报送".to_string(),
        )
    };
    let mut cmd = Command::new(exe);
    cmd.arg("read-workbook")
        .arg(format.name())
        .arg(settings.max_rows.to_string())
        .arg(settings.max_cells.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    limit_memory(&mut cmd);
    let mut child = cmd.spawn().map_err(|_| crashed())?;
    let mut stdin = child.stdin.take().ok_or_else(crashed)?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|_| crashed())?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(crashed());
    }
    let parsed: Result<RawBook, (String, String)> =
        serde_json::from_slice(&out.stdout).map_err(|_| crashed())?;
    let book = parsed.map_err(|(kind, reason)| match kind.as_str() {
        "encrypted" => Refusal::Encrypted,
        "too_large" => Refusal::TooLarge(reason),
        _ => Refusal::Unreadable(reason),
    })?;
    let cells: usize = book.sheets.iter().map(|s| s.cells.len()).sum();
    if cells as u64 > settings.max_cells {
        return Err(Refusal::TooLarge(format!(
            "单元格数{cells}超过上限{}",
            settings.max_cells
        )));
    }
    Ok(book)
}

#[cfg(unix)]
fn limit_memory(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe and touches only the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: CHILD_MEMORY,
                rlim_max: CHILD_MEMORY,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_memory(_cmd: &mut Command) {}
