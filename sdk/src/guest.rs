//! The wasm side of the ABI: wit-bindgen bindings for the four worlds and the adapters that
//! turn a plain-Rust trait impl into their exports. Plugin authors use only the
//! `export_*!` macros; everything here is `#[doc(hidden)]` plumbing behind them.
//!
//! A plugin instance serves one file: the host instantiates it afresh, calls
//! `prepare`/`open` once and then sends batches, so the prepared plugin value lives in one
//! per-instance slot ([`STATE`]).

use std::any::Any;
use std::cell::RefCell;

use crate::{
    Batch, Context, Error, Kind, MappingStatus, Matcher, Packed, ParamSpec, ParamType, ParamValue,
    Params, PluginInfo, RowVerdict, Source, SourceOutput, Transform, TransformOutput, Validator,
    Verdict,
};

#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)] // Generated code.
pub mod bindings {
    // The `with` keys name the WIT package version: bump them with the package.
    pub mod source {
        wit_bindgen::generate!({
            path: "wit",
            world: "sluice:plugin/source",
            pub_export_macro: true,
            export_macro_name: "export_raw",
            default_bindings_module: "sluice_sdk::guest::bindings::source",
            runtime_path: "sluice_sdk::__wit_bindgen::rt",
        });
    }
    pub mod transform {
        wit_bindgen::generate!({
            path: "wit",
            world: "sluice:plugin/transform",
            pub_export_macro: true,
            export_macro_name: "export_raw",
            default_bindings_module: "sluice_sdk::guest::bindings::transform",
            runtime_path: "sluice_sdk::__wit_bindgen::rt",
            with: { "sluice:plugin/types@0.6.0": crate::guest::bindings::source::sluice::plugin::types },
        });
    }
    pub mod validator {
        wit_bindgen::generate!({
            path: "wit",
            world: "sluice:plugin/validator",
            pub_export_macro: true,
            export_macro_name: "export_raw",
            default_bindings_module: "sluice_sdk::guest::bindings::validator",
            runtime_path: "sluice_sdk::__wit_bindgen::rt",
            with: { "sluice:plugin/types@0.6.0": crate::guest::bindings::source::sluice::plugin::types },
        });
    }
    pub mod matcher {
        wit_bindgen::generate!({
            path: "wit",
            world: "sluice:plugin/matcher",
            pub_export_macro: true,
            export_macro_name: "export_raw",
            default_bindings_module: "sluice_sdk::guest::bindings::matcher",
            runtime_path: "sluice_sdk::__wit_bindgen::rt",
            with: { "sluice:plugin/types@0.6.0": crate::guest::bindings::source::sluice::plugin::types },
        });
    }
}

use bindings::source::sluice::plugin::types as wit;

thread_local! {
    /// The prepared plugin of this instance.
    static STATE: RefCell<Option<Box<dyn Any>>> = RefCell::new(None);
}

fn install<T: 'static>(value: T) {
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(value)));
}

fn with_state<T: 'static, R>(f: impl FnOnce(&mut T) -> Result<R, Error>) -> Result<R, Error> {
    STATE.with(|s| {
        let mut slot = s.borrow_mut();
        match slot.as_mut().and_then(|b| b.downcast_mut::<T>()) {
            Some(state) => f(state),
            None => Err(Error::NotPrepared),
        }
    })
}

// ---- conversions between the generated types and the SDK's own ----

fn info_to_wit(info: PluginInfo) -> wit::PluginInfo {
    wit::PluginInfo {
        name: info.name,
        version: info.version,
        abi_version: info.abi_version,
        kind: match info.kind {
            Kind::Source => wit::PluginKind::Source,
            Kind::Transform => wit::PluginKind::Transform,
            Kind::Validator => wit::PluginKind::Validator,
            Kind::Matcher => wit::PluginKind::Matcher,
        },
        summary: info.summary,
        params: info.params.into_iter().map(spec_to_wit).collect(),
    }
}

fn spec_to_wit(spec: ParamSpec) -> wit::ParamSpec {
    wit::ParamSpec {
        name: spec.name,
        ty: match spec.ty {
            ParamType::Text => wit::ParamType::Text,
            ParamType::Integer => wit::ParamType::Integer,
            ParamType::Number => wit::ParamType::Number,
            ParamType::Boolean => wit::ParamType::Boolean,
            ParamType::TextList => wit::ParamType::TextList,
            ParamType::TextMap => wit::ParamType::TextMap,
        },
        required: spec.required,
        default_value: spec.default_value,
        help: spec.help,
    }
}

