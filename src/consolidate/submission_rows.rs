//! The rows of 报送情况, one per reporting unit, written as SpreadsheetML here and put into the sheet
//! rust_xlsxwriter drew with the header and a few of the rows.
//!
//! rust_xlsxwriter finds each formatted cell's style by hashing its whole format, about half a microsecond a cell:
//! 报送情况 of 10,000 units held 90,000 of them, a third of the consolidated workbook's drawing. rust_xlsxwriter
//! draws the first row, the last (which sets the sheet's dimension) and the first of each status, whose fill the
//! status cell takes; every other row repeats the styles of the drawn row of its status, with its own texts as
//! inline strings and its own counts.

use super::county_rows::{number_cell, styles, text_cell};

/// The rows rust_xlsxwriter did not draw, and which it did.
pub struct Rows {
    /// The sheet's zip entry, `xl/worksheets/sheetN.xml`.
    pub entry: String,
    /// The rows rust_xlsxwriter drew under the header (1-based), with their statuses.
    pub drawn: Vec<(u32, &'static str)>,
    /// The others, by row.
    pub lines: Vec<Line>,
}

/// One row not drawn by rust_xlsxwriter.
pub struct Line {
    /// Its 1-based row number.
    pub row: u32,
    /// Its status, as `Rows::drawn`'s rows of the same status are styled: the status cell's fill.
    pub status: &'static str,
    /// 单位编码, 单位, 报送状态, 文件名, 收到时间, SHA-256.
    pub texts: [String; 6],
    /// 错误, 警告, 提示.
    pub counts: [usize; 3],
}

impl Rows {
    /// No rows to put in: the sheet as rust_xlsxwriter drew it.
    pub fn none() -> Rows {
        Rows {
            entry: String::new(),
            drawn: Vec::new(),
            lines: Vec::new(),
        }
    }
}

/// `sheet` with the lines put among the rows rust_xlsxwriter drew; `None` when the sheet is not as expected (a
/// drawn row missing or not where it should be, a line whose status no drawn row shows): refused, never misfilled.
pub fn insert(sheet: &str, rows: &Rows) -> Option<Vec<u8>> {
    let open = sheet.find("<sheetData>")? + "<sheetData>".len();
    let close = sheet.find("</sheetData>")?;
    // The drawn rows, by number: each from its `<row` to its `</row>`.
    let mut drawn: Vec<(u32, &str)> = Vec::new();
    let mut rest = &sheet[open..close];
    while !rest.is_empty() {
        let body = rest.strip_prefix("<row r=\"")?;
        let number: u32 = body[..body.find('"')?].parse().ok()?;
        let end = rest.find("</row>")? + "</row>".len();
        drawn.push((number, &rest[..end]));
        rest = &rest[end..];
    }
    let numbers = drawn.iter().skip(1).map(|(n, _)| *n);
    if drawn.first().map(|(n, _)| *n) != Some(1) || !numbers.eq(rows.drawn.iter().map(|(n, _)| *n))
    {
        return None;
    }
    // Each status's cell styles, from its drawn row.
    let mut shown: Vec<(&'static str, Vec<String>)> = Vec::new();
    for (&(_, row), &(_, status)) in drawn[1..].iter().zip(&rows.drawn) {
        let cells = styles(row).filter(|s| s.len() == 9)?;
        if !shown.iter().any(|(s, _)| *s == status) {
            shown.push((status, cells));
        }
    }
    let names: Vec<String> = (0..9u16)
        .map(rust_xlsxwriter::utility::column_number_to_name)
        .collect();
    let mut out = Vec::with_capacity(sheet.len() + rows.lines.len() * 600);
    out.extend_from_slice(&sheet.as_bytes()[..open]);
    let mut lines = rows.lines.iter().peekable();
    for &(n, row) in &drawn {
        while let Some(line) = lines.next_if(|l| l.row < n) {
            write_line(&mut out, line, &names, &shown)?;
        }
        out.extend_from_slice(row.as_bytes());
    }
    // Every line lies before the last row, which is drawn.
    if lines.next().is_some() {
        return None;
    }
    out.extend_from_slice(&sheet.as_bytes()[close..]);
    Some(out)
}

/// One line as a row, styled as the drawn row of its status; `None` when no drawn row has its status.
fn write_line(
    out: &mut Vec<u8>,
    line: &Line,
    names: &[String],
    shown: &[(&'static str, Vec<String>)],
) -> Option<()> {
    let styles = &shown.iter().find(|(s, _)| *s == line.status)?.1;
    let row = line.row.to_string();
    out.extend_from_slice(b"<row r=\"");
    out.extend_from_slice(row.as_bytes());
    out.extend_from_slice(b"\">");
    for (k, text) in line.texts.iter().enumerate() {
        text_cell(out, &names[k], &row, &styles[k], text);
    }
    for (k, count) in line.counts.iter().enumerate() {
        number_cell(out, &names[6 + k], &row, &styles[6 + k], *count as f64);
    }
    out.extend_from_slice(b"</row>");
    Some(())
}
