//! A hostile transform for the host's sandbox tests: it plans one computed column and, in the
//! batch holding row `row`, returns one computed row too few (`behaviour = "short"`) or one
//! row with a column too many (`behaviour = "wide"`); elsewhere it echoes an empty column.
//!
//! It exists only to prove that the host checks what a transform returns before using it.
//! Never use it in a real pipeline.

use sluice_sdk::{
    Batch, ColumnSource, Context, Error, Kind, OutputColumn, ParamSpec, ParamType, Params,
    PluginInfo, Transform, TransformOutput, TransformPlan,
};

/// The misbehaviour to stage.
pub struct HostileTransform {
    behaviour: String,
    row: u32,
}

impl Transform for HostileTransform {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "hostile-transform",
            env!("CARGO_PKG_VERSION"),
            Kind::Transform,
            "Returns malformed computed rows, for sandbox tests",
            vec![
                ParamSpec::required("behaviour", ParamType::Text, "short or wide"),
                ParamSpec::optional(
                    "row",
                    ParamType::Integer,
                    "2",
                    "The row number to misbehave on",
                ),
            ],
        )
    }

    fn prepare(
        columns: &[String],
        _samples: &Batch,
        params: &Params,
        _: &Context,
    ) -> Result<(Self, TransformPlan), Error> {
        let behaviour = params.text("behaviour", "")?.to_string();
        let row = u32::try_from(params.integer("row", 2)?)
            .map_err(|_| Error::BadParams("`row` must be a row number".into()))?;
        let mut out: Vec<OutputColumn> = (0..columns.len())
            .zip(columns)
            .map(|(i, name)| OutputColumn {
                name: name.clone(),
                source: ColumnSource::Input(u32::try_from(i).unwrap_or(u32::MAX)),
            })
            .collect();
        out.push(OutputColumn {
            name: "Hostile".into(),
            source: ColumnSource::Computed,
        });
        Ok((
            Self { behaviour, row },
            TransformPlan {
                columns: out,
                ..TransformPlan::default()
            },
        ))
    }

    fn process(&mut self, rows: &Batch, out: &mut TransformOutput) -> Result<(), Error> {
        let hit = rows.row_numbers().contains(&self.row);
        match (hit, self.behaviour.as_str()) {
            (true, "short") => {
                for row in rows.iter().skip(1) {
                    out.values.push_row(row.number(), [""]);
                }
            }
            (true, "wide") => {
                let mut wide = Batch::new(2);
                for row in rows.iter() {
                    wide.push_row(row.number(), ["", ""]);
                }
                out.values = wide;
            }
            _ => {
                for row in rows.iter() {
                    out.values.push_row(row.number(), [""]);
                }
            }
        }
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_transform!(HostileTransform);
