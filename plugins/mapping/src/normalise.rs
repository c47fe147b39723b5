//! Value normalisation for the computed template fields: interaction and contact types,
//! dates (to UTC ISO-8601) and money (to integer cents).
//!
//! Every function returns `None` (or the input) for values it cannot read, never a guess:
//! the validator then rejects the row with the original text in the reason.

use std::borrow::Cow;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// The canonical interaction types, in the order the validator lists them.
pub const INTERACTION_TYPES: [&str; 7] =
    ["Call", "Email", "Text", "Meeting", "Thank", "App", "Mail"];

/// The canonical interaction type of `raw`, or `raw` trimmed when it is not a known spelling.
#[must_use]
pub fn interaction_type(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim();
    // Most files already use the canonical names: no allocation for them.
    if INTERACTION_TYPES.contains(&trimmed) {
        return Cow::Borrowed(trimmed);
    }
    Cow::Borrowed(match lower_words(trimmed).as_str() {
        // A bare "Phone" is not mapped: SPEC §1 rejects it (it may name a phone bank, a
        // text or a call), and the reason lists the allowed types.
        "call" | "phone call" => "Call",
        "email" | "e-mail" => "Email",
        "text" | "sms" | "text message" => "Text",
        "meeting" | "mtg" => "Meeting",
        "thank" | "thank you" | "thank you note" | "thank-you" => "Thank",
        "app" => "App",
        "mail" | "letter" => "Mail",
        _ => trimmed,
    })
}

/// `individual` or `organization` for their spellings, else `raw` trimmed.
#[must_use]
pub fn contact_type(raw: &str) -> Cow<'_, str> {
    let trimmed = raw.trim();
    if trimmed == "individual" || trimmed == "organization" {
        return Cow::Borrowed(trimmed);
    }
    Cow::Borrowed(match lower_words(trimmed).as_str() {
        "individual" | "person" => "individual",
        "organization" | "organisation" | "org" | "company" => "organization",
        _ => trimmed,
    })
}

/// Lower-cased with runs of whitespace collapsed to one space, for comparing spellings.
fn lower_words(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Which of the first two numbers of a numeric date is the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `3/4/2025` is March 4 (US).
    Mdy,
    /// `3/4/2025` is 3 April.
    Dmy,
}

impl DateOrder {
    /// The parameter spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::Mdy => "mdy",
            DateOrder::Dmy => "dmy",
        }
    }
}

/// A date read from a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedDate {
    /// The instant in UTC, formatted `YYYY-MM-DDTHH:MM:SSZ`.
    pub utc: String,
    /// The calendar date as written (before any time zone conversion).
    pub local_date: NaiveDate,
    /// For a numeric date valid in both orders that differ (3/4/2025): the calendar date
    /// the other order gives, so the row can be flagged.
    pub other_reading: Option<NaiveDate>,
}

