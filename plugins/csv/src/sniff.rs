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

/// Records looked at when detecting the header line.
const HEADER_SCAN_RECORDS: usize = 50;
/// Title lines skipped at most before the header.
const MAX_TITLE_RECORDS: usize = 10;

/// What a file is when it starts like a spreadsheet workbook rather than text.
pub(crate) fn workbook(sample: &[u8]) -> Option<&'static str> {
    if sample.starts_with(b"PK\x03\x04") {
        Some("a zip archive (an .xlsx, .xlsm, .xlsb or .ods workbook, most likely)")
    } else if sample.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        Some("an OLE document (an Excel 97-2003 .xls workbook, most likely)")
    } else {
        None
    }
}

/// The delimiter that splits the sample into the most consistent table: the share of
/// records as wide as the most common width counts first, then that width. A file that no
/// candidate splits is a one-column file, read with commas. Title lines above the header
/// lower every candidate's share alike, so they do not sway the choice.
pub(crate) fn delimiter(text: &str, header_row: u64, at_eof: bool) -> u8 {
    let body = skip_lines(text, header_row.saturating_sub(1));
    let mut best = (b',', 0usize, 0usize);
    for d in CANDIDATES {
        let counts = field_counts(body.as_bytes(), d, at_eof);
        let mut widths: Vec<(usize, usize)> = Vec::new();
        for &c in &counts {
            match widths.iter_mut().find(|(w, _)| *w == c) {
                Some((_, n)) => *n += 1,
                None => widths.push((c, 1)),
            }
        }
        let Some(&(width, matching)) = widths.iter().max_by_key(|&&(w, n)| (n, w)) else {
            continue;
        };
        if width < 2 {
            continue;
        }
        let share = matching
            .saturating_mul(1000)
            .checked_div(counts.len())
            .unwrap_or(1000);
        if (share, width) > (best.1, best.2) {
            best = (d, share, width);
        }
    }
    best.0
}

/// The line the header starts on: the first record among the first few with at least half
/// as many non-blank fields as the fullest record (and at least two), so title lines such
/// as "Exported from X on 2025-01-01" above it are skipped. A one-column file has its
/// header first.
pub(crate) fn header_line(text: &str, delimiter: u8, at_eof: bool) -> u64 {
    let records = records(text.as_bytes(), delimiter, at_eof);
    let most = records.iter().map(|r| r.1).max().unwrap_or(0);
    let need = most.div_ceil(2).max(2);
    records
        .iter()
        .take(MAX_TITLE_RECORDS + 1)
        .find(|r| r.1 >= need)
        .or(records.first())
        .map_or(1, |r| r.0)
}

/// (start line, non-blank fields) of each complete record of the sample, up to
/// [`HEADER_SCAN_RECORDS`].
fn records(mut input: &[u8], delimiter: u8, at_eof: bool) -> Vec<(u64, usize)> {
    use csv_core::ReadFieldResult as F;
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut field = Vec::new();
    let mut scratch = [0u8; 1024];
    let mut out = Vec::new();
    let mut lines = Lines::default();
    let mut start: Option<u64> = None;
    let mut filled = 0usize;
    while out.len() < HEADER_SCAN_RECORDS {
        if input.is_empty() && !at_eof {
            break;
        }
        let (res, nin, nout) = reader.read_field(input, &mut scratch);
        let consumed = input.get(..nin).unwrap_or_default();
        if start.is_none() {
            // Line breaks before a record's first byte end the previous one or are blank.
            let lead = consumed
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let (breaks, rest) = consumed.split_at_checked(lead).unwrap_or((consumed, &[]));
            lines.advance(breaks);
            if !rest.is_empty() {
                start = Some(lines.line);
            }
            lines.advance(rest);
        } else {
            lines.advance(consumed);
        }
        input = input.get(nin..).unwrap_or_default();
        field.extend_from_slice(scratch.get(..nout).unwrap_or_default());
        match res {
            F::Field { record_end } => {
                if field.iter().any(|b| !b.is_ascii_whitespace()) {
                    filled += 1;
                }
                field.clear();
                if record_end {
                    out.push((start.take().unwrap_or(lines.line), filled));
                    filled = 0;
                }
            }
            F::End => break,
            F::InputEmpty | F::OutputFull => {}
        }
    }
    out
}

/// A line counter that agrees with the parser's (`Parser::count_lines`): `\n`, `\r\n` and a
/// lone `\r` each end a line, as each ends a record. Counting only `\n` put every line of a
/// file with classic Mac line ends (lone `\r`) on line 1, so title lines above the header were
/// taken for the header and every row was rejected.
struct Lines {
    line: u64,
    prev_cr: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Self {
            line: 1,
            prev_cr: false,
        }
    }
}

impl Lines {
    fn advance(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if self.prev_cr => self.prev_cr = false,
                b'\n' => self.line += 1,
                b'\r' => {
                    self.line += 1;
                    self.prev_cr = true;
                }
                _ => self.prev_cr = false,
            }
        }
    }
}

/// How a delimiter is named in messages.
pub(crate) fn describe(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".into(),
        d => format!("`{}`", char::from(d)),
    }
}

/// `text` after its first `n` lines (ended by `\n`, `\r\n` or a lone `\r`, as for the parser).
fn skip_lines(text: &str, n: u64) -> &str {
    let mut rest = text;
    for _ in 0..n {
        match rest.find(['\r', '\n']) {
            Some(p) => {
                let end = if rest.get(p..).is_some_and(|r| r.starts_with("\r\n")) {
                    p + 2
                } else {
                    p + 1
                };
                rest = rest.get(end..).unwrap_or_default();
            }
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
    fn title_lines_above_the_header_are_detected() {
        let text =
            "Exported from DonorBase on 2025-01-01\nAll donors\n\nName,City,Zip\nAnn,Paris,1\n";
        assert_eq!(header_line(text, b',', true), 4);
        assert_eq!(header_line("a,b\n1,2\n", b',', true), 1);
        assert_eq!(header_line("name\nSmith\n", b',', true), 1);
        // Excel pads a title cell with the header's commas.
        assert_eq!(header_line("Report,,,\nA,B,C,D\n1,2,3,4\n", b',', true), 2);
        // A quoted field spanning lines moves later records down.
        assert_eq!(
            records(b"a,\"x\ny\"\n\nb,c\n", b',', true),
            vec![(1, 2), (4, 2)]
        );
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
