//! Tests of the store on real `SQLite` files in temporary directories.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::Connection;
use tempfile::TempDir;

use super::import_tx::DEFER_INDEX_MIN;
use super::*;

/// A temporary directory and the path of a store file inside it (not created yet).
fn temp_store_path() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.db");
    (dir, path)
}

fn new_import(sha: &str) -> NewImport {
    NewImport {
        name: "September calls".to_owned(),
        description: Some("Call time, week 3".to_owned()),
        pipeline: "interactions".to_owned(),
        pipeline_hash: "ab12".to_owned(),
        timezone: "America/New_York".to_owned(),
        member_code: Some("2024 Cycle".to_owned()),
        file_name: "calls.csv".to_owned(),
        file_sha256: sha.to_owned(),
        columns: vec!["Type".to_owned(), "Date".to_owned(), "Name".to_owned()],
    }
}

fn fields(values: [&str; 9]) -> [String; 9] {
    values.map(str::to_owned)
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

fn interaction(contact_id: i64, row_number: u32) -> NewInteraction<'static> {
    NewInteraction {
        contact_id,
        row_number,
        kind: "Call",
        occurred_at: "2024-09-03T14:00:00Z",
        member_code: None,
        call_result: None,
        notes: None,
    }
}

fn assert_timestamp(value: &str) {
    assert!(
        chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "not a UTC timestamp: {value}"
    );
}

