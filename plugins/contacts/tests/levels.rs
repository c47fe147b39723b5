//! Each comparison level of the `contacts` matcher, its weight in the reasons, and the
//! term-frequency adjustment of last names.

use sluice_plugin_contacts::compare::{
    AddressLevel, compare_addresses, name_level, organisation_level, part_level, phone_level,
    postcode_level,
};
use sluice_plugin_contacts::normalise::Address;
use sluice_plugin_contacts::{Contacts, Level};
use sluice_sdk::{Batch, CONTACT_FIELDS, Contact, Matcher};

fn record(fields: [&str; 9]) -> Batch {
    let mut b = Batch::new(CONTACT_FIELDS.len());
    b.push_row(2, fields);
    b
}

#[test]
fn name_levels() {
    let n = sluice_plugin_contacts::first_names::FirstNames::load();
    assert_eq!(name_level("william", "william", Some(&n)), Level::Exact);
    assert_eq!(name_level("bill", "william", Some(&n)), Level::Nickname);
    assert_eq!(name_level("bill", "william", None), Level::Differs);
    assert_eq!(name_level("johnson", "johnsen", None), Level::Close);
    assert_eq!(name_level("marc", "mark", None), Level::Similar);
    assert_eq!(name_level("j", "john", Some(&n)), Level::Initial);
    assert_eq!(name_level("k", "john", Some(&n)), Level::Differs);
    assert_eq!(name_level("", "john", Some(&n)), Level::Missing);
    assert_eq!(name_level("maria", "jose", Some(&n)), Level::Differs);
    assert_eq!(name_level("brbara", "barbara", Some(&n)), Level::Close);
    assert_eq!(name_level("daniel", "daniela", Some(&n)), Level::Differs);
    assert_eq!(
        name_level("christine", "christina", Some(&n)),
        Level::Differs
    );
    // The ending rule holds between given names (Louis/Louise, Paul/Paula) and between two
    // names neither list knows; a last letter dropped from a known name is a typo.
    assert_eq!(name_level("louis", "louise", Some(&n)), Level::Differs);
    assert_eq!(name_level("paula", "paul", Some(&n)), Level::Differs);
    assert_eq!(
        name_level("stanislav", "stanislava", Some(&n)),
        Level::Differs
    );
    // Names of opposite sexes are two people however alike (Mark/Mary would be JW 0.88)
    // or whatever the nickname list says (it has Louise as a nickname of Louis).
    assert_eq!(name_level("mark", "mary", Some(&n)), Level::Differs);
    assert_eq!(name_level("mark", "mary", None), Level::Similar);
    assert_eq!(name_level("edwin", "edwina", Some(&n)), Level::Differs);
    assert_eq!(name_level("jon", "joan", Some(&n)), Level::Differs);
    // A short nickname of the other sex's name is still a nickname: Alex, Sam and Jess
    // are what many an Alexandra, Samantha and Jessica go by. Full names of both sexes that
    // the nickname list pairs (Andrea/Andrew, Wilma/William) and a man's name with its
    // feminine form (Max/Maxine) are two people.
    assert_eq!(name_level("alex", "alexandra", Some(&n)), Level::Nickname);
    assert_eq!(name_level("sam", "samantha", Some(&n)), Level::Nickname);
    assert_eq!(name_level("jess", "jessica", Some(&n)), Level::Nickname);
    assert_eq!(name_level("andrew", "andrea", Some(&n)), Level::Differs);
    assert_eq!(name_level("paul", "polly", Some(&n)), Level::Differs);
    assert_eq!(name_level("william", "wilma", Some(&n)), Level::Differs);
    assert_eq!(name_level("max", "maxine", Some(&n)), Level::Differs);
    assert_eq!(name_level("sophi", "sophie", Some(&n)), Level::Close);
    assert_eq!(name_level("emma", "emm", Some(&n)), Level::Close);
    assert_eq!(name_level("blak", "blake", Some(&n)), Level::Close);
    assert_eq!(name_level("aleish", "aleisha", Some(&n)), Level::Close);
    // Last names (no nickname table): a final letter more or another final vowel is
    // compared as a spelling (by Jaro–Winkler), not taken for another person.
    assert_eq!(name_level("clark", "clarke", None), Level::Close);
    assert_eq!(name_level("rossi", "rosso", None), Level::Similar);
}

#[test]
fn phone_address_and_organisation_levels() {
    assert_eq!(
        phone_level(Some("5550100199"), Some("5550100199")),
        Level::Exact
    );
    assert_eq!(
        phone_level(Some("5550100199"), Some("0100199")),
        Level::Partial
    );
    assert_eq!(
        phone_level(Some("5550100199"), Some("5550100200")),
        Level::Differs
    );
    assert_eq!(phone_level(None, Some("5550100200")), Level::Missing);
    assert_eq!(
        phone_level(Some("5550100199"), Some("5550100198")),
        Level::Close
    );
    assert_eq!(
        phone_level(Some("5550100199"), Some("5550101099")),
        Level::Close
    );
    // Full numbers with different area codes are different numbers.
    assert_eq!(
        phone_level(Some("2175550199"), Some("3095550199")),
        Level::Differs
    );

    assert_eq!(organisation_level("acme", "acme"), Level::Exact);
    assert_eq!(
        organisation_level("acme widgets", "acme widgetz"),
        Level::Close
    );
    assert_eq!(
        organisation_level("friends of the river", "friends of river"),
        Level::Similar
    );
    assert_eq!(organisation_level("acme", "globex"), Level::Differs);
}

