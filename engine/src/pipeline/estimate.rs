//! The matcher's model: loaded from the store when it holds one for this matcher (name,
//! build and parameters) and the store has not grown much since; otherwise estimated from
//! the first rows of the file and their blocked candidates, and stored in the import's
//! transaction, so that every later import decides with the same parameters.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use sluice_sdk::{Batch, CONTACT_FIELDS, Candidates};

use super::{Chain, Error, ImportReport, Stage, Verdicts};
use crate::plugin;
use crate::store::{ImportTx, ModelKey, Store};

/// Rows of the file the model is estimated from (its first ones).
const ESTIMATE_ROWS: usize = 5_000;
/// A store with fewer contacts has too few candidate pairs to estimate from: the matcher
/// decides with its priors.
const MIN_CONTACTS: u64 = 200;
/// A stored model is estimated again once the store holds this many times the contacts it
/// was estimated with (and at least [`MIN_GROWTH`] more).
const GROWTH: f64 = 1.25;
const MIN_GROWTH: u64 = 500;

/// The key a matcher's model is stored under: its name, its version and build (the hash of
/// its component), and the hash of its parameters.
pub(super) fn model_key(stage: &Stage) -> ModelKey {
    let info = &stage.plugin.info;
    let build = stage
        .plugin
        .sha256
        .get(..12)
        .unwrap_or(&stage.plugin.sha256);
    let params = format!("{:?}", stage.params.0);
    ModelKey {
        matcher: info.name.clone(),
        version: format!("{}+{build}", info.version),
        params_hash: plugin::hex(&Sha256::digest(params.as_bytes())),
    }
}

/// Whether a store of `now` contacts has grown noticeably since `then`.
fn grown(then: u64, now: u64) -> bool {
    #[allow(clippy::cast_precision_loss)] // Contact counts far below 2^52.
    let ratio = now as f64 / then.max(1) as f64;
    ratio >= GROWTH && now.saturating_sub(then) >= MIN_GROWTH
}

impl Chain {
    /// Hands the matcher its stored model (called once the stored contacts are keyed), and
    /// decides whether this import estimates a new one.
    pub(super) fn load_model(&mut self, store: &Store, stage: &Stage) -> Result<(), Error> {
        let key = model_key(stage);
        let contacts = store.contact_count()?;
        let stored = store.matcher_model(&key)?;
        let stale = stored.as_ref().is_none_or(|m| grown(m.contacts, contacts));
        self.model = stored.map(|m| m.model);
        self.matcher.load_model(self.model.as_deref())?;
        if stale && contacts >= MIN_CONTACTS {
            self.estimating = Some((key, contacts));
        }
        Ok(())
    }

    /// Processes a full batch, or holds it back while the model waits for the rows it is
    /// estimated from.
    pub(super) fn submit(
        &mut self,
        batch: Batch,
        held: &mut Vec<Batch>,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
        fresh: &super::Fresh<'_>,
    ) -> Result<(), Error> {
        if self.estimating.is_none() {
            return self.process_batch(&batch, tx, report, fresh);
        }
        held.push(batch);
        if held.iter().map(Batch::len).sum::<usize>() >= ESTIMATE_ROWS {
            self.release(held, tx, report, fresh)?;
            held.clear();
        }
        Ok(())
    }

    /// Estimates the model from the held batches if it waits for them, then processes them.
    pub(super) fn release(
        &mut self,
        held: &[Batch],
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
        fresh: &super::Fresh<'_>,
    ) -> Result<(), Error> {
        if let Some((key, contacts)) = self.estimating.take() {
            self.estimate_model(held, &key, contacts, tx)?;
        }
        for batch in held {
            self.process_batch(batch, tx, report, fresh)?;
        }
        Ok(())
    }

    /// Has the matcher estimate its model from these rows (transformed, as the matcher will
    /// see them) and their candidates, and stores it.
    fn estimate_model(
        &mut self,
        batches: &[Batch],
        key: &ModelKey,
        contacts: u64,
        tx: &mut ImportTx<'_>,
    ) -> Result<(), Error> {
        let mut records = Batch::new(CONTACT_FIELDS.len());
        for batch in batches {
            let rows = self.transform(batch, &mut Verdicts::new(batch.len()))?;
            for row in rows.iter() {
                if let Ok(s) = self.layout.storable(row) {
                    records.push_row(row.number(), s.contact);
                }
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let keys = self.matcher.keys(&records)?;
        let mut candidates = Candidates::new();
        let mut row_of: HashMap<i64, u32> = HashMap::new();
        for k in &keys {
            for id in self.index.candidates(k) {
                let row = match row_of.get(&id) {
                    Some(&row) => row,
                    None => {
                        let Some(fields) = self.index.fetch(tx, id)? else {
                            continue;
                        };
                        let row = candidates.add_contact(id, fields.iter());
                        row_of.insert(id, row);
                        row
                    }
                };
                candidates.push(row);
            }
            candidates.end_record();
        }
        if let Some(model) = self.matcher.estimate(&records, candidates)? {
            tx.save_matcher_model(key, &model, contacts)?;
            self.model = Some(model);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::grown;

    #[test]
    fn a_model_is_estimated_again_once_the_store_has_grown() {
        assert!(!grown(10_000, 12_000));
        assert!(grown(10_000, 12_500));
        // A small store must grow by a few hundred contacts, not a handful.
        assert!(!grown(300, 400));
        assert!(grown(300, 800));
    }
}
