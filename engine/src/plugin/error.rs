//! `plugin::Error`: everything that can go wrong loading or running a plugin, each variant
//! naming the plugin and, for faults during an import, the stage and the rows in hand.

use std::fmt;
use std::path::PathBuf;

use sluice_sdk::Kind;

/// The row numbers a call was working on, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRange {
    /// The first row number of the batch.
    pub first: u32,
    /// The last row number of the batch.
    pub last: u32,
}

impl RowRange {
    /// The range spanned by `numbers`, `None` when empty.
    #[must_use]
    pub fn of(numbers: &[u32]) -> Option<Self> {
        Some(Self {
            first: *numbers.iter().min()?,
            last: *numbers.iter().max()?,
        })
    }
}

impl fmt::Display for RowRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "row {}", self.first)
        } else {
            write!(f, "rows {}-{}", self.first, self.last)
        }
    }
}

/// The operating system's error under `e`, when the machine (memory, address space,
/// files) rather than the plugin failed; `None` for traps and for everything the plugin's
/// bytes or code caused.
pub(crate) fn system_cause(e: &wasmtime::Error) -> Option<String> {
    if e.downcast_ref::<wasmtime::Trap>().is_some() {
        return None;
    }
    if e.downcast_ref::<wasmtime::OutOfMemory>().is_some() {
        return Some(format!("{e:#}"));
    }
    // wasmtime wraps OS errors in context (`mmap failed to reserve …`) and passes some on as
    // rustix's `Errno` rather than `std::io::Error`; both print `… (os error N)`.
    e.chain()
        .any(|c| c.is::<std::io::Error>() || c.to_string().contains("(os error "))
        .then(|| format!("{e:#}"))
}

/// Where in a pipeline a call happened, e.g. `validate #1`.
pub type Stage = String;

fn rows_suffix(rows: Option<&RowRange>) -> String {
    rows.map(|r| format!(" at {r}")).unwrap_or_default()
}

/// What can go wrong loading or running a plugin.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plugin file cannot be read.
    #[error("cannot read plugin {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A plugin name that is neither built in nor a path.
    #[error(
        "no built-in plugin is called `{name}`; built-in plugins are {known}, or give a path to a .wasm file"
    )]
    UnknownBuiltin {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// The bytes are not a loadable component.
    #[error("plugin {plugin} is not a WebAssembly component sluice can load: {message}")]
    Compile {
        /// The plugin.
        plugin: String,
        /// Why.
        message: String,
    },
    /// The component does not implement the world it claims, or no world at all.
    #[error("plugin {plugin} does not implement the sluice `{kind}` world it declares: {message}")]
    WrongWorld {
        /// The plugin.
        plugin: String,
        /// The kind its `describe()` returned.
        kind: Kind,
        /// Why.
        message: String,
    },
    /// The plugin is of another kind than the pipeline stage needs.
    #[error("plugin {plugin} is a {found} plugin, but this stage needs a {expected} plugin")]
    KindMismatch {
        /// The plugin.
        plugin: String,
        /// Its kind.
        found: Kind,
        /// The stage's kind.
        expected: Kind,
    },
    /// The plugin was built against an incompatible ABI.
    #[error(
        "plugin {plugin} was built for plugin ABI {found}, this sluice speaks {supported}; rebuild it against the matching sluice-sdk"
    )]
    AbiMismatch {
        /// The plugin.
        plugin: String,
        /// Its ABI version.
        found: String,
        /// Ours.
        supported: String,
    },
    /// The machine refused what compiling, starting or running a plugin needs (address space,
    /// memory, a file): a fault of the environment, not of the plugin or the pipeline.
    #[error("cannot {action} plugin {plugin}: the system refused: {message}")]
    Environment {
        /// The plugin.
        plugin: String,
        /// What was being done: `compile`, `start` or `run`.
        action: &'static str,
        /// The operating system's words.
        message: String,
    },
    /// The plugin trapped, ran out of time or memory, or overflowed its stack.
    #[error("plugin {plugin} failed in {stage}{}: {message}", rows_suffix(rows.as_ref()))]
    Fault {
        /// The plugin.
        plugin: String,
        /// The pipeline stage.
        stage: Stage,
        /// The rows in hand.
        rows: Option<RowRange>,
        /// What happened.
        message: String,
    },
    /// The plugin returned an error for the whole call.
    #[error("plugin {plugin} in {stage}{}: {message}", rows_suffix(rows.as_ref()))]
    Refused {
        /// The plugin.
        plugin: String,
        /// The pipeline stage.
        stage: Stage,
        /// The rows in hand.
        rows: Option<RowRange>,
        /// The plugin's message.
        message: String,
        /// Whether the input file (not the pipeline) is at fault.
        bad_input: bool,
    },
    /// The plugin returned something that breaks the ABI's rules.
    #[error("plugin {plugin} returned an invalid result in {stage}{}: {message}", rows_suffix(rows.as_ref()))]
    Protocol {
        /// The plugin.
        plugin: String,
        /// The pipeline stage.
        stage: Stage,
        /// The rows in hand.
        rows: Option<RowRange>,
        /// What is wrong.
        message: String,
    },
}