/// Each address part and the address level they make, on US and Australian (FEBRL)
/// addresses: `(stored, incoming, level)`.
#[test]
fn address_levels_come_from_the_parts() {
    let main = "12 North Main Street, Springfield IL 62704";
    let spring = "8 spring range road, jessiefield, villawood, wa 2213";
    let cases = [
        (
            main,
            "12 N Main St Springfield IL 62704",
            AddressLevel::Exact,
        ),
        (
            main,
            "12 N Main St Apt 2, Springfield IL 62704",
            AddressLevel::StreetAndNumber,
        ),
        (
            main,
            "12 N Mian St, Springfield IL 62704",
            AddressLevel::StreetAndNumber,
        ),
        (
            main,
            "14 N Main St, Springfield IL 62704",
            AddressLevel::StreetOtherNumber,
        ),
        (
            main,
            "N Main St, Springfield IL 62704",
            AddressLevel::StreetOtherNumber,
        ),
        (
            main,
            "12 Oak Ridge Road, Springfield IL 62704",
            AddressLevel::NumberAndPostcode,
        ),
        (
            main,
            "900 Lake Shore Dr, Springfield IL 62711",
            AddressLevel::Locality,
        ),
        (
            main,
            "900 Lake Shore Dr, Chicago IL 60611",
            AddressLevel::Differs,
        ),
        (
            main,
            "12 N Main St, Chicago IL 60611",
            AddressLevel::Differs,
        ),
        (
            spring,
            "105 spring raghe road, jessiefield, villawood, wa 2213",
            AddressLevel::StreetOtherNumber,
        ),
        (
            spring,
            "8 spring range road, villawood, wa 2213",
            AddressLevel::StreetAndNumber,
        ),
        (
            spring,
            "spring range road, villawood, wa 2213",
            AddressLevel::StreetOtherNumber,
        ),
        (
            spring,
            "8 spring range road, jessiefield, vilawood, wa 2231",
            AddressLevel::StreetAndNumber,
        ),
        (
            spring,
            "8 kirby street, jessiefield, villawood, wa 2213",
            AddressLevel::NumberAndPostcode,
        ),
    ];
    for (x, y, want) in cases {
        let (a, b) = (Address::parse(x), Address::parse(y));
        let got = compare_addresses(a.as_ref(), b.as_ref());
        assert_eq!(got.level, want, "{x} / {y}: {got:?}");
    }
    assert_eq!(
        compare_addresses(Address::parse(main).as_ref(), None).level,
        AddressLevel::Missing
    );
}

/// The parts an address is read into, as data: `(address, [number, street, type, unit,
/// locality, state, postcode])`.
#[test]
fn addresses_are_read_into_parts() {
    let cases: [(&str, [Option<&str>; 7]); 6] = [
        (
            "123 North Main Street, Apartment 4B, Springfield IL 62704-1234",
            [
                Some("123"),
                Some("n main"),
                Some("st"),
                Some("4b"),
                Some("springfield"),
                Some("il"),
                Some("62704"),
            ],
        ),
        (
            "123 N. Main St. #4B Springfield, IL 62704",
            [
                Some("123"),
                Some("n main"),
                Some("st"),
                Some("4b"),
                Some("springfield"),
                Some("il"),
                Some("62704"),
            ],
        ),
        (
            "8 spring range road, jessiefield, villawood, wa 2213",
            [
                Some("8"),
                Some("spg range"),
                Some("rd"),
                None,
                Some("villawood"),
                Some("wa"),
                Some("2213"),
            ],
        ),
        (
            "3/12 Smith Street, Fitzroy VIC 3065",
            [
                Some("12"),
                Some("smith"),
                Some("st"),
                Some("3"),
                Some("fitzroy"),
                Some("vic"),
                Some("3065"),
            ],
        ),
        (
            "12 Elm St Dayton OH 45402",
            [
                Some("12"),
                Some("elm"),
                Some("st"),
                None,
                Some("dayton"),
                Some("oh"),
                Some("45402"),
            ],
        ),
        (
            "kirby street, belconnen",
            [
                None,
                Some("kirby"),
                Some("st"),
                None,
                Some("belconnen"),
                None,
                None,
            ],
        ),
    ];
    for (raw, want) in cases {
        let a = Address::parse(raw).unwrap();
        let got = [
            a.number.as_deref(),
            a.street.as_deref(),
            a.street_type.as_deref(),
            a.unit.as_deref(),
            a.locality.as_deref(),
            a.state.as_deref(),
            a.zip.as_deref(),
        ];
        assert_eq!(got, want, "{raw}");
    }
}

