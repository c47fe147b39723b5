//! The `imports` and `import_exceptions` tables: recording imports and reading them back.

use std::fmt;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::import_tx::write_err;
use super::{Error, Store, count_to_sql, now_utc};

/// What is known about an import before its first row is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewImport {
    /// The import's name.
    pub name: String,
    /// Free text describing it.
    pub description: Option<String>,
    /// The pipeline's name.
    pub pipeline: String,
    /// SHA-256 (hex) of the pipeline configuration.
    pub pipeline_hash: String,
    /// IANA timezone the file's dates are read in.
    pub timezone: String,
    /// The import-wide member code, if any.
    pub member_code: Option<String>,
    /// The imported file's name.
    pub file_name: String,
    /// SHA-256 (lowercase hex) of the file's bytes.
    pub file_sha256: String,
    /// The file's original header, in file order.
    pub columns: Vec<String>,
}

/// The state of an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// Started and not finished: in progress, or interrupted before it could record a failure.
    Running,
    /// Its data is in the store.
    Committed,
    /// It stopped with an error; none of its data is in the store.
    Failed,
    /// It was committed and later undone.
    Undone,
}

impl ImportStatus {
    /// The status as stored in `imports.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Running => "running",
            ImportStatus::Committed => "committed",
            ImportStatus::Failed => "failed",
            ImportStatus::Undone => "undone",
        }
    }

    /// The status stored as `s`, if `s` is one.
    pub fn parse(s: &str) -> Option<ImportStatus> {
        match s {
            "running" => Some(ImportStatus::Running),
            "committed" => Some(ImportStatus::Committed),
            "failed" => Some(ImportStatus::Failed),
            "undone" => Some(ImportStatus::Undone),
            _ => None,
        }
    }
}

impl fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One import as recorded in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The import id.
    pub id: i64,
    /// The import's name.
    pub name: String,
    /// Free text describing it.
    pub description: Option<String>,
    /// The pipeline's name.
    pub pipeline: String,
    /// SHA-256 (hex) of the pipeline configuration.
    pub pipeline_hash: String,
    /// IANA timezone the file's dates were read in.
    pub timezone: String,
    /// The import-wide member code, if any.
    pub member_code: Option<String>,
    /// The imported file's name.
    pub file_name: String,
    /// SHA-256 (lowercase hex) of the file's bytes.
    pub file_sha256: String,
    /// The file's original header.
    pub columns: Vec<String>,
    /// Where the import stands.
    pub status: ImportStatus,
    /// Data rows read from the file.
    pub rows: u64,
    /// Interactions created.
    pub results: u64,
    /// Rows not imported.
    pub rejected: u64,
    /// Rows imported with a warning.
    pub flagged: u64,
    /// Rows deliberately skipped.
    pub skipped: u64,
    /// Why the import failed, if it did.
    pub error: Option<String>,
    /// When it started (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub started_at: String,
    /// When it committed or failed.
    pub finished_at: Option<String>,
}

/// The row counts of a finished import.
///
/// Every data row is counted once: `rows = results + rejected + skipped`; flagged rows are
/// imported, so they are part of `results`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Data rows read from the file.
    pub rows: u64,
    /// Interactions created (one per imported row).
    pub results: u64,
    /// Rows not imported.
    pub rejected: u64,
    /// Imported rows with a warning.
    pub flagged: u64,
    /// Rows deliberately skipped (e.g. blank lines).
    pub skipped: u64,
}

/// Whether an exception row was kept out of the import or imported with a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExceptionStatus {
    /// Not imported.
    Rejected,
    /// Imported; a person should check it.
    Flagged,
}

impl ExceptionStatus {
    /// The status as stored in `import_exceptions.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionStatus::Rejected => "rejected",
            ExceptionStatus::Flagged => "flagged",
        }
    }

    /// The status stored as `s`, if `s` is one.
    pub fn parse(s: &str) -> Option<ExceptionStatus> {
        match s {
            "rejected" => Some(ExceptionStatus::Rejected),
            "flagged" => Some(ExceptionStatus::Flagged),
            _ => None,
        }
    }
}

