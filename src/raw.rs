//! The raw workbook as read from a file: sparse sheets of stored values, with their merged regions.
//!
//! Low in the journey so that both `ingest` (which fills it) and `normalise` (which reads its cells) use it
//! without one importing the other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A cell's value as stored in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RawValue {
    /// Nothing.
    Empty,
    /// A number (dates arrive as their serial number).
    Number(f64),
    /// Text.
    Text(String),
    /// TRUE or FALSE.
    Bool(bool),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

/// One non-empty cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawCell {
    /// The stored value (a formula's saved result).
    pub value: RawValue,
    /// The cell's number format shows a percentage.
    #[serde(default, skip_serializing_if = "is_false")]
    pub percent: bool,
    /// The cell holds a formula.
    #[serde(default, skip_serializing_if = "is_false")]
    pub formula: bool,
    /// A unit of measure written outside the cell for it (单位：万元 in the title, 累计完成（万元）), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_unit: Option<String>,
}

/// Flags left out when unset: the readings cache holds some sixty cells a return, and is parsed on every run.
fn is_false(b: &bool) -> bool {
    !*b
}

impl RawCell {
    /// A plain cell holding `value`.
    pub fn of(value: RawValue) -> RawCell {
        RawCell {
            value,
            percent: false,
            formula: false,
            declared_unit: None,
        }
    }
}

/// Merged regions kept per sheet: far more than any return has, few enough that looking one up stays cheap.
pub const MAX_MERGES: usize = 2_000;

/// A merged region, inclusive, by real 0-based row and column; only its first cell holds the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merge {
    /// First row.
    pub row: u32,
    /// First column.
    pub col: u32,
    /// Last row.
    pub last_row: u32,
    /// Last column.
    pub last_col: u32,
}

/// A sheet as a sparse grid addressed by real (0-based) row and column.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawSheet {
    /// The sheet's name.
    pub name: String,
    /// Hidden or very hidden.
    pub hidden: bool,
    /// Cells by (row, column).
    #[serde(with = "cell_list")]
    pub cells: BTreeMap<(u32, u32), RawCell>,
    /// Merged regions.
    #[serde(default)]
    pub merges: Vec<Merge>,
    /// Cells were dropped because the sheet went past the caps.
    pub truncated: bool,
}

impl RawSheet {
    /// The cell at (row, column), if any.
    pub fn get(&self, row: u32, col: u32) -> Option<&RawCell> {
        self.cells.get(&(row, col))
    }

    /// The merged region covering (row, column) other than as its first cell, if any.
    pub fn merge_over(&self, row: u32, col: u32) -> Option<&Merge> {
        self.merges.iter().find(|m| {
            (m.row..=m.last_row).contains(&row)
                && (m.col..=m.last_col).contains(&col)
                && (m.row, m.col) != (row, col)
        })
    }

    /// The cell at (row, column), or, inside a merged region, the region's first cell.
    pub fn get_merged(&self, row: u32, col: u32) -> Option<&RawCell> {
        match self.get(row, col) {
            Some(c) if c.value != RawValue::Empty => Some(c),
            found => self
                .merge_over(row, col)
                .and_then(|m| self.get(m.row, m.col))
                .or(found),
        }
    }

    /// The cell's text, trimmed; numbers are shown as Excel's General format would.
    pub fn text(&self, row: u32, col: u32) -> String {
        show(self.get(row, col))
    }

    /// Like [`RawSheet::text`], reading a merged region's value in every cell it covers.
    pub fn text_merged(&self, row: u32, col: u32) -> String {
        show(self.get_merged(row, col))
    }

