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
                 \"end\";x;3;4";
    same_for_every_chunk_size(input.as_bytes(), "");
    let out = run(input.as_bytes(), 7, "").unwrap();
    assert_eq!(out.columns, ["Name", "Notes", "Amount"]);
    assert_eq!(out.row_numbers, [2, 5, 6]);
    assert_eq!(out.rows[0][1], "multi\r\nline; \"quoted\"");
    assert_eq!(out.rows[2], ["short", "", ""]);
    assert_eq!(
        out.rejects,
        [(
            7,
            "row has 4 fields, the header has 3: 1 extra field is not empty, the first \"4\""
                .to_string()
        )]
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

/// Memory stays flat in the file's size: 40 MB pushed in 64 KiB chunks (as the host pushes
/// them), in UTF-8 and through the Windows-1252 decoder, never make the reader hold more
/// than its sample, one chunk's decoded text and one record.
#[test]
fn memory_stays_flat_however_long_the_file() {
    use sluice_sdk::{Context, Params, Source, SourceOutput};
    for (encoding, name) in [("auto", "Zoë"), ("windows-1252", "Zo\u{eb}")] {
        let params = Params(vec![(
            "encoding".into(),
            sluice_sdk::ParamValue::Text(encoding.into()),
        )]);
        let (mut csv, _) = Csv::open(&params, &Context::default()).unwrap();
        let mut block = String::from("Interaction Type,Date,First Name,Notes\n");
        while block.len() < 64 * 1024 {
            block.push_str(&format!("Call,3/4/2025,{name},\"a note, quoted\"\n"));
        }
        let bytes: Vec<u8> = if encoding == "auto" {
            block.into_bytes()
        } else {
            block
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect()
        };
        let header_len = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let (mut rows, mut peak, mut pushed) = (0usize, 0usize, 0usize);
        let mut early_peak = 0;
        let mut chunk = bytes.clone();
        while pushed < 40_000_000 {
            let mut out = SourceOutput::new(4);
            csv.push(&chunk, &mut out).unwrap();
            rows += out.rows.len();
            peak = peak.max(csv.buffered_bytes());
            pushed += chunk.len();
            if pushed < 2_000_000 {
                early_peak = peak;
            }
            // Later blocks repeat the rows without the header.
            chunk = bytes[header_len..].to_vec();
        }
        let mut out = SourceOutput::new(4);
        csv.finish(&mut out).unwrap();
        rows += out.rows.len();
        assert!(rows > 900_000, "{rows} rows");
        // What the first 2 MB needed is all the remaining 38 MB ever need.
        assert_eq!(
            peak, early_peak,
            "{encoding}: the reader grew with the file"
        );
        assert!(
            peak < 1024 * 1024,
            "{encoding}: the reader held {peak} bytes"
        );
    }
}
