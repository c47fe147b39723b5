//! Chunk boundaries must not change what is read: every chunk size gives the output of
//! pushing the whole file at once.

use sluice_plugin_csv::Csv;
use sluice_sdk::testing::{Case, Outcome, run_source};

fn run(input: &[u8], chunk: usize, params: &str) -> Result<Outcome, String> {
    let text = format!("{params}\ninput_hex = {:?}\nchunk = {chunk}\n", hex(input));
    let case: Case = toml::from_str(&text).map_err(|e| e.to_string())?;
    run_source::<Csv>(&case)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn same_for_every_chunk_size(input: &[u8], params: &str) {
    let whole = run(input, input.len().max(1), params);
    for chunk in 1..=input.len().min(40) {
        assert_eq!(
            run(input, chunk, params),
            whole,
            "chunk size {chunk} changed the result"
        );
    }
}

#[test]
fn utf8_with_quotes_crlf_and_rejects() {
    let input = "\u{feff}Name;Notes;Amount\r\n\
                 Zoë;\"multi\r\nline; \"\"quoted\"\"\";1,5\r\n\
                 \r\n\
                 José;naïve ☃;2\r\n\
                 short\r\n\
                 \"end\";x;3";
    same_for_every_chunk_size(input.as_bytes(), "");
    let out = run(input.as_bytes(), 7, "").unwrap();
    assert_eq!(out.columns, ["Name", "Notes", "Amount"]);
    assert_eq!(out.row_numbers, [2, 5, 7]);
    assert_eq!(out.rows[0][1], "multi\r\nline; \"quoted\"");
    assert_eq!(
        out.rejects,
        [(6, "row has 1 field, the header has 3".to_string())]
    );
}

#[test]
fn windows_1252_and_utf16() {
    same_for_every_chunk_size(b"Name,City\nRen\xe9,K\xf6ln\n\"a\nb\",\x80\n", "");
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "A\tB\n\"x\ty\"\t☃\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    same_for_every_chunk_size(&utf16, "");
    let out = run(&utf16, 3, "").unwrap();
    assert_eq!(out.rows, [["x\ty", "☃"]]);
}

#[test]
fn errors_do_not_depend_on_chunks() {
    for chunk in 1..12 {
        let err = run(b"A,B\n1,\"open\n2,3\n", chunk, "").unwrap_err();
        assert!(err.contains("quoted field of row 2"), "{err}");
    }
}

#[test]
fn a_big_file_in_odd_chunks() {
    let mut input = String::from("Interaction Type,Date,Notes\n");
    for i in 0..5000 {
        input.push_str(&format!(
            "Call,3/4/2025,\"note {i}, with \"\"quotes\"\"\nand a second line\"\n"
        ));
    }
    let out = run(input.as_bytes(), 4093, "").unwrap();
    assert_eq!(out.rows.len(), 5000);
    assert_eq!(out.row_numbers.last(), Some(&(2 + 2 * 4999)));
    assert_eq!(
        out.rows[4999][2],
        "note 4999, with \"quotes\"\nand a second line"
    );
}

#[test]
fn a_late_row_that_is_not_utf8_falls_back_to_windows_1252() {
    let mut input = b"Name,City\n".to_vec();
    while input.len() < 70_000 {
        input.extend_from_slice(b"Ann,Paris\n");
    }
    input.extend_from_slice(b"Ren\xe9,K\xc3\xb6ln\n");
    let out = run(&input, 1000, "").unwrap();
    let last = out.rows.last().unwrap();
    // The row is read as Windows-1252 as a whole: the UTF-8 `ö` becomes two characters.
    assert_eq!(last, &["René", "KÃ¶ln"]);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("read as Windows-1252"))
    );

    let strict = run(&input, 1000, "params = { encoding = \"utf-8\" }").unwrap_err();
    assert!(
        strict.contains("is not valid UTF-8 (byte 0xE9)"),
        "{strict}"
    );
}
