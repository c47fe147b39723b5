//! `sluice doctor`: runs `Store::doctor` on a store and reports what it found.

use std::path::PathBuf;

use super::imports::open_existing_store;
use super::{Exit, Failure, output};

#[derive(Debug, clap::Args)]
pub(super) struct DoctorArgs {
    /// The store file.
    #[arg(long, default_value = "sluice.db")]
    db: PathBuf,
    /// Print JSON: `{imports, changes, problems: [{check, detail}]}`.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &DoctorArgs) -> Result<Exit, Failure> {
    let store = open_existing_store(&args.db)?;
    let health = store.doctor()?;
    if args.json {
        output::json(&health);
    } else if health.problems.is_empty() {
        output::line(&format!(
            "{}: healthy (integrity ok, {} imports add up, {} changes consistent)",
            args.db.display(),
            health.imports,
            health.changes
        ));
    } else {
        let rows: Vec<Vec<String>> = health
            .problems
            .iter()
            .map(|p| vec![p.check.to_string(), p.detail.clone()])
            .collect();
        output::line(&output::table(&["check", "problem"], &rows));
    }
    if health.problems.is_empty() {
        Ok(Exit::Ok)
    } else {
        Err(Failure::new(
            Exit::Failed,
            format!(
                "{} has {} problem{}",
                args.db.display(),
                health.problems.len(),
                if health.problems.len() == 1 { "" } else { "s" }
            ),
        )
        .fix("restore the store from a backup, or report the problems if sluice alone wrote it"))
    }
}
