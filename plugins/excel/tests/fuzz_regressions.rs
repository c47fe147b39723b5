//! Inputs that once crashed the excel source under fuzzing (`fuzz/`), kept in
//! `tests/fuzz/`: each must now end in the exact error (or sheet) asserted here.

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

use std::path::Path;

use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, ParamValue, Params, Source, SourceOutput};

fn read(name: &str) -> Result<SourceOutput, String> {
    read_with(name, &Params::default())
}

fn read_with(name: &str, params: &Params) -> Result<SourceOutput, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    read_params(&std::fs::read(path).unwrap(), params)
}

fn read_bytes(bytes: &[u8]) -> Result<SourceOutput, String> {
    read_params(bytes, &Params::default())
}

fn read_params(bytes: &[u8], params: &Params) -> Result<SourceOutput, String> {
    let (mut source, _) = Excel::open(params, &Context::default()).unwrap();
    let mut out = SourceOutput::new(0);
    source.push(bytes, &mut out).map_err(|e| e.to_string())?;
    source.finish(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// An OLE (.xls) file of 843 bytes: its FAT sector ends 3 bytes into an entry, where
/// calamine's `to_u32` asserted.
#[test]
fn an_ole_file_cut_inside_a_sector_is_damaged_not_a_panic() {
    assert_eq!(
        read("ole_cut_inside_sector.xls").unwrap_err(),
        "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (it ends \
         inside a sector); it may be damaged or cut off: open it in Excel or LibreOffice and \
         save it again"
    );
}

/// OLE files whose sector chains point one sector past the end of the file, where calamine
/// sliced out of bounds (`cfb.rs`, `Sectors::get`): 528 bytes, and 5784 bytes mutated from
/// `tests/fixtures/sources/interactions.xls`.
#[test]
fn an_ole_sector_past_the_end_is_damage_not_a_panic() {
    assert_eq!(
        read("ole_sector_past_end_small.xls").unwrap_err(),
        "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (the DIFAT chain \
         loops); it may be damaged or cut off: open it in Excel or LibreOffice \
         and save it again"
    );
    assert_eq!(
        read("ole_sector_past_end.xls").unwrap_err(),
        "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (sector \
         26247167 is past the end of the file); it may be damaged or cut off: open it in Excel \
         or LibreOffice and save it again"
    );
}

/// A 72-byte file starting with the OLE magic, which ran out of memory: read as if zeros
/// followed it, its empty allocation table made the directory chain loop on sector 0.
#[test]
fn an_ole_header_cut_short_is_damage() {
    assert_eq!(
        read("ole_header_only_72_bytes.xls").unwrap_err(),
        "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (it is shorter \
         than its header); it may be damaged or cut off: open it in Excel or LibreOffice and \
         save it again"
    );
}

/// The committed .xls fixture with its directory chain made to loop (the allocation table
/// entry of the directory's first sector points at itself): calamine would follow it until
/// memory ran out.
#[test]
fn a_looping_sector_chain_is_damage_not_unbounded_memory() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sources/interactions.xls");
    let mut bytes = std::fs::read(path).unwrap();
    let word = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let dir_start = word(&bytes, 48);
    let fat_sector = word(&bytes, 76);
    let entry = usize::try_from(512 + fat_sector * 512 + dir_start * 4).unwrap();
    bytes[entry..entry + 4].copy_from_slice(&dir_start.to_le_bytes());
    assert_eq!(
        read_bytes(&bytes).unwrap_err(),
        format!(
            "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (the sector \
             chain through sector {dir_start} loops); it may be damaged or cut off: open it in \
             Excel or LibreOffice and save it again"
        )
    );
}

/// A header and its rows (sheet row number, cells).
type Table = (Vec<String>, Vec<(u32, Vec<String>)>);

/// Header and rows of a read, or its error.
fn table(out: Result<SourceOutput, String>) -> Result<Table, String> {
    let out = out?;
    let rows = out
        .rows
        .iter()
        .map(|r| (r.number(), r.cells().map(String::from).collect()))
        .collect();
    Ok((out.columns.unwrap_or_default(), rows))
}

/// Cell references too large for calamine's arithmetic, which wraps as the plugin ships
/// (release) and panicked in a debug build; wrapped, they made it allocate 224 GB for the
/// sheet. A 26-digit row number and 23 column letters are refused; a `<dimension>` that
/// ends before it starts is only a hint, and is ignored. Written by hand after the
/// fuzzer's finds (`workbook_xml`).
#[test]
fn absurd_cell_references_are_damage_not_a_panic() {
    let past = "sheet \"Sheet1\" cannot be read (a cell reference is past the sheet's 1048576 \
                rows and 16384 columns); the workbook may be damaged: open it and save it again";
    assert_eq!(
        table(read("xlsx_row_number_overflow.xlsx")),
        Err(past.into())
    );
    assert_eq!(
        table(read("xlsx_column_letters_overflow.xlsx")),
        Err(past.into())
    );
    assert_eq!(
        table(read("xlsx_dimension_end_before_start.xlsx")),
        Ok((
            vec!["Name".to_string(), "Email".to_string()],
            vec![(2, vec!["Ada".to_string(), "ada@example.org".to_string()])]
        ))
    );
}

/// Two valid cells at opposite corners of the sheet (A1, XFD1048576): calamine would
/// allocate all 17 billion cells between them.
#[test]
fn cells_far_apart_are_refused_not_allocated() {
    assert_eq!(
        table(read("xlsx_cells_far_apart.xlsx")),
        Err(
            "sheet \"Sheet1\" cannot be read (its cells span 1048576 rows by 16384 columns, \
             more than the 8388608 cells the excel source reads; delete stray cells far from \
             the data, or save the sheet as CSV); the workbook may be damaged: open it and save \
             it again"
                .into()
        )
    );
}

/// A shared-strings part claiming 10^20 strings, for which calamine reserved room before
/// reading any (a capacity-overflow panic).
#[test]
fn a_forged_shared_string_count_is_damage_not_a_panic() {
    assert_eq!(
        table(read("xlsx_shared_strings_count_forged.xlsx")),
        Err(
            "the file looks like an Excel workbook (.xlsx) but cannot be read (its shared \
             strings claim a count (99999999999999999999) their 180 bytes cannot hold); it may \
             be damaged or cut off: open it in Excel or LibreOffice and save it again"
                .into()
        )
    );
}

/// The .xls fixture with its first FAT sector listed a second time in the header's DIFAT:
/// repeated, such entries let a small file make calamine build a FAT of gigabytes.
#[test]
fn a_fat_sector_listed_twice_is_damage() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sources/interactions.xls");
    let mut bytes = std::fs::read(path).unwrap();
    let first: [u8; 4] = bytes[76..80].try_into().unwrap();
    bytes[80..84].copy_from_slice(&first);
    assert_eq!(
        read_bytes(&bytes).unwrap_err(),
        format!(
            "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read (FAT sector \
             {} is listed twice); it may be damaged or cut off: open it in Excel or LibreOffice \
             and save it again",
            u32::from_le_bytes(first)
        )
    );
}

