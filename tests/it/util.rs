//! Test workspaces and running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository, if present. Absent: a notice and `None`, or a panic under `CI=true`.
pub fn shared() -> Option<PathBuf> {
    let dir = repo().join("..").join("shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("../shared is missing, and CI=true requires it");
    }
    eprintln!("notice: ../shared is absent; skipping this test");
    None
}

/// A temporary workspace holding a copy of the built-in plan.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// A fresh workspace with `templates/plan.toml` and empty `inbox/` and `outbox/`.
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["templates", "inbox", "outbox"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::copy(
            repo().join("templates/plan.toml"),
            dir.path().join("templates/plan.toml"),
        )
        .unwrap();
        Workspace { dir }
    }

    /// The workspace folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `huizong --root <ws> ARGS…` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        huizong_in(self.path(), args)
    }

    /// Runs and asserts success, printing stdout and stderr otherwise.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_success(&out, args);
        out
    }
}

/// Runs `huizong --root ROOT ARGS…`.
pub fn huizong_in(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huizong"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run huizong")
}

/// Panics with the command's stdout and stderr unless it succeeded.
pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "huizong {:?} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command's stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The command's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The data pasted into a new workbook: no `_meta` sheet, no `填报单位` line, sheet renamed.
pub fn strip_identity(xlsx: &[u8]) -> Vec<u8> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = wb.worksheet_range("进展填报").unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    ws.set_name("Sheet1").unwrap();
    for (r, c, v) in range.used_cells() {
        let text = v.to_string();
        if text.starts_with("填报单位") {
            continue;
        }
        let (r, c) = (r as u32 + 3, c as u16);
        match v {
            calamine::Data::Float(f) => ws.write_number(r, c, *f).unwrap(),
            calamine::Data::Int(i) => ws.write_number(r, c, *i as f64).unwrap(),
            _ => ws.write_string(r, c, text).unwrap(),
        };
    }
    out.save_to_buffer().unwrap()
}

/// Sets a file's modification time to `secs` after the Unix epoch.
pub fn set_mtime(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap();
}

/// LibreOffice's `soffice`, if installed. Absent: a notice and `None`, or a panic under `CI=true`.
pub fn soffice() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("soffice"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("LibreOffice (soffice) is missing, and CI=true requires it");
        }
        eprintln!("notice: LibreOffice is not installed; skipping this test");
    }
    found
}

/// Converts `file` with LibreOffice headless into `out_dir` (`to`: `pdf`, `xls`, `ods`, or a csv filter).
/// Each call gets its own profile, so that conversions never share LibreOffice state.
pub fn convert(soffice: &Path, file: &Path, to: &str, out_dir: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(out_dir)
        .arg(file)
        .output()
        .expect("run soffice");
    assert!(
        out.status.success(),
        "soffice --convert-to {to} {} failed:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The text LibreOffice's CSV export (UTF-8, first sheet) makes of a workbook.
pub fn csv_of(soffice: &Path, file: &Path) -> String {
    exported_csv(soffice, file, "", "")
}

/// One sheet of a workbook as LibreOffice exports it to CSV (every sheet is exported; this one is read).
pub fn sheet_csv_of(soffice: &Path, file: &Path, sheet: &str) -> String {
    // The last option, -1, asks for every sheet, each in `<stem>-<sheet>.csv` (LibreOffice 7.2 and later).
    exported_csv(
        soffice,
        file,
        ",,0,false,true,false,false,false,-1",
        &format!("-{sheet}"),
    )
}

/// Exports `file` to UTF-8 CSV with the filter's further `options` and reads `<stem><suffix>.csv`.
fn exported_csv(soffice: &Path, file: &Path, options: &str, suffix: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let filter = format!("csv:Text - txt - csv (StarCalc):44,34,76,1{options}");
    convert(soffice, file, &filter, dir.path());
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    std::fs::read_to_string(dir.path().join(format!("{stem}{suffix}.csv")))
        .expect("the csv LibreOffice wrote")
}

/// Dates a return as received on the 2nd of the month after `year`-`month` (before the deadline).
pub fn received_on_time(path: &Path, year: i32, month: u32) {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    // Days from 1970-01-01 to y-m-02, by the civil-from-days inverse (Howard Hinnant's algorithm).
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm as i32 + 2) / 5 + 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era as i64 * 146_097 + doe as i64 - 719_468;
    set_mtime(path, (days * 86_400) as u64);
}

/// (code, unit, indicator) of every finding of a report that is not info.
pub fn problems(
    report: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            let field = |k: &str| f[k].as_str().unwrap().to_string();
            (field("code"), field("unit"), field("indicator"))
        })
        .collect()
}

/// Asserts the summary's identity: files in = accepted + rejected + duplicate + superseded + other period + ignored.
pub fn assert_files_add_up(report: &serde_json::Value) {
    let s = &report["summary"];
    let parts = [
        "accepted",
        "rejected",
        "duplicate",
        "superseded",
        "other_period",
        "ignored",
    ];
    let sum: u64 = parts.iter().map(|p| s[p].as_u64().unwrap()).sum();
    assert_eq!(s["files_in"].as_u64(), Some(sum), "{s:#}");
    assert_eq!(
        s["files_in"].as_u64(),
        Some(report["files"].as_array().unwrap().len() as u64)
    );
}

/// The workbook with each XML part passed through `edit(part name, text)`.
pub fn rewrite_parts(xlsx: &[u8], edit: impl Fn(&str, String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..input.len() {
        let mut entry = input.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = String::new();
        entry.read_to_string(&mut data).unwrap();
        let data = edit(&name, data);
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(data.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The workbook with every formula's saved result removed (`<f>…</f><v>…</v>` → `<f>…</f>`).
pub fn without_formula_results(xlsx: &[u8]) -> Vec<u8> {
    let strip = regex::Regex::new(r"(</f>)<v>[^<]*</v>").unwrap();
    rewrite_parts(xlsx, |name, text| {
        if name.starts_with("xl/worksheets/sheet") {
            strip.replace_all(&text, "$1").into_owned()
        } else {
            text
        }
    })
}

/// The return retyped by hand: five rows inserted above, the columns in reverse order with an extra column,
/// a blank row in the middle and a total row at the end; `_meta` kept.
pub fn rearranged(xlsx: &[u8]) -> Vec<u8> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = wb.worksheet_range("进展填报").unwrap();
    let meta = wb.worksheet_range("_meta").unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    ws.set_name("10月进展").unwrap();
    ws.write_string(0, 0, "（重新整理的报表）").unwrap();
    let width = range.width() as u16;
    let mut last = 0;
    for (r, row) in range.rows().enumerate() {
        let r = r as u32 + 5 + u32::from(r > 10);
        last = r;
        for (c, v) in row.iter().enumerate() {
            let c = width - c as u16;
            match v {
                Data::Float(f) => ws.write_number(r, c, *f).unwrap(),
                Data::Int(i) => ws.write_number(r, c, *i as f64).unwrap(),
                Data::Empty => ws,
                other => ws.write_string(r, c, other.to_string()).unwrap(),
            };
        }
        ws.write_string(r, 0, if r == 7 { "填表人" } else { "" })
            .unwrap();
    }
    ws.write_string(last + 1, width, "合计").unwrap();
    let m = out.add_worksheet();
    m.set_name("_meta").unwrap();
    for (r, row) in meta.rows().enumerate() {
        m.write_string(r as u32, 0, row[0].to_string()).unwrap();
        m.write_string(r as u32, 1, row[1].to_string()).unwrap();
    }
    out.save_to_buffer().unwrap()
}
