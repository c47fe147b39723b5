//! `sluice template interactions`: writes the interactions template as CSV, every field of
//! SPEC §1 in the order the `mapping` plugin outputs them, with two example rows (a call,
//! and a meeting with a pledge).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Exit, Failure, output};

/// The templates there are.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum TemplateName {
    /// Interactions with contacts, optionally with pledges.
    Interactions,
}

/// Arguments of `sluice template`.
#[derive(Debug, Args)]
pub(super) struct TemplateArgs {
    /// Which template.
    template: TemplateName,
    /// Write it to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The interactions template's fields, shared with the `mapping` plugin through the SDK.
const FIELDS: [&str; 18] = sluice_sdk::TEMPLATE_FIELDS;

const EXAMPLES: [[&str; 18]; 2] = [
    [
        "Call",
        "3/14/2025 10:30 AM",
        "individual",
        "Maria",
        "Gonzalez",
        "",
        "12 Main St, Springfield, IL 62701",
        "maria.gonzalez@example.org",
        "(217) 555-0143",
        "Springfield Schools",
        "Teacher",
        "2024 Cycle",
        "spoke",
        "",
        "",
        "",
        "",
        "Interested in volunteering",
    ],
    [
        "Meeting",
        "2025-03-20",
        "individual",
        "James",
        "Carter",
        "Jr.",
        "48 Oak Ave, Columbus, OH 43004",
        "jcarter@example.com",
        "614-555-0199",
        "Carter Hardware",
        "Owner",
        "2024 Cycle",
        "pledge",
        "$1,250.00",
        "Monthly",
        "4/30/2025",
        "SPRING25",
        "Pledged at the spring breakfast",
    ],
];

/// One CSV record, quoting fields that need it.
fn record(fields: &[&str]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                (*f).to_string()
            }
        })
        .collect();
    cells.join(",") + "\r\n"
}

pub(super) fn run(args: &TemplateArgs) -> Result<Exit, Failure> {
    let TemplateName::Interactions = args.template;
    let mut csv = record(&FIELDS);
    for row in &EXAMPLES {
        csv.push_str(&record(row));
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, csv).map_err(|e| {
                Failure::new(
                    Exit::Failed,
                    format!("cannot write {}: {e}", path.display()),
                )
                .fix("check that the directory exists and is writable")
            })?;
            output::note(&format!(
                "wrote the interactions template to {}",
                path.display()
            ));
        }
        None => output::raw(csv.as_bytes()),
    }
    Ok(Exit::Ok)
}
