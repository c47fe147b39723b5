//! Plain-Rust twins of the WIT types: what plugin code and the host's tests work with.

use std::fmt;

/// The WIT package version this SDK speaks; `describe()` reports it so the host can print a
/// prepared message when a plugin was built against an incompatible ABI.
pub const ABI_VERSION: &str = "0.6.0";

/// What a plugin does in a pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Bytes of a file in, rows out.
    Source,
    /// Rows in, rows out.
    Transform,
    /// Rows in, verdicts out.
    Validator,
    /// Records in, blocking keys and candidate scores out.
    Matcher,
}

impl Kind {
    /// The lower-case name used in TOML, CLI output and WIT.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Transform => "transform",
            Kind::Validator => "validator",
            Kind::Matcher => "matcher",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a parameter value as written in TOML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// A string.
    Text,
    /// An integer.
    Integer,
    /// A float (an integer is accepted too).
    Number,
    /// `true` or `false`.
    Boolean,
    /// An array of strings.
    TextList,
    /// A table of strings.
    TextMap,
}

impl ParamType {
    /// How the type is named to users.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Text => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::TextList => "array of strings",
            ParamType::TextMap => "table of strings",
        }
    }
}

/// One parameter a plugin accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// The TOML key.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Whether the pipeline must set it.
    pub required: bool,
    /// The default, as TOML source text.
    pub default_value: Option<String>,
    /// One sentence for pipeline authors.
    pub help: String,
}

impl ParamSpec {
    /// An optional parameter with a default (TOML source text, e.g. `"\"auto\""` or `"512"`).
    #[must_use]
    pub fn optional(name: &str, ty: ParamType, default_value: &str, help: &str) -> Self {
        Self {
            name: name.into(),
            ty,
            required: false,
            default_value: Some(default_value.into()),
            help: help.into(),
        }
    }

    /// An optional parameter without a default.
    #[must_use]
    pub fn unset(name: &str, ty: ParamType, help: &str) -> Self {
        Self {
            name: name.into(),
            ty,
            required: false,
            default_value: None,
            help: help.into(),
        }
    }

    /// A parameter the pipeline must set.
    #[must_use]
    pub fn required(name: &str, ty: ParamType, help: &str) -> Self {
        Self {
            name: name.into(),
            ty,
            required: true,
            default_value: None,
            help: help.into(),
        }
    }
}

/// What `describe()` returns.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginInfo {
    /// Short name.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The ABI version it was built against ([`ABI_VERSION`] of its SDK).
    pub abi_version: String,
    /// Its kind.
    pub kind: Kind,
    /// One sentence on what it does.
    pub summary: String,
    /// Every parameter it accepts.
    pub params: Vec<ParamSpec>,
}

impl PluginInfo {
    /// Info for a plugin built with this SDK; pass `env!("CARGO_PKG_VERSION")` as `version`.
    #[must_use]
    pub fn new(
        name: &str,
        version: &str,
        kind: Kind,
        summary: &str,
        params: Vec<ParamSpec>,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            abi_version: ABI_VERSION.into(),
            kind,
            summary: summary.into(),
            params,
        }
    }
}

/// A checked parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// A string.
    Text(String),
    /// An integer.
    Integer(i64),
    /// A number.
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// An array of strings.
    TextList(Vec<String>),
    /// A table of strings, in file order.
    TextMap(Vec<(String, String)>),
}

/// The parameters of one plugin in a pipeline, already checked against its [`ParamSpec`]s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(pub Vec<(String, ParamValue)>);

