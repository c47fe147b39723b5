//! Builds the built-in plugins (and the host's test fixture plugins) for `wasm32-wasip2` and
//! generates `builtin_plugins.rs`, which embeds them so the `sluice` binary works on its own,
//! and `sdk_files.rs`, the SDK sources `sluice plugin new` writes beside a new crate.
//!
//! The nested cargo uses its own target directory: the outer build holds the lock on the
//! main one. The wasm target is added with rustup when the toolchain lacks it, because
//! rustup does not install the targets of `rust-toolchain.toml` when auto-install is off.

#![allow(clippy::print_stdout)] // A build script talks to cargo through stdout.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// The built-in plugins: (name in pipelines, cargo package, crate name of the artifact).
const BUILTINS: [(&str, &str); 6] = [
    ("csv", "sluice-plugin-csv"),
    ("excel", "sluice-plugin-excel"),
    ("mapping", "sluice-plugin-mapping"),
    ("member-code", "sluice-plugin-member-code"),
    ("interactions", "sluice-plugin-interactions"),
    ("contacts", "sluice-plugin-contacts"),
];

/// Plugins built only so the host's tests can load real components.
/// `sluice-plugin-example-matcher` is the custom matcher of `configs/custom-matcher.toml`,
/// loaded by path, never embedded.
const FIXTURES: [&str; 6] = [
    "sluice-fixture-hostile",
    "sluice-fixture-hostile-source",
    "sluice-fixture-hostile-transform",
    "sluice-fixture-hostile-matcher",
    "sluice-fixture-liar",
    "sluice-plugin-example-matcher",
];

fn main() {
    if let Err(e) = run() {
        println!("cargo::error={e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let root = manifest_dir
        .parent()
        .ok_or("engine/ has no parent directory")?
        .to_path_buf();
    for dir in ["plugins", "sdk", "tests/plugins", "vendor"] {
        println!("cargo::rerun-if-changed={}", root.join(dir).display());
    }
    for file in ["Cargo.lock", "Cargo.toml"] {
        println!("cargo::rerun-if-changed={}", root.join(file).display());
    }

    ensure_target()?;

    let target_dir = root.join("target").join("wasm-plugins");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    for (_, package) in BUILTINS {
        cmd.args(["-p", package]);
    }
    for package in FIXTURES {
        cmd.args(["-p", package]);
    }
    // The outer build's settings are for the host, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    for (var, _) in env::vars() {
        if var.starts_with("CARGO_PROFILE_") || var.starts_with("CARGO_FEATURE_") {
            cmd.env_remove(var);
        }
    }
    // Small, stripped components: debug info would be dead weight in the binary.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo for the plugins: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the plugins for {TARGET} failed ({status}); see the errors above"
        ));
    }

    let wasm_dir = target_dir.join(TARGET).join("release");
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let mut generated = String::from(
        "/// The built-in plugins: (name, component bytes).\npub(crate) static BUILTINS: &[(&str, &[u8])] = &[\n",
    );
    for (name, package) in BUILTINS {
        let wasm = artifact(&wasm_dir, package)?;
        let _ = writeln!(
            generated,
            "    ({name:?}, include_bytes!({:?})),",
            wasm.display()
        );
    }
    generated.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), generated).map_err(|e| e.to_string())?;
    embed_sdk(&root, &out_dir)?;
    // The fixtures are found by the tests through this variable.
    println!(
        "cargo::rustc-env=SLUICE_FIXTURE_WASM_DIR={}",
        wasm_dir.display()
    );
    Ok(())
}

