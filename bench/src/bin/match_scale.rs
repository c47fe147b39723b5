//! Matching at scale: imports N incoming rows (default 100 000) against a store of M contacts
//! (default 1 000 000) and prints the time and rows/s of each phase. The store's contacts are
//! written with SQL in one transaction (loading them through an import is the speed
//! benchmark's business); half of the incoming rows are people of the store with small
//! changes, half are new.
//!
//! `cargo run --release -p sluice-bench --bin match_scale [-- ROWS CONTACTS]`

#![allow(clippy::print_stdout)] // A benchmark reports on the terminal.
#![allow(clippy::cast_precision_loss)] // Rates of row counts far below 2^52.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use sluice::config::PipelineSpec;
use sluice::pipeline::{ImportOptions, Outcome, Pipeline, run_import};
use sluice::plugin::Host;
use sluice::store::Store;
use sluice_bench::{person, write_contacts};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let contacts: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no repository root")?
        .to_path_buf();
    let dir = root.join("target/bench-data/scale");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let pipeline_path = dir.join("pipeline.toml");
    let text = "[pipeline]\nname = \"scale\"\n[source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
                [[validate]]\nplugin = \"interactions\"\n[match]\nplugin = \"contacts\"\n\
                [store]\npath = \"scale.db\"\n";
    std::fs::write(&pipeline_path, text)?;
    let mut host = Host::new(Some(root.join("target/bench-data/component-cache")))?;
    let spec = PipelineSpec::parse(&pipeline_path, text)?;
    let db = spec.store_path.clone();
    let pipeline = Pipeline::load(&mut host, spec)?;
    drop(Store::open(&db)?);

    let started = Instant::now();
    write_contacts(&db, contacts)?;
    println!(
        "store: {contacts} contacts written with SQL in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let file = dir.join("incoming.csv");
    let mut w = csv::Writer::from_path(&file)?;
    w.write_record([
        "Interaction Type",
        "Date",
        "Contact Type",
        "First Name",
        "Last Name",
        "Primary Address",
        "Primary Email",
        "Primary Phone",
    ])?;
    for k in 0..rows {
        // Even rows: a stored person (spread over the store) with a new email; odd: new.
        let [f, l, a, e, p] = if k % 2 == 0 {
            let [f, l, a, _, p] = person((k * 7919) % contacts.max(1));
            [f, l, a, format!("new{k}@example.net"), p]
        } else {
            person(contacts + k)
        };
        w.write_record(["Call", "2025-02-01", "individual", &f, &l, &a, &e, &p])?;
    }
    w.flush()?;
    drop(w);

    let mut store = Store::open(&db)?;
    let started = Instant::now();
    let outcome = run_import(
        &host,
        &pipeline,
        &mut store,
        &file,
        &ImportOptions::default(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if let Outcome::Imported(r) = outcome {
        println!(
            "import: {rows} rows against {contacts} contacts in {seconds:.1} s ({:.0} rows/s): \
             {} matched, {} contacts created, {} rejected, {} capped candidate lookups",
            rows as f64 / seconds,
            r.contacts_matched,
            r.contacts_created,
            r.counts.rejected,
            r.capped_lookups
        );
    }
    Ok(())
}
