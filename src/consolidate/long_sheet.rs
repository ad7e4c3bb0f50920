//! The rows of 明细数据, the long sheet of every figure, written as SpreadsheetML here and spliced into the
//! workbook rust_xlsxwriter drew with the sheet's header alone.
//!
//! rust_xlsxwriter stores, copies and formats each cell on its own, about 350 ns a cell: the long sheet was most
//! of a run's drawing (40,000 rows at 1,000 returns, 400,000 at 10,000). Its rows are plain (no formats, text and
//! numbers), so they are written here exactly as rust_xlsxwriter writes such rows as inline strings (its
//! constant-memory mode), byte for byte (a test holds the two side by side), in a fraction of the time.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::display;
use crate::plan::Catalogue;
use crate::style::{CELL_MAX, fit};
use crate::validate::{Reading, Role};

/// The long sheet's columns, as they head it.
pub const HEADERS: [&str; 11] = [
    "单位编码",
    "单位",
    "指标编码",
    "类别",
    "本月完成",
    "累计完成",
    "进展情况",
    "备注",
    "来源文件",
    "工作表",
    "累计完成单元格",
];

/// Column letters of the long sheet.
const COLUMNS: [&str; 11] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];

/// Rows written between hand-overs to the compressor: enough to keep it busy, few enough to keep memory flat.
const CHUNK: usize = 2_048;

/// A long sheet to fill: its file in the workbook's zip and the readings that go under its header.
pub struct Part<'a> {
    /// The zip entry, `xl/worksheets/sheetN.xml`.
    pub entry: String,
    /// Its rows, from the second row down.
    pub readings: &'a [Reading],
}

