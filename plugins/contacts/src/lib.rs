//! The `contacts` matcher: finds the stored contact a record belongs to.
//!
//! **Blocking keys** (several, so one typo does not hide a match): normalised email, the
//! last 7 phone digits, last name + first initial, Soundex of the last name + first
//! initial, ZIP/postcode + house number, and for organisations the normalised name and its
//! distinctive words.
//!
//! **Scoring** is Fellegi–Sunter style: each field comparison lands on a graded level
//! (exact / nickname / Jaro–Winkler bands / initial / missing / differs) whose weight is a
//! log2 likelihood ratio; the sum `W` becomes a score `1 / (1 + 2^-(W - OFFSET))`. A last
//! name's agreement weight is adjusted by how common the name is in the data the matcher has
//! seen (every stored contact and record passes through `keys`), so "Smith" counts less
//! than "Okonkwo". Two rules override the sum: a record never matches on name alone (some
//! email, phone or address evidence must agree), and a different contact type never matches.
//!
//! It must stay a pure function of its input: no store, no IO.

pub mod compare;
pub mod first_names;
pub mod normalise;

use std::collections::HashMap;
use std::rc::Rc;

use sluice_sdk::{
    Batch, Contact, ContactField, Context, Error, Kind, Matcher, ParamSpec, ParamType, Params,
    PluginInfo, Score,
};

pub use compare::{Evidence, Frequencies, Level, Prepared};
use first_names::FirstNames;

/// The weight at which a score is 0.5: sums below it are more likely different people.
pub const OFFSET: f64 = 12.5;

/// The matcher: the nickname table and the surname frequencies seen so far.
pub struct Contacts {
    first_names: FirstNames,
    /// How often each normalised last name was seen by `keys`.
    surnames: HashMap<String, u32>,
    /// How many last names were seen.
    seen: u32,
    /// Normalised employers and occupations seen by `keys`.
    employers: Frequencies,
    occupations: Frequencies,
    /// Whether a record may match on its name alone (off by default).
    allow_name_only: bool,
    /// Records and candidates normalised lately: a record meets many candidates and a
    /// candidate many records (the first contacts of a crowded name block meet every
    /// record with that name).
    cache: HashMap<u64, (Box<str>, Rc<Prepared>)>,
    /// The previous generation of `cache`: when `cache` is full it becomes this one, and an
    /// entry found here moves back, so the contacts met often stay while one-offs go.
    older: HashMap<u64, (Box<str>, Rc<Prepared>)>,
    /// The records of the batch being scored, by row, each prepared once when first
    /// needed (from `cache` when seen before): looked up by index, not by hashing cells.
    batch_records: Vec<Option<Rc<Prepared>>>,
    /// The batch's distinct candidate contacts, by row, as `batch_records`.
    batch_contacts: Vec<Option<Rc<Prepared>>>,
}

/// FNV-1a over the cells (each followed by U+001F): cheap, and a collision only costs a
/// normalisation, since a hit is checked against the cells. `None` when a cell holds U+001F
/// itself: joined, such cells could read as other cells, so the record is not cached.
fn cells_hash(c: Contact<'_>) -> Option<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for cell in c.0.cells() {
        for &b in cell.as_bytes() {
            if b == 0x1f {
                return None;
            }
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h = (h ^ 0x1f).wrapping_mul(0x0100_0000_01b3);
    }
    Some(h)
}

/// Whether `joined` (cells joined by U+001F) holds exactly the cells of `c`.
fn same_cells(joined: &str, c: Contact<'_>) -> bool {
    let mut rest = joined;
    for (i, cell) in c.0.cells().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix('\u{1f}') else {
                return false;
            };
            rest = r;
        }
        let Some(r) = rest.strip_prefix(cell) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

/// Normalised records kept in each generation of the cache.
const CACHE_SIZE: usize = 8192;

impl Contacts {
    /// A matcher with default settings (what `prepare` builds without parameters).
    #[must_use]
    pub fn new() -> Self {
        Self {
            first_names: FirstNames::load(),
            surnames: HashMap::new(),
            seen: 0,
            employers: Frequencies::default(),
            occupations: Frequencies::default(),
            allow_name_only: false,
            cache: HashMap::new(),
            older: HashMap::new(),
            batch_records: Vec::new(),
            batch_contacts: Vec::new(),
        }
    }

    /// The log2 agreement weight of last name `name`, adjusted for its frequency: with
    /// `u` the chance that two different people share it (smoothed towards 1 in 500 while
    /// little data has been seen), the weight is `log2(0.95 / u)`, kept within 3..11.
    #[must_use]
    pub fn surname_weight(&self, name: &str) -> f64 {
        const PRIOR_U: f64 = 0.002;
        const PRIOR_WEIGHT: f64 = 500.0;
        let count = f64::from(self.surnames.get(name).copied().unwrap_or(0));
        let u = (count + PRIOR_WEIGHT * PRIOR_U) / (f64::from(self.seen) + PRIOR_WEIGHT);
        (0.95 / u).log2().clamp(3.0, 11.0)
    }

