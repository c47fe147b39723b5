//! A hostile matcher for the host's sandbox tests: it gives every record the same blocking
//! key, so every stored contact is a candidate, and then corrupts its scores as `behaviour`
//! says: `unknown-id` scores a contact the host never offered, `nan` scores NaN, `range`
//! scores 1.5. With `behaviour = "none"` it is an honest (if crude) matcher.
//!
//! The scores are corrupted after the SDK's adapter built them, through the raw `matcher`
//! world exports, because the SDK itself never lets a matcher name a contact it was not given.
//! It exists only to prove the host checks every score. Never use it in a real pipeline.

use std::cell::RefCell;

use sluice_sdk::{
    Contact, ContactField, Context, Error, Kind, Matcher, ParamSpec, ParamType, Params, PluginInfo,
    Score,
};

thread_local! {
    /// The behaviour of the prepared instance, read by the raw `score` wrapper.
    static BEHAVIOUR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The honest part: one key for all, a score of 1 when the emails agree.
pub struct HostileMatcher;

impl Matcher for HostileMatcher {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "hostile-matcher",
            env!("CARGO_PKG_VERSION"),
            Kind::Matcher,
            "Returns malformed scores, for sandbox tests",
            vec![ParamSpec::required(
                "behaviour",
                ParamType::Text,
                "unknown-id, nan, range or none",
            )],
        )
    }

    fn prepare(_: &[String], params: &Params, _: &Context) -> Result<(Self, Vec<String>), Error> {
        let behaviour = params.text("behaviour", "")?.to_string();
        BEHAVIOUR.with(|b| *b.borrow_mut() = behaviour);
        Ok((Self, Vec::new()))
    }

    fn keys(&mut self, _: Contact<'_>, out: &mut Vec<String>) {
        out.push("all".into());
    }

    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
        let a = record.get(ContactField::Email).trim().to_lowercase();
        (!a.is_empty() && a == candidate.get(ContactField::Email).trim().to_lowercase()).then(
            || Score {
                score: 1.0,
                reasons: vec!["email exact".into()],
                household: false,
            },
        )
    }
}

#[cfg(target_family = "wasm")]
mod raw {
    //! The raw `matcher` world exports: the SDK adapter, with `score` corrupted afterwards.

    use sluice_sdk::guest::MatcherAdapter;
    use sluice_sdk::guest::bindings::matcher::{Candidates, Guest, KeySets, MatchScore};
    use sluice_sdk::guest::bindings::source::sluice::plugin::types as wit;

    use super::{BEHAVIOUR, HostileMatcher};

    type Honest = MatcherAdapter<HostileMatcher>;

    pub(crate) struct Raw;

    impl Guest for Raw {
        fn describe() -> wit::PluginInfo {
            Honest::describe()
        }

        fn prepare(
            columns: Vec<String>,
            params: Vec<wit::Param>,
            ctx: wit::Context,
        ) -> Result<Vec<String>, wit::Error> {
            Honest::prepare(columns, params, ctx)
        }

        fn keys(records: wit::Batch) -> Result<KeySets, wit::Error> {
            Honest::keys(records)
        }

        fn load_model(model: Option<String>) -> Result<(), wit::Error> {
            Honest::load_model(model)
        }

        fn estimate(
            records: wit::Batch,
            candidates: Candidates,
        ) -> Result<Option<String>, wit::Error> {
            Honest::estimate(records, candidates)
        }

        fn score(
            records: wit::Batch,
            candidates: Candidates,
        ) -> Result<Vec<MatchScore>, wit::Error> {
            let mut scores = Honest::score(records, candidates)?;
            BEHAVIOUR.with(|b| {
                for s in &mut scores {
                    match b.borrow().as_str() {
                        "unknown-id" => s.contact += 1_000_000,
                        "nan" => s.score = f64::NAN,
                        "range" => s.score = 1.5,
                        _ => {}
                    }
                }
            });
            Ok(scores)
        }
    }

    sluice_sdk::guest::bindings::matcher::export_raw!(Raw with_types_in sluice_sdk::guest::bindings::matcher);
}
