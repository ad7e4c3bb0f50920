//! Merged regions of an ods workbook, which calamine does not report: the `number-rows-spanned` and
//! `number-columns-spanned` attributes of the cells in `content.xml`.

use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use crate::raw::Merge;

/// content.xml larger than this is not searched for merges (its cells were bounded when read).
const MAX_CONTENT: u64 = 256 * 1024 * 1024;

/// Each table's name and merged regions, in document order; empty when content.xml cannot be read.
pub fn spans(bytes: &[u8]) -> Vec<(String, Vec<Merge>)> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let Ok(file) = zip.by_name("content.xml") else {
        return Vec::new();
    };
    let mut xml = Vec::new();
    if file.take(MAX_CONTENT).read_to_end(&mut xml).is_err() {
        return Vec::new();
    }
    parse(&xml)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| {
            quick_xml::escape::unescape(&a.value)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.to_string())
        })
}

fn count(e: &BytesStart<'_>, key: &str) -> u32 {
    attr(e, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1u32)
        .max(1)
}

fn parse(xml: &[u8]) -> Vec<(String, Vec<Merge>)> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut tables: Vec<(String, Vec<Merge>)> = Vec::new();
    let (mut row, mut col, mut row_step) = (0u32, 0u32, 1u32);
    loop {
        let (event, empty) = match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e.into_owned(), false),
            Ok(Event::Empty(e)) => (e.into_owned(), true),
            Ok(Event::End(e)) => {
                if e.name().as_ref() == "table:table-row" {
                    row = row.saturating_add(row_step);
                }
                buf.clear();
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {
                buf.clear();
                continue;
            }
        };
        match event.name().as_ref() {
            "table:table" => {
                tables.push((attr(&event, "table:name").unwrap_or_default(), Vec::new()));
                row = 0;
            }
            "table:table-row" => {
                col = 0;
                row_step = count(&event, "table:number-rows-repeated");
                if empty {
                    row = row.saturating_add(row_step);
                }
            }
            name @ ("table:table-cell" | "table:covered-table-cell") => {
                let cols = count(&event, "table:number-columns-spanned");
                let rows = count(&event, "table:number-rows-spanned");
                if name == "table:table-cell"
                    && (cols > 1 || rows > 1)
                    && let Some((_, merges)) = tables.last_mut()
                    && merges.len() < crate::raw::MAX_MERGES
                {
                    merges.push(Merge {
                        row,
                        col,
                        last_row: row.saturating_add(rows - 1),
                        last_col: col.saturating_add(cols - 1),
                    });
                }
                col = col.saturating_add(count(&event, "table:number-columns-repeated"));
            }
            _ => {}
        }
        buf.clear();
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_become_merges_at_their_real_position() {
        let xml = br#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="10&#26376;"><table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
            <table:table-row><table:table-cell table:number-columns-repeated="7"/>
            <table:table-cell table:number-rows-spanned="3"><text:p>x</text:p></table:table-cell></table:table-row>
            <table:table-row><table:covered-table-cell table:number-columns-repeated="8"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        let t = parse(xml);
        assert_eq!(t[0].0, "10月");
        assert_eq!(
            t[0].1,
            vec![Merge {
                row: 2,
                col: 7,
                last_row: 4,
                last_col: 7
            }]
        );
    }
}