    /// Compares two records field by field: the evidence, or `None` when they can never be
    /// the same contact (different contact types).
    #[must_use]
    pub fn compare(&self, a: Contact<'_>, b: Contact<'_>) -> Option<Evidence> {
        compare::compare(self, &Prepared::new(a), &Prepared::new(b), true)
    }

    /// The normalised form of `c`, from the cache when `c` was seen recently.
    ///
    /// The cache is keyed by a hash of the cells (no allocation to look a record up) and
    /// holds the cells joined, to tell a hash collision from the same record.
    fn prepared(&mut self, c: Contact<'_>) -> Rc<Prepared> {
        let Some(hash) = cells_hash(c) else {
            return Rc::new(Prepared::new(c));
        };
        if let Some((cells, p)) = self.cache.get(&hash)
            && same_cells(cells, c)
        {
            return p.clone();
        }
        let entry = match self.older.remove(&hash) {
            Some(entry) if same_cells(&entry.0, c) => entry,
            _ => {
                let joined: String = c.0.cells().collect::<Vec<_>>().join("\u{1f}");
                (joined.into_boxed_str(), Rc::new(Prepared::new(c)))
            }
        };
        if self.cache.len() >= CACHE_SIZE {
            self.older = std::mem::take(&mut self.cache);
        }
        let p = entry.1.clone();
        self.cache.insert(hash, entry);
        p
    }

    /// Row `i` of the batch being scored (`records` when `record`, else its contacts),
    /// prepared: from its slot, or through `prepared` into the slot.
    fn batch_prepared(&mut self, record: bool, batch: &Batch, i: usize) -> Rc<Prepared> {
        let slots = if record {
            &self.batch_records
        } else {
            &self.batch_contacts
        };
        if let Some(Some(p)) = slots.get(i) {
            return p.clone();
        }
        let p = self.prepared(Contact(batch.row(i)));
        let slots = if record {
            &mut self.batch_records
        } else {
            &mut self.batch_contacts
        };
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(p.clone());
        }
        p
    }

    /// The score of `a` against `b` without reasons: what most candidates need.
    fn weight(&self, a: &Prepared, b: &Prepared) -> Option<f64> {
        compare::compare(self, a, b, false).map(|e| e.value(self.allow_name_only))
    }

    /// The score of `a` against `b` with its reasons: for each record's best candidate.
    fn scored(&self, a: &Prepared, b: &Prepared) -> Option<Score> {
        compare::compare(self, a, b, true).map(|e| e.score(self.allow_name_only))
    }

    fn count_surname(&mut self, last: &str) {
        if last.is_empty() {
            return;
        }
        *self.surnames.entry(last.to_string()).or_insert(0) += 1;
        self.seen = self.seen.saturating_add(1);
    }
}

