//! Feedback workbooks that are their cover sheet alone (a unit with nothing to fix), drawn from one another.
//!
//! Two such workbooks whose rows wrap alike differ only in their texts, which rust_xlsxwriter keeps in
//! `xl/sharedStrings.xml`: one drawn by rust_xlsxwriter serves every other of its [`Shape`] with that entry
//! written anew and the rest copied, compressed bytes and all. Drawing each whole (rust_xlsxwriter starts a
//! thread for every sheet it saves) took a fifth of a cold run at 1,000 returns. The bytes are those
//! rust_xlsxwriter draws: every drawn pattern is first given its own texts again, and a shape whose pattern does
//! not come back the same is drawn whole.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use zip::{ZipArchive, ZipWriter};

use super::feedback::{COVER_WIDTH, Cover};
use crate::style::{CELL_MAX, row_lines};

/// The entry that holds a workbook's texts.
const STRINGS: &str = "xl/sharedStrings.xml";

/// What decides a cover-only workbook's bytes besides its texts: how many lines each row wraps to (its
/// height), and where each text first stands (a text met again is stored once).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    lines: Vec<u32>,
    firsts: Vec<usize>,
}

impl Shape {
    /// The shape of a cover that is its workbook alone and whose texts are stored as they are; none otherwise.
    pub fn of(cover: &Cover) -> Option<Shape> {
        if !cover.alone {
            return None;
        }
        let texts = texts(cover);
        if !texts.iter().all(|t| plain(t)) {
            return None;
        }
        let lines = cover
            .lines
            .iter()
            .map(|l| row_lines(&[(l, COVER_WIDTH)]) as u32)
            .collect();
        let firsts = texts
            .iter()
            .enumerate()
            .map(|(i, t)| texts[..i].iter().position(|u| u == t).unwrap_or(i))
            .collect();
        Some(Shape { lines, firsts })
    }
}

/// The cover's texts in the order they are written: the title, then each line.
fn texts(cover: &Cover) -> Vec<&str> {
    std::iter::once(cover.title.as_str())
        .chain(cover.lines.iter().map(String::as_str))
        .collect()
}

/// Whether rust_xlsxwriter stores `text` as its very bytes: nothing it escapes (`&`, `<`, `>`, control
/// characters, its own `_xHHHH_` escapes), no space at either end (it would mark the text to keep them), and
/// short enough for a cell, so never cut.
fn plain(text: &str) -> bool {
    text.len() <= CELL_MAX
        && !text.contains(['&', '<', '>'])
        && !text.contains(char::is_control)
        && !text.contains("_x")
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
}

/// Cover-only workbooks drawn so far, one for each shape, to draw the others from.
#[derive(Default)]
pub struct Patterns {
    kept: Mutex<HashMap<Shape, Option<Arc<Vec<u8>>>>>,
    used: AtomicUsize,
}

impl Patterns {
    /// The workbook of `cover`, drawn from the pattern of its shape; none if there is none yet, or if the
    /// shape's pattern could not be drawn from.
    pub fn draw(&self, shape: &Shape, cover: &Cover) -> Option<Vec<u8>> {
        let pattern = self.lock().get(shape)?.clone()?;
        let bytes = respell(&pattern, cover)?;
        self.used.fetch_add(1, Ordering::Relaxed);
        Some(bytes)
    }