/// Embeds the SDK this binary was built with, so `sluice plugin new` can write it beside a
/// new crate: the crate then builds anywhere, offline, against exactly this binary's ABI.
/// The SDK's manifest inherits from the workspace; the copy gets the inherited values
/// written out (and no `[lints]`, which would name a workspace the copy does not have).
fn embed_sdk(root: &Path, out_dir: &Path) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let workspace: toml::Table = read(&root.join("Cargo.toml"))?
        .parse()
        .map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut sdk: toml::Table = read(&root.join("sdk/Cargo.toml"))?
        .parse()
        .map_err(|e| format!("sdk/Cargo.toml: {e}"))?;
    let section = |t: &toml::Table, path: [&str; 2]| {
        t.get(path[0])
            .and_then(|v| v.get(path[1]))
            .and_then(toml::Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let inherited = section(&workspace, ["workspace", "package"]);
    let versions = section(&workspace, ["workspace", "dependencies"]);
    let inherits =
        |v: &toml::Value| v.get("workspace").and_then(toml::Value::as_bool) == Some(true);
    if let Some(package) = sdk.get_mut("package").and_then(toml::Value::as_table_mut) {
        for (key, value) in package.iter_mut() {
            if inherits(value) {
                *value = inherited.get(key).cloned().ok_or(format!(
                    "sdk/Cargo.toml: `{key}` is not in [workspace.package]"
                ))?;
            }
        }
    }
    if let Some(deps) = sdk
        .get_mut("dependencies")
        .and_then(toml::Value::as_table_mut)
    {
        for (name, dep) in deps.iter_mut() {
            let Some(own) = dep.as_table().filter(|_| inherits(dep)).cloned() else {
                continue;
            };
            let mut resolved = match versions.get(name) {
                Some(toml::Value::String(v)) => toml::Table::from_iter([(
                    "version".to_string(),
                    toml::Value::String(v.clone()),
                )]),
                Some(toml::Value::Table(t)) => t.clone(),
                _ => {
                    return Err(format!(
                        "sdk/Cargo.toml: `{name}` is not in [workspace.dependencies]"
                    ));
                }
            };
            for (key, value) in own {
                match (key.as_str(), resolved.get_mut("features")) {
                    ("workspace", _) => {}
                    ("features", Some(toml::Value::Array(features))) => {
                        features.extend(value.as_array().cloned().unwrap_or_default());
                    }
                    _ => {
                        resolved.insert(key, value);
                    }
                }
            }
            *dep = toml::Value::Table(resolved);
        }
    }
    sdk.remove("lints");
    let mut manifest = String::from(
        "# The sluice SDK this plugin was scaffolded against, as the `sluice` binary embeds it.\n",
    );
    // [package] first, as people write manifests; the rest in its (sorted) order.
    let package = sdk.remove("package");
    for (key, value) in package
        .map(|p| ("package".to_string(), p))
        .into_iter()
        .chain(sdk)
    {
        let section = toml::Table::from_iter([(key, value)]);
        manifest.push_str(&toml::to_string(&section).map_err(|e| e.to_string())?);
        manifest.push('\n');
    }
    std::fs::write(out_dir.join("sdk-Cargo.toml"), manifest).map_err(|e| e.to_string())?;

    let mut files = Vec::new();
    for dir in ["src", "wit"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join("sdk").join(dir))
            .map_err(|e| format!("sdk/{dir}: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        files.extend(entries);
    }
    files.push(root.join("sdk/README.md"));
    let mut generated = String::from(
        "/// The SDK's files: (path inside the SDK directory, contents).\npub(super) static SDK_FILES: &[(&str, &str)] = &[\n",
    );
    let _ = writeln!(
        generated,
        "    (\"Cargo.toml\", include_str!({:?})),",
        out_dir.join("sdk-Cargo.toml").display()
    );
    for file in files {
        let relative = file
            .strip_prefix(root.join("sdk"))
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        let _ = writeln!(
            generated,
            "    ({relative:?}, include_str!({:?})),",
            file.display()
        );
    }
    generated.push_str("];\n");
    let _ = writeln!(
        generated,
        "/// The workspace's lock file: the dependency versions the SDK was built and tested with.\npub(super) static LOCK_FILE: &str = include_str!({:?});",
        root.join("Cargo.lock").display()
    );
    std::fs::write(out_dir.join("sdk_files.rs"), generated).map_err(|e| e.to_string())
}

fn artifact(dir: &Path, package: &str) -> Result<PathBuf, String> {
    let path = dir.join(format!("{}.wasm", package.replace('-', "_")));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "the plugin build did not produce {}",
            path.display()
        ))
    }
}

/// Makes sure the active toolchain can build for wasm, adding the target when it is missing.
fn ensure_target() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run {rustc}: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        return Ok(());
    }
    let mut cmd = Command::new("rustup");
    cmd.args(["target", "add", TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        cmd.args(["--toolchain", &toolchain]);
    }
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        _ => Err(format!(
            "the Rust toolchain lacks the {TARGET} target and it could not be added; run `rustup target add {TARGET}` and build again"
        )),
    }
}
