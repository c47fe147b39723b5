//! Watch mode: imports every file that lands in a folder, once, completely, through the same
//! pipeline entry as `sluice import`, and moves it to `processed/` or `failed/` afterwards.
//!
//! The loop: list the folder (on a notification, or every `poll_interval` when polling),
//! wait until each new file has settled ([`settle`]), then import the settled files one at a
//! time in arrival order. Each file is recorded in the store (path, size, modification time,
//! SHA-256) in the **same transaction** as its import's data, so:
//!
//! - a crash before the commit leaves neither data nor record, and the file is imported on
//!   the next start;
//! - a crash after the commit but before the move leaves a record; the next start finds it
//!   and only finishes the move;
//! - the same bytes under another name are recognised by their SHA-256 and not imported again.
//!
//! SIGINT and SIGTERM end the loop after the file in hand (or, with `now`, or on a second
//! signal, roll that file's import back at its next write). The caller holds the store's
//! writer lock for the whole run.
//!
//! What this module must not do: print (it reports through [`Events`]), or decide exit codes.

mod moves;
mod rules;
mod settle;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher as _};
use sha2::{Digest, Sha256};

use crate::pipeline::{self, ImportOptions, ImportReport, Outcome, Pipeline};
use crate::plugin::{self, Host};
use crate::store::{self, Store, WatchOutcome, WatchedFile, WatchedRecord, WriterLock};
use moves::{ERROR_SUFFIX, EXCEPTIONS_SUFFIX};
use rules::Rules;
use settle::Settler;

/// With native notifications, the folder is listed again this often anyway, in case the
/// platform dropped an event (a full inotify queue).
const SAFETY_RESCAN: Duration = Duration::from_secs(30);