/// A change log row as `(row_id, action, field, old, new)`.
type ChangeRow = (
    i64,
    ChangeAction,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The change log rows of an import.
fn change_rows(store: &Store, import_id: i64) -> Vec<ChangeRow> {
    store
        .changes(import_id)
        .unwrap()
        .into_iter()
        .map(|c| {
            assert_eq!(c.table_name, "contacts");
            (c.row_id, c.action, c.field, c.old_value, c.new_value)
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn fresh_file_is_migrated_and_reopening_is_idempotent() {
    let (_dir, path) = temp_store_path();
    let mut store = Store::open(&path).unwrap();
    assert!(path.exists());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    // Every migration is applied: appending one needs no change here.
    assert_eq!(
        usize::try_from(SCHEMA_VERSION).unwrap(),
        schema::MIGRATIONS.len()
    );
    let pragma = |store: &Store, name: &str| -> String {
        store
            .conn
            .pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(pragma(&store, "journal_mode"), r#"Text("wal")"#);
    assert_eq!(pragma(&store, "foreign_keys"), "Integer(1)");
    assert_eq!(pragma(&store, "synchronous"), "Integer(1)"); // NORMAL
    assert_eq!(pragma(&store, "busy_timeout"), "Integer(5000)");
    assert_eq!(
        pragma(&store, "application_id"),
        format!("Integer({})", schema::APPLICATION_ID)
    );
    let id = store.start_import(&new_import("f00d")).unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.imports().unwrap().len(), 1);
    assert_eq!(store.import(id).unwrap().unwrap().file_sha256, "f00d");
    drop(store);
    // A third open of an up-to-date store changes nothing either.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(count(&store, "imports"), 1);
}

#[test]
fn an_empty_file_becomes_a_store() {
    let (_dir, path) = temp_store_path();
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_file_that_is_not_sqlite_is_not_a_database_and_is_left_alone() {
    let (_dir, path) = temp_store_path();
    let text = "Interaction Type,Date\nCall,3/4/2025\n".repeat(50);
    std::fs::write(&path, &text).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(&err, Error::NotADatabase { path: p } if p == &path),
        "{err:?}"
    );
    assert!(err.to_string().contains("is not a sluice store"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let (_dir, path) = temp_store_path();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x');")
        .unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(&err, Error::ForeignDatabase { path: p } if p == &path),
        "{err:?}"
    );
    let conn = Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn a_newer_schema_is_refused() {
    let (_dir, path) = temp_store_path();
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 7).unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    match &err {
        Error::NewerSchema {
            path: p,
            found,
            supported,
        } => {
            assert_eq!(p, &path);
            assert_eq!((*found, *supported), (7, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert!(err.to_string().contains("upgrade sluice"), "{err}");
}

#[test]
fn a_missing_directory_is_an_open_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("sluice.db");
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Open { path: p, .. } if p == &path),
        "{err:?}"
    );
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

#[test]
fn full_import_round_trip() {
    let (_dir, path) = temp_store_path();
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.committed_import_with_sha("c0ffee").unwrap(), None);
    let new = new_import("c0ffee");
    let id = store.start_import(&new).unwrap();

    let running = store.import(id).unwrap().unwrap();
    assert_eq!(running.status, ImportStatus::Running);
    assert_eq!(running.finished_at, None);
    assert_timestamp(&running.started_at);

    let mut tx = store.begin(id).unwrap();
    assert_eq!(tx.import_id(), id);
    let ada = fields([
        "individual",
        "Ada",
        "Lovelace",
        "",
        "12 St James's Square, London",
        "ada@example.org",
        "",
        "",
        "Mathematician",
    ]);
    let acme = [
        "organization",
        "Acme Corp",
        "",
        "",
        "",
        "",
        "555-0100",
        "",
        "",
    ];
    let ada_id = tx.create_contact(&ada, &[""; 5]).unwrap();
    let acme_id = tx.create_contact(&acme, &[""; 5]).unwrap();
    let call = tx
        .add_interaction(&NewInteraction {
            contact_id: ada_id,
            row_number: 1,
            kind: "Call",
            occurred_at: "2024-09-03T14:00:00Z",
            member_code: Some("2024 Cycle"),
            call_result: Some("pledge"),
            notes: Some("Will give in October"),
        })
        .unwrap();
    let pledge = tx
        .add_pledge(&NewPledge {
            interaction_id: call,
            contact_id: ada_id,
            amount_cents: 125_000,
            commitment: Some("firm"),
            expected_date: Some("2024-10-01"),
            source_code: Some("FALL24"),
        })
        .unwrap();
    tx.add_interaction(&NewInteraction {
        kind: "Meeting",
        ..interaction(acme_id, 2)
    })
    .unwrap();
    tx.add_exception(
        3,
        ExceptionStatus::Rejected,
        &["missing Contact Type"],
        &["Call", "3/4/2025", "Bob"],
    )
    .unwrap();
    tx.add_exception(
        2,
        ExceptionStatus::Flagged,
        &["only a name identifies the contact".to_owned()],
        &[
            "mtg".to_owned(),
            "9/3/2024".to_owned(),
            "Acme Corp".to_owned(),
        ],
    )
    .unwrap();
    let counts = Counts {
        rows: 4,
        results: 2,
        rejected: 1,
        flagged: 1,
        skipped: 1,
    };
    tx.commit(&counts).unwrap();

    // The import, by id, in the list and as "this file was already imported".
    let summary = store.import(id).unwrap().unwrap();
    assert_timestamp(summary.finished_at.as_deref().unwrap());
    let expected = ImportSummary {
        id,
        name: new.name.clone(),
        description: new.description.clone(),
        pipeline: new.pipeline.clone(),
        pipeline_hash: new.pipeline_hash.clone(),
        timezone: new.timezone.clone(),
        member_code: new.member_code.clone(),
        file_name: new.file_name.clone(),
        file_sha256: new.file_sha256.clone(),
        columns: new.columns.clone(),
        status: ImportStatus::Committed,
        rows: 4,
        results: 2,
        rejected: 1,
        flagged: 1,
        skipped: 1,
        error: None,
        started_at: running.started_at.clone(),
        finished_at: summary.finished_at.clone(),
    };
    assert_eq!(summary, expected);
    assert_eq!(store.imports().unwrap(), vec![expected.clone()]);
    assert_eq!(
        store.committed_import_with_sha("c0ffee").unwrap(),
        Some(expected.clone())
    );
    let json = serde_json::to_value(&expected).unwrap();
    assert_eq!(json["status"], "committed");
    assert_eq!(json["columns"][1], "Date");

    assert_eq!(
        store.exceptions(id).unwrap(),
        vec![
            ExceptionRecord {
                row_number: 2,
                status: ExceptionStatus::Flagged,
                reasons: vec!["only a name identifies the contact".to_owned()],
                values: vec![
                    "mtg".to_owned(),
                    "9/3/2024".to_owned(),
                    "Acme Corp".to_owned()
                ],
            },
            ExceptionRecord {
                row_number: 3,
                status: ExceptionStatus::Rejected,
                reasons: vec!["missing Contact Type".to_owned()],
                values: vec!["Call".to_owned(), "3/4/2025".to_owned(), "Bob".to_owned()],
            },
        ]
    );
    assert_eq!(
        store.contacts().unwrap(),
        vec![
            StoredContact {
                id: ada_id,
                fields: ada,
            },
            StoredContact {
                id: acme_id,
                fields: fields(acme),
            },
        ]
    );
    assert_eq!(
        change_rows(&store, id),
        vec![
            (ada_id, ChangeAction::Create, None, None, None),
            (acme_id, ChangeAction::Create, None, None, None),
        ]
    );

    // The plain tables, as another tool would read them.
    let row: (i64, i64, u32, String, String, String, String, String) = store
        .conn
        .query_row(
            "SELECT import_id, contact_id, row_number, kind, occurred_at, member_code, \
             call_result, notes FROM interactions WHERE id = ?1",
            [call],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            id,
            ada_id,
            1,
            "Call".to_owned(),
            "2024-09-03T14:00:00Z".to_owned(),
            "2024 Cycle".to_owned(),
            "pledge".to_owned(),
            "Will give in October".to_owned()
        )
    );
    let pledge_row: (i64, i64, i64, i64, String, String, String) = store
        .conn
        .query_row(
            "SELECT interaction_id, import_id, contact_id, amount_cents, commitment, \
             expected_date, source_code FROM pledges WHERE id = ?1",
            [pledge],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        pledge_row,
        (
            call,
            id,
            ada_id,
            125_000,
            "firm".to_owned(),
            "2024-10-01".to_owned(),
            "FALL24".to_owned()
        )
    );
    let created: (Option<i64>, String) = store
        .conn
        .query_row(
            "SELECT created_import, created_at FROM contacts WHERE id = ?1",
            [ada_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(created.0, Some(id));
    assert_timestamp(&created.1);

    // Everything survives closing and reopening the file.
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.import(id).unwrap(), Some(expected));
    assert_eq!(store.exceptions(id).unwrap().len(), 2);
    assert_eq!(store.contacts().unwrap().len(), 2);
    assert_eq!(count(&store, "interactions"), 2);
    assert_eq!(count(&store, "pledges"), 1);
}

#[test]
fn imports_are_listed_newest_first() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store.start_import(&new_import("1")).unwrap();
    let second = store.start_import(&new_import("2")).unwrap();
    let ids: Vec<i64> = store.imports().unwrap().iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![second, first]);
    assert_eq!(store.import(second + 1).unwrap(), None);
}

#[test]
fn dropping_the_transaction_rolls_back_and_the_import_stays_running_until_failed() {
    let (_dir, path) = temp_store_path();
    let mut store = Store::open(&path).unwrap();
    let id = store.start_import(&new_import("beef")).unwrap();
    {
        let mut tx = store.begin(id).unwrap();
        let contact = tx
            .create_contact(&[""; 9].map(str::to_owned), &[""; 5])
            .unwrap();
        let i = tx.add_interaction(&interaction(contact, 1)).unwrap();
        tx.add_pledge(&NewPledge {
            interaction_id: i,
            contact_id: contact,
            amount_cents: 500,
            commitment: None,
            expected_date: None,
            source_code: None,
        })
        .unwrap();
        tx.add_exception(
            2,
            ExceptionStatus::Rejected,
            &["missing Date"],
            &["Call", ""],
        )
        .unwrap();
        // Dropped here without commit: a plugin fault, an error, a signal.
    }
    for table in [
        "contacts",
        "interactions",
        "pledges",
        "import_exceptions",
        "changes",
    ] {
        assert_eq!(count(&store, table), 0, "{table}");
    }
    let import = store.import(id).unwrap().unwrap();
    assert_eq!(import.status, ImportStatus::Running);
    assert_eq!(import.finished_at, None);

    // Another process sees it running too (the start was committed on its own).
    let other = Store::open(&path).unwrap();
    assert_eq!(
        other.import(id).unwrap().unwrap().status,
        ImportStatus::Running
    );

    store
        .fail_import(id, "plugin `csv` trapped on rows 1-512")
        .unwrap();
    let failed = other.import(id).unwrap().unwrap();
    assert_eq!(failed.status, ImportStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("plugin `csv` trapped on rows 1-512")
    );
    assert_timestamp(failed.finished_at.as_deref().unwrap());
    // A failed import does not make the file count as imported.
    assert_eq!(store.committed_import_with_sha("beef").unwrap(), None);

    // A finished import can neither fail again nor receive data.
    let err = store.fail_import(id, "again").unwrap_err();
    assert!(
        matches!(err, Error::NotRunning { id: i, status: ImportStatus::Failed } if i == id),
        "{err:?}"
    );
    let err = store.begin(id).unwrap_err();
    assert!(matches!(err, Error::NotRunning { .. }), "{err:?}");
    let err = store.fail_import(id + 1, "x").unwrap_err();
    assert!(matches!(err, Error::NoSuchImport { .. }), "{err:?}");
    let err = store.begin(id + 1).unwrap_err();
    assert!(matches!(err, Error::NoSuchImport { .. }), "{err:?}");
}

#[test]
fn update_contact_fills_replaces_and_ignores_and_logs_every_change() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store.start_import(&new_import("1")).unwrap();
    let mut tx = store.begin(first).unwrap();
    let id = tx
        .create_contact(
            &[
                "individual",
                "Grace",
                "Hopper",
                "",
                "",
                "grace@navy.mil",
                "",
                "US Navy",
                " ",
            ],
            &[""; 5],
        )
        .unwrap();
    tx.commit(&Counts::default()).unwrap();

    let second = store.start_import(&new_import("2")).unwrap();
    let mut tx = store.begin(second).unwrap();
    let incoming = [
        "organization",       // contact type: never overwritten once set
        "Grace",              // equal: no change
        "",                   // empty: never changes anything
        "Jr.",                // empty field, fill: filled
        "1 Main St",          // empty field, replace: filled
        "grace@yale.edu",     // differing, replace: replaced
        "555-0199",           // empty field, ignore: untouched
        "Yale",               // differing, fill: kept
        "Computer Scientist", // blank field, fill: filled
    ];
    use FieldPolicy::{Fill, Ignore, Replace};
    let policies = [
        Replace, Replace, Replace, Fill, Replace, Replace, Ignore, Fill, Fill,
    ];
    let changes = tx
        .update_contact(id, &incoming, &[""; 5], &policies)
        .unwrap();
    let change = |field: usize, action, old: &str, new: &str| FieldChange {
        contact_id: id,
        field,
        action,
        old_value: old.to_owned(),
        new_value: new.to_owned(),
    };
    assert_eq!(
        changes,
        vec![
            change(3, ChangeAction::Fill, "", "Jr."),
            change(4, ChangeAction::Fill, "", "1 Main St"),
            change(5, ChangeAction::Replace, "grace@navy.mil", "grace@yale.edu"),
            change(8, ChangeAction::Fill, " ", "Computer Scientist"),
        ]
    );
    assert_eq!(changes[2].column(), "email");
    // Nothing left to do the second time.
    assert_eq!(
        tx.update_contact(id, &incoming, &[""; 5], &policies)
            .unwrap(),
        vec![]
    );
    let err = tx
        .update_contact(id + 1, &incoming, &[""; 5], &policies)
        .unwrap_err();
    assert!(
        matches!(err, Error::NoSuchContact { contact_id, .. } if contact_id == id + 1),
        "{err:?}"
    );
    tx.commit(&Counts::default()).unwrap();

    assert_eq!(
        store.contacts().unwrap(),
        vec![StoredContact {
            id,
            fields: fields([
                "individual",
                "Grace",
                "Hopper",
                "Jr.",
                "1 Main St",
                "grace@yale.edu",
                "",
                "US Navy",
                "Computer Scientist",
            ]),
        }]
    );
    assert_eq!(
        change_rows(&store, first),
        vec![(id, ChangeAction::Create, None, None, None)]
    );
    assert_eq!(
        change_rows(&store, second),
        vec![
            (
                id,
                ChangeAction::Fill,
                some("suffix"),
                some(""),
                some("Jr.")
            ),
            (
                id,
                ChangeAction::Fill,
                some("address"),
                some(""),
                some("1 Main St")
            ),
            (
                id,
                ChangeAction::Replace,
                some("email"),
                some("grace@navy.mil"),
                some("grace@yale.edu")
            ),
            (
                id,
                ChangeAction::Fill,
                some("occupation"),
                some(" "),
                some("Computer Scientist")
            ),
        ]
    );
}

#[test]
fn an_empty_contact_type_is_filled() {
    let mut store = Store::open_in_memory().unwrap();
    let import = store.start_import(&new_import("1")).unwrap();
    let mut tx = store.begin(import).unwrap();
    let id = tx
        .create_contact(&["", "Alan", "Turing", "", "", "", "", "", ""], &[""; 5])
        .unwrap();
    let changes = tx
        .update_contact(
            id,
            &["individual", "", "", "", "", "", "", "", ""],
            &[""; 5],
            &[FieldPolicy::Fill; 9],
        )
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].column(), changes[0].action),
        ("contact_type", ChangeAction::Fill)
    );
}

#[test]
fn a_zero_pledge_is_an_error_naming_the_row() {
    let mut store = Store::open_in_memory().unwrap();
    let import = store.start_import(&new_import("1")).unwrap();
    let mut tx = store.begin(import).unwrap();
    let contact = tx
        .create_contact(&["individual", "A", "B", "", "", "", "", "", ""], &[""; 5])
        .unwrap();
    let interaction_id = tx.add_interaction(&interaction(contact, 17)).unwrap();
    for amount_cents in [0, -100] {
        let err = tx
            .add_pledge(&NewPledge {
                interaction_id,
                contact_id: contact,
                amount_cents,
                commitment: None,
                expected_date: None,
                source_code: None,
            })
            .unwrap_err();
        match &err {
            Error::Write {
                import_id,
                row_number,
                op,
                source,
            } => {
                assert_eq!(*import_id, import);
                assert_eq!(*row_number, Some(17));
                assert_eq!(*op, "add the pledge");
                assert!(source.to_string().contains("amount_cents > 0"), "{source}");
            }
            other => panic!("expected Write, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("import {import}, row 17: cannot add the pledge")
        );
    }
    // The failed statement did not poison the transaction.
    tx.add_pledge(&NewPledge {
        interaction_id,
        contact_id: contact,
        amount_cents: 1,
        commitment: None,
        expected_date: None,
        source_code: None,
    })
    .unwrap();
    tx.commit(&Counts {
        rows: 1,
        results: 1,
        ..Counts::default()
    })
    .unwrap();
    assert_eq!(count(&store, "pledges"), 1);
}

#[test]
fn bad_rows_are_errors_naming_the_row() {
    let mut store = Store::open_in_memory().unwrap();
    let import = store.start_import(&new_import("1")).unwrap();
    let mut tx = store.begin(import).unwrap();
    let contact = tx
        .create_contact(&["individual", "A", "B", "", "", "", "", "", ""], &[""; 5])
        .unwrap();
    let row_of = |err: Error| match err {
        Error::Write { row_number, .. } => row_number,
        other => panic!("expected Write, got {other:?}"),
    };
    // Not one of the interaction types.
    let err = tx
        .add_interaction(&NewInteraction {
            kind: "Phone",
            ..interaction(contact, 4)
        })
        .unwrap_err();
    assert_eq!(row_of(err), Some(4));
    // An unknown contact (foreign key).
    let err = tx
        .add_interaction(&interaction(contact + 1, 5))
        .unwrap_err();
    assert_eq!(row_of(err), Some(5));
    // A second exception record for one row.
    tx.add_exception(6, ExceptionStatus::Flagged, &["a"], &["x"])
        .unwrap();
    let err = tx
        .add_exception(6, ExceptionStatus::Rejected, &["b"], &["x"])
        .unwrap_err();
    assert_eq!(row_of(err), Some(6));
}

#[test]
fn counts_that_do_not_add_up_are_not_committed() {
    let mut store = Store::open_in_memory().unwrap();
    let import = store.start_import(&new_import("1")).unwrap();
    let mut tx = store.begin(import).unwrap();
    let contact = tx
        .create_contact(&["individual", "A", "B", "", "", "", "", "", ""], &[""; 5])
        .unwrap();
    tx.add_interaction(&interaction(contact, 1)).unwrap();
    let err = tx
        .commit(&Counts {
            rows: 3,
            results: 2,
            rejected: 0,
            flagged: 1,
            skipped: 0,
        })
        .unwrap_err();
    match &err {
        Error::CountsMismatch { import_id, detail } => {
            assert_eq!(*import_id, import);
            assert_eq!(
                detail,
                "rows (3) is not results (2) + rejected (0) + skipped (0); \
                 results is 2 but 1 interactions were written; \
                 flagged is 1 but 0 flagged rows were written"
            );
        }
        other => panic!("expected CountsMismatch, got {other:?}"),
    }
    assert_eq!(count(&store, "interactions"), 0);
    assert_eq!(
        store.import(import).unwrap().unwrap().status,
        ImportStatus::Running
    );
}

#[test]
fn a_second_writer_gets_busy_not_a_hang() {
    let (_dir, path) = temp_store_path();
    let mut first = Store::open(&path).unwrap();
    let mut second = Store::open(&path).unwrap();
    second.conn.busy_timeout(Duration::from_millis(10)).unwrap();
    let a = first.start_import(&new_import("a")).unwrap();
    let b = second.start_import(&new_import("b")).unwrap();
    let tx = first.begin(a).unwrap();
    let err = second.begin(b).unwrap_err();
    assert!(
        matches!(&err, Error::Busy { path: p } if p == &path),
        "{err:?}"
    );
    // Readers are not blocked by the running import.
    assert_eq!(second.imports().unwrap().len(), 2);
    drop(tx);
    assert!(second.begin(b).is_ok());
}

#[test]
fn the_same_file_is_found_only_once_committed() {
    let mut store = Store::open_in_memory().unwrap();
    let failed = store.start_import(&new_import("same")).unwrap();
    store.fail_import(failed, "boom").unwrap();
    assert_eq!(store.committed_import_with_sha("same").unwrap(), None);
    let ok = store.start_import(&new_import("same")).unwrap();
    store.begin(ok).unwrap().commit(&Counts::default()).unwrap();
    let found = store.committed_import_with_sha("same").unwrap().unwrap();
    assert_eq!(found.id, ok);
    assert_eq!(store.committed_import_with_sha("other").unwrap(), None);
}

#[test]
fn statuses_round_trip_through_their_names() {
    for status in [
        ImportStatus::Running,
        ImportStatus::Committed,
        ImportStatus::Failed,
        ImportStatus::Undone,
    ] {
        assert_eq!(ImportStatus::parse(status.as_str()), Some(status));
    }
    for status in [ExceptionStatus::Rejected, ExceptionStatus::Flagged] {
        assert_eq!(ExceptionStatus::parse(status.as_str()), Some(status));
    }
    for policy in [FieldPolicy::Fill, FieldPolicy::Replace, FieldPolicy::Ignore] {
        assert_eq!(FieldPolicy::parse(policy.as_str()), Some(policy));
    }
    assert_eq!(ImportStatus::parse("Committed"), None);
    assert_eq!(FieldPolicy::default(), FieldPolicy::Fill);
}

#[test]
fn the_schema_documents_itself() {
    let store = Store::open_in_memory().unwrap();
    // Every contact column exists, in CONTACT_COLUMNS order, after the id.
    let mut stmt = store
        .conn
        .prepare("SELECT name FROM pragma_table_info('contacts')")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(&names[1..10], &CONTACT_COLUMNS);
    // The comments are kept in the store, so `.schema` explains every table.
    let mut stmt = store
        .conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table'")
        .unwrap();
    let tables: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables.len(), 11);
    for (name, sql) in tables {
        let comments = sql.matches("--").count();
        assert!(comments >= 5, "table {name} has {comments} comments");
    }
}

/// Whether the query plan of "the interactions of a contact" uses the contact index.
fn contact_index_used(store: &Store) -> bool {
    let plan: Vec<String> = store
        .conn
        .prepare("EXPLAIN QUERY PLAN SELECT * FROM interactions WHERE contact_id = 1")
        .unwrap()
        .query_map([], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    plan.iter()
        .any(|step| step.contains("interactions_contact"))
}

#[test]
fn a_large_import_rebuilds_the_contact_index_at_commit_or_keeps_it_on_rollback() {
    let (_dir, path) = temp_store_path();
    let mut store = Store::open(&path).unwrap();
    let rows = u32::try_from(DEFER_INDEX_MIN).unwrap() + 10;
    for commit in [false, true] {
        let import = store.start_import(&new_import("big")).unwrap();
        let mut tx = store.begin(import).unwrap();
        let contact = tx
            .create_contact(&["individual", "A", "B", "", "", "", "", "", ""], &[""; 5])
            .unwrap();
        for row in 1..=rows {
            assert_eq!(tx.index_deferred(), u64::from(row) > DEFER_INDEX_MIN);
            tx.add_interaction(&interaction(contact, row)).unwrap();
        }
        assert!(tx.index_deferred());
        if commit {
            let rows = u64::from(rows);
            tx.commit(&Counts {
                rows,
                results: rows,
                ..Counts::default()
            })
            .unwrap();
        } else {
            drop(tx);
        }
        assert!(contact_index_used(&store));
    }
    assert_eq!(count(&store, "interactions"), i64::from(rows));
    let on_contact: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM interactions INDEXED BY interactions_contact \
             WHERE contact_id = (SELECT max(id) FROM contacts)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(on_contact, i64::from(rows));
}

#[test]
fn the_writer_lock_admits_one_holder_and_names_it() {
    let (_dir, path) = temp_store_path();
    let lock = WriterLock::try_acquire(&path).unwrap();
    assert_eq!(lock.holder().pid, std::process::id());
    // A second holder (another open of the lock file, as another process would have) is
    // refused at once, with the first one's details.
    let err = WriterLock::try_acquire(&path).unwrap_err();
    assert!(
        matches!(&err, Error::Locked { holder: Some(h), .. } if h == lock.holder()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("(pid {}, `", lock.holder().pid)),
        "{err}"
    );
    drop(lock);
    assert_eq!(
        std::fs::read_to_string(WriterLock::lock_path(&path)).unwrap(),
        ""
    );
    let again = WriterLock::try_acquire(&path).unwrap();
    drop(again);
}

#[test]
fn imports_left_running_by_a_dead_process_are_marked_failed() {
    let (_dir, path) = temp_store_path();
    let mut store = Store::open(&path).unwrap();
    let id = store.start_import(&new_import("dead")).unwrap();
    let lock = WriterLock::try_acquire(&path).unwrap();
    assert_eq!(store.fail_interrupted_imports(&lock).unwrap(), vec![id]);
    let import = store.import(id).unwrap().unwrap();
    assert_eq!(import.status, ImportStatus::Failed);
    assert_eq!(import.error.as_deref(), Some(INTERRUPTED));
    assert!(import.finished_at.is_some());
    assert_eq!(
        store.fail_interrupted_imports(&lock).unwrap(),
        Vec::<i64>::new()
    );
}

#[test]
fn address_parts_follow_the_address_as_one_unit() {
    use ChangeAction::{Fill, Replace};
    let parts = |p: [&str; 5]| p.map(String::from);
    let none = [""; 5].map(String::from);
    let main = ["12 Main St", "", "Springfield", "IL", "62701"];
    let address = "12 Main St, Springfield, IL 62701";
    // The same address, no parts yet: the non-empty parts fill in.
    assert_eq!(
        merge_address_parts(FieldPolicy::Fill, None, address, address, &none, &main),
        [Some(Fill), None, Some(Fill), Some(Fill), Some(Fill)]
    );
    // Parts already there, or a different address kept under `fill`: nothing moves.
    let other = ["9 Elm St", "", "Peoria", "IL", "61602"];
    assert_eq!(
        merge_address_parts(
            FieldPolicy::Fill,
            None,
            address,
            address,
            &parts(other),
            &main
        ),
        [None; 5]
    );
    assert_eq!(
        merge_address_parts(FieldPolicy::Fill, None, address, "9 Elm St", &none, &other),
        [None; 5]
    );
    // The address replaced: every differing part follows, an empty one included.
    assert_eq!(
        merge_address_parts(
            FieldPolicy::Replace,
            Some(Replace),
            address,
            "9 Elm St, Peoria, IL 61602",
            &parts(main),
            &["9 Elm St", "", "Peoria", "IL", ""],
        ),
        [Some(Replace), None, Some(Replace), None, Some(Replace)]
    );
    // `ignore` never touches them.
    assert_eq!(
        merge_address_parts(FieldPolicy::Ignore, None, address, address, &none, &main),
        [None; 5]
    );
}