fn params_from_wit(params: Vec<wit::Param>) -> Params {
    Params(
        params
            .into_iter()
            .map(|p| {
                let value = match p.value {
                    wit::ParamValue::Text(s) => ParamValue::Text(s),
                    wit::ParamValue::Integer(i) => ParamValue::Integer(i),
                    wit::ParamValue::Number(n) => ParamValue::Number(n),
                    wit::ParamValue::Boolean(b) => ParamValue::Boolean(b),
                    wit::ParamValue::TextList(l) => ParamValue::TextList(l),
                    wit::ParamValue::TextMap(m) => ParamValue::TextMap(m),
                };
                (p.name, value)
            })
            .collect(),
    )
}

fn context_from_wit(ctx: wit::Context) -> Context {
    Context {
        pipeline: ctx.pipeline,
        file_name: ctx.file_name,
        timezone: ctx.timezone,
        member_code: ctx.member_code,
    }
}

fn error_to_wit(e: Error) -> wit::Error {
    match e {
        Error::BadParams(m) => wit::Error::BadParams(m),
        Error::BadInput(m) => wit::Error::BadInput(m),
        Error::NotPrepared => wit::Error::NotPrepared,
        Error::Other(m) => wit::Error::Other(m),
    }
}

fn batch_from_wit(b: wit::Batch) -> Result<Batch, Error> {
    let cells = Packed::from_parts(b.cells.text, b.cells.ends)
        .map_err(|e| Error::Other(format!("host sent a malformed batch: {e}")))?;
    Batch::from_parts(b.rows, b.width as usize, cells)
        .map_err(|e| Error::Other(format!("host sent a malformed batch: {e}")))
}

fn packed_to_wit(p: Packed) -> wit::Packed {
    let (text, ends) = p.into_parts();
    wit::Packed { text, ends }
}

fn batch_to_wit(b: Batch) -> wit::Batch {
    let (rows, width, cells) = b.into_parts();
    wit::Batch {
        rows,
        width: u32::try_from(width).unwrap_or(u32::MAX),
        cells: packed_to_wit(cells),
    }
}

fn verdicts_to_wit(verdicts: Vec<RowVerdict>) -> Vec<wit::RowVerdict> {
    verdicts
        .into_iter()
        .filter(|v| v.verdict != Verdict::Ok)
        .map(|v| wit::RowVerdict {
            index: v.index,
            verdict: match v.verdict {
                Verdict::Ok => wit::Verdict::Ok,
                Verdict::Flag(r) => wit::Verdict::Flag(r),
                Verdict::Reject(r) => wit::Verdict::Reject(r),
            },
        })
        .collect()
}

// ---- source ----

/// Exports a [`Source`] impl through the `source` world.
#[doc(hidden)]
pub struct SourceAdapter<T>(std::marker::PhantomData<T>);

struct SourceState<T> {
    plugin: T,
    width: usize,
}

fn source_output_to_wit(out: SourceOutput) -> bindings::source::SourceOutput {
    bindings::source::SourceOutput {
        columns: out.columns,
        rows: batch_to_wit(out.rows),
        rejects: out
            .rejects
            .into_iter()
            .map(|r| bindings::source::SourceReject {
                row: r.row,
                reason: r.reason,
                fields: r.fields,
            })
            .collect(),
        verdicts: verdicts_to_wit(out.verdicts),
        warnings: out.warnings,
    }
}

fn source_step<T: Source>(
    step: impl FnOnce(&mut T, &mut SourceOutput) -> Result<(), Error>,
) -> Result<bindings::source::SourceOutput, wit::Error> {
    with_state::<SourceState<T>, _>(|state| {
        let mut out = SourceOutput::new(state.width);
        step(&mut state.plugin, &mut out)?;
        if let Some(columns) = &out.columns {
            state.width = columns.len();
        }
        Ok(source_output_to_wit(out))
    })
    .map_err(error_to_wit)
}

impl<T: Source> bindings::source::Guest for SourceAdapter<T> {
    fn describe() -> wit::PluginInfo {
        info_to_wit(T::describe())
    }

    fn start(params: Vec<wit::Param>, ctx: wit::Context) -> Result<Vec<String>, wit::Error> {
        let (plugin, warnings) =
            T::open(&params_from_wit(params), &context_from_wit(ctx)).map_err(error_to_wit)?;
        install(SourceState { plugin, width: 0 });
        Ok(warnings)
    }

    fn push(chunk: Vec<u8>) -> Result<bindings::source::SourceOutput, wit::Error> {
        source_step::<T>(|plugin, out| plugin.push(&chunk, out))
    }

