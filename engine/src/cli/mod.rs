//! The command line: clap definitions (their doc comments are the help text), one function
//! per subcommand, and the mapping of every error to a message, a fix and an exit code.
//!
//! Only this module prints, knows exit codes, or shapes JSON output.

mod check;
mod doctor;
mod exit;
mod import;
mod imports;
mod map;
mod output;
mod plugin;
mod report;
mod scaffold;
mod template;
mod undo;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::{EXIT_CODES, Exit};

use crate::config::{self, PipelineSpec};
use crate::pipeline::{self, Pipeline};
use crate::plugin::{Cache, Host};
use crate::store::{self, WriterLock};

/// Import CRM spreadsheets into a contact store through WebAssembly plugin pipelines.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import files through a pipeline into the store.
    #[command(after_help = EXIT_CODES)]
    Import(import::ImportArgs),
    /// List the imports recorded in the store, newest first; `imports show ID` for one.
    Imports(imports::ImportsArgs),
    /// Load a pipeline and its plugins and check every parameter, without reading data.
    Check {
        /// The pipeline TOML file.
        pipeline: PathBuf,
    },
    /// Preview how a file's columns map onto the template: source column, samples, target,
    /// confidence, a warning mark where unsure, excluded and unmapped columns.
    #[command(after_help = map::MAP_EXIT_CODES)]
    Map(map::MapArgs),
    /// Write a template file (CSV) with every field and example rows.
    Template(template::TemplateArgs),
    /// Work with plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Write the exceptions report of an import: every rejected or flagged row with its row
    /// number, status, reasons and original columns, as CSV to fix and import again.
    Report(report::ReportArgs),
    /// Undo a committed import: remove what it created, restore what it filled in.
    #[command(after_help = EXIT_CODES)]
    Undo(undo::UndoArgs),
    /// Check a store: SQLite's integrity and foreign keys, the row accounting of every
    /// import (rows = results + rejected + skipped) and the change log. Exits 0 when healthy,
    /// 1 when it found problems; it never changes the store.
    Doctor(doctor::DoctorArgs),
    /// Import every file that lands in the pipeline's `[watch]` folder, exactly once;
    /// `--once` handles what is there and exits (for cron).
    #[command(after_help = EXIT_CODES)]
    Watch(watch::WatchArgs),
}

/// An error on its way to the user: the message, how to fix it, the exit code.
struct Failure {
    exit: Exit,
    message: String,
    fix: Option<String>,
}

