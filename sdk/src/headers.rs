//! Header matching: which template field a source column's name means, how sure that is,
//! and why. Pure functions of the header text; `prepare` turns the answers into a plan.
//!
//! Names are compared in a folded form (lower case, letters and digits only), against the
//! template fields, the parts of composite fields (a full name, address lines, city, state,
//! zip) and a table of synonyms seen in CRM and spreadsheet exports. A name that is none of
//! those but close to one in spelling is a guess whose confidence stays below the default
//! threshold, so it is shown with a warning and not applied until the pipeline confirms it.
//!
//! The `mapping` transform plans from it, and the `excel` source ranks a workbook's sheets
//! and header rows by it, so both agree on what a header of the template looks like.

/// Where a source column can go: a template field, or a part of a composite field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// One of [`crate::TEMPLATE_FIELDS`], by index.
    Field(usize),
    /// A whole name, split into First Name, Last Name and Suffix.
    FullName,
    /// A part of Primary Address (street, second line, city, state, zip).
    Address(AddressPart),
}

/// The parts Primary Address is composed of, in the order they are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressPart {
    /// Street and number.
    Line1,
    /// Apartment, suite ...
    Line2,
    /// City or town.
    City,
    /// State or province.
    State,
    /// Zip or postal code.
    Zip,
}

impl AddressPart {
    /// Every part, in join order.
    pub const ALL: [AddressPart; 5] = [
        AddressPart::Line1,
        AddressPart::Line2,
        AddressPart::City,
        AddressPart::State,
        AddressPart::Zip,
    ];

    /// The name of the part as an output column (and in `columns`): one of
    /// [`crate::ADDRESS_PART_FIELDS`], the names the host stores parts under.
    #[must_use]
    pub fn name(self) -> &'static str {
        let [line1, line2, city, state, zip] = crate::ADDRESS_PART_FIELDS;
        match self {
            AddressPart::Line1 => line1,
            AddressPart::Line2 => line2,
            AddressPart::City => city,
            AddressPart::State => state,
            AddressPart::Zip => zip,
        }
    }
}

impl Target {
    /// How the target is named to users and in `columns`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Target::Field(f) => crate::TEMPLATE_FIELDS.get(f).copied().unwrap_or_default(),
            Target::FullName => "Full Name",
            Target::Address(p) => p.name(),
        }
    }

    /// Every target, fields first.
    pub fn all() -> impl Iterator<Item = Target> {
        (0..crate::TEMPLATE_FIELDS.len())
            .map(Target::Field)
            .chain(std::iter::once(Target::FullName))
            .chain(AddressPart::ALL.into_iter().map(Target::Address))
    }

    /// The target named `name` (folded comparison), as `columns` keys name them.
    #[must_use]
    pub fn named(name: &str) -> Option<Target> {
        let key = fold(name);
        Target::all().find(|t| fold(t.name()) == key)
    }
}

/// How a header was matched.
#[derive(Clone, Debug, PartialEq)]
pub struct HeaderMatch {
    /// Where it goes.
    pub target: Target,
    /// 0 to 1.
    pub confidence: f64,
    /// Why, in words.
    pub reason: String,
}

/// The confidence from which a match is certain (the `mapping` plugin's default
/// `min_confidence`): synonyms (0.95) pass, guesses by spelling (at most 0.85) do not.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.9;

/// Confidence of a header equal to a target's name.
pub const EXACT: f64 = 1.0;
/// Confidence of a header equal to a target's name but for case, spaces or punctuation.
pub const SPELLING: f64 = 0.98;
/// Confidence of a well-known synonym.
pub const SYNONYM: f64 = 0.95;
/// The highest confidence a guess by spelling similarity can reach: below the default
/// threshold, so a guess is never applied unconfirmed.
pub const FUZZY_MAX: f64 = 0.85;
/// Similarity below which a header is not a guess at all.
const FUZZY_FLOOR: f64 = 0.75;

/// The folded form names are compared in: lower-case letters and digits only.
#[must_use]
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

use AddressPart as A;
use Target::{Address, Field, FullName};

// Indexes into TEMPLATE_FIELDS, named for the table below.
const ITYPE: Target = Field(0);
const DATE: Target = Field(1);
const CTYPE: Target = Field(2);
const FIRST: Target = Field(3);
const LAST: Target = Field(4);
const SUFFIX: Target = Field(5);
const ADDRESS: Target = Field(6);
const EMAIL: Target = Field(7);
const PHONE: Target = Field(8);
const EMPLOYER: Target = Field(9);
const OCCUPATION: Target = Field(10);
const MEMBER: Target = Field(11);
const RESULT: Target = Field(12);
const AMOUNT: Target = Field(13);
const COMMITMENT: Target = Field(14);
const EXPECTED: Target = Field(15);
const SOURCE_CODE: Target = Field(16);
const NOTES: Target = Field(17);

