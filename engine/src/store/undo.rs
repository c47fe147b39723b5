//! Undoing a committed import: its interactions and pledges go, the contacts it created go
//! when nothing else uses them, and the contact fields it filled or replaced get their earlier
//! value back when they still hold the import's value. One transaction; recorded in `undos`.
//!
//! An import that later imports built on (their rows were attached to contacts it created) is
//! refused with the list of those imports, unless the undo cascades: then the later imports are
//! undone first, newest first, in the same transaction.
//!
//! The emails and phones it added to contacts (`contact_values`) go as well. Its match decisions
//! stay, like its exceptions report: they describe what the import did, not the store now.
//!
//! The undone import's change log is removed with its data: its contacts' ids may be reused by
//! later contacts, and a log row pointing at a reused id would describe the wrong contact. The
//! import row (status `undone`), its exceptions report and the `undos` row stay as the record.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::contacts::{ADDRESS_PART_COLUMNS, CONTACT_COLUMNS};
use super::imports::ImportStatus;
use super::lock::WriterLock;
use super::{Error, Store, count_to_sql, now_utc};

/// A later import that stands in the way of an undo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// The later import.
    pub import_id: i64,
    /// Its name.
    pub name: String,
    /// The import whose contacts it uses.
    pub built_on: i64,
    /// The contacts created by that import that it uses.
    pub contacts: Vec<i64>,
    /// Its interactions with those contacts.
    pub interactions: u64,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.contacts.iter().map(|c| format!("#{c}")).collect();
        write!(
            f,
            "import {} ({}) attached {} interaction{} to contact{} {} created by import {}",
            self.import_id,
            self.name,
            self.interactions,
            if self.interactions == 1 { "" } else { "s" },
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", "),
            self.built_on
        )
    }
}

/// A contact field the undo looked at: given back its earlier value, or kept because it was
/// changed again after the import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldRestore {
    /// The contact.
    pub contact_id: i64,
    /// The column, from `CONTACT_COLUMNS` or `ADDRESS_PART_COLUMNS`.
    pub field: String,
    /// The value the import wrote.
    pub import_value: String,
    /// The value before the import.
    pub earlier_value: String,
    /// The value the field holds now (after the undo).
    pub value_now: String,
}

/// What undoing one import did (or, in a dry run, would do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UndoneImport {
    /// The import.
    pub import_id: i64,
    /// Its name.
    pub name: String,
    /// Interactions removed.
    pub interactions: u64,
    /// Pledges removed.
    pub pledges: u64,
    /// Contacts removed.
    pub contacts: u64,
    /// Further emails and phones removed from contacts (`contact_values`).
    pub contact_values: u64,
    /// Fields given back their earlier value.
    pub restored: Vec<FieldRestore>,
    /// Fields left alone because they no longer held the import's value.
    pub kept: Vec<FieldRestore>,
}

/// What an undo did: every import it undid, in the order undone (later imports of a cascade
/// first, the import asked for last).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UndoReport {
    /// The import asked for.
    pub requested: i64,
    /// Whether nothing was changed (a dry run).
    pub dry_run: bool,
    /// The imports undone.
    pub imports: Vec<UndoneImport>,
}

/// The record of an undone import (a row of `undos`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UndoRecord {
    /// The import named on the command line: this one, or the one whose cascade undid it.
    pub requested_id: i64,
    /// Interactions removed.
    pub interactions: u64,
    /// Pledges removed.
    pub pledges: u64,
    /// Contacts removed.
    pub contacts: u64,
    /// Fields given back their earlier value.
    pub restored: u64,
    /// Fields left alone because they had changed since.
    pub kept: u64,
    /// When (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub undone_at: String,
}