impl Failure {
    fn new(exit: Exit, message: impl std::fmt::Display) -> Self {
        Self {
            exit,
            message: message.to_string(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Like [`Failure::new`], with the error's causes appended (`…: disk I/O error`): the
    /// store's errors keep `SQLite`'s words as their source, not in their own message.
    fn with_causes(exit: Exit, e: &dyn std::error::Error) -> Self {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        Self::new(exit, message)
    }
}

/// What to do about [`crate::plugin::Error::Environment`]: the machine, not the plugin, failed.
const ENVIRONMENT_FIX: &str = "the plugin is not at fault: free memory or disk space, or raise this process's limits (`ulimit -v`, `ulimit -f`), then run the same command again";

impl From<config::Error> for Failure {
    fn from(e: config::Error) -> Self {
        if let config::Error::Plugin {
            source: crate::plugin::Error::Environment { .. },
            ..
        } = &e
        {
            return Failure::new(Exit::Failed, e).fix(ENVIRONMENT_FIX);
        }
        let fix = match &e {
            config::Error::Read { .. } => "check the path of the pipeline file",
            config::Error::Invalid { .. } => {
                "edit the pipeline file at that line; keys and parameters are listed in the README"
            }
            config::Error::Plugin { .. } => "check the plugin name or path in the pipeline file",
        };
        Failure::new(Exit::Usage, e).fix(fix)
    }
}

impl From<store::Error> for Failure {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Busy { .. } => Failure::new(Exit::Locked, e),
            store::Error::Locked { .. } => Failure::new(Exit::Locked, e)
                .fix("run again when it has finished, or pass --wait to queue behind it"),
            store::Error::UndoBlocked { ref blockers, .. } => {
                let ids: Vec<String> = blockers
                    .iter()
                    .rev()
                    .map(|b| b.import_id.to_string())
                    .collect();
                let fix = format!(
                    "undo import{} {} first, or pass --cascade to undo {} with it",
                    if ids.len() == 1 { "" } else { "s" },
                    ids.join(", "),
                    if ids.len() == 1 { "it" } else { "them" }
                );
                Failure::new(Exit::Failed, e).fix(fix)
            }
            store::Error::Lock { .. } => Failure::new(Exit::Failed, e)
                .fix("check that the store's folder exists and that you may write to it"),
            store::Error::NotUndoable { .. } => Failure::new(Exit::Failed, e)
                .fix("`sluice imports` lists the imports and their status"),
            store::Error::NoSuchImport { .. } => {
                Failure::new(Exit::Usage, e).fix("`sluice imports` lists the imports")
            }
            e if e.is_read_only() => Failure::with_causes(Exit::Failed, &e).fix(
                "this process may not write the store: make the store file, the -wal and -shm files beside it and its folder writable for this user, then run the same command again",
            ),
            store::Error::Write { .. } => Failure::with_causes(Exit::Failed, &e).fix(
                "nothing of this import was kept; check the free disk space and that the store may be written, then run the same command again",
            ),
            _ => Failure::with_causes(Exit::Failed, &e),
        }
    }
}

impl From<pipeline::Error> for Failure {
    fn from(e: pipeline::Error) -> Self {
        match e {
            pipeline::Error::Store(e) => e.into(),
            e if e.is_bad_input() => Failure::new(Exit::Failed, e).fix("fix or re-export the file and import it again"),
            e @ pipeline::Error::Interrupted { .. } => Failure::new(Exit::Failed, e)
                .fix("run the same command again to import the file"),
            e @ pipeline::Error::Plugin(crate::plugin::Error::Environment { .. }) => {
                Failure::new(Exit::Failed, e).fix(ENVIRONMENT_FIX)
            }
            // A source that faults is, in practice, a parser meeting a damaged file.
            e if matches!(&e, pipeline::Error::Plugin(crate::plugin::Error::Fault { stage, .. })
                if stage.starts_with("[source")) =>
            {
                Failure::new(Exit::Failed, e).fix("nothing was imported; the file is probably damaged: open it in a spreadsheet program, save or export it again (as .xlsx or CSV) and import that")
            }
            e @ pipeline::Error::Plugin(_) => {
                Failure::new(Exit::Failed, e).fix("nothing was imported; fix the plugin or its parameters, or report the plugin fault")
            }
            e => Failure::new(Exit::Failed, e),
        }
    }
}

/// Runs `sluice` with the process's arguments.
#[must_use]
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with success, usage errors to stderr.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Usage.code()
            } else {
                Exit::Ok.code()
            });
        }
    };
    let exit = match run(cli) {
        Ok(exit) => exit,
        Err(f) => {
            output::error(&f.message, f.fix.as_deref());
            f.exit
        }
    };
    ExitCode::from(exit.code())
}

fn run(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Import(args) => import::run(&args),
        Command::Imports(args) => imports::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Undo(args) => undo::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Check { pipeline } => check::run(&pipeline),
        Command::Map(args) => map::run(&args),
        Command::Template(args) => template::run(&args),
        Command::Plugin(plugin::PluginCommand::New {
            name,
            kind,
            dir,
            sdk,
        }) => scaffold::new_plugin(&name, kind, dir.as_deref(), sdk.as_deref()),
        Command::Plugin(plugin::PluginCommand::Inspect { plugin, json }) => {
            plugin::inspect(&plugin, json)
        }
    }
}

fn host() -> Result<Host, Failure> {
    Host::new(Cache::default_dir()).map_err(|e| Failure::new(Exit::Failed, e))
}

fn load_pipeline(path: &Path) -> Result<(Host, Pipeline), Failure> {
    let spec = PipelineSpec::load(path)?;
    let mut host = host()?;
    let pipeline = Pipeline::load(&mut host, spec)?;
    Ok((host, pipeline))
}

/// Takes the writer lock of the store at `db`: at once, or with `wait` as soon as the process
/// holding it has finished (saying so on stderr unless `quiet`).
fn writer_lock(db: &Path, wait: bool, quiet: bool) -> Result<WriterLock, Failure> {
    match WriterLock::try_acquire(db) {
        Ok(lock) => Ok(lock),
        Err(store::Error::Locked { holder, .. }) if wait => {
            if !quiet {
                let who = holder.map_or_else(
                    || "another sluice process".to_string(),
                    |h| format!("another sluice process ({h})"),
                );
                output::note(&format!(
                    "waiting for {who} to finish with the store {}",
                    db.display()
                ));
            }
            Ok(WriterLock::acquire_waiting(db)?)
        }
        Err(e) => Err(e.into()),
    }
}
