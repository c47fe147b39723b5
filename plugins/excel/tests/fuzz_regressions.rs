//! Inputs that once crashed the excel source under fuzzing (`fuzz/`), kept in
//! `tests/fuzz/`: each must now end in the exact error (or sheet) asserted here.

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

use std::path::Path;

use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, Params, Source, SourceOutput};

fn read(name: &str) -> Result<SourceOutput, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    read_bytes(&std::fs::read(path).unwrap())
}

fn read_bytes(bytes: &[u8]) -> Result<SourceOutput, String> {
    let (mut source, _) = Excel::open(&Params::default(), &Context::default()).unwrap();
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
