//! End-to-end tests: the real `sluice` binary on real files, in a temporary directory, with
//! its own store, asserting exact outcomes in its output and in the store.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Env, json, repo, stderr, stdout};

fn example_pipeline() -> String {
    repo()
        .join("configs/interactions.toml")
        .display()
        .to_string()
}

fn example_csv() -> String {
    repo()
        .join("configs/examples/interactions.csv")
        .display()
        .to_string()
}

#[test]
fn example_import_counts_every_row_and_stores_the_rest() {
    let env = Env::new();
    let db = env.db().display().to_string();
    let out = env.sluice(&[
        "import",
        &example_pipeline(),
        &example_csv(),
        "--db",
        &db,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let result = &json(&out)[0];
    assert_eq!(result["status"], "imported");
    assert_eq!(result["counts"]["rows"], 50);
    assert_eq!(result["counts"]["results"], 47);
    assert_eq!(result["counts"]["rejected"], 3);
    // Row 15: a call that ended in a pledge, without an amount.
    assert_eq!(result["counts"]["flagged"], 1);
    assert_eq!(result["pledges"], 6);
    assert_eq!(result["contacts_created"], 12);

    assert_eq!(env.count("interactions"), 47);
    assert_eq!(env.count("pledges"), 6);
    assert_eq!(env.count("contacts"), 12);
    assert_eq!(
        env.query(
            "SELECT row_number, status, reasons_json FROM import_exceptions ORDER BY row_number"
        ),
        vec![
            vec![
                "13".to_string(),
                "rejected".into(),
                r#"["missing Contact Type"]"#.into()
            ],
            vec![
                "15".to_string(),
                "flagged".into(),
                r#"["Call Result is pledge but Pledge Amount is empty: no pledge is recorded"]"#
                    .into()
            ],
            vec![
                "28".to_string(),
                "rejected".into(),
                r#"["missing Date"]"#.into()
            ],
            vec![
                "39".to_string(),
                "rejected".into(),
                r#"["missing Interaction Type"]"#.into()
            ],
        ]
    );
    // The original values are kept exactly as in the file.
    let values =
        &env.query("SELECT values_json FROM import_exceptions WHERE row_number = 13")[0][0];
    let values: Vec<String> = serde_json::from_str(values).unwrap();
    assert_eq!(
        values[0..5],
        ["letter", "4/14/2025 10:00", "", "Daniel", "Kim"]
    );
    // Dates are normalised to UTC (New York is UTC-4 in mid-March 2025), amounts to cents.
    assert_eq!(
        env.query("SELECT kind, occurred_at, member_code FROM interactions WHERE row_number = 2"),
        vec![vec![
            "Call".to_string(),
            "2025-03-14T04:00:00Z".into(),
            "2024 Cycle".into()
        ]]
    );
    assert_eq!(
        env.query("SELECT amount_cents, commitment FROM pledges ORDER BY id LIMIT 1"),
        vec![vec!["125000".to_string(), "Monthly".into()]]
    );
    // Every row of one person is attached to one contact.
    assert_eq!(
        env.query(
            "SELECT count(*) FROM interactions i JOIN contacts c ON c.id = i.contact_id \
             WHERE c.email = 'maria.gonzalez@example.org'"
        ),
        vec![vec!["5".to_string()]]
    );

    // The same file again is skipped, and says so.
    let again = env.sluice(&["import", &example_pipeline(), &example_csv(), "--db", &db]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already imported as import 1"),
        "{}",
        stdout(&again)
    );
    assert_eq!(env.count("interactions"), 47);

    let list = env.sluice(&["imports", "--db", &db, "--json"]);
    assert_eq!(list.status.code(), Some(0));
    let list = json(&list);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["status"], "committed");
    assert_eq!(list[0]["rows"], 50);
}

#[test]
fn human_summary_shows_the_ledger() {
    let env = Env::new();
    let db = env.db().display().to_string();
    let out = env.sluice(&["import", &example_pipeline(), &example_csv(), "--db", &db]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(text.contains("as import 1"), "{text}");
    for (label, n) in [("rows", 50), ("results", 47), ("rejected", 3)] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [label, &n.to_string()]),
            "{label} {n} in\n{text}"
        );
    }
    let show = env.sluice(&["imports", "show", "1", "--db", &db]);
    let text = stdout(&show);
    assert!(
        text.contains("rows 50 = results 47 + rejected 3 + skipped 0"),
        "{text}"
    );
    assert!(text.contains("missing Date"), "{text}");
}

