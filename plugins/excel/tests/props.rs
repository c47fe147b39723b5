//! Property tests of the excel source: no bytes make it panic (whatever container they
//! claim to be), and a sheet written by rust_xlsxwriter reads back as the same header and
//! rows.

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, Params, Source, SourceOutput};

fn read(bytes: &[u8]) -> Result<SourceOutput, String> {
    let (mut source, _) = Excel::open(&Params::default(), &Context::default()).unwrap();
    let mut out = SourceOutput::new(0);
    source.push(bytes, &mut out).map_err(|e| e.to_string())?;
    source.finish(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A cell as written: text, or a whole number (a number cell).
#[derive(Clone, Debug)]
enum Value {
    Text(String),
    Number(i64),
}

impl Value {
    fn shown(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(n) => n.to_string(),
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[A-Za-z0-9 .@'-]{0,10}".prop_map(Value::Text),
        (-999_999_999_999i64..1_000_000_000_000).prop_map(Value::Number),
    ]
}

fn xlsx(header: &[String], rows: &[Vec<Value>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in (0u16..).zip(header) {
        sheet.write_string(0, c, name).unwrap();
    }
    for (r, row) in (1u32..).zip(rows) {
        for (c, v) in (0u16..).zip(row) {
            match v {
                Value::Text(s) if s.is_empty() => {}
                Value::Text(s) => {
                    sheet.write_string(r, c, s).unwrap();
                }
                #[allow(clippy::cast_precision_loss)] // Below 2^53: exact.
                Value::Number(n) => {
                    sheet.write_number(r, c, *n as f64).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Arbitrary bytes, bare or behind the magic of a zip (.xlsx, .ods) or OLE (.xls)
    /// container: an error or a sheet, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(
        magic in prop::sample::select(vec![&b""[..], b"PK\x03\x04", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"]),
        body in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&body);
        if let Ok(out) = read(&bytes) {
            let width = out.columns.as_ref().map_or(0, Vec::len);
            for row in out.rows.iter() {
                prop_assert_eq!(row.cells().count(), width);
            }
        }
    }

    /// A sheet of text and number cells written by rust_xlsxwriter reads back as the same
    /// header and rows (rows with no value are not rows), numbered as in the sheet.
    #[test]
    fn written_sheets_read_back(
        (header, rows) in proptest::collection::vec("[A-Za-z][A-Za-z0-9 ]{0,8}[A-Za-z0-9]", 1..6)
            .prop_filter("distinct names", |h| {
                h.iter().enumerate().all(|(i, n)| h.iter().skip(i + 1).all(|m| !m.eq_ignore_ascii_case(n)))
            })
            .prop_flat_map(|h| {
                let width = h.len();
                (Just(h), proptest::collection::vec(proptest::collection::vec(value(), width), 0..8))
            }),
    ) {
        let out = read(&xlsx(&header, &rows)).map_err(TestCaseError::fail)?;
        prop_assert_eq!(out.columns.as_ref(), Some(&header));
        let expected: Vec<(u32, Vec<String>)> = (2u32..)
            .zip(&rows)
            .map(|(n, r)| (n, r.iter().map(Value::shown).collect::<Vec<_>>()))
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .collect();
        let got: Vec<(u32, Vec<String>)> = out
            .rows
            .iter()
            .map(|r| (r.number(), r.cells().map(String::from).collect()))
            .collect();
        prop_assert_eq!(got, expected);
    }
}
