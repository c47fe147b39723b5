//! The pipeline runner: one file through source → transforms → validators → matcher →
//! store, in batches, with a ledger that accounts for every row.
//!
//! **Invariant:** every row the source reads is counted exactly once, as imported (results)
//! or rejected: `rows = results + rejected + skipped`. Flagged rows are imported and counted
//! in results too. The runner checks the ledger before it commits.
//!
//! **Invariant:** all the data of one import is written in one transaction; an error
//! anywhere rolls it back and marks the import failed. A dry run (`ImportOptions::dry_run`)
//! and an import refused by `on_rejected = "abort"` run every step the same way and roll the
//! transaction back at the end; a dry run therefore counts exactly what the real run would.

mod estimate;
mod matching;
mod plan;
mod preview;
mod progress;
mod recover;
mod report;
mod template;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use sluice_sdk::{
    Batch, CONTACT_FIELDS, Candidates, Context, PREPARE_SAMPLES, Params, RowVerdict, SourceOutput,
    TransformPlan, ValidatorPlan, Verdict,
};

use crate::config::{self, OnAmbiguous, OnRejected, PipelineSpec, StageSpec};
use crate::plugin::{
    self, Host, LoadedPlugin, MatcherStage, SourceStage, TransformStage, ValidatorStage,
};
use crate::store::{
    self, Counts, ExceptionRecord, ExceptionStatus, FieldPolicy, ImportSummary, ImportTx,
    MatchKind, MatchRecord, ModelKey, NewImport, NewInteraction, NewPledge, Store,
};
pub use matching::{AMBIGUITY_MARGIN, CANDIDATES_PER_KEY, MAX_CANDIDATES};
use matching::{ContactIndex, Decision, Explanation};
pub use preview::{Preview, StagePreview, preview};
pub use progress::{NoProgress, Phase, Progress};
pub use recover::BISECT_MAX_FAILURES;
use recover::Fresh;
pub use report::{
    REASON_SEPARATOR, REPORT_COLUMNS, ReasonCount, ReasonTally, TOP_REASONS, WriteError,
    reason_kind, write_csv,
};
pub use template::INTERACTION_TYPES;
use template::{Layout, StorableRow};

/// Bytes handed to the source per call.
const CHUNK: usize = 64 * 1024;

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's bytes changed between hashing it and reading it (truncated, appended to or
    /// replaced while the import ran): what was read is not the file the import records.
    #[error(
        "{} changed while it was being imported (truncated, appended to or replaced); nothing of it was imported",
        path.display()
    )]
    ChangedWhileRead {
        /// The file.
        path: PathBuf,
    },
    /// `plugin = "auto"` has no source for the file's extension.
    #[error(
        "{path}: cannot tell the file's format from its extension{}; the automatic source reads {known}; rename the file or name a source plugin in the pipeline",
        extension.as_ref().map(|e| format!(" `.{e}`")).unwrap_or_default()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its extension, if it has one.
        extension: Option<String>,
        /// The extensions that are read, as a list for people.
        known: String,
    },
    /// The source produced no header.
    #[error("{path} has no header row: the first non-blank line must name the columns")]
    NoHeader {
        /// The file.
        path: PathBuf,
    },
    /// A plugin failed (fault, refusal or invalid result).
    #[error(transparent)]
    Plugin(#[from] plugin::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The caller asked the import to stop (Ctrl-C, SIGTERM): its transaction was rolled back.
    #[error("the import of {} was interrupted; nothing of it was kept", path.display())]
    Interrupted {
        /// The file.
        path: PathBuf,
    },
    /// The row ledger does not add up: a bug, reported instead of committing.
    #[error(
        "import of {path} stopped before commit: {rows} rows read but {results} imported + {rejected} rejected; please report this"
    )]
    Ledger {
        /// The file.
        path: PathBuf,
        /// Rows read.
        rows: u64,
        /// Rows imported.
        results: u64,
        /// Rows rejected.
        rejected: u64,
    },
}

impl Error {
    /// Whether the input file (rather than the pipeline or a plugin) is at fault.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Read { .. }
                | Error::ChangedWhileRead { .. }
                | Error::NoHeader { .. }
                | Error::UnknownFormat { .. }
                | Error::Plugin(plugin::Error::Refused {
                    bad_input: true,
                    ..
                })
        )
    }
}

/// One stage's plugin and checked parameters.
struct Stage {
    section: String,
    plugin: LoadedPlugin,
    params: Params,
}

/// A pipeline whose plugins are loaded and whose parameters are checked: nothing about it
/// can fail before data moves.
pub struct Pipeline {
    /// The configuration.
    pub spec: PipelineSpec,
    /// One source, or (`plugin = "auto"`) one per kind of file with its extensions.
    sources: Vec<(&'static [&'static str], Stage)>,
    transforms: Vec<Stage>,
    validators: Vec<Stage>,
    matcher: Stage,
}

impl Pipeline {
    /// Loads every plugin of `spec`, checks its kind and its parameters.
    pub fn load(host: &mut Host, spec: PipelineSpec) -> Result<Self, config::Error> {
        let load = |host: &mut Host, stage: &StageSpec, kind| -> Result<Stage, config::Error> {
            let at = spec.location(stage);
            let plugin = host
                .load(&stage.plugin, spec.base_dir())
                .map_err(|source| config::Error::Plugin {
                    at: at.clone(),
                    source,
                })?;
            if plugin.info.kind != kind {
                let source = plugin::Error::KindMismatch {
                    plugin: plugin.origin.clone(),
                    found: plugin.info.kind,
                    expected: kind,
                };
                return Err(config::Error::Plugin { at, source });
            }
            let params = stage.check_params(&spec.path, &plugin.info)?;
            Ok(Stage {
                section: stage.section.clone(),
                plugin,
                params,
            })
        };
        use sluice_sdk::Kind;
        let sources = if spec.auto_sources.is_empty() {
            vec![(&[][..], load(host, &spec.source, Kind::Source)?)]
        } else {
            spec.auto_sources
                .iter()
                .map(|a| Ok((a.extensions, load(host, &a.stage, Kind::Source)?)))
                .collect::<Result<_, config::Error>>()?
        };
        let transforms = spec
            .transforms
            .iter()
            .map(|s| load(host, s, Kind::Transform))
            .collect::<Result<_, _>>()?;
        let validators = spec
            .validators
            .iter()
            .map(|s| load(host, s, Kind::Validator))
            .collect::<Result<_, _>>()?;
        let matcher = load(host, &spec.matcher.stage, Kind::Matcher)?;
        Ok(Self {
            spec,
            sources,
            transforms,
            validators,
            matcher,
        })
    }

