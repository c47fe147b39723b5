//! `sluice import`: each file its own import; the worst outcome picks the exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::{Exit, Failure, load_pipeline, output, writer_lock};
use crate::config;
use crate::pipeline::{self, ImportOptions, ImportReport, Outcome, Phase, Progress};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub(super) struct ImportArgs {
    /// The pipeline TOML file.
    pipeline: PathBuf,
    /// The files to import; each is its own import.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The import's name (default: the file name).
    #[arg(long)]
    name: Option<String>,
    /// A description kept with the import.
    #[arg(long)]
    description: Option<String>,
    /// The IANA time zone of dates without an offset (default: the pipeline's).
    #[arg(long)]
    timezone: Option<String>,
    /// The member code of this import (default: the pipeline's).
    #[arg(long)]
    member_code: Option<String>,
    /// The store file (default: the pipeline's `[store] path`).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Import even if the same file (same SHA-256) was imported before.
    #[arg(long)]
    force: bool,
    /// Print the results as one JSON document (its schema: engine/schemas/import.schema.json).
    #[arg(long)]
    json: bool,
    /// Print nothing but errors; the exit code tells the outcome.
    #[arg(long, short = 'q', conflicts_with = "json")]
    quiet: bool,
    /// If another sluice process is writing to the store, wait for it instead of exiting
    /// with code 75.
    #[arg(long)]
    wait: bool,
    /// Run the whole import (reading, checking, matching) and print its summary, but leave
    /// the store exactly as it was; with --report, write the exceptions report too.
    #[arg(long)]
    dry_run: bool,
    /// Write the exceptions report (CSV: Exception Row, Exception Status, Exception Reasons,
    /// then the file's own columns) to PATH; with several files PATH is a directory and each report is named
    /// FILE.exceptions.csv.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
}

/// One file's result in `import --json`.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum FileResult {
    Imported {
        #[serde(flatten)]
        report: ImportReport,
        /// Where the time went.
        timings_ms: Timings,
        /// Rows handled per second while loading and committing.
        rows_per_second: u64,
        /// The exceptions report written for this import, if one was asked for.
        report_path: Option<String>,
    },
    /// `on_rejected = "abort"` refused the file: nothing was imported.
    Aborted {
        #[serde(flatten)]
        report: ImportReport,
        /// The exceptions report written for this import, if one was asked for.
        report_path: Option<String>,
    },
    AlreadyImported {
        file: String,
        earlier_import: i64,
    },
    Failed {
        file: String,
        error: String,
    },
}

