//! Field comparisons with graded levels and their log2 weights, and the sum of them as a
//! score with reasons.
//!
//! Weights are log2 likelihood ratios `log2(m / u)` set from sensible defaults (m: chance a
//! field agrees at that level for the same person, u: for two different people). Two are
//! deliberately stronger than the data alone would make them, because attaching a row to
//! the wrong donor is worse than creating a duplicate: a different first name (a spouse,
//! a child at the same address or sharing an email) and a different name suffix (Jr/Sr).

// A fast hash with no random state: the keys are the matcher's own normalised values.
use rustc_hash::FxHashMap as HashMap;

use sluice_sdk::{Contact, ContactField, Score};

use crate::model::{Field, Gamma};
use crate::normalise::{self, Address};
use crate::{Contacts, is_organisation};

/// How often each value of a field was seen among the stored contacts, for a
/// term-frequency adjusted agreement weight: agreeing on "Smith" counts less than on
/// "Neumann", and an employer every row of a file shares (a union's member list, a school
/// district's staff) says nothing about who a row is.
///
/// Values are counted under a 64-bit hash, not as strings: a store of a million contacts
/// has about a million distinct streets, and two values sharing a hash (about one chance in
/// 10^7 among them) would only blend two counts.
#[derive(Clone, Debug, Default)]
pub struct Frequencies {
    counts: HashMap<u64, u32>,
    seen: u32,
}

/// The hash a value is counted under: fixed, the same in every run.
fn value_hash(value: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(value)
}

impl Frequencies {
    /// Counts one (normalised) value; empty ones are not values.
    pub fn count(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        let n = self.counts.entry(value_hash(value)).or_insert(0);
        *n = n.saturating_add(1);
        self.seen = self.seen.saturating_add(1);
    }

    /// How many times `value` was counted.
    fn count_of(&self, value: &str) -> u32 {
        self.counts.get(&value_hash(value)).copied().unwrap_or(0)
    }

    /// The share of the values seen that are `value`, smoothed by one sighting.
    #[must_use]
    pub fn share(&self, value: &str) -> f64 {
        let count = f64::from(self.count_of(value));
        (count + 1.0) / (f64::from(self.seen) + 1.0)
    }

    /// The term-frequency adjustment of an exact agreement on `value`, in log2 units:
    /// `log2(u / p)`, with `u` the model's chance that two different people agree on the
    /// field at all and `p` the share of the *other* contacts that hold `value` (the one
    /// compared with is not evidence of how common it is): the agreement then weighs
    /// `log2(m / p)`, as in Splink. A store cannot tell shares below one in its size
    /// apart, so `p` is at least that; a value no other contact holds is never adjusted
    /// down (a small store has not seen enough to call it common), at most +4 up; and
    /// nothing is adjusted while fewer than 100 values were seen.
    #[must_use]
    pub fn adjustment(&self, value: &str, u: f64) -> f64 {
        if self.seen < 100 {
            return 0.0;
        }
        let count = self.count_of(value);
        let seen = f64::from(self.seen);
        let others = (f64::from(count.saturating_sub(1)) / (seen - 1.0)).max(1.0 / seen);
        let adjustment = (u / others).log2().clamp(-12.0, 4.0);
        if count <= 1 {
            adjustment.max(0.0)
        } else {
            adjustment
        }
    }

    /// Whether `value` is shared by less than `share` of the values seen (and is a value).
    #[must_use]
    pub fn is_rare(&self, value: &str, share: f64) -> bool {
        !value.is_empty() && (self.seen < 200 || self.share(value) < share)
    }
}

/// Jaro–Winkler similarity, exactly as `strsim::jaro_winkler` computes it, without its
/// allocation for the common case (ASCII, at most 64 bytes each): it runs for nearly every
/// candidate a record is compared with.
#[must_use]
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > 64 || y.len() > 64 {
        return strsim::jaro_winkler(a, b);
    }
    let sim = jaro_ascii(x, y);
    if sim > 0.7 {
        let prefix = x.iter().take(4).zip(y).take_while(|(p, q)| p == q).count();
        #[allow(clippy::cast_precision_loss)] // At most 4.
        let prefix = prefix as f64;
        sim + 0.1 * prefix * (1.0 - sim)
    } else {
        sim
    }
}

