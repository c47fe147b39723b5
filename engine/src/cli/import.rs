//! `sluice import`: each file its own import; the worst outcome picks the exit code.

use std::path::PathBuf;

use serde::Serialize;

use super::{Exit, Failure, load_pipeline, output};
use crate::config;
use crate::pipeline::{self, ImportOptions, ImportReport, Outcome};
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
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
}

/// One file's result in `import --json`.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum FileResult {
    Imported(ImportReport),
    AlreadyImported { file: String, earlier_import: i64 },
    Failed { file: String, error: String },
}

pub(super) fn run(args: &ImportArgs) -> Result<Exit, Failure> {
    if let Some(tz) = &args.timezone {
        config::check_timezone(tz)
            .map_err(|m| Failure::new(Exit::Usage, format!("--timezone: {m}")))?;
    }
    let (host, pipeline) = load_pipeline(&args.pipeline)?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| pipeline.spec.store_path.clone());
    let mut store = Store::open(&db)?;
    let opts = ImportOptions {
        name: args.name.clone(),
        description: args.description.clone(),
        timezone: args.timezone.clone(),
        member_code: args.member_code.clone(),
        force: args.force,
    };
    let mut worst = Exit::Ok;
    let mut results = Vec::new();
    for file in &args.files {
        let (exit, result) = match pipeline::run_import(&host, &pipeline, &mut store, file, &opts) {
            Ok(Outcome::Imported(report)) => {
                let c = report.counts;
                let exit = if c.rejected + c.flagged > 0 {
                    Exit::Partial
                } else {
                    Exit::Ok
                };
                (exit, FileResult::Imported(report))
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
        if !args.json {
            print_file_result(&result);
        }
        results.push(result);
    }
    if args.json {
        output::json(&results);
    }
    Ok(worst)
}

fn print_file_result(result: &FileResult) {
    match result {
        FileResult::Imported(r) => {
            let c = r.counts;
            for w in &r.warnings {
                output::warning(w);
            }
            output::line(&format!("imported {} as import {}", r.file, r.import_id));
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
            if c.rejected + c.flagged > 0 {
                output::line(&format!("exceptions: sluice imports show {}", r.import_id));
            }
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
