//! [`ImportTx`]: the one transaction that writes an import's contacts, interactions, pledges,
//! exceptions and change log. The hot path of every import: statements are prepared once per
//! transaction and reused.

use std::path::Path;

use rusqlite::types::ToSql;
use rusqlite::{
    Connection, OptionalExtension, Params, Statement, Transaction, TransactionBehavior, params,
    params_from_iter,
};

use super::contacts::{FieldChange, FieldPolicy, merge_address_parts};
use super::imports::{
    Counts, ExceptionRecord, ExceptionStatus, ImportStatus, NewImport, encode_strings,
    insert_running, read_exceptions,
};
use super::{Error, Store, count_to_sql, now_utc};

/// An interaction to store: one imported row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewInteraction<'a> {
    /// The contact it was with.
    pub contact_id: i64,
    /// Its row in the imported file, numbered as in the exceptions report.
    pub row_number: u32,
    /// One of Call, Email, Text, Meeting, Thank, App, Mail.
    pub kind: &'a str,
    /// When it happened, UTC ISO-8601.
    pub occurred_at: &'a str,
    /// Its member code, if any.
    pub member_code: Option<&'a str>,
    /// The call result, if any.
    pub call_result: Option<&'a str>,
    /// Free-text notes, if any.
    pub notes: Option<&'a str>,
}

/// A pledge to store, made during an interaction already added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewPledge<'a> {
    /// The interaction it was made in (from [`ImportTx::add_interaction`]).
    pub interaction_id: i64,
    /// Who pledged: the interaction's contact.
    pub contact_id: i64,
    /// The amount in cents; must be > 0.
    pub amount_cents: i64,
    /// The commitment, if given.
    pub commitment: Option<&'a str>,
    /// When the money is expected, if given.
    pub expected_date: Option<&'a str>,
    /// The source code, if given.
    pub source_code: Option<&'a str>,
}

/// The open transaction of one running import; see [`Store::begin`].
///
/// Everything written through it becomes visible at once with [`ImportTx::commit`]; dropping it
/// without committing (an error, a panic unwinding, a signal handler returning early) rolls all
/// of it back, and a killed process leaves nothing of it either.
#[derive(Debug)]
pub struct ImportTx<'s> {
    /// Declared before `tx`, so the statements are finalized before the transaction ends.
    stmts: Statements<'s>,
    tx: Transaction<'s>,
    path: &'s Path,
    import_id: i64,
    /// `created_at` of the contacts this import creates.
    started_at: String,
    /// Interactions written so far.
    interactions: u64,
    /// Rejected exception rows written so far.
    rejected: u64,
    /// Flagged exception rows written so far.
    flagged: u64,
    /// After this many interactions the contact index of `interactions` is dropped, to be
    /// rebuilt at commit (see [`DEFER_INDEX_MIN`]).
    defer_index_at: u64,
    /// The `CREATE INDEX` statement of the dropped index, while it is dropped.
    deferred_index: Option<String>,
}

/// The index of `interactions` that a large import rebuilds at commit instead of maintaining
/// row by row. Its keys arrive in random order, which makes maintaining it several times
/// slower than building it once; the import index is cheap to maintain, its keys only grow.
const DEFERRED_INDEX: &str = "interactions_contact";

/// An import drops [`DEFERRED_INDEX`] once it has written this many interactions, or a
/// quarter of those already stored if that is more, and rebuilds it at commit. Below that,
/// rebuilding an index over the whole table would cost more than maintaining it.
pub(super) const DEFER_INDEX_MIN: u64 = 10_000;

/// The statements of the hot path, prepared once per import.
#[derive(Debug)]
struct Statements<'s> {
    insert_contact: Statement<'s>,
    select_contact: Statement<'s>,
    update_contact: Statement<'s>,
    log_create: Statement<'s>,
    log_change: Statement<'s>,
    insert_interaction: Statement<'s>,
    insert_pledge: Statement<'s>,
    insert_exception: Statement<'s>,
}