/// `strsim::generic_jaro` over bytes, with the matched flags as bit sets (`x`, `y` at
/// most 64 bytes long).
#[allow(clippy::cast_precision_loss)] // Lengths of at most 64.
fn jaro_ascii(x: &[u8], y: &[u8]) -> f64 {
    let (xl, yl) = (x.len(), y.len());
    if xl == 0 && yl == 0 {
        return 1.0;
    } else if xl == 0 || yl == 0 {
        return 0.0;
    }
    let range = (xl.max(yl) / 2).saturating_sub(1);
    let (mut xf, mut yf) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, c) in x.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = yl.min(i + range + 1);
        for (j, d) in y.iter().enumerate().take(hi).skip(lo) {
            if c == d && yf & (1 << j) == 0 {
                xf |= 1 << i;
                yf |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut ys = y.iter().enumerate().filter(|(j, _)| yf & (1 << j) != 0);
    for (_, c) in x.iter().enumerate().filter(|(i, _)| xf & (1 << i) != 0) {
        if let Some((_, d)) = ys.next()
            && c != d
        {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / xl as f64)
        + (matches as f64 / yl as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// How well one field of two records agrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Equal after normalisation.
    Exact,
    /// Different spellings of one first name (Bill ~ William).
    Nickname,
    /// Jaro–Winkler similarity of 0.94 or more: a typo.
    Close,
    /// Jaro–Winkler similarity of 0.88 or more.
    Similar,
    /// One side is the other's initial (`J` vs `John`).
    Initial,
    /// The same last 7 digits of a phone, or ZIP + house number of an address.
    Partial,
    /// At least one side is empty: no evidence either way.
    Missing,
    /// They differ.
    Differs,
}

/// Compares two normalised names: exact, nickname (first names only), JW bands, initial,
/// missing or differs. `first_names` is given for first names, whose nicknames and gendered
/// endings apply; last names are compared without either.
#[must_use]
pub fn name_level(a: &str, b: &str, first_names: Option<&crate::FirstNames>) -> Level {
    if a.is_empty() || b.is_empty() {
        return Level::Missing;
    }
    if a == b {
        return Level::Exact;
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    // The longer is the shorter with a feminine ending added (Daniel/Daniela, Louis/Louise).
    let feminine_form = long
        .strip_prefix(short)
        .is_some_and(|tail| matches!(tail, "a" | "e" | "ia" | "na" | "ne" | "ina" | "ine"));
    if let Some(names) = first_names {
        // Names of opposite sexes are two people however alike they are spelt (Mark/Mary,
        // John/Joan), unless the nickname list relates them and the shorter is clipped
        // from the longer (4 letters at most, 3 fewer at least: Alex for Alexandra, Sam for
        // Samantha, Jess for Jessica). The list also pairs full names of both sexes
        // (Andrea with Andrew, Paul with Polly, Wilma with William) and a man's name with
        // its feminine form (Louise under Louis, Max under Maxine): two people each.
        let nickname = names.equivalent(a, b);
        let clipped = short.len() <= 4 && long.len() >= short.len() + 3;
        if names.opposite_sexes(a, b) && !(clipped && !feminine_form && nickname) {
            return Level::Differs;
        }
        if nickname {
            return Level::Nickname;
        }
    }
    if (a.len() == 1 || b.len() == 1) && a.chars().next() == b.chars().next() {
        return Level::Initial;
    }
    if a.len() == 1 || b.len() == 1 {
        return Level::Differs;
    }
    // A first name with a feminine ending added is another person's name: Daniel/Daniela,
    // Paul/Paula, Louis/Louise, Robert/Roberta (a household's classic pair). Not so when
    // the shorter spelling is no given name but the longer one is: "Sophi", "Blak" and
    // "Emm" are Sophie, Blake and Emma with the last letter dropped, a common slip of the
    // keyboard. (Both unknown, as Stanislav/Stanislava, stays two people: the lists are
    // English-leaning, and a missing name must not turn a household into one contact.)
    // Not so a last name either: Brown/Browne, Clark/Clarke are one family name spelt two
    // ways, and a household is told apart by its first names.
    if let Some(names) = first_names
        && feminine_form
    {
        let dropped_letter = names.is_given_name(long) && !names.is_given_name(short);
        if !dropped_letter {
            return Level::Differs;
        }
    }
    let first_name = first_names.is_some();
    // The same but for the final vowel: Christine/Christina, Mario/Maria, Marie/Maria.
    let vowel = |c: Option<char>| c.is_some_and(|c| "aeiouy".contains(c));
    if first_name
        && a.len() == b.len()
        && a.get(..a.len() - 1) == b.get(..b.len() - 1)
        && vowel(a.chars().last())
        && vowel(b.chars().last())
    {
        return Level::Differs;
    }
    let jw = jaro_winkler(a, b);
    // One letter dropped, added, changed or swapped inside a longer name ("Brbara") is a
    // typo; at either end it is often another name (Daniel/Daniela, Christine/Christina).
    let inner_typo = a.len().min(b.len()) >= 6
        && a.chars().next() == b.chars().next()
        && a.chars().last() == b.chars().last()
        && strsim::damerau_levenshtein(a, b) == 1;
    if jw >= 0.94 || inner_typo {
        Level::Close
    } else if jw >= 0.88 {
        Level::Similar
    } else {
        Level::Differs
    }
}

/// Compares two phone numbers (normalised digits): exact; partial (the same last 7 digits
/// where one lacks the area code); close (one digit wrong or two neighbours swapped);
/// missing or differs. Two full numbers with different area codes differ.
#[must_use]
pub fn phone_level(a: Option<&str>, b: Option<&str>) -> Level {
    let (Some(a), Some(b)) = (a, b) else {
        return Level::Missing;
    };
    if a == b {
        return Level::Exact;
    }
    if (a.len() < 10 || b.len() < 10) && normalise::phone_tail(a) == normalise::phone_tail(b) {
        return Level::Partial;
    }
    if a.len() == b.len() {
        // The first three differing positions: more than two is no near miss.
        let mut diff = [0usize; 3];
        let mut n = 0;
        for (i, _) in a
            .bytes()
            .zip(b.bytes())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
        {
            if let Some(slot) = diff.get_mut(n) {
                *slot = i;
            }
            n += 1;
            if n == diff.len() {
                break;
            }
        }
        let diff = diff.get(..n).unwrap_or(&[]);
        let swapped = matches!(diff, [i, j] if *j == i + 1
            && a.as_bytes().get(*i) == b.as_bytes().get(*j)
            && a.as_bytes().get(*j) == b.as_bytes().get(*i));
        if diff.len() == 1 || swapped {
            return Level::Close;
        }
    }
    Level::Differs
}

/// How two addresses agree, from the comparison of their parts. The levels exclude each
/// other (the parts of an address are far from independent: same street almost always
/// means same town), and each has its own learned weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressLevel {
    /// The same words after normalisation.
    Exact,
    /// The same house number and street (or a typo of it) in a place that does not differ.
    StreetAndNumber,
    /// The same street (or a typo of it) and locality or postcode, another or no number.
    StreetOtherNumber,
    /// The same house number and postcode, the street differs.
    NumberAndPostcode,
    /// Only the locality or the postcode agrees.
    Locality,
    /// They differ.
    Differs,
    /// At least one side has no address.
    Missing,
}

impl AddressLevel {
    /// Whether this agreement can be a matching property beside the name (the address is
    /// the same one, perhaps mistyped, or on the same street): it is one when its weight,
    /// adjusted by how common the street is, reaches [`IDENTIFYING_BITS`].
    #[must_use]
    pub fn identifying(self) -> bool {
        matches!(
            self,
            Self::Exact | Self::StreetAndNumber | Self::StreetOtherNumber | Self::NumberAndPostcode
        )
    }

    /// Whether both are one home (the same house, perhaps mistyped): what makes a row with
    /// another first name a household member, and a short shared name a question.
    #[must_use]
    pub fn same_home(self) -> bool {
        matches!(
            self,
            Self::Exact | Self::StreetAndNumber | Self::NumberAndPostcode
        )
    }

    /// The level's number in the model (`None` for missing).
    fn index(self) -> Option<u8> {
        Some(match self {
            Self::Exact => 0,
            Self::StreetAndNumber => 1,
            Self::StreetOtherNumber => 2,
            Self::NumberAndPostcode => 3,
            Self::Locality => 4,
            Self::Differs => 5,
            Self::Missing => return None,
        })
    }
}

/// Each part of two addresses compared, and the address level they make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressComparison {
    pub number: Level,
    pub street: Level,
    pub street_type: Level,
    pub unit: Level,
    pub locality: Level,
    pub state: Level,
    pub postcode: Level,
    pub level: AddressLevel,
}

/// Compares one address part: exact, close (a typo: Jaro–Winkler 0.9 or more, or one edit
/// in a part of 4 characters or more), missing or differs.
#[must_use]
pub fn part_level(a: Option<&str>, b: Option<&str>) -> Level {
    let (Some(a), Some(b)) = (a, b) else {
        return Level::Missing;
    };
    if a == b {
        return Level::Exact;
    }
    let long = a.len().min(b.len()) >= 4;
    if long && (jaro_winkler(a, b) >= 0.9 || strsim::damerau_levenshtein(a, b) <= 1) {
        Level::Close
    } else {
        Level::Differs
    }
}

/// Compares two postal codes: exact, close (one digit wrong or two swapped), missing or
/// differs.
#[must_use]
pub fn postcode_level(a: Option<&str>, b: Option<&str>) -> Level {
    let (Some(a), Some(b)) = (a, b) else {
        return Level::Missing;
    };
    if a == b {
        return Level::Exact;
    }
    if a.len() == b.len() && strsim::damerau_levenshtein(a, b) == 1 {
        return Level::Close;
    }
    Level::Differs
}

/// Compares two addresses part by part.
#[must_use]
pub fn compare_addresses(a: Option<&Address>, b: Option<&Address>) -> AddressComparison {
    let (Some(a), Some(b)) = (a, b) else {
        return AddressComparison {
            number: Level::Missing,
            street: Level::Missing,
            street_type: Level::Missing,
            unit: Level::Missing,
            locality: Level::Missing,
            state: Level::Missing,
            postcode: Level::Missing,
            level: AddressLevel::Missing,
        };
    };
    let part = |x: &Option<String>, y: &Option<String>| part_level(x.as_deref(), y.as_deref());
    let number = match (a.number.as_deref(), b.number.as_deref()) {
        (Some(x), Some(y)) if x == y => Level::Exact,
        (Some(_), Some(_)) => Level::Differs,
        _ => Level::Missing,
    };
    let mut c = AddressComparison {
        number,
        street: part(&a.street, &b.street),
        street_type: part(&a.street_type, &b.street_type),
        unit: part(&a.unit, &b.unit),
        locality: part(&a.locality, &b.locality),
        state: part(&a.state, &b.state),
        postcode: postcode_level(a.zip.as_deref(), b.zip.as_deref()),
        level: AddressLevel::Differs,
    };
    let agrees = |l: Level| matches!(l, Level::Exact | Level::Close);
    let street = agrees(c.street);
    let place_agrees = agrees(c.locality) || c.postcode == Level::Exact;
    // Another town or another postcode (beyond a typo): not the same house, at best the
    // same street.
    let place_differs = c.locality == Level::Differs || c.postcode == Level::Differs;
    c.level = if a.text == b.text {
        AddressLevel::Exact
    } else if street && c.number == Level::Exact && !place_differs {
        AddressLevel::StreetAndNumber
    } else if street && place_agrees && c.postcode != Level::Differs {
        AddressLevel::StreetOtherNumber
    } else if c.number == Level::Exact && c.postcode == Level::Exact {
        AddressLevel::NumberAndPostcode
    } else if place_agrees {
        AddressLevel::Locality
    } else {
        AddressLevel::Differs
    };
    c
}

/// Compares two organisation names (normalised): exact, close (JW ≥ 0.94), similar (most
/// words shared), missing or differs.
#[must_use]
pub fn organisation_level(a: &str, b: &str) -> Level {
    if a.is_empty() || b.is_empty() {
        return Level::Missing;
    }
    if a == b {
        return Level::Exact;
    }
    if jaro_winkler(a, b) >= 0.94 {
        return Level::Close;
    }
    let aw: Vec<&str> = a.split(' ').collect();
    let bw: Vec<&str> = b.split(' ').collect();
    let shared = aw.iter().filter(|w| bw.contains(w)).count();
    if shared * 4 >= aw.len().max(bw.len()) * 3 {
        Level::Similar
    } else {
        Level::Differs
    }
}

/// The evidence two records give about being one contact.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence {
    /// Each comparison's reason and log2 weight, in field order.
    pub terms: Vec<(String, f64)>,
    /// The comparison vector: each field's level in the model.
    pub gamma: Gamma,
    /// The prior log-odds of the pair (the model's `lambda`).
    pub prior: f64,
    /// Whether a matching property other than the name agrees (email, phone, address, a
    /// rare employer or occupation): without it a record does not match on its name alone.
    pub identifying: bool,
    /// Whether the records name different people outright (first names that are neither
    /// equal, nicknames, typos nor initials; different suffixes): then no other agreement
    /// makes them one contact, as with household members sharing an address, phone or email.
    pub conflict: bool,
    /// Why the pair may at most be reviewed, if it may: a short first name that is a given
    /// name of both sexes (Sam, Alex, Chris) against a longer one, at a shared address or
    /// phone, is as likely a household member as the same person; an address alone
    /// against an email and a phone that both differ, as likely a namesake.
    pub review_only: Option<&'static str>,
    /// Whether the record is another member of the contact's household: a different first
    /// name, the same last name, and the same address or phone.
    pub household: bool,
    /// Whether the first names differ outright (a conflict that makes a household).
    pub conflict_by_first_name: bool,
    /// Whether the first names are a short form both sexes bear and a longer name.
    pub ambiguous_nickname: bool,
    /// Whether `terms` carry their reasons (see [`Contacts::weigh`](crate::Contacts)).
    pub explain: bool,
}

/// The highest score a pair that may only be reviewed gets: between the default `review`
/// (0.75) and `auto_accept` (0.92) thresholds.
pub const REVIEW_SCORE: f64 = 0.8;

impl Evidence {
    /// Evidence whose reasons are written out (`explain`) or left empty: most candidates
    /// are only weighed, and formatting their reasons would cost more than comparing them.
    fn new(explain: bool, prior: f64) -> Self {
        Self {
            explain,
            prior,
            ..Self::default()
        }
    }

    /// Adds field `field`'s level `level` with weight `weight`.
    fn add(&mut self, field: Field, level: u8, weight: f64, reason: impl FnOnce() -> String) {
        if let Some(g) = self.gamma.get_mut(field as usize) {
            *g = Some(level);
        }
        let reason = if self.explain {
            reason()
        } else {
            String::new()
        };
        self.terms.push((reason, weight));
    }

    /// The match weight: the sum of the field weights and the prior log-odds.
    #[must_use]
    pub fn weight(&self) -> f64 {
        self.prior + self.terms.iter().map(|(_, w)| w).sum::<f64>()
    }

    /// The score in [0, 1] with its reasons. Without identifying evidence (and unless
    /// `allow_name_only`) the score stays below 0.5: a name alone never matches.
    #[must_use]
    pub fn score(&self, allow_name_only: bool) -> Score {
        let mut reasons: Vec<String> = self
            .terms
            .iter()
            .map(|(r, w)| {
                let mut reason = String::with_capacity(r.len() + 6);
                reason.push_str(r);
                reason.push(' ');
                push_signed(&mut reason, *w);
                reason
            })
            .collect();
        let weight = self.weight();
        if self.conflict && weight > -6.0 {
            reasons.push("different people by name: not matched".into());
        } else if !self.identifying && !allow_name_only && weight > -1.0 {
            reasons.push("name only: nothing but the name agrees, so not matched".into());
        } else if let Some(why) = self.review_only
            && weight > REVIEW_WEIGHT
        {
            reasons.push(format!("{why}: review, not matched"));
        }
        if self.household {
            reasons.push(
                "same household: another first name at this contact's address or phone".into(),
            );
        }
        Score {
            score: self.value(allow_name_only),
            reasons,
            household: self.household,
        }
    }

    /// The score in [0, 1] alone, as [`Evidence::score`] gives it.
    #[must_use]
    pub fn value(&self, allow_name_only: bool) -> f64 {
        let mut weight = self.weight();
        if self.conflict {
            weight = weight.min(-6.0);
        } else if !self.identifying && !allow_name_only {
            weight = weight.min(-1.0);
        } else if self.review_only.is_some() {
            weight = weight.min(REVIEW_WEIGHT);
        }
        1.0 / (1.0 + (-weight).exp2())
    }
}

/// The weight at which the score is [`REVIEW_SCORE`].
const REVIEW_WEIGHT: f64 = 2.0;

/// Appends `+6.1` / `−1.2` to `out`, as the reasons show weights.
fn push_signed(out: &mut String, w: f64) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = if w < 0.0 {
        write!(out, "\u{2212}{:.1}", -w)
    } else {
        write!(out, "+{w:.1}")
    };
}