/// Why a drawn workbook could not take its long sheets' rows.
#[derive(Debug, thiserror::Error)]
pub enum SpliceError {
    /// The zip rust_xlsxwriter wrote could not be read or rewritten.
    #[error("cannot add the long sheet's rows to the workbook: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Reading or writing the workbook's bytes in memory failed.
    #[error("cannot add the long sheet's rows to the workbook: {0}")]
    Io(#[from] std::io::Error),
    /// The drawn sheet was not the header-only sheet this module expects (a rust_xlsxwriter change).
    #[error("the long sheet {0} is not laid out as expected; its rows cannot be added")]
    Layout(String),
}

/// `book` (a rendered workbook) with every part's rows put in its sheet, deflated at `level`. Entries other
/// than the parts' are copied as they are, compressed bytes and all.
pub fn splice(
    book: &[u8],
    parts: &[Part<'_>],
    catalogue: &Catalogue,
    level: i64,
) -> Result<Vec<u8>, SpliceError> {
    let mut archive = ZipArchive::new(Cursor::new(book))?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(book.len() * 2)));
    for i in 0..archive.len() {
        let name = archive.by_index_raw(i)?.name()?.into_owned();
        let Some(part) = parts.iter().find(|p| p.entry == name) else {
            out.raw_copy_file(archive.by_index_raw(i)?)?;
            continue;
        };
        let mut sheet = String::new();
        archive.by_index(i)?.read_to_string(&mut sheet)?;
        let (head, tail) = header_only(&sheet, part.readings.len())
            .ok_or_else(|| SpliceError::Layout(name.clone()))?;
        // Options as rust_xlsxwriter's own, so that the entry reads as its neighbours do.
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(level))
            .unix_permissions(0o600)
            .last_modified_time(zip::DateTime::default())
            .large_file(
                upper_bound(part.readings, catalogue) + sheet.len() as u64 > u64::from(u32::MAX),
            );
        out.start_file(name.as_str(), options)?;
        out.write_all(head.as_bytes())?;
        let mut buf = Vec::with_capacity(CHUNK * 600);
        for (n, chunk) in part.readings.chunks(CHUNK).enumerate() {
            buf.clear();
            // Row 1 is the header; the first reading goes in row 2.
            write_rows(&mut buf, chunk, 2 + (n * CHUNK) as u32, catalogue);
            out.write_all(&buf)?;
        }
        out.write_all(tail.as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}

/// The header-only sheet cut where its rows go, with its dimension stretched over `rows` more rows. Only the
/// long sheet has both a header alone and a filter over the rows to come: any other sheet is refused.
fn header_only(sheet: &str, rows: usize) -> Option<(String, &str)> {
    const DIM: &str = "<dimension ref=\"A1:K1\"/>";
    let at = sheet.find("</sheetData>")?;
    let (head, tail) = sheet.split_at(at);
    let filter = format!("<autoFilter ref=\"A1:K{}\"/>", rows.max(1) + 1);
    if !head.contains(DIM) || !tail.contains(&filter) {
        return None;
    }
    let head = head.replacen(DIM, &format!("<dimension ref=\"A1:K{}\"/>", rows + 1), 1);
    Some((head, tail))
}

/// Bytes the rows of `readings` can take at most: whether the entry needs a zip64 header.
fn upper_bound(readings: &[Reading], catalogue: &Catalogue) -> u64 {
    readings
        .iter()
        .map(|r| {
            let text = r.unit.len()
                + r.indicator.len()
                + r.progress.len()
                + r.remark.len()
                + r.file.len()
                + r.sheet.len()
                + r.cumulative_cell.len()
                + catalogue.unit(&r.unit).map_or(0, |u| u.name.len());
            // Markup and two numbers (a float is written without an exponent: up to some 330 digits each),
            // and an escape of 7 bytes (`_x001F_`) for every byte of text.
            2_048 + 7 * text as u64
        })
        .sum()
}

/// Writes the rows of `readings` from 1-based row `first`, as rust_xlsxwriter writes cells without formats.
pub fn write_rows(out: &mut Vec<u8>, readings: &[Reading], first: u32, catalogue: &Catalogue) {
    // Readings come unit by unit: the unit's name is looked up once per unit, not per row.
    let mut named: (&str, &str) = ("", "");
    for (n, rd) in readings.iter().enumerate() {
        let row = Row::new(first + n as u32);
        let role = match rd.role {
            Role::City => "全市",
            Role::CountyShare => "县区",
            Role::Narrative => "进展",
        };
        if named.0 != rd.unit || n == 0 {
            let name = catalogue
                .unit(&rd.unit)
                .map_or(rd.unit.as_str(), |u| u.name.as_str());
            named = (&rd.unit, name);
        }
        let unit = catalogue
            .indicator(&rd.indicator)
            .map_or("", |(_, i)| i.unit.as_str());
        let progress = rd.state.map_or(rd.progress.as_str(), |s| s.chinese());
        out.extend_from_slice(b"<row r=\"");
        out.extend_from_slice(row.digits());
        out.extend_from_slice(b"\">");
        text_cell(out, 0, &row, &rd.unit);
        text_cell(out, 1, &row, named.1);
        text_cell(out, 2, &row, &rd.indicator);
        text_cell(out, 3, &row, role);
        // Rounded to the decimals the unit shows, as every other sheet's figures.
        number_cell(out, 4, &row, rd.month.map(|v| display::round(v, unit)));
        number_cell(out, 5, &row, rd.cumulative.map(|v| display::round(v, unit)));
        text_cell(out, 6, &row, progress);
        text_cell(out, 7, &row, &rd.remark);
        text_cell(out, 8, &row, &rd.file);
        text_cell(out, 9, &row, &rd.sheet);
        text_cell(out, 10, &row, &rd.cumulative_cell);
        out.extend_from_slice(b"</row>");
    }
}

/// A row number in decimal, written once for all the row's cells.
struct Row {
    buf: [u8; 10],
    start: usize,
}

impl Row {
    fn new(mut n: u32) -> Row {
        let mut buf = [0; 10];
        let mut start = buf.len();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Row { buf, start }
    }

