//! Pipeline configuration: TOML → [`PipelineSpec`], with errors that name the file, the line
//! and the key, and plugin parameters checked against each plugin's `describe()` before any
//! data is read.
//!
//! Paths in a pipeline (custom plugins, the store) are relative to the pipeline file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use sluice_sdk::{CONTACT_FIELDS, Kind, ParamType, ParamValue, Params, PluginInfo};
use toml::Spanned;

use crate::plugin::{self, Limits};
use crate::store::FieldPolicy;

mod watch;

pub use watch::{ALWAYS_IGNORED, DEFAULT_PATTERNS, WatchSpec};

/// Where in a file something is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The pipeline file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// A pipeline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("cannot read pipeline {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A plugin of the pipeline cannot be loaded.
    #[error("{at}: {source}")]
    Plugin {
        /// Where the plugin is named.
        at: Location,
        /// Why it cannot be loaded.
        source: plugin::Error,
    },
}

/// One stage of a pipeline: which plugin, with which parameters.
#[derive(Clone, Debug)]
pub struct StageSpec {
    /// How the pipeline names the stage in messages, e.g. `[[validate]] #1`.
    pub section: String,
    /// A built-in plugin name or a path to a `.wasm` (relative to the pipeline file).
    pub plugin: String,
    /// The parameters as written, with their lines.
    params: Vec<(String, usize, toml::Value)>,
    /// Where the stage's `plugin` key is.
    line: usize,
}

/// `[source] plugin = "auto"`: the file extensions each built-in source reads.
pub const AUTO_SOURCES: [(&str, &[&str]); 2] = [
    ("csv", &["csv", "tsv", "tab", "txt"]),
    ("excel", &["xlsx", "xlsm", "xlsb", "xls", "ods"]),
];

/// A source that `plugin = "auto"` picks for files with one of `extensions`.
#[derive(Clone, Debug)]
pub struct AutoSource {
    /// Lower-case file extensions, without the dot.
    pub extensions: &'static [&'static str],
    /// The stage: a built-in source with its params from `[source.NAME]`.
    pub stage: StageSpec,
}

/// `[pipeline] on_rejected`: what an import does when rows are rejected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OnRejected {
    /// Import the other rows; rejected ones go to the exceptions report (the default).
    Continue,
    /// Import nothing when more than `max_rejected` (a share of the rows, 0 to 1) of the
    /// file's rows are rejected; the exceptions report is kept.
    Abort {
        /// The largest share of rejected rows that still imports; 0: any rejected row aborts.
        max_rejected: f64,
    },
}

/// `[pipeline] on_plugin_error`: what an import does when a transform, validator or matcher
/// fails on a batch (a trap, the call deadline, the memory limit, an invalid result or an
/// error it returns). A source's failure always ends the import: its rows are unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnPluginError {
    /// The file fails and nothing of it is imported (the default).
    #[default]
    Abort,
    /// Every row of the failed batch is rejected with the failure as its reason; the import
    /// goes on with the next batch on fresh plugin instances.
    SkipBatch,
    /// The failed batch is run again in halves on fresh instances until the rows that fail
    /// alone are found; they are rejected, every other row is imported.
    Bisect,
}

impl OnPluginError {
    /// The setting as written in TOML.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OnPluginError::Abort => "abort",
            OnPluginError::SkipBatch => "skip-batch",
            OnPluginError::Bisect => "bisect",
        }
    }
}

/// The `[match]` section: the matcher and the host's decision thresholds.
#[derive(Clone, Debug)]
pub struct MatchSpec {
    /// The matcher stage.
    pub stage: StageSpec,
    /// A best score at or above this attaches the row to the contact.
    pub auto_accept: f64,
    /// A best score at or above this (but below `auto_accept`) creates a new contact and
    /// flags the row as a possible duplicate.
    pub review: f64,
    /// What a row matching several contacts about equally well does.
    pub on_ambiguous: OnAmbiguous,
    /// How a matched contact's fields take the row's values, in contact-field order
    /// (`[match.append]`; `fill` unless set).
    pub append: [FieldPolicy; 9],
}

