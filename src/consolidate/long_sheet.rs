//! The rows of 明细数据, the long sheet of every figure, written as SpreadsheetML here and spliced into the
//! workbook rust_xlsxwriter drew with the sheet's header alone.
//!
//! rust_xlsxwriter stores, copies and formats each cell on its own, about 350 ns a cell: the long sheet was most
//! of a run's drawing (40,000 rows at 1,000 returns, 400,000 at 10,000). Its rows are plain (no formats, text and
//! numbers), so they are written here as rust_xlsxwriter writes such rows as inline strings (its constant-memory
//! mode), in a fraction of the time, but for the rows' and cells' references (a test holds the two side by side).
//!
//! Without references a row's bytes do not depend on where it lands, so the rows are deflated in pieces that
//! end where the readings say (see [`pieces`]), and a piece deflated by an earlier run from the same readings is
//! taken as it is from a [`Store`]: a new return redraws the piece it falls in, not the sheet.

use std::io::{Cursor, Read, Write};

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;
use zip::{ZipArchive, ZipWriter};

use super::{county_rows, submission_rows};
use crate::display;
use crate::plan::Catalogue;
use crate::style::{CELL_MAX, fit};
use crate::validate::{Reading, Role, UnitFigures};

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

/// Rows written between hand-overs to the compressor: enough to keep it busy, few enough to keep memory flat.
const CHUNK: usize = 2_048;

/// Rows of a piece, deflated on whichever core is free: at least this many, then up to a unit whose code says
/// to end one (one unit in [`ENDS`]), and at most [`PIECE_MAX`].
const PIECE_MIN: usize = 4_096;
/// See [`PIECE_MIN`].
const ENDS: u32 = 64;
/// See [`PIECE_MIN`].
const PIECE_MAX: usize = 32_768;

/// What makes a piece's bytes besides its readings; changed whenever the rows are written differently.
const PIECE_LAYOUT: &str = "huizong-rows-1";

/// Rows put into sheets rust_xlsxwriter drew without them, besides the long sheets'.
pub struct Inserts<'a> {
    /// 分县区's counties after the first.
    pub county: county_rows::Rows<'a>,
    /// 报送情况's rows rust_xlsxwriter did not draw.
    pub submissions: submission_rows::Rows,
}

/// Pieces of the long sheet deflated by earlier runs, by a hash of what they were made from.
pub trait Store: Sync {
    /// The piece made from what `key` names, if one was kept and is sound.
    fn piece(&self, key: &str) -> Option<Deflated>;
    /// Keeps a piece made from what `key` names.
    fn keep_piece(&self, key: &str, piece: &Deflated);
}

/// No store: every piece is deflated afresh.
impl Store for () {
    fn piece(&self, _: &str) -> Option<Deflated> {
        None
    }
    fn keep_piece(&self, _: &str, _: &Deflated) {}
}

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
    /// The compressor refused its input (it does not, short of running out of memory).
    #[error("cannot compress the long sheet's rows: {0}")]
    Deflate(#[from] flate2::CompressError),
    /// The drawn sheet was not the header-only sheet this module expects (a rust_xlsxwriter change).
    #[error("the long sheet {0} is not laid out as expected; its rows cannot be added")]
    Layout(String),
}

/// A long sheet's rows deflated apart from the sheet around them: whole deflate blocks that end on a byte
/// boundary (a sync flush), so that they join the separately deflated head and tail into one stream.
pub struct Deflated {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Deflated {
    /// A piece as a store keeps it: its deflated bytes, and the CRC-32 and length of the rows they hold.
    pub fn parts(&self) -> (&[u8], u32, u64) {
        (&self.data, self.crc.clone().finalize(), self.len)
    }

    /// A piece from what [`Deflated::parts`] gave.
    pub fn from_parts(data: Vec<u8>, crc: u32, len: u64) -> Deflated {
        Deflated {
            data,
            crc: crc32fast::Hasher::new_with_initial_len(crc, len),
            len,
        }
    }

