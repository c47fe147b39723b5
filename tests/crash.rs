//! Crash safety: a `sluice import` killed with SIGKILL at 20 seeded random moments leaves a
//! store that passes `PRAGMA integrity_check`, shows nothing of the killed import, and takes
//! the next import (whose writer lock the dead process can no longer hold).

#![allow(clippy::unwrap_used, clippy::panic)] // Test code: a failed step is a failed test.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Env, interactions_csv, stderr};

const PIPELINE: &str = "[pipeline]\nname = \"crash\"\ntimezone = \"UTC\"\n\
    [source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
    [[validate]]\nplugin = \"interactions\"\n[store]\npath = \"store.db\"\n";

/// Rows of the file that is killed: its import takes a second or two in a debug build.
const ROWS: usize = 3_000;
/// Kills fall within this much of a run's start (or the whole run, if shorter), which bounds
/// the test's time on a slow machine while most moments still land inside the transaction.
const WINDOW: Duration = Duration::from_millis(2_500);
const KILLS: u64 = 20;

/// splitmix64: a few lines of seeded randomness, the same moments on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The store holds exactly what its committed imports wrote and nothing of any other.
fn check_store(env: &Env, kill: u64) {
    assert_eq!(
        env.query("PRAGMA integrity_check"),
        vec![vec!["ok".to_string()]],
        "kill {kill}"
    );
    assert_eq!(
        env.query("PRAGMA foreign_key_check"),
        Vec::<Vec<String>>::new(),
        "kill {kill}"
    );
    // Per import: committed ones hold their results, every other holds nothing.
    let rows = env.query(
        "SELECT i.id, i.status, i.results, \
         (SELECT count(*) FROM interactions x WHERE x.import_id = i.id), \
         (SELECT count(*) FROM contacts c WHERE c.created_import = i.id), \
         (SELECT count(*) FROM pledges p WHERE p.import_id = i.id), \
         (SELECT count(*) FROM import_exceptions e WHERE e.import_id = i.id) \
         FROM imports i ORDER BY i.id",
    );
    for r in rows {
        if r[1] == "committed" {
            assert_eq!(r[3], r[2], "kill {kill}: import {r:?}");
        } else {
            assert_eq!(r[3..], ["0", "0", "0", "0"], "kill {kill}: import {r:?}");
        }
    }
}

#[test]
fn an_import_killed_at_random_moments_leaves_nothing_behind() {
    let env = Env::new();
    let p = env.write("pipeline.toml", PIPELINE).display().to_string();
    let big = env.write("big.csv", &interactions_csv(ROWS, 1_500, "big"));
    let big = big.to_str().unwrap();

    // One full run: the baseline data (and, on a fresh machine, the plugins' compilation).
    let out = env.sluice(&["import", &p, big]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.count("interactions"), i64::try_from(ROWS).unwrap());
    // A second, warm run times the import itself: the kills are spread over that.
    let started = Instant::now();
    let out = env.sluice(&["import", &p, big, "--force", "--quiet"]);
    let full = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut rng = Rng(0x5EED_0008);
    let mut killed_mid_import = 0;
    for kill in 0..KILLS {
        let window = u64::try_from(full.min(WINDOW).as_micros()).unwrap();
        let at = Duration::from_micros(rng.next() % window);
        let mut child = env
            .command(&["import", &p, big, "--force", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a random moment of the import proper: first wait until its import row is
        // recorded (loading plugins before it takes longer on a loaded machine), then the
        // random delay, which is the point of this test.
        let waiting = Instant::now();
        while child.try_wait().unwrap().is_none()
            && waiting.elapsed() < Duration::from_secs(30)
            && env.count_where("imports", "status = 'running'") == 0
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(at);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let finished = status.code().is_some();
        let imports_before = env.count("imports");
        check_store(&env, kill);
        let running = env.query("SELECT count(*) FROM imports WHERE status = 'running'")[0][0]
            .parse::<i64>()
            .unwrap();
        if !finished && running == 1 {
            killed_mid_import += 1;
        }

        // The next import takes the lock the dead process held, and commits.
        let small = env.write(
            &format!("small{kill}.csv"),
            &interactions_csv(3, 3, &format!("after kill {kill}")),
        );
        let out = env.sluice(&["import", &p, small.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(0), "kill {kill}: {}", stderr(&out));
        assert_eq!(common::json(&out)[0]["counts"]["results"], 3);
        assert_eq!(env.count("imports"), imports_before + 1);
        // The interrupted import is now recorded as failed, with why.
        assert_eq!(
            env.query("SELECT count(*) FROM imports WHERE status = 'running'"),
            vec![vec!["0".to_string()]],
            "kill {kill}"
        );
        check_store(&env, kill);
    }
    // Most moments fall inside the import's transaction; that is where a kill matters.
    assert!(
        killed_mid_import >= KILLS / 4,
        "only {killed_mid_import} of {KILLS} kills hit a running import (a full run took {full:?})"
    );
    let failed = env.query("SELECT count(*), min(error) FROM imports WHERE status = 'failed'");
    assert_eq!(failed[0][0], killed_mid_import.to_string());
    if killed_mid_import > 0 {
        assert!(failed[0][1].starts_with("interrupted: "), "{failed:?}");
    }
}
