//! A hostile validator for the host's sandbox tests: on the row numbered `row` (every row
//! when `row` is 0; and, when `batch` is set, only in the `batch`-th batch it sees) it does
//! what `behaviour` says
//! (`loop`, `alloc`, `recurse`, `panic`, `trap`, `bad-index`, `open-file`, `connect`); on
//! every other row it says ok.
//!
//! It exists only to prove that a plugin fault ends one file's import with an error naming
//! the plugin and the rows, and never the process. Never use it in a real pipeline.

#![allow(clippy::panic)] // Panicking on purpose is this fixture's job.

use std::hint::black_box;

use sluice_sdk::{
    Batch, Context, Error, Kind, ParamSpec, ParamType, Params, PluginInfo, RowVerdict, Validator,
    ValidatorPlan, Verdict,
};

/// The misbehaviour to stage.
pub struct Hostile {
    behaviour: String,
    row: u32,
    /// Misbehave only in this batch (1-based); 0 means in whichever batch holds `row`.
    batch: u32,
    /// Batches seen so far.
    seen: u32,
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
                    "loop, alloc, recurse, panic, trap, bad-index, open-file or connect",
                ),
                ParamSpec::optional(
                    "row",
                    ParamType::Integer,
                    "2",
                    "The row number to misbehave on; 0 for every row",
                ),
                ParamSpec::optional(
                    "batch",
                    ParamType::Integer,
                    "0",
                    "Misbehave only in this batch (1-based); 0 for any",
                ),
            ],
        )
    }

    fn prepare(_: &[String], params: &Params, _: &Context) -> Result<(Self, ValidatorPlan), Error> {
        let behaviour = params.text("behaviour", "")?.to_string();
        let row = u32::try_from(params.integer("row", 2)?)
            .map_err(|_| Error::BadParams("`row` must be a row number".into()))?;
        let batch = u32::try_from(params.integer("batch", 0)?)
            .map_err(|_| Error::BadParams("`batch` must be a batch number".into()))?;
        Ok((
            Self {
                behaviour,
                row,
                batch,
                seen: 0,
            },
            ValidatorPlan::default(),
        ))
    }

    fn validate(&mut self, rows: &Batch, out: &mut Vec<RowVerdict>) -> Result<(), Error> {
        self.seen += 1;
        let hit = self.row == 0 || rows.row_numbers().contains(&self.row);
        if !hit || (self.batch != 0 && self.batch != self.seen) {
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
            "trap" => trap(),
            "bad-index" => {
                // A verdict for a row the batch does not have.
                out.push(RowVerdict {
                    index: u32::try_from(rows.len()).unwrap_or(u32::MAX) + 7,
                    verdict: Verdict::Reject(vec!["no such row".into()]),
                });
                Ok(())
            }
            "open-file" => match std::fs::read("/etc/hostname") {
                Ok(bytes) => Err(Error::Other(format!(
                    "sandbox breach: read {} bytes of /etc/hostname",
                    bytes.len()
                ))),
                Err(e) => Err(Error::Other(format!("could not open /etc/hostname: {e}"))),
            },
            "connect" => match std::net::TcpStream::connect(("127.0.0.1", 9)) {
                Ok(_) => Err(Error::Other(
                    "sandbox breach: connected to 127.0.0.1:9".into(),
                )),
                Err(e) => Err(Error::Other(format!(
                    "could not connect to 127.0.0.1:9: {e}"
                ))),
            },
            other => Err(Error::BadParams(format!("unknown behaviour `{other}`"))),
        }
    }
}

/// A bare WebAssembly trap (`unreachable`), unlike a panic, which first runs the panic hook.
#[cfg(target_family = "wasm")]
fn trap() -> Result<(), Error> {
    core::arch::wasm32::unreachable()
}

/// Natively there is no trap instruction; the fixture only misbehaves as wasm.
#[cfg(not(target_family = "wasm"))]
fn trap() -> Result<(), Error> {
    Err(Error::Other("trap is only staged in wasm".into()))
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
