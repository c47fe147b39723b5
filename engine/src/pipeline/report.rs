//! The exceptions report of an import: the CSV a person fixes and re-imports, and the tally
//! of reasons that `sluice imports show` and every import summary print.
//!
//! **Invariant:** the original columns of the report are the input's fields byte for byte
//! (as the source decoded them): the report only prepends its own three columns, so the
//! fixed lines re-import through the same pipeline. Rows the source could not read as rows
//! of the header keep their own number of fields.
//!
//! What it must not do: print, or decide where the report goes (that is `cli`'s job).

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use crate::store::ExceptionRecord;

/// The columns the report puts before the original ones. None of them is (or resembles) a
/// field of the interactions template, so `mapping` drops them when the fixed report is
/// imported again; plain `Status` would pass for a Call Result.
pub const REPORT_COLUMNS: [&str; 3] = ["Exception Row", "Exception Status", "Exception Reasons"];

/// How the reasons of one row are joined in the report's `Reasons` column.
pub const REASON_SEPARATOR: &str = "; ";

/// How many distinct reasons a summary lists.
pub const TOP_REASONS: usize = 10;

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the exceptions report: {0}")]
pub struct WriteError(#[from] csv::Error);

/// Writes the exceptions report as CSV: a header of [`REPORT_COLUMNS`] and the import's
/// original `columns`, then one line per exception with its row number, status, reasons and
/// original values.
///
/// # Errors
///
/// [`WriteError`] when `out` fails.
pub fn write_csv<W: Write>(
    out: W,
    columns: &[String],
    exceptions: &[ExceptionRecord],
) -> Result<(), WriteError> {
    // Flexible: a row the source could not split into the header's columns is reported
    // with the fields it has, exactly as read.
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    w.write_record(
        REPORT_COLUMNS
            .iter()
            .copied()
            .chain(columns.iter().map(String::as_str)),
    )?;
    for x in exceptions {
        let row = x.row_number.to_string();
        let reasons = x.reasons.join(REASON_SEPARATOR);
        w.write_record(
            [row.as_str(), x.status.as_str(), reasons.as_str()]
                .into_iter()
                .chain(x.values.iter().map(String::as_str)),
        )?;
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}

/// How many rows gave one kind of reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    /// The reason with every quoted value replaced by `"…"`, so `Date "13/13/2025" is not a
    /// date` and `Date "2/30/2025" is not a date` count together.
    pub reason: String,
    /// Rows with that reason.
    pub rows: u64,
}

/// Counts reasons by kind, each row at most once per kind.
#[derive(Clone, Debug, Default)]
pub struct ReasonTally {
    counts: HashMap<String, u64>,
}

impl ReasonTally {
    /// Counts the reasons of one row.
    pub fn add<S: AsRef<str>>(&mut self, reasons: &[S]) {
        let mut kinds: Vec<String> = reasons.iter().map(|r| reason_kind(r.as_ref())).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            *self.counts.entry(kind).or_default() += 1;
        }
    }

    /// The `n` most frequent kinds, most frequent first (ties in alphabetical order).
    #[must_use]
    pub fn top(&self, n: usize) -> Vec<ReasonCount> {
        let mut all: Vec<ReasonCount> = self
            .counts
            .iter()
            .map(|(reason, rows)| ReasonCount {
                reason: reason.clone(),
                rows: *rows,
            })
            .collect();
        all.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.reason.cmp(&b.reason)));
        all.truncate(n);
        all
    }
}

/// A reason with its quoted values (as written by Rust's `{:?}`: `"` … `"`, with `\`
/// escapes) replaced by `"…"`.
#[must_use]
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut chars = reason.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        let mut closed = false;
        while let Some(q) = chars.next() {
            match q {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    closed = true;
                    break;
                }
                _ => {}
            }
        }
        // An unbalanced quote is text, not a value: keep the reason as it was.
        if !closed {
            return reason.to_string();
        }
        out.push_str("\"…\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ExceptionStatus;

    #[test]
    fn kinds_hide_quoted_values() {
        assert_eq!(reason_kind("missing Date"), "missing Date");
        assert_eq!(
            reason_kind(r#"Date "13/13/2025" is not a date"#),
            r#"Date "…" is not a date"#
        );
        assert_eq!(
            reason_kind(r#"Date "a \"b\" c" is not a date"#),
            r#"Date "…" is not a date"#
        );
        assert_eq!(reason_kind(r#"odd " quote"#), r#"odd " quote"#);
    }

    #[test]
    fn tally_counts_rows_once_per_kind() {
        let mut t = ReasonTally::default();
        t.add(&[r#"Date "x" is not a date"#, "missing Contact Type"]);
        t.add(&[r#"Date "y" is not a date"#]);
        t.add(&["missing Contact Type", "missing Contact Type"]);
        t.add(&["a"]);
        assert_eq!(
            t.top(2),
            vec![
                ReasonCount {
                    reason: r#"Date "…" is not a date"#.into(),
                    rows: 2
                },
                ReasonCount {
                    reason: "missing Contact Type".into(),
                    rows: 2
                },
            ]
        );
    }

    #[test]
    fn csv_keeps_fields_exactly() {
        let mut out = Vec::new();
        let exceptions = [ExceptionRecord {
            row_number: 7,
            status: ExceptionStatus::Rejected,
            reasons: vec!["missing Date".into(), "x".into()],
            values: vec![" a,b ".into(), "line\nbreak \"q\"".into(), String::new()],
        }];
        write_csv(&mut out, &["A".into(), "B".into(), "C".into()], &exceptions).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Exception Row,Exception Status,Exception Reasons,A,B,C\n7,rejected,missing Date; x,\" a,b \",\"line\nbreak \"\"q\"\"\",\n"
        );
    }
}
