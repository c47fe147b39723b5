//! Builds the built-in plugins (and the host's test fixture plugins) for `wasm32-wasip2` and
//! generates `builtin_plugins.rs`, which embeds them so the `sluice` binary works on its own.
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
    println!(
        "cargo::rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

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
    // The fixtures are found by the tests through this variable.
    println!(
        "cargo::rustc-env=SLUICE_FIXTURE_WASM_DIR={}",
        wasm_dir.display()
    );
    Ok(())
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
