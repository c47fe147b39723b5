//! Matching accuracy on labelled data: FEBRL 1-3 (fetched by `bench/fetch-febrl.sh`) and a
//! generated set of hard cases, each run through the real import pipeline. Prints precision,
//! recall, F1, ambiguous rows and time per data set; see `bench/README.md` for the protocol.
//! `--show-wrong` lists the rows attached to the wrong contact, to read their reasons with
//! `sluice imports show` in the run's store (`target/bench-data/run-*/bench.db`).

#![allow(clippy::print_stdout, clippy::print_stderr)] // A benchmark reports on the terminal.
#![allow(clippy::cast_precision_loss)] // Ratios of row counts far below 2^52.

use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::time::Instant;

use sluice::config::PipelineSpec;
use sluice::pipeline::{ImportOptions, Pipeline, run_import};
use sluice::plugin::Host;
use sluice::store::Store;
use sluice_bench::Rng;
use sluice_plugin_contacts::Level;
use sluice_plugin_contacts::compare::{compare_addresses, name_level, phone_level};
use sluice_plugin_contacts::first_names::FirstNames;
use sluice_plugin_contacts::normalise::{self, Address};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Stored people and incoming rows with what each one truly is.
type Labelled = (Vec<Person>, Vec<(Person, Truth)>);

const HEADER: [&str; 10] = [
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
];

/// One person's row: (first, last, address, email, phone).
#[derive(Clone, Debug, Default)]
struct Person {
    first: String,
    last: String,
    address: String,
    email: String,
    phone: String,
}

/// What an incoming row is, for scoring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    /// The same person as original `n`.
    Original(usize),
    /// A person not in the store.
    New,
    /// A person not in the store who shares a household or a common name with stored ones:
    /// attaching them anywhere is the error the product must never make.
    Trap,
}

/// The figures of one data set.
#[derive(Debug, Default)]
struct Figures {
    true_positive: u64,
    wrong: u64,
    missed: u64,
    ambiguous: u64,
    review: u64,
    unmatchable: u64,
    load_merges: u64,
    trap_rows: u64,
    trap_wrong: u64,
    new_rows: u64,
    new_wrong: u64,
    rows: u64,
    seconds: f64,
    /// Missed duplicates that the matcher's safety rules keep apart from their original.
    missed_by_rule: MissedByRule,
    /// Incoming rows attached to the wrong contact (file row numbers), and rows of the
    /// originals merged into an earlier original while loading.
    wrong_rows: Vec<usize>,
    merged_rows: Vec<usize>,
}

/// Why duplicates were missed, judged by comparing each with its original on the
/// matcher's own comparison levels (not on how it scored them).
#[derive(Debug, Default)]
struct MissedByRule {
    /// The first names differ (not equal, a nickname, a typo or an initial): the rule that
    /// keeps household members apart, who share an address and a phone.
    first_name: u64,
    /// The last names differ (not equal, a typo or sounding alike): first and last name
    /// must both agree, so these go to review at best (a marriage, or someone else).
    last_name: u64,
    /// Nothing but the name agrees (no email, phone or address, nor a phone one digit
    /// off): the rule that a name alone never matches.
    name_only: u64,
    /// The other misses: ended in review, ambiguous, or new without a candidate sharing
    /// a blocking key with the original's contact, or new with it scored below `review`.
    other_review: u64,
    other_ambiguous: u64,
    other_unblocked: u64,
    other_new: u64,
}

/// Whether `contact` was among the candidates of row `row` of the incoming file.
fn was_candidate(conn: &rusqlite::Connection, row: usize, contact: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM json_each(candidates_json)
                        WHERE json_extract(value, '$.contact') = ?2)
         FROM match_decisions WHERE import_id = 2 AND row_number = ?1",
        rusqlite::params![row, contact],
        |r| r.get(0),
    )?)
}

/// A safety rule of the matcher that keeps a duplicate apart from its original.
enum SafetyRule {
    /// The first names name different people.
    FirstName,
    /// The last names differ.
    LastName,
    /// Nothing but the name agrees.
    NameOnly,
}

