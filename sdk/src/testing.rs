//! The native test harness: runs a plugin's trait impl on TOML case files, no wasm needed.
//!
//! One case file describes one input and the outcome expected from it. The schema lives
//! here once: `cargo test` in a plugin crate runs its cases natively through
//! [`check_dir`], and the host's `sluice plugin test FILE.wasm CASES` runs the same files
//! through the built component and compares with the same [`Case`] methods.
//!
//! ```toml
//! description = "a missing date is rejected"
//! params = { date_order = "mdy" }          # optional
//! columns = ["Interaction Type", "Date"]   # validator, transform, matcher
//! rows = [["Call", ""]]                    # numbered from 2: the header is row 1
//! input = "a,b\n1,2\n"                     # source: the file's text ...
//! chunk = 3                                # ... pushed in chunks of this many bytes
//!
//! [expect]
//! verdicts = [{ row = 2, reject = ["missing Date"] }]   # validator/transform: all non-ok rows
//! columns = ["A"]                                       # transform/source output header
//! rows = [["1"]]                                        # transform/source output rows
//! row_numbers = [2]                                     # source output row numbers
//! rejects = [{ row = 3, reason = "..." }]               # source rejects
//! matches = [{ row = 2, contact = 7 }]                  # matcher: best candidate per row (score >= 0.5)
//! error = "substring of the expected error"             # the call fails as a whole
//! mappings = [{ column = "Emial", status = "uncertain", targets = ["Primary Email"] }]
//!                                                       # transform: these columns' mappings
//! ```
//!
//! Matcher cases list stored contacts as `contacts = [{ id = 7, "Primary Email" = "..." }]`;
//! a contact is a candidate of a record when they share a blocking key, as in the host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{
    Batch, CONTACT_FIELDS, Context, Error, Matcher, ParamValue, Params, Source, SourceOutput,
    Transform, TransformOutput, Validator, Verdict,
};

/// One test case, as read from a TOML file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case shows.
    #[serde(default)]
    pub description: String,
    /// The plugin's parameters.
    #[serde(default)]
    pub params: toml::Table,
    /// Overrides of the default context.
    #[serde(default)]
    pub context: Option<CaseContext>,
    /// Input header (validator, transform, matcher).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Input rows, numbered from 2.
    #[serde(default)]
    pub rows: Vec<Vec<String>>,
    /// Transform cases: how many of the first rows the host hands `prepare` as samples, as
    /// if the rest of the file came later (default: all of them, up to
    /// [`crate::PREPARE_SAMPLES`]).
    #[serde(default)]
    pub samples: Option<usize>,
    /// Input file text (source).
    #[serde(default)]
    pub input: Option<String>,
    /// Input file bytes as hex, for non-UTF-8 files (source).
    #[serde(default)]
    pub input_hex: Option<String>,
    /// Chunk size used to push `input` (source); default 64 KiB.
    #[serde(default)]
    pub chunk: Option<usize>,
    /// Stored contacts (matcher).
    #[serde(default)]
    pub contacts: Vec<BTreeMap<String, toml::Value>>,
    /// The expected outcome.
    #[serde(default)]
    pub expect: Expect,
}

/// Context fields a case may set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseContext {
    /// The input file's name.
    pub file_name: Option<String>,
    /// The time zone.
    pub timezone: Option<String>,
    /// The member code.
    pub member_code: Option<String>,
}

/// The expected outcome of a case.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Every row that is not ok.
    #[serde(default)]
    pub verdicts: Vec<ExpectVerdict>,
    /// Output header.
    pub columns: Option<Vec<String>>,
    /// Output rows.
    pub rows: Option<Vec<Vec<String>>>,
    /// Output row numbers (source).
    pub row_numbers: Option<Vec<u32>>,
    /// Source rejects.
    #[serde(default)]
    pub rejects: Vec<ExpectReject>,
    /// Best candidate per row; rows not listed match nothing.
    #[serde(default)]
    pub matches: Vec<ExpectMatch>,
    /// Output warnings that must appear (substrings).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// A substring of the error the case must fail with.
    pub error: Option<String>,
    /// Mappings of the named input columns (transform); columns not listed are not checked.
    #[serde(default)]
    pub mappings: Vec<ExpectMapping>,
}

