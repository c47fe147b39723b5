//! The `csv` source: streams a delimited text file (comma, semicolon, tab or pipe) into rows.
//!
//! The host pushes the file in chunks of any size; a chunk boundary may fall anywhere, even
//! inside a UTF-8 character or a quoted field. The reader keeps only the record in progress
//! between pushes and emits every completed record at once, so memory stays flat however
//! large the file is. Before the first record it holds back up to [`SNIFF_BYTES`] to detect
//! the encoding and the delimiter.
//!
//! Row numbers are line numbers: the header is row 1 in a typical file, and a record's
//! number is the line on which it starts, so the exceptions report points at what a person
//! sees in an editor. Blank lines produce no row.
//!
//! What it must not do: interpret values (dates, money, names are the mapping's job), trim
//! or otherwise alter data fields, or drop a row silently: a row with more fields than the
//! header and a value in one of the extra ones is returned as a reject with its raw fields
//! (missing trailing fields are empty, extra empty ones are dropped), and a file it cannot
//! read is an error, never a partial guess.

mod sniff;

use std::borrow::Cow;

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};
use sluice_sdk::{
    Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, Source, SourceOutput,
    SourceReject, distinct_names,
};

/// Bytes held back before the first record to detect the encoding and delimiter.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The longest record accepted. Past this the file almost certainly has a quote that is
/// never closed, which would otherwise pull the whole rest of the file into memory before
/// failing at the end.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Lines named in a warning before the rest are only counted.
const MAX_LINES_NAMED: usize = 10;

/// The source; one instance reads one file.
pub struct Csv {
    config: Config,
    /// The start of the file, held until the encoding and delimiter are known.
    sample: Vec<u8>,
    /// Set once the sample has been judged; from then on chunks go straight through.
    parser: Option<Parser>,
}

/// The checked parameters.
#[derive(Clone, Debug)]
struct Config {
    /// `None`: sniff it.
    delimiter: Option<u8>,
    /// `None`: UTF-8 with a Windows-1252 fallback.
    encoding: Option<&'static Encoding>,
    /// The line on which the header starts; `None`: detect it (title lines are skipped).
    header_row: Option<u64>,
}

impl Config {
    fn from_params(params: &Params) -> Result<Self, Error> {
        let delimiter = parse_delimiter(params.text("delimiter", "auto")?)?;
        let encoding = parse_encoding(params.text("encoding", "auto")?)?;
        let header_row = match params.get("header_row") {
            None => None,
            Some(_) => {
                let n = params.integer("header_row", 1)?;
                if n < 1 {
                    return Err(Error::BadParams(format!(
                        "`header_row` is the line number of the header, 1 or more; got {n}"
                    )));
                }
                Some(n.unsigned_abs())
            }
        };
        Ok(Self {
            delimiter,
            encoding,
            header_row,
        })
    }
}

fn parse_delimiter(raw: &str) -> Result<Option<u8>, Error> {
    let byte = match raw.to_ascii_lowercase().as_str() {
        "auto" => return Ok(None),
        "tab" | "\\t" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        _ => match raw.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\r' | b'\n') => *b,
            _ => {
                return Err(Error::BadParams(format!(
                    "`delimiter` must be \"auto\" or one character such as \",\", \";\", \"tab\" \
                     or \"|\"; got {raw:?}"
                )));
            }
        },
    };
    Ok(Some(byte))
}

fn parse_encoding(raw: &str) -> Result<Option<&'static Encoding>, Error> {
    if raw.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    // WHATWG labels: "utf-8", "windows-1252", "latin1", "utf-16le", "shift_jis" ...
    Encoding::for_label(raw.trim().as_bytes())
        .map(Some)
        .ok_or_else(|| {
            Error::BadParams(format!(
                "`encoding` {raw:?} is not a known encoding; use \"auto\", \"utf-8\", \
                 \"windows-1252\", \"utf-16le\" or another WHATWG encoding label"
            ))
        })
}