/// Which safety rule keeps `dup` apart from `original`, if any.
fn blocking_rule(original: &Person, dup: &Person, names: &FirstNames) -> Option<SafetyRule> {
    let name = |s: &str| normalise::name(s);
    let first = name_level(&name(&original.first), &name(&dup.first), Some(names));
    // First and last name swapped is the same person's name.
    let swapped = name_level(&name(&original.first), &name(&dup.last), Some(names))
        != Level::Differs
        && name_level(&name(&original.last), &name(&dup.first), None) != Level::Differs
        && [&original.first, &original.last, &dup.first, &dup.last]
            .iter()
            .all(|n| !name(n).is_empty());
    if first == Level::Differs && !swapped {
        return Some(SafetyRule::FirstName);
    }
    let (last, dup_last) = (name(&original.last), name(&dup.last));
    if !swapped
        && name_level(&last, &dup_last, None) == Level::Differs
        && normalise::soundex(&last) != normalise::soundex(&dup_last)
    {
        return Some(SafetyRule::LastName);
    }
    let email =
        normalise::email(&original.email).is_some_and(|e| Some(e) == normalise::email(&dup.email));
    let phone = phone_level(
        normalise::phone(&original.phone).as_deref(),
        normalise::phone(&dup.phone).as_deref(),
    );
    let address = compare_addresses(
        Address::parse(&original.address).as_ref(),
        Address::parse(&dup.address).as_ref(),
    );
    let identifying = email
        || matches!(phone, Level::Exact | Level::Partial | Level::Close)
        || address.level.identifying();
    (!identifying).then_some(SafetyRule::NameOnly)
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no repository root")?
        .to_path_buf();
    let data = root.join("target/bench-data");
    let mut host = Host::new(Some(data.join("component-cache")))?;
    println!(
        "{:<18} {:>6} {:>6} {:>9} {:>9} {:>7} {:>5} {:>5} {:>6} {:>7} {:>8}",
        "data set",
        "rows",
        "TP",
        "precision",
        "R allowed",
        "R all",
        "wrong",
        "ambig",
        "review",
        "traps",
        "seconds"
    );
    for (n, conversion) in
        (1..=3).flat_map(|n| [(n, Conversion::NameAddress), (n, Conversion::SocSecAsPhone)])
    {
        let file = data.join(format!("febrl/dataset{n}.csv"));
        if !file.is_file() {
            eprintln!(
                "{} is missing: run bench/fetch-febrl.sh first",
                file.display()
            );
            continue;
        }
        let (originals, incoming) = febrl(&file, conversion)?;
        let tag = match conversion {
            Conversion::NameAddress => "name+address",
            Conversion::SocSecAsPhone => "+soc_sec_id",
        };
        let f = run(
            &mut host,
            &data,
            &format!("febrl{n}-{}", tag.trim_start_matches('+')),
            &originals,
            &incoming,
        )?;
        print_figures(&format!("FEBRL {n} {tag}"), &f);
    }
    let (originals, incoming) = generated(4000);
    let f = run(&mut host, &data, "generated", &originals, &incoming)?;
    print_figures("generated", &f);
    println!(
        "\nwrong = attached to another contact; traps = household/common-name rows attached anywhere (must be 0);\n\
         precision = TP / (TP + wrong + merges of originals while loading);\n\
         R allowed = TP / duplicates the rule lets match (first name equal, a typo, nickname, initial, split, joined or swapped,\n\
         last name equal, a typo or sounding alike, and one more property agreeing); R all = TP / every duplicate"
    );
    Ok(())
}

