//! The `mapping` transform: maps a file's columns onto the interactions template and
//! normalises the values the rest of the pipeline relies on.
//!
//! From the header alone it plans which source column feeds which template field: a
//! column maps to a field when their names are equal ignoring case, spaces, `_`, `-` and
//! `.`, and the `columns` parameter overrides that. Plain fields are copied by the host;
//! Interaction Type, Contact Type, Date, Pledge Amount (and Member Code when the import
//! sets one) are computed here: canonical types, dates as UTC ISO-8601, money as integer
//! cents.
//!
//! What it must not do: reject rows (that is the validator's job, with reasons a person can
//! act on; this transform only flags dates it had to guess the order of), invent values,
//! or alter a value it cannot read: such values are passed on unchanged so the validator
//! can quote them.

pub mod normalise;

use std::borrow::Cow;
use std::str::FromStr;

use chrono_tz::Tz;
use normalise::{DateOrder, Decimal};
use sluice_sdk::{
    Batch, ColumnSource, Context, Error, Kind, OutputColumn, ParamSpec, ParamType, Params,
    PluginInfo, RowVerdict, Transform, TransformOutput, TransformPlan, Verdict,
};

/// The fields of the interactions template, in template (and output) order.
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

/// How a computed column is computed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Compute {
    InteractionType,
    ContactType,
    Date,
    Money,
    /// The cell, or the import's member code where the cell is empty.
    OrDefault(String),
}

/// The transform, holding the plan of computed columns.
pub struct Mapping {
    /// One entry per computed column, in output order; batch column `i` feeds entry `i`.
    computed: Vec<Compute>,
    date_order: DateOrder,
    decimal: Decimal,
    timezone: Tz,
    flag_ambiguous: bool,
}

/// The form names are compared in: lower case without spaces, `_`, `-` or `.`.
#[must_use]
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn template_field(name: &str) -> Option<usize> {
    let key = normalise_name(name);
    TEMPLATE_FIELDS
        .iter()
        .position(|f| normalise_name(f) == key)
}

/// The index of the source column `name`: exact (trimmed) first, then ignoring case.
fn source_column(columns: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    columns.iter().position(|c| c.trim() == name).or_else(|| {
        columns
            .iter()
            .position(|c| c.trim().eq_ignore_ascii_case(name))
    })
}