    /// How many workbooks were drawn from a pattern.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Keeps `bytes`, the workbook rust_xlsxwriter drew for `cover`, as the pattern of its shape, unless the
    /// shape has one; a workbook that does not come back the same when given its own texts again is kept as
    /// no pattern, so that its shape is always drawn whole.
    pub fn keep(&self, shape: Shape, cover: &Cover, bytes: &[u8]) {
        if self.lock().contains_key(&shape) {
            return;
        }
        let sound = respell(bytes, cover).is_some_and(|again| again == bytes);
        if !sound {
            log::warn!(
                "a cover-only feedback workbook does not come back the same: each is drawn whole"
            );
        }
        self.lock()
            .entry(shape)
            .or_insert_with(|| sound.then(|| Arc::new(bytes.to_vec())));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Shape, Option<Arc<Vec<u8>>>>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `pattern`, a cover-only workbook of the cover's shape, with the cover's texts in place of its own; none if
/// its texts are not where rust_xlsxwriter puts them.
fn respell(pattern: &[u8], cover: &Cover) -> Option<Vec<u8>> {
    let mut archive = ZipArchive::new(Cursor::new(pattern)).ok()?;
    // A stream, as rust_xlsxwriter writes: each entry's sizes follow its data.
    let mut out = ZipWriter::new_stream(Vec::with_capacity(pattern.len() + 512));
    let mut found = false;
    for i in 0..archive.len() {
        let raw = archive.by_index_raw(i).ok()?;
        if raw.name().ok()? != STRINGS {
            out.raw_copy_file(raw).ok()?;
            continue;
        }
        drop(raw);
        let mut old = String::new();
        archive.by_index(i).ok()?.read_to_string(&mut old).ok()?;
        // The declaration and the table's opening tag (its counts are the shape's), then a `<si>` for each
        // text met first, then the closing tag.
        let head = &old[..old.find("<si>")?];
        let tail = &old[old.rfind("</si>")? + "</si>".len()..];
        let mut strings = String::with_capacity(old.len() + 256);
        strings.push_str(head);
        let texts = texts(cover);
        for (i, t) in texts.iter().enumerate() {
            if !texts[..i].contains(t) {
                strings.push_str("<si><t>");
                strings.push_str(t);
                strings.push_str("</t></si>");
            }
        }
        strings.push_str(tail);
        out.start_file(
            STRINGS,
            crate::output::zip_entry_options(crate::output::ZIP_LEVEL.into()),
        )
        .ok()?;
        out.write_all(strings.as_bytes()).ok()?;
        found = true;
    }
    found.then_some(())?;
    let mut bytes = out.finish().ok()?.into_inner();
    // rust_xlsxwriter's stream leaves the CRC in an entry's local header at zero (it follows the data), where
    // the zip crate's copy fills it in: each copied header takes the pattern's again.
    let mut written = ZipArchive::new(Cursor::new(&bytes[..])).ok()?;
    let mut starts = Vec::with_capacity(written.len());
    for i in 0..written.len() {
        let (copied, at) = (archive.by_index_raw(i).ok()?, written.by_index_raw(i).ok()?);
        if copied.name().ok()? != STRINGS {
            starts.push((copied.header_start(), at.header_start()));
        }
    }
    for (from, to) in starts {
        let crc = pattern.get(from as usize + 14..from as usize + 18)?;
        bytes
            .get_mut(to as usize + 14..to as usize + 18)?
            .copy_from_slice(crc);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consolidate::feedback::cover_book;
    use crate::period::Period;

    fn cover(unit: &str, file: &str) -> Cover {
        Cover {
            title: format!("{unit}：2020年10月进展情况报表反馈"),
            lines: vec![
                format!("填报单位：{unit}　报告期：2020年10月"),
                format!("经核对，贵单位报送的“{file}”未发现需要更正的问题，已纳入汇总。谢谢！"),
                "联系单位：市政府办公室".to_string(),
            ],
            alone: true,
        }
    }

    /// The workbook rust_xlsxwriter draws for `cover`.
    fn whole(cover: &Cover) -> Vec<u8> {
        let mut wb = cover_book(cover, "定西市实施方案", Period::new(2020, 10).unwrap()).unwrap();
        crate::output::render(&mut wb, std::path::Path::new("反馈.xlsx")).unwrap()
    }

    #[test]
    fn a_cover_drawn_from_another_of_its_shape_is_the_workbook_drawn_whole() {
        let long = format!("{}.xlsx", "很长的文件名".repeat(30));
        let covers = [
            cover("安定区", "2020-10_anding_安定区.xlsx"),
            cover("市发展改革委", "10月报表（修改后）.xls"),
            cover("定西生态科技创新城建设领导小组", "进展表.ods"),
            cover("临洮县", &long),
            cover("渭源县", &format!("渭源{long}")),
        ];
        let shapes: Vec<Shape> = covers.iter().map(|c| Shape::of(c).unwrap()).collect();
        // A file name that wraps its line makes that row taller: another shape.
        assert_eq!(shapes[0], shapes[1]);
        assert_eq!(shapes[0], shapes[2]);
        assert_ne!(shapes[0], shapes[3]);
        assert_eq!(shapes[3], shapes[4]);
        let patterns = Patterns::default();
        assert_eq!(
            patterns.draw(&shapes[0], &covers[1]),
            None,
            "no pattern yet"
        );
        patterns.keep(shapes[0].clone(), &covers[0], &whole(&covers[0]));
        patterns.keep(shapes[3].clone(), &covers[3], &whole(&covers[3]));
        for (c, s) in covers.iter().zip(&shapes) {
            let drawn = patterns.draw(s, c).expect("a pattern of its shape");
            assert!(drawn == whole(c), "{}", c.title);
        }
    }

    #[test]
    fn a_text_repeated_is_stored_once_as_rust_xlsxwriter_stores_it() {
        let mut a = cover("岷县", "a.xlsx");
        let mut b = cover("漳县", "b.xlsx");
        a.lines.push(a.lines[2].clone());
        b.lines.push(b.lines[2].clone());
        let shape = Shape::of(&a).unwrap();
        assert_eq!(Some(&shape), Shape::of(&b).as_ref());
        assert_ne!(Some(shape.clone()), Shape::of(&cover("岷县", "a.xlsx")));
        let patterns = Patterns::default();
        patterns.keep(shape.clone(), &a, &whole(&a));
        assert!(patterns.draw(&shape, &b).unwrap() == whole(&b));
    }

    #[test]
    fn texts_rust_xlsxwriter_would_write_otherwise_and_covers_with_more_sheets_have_no_shape() {
        for odd in ["A&B县", "<县>", " 县", "县\t", "县_x0041_", "县\u{1}"] {
            assert_eq!(Shape::of(&cover(odd, "a.xlsx")), None, "{odd:?}");
        }
        let mut more = cover("安定区", "a.xlsx");
        more.alone = false;
        assert_eq!(Shape::of(&more), None);
    }

    #[test]
    fn a_pattern_that_does_not_come_back_the_same_is_never_drawn_from() {
        let (a, b) = (cover("安定区", "a.xlsx"), cover("陇西县", "b.xlsx"));
        let shape = Shape::of(&a).unwrap();
        // Another cover's bytes given as this one's: its texts are not the cover's.
        let patterns = Patterns::default();
        patterns.keep(shape.clone(), &a, &whole(&b));
        assert_eq!(patterns.draw(&shape, &a), None);
        assert_eq!(patterns.draw(&shape, &b), None);
        // Nor is a broken workbook.
        let patterns = Patterns::default();
        patterns.keep(shape.clone(), &a, b"PK\x03\x04 not a workbook");
        assert_eq!(patterns.draw(&shape, &b), None);
    }
}
