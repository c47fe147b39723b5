//! End-to-end tests of the source plugins: the committed files of `tests/fixtures/sources`
//! (CSV in every encoding and shape, workbooks made by LibreOffice and openpyxl) imported by
//! the real binary through `plugin = "auto"`, asserting the exact stored values and the
//! exact exceptions.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{Env, json, repo, stderr};
use serde_json::Value;

fn fixture(name: &str) -> String {
    repo()
        .join("tests/fixtures/sources")
        .join(name)
        .display()
        .to_string()
}

/// The fixture pipeline with `extra` appended (e.g. `[source.excel]` params).
fn pipeline(env: &Env, extra: &str) -> PathBuf {
    let base = std::fs::read_to_string(fixture("pipeline.toml")).unwrap();
    env.write("pipeline.toml", &format!("{base}\n{extra}\n"))
}

/// Imports `file` with the fixture pipeline (plus `extra`); the JSON result of the file.
fn import(env: &Env, extra: &str, file: &str) -> (Output, Value) {
    let p = pipeline(env, extra);
    let db = env.db().display().to_string();
    let out = env.sluice(&[
        "import",
        p.to_str().unwrap(),
        &fixture(file),
        "--db",
        &db,
        "--json",
    ]);
    let result = json(&out)[0].clone();
    (out, result)
}

/// Every stored interaction: row, kind, date, first and last name, email, pledge cents,
/// notes.
fn stored(env: &Env) -> Vec<Vec<String>> {
    env.query(
        "SELECT i.row_number, i.kind, i.occurred_at, c.first_name, c.last_name, c.email, \
         coalesce(p.amount_cents, ''), i.notes \
         FROM interactions i JOIN contacts c ON c.id = i.contact_id \
         LEFT JOIN pledges p ON p.interaction_id = i.id ORDER BY i.row_number",
    )
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_string()).collect()
}

fn warnings(result: &Value) -> Vec<String> {
    result["warnings"]
        .as_array()
        .map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// The three rows of `ROWS` in `make_fixtures.py`, as stored, at rows 2, 3, 4.
fn three_rows(notes: [&str; 3]) -> Vec<Vec<String>> {
    vec![
        row(&[
            "2",
            "Call",
            "2025-03-14T00:00:00Z",
            "José",
            "Müller",
            "jose@example.org",
            "125000",
            notes[0],
        ]),
        row(&[
            "3",
            "Email",
            "2025-03-15T00:00:00Z",
            "Zoë",
            "Ødegård",
            "zoe@example.org",
            "",
            notes[1],
        ]),
        row(&[
            "4",
            "Meeting",
            "2025-03-16T00:00:00Z",
            "François",
            "Çelik",
            "fc@example.org",
            "",
            notes[2],
        ]),
    ]
}

#[test]
fn csv_in_every_encoding_and_delimiter_arrives_intact() {
    for (file, warning) in [
        ("utf8_bom.csv", None),
        ("utf8.csv", None),
        ("utf16le.csv", Some("detected delimiter tab")),
        ("utf16be.csv", Some("detected delimiter tab")),
        (
            "windows1252_semicolon.csv",
            Some("it was read as Windows-1252"),
        ),
        ("pipe.csv", Some("detected delimiter `|`")),
    ] {
        let env = Env::new();
        let (out, result) = import(&env, "", file);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert_eq!(result["counts"]["rows"], 3, "{file}");
        assert_eq!(
            stored(&env),
            three_rows(["café", "naïve", "€5 coffee"]),
            "{file}"
        );
        if let Some(w) = warning {
            assert!(
                warnings(&result).iter().any(|x| x.contains(w)),
                "{file}: {:?}",
                warnings(&result)
            );
        }
    }
}

#[test]
fn csv_quoting_follows_rfc_4180() {
    let env = Env::new();
    let (out, _) = import(&env, "", "quoting.csv");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let notes = env.query("SELECT row_number, notes FROM interactions ORDER BY row_number");
    assert_eq!(
        notes,
        vec![
            row(&["2", "Said \"call me back\", then hung up"]),
            row(&["3", "Line one\r\nLine two, with comma"]),
            // The record after a two-line field starts on line 5.
            row(&["5", "\"\""]),
        ]
    );
}

#[test]
fn csv_title_lines_above_the_header_are_skipped() {
    let env = Env::new();
    let (out, result) = import(&env, "", "title_lines.csv");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = env.query("SELECT row_number, kind FROM interactions ORDER BY row_number");
    assert_eq!(rows, vec![row(&["5", "Call"]), row(&["6", "Email"])]);
    assert!(
        warnings(&result).contains(
            &"skipped 2 line(s) above the header, which was detected on line 4; set \
              `header_row` to choose another line"
                .to_string()
        ),
        "{:?}",
        warnings(&result)
    );
    // Named explicitly, the header line is taken as given.
    let env = Env::new();
    let (out, _) = import(&env, "[source.csv]\nheader_row = 4", "title_lines.csv");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.count("interactions"), 2);
}