/// Why watching could not start or go on. A file that cannot be imported is not an error of
/// the watcher: it is reported and moved to `failed/`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline has no `[watch]` section.
    #[error("the pipeline {} has no [watch] section", path.display())]
    NoWatchSection {
        /// The pipeline file.
        path: PathBuf,
    },
    /// The watched folder is missing or cannot be read.
    #[error("cannot read the watched folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A handled file could not be moved or its error file written.
    #[error("cannot move {} to {}: {source}", from.display(), to.display())]
    Move {
        /// The file.
        from: PathBuf,
        /// Where it was going.
        to: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The signal handlers could not be installed.
    #[error("cannot handle SIGINT and SIGTERM: {0}")]
    Signals(std::io::Error),
    /// The store failed; the file in hand stays where it is.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// How to run the watcher, beyond the pipeline's `[watch]` section.
#[derive(Clone, Debug, Default)]
pub struct WatchOptions {
    /// Process the files there now and return, instead of watching.
    pub once: bool,
    /// Poll the folder even if `[watch] poll` is false.
    pub poll: bool,
    /// Leave files in place even if `[watch] keep` is false.
    pub keep: bool,
    /// On SIGINT or SIGTERM, roll back the file in hand instead of finishing it.
    pub now: bool,
    /// Settings of each import (name, time zone, member code).
    pub import: ImportOptions,
}

/// What became of one file.
#[derive(Debug)]
pub enum FileOutcome {
    /// Imported; some rows may have been rejected or flagged.
    Imported {
        /// The import.
        report: Box<ImportReport>,
        /// The exceptions report written beside the moved file, if any.
        exceptions_report: Option<PathBuf>,
    },
    /// The same bytes were imported before; nothing was imported.
    Duplicate {
        /// The earlier import.
        earlier_import: i64,
    },
    /// Nothing was imported.
    Failed {
        /// Why.
        error: String,
        /// The import that failed, when one was recorded.
        import_id: Option<i64>,
        /// The error file written beside the moved file, if any.
        error_file: Option<PathBuf>,
        /// The exceptions report written beside it, when rows were rejected.
        exceptions_report: Option<PathBuf>,
    },
    /// Handled by an earlier run that stopped before moving it; only the move was done now.
    MoveFinished {
        /// What the earlier run recorded.
        outcome: WatchOutcome,
        /// Its import.
        import_id: Option<i64>,
    },
    /// A signal stopped the import; it was rolled back and the file left in place.
    RolledBack,
}

/// One file handled by the watcher.
#[derive(Debug)]
pub struct FileEvent {
    /// The file, where it was found.
    pub path: PathBuf,
    /// What became of it.
    pub outcome: FileOutcome,
    /// Where it was moved; `None` when it was left in place.
    pub moved_to: Option<PathBuf>,
    /// Why it could not be moved, if it could not (it is then left in place until the
    /// watcher restarts or it changes).
    pub move_error: Option<String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Things the watcher tells its caller.
pub trait Events {
    /// The watcher is ready: watching `dir`, by polling or not.
    fn started(&mut self, dir: &Path, polling: bool) {
        let _ = (dir, polling);
    }
    /// A settled file is about to be imported.
    fn importing(&mut self, path: &Path) {
        let _ = path;
    }
    /// A file was handled.
    fn file(&mut self, event: &FileEvent);
    /// A signal arrived; the watcher stops after the file in hand.
    fn stopping(&mut self) {}
    /// Native notifications are unavailable; the folder is polled instead.
    fn fell_back_to_polling(&mut self, why: &str) {
        let _ = why;
    }
}

/// What a run did, for the exit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files imported with no row rejected or flagged.
    pub clean: u64,
    /// Files imported with some rows rejected or flagged.
    pub partial: u64,
    /// Files that failed.
    pub failed: u64,
    /// Files whose bytes were imported before.
    pub duplicates: u64,
    /// Whether a signal ended the run.
    pub signalled: bool,
}

/// Messages to the watcher's loop.
enum Msg {
    /// Something changed in the folder.
    Changed,
    /// SIGINT or SIGTERM.
    Stop,
}

/// Watches the pipeline's `[watch]` folder, importing into `store`, until a signal (or, with
/// `once`, until the files present at the start are handled). `lock` is the store's writer
/// lock, held by the caller for the whole run.
///
/// # Errors
///
/// [`Error`] when watching cannot start or the store fails; files that cannot be imported
/// are reported through `events` and counted in the [`Summary`].
pub fn run(
    host: &Host,
    pipeline: &Pipeline,
    store: &mut Store,
    lock: &WriterLock,
    opts: &WatchOptions,
    events: &mut dyn Events,
) -> Result<Summary, Error> {
    let spec = pipeline
        .spec
        .watch
        .as_ref()
        .ok_or_else(|| Error::NoWatchSection {
            path: pipeline.spec.path.clone(),
        })?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = absolute(&spec.dir);
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::Folder {
                path: dir,
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            });
        }
        Err(source) => return Err(Error::Folder { path: dir, source }),
    }
    let mut w = Watch {
        host,
        pipeline,
        rules: Rules::new(spec),
        processed: absolute(&spec.processed_dir),
        failed: absolute(&spec.failed_dir),
        keep: opts.keep || spec.keep,
        recursive: spec.recursive,
        dir,
        settler: Settler::new(spec.settle),
        done: std::collections::HashMap::new(),
        summary: Summary::default(),
        cancel: Arc::new(AtomicBool::new(false)),
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    let stop = Arc::new(AtomicU8::new(0));
    let signals = listen_for_signals(&tx, &stop, &w.cancel, opts.now)?;
    let mut polling = opts.once || opts.poll || spec.poll;
    let mut native = None;
    if !polling {
        match native_watcher(&w.dir, w.recursive, tx.clone()) {
            Ok(watcher) => native = Some(watcher),
            Err(why) => {
                events.fell_back_to_polling(&why);
                polling = true;
            }
        }
    }
    let tick = if polling {
        spec.poll_interval
    } else {
        SAFETY_RESCAN
    };
    if !opts.once {
        events.started(&w.dir, polling);
    }
    let result = w.run_loop(store, lock, opts, &rx, &stop, tick, events);
    drop(native);
    signals.close();
    result?;
    w.summary.signalled = stop.load(Ordering::SeqCst) > 0;
    Ok(w.summary)
}

/// The state of one run.
struct Watch<'a> {
    host: &'a Host,
    pipeline: &'a Pipeline,
    rules: Rules,
    dir: PathBuf,
    processed: PathBuf,
    failed: PathBuf,
    keep: bool,
    recursive: bool,
    settler: Settler,
    /// Files handled by this run and left in place (kept, or a move failed), with their
    /// size and time: not looked at again unless they change.
    done: std::collections::HashMap<PathBuf, (u64, i64)>,
    summary: Summary,
    /// Set by the signal thread to roll back the import in hand.
    cancel: Arc<AtomicBool>,
}