/// Synonyms (folded) with their target and confidence. Those below [`SYNONYM`] are common
/// but not safe enough to apply unconfirmed ("Title" is a job title in one CRM and "Mr." in
/// another).
const SYNONYMS: &[(&str, Target, f64)] = &[
    // Interaction Type
    ("type", ITYPE, SYNONYM),
    ("activitytype", ITYPE, SYNONYM),
    ("interaction", ITYPE, SYNONYM),
    ("activity", ITYPE, SYNONYM),
    ("contactmethod", ITYPE, SYNONYM),
    ("channel", ITYPE, SYNONYM),
    ("method", ITYPE, 0.8),
    ("tasktype", ITYPE, SYNONYM),
    ("touchtype", ITYPE, SYNONYM),
    ("actiontype", ITYPE, SYNONYM),
    ("kind", ITYPE, 0.8),
    // Date
    ("activitydate", DATE, SYNONYM),
    ("interactiondate", DATE, SYNONYM),
    ("contactdate", DATE, SYNONYM),
    ("datetime", DATE, SYNONYM),
    ("dateofcontact", DATE, SYNONYM),
    ("dateofinteraction", DATE, SYNONYM),
    ("calldate", DATE, SYNONYM),
    ("meetingdate", DATE, SYNONYM),
    ("activitydatetime", DATE, SYNONYM),
    ("occurredat", DATE, SYNONYM),
    ("when", DATE, SYNONYM),
    ("timestamp", DATE, 0.8),
    ("datecanvassed", DATE, 0.8),
    ("datecontacted", DATE, SYNONYM),
    ("createddate", DATE, 0.7),
    // Contact Type
    ("recordtype", CTYPE, SYNONYM),
    ("entitytype", CTYPE, SYNONYM),
    ("donortype", CTYPE, SYNONYM),
    ("constituenttype", CTYPE, SYNONYM),
    ("typeofcontact", CTYPE, SYNONYM),
    // Names
    ("first", FIRST, SYNONYM),
    ("fname", FIRST, SYNONYM),
    ("givenname", FIRST, SYNONYM),
    ("forename", FIRST, SYNONYM),
    ("firstgivenname", FIRST, SYNONYM),
    ("last", LAST, SYNONYM),
    ("lname", LAST, SYNONYM),
    ("surname", LAST, SYNONYM),
    ("familyname", LAST, SYNONYM),
    ("namesuffix", SUFFIX, SYNONYM),
    ("sfx", SUFFIX, SYNONYM),
    ("name", FullName, SYNONYM),
    ("contactname", FullName, SYNONYM),
    ("donorname", FullName, SYNONYM),
    ("constituentname", FullName, SYNONYM),
    ("displayname", FullName, SYNONYM),
    ("contact", FullName, 0.8),
    ("donor", FullName, 0.8),
    // Email
    ("email", EMAIL, SYNONYM),
    ("emailaddress", EMAIL, SYNONYM),
    ("emailaddr", EMAIL, SYNONYM),
    ("email1", EMAIL, SYNONYM),
    ("personalemail", EMAIL, SYNONYM),
    ("homeemail", EMAIL, SYNONYM),
    ("workemail", EMAIL, SYNONYM),
    ("contactemail", EMAIL, SYNONYM),
    ("preferredemail", EMAIL, SYNONYM),
    ("emailaddress1", EMAIL, SYNONYM),
    // Phone
    ("phone", PHONE, SYNONYM),
    ("phonenumber", PHONE, SYNONYM),
    ("phoneno", PHONE, SYNONYM),
    ("mobile", PHONE, SYNONYM),
    ("mobilephone", PHONE, SYNONYM),
    ("mobilenumber", PHONE, SYNONYM),
    ("mobilephonenumber", PHONE, SYNONYM),
    ("cell", PHONE, SYNONYM),
    ("cellphone", PHONE, SYNONYM),
    ("cellnumber", PHONE, SYNONYM),
    ("homephone", PHONE, SYNONYM),
    ("workphone", PHONE, SYNONYM),
    ("telephone", PHONE, SYNONYM),
    ("tel", PHONE, SYNONYM),
    ("phone1", PHONE, SYNONYM),
    ("preferredphone", PHONE, SYNONYM),
    ("contactnumber", PHONE, SYNONYM),
    // Address
    ("fulladdress", ADDRESS, SYNONYM),
    ("address", Address(A::Line1), SYNONYM),
    ("street", Address(A::Line1), SYNONYM),
    ("streetaddress", Address(A::Line1), SYNONYM),
    ("address1", Address(A::Line1), SYNONYM),
    ("addr1", Address(A::Line1), SYNONYM),
    ("street1", Address(A::Line1), SYNONYM),
    ("mailingaddress", Address(A::Line1), SYNONYM),
    ("mailingstreet", Address(A::Line1), SYNONYM),
    ("homeaddress", Address(A::Line1), SYNONYM),
    ("billingstreet", Address(A::Line1), SYNONYM),
    ("address2", Address(A::Line2), SYNONYM),
    ("addr2", Address(A::Line2), SYNONYM),
    ("street2", Address(A::Line2), SYNONYM),
    ("apt", Address(A::Line2), SYNONYM),
    ("suite", Address(A::Line2), SYNONYM),
    ("aptsuite", Address(A::Line2), SYNONYM),
    ("town", Address(A::City), SYNONYM),
    ("mailingcity", Address(A::City), SYNONYM),
    ("billingcity", Address(A::City), SYNONYM),
    ("province", Address(A::State), SYNONYM),
    ("st", Address(A::State), SYNONYM),
    ("stateprovince", Address(A::State), SYNONYM),
    ("stateorprovince", Address(A::State), SYNONYM),
    ("stateregion", Address(A::State), SYNONYM),
    ("mailingstateprovince", Address(A::State), SYNONYM),
    ("billingstateprovince", Address(A::State), SYNONYM),
    ("mailingstate", Address(A::State), SYNONYM),
    ("billingstate", Address(A::State), SYNONYM),
    ("zipcode", Address(A::Zip), SYNONYM),
    ("zip5", Address(A::Zip), SYNONYM),
    ("postalcode", Address(A::Zip), SYNONYM),
    ("postcode", Address(A::Zip), SYNONYM),
    ("mailingzip", Address(A::Zip), SYNONYM),
    ("mailingpostalcode", Address(A::Zip), SYNONYM),
    ("billingpostalcode", Address(A::Zip), SYNONYM),
    ("zippostalcode", Address(A::Zip), SYNONYM),
    ("mailingzippostalcode", Address(A::Zip), SYNONYM),
    ("billingzippostalcode", Address(A::Zip), SYNONYM),
    // Employer, occupation
    ("employername", EMPLOYER, SYNONYM),
    ("company", EMPLOYER, SYNONYM),
    ("companyname", EMPLOYER, SYNONYM),
    ("business", EMPLOYER, 0.8),
    ("accountname", EMPLOYER, 0.8),
    ("jobtitle", OCCUPATION, SYNONYM),
    ("job", OCCUPATION, SYNONYM),
    ("profession", OCCUPATION, SYNONYM),
    ("position", OCCUPATION, 0.8),
    ("title", OCCUPATION, 0.7),
    // Member code
    ("code", MEMBER, 0.7),
    ("cycle", MEMBER, 0.8),
    ("campaign", MEMBER, 0.8),
    // Call result
    ("result", RESULT, SYNONYM),
    ("outcome", RESULT, SYNONYM),
    ("calloutcome", RESULT, SYNONYM),
    ("disposition", RESULT, SYNONYM),
    ("calldisposition", RESULT, SYNONYM),
    ("response", RESULT, 0.8),
    ("status", RESULT, 0.7),
    // Pledge
    ("amount", AMOUNT, SYNONYM),
    ("pledge", AMOUNT, SYNONYM),
    ("pledged", AMOUNT, SYNONYM),
    ("amountpledged", AMOUNT, SYNONYM),
    ("pledgeamt", AMOUNT, SYNONYM),
    ("amt", AMOUNT, SYNONYM),
    ("giftamount", AMOUNT, 0.8),
    ("donationamount", AMOUNT, 0.8),
    ("commitment", COMMITMENT, SYNONYM),
    ("pledgetype", COMMITMENT, 0.8),
    ("expecteddate", EXPECTED, SYNONYM),
    ("pledgeduedate", EXPECTED, SYNONYM),
    ("pledgedue", EXPECTED, SYNONYM),
    ("duedate", EXPECTED, 0.8),
    ("sourcecode", SOURCE_CODE, SYNONYM),
    ("pledgesource", SOURCE_CODE, SYNONYM),
    ("appealcode", SOURCE_CODE, SYNONYM),
    ("solicitationcode", SOURCE_CODE, SYNONYM),
    ("source", SOURCE_CODE, 0.7),
    // Notes
    ("note", NOTES, SYNONYM),
    ("comments", NOTES, SYNONYM),
    ("comment", NOTES, SYNONYM),
    ("memo", NOTES, SYNONYM),
    ("remarks", NOTES, SYNONYM),
    ("details", NOTES, 0.8),
    ("description", NOTES, 0.8),
    ("subject", NOTES, 0.7),
];

