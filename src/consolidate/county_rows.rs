//! The rows of 分县区 after the first, when a province's counties make it one row per county: written as
//! SpreadsheetML here and put into the sheet rust_xlsxwriter drew with the header, the first county and the
//! totals.
//!
//! rust_xlsxwriter finds each formatted cell's style by hashing its whole format, about a microsecond a cell:
//! 分县区 of 10,000 counties and 40 indicators held 400,000 of them, a third of the consolidated workbook's
//! drawing. The first county's row, drawn by rust_xlsxwriter, gives every column's style index; the rows
//! after it repeat those styles with their own values, texts as inline strings.

use flate2::FlushCompress;
use rayon::prelude::*;

use super::long_sheet::{Deflated, SpliceError, Store, escape, number_text};
use crate::style::{CELL_MAX, fit};
use crate::validate::UnitFigures;

/// The counties after the first, to go between the first county's row and the totals, and how to make their
/// figures: only those of pieces not kept from an earlier run are made.
pub struct Rows<'a> {
    /// The sheet's zip entry, `xl/worksheets/sheetN.xml`.
    pub entry: String,
    /// The 1-based row number of the first county's row, drawn by rust_xlsxwriter.
    pub first: u32,
    /// One per county after the first.
    pub counties: Vec<County<'a>>,
    /// How many figure columns each row has.
    pub width: usize,
    /// What, besides a county's readings, its figures are made from (the columns' indicators and units), in a
    /// piece's key whenever a county's readings stand for its figures.
    pub columns: String,
    /// A county's figures (by its code), one per column, as the cells show them; `None` for a blank.
    pub values: Figures<'a>,
}

impl Rows<'_> {
    /// No rows to put in: 分县区 as rust_xlsxwriter drew it.
    pub fn none() -> Rows<'static> {
        Rows {
            entry: String::new(),
            first: 2,
            counties: Vec::new(),
            width: 0,
            columns: String::new(),
            values: Box::new(|_| Vec::new()),
        }
    }
}

/// How a county's figures are made from its code.
pub type Figures<'a> = Box<dyn Fn(&str) -> Vec<Option<f64>> + Send + Sync + 'a>;

/// One county's row: its code and name, and what its figures are made from when that is known.
pub struct County<'a> {
    /// 单位编码.
    pub code: &'a str,
    /// 县区.
    pub name: &'a str,
    /// Its readings in the report, known by their hash. Without them the figures themselves go in the key.
    pub readings: Option<&'a UnitFigures>,
}

/// Counties' rows deflated together, a piece each: few enough that a changed county redeflates little, enough
/// that a province's forty pieces are not forty files' worth of overhead.
const PIECE_ROWS: usize = 256;

/// What makes a piece's bytes besides its counties, row numbers and styles; changed whenever rows are written
/// differently.
const PIECE_LAYOUT: &str = "huizong-county-rows-2";

/// Where the rows go in a drawn 分县区: the sheet up to and with the first county's row, the rest after it,
/// and each column's name and style attribute.
struct Layout<'a> {
    head: &'a str,
    tail: &'a str,
    names: Vec<String>,
    styles: Vec<String>,
}

/// The layout of `sheet` for `rows`; `None` when the first county's row is not where, or not what, this module
/// expects (no style for a column, or the totals not right after it).
fn layout<'a>(sheet: &'a str, rows: &Rows) -> Option<Layout<'a>> {
    let open = format!("<row r=\"{}\"", rows.first);
    let start = sheet.find(&open)?;
    let end = start + sheet[start..].find("</row>")? + "</row>".len();
    let styles = styles(&sheet[start..end])?;
    let tail = &sheet[end..];
    let next = rows.first + 1 + rows.counties.len() as u32;
    if !rows.counties.is_empty() && !tail.starts_with(&format!("<row r=\"{next}\"")) {
        return None;
    }
    let columns = 2 + rows.width;
    if styles.len() < columns {
        return None;
    }
    let names = (0..columns as u16)
        .map(rust_xlsxwriter::utility::column_number_to_name)
        .collect();
    Some(Layout {
        head: &sheet[..end],
        tail,
        names,
        styles,
    })
}

/// `sheet` with the rows inserted after the first county's row; `None` when its layout is not the expected
/// one (see [`layout`]).
pub fn insert(sheet: &str, rows: &Rows) -> Option<Vec<u8>> {
    let l = layout(sheet, rows)?;
    let columns = l.names.len();
    let mut out = Vec::with_capacity(sheet.len() + rows.counties.len() * columns * 32);
    out.extend_from_slice(l.head.as_bytes());
    let values: Vec<_> = rows
        .counties
        .iter()
        .map(|c| (rows.values)(c.code))
        .collect();
    write_lines(&mut out, &rows.counties, &values, rows.first + 1, &l);
    out.extend_from_slice(l.tail.as_bytes());
    Some(out)
}

