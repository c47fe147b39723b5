//! Running plugins: one instance per plugin per file, in a fresh sandbox, with typed calls
//! that convert between the WIT types and the SDK's, check everything a plugin returns
//! before the host trusts it, and turn traps into `Error::Fault`s naming plugin, stage and
//! rows.

use std::time::Duration;

use sluice_sdk::{
    Batch, Candidates, ColumnMapping, ColumnSource, Context, Kind, MappingStatus, OutputColumn,
    Packed, ParamValue, Params, RowVerdict, SourceOutput, SourceReject, TransformPlan,
    ValidatorPlan, Verdict,
};
use wasmtime::component::InstancePre;

use super::bindings::{self, wit};
use super::error::system_cause;
use super::host::{HostState, Sandbox};
use super::{Error, Host, Limits, LoadedPlugin, RowRange};

/// What every running stage shares: its sandbox and names for messages.
struct Running {
    plugin: String,
    stage: String,
    sandbox: Sandbox,
    timeout: Duration,
    memory: usize,
}

impl Running {
    fn call<R>(
        &mut self,
        rows: Option<RowRange>,
        f: impl FnOnce(&mut wasmtime::Store<HostState>) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, Error> {
        self.sandbox.store.set_epoch_deadline(self.sandbox.ticks);
        match f(&mut self.sandbox.store) {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                let (message, bad_input) = match e {
                    wit::Error::BadParams(m) => (format!("bad parameter: {m}"), false),
                    wit::Error::BadInput(m) => (m, true),
                    wit::Error::NotPrepared => {
                        ("called before prepare (a host bug)".to_string(), false)
                    }
                    wit::Error::Other(m) => (m, false),
                };
                Err(Error::Refused {
                    plugin: self.plugin.clone(),
                    stage: self.stage.clone(),
                    rows,
                    message,
                    bad_input,
                })
            }
            Err(e) => Err(match system_cause(&e) {
                Some(message) => Error::Environment {
                    plugin: self.plugin.clone(),
                    action: "run",
                    message,
                },
                None => self.fault(rows, &e),
            }),
        }
    }

    fn fault(&self, rows: Option<RowRange>, e: &wasmtime::Error) -> Error {
        Error::Fault {
            plugin: self.plugin.clone(),
            stage: self.stage.clone(),
            rows,
            message: self.fault_message(e),
        }
    }

    fn fault_message(&self, e: &wasmtime::Error) -> String {
        // The root cause, without the wasm backtrace wasmtime puts in front of it.
        let cause = e.root_cause().to_string();
        if cause.contains("forcing trap when growing memory") {
            return format!("it exceeded its memory limit of {} MiB", self.memory >> 20);
        }
        let said = self
            .sandbox
            .stderr_tail()
            .map(|s| format!(" (it said: {s})"))
            .unwrap_or_default();
        match e.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => format!(
                "it did not finish within the {} s call deadline",
                self.timeout.as_secs_f32()
            ),
            Some(wasmtime::Trap::StackOverflow) => {
                "it overflowed its stack (runaway recursion?)".into()
            }
            // Rust keeps its stack in linear memory below the data: running off its end is
            // an out-of-bounds access, not a wasm stack overflow.
            Some(wasmtime::Trap::MemoryOutOfBounds) => {
                "it overflowed its stack or accessed memory out of bounds".into()
            }
            // Rust panics end in `unreachable` after the panic hook wrote to stderr; a bare
            // `unreachable` (or another language's abort) says nothing first.
            Some(wasmtime::Trap::UnreachableCodeReached) if said.is_empty() => {
                "it trapped (it reached `unreachable` code without a panic message)".into()
            }
            Some(wasmtime::Trap::UnreachableCodeReached) => format!("it panicked{said}"),
            Some(trap) => format!("it trapped: {trap}{said}"),
            None => format!("{cause}{said}"),
        }
    }

    fn protocol(&self, rows: Option<RowRange>, message: impl Into<String>) -> Error {
        Error::Protocol {
            plugin: self.plugin.clone(),
            stage: self.stage.clone(),
            rows,
            message: message.into(),
        }
    }
}

