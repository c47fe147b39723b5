//! `sluice map`: the mapping preview. Shows, for each source column, sample values, the
//! target field, the confidence, a warning mark where the mapping is a guess, and whether it
//! is excluded or unmapped; optionally writes the mapping as a TOML snippet to confirm.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sluice_sdk::MappingStatus;

use super::{Exit, Failure, load_pipeline, output};
use crate::pipeline::{self, ImportOptions, Preview};

/// Exit codes of `sluice map`.
pub(super) const MAP_EXIT_CODES: &str = "\
Exit codes:
  0   every column is mapped with certainty, excluded, or unmapped
  3   some mapping is uncertain: confirm it in `columns` (see --write-config)
  1   the file cannot be read, or a plugin failed
  2   usage or configuration error";

/// Arguments of `sluice map`.
#[derive(Debug, Args)]
pub(super) struct MapArgs {
    /// The pipeline TOML file.
    pipeline: PathBuf,
    /// The file to preview.
    file: PathBuf,
    /// How many sample rows to read and show.
    #[arg(long, default_value_t = 3, value_name = "N")]
    samples: usize,
    /// The import's time zone (IANA name), overriding the pipeline's.
    #[arg(long, value_name = "TZ")]
    timezone: Option<String>,
    /// The import's member code, overriding the pipeline's.
    #[arg(long, value_name = "CODE")]
    member_code: Option<String>,
    /// Write the mapping (certain and uncertain, and the excluded columns) as a TOML snippet
    /// to paste into the mapping stage's params; writing it is how a guess is confirmed.
    #[arg(long, value_name = "PATH")]
    write_config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One source column in `--json` output.
#[derive(Debug, Serialize)]
struct ColumnJson<'a> {
    /// The pipeline stage that mapped it.
    stage: &'a str,
    /// The column's position in the stage's input, from 0.
    index: u32,
    /// Its header.
    column: &'a str,
    /// Its first values.
    samples: Vec<&'a str>,
    /// The fields it feeds (or would feed, once confirmed).
    targets: &'a [String],
    confidence: f64,
    reason: &'a str,
    /// certain, uncertain, excluded or unmapped.
    status: &'static str,
    /// Whether the import uses it as shown.
    applied: bool,
}

/// The whole `--json` output.
#[derive(Debug, Serialize)]
struct MapJson<'a> {
    file: String,
    pipeline: &'a str,
    /// Whether no mapping is uncertain (exit 0).
    certain: bool,
    columns: Vec<ColumnJson<'a>>,
    /// The columns and sample rows after every transform.
    output: OutputJson<'a>,
    warnings: &'a [String],
}

#[derive(Debug, Serialize)]
struct OutputJson<'a> {
    columns: &'a [String],
    samples: &'a [Vec<String>],
}

pub(super) fn run(args: &MapArgs) -> Result<Exit, Failure> {
    let (host, pipeline) = load_pipeline(&args.pipeline)?;
    let opts = ImportOptions {
        timezone: args.timezone.clone(),
        member_code: args.member_code.clone(),
        ..ImportOptions::default()
    };
    let preview = pipeline::preview(&host, &pipeline, &args.file, &opts, args.samples)?;
    let columns = column_rows(&preview);
    let certain = !columns
        .iter()
        .any(|c| c.status == MappingStatus::Uncertain.as_str());

    if let Some(path) = &args.write_config {
        let snippet = snippet(&preview, &args.pipeline);
        std::fs::write(path, snippet).map_err(|e| {
            Failure::new(
                Exit::Failed,
                format!("cannot write {}: {e}", path.display()),
            )
            .fix("check that the directory exists and is writable")
        })?;
    }

    if args.json {
        output::json(&MapJson {
            file: preview.file.display().to_string(),
            pipeline: &pipeline.spec.name,
            certain,
            columns,
            output: OutputJson {
                columns: &preview.output_columns,
                samples: &preview.output_samples,
            },
            warnings: &preview.warnings,
        });
    } else {
        print_human(&preview, &columns, &pipeline.spec.name);
        if let Some(path) = &args.write_config {
            output::line(&format!("\nmapping written to {}", path.display()));
        }
    }
    Ok(if certain { Exit::Ok } else { Exit::Partial })
}

