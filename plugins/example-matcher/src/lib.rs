//! An example custom matcher: a row belongs to a stored contact only when an identifier
//! agrees exactly (the email, or the phone's digits) and the names do not contradict it.
//!
//! It is the smallest useful matcher and the template `sluice plugin new NAME --kind matcher`
//! copies: keys in `keys`, evidence and a score in `score`, parameters in `describe`. It must
//! stay a pure function of its input: no store, no IO.

use sluice_sdk::{
    Contact, ContactField, Context, Error, Kind, Matcher, ParamSpec, ParamType, Params, PluginInfo,
    Score,
};

/// The matcher and its settings.
pub struct ExampleMatcher {
    /// Whether the last names must be equal when both are known.
    require_last_name: bool,
}

/// An email address trimmed and lower-cased, or `None` when it is not one.
fn email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    (e.contains('@') && !e.contains(char::is_whitespace)).then_some(e)
}

/// A phone number's last 10 digits, or `None` with fewer than 7 digits.
fn phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let start = digits.len().saturating_sub(10);
    (digits.len() >= 7).then(|| digits.get(start..).unwrap_or_default().to_string())
}

/// A name trimmed and lower-cased.
fn name(raw: &str) -> String {
    raw.trim().to_lowercase()
}

impl Matcher for ExampleMatcher {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "example-matcher",
            env!("CARGO_PKG_VERSION"),
            Kind::Matcher,
            "Matches on an exact email or phone when the names agree",
            vec![ParamSpec::optional(
                "require_last_name",
                ParamType::Boolean,
                "true",
                "whether the last names must be equal when both rows have one",
            )],
        )
    }

    fn prepare(
        columns: &[String],
        params: &Params,
        _ctx: &Context,
    ) -> Result<(Self, Vec<String>), Error> {
        let require_last_name = params.boolean("require_last_name", true)?;
        let mut warnings = Vec::new();
        let has = |f| sluice_sdk::column_index(columns, f).is_some();
        if !has("Primary Email") && !has("Primary Phone") {
            warnings.push(
                "no Primary Email or Primary Phone column: every row will create a new contact"
                    .into(),
            );
        }
        Ok((Self { require_last_name }, warnings))
    }

    fn keys(&mut self, record: Contact<'_>, out: &mut Vec<String>) {
        if let Some(e) = email(record.get(ContactField::Email)) {
            out.push(format!("email:{e}"));
        }
        if let Some(p) = phone(record.get(ContactField::Phone)) {
            out.push(format!("phone:{p}"));
        }
    }

    fn score(&mut self, record: Contact<'_>, candidate: Contact<'_>) -> Option<Score> {
        let mut reasons = Vec::new();
        let same = |f: fn(&str) -> Option<String>, field| {
            f(record.get(field)).is_some_and(|a| Some(a) == f(candidate.get(field)))
        };
        if same(email, ContactField::Email) {
            reasons.push("email exact".to_string());
        }
        if same(phone, ContactField::Phone) {
            reasons.push("phone exact".to_string());
        }
        if reasons.is_empty() {
            return None;
        }
        let (a, b) = (
            name(record.get(ContactField::LastName)),
            name(candidate.get(ContactField::LastName)),
        );
        if self.require_last_name && !a.is_empty() && !b.is_empty() && a != b {
            return None;
        }
        let (a, b) = (
            name(record.get(ContactField::FirstName)),
            name(candidate.get(ContactField::FirstName)),
        );
        // A first name may be shortened ("Jo" for "Joanna") but not different.
        if !a.is_empty() && !b.is_empty() && !a.starts_with(&b) && !b.starts_with(&a) {
            return None;
        }
        reasons.push("names agree".into());
        Some(Score {
            score: 1.0,
            reasons,
            household: false,
        })
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_matcher!(ExampleMatcher);
