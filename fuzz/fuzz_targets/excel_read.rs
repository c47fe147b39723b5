//! What the excel fuzz targets do with a workbook once they have its bytes: read it through
//! the excel source as an import does, and check what any read must hold.

use sluice_plugin_excel::Excel;
use sluice_sdk::{Context, Params, Source, SourceOutput};

/// Reads `bytes` through the excel source; an error is fine, a panic or a row of the wrong
/// width is not (the batch layout depends on every row having the header's width).
pub fn read_checked(bytes: &[u8]) {
    let Ok((mut source, _)) = Excel::open(&Params::default(), &Context::default()) else {
        return;
    };
    let mut out = SourceOutput::new(0);
    if source.push(bytes, &mut out).is_ok() {
        let _ = source.finish(&mut out);
    }
    if let Some(columns) = &out.columns {
        for row in out.rows.iter() {
            assert_eq!(row.cells().count(), columns.len(), "row {}", row.number());
        }
    }
}
