//! The `interactions` validator: judges rows of the interactions template before they
//! reach the store.
//!
//! It expects the output of the `mapping` transform (canonical types, dates as UTC
//! ISO-8601, Pledge Amount in cents) and rejects what mapping could not make sense of,
//! with reasons a person can act on: the three most common failures read exactly
//! `missing Contact Type`, `missing Date` and `missing Interaction Type`. Every reason of a
//! row is reported, not only the first, so one pass over the exceptions report fixes a row.
//!
//! What it must not do: change values (it returns verdicts only), look anything up (whether
//! a contact exists is the matcher's question), or fail the whole file over a bad row.

use chrono::{NaiveDate, NaiveDateTime};
use sluice_sdk::{
    Batch, Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, Row, RowVerdict,
    Validator, ValidatorPlan, Verdict,
};

/// The interaction types the store accepts, in the order reasons list them.
pub const INTERACTION_TYPES: [&str; 7] =
    ["Call", "Email", "Text", "Meeting", "Thank", "App", "Mail"];

/// The contact types the store accepts.
pub const CONTACT_TYPES: [&str; 2] = ["individual", "organization"];

/// The call results a Call Result may hold unless the `call_results` parameter says otherwise.
pub const CALL_RESULTS: [&str; 4] = ["spoke", "pledge", "left message", "no answer"];

/// The template fields this validator reads, in [`Field`] order.
const FIELDS: [&str; 15] = [
    "Interaction Type",
    "Date",
    "Contact Type",
    "First Name",
    "Last Name",
    "Primary Address",
    "Primary Email",
    "Primary Phone",
    "Employer",
    "Occupation",
    "Pledge Amount",
    "Pledge Commitment",
    "Pledge Expected Date",
    "Pledge Source Code",
    "Call Result",
];

/// Index into [`FIELDS`].
#[derive(Clone, Copy)]
enum Field {
    InteractionType = 0,
    Date,
    ContactType,
    FirstName,
    LastName,
    Address,
    Email,
    Phone,
    Employer,
    Occupation,
    PledgeAmount,
    PledgeCommitment,
    PledgeExpectedDate,
    PledgeSourceCode,
    CallResult,
}

/// The properties besides a name that can identify a contact.
const MATCHING: [Field; 5] = [
    Field::Address,
    Field::Email,
    Field::Phone,
    Field::Employer,
    Field::Occupation,
];

const PLEDGE: [Field; 4] = [
    Field::PledgeAmount,
    Field::PledgeCommitment,
    Field::PledgeExpectedDate,
    Field::PledgeSourceCode,
];

/// What to do with a row that has a name and nothing else to match a contact on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOnly {
    /// Import it and flag it in the report.
    Warn,
    /// Do not import it.
    Reject,
    /// Import it silently.
    Allow,
}

/// The validator; holds where each field is in the batches it receives.
pub struct Interactions {
    /// For each of [`FIELDS`], its column in the batch (batches hold only `reads`).
    columns: [Option<usize>; FIELDS.len()],
    name_only: NameOnly,
    /// The accepted call results, lower case; empty: any value.
    call_results: Vec<String>,
}

const NAME_ONLY_REASON: &str = "only a name to match the contact on";

