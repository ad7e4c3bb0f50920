//! The rows of 分县区 after the first, when a province's counties make it one row per county: written as
//! SpreadsheetML here and put into the sheet rust_xlsxwriter drew with the header, the first county and the
//! totals.
//!
//! rust_xlsxwriter finds each formatted cell's style by hashing its whole format, about a microsecond a cell:
//! 分县区 of 10,000 counties and 40 indicators held 400,000 of them, a third of the consolidated workbook's
//! drawing. The first county's row, drawn by rust_xlsxwriter, gives every column's style index; the rows
//! after it repeat those styles with their own values, texts as inline strings.

use super::long_sheet::{escape, number_text};
use crate::style::{CELL_MAX, fit};

/// The counties after the first, to go between the first county's row and the totals.
pub struct Rows {
    /// The sheet's zip entry, `xl/worksheets/sheetN.xml`.
    pub entry: String,
    /// The 1-based row number of the first county's row, drawn by rust_xlsxwriter.
    pub first: u32,
    /// One line per county after the first.
    pub lines: Vec<Line>,
}

/// One county's row: its code, its name and its figure of each indicator column, left to right.
pub struct Line {
    /// 单位编码.
    pub code: String,
    /// 县区.
    pub name: String,
    /// The figures, as the cells show them; `None` for a blank.
    pub values: Vec<Option<f64>>,
}

/// `sheet` with the lines inserted after the first county's row; `None` when that row is not where, or not
/// what, this module expects (no style for a column, or the totals not right after it).
pub fn insert(sheet: &str, rows: &Rows) -> Option<Vec<u8>> {
    let open = format!("<row r=\"{}\"", rows.first);
    let start = sheet.find(&open)?;
    let end = start + sheet[start..].find("</row>")? + "</row>".len();
    let styles = styles(&sheet[start..end])?;
    let after = &sheet[end..];
    let next = rows.first + 1 + rows.lines.len() as u32;
    if !rows.lines.is_empty() && !after.starts_with(&format!("<row r=\"{next}\"")) {
        return None;
    }
    let columns = 2 + rows.lines.first().map_or(0, |l| l.values.len());
    if styles.len() < columns {
        return None;
    }
    let names: Vec<String> = (0..columns as u16)
        .map(rust_xlsxwriter::utility::column_number_to_name)
        .collect();
    let mut out = Vec::with_capacity(sheet.len() + rows.lines.len() * columns * 32);
    out.extend_from_slice(&sheet.as_bytes()[..end]);
    for (n, line) in rows.lines.iter().enumerate() {
        // The row's number written once: a province's 分县区 has 400,000 cells, each naming it.
        let row = (rows.first + 1 + n as u32).to_string();
        let row = row.as_str();
        out.extend_from_slice(b"<row r=\"");
        out.extend_from_slice(row.as_bytes());
        out.extend_from_slice(b"\">");
        text_cell(&mut out, &names[0], row, &styles[0], &line.code);
        text_cell(&mut out, &names[1], row, &styles[1], &line.name);
        for (k, v) in line.values.iter().enumerate() {
            let (name, style) = (&names[2 + k], &styles[2 + k]);
            match v {
                Some(v) if v.is_finite() => {
                    open_cell(&mut out, name, row, style);
                    out.extend_from_slice(b"><v>");
                    number_text(&mut out, *v);
                    out.extend_from_slice(b"</v></c>");
                }
                // As rust_xlsxwriter writes a number Excel cannot hold: as text.
                Some(v) if v.is_nan() => text_cell(&mut out, name, row, style, "NAN"),
                Some(v) if *v > 0.0 => text_cell(&mut out, name, row, style, "INF"),
                Some(_) => text_cell(&mut out, name, row, style, "-INF"),
                None => {
                    open_cell(&mut out, name, row, style);
                    out.extend_from_slice(b"/>");
                }
            }
        }
        out.extend_from_slice(b"</row>");
    }
    out.extend_from_slice(after.as_bytes());
    Some(out)
}

/// The style attribute (` s="N"`, or nothing for the default style) of each cell of a drawn row, by column;
/// `None` unless the row's cells are in order from column A with none missing.
fn styles(row: &str) -> Option<Vec<String>> {
    let mut styles = Vec::new();
    let mut rest = row;
    while let Some(at) = rest.find("<c r=\"") {
        let cell = &rest[at + "<c r=\"".len()..];
        let reference = &cell[..cell.find('"')?];
        let letters = reference.trim_end_matches(|c: char| c.is_ascii_digit());
        if letters != rust_xlsxwriter::utility::column_number_to_name(styles.len() as u16) {
            return None;
        }
        let tag = &cell[..cell.find('>')?];
        let style = tag
            .split_once(" s=\"")
            .and_then(|(_, s)| s.split_once('"'))
            .map(|(n, _)| format!(" s=\"{n}\""))
            .unwrap_or_default();
        styles.push(style);
        rest = cell;
    }
    Some(styles)
}

