//! End-to-end tests of `sluice watch`: the real binary watching a temporary folder, with
//! native notifications and with polling, killed and restarted, run from cron with `--once`.

#![allow(clippy::unwrap_used, clippy::panic)] // Tests: a failed step is a failed test.

mod common;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Env, interactions_csv, stderr, stdout};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Native,
    Polling,
}

/// Writes `p.toml` (an interactions pipeline watching `inbox/`) and creates the folder.
fn setup(env: &Env, mode: Mode, settle_ms: u64, batch_size: usize) {
    fs::create_dir_all(env.path("inbox")).unwrap();
    env.write(
        "p.toml",
        &format!(
            "[pipeline]\nname = \"watched\"\ntimezone = \"America/New_York\"\n\
             batch_size = {batch_size}\n\
             [source]\nplugin = \"csv\"\n\
             [[transform]]\nplugin = \"mapping\"\n\
             [[validate]]\nplugin = \"interactions\"\n\
             [store]\npath = \"store.db\"\n\
             [watch]\ndir = \"inbox\"\nsettle_ms = {settle_ms}\npoll = {}\npoll_interval_ms = 100\n",
            mode == Mode::Polling
        ),
    );
}

/// A running `sluice watch --json`, its log lines read as they come.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Watcher {
    fn start(env: &Env, extra: &[&str]) -> Watcher {
        let mut args = vec!["watch", "p.toml", "--json"];
        args.extend_from_slice(extra);
        let mut child = env
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(fs::File::create(env.path("watch.err")).unwrap())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut w = Watcher { child, lines };
        w.next_where(|v| v["event"] == "watching", Duration::from_secs(30));
        w
    }

    /// The next log line that satisfies `pred`, skipping others.
    fn next_where(&mut self, pred: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(e) => panic!("no such log line within {timeout:?} ({e})"),
            }
        }
    }

    /// The next `n` per-file results, by file name.
    fn files(&mut self, n: usize, timeout: Duration) -> BTreeMap<String, Value> {
        let deadline = Instant::now() + timeout;
        let mut files = BTreeMap::new();
        while files.len() < n {
            let v = self.next_where(
                |v| {
                    ["imported", "failed", "duplicate", "move-finished"]
                        .contains(&v["event"].as_str().unwrap_or(""))
                },
                deadline.saturating_duration_since(Instant::now()),
            );
            let name = file_name(v["file"].as_str().unwrap());
            assert!(
                files.insert(name.clone(), v).is_none(),
                "{name} was handled twice"
            );
        }
        files
    }

    /// Sends SIGTERM; returns the exit status and how long the watcher took to exit.
    fn term(mut self) -> (ExitStatus, Duration) {
        let pid = rustix::process::Pid::from_child(&self.child);
        let sent = Instant::now();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = self.child.wait().unwrap();
        (status, sent.elapsed())
    }
}

/// The one per-file result line of a `--once --json` run (skipping `importing`).
fn only_result(out: &str) -> Value {
    let results: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["event"] != "importing")
        .collect();
    assert_eq!(results.len(), 1, "{out}");
    results.into_iter().next().unwrap()
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Stops the watcher and checks it exits 0, promptly.
fn stop(w: Watcher, env: &Env) {
    let (status, took) = w.term();
    let err = fs::read_to_string(env.path("watch.err")).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
}

// 1. A file written slowly, in chunks over 3 s, is imported once and complete.

