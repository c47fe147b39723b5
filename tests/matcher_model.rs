//! The matcher's estimated model in the store, end to end through the real binary: none for
//! a store too small to estimate from, estimated from the first rows of an import and kept
//! with it (not by a dry run), reused by the next import with the same decisions, estimated
//! again once the store has grown; and households recorded on new contacts.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use common::{Env, json, stderr, stdout};

const HEADER: &str = "Interaction Type,Date,Contact Type,First Name,Last Name,Suffix,Primary Address,Primary Email,Primary Phone,Employer,Occupation";

const FIRST: [&str; 12] = [
    "Ann", "Bruno", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Keiko", "Luis",
];
const STREETS: [&str; 6] = ["Maple", "Cedar", "Willow", "Juniper", "Hawthorn", "Aspen"];

/// Person `i`: a distinct surname, a house on one of a few streets.
fn person(i: usize) -> (String, String, String, String) {
    let mut n = i;
    let mut tail = String::new();
    loop {
        tail.push(char::from(b'a' + u8::try_from(n % 26).unwrap()));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    let first = FIRST[i % FIRST.len()].to_string();
    let last = format!("Okon{tail}");
    let address = format!(
        "{} {} Street, Dayton OH {}",
        10 + i,
        STREETS[i % STREETS.len()],
        45400 + i % 30
    );
    let email = format!(
        "{}.{}@mail.example",
        first.to_lowercase(),
        last.to_lowercase()
    );
    (first, last, address, email)
}

/// A file of people `range`; `variant` writes each as a returning donor would (a typo in
/// the street, the email left out).
fn file(env: &Env, name: &str, range: std::ops::Range<usize>, variant: bool) -> String {
    let mut text = format!("{HEADER}\n");
    for i in range {
        let (first, last, address, email) = person(i);
        let (address, email) = if variant {
            (address.replace(" Street", "e Street"), String::new())
        } else {
            (address, email)
        };
        text.push_str(&format!(
            "Call,2025-02-03,individual,{first},{last},,\"{address}\",{email},,,\n"
        ));
    }
    env.write(name, &text).display().to_string()
}

fn import(env: &Env, args: &[&str]) {
    let mut all = vec!["import", "p.toml"];
    all.extend_from_slice(args);
    let out = env.sluice(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

fn setup() -> Env {
    let env = Env::new();
    env.write(
        "p.toml",
        "[pipeline]\nname = \"m\"\n[source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
         [[validate]]\nplugin = \"interactions\"\n[match]\nplugin = \"contacts\"\n\
         [store]\npath = \"store.db\"\n",
    );
    env
}

/// `(contacts, import_id)` of each stored model.
fn models(env: &Env) -> Vec<Vec<String>> {
    env.query("SELECT contacts, import_id FROM matcher_models ORDER BY import_id")
}

/// Each row's decision, contact, score and reasons in import `id`.
fn decisions(env: &Env, id: i64) -> Vec<Vec<String>> {
    env.query(&format!(
        "SELECT row_number, decision, coalesce(contact_id, ''), coalesce(score, ''), reasons_json \
         FROM match_decisions WHERE import_id = {id} ORDER BY row_number"
    ))
}

#[test]
fn the_model_is_estimated_once_kept_and_reused() {
    let env = setup();
    // A store of 400 people: estimated from nothing (the store was empty), so no model.
    let seed = file(&env, "seed.csv", 0..400, false);
    import(&env, &[&seed]);
    assert_eq!(models(&env), Vec::<Vec<String>>::new());

    // A dry run estimates but keeps nothing.
    let returning = file(&env, "returning.csv", 0..150, true);
    import(&env, &[&returning, "--dry-run"]);
    assert_eq!(models(&env), Vec::<Vec<String>>::new());

    // The first real import into the store estimates the model from its rows and keeps it.
    import(&env, &[&returning]);
    assert_eq!(models(&env), [["400", "2"]]);
    let first = decisions(&env, 2);
    // Every returning donor (street mistyped, no email) found their contact.
    assert_eq!(
        first.iter().filter(|d| d[1] == "matched").count(),
        150,
        "{first:?}"
    );

    // Undone and imported again, the file meets the stored model: the same decisions.
    let out = env.sluice(&["undo", "2", "--db", "store.db"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    import(&env, &[&returning]);
    assert_eq!(models(&env), [["400", "2"]]);
    assert_eq!(decisions(&env, 3), first);

    // 600 new people: the model was estimated with 400 contacts, so this import (into a
    // store of 400) still uses it ...
    let new = file(&env, "new.csv", 1000..1600, false);
    import(&env, &[&new]);
    assert_eq!(models(&env), [["400", "2"]]);
    // ... and the next one, into a store of 1,000, estimates it again.
    let later = file(&env, "later.csv", 150..200, true);
    import(&env, &[&later]);
    assert_eq!(models(&env), [["1000", "5"]]);
}

#[test]
fn another_first_name_at_a_stored_address_joins_its_household() {
    let env = setup();
    let seed = file(&env, "seed.csv", 0..50, false);
    import(&env, &[&seed]);
    // Person 7's spouse: same surname and address, another first name and email.
    let (_, last, address, _) = person(7);
    let spouse = env.write(
        "spouse.csv",
        &format!(
            "{HEADER}\nMeeting,2025-03-01,individual,Zelda,{last},,\"{address}\",zelda@mail.example,,,\n"
        ),
    );
    import(&env, &[spouse.to_str().unwrap()]);
    let head = env.query(&format!(
        "SELECT id FROM contacts WHERE last_name = '{last}' AND first_name = '{}'",
        person(7).0
    ));
    let joined = env.query("SELECT household_id FROM contacts WHERE first_name = 'Zelda'");
    assert_eq!(joined, head);
    // The stored contact is left as it was, and `imports show --matches` tells.
    assert_eq!(
        env.query(&format!(
            "SELECT household_id FROM contacts WHERE id = {}",
            head[0][0]
        )),
        [["NULL"]]
    );
    let shown = env.sluice(&[
        "imports",
        "show",
        "2",
        "--matches",
        "--json",
        "--db",
        "store.db",
    ]);
    let v = json(&shown);
    let m = &v["matches"][0];
    assert_eq!(m["decision"], "new");
    assert_eq!(m["household"].to_string(), head[0][0]);
    let text = stdout(&env.sluice(&["imports", "show", "2", "--matches", "--db", "store.db"]));
    assert!(text.contains(&format!("#{}", head[0][0])), "{text}");
    assert!(text.contains("same household"), "{text}");
}