impl<'s> Statements<'s> {
    fn prepare(conn: &'s Connection) -> rusqlite::Result<Statements<'s>> {
        Ok(Statements {
            insert_contact: conn.prepare(
                "INSERT INTO contacts (contact_type, first_name, last_name, suffix, address, \
                 email, phone, employer, occupation, created_import, created_at, address_line1, \
                 address_line2, city, state, zip) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?15, ?16, ?10, ?11, ?12, ?13, ?14)",
            )?,
            select_contact: conn.prepare(
                "SELECT contact_type, first_name, last_name, suffix, address, email, phone, \
                 employer, occupation, address_line1, address_line2, city, state, zip \
                 FROM contacts WHERE id = ?1",
            )?,
            update_contact: conn.prepare(
                "UPDATE contacts SET contact_type = ?1, first_name = ?2, last_name = ?3, \
                 suffix = ?4, address = ?5, email = ?6, phone = ?7, employer = ?8, \
                 occupation = ?9, address_line1 = ?10, address_line2 = ?11, city = ?12, \
                 state = ?13, zip = ?14 WHERE id = ?15",
            )?,
            log_create: conn.prepare(
                "INSERT INTO changes (import_id, table_name, row_id, action) \
                 VALUES (?1, 'contacts', ?2, 'create')",
            )?,
            log_change: conn.prepare(
                "INSERT INTO changes (import_id, table_name, row_id, action, field, old_value, \
                 new_value) VALUES (?1, 'contacts', ?2, ?3, ?4, ?5, ?6)",
            )?,
            insert_interaction: conn.prepare(
                "INSERT INTO interactions (import_id, contact_id, row_number, kind, occurred_at, \
                 member_code, call_result, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            insert_pledge: conn.prepare(
                "INSERT INTO pledges (interaction_id, import_id, contact_id, amount_cents, \
                 commitment, expected_date, source_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            insert_exception: conn.prepare(
                "INSERT INTO import_exceptions (import_id, row_number, status, reasons_json, \
                 values_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }
}

/// The parameters of `insert_contact` and `update_contact`: a contact's nine fields as ?1-?9
/// (in [`CONTACT_COLUMNS`](super::CONTACT_COLUMNS) order), its five address parts as ?10-?14,
/// then `rest`.
fn contact_params<'a, const N: usize>(
    fields: &'a [&'a str; 9],
    parts: &'a [&'a str; 5],
    rest: [&'a dyn ToSql; N],
) -> impl Params + 'a {
    params_from_iter(
        fields
            .iter()
            .chain(parts)
            .map(|v| v as &dyn ToSql)
            .chain(rest),
    )
}

/// Maps an `SQLite` error of an import's write to [`Error::Write`] (or [`Error::Busy`]).
pub(super) fn write_err(
    path: &Path,
    import_id: i64,
    row_number: Option<u32>,
    op: &'static str,
) -> impl FnOnce(rusqlite::Error) -> Error {
    move |source| {
        Error::from_sqlite(source, path, |source| Error::Write {
            import_id,
            row_number,
            op,
            source,
        })
    }
}

impl Store {
    /// Opens the transaction that writes the data of import `import_id`, which must be running
    /// (see [`Store::start_import`]). The transaction takes the store's write lock at once: a
    /// second import into the same store waits at most the busy timeout (5 s) and then fails
    /// with [`Error::Busy`], before it has read a row, instead of conflicting later.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`], [`Error::NoSuchImport`], [`Error::NotRunning`] or [`Error::Query`].
    pub fn begin(&mut self, import_id: i64) -> Result<ImportTx<'_>, Error> {
        // `&mut self` keeps the connection to this transaction alone; sharing it inside lets
        // the prepared statements live next to the transaction.
        let Store { conn, path } = self;
        let (conn, path): (&Connection, &Path) = (conn, path);
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(Error::query(path, "start the import's transaction"))?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM imports WHERE id = ?1",
                [import_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(Error::query(path, "read the import"))?;
        match status.as_deref() {
            None => {
                return Err(Error::NoSuchImport {
                    path: path.to_path_buf(),
                    id: import_id,
                });
            }
            Some("running") => {}
            Some(other) => {
                return Err(match ImportStatus::parse(other) {
                    Some(status) => Error::NotRunning {
                        id: import_id,
                        status,
                    },
                    None => Error::Corrupt {
                        path: path.to_path_buf(),
                        detail: format!("import {import_id} has status {other:?}"),
                    },
                });
            }
        }
        ImportTx::new(conn, path, tx, import_id)
    }

    /// Opens a transaction for a dry run: the import is recorded inside it (so it gets an
    /// id and everything downstream runs as in a real import), and
    /// [`ImportTx::roll_back`] then discards all of it, the import record included. The store
    /// file is left byte for byte as it was. Takes the write lock like [`Store::begin`], so
    /// the run sees the store exactly as a real import would.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] or [`Error::Query`].
    pub fn begin_dry_run(&mut self, new: &NewImport) -> Result<ImportTx<'_>, Error> {
        let Store { conn, path, .. } = self;
        let (conn, path): (&Connection, &Path) = (conn, path);
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(Error::query(path, "start the dry run's transaction"))?;
        let import_id = insert_running(&tx, path, new)?;
        ImportTx::new(conn, path, tx, import_id)
    }
}

impl<'s> ImportTx<'s> {
    /// The import transaction `tx` of running import `import_id`: prepares the statements.
    fn new(
        conn: &'s Connection,
        path: &'s Path,
        tx: Transaction<'s>,
        import_id: i64,
    ) -> Result<ImportTx<'s>, Error> {
        let stored: i64 = tx
            .query_row("SELECT coalesce(max(id), 0) FROM interactions", [], |row| {
                row.get(0)
            })
            .map_err(Error::query(path, "read the size of the store"))?;
        let defer_index_at = DEFER_INDEX_MIN.max(u64::try_from(stored).unwrap_or(0) / 4);
        let stmts = Statements::prepare(conn)
            .map_err(Error::query(path, "prepare the import's statements"))?;
        Ok(ImportTx {
            stmts,
            tx,
            path,
            import_id,
            started_at: now_utc(),
            interactions: 0,
            rejected: 0,
            flagged: 0,
            defer_index_at,
            deferred_index: None,
        })
    }
}