    fn finish() -> Result<bindings::source::SourceOutput, wit::Error> {
        source_step::<T>(T::finish)
    }
}

// ---- transform ----

/// Exports a [`Transform`] impl through the `transform` world.
#[doc(hidden)]
pub struct TransformAdapter<T>(std::marker::PhantomData<T>);

struct TransformState<T> {
    plugin: T,
    computed: usize,
}

impl<T: Transform> bindings::transform::Guest for TransformAdapter<T> {
    fn describe() -> wit::PluginInfo {
        info_to_wit(T::describe())
    }

    fn prepare(
        columns: Vec<String>,
        samples: wit::Batch,
        params: Vec<wit::Param>,
        ctx: wit::Context,
    ) -> Result<bindings::transform::TransformPlan, wit::Error> {
        use bindings::transform::{ColumnSource as W, OutputColumn};
        let samples = batch_from_wit(samples).map_err(error_to_wit)?;
        let (plugin, plan) = T::prepare(
            &columns,
            &samples,
            &params_from_wit(params),
            &context_from_wit(ctx),
        )
        .map_err(error_to_wit)?;
        let computed = plan
            .columns
            .iter()
            .filter(|c| c.source == crate::ColumnSource::Computed)
            .count();
        install(TransformState { plugin, computed });
        Ok(bindings::transform::TransformPlan {
            columns: plan
                .columns
                .into_iter()
                .map(|c| OutputColumn {
                    name: c.name,
                    source: match c.source {
                        crate::ColumnSource::Input(i) => W::Input(i),
                        crate::ColumnSource::Constant(s) => W::Constant(s),
                        crate::ColumnSource::Computed => W::Computed,
                    },
                })
                .collect(),
            reads: plan.reads,
            warnings: plan.warnings,
            mappings: plan
                .mappings
                .into_iter()
                .map(|m| bindings::transform::ColumnMapping {
                    input: m.input,
                    targets: m.targets,
                    confidence: m.confidence,
                    reason: m.reason,
                    status: match m.status {
                        MappingStatus::Certain => bindings::transform::MappingStatus::Certain,
                        MappingStatus::Uncertain => bindings::transform::MappingStatus::Uncertain,
                        MappingStatus::Excluded => bindings::transform::MappingStatus::Excluded,
                        MappingStatus::Unmapped => bindings::transform::MappingStatus::Unmapped,
                    },
                    applied: m.applied,
                })
                .collect(),
        })
    }

    fn process(rows: wit::Batch) -> Result<bindings::transform::TransformOutput, wit::Error> {
        let rows = batch_from_wit(rows).map_err(error_to_wit)?;
        with_state::<TransformState<T>, _>(|state| {
            let mut out = TransformOutput {
                values: Batch::with_capacity(state.computed, rows.len(), rows.text_len()),
                verdicts: Vec::new(),
            };
            state.plugin.process(&rows, &mut out)?;
            Ok(bindings::transform::TransformOutput {
                values: batch_to_wit(out.values),
                verdicts: verdicts_to_wit(out.verdicts),
            })
        })
        .map_err(error_to_wit)
    }
}

// ---- validator ----

/// Exports a [`Validator`] impl through the `validator` world.
#[doc(hidden)]
pub struct ValidatorAdapter<T>(std::marker::PhantomData<T>);

impl<T: Validator> bindings::validator::Guest for ValidatorAdapter<T> {
    fn describe() -> wit::PluginInfo {
        info_to_wit(T::describe())
    }

    fn prepare(
        columns: Vec<String>,
        params: Vec<wit::Param>,
        ctx: wit::Context,
    ) -> Result<bindings::validator::ValidatorPlan, wit::Error> {
        let (plugin, plan) = T::prepare(&columns, &params_from_wit(params), &context_from_wit(ctx))
            .map_err(error_to_wit)?;
        install(plugin);
        Ok(bindings::validator::ValidatorPlan {
            reads: plan.reads,
            warnings: plan.warnings,
        })
    }

    fn validate(rows: wit::Batch) -> Result<Vec<wit::RowVerdict>, wit::Error> {
        let rows = batch_from_wit(rows).map_err(error_to_wit)?;
        with_state::<T, _>(|plugin| {
            let mut verdicts = Vec::new();
            plugin.validate(&rows, &mut verdicts)?;
            Ok(verdicts_to_wit(verdicts))
        })
        .map_err(error_to_wit)
    }
}

// ---- matcher ----

/// The candidates of a batch, from their WIT form.
fn candidates_from_wit(
    candidates: bindings::matcher::Candidates,
) -> Result<crate::Candidates, crate::Error> {
    Ok(crate::Candidates {
        contacts: batch_from_wit(candidates.contacts)?,
        ids: candidates.ids,
        ends: candidates.ends,
        of: candidates.of,
    })
}