pub(super) fn run(args: &ImportArgs) -> Result<Exit, Failure> {
    if let Some(tz) = &args.timezone {
        config::check_timezone(tz)
            .map_err(|m| Failure::new(Exit::Usage, format!("--timezone: {m}")))?;
    }
    if let Some(report) = &args.report
        && args.files.len() > 1
        && !report.is_dir()
    {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "--report {}: with several files, --report names a directory for their reports",
                report.display()
            ),
        )
        .fix("create the directory first, or import one file at a time"));
    }
    let (host, pipeline) = load_pipeline(&args.pipeline)?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| pipeline.spec.store_path.clone());
    // A dry run must leave the store as it was: it does not create one (it runs against an
    // empty store in memory) and does not tidy up after interrupted imports.
    let in_memory = args.dry_run && !db.exists();
    let lock = if in_memory {
        None
    } else {
        Some(writer_lock(&db, args.wait, args.quiet || args.json)?)
    };
    let mut store = if in_memory {
        Store::open_in_memory()?
    } else {
        Store::open(&db)?
    };
    if let Some(lock) = &lock
        && !args.dry_run
    {
        store.fail_interrupted_imports(lock)?;
    }
    let show_bar = !args.quiet && !args.json && std::io::stderr().is_terminal();
    let stop = stop_on_signals();
    let opts = ImportOptions {
        name: args.name.clone(),
        description: args.description.clone(),
        timezone: args.timezone.clone(),
        member_code: args.member_code.clone(),
        force: args.force,
        dry_run: args.dry_run,
        keep_exceptions: args.report.is_some(),
        ..ImportOptions::default()
    };
    let mut worst = Exit::Ok;
    let mut results = Vec::new();
    for file in &args.files {
        let mut tracker = Tracker::new(show_bar, Arc::clone(&stop));
        let outcome =
            pipeline::run_import_with(&host, &pipeline, &mut store, file, &opts, &mut tracker);
        let timings_ms = tracker.finish();
        let written = match &outcome {
            Ok(Outcome::Imported(report) | Outcome::Aborted(report)) => {
                write_report(args, file, report)
            }
            _ => Ok(None),
        };
        let report_path = match written {
            Ok(path) => path,
            Err(f) => {
                output::error(&f.message, f.fix.as_deref());
                if f.exit.severity() > worst.severity() {
                    worst = f.exit;
                }
                None
            }
        };
        let (exit, result) = match outcome {
            Ok(Outcome::Aborted(report)) => (
                Exit::Failed,
                FileResult::Aborted {
                    report,
                    report_path,
                },
            ),
            Ok(Outcome::Imported(report)) => {
                let c = report.counts;
                let exit = if c.rejected + c.flagged > 0 {
                    Exit::Partial
                } else {
                    Exit::Ok
                };
                let busy_ms = timings_ms.load + timings_ms.commit;
                (
                    exit,
                    FileResult::Imported {
                        rows_per_second: c.rows.saturating_mul(1000) / busy_ms.max(1),
                        report,
                        timings_ms,
                        report_path,
                    },
                )
            }
            Ok(Outcome::AlreadyImported { file, earlier }) => (
                Exit::Ok,
                FileResult::AlreadyImported {
                    file: file.display().to_string(),
                    earlier_import: earlier.id,
                },
            ),
            Err(e) => {
                let failure = Failure::from(e);
                let message = format!("{}: {}", file.display(), failure.message);
                if !args.json {
                    output::error(&message, failure.fix.as_deref());
                }
                (
                    failure.exit,
                    FileResult::Failed {
                        file: file.display().to_string(),
                        error: failure.message,
                    },
                )
            }
        };
        if exit.severity() > worst.severity() {
            worst = exit;
        }
        if !args.json && !args.quiet {
            print_file_result(&result);
        }
        results.push(result);
        if stop.load(Ordering::Relaxed) {
            // The files after an interrupted one are not started.
            break;
        }
    }
    if args.json {
        output::json(&results);
    }
    Ok(worst)
}

/// A flag that Ctrl-C (SIGINT) and SIGTERM raise, so the import in hand rolls back and is
/// recorded as failed instead of being left `running`; a second signal ends the process at
/// once (the store is safe either way: `SQLite` rolls back what was not committed).
fn stop_on_signals() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registering can only fail for a forbidden signal; these two are not. Without the
        // handlers a signal still ends the process safely, so a failure is not an error.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop));
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    stop
}

fn print_file_result(result: &FileResult) {
    match result {
        FileResult::Imported {
            report: r,
            timings_ms,
            rows_per_second,
            report_path,
        } => {
            let c = r.counts;
            for w in &r.warnings {
                output::warning(w);
            }
            if r.dry_run {
                output::line(&format!(
                    "dry run of {}: nothing was written to the store",
                    r.file
                ));
            } else {
                output::line(&format!("imported {} as import {}", r.file, r.import_id));
            }
            for (label, n) in [
                ("rows", c.rows),
                ("results", c.results),
                ("rejected", c.rejected),
                ("flagged", c.flagged),
                ("skipped", c.skipped),
                ("contacts created", r.contacts_created),
                ("contacts matched", r.contacts_matched),
                ("pledges", r.pledges),
            ] {
                output::line(&format!("  {label:<17} {n:>8}"));
            }
            output::line(&format!(
                "  {:<17} {:>8}  ({rows_per_second} rows/s)",
                "seconds",
                format!("{:.2}", timings_ms.total as f64 / 1000.0)
            ));
            print_ledger(r);
            if c.rejected + c.flagged > 0 {
                print_exceptions_hint(r, report_path.as_deref());
            }
        }
        FileResult::Aborted {
            report: r,
            report_path,
        } => {
            let what = if r.dry_run {
                format!("dry run of {}", r.file)
            } else {
                format!("{} (import {})", r.file, r.import_id)
            };
            output::error(
                &format!("{what}: {}", r.aborted.as_deref().unwrap_or_default()),
                None,
            );
            print_ledger(r);
            print_exceptions_hint(r, report_path.as_deref());
        }
        FileResult::AlreadyImported {
            file,
            earlier_import,
        } => output::line(&format!(
            "skipped {file}: the same file was already imported as import {earlier_import}; use --force to import it again"
        )),
        FileResult::Failed { .. } => {}
    }
}

