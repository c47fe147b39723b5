//! The `member-code` transform: tags every interaction of an import with a member code
//! (`2024 Cycle`, or a candidate's name to keep interactions private to that candidate).
//!
//! Where the code comes from, first match wins:
//! 1. the row's own value in the member-code column (`column`, default `Member Code`);
//! 2. the import's code: `--member-code` on the command line, else `member_code` in
//!    `[pipeline]`;
//! 3. the `code` parameter;
//! 4. the file name, through the `from_file` pattern (a regular expression whose group
//!    `code`, or else its first group, is the code).
//!
//! A code that is empty or longer than `max_length` characters is refused: an import-wide
//! one stops the import before any row is read, a row's own one rejects that row.
//!
//! What it must not do: touch any other column, or guess a code when no source gives one
//! (the rows then have no member code).

use regex::Regex;
use sluice_sdk::{
    Batch, ColumnSource, Context, Error, Kind, OutputColumn, ParamSpec, ParamType, Params,
    PluginInfo, RowVerdict, Transform, TransformOutput, TransformPlan, Verdict,
};

/// The output column.
pub const COLUMN: &str = "Member Code";
/// The default longest code, in characters.
pub const DEFAULT_MAX_LENGTH: i64 = 64;

/// The transform: the import-wide code and the limit rows are checked against.
pub struct MemberCode {
    default: Option<String>,
    max_length: usize,
}

/// Where the import-wide code came from, for messages.
fn check(code: &str, origin: &str, max_length: usize) -> Result<String, Error> {
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::BadParams(format!(
            "the member code from {origin} is empty: give a code such as \"2024 Cycle\", or \
             leave it unset"
        )));
    }
    let length = code.chars().count();
    if length > max_length {
        return Err(Error::BadParams(format!(
            "the member code from {origin} is {length} characters long; the limit is \
             {max_length} (`max_length`)"
        )));
    }
    Ok(code.to_string())
}

/// The code the file name gives through `pattern`.
fn from_file(pattern: &str, file_name: &str, max_length: usize) -> Result<String, Error> {
    let re = Regex::new(pattern).map_err(|e| {
        Error::BadParams(format!(
            "`from_file` is not a regular expression: {}",
            e.to_string().lines().last().unwrap_or_default()
        ))
    })?;
    let Some(caps) = re.captures(file_name) else {
        return Err(Error::BadInput(format!(
            "the file name {file_name:?} does not match `from_file` ({pattern:?}), so it gives \
             no member code: rename the file or set one with --member-code"
        )));
    };
    let code = caps
        .name("code")
        .or_else(|| caps.get(1))
        .map_or("", |m| m.as_str());
    check(
        code,
        &format!("the file name {file_name:?} (`from_file`)"),
        max_length,
    )
}

impl Transform for MemberCode {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "member-code",
            env!("CARGO_PKG_VERSION"),
            Kind::Transform,
            "Tags every interaction with a member code: from a column, the import, a parameter or the file name",
            vec![
                ParamSpec::unset(
                    "code",
                    ParamType::Text,
                    "The member code when the row, --member-code and [pipeline] member_code give none",
                ),
                ParamSpec::optional(
                    "column",
                    ParamType::Text,
                    "\"Member Code\"",
                    "The column whose non-empty values override the import's code row by row",
                ),
                ParamSpec::unset(
                    "from_file",
                    ParamType::Text,
                    "A regular expression on the file name whose group `code` (or first group) is the code, e.g. \"^(?P<code>[^_]+)_\"; used last",
                ),
                ParamSpec::optional(
                    "max_length",
                    ParamType::Integer,
                    "64",
                    "The longest member code accepted, in characters",
                ),
            ],
        )
    }

    fn prepare(
        columns: &[String],
        _samples: &Batch,
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, TransformPlan), Error> {
        let max_length = params.integer("max_length", DEFAULT_MAX_LENGTH)?;
        let max_length = usize::try_from(max_length)
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                Error::BadParams(format!("`max_length` {max_length} must be at least 1"))
            })?;
        let column_name = params.text("column", COLUMN)?;
        let column = sluice_sdk::column_index(columns, column_name);

        let default = if let Some(code) = &ctx.member_code {
            Some(check(
                code,
                "--member-code or [pipeline] member_code",
                max_length,
            )?)
        } else if let Some(code) = params
            .get("code")
            .map(|_| params.text("code", ""))
            .transpose()?
        {
            Some(check(code, "the `code` parameter", max_length)?)
        } else if let Some(pattern) = params
            .get("from_file")
            .map(|_| params.text("from_file", ""))
            .transpose()?
        {
            Some(from_file(pattern, &ctx.file_name, max_length)?)
        } else {
            None
        };

        let mut out = Vec::with_capacity(columns.len() + 1);
        let mut reads = Vec::new();
        for (i, name) in columns.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if Some(i) == column {
                reads.push(i);
                out.push(OutputColumn {
                    name: COLUMN.into(),
                    source: ColumnSource::Computed,
                });
            } else {
                out.push(OutputColumn {
                    name: name.clone(),
                    source: ColumnSource::Input(i),
                });
            }
        }
        if column.is_none()
            && let Some(code) = &default
        {
            out.push(OutputColumn {
                name: COLUMN.into(),
                source: ColumnSource::Constant(code.clone()),
            });
        }
        Ok((
            Self {
                default,
                max_length,
            },
            TransformPlan {
                columns: out,
                reads,
                ..TransformPlan::default()
            },
        ))
    }

    fn process(&mut self, rows: &Batch, out: &mut TransformOutput) -> Result<(), Error> {
        let default = self.default.as_deref().unwrap_or("");
        for row in rows.iter() {
            let cell = row.get(0).trim();
            let code = if cell.is_empty() { default } else { cell };
            let length = code.chars().count();
            if length > self.max_length {
                out.verdicts.push(RowVerdict {
                    index: u32::try_from(row.index()).unwrap_or(u32::MAX),
                    verdict: Verdict::Reject(vec![format!(
                        "Member Code {code:?} is {length} characters long; the limit is {}",
                        self.max_length
                    )]),
                });
            }
            out.values.push_row(row.number(), [code]);
        }
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_transform!(MemberCode);
