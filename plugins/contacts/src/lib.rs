//! The `contacts` matcher: finds the stored contact a record belongs to.
//!
//! This first version matches on the normalised email address only (trimmed, lower-cased):
//! the same email is the same contact; anything else is a new contact. It never matches on
//! a name alone. It must stay a pure function of its records: no store, no IO.

use sluice_sdk::{Contact, ContactField, Context, Error, Kind, Matcher, Params, PluginInfo, Score};

/// The matcher; holds no state between records.
pub struct Contacts;

/// The normalised form of an email address, or `None` when it is not one.
#[must_use]
pub fn normalise_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace))
        .then_some(email)
}

impl Matcher for Contacts {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "contacts",
            env!("CARGO_PKG_VERSION"),
            Kind::Matcher,
            "Matches rows to stored contacts by normalised email address",
            vec![],
        )
    }

    fn prepare(
        columns: &[String],
        _params: &Params,
        _ctx: &Context,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut warnings = Vec::new();
        if sluice_sdk::column_index(columns, "Primary Email").is_none() {
            warnings
                .push("no Primary Email column: every row will create a new contact".to_string());
        }
        Ok((Self, warnings))
    }

    fn keys(&mut self, record: Contact<'_>, out: &mut Vec<String>) {
        if let Some(email) = normalise_email(record.get(ContactField::Email)) {
            out.push(format!("email:{email}"));
        }
    }

    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
        let a = normalise_email(record.get(ContactField::Email))?;
        let b = normalise_email(candidate.get(ContactField::Email))?;
        (a == b).then(|| Score {
            score: 1.0,
            reasons: vec![format!("email exact {a}")],
        })
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_matcher!(Contacts);