/// The expected mapping of one input column.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectMapping {
    /// The input column's header.
    pub column: String,
    /// `certain`, `uncertain`, `excluded` or `unmapped`.
    pub status: String,
    /// The fields it feeds (or would, once confirmed).
    #[serde(default)]
    pub targets: Vec<String>,
    /// The reason shown for it, when the case checks it.
    #[serde(default)]
    pub reason: Option<String>,
}

/// An expected non-ok verdict.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectVerdict {
    /// The row number.
    pub row: u32,
    /// Reasons of a flag.
    pub flag: Option<Vec<String>>,
    /// Reasons of a reject.
    pub reject: Option<Vec<String>>,
}

/// An expected source reject.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectReject {
    /// The row number.
    pub row: u32,
    /// The reason.
    pub reason: String,
}

/// An expected best candidate.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectMatch {
    /// The record's row number.
    pub row: u32,
    /// The contact id expected to score highest.
    pub contact: i64,
}

/// What running a case produced, whichever way it ran.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Non-ok verdicts by row number.
    pub verdicts: Vec<(u32, Verdict)>,
    /// Output header (transform, source).
    pub columns: Vec<String>,
    /// Output rows (transform, source).
    pub rows: Vec<Vec<String>>,
    /// Output row numbers (source).
    pub row_numbers: Vec<u32>,
    /// Source rejects as (row, reason).
    pub rejects: Vec<(u32, String)>,
    /// Best candidate per row number (matcher).
    pub matches: Vec<(u32, i64)>,
    /// Warnings from every step.
    pub warnings: Vec<String>,
    /// Per input column (transform): its header, mapping status and targets.
    pub mappings: Vec<(String, String, Vec<String>, String)>,
}