    fn digits(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Opens a cell: `<c r="A2"`.
fn open_cell(out: &mut Vec<u8>, col: usize, row: &Row) {
    out.extend_from_slice(b"<c r=\"");
    out.extend_from_slice(COLUMNS[col].as_bytes());
    out.extend_from_slice(row.digits());
    out.push(b'"');
}

/// An inline-string cell; none for empty text, which Excel would ignore.
fn text_cell(out: &mut Vec<u8>, col: usize, row: &Row, text: &str) {
    let text = fit(text, CELL_MAX);
    if text.is_empty() {
        return;
    }
    let blank = ['\t', '\n', ' '];
    open_cell(out, col, row);
    if text.starts_with(blank) || text.ends_with(blank) {
        out.extend_from_slice(b" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
    } else {
        out.extend_from_slice(b" t=\"inlineStr\"><is><t>");
    }
    escape(out, &text);
    out.extend_from_slice(b"</t></is></c>");
}

/// A number cell; Excel has no NaN or infinity, so those are written as rust_xlsxwriter writes them, as text.
fn number_cell(out: &mut Vec<u8>, col: usize, row: &Row, v: Option<f64>) {
    let Some(v) = v else {
        return;
    };
    if v.is_nan() {
        return text_cell(out, col, row, "NAN");
    }
    if v.is_infinite() {
        return text_cell(out, col, row, if v > 0.0 { "INF" } else { "-INF" });
    }
    open_cell(out, col, row);
    out.extend_from_slice(b"><v>");
    // Whole figures, most of them, as an integer: what `{v}` writes for them, without float formatting.
    if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
    out.extend_from_slice(b"</v></c>");
}

/// Escapes text as Excel does: XML's `&`, `<` and `>`; control characters and the two non-characters as
/// `_xHHHH_`; and a literal `_xHHHH_` as `_x005F_xHHHH_`, so that it is not read back as an escape.
fn escape(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut done = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\t' | b'\n' => continue,
            0..=0x1F => {
                out.extend_from_slice(&bytes[done..i]);
                let _ = write!(out, "_x{b:04X}_");
                done = i + 1;
                continue;
            }
            b'_' if is_escape_like(&bytes[i..]) => b"_x005F_",
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBF, 0xBE]) => {
                out.extend_from_slice(&bytes[done..i]);
                out.extend_from_slice(b"_xFFFE_");
                done = i + 3;
                continue;
            }
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBF, 0xBF]) => {
                out.extend_from_slice(&bytes[done..i]);
                out.extend_from_slice(b"_xFFFF_");
                done = i + 3;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[done..i]);
        out.extend_from_slice(replacement);
        done = i + 1;
    }
    out.extend_from_slice(&bytes[done..]);
}

