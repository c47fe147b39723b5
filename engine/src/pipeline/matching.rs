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
        for key in keys {
            let ids = self.by_key.entry(key_hash(key)).or_default();
            // Only the first ids of a key are ever candidates; one more marks it capped.
            // Bounding the list keeps indexing a large store linear.
            if ids.len() <= CANDIDATES_PER_KEY && !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.fields.insert(id, fields);
    }

    /// Records a variant of contact `id` (its fields with a further email or phone) and
    /// the variant's keys.
    pub(super) fn add_variant(&mut self, id: i64, variant: [String; 9], keys: &[String]) {
        let list = self.variants.entry(id).or_default();
        if !list.contains(&variant) {
            list.push(variant);
        }
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

    /// The contacts sharing a key with `keys`, each once, at most [`CANDIDATES_PER_KEY`]
    /// per key.
    pub(super) fn candidates(&mut self, keys: &[String]) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::new();
        for key in keys {
            if let Some(ids) = self.by_key.get(&key_hash(key)) {
                if ids.len() > CANDIDATES_PER_KEY {
                    self.capped_lookups += 1;
                }
                out.extend(ids.iter().take(CANDIDATES_PER_KEY));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
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
        assert_eq!(found.len(), CANDIDATES_PER_KEY + 1);
        assert!(found.contains(&99));
        assert_eq!(index.capped_lookups, 1);
    }
}
