//! The interactions template as the store needs it: which column of the final rows holds
//! which field, and the few checks without which a row cannot be stored at all.
//!
//! Judging rows is the validators' job; these checks only guard the store against a
//! pipeline that lacks them (a custom validator, a missing mapping), so that nothing
//! malformed is ever written.

use sluice_sdk::{ADDRESS_PART_FIELDS, CONTACT_FIELDS, Row};

/// The seven interaction types, as stored.
pub const INTERACTION_TYPES: [&str; 7] =
    ["Call", "Email", "Text", "Meeting", "Thank", "App", "Mail"];

/// The pledge columns of the template.
const PLEDGE_FIELDS: [&str; 4] = [
    "Pledge Amount",
    "Pledge Commitment",
    "Pledge Expected Date",
    "Pledge Source Code",
];

/// A row's pledge.
#[derive(Clone, Debug)]
pub(crate) struct Pledge<'a> {
    /// The amount in cents, > 0.
    pub cents: i64,
    /// Pledge Commitment.
    pub commitment: Option<&'a str>,
    /// Pledge Expected Date.
    pub expected_date: Option<&'a str>,
    /// Pledge Source Code.
    pub source_code: Option<&'a str>,
}

/// Where each template field is among the final columns of a pipeline.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    /// Contact fields in [`CONTACT_FIELDS`] order.
    pub contact: [Option<usize>; 9],
    /// Address parts in [`ADDRESS_PART_FIELDS`] order.
    address_parts: [Option<usize>; 5],
    interaction_type: Option<usize>,
    date: Option<usize>,
    member_code: Option<usize>,
    call_result: Option<usize>,
    notes: Option<usize>,
    /// Amount, commitment, expected date, source code.
    pledge: [Option<usize>; 4],
}

/// A row's values for the store, borrowed from the row.
#[derive(Clone, Debug)]
pub(super) struct StorableRow<'a> {
    /// Contact fields in [`CONTACT_FIELDS`] order.
    pub contact: [&'a str; 9],
    /// The contact's address parts in [`ADDRESS_PART_FIELDS`] order: empty, or the parts of
    /// its Primary Address (never without one).
    pub address_parts: [&'a str; 5],
    /// The interaction type (one of [`INTERACTION_TYPES`]).
    pub kind: &'a str,
    /// UTC ISO-8601.
    pub occurred_at: &'a str,
    /// Member code, call result, notes.
    pub member_code: Option<&'a str>,
    /// The call result.
    pub call_result: Option<&'a str>,
    /// Notes.
    pub notes: Option<&'a str>,
    /// The pledge, if the row has one: (cents, commitment, expected date, source code).
    pub pledge: Option<Pledge<'a>>,
}

fn position(columns: &[String], name: &str) -> Option<usize> {
    columns.iter().position(|c| c == name)
}

fn non_empty(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

impl Layout {
    /// Finds the template fields among `columns` (exact names, as the mapping writes them).
    #[must_use]
    pub(super) fn new(columns: &[String]) -> Self {
        Self {
            contact: CONTACT_FIELDS.map(|f| position(columns, f)),
            address_parts: ADDRESS_PART_FIELDS.map(|f| position(columns, f)),
            interaction_type: position(columns, "Interaction Type"),
            date: position(columns, "Date"),
            member_code: position(columns, "Member Code"),
            call_result: position(columns, "Call Result"),
            notes: position(columns, "Notes"),
            pledge: PLEDGE_FIELDS.map(|f| position(columns, f)),
        }
    }

    /// The row's contact fields in [`CONTACT_FIELDS`] order, trimmed.
    #[must_use]
    pub(super) fn contact<'a>(&self, row: Row<'a>) -> [&'a str; 9] {
        self.contact.map(|c| c.map_or("", |c| row.get(c).trim()))
    }

    /// The row's values for the store, or why it cannot be stored.
    pub(super) fn storable<'a>(&self, row: Row<'a>) -> Result<StorableRow<'a>, String> {
        let get = |c: Option<usize>| c.map_or("", |c| row.get(c).trim());
        let kind = get(self.interaction_type);
        if !INTERACTION_TYPES.contains(&kind) {
            return Err(format!(
                "cannot store Interaction Type {kind:?}: it must be one of {}",
                INTERACTION_TYPES.join(", ")
            ));
        }
        let occurred_at = get(self.date);
        if chrono::NaiveDateTime::parse_from_str(occurred_at, "%Y-%m-%dT%H:%M:%SZ").is_err() {
            return Err(format!(
                "cannot store Date {occurred_at:?}: it is not a UTC date-time (YYYY-MM-DDTHH:MM:SSZ)"
            ));
        }
        let contact = self.contact(row);
        if !matches!(contact[0], "individual" | "organization") {
            return Err(format!(
                "cannot store Contact Type {:?}: it must be individual or organization",
                contact[0]
            ));
        }
        let address_parts = self.address_parts.map(get);
        // Parts describe the address; alone they would be a contact the matcher cannot see.
        if contact[4].is_empty()
            && let Some((name, part)) = ADDRESS_PART_FIELDS
                .iter()
                .zip(address_parts)
                .find(|(_, p)| !p.is_empty())
        {
            return Err(format!(
                "cannot store {name} {part:?} without a Primary Address: the address parts \
                 are kept only beside the whole address (the `mapping` transform joins them)"
            ));
        }
        let [amount, commitment, expected, source_code] = self.pledge.map(|c| non_empty(get(c)));
        let pledge = if amount.is_some()
            || commitment.is_some()
            || expected.is_some()
            || source_code.is_some()
        {
            let cents = amount.and_then(|a| a.parse::<i64>().ok()).filter(|&c| c > 0).ok_or_else(|| {
                format!("cannot store Pledge Amount {:?}: it must be a positive whole number of cents", amount.unwrap_or(""))
            })?;
            Some(Pledge {
                cents,
                commitment,
                expected_date: expected,
                source_code,
            })
        } else {
            None
        };
        Ok(StorableRow {
            contact,
            address_parts,
            kind,
            occurred_at,
            member_code: non_empty(get(self.member_code)),
            call_result: non_empty(get(self.call_result)),
            notes: non_empty(get(self.notes)),
            pledge,
        })
    }
}
