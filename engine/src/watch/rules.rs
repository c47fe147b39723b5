//! Which files of a watched folder are imported: the `[watch]` patterns, minus temporary and
//! lock files (office `~$` and `.~lock` files, partial downloads, dotfiles) and any extra
//! `ignore` patterns.
//!
//! Patterns match the file name only, case-insensitively (exports from Windows tools say
//! `.CSV`), with `*` for any run of characters and `?` for one.

use crate::config::{ALWAYS_IGNORED, WatchSpec};

/// The file-name rules of one watched folder.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    patterns: Vec<Vec<char>>,
    ignored: Vec<Vec<char>>,
}

impl Rules {
    pub(crate) fn new(spec: &WatchSpec) -> Rules {
        let lower = |p: &str| p.to_lowercase().chars().collect::<Vec<_>>();
        Rules {
            patterns: spec.patterns.iter().map(|p| lower(p)).collect(),
            ignored: ALWAYS_IGNORED
                .iter()
                .map(|p| lower(p))
                .chain(spec.ignore.iter().map(|p| lower(p)))
                .collect(),
        }
    }

    /// Whether a file named `name` is to be imported.
    pub(crate) fn takes(&self, name: &str) -> bool {
        if name.starts_with('.') {
            return false;
        }
        let name: Vec<char> = name.to_lowercase().chars().collect();
        !self.ignored.iter().any(|p| glob(p, &name)) && self.patterns.iter().any(|p| glob(p, &name))
    }

    /// Whether a sub-folder named `name` is looked into (recursive watching): not hidden ones.
    pub(crate) fn enters(name: &str) -> bool {
        !name.starts_with('.')
    }
}

/// Matches `name` against `pattern` (`*` any run, `?` one character), iteratively with one
/// backtrack point, so no pattern can make it slow.
fn glob(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == name.get(n) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn rules(patterns: &[&str], ignore: &[&str]) -> Rules {
        Rules::new(&WatchSpec {
            dir: PathBuf::from("in"),
            patterns: patterns.iter().map(ToString::to_string).collect(),
            ignore: ignore.iter().map(ToString::to_string).collect(),
            recursive: false,
            settle: Duration::ZERO,
            poll: false,
            poll_interval: Duration::from_secs(1),
            processed_dir: PathBuf::from("in/processed"),
            failed_dir: PathBuf::from("in/failed"),
            keep: false,
        })
    }

    #[test]
    fn globs() {
        let g = |p: &str, n: &str| {
            glob(
                &p.chars().collect::<Vec<_>>(),
                &n.chars().collect::<Vec<_>>(),
            )
        };
        assert!(g("*.csv", "a.csv"));
        assert!(g("*.csv", ".csv"));
        assert!(!g("*.csv", "a.csv.part"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("*a*b*", "xxaxxbxx"));
        assert!(!g("*a*b", "xxaxxbxx"));
        assert!(g("**", ""));
        assert!(g(".~lock.*#", ".~lock.x.csv#"));
    }

    #[test]
    fn temp_and_lock_files_are_never_taken() {
        let r = rules(&["*.csv", "*.xlsx"], &["draft-*"]);
        for name in ["calls.csv", "CALLS.CSV", "Nightly Export.xlsx"] {
            assert!(r.takes(name), "{name}");
        }
        for name in [
            "~$calls.xlsx",
            ".~lock.calls.csv#",
            "calls.csv.part",
            "calls.tmp",
            "calls.csv.crdownload",
            ".hidden.csv",
            "draft-calls.csv",
            "notes.txt",
        ] {
            assert!(!r.takes(name), "{name}");
        }
    }
}
