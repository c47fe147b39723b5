//! The `excel` source: reads one sheet of a spreadsheet workbook (.xlsx, .xlsm, .xlsb, .xls,
//! .ods) into rows, with calamine compiled to wasm.
//!
//! A workbook is a zip or OLE container whose directory sits at its end, so it cannot be
//! parsed as it streams in: the source buffers the pushed chunks (up to
//! [`MAX_WORKBOOK_BYTES`]) and parses the whole workbook in `finish`. Spreadsheets are bounded
//! by their format's row limits (1,048,576 rows), so this is a bounded cost, unlike CSV.
//!
//! Row numbers are the sheet's own row numbers (the header is the row it is on in the
//! sheet), so the exceptions report points at what a person sees in Excel.
//!
//! What it must not do: interpret values beyond what the cell itself says (a number cell
//! becomes its number, a date cell an ISO date; text stays text), or drop a row silently.

mod cells;
mod ole;

use std::io::{Cursor, Read, Seek, SeekFrom};

use calamine::{
    Data, DataRef, Dimensions, Ods, Range, Reader, SheetVisible, Xls, XlsOptions, Xlsb, Xlsx,
    XlsxError,
};
use sluice_sdk::headers::{self, Target};
use sluice_sdk::{
    Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, RowVerdict, Source,
    SourceOutput, Verdict, distinct_names,
};

pub use cells::{Cell, format_number};

/// The largest workbook accepted. A workbook is parsed in memory, so past this the import
/// would only fail later, less clearly, at the plugin's memory limit.
pub const MAX_WORKBOOK_BYTES: usize = 100 * 1024 * 1024;

/// Rows looked at when detecting the header row.
const HEADER_SCAN_ROWS: usize = 50;
/// Title rows skipped at most before the header.
const MAX_TITLE_ROWS: usize = 10;
/// The least [`header_score`] that makes a row the header whatever the rows around it.
const MIN_HEADER_SCORE: usize = 2;
/// Cells with an error value named in warnings before the rest are only counted.
const MAX_ERROR_CELLS_NAMED: usize = 10;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The source; one instance reads one workbook.
pub struct Excel {
    /// A sheet name, or a 1-based index as text.
    sheet: Option<String>,
    /// The sheet row of the header (1-based); `None`: detect it.
    header_row: Option<u32>,
    bytes: Vec<u8>,
    too_big: bool,
}

impl Source for Excel {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "excel",
            env!("CARGO_PKG_VERSION"),
            Kind::Source,
            "Reads one sheet of an .xlsx, .xlsm, .xlsb, .xls or .ods workbook",
            vec![
                ParamSpec::unset(
                    "sheet",
                    ParamType::Text,
                    "The sheet to read, by name or 1-based position (\"2\"); default: the sheet whose header names the most template fields",
                ),
                ParamSpec::unset(
                    "header_row",
                    ParamType::Integer,
                    "The sheet row holding the header; default: detected, skipping title rows above it",
                ),
            ],
        )
    }

    fn open(params: &Params, _ctx: &Context) -> Result<(Self, Vec<String>), Error> {
        let sheet = match params.get("sheet") {
            Some(_) => Some(params.text("sheet", "")?.to_string()),
            None => None,
        };
        let header_row = match params.get("header_row") {
            Some(_) => {
                let n = params.integer("header_row", 1)?;
                Some(u32::try_from(n).ok().filter(|&n| n >= 1).ok_or_else(|| {
                    Error::BadParams(format!(
                        "`header_row` is the sheet row of the header, 1 or more; got {n}"
                    ))
                })?)
            }
            None => None,
        };
        Ok((
            Self {
                sheet,
                header_row,
                bytes: Vec::new(),
                too_big: false,
            },
            Vec::new(),
        ))
    }

    fn push(&mut self, chunk: &[u8], _out: &mut SourceOutput) -> Result<(), Error> {
        if self.bytes.len() + chunk.len() > MAX_WORKBOOK_BYTES {
            self.too_big = true;
            return Err(too_big());
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, out: &mut SourceOutput) -> Result<(), Error> {
        if self.too_big {
            return Err(too_big());
        }
        let bytes = std::mem::take(&mut self.bytes);
        let mut book = Book::open(bytes)?;
        let sheet = book.sheet(self.sheet.as_deref(), &mut out.warnings)?;
        read_sheet(sheet, self.header_row, out)
    }
}