impl Source for Csv {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "csv",
            env!("CARGO_PKG_VERSION"),
            Kind::Source,
            "Reads delimited text files (comma, semicolon, tab, pipe) in UTF-8, UTF-16 or Windows-1252",
            vec![
                ParamSpec::optional(
                    "delimiter",
                    ParamType::Text,
                    "\"auto\"",
                    "The field separator: \"auto\" detects , ; tab or | from the first lines",
                ),
                ParamSpec::optional(
                    "encoding",
                    ParamType::Text,
                    "\"auto\"",
                    "\"auto\" reads UTF-8 (with or without BOM) or UTF-16 with a BOM, and falls back to Windows-1252; or any encoding label",
                ),
                ParamSpec::unset(
                    "header_row",
                    ParamType::Integer,
                    "The line the header starts on; lines above it are skipped. Default: detected, skipping title lines such as \"Exported from X on ...\"",
                ),
            ],
        )
    }

    fn open(params: &Params, _ctx: &Context) -> Result<(Self, Vec<String>), Error> {
        let config = Config::from_params(params)?;
        Ok((
            Self {
                config,
                sample: Vec::new(),
                parser: None,
            },
            Vec::new(),
        ))
    }

    fn push(&mut self, chunk: &[u8], out: &mut SourceOutput) -> Result<(), Error> {
        if let Some(parser) = &mut self.parser {
            return parser.feed_raw(chunk, out);
        }
        self.sample.extend_from_slice(chunk);
        if self.sample.len() >= SNIFF_BYTES {
            self.start(false, out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut SourceOutput) -> Result<(), Error> {
        if self.parser.is_none() {
            self.start(true, out)?;
        }
        match &mut self.parser {
            Some(parser) => parser.finish(out),
            None => Err(Error::Other("the csv reader was not started".into())),
        }
    }
}

impl Csv {
    /// Bytes the reader holds between pushes (its buffers' capacity): bounded by the sample
    /// and the longest record, never by the file's size.
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.sample.capacity()
            + self.parser.as_ref().map_or(0, |p| {
                p.out.capacity()
                    + p.ends.capacity() * std::mem::size_of::<usize>()
                    + p.decoded.capacity()
            })
    }

    /// Judges the sample (encoding, delimiter), builds the parser and feeds it the sample.
    fn start(&mut self, at_eof: bool, out: &mut SourceOutput) -> Result<(), Error> {
        let sample = std::mem::take(&mut self.sample);
        let body = sample.strip_prefix(UTF8_BOM).unwrap_or(&sample);
        if body.is_empty() {
            return Err(Error::BadInput("the file is empty".into()));
        }
        if let Some(kind) = sniff::workbook(&sample) {
            return Err(Error::BadInput(format!(
                "the file is {kind}, not CSV text; import it with `plugin = \"auto\"` (which \
                 picks the excel source by extension) or `plugin = \"excel\"`"
            )));
        }
        let mut warnings = Vec::new();
        let encoding = match self.config.encoding {
            Some(e) => Decoding::new(e, true),
            None => sniff::encoding(&sample, at_eof, &mut warnings),
        };
        let text = encoding.decode_sample(&sample);
        let delimiter = match self.config.delimiter {
            Some(d) => d,
            None => {
                let d = sniff::delimiter(&text, self.config.header_row.unwrap_or(1), at_eof);
                if d != b',' {
                    warnings.push(format!("detected delimiter {}", sniff::describe(d)));
                }
                d
            }
        };
        let (header_row, detected) = match self.config.header_row {
            Some(line) => (line, false),
            None => (sniff::header_line(&text, delimiter, at_eof), true),
        };
        out.warnings.extend(warnings);
        let mut parser = Parser::new(encoding, delimiter, header_row);
        parser.header_detected = detected;
        // The BOM is metadata, not data; it is skipped but still counts for byte offsets.
        let skip = match parser.decoder {
            None if sample.starts_with(UTF8_BOM) => UTF8_BOM.len(),
            _ => 0,
        };
        parser.fed = skip as u64;
        parser.feed_raw(sample.get(skip..).unwrap_or_default(), out)?;
        self.parser = Some(parser);
        Ok(())
    }
}

/// How the file's bytes become UTF-8.
pub(crate) struct Decoding {
    /// `None`: the bytes are UTF-8 already and pass through untouched (the fast path).
    decoder: Option<Decoder>,
    encoding: &'static Encoding,
    /// The user named the encoding: bytes that do not fit it are an error, not a fallback.
    strict: bool,
}

impl Decoding {
    pub(crate) fn new(encoding: &'static Encoding, strict: bool) -> Self {
        let decoder = (encoding != UTF_8).then(|| encoding.new_decoder());
        Self {
            decoder,
            encoding,
            strict,
        }
    }

    /// The sample as text, good enough for detecting the delimiter.
    fn decode_sample<'a>(&self, sample: &'a [u8]) -> Cow<'a, str> {
        self.encoding.decode(sample).0
    }
}

