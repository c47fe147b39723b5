//! `sluice plugin`: inspect what a plugin declares.

use std::path::Path;

use clap::Subcommand;
use serde::Serialize;

use super::{Exit, Failure, host, output};
use crate::plugin::{self, LoadedPlugin};

#[derive(Debug, Subcommand)]
pub(super) enum PluginCommand {
    /// Write a new plugin crate that builds to wasm and passes its own tests.
    New {
        /// The plugin's name: lower-case letters, digits and hyphens.
        name: String,
        /// What kind of plugin.
        #[arg(long, value_enum)]
        kind: super::scaffold::NewKind,
        /// Where to write it (default: ./NAME).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// The sdk/ directory of a sluice checkout to build against (default: a copy of the
        /// SDK this sluice carries, written beside the crate; the workspace's when the crate
        /// goes into a sluice checkout's plugins/).
        #[arg(long)]
        sdk: Option<std::path::PathBuf>,
    },
    /// Print what a plugin declares: name, version, kind, parameters.
    Inspect {
        /// A `.wasm` component, or the name of a built-in plugin.
        plugin: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn inspect(name: &str, json: bool) -> Result<Exit, Failure> {
    let mut host = host()?;
    let plugin: LoadedPlugin = host.load(name, Path::new("")).map_err(|e| {
        if let plugin::Error::Environment { .. } = e {
            return Failure::new(Exit::Failed, e).fix(super::ENVIRONMENT_FIX);
        }
        let fix = match &e {
            plugin::Error::UnknownBuiltin { .. } | plugin::Error::Read { .. } => {
                "give the path to a .wasm file or a built-in plugin name"
            }
            _ => "build the plugin with sluice-sdk for the wasm32-wasip2 target",
        };
        Failure::new(Exit::Usage, e).fix(fix)
    })?;
    let info = &plugin.info;
    if json {
        #[derive(Serialize)]
        struct Param<'a> {
            name: &'a str,
            r#type: &'a str,
            required: bool,
            default: Option<&'a str>,
            help: &'a str,
        }
        #[derive(Serialize)]
        struct Shown<'a> {
            name: &'a str,
            version: &'a str,
            kind: &'a str,
            abi_version: &'a str,
            summary: &'a str,
            params: Vec<Param<'a>>,
        }
        output::json(&Shown {
            name: &info.name,
            version: &info.version,
            kind: info.kind.as_str(),
            abi_version: &info.abi_version,
            summary: &info.summary,
            params: info
                .params
                .iter()
                .map(|p| Param {
                    name: &p.name,
                    r#type: p.ty.as_str(),
                    required: p.required,
                    default: p.default_value.as_deref(),
                    help: &p.help,
                })
                .collect(),
        });
        return Ok(Exit::Ok);
    }
    output::line(&format!("name:     {}", info.name));
    output::line(&format!("version:  {}", info.version));
    output::line(&format!("kind:     {}", info.kind));
    output::line(&format!("abi:      sluice:plugin@{}", info.abi_version));
    output::line(&format!("summary:  {}", info.summary));
    if info.params.is_empty() {
        output::line("params:   none");
    } else {
        let rows: Vec<Vec<String>> = info
            .params
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.ty.as_str().to_string(),
                    if p.required {
                        "required".to_string()
                    } else {
                        p.default_value.clone().unwrap_or_else(|| "-".into())
                    },
                    p.help.clone(),
                ]
            })
            .collect();
        output::line("params:");
        output::line(&output::table(&["name", "type", "default", "help"], &rows));
    }
    Ok(Exit::Ok)
}
