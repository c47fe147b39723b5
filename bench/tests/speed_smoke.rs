//! The speed benchmark's smoke run: 10 000 rows against 10 000 stored contacts, so the
//! benchmark keeps working (every measurement, the table, the JSON, the scoring). Its figures
//! are not checked against targets: a debug build says nothing about speed.

use std::process::Command;

#[test]
fn speed_benchmark_runs_on_10k_rows() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("speed-smoke");
    let out = Command::new(env!("CARGO_BIN_EXE_speed"))
        .args(["--rows", "10000", "--contacts", "10000", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("| sluice import, empty store |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| sluice import, 10000 contacts |"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(dir.join("speed.json")).unwrap();
    // The generated file and its truth are deterministic, and the matcher gets every row of
    // it right: 3 062 rows of stored people, 997 household and namesake rows, 1 025 rows
    // repeated within the file.
    for expected in [
        "\"rows\": 10000",
        "\"precision\": 1.000000",
        "\"recall\": 1.000000",
        "\"true_positive\": 3062",
        "\"wrong\": 0",
        "\"missed\": 0",
        "\"traps\": 997",
        "\"traps_attached\": 0",
        "\"repeats\": 1025",
        "\"repeats_merged\": 1025",
    ] {
        assert!(json.contains(expected), "{expected} not in {json}");
    }
    for run in [
        "sluice import, empty store",
        "sluice import, 10000 contacts",
    ] {
        let line = json.lines().find(|l| l.contains(run)).unwrap();
        assert!(!line.contains("\"peak_rss_mb\": null"), "{line}");
        // Each import's own phases, from its report, in the JSON and in the phase table
        // (µs per row and share: four cells with a `%` each).
        for phase in ["hash", "prepare", "load", "commit"] {
            assert!(
                line.contains(&format!("\"{phase}\": ")),
                "{phase} not in {line}"
            );
        }
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("| {run} | ")) && l.matches('%').count() == 4),
            "no phase row for {run} in {stdout}"
        );
    }
}
