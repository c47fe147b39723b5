//! The exit codes of `sluice`, in one place: scripts and cron depend on them.

/// How `sluice` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Everything imported, nothing rejected or flagged.
    Ok = 0,
    /// Some rows were rejected or flagged (the rest was imported).
    Partial = 3,
    /// Nothing was imported: a bad file, a plugin fault, a store error.
    Failed = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Another process holds the store; retry later.
    Locked = 75,
}

impl Exit {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// How bad an exit is, to pick the worst of several files' outcomes.
    #[must_use]
    pub fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Partial => 1,
            Exit::Failed => 2,
            Exit::Locked => 3,
            Exit::Usage => 4,
        }
    }
}

/// The exit-code table shown in `--help` (and copied into the README).
pub const EXIT_CODES: &str = "\
Exit codes:
  0   imported, no row rejected or flagged (or the file was imported before)
  3   imported, some rows rejected or flagged: see `sluice imports show ID`
  1   nothing imported: unreadable file, plugin fault, store error, too many rows
      rejected with on_rejected = \"abort\" (undo: refused)
  2   usage or configuration error
  75  another sluice process holds the store; try again later";
