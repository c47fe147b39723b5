//! The speed benchmark: one run measures, on the same generated interactions file, the
//! references (`sqlite3 .import` into a plain table, the `csv` crate parsing natively), the
//! `sluice import` of the file into an empty store and into a store that already holds many
//! contacts (peak RSS of each), the warm start of a 10-row import, and matching precision and
//! recall on the file's ground truth. Prints a table and writes the same figures as JSON.
//!
//! `cargo run --release -p sluice-bench --bin speed -- [--rows N] [--contacts M] [--dir DIR]`
//!
//! The imports run this very program re-executed as the `sluice` command line
//! (`sluice::cli::main`, same code, same build profile) in a child process, so each has its
//! own process, its own peak RSS (the child reads its `VmHWM` before it exits) and its own
//! start-up cost, and the benchmark needs no second binary built beside it.

#![allow(clippy::print_stdout, clippy::print_stderr)] // A benchmark reports on the terminal.
#![allow(clippy::cast_precision_loss)] // Rates of row counts far below 2^52.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use sluice_bench::{Result, Rng, person, write_contacts};

/// Set in a child process: run the `sluice` command line, then write the peak RSS here.
const CHILD_ENV: &str = "SLUICE_BENCH_AS_SLUICE";

const HEADER: [&str; 13] = [
    "Interaction Type",
    "Date",
    "Contact Type",
    "First Name",
    "Last Name",
    "Primary Address",
    "Primary Email",
    "Primary Phone",
    "Employer",
    "Occupation",
    "Call Result",
    "Pledge Amount",
    "Notes",
];
const KINDS: &[&str] = &["Call", "Email", "Meeting", "Text", "Thank"];
const RESULTS: &[&str] = &["spoke", "left message", "no answer", "pledge"];
const OTHER_FIRST: &[&str] = &[
    "Harriet", "Desmond", "Ingrid", "Tobias", "Rosalind", "Fergus",
];

/// What an incoming row truly is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    /// Stored contact `id`, written with small variations: must attach to it.
    Existing(usize),
    /// A new person (`n` identifies them; a repeated row shares the first row's `n`).
    New(usize),
    /// A household member or namesake of a stored contact: must attach to no stored contact.
    Trap,
}

fn main() -> ExitCode {
    if let Some(hwm_file) = std::env::var_os(CHILD_ENV) {
        let code = sluice::cli::main();
        // The peak resident set of this whole process, the figure `/usr/bin/time` reports.
        let hwm = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
            })
            .unwrap_or_default();
        let _ = std::fs::write(hwm_file, hwm);
        return code;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("speed: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    rows: usize,
    contacts: usize,
    dir: PathBuf,
}

fn options() -> Result<Options> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no repository root")?
        .to_path_buf();
    let mut o = Options {
        rows: 100_000,
        contacts: 1_000_000,
        dir: root.join("target/bench-data/speed"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--rows" => o.rows = value.parse()?,
            "--contacts" => o.contacts = value.parse()?,
            "--dir" => o.dir = PathBuf::from(value),
            _ => {
                return Err(
                    format!("unknown option {a}; use --rows N --contacts M --dir DIR").into(),
                );
            }
        }
    }
    Ok(o)
}

/// One measured run.
struct Figure {
    name: String,
    seconds: f64,
    peak_rss_mb: Option<f64>,
    /// The import's own phases (`timings_ms` of its `--json` report), in milliseconds.
    phases: Vec<(String, f64)>,
}

/// The phases of an import, as its report times them.
const PHASES: [&str; 4] = ["hash", "prepare", "load", "commit"];

