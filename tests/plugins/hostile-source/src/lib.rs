//! A hostile source for the host's sandbox tests: it reads plain comma-separated lines (no
//! quoting) and panics when it reaches line `row`, as a parser meeting a damaged file would.
//!
//! It exists only to prove that a source that faults fails its file alone, with the plugin
//! named and the store untouched. Never use it in a real pipeline.

#![allow(clippy::panic)] // Panicking on purpose is this fixture's job.

use sluice_sdk::{
    Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, Source, SourceOutput,
};

/// The source; it buffers the file and reads it in `finish`.
pub struct HostileSource {
    row: u32,
    bytes: Vec<u8>,
}

impl Source for HostileSource {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "hostile-source",
            env!("CARGO_PKG_VERSION"),
            Kind::Source,
            "Reads comma-separated lines and panics at one, for sandbox tests",
            vec![ParamSpec::optional(
                "row",
                ParamType::Integer,
                "5",
                "The line number to panic on",
            )],
        )
    }

    fn open(params: &Params, _: &Context) -> Result<(Self, Vec<String>), Error> {
        let row = u32::try_from(params.integer("row", 5)?)
            .map_err(|_| Error::BadParams("`row` must be a line number".into()))?;
        Ok((
            Self {
                row,
                bytes: Vec::new(),
            },
            Vec::new(),
        ))
    }

    fn push(&mut self, chunk: &[u8], _: &mut SourceOutput) -> Result<(), Error> {
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, out: &mut SourceOutput) -> Result<(), Error> {
        let text = String::from_utf8_lossy(&self.bytes);
        for (number, line) in (1u32..).zip(text.lines()) {
            if number == self.row {
                panic!("hostile source panics on row {number}");
            }
            let cells = line.split(',').map(str::to_string);
            if number == 1 {
                out.set_columns(cells.collect());
            } else {
                out.rows.push_row(number, cells);
            }
        }
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_source!(HostileSource);
