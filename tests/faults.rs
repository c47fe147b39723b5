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

/// Runs `cmd` without the capabilities that let root ignore file permissions
/// (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`): tests run as root in CI, and chmod alone
/// would not stop root from writing. Dropped from the bounding set before exec, they are
/// gone from the child's effective set; an unprivileged run cannot drop them (EPERM) and does
/// not need to.
fn without_permission_overrides(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: between fork and exec the closure only calls the async-signal-safe `prctl`,
    // and allocates nothing.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            // CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (linux/capability.h).
            for cap in [1 as libc::c_ulong, 2] {
                libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
            }
            Ok(())
        })
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A store the process cannot write: its file read-only (and, first, its folder too). The
/// import fails with the reason and exit 1, the file's bytes stay as they were, and once the
/// store is writable again the same command imports.
#[test]
fn a_read_only_store_is_refused_and_left_as_it_was() {
    let env = Env::new();
    let folder = env.path("ro");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("store.db");
    let db_arg = db.display().to_string();
    let pipeline = example_pipeline();
    let seed = env.write("seed.csv", &interactions_csv(5, 5, "seed"));
    let out = env.sluice(&["import", "--db", &db_arg, &pipeline, seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = env.write("in.csv", &interactions_csv(5, 5, "later"));
    let run = || {
        without_permission_overrides(&mut env.command(&[
            "import",
            "--db",
            &db_arg,
            &pipeline,
            file.to_str().unwrap(),
        ]))
        .output()
        .unwrap()
    };
    let before = std::fs::read(&db).unwrap();

    chmod(&db, 0o444);
    chmod(&folder, 0o555);
    // The check that the test really takes write access away, as root too.
    let probe = without_permission_overrides(&mut std::process::Command::new("sh"))
        .args(["-c", "echo x >> \"$0\" || echo x > \"$1\"/probe"])
        .arg(&db)
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        !probe.status.success(),
        "the store stayed writable: this process cannot take write access away"
    );
    let out = run();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The lock file beside it is left from the seed import and still writable; SQLite
    // cannot create its write-ahead log in the folder.
    assert!(
        err.contains("cannot open the store")
            && err.contains("attempt to write a readonly database"),
        "{err}"
    );
    assert!(
        err.contains(
            "make the store file, the -wal and -shm files beside it and its folder writable"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // The folder writable, the file not: SQLite opens it read-only and refuses the write.
    chmod(&folder, 0o755);
    let out = run();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("attempt to write a readonly database"),
        "{err}"
    );
    assert!(
        err.contains(
            "make the store file, the -wal and -shm files beside it and its folder writable"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // SQLite made the -wal and -shm files as read-only as the store: the fix names them too.
    for name in ["store.db", "store.db-wal", "store.db-shm"] {
        if folder.join(name).exists() {
            chmod(&folder.join(name), 0o644);
        }
    }
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (imports, interactions): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM interactions)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // The refused attempts could not even record themselves.
    assert_eq!((imports, interactions), (2, 10));
}

/// A named pipe standing in for an input file that changes under the import: `sluice`
/// hashes the file, then opens it again to read it. A writer thread serves the first open
/// with `first` and, when `second` is given, the second open with it; without `second` it
/// removes the file before the first read ends. Returns the writer, which ends when sluice
/// has read what it serves.
fn changing_file(
    path: &Path,
    first: String,
    second: Option<String>,
) -> std::thread::JoinHandle<()> {
    use std::io::Write as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    #[allow(unsafe_code)]
    let made = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
    assert_eq!(made, 0, "mkfifo: {}", std::io::Error::last_os_error());
    // The reader's close (IN_CLOSE_NOWRITE), watched before the reader can open the pipe.
    // SAFETY: plain syscalls on a valid path; the new descriptor is owned by `closed`.
    #[allow(unsafe_code)]
    let mut closed = unsafe {
        let fd = libc::inotify_init1(libc::IN_CLOEXEC);
        assert!(fd >= 0, "inotify: {}", std::io::Error::last_os_error());
        let watch = libc::inotify_add_watch(fd, c_path.as_ptr(), libc::IN_CLOSE_NOWRITE);
        assert!(watch >= 0, "inotify: {}", std::io::Error::last_os_error());
        <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd)
    };
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Read as _;
        // Opening for writing waits for the reader; errors mean sluice stopped reading.
        if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = pipe.write_all(first.as_bytes());
            if second.is_none() {
                // Gone before the reader sees the end of the bytes it hashes.
                std::fs::remove_file(&path).unwrap();
            }
        }
        if second.is_some() {
            // Opening the pipe again while the reader still drains it would join this
            // stream: wait until the reader has closed it.
            let mut event = [0u8; 4096];
            let _ = closed.read(&mut event);
        }
        if let Some(second) = second
            && let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&path)
        {
            let _ = pipe.write_all(second.as_bytes());
        }
    })
}

/// Unblocks and ends `writer` if sluice stopped before reading all it serves (a failing
/// test must not hang): a reader-and-writer handle of the pipe never waits, and is drained
/// until the writer is done.
fn release(path: &Path, writer: std::thread::JoinHandle<()>) {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if !writer.is_finished()
        && let Ok(mut pipe) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    {
        let mut buf = vec![0u8; 1 << 16];
        while !writer.is_finished() {
            let _ = pipe.read(&mut buf);
            std::thread::yield_now();
        }
    }
    writer.join().unwrap();
}

