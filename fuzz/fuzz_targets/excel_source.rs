//! Fuzz target: the excel source on arbitrary bytes (a workbook of any format, or not).

#![no_main]

mod excel_read;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    excel_read::read_checked(data);
});