/// The row ledger and the most frequent reasons, as every summary prints them.
fn print_ledger(r: &ImportReport) {
    let c = r.counts;
    output::line(&output::ledger(&c));
    if !r.top_reasons.is_empty() {
        output::line("top reasons:");
        for t in &r.top_reasons {
            output::line(&format!("  {:>8}  {}", t.rows, t.reason));
        }
    }
}

/// Where to find the exceptions of a summary.
fn print_exceptions_hint(r: &ImportReport, report_path: Option<&str>) {
    match report_path {
        Some(path) => output::line(&format!("exceptions report: {path}")),
        None if r.dry_run => output::line("exceptions: add --report FILE to write them"),
        None => output::line(&format!(
            "exceptions: sluice report {} -o FILE (or sluice imports show {})",
            r.import_id, r.import_id
        )),
    }
}

/// Writes the exceptions report of one file where `--report` says; returns its path.
fn write_report(
    args: &ImportArgs,
    file: &Path,
    report: &ImportReport,
) -> Result<Option<String>, Failure> {
    let Some(target) = &args.report else {
        return Ok(None);
    };
    let path = if args.files.len() > 1 {
        let name = file
            .file_name()
            .map_or_else(|| "input".to_string(), |n| n.to_string_lossy().into_owned());
        target.join(format!("{name}.exceptions.csv"))
    } else {
        target.clone()
    };
    super::report::write_to(&path, &report.columns, &report.exceptions)?;
    Ok(Some(path.display().to_string()))
}

/// The time one file's import spent in each phase, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Timings {
    /// Hashing the file (to recognise a file imported before).
    hash: u64,
    /// Reading the header, preparing the plugins, indexing the stored contacts.
    prepare: u64,
    /// Reading, checking, matching and writing the rows.
    load: u64,
    /// Rebuilding deferred indexes and committing.
    commit: u64,
    /// From start to end, all phases together.
    total: u64,
}

/// Follows one file's import: times its phases and, on a terminal, draws a progress bar.
struct Tracker {
    started: Instant,
    phase: Option<(Phase, Instant)>,
    timings: Timings,
    show_bar: bool,
    bar: Option<output::Bar>,
    spinner: Option<output::Spinner>,
    /// Raised by Ctrl-C or SIGTERM.
    stop: Arc<AtomicBool>,
}

impl Tracker {
    fn new(show_bar: bool, stop: Arc<AtomicBool>) -> Self {
        Self {
            started: Instant::now(),
            phase: None,
            timings: Timings::default(),
            show_bar,
            bar: None,
            spinner: None,
            stop,
        }
    }

    /// Closes the phase in progress and returns the timings.
    fn finish(&mut self) -> Timings {
        self.close_phase();
        if let Some(bar) = self.bar.take() {
            bar.clear();
        }
        self.timings.total = millis(self.started);
        self.timings
    }

    fn close_phase(&mut self) {
        self.spinner = None;
        if let Some((phase, since)) = self.phase.take() {
            let slot = match phase {
                Phase::Hashing => &mut self.timings.hash,
                Phase::Preparing => &mut self.timings.prepare,
                Phase::Loading { .. } => &mut self.timings.load,
                Phase::Committing => &mut self.timings.commit,
            };
            *slot += millis(since);
        }
    }
}

impl Progress for Tracker {
    fn phase(&mut self, file: &Path, phase: Phase) {
        self.close_phase();
        self.phase = Some((phase, Instant::now()));
        match phase {
            Phase::Preparing if self.show_bar => {
                self.spinner = Some(output::Spinner::preparing(file));
            }
            Phase::Loading { bytes } if self.show_bar => {
                self.bar = Some(output::Bar::new(file, bytes));
            }
            Phase::Committing => {
                if let Some(bar) = self.bar.take() {
                    bar.clear();
                }
            }
            _ => {}
        }
    }

    fn rows(&mut self, bytes: u64, rows: u64) {
        if let Some(bar) = &mut self.bar {
            bar.update(bytes, rows);
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Milliseconds since `since`.
fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