fn slow_write(mode: Mode) {
    let env = Env::new();
    setup(&env, mode, 1000, 512);
    let mut w = Watcher::start(&env, &[]);
    let text = interactions_csv(60, 20, "slow");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let chunks: Vec<String> = lines.chunks(10).map(<[&str]>::concat).collect();
    let path = env.path("inbox/slow.csv");
    // Closed between chunks, but changing faster than the settle time...
    for chunk in &chunks[..3] {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(chunk.as_bytes()).unwrap();
        drop(f);
        std::thread::sleep(Duration::from_millis(500));
    }
    // ...then held open for writing and idle for longer than the settle time.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(chunks[3].as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    f.write_all(chunks[4].as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    f.write_all(chunks[5..].concat().as_bytes()).unwrap();
    drop(f);

    let files = w.files(1, Duration::from_secs(30));
    let v = &files["slow.csv"];
    assert_eq!(v["event"], "imported", "{v}");
    assert_eq!(
        (v["rows"].as_u64(), v["results"].as_u64()),
        (Some(60), Some(60))
    );
    stop(w, &env);
    assert_eq!(env.count("imports"), 1);
    assert_eq!(env.count("interactions"), 60);
    assert_eq!(
        env.query("SELECT outcome, size FROM watched_files"),
        vec![vec!["imported".to_string(), text.len().to_string()]]
    );
    assert_eq!(
        fs::read_to_string(env.path("inbox/processed/slow.csv")).unwrap(),
        text
    );
    assert_eq!(names_in(&env.path("inbox")), ["processed"]);
}

#[test]
fn slow_write_is_imported_once_and_complete() {
    slow_write(Mode::Native);
}

#[test]
fn slow_write_is_imported_once_and_complete_polling() {
    slow_write(Mode::Polling);
}

// 2. Fifty files dropped at once are all imported, each once.

fn burst(mode: Mode) {
    let env = Env::new();
    setup(&env, mode, 300, 512);
    fs::create_dir_all(env.path("staging")).unwrap();
    for i in 0..50 {
        env.write(
            &format!("staging/f{i:02}.csv"),
            &interactions_csv(4, 8, &format!("file {i}")),
        );
    }
    let mut w = Watcher::start(&env, &[]);
    // Renamed into place, as an SFTP drop or a careful exporter does.
    for i in 0..50 {
        let name = format!("f{i:02}.csv");
        fs::rename(
            env.path(&format!("staging/{name}")),
            env.path(&format!("inbox/{name}")),
        )
        .unwrap();
    }
    let files = w.files(50, Duration::from_secs(60));
    for (name, v) in &files {
        assert_eq!(v["event"], "imported", "{name}: {v}");
        assert_eq!(v["results"], 4, "{name}: {v}");
    }
    stop(w, &env);
    assert_eq!(
        env.query("SELECT count(*), count(DISTINCT file_name), sum(results) FROM imports WHERE status = 'committed'"),
        vec![vec!["50".to_string(), "50".into(), "200".into()]]
    );
    assert_eq!(env.count("interactions"), 200);
    assert_eq!(env.count("watched_files"), 50);
    assert_eq!(names_in(&env.path("inbox/processed")).len(), 50);
    assert_eq!(names_in(&env.path("inbox")), ["processed"]);
}

#[test]
fn fifty_files_at_once_are_each_imported_once() {
    burst(Mode::Native);
}

#[test]
fn fifty_files_at_once_are_each_imported_once_polling() {
    burst(Mode::Polling);
}

// 3. Temp and lock files are never imported; a malformed file goes to failed/ with its
//    error, a partly bad one to processed/ with its exceptions report.

const PARTIAL: &str = "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email
Call,3/14/2025,individual,Cara,Diaz,cara@example.org
Email,,individual,Dev,Patel,dev@example.org
Meeting,2025-03-16,,Eve,Moreau,eve@example.org
Text,2025-03-17,individual,Finn,Berg,finn@example.org
";