/// Where the header `name` most likely goes, or `None` when it resembles nothing known.
#[must_use]
pub fn match_header(name: &str) -> Option<HeaderMatch> {
    let trimmed = name.trim();
    let key = fold(trimmed);
    if key.is_empty() {
        return None;
    }
    for target in Target::all() {
        if target.name() == trimmed {
            return Some(HeaderMatch {
                target,
                confidence: EXACT,
                reason: "same name".into(),
            });
        }
    }
    for target in Target::all() {
        if fold(target.name()) == key {
            return Some(HeaderMatch {
                target,
                confidence: SPELLING,
                reason: format!("same name as {} but for case or punctuation", target.name()),
            });
        }
    }
    if let Some((_, target, confidence)) = SYNONYMS.iter().find(|(s, _, _)| *s == key) {
        return Some(HeaderMatch {
            target: *target,
            confidence: *confidence,
            reason: format!("known synonym of {}", target.name()),
        });
    }
    // `Donor Email`, `Primary Phone Number`, `Contact First Name`: exports prefix the
    // field with whose it is.
    for prefix in PREFIXES {
        if let Some(rest) = key.strip_prefix(prefix).filter(|r| r.len() >= 2)
            && let Some(m) = exact_or_synonym(rest)
        {
            return Some(HeaderMatch {
                target: m.target,
                confidence: (m.confidence * 0.97 * 100.0).round() / 100.0,
                reason: format!("{} after the prefix `{prefix}`", m.reason),
            });
        }
    }
    fuzzy(&key)
}