    /// Every stage's section name and plugin, in order.
    pub fn plugins(&self) -> impl Iterator<Item = (&str, &LoadedPlugin)> {
        self.sources
            .iter()
            .map(|(_, s)| s)
            .chain(&self.transforms)
            .chain(&self.validators)
            .chain(std::iter::once(&self.matcher))
            .map(|s| (s.section.as_str(), &s.plugin))
    }
}

impl Pipeline {
    /// The source stage that reads `file`: the pipeline's one source, or with
    /// `plugin = "auto"` the one for the file's extension (compared case-insensitively).
    fn source_for(&self, file: &Path) -> Result<&Stage, Error> {
        if let [(_, only)] = self.sources.as_slice() {
            return Ok(only);
        }
        let extension = file
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let found = extension.as_deref().and_then(|ext| {
            self.sources
                .iter()
                .find(|(exts, _)| exts.contains(&ext))
                .map(|(_, s)| s)
        });
        found.ok_or_else(|| Error::UnknownFormat {
            path: file.to_path_buf(),
            extension,
            known: self
                .sources
                .iter()
                .flat_map(|(exts, _)| exts.iter().map(|e| format!(".{e}")))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// Per-import settings from the command line.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The import's name (default: the file name).
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Time zone override.
    pub timezone: Option<String>,
    /// Member code override.
    pub member_code: Option<String>,
    /// Import even if the same file was imported before.
    pub force: bool,
    /// Run everything (matching and validation included) and report, but leave the store
    /// unchanged: the import's transaction is rolled back, its record included.
    pub dry_run: bool,
    /// Keep the exceptions in [`ImportReport::exceptions`] (for a report file).
    pub keep_exceptions: bool,
    /// The file as `sluice watch` saw it: recorded in the import's own transaction, so the
    /// file counts as handled exactly when its data is committed.
    pub watched: Option<store::WatchedFile>,
}

/// What one import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// The import's id in the store.
    pub import_id: i64,
    /// The input file.
    pub file: String,
    /// The row ledger.
    pub counts: Counts,
    /// Contacts the import created.
    pub contacts_created: u64,
    /// Rows attached to contacts that existed before the row.
    pub contacts_matched: u64,
    /// Pledges created.
    pub pledges: u64,
    /// Candidate lookups that hit the per-key cap ([`CANDIDATES_PER_KEY`]): a blocking key
    /// so common (a frequent name) that it found no candidates.
    pub capped_lookups: u64,
    /// Notes for the user from the plugins (header, encoding ...).
    pub warnings: Vec<String>,
    /// Nothing was written: a dry run (`import_id` is the id the import would have had).
    pub dry_run: bool,
    /// Why nothing was imported when `[pipeline] on_rejected = "abort"` refused the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// The most frequent reasons of the exceptions, most frequent first.
    pub top_reasons: Vec<ReasonCount>,
    /// The file's header, as the report needs it.
    #[serde(skip)]
    pub columns: Vec<String>,
    /// The exceptions report, when [`ImportOptions::keep_exceptions`] asked for it.
    #[serde(skip)]
    pub exceptions: Vec<ExceptionRecord>,
    #[serde(skip)]
    tally: ReasonTally,
}

/// How an import ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The file was imported (some rows may have been rejected), or would have been in a
    /// dry run.
    Imported(ImportReport),
    /// `on_rejected = "abort"` refused the file: too many rows were rejected, nothing was
    /// imported; the import is recorded as failed with its exceptions report.
    Aborted(ImportReport),
    /// The same file (by SHA-256) was imported before; nothing was done.
    AlreadyImported {
        /// The file.
        file: PathBuf,
        /// The earlier import.
        earlier: Box<ImportSummary>,
    },
}

/// What the plugins are told about the import of `file`: the pipeline's defaults with the
/// command line's overrides.
fn import_context(spec: &PipelineSpec, file: &Path, opts: &ImportOptions) -> Context {
    Context {
        pipeline: spec.name.clone(),
        file_name: file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        timezone: opts
            .timezone
            .clone()
            .unwrap_or_else(|| spec.timezone.clone()),
        member_code: opts
            .member_code
            .clone()
            .or_else(|| spec.member_code.clone()),
    }
}

/// SHA-256 of a file, streamed.
fn sha256_file(path: &Path) -> Result<String, Error> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(plugin::hex(&hasher.finalize()))
}

/// Imports one file into `store`.
pub fn run_import(
    host: &Host,
    pipeline: &Pipeline,
    store: &mut Store,
    file: &Path,
    opts: &ImportOptions,
) -> Result<Outcome, Error> {
    run_import_with(host, pipeline, store, file, opts, &mut NoProgress)
}