/// The bytes of an OLE (.xls) file, read as if a few zero sectors followed them. calamine
/// accepts a sector number up to the file's length divided by the sector size, one sector
/// past the end, and then slices out of bounds (a panic: `cfb.rs`, `Sectors::get`) when a
/// damaged file's chain points there. Reading zeros there instead gives it an empty sector,
/// which it then rejects like any other damage. The length it is told (`SeekFrom::End`) is
/// the file's own.
struct ZeroTail {
    bytes: Vec<u8>,
    pos: u64,
}

impl ZeroTail {
    /// Zeros readable past the end: two of the largest (4096-byte) sectors.
    const TAIL: u64 = 8192;

    fn new(bytes: Vec<u8>) -> Self {
        Self { bytes, pos: 0 }
    }
}

impl Read for ZeroTail {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = self.bytes.len() as u64;
        let n = if let Some(data) = usize::try_from(self.pos)
            .ok()
            .and_then(|at| self.bytes.get(at..))
            .filter(|d| !d.is_empty())
        {
            let n = data.len().min(buf.len());
            buf.iter_mut().zip(data).for_each(|(b, d)| *b = *d);
            n
        } else {
            let left = (len + Self::TAIL).saturating_sub(self.pos);
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            buf.iter_mut().take(n).for_each(|b| *b = 0);
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ZeroTail {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(n) => (n, 0),
            SeekFrom::End(d) => (self.bytes.len() as u64, d),
            SeekFrom::Current(d) => (self.pos, d),
        };
        self.pos = base.checked_add_signed(delta).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// calamine reads an .ods table, row or cell until its end tag, and at the end of the
/// content before one it waits for it forever (it takes the end of the XML for any other
/// event, and does not check end tags' names). So the content must be well-formed XML:
/// every element closed, by its own name.
fn check_ods_tables(bytes: &[u8]) -> Result<(), String> {
    use quick_xml::events::Event;

    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(part) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = true;
    config.trim_text(false);
    let mut depth = 0usize;
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) if depth == 0 => return Ok(()),
            Ok(Event::Eof) => {
                return Err(format!(
                    "its content ends inside {depth} unclosed element(s)"
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(format!("its content is not well-formed XML ({e})")),
        }
        buf.clear();
    }
}

/// The most shared strings an .xlsx may declare (`<sst uniqueCount>`), whatever its size.
const MAX_SHARED_STRINGS: u64 = 16 * 1024 * 1024;

/// calamine reserves room for as many shared strings as the workbook's `uniqueCount` says
/// before reading one: a forged count (a 20-digit number) overflows the capacity (a panic)
/// or asks for terabytes. The count must fit in the part's bytes (a string takes at least
/// 8, `<si><t/></si>`) and under [`MAX_SHARED_STRINGS`].
fn check_shared_strings(bytes: &[u8]) -> Result<(), String> {
    // An unreadable archive is left to calamine, which says what is wrong with it.
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index(i) else {
            continue;
        };
        let named = part
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if !named {
            continue;
        }
        let size = part.size();
        let mut head = Vec::new();
        // The count is in the first tag; a prefix is enough.
        let _ = part.take(4096).read_to_end(&mut head);
        let head = String::from_utf8_lossy(&head);
        let Some(count) = head
            .split("uniqueCount=")
            .nth(1)
            .and_then(|rest| rest.get(1..))
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
        else {
            continue;
        };
        let fits = count
            .parse::<u64>()
            .is_ok_and(|n| n <= size / 8 && n <= MAX_SHARED_STRINGS);
        if !fits {
            return Err(format!(
                "its shared strings claim a count ({count}) their {size} bytes cannot hold"
            ));
        }
    }
    Ok(())
}

/// Excel's sheet size: rows and columns.
const SHEET_ROWS: u32 = 1_048_576;
const SHEET_COLUMNS: u32 = 16_384;
/// The most cells a sheet's rectangle (first to last used cell) may span: calamine allocates
/// every cell of it, 32 bytes each, so past this the plugin's memory would run out.
const MAX_SPAN_CELLS: u64 = 8 * 1024 * 1024;

/// An .xlsx sheet's cells, read as calamine's `worksheet_range` does, but checking each
/// cell's position first: a reference past the sheet's size (calamine's arithmetic wraps
/// on "AAAAAAAAAAAA1") or two cells far apart would make it allocate gigabytes.
fn xlsx_range(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Result<Range<Data>, String> {
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // As calamine does: a chart sheet or the like reads as empty.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Range::default()),
        Err(e) => return Err(e.to_string()),
    };
    bounded_range(|| reader.next_cell())
}

/// An .xlsb sheet's cells, checked as [`xlsx_range`] checks them: a cell record holds its
/// column as any 32-bit number, and one far from the others made calamine's
/// `worksheet_range` allocate their whole rectangle.
fn xlsb_range(book: &mut Xlsb<Cursor<Vec<u8>>>, name: &str) -> Result<Range<Data>, String> {
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|e| e.to_string())?;
    bounded_range(|| reader.next_cell())
}

