//! # sluice-sdk: write a sluice plugin in plain Rust
//!
//! A sluice plugin is a WebAssembly component (`wasm32-wasip2`) implementing one of four
//! worlds of the WIT package in `wit/plugin.wit`: **source**, **transform**, **validator** or
//! **matcher**. With this crate an author writes no WIT glue: implement one trait and invoke
//! one macro.
//!
//! | kind | trait | macro |
//! |---|---|---|
//! | bytes of a file → rows | [`Source`] | [`export_source!`] |
//! | rows → rows | [`Transform`] | [`export_transform!`] |
//! | rows → verdicts | [`Validator`] | [`export_validator!`] |
//! | records → keys, scores | [`Matcher`] | [`export_matcher!`] |
//!
//! ```rust
//! use sluice_sdk::*;
//!
//! pub struct NeedsEmail { email: Option<u32> }
//!
//! impl Validator for NeedsEmail {
//!     fn describe() -> PluginInfo {
//!         PluginInfo::new("needs-email", env!("CARGO_PKG_VERSION"), Kind::Validator,
//!                         "Rejects rows without an email", vec![])
//!     }
//!     fn prepare(columns: &[String], _: &Params, _: &Context) -> Result<(Self, ValidatorPlan), Error> {
//!         let email = column_index(columns, "Primary Email");
//!         Ok((Self { email }, ValidatorPlan { reads: email.into_iter().collect(), warnings: vec![] }))
//!     }
//!     fn validate(&mut self, rows: &Batch, out: &mut Vec<RowVerdict>) -> Result<(), Error> {
//!         for row in rows.iter().filter(|r| r.get(0).is_empty()) {
//!             out.push(RowVerdict { index: row.index() as u32,
//!                                   verdict: Verdict::Reject(vec!["missing Primary Email".into()]) });
//!         }
//!         Ok(())
//!     }
//! }
//!
//! #[cfg(target_family = "wasm")]
//! sluice_sdk::export_validator!(NeedsEmail);
//! ```
//!
//! Batches hold only the columns a stage asked for in its plan (`reads`), in that order, so
//! column 0 above is "Primary Email". Cells are borrowed `&str`s out of one packed buffer.
//!
//! **Testing**: with the `testing` feature, [`testing`] runs the same trait impl natively on
//! TOML case files, so `cargo test` needs no wasm toolchain.
//!
//! **What a plugin must not do**: it gets no filesystem, network, clock or environment; it
//! must be a pure function of its parameters and input. Row problems are verdicts, never
//! panics: a panic is a fault that stops the import of the file.

// The generated bindings name their runtime by this crate's public path, which must also
// resolve inside the crate.
extern crate self as sluice_sdk;

mod batch;
mod types;

#[cfg(feature = "guest")]
#[doc(hidden)]
pub mod guest;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "guest")]
#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

pub use batch::{Batch, LayoutError, Packed, Row};

pub mod headers;
pub use types::*;

/// Rows completed by one step of a [`Source`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceOutput {
    /// The header, set by the step that read it.
    pub columns: Option<Vec<String>>,
    /// Rows as wide as the header.
    pub rows: Batch,
    /// Rows that do not fit the header.
    pub rejects: Vec<SourceReject>,
    /// Verdicts on rows of `rows` (by index in `rows`), e.g. a flag for an error cell.
    pub verdicts: Vec<RowVerdict>,
    /// File-level notes for the user.
    pub warnings: Vec<String>,
}

impl SourceOutput {
    /// An empty output for rows of `width` columns.
    #[must_use]
    pub fn new(width: usize) -> Self {
        Self {
            rows: Batch::new(width),
            ..Self::default()
        }
    }

    /// Records the header; rows pushed afterwards have its width.
    pub fn set_columns(&mut self, columns: Vec<String>) {
        if self.rows.is_empty() {
            self.rows = Batch::new(columns.len());
        }
        self.columns = Some(columns);
    }
}

/// What a [`Transform`] returns for one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransformOutput {
    /// One row per input row holding the computed columns, in plan order.
    pub values: Batch,
    /// Rows to flag or reject.
    pub verdicts: Vec<RowVerdict>,
}

