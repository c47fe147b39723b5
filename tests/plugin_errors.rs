//! `[pipeline] on_plugin_error`: with the hostile fixture plugins failing on chosen rows,
//! "abort" fails the file and changes nothing, "skip-batch" rejects the failed batch and
//! imports the rest, "bisect" rejects only the rows that fail alone (within a bounded number
//! of failed calls per batch); the exceptions report names the plugin, stage and fault of
//! each, every row is counted once, and `sluice check` refuses an unknown mode.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::people::{HEADER, seed_two_people, six_people, two_new_people};
use common::{Env, dump, json, stderr};
use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("SLUICE_FIXTURE_WASM_DIR"))
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

/// A pipeline with `on_plugin_error = mode` (none when empty) around `stages`.
fn pipeline(env: &Env, mode: &str, batch_size: usize, timeout_ms: u64, stages: &str) -> PathBuf {
    let mode = if mode.is_empty() {
        String::new()
    } else {
        format!("on_plugin_error = \"{mode}\"\n")
    };
    env.write(
        "errors.toml",
        &format!(
            "[pipeline]\nname = \"errors\"\nbatch_size = {batch_size}\nplugin_timeout_ms = {timeout_ms}\n\
             plugin_memory_mb = 256\n{mode}[source]\nplugin = \"csv\"\n{stages}[store]\npath = \"store.db\"\n"
        ),
    )
}

/// The hostile validator doing `behaviour` on row `row` (0: every row), then the real one.
fn hostile_validator(behaviour: &str, row: u32, extra: &str) -> String {
    format!(
        "[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = {:?}\n[validate.params]\n\
         behaviour = \"{behaviour}\"\nrow = {row}\n{extra}[[validate]]\nplugin = \"interactions\"\n",
        fixture("sluice_fixture_hostile")
    )
}