/// A record with every field normalised once, however many candidates it is compared with.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// Whether the contact type is known.
    typed: bool,
    /// Whether it is an organisation.
    pub(crate) org: bool,
    /// The organisation name (organisations).
    org_name: String,
    pub(crate) first: String,
    pub(crate) last: String,
    suffix: String,
    email: Option<String>,
    phone: Option<String>,
    pub(crate) address: Option<Address>,
    pub(crate) employer: String,
    pub(crate) occupation: String,
}

impl Prepared {
    /// Normalises every field of `c`.
    #[must_use]
    pub fn new(c: Contact<'_>) -> Self {
        let org = is_organisation(c);
        Self {
            typed: !normalise::clean(c.get(ContactField::ContactType)).is_empty(),
            org,
            org_name: if org {
                normalise::organisation(c.get(ContactField::FirstName))
            } else {
                String::new()
            },
            first: normalise::name(c.get(ContactField::FirstName)),
            last: normalise::name(c.get(ContactField::LastName)),
            suffix: normalise::suffix(c.get(ContactField::Suffix)),
            email: normalise::email(c.get(ContactField::Email)),
            phone: normalise::phone(c.get(ContactField::Phone)),
            address: Address::parse(c.get(ContactField::Address)),
            employer: normalise::organisation(c.get(ContactField::Employer)),
            occupation: normalise::clean(c.get(ContactField::Occupation)),
        }
    }
}

