//! The `contacts` matcher's rules on whole records, from cases met in the benchmarks: the
//! evidence each one gives (the reasons, exactly) and where its score lands against the
//! default thresholds (`auto_accept` 0.92 attaches, below `review` 0.75 a new contact).

#![allow(clippy::unwrap_used)] // Test helpers: a failed step is a failed test.

use sluice_plugin_contacts::Contacts;
use sluice_sdk::{Batch, CONTACT_FIELDS, Contact, Matcher, Score};

/// The default `[match]` thresholds of the interactions pipeline.
const AUTO_ACCEPT: f64 = 0.92;
const REVIEW: f64 = 0.75;

/// Scores a record `(first, last, address, phone)` against a contact of the same shape, both
/// individuals without email, with a fresh matcher (no surname frequencies seen).
fn score(row: [&str; 4], contact: [&str; 4]) -> Score {
    let batch = |[first, last, address, phone]: [&str; 4]| {
        let mut b = Batch::new(CONTACT_FIELDS.len());
        b.push_row(
            2,
            ["individual", first, last, "", address, "", phone, "", ""],
        );
        b
    };
    let (r, c) = (batch(row), batch(contact));
    Contacts::new()
        .score(Contact(r.row(0)), Contact(c.row(0)))
        .unwrap()
}

#[test]
fn a_phone_one_digit_off_is_evidence_beyond_the_name() {
    // FEBRL 3, rec-1778: the house number and one digit of the number changed.
    let s = score(
        [
            "dylan",
            "zilm",
            "17 blameycrescent, condinup, wattle glen 4211 vic",
            "4892623",
        ],
        [
            "dylan",
            "zilm",
            "43 blamey crescent, condinup, wattle glen 4211 vic",
            "4892613",
        ],
    );
    assert_eq!(
        s.reasons,
        [
            "first name exact Dylan +7.2",
            "last name exact Zilm +8.2",
            "phone one digit off +10.0",
            "address same street, other number (number \u{2260} 17/43, street = blamey, locality = wattle gln, state = vic, postcode = 4211) +8.2",
        ]
    );
    assert!(s.score >= AUTO_ACCEPT, "{}", s.score);

    // Two neighbouring digits swapped (FEBRL 3, rec-1040) count the same.
    let s = score(
        ["matilda", "mestrov", "", "2536135"],
        ["matilda", "mestrov", "", "2563135"],
    );
    assert_eq!(
        s.reasons,
        [
            "first name exact Matilda +7.2",
            "last name exact Mestrov +8.2",
            "phone one digit off +10.0",
        ]
    );
    assert!(s.score >= AUTO_ACCEPT, "{}", s.score);
}

#[test]
fn a_phone_two_digits_off_leaves_the_name_alone() {
    let s = score(
        ["dylan", "zilm", "", "4892523"],
        ["dylan", "zilm", "", "4892613"],
    );
    assert_eq!(
        s.reasons,
        [
            "first name exact Dylan +7.2",
            "last name exact Zilm +8.2",
            "phone differs \u{2212}3.3",
            "name only: nothing but the name agrees, so not matched",
        ]
    );
    assert!(s.score < REVIEW, "{}", s.score);
    // Even identical names with nothing else at all never match.
    let s = score(["dylan", "zilm", "", ""], ["dylan", "zilm", "", ""]);
    assert_eq!(
        s.reasons,
        [
            "first name exact Dylan +7.2",
            "last name exact Zilm +8.2",
            "name only: nothing but the name agrees, so not matched",
        ]
    );
    assert!(s.score < REVIEW, "{}", s.score);
}

#[test]
fn a_phone_one_digit_off_never_joins_a_household() {
    // Another first name at the same address with a phone one digit off: a spouse or child.
    let s = score(
        [
            "ruby",
            "zilm",
            "43 blamey crescent, wattle glen 4211 vic",
            "4892623",
        ],
        [
            "dylan",
            "zilm",
            "43 blamey crescent, wattle glen 4211 vic",
            "4892613",
        ],
    );
    assert_eq!(
        s.reasons,
        [
            "first name differs Ruby/Dylan \u{2212}6.6",
            "last name exact Zilm +8.2",
            "phone one digit off +10.0",
            "address exact +14.9",
            "different people by name: not matched",
            "same household: another first name at this contact's address or phone",
        ]
    );
    assert!(s.score < REVIEW, "{}", s.score);
}

