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
    by_key: HashMap<String, Vec<i64>>,
    fields: HashMap<i64, [String; 9]>,
    /// How many lookups hit the per-key cap.
    pub capped_lookups: u64,
}

impl ContactIndex {
    /// Records a contact under its keys (again, after its fields changed).
    pub(super) fn insert(&mut self, id: i64, fields: [String; 9], keys: &[String]) {
        for key in keys {
            let ids = self.by_key.entry(key.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.fields.insert(id, fields);
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
            if let Some(ids) = self.by_key.get(key) {
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

/// What to do with one record.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Decision {
    /// Attach to this existing contact.
    Existing {
        /// The contact.
        id: i64,
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
#[must_use]
pub(super) fn decide(
    mut scores: Vec<(i64, f64, Vec<String>)>,
    auto_accept: f64,
    review: f64,
) -> Decision {
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
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
                reasons: vec!["r1".into()]
            }
        );
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
