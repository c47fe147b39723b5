//! The data-driven tables of the mapping plugin: header spellings → target fields
//! (`tables/headers.tsv`) and raw values → normalised values (`tables/values.tsv`).

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

use std::path::Path;

use sluice_plugin_mapping::Mapping;
use sluice_sdk::{Batch, Context, MappingStatus, ParamValue, Params, Transform, TransformOutput};

fn table(name: &str) -> Vec<(usize, Vec<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tables")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(n, l)| (n + 1, l.split('\t').map(String::from).collect()))
        .collect()
}

/// A header that maps to Interaction Type or Date, whichever `target` is not: the plugin
/// refuses a file with neither (or Contact Type) as not an interactions export.
fn companion(target: &str) -> &'static str {
    if target.contains("Interaction Type") {
        "Date"
    } else {
        "Interaction Type"
    }
}

#[test]
fn header_spellings() {
    let rows = table("headers.tsv");
    assert!(rows.len() >= 60, "only {} headers", rows.len());
    let mut failures = Vec::new();
    for (line, cells) in &rows {
        let (header, want) = (&cells[0], cells[1].trim());
        let (_, plan) = Mapping::prepare(
            &[header.clone(), companion(want).to_string()],
            &Batch::new(2),
            &Params::default(),
            &Context::default(),
        )
        .unwrap();
        let m = &plan.mappings[0];
        // A composite column names its parts; an address part names the whole and itself.
        let shown = match m.targets.as_slice() {
            [first, ..] if first == "First Name" && m.targets.len() == 3 => "Full Name".to_string(),
            [_, part] => part.clone(),
            [one] => one.clone(),
            _ => format!("{:?}", m.targets),
        };
        let got = match m.status {
            MappingStatus::Certain => shown,
            MappingStatus::Uncertain => format!("uncertain: {shown}"),
            MappingStatus::Unmapped => "unmapped".into(),
            MappingStatus::Excluded => "excluded".into(),
        };
        if got != want {
            failures.push(format!(
                "line {line}: {header:?}: expected {want}, got {got} ({}, {:.2})",
                m.reason, m.confidence
            ));
        }
        assert!(
            m.applied == (m.status == MappingStatus::Certain),
            "{header:?}: applied {}",
            m.applied
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Parses `key=value;key=value` into params (text values).
fn params(spec: &str) -> Params {
    Params(
        spec.split(';')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), ParamValue::Text(v.to_string()))
            })
            .collect(),
    )
}

#[test]
fn value_normalisation() {
    let rows = table("values.tsv");
    assert!(rows.len() >= 80, "only {} values", rows.len());
    let mut failures = Vec::new();
    for (line, cells) in &rows {
        let get = |i: usize| cells.get(i).map_or("", |s| s.as_str());
        let (column, raw, want, flag, spec) = (get(0), get(1), get(2), get(3), get(4));
        let ctx = Context {
            timezone: "America/New_York".into(),
            ..Context::default()
        };
        let other = companion(column);
        let columns = vec![column.to_string(), other.to_string()];
        let mut input = Batch::new(2);
        input.push_row(2, [raw, ""]);
        let (mut plugin, plan) = Mapping::prepare(&columns, &input, &params(spec), &ctx).unwrap();
        let mut out = TransformOutput {
            values: Batch::new(plan.computed()),
            verdicts: Vec::new(),
        };
        plugin
            .process(&input.project(&plan.reads), &mut out)
            .unwrap();
        let row = plan.apply(&input, &out.values);
        let got: Vec<&str> = row
            .row(0)
            .cells()
            .zip(&plan.columns)
            .filter(|(_, c)| c.name != other)
            .map(|(cell, _)| cell)
            .collect();
        let got = got.join(" | ");
        let flags: Vec<String> = out
            .verdicts
            .iter()
            .flat_map(|v| match &v.verdict {
                sluice_sdk::Verdict::Flag(r) | sluice_sdk::Verdict::Reject(r) => r.clone(),
                sluice_sdk::Verdict::Ok => Vec::new(),
            })
            .collect();
        let flag_ok = if flag.is_empty() {
            flags.is_empty()
        } else {
            flags.iter().any(|f| f.contains(flag))
        };
        if got != want || !flag_ok {
            failures.push(format!(
                "line {line}: {column} {raw:?}: expected {want:?} (flag {flag:?}), got {got:?} (flags {flags:?})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