impl Case {
    /// Reads a case file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The case's parameters as checked values (TOML types map one to one).
    pub fn params(&self) -> Result<Params, String> {
        self.params
            .iter()
            .map(|(k, v)| {
                param_value(v)
                    .map(|v| (k.clone(), v))
                    .ok_or(format!("param `{k}` has an unsupported type"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Params)
    }

    /// The context: defaults overridden by the case.
    #[must_use]
    pub fn context(&self) -> Context {
        let c = self.context.clone().unwrap_or_default();
        Context {
            pipeline: "test".into(),
            file_name: c.file_name.unwrap_or_else(|| "input.csv".into()),
            timezone: c.timezone.unwrap_or_else(|| "UTC".into()),
            member_code: c.member_code,
        }
    }

    /// The input rows as a batch numbered from 2.
    #[must_use]
    pub fn batch(&self) -> Batch {
        let mut batch = Batch::new(self.columns.len());
        for (number, row) in (2u32..).zip(&self.rows) {
            batch.push_row(number, row);
        }
        batch
    }

    /// The rows a transform's `prepare` gets as samples (see [`Case::samples`]).
    #[must_use]
    pub fn sample_batch(&self) -> Batch {
        let take = self
            .samples
            .unwrap_or(crate::PREPARE_SAMPLES)
            .min(crate::PREPARE_SAMPLES);
        let mut batch = Batch::new(self.columns.len());
        for (number, row) in (2u32..).zip(&self.rows).take(take) {
            batch.push_row(number, row);
        }
        batch
    }

    /// The source input bytes.
    pub fn input_bytes(&self) -> Result<Vec<u8>, String> {
        match (&self.input, &self.input_hex) {
            (Some(text), None) => Ok(text.as_bytes().to_vec()),
            (None, Some(hex)) => decode_hex(hex),
            _ => Err("a source case needs exactly one of `input` and `input_hex`".into()),
        }
    }

    /// The stored contacts as ids and a batch in [`CONTACT_FIELDS`] order.
    pub fn contact_batch(&self) -> Result<(Vec<i64>, Batch), String> {
        let mut ids = Vec::new();
        let mut batch = Batch::new(CONTACT_FIELDS.len());
        for contact in &self.contacts {
            let id = contact
                .get("id")
                .and_then(toml::Value::as_integer)
                .ok_or("every contact needs an integer `id`")?;
            if let Some(k) = contact
                .keys()
                .find(|k| *k != "id" && !CONTACT_FIELDS.contains(&k.as_str()))
            {
                return Err(format!("contact {id}: `{k}` is not a contact field"));
            }
            ids.push(id);
            batch.push_row(
                0,
                CONTACT_FIELDS
                    .iter()
                    .map(|f| contact.get(*f).and_then(toml::Value::as_str).unwrap_or("")),
            );
        }
        Ok((ids, batch))
    }

    /// The input rows as matcher records (columns picked by name into contact-field order).
    #[must_use]
    pub fn record_batch(&self) -> Batch {
        let mut batch = Batch::new(CONTACT_FIELDS.len());
        let input = self.batch();
        let index: Vec<Option<usize>> = CONTACT_FIELDS
            .iter()
            .map(|f| self.columns.iter().position(|c| c.eq_ignore_ascii_case(f)))
            .collect();
        for row in input.iter() {
            batch.push_row(
                row.number(),
                index.iter().map(|i| i.map_or("", |i| row.get(i))),
            );
        }
        batch
    }

    /// Compares an outcome (or the error that ended the run) with the expectation; returns
    /// every difference.
    pub fn compare(&self, result: &Result<Outcome, String>) -> Vec<String> {
        let mut diffs = Vec::new();
        let outcome = match (result, &self.expect.error) {
            (Err(e), Some(want)) if e.contains(want.as_str()) => return diffs,
            (Err(e), _) => return vec![format!("failed: {e}")],
            (Ok(_), Some(want)) => {
                return vec![format!("succeeded, expected an error containing {want:?}")];
            }
            (Ok(o), None) => o,
        };
        let want: Vec<(u32, Verdict)> = self
            .expect
            .verdicts
            .iter()
            .map(|v| match (&v.flag, &v.reject) {
                (_, Some(r)) => (v.row, Verdict::Reject(r.clone())),
                (Some(f), None) => (v.row, Verdict::Flag(f.clone())),
                (None, None) => (v.row, Verdict::Ok),
            })
            .collect();
        if want != outcome.verdicts {
            diffs.push(format!(
                "verdicts:\n  expected {want:?}\n  actual   {:?}",
                outcome.verdicts
            ));
        }
        if let Some(columns) = &self.expect.columns
            && *columns != outcome.columns
        {
            diffs.push(format!(
                "columns:\n  expected {columns:?}\n  actual   {:?}",
                outcome.columns
            ));
        }
        if let Some(rows) = &self.expect.rows
            && *rows != outcome.rows
        {
            diffs.push(format!(
                "rows:\n  expected {rows:?}\n  actual   {:?}",
                outcome.rows
            ));
        }
        if let Some(numbers) = &self.expect.row_numbers
            && *numbers != outcome.row_numbers
        {
            diffs.push(format!(
                "row numbers:\n  expected {numbers:?}\n  actual   {:?}",
                outcome.row_numbers
            ));
        }
        let rejects: Vec<(u32, String)> = self
            .expect
            .rejects
            .iter()
            .map(|r| (r.row, r.reason.clone()))
            .collect();
        if rejects != outcome.rejects {
            diffs.push(format!(
                "rejects:\n  expected {rejects:?}\n  actual   {:?}",
                outcome.rejects
            ));
        }
        let matches: Vec<(u32, i64)> = self
            .expect
            .matches
            .iter()
            .map(|m| (m.row, m.contact))
            .collect();
        if matches != outcome.matches {
            diffs.push(format!(
                "matches:\n  expected {matches:?}\n  actual   {:?}",
                outcome.matches
            ));
        }
        for m in &self.expect.mappings {
            let want = (m.column.clone(), m.status.clone(), m.targets.clone());
            let got = outcome.mappings.iter().find(|(c, ..)| *c == m.column);
            match got.map(|(c, s, t, reason)| ((c.clone(), s.clone(), t.clone()), reason)) {
                Some((got, reason))
                    if got == want && m.reason.as_ref().is_none_or(|r| r == reason) => {}
                got => diffs.push(format!(
                    "mapping of {:?}:\n  expected {want:?} (reason {:?})\n  actual   {got:?}",
                    m.column, m.reason
                )),
            }
        }
        for w in &self.expect.warnings {
            if !outcome.warnings.iter().any(|o| o.contains(w.as_str())) {
                diffs.push(format!(
                    "no warning contains {w:?}; warnings: {:?}",
                    outcome.warnings
                ));
            }
        }
        diffs
    }
}

fn param_value(v: &toml::Value) -> Option<ParamValue> {
    Some(match v {
        toml::Value::String(s) => ParamValue::Text(s.clone()),
        toml::Value::Integer(i) => ParamValue::Integer(*i),
        toml::Value::Float(f) => ParamValue::Number(*f),
        toml::Value::Boolean(b) => ParamValue::Boolean(*b),
        toml::Value::Array(a) => ParamValue::TextList(
            a.iter()
                .map(|v| v.as_str().map(String::from))
                .collect::<Option<_>>()?,
        ),
        toml::Value::Table(t) => ParamValue::TextMap(
            t.iter()
                .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect::<Option<_>>()?,
        ),
        toml::Value::Datetime(_) => return None,
    })
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("bad hex byte {:?}", String::from_utf8_lossy(pair)))
        })
        .collect()
}