/// Imports one file into `store`, telling `progress` how far it has got.
pub fn run_import_with(
    host: &Host,
    pipeline: &Pipeline,
    store: &mut Store,
    file: &Path,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    progress.phase(file, Phase::Hashing);
    let sha = sha256_file(file)?;
    if !opts.force
        && let Some(earlier) = store.committed_import_with_sha(&sha)?
    {
        return Ok(Outcome::AlreadyImported {
            file: file.to_path_buf(),
            earlier: Box::new(earlier),
        });
    }
    let spec = &pipeline.spec;
    let ctx = import_context(spec, file, opts);
    let file_name = ctx.file_name.clone();

    let new_import = |columns: Vec<String>| NewImport {
        name: opts.name.clone().unwrap_or_else(|| file_name.clone()),
        description: opts.description.clone(),
        pipeline: spec.name.clone(),
        pipeline_hash: spec.hash.clone(),
        timezone: ctx.timezone.clone(),
        member_code: ctx.member_code.clone(),
        file_name: file_name.clone(),
        file_sha256: sha.clone(),
        columns,
    };

    progress.phase(file, Phase::Preparing);
    let prepared = (|| {
        let mut reader = Reader::open(host, pipeline, file, &ctx)?;
        reader.expected_sha256 = Some(sha.clone());
        let (header, first) = reader.until_samples(PREPARE_SAMPLES)?;
        let samples = samples_of(&header, &first);
        let mut chain = Chain::prepare(
            host,
            pipeline,
            (&header, samples),
            &ctx,
            &mut reader.warnings,
        )?;
        chain.index_contacts(store, spec.batch_size)?;
        chain.load_model(store, &pipeline.matcher)?;
        Ok::<_, Error>((reader, header, first, chain))
    })();
    let (mut reader, header, first, mut chain) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            // A file that fails before its first row (unreadable, a source or plugin that
            // cannot start) is listed too, so that `sluice imports` shows every attempt. A
            // failure to record it must not hide the original error.
            if !opts.dry_run {
                let _ = store
                    .start_import(&new_import(Vec::new()))
                    .and_then(|id| store.fail_import(id, &e.to_string()));
            }
            return Err(e);
        }
    };
    let new = new_import(header.clone());
    // A dry run records the import inside its own transaction, which it rolls back.
    let import_id = if opts.dry_run {
        None
    } else {
        Some(store.start_import(&new)?)
    };
    let mut report = ImportReport {
        import_id: import_id.unwrap_or_default(),
        file: file.display().to_string(),
        counts: Counts::default(),
        contacts_created: 0,
        contacts_matched: 0,
        pledges: 0,
        capped_lookups: 0,
        warnings: Vec::new(),
        dry_run: opts.dry_run,
        aborted: None,
        top_reasons: Vec::new(),
        columns: header,
        exceptions: Vec::new(),
        tally: ReasonTally::default(),
    };
    let begin = match import_id {
        Some(id) => Begin::Import(id),
        None => Begin::DryRun(&new),
    };
    let fresh = Fresh {
        host,
        pipeline,
        ctx: &ctx,
    };
    let loaded = load_rows(
        store,
        begin,
        &mut reader,
        first,
        (&mut chain, &fresh),
        spec,
        opts,
        &mut report,
        progress,
    );
    report.warnings = std::mem::take(&mut reader.warnings);
    let aborted = match loaded {
        Ok(aborted) => aborted,
        Err(e) => {
            // The data is rolled back already; record why the import failed. A failure to
            // record it must not hide the original error.
            if let Some(id) = import_id {
                let _ = store.fail_import(id, &e.to_string());
            }
            return Err(e);
        }
    };
    report.top_reasons = report.tally.top(TOP_REASONS);
    let Some(rejected) = aborted else {
        return Ok(Outcome::Imported(report));
    };
    if let Some(id) = import_id {
        let message = report.aborted.clone().unwrap_or_default();
        if let Err(e) = store.abort_import(id, &message, &report.counts, &rejected) {
            // Without its report the import must still not stay `running`.
            let _ = store.fail_import(id, &message);
            return Err(e.into());
        }
    }
    if opts.keep_exceptions {
        report.exceptions = rejected;
    }
    Ok(Outcome::Aborted(report))
}

/// How [`load_rows`] opens the import's transaction.
#[derive(Clone, Copy)]
enum Begin<'a> {
    /// The import, already recorded as running.
    Import(i64),
    /// A dry run: record this import inside the transaction that is rolled back.
    DryRun(&'a NewImport),
}

/// Records an exception and counts its reasons for the summary.
fn add_exception<V: AsRef<str>>(
    tx: &mut ImportTx<'_>,
    report: &mut ImportReport,
    row: u32,
    status: ExceptionStatus,
    reasons: &[String],
    values: &[V],
) -> Result<(), Error> {
    report.tally.add(reasons);
    tx.add_exception(row, status, reasons, values)?;
    Ok(())
}

/// Whether `on_rejected` refuses a file with these counts; the message says why.
fn abort_reason(on_rejected: OnRejected, counts: &Counts) -> Option<String> {
    let OnRejected::Abort { max_rejected } = on_rejected else {
        return None;
    };
    if counts.rejected == 0 || counts.rows == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // A share for a threshold: 2^52 rows is plenty.
    let share = counts.rejected as f64 / counts.rows as f64;
    (share > max_rejected).then(|| {
        format!(
            "{} of {} rows rejected ({:.1}%), more than max_rejected allows ({:.1}%): nothing \
             was imported (on_rejected = \"abort\"); fix the rows listed in the exceptions \
             report and import the file again",
            counts.rejected,
            counts.rows,
            share * 100.0,
            max_rejected * 100.0
        )
    })
}