impl ImportTx<'_> {
    /// The import this transaction writes.
    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// The exceptions written so far, by row number (they are not committed yet).
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`].
    pub fn exceptions(&self) -> Result<Vec<ExceptionRecord>, Error> {
        read_exceptions(&self.tx, self.path, self.import_id)
    }

    /// Checks the counts as [`ImportTx::commit`] does, then rolls everything back: the end of
    /// a dry run, or of an import aborted for too many rejected rows. The counts are checked
    /// first so a dry run reports exactly what the real run would commit.
    ///
    /// # Errors
    ///
    /// [`Error::CountsMismatch`] (everything is rolled back all the same) or [`Error::Query`].
    pub fn roll_back(self, counts: &Counts) -> Result<(), Error> {
        let checked = self.check_counts(counts);
        let ImportTx {
            stmts, tx, path, ..
        } = self;
        drop(stmts);
        tx.rollback()
            .map_err(Error::query(path, "roll back the import's transaction"))?;
        checked
    }

    /// Creates a contact with these fields (in [`CONTACT_COLUMNS`](super::CONTACT_COLUMNS) order) and logs the
    /// creation. Returns the new contact's id. `parts` are its address parts (in
    /// [`ADDRESS_PART_COLUMNS`](super::ADDRESS_PART_COLUMNS) order), which describe its address
    /// or are empty.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::Busy`].
    pub fn create_contact<S: AsRef<str>>(
        &mut self,
        fields: &[S; 9],
        parts: &[&str; 5],
    ) -> Result<i64, Error> {
        let err = || write_err(self.path, self.import_id, None, "create a contact");
        let fields = fields.each_ref().map(AsRef::as_ref);
        self.stmts
            .insert_contact
            .execute(contact_params(
                &fields,
                parts,
                [&self.import_id, &self.started_at],
            ))
            .map_err(err())?;
        let id = self.tx.last_insert_rowid();
        self.stmts
            .log_create
            .execute(params![self.import_id, id])
            .map_err(err())?;
        Ok(id)
    }

    /// The matching fields of contact `id` as they stand inside this transaction (in
    /// [`CONTACT_COLUMNS`](super::CONTACT_COLUMNS) order), `None` when there is no such
    /// contact: the match index reads candidates here on demand rather than holding every
    /// contact's fields.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::Busy`] (a read inside the import's transaction).
    pub fn contact_fields(&mut self, id: i64) -> Result<Option<[String; 9]>, Error> {
        let err = || write_err(self.path, self.import_id, None, "read a contact");
        self.stmts
            .select_contact
            .query_row([id], |row| super::text_columns(row, 0))
            .optional()
            .map_err(err())
    }

    /// Appends new information to an existing contact, field by field (in [`CONTACT_COLUMNS`](super::CONTACT_COLUMNS)
    /// order), following each field's policy as [`FieldPolicy::merge`] decides; logs every
    /// change and returns them.
    ///
    /// An empty (or blank) new value never changes anything; an equal value is no change; a
    /// contact type, once set, is never overwritten whatever its policy. A blank stored value
    /// counts as empty, so `fill` and `replace` both fill it. The stored values are read
    /// first; a caller holding the contacts in memory can skip rows that bring nothing new by
    /// asking [`FieldPolicy::merge`] itself.
    ///
    /// The row's address `parts` (in [`ADDRESS_PART_COLUMNS`](super::ADDRESS_PART_COLUMNS)
    /// order) follow the address under its policy as [`merge_address_parts`] decides; their
    /// changes are returned and logged as fields 9 to 13. (So a row that replaces the address
    /// without parts clears the old parts, and a caller that skips rows bringing nothing new
    /// must ask about the parts too: the same address with parts can still fill them.)
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchContact`], [`Error::Write`] or [`Error::Busy`].
    pub fn update_contact<S: AsRef<str>>(
        &mut self,
        id: i64,
        fields: &[S; 9],
        parts: &[&str; 5],
        policies: &[FieldPolicy; 9],
    ) -> Result<Vec<FieldChange>, Error> {
        let err = || write_err(self.path, self.import_id, None, "update a contact");
        let current: Option<([String; 9], [String; 5])> = self
            .stmts
            .select_contact
            .query_row([id], |row| {
                Ok((super::text_columns(row, 0)?, super::text_columns(row, 9)?))
            })
            .optional()
            .map_err(err())?;
        let Some((mut values, mut stored_parts)) = current else {
            return Err(Error::NoSuchContact {
                import_id: self.import_id,
                contact_id: id,
            });
        };

        let mut changes = Vec::new();
        let old_address = values[4].clone();
        for (field, ((value, new), policy)) in
            values.iter_mut().zip(fields).zip(policies).enumerate()
        {
            let new = new.as_ref();
            if let Some(action) = policy.merge(field, value, new) {
                changes.push(FieldChange {
                    contact_id: id,
                    field,
                    action,
                    old_value: std::mem::replace(value, new.to_owned()),
                    new_value: new.to_owned(),
                });
            }
        }
        let address = changes.iter().find(|c| c.field == 4).map(|c| c.action);
        let part_actions = merge_address_parts(
            policies[4],
            address,
            &old_address,
            fields[4].as_ref(),
            &stored_parts,
            parts,
        );
        for (i, ((action, value), new)) in part_actions
            .iter()
            .zip(&mut stored_parts)
            .zip(parts)
            .enumerate()
        {
            if let Some(action) = *action {
                changes.push(FieldChange {
                    contact_id: id,
                    field: 9 + i,
                    action,
                    old_value: std::mem::replace(value, (*new).to_owned()),
                    new_value: (*new).to_owned(),
                });
            }
        }
        if changes.is_empty() {
            return Ok(changes);
        }

        let values = values.each_ref().map(String::as_str);
        let stored_parts = stored_parts.each_ref().map(String::as_str);
        self.stmts
            .update_contact
            .execute(contact_params(&values, &stored_parts, [&id]))
            .map_err(err())?;
        for change in &changes {
            self.stmts
                .log_change
                .execute(params![
                    self.import_id,
                    id,
                    change.action.as_str(),
                    change.column(),
                    change.old_value,
                    change.new_value,
                ])
                .map_err(err())?;
        }
        Ok(changes)
    }

    /// Stores an interaction (one imported row). Returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the row (e.g. an unknown contact or interaction type) or
    /// [`Error::Busy`].
    pub fn add_interaction(&mut self, interaction: &NewInteraction<'_>) -> Result<i64, Error> {
        let i = interaction;
        self.stmts
            .insert_interaction
            .execute(params![
                self.import_id,
                i.contact_id,
                i.row_number,
                i.kind,
                i.occurred_at,
                i.member_code,
                i.call_result,
                i.notes,
            ])
            .map_err(write_err(
                self.path,
                self.import_id,
                Some(i.row_number),
                "add the interaction",
            ))?;
        let id = self.tx.last_insert_rowid();
        self.interactions += 1;
        if self.interactions == self.defer_index_at {
            self.defer_index()?;
        }
        Ok(id)
    }

    /// Stores a pledge made during an interaction of this import. Returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the interaction's row (e.g. an amount that is not > 0, or a
    /// second pledge for one interaction) or [`Error::Busy`].
    pub fn add_pledge(&mut self, pledge: &NewPledge<'_>) -> Result<i64, Error> {
        let p = pledge;
        let inserted = self.stmts.insert_pledge.execute(params![
            p.interaction_id,
            self.import_id,
            p.contact_id,
            p.amount_cents,
            p.commitment,
            p.expected_date,
            p.source_code,
        ]);
        if let Err(source) = inserted {
            // Name the file row in the error: it is what a person can look up.
            let row_number = self
                .tx
                .query_row(
                    "SELECT row_number FROM interactions WHERE id = ?1",
                    [p.interaction_id],
                    |row| row.get::<_, u32>(0),
                )
                .ok();
            return Err(write_err(
                self.path,
                self.import_id,
                row_number,
                "add the pledge",
            )(source));
        }
        Ok(self.tx.last_insert_rowid())
    }

    /// Adds a row to the import's exceptions report: `values` are the row's original values,
    /// aligned with the import's columns. A row has at most one exception record, so merge a
    /// row's reasons before adding it.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the row (e.g. a second record for it) or [`Error::Busy`].
    pub fn add_exception<R: AsRef<str>, V: AsRef<str>>(
        &mut self,
        row_number: u32,
        status: ExceptionStatus,
        reasons: &[R],
        values: &[V],
    ) -> Result<(), Error> {
        let err = || {
            write_err(
                self.path,
                self.import_id,
                Some(row_number),
                "add the exception",
            )
        };
        let to_sql = |e| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let reasons = encode_strings(reasons).map_err(to_sql).map_err(err())?;
        let values = encode_strings(values).map_err(to_sql).map_err(err())?;
        self.stmts
            .insert_exception
            .execute(params![
                self.import_id,
                row_number,
                status.as_str(),
                reasons,
                values
            ])
            .map_err(err())?;
        match status {
            ExceptionStatus::Rejected => self.rejected += 1,
            ExceptionStatus::Flagged => self.flagged += 1,
        }
        Ok(())
    }

    /// Records the import's counts, marks it `committed` with its finish time and commits
    /// everything in one step.
    ///
    /// The counts must add up, `rows = results + rejected + skipped`, and agree with what was
    /// written: `results` interactions, `rejected` and `flagged` exception rows. Otherwise
    /// nothing is committed: a row would have been lost or counted twice.
    ///
    /// # Errors
    ///
    /// [`Error::CountsMismatch`], [`Error::Write`] or [`Error::Busy`]; the transaction is
    /// rolled back.
    pub fn commit(self, counts: &Counts) -> Result<(), Error> {
        self.check_counts(counts)?;
        if let Some(sql) = &self.deferred_index {
            self.tx.execute_batch(sql).map_err(write_err(
                self.path,
                self.import_id,
                None,
                "rebuild the index of interactions by contact",
            ))?;
        }
        let err = || write_err(self.path, self.import_id, None, "commit the import");
        let changed = self
            .tx
            .execute(
                "UPDATE imports SET status = 'committed', rows = ?2, results = ?3, \
                 rejected = ?4, flagged = ?5, skipped = ?6, finished_at = ?7 \
                 WHERE id = ?1 AND status = 'running'",
                params![
                    self.import_id,
                    count_to_sql(counts.rows),
                    count_to_sql(counts.results),
                    count_to_sql(counts.rejected),
                    count_to_sql(counts.flagged),
                    count_to_sql(counts.skipped),
                    now_utc(),
                ],
            )
            .map_err(err())?;
        // `begin` checked the status under the write lock this transaction still holds.
        debug_assert_eq!(changed, 1, "import {} is no longer running", self.import_id);
        if changed != 1 {
            return Err(Error::NoSuchImport {
                path: self.path.to_path_buf(),
                id: self.import_id,
            });
        }
        let ImportTx {
            stmts,
            tx,
            path,
            import_id,
            ..
        } = self;
        drop(stmts);
        tx.commit()
            .map_err(write_err(path, import_id, None, "commit the import"))
    }

    /// Drops [`DEFERRED_INDEX`] for the rest of this import; [`ImportTx::commit`] rebuilds it,
    /// and a rollback brings it back untouched.
    fn defer_index(&mut self) -> Result<(), Error> {
        let err = || {
            write_err(
                self.path,
                self.import_id,
                None,
                "defer the index of interactions",
            )
        };
        let sql: Option<String> = self
            .tx
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                [DEFERRED_INDEX],
                |row| row.get(0),
            )
            .optional()
            .map_err(err())?;
        if let Some(sql) = sql {
            self.tx
                .execute_batch(&format!("DROP INDEX {DEFERRED_INDEX}"))
                .map_err(err())?;
            self.deferred_index = Some(sql);
        }
        Ok(())
    }

    /// Whether this import has dropped [`DEFERRED_INDEX`] until it commits.
    #[cfg(test)]
    pub(super) fn index_deferred(&self) -> bool {
        self.deferred_index.is_some()
    }

    /// Checks that `counts` add up and match what this transaction wrote.
    fn check_counts(&self, counts: &Counts) -> Result<(), Error> {
        let mut problems = Vec::new();
        let accounted = counts
            .results
            .checked_add(counts.rejected)
            .and_then(|n| n.checked_add(counts.skipped));
        if accounted != Some(counts.rows) {
            problems.push(format!(
                "rows ({}) is not results ({}) + rejected ({}) + skipped ({})",
                counts.rows, counts.results, counts.rejected, counts.skipped
            ));
        }
        for (name, counted, written, what) in [
            (
                "results",
                counts.results,
                self.interactions,
                "interactions were",
            ),
            (
                "rejected",
                counts.rejected,
                self.rejected,
                "rejected rows were",
            ),
            ("flagged", counts.flagged, self.flagged, "flagged rows were"),
        ] {
            if counted != written {
                problems.push(format!("{name} is {counted} but {written} {what} written"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::CountsMismatch {
                import_id: self.import_id,
                detail: problems.join("; "),
            })
        }
    }
}

impl<'s> ImportTx<'s> {
    /// The open transaction, the store path and the import id, for the writers of other
    /// tables of the import (`matches.rs`).
    pub(super) fn parts(&self) -> (&Transaction<'s>, &'s Path, i64) {
        (&self.tx, self.path, self.import_id)
    }
}