/// Reads one input file. The host pushes the file in chunks of bytes, then calls `finish`.
pub trait Source: Sized + 'static {
    /// Name, version, kind and parameters.
    fn describe() -> PluginInfo;
    /// Starts reading a file; returns the reader and warnings.
    fn open(params: &Params, ctx: &Context) -> Result<(Self, Vec<String>), Error>;
    /// Consumes the next chunk; pushes completed rows (and the header, once) into `out`.
    fn push(&mut self, chunk: &[u8], out: &mut SourceOutput) -> Result<(), Error>;
    /// The file has ended: pushes the last rows, or fails if the file is unreadable.
    fn finish(&mut self, out: &mut SourceOutput) -> Result<(), Error>;
}

/// Rewrites rows. Everything that depends only on the header goes into the plan
/// ([`TransformPlan`]), which the host applies itself; `process` computes only the columns
/// marked [`ColumnSource::Computed`].
pub trait Transform: Sized + 'static {
    /// Name, version, kind and parameters.
    fn describe() -> PluginInfo;
    /// Plans the output columns from the header and `samples`, the file's first rows as
    /// this transform sees them (up to [`PREPARE_SAMPLES`]; each also comes through
    /// [`Transform::process`] later).
    fn prepare(
        columns: &[String],
        samples: &Batch,
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, TransformPlan), Error>;
    /// Computes the computed columns of a batch holding the plan's `reads` columns.
    fn process(&mut self, rows: &Batch, out: &mut TransformOutput) -> Result<(), Error> {
        let _ = (rows, out);
        Ok(())
    }
}

/// Judges rows.
pub trait Validator: Sized + 'static {
    /// Name, version, kind and parameters.
    fn describe() -> PluginInfo;
    /// Plans from the header: which columns to read.
    fn prepare(
        columns: &[String],
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, ValidatorPlan), Error>;
    /// Pushes a verdict for each row of `rows` that is not ok.
    fn validate(&mut self, rows: &Batch, out: &mut Vec<RowVerdict>) -> Result<(), Error>;
}

