//! Field comparisons with graded levels and their log2 weights, and the sum of them as a
//! score with reasons.
//!
//! Weights are log2 likelihood ratios `log2(m / u)` set from sensible defaults (m: chance a
//! field agrees at that level for the same person, u: for two different people). Two are
//! deliberately stronger than the data alone would make them, because attaching a row to
//! the wrong donor is worse than creating a duplicate: a different first name (a spouse,
//! a child at the same address or sharing an email) and a different name suffix (Jr/Sr).

use std::collections::HashMap;

use sluice_sdk::{Contact, ContactField, Score};

use crate::normalise::{self, Address};
use crate::{Contacts, OFFSET, is_organisation};

/// How often each value of a field was seen, for an agreement weight adjusted by how common
/// the value is (as last names are): an employer every row of a file shares (a union's
/// member list, a school district's staff) says nothing about who a row is.
#[derive(Clone, Debug, Default)]
pub struct Frequencies {
    counts: HashMap<String, u32>,
    seen: u32,
}

impl Frequencies {
    /// Counts one (normalised) value; empty ones are not values.
    pub fn count(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        if let Some(n) = self.counts.get_mut(value) {
            *n = n.saturating_add(1);
        } else {
            self.counts.insert(value.to_string(), 1);
        }
        self.seen = self.seen.saturating_add(1);
    }

    /// The log2 agreement weight of `value`: `log2(0.95 / u)` with `u` the share of the
    /// values seen that are `value` (smoothed towards 1 in 500 while few were seen), kept
    /// within `0..=max`, so a rare value counts fully and one shared by everybody nothing.
    #[must_use]
    pub fn weight(&self, value: &str, max: f64) -> f64 {
        const PRIOR_U: f64 = 0.002;
        const PRIOR_WEIGHT: f64 = 500.0;
        let count = f64::from(self.counts.get(value).copied().unwrap_or(0));
        let u = (count + PRIOR_WEIGHT * PRIOR_U) / (f64::from(self.seen) + PRIOR_WEIGHT);
        (0.95 / u).log2().clamp(0.0, max)
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
        let diff: Vec<usize> = a
            .bytes()
            .zip(b.bytes())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, _)| i)
            .collect();
        let swapped = matches!(diff.as_slice(), [i, j] if *j == i + 1
            && a.as_bytes().get(*i) == b.as_bytes().get(*j)
            && a.as_bytes().get(*j) == b.as_bytes().get(*i));
        if diff.len() == 1 || swapped {
            return Level::Close;
        }
    }
    Level::Differs
}

/// Compares two addresses: exact, close (same house number, mostly the same words),
/// partial (same postal code and house number), missing or differs.
#[must_use]
pub fn address_level(a: Option<&Address>, b: Option<&Address>) -> Level {
    let (Some(a), Some(b)) = (a, b) else {
        return Level::Missing;
    };
    if a.words == b.words {
        return Level::Exact;
    }
    // Every level below needs the same house number: without it the words are not
    // compared (most candidates of a crowded name block live elsewhere).
    let same_number = a.number == b.number;
    if !same_number {
        return Level::Differs;
    }
    // A word shared with a typo (JW 0.9 or more, 4 letters or more) counts as shared.
    let shared = a
        .words
        .iter()
        .filter(|w| {
            b.words.contains(w)
                || w.len() >= 4
                    && b.words
                        .iter()
                        .any(|v| v.len() >= 4 && jaro_winkler(w, v) >= 0.9)
        })
        .count()
        .min(b.words.len());
    let union = a.words.len() + b.words.len() - shared;
    #[allow(clippy::cast_precision_loss)] // An address has a handful of words.
    let jaccard = if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    };
    if same_number && (jaccard >= 0.6 || jaro_winkler(&a.text(), &b.text()) >= 0.93) {
        return Level::Close;
    }
    if same_number && a.number.is_some() && a.zip.is_some() && a.zip == b.zip {
        return Level::Partial;
    }
    Level::Differs
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
    /// Whether something other than a name agrees (email, phone, a phone one digit off, or
    /// address): without it a record does not match on its name alone.
    pub identifying: bool,
    /// Whether the records name different people outright (first names that are neither
    /// equal, nicknames, typos nor initials; different suffixes): then no other agreement
    /// makes them one contact, as with household members sharing an address, phone or email.
    pub conflict: bool,
    /// Whether `terms` carry their reasons (see [`Contacts::weigh`](crate::Contacts)).
    pub explain: bool,
}