impl Host {
    fn running(
        &self,
        plugin: &LoadedPlugin,
        expected: Kind,
        stage: &str,
        limits: Limits,
    ) -> Result<(Running, InstancePre<HostState>), Error> {
        if plugin.info.kind != expected {
            return Err(Error::KindMismatch {
                plugin: plugin.origin.clone(),
                found: plugin.info.kind,
                expected,
            });
        }
        let pre = self
            .linker()
            .instantiate_pre(&plugin.component)
            .map_err(|e| Error::WrongWorld {
                plugin: plugin.origin.clone(),
                kind: expected,
                message: format!("{e:#}"),
            })?;
        let running = Running {
            plugin: plugin.label(),
            stage: stage.to_string(),
            sandbox: self.sandbox(limits),
            timeout: limits.call_timeout,
            memory: limits.memory,
        };
        Ok((running, pre))
    }

    /// A fresh instance of a source plugin for one file.
    pub fn source(
        &self,
        plugin: &LoadedPlugin,
        stage: &str,
        limits: Limits,
    ) -> Result<SourceStage, Error> {
        let (mut run, pre) = self.running(plugin, Kind::Source, stage, limits)?;
        let world = run.call(None, |store| {
            bindings::source::SourcePre::new(pre)?
                .instantiate(store)
                .map(Ok)
        })?;
        Ok(SourceStage { run, world })
    }

    /// A fresh instance of a transform plugin for one file.
    pub fn transform(
        &self,
        plugin: &LoadedPlugin,
        stage: &str,
        limits: Limits,
    ) -> Result<TransformStage, Error> {
        let (mut run, pre) = self.running(plugin, Kind::Transform, stage, limits)?;
        let world = run.call(None, |store| {
            bindings::transform::TransformPre::new(pre)?
                .instantiate(store)
                .map(Ok)
        })?;
        Ok(TransformStage {
            run,
            world,
            computed: 0,
        })
    }

    /// A fresh instance of a validator plugin for one file.
    pub fn validator(
        &self,
        plugin: &LoadedPlugin,
        stage: &str,
        limits: Limits,
    ) -> Result<ValidatorStage, Error> {
        let (mut run, pre) = self.running(plugin, Kind::Validator, stage, limits)?;
        let world = run.call(None, |store| {
            bindings::validator::ValidatorPre::new(pre)?
                .instantiate(store)
                .map(Ok)
        })?;
        Ok(ValidatorStage { run, world })
    }

    /// A fresh instance of a matcher plugin for one file.
    pub fn matcher(
        &self,
        plugin: &LoadedPlugin,
        stage: &str,
        limits: Limits,
    ) -> Result<MatcherStage, Error> {
        let (mut run, pre) = self.running(plugin, Kind::Matcher, stage, limits)?;
        let world = run.call(None, |store| {
            bindings::matcher::MatcherPre::new(pre)?
                .instantiate(store)
                .map(Ok)
        })?;
        Ok(MatcherStage { run, world })
    }
}

fn params_to_wit(params: &Params) -> Vec<wit::Param> {
    params
        .0
        .iter()
        .map(|(name, value)| wit::Param {
            name: name.clone(),
            value: match value {
                ParamValue::Text(s) => wit::ParamValue::Text(s.clone()),
                ParamValue::Integer(i) => wit::ParamValue::Integer(*i),
                ParamValue::Number(n) => wit::ParamValue::Number(*n),
                ParamValue::Boolean(b) => wit::ParamValue::Boolean(*b),
                ParamValue::TextList(l) => wit::ParamValue::TextList(l.clone()),
                ParamValue::TextMap(m) => wit::ParamValue::TextMap(m.clone()),
            },
        })
        .collect()
}

fn context_to_wit(ctx: &Context) -> wit::Context {
    wit::Context {
        pipeline: ctx.pipeline.clone(),
        file_name: ctx.file_name.clone(),
        timezone: ctx.timezone.clone(),
        member_code: ctx.member_code.clone(),
    }
}

/// The batch as the WIT record (one copy of its packed text).
fn batch_to_wit(batch: &Batch) -> wit::Batch {
    let (rows, width, cells) = batch.clone().into_parts();
    let (text, ends) = cells.into_parts();
    wit::Batch {
        rows,
        width: u32::try_from(width).unwrap_or(u32::MAX),
        cells: wit::Packed { text, ends },
    }
}