/// Employers and occupations that say nothing about who a person is, however rare in a
/// store: sharing one is no matching property.
const GENERIC_WORK: &[&str] = &[
    "self employed",
    "selfemployed",
    "self",
    "retired",
    "none",
    "n a",
    "na",
    "unemployed",
    "not employed",
    "homemaker",
    "student",
    "information requested",
    "requested",
    "employed",
    "owner",
    "volunteer",
];

/// Whether a shared employer or occupation identifies: rare in the store (under `share` of
/// the values seen) and not a generic answer.
fn rare_work(f: &Frequencies, value: &str, share: f64) -> bool {
    !GENERIC_WORK.contains(&value) && f.is_rare(value, share)
}

/// The weight (log2 Bayes factor) an address agreement, or a phone that is near but not
/// the same, must reach to be the matching property beside the name: the chance that another person with the same name shares it
/// must be at most one in 32 of the chance the same person does. "Same street, other
/// number" on a street many contacts live on does not reach it.
pub const IDENTIFYING_BITS: f64 = 5.0;

/// The key a street's frequency is counted under: the street in its town (or postcode),
/// since a namesake on Main Street in another town says nothing.
#[must_use]
pub fn street_key(a: &Address) -> Option<String> {
    let street = a.street.as_deref()?;
    let place = a.locality.as_deref().or(a.zip.as_deref()).unwrap_or("");
    Some(format!("{street}:{place}"))
}

