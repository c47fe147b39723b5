//! `sluice watch`: imports every file that lands in the pipeline's `[watch]` folder, one log
//! line per file; `--once` handles what is there and exits (the cron entry point).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exit, Failure, host, output, writer_lock};
use crate::config::{self, PipelineSpec};
use crate::pipeline::{ImportOptions, Pipeline};
use crate::store::Store;
use crate::watch::{self, Events, FileEvent, FileOutcome, WatchOptions};

#[derive(Debug, clap::Args)]
pub(super) struct WatchArgs {
    /// The pipeline TOML file; its `[watch]` section names the folder.
    pipeline: PathBuf,
    /// Handle the files that are there now, then exit: 0 all imported cleanly, 3 some rows
    /// rejected or flagged, 1 some files failed, 75 the store is in use.
    #[arg(long)]
    once: bool,
    /// List the folder every `poll_interval_ms` instead of using the platform's file
    /// notifications (network drives, some containers).
    #[arg(long)]
    poll: bool,
    /// Leave files where they are instead of moving them to `processed/` or `failed/`; the
    /// store remembers which were handled.
    #[arg(long)]
    keep: bool,
    /// On SIGINT or SIGTERM, roll back the import in hand instead of finishing it first.
    #[arg(long)]
    now: bool,
    /// The store file (default: the pipeline's `[store] path`).
    #[arg(long)]
    db: Option<PathBuf>,
    /// The IANA time zone of dates without an offset (default: the pipeline's).
    #[arg(long)]
    timezone: Option<String>,
    /// The member code of each import (default: the pipeline's).
    #[arg(long)]
    member_code: Option<String>,
    /// Log one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Log only the files that failed (on stderr).
    #[arg(long, short = 'q', conflicts_with = "json")]
    quiet: bool,
}

pub(super) fn run(args: &WatchArgs) -> Result<Exit, Failure> {
    if let Some(tz) = &args.timezone {
        config::check_timezone(tz)
            .map_err(|m| Failure::new(Exit::Usage, format!("--timezone: {m}")))?;
    }
    // The lock comes before the plugins are loaded: a second run (cron beside a running
    // watcher) must exit 75 at once, not after compiling plugins it will not use.
    let spec = PipelineSpec::load(&args.pipeline)?;
    if spec.watch.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "the pipeline {} has no [watch] section",
                args.pipeline.display()
            ),
        )
        .fix("add `[watch]` with `dir = \"inbox\"` (the folder to watch) to the pipeline"));
    }
    let db = args.db.clone().unwrap_or_else(|| spec.store_path.clone());
    let lock = writer_lock(&db, false, args.quiet || args.json)?;
    let mut host = host()?;
    let pipeline = Pipeline::load(&mut host, spec)?;
    let mut store = Store::open(&db)?;
    store.fail_interrupted_imports(&lock)?;
    let opts = WatchOptions {
        once: args.once,
        poll: args.poll,
        keep: args.keep,
        now: args.now,
        import: ImportOptions {
            timezone: args.timezone.clone(),
            member_code: args.member_code.clone(),
            ..ImportOptions::default()
        },
    };
    let mut log = Log {
        json: args.json,
        quiet: args.quiet,
    };
    let summary =
        watch::run(&host, &pipeline, &mut store, &lock, &opts, &mut log).map_err(|e| match e {
            watch::Error::Store(e) => Failure::from(e),
            e @ (watch::Error::NoWatchSection { .. } | watch::Error::Folder { .. }) => {
                Failure::new(Exit::Usage, e)
                    .fix("create the folder, or fix `[watch] dir` in the pipeline")
            }
            e => Failure::new(Exit::Failed, e),
        })?;
    if args.once {
        if !args.json && !args.quiet {
            output::line(&format!(
                "watch --once: {} imported, {} with exceptions, {} failed, {} already imported",
                summary.clean, summary.partial, summary.failed, summary.duplicates
            ));
        }
        return Ok(if summary.failed > 0 {
            Exit::Failed
        } else if summary.partial > 0 {
            Exit::Partial
        } else {
            Exit::Ok
        });
    }
    Ok(Exit::Ok)
}

/// Prints the watcher's events: a line of text or a JSON object per file.
struct Log {
    json: bool,
    quiet: bool,
}

/// One line of `watch --json`.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
enum LogLine<'a> {
    /// The watcher is ready.
    Watching { dir: String, polling: bool },
    /// A settled file is being imported.
    Importing { file: String },
    /// A file was imported.
    Imported {
        file: String,
        import_id: i64,
        rows: u64,
        results: u64,
        rejected: u64,
        flagged: u64,
        skipped: u64,
        seconds: f64,
        moved_to: Option<String>,
        exceptions_report: Option<String>,
        move_error: Option<&'a str>,
    },
    /// The same bytes were imported before.
    Duplicate {
        file: String,
        earlier_import: i64,
        moved_to: Option<String>,
        move_error: Option<&'a str>,
    },
    /// The file was not imported.
    Failed {
        file: String,
        error: &'a str,
        import_id: Option<i64>,
        seconds: f64,
        moved_to: Option<String>,
        error_file: Option<String>,
        exceptions_report: Option<String>,
        move_error: Option<&'a str>,
    },
    /// An earlier run handled the file but stopped before moving it; it is moved now.
    MoveFinished {
        file: String,
        outcome: &'static str,
        import_id: Option<i64>,
        moved_to: Option<String>,
        move_error: Option<&'a str>,
    },
    /// A signal stopped the import in hand; it was rolled back and the file left in place.
    RolledBack { file: String },
    /// A signal arrived: stopping after the file in hand.
    Stopping,
}

