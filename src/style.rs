//! Shared cell formats and sheet helpers for every workbook huizong writes.

use std::borrow::Cow;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

/// Most UTF-16 units Excel keeps in a cell.
pub const CELL_MAX: usize = 32_767;
/// Most UTF-16 units in a note: rust_xlsxwriter keeps 54 back for the author's name.
pub const NOTE_MAX: usize = 32_713;
const CUT: &str = "……（内容过长，余下从略）";
/// Tallest row Excel draws, in points.
const ROW_MAX: f64 = 409.0;

/// `text` cut to at most `max` UTF-16 units, saying it was cut: a workbook refuses a longer cell, and a run
/// must not fail because a remark pasted into one cell was long. report.json keeps such text whole.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    // UTF-8 never takes fewer bytes than UTF-16 takes units: most text is settled without counting.
    if text.len() <= max || text.encode_utf16().count() <= max {
        return Cow::Borrowed(text);
    }
    let room = max - CUT.encode_utf16().count();
    let mut units = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > room
        })
        .map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{CUT}", &text[..end]))
}

/// Writing text that may be longer than a cell holds.
pub trait Text {
    /// Writes `text`, cut to what a cell holds.
    fn text(
        &mut self,
        row: u32,
        col: u16,
        text: impl AsRef<str>,
    ) -> Result<&mut Worksheet, XlsxError>;
    /// Writes `text` with a format, cut to what a cell holds.
    fn text_with(
        &mut self,
        row: u32,
        col: u16,
        text: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Worksheet, XlsxError>;
}

impl Text for Worksheet {
    fn text(
        &mut self,
        row: u32,
        col: u16,
        text: impl AsRef<str>,
    ) -> Result<&mut Worksheet, XlsxError> {
        self.write_string(row, col, fit(text.as_ref(), CELL_MAX))
    }

    fn text_with(
        &mut self,
        row: u32,
        col: u16,
        text: impl AsRef<str>,
        format: &Format,
    ) -> Result<&mut Worksheet, XlsxError> {
        self.write_string_with_format(row, col, fit(text.as_ref(), CELL_MAX), format)
    }
}

/// The formats every output workbook uses.
pub struct Styles {
    /// Sheet title.
    pub title: Format,
    /// Plain text.
    pub plain: Format,
    /// Header cells.
    pub header: Format,
    /// A bordered cell.
    pub cell: Format,
    /// A bordered cell whose text wraps.
    pub wrap: Format,
    /// A percentage (stored as a fraction).
    pub percent: Format,
    /// Error fill.
    pub red: Format,
    /// Warning fill.
    pub amber: Format,
    /// Good fill.
    pub green: Format,
    /// A hyperlink.
    pub link: Format,
    money: Format,
    number: Format,
    red_money: Format,
    red_number: Format,
}

/// Fill of an error cell.
pub const RED: u32 = 0xFFC7CE;
/// Fill of a warning cell.
pub const AMBER: u32 = 0xFFEB9C;
/// Fill of a good cell.
pub const GREEN: u32 = 0xC6EFCE;

impl Styles {
    /// The standard set.
    pub fn new() -> Styles {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let fill = |c: u32| cell.clone().set_background_color(Color::RGB(c));
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(14)
                .set_align(FormatAlign::Center),
            plain: Format::new(),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xDDEBF7)),
            wrap: cell.clone().set_text_wrap(),
            percent: cell.clone().set_num_format("0.0%"),
            red: fill(RED),
            amber: fill(AMBER),
            green: fill(GREEN),
            link: cell
                .clone()
                .set_font_color(Color::RGB(0x0563C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            money: cell.clone().set_num_format("0.00"),
            number: cell.clone().set_num_format("General"),
            red_money: fill(RED).set_num_format("0.00"),
            red_number: fill(RED).set_num_format("General"),
            cell,
        }
    }

    /// Gives each style its number in `wb` now, in one order, rather than as cells first use them: a style's
    /// number then does not depend on which styles the figures happen to need (a unit's return that raises the
    /// first red cell would renumber every style after it), and rows written as XML with those numbers (see
    /// `consolidate::county_rows`) stay those of a later run.
    pub fn register(&self, wb: &mut rust_xlsxwriter::Workbook) {
        let Styles {
            title,
            plain,
            header,
            cell,
            wrap,
            percent,
            red,
            amber,
            green,
            link,
            money,
            number,
            red_money,
            red_number,
        } = self;
        for f in [
            title, plain, header, cell, wrap, percent, red, amber, green, link, money, number,
            red_money, red_number,
        ] {
            wb.register_format(f);
        }
    }

    /// The fill for a finding of this severity: red, amber, or plain for info.
    pub fn severity(&self, severity: crate::finding::Severity) -> &Format {
        match severity {
            crate::finding::Severity::Error => &self.red,
            crate::finding::Severity::Warning => &self.amber,
            crate::finding::Severity::Info => &self.cell,
        }
    }

