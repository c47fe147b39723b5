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

/// Writes bytes to stdout as they are (a CSV report). A closed pipe is not an error.
pub(super) fn raw(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
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

/// Prints a note about what sluice is doing to stderr (kept off stdout, which holds results).
pub(super) fn note(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sluice: {message}");
}

/// Prints a warning to stderr.
pub(super) fn warning(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "sluice: warning: {message}");
}

/// The row ledger line every summary prints: `rows = results + rejected + skipped`.
#[must_use]
pub(super) fn ledger(c: &crate::store::Counts) -> String {
    format!(
        "rows {} = results {} + rejected {} + skipped {}; flagged {}",
        c.rows, c.results, c.rejected, c.skipped, c.flagged
    )
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

/// A progress bar on stderr for one file's rows, drawn only on a terminal and only once the
/// file has shown itself to be long ([`Bar::SHOW_FROM_ROWS`] rows): short imports finish
/// before a bar could tell anyone anything.
pub(super) struct Bar {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    shown: bool,
}

impl Bar {
    /// Rows after which the bar appears.
    const SHOW_FROM_ROWS: u64 = 2_000;

    /// A bar for reading `file`, `bytes` long: the bar follows bytes (which give the ETA),
    /// the message counts rows.
    pub(super) fn new(file: &std::path::Path, bytes: u64) -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(bytes),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {percent:>3}%  {msg}  ETA {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(file_label(file));
        Self {
            bar,
            started: std::time::Instant::now(),
            shown: false,
        }
    }

    /// `bytes` read and `rows` handled so far.
    pub(super) fn update(&mut self, bytes: u64, rows: u64) {
        if !self.shown && rows >= Self::SHOW_FROM_ROWS {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.shown = true;
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // A rate, rounded.
        let rate = (rows as f64 / secs) as u64;
        self.bar.set_message(format!("{rows} rows, {rate} rows/s"));
        self.bar.set_position(bytes);
    }

    /// Removes the bar, leaving the terminal as it was for the summary.
    pub(super) fn clear(self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner on stderr while an import prepares: against a store of a million contacts,
/// indexing them takes seconds before the first row, which would otherwise pass in silence.
/// It appears only after [`Spinner::SHOW_AFTER`], so the usual preparation of a few
/// milliseconds does not flicker.
pub(super) struct Spinner(indicatif::ProgressBar);

impl Spinner {
    const SHOW_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

    pub(super) fn preparing(file: &std::path::Path) -> Self {
        let spinner =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        spinner.set_style(indicatif::ProgressStyle::default_spinner());
        spinner.set_message(format!(
            "{}: preparing (starting the plugins, indexing the stored contacts)",
            file_label(file)
        ));
        let shared = spinner.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Self::SHOW_AFTER);
            if !shared.is_finished() {
                shared.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                shared.enable_steady_tick(std::time::Duration::from_millis(150));
            }
        });
        Self(spinner)
    }
}

impl Drop for Spinner {
    /// Removes the spinner, and keeps it from appearing later however the preparation
    /// ended (an error included).
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The file's name, as progress lines show it.
fn file_label(file: &std::path::Path) -> String {
    file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
