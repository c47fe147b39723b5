//! End-to-end tests of validation and the exceptions report: the reasons people read, the
//! report they fix and import again, `--dry-run` leaving the store byte for byte as it was,
//! and `on_rejected = "abort"`.

#![allow(clippy::unwrap_used, clippy::panic)] // Tests: a failed step is a failed test.

mod common;

use common::{Env, json, stderr, stdout};

const HEADER: &str = "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,\
     Pledge Amount,Notes,Pledge Source Code";

/// Rows 2-11: three fine rows, the three common failures, a bad type and a bad date, an
/// individual without a last name, an ambiguous date, a pledge column without an amount.
const INPUT: &str = "\
Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,Pledge Amount,Notes,Pledge Source Code
Call,2025-03-14,individual,Maria,Gonzalez,maria@example.org,,first,
Email,2025-03-15,individual,Aisha,Khan,aisha@example.org,$50.00,\"said \"\"yes\"\", twice\",
Meeting,2025-03-16,organization,Acme Corp,,info@acme.example,,,
Call,2025-03-17,,Daniel,Kim,dkim@example.org,,  keep spaces  ,
Call,,individual,Ann,Lee,ann@example.org,,,
,2025-03-18,individual,Bo,Wu,bo@example.org,,,
Fax,13/13/2025,individual,Cy,Oh,cy@example.org,,,
Text,2025-03-19,individual,Di,,di@example.org,,,
Thank,3/4/2025,individual,Ed,Fox,ed@example.org,,,
Call,2025-03-21,individual,Gus,Hill,gus@example.org,,,WEB
";

fn pipeline(env: &Env, pipeline_extra: &str) -> String {
    env.write(
        "pipeline.toml",
        &format!(
            "[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\n{pipeline_extra}\n\
             [source]\nplugin = \"csv\"\n[source.params]\ndelimiter = \",\"\n\
             [[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n\
             [store]\npath = \"store.db\"\n"
        ),
    )
    .display()
    .to_string()
}

