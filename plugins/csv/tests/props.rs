//! Property tests of the csv source: no input makes it panic, chunk boundaries never change
//! what it reads, and a table written by the `csv` crate reads back as the same header and
//! rows, with the delimiter named or detected.

#![allow(clippy::unwrap_used)] // Test helpers: a failed step is a failed test.

use proptest::prelude::*;
use sluice_plugin_csv::Csv;
use sluice_sdk::{Context, ParamValue, Params, Source, SourceOutput};

/// Header, rows and rejects as read, or the error.
type Table = (Vec<String>, Vec<Vec<String>>, Vec<(u32, Vec<String>)>);

fn read(params: &Params, bytes: &[u8], chunk: usize) -> Result<Table, String> {
    let (mut source, _) = Csv::open(params, &Context::default()).map_err(|e| e.to_string())?;
    let mut table: Table = Default::default();
    let take = |out: SourceOutput, table: &mut Table| {
        if let Some(c) = out.columns {
            table.0 = c;
        }
        for row in out.rows.iter() {
            assert_eq!(row.cells().count(), table.0.len(), "row {}", row.number());
            table.1.push(row.cells().map(String::from).collect());
        }
        table
            .2
            .extend(out.rejects.into_iter().map(|r| (r.row, r.fields)));
    };
    for piece in bytes.chunks(chunk.max(1)) {
        let mut out = SourceOutput::new(table.0.len());
        source.push(piece, &mut out).map_err(|e| e.to_string())?;
        take(out, &mut table);
    }
    let mut out = SourceOutput::new(table.0.len());
    source.finish(&mut out).map_err(|e| e.to_string())?;
    take(out, &mut table);
    Ok(table)
}

fn params(delimiter: Option<&str>, encoding: Option<&str>, header_row: Option<i64>) -> Params {
    let mut p = Vec::new();
    if let Some(d) = delimiter {
        p.push(("delimiter".to_string(), ParamValue::Text(d.into())));
    }
    if let Some(e) = encoding {
        p.push(("encoding".to_string(), ParamValue::Text(e.into())));
    }
    if let Some(h) = header_row {
        p.push(("header_row".to_string(), ParamValue::Integer(h)));
    }
    Params(p)
}

/// Writes `header` and `rows` as the `csv` crate does, quoting only where needed.
fn write(delimiter: u8, header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    write_with(delimiter, csv::Terminator::Any(b'\n'), header, rows)
}

fn write_with(
    delimiter: u8,
    terminator: csv::Terminator,
    header: &[String],
    rows: &[Vec<String>],
) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(terminator)
        .from_writer(Vec::new());
    w.write_record(header).unwrap();
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.into_inner().unwrap()
}

/// The rows the source keeps: a row whose cells are all blank holds no data.
fn kept(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .cloned()
        .collect()
}

/// `width` header names: distinct ignoring ASCII case, trimmed, not empty, no BOM.
fn header(
    name: &'static str,
    width: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(name, width)
        .prop_map(|names| {
            names
                .into_iter()
                .map(|n| {
                    n.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .prop_filter("distinct, non-empty names", |names| {
            names.iter().all(|n| !n.is_empty())
                && names
                    .iter()
                    .enumerate()
                    .all(|(i, n)| names.iter().skip(i + 1).all(|m| !m.eq_ignore_ascii_case(n)))
        })
}

/// Any text but NUL (which marks a binary file).
const ANY_CELL: &str = "[^\u{0}]{0,12}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes, any parameters, any chunk size: a table or an error, never a panic,
    /// and the same one whatever the chunk size.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        delimiter in prop::option::of(prop::sample::select(vec![",", ";", "tab", "|"])),
        encoding in prop::option::of(prop::sample::select(vec!["utf-8", "windows-1252", "utf-16le", "shift_jis"])),
        header_row in prop::option::of(1i64..4),
        chunk in 1usize..40,
    ) {
        let params = params(delimiter, encoding, header_row);
        let whole = read(&params, &bytes, bytes.len());
        prop_assert_eq!(read(&params, &bytes, chunk), whole);
    }

    /// Text made of the characters CSV treats specially, which is where parsers break.
    #[test]
    fn csv_like_text_never_panics(
        text in "[a,;\t|\"\r\n \u{feff}é]{0,80}",
        chunk in 1usize..20,
    ) {
        let params = Params::default();
        let whole = read(&params, text.as_bytes(), text.len());
        prop_assert_eq!(read(&params, text.as_bytes(), chunk), whole);
    }

    /// Any cells (quotes, delimiters, line breaks, non-ASCII) written by the csv crate read
    /// back as the same header and rows when the delimiter is named.
    #[test]
    fn written_tables_read_back(
        delimiter in prop::sample::select(vec![(",", b','), (";", b';'), ("tab", b'\t'), ("|", b'|')]),
        (header, rows) in header(ANY_CELL, 1..=5).prop_flat_map(|h| {
            let width = h.len();
            (Just(h), proptest::collection::vec(proptest::collection::vec(ANY_CELL, width), 0..8))
        }),
        chunk in 1usize..64,
    ) {
        let bytes = write(delimiter.1, &header, &rows);
        let read = read(&params(Some(delimiter.0), None, Some(1)), &bytes, chunk).unwrap();
        prop_assert_eq!(read.0, header);
        prop_assert_eq!(read.1, kept(&rows));
        prop_assert!(read.2.is_empty(), "rejects: {:?}", read.2);
    }

    /// Plain tables of two or more columns read back with every setting left to detection:
    /// the delimiter, the encoding and the header line, below a title line or not, whatever
    /// the line ends (`\n`, `\r\n`, or a lone `\r` as on classic Mac OS).
    #[test]
    fn written_tables_read_back_detected(
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        terminator in prop::sample::select(vec![
            csv::Terminator::Any(b'\n'), csv::Terminator::CRLF, csv::Terminator::Any(b'\r'),
        ]),
        title in any::<bool>(),
        (header, rows) in header("[A-Za-z][A-Za-z0-9 _]{0,10}", 2..=6).prop_flat_map(|h| {
            let width = h.len();
            (Just(h), proptest::collection::vec(
                proptest::collection::vec("[A-Za-z0-9 .@'-]{0,10}", width), 1..10))
        }),
    ) {
        let mut bytes = write_with(delimiter, terminator, &header, &rows);
        if title {
            let end = match terminator {
                csv::Terminator::Any(b) => vec![b],
                _ => b"\r\n".to_vec(),
            };
            bytes.splice(0..0, [b"Exported from Donorbox".as_slice(), &end].concat());
        }
        let read = read(&Params::default(), &bytes, bytes.len()).unwrap();
        prop_assert_eq!(read.0, header);
        prop_assert_eq!(read.1, kept(&rows));
        prop_assert!(read.2.is_empty(), "rejects: {:?}", read.2);
    }
}