/// How a column is named in messages: its header, or its position when the header is empty.
fn show_column(columns: &[String], i: usize) -> String {
    match columns.get(i).map(|c| c.trim()) {
        Some(name) if !name.is_empty() => format!("{name:?}"),
        _ => format!("column {} (no name)", i + 1),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn compute_kind(field: &str) -> Option<Compute> {
    match field {
        "Interaction Type" => Some(Compute::InteractionType),
        "Contact Type" => Some(Compute::ContactType),
        "Date" => Some(Compute::Date),
        "Pledge Amount" => Some(Compute::Money),
        _ => None,
    }
}

struct Options {
    date_order: DateOrder,
    decimal: Decimal,
    flag_ambiguous: bool,
    timezone: Tz,
}

impl Options {
    fn from_params(params: &Params, ctx: &Context) -> Result<Self, Error> {
        let template = params.text("template", "interactions")?;
        if template != "interactions" {
            return Err(Error::BadParams(format!(
                "`template` {template:?} is not a template; the one template is \"interactions\""
            )));
        }
        let date_order = match params.text("date_order", "mdy")? {
            "mdy" => DateOrder::Mdy,
            "dmy" => DateOrder::Dmy,
            other => {
                return Err(Error::BadParams(format!(
                    "`date_order` {other:?} is not one of \"mdy\" (3/4/2025 is March 4) or \
                     \"dmy\" (3/4/2025 is 3 April)"
                )));
            }
        };
        let decimal = match params.text("decimal_separator", ".")? {
            "." => Decimal::Point,
            "," => Decimal::Comma,
            other => {
                return Err(Error::BadParams(format!(
                    "`decimal_separator` {other:?} is not one of \".\" (1,250.00) or \",\" \
                     (1.250,00)"
                )));
            }
        };
        let flag_ambiguous = match params.text("ambiguous_dates", "flag")? {
            "flag" => true,
            "allow" => false,
            other => {
                return Err(Error::BadParams(format!(
                    "`ambiguous_dates` {other:?} is not one of \"flag\" or \"allow\""
                )));
            }
        };
        let tz_name = ctx.timezone.trim();
        let timezone = if tz_name.is_empty() {
            Tz::UTC
        } else {
            Tz::from_str(tz_name).map_err(|_| {
                Error::BadParams(format!(
                    "the import's timezone {tz_name:?} is not an IANA time zone name such as \
                     \"America/New_York\" or \"UTC\""
                ))
            })?
        };
        Ok(Self {
            date_order,
            decimal,
            flag_ambiguous,
            timezone,
        })
    }
}

impl Transform for Mapping {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "mapping",
            env!("CARGO_PKG_VERSION"),
            Kind::Transform,
            "Maps source columns onto the interactions template and normalises types, dates and money",
            vec![
                ParamSpec::optional(
                    "template",
                    ParamType::Text,
                    "\"interactions\"",
                    "The template to map onto; \"interactions\" is the one there is",
                ),
                ParamSpec::unset(
                    "columns",
                    ParamType::TextMap,
                    "Explicit mappings, template field = source column; other columns map by name",
                ),
                ParamSpec::unset(
                    "exclude",
                    ParamType::TextList,
                    "Source columns never to map",
                ),
                ParamSpec::optional(
                    "date_order",
                    ParamType::Text,
                    "\"mdy\"",
                    "How to read numeric dates: \"mdy\" (3/4/2025 is March 4) or \"dmy\" (3 April)",
                ),
                ParamSpec::optional(
                    "ambiguous_dates",
                    ParamType::Text,
                    "\"flag\"",
                    "A numeric date valid in both orders (3/4/2025): \"flag\" the row in the report, or \"allow\" it silently",
                ),
                ParamSpec::optional(
                    "decimal_separator",
                    ParamType::Text,
                    "\".\"",
                    "The decimal separator of Pledge Amount: \".\" (1,250.00) or \",\" (1.250,00 or 1 250,00)",
                ),
            ],
        )
    }

    fn prepare(
        columns: &[String],
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, TransformPlan), Error> {
        let options = Options::from_params(params, ctx)?;
        let mut warnings = Vec::new();

        let mut excluded = vec![false; columns.len()];
        for name in params.text_list("exclude")? {
            match source_column(columns, name) {
                Some(i) => {
                    if let Some(e) = excluded.get_mut(i) {
                        *e = true;
                    }
                }
                // One pipeline reads many exports; a column absent from this one is normal.
                None => warnings.push(format!(
                    "`exclude` names {name:?}, which is not a column of this file"
                )),
            }
        }

        // Template field index -> source column index.
        let mut assigned: [Option<usize>; TEMPLATE_FIELDS.len()] = [None; TEMPLATE_FIELDS.len()];
        let mut used = vec![false; columns.len()];
        for (field, header) in params.text_map("columns")? {
            let Some(f) = template_field(field) else {
                return Err(Error::BadParams(format!(
                    "`columns` names {field:?}, which is not a field of the interactions \
                     template ({})",
                    quoted_list(&TEMPLATE_FIELDS)
                )));
            };
            let Some(i) = source_column(columns, header) else {
                let names: Vec<&str> = columns.iter().map(|c| c.trim()).collect();
                return Err(Error::BadParams(format!(
                    "`columns` maps {:?} to {header:?}, which is not a column of this file \
                     (its columns: {})",
                    TEMPLATE_FIELDS.get(f).copied().unwrap_or(field.as_str()),
                    quoted_list(&names)
                )));
            };
            if excluded.get(i).copied().unwrap_or(false) {
                return Err(Error::BadParams(format!(
                    "{} is both in `exclude` and mapped in `columns`",
                    show_column(columns, i)
                )));
            }
            if let Some(slot) = assigned.get_mut(f) {
                if slot.is_some() {
                    return Err(Error::BadParams(format!(
                        "`columns` maps {:?} more than once",
                        TEMPLATE_FIELDS.get(f).copied().unwrap_or_default()
                    )));
                }
                *slot = Some(i);
            }
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }

        let mut unmapped = Vec::new();
        for (i, name) in columns.iter().enumerate() {
            if excluded.get(i).copied().unwrap_or(false) || used.get(i).copied().unwrap_or(false) {
                continue;
            }
            let field = template_field(name);
            match field.and_then(|f| assigned.get_mut(f).map(|slot| (f, slot))) {
                Some((_, slot @ None)) => {
                    *slot = Some(i);
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                }
                Some((f, Some(taken))) => warnings.push(format!(
                    "{} also matches {:?}, which is taken from {}: it is dropped",
                    show_column(columns, i),
                    TEMPLATE_FIELDS.get(f).copied().unwrap_or_default(),
                    show_column(columns, *taken)
                )),
                None => unmapped.push(show_column(columns, i)),
            }
        }
        if !unmapped.is_empty() {
            warnings.push(format!(
                "not in the interactions template, dropped: {}",
                unmapped.join(", ")
            ));
        }

        let member_code = ctx
            .member_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let mut plan_columns = Vec::new();
        let mut reads = Vec::new();
        let mut computed = Vec::new();
        for (field, source) in TEMPLATE_FIELDS.iter().zip(assigned) {
            let name = (*field).to_string();
            let kind = compute_kind(field).or_else(|| match (*field, member_code) {
                ("Member Code", Some(code)) => Some(Compute::OrDefault(code.to_string())),
                _ => None,
            });
            let source = match (source, kind) {
                (Some(i), Some(kind)) => {
                    reads.push(u32::try_from(i).unwrap_or(u32::MAX));
                    computed.push(kind);
                    ColumnSource::Computed
                }
                (Some(i), None) => ColumnSource::Input(u32::try_from(i).unwrap_or(u32::MAX)),
                (None, Some(Compute::OrDefault(code))) => ColumnSource::Constant(code),
                (None, _) => continue,
            };
            plan_columns.push(OutputColumn { name, source });
        }

        let missing: Vec<&str> = ["Interaction Type", "Date", "Contact Type"]
            .into_iter()
            .filter(|f| !plan_columns.iter().any(|c| c.name == *f))
            .collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "no column for the required field(s) {}: every row will be rejected; name the \
                 source column in `columns`",
                missing.join(", ")
            ));
        }

        Ok((
            Self {
                computed,
                date_order: options.date_order,
                decimal: options.decimal,
                timezone: options.timezone,
                flag_ambiguous: options.flag_ambiguous,
            },
            TransformPlan {
                columns: plan_columns,
                reads,
                warnings,
            },
        ))
    }

    fn process(&mut self, rows: &Batch, out: &mut TransformOutput) -> Result<(), Error> {
        let TransformOutput { values, verdicts } = out;
        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(self.computed.len());
        for row in rows.iter() {
            cells.clear();
            let mut flags = Vec::new();
            for (c, kind) in self.computed.iter().enumerate() {
                let raw = row.get(c);
                cells.push(self.compute(kind, raw, &mut flags));
            }
            values.push_row(row.number(), &cells);
            if !flags.is_empty() {
                verdicts.push(RowVerdict {
                    index: u32::try_from(row.index()).unwrap_or(u32::MAX),
                    verdict: Verdict::Flag(flags),
                });
            }
        }
        Ok(())
    }
}

