//! The record of the files `sluice watch` handled (table `watched_files`): what makes a
//! watched folder import each file exactly once across crashes and restarts.
//!
//! An imported file's record is written by [`ImportTx::record_watched`] inside the import's own
//! transaction, so the data and the record commit together or not at all. Files that were
//! not imported (a duplicate of an earlier import, a failure) are recorded on their own.
//!
//! What this module must not do: look at the file system. Paths, sizes and times are what the
//! watcher saw; this module only keeps them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{OptionalExtension, params};

use super::import_tx::write_err;
use super::{Error, ImportTx, Store, count_to_sql, now_utc};

/// A file as the watcher saw it when it picked it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedFile {
    /// Where it was (absolute).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// What became of a watched file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchOutcome {
    /// Imported (some rows may have been rejected).
    Imported,
    /// The same bytes were imported before; nothing was done.
    Duplicate,
    /// Nothing was imported.
    Failed,
}

impl WatchOutcome {
    /// The value stored in `watched_files.outcome`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            WatchOutcome::Imported => "imported",
            WatchOutcome::Duplicate => "duplicate",
            WatchOutcome::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<WatchOutcome> {
        match s {
            "imported" => Some(WatchOutcome::Imported),
            "duplicate" => Some(WatchOutcome::Duplicate),
            "failed" => Some(WatchOutcome::Failed),
            _ => None,
        }
    }
}

/// A row of `watched_files`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedRecord {
    /// The record's id.
    pub id: i64,
    /// The import that read the file (or the earlier import of the same bytes).
    pub import_id: Option<i64>,
    /// What became of it.
    pub outcome: WatchOutcome,
    /// Why it failed.
    pub error: Option<String>,
    /// Where it was moved, once it was.
    pub moved_to: Option<String>,
}

impl ImportTx<'_> {
    /// Records `file` as read by this import, in this import's transaction: if the import
    /// commits, so does the record; if it rolls back, the file was never seen. The SHA-256 is
    /// the one the import recorded.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] if `SQLite` refuses the row.
    pub fn record_watched(&mut self, file: &WatchedFile) -> Result<i64, Error> {
        let (tx, path, import_id) = self.parts();
        tx.execute(
            "INSERT INTO watched_files (path, size, mtime_ns, sha256, import_id, outcome, \
             recorded_at) SELECT ?1, ?2, ?3, file_sha256, id, 'imported', ?4 FROM imports \
             WHERE id = ?5",
            params![
                file.path,
                count_to_sql(file.size),
                file.mtime_ns,
                now_utc(),
                import_id
            ],
        )
        .map_err(write_err(path, import_id, None, "record the watched file"))?;
        Ok(tx.last_insert_rowid())
    }
}