impl Params {
    /// The raw value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A string parameter, or `default` when unset.
    pub fn text<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Text(s)) => Ok(s),
            Some(_) => Err(wrong_type(name, ParamType::Text)),
        }
    }

    /// An integer parameter, or `default` when unset.
    pub fn integer(&self, name: &str, default: i64) -> Result<i64, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Integer(i)) => Ok(*i),
            Some(_) => Err(wrong_type(name, ParamType::Integer)),
        }
    }

    /// A number parameter, or `default` when unset; integers are accepted.
    pub fn number(&self, name: &str, default: f64) -> Result<f64, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Number(n)) => Ok(*n),
            #[allow(clippy::cast_precision_loss)]
            // Parameter values are small, human-written numbers.
            Some(ParamValue::Integer(i)) => Ok(*i as f64),
            Some(_) => Err(wrong_type(name, ParamType::Number)),
        }
    }

    /// A boolean parameter, or `default` when unset.
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Boolean(b)) => Ok(*b),
            Some(_) => Err(wrong_type(name, ParamType::Boolean)),
        }
    }

    /// A list parameter; empty when unset.
    pub fn text_list(&self, name: &str) -> Result<&[String], Error> {
        match self.get(name) {
            None => Ok(&[]),
            Some(ParamValue::TextList(l)) => Ok(l),
            Some(_) => Err(wrong_type(name, ParamType::TextList)),
        }
    }

    /// A table parameter; empty when unset.
    pub fn text_map(&self, name: &str) -> Result<&[(String, String)], Error> {
        match self.get(name) {
            None => Ok(&[]),
            Some(ParamValue::TextMap(m)) => Ok(m),
            Some(_) => Err(wrong_type(name, ParamType::TextMap)),
        }
    }
}

fn wrong_type(name: &str, ty: ParamType) -> Error {
    Error::BadParams(format!("`{name}` must be a {}", ty.as_str()))
}

/// Facts about the import in hand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The pipeline's name.
    pub pipeline: String,
    /// The input file's name without directories.
    pub file_name: String,
    /// The import's IANA time zone.
    pub timezone: String,
    /// The member code of this import, if any.
    pub member_code: Option<String>,
}

/// What a problem does to a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Imported, and listed in the exceptions report.
    Flag(Vec<String>),
    /// Not imported; listed in the exceptions report.
    Reject(Vec<String>),
}

/// The verdict on row `index` of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowVerdict {
    /// Index within the batch.
    pub index: u32,
    /// The verdict.
    pub verdict: Verdict,
}

/// Why a plugin call failed as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A parameter is unusable; the message names it.
    BadParams(String),
    /// The input cannot be read at all.
    BadInput(String),
    /// A batch arrived before `prepare`/`open`.
    NotPrepared,
    /// Anything else.
    Other(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadParams(m) => write!(f, "bad parameter: {m}"),
            Error::BadInput(m) => f.write_str(m),
            Error::NotPrepared => f.write_str("called before prepare"),
            Error::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// Where a transform's output column comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnSource {
    /// Copied by the host from an input column.
    Input(u32),
    /// The same text in every row.
    Constant(String),
    /// Computed by [`crate::Transform::process`], in order of appearance.
    Computed,
}

/// One output column of a transform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputColumn {
    /// Its name.
    pub name: String,
    /// Where its values come from.
    pub source: ColumnSource,
}

/// How sure a transform is about where an input column goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MappingStatus {
    /// At or above the threshold, or confirmed by the pipeline; applied.
    Certain,
    /// A guess below the threshold: shown with a warning, applied only once confirmed.
    Uncertain,
    /// Dropped because the pipeline says so.
    Excluded,
    /// Matched to no field.
    Unmapped,
}

impl MappingStatus {
    /// The lower-case name used in CLI output and JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MappingStatus::Certain => "certain",
            MappingStatus::Uncertain => "uncertain",
            MappingStatus::Excluded => "excluded",
            MappingStatus::Unmapped => "unmapped",
        }
    }
}

/// Where one input column goes (what `sluice map` shows for it).
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMapping {
    /// The input column, by index.
    pub input: u32,
    /// The fields it feeds (several for a composite column); for an uncertain mapping, the
    /// field it would feed once confirmed; empty when excluded or unmapped.
    pub targets: Vec<String>,
    /// 0 (a guess) to 1 (certain).
    pub confidence: f64,
    /// Why, in words.
    pub reason: String,
    /// Certain, uncertain, excluded or unmapped.
    pub status: MappingStatus,
    /// Whether the plan's columns use it.
    pub applied: bool,
}