/// Finds the stored contact a record belongs to. Records and candidates are [`Contact`]s
/// (columns in [`CONTACT_FIELDS`] order); the host retrieves candidates by blocking key.
pub trait Matcher: Sized + 'static {
    /// Name, version, kind and parameters.
    fn describe() -> PluginInfo;
    /// Checks parameters and the pipeline's columns; returns warnings.
    fn prepare(
        columns: &[String],
        params: &Params,
        ctx: &Context,
    ) -> Result<(Self, Vec<String>), Error>;
    /// Pushes the blocking keys of `record`: records sharing a key are compared.
    fn keys(&mut self, record: Contact<'_>, out: &mut Vec<String>);
    /// Called once the stored contacts were keyed (before any record is), with the model an
    /// earlier [`Matcher::estimate`] returned if the host keeps one in the store (for the
    /// same matcher, build and parameters). The default ignores it.
    fn load_model(&mut self, model: Option<&str>) -> Result<(), Error> {
        let _ = model;
        Ok(())
    }
    /// Estimates the matcher's parameters from a sample of records and their blocked
    /// candidates (the shape [`matcher_scores`] takes), uses them from now on, and returns
    /// them as text for the host to store and hand back through [`Matcher::load_model`].
    /// `None` (the default): the matcher has nothing to estimate.
    fn estimate(
        &mut self,
        records: &Batch,
        candidates: &Candidates,
    ) -> Result<Option<String>, Error> {
        let _ = (records, candidates);
        Ok(None)
    }
    /// How well `record` matches `candidate`; `None` when they certainly differ.
    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score>;
    /// [`Matcher::score`]'s score alone. Every candidate is weighed, and only the best of a
    /// record is then scored with reasons (the host records no other candidate's reasons),
    /// so a matcher whose reasons cost more than its arithmetic overrides this with a
    /// version that writes none. It must give exactly the score `score` gives.
    fn weigh(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<f64> {
        self.score(record, candidate).map(|s| s.score)
    }
    /// [`Matcher::weigh`] of `record` against each of `candidates`, in order, into `out`
    /// (emptied first): a matcher that prepares a record before comparing it overrides this
    /// to prepare it once for all its candidates.
    fn weigh_all(
        &mut self,
        record: Contact<'_>,
        candidates: &[Contact<'_>],
        out: &mut Vec<Option<f64>>,
    ) {
        out.clear();
        for &candidate in candidates {
            let weight = self.weigh(record, candidate);
            out.push(weight);
        }
    }
    /// Called once per batch the host scores, before any [`Matcher::weigh_rows`] or
    /// [`Matcher::score_row`] of it, with the batch's records and its distinct candidate
    /// contacts (each once, however many records it is a candidate of). A matcher that
    /// prepares records before comparing them overrides this and the two below to prepare
    /// each record and each contact once per batch. The default does nothing.
    fn start_batch(&mut self, records: &Batch, contacts: &Batch) {
        let _ = (records, contacts);
    }
    /// [`Matcher::weigh_all`] of row `record` of `records` against rows `candidates` of
    /// `contacts` (the batches [`Matcher::start_batch`] was given), in order, into `out`.
    fn weigh_rows(
        &mut self,
        records: &Batch,
        record: usize,
        contacts: &Batch,
        candidates: &[usize],
        out: &mut Vec<Option<f64>>,
    ) {
        let rows: Vec<Contact<'_>> = candidates
            .iter()
            .map(|&c| Contact(contacts.row(c)))
            .collect();
        self.weigh_all(Contact(records.row(record)), &rows, out);
    }
    /// [`Matcher::score`] of row `record` of `records` against row `candidate` of
    /// `contacts` (the batches [`Matcher::start_batch`] was given).
    fn score_row(
        &mut self,
        records: &Batch,
        record: usize,
        contacts: &Batch,
        candidate: usize,
    ) -> Option<Score> {
        self.score(
            Contact(records.row(record)),
            Contact(contacts.row(candidate)),
        )
    }
}

/// Most contacts a blocking key may be shared by and still find candidates. A key shared by
/// more (a common surname and initial in a large store) tells no one apart: it finds none,
/// rather than an arbitrary few of them, and scoring stays linear in the rows. The right
/// contact is then found through a rarer key (an email, a phone, an address).
pub const CANDIDATES_PER_KEY: usize = 50;

/// Most candidates one record is compared with (see [`rank`]). The right contact shares a
/// rare key (an email, a phone, an address) or several keys, and ranks first; past the
/// first few, the candidates share only a name or street block. Eight rather than sixteen
/// cut a 200k-row import by a fifth (`speed`) and changed no FEBRL or generated decision
/// (`match_accuracy`); four lost FEBRL rows then. Since the street and surname-in-town
/// keys, a record finds about twice as many contacts (7 in `speed`'s file against 3.5),
/// and a true match shares more keys with it: five rather than eight changed no decision
/// of `match_accuracy`'s seven sets nor of `speed`'s 100k rows.
pub const MAX_CANDIDATES: usize = 5;

/// The most rows the host hands a transform's `prepare` as samples: the file's first rows.
pub const PREPARE_SAMPLES: usize = 1000;

/// The ids found under a record's keys (one posting list per key, each at most
/// [`CANDIDATES_PER_KEY`] long: longer ones are left out), best first, at most [`MAX_CANDIDATES`]: how the host picks
/// the candidates a record is scored against, and how the testing harness does.
///
/// A key shared by few contacts (an email) is strong evidence and one shared by many (a
/// common surname and initial) weak, so an id earns `1 / len` for every list it is on. The
/// same person usually shares several keys, or one rare key; contacts found only under a
/// crowded name key are the ones dropped, and they could not match on a name alone anyway.
/// Scoring stays bounded per record, whatever the names in the file. Ties go to the lower id.
#[must_use]
pub fn rank<T: Copy + Ord>(postings: &[&[T]]) -> Vec<T> {
    // Each (id, share) in posting order, grouped by id by a stable sort, so an id's shares
    // are summed in the order of its lists: a few hundred ids, no hash table to build.
    let mut shares: Vec<(T, f64)> = Vec::with_capacity(postings.iter().map(|l| l.len()).sum());
    for list in postings {
        #[allow(clippy::cast_precision_loss)] // Lists hold at most CANDIDATES_PER_KEY + 1 ids.
        let w = 1.0 / list.len().max(1) as f64;
        shares.extend(list.iter().map(|&id| (id, w)));
    }
    shares.sort_by_key(|&(id, _)| id);
    let mut ranked: Vec<(T, f64)> = Vec::with_capacity(shares.len());
    for (id, w) in shares {
        match ranked.last_mut() {
            Some((last, sum)) if *last == id => *sum += w,
            _ => ranked.push((id, w)),
        }
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(id, _)| id)
        .collect()
}

/// Whether two contact types may be one contact: equal, or one of them unknown. An
/// organization never matches an individual, whatever a matcher scores: the host drops
/// such scores, and [`matcher_scores`] does not weigh them.
#[must_use]
pub fn types_agree(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.is_empty() || b.is_empty() || a.eq_ignore_ascii_case(b)
}

/// A score for candidate `contact` of record `index`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedScore {
    /// The record's index in its batch.
    pub index: u32,
    /// The candidate's store id.
    pub contact: i64,
    /// The matcher's judgement.
    pub score: Score,
}

/// Runs [`Matcher::keys`] over a batch: per-record key ends and the packed keys.
#[doc(hidden)]
pub fn matcher_keys<M: Matcher>(matcher: &mut M, records: &Batch) -> (Vec<u32>, Packed) {
    let mut ends = Vec::with_capacity(records.len());
    let mut packed = Packed::default();
    let mut keys = Vec::new();
    for record in records.iter() {
        keys.clear();
        matcher.keys(Contact(record), &mut keys);
        for key in &keys {
            packed.push(key);
        }
        ends.push(u32::try_from(packed.len()).unwrap_or(u32::MAX));
    }
    (ends, packed)
}

/// Runs [`Matcher::weigh`] over each record's candidates, then [`Matcher::score`] on the
/// best of each record (highest score, then lowest id, as the host ranks them) for its
/// reasons: the other candidates' scores come without reasons. Candidates whose contact
/// type disagrees with the record's (see [`types_agree`]) are not weighed. The batch's
/// distinct contacts are announced once with [`Matcher::start_batch`], and weighed and
/// scored by row ([`Matcher::weigh_rows`], [`Matcher::score_row`]).
#[doc(hidden)]
pub fn matcher_scores<M: Matcher>(
    matcher: &mut M,
    records: &Batch,
    candidates: &Candidates,
) -> Result<Vec<IndexedScore>, Error> {
    candidates.check(records.len())?;
    let contacts = &candidates.contacts;
    matcher.start_batch(records, contacts);
    let mut scores = Vec::new();
    let (mut agreeing, mut weights) = (Vec::new(), Vec::new());
    for record in records.iter() {
        let r = record.index();
        let index = u32::try_from(r).unwrap_or(u32::MAX);
        agreeing.clear();
        for &c in candidates.of_record(r) {
            let c = c as usize;
            if types_agree(
                record.get(ContactField::ContactType as usize),
                contacts.cell(c, ContactField::ContactType as usize),
            ) {
                agreeing.push(c);
            }
        }
        matcher.weigh_rows(records, r, contacts, &agreeing, &mut weights);
        let mut best: Option<(usize, usize)> = None;
        for (&c, &weight) in agreeing.iter().zip(&weights) {
            let Some(score) = weight else {
                continue;
            };
            let contact = candidates.ids.get(c).copied().unwrap_or_default();
            let better = best.is_none_or(|(at, _)| {
                scores.get(at).is_none_or(|b: &IndexedScore| {
                    score > b.score.score || score == b.score.score && contact < b.contact
                })
            });
            if better {
                best = Some((scores.len(), c));
            }
            scores.push(IndexedScore {
                index,
                contact,
                score: Score {
                    score,
                    reasons: Vec::new(),
                    household: false,
                },
            });
        }
        if let Some((at, c)) = best
            && let Some(full) = matcher.score_row(records, r, contacts, c)
            && let Some(slot) = scores.get_mut(at)
        {
            slot.score = full;
        }
    }
    Ok(scores)
}

/// The candidates of a batch of records as they cross the boundary: each distinct contact
/// once (a row of `contacts` and its store id), and for each record the rows that are its
/// candidates. A contact met by many records of a batch is copied and prepared once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidates {
    /// The distinct candidate contacts, one row each (row numbers 0); a contact with
    /// further emails or phones has one row per variant, each with its id.
    pub contacts: Batch,
    /// The store id of each row of `contacts`.
    pub ids: Vec<i64>,
    /// `ends[i]` is one past the last entry of `of` for record `i`.
    pub ends: Vec<u32>,
    /// Rows of `contacts`: each record's candidates, best first.
    pub of: Vec<u32>,
}