/// Compares two records; `None` when their contact types differ.
/// Reasons are written out only when `explain`.
pub(crate) fn compare(m: &Contacts, a: &Prepared, b: &Prepared, explain: bool) -> Option<Evidence> {
    if a.typed && b.typed && a.org != b.org {
        return None;
    }
    let model = &m.model;
    let w = |f: Field, l: u8| model.weight(f as usize, l);
    let mut ev = Evidence::new(explain, model.prior_weight());

    if a.org || b.org {
        let org_name = |p: &Prepared| {
            if p.org {
                p.org_name.clone()
            } else {
                normalise::organisation(&p.first)
            }
        };
        let (x, y) = (org_name(a), org_name(b));
        let f = Field::Organisation;
        match organisation_level(&x, &y) {
            Level::Exact => ev.add(f, 0, w(f, 0), || "organisation exact".into()),
            Level::Close => ev.add(f, 1, w(f, 1), || {
                format!("organisation JW {:.2}", jaro_winkler(&x, &y))
            }),
            Level::Similar => ev.add(f, 2, w(f, 2), || "organisation most words".into()),
            Level::Missing => {}
            _ => ev.add(f, 3, w(f, 3), || "organisation differs".into()),
        }
    } else {
        person_names(m, a, b, &mut ev);
    }

    let f = Field::Email;
    match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => {
            ev.identifying = true;
            ev.add(f, 0, w(f, 0), || "email exact".into());
        }
        (Some(x), Some(y)) => {
            let (xl, xd) = x.split_once('@').unwrap_or((x, ""));
            let (yl, yd) = y.split_once('@').unwrap_or((y, ""));
            if xl == yl {
                ev.add(f, 1, w(f, 1), || "email same local part".into());
            } else if xd == yd {
                ev.add(f, 2, w(f, 2), || "email same domain only".into());
            } else {
                ev.add(f, 3, w(f, 3), || "email differs".into());
            }
        }
        _ => {}
    }

    let f = Field::Phone;
    let phone = phone_level(a.phone.as_deref(), b.phone.as_deref());
    match phone {
        Level::Exact => {
            ev.identifying = true;
            ev.add(f, 0, w(f, 0), || "phone exact".into());
        }
        // The same last 7 digits, or a phone keyed in with one digit wrong or two swapped,
        // is still that person's number where two people with the same name seldom hold
        // numbers that near; the weight learned from the store says how seldom.
        Level::Partial => {
            ev.identifying |= w(f, 1) >= IDENTIFYING_BITS;
            ev.add(f, 1, w(f, 1), || "phone same last 7 digits".into());
        }
        Level::Close => {
            ev.identifying |= w(f, 2) >= IDENTIFYING_BITS;
            ev.add(f, 2, w(f, 2), || "phone one digit off".into());
        }
        Level::Differs => ev.add(f, 3, w(f, 3), || "phone differs".into()),
        _ => {}
    }

    let address = compare_addresses(a.address.as_ref(), b.address.as_ref());
    let mut address_identifies = false;
    if let Some(level) = address.level.index() {
        let f = Field::Address;
        let mut weight = w(f, level);
        // Agreeing on a street few contacts live on counts more than on Main Street: the
        // street's share replaces the chance that two people share a street at all.
        if address.level.identifying() && address.street == Level::Exact {
            let street_u = model.u(f as usize, 2);
            weight += a
                .address
                .as_ref()
                .and_then(street_key)
                .map_or(0.0, |s| m.streets.adjustment(&s, street_u));
        }
        address_identifies = address.level.identifying() && weight >= IDENTIFYING_BITS;
        ev.identifying |= address_identifies;
        ev.add(f, level, weight, || address_reason(&address, a, b));
    }
    let shares_home = address.level.same_home() || matches!(phone, Level::Exact | Level::Partial);
    if ev.conflict_by_first_name && shares_home {
        ev.household = matches!(
            name_level(&a.last, &b.last, None),
            Level::Exact | Level::Close
        );
    }
    if ev.ambiguous_nickname && shares_home {
        ev.review_only = Some("a short name both sexes bear, at a shared address or phone");
    }
    // The address alone against an email and a phone that both differ: a namesake at the
    // same address as often as the same person with new details. Review, not attach.
    if address_identifies
        && phone == Level::Differs
        && a.email.is_some()
        && b.email.is_some()
        && a.email != b.email
    {
        ev.review_only = Some("the address alone, email and phone both differ");
    }

    let f = Field::Employer;
    match organisation_level(&a.employer, &b.employer) {
        Level::Exact => {
            if rare_work(&m.employers, &a.employer, 0.01) {
                ev.identifying = true;
            }
            let weight = w(f, 0) + m.employers.adjustment(&a.employer, model.u(f as usize, 0));
            ev.add(f, 0, weight, || {
                format!("employer exact {}", title(&a.employer))
            });
        }
        Level::Close | Level::Similar => ev.add(f, 1, w(f, 1), || "employer similar".into()),
        Level::Differs => ev.add(f, 2, w(f, 2), || "employer differs".into()),
        _ => {}
    }
    let f = Field::Occupation;
    match (a.occupation.is_empty(), b.occupation.is_empty()) {
        (false, false) if a.occupation == b.occupation => {
            if rare_work(&m.occupations, &a.occupation, 0.005) {
                ev.identifying = true;
            }
            let weight = w(f, 0)
                + m.occupations
                    .adjustment(&a.occupation, model.u(f as usize, 0));
            ev.add(f, 0, weight, || {
                format!("occupation exact {}", title(&a.occupation))
            });
        }
        (false, false) => ev.add(f, 1, w(f, 1), || "occupation differs".into()),
        _ => {}
    }
    Some(ev)
}

