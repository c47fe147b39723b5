//! Deterministic data for sluice's benchmarks, shared by the `match_scale`, `match_accuracy`
//! and `speed` programs: a seeded random generator, stored people by index, and the writer
//! that fills a store with them.

use std::path::Path;
use std::sync::OnceLock;

/// What a benchmark helper can fail with.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A small deterministic generator (xorshift64*), so every run sees the same data.
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)] // Not an iterator: it never ends.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
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
];
/// The commonest 30,000 surnames of the 1990 US Census (public domain; 82% of people), each
/// with its share in millionths of a percent (names the Census rounds to 0 share the rest
/// of the cumulative share evenly): `Smith 1006000`.
const SURNAMES: &str = include_str!("../data/surnames.txt");

/// The surnames and the running total of their weights.
fn surname_table() -> &'static (Vec<&'static str>, Vec<u64>) {
    static TABLE: OnceLock<(Vec<&'static str>, Vec<u64>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut names = Vec::new();
        let mut running = Vec::new();
        let mut total = 0u64;
        for (name, weight) in SURNAMES.lines().filter_map(|l| l.split_once(' ')) {
            total += weight.parse::<u64>().unwrap_or(0);
            names.push(name);
            running.push(total);
        }
        (names, running)
    })
}

/// A surname drawn from the Census distribution by `draw`: Smith for 1.2% of people, most
/// names for a handful in a million, as a real contact list has them.
fn surname(draw: usize) -> &'static str {
    let (names, running) = surname_table();
    let total = running.last().copied().unwrap_or(1).max(1);
    let at = running.partition_point(|&r| r <= draw as u64 % total);
    names.get(at).copied().unwrap_or("Smith")
}
const STREETS: &[&str] = &[
    "Oak St",
    "Maple Ave",
    "Cedar Rd",
    "Pine Dr",
    "Elm Ln",
    "Lake Blvd",
];

/// Person `i`: a deterministic mix of names, an address, an email and a phone.
pub fn person(i: usize) -> [String; 5] {
    let pick =
        |list: &[&str], k: usize| list.get(k % list.len()).copied().unwrap_or("").to_string();
    // Each field from its own draw of a full 64-bit mix: deriving them all from overlapping
    // bit windows of one multiplicative hash made people a fixed stride apart near-clones
    // (same first name and address, last names one digit apart), which no matcher can tell
    // apart and which made the ground truth wrong.
    let h = |field: u64| mix((i as u64).wrapping_mul(8).wrapping_add(field));
    let first = pick(FIRST, h(0));
    let last = surname(h(2)).to_string();
    let address = format!(
        "{} {}, Springfield IL {}",
        1 + h(4) % 9000,
        pick(STREETS, h(5)),
        62701 + h(6) % 90
    );
    let email = format!("p{i}@example.org");
    let phone = format!("+1{:03}{:07}", 200 + h(7) % 700, i % 10_000_000);
    [first, last, address, email, phone]
}

/// splitmix64's finaliser, cut to 48 bits (enough for every field, within `usize` anywhere).
fn mix(x: u64) -> usize {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    usize::try_from((z ^ (z >> 31)) >> 16).unwrap_or(0)
}

/// Writes people `0..count` into the (already migrated) store at `db` as contacts, with SQL in
/// one transaction: contact `i + 1` is `person(i)`. Loading them through an import would
/// measure the import, which is the speed benchmark's business.
///
/// # Errors
/// When the store cannot be opened or written.
pub fn write_contacts(db: &Path, count: usize) -> Result<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO contacts (id, contact_type, first_name, last_name, address, email, phone, \
             created_at) VALUES (?1, 'individual', ?2, ?3, ?4, ?5, ?6, '2025-01-01T00:00:00Z')",
        )?;
        for i in 0..count {
            let [f, l, a, e, p] = person(i);
            insert.execute(rusqlite::params![i + 1, f, l, a, e, p])?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The stored people's surnames are spread as in a real list: Smith the commonest at
    /// about 1.2% (1.006% of the Census's 81.7%), and thousands of names held by a few.
    #[test]
    fn surnames_follow_the_census() {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for i in 0..100_000 {
            let [_, last, ..] = person(i);
            *counts.entry(last).or_default() += 1;
        }
        let smith = counts.get("Smith").copied().unwrap_or(0);
        assert!((1_000..1_500).contains(&smith), "Smith {smith}");
        let top = counts.values().max().copied().unwrap_or(0);
        assert_eq!(top, smith);
        let rare = counts.values().filter(|&&n| n <= 3).count();
        assert!(rare > 10_000, "{rare} names held by at most 3 people");
    }
}
