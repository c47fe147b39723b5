//! The contact store: the only code in sluice that speaks SQL.
//!
//! A store is one `SQLite` file holding imports, contacts, interactions, pledges, the exceptions
//! of every import and a change log; every table and column is commented in its SQL (in
//! `schema.rs`, and in the store itself: `sqlite3 sluice.db .schema`). [`Store::open`] creates
//! or migrates a store; an import then runs in three steps:
//!
//! 1. [`Store::start_import`] records the import as `running` and commits that on its own, so an
//!    import that fails later stays visible;
//! 2. [`Store::begin`] opens one transaction, an [`ImportTx`], that receives all the import's
//!    contacts, interactions, pledges and exceptions;
//! 3. [`ImportTx::commit`] writes the counts, marks the import `committed` and commits; dropping
//!    the [`ImportTx`] instead rolls everything back, and [`Store::fail_import`] records why.
//!
//! What this module must not do: parse files, match contacts or decide what a row means. It
//! stores what the pipeline hands it, keeps it consistent and answers plain queries.

mod contacts;
mod doctor;
mod import_tx;
mod imports;
mod lock;
mod matches;
mod models;
mod schema;
mod undo;
mod watched;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use contacts::{
    ADDRESS_PART_COLUMNS, CONTACT_COLUMNS, ChangeAction, ChangeRecord, FieldChange, FieldPolicy,
    StoredContact, merge_address_parts,
};
pub use doctor::{Health, Problem};
pub use import_tx::{ImportTx, NewInteraction, NewPledge};
pub use imports::{
    Counts, ExceptionRecord, ExceptionStatus, ImportStatus, ImportSummary, NewImport,
};
pub use lock::{INTERRUPTED, LockHolder, WriterLock};
pub use matches::{Candidate, MatchKind, MatchRecord};
pub use models::{ModelKey, StoredModel};
pub use schema::SCHEMA_VERSION;
pub use undo::{Blocker, FieldRestore, UndoRecord, UndoReport, UndoneImport};
pub use watched::{WatchOutcome, WatchedFile, WatchedRecord};

/// How long a statement waits for another process's lock before giving up with [`Error::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What can go wrong with the store. Each variant names the store file or the import concerned;
/// the underlying `SQLite` error, if any, is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or created (missing directory, permissions...).
    #[error("cannot open the store {}", path.display())]
    Open {
        /// The store file.
        path: PathBuf,
        /// The error `SQLite` reported.
        #[source]
        source: rusqlite::Error,
    },
    /// The file exists but is not an `SQLite` database.
    #[error(
        "{} is not a sluice store (not an SQLite database); give a new file name or an existing store",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is an `SQLite` database that belongs to another application; it is left untouched.
    #[error(
        "{} is an SQLite database of another application, not a sluice store; give a new file name or an existing store",
        path.display()
    )]
    ForeignDatabase {
        /// The file.
        path: PathBuf,
    },
    /// The store was written by a newer sluice, with a schema this build does not know.
    #[error(
        "the store {} has schema version {found} but this sluice supports up to version {supported}; upgrade sluice",
        path.display()
    )]
    NewerSchema {
        /// The store file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Bringing the store to a newer schema failed; the store is left at the previous version.
    #[error("cannot migrate the store {} to schema version {version}", path.display())]
    Migrate {
        /// The store file.
        path: PathBuf,
        /// The version that could not be applied.
        version: i64,
        /// The error `SQLite` reported.
        #[source]
        source: rusqlite::Error,
    },
    /// Another process held the store's write lock for longer than the busy timeout.
    #[error(
        "the store {} is busy: another sluice process is writing to it; try again when it has finished",
        path.display()
    )]
    Busy {
        /// The store file.
        path: PathBuf,
    },
    /// Another process holds the store's writer lock (see [`WriterLock`]).
    #[error(
        "the store {} is in use by another sluice process ({})",
        path.display(),
        holder.as_ref().map_or_else(|| "its details are unavailable".to_string(), ToString::to_string)
    )]
    Locked {
        /// The store file.
        path: PathBuf,
        /// Who holds the lock, when its lock file says so.
        holder: Option<LockHolder>,
    },
    /// The lock file beside the store cannot be created or locked.
    #[error("cannot create or lock the store's lock file {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An undo was refused because later imports built on the import's contacts.
    #[error(
        "import {id} cannot be undone: {}",
        blockers.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    UndoBlocked {
        /// The import asked for.
        id: i64,
        /// The later imports in the way, and what of theirs.
        blockers: Vec<Blocker>,
    },
    /// An undo was asked for an import that is not committed (failed, running or undone).
    #[error("import {id} is {status}: only a committed import can be undone")]
    NotUndoable {
        /// The import asked for.
        id: i64,
        /// Its status.
        status: ImportStatus,
    },
    /// No import has this id.
    #[error("there is no import {id} in the store {}", path.display())]
    NoSuchImport {
        /// The store file.
        path: PathBuf,
        /// The id asked for.
        id: i64,
    },
    /// The operation needs a running import, and this one has already finished.
    #[error("import {id} is {status}, not running")]
    NotRunning {
        /// The import.
        id: i64,
        /// Its status.
        status: ImportStatus,
    },
    /// An update named a contact that does not exist.
    #[error("import {import_id}: there is no contact {contact_id} to update")]
    NoSuchContact {
        /// The import being written.
        import_id: i64,
        /// The contact id asked for.
        contact_id: i64,
    },
    /// The counts given at commit disagree with each other or with what was written.
    #[error("import {import_id} was not committed because its row counts do not add up: {detail}")]
    CountsMismatch {
        /// The import being committed.
        import_id: i64,
        /// Which counts disagree, with their values.
        detail: String,
    },
    /// Writing an import's data failed (a constraint, a full disk...); nothing of it is kept.
    #[error("import {import_id}{}: cannot {op}", row_suffix(*row_number))]
    Write {
        /// The import being written.
        import_id: i64,
        /// The file row being written, when the write belongs to one.
        row_number: Option<u32>,
        /// What was being done, e.g. `add the pledge`.
        op: &'static str,
        /// The error `SQLite` reported.
        #[source]
        source: rusqlite::Error,
    },
    /// A query or a small update outside an import's transaction failed.
    #[error("cannot {op} in the store {}", path.display())]
    Query {
        /// The store file.
        path: PathBuf,
        /// What was being done, e.g. `list the imports`.
        op: &'static str,
        /// The error `SQLite` reported.
        #[source]
        source: rusqlite::Error,
    },
    /// The store is damaged, or holds a value sluice never writes (e.g. after a manual edit).
    #[error("the store {} is damaged: {detail}", path.display())]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// Which value, where.
        detail: String,
    },
}

