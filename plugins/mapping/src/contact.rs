//! Normalisation of the contact fields: emails, phone numbers (E.164), names, a full name
//! split into its parts, and address parts joined into one address.
//!
//! These are the only implementations of these rules in sluice: the validator and the
//! matcher see their output and must not repeat them.

/// An email trimmed and lower-cased, or why it is not an email address.
pub fn email(raw: &str) -> Result<String, String> {
    let s = raw.trim().trim_start_matches("mailto:").to_lowercase();
    let Some((local, domain)) = s.split_once('@') else {
        return Err(format!("Primary Email {:?} has no `@`", raw.trim()));
    };
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let ok_domain = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2);
    if ok_local && ok_domain {
        Ok(s)
    } else {
        Err(format!(
            "Primary Email {:?} is not an email address",
            raw.trim()
        ))
    }
}

/// The calling code and national number length of the regions `default_region` accepts.
/// Numbers written with a `+` (or `00`) need no region; the region only says what a number
/// without one means.
pub const REGIONS: &[(&str, &str, &[usize])] = &[
    ("US", "1", &[10]),
    ("CA", "1", &[10]),
    ("GB", "44", &[10]),
    ("IE", "353", &[7, 8, 9]),
    ("AU", "61", &[9]),
    ("NZ", "64", &[8, 9, 10]),
    ("DE", "49", &[7, 8, 9, 10, 11]),
    ("FR", "33", &[9]),
    ("ES", "34", &[9]),
    ("IT", "39", &[9, 10]),
    ("NL", "31", &[9]),
    ("MX", "52", &[10]),
];

/// A phone region: its calling code and national lengths.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    code: &'static str,
    lengths: &'static [usize],
    /// Whether national numbers start with a trunk `0` that E.164 drops (not in NANP).
    trunk_zero: bool,
}

impl Region {
    /// The region of an ISO 3166 code such as `US`.
    #[must_use]
    pub fn named(name: &str) -> Option<Region> {
        REGIONS
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(_, code, lengths)| Region {
                code,
                lengths,
                trunk_zero: *code != "1",
            })
    }
}

/// Splits a trailing extension (`x12`, `ext. 12`, `extension 12`, `#12`) off a number.
fn split_extension(s: &str) -> (&str, Option<&str>) {
    let lower = s.to_ascii_lowercase();
    for marker in ["extension", "ext.", "ext", "x", "#"] {
        if let Some(at) = lower.rfind(marker) {
            let digits = s.get(at + marker.len()..).unwrap_or_default().trim();
            if at > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return (s.get(..at).unwrap_or_default(), Some(digits));
            }
        }
    }
    (s, None)
}

