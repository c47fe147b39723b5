//! A hostile validator for the host's sandbox tests: on the row numbered `row` it does what
//! `behaviour` says (`loop`, `alloc`, `recurse`, `panic`); on every other row it says ok.
//!
//! It exists only to prove that a plugin fault ends one file's import with an error naming
//! the plugin and the rows, and never the process. Never use it in a real pipeline.

#![allow(clippy::panic)] // Panicking on purpose is this fixture's job.

use std::hint::black_box;

use sluice_sdk::{
    Batch, Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, RowVerdict, Validator,
    ValidatorPlan,
};

/// The misbehaviour to stage.
pub struct Hostile {
    behaviour: String,
    row: u32,
}

impl Validator for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            Kind::Validator,
            "Misbehaves on one row, for sandbox tests",
            vec![
                ParamSpec::required(
                    "behaviour",
                    ParamType::Text,
                    "loop, alloc, recurse or panic",
                ),
                ParamSpec::optional(
                    "row",
                    ParamType::Integer,
                    "2",
                    "The row number to misbehave on",
                ),
            ],
        )
    }

    fn prepare(_: &[String], params: &Params, _: &Context) -> Result<(Self, ValidatorPlan), Error> {
        let behaviour = params.text("behaviour", "")?.to_string();
        let row = u32::try_from(params.integer("row", 2)?)
            .map_err(|_| Error::BadParams("`row` must be a row number".into()))?;
        Ok((Self { behaviour, row }, ValidatorPlan::default()))
    }

    fn validate(&mut self, rows: &Batch, _out: &mut Vec<RowVerdict>) -> Result<(), Error> {
        if !rows.row_numbers().contains(&self.row) {
            return Ok(());
        }
        match self.behaviour.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            "alloc" => {
                // 4 GiB in 64 MiB pieces, touched so the memory is really asked for.
                let mut pieces = Vec::new();
                for _ in 0..64 {
                    pieces.push(vec![1u8; 64 << 20]);
                    black_box(&pieces);
                }
                Ok(())
            }
            "recurse" => {
                black_box(recurse(black_box(1)));
                Ok(())
            }
            "panic" => panic!("hostile plugin panics on row {}", self.row),
            other => Err(Error::BadParams(format!("unknown behaviour `{other}`"))),
        }
    }
}

#[allow(unconditional_recursion)] // Unbounded recursion is the point.
fn recurse(n: u64) -> u64 {
    let mut frame = [0u8; 256];
    frame[0] = u8::try_from(n % 256).unwrap_or(0);
    black_box(&mut frame);
    recurse(black_box(n + 1)) + u64::from(frame[0])
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_validator!(Hostile);
