//! `sluice check`: load a pipeline and all its plugins, check every parameter, read no data.

use std::path::Path;

use super::{Exit, Failure, load_pipeline, output};

pub(super) fn run(path: &Path) -> Result<Exit, Failure> {
    let (_, pipeline) = load_pipeline(path)?;
    output::line(&format!("pipeline `{}` is ready:", pipeline.spec.name));
    let rows: Vec<Vec<String>> = pipeline
        .plugins()
        .map(|(section, p)| {
            vec![
                section.to_string(),
                p.info.name.clone(),
                p.info.version.clone(),
                p.origin.clone(),
            ]
        })
        .collect();
    output::line(&output::table(
        &["stage", "plugin", "version", "from"],
        &rows,
    ));
    output::line(&format!("store: {}", pipeline.spec.store_path.display()));
    Ok(Exit::Ok)
}
