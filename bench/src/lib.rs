//! Deterministic data for sluice's benchmarks, shared by the `match_scale`, `match_accuracy`
//! and `speed` programs: a seeded random generator, stored people by index, and the writer
//! that fills a store with them.

use std::path::Path;

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
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Garcia",
    "Okafor",
    "Lindqvist",
    "Castellano",
    "Nakamura",
    "Abernathy",
    "Kowalczyk",
    "Delacroix",
    "Brennan",
    "Haddad",
    "Marchetti",
    "Sorensen",
    "Villanueva",
    "Fitzgerald",
    "Rasmussen",
    "Pemberton",
    "Szymanski",
    "Takahashi",
    "Montgomery",
    "Whitaker",
];
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
    // Last names with a numeric tail beyond the common few keep blocks realistic: a handful
    // of very common names (capped) and many rare ones.
    let last = if h(1) % 10 < 3 {
        pick(LAST, h(2))
    } else {
        format!("{}{}", pick(LAST, h(2)), h(3) % 5000)
    };
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
