//! Fuzz target: the excel source on arbitrary bytes (a workbook of any format, or not).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, Params, Source, SourceOutput};

fuzz_target!(|data: &[u8]| {
    let Ok((mut source, _)) = Excel::open(&Params::default(), &Context::default()) else {
        return;
    };
    let mut out = SourceOutput::new(0);
    if source.push(data, &mut out).is_ok() {
        let _ = source.finish(&mut out);
    }
    // Every row has the header's width: the batch layout depends on it.
    if let Some(columns) = &out.columns {
        for row in out.rows.iter() {
            assert_eq!(row.cells().count(), columns.len(), "row {}", row.number());
        }
    }
});
