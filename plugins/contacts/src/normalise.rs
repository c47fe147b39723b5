//! Field normalisation: names, emails, phones, addresses (USPS Publication 28
//! abbreviations), organisation names without legal suffixes, and a phonetic code.
//!
//! Everything here is a pure function of its input; comparisons live in `compare.rs`.

/// Lower-cases, folds common Latin accents to ASCII, turns punctuation into spaces and
/// collapses runs of spaces: `"O'Brien-Smith, Jr."` → `"o brien smith jr"`.
#[must_use]
pub fn clean(raw: &str) -> String {
    clean_chars(raw, true)
}

/// [`clean`], with ASCII characters taken past the Unicode tables when `ascii_fast` (the
/// same result, as a test checks; without it is the reference).
fn clean_chars(raw: &str, ascii_fast: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = true;
    let mut put = |c: char, alphanumeric: bool| {
        if alphanumeric {
            out.push(c);
            space = false;
        } else if c == '\'' || c == '\u{2019}' {
            // O'Brien and OBrien are the same name.
        } else if !space {
            out.push(' ');
            space = true;
        }
    };
    for c in raw.chars() {
        // Nearly every cell is ASCII: its lower case, folding and class need no Unicode
        // tables (this was a tenth of matching's time).
        if ascii_fast && c.is_ascii() {
            let c = c.to_ascii_lowercase();
            put(c, c.is_ascii_alphanumeric());
        } else {
            for c in c.to_lowercase().map(fold) {
                put(c, c.is_alphanumeric());
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The ASCII letter a common accented Latin letter is written as without its accent.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ř' => 'r',
        'ł' => 'l',
        _ => c,
    }
}

/// A person's name for comparison: cleaned, spaces and hyphens removed
/// (`"Mary-Ann"` = `"Maryann"`), honorifics dropped.
#[must_use]
pub fn name(raw: &str) -> String {
    let cleaned = clean(raw);
    cleaned
        .split(' ')
        .filter(|t| !matches!(*t, "mr" | "mrs" | "ms" | "miss" | "dr" | "prof" | "rev"))
        .collect::<String>()
}

/// A name suffix in one canonical spelling (`"Junior"`, `"jr."` → `"jr"`; `"3rd"` → `"iii"`).
#[must_use]
pub fn suffix(raw: &str) -> String {
    let s = clean(raw).replace(' ', "");
    match s.as_str() {
        "junior" | "jnr" => "jr".into(),
        "senior" | "snr" => "sr".into(),
        "2nd" | "second" => "ii".into(),
        "3rd" | "third" => "iii".into(),
        "4th" | "fourth" => "iv".into(),
        _ => s,
    }
}

/// The normalised form of an email address (trimmed, lower-cased), or `None` when it is
/// not one.
#[must_use]
pub fn email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    (!local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !email.contains(char::is_whitespace))
    .then_some(email)
}

/// The digits of a phone number, without a leading North American country code `1`;
/// `None` with fewer than 7 digits (an extension alone, "n/a").
#[must_use]
pub fn phone(raw: &str) -> Option<String> {
    // An extension is not part of the number.
    let main = raw
        .to_lowercase()
        .split(['x', '#'])
        .next()
        .unwrap_or_default()
        .replace("ext", "");
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_string(),
        _ => digits,
    };
    (digits.len() >= 7).then_some(digits)
}

/// The last 7 digits of a normalised phone number: the part that survives a missing or
/// different area code.
#[must_use]
pub fn phone_tail(digits: &str) -> &str {
    digits
        .get(digits.len().saturating_sub(7)..)
        .unwrap_or(digits)
}