    pub(super) fn new() -> Deflated {
        Deflated {
            data: Vec::new(),
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    /// `bytes` deflated on their own, ending with `flush`.
    pub(super) fn of(
        bytes: &[u8],
        level: u32,
        flush: FlushCompress,
    ) -> Result<Deflated, SpliceError> {
        let mut d = Deflated::new();
        let mut c = Compress::new(Compression::new(level), false);
        d.add(&mut c, bytes, flush)?;
        Ok(d)
    }

    /// Deflates `bytes` with `c` onto what is there.
    fn add(
        &mut self,
        c: &mut Compress,
        bytes: &[u8],
        flush: FlushCompress,
    ) -> Result<(), SpliceError> {
        self.crc.update(bytes);
        self.len += bytes.len() as u64;
        let mut rest = bytes;
        loop {
            // Room for the input stored as it is, and for a flush's markers.
            self.data.reserve(rest.len() + rest.len() / 64 + 64);
            let before = c.total_in();
            let status = c.compress_vec(rest, &mut self.data, flush)?;
            rest = &rest[(c.total_in() - before) as usize..];
            // Once the input is taken and the output had room to spare, the flush is complete.
            if rest.is_empty()
                && (self.data.len() < self.data.capacity() || status == Status::BufError)
            {
                return Ok(());
            }
        }
    }

    /// Pieces joined in order, as the workbook's entry holds them.
    #[cfg(test)]
    pub(super) fn joined(pieces: impl IntoIterator<Item = Deflated>) -> Deflated {
        let pieces: Vec<Deflated> = pieces.into_iter().collect();
        let mut all = Deflated::new();
        all.data
            .reserve_exact(pieces.iter().map(|p| p.data.len()).sum());
        for p in pieces {
            all.append(p);
        }
        all
    }

    #[cfg(test)]
    fn append(&mut self, next: Deflated) {
        self.data.extend_from_slice(&next.data);
        self.crc.combine(&next.crc);
        self.len += next.len;
    }
}

/// The rows of each part deflated at `level`, in pieces on all cores (in order), each taken from `store` when
/// it holds it and kept there when not; `None` for a part whose rows could reach 4 GiB, past what a plain zip
/// entry header
/// holds: those are streamed into the workbook by [`splice`].
///
/// A piece's key covers its readings, `level` and how rows are written; the catalogue's part (units' names, the
/// decimals of indicators' units) is the store's to cover. A piece of whole units is known by their hashes in
/// `figures` (sorted by unit), which a province's run has at hand: hashing its 400,000 readings again for the
/// pieces' keys took a tenth of a second of CPU.
pub fn deflate_rows(
    parts: &[&[Reading]],
    catalogue: &Catalogue,
    level: u32,
    store: &dyn Store,
    figures: &[UnitFigures],
) -> Result<Vec<Option<Vec<Deflated>>>, SpliceError> {
    // Units named twice would not say which of their runs a piece holds.
    let figures = if figures.windows(2).all(|w| w[0].unit < w[1].unit) {
        figures
    } else {
        &[]
    };
    parts
        .iter()
        .map(|readings| {
            // The head and tail rust_xlsxwriter draws around the rows are a few kilobytes.
            if upper_bound(readings, catalogue) + (1 << 20) > u64::from(u32::MAX) {
                return Ok(None);
            }
            let pieces = pieces(readings)
                .into_par_iter()
                .map(|range| {
                    let piece = &readings[range];
                    let key = match units_key(piece, figures) {
                        Some(units) => format!("{PIECE_LAYOUT} {level} units {units}"),
                        None => format!(
                            "{PIECE_LAYOUT} {level} {}",
                            crate::validate::hash_readings(piece)
                        ),
                    };
                    if let Some(d) = store.piece(&key) {
                        return Ok(d);
                    }
                    let mut d = Deflated::new();
                    let mut c = Compress::new(Compression::new(level), false);
                    let mut buf = Vec::with_capacity(CHUNK * 600);
                    for chunk in piece.chunks(CHUNK) {
                        buf.clear();
                        write_rows(&mut buf, chunk, catalogue);
                        d.add(&mut c, &buf, FlushCompress::None)?;
                    }
                    d.add(&mut c, &[], FlushCompress::Sync)?;
                    store.keep_piece(&key, &d);
                    Ok(d)
                })
                .collect::<Result<Vec<Deflated>, SpliceError>>()?;
            Ok(Some(pieces))
        })
        .collect()
}

/// The key of a piece made of whole units' readings, from their hashes in `figures`; `None` when it holds part
/// of a unit's run (a piece cut at [`PIECE_MAX`], a unit split between two sheets) or a unit `figures` lacks.
fn units_key(piece: &[Reading], figures: &[UnitFigures]) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut rest = piece;
    while let Some(first) = rest.first() {
        // Sorted by unit: the unit's readings come first.
        let n = rest.partition_point(|r| r.same_unit(first));
        let at = figures.binary_search_by(|f| f.unit.cmp(&first.unit)).ok()?;
        let f = &figures[at];
        if f.len != n {
            return None;
        }
        h.update((f.hash.len() as u64).to_le_bytes());
        h.update(f.hash.as_bytes());
        rest = &rest[n..];
    }
    Some(crate::output::hex(&h.finalize()))
}

/// Where the pieces of `readings` end. A piece ends where a unit's readings end, past [`PIECE_MIN`] rows, at a
/// unit whose code hashes to an end: where pieces end depends on the readings around the ends alone, so a return
/// added, changed or taken away moves the end of the piece it falls in and of no other, and every other piece is
/// the same as before. A piece that reaches [`PIECE_MAX`] rows (some 800 units without an end, or one unit of
/// that many readings) ends there, and the pieces after it may then move too, up to the next unit that ends one.
fn pieces(readings: &[Reading]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (i, r) in readings.iter().enumerate() {
        let rows = i + 1 - start;
        let unit_ends = readings.get(i + 1).is_none_or(|next| !next.same_unit(r));
        let end = rows >= PIECE_MAX
            || (rows >= PIECE_MIN
                && unit_ends
                && crc32fast::hash(r.unit.as_bytes()).is_multiple_of(ENDS));
        if end {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < readings.len() {
        ranges.push(start..readings.len());
    }
    ranges
}

/// `book` (a rendered workbook) with every part's rows put in its sheet: those `deflated` holds as they are,
/// the others deflated here at `level`; and with `county`'s rows put in 分县区 (see [`county_rows`]). Other
/// entries are copied as they are, compressed bytes and all.
pub fn splice(
    book: &[u8],
    parts: &[Part<'_>],
    deflated: Vec<Option<Vec<Deflated>>>,
    inserts: &Inserts<'_>,
    catalogue: &Catalogue,
    level: u32,
    store: &dyn Store,
) -> Result<Vec<u8>, SpliceError> {
    let Inserts {
        county,
        submissions,
    } = inserts;
    let mut archive = ZipArchive::new(Cursor::new(book))?;
    let mut deflated = deflated;
    // 分县区's rows are deflated before the workbook is put together, so that its room is made once: a province's
    // workbook is ten megabytes, and growing it copied them over and over.
    let mut county_parts = None;
    if !county.counties.is_empty()
        && let Ok(mut entry) = archive.by_name(&county.entry)
    {
        let mut sheet = String::new();
        entry.read_to_string(&mut sheet)?;
        // A layout not as expected is refused below, where the sheet is met.
        if let Some(parts) = county_rows::deflate(&sheet, county, level, store) {
            county_parts = parts?;
        }
    }
    let packed = |d: &[Deflated]| d.iter().map(|p| p.data.len()).sum::<usize>();
    let room = book.len()
        + county_parts.as_deref().map_or(0, packed)
        + deflated.iter().flatten().map(|d| packed(d)).sum::<usize>();
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(room + (1 << 16))));
    let options = crate::output::zip_entry_options(level);
    // Every sheet that takes rows must be found: rows silently left out would be figures missing.
    let mut missing: Vec<&str> = parts.iter().map(|p| p.entry.as_str()).collect();
    if !county.counties.is_empty() {
        missing.push(&county.entry);
    }
    if !submissions.lines.is_empty() {
        missing.push(&submissions.entry);
    }
    for i in 0..archive.len() {
        let name = archive.by_index_raw(i)?.name()?.into_owned();
        missing.retain(|m| *m != name);
        if name == county.entry && !county.counties.is_empty() {
            if let Some(parts) = county_parts.take() {
                let single = single_entry_zip(&name, &parts);
                out.raw_copy_file(ZipArchive::new(Cursor::new(single))?.by_index_raw(0)?)?;
                continue;
            }
            let mut sheet = String::new();
            archive.by_index(i)?.read_to_string(&mut sheet)?;
            let filled = county_rows::insert(&sheet, county)
                .ok_or_else(|| SpliceError::Layout(name.clone()))?;
            out.start_file(name.as_str(), options.large_file(true))?;
            out.write_all(&filled)?;
            continue;
        }
        if name == submissions.entry && !submissions.lines.is_empty() {
            let mut sheet = String::new();
            archive.by_index(i)?.read_to_string(&mut sheet)?;
            let filled = submission_rows::insert(&sheet, submissions)
                .ok_or_else(|| SpliceError::Layout(name.clone()))?;
            out.start_file(name.as_str(), options)?;
            out.write_all(&filled)?;
            continue;
        }
        let Some(at) = parts.iter().position(|p| p.entry == name) else {
            out.raw_copy_file(archive.by_index_raw(i)?)?;
            continue;
        };
        let part = &parts[at];
        let mut sheet = String::new();
        archive.by_index(i)?.read_to_string(&mut sheet)?;
        let (head, tail) = header_only(&sheet, part.readings.len())
            .ok_or_else(|| SpliceError::Layout(name.clone()))?;
        if let Some(rows) = deflated.get_mut(at).and_then(Option::take) {
            let mut all = Vec::with_capacity(rows.len() + 2);
            all.push(Deflated::of(head.as_bytes(), level, FlushCompress::Sync)?);
            all.extend(rows);
            all.push(Deflated::of(tail.as_bytes(), level, FlushCompress::Finish)?);
            let single = single_entry_zip(&name, &all);
            out.raw_copy_file(ZipArchive::new(Cursor::new(single))?.by_index_raw(0)?)?;
            continue;
        }
        let options = options.large_file(
            upper_bound(part.readings, catalogue) + sheet.len() as u64 > u64::from(u32::MAX),
        );
        out.start_file(name.as_str(), options)?;
        out.write_all(head.as_bytes())?;
        let mut buf = Vec::with_capacity(CHUNK * 600);
        for chunk in part.readings.chunks(CHUNK) {
            buf.clear();
            write_rows(&mut buf, chunk, catalogue);
            out.write_all(&buf)?;
        }
        out.write_all(tail.as_bytes())?;
    }
    if let Some(m) = missing.first() {
        return Err(SpliceError::Layout((*m).to_string()));
    }
    Ok(out.finish()?.into_inner())
}

/// A zip archive of one entry deflated in `parts` (joined in order), for `ZipWriter::raw_copy_file` to take as it
/// is: the zip crate writes an entry only from bytes it compresses itself or from another archive. Sizes under
/// 4 GiB (see [`deflate_rows`] and [`county_rows::deflate`]); dated 1980-01-01 and readable by its owner alone, as
/// rust_xlsxwriter's entries are.
fn single_entry_zip(name: &str, parts: &[Deflated]) -> Vec<u8> {
    let mut crc = crc32fast::Hasher::new();
    for p in parts {
        crc.combine(&p.crc);
    }
    let crc = crc.finalize();
    let packed: usize = parts.iter().map(|p| p.data.len()).sum();
    let len = parts.iter().map(|p| p.len).sum::<u64>() as u32;
    let utf8: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
    // Version needed 2.0, the flags, deflated, time 00:00, date 1980-01-01, CRC-32 and the two sizes.
    let common = |z: &mut Vec<u8>| {
        for v in [20u16, utf8, 8, 0, (1 << 5) | 1] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, packed as u32, len] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
    };
    let mut z = Vec::with_capacity(packed + 2 * name.len() + 128);
    z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    common(&mut z);
    z.extend_from_slice(name.as_bytes());
    for p in parts {
        z.extend_from_slice(&p.data);
    }
    let directory = z.len() as u32;
    z.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    // Made by Unix, zip 2.0.
    z.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
    common(&mut z);
    // No comment, disk 0, no internal attributes, a regular file with mode 600, its header at 0.
    for v in [0u16, 0, 0] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    for v in [0o100_600u32 << 16, 0] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(name.as_bytes());
    let size = z.len() as u32 - directory;
    z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    for v in [size, directory] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&0u16.to_le_bytes());
    z
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
    // The longest unit name stands for each row's: a look-up per row took a province's workbook 14 ms.
    let name = catalogue
        .units
        .iter()
        .map(|u| u.name.len())
        .max()
        .unwrap_or(0);
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
                + name;
            // Markup and two numbers (a float is written without an exponent: up to some 330 digits each),
            // and an escape of 7 bytes (`_x001F_`) for every byte of text.
            2_048 + 7 * text as u64
        })
        .sum()
}