/// The .ods fixture with its last `</table:table>` removed: calamine read on past the end of
/// the content waiting for it, forever (found as a hang by `workbook_xml`).
#[test]
fn an_ods_table_never_closed_is_damage_not_a_hang() {
    assert_eq!(
        read("ods_table_never_closed.ods").unwrap_err(),
        "the file looks like an OpenDocument spreadsheet (.ods) but cannot be read (its content \
         is not well-formed XML (ill-formed document: expected `</table:table>`, but \
         `</office:spreadsheet>` was found)); it may be damaged or cut off: open it in Excel or \
         LibreOffice and save it again"
    );
}

/// A content.xml (860 bytes, from the fuzzer) that closes a table before opening the next,
/// which calamine then read past the end of the content, forever.
#[test]
fn an_ods_table_closed_before_it_opens_is_damage_not_a_hang() {
    assert_eq!(
        read("ods_table_closed_before_opened.ods").unwrap_err(),
        "the file looks like an OpenDocument spreadsheet (.ods) but cannot be read (its content \
         is not well-formed XML (ill-formed document: expected `</text:p>`, but \
         `</table:table-row>` was found)); it may be damaged or cut off: open it in Excel or \
         LibreOffice and save it again"
    );
}

/// What the excel source says about a damaged .xls whose records calamine refuses.
fn damaged_xls(why: &str) -> String {
    format!(
        "the file looks like an Excel 97-2003 workbook (.xls) but cannot be read ({why}); it may \
         be damaged or cut off: open it in Excel or LibreOffice and save it again"
    )
}

