//! How an import tells its caller how far it has got, without printing: the runner calls a
//! [`Progress`] and the command line decides what to show (a progress bar on a terminal,
//! nothing otherwise) and measures the phases' timings.

use std::path::Path;

/// The phases of one import, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Hashing the file to see whether it was imported before.
    Hashing,
    /// Reading the header, preparing every stage, indexing the stored contacts.
    Preparing,
    /// Reading, checking, matching and writing the rows of a file of `bytes` bytes.
    Loading {
        /// The file's size.
        bytes: u64,
    },
    /// Rebuilding deferred indexes and committing the transaction.
    Committing,
}

/// Receives an import's progress. Every method has a default that does nothing, and each
/// call is cheap to make: the runner calls [`Progress::rows`] once per chunk of the file.
pub trait Progress {
    /// The import of `file` enters `phase`.
    fn phase(&mut self, file: &Path, phase: Phase) {
        let _ = (file, phase);
    }

    /// `bytes` of the file have been read and `rows` rows handled so far.
    fn rows(&mut self, bytes: u64, rows: u64) {
        let _ = (bytes, rows);
    }

    /// Whether the import should stop now (the user pressed Ctrl-C, the service manager sent
    /// SIGTERM). Asked once per chunk of the file while rows are loaded; the runner then rolls
    /// the import back and records it as failed.
    fn stop_requested(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
