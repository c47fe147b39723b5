//! The `mapping` transform: maps a file's columns onto the interactions template and
//! normalises the values the rest of the pipeline relies on.
//!
//! From the header alone it plans which source column feeds which template field
//! (`headers`: exact names, spelling, synonyms, guesses by similarity, each with a
//! confidence and a reason) and reports that per column in the plan's `mappings`, which
//! `sluice map` shows. A guess below `min_confidence` is **uncertain**: listed with a
//! warning and not applied until `columns` confirms it. Composite columns are split (a full
//! name into First Name, Last Name, Suffix) or joined (address parts into Primary Address).
//! Values are normalised in `process`: types, dates, money (`normalise`), emails, phones
//! and names (`contact`).
//!
//! What it must not do: reject rows (that is the validator's job, with reasons a person can
//! act on; this transform only flags what it had to guess or drop), invent values, or
//! alter a value it cannot read, which is passed on unchanged so the validator can quote it
//! (an email that is not one is the exception: it is flagged and left out, so that it never
//! reaches contact matching).

pub mod contact;
pub use sluice_sdk::headers;
pub mod normalise;
pub mod values;

use std::borrow::Cow;
use std::str::FromStr;

use chrono_tz::Tz;
use contact::Region;
use headers::{AddressPart, Target};
use normalise::{DateOrder, Decimal};
use sluice_sdk::{
    Batch, ColumnMapping, ColumnSource, Context, Error, Kind, MappingStatus, OutputColumn,
    ParamSpec, ParamType, Params, PluginInfo, RowVerdict, Transform, TransformOutput,
    TransformPlan, Verdict,
};
use values::OrderSource;

/// The fields of the interactions template, in template (and output) order.
pub use sluice_sdk::TEMPLATE_FIELDS;

/// The default `min_confidence` (one definition, shared with the excel source's header
/// detection).
pub use sluice_sdk::headers::DEFAULT_MIN_CONFIDENCE;

/// Indexes into [`TEMPLATE_FIELDS`] the plan checks by name.
const INTERACTION_TYPE: usize = 0;
const DATE: usize = 1;
const CONTACT_TYPE: usize = 2;
const PLEDGE_EXPECTED_DATE: usize = 15;
const NOTES: usize = 17;

/// Which part of a full name a computed column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NamePart {
    First,
    Last,
    Suffix,
}

/// How a computed column is computed; the `usize`s are columns of the batch `process` gets.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Compute {
    InteractionType(usize),
    ContactType(usize),
    /// A date and time, read in the column's day/month order.
    Date(usize, DateOrder, OrderSource),
    /// A calendar date, `YYYY-MM-DD` (Pledge Expected Date).
    DateOnly(usize, DateOrder, OrderSource),
    Money(usize),
    Email(usize),
    Phone(usize),
    Name(usize),
    /// A part of the full name in column `full`; `contact_type` tells organizations apart.
    Split {
        full: usize,
        contact_type: Option<usize>,
        part: NamePart,
    },
    /// Primary Address joined from its parts.
    Address([Option<usize>; 5]),
    /// Primary Address from its own column, or joined from the parts where that cell is
    /// empty (the store keeps parts only beside the address they describe).
    AddressOr(usize, [Option<usize>; 5]),
    /// Notes followed by `Column: value` for each unmapped column (`unmapped = "notes"`).
    Notes {
        notes: Option<usize>,
        extra: Vec<(String, usize)>,
    },
}

/// The transform, holding the plan of computed columns.
pub struct Mapping {
    /// One entry per computed column, in output order.
    computed: Vec<Compute>,
    decimal: Decimal,
    timezone: Tz,
    flag_ambiguous: bool,
    region: Region,
}

/// The form names are compared in (see [`headers::fold`]).
#[must_use]
pub fn normalise_name(name: &str) -> String {
    headers::fold(name)
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

fn u32_of(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

struct Options {
    /// `None`: read from each column's values.
    date_order: Option<DateOrder>,
    decimal: Decimal,
    flag_ambiguous: bool,
    timezone: Tz,
    min_confidence: f64,
    unmapped_to_notes: bool,
    region: Region,
}

fn choice<'a>(
    params: &'a Params,
    name: &str,
    default: &'a str,
    allowed: &[(&str, &str)],
) -> Result<&'a str, Error> {
    let value = params.text(name, default)?;
    if allowed.iter().any(|(a, _)| *a == value) {
        return Ok(value);
    }
    let list: Vec<String> = allowed
        .iter()
        .map(|(a, meaning)| format!("{a:?} ({meaning})"))
        .collect();
    Err(Error::BadParams(format!(
        "`{name}` {value:?} is not one of {}",
        list.join(", ")
    )))
}