impl Default for Contacts {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a record is an organisation.
#[must_use]
pub fn is_organisation(record: Contact<'_>) -> bool {
    normalise::clean(record.get(ContactField::ContactType)).starts_with("org")
}

impl Matcher for Contacts {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "contacts",
            env!("CARGO_PKG_VERSION"),
            Kind::Matcher,
            "Matches rows to stored contacts on names, email, phone and address, with reasons",
            vec![ParamSpec::optional(
                "allow_name_only",
                ParamType::Boolean,
                "false",
                "let a record match a contact on its name alone (no agreeing email, phone or address)",
            )],
        )
    }

    fn prepare(
        columns: &[String],
        params: &Params,
        _ctx: &Context,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut matcher = Self::new();
        matcher.allow_name_only = params.boolean("allow_name_only", false)?;
        let mut warnings = Vec::new();
        let has = |f: &str| sluice_sdk::column_index(columns, f).is_some();
        if !["Primary Email", "Primary Phone", "Primary Address"]
            .iter()
            .any(|f| has(f))
        {
            warnings.push(
                "no Primary Email, Primary Phone or Primary Address column: rows cannot match existing contacts and will create new ones".to_string(),
            );
        }
        Ok((matcher, warnings))
    }

    fn keys(&mut self, record: Contact<'_>, out: &mut Vec<String>) {
        // Most stored contacts have neither: skip normalising an empty cell.
        let employer = record.get(ContactField::Employer);
        if !employer.is_empty() {
            self.employers.count(&normalise::organisation(employer));
        }
        let occupation = record.get(ContactField::Occupation);
        if !occupation.is_empty() {
            self.occupations.count(&normalise::clean(occupation));
        }
        if let Some(email) = normalise::email(record.get(ContactField::Email)) {
            out.push(format!("e:{email}"));
        }
        if let Some(phone) = normalise::phone(record.get(ContactField::Phone)) {
            out.push(format!("p:{}", normalise::phone_tail(&phone)));
        }
        if let Some((zip, number)) =
            normalise::Address::zip_and_number(record.get(ContactField::Address))
        {
            out.push(format!("a:{zip}:{number}"));
        }
        if is_organisation(record) {
            let org = normalise::organisation(record.get(ContactField::FirstName));
            if !org.is_empty() {
                for token in normalise::organisation_tokens(&org) {
                    out.push(format!("t:{token}"));
                }
                out.push(format!("o:{org}"));
            }
            return;
        }
        let last = normalise::name(record.get(ContactField::LastName));
        if last.is_empty() {
            return;
        }
        let initial: String = normalise::name(record.get(ContactField::FirstName))
            .chars()
            .take(1)
            .collect();
        out.push(format!("n:{last}:{initial}"));
        out.push(format!("x:{}:{initial}", normalise::soundex(&last)));
        self.count_surname(&last);
    }

    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
        let (a, b) = (self.prepared(record), self.prepared(candidate));
        self.scored(&a, &b)
    }

    fn weigh(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<f64> {
        let (a, b) = (self.prepared(record), self.prepared(candidate));
        self.weight(&a, &b)
    }

    fn weigh_all(
        &mut self,
        record: Contact<'_>,
        candidates: &[Contact<'_>],
        out: &mut Vec<Option<f64>>,
    ) {
        out.clear();
        let a = self.prepared(record);
        for &candidate in candidates {
            let b = self.prepared(candidate);
            out.push(self.weight(&a, &b));
        }
    }

    fn start_batch(&mut self, records: &Batch, contacts: &Batch) {
        self.batch_records.clear();
        self.batch_records.resize(records.len(), None);
        self.batch_contacts.clear();
        self.batch_contacts.resize(contacts.len(), None);
    }

    fn weigh_rows(
        &mut self,
        records: &Batch,
        record: usize,
        contacts: &Batch,
        candidates: &[usize],
        out: &mut Vec<Option<f64>>,
    ) {
        out.clear();
        let a = self.batch_prepared(true, records, record);
        for &candidate in candidates {
            let b = self.batch_prepared(false, contacts, candidate);
            out.push(self.weight(&a, &b));
        }
    }

    fn score_row(
        &mut self,
        records: &Batch,
        record: usize,
        contacts: &Batch,
        candidate: usize,
    ) -> Option<Score> {
        let a = self.batch_prepared(true, records, record);
        let b = self.batch_prepared(false, contacts, candidate);
        self.scored(&a, &b)
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_matcher!(Contacts);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_records_are_never_confused() {
        // Joined by U+001F, these two read the same; neither may stand in for the other.
        let mut b = Batch::new(9);
        b.push_row(1, ["individual", "Ann\u{1f}Lee", "", "", "", "a@b.org"]);
        b.push_row(2, ["individual", "Ann", "Lee", "", "", "a@b.org"]);
        b.push_row(3, ["individual", "Ann", "Lee", "", "", "a@b.org"]);
        let (x, y, z) = (Contact(b.row(0)), Contact(b.row(1)), Contact(b.row(2)));
        let mut m = Contacts::new();
        let fresh = |m: &Contacts, r| m.compare(r, z).map(|e| e.value(false));
        let (want_x, want_y) = (fresh(&m, x), fresh(&m, y));
        assert_ne!(want_x, want_y);
        assert_eq!(m.weigh(x, z), want_x);
        assert_eq!(m.weigh(y, z), want_y);
        assert_eq!(m.weigh(x, z), want_x);
        // `weigh` is `score` without the reasons.
        assert_eq!(m.score(y, z).map(|s| s.score), want_y);
        // By row within a batch: the same numbers, and `score_row` is `score`.
        let mut records = Batch::new(9);
        records.push_row(1, b.row(0).cells());
        records.push_row(2, b.row(1).cells());
        let mut contacts = Batch::new(9);
        contacts.push_row(0, b.row(2).cells());
        let mut got = Vec::new();
        m.start_batch(&records, &contacts);
        m.weigh_rows(&records, 1, &contacts, &[0, 0], &mut got);
        assert_eq!(got, vec![want_y, want_y]);
        m.weigh_rows(&records, 0, &contacts, &[0], &mut got);
        assert_eq!(got, vec![want_x]);
        assert_eq!(m.score_row(&records, 1, &contacts, 0), m.score(y, z));
    }
}