fn err(e: &Error) -> String {
    e.to_string()
}

/// Collects a batch's verdicts keyed by row number, in row order.
fn by_row(batch: &Batch, verdicts: Vec<crate::RowVerdict>) -> Vec<(u32, Verdict)> {
    let mut out: Vec<(u32, Verdict)> = verdicts
        .into_iter()
        .filter(|v| v.verdict != Verdict::Ok)
        .map(|v| (batch.row(v.index as usize).number(), v.verdict))
        .collect();
    out.sort_by_key(|(row, _)| *row);
    out
}

fn batch_rows(batch: &Batch) -> Vec<Vec<String>> {
    batch
        .iter()
        .map(|r| r.cells().map(String::from).collect())
        .collect()
}

/// Runs a validator natively on a case.
pub fn run_validator<T: Validator>(case: &Case) -> Result<Outcome, String> {
    let (mut plugin, plan) =
        T::prepare(&case.columns, &case.params()?, &case.context()).map_err(|e| err(&e))?;
    let input = case.batch();
    let reads = input.project(&plan.reads);
    let mut verdicts = Vec::new();
    plugin
        .validate(&reads, &mut verdicts)
        .map_err(|e| err(&e))?;
    Ok(Outcome {
        verdicts: by_row(&input, verdicts),
        warnings: plan.warnings,
        ..Outcome::default()
    })
}

/// Runs a transform natively on a case, applying its plan as the host does.
pub fn run_transform<T: Transform>(case: &Case) -> Result<Outcome, String> {
    let (mut plugin, plan) = T::prepare(
        &case.columns,
        &case.sample_batch(),
        &case.params()?,
        &case.context(),
    )
    .map_err(|e| err(&e))?;
    let input = case.batch();
    let computed_count = plan.computed();
    let mut out = TransformOutput {
        values: Batch::new(computed_count),
        verdicts: Vec::new(),
    };
    if computed_count > 0 {
        plugin
            .process(&input.project(&plan.reads), &mut out)
            .map_err(|e| err(&e))?;
        if out.values.len() != input.len() || out.values.width() != computed_count {
            return Err(format!(
                "process returned {} rows of {} columns for {} rows of {computed_count} computed columns",
                out.values.len(),
                out.values.width(),
                input.len()
            ));
        }
    }
    let rows = batch_rows(&plan.apply(&input, &out.values));
    let mappings = plan
        .mappings
        .iter()
        .map(|m| {
            let column = case
                .columns
                .get(m.input as usize)
                .cloned()
                .unwrap_or_default();
            (
                column,
                m.status.as_str().to_string(),
                m.targets.clone(),
                m.reason.clone(),
            )
        })
        .collect();
    Ok(Outcome {
        mappings,
        verdicts: by_row(&input, out.verdicts),
        columns: plan.columns.into_iter().map(|c| c.name).collect(),
        rows,
        warnings: plan.warnings,
        ..Outcome::default()
    })
}

/// Adds one source step's output to the outcome; returns the row width now known.
fn collect_source(out: SourceOutput, outcome: &mut Outcome) -> usize {
    if let Some(columns) = out.columns {
        outcome.columns = columns;
    }
    outcome.rows.extend(batch_rows(&out.rows));
    outcome.verdicts.extend(by_row(&out.rows, out.verdicts));
    outcome
        .row_numbers
        .extend_from_slice(out.rows.row_numbers());
    outcome
        .rejects
        .extend(out.rejects.into_iter().map(|r| (r.row, r.reason)));
    outcome.warnings.extend(out.warnings);
    outcome.columns.len()
}