impl Options {
    fn from_params(params: &Params, ctx: &Context) -> Result<Self, Error> {
        let template = params.text("template", "interactions")?;
        if template != "interactions" {
            return Err(Error::BadParams(format!(
                "`template` {template:?} is not a template; the one template is \"interactions\""
            )));
        }
        let date_order = match choice(
            params,
            "date_order",
            "auto",
            &[
                ("auto", "read from each date column's values"),
                ("mdy", "3/4/2025 is March 4"),
                ("dmy", "3/4/2025 is 3 April"),
            ],
        )? {
            "dmy" => Some(DateOrder::Dmy),
            "mdy" => Some(DateOrder::Mdy),
            _ => None,
        };
        let decimal = match choice(
            params,
            "decimal_separator",
            ".",
            &[(".", "1,250.00"), (",", "1.250,00")],
        )? {
            "," => Decimal::Comma,
            _ => Decimal::Point,
        };
        let flag_ambiguous = choice(
            params,
            "ambiguous_dates",
            "flag",
            &[("flag", "listed in the report"), ("allow", "silently")],
        )? == "flag";
        let unmapped_to_notes = choice(
            params,
            "unmapped",
            "ignore",
            &[
                ("ignore", "listed as unmapped, not imported"),
                ("notes", "appended to Notes as `Column: value`"),
            ],
        )? == "notes";
        let min_confidence = params.number("min_confidence", DEFAULT_MIN_CONFIDENCE)?;
        if !(0.0..=1.0).contains(&min_confidence) {
            return Err(Error::BadParams(format!(
                "`min_confidence` {min_confidence} is not between 0 and 1"
            )));
        }
        let region_name = params.text("default_region", "US")?;
        let region = Region::named(region_name).ok_or_else(|| {
            let names: Vec<&str> = contact::REGIONS.iter().map(|(n, _, _)| *n).collect();
            Error::BadParams(format!(
                "`default_region` {region_name:?} is not one of {}",
                quoted_list(&names)
            ))
        })?;
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
            min_confidence,
            unmapped_to_notes,
            region,
        })
    }
}

/// The per-column decision while planning.
struct ColumnPlan {
    target: Option<Target>,
    confidence: f64,
    reason: String,
    status: MappingStatus,
}

