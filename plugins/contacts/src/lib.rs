//! The `contacts` matcher: finds the stored contact a record belongs to.
//!
//! **Blocking keys** (several, so one typo does not hide a match): normalised email, the
//! last 7 phone digits, last name + first initial, Soundex of the last name + first
//! initial, Soundex of the last name + locality, ZIP/postcode + house number, street name +
//! postcode, and for organisations the normalised name and its distinctive words.
//!
//! **Scoring** is a Fellegi–Sunter model (`model`): each field comparison lands on a level
//! (names: exact / nickname / Jaro–Winkler bands / initial / differs; the address by its
//! parts; email, phone, employer, occupation) whose weight is the log2 Bayes factor
//! `log2(m / u)`; `m`, `u` and the prior share of matches are estimated from the data
//! (`estimate`) and kept by the host. Exact last names, streets, employers and occupations
//! are adjusted by how common the value is among the stored contacts. Rules override the
//! sum: a record never matches on its name alone (some email, phone, address or rare
//! employer must agree), a different first name or suffix is a different person, a short
//! name both sexes bear at a shared address goes to review, and a different contact type
//! never matches.
//!
//! It must stay a pure function of its input and the model it was given: no store, no IO.

pub mod compare;
pub mod first_names;
pub mod model;
pub mod normalise;

// A fast hash with no random state: the keys are the matcher's own normalised values.
use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use sluice_sdk::{
    Batch, Contact, ContactField, Context, Error, Kind, Matcher, ParamSpec, ParamType, Params,
    PluginInfo, Score,
};

pub use compare::{AddressLevel, Evidence, Frequencies, Level, Prepared};
use first_names::FirstNames;
pub use model::Model;

/// The matcher: the nickname table, the model and the frequencies of the stored contacts.
pub struct Contacts {
    first_names: FirstNames,
    /// The Fellegi–Sunter parameters: the priors until the host loads or estimates a model.
    model: Model,
    /// Normalised last names, streets (in their town), employers and occupations of the
    /// stored contacts, counted by `keys` until the model is loaded (records are keyed
    /// too, before they are scored), then of each batch's records once it is scored.
    surnames: Frequencies,
    streets: Frequencies,
    employers: Frequencies,
    occupations: Frequencies,
    /// Whether the frequencies are final.
    counted: bool,
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

/// The first character of `s` (`""` when empty).
fn first_char(s: &str) -> &str {
    s.char_indices()
        .nth(1)
        .map_or(s, |(end, _)| s.get(..end).unwrap_or(s))
}

/// Normalised records kept in each generation of the cache. A batch of 512 records brings
/// up to `MAX_CANDIDATES` candidates each: with generations of 8,192, one or two batches
/// filled one, and the contacts met again in the next batches (the heads of crowded name
/// and street blocks, the file's recent contacts) were dropped before they came back;
/// normalising them again was half of matching's time (`speed`). A generation holding
/// several batches keeps them, at about 400 bytes a record.
const CACHE_SIZE: usize = 16_384;

impl Contacts {
    /// A matcher with default settings (what `prepare` builds without parameters).
    #[must_use]
    pub fn new() -> Self {
        Self {
            first_names: FirstNames::load(),
            model: Model::priors(),
            surnames: Frequencies::default(),
            streets: Frequencies::default(),
            counted: false,
            employers: Frequencies::default(),
            occupations: Frequencies::default(),
            allow_name_only: false,
            cache: HashMap::default(),
            older: HashMap::default(),
            batch_records: Vec::new(),
            batch_contacts: Vec::new(),
        }
    }

    /// The model in use.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Uses `model` from now on.
    pub fn set_model(&mut self, model: Model) {
        self.model = model;
    }