/// Exports a [`Matcher`] impl through the `matcher` world.
#[doc(hidden)]
pub struct MatcherAdapter<T>(std::marker::PhantomData<T>);

impl<T: Matcher> bindings::matcher::Guest for MatcherAdapter<T> {
    fn describe() -> wit::PluginInfo {
        info_to_wit(T::describe())
    }

    fn prepare(
        columns: Vec<String>,
        params: Vec<wit::Param>,
        ctx: wit::Context,
    ) -> Result<Vec<String>, wit::Error> {
        let (plugin, warnings) =
            T::prepare(&columns, &params_from_wit(params), &context_from_wit(ctx))
                .map_err(error_to_wit)?;
        install(plugin);
        Ok(warnings)
    }

    fn keys(records: wit::Batch) -> Result<bindings::matcher::KeySets, wit::Error> {
        let records = batch_from_wit(records).map_err(error_to_wit)?;
        with_state::<T, _>(|plugin| {
            let (ends, keys) = crate::matcher_keys(plugin, &records);
            Ok(bindings::matcher::KeySets {
                ends,
                keys: packed_to_wit(keys),
            })
        })
        .map_err(error_to_wit)
    }

    fn load_model(model: Option<String>) -> Result<(), wit::Error> {
        with_state::<T, _>(|plugin| plugin.load_model(model.as_deref())).map_err(error_to_wit)
    }

    fn estimate(
        records: wit::Batch,
        candidates: bindings::matcher::Candidates,
    ) -> Result<Option<String>, wit::Error> {
        let records = batch_from_wit(records).map_err(error_to_wit)?;
        let candidates = candidates_from_wit(candidates).map_err(error_to_wit)?;
        candidates.check(records.len()).map_err(error_to_wit)?;
        with_state::<T, _>(|plugin| plugin.estimate(&records, &candidates)).map_err(error_to_wit)
    }

    fn score(
        records: wit::Batch,
        candidates: bindings::matcher::Candidates,
    ) -> Result<Vec<bindings::matcher::MatchScore>, wit::Error> {
        let records = batch_from_wit(records).map_err(error_to_wit)?;
        let candidates = candidates_from_wit(candidates).map_err(error_to_wit)?;
        with_state::<T, _>(|plugin| {
            let scores = crate::matcher_scores(plugin, &records, &candidates)?;
            Ok(scores
                .into_iter()
                .map(|s| bindings::matcher::MatchScore {
                    index: s.index,
                    contact: s.contact,
                    score: s.score.score,
                    reasons: s.score.reasons,
                    household: s.score.household,
                })
                .collect())
        })
        .map_err(error_to_wit)
    }
}

/// Exports a [`Source`](crate::Source) implementation as this component's `source` world.
///
/// Invoke it once, at the crate root, only when compiling to wasm, so the crate also builds
/// natively for its tests: `#[cfg(target_family = "wasm")] sluice_sdk::export_source!(MySource);`.
#[macro_export]
macro_rules! export_source {
    ($ty:ty) => {
        type __SluiceSourceExport = $crate::guest::SourceAdapter<$ty>;
        $crate::guest::bindings::source::export_raw!(__SluiceSourceExport with_types_in $crate::guest::bindings::source);
    };
}

/// Exports a [`Transform`](crate::Transform) implementation as this component's `transform` world.
#[macro_export]
macro_rules! export_transform {
    ($ty:ty) => {
        type __SluiceTransformExport = $crate::guest::TransformAdapter<$ty>;
        $crate::guest::bindings::transform::export_raw!(__SluiceTransformExport with_types_in $crate::guest::bindings::transform);
    };
}

/// Exports a [`Validator`](crate::Validator) implementation as this component's `validator` world.
#[macro_export]
macro_rules! export_validator {
    ($ty:ty) => {
        type __SluiceValidatorExport = $crate::guest::ValidatorAdapter<$ty>;
        $crate::guest::bindings::validator::export_raw!(__SluiceValidatorExport with_types_in $crate::guest::bindings::validator);
    };
}

/// Exports a [`Matcher`](crate::Matcher) implementation as this component's `matcher` world.
#[macro_export]
macro_rules! export_matcher {
    ($ty:ty) => {
        type __SluiceMatcherExport = $crate::guest::MatcherAdapter<$ty>;
        $crate::guest::bindings::matcher::export_raw!(__SluiceMatcherExport with_types_in $crate::guest::bindings::matcher);
    };
}