/// USPS Publication 28 (Appendix C1) street suffixes: common spelling → standard
/// abbreviation.
const STREET_SUFFIXES: &[(&str, &str)] = &[
    ("alley", "aly"),
    ("allee", "aly"),
    ("annex", "anx"),
    ("arcade", "arc"),
    ("avenue", "ave"),
    ("av", "ave"),
    ("aven", "ave"),
    ("avenu", "ave"),
    ("avn", "ave"),
    ("bayou", "byu"),
    ("beach", "bch"),
    ("bend", "bnd"),
    ("bluff", "blf"),
    ("bottom", "btm"),
    ("boulevard", "blvd"),
    ("boul", "blvd"),
    ("boulv", "blvd"),
    ("branch", "br"),
    ("bridge", "brg"),
    ("brook", "brk"),
    ("bypass", "byp"),
    ("camp", "cp"),
    ("canyon", "cyn"),
    ("cape", "cpe"),
    ("causeway", "cswy"),
    ("center", "ctr"),
    ("centre", "ctr"),
    ("circle", "cir"),
    ("circ", "cir"),
    ("cliff", "clf"),
    ("club", "clb"),
    ("common", "cmn"),
    ("corner", "cor"),
    ("course", "crse"),
    ("court", "ct"),
    ("cove", "cv"),
    ("creek", "crk"),
    ("crescent", "cres"),
    ("crossing", "xing"),
    ("drive", "dr"),
    ("driv", "dr"),
    ("drv", "dr"),
    ("estate", "est"),
    ("estates", "ests"),
    ("expressway", "expy"),
    ("extension", "ext"),
    ("falls", "fls"),
    ("ferry", "fry"),
    ("field", "fld"),
    ("fields", "flds"),
    ("forest", "frst"),
    ("fork", "frk"),
    ("fort", "ft"),
    ("freeway", "fwy"),
    ("garden", "gdn"),
    ("gardens", "gdns"),
    ("gateway", "gtwy"),
    ("glen", "gln"),
    ("green", "grn"),
    ("grove", "grv"),
    ("harbor", "hbr"),
    ("haven", "hvn"),
    ("heights", "hts"),
    ("highway", "hwy"),
    ("hiway", "hwy"),
    ("hill", "hl"),
    ("hills", "hls"),
    ("hollow", "holw"),
    ("island", "is"),
    ("junction", "jct"),
    ("key", "ky"),
    ("knoll", "knl"),
    ("lake", "lk"),
    ("lakes", "lks"),
    ("landing", "lndg"),
    ("lane", "ln"),
    ("light", "lgt"),
    ("lodge", "ldg"),
    ("manor", "mnr"),
    ("meadow", "mdw"),
    ("meadows", "mdws"),
    ("mill", "ml"),
    ("mission", "msn"),
    ("motorway", "mtwy"),
    ("mount", "mt"),
    ("mountain", "mtn"),
    ("orchard", "orch"),
    ("parkway", "pkwy"),
    ("parkwy", "pkwy"),
    ("pkway", "pkwy"),
    ("pass", "pass"),
    ("pike", "pike"),
    ("pines", "pnes"),
    ("place", "pl"),
    ("plain", "pln"),
    ("plaza", "plz"),
    ("point", "pt"),
    ("port", "prt"),
    ("prairie", "pr"),
    ("ranch", "rnch"),
    ("ridge", "rdg"),
    ("river", "riv"),
    ("road", "rd"),
    ("route", "rte"),
    ("shore", "shr"),
    ("spring", "spg"),
    ("springs", "spgs"),
    ("square", "sq"),
    ("station", "sta"),
    ("stream", "strm"),
    ("street", "st"),
    ("str", "st"),
    ("strt", "st"),
    ("summit", "smt"),
    ("terrace", "ter"),
    ("trace", "trce"),
    ("trail", "trl"),
    ("tunnel", "tunl"),
    ("turnpike", "tpke"),
    ("union", "un"),
    ("valley", "vly"),
    ("view", "vw"),
    ("village", "vlg"),
    ("ville", "vl"),
    ("vista", "vis"),
    ("walk", "walk"),
    ("way", "way"),
    ("wells", "wls"),
];