impl fmt::Display for ExceptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of an import's exceptions report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExceptionRecord {
    /// The row in the imported file.
    pub row_number: u32,
    /// Rejected or flagged.
    pub status: ExceptionStatus,
    /// Why, in sentences a person can act on.
    pub reasons: Vec<String>,
    /// The row's original values, aligned with [`ImportSummary::columns`].
    pub values: Vec<String>,
}

/// The columns of `imports` read into an [`ImportSummary`], in [`RawImport::from_row`] order.
const IMPORT_COLUMNS: &str = "id, name, description, pipeline, pipeline_hash, timezone, \
     member_code, file_name, file_sha256, columns_json, status, rows, results, rejected, \
     flagged, skipped, error, started_at, finished_at";

/// An `imports` row as `SQLite` returns it, before the checks of [`RawImport::into_summary`].
struct RawImport {
    id: i64,
    name: String,
    description: Option<String>,
    pipeline: String,
    pipeline_hash: String,
    timezone: String,
    member_code: Option<String>,
    file_name: String,
    file_sha256: String,
    columns_json: String,
    status: String,
    counts: [i64; 5],
    error: Option<String>,
    started_at: String,
    finished_at: Option<String>,
}

impl RawImport {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<RawImport> {
        Ok(RawImport {
            id: row.get(0)?,
            name: row.get(1)?,
            description: row.get(2)?,
            pipeline: row.get(3)?,
            pipeline_hash: row.get(4)?,
            timezone: row.get(5)?,
            member_code: row.get(6)?,
            file_name: row.get(7)?,
            file_sha256: row.get(8)?,
            columns_json: row.get(9)?,
            status: row.get(10)?,
            counts: [
                row.get(11)?,
                row.get(12)?,
                row.get(13)?,
                row.get(14)?,
                row.get(15)?,
            ],
            error: row.get(16)?,
            started_at: row.get(17)?,
            finished_at: row.get(18)?,
        })
    }

    fn into_summary(self, store: &Store) -> Result<ImportSummary, Error> {
        let id = self.id;
        let status = ImportStatus::parse(&self.status)
            .ok_or_else(|| store.corrupt(format!("import {id} has status {:?}", self.status)))?;
        let columns = decode_strings(&self.columns_json).ok_or_else(|| {
            store.corrupt(format!(
                "import {id}: columns_json is not a JSON array of strings"
            ))
        })?;
        let [rows, results, rejected, flagged, skipped] = self.counts.map(u64::try_from);
        let count = |value: Result<u64, _>| {
            value.map_err(|_| store.corrupt(format!("import {id} has a negative row count")))
        };
        Ok(ImportSummary {
            id,
            name: self.name,
            description: self.description,
            pipeline: self.pipeline,
            pipeline_hash: self.pipeline_hash,
            timezone: self.timezone,
            member_code: self.member_code,
            file_name: self.file_name,
            file_sha256: self.file_sha256,
            columns,
            status,
            rows: count(rows)?,
            results: count(results)?,
            rejected: count(rejected)?,
            flagged: count(flagged)?,
            skipped: count(skipped)?,
            error: self.error,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}

/// Decodes a JSON array of strings, as stored in the `*_json` columns.
fn decode_strings(json: &str) -> Option<Vec<String>> {
    serde_json::from_str(json).ok()
}

/// Encodes strings as a JSON array, as stored in the `*_json` columns.
pub(crate) fn encode_strings<S: AsRef<str>>(values: &[S]) -> Result<String, serde_json::Error> {
    let strs: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&strs)
}

impl Store {
    /// An [`Error::Corrupt`] about this store.
    fn corrupt(&self, detail: String) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            detail,
        }
    }

    /// Records a new import with status `running` and commits it at once, so the import stays
    /// visible (and can be marked failed) whatever happens to its data. Returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] if another process is writing, [`Error::Query`] otherwise.
    pub fn start_import(&mut self, new: &NewImport) -> Result<i64, Error> {
        insert_running(&self.conn, &self.path, new)
    }

