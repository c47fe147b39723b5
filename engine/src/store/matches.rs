//! The `match_decisions` and `contact_values` tables: how each row of an import was matched
//! (contact, score, reasons, candidates), and the further emails and phones of contacts.

use rusqlite::params;
use serde::Serialize;

use super::import_tx::write_err;
use super::imports::encode_strings;
use super::{Error, ImportTx, Store};

/// What the matching did with one row (`match_decisions.decision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// Attached to a contact that existed before the row.
    Matched,
    /// A new contact was created.
    New,
    /// Attached to the contact an earlier row of the same file created.
    SameAsRow,
    /// A new contact was created, and the row flagged: it looked like a candidate.
    Review,
    /// Several candidates matched about equally well.
    Ambiguous,
}

impl MatchKind {
    /// The kind as stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Matched => "matched",
            MatchKind::New => "new",
            MatchKind::SameAsRow => "same-as-row",
            MatchKind::Review => "review",
            MatchKind::Ambiguous => "ambiguous",
        }
    }

    /// The kind stored as `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<MatchKind> {
        [
            MatchKind::Matched,
            MatchKind::New,
            MatchKind::SameAsRow,
            MatchKind::Review,
            MatchKind::Ambiguous,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A candidate contact and its score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Candidate {
    /// The contact id.
    pub contact: i64,
    /// Its score in [0, 1].
    pub score: f64,
}

/// One row's match decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchRecord {
    /// The row in the file.
    pub row_number: u32,
    /// What happened.
    pub decision: MatchKind,
    /// The row's contact; `None` when the row was rejected.
    pub contact_id: Option<i64>,
    /// The best candidate's score, if there was a candidate.
    pub score: Option<f64>,
    /// The matcher's evidence for the best candidate.
    pub reasons: Vec<String>,
    /// The candidates, best first.
    pub candidates: Vec<Candidate>,
    /// The household the row's new contact joined (the id of the contact heading it), if
    /// the matcher found another first name at a candidate's address or phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household: Option<i64>,
}

impl ImportTx<'_> {
    /// Records how row `m.row_number` was matched.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the row (e.g. a second decision for it) or [`Error::Busy`].
    pub fn add_match_decision(&mut self, m: &MatchRecord) -> Result<(), Error> {
        let (tx, path, import_id) = self.parts();
        let err = || {
            write_err(
                path,
                import_id,
                Some(m.row_number),
                "record the match decision",
            )
        };
        let to_sql = |e| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        let reasons = encode_strings(&m.reasons).map_err(to_sql).map_err(err())?;
        let candidates = serde_json::to_string(&m.candidates)
            .map_err(to_sql)
            .map_err(err())?;
        tx.prepare_cached(
            "INSERT INTO match_decisions (import_id, row_number, decision, contact_id, score, \
             reasons_json, candidates_json, household_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                import_id,
                m.row_number,
                m.decision.as_str(),
                m.contact_id,
                m.score,
                reasons,
                candidates,
                m.household
            ])
        })
        .map_err(err())?;
        Ok(())
    }

    /// Keeps `value` as a further email (`field` 5) or phone (`field` 6) of contact `id`,
    /// unless it has it already; logs it in the change log as a `create` in
    /// `contact_values`. Returns whether it was new.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::Busy`].
    pub fn add_contact_value(&mut self, id: i64, field: usize, value: &str) -> Result<bool, Error> {
        let (tx, path, import_id) = self.parts();
        let column = match field {
            5 => "email",
            6 => "phone",
            _ => return Ok(false),
        };
        let err = || write_err(path, import_id, None, "keep a further email or phone");
        let added = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO contact_values (contact_id, field, value, import_id) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut stmt| stmt.execute(params![id, column, value, import_id]))
            .map_err(err())?;
        if added == 0 {
            return Ok(false);
        }
        let row_id = tx.last_insert_rowid();
        tx.prepare_cached(
            "INSERT INTO changes (import_id, table_name, row_id, action, field, new_value) \
             VALUES (?1, 'contact_values', ?2, 'create', ?3, ?4)",
        )
        .and_then(|mut stmt| stmt.execute(params![import_id, row_id, column, value]))
        .map_err(err())?;
        Ok(true)
    }
}

impl Store {
    /// The match decisions of an import, by row.
    ///
    /// # Errors
    ///
    /// [`Error::Query`] or [`Error::Corrupt`].
    pub fn match_decisions(&self, import_id: i64) -> Result<Vec<MatchRecord>, Error> {
        type Raw = (
            u32,
            String,
            Option<i64>,
            Option<f64>,
            String,
            String,
            Option<i64>,
        );
        let raw: Vec<Raw> = self
            .conn
            .prepare_cached(
                "SELECT row_number, decision, contact_id, score, reasons_json, candidates_json, \
                 household_id FROM match_decisions WHERE import_id = ?1 ORDER BY row_number",
            )
            .and_then(|mut stmt| {
                stmt.query_map([import_id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .map_err(Error::query(&self.path, "read the match decisions"))?;
        raw.into_iter()
            .map(
                |(row_number, decision, contact_id, score, reasons, candidates, household)| {
                    let corrupt = || Error::Corrupt {
                        path: self.path.clone(),
                        detail: format!("match decision of import {import_id} row {row_number}"),
                    };
                    Ok(MatchRecord {
                        row_number,
                        decision: MatchKind::parse(&decision).ok_or_else(corrupt)?,
                        contact_id,
                        score,
                        reasons: serde_json::from_str(&reasons).map_err(|_| corrupt())?,
                        candidates: serde_json::from_str(&candidates).map_err(|_| corrupt())?,
                        household,
                    })
                },
            )
            .collect()
    }

    /// Every further email and phone of every contact: (contact id, field index in
    /// [`CONTACT_COLUMNS`](super::CONTACT_COLUMNS) order, value).
    ///
    /// # Errors
    ///
    /// [`Error::Query`].
    pub fn contact_values(&self) -> Result<Vec<(i64, usize, String)>, Error> {
        self.conn
            .prepare_cached("SELECT contact_id, field, value FROM contact_values ORDER BY id")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| {
                    let field: String = r.get(1)?;
                    Ok((r.get(0)?, if field == "email" { 5 } else { 6 }, r.get(2)?))
                })?
                .collect()
            })
            .map_err(Error::query(
                &self.path,
                "read the contacts' further values",
            ))
    }
}
