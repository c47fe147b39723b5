//! `sluice plugin new NAME --kind matcher` writes a crate, outside any workspace, that passes
//! its own tests natively and builds to a wasm component sluice can load: from an installed
//! binary, far from the checkout it was built from, offline.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Env, json, repo, stderr, stdout};

/// Runs cargo in `dir` with the toolchain running this test, offline. The target directory is
/// the one `engine/build.rs` builds the plugins in, with its release settings, so the SDK's
/// dependencies are compiled already and the test costs little more than the new crate.
fn cargo(dir: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let mut cmd = Command::new(cargo);
    cmd.args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", repo().join("target/wasm-plugins"))
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true");
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// The `sluice` binary copied into `bin/` of `env`, as `cargo install` or a release download
/// leaves it: nothing of the checkout it was built from is beside it.
fn installed(env: &Env) -> PathBuf {
    let bin = env.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let sluice = bin.join("sluice");
    std::fs::copy(env!("CARGO_BIN_EXE_sluice"), &sluice).unwrap();
    sluice
}

fn run(sluice: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(sluice)
        .args(args)
        .current_dir(dir)
        .env(
            "SLUICE_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"),
        )
        .output()
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn an_installed_binary_scaffolds_a_matcher_that_builds_offline() {
    let env = Env::new();
    let sluice = installed(&env);
    let work = env.path("work");
    std::fs::create_dir(&work).unwrap();
    let out = run(
        &sluice,
        &work,
        &["plugin", "new", "my-matcher", "--kind", "matcher"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("created matcher plugin `my-matcher`"));

    // The crate carries the SDK of the binary that wrote it, and names no path outside itself.
    let dir = work.join("my-matcher");
    let manifest = read(&dir.join("Cargo.toml"));
    assert!(
        manifest.contains(r#"sluice-sdk = { path = "sluice-sdk" }"#),
        "{manifest}"
    );
    assert!(
        !manifest.contains(&repo().display().to_string()),
        "{manifest}"
    );
    for file in ["wit/plugin.wit", "src/lib.rs", "src/testing.rs"] {
        assert_eq!(
            read(&dir.join("sluice-sdk").join(file)),
            read(&repo().join("sdk").join(file)),
            "sluice-sdk/{file} is not the SDK the binary was built with"
        );
    }
    assert!(!read(&dir.join("sluice-sdk/Cargo.toml")).contains("workspace = true"));
    assert!(dir.join("Cargo.lock").is_file());

    cargo(&dir, &["test"]);
    cargo(&dir, &["build", "--release", "--target", "wasm32-wasip2"]);

    let wasm = repo().join("target/wasm-plugins/wasm32-wasip2/release/my_matcher.wasm");
    let out = run(
        &sluice,
        &work,
        &["plugin", "inspect", &wasm.display().to_string(), "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = json(&out);
    assert_eq!(info["name"], "my-matcher");
    assert_eq!(info["kind"], "matcher");

    // A second scaffold into the same directory is refused, and bad names too.
    let out = run(
        &sluice,
        &work,
        &["plugin", "new", "my-matcher", "--kind", "matcher"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exists and is not empty"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &sluice,
        &work,
        &["plugin", "new", "My_Matcher", "--kind", "matcher"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sdk_points_a_new_crate_at_a_checkout() {
    let env = Env::new();
    let sdk = repo().join("sdk").canonicalize().unwrap();
    let sdk_arg = sdk.display().to_string();
    let args = [
        "plugin", "new", "mine", "--kind", "matcher", "--sdk", &sdk_arg,
    ];
    let out = env.sluice(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest = read(&env.path("mine/Cargo.toml"));
    assert!(
        manifest.contains(&format!("sluice-sdk = {{ path = {sdk_arg:?} }}")),
        "{manifest}"
    );
    assert!(!env.path("mine/sluice-sdk").exists());

    let out = env.sluice(&[
        "plugin",
        "new",
        "other",
        "--kind",
        "matcher",
        "--sdk",
        "no/such/sdk",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot find the sluice SDK at no/such/sdk"),
        "{}",
        stderr(&out)
    );
}