    /// Marks a running import `failed` because it was aborted before commit (its data was
    /// rolled back), with its row counts and the exceptions that explain why, so that
    /// `sluice report` can show them. One transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotRunning`] if it already finished, [`Error::CountsMismatch`] if the counts
    /// do not add up, [`Error::Write`] or [`Error::Busy`].
    pub fn abort_import(
        &mut self,
        id: i64,
        error: &str,
        counts: &Counts,
        exceptions: &[ExceptionRecord],
    ) -> Result<(), Error> {
        let accounted = counts
            .results
            .checked_add(counts.rejected)
            .and_then(|n| n.checked_add(counts.skipped));
        if accounted != Some(counts.rows) {
            return Err(Error::CountsMismatch {
                import_id: id,
                detail: format!(
                    "rows ({}) is not results ({}) + rejected ({}) + skipped ({})",
                    counts.rows, counts.results, counts.rejected, counts.skipped
                ),
            });
        }
        let path = self.path.clone();
        let err = |row_number, op| write_err(&path, id, row_number, op);
        let tx = self
            .conn
            .transaction()
            .map_err(err(None, "record the aborted import"))?;
        let changed = tx
            .execute(
                "UPDATE imports SET status = 'failed', error = ?2, rows = ?3, results = ?4, \
                 rejected = ?5, flagged = ?6, skipped = ?7, finished_at = ?8 \
                 WHERE id = ?1 AND status = 'running'",
                params![
                    id,
                    error,
                    count_to_sql(counts.rows),
                    count_to_sql(counts.results),
                    count_to_sql(counts.rejected),
                    count_to_sql(counts.flagged),
                    count_to_sql(counts.skipped),
                    now_utc(),
                ],
            )
            .map_err(err(None, "record the aborted import"))?;
        if changed != 1 {
            drop(tx);
            return Err(match self.import(id)? {
                Some(import) => Error::NotRunning {
                    id,
                    status: import.status,
                },
                None => Error::NoSuchImport {
                    path: self.path.clone(),
                    id,
                },
            });
        }
        for x in exceptions {
            let row = Some(x.row_number);
            let to_sql = |e| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
            let reasons = encode_strings(&x.reasons)
                .map_err(to_sql)
                .map_err(err(row, "add the exception"))?;
            let values = encode_strings(&x.values)
                .map_err(to_sql)
                .map_err(err(row, "add the exception"))?;
            tx.execute(
                "INSERT INTO import_exceptions (import_id, row_number, status, reasons_json, \
                 values_json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, x.row_number, x.status.as_str(), reasons, values],
            )
            .map_err(err(row, "add the exception"))?;
        }
        tx.commit().map_err(err(None, "record the aborted import"))
    }

    /// Marks a running import `failed` with the error that stopped it, and its finish time.
    /// Call it after dropping the import's [`ImportTx`](super::ImportTx).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchImport`], [`Error::NotRunning`] if it already finished, [`Error::Busy`]
    /// or [`Error::Query`].
    pub fn fail_import(&mut self, id: i64, error: &str) -> Result<(), Error> {
        let changed = self
            .conn
            .execute(
                "UPDATE imports SET status = 'failed', error = ?2, finished_at = ?3 \
                 WHERE id = ?1 AND status = 'running'",
                params![id, error, now_utc()],
            )
            .map_err(Error::query(&self.path, "record the failed import"))?;
        if changed == 1 {
            return Ok(());
        }
        Err(match self.import(id)? {
            Some(import) => Error::NotRunning {
                id,
                status: import.status,
            },
            None => Error::NoSuchImport {
                path: self.path.clone(),
                id,
            },
        })
    }

