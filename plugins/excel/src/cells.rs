//! Cell values as text, faithful to what the spreadsheet shows: numbers without float
//! noise, dates as ISO strings, booleans as Excel writes them, error values as empty.

use calamine::{Data, ExcelDateTime};

/// One cell, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// The value as text; empty for empty and error cells.
    pub text: String,
    /// The error value (`#N/A`, `#DIV/0!` …) the cell held, if any.
    pub error: Option<String>,
}

impl Cell {
    /// Converts a calamine value. Formulas arrive as their cached values.
    #[must_use]
    pub fn from_data(data: &Data) -> Self {
        let text = match data {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) => format_number(*f),
            Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Data::DateTime(d) => format_datetime(d),
            Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
            Data::DurationIso(s) => format_iso_duration(s),
            Data::Error(e) => {
                return Self {
                    text: String::new(),
                    error: Some(e.to_string()),
                };
            }
        };
        Self { text, error: None }
    }
}

/// Whether a value shows nothing (empty, or only whitespace).
pub(crate) fn is_blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A number as Excel shows it in a General cell: at most 15 significant digits (Excel's own
/// precision, which removes binary noise such as `0.30000000000000004`), no trailing zeros,
/// no exponent, and integers without `.0`.
#[must_use]
pub fn format_number(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    // Round to 15 significant digits through the scientific form, then print the shortest
    // text that reads back as that value.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded}")
}

/// A date cell as `YYYY-MM-DD`, a date-time as `YYYY-MM-DDTHH:MM:SS`, a time of day as
/// `HH:MM:SS`, a duration as `H:MM:SS`. Both the 1900 and 1904 date systems are handled by
/// calamine, which knows the workbook's.
fn format_datetime(d: &ExcelDateTime) -> String {
    if d.is_duration() {
        return format_seconds(d.as_f64() * 86_400.0);
    }
    let Some(dt) = d.as_datetime() else {
        return format_number(d.as_f64());
    };
    // Excel keeps milliseconds; a person's dates and times are whole seconds.
    let dt = dt
        .checked_add_signed(chrono::Duration::milliseconds(500))
        .and_then(|up| chrono::Timelike::with_nanosecond(&up, 0))
        .unwrap_or(dt);
    let serial = d.as_f64();
    if (0.0..1.0).contains(&serial) {
        dt.format("%H:%M:%S").to_string()
    } else if dt.time() == chrono::NaiveTime::MIN {
        dt.format("%Y-%m-%d").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// `H:MM:SS` for a number of seconds (rounded), hours unbounded as in `[h]:mm:ss`.
fn format_seconds(secs: f64) -> String {
    let total = secs.round();
    let sign = if total < 0.0 { "-" } else { "" };
    // A duration cell is at most Excel's 9999 years of seconds, far inside i64.
    #[allow(clippy::cast_possible_truncation)] // Rounded and bounded just above.
    let total = total.abs().min(1e15) as i64;
    format!(
        "{sign}{}:{:02}:{:02}",
        total / 3600,
        (total / 60) % 60,
        total % 60
    )
}

/// An OpenDocument duration (`PT10H30M00S`) as `H:MM:SS`; anything else unchanged.
fn format_iso_duration(s: &str) -> String {
    let Some(rest) = s.strip_prefix("PT") else {
        return s.to_string();
    };
    let mut secs = 0.0;
    let mut num = String::new();
    for c in rest.chars() {
        let unit = match c {
            'H' => 3600.0,
            'M' => 60.0,
            'S' => 1.0,
            _ => {
                num.push(c);
                continue;
            }
        };
        match num.parse::<f64>() {
            Ok(n) => secs += n * unit,
            Err(_) => return s.to_string(),
        }
        num.clear();
    }
    if !num.is_empty() {
        return s.to_string();
    }
    format_seconds(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers_have_no_float_noise() {
        assert_eq!(format_number(1250.0), "1250");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(1_250.000_000_000_000_2), "1250");
        assert_eq!(format_number(-12.5), "-12.5");
        assert_eq!(format_number(1e-7), "0.0000001");
        assert_eq!(format_number(123_456_789_012.0), "123456789012");
        assert_eq!(format_number(-0.0), "0");
    }

    #[test]
    fn dates_in_both_systems() {
        let d = |v, is_1904| {
            Cell::from_data(&Data::DateTime(ExcelDateTime::new(
                v,
                ExcelDateTimeType::DateTime,
                is_1904,
            )))
            .text
        };
        assert_eq!(d(45720.0, false), "2025-03-04");
        assert_eq!(d(45720.0 - 1462.0, true), "2025-03-04");
        assert_eq!(d(45720.4375, false), "2025-03-04T10:30:00");
        assert_eq!(d(0.75, false), "18:00:00");
    }

    #[test]
    fn other_values() {
        assert_eq!(Cell::from_data(&Data::Bool(true)).text, "TRUE");
        assert_eq!(Cell::from_data(&Data::Int(42)).text, "42");
        let e = Cell::from_data(&Data::Error(calamine::CellErrorType::NA));
        assert_eq!((e.text.as_str(), e.error.as_deref()), ("", Some("#N/A")));
        assert_eq!(format_iso_duration("PT10H30M00S"), "10:30:00");
        assert_eq!(
            Cell::from_data(&Data::DateTimeIso("2025-03-04T00:00:00".into())).text,
            "2025-03-04"
        );
    }
}