impl Validator for Interactions {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "interactions",
            env!("CARGO_PKG_VERSION"),
            Kind::Validator,
            "Checks rows of the interactions template: required fields, types, dates, names and pledges",
            vec![
                ParamSpec::optional(
                    "name_only",
                    ParamType::Text,
                    "\"warn\"",
                    "A row with a name but no address, email, phone, employer or occupation: \"warn\" (import and flag), \"reject\" or \"allow\"",
                ),
                ParamSpec::optional(
                    "call_results",
                    ParamType::TextList,
                    "[\"spoke\", \"pledge\", \"left message\", \"no answer\"]",
                    "The Call Result values a row may hold (any case); other values are flagged. [] accepts any value",
                ),
            ],
        )
    }

    fn prepare(
        columns: &[String],
        params: &Params,
        _ctx: &Context,
    ) -> Result<(Self, ValidatorPlan), Error> {
        let name_only = match params.text("name_only", "warn")? {
            "warn" => NameOnly::Warn,
            "reject" => NameOnly::Reject,
            "allow" => NameOnly::Allow,
            other => {
                return Err(Error::BadParams(format!(
                    "`name_only` {other:?} is not one of \"warn\", \"reject\" or \"allow\""
                )));
            }
        };
        let call_results = match params.get("call_results") {
            None => CALL_RESULTS.iter().map(|r| (*r).to_string()).collect(),
            Some(_) => params
                .text_list("call_results")?
                .iter()
                .map(|r| r.trim().to_lowercase())
                .collect(),
        };
        let mut reads = Vec::new();
        let mut positions = [None; FIELDS.len()];
        for (slot, field) in positions.iter_mut().zip(FIELDS) {
            if let Some(i) = sluice_sdk::column_index(columns, field) {
                *slot = Some(reads.len());
                reads.push(i);
            }
        }
        let mut warnings = Vec::new();
        for field in [Field::InteractionType, Field::Date, Field::ContactType] {
            if positions.get(field as usize).copied().flatten().is_none() {
                let name = FIELDS.get(field as usize).copied().unwrap_or_default();
                warnings.push(format!(
                    "no {name} column: every row will be rejected with \"missing {name}\""
                ));
            }
        }
        Ok((
            Self {
                columns: positions,
                name_only,
                call_results,
            },
            ValidatorPlan { reads, warnings },
        ))
    }

    fn validate(&mut self, rows: &Batch, out: &mut Vec<RowVerdict>) -> Result<(), Error> {
        let mut rejects = Vec::new();
        let mut flags = Vec::new();
        for row in rows.iter() {
            rejects.clear();
            flags.clear();
            self.judge(row, &mut rejects, &mut flags);
            let verdict = if !rejects.is_empty() {
                Verdict::Reject(rejects.clone())
            } else if !flags.is_empty() {
                Verdict::Flag(flags.clone())
            } else {
                continue;
            };
            out.push(RowVerdict {
                index: u32::try_from(row.index()).unwrap_or(u32::MAX),
                verdict,
            });
        }
        Ok(())
    }
}

impl Interactions {
    /// The trimmed value of `field` in `row`; `""` when the file has no such column.
    fn get<'a>(&self, row: Row<'a>, field: Field) -> &'a str {
        self.columns
            .get(field as usize)
            .copied()
            .flatten()
            .map_or("", |c| row.get(c).trim())
    }

    /// Every problem of one row, in the documented order.
    fn judge(&self, row: Row<'_>, rejects: &mut Vec<String>, flags: &mut Vec<String>) {
        let kind = self.get(row, Field::InteractionType);
        let date = self.get(row, Field::Date);
        let contact = self.get(row, Field::ContactType);

        if contact.is_empty() {
            rejects.push("missing Contact Type".into());
        }
        if date.is_empty() {
            rejects.push("missing Date".into());
        }
        if kind.is_empty() {
            rejects.push("missing Interaction Type".into());
        }
        if !kind.is_empty()
            && !INTERACTION_TYPES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(kind))
        {
            rejects.push(format!(
                "Interaction Type {kind:?} is not one of {}",
                INTERACTION_TYPES.join(", ")
            ));
        }
        if !date.is_empty() && !is_utc_timestamp(date) {
            rejects.push(format!("Date {date:?} is not a date"));
        }

        let first = self.get(row, Field::FirstName);
        let last = self.get(row, Field::LastName);
        if contact.eq_ignore_ascii_case("individual") {
            if first.is_empty() || last.is_empty() {
                rejects.push("individual needs First Name and Last Name".into());
            }
        } else if contact.eq_ignore_ascii_case("organization") {
            if first.is_empty() {
                rejects.push("organization needs its name in First Name".into());
            }
        } else if !contact.is_empty() {
            rejects.push(format!(
                "Contact Type {contact:?} is not one of {}",
                CONTACT_TYPES.join(", ")
            ));
        }

        let amount = self.get(row, Field::PledgeAmount);
        if amount.is_empty() {
            if PLEDGE.iter().any(|f| !self.get(row, *f).is_empty()) {
                rejects.push("Pledge Amount is required when pledge columns are filled".into());
            }
        } else {
            match parse_cents(amount) {
                None => rejects.push(format!(
                    "Pledge Amount {amount:?} is not an amount of money"
                )),
                Some(cents) if cents <= 0 => {
                    rejects.push("Pledge Amount must be more than 0".into());
                }
                Some(_) => {}
            }
        }
        let expected = self.get(row, Field::PledgeExpectedDate);
        if !expected.is_empty() && !is_iso_date(expected) {
            rejects.push(format!("Pledge Expected Date {expected:?} is not a date"));
        }

        let has_name = !first.is_empty() || !last.is_empty();
        if has_name && MATCHING.iter().all(|f| self.get(row, *f).is_empty()) {
            match self.name_only {
                NameOnly::Warn => flags.push(NAME_ONLY_REASON.into()),
                NameOnly::Reject => rejects.push(NAME_ONLY_REASON.into()),
                NameOnly::Allow => {}
            }
        }
        if contact.eq_ignore_ascii_case("organization") && !first.is_empty() && !last.is_empty() {
            flags.push(format!(
                "organization has Last Name {last:?}: put the whole name in First Name"
            ));
        }
        let result = self.get(row, Field::CallResult);
        if !result.is_empty()
            && !self.call_results.is_empty()
            && !self
                .call_results
                .iter()
                .any(|r| r.eq_ignore_ascii_case(result))
        {
            flags.push(format!(
                "Call Result {result:?} is not one of {}",
                self.call_results.join(", ")
            ));
        }
        // Only when the file has a pledge column: a file of call outcomes alone says
        // nothing about amounts, and flagging every such row would bury the real problems.
        if result.eq_ignore_ascii_case("pledge")
            && amount.is_empty()
            && self.has_column(Field::PledgeAmount)
        {
            flags.push(
                "Call Result is pledge but Pledge Amount is empty: no pledge is recorded".into(),
            );
        }
    }

    fn has_column(&self, field: Field) -> bool {
        self.columns
            .get(field as usize)
            .copied()
            .flatten()
            .is_some()
    }
}