#[test]
fn inspect_prints_what_each_builtin_declares() {
    let env = Env::new();
    for (name, kind) in [
        ("csv", "source"),
        ("mapping", "transform"),
        ("interactions", "validator"),
        ("contacts", "matcher"),
    ] {
        let out = env.sluice(&["plugin", "inspect", name]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(&format!("name:     {name}\n")), "{text}");
        assert!(
            text.contains(&format!("version:  {}\n", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(text.contains(&format!("kind:     {kind}\n")), "{text}");
        assert!(text.contains("params:"), "{text}");
        let out = env.sluice(&["plugin", "inspect", name, "--json"]);
        assert_eq!(json(&out)["kind"], kind);
    }
    let csv = json(&env.sluice(&["plugin", "inspect", "csv", "--json"]));
    let names: Vec<&str> = csv["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"delimiter"), "{names:?}");
}

fn pipeline_with(source_params: &str, extra: &str) -> String {
    format!(
        "[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\n{extra}\n[source]\nplugin = \"csv\"\n[source.params]\n{source_params}\n\
         [[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n[store]\npath = \"store.db\"\n"
    )
}

#[test]
fn bad_params_fail_before_any_data_is_read() {
    let env = Env::new();
    let csv = repo()
        .join("tests/fixtures/small.csv")
        .display()
        .to_string();
    let p = env.write("typo.toml", &pipeline_with("delimeter = \",\"", ""));
    let out = env.sluice(&["import", p.to_str().unwrap(), &csv]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("typo.toml:8: unknown parameter `delimeter` in [source] params; did you mean `delimiter`?"), "{err}");
    assert!(
        !env.db().exists(),
        "no store may be created before the params are checked"
    );

    let p = env.write("type.toml", &pipeline_with("header_row = \"one\"", ""));
    let out = env.sluice(&["import", p.to_str().unwrap(), &csv]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("type.toml:8: parameter `header_row` in [source] params must be a integer"),
        "{err}"
    );

    let p = env.write("key.toml", &pipeline_with("", "batchsize = 3"));
    let out = env.sluice(&["check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("key.toml:4: unknown field `batchsize`"),
        "{}",
        stderr(&out)
    );
}

fn hostile_pipeline(env: &Env, behaviour: &str) -> PathBuf {
    let wasm = Path::new(env!("SLUICE_FIXTURE_WASM_DIR")).join("sluice_fixture_hostile.wasm");
    env.write(
        &format!("{behaviour}.toml"),
        &format!(
            "[pipeline]\nname = \"hostile\"\nbatch_size = 2\nplugin_timeout_ms = 2000\nplugin_memory_mb = 256\n\
             [source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
             [[validate]]\nplugin = {:?}\n[validate.params]\nbehaviour = \"{behaviour}\"\nrow = 5\n\
             [[validate]]\nplugin = \"interactions\"\n[store]\npath = \"store.db\"\n",
            wasm.display().to_string()
        ),
    )
}

#[test]
fn hostile_plugins_fail_one_file_and_the_next_import_succeeds() {
    for (behaviour, says) in [
        ("loop", "did not finish within the 2 s call deadline"),
        ("alloc", "exceeded its memory limit of 256 MiB"),
        ("recurse", "overflowed its stack"),
        ("panic", "panicked (it said: "),
    ] {
        let env = Env::new();
        let pipeline = hostile_pipeline(&env, behaviour);
        let six = repo()
            .join("tests/fixtures/six_rows.csv")
            .display()
            .to_string();
        let small = repo()
            .join("tests/fixtures/small.csv")
            .display()
            .to_string();
        let started = Instant::now();
        // Six rows hold row 5, where the plugin misbehaves; the small file has no row 5.
        let out = env.sluice(&["import", pipeline.to_str().unwrap(), &six, &small, "--json"]);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(15), "{behaviour} took {took:?}");
        assert_eq!(out.status.code(), Some(1), "{behaviour}: {}", stderr(&out));
        let results = json(&out);
        assert_eq!(results[0]["status"], "failed", "{behaviour}");
        let error = results[0]["error"].as_str().unwrap();
        assert!(
            error.starts_with("plugin `hostile` 0.1.0 failed in [[validate]] #1 at rows 4-5: "),
            "{behaviour}: {error}"
        );
        assert!(error.contains(says), "{behaviour}: {error}");
        assert_eq!(results[1]["status"], "imported", "{behaviour}: {results}");
        assert_eq!(results[1]["counts"]["results"], 2, "{behaviour}");
        // The failed file left nothing but its import record, marked failed.
        assert_eq!(env.count("interactions"), 2, "{behaviour}");
        assert_eq!(env.count("contacts"), 2, "{behaviour}");
        assert_eq!(
            env.query("SELECT id, status FROM imports ORDER BY id"),
            vec![
                vec!["1".to_string(), "failed".into()],
                vec!["2".to_string(), "committed".into()]
            ],
            "{behaviour}"
        );
    }
}

/// Every Rust file says what it is for in a leading `//!` comment (build scripts included).
#[test]
fn every_rust_file_starts_with_a_module_doc() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() && name != "target" && !name.starts_with('.') {
                walk(&path, out);
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in ["engine", "sdk", "plugins", "tests"] {
        walk(&repo().join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {files:?}");
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "files without a leading //! doc: {undocumented:?}"
    );
}