fn read_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn write_csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn report_reads_exactly_and_its_fixed_rows_import_alone() {
    let env = Env::new();
    let p = pipeline(&env, "");
    let input = env.write("input.csv", INPUT);
    let out = env.sluice(&["import", &p, input.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let result = &json(&out)[0];
    assert_eq!(
        result["counts"],
        serde_json::json!({"rows": 10, "results": 4, "rejected": 6, "flagged": 1, "skipped": 0})
    );
    assert_eq!(result["dry_run"], false);
    let top = result["top_reasons"].as_array().unwrap();
    assert_eq!(top.len(), 8, "{top:?}");
    assert!(
        top.contains(&serde_json::json!({"reason": "Date \"…\" is not a date", "rows": 1})),
        "{top:?}"
    );

    let out = env.sluice(&["report", "1", "--db", "store.db", "-o", "report.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = read_csv(&std::fs::read_to_string(env.path("report.csv")).unwrap());
    let input_rows = read_csv(INPUT);
    let mut header = vec![
        "Exception Row".to_string(),
        "Exception Status".into(),
        "Exception Reasons".into(),
    ];
    header.extend(input_rows[0].iter().cloned());
    assert_eq!(report[0], header);
    let summary: Vec<(&str, &str, &str)> = report[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("5", "rejected", "missing Contact Type"),
            ("6", "rejected", "missing Date"),
            ("7", "rejected", "missing Interaction Type"),
            (
                "8",
                "rejected",
                "Interaction Type \"Fax\" is not one of Call, Email, Text, Meeting, Thank, App, Mail; Date \"13/13/2025\" is not a date"
            ),
            ("9", "rejected", "individual needs First Name and Last Name"),
            (
                "10",
                "flagged",
                "Date \"3/4/2025\" is ambiguous: read as 2025-03-04 (month-first: nothing in the file says which order), it could also be 2025-04-03"
            ),
            (
                "11",
                "rejected",
                "Pledge Amount is required when pledge columns are filled"
            ),
        ]
    );
    // The original columns, exactly as in the file (spaces kept), for every reported row.
    for line in &report[1..] {
        let row: usize = line[0].parse().unwrap();
        assert_eq!(line[3..], input_rows[row - 1][..], "row {row}");
    }
    assert_eq!(report[1][10], "  keep spaces  ");

    // The JSON report says the same.
    let out = env.sluice(&["report", "1", "--db", "store.db", "--json"]);
    let doc = json(&out);
    assert_eq!(doc["columns"][0], "Interaction Type");
    assert_eq!(doc["exceptions"][1]["row_number"], 6);
    assert_eq!(doc["exceptions"][1]["reasons"][0], "missing Date");

    // `imports show` prints the counts and the top reasons with their frequency.
    let show = stdout(&env.sluice(&["imports", "show", "1", "--db", "store.db"]));
    assert!(
        show.contains("rows 10 = results 4 + rejected 6 + skipped 0; flagged 1"),
        "{show}"
    );
    assert!(show.contains("rows  top reasons\n"), "{show}");
    assert!(show.contains("\n1     missing Date\n"), "{show}");

    // Fix the rejected lines of the report and import just them.
    let mut fixed = vec![report[0].clone()];
    for line in report[1..].iter().filter(|l| l[1] == "rejected") {
        let mut line = line.clone();
        let cell = |name: &str| 3 + input_rows[0].iter().position(|c| c == name).unwrap();
        for (name, value) in [
            ("Contact Type", "individual"),
            ("Date", "2025-03-20"),
            ("Interaction Type", "Call"),
            ("Last Name", "Doe"),
        ] {
            let i = cell(name);
            if line[i].is_empty() || line[i] == "13/13/2025" || line[i] == "Fax" {
                line[i] = value.into();
            }
        }
        if !line[cell("Pledge Source Code")].is_empty() {
            line[cell("Pledge Amount")] = "25".into();
        }
        fixed.push(line);
    }
    env.write("fixed.csv", &write_csv(&fixed));
    let out = env.sluice(&["import", &p, "fixed.csv", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = &json(&out)[0];
    assert_eq!(result["counts"]["rows"], 6);
    assert_eq!(result["counts"]["results"], 6);
    assert_eq!(result["counts"]["rejected"], 0);
    // The report's own columns are not part of the template: mapping drops them, saying so.
    assert!(
        result["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("\"Exception Row\", \"Exception Status\", \"Exception Reasons\"")),
        "{result}"
    );
    assert_eq!(env.count("interactions"), 10);
    assert_eq!(
        env.query(
            "SELECT c.first_name, c.last_name, i.kind, i.occurred_at FROM interactions i \
             JOIN contacts c ON c.id = i.contact_id WHERE i.import_id = 2 ORDER BY i.row_number"
        ),
        [
            ["Daniel", "Kim", "Call", "2025-03-17T00:00:00Z"],
            ["Ann", "Lee", "Call", "2025-03-20T00:00:00Z"],
            ["Bo", "Wu", "Call", "2025-03-18T00:00:00Z"],
            ["Cy", "Oh", "Call", "2025-03-20T00:00:00Z"],
            ["Di", "Doe", "Text", "2025-03-19T00:00:00Z"],
            ["Gus", "Hill", "Call", "2025-03-21T00:00:00Z"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
}

/// The store file and whether a write-ahead log is beside it.
fn snapshot(env: &Env) -> (Vec<u8>, bool) {
    let db = env.db();
    let wal = db.with_extension("db-wal");
    (std::fs::read(&db).unwrap(), wal.exists())
}

#[test]
fn dry_run_leaves_the_store_byte_for_byte_and_counts_as_the_real_run() {
    let env = Env::new();
    let p = pipeline(&env, "");
    let first = env.write(
        "first.csv",
        &format!(
            "{HEADER}\nCall,2025-03-01,individual,Maria,Gonzalez,maria@example.org,,,\n\
             Call,2025-03-02,individual,Aisha,Khan,aisha@example.org,$10,,\n"
        ),
    );
    let input = env.write("input.csv", INPUT);

    // Without a store, a dry run does not create one.
    let out = env.sluice(&["import", &p, input.to_str().unwrap(), "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!env.db().exists(), "a dry run created the store");

    let out = env.sluice(&["import", &p, first.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = snapshot(&env);

    let dry = env.sluice(&[
        "import",
        &p,
        input.to_str().unwrap(),
        "--dry-run",
        "--json",
        "--report",
        "dry.csv",
    ]);
    assert_eq!(dry.status.code(), Some(3), "{}", stderr(&dry));
    assert_eq!(snapshot(&env), before, "the dry run changed the store");
    assert_eq!(env.count("imports"), 1);
    let dry = json(&dry)[0].clone();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["report_path"], "dry.csv");

    let real = env.sluice(&[
        "import",
        &p,
        input.to_str().unwrap(),
        "--json",
        "--report",
        "real.csv",
    ]);
    assert_eq!(real.status.code(), Some(3), "{}", stderr(&real));
    let real = json(&real)[0].clone();
    assert_eq!(real["dry_run"], false);
    for key in [
        "counts",
        "contacts_created",
        "contacts_matched",
        "pledges",
        "top_reasons",
        "import_id",
    ] {
        assert_eq!(dry[key], real[key], "{key}");
    }
    assert_eq!(real["counts"]["results"], 4);
    assert_eq!(real["contacts_matched"], 2);
    assert_eq!(
        std::fs::read_to_string(env.path("dry.csv")).unwrap(),
        std::fs::read_to_string(env.path("real.csv")).unwrap()
    );
    assert_eq!(env.count("interactions"), 6);

    // The human summary of a dry run says nothing was written, with the same ledger.
    let text = stdout(&env.sluice(&[
        "import",
        &p,
        first.to_str().unwrap(),
        "--dry-run",
        "--force",
    ]));
    assert!(
        text.contains("dry run of ") && text.contains("nothing was written to the store"),
        "{text}"
    );
    assert!(
        text.contains("rows 2 = results 2 + rejected 0 + skipped 0; flagged 0"),
        "{text}"
    );
    assert_eq!(env.count("imports"), 2);
}

#[test]
fn on_rejected_abort_refuses_a_mostly_wrong_file_and_keeps_its_report() {
    let env = Env::new();
    let p = pipeline(&env, "on_rejected = \"abort\"\nmax_rejected = 0.5");
    // 6 of 10 rows rejected: more than half.
    let input = env.write("input.csv", INPUT);

    let dry = env.sluice(&["import", &p, input.to_str().unwrap(), "--dry-run", "--json"]);
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    assert!(!env.db().exists());

    let out = env.sluice(&["import", &p, input.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let result = &json(&out)[0];
    assert_eq!(result["status"], "aborted");
    assert_eq!(
        result["counts"],
        serde_json::json!({"rows": 10, "results": 0, "rejected": 6, "flagged": 0, "skipped": 4})
    );
    assert_eq!(json(&dry)[0]["counts"], result["counts"]);
    let message = result["aborted"].as_str().unwrap();
    assert!(
        message.starts_with(
            "6 of 10 rows rejected (60.0%), more than max_rejected allows (50.0%): nothing was imported"
        ),
        "{message}"
    );
    assert_eq!(env.count("interactions"), 0);
    assert_eq!(env.count("contacts"), 0);
    assert_eq!(
        env.query("SELECT status, rows, results, rejected, skipped FROM imports"),
        [["failed", "10", "0", "6", "4"].map(String::from).to_vec()]
    );
    // The report lists the rejected rows, so the file can be fixed.
    let report = read_csv(&stdout(&env.sluice(&["report", "1", "--db", "store.db"])));
    let rows: Vec<&str> = report[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(rows, ["5", "6", "7", "8", "9", "11"]);

    // Human output names the reason on stderr.
    let out = env.sluice(&["import", &p, input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("6 of 10 rows rejected (60.0%)"),
        "{}",
        stderr(&out)
    );

    // A file exactly at the threshold (6 of 10 = 0.6) imports.
    let p = pipeline(&env, "on_rejected = \"abort\"\nmax_rejected = 0.6");
    let out = env.sluice(&["import", &p, input.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["counts"]["results"], 4);
}