impl Store {
    /// Records a watched file that was not imported: a duplicate of `import_id`, or a failure
    /// (with the import that failed, if one was recorded).
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Busy`].
    pub fn record_watched(
        &mut self,
        file: &WatchedFile,
        sha256: &str,
        outcome: WatchOutcome,
        import_id: Option<i64>,
        error: Option<&str>,
    ) -> Result<i64, Error> {
        self.conn
            .execute(
                "INSERT INTO watched_files (path, size, mtime_ns, sha256, import_id, outcome, \
                 error, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    file.path,
                    count_to_sql(file.size),
                    file.mtime_ns,
                    sha256,
                    import_id,
                    outcome.as_str(),
                    error,
                    now_utc()
                ],
            )
            .map_err(Error::query(&self.path, "record the watched file"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The latest record of the file at `path` with this size and modification time: the
    /// same file, unchanged since it was handled.
    ///
    /// # Errors
    ///
    /// [`Error::Query`], or [`Error::Corrupt`] for an outcome sluice never writes.
    pub fn watched(&self, file: &WatchedFile) -> Result<Option<WatchedRecord>, Error> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, import_id, outcome, error, moved_to FROM watched_files \
                 WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 ORDER BY id DESC LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![file.path, count_to_sql(file.size), file.mtime_ns],
                    |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, Option<i64>>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, Option<String>>(3)?,
                            row.get::<_, Option<String>>(4)?,
                        ))
                    },
                )
                .optional()
            })
            .map_err(Error::query(&self.path, "read the watched files"))?;
        let Some((id, import_id, outcome, error, moved_to)) = row else {
            return Ok(None);
        };
        let outcome = WatchOutcome::parse(&outcome).ok_or_else(|| Error::Corrupt {
            path: self.path.clone(),
            detail: format!("watched file {id} has outcome {outcome:?}"),
        })?;
        Ok(Some(WatchedRecord {
            id,
            import_id,
            outcome,
            error,
            moved_to,
        }))
    }

    /// Notes where a watched file was moved.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Busy`].
    pub fn set_watched_moved(&mut self, id: i64, moved_to: &str) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE watched_files SET moved_to = ?1 WHERE id = ?2",
                params![moved_to, id],
            )
            .map_err(Error::query(
                &self.path,
                "record where a watched file was moved",
            ))?;
        Ok(())
    }

    /// From now on, every statement fails as interrupted as soon as `cancel` is set: the
    /// import in hand then fails and its transaction rolls back. `None` removes the check.
    pub fn cancel_when(&self, cancel: Option<Arc<AtomicBool>>) {
        match cancel {
            // Checked every 100 virtual-machine steps, counted across the runs of a cached
            // statement: within a few rows of an import, at the cost of one atomic load.
            Some(flag) => self
                .conn
                .progress_handler(100, Some(move || flag.load(Ordering::Relaxed))),
            None => self.conn.progress_handler(0, None::<fn() -> bool>),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Counts, ExceptionStatus, NewImport};
    use super::*;

    fn new_import() -> NewImport {
        NewImport {
            name: "a.csv".into(),
            description: None,
            pipeline: "p".into(),
            pipeline_hash: "0".repeat(64),
            timezone: "UTC".into(),
            member_code: None,
            file_name: "a.csv".into(),
            file_sha256: "ab".repeat(32),
            columns: vec!["Date".into()],
        }
    }

    #[test]
    fn the_record_commits_and_rolls_back_with_the_import() {
        let mut store = Store::open_in_memory().unwrap();
        let file = WatchedFile {
            path: "/in/a.csv".into(),
            size: 10,
            mtime_ns: 7,
        };
        // Rolled back with its import: as if never seen.
        let id = store.start_import(&new_import()).unwrap();
        let mut tx = store.begin(id).unwrap();
        tx.record_watched(&file).unwrap();
        drop(tx);
        assert_eq!(store.watched(&file).unwrap(), None);
        // Committed with it, carrying the import's SHA-256.
        let id = store.start_import(&new_import()).unwrap();
        let mut tx = store.begin(id).unwrap();
        let record = tx.record_watched(&file).unwrap();
        tx.commit(&Counts::default()).unwrap();
        let found = store.watched(&file).unwrap().unwrap();
        assert_eq!(
            (found.id, found.import_id, found.outcome, found.moved_to),
            (record, Some(id), WatchOutcome::Imported, None)
        );
        let sha: String = store
            .conn
            .query_row("SELECT sha256 FROM watched_files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sha, "ab".repeat(32));
        store
            .set_watched_moved(record, "/in/processed/a.csv")
            .unwrap();
        let moved = store.watched(&file).unwrap().unwrap().moved_to;
        assert_eq!(moved.as_deref(), Some("/in/processed/a.csv"));
        // Another size or time is another file.
        let changed = WatchedFile { size: 11, ..file };
        assert_eq!(store.watched(&changed).unwrap(), None);
    }

    #[test]
    fn a_set_cancel_flag_stops_the_import_within_a_few_rows() {
        let mut store = Store::open_in_memory().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        store.cancel_when(Some(Arc::clone(&flag)));
        let id = store.start_import(&new_import()).unwrap();
        let mut tx = store.begin(id).unwrap();
        tx.add_exception(2, ExceptionStatus::Rejected, &["r"], &["v"])
            .unwrap();
        flag.store(true, Ordering::Relaxed);
        let stopped_at = (3..100u32).find(|&row| {
            tx.add_exception(row, ExceptionStatus::Rejected, &["r"], &["v"])
                .is_err()
        });
        assert!(stopped_at.is_some_and(|row| row < 10), "{stopped_at:?}");
        drop(tx);
        store.cancel_when(None);
        assert!(store.exceptions(id).unwrap().is_empty());
        assert!(store.start_import(&new_import()).is_ok());
    }
}
