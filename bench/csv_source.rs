//! Throughput of the `csv` source plugin, as deployed (the wasm component driven by the host
//! in 64 KiB chunks, exactly as an import drives it), against the `csv` crate parsing the
//! same file natively into `StringRecord`s. Both are timed in the same run; the ratio is
//! what to compare between machines.
//!
//! `cargo bench -p sluice --bench csv_source` (1,000,000 rows; `-- ROWS` for another size).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // A benchmark's report and setup.

use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use sluice::plugin::{Host, Limits};
use sluice_sdk::{Context, Params};

const CHUNK: usize = 64 * 1024;
const RUNS: usize = 3;

/// A 13-column interactions export like the one of the performance budget.
fn generate(path: &Path, rows: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        w,
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Address,Primary Email,\
         Primary Phone,Employer,Occupation,Call Result,Pledge Amount,Notes"
    )
    .unwrap();
    let kinds = ["Call", "Email", "Meeting", "Text", "Thank"];
    let first = [
        "Maria", "James", "Aisha", "José", "Zoë", "Chen", "Olga", "Kwame",
    ];
    let last = [
        "Gonzalez", "O'Brien", "Khan", "Müller", "Smith", "Nguyen", "Ivanova",
    ];
    for i in 0..rows {
        let f = first[i % first.len()];
        let l = last[(i / 7) % last.len()];
        writeln!(
            w,
            "{},{}/{}/2025,individual,{f},{l},\"{} Oak St, Springfield, IL 62701\",\
             {}.{}{}@example.org,(217) 555-{:04},Springfield Schools,Teacher,spoke,\
             \"${},{:03}.00\",\"Follow-up #{i}, said \"\"call back\"\"\"",
            kinds[i % kinds.len()],
            i % 12 + 1,
            i % 28 + 1,
            i % 9000 + 1,
            f.to_lowercase(),
            l.to_lowercase(),
            i % 5000,
            i % 10000,
            i % 9 + 1,
            i % 1000,
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn csv_crate(path: &Path) -> (usize, Duration) {
    let started = Instant::now();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while reader.read_record(&mut record).unwrap() {
        rows += 1;
    }
    (rows, started.elapsed())
}

fn plugin(host: &Host, loaded: &sluice::plugin::LoadedPlugin, path: &Path) -> (usize, Duration) {
    let started = Instant::now();
    let mut source = host.source(loaded, "[source]", Limits::default()).unwrap();
    source
        .open(&Params::default(), &Context::default())
        .unwrap();
    let mut file = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut rows = 0;
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        rows += source.push(&buf[..n]).unwrap().rows.len();
    }
    rows += source.finish().unwrap().rows.len();
    (rows, started.elapsed())
}

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interactions.csv");
    generate(&path, rows);
    let size = std::fs::metadata(&path).unwrap().len();
    let mut host = Host::new(Some(dir.path().join("cache"))).unwrap();
    let loaded = host.load("csv", Path::new(".")).unwrap();

    let (mut best_crate, mut best_plugin) = (Duration::MAX, Duration::MAX);
    for _ in 0..RUNS {
        let (n, t) = csv_crate(&path);
        assert_eq!(n, rows);
        best_crate = best_crate.min(t);
        let (n, t) = plugin(&host, &loaded, &path);
        assert_eq!(n, rows, "the plugin read a different number of rows");
        best_plugin = best_plugin.min(t);
    }
    #[allow(clippy::cast_precision_loss)] // Sizes and rates for people.
    let mb = size as f64 / 1e6;
    println!("file: {rows} rows, 13 columns, {mb:.0} MB; best of {RUNS} runs each");
    for (what, t) in [
        ("csv crate, native, StringRecord", best_crate),
        ("csv plugin, wasm via the host, 64 KiB chunks", best_plugin),
    ] {
        println!(
            "{what:<46} {:>7.3} s  {:>6.0} MB/s",
            t.as_secs_f64(),
            mb / t.as_secs_f64()
        );
    }
    println!(
        "ratio plugin / csv crate: {:.2}",
        best_plugin.as_secs_f64() / best_crate.as_secs_f64()
    );
}
