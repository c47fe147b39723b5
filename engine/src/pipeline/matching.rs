//! Candidate retrieval and match decisions: the host's half of matching.
//!
//! The matcher plugin declares blocking keys and scores candidates; the host keeps every
//! contact's keys in memory for the duration of an import (contacts created earlier in the
//! same import included), hands each record the contacts sharing a key with it, and turns
//! the scores into a decision with the pipeline's thresholds.

use std::collections::HashMap;

/// Candidates taken per blocking key: a key shared by thousands of contacts (a common
/// surname) would make scoring quadratic; the ones beyond the cap are not compared.
pub const CANDIDATES_PER_KEY: usize = 50;

/// Most candidates one record is compared with (see [`rank`]).
pub const MAX_CANDIDATES: usize = 16;

/// Two contacts both scoring at least `auto_accept` and within this of each other make the
/// match ambiguous: the row is rejected rather than attached to one of them at random.
pub const AMBIGUITY_MARGIN: f64 = 0.05;

/// Every known contact's blocking keys and fields.
#[derive(Default)]
pub(super) struct ContactIndex {
    /// Contacts by the 64-bit hash of a key, not the key: a store of a million contacts has
    /// millions of keys, and a hash collision only adds a candidate, which the matcher scores.
    by_key: HashMap<u64, Vec<i64>>,
    fields: HashMap<i64, [String; 9]>,
    /// A contact's fields with one of its further emails or phones in place of the primary
    /// one: scored as well, so a further value counts as evidence.
    variants: HashMap<i64, Vec<[String; 9]>>,
    /// How many lookups hit the per-key cap.
    pub capped_lookups: u64,
}

impl ContactIndex {
    /// Records a contact under its keys (again, after its fields changed).
    pub(super) fn insert(&mut self, id: i64, fields: [String; 9], keys: &[String]) {
        self.index_keys(id, keys);
        self.fields.insert(id, fields);
    }

    /// Records a variant of contact `id` (its fields with a further email or phone) and
    /// the variant's keys.
    pub(super) fn add_variant(&mut self, id: i64, variant: [String; 9], keys: &[String]) {
        let list = self.variants.entry(id).or_default();
        if !list.contains(&variant) {
            list.push(variant);
        }
        self.index_keys(id, keys);
    }

    fn index_keys(&mut self, id: i64, keys: &[String]) {
        for key in keys {
            let ids = self.by_key.entry(key_hash(key)).or_default();
            // Only the first ids of a key are ever candidates; one more marks it capped.
            // Bounding the list keeps indexing a large store linear.
            if ids.len() <= CANDIDATES_PER_KEY && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }

    /// The variants of contact `id` (see [`ContactIndex::add_variant`]).
    pub(super) fn variants(&self, id: i64) -> &[[String; 9]] {
        self.variants.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The fields of contact `id`.
    #[must_use]
    pub(super) fn fields(&self, id: i64) -> Option<&[String; 9]> {
        self.fields.get(&id)
    }

    /// The contacts sharing a key with `keys`, best first (see [`rank`]), at most
    /// [`CANDIDATES_PER_KEY`] per key and [`MAX_CANDIDATES`] in all.
    pub(super) fn candidates(&mut self, keys: &[String]) -> Vec<i64> {
        let mut postings: Vec<&[i64]> = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(ids) = self.by_key.get(&key_hash(key)) {
                if ids.len() > CANDIDATES_PER_KEY {
                    self.capped_lookups += 1;
                }
                postings.push(ids.get(..CANDIDATES_PER_KEY).unwrap_or(ids));
            }
        }
        rank(&postings)
    }
}

/// The ids found under a record's keys (one posting list per key), best first, at most
/// [`MAX_CANDIDATES`].
///
/// A key shared by few contacts (an email) is strong evidence and one shared by many (a
/// common surname and initial) weak, so an id earns `1 / len` for every list it is on. The
/// same person usually shares several keys, or one rare key; contacts found only under a
/// crowded name key are the ones dropped, and they could not match on a name alone anyway.
/// Scoring stays bounded per record, whatever the names in the file.
pub(super) fn rank<T: Copy + Ord + std::hash::Hash>(postings: &[&[T]]) -> Vec<T> {
    let mut weight: HashMap<T, f64> = HashMap::new();
    for list in postings {
        #[allow(clippy::cast_precision_loss)] // Lists hold at most CANDIDATES_PER_KEY + 1 ids.
        let w = 1.0 / list.len().max(1) as f64;
        for &id in *list {
            *weight.entry(id).or_insert(0.0) += w;
        }
    }
    let mut ranked: Vec<(T, f64)> = weight.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(id, _)| id)
        .collect()
}

/// The hash a key is indexed by: SipHash with fixed keys, so it is the same in every run.
fn key_hash(key: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
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
    }
}

/// Whether two contact types may be one contact: equal, or one of them unknown. An
/// organization never matches an individual, whatever a matcher scores.
#[must_use]
pub(super) fn types_agree(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.is_empty() || b.is_empty() || a.eq_ignore_ascii_case(b)
}

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
            index.insert(id, Default::default(), &["name:smith".to_string()]);
        }
        index.insert(99, Default::default(), &["email:a@b.c".to_string()]);
        let found = index.candidates(&["name:smith".into(), "email:a@b.c".into()]);
        // The rare key's contact first, then the crowded key's, up to the cap.
        assert_eq!(found.len(), MAX_CANDIDATES);
        assert_eq!(found[0], 99);
        assert_eq!(found[1..], (0..15).collect::<Vec<i64>>()[..]);
        assert_eq!(index.capped_lookups, 1);
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
