//! How people read figures and times: the one place that decides how many decimals a figure shows, how a time
//! is written in the plan's time zone, and how report.json's numbers are rounded.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// The plan's time zone when the settings name none: China Standard Time.
pub const DEFAULT_TIMEZONE: Offset = jiff::tz::offset(8);

/// Units that count whole things: a figure in them is whole, and a pro-rata share of one has one decimal.
const COUNTS: [&str; 22] = [
    "项", "家", "件", "个", "名", "人", "所", "次", "场", "台", "套", "户", "座", "条", "批", "份",
    "处", "篇", "部", "支", "株", "头",
];

/// Most decimals a figure in `unit` shows: % one, money and ratios two, counts none (one when pro rata).
pub fn decimals(unit: &str, pro_rata: bool) -> usize {
    let unit = unit.trim();
    if unit == "%" {
        1
    } else if COUNTS.contains(&unit) {
        usize::from(pro_rata)
    } else {
        2
    }
}

/// `value` rounded half away from zero to `places` decimals, as Excel shows it.
pub fn round_to(value: f64, places: usize) -> f64 {
    if !value.is_finite() {
        return value;
    }
    // Snap the binary noise away first (29.020000000000003), so that a half is a half.
    let snapped = crate::normalise::excel_round(value);
    let factor = 10f64.powi(places as i32);
    let r = (snapped * factor).round() / factor;
    if r == 0.0 { 0.0 } else { r }
}

/// A figure in `unit` rounded as it is shown (see [`places`]); what a workbook cell holds.
pub fn round(value: f64, unit: &str) -> f64 {
    round_to(value, places(value, unit))
}

/// Decimals `value` shows in `unit`: [`decimals`], except that a count typed with a fraction (2.5 家) keeps
/// one, and a share below 1% keeps two (0.47%, against a 0.5% target, must not read as 0.5%).
pub fn places(value: f64, unit: &str) -> usize {
    let places = decimals(unit, false);
    if places == 0 && round_to(value, 0) != round_to(value, 1) {
        1
    } else if unit.trim() == "%" && value.abs() < 1.0 {
        2
    } else {
        places
    }
}

/// `value` rounded to `places` decimals, without trailing zeros: 5.83, 29.2, 7.
pub fn fixed(value: f64, places: usize) -> String {
    let mut s = format!("{:.*}", places, round_to(value, places));
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" { "0".to_string() } else { s }
}

/// A figure in `unit` as people read it, without the unit: 5.83 (亿元), 29 (项), 12.5 (%).
pub fn figure(value: f64, unit: &str) -> String {
    fixed(value, places(value, unit))
}

/// A pro-rata share of a target in `unit` (what should be done by now): a count gets one decimal.
pub fn pro_rata(value: f64, unit: &str) -> String {
    fixed(value, decimals(unit, true))
}

/// A pro-rata share of a target rounded as [`pro_rata`] shows it; what a workbook cell holds.
pub fn pro_rata_value(value: f64, unit: &str) -> f64 {
    round_to(value, decimals(unit, true))
}

/// A fraction as a percentage with one decimal: 0.925 → 92.5%.
pub fn percent(fraction: f64) -> String {
    format!("{}%", fixed(fraction * 100.0, 1))
}

/// A fraction rounded as [`percent`] shows it; what a percent-formatted cell holds.
pub fn percent_value(fraction: f64) -> f64 {
    round_to(fraction, 3)
}

/// `value` to 10 significant digits, as report.json holds numbers (0.9249999999999999 → 0.925).
pub fn significant(value: f64) -> f64 {
    // A whole number under 10^10 has 10 digits at most: most figures, kept as they are without a round trip
    // through text.
    if value == 0.0 || !value.is_finite() || (value.fract() == 0.0 && value.abs() < 1e10) {
        return value;
    }
    // The shortest text that reads back as the value (as serde_json writes it): with ten significant digits or
    // fewer, it is also the value to ten digits, which is then the value itself. Most figures are 0.13 or
    // 5.83, and a round trip through text for each took a province's report.json a fifth of its time.
    if significant_digits(zmij::Buffer::new().format_finite(value)) <= 10 {
        return value;
    }
    let rounded: f64 = format!("{value:.9e}").parse().unwrap_or(value);
    // The largest figures would round up past f64's range, to an infinity JSON cannot hold.
    if rounded.is_finite() { rounded } else { value }
}