/// `[match] on_ambiguous`: what a row that matches several contacts about equally well does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnAmbiguous {
    /// Reject the row to the exceptions report, listing the candidates (the default).
    #[default]
    Reject,
    /// Create a new contact and flag the row, listing the candidates.
    New,
    /// Attach the row to the best-scoring candidate and flag it, listing the others.
    Best,
}

impl OnAmbiguous {
    /// The setting as written in TOML.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OnAmbiguous::Reject => "reject",
            OnAmbiguous::New => "new",
            OnAmbiguous::Best => "best",
        }
    }
}

/// A checked pipeline.
#[derive(Clone, Debug)]
pub struct PipelineSpec {
    /// The pipeline file.
    pub path: PathBuf,
    /// The pipeline's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Default time zone of imports (IANA name).
    pub timezone: String,
    /// Default member code of imports.
    pub member_code: Option<String>,
    /// Rows per plugin call.
    pub batch_size: usize,
    /// What to do when rows are rejected.
    pub on_rejected: OnRejected,
    /// What to do when a plugin after the source fails on a batch.
    pub on_plugin_error: OnPluginError,
    /// Sandbox limits of every plugin instance.
    pub limits: Limits,
    /// The source stage; with `plugin = "auto"`, the CSV one (the first of `auto_sources`).
    pub source: StageSpec,
    /// With `plugin = "auto"`: the source for each kind of file, chosen by extension;
    /// empty when the pipeline names one source.
    pub auto_sources: Vec<AutoSource>,
    /// Transforms, in order.
    pub transforms: Vec<StageSpec>,
    /// Validators, in order.
    pub validators: Vec<StageSpec>,
    /// The matcher.
    pub matcher: MatchSpec,
    /// The store file.
    pub store_path: PathBuf,
    /// The `[watch]` section, if the pipeline has one.
    pub watch: Option<WatchSpec>,
    /// SHA-256 of the pipeline file, recorded with each import.
    pub hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    pipeline: RawMeta,
    source: RawSource,
    #[serde(default)]
    transform: Vec<RawStage>,
    #[serde(default)]
    validate: Vec<RawStage>,
    #[serde(rename = "match")]
    matcher: Option<RawMatch>,
    store: Option<RawStore>,
    /// Read by `sluice watch`.
    watch: Option<watch::RawWatch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    description: Option<String>,
    timezone: Option<Spanned<String>>,
    member_code: Option<String>,
    batch_size: Option<Spanned<i64>>,
    plugin_timeout_ms: Option<Spanned<i64>>,
    plugin_memory_mb: Option<Spanned<i64>>,
    on_rejected: Option<Spanned<String>>,
    max_rejected: Option<Spanned<toml::Value>>,
    on_plugin_error: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    plugin: Spanned<String>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, toml::Value>,
}

/// `[source]`: one plugin with `params`, or `plugin = "auto"` with a params table per
/// built-in source (`[source.csv]`, `[source.excel]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    plugin: Spanned<String>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, toml::Value>,
    csv: Option<Spanned<BTreeMap<Spanned<String>, toml::Value>>>,
    excel: Option<Spanned<BTreeMap<Spanned<String>, toml::Value>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    plugin: Spanned<String>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, toml::Value>,
    auto_accept: Option<Spanned<f64>>,
    review: Option<Spanned<f64>>,
    on_ambiguous: Option<Spanned<String>>,
    #[serde(default)]
    append: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<String>,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