#[test]
fn part_levels() {
    assert_eq!(
        part_level(Some("spg range"), Some("spg range")),
        Level::Exact
    );
    assert_eq!(
        part_level(Some("spg range"), Some("spg raghe")),
        Level::Close
    );
    assert_eq!(
        part_level(Some("villawood"), Some("vilawood")),
        Level::Close
    );
    assert_eq!(part_level(Some("oak"), Some("oaks")), Level::Differs);
    assert_eq!(part_level(Some("kirby"), Some("elm")), Level::Differs);
    assert_eq!(part_level(None, Some("elm")), Level::Missing);
    assert_eq!(postcode_level(Some("2213"), Some("2213")), Level::Exact);
    assert_eq!(postcode_level(Some("2213"), Some("2231")), Level::Close);
    assert_eq!(postcode_level(Some("2213"), Some("2218")), Level::Close);
    assert_eq!(postcode_level(Some("2213"), Some("4000")), Level::Differs);
    assert_eq!(postcode_level(Some("2213"), None), Level::Missing);
}

#[test]
fn reasons_carry_the_weights() {
    let mut m = Contacts::new();
    let row = record([
        "individual",
        "Bill",
        "Okonkwo",
        "",
        "",
        "bill@x.example",
        "555-0100",
        "",
        "",
    ]);
    let contact = record([
        "individual",
        "William",
        "Okonkwo",
        "",
        "",
        "BILL@x.example",
        "555-0199",
        "",
        "",
    ]);
    let score = m
        .score(Contact(row.row(0)), Contact(contact.row(0)))
        .unwrap();
    assert_eq!(
        score.reasons,
        [
            "first name nickname Bill~William +5.6",
            "last name exact Okonkwo +8.2",
            "email exact +16.4",
            "phone differs \u{2212}3.3",
        ]
    );
    assert!(score.score > 0.99, "{}", score.score);
}

#[test]
fn common_surnames_weigh_less_than_rare_ones() {
    let mut m = Contacts::new();
    let mut keys = Vec::new();
    let mut contacts = Batch::new(CONTACT_FIELDS.len());
    for i in 0..2000 {
        let last = if i % 10 == 0 { "Smith" } else { "Other" };
        let last = format!(
            "{last}{}",
            if i % 10 == 0 {
                String::new()
            } else {
                i.to_string()
            }
        );
        contacts.push_row(
            0,
            ["individual", "Ann", last.as_str(), "", "", "", "", "", ""],
        );
    }
    for c in contacts.iter() {
        m.keys(Contact(c), &mut keys);
    }
    // Smith is a tenth of the names, every other name one in 2,000. With the prior chance
    // that two different people share a last name (u = 0.003), agreeing on Smith weighs
    // log2(0.003 / (199 / 1999)) = -5.05 bits against the average agreement (the other
    // Smiths are what makes it common); on a name no other contact holds, seen once or
    // never, log2(0.003 / (1 / 2000)) = +2.58: the store resolves shares to one in 2,000.
    let smith = m.surname_adjustment("smith");
    let rare = m.surname_adjustment("okonkwo");
    let other = m.surname_adjustment("other7");
    assert!((smith + 5.05).abs() < 0.01, "{smith}");
    assert!((rare - 2.58).abs() < 0.01, "{rare}");
    assert!((other - 2.58).abs() < 0.01, "{other}");
    // The adjustment is in the reasons: the same pair weighs less when both are Smiths.
    let pair = |last: &str| {
        let ann = [
            "individual",
            "Ann",
            last,
            "",
            "",
            "ann@x.example",
            "",
            "",
            "",
        ];
        let (a, b) = (record(ann), record(ann));
        m.compare(Contact(a.row(0)), Contact(b.row(0)))
            .unwrap()
            .weight()
    };
    let (w_smith, w_rare) = (pair("Smith"), pair("Okonkwo"));
    assert!(
        (w_rare - w_smith - (rare - smith)).abs() < 1e-9,
        "{w_smith} {w_rare}"
    );
}

#[test]
fn keys_cover_each_field() {
    let mut m = Contacts::new();
    let row = record([
        "individual",
        "Ann",
        "Lee",
        "",
        "12 Elm St Dayton OH 45402",
        "Ann@X.example",
        "(555) 555-0100",
        "",
        "",
    ]);
    let mut keys = Vec::new();
    m.keys(Contact(row.row(0)), &mut keys);
    assert_eq!(
        keys,
        [
            "e:ann@x.example",
            "p:5550100",
            "a:45402:12",
            "s:elm:45402",
            "n:lee:a",
            "x:L000:a",
            "l:L000:dayton",
            "n:ann:l",
        ]
    );
    let org = record([
        "organization",
        "The Wildlife Trust, Inc.",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]);
    keys.clear();
    m.keys(Contact(org.row(0)), &mut keys);
    assert_eq!(keys, ["t:wildlife", "t:trust", "o:wildlife trust"]);
}
