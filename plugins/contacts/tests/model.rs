//! The Fellegi–Sunter model: EM recovers known parameters from a synthetic population, the
//! matcher estimates and reloads its model, and the name and household rules on whole
//! records.

#![allow(clippy::unwrap_used)] // Test helpers: a failed step is a failed test.
#![allow(clippy::cast_precision_loss)] // Small counts.

use sluice_plugin_contacts::Contacts;
use sluice_plugin_contacts::model::{FIELDS, Gamma, Model, prior_levels};
use sluice_sdk::{Batch, CONTACT_FIELDS, Candidates, Contact, Matcher, Score};

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A level drawn from the distribution `p`.
    fn level(&mut self, p: &[f64]) -> u8 {
        let mut x = self.unit();
        for (i, q) in p.iter().enumerate() {
            if x < *q {
                return u8::try_from(i).unwrap();
            }
            x -= q;
        }
        u8::try_from(p.len() - 1).unwrap()
    }
}

/// Each field's true `m` and `u`: far from the priors, so the estimate must move to them.
fn truth() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut m = Vec::new();
    let mut u = Vec::new();
    for f in FIELDS {
        let n = prior_levels(f).len();
        // m: most mass on the first level, the rest spread evenly; u: most on the last.
        let mut mf = vec![0.3 / (n - 1) as f64; n];
        mf[0] = 0.7;
        let mut uf = vec![0.06 / (n - 1) as f64; n];
        uf[n - 1] = 0.94;
        m.push(mf);
        u.push(uf);
    }
    (m, u)
}

fn draw(rng: &mut Rng, table: &[Vec<f64>]) -> Gamma {
    let mut g: Gamma = [None; 9];
    for (f, slot) in g.iter_mut().enumerate() {
        // A fifth of the fields are missing on one side.
        if rng.unit() < 0.8 {
            *slot = Some(rng.level(&table[f]));
        }
    }
    g
}

#[test]
fn em_recovers_known_parameters() {
    let (m, u) = truth();
    let lambda = 0.15;
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let blocked: Vec<Gamma> = (0..40_000)
        .map(|_| {
            if rng.unit() < lambda {
                draw(&mut rng, &m)
            } else {
                draw(&mut rng, &u)
            }
        })
        .collect();
    let random: Vec<Gamma> = (0..400_000).map(|_| draw(&mut rng, &u)).collect();
    let model = Model::estimate(&blocked, &random);
    assert!(
        (model.lambda - lambda).abs() < 0.01,
        "lambda {}",
        model.lambda
    );
    for f in 0..FIELDS.len() {
        for (l, want) in m[f].iter().enumerate() {
            let got = model.m[f][l];
            assert!(
                (got - want).abs() < 0.03,
                "m[{f}][{l}] = {got}, want {want}"
            );
        }
        for (l, want) in u[f].iter().enumerate() {
            let got = model.u[f][l];
            assert!(
                (got - want).abs() < 0.1 * want + 0.002,
                "u[{f}][{l}] = {got}, want {want}"
            );
        }
    }
    assert_eq!(model.pairs, 40_000);
    // The text form gives back the same model.
    let back = Model::from_text(&model.to_text()).unwrap();
    for (a, b) in back.m.iter().flatten().zip(model.m.iter().flatten()) {
        assert!((a - b).abs() <= 1e-12 * b.abs());
    }
}

#[test]
fn too_few_pairs_leave_the_priors_in_charge() {
    let model = Model::estimate(&[], &[]);
    let priors = Model::priors();
    assert_eq!(model.m, priors.m);
    assert_eq!(model.lambda, priors.lambda);
    // A handful of pairs moves m a little, not to the handful's own shares.
    let (m, _) = truth();
    let mut rng = Rng(7);
    let few: Vec<Gamma> = (0..5).map(|_| draw(&mut rng, &m)).collect();
    let model = Model::estimate(&few, &[]);
    for (a, b) in model.m.iter().flatten().zip(priors.m.iter().flatten()) {
        assert!((a - b).abs() < 0.1, "{a} vs prior {b}");
    }
}

/// A batch of individuals `(first, last, address, email, phone)`.
fn people(rows: &[[&str; 5]]) -> Batch {
    let mut b = Batch::new(CONTACT_FIELDS.len());
    for (i, [first, last, address, email, phone]) in rows.iter().enumerate() {
        b.push_row(
            u32::try_from(i).unwrap() + 2,
            ["individual", first, last, "", address, email, phone, "", ""],
        );
    }
    b
}

fn as_refs(v: &[[String; 5]]) -> Vec<[&str; 5]> {
    v.iter().map(|r| r.each_ref().map(String::as_str)).collect()
}

fn score(m: &mut Contacts, row: [&str; 5], contact: [&str; 5]) -> Score {
    let (r, c) = (people(&[row]), people(&[contact]));
    m.score(Contact(r.row(0)), Contact(c.row(0))).unwrap()
}

