//! The `matcher_models` table and households: the parameters a matcher estimated from the
//! store, kept so every import decides with the same ones, and the household a new contact
//! joined.

use rusqlite::{OptionalExtension, params};

use super::import_tx::write_err;
use super::{Error, ImportTx, Store, now_utc};

/// Which matcher a model belongs to: a change of plugin, version or parameters is another
/// matcher, whose model is estimated anew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelKey {
    /// The matcher plugin's name.
    pub matcher: String,
    /// Its version.
    pub version: String,
    /// SHA-256 (hex) of its parameters as configured.
    pub params_hash: String,
}

/// A stored model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredModel {
    /// The parameters, in the matcher's own text form.
    pub model: String,
    /// How many contacts the store held when it was estimated.
    pub contacts: u64,
    /// The import whose rows it was estimated from.
    pub import_id: Option<i64>,
}

impl Store {
    /// The model stored for `key`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn matcher_model(&self, key: &ModelKey) -> Result<Option<StoredModel>, Error> {
        self.conn
            .prepare_cached(
                "SELECT model, contacts, import_id FROM matcher_models \
                 WHERE matcher = ?1 AND version = ?2 AND params_hash = ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![key.matcher, key.version, key.params_hash], |r| {
                    Ok(StoredModel {
                        model: r.get(0)?,
                        contacts: r.get(1)?,
                        import_id: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(Error::query(&self.path, "read the matcher's model"))
    }
}

impl ImportTx<'_> {
    /// Stores `model` for `key`, estimated from this import's rows when the store held
    /// `contacts` contacts, in place of an earlier one. Part of the import's transaction: a
    /// dry run or a failed import keeps none.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::Busy`].
    pub fn save_matcher_model(
        &mut self,
        key: &ModelKey,
        model: &str,
        contacts: u64,
    ) -> Result<(), Error> {
        let (tx, path, import_id) = self.parts();
        tx.prepare_cached(
            "INSERT OR REPLACE INTO matcher_models \
             (matcher, version, params_hash, model, contacts, import_id, estimated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                key.matcher,
                key.version,
                key.params_hash,
                model,
                contacts,
                import_id,
                now_utc()
            ])
        })
        .map_err(write_err(
            path,
            import_id,
            None,
            "store the matcher's model",
        ))?;
        Ok(())
    }

    /// Puts contact `id` (created by this import) into the household of contact `of`: the
    /// household `of` belongs to, or the one it heads. Returns the household's id.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::Busy`].
    pub fn join_household(&mut self, id: i64, of: i64) -> Result<i64, Error> {
        let (tx, path, import_id) = self.parts();
        let err = || write_err(path, import_id, None, "record a household");
        let head: i64 = tx
            .prepare_cached("SELECT coalesce(household_id, id) FROM contacts WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([of], |r| r.get(0)).optional())
            .map_err(err())?
            .unwrap_or(of);
        tx.prepare_cached("UPDATE contacts SET household_id = ?1 WHERE id = ?2")
            .and_then(|mut stmt| stmt.execute(params![head, id]))
            .map_err(err())?;
        Ok(head)
    }
}
