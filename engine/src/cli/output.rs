//! Everything `sluice` prints goes through here: human tables on stdout, `--json` for
//! scripts, errors on stderr as one sentence plus the fix.

#![allow(clippy::print_stdout, clippy::print_stderr)] // This module is the one place that prints.

use std::io::Write;

use serde::Serialize;

/// Prints a line of human output. A closed pipe (`sluice imports | head`) is not an error.
pub(super) fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Prints a value as pretty JSON.
pub(super) fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => line(&text),
        Err(e) => error(&format!("cannot encode the output as JSON: {e}"), None),
    }
}

/// Prints an error (and the fix, if there is one) to stderr.
pub(super) fn error(message: &str, fix: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sluice: {message}");
    if let Some(fix) = fix {
        let _ = writeln!(err, "  fix: {fix}");
    }
}

/// Prints a warning to stderr.
pub(super) fn warning(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sluice: warning: {message}");
}

/// Formats rows as an aligned table with a header.
#[must_use]
pub(super) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let fmt_row = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = fmt_row(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&fmt_row(row.iter().map(String::as_str).collect()));
    }
    out
}