#[test]
fn the_matcher_estimates_from_its_candidates_and_reloads_the_model() {
    // Stored people, and records that are each one of them with a typo in the street.
    let streets = [
        "oakland",
        "elmwood",
        "pinecrest",
        "cedarwood",
        "birchwood",
        "mapleton",
        "ashford",
        "willowby",
    ];
    let mut stored = Vec::new();
    let mut records = Vec::new();
    for i in 0..400 {
        let first = ["ann", "bob", "cara", "dev", "eli", "fay", "gus", "hal"][i % 8];
        let last = format!("lastname{}", i / 8);
        let street = streets[(i / 3) % 8];
        stored.push([
            first.to_string(),
            last.clone(),
            format!("{} {street} st, springfield il 627{:02}", 10 + i, i % 50),
            String::new(),
            String::new(),
        ]);
        records.push([
            first.to_string(),
            last,
            format!("{} {street}e st, springfield il 627{:02}", 10 + i, i % 50),
            // (one letter added: a typo of the street)
            String::new(),
            String::new(),
        ]);
    }
    let contacts = people(&as_refs(&stored));
    let records = people(&as_refs(&records));
    let mut m = Contacts::new();
    let mut keys = Vec::new();
    for c in contacts.iter() {
        m.keys(Contact(c), &mut keys);
    }
    m.load_model(None).unwrap();
    // Each record's candidates: its own contact and five others (some of its family name,
    // some on its street).
    let mut candidates = Candidates::new();
    for i in 0..records.len() {
        for j in [0, 1, 3, 9, 50, 101].map(|d| (i + d) % contacts.len()) {
            let row = candidates.add_contact(i64::try_from(j).unwrap(), contacts.row(j).cells());
            candidates.push(row);
        }
        candidates.end_record();
    }
    let text = m.estimate(&records, &candidates).unwrap().unwrap();
    let model = Model::from_text(&text).unwrap();
    // One blocked pair in six is one person.
    assert!(
        (model.lambda - 1.0 / 6.0).abs() < 0.01,
        "{}\n{text}",
        model.lambda
    );
    // Every true pair had its street mistyped: "same street and number" is what a match
    // looks like here, and the estimate learnt it.
    let address = FIELDS
        .iter()
        .position(|f| *f == sluice_plugin_contacts::model::Field::Address)
        .unwrap();
    assert!(model.m[address][1] > 0.8, "{:?}", model.m[address]);
    // A fresh matcher that keyed the same contacts and was given the text decides as the
    // one that estimated it.
    let mut again = Contacts::new();
    for c in contacts.iter() {
        again.keys(Contact(c), &mut keys);
    }
    again.load_model(Some(&text)).unwrap();
    let (r, c) = (records.row(0), contacts.row(0));
    assert_eq!(
        again.score(Contact(r), Contact(c)).unwrap().score,
        m.score(Contact(r), Contact(c)).unwrap().score
    );
    assert!(again.load_model(Some("not a model")).is_err());
}

#[test]
fn swapped_and_split_names_are_one_person() {
    let mut m = Contacts::new();
    let home = "8 spring range road, villawood, wa 2213";
    let s = score(
        &mut m,
        ["neumann", "isabella", home, "", ""],
        ["isabella", "neumann", home, "", ""],
    );
    assert_eq!(
        s.reasons[0],
        "first name exact Neumann (names swapped) +7.2"
    );
    assert_eq!(
        s.reasons[1],
        "last name exact Isabella (names swapped) +8.2"
    );
    assert!(s.score >= 0.92, "{s:?}");
    let s = score(
        &mut m,
        ["isabe lla", "neumann", home, "", ""],
        ["isabella", "neumann", home, "", ""],
    );
    assert_eq!(s.reasons[0], "first name exact Isabella +7.2");
    assert!(s.score >= 0.92, "{s:?}");
}

#[test]
fn another_first_name_at_the_address_is_the_household() {
    let mut m = Contacts::new();
    let home = "8 spring range road, villawood, wa 2213";
    let s = score(
        &mut m,
        ["ruby", "neumann", home, "", ""],
        ["isabella", "neumann", home, "", ""],
    );
    assert!(s.household, "{s:?}");
    assert!(s.score < 0.75, "{s:?}");
    // Elsewhere, or under another surname, it is no household.
    let s = score(
        &mut m,
        [
            "ruby",
            "neumann",
            "4 kirby street, belconnen, act 2617",
            "",
            "",
        ],
        ["isabella", "neumann", home, "", ""],
    );
    assert!(!s.household, "{s:?}");
    let s = score(
        &mut m,
        ["ruby", "okafor", home, "", ""],
        ["isabella", "neumann", home, "", ""],
    );
    assert!(!s.household, "{s:?}");
}

#[test]
fn a_short_name_both_sexes_bear_is_reviewed_at_a_shared_home() {
    let mut m = Contacts::new();
    let home = "12 Elm St, Dayton OH 45402";
    for (short, long) in [
        ("Sam", "Samuel"),
        ("Alex", "Alexis"),
        ("Chris", "Christopher"),
        ("Casey", "Catherine"),
        ("Pat", "Patrick"),
    ] {
        let s = score(
            &mut m,
            [short, "Okafor", home, "", "937-555-0100"],
            [long, "Okafor", home, "", "937-555-0100"],
        );
        assert!((0.75..0.92).contains(&s.score), "{short}: {s:?}");
        assert_eq!(
            s.reasons.last().unwrap(),
            "a short name both sexes bear, at a shared address or phone: review, not matched"
        );
    }
    // A nickname of one sex only still attaches, and so does a pet form spelt for one sex
    // (the women's are Toni, Andi, Dani).
    for (short, long) in [
        ("Bill", "William"),
        ("Tony", "Anthony"),
        ("Andy", "Andrew"),
        ("Dan", "Daniel"),
    ] {
        let s = score(
            &mut m,
            [short, "Okafor", home, "", "937-555-0100"],
            [long, "Okafor", home, "", "937-555-0100"],
        );
        assert!(s.score >= 0.92, "{short}: {s:?}");
    }
}