#[test]
fn csv_repeated_header_names_are_made_distinct() {
    let env = Env::new();
    let (out, result) = import(&env, "", "duplicate_headers.csv");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        warnings(&result).contains(
            &"column 9 repeats the name \"Notes\" of column 8; it is called \"Notes (2)\"".into()
        ),
        "{:?}",
        warnings(&result)
    );
    let columns = &env.query("SELECT columns_json FROM imports")[0][0];
    assert!(columns.ends_with(r#""Notes","Notes (2)"]"#), "{columns}");
    assert_eq!(env.count("interactions"), 2);
}

#[test]
fn csv_rows_short_or_with_empty_extras_import_and_blank_lines_are_not_rows() {
    let env = Env::new();
    let (out, result) = import(&env, "", "ragged.csv");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(result["counts"]["rows"], 5);
    assert_eq!(result["counts"]["results"], 4);
    assert_eq!(result["counts"]["rejected"], 1);
    assert_eq!(
        env.query("SELECT row_number, reasons_json FROM import_exceptions ORDER BY row_number"),
        vec![row(&[
            "5",
            r#"["row has 9 fields, the header has 8: 1 extra field is not empty, the first \"extra\""]"#
        ])]
    );
    assert_eq!(
        env.query("SELECT row_number, notes FROM interactions ORDER BY row_number"),
        vec![
            row(&["2", "café"]),
            row(&["3", "NULL"]),
            row(&["9", "€5 coffee"]),
            row(&["10", "naïve"]),
        ]
    );
    assert!(
        warnings(&result).contains(
            &"skipped 2 row(s) with no data (only spaces or delimiters): lines 6, 7".into()
        ),
        "{:?}",
        warnings(&result)
    );
}

#[test]
fn unreadable_files_fail_clearly_and_write_nothing() {
    for (file, says) in [
        ("empty.csv", "the file is empty"),
        (
            "nul_byte.csv",
            "contains a NUL byte at byte 179: it looks binary, not CSV",
        ),
        (
            "binary.csv",
            "contains a NUL byte at byte 1: it looks binary, not CSV",
        ),
        (
            "unterminated_quote.csv",
            "the file ends inside a quoted field of row 3",
        ),
        ("password.xlsx", "the workbook is password-protected"),
        ("truncated.xlsx", "may be damaged or cut off"),
        (
            "text_export.xls",
            "the file is not a workbook but text (probably CSV)",
        ),
    ] {
        let env = Env::new();
        let (out, result) = import(&env, "", file);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
        assert_eq!(result["status"], "failed", "{file}");
        let error = result["error"].as_str().unwrap();
        assert!(error.contains(says), "{file}: {error}");
        assert_eq!(env.count("interactions"), 0, "{file}");
        assert_eq!(env.count("contacts"), 0, "{file}");
    }
    // A header and nothing else is an import of zero rows, not a failure.
    let env = Env::new();
    let (out, result) = import(&env, "", "header_only.csv");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(result["counts"]["rows"], 0);
}

/// Old-format workbooks found by fuzzing whose BIFF records made calamine's .xls parser
/// panic (one per panic site; `plugins/excel/tests/fuzz/`). calamine's record reads are
/// checked now (`vendor/calamine`): each file fails with the typed "damaged" error, nothing
/// of it is stored, and the next file of the same command imports.
#[test]
fn damaged_xls_records_fail_their_file_with_the_damage_named() {
    for (file, why) in [
        (
            "xls_sheet_offset_past_stream.xls",
            "Invalid Workbook stream (BoundSheet8 position) length, expected at least 10747904, \
             found 4260",
        ),
        (
            "xls_defined_name_empty.xls",
            "Invalid Lbl length, expected at least 14, found 0",
        ),
        (
            "xls_defined_name_formula_past_record.xls",
            "Invalid Lbl rgce length, expected at least 65525, found 20",
        ),
        (
            "xls_cell_formula_past_record.xls",
            "End of stream 'record length'",
        ),
        (
            "xls_shared_string_cut_in_run_count.xls",
            "Invalid rich extended string cRun length, expected at least 2, found 1",
        ),
    ] {
        let env = Env::new();
        // The good file's "Export" and "Other" have equally good headers: the sheet is named.
        let p = pipeline(&env, "[source.excel]\nsheet = \"Export\"");
        let db = env.db().display().to_string();
        let damaged = repo().join("plugins/excel/tests/fuzz").join(file);
        let out = env.sluice(&[
            "import",
            p.to_str().unwrap(),
            damaged.to_str().unwrap(),
            &fixture("interactions.xls"),
            "--db",
            &db,
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
        let results = json(&out);
        assert_eq!(results[0]["status"], "failed", "{file}");
        let error = results[0]["error"].as_str().unwrap();
        assert_eq!(
            error,
            format!(
                "plugin `excel` 0.1.0 in [source.excel]: the file looks like an Excel 97-2003 \
                 workbook (.xls) but cannot be read ({why}); it may be damaged or cut off: open \
                 it in Excel or LibreOffice and save it again"
            ),
            "{file}"
        );
        assert_eq!(results[1]["status"], "imported", "{file}: {}", results[1]);
        // The failed file is listed with its error; the data is the good file's alone.
        assert_eq!(
            env.query("SELECT id, status, coalesce(error, '') FROM imports"),
            vec![
                vec!["1".to_string(), "failed".to_string(), error.to_string()],
                vec!["2".to_string(), "committed".to_string(), String::new()],
            ],
            "{file}"
        );
        assert_eq!(
            env.query("SELECT import_id, count(*) FROM interactions GROUP BY import_id"),
            vec![vec!["2".to_string(), "5".to_string()]],
            "{file}"
        );
    }
}

/// What the `Export` sheet of `interactions.*` holds, as stored.
fn export_sheet(date_merged: &str, boolean: &str) -> Vec<Vec<String>> {
    vec![
        row(&[
            "4",
            "Call",
            "2025-03-14T00:00:00Z",
            "José",
            "Müller",
            "jose@example.org",
            "125000",
            "café",
        ]),
        row(&[
            "5",
            "Email",
            "2025-03-15T10:30:00Z",
            "Zoë",
            "Ødegård",
            "",
            "125000",
            boolean,
        ]),
        row(&[
            "6",
            "Meeting",
            "2025-03-16T00:00:00Z",
            "François",
            "Çelik",
            "fc@example.org",
            "30",
            "merged date",
        ]),
        row(&[
            "7",
            "Call",
            date_merged,
            "Ann",
            "Lee",
            "ann@example.org",
            "9950",
            "date merged from above",
        ]),
        row(&[
            "9",
            "Thank",
            "2025-03-18T00:00:00Z",
            "Bo",
            "Chan",
            "bo@example.org",
            "",
            "after a blank row",
        ]),
    ]
}

#[test]
fn workbooks_in_every_format_arrive_faithfully() {
    // "Export" and "Other" have equally good headers: the sheet is named (see
    // `sheets_with_equally_good_headers_are_a_whole_file_error`).
    let export = "[source.excel]\nsheet = \"Export\"";
    for file in ["interactions.xlsx", "interactions.xls"] {
        let env = Env::new();
        let (out, result) = import(&env, export, file);
        // The row whose error cell was read as empty is imported and flagged.
        assert_eq!(out.status.code(), Some(3), "{file}: {}", stderr(&out));
        assert_eq!(
            env.query("SELECT row_number, status, reasons_json FROM import_exceptions"),
            vec![row(&[
                "5",
                "flagged",
                r#"["Primary Email (cell F5) holds the error #N/A and was read as empty"]"#
            ])],
            "{file}"
        );
        assert_eq!(
            stored(&env),
            export_sheet("2025-03-16T00:00:00Z", "TRUE"),
            "{file}"
        );
        // Formatting far right of and below the data (cell L20) adds no column and no row.
        assert_eq!(
            env.query("SELECT columns_json, rows FROM imports"),
            vec![row(&[
                r#"["Interaction Type","Date","Contact Type","First Name","Last Name","Primary Email","Pledge Amount","Notes"]"#,
                "5"
            ])],
            "{file}"
        );
        assert_eq!(
            warnings(&result)[..2],
            [
                "skipped 1 row(s) above the header (row 3); set `header_row` to choose another row",
                "1 cell(s) hold an error value and were read as empty: F5 (#N/A)",
            ],
            "{file}"
        );
    }
    // OpenDocument: calamine does not report merged regions, so row 7 has no date; and
    // LibreOffice stores a boolean as the number 1 with a TRUE format.
    let env = Env::new();
    let (out, _) = import(&env, export, "interactions.ods");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let mut expected = export_sheet("", "1");
    expected.remove(3);
    assert_eq!(stored(&env), expected);
    assert_eq!(
        env.query("SELECT row_number, reasons_json FROM import_exceptions"),
        vec![
            row(&[
                "5",
                r#"["Primary Email (cell F5) holds the error #N/A and was read as empty"]"#
            ]),
            row(&["7", r#"["missing Date"]"#])
        ]
    );
}

/// What `sheet2.*` and `sheet2_1904.*` hold on their "Export" sheet, as stored: row, type,
/// date, contact type, names, email, phone, address, pledge cents, expected date, source
/// code, notes.
const SHEET2: [[&str; 13]; 3] = [
    [
        "6",
        "Call",
        "2025-03-14T10:30:00Z",
        "individual",
        "Ann",
        "Lee",
        "ann@example.org",
        "+12025550143",
        "12 Main St, Springfield, 62701",
        "25000",
        "2025-05-01",
        "SPRING25",
        "pledged by phone",
    ],
    [
        "7",
        "Meeting",
        "2025-03-15T00:00:00Z",
        "organization",
        "Acme Foundation",
        "",
        "info@acme.example",
        "",
        "1 Plaza, Springfield, 62702",
        "125050",
        "",
        "",
        "annual lunch",
    ],
    // A text date, read month-first: the column's other dates are cells, and 17 is a day.
    [
        "8",
        "Email",
        "2025-03-17T00:00:00Z",
        "individual",
        "Bo",
        "Chan",
        "bo@example.org",
        "",
        "",
        "",
        "",
        "",
        "a text date",
    ],
];

#[test]
fn workbooks_as_exported_import_the_same_from_every_format_with_no_sheet_named() {
    // A Summary sheet first, the data on sheet 2 under two title rows, a blank row and a
    // group band over merged cells; formulas, currency cells, text dates; both date systems.
    for file in [
        "sheet2.xlsx",
        "sheet2.xls",
        "sheet2.ods",
        "sheet2_1904.xlsx",
        "sheet2_1904.xls",
        "sheet2_1904.ods",
    ] {
        let env = Env::new();
        let (out, result) = import(&env, "", file);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert_eq!(
            env.query(
                "SELECT i.row_number, i.kind, i.occurred_at, c.contact_type, c.first_name, \
                 c.last_name, c.email, c.phone, c.address, coalesce(p.amount_cents, ''), \
                 coalesce(p.expected_date, ''), coalesce(p.source_code, ''), i.notes \
                 FROM interactions i JOIN contacts c ON c.id = i.contact_id \
                 LEFT JOIN pledges p ON p.interaction_id = i.id ORDER BY i.row_number"
            ),
            SHEET2.map(|r| row(&r)).to_vec(),
            "{file}"
        );
        assert_eq!(
            warnings(&result)[..2],
            [
                "read sheet \"Export\", whose header looks most like the template's (the \
                 workbook's sheets: \"Summary\" (0 point(s), starting row 1: \"Region\", \
                 \"Calls\", \"Pledged\"), \"Export\" (17 point(s), starting row 1: \"Spring \
                 appeal: all interactions\")); set `sheet` to choose another",
                "skipped 3 row(s) above the header (row 5); set `header_row` to choose another row",
            ],
            "{file}"
        );
    }
}

#[test]
fn sheets_with_equally_good_headers_are_a_whole_file_error() {
    let env = Env::new();
    let (out, result) = import(&env, "", "interactions.xlsx");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        result["error"],
        "plugin `excel` 0.1.0 in [source.excel]: sheets \"Export\" and \"Other\" have \
         equally good headers (11 point(s) each), so which to import is a guess: set `sheet` in \
         the excel source's params (\"Export\" (11 point(s), starting row 1: \"Exported from \
         DonorBase on 2025-01-01\"), \"Other\" (11 point(s), starting row 1: \"Interaction \
         Type\", \"Date\", \"Contact Type\"))"
    );
    assert_eq!(env.count("interactions"), 0);
}

#[test]
fn workbook_dates_in_the_1904_system() {
    let env = Env::new();
    let (out, _) = import(&env, "", "date1904.xlsx");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.query("SELECT row_number, occurred_at FROM interactions ORDER BY row_number"),
        vec![
            row(&["2", "2025-03-14T00:00:00Z"]),
            row(&["3", "2001-02-03T04:05:06Z"])
        ]
    );
    assert_eq!(
        env.query("SELECT amount_cents FROM pledges"),
        vec![row(&["2000"])]
    );
}

#[test]
fn sheets_are_chosen_by_name_or_position() {
    for sheet in ["\"Other\"", "\"other\"", "\"3\""] {
        let env = Env::new();
        let (out, _) = import(
            &env,
            &format!("[source.excel]\nsheet = {sheet}"),
            "interactions.xlsx",
        );
        assert_eq!(out.status.code(), Some(0), "{sheet}: {}", stderr(&out));
        assert_eq!(
            stored(&env),
            vec![row(&[
                "2",
                "Mail",
                "2025-04-01T00:00:00Z",
                "Acme Corp",
                "",
                "info@acme.example",
                "50000",
                "letter"
            ])],
            "{sheet}"
        );
    }
    let env = Env::new();
    let (out, result) = import(
        &env,
        "[source.excel]\nsheet = \"Donors\"",
        "interactions.xlsx",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        result["error"].as_str().unwrap().contains(
            "the workbook has no sheet \"Donors\"; its sheets are \"Empty\", \"Export\", \"Other\""
        ),
        "{result}"
    );
}

#[test]
fn auto_source_is_chosen_by_extension_and_configured_per_plugin() {
    let env = Env::new();
    let text = env.write("notes.pdf", "Interaction Type,Date\n");
    let p = pipeline(&env, "");
    let out = env.sluice(&[
        "import",
        p.to_str().unwrap(),
        text.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let error = json(&out)[0]["error"].as_str().unwrap().to_string();
    assert!(
        error.ends_with(
            "cannot tell the file's format from its extension `.pdf`; the automatic source \
             reads .csv, .tsv, .tab, .txt, .xlsx, .xlsm, .xlsb, .xls, .ods; rename the file or \
             name a source plugin in the pipeline"
        ),
        "{error}"
    );

    // Parameters go to the plugin they belong to, checked against its description.
    for (extra, says) in [
        (
            "[source.excel]\nshet = \"Export\"",
            "unknown parameter `shet` in [source.excel] params; did you mean `sheet`?",
        ),
        (
            "[source.params]\ndelimiter = \";\"",
            "with `plugin = \"auto\"` the source parameters go in [source.csv] and [source.excel]",
        ),
    ] {
        let env = Env::new();
        let p = pipeline(&env, extra);
        let out = env.sluice(&["check", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{extra}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{extra}: {}", stderr(&out));
    }
    let env = Env::new();
    let p = env.write(
        "pipeline.toml",
        "[pipeline]\nname = \"x\"\n[source]\nplugin = \"csv\"\n[source.excel]\nsheet = \"A\"\n",
    );
    let out = env.sluice(&["check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("pipeline.toml:5: [source.excel] is only read with `plugin = \"auto\"`"),
        "{}",
        stderr(&out)
    );
}