/// The streaming parser: csv-core's state machine plus the record in progress.
struct Parser {
    reader: csv_core::Reader,
    decoder: Option<Decoder>,
    strict_utf8: bool,
    /// NUL bytes are checked in the raw bytes unless the encoding itself uses them (UTF-16).
    raw_nul_check: bool,
    /// Decoded text waiting for the parser (decoder path only); reused between chunks.
    decoded: String,
    /// Raw bytes fed so far, for error offsets.
    fed: u64,
    /// Decoded characters seen so far (decoder path), for NUL positions.
    decoded_chars: u64,
    /// The current line (1-based) of the text fed to the parser.
    line: u64,
    /// The previous byte was a `\r`, so a following `\n` ends the same line.
    prev_cr: bool,
    /// The line on which the record in progress starts, once it has a byte.
    record_line: Option<u64>,
    /// The fields of the record in progress, unquoted, back to back.
    out: Vec<u8>,
    out_len: usize,
    /// End offsets of the fields in `out`.
    ends: Vec<usize>,
    ends_len: usize,
    header_row: u64,
    /// The header's width once it has been read.
    width: Option<usize>,
    skipped_preamble: u64,
    /// The header line was detected rather than set by `header_row`.
    header_detected: bool,
    /// Records after the header with no data (only spaces or delimiters): their lines, the
    /// first few, and how many.
    empty_lines: Vec<u64>,
    empty_records: u64,
    warned_fallback: bool,
}

impl Parser {
    fn new(decoding: Decoding, delimiter: u8, header_row: u64) -> Self {
        let raw_nul_check = decoding.encoding.is_ascii_compatible();
        Self {
            reader: csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                .quote(b'"')
                .double_quote(true)
                .build(),
            strict_utf8: decoding.strict,
            decoder: decoding.decoder,
            raw_nul_check,
            decoded: String::new(),
            fed: 0,
            decoded_chars: 0,
            line: 1,
            prev_cr: false,
            record_line: None,
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            header_row,
            width: None,
            skipped_preamble: 0,
            header_detected: false,
            empty_lines: Vec::new(),
            empty_records: 0,
            warned_fallback: false,
        }
    }

    /// Takes raw file bytes: checks them, decodes them when needed and parses them.
    fn feed_raw(&mut self, chunk: &[u8], out: &mut SourceOutput) -> Result<(), Error> {
        if self.raw_nul_check
            && let Some(p) = chunk.iter().position(|&b| b == 0)
        {
            // 1-based, like `cmp`: the NUL is the N-th byte of the file.
            let at = self.fed + p as u64 + 1;
            return Err(Error::BadInput(format!(
                "the file contains a NUL byte at byte {at}: it looks binary, not CSV"
            )));
        }
        self.fed += chunk.len() as u64;
        if self.decoder.is_some() {
            self.decode(chunk, false, out)
        } else {
            self.parse(chunk, out)
        }
    }

    /// Runs the decoder over `chunk` and parses what it produced.
    fn decode(&mut self, chunk: &[u8], last: bool, out: &mut SourceOutput) -> Result<(), Error> {
        let mut decoded = std::mem::take(&mut self.decoded);
        let mut src = chunk;
        let result = loop {
            let Some(decoder) = &mut self.decoder else {
                break Ok(());
            };
            decoded.clear();
            let room = decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(64 * 1024)
                .clamp(16, 1024 * 1024);
            decoded.reserve(room);
            let (res, read, _) = decoder.decode_to_string(src, &mut decoded, last);
            src = src.get(read..).unwrap_or_default();
            if let Err(e) = self.check_decoded_nul(&decoded) {
                break Err(e);
            }
            if let Err(e) = self.parse(decoded.as_bytes(), out) {
                break Err(e);
            }
            if res == encoding_rs::CoderResult::InputEmpty {
                break Ok(());
            }
        };
        decoded.clear();
        self.decoded = decoded;
        result
    }

    fn check_decoded_nul(&mut self, text: &str) -> Result<(), Error> {
        if self.raw_nul_check {
            return Ok(());
        }
        if let Some(p) = text.find('\0') {
            let at = self.decoded_chars + text.get(..p).unwrap_or_default().chars().count() as u64;
            return Err(Error::BadInput(format!(
                "the file contains a NUL character (character {}): it looks binary, not CSV",
                at + 1
            )));
        }
        self.decoded_chars += text.chars().count() as u64;
        Ok(())
    }

