//! Candidate retrieval and match decisions: the host's half of matching.
//!
//! The matcher plugin declares blocking keys and scores candidates; the host keeps every
//! contact's keys in memory for the duration of an import (contacts created earlier in the
//! same import included), hands each record the contacts sharing a key with it, and turns
//! the scores into a decision with the pipeline's thresholds. Candidates' fields are read
//! from the store on demand through a bounded cache, so memory does not grow with the
//! store's contacts beyond their keys.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap as HashMap;

use crate::store::{self, ImportTx};

/// The per-key cap and the per-record cap on candidates: one definition, in the SDK, shared
/// with its testing harness.
pub use sluice_sdk::{CANDIDATES_PER_KEY, MAX_CANDIDATES};

/// Two contacts both scoring at least `auto_accept` and within this of each other make the
/// match ambiguous: the row is rejected rather than attached to one of them at random.
pub const AMBIGUITY_MARGIN: f64 = 0.05;

/// Every known contact's blocking keys, kept compact (an import against a store of a million
/// contacts holds all of them for its whole run), and the fields of the contacts used lately.
#[derive(Default)]
pub(super) struct ContactIndex {
    /// Contacts by the 64-bit hash of a key, not the key: a store of a million contacts has
    /// millions of keys, and a hash collision only adds a candidate, which the matcher scores.
    /// Keys of one contact (an email, a phone: most keys) map to it directly, without the
    /// list a shared key needs: see [`Posting`]. One map, so a key costs one lookup.
    postings: HashMap<u64, Posting>,
    /// The lists of the keys shared by several contacts, indexed by [`Posting::list`].
    lists: Vec<Vec<i64>>,
    /// Fields of contacts met, created or changed lately; `older` is the previous
    /// generation: when `recent` is full it becomes `older`, and an entry found there moves
    /// back, so the contacts met often stay while one-offs go. Any other contact's fields
    /// are read from the store (`ImportTx::contact_fields`), where they are current.
    recent: HashMap<i64, Packed9>,
    older: HashMap<i64, Packed9>,
    /// A contact's fields with one of its further emails or phones in place of the primary
    /// one: scored as well, so a further value counts as evidence.
    variants: HashMap<i64, Vec<Packed9>>,
    /// How many lookups hit the per-key cap.
    pub capped_lookups: u64,
}

/// Contacts' fields kept in each generation of [`ContactIndex`]'s cache: the crowded name
/// blocks' first contacts and the import's recent contacts, a few MB.
const FIELDS_CACHED: usize = 32_768;

/// Where one key's contacts are: a contact id (ids are positive) or, negated and less one,
/// the index of a list in [`ContactIndex::lists`]: eight bytes a key, the size of an id.
#[derive(Clone, Copy)]
struct Posting(i64);

impl Posting {
    fn one(id: i64) -> Option<Self> {
        (id >= 0).then_some(Self(id))
    }

    fn list(index: usize) -> Self {
        // Fewer lists than keys, so fewer than i64::MAX: the conversion cannot fail.
        Self(-1 - i64::try_from(index).unwrap_or(i64::MAX - 1))
    }

    /// The id, or the index of the list.
    fn get(self) -> Result<i64, usize> {
        if self.0 >= 0 {
            Ok(self.0)
        } else {
            Err(usize::try_from(-1 - self.0).unwrap_or(usize::MAX))
        }
    }
}

/// A contact's nine fields in one allocation: the text of all of them and where each ends.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Packed9 {
    text: Box<str>,
    ends: [u32; 9],
}