/// USPS Publication 28 directionals (Appendix B) and secondary unit designators
/// (Appendix C2).
const OTHER_WORDS: &[(&str, &str)] = &[
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    ("northeast", "ne"),
    ("northwest", "nw"),
    ("southeast", "se"),
    ("southwest", "sw"),
    ("apartment", "apt"),
    ("basement", "bsmt"),
    ("building", "bldg"),
    ("department", "dept"),
    ("floor", "fl"),
    ("front", "frnt"),
    ("hangar", "hngr"),
    ("lobby", "lbby"),
    ("lot", "lot"),
    ("lower", "lowr"),
    ("office", "ofc"),
    ("penthouse", "ph"),
    ("room", "rm"),
    ("space", "spc"),
    ("suite", "ste"),
    ("trailer", "trlr"),
    ("unit", "unit"),
    ("upper", "uppr"),
    ("number", "apt"),
    ("no", "apt"),
    ("post", "po"),
    ("box", "box"),
];

/// The USPS Publication 28 abbreviation of one cleaned address word, or the word itself.
#[must_use]
pub fn address_word(word: &str) -> &str {
    // A table lookup, not a scan of the ~250 pairs: every word of every address passes here.
    static TABLE: std::sync::OnceLock<rustc_hash::FxHashMap<&str, &str>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = rustc_hash::FxHashMap::default();
        for (long, short) in STREET_SUFFIXES.iter().chain(OTHER_WORDS) {
            // The first pair for a word wins, as in the lists' order.
            t.entry(*long).or_insert(*short);
        }
        t
    });
    table.get(word).copied().unwrap_or(word)
}

/// US state and territory codes and Australian state abbreviations: the word before a
/// postal code that names the state.
const STATES: &[&str] = &[
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "dc", "fl", "ga", "hi", "id", "il", "in", "ia",
    "ks", "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm",
    "ny", "nc", "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa",
    "wv", "wi", "wy", "pr", "gu", "vi", "nsw", "vic", "qld", "sa", "tas", "act", "nt",
];

/// Whether an (abbreviated) address word is a street type of Publication 28 (`st`, `rd`).
fn is_street_type(word: &str) -> bool {
    static TYPES: std::sync::OnceLock<rustc_hash::FxHashSet<&str>> = std::sync::OnceLock::new();
    TYPES
        .get_or_init(|| STREET_SUFFIXES.iter().map(|(_, short)| *short).collect())
        .contains(word)
}

/// Whether an (abbreviated) address word names a secondary unit (`apt`, `ste`, `unit`).
fn is_unit_word(word: &str) -> bool {
    matches!(
        word,
        "apt"
            | "bsmt"
            | "bldg"
            | "dept"
            | "fl"
            | "lot"
            | "ofc"
            | "ph"
            | "rm"
            | "spc"
            | "ste"
            | "trlr"
            | "unit"
            | "flat"
            | "shop"
    )
}

/// An address reduced to comparable parts: house number, street name and type, unit,
/// locality, state and postal code, each cleaned and abbreviated per Publication 28.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// Every word, cleaned and abbreviated, in order, joined by single spaces: two
    /// addresses with the same words have the same text.
    pub text: String,
    /// The house number (`"12b"`), if any.
    pub number: Option<String>,
    /// The postal code: 4 or 5 digits at the end (the ZIP5 of a ZIP+4).
    pub zip: Option<String>,
    /// The street name without its type (`"n main"` of `123 N Main St`).
    pub street: Option<String>,
    /// The street type (`"st"`, `"rd"`).
    pub street_type: Option<String>,
    /// The unit (`"4b"` of `Apt 4B`, `3` of `3/12 Smith St`).
    pub unit: Option<String>,
    /// The town or suburb.
    pub locality: Option<String>,
    /// The state, as its code.
    pub state: Option<String>,
}