/// `", row N"` for error messages about one row of a file.
fn row_suffix(row_number: Option<u32>) -> String {
    row_number.map_or_else(String::new, |row| format!(", row {row}"))
}

impl Error {
    /// Classifies an `SQLite` error: lock timeouts and non-databases get their own variants,
    /// everything else goes through `other`.
    pub(crate) fn from_sqlite(
        source: rusqlite::Error,
        path: &Path,
        other: impl FnOnce(rusqlite::Error) -> Error,
    ) -> Error {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Busy {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::NotADatabase) => Error::NotADatabase {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
                path: path.to_path_buf(),
                detail: format!("{source}; restore it from a backup"),
            },
            _ => other(source),
        }
    }

    /// Whether `SQLite` refused a write because the store file (or its folder) is read-only
    /// for this process.
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        let (Error::Open { source, .. }
        | Error::Migrate { source, .. }
        | Error::Write { source, .. }
        | Error::Query { source, .. }) = self
        else {
            return false;
        };
        source.sqlite_error_code() == Some(ErrorCode::ReadOnly)
    }

    /// An error while opening `path`.
    pub(crate) fn from_open(source: rusqlite::Error, path: &Path) -> Error {
        Error::from_sqlite(source, path, |source| Error::Open {
            path: path.to_path_buf(),
            source,
        })
    }

    /// An error of a query on the store at `path`.
    pub(crate) fn query(path: &Path, op: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        move |source| {
            Error::from_sqlite(source, path, |source| Error::Query {
                path: path.to_path_buf(),
                op,
                source,
            })
        }
    }
}

/// An open store: one `SQLite` connection, migrated to the current schema.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating the file if it does not exist, and migrates it to the
    /// current schema.
    ///
    /// The connection uses WAL journaling (readers never wait for an import), enforces foreign
    /// keys and waits up to 5 s for another process's lock. With `synchronous = NORMAL` a crash
    /// of sluice loses nothing committed, and a power cut may lose the last commits but never
    /// leaves the store inconsistent.
    ///
    /// # Errors
    ///
    /// [`Error::NotADatabase`] if the file is not `SQLite`, [`Error::ForeignDatabase`] if it is
    /// another application's database, [`Error::NewerSchema`] if a newer sluice wrote it,
    /// [`Error::Busy`] if another process holds it, [`Error::Open`] or [`Error::Migrate`]
    /// otherwise.
    pub fn open(path: &Path) -> Result<Store, Error> {
        // No SQLITE_OPEN_URI: a file named `file:...` is a file, not a URI.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| Error::from_open(e, path))?;
        Store::init(conn, path.to_path_buf())
    }

    /// Opens a new, empty store in memory (for tests and dry runs).
    ///
    /// # Errors
    ///
    /// [`Error::Open`] or [`Error::Migrate`] if `SQLite` cannot set it up.
    pub fn open_in_memory() -> Result<Store, Error> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| Error::from_open(e, &path))?;
        Store::init(conn, path)
    }

    /// Sets the connection up and migrates the schema.
    fn init(mut conn: Connection, path: PathBuf) -> Result<Store, Error> {
        let setup = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // Reading the header here is what detects a file that is not a database.
            let _mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
            conn.pragma_update(None, "foreign_keys", true)?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // 64 MiB of page cache keeps the indexes of a million-row import in memory.
            conn.pragma_update(None, "cache_size", -65_536)?;
            Ok(())
        };
        setup(&conn).map_err(|e| Error::from_open(e, &path))?;
        schema::migrate(&mut conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The store's file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the store (always [`SCHEMA_VERSION`] once open).
    ///
    /// # Errors
    ///
    /// [`Error::Query`] if `SQLite` cannot read it.
    pub fn schema_version(&self) -> Result<i64, Error> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(Error::query(&self.path, "read the schema version"))
    }
}

/// The current time in UTC as stored: `YYYY-MM-DDTHH:MM:SSZ`.
fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Columns `from..from + N` of `row` as text: a contact's fields and address parts are read
/// as such runs.
fn text_columns<const N: usize>(
    row: &rusqlite::Row<'_>,
    from: usize,
) -> rusqlite::Result<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = row.get(from + i)?;
    }
    Ok(out)
}

/// A count as stored (`SQLite` integers are signed).
fn count_to_sql(value: u64) -> i64 {
    // A file cannot hold 2^63 rows; saturating keeps this total without a panic path.
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