/// The reason of an address comparison, naming the parts that agree and differ.
fn address_reason(c: &AddressComparison, a: &Prepared, b: &Prepared) -> String {
    let (Some(x), Some(y)) = (a.address.as_ref(), b.address.as_ref()) else {
        return String::new();
    };
    let head = match c.level {
        AddressLevel::Exact => "address exact",
        AddressLevel::StreetAndNumber => "address same street and number",
        AddressLevel::StreetOtherNumber => "address same street, other number",
        AddressLevel::NumberAndPostcode => "address same number and postcode",
        AddressLevel::Locality => "address same locality only",
        AddressLevel::Differs | AddressLevel::Missing => "address differs",
    };
    if c.level == AddressLevel::Exact {
        return head.into();
    }
    let mut parts = Vec::new();
    let mut part = |name: &str, level: Level, p: &Option<String>, q: &Option<String>| {
        let word = match level {
            Level::Exact => "=",
            Level::Close => "~",
            Level::Differs => "≠",
            _ => return,
        };
        let shown = match (p, q) {
            (Some(p), Some(q)) if p != q => format!("{p}/{q}"),
            (Some(p), _) => p.clone(),
            _ => String::new(),
        };
        parts.push(format!("{name} {word} {shown}"));
    };
    part("number", c.number, &x.number, &y.number);
    part("street", c.street, &x.street, &y.street);
    part("unit", c.unit, &x.unit, &y.unit);
    part("locality", c.locality, &x.locality, &y.locality);
    part("state", c.state, &x.state, &y.state);
    part("postcode", c.postcode, &x.zip, &y.zip);
    format!("{head} ({})", parts.join(", "))
}

