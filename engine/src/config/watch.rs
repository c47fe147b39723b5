//! The `[watch]` section of a pipeline: which folder `sluice watch` imports from, which files
//! it takes, how long a file must be still before it is read, and where files go afterwards.
//!
//! Paths are relative to the pipeline file, like the store's; `processed_dir` and
//! `failed_dir` default to `processed/` and `failed/` inside the watched folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::Error;

/// The patterns a watched folder takes when `[watch] patterns` is not given.
pub const DEFAULT_PATTERNS: [&str; 4] = ["*.csv", "*.xlsx", "*.xls", "*.ods"];

/// Names that are never imported, whatever the patterns say: office lock files, partial
/// downloads and uploads, temporary files. Dotfiles are skipped too.
pub const ALWAYS_IGNORED: [&str; 6] = [
    "~$*",
    ".~lock.*#",
    "*.part",
    "*.tmp",
    "*.crdownload",
    "*.swp",
];

/// A checked `[watch]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchSpec {
    /// The folder to watch.
    pub dir: PathBuf,
    /// File name patterns to import (`*` and `?`, case-insensitive).
    pub patterns: Vec<String>,
    /// More file name patterns to skip, besides [`ALWAYS_IGNORED`] and dotfiles.
    pub ignore: Vec<String>,
    /// Whether files in sub-folders are imported too.
    pub recursive: bool,
    /// How long a file's size and modification time must stay unchanged before it is read.
    pub settle: Duration,
    /// Poll the folder instead of using the platform's notifications.
    pub poll: bool,
    /// How often a polled folder is listed.
    pub poll_interval: Duration,
    /// Where imported files are moved.
    pub processed_dir: PathBuf,
    /// Where files that could not be imported are moved, with the error beside them.
    pub failed_dir: PathBuf,
    /// Leave files where they are; the store's record of handled files keeps them from being
    /// imported twice.
    pub keep: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatch {
    dir: Spanned<String>,
    patterns: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    recursive: bool,
    settle_ms: Option<Spanned<i64>>,
    #[serde(default)]
    poll: bool,
    poll_interval_ms: Option<Spanned<i64>>,
    processed_dir: Option<String>,
    failed_dir: Option<String>,
    #[serde(default)]
    keep: bool,
}

/// Checks `[watch]`; `base` is the pipeline file's directory.
pub(super) fn check(
    raw: RawWatch,
    base: &Path,
    invalid: &dyn Fn(usize, String) -> Error,
) -> Result<WatchSpec, Error> {
    if raw.dir.get_ref().trim().is_empty() {
        return Err(invalid(
            raw.dir.span().start,
            "`[watch] dir` must name a folder".into(),
        ));
    }
    let millis = |v: Option<Spanned<i64>>, key: &str, default: u64, min: i64| match v {
        None => Ok(Duration::from_millis(default)),
        Some(v) if (min..=3_600_000).contains(v.get_ref()) => Ok(Duration::from_millis(
            u64::try_from(*v.get_ref()).unwrap_or(default),
        )),
        Some(v) => Err(invalid(
            v.span().start,
            format!(
                "`[watch] {key}` must be between {min} and 3600000 milliseconds, got {}",
                v.get_ref()
            ),
        )),
    };
    let settle = millis(raw.settle_ms, "settle_ms", 2000, 0)?;
    let poll_interval = millis(raw.poll_interval_ms, "poll_interval_ms", 1000, 10)?;
    let patterns = match raw.patterns {
        None => DEFAULT_PATTERNS.iter().map(ToString::to_string).collect(),
        Some(p) if p.get_ref().is_empty() || p.get_ref().iter().any(|s| s.trim().is_empty()) => {
            return Err(invalid(
                p.span().start,
                "`[watch] patterns` must list at least one file name pattern, such as \"*.csv\", and none may be empty"
                    .into(),
            ));
        }
        Some(p) => p.into_inner(),
    };
    let dir = base.join(raw.dir.into_inner());
    Ok(WatchSpec {
        processed_dir: raw
            .processed_dir
            .map_or_else(|| dir.join("processed"), |p| base.join(p)),
        failed_dir: raw
            .failed_dir
            .map_or_else(|| dir.join("failed"), |p| base.join(p)),
        dir,
        patterns,
        ignore: raw.ignore,
        recursive: raw.recursive,
        settle,
        poll: raw.poll,
        poll_interval,
        keep: raw.keep,
    })
}

#[cfg(test)]
mod tests {
    use super::super::PipelineSpec;
    use super::*;

    fn parse(watch: &str) -> Result<PipelineSpec, Error> {
        PipelineSpec::parse(
            Path::new("conf/p.toml"),
            &format!("[pipeline]\nname = \"x\"\n[source]\nplugin = \"csv\"\n[watch]\n{watch}\n"),
        )
    }

    #[test]
    fn defaults_are_relative_to_the_folder_and_the_pipeline() {
        let w = parse("dir = \"inbox\"").unwrap().watch.unwrap();
        assert_eq!(w.dir, Path::new("conf/inbox"));
        assert_eq!(w.processed_dir, Path::new("conf/inbox/processed"));
        assert_eq!(w.failed_dir, Path::new("conf/inbox/failed"));
        assert_eq!(w.patterns, DEFAULT_PATTERNS);
        assert_eq!(w.settle, Duration::from_secs(2));
        assert_eq!(w.poll_interval, Duration::from_secs(1));
        assert!(!w.poll && !w.keep && !w.recursive);
        assert!(parse("").is_err(), "dir is required");
        assert!(
            PipelineSpec::parse(
                Path::new("p.toml"),
                "[pipeline]\nname = \"x\"\n[source]\nplugin = \"csv\"\n"
            )
            .unwrap()
            .watch
            .is_none()
        );
    }

    #[test]
    fn every_key_is_read() {
        let w = parse(
            "dir = \"/drop\"\npatterns = [\"*.txt\"]\nignore = [\"draft*\"]\nrecursive = true\n\
             settle_ms = 0\npoll = true\npoll_interval_ms = 250\nprocessed_dir = \"done\"\n\
             failed_dir = \"/bad\"\nkeep = true",
        )
        .unwrap()
        .watch
        .unwrap();
        assert_eq!(w.dir, Path::new("/drop"));
        assert_eq!(w.patterns, ["*.txt"]);
        assert_eq!(w.ignore, ["draft*"]);
        assert_eq!(w.settle, Duration::ZERO);
        assert_eq!(w.poll_interval, Duration::from_millis(250));
        assert_eq!(w.processed_dir, Path::new("conf/done"));
        assert_eq!(w.failed_dir, Path::new("/bad"));
        assert!(w.poll && w.keep && w.recursive);
    }

    #[test]
    fn bad_values_name_the_line_and_key() {
        for (text, needle) in [
            (
                "dir = \"in\"\nsettle_ms = -1",
                "`[watch] settle_ms` must be between 0",
            ),
            (
                "dir = \"in\"\npoll_interval_ms = 1",
                "`[watch] poll_interval_ms`",
            ),
            (
                "dir = \"in\"\npatterns = []",
                "`[watch] patterns` must list",
            ),
            ("dir = \"\"", "`[watch] dir` must name a folder"),
            ("dir = \"in\"\nsettle = 5", "unknown field `settle`"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.starts_with("conf/p.toml:"), "{e}");
            assert!(e.contains(needle), "{text}: {e}");
        }
        let e = parse("dir = \"in\"\n\nsettle_ms = -1")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("conf/p.toml:8:"), "{e}");
    }
}
