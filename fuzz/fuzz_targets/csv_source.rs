//! Fuzz target: the csv source on arbitrary bytes, with parameters and a chunk size taken
//! from the first two bytes, checking that chunking never changes what is read.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_plugin_csv::Csv;
use sluice_sdk::{Context, ParamValue, Params, Source, SourceOutput};

/// Everything the reader hands on, in order, or its error.
type Read = Result<Vec<SourceOutput>, String>;

fn read(params: &Params, file: &[u8], chunk: usize) -> Read {
    let (mut source, _) = Csv::open(params, &Context::default()).map_err(|e| e.to_string())?;
    let mut outputs: Vec<SourceOutput> = Vec::new();
    // Each output's batch has the header's width, once the header has been read.
    let width = |outputs: &[SourceOutput]| {
        outputs
            .iter()
            .find_map(|o| o.columns.as_ref())
            .map_or(0, Vec::len)
    };
    for piece in file.chunks(chunk.max(1)) {
        let mut out = SourceOutput::new(width(&outputs));
        source.push(piece, &mut out).map_err(|e| e.to_string())?;
        outputs.push(out);
    }
    let mut out = SourceOutput::new(width(&outputs));
    source.finish(&mut out).map_err(|e| e.to_string())?;
    outputs.push(out);
    Ok(outputs)
}

/// Rows, rejects and warnings of a read, flattened: chunking changes how they are split
/// between outputs, never what they are.
fn flatten(
    read: &Read,
) -> Result<
    (
        Vec<String>,
        Vec<(u32, Vec<String>)>,
        Vec<String>,
        Vec<String>,
    ),
    String,
> {
    let outputs = read.as_ref().map_err(Clone::clone)?;
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let mut warnings = Vec::new();
    for out in outputs {
        if let Some(c) = &out.columns {
            columns.clone_from(c);
        }
        rows.extend(
            out.rows
                .iter()
                .map(|r| (r.number(), r.cells().map(String::from).collect())),
        );
        rejects.extend(
            out.rejects
                .iter()
                .map(|r| format!("{} {} {:?}", r.row, r.reason, r.fields)),
        );
        warnings.extend(out.warnings.iter().cloned());
    }
    Ok((columns, rows, rejects, warnings))
}

fuzz_target!(|data: &[u8]| {
    let [mode, chunk, file @ ..] = data else {
        return;
    };
    let mut params = Vec::new();
    let delimiter = match mode & 0b111 {
        1 => Some(","),
        2 => Some(";"),
        3 => Some("tab"),
        4 => Some("|"),
        _ => None,
    };
    if let Some(d) = delimiter {
        params.push(("delimiter".to_string(), ParamValue::Text(d.into())));
    }
    let encoding = match (mode >> 3) & 0b111 {
        1 => Some("utf-8"),
        2 => Some("windows-1252"),
        3 => Some("utf-16le"),
        4 => Some("utf-16be"),
        5 => Some("shift_jis"),
        _ => None,
    };
    if let Some(e) = encoding {
        params.push(("encoding".to_string(), ParamValue::Text(e.into())));
    }
    if mode >> 6 != 0 {
        params.push((
            "header_row".to_string(),
            ParamValue::Integer(i64::from(mode >> 6)),
        ));
    }
    let params = Params(params);
    let whole = read(&params, file, file.len());
    if *chunk != 0 {
        let chunked = read(&params, file, usize::from(*chunk));
        assert_eq!(
            flatten(&whole),
            flatten(&chunked),
            "pushing the file in chunks of {chunk} bytes changed what was read"
        );
    }
});
