//! When a file in a watched folder is complete: its size and modification time have not
//! changed for the settle time and (on Linux) no process has it open for writing.
//!
//! Files are handed out in the order they were first seen, so a burst of files is imported
//! in arrival order; files found together (at start-up) go oldest first.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How soon a file that was still open for writing is looked at again.
const BUSY_RECHECK: Duration = Duration::from_millis(200);

/// What the watcher knows of a file it is waiting on.
#[derive(Clone, Debug)]
struct Seen {
    size: u64,
    mtime_ns: i64,
    /// When its size or modification time was last seen to change.
    changed_at: Instant,
    /// Not before this is it looked at again (it was open for writing).
    recheck_at: Instant,
    /// Arrival order.
    order: u64,
}

/// The files waiting to settle.
#[derive(Debug)]
pub(crate) struct Settler {
    settle: Duration,
    files: HashMap<PathBuf, Seen>,
    next_order: u64,
}

/// A file's modification time in nanoseconds since the Unix epoch (negative before it; 0
/// where the platform has none).
pub(crate) fn mtime_ns(meta: &Metadata) -> i64 {
    match meta.modified() {
        Ok(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n),
        },
        Err(_) => 0,
    }
}

impl Settler {
    pub(crate) fn new(settle: Duration) -> Settler {
        Settler {
            settle,
            files: HashMap::new(),
            next_order: 0,
        }
    }

    /// Whether no file is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Whether `path` is being waited on.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// Notes the current size and time of `path`. A file seen for the first time whose
    /// modification time is already older than the settle time (it was there before the
    /// watcher started) does not wait again.
    pub(crate) fn observe(&mut self, path: &Path, meta: &Metadata, now: Instant) {
        let (size, mtime) = (meta.len(), mtime_ns(meta));
        if let Some(seen) = self.files.get_mut(path) {
            if seen.size != size || seen.mtime_ns != mtime {
                seen.size = size;
                seen.mtime_ns = mtime;
                seen.changed_at = now;
            }
            return;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or_default();
        let changed_at = if age >= self.settle {
            now.checked_sub(self.settle).unwrap_or(now)
        } else {
            now
        };
        self.files.insert(
            path.to_path_buf(),
            Seen {
                size,
                mtime_ns: mtime,
                changed_at,
                recheck_at: changed_at,
                order: self.next_order,
            },
        );
        self.next_order += 1;
    }

    /// Stops waiting on `path` (it was handled, or it is gone).
    pub(crate) fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// The waiting files, in arrival order.
    pub(crate) fn waiting(&self) -> Vec<PathBuf> {
        let mut files: Vec<(&PathBuf, u64)> =
            self.files.iter().map(|(p, s)| (p, s.order)).collect();
        files.sort_by_key(|(_, order)| *order);
        files.into_iter().map(|(p, _)| p.clone()).collect()
    }

    /// Whether `path` has settled by `now`. A file still open for writing is looked at again
    /// a little later.
    pub(crate) fn settled(&mut self, path: &Path, now: Instant) -> bool {
        let Some(seen) = self.files.get_mut(path) else {
            return false;
        };
        if now < seen.recheck_at || now.duration_since(seen.changed_at) < self.settle {
            return false;
        }
        if open_for_writing(path) {
            seen.recheck_at = now + BUSY_RECHECK;
            return false;
        }
        true
    }

    /// When the next waiting file may have settled.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.files
            .values()
            .map(|s| (s.changed_at + self.settle).max(s.recheck_at))
            .min()
    }
}

/// Whether any process has `path` open for writing, from `/proc/*/fd` and `fdinfo` (Linux).
/// Processes this user cannot see are not counted; elsewhere the answer is always no and the
/// settle time alone decides.
#[cfg(target_os = "linux")]
fn open_for_writing(path: &Path) -> bool {
    let Ok(target) = std::fs::canonicalize(path) else {
        return false;
    };
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for proc_entry in procs.flatten() {
        let pid = proc_entry.file_name();
        let Some(pid) = pid.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if std::fs::read_link(fd.path()).is_ok_and(|link| link == target)
                && writable_fd(&proc_entry.path(), &fd.file_name())
            {
                return true;
            }
        }
    }
    false
}

/// Whether the descriptor `fd` of the process at `proc_dir` was opened for writing: the
/// access mode in the octal `flags:` line of its `fdinfo` is `O_WRONLY` or `O_RDWR`.
#[cfg(target_os = "linux")]
fn writable_fd(proc_dir: &Path, fd: &std::ffi::OsStr) -> bool {
    let Ok(info) = std::fs::read_to_string(proc_dir.join("fdinfo").join(fd)) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 != 0)
}

#[cfg(not(target_os = "linux"))]
fn open_for_writing(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_settles_once_unchanged_and_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"x").unwrap();
        let mut s = Settler::new(Duration::from_millis(100));
        let t0 = Instant::now();
        s.observe(&path, &std::fs::metadata(&path).unwrap(), t0);
        assert!(!s.settled(&path, t0), "just written");
        let later = t0 + Duration::from_millis(150);
        assert!(!s.settled(&path, later), "still open for writing");
        drop(file);
        assert!(
            !s.settled(&path, later),
            "looked at again only after a while"
        );
        assert!(s.settled(&path, later + BUSY_RECHECK));
        // A change starts the wait again.
        std::fs::write(&path, b"xy").unwrap();
        s.observe(
            &path,
            &std::fs::metadata(&path).unwrap(),
            later + BUSY_RECHECK,
        );
        assert!(!s.settled(&path, later + BUSY_RECHECK));
        assert!(s.settled(&path, later + BUSY_RECHECK + Duration::from_millis(100)));
    }

    #[test]
    fn waiting_files_come_out_in_arrival_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settler::new(Duration::ZERO);
        let now = Instant::now();
        for name in ["c", "a", "b"] {
            let p = dir.path().join(name);
            std::fs::write(&p, name).unwrap();
            s.observe(&p, &std::fs::metadata(&p).unwrap(), now);
        }
        let names: Vec<_> = s
            .waiting()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["c", "a", "b"]);
    }
}