/// Writes the rows of `readings` as rust_xlsxwriter writes cells without formats, but without references: a row
/// without one follows the row before, a cell without one the cell before, and an empty cell between two is
/// written `<c/>` (ECMA-376 18.3.1.73 and 18.3.1.4 make both references optional; LibreOffice and calamine read
/// such rows so, which the tests hold; Excel could not be tried here). A row's bytes therefore do not depend on its
/// place, and the sheet is a fifth smaller.
pub fn write_rows(out: &mut Vec<u8>, readings: &[Reading], catalogue: &Catalogue) {
    // Readings come unit by unit: the unit's name is looked up once per unit, not per row.
    let mut named: (&str, &str) = ("", "");
    for (n, rd) in readings.iter().enumerate() {
        let next = &mut 0;
        let role = match rd.role {
            Role::City => "全市",
            Role::CountyShare => "县区",
            Role::Narrative => "进展",
        };
        if *named.0 != *rd.unit || n == 0 {
            let name = catalogue
                .unit(&rd.unit)
                .map_or(rd.unit.as_ref(), |u| u.name.as_str());
            named = (rd.unit.as_ref(), name);
        }
        let unit = catalogue
            .indicator(&rd.indicator)
            .map_or("", |(_, i)| i.unit.as_str());
        let progress = rd.state.map_or(rd.progress.as_str(), |s| s.chinese());
        out.extend_from_slice(b"<row>");
        text_cell(out, 0, next, &rd.unit);
        text_cell(out, 1, next, named.1);
        text_cell(out, 2, next, &rd.indicator);
        text_cell(out, 3, next, role);
        // Rounded to the decimals the unit shows, as every other sheet's figures.
        number_cell(out, 4, next, rd.month.map(|v| display::round(v, unit)));
        number_cell(out, 5, next, rd.cumulative.map(|v| display::round(v, unit)));
        text_cell(out, 6, next, progress);
        text_cell(out, 7, next, &rd.remark);
        text_cell(out, 8, next, &rd.file);
        text_cell(out, 9, next, &rd.sheet);
        text_cell(out, 10, next, &rd.cumulative_cell);
        out.extend_from_slice(b"</row>");
    }
}