/// First name, last name and suffix of two people.
fn person_names(m: &Contacts, a: &Prepared, b: &Prepared, ev: &mut Evidence) {
    let model = &m.model;
    let w = |f: Field, l: u8| model.weight(f as usize, l);
    let (fa, fb) = (a.first.as_str(), b.first.as_str());
    let (la, lb) = (a.last.as_str(), b.last.as_str());
    // First and last name swapped between the two records (each perhaps with a typo, as
    // long as neither order agrees better).
    let near = |x: &str, y: &str| x == y || jaro_winkler(x, y) >= 0.92;
    let swapped = !fa.is_empty()
        && !la.is_empty()
        && fa != la
        && near(fa, lb)
        && near(la, fb)
        && !near(fa, fb)
        && !near(la, lb);
    let (fb, lb) = if swapped { (lb, fb) } else { (fb, lb) };
    let note = if swapped { " (names swapped)" } else { "" };
    let f = Field::FirstName;
    match name_level(fa, fb, Some(&m.first_names)) {
        Level::Exact => ev.add(f, 0, w(f, 0), || {
            format!("first name exact {}{note}", title(fa))
        }),
        Level::Nickname => {
            if m.first_names.ambiguous_short_form(fa, fb) {
                ev.ambiguous_nickname = true;
            }
            ev.add(f, 1, w(f, 1), || {
                format!("first name nickname {}~{}{note}", title(fa), title(fb))
            });
        }
        Level::Close => ev.add(f, 2, w(f, 2), || {
            format!("first name JW {:.2}{note}", jaro_winkler(fa, fb))
        }),
        Level::Similar => ev.add(f, 3, w(f, 3), || {
            format!("first name JW {:.2}{note}", jaro_winkler(fa, fb))
        }),
        Level::Initial => ev.add(f, 4, w(f, 4), || format!("first name initial{note}")),
        Level::Missing => {}
        _ => {
            ev.conflict = true;
            ev.conflict_by_first_name = true;
            ev.add(f, 5, w(f, 5), || {
                format!("first name differs {}/{}", title(fa), title(fb))
            });
        }
    }
    let f = Field::LastName;
    let tf = m
        .surnames
        .adjustment(if la.is_empty() { lb } else { la }, model.u(f as usize, 0));
    match name_level(la, lb, None) {
        Level::Exact => ev.add(f, 0, w(f, 0) + tf, || {
            format!("last name exact {}{note}", title(la))
        }),
        Level::Close => ev.add(f, 1, w(f, 1), || {
            format!("last name JW {:.2}{note}", jaro_winkler(la, lb))
        }),
        Level::Similar => ev.add(f, 2, w(f, 2), || {
            format!("last name JW {:.2}{note}", jaro_winkler(la, lb))
        }),
        Level::Missing => {}
        _ if normalise::soundex(la) == normalise::soundex(lb) => ev.add(f, 3, w(f, 3), || {
            format!("last name sounds alike {}/{}", title(la), title(lb))
        }),
        // First and last name must both agree: another last name with the same first name
        // is as often someone else as a marriage, for a person to judge.
        _ => {
            ev.review_only = Some("the last name differs");
            ev.add(f, 4, w(f, 4), || "last name differs".into());
        }
    }
    let (sa, sb) = (a.suffix.as_str(), b.suffix.as_str());
    let f = Field::Suffix;
    match (sa.is_empty(), sb.is_empty()) {
        (false, false) if sa == sb => ev.add(f, 0, w(f, 0), || "suffix exact".into()),
        (false, false) => {
            ev.conflict = true;
            ev.add(f, 1, w(f, 1), || format!("suffix differs {sa}/{sb}"));
        }
        _ => {}
    }
}

/// `bill` → `Bill`, for reasons people read.
fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::jaro_winkler;

    #[test]
    fn jaro_winkler_is_strsims_to_the_bit() {
        let words = [
            "",
            "a",
            "ab",
            "martha",
            "marhta",
            "dwayne",
            "duane",
            "dixon",
            "dicksonx",
            "jellyfish",
            "smellyfish",
            "christine",
            "christina",
            "okonkwo",
            "okonkow",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",
            "zoë",
            "zoe",
            "123 main st springfield il 62704",
            "123 maine st springfeld il 62704",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    jaro_winkler(a, b).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a:?} / {b:?}"
                );
            }
        }
    }
}
