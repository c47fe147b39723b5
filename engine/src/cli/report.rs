//! `sluice report ID`: the exceptions report of an import, as CSV a person can fix and
//! import again (or JSON), on stdout or in a file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::imports::open_existing_store;
use super::{Exit, Failure, output};
use crate::pipeline;
use crate::store::ExceptionRecord;

#[derive(Debug, clap::Args)]
pub(super) struct ReportArgs {
    /// The import id (see `sluice imports`).
    id: i64,
    /// Write the report to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write JSON instead of CSV.
    #[arg(long)]
    json: bool,
    /// The store file.
    #[arg(long, default_value = "sluice.db")]
    db: PathBuf,
}

/// `sluice report --json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    import_id: i64,
    /// The file's original header; each exception's `values` line up with it.
    columns: &'a [String],
    exceptions: &'a [ExceptionRecord],
}

pub(super) fn run(args: &ReportArgs) -> Result<Exit, Failure> {
    let store = open_existing_store(&args.db)?;
    let Some(summary) = store.import(args.id)? else {
        return Err(Failure::new(
            Exit::Usage,
            format!("there is no import {} in {}", args.id, args.db.display()),
        )
        .fix("`sluice imports` lists the imports"));
    };
    let exceptions = store.exceptions(args.id)?;
    let bytes = if args.json {
        let doc = JsonReport {
            import_id: summary.id,
            columns: &summary.columns,
            exceptions: &exceptions,
        };
        let mut text = serde_json::to_vec_pretty(&doc)
            .map_err(|e| Failure::new(Exit::Failed, format!("cannot encode the report: {e}")))?;
        text.push(b'\n');
        text
    } else {
        let mut csv = Vec::new();
        pipeline::write_csv(&mut csv, &summary.columns, &exceptions)
            .map_err(|e| Failure::new(Exit::Failed, e))?;
        csv
    };
    match &args.output {
        Some(path) => write_file(path, &bytes)?,
        None => output::raw(&bytes),
    }
    Ok(Exit::Ok)
}

/// Writes the CSV report of `exceptions` (of a file with header `columns`) to `path`.
pub(super) fn write_to(
    path: &Path,
    columns: &[String],
    exceptions: &[ExceptionRecord],
) -> Result<(), Failure> {
    let mut csv = Vec::new();
    pipeline::write_csv(&mut csv, columns, exceptions)
        .map_err(|e| Failure::new(Exit::Failed, e))?;
    write_file(path, &csv)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| {
        Failure::new(
            Exit::Failed,
            format!(
                "cannot write the exceptions report to {}: {e}",
                path.display()
            ),
        )
        .fix("check that the directory exists and is writable")
    })
}
