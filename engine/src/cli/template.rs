//! `sluice template interactions`: writes the interactions template, every field of SPEC §1
//! in the order the `mapping` plugin outputs them, with two example rows (a call, and a
//! meeting with a pledge): as CSV, or with `--xlsx` as a workbook whose dates are date cells
//! and whose type columns offer the allowed values in a dropdown.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, ExcelDateTime, Format, Workbook, XlsxError,
};

use super::{Exit, Failure, output};
use crate::pipeline::INTERACTION_TYPES;

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
    /// Write an Excel workbook (.xlsx) instead of CSV: bold frozen header, date cells,
    /// dropdowns for Interaction Type and Contact Type. Needs -o unless stdout is a pipe.
    #[arg(long)]
    xlsx: bool,
}

/// The interactions template's fields, shared with the `mapping` plugin through the SDK.
const FIELDS: [&str; 18] = sluice_sdk::TEMPLATE_FIELDS;

/// The allowed contact types, as the validator and the store want them.
const CONTACT_TYPES: [&str; 2] = ["individual", "organization"];

/// Rows of the workbook that get the dropdowns: the examples and room for a long list.
const VALIDATED_ROWS: u32 = 10_000;

/// An example cell: its CSV text, and for the workbook what kind of cell it is.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Text(&'static str),
    /// A date, with a time of day (hours, minutes) or without.
    Date {
        csv: &'static str,
        ymd: (u16, u8, u8),
        hm: Option<(u16, u8)>,
    },
    /// Money, as a number of dollars.
    Money {
        csv: &'static str,
        dollars: f64,
    },
}

impl Cell {
    fn csv(self) -> &'static str {
        match self {
            Cell::Text(s) | Cell::Date { csv: s, .. } | Cell::Money { csv: s, .. } => s,
        }
    }
}

const fn t(s: &'static str) -> Cell {
    Cell::Text(s)
}

const EXAMPLES: [[Cell; 18]; 2] = [
    [
        t("Call"),
        Cell::Date {
            csv: "3/14/2025 10:30 AM",
            ymd: (2025, 3, 14),
            hm: Some((10, 30)),
        },
        t("individual"),
        t("Maria"),
        t("Gonzalez"),
        t(""),
        t("12 Main St, Springfield, IL 62701"),
        t("maria.gonzalez@example.org"),
        t("(217) 555-0143"),
        t("Springfield Schools"),
        t("Teacher"),
        t("2024 Cycle"),
        t("spoke"),
        t(""),
        t(""),
        t(""),
        t(""),
        t("Interested in volunteering"),
    ],
    [
        t("Meeting"),
        Cell::Date {
            csv: "2025-03-20",
            ymd: (2025, 3, 20),
            hm: None,
        },
        t("individual"),
        t("James"),
        t("Carter"),
        t("Jr."),
        t("48 Oak Ave, Columbus, OH 43004"),
        t("jcarter@example.com"),
        t("614-555-0199"),
        t("Carter Hardware"),
        t("Owner"),
        t("2024 Cycle"),
        t("pledge"),
        Cell::Money {
            csv: "$1,250.00",
            dollars: 1250.0,
        },
        t("Monthly"),
        Cell::Date {
            csv: "4/30/2025",
            ymd: (2025, 4, 30),
            hm: None,
        },
        t("SPRING25"),
        t("Pledged at the spring breakfast"),
    ],
];

/// One CSV record, quoting fields that need it.
fn record(fields: impl IntoIterator<Item = &'static str>) -> String {
    let cells: Vec<String> = fields
        .into_iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect();
    cells.join(",") + "\r\n"
}

fn csv() -> Vec<u8> {
    let mut csv = record(FIELDS);
    for row in &EXAMPLES {
        csv.push_str(&record(row.map(Cell::csv)));
    }
    csv.into_bytes()
}

/// A dropdown of `values` for a whole column below the header. Other values only warn:
/// the `mapping` transform reads common variants (`phone call`, `org`), and the validator
/// rejects the rest with the allowed list.
fn dropdown(field: &str, values: &[&str]) -> Result<DataValidation, XlsxError> {
    DataValidation::new()
        .allow_list_strings(values)?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title(format!("Unknown {field}"))?
        .set_error_message(format!("{field} is one of: {}", values.join(", ")))
}

/// The template as an .xlsx workbook.
fn xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Interactions")?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let date_time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format("$#,##0.00");
    for ((col, field), width) in (0..).zip(FIELDS).zip(widths()) {
        sheet.write_string_with_format(0, col, field, &bold)?;
        sheet.set_column_width(col, width)?;
        for (row, example) in (1..).zip(&EXAMPLES) {
            match example.get(usize::from(col)).copied().unwrap_or(t("")) {
                Cell::Text("") => {}
                Cell::Text(s) => {
                    sheet.write_string(row, col, s)?;
                }
                Cell::Date { ymd, hm, .. } => {
                    let (y, m, d) = ymd;
                    let day = ExcelDateTime::from_ymd(y, m, d)?;
                    match hm {
                        Some((h, min)) => sheet.write_datetime_with_format(
                            row,
                            col,
                            day.and_hms(h, min, 0)?,
                            &date_time,
                        )?,
                        None => sheet.write_datetime_with_format(row, col, day, &date)?,
                    };
                }
                Cell::Money { dollars, .. } => {
                    sheet.write_number_with_format(row, col, dollars, &money)?;
                }
            }
        }
        let values: &[&str] = match field {
            "Interaction Type" => &INTERACTION_TYPES,
            "Contact Type" => &CONTACT_TYPES,
            _ => continue,
        };
        sheet.add_data_validation(1, col, VALIDATED_ROWS, col, &dropdown(field, values)?)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// Column widths in characters: the longest of the header and the examples, plus a margin,
/// at most 40 (long notes wrap into view when a cell is selected).
fn widths() -> [f64; 18] {
    let mut widths = [0.0; 18];
    for (i, (w, field)) in widths.iter_mut().zip(FIELDS).enumerate() {
        let longest = EXAMPLES
            .iter()
            .filter_map(|row| row.get(i))
            .map(|c| c.csv().chars().count())
            .chain([field.chars().count()])
            .max()
            .unwrap_or(0);
        *w = f64::from(u32::try_from(longest.min(38)).unwrap_or(38)) + 2.0;
    }
    widths
}

pub(super) fn run(args: &TemplateArgs) -> Result<Exit, Failure> {
    let TemplateName::Interactions = args.template;
    let bytes = if args.xlsx {
        if args.output.is_none() && std::io::stdout().is_terminal() {
            return Err(Failure::new(
                Exit::Usage,
                "refusing to write a binary workbook to the terminal",
            )
            .fix("name a file with -o FILE.xlsx, or redirect stdout to a file or a pipe"));
        }
        xlsx().map_err(|e| Failure::new(Exit::Failed, format!("cannot build the workbook: {e}")))?
    } else {
        csv()
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| {
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
        None => output::raw(&bytes),
    }
    Ok(Exit::Ok)
}
