//! End-to-end tests of contact matching: the real `sluice` binary attaching rows to stored
//! contacts, appending per field policy with a change log, keeping further emails, dedupe
//! within a file, ambiguous rows, recorded explanations, and a custom matcher by path.

#![allow(clippy::unwrap_used, clippy::panic)] // Test helpers: a failed step is a failed test.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Env, json, repo, stderr, stdout};

const HEADER: &str = "Interaction Type,Date,Contact Type,First Name,Last Name,Suffix,Primary Address,Primary Email,Primary Phone,Employer,Occupation";

/// Runs `sluice import PIPELINE FILE` and asserts its exit code, showing the output if not.
fn import(env: &Env, pipeline: &str, file: &str, code: i32) -> Output {
    let out = env.sluice(&["import", pipeline, file]);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A pipeline writing to `store.db`, with `extra` appended to its `[match]` section.
fn pipeline(env: &Env, name: &str, plugin: &str, extra: &str) -> String {
    env.write(
        name,
        &format!(
            "[pipeline]\nname = \"m\"\n[source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
             [[validate]]\nplugin = \"interactions\"\n[match]\nplugin = {plugin:?}\n{extra}\n\
             [store]\npath = \"store.db\"\n"
        ),
    )
    .display()
    .to_string()
}

fn csv(env: &Env, name: &str, rows: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    env.write(name, &text).display().to_string()
}

/// Seeds the store: William Okafor, Jose Garcia (whose household shares his address and
/// phone), and two Pat Lees sharing one email.
fn seed(env: &Env, pipeline: &str) {
    let seed = csv(
        env,
        "seed.csv",
        &[
            "Call,2025-01-02,individual,William,Okafor,,\"12 North Elm Street, Dayton OH 45402\",w.okafor@old.example,,Acme Inc,Engineer",
            "Call,2025-01-02,individual,Jose,Garcia,,\"40 Oak Ave, Reno NV 89501\",jose@garcia.example,775-555-0123,,",
            "Call,2025-01-02,individual,Pat,Lee,,\"9 Pine Rd, Austin TX 78701\",lee@family.example,,,",
        ],
    );
    import(env, pipeline, &seed, 0);
    // A second Pat Lee at the same address and email: the store already holds a likely
    // duplicate, as stores do.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute(
        "INSERT INTO contacts (contact_type, first_name, last_name, address, email, created_at) \
         VALUES ('individual', 'Pat', 'Lee', '9 Pine Rd, Austin TX 78701', 'lee@family.example', \
         '2025-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
}

#[test]
fn rows_attach_append_dedupe_and_explain() {
    let env = Env::new();
    let p = pipeline(&env, "p.toml", "contacts", "");
    seed(&env, &p);
    let file = csv(
        &env,
        "in.csv",
        &[
            // Bill ~ William, moved within the address spelling, a new email, a phone.
            "Email,2025-02-01,individual,Bill,Okafor,,\"12 N Elm St, Dayton OH 45402\",bill@new.example,937-555-0188,,",
            // Jose's wife: same address and phone, different first name: a new contact.
            "Call,2025-02-01,individual,Maria,Garcia,,\"40 Oak Avenue, Reno NV 89501\",,775-555-0123,,",
            // Matches both Pat Lees equally: rejected with both candidates.
            "Call,2025-02-01,individual,Pat,Lee,,,lee@family.example,,,",
            // A new person twice in the file: one contact.
            "Call,2025-02-01,individual,Dana,Ruiz,,,dana@ruiz.example,,,",
            "Meeting,2025-02-02,individual,Dana,Ruiz,,,DANA@ruiz.example,512-555-0100,,",
            // An organization never matches the individual sharing its phone.
            "Call,2025-02-03,organization,Garcia Consulting LLC,,,,,775-555-0123,,",
        ],
    );
    let out = env.sluice(&["import", &p, &file, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(report[0]["counts"]["rows"], 6, "{report}");

    let ids = |first: &str| -> Vec<String> {
        env.query(&format!(
            "SELECT id FROM contacts WHERE first_name = '{first}' ORDER BY id"
        ))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
    };
    let william = ids("William")[0].clone();
    let pats = ids("Pat");
    assert_eq!(pats.len(), 2);
    assert_eq!(ids("Maria").len(), 1);
    assert_eq!(ids("Dana").len(), 1);
    assert_eq!(ids("Garcia Consulting LLC").len(), 1);

    // The decisions, one per row, with scores and reasons.
    let decisions = env.query(
        "SELECT row_number, decision, coalesce(contact_id, '-'), score IS NOT NULL \
         FROM match_decisions WHERE import_id = 2 ORDER BY row_number",
    );
    let maria = ids("Maria")[0].clone();
    let dana = ids("Dana")[0].clone();
    let org = ids("Garcia Consulting LLC")[0].clone();
    let d = |row: &str, kind: &str, id: &str, scored: &str| {
        vec![
            row.to_string(),
            kind.to_string(),
            id.to_string(),
            scored.to_string(),
        ]
    };
    let expected_decisions = vec![
        d("2", "matched", &william, "1"),
        d("3", "new", &maria, "1"),
        d("4", "ambiguous", "-", "1"),
        d("5", "new", &dana, "0"),
        d("6", "same-as-row", &dana, "1"),
        d("7", "new", &org, "0"),
    ];
    assert_eq!(decisions, expected_decisions);

    // The ambiguous row is rejected with both candidates and their scores.
    let reasons = env
        .query("SELECT reasons_json FROM import_exceptions WHERE import_id = 2 AND row_number = 4");
    let reason = &reasons[0][0];
    assert!(
        reason.contains(&format!(
            "matches 2 existing contacts about equally well: #{} (1.00), #{} (1.00)",
            pats[0], pats[1]
        )),
        "{reason}"
    );

    // Appending: the empty phone is filled, the differing email kept as a further value.
    assert_eq!(
        env.query(&format!(
            "SELECT email, phone FROM contacts WHERE id = {william}"
        )),
        vec![vec![
            "w.okafor@old.example".to_string(),
            "+19375550188".to_string()
        ]]
    );
    assert_eq!(
        env.query(&format!(
            "SELECT field, value FROM contact_values WHERE contact_id = {william}"
        )),
        vec![vec!["email".to_string(), "bill@new.example".to_string()]]
    );
    assert_eq!(
        env.query(
            "SELECT table_name, action, field, coalesce(old_value, '-'), new_value FROM changes \
             WHERE import_id = 2 AND action != 'create' OR (import_id = 2 AND table_name = 'contact_values') \
             ORDER BY id"
        ),
        vec![
            vec!["contacts", "fill", "phone", "", "+19375550188"],
            vec!["contact_values", "create", "email", "-", "bill@new.example"],
            // Dana's second row fills the phone of the contact her first row created.
            vec!["contacts", "fill", "phone", "", "+15125550100"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );

    // `imports show --matches` explains every row, for people and in JSON.
    let db = env.db().display().to_string();
    let out = env.sluice(&["imports", "show", "2", "--matches", "--db", &db]);
    let text = stdout(&out);
    assert!(
        text.contains("first name nickname Bill~William +5.6; last name exact Okafor"),
        "{text}"
    );
    let out = env.sluice(&["imports", "show", "2", "--matches", "--json", "--db", &db]);
    let shown = json(&out);
    let matches = shown["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 6);
    assert_eq!(matches[0]["decision"], "matched");
    assert_eq!(matches[0]["contact_id"].to_string(), william);
    assert_eq!(matches[2]["decision"], "ambiguous");
    assert_eq!(matches[2]["candidates"].as_array().unwrap().len(), 2);

    // The further email finds William in a later import.
    let later = csv(
        &env,
        "later.csv",
        &["Call,2025-03-01,individual,William,Okafor,,,bill@new.example,,,"],
    );
    import(&env, &p, &later, 0);
    assert_eq!(
        env.query("SELECT decision, contact_id FROM match_decisions WHERE import_id = 3"),
        vec![vec!["matched".to_string(), william]]
    );
}

#[test]
fn append_policies_and_on_ambiguous() {
    let env = Env::new();
    let p = pipeline(
        &env,
        "p.toml",
        "contacts",
        "on_ambiguous = \"best\"\n[match.append]\n\"Occupation\" = \"replace\"\n\"Employer\" = \"ignore\"",
    );
    seed(&env, &p);
    let file = csv(
        &env,
        "in.csv",
        &[
            "Call,2025-02-01,individual,William,Okafor,,,w.okafor@old.example,,Globex,Manager",
            "Call,2025-02-01,individual,Pat,Lee,,,lee@family.example,,,",
        ],
    );
    import(&env, &p, &file, 3);
    assert_eq!(
        env.query("SELECT employer, occupation FROM contacts WHERE first_name = 'William'"),
        vec![vec!["Acme Inc".to_string(), "Manager".to_string()]]
    );
    assert_eq!(
        env.query(
            "SELECT action, field, old_value, new_value FROM changes WHERE import_id = 2 ORDER BY id"
        ),
        vec![vec![
            "replace".to_string(),
            "occupation".to_string(),
            "Engineer".to_string(),
            "Manager".to_string()
        ]]
    );
    // on_ambiguous = "best": attached to the first Pat Lee, flagged with both candidates.
    let pats = env.query("SELECT id FROM contacts WHERE first_name = 'Pat' ORDER BY id");
    let flagged = env.query(
        "SELECT status, reasons_json FROM import_exceptions WHERE import_id = 2 AND row_number = 3",
    );
    assert_eq!(flagged[0][0], "flagged");
    assert!(
        flagged[0][1].contains(&format!("attached to #{}", pats[0][0])),
        "{flagged:?}"
    );
    assert_eq!(
        env.query("SELECT contact_id FROM interactions WHERE import_id = 2 AND row_number = 3"),
        vec![vec![pats[0][0].clone()]]
    );

    // Bad settings name the line.
    let bad = pipeline(
        &env,
        "bad.toml",
        "contacts",
        "[match.append]\n\"Primary Emial\" = \"fill\"",
    );
    let out = env.sluice(&["check", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("bad.toml:12: `[match.append]`: \"Primary Emial\" is not a contact field"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_custom_matcher_is_loaded_by_path() {
    let env = Env::new();
    let wasm =
        Path::new(env!("SLUICE_FIXTURE_WASM_DIR")).join("sluice_plugin_example_matcher.wasm");
    let config = std::fs::read_to_string(repo().join("configs/custom-matcher.toml")).unwrap();
    let config = config
        .replace(
            "../target/wasm32-wasip2/release/sluice_plugin_example_matcher.wasm",
            &wasm.display().to_string(),
        )
        .replace("path = \"../sluice.db\"", "path = \"store.db\"");
    let p = env.write("custom.toml", &config).display().to_string();
    let example = repo()
        .join("configs/examples/interactions.csv")
        .display()
        .to_string();
    import(&env, &p, &example, 3);
    assert_eq!(env.count("contacts"), 12);
    let file = csv(
        &env,
        "in.csv",
        &[
            "Call,2025-05-01,individual,Maria,Gonzalez,,,MARIA.GONZALEZ@example.org,,,Principal",
            "Call,2025-05-01,individual,Ana,Gonzalez,,,maria.gonzalez@example.org,,,",
        ],
    );
    import(&env, &p, &file, 0);
    let maria = env.query("SELECT id, occupation FROM contacts WHERE first_name = 'Maria'");
    assert_eq!(maria.len(), 1);
    // `[match.append]` of the config: Occupation is replaced.
    assert_eq!(maria[0][1], "Principal");
    assert_eq!(
        env.query("SELECT decision, contact_id, reasons_json FROM match_decisions WHERE import_id = 2 ORDER BY row_number"),
        vec![
            vec!["matched".to_string(), maria[0][0].clone(), "[\"email exact\",\"names agree\"]".to_string()],
            vec!["new".to_string(), "13".to_string(), "[]".to_string()],
        ]
    );
}

#[test]
fn a_phone_one_digit_off_and_a_respelt_last_name_still_find_the_person() {
    let env = Env::new();
    let p = pipeline(&env, "p.toml", "contacts", "");
    let seed = csv(
        &env,
        "seed.csv",
        &[
            "Call,2025-01-02,individual,Dylan,Zilm,,\"43 Blamey Crescent, Wattle Glen VIC 4211\",,(217) 489-2613,,",
            "Call,2025-01-02,individual,Isaac,Clarke,,\"1 Armytage Circuit, Annangrove VIC 3636\",,(217) 945-1125,,",
        ],
    );
    import(&env, &p, &seed, 0);
    let file = csv(
        &env,
        "in.csv",
        &[
            // Dylan, his number keyed in with one digit wrong: his.
            "Call,2025-02-01,individual,Dylan,Zilm,,,,(217) 489-2623,,",
            // Another first name at Dylan's address with that number: a new person.
            "Call,2025-02-01,individual,Ruby,Zilm,,\"43 Blamey Crescent, Wattle Glen VIC 4211\",,(217) 489-2623,,",
            // Dylan's name with a number two digits off his: the name alone, a new person.
            "Call,2025-02-01,individual,Dylan,Zilm,,,,(217) 489-3523,,",
            // Clarke spelt Clark, his number, another house number: his.
            "Call,2025-02-01,individual,Isaac,Clark,,\"12 Armytage Circuit, Annangrove VIC 3636\",,(217) 945-1125,,",
        ],
    );
    import(&env, &p, &file, 0);
    let id = |first: &str| {
        env.query(&format!(
            "SELECT min(id) FROM contacts WHERE first_name = '{first}'"
        ))[0][0]
            .clone()
    };
    let (dylan, isaac, ruby) = (id("Dylan"), id("Isaac"), id("Ruby"));
    let second_dylan =
        env.query("SELECT max(id) FROM contacts WHERE first_name = 'Dylan'")[0][0].clone();
    assert_ne!(second_dylan, dylan);
    assert_eq!(
        env.query(
            "SELECT row_number, decision, contact_id FROM match_decisions WHERE import_id = 2 \
             ORDER BY row_number"
        ),
        [
            ["2", "matched", dylan.as_str()],
            ["3", "new", ruby.as_str()],
            ["4", "new", second_dylan.as_str()],
            ["5", "matched", isaac.as_str()],
        ]
        .map(|r| r.map(String::from).to_vec())
        .to_vec()
    );
    let reasons = env.query(
        "SELECT reasons_json FROM match_decisions WHERE import_id = 2 AND row_number IN (2, 5) \
         ORDER BY row_number",
    );
    assert!(
        reasons[0][0].contains("\"phone one digit off +10.0\""),
        "{reasons:?}"
    );
    assert!(
        reasons[1][0].contains("\"last name JW 0.97 "),
        "{reasons:?}"
    );
}

#[test]
fn an_employer_every_row_names_does_not_attach_a_namesake() {
    let env = Env::new();
    let p = pipeline(&env, "p.toml", "contacts", "");
    let seed = csv(
        &env,
        "seed.csv",
        &[
            "Call,2025-01-02,individual,Priya,Whitaker,,\"5406 Lake Blvd, Springfield IL 62722\",p7352@example.org,(453) 000-7352,Springfield Schools,Teacher",
        ],
    );
    import(&env, &p, &seed, 0);
    // A district's staff list: every row a teacher at Springfield Schools, Whitaker a
    // common name among them; last, another Priya Whitaker on Priya's street in another
    // ZIP code, with her own email and phone.
    let mut rows: Vec<String> = (0..2000)
        .map(|i| {
            let last = if i % 70 == 0 {
                "Whitaker".to_string()
            } else {
                format!("Other{i}")
            };
            format!(
                "Call,2025-02-01,individual,Ann,{last},,,ann{i}@example.org,,Springfield Schools,Teacher"
            )
        })
        .collect();
    rows.push("Call,2025-02-01,individual,Priya,Whitaker,,\"5406 Lake Blvd, Springfield IL 62749\",p2289588@example.org,(252) 228-9588,Springfield Schools,Teacher".to_string());
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let file = csv(&env, "staff.csv", &rows);
    // The namesake is a new contact: the employer and occupation every row shares are no
    // evidence, nor is the same house number on a street of the same name in another ZIP.
    import(&env, &p, &file, 0);
    let decision = env.query(
        "SELECT decision, contact_id != 1, reasons_json FROM match_decisions \
         WHERE import_id = 2 AND row_number = 2002",
    );
    assert_eq!(decision[0][..2], ["new", "1"], "{decision:?}");
    assert_eq!(
        decision[0][2],
        "[\"first name exact Priya +7.2\",\"last name exact Whitaker +6.0\",\"email same domain only \u{2212}0.7\",\
         \"phone differs \u{2212}3.3\",\"address same locality only (number = 5406, street = lk, locality = springfield, \
         state = il, postcode \u{2260} 62749/62722) +0.7\",\"employer exact Springfield schools \u{2212}0.5\",\
         \"occupation exact Teacher \u{2212}0.5\",\"name only: nothing but the name agrees, so not matched\"]"
    );
}

#[test]
fn a_name_too_common_to_block_on_finds_no_one_and_is_counted() {
    let env = Env::new();
    let p = pipeline(&env, "p.toml", "contacts", "");
    // 60 John Smiths, each with an email of his own: "Smith" + "J" is shared by more
    // contacts than a key may be and still find candidates.
    let rows: Vec<String> = (0..60)
        .map(|i| format!("Call,2025-02-01,individual,John,Smith,,,john{i}@example.org,,,"))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let file = csv(&env, "smiths.csv", &rows);
    import(&env, &p, &file, 0);
    assert_eq!(env.count("contacts"), 60);
    // A John Smith with the 8th one's email is found through the email alone, and only
    // that contact was a candidate: the three name keys (surname and sound-alike, each with
    // the first initial, and first name with the last initial) were too common and found
    // no one.
    let file = csv(
        &env,
        "one.csv",
        &["Call,2025-03-01,individual,John,Smith,,,john7@example.org,,,"],
    );
    let out = env.sluice(&["import", &p, &file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)[0]["capped_lookups"], 3);
    assert_eq!(
        env.query(
            "SELECT decision, contact_id, json_array_length(candidates_json) \
             FROM match_decisions WHERE import_id = 2"
        ),
        [["matched", "8", "1"]].map(|r| r.map(String::from).to_vec())
    );
}
