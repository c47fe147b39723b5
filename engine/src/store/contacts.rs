//! The `contacts` and `changes` tables as the rest of sluice sees them: contact fields,
//! per-field update policies and the change log.

use std::fmt;

use serde::Serialize;

use super::{Error, Store};

/// The contact columns, in the order of `sluice_sdk::CONTACT_FIELDS` (Contact Type, First Name,
/// Last Name, Suffix, Primary Address, Primary Email, Primary Phone, Employer, Occupation).
pub const CONTACT_COLUMNS: [&str; 9] = [
    "contact_type",
    "first_name",
    "last_name",
    "suffix",
    "address",
    "email",
    "phone",
    "employer",
    "occupation",
];

/// The columns of a contact's address parts, in the order of `sluice_sdk::ADDRESS_PART_FIELDS`
/// (Address Line 1, Address Line 2, City, State, Zip). They are not matching fields: the
/// matcher sees the one-line `address`. In a [`FieldChange`] they are fields 9 to 13.
pub const ADDRESS_PART_COLUMNS: [&str; 5] =
    ["address_line1", "address_line2", "city", "state", "zip"];

/// A contact as stored: its id and its fields in [`CONTACT_COLUMNS`] order (empty = unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredContact {
    /// The contact id.
    pub id: i64,
    /// The fields, in [`CONTACT_COLUMNS`] order.
    pub fields: [String; 9],
}

/// What a new value does to a field of an existing contact.
///
/// Whatever the policy, an empty new value never changes anything, and a contact type, once
/// set, is never overwritten.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldPolicy {
    /// Only an empty field gets the new value.
    #[default]
    Fill,
    /// A differing new value overwrites the old one.
    Replace,
    /// The field is never touched.
    Ignore,
}

impl FieldPolicy {
    /// The policy's name in pipeline configurations.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldPolicy::Fill => "fill",
            FieldPolicy::Replace => "replace",
            FieldPolicy::Ignore => "ignore",
        }
    }

    /// The policy named `s`, if `s` names one.
    pub fn parse(s: &str) -> Option<FieldPolicy> {
        match s {
            "fill" => Some(FieldPolicy::Fill),
            "replace" => Some(FieldPolicy::Replace),
            "ignore" => Some(FieldPolicy::Ignore),
            _ => None,
        }
    }
}

impl FieldPolicy {
    /// What this policy does to field `field` (an index into [`CONTACT_COLUMNS`]) of an
    /// existing contact that holds `old`, given the new value `new`: `None` when the field is
    /// left as it is. This is the one rule [`ImportTx::update_contact`](super::ImportTx::update_contact)
    /// applies.
    ///
    /// A blank new value or an equal one changes nothing; a blank old value is filled unless
    /// the policy is `ignore`; a differing value replaces the old one only under `replace`,
    /// and never for the contact type (field 0).
    pub fn merge(self, field: usize, old: &str, new: &str) -> Option<ChangeAction> {
        if is_blank(new) || old == new {
            return None;
        }
        match (is_blank(old), self) {
            (true, FieldPolicy::Fill | FieldPolicy::Replace) => Some(ChangeAction::Fill),
            // The contact type decides how the whole contact is read: never overwritten.
            (false, FieldPolicy::Replace) if field != 0 => Some(ChangeAction::Replace),
            (false, FieldPolicy::Fill | FieldPolicy::Replace) | (_, FieldPolicy::Ignore) => None,
        }
    }
}

/// What a row's address parts do to a contact's, given what the row did to its one-line
/// address (`address`: the change to field 4, if any) under `policy` (Primary Address's).
/// Returns the action for each part, in [`ADDRESS_PART_COLUMNS`] order.
///
/// The parts follow the address as one unit, so that stored parts always describe the stored
/// address (or are empty): when the address is filled or replaced, the parts become the row's,
/// an empty part included (a part of the old address would be wrong for the new one); when the
/// address stays, the parts are filled only if the row's address is the stored one and the
/// contact has no parts yet. `ignore` never touches them.
pub fn merge_address_parts(
    policy: FieldPolicy,
    address: Option<ChangeAction>,
    old_address: &str,
    new_address: &str,
    old: &[String; 5],
    new: &[&str; 5],
) -> [Option<ChangeAction>; 5] {
    let mut actions = [None; 5];
    if policy == FieldPolicy::Ignore {
        return actions;
    }
    let same_address = !is_blank(new_address) && old_address.trim() == new_address.trim();
    let follow = address.is_some();
    let fill = !follow && same_address && old.iter().all(|p| is_blank(p));
    if !(follow || fill) {
        return actions;
    }
    for ((action, old), new) in actions.iter_mut().zip(old).zip(new) {
        if old == new || (fill && is_blank(new)) {
            continue;
        }
        *action = Some(if is_blank(old) {
            ChangeAction::Fill
        } else {
            ChangeAction::Replace
        });
    }
    actions
}