fn shown(path: Option<&PathBuf>) -> Option<String> {
    path.map(|p| p.display().to_string())
}

impl Events for Log {
    fn started(&mut self, dir: &Path, polling: bool) {
        if self.json {
            print_json(&LogLine::Watching {
                dir: dir.display().to_string(),
                polling,
            });
        } else if !self.quiet {
            let how = if polling {
                "polling"
            } else {
                "file notifications"
            };
            output::note(&format!(
                "watching {} ({how}); stop with Ctrl-C or SIGTERM",
                dir.display()
            ));
        }
    }

    fn stopping(&mut self) {
        if self.json {
            print_json(&LogLine::Stopping);
        } else if !self.quiet {
            output::note("stopping after the file in hand");
        }
    }

    fn importing(&mut self, path: &Path) {
        if self.json {
            print_json(&LogLine::Importing {
                file: path.display().to_string(),
            });
        }
    }

    fn fell_back_to_polling(&mut self, why: &str) {
        if !self.json {
            output::warning(&format!(
                "file notifications are unavailable ({why}); polling the folder instead"
            ));
        }
    }

    fn file(&mut self, e: &FileEvent) {
        let file = e.path.display().to_string();
        let seconds = (e.elapsed.as_secs_f64() * 100.0).round() / 100.0;
        let moved_to = shown(e.moved_to.as_ref());
        let move_error = e.move_error.as_deref();
        let line = match &e.outcome {
            FileOutcome::Imported {
                report,
                exceptions_report,
            } => LogLine::Imported {
                file,
                import_id: report.import_id,
                rows: report.counts.rows,
                results: report.counts.results,
                rejected: report.counts.rejected,
                flagged: report.counts.flagged,
                skipped: report.counts.skipped,
                seconds,
                moved_to,
                exceptions_report: shown(exceptions_report.as_ref()),
                move_error,
            },
            FileOutcome::Duplicate { earlier_import } => LogLine::Duplicate {
                file,
                earlier_import: *earlier_import,
                moved_to,
                move_error,
            },
            FileOutcome::Failed {
                error,
                import_id,
                error_file,
                exceptions_report,
            } => LogLine::Failed {
                file,
                error,
                import_id: *import_id,
                seconds,
                moved_to,
                error_file: shown(error_file.as_ref()),
                exceptions_report: shown(exceptions_report.as_ref()),
                move_error,
            },
            FileOutcome::MoveFinished { outcome, import_id } => LogLine::MoveFinished {
                file,
                outcome: outcome.as_str(),
                import_id: *import_id,
                moved_to,
                move_error,
            },
            FileOutcome::RolledBack => LogLine::RolledBack { file },
        };
        if self.json {
            print_json(&line);
        } else {
            self.print_text(&line);
        }
    }
}

impl Log {
    fn print_text(&self, line: &LogLine<'_>) {
        let arrow =
            |to: &Option<String>| to.as_ref().map(|t| format!(" -> {t}")).unwrap_or_default();
        let not_moved = |e: Option<&str>| {
            if let Some(e) = e {
                output::warning(&format!("{e}; the file stays where it is"));
            }
        };
        match line {
            LogLine::Imported {
                file,
                import_id,
                rows,
                results,
                rejected,
                flagged,
                seconds,
                moved_to,
                exceptions_report,
                move_error,
                ..
            } => {
                if !self.quiet {
                    let report = exceptions_report
                        .as_ref()
                        .map(|r| format!(" (exceptions: {r})"))
                        .unwrap_or_default();
                    output::line(&format!(
                        "imported {file} as import {import_id}: {rows} rows, {results} imported, {rejected} rejected, {flagged} flagged in {seconds:.2} s{}{report}",
                        arrow(moved_to)
                    ));
                }
                not_moved(*move_error);
            }
            LogLine::Duplicate {
                file,
                earlier_import,
                moved_to,
                move_error,
            } => {
                if !self.quiet {
                    output::line(&format!(
                        "skipped {file}: the same file was already imported as import {earlier_import}{}",
                        arrow(moved_to)
                    ));
                }
                not_moved(*move_error);
            }
            LogLine::Failed {
                file,
                error,
                seconds,
                moved_to,
                error_file,
                move_error,
                ..
            } => {
                let detail = error_file
                    .as_ref()
                    .map(|f| format!(" (details: {f})"))
                    .unwrap_or_default();
                output::error(
                    &format!(
                        "failed {file} in {seconds:.2} s: {error}{}{detail}",
                        arrow(moved_to)
                    ),
                    None,
                );
                not_moved(*move_error);
            }
            LogLine::MoveFinished {
                file,
                outcome,
                import_id,
                moved_to,
                move_error,
            } => {
                if !self.quiet {
                    let import = import_id
                        .map(|i| format!(" (import {i})"))
                        .unwrap_or_default();
                    output::line(&format!(
                        "moved {file}, {outcome} by an earlier run{import}{}",
                        arrow(moved_to)
                    ));
                }
                not_moved(*move_error);
            }
            LogLine::RolledBack { file } => output::note(&format!(
                "stopped: the import of {file} was rolled back; the file stays for the next run"
            )),
            LogLine::Watching { .. } | LogLine::Importing { .. } | LogLine::Stopping => {}
        }
    }
}

/// One JSON object on one line (`--json` output is a stream, read line by line).
fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => output::line(&text),
        Err(e) => output::error(&format!("cannot encode the output as JSON: {e}"), None),
    }
}