fn print_figures(name: &str, f: &Figures) {
    let wrong = f.wrong + f.load_merges;
    let precision = if f.true_positive + wrong == 0 {
        1.0
    } else {
        f.true_positive as f64 / (f.true_positive + wrong) as f64
    };
    let matchable = f.true_positive + f.wrong + f.missed;
    let ratio = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    let recall = ratio(f.true_positive, matchable);
    let rule = &f.missed_by_rule;
    let allowed = matchable - rule.first_name - rule.last_name - rule.name_only;
    let allowed_recall = ratio(f.true_positive, allowed);
    println!(
        "{name:<18} {:>6} {:>6} {precision:>9.4} {allowed_recall:>9.4} {recall:>7.4} {:>5} {:>5} {:>6} {:>3}/{:<3} {:>8.2}",
        f.rows, f.true_positive, wrong, f.ambiguous, f.review, f.trap_wrong, f.trap_rows, f.seconds
    );
    println!(
        "{:<18} (misses the rule allows: {} in review, {} ambiguous, {} never a candidate, {} scored below review; not allowed: {} whose first name names someone else, {} with another last name, {} with only the name in common)",
        "",
        rule.other_review,
        rule.other_ambiguous,
        rule.other_unblocked,
        rule.other_new,
        rule.first_name,
        rule.last_name,
        rule.name_only,
    );
    if std::env::args().any(|a| a == "--show-wrong") {
        println!("{:<18} wrong rows (incoming.csv): {:?}", "", f.wrong_rows);
        println!(
            "{:<18} merged rows (originals.csv): {:?}",
            "", f.merged_rows
        );
    }
    if f.unmatchable > 0 || f.new_rows > 0 {
        println!(
            "{:<18} ({} duplicate rows rejected by validation, left out; new people attached: {}/{}; originals merged while loading: {})",
            "", f.unmatchable, f.new_wrong, f.new_rows, f.load_merges
        );
    }
}

/// How a FEBRL file is turned into an export, as a user would: the name and one address
/// line ("number street, address_2, suburb, state postcode"), with or without the
/// `soc_sec_id` as Primary Phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conversion {
    NameAddress,
    SocSecAsPhone,
}

/// FEBRL: originals (`rec-N-org`) and duplicates (`rec-N-dup-K`) labelled with N.
fn febrl(path: &Path, conversion: Conversion) -> Result<Labelled> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)?;
    let mut originals: Vec<(usize, Person)> = Vec::new();
    let mut dups: Vec<(usize, Person)> = Vec::new();
    for record in reader.records() {
        let r = record?;
        let get = |i: usize| r.get(i).unwrap_or("").to_string();
        let id = get(0);
        let mut parts = id.split('-');
        let (Some(_), Some(n), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let n: usize = n.parse()?;
        let address = [
            format!("{} {}", get(3), get(4)).trim().to_string(),
            get(5),
            get(6),
            format!("{} {}", get(8), get(7)).trim().to_string(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        let person = Person {
            first: get(1),
            last: get(2),
            address,
            email: String::new(),
            phone: if conversion == Conversion::SocSecAsPhone {
                get(10)
            } else {
                String::new()
            },
        };
        if kind == "org" {
            originals.push((n, person));
        } else {
            dups.push((n, person));
        }
    }
    let index: HashMap<usize, usize> = originals
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i))
        .collect();
    let incoming = dups
        .into_iter()
        .filter_map(|(n, p)| index.get(&n).map(|&i| (p, Truth::Original(i))))
        .collect();
    Ok((originals.into_iter().map(|(_, p)| p).collect(), incoming))
}