/// Whether a field value counts as empty.
fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

impl fmt::Display for FieldPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action recorded in the change log (`changes.action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    /// A row was created.
    Create,
    /// An empty field got a value.
    Fill,
    /// A value was overwritten.
    Replace,
}

impl ChangeAction {
    /// The action as stored in `changes.action`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Create => "create",
            ChangeAction::Fill => "fill",
            ChangeAction::Replace => "replace",
        }
    }

    /// The action stored as `s`, if `s` is one.
    pub fn parse(s: &str) -> Option<ChangeAction> {
        match s {
            "create" => Some(ChangeAction::Create),
            "fill" => Some(ChangeAction::Fill),
            "replace" => Some(ChangeAction::Replace),
            _ => None,
        }
    }
}

impl fmt::Display for ChangeAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of an existing contact changed by an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The contact.
    pub contact_id: i64,
    /// The field's index in [`CONTACT_COLUMNS`], or 9 + its index in
    /// [`ADDRESS_PART_COLUMNS`] for an address part.
    pub field: usize,
    /// [`ChangeAction::Fill`] or [`ChangeAction::Replace`].
    pub action: ChangeAction,
    /// The value before (empty for a fill).
    pub old_value: String,
    /// The value after.
    pub new_value: String,
}

impl FieldChange {
    /// The changed column's name, from [`CONTACT_COLUMNS`] or [`ADDRESS_PART_COLUMNS`].
    pub fn column(&self) -> &'static str {
        CONTACT_COLUMNS
            .iter()
            .chain(&ADDRESS_PART_COLUMNS)
            .nth(self.field)
            .copied()
            .unwrap_or("")
    }
}

/// One row of the change log, as read back by [`Store::changes`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    /// The change's id; ids increase in the order the changes were made.
    pub id: i64,
    /// The table changed (`contacts`).
    pub table_name: String,
    /// The id of the row changed.
    pub row_id: i64,
    /// What was done.
    pub action: ChangeAction,
    /// The column changed; `None` for a create.
    pub field: Option<String>,
    /// The value before; `None` for a create.
    pub old_value: Option<String>,
    /// The value after; `None` for a create.
    pub new_value: Option<String>,
}

impl Store {
    /// Every contact, by id (an import pages through them with [`Store::contacts_after`]).
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn contacts(&self) -> Result<Vec<StoredContact>, Error> {
        // Ids start at 1.
        self.contacts_after(0, usize::MAX)
    }

    /// How many contacts the store holds (to size the match index before it is filled).
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn contact_count(&self) -> Result<u64, Error> {
        self.conn
            .query_row("SELECT count(*) FROM contacts", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(Error::query(&self.path, "count the contacts"))
    }

    /// Up to `limit` contacts with ids above `after`, by id: the contacts a page at a time,
    /// so that loading a large store into the match index never holds all their fields at
    /// once.
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn contacts_after(&self, after: i64, limit: usize) -> Result<Vec<StoredContact>, Error> {
        self.conn
            .prepare_cached(
                "SELECT id, contact_type, first_name, last_name, suffix, address, email, phone, \
                 employer, occupation FROM contacts WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_map(
                    rusqlite::params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
                    |row| {
                        Ok(StoredContact {
                            id: row.get(0)?,
                            fields: super::text_columns(row, 1)?,
                        })
                    },
                )?
                .collect()
            })
            .map_err(Error::query(&self.path, "read the contacts"))
    }

    /// The change log of an import, in the order the changes were made.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for a row sluice did not write.
    pub fn changes(&self, import_id: i64) -> Result<Vec<ChangeRecord>, Error> {
        let raws = self
            .conn
            .prepare_cached(
                "SELECT id, table_name, row_id, action, field, old_value, new_value FROM changes \
                 WHERE import_id = ?1 ORDER BY id",
            )
            .and_then(|mut stmt| {
                stmt.query_map([import_id], |row| {
                    Ok((
                        row.get::<_, String>(3)?,
                        ChangeRecord {
                            id: row.get(0)?,
                            table_name: row.get(1)?,
                            row_id: row.get(2)?,
                            action: ChangeAction::Create,
                            field: row.get(4)?,
                            old_value: row.get(5)?,
                            new_value: row.get(6)?,
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(Error::query(&self.path, "read the change log"))?;
        raws.into_iter()
            .map(|(action, record)| {
                let action = ChangeAction::parse(&action).ok_or_else(|| Error::Corrupt {
                    path: self.path.clone(),
                    detail: format!("change {} has action {action:?}", record.id),
                })?;
                Ok(ChangeRecord { action, ..record })
            })
            .collect()
    }
}