impl Mapping {
    /// One computed cell; `flags` collects what the row should be flagged for.
    fn compute<'a>(
        &self,
        kind: &'a Compute,
        raw: &'a str,
        flags: &mut Vec<String>,
    ) -> Cow<'a, str> {
        if raw.trim().is_empty() {
            return match kind {
                Compute::OrDefault(code) => Cow::Borrowed(code.as_str()),
                _ => Cow::Borrowed(""),
            };
        }
        match kind {
            Compute::InteractionType => normalise::interaction_type(raw),
            Compute::ContactType => normalise::contact_type(raw),
            Compute::Money => match normalise::money_cents(raw, self.decimal) {
                Some(cents) => Cow::Owned(cents.to_string()),
                None => Cow::Borrowed(raw),
            },
            Compute::Date => match normalise::date(raw, self.date_order, self.timezone) {
                Some(date) => {
                    if self.flag_ambiguous
                        && let Some(other) = date.other_reading
                    {
                        flags.push(format!(
                            "Date {:?} is ambiguous: read as {} (date_order = \"{}\"), it could \
                             also be {}",
                            raw.trim(),
                            normalise::ymd(date.local_date),
                            self.date_order.as_str(),
                            normalise::ymd(other)
                        ));
                    }
                    Cow::Owned(date.utc)
                }
                None => Cow::Borrowed(raw),
            },
            Compute::OrDefault(_) => Cow::Borrowed(raw),
        }
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_transform!(Mapping);