    /// The term-frequency adjustment of an exact last name `name` (log2), from the stored
    /// contacts counted so far.
    #[must_use]
    pub fn surname_adjustment(&self, name: &str) -> f64 {
        self.surnames
            .adjustment(name, self.model.u(model::Field::LastName as usize, 0))
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

    /// Counts the (normalised) values of a contact for the term-frequency adjustments;
    /// empty ones are not values.
    fn count(&mut self, last: &str, street: Option<&str>, employer: &str, occupation: &str) {
        self.surnames.count(last);
        if let Some(street) = street {
            self.streets.count(street);
        }
        self.employers.count(employer);
        self.occupations.count(occupation);
    }

    /// Counts the records of the batch scored last (each is a contact now: matched or
    /// created), so that a file imported into an empty or small store is weighed by how
    /// common its own names and streets are. Counted after their batch, so that no
    /// record is evidence of how common its own values are.
    fn count_scored_batch(&mut self) {
        let records = std::mem::take(&mut self.batch_records);
        for p in records.iter().flatten().filter(|p| !p.org) {
            let street = p.address.as_ref().and_then(compare::street_key);
            self.count(&p.last, street.as_deref(), &p.employer, &p.occupation);
        }
        self.batch_records = records;
    }

    /// Comparison vectors of the blocked pairs (each record with its candidates) and of
    /// random pairs (each record with contacts of other records) of a sample.
    fn comparison_vectors(
        &mut self,
        records: &Batch,
        candidates: &sluice_sdk::Candidates,
    ) -> (Vec<model::Gamma>, Vec<model::Gamma>) {
        self.counted = true;
        let prepared_records: Vec<Prepared> =
            records.iter().map(|r| Prepared::new(Contact(r))).collect();
        let contacts = &candidates.contacts;
        let prepared_contacts: Vec<Prepared> =
            contacts.iter().map(|r| Prepared::new(Contact(r))).collect();
        let (mut blocked, mut random) = (Vec::new(), Vec::new());
        let n = prepared_contacts.len();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for (i, a) in prepared_records.iter().enumerate() {
            let mine = candidates.of_record(i);
            for &c in mine {
                if let Some(b) = prepared_contacts.get(c as usize)
                    && let Some(e) = compare::compare(self, a, b, false)
                {
                    blocked.push(e.gamma);
                }
            }
            // Random pairs: a deterministic walk over the sample's contacts, skipping the
            // record's own candidates (which share a key with it).
            for _ in 0..RANDOM_PAIRS_PER_RECORD.min(n) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let c = usize::try_from(state % n as u64).unwrap_or(0);
                if mine.iter().any(|&m| m as usize == c) {
                    continue;
                }
                if let Some(b) = prepared_contacts.get(c)
                    && let Some(e) = compare::compare(self, a, b, false)
                {
                    random.push(e.gamma);
                }
            }
        }
        (blocked, random)
    }
}

/// How many random pairs each sampled record makes for the estimate of `u`.
const RANDOM_PAIRS_PER_RECORD: usize = 20;

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
        if let Some(email) = normalise::email(record.get(ContactField::Email)) {
            out.push(["e:", &email].concat());
        }
        if let Some(phone) = normalise::phone(record.get(ContactField::Phone)) {
            out.push(["p:", normalise::phone_tail(&phone)].concat());
        }
        let address = normalise::Address::parse(record.get(ContactField::Address));
        if let Some(a) = &address {
            if let (Some(zip), Some(number)) = (&a.zip, &a.number) {
                out.push(["a:", zip, ":", number].concat());
            }
            // A typo in the house number or a missing one still meets the street.
            if let (Some(street), Some(zip)) = (&a.street, &a.zip) {
                out.push(["s:", street, ":", zip].concat());
            }
        }
        if is_organisation(record) {
            let org = normalise::organisation(record.get(ContactField::FirstName));
            if !org.is_empty() {
                for token in normalise::organisation_tokens(&org) {
                    out.push(["t:", token].concat());
                }
                out.push(["o:", &org].concat());
            }
            return;
        }
        let last = normalise::name(record.get(ContactField::LastName));
        if !self.counted {
            // Most stored contacts have neither: skip normalising an empty cell.
            let normalised = |cell: &str, f: fn(&str) -> String| {
                if cell.is_empty() {
                    String::new()
                } else {
                    f(cell)
                }
            };
            let employer = normalised(record.get(ContactField::Employer), normalise::organisation);
            let occupation = normalised(record.get(ContactField::Occupation), normalise::clean);
            self.count(
                &last,
                address.as_ref().and_then(compare::street_key).as_deref(),
                &employer,
                &occupation,
            );
        }
        if last.is_empty() {
            return;
        }
        let first = normalise::name(record.get(ContactField::FirstName));
        // Keys are built by `concat`, not `format!`: this runs for every stored contact.
        let initial = first_char(&first);
        out.push(["n:", &last, ":", initial].concat());
        let sound = normalise::soundex(&last);
        out.push(["x:", &sound, ":", initial].concat());
        // A typo in the first name's initial, or first and last name swapped, still meets
        // the surname in the same place.
        if let Some(locality) = address.as_ref().and_then(|a| a.locality.as_deref()) {
            out.push(["l:", &sound, ":", locality].concat());
        }
        if !first.is_empty() {
            out.push(["n:", &first, ":", first_char(&last)].concat());
        }
    }

    fn load_model(&mut self, model: Option<&str>) -> Result<(), Error> {
        // Every stored contact has passed through `keys`: the frequencies are complete.
        self.counted = true;
        if let Some(text) = model {
            self.model = Model::from_text(text).ok_or_else(|| {
                Error::BadInput("the stored model is not one this matcher reads".into())
            })?;
        }
        Ok(())
    }

    fn estimate(
        &mut self,
        records: &Batch,
        candidates: &sluice_sdk::Candidates,
    ) -> Result<Option<String>, Error> {
        let (blocked, random) = self.comparison_vectors(records, candidates);
        self.model = Model::estimate(&blocked, &random);
        Ok(Some(self.model.to_text()))
    }

    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
        self.counted = true;
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
        self.counted = true;
        self.count_scored_batch();
        self.batch_records.clear();
        self.batch_records.resize(records.len(), None);
        for i in 0..records.len() {
            self.batch_prepared(true, records, i);
        }
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