/// The significant digits of a number's text, `-0.0012e-5` or `120.5`: its digits before any exponent, less
/// the zeros that lead and trail them.
fn significant_digits(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    mantissa
        .trim_start_matches(['-', '+'])
        .trim_start_matches(['0', '.'])
        .trim_end_matches(['0', '.'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count()
}

/// A pretty JSON formatter that writes every float to 10 significant digits, as report.json holds numbers;
/// integers stay as they are. Rounding as the document is written keeps report.json streamed: a whole
/// `serde_json::Value` of a province's report would hold over a gigabyte.
pub struct Rounded(serde_json::ser::PrettyFormatter<'static>);

impl Rounded {
    /// Two-space indentation, as `serde_json::to_writer_pretty`.
    pub fn new() -> Self {
        Self(serde_json::ser::PrettyFormatter::new())
    }
}

impl Default for Rounded {
    fn default() -> Self {
        Self::new()
    }
}

impl serde_json::ser::Formatter for Rounded {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        self.0.write_f64(w, significant(value))
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` written as pretty JSON with [`Rounded`] numbers.
pub fn write_json<T: serde::Serialize + ?Sized>(
    w: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    // serde_json writes token by token: through a buffer of its own type each write is inlined, where through
    // `dyn Write` each is a call (a province's report.json has some fifty million tokens).
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, w);
    let mut ser = serde_json::Serializer::with_formatter(&mut buffered, Rounded::new());
    value.serialize(&mut ser).map_err(std::io::Error::from)?;
    std::io::Write::flush(&mut buffered)
}

/// A time as people read it, in the plan's time zone: 2020-11-06 03:00.
pub fn time(t: Timestamp, tz: Offset) -> String {
    t.to_zoned_datetime(TimeZone::fixed(tz))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// An RFC 3339 time (as report.json and the ledger hold them) as people read it; empty when it is not one.
pub fn time_text(rfc3339: &str, tz: Offset) -> String {
    rfc3339
        .parse::<Timestamp>()
        .map(|t| time(t, tz))
        .unwrap_or_default()
}

/// Reads a time zone setting: +08:00, +8, -05:30, UTC+8, UTC, Z.
pub fn parse_offset(text: &str) -> Option<Offset> {
    let t = text.trim();
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    if t.is_empty() || t == "Z" {
        return Some(Offset::UTC);
    }
    let (sign, rest) = match t.as_bytes()[0] {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Writes to stdout, ignoring a closed pipe: what `print!` and `println!` do throughout the crate.
pub fn print(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_fmt(args);
}

/// How many terminal columns `text` takes: a Chinese character takes two.
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `columns` terminal columns (never cut).
pub fn pad(text: &str, columns: usize) -> String {
    let mut s = text.to_string();
    for _ in width(text)..columns {
        s.push(' ');
    }
    s
}

/// Rows of cells as aligned columns: each column as wide as its widest cell, numbers right-aligned.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let numeric = !cell.is_empty() && cell.chars().all(|ch| ch.is_ascii_digit());
            if numeric {
                line.push_str(&" ".repeat(widths[c].saturating_sub(width(cell))));
                line.push_str(cell);
            } else {
                line.push_str(&pad(cell, widths[c]));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_show_the_units_decimals() {
        assert_eq!(figure(5.833333333, "亿元"), "5.83");
        assert_eq!(figure(1.3, "亿元"), "1.3");
        assert_eq!(pro_rata(29.166666667, "项"), "29.2");
        assert_eq!(figure(29.0, "项"), "29");
        assert_eq!(figure(2.5, "家"), "2.5");
        assert_eq!(figure(18.333333, "%"), "18.3");
        assert_eq!(figure(0.47, "%"), "0.47");
        assert_eq!(figure(0.8666666, "件/万人"), "0.87");
        assert_eq!(percent(0.9249999999999999), "92.5%");
        assert_eq!(fixed(-0.0001, 2), "0");
    }

    #[test]
    fn a_figure_to_ten_digits_is_what_its_text_to_ten_digits_reads_back_as() {
        let by_text = |v: f64| -> f64 {
            let r: f64 = format!("{v:.9e}").parse().unwrap();
            if r.is_finite() { r } else { v }
        };
        let mut values = vec![
            0.1 + 0.2,
            0.9249999999999999,
            0.13,
            -5.83,
            1234567890.5,
            123456789.05,
            12345.678901,
            12345.6789012,
            1e-7 / 3.0,
            1.5e-300,
            2.5e15,
            1.23456789012e20,
            99999.999999999,
            f64::MIN_POSITIVE,
            5e-324,
        ];
        // Fractions of many magnitudes and lengths: a tenth, a third, a seventh of numbers large and small.
        let mut x = 0.001f64;
        while x < 1e18 {
            values.extend([x / 3.0, x / 7.0, x * 1.1, -x / 10.0, x + 0.01]);
            x *= 13.7;
        }
        for v in values {
            assert_eq!(significant(v).to_bits(), by_text(v).to_bits(), "{v:e}");
        }
        assert_eq!(significant_digits("-0.00120"), 2);
        assert_eq!(significant_digits("120.5e-7"), 4);
        assert_eq!(significant_digits("100"), 1);
    }

    #[test]
    fn a_figure_at_the_top_of_f64s_range_is_not_rounded_to_infinity() {
        assert_eq!(significant(f64::MAX), f64::MAX);
        assert_eq!(significant(-f64::MAX), -f64::MAX);
        let mut json = Vec::new();
        write_json(&mut json, &[f64::MAX]).unwrap();
        let back: Vec<f64> = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, [f64::MAX]);
    }

    #[test]
    fn json_numbers_keep_ten_significant_digits() {
        assert_eq!(significant(0.9249999999999999), 0.925);
        assert_eq!(significant(29.166666666666668), 29.16666667);
        // Whole numbers: kept under 10^10, rounded from there on.
        assert_eq!(significant(9_999_999_999.0), 9_999_999_999.0);
        assert_eq!(significant(-1_234.0), -1_234.0);
        assert_eq!(significant(12_345_678_901.0), 12_345_678_900.0);
        let mut out = Vec::new();
        write_json(
            &mut out,
            &serde_json::json!({"a": [0.30000000000000004, 3], "b": "x"}),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!({"a": [0.3, 3], "b": "x"}));
    }

    #[test]
    fn times_are_written_in_the_plans_zone() {
        let t: Timestamp = "2020-11-05T19:00:00Z".parse().unwrap();
        assert_eq!(time(t, DEFAULT_TIMEZONE), "2020-11-06 03:00");
        assert_eq!(parse_offset("+08:00"), Some(DEFAULT_TIMEZONE));
        assert_eq!(parse_offset("UTC+8"), Some(DEFAULT_TIMEZONE));
        assert_eq!(parse_offset("Asia/Shanghai"), None);
    }

    #[test]
    fn chinese_columns_line_up() {
        let t = table(&[
            vec!["单位".into(), "错误".into()],
            vec!["市自然资源局".into(), "1".into()],
        ]);
        assert_eq!(t, "单位          错误\n市自然资源局     1\n");
    }
}