fn sorting(mode: Mode) {
    let env = Env::new();
    setup(&env, mode, 300, 512);
    let temp_names = [
        "~$calls.csv",
        ".~lock.calls.csv#",
        "calls.csv.part",
        "calls.tmp",
        "calls.csv.crdownload",
        ".hidden.csv",
    ];
    for (i, name) in temp_names.iter().enumerate() {
        env.write(
            &format!("inbox/{name}"),
            &interactions_csv(3, 3, &format!("temp {i}")),
        );
    }
    let mut w = Watcher::start(&env, &[]);
    env.write("inbox/malformed.csv", "\n\n\n");
    env.write("inbox/partial.csv", PARTIAL);
    // A download finishing: written as .part, renamed into place.
    env.write("inbox/report.csv.part", &interactions_csv(5, 5, "report"));
    fs::rename(
        env.path("inbox/report.csv.part"),
        env.path("inbox/report.csv"),
    )
    .unwrap();

    let files = w.files(3, Duration::from_secs(30));
    let malformed = &files["malformed.csv"];
    assert_eq!(malformed["event"], "failed", "{malformed}");
    let error = fs::read_to_string(env.path("inbox/failed/malformed.csv.error.txt")).unwrap();
    assert!(error.contains("only blank lines"), "{error}");
    assert_eq!(
        fs::read_to_string(env.path("inbox/failed/malformed.csv")).unwrap(),
        "\n\n\n"
    );

    let partial = &files["partial.csv"];
    assert_eq!(partial["event"], "imported", "{partial}");
    assert_eq!(
        (partial["results"].as_u64(), partial["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    let report =
        fs::read_to_string(env.path("inbox/processed/partial.csv.exceptions.csv")).unwrap();
    assert!(
        report.contains("missing Date") && report.contains("missing Contact Type"),
        "{report}"
    );
    assert!(env.path("inbox/processed/partial.csv").exists());

    assert_eq!(files["report.csv"]["event"], "imported");
    assert_eq!(files["report.csv"]["results"], 5);
    stop(w, &env);

    assert_eq!(
        env.query("SELECT file_name FROM imports WHERE status = 'committed' ORDER BY file_name"),
        vec![vec!["partial.csv".to_string()], vec!["report.csv".into()]]
    );
    assert_eq!(
        env.query("SELECT outcome, count(*) FROM watched_files GROUP BY outcome ORDER BY outcome"),
        vec![
            vec!["failed".to_string(), "1".into()],
            vec!["imported".to_string(), "2".into()]
        ]
    );
    let mut expected: Vec<String> = temp_names.iter().map(ToString::to_string).collect();
    expected.extend(["failed".into(), "processed".into()]);
    expected.sort();
    assert_eq!(names_in(&env.path("inbox")), expected);
}

#[test]
fn temp_files_are_skipped_and_bad_files_set_aside() {
    sorting(Mode::Native);
}

#[test]
fn temp_files_are_skipped_and_bad_files_set_aside_polling() {
    sorting(Mode::Polling);
}

// 4. Killed during the import of a large file and restarted: every file imported once.

/// Rows of the large file: enough that, in batches of 4, its import takes a while.
const LARGE_ROWS: usize = 3000;

/// Starts a watcher on `large.csv` and two small files and returns it once the import of
/// `large.csv` is under way (recorded as running in the store).
fn watch_large_import(env: &Env, extra: &[&str]) -> Watcher {
    setup(env, Mode::Native, 200, 4);
    env.write(
        "inbox/large.csv",
        &interactions_csv(LARGE_ROWS, 500, "large"),
    );
    let mut w = Watcher::start(env, extra);
    w.next_where(
        |v| v["event"] == "importing" && v["file"].as_str().unwrap().ends_with("large.csv"),
        Duration::from_secs(30),
    );
    // More files arrive while the large one is being imported.
    env.write("inbox/small1.csv", &interactions_csv(5, 5, "small 1"));
    env.write("inbox/small2.csv", &interactions_csv(7, 5, "small 2"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.query("SELECT count(*) FROM imports WHERE status = 'running'")[0][0] != "1" {
        assert!(Instant::now() < deadline, "the import never started");
        std::thread::yield_now();
    }
    w
}

/// Every file imported exactly once, nothing missing, no row twice.
fn assert_each_once(env: &Env) {
    assert_eq!(
        env.query(
            "SELECT file_name, count(*), sum(results) FROM imports WHERE status = 'committed' \
             GROUP BY file_name ORDER BY file_name"
        ),
        vec![
            vec!["large.csv".to_string(), "1".into(), LARGE_ROWS.to_string()],
            vec!["small1.csv".to_string(), "1".into(), "5".into()],
            vec!["small2.csv".to_string(), "1".into(), "7".into()],
        ]
    );
    assert_eq!(
        env.count("interactions"),
        i64::try_from(LARGE_ROWS + 12).unwrap()
    );
    assert_eq!(
        env.query(
            "SELECT count(*) FROM (SELECT notes FROM interactions GROUP BY notes HAVING count(*) > 1)"
        ),
        vec![vec!["0".to_string()]]
    );
    assert_eq!(
        names_in(&env.path("inbox/processed")),
        ["large.csv", "small1.csv", "small2.csv"]
    );
}

#[test]
fn killed_mid_import_and_restarted_imports_each_file_once() {
    let env = Env::new();
    let mut w = watch_large_import(&env, &[]);
    w.child.kill().unwrap();
    w.child.wait().unwrap();
    assert_eq!(
        env.query(
            "SELECT count(*) FROM imports WHERE status = 'committed' AND file_name = 'large.csv'"
        ),
        vec![vec!["0".to_string()]],
        "the large import was not interrupted"
    );
    assert!(env.path("inbox/large.csv").exists());

    // Restarted: catches up with the large file and those that came meanwhile.
    let mut w = Watcher::start(&env, &[]);
    let files = w.files(3, Duration::from_secs(60));
    assert!(
        files.values().all(|v| v["event"] == "imported"),
        "{files:?}"
    );
    stop(w, &env);
    assert_each_once(&env);
    assert_eq!(
        env.query("SELECT status, error LIKE 'interrupted:%' FROM imports WHERE id = 1"),
        vec![vec!["failed".to_string(), "1".into()]]
    );
}

#[test]
fn sigterm_with_now_rolls_back_the_file_in_hand() {
    let env = Env::new();
    let mut w = watch_large_import(&env, &["--now"]);
    let pid = rustix::process::Pid::from_child(&w.child);
    let sent = Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let rolled = w.next_where(|v| v["event"] == "rolled-back", Duration::from_secs(10));
    assert!(rolled["file"].as_str().unwrap().ends_with("large.csv"));
    assert_eq!(w.child.wait().unwrap().code(), Some(0));
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(env.count("interactions"), 0);
    assert_eq!(env.count("watched_files"), 0);
    assert_eq!(
        env.query("SELECT status FROM imports"),
        vec![vec!["failed".to_string()]]
    );
    // The next run imports everything.
    let out = env.sluice(&["watch", "p.toml", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_each_once(&env);
}

#[test]
fn a_move_left_undone_is_finished_without_importing_again() {
    let env = Env::new();
    setup(&env, Mode::Native, 0, 512);
    env.write("inbox/a.csv", &interactions_csv(6, 3, "a"));
    // Imported but left in place, as when the process died between commit and move.
    let out = env.sluice(&["watch", "p.toml", "--once", "--keep"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(env.path("inbox/a.csv").exists());
    // Kept files are not imported again.
    let out = env.sluice(&["watch", "p.toml", "--once", "--keep", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let out = env.sluice(&["watch", "p.toml", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = only_result(&stdout(&out));
    assert_eq!(line["event"], "move-finished", "{line}");
    assert_eq!(line["import_id"], 1);
    assert_eq!(env.count("imports"), 1);
    assert_eq!(env.count("interactions"), 6);
    assert_eq!(names_in(&env.path("inbox/processed")), ["a.csv"]);
    assert_eq!(
        env.query("SELECT moved_to LIKE '%processed/a.csv' FROM watched_files"),
        vec![vec!["1".to_string()]]
    );
    // The same bytes under another name are recognised, not imported again.
    env.write("inbox/copy.csv", &interactions_csv(6, 3, "a"));
    let out = env.sluice(&["watch", "p.toml", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = only_result(&stdout(&out));
    assert_eq!(
        (line["event"].as_str(), line["earlier_import"].as_i64()),
        (Some("duplicate"), Some(1))
    );
    assert_eq!(env.count("imports"), 1);
}

// 5. SIGTERM when idle: exit 0 within 2 s.

#[test]
fn sigterm_when_idle_exits_0_promptly() {
    let env = Env::new();
    setup(&env, Mode::Native, 300, 512);
    let w = Watcher::start(&env, &[]);
    stop(w, &env);
}

// 6. Cron: `--once` beside a running watcher exits 75; alone, it handles the backlog.

#[test]
fn once_while_watching_exits_75_quickly() {
    let env = Env::new();
    setup(&env, Mode::Native, 300, 512);
    let w = Watcher::start(&env, &[]);
    env.write("inbox/late.csv", &interactions_csv(3, 3, "late"));
    let started = Instant::now();
    let out = env.sluice(&["watch", "p.toml", "--once"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("in use by another sluice process (pid"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    stop(w, &env);
}

#[test]
fn once_handles_the_backlog_and_sums_it_up_in_the_exit_code() {
    let env = Env::new();
    setup(&env, Mode::Native, 300, 512);
    let watch_once = || env.sluice(&["watch", "p.toml", "--once"]);
    // Nothing there.
    assert_eq!(watch_once().status.code(), Some(0));
    // A clean file and a partly bad one: 3.
    env.write("inbox/clean.csv", &interactions_csv(4, 4, "clean"));
    env.write("inbox/partial.csv", PARTIAL);
    let out = watch_once();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("watch --once: 1 imported, 1 with exceptions, 0 failed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(names_in(&env.path("inbox")), ["processed"]);
    // A file that cannot be imported: 1.
    env.write("inbox/empty.csv", "");
    let out = watch_once();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(env.path("inbox/failed/empty.csv.error.txt").exists());
    // All clean: 0.
    env.write("inbox/more.csv", &interactions_csv(2, 2, "more"));
    assert_eq!(watch_once().status.code(), Some(0));
    // Every attempt is listed, the empty file as failed.
    assert_eq!(
        env.query("SELECT file_name, status FROM imports ORDER BY file_name"),
        [
            ["clean.csv", "committed"],
            ["empty.csv", "failed"],
            ["more.csv", "committed"],
            ["partial.csv", "committed"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
}

#[test]
fn the_wrong_file_and_two_columns_for_one_field_go_to_failed() {
    let env = Env::new();
    setup(&env, Mode::Native, 300, 512);
    env.write("inbox/wrong.csv", "foo,bar,baz\n1,2,3\n");
    env.write(
        "inbox/twice.csv",
        "Interaction Type,Date,Contact Type,First Name,Last Name,Email,E-mail\n\
         Call,3/14/2025,individual,Ann,Lee,ann@example.org,ann@work.example\n",
    );
    let out = env.sluice(&["watch", "p.toml", "--once"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(names_in(&env.path("inbox")), ["failed"]);
    let error = |name: &str| {
        fs::read_to_string(env.path(&format!("inbox/failed/{name}.error.txt"))).unwrap()
    };
    assert!(
        error("wrong.csv").contains(
            "no column maps to Interaction Type, Date or Contact Type (the file's columns: \
             \"foo\", \"bar\", \"baz\"): this does not look like an interactions export"
        ),
        "{}",
        error("wrong.csv")
    );
    assert!(
        error("twice.csv").contains(
            "columns \"Email\" and \"E-mail\" both map to \"Primary Email\"; say which one in \
             the mapping's params, e.g. columns = { \"Primary Email\" = \"Email\" }"
        ),
        "{}",
        error("twice.csv")
    );
    // Nothing was imported from either; both attempts are listed as failed.
    assert_eq!(env.count("interactions"), 0);
    assert_eq!(
        env.query("SELECT file_name, status FROM imports ORDER BY file_name"),
        [["twice.csv", "failed"], ["wrong.csv", "failed"]].map(|r| r.map(String::from).to_vec())
    );
}

#[test]
fn a_pipeline_without_watch_is_a_usage_error() {
    let env = Env::new();
    setup(&env, Mode::Native, 300, 512);
    let text = fs::read_to_string(env.path("p.toml")).unwrap();
    env.write("p.toml", text.split("[watch]").next().unwrap());
    let out = env.sluice(&["watch", "p.toml", "--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no [watch] section"),
        "{}",
        stderr(&out)
    );
}