impl Default for Candidates {
    fn default() -> Self {
        Self::new()
    }
}

impl Candidates {
    /// No contacts and no records yet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            contacts: Batch::new(CONTACT_FIELDS.len()),
            ids: Vec::new(),
            ends: Vec::new(),
            of: Vec::new(),
        }
    }

    /// Adds a distinct contact row with store id `id`; returns its row.
    pub fn add_contact<I, S>(&mut self, id: i64, fields: I) -> u32
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let row = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.contacts.push_row(0, fields);
        self.ids.push(id);
        row
    }

    /// Adds row `row` of `contacts` to the candidates of the record in hand.
    pub fn push(&mut self, row: u32) {
        self.of.push(row);
    }

    /// Closes the record in hand: the next [`Candidates::push`] is the next record's.
    pub fn end_record(&mut self) {
        self.ends
            .push(u32::try_from(self.of.len()).unwrap_or(u32::MAX));
    }

    /// The rows of `contacts` that are record `i`'s candidates (none when out of range or
    /// when `ends` is out of order).
    #[must_use]
    pub fn of_record(&self, i: usize) -> &[u32] {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .map_or(0, |&e| e as usize);
        let end = self.ends.get(i).map_or(start, |&e| e as usize);
        self.of.get(start..end).unwrap_or(&[])
    }

    /// The store ids of record `i`'s candidates, in order.
    pub fn ids_of(&self, i: usize) -> impl Iterator<Item = i64> + '_ {
        self.of_record(i)
            .iter()
            .map(|&c| self.ids.get(c as usize).copied().unwrap_or_default())
    }

    /// Whether the layout holds together for `records` records: one end per record, in
    /// order and within `of`, one id per contact row, every `of` entry a row of `contacts`.
    ///
    /// # Errors
    /// [`Error::Other`] naming what does not fit.
    pub fn check(&self, records: usize) -> Result<(), Error> {
        let fits = self.ends.len() == records
            && self.ids.len() == self.contacts.len()
            && self.ends.windows(2).all(|w| w.first() <= w.last())
            && self
                .ends
                .last()
                .is_none_or(|&e| e as usize <= self.of.len())
            && self.of.iter().all(|&c| (c as usize) < self.contacts.len());
        if fits {
            Ok(())
        } else {
            Err(Error::Other(
                "host sent candidates that do not fit the records".into(),
            ))
        }
    }
}

