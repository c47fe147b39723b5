//! The life of an import, end to end on the real binary: skipped re-imports and `--force`,
//! undo (exact restore, refusal and `--cascade`, `--dry-run`), the writer lock (a second
//! writer exits 75 naming the holder, `--wait` queues), `--json` against its published schema,
//! `--quiet`, and the progress bar on a pseudo-terminal.

#![allow(clippy::unwrap_used, clippy::panic)] // Test code: a failed step is a failed test.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{Env, dump, interactions_csv, json, repo, stderr, stdout};
use serde_json::Value;

const PIPELINE: &str = "[pipeline]\nname = \"lifecycle\"\ntimezone = \"UTC\"\n\
    [source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
    [[validate]]\nplugin = \"interactions\"\n[store]\npath = \"store.db\"\n";

fn setup() -> (Env, String) {
    let env = Env::new();
    let p = env.write("pipeline.toml", PIPELINE);
    (env, p.display().to_string())
}

fn import(env: &Env, pipeline: &str, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["import", pipeline, file.to_str().unwrap()];
    args.extend_from_slice(extra);
    env.sluice(&args)
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn reimport_is_skipped_unless_forced() {
    let (env, p) = setup();
    let file = env.write("calls.csv", &interactions_csv(6, 3, "calls"));
    let first = import(&env, &p, &file, &[]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(env.count("interactions"), 6);

    let again = import(&env, &p, &file, &["--json"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(json(&again)[0]["status"], "already-imported");
    assert_eq!(json(&again)[0]["earlier_import"], 1);
    let again = import(&env, &p, &file, &[]);
    assert!(
        stdout(&again).contains("already imported as import 1; use --force"),
        "{}",
        stdout(&again)
    );
    assert_eq!(env.count("interactions"), 6);
    assert_eq!(env.count("imports"), 1);

    let forced = import(&env, &p, &file, &["--force", "--json"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert_eq!(json(&forced)[0]["import_id"], 2);
    assert_eq!(env.count("interactions"), 12);
    // The people of the second run are the contacts the first one created.
    assert_eq!(env.count("contacts"), 3);
}

/// Imports a base file (two contacts), then writes, without importing it, a file that creates
/// contacts, fills empty fields of an existing one and creates pledges; returns its path.
fn base_and_rich_import(env: &Env, p: &str) -> PathBuf {
    let base = env.write(
        "base.csv",
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email\n\
         Call,3/14/2025,individual,Ana,Lima,ana@example.org\n\
         Email,2025-03-15,individual,Ben,Okafor,ben@example.org\n",
    );
    let out = import(env, p, &base, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    env.write(
        "rich.csv",
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,Employer,Occupation,Pledge Amount\n\
         Meeting,2025-04-11,individual,Ana,Lima,ana@example.org,Acme,Teacher,250\n\
         Call,2025-04-12,individual,Cleo,Park,cleo@example.org,Birch,Nurse,100\n\
         Call,2025-04-13,individual,Cleo,Park,cleo@example.org,,,\n\
         Thank,2025-04-14,individual,Dan,Roy,dan@example.org,,,75\n",
    )
}

#[test]
fn undo_gives_back_the_exact_store_before_the_import() {
    let (env, p) = setup();
    let rich = base_and_rich_import(&env, &p);
    let before = dump(&env);

    let out = import(&env, &p, &rich, &["--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let id = json(&out)[0]["import_id"].as_i64().unwrap();
    assert_eq!(id, 2);
    // The import did all three things an undo must reverse.
    assert_eq!(json(&out)[0]["contacts_created"], 2);
    assert_eq!(json(&out)[0]["pledges"], 3);
    let fills = env.query("SELECT field, new_value FROM changes WHERE import_id = 2 AND action = 'fill' AND row_id = 1 ORDER BY field");
    assert_eq!(
        fills,
        vec![
            vec!["employer".to_string(), "Acme".into()],
            vec!["occupation".to_string(), "Teacher".into()]
        ]
    );
    assert_ne!(dump(&env), before);

    let undo = env.sluice(&["undo", "2", "--db", "store.db", "--json"]);
    assert_eq!(code(&undo), 0, "{}", stderr(&undo));
    let report = json(&undo);
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["imports"][0]["import_id"], 2);
    assert_eq!(report["imports"][0]["interactions"], 4);
    assert_eq!(report["imports"][0]["pledges"], 3);
    assert_eq!(report["imports"][0]["contacts"], 2);
    assert_eq!(
        report["imports"][0]["restored"].as_array().unwrap().len(),
        2
    );
    assert_eq!(report["imports"][0]["kept"].as_array().unwrap().len(), 0);

    assert_eq!(dump(&env), before);
    assert_eq!(
        env.query("SELECT id, status FROM imports ORDER BY id"),
        vec![
            vec!["1".to_string(), "committed".into()],
            vec!["2".to_string(), "undone".into()]
        ]
    );
    // The undo is recorded.
    assert_eq!(
        env.query("SELECT import_id, requested_id, interactions, pledges, contacts, restored, kept FROM undos"),
        vec![["2", "2", "4", "3", "2", "2", "0"].map(String::from).to_vec()]
    );
    // An undone file is no longer "imported before", and a second undo is refused.
    let again = env.sluice(&["undo", "2", "--db", "store.db"]);
    assert_eq!(code(&again), 1);
    assert!(
        stderr(&again).contains("import 2 is undone: only a committed import can be undone"),
        "{}",
        stderr(&again)
    );
    let reimport = import(&env, &p, &rich, &["--json"]);
    assert_eq!(
        json(&reimport)[0]["status"],
        "imported",
        "{}",
        stdout(&reimport)
    );
}

#[test]
fn undo_keeps_a_field_changed_since_the_import_and_says_so() {
    let (env, p) = setup();
    let rich = base_and_rich_import(&env, &p);
    let out = import(&env, &p, &rich, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Someone corrects Ana's employer after the import filled it.
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute(
            "UPDATE contacts SET employer = 'Acme Schools' WHERE id = 1",
            [],
        )
        .unwrap();

    let undo = env.sluice(&["undo", "2", "--db", "store.db"]);
    assert_eq!(code(&undo), 0, "{}", stderr(&undo));
    assert!(
        stdout(&undo).contains(
            "kept contact #1 employer = \"Acme Schools\": changed since the import wrote \"Acme\" (before it: \"\")"
        ),
        "{}",
        stdout(&undo)
    );
    // The correction stays; the other field the import filled is empty again.
    assert_eq!(
        env.query("SELECT employer, occupation FROM contacts WHERE id = 1"),
        vec![vec!["Acme Schools".to_string(), String::new()]]
    );
    assert_eq!(
        env.query("SELECT restored, kept FROM undos"),
        vec![vec!["1".to_string(), "1".into()]]
    );
}

#[test]
fn undo_dry_run_changes_nothing() {
    let (env, p) = setup();
    let rich = base_and_rich_import(&env, &p);
    let out = import(&env, &p, &rich, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let everything = |env: &Env| {
        let mut d = dump(env);
        for t in ["imports", "undos", "import_exceptions"] {
            d.push((t.to_string(), env.query(&format!("SELECT * FROM {t}"))));
        }
        d
    };
    let before = everything(&env);
    let dry = env.sluice(&["undo", "2", "--db", "store.db", "--dry-run"]);
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("would undo import 2 (rich.csv): 4 interactions, 3 pledges and 2 contacts removed, 2 fields restored"),
        "{text}"
    );
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert_eq!(everything(&env), before);
}

#[test]
fn undo_is_refused_when_a_later_import_built_on_it_unless_cascade() {
    let (env, p) = setup();
    let empty: Vec<(String, Vec<Vec<String>>)> = common::DATA_TABLES
        .map(|t| (t.to_string(), Vec::new()))
        .to_vec();
    let a = env.write("a.csv", &interactions_csv(4, 2, "a"));
    let b = env.write("b.csv", &interactions_csv(3, 2, "b"));
    assert_eq!(code(&import(&env, &p, &a, &[])), 0);
    assert_eq!(code(&import(&env, &p, &b, &[])), 0);
    // b's rows went to the contacts a created.
    assert_eq!(env.count("contacts"), 2);
    let before = dump(&env);

    let refused = env.sluice(&["undo", "1", "--db", "store.db"]);
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    let err = stderr(&refused);
    assert!(
        err.contains(
            "import 1 cannot be undone: import 2 (b.csv) attached 3 interactions to contacts #1, #2 created by import 1"
        ),
        "{err}"
    );
    assert!(
        err.contains("fix: undo import 2 first, or pass --cascade to undo it with it"),
        "{err}"
    );
    assert_eq!(dump(&env), before);

    let cascade = env.sluice(&["undo", "1", "--db", "store.db", "--cascade"]);
    assert_eq!(code(&cascade), 0, "{}", stderr(&cascade));
    let text = stdout(&cascade);
    assert!(
        text.contains("undid import 2 (b.csv) (built on import 1)"),
        "{text}"
    );
    assert!(text.contains("undid import 1 (a.csv)"), "{text}");
    assert_eq!(dump(&env), empty);
    let show = env.sluice(&["imports", "show", "2", "--db", "store.db"]);
    let text = stdout(&show);
    assert!(text.contains("import 2 (undone): b.csv"), "{text}");
    assert!(
        text.contains(" with import 1 (--cascade): 3 interactions, "),
        "{text}"
    );
    let show = json(&env.sluice(&["imports", "show", "1", "--db", "store.db", "--json"]));
    assert_eq!(show["undo"]["requested_id"], 1);
    assert_eq!(show["undo"]["interactions"], 4);
    assert_eq!(
        env.query("SELECT import_id, requested_id FROM undos ORDER BY id"),
        vec![
            vec!["2".to_string(), "1".into()],
            vec!["1".to_string(), "1".into()]
        ]
    );
}

fn validate(instance: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("engine/schemas/import.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?} in {instance:#}");
}

#[test]
fn json_output_follows_its_schema() {
    let (env, p) = setup();
    let good = env.write("good.csv", &interactions_csv(5, 5, "good"));
    let missing = env.path("missing.csv");
    let out = env.sluice(&[
        "import",
        &p,
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    validate(&doc);
    assert_eq!(doc[0]["status"], "imported");
    assert_eq!(doc[0]["import_id"], 1);
    assert_eq!(doc[0]["counts"]["rows"], 5);
    assert_eq!(doc[0]["report_path"], Value::Null);
    let t = &doc[0]["timings_ms"];
    let total = t["total"].as_u64().unwrap();
    let parts: u64 = ["hash", "prepare", "load", "commit"]
        .iter()
        .map(|k| t[k].as_u64().unwrap())
        .sum();
    assert!(parts <= total, "{t}");
    assert_eq!(doc[1]["status"], "failed");
    assert!(
        doc[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot read "),
        "{}",
        doc[1]
    );
    assert_eq!(doc[2]["status"], "already-imported");
    // Nothing but the document on stdout.
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // A file refused by `on_rejected = "abort"`.
    let strict = env.write(
        "strict.toml",
        &PIPELINE.replace(
            "timezone = \"UTC\"\n",
            "timezone = \"UTC\"\non_rejected = \"abort\"\nmax_rejected = 0.0\n",
        ),
    );
    let bad = env.write(
        "bad.csv",
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email\n\
         Call,,individual,Ana,Lima,ana@example.org\n",
    );
    let out = env.sluice(&[
        "import",
        strict.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    validate(&doc);
    assert_eq!(doc[0]["status"], "aborted", "{doc}");
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let (env, p) = setup();
    let good = env.write("good.csv", &interactions_csv(5, 5, "q"));
    let out = import(&env, &p, &good, &["--quiet"]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    let missing = env.path("missing.csv");
    let out = import(&env, &p, &missing, &["-q"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
}

/// A file whose import takes long enough (over a second in a debug build) for another
/// process to run into it.
const LONG_ROWS: usize = 2_500;

#[test]
fn a_second_writer_exits_75_naming_the_holder_and_nothing_is_lost() {
    let (env, p) = setup();
    let a = env.write("a.csv", &interactions_csv(LONG_ROWS, 400, "a"));
    let b = env.write("b.csv", &interactions_csv(LONG_ROWS, 400, "b"));
    // Both start together; whichever takes the lock first imports, the other finds it taken.
    let started = Instant::now();
    let first = env
        .command(&["import", &p, a.to_str().unwrap(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = env
        .command(&["import", &p, b.to_str().unwrap(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pids = [first.id(), second.id()];
    // Each is awaited on its own thread, so each time is its own.
    let outs = [first, second]
        .map(|c| {
            std::thread::spawn(move || {
                let out = c.wait_with_output().unwrap();
                (out, started.elapsed())
            })
        })
        .map(|t| t.join().unwrap());
    let winner = outs
        .iter()
        .position(|(o, _)| code(o) == 0)
        .unwrap_or_else(|| {
            panic!(
                "no import succeeded: {:?}",
                outs.iter().map(|(o, _)| stderr(o)).collect::<Vec<_>>()
            )
        });
    let loser = 1 - winner;
    let (lost, lost_after) = &outs[loser];
    assert_eq!(code(lost), 75, "{}", stderr(lost));
    let err = stderr(lost);
    assert!(
        err.contains(&format!(
            "is in use by another sluice process (pid {}, `sluice import ",
            pids[winner]
        )),
        "{err}"
    );
    assert!(err.contains("since 20"), "{err}");
    assert!(err.contains("pass --wait"), "{err}");
    // The loser gave up at once, long before the winner finished.
    assert!(
        *lost_after < outs[winner].1,
        "{lost_after:?} vs {:?}",
        outs[winner].1
    );
    assert!(*lost_after < Duration::from_secs(3), "{lost_after:?}");

    assert_eq!(env.count("interactions"), i64::try_from(LONG_ROWS).unwrap());
    assert_eq!(env.count("imports"), 1);
    // The loser's file imports once the store is free.
    let file = if loser == 0 { &a } else { &b };
    let out = import(&env, &p, file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        env.count("interactions"),
        2 * i64::try_from(LONG_ROWS).unwrap()
    );
}

#[test]
fn with_wait_the_second_writer_queues_and_both_commit() {
    let (env, p) = setup();
    let a = env.write("a.csv", &interactions_csv(LONG_ROWS, 400, "a"));
    let b = env.write("b.csv", &interactions_csv(LONG_ROWS, 400, "b"));
    let children: Vec<_> = [&a, &b]
        .iter()
        .map(|f| {
            env.command(&["import", &p, f.to_str().unwrap(), "--wait", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(json(&out)[0]["counts"]["results"], LONG_ROWS);
    }
    // No row lost or doubled: each file's rows once, under its own import.
    assert_eq!(
        env.query(
            "SELECT import_id, count(*), count(DISTINCT row_number) FROM interactions \
             GROUP BY import_id ORDER BY import_id"
        ),
        vec![
            vec![
                "1".to_string(),
                LONG_ROWS.to_string(),
                LONG_ROWS.to_string()
            ],
            vec![
                "2".to_string(),
                LONG_ROWS.to_string(),
                LONG_ROWS.to_string()
            ]
        ]
    );
    assert_eq!(
        env.query("SELECT count(DISTINCT notes) FROM interactions")[0][0],
        (2 * LONG_ROWS).to_string()
    );
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    let (env, p) = setup();
    // A process that has ended, and a lock file naming it as the holder.
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    env.write(
        "store.db.lock",
        &format!(
            "{{\"pid\":{pid},\"command\":\"sluice import old.toml old.csv\",\"since\":\"2025-01-01T00:00:00Z\"}}\n"
        ),
    );
    let file = env.write("calls.csv", &interactions_csv(3, 3, "stale"));
    let out = import(&env, &p, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(env.count("interactions"), 3);
    // The lock file stays, empty: nobody holds the store.
    assert_eq!(
        std::fs::read_to_string(env.path("store.db.lock")).unwrap(),
        ""
    );
}

const TTY_ROWS: usize = 3_500;

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_only() {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let (env, p) = setup();
    // Long enough for the bar, which appears after 2,000 rows.
    let file = env.write("long.csv", &interactions_csv(TTY_ROWS, 400, "tty"));

    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();
    let mut cmd = env.command(&["import", &p, file.to_str().unwrap()]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // Our copies of the terminal's slave side: the reader sees EOF when the child ends.
    let mut master = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading the master fails with EIO once the child has closed the terminal.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let status = child.wait().unwrap();
    let screen = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{screen}");
    assert!(screen.contains("long.csv ["), "{screen}");
    assert!(screen.contains(" rows/s"), "{screen}");
    assert!(screen.contains("ETA "), "{screen}");
    assert!(screen.contains("long.csv as import 1"), "{screen}");

    // Not a terminal: the summary and no bar.
    let file = env.write("long2.csv", &interactions_csv(TTY_ROWS, 400, "pipe"));
    let out = import(&env, &p, &file, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("ETA"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("long2.csv as import 2"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn help_lists_the_exit_codes() {
    let env = Env::new();
    for args in [&["--help"][..], &["import", "--help"], &["undo", "--help"]] {
        let out = env.sluice(args);
        assert_eq!(code(&out), 0);
        let text = stdout(&out);
        for line in [
            "  0   imported, no row rejected or flagged",
            "  3   imported, some rows rejected or flagged",
            "  1   nothing imported",
            "  2   usage or configuration error",
            "  75  another sluice process holds the store; try again later",
        ] {
            assert!(text.contains(line), "{args:?}: {line} in\n{text}");
        }
    }
    let text = stdout(&env.sluice(&["undo", "--help"]));
    for flag in ["--dry-run", "--cascade", "--wait", "--json"] {
        assert!(text.contains(flag), "{flag} in\n{text}");
    }
}

/// Waits (up to 30 s) until `condition` holds, looking every 20 ms: the store gives no signal
/// when another process writes to it.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_and_sigterm_roll_the_import_back_and_record_it_failed() {
    use rustix::process::{Pid, Signal, kill_process};
    let (env, p) = setup();
    for (n, signal) in [(1, Signal::INT), (2, Signal::TERM)] {
        let file = env.write(
            &format!("long{n}.csv"),
            &interactions_csv(2 * LONG_ROWS, 400, &format!("signal {n}")),
        );
        let child = env
            .command(&["import", &p, file.to_str().unwrap(), "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Once the import is recorded as running, its rows are being written.
        wait_until("the import to start", || {
            // The store may not exist yet, or not have its tables: that is "not yet".
            rusqlite::Connection::open(env.db())
                .and_then(|c| {
                    c.query_row("SELECT count(*) FROM imports WHERE id = ?1", [n], |r| {
                        r.get::<_, i64>(0)
                    })
                })
                .is_ok_and(|count| count == 1)
        });
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
        kill_process(pid, signal).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc[0]["status"], "failed", "{doc}");
        assert!(
            doc[0]["error"]
                .as_str()
                .unwrap()
                .ends_with("was interrupted; nothing of it was kept"),
            "{doc}"
        );
        assert_eq!(
            env.query(&format!("SELECT status, error FROM imports WHERE id = {n}")),
            vec![vec![
                "failed".to_string(),
                format!(
                    "the import of {} was interrupted; nothing of it was kept",
                    file.display()
                )
            ]]
        );
        assert_eq!(env.count("interactions"), 0);
        assert_eq!(env.count("contacts"), 0);
        assert_eq!(env.count("import_exceptions"), 0);
    }
}