impl Store {
    /// How import `id` was undone, if it was.
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn undo_record(&self, id: i64) -> Result<Option<UndoRecord>, Error> {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        self.conn
            .query_row(
                "SELECT requested_id, interactions, pledges, contacts, restored, kept, undone_at \
                 FROM undos WHERE import_id = ?1",
                [id],
                |row| {
                    Ok(UndoRecord {
                        requested_id: row.get(0)?,
                        interactions: count(row.get(1)?),
                        pledges: count(row.get(2)?),
                        contacts: count(row.get(3)?),
                        restored: count(row.get(4)?),
                        kept: count(row.get(5)?),
                        undone_at: row.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(Error::query(&self.path, "read the undo record"))
    }

    /// Undoes committed import `id`; with `cascade`, first the later imports that built on its
    /// contacts (and theirs). With `dry_run` everything is done and then rolled back, so the
    /// report says exactly what a real undo would do and the store is left as it was.
    ///
    /// The caller holds the store's [`WriterLock`].
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchImport`], [`Error::NotUndoable`] for an import that is not committed,
    /// [`Error::UndoBlocked`] when later imports built on it and `cascade` is off,
    /// [`Error::Busy`], [`Error::Query`] or [`Error::Corrupt`]. Nothing is changed then.
    pub fn undo(
        &mut self,
        id: i64,
        cascade: bool,
        dry_run: bool,
        lock: &WriterLock,
    ) -> Result<UndoReport, Error> {
        debug_assert_eq!(
            lock.holder().pid,
            std::process::id(),
            "the lock of another process"
        );
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::query(&path, "start the undo"))?;
        let undo = Undo {
            tx: &tx,
            path: &path,
        };
        let (_, status) = undo.import(id)?;
        if status != ImportStatus::Committed {
            return Err(Error::NotUndoable { id, status });
        }

        // The imports to undo: `id` and, with cascade, every import built on one of them.
        let mut order = vec![id];
        let mut next = 0;
        while let Some(&current) = order.get(next) {
            next += 1;
            let blockers = undo.blockers(current)?;
            if blockers.is_empty() {
                continue;
            }
            if !cascade {
                return Err(Error::UndoBlocked { id, blockers });
            }
            for b in blockers {
                if !order.contains(&b.import_id) {
                    order.push(b.import_id);
                }
            }
        }
        // Newest first: an import is undone only after everything built on it.
        order.sort_unstable_by(|a, b| b.cmp(a));

        let mut imports = Vec::with_capacity(order.len());
        for import_id in order {
            imports.push(undo.one(import_id, id)?);
        }
        if !dry_run {
            tx.commit()
                .map_err(Error::query(&path, "commit the undo"))?;
        }
        // A dry run drops the transaction here, rolling everything back.
        Ok(UndoReport {
            requested: id,
            dry_run,
            imports,
        })
    }
}

/// A fill or replace from the change log: change id, contact id, field, old and new value.
type LoggedChange = (i64, i64, Option<String>, Option<String>, Option<String>);

/// The undo's transaction and the store it belongs to.
struct Undo<'t> {
    tx: &'t Transaction<'t>,
    path: &'t std::path::Path,
}

impl Undo<'_> {
    fn err(&self, op: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        Error::query(self.path, op)
    }

    fn corrupt(&self, detail: String) -> Error {
        Error::Corrupt {
            path: self.path.to_path_buf(),
            detail,
        }
    }

    /// The name and status of an import.
    fn import(&self, id: i64) -> Result<(String, ImportStatus), Error> {
        let row: Option<(String, String)> = self
            .tx
            .query_row(
                "SELECT name, status FROM imports WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(self.err("read the import"))?;
        let Some((name, status)) = row else {
            return Err(Error::NoSuchImport {
                path: self.path.to_path_buf(),
                id,
            });
        };
        let status = ImportStatus::parse(&status)
            .ok_or_else(|| self.corrupt(format!("import {id} has status {status:?}")))?;
        Ok((name, status))
    }

    /// The other imports whose interactions or field changes use contacts `id` created.
    fn blockers(&self, id: i64) -> Result<Vec<Blocker>, Error> {
        let pairs: Vec<(i64, i64, i64)> = self
            .tx
            .prepare(
                "SELECT i.import_id, i.contact_id, count(*) FROM interactions i \
                 JOIN contacts c ON c.id = i.contact_id \
                 WHERE c.created_import = ?1 AND i.import_id != ?1 \
                 GROUP BY i.import_id, i.contact_id \
                 UNION ALL \
                 SELECT ch.import_id, ch.row_id, 0 FROM changes ch \
                 JOIN contacts c ON c.id = ch.row_id \
                 WHERE ch.table_name = 'contacts' AND c.created_import = ?1 \
                 AND ch.import_id != ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect()
            })
            .map_err(self.err("find the imports built on the import"))?;
        let mut by_import: BTreeMap<i64, (Vec<i64>, u64)> = BTreeMap::new();
        for (import_id, contact_id, n) in pairs {
            let entry = by_import.entry(import_id).or_default();
            if !entry.0.contains(&contact_id) {
                entry.0.push(contact_id);
            }
            entry.1 += u64::try_from(n).unwrap_or(0);
        }
        let mut blockers = Vec::with_capacity(by_import.len());
        for (import_id, (mut contacts, interactions)) in by_import {
            contacts.sort_unstable();
            let (name, _) = self.import(import_id)?;
            blockers.push(Blocker {
                import_id,
                name,
                built_on: id,
                contacts,
                interactions,
            });
        }
        Ok(blockers)
    }

    /// Undoes one import whose dependents are already undone.
    fn one(&self, id: i64, requested: i64) -> Result<UndoneImport, Error> {
        let (name, status) = self.import(id)?;
        if status != ImportStatus::Committed {
            return Err(Error::NotUndoable { id, status });
        }
        let (restored, kept) = self.restore_fields(id)?;
        let contact_values = self
            .tx
            .execute("DELETE FROM contact_values WHERE import_id = ?1", [id])
            .map_err(self.err("remove the emails and phones the import added"))?;
        let pledges = self
            .tx
            .execute("DELETE FROM pledges WHERE import_id = ?1", [id])
            .map_err(self.err("remove the import's pledges"))?;
        let interactions = self
            .tx
            .execute("DELETE FROM interactions WHERE import_id = ?1", [id])
            .map_err(self.err("remove the import's interactions"))?;
        let contacts = self
            .tx
            .execute(
                "DELETE FROM contacts WHERE created_import = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.contact_id = contacts.id) \
                 AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.contact_id = contacts.id)",
                [id],
            )
            .map_err(self.err("remove the contacts the import created"))?;
        let left: i64 = self
            .tx
            .query_row(
                "SELECT count(*) FROM contacts WHERE created_import = ?1",
                [id],
                |row| row.get(0),
            )
            .map_err(self.err("check the import's contacts"))?;
        if left > 0 {
            // The blocker check saw every reference; one left means a row sluice did not write.
            return Err(self.corrupt(format!(
                "{left} contacts created by import {id} are still referenced after undoing everything built on them"
            )));
        }
        self.tx
            .execute("DELETE FROM changes WHERE import_id = ?1", [id])
            .map_err(self.err("remove the import's change log"))?;
        self.tx
            .execute(
                "UPDATE imports SET status = 'undone' WHERE id = ?1 AND status = 'committed'",
                [id],
            )
            .map_err(self.err("mark the import undone"))?;
        let count = |n: usize| count_to_sql(u64::try_from(n).unwrap_or(u64::MAX));
        self.tx
            .execute(
                "INSERT INTO undos (import_id, requested_id, interactions, pledges, contacts, \
                 restored, kept, undone_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    requested,
                    count(interactions),
                    count(pledges),
                    count(contacts),
                    count(restored.len()),
                    count(kept.len()),
                    now_utc(),
                ],
            )
            .map_err(self.err("record the undo"))?;
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        Ok(UndoneImport {
            import_id: id,
            name,
            interactions: as_u64(interactions),
            pledges: as_u64(pledges),
            contacts: as_u64(contacts),
            contact_values: as_u64(contact_values),
            restored,
            kept,
        })
    }

    /// Gives the fields import `id` filled or replaced on contacts it did not create their
    /// earlier value, newest change first, where they still hold the import's value.
    fn restore_fields(&self, id: i64) -> Result<(Vec<FieldRestore>, Vec<FieldRestore>), Error> {
        let changes: Vec<LoggedChange> = self
            .tx
            .prepare(
                "SELECT ch.id, ch.row_id, ch.field, ch.old_value, ch.new_value FROM changes ch \
                 JOIN contacts c ON c.id = ch.row_id \
                 WHERE ch.import_id = ?1 AND ch.table_name = 'contacts' \
                 AND ch.action IN ('fill', 'replace') \
                 AND c.created_import IS NOT ?1 \
                 ORDER BY ch.id DESC",
            )
            .and_then(|mut stmt| {
                stmt.query_map([id], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })?
                .collect()
            })
            .map_err(self.err("read the import's change log"))?;
        let mut restored = Vec::new();
        let mut kept = Vec::new();
        for (change, contact_id, field, old, new) in changes {
            // The column name goes into SQL: only the known contact columns may.
            let Some(column) = field.as_deref().and_then(|f| {
                CONTACT_COLUMNS
                    .iter()
                    .chain(&ADDRESS_PART_COLUMNS)
                    .find(|c| **c == f)
            }) else {
                return Err(self.corrupt(format!("change {change} names the field {field:?}")));
            };
            let now: String = self
                .tx
                .query_row(
                    &format!("SELECT {column} FROM contacts WHERE id = ?1"),
                    [contact_id],
                    |row| row.get(0),
                )
                .map_err(self.err("read a contact field"))?;
            let import_value = new.unwrap_or_default();
            let earlier_value = old.unwrap_or_default();
            if now == import_value {
                self.tx
                    .execute(
                        &format!("UPDATE contacts SET {column} = ?1 WHERE id = ?2"),
                        params![earlier_value, contact_id],
                    )
                    .map_err(self.err("restore a contact field"))?;
                restored.push(FieldRestore {
                    contact_id,
                    field: (*column).to_string(),
                    import_value,
                    value_now: earlier_value.clone(),
                    earlier_value,
                });
            } else {
                kept.push(FieldRestore {
                    contact_id,
                    field: (*column).to_string(),
                    import_value,
                    earlier_value,
                    value_now: now,
                });
            }
        }
        Ok((restored, kept))
    }
}
