//! Tidy checks over the source tree: no `unwrap()`, `expect(`, `panic!`, `unreachable!`,
//! `todo!` or `unimplemented!` outside tests in the engine, the SDK and the plugins, unless a
//! `// Cannot panic: …` comment on the line or the line above says why it cannot fire. Input
//! files, pipelines and plugins must never be able to crash sluice; clippy denies the first
//! two as well, and this check also catches an `#[allow]` that slipped in.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::{Path, PathBuf};

/// The calls that panic on bad data.
const PANICKING: [&str; 6] = [
    ".unwrap()",
    ".expect(",
    "panic!(",
    "unreachable!(",
    "todo!(",
    "unimplemented!(",
];

const JUSTIFIED: &str = "// Cannot panic:";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            // Integration tests and fixtures may unwrap.
            if name != "tests" && name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// The lines of `text` outside `#[cfg(test)]` modules, with their 1-based numbers. Braces
/// are counted per line, which is enough for this code base's test modules (they hold no
/// unbalanced brace in a string or char literal; if one did, this check would report lines
/// of the module and the module would need a tidier literal).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut depth: i64 = 0;
    let mut test_module_at: Option<i64> = None;
    let mut cfg_test = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let opens = i64::try_from(line.matches('{').count()).unwrap();
        let closes = i64::try_from(line.matches('}').count()).unwrap();
        if test_module_at.is_none() {
            if t == "#[cfg(test)]" {
                cfg_test = true;
            } else if cfg_test && (t.starts_with("mod ") || t.starts_with("pub mod ")) {
                cfg_test = false;
                if t.ends_with('{') {
                    test_module_at = Some(depth);
                }
            } else if !t.starts_with("#[") {
                cfg_test = false;
            }
        }
        depth += opens - closes;
        match test_module_at {
            Some(at) if depth <= at => test_module_at = None,
            Some(_) => {}
            None if !cfg_test => out.push((i + 1, line)),
            None => {}
        }
    }
    out
}

/// Lines that may panic on bad data and say nothing about why they cannot.
fn unjustified(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    non_test_lines(text)
        .into_iter()
        .filter(|(n, line)| {
            let code = line.split("//").next().unwrap_or_default();
            let above = n.checked_sub(2).and_then(|i| lines.get(i)).copied();
            PANICKING.iter().any(|p| code.contains(p))
                && !line.contains(JUSTIFIED)
                && !above.is_some_and(|l| l.contains(JUSTIFIED))
        })
        .map(|(n, line)| (n, line.trim().to_string()))
        .collect()
}

#[test]
fn the_check_sees_what_it_must_and_skips_tests() {
    let text = "//! x\nfn a() {\n    let v = x.unwrap();\n    // Cannot panic: checked above.\n    \
                let w = y.expect(\"w\");\n    let z = q.unwrap(); // Cannot panic: a constant.\n    \
                let k = 1;\n    let s = \"a.unwrap()\"; // a string\n}\n#[cfg(test)]\nmod tests {\n    \
                fn t() {\n        x.unwrap();\n    }\n}\nfn b() { panic!(\"no\") }\n";
    let found: Vec<usize> = unjustified(text).into_iter().map(|(n, _)| n).collect();
    // Line 8 holds `.unwrap()` in a string literal: reported too, which is the safe side.
    assert_eq!(found, vec![3, 8, 16]);
}

#[test]
fn no_unjustified_panics_outside_tests() {
    let repo = common::repo();
    let mut files = Vec::new();
    rust_files(&repo.join("engine/src"), &mut files);
    rust_files(&repo.join("sdk/src"), &mut files);
    for plugin in std::fs::read_dir(repo.join("plugins")).unwrap() {
        let src = plugin.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 30, "found only {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in unjustified(&text) {
            let file = file.strip_prefix(&repo).unwrap_or(file).display();
            found.push(format!("{file}:{n}: {line}"));
        }
    }
    assert!(
        found.is_empty(),
        "panicking calls outside tests; return a typed error or use checked access, or say \
         why it cannot fire in a `{JUSTIFIED} …` comment:\n{}",
        found.join("\n")
    );
}
