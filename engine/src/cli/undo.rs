//! `sluice undo ID`: takes an import back out of the store, or says which later imports are in
//! the way.

use std::path::PathBuf;

use super::imports::open_existing_store;
use super::{Exit, Failure, output, writer_lock};
use crate::store::{FieldRestore, UndoReport};

#[derive(Debug, clap::Args)]
pub(super) struct UndoArgs {
    /// The import to undo (ids are listed by `sluice imports`).
    id: i64,
    /// The store file.
    #[arg(long, default_value = "sluice.db")]
    db: PathBuf,
    /// Show what would be undone and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also undo the later imports that attached rows to contacts this import created
    /// (newest first), instead of refusing.
    #[arg(long)]
    cascade: bool,
    /// If another sluice process is writing to the store, wait for it instead of exiting
    /// with code 75.
    #[arg(long)]
    wait: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &UndoArgs) -> Result<Exit, Failure> {
    let mut store = open_existing_store(&args.db)?;
    let lock = writer_lock(&args.db, args.wait, args.json)?;
    store.fail_interrupted_imports(&lock)?;
    let report = store.undo(args.id, args.cascade, args.dry_run, &lock)?;
    if args.json {
        output::json(&report);
    } else {
        print_report(&report);
    }
    Ok(Exit::Ok)
}

fn print_report(report: &UndoReport) {
    let verb = if report.dry_run {
        "would undo"
    } else {
        "undid"
    };
    for i in &report.imports {
        let cascade = if i.import_id == report.requested {
            String::new()
        } else {
            format!(" (built on import {})", report.requested)
        };
        output::line(&format!(
            "{verb} import {} ({}){cascade}: {} interactions, {} pledges and {} contacts removed, {} fields restored",
            i.import_id,
            i.name,
            i.interactions,
            i.pledges,
            i.contacts,
            i.restored.len()
        ));
        for k in &i.kept {
            output::line(&format!("  kept {}", kept(k)));
        }
    }
    if report.dry_run {
        output::line("dry run: nothing was changed");
    }
}

fn kept(k: &FieldRestore) -> String {
    format!(
        "contact #{} {} = {:?}: changed since the import wrote {:?} (before it: {:?})",
        k.contact_id, k.field, k.value_now, k.import_value, k.earlier_value
    )
}