fn batch_from_wit(run: &Running, rows: Option<RowRange>, b: wit::Batch) -> Result<Batch, Error> {
    let cells =
        Packed::from_parts(b.cells.text, b.cells.ends).map_err(|e| run.protocol(rows, e.0))?;
    Batch::from_parts(b.rows, b.width as usize, cells).map_err(|e| run.protocol(rows, e.0))
}

fn verdicts_from_wit(
    run: &Running,
    rows: Option<RowRange>,
    len: usize,
    verdicts: Vec<wit::RowVerdict>,
) -> Result<Vec<RowVerdict>, Error> {
    verdicts
        .into_iter()
        .map(|v| {
            if v.index as usize >= len {
                return Err(run.protocol(
                    rows,
                    format!(
                        "a verdict names row index {} of a batch of {len} rows",
                        v.index
                    ),
                ));
            }
            let verdict = match v.verdict {
                wit::Verdict::Ok => Verdict::Ok,
                wit::Verdict::Flag(r) => Verdict::Flag(r),
                wit::Verdict::Reject(r) => Verdict::Reject(r),
            };
            Ok(RowVerdict {
                index: v.index,
                verdict,
            })
        })
        .collect()
}

/// A running source plugin.
pub struct SourceStage {
    run: Running,
    world: bindings::source::Source,
}

impl SourceStage {
    /// Starts reading a file; returns warnings.
    pub fn open(&mut self, params: &Params, ctx: &Context) -> Result<Vec<String>, Error> {
        let (params, ctx) = (params_to_wit(params), context_to_wit(ctx));
        let world = &self.world;
        self.run
            .call(None, |store| world.call_start(store, &params, &ctx))
    }

    /// Pushes the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<SourceOutput, Error> {
        let world = &self.world;
        let out = self.run.call(None, |store| world.call_push(store, chunk))?;
        self.output(out)
    }

    /// Ends the file.
    pub fn finish(&mut self) -> Result<SourceOutput, Error> {
        let world = &self.world;
        let out = self.run.call(None, |store| world.call_finish(store))?;
        self.output(out)
    }

    fn output(&self, out: bindings::source::SourceOutput) -> Result<SourceOutput, Error> {
        let rows = batch_from_wit(&self.run, None, out.rows)?;
        if let Some(columns) = &out.columns
            && !rows.is_empty()
            && columns.len() != rows.width()
        {
            return Err(self.run.protocol(
                None,
                format!(
                    "rows of {} cells under a header of {} columns",
                    rows.width(),
                    columns.len()
                ),
            ));
        }
        let verdicts = verdicts_from_wit(&self.run, None, rows.len(), out.verdicts)?;
        Ok(SourceOutput {
            columns: out.columns,
            rows,
            verdicts,
            rejects: out
                .rejects
                .into_iter()
                .map(|r| SourceReject {
                    row: r.row,
                    reason: r.reason,
                    fields: r.fields,
                })
                .collect(),
            warnings: out.warnings,
        })
    }
}

/// A running transform plugin.
pub struct TransformStage {
    run: Running,
    world: bindings::transform::Transform,
    computed: usize,
}

