//! Moving handled files out of the watched folder: into `processed/` or `failed/`, keeping
//! their sub-folder, never over an existing file (a timestamp suffix makes the name unique),
//! with the error or the exceptions report written beside them first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where a file whose path relative to the watched folder is `rel` goes in `dest_dir`: the
/// same relative path, or, when that name is taken, `stem.TIMESTAMP.ext` (then `-2`, `-3` …).
pub(crate) fn destination(dest_dir: &Path, rel: &Path) -> PathBuf {
    let plain = dest_dir.join(rel);
    if !taken(&plain) {
        return plain;
    }
    let stem = plain
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = plain
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut n = 1u32;
    loop {
        let suffix = if n == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{n}")
        };
        let candidate = plain.with_file_name(format!("{stem}.{suffix}{ext}"));
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Whether a file (or a sidecar of it) already has this name.
fn taken(path: &Path) -> bool {
    path.exists() || sidecar(path, ERROR_SUFFIX).exists()
}

/// The suffix of the error file beside a failed file.
pub(crate) const ERROR_SUFFIX: &str = ".error.txt";
/// The suffix of the exceptions report beside a file with rejected or flagged rows.
pub(crate) const EXCEPTIONS_SUFFIX: &str = ".exceptions.csv";

/// `NAME` + `suffix`, beside `file`.
pub(crate) fn sidecar(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().map(ToOwned::to_owned).unwrap_or_default();
    name.push(suffix);
    file.with_file_name(name)
}

/// Writes `bytes` to `path`, creating its folder.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes)
}

/// Moves `from` to `to`, creating `to`'s folder. A rename where possible; across file systems
/// (a `processed/` on another drive) a copy, flushed to disk, then the original removed. A
/// crash between the two leaves the file in the watched folder too, where the store's
/// record makes the next run finish the move instead of importing it again.
pub(crate) fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            fs::copy(from, to)?;
            fs::File::open(to)?.sync_all()?;
            fs::remove_file(from)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_names_get_a_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let rel = Path::new("sub/calls.csv");
        let first = destination(dir.path(), rel);
        assert_eq!(first, dir.path().join("sub/calls.csv"));
        write_file(&first, b"1").unwrap();
        let second = destination(dir.path(), rel);
        let name = second.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("calls.2") && name.ends_with("Z.csv"),
            "{name}"
        );
        write_file(&second, b"2").unwrap();
        let third = destination(dir.path(), rel);
        assert!(
            third.to_string_lossy().ends_with("Z-2.csv"),
            "{}",
            third.display()
        );
        assert_eq!(
            sidecar(&first, ERROR_SUFFIX),
            dir.path().join("sub/calls.csv.error.txt")
        );
    }

    #[test]
    fn moves_create_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a.csv");
        fs::write(&from, b"x").unwrap();
        let to = dir.path().join("processed/a.csv");
        move_file(&from, &to).unwrap();
        assert!(!from.exists());
        assert_eq!(fs::read(&to).unwrap(), b"x");
    }
}
