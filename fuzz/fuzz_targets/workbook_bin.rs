//! Fuzz target: the excel source on .xlsb workbooks whose binary parts are the fuzzer's
//! input, packed here into a valid zip with the other parts of a real .xlsb
//! (`plugins/excel/tests/fixtures/hello.xlsb`). Mutating the .xlsb itself mostly breaks its
//! compression, so `excel_source` rarely reaches calamine's .xlsb record reader; this target
//! starts after the zip layer.
//!
//! Input: the sheet, the shared strings and the workbook parts (`xl/worksheets/sheet1.bin`,
//! `xl/sharedStrings.bin`, `xl/workbook.bin`), separated by [`SEPARATOR`]. A missing part is
//! the seed's own.

#![no_main]

mod excel_read;

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

const SEPARATOR: &[u8] = b"<!--next-part-->";
const SEED: &[u8] = include_bytes!("../../plugins/excel/tests/fixtures/hello.xlsb");
/// The fuzzed parts, in input order. The seed spells the shared strings `SharedStrings.bin`;
/// part names are case-insensitive (calamine looks them up so), so it is replaced too.
const PARTS: [&str; 3] = [
    "xl/worksheets/sheet1.bin",
    "xl/sharedStrings.bin",
    "xl/workbook.bin",
];

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while let Some(at) = data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&data[..at]);
        data = &data[at + SEPARATOR.len()..];
    }
    parts.push(data);
    parts
}

/// The seed's parts, by name, read once.
fn seed_parts() -> &'static [(String, Vec<u8>)] {
    static PARTS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    PARTS.get_or_init(|| {
        let mut zip = zip::ZipArchive::new(Cursor::new(SEED)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                (file.name().unwrap().into_owned(), bytes)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let fuzzed = split(data);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in seed_parts() {
        let part = PARTS.iter().position(|p| p.eq_ignore_ascii_case(name));
        let bytes = match part.and_then(|i| fuzzed.get(i)) {
            Some(fuzzed) => fuzzed,
            None => bytes.as_slice(),
        };
        zip.start_file(name.as_str(), stored).unwrap();
        zip.write_all(bytes).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();

    excel_read::read_checked(&bytes);
});