impl TransformStage {
    /// Plans the output from the header and the file's first rows.
    pub fn prepare(
        &mut self,
        columns: &[String],
        samples: &Batch,
        params: &Params,
        ctx: &Context,
    ) -> Result<TransformPlan, Error> {
        let (params, ctx) = (params_to_wit(params), context_to_wit(ctx));
        let samples = batch_to_wit(samples);
        let world = &self.world;
        let plan = self.run.call(None, |store| {
            world.call_prepare(store, columns, &samples, &params, &ctx)
        })?;
        let mut out = TransformPlan {
            reads: plan.reads,
            warnings: plan.warnings,
            columns: Vec::new(),
            mappings: Vec::with_capacity(plan.mappings.len()),
        };
        for m in plan.mappings {
            if m.input as usize >= columns.len() || !(0.0..=1.0).contains(&m.confidence) {
                return Err(self.run.protocol(
                    None,
                    format!(
                        "its mapping of input column {} of {} has confidence {}, outside [0, 1], \
                         or no such column",
                        m.input,
                        columns.len(),
                        m.confidence
                    ),
                ));
            }
            out.mappings.push(ColumnMapping {
                input: m.input,
                targets: m.targets,
                confidence: m.confidence,
                reason: m.reason,
                status: match m.status {
                    bindings::transform::MappingStatus::Certain => MappingStatus::Certain,
                    bindings::transform::MappingStatus::Uncertain => MappingStatus::Uncertain,
                    bindings::transform::MappingStatus::Excluded => MappingStatus::Excluded,
                    bindings::transform::MappingStatus::Unmapped => MappingStatus::Unmapped,
                },
                applied: m.applied,
            });
        }
        for c in plan.columns {
            let source = match c.source {
                bindings::transform::ColumnSource::Input(i) => ColumnSource::Input(i),
                bindings::transform::ColumnSource::Constant(s) => ColumnSource::Constant(s),
                bindings::transform::ColumnSource::Computed => ColumnSource::Computed,
            };
            if let ColumnSource::Input(i) = source
                && i as usize >= columns.len()
            {
                return Err(self.run.protocol(
                    None,
                    format!(
                        "output column `{}` copies input column {i} of {}",
                        c.name,
                        columns.len()
                    ),
                ));
            }
            out.columns.push(OutputColumn {
                name: c.name,
                source,
            });
        }
        if let Some(bad) = out.reads.iter().find(|&&i| i as usize >= columns.len()) {
            return Err(self.run.protocol(
                None,
                format!("it reads input column {bad} of {}", columns.len()),
            ));
        }
        self.computed = out
            .columns
            .iter()
            .filter(|c| c.source == ColumnSource::Computed)
            .count();
        Ok(out)
    }

    /// Computes the computed columns of a batch holding the plan's `reads` columns.
    pub fn process(&mut self, rows: &Batch) -> Result<(Batch, Vec<RowVerdict>), Error> {
        let range = RowRange::of(rows.row_numbers());
        let input = batch_to_wit(rows);
        let world = &self.world;
        let out = self
            .run
            .call(range, |store| world.call_process(store, &input))?;
        let values = batch_from_wit(&self.run, range, out.values)?;
        if values.len() != rows.len() || values.width() != self.computed {
            return Err(self.run.protocol(
                range,
                format!(
                    "{} rows of {} computed columns for {} rows of {} computed columns",
                    values.len(),
                    values.width(),
                    rows.len(),
                    self.computed
                ),
            ));
        }
        let verdicts = verdicts_from_wit(&self.run, range, rows.len(), out.verdicts)?;
        Ok((values, verdicts))
    }
}

/// A running validator plugin.
pub struct ValidatorStage {
    run: Running,
    world: bindings::validator::Validator,
}

impl ValidatorStage {
    /// Plans from the header.
    pub fn prepare(
        &mut self,
        columns: &[String],
        params: &Params,
        ctx: &Context,
    ) -> Result<ValidatorPlan, Error> {
        let (params, ctx) = (params_to_wit(params), context_to_wit(ctx));
        let world = &self.world;
        let plan = self.run.call(None, |store| {
            world.call_prepare(store, columns, &params, &ctx)
        })?;
        if let Some(bad) = plan.reads.iter().find(|&&i| i as usize >= columns.len()) {
            return Err(self.run.protocol(
                None,
                format!("it reads input column {bad} of {}", columns.len()),
            ));
        }
        Ok(ValidatorPlan {
            reads: plan.reads,
            warnings: plan.warnings,
        })
    }

    /// Verdicts for the rows that are not ok.
    pub fn validate(&mut self, rows: &Batch) -> Result<Vec<RowVerdict>, Error> {
        let range = RowRange::of(rows.row_numbers());
        let input = batch_to_wit(rows);
        let world = &self.world;
        let verdicts = self
            .run
            .call(range, |store| world.call_validate(store, &input))?;
        verdicts_from_wit(&self.run, range, rows.len(), verdicts)
    }
}

/// A running matcher plugin.
pub struct MatcherStage {
    run: Running,
    world: bindings::matcher::Matcher,
}

/// A matcher's score for one candidate, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateScore {
    /// Index of the record in its batch.
    pub index: usize,
    /// The candidate's store id.
    pub contact: i64,
    /// In [0, 1].
    pub score: f64,
    /// Evidence.
    pub reasons: Vec<String>,
    /// Whether the record is another member of this contact's household.
    pub household: bool,
}