/// The non-empty cells `next` yields, as a range, refused once one is past the sheet's size
/// or their rectangle past [`MAX_SPAN_CELLS`].
fn bounded_range<'a, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
) -> Result<Range<Data>, String> {
    let mut cells = Vec::new();
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0, u32::MAX, 0);
    while let Some(cell) = next().map_err(|e| e.to_string())? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        if row >= SHEET_ROWS || column >= SHEET_COLUMNS {
            return Err(format!(
                "a cell reference is past the sheet's {SHEET_ROWS} rows and {SHEET_COLUMNS} \
                 columns"
            ));
        }
        (top, bottom) = (top.min(row), bottom.max(row));
        (left, right) = (left.min(column), right.max(column));
        let span = u64::from(bottom - top + 1) * u64::from(right - left + 1);
        if span > MAX_SPAN_CELLS {
            return Err(too_many_cells(bottom - top + 1, right - left + 1));
        }
        cells.push(calamine::Cell::new(
            (row, column),
            Data::from(cell.get_value().clone()),
        ));
    }
    Ok(Range::from_sparse(cells))
}

/// Why a sheet whose cells span `rows` by `cols` is not read (over [`MAX_SPAN_CELLS`]).
fn too_many_cells(rows: impl std::fmt::Display, cols: impl std::fmt::Display) -> String {
    format!(
        "its cells span {rows} rows by {cols} columns, more than the {MAX_SPAN_CELLS} cells the \
         excel source reads; delete stray cells far from the data, or save the sheet as CSV"
    )
}

fn too_big() -> Error {
    Error::BadInput(format!(
        "the workbook is larger than {} MiB, the most the excel source reads; save the sheet as \
         CSV and import that instead",
        MAX_WORKBOOK_BYTES / (1024 * 1024)
    ))
}

/// An open workbook of any of the supported formats.
enum Book {
    Xlsx(Xlsx<Cursor<Vec<u8>>>),
    Xlsb(Xlsb<Cursor<Vec<u8>>>),
    Xls(Xls<ZeroTail>),
    Ods(Ods<Cursor<Vec<u8>>>),
}

const PASSWORD: &str = "the workbook is password-protected: open it in Excel or LibreOffice, \
                        remove the password (File → Info → Protect Workbook, or Save As without \
                        a password) and import the copy";

fn corrupt(kind: &str, e: &dyn std::fmt::Display) -> Error {
    Error::BadInput(format!(
        "the file looks like {kind} but cannot be read ({e}); it may be damaged or cut off: \
         open it in Excel or LibreOffice and save it again"
    ))
}