/// The index of the column named `name` (compared trimmed and case-insensitively).
#[must_use]
pub fn column_index(columns: &[String], name: &str) -> Option<u32> {
    columns
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case(name))
        .and_then(|i| u32::try_from(i).ok())
}

/// Header names made usable by name, for source plugins: empty ones become `Column N`, repeated ones (compared
/// case-insensitively, as mapping compares them) get ` (2)`, ` (3)` …; each change is a
/// warning. Empty and repeated names are legal in CSV and spreadsheets alike, but a column cannot be mapped by a name
/// it shares.
///
/// Names are compared through ASCII-lowercased keys held in sets, and each repeated name
/// remembers the next suffix to try: a header of thousands of columns (a wide sheet, or a
/// damaged file's) must not take quadratic or cubic time.
///
/// Only the first 20 changes get a warning each; the rest are summed up in
/// one, so a damaged sheet tens of thousands of columns wide gives a readable report.
#[must_use]
pub fn distinct_names(raw: &[String], warnings: &mut Vec<String>) -> Vec<String> {
    use std::collections::{HashMap, HashSet};

    let raw_keys: HashSet<String> = raw.iter().map(|n| n.to_ascii_lowercase()).collect();
    // The key of every name chosen so far → the 0-based column that first has it.
    let mut first: HashMap<String, usize> = HashMap::with_capacity(raw.len());
    // The key of a repeated name → the suffix to try next. Names are only ever added, so
    // every smaller suffix is still taken.
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    let mut renamed = Renamed::default();
    for (i, name) in raw.iter().enumerate() {
        let mut chosen = if name.is_empty() {
            let n = format!("Column {}", i + 1);
            renamed.note(warnings, i, || {
                format!(
                    "column {} has no name in the header; it is called {n:?}",
                    i + 1
                )
            });
            n
        } else {
            name.clone()
        };
        let key = chosen.to_ascii_lowercase();
        if let Some(&first_at) = first.get(&key) {
            let base = chosen.clone();
            let k = next_suffix.entry(key).or_insert(2);
            loop {
                chosen = format!("{base} ({k})");
                *k += 1;
                let candidate = chosen.to_ascii_lowercase();
                if !first.contains_key(&candidate) && !raw_keys.contains(&candidate) {
                    break;
                }
            }
            renamed.note(warnings, i, || {
                format!(
                    "column {} repeats the name {base:?} of column {}; it is called {chosen:?}",
                    i + 1,
                    first_at + 1
                )
            });
        }
        first.entry(chosen.to_ascii_lowercase()).or_insert(i);
        names.push(chosen);
    }
    renamed.summarise(warnings);
    names
}