/// .xls files (8704 bytes, mutated from `tests/fixtures/sources/interactions.xls` by
/// `excel_source`) whose OLE container is sound but whose BIFF records are not: calamine
/// 0.38.0 read each record's bytes without checking its length and panicked. The patched
/// calamine (`vendor/calamine/PATCHES.md`) checks every read; each file is kept for the
/// read it used to panic on.
#[test]
fn damaged_xls_records_are_damage_not_a_panic() {
    for (file, why) in [
        // A BoundSheet8 record placing its sheet 10 MB into a 4 kB stream (`xls.rs:633`).
        (
            "xls_sheet_offset_past_stream.xls",
            "Invalid Workbook stream (BoundSheet8 position) length, expected at least 10747904, \
             found 4260",
        ),
        // A defined name (Lbl) record with no bytes at all (`xls.rs:838`).
        (
            "xls_defined_name_empty.xls",
            "Invalid Lbl length, expected at least 14, found 0",
        ),
        // A defined name whose formula claims more bytes than its record holds (`xls.rs:850`).
        (
            "xls_defined_name_formula_past_record.xls",
            "Invalid Lbl rgce length, expected at least 65525, found 20",
        ),
        // A shared string flagged rich, cut before its run count (`utils.rs:48`, `read_u16`).
        (
            "xls_shared_string_cut_in_run_count.xls",
            "Invalid rich extended string cRun length, expected at least 2, found 1",
        ),
        // A DateMode record with no bytes (`utils.rs:48`, `read_u16`).
        (
            "xls_date_mode_empty.xls",
            "Invalid DateMode length, expected at least 2, found 0",
        ),
    ] {
        assert_eq!(read(file).unwrap_err(), damaged_xls(why), "{file}");
    }
}

/// A cell formula whose length runs past its record (`xls.rs:1531`, `parse_formula`), and a
/// Dimensions record claiming 591 million rows by 30,548 columns, for which calamine reserved
/// room for every cell (722 TB: out of memory). calamine keeps a formula it cannot parse as
/// text and reads on, and a sheet's dimensions are now only a hint bounded by its stream; both
/// files then end inside a record, which is the damage reported.
#[test]
fn damaged_xls_formulas_and_dimensions_are_damage_not_a_crash() {
    for file in [
        "xls_cell_formula_past_record.xls",
        "xls_dimensions_huge.xls",
    ] {
        assert_eq!(
            read(file).unwrap_err(),
            damaged_xls("End of stream 'record length'"),
            "{file}"
        );
    }
}

/// The .xls fixture with one cell moved to row 65536, column 65536 (the largest a BIFF
/// record can say): calamine's sheet would hold every cell from A1 to there, 4 billion
/// (a capacity-overflow panic in the 32-bit plugin, out of memory natively). Refused like
/// .xlsx cells far apart.
#[test]
fn xls_cells_far_apart_are_refused_not_allocated() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/sources/interactions.xls");
    let mut bytes = std::fs::read(path).unwrap();
    // The second LabelSst record (type 0x00FD, 10 bytes) of the first sheet: row, column.
    let at = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == [0xFD, 0x00, 0x0A, 0x00])
        .nth(1)
        .unwrap()
        .0;
    bytes[at + 4..at + 8].copy_from_slice(&[0xFF; 4]);
    assert_eq!(
        read_bytes(&bytes).unwrap_err(),
        "sheet \"Export\" cannot be read (its cells span 65536 rows by 65536 columns, more \
         than the 8388608 cells the excel source reads; delete stray cells far from the data, \
         or save the sheet as CSV); the workbook may be damaged: open it and save it again"
    );
}

