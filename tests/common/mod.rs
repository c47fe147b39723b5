//! Helpers shared by the end-to-end tests: a scratch directory, the real `sluice` binary run
//! inside it with a shared component cache, and SQL queries on the store it wrote.

#![allow(dead_code, unreachable_pub)] // Each test binary uses a different subset.
#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub mod people;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A scratch directory with its own store.
pub struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("store.db")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn sluice(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .current_dir(self.dir.path())
            // One cache for all tests: compiling the plugins once is enough, and entries
            // are keyed by content, so sharing cannot change an outcome.
            .env(
                "SLUICE_CACHE_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"),
            )
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    }

    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(f) => f.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(_) => "<blob>".to_string(),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// Rows of `table` matching the SQL condition `condition`.
    pub fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.query(&format!("SELECT count(*) FROM {table} WHERE {condition}"))[0][0]
            .parse()
            .unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.query(&format!("SELECT count(*) FROM {table}"))[0][0]
            .parse()
            .unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

impl Env {
    /// The `sluice` command as [`Env::sluice`] runs it, for tests that start, time or kill
    /// the process themselves.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env(
                "SLUICE_CACHE_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"),
            )
            .env_remove("RUST_BACKTRACE");
        cmd
    }
}

/// The tables an import adds to and an undo takes back from.
pub const DATA_TABLES: [&str; 5] = [
    "contacts",
    "contact_values",
    "interactions",
    "pledges",
    "changes",
];

/// A deterministic interactions file: `rows` rows about `people` people (so later rows match
/// contacts created by earlier ones), every fifth row with a pledge, the same text for the
/// same arguments. `tag` goes into every row's notes, so files with different tags differ.
pub fn interactions_csv(rows: usize, people: usize, tag: &str) -> String {
    let kinds = ["Call", "Email", "Meeting", "Text", "Thank", "Mail"];
    let mut text = String::from(
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,Pledge Amount,Notes\n",
    );
    for i in 0..rows {
        let p = (i * 7919) % people.max(1);
        let pledge = if i % 5 == 0 {
            format!("{}", 10 + i % 90)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{},2025-{:02}-{:02},individual,Pat{p},Lee{p},pat{p}@example.org,{pledge},{tag} row {i}\n",
            kinds[i % kinds.len()],
            1 + i % 12,
            1 + i % 28,
        ));
    }
    text
}

/// The rows of the data tables (contacts and their further emails and phones, interactions,
/// pledges, changes), in id order: what an undo must give back exactly.
pub fn dump(env: &Env) -> Vec<(String, Vec<Vec<String>>)> {
    DATA_TABLES
        .iter()
        .map(|t| {
            (
                t.to_string(),
                env.query(&format!("SELECT * FROM {t} ORDER BY id")),
            )
        })
        .collect()
}