/// Whether `bytes` begins `_xHHHH_` (four hex digits).
fn is_escape_like(bytes: &[u8]) -> bool {
    bytes.len() >= 7
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use rust_xlsxwriter::Workbook;

    use super::*;
    use crate::style::Text;

    fn reading(unit: &str, indicator: &str, text: &str, v: Option<f64>) -> Reading {
        Reading {
            unit: unit.to_string(),
            indicator: indicator.to_string(),
            role: Role::CountyShare,
            month: v,
            cumulative: v.map(|v| v * 10.0),
            state: None,
            progress: text.to_string(),
            remark: text.chars().rev().collect(),
            file: format!("{unit} {text}.xlsx"),
            sheet: text.to_string(),
            month_cell: "F4".to_string(),
            cumulative_cell: "G4".to_string(),
            progress_cell: "H4".to_string(),
        }
    }

    /// The rows as rust_xlsxwriter writes them cell by cell, in constant-memory mode.
    fn drawn_by_rust_xlsxwriter(readings: &[Reading], catalogue: &Catalogue) -> String {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet_with_constant_memory().unwrap();
        for (n, rd) in readings.iter().enumerate() {
            let r = 1 + n as u32;
            let unit = catalogue
                .indicator(&rd.indicator)
                .map_or("", |(_, i)| i.unit.as_str());
            let name = catalogue
                .unit(&rd.unit)
                .map_or(rd.unit.as_str(), |u| u.name.as_str());
            ws.text(r, 0, &rd.unit).unwrap();
            ws.text(r, 1, name).unwrap();
            ws.text(r, 2, &rd.indicator).unwrap();
            ws.text(r, 3, "县区").unwrap();
            for (c, v) in [(4, rd.month), (5, rd.cumulative)] {
                if let Some(v) = v {
                    ws.write_number(r, c, display::round(v, unit)).unwrap();
                }
            }
            let progress = rd.state.map_or(rd.progress.as_str(), |s| s.chinese());
            ws.text(r, 6, progress).unwrap();
            ws.text(r, 7, &rd.remark).unwrap();
            ws.text(r, 8, &rd.file).unwrap();
            ws.text(r, 9, &rd.sheet).unwrap();
            ws.text(r, 10, &rd.cumulative_cell).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let from = xml.find("<row r=\"2\"").unwrap();
        let to = xml.find("</sheetData>").unwrap();
        xml[from..to].to_string()
    }

    #[test]
    fn rows_are_written_byte_for_byte_as_rust_xlsxwriter_writes_them() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let long = "长".repeat(40_000);
        let texts = [
            "进展顺利",
            "",
            " leading blank",
            "trailing newline\n",
            "\ttab first",
            "a & b < c > d \" e ' f",
            "control \u{1}\u{8}\u{b}\u{c}\r\u{1f} end",
            "_x0041_ and _x_x00fF_ and _x12_ and _xZZZZ_ and _x004",
            "non-characters \u{fffe} \u{ffff} and \u{fffd}",
            "emoji 😀 and 𠀀",
            long.as_str(),
            "whole negative",
            "past 10^15",
        ];
        let values = [
            Some(1.0),
            None,
            Some(0.1 + 0.2),
            Some(-0.0),
            Some(1e21),
            Some(123_456.789_5),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(2.675),
            Some(-1.5e-7),
            Some(-42.0),
            Some(3e15),
        ];
        // 万元 figures round to two decimals, counts to whole numbers; an unknown unit keeps its code as name.
        let readings: Vec<Reading> = texts
            .iter()
            .zip(values)
            .enumerate()
            .map(|(n, (t, v))| {
                let unit = ["anding", "no-such-unit", "czj"][n % 3];
                let indicator = ["T2.6-02", "T2.1-01", "no-such-indicator"][n % 3];
                reading(unit, indicator, t, v)
            })
            .collect();
        let mut ours = Vec::new();
        write_rows(&mut ours, &readings, 2, &catalogue);
        let theirs = drawn_by_rust_xlsxwriter(&readings, &catalogue);
        assert!(theirs.contains("_x005F_x0041_") && theirs.contains("_x000D_"));
        assert!(theirs.contains("……（内容过长，余下从略）"));
        assert_eq!(String::from_utf8(ours).unwrap(), theirs);
    }

    #[test]
    fn a_long_sheet_that_is_not_header_only_is_refused_not_misfilled() {
        let sheet = "<worksheet><dimension ref=\"A1:K9\"/><sheetData><row r=\"1\"/></sheetData></worksheet>";
        assert!(header_only(sheet, 3).is_none());
        let sheet = "<worksheet><dimension ref=\"A1:K1\"/><sheetData><row r=\"1\"/></sheetData></worksheet>";
        assert!(
            header_only(sheet, 3).is_none(),
            "no filter over the rows to come"
        );
        let sheet = "<worksheet><dimension ref=\"A1:K1\"/><sheetData><row r=\"1\"/></sheetData><autoFilter ref=\"A1:K4\"/></worksheet>";
        let (head, tail) = header_only(sheet, 3).unwrap();
        assert_eq!(
            head,
            "<worksheet><dimension ref=\"A1:K4\"/><sheetData><row r=\"1\"/>"
        );
        assert_eq!(tail, "</sheetData><autoFilter ref=\"A1:K4\"/></worksheet>");
    }
}