impl Evidence {
    /// Evidence whose reasons are written out (`explain`) or left empty: most candidates
    /// are only weighed, and formatting their reasons would cost more than comparing them.
    fn new(explain: bool) -> Self {
        Self {
            explain,
            ..Self::default()
        }
    }

    fn add(&mut self, weight: f64, reason: impl FnOnce() -> String) {
        let reason = if self.explain {
            reason()
        } else {
            String::new()
        };
        self.terms.push((reason, weight));
    }

    /// The sum of the weights.
    #[must_use]
    pub fn weight(&self) -> f64 {
        self.terms.iter().map(|(_, w)| w).sum()
    }

    /// The score in [0, 1] with its reasons. Without identifying evidence (and unless
    /// `allow_name_only`) the score stays below 0.5: a name alone never matches.
    #[must_use]
    pub fn score(&self, allow_name_only: bool) -> Score {
        let mut reasons: Vec<String> = self
            .terms
            .iter()
            .map(|(r, w)| format!("{r} {}", signed(*w)))
            .collect();
        let weight = self.weight();
        if self.conflict && weight > OFFSET - 6.0 {
            reasons.push("different people by name: not matched".into());
        } else if !self.identifying && !allow_name_only && weight > OFFSET - 1.0 {
            reasons.push("name only: no email, phone or address agrees, so not matched".into());
        }
        Score {
            score: self.value(allow_name_only),
            reasons,
        }
    }

    /// The score in [0, 1] alone, as [`Evidence::score`] gives it.
    #[must_use]
    pub fn value(&self, allow_name_only: bool) -> f64 {
        let mut weight = self.weight();
        if self.conflict && weight > OFFSET - 6.0 {
            weight = OFFSET - 6.0;
        } else if !self.identifying && !allow_name_only && weight > OFFSET - 1.0 {
            weight = OFFSET - 1.0;
        }
        1.0 / (1.0 + (OFFSET - weight).exp2())
    }
}

/// `+6.1` / `−1.2`, as the reasons show weights.
fn signed(w: f64) -> String {
    if w < 0.0 {
        format!("\u{2212}{:.1}", -w)
    } else {
        format!("+{w:.1}")
    }
}

/// A record with every field normalised once, however many candidates it is compared with.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// Whether the contact type is known.
    typed: bool,
    /// Whether it is an organisation.
    org: bool,
    /// The organisation name (organisations).
    org_name: String,
    first: String,
    last: String,
    suffix: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<Address>,
    employer: String,
    occupation: String,
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