impl Address {
    /// Parses and normalises a one-line address (parts separated by commas or not);
    /// `None` when it is blank.
    ///
    /// Words are borrowed from each segment's cleaned text (or are the static
    /// abbreviations) until a part is found: this runs for every stored contact an import
    /// keys and every candidate it scores, so it allocates only the parts it keeps.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Address> {
        let mut unit: Option<&str> = None;
        // Segments as written ("8 spring range road, jessiefield, villawood, wa 2213"),
        // cleaned. A leading `3/12` is unit 3 of number 12.
        let mut cleaned: Vec<String> = Vec::new();
        for part in raw.split([',', '\n', ';']) {
            let part = part.trim();
            let part = match part.split_once('/') {
                Some((u, rest))
                    if !u.is_empty()
                        && u.len() <= 5
                        && u.chars().all(|c| c.is_ascii_alphanumeric())
                        && rest.starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    unit = Some(u);
                    rest
                }
                _ => part,
            };
            let c = if part.contains('#') {
                clean(&part.replace('#', " apt "))
            } else {
                clean(part)
            };
            if !c.is_empty() {
                cleaned.push(c);
            }
        }
        if cleaned.is_empty() {
            return None;
        }
        let mut a = Address {
            unit: unit.map(str::to_ascii_lowercase),
            ..Address::default()
        };
        // Each segment a list of abbreviated words.
        let mut segments: Vec<Vec<&str>> = cleaned
            .iter()
            .map(|c| c.split(' ').map(address_word).collect())
            .collect();
        let words: Vec<&str> = segments.iter().flatten().copied().collect();
        a.text = words.join(" ");
        // The postal code: the last word of 4 or 5 digits that is not the first word (the
        // ZIP5 of a ZIP+4).
        let all_digits = |w: &str, n: usize| w.len() == n && w.bytes().all(|c| c.is_ascii_digit());
        let zip_at = (1..words.len()).rev().find(|&i| {
            let w = words.get(i).copied().unwrap_or("");
            let plus4 = all_digits(w, 4) && words.get(i - 1).is_some_and(|p| all_digits(p, 5));
            (all_digits(w, 5) || all_digits(w, 4)) && !plus4
        });
        // The postal code and the state before it come off the end of their segment.
        if let Some(zip_at) = zip_at {
            let mut seen = 0;
            for seg in &mut segments {
                if zip_at < seen + seg.len() {
                    let i = zip_at - seen;
                    a.zip = Some(seg.remove(i).to_string());
                    // A ZIP+4's four digits follow it.
                    if seg.get(i).is_some_and(|w| all_digits(w, 4)) {
                        seg.remove(i);
                    }
                    if i > 0 && seg.get(i - 1).is_some_and(|w| STATES.contains(w)) {
                        a.state = Some(seg.remove(i - 1).to_string());
                    } else if seg.get(i).is_some_and(|w| STATES.contains(w)) {
                        a.state = Some(seg.remove(i).to_string());
                    }
                    break;
                }
                seen += seg.len();
            }
        }
        if a.state.is_none()
            && let Some(last) = segments.last_mut()
            && last.len() > 1
            && last.last().is_some_and(|w| STATES.contains(w))
        {
            a.state = last.pop().map(str::to_string);
        }
        // A unit on a line of its own ("Apartment 4B") or after the street.
        let unit_like = |u: &str| u.chars().any(|c| c.is_ascii_digit()) || u.len() <= 2;
        for seg in &mut segments {
            if let Some(i) = seg.iter().position(|w| is_unit_word(w))
                && seg.get(i + 1).is_some_and(|u| unit_like(u))
                && i + 2 == seg.len()
            {
                a.unit = seg.pop().map(str::to_string);
                seg.pop();
            }
        }
        segments.retain(|s| !s.is_empty());
        // The street's segment: the one with the house number, else the first of several.
        let digit = |w: &&str| w.starts_with(|c: char| c.is_ascii_digit());
        let street_at = segments
            .iter()
            .position(|seg| seg.iter().take(3).any(digit))
            .or((segments.len() > 1).then_some(0));
        let mut rest: Vec<&str> = Vec::new();
        if let Some(i) = street_at {
            let seg = segments.remove(i);
            let mut words = seg.into_iter().peekable();
            let mut street: Vec<&str> = Vec::new();
            let mut street_type: Option<&str> = None;
            while let Some(w) = words.next() {
                if is_unit_word(w) {
                    if let Some(u) = words.next_if(|u| unit_like(u)) {
                        a.unit = Some(u.to_string());
                    }
                } else if a.number.is_none() && street.is_empty() && digit(&w) {
                    a.number = Some(w.to_string());
                } else if street_type.is_none()
                    && !street.is_empty()
                    && is_street_type(w)
                    && words.peek().is_none_or(|n| !is_street_type(n))
                {
                    street_type = Some(w);
                } else if street_type.is_some() {
                    // Words after the street type: the locality, when written on one line.
                    rest.push(w);
                } else {
                    street.push(w);
                }
            }
            // A street type run into the name ("blameycrescent", a keying slip) is split off.
            if street_type.is_none()
                && let Some(last) = street.last_mut()
                && let Some((long, short)) = STREET_SUFFIXES.iter().find(|(long, _)| {
                    long.len() >= 4 && last.len() >= long.len() + 3 && last.ends_with(long)
                })
            {
                let whole: &str = last;
                *last = whole.get(..whole.len() - long.len()).unwrap_or(whole);
                street_type = Some(*short);
            }
            a.street_type = street_type.map(str::to_string);
            if !street.is_empty() {
                a.street = Some(street.join(" "));
            }
        }
        // The locality: the segment nearest the end (a second address line before it is
        // not compared), else the words after the street type.
        a.locality = segments
            .last()
            .map(|s| s.join(" "))
            .or_else(|| (!rest.is_empty()).then(|| rest.join(" ")));
        Some(a)
    }
}

