//! Each comparison level of the `contacts` matcher, its weight in the reasons, and the
//! term-frequency adjustment of last names.

use sluice_plugin_contacts::compare::{address_level, name_level, organisation_level, phone_level};
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

    let a = |s: &str| Address::parse(s);
    let main = a("12 North Main Street, Springfield IL 62704");
    assert_eq!(
        address_level(
            main.as_ref(),
            a("12 N Main St Springfield IL 62704").as_ref()
        ),
        Level::Exact
    );
    assert_eq!(
        address_level(
            main.as_ref(),
            a("12 N Main St Apt 2 Springfield IL 62704").as_ref()
        ),
        Level::Close
    );
    assert_eq!(
        address_level(
            main.as_ref(),
            a("12 Oak Ridge Road Springfield IL 62704").as_ref()
        ),
        Level::Partial
    );
    assert_eq!(
        address_level(
            main.as_ref(),
            a("900 Lake Shore Dr Chicago IL 60611").as_ref()
        ),
        Level::Differs
    );
    assert_eq!(address_level(main.as_ref(), None), Level::Missing);

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
            "first name nickname Bill~William +4.0",
            "last name exact Okonkwo +8.9",
            "email exact +10.0",
            "phone differs \u{2212}1.7",
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
    let smith = m.surname_weight("smith");
    let rare = m.surname_weight("okonkwo");
    assert!(smith < 4.0, "{smith}");
    assert!(rare > 10.0, "{rare}");
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
            "n:lee:a",
            "x:L000:a"
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