/// The WIT form of a batch's candidates.
fn candidates_to_wit(candidates: Candidates) -> bindings::matcher::Candidates {
    let (rows, width, cells) = candidates.contacts.into_parts();
    let (text, ends) = cells.into_parts();
    bindings::matcher::Candidates {
        contacts: wit::Batch {
            rows,
            width: u32::try_from(width).unwrap_or(u32::MAX),
            cells: wit::Packed { text, ends },
        },
        ids: candidates.ids,
        ends: candidates.ends,
        of: candidates.of,
    }
}

impl MatcherStage {
    /// Hands the matcher the model an earlier `estimate` returned.
    pub fn load_model(&mut self, model: Option<&str>) -> Result<(), Error> {
        let world = &self.world;
        self.run
            .call(None, |store| world.call_load_model(store, model))
    }

    /// Has the matcher estimate its model from a sample of records and their candidates;
    /// the model's text, or `None` when the matcher has nothing to estimate.
    pub fn estimate(
        &mut self,
        records: &Batch,
        candidates: Candidates,
    ) -> Result<Option<String>, Error> {
        let range = RowRange::of(records.row_numbers());
        let wit_candidates = candidates_to_wit(candidates);
        let input = batch_to_wit(records);
        let world = &self.world;
        self.run.call(range, |store| {
            world.call_estimate(store, &input, &wit_candidates)
        })
    }

    /// Checks params and the header; returns warnings.
    pub fn prepare(
        &mut self,
        columns: &[String],
        params: &Params,
        ctx: &Context,
    ) -> Result<Vec<String>, Error> {
        let (params, ctx) = (params_to_wit(params), context_to_wit(ctx));
        let world = &self.world;
        self.run.call(None, |store| {
            world.call_prepare(store, columns, &params, &ctx)
        })
    }

    /// The blocking keys of each record: `keys[i]` for record `i`.
    pub fn keys(&mut self, records: &Batch) -> Result<Vec<Vec<String>>, Error> {
        let range = RowRange::of(records.row_numbers());
        let input = batch_to_wit(records);
        let world = &self.world;
        let sets = self
            .run
            .call(range, |store| world.call_keys(store, &input))?;
        let keys = Packed::from_parts(sets.keys.text, sets.keys.ends)
            .map_err(|e| self.run.protocol(range, e.0))?;
        if sets.ends.len() != records.len() {
            return Err(self.run.protocol(
                range,
                format!(
                    "key sets for {} records, expected {}",
                    sets.ends.len(),
                    records.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(records.len());
        let mut start = 0usize;
        for &end in &sets.ends {
            let end = end as usize;
            if end < start || end > keys.len() {
                return Err(self
                    .run
                    .protocol(range, "key set ends out of order or out of range"));
            }
            out.push((start..end).map(|k| keys.get(k).to_string()).collect());
            start = end;
        }
        Ok(out)
    }

    /// Scores of the candidates of each record: `candidates` holds each distinct contact
    /// once and, per record, the rows of its own.
    pub fn score(
        &mut self,
        records: &Batch,
        candidates: Candidates,
    ) -> Result<Vec<CandidateScore>, Error> {
        let range = RowRange::of(records.row_numbers());
        let wit_candidates = candidates_to_wit(candidates);
        let input = batch_to_wit(records);
        let world = &self.world;
        let scores = self.run.call(range, |store| {
            world.call_score(store, &input, &wit_candidates)
        })?;
        // What the scores are checked against: which ids each record was offered.
        let offered = Candidates {
            ids: wit_candidates.ids,
            ends: wit_candidates.ends,
            of: wit_candidates.of,
            ..Candidates::new()
        };
        scores
            .into_iter()
            .map(|s| {
                let index = s.index as usize;
                let known = offered.ids_of(index).any(|id| id == s.contact);
                if !known {
                    return Err(self.run.protocol(
                        range,
                        format!(
                            "a score for contact {} that is not a candidate of record {index}",
                            s.contact
                        ),
                    ));
                }
                if !(0.0..=1.0).contains(&s.score) {
                    return Err(self.run.protocol(
                        range,
                        format!(
                            "score {} for contact {} is not between 0 and 1",
                            s.score, s.contact
                        ),
                    ));
                }
                Ok(CandidateScore {
                    index,
                    contact: s.contact,
                    score: s.score,
                    reasons: s.reasons,
                    household: s.household,
                })
            })
            .collect()
    }
}