/// Legal-form words stripped from organisation names before they are compared.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "pac",
    "plc",
    "pllc",
    "pc",
    "gmbh",
    "sa",
    "ag",
    "nv",
    "bv",
];

/// An organisation name for comparison: cleaned, `&` read as `and`, a leading `the` and
/// trailing legal-form words (Inc, LLC, Ltd, Corp, Co, PAC …) removed.
#[must_use]
pub fn organisation(raw: &str) -> String {
    let cleaned = clean(&raw.replace('&', " and "));
    let mut words: Vec<&str> = cleaned.split(' ').filter(|w| !w.is_empty()).collect();
    if words.first() == Some(&"the") && words.len() > 1 {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// Words too common in organisation names to find candidates by.
const GENERIC_ORG_WORDS: &[&str] = &[
    "and",
    "of",
    "for",
    "the",
    "association",
    "committee",
    "foundation",
    "fund",
    "group",
    "national",
    "american",
    "services",
    "partners",
    "society",
    "council",
    "center",
    "international",
    "united",
    "friends",
    "club",
    "church",
    "school",
    "union",
    "local",
];

/// The distinctive words of a normalised organisation name (4 letters or more, not generic).
pub fn organisation_tokens(org: &str) -> impl Iterator<Item = &str> {
    org.split(' ')
        .filter(|w| w.len() >= 4 && !GENERIC_ORG_WORDS.contains(w))
}

/// American Soundex of a cleaned name (`"robert"` → `"R163"`); empty for a name without
/// letters.
#[must_use]
pub fn soundex(name: &str) -> String {
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => '1',
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
        'd' | 't' => '3',
        'l' => '4',
        'm' | 'n' => '5',
        'r' => '6',
        'h' | 'w' => '-',
        _ => '0',
    };
    let mut letters = name.chars().filter(char::is_ascii_alphabetic);
    let Some(first) = letters.next() else {
        return String::new();
    };
    let mut out = String::with_capacity(4);
    out.push(first.to_ascii_uppercase());
    let mut last = code(first);
    for c in letters {
        let d = code(c);
        if d == '-' {
            // H and W do not separate equal codes.
            continue;
        }
        if d != '0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_folds_case_accents_and_punctuation() {
        assert_eq!(clean("  José  O'Brien-Smith, Jr. "), "jose obrien smith jr");
        assert_eq!(
            clean("ŁÓDŹ İstanbul ǅ Straße 12½ —x"),
            "lodz i stanbul ǆ straße 12½ x"
        );
    }

    #[test]
    fn clean_fast_path_agrees_with_the_unicode_tables() {
        let pool: Vec<char> = (' '..='~')
            .chain("ÀÉÎÕÜàéîõüÇçÑñŁłŠšŽžØøİıǅßẞ½²’‘ -—\u{307}\u{301}\t\n\u{a0}日本".chars())
            .collect();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if let Some(&c) = pool.get(usize::try_from(x % pool.len() as u64).unwrap_or(0)) {
                    s.push(c);
                }
            }
            assert_eq!(clean(&s), clean_chars(&s, false), "{s:?}");
        }
        assert_eq!(name("Dr. Mary-Ann"), "maryann");
        assert_eq!(suffix("Junior"), "jr");
        assert_eq!(suffix("3rd"), "iii");
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(email(" Ann@Example.ORG "), Some("ann@example.org".into()));
        assert_eq!(email("n/a"), None);
        assert_eq!(email("a@.com"), None);
        assert_eq!(phone("+1 (555) 010-0199"), Some("5550100199".into()));
        assert_eq!(phone("555-0100 x12"), Some("5550100".into()));
        assert_eq!(phone("12"), None);
        assert_eq!(phone_tail("5550100199"), "0100199");
    }

    #[test]
    fn addresses_use_publication_28_abbreviations() {
        let a = Address::parse("123 North Main Street, Apartment 4B, Springfield IL 62704-1234")
            .unwrap();
        assert_eq!(a.text, "123 n main st apt 4b springfield il 62704 1234");
        assert_eq!(a.number.as_deref(), Some("123"));
        assert_eq!(a.zip.as_deref(), Some("62704"));
        let b = Address::parse("123 N. Main St. #4B Springfield, IL 62704").unwrap();
        assert_eq!(b.text, "123 n main st apt 4b springfield il 62704");
        for (long, short) in [
            ("avenue", "ave"),
            ("boulevard", "blvd"),
            ("suite", "ste"),
            ("southwest", "sw"),
            ("parkway", "pkwy"),
            ("court", "ct"),
            ("lane", "ln"),
        ] {
            assert_eq!(address_word(long), short);
        }
        assert_eq!(Address::parse("  "), None);
        // The parts the `a:` blocking key is made of, and none without both.
        for (raw, zip_and_number) in [
            (
                "123 North Main Street, Apartment 4B, Springfield IL 62704-1234",
                Some(("62704", "123")),
            ),
            ("12b Elm Rd 9021", Some(("9021", "12b"))),
            ("PO Box 7, Springfield", None),
            ("Main Street 62704", None),
            ("", None),
        ] {
            let parsed = Address::parse(raw).and_then(|a| Some((a.zip?, a.number?)));
            let want = zip_and_number.map(|(z, n)| (z.to_string(), n.to_string()));
            assert_eq!(parsed, want, "{raw}");
        }
    }

    #[test]
    fn organisations_lose_legal_suffixes() {
        assert_eq!(organisation("Acme, Inc."), "acme");
        assert_eq!(organisation("ACME Corp"), "acme");
        assert_eq!(
            organisation("The Smith & Jones Co., LLC"),
            "smith and jones"
        );
        assert_eq!(organisation("Friends of Parks PAC"), "friends of parks");
        assert_eq!(organisation("Ltd"), "ltd");
        let tokens: Vec<&str> = organisation_tokens("national wildlife fund").collect();
        assert_eq!(tokens, ["wildlife"]);
    }

    #[test]
    fn soundex_codes() {
        assert_eq!(soundex("robert"), "R163");
        assert_eq!(soundex("rupert"), "R163");
        assert_eq!(soundex("ashcraft"), "A261");
        assert_eq!(soundex("tymczak"), "T522");
        assert_eq!(soundex("smith"), soundex("smyth"));
        assert_eq!(soundex(""), "");
    }
}
