//! `[pipeline] on_plugin_error`: what a batch does when a transform, validator or matcher
//! fails on it (a trap, its deadline, its memory limit, an invalid result, an error it
//! returns) — fail the import, reject the whole batch, or bisect the batch down to the rows
//! that fail alone. Every retry runs on a fresh instance of the plugin that failed, because
//! a wasmtime instance that trapped must not be called again.
//!
//! **Invariant:** a failed attempt leaves no trace. `Chain::process` makes every plugin call
//! of a batch before it writes anything, so when a plugin fails nothing of the batch is in
//! the transaction yet; the attempt checks that the report's counters did not move (and
//! otherwise fails the import) and puts back what the attempt consumed (its rows' count, the
//! source's verdicts on them). Each row is then counted once: imported by a later attempt or
//! rejected here.

use sluice_sdk::{Batch, Context, Verdict};

use super::{Chain, Error, ImportReport, Pipeline, Stage, add_exception};
use crate::config::OnPluginError;
use crate::plugin::{self, Host};
use crate::store::{Counts, ExceptionStatus, ImportTx};

/// Failed calls bisecting may spend on one batch; after that the rows not yet narrowed down
/// are rejected untried. Isolating one bad row of the largest batch (65 536 rows) takes 17
/// failed calls, so a few bad rows of an ordinary batch are found, while a plugin that fails
/// on every row (or loops until its deadline) costs at most this many calls per batch.
pub const BISECT_MAX_FAILURES: u32 = 24;

/// What re-creating a plugin instance needs.
pub(super) struct Fresh<'a> {
    pub(super) host: &'a Host,
    pub(super) pipeline: &'a Pipeline,
    pub(super) ctx: &'a Context,
}

/// What an attempt may change and must give back when a plugin fails.
struct Before {
    counts: Counts,
    contacts_created: u64,
    contacts_matched: u64,
    pledges: u64,
    capped_lookups: u64,
    source_verdicts: Vec<(u32, Verdict)>,
}

impl Before {
    fn of(chain: &Chain, report: &ImportReport) -> Self {
        Self {
            counts: report.counts,
            contacts_created: report.contacts_created,
            contacts_matched: report.contacts_matched,
            pledges: report.pledges,
            capped_lookups: chain.index.capped_lookups,
            source_verdicts: chain.source_verdicts.clone(),
        }
    }

    /// Whether the attempt wrote nothing: only the rows it read were counted.
    fn nothing_written(&self, report: &ImportReport) -> bool {
        let (a, b) = (&self.counts, &report.counts);
        a.results == b.results
            && a.rejected == b.rejected
            && a.flagged == b.flagged
            && a.skipped == b.skipped
            && self.contacts_created == report.contacts_created
            && self.contacts_matched == report.contacts_matched
            && self.pledges == report.pledges
    }

    fn restore(self, chain: &mut Chain, report: &mut ImportReport) {
        report.counts = self.counts;
        chain.index.capped_lookups = self.capped_lookups;
        chain.source_verdicts = self.source_verdicts;
    }
}

/// The pipeline section a plugin failure happened in.
fn failed_stage(e: &plugin::Error) -> Option<&str> {
    match e {
        plugin::Error::Fault { stage, .. }
        | plugin::Error::Refused { stage, .. }
        | plugin::Error::Protocol { stage, .. } => Some(stage),
        _ => None,
    }
}

/// Rows `start..end` of `batch`.
fn slice(batch: &Batch, start: usize, end: usize) -> Batch {
    let mut out = Batch::with_capacity(batch.width(), end.saturating_sub(start), 0);
    for row in batch.iter().skip(start).take(end.saturating_sub(start)) {
        out.push_row(row.number(), row.cells());
    }
    out
}

/// Where a bisection stands: failed calls so far and the last failure's message.
struct Bisection {
    failures: u32,
    last: String,
}

impl Chain {
    /// Runs one batch as [`Chain::process`] does; when a plugin after the source fails on
    /// it, does what `on_plugin_error` says.
    pub(super) fn process_batch(
        &mut self,
        batch: &Batch,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
        fresh: &Fresh<'_>,
    ) -> Result<(), Error> {
        let mode = fresh.pipeline.spec.on_plugin_error;
        if mode == OnPluginError::Abort {
            return self.process(batch, tx, report);
        }
        let Some(failure) = self.attempt(batch, tx, report)? else {
            return Ok(());
        };
        let failure = self.renew(fresh, failure)?;
        match mode {
            OnPluginError::Abort | OnPluginError::SkipBatch => self.reject_all(
                batch,
                &format!("{failure} (on_plugin_error = \"skip-batch\": the batch was skipped)"),
                tx,
                report,
            ),
            OnPluginError::Bisect => {
                let mut state = Bisection {
                    failures: 1,
                    last: failure.clone(),
                };
                self.bisect(batch, &failure, &mut state, tx, report, fresh)
            }
        }
    }

    /// Processes `batch`; a plugin failure that wrote nothing is handed back (with the
    /// chain and report as they were), any other error ends the import.
    fn attempt(
        &mut self,
        batch: &Batch,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
    ) -> Result<Option<plugin::Error>, Error> {
        let before = Before::of(self, report);
        match self.process(batch, tx, report) {
            Ok(()) => Ok(None),
            Err(Error::Plugin(e))
                if failed_stage(&e).is_some() && before.nothing_written(report) =>
            {
                before.restore(self, report);
                Ok(Some(e))
            }
            Err(e) => Err(e),
        }
    }