/// `sheet` with the rows inserted as [`insert`] puts them, deflated at `level` into parts to be joined in order:
/// the rows in pieces on all cores, each taken from `store` when it holds it and kept there when not. A
/// county's row sits at the place the plan gives it, so a new return changes the one piece its row falls in;
/// the figures of a piece taken from the store are not made at all.
/// `None` when the layout is not the expected one; `Some(Ok(None))` when the sheet would not fit a plain zip
/// entry (4 GiB), for [`insert`] to stream instead.
pub fn deflate(
    sheet: &str,
    rows: &Rows,
    level: u32,
    store: &dyn Store,
) -> Option<Result<Option<Vec<Deflated>>, SpliceError>> {
    let l = layout(sheet, rows)?;
    let pieces = rows
        .counties
        .par_chunks(PIECE_ROWS)
        .enumerate()
        .map(|(n, counties)| {
            let first = rows.first + 1 + (n * PIECE_ROWS) as u32;
            // Figures are made only for the counties the key cannot name otherwise, and for a piece not kept.
            let mut values: Vec<Option<Vec<Option<f64>>>> = counties
                .iter()
                .map(|c| c.readings.is_none().then(|| (rows.values)(c.code)))
                .collect();
            let key = piece_key(counties, &values, first, level, rows, &l);
            if let Some(d) = store.piece(&key) {
                return Ok(d);
            }
            let values: Vec<Vec<Option<f64>>> = counties
                .iter()
                .zip(&mut values)
                .map(|(c, v)| v.take().unwrap_or_else(|| (rows.values)(c.code)))
                .collect();
            let mut xml = Vec::with_capacity(counties.len() * l.names.len() * 32);
            write_lines(&mut xml, counties, &values, first, &l);
            let d = Deflated::of(&xml, level, FlushCompress::Sync)?;
            store.keep_piece(&key, &d);
            Ok(d)
        })
        .collect::<Result<Vec<Deflated>, SpliceError>>();
    Some(pieces.and_then(|pieces| {
        let mut all = Vec::with_capacity(pieces.len() + 2);
        all.push(Deflated::of(l.head.as_bytes(), level, FlushCompress::Sync)?);
        all.extend(pieces);
        all.push(Deflated::of(
            l.tail.as_bytes(),
            level,
            FlushCompress::Finish,
        )?);
        // Both sizes, the sheet's and its deflated bytes', must fit a plain zip entry header.
        let len: u64 = all.iter().map(|d| d.parts().2).sum();
        let packed: usize = all.iter().map(|d| d.parts().0.len()).sum();
        let fits = len <= u64::from(u32::MAX) && packed as u64 <= u64::from(u32::MAX);
        Ok(fits.then_some(all))
    }))
}