    /// Moves the line counter over `bytes`. `\n`, `\r\n` and a lone `\r` each end a line,
    /// as they each end a record for the parser.
    fn count_lines(&mut self, bytes: &[u8]) {
        if !bytes.contains(&b'\r') && !self.prev_cr {
            self.line += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            return;
        }
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

    /// Notes where a record starts: the first byte consumed that is not a line break
    /// (breaks before it are the previous record's end or blank lines).
    fn track_lines(&mut self, consumed: &[u8]) {
        let rest = if self.record_line.is_none() {
            match consumed.iter().position(|&b| b != b'\r' && b != b'\n') {
                Some(p) => {
                    let (breaks, rest) = consumed.split_at(p);
                    self.count_lines(breaks);
                    self.record_line = Some(self.line);
                    rest
                }
                None => consumed,
            }
        } else {
            consumed
        };
        self.count_lines(rest);
    }

    /// Parses UTF-8 (or raw, for the pass-through path) text; never called with an empty
    /// slice before the end, because csv-core reads an empty input as end of file.
    fn parse(&mut self, mut input: &[u8], out: &mut SourceOutput) -> Result<(), Error> {
        while !input.is_empty() {
            let (res, nin) = self.step(input)?;
            self.track_lines(input.get(..nin).unwrap_or_default());
            input = input.get(nin..).unwrap_or_default();
            if res == csv_core::ReadRecordResult::Record {
                self.emit(out)?;
            }
        }
        Ok(())
    }

    /// One call into csv-core, growing the buffers when it asks for room.
    fn step(&mut self, input: &[u8]) -> Result<(csv_core::ReadRecordResult, usize), Error> {
        use csv_core::ReadRecordResult as R;
        let (Some(output), Some(ends)) = (
            self.out.get_mut(self.out_len..),
            self.ends.get_mut(self.ends_len..),
        ) else {
            return Err(Error::Other("csv buffer bookkeeping went wrong".into()));
        };
        let (res, nin, nout, nend) = self.reader.read_record(input, output, ends);
        self.out_len += nout;
        self.ends_len += nend;
        match res {
            R::OutputFull => {
                if self.out.len() >= MAX_RECORD_BYTES {
                    let row = self.record_line.unwrap_or(self.line);
                    return Err(Error::BadInput(format!(
                        "row {row} is longer than {} MiB: a quoted field that is never closed \
                         (a missing \") can do this",
                        MAX_RECORD_BYTES / (1024 * 1024)
                    )));
                }
                let len = self.out.len() * 2;
                self.out.resize(len, 0);
            }
            R::OutputEndsFull => {
                let len = self.ends.len() * 2;
                self.ends.resize(len, 0);
            }
            R::InputEmpty | R::Record | R::End => {}
        }
        Ok((res, nin))
    }

    fn finish(&mut self, out: &mut SourceOutput) -> Result<(), Error> {
        if self.decoder.is_some() {
            self.decode(&[], true, out)?;
        }
        if let Some(row) = self.record_line {
            // A line break ends the record in progress unless a quote is still open, where
            // it would be data: the one way to learn the parser's quote state (csv-core does
            // not expose it, and a cloned reader loses its tables).
            let mut input: &[u8] = b"\n";
            loop {
                let (res, nin) = self.step(input)?;
                input = input.get(nin..).unwrap_or_default();
                match res {
                    csv_core::ReadRecordResult::Record => {
                        self.emit(out)?;
                        break;
                    }
                    csv_core::ReadRecordResult::OutputFull
                    | csv_core::ReadRecordResult::OutputEndsFull => {}
                    csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => {
                        return Err(Error::BadInput(format!(
                            "the file ends inside a quoted field of row {row}: a closing \" is \
                             missing"
                        )));
                    }
                }
            }
        }
        loop {
            let (res, _) = self.step(&[])?;
            match res {
                csv_core::ReadRecordResult::Record => self.emit(out)?,
                csv_core::ReadRecordResult::End => break,
                _ => {}
            }
        }
        if self.width.is_none() {
            return Err(Error::BadInput(if self.header_row > 1 {
                format!(
                    "the file ends before line {}, where `header_row` says its header is",
                    self.header_row
                )
            } else {
                "the file is empty: it has only blank lines".into()
            }));
        }
        if self.empty_records > 0 {
            let lines: Vec<String> = self.empty_lines.iter().map(u64::to_string).collect();
            let more = self
                .empty_records
                .saturating_sub(self.empty_lines.len() as u64);
            out.warnings.push(format!(
                "skipped {} row(s) with no data (only spaces or delimiters): lines {}{}",
                self.empty_records,
                lines.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        if self.skipped_preamble > 0 {
            out.warnings.push(if self.header_detected {
                format!(
                    "skipped {} line(s) above the header, which was detected on line {}; set \
                     `header_row` to choose another line",
                    self.skipped_preamble, self.header_row
                )
            } else {
                format!(
                    "skipped {} line(s) above the header (header_row = {})",
                    self.skipped_preamble, self.header_row
                )
            });
        }
        Ok(())
    }

    /// Hands the completed record on: as the header, a row, or a reject.
    fn emit(&mut self, out: &mut SourceOutput) -> Result<(), Error> {
        let line = self.record_line.take().unwrap_or(self.line);
        let row = u32::try_from(line).unwrap_or(u32::MAX);
        let bytes = self.out.get(..self.out_len).unwrap_or_default();
        let ends = self.ends.get(..self.ends_len).unwrap_or_default();
        self.out_len = 0;
        self.ends_len = 0;

        let fallback;
        let (text, ends): (&str, &[usize]) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, ends),
            Err(e) => {
                if self.strict_utf8 {
                    let at = e.valid_up_to();
                    let byte = bytes.get(at).copied().unwrap_or_default();
                    return Err(Error::BadInput(format!(
                        "row {row} is not valid UTF-8 (byte 0x{byte:02X}); set encoding = \
                         \"windows-1252\" (or \"auto\") if the file comes from Excel on Windows"
                    )));
                }
                if !self.warned_fallback {
                    self.warned_fallback = true;
                    out.warnings.push(format!(
                        "row {row} is not valid UTF-8: it and any other such rows were read as \
                         Windows-1252"
                    ));
                }
                fallback = decode_fields(bytes, ends);
                (fallback.0.as_str(), fallback.1.as_slice())
            }
        };
        let field = |i: usize| -> &str {
            let start = i.checked_sub(1).and_then(|p| ends.get(p)).copied();
            let end = ends.get(i).copied().unwrap_or_default();
            text.get(start.unwrap_or_default()..end).unwrap_or_default()
        };
        let count = ends.len();

        let Some(width) = self.width else {
            if line < self.header_row {
                self.skipped_preamble += 1;
                return Ok(());
            }
            let raw: Vec<String> = (0..count)
                .map(|i| field(i).trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
                .map(String::from)
                .collect();
            let columns = distinct_names(&raw, &mut out.warnings);
            self.width = Some(columns.len());
            out.set_columns(columns);
            return Ok(());
        };
        if (0..count).all(|i| field(i).trim().is_empty()) {
            // A line of spaces, or of delimiters only (Excel's empty row), holds no data:
            // like a blank line, it is not a row.
            self.empty_records += 1;
            if self.empty_lines.len() < MAX_LINES_NAMED {
                self.empty_lines.push(line);
            }
            return Ok(());
        }
        // Spreadsheet programs drop the empty cells after a row's last value, or write a
        // few more delimiters than the header has: missing trailing cells are empty, extra
        // empty ones are not data. Only an extra cell with a value makes the row unreadable,
        // since nothing says which column it belongs to.
        let extra: Vec<&str> = (width..count)
            .map(field)
            .filter(|f| !f.trim().is_empty())
            .collect();
        if let Some(first) = extra.first() {
            out.rejects.push(SourceReject {
                row,
                reason: format!(
                    "row has {count} fields, the header has {width}: {} extra {} not empty, \
                     the first {first:?}",
                    extra.len(),
                    if extra.len() == 1 {
                        "field is"
                    } else {
                        "fields are"
                    }
                ),
                fields: (0..count).map(|i| field(i).to_string()).collect(),
            });
        } else {
            out.rows.push_row(
                row,
                (0..width).map(|i| if i < count { field(i) } else { "" }),
            );
        }
        Ok(())
    }
}

/// Decodes each field of a record that is not UTF-8 as Windows-1252 (every byte is a
/// character there, so nothing is lost); returns the text and the new field ends.
fn decode_fields(bytes: &[u8], ends: &[usize]) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut new_ends = Vec::with_capacity(ends.len());
    let mut start = 0;
    for &end in ends {
        let field = bytes.get(start..end).unwrap_or_default();
        text.push_str(&WINDOWS_1252.decode_without_bom_handling(field).0);
        new_ends.push(text.len());
        start = end;
    }
    (text, new_ends)
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_source!(Csv);
