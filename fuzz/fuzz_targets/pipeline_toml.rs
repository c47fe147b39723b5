//! Fuzz target: the pipeline loader (`PipelineSpec::parse`, engine/src/config) on arbitrary
//! text, then the parameters of every stage naming a built-in plugin linked here (csv,
//! excel, mapping) checked and the plugin opened with them.
//!
//! The config module is compiled here from the engine's source, not by linking the engine:
//! that would bring wasmtime and SQLite, a build of several GB for code this target never
//! runs. The two engine items the module uses are stood in for below; a new `crate::` use in
//! the config module shows up here as a build error.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sluice_plugin_csv::Csv;
use sluice_plugin_excel::Excel;
use sluice_plugin_mapping::Mapping;
use sluice_sdk::{Context, Source, Transform};

#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../../engine/src/config/mod.rs"]
mod config;

/// Stand-ins for `crate::plugin` as the config module uses it.
#[allow(dead_code, unreachable_pub)]
mod plugin {
    use std::time::Duration;

    /// As `plugin::Limits`.
    #[derive(Clone, Copy, Debug)]
    pub struct Limits {
        pub call_timeout: Duration,
        pub memory: usize,
    }

    /// As `plugin::hex`.
    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// As `plugin::Error`, which the config module only carries.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Error(String);
}

/// Stand-ins for `crate::store` as the config module uses it.
#[allow(dead_code, unreachable_pub)]
mod store {
    /// As `store::FieldPolicy`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub enum FieldPolicy {
        #[default]
        Fill,
        Replace,
        Ignore,
    }

    impl FieldPolicy {
        pub fn as_str(self) -> &'static str {
            match self {
                FieldPolicy::Fill => "fill",
                FieldPolicy::Replace => "replace",
                FieldPolicy::Ignore => "ignore",
            }
        }

        pub fn parse(s: &str) -> Option<FieldPolicy> {
            match s {
                "fill" => Some(FieldPolicy::Fill),
                "replace" => Some(FieldPolicy::Replace),
                "ignore" => Some(FieldPolicy::Ignore),
                _ => None,
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("pipelines/fuzz.toml");
    let Ok(spec) = config::PipelineSpec::parse(path, text) else {
        return;
    };
    let ctx = Context::default();
    for (stage, _) in spec.stages() {
        match stage.plugin.as_str() {
            "csv" => {
                if let Ok(params) = stage.check_params(path, &Csv::describe()) {
                    let _ = Csv::open(&params, &ctx);
                }
            }
            "excel" => {
                if let Ok(params) = stage.check_params(path, &Excel::describe()) {
                    let _ = Excel::open(&params, &ctx);
                }
            }
            "mapping" => {
                if let Ok(params) = stage.check_params(path, &Mapping::describe()) {
                    let columns = [
                        "Date".to_string(),
                        "Email".to_string(),
                        "Amount".to_string(),
                    ];
                    let _ = Mapping::prepare(&columns, &params, &ctx);
                }
            }
            _ => {}
        }
    }
});
