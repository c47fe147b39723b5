//! Hostile plugins: real `.wasm` fixtures (built from `tests/plugins/*`) that trap mid-file,
//! return malformed results, reach for files or sockets, or lie about their kind. Each must
//! end its file's import with an error naming the plugin, leave the store's data as it was,
//! and leave the process able to import the next file.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::people::{seed_two_people, six_people, two_new_people};
use common::{Env, dump, json, stderr};

fn fixture(name: &str) -> String {
    Path::new(env!("SLUICE_FIXTURE_WASM_DIR"))
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

/// The `[source]` table of the pipelines below, unless a test says otherwise.
const CSV_SOURCE: &str = "plugin = \"csv\"\n";

/// A pipeline with small batches and tight limits around `stages`.
fn pipeline(env: &Env, name: &str, stages: &str) -> PathBuf {
    pipeline_reading(env, name, CSV_SOURCE, stages)
}

/// [`pipeline`] with `source` as the body of its `[source]` table.
fn pipeline_reading(env: &Env, name: &str, source: &str, stages: &str) -> PathBuf {
    env.write(
        &format!("{name}.toml"),
        &format!(
            "[pipeline]\nname = \"{name}\"\nbatch_size = 2\nplugin_timeout_ms = 2000\nplugin_memory_mb = 256\n\
             [source]\n{source}{stages}[store]\npath = \"store.db\"\n"
        ),
    )
}

/// Imports the bad file alone (it must fail with `prefix`…`says` within 15 s and change no
/// data), then the bad file and a good one in one process (the good one must import).
fn fails_cleanly(stages: &str, prefix: &str, says: &str) {
    fails_cleanly_reading(CSV_SOURCE, stages, prefix, says);
}

/// [`fails_cleanly`] with `source` as the body of the pipeline's `[source]` table.
fn fails_cleanly_reading(source: &str, stages: &str, prefix: &str, says: &str) {
    let env = Env::new();
    seed_two_people(&env);
    let pipeline = pipeline_reading(&env, "hostile", source, stages);
    let pipeline = pipeline.to_str().unwrap();
    let (bad, next) = (six_people(&env), two_new_people(&env));
    let before = dump(&env);

    let started = Instant::now();
    let out = env.sluice(&["import", pipeline, &bad, "--json"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "{prefix}: took {took:?}");
    assert_eq!(out.status.code(), Some(1), "{prefix}: {}", stderr(&out));
    let results = json(&out);
    assert_eq!(results[0]["status"], "failed", "{results}");
    let error = results[0]["error"].as_str().unwrap();
    assert!(error.starts_with(prefix), "{error}");
    assert!(error.contains(says), "{error}");
    assert_eq!(
        dump(&env),
        before,
        "{prefix}: the failed import changed data"
    );
    assert_eq!(
        env.query("SELECT status FROM imports ORDER BY id"),
        vec![vec!["committed".to_string()], vec!["failed".into()]],
    );

    let out = env.sluice(&["import", pipeline, &bad, &next, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{prefix}: {}", stderr(&out));
    let results = json(&out);
    assert_eq!(results[0]["status"], "failed", "{results}");
    assert_eq!(results[1]["status"], "imported", "{results}");
    assert_eq!(results[1]["counts"]["results"], 2, "{results}");
    assert_eq!(env.count("contacts"), 4, "{prefix}");
    assert_eq!(env.count("interactions"), 4, "{prefix}");
}

fn hostile_validator(behaviour: &str, extra: &str) -> String {
    format!(
        "[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = {:?}\n[validate.params]\n\
         behaviour = \"{behaviour}\"\nrow = 5\n{extra}[[validate]]\nplugin = \"interactions\"\n",
        fixture("sluice_fixture_hostile")
    )
}

#[test]
fn a_trap_at_row_5_of_batch_2_names_the_plugin_and_the_rows() {
    fails_cleanly(
        &hostile_validator("trap", "batch = 2\n"),
        "plugin `hostile` 0.1.0 failed in [[validate]] #1 at rows 4-5: ",
        "it trapped (it reached `unreachable` code without a panic message)",
    );
}

#[test]
fn a_trap_staged_for_a_batch_that_never_holds_the_row_never_fires() {
    let env = Env::new();
    seed_two_people(&env);
    let pipeline = pipeline(&env, "hostile", &hostile_validator("trap", "batch = 3\n"));
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), &six_people(&env)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.count("interactions"), 8);
}

#[test]
fn a_verdict_for_a_row_the_batch_does_not_have_is_refused() {
    fails_cleanly(
        &hostile_validator("bad-index", ""),
        "plugin `hostile` 0.1.0 returned an invalid result in [[validate]] #1 at rows 4-5: ",
        "a verdict names row index 9 of a batch of 2 rows",
    );
}

#[test]
fn a_plugin_cannot_open_a_file() {
    fails_cleanly(
        &hostile_validator("open-file", ""),
        "plugin `hostile` 0.1.0 in [[validate]] #1 at rows 4-5: ",
        "could not open /etc/hostname",
    );
}

#[test]
fn a_plugin_cannot_open_a_socket() {
    fails_cleanly(
        &hostile_validator("connect", ""),
        "plugin `hostile` 0.1.0 in [[validate]] #1 at rows 4-5: ",
        "could not connect to 127.0.0.1:9",
    );
}

/// A source that panics at row 5 of its file, as a parser meeting a damaged file would: the
/// file fails naming the plugin and changes nothing, the next file of the same command
/// imports, and on a terminal the advice is about the file, the one thing the user can fix.
#[test]
fn a_source_panicking_at_row_5_fails_its_file_alone() {
    let source = format!("plugin = {:?}\n", fixture("sluice_fixture_hostile_source"));
    let stages = "[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n";
    fails_cleanly_reading(
        &source,
        stages,
        "plugin `hostile-source` 0.1.0 failed in [source]: it panicked (it said: ",
        "hostile source panics on row 5",
    );

    let env = Env::new();
    let pipeline = pipeline_reading(&env, "hostile", &source, stages);
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), &six_people(&env)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "nothing was imported; the file is probably damaged: open it in a spreadsheet \
             program, save or export it again (as .xlsx or CSV) and import that"
        ),
        "{}",
        stderr(&out)
    );
}