impl Packed9 {
    fn new<S: AsRef<str>>(fields: &[S; 9]) -> Self {
        let mut text = String::with_capacity(fields.iter().map(|f| f.as_ref().len()).sum());
        let mut ends = [0u32; 9];
        for (end, field) in ends.iter_mut().zip(fields) {
            text.push_str(field.as_ref());
            // A field beyond 4 GiB cannot come through a batch; saturating keeps `get` safe.
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Self {
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// Field `i` (in `CONTACT_FIELDS` order), `""` when out of range.
    pub(super) fn get(&self, i: usize) -> &str {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .map_or(0, |&e| e as usize);
        let end = self.ends.get(i).map_or(start, |&e| e as usize);
        self.text.get(start..end).unwrap_or("")
    }

    /// The fields in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..9).map(|i| self.get(i))
    }

    /// The fields as owned strings.
    pub(super) fn owned(&self) -> [String; 9] {
        std::array::from_fn(|i| self.get(i).to_string())
    }
}

impl ContactIndex {
    /// Records a contact under its keys (again, after its fields changed), keeping its
    /// fields at hand.
    pub(super) fn insert<S: AsRef<str>>(&mut self, id: i64, fields: &[S; 9], keys: &[String]) {
        self.index_keys(id, keys);
        self.remember(id, Packed9::new(fields));
    }

    /// Records a stored contact under its keys; its fields stay in the store.
    pub(super) fn insert_keys(&mut self, id: i64, keys: &[String]) {
        self.index_keys(id, keys);
    }

    fn remember(&mut self, id: i64, fields: Packed9) {
        // A stale copy in the older generation must never come back.
        self.older.remove(&id);
        if self.recent.len() >= FIELDS_CACHED && !self.recent.contains_key(&id) {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(id, fields);
    }

    /// The current fields of contact `id`: from the cache, else from the store (then
    /// cached); `None` when the store has no such contact.
    pub(super) fn fetch(
        &mut self,
        tx: &mut ImportTx<'_>,
        id: i64,
    ) -> Result<Option<&Packed9>, store::Error> {
        if !self.recent.contains_key(&id) {
            let found = match self.older.remove(&id) {
                Some(fields) => fields,
                None => match tx.contact_fields(id)? {
                    Some(fields) => Packed9::new(&fields),
                    None => return Ok(None),
                },
            };
            self.remember(id, found);
        }
        Ok(self.recent.get(&id))
    }

    /// Records a variant of contact `id` (its fields with a further email or phone) and
    /// the variant's keys.
    pub(super) fn add_variant<S: AsRef<str>>(
        &mut self,
        id: i64,
        variant: &[S; 9],
        keys: &[String],
    ) {
        let variant = Packed9::new(variant);
        let list = self.variants.entry(id).or_default();
        if !list.contains(&variant) {
            list.push(variant);
        }
        self.index_keys(id, keys);
    }

    fn index_keys(&mut self, id: i64, keys: &[String]) {
        for key in keys {
            match self.postings.entry(key_hash(key)) {
                Entry::Vacant(v) => {
                    v.insert(Posting::one(id).unwrap_or_else(|| {
                        self.lists.push(vec![id]);
                        Posting::list(self.lists.len() - 1)
                    }));
                }
                Entry::Occupied(mut o) => match o.get().get() {
                    Ok(first) if first == id => {}
                    Ok(first) => {
                        self.lists.push(vec![first, id]);
                        o.insert(Posting::list(self.lists.len() - 1));
                    }
                    Err(list) => {
                        if let Some(ids) = self.lists.get_mut(list) {
                            // Only the first ids of a key are ever candidates; one more
                            // marks it capped. Bounding the list keeps indexing a large
                            // store linear.
                            if ids.len() <= CANDIDATES_PER_KEY && !ids.contains(&id) {
                                ids.push(id);
                            }
                        }
                    }
                },
            }
        }
    }

    /// Makes room for `contacts` more contacts, so that loading a large store does not
    /// hold a table and its doubled copy at once while growing.
    pub(super) fn reserve(&mut self, contacts: usize) {
        // Most contacts have an email and a phone and an address key of their own; name
        // keys are shared.
        self.postings.reserve(contacts.saturating_mul(3));
    }

    /// The variants of contact `id` (see [`ContactIndex::add_variant`]).
    pub(super) fn variants(&self, id: i64) -> &[Packed9] {
        self.variants.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The fields of contact `id` if cached.
    #[cfg(test)]
    fn cached(&self, id: i64) -> Option<&Packed9> {
        self.recent.get(&id).or_else(|| self.older.get(&id))
    }

    /// The contacts sharing a key with `keys`, best first (see [`rank`]), at most
    /// [`MAX_CANDIDATES`]; a key shared by more than [`CANDIDATES_PER_KEY`] finds none.
    pub(super) fn candidates(&mut self, keys: &[String]) -> Vec<i64> {
        let mut postings: Vec<&[i64]> = Vec::with_capacity(keys.len());
        for key in keys {
            let found = self.postings.get(&key_hash(key)).map(|p| match p.get() {
                Ok(_) => std::slice::from_ref(&p.0),
                Err(list) => self.lists.get(list).map_or(&[][..], Vec::as_slice),
            });
            match found {
                // Too common to tell anyone apart (see `CANDIDATES_PER_KEY`).
                Some(ids) if ids.len() > CANDIDATES_PER_KEY => self.capped_lookups += 1,
                Some(ids) => postings.push(ids),
                None => {}
            }
        }
        rank(&postings)
    }
}

/// The ids found under a record's keys, best first: the SDK's ranking, so that a matcher's
/// native tests see the candidates the host would hand it.
pub(super) use sluice_sdk::rank;

/// The hash a key is indexed by: a fast hash with no random state, so it is the same in
/// every run. Nothing depends on its order (see [`rank`]); a collision only adds a candidate.
fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// What to do with one record.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Decision {
    /// Attach to this existing contact.
    Existing {
        /// The contact.
        id: i64,
        /// Its score.
        score: f64,
        /// The matcher's evidence.
        reasons: Vec<String>,
    },
    /// Create a new contact.
    New,
    /// Create a new contact, and flag the row: it looks somewhat like this one.
    Review {
        /// The similar contact.
        id: i64,
        /// Its score.
        score: f64,
        /// The matcher's evidence.
        reasons: Vec<String>,
    },
    /// Reject the row: these contacts match about equally well.
    Ambiguous(Vec<(i64, f64)>),
}

/// Decides from a record's candidate scores `(contact, score, reasons)`.
/// A contact scored more than once (through its variants) counts with its best score.
#[must_use]
pub(super) fn decide(
    mut scores: Vec<(i64, f64, Vec<String>)>,
    auto_accept: f64,
    review: f64,
) -> Decision {
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut seen = std::collections::HashSet::new();
    scores.retain(|(id, _, _)| seen.insert(*id));
    let Some((best_id, best, _)) = scores.first().map(|(id, s, r)| (*id, *s, r)) else {
        return Decision::New;
    };
    if best >= auto_accept {
        let close: Vec<(i64, f64)> = scores
            .iter()
            .filter(|(_, s, _)| *s >= auto_accept && best - *s < AMBIGUITY_MARGIN)
            .map(|(id, s, _)| (*id, *s))
            .collect();
        if close.len() > 1 {
            return Decision::Ambiguous(close);
        }
        let reasons = scores
            .into_iter()
            .next()
            .map(|(_, _, r)| r)
            .unwrap_or_default();
        return Decision::Existing {
            id: best_id,
            score: best,
            reasons,
        };
    }
    if best >= review {
        let reasons = scores
            .into_iter()
            .next()
            .map(|(_, _, r)| r)
            .unwrap_or_default();
        return Decision::Review {
            id: best_id,
            score: best,
            reasons,
        };
    }
    Decision::New
}

/// Candidates kept in a row's recorded match decision: enough to explain it.
pub(super) const EXPLAINED_CANDIDATES: usize = 5;

/// What a row's match decision is recorded with: the best candidates and the evidence for
/// the best one.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Explanation {
    /// The best candidates (at most [`EXPLAINED_CANDIDATES`]), best first.
    pub(super) candidates: Vec<(i64, f64)>,
    /// The best candidate's score and reasons.
    pub(super) best: Option<(f64, Vec<String>)>,
    /// The stored contact whose household the record belongs to, as the matcher said of
    /// its best candidate; then, once the row's new contact joined it, the household's id.
    pub(super) household: Option<i64>,
}

/// The explanation of a record's candidate scores `(contact, score, reasons)`.
#[must_use]
pub(super) fn explain(scores: &[(i64, f64, Vec<String>)]) -> Explanation {
    let mut sorted: Vec<&(i64, f64, Vec<String>)> = scores.iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut seen = std::collections::HashSet::new();
    sorted.retain(|(id, _, _)| seen.insert(*id));
    Explanation {
        candidates: sorted
            .iter()
            .take(EXPLAINED_CANDIDATES)
            .map(|(id, s, _)| (*id, *s))
            .collect(),
        best: sorted.first().map(|(_, s, r)| (*s, r.clone())),
        household: None,
    }
}

/// Whether two contact types may be one contact: one rule for the host and the SDK, which
/// leaves disagreeing candidates unscored.
pub(super) use sluice_sdk::types_agree;

/// The reason given for an ambiguous row.
#[must_use]
pub(super) fn ambiguous_reason(close: &[(i64, f64)]) -> String {
    let list: Vec<String> = close
        .iter()
        .map(|(id, s)| format!("#{id} ({s:.2})"))
        .collect();
    format!(
        "matches {} existing contacts about equally well: {}; add an email or phone to tell them apart",
        close.len(),
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: i64, score: f64) -> (i64, f64, Vec<String>) {
        (id, score, vec![format!("r{id}")])
    }

    #[test]
    fn decisions_follow_the_thresholds() {
        assert_eq!(decide(vec![], 0.92, 0.75), Decision::New);
        assert_eq!(decide(vec![s(1, 0.5)], 0.92, 0.75), Decision::New);
        assert_eq!(
            decide(vec![s(1, 0.8)], 0.92, 0.75),
            Decision::Review {
                id: 1,
                score: 0.8,
                reasons: vec!["r1".into()]
            }
        );
        assert_eq!(
            decide(vec![s(2, 0.5), s(1, 0.99)], 0.92, 0.75),
            Decision::Existing {
                id: 1,
                score: 0.99,
                reasons: vec!["r1".into()]
            }
        );
        // A contact scored twice (once through a further email) is one candidate.
        assert_eq!(
            decide(vec![s(1, 0.99), s(1, 0.97)], 0.92, 0.75),
            Decision::Existing {
                id: 1,
                score: 0.99,
                reasons: vec!["r1".into()]
            }
        );
        assert_eq!(
            decide(vec![s(1, 0.97), s(2, 0.95)], 0.92, 0.75),
            Decision::Ambiguous(vec![(1, 0.97), (2, 0.95)])
        );
        assert_eq!(
            decide(vec![s(1, 0.99), s(2, 0.93)], 0.92, 0.75),
            Decision::Existing {
                id: 1,
                score: 0.99,
                reasons: vec!["r1".into()]
            }
        );
    }

    #[test]
    fn explanations_and_contact_types() {
        let e = explain(&[s(3, 0.2), s(1, 0.9), s(2, 0.9), s(1, 0.1)]);
        assert_eq!(e.candidates, vec![(1, 0.9), (2, 0.9), (3, 0.2)]);
        assert_eq!(e.best, Some((0.9, vec!["r1".to_string()])));
        assert_eq!(explain(&[]), Explanation::default());
        assert!(types_agree("individual", "Individual"));
        assert!(types_agree("", "organization"));
        assert!(!types_agree("organization", "individual"));
    }

    #[test]
    fn candidates_are_capped_per_key() {
        let mut index = ContactIndex::default();
        for id in 0..60 {
            index.insert(id, &[""; 9], &["name:smith".to_string()]);
        }
        index.insert(99, &[""; 9], &["email:a@b.c".to_string()]);
        let found = index.candidates(&["name:smith".into(), "email:a@b.c".into()]);
        // The crowded key finds no one; the rare key its contact.
        assert_eq!(found, vec![99]);
        assert_eq!(index.capped_lookups, 1);
        // Under the cap, a key's contacts are candidates, at most `MAX_CANDIDATES` of them,
        // the rarer key's first.
        for id in 100..150 {
            index.insert(id, &[""; 9], &["name:okafor".to_string()]);
        }
        let found = index.candidates(&["name:okafor".into(), "email:a@b.c".into()]);
        assert_eq!(found.len(), MAX_CANDIDATES);
        assert_eq!(found[0], 99);
        let lowest: Vec<i64> = (100..).take(MAX_CANDIDATES - 1).collect();
        assert_eq!(found[1..], lowest[..]);
        assert_eq!(index.capped_lookups, 1);
    }

    #[test]
    fn packed_fields_read_back() {
        let fields = [
            "individual",
            "Ann",
            "",
            "Jr",
            "1 Main St",
            "a@b.c",
            "",
            "",
            "x\u{1f}y",
        ];
        let packed = Packed9::new(&fields);
        assert_eq!(packed.iter().collect::<Vec<_>>(), fields);
        assert_eq!(packed.owned(), fields.map(String::from));
        assert_eq!(packed.get(9), "");
        let mut index = ContactIndex::default();
        index.insert(1, &fields, &["k".to_string()]);
        index.insert(1, &fields, &["k".to_string()]);
        index.insert(2, &fields, &["k".to_string()]);
        assert_eq!(index.candidates(&["k".into()]), vec![1, 2]);
        assert_eq!(
            index.cached(1).map(Packed9::owned),
            Some(fields.map(String::from))
        );
    }

    #[test]
    fn fields_come_from_the_cache_or_the_store() {
        let mut store = store::Store::open_in_memory().unwrap();
        let import = store
            .start_import(&store::NewImport {
                name: "calls".into(),
                description: None,
                pipeline: "interactions".into(),
                pipeline_hash: "ab12".into(),
                timezone: "UTC".into(),
                member_code: None,
                file_name: "calls.csv".into(),
                file_sha256: "f00d".into(),
                columns: vec!["First Name".into()],
            })
            .unwrap();
        let mut tx = store.begin(import).unwrap();
        let ann = ["individual", "Ann", "Lee", "", "", "a@b.c", "", "", ""];
        let id = tx.create_contact(&ann, &[""; 5]).unwrap();
        let mut index = ContactIndex::default();
        index.insert_keys(id, &["e:a@b.c".to_string()]);
        // Keys alone keep no fields: they are read from the store, then kept.
        assert!(index.cached(id).is_none());
        let got = index.fetch(&mut tx, id).unwrap().map(Packed9::owned);
        assert_eq!(got, Some(ann.map(String::from)));
        assert!(index.cached(id).is_some());
        assert!(index.fetch(&mut tx, id + 1).unwrap().is_none());
        // Fields given to the index win over the store's while cached, through a change of
        // generation; a stale copy in the older generation never comes back.
        let bo = ["individual", "Bo", "Lee", "", "", "a@b.c", "", "", ""];
        index.insert(id, &bo, &[]);
        let filler = ["individual", "X", "", "", "", "", "", "", ""];
        let n = i64::try_from(FIELDS_CACHED).unwrap();
        for other in 1..=n {
            index.insert(id + other, &filler, &[]);
        }
        assert!(!index.recent.contains_key(&id));
        let got = index.fetch(&mut tx, id).unwrap().map(Packed9::owned);
        assert_eq!(got, Some(bo.map(String::from)));
        let cy = ["individual", "Cy", "Lee", "", "", "a@b.c", "", "", ""];
        for other in 1..n {
            index.insert(id + other, &filler, &[]);
        }
        index.insert(id, &cy, &[]);
        let got = index.fetch(&mut tx, id).unwrap().map(Packed9::owned);
        assert_eq!(got, Some(cy.map(String::from)));
        // Pushed out of both generations: read from the store again.
        for other in 1..=2 * n {
            index.insert(id + other, &filler, &[]);
        }
        assert!(index.cached(id).is_none());
        let got = index.fetch(&mut tx, id).unwrap().map(Packed9::owned);
        assert_eq!(got, Some(ann.map(String::from)));
    }

    #[test]
    fn ids_on_more_and_rarer_keys_rank_first() {
        let crowded: Vec<i64> = (1..=40).collect();
        let surname: &[i64] = &[7, 8, 9, 30];
        let email: &[i64] = &[30];
        assert_eq!(rank(&[&crowded, surname, email])[..4], [30, 7, 8, 9]);
        assert_eq!(rank::<i64>(&[]), Vec::<i64>::new());
    }
}
