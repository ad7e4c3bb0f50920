//! The floor a huizong run is measured against: the same bytes in and out with no logic.
//!
//! Reads every cell of every workbook in INBOX with calamine on all cores, then writes, with rust_xlsxwriter, one
//! workbook with as many rows as all inputs together (the consolidated workbook's long sheet) and one small
//! workbook per input (the feedback workbooks) into OUT, each fsync'd as huizong's outputs are.
//!
//! Usage: floor INBOX OUT

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use rayon::prelude::*;
use rust_xlsxwriter::Workbook;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [inbox, out] = args.as_slice() else {
        eprintln!("usage: floor INBOX OUT");
        std::process::exit(2);
    };
    std::fs::create_dir_all(out).expect("create OUT");
    let files: Vec<PathBuf> = std::fs::read_dir(inbox)
        .expect("read INBOX")
        .map(|e| e.expect("entry").path())
        .collect();

    let t = Instant::now();
    let sheets: Vec<Vec<Vec<String>>> = files.par_iter().map(|p| read_all(p)).collect();
    let read = t.elapsed();
    let rows: usize = sheets.iter().map(Vec::len).sum();

    let t = Instant::now();
    let (_, ()) = rayon::join(
        || write(&out.join("consolidated.xlsx"), sheets.iter().flatten()),
        || {
            sheets
                .par_iter()
                .enumerate()
                .for_each(|(i, rows)| write(&out.join(format!("feedback-{i}.xlsx")), rows.iter()))
        },
    );
    let wrote = t.elapsed();
    println!(
        "floor: {} files, {rows} rows read in {:.3} s; {} workbooks written in {:.3} s; total {:.3} s",
        files.len(),
        read.as_secs_f64(),
        files.len() + 1,
        wrote.as_secs_f64(),
        (read + wrote).as_secs_f64()
    );
}

/// Every non-empty row of every sheet, each cell as text.
fn read_all(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read input");
    let Ok(mut wb) = open_workbook_auto_from_rs(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let names = wb.sheet_names();
    let mut rows = Vec::new();
    for name in names {
        let Ok(range) = wb.worksheet_range(&name) else {
            continue;
        };
        for row in range.rows() {
            if row.iter().any(|c| *c != Data::Empty) {
                rows.push(row.iter().map(ToString::to_string).collect());
            }
        }
    }
    rows
}

fn write<'a>(path: &Path, rows: impl Iterator<Item = &'a Vec<String>>) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r as u32, c as u16, n),
                Err(_) => ws.write_string(r as u32, c as u16, v),
            }
            .expect("write cell");
        }
    }
    let bytes = wb.save_to_buffer().expect("save");
    let mut f = std::fs::File::create(path).expect("create output");
    f.write_all(&bytes).expect("write output");
    f.sync_all().expect("fsync output");
}