/// Words exports put before a field's name.
const PREFIXES: [&str; 11] = [
    "donor",
    "contact",
    "constituent",
    "primary",
    "preferred",
    "home",
    "personal",
    "mailing",
    "billing",
    "main",
    "supporter",
];

/// A folded key equal to a target's name or a synonym.
fn exact_or_synonym(key: &str) -> Option<HeaderMatch> {
    if let Some(target) = Target::all().find(|t| fold(t.name()) == key) {
        return Some(HeaderMatch {
            target,
            confidence: SPELLING,
            reason: format!("the name of {}", target.name()),
        });
    }
    SYNONYMS
        .iter()
        .find(|(s, _, _)| *s == key)
        .map(|(_, target, confidence)| HeaderMatch {
            target: *target,
            confidence: *confidence,
            reason: format!("known synonym of {}", target.name()),
        })
}

/// The closest known name by spelling, as a guess below [`FUZZY_MAX`].
fn fuzzy(key: &str) -> Option<HeaderMatch> {
    let known = Target::all()
        .map(|t| (fold(t.name()), t))
        .chain(SYNONYMS.iter().map(|(s, t, _)| ((*s).to_string(), *t)));
    let mut best: Option<(f64, String, Target)> = None;
    for (name, target) in known {
        // Short names are too easily "similar" to anything.
        if name.len() < 4 {
            continue;
        }
        let similarity = strsim::normalized_damerau_levenshtein(key, &name);
        if similarity >= FUZZY_FLOOR && best.as_ref().is_none_or(|(b, _, _)| similarity > *b) {
            best = Some((similarity, name, target));
        }
    }
    let (similarity, name, target) = best?;
    Some(HeaderMatch {
        target,
        confidence: (similarity * FUZZY_MAX * 100.0).round() / 100.0,
        reason: format!(
            "spelled like `{name}` ({:.0}% similar): check it",
            similarity * 100.0
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_synonym_is_folded_and_unique() {
        for (i, (s, _, _)) in SYNONYMS.iter().enumerate() {
            assert_eq!(fold(s), *s, "{s} is not folded");
            assert!(
                SYNONYMS.iter().skip(i + 1).all(|(o, _, _)| o != s),
                "{s} twice"
            );
            assert!(
                Target::all().all(|t| fold(t.name()) != *s),
                "{s} is a target's own name"
            );
        }
    }
}
