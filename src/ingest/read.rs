//! The one reader path through calamine: bytes in, bounded sparse sheets out.
//!
//! Zip-based sheets (xlsx, xlsm, xlsb) are streamed cell by cell and cut at the row and cell caps, so a sheet
//! whose one stray cell sits at XFD1048576 costs nothing. ods and xls are read as ranges (calamine offers no
//! stream for them); their size was bounded by `sniff` and by the formats' own limits.

use std::io::Cursor;

use calamine::{
    Data, DataRef, Dimensions, Ods, Reader, SheetVisible, Xls, Xlsb, Xlsx, XlsxFormulaMetadata,
};

use super::sniff::{Format, Refusal};
pub use crate::raw::{Merge, RawBook, RawCell, RawSheet, RawValue};
use crate::settings::Settings;

/// Reads every sheet of a workbook whose format `sniff` has established.
pub fn read(bytes: &[u8], format: Format, settings: &Settings) -> Result<RawBook, Refusal> {
    let cursor = Cursor::new(bytes);
    match format {
        Format::Xlsx | Format::Xlsm => {
            let mut wb: Xlsx<_> = Xlsx::new(cursor).map_err(xlsx_refusal)?;
            read_xlsx(&mut wb, settings)
        }
        Format::Xlsb => {
            let mut wb: Xlsb<_> = Xlsb::new(cursor).map_err(|e| unreadable(&e))?;
            read_streamed_xlsb(&mut wb, settings)
        }
        Format::Xls => {
            let mut wb: Xls<_> = Xls::new(cursor).map_err(|e| match e {
                calamine::XlsError::Password => Refusal::Encrypted,
                e => unreadable(&e),
            })?;
            read_ranges(&mut wb, settings, |wb, name| {
                wb.merge_cells_by_sheet_name(name).unwrap_or_default()
            })
        }
        Format::Ods => {
            let mut wb: Ods<_> = Ods::new(cursor).map_err(|e| match e {
                calamine::OdsError::Password => Refusal::Encrypted,
                e => unreadable(&e),
            })?;
            let mut book = read_ranges(&mut wb, settings, |_, _| Vec::new())?;
            let spans = super::ods::spans(bytes);
            for sheet in &mut book.sheets {
                if let Some((_, merges)) = spans.iter().find(|(n, _)| *n == sheet.name) {
                    sheet.merges.clone_from(merges);
                }
            }
            Ok(book)
        }
    }
}

fn unreadable(e: &dyn std::fmt::Display) -> Refusal {
    Refusal::Unreadable(format!("文件已损坏，无法读取（{e}）；请重新保存后报送"))
}

fn xlsx_refusal(e: calamine::XlsxError) -> Refusal {
    match e {
        calamine::XlsxError::Password => Refusal::Encrypted,
        e => unreadable(&e),
    }
}

fn too_large(settings: &Settings) -> Refusal {
    Refusal::TooLarge(format!(
        "工作表的单元格数超过上限{}个，不像是一份填报表",
        settings.max_cells
    ))
}

/// Tracks the cell budget shared by all sheets of one file.
struct Budget {
    left: u64,
    max_rows: u32,
}

impl Budget {
    fn new(settings: &Settings) -> Self {
        Budget {
            left: settings.max_cells,
            max_rows: settings.max_rows,
        }
    }

    /// Counts one cell read from the file; an error once the file has used up its budget.
    fn spend(&mut self, settings: &Settings) -> Result<(), Refusal> {
        if self.left == 0 {
            return Err(too_large(settings));
        }
        self.left -= 1;
        Ok(())
    }

    /// Whether a cell lies inside the caps: cells past the last row read or the 64th column are dropped.
    fn admits(&self, row: u32, col: u32) -> bool {
        row < self.max_rows && col < 64
    }
}

/// Whether a number format scales its value to a percentage: a `%` outside quotes and not escaped
/// (`0.0"%"` and `0.0\%` only print a percent sign after the number as written).
fn shows_percent(code: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '%' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// The workbook's sheets, named and flagged hidden, not yet read.
fn empty_sheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &R) -> Vec<RawSheet> {
    wb.sheets_metadata()
        .iter()
        .map(|s| RawSheet {
            name: s.name.clone(),
            hidden: !matches!(s.visible, SheetVisible::Visible),
            ..RawSheet::default()
        })
        .collect()
}