#[test]
fn a_file_truncated_while_it_is_read_is_refused_and_nothing_kept() {
    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(20, 10, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    let before = dump(&env);
    // Several 64 KiB chunks, then only the first half of them (cut mid-row) when it is read.
    let text = interactions_csv(4000, 400, "live");
    assert!(text.len() > 4 * 65_536);
    let half = text[..text.len() / 2].to_string();
    let live = env.path("live.csv");
    let writer = changing_file(&live, text, Some(half));
    let out = import(&env, &live);
    release(&live, writer);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let results = json(&out);
    assert_eq!(results[0]["status"], "failed", "{results}");
    assert_eq!(
        results[0]["error"],
        format!(
            "{} changed while it was being imported (truncated, appended to or replaced); \
             nothing of it was imported",
            live.display()
        ),
        "{results}"
    );
    assert_eq!(dump(&env), before, "the failed import changed data");
    assert_eq!(
        env.query("SELECT status FROM imports ORDER BY id"),
        vec![vec!["committed".to_string()], vec!["failed".into()]]
    );

    std::fs::remove_file(&live).unwrap();
    let file = env.write("whole.csv", &interactions_csv(4000, 400, "live"));
    let out = import(&env, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["counts"]["results"], 4000);
}

#[test]
fn a_file_deleted_while_it_is_read_is_refused_and_nothing_kept() {
    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(20, 10, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    let before = dump(&env);
    let live = env.path("live.csv");
    let writer = changing_file(&live, interactions_csv(2000, 200, "live"), None);
    let out = import(&env, &live);
    release(&live, writer);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let results = json(&out);
    assert_eq!(results[0]["status"], "failed", "{results}");
    assert_eq!(
        results[0]["error"],
        format!(
            "cannot read {}: No such file or directory (os error 2)",
            live.display()
        ),
        "{results}"
    );
    assert_eq!(dump(&env), before, "the failed import changed data");
    // Listed as failed, with the error, though it never reached its first row.
    assert_eq!(
        env.query("SELECT status, error FROM imports ORDER BY id"),
        vec![
            vec!["committed".to_string(), "NULL".into()],
            vec![
                "failed".into(),
                results[0]["error"].as_str().unwrap().into()
            ],
        ]
    );

    let file = env.write("next.csv", &interactions_csv(20, 10, "next"));
    let out = import(&env, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["counts"]["results"], 20);
}

/// Runs `cmd` with resource `limit` capped at `value` (soft and hard), `SIGXFSZ` ignored so
/// a write past `RLIMIT_FSIZE` fails with `EFBIG` as a full disk fails with `ENOSPC`.
fn limited(
    cmd: &mut std::process::Command,
    limit: libc::__rlimit_resource_t,
    value: u64,
) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: between fork and exec the closure only calls the async-signal-safe `signal`
    // and `setrlimit`, and allocates nothing.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rlimit = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(limit, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// A machine out of address space (`RLIMIT_AS` below the 4 GiB a plugin's memory reserves)
/// cannot start a plugin: that is the machine's fault, said as such with exit 1, not "not a
/// WebAssembly component" with a hint to fix the pipeline.
#[test]
fn a_machine_out_of_memory_is_not_blamed_on_the_plugin() {
    let env = Env::new();
    let seed = env.write("seed.csv", &interactions_csv(5, 5, "seed"));
    assert_eq!(import(&env, &seed).status.code(), Some(0));
    let before = dump(&env);
    let file = env.write("in.csv", &interactions_csv(5, 5, "later"));
    let (db, pipeline) = (env.db().display().to_string(), example_pipeline());
    let args = ["import", "--db", &db, &pipeline, file.to_str().unwrap()];
    let out = limited(&mut env.command(&args), libc::RLIMIT_AS, 1536 << 20)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot start plugin csv: the system refused: ")
            && err.contains("Cannot allocate memory"),
        "{err}"
    );
    assert!(err.contains("the plugin is not at fault"), "{err}");
    assert!(!err.contains("not a WebAssembly component"), "{err}");
    assert_eq!(dump(&env), before);

    let out = import(&env, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["counts"]["results"], 5);
}

/// A full disk under the compile cache costs a compile, not the command: the entry is not
/// written, no partial file is left behind, and the next run with room caches it. With even
/// less room wasmtime cannot write the plugin's memory image (a memfd, which the file-size
/// limit covers too): the machine's fault, said as such, not "not a WebAssembly component".
#[test]
fn a_full_disk_under_the_compile_cache_leaves_no_partial_entry() {
    let env = Env::new();
    let cache = env.path("cache");
    let inspect = || {
        let mut cmd = env.command(&["plugin", "inspect", "excel"]);
        cmd.env("SLUICE_CACHE_DIR", &cache);
        cmd
    };
    // Room for the memory image, not for the compiled plugin (over 1 MiB).
    let out = limited(&mut inspect(), libc::RLIMIT_FSIZE, 1 << 20)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        common::stdout(&out).contains("excel"),
        "{}",
        common::stdout(&out)
    );
    let left: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the cache: {left:?}");

    let out = inspect().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let entries = cache_entries(&cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(sound(&entries[0]));
    assert!(std::fs::metadata(&entries[0]).unwrap().len() > 1 << 20);

    // From the cache now, so no compile is wasted on the run that fails.
    let out = limited(&mut inspect(), libc::RLIMIT_FSIZE, 64 << 10)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot start plugin excel: the system refused: File too large"),
        "{err}"
    );
    assert!(err.contains("the plugin is not at fault"), "{err}");
}