/// A phone number in E.164 (`+12025550143`, with `;ext=12` for an extension), or why not.
pub fn phone(raw: &str, region: Region) -> Result<String, String> {
    let trimmed = raw.trim();
    let (number, ext) = split_extension(trimmed);
    let fail = || {
        format!(
            "Primary Phone {trimmed:?} is not a phone number (of region +{} or with a `+`)",
            region.code
        )
    };
    if number
        .chars()
        .any(|c| !(c.is_ascii_digit() || " ()-./+".contains(c)))
    {
        return Err(fail());
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let international = number.trim_start().starts_with('+');
    // `+` or the `00` international prefix: the number carries its country code.
    let e164 = if international || digits.starts_with("00") {
        let d = if international {
            digits.as_str()
        } else {
            digits.get(2..).unwrap_or_default()
        };
        (8..=15).contains(&d.len()).then(|| format!("+{d}"))
    } else {
        let national = if region.trunk_zero {
            digits.strip_prefix('0').unwrap_or(&digits)
        } else {
            // NANP numbers are often written with the country code 1 in front.
            match digits.strip_prefix(region.code) {
                Some(rest) if region.lengths.contains(&rest.len()) => rest,
                _ => &digits,
            }
        };
        region
            .lengths
            .contains(&national.len())
            .then(|| format!("+{}{national}", region.code))
    };
    let e164 = e164.ok_or_else(fail)?;
    Ok(match ext {
        Some(ext) => format!("{e164};ext={ext}"),
        None => e164,
    })
}

/// A name trimmed, runs of whitespace collapsed to one space; case is kept.
#[must_use]
pub fn name(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A full name split into its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameParts {
    /// Given name(s), middle names included.
    pub first: String,
    /// Family name, particles (`van`, `de` ...) included.
    pub last: String,
    /// Jr., III ...
    pub suffix: String,
}

const SUFFIXES: [&str; 12] = [
    "jr", "sr", "ii", "iii", "iv", "v", "md", "phd", "esq", "dds", "cpa", "ret",
];
const TITLES: [&str; 9] = ["mr", "mrs", "ms", "miss", "dr", "rev", "hon", "prof", "mx"];
const PARTICLES: [&str; 11] = [
    "van", "von", "de", "der", "den", "del", "della", "da", "di", "la", "le",
];

fn bare(word: &str) -> String {
    word.trim_matches(|c: char| c == '.' || c == ',')
        .to_lowercase()
}

/// Splits a full name: `First [Middle] Last [Suffix]`, `Last, First [Middle]`, `Last Suffix,
/// First`, `First Last, Suffix`; titles (Mr., Dr. ...) are dropped. An organization's name
/// is not split: it all goes to First Name, as the template wants.
#[must_use]
pub fn split_name(raw: &str, organization: bool) -> NameParts {
    let whole = name(raw);
    if organization {
        return NameParts {
            first: whole,
            ..NameParts::default()
        };
    }
    let mut suffix = Vec::new();
    // "Last, First" when what follows the comma is not just a suffix.
    let (mut given, mut family): (Vec<&str>, Vec<&str>) = match whole.split_once(',') {
        Some((before, after)) => {
            let after_words: Vec<&str> = after.split_whitespace().collect();
            if !after_words.is_empty() && after_words.iter().all(|w| is_suffix(w)) {
                suffix.extend(after_words.iter().map(|w| w.trim_end_matches(',')));
                let words: Vec<&str> = before.split_whitespace().collect();
                split_words(&words)
            } else {
                let mut last: Vec<&str> = before.split_whitespace().collect();
                while last.len() > 1 && last.last().is_some_and(|w| is_suffix(w)) {
                    if let Some(s) = last.pop() {
                        suffix.insert(0, s);
                    }
                }
                let mut first: Vec<&str> = after_words;
                while first.len() > 1 && first.last().is_some_and(|w| is_suffix(w)) {
                    if let Some(s) = first.pop() {
                        suffix.insert(0, s.trim_end_matches(','));
                    }
                }
                (first, last)
            }
        }
        None => {
            let mut words: Vec<&str> = whole.split_whitespace().collect();
            while words.len() > 2 && words.last().is_some_and(|w| is_suffix(w)) {
                if let Some(s) = words.pop() {
                    suffix.insert(0, s);
                }
            }
            split_words(&words)
        }
    };
    while given.len() > 1
        && given
            .first()
            .is_some_and(|w| TITLES.contains(&bare(w).as_str()))
    {
        given.remove(0);
    }
    if family.is_empty() && given.len() > 1 {
        family = given.split_off(given.len() - 1);
    }
    NameParts {
        first: given.join(" "),
        last: family.join(" "),
        suffix: suffix.join(" "),
    }
}

fn is_suffix(word: &str) -> bool {
    SUFFIXES.contains(&bare(word).as_str())
}

/// `First Middle [particles] Last` → (given, family).
fn split_words<'a>(words: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut words: Vec<&str> = words.to_vec();
    while words.len() > 2
        && words
            .first()
            .is_some_and(|w| TITLES.contains(&bare(w).as_str()))
    {
        words.remove(0);
    }
    if words.len() < 2 {
        return (words, Vec::new());
    }
    let mut start = words.len() - 1;
    while start > 1
        && words
            .get(start - 1)
            .is_some_and(|w| PARTICLES.contains(&w.to_lowercase().as_str()))
    {
        start -= 1;
    }
    let family = words.split_off(start);
    (words, family)
}

/// Address parts (street, second line, city, state, zip; empty ones skipped) as one line:
/// `12 Main St, Apt 4, Springfield, IL 62701`.
#[must_use]
pub fn address(parts: [&str; 5]) -> String {
    let [line1, line2, city, state, zip] = parts.map(name);
    let region = [state, zip]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [line1, line2, city, region]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}
