//! Guessing the encoding and the delimiter from the start of the file.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use crate::Decoding;

/// The delimiters tried, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Records looked at per candidate; enough to see a pattern, cheap on any sample.
const SNIFF_RECORDS: usize = 50;

/// Picks the encoding of a file from its first bytes: a BOM decides; otherwise UTF-8 when
/// the sample is valid UTF-8, else Windows-1252 (what Excel on Windows writes as "CSV").
pub(crate) fn encoding(sample: &[u8], at_eof: bool, warnings: &mut Vec<String>) -> Decoding {
    if sample.starts_with(b"\xEF\xBB\xBF") {
        return Decoding::new(UTF_8, false);
    }
    if let Some((bom, _)) = Encoding::for_bom(sample) {
        return Decoding::new(bom, false);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Decoding::new(UTF_8, false),
        // A sample cut inside a character is still UTF-8; the rest comes with the next chunk.
        Err(e) if e.error_len().is_none() && !at_eof => Decoding::new(UTF_8, false),
        Err(e) => {
            warnings.push(format!(
                "the file is not UTF-8 (byte {} is not): it was read as Windows-1252",
                e.valid_up_to() + 1
            ));
            Decoding::new(WINDOWS_1252, false)
        }
    }
}

/// The delimiter that splits the sample into the most consistent table: the share of rows
/// as wide as the header counts first, then the header's width. A file that no candidate
/// splits is a one-column file, read with commas.
pub(crate) fn delimiter(text: &str, header_row: u64, at_eof: bool) -> u8 {
    let body = skip_lines(text, header_row.saturating_sub(1));
    let mut best = (b',', 0usize, 0usize);
    for d in CANDIDATES {
        let counts = field_counts(body.as_bytes(), d, at_eof);
        let Some((&header, rest)) = counts.split_first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let matching = rest.iter().filter(|&&c| c == header).count();
        let share = matching
            .saturating_mul(1000)
            .checked_div(rest.len())
            .unwrap_or(1000);
        if (share, header) > (best.1, best.2) {
            best = (d, share, header);
        }
    }
    best.0
}

/// How a delimiter is named in messages.
pub(crate) fn describe(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".into(),
        d => format!("`{}`", char::from(d)),
    }
}

/// `text` after its first `n` lines.
fn skip_lines(text: &str, n: u64) -> &str {
    let mut rest = text;
    for _ in 0..n {
        match rest.find('\n') {
            Some(p) => rest = rest.get(p + 1..).unwrap_or_default(),
            None => return "",
        }
    }
    rest
}

/// The number of fields of each complete record of the sample, up to [`SNIFF_RECORDS`].
fn field_counts(mut input: &[u8], delimiter: u8, at_eof: bool) -> Vec<usize> {
    use csv_core::ReadFieldResult as F;
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    // Field contents are not needed, only where fields end; a small scratch buffer does.
    let mut scratch = [0u8; 1024];
    let mut counts = Vec::new();
    let mut fields = 0usize;
    while counts.len() < SNIFF_RECORDS {
        // An empty input means end of file to csv-core: only give it one at the real end,
        // so a record cut off by the end of the sample is not counted.
        if input.is_empty() && !at_eof {
            break;
        }
        let (res, nin, _) = reader.read_field(input, &mut scratch);
        input = input.get(nin..).unwrap_or_default();
        match res {
            F::Field { record_end } => {
                fields += 1;
                if record_end {
                    counts.push(fields);
                    fields = 0;
                }
            }
            F::End => break,
            F::InputEmpty | F::OutputFull => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected() {
        let cases: &[(&str, u8)] = &[
            ("a,b,c\n1,2,3\n", b','),
            ("a;b;c\n1,5;2;3\n", b';'),
            ("a\tb\n\"x, y\"\t2\n", b'\t'),
            ("a|b\n1|2\n", b'|'),
            ("name\nSmith\n", b','),
            ("title line\na;b\n1;2\n", b';'),
            ("a,b;c,d\n1,2;3,4\n", b','),
        ];
        for (text, want) in cases {
            let header_row = if text.starts_with("title") { 2 } else { 1 };
            assert_eq!(
                delimiter(text, header_row, true),
                *want,
                "{text:?} should split on {}",
                describe(*want)
            );
        }
    }

    #[test]
    fn a_record_cut_by_the_sample_is_not_counted() {
        assert_eq!(field_counts(b"a,b\n1,2\n3", b',', false), vec![2, 2]);
        assert_eq!(field_counts(b"a,b\n1,2\n3", b',', true), vec![2, 2, 1]);
    }

    #[test]
    fn encodings_are_detected() {
        let mut w = Vec::new();
        assert_eq!(encoding(b"caf\xC3\xA9", true, &mut w).encoding, UTF_8);
        // Cut in the middle of `é`: more is coming.
        assert_eq!(encoding(b"caf\xC3", false, &mut w).encoding, UTF_8);
        assert!(w.is_empty());
        assert_eq!(encoding(b"caf\xE9", true, &mut w).encoding, WINDOWS_1252);
        assert_eq!(w.len(), 1);
        assert_eq!(
            encoding(b"\xFF\xFEa\0", true, &mut w).encoding,
            encoding_rs::UTF_16LE
        );
    }
}