    /// `batch` failed with `failure`: runs each half again on fresh instances until the rows
    /// that fail alone are found, and rejects them.
    fn bisect(
        &mut self,
        batch: &Batch,
        failure: &str,
        state: &mut Bisection,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
        fresh: &Fresh<'_>,
    ) -> Result<(), Error> {
        if batch.len() <= 1 {
            let reason = format!("{failure} (on_plugin_error = \"bisect\": the row fails alone)");
            return self.reject_all(batch, &reason, tx, report);
        }
        if state.failures >= BISECT_MAX_FAILURES {
            let reason = format!(
                "{failure} (on_plugin_error = \"bisect\": not narrowed down further, it stops \
                 after {BISECT_MAX_FAILURES} failed calls in a batch)"
            );
            return self.reject_all(batch, &reason, tx, report);
        }
        let mid = batch.len() / 2;
        for half in [slice(batch, 0, mid), slice(batch, mid, batch.len())] {
            if state.failures >= BISECT_MAX_FAILURES {
                let reason = format!(
                    "not tried (on_plugin_error = \"bisect\" stopped after {BISECT_MAX_FAILURES} \
                     failed calls in this batch, the last: {})",
                    state.last
                );
                self.reject_all(&half, &reason, tx, report)?;
                continue;
            }
            if let Some(e) = self.attempt(&half, tx, report)? {
                state.failures += 1;
                let message = self.renew(fresh, e)?;
                state.last.clone_from(&message);
                self.bisect(&half, &message, state, tx, report, fresh)?;
            }
        }
        Ok(())
    }

    /// Rejects every row of `batch` with `reason`, counting each.
    fn reject_all(
        &mut self,
        batch: &Batch,
        reason: &str,
        tx: &mut ImportTx<'_>,
        report: &mut ImportReport,
    ) -> Result<(), Error> {
        let numbers = batch.row_numbers();
        // The source's verdicts on these rows have nothing left to apply to.
        self.source_verdicts
            .retain(|(number, _)| !numbers.contains(number));
        let reasons = [reason.to_string()];
        for row in batch.iter() {
            report.counts.rows += 1;
            report.counts.rejected += 1;
            let values: Vec<&str> = row.cells().collect();
            add_exception(
                tx,
                report,
                row.number(),
                ExceptionStatus::Rejected,
                &reasons,
                &values,
            )?;
        }
        Ok(())
    }

    /// Replaces the instance of the stage that failed with a fresh, prepared one; returns
    /// the failure's message. A failure no stage owns ends the import.
    fn renew(&mut self, fresh: &Fresh<'_>, failure: plugin::Error) -> Result<String, Error> {
        let message = failure.to_string();
        let stage = failed_stage(&failure).unwrap_or_default();
        let pipeline = fresh.pipeline;
        let limits = pipeline.spec.limits;
        let section = |s: &Stage| s.section == stage;
        if let Some(i) = pipeline.transforms.iter().position(section)
            && let (Some(spec), Some(old)) = (pipeline.transforms.get(i), self.transforms.get(i))
        {
            let columns = self.columns_before(i);
            let mut t = fresh.host.transform(&spec.plugin, &spec.section, limits)?;
            let samples = self
                .transform_samples
                .get(i)
                .cloned()
                .unwrap_or_else(|| Batch::new(columns.len()));
            let plan = t.prepare(&columns, &samples, &spec.params, fresh.ctx)?;
            let names = |p: &sluice_sdk::TransformPlan| -> Vec<String> {
                p.columns.iter().map(|c| c.name.clone()).collect()
            };
            if names(&plan) != names(&old.1) {
                // Later stages were prepared for the first plan's columns.
                return Err(Error::Plugin(plugin::Error::Protocol {
                    plugin: spec.plugin.label(),
                    stage: spec.section.clone(),
                    rows: None,
                    message: format!(
                        "a fresh instance planned other columns than the first after: {message}"
                    ),
                }));
            }
            if let Some(slot) = self.transforms.get_mut(i) {
                *slot = (t, plan);
            }
            return Ok(message);
        }
        let columns = self.columns_before(self.transforms.len());
        if let Some(i) = pipeline.validators.iter().position(section)
            && let Some(spec) = pipeline.validators.get(i)
        {
            let mut v = fresh.host.validator(&spec.plugin, &spec.section, limits)?;
            let plan = v.prepare(&columns, &spec.params, fresh.ctx)?;
            if let Some(slot) = self.validators.get_mut(i) {
                *slot = (v, plan);
            }
            return Ok(message);
        }
        if section(&pipeline.matcher) {
            let m = &pipeline.matcher;
            let mut matcher = fresh.host.matcher(&m.plugin, &m.section, limits)?;
            matcher.prepare(&columns, &m.params, fresh.ctx)?;
            // The fresh instance has not keyed the stored contacts: it decides with the
            // model, without the term frequencies.
            matcher.load_model(self.model.as_deref())?;
            self.matcher = matcher;
            return Ok(message);
        }
        Err(Error::Plugin(failure))
    }

    /// The columns transform `i` reads: the header, or what the transform before it made.
    fn columns_before(&self, i: usize) -> Vec<String> {
        match i.checked_sub(1).and_then(|p| self.transforms.get(p)) {
            Some((_, plan)) => plan.columns.iter().map(|c| c.name.clone()).collect(),
            None => self.header.clone(),
        }
    }
}
