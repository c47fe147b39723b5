//! `sluice plugin new NAME --kind matcher`: writes a plugin crate that builds to wasm and
//! passes its own tests out of the box, copied from `plugins/example-matcher`.

use std::path::{Path, PathBuf};

use super::{Exit, Failure, output};

/// The example matcher's files, the template of a new matcher.
const MATCHER_LIB: &str = include_str!("../../../plugins/example-matcher/src/lib.rs");
const MATCHER_TESTS: &str = include_str!("../../../plugins/example-matcher/tests/cases.rs");
const MATCHER_CASES: [(&str, &str); 2] = [
    (
        "identifiers.toml",
        include_str!("../../../plugins/example-matcher/tests/cases/identifiers.toml"),
    ),
    (
        "last_name_param.toml",
        include_str!("../../../plugins/example-matcher/tests/cases/last_name_param.toml"),
    ),
];

// The SDK's sources and the workspace's lock file, embedded by `engine/build.rs`.
include!(concat!(env!("OUT_DIR"), "/sdk_files.rs"));

/// Where a new crate outside a sluice checkout gets its SDK: this directory beside its sources.
const SDK_DIR: &str = "sluice-sdk";

/// The kinds of plugin `plugin new` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum NewKind {
    /// Finds the stored contact a row belongs to.
    Matcher,
}

/// Writes the crate `name` into `dir` (default `./NAME`).
pub(super) fn new_plugin(
    name: &str,
    kind: NewKind,
    dir: Option<&Path>,
    sdk: Option<&Path>,
) -> Result<Exit, Failure> {
    let NewKind::Matcher = kind;
    if !valid_name(name) {
        return Err(Failure::new(
            Exit::Usage,
            format!("`{name}` is not a usable plugin name"),
        )
        .fix("use lower-case letters, digits and hyphens, starting with a letter, e.g. my-matcher"));
    }
    let dir = dir.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    if dir.exists() && dir.read_dir().map_or(true, |mut d| d.next().is_some()) {
        return Err(Failure::new(
            Exit::Usage,
            format!("{} exists and is not empty", dir.display()),
        )
        .fix("choose a new directory with --dir, or remove the old one"));
    }
    let absolute = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
    let sdk_source = if workspace_with_sdk(&absolute).is_some() {
        SdkSource::Workspace
    } else if let Some(sdk) = sdk {
        let sdk = std::fs::canonicalize(sdk).map_err(|_| {
            Failure::new(
                Exit::Usage,
                format!("cannot find the sluice SDK at {}", sdk.display()),
            )
            .fix("pass --sdk the sdk/ directory of a sluice checkout, or leave --sdk out to use the SDK this sluice carries")
        })?;
        SdkSource::Path(sdk.display().to_string())
    } else {
        SdkSource::Embedded
    };
    let sdk_dep = match &sdk_source {
        SdkSource::Workspace => "sluice-sdk = { workspace = true }".to_string(),
        SdkSource::Path(path) => format!("sluice-sdk = {{ path = {path:?} }}"),
        SdkSource::Embedded => format!("sluice-sdk = {{ path = {SDK_DIR:?} }}"),
    };
    let standalone = !matches!(sdk_source, SdkSource::Workspace);
    let ident = name.replace('-', "_");
    let type_name: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();

    let cargo_toml = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [lib]\n# cdylib: the wasm component; rlib: the native tests.\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
         [dependencies]\n{sdk_dep}\n\n[dev-dependencies]\n{}\n{}",
        sdk_dep.replace(" }", ", features = [\"testing\"] }"),
        if standalone {
            "\n# A crate of its own, not a member of an enclosing workspace.\n[workspace]\n"
        } else {
            ""
        }
    );
    let lib = MATCHER_LIB
        .replace("ExampleMatcher", &type_name)
        .replace("\"example-matcher\"", &format!("\"{name}\""));
    let tests = MATCHER_TESTS.replace(
        "sluice_plugin_example_matcher::ExampleMatcher",
        &format!("{ident}::{type_name}"),
    );
    let sdk_note = if matches!(sdk_source, SdkSource::Embedded) {
        format!(
            "`{SDK_DIR}/` is the plugin SDK of the `sluice` that wrote this crate (ABI {}): the \
             crate builds against it offline, wherever it is. To follow a sluice checkout \
             instead, point the `sluice-sdk` dependency at its `sdk/` directory.\n\n",
            sluice_sdk::ABI_VERSION
        )
    } else {
        String::new()
    };
    let readme = format!(
        "# {name} (matcher)\n\nA sluice matcher plugin, scaffolded from `plugins/example-matcher`.\n\n{sdk_note}\
         ```sh\ncargo test                                        # the cases in tests/cases, natively\n\
         rustup target add wasm32-wasip2                   # once\n\
         cargo build --release --target wasm32-wasip2      # -> target/wasm32-wasip2/release/{ident}.wasm\n\
         sluice plugin inspect target/wasm32-wasip2/release/{ident}.wasm\n```\n\n\
         Then name the `.wasm` in a pipeline: `[match] plugin = \"path/to/{ident}.wasm\"`.\n"
    );
    let mut files: Vec<(PathBuf, String)> = vec![
        (dir.join("Cargo.toml"), cargo_toml),
        (dir.join("README.md"), readme),
        (dir.join("src/lib.rs"), lib),
        (dir.join("tests/cases.rs"), tests),
    ];
    for (file, text) in MATCHER_CASES {
        files.push((dir.join("tests/cases").join(file), text.to_string()));
    }
    if matches!(sdk_source, SdkSource::Embedded) {
        for (file, text) in SDK_FILES {
            files.push((dir.join(SDK_DIR).join(file), (*text).to_string()));
        }
    }
    if standalone {
        // The versions the SDK was built and tested with; cargo drops the entries the crate
        // does not use.
        files.push((dir.join("Cargo.lock"), LOCK_FILE.to_string()));
    }
    for (path, text) in &files {
        let write = || -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)
        };
        write().map_err(|e| {
            Failure::new(
                Exit::Failed,
                format!("cannot write {}: {e}", path.display()),
            )
            .fix("check that the directory is writable")
        })?;
    }
    output::line(&format!(
        "created matcher plugin `{name}` in {}\n  cd {}\n  cargo test\n  cargo build --release --target wasm32-wasip2",
        dir.display(),
        dir.display()
    ));
    Ok(Exit::Ok)
}

/// Where the new crate's `sluice-sdk` dependency points.
enum SdkSource {
    /// The enclosing sluice workspace's (the crate goes into its `plugins/`).
    Workspace,
    /// A directory named with `--sdk`.
    Path(String),
    /// The SDK embedded in this binary, written beside the crate.
    Embedded,
}

/// Lower-case letters, digits and hyphens, starting with a letter.
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// The root of the sluice workspace `dir` would be a member of: an ancestor whose
/// `Cargo.toml` has a `[workspace]` listing `plugins/*` and which holds the SDK.
fn workspace_with_sdk(dir: &Path) -> Option<PathBuf> {
    let parent = dir.parent()?;
    let root = parent.parent()?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    (parent.file_name()? == "plugins"
        && manifest.contains("[workspace]")
        && manifest.contains("\"plugins/*\"")
        && root.join("sdk/Cargo.toml").is_file())
    .then(|| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("my-matcher2"));
        assert!(!valid_name("My"));
        assert!(!valid_name("2x"));
        assert!(!valid_name("a-"));
        assert!(!valid_name("a_b"));
    }
}