/// Writes rows as an interactions file.
fn write_file(path: &Path, people: &[&Person]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(HEADER)?;
    for p in people {
        w.write_record([
            "Call",
            "2025-01-15",
            "individual",
            &p.first,
            &p.last,
            &p.address,
            &p.email,
            &p.phone,
            "",
            "",
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Imports the originals, then the incoming rows, and scores the incoming decisions.
fn run(
    host: &mut Host,
    data: &Path,
    name: &str,
    originals: &[Person],
    incoming: &[(Person, Truth)],
) -> Result<Figures> {
    let dir = data.join(format!("run-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let pipeline_path = dir.join("pipeline.toml");
    let text = "[pipeline]\nname = \"bench\"\n[source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
                [[validate]]\nplugin = \"interactions\"\n[validate.params]\nname_only = \"allow\"\n\
                [match]\nplugin = \"contacts\"\n[store]\npath = \"bench.db\"\n";
    std::fs::write(&pipeline_path, text)?;
    let spec = PipelineSpec::parse(&pipeline_path, text)?;
    let db = spec.store_path.clone();
    let pipeline = Pipeline::load(host, spec)?;
    let mut store = Store::open(&db)?;

    let a = dir.join("originals.csv");
    write_file(&a, &originals.iter().collect::<Vec<_>>())?;
    let b = dir.join("incoming.csv");
    write_file(&b, &incoming.iter().map(|(p, _)| p).collect::<Vec<_>>())?;
    let opts = ImportOptions::default();
    run_import(host, &pipeline, &mut store, &a, &opts)?;
    let started = Instant::now();
    run_import(host, &pipeline, &mut store, &b, &opts)?;
    let seconds = started.elapsed().as_secs_f64();
    drop(store);

    let conn = rusqlite::Connection::open(&db)?;
    let decisions = |import: i64| -> Result<HashMap<usize, (String, Option<i64>)>> {
        let mut stmt = conn.prepare(
            "SELECT row_number, decision, contact_id FROM match_decisions WHERE import_id = ?1",
        )?;
        let rows = stmt.query_map([import], |r| {
            Ok((r.get::<_, usize>(0)?, (r.get(1)?, r.get(2)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    // Row numbers: the header is row 1, the n-th person row n + 2.
    let loaded = decisions(1)?;
    let contact_of: HashMap<usize, i64> = loaded
        .iter()
        .filter_map(|(row, (_, c))| c.map(|c| (row - 2, c)))
        .collect();
    let mut f = Figures {
        rows: incoming.len() as u64,
        seconds,
        ..Figures::default()
    };
    let mut per_contact: HashMap<i64, u64> = HashMap::new();
    for c in contact_of.values() {
        *per_contact.entry(*c).or_default() += 1;
    }
    f.load_merges = per_contact.values().map(|n| n - 1).sum();
    f.merged_rows = loaded
        .iter()
        .filter(|(_, (kind, _))| kind == "matched" || kind == "same-as-row")
        .map(|(row, _)| *row)
        .collect();
    f.merged_rows.sort_unstable();
    let got = decisions(2)?;
    let names = FirstNames::load();
    for (i, (person, truth)) in incoming.iter().enumerate() {
        let decision = got.get(&(i + 2));
        let attached = match decision {
            Some((kind, Some(c))) if kind == "matched" || kind == "same-as-row" => Some(*c),
            _ => None,
        };
        if decision.is_some_and(|(k, _)| k == "ambiguous") {
            f.ambiguous += 1;
        }
        if decision.is_some_and(|(k, _)| k == "review") {
            f.review += 1;
        }
        match truth {
            Truth::Original(o) => {
                let Some(expected) = contact_of.get(o) else {
                    continue;
                };
                match (decision, attached) {
                    (None, _) => f.unmatchable += 1,
                    (_, Some(c)) if c == *expected => f.true_positive += 1,
                    (_, Some(_)) => {
                        f.wrong += 1;
                        f.wrong_rows.push(i + 2);
                    }
                    (_, None) => {
                        f.missed += 1;
                        let original = originals.get(*o).ok_or("no such original")?;
                        let rule = &mut f.missed_by_rule;
                        match blocking_rule(original, person, &names) {
                            Some(SafetyRule::FirstName) => rule.first_name += 1,
                            Some(SafetyRule::LastName) => rule.last_name += 1,
                            Some(SafetyRule::NameOnly) => rule.name_only += 1,
                            None => match decision.map(|(kind, _)| kind.as_str()) {
                                Some("review") => rule.other_review += 1,
                                Some("ambiguous") => rule.other_ambiguous += 1,
                                _ if was_candidate(&conn, i + 2, *expected)? => rule.other_new += 1,
                                _ => rule.other_unblocked += 1,
                            },
                        }
                    }
                }
            }
            Truth::New | Truth::Trap => {
                let existing = attached.is_some_and(|c| contact_of.values().any(|&x| x == c));
                if *truth == Truth::Trap {
                    f.trap_rows += 1;
                    f.trap_wrong += u64::from(existing);
                } else {
                    f.new_rows += 1;
                    f.new_wrong += u64::from(existing);
                }
                f.wrong += u64::from(existing);
                if existing {
                    f.wrong_rows.push(i + 2);
                }
            }
        }
    }
    Ok(f)
}

const FIRST: &[&str] = &[
    "William",
    "Robert",
    "Elizabeth",
    "James",
    "Margaret",
    "Katherine",
    "Michael",
    "Jennifer",
    "Thomas",
    "Patricia",
    "Daniel",
    "Susan",
    "Joseph",
    "Barbara",
    "Charles",
    "Nancy",
    "Anthony",
    "Rebecca",
    "Andrew",
    "Deborah",
    "Aisha",
    "Mateo",
    "Priya",
    "Wei",
    "Olga",
    "Kwame",
    "Sofia",
    "Ibrahim",
    "Yuki",
    "Lucia",
    "Oluwaseun",
    "Ngozi",
    "Dmitri",
    "Fatima",
    "Santiago",
    "Mei",
];
const NICKNAMES: &[(&str, &str)] = &[
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Elizabeth", "Liz"),
    ("James", "Jim"),
    ("Margaret", "Peggy"),
    ("Katherine", "Kate"),
    ("Michael", "Mike"),
    ("Jennifer", "Jenny"),
    ("Thomas", "Tom"),
    ("Patricia", "Patty"),
    ("Daniel", "Dan"),
    ("Joseph", "Joe"),
    ("Charles", "Chuck"),
    ("Anthony", "Tony"),
    ("Rebecca", "Becky"),
    ("Andrew", "Andy"),
];
const LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Castellano",
    "Nakamura",
    "Abernathy",
    "Kowalczyk",
    "Delacroix",
    "Oyelaran",
    "Brennan",
    "Haddad",
    "Marchetti",
    "Sorensen",
    "Villanueva",
    "Achterberg",
    "Fitzgerald",
    "Rasmussen",
    "Pemberton",
    "Szymanski",
    "Takahashi",
    "Montgomery",
    "Whitaker",
    "Galloway",
    "Iwasaki",
    "Ferreira",
    "Blackwood",
    "Kaminski",
    "Esposito",
    "Lachance",
];
const COMMON_LAST: &[&str] = &["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia"];
const STREETS: &[&str] = &[
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Highland",
    "Franklin",
    "Lincoln",
    "Jefferson",
    "Madison",
    "River",
    "Church",
    "Spring",
];
const SUFFIXES: &[(&str, &str)] = &[
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Boulevard", "Blvd"),
    ("Court", "Ct"),
];
const CITIES: &[(&str, &str, u32)] = &[
    ("Springfield", "IL", 62701),
    ("Dayton", "OH", 45402),
    ("Reno", "NV", 89501),
    ("Austin", "TX", 78701),
    ("Albany", "NY", 12207),
    ("Tacoma", "WA", 98402),
];

fn address(rng: &mut Rng, long: bool) -> String {
    let (suffix_long, suffix_short) = SUFFIXES
        .get(rng.below(SUFFIXES.len()))
        .copied()
        .unwrap_or(("Street", "St"));
    let (city, state, zip) = CITIES
        .get(rng.below(CITIES.len()))
        .copied()
        .unwrap_or(("Reno", "NV", 89501));
    format!(
        "{} {} {}, {city} {state} {}",
        1 + rng.below(9000),
        rng.pick(STREETS),
        if long { suffix_long } else { suffix_short },
        zip + u32::try_from(rng.below(40)).unwrap_or(0)
    )
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "{}{:02}-555-{:04}",
        2 + rng.below(8),
        rng.below(100),
        rng.below(10_000)
    )
}

/// A one-letter typo: a dropped, doubled or swapped letter.
fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_string();
    }
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(3) {
        0 => {
            c.remove(i);
        }
        1 => {
            let x = c.get(i).copied().unwrap_or('a');
            c.insert(i, x);
        }
        _ => c.swap(i, i + 1),
    }
    c.into_iter().collect()
}

/// Which Publication 28 spelling variant an address is written in.
fn respell(s: &str) -> String {
    let mut out = s.to_string();
    for (long, short) in SUFFIXES {
        if out.contains(&format!(" {short},")) {
            out = out.replace(&format!(" {short},"), &format!(" {long},"));
            break;
        }
        if out.contains(&format!(" {long},")) {
            out = out.replace(&format!(" {long},"), &format!(" {short}.,"));
            break;
        }
    }
    out
}

/// `n` stored people (some households, some common names) and incoming rows: variants of
/// half of them, new people, and traps.
fn generated(n: usize) -> Labelled {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut people: Vec<Person> = Vec::with_capacity(n);
    let mut serial = 0usize;
    let mut email = |first: &str, last: &str, rng: &mut Rng| {
        serial += 1;
        let domain = rng.pick(&["example.org", "mail.example", "post.example"]);
        format!(
            "{}.{}{serial}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        )
    };
    for i in 0..n {
        let common = i % 8 == 0;
        let first = rng.pick(FIRST).to_string();
        let last = if common {
            rng.pick(COMMON_LAST)
        } else {
            rng.pick(LAST)
        }
        .to_string();
        let p = Person {
            email: if rng.chance(80) {
                email(&first, &last, &mut rng)
            } else {
                String::new()
            },
            phone: if rng.chance(70) {
                phone(&mut rng)
            } else {
                String::new()
            },
            address: {
                let long = rng.chance(50);
                address(&mut rng, long)
            },
            first,
            last,
        };
        people.push(p);
    }
    let mut incoming = Vec::new();
    for (i, p) in people.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let mut q = p.clone();
        match rng.below(6) {
            0 => q.last = typo(&mut rng, &q.last),
            1 => {
                if let Some((_, nick)) = NICKNAMES.iter().find(|(f, _)| *f == q.first) {
                    q.first = (*nick).to_string();
                } else {
                    q.first = typo(&mut rng, &q.first);
                }
            }
            2 => q.address = address(&mut rng, true),
            3 => q.email = email(&q.first, &q.last, &mut rng),
            4 => {
                q.address = respell(&q.address);
                q.phone = q.phone.replace('-', ".");
            }
            _ => {
                q.email = q.email.to_uppercase();
                q.first = q.first.to_uppercase();
            }
        }
        incoming.push((q, Truth::Original(i)));
    }
    for p in people.iter().skip(1).step_by(5) {
        // A household member: same address and phone (and half the time the shared
        // family email), a different first name.
        let mut q = p.clone();
        while q.first == p.first {
            q.first = rng.pick(FIRST).to_string();
        }
        if NICKNAMES
            .iter()
            .any(|(a, b)| (*a == q.first && *b == p.first) || (*a == p.first && *b == q.first))
        {
            continue;
        }
        if rng.chance(50) {
            q.email = email(&q.first, &q.last, &mut rng);
        }
        incoming.push((q, Truth::Trap));
    }
    for p in people
        .iter()
        .filter(|p| COMMON_LAST.contains(&p.last.as_str()))
        .take(200)
    {
        // Someone else with the same common name, nothing else in common.
        let q = Person {
            first: p.first.clone(),
            last: p.last.clone(),
            address: address(&mut rng, false),
            email: email(&p.first, &p.last, &mut rng),
            phone: phone(&mut rng),
        };
        incoming.push((q, Truth::Trap));
    }
    for _ in 0..300 {
        let first = rng.pick(FIRST).to_string();
        let last = rng.pick(LAST).to_string();
        let q = Person {
            email: email(&first, &last, &mut rng),
            phone: phone(&mut rng),
            address: address(&mut rng, false),
            first,
            last,
        };
        incoming.push((q, Truth::New));
    }
    (people, incoming)
}
