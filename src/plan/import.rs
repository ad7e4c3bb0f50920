//! `huizong plan import`: a responsibility table (任务分工表) as offices keep it in a spreadsheet or CSV, into
//! the same draft catalogue `plan extract` writes from a notice.

use std::path::Path;

use calamine::{Data, Reader};

use crate::error::Error;
use crate::plan::model::fmt_num;

/// The draft catalogue (TOML) of the table at `path`: its first sheet with a header, columns found by meaning.
pub fn import_toml(path: &Path) -> Result<String, Error> {
    let sheets = read_table(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    sheets
        .iter()
        .find_map(|rows| super::extract::table_toml(rows, &name))
        .ok_or_else(|| {
            Error::Usage(format!(
                "{} has no responsibility table: no sheet has, within its first ten rows, a header with a task or target column (重点任务, 目标) and a unit column (牵头单位, 责任单位)",
                path.display()
            ))
        })
}

/// Whether the file is a table `plan import` reads (by its extension).
pub fn is_table(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "csv" | "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"
    )
}

/// The rows of every sheet (one for a CSV), each cell as text.
fn read_table(path: &Path) -> Result<Vec<Vec<Vec<String>>>, Error> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let bytes = std::fs::read(path).map_err(Error::io(path))?;
        return Ok(vec![csv_rows(&bytes, path)?]);
    }
    let mut book = calamine::open_workbook_auto(path).map_err(|e| {
        Error::Usage(format!(
            "{} cannot be read as a workbook ({e}); save it as .xlsx or .csv and try again",
            path.display()
        ))
    })?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        // Leading empty rows and columns are not in the range: its rows are the sheet's rows as shown.
        sheets.push(
            range
                .rows()
                .map(|row| row.iter().map(cell_text).collect())
                .collect(),
        );
    }
    Ok(sheets)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => fmt_num(*f),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// A CSV as Excel or WPS saves it: UTF-8 (with or without BOM) or, failing that, GBK.
fn csv_rows(bytes: &[u8], path: &Path) -> Result<Vec<Vec<String>>, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(str::to_string).collect())
                .map_err(|e| {
                    Error::Usage(format!(
                        "{} is not a readable CSV ({e}); save it again as CSV (UTF-8) and retry",
                        path.display()
                    ))
                })
        })
        .collect()
}