/// Opens a cell: `<c`, after a `<c/>` for each empty column between it and the cell before; `next` is the
/// column a cell without a reference takes.
fn open_cell(out: &mut Vec<u8>, col: usize, next: &mut usize) {
    for _ in *next..col {
        out.extend_from_slice(b"<c/>");
    }
    out.extend_from_slice(b"<c");
    *next = col + 1;
}

/// An inline-string cell; none for empty text, which Excel would ignore.
fn text_cell(out: &mut Vec<u8>, col: usize, next: &mut usize, text: &str) {
    let text = fit(text, CELL_MAX);
    if text.is_empty() {
        return;
    }
    let blank = ['\t', '\n', ' '];
    open_cell(out, col, next);
    if text.starts_with(blank) || text.ends_with(blank) {
        out.extend_from_slice(b" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
    } else {
        out.extend_from_slice(b" t=\"inlineStr\"><is><t>");
    }
    escape(out, &text);
    out.extend_from_slice(b"</t></is></c>");
}

/// A number cell; Excel has no NaN or infinity, so those are written as rust_xlsxwriter writes them, as text.
fn number_cell(out: &mut Vec<u8>, col: usize, next: &mut usize, v: Option<f64>) {
    let Some(v) = v else {
        return;
    };
    if v.is_nan() {
        return text_cell(out, col, next, "NAN");
    }
    if v.is_infinite() {
        return text_cell(out, col, next, if v > 0.0 { "INF" } else { "-INF" });
    }
    open_cell(out, col, next);
    out.extend_from_slice(b"><v>");
    number_text(out, v);
    out.extend_from_slice(b"</v></c>");
}

/// A finite number as rust_xlsxwriter writes it in a cell.
pub(super) fn number_text(out: &mut Vec<u8>, v: f64) {
    // Whole figures, most of them, as an integer: what `{v}` writes for them, without float formatting.
    if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Escapes text as Excel does: XML's `&`, `<` and `>`; control characters and the two non-characters as
/// `_xHHHH_`; and a literal `_xHHHH_` as `_x005F_xHHHH_`, so that it is not read back as an escape.
pub(super) fn escape(out: &mut Vec<u8>, text: &str) {
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

/// A store in memory for the tests of the modules that keep pieces.
#[cfg(test)]
pub(super) mod memory {
    use super::{Deflated, Store};

    /// A piece's deflated bytes, CRC-32 and length.
    pub type Kept = (Vec<u8>, u32, u64);

    /// Pieces kept in memory, counting those given.
    #[derive(Default)]
    pub struct Memory {
        pieces: std::sync::Mutex<std::collections::HashMap<String, Kept>>,
    }

    impl Memory {
        pub fn kept(&self) -> usize {
            self.pieces.lock().unwrap().len()
        }

        pub fn keys(&self) -> std::collections::HashSet<String> {
            self.pieces.lock().unwrap().keys().cloned().collect()
        }
    }

    impl Store for Memory {
        fn piece(&self, key: &str) -> Option<Deflated> {
            let pieces = self.pieces.lock().unwrap();
            let (data, crc, len) = pieces.get(key)?;
            Some(Deflated::from_parts(data.clone(), *crc, *len))
        }
        fn keep_piece(&self, key: &str, piece: &Deflated) {
            let (data, crc, len) = piece.parts();
            let old = self
                .pieces
                .lock()
                .unwrap()
                .insert(key.to_string(), (data.to_vec(), crc, len));
            assert!(old.is_none(), "a piece kept twice");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::{Kept, Memory};
    use std::io::Read;

    use rust_xlsxwriter::Workbook;

    use super::*;
    use crate::style::Text;

    fn reading(unit: &str, indicator: &str, text: &str, v: Option<f64>) -> Reading {
        Reading {
            unit: unit.into(),
            indicator: indicator.into(),
            role: Role::CountyShare,
            month: v,
            cumulative: v.map(|v| v * 10.0),
            state: None,
            progress: text.to_string(),
            remark: text.chars().rev().collect(),
            file: format!("{unit} {text}.xlsx").into(),
            sheet: text.into(),
            month_cell: "F4".into(),
            cumulative_cell: "G4".into(),
            progress_cell: "H4".into(),
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
                .map_or(rd.unit.as_ref(), |u| u.name.as_str());
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
    fn rows_are_written_as_rust_xlsxwriter_writes_them_but_without_references() {
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
        write_rows(&mut ours, &readings, &catalogue);
        let theirs = drawn_by_rust_xlsxwriter(&readings, &catalogue);
        assert!(theirs.contains("_x005F_x0041_") && theirs.contains("_x000D_"));
        assert!(theirs.contains("……（内容过长，余下从略）"));
        let ours = String::from_utf8(ours).unwrap();
        assert!(ours.contains("<row><c t=") && ours.contains("<c/>") && !ours.contains(" r="));
        assert_eq!(with_references(&ours, 2), theirs);
    }

    /// Rows with every row's and cell's reference written out, from row `first`: a row without one follows the
    /// row before, a cell without one the cell before, and `<c/>` is an empty cell.
    fn with_references(xml: &str, first: u32) -> String {
        const COLUMNS: [&str; 11] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"];
        let mut out = String::new();
        let (mut row, mut next) = (first - 1, 0);
        let mut rest = xml;
        while let Some(at) = rest.find('<') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(r) = rest.strip_prefix("<row>") {
                row += 1;
                next = 0;
                out.push_str(&format!("<row r=\"{row}\">"));
                rest = r;
            } else if let Some(r) = rest.strip_prefix("<c/>") {
                next += 1;
                rest = r;
            } else if rest.starts_with("<c>") || rest.starts_with("<c ") {
                out.push_str(&format!("<c r=\"{}{row}\"", COLUMNS[next]));
                next += 1;
                rest = &rest[2..];
            } else {
                out.push('<');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        out
    }

    /// A workbook whose one sheet is the long sheet's header alone, laid out for `rows` rows, as drawn.
    fn header_only_book(rows: usize) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.autofilter(0, 0, rows as u32, 10).unwrap();
        wb.save_to_buffer().unwrap()
    }

    fn entry(book: &[u8], name: &str) -> String {
        let mut zip = ZipArchive::new(Cursor::new(book)).unwrap();
        let mut xml = String::new();
        // Reading to the end checks the entry's CRC-32.
        zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
        xml
    }

    /// Each part's pieces joined, as bytes, CRC-32 and length.
    fn bytes(d: Vec<Option<Vec<Deflated>>>) -> Vec<Kept> {
        d.into_iter()
            .flatten()
            .map(|pieces| {
                let d = Deflated::joined(pieces);
                let (data, crc, len) = d.parts();
                (data.to_vec(), crc, len)
            })
            .collect()
    }

    #[test]
    fn a_return_added_deflates_the_piece_it_falls_in_and_takes_the_others_as_they_were() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let readings_of = |units: &[String]| -> Vec<Reading> {
            units
                .iter()
                .flat_map(|u| {
                    (0..20).map(move |k| reading(u, &format!("T{k:02}"), "", Some(k as f64)))
                })
                .collect()
        };
        // 3,000 units of 20 rows: several pieces.
        let units: Vec<String> = (0..3_000).map(|n| format!("u{n:05}")).collect();
        let before = readings_of(&units);
        let store = Memory::default();
        let first = bytes(deflate_rows(&[&before], &catalogue, 1, &store, &[]).unwrap());
        let pieces = store.kept();
        assert!(pieces >= 4, "{pieces}");
        assert_eq!(
            first,
            bytes(deflate_rows(&[&before], &catalogue, 1, &(), &[]).unwrap())
        );
        let again = bytes(deflate_rows(&[&before], &catalogue, 1, &store, &[]).unwrap());
        assert_eq!(store.kept(), pieces, "every piece from the store");
        assert_eq!(again, first);
        // A unit more in the middle: the piece it falls in is deflated again, and no other.
        let mut more = units.clone();
        more.insert(1_500, "u01499x".to_string());
        let after = readings_of(&more);
        let third = bytes(deflate_rows(&[&after], &catalogue, 1, &store, &[]).unwrap());
        assert_eq!(store.kept(), pieces + 1);
        assert_eq!(
            third,
            bytes(deflate_rows(&[&after], &catalogue, 1, &(), &[]).unwrap())
        );
    }

    #[test]
    fn pieces_of_whole_units_are_known_by_their_units_hashes_and_draw_the_same_rows() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        let units: Vec<String> = (0..2_000).map(|n| format!("u{n:05}")).collect();
        let mut readings: Vec<Reading> = units
            .iter()
            .flat_map(|u| (0..20).map(move |k| reading(u, &format!("T{k:02}"), "", Some(k as f64))))
            .collect();
        let figures = |readings: &[Reading]| {
            crate::validate::unit_figures(readings, &std::collections::HashMap::new())
        };
        let by_readings = Memory::default();
        let by_units = Memory::default();
        let known = figures(&readings);
        let plain = bytes(deflate_rows(&[&readings], &catalogue, 1, &by_readings, &[]).unwrap());
        let keyed = bytes(deflate_rows(&[&readings], &catalogue, 1, &by_units, &known).unwrap());
        // The same rows, under other keys: none of the one store's keys is the other's.
        assert_eq!(keyed, plain);
        assert_eq!(by_units.kept(), by_readings.kept());
        assert!(by_units.keys().is_disjoint(&by_readings.keys()));
        // One unit's figure changed: the piece it falls in is drawn again, the others taken as they were.
        readings[20 * 1_000 + 3].month = Some(99.0);
        let changed = figures(&readings);
        let again = bytes(deflate_rows(&[&readings], &catalogue, 1, &by_units, &changed).unwrap());
        assert_eq!(by_units.kept(), by_readings.kept() + 1);
        assert_eq!(
            again,
            bytes(deflate_rows(&[&readings], &catalogue, 1, &(), &[]).unwrap())
        );
        // A unit whose figures do not match its readings (their count) is not taken on trust: its piece is known
        // by its readings, and draws the same rows.
        let mut wrong = changed.clone();
        wrong[5].len += 1;
        let fresh = Memory::default();
        let drawn = bytes(deflate_rows(&[&readings], &catalogue, 1, &fresh, &wrong).unwrap());
        assert_eq!(drawn, again);
        let readings_keyed = Memory::default();
        deflate_rows(&[&readings], &catalogue, 1, &readings_keyed, &[]).unwrap();
        assert_eq!(fresh.keys().intersection(&readings_keyed.keys()).count(), 1);
    }

    #[test]
    fn rows_deflated_in_pieces_on_all_cores_read_back_as_rows_deflated_in_one_stream() {
        let catalogue = Catalogue::from_toml(crate::demo::BUILTIN_PLAN).unwrap();
        // Past two pieces, so that three are joined between the head and the tail.
        const PIECE: usize = PIECE_MAX;
        let readings: Vec<Reading> = (0..2 * PIECE + 3)
            .map(|n| {
                let unit = ["anding", "czj"][n % 2];
                reading(
                    unit,
                    "T2.1-01",
                    &format!("第{n}行 & <进展>"),
                    Some(n as f64),
                )
            })
            .collect();
        let book = header_only_book(readings.len());
        let parts = [Part {
            entry: "xl/worksheets/sheet1.xml".to_string(),
            readings: &readings,
        }];
        let deflated = deflate_rows(&[&readings], &catalogue, 1, &(), &[]).unwrap();
        assert!(deflated[0].is_some());
        let none = Inserts {
            county: county_rows::Rows::none(),
            submissions: submission_rows::Rows::none(),
        };
        let joined = splice(&book, &parts, deflated, &none, &catalogue, 1, &()).unwrap();
        let streamed = splice(&book, &parts, vec![None], &none, &catalogue, 1, &()).unwrap();
        let elsewhere = county_rows::Rows {
            entry: "xl/worksheets/sheet9.xml".to_string(),
            counties: vec![county_rows::County {
                code: "c1",
                name: "县",
                readings: None,
            }],
            ..county_rows::Rows::none()
        };
        let elsewhere = Inserts {
            county: elsewhere,
            submissions: submission_rows::Rows::none(),
        };
        assert!(
            matches!(splice(&book, &parts, vec![None], &elsewhere, &catalogue, 1, &()), Err(SpliceError::Layout(e)) if e == "xl/worksheets/sheet9.xml"),
            "rows for a sheet the workbook does not have are an error, not left out"
        );
        let xml = entry(&joined, "xl/worksheets/sheet1.xml");
        assert_eq!(xml, entry(&streamed, "xl/worksheets/sheet1.xml"));
        assert!(xml.contains(&format!("<dimension ref=\"A1:K{}\"/>", 2 * PIECE + 4)));
        let mut read: calamine::Xlsx<_> = calamine::Reader::new(Cursor::new(joined)).unwrap();
        let range = calamine::Reader::worksheet_range_at(&mut read, 0)
            .unwrap()
            .unwrap();
        assert_eq!(range.height(), 2 * PIECE + 4);
        for n in [0, PIECE - 1, PIECE, 2 * PIECE + 2] {
            let row = &range[n + 1];
            assert_eq!(
                row[6].to_string(),
                format!("第{n}行 & <进展>"),
                "row {}",
                n + 2
            );
            assert_eq!(row[4], calamine::Data::Float(n as f64), "row {}", n + 2);
        }
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