/// `sluice report ID --json`: (row, status, reasons) of every exception.
fn report(env: &Env, id: i64) -> Vec<(u64, String, Vec<String>)> {
    let out = env.sluice(&["report", &id.to_string(), "--db", "store.db", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row_number"].as_u64().unwrap(),
                x["status"].as_str().unwrap().to_string(),
                x["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// The row numbers of import `id`'s interactions.
fn imported_rows(env: &Env, id: i64) -> Vec<u32> {
    env.query(&format!(
        "SELECT row_number FROM interactions WHERE import_id = {id} ORDER BY row_number"
    ))
    .into_iter()
    .map(|r| r[0].parse().unwrap())
    .collect()
}

/// Imports `file` then the next file in one process; checks the first's counts and that the
/// second imported (the process stayed usable), and that `sluice doctor` finds the
/// accounting sound. Returns the first's JSON result.
fn import(env: &Env, pipeline: &Path, file: &str, counts: (u64, u64, u64)) -> Value {
    let next = two_new_people(env);
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), file, &next, "--json"]);
    // Rows were rejected: exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let results = json(&out);
    let first = results[0].clone();
    assert_eq!(first["status"], "imported", "{results}");
    let (rows, imported, rejected) = counts;
    assert_eq!(first["counts"]["rows"], rows, "{results}");
    assert_eq!(first["counts"]["results"], imported, "{results}");
    assert_eq!(first["counts"]["rejected"], rejected, "{results}");
    assert_eq!(results[1]["status"], "imported", "{results}");
    assert_eq!(results[1]["counts"]["results"], 2, "{results}");
    let doctor = env.sluice(&["doctor", "--db", "store.db"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stderr(&doctor));
    first
}

const TRAP: &str = "plugin `hostile` 0.1.0 failed in [[validate]] #1 at";
const TRAPPED: &str = "it trapped (it reached `unreachable` code without a panic message)";

#[test]
fn abort_is_the_default_and_leaves_the_store_as_it_was() {
    for mode in ["", "abort"] {
        let env = Env::new();
        seed_two_people(&env);
        let before = dump(&env);
        let pipeline = pipeline(&env, mode, 2, 2000, &hostile_validator("trap", 5, ""));
        let out = env.sluice(&[
            "import",
            pipeline.to_str().unwrap(),
            &six_people(&env),
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{mode}: {}", stderr(&out));
        let results = json(&out);
        assert_eq!(results[0]["status"], "failed", "{results}");
        assert_eq!(
            results[0]["error"],
            format!("{TRAP} rows 4-5: {TRAPPED}"),
            "{results}"
        );
        assert_eq!(dump(&env), before, "{mode}");
    }
}

#[test]
fn skip_batch_rejects_the_batch_that_failed_and_imports_the_others() {
    // Row 5 traps in whichever batch holds it, and again in batch 2 only: both times the
    // batch of rows 4-5 is rejected, and the next batch runs on a fresh instance.
    for extra in ["", "batch = 2\n"] {
        let env = Env::new();
        seed_two_people(&env);
        let pipeline = pipeline(
            &env,
            "skip-batch",
            2,
            2000,
            &hostile_validator("trap", 5, extra),
        );
        let result = import(&env, &pipeline, &six_people(&env), (6, 4, 2));
        let id = result["import_id"].as_i64().unwrap();
        let reason = format!(
            "{TRAP} rows 4-5: {TRAPPED} (on_plugin_error = \"skip-batch\": the batch was skipped)"
        );
        assert_eq!(
            report(&env, id),
            vec![
                (4, "rejected".into(), vec![reason.clone()]),
                (5, "rejected".into(), vec![reason.clone()]),
            ],
            "{extra}"
        );
        assert_eq!(imported_rows(&env, id), vec![2, 3, 6, 7], "{extra}");
        // The seed's two, four new people, and the next file's two.
        assert_eq!(env.count("contacts"), 8, "{extra}");
    }
}

#[test]
fn skip_batch_renews_a_matcher_that_returned_an_invalid_result() {
    let env = Env::new();
    seed_two_people(&env);
    let stages = format!(
        "[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n\
         [match]\nplugin = {:?}\n[match.params]\nbehaviour = \"nan\"\n",
        fixture("sluice_fixture_hostile_matcher")
    );
    let pipeline = pipeline(&env, "skip-batch", 2, 2000, &stages);
    let result = import(&env, &pipeline, &six_people(&env), (6, 4, 2));
    let id = result["import_id"].as_i64().unwrap();
    let reason = "plugin `hostile-matcher` 0.1.0 returned an invalid result in [match] at rows \
                  4-5: score NaN for contact 1 is not between 0 and 1 (on_plugin_error = \
                  \"skip-batch\": the batch was skipped)"
        .to_string();
    assert_eq!(
        report(&env, id),
        vec![
            (4, "rejected".into(), vec![reason.clone()]),
            (5, "rejected".into(), vec![reason]),
        ]
    );
    assert_eq!(imported_rows(&env, id), vec![2, 3, 6, 7]);
}

#[test]
fn bisect_rejects_only_the_row_that_fails_alone() {
    let env = Env::new();
    seed_two_people(&env);
    // Batches of four: rows 2-5 fail, then 2-3 pass, 4-5 fail, 4 passes, 5 fails alone.
    let pipeline = pipeline(&env, "bisect", 4, 2000, &hostile_validator("trap", 5, ""));
    let result = import(&env, &pipeline, &six_people(&env), (6, 5, 1));
    let id = result["import_id"].as_i64().unwrap();
    assert_eq!(
        report(&env, id),
        vec![(
            5,
            "rejected".into(),
            vec![format!(
                "{TRAP} row 5: {TRAPPED} (on_plugin_error = \"bisect\": the row fails alone)"
            )]
        )]
    );
    assert_eq!(imported_rows(&env, id), vec![2, 3, 4, 6, 7]);
    // Ana's row was the one set aside: her stored contact got nothing new.
    assert_eq!(
        env.count_where("interactions", "contact_id = 1"),
        1,
        "only the seed's interaction"
    );
}

#[test]
fn bisect_pays_the_deadline_once_per_failed_call() {
    let env = Env::new();
    seed_two_people(&env);
    // Row 5 loops: the batch of rows 4-5 and then row 5 alone each run into the 0.5 s
    // deadline; row 4 alone passes.
    let pipeline = pipeline(&env, "bisect", 2, 500, &hostile_validator("loop", 5, ""));
    let started = Instant::now();
    let result = import(&env, &pipeline, &six_people(&env), (6, 5, 1));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let id = result["import_id"].as_i64().unwrap();
    assert_eq!(
        report(&env, id),
        vec![(
            5,
            "rejected".into(),
            vec![format!(
                "{TRAP} row 5: it did not finish within the 0.5 s call deadline \
                 (on_plugin_error = \"bisect\": the row fails alone)"
            )]
        )]
    );
    assert_eq!(imported_rows(&env, id), vec![2, 3, 4, 6, 7]);
}

#[test]
fn bisect_stops_after_24_failed_calls_in_a_batch() {
    let env = Env::new();
    seed_two_people(&env);
    // Every row traps; one batch of 64 rows (file rows 2-65). Halving depth first, the 24
    // failed calls isolate rows 2-11, fail on rows 12-13 together, and leave rows 14-65
    // untried.
    let pipeline = pipeline(&env, "bisect", 64, 2000, &hostile_validator("trap", 0, ""));
    let mut text = HEADER.to_string();
    for i in 0..64 {
        text.push_str(&format!(
            "Call,2025-04-01,individual,P{i},Q{i},p{i}@example.org\n"
        ));
    }
    let file = env.write("all.csv", &text).display().to_string();
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), &file, "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let results = json(&out);
    assert_eq!(results[0]["counts"]["rows"], 64, "{results}");
    assert_eq!(results[0]["counts"]["rejected"], 64, "{results}");
    assert_eq!(results[0]["counts"]["results"], 0, "{results}");
    let id = results[0]["import_id"].as_i64().unwrap();
    let exceptions = report(&env, id);
    assert_eq!(exceptions.len(), 64);
    for (row, status, reasons) in &exceptions {
        assert_eq!(status, "rejected");
        let expected = match row {
            2..=11 => format!(
                "{TRAP} row {row}: {TRAPPED} (on_plugin_error = \"bisect\": the row fails alone)"
            ),
            12 | 13 => format!(
                "{TRAP} rows 12-13: {TRAPPED} (on_plugin_error = \"bisect\": not narrowed down \
                 further, it stops after 24 failed calls in a batch)"
            ),
            _ => format!(
                "not tried (on_plugin_error = \"bisect\" stopped after 24 failed calls in this \
                 batch, the last: {TRAP} rows 12-13: {TRAPPED})"
            ),
        };
        assert_eq!(reasons, &vec![expected], "row {row}");
    }
    let rows: Vec<u64> = exceptions.iter().map(|x| x.0).collect();
    assert_eq!(rows, (2..=65).collect::<Vec<u64>>());
    let doctor = env.sluice(&["doctor", "--db", "store.db"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stderr(&doctor));
}

#[test]
fn check_refuses_an_unknown_mode() {
    let env = Env::new();
    let pipeline = pipeline(&env, "retry", 2, 2000, "");
    let out = env.sluice(&["check", pipeline.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "errors.toml:6: `on_plugin_error` \"retry\" is not one of \"abort\", \"skip-batch\" or \"bisect\""
        ),
        "{err}"
    );
}