/// Compares two records; `None` when their contact types differ.
/// Reasons are written out only when `explain`.
pub(crate) fn compare(m: &Contacts, a: &Prepared, b: &Prepared, explain: bool) -> Option<Evidence> {
    if a.typed && b.typed && a.org != b.org {
        return None;
    }
    let mut ev = Evidence::new(explain);

    if a.org || b.org {
        let org_name = |p: &Prepared| {
            if p.org {
                p.org_name.clone()
            } else {
                normalise::organisation(&p.first)
            }
        };
        let (x, y) = (org_name(a), org_name(b));
        match organisation_level(&x, &y) {
            Level::Exact => ev.add(9.0, || "organisation exact".into()),
            Level::Close => ev.add(6.0, || {
                format!("organisation JW {:.2}", jaro_winkler(&x, &y))
            }),
            Level::Similar => ev.add(4.0, || "organisation most words".into()),
            Level::Missing => {}
            _ => ev.add(-10.0, || "organisation differs".into()),
        }
    } else {
        person_names(m, a, b, &mut ev);
    }

    match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => {
            ev.identifying = true;
            ev.add(10.0, || "email exact".into());
        }
        (Some(_), Some(_)) => ev.add(-1.7, || "email differs".into()),
        _ => {}
    }

    match phone_level(a.phone.as_deref(), b.phone.as_deref()) {
        Level::Exact => {
            ev.identifying = true;
            ev.add(10.0, || "phone exact".into());
        }
        Level::Partial => {
            ev.identifying = true;
            ev.add(7.0, || "phone last 7 digits".into());
        }
        // A phone keyed in with one digit wrong or two swapped is still that person's
        // number: two different people with the same name almost never hold numbers one
        // keystroke apart, so it counts against the name-only rule like the exact number
        // (with its lower weight: now and then it is someone else's number after all).
        Level::Close => {
            ev.identifying = true;
            ev.add(3.5, || "phone one digit off".into());
        }
        Level::Differs => ev.add(-1.7, || "phone differs".into()),
        _ => {}
    }

    match address_level(a.address.as_ref(), b.address.as_ref()) {
        Level::Exact => {
            ev.identifying = true;
            ev.add(8.0, || "address exact".into());
        }
        Level::Close => {
            ev.identifying = true;
            ev.add(6.0, || "address close".into());
        }
        Level::Partial => {
            ev.identifying = true;
            ev.add(4.0, || "address ZIP + house number".into());
        }
        Level::Differs => ev.add(-1.5, || "address differs".into()),
        _ => {}
    }

    // Employer and occupation weigh by how common they are: in a file where every row
    // names the same employer, sharing it is no evidence, and at full weight it would
    // tip a namesake on a stored person's street over the threshold.
    match organisation_level(&a.employer, &b.employer) {
        Level::Exact => ev.add(m.employers.weight(&a.employer, 3.0), || {
            "employer exact".into()
        }),
        Level::Close | Level::Similar => ev.add(m.employers.weight(&a.employer, 1.5), || {
            "employer similar".into()
        }),
        Level::Differs => ev.add(-0.5, || "employer differs".into()),
        _ => {}
    }
    if !a.occupation.is_empty() && a.occupation == b.occupation {
        ev.add(m.occupations.weight(&a.occupation, 1.0), || {
            "occupation exact".into()
        });
    }
    Some(ev)
}

/// First name, last name and suffix of two people.
fn person_names(m: &Contacts, a: &Prepared, b: &Prepared, ev: &mut Evidence) {
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
    if swapped {
        let exact = fa == lb && la == fb;
        ev.add(m.surname_weight(la) + if exact { 3.0 } else { 1.0 }, || {
            format!(
                "names swapped{} {}/{}",
                if exact { "" } else { " (with a typo)" },
                title(fa),
                title(la)
            )
        });
    } else {
        match name_level(fa, fb, Some(&m.first_names)) {
            Level::Exact => ev.add(6.0, || format!("first name exact {}", title(fa))),
            Level::Nickname => ev.add(4.0, || {
                format!("first name nickname {}~{}", title(fa), title(fb))
            }),
            Level::Close => ev.add(3.5, || format!("first name JW {:.2}", jaro_winkler(fa, fb))),
            Level::Similar => ev.add(1.5, || format!("first name JW {:.2}", jaro_winkler(fa, fb))),
            Level::Initial => ev.add(1.0, || "first name initial".into()),
            Level::Missing => {}
            _ => {
                ev.conflict = true;
                ev.add(-12.0, || {
                    format!("first name differs {}/{}", title(fa), title(fb))
                });
            }
        }
        let full = m.surname_weight(if la.is_empty() { lb } else { la });
        match name_level(la, lb, None) {
            Level::Exact => ev.add(full, || format!("last name exact {}", title(la))),
            Level::Close => ev.add(full * 0.6, || {
                format!("last name JW {:.2}", jaro_winkler(la, lb))
            }),
            Level::Similar => ev.add(full * 0.25, || {
                format!("last name JW {:.2}", jaro_winkler(la, lb))
            }),
            Level::Missing => {}
            _ if normalise::soundex(la) == normalise::soundex(lb) => ev.add(0.0, || {
                format!("last name sounds alike {}/{}", title(la), title(lb))
            }),
            // Last names change (marriage) more often than first names.
            _ => ev.add(-4.5, || "last name differs".into()),
        }
    }
    let (sa, sb) = (a.suffix.as_str(), b.suffix.as_str());
    match (sa.is_empty(), sb.is_empty()) {
        (false, false) if sa == sb => ev.add(1.0, || "suffix exact".into()),
        (false, false) => {
            ev.conflict = true;
            ev.add(-12.0, || format!("suffix differs {sa}/{sb}"));
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
