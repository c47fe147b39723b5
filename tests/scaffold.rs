//! `sluice plugin new NAME --kind matcher` writes a crate, outside any workspace, that passes
//! its own tests natively and builds to a wasm component sluice can load.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::process::Command;

use common::{Env, json, repo, stderr, stdout};

/// Runs cargo in `dir` with the toolchain running this test. The target directory is the one
/// `engine/build.rs` builds the plugins in, with its release settings, so the SDK and its
/// dependencies are compiled already and the test costs little more than the new crate.
fn cargo(dir: &std::path::Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let mut cmd = Command::new(cargo);
    cmd.args(args)
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

#[test]
fn a_scaffolded_matcher_builds_and_passes_its_tests() {
    let env = Env::new();
    let dir = env.path("my-matcher");
    let out = env.sluice(&["plugin", "new", "my-matcher", "--kind", "matcher"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("created matcher plugin `my-matcher`"));
    // The workspace's lock file pins the same dependency versions the SDK is built with.
    std::fs::copy(repo().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    cargo(&dir, &["test"]);
    cargo(&dir, &["build", "--release", "--target", "wasm32-wasip2"]);

    let wasm = repo().join("target/wasm-plugins/wasm32-wasip2/release/my_matcher.wasm");
    let out = env.sluice(&["plugin", "inspect", &wasm.display().to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let info = json(&out);
    assert_eq!(info["name"], "my-matcher");
    assert_eq!(info["kind"], "matcher");

    // A second scaffold into the same directory is refused, and bad names too.
    let out = env.sluice(&["plugin", "new", "my-matcher", "--kind", "matcher"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("exists and is not empty"),
        "{}",
        stderr(&out)
    );
    let out = env.sluice(&["plugin", "new", "My_Matcher", "--kind", "matcher"]);
    assert_eq!(out.status.code(), Some(2));
}
