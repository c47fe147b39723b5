//! Fuzz target: the mapping plugin's normalisers (dates with time zones and Excel serials,
//! money, phone, email, names, header names). The first byte picks the normaliser and its
//! options; the rest is the cell.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_plugin_mapping::{contact, headers, normalise};

/// Zones with odd offsets and DST rules: half hours, 45 minutes, a skipped day.
const ZONES: [chrono_tz::Tz; 8] = [
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Pacific::Apia,
];

fuzz_target!(|data: &[u8]| {
    let [pick, cell @ ..] = data else {
        return;
    };
    let cell = String::from_utf8_lossy(cell);
    let option = usize::from(pick >> 3);
    match pick & 0b111 {
        0 | 1 => {
            let order = if pick & 1 == 0 {
                normalise::DateOrder::Mdy
            } else {
                normalise::DateOrder::Dmy
            };
            let tz = ZONES[option % ZONES.len()];
            if let Some(d) = normalise::date(&cell, order, tz) {
                // What it writes is a UTC instant that it reads back as itself.
                let again = normalise::date(&d.utc, order, tz).map(|p| p.utc);
                assert_eq!(again.as_deref(), Some(d.utc.as_str()), "{cell:?}");
            }
        }
        2 => {
            let decimal = if option & 1 == 0 {
                normalise::Decimal::Point
            } else {
                normalise::Decimal::Comma
            };
            let _ = normalise::money_cents(&cell, decimal);
        }
        3 => {
            let regions = contact::REGIONS;
            let (name, _, _) = regions[option % regions.len()];
            if let Some(region) = contact::Region::named(name)
                && let Ok(e164) = contact::phone(&cell, region)
                // `;ext=12` is how it writes an extension, not a way to read one.
                && !e164.contains(";ext=")
            {
                assert_eq!(contact::phone(&e164, region).as_deref(), Ok(e164.as_str()));
            }
        }
        4 => {
            if let Ok(email) = contact::email(&cell) {
                assert_eq!(contact::email(&email).as_deref(), Ok(email.as_str()));
            }
        }
        5 => {
            let _ = contact::name(&cell);
            let _ = contact::split_name(&cell, option & 1 == 1);
        }
        6 => {
            let _ = headers::match_header(&cell);
            let _ = normalise::interaction_type(&cell);
            let _ = normalise::contact_type(&cell);
        }
        _ => {
            let parts: Vec<&str> = cell.splitn(5, '|').collect();
            let mut five = [""; 5];
            for (slot, part) in five.iter_mut().zip(parts) {
                *slot = part;
            }
            let _ = contact::address(five);
        }
    }
});