fn run() -> Result<()> {
    let o = options()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no repository root")?;
    let pipeline = root.join("configs/interactions.toml");
    let _ = std::fs::remove_dir_all(&o.dir);
    std::fs::create_dir_all(&o.dir)?;
    let file = o.dir.join("interactions.csv");
    let truth = generate(&file, o.rows, o.contacts)?;
    let bytes = std::fs::metadata(&file)?.len();
    println!(
        "file: {} rows x {} columns, {:.1} MB; store: {} contacts",
        o.rows,
        HEADER.len(),
        bytes as f64 / 1e6,
        o.contacts
    );
    let mut figures = Vec::new();

    // References.
    let ref_db = o.dir.join("reference.db");
    let started = Instant::now();
    let sqlite = Command::new("sqlite3")
        .arg(&ref_db)
        .arg(".mode csv")
        .arg(format!(".import '{}' raw", file.display()))
        .stdout(Stdio::null())
        .status();
    let sqlite_seconds = match sqlite {
        Ok(s) if s.success() => Some(started.elapsed().as_secs_f64()),
        Ok(s) => return Err(format!("sqlite3 .import failed: {s}").into()),
        Err(_) => {
            eprintln!(
                "note: the sqlite3 command line is not installed, so there is no reference to \
                 compare with; install it with `sudo apt-get install -y sqlite3` (Debian, Ubuntu)"
            );
            None
        }
    };
    if let Some(s) = sqlite_seconds {
        figures.push(Figure {
            name: "sqlite3 .import (reference)".into(),
            seconds: s,
            peak_rss_mb: None,
            phases: Vec::new(),
        });
    }
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(&file)?;
    let mut record = csv::StringRecord::new();
    let mut parsed = 0usize;
    while reader.read_record(&mut record)? {
        parsed += record.len();
    }
    if parsed != o.rows * HEADER.len() {
        return Err(format!("the csv crate read {parsed} fields").into());
    }
    figures.push(Figure {
        name: "csv crate parse (reference)".into(),
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: None,
        phases: Vec::new(),
    });

    // Warm start: the first import compiles the plugins into the cache; the next ones are
    // what a user sees every day.
    let small = o.dir.join("ten.csv");
    generate(&small, 10, 0)?;
    let warm_db = o.dir.join("warm.db");
    let cache = o.dir.join("component-cache");
    import(&pipeline, &small, &warm_db, &cache, &o.dir, false)?;
    let mut warm = Vec::new();
    for _ in 0..5 {
        warm.push(import(&pipeline, &small, &warm_db, &cache, &o.dir, true)?);
    }
    warm.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let warm = warm.swap_remove(2);
    let warm_ms = warm.seconds * 1000.0;

    // The file into an empty store.
    let empty_db = o.dir.join("empty.db");
    let mut empty = import(&pipeline, &file, &empty_db, &cache, &o.dir, false)?;
    empty.name = "sluice import, empty store".into();
    figures.push(empty);

    // The file into a store of many contacts.
    let full_db = o.dir.join("full.db");
    drop(sluice::store::Store::open(&full_db)?);
    let started = Instant::now();
    write_contacts(&full_db, o.contacts)?;
    let fill_seconds = started.elapsed().as_secs_f64();
    let mut full = import(&pipeline, &file, &full_db, &cache, &o.dir, false)?;
    full.name = format!("sluice import, {} contacts", o.contacts);
    figures.push(full);
    let score = score(&full_db, &truth, o.contacts)?;

    // Report.
    let mut table = String::new();
    writeln!(
        table,
        "| run | seconds | rows/s | peak RSS MB | ratio to sqlite3 .import |"
    )?;
    writeln!(table, "|---|---|---|---|---|")?;
    for f in &figures {
        writeln!(
            table,
            "| {} | {:.2} | {:.0} | {} | {} |",
            f.name,
            f.seconds,
            o.rows as f64 / f.seconds,
            f.peak_rss_mb.map_or("–".into(), |m| format!("{m:.0}")),
            sqlite_seconds.map_or("–".into(), |s| format!("{:.2}", s / f.seconds)),
        )?;
    }
    println!("\n{table}");
    println!("{}", phase_table(&figures, o.rows)?);
    println!(
        "warm start of a 10-row import (median of 5): {warm_ms:.0} ms, peak RSS {} MB",
        warm.peak_rss_mb.map_or("–".into(), |m| format!("{m:.0}"))
    );
    println!(
        "store filled with {} contacts by SQL in {fill_seconds:.1} s (not measured)",
        o.contacts
    );
    println!(
        "matching against the store: precision {:.4}, recall {:.4} ({} true, {} wrong, {} missed; \
         traps attached {} of {}; repeated rows merged {} of {})",
        score.precision(),
        score.recall(),
        score.true_positive,
        score.wrong,
        score.missed,
        score.traps_attached,
        score.traps,
        score.repeats_merged,
        score.repeats
    );
    show_wrong_rows(&full_db, &score)?;

    let mut json = String::from("{\n");
    writeln!(
        json,
        "  \"rows\": {},\n  \"columns\": {},\n  \"bytes\": {bytes},\n  \"contacts\": {},",
        o.rows,
        HEADER.len(),
        o.contacts
    )?;
    json.push_str("  \"runs\": [\n");
    for (i, f) in figures.iter().enumerate() {
        writeln!(
            json,
            "    {{\"name\": \"{}\", \"seconds\": {:.4}, \"rows_per_second\": {:.0}, \"peak_rss_mb\": {}, \"ratio_to_sqlite3_import\": {}, \"phases_ms\": {{{}}}}}{}",
            f.name,
            f.seconds,
            o.rows as f64 / f.seconds,
            f.peak_rss_mb.map_or("null".into(), |m| format!("{m:.1}")),
            sqlite_seconds.map_or("null".into(), |s| format!("{:.4}", s / f.seconds)),
            f.phases
                .iter()
                .map(|(p, ms)| format!("\"{p}\": {ms:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            if i + 1 < figures.len() { "," } else { "" }
        )?;
    }
    json.push_str("  ],\n");
    writeln!(
        json,
        "  \"warm_start_ms\": {warm_ms:.1},\n  \"precision\": {:.6},\n  \"recall\": {:.6},\n  \"true_positive\": {},\n  \"wrong\": {},\n  \"missed\": {},\n  \"traps\": {},\n  \"traps_attached\": {},\n  \"repeats\": {},\n  \"repeats_merged\": {}\n}}",
        score.precision(),
        score.recall(),
        score.true_positive,
        score.wrong,
        score.missed,
        score.traps,
        score.traps_attached,
        score.repeats,
        score.repeats_merged
    )?;
    let out = o.dir.join("speed.json");
    std::fs::write(&out, json)?;
    println!("JSON: {}", out.display());
    Ok(())
}

/// Runs `sluice import` in a child process; its wall time and peak RSS.
fn import(
    pipeline: &Path,
    file: &Path,
    db: &Path,
    cache: &Path,
    dir: &Path,
    force: bool,
) -> Result<Figure> {
    let hwm = dir.join("child-hwm");
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("import")
        .arg(pipeline)
        .arg(file)
        .arg("--db")
        .arg(db)
        .arg("--json")
        .env(CHILD_ENV, &hwm)
        .env("SLUICE_CACHE_DIR", cache)
        .stdout(Stdio::piped());
    if force {
        cmd.arg("--force");
    }
    let started = Instant::now();
    let out = cmd.output()?;
    let seconds = started.elapsed().as_secs_f64();
    // 0: all imported; 3: imported with some rows rejected or flagged (counted by the score).
    if !matches!(out.status.code(), Some(0 | 3)) {
        return Err(format!(
            "sluice import of {} failed ({}): {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout)
        )
        .into());
    }
    std::fs::File::create(dir.join(format!(
        "{}.json",
        db.file_stem().and_then(|s| s.to_str()).unwrap_or("import")
    )))?
    .write_all(&out.stdout)?;
    let kb: Option<f64> = std::fs::read_to_string(&hwm)
        .ok()
        .and_then(|s| s.parse().ok());
    Ok(Figure {
        name: String::new(),
        seconds,
        peak_rss_mb: kb.map(|k| k / 1024.0),
        phases: phases(&out.stdout),
    })
}

/// The phases' milliseconds in an import's `--json` report (one report per file); none
/// when the report does not have all of them.
fn phases(report: &[u8]) -> Vec<(String, f64)> {
    let Ok(serde_json::Value::Array(reports)) = serde_json::from_slice(report) else {
        return Vec::new();
    };
    let Some(timings) = reports.first().and_then(|r| r.get("timings_ms")) else {
        return Vec::new();
    };
    PHASES
        .iter()
        .map(|p| Some(((*p).to_string(), timings.get(p)?.as_f64()?)))
        .collect::<Option<_>>()
        .unwrap_or_default()
}

/// Per import, each phase in µs per row and as a share of the phases' time together: where
/// the next bottleneck is.
fn phase_table(figures: &[Figure], rows: usize) -> Result<String> {
    let mut table = String::new();
    writeln!(
        table,
        "| phase, µs per row (share) | {} |",
        PHASES.join(" | ")
    )?;
    writeln!(table, "|---|{}", "---|".repeat(PHASES.len()))?;
    for f in figures.iter().filter(|f| !f.phases.is_empty()) {
        let sum: f64 = f.phases.iter().map(|(_, ms)| ms).sum();
        let cells: Vec<String> = f
            .phases
            .iter()
            .map(|(_, ms)| {
                format!(
                    "{:.1} ({:.0}%)",
                    ms * 1000.0 / rows.max(1) as f64,
                    100.0 * ms / sum.max(1.0)
                )
            })
            .collect();
        writeln!(table, "| {} | {} |", f.name, cells.join(" | "))?;
    }
    Ok(table)
}

/// Writes an interactions file of `rows` rows and returns what each row truly is. With
/// `contacts` stored people (`sluice_bench::person(0..contacts)`): ~30% of rows are stored
/// people with variations (changed or upper-cased email, reformatted phone, dropped address
/// or email, a typo in the first name), ~5% household members of stored people (same address
/// and phone, another first name), ~5% namesakes (same name, nothing else: not even a house
/// number of a stored person), ~10% repeats of an earlier new row of the file, the rest new
/// people.
fn generate(file: &Path, rows: usize, contacts: usize) -> Result<Vec<Truth>> {
    let mut rng = Rng(0x5EED_0010_5BEE_D001);
    let mut w = csv::Writer::from_path(file)?;
    w.write_record(HEADER)?;
    let mut truth = Vec::with_capacity(rows);
    let mut news: Vec<usize> = Vec::new();
    for k in 0..rows {
        let roll = rng.below(100);
        let (mut p, t) = if contacts > 0 && roll < 30 {
            let j = rng.below(contacts);
            let mut p = person(j);
            match rng.below(5) {
                0 => {
                    p[3] = p[3].to_uppercase();
                    p[4] = reformat_phone(&p[4]);
                }
                1 => p[3].clear(),
                2 => p[3] = format!("moved{k}@example.net"),
                3 => {
                    p[2].clear();
                    p[0] = p[0].to_uppercase();
                }
                _ => p[0] = typo(&mut rng, &p[0]),
            }
            (p, Truth::Existing(j + 1))
        } else if contacts > 0 && roll < 35 {
            let mut p = person(rng.below(contacts));
            p[0] = rng.pick(OTHER_FIRST).to_string();
            p[3] = format!("housemate{k}@example.net");
            (p, Truth::Trap)
        } else if contacts > 0 && roll < 40 {
            let j = rng.below(contacts);
            let q = person(j);
            let mut p = person(contacts + rows + k);
            p[0].clone_from(&q[0]);
            p[1].clone_from(&q[1]);
            p[2] = elsewhere(&p[2]);
            (p, Truth::Trap)
        } else if roll < 50 && !news.is_empty() {
            let n = news.get(rng.below(news.len())).copied().unwrap_or(0);
            let mut p = person(contacts + n);
            p[3] = p[3].to_uppercase();
            (p, Truth::New(n))
        } else {
            news.push(k);
            (person(contacts + k), Truth::New(k))
        };
        let kind = rng.pick(KINDS);
        let date = format!("2025-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let result = rng.pick(RESULTS);
        let amount = if result == "pledge" {
            format!("${}.00", 5 + rng.below(500))
        } else {
            String::new()
        };
        let notes = format!("Follow-up #{k}, said \"call back\"");
        let [first, last, address, email, phone] = std::mem::take(&mut p);
        w.write_record([
            kind,
            &date,
            "individual",
            &first,
            &last,
            &address,
            &email,
            &phone,
            "Springfield Schools",
            "Teacher",
            result,
            &amount,
            &notes,
        ])?;
        truth.push(t);
    }
    w.flush()?;
    Ok(truth)
}

/// `address` with a house number no stored person has (theirs are 1 to 9000). Drawn at
/// random, a namesake now and then lands at the very address of a stored person with that
/// name (`James Marchetti`, 7935 Elm Ln, Springfield IL 62749, twice): the same person by
/// every field but email and phone, not a trap any matcher should be held to.
fn elsewhere(address: &str) -> String {
    match address.split_once(' ') {
        Some((number, rest)) => match number.parse::<usize>() {
            Ok(n) => format!("{} {rest}", n + 9000),
            Err(_) => address.to_string(),
        },
        None => address.to_string(),
    }
}

/// `+12175550123` as `(217) 555-0123`.
fn reformat_phone(p: &str) -> String {
    let d: String = p.chars().filter(char::is_ascii_digit).collect();
    match (d.get(1..4), d.get(4..7), d.get(7..)) {
        (Some(a), Some(b), Some(c)) => format!("({a}) {b}-{c}"),
        _ => p.to_string(),
    }
}

/// A one-letter typo inside a name: a doubled or a dropped letter.
fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 5 {
        return s.to_string();
    }
    let i = 2 + rng.below(c.len() - 3);
    if rng.chance(50) {
        c.remove(i);
    } else if let Some(&x) = c.get(i) {
        c.insert(i, x);
    }
    c.into_iter().collect()
}

#[derive(Default)]
struct Score {
    true_positive: u64,
    wrong: u64,
    missed: u64,
    traps: u64,
    traps_attached: u64,
    repeats: u64,
    repeats_merged: u64,
    /// The first few wrong rows: (row number, what it truly is, the contact it joined).
    wrong_rows: Vec<(usize, String, usize)>,
}

impl Score {
    /// Counts a wrong row, keeping the first few to show.
    fn wrong(&mut self, row: usize, truth: String, contact: usize) {
        self.wrong += 1;
        if self.wrong_rows.len() < 5 {
            self.wrong_rows.push((row, truth, contact));
        }
    }
    fn precision(&self) -> f64 {
        self.true_positive as f64 / (self.true_positive + self.wrong).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.true_positive as f64 / (self.true_positive + self.missed).max(1) as f64
    }
}

/// Prints the first wrong rows of the run against the store with the matcher's reasons, so
/// that a wrong attachment can be told from a flaw of the generated data.
fn show_wrong_rows(db: &Path, score: &Score) -> Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    for (row, truth, contact) in &score.wrong_rows {
        let reasons: String = conn.query_row(
            "SELECT reasons_json FROM match_decisions \
             WHERE import_id = (SELECT max(id) FROM imports) AND row_number = ?1",
            [row],
            |r| r.get(0),
        )?;
        println!("  wrong: row {row} ({truth}) joined #{contact}: {reasons}");
    }
    Ok(())
}

/// Scores the last import into `db` against the truth. A stored-person row attached to its
/// contact is a true positive, to another stored contact a wrong one, anywhere else (a new
/// contact, rejected) a miss; a trap or new row attached to any stored contact is wrong too.
fn score(db: &Path, truth: &[Truth], contacts: usize) -> Result<Score> {
    let conn = rusqlite::Connection::open(db)?;
    let mut stmt = conn.prepare(
        "SELECT row_number, contact_id FROM interactions WHERE import_id = (SELECT max(id) FROM imports)",
    )?;
    let attached: HashMap<usize, usize> = stmt
        .query_map([], |r| Ok((r.get::<_, usize>(0)?, r.get::<_, usize>(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut s = Score::default();
    let mut first_contact: HashMap<usize, usize> = HashMap::new();
    for (k, t) in truth.iter().enumerate() {
        // Rows are numbered as the exceptions report numbers them: the header is row 1.
        let got = attached.get(&(k + 2)).copied();
        let stored = got.filter(|&c| c <= contacts);
        match *t {
            Truth::Existing(id) => match got {
                Some(c) if c == id => s.true_positive += 1,
                Some(c) if c <= contacts => s.wrong(k + 2, format!("stored person #{id}"), c),
                _ => s.missed += 1,
            },
            Truth::Trap => {
                s.traps += 1;
                if let Some(c) = stored {
                    s.traps_attached += 1;
                    s.wrong(k + 2, "household member or namesake".into(), c);
                }
            }
            Truth::New(n) => {
                if let Some(c) = stored {
                    s.wrong(k + 2, "new person".into(), c);
                }
                if n == k {
                    if let Some(c) = got {
                        first_contact.insert(n, c);
                    }
                } else {
                    s.repeats += 1;
                    if got.is_some() && first_contact.get(&n) == got.as_ref() {
                        s.repeats_merged += 1;
                    }
                }
            }
        }
    }
    Ok(s)
}