/// Whether `s` is the form mapping writes dates in, `YYYY-MM-DDTHH:MM:SSZ`, and a real
/// instant. Anything else means mapping could not read the date.
#[must_use]
pub fn is_utc_timestamp(s: &str) -> bool {
    const SHAPE: &[u8; 20] = b"0000-00-00T00:00:00Z";
    let bytes = s.as_bytes();
    bytes.len() == SHAPE.len()
        && bytes.iter().zip(SHAPE).all(|(b, want)| match want {
            b'0' => b.is_ascii_digit(),
            _ => b == want,
        })
        && NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

/// Whether `s` is the form mapping writes calendar dates in (Pledge Expected Date),
/// `YYYY-MM-DD`, and a real day. Anything else means mapping could not read the date.
#[must_use]
pub fn is_iso_date(s: &str) -> bool {
    const SHAPE: &[u8; 10] = b"0000-00-00";
    let bytes = s.as_bytes();
    bytes.len() == SHAPE.len()
        && bytes.iter().zip(SHAPE).all(|(b, want)| match want {
            b'0' => b.is_ascii_digit(),
            _ => b == want,
        })
        && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Cents as mapping writes them: an optional `-` and digits; `None` for anything else.
fn parse_cents(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for (s, ok) in [
            ("2025-03-04T15:30:00Z", true),
            ("2024-02-29T00:00:00Z", true),
            ("2025-02-29T00:00:00Z", false),
            ("2025-03-04T24:00:00Z", false),
            ("2025-03-04 15:30:00Z", false),
            ("2025-3-4T15:30:00Z", false),
            ("2025-03-04T15:30:00", false),
            ("13/13/2025", false),
            ("", false),
        ] {
            assert_eq!(is_utc_timestamp(s), ok, "{s:?}");
        }
    }

    #[test]
    fn iso_dates() {
        for (s, ok) in [
            ("2025-06-01", true),
            ("2024-02-29", true),
            ("2025-02-29", false),
            ("2025-13-01", false),
            ("2025-6-1", false),
            ("2025-06-01T00:00:00Z", false),
            ("6/1/2025", false),
            ("next spring", false),
            ("", false),
        ] {
            assert_eq!(is_iso_date(s), ok, "{s:?}");
        }
    }

    #[test]
    fn cents() {
        for (s, want) in [
            ("125000", Some(125_000)),
            ("-500", Some(-500)),
            ("0", Some(0)),
            ("+5", None),
            ("12.50", None),
            ("-", None),
            ("abc", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(parse_cents(s), want, "{s:?}");
        }
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_validator!(Interactions);