impl Watch<'_> {
    #[allow(clippy::too_many_arguments)] // The loop's inputs, each used once.
    fn run_loop(
        &mut self,
        store: &mut Store,
        lock: &WriterLock,
        opts: &WatchOptions,
        rx: &mpsc::Receiver<Msg>,
        stop: &AtomicU8,
        tick: Duration,
        events: &mut dyn Events,
    ) -> Result<(), Error> {
        let mut rescan = true;
        let mut next_rescan = Instant::now();
        let mut announced = false;
        loop {
            if stop.load(Ordering::SeqCst) > 0 {
                if !announced {
                    events.stopping();
                }
                return Ok(());
            }
            let now = Instant::now();
            if rescan {
                self.scan(now)?;
                rescan = false;
                next_rescan = now + tick;
            }
            for path in self.settler.waiting() {
                if stop.load(Ordering::SeqCst) > 0 {
                    break;
                }
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => {
                        let now = Instant::now();
                        self.settler.observe(&path, &meta, now);
                        if self.settler.settled(&path, now) {
                            self.settler.forget(&path);
                            self.handle(store, lock, opts, &path, events)?;
                        }
                    }
                    _ => self.settler.forget(&path),
                }
            }
            if opts.once && self.settler.is_empty() {
                return Ok(());
            }
            if stop.load(Ordering::SeqCst) > 0 {
                continue;
            }
            let wake = self
                .settler
                .next_due()
                .map_or(next_rescan, |due| due.min(next_rescan));
            let timeout = wake.saturating_duration_since(Instant::now());
            match rx.recv_timeout(timeout) {
                Ok(Msg::Changed) => {
                    // A burst of events is one listing.
                    while let Ok(Msg::Changed) = rx.try_recv() {}
                    rescan = !opts.once;
                }
                Ok(Msg::Stop) => {
                    events.stopping();
                    announced = true;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    rescan = !opts.once && Instant::now() >= next_rescan;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }

    /// Lists the folder and starts waiting on every new file the rules take, oldest first.
    fn scan(&mut self, now: Instant) -> Result<(), Error> {
        let mut found = Vec::new();
        self.list(&self.dir.clone(), &mut found)?;
        found.sort_by(|a, b| {
            settle::mtime_ns(&a.1)
                .cmp(&settle::mtime_ns(&b.1))
                .then_with(|| a.0.cmp(&b.0))
        });
        for (path, meta) in found {
            if self.settler.contains(&path) {
                continue;
            }
            if let Some(&(size, mtime)) = self.done.get(&path) {
                if size == meta.len() && mtime == settle::mtime_ns(&meta) {
                    continue;
                }
                self.done.remove(&path);
            }
            self.settler.observe(&path, &meta, now);
        }
        Ok(())
    }

    fn list(&self, dir: &Path, found: &mut Vec<(PathBuf, std::fs::Metadata)>) -> Result<(), Error> {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            // Follows symbolic links: a linked export is imported like a file.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if self.recursive
                    && Rules::enters(&name)
                    && path != self.processed
                    && path != self.failed
                {
                    // A sub-folder that vanished or cannot be read is skipped, not fatal.
                    let _ = self.list(&path, found);
                }
            } else if meta.is_file() && self.rules.takes(&name) {
                found.push((path, meta));
            }
        }
        Ok(())
    }

    /// Imports one settled file (or finishes what an earlier run left undone) and moves it.
    fn handle(
        &mut self,
        store: &mut Store,
        lock: &WriterLock,
        opts: &WatchOptions,
        path: &Path,
        events: &mut dyn Events,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let file = WatchedFile {
            path: path.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ns: settle::mtime_ns(&meta),
        };
        let seen = (file.size, file.mtime_ns);
        // Handled before and still here: kept in place, or the process stopped between the
        // commit and the move. A record whose file was moved away describes an earlier file
        // of the same name (tools that keep modification times can make a new one look
        // alike); that one is imported, its SHA-256 still guarding against a re-delivery.
        if let Some(record) = store.watched(&file)?
            && record.moved_to.is_none()
        {
            if self.keep {
                self.done.insert(path.to_path_buf(), seen);
                return Ok(());
            }
            return self.finish_move(store, path, &record, seen, started, events);
        }

        let import_opts = ImportOptions {
            keep_exceptions: true,
            watched: Some(file.clone()),
            ..opts.import.clone()
        };
        events.importing(path);
        store.cancel_when(Some(Arc::clone(&self.cancel)));
        let outcome = pipeline::run_import(self.host, self.pipeline, store, path, &import_opts);
        store.cancel_when(None);
        let mut handled = match outcome {
            Ok(Outcome::Imported(report)) => {
                let c = report.counts;
                if c.rejected + c.flagged > 0 {
                    self.summary.partial += 1;
                } else {
                    self.summary.clean += 1;
                }
                let record_id = store.watched(&file)?.map(|r| r.id);
                Handled {
                    failed: false,
                    record_id,
                    exceptions: report.exceptions.clone(),
                    columns: report.columns.clone(),
                    outcome: FileOutcome::Imported {
                        report: Box::new(report),
                        exceptions_report: None,
                    },
                }
            }
            Ok(Outcome::AlreadyImported { earlier, .. }) => {
                self.summary.duplicates += 1;
                let id = store.record_watched(
                    &file,
                    &earlier.file_sha256,
                    WatchOutcome::Duplicate,
                    Some(earlier.id),
                    None,
                )?;
                Handled {
                    failed: false,
                    record_id: Some(id),
                    exceptions: Vec::new(),
                    columns: Vec::new(),
                    outcome: FileOutcome::Duplicate {
                        earlier_import: earlier.id,
                    },
                }
            }
            Ok(Outcome::Aborted(report)) => {
                self.summary.failed += 1;
                let error = report.aborted.clone().unwrap_or_default();
                let id = store.record_watched(
                    &file,
                    &sha256_file(path),
                    WatchOutcome::Failed,
                    Some(report.import_id),
                    Some(&error),
                )?;
                Handled {
                    failed: true,
                    record_id: Some(id),
                    exceptions: report.exceptions,
                    columns: report.columns,
                    outcome: FileOutcome::Failed {
                        error,
                        import_id: Some(report.import_id),
                        error_file: None,
                        exceptions_report: None,
                    },
                }
            }
            Err(_) if self.cancel.load(Ordering::SeqCst) => {
                // Stopped by a signal: the transaction rolled back; the import's `running`
                // row is all that is left, and is marked failed here.
                store.fail_interrupted_imports(lock)?;
                events.file(&FileEvent {
                    path: path.to_path_buf(),
                    outcome: FileOutcome::RolledBack,
                    moved_to: None,
                    move_error: None,
                    elapsed: started.elapsed(),
                });
                return Ok(());
            }
            // The store, not the file, is at fault: the file stays for the next run.
            Err(pipeline::Error::Store(e)) => return Err(Error::Store(e)),
            Err(e) => {
                self.summary.failed += 1;
                let error = e.to_string();
                let id = store.record_watched(
                    &file,
                    &sha256_file(path),
                    WatchOutcome::Failed,
                    None,
                    Some(&error),
                )?;
                Handled {
                    failed: true,
                    record_id: Some(id),
                    exceptions: Vec::new(),
                    columns: Vec::new(),
                    outcome: FileOutcome::Failed {
                        error,
                        import_id: None,
                        error_file: None,
                        exceptions_report: None,
                    },
                }
            }
        };
        let (moved_to, move_error) = if self.keep {
            self.done.insert(path.to_path_buf(), seen);
            (None, None)
        } else {
            match self.move_out(store, path, &mut handled) {
                Ok(to) => (Some(to), None),
                Err(e) => {
                    self.done.insert(path.to_path_buf(), seen);
                    (None, Some(e.to_string()))
                }
            }
        };
        events.file(&FileEvent {
            path: path.to_path_buf(),
            outcome: handled.outcome,
            moved_to,
            move_error,
            elapsed: started.elapsed(),
        });
        Ok(())
    }

    /// Moves a handled file to `processed/` or `failed/`, with its error file and exceptions
    /// report written beside it first, and records where it went.
    fn move_out(
        &self,
        store: &mut Store,
        path: &Path,
        handled: &mut Handled,
    ) -> Result<PathBuf, Error> {
        let rel = path.strip_prefix(&self.dir).unwrap_or(path);
        let rel = if rel.is_absolute() {
            Path::new(rel.file_name().unwrap_or_default())
        } else {
            rel
        };
        let dest_dir = if handled.failed {
            &self.failed
        } else {
            &self.processed
        };
        let to = moves::destination(dest_dir, rel);
        let write_err = |at: PathBuf| {
            let from = path.to_path_buf();
            move |source| Error::Move {
                from,
                to: at,
                source,
            }
        };
        if let FileOutcome::Failed {
            error, error_file, ..
        } = &mut handled.outcome
        {
            let at = moves::sidecar(&to, ERROR_SUFFIX);
            moves::write_file(&at, error_text(path, error).as_bytes())
                .map_err(write_err(at.clone()))?;
            *error_file = Some(at);
        }
        if !handled.exceptions.is_empty() {
            let at = moves::sidecar(&to, EXCEPTIONS_SUFFIX);
            let mut csv = Vec::new();
            pipeline::write_csv(&mut csv, &handled.columns, &handled.exceptions).map_err(|e| {
                Error::Move {
                    from: path.to_path_buf(),
                    to: at.clone(),
                    source: std::io::Error::other(e),
                }
            })?;
            moves::write_file(&at, &csv).map_err(write_err(at.clone()))?;
            match &mut handled.outcome {
                FileOutcome::Imported {
                    exceptions_report, ..
                }
                | FileOutcome::Failed {
                    exceptions_report, ..
                } => *exceptions_report = Some(at),
                _ => {}
            }
        }
        moves::move_file(path, &to).map_err(write_err(to.clone()))?;
        if let Some(id) = handled.record_id {
            store.set_watched_moved(id, &to.to_string_lossy())?;
        }
        Ok(to)
    }

    /// Moves a file that an earlier run handled but did not move (it stopped in between).
    fn finish_move(
        &mut self,
        store: &mut Store,
        path: &Path,
        record: &WatchedRecord,
        seen: (u64, i64),
        started: Instant,
        events: &mut dyn Events,
    ) -> Result<(), Error> {
        let failed = record.outcome == WatchOutcome::Failed;
        let mut handled = Handled {
            failed,
            record_id: Some(record.id),
            exceptions: Vec::new(),
            columns: Vec::new(),
            outcome: if failed {
                FileOutcome::Failed {
                    error: record.error.clone().unwrap_or_default(),
                    import_id: record.import_id,
                    error_file: None,
                    exceptions_report: None,
                }
            } else {
                FileOutcome::MoveFinished {
                    outcome: record.outcome,
                    import_id: record.import_id,
                }
            },
        };
        let (moved_to, move_error) = match self.move_out(store, path, &mut handled) {
            Ok(to) => (Some(to), None),
            Err(e) => {
                self.done.insert(path.to_path_buf(), seen);
                (None, Some(e.to_string()))
            }
        };
        let outcome = match handled.outcome {
            FileOutcome::Failed { .. } => FileOutcome::MoveFinished {
                outcome: record.outcome,
                import_id: record.import_id,
            },
            other => other,
        };
        events.file(&FileEvent {
            path: path.to_path_buf(),
            outcome,
            moved_to,
            move_error,
            elapsed: started.elapsed(),
        });
        Ok(())
    }
}

