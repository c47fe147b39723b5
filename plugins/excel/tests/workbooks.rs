//! The committed workbook fixtures (made by LibreOffice and openpyxl, see
//! `tests/fixtures/sources/make_fixtures.py`; and an Excel-made .xlsb, see
//! `tests/fixtures/README.md`) read natively, pushed in odd-sized chunks.

#![allow(clippy::unwrap_used)] // Test helpers: a failed step is a failed test.

use std::path::Path;

use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, ParamValue, Params, Source, SourceOutput};

/// Header, rows (number and cells) and warnings of a fixture, or the error.
fn read(name: &str, params: &[(&str, ParamValue)], chunk: usize) -> Result<SourceOutput, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/sources")
        .join(name);
    let bytes = std::fs::read(path).unwrap();
    let params = Params(
        params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    let (mut source, _) = Excel::open(&params, &Context::default()).map_err(|e| e.to_string())?;
    let mut out = SourceOutput::new(0);
    for chunk in bytes.chunks(chunk.min(bytes.len()).max(1)) {
        source.push(chunk, &mut out).map_err(|e| e.to_string())?;
    }
    source.finish(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn rows(out: &SourceOutput) -> Vec<(u32, Vec<String>)> {
    out.rows
        .iter()
        .map(|r| (r.number(), r.cells().map(String::from).collect()))
        .collect()
}

#[test]
fn chunks_do_not_change_what_is_read() {
    // "Export" and "Other" have equally good headers: the sheet is named.
    let export = [("sheet", ParamValue::Text("Export".into()))];
    for name in ["interactions.xlsx", "interactions.xls", "interactions.ods"] {
        let small = read(name, &export, 1000).unwrap();
        let whole = read(name, &export, usize::MAX).unwrap();
        assert_eq!(small, whole, "{name}");
        assert_eq!(
            rows(&whole).iter().map(|r| r.0).collect::<Vec<_>>(),
            [4, 5, 6, 7, 9],
            "{name}: sheet row numbers"
        );
        assert_eq!(
            rows(&whole)[0].1[1..3],
            ["2025-03-14", "individual"],
            "{name}"
        );
    }
}

#[test]
fn an_explicit_header_row_is_taken_as_given() {
    let sheet = ("sheet", ParamValue::Text("Export".into()));
    let out = read(
        "interactions.xlsx",
        &[("header_row", ParamValue::Integer(4)), sheet.clone()],
        1000,
    )
    .unwrap();
    assert_eq!(out.columns.unwrap()[..2], ["Call", "2025-03-14"]);
    let err = read(
        "interactions.xlsx",
        &[("header_row", ParamValue::Integer(2)), sheet],
        1000,
    )
    .unwrap_err();
    assert!(err.contains("row 2 of sheet \"Export\""), "{err}");
}

#[test]
fn a_workbook_past_the_cap_is_refused_while_it_streams_in() {
    let (mut source, _) = Excel::open(&Params::default(), &Context::default()).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut out = SourceOutput::new(0);
    let mut pushed = 0;
    let err = loop {
        match source.push(&chunk, &mut out) {
            Ok(()) => pushed += chunk.len(),
            Err(e) => break e.to_string(),
        }
    };
    assert_eq!(pushed, sluice_plugin_excel::MAX_WORKBOOK_BYTES);
    assert!(
        err.starts_with("the workbook is larger than 100 MiB"),
        "{err}"
    );
}

/// No Rust crate writes .xlsb, so this one comes from calamine's tests: Excel's own binary
/// workbook, its one string shared (and its shared strings part named `SharedStrings.bin`).
#[test]
fn an_xlsb_workbook_is_read() {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hello.xlsb"))
            .unwrap();
    for chunk in [1000, bytes.len()] {
        let (mut source, _) = Excel::open(&Params::default(), &Context::default()).unwrap();
        let mut out = SourceOutput::new(0);
        for piece in bytes.chunks(chunk) {
            source.push(piece, &mut out).unwrap();
        }
        source.finish(&mut out).unwrap();
        assert_eq!(out.columns.as_deref(), Some(&["Hello".to_string()][..]));
        assert_eq!(rows(&out), []);
        assert_eq!(out.warnings, Vec::<String>::new());
    }
}