    /// The rows that hold anything, in order.
    pub fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        let mut last = None;
        self.cells.keys().filter_map(move |(r, _)| {
            if last == Some(*r) {
                return None;
            }
            last = Some(*r);
            Some(*r)
        })
    }

    /// The texts of one row's cells, left to right, with their columns.
    pub fn row_texts(&self, row: u32) -> Vec<(u32, String)> {
        self.row_texts_lazily(row).collect()
    }

    /// [`RawSheet::row_texts`] one at a time, for a question the first few texts may answer.
    pub fn row_texts_lazily(&self, row: u32) -> impl Iterator<Item = (u32, String)> + '_ {
        self.cells
            .range((row, 0)..(row + 1, 0))
            .map(|((_, c), cell)| (*c, show(Some(cell))))
            .filter(|(_, t)| !t.is_empty())
    }

    /// The columns [`RawSheet::row_texts`] lists, without writing out their texts.
    pub fn text_cols(&self, row: u32) -> impl Iterator<Item = u32> + '_ {
        self.cells
            .range((row, 0)..(row + 1, 0))
            .filter(|(_, cell)| !blank(cell))
            .map(|((_, c), _)| *c)
    }
}

/// Whether a cell shows no text: what [`show`] gives empty, decided without writing it out.
fn blank(cell: &RawCell) -> bool {
    match &cell.value {
        RawValue::Text(s) => s.trim().is_empty(),
        RawValue::Error(e) => e.is_empty(),
        RawValue::Empty => true,
        RawValue::Number(_) | RawValue::Bool(_) => false,
    }
}

fn show(cell: Option<&RawCell>) -> String {
    match cell.map(|c| &c.value) {
        Some(RawValue::Text(s)) => s.trim().to_string(),
        Some(RawValue::Number(n)) => crate::plan::model::fmt_num(*n),
        Some(RawValue::Bool(b)) => b.to_string().to_uppercase(),
        Some(RawValue::Error(e)) => e.clone(),
        Some(RawValue::Empty) | None => String::new(),
    }
}

/// A workbook's sheets in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawBook {
    /// The sheets.
    pub sheets: Vec<RawSheet>,
}

/// JSON has no tuple keys: the grid crosses the process boundary as a list of (row, column, cell).
mod cell_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::RawCell;

    pub fn serialize<S: Serializer>(
        cells: &BTreeMap<(u32, u32), RawCell>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let list: Vec<(u32, u32, &RawCell)> = cells.iter().map(|((r, c), v)| (*r, *c, v)).collect();
        list.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<(u32, u32), RawCell>, D::Error> {
        let list: Vec<(u32, u32, RawCell)> = Vec::deserialize(d)?;
        Ok(list.into_iter().map(|(r, c, v)| ((r, c), v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merged_region_reads_its_first_cell_everywhere() {
        let mut s = RawSheet::default();
        s.cells
            .insert((2, 7), RawCell::of(RawValue::Text("已完成".into())));
        s.merges.push(Merge {
            row: 2,
            col: 7,
            last_row: 4,
            last_col: 7,
        });
        assert_eq!(s.text_merged(4, 7), "已完成");
        assert_eq!(s.text(4, 7), "");
        assert_eq!(s.text_merged(5, 7), "");
    }

    #[test]
    fn text_columns_are_those_of_the_row_texts() {
        let mut s = RawSheet::default();
        for (c, v) in [
            RawValue::Text("  ".into()),
            RawValue::Text("\u{3000}".into()),
            RawValue::Text(" 合计 ".into()),
            RawValue::Number(0.0),
            RawValue::Number(f64::NAN),
            RawValue::Bool(false),
            RawValue::Error(String::new()),
            RawValue::Error("#N/A".into()),
            RawValue::Empty,
        ]
        .into_iter()
        .enumerate()
        {
            s.cells.insert((3, c as u32), RawCell::of(v));
        }
        s.cells
            .insert((4, 0), RawCell::of(RawValue::Text("下一行".into())));
        let listed: Vec<u32> = s.row_texts(3).into_iter().map(|(c, _)| c).collect();
        assert_eq!(listed, [2, 3, 4, 5, 7]);
        assert_eq!(s.text_cols(3).collect::<Vec<_>>(), listed);
    }
}