/// The header planned: for each source column, where it goes and how sure that is.
fn plan_columns(
    columns: &[String],
    samples: &Batch,
    params: &Params,
    min_confidence: f64,
) -> Result<(Vec<ColumnPlan>, Vec<String>), Error> {
    let mut warnings = Vec::new();
    let mut plans: Vec<ColumnPlan> = columns
        .iter()
        .map(|_| ColumnPlan {
            target: None,
            confidence: 0.0,
            reason: String::new(),
            status: MappingStatus::Unmapped,
        })
        .collect();
    for name in params.text_list("exclude")? {
        match source_column(columns, name) {
            Some(i) => {
                if let Some(p) = plans.get_mut(i) {
                    p.status = MappingStatus::Excluded;
                    p.reason = "in `exclude`".into();
                }
            }
            // One pipeline reads many exports; a column absent from this one is normal.
            None => warnings.push(format!(
                "`exclude` names {name:?}, which is not a column of this file"
            )),
        }
    }
    let target_names: Vec<&str> = Target::all().map(Target::name).collect();
    let mut confirmed: Vec<Target> = Vec::new();
    for (field, header) in params.text_map("columns")? {
        let Some(target) = Target::named(field) else {
            return Err(Error::BadParams(format!(
                "`columns` names {field:?}, which is not a field of the interactions template \
                 ({})",
                quoted_list(&target_names)
            )));
        };
        let Some(i) = source_column(columns, header) else {
            let names: Vec<&str> = columns.iter().map(|c| c.trim()).collect();
            return Err(Error::BadParams(format!(
                "`columns` maps {:?} to {header:?}, which is not a column of this file (its \
                 columns: {})",
                target.name(),
                quoted_list(&names)
            )));
        };
        if confirmed.contains(&target) {
            return Err(Error::BadParams(format!(
                "`columns` maps {:?} more than once",
                target.name()
            )));
        }
        let Some(p) = plans.get_mut(i) else { continue };
        if p.status == MappingStatus::Excluded {
            return Err(Error::BadParams(format!(
                "{} is both in `exclude` and mapped in `columns`",
                show_column(columns, i)
            )));
        }
        if let Some(earlier) = p.target {
            return Err(Error::BadParams(format!(
                "`columns` maps {} to both {:?} and {:?}",
                show_column(columns, i),
                earlier.name(),
                target.name()
            )));
        }
        confirmed.push(target);
        *p = ColumnPlan {
            target: Some(target),
            confidence: 1.0,
            reason: "set in `columns`".into(),
            status: MappingStatus::Certain,
        };
    }

    // Automatic matches, from the header and the values together; a target already taken
    // (by `columns` or a better match) is not given twice.
    let mut auto: Vec<(usize, headers::HeaderMatch, Option<headers::HeaderMatch>)> = columns
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            plans
                .get(*i)
                .is_some_and(|p| p.status == MappingStatus::Unmapped && p.target.is_none())
        })
        .filter_map(|(i, name)| {
            let header = headers::match_header(name);
            values::decide(header.clone(), values::vote(samples, i)).map(|m| (i, m, header))
        })
        .collect();
    // Columns whose header is certain of their field first (values alone never take a
    // field from a column named for it: a `Created` column of dates before `Activity
    // Date`), then the most confident; the earlier column wins a tie.
    let named_for = |m: &headers::HeaderMatch, h: &Option<headers::HeaderMatch>| {
        h.as_ref()
            .is_some_and(|h| h.target == m.target && h.confidence >= min_confidence)
    };
    auto.sort_by(|(a, ma, ha), (b, mb, hb)| {
        named_for(mb, hb)
            .cmp(&named_for(ma, ha))
            .then(mb.confidence.total_cmp(&ma.confidence))
            .then(a.cmp(b))
    });
    let taken_by = |plans: &[ColumnPlan], target: Target| {
        plans
            .iter()
            .position(|p| p.target == Some(target) && p.status != MappingStatus::Unmapped)
    };
    // The field each column's header alone is certain of.
    let mut header_certain: Vec<Option<Target>> = vec![None; columns.len()];
    let mut clashes = Vec::new();
    for (i, mut m, header) in auto {
        let mut taken = taken_by(&plans, m.target);
        // Values that overruled the header yield to a column that is that field: the
        // header's own field is the next best (a Source Code column of `Mail`, `Email`
        // beside an Interaction Type column).
        if taken.is_some()
            && let Some(h) = header.as_ref().filter(|h| h.target != m.target)
            && taken_by(&plans, h.target).is_none()
        {
            m = h.clone();
            taken = None;
        }
        let by_header = named_for(&m, &header);
        // Two columns whose headers are each certain to be the same field: importing either
        // one silently would drop the other's values. Several Notes columns are common and
        // harmless (the others stay listed, and `unmapped = "notes"` keeps them).
        if let Some(j) = taken
            && by_header
            && header_certain.get(j).copied().flatten() == Some(m.target)
            && !confirmed.contains(&m.target)
            && m.target != Target::Field(NOTES)
        {
            clashes.push((j, i, m.target));
        }
        let Some(p) = plans.get_mut(i) else { continue };
        if let Some(j) = taken {
            p.reason = format!(
                "looks like {} ({}), which comes from {}",
                m.target.name(),
                m.reason,
                show_column(columns, j)
            );
            p.confidence = m.confidence;
            continue;
        }
        if by_header && let Some(slot) = header_certain.get_mut(i) {
            *slot = Some(m.target);
        }
        p.status = if m.confidence >= min_confidence {
            MappingStatus::Certain
        } else {
            MappingStatus::Uncertain
        };
        p.target = Some(m.target);
        p.confidence = m.confidence;
        p.reason = m.reason;
    }
    if let Some(&(j, i, target)) = clashes.first() {
        let (first, second) = (show_column(columns, j), show_column(columns, i));
        let header = |c: usize| columns.get(c).map_or("", |c| c.trim()).to_string();
        return Err(Error::BadInput(format!(
            "columns {first} and {second} both map to {:?}; say which one in the mapping's \
             params, e.g. columns = {{ {:?} = {:?} }} (and `exclude = [{:?}]` to drop the \
             other){}",
            target.name(),
            target.name(),
            header(j),
            header(i),
            if clashes.len() > 1 {
                format!(" ({} more such clashes)", clashes.len() - 1)
            } else {
                String::new()
            }
        )));
    }
    // A file none of whose columns is a date, an interaction type or a contact type is
    // another kind of file, not an interactions export with bad rows.
    let identifying = [INTERACTION_TYPE, DATE, CONTACT_TYPE].map(Target::Field);
    if !plans
        .iter()
        .any(|p| p.target.is_some_and(|t| identifying.contains(&t)))
    {
        let names: Vec<&str> = columns.iter().map(|c| c.trim()).collect();
        return Err(Error::BadInput(format!(
            "no column maps to Interaction Type, Date or Contact Type (the file's columns: {}): \
             this does not look like an interactions export; map one in the mapping's params \
             (columns = {{ \"Date\" = \"...\" }}) if it is one",
            quoted_list(&names)
        )));
    }
    Ok((plans, warnings))
}

