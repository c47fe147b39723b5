//! The transforms planned in turn for one file: each `prepare` sees the columns and the
//! sample rows the transform before it made. `sluice map` and the import share it, so the
//! preview shows the plan the import applies.

use sluice_sdk::{Batch, Context, TransformPlan};

use super::{Error, Pipeline};
use crate::plugin::{self, Host, TransformStage};

/// Every transform of a pipeline, prepared for one file.
pub(super) struct Planned {
    /// Each stage with its plan, in pipeline order.
    pub stages: Vec<(TransformStage, TransformPlan)>,
    /// The samples each stage planned from (a fresh instance after a failure plans from
    /// the same, so it plans the same).
    pub samples: Vec<Batch>,
    /// The samples after the last stage.
    pub output: Batch,
    /// A stage that failed on the samples: the stages after it planned without samples,
    /// and the first batch meets the same failure, where `on_plugin_error` handles it.
    pub failed: Option<plugin::Error>,
}

/// Prepares every transform of `pipeline` from `header` and `samples` (the file's first
/// rows as the source read them).
pub(super) fn plan_transforms(
    host: &Host,
    pipeline: &Pipeline,
    header: &[String],
    samples: Batch,
    ctx: &Context,
) -> Result<Planned, Error> {
    let limits = pipeline.spec.limits;
    let mut columns = header.to_vec();
    let mut rows = samples;
    let mut planned = Planned {
        stages: Vec::with_capacity(pipeline.transforms.len()),
        samples: Vec::with_capacity(pipeline.transforms.len()),
        output: Batch::new(0),
        failed: None,
    };
    for stage in &pipeline.transforms {
        let mut t = host.transform(&stage.plugin, &stage.section, limits)?;
        let plan = t.prepare(&columns, &rows, &stage.params, ctx)?;
        let computed = if plan.computed() == 0 || rows.is_empty() {
            Ok(Batch::new(plan.computed()))
        } else {
            t.process(&rows.project(&plan.reads))
                .map(|(values, _)| values)
        };
        let next = match computed {
            Ok(values) => plan.apply(&rows, &values),
            Err(e) => {
                planned.failed.get_or_insert(e);
                Batch::new(plan.columns.len())
            }
        };
        columns = plan.columns.iter().map(|c| c.name.clone()).collect();
        planned.samples.push(std::mem::replace(&mut rows, next));
        planned.stages.push((t, plan));
    }
    planned.output = rows;
    Ok(planned)
}