fn from_ref(v: &DataRef<'_>) -> RawValue {
    match v {
        DataRef::Int(i) => RawValue::Number(*i as f64),
        DataRef::Float(f) => RawValue::Number(*f),
        DataRef::String(s) => RawValue::Text(s.clone()),
        DataRef::SharedString(s) => RawValue::Text((*s).to_string()),
        DataRef::Bool(b) => RawValue::Bool(*b),
        DataRef::DateTime(d) => RawValue::Number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => RawValue::Text(s.clone()),
        DataRef::Error(e) => RawValue::Error(e.to_string()),
        DataRef::Empty => RawValue::Empty,
    }
}

fn from_data(v: &Data) -> RawValue {
    match v {
        Data::Int(i) => RawValue::Number(*i as f64),
        Data::Float(f) => RawValue::Number(*f),
        Data::String(s) => RawValue::Text(s.clone()),
        Data::Bool(b) => RawValue::Bool(*b),
        Data::DateTime(d) => RawValue::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => RawValue::Text(s.clone()),
        Data::Error(e) => RawValue::Error(e.to_string()),
        Data::Empty => RawValue::Empty,
    }
}

fn read_xlsx(wb: &mut Xlsx<Cursor<&[u8]>>, settings: &Settings) -> Result<RawBook, Refusal> {
    let mut budget = Budget::new(settings);
    let mut book = RawBook::default();
    for mut sheet in empty_sheets(wb) {
        let left = budget.left;
        let percent = match values_and_formulas(wb, &mut sheet, &mut budget, settings)? {
            Some(percent) => percent,
            // calamine parses a formula record's attributes (a shared formula's si and ref) only when asked for
            // formulas: a sheet whose records it cannot parse is read for its values and formats alone.
            None => {
                sheet.cells.clear();
                sheet.truncated = false;
                budget.left = left;
                values_and_formats(wb, &mut sheet, &mut budget, settings)?;
                Vec::new()
            }
        };
        // Percent formats take a pass of their own, and only in a workbook that has one: most have none.
        if percent.contains(&true) {
            mark_percent(wb, &mut sheet, &percent, &budget)?;
        }
        sheet.merges = wb
            .merge_cells_by_sheet_name(&sheet.name)
            .unwrap_or_default()
            .iter()
            .take(crate::raw::MAX_MERGES)
            .map(merge)
            .collect();
        book.sheets.push(sheet);
    }
    Ok(book)
}

/// Which of the workbook's styles show a percentage, by style id.
fn percent_styles(styles: &[calamine::Style]) -> Vec<bool> {
    styles
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .is_some_and(|f| shows_percent(&f.format_code))
        })
        .collect()
}

/// Reads a sheet's values and formulas in one pass, and gives the workbook's percent styles; `None` when calamine
/// cannot read a formula record. A formula saved without its result reads as an empty cell, as does a blank that
/// only carries a format, and only the formula tells them apart.
fn values_and_formulas(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &mut RawSheet,
    budget: &mut Budget,
    settings: &Settings,
) -> Result<Option<Vec<bool>>, Refusal> {
    let mut cells = wb
        .worksheet_cells_reader(&sheet.name)
        .map_err(xlsx_refusal)?;
    let percent = percent_styles(cells.styles());
    loop {
        let cell = match cells.next_cell_with_formula_metadata() {
            Ok(Some(cell)) => cell,
            Ok(None) => return Ok(Some(percent)),
            Err(_) => return Ok(None),
        };
        budget.spend(settings)?;
        let (row, col) = cell.pos;
        if !budget.admits(row, col) {
            sheet.truncated = true;
            continue;
        }
        let value = from_ref(&cell.value);
        let formula = cell.formula.as_ref().is_some_and(written);
        if value != RawValue::Empty || formula {
            sheet.cells.insert(
                (row, col),
                RawCell {
                    value,
                    percent: false,
                    formula,
                    declared_unit: None,
                },
            );
        }
    }
}

/// Reads a sheet's values with their percent formats, leaving formulas aside.
fn values_and_formats(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &mut RawSheet,
    budget: &mut Budget,
    settings: &Settings,
) -> Result<(), Refusal> {
    let mut cells = wb
        .worksheet_cells_reader(&sheet.name)
        .map_err(xlsx_refusal)?;
    let percent = percent_styles(cells.styles());
    while let Some((cell, style)) = cells.next_cell_with_style_id().map_err(xlsx_refusal)? {
        budget.spend(settings)?;
        let (row, col) = cell.get_position();
        if !budget.admits(row, col) {
            sheet.truncated = true;
            continue;
        }
        let value = from_ref(cell.get_value());
        let is_percent = percent.get(style).copied().unwrap_or(false);
        if value != RawValue::Empty || is_percent {
            sheet.cells.insert(
                (row, col),
                RawCell {
                    value,
                    percent: is_percent,
                    formula: false,
                    declared_unit: None,
                },
            );
        }
    }
    Ok(())
}