impl PipelineSpec {
    /// Reads and checks a pipeline file (syntax, keys, types, ranges; not plugin params,
    /// see [`PipelineSpec::check_params`]).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Checks pipeline text read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let at = |offset: usize| Location {
            path: path.to_path_buf(),
            line: line_of(text, offset),
        };
        let raw: RawPipeline = toml::from_str(text).map_err(|e| Error::Invalid {
            at: at(e.span().map_or(0, |s| s.start)),
            message: e.message().trim().to_string(),
        })?;
        let invalid = |offset: usize, message: String| Error::Invalid {
            at: at(offset),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();

        let timezone = match raw.pipeline.timezone {
            Some(tz) => {
                check_timezone(tz.get_ref())
                    .map_err(|m| invalid(tz.span().start, format!("`timezone`: {m}")))?;
                tz.into_inner()
            }
            None => "UTC".to_string(),
        };
        let positive =
            |v: Option<Spanned<i64>>, key: &str, default: i64, max: i64| -> Result<u64, Error> {
                match v {
                    None => Ok(u64::try_from(default).unwrap_or(1)),
                    Some(v) if (1..=max).contains(v.get_ref()) => {
                        Ok(u64::try_from(*v.get_ref()).unwrap_or(1))
                    }
                    Some(v) => Err(invalid(
                        v.span().start,
                        format!("`{key}` must be between 1 and {max}, got {}", v.get_ref()),
                    )),
                }
            };
        let batch_size = positive(raw.pipeline.batch_size, "batch_size", 512, 65_536)?;
        let timeout_ms = positive(
            raw.pipeline.plugin_timeout_ms,
            "plugin_timeout_ms",
            10_000,
            3_600_000,
        )?;
        let memory_mb = positive(raw.pipeline.plugin_memory_mb, "plugin_memory_mb", 512, 4096)?;
        let on_rejected = on_rejected(
            raw.pipeline.on_rejected.as_ref(),
            raw.pipeline.max_rejected.as_ref(),
            &invalid,
        )?;
        let on_plugin_error = match raw.pipeline.on_plugin_error.as_ref() {
            None => OnPluginError::Abort,
            Some(v) => match v.get_ref().as_str() {
                "abort" => OnPluginError::Abort,
                "skip-batch" => OnPluginError::SkipBatch,
                "bisect" => OnPluginError::Bisect,
                other => {
                    return Err(invalid(
                        v.span().start,
                        format!(
                            "`on_plugin_error` {other:?} is not one of \"abort\", \"skip-batch\" or \"bisect\""
                        ),
                    ));
                }
            },
        };

        let stage = |section: String, raw: RawStage| StageSpec {
            section,
            plugin: raw.plugin.get_ref().clone(),
            line: line_of(text, raw.plugin.span().start),
            params: raw
                .params
                .into_iter()
                .map(|(k, v)| (k.get_ref().clone(), line_of(text, k.span().start), v))
                .collect(),
        };
        let matcher = match raw.matcher {
            Some(m) => {
                let threshold = |v: Option<Spanned<f64>>, key: &str, default: f64| match v {
                    None => Ok(default),
                    Some(v) if (0.0..=1.0).contains(v.get_ref()) => Ok(*v.get_ref()),
                    Some(v) => Err(invalid(
                        v.span().start,
                        format!("`[match] {key}` must be between 0 and 1"),
                    )),
                };
                let auto_accept = threshold(m.auto_accept, "auto_accept", 0.92)?;
                let review = threshold(m.review, "review", 0.75)?;
                if review > auto_accept {
                    return Err(invalid(
                        0,
                        format!(
                            "`[match] review` ({review}) must not be above `auto_accept` ({auto_accept})"
                        ),
                    ));
                }
                let (on_ambiguous, append) =
                    match_policies(m.on_ambiguous.as_ref(), &m.append, &invalid)?;
                let stage = stage(
                    "[match]".into(),
                    RawStage {
                        plugin: m.plugin,
                        params: m.params,
                    },
                );
                MatchSpec {
                    stage,
                    auto_accept,
                    review,
                    on_ambiguous,
                    append,
                }
            }
            None => MatchSpec {
                stage: StageSpec {
                    section: "[match]".into(),
                    plugin: "contacts".into(),
                    params: Vec::new(),
                    line: 1,
                },
                auto_accept: 0.92,
                review: 0.75,
                on_ambiguous: OnAmbiguous::Reject,
                append: [FieldPolicy::Fill; 9],
            },
        };
        let (source, auto_sources) = source_stages(raw.source, &stage, &invalid)?;
        let watch = raw
            .watch
            .map(|w| watch::check(w, &base, &invalid))
            .transpose()?;
        let store_path = base.join(
            raw.store
                .and_then(|s| s.path)
                .unwrap_or_else(|| "sluice.db".into()),
        );

        Ok(Self {
            path: path.to_path_buf(),
            name: raw.pipeline.name,
            description: raw.pipeline.description,
            timezone,
            member_code: raw.pipeline.member_code,
            batch_size: usize::try_from(batch_size).unwrap_or(512),
            on_rejected,
            on_plugin_error,
            limits: Limits {
                call_timeout: Duration::from_millis(timeout_ms),
                memory: usize::try_from(memory_mb << 20).unwrap_or(usize::MAX),
            },
            source,
            auto_sources,
            transforms: raw
                .transform
                .into_iter()
                .enumerate()
                .map(|(i, s)| stage(format!("[[transform]] #{}", i + 1), s))
                .collect(),
            validators: raw
                .validate
                .into_iter()
                .enumerate()
                .map(|(i, s)| stage(format!("[[validate]] #{}", i + 1), s))
                .collect(),
            matcher,
            store_path,
            watch,
            hash: plugin::hex(&Sha256::digest(text.as_bytes())),
        })
    }

    /// The directory plugin paths are relative to.
    #[must_use]
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// Every stage with the kind of plugin it needs, in pipeline order.
    #[must_use]
    pub fn stages(&self) -> Vec<(&StageSpec, Kind)> {
        let mut stages: Vec<(&StageSpec, Kind)> = if self.auto_sources.is_empty() {
            vec![(&self.source, Kind::Source)]
        } else {
            self.auto_sources
                .iter()
                .map(|a| (&a.stage, Kind::Source))
                .collect()
        };
        stages.extend(self.transforms.iter().map(|s| (s, Kind::Transform)));
        stages.extend(self.validators.iter().map(|s| (s, Kind::Validator)));
        stages.push((&self.matcher.stage, Kind::Matcher));
        stages
    }

    /// Where `stage` is declared.
    #[must_use]
    pub fn location(&self, stage: &StageSpec) -> Location {
        Location {
            path: self.path.clone(),
            line: stage.line,
        }
    }
}

