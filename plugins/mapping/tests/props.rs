//! Property tests of the normalisers: no cell makes one panic, and the values they write
//! read back as themselves (ISO dates, UTC instants, E.164 phones, emails, names), as do
//! amounts formatted from cents.

use chrono::NaiveDate;
use proptest::prelude::*;
use sluice_plugin_mapping::contact::{self, Region};
use sluice_plugin_mapping::headers;
use sluice_plugin_mapping::normalise::{self, DateOrder, Decimal};

/// Zones with odd offsets and DST rules: half hours, 45 minutes, a skipped day.
const ZONES: [&str; 7] = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Pacific/Apia",
];

fn zone() -> impl Strategy<Value = chrono_tz::Tz> {
    prop::sample::select(ZONES.to_vec()).prop_map(|z| z.parse().unwrap_or(chrono_tz::UTC))
}

fn order() -> impl Strategy<Value = DateOrder> {
    prop::sample::select(vec![DateOrder::Mdy, DateOrder::Dmy])
}

fn region() -> impl Strategy<Value = Region> {
    prop::sample::select(contact::REGIONS.iter().map(|r| r.0).collect::<Vec<_>>())
        .prop_filter_map("a known region", Region::named)
}

/// `1234567` → `1,234,567` with `sep` between groups of three.
fn grouped(n: u64, sep: &str) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// Text with the characters dates, amounts and phones are made of, plus some that are not.
const CELLISH: &str = "[0-9/:.,+\\-() $€TZampAMPx#@a-z\u{a0}]{0,30}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text, any options: a value or a refusal, never a panic.
    #[test]
    fn arbitrary_cells_never_panic(
        cell in prop_oneof![any::<String>(), CELLISH],
        tz in zone(),
        order in order(),
        region in region(),
    ) {
        if let Some(d) = normalise::date(&cell, order, tz) {
            // What it writes is a UTC instant it reads back as itself.
            let again = normalise::date(&d.utc, order, tz).map(|p| p.utc);
            prop_assert_eq!(again.as_deref(), Some(d.utc.as_str()), "from {:?}", cell);
        }
        let _ = normalise::money_cents(&cell, Decimal::Point);
        let _ = normalise::money_cents(&cell, Decimal::Comma);
        let _ = contact::phone(&cell, region);
        let _ = contact::email(&cell);
        let _ = contact::split_name(&cell, false);
        let _ = contact::split_name(&cell, true);
        let _ = headers::match_header(&cell);
        let _ = normalise::interaction_type(&cell);
        let _ = normalise::contact_type(&cell);
    }

    /// An ISO date is that calendar date, at midnight UTC when the zone is UTC.
    #[test]
    fn iso_dates_read_as_themselves(
        day in (1i32..=9999, 1u32..=12, 1u32..=31)
            .prop_filter_map("a real date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        tz in zone(),
        order in order(),
    ) {
        let iso = normalise::ymd(day);
        let parsed = normalise::date(&iso, order, chrono_tz::UTC).unwrap_or_else(|| panic!("{iso}"));
        prop_assert_eq!(parsed.utc, format!("{iso}T00:00:00Z"));
        prop_assert_eq!(parsed.other_reading, None);
        // In any zone, the calendar date as written is kept.
        if let Some(local) = normalise::date(&iso, order, tz) {
            prop_assert_eq!(local.local_date, day);
            let again = normalise::date(&local.utc, order, tz).map(|p| p.utc);
            prop_assert_eq!(again, Some(local.utc));
        }
    }

    /// A UTC instant as the normaliser writes it reads back unchanged, in any zone.
    #[test]
    fn utc_instants_read_as_themselves(
        day in (1900i32..=2200, 1u32..=12, 1u32..=31)
            .prop_filter_map("a real date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        (h, min, s) in (0u32..24, 0u32..60, 0u32..60),
        tz in zone(),
        order in order(),
    ) {
        let instant = format!("{}T{h:02}:{min:02}:{s:02}Z", normalise::ymd(day));
        let parsed = normalise::date(&instant, order, tz).map(|p| p.utc);
        prop_assert_eq!(parsed, Some(instant));
    }

    /// Cents formatted the usual ways parse back to the same cents.
    #[test]
    fn money_formatted_from_cents_reads_back(cents in -(10i64.pow(15))..10i64.pow(15)) {
        let (whole, frac) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
        let sign = if cents < 0 { "-" } else { "" };
        let point = [
            format!("{sign}{whole}.{frac:02}"),
            format!("{sign}${}.{frac:02}", grouped(whole, ",")),
            format!("{sign}{} USD", grouped(whole, ",") + &format!(".{frac:02}")),
        ];
        for text in point {
            prop_assert_eq!(normalise::money_cents(&text, Decimal::Point), Some(cents), "{}", text);
        }
        let comma = [
            format!("{sign}{},{frac:02}", grouped(whole, ".")),
            format!("{sign}{},{frac:02} €", grouped(whole, "\u{a0}")),
        ];
        for text in comma {
            prop_assert_eq!(normalise::money_cents(&text, Decimal::Comma), Some(cents), "{}", text);
        }
        if cents < 0 {
            let accounting = format!("({}.{frac:02})", grouped(whole, ","));
            prop_assert_eq!(normalise::money_cents(&accounting, Decimal::Point), Some(cents));
        }
    }

    /// A number in E.164 normalises to itself, whatever the default region.
    #[test]
    fn e164_phones_read_as_themselves(
        number in "\\+[1-9][0-9]{7,14}",
        region in region(),
    ) {
        prop_assert_eq!(contact::phone(&number, region), Ok(number.clone()));
    }

    /// A US number written the usual ways is +1 and its ten digits, which normalise to
    /// themselves.
    #[test]
    fn national_phones_read_as_e164(digits in "[2-9][0-9]{2}[2-9][0-9]{6}") {
        let us = Region::named("US").unwrap_or_else(|| panic!("US is a region"));
        let (a, b, c) = (&digits[..3], &digits[3..6], &digits[6..]);
        let e164 = format!("+1{digits}");
        for written in [format!("({a}) {b}-{c}"), format!("{a}.{b}.{c}"), format!("1-{a}-{b}-{c}"), digits.clone()] {
            prop_assert_eq!(contact::phone(&written, us), Ok(e164.clone()), "{}", written);
        }
        prop_assert_eq!(contact::phone(&e164, us), Ok(e164.clone()));
    }

    /// Normalised emails and names are fixed points.
    #[test]
    fn emails_and_names_are_fixed_points(
        email in "[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,6}",
        name in any::<String>(),
    ) {
        if let Ok(e) = contact::email(&format!("  {email} ")) {
            prop_assert_eq!(contact::email(&e), Ok(e.clone()));
            prop_assert_eq!(e, email.to_lowercase());
        }
        let n = contact::name(&name);
        prop_assert_eq!(contact::name(&n), n.clone());
        prop_assert!(!n.starts_with(char::is_whitespace) && !n.ends_with(char::is_whitespace));
    }
}