/// How many renamed columns [`distinct_names`] warns about one by one.
const RENAMES_LISTED: usize = 20;

/// The renamed columns [`distinct_names`] has seen: the first [`RENAMES_LISTED`] are warned
/// about, the others only counted.
#[derive(Default)]
struct Renamed {
    count: usize,
    /// 0-based columns of the first and last renamed column not warned about.
    unlisted: Option<(usize, usize)>,
}

impl Renamed {
    fn note(
        &mut self,
        warnings: &mut Vec<String>,
        column: usize,
        warning: impl FnOnce() -> String,
    ) {
        self.count += 1;
        if self.count <= RENAMES_LISTED {
            warnings.push(warning());
        } else {
            let first = self.unlisted.map_or(column, |(first, _)| first);
            self.unlisted = Some((first, column));
        }
    }

    fn summarise(&self, warnings: &mut Vec<String>) {
        if let Some((first, last)) = self.unlisted {
            warnings.push(format!(
                "{} more columns, from column {} to column {}, are renamed the same way",
                self.count - RENAMES_LISTED,
                first + 1,
                last + 1
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores a candidate by how many of its cells equal the record's.
    struct Same;

    impl Matcher for Same {
        fn describe() -> PluginInfo {
            PluginInfo::new("same", "0", Kind::Matcher, "test", vec![])
        }
        fn prepare(_: &[String], _: &Params, _: &Context) -> Result<(Self, Vec<String>), Error> {
            Ok((Self, Vec::new()))
        }
        fn keys(&mut self, _: Contact<'_>, _: &mut Vec<String>) {}
        fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
            let same = record
                .0
                .cells()
                .zip(candidate.0.cells())
                .filter(|(a, b)| a == b);
            let n = same.count();
            #[allow(clippy::cast_precision_loss)]
            let score = n as f64 / 9.0;
            Some(Score {
                score,
                reasons: vec![format!("{n} same")],
                household: false,
            })
        }
    }

    #[test]
    fn only_the_best_candidate_of_a_record_is_explained() {
        let mut records = Batch::new(9);
        records.push_row(1, ["individual", "Ann", "Lee"]);
        let mut candidates = Candidates::new();
        for (id, fields) in [
            (7, ["individual", "Ann", ""]),
            (9, ["organization", "Ann", "Lee"]),
            (5, ["", "Ann", "Lee"]),
            (8, ["individual", "Bo", ""]),
        ] {
            let row = candidates.add_contact(id, fields);
            candidates.push(row);
        }
        candidates.end_record();
        let scores = matcher_scores(&mut Same, &records, &candidates).unwrap();
        let got: Vec<(i64, f64, Vec<String>)> = scores
            .into_iter()
            .map(|s| (s.contact, s.score.score, s.score.reasons))
            .collect();
        // The organization is not weighed; of the two best (8 of 9 cells), the lower id has
        // the reasons, and the others only their scores.
        assert_eq!(
            got,
            vec![
                (7, 8.0 / 9.0, vec![]),
                (5, 8.0 / 9.0, vec!["8 same".to_string()]),
                (8, 7.0 / 9.0, vec![]),
            ]
        );
    }

    /// Suffixes skip every name the header already has, in any case; a header name equal to
    /// a suffixed one keeps its name when it comes first in the header, or gets a suffix of
    /// its own.
    #[test]
    fn distinct_names_skip_taken_suffixes() {
        let raw: Vec<String> = ["a", "A (2)", "a", "A", "", "a (3)"]
            .iter()
            .map(|n| (*n).to_string())
            .collect();
        let mut warnings = Vec::new();
        assert_eq!(
            distinct_names(&raw, &mut warnings),
            ["a", "A (2)", "a (4)", "A (5)", "Column 5", "a (3)"]
        );
        assert_eq!(
            warnings,
            [
                "column 3 repeats the name \"a\" of column 1; it is called \"a (4)\"",
                "column 4 repeats the name \"A\" of column 1; it is called \"A (5)\"",
                "column 5 has no name in the header; it is called \"Column 5\"",
            ]
        );
    }

    /// 20,000 columns of one name (a damaged workbook's header row hung the excel source:
    /// every repeat tried every suffix from 2 against every name, cubic time).
    #[test]
    fn distinct_names_of_a_wide_repeated_header() {
        let raw = vec!["Email".to_string(); 20_000];
        let mut warnings = Vec::new();
        let names = distinct_names(&raw, &mut warnings);
        let expected: Vec<String> = std::iter::once("Email".to_string())
            .chain((2..=20_000).map(|k| format!("Email ({k})")))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(warnings.len(), RENAMES_LISTED + 1);
        assert_eq!(
            warnings[RENAMES_LISTED - 1],
            "column 21 repeats the name \"Email\" of column 1; it is called \"Email (21)\""
        );
        assert_eq!(
            warnings[RENAMES_LISTED],
            "19979 more columns, from column 22 to column 20000, are renamed the same way"
        );
    }

    #[test]
    fn a_contact_shared_by_records_crosses_once() {
        let mut records = Batch::new(9);
        records.push_row(2, ["individual", "Ann", "Lee"]);
        records.push_row(3, ["individual", "Bo", "Lee"]);
        let mut candidates = Candidates::new();
        let lee = candidates.add_contact(4, ["individual", "Ann", "Lee"]);
        let bo = candidates.add_contact(6, ["individual", "Bo"]);
        candidates.push(lee);
        candidates.end_record();
        candidates.push(bo);
        candidates.push(lee);
        candidates.end_record();
        assert_eq!(candidates.contacts.len(), 2);
        assert_eq!(candidates.ids_of(1).collect::<Vec<_>>(), vec![6, 4]);
        let scores = matcher_scores(&mut Same, &records, &candidates).unwrap();
        let got: Vec<(u32, i64, f64)> = scores
            .into_iter()
            .map(|s| (s.index, s.contact, s.score.score))
            .collect();
        assert_eq!(got, vec![(0, 4, 1.0), (1, 6, 8.0 / 9.0), (1, 4, 8.0 / 9.0)]);
        // Rows outside `contacts`, ends out of order or too few: refused, nothing weighed.
        let mut bad = candidates.clone();
        bad.of.push(2);
        bad.ends[1] = 4;
        assert!(matcher_scores(&mut Same, &records, &bad).is_err());
        let mut bad = candidates.clone();
        bad.ends = vec![3, 1];
        assert!(matcher_scores(&mut Same, &records, &bad).is_err());
        assert!(matcher_scores(&mut Same, &records, &Candidates::new()).is_err());
    }
}
