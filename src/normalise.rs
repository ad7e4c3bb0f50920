//! Raw cell → typed value, recording every change made on the way.

/// Folds text for matching: full-width ASCII to half-width, spaces and invisible characters dropped.
pub fn fold_text(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace() && !matches!(c, '\u{200B}' | '\u{FEFF}')).then_some(c)
        })
        .collect()
}