/// Reads a date (and time) and converts it to UTC. Local times are in `tz` unless the value
/// carries an offset. `None` when it is not a date or not a possible one.
#[must_use]
pub fn date(raw: &str, order: DateOrder, tz: Tz) -> Option<ParsedDate> {
    let s = raw.trim();
    let (local, offset, other_reading) = parse_local(s, order)?;
    let utc = match offset {
        Some(off) => off
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
        None => local_to_utc(&local, tz)?,
    };
    // A date written in years 0000-9999 can land outside them in UTC ("9999-12-31 23:00" in
    // New York); such an instant has no `YYYY-MM-DDTHH:MM:SSZ` form, and is no real date.
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    Some(ParsedDate {
        utc: iso_utc(&utc.naive_utc()),
        local_date: local.date(),
        other_reading,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`, written by hand: chrono's format strings are interpreted on
/// every call, which made them most of the cost of a date.
fn iso_utc(t: &NaiveDateTime) -> String {
    fn two(out: &mut String, n: u32) {
        out.push(char::from(b'0' + u8::try_from(n / 10 % 10).unwrap_or(0)));
        out.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
    }
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999);
    let Some(year) = year else {
        return t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    };
    let mut out = String::with_capacity(20);
    two(&mut out, year / 100);
    two(&mut out, year % 100);
    out.push('-');
    two(&mut out, t.month());
    out.push('-');
    two(&mut out, t.day());
    out.push('T');
    two(&mut out, t.hour());
    out.push(':');
    two(&mut out, t.minute());
    out.push(':');
    two(&mut out, t.second());
    out.push('Z');
    out
}

/// A local wall-clock time in `tz` as UTC. In the hour skipped by a DST change the offset
/// in force before it is used; in the hour repeated, the earlier instant.
fn local_to_utc(local: &NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            let before = tz
                .from_local_datetime(&(*local - Duration::hours(3)))
                .earliest()?;
            let offset = before.offset().fix();
            Some((*local - offset).and_utc())
        }
    }
}

type Local = (NaiveDateTime, Option<FixedOffset>, Option<NaiveDate>);

fn parse_local(s: &str, order: DateOrder) -> Option<Local> {
    if s.is_empty() {
        return None;
    }
    if let Some(serial) = excel_serial(s) {
        return Some((serial, None, None));
    }
    let (date_part, rest) = split_date(s);
    let (date, other) = parse_date(date_part, order)?;
    let (time, offset) = parse_time(rest)?;
    Some((NaiveDateTime::new(date, time), offset, other))
}

/// Splits `s` into the date and what follows it (a time, maybe an offset).
fn split_date(s: &str) -> (&str, &str) {
    // ISO: the date is exactly 10 characters, followed by `T` or a space.
    if let Some(b'0'..=b'9') = s.as_bytes().first()
        && s.get(4..5).is_some_and(|c| c == "-" || c == "/")
    {
        let cut = s.find(['T', 't', ' ']).unwrap_or(s.len());
        let (d, t) = s.split_at(cut);
        return (d, t.get(1..).unwrap_or_default());
    }
    // `March 4, 2025 10:30`: the time starts at the first word (after the first) holding a
    // `:`, ending in am/pm, or a bare hour followed by am/pm.
    let mut words = words_at(s).skip(1).peekable();
    while let Some((at, word)) = words.next() {
        let bare_hour = word.bytes().all(|b| b.is_ascii_digit())
            && words.peek().is_some_and(|(_, next)| is_meridiem(next));
        if word.contains(':') || bare_hour || has_meridiem_suffix(word) {
            return (
                s.get(..at).unwrap_or_default().trim(),
                s.get(at..).unwrap_or_default(),
            );
        }
    }
    (s, "")
}

/// The whitespace-separated words of `s` with their byte offsets.
fn words_at(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = s;
    let mut base = 0;
    std::iter::from_fn(move || {
        let start = rest.find(|c: char| !c.is_whitespace())?;
        let word_on = rest.get(start..)?;
        let len = word_on.find(char::is_whitespace).unwrap_or(word_on.len());
        let word = word_on.get(..len)?;
        let at = base + start;
        rest = word_on.get(len..)?;
        base = at + len;
        Some((at, word))
    })
}

const MERIDIEMS: [&str; 4] = ["am", "pm", "a.m.", "p.m."];

fn is_meridiem(w: &str) -> bool {
    MERIDIEMS.iter().any(|m| w.eq_ignore_ascii_case(m))
}

/// `9pm`, `10AM`: an hour with am/pm attached.
fn has_meridiem_suffix(w: &str) -> bool {
    MERIDIEMS.iter().any(|m| {
        w.len() > m.len()
            && w.get(w.len() - m.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(m))
            && w.get(..w.len() - m.len())
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug makes that the
/// epoch for every date after February 1900). Only 5-digit serials are taken, 1927 to 2173,
/// so a bare year or a small number is never read as a date.
fn excel_serial(s: &str) -> Option<NaiveDateTime> {
    let (days, fraction) = s.split_once('.').unwrap_or((s, ""));
    if days.len() != 5 || !days.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let days: i64 = days.parse().ok()?;
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let mut at = epoch.checked_add_signed(Duration::days(days))?;
    if !fraction.is_empty() {
        let fraction: f64 = format!("0.{fraction}").parse().ok()?;
        // Seconds in a day fit easily; rounding keeps 0.5 = noon exact.
        #[allow(clippy::cast_possible_truncation)]
        let seconds = (fraction * 86_400.0).round() as i64;
        at = at.checked_add_signed(Duration::seconds(seconds))?;
    }
    Some(at)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month named by `word`: full name or a 3+ letter prefix (`Mar`, `Sept`, `Sep.`).
fn month_name(word: &str) -> Option<u32> {
    let w = word.trim_end_matches(['.', ',']);
    if w.len() < 3 || !w.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let w = w.to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| m.starts_with(w.as_str()))?;
    u32::try_from(index + 1).ok()
}

/// A year as written: 4 digits, or 2 digits pivoted as Excel does (00–29 → 2000s).
fn year(s: &str) -> Option<i32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = s.parse().ok()?;
    match s.len() {
        4 => Some(y),
        2 if y < 30 => Some(2000 + y),
        2 => Some(1900 + y),
        _ => None,
    }
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The two leading numbers of a numeric date written with the year last (`17.03.2025`,
/// `3/4/25 10:30`) and whether it is dotted: the evidence of a column's day/month order.
/// `None` for every other form (ISO, month names, serials), which needs no order.
#[must_use]
pub fn day_month_numbers(raw: &str) -> Option<(u32, u32, bool)> {
    let s = raw.trim();
    if s.is_empty() || excel_serial(s).is_some() {
        return None;
    }
    let (date_part, _) = split_date(s);
    let mut parts = date_part
        .split(['/', '-', '.', ' ', ','])
        .filter(|p| !p.is_empty());
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    year(c)?;
    Some((number(a)?, number(b)?, date_part.contains('.')))
}

/// Parses the date part; also returns the other reading of an ambiguous numeric date.
fn parse_date(s: &str, order: DateOrder) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let mut parts = s.split(['/', '-', '.', ' ', ',']).filter(|p| !p.is_empty());
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // ISO and year-first: 2025-03-04, 2025/3/4.
    if a.len() == 4 && a.bytes().all(|x| x.is_ascii_digit()) {
        let date = NaiveDate::from_ymd_opt(year(a)?, number(b)?, number(c)?)?;
        return Some((date, None));
    }
    // Month names: March 4, 2025 / 4 March 2025 / 4-Mar-2025 / 04-Mar-25.
    if let Some(m) = month_name(a) {
        return Some((NaiveDate::from_ymd_opt(year(c)?, m, number(b)?)?, None));
    }
    if let Some(m) = month_name(b) {
        return Some((NaiveDate::from_ymd_opt(year(c)?, m, number(a)?)?, None));
    }
    // Numeric with the year last: the configured order decides, the other is noted.
    let (x, y, year) = (number(a)?, number(b)?, year(c)?);
    let (month, day, other_month, other_day) = match order {
        DateOrder::Mdy => (x, y, y, x),
        DateOrder::Dmy => (y, x, x, y),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let other = NaiveDate::from_ymd_opt(year, other_month, other_day).filter(|o| *o != date);
    Some((date, other))
}

/// Parses what follows the date: nothing (midnight), `H:MM[:SS[.fff]]` with an optional
/// AM/PM, `H AM`, and an optional offset (`Z`, `+05:00`, `-0500`, `+05`).
fn parse_time(s: &str) -> Option<(NaiveTime, Option<FixedOffset>)> {
    let s = s.trim();
    if s.is_empty() {
        return Some((NaiveTime::MIN, None));
    }
    let lower = s.to_ascii_lowercase();
    let (clock, offset) = split_offset(&lower)?;
    let clock = clock.trim();
    let (clock, meridiem) = match ["a.m.", "p.m.", "am", "pm"].iter().find_map(|m| {
        clock
            .strip_suffix(m)
            .map(|rest| (rest.trim_end(), m.starts_with('p')))
    }) {
        Some((rest, pm)) => (rest, Some(pm)),
        None => (clock, None),
    };
    let mut fields = clock.split(':');
    let hour = number(fields.next()?)?;
    let minute = match fields.next() {
        Some(m) if m.len() == 2 => number(m)?,
        Some(_) => return None,
        None if meridiem.is_some() => 0,
        None => return None,
    };
    let second = match fields.next() {
        Some(sec) => {
            let whole = sec.split_once('.').map_or(sec, |(w, f)| {
                if f.bytes().all(|b| b.is_ascii_digit()) {
                    w
                } else {
                    "x"
                }
            });
            if whole.len() != 2 {
                return None;
            }
            number(whole)?
        }
        None => 0,
    };
    if fields.next().is_some() {
        return None;
    }
    let hour = match meridiem {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    Some((NaiveTime::from_hms_opt(hour, minute, second)?, offset))
}

/// Splits a trailing UTC offset off a (lower-cased) time.
fn split_offset(s: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(clock) = s.strip_suffix('z') {
        return Some((clock, FixedOffset::east_opt(0)));
    }
    if let Some(clock) = s.strip_suffix("utc").or_else(|| s.strip_suffix("gmt")) {
        return Some((clock, FixedOffset::east_opt(0)));
    }
    // The sign of an offset comes after the clock's first digits; a `-` earlier is not one.
    let Some(at) = s.rfind(['+', '-']).filter(|&at| at > 0) else {
        return Some((s, None));
    };
    let (clock, off) = s.split_at(at);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off.get(1..)?.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits.get(..2)?.parse::<i32>().ok()?,
            digits.get(2..)?.parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some((
        clock,
        Some(FixedOffset::east_opt(sign * (h * 3600 + m * 60))?),
    ))
}

/// The decimal separator of money amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decimal {
    /// `1,250.00`
    Point,
    /// `1.250,00` or `1 250,00`
    Comma,
}

const CURRENCY_SYMBOLS: [char; 6] = ['$', '€', '£', '¥', '₹', '¢'];
const CURRENCY_CODES: [&str; 7] = ["usd", "eur", "gbp", "cad", "aud", "chf", "us"];

/// An amount of money as integer cents: `$1,250.00` → 125000, `12.5` → 1250, `(5)` → -500.
/// `None` when it is not an amount (or has more than two decimals: cents are the unit).
#[must_use]
pub fn money_cents(raw: &str, decimal: Decimal) -> Option<i64> {
    let mut s = raw.trim();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    s = strip_currency(s);
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = strip_currency(rest);
    }
    let (point, groups): (char, &[char]) = match decimal {
        Decimal::Point => ('.', &[',', ' ', '\u{a0}', '\u{202f}', '\'']),
        Decimal::Comma => (',', &['.', ' ', '\u{a0}', '\u{202f}', '\'']),
    };
    let (int_part, frac) = match s.split_once(point) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let whole = grouped_integer(int_part, groups)?;
    let cents = match frac {
        None => 0,
        Some(f) if f.is_empty() && !int_part.is_empty() => 0,
        Some(f) if f.len() <= 2 && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let v: i64 = f.parse().ok()?;
            if f.len() == 1 { v * 10 } else { v }
        }
        Some(_) => return None,
    };
    if int_part.is_empty() && frac.is_none() {
        return None;
    }
    let total = whole.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -total } else { total })
}

fn strip_currency(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        // The common case, a bare number, leaves at once.
        if s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
            && s.ends_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return s;
        }
        let before = s.len();
        s = s
            .trim_start_matches(CURRENCY_SYMBOLS)
            .trim_end_matches(CURRENCY_SYMBOLS)
            .trim();
        for code in CURRENCY_CODES {
            let n = code.len();
            if let (Some(head), Some(rest)) = (s.get(..n), s.get(n..))
                && head.eq_ignore_ascii_case(code)
                && !rest.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                s = rest.trim();
            }
            if s.len() > n
                && let (Some(rest), Some(tail)) = (s.get(..s.len() - n), s.get(s.len() - n..))
                && tail.eq_ignore_ascii_case(code)
                && !rest.ends_with(|c: char| c.is_ascii_alphabetic())
            {
                s = rest.trim();
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// The integer part of an amount: plain digits, or digit groups of three after the first
/// (`1,250,000`), all split by the same separator. Empty reads as 0 (`.50`).
fn grouped_integer(s: &str, groups: &[char]) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let Some(sep) = s.chars().find(|c| groups.contains(c)) else {
        return if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        };
    };
    let mut parts = s.split(sep);
    let first = parts.next()?;
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = first.parse().ok()?;
    for part in parts {
        if part.len() != 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let group: i64 = part.parse().ok()?;
        value = value.checked_mul(1000)?.checked_add(group)?;
    }
    Some(value)
}

/// A calendar date for messages: `2025-04-03`.
#[must_use]
pub fn ymd(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_types() {
        let table = [
            ("Call", "Call"),
            (" phone call ", "Call"),
            ("PHONE", "PHONE"),
            ("Phone  Call", "Call"),
            ("e-mail", "Email"),
            ("EMAIL", "Email"),
            ("sms", "Text"),
            ("Text Message", "Text"),
            ("mtg", "Meeting"),
            ("meeting", "Meeting"),
            ("thank you", "Thank"),
            ("Thank You Note", "Thank"),
            ("thank-you", "Thank"),
            ("letter", "Mail"),
            ("mail", "Mail"),
            ("app", "App"),
            (" Phonecall ", "Phonecall"),
            ("", ""),
        ];
        for (raw, want) in table {
            assert_eq!(interaction_type(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn contact_types() {
        let table = [
            ("Individual", "individual"),
            ("person", "individual"),
            ("ORG", "organization"),
            ("Organisation", "organization"),
            ("company", "organization"),
            (" household ", "household"),
        ];
        for (raw, want) in table {
            assert_eq!(contact_type(raw), want, "{raw:?}");
        }
    }

    fn utc(raw: &str, order: DateOrder, tz: &str) -> Option<String> {
        date(raw, order, tz.parse().unwrap()).map(|d| d.utc)
    }

    #[test]
    fn dates() {
        use DateOrder::{Dmy, Mdy};
        let ny = "America/New_York";
        let table: &[(&str, DateOrder, &str, Option<&str>)] = &[
            ("2025-03-04", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("2025-03-04", Mdy, ny, Some("2025-03-04T05:00:00Z")),
            ("2025-03-04T10:30:00", Mdy, ny, Some("2025-03-04T15:30:00Z")),
            ("2025-03-04 10:30", Mdy, ny, Some("2025-03-04T15:30:00Z")),
            (
                "2025-03-04T10:30:00-05:00",
                Mdy,
                "UTC",
                Some("2025-03-04T15:30:00Z"),
            ),
            (
                "2025-03-04T10:30:00Z",
                Mdy,
                ny,
                Some("2025-03-04T10:30:00Z"),
            ),
            (
                "2025-03-04T10:30:00.250+0100",
                Mdy,
                ny,
                Some("2025-03-04T09:30:00Z"),
            ),
            ("2025-07-04 10:30", Mdy, ny, Some("2025-07-04T14:30:00Z")),
            ("3/4/2025", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("3/4/2025", Dmy, "UTC", Some("2025-04-03T00:00:00Z")),
            ("3/4/25", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("12/31/99", Mdy, "UTC", Some("1999-12-31T00:00:00Z")),
            ("3/4/2025 9:05", Mdy, ny, Some("2025-03-04T14:05:00Z")),
            ("3/4/2025 9:05:30", Mdy, "UTC", Some("2025-03-04T09:05:30Z")),
            ("3/4/2025 9:05 PM", Mdy, "UTC", Some("2025-03-04T21:05:00Z")),
            (
                "3/4/2025 12:00 am",
                Mdy,
                "UTC",
                Some("2025-03-04T00:00:00Z"),
            ),
            (
                "3/4/2025 12:15 PM",
                Mdy,
                "UTC",
                Some("2025-03-04T12:15:00Z"),
            ),
            ("3/4/2025 9pm", Mdy, "UTC", Some("2025-03-04T21:00:00Z")),
            ("March 4, 2025", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("Mar 4 2025 10:30", Mdy, "UTC", Some("2025-03-04T10:30:00Z")),
            ("4 March 2025", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("4-Mar-2025", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("04-Mar-25", Dmy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("45720", Mdy, "UTC", Some("2025-03-04T00:00:00Z")),
            ("45720.5", Mdy, "UTC", Some("2025-03-04T12:00:00Z")),
            // 02:30 does not exist on 2025-03-09 in New York: the EST offset is used.
            ("2025-03-09 02:30", Mdy, ny, Some("2025-03-09T07:30:00Z")),
            // 01:30 happens twice on 2025-11-02: the earlier one (EDT).
            ("2025-11-02 01:30", Mdy, ny, Some("2025-11-02T05:30:00Z")),
            ("13/13/2025", Mdy, "UTC", None),
            ("2/30/2025", Mdy, "UTC", None),
            ("2/29/2024", Mdy, "UTC", Some("2024-02-29T00:00:00Z")),
            ("2025-02-30", Mdy, "UTC", None),
            ("3/4/2025 25:00", Mdy, "UTC", None),
            ("3/4/2025 13:00 PM", Mdy, "UTC", None),
            ("yesterday", Mdy, "UTC", None),
            ("2025", Mdy, "UTC", None),
            ("", Mdy, "UTC", None),
            // In UTC these fall in year 10000 or -1, which were written as
            // "+10000-01-01T04:00:00Z" and "-0001-12-31T18:18:44Z", unreadable downstream.
            ("9999-12-31 23:00", Mdy, ny, None),
            ("0000-01-01", Mdy, "Asia/Kathmandu", None),
            ("9999-12-31 23:00", Mdy, "UTC", Some("9999-12-31T23:00:00Z")),
            ("0000-01-01", Mdy, "UTC", Some("0000-01-01T00:00:00Z")),
        ];
        for (raw, order, tz, want) in table {
            assert_eq!(
                utc(raw, *order, tz).as_deref(),
                *want,
                "{raw:?} ({}, {tz})",
                order.as_str()
            );
        }
    }

    #[test]
    fn words_know_their_offsets() {
        let s = "Mar\u{a0}4  2025\t10:30 ";
        let words: Vec<_> = words_at(s).collect();
        assert_eq!(words, [(0, "Mar"), (5, "4"), (8, "2025"), (13, "10:30")]);
        assert_eq!(s.get(13..18), Some("10:30"));
    }

    #[test]
    fn ambiguous_dates_know_their_other_reading() {
        let tz: Tz = "UTC".parse().unwrap();
        let other = |raw: &str| {
            date(raw, DateOrder::Mdy, tz)
                .unwrap()
                .other_reading
                .map(ymd)
        };
        assert_eq!(other("3/4/2025").as_deref(), Some("2025-04-03"));
        assert_eq!(other("3/3/2025"), None);
        assert_eq!(other("3/13/2025"), None);
        assert_eq!(other("2025-03-04"), None);
    }

    #[test]
    fn money() {
        let table: &[(&str, Decimal, Option<i64>)] = &[
            ("$1,250.00", Decimal::Point, Some(125_000)),
            ("1250", Decimal::Point, Some(125_000)),
            ("12.5", Decimal::Point, Some(1250)),
            ("0.99", Decimal::Point, Some(99)),
            (".50", Decimal::Point, Some(50)),
            ("12.", Decimal::Point, Some(1200)),
            (" $ 25 ", Decimal::Point, Some(2500)),
            ("USD 1,000,000", Decimal::Point, Some(100_000_000)),
            ("25 usd", Decimal::Point, Some(2500)),
            ("-$5", Decimal::Point, Some(-500)),
            ("($5.00)", Decimal::Point, Some(-500)),
            ("0", Decimal::Point, Some(0)),
            ("1 250,00", Decimal::Comma, Some(125_000)),
            ("1.250,5", Decimal::Comma, Some(125_050)),
            ("€12,50", Decimal::Comma, Some(1250)),
            ("1,25", Decimal::Point, None),
            ("12.345", Decimal::Point, None),
            ("1,2345", Decimal::Point, None),
            ("abc", Decimal::Point, None),
            ("$", Decimal::Point, None),
            ("", Decimal::Point, None),
            ("1e5", Decimal::Point, None),
            ("99999999999999999999", Decimal::Point, None),
        ];
        for (raw, decimal, want) in table {
            assert_eq!(money_cents(raw, *decimal), *want, "{raw:?} ({decimal:?})");
        }
    }
}