impl Transform for Mapping {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "mapping",
            env!("CARGO_PKG_VERSION"),
            Kind::Transform,
            "Maps source columns onto the interactions template and normalises types, dates, money, emails, phones and names",
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
                    "Explicit (and confirmed) mappings, template field = source column; other columns are mapped automatically",
                ),
                ParamSpec::unset(
                    "exclude",
                    ParamType::TextList,
                    "Source columns never to map",
                ),
                ParamSpec::optional(
                    "min_confidence",
                    ParamType::Number,
                    "0.9",
                    "Automatic mappings below this confidence are uncertain: shown with a warning and not applied until confirmed in `columns`",
                ),
                ParamSpec::optional(
                    "unmapped",
                    ParamType::Text,
                    "\"ignore\"",
                    "Columns that map to nothing: \"ignore\" (listed, not imported) or \"notes\" (appended to Notes as `Column: value`)",
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
                ParamSpec::optional(
                    "default_region",
                    ParamType::Text,
                    "\"US\"",
                    "The country of phone numbers written without a `+` country code (US, CA, GB, IE, AU, NZ, DE, FR, ES, IT, NL, MX)",
                ),
            ],
        )
    }

    fn prepare(
        columns: &[String],
        samples: &Batch,
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, TransformPlan), Error> {
        let options = Options::from_params(params, ctx)?;
        let (mut plans, mut warnings) =
            plan_columns(columns, samples, params, options.min_confidence)?;
        // A full name is split only when the file has neither First Name nor Last Name.
        let has_name_column = plans.iter().any(|p| {
            p.status == MappingStatus::Certain
                && matches!(p.target, Some(t) if t == Target::Field(3) || t == Target::Field(4))
        });
        if has_name_column {
            for p in &mut plans {
                if p.status == MappingStatus::Certain && p.target == Some(Target::FullName) {
                    p.status = MappingStatus::Unmapped;
                    p.target = None;
                    p.reason = "a full name, but First Name or Last Name has its own column".into();
                }
            }
        }

        // Each date column's day/month order: set, or read from its values (and the file's
        // amounts); the mapping's reason says which and why.
        let decimal_comma = options.decimal == Decimal::Comma
            || plans
                .iter()
                .position(|p| {
                    p.status == MappingStatus::Certain && p.target == Some(Target::Field(13))
                })
                .is_some_and(|i| values::has_decimal_comma(samples, i));
        let mut orderings = Vec::new();
        for (i, p) in plans.iter_mut().enumerate() {
            if p.status != MappingStatus::Certain
                || !matches!(p.target, Some(Target::Field(DATE | PLEDGE_EXPECTED_DATE)))
            {
                continue;
            }
            let ordering = match options.date_order {
                Some(order) => values::DateOrdering {
                    order,
                    source: OrderSource::Set,
                    why: String::new(),
                },
                None => values::date_order(samples, i, decimal_comma),
            };
            if !ordering.why.is_empty() {
                p.reason = format!("{}; {}", p.reason, ordering.why);
            }
            orderings.push((i, ordering.order, ordering.source));
        }
        let date_order = |i: usize| {
            orderings
                .iter()
                .find(|(c, ..)| *c == i)
                .map_or((DateOrder::Mdy, OrderSource::Assumed), |(_, o, s)| (*o, *s))
        };

        // Which source column each target is taken from (applied mappings only).
        let applied = |t: Target| {
            plans
                .iter()
                .position(|p| p.status == MappingStatus::Certain && p.target == Some(t))
        };
        let field = |name: &str| {
            TEMPLATE_FIELDS
                .iter()
                .position(|f| *f == name)
                .and_then(|f| applied(Target::Field(f)))
        };
        let full_name = applied(Target::FullName);
        let parts = AddressPart::ALL.map(|p| applied(Target::Address(p)));

        let mut reads: Vec<u32> = Vec::new();
        let mut read = |i: usize| -> usize {
            let i = u32_of(i);
            match reads.iter().position(|r| *r == i) {
                Some(at) => at,
                None => {
                    reads.push(i);
                    reads.len() - 1
                }
            }
        };
        let unmapped: Vec<usize> = plans
            .iter()
            .enumerate()
            // An uncertain column is not applied anywhere, Notes included, until confirmed.
            .filter(|(_, p)| p.status == MappingStatus::Unmapped)
            .map(|(i, _)| i)
            .collect();
        let mut used_parts = false;
        let mut plan_columns = Vec::new();
        let mut computed = Vec::new();
        for name in TEMPLATE_FIELDS {
            let direct = field(name);
            let compute = match (name, direct) {
                ("Interaction Type", Some(i)) => Some(Compute::InteractionType(read(i))),
                ("Contact Type", Some(i)) => Some(Compute::ContactType(read(i))),
                ("Date", Some(i)) => {
                    let (order, source) = date_order(i);
                    Some(Compute::Date(read(i), order, source))
                }
                ("Pledge Expected Date", Some(i)) => {
                    let (order, source) = date_order(i);
                    Some(Compute::DateOnly(read(i), order, source))
                }
                ("Pledge Amount", Some(i)) => Some(Compute::Money(read(i))),
                ("Primary Email", Some(i)) => Some(Compute::Email(read(i))),
                ("Primary Phone", Some(i)) => Some(Compute::Phone(read(i))),
                ("First Name" | "Last Name" | "Suffix", Some(i)) => Some(Compute::Name(read(i))),
                ("First Name" | "Last Name" | "Suffix", None) => {
                    full_name.map(|f| Compute::Split {
                        full: read(f),
                        contact_type: field("Contact Type").map(&mut read),
                        part: match name {
                            "First Name" => NamePart::First,
                            "Last Name" => NamePart::Last,
                            _ => NamePart::Suffix,
                        },
                    })
                }
                ("Primary Address", None) if parts.iter().any(Option::is_some) => {
                    used_parts = true;
                    Some(Compute::Address(parts.map(|p| p.map(&mut read))))
                }
                ("Primary Address", Some(i)) if parts.iter().any(Option::is_some) => {
                    Some(Compute::AddressOr(read(i), parts.map(|p| p.map(&mut read))))
                }
                ("Notes", notes) if options.unmapped_to_notes && !unmapped.is_empty() => {
                    Some(Compute::Notes {
                        notes: notes.map(&mut read),
                        extra: unmapped
                            .iter()
                            .map(|&i| {
                                (
                                    columns
                                        .get(i)
                                        .map(|c| c.trim().to_string())
                                        .unwrap_or_default(),
                                    read(i),
                                )
                            })
                            .collect(),
                    })
                }
                _ => None,
            };
            let source = match (compute, direct) {
                (Some(c), _) => {
                    computed.push(c);
                    ColumnSource::Computed
                }
                (None, Some(i)) => ColumnSource::Input(u32_of(i)),
                (None, None) => continue,
            };
            plan_columns.push(OutputColumn {
                name: name.to_string(),
                source,
            });
        }
        // Address parts are kept as their own columns too (whitespace collapsed), for the
        // store.
        for (part, source) in AddressPart::ALL.iter().zip(parts) {
            if let Some(i) = source {
                computed.push(Compute::Name(read(i)));
                plan_columns.push(OutputColumn {
                    name: part.name().to_string(),
                    source: ColumnSource::Computed,
                });
            }
        }

        let mut mappings = Vec::with_capacity(columns.len());
        for (i, p) in plans.iter().enumerate() {
            let mut targets: Vec<String> = match p.target {
                Some(Target::FullName) => ["First Name", "Last Name", "Suffix"]
                    .iter()
                    .map(|s| (*s).to_string())
                    .collect(),
                Some(Target::Address(part)) => {
                    vec!["Primary Address".to_string(), part.name().to_string()]
                }
                Some(t) => vec![t.name().to_string()],
                None => Vec::new(),
            };
            let status = p.status;
            let mut reason = p.reason.clone();
            let mut applied = status == MappingStatus::Certain;
            if matches!(p.target, Some(Target::Address(_)))
                && status == MappingStatus::Certain
                && !used_parts
            {
                reason = format!(
                    "{reason}; Primary Address has its own column, kept as a part (joined into \
                     Primary Address only where that is empty)"
                );
                targets.retain(|t| t != "Primary Address");
            }
            if status == MappingStatus::Unmapped && options.unmapped_to_notes {
                targets = vec!["Notes".into()];
                applied = true;
                if reason.is_empty() {
                    reason = "no field; kept in Notes".into();
                } else {
                    reason = format!("{reason}; kept in Notes");
                }
            }
            if status == MappingStatus::Unmapped && reason.is_empty() {
                reason = "no template field has a name like it".into();
            }
            if status == MappingStatus::Uncertain {
                warnings.push(format!(
                    "{} might be {} ({}, confidence {:.2}): not applied; confirm it with \
                     `columns = {{ {:?} = {:?} }}`",
                    show_column(columns, i),
                    p.target.map_or("", Target::name),
                    p.reason,
                    p.confidence,
                    p.target.map_or("", Target::name),
                    columns.get(i).map_or("", |c| c.trim()),
                ));
            }
            mappings.push(ColumnMapping {
                input: u32_of(i),
                targets,
                confidence: p.confidence,
                reason,
                status,
                applied,
            });
        }
        let dropped: Vec<String> = mappings
            .iter()
            .filter(|m| m.status == MappingStatus::Unmapped && !m.applied)
            .map(|m| show_column(columns, m.input as usize))
            .collect();
        if !dropped.is_empty() {
            warnings.push(format!(
                "not in the interactions template, not imported: {} (keep them in Notes with \
                 `unmapped = \"notes\"`)",
                dropped.join(", ")
            ));
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
                decimal: options.decimal,
                timezone: options.timezone,
                flag_ambiguous: options.flag_ambiguous,
                region: options.region,
            },
            TransformPlan {
                columns: plan_columns,
                reads,
                warnings,
                mappings,
            },
        ))
    }

    fn process(&mut self, rows: &Batch, out: &mut TransformOutput) -> Result<(), Error> {
        let TransformOutput { values, verdicts } = out;
        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(self.computed.len());
        for row in rows.iter() {
            cells.clear();
            let mut flags = Vec::new();
            for kind in &self.computed {
                cells.push(self.compute(kind, row, &mut flags));
            }
            values.push_row(row.number(), &cells);
            if !flags.is_empty() {
                verdicts.push(RowVerdict {
                    index: u32_of(row.index()),
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
        kind: &Compute,
        row: sluice_sdk::Row<'a>,
        flags: &mut Vec<String>,
    ) -> Cow<'a, str> {
        let cell = |c: usize| row.get(c);
        let one = match kind {
            Compute::InteractionType(c)
            | Compute::ContactType(c)
            | Compute::Date(c, ..)
            | Compute::DateOnly(c, ..)
            | Compute::Money(c)
            | Compute::Email(c)
            | Compute::Phone(c)
            | Compute::Name(c) => Some(cell(*c)),
            _ => None,
        };
        if let Some(raw) = one
            && raw.trim().is_empty()
        {
            return Cow::Borrowed("");
        }
        match kind {
            Compute::InteractionType(c) => normalise::interaction_type(cell(*c)),
            Compute::ContactType(c) => normalise::contact_type(cell(*c)),
            Compute::Money(c) => match normalise::money_cents(cell(*c), self.decimal) {
                Some(cents) => Cow::Owned(cents.to_string()),
                None => Cow::Borrowed(cell(*c)),
            },
            Compute::Date(c, order, source) => {
                let raw = cell(*c);
                match self.read_date(("Date", raw), *order, *source, flags) {
                    Some(d) => Cow::Owned(d.utc),
                    None => Cow::Borrowed(raw),
                }
            }
            Compute::DateOnly(c, order, source) => {
                let raw = cell(*c);
                match self.read_date(("Pledge Expected Date", raw), *order, *source, flags) {
                    Some(d) => Cow::Owned(normalise::ymd(d.local_date)),
                    None => Cow::Borrowed(raw),
                }
            }
            Compute::Email(c) => match contact::email(cell(*c)) {
                Ok(email) => Cow::Owned(email),
                Err(why) => {
                    flags.push(format!("{why}: left out"));
                    Cow::Borrowed("")
                }
            },
            Compute::Phone(c) => match contact::phone(cell(*c), self.region) {
                Ok(phone) => Cow::Owned(phone),
                Err(why) => {
                    flags.push(format!("{why}: kept as written"));
                    Cow::Owned(contact::name(cell(*c)))
                }
            },
            Compute::Name(c) => Cow::Owned(contact::name(cell(*c))),
            Compute::Split {
                full,
                contact_type,
                part,
            } => {
                let organization = contact_type
                    .is_some_and(|t| normalise::contact_type(cell(t)) == "organization");
                let parts = contact::split_name(cell(*full), organization);
                Cow::Owned(match part {
                    NamePart::First => parts.first,
                    NamePart::Last => parts.last,
                    NamePart::Suffix => parts.suffix,
                })
            }
            Compute::Address(parts) => {
                Cow::Owned(contact::address(parts.map(|p| p.map_or("", cell))))
            }
            Compute::AddressOr(whole, parts) => {
                let whole = cell(*whole);
                if whole.trim().is_empty() {
                    Cow::Owned(contact::address(parts.map(|p| p.map_or("", cell))))
                } else {
                    Cow::Borrowed(whole)
                }
            }
            Compute::Notes { notes, extra } => {
                let mut text = notes.map_or("", cell).trim().to_string();
                for (name, c) in extra {
                    let value = cell(*c).trim();
                    if value.is_empty() {
                        continue;
                    }
                    if !text.is_empty() {
                        text.push_str("; ");
                    }
                    text.push_str(name);
                    text.push_str(": ");
                    text.push_str(value);
                }
                Cow::Owned(text)
            }
        }
    }

    /// Reads a date in its column's `order`. An ambiguous one is flagged unless the file
    /// decided the order; one only the other order can read is read so, and flagged,
    /// unless the pipeline set the order (then it stays as written, for the validator).
    fn read_date(
        &self,
        (field, raw): (&str, &str),
        order: DateOrder,
        source: OrderSource,
        flags: &mut Vec<String>,
    ) -> Option<normalise::ParsedDate> {
        let first = |order: DateOrder| match order {
            DateOrder::Mdy => "month-first",
            DateOrder::Dmy => "day-first",
        };
        if let Some(date) = normalise::date(raw, order, self.timezone) {
            if let Some(other) = date.other_reading
                && self.flag_ambiguous
                && source != OrderSource::Evidence
                // Pledge Expected Date has never been flagged for ambiguity.
                && field == "Date"
            {
                let why = match source {
                    OrderSource::Set => format!("date_order = \"{}\"", order.as_str()),
                    _ => "month-first: nothing in the file says which order".into(),
                };
                flags.push(format!(
                    "Date {:?} is ambiguous: read as {} ({why}), it could also be {}",
                    raw.trim(),
                    normalise::ymd(date.local_date),
                    normalise::ymd(other)
                ));
            }
            return Some(date);
        }
        if source == OrderSource::Set {
            return None;
        }
        let other = match order {
            DateOrder::Mdy => DateOrder::Dmy,
            DateOrder::Dmy => DateOrder::Mdy,
        };
        let date = normalise::date(raw, other, self.timezone)?;
        flags.push(format!(
            "{field} {:?} can only be {} ({}), unlike the column's other dates, read {}",
            raw.trim(),
            first(other),
            normalise::ymd(date.local_date),
            first(order)
        ));
        Some(date)
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_transform!(Mapping);
