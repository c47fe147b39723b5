//! The store's writer lock: one process at a time writes a store (imports, undo, watch).
//!
//! The lock is an OS file lock (`flock`) on `<store>.lock` beside the store, holding a JSON
//! line that names the holder (pid, command, since) so a second process can say who is in the
//! way. The OS drops the lock when its holder dies, however it dies (`kill -9` included), so a
//! lock left by a dead process is simply free: the next writer takes it and overwrites the
//! stale holder line. The file itself is never deleted: deleting a lock file races with a
//! process that has just opened it and would let two writers in.
//!
//! What this module must not do: wait with a timeout loop or guess from pids whether a holder
//! is alive; the kernel knows, and tells through the lock itself.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Error, Store, now_utc};

/// Who holds a store's writer lock, as written in its lock file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The holder's process id.
    pub pid: u32,
    /// Its command line.
    pub command: String,
    /// When it took the lock (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub since: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {}, `{}`, since {}",
            self.pid, self.command, self.since
        )
    }
}

/// The writer lock of one store, held until dropped.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    path: PathBuf,
    holder: LockHolder,
}

/// The longest command line kept in the lock file; the rest is cut with `...`.
const MAX_COMMAND: usize = 200;

impl WriterLock {
    /// The lock file of the store at `store`: `<store>.lock`, beside it.
    #[must_use]
    pub fn lock_path(store: &Path) -> PathBuf {
        let mut name = store.file_name().map(ToOwned::to_owned).unwrap_or_default();
        name.push(".lock");
        store.with_file_name(name)
    }

    /// Takes the writer lock of the store at `store` if it is free, at once.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] naming the holder when another process holds it, [`Error::Lock`] if
    /// the lock file cannot be created or locked.
    pub fn try_acquire(store: &Path) -> Result<WriterLock, Error> {
        let (file, path) = open(store)?;
        match file.try_lock() {
            Ok(()) => WriterLock::holding(file, path),
            Err(TryLockError::WouldBlock) => Err(Error::Locked {
                path: store.to_path_buf(),
                holder: read_holder(&path),
            }),
            Err(TryLockError::Error(source)) => Err(Error::Lock { path, source }),
        }
    }

    /// Takes the writer lock of the store at `store`, waiting as long as another process
    /// holds it.
    ///
    /// # Errors
    ///
    /// [`Error::Lock`] if the lock file cannot be created or locked.
    pub fn acquire_waiting(store: &Path) -> Result<WriterLock, Error> {
        let (file, path) = open(store)?;
        if let Err(source) = file.lock() {
            return Err(Error::Lock { path, source });
        }
        WriterLock::holding(file, path)
    }

    /// Who holds the lock now: this process.
    #[must_use]
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    /// Writes this process into the lock file it has just locked, replacing any line a dead
    /// holder left.
    fn holding(mut file: File, path: PathBuf) -> Result<WriterLock, Error> {
        let holder = LockHolder {
            pid: std::process::id(),
            command: command_line(),
            since: now_utc(),
        };
        let mut line = serde_json::to_vec(&holder).unwrap_or_default();
        line.push(b'\n');
        // One write of a short line: a reader sees the old line, none, or the new one.
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&line));
        match written {
            Ok(()) => Ok(WriterLock { file, path, holder }),
            Err(source) => Err(Error::Lock { path, source }),
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // An empty file says "nobody"; closing the file releases the lock itself. Failing to
        // clear the line only leaves a stale holder line, which the next writer overwrites.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Opens (creating) the lock file of `store`.
fn open(store: &Path) -> Result<(File, PathBuf), Error> {
    let path = WriterLock::lock_path(store);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| Error::Lock {
            path: path.clone(),
            source,
        })?;
    Ok((file, path))
}

/// Reads the holder line of a lock file. The holder may be between taking the lock and
/// writing its line, so an empty or partial line is read again a few times before giving up.
fn read_holder(path: &Path) -> Option<LockHolder> {
    for attempt in 0..20 {
        let mut text = String::new();
        let read = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
        if read.is_ok()
            && let Ok(holder) = serde_json::from_str::<LockHolder>(text.trim())
        {
            return Some(holder);
        }
        if attempt < 19 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    None
}

/// This process's command line, as a person would type it, cut to [`MAX_COMMAND`].
fn command_line() -> String {
    let mut args = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let program = args.next().map_or_else(
        || "sluice".to_string(),
        |p| {
            Path::new(&p)
                .file_name()
                .map_or(p.clone(), |n| n.to_string_lossy().into_owned())
        },
    );
    let mut line = program;
    for arg in args {
        line.push(' ');
        if arg.is_empty() || arg.contains([' ', '\'', '"']) {
            line.push_str(&format!("{arg:?}"));
        } else {
            line.push_str(&arg);
        }
    }
    if line.chars().count() > MAX_COMMAND {
        line = line.chars().take(MAX_COMMAND).collect::<String>() + "...";
    }
    line
}

impl Store {
    /// Marks every `running` import `failed`: with the writer lock held, no import can be
    /// running, so those are imports whose process was killed or crashed mid-way (their data
    /// was rolled back by `SQLite`). Returns their ids.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Busy`].
    pub fn fail_interrupted_imports(&mut self, lock: &WriterLock) -> Result<Vec<i64>, Error> {
        debug_assert_eq!(
            lock.path,
            WriterLock::lock_path(&self.path),
            "the lock of another store"
        );
        let op = "record interrupted imports as failed";
        let ids = self
            .conn
            .prepare_cached("SELECT id FROM imports WHERE status = 'running' ORDER BY id")
            .and_then(|mut stmt| {
                stmt.query_map([], |row| row.get::<_, i64>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(Error::query(&self.path, op))?;
        if !ids.is_empty() {
            self.conn
                .execute(
                    "UPDATE imports SET status = 'failed', error = ?1, finished_at = ?2 \
                     WHERE status = 'running'",
                    rusqlite::params![INTERRUPTED, now_utc()],
                )
                .map_err(Error::query(&self.path, op))?;
        }
        Ok(ids)
    }
}

/// The error recorded for an import whose process ended before it could finish.
pub const INTERRUPTED: &str = "interrupted: the sluice process ended before the import \
     finished (killed or crashed); none of its data was kept";