fn hostile_transform(behaviour: &str) -> String {
    format!(
        "[[transform]]\nplugin = \"mapping\"\n[[transform]]\nplugin = {:?}\n[transform.params]\n\
         behaviour = \"{behaviour}\"\nrow = 5\n[[validate]]\nplugin = \"interactions\"\n",
        fixture("sluice_fixture_hostile_transform")
    )
}

#[test]
fn a_transform_returning_too_few_rows_is_refused() {
    fails_cleanly(
        &hostile_transform("short"),
        "plugin `hostile-transform` 0.1.0 returned an invalid result in [[transform]] #2 at rows 4-5: ",
        "1 rows of 1 computed columns for 2 rows of 1 computed columns",
    );
}

#[test]
fn a_transform_returning_too_many_columns_is_refused() {
    fails_cleanly(
        &hostile_transform("wide"),
        "plugin `hostile-transform` 0.1.0 returned an invalid result in [[transform]] #2 at rows 4-5: ",
        "2 rows of 2 computed columns for 2 rows of 1 computed columns",
    );
}

fn hostile_matcher(behaviour: &str) -> String {
    format!(
        "[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n\
         [match]\nplugin = {:?}\n[match.params]\nbehaviour = \"{behaviour}\"\n",
        fixture("sluice_fixture_hostile_matcher")
    )
}

#[test]
fn a_matcher_scoring_a_contact_it_was_not_offered_is_refused() {
    fails_cleanly(
        &hostile_matcher("unknown-id"),
        "plugin `hostile-matcher` 0.1.0 returned an invalid result in [match] at rows 4-5: ",
        "a score for contact 1000001 that is not a candidate of record 1",
    );
}

#[test]
fn a_matcher_scoring_nan_is_refused() {
    fails_cleanly(
        &hostile_matcher("nan"),
        "plugin `hostile-matcher` 0.1.0 returned an invalid result in [match] at rows 4-5: ",
        "score NaN for contact 1 is not between 0 and 1",
    );
}

#[test]
fn a_matcher_scoring_above_one_is_refused() {
    fails_cleanly(
        &hostile_matcher("range"),
        "plugin `hostile-matcher` 0.1.0 returned an invalid result in [match] at rows 4-5: ",
        "score 1.5 for contact 1 is not between 0 and 1",
    );
}

#[test]
fn an_honest_run_of_the_hostile_matcher_matches() {
    let env = Env::new();
    seed_two_people(&env);
    let pipeline = pipeline(&env, "hostile", &hostile_matcher("none"));
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), &six_people(&env)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Ana matched her stored contact; the five others are new.
    assert_eq!(env.count("contacts"), 7);
}

#[test]
fn a_plugin_lying_about_its_kind_is_refused_before_any_data_moves() {
    let env = Env::new();
    seed_two_people(&env);
    let before = dump(&env);
    let liar = fixture("sluice_fixture_liar");
    for (stages, says) in [
        (
            format!("[[transform]]\nplugin = \"mapping\"\n[match]\nplugin = {liar:?}\n"),
            "does not implement the sluice `matcher` world it declares",
        ),
        (
            format!("[[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = {liar:?}\n"),
            // The lie is caught when the plugin is loaded, whatever stage names it.
            "does not implement the sluice `matcher` world it declares",
        ),
    ] {
        let pipeline = pipeline(&env, "liar", &stages);
        let out = env.sluice(&["import", pipeline.to_str().unwrap(), &six_people(&env)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("sluice_fixture_liar.wasm"), "{err}");
        assert!(err.contains(says), "{err}");
        assert_eq!(dump(&env), before);
    }
    let clean = env.path("clean.toml");
    let out = env.sluice(&["import", clean.to_str().unwrap(), &two_new_people(&env)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.count("contacts"), 4);
}