/// Runs a source natively on a case, pushing the input in chunks.
pub fn run_source<T: Source>(case: &Case) -> Result<Outcome, String> {
    let (mut plugin, warnings) = T::open(&case.params()?, &case.context()).map_err(|e| err(&e))?;
    let bytes = case.input_bytes()?;
    let mut outcome = Outcome {
        warnings,
        ..Outcome::default()
    };
    let mut width = 0;
    for chunk in bytes.chunks(case.chunk.unwrap_or(64 * 1024).max(1)) {
        let mut out = SourceOutput::new(width);
        plugin.push(chunk, &mut out).map_err(|e| err(&e))?;
        width = collect_source(out, &mut outcome);
    }
    let mut out = SourceOutput::new(width);
    plugin.finish(&mut out).map_err(|e| err(&e))?;
    collect_source(out, &mut outcome);
    Ok(outcome)
}

/// The score from which a matcher case counts a candidate as a match: more likely the same
/// contact than not. The host's thresholds (`[match] auto_accept`, `review`) are a pipeline's.
pub const MATCH_SCORE: f64 = 0.5;

/// Runs a matcher natively on a case: blocking as the host does, then the best candidate
/// scoring at least [`MATCH_SCORE`].
pub fn run_matcher<T: Matcher>(case: &Case) -> Result<Outcome, String> {
    let (mut plugin, warnings) =
        T::prepare(&case.columns, &case.params()?, &case.context()).map_err(|e| err(&e))?;
    let (ids, contacts) = case.contact_batch()?;
    let records = case.record_batch();
    let (contact_ends, contact_keys) = crate::matcher_keys(&mut plugin, &contacts);
    // As the host indexes: the first contacts of each key, one more marking it capped.
    let mut index: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut start = 0usize;
    for (c, &end) in contact_ends.iter().enumerate() {
        for k in start..end as usize {
            let ids = index.entry(contact_keys.get(k)).or_default();
            if ids.len() <= crate::CANDIDATES_PER_KEY && !ids.contains(&c) {
                ids.push(c);
            }
        }
        start = end as usize;
    }
    let (record_ends, record_keys) = crate::matcher_keys(&mut plugin, &records);
    // As the host sends them: each distinct contact once, each record naming its own.
    let mut candidates = crate::Candidates::new();
    let mut row_of: BTreeMap<usize, u32> = BTreeMap::new();
    let mut start = 0usize;
    for &end in &record_ends {
        // As the host picks them: ranked by how rare the shared keys are, capped.
        let postings: Vec<&[usize]> = (start..end as usize)
            .filter_map(|k| index.get(record_keys.get(k)))
            .filter(|ids| ids.len() <= crate::CANDIDATES_PER_KEY)
            .map(Vec::as_slice)
            .collect();
        for c in crate::rank(&postings) {
            let row = match row_of.get(&c) {
                Some(&row) => row,
                None => {
                    let id = ids.get(c).copied().unwrap_or_default();
                    let row = candidates.add_contact(id, contacts.row(c).cells());
                    row_of.insert(c, row);
                    row
                }
            };
            candidates.push(row);
        }
        candidates.end_record();
        start = end as usize;
    }
    let scores = crate::matcher_scores(&mut plugin, &records, &candidates).map_err(|e| err(&e))?;
    let mut best: BTreeMap<u32, (f64, i64)> = BTreeMap::new();
    for s in scores.into_iter().filter(|s| s.score.score >= MATCH_SCORE) {
        let row = records.row(s.index as usize).number();
        let entry = best.entry(row).or_insert((s.score.score, s.contact));
        if s.score.score > entry.0 {
            *entry = (s.score.score, s.contact);
        }
    }
    Ok(Outcome {
        matches: best.into_iter().map(|(row, (_, id))| (row, id)).collect(),
        warnings,
        ..Outcome::default()
    })
}

/// Every `*.toml` case file in `dir`, sorted by name.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs every case in `dir` with `run`; returns a report of every failing case, or the
/// number of cases that passed. A directory without cases is an error, so a typo in the
/// path cannot pass silently.
pub fn check_dir(
    dir: &Path,
    run: impl Fn(&Case) -> Result<Outcome, String>,
) -> Result<usize, String> {
    let files = case_files(dir)?;
    if files.is_empty() {
        return Err(format!("no *.toml cases in {}", dir.display()));
    }
    let mut report = String::new();
    for file in &files {
        let diffs = match Case::load(file) {
            Ok(case) => case.compare(&run(&case)),
            Err(e) => vec![e],
        };
        for d in diffs {
            report.push_str(&format!("{}: {d}\n", file.display()));
        }
    }
    if report.is_empty() {
        Ok(files.len())
    } else {
        Err(report)
    }
}