/// A transform's plan, made from the header alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransformPlan {
    /// Output columns in order.
    pub columns: Vec<OutputColumn>,
    /// Input columns `process` reads.
    pub reads: Vec<u32>,
    /// Notes on the header.
    pub warnings: Vec<String>,
    /// Where each input column goes, for transforms that map columns onto fields.
    pub mappings: Vec<ColumnMapping>,
}

impl TransformPlan {
    /// How many columns `process` computes.
    #[must_use]
    pub fn computed(&self) -> usize {
        self.columns
            .iter()
            .filter(|c| c.source == ColumnSource::Computed)
            .count()
    }

    /// The output rows: each column copied from `input`, constant, or taken in order from
    /// the `computed` batch (one row per input row), as the host applies a plan.
    #[must_use]
    pub fn apply(&self, input: &crate::Batch, computed: &crate::Batch) -> crate::Batch {
        let mut out = crate::Batch::with_capacity(
            self.columns.len(),
            input.len(),
            input.text_len() + computed.text_len(),
        );
        for row in input.iter() {
            let mut next_computed = 0;
            let cells = self.columns.iter().map(|c| match &c.source {
                ColumnSource::Input(i) => row.get(*i as usize),
                ColumnSource::Constant(s) => s.as_str(),
                ColumnSource::Computed => {
                    next_computed += 1;
                    computed.cell(row.index(), next_computed - 1)
                }
            });
            out.push_row(row.number(), cells);
        }
        out
    }
}

/// A validator's plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorPlan {
    /// Input columns `validate` reads.
    pub reads: Vec<u32>,
    /// Notes on the header.
    pub warnings: Vec<String>,
}

/// A row a source could not read as a row of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReject {
    /// Its row number.
    pub row: u32,
    /// Why.
    pub reason: String,
    /// Its fields as read.
    pub fields: Vec<String>,
}

/// A matcher's judgement of one candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// 0 (not the same) to 1 (the same).
    pub score: f64,
    /// Evidence a person can read.
    pub reasons: Vec<String>,
    /// Whether the record is another member of the contact's household (a different first
    /// name at its address or phone): the host records it on the new contact.
    pub household: bool,
}

/// The fields of the interactions template, in template order: what `sluice template
/// interactions` writes and what the `mapping` plugin maps onto.
pub const TEMPLATE_FIELDS: [&str; 18] = [
    "Interaction Type",
    "Date",
    "Contact Type",
    "First Name",
    "Last Name",
    "Suffix",
    "Primary Address",
    "Primary Email",
    "Primary Phone",
    "Employer",
    "Occupation",
    "Member Code",
    "Call Result",
    "Pledge Amount",
    "Pledge Commitment",
    "Pledge Expected Date",
    "Pledge Source Code",
    "Notes",
];

/// The parts Primary Address may come in, in the order they are joined: the `mapping` plugin
/// outputs them as columns of these names beside Primary Address, and the host stores them
/// with the contact. They are not matching fields: matchers see the joined address.
pub const ADDRESS_PART_FIELDS: [&str; 5] =
    ["Address Line 1", "Address Line 2", "City", "State", "Zip"];

/// The contact fields, in the column order of matcher records and candidates.
pub const CONTACT_FIELDS: [&str; 9] = [
    "Contact Type",
    "First Name",
    "Last Name",
    "Suffix",
    "Primary Address",
    "Primary Email",
    "Primary Phone",
    "Employer",
    "Occupation",
];

/// Column index of a contact field in matcher records (see [`CONTACT_FIELDS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // The names are the docs.
pub enum ContactField {
    ContactType = 0,
    FirstName,
    LastName,
    Suffix,
    Address,
    Email,
    Phone,
    Employer,
    Occupation,
}

/// A contact record as a matcher sees it: a row of the contact-field batch.
#[derive(Clone, Copy, Debug)]
pub struct Contact<'a>(pub crate::Row<'a>);

impl<'a> Contact<'a> {
    /// The value of `field`, `""` when empty.
    #[must_use]
    pub fn get(&self, field: ContactField) -> &'a str {
        self.0.get(field as usize)
    }
}
