//! `sluice imports`: the imports recorded in a store, and one import's exceptions.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;

use super::{Exit, Failure, output};
use crate::store::{self, ImportSummary, Store};

#[derive(Debug, clap::Args)]
pub(super) struct ImportsArgs {
    #[command(subcommand)]
    show: Option<ImportsCommand>,
    /// The store file.
    #[arg(long, default_value = "sluice.db", global = true)]
    db: PathBuf,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum ImportsCommand {
    /// Show one import: its counts and every rejected or flagged row.
    Show {
        /// The import id.
        id: i64,
    },
}

fn open_existing_store(db: &Path) -> Result<Store, Failure> {
    if !db.exists() {
        return Err(Failure::new(
            Exit::Usage,
            format!("there is no store at {}", db.display()),
        )
        .fix("pass --db with the store file of your pipeline (its `[store] path`)"));
    }
    Ok(Store::open(db)?)
}

pub(super) fn run(args: &ImportsArgs) -> Result<Exit, Failure> {
    let store = open_existing_store(&args.db)?;
    match args.show {
        None => {
            let list = store.imports()?;
            if args.json {
                output::json(&list);
            } else {
                let rows: Vec<Vec<String>> = list.iter().map(summary_row).collect();
                output::line(&output::table(
                    &[
                        "id", "status", "name", "rows", "results", "rejected", "flagged", "started",
                    ],
                    &rows,
                ));
            }
        }
        Some(ImportsCommand::Show { id }) => {
            let Some(summary) = store.import(id)? else {
                return Err(Failure::new(
                    Exit::Usage,
                    format!("there is no import {id} in {}", args.db.display()),
                )
                .fix("`sluice imports` lists the imports"));
            };
            let exceptions = store.exceptions(id)?;
            if args.json {
                #[derive(Serialize)]
                struct Shown<'a> {
                    import: &'a ImportSummary,
                    exceptions: &'a [store::ExceptionRecord],
                }
                output::json(&Shown {
                    import: &summary,
                    exceptions: &exceptions,
                });
            } else {
                output::line(&format!(
                    "import {} ({}): {} from {} with pipeline {}",
                    summary.id,
                    summary.status.as_str(),
                    summary.name,
                    summary.file_name,
                    summary.pipeline
                ));
                output::line(&format!(
                    "rows {} = results {} + rejected {} + skipped {}; flagged {}",
                    summary.rows,
                    summary.results,
                    summary.rejected,
                    summary.skipped,
                    summary.flagged
                ));
                if let Some(e) = &summary.error {
                    output::line(&format!("error: {e}"));
                }
                let rows: Vec<Vec<String>> = exceptions
                    .iter()
                    .map(|x| {
                        vec![
                            x.row_number.to_string(),
                            x.status.as_str().to_string(),
                            x.reasons.join("; "),
                        ]
                    })
                    .collect();
                if !rows.is_empty() {
                    output::line(&output::table(&["row", "status", "reasons"], &rows));
                }
            }
        }
    }
    Ok(Exit::Ok)
}

fn summary_row(s: &ImportSummary) -> Vec<String> {
    vec![
        s.id.to_string(),
        s.status.as_str().to_string(),
        s.name.clone(),
        s.rows.to_string(),
        s.results.to_string(),
        s.rejected.to_string(),
        s.flagged.to_string(),
        s.started_at.clone(),
    ]
}
