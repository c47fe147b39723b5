//! The command line: clap definitions (their doc comments are the help text), one function
//! per subcommand, and the mapping of every error to a message, a fix and an exit code.
//!
//! Only this module prints, knows exit codes, or shapes JSON output.

mod exit;
mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

pub use exit::{EXIT_CODES, Exit};

use crate::config::{self, PipelineSpec};
use crate::pipeline::{self, ImportOptions, ImportReport, Outcome, Pipeline};
use crate::plugin::{self, Cache, Host, LoadedPlugin};
use crate::store::{self, ImportSummary, Store};

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
    Import(ImportArgs),
    /// List the imports recorded in the store, newest first; `imports show ID` for one.
    Imports(ImportsArgs),
    /// Load a pipeline and its plugins and check every parameter, without reading data.
    Check {
        /// The pipeline TOML file.
        pipeline: PathBuf,
    },
    /// Work with plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
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

#[derive(Debug, clap::Args)]
struct ImportsArgs {
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

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Print what a plugin declares: name, version, kind, parameters.
    Inspect {
        /// A `.wasm` component, or the name of a built-in plugin.
        plugin: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
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
}

impl From<config::Error> for Failure {
    fn from(e: config::Error) -> Self {
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
            store::Error::NoSuchImport { .. } => {
                Failure::new(Exit::Usage, e).fix("`sluice imports` lists the imports")
            }
            _ => Failure::new(Exit::Failed, e),
        }
    }
}

impl From<pipeline::Error> for Failure {
    fn from(e: pipeline::Error) -> Self {
        match e {
            pipeline::Error::Store(e) => e.into(),
            e if e.is_bad_input() => Failure::new(Exit::Failed, e).fix("fix or re-export the file and import it again"),
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
        Command::Import(args) => import(&args),
        Command::Imports(args) => imports(&args),
        Command::Check { pipeline } => check(&pipeline),
        Command::Plugin(PluginCommand::Inspect { plugin, json }) => inspect(&plugin, json),
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

/// One file's result in `import --json`.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum FileResult {
    Imported(ImportReport),
    AlreadyImported { file: String, earlier_import: i64 },
    Failed { file: String, error: String },
}

fn import(args: &ImportArgs) -> Result<Exit, Failure> {
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

fn imports(args: &ImportsArgs) -> Result<Exit, Failure> {
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

fn check(path: &Path) -> Result<Exit, Failure> {
    let (_, pipeline) = load_pipeline(path)?;
    output::line(&format!("pipeline `{}` is ready:", pipeline.spec.name));
    let rows: Vec<Vec<String>> = pipeline
        .plugins()
        .map(|(section, p)| {
            vec![
                section.to_string(),
                p.info.name.clone(),
                p.info.version.clone(),
                p.origin.clone(),
            ]
        })
        .collect();
    output::line(&output::table(
        &["stage", "plugin", "version", "from"],
        &rows,
    ));
    output::line(&format!("store: {}", pipeline.spec.store_path.display()));
    Ok(Exit::Ok)
}

fn inspect(name: &str, json: bool) -> Result<Exit, Failure> {
    let mut host = host()?;
    let plugin: LoadedPlugin = host.load(name, Path::new("")).map_err(|e| {
        let fix = match &e {
            plugin::Error::UnknownBuiltin { .. } | plugin::Error::Read { .. } => {
                "give the path to a .wasm file or a built-in plugin name"
            }
            _ => "build the plugin with sluice-sdk for the wasm32-wasip2 target",
        };
        Failure::new(Exit::Usage, e).fix(fix)
    })?;
    let info = &plugin.info;
    if json {
        #[derive(Serialize)]
        struct Param<'a> {
            name: &'a str,
            r#type: &'a str,
            required: bool,
            default: Option<&'a str>,
            help: &'a str,
        }
        #[derive(Serialize)]
        struct Shown<'a> {
            name: &'a str,
            version: &'a str,
            kind: &'a str,
            abi_version: &'a str,
            summary: &'a str,
            params: Vec<Param<'a>>,
        }
        output::json(&Shown {
            name: &info.name,
            version: &info.version,
            kind: info.kind.as_str(),
            abi_version: &info.abi_version,
            summary: &info.summary,
            params: info
                .params
                .iter()
                .map(|p| Param {
                    name: &p.name,
                    r#type: p.ty.as_str(),
                    required: p.required,
                    default: p.default_value.as_deref(),
                    help: &p.help,
                })
                .collect(),
        });
        return Ok(Exit::Ok);
    }
    output::line(&format!("name:     {}", info.name));
    output::line(&format!("version:  {}", info.version));
    output::line(&format!("kind:     {}", info.kind));
    output::line(&format!("abi:      sluice:plugin@{}", info.abi_version));
    output::line(&format!("summary:  {}", info.summary));
    if info.params.is_empty() {
        output::line("params:   none");
    } else {
        let rows: Vec<Vec<String>> = info
            .params
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.ty.as_str().to_string(),
                    if p.required {
                        "required".to_string()
                    } else {
                        p.default_value.clone().unwrap_or_else(|| "-".into())
                    },
                    p.help.clone(),
                ]
            })
            .collect();
        output::line("params:");
        output::line(&output::table(&["name", "type", "default", "help"], &rows));
    }
    Ok(Exit::Ok)
}