impl StageSpec {
    /// The stage's parameters checked against what the plugin declares: unknown keys (with
    /// a suggestion), wrong types and missing required keys are errors naming file and line.
    pub fn check_params(&self, pipeline: &Path, info: &PluginInfo) -> Result<Params, Error> {
        let at = |line| Location {
            path: pipeline.to_path_buf(),
            line,
        };
        let mut params = Vec::new();
        for (key, line, value) in &self.params {
            let Some(spec) = info.params.iter().find(|p| p.name == *key) else {
                let closest = info
                    .params
                    .iter()
                    .map(|p| (strsim::jaro_winkler(&p.name, key), &p.name))
                    .filter(|(s, _)| *s > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let known: Vec<_> = info
                    .params
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect();
                let suggestion = match closest {
                    Some((_, name)) => format!("; did you mean `{name}`?"),
                    None if known.is_empty() => {
                        format!("; plugin `{}` takes no parameters", info.name)
                    }
                    None => format!("; plugin `{}` takes {}", info.name, known.join(", ")),
                };
                return Err(Error::Invalid {
                    at: at(*line),
                    message: format!(
                        "unknown parameter `{key}` in {} params{suggestion}",
                        self.section
                    ),
                });
            };
            let value = typed(value, spec.ty).ok_or_else(|| Error::Invalid {
                at: at(*line),
                message: format!(
                    "parameter `{key}` in {} params must be a {}, not {}",
                    self.section,
                    spec.ty.as_str(),
                    describe_value(value)
                ),
            })?;
            params.push((key.clone(), value));
        }
        if let Some(missing) = info
            .params
            .iter()
            .find(|p| p.required && !self.params.iter().any(|(k, _, _)| *k == p.name))
        {
            return Err(Error::Invalid {
                at: at(self.line),
                message: format!(
                    "{} needs parameter `{}` ({}) for plugin `{}`",
                    self.section, missing.name, missing.help, info.name
                ),
            });
        }
        Ok(Params(params))
    }
}

/// The source stage, and with `plugin = "auto"` one stage per built-in source.
fn source_stages(
    raw: RawSource,
    stage: &dyn Fn(String, RawStage) -> StageSpec,
    invalid: &dyn Fn(usize, String) -> Error,
) -> Result<(StageSpec, Vec<AutoSource>), Error> {
    let mut per_plugin = [("csv", raw.csv), ("excel", raw.excel)];
    if raw.plugin.get_ref() != "auto" {
        if let Some((name, Some(table))) = per_plugin.iter().find(|(_, t)| t.is_some()) {
            return Err(invalid(
                table.span().start,
                format!(
                    "[source.{name}] is only read with `plugin = \"auto\"`; put the parameters \
                     of plugin `{}` in [source.params]",
                    raw.plugin.get_ref()
                ),
            ));
        }
        let plugin = raw.plugin;
        return Ok((
            stage(
                "[source]".into(),
                RawStage {
                    plugin,
                    params: raw.params,
                },
            ),
            Vec::new(),
        ));
    }
    if let Some((key, _)) = raw.params.iter().next() {
        return Err(invalid(
            key.span().start,
            "with `plugin = \"auto\"` the source parameters go in [source.csv] and \
             [source.excel], one table per plugin, not in [source.params]"
                .into(),
        ));
    }
    let mut auto = Vec::new();
    for (name, extensions) in AUTO_SOURCES {
        let params = per_plugin
            .iter_mut()
            .find(|(n, _)| *n == name)
            .and_then(|(_, t)| t.take())
            .map(Spanned::into_inner)
            .unwrap_or_default();
        let plugin = Spanned::new(raw.plugin.span(), name.to_string());
        auto.push(AutoSource {
            extensions,
            stage: stage(format!("[source.{name}]"), RawStage { plugin, params }),
        });
    }
    let first = auto
        .first()
        .map(|a| a.stage.clone())
        .ok_or_else(|| invalid(raw.plugin.span().start, "no automatic sources".into()))?;
    Ok((first, auto))
}

/// `on_rejected` and `max_rejected` of `[pipeline]`.
fn on_rejected(
    mode: Option<&Spanned<String>>,
    max: Option<&Spanned<toml::Value>>,
    invalid: &dyn Fn(usize, String) -> Error,
) -> Result<OnRejected, Error> {
    let max_rejected = match max {
        None => None,
        Some(v) => {
            #[allow(clippy::cast_precision_loss)] // A share written by hand: 0 or 1.
            let ratio = match v.get_ref() {
                toml::Value::Float(f) => Some(*f),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            match ratio {
                Some(r) if (0.0..=1.0).contains(&r) => Some(r),
                _ => {
                    return Err(invalid(
                        v.span().start,
                        "`max_rejected` is the largest share of rejected rows that still \
                         imports, a number from 0 to 1 (0.1 = 10%)"
                            .into(),
                    ));
                }
            }
        }
    };
    match mode.map(|m| (m.get_ref().as_str(), m.span().start)) {
        None | Some(("continue", _)) => match max {
            Some(v) => Err(invalid(
                v.span().start,
                "`max_rejected` applies only with `on_rejected = \"abort\"`".into(),
            )),
            None => Ok(OnRejected::Continue),
        },
        Some(("abort", _)) => Ok(OnRejected::Abort {
            max_rejected: max_rejected.unwrap_or(0.0),
        }),
        Some((other, at)) => Err(invalid(
            at,
            format!("`on_rejected` {other:?} is not one of \"continue\" or \"abort\""),
        )),
    }
}

fn typed(value: &toml::Value, ty: ParamType) -> Option<ParamValue> {
    use toml::Value as V;
    Some(match (ty, value) {
        (ParamType::Text, V::String(s)) => ParamValue::Text(s.clone()),
        (ParamType::Integer, V::Integer(i)) => ParamValue::Integer(*i),
        (ParamType::Number, V::Float(f)) => ParamValue::Number(*f),
        #[allow(clippy::cast_precision_loss)] // A parameter is a small, human-written number.
        (ParamType::Number, V::Integer(i)) => ParamValue::Number(*i as f64),
        (ParamType::Boolean, V::Boolean(b)) => ParamValue::Boolean(*b),
        (ParamType::TextList, V::Array(a)) => ParamValue::TextList(
            a.iter()
                .map(|v| v.as_str().map(String::from))
                .collect::<Option<_>>()?,
        ),
        (ParamType::TextMap, V::Table(t)) => ParamValue::TextMap(
            t.iter()
                .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

fn describe_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("the string {s:?}"),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the number {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the date {d}"),
        toml::Value::Array(_) => "an array (of something other than strings)".into(),
        toml::Value::Table(_) => "a table (of something other than strings)".into(),
    }
}

/// Reads `[match] on_ambiguous` and `[match.append]` (contact field → `fill` | `replace` |
/// `ignore`; a field is named as in the template, e.g. `"Primary Email"`).
fn match_policies(
    on_ambiguous: Option<&Spanned<String>>,
    append: &BTreeMap<Spanned<String>, Spanned<String>>,
    invalid: &dyn Fn(usize, String) -> Error,
) -> Result<(OnAmbiguous, [FieldPolicy; 9]), Error> {
    let on_ambiguous = match on_ambiguous {
        None => OnAmbiguous::Reject,
        Some(v) => match v.get_ref().as_str() {
            "reject" => OnAmbiguous::Reject,
            "new" => OnAmbiguous::New,
            "best" => OnAmbiguous::Best,
            other => {
                return Err(invalid(
                    v.span().start,
                    format!(
                        "`[match] on_ambiguous` must be \"reject\", \"new\" or \"best\", not {other:?}"
                    ),
                ));
            }
        },
    };
    let mut policies = [FieldPolicy::Fill; 9];
    for (field, policy) in append {
        let Some(i) = CONTACT_FIELDS
            .iter()
            .position(|f| f.eq_ignore_ascii_case(field.get_ref().trim()))
        else {
            return Err(invalid(
                field.span().start,
                format!(
                    "`[match.append]`: {:?} is not a contact field; use one of {}",
                    field.get_ref(),
                    CONTACT_FIELDS
                        .iter()
                        .map(|f| format!("\"{f}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let Some(p) = FieldPolicy::parse(policy.get_ref()) else {
            return Err(invalid(
                policy.span().start,
                format!(
                    "`[match.append]` {:?} must be \"fill\", \"replace\" or \"ignore\", not {:?}",
                    field.get_ref(),
                    policy.get_ref()
                ),
            ));
        };
        if let Some(slot) = policies.get_mut(i) {
            *slot = p;
        }
    }
    Ok((on_ambiguous, policies))
}

/// Checks an IANA time zone name.
pub fn check_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "unknown time zone {name:?}; use an IANA name such as \"America/New_York\" or \"UTC\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PipelineSpec, Error> {
        PipelineSpec::parse(Path::new("p.toml"), text)
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let err =
            parse("[pipeline]\nname = \"x\"\ntimezon = \"UTC\"\n[source]\nplugin = \"csv\"\n")
                .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("p.toml:3: unknown field `timezon`"),
            "{msg}"
        );
    }

    #[test]
    fn auto_source_has_one_stage_per_builtin_source() {
        let spec = parse(
            "[pipeline]\nname = \"x\"\n[source]\nplugin = \"auto\"\n[source.csv]\n\
             delimiter = \";\"\n[source.excel]\nsheet = \"Export\"\n",
        )
        .unwrap();
        let stages: Vec<_> = spec
            .auto_sources
            .iter()
            .map(|a| {
                (
                    a.stage.section.as_str(),
                    a.stage.plugin.as_str(),
                    a.stage.params.len(),
                )
            })
            .collect();
        assert_eq!(
            stages,
            [("[source.csv]", "csv", 1), ("[source.excel]", "excel", 1)]
        );
        assert_eq!(spec.source.plugin, "csv");
        assert_eq!(spec.stages().len(), 3, "both sources and the matcher");

        let err = parse(
            "[pipeline]\nname = \"x\"\n[source]\nplugin = \"auto\"\n[source.params]\n\
             delimiter = \";\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "p.toml:6: with `plugin = \"auto\"` the source parameters go in [source.csv]"
            ),
            "{err}"
        );
    }

    #[test]
    fn defaults_and_relative_paths() {
        let spec = parse(
            "[pipeline]\nname = \"x\"\n[source]\nplugin = \"csv\"\n[store]\npath = \"data/s.db\"\n",
        )
        .unwrap();
        assert_eq!(spec.timezone, "UTC");
        assert_eq!(spec.batch_size, 512);
        assert_eq!(spec.store_path, Path::new("data/s.db"));
        assert_eq!(spec.matcher.stage.plugin, "contacts");
    }

    #[test]
    fn on_rejected_and_max_rejected() {
        let with = |keys: &str| {
            parse(&format!(
                "[pipeline]\nname = \"x\"\n{keys}\n[source]\nplugin = \"csv\"\n"
            ))
        };
        assert_eq!(with("").unwrap().on_rejected, OnRejected::Continue);
        assert_eq!(
            with("on_rejected = \"abort\"").unwrap().on_rejected,
            OnRejected::Abort { max_rejected: 0.0 }
        );
        assert_eq!(
            with("on_rejected = \"abort\"\nmax_rejected = 0.25")
                .unwrap()
                .on_rejected,
            OnRejected::Abort { max_rejected: 0.25 }
        );
        assert_eq!(
            with("on_rejected = \"abort\"\nmax_rejected = 1")
                .unwrap()
                .on_rejected,
            OnRejected::Abort { max_rejected: 1.0 }
        );
        for (keys, says) in [
            (
                "on_rejected = \"stop\"",
                "p.toml:3: `on_rejected` \"stop\" is not one of",
            ),
            (
                "max_rejected = 0.5",
                "p.toml:3: `max_rejected` applies only with",
            ),
            (
                "on_rejected = \"abort\"\nmax_rejected = 1.5",
                "p.toml:4: `max_rejected` is the largest share",
            ),
            (
                "on_rejected = \"abort\"\nmax_rejected = \"10%\"",
                "p.toml:4: `max_rejected` is the largest share",
            ),
        ] {
            let err = with(keys).unwrap_err().to_string();
            assert!(err.starts_with(says), "{keys}: {err}");
        }
    }

    #[test]
    fn on_plugin_error_modes() {
        let with = |keys: &str| {
            parse(&format!(
                "[pipeline]\nname = \"x\"\n{keys}\n[source]\nplugin = \"csv\"\n"
            ))
        };
        assert_eq!(with("").unwrap().on_plugin_error, OnPluginError::Abort);
        for mode in [
            OnPluginError::Abort,
            OnPluginError::SkipBatch,
            OnPluginError::Bisect,
        ] {
            let keys = format!("on_plugin_error = {:?}", mode.as_str());
            assert_eq!(with(&keys).unwrap().on_plugin_error, mode);
        }
        let err = with("on_plugin_error = \"retry\"").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "p.toml:3: `on_plugin_error` \"retry\" is not one of \"abort\", \"skip-batch\" or \"bisect\""
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_errors_with_lines() {
        let err = parse(
            "[pipeline]\nname = \"x\"\ntimezone = \"Mars/Base\"\n[source]\nplugin = \"csv\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:3: `timezone`: unknown time zone"),
            "{err}"
        );
        let err = parse("[pipeline]\nname = \"x\"\nbatch_size = 0\n[source]\nplugin = \"csv\"\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.toml:3: `batch_size` must be between 1"),
            "{err}"
        );
    }
}
