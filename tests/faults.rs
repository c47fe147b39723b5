//! Faults around an import: a corrupted component cache entry, a store that is not SQLite or
//! comes from a newer sluice, and a disk that fills up mid-import. Each must end with a clear
//! message and the right exit code, and lose nothing.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, dump, interactions_csv, json, stderr};
use sha2::{Digest, Sha256};

fn example_pipeline() -> String {
    common::repo()
        .join("configs/interactions.toml")
        .display()
        .to_string()
}

fn import(env: &Env, file: &Path) -> std::process::Output {
    let (db, pipeline) = (env.db().display().to_string(), example_pipeline());
    let file = file.display().to_string();
    env.sluice(&["import", "--db", &db, "--json", &pipeline, &file])
}

fn cache_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    entries.sort();
    entries
}

/// An entry is sound when its leading 32 bytes are the SHA-256 of the rest.
fn sound(entry: &Path) -> bool {
    let bytes = std::fs::read(entry).unwrap();
    bytes.len() > 32 && Sha256::digest(&bytes[32..]).as_slice() == &bytes[..32]
}

#[test]
fn a_corrupted_cache_entry_is_rebuilt_never_executed() {
    let env = Env::new();
    let cache = env.path("cache");
    let run = |file: &Path| {
        let db = env.db().display().to_string();
        let mut cmd = env.command(&[
            "import",
            "--db",
            &db,
            "--json",
            &example_pipeline(),
            file.to_str().unwrap(),
        ]);
        cmd.env("SLUICE_CACHE_DIR", &cache);
        cmd.output().unwrap()
    };
    // A cache of its own, so every entry in it is one this pipeline uses.
    let first = env.write("first.csv", &interactions_csv(10, 5, "first"));
    let out = run(&first);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut entries = cache_entries(&cache);
    assert!(entries.len() >= 3, "{entries:?}");
    assert!(entries.iter().all(|e| sound(e)));
    // The two smallest entries are the quickest to compile again.
    entries.sort_by_key(|e| std::fs::metadata(e).unwrap().len());
    let entries = entries;

    // One entry has a flipped byte deep in its machine code, another is cut short.
    let flipped = &entries[0];
    let mut bytes = std::fs::read(flipped).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(flipped, &bytes).unwrap();
    std::fs::write(&entries[1], &bytes[..10]).unwrap();

    let second = env.write("second.csv", &interactions_csv(10, 5, "second"));
    let out = run(&second);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out)[0]["counts"]["results"],
        10,
        "{}",
        common::stdout(&out)
    );
    assert_eq!(cache_entries(&cache).len(), entries.len());
    assert!(entries.iter().all(|e| sound(e)), "entries were not rebuilt");
    assert_ne!(std::fs::read(flipped).unwrap(), bytes);
}

#[test]
fn a_store_that_is_not_sqlite_is_refused_untouched() {
    let env = Env::new();
    let text = "Name,Email\nnot,a database\n".repeat(50);
    std::fs::write(env.db(), &text).unwrap();
    let file = env.write("in.csv", &interactions_csv(5, 5, "x"));
    let out = import(&env, &file);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("store.db is not a sluice store (not an SQLite database)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(env.db()).unwrap(), text);
}

#[test]
fn a_store_from_a_newer_sluice_is_refused_untouched() {
    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(5, 5, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
    }
    let before = dump(&env);
    let file = env.write("in.csv", &interactions_csv(5, 5, "later"));
    let out = import(&env, &file);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("has schema version 999 but this sluice supports up to version"),
        "{err}"
    );
    assert!(err.contains("upgrade sluice"), "{err}");
    assert_eq!(dump(&env), before);
    assert_eq!(
        env.query("PRAGMA user_version"),
        vec![vec!["999".to_string()]]
    );
}

/// A full disk, simulated by capping the size any file of the child may grow to
/// (`RLIMIT_FSIZE`) with `SIGXFSZ` ignored, so a write past the cap fails with `EFBIG`
/// as it would with `ENOSPC` instead of killing the process.
#[test]
fn a_disk_that_fills_up_mid_import_loses_nothing() {
    use std::os::unix::process::CommandExt as _;

    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(50, 20, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    let before = dump(&env);
    let size = std::fs::metadata(env.db()).unwrap().len();
    // Room for wasmtime's compiled code (a few MiB) but not for the import's write-ahead log.
    let cap = size + (4 << 20);

    let big = env.write("big.csv", &interactions_csv(20_000, 5000, "big"));
    let (db, pipeline) = (env.db().display().to_string(), example_pipeline());
    let mut cmd = env.command(&[
        "import",
        "--db",
        &db,
        "--json",
        &pipeline,
        big.to_str().unwrap(),
    ]);
    // SAFETY: between fork and exec the closure only calls the async-signal-safe `signal`
    // and `setrlimit`, and allocates nothing.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: cap,
                rlim_max: cap,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results = json(&out);
    assert_eq!(results[0]["status"], "failed", "{results}");
    let error = results[0]["error"].as_str().unwrap();
    assert!(error.starts_with("import 2"), "{error}");
    assert!(error.contains(": disk I/O error"), "{error}");
    assert_eq!(dump(&env), before, "the failed import changed data");

    // With room again, the same file imports in full.
    let out = import(&env, &big);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["counts"]["results"], 20_000);
}

#[test]
fn doctor_finds_a_healthy_store_healthy_and_names_what_is_broken() {
    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(5, 5, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    let db = env.db().display().to_string();

    let out = env.sluice(&["doctor", "--db", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        common::stdout(&out)
            .contains(": healthy (integrity ok, 1 imports add up, 5 changes consistent)"),
        "{}",
        common::stdout(&out)
    );

    {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        conn.execute_batch(
            "UPDATE imports SET results = results - 1 WHERE id = 1;
             INSERT INTO changes (import_id, table_name, row_id, action) VALUES (1, 'contacts', 999, 'create');",
        )
        .unwrap();
    }
    let before = std::fs::read(env.db()).unwrap();
    let out = env.sluice(&["doctor", "--db", &db, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("store.db has 3 problems"),
        "{}",
        stderr(&out)
    );
    let problems: Vec<(String, String)> = json(&out)["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["check"].as_str().unwrap().to_string(),
                p["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                "accounting".to_string(),
                "import 1: rows 5 != results 4 + rejected 0 + skipped 0".to_string()
            ),
            (
                "accounting".into(),
                "import 1: 4 results recorded but 5 interactions stored".into()
            ),
            (
                "change-log".into(),
                "change 6 (create contact 999 by import 1) describes a contact or an import that is not there".into()
            ),
        ]
    );
    assert_eq!(
        std::fs::read(env.db()).unwrap(),
        before,
        "doctor changed the store"
    );
}