    /// Every import, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for a row sluice did not write.
    pub fn imports(&self) -> Result<Vec<ImportSummary>, Error> {
        let op = "list the imports";
        let raws = self
            .conn
            .prepare_cached(&format!(
                "SELECT {IMPORT_COLUMNS} FROM imports ORDER BY id DESC"
            ))
            .and_then(|mut stmt| {
                stmt.query_map([], RawImport::from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(Error::query(&self.path, op))?;
        raws.into_iter().map(|raw| raw.into_summary(self)).collect()
    }

    /// The import with this id, if there is one.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for a row sluice did not write.
    pub fn import(&self, id: i64) -> Result<Option<ImportSummary>, Error> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {IMPORT_COLUMNS} FROM imports WHERE id = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([id], RawImport::from_row).optional())
            .map_err(Error::query(&self.path, "read the import"))?
            .map(|raw| raw.into_summary(self))
            .transpose()
    }

    /// The newest committed import of a file with this SHA-256, if any: the file has already
    /// been imported into this store. Failed and undone imports do not count.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for a row sluice did not write.
    pub fn committed_import_with_sha(&self, sha256: &str) -> Result<Option<ImportSummary>, Error> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {IMPORT_COLUMNS} FROM imports \
                 WHERE file_sha256 = ?1 AND status = 'committed' ORDER BY id DESC LIMIT 1"
            ))
            .and_then(|mut stmt| stmt.query_row([sha256], RawImport::from_row).optional())
            .map_err(Error::query(
                &self.path,
                "look for an earlier import of the file",
            ))?
            .map(|raw| raw.into_summary(self))
            .transpose()
    }

    /// The exceptions report of an import: its rejected and flagged rows, by row number.
    /// Empty for an import without exceptions or an unknown id.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for a row sluice did not write.
    pub fn exceptions(&self, import_id: i64) -> Result<Vec<ExceptionRecord>, Error> {
        read_exceptions(&self.conn, &self.path, import_id)
    }
}

/// Inserts an import with status `running`; returns its id.
pub(super) fn insert_running(
    conn: &Connection,
    path: &Path,
    new: &NewImport,
) -> Result<i64, Error> {
    let op = "record the new import";
    let columns_json = encode_strings(&new.columns).map_err(|e| Error::Query {
        path: path.to_path_buf(),
        op,
        source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
    })?;
    conn.execute(
        "INSERT INTO imports (name, description, pipeline, pipeline_hash, timezone, \
         member_code, file_name, file_sha256, columns_json, status, started_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'running', ?10)",
        params![
            new.name,
            new.description,
            new.pipeline,
            new.pipeline_hash,
            new.timezone,
            new.member_code,
            new.file_name,
            new.file_sha256,
            columns_json,
            now_utc(),
        ],
    )
    .map_err(Error::query(path, op))?;
    Ok(conn.last_insert_rowid())
}

/// The exceptions of an import by row number, read through `conn` (the store's connection,
/// or an open import transaction, which sees its own uncommitted rows).
pub(super) fn read_exceptions(
    conn: &Connection,
    path: &Path,
    import_id: i64,
) -> Result<Vec<ExceptionRecord>, Error> {
    let corrupt = |detail: String| Error::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let raws = conn
        .prepare_cached(
            "SELECT row_number, status, reasons_json, values_json FROM import_exceptions \
             WHERE import_id = ?1 ORDER BY row_number",
        )
        .and_then(|mut stmt| {
            stmt.query_map([import_id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(Error::query(path, "read the exceptions report"))?;
    raws.into_iter()
        .map(|(row_number, status, reasons, values)| {
            let bad = |what: &str| {
                corrupt(format!(
                    "import {import_id}, exception row {row_number}: {what}"
                ))
            };
            Ok(ExceptionRecord {
                row_number: u32::try_from(row_number)
                    .map_err(|_| bad("the row number is out of range"))?,
                status: ExceptionStatus::parse(&status).ok_or_else(|| bad("unknown status"))?,
                reasons: decode_strings(&reasons)
                    .ok_or_else(|| bad("reasons_json is not a JSON array of strings"))?,
                values: decode_strings(&values)
                    .ok_or_else(|| bad("values_json is not a JSON array of strings"))?,
            })
        })
        .collect()
}
