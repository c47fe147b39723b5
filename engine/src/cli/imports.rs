//! `sluice imports`: the imports recorded in a store, and one import's exceptions.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;

use super::{Exit, Failure, output};
use crate::pipeline::{ReasonCount, ReasonTally, TOP_REASONS};
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
    /// Show one import: its counts, its most frequent reasons and its first exceptions.
    Show {
        /// The import id.
        id: i64,
        /// Also show how every row was matched: the contact, the score, the candidates and
        /// the matcher's reasons.
        #[arg(long)]
        matches: bool,
    },
}

pub(super) fn open_existing_store(db: &Path) -> Result<Store, Failure> {
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
                        "id", "status", "name", "rows", "results", "rejected", "skipped",
                        "flagged", "started",
                    ],
                    &rows,
                ));
            }
        }
        Some(ImportsCommand::Show { id, matches }) => {
            let Some(summary) = store.import(id)? else {
                return Err(Failure::new(
                    Exit::Usage,
                    format!("there is no import {id} in {}", args.db.display()),
                )
                .fix("`sluice imports` lists the imports"));
            };
            let exceptions = store.exceptions(id)?;
            let mut tally = ReasonTally::default();
            for x in &exceptions {
                tally.add(&x.reasons);
            }
            let top_reasons = tally.top(TOP_REASONS);
            let undo = store.undo_record(id)?;
            let decisions = if matches {
                Some(store.match_decisions(id)?)
            } else {
                None
            };
            if args.json {
                #[derive(Serialize)]
                struct Shown<'a> {
                    import: &'a ImportSummary,
                    top_reasons: &'a [ReasonCount],
                    exceptions: &'a [store::ExceptionRecord],
                    #[serde(skip_serializing_if = "Option::is_none")]
                    matches: Option<&'a [store::MatchRecord]>,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    undo: Option<&'a store::UndoRecord>,
                }
                output::json(&Shown {
                    import: &summary,
                    top_reasons: &top_reasons,
                    exceptions: &exceptions,
                    matches: decisions.as_deref(),
                    undo: undo.as_ref(),
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
                output::line(&output::ledger(&store::Counts {
                    rows: summary.rows,
                    results: summary.results,
                    rejected: summary.rejected,
                    flagged: summary.flagged,
                    skipped: summary.skipped,
                }));
                if let Some(e) = &summary.error {
                    output::line(&format!("error: {e}"));
                }
                if let Some(u) = &undo {
                    let by = if u.requested_id == id {
                        String::new()
                    } else {
                        format!(" with import {} (--cascade)", u.requested_id)
                    };
                    output::line(&format!(
                        "undone {}{by}: {} interactions, {} pledges and {} contacts removed, {} fields restored, {} kept",
                        u.undone_at, u.interactions, u.pledges, u.contacts, u.restored, u.kept
                    ));
                }
                if !top_reasons.is_empty() {
                    let rows: Vec<Vec<String>> = top_reasons
                        .iter()
                        .map(|t| vec![t.rows.to_string(), t.reason.clone()])
                        .collect();
                    output::line(&output::table(&["rows", "top reasons"], &rows));
                }
                let rows: Vec<Vec<String>> = exceptions
                    .iter()
                    .take(SHOWN_EXCEPTIONS)
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
                if exceptions.len() > SHOWN_EXCEPTIONS {
                    output::line(&format!(
                        "... and {} more; all of them: sluice report {id} -o FILE",
                        exceptions.len() - SHOWN_EXCEPTIONS
                    ));
                }
                if let Some(decisions) = &decisions {
                    output::line(&output::table(
                        &[
                            "row",
                            "decision",
                            "contact",
                            "score",
                            "household",
                            "candidates",
                            "reasons",
                        ],
                        &match_rows(decisions),
                    ));
                }
            }
        }
    }
    Ok(Exit::Ok)
}

/// Exception rows `imports show` lists; `sluice report` has them all.
const SHOWN_EXCEPTIONS: usize = 50;

/// The rows of the `--matches` table.
fn match_rows(decisions: &[store::MatchRecord]) -> Vec<Vec<String>> {
    decisions
        .iter()
        .map(|m| {
            vec![
                m.row_number.to_string(),
                m.decision.as_str().to_string(),
                m.contact_id.map_or_else(|| "-".into(), |c| format!("#{c}")),
                m.score.map_or_else(|| "-".into(), |s| format!("{s:.3}")),
                m.household.map_or_else(|| "-".into(), |h| format!("#{h}")),
                m.candidates
                    .iter()
                    .map(|c| format!("#{} {:.3}", c.contact, c.score))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.reasons.join("; "),
            ]
        })
        .collect()
}

fn summary_row(s: &ImportSummary) -> Vec<String> {
    vec![
        s.id.to_string(),
        s.status.as_str().to_string(),
        s.name.clone(),
        s.rows.to_string(),
        s.results.to_string(),
        s.rejected.to_string(),
        s.skipped.to_string(),
        s.flagged.to_string(),
        s.started_at.clone(),
    ]
}