/// A file's result on its way out of the folder.
struct Handled {
    failed: bool,
    record_id: Option<i64>,
    exceptions: Vec<store::ExceptionRecord>,
    columns: Vec<String>,
    outcome: FileOutcome,
}

/// The text of `NAME.error.txt`: what went wrong and what to do.
fn error_text(path: &Path, error: &str) -> String {
    format!(
        "sluice could not import {}:\n\n{error}\n\nNothing of this file was imported. Fix or \
         re-export it and put it back into the watched folder.\n",
        path.display()
    )
}

/// SHA-256 of a file for the record of a failed one; empty if it cannot be read.
fn sha256_file(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| plugin::hex(&Sha256::digest(&bytes)))
        .unwrap_or_default()
}

/// Installs the SIGINT/SIGTERM handlers: the first signal asks the loop to stop after the
/// file in hand; with `now`, or on a second signal, the import in hand is rolled back too.
fn listen_for_signals(
    tx: &mpsc::Sender<Msg>,
    stop: &Arc<AtomicU8>,
    cancel: &Arc<AtomicBool>,
    now: bool,
) -> Result<signal_hook::iterator::Handle, Error> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).map_err(Error::Signals)?;
    let handle = signals.handle();
    let (tx, stop, cancel) = (tx.clone(), Arc::clone(stop), Arc::clone(cancel));
    std::thread::Builder::new()
        .name("sluice-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                let seen = stop.fetch_add(1, Ordering::SeqCst);
                if now || seen > 0 {
                    cancel.store(true, Ordering::SeqCst);
                }
                let _ = tx.send(Msg::Stop);
            }
        })
        .map_err(Error::Signals)?;
    Ok(handle)
}

/// A native watcher of `dir` that sends [`Msg::Changed`] on every event.
fn native_watcher(
    dir: &Path,
    recursive: bool,
    tx: mpsc::Sender<Msg>,
) -> Result<notify::RecommendedWatcher, String> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // An error event (e.g. a dropped queue) also calls for a fresh listing.
        let _ = event;
        let _ = tx.send(Msg::Changed);
    })
    .map_err(|e| e.to_string())?;
    let mode = if recursive {
        RecursiveMode::Recursive
    } else {
        RecursiveMode::NonRecursive
    };
    watcher.watch(dir, mode).map_err(|e| e.to_string())?;
    Ok(watcher)
}
