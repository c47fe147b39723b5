//! The plugin host: loads WebAssembly components (built in or by path), checks them against
//! their world, caches their compiled code, and runs them in a sandbox.
//!
//! Nothing outside this module sees wasmtime: errors become [`Error`] here and never escape
//! as `wasmtime::Error`.
//!
//! **Invariant:** a plugin gets no filesystem, network, environment or clock, and at most
//! [`Limits`] of time per call and memory per instance. A fault ends the instance, never the
//! process.

mod bindings;
mod builtin;
mod cache;
mod error;
mod host;
mod stage;

pub use builtin::names as builtin_names;
pub use cache::{Cache, hex};
pub use error::{Error, RowRange, Stage};
pub use host::{Host, Limits, LoadedPlugin};
pub use stage::{CandidateScore, MatcherStage, SourceStage, TransformStage, ValidatorStage};