#[test]
fn a_last_name_spelt_with_a_final_e_is_the_same_family_name() {
    // FEBRL 3, rec-1183: Clark/Clarke with the same number, another house number.
    let s = score(
        [
            "isaac",
            "clark",
            "12 armytagecircuit, oaklands village, coffs harbour 3636 vic",
            "9451125",
        ],
        [
            "isaac",
            "clarke",
            "1 armytage circuit, oaklands village, annangrove 3636 vic",
            "9451125",
        ],
    );
    assert_eq!(
        s.reasons,
        [
            "first name exact Isaac +7.2",
            "last name JW 0.97 +6.2",
            "phone exact +16.3",
            "address same street, other number (number \u{2260} 12/1, street ~ armytagecircuit/armytage circuit, locality \u{2260} coffs harbour/annangrove, state = vic, postcode = 3636) +8.2",
        ]
    );
    assert!(s.score >= AUTO_ACCEPT, "{}", s.score);
    // Between first names the same ending makes another person, whatever else agrees.
    let s = score(
        ["daniela", "clarke", "", "9451125"],
        ["daniel", "clarke", "", "9451125"],
    );
    assert_eq!(
        s.reasons,
        [
            "first name differs Daniela/Daniel \u{2212}6.6",
            "last name exact Clarke +8.2",
            "phone exact +16.3",
            "different people by name: not matched",
            "same household: another first name at this contact's address or phone",
        ]
    );
    assert!(s.score < REVIEW, "{}", s.score);
}

/// An individual with every field given.
fn person(fields: [&str; 6]) -> Batch {
    let [first, last, address, email, phone, employer] = fields;
    let mut b = Batch::new(CONTACT_FIELDS.len());
    b.push_row(
        2,
        [
            "individual",
            first,
            last,
            "",
            address,
            email,
            phone,
            employer,
            "Teacher",
        ],
    );
    b
}

#[test]
fn an_employer_every_row_shares_is_no_evidence() {
    // The speed benchmark's 1M-row file: every row is a teacher at Springfield Schools, so
    // a contact attached earlier carries both. A namesake at the same street address in
    // another ZIP code, with its own email and phone, was attached on them.
    let row = person([
        "Priya",
        "Whitaker",
        "5406 Lake Blvd, Springfield IL 62749",
        "p2289588@example.org",
        "+12522289588",
        "Springfield Schools",
    ]);
    let contact = person([
        "Priya",
        "Whitaker",
        "5406 Lake Blvd, Springfield IL 62722",
        "p7352@example.org",
        "+14530007352",
        "Springfield Schools",
    ]);
    let mut m = Contacts::new();
    let mut keys = Vec::new();
    for i in 0..5000 {
        // Whitaker is one of the common names: about 1 in 70.
        let last = if i % 70 == 0 {
            "Whitaker".to_string()
        } else {
            format!("Other{i}")
        };
        let filler = person(["Ann", &last, "", "", "", "Springfield Schools"]);
        m.keys(Contact(filler.row(0)), &mut keys);
    }
    let s = m
        .score(Contact(row.row(0)), Contact(contact.row(0)))
        .unwrap();
    assert_eq!(
        s.reasons,
        [
            "first name exact Priya +7.2",
            "last name exact Whitaker +6.0",
            "email same domain only \u{2212}0.7",
            "phone differs \u{2212}3.3",
            "address same locality only (number = 5406, street = lk, locality = springfield, state = il, postcode \u{2260} 62749/62722) +0.7",
            "employer exact Springfield schools \u{2212}0.5",
            "occupation exact Teacher \u{2212}0.5",
            "name only: nothing but the name agrees, so not matched",
        ]
    );
    assert!(s.score < REVIEW, "{}", s.score);

    // An employer the matcher has not seen everywhere still counts in full: a rare
    // employer and occupation are the property beside the name.
    let s = Contacts::new()
        .score(Contact(row.row(0)), Contact(contact.row(0)))
        .unwrap();
    assert_eq!(
        s.reasons[5..],
        [
            "employer exact Springfield schools +6.1",
            "occupation exact Teacher +4.5"
        ]
    );
    assert!(s.score >= AUTO_ACCEPT, "{}", s.score);
}

#[test]
fn another_last_name_goes_to_review_whatever_else_agrees() {
    // FEBRL 3: the same first name and house, the surname replaced. First and last name
    // must both agree: a marriage, or a lodger with the same first name, is for a person
    // to judge.
    let home = "6 wynter place, hansdale lane, fadden, vic 4701";
    let thomas = |last| ["thomas", last, home, "4892623"];
    let s = score(thomas("nadels"), thomas("tebbutt"));
    assert_eq!(
        s.reasons,
        [
            "first name exact Thomas +7.2",
            "last name differs \u{2212}5.6",
            "phone exact +16.3",
            "address exact +14.9",
            "the last name differs: review, not matched",
        ]
    );
    assert!((REVIEW..AUTO_ACCEPT).contains(&s.score), "{}", s.score);
    // A typo or a name that sounds alike is the same last name.
    let s = score(thomas("tebut"), thomas("tebbutt"));
    assert!(s.score >= AUTO_ACCEPT, "{s:?}");
}