/// Every mapped input column of every stage that reports mappings.
fn column_rows(preview: &Preview) -> Vec<ColumnJson<'_>> {
    let mut rows = Vec::new();
    for stage in &preview.stages {
        // Samples are known for the columns as the source read them.
        let from_source = stage.input_columns == preview.columns;
        for m in &stage.plan.mappings {
            let i = m.input as usize;
            rows.push(ColumnJson {
                stage: &stage.section,
                index: m.input,
                column: stage.input_columns.get(i).map_or("", String::as_str),
                samples: if from_source {
                    preview
                        .samples
                        .iter()
                        .filter_map(|r| r.get(i).map(String::as_str))
                        .collect()
                } else {
                    Vec::new()
                },
                targets: &m.targets,
                confidence: m.confidence,
                reason: &m.reason,
                status: m.status.as_str(),
                applied: m.applied,
            });
        }
    }
    rows
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn print_human(preview: &Preview, columns: &[ColumnJson<'_>], pipeline: &str) {
    output::line(&format!(
        "mapping of {} through `{pipeline}`:\n",
        preview.file.display()
    ));
    let rows: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            let samples: Vec<String> = c.samples.iter().map(|s| shorten(s, 18)).collect();
            let uncertain = c.status == MappingStatus::Uncertain.as_str();
            let target = match (c.targets.is_empty(), uncertain) {
                (true, _) => "-".to_string(),
                (false, false) => c.targets.join(" + "),
                (false, true) => format!("{}?", c.targets.join(" + ")),
            };
            let status = match (c.status, c.applied) {
                ("uncertain", _) => "! uncertain, not applied".to_string(),
                ("unmapped", true) => "unmapped, kept in Notes".to_string(),
                ("unmapped", false) => "unmapped, not imported".to_string(),
                (s, _) => s.to_string(),
            };
            vec![
                c.column.to_string(),
                samples.join(" | "),
                target,
                if matches!(c.status, "unmapped" | "excluded") && c.confidence == 0.0 {
                    "-".into()
                } else {
                    format!("{:.2}", c.confidence)
                },
                status,
                c.reason.to_string(),
            ]
        })
        .collect();
    output::line(&output::table(
        &[
            "source column",
            "samples",
            "target",
            "confidence",
            "status",
            "why",
        ],
        &rows,
    ));
    if !preview.output_columns.is_empty() {
        output::line("\nafter the transforms:");
        let rows: Vec<Vec<String>> = preview
            .output_columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<String> = preview
                    .output_samples
                    .iter()
                    .map(|r| shorten(r.get(i).map_or("", String::as_str), 24))
                    .collect();
                vec![name.clone(), values.join(" | ")]
            })
            .collect();
        output::line(&output::table(&["field", "sample values"], &rows));
    }
    if !preview.warnings.is_empty() {
        output::line("\nwarnings:");
        for w in &preview.warnings {
            output::line(&format!("  ! {w}"));
        }
    }
}

/// A TOML string literal.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The mapping as TOML to paste into the mapping stage's `[transform.params]`: every certain
/// or uncertain mapping as an explicit `columns` entry (a full name as `Full Name`, an
/// address part by its own name, as the mapping plugin's `columns` takes them), and the
/// excluded columns.
fn snippet(preview: &Preview, pipeline: &std::path::Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The column mapping of {}, written by `sluice map`.\n# Review it, then put it in \
         the params of the mapping stage of {}.\n# Lines marked `uncertain` are guesses: \
         keeping them confirms them.",
        preview
            .file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        pipeline.display()
    );
    for stage in preview
        .stages
        .iter()
        .filter(|s| !s.plan.mappings.is_empty())
    {
        let _ = writeln!(
            out,
            "\n# {} ({})\n[transform.params]",
            stage.section, stage.plugin
        );
        let excluded: Vec<String> = stage
            .plan
            .mappings
            .iter()
            .filter(|m| m.status == MappingStatus::Excluded)
            .filter_map(|m| stage.input_columns.get(m.input as usize))
            .map(|c| quote(c.trim()))
            .collect();
        if !excluded.is_empty() {
            let _ = writeln!(out, "exclude = [{}]", excluded.join(", "));
        }
        let _ = writeln!(out, "\n[transform.params.columns]");
        for m in &stage.plan.mappings {
            if !matches!(m.status, MappingStatus::Certain | MappingStatus::Uncertain) {
                continue;
            }
            let key = match m.targets.as_slice() {
                [first, _, _] if first == "First Name" => "Full Name",
                [_, part] => part.as_str(),
                [one] => one.as_str(),
                _ => continue,
            };
            let column = stage
                .input_columns
                .get(m.input as usize)
                .map_or("", |c| c.trim());
            let note = if m.status == MappingStatus::Uncertain {
                format!("uncertain ({:.2}): {}", m.confidence, m.reason)
            } else {
                m.reason.clone()
            };
            let _ = writeln!(out, "{} = {}  # {note}", quote(key), quote(column));
        }
    }
    out
}