/// What a piece of counties' rows is made from: each county's code, name and readings (or, without them, its
/// figures) with what the columns are, where the rows start, the columns' styles and how rows are written (the
/// catalogue's part, the store covers). `values` holds the figures of the counties without readings.
fn piece_key(
    counties: &[County<'_>],
    values: &[Option<Vec<Option<f64>>>],
    first: u32,
    level: u32,
    rows: &Rows<'_>,
    l: &Layout<'_>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut b = Vec::with_capacity(counties.len() * (100 + rows.width * 9) + 256);
    let text = |b: &mut Vec<u8>, s: &str| {
        b.extend_from_slice(&(s.len() as u64).to_le_bytes());
        b.extend_from_slice(s.as_bytes());
    };
    text(&mut b, PIECE_LAYOUT);
    b.extend_from_slice(&level.to_le_bytes());
    b.extend_from_slice(&first.to_le_bytes());
    b.extend_from_slice(&(l.styles.len() as u64).to_le_bytes());
    for s in &l.styles {
        text(&mut b, s);
    }
    text(&mut b, &rows.columns);
    for (county, values) in counties.iter().zip(values) {
        text(&mut b, county.code);
        text(&mut b, county.name);
        match (county.readings, values) {
            (Some(f), _) => {
                b.push(1);
                b.extend_from_slice(&(f.len as u64).to_le_bytes());
                text(&mut b, &f.hash);
            }
            (None, values) => {
                b.push(0);
                let values = values.as_deref().unwrap_or_default();
                b.extend_from_slice(&(values.len() as u64).to_le_bytes());
                for v in values {
                    match v {
                        None => b.push(0),
                        Some(v) => {
                            b.push(1);
                            b.extend_from_slice(&v.to_bits().to_le_bytes());
                        }
                    }
                }
            }
        }
    }
    crate::output::hex(&Sha256::digest(&b))
}

/// The counties with their figures as rows numbered from `first`, each cell styled as its column is in the
/// first county's row.
fn write_lines(
    out: &mut Vec<u8>,
    counties: &[County<'_>],
    values: &[Vec<Option<f64>>],
    first: u32,
    l: &Layout<'_>,
) {
    let (names, styles) = (&l.names, &l.styles);
    for (n, (county, values)) in counties.iter().zip(values).enumerate() {
        // The row's number written once: a province's 分县区 has 400,000 cells, each naming it.
        let row = (first + n as u32).to_string();
        let row = row.as_str();
        out.extend_from_slice(b"<row r=\"");
        out.extend_from_slice(row.as_bytes());
        out.extend_from_slice(b"\">");
        text_cell(out, &names[0], row, &styles[0], county.code);
        text_cell(out, &names[1], row, &styles[1], county.name);
        for (k, v) in values.iter().enumerate() {
            let (name, style) = (&names[2 + k], &styles[2 + k]);
            match v {
                Some(v) if v.is_finite() => number_cell(out, name, row, style, *v),
                // As rust_xlsxwriter writes a number Excel cannot hold: as text.
                Some(v) if v.is_nan() => text_cell(out, name, row, style, "NAN"),
                Some(v) if *v > 0.0 => text_cell(out, name, row, style, "INF"),
                Some(_) => text_cell(out, name, row, style, "-INF"),
                None => {
                    open_cell(out, name, row, style);
                    out.extend_from_slice(b"/>");
                }
            }
        }
        out.extend_from_slice(b"</row>");
    }
}

/// The style attribute (` s="N"`, or nothing for the default style) of each cell of a drawn row, by column;
/// `None` unless the row's cells are in order from column A with none missing.
pub(super) fn styles(row: &str) -> Option<Vec<String>> {
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

/// A number cell with a style; `v` is finite.
pub(super) fn number_cell(out: &mut Vec<u8>, name: &str, row: &str, style: &str, v: f64) {
    open_cell(out, name, row, style);
    out.extend_from_slice(b"><v>");
    number_text(out, v);
    out.extend_from_slice(b"</v></c>");
}

/// An inline-string cell with a style; a blank styled cell for empty text, as rust_xlsxwriter writes one.
pub(super) fn text_cell(out: &mut Vec<u8>, name: &str, row: &str, style: &str, text: &str) {
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

    /// A county's row as a test gives it: its figures made up front.
    struct Line {
        code: String,
        name: String,
        values: Vec<Option<f64>>,
    }

    /// `lines` as rows from `first` in the sheet file `entry`, each county keyed by its figures.
    fn rows_of<'a>(entry: &str, first: u32, lines: &'a [Line]) -> Rows<'a> {
        Rows {
            entry: entry.to_string(),
            first,
            counties: lines
                .iter()
                .map(|l| County {
                    code: &l.code,
                    name: &l.name,
                    readings: None,
                })
                .collect(),
            width: lines.first().map_or(0, |l| l.values.len()),
            columns: String::new(),
            values: Box::new(move |code| {
                let line = lines.iter().find(|l| l.code == code).unwrap();
                line.values.clone()
            }),
        }
    }

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
        let xml = sheet_xml(&book);
        (book, xml)
    }

    /// The first sheet's XML of a drawn workbook.
    fn sheet_xml(book: &[u8]) -> String {
        let mut xml = String::new();
        zip::ZipArchive::new(Cursor::new(book))
            .unwrap()
            .by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml
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
        let lines = lines();
        let rows = rows_of("xl/worksheets/sheet1.xml", 2, &lines[1..]);
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
        let lines = lines();
        let mut rows = rows_of("", 2, &lines[2..]);
        assert!(
            insert(&first, &rows).is_none(),
            "the totals are not right after"
        );
        rows.first = 3;
        assert!(insert(&first, &rows).is_none(), "no such row");
    }

    /// 分县区 as drawn for `lines`: the header, the first county's row, and the totals after the last county.
    fn first_only(lines: &[Line]) -> String {
        let cell = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);
        let mut wb = Workbook::new();
        let ws: &mut Worksheet = wb.add_worksheet();
        ws.write_string_with_format(0, 0, "单位编码", &cell)
            .unwrap();
        ws.write_string_with_format(1, 0, &lines[0].code, &cell)
            .unwrap();
        ws.write_string_with_format(1, 1, &lines[0].name, &cell)
            .unwrap();
        for (n, v) in lines[0].values.iter().enumerate() {
            crate::style::maybe_number(ws, 1, 2 + n as u16, *v, &cell).unwrap();
        }
        ws.write_string_with_format(1 + lines.len() as u32, 1, "县区合计", &cell)
            .unwrap();
        sheet_xml(&wb.save_to_buffer().unwrap())
    }

    fn inflated(d: &Deflated) -> Vec<u8> {
        let mut xml = Vec::new();
        flate2::read::DeflateDecoder::new(d.parts().0)
            .read_to_end(&mut xml)
            .unwrap();
        xml
    }

    #[test]
    fn a_changed_county_deflates_the_piece_its_row_falls_in_again_and_no_other() {
        let store = crate::consolidate::long_sheet::memory::Memory::default();
        let mut lines: Vec<Line> = (0..700)
            .map(|n| Line {
                code: format!("c{n:04}"),
                name: format!("第{n}县"),
                values: vec![Some(n as f64), None, Some(n as f64 / 3.0)],
            })
            .collect();
        let sheet = first_only(&lines);
        let deflated = |rows: &Rows, store: &dyn Store| {
            Deflated::joined(deflate(&sheet, rows, 1, store).unwrap().unwrap().unwrap())
        };
        let rows = rows_of("xl/worksheets/sheet1.xml", 2, &lines[1..]);
        let first = deflated(&rows, &store);
        // 699 counties after the first: three pieces, read back as the rows put in whole.
        assert_eq!(store.kept(), 3);
        assert_eq!(inflated(&first), insert(&sheet, &rows).unwrap());
        assert_eq!(first.parts(), deflated(&rows, &()).parts());
        assert_eq!(deflated(&rows, &store).parts(), first.parts());
        assert_eq!(store.kept(), 3, "every piece from the store");
        // One county's figure changed: its piece alone is deflated again.
        drop(rows);
        lines[300].values[1] = Some(7.5);
        let changed = rows_of("xl/worksheets/sheet1.xml", 2, &lines[1..]);
        let again = deflated(&changed, &store);
        assert_eq!(store.kept(), 4);
        assert_eq!(inflated(&again), insert(&sheet, &changed).unwrap());
        assert_ne!(again.parts(), first.parts());
    }

    #[test]
    fn counties_known_by_their_readings_have_figures_made_only_for_pieces_not_kept() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let store = crate::consolidate::long_sheet::memory::Memory::default();
        let lines: Vec<Line> = (0..600)
            .map(|n| Line {
                code: format!("c{n:04}"),
                name: format!("第{n}县"),
                values: vec![Some(n as f64), Some(0.5)],
            })
            .collect();
        let sheet = first_only(&lines);
        let mut figures: Vec<UnitFigures> = lines
            .iter()
            .map(|l| UnitFigures {
                unit: l.code.as_str().into(),
                len: 2,
                hash: format!("hash of {}", l.code),
            })
            .collect();
        let made = AtomicUsize::new(0);
        let draw = |figures: &[UnitFigures], store: &dyn Store| {
            let mut rows = rows_of("xl/worksheets/sheet1.xml", 2, &lines[1..]);
            for (c, f) in rows.counties.iter_mut().zip(&figures[1..]) {
                c.readings = Some(f);
            }
            let values = rows.values;
            let made = &made;
            rows.values = Box::new(move |code| {
                made.fetch_add(1, Ordering::Relaxed);
                values(code)
            });
            let d = deflate(&sheet, &rows, 1, store).unwrap().unwrap().unwrap();
            (
                inflated(&Deflated::joined(d)),
                insert(&sheet, &rows).unwrap(),
            )
        };
        let (first, whole) = draw(&figures, &store);
        assert_eq!(first, whole);
        // 599 counties made once for the three pieces and once more for the whole sheet.
        assert_eq!(made.swap(0, Ordering::Relaxed), 2 * 599);
        assert_eq!(store.kept(), 3);
        assert_eq!(draw(&figures, &store).0, first);
        assert_eq!(
            made.swap(0, Ordering::Relaxed),
            599,
            "none for the pieces kept"
        );
        // A county whose readings changed: its piece's 256 counties are made again, and no others.
        figures[300].hash = "a new hash".to_string();
        draw(&figures, &store);
        assert_eq!(made.swap(0, Ordering::Relaxed), 256 + 599);
        assert_eq!(store.kept(), 4);
    }
}
