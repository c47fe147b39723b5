//! Property test of the row ledger and the exceptions report: random files with random
//! missing, invalid and awkward fields (quotes, commas, line breaks, spaces), ragged rows
//! and blank lines, imported by the real binary. Every import must satisfy
//! `rows = results + rejected + skipped` with blank lines not counted, and the report must
//! give back each reported row's fields byte for byte.

#![allow(clippy::unwrap_used, clippy::panic)] // Tests: a failed step is a failed test.

mod common;

use common::{Env, json, stderr, stdout};
use proptest::prelude::*;
use proptest::test_runner::Config;

const COLUMNS: [&str; 8] = [
    "Interaction Type",
    "Date",
    "Contact Type",
    "First Name",
    "Last Name",
    "Primary Email",
    "Pledge Amount",
    "Notes",
];

const PIPELINE: &str = "[pipeline]\nname = \"props\"\ntimezone = \"UTC\"\n\
    [source]\nplugin = \"csv\"\n[source.params]\ndelimiter = \",\"\n\
    [[transform]]\nplugin = \"mapping\"\n[[validate]]\nplugin = \"interactions\"\n\
    [store]\npath = \"store.db\"\n";

/// One line (or, with quoted line breaks, several) of the generated file.
#[derive(Clone, Debug)]
enum Line {
    /// A record, as wide as the header or not.
    Record(Vec<String>),
    /// An empty line: not a row.
    Blank,
}

/// Text that tends to break CSV handling; no `\r` or NUL, which the source treats as line
/// breaks or refuses.
fn awkward() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 ,;\"\n'éü€\t/$.-]{0,12}").unwrap()
}

fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(values).prop_map(String::from),
        1 => awkward(),
    ]
}

fn full_row() -> impl Strategy<Value = Vec<String>> {
    (
        one_of(&["Call", "email", "phone call", "", "Fax", "  Meeting "]),
        one_of(&[
            "2025-03-14",
            "3/4/2025",
            "13/13/2025",
            "",
            "March 4, 2025",
            "45720",
        ]),
        one_of(&["individual", "organization", "", "person", "household"]),
        one_of(&["Ann", "", "Acme Corp", " Bo "]),
        one_of(&["Lee", "", "O'Brien"]),
        one_of(&["ann@example.org", "", "BO@EXAMPLE.ORG", "not an email"]),
        one_of(&["", "$1,250.00", "0", "abc", "-5", "12.5"]),
        awkward(),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| vec![a, b, c, d, e, f, g, h])
}

/// A record of the wrong width; its first field is never empty, so it is never a blank line.
fn ragged_row() -> impl Strategy<Value = Vec<String>> {
    (1usize..12)
        .prop_filter("not the header's width", |n| *n != COLUMNS.len())
        .prop_flat_map(|n| proptest::collection::vec(awkward(), n))
        .prop_map(|mut fields| {
            if let Some(first) = fields.first_mut() {
                first.insert(0, 'x');
            }
            fields
        })
}

/// Whether a record holds a value past the header's width (spaces are no value).
fn has_extra_value(fields: &[String]) -> bool {
    fields
        .iter()
        .skip(COLUMNS.len())
        .any(|f| !f.trim().is_empty())
}

/// A record's fields as the source reads them: a row without an extra value has the
/// header's width, missing trailing fields empty; a reject keeps its raw fields.
fn as_read(fields: &[String]) -> Vec<String> {
    if has_extra_value(fields) {
        return fields.to_vec();
    }
    let mut read = fields.to_vec();
    read.resize(COLUMNS.len(), String::new());
    read
}

fn lines() -> impl Strategy<Value = Vec<Line>> {
    proptest::collection::vec(
        prop_oneof![
            16 => full_row().prop_map(Line::Record),
            2 => ragged_row().prop_map(Line::Record),
            1 => Just(Line::Blank),
        ],
        0..30,
    )
}

