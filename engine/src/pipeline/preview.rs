//! The mapping preview behind `sluice map`: the source reads the header and a few sample
//! rows, each transform plans from the header (`prepare`) and runs on the samples. Nothing
//! else: no validator, no matcher, no store, and no import is recorded.

use std::path::{Path, PathBuf};

use sluice_sdk::{Batch, TransformPlan};

use sluice_sdk::PREPARE_SAMPLES;

use super::plan::plan_transforms;
use super::{Error, ImportOptions, Pipeline, Reader, import_context, samples_of};
use crate::plugin::Host;

/// One transform stage as the preview saw it.
#[derive(Clone, Debug)]
pub struct StagePreview {
    /// The TOML section, e.g. `[[transform]] #1`.
    pub section: String,
    /// The plugin's name.
    pub plugin: String,
    /// The columns the stage received.
    pub input_columns: Vec<String>,
    /// Its plan: output columns, warnings and, for mapping plugins, where each input
    /// column goes.
    pub plan: TransformPlan,
}

/// What `sluice map` shows about one file.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The file.
    pub file: PathBuf,
    /// Its header, as the source read it.
    pub columns: Vec<String>,
    /// The first rows, as read.
    pub samples: Vec<Vec<String>>,
    /// Each transform, in pipeline order.
    pub stages: Vec<StagePreview>,
    /// The columns after the last transform.
    pub output_columns: Vec<String>,
    /// The sample rows after the last transform.
    pub output_samples: Vec<Vec<String>>,
    /// Notes from the source and the transforms.
    pub warnings: Vec<String>,
}

/// Reads the header and up to `sample_rows` rows of `file` and plans every transform.
pub fn preview(
    host: &Host,
    pipeline: &Pipeline,
    file: &Path,
    opts: &ImportOptions,
    sample_rows: usize,
) -> Result<Preview, Error> {
    let spec = &pipeline.spec;
    let ctx = import_context(spec, file, opts);
    let mut reader = Reader::open(host, pipeline, file, &ctx)?;
    // The transforms plan from as many rows as an import gives them, so the preview shows
    // the plan the import applies; only the first `sample_rows` are shown.
    let (header, first) = reader.until_samples(PREPARE_SAMPLES.max(sample_rows))?;
    let mut warnings: Vec<String> = reader.warnings.drain(..).collect();
    warnings.extend(first.iter().flat_map(|out| out.warnings.iter().cloned()));
    let samples = samples_of(&header, &first);

    let planned = plan_transforms(host, pipeline, &header, samples.clone(), &ctx)?;
    if let Some(e) = planned.failed {
        return Err(e.into());
    }
    let mut columns = header.clone();
    let mut stages = Vec::new();
    for (stage, (_, plan)) in pipeline.transforms.iter().zip(planned.stages) {
        warnings.extend(plan.warnings.iter().cloned());
        let next: Vec<String> = plan.columns.iter().map(|c| c.name.clone()).collect();
        stages.push(StagePreview {
            section: stage.section.clone(),
            plugin: stage.plugin.info.name.clone(),
            input_columns: std::mem::replace(&mut columns, next),
            plan,
        });
    }
    let cells = |b: &Batch| -> Vec<Vec<String>> {
        b.iter()
            .take(sample_rows)
            .map(|r| r.cells().map(String::from).collect())
            .collect()
    };
    Ok(Preview {
        file: file.to_path_buf(),
        samples: cells(&samples),
        columns: header,
        stages,
        output_columns: columns,
        output_samples: cells(&planned.output),
        warnings,
    })
}