/// Flags the cells whose style shows a percentage, adding those left blank (a % row's format alone says what
/// its figures are).
fn mark_percent(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &mut RawSheet,
    percent: &[bool],
    budget: &Budget,
) -> Result<(), Refusal> {
    let mut cells = wb
        .worksheet_cells_reader(&sheet.name)
        .map_err(xlsx_refusal)?;
    while let Some((cell, style)) = cells.next_cell_with_style_id().map_err(xlsx_refusal)? {
        let (row, col) = cell.get_position();
        if budget.admits(row, col) && percent.get(style).copied().unwrap_or(false) {
            sheet
                .cells
                .entry((row, col))
                .or_insert(RawCell {
                    value: RawValue::Empty,
                    percent: true,
                    formula: false,
                    declared_unit: None,
                })
                .percent = true;
        }
    }
    Ok(())
}

/// Whether a cell's formula record holds a formula: an empty `<f/>` does not.
fn written(f: &XlsxFormulaMetadata) -> bool {
    match f {
        XlsxFormulaMetadata::Normal { formula } | XlsxFormulaMetadata::Shared { formula, .. } => {
            !formula.is_empty()
        }
        _ => true,
    }
}

fn merge(d: &Dimensions) -> Merge {
    Merge {
        row: d.start.0,
        col: d.start.1,
        last_row: d.end.0,
        last_col: d.end.1,
    }
}

fn read_streamed_xlsb(
    wb: &mut Xlsb<Cursor<&[u8]>>,
    settings: &Settings,
) -> Result<RawBook, Refusal> {
    let mut budget = Budget::new(settings);
    let mut book = RawBook::default();
    for mut sheet in empty_sheets(wb) {
        let name = sheet.name.clone();
        let Ok(mut cells) = wb.worksheet_cells_reader(&name) else {
            // Chart sheets and macro sheets have no cells to read.
            continue;
        };
        while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
            budget.spend(settings)?;
            let (row, col) = cell.get_position();
            if !budget.admits(row, col) {
                sheet.truncated = true;
                continue;
            }
            let value = from_ref(cell.get_value());
            if value != RawValue::Empty {
                sheet.cells.insert(
                    (row, col),
                    RawCell {
                        value,
                        percent: false,
                        formula: false,
                        declared_unit: None,
                    },
                );
            }
        }
        book.sheets.push(sheet);
    }
    Ok(book)
}

fn read_ranges<'b, R>(
    wb: &mut R,
    settings: &Settings,
    merges: impl Fn(&mut R, &str) -> Vec<Dimensions>,
) -> Result<RawBook, Refusal>
where
    R: Reader<Cursor<&'b [u8]>>,
    R::Error: std::fmt::Display,
{
    let mut budget = Budget::new(settings);
    let mut book = RawBook::default();
    for mut sheet in empty_sheets(wb) {
        let Ok(range) = wb.worksheet_range(&sheet.name) else {
            continue;
        };
        sheet.merges = merges(wb, &sheet.name)
            .iter()
            .take(crate::raw::MAX_MERGES)
            .map(merge)
            .collect();
        for (row, col, value) in range.used_cells() {
            budget.spend(settings)?;
            let (row, col) = (
                range.start().map_or(0, |s| s.0) + row as u32,
                range.start().map_or(0, |s| s.1) + col as u32,
            );
            if !budget.admits(row, col) {
                sheet.truncated = true;
                continue;
            }
            sheet.cells.insert(
                (row, col),
                RawCell {
                    value: from_data(value),
                    percent: false,
                    formula: false,
                    declared_unit: None,
                },
            );
        }
        book.sheets.push(sheet);
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::shows_percent;

    #[test]
    fn percent_formats_are_told_from_literal_percent_signs() {
        assert!(shows_percent("0%"));
        assert!(shows_percent("0.00%;[Red]-0.00%"));
        assert!(!shows_percent("0.0\"%\""));
        assert!(!shows_percent("0.0\\%"));
        assert!(!shows_percent("General"));
    }
}