/// Runs every row through the chain inside the import's transaction, then commits it, or
/// rolls it back for a dry run or an abort. Returns the rejected exceptions of an aborted
/// import (the store has not recorded the abort yet).
#[allow(clippy::too_many_arguments)] // The parts of one import, each used once.
fn load_rows(
    store: &mut Store,
    begin: Begin<'_>,
    reader: &mut Reader,
    first: Vec<SourceOutput>,
    (chain, fresh): (&mut Chain, &Fresh<'_>),
    spec: &PipelineSpec,
    opts: &ImportOptions,
    report: &mut ImportReport,
    progress: &mut dyn Progress,
) -> Result<Option<Vec<ExceptionRecord>>, Error> {
    let batch_size = spec.batch_size;
    let mut tx = match begin {
        Begin::Import(id) => store.begin(id)?,
        Begin::DryRun(new) => store.begin_dry_run(new)?,
    };
    report.import_id = tx.import_id();
    let path = PathBuf::from(&report.file);
    progress.phase(
        &path,
        Phase::Loading {
            bytes: reader.file.metadata().map_or(0, |m| m.len()),
        },
    );
    let mut pending = Batch::new(chain.header.len());
    // Batches held back until the matcher's model is estimated from them.
    let mut held: Vec<Batch> = Vec::new();
    let mut feed = |out: SourceOutput,
                    pending: &mut Batch,
                    tx: &mut ImportTx<'_>,
                    report: &mut ImportReport|
     -> Result<(), Error> {
        for reject in out.rejects {
            report.counts.rows += 1;
            report.counts.rejected += 1;
            add_exception(
                tx,
                report,
                reject.row,
                ExceptionStatus::Rejected,
                &[reject.reason],
                &reject.fields,
            )?;
        }
        for v in out.verdicts {
            let number = out.rows.row(v.index as usize).number();
            chain.source_verdicts.push((number, v.verdict));
        }
        for row in out.rows.iter() {
            pending.push_row(row.number(), row.cells());
            if pending.len() >= batch_size {
                let full = std::mem::replace(
                    pending,
                    Batch::with_capacity(chain.header.len(), batch_size, 0),
                );
                chain.submit(full, &mut held, tx, report, fresh)?;
            }
        }
        Ok(())
    };
    for mut out in first {
        reader.warnings.append(&mut out.warnings);
        feed(out, &mut pending, &mut tx, report)?;
    }
    while let Some(mut out) = reader.next()? {
        reader.warnings.append(&mut out.warnings);
        feed(out, &mut pending, &mut tx, report)?;
        progress.rows(reader.read, report.counts.rows);
        if progress.stop_requested() {
            // Returning drops the transaction: everything of this import is rolled back.
            return Err(Error::Interrupted { path });
        }
    }
    if !pending.is_empty() {
        held.push(pending);
    }
    chain.release(&held, &mut tx, report, fresh)?;
    let c = report.counts;
    if c.rows != c.results + c.rejected + c.skipped {
        return Err(Error::Ledger {
            path: PathBuf::from(&report.file),
            rows: c.rows,
            results: c.results,
            rejected: c.rejected,
        });
    }
    progress.phase(&path, Phase::Committing);
    if let Some(message) = abort_reason(spec.on_rejected, &c) {
        // Only the rejected rows explain an abort; nothing was imported to be flagged.
        let rejected: Vec<ExceptionRecord> = tx
            .exceptions()?
            .into_iter()
            .filter(|x| x.status == ExceptionStatus::Rejected)
            .collect();
        tx.roll_back(&c)?;
        report.tally = ReasonTally::default();
        for x in &rejected {
            report.tally.add(&x.reasons);
        }
        report.counts = Counts {
            rows: c.rows,
            results: 0,
            rejected: c.rejected,
            flagged: 0,
            skipped: c.rows - c.rejected,
        };
        report.contacts_created = 0;
        report.contacts_matched = 0;
        report.pledges = 0;
        report.aborted = Some(message);
        return Ok(Some(rejected));
    }
    if opts.keep_exceptions {
        report.exceptions = tx.exceptions()?;
    }
    if opts.dry_run {
        tx.roll_back(&c)?;
    } else {
        if let Some(watched) = &opts.watched {
            tx.record_watched(watched)?;
        }
        tx.commit(&c)?;
    }
    Ok(None)
}

/// The first [`PREPARE_SAMPLES`] rows of `outputs`, as wide as the header.
fn samples_of(header: &[String], outputs: &[SourceOutput]) -> Batch {
    let mut samples = Batch::new(header.len());
    for row in outputs.iter().flat_map(|out| out.rows.iter()) {
        if samples.len() >= PREPARE_SAMPLES {
            break;
        }
        samples.push_row(row.number(), row.cells());
    }
    samples
}

/// Streams the file through the source plugin.
struct Reader {
    source: SourceStage,
    file: std::fs::File,
    path: PathBuf,
    buf: Vec<u8>,
    /// Bytes of the file read so far.
    read: u64,
    done: bool,
    warnings: Vec<String>,
    /// SHA-256 of the bytes read so far.
    hasher: Sha256,
    /// The file's SHA-256 as hashed before the import began; the bytes read must match it,
    /// or the file changed (was truncated, appended to, replaced) while being imported.
    expected_sha256: Option<String>,
}

impl Reader {
    fn open(host: &Host, pipeline: &Pipeline, path: &Path, ctx: &Context) -> Result<Self, Error> {
        let file = std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let stage = pipeline.source_for(path)?;
        let mut source = host.source(&stage.plugin, &stage.section, pipeline.spec.limits)?;
        let warnings = source.open(&stage.params, ctx)?;
        Ok(Self {
            source,
            file,
            path: path.to_path_buf(),
            buf: vec![0; CHUNK],
            read: 0,
            done: false,
            warnings,
            hasher: Sha256::new(),
            expected_sha256: None,
        })
    }

    /// The next output of the source, `None` after the last.
    fn next(&mut self) -> Result<Option<SourceOutput>, Error> {
        if self.done {
            return Ok(None);
        }
        let n = loop {
            match self.file.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Read {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        };
        self.read += n as u64;
        if n == 0 {
            self.done = true;
            if let Some(expected) = &self.expected_sha256
                && plugin::hex(&self.hasher.clone().finalize()) != *expected
            {
                return Err(Error::ChangedWhileRead {
                    path: self.path.clone(),
                });
            }
            return Ok(Some(self.source.finish()?));
        }
        self.hasher.update(self.buf.get(..n).unwrap_or_default());
        Ok(Some(
            self.source.push(self.buf.get(..n).unwrap_or_default())?,
        ))
    }

    /// Reads until the source reports the header and then `rows` rows (or the file ends);
    /// returns the header and the outputs so far.
    fn until_samples(&mut self, rows: usize) -> Result<(Vec<String>, Vec<SourceOutput>), Error> {
        let mut outputs: Vec<SourceOutput> = Vec::new();
        let mut header = None;
        let mut read = 0;
        while header.is_none() || read < rows {
            let Some(out) = self.next()? else { break };
            header = header.or_else(|| out.columns.clone());
            read += out.rows.len();
            outputs.push(out);
        }
        match header {
            Some(header) => Ok((header, outputs)),
            None => Err(Error::NoHeader {
                path: self.path.clone(),
            }),
        }
    }
}

/// The prepared stages after the source, for one file.
struct Chain {
    header: Vec<String>,
    transforms: Vec<(TransformStage, TransformPlan)>,
    /// The samples each transform planned from, for a fresh instance after a failure.
    transform_samples: Vec<Batch>,
    validators: Vec<(ValidatorStage, ValidatorPlan)>,
    matcher: MatcherStage,
    layout: Layout,
    index: ContactIndex,
    auto_accept: f64,
    review: f64,
    on_ambiguous: OnAmbiguous,
    append: [FieldPolicy; 9],
    /// Verdicts the source gave on rows not yet processed, by row number.
    source_verdicts: Vec<(u32, Verdict)>,
    /// The matcher's model to estimate from the first rows, and the store's size then:
    /// set when the store holds none for this matcher or has grown since.
    estimating: Option<(ModelKey, u64)>,
    /// The matcher's model in use (stored or estimated by this import), for a fresh
    /// instance after a failure.
    model: Option<String>,
}

/// Row problems gathered across stages, by index in the batch.
struct Verdicts {
    rejects: Vec<Vec<String>>,
    flags: Vec<Vec<String>>,
}

impl Verdicts {
    fn new(n: usize) -> Self {
        Self {
            rejects: vec![Vec::new(); n],
            flags: vec![Vec::new(); n],
        }
    }

    fn add(&mut self, verdicts: Vec<RowVerdict>) {
        for v in verdicts {
            let i = v.index as usize;
            match v.verdict {
                Verdict::Ok => {}
                Verdict::Flag(r) => self
                    .flags
                    .get_mut(i)
                    .into_iter()
                    .for_each(|f| f.extend(r.iter().cloned())),
                Verdict::Reject(r) => self
                    .rejects
                    .get_mut(i)
                    .into_iter()
                    .for_each(|f| f.extend(r.iter().cloned())),
            }
        }
    }

    fn rejected(&self, i: usize) -> bool {
        self.rejects.get(i).is_some_and(|r| !r.is_empty())
    }
}

impl Chain {
    fn prepare(
        host: &Host,
        pipeline: &Pipeline,
        (header, samples): (&[String], Batch),
        ctx: &Context,
        warnings: &mut Vec<String>,
    ) -> Result<Self, Error> {
        let limits = pipeline.spec.limits;
        let planned = plan::plan_transforms(host, pipeline, header, samples, ctx)?;
        let transforms = planned.stages;
        for (_, plan) in &transforms {
            warnings.extend(plan.warnings.iter().cloned());
        }
        let columns: Vec<String> = match transforms.last() {
            Some((_, plan)) => plan.columns.iter().map(|c| c.name.clone()).collect(),
            None => header.to_vec(),
        };
        let mut validators = Vec::new();
        for stage in &pipeline.validators {
            let mut v = host.validator(&stage.plugin, &stage.section, limits)?;
            let plan = v.prepare(&columns, &stage.params, ctx)?;
            warnings.extend(plan.warnings.iter().cloned());
            validators.push((v, plan));
        }
        let m = &pipeline.matcher;
        let mut matcher = host.matcher(&m.plugin, &m.section, limits)?;
        warnings.extend(matcher.prepare(&columns, &m.params, ctx)?);
        Ok(Self {
            header: header.to_vec(),
            transforms,
            transform_samples: planned.samples,
            validators,
            matcher,
            layout: Layout::new(&columns),
            index: ContactIndex::default(),
            auto_accept: pipeline.spec.matcher.auto_accept,
            review: pipeline.spec.matcher.review,
            on_ambiguous: pipeline.spec.matcher.on_ambiguous,
            append: pipeline.spec.matcher.append,
            source_verdicts: Vec::new(),
            estimating: None,
            model: None,
        })
    }

    /// Loads the stored contacts' keys into the in-memory key index.
    fn index_contacts(&mut self, store: &Store, batch_size: usize) -> Result<(), Error> {
        // A page at a time: the index keeps the keys, the fields stay in the store.
        self.index
            .reserve(usize::try_from(store.contact_count()?).unwrap_or(0));
        let mut after = i64::MIN;
        loop {
            let chunk = store.contacts_after(after, batch_size.max(1))?;
            let Some(last) = chunk.last() else { break };
            after = last.id;
            let mut records = Batch::with_capacity(CONTACT_FIELDS.len(), chunk.len(), 0);
            for c in &chunk {
                records.push_row(0, &c.fields);
            }
            let keys = self.matcher.keys(&records)?;
            for (c, keys) in chunk.iter().zip(keys) {
                self.index.insert_keys(c.id, &keys);
            }
        }
        // A contact's further emails and phones find it too: each is keyed as the contact
        // with that value in place of the primary one.
        let values = store.contact_values()?;
        for chunk in values.chunks(batch_size.max(1)) {
            let mut records = Batch::with_capacity(CONTACT_FIELDS.len(), chunk.len(), 0);
            let mut variants = Vec::with_capacity(chunk.len());
            for (id, field, value) in chunk {
                let stored = store.contacts_after(id.saturating_sub(1), 1)?;
                let Some(mut fields) = stored.into_iter().find(|c| c.id == *id).map(|c| c.fields)
                else {
                    continue;
                };
                if let Some(f) = fields.get_mut(*field) {
                    f.clone_from(value);
                }
                records.push_row(0, &fields);
                variants.push((*id, fields));
            }
            let keys = self.matcher.keys(&records)?;
            for ((id, fields), keys) in variants.into_iter().zip(keys) {
                self.index.add_variant(id, &fields, &keys);
            }
        }
        Ok(())
    }

    /// Runs one batch of source rows through the transforms, adding their verdicts.
    fn transform(&mut self, original: &Batch, verdicts: &mut Verdicts) -> Result<Batch, Error> {
        let mut rows = original.clone();
        for (stage, plan) in &mut self.transforms {
            let computed = if plan.computed() > 0 {
                let (values, v) = stage.process(&rows.project(&plan.reads))?;
                verdicts.add(v);
                values
            } else {
                Batch::new(0)
            };
            rows = plan.apply(&rows, &computed);
        }
        Ok(rows)
    }

    /// Runs one batch of source rows through the stages and writes the result. Every plugin
    /// call comes before the first write (`recover` relies on it to retry a batch).
    fn process(
        &mut self,
        original: &Batch,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
    ) -> Result<(), Error> {
        let n = original.len();
        report.counts.rows += n as u64;
        // Cannot panic: every `verdicts.rejects[i]`/`flags[i]` below has i < n (the rows of
        // `original`; `TransformPlan::apply` keeps the row count), and `new(n)` made n of each.
        let mut verdicts = Verdicts::new(n);
        if !self.source_verdicts.is_empty() {
            // The source's verdicts on these rows (a flagged error cell, say), by row number.
            let numbers = original.row_numbers();
            let (mine, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.source_verdicts)
                .into_iter()
                .partition(|(number, _)| numbers.contains(number));
            self.source_verdicts = later;
            verdicts.add(
                mine.into_iter()
                    .filter_map(|(number, verdict)| {
                        let index = numbers.iter().position(|n| *n == number)?;
                        Some(RowVerdict {
                            index: u32::try_from(index).ok()?,
                            verdict,
                        })
                    })
                    .collect(),
            );
        }
        let rows = self.transform(original, &mut verdicts)?;
        for (stage, plan) in &mut self.validators {
            verdicts.add(stage.validate(&rows.project(&plan.reads))?);
        }

        // Rows that can be stored, and their contact records for the matcher.
        let mut storable = Vec::with_capacity(n);
        let mut records = Batch::with_capacity(CONTACT_FIELDS.len(), n, rows.text_len());
        // Cannot panic: `record_of_row[i]` below has i < n, as for `verdicts`.
        let mut record_of_row = vec![None; n];
        for (i, row) in rows.iter().enumerate() {
            if verdicts.rejected(i) {
                storable.push(None);
                continue;
            }
            match self.layout.storable(row) {
                Ok(s) => {
                    record_of_row[i] = Some(records.len());
                    records.push_row(row.number(), s.contact);
                    storable.push(Some(s));
                }
                Err(reason) => {
                    verdicts.rejects[i].push(reason);
                    storable.push(None);
                }
            }
        }
        let (decisions, keys, explanations) = self.decide(&records, tx)?;

        let mut created: Vec<Option<i64>> = vec![None; records.len()];
        for i in 0..n {
            let number = original.row(i).number();
            let values: Vec<&str> = original.row(i).cells().collect();
            let (Some(row), Some(r)) = (
                storable.get(i).and_then(Option::as_ref),
                record_of_row.get(i).copied().flatten(),
            ) else {
                report.counts.rejected += 1;
                add_exception(
                    tx,
                    report,
                    number,
                    ExceptionStatus::Rejected,
                    &verdicts.rejects[i],
                    &values,
                )?;
                continue;
            };
            let record_keys = keys.get(r).map_or(&[][..], Vec::as_slice);
            let explanation = explanations.get(r).cloned().unwrap_or_default();
            let (kind, contact_id) = match decisions
                .get(r)
                .cloned()
                .unwrap_or(Pick::Decided(Decision::New))
            {
                Pick::Decided(Decision::Ambiguous(close)) => match self.on_ambiguous {
                    OnAmbiguous::Reject => {
                        report.counts.rejected += 1;
                        verdicts.rejects[i].push(matching::ambiguous_reason(&close));
                        add_exception(
                            tx,
                            report,
                            number,
                            ExceptionStatus::Rejected,
                            &verdicts.rejects[i],
                            &values,
                        )?;
                        record_match(tx, number, MatchKind::Ambiguous, None, &explanation)?;
                        continue;
                    }
                    OnAmbiguous::New => {
                        verdicts.flags[i].push(format!(
                            "{}; created a new contact (on_ambiguous = \"new\")",
                            matching::ambiguous_reason(&close)
                        ));
                        let id = self.create_contact(tx, row, record_keys, report)?;
                        (MatchKind::Ambiguous, id)
                    }
                    OnAmbiguous::Best => {
                        let best = close.first().map_or(0, |(id, _)| *id);
                        verdicts.flags[i].push(format!(
                            "{}; attached to #{best}, the best (on_ambiguous = \"best\")",
                            matching::ambiguous_reason(&close)
                        ));
                        report.contacts_matched += 1;
                        self.update_contact(tx, best, row, record_keys)?;
                        (MatchKind::Ambiguous, best)
                    }
                },
                Pick::Decided(Decision::Existing { id, .. }) => {
                    report.contacts_matched += 1;
                    self.update_contact(tx, id, row, record_keys)?;
                    (MatchKind::Matched, id)
                }
                Pick::SameAsEarlier(earlier) => match created.get(earlier).copied().flatten() {
                    Some(id) => {
                        self.update_contact(tx, id, row, record_keys)?;
                        (MatchKind::SameAsRow, id)
                    }
                    None => (
                        MatchKind::New,
                        self.create_contact(tx, row, record_keys, report)?,
                    ),
                },
                Pick::Decided(Decision::Review { id, score, reasons }) => {
                    verdicts.flags[i].push(format!(
                        "possibly the same contact as #{id} (score {score:.2}: {}); created a new contact",
                        reasons.join("; ")
                    ));
                    (
                        MatchKind::Review,
                        self.create_contact(tx, row, record_keys, report)?,
                    )
                }
                Pick::Decided(Decision::New) => (
                    MatchKind::New,
                    self.create_contact(tx, row, record_keys, report)?,
                ),
            };
            let mut explanation = explanation;
            let created_here = matches!(kind, MatchKind::New | MatchKind::Review)
                || kind == MatchKind::Ambiguous && self.on_ambiguous == OnAmbiguous::New;
            explanation.household = match explanation.household {
                Some(of) if created_here => Some(tx.join_household(contact_id, of)?),
                _ => None,
            };
            record_match(tx, number, kind, Some(contact_id), &explanation)?;
            report.capped_lookups = self.index.capped_lookups;
            if let Some(slot) = created.get_mut(r) {
                *slot = Some(contact_id);
            }
            let interaction_id = tx.add_interaction(&NewInteraction {
                contact_id,
                row_number: number,
                kind: row.kind,
                occurred_at: row.occurred_at,
                member_code: row.member_code,
                call_result: row.call_result,
                notes: row.notes,
            })?;
            if let Some(pledge) = &row.pledge {
                tx.add_pledge(&NewPledge {
                    interaction_id,
                    contact_id,
                    amount_cents: pledge.cents,
                    commitment: pledge.commitment,
                    expected_date: pledge.expected_date,
                    source_code: pledge.source_code,
                })?;
                report.pledges += 1;
            }
            report.counts.results += 1;
            if !verdicts.flags[i].is_empty() {
                report.counts.flagged += 1;
                add_exception(
                    tx,
                    report,
                    number,
                    ExceptionStatus::Flagged,
                    &verdicts.flags[i],
                    &values,
                )?;
            }
        }
        Ok(())
    }

    fn create_contact(
        &mut self,
        tx: &mut ImportTx<'_>,
        row: &StorableRow<'_>,
        keys: &[String],
        report: &mut ImportReport,
    ) -> Result<i64, Error> {
        let fields = &row.contact;
        let id = tx.create_contact(fields, &row.address_parts)?;
        self.index.insert(id, fields, keys);
        report.contacts_created += 1;
        Ok(id)
    }

    fn update_contact(
        &mut self,
        tx: &mut ImportTx<'_>,
        id: i64,
        row: &StorableRow<'_>,
        keys: &[String],
    ) -> Result<(), Error> {
        let fields = &row.contact;
        // The fields before this row's changes (read before the store applies them).
        let mut merged = self
            .index
            .fetch(tx, id)?
            .map(matching::Packed9::owned)
            .unwrap_or_default();
        // The parts' changes (fields 9 to 13) miss the index below: matchers do not see parts.
        let changes = tx.update_contact(id, fields, &row.address_parts, &self.append)?;
        // A differing email or phone that `fill` does not let in is kept as a further value
        // of the contact rather than lost (and finds the contact in later imports).
        for field in [5, 6] {
            let (Some(old), Some(new)) = (merged.get(field), fields.get(field)) else {
                continue;
            };
            let new = new.trim();
            if self.append.get(field) == Some(&FieldPolicy::Fill)
                && !new.is_empty()
                && !old.trim().is_empty()
                && old.trim() != new
                && tx.add_contact_value(id, field, new)?
            {
                let mut variant = merged.clone();
                if let Some(f) = variant.get_mut(field) {
                    *f = new.to_string();
                }
                self.index.add_variant(id, &variant, keys);
            }
        }
        for change in changes {
            if let Some(f) = merged.get_mut(change.field) {
                f.clone_from(&change.new_value);
            }
        }
        self.index.insert(id, &merged, keys);
        Ok(())
    }

    /// Blocking keys and a decision for every record: against the index first, then, for
    /// records that would create a contact, against earlier such records of this batch, so
    /// that two rows about the same new person make one contact.
    #[allow(clippy::type_complexity)] // Three parallel lists, one entry per record.
    fn decide(
        &mut self,
        records: &Batch,
        tx: &mut ImportTx<'_>,
    ) -> Result<(Vec<Pick>, Vec<Vec<String>>, Vec<Explanation>), Error> {
        if records.is_empty() {
            return Ok((Vec::new(), Vec::new(), Vec::new()));
        }
        let keys = self.matcher.keys(records)?;
        // Each candidate is scored as stored and as each of its variants (further emails and
        // phones); `matching::decide` keeps its best score. A contact crosses once per
        // batch, as rows `first..first + 1 + variants`, however many records meet it.
        let mut candidates = Candidates::new();
        let mut rows_of: HashMap<i64, (u32, u32)> = HashMap::new();
        // Each candidate's contact type, for the host's own check of the scores below.
        let mut types: HashMap<i64, String> = HashMap::new();
        for k in &keys {
            for id in self.index.candidates(k) {
                let (first, n) = if let Some(&rows) = rows_of.get(&id) {
                    rows
                } else {
                    let first = match self.index.fetch(tx, id)? {
                        Some(f) => {
                            types.insert(id, f.get(0).to_string());
                            candidates.add_contact(id, f.iter())
                        }
                        None => candidates.add_contact(id, [""; 0]),
                    };
                    let variants = self.index.variants(id);
                    for variant in variants {
                        candidates.add_contact(id, variant.iter());
                    }
                    let rows = (first, u32::try_from(variants.len()).unwrap_or(0));
                    rows_of.insert(id, rows);
                    rows
                };
                for row in first..=first.saturating_add(n) {
                    candidates.push(row);
                }
            }
            candidates.end_record();
        }
        let scores = self.matcher.score(records, candidates)?;
        let mut per_record: Vec<Vec<(i64, f64, Vec<String>)>> = vec![Vec::new(); records.len()];
        let mut household: Vec<Option<i64>> = vec![None; records.len()];
        for s in scores {
            // An organization never matches an individual, whatever the matcher says.
            let record_type = records.cell(s.index, 0);
            let contact_type = types.get(&s.contact).map_or("", String::as_str);
            if !matching::types_agree(record_type, contact_type) {
                continue;
            }
            if s.household
                && let Some(h) = household.get_mut(s.index)
            {
                h.get_or_insert(s.contact);
            }
            if let Some(list) = per_record.get_mut(s.index) {
                list.push((s.contact, s.score, s.reasons));
            }
        }
        let mut explanations: Vec<Explanation> = per_record
            .iter()
            .zip(household)
            .map(|(s, household)| Explanation {
                household,
                ..matching::explain(s)
            })
            .collect();
        let mut picks: Vec<Pick> = per_record
            .into_iter()
            .map(|s| Pick::Decided(matching::decide(s, self.auto_accept, self.review)))
            .collect();

        // New records sharing a key with an earlier new record of this batch.
        let creates =
            |p: &Pick| matches!(p, Pick::Decided(Decision::New | Decision::Review { .. }));
        let mut first_with_key: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        let mut later: Vec<(usize, Vec<usize>)> = Vec::new();
        for (r, record_keys) in keys.iter().enumerate() {
            if !picks.get(r).is_some_and(creates) {
                continue;
            }
            let postings: Vec<&[usize]> = record_keys
                .iter()
                .filter_map(|k| first_with_key.get(k.as_str()).map(Vec::as_slice))
                .collect();
            let earlier = matching::rank(&postings);
            if !earlier.is_empty() {
                later.push((r, earlier));
            }
            for k in record_keys {
                first_with_key.entry(k.as_str()).or_default().push(r);
            }
        }
        if !later.is_empty() {
            // Earlier records stand in as candidates with ids -(index + 1), each once.
            let mut again = Batch::new(CONTACT_FIELDS.len());
            let mut candidates = Candidates::new();
            let mut row_of: HashMap<usize, u32> = HashMap::new();
            for (r, earlier) in &later {
                again.push_row(records.row(*r).number(), records.row(*r).cells());
                for &e in earlier {
                    let row = *row_of.entry(e).or_insert_with(|| {
                        let id = -(i64::try_from(e).unwrap_or(i64::MAX)) - 1;
                        candidates.add_contact(id, records.row(e).cells())
                    });
                    candidates.push(row);
                }
                candidates.end_record();
            }
            let scores = self.matcher.score(&again, candidates)?;
            let mut per_record: Vec<Vec<(i64, f64, Vec<String>)>> = vec![Vec::new(); later.len()];
            for s in scores {
                if let Some(list) = per_record.get_mut(s.index) {
                    list.push((s.contact, s.score, s.reasons));
                }
            }
            // Several earlier records may be one new contact already: compare with each
            // group once (through its first record), so they do not look ambiguous.
            let mut group_of: std::collections::HashMap<usize, usize> =
                std::collections::HashMap::new();
            for ((r, _), scores) in later.iter().zip(per_record) {
                let mut by_group: Vec<(i64, f64, Vec<String>)> = Vec::new();
                for (id, score, reasons) in scores {
                    let earlier = usize::try_from(-id - 1).unwrap_or(usize::MAX);
                    if earlier >= records.len()
                        || !matching::types_agree(records.cell(*r, 0), records.cell(earlier, 0))
                    {
                        continue;
                    }
                    let group = group_of.get(&earlier).copied().unwrap_or(earlier);
                    let group_id = -(i64::try_from(group).unwrap_or(i64::MAX)) - 1;
                    match by_group.iter_mut().find(|(g, _, _)| *g == group_id) {
                        Some(entry) if entry.1 >= score => {}
                        Some(entry) => *entry = (group_id, score, reasons),
                        None => by_group.push((group_id, score, reasons)),
                    }
                }
                if let Decision::Existing { id, score, reasons } =
                    matching::decide(by_group, self.auto_accept, self.review)
                    && let Some(pick) = picks.get_mut(*r)
                {
                    let group = usize::try_from(-id - 1).unwrap_or(usize::MAX);
                    group_of.insert(*r, group);
                    *pick = Pick::SameAsEarlier(group);
                    if let Some(e) = explanations.get_mut(*r) {
                        e.best = Some((score, reasons));
                    }
                }
            }
        }
        Ok((picks, keys, explanations))
    }
}

/// Records how row `row` was matched.
fn record_match(
    tx: &mut ImportTx<'_>,
    row: u32,
    decision: MatchKind,
    contact_id: Option<i64>,
    explanation: &Explanation,
) -> Result<(), Error> {
    let (score, reasons) = explanation
        .best
        .clone()
        .map_or((None, Vec::new()), |(s, r)| (Some(s), r));
    tx.add_match_decision(&MatchRecord {
        row_number: row,
        decision,
        contact_id,
        score,
        reasons,
        candidates: explanation
            .candidates
            .iter()
            .map(|&(contact, score)| store::Candidate { contact, score })
            .collect(),
        household: explanation.household,
    })?;
    Ok(())
}

/// A record's decision, or "the same new contact as an earlier record of this batch".
#[derive(Clone, Debug)]
enum Pick {
    Decided(Decision),
    SameAsEarlier(usize),
}