impl Book {
    /// Picks the format from the container's magic bytes, not from the file name: exports
    /// are often renamed.
    fn open(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::BadInput("the file is empty".into()));
        }
        if bytes.starts_with(ZIP_MAGIC) {
            if is_ods(&bytes) {
                if let Err(why) = check_ods_tables(&bytes) {
                    return Err(corrupt("an OpenDocument spreadsheet (.ods)", &why));
                }
                return match Ods::new(Cursor::new(bytes)) {
                    Ok(b) => Ok(Book::Ods(b)),
                    Err(calamine::OdsError::Password) => Err(Error::BadInput(PASSWORD.into())),
                    Err(e) => Err(corrupt("an OpenDocument spreadsheet (.ods)", &e)),
                };
            }
            if contains(&bytes, b"xl/workbook.bin") {
                return Xlsb::new(Cursor::new(bytes))
                    .map(Book::Xlsb)
                    .map_err(|e| corrupt("an Excel binary workbook (.xlsb)", &e));
            }
            if let Err(why) = check_shared_strings(&bytes) {
                return Err(corrupt("an Excel workbook (.xlsx)", &why));
            }
            return Xlsx::new(Cursor::new(bytes))
                .map(Book::Xlsx)
                .map_err(|e| corrupt("an Excel workbook (.xlsx)", &e));
        }
        if bytes.starts_with(OLE_MAGIC) {
            // An encrypted .xlsx/.xlsb is an OLE container holding an `EncryptedPackage`.
            if contains_utf16(&bytes, "EncryptedPackage") {
                return Err(Error::BadInput(PASSWORD.into()));
            }
            // The container is read in sectors of 4-byte entries; calamine asserts (panics)
            // on a sector cut short inside an entry, as a cut-off download is. Such a file
            // is damaged: say so before calamine sees it.
            if !bytes.len().is_multiple_of(4) {
                return Err(corrupt(
                    "an Excel 97-2003 workbook (.xls)",
                    &"it ends inside a sector",
                ));
            }
            if let Err(why) = ole::check(&bytes) {
                return Err(corrupt("an Excel 97-2003 workbook (.xls)", &why));
            }
            // calamine reads every sheet of an .xls here, each into a range holding every cell
            // between its first and last: the same bound as for .xlsx cells (`xlsx_range`).
            let mut options = XlsOptions::default();
            options.max_sheet_cells = Some(MAX_SPAN_CELLS);
            return match Xls::new_with_options(ZeroTail::new(bytes), options) {
                Ok(b) => Ok(Book::Xls(b)),
                Err(calamine::XlsError::Password) => Err(Error::BadInput(PASSWORD.into())),
                Err(calamine::XlsError::SheetTooLarge { name, rows, cols }) => {
                    Err(Error::BadInput(format!(
                        "sheet {name:?} cannot be read ({}); the workbook may be damaged: open \
                         it and save it again",
                        too_many_cells(rows, cols)
                    )))
                }
                Err(e) => Err(corrupt("an Excel 97-2003 workbook (.xls)", &e)),
            };
        }
        let head = bytes.get(..4096).unwrap_or(&bytes);
        if !head.contains(&0) && std::str::from_utf8(head).is_ok() || looks_like_text(head) {
            let html = String::from_utf8_lossy(head).to_ascii_lowercase();
            let what = if html.contains("<html") || html.contains("<table") {
                "an HTML table"
            } else {
                "text (probably CSV)"
            };
            return Err(Error::BadInput(format!(
                "the file is not a workbook but {what}, whatever its extension says; rename it \
                 to .csv (with `plugin = \"auto\"`) or read it with the csv source"
            )));
        }
        Err(Error::BadInput(
            "the file is not a spreadsheet workbook (.xlsx, .xlsm, .xlsb, .xls or .ods): its \
             first bytes match none of them"
                .into(),
        ))
    }

    fn metadata(&self) -> Vec<(String, bool)> {
        let sheets = match self {
            Book::Xlsx(b) => b.sheets_metadata(),
            Book::Xlsb(b) => b.sheets_metadata(),
            Book::Xls(b) => b.sheets_metadata(),
            Book::Ods(b) => b.sheets_metadata(),
        };
        sheets
            .iter()
            .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
            .collect()
    }

    fn range(&mut self, name: &str) -> Result<Range<Data>, Error> {
        let res = match self {
            Book::Xlsx(b) => xlsx_range(b, name),
            Book::Xlsb(b) => xlsb_range(b, name),
            Book::Xls(b) => b.worksheet_range(name).map_err(|e| e.to_string()),
            Book::Ods(b) => b
                .worksheet_range(name)
                .map(ods_errors)
                .map_err(|e| e.to_string()),
        };
        res.map_err(|e| {
            Error::BadInput(format!(
                "sheet {name:?} cannot be read ({e}); the workbook may be damaged: open it and \
                 save it again"
            ))
        })
    }

    /// Sheet `name`'s rows (merged regions filled, blank rows dropped).
    fn rows(&mut self, name: &str) -> Result<Sheet, Error> {
        let range = self.range(name)?;
        let merged = self.merged(name);
        Ok(Sheet::new(name, range, &merged))
    }

    /// The sheet to read: the one named by `wanted`, else the one whose header looks most
    /// like the template's (visible sheets before hidden ones, then the first).
    fn sheet(&mut self, wanted: Option<&str>, warnings: &mut Vec<String>) -> Result<Sheet, Error> {
        let sheets = self.metadata();
        let names = || {
            sheets
                .iter()
                .map(|(n, _)| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(wanted) = wanted {
            let found = sheets
                .iter()
                .find(|(n, _)| n == wanted)
                .or_else(|| {
                    sheets
                        .iter()
                        .find(|(n, _)| n.trim().eq_ignore_ascii_case(wanted.trim()))
                })
                .or_else(|| {
                    wanted
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| i.checked_sub(1))
                        .and_then(|i| sheets.get(i))
                });
            let Some((name, _)) = found else {
                return Err(Error::BadInput(format!(
                    "the workbook has no sheet {wanted:?}; its sheets are {}",
                    names()
                )));
            };
            let name = name.clone();
            return self.rows(&name);
        }
        let order: Vec<String> = sheets
            .iter()
            .filter(|(_, visible)| *visible)
            .chain(sheets.iter().filter(|(_, visible)| !*visible))
            .map(|(n, _)| n.clone())
            .collect();
        // Each sheet with data, scored by its best header row; only the best is kept.
        let mut seen: Vec<(String, usize, String)> = Vec::new();
        let mut best: Option<Sheet> = None;
        for name in &order {
            let sheet = self.rows(name)?;
            if sheet.rows.is_empty() {
                continue;
            }
            let score = sheet.header.map_or(0, |(_, score)| score);
            seen.push((name.clone(), score, sheet.first_cells()));
            if best
                .as_ref()
                .is_none_or(|b| score > b.header.map_or(0, |(_, s)| s))
            {
                best = Some(sheet);
            }
        }
        let Some(best) = best else {
            return Err(Error::BadInput(if sheets.is_empty() {
                "the workbook has no worksheets".into()
            } else {
                format!("every sheet of the workbook is empty ({})", names())
            }));
        };
        if seen.len() == 1 {
            return Ok(best);
        }
        let looked = || {
            seen.iter()
                .map(|(n, score, first)| format!("{n:?} ({score} point(s), starting {first})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let top = best.header.map_or(0, |(_, s)| s);
        if top == 0 {
            return Err(Error::BadInput(format!(
                "no sheet of the workbook has a header naming the template's fields: {}; set \
                 `sheet` (and `header_row`) in the excel source's params",
                looked()
            )));
        }
        let tied: Vec<&str> = seen
            .iter()
            .filter(|(_, score, _)| *score == top)
            .map(|(n, _, _)| n.as_str())
            .collect();
        if tied.len() > 1 {
            return Err(Error::BadInput(format!(
                "sheets {} have equally good headers ({top} point(s) each), so which to import \
                 is a guess: set `sheet` in the excel source's params ({})",
                tied.iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                looked()
            )));
        }
        warnings.push(format!(
            "read sheet {:?}, whose header looks most like the template's (the workbook's \
             sheets: {}); set `sheet` to choose another",
            best.name,
            looked()
        ));
        Ok(best)
    }

    /// The merged regions of sheet `name` (formats that record them: .xlsx, .xls).
    fn merged(&mut self, name: &str) -> Vec<Dimensions> {
        match self {
            Book::Xlsx(b) => b.merge_cells_by_sheet_name(name).unwrap_or_default(),
            Book::Xls(b) => b.merge_cells_by_sheet_name(name).unwrap_or_default(),
            Book::Xlsb(_) | Book::Ods(_) => Vec::new(),
        }
    }
}

/// OpenDocument stores a formula's error result as its text (`#N/A`), which calamine reads
/// as a string; a cell holding exactly such a text is read as that error (a typed `#N/A`
/// would be too: in a contact export that text carries no data either).
fn ods_errors(mut range: Range<Data>) -> Range<Data> {
    use calamine::CellErrorType as E;
    let Some(start) = range.start() else {
        return range;
    };
    let errors: Vec<((u32, u32), E)> = range
        .cells()
        .filter_map(|(r, c, v)| {
            let Data::String(s) = v else { return None };
            let e = match s.as_str() {
                "#N/A" => E::NA,
                "#DIV/0!" => E::Div0,
                "#NAME?" => E::Name,
                "#NULL!" => E::Null,
                "#NUM!" => E::Num,
                "#REF!" => E::Ref,
                "#VALUE!" => E::Value,
                _ => return None,
            };
            let at =
                |base: u32, i: usize| base.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            Some(((at(start.0, r), at(start.1, c)), e))
        })
        .collect();
    for (at, e) in errors {
        range.set_value(at, Data::Error(e));
    }
    range
}

/// An OpenDocument package starts with an uncompressed `mimetype` entry naming its type.
fn is_ods(bytes: &[u8]) -> bool {
    bytes
        .get(..200)
        .is_some_and(|head| contains(head, b"application/vnd.oasis.opendocument.spreadsheet"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// OLE directory entry names are UTF-16LE.
fn contains_utf16(hay: &[u8], needle: &str) -> bool {
    let pattern: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    contains(hay, &pattern)
}

/// Text in a legacy single-byte encoding: no NUL, mostly printable.
fn looks_like_text(head: &[u8]) -> bool {
    !head.contains(&0)
        && head
            .iter()
            .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
            .count()
            * 10
            >= head.len() * 9
}

/// One sheet as the source reads it.
struct Sheet {
    name: String,
    /// The sheet's first column (0-based), for cell references.
    left: u32,
    /// Each sheet row as (sheet row number, cells), blank rows dropped: like blank lines in
    /// a CSV they are not rows and are not counted.
    rows: Vec<(u32, Vec<Cell>)>,
    /// The row (index into `rows`) among the first whose cells name the most template
    /// fields, and its [`header_score`]; `None` when none scores [`MIN_HEADER_SCORE`].
    header: Option<(usize, usize)>,
}

impl Sheet {
    fn new(name: &str, mut range: Range<Data>, merged: &[Dimensions]) -> Self {
        let (top, left) = range.start().unwrap_or((0, 0));
        fill_merged(&mut range, merged);
        let rows: Vec<(u32, Vec<Cell>)> = range
            .rows()
            .enumerate()
            .filter_map(|(i, cells)| {
                let number = top
                    .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
                    .saturating_add(1);
                let cells: Vec<Cell> = cells.iter().map(Cell::from_data).collect();
                cells
                    .iter()
                    .any(|c| !c.text.is_empty())
                    .then_some((number, cells))
            })
            .collect();
        // Among the rows a header may be (title rows are skipped at most MAX_TITLE_ROWS),
        // and only when it names two fields or an identifying one: a data row holding one
        // word that happens to be a field's name ("St", "Email") is not a header.
        let mut header: Option<(usize, usize)> = None;
        for (i, (_, cells)) in rows.iter().enumerate().take(MAX_TITLE_ROWS + 1) {
            let score = header_score(cells);
            if score >= MIN_HEADER_SCORE && score > header.map_or(0, |(_, s)| s) {
                header = Some((i, score));
            }
        }
        Self {
            name: name.to_string(),
            left,
            rows,
            header,
        }
    }

    /// The first cells of the sheet's first row, quoted, to say what a sheet looks like.
    fn first_cells(&self) -> String {
        let Some((number, cells)) = self.rows.first() else {
            return "empty".into();
        };
        let shown: Vec<String> = cells
            .iter()
            .filter(|c| !c.text.is_empty())
            .take(3)
            .map(|c| format!("{:?}", c.text.trim()))
            .collect();
        format!("row {number}: {}", shown.join(", "))
    }
}

/// How much a row looks like the template's header: the template fields its cells name
/// for sure (each once), the three every interaction has (Interaction Type, Date, Contact
/// Type) counting double. Title rows, group bands over merged cells and other tables' headers
/// score little or nothing.
fn header_score(cells: &[Cell]) -> usize {
    let mut named: Vec<Target> = Vec::new();
    let mut score = 0;
    for cell in cells {
        let Some(m) = headers::match_header(cell.text.trim()) else {
            continue;
        };
        if m.confidence < headers::DEFAULT_MIN_CONFIDENCE || named.contains(&m.target) {
            continue;
        }
        named.push(m.target);
        score += if matches!(m.target, Target::Field(0..=2)) {
            2
        } else {
            1
        };
    }
    score
}

/// Turns the sheet's cells into the header, rows and warnings.
fn read_sheet(sheet: Sheet, header_row: Option<u32>, out: &mut SourceOutput) -> Result<(), Error> {
    let Sheet {
        name,
        left,
        rows,
        header,
    } = sheet;
    if rows.is_empty() {
        return Err(Error::BadInput(format!("sheet {name:?} is empty")));
    }
    let mut errors = Vec::new();
    let header_at = match header_row {
        Some(wanted) => rows.iter().position(|(n, _)| *n >= wanted).filter(|&i| {
            rows.get(i).is_some_and(|(n, _)| *n == wanted)
        }).ok_or_else(|| {
            Error::BadInput(format!(
                "row {wanted} of sheet {name:?}, where `header_row` says the header is, is empty \
                 or past the end of the sheet"
            ))
        })?,
        // The row naming the most template fields; else by how full the rows are.
        None => header.map_or_else(
            || detect_header(rows.iter().map(|(_, cells)| non_empty(cells))),
            |(at, _)| at,
        ),
    };
    let Some((header_number, header)) = rows.get(header_at) else {
        return Err(Error::BadInput(format!("sheet {name:?} is empty")));
    };
    if header_at > 0 {
        out.warnings.push(format!(
            "skipped {header_at} row(s) above the header (row {header_number}); set `header_row` \
             to choose another row"
        ));
    }

    // Columns end at the last one with a header or any data: trailing empty columns that
    // only carry formatting are not columns.
    let data = rows.get(header_at + 1..).unwrap_or_default();
    let width = data
        .iter()
        .chain(std::iter::once(&(0, header.clone())))
        .filter_map(|(_, cells)| cells.iter().rposition(|c| !c.text.is_empty()))
        .max()
        .map_or(0, |last| last + 1);
    let raw: Vec<String> = (0..width)
        .map(|i| {
            header
                .get(i)
                .map(|c| c.text.trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    let columns = distinct_names(&raw, &mut out.warnings);
    out.set_columns(columns);

    for (number, cells) in data {
        // A row with an error cell is imported with the cell empty, and flagged so the
        // exceptions report says which value was lost.
        let mut reasons = Vec::new();
        for (i, cell) in cells.iter().enumerate().take(width) {
            if let Some(e) = &cell.error {
                let at = format!("{}{number}", column_letters(left as usize + i));
                let column = out
                    .columns
                    .as_ref()
                    .and_then(|c| c.get(i))
                    .map_or("", String::as_str);
                reasons.push(format!(
                    "{column} (cell {at}) holds the error {e} and was read as empty"
                ));
                errors.push(format!("{at} ({e})"));
            }
        }
        let index = out.rows.len();
        out.rows.push_row(
            *number,
            (0..width).map(|i| cells.get(i).map_or("", |c| c.text.as_str())),
        );
        if !reasons.is_empty() {
            out.verdicts.push(RowVerdict {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                verdict: Verdict::Flag(reasons),
            });
        }
    }
    if !errors.is_empty() {
        let named: Vec<_> = errors.iter().take(MAX_ERROR_CELLS_NAMED).cloned().collect();
        let more = errors.len().saturating_sub(MAX_ERROR_CELLS_NAMED);
        out.warnings.push(format!(
            "{} cell(s) hold an error value and were read as empty: {}{}",
            errors.len(),
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}

fn non_empty(cells: &[Cell]) -> usize {
    cells.iter().filter(|c| !c.text.is_empty()).count()
}

/// Copies the value of each merged region's top-left cell into the rest of the region, so a
/// value merged across rows (a date for a group of calls) belongs to every row it covers.
fn fill_merged(range: &mut Range<Data>, merged: &[Dimensions]) {
    let (Some(first), Some(last)) = (range.start(), range.end()) else {
        return;
    };
    for region in merged {
        let value = range
            .get_value(region.start)
            .cloned()
            .unwrap_or(Data::Empty);
        if cells::is_blank(&value) {
            continue;
        }
        // Only the part inside the sheet's cells: a file may declare a region as large as
        // the format allows (A1:XFD1048576, 17 billion cells), which would never finish.
        for row in region.start.0.max(first.0)..=region.end.0.min(last.0) {
            for col in region.start.1.max(first.1)..=region.end.1.min(last.1) {
                if (row, col) != region.start && range.get_value((row, col)).is_some() {
                    range.set_value((row, col), value.clone());
                }
            }
        }
    }
}

/// The header among the first rows: the first with at least half as many filled cells as
/// the fullest row (and at least two), so title rows above it ("Exported from X on ...")
/// are skipped. A one-column sheet has its header first.
pub fn detect_header(filled: impl Iterator<Item = usize>) -> usize {
    let counts: Vec<usize> = filled.take(HEADER_SCAN_ROWS).collect();
    let most = counts.iter().copied().max().unwrap_or(0);
    let need = most.div_ceil(2).max(2);
    counts
        .iter()
        .take(MAX_TITLE_ROWS + 1)
        .position(|&c| c >= need)
        .unwrap_or(0)
}

/// `A`, `B` … `Z`, `AA` … for a 0-based column index.
fn column_letters(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_source!(Excel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_after_title_rows_are_found() {
        assert_eq!(detect_header([1, 0, 5, 5, 4].into_iter()), 2);
        assert_eq!(detect_header([5, 5, 4].into_iter()), 0);
        assert_eq!(detect_header([1, 1, 1].into_iter()), 0);
        assert_eq!(detect_header([2, 13, 13].into_iter()), 1);
    }

    #[test]
    fn names_are_made_distinct() {
        let mut w = Vec::new();
        let raw: Vec<String> = ["Email", "", "email", "Email (2)"].map(String::from).into();
        assert_eq!(
            distinct_names(&raw, &mut w),
            ["Email", "Column 2", "email (3)", "Email (2)"]
        );
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn merged_regions_past_the_sheet_fill_only_its_cells() {
        let mut range = Range::new((0, 0), (1, 1));
        range.set_value((0, 0), Data::String("x".into()));
        range.set_value((1, 1), Data::String("y".into()));
        // As large as the format allows: filled cell by cell, this would never finish.
        fill_merged(&mut range, &[Dimensions::new((0, 0), (1_048_575, 16_383))]);
        let cells: Vec<_> = range
            .used_cells()
            .map(|(r, c, v)| (r, c, v.clone()))
            .collect();
        let x = Data::String("x".into());
        assert_eq!(
            cells,
            [
                (0, 0, x.clone()),
                (0, 1, x.clone()),
                (1, 0, x.clone()),
                (1, 1, x)
            ]
        );
    }

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