/// The file's text and, for each record, its row number (the line it starts on) and fields.
fn render(lines: &[Line]) -> (String, Vec<(u32, Vec<String>)>) {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record(COLUMNS).unwrap();
    let mut text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let mut line = 2u32;
    let mut records = Vec::new();
    for l in lines {
        match l {
            Line::Blank => {
                text.push('\n');
                line += 1;
            }
            Line::Record(fields) => {
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .from_writer(Vec::new());
                w.write_record(fields).unwrap();
                text.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
                records.push((line, fields.clone()));
                let breaks: usize = fields.iter().map(|f| f.matches('\n').count()).sum();
                line += 1 + u32::try_from(breaks).unwrap();
            }
        }
    }
    (text, records)
}

fn check(lines: &[Line]) -> Result<(), TestCaseError> {
    let (text, records) = render(lines);
    let env = Env::new();
    let pipeline = env.write("pipeline.toml", PIPELINE);
    env.write("input.csv", &text);
    let out = env.sluice(&["import", pipeline.to_str().unwrap(), "input.csv", "--json"]);
    prop_assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "exit {:?}: {}\n{text:?}",
        out.status.code(),
        stderr(&out)
    );
    let result = &json(&out)[0];
    let count = |k: &str| result["counts"][k].as_u64().unwrap();
    let (rows, results, rejected, flagged, skipped) = (
        count("rows"),
        count("results"),
        count("rejected"),
        count("flagged"),
        count("skipped"),
    );
    prop_assert_eq!(rows, records.len() as u64, "blank lines are not rows");
    prop_assert_eq!(rows, results + rejected + skipped);
    prop_assert_eq!(env.count("interactions"), i64::try_from(results).unwrap());
    prop_assert_eq!(
        env.query("SELECT rows, results, rejected, flagged, skipped FROM imports"),
        vec![
            [rows, results, rejected, flagged, skipped]
                .map(|n| n.to_string())
                .to_vec()
        ]
    );

    let report = json(&env.sluice(&["report", "1", "--db", "store.db", "--json"]));
    let exceptions = report["exceptions"].as_array().unwrap();
    let with_status = |s: &str| exceptions.iter().filter(|x| x["status"] == s).count() as u64;
    prop_assert_eq!(with_status("rejected"), rejected);
    prop_assert_eq!(with_status("flagged"), flagged);
    for x in exceptions {
        let row = u32::try_from(x["row_number"].as_u64().unwrap()).unwrap();
        let (_, fields) = records.iter().find(|(n, _)| *n == row).unwrap();
        let fields = &as_read(fields);
        let values: Vec<&str> = x["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        prop_assert_eq!(&values, fields, "row {}", row);
    }
    // A row with a value past the header's width cannot be imported; it is reported as read.
    for (row, fields) in &records {
        if has_extra_value(fields) {
            prop_assert!(
                exceptions
                    .iter()
                    .any(|x| x["row_number"] == *row && x["status"] == "rejected"),
                "ragged row {} not rejected",
                row
            );
        }
    }

    // The CSV report holds the same fields after its three own columns.
    let csv_text = stdout(&env.sluice(&["report", "1", "--db", "store.db"]));
    let parsed: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    prop_assert_eq!(parsed.len(), exceptions.len());
    for line in &parsed {
        let row: u32 = line[0].parse().unwrap();
        let (_, fields) = records.iter().find(|(n, _)| *n == row).unwrap();
        let fields = &as_read(fields);
        prop_assert_eq!(&line[3..], &fields[..], "row {}", row);
    }
    Ok(())
}

proptest! {
    // Each case runs the binary three times; 24 cases keep this test near ten seconds.
    #![proptest_config(Config { cases: 24, failure_persistence: None, ..Config::default() })]

    #[test]
    fn every_row_is_counted_once_and_reported_as_read(lines in lines()) {
        check(&lines)?;
    }
}