    /// The number format for figures in `unit` (亿元 with 2 decimals).
    pub fn number_for(&self, unit: &str) -> &Format {
        if unit == "亿元" {
            &self.money
        } else {
            &self.number
        }
    }

    /// The same, filled as an error.
    pub fn red_number_for(&self, unit: &str) -> &Format {
        if unit == "亿元" {
            &self.red_money
        } else {
            &self.red_number
        }
    }
}

impl Default for Styles {
    fn default() -> Self {
        Styles::new()
    }
}

/// Sets column widths, in characters (a Chinese character counts about two).
pub fn columns(ws: &mut Worksheet, widths: &[f64]) -> Result<(), XlsxError> {
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    Ok(())
}

/// Writes a header row.
pub fn header_row(
    ws: &mut Worksheet,
    row: u32,
    headers: &[&str],
    format: &Format,
) -> Result<(), XlsxError> {
    for (c, h) in headers.iter().enumerate() {
        ws.text_with(row, c as u16, h, format)?;
    }
    Ok(())
}

/// Writes a number, or a bordered blank when there is none.
pub fn maybe_number(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<f64>,
    format: &Format,
) -> Result<(), XlsxError> {
    match v {
        Some(v) => ws.write_number_with_format(row, col, v, format)?,
        None => ws.write_blank(row, col, format)?,
    };
    Ok(())
}

/// Display width of text in column-width units: a CJK character takes about two.
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 1.1 } else { 2.1 })
        .sum()
}

/// How many lines the tallest of a row's cells wraps to, each `(text, column width)`.
pub fn row_lines(cells: &[(&str, f64)]) -> f64 {
    cells
        .iter()
        .map(|(text, width)| (text_width(text) / width.max(1.0)).ceil().max(1.0))
        .fold(1.0, f64::max)
}

/// Sets a row tall enough for its wrapped cells, since viewers do not all recompute row heights on load.
pub fn fit_row(ws: &mut Worksheet, row: u32, cells: &[(&str, f64)]) -> Result<(), XlsxError> {
    let lines = row_lines(cells);
    if lines > 1.0 {
        ws.set_row_height(row, (15.0 * lines).min(ROW_MAX))?;
    }
    Ok(())
}

/// The style attribute of cell `reference` in the sheet file `sheet` of a saved workbook (for tests).
#[cfg(test)]
pub(crate) fn style_of(book: &[u8], sheet: &str, reference: &str) -> String {
    use std::io::Read;
    let mut xml = String::new();
    zip::ZipArchive::new(std::io::Cursor::new(book))
        .unwrap()
        .by_name(sheet)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let at = xml.find(&format!("<c r=\"{reference}\"")).unwrap();
    let tag = &xml[at..at + xml[at..].find('>').unwrap()];
    let (_, style) = tag.split_once(" s=\"").unwrap();
    style.split('"').next().unwrap().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_style_keeps_its_number_whichever_styles_cells_use_first() {
        let draw = |red_first: bool| {
            let st = Styles::new();
            let mut wb = rust_xlsxwriter::Workbook::new();
            st.register(&mut wb);
            let ws = wb.add_worksheet();
            if red_first {
                ws.write_number_with_format(0, 0, 1.0, &st.red_money)
                    .unwrap();
            }
            ws.write_number_with_format(1, 0, 2.0, &st.money).unwrap();
            style_of(
                &wb.save_to_buffer().unwrap(),
                "xl/worksheets/sheet1.xml",
                "A2",
            )
        };
        assert_eq!(draw(true), draw(false));
        // Unregistered, the first style a cell uses takes the first number.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_number_with_format(1, 0, 2.0, &Styles::new().money)
            .unwrap();
        assert_ne!(
            style_of(
                &wb.save_to_buffer().unwrap(),
                "xl/worksheets/sheet1.xml",
                "A2"
            ),
            draw(false)
        );
    }

    #[test]
    fn text_longer_than_a_cell_is_cut_and_says_so() {
        assert_eq!(fit("第00001县", CELL_MAX), "第00001县");
        // Characters outside the basic plane take two UTF-16 units each: Excel counts those.
        let long = "县𠀀".repeat(20_000);
        let cut = fit(&long, CELL_MAX);
        assert!(cut.encode_utf16().count() <= CELL_MAX);
        assert!(cut.encode_utf16().count() > CELL_MAX - 2);
        assert!(cut.ends_with(CUT) && cut.starts_with("县𠀀县𠀀"));
        let mut ws = Worksheet::new();
        assert!(ws.text(0, 0, &long).is_ok());
        assert!(
            ws.write_string(1, 0, &long).is_err(),
            "rust_xlsxwriter refuses it whole"
        );
    }
}