/// `<c r="A1" s="N"`, the start of a cell's tag, written piece by piece rather than through `write!`.
fn open_cell(out: &mut Vec<u8>, name: &str, row: &str, style: &str) {
    out.extend_from_slice(b"<c r=\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(row.as_bytes());
    out.push(b'"');
    out.extend_from_slice(style.as_bytes());
}

/// An inline-string cell with a style; a blank styled cell for empty text, as rust_xlsxwriter writes one.
fn text_cell(out: &mut Vec<u8>, name: &str, row: &str, style: &str, text: &str) {
    let text = fit(text, CELL_MAX);
    open_cell(out, name, row, style);
    if text.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    let blank = ['\t', '\n', ' '];
    let space = if text.starts_with(blank) || text.ends_with(blank) {
        " xml:space=\"preserve\""
    } else {
        ""
    };
    out.extend_from_slice(b" t=\"inlineStr\"><is><t");
    out.extend_from_slice(space.as_bytes());
    out.push(b'>');
    escape(out, &text);
    out.extend_from_slice(b"</t></is></c>");
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::Reader;
    use rust_xlsxwriter::{Format, Workbook, Worksheet};

    use super::*;

    fn lines() -> Vec<Line> {
        (0..5)
            .map(|n| Line {
                code: format!("c{n:03}"),
                name: ["第一县", " 前有空格", "A & B <县>", "", "_x0041_县"][n].to_string(),
                values: vec![
                    Some(n as f64),
                    None,
                    Some(0.1 + n as f64 / 100.0),
                    Some(f64::NAN),
                    Some(1e15 + n as f64),
                ],
            })
            .collect()
    }

    /// 分县区 as the workbook draws it: the header, county rows from row 2 (all of them, or the first alone),
    /// and a totals row after the last county.
    fn drawn(all: bool) -> (Vec<u8>, String) {
        let cell = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);
        let money = cell.clone().set_num_format("0.00");
        let formats = [&cell, &money, &cell, &money, &cell];
        let mut wb = Workbook::new();
        let ws: &mut Worksheet = wb.add_worksheet();
        ws.write_string_with_format(0, 0, "单位编码", &cell)
            .unwrap();
        let lines = lines();
        let count = if all { lines.len() } else { 1 };
        for (k, line) in lines.iter().take(count).enumerate() {
            let r = 1 + k as u32;
            ws.write_string_with_format(r, 0, &line.code, &cell)
                .unwrap();
            ws.write_string_with_format(r, 1, &line.name, &cell)
                .unwrap();
            for (n, v) in line.values.iter().enumerate() {
                crate::style::maybe_number(ws, r, 2 + n as u16, *v, formats[n]).unwrap();
            }
        }
        let totals = 1 + lines.len() as u32;
        ws.write_string_with_format(totals, 1, "县区合计", &cell)
            .unwrap();
        ws.write_number_with_format(totals, 2, 10.0, &money)
            .unwrap();
        let book = wb.save_to_buffer().unwrap();
        let mut xml = String::new();
        zip::ZipArchive::new(Cursor::new(&book))
            .unwrap()
            .by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        (book, xml)
    }

    /// Each cell's reference and style attribute, in order.
    fn cell_styles(xml: &str) -> Vec<(String, String)> {
        xml.split("<c r=\"")
            .skip(1)
            .map(|c| {
                let tag = &c[..c.find('>').unwrap()];
                let style = tag
                    .split_once(" s=\"")
                    .map_or("", |(_, s)| &s[..s.find('"').unwrap()]);
                (tag[..tag.find('"').unwrap()].to_string(), style.to_string())
            })
            .collect()
    }

    fn values(book: Vec<u8>) -> Vec<Vec<String>> {
        let mut xlsx: calamine::Xlsx<_> = calamine::Reader::new(Cursor::new(book)).unwrap();
        let range = xlsx.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    }

    #[test]
    fn counties_put_in_after_the_first_read_as_rust_xlsxwriter_draws_them() {
        let (first_book, first) = drawn(false);
        let (full_book, full) = drawn(true);
        let rows = Rows {
            entry: "xl/worksheets/sheet1.xml".to_string(),
            first: 2,
            lines: lines().into_iter().skip(1).collect(),
        };
        let filled = String::from_utf8(insert(&first, &rows).unwrap()).unwrap();
        // The same cells with the same styles, the blank and the NAN text included.
        assert_eq!(cell_styles(&filled), cell_styles(&full));
        assert!(filled.contains("<t xml:space=\"preserve\">") && filled.contains("_x005F_x0041_"));
        // And the same values, read back: the spliced sheet in the first book's package.
        let mut archive = zip::ZipArchive::new(Cursor::new(&first_book)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).unwrap();
            if entry.name().unwrap() == "xl/worksheets/sheet1.xml" {
                drop(entry);
                out.start_file(
                    "xl/worksheets/sheet1.xml",
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
                std::io::Write::write_all(&mut out, filled.as_bytes()).unwrap();
            } else {
                out.raw_copy_file(entry).unwrap();
            }
        }
        let spliced = out.finish().unwrap().into_inner();
        assert_eq!(values(spliced), values(full_book));
    }

    #[test]
    fn a_sheet_not_laid_out_as_expected_is_refused() {
        let (_, first) = drawn(false);
        let mut rows = Rows {
            entry: String::new(),
            first: 2,
            lines: lines().into_iter().skip(2).collect(),
        };
        assert!(
            insert(&first, &rows).is_none(),
            "the totals are not right after"
        );
        rows.first = 3;
        assert!(insert(&first, &rows).is_none(), "no such row");
    }
}