/// The .xls fixture mutated (by `excel_source`) so that one cell sits in column 63485: the
/// header is 63,485 columns wide, all but 8 without a name. Naming those ("Column N",
/// `distinct_names` in the SDK) compared every name with every one before it, quadratic
/// time (a timeout); the sheet now reads at once, as it is, with one warning for all but
/// the first 20 renamed columns.
#[test]
fn a_header_63485_columns_wide_reads_in_linear_time() {
    // Its "Other" sheet has as good a header: the sheet is named.
    let export = Params(vec![("sheet".into(), ParamValue::Text("Export".into()))]);
    let out = read_with("xls_wide_header.xls", &export).unwrap();
    let columns = out.columns.unwrap();
    assert_eq!(columns.len(), 63_485);
    assert_eq!(
        columns[..9],
        [
            "Interaction Type",
            "Date",
            "Contact Type",
            "First Name",
            "Last Name",
            "Primary Email",
            "Pledge Amount",
            "Notes",
            "Column 9"
        ]
    );
    assert_eq!(columns[63_484], "Column 63485");
    // 20 unnamed columns are listed (column 9 to 28), the other 63,457 summed up in one.
    let renamed: Vec<&str> = out.warnings[1..22].iter().map(String::as_str).collect();
    assert_eq!(out.warnings.len(), 23);
    assert_eq!(
        renamed[0],
        "column 9 has no name in the header; it is called \"Column 9\""
    );
    assert_eq!(
        renamed[19],
        "column 28 has no name in the header; it is called \"Column 28\""
    );
    assert_eq!(
        renamed[20],
        "63457 more columns, from column 29 to column 63485, are renamed the same way"
    );
    assert_eq!(
        out.rows.iter().map(|r| r.number()).collect::<Vec<_>>(),
        [4, 5, 6, 7, 9]
    );
}

/// .xlsb workbooks whose binary parts the `workbook_bin` fuzz target mutated (packed with
/// `fuzz/pack_xlsb.py` around `tests/fixtures/hello.xlsb`). calamine read a shared-strings
/// header (BrtBeginSst, 8 bytes) from an empty record by slicing, and indexed the shared
/// strings with a cell's string number: both panicked, and are now its errors.
#[test]
fn damaged_xlsb_records_are_damage_not_a_panic() {
    assert_eq!(
        read("xlsb_shared_strings_header_empty.xlsb").unwrap_err(),
        "the file looks like an Excel binary workbook (.xlsb) but cannot be read (Invalid \
         BrtBeginSst length, expected at least 8, found 0); it may be damaged or cut off: open \
         it in Excel or LibreOffice and save it again"
    );
    assert_eq!(
        read("xlsb_shared_string_index_past_the_strings.xlsb").unwrap_err(),
        "sheet \"Sheet1\" cannot be read (Unrecognized BrtCellIsst shared string index: 300 \
         (of 1 strings)); the workbook may be damaged: open it and save it again"
    );
}

/// The .xlsb fixture with two more cells, A1 and P100000 apart (written by hand: a cell
/// record holds its column as any 32-bit number). calamine allocated every cell between
/// them; refused like .xlsx cells far apart.
#[test]
fn xlsb_cells_far_apart_are_refused_not_allocated() {
    assert_eq!(
        read("xlsb_cells_far_apart.xlsb").unwrap_err(),
        "sheet \"Sheet1\" cannot be read (its cells span 100000 rows by 16000 columns, more \
         than the 8388608 cells the excel source reads; delete stray cells far from the data, \
         or save the sheet as CSV); the workbook may be damaged: open it and save it again"
    );
}

/// The .xlsb fixture with a defined name whose formula nests 257 `PtgMemFunc` tokens, one in
/// the next (written by hand). calamine parses each level in a recursive call: this file
/// overflowed the stack of a test thread in a debug build. Past Excel's 64 levels it now
/// stops.
#[test]
fn xlsb_formulas_nested_too_deep_are_refused() {
    assert_eq!(
        read("xlsb_defined_name_nested_257_deep.xlsb").unwrap_err(),
        "the file looks like an Excel binary workbook (.xlsb) but cannot be read (Unrecognized \
         formula nesting: more than 64 levels of PtgMemFunc); it may be damaged or cut off: \
         open it in Excel or LibreOffice and save it again"
    );
}
