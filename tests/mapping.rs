//! End-to-end tests of column mapping, normalisation and member coding: `sluice map` (table,
//! `--json`, `--write-config`, exit codes), `sluice template` (CSV and `--xlsx`), the import
//! of a messy Windows-1252 export whose stored values are checked exactly, and address parts
//! in the store (following the address, undone, never without one).

#![allow(clippy::unwrap_used)] // Tests: a failed step is a failed test.

mod common;

use common::{Env, json, repo, stderr, stdout};

fn fixture(name: &str) -> String {
    repo()
        .join("tests/fixtures/mapping")
        .join(name)
        .display()
        .to_string()
}

const PIPELINE: &str = "[pipeline]\nname = \"t\"\ntimezone = \"America/New_York\"\n\
    [source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n";

#[test]
fn map_shows_the_split_the_guess_and_the_unmapped_column() {
    let env = Env::new();
    let pipeline = env.write("p.toml", PIPELINE).display().to_string();
    let file = env
        .write(
            "in.csv",
            "Full Name,Ocupation,Type,Date,Contact Type,Favourite Color\n\
             Jane Doe,teacher,phone call,3/14/2025,person,blue\n\
             \"Smith Jr., John\",nurse,mtg,2025-03-20,individual,red\n",
        )
        .display()
        .to_string();

    let out = env.sluice(&["map", &pipeline, &file]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    let line = |column: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(column))
            .unwrap_or_else(|| panic!("no line for {column}:\n{text}"))
            .to_string()
    };
    assert!(
        line("Full Name").contains("First Name + Last Name + Suffix  1.00        certain"),
        "{text}"
    );
    assert!(
        line("Ocupation")
            .contains("Occupation?                      0.77        ! uncertain, not applied"),
        "{text}"
    );
    assert!(
        line("Favourite Color").contains("unmapped, not imported"),
        "{text}"
    );
    // The samples after the transforms show the split.
    assert!(text.contains("First Name        Jane | John\n"), "{text}");
    assert!(text.contains("Last Name         Doe | Smith\n"), "{text}");
    assert!(text.contains("Suffix             | Jr.\n"), "{text}");
    assert!(
        text.contains(
            "! \"Ocupation\" might be Occupation (spelled like `occupation` (90% similar): check \
             it, confidence 0.77): not applied; confirm it with `columns = { \"Occupation\" = \"Ocupation\" }`"
        ),
        "{text}"
    );

    let out = env.sluice(&["map", &pipeline, &file, "--json", "--samples", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["certain"], false);
    let columns = v["columns"].as_array().unwrap();
    let summary: Vec<(String, String, String, bool)> = columns
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_string(),
                c["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("+"),
                c["status"].as_str().unwrap().to_string(),
                c["applied"].as_bool().unwrap(),
            )
        })
        .collect();
    let row = |c: &str, t: &str, s: &str, a: bool| (c.to_string(), t.to_string(), s.to_string(), a);
    assert_eq!(
        summary,
        vec![
            row("Full Name", "First Name+Last Name+Suffix", "certain", true),
            row("Ocupation", "Occupation", "uncertain", false),
            row("Type", "Interaction Type", "certain", true),
            row("Date", "Date", "certain", true),
            row("Contact Type", "Contact Type", "certain", true),
            row("Favourite Color", "", "unmapped", false),
        ]
    );
    assert_eq!(columns[1]["confidence"], 0.77);
    assert_eq!(columns[1]["samples"], serde_json::json!(["teacher"]));
    assert_eq!(
        v["output"]["columns"],
        serde_json::json!([
            "Interaction Type",
            "Date",
            "Contact Type",
            "First Name",
            "Last Name",
            "Suffix"
        ])
    );

    // Writing the mapping and pasting it into the pipeline confirms the guess: exit 0.
    let out = env.sluice(&["map", &pipeline, &file, "--write-config", "mapping.toml"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let snippet = std::fs::read_to_string(env.path("mapping.toml")).unwrap();
    assert!(
        snippet.contains("\"Occupation\" = \"Ocupation\"  # uncertain (0.77)"),
        "{snippet}"
    );
    let body: String = snippet
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("[transform.params]"))
        .map(|l| format!("{l}\n"))
        .collect();
    let confirmed = env
        .write("confirmed.toml", &format!("{PIPELINE}{body}"))
        .display()
        .to_string();
    let out = env.sluice(&["map", &confirmed, &file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["certain"], true);
    assert_eq!(v["columns"][1]["status"], "certain");
    assert_eq!(v["columns"][1]["reason"], "set in `columns`");
}

#[test]
fn the_template_maps_onto_itself_and_imports() {
    let env = Env::new();
    let out = env.sluice(&["template", "interactions", "-o", "template.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = std::fs::read_to_string(env.path("template.csv")).unwrap();
    assert!(csv.starts_with(
        "Interaction Type,Date,Contact Type,First Name,Last Name,Suffix,Primary Address,\
         Primary Email,Primary Phone,Employer,Occupation,Member Code,Call Result,Pledge Amount,\
         Pledge Commitment,Pledge Expected Date,Pledge Source Code,Notes\r\n"
    ));
    assert_eq!(csv.lines().count(), 3);
    // On stdout without -o, byte for byte the same.
    let out = env.sluice(&["template", "interactions"]);
    assert_eq!(stdout(&out), csv);

    let pipeline = fixture("pipeline.toml");
    let out = env.sluice(&["map", &pipeline, "template.csv", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    for c in v["columns"].as_array().unwrap() {
        assert_eq!(c["status"], "certain", "{c}");
        assert_eq!(c["targets"], serde_json::json!([c["column"]]), "{c}");
    }

    let db = env.db().display().to_string();
    let out = env.sluice(&["import", &pipeline, "template.csv", "--db", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.query(
            "SELECT kind, occurred_at, member_code, call_result FROM interactions ORDER BY id"
        ),
        vec![
            vec![
                "Call".to_string(),
                "2025-03-14T14:30:00Z".into(),
                "2024 Cycle".into(),
                "spoke".into()
            ],
            vec![
                "Meeting".to_string(),
                "2025-03-20T04:00:00Z".into(),
                "2024 Cycle".into(),
                "pledge".into()
            ],
        ]
    );
    assert_eq!(
        env.query("SELECT amount_cents, commitment, expected_date, source_code FROM pledges"),
        vec![vec![
            "125000".to_string(),
            "Monthly".into(),
            "2025-04-30".into(),
            "SPRING25".into()
        ]]
    );
}

#[test]
fn a_messy_windows_1252_export_is_stored_exactly() {
    let env = Env::new();
    let db = env.db().display().to_string();
    let out = env.sluice(&[
        "import",
        &fixture("pipeline.toml"),
        &fixture("messy.csv"),
        "--db",
        &db,
        "--member-code",
        "Spring Gala",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("it was read as Windows-1252"),
        "{}",
        stderr(&out)
    );
    let r = |cells: &[&str]| cells.iter().map(|c| (*c).to_string()).collect::<Vec<_>>();
    assert_eq!(
        env.query(
            "SELECT contact_type, first_name, last_name, suffix, address, email, phone \
             FROM contacts ORDER BY id"
        ),
        vec![
            r(&[
                "individual",
                "José",
                "Muñoz",
                "",
                "12 Main St, Springfield, IL 62701",
                "jose.munoz@example.org",
                "+12025550143"
            ]),
            r(&[
                "individual",
                "Zoë",
                "Adams",
                "Jr.",
                "48 Oak Ave, Columbus, OH 43004",
                "zoe@example.com",
                "+12025550199;ext=12"
            ]),
            r(&[
                "individual",
                "Renée",
                "O'Brien",
                "",
                "",
                "renee@example.org",
                "+442079460958"
            ]),
            r(&[
                "organization",
                "Acme Café",
                "",
                "",
                "1 Plaza, Boston, MA 02110",
                "info@acme.example",
                ""
            ]),
            r(&[
                "individual",
                "Li",
                "Chen",
                "",
                "",
                "li.chen@example.org",
                ""
            ]),
        ]
    );
    assert_eq!(
        env.query(
            "SELECT row_number, kind, occurred_at, member_code, notes, contact_id \
             FROM interactions ORDER BY row_number"
        ),
        vec![
            // 2:05 PM in New York after the DST change of 9 March: UTC-4.
            r(&[
                "2",
                "Call",
                "2025-03-14T18:05:00Z",
                "Spring Gala",
                "Called about the gala; Donor ID: D17",
                "1"
            ]),
            r(&[
                "3",
                "Meeting",
                "2025-03-20T04:00:00Z",
                "Spring Gala",
                "Donor ID: D18",
                "2"
            ]),
            // Excel serial 45720 is 2025-03-04, midnight in New York (UTC-5).
            r(&[
                "4",
                "Email",
                "2025-03-04T05:00:00Z",
                "Spring Gala",
                "Donor ID: D19",
                "3"
            ]),
            r(&[
                "5",
                "Mail",
                "2025-03-04T05:00:00Z",
                "Spring Gala",
                "Donor ID: D20",
                "4"
            ]),
            r(&[
                "6",
                "Thank",
                "2025-03-04T05:00:00Z",
                "Spring Gala",
                "Donor ID: D21",
                "1"
            ]),
            r(&[
                "7",
                "Call",
                "2025-03-04T05:00:00Z",
                "Spring Gala",
                "Donor ID: D22",
                "5"
            ]),
        ]
    );
    assert_eq!(
        env.query("SELECT amount_cents, contact_id FROM pledges ORDER BY id"),
        vec![r(&["125000", "2"]), r(&["50000", "4"])]
    );
    assert_eq!(
        env.query(
            "SELECT row_number, status, reasons_json FROM import_exceptions ORDER BY row_number"
        ),
        vec![r(&[
            "8",
            "rejected",
            r#"["Interaction Type \"Visit\" is not one of Call, Email, Text, Meeting, Thank, App, Mail","Date \"2/30/2025\" is not a date"]"#
        ]),]
    );
}

#[test]
fn the_member_code_comes_from_the_file_name_or_fails_clearly() {
    let env = Env::new();
    let pipeline = env
        .write(
            "p.toml",
            &format!(
                "{PIPELINE}[[transform]]\nplugin = \"member-code\"\n[transform.params]\n\
                 from_file = \"^(?P<code>[^_]+)_\"\n"
            ),
        )
        .display()
        .to_string();
    let rows = "Type,Date,Contact Type,First Name,Last Name,Email\n\
                Call,2025-03-14,individual,Ann,Lee,ann@example.org\n";
    env.write("Spring Gala_calls.csv", rows);
    // Another file (a file is imported once, by content).
    env.write("calls.csv", &rows.replace("Ann,Lee,ann@", "Bo,Wu,bo@"));
    let db = env.db().display().to_string();
    let out = env.sluice(&["import", &pipeline, "Spring Gala_calls.csv", "--db", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.query("SELECT member_code FROM interactions"),
        vec![vec!["Spring Gala".to_string()]]
    );
    let out = env.sluice(&["import", &pipeline, "calls.csv", "--db", &db]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "the file name \"calls.csv\" does not match `from_file` (\"^(?P<code>[^_]+)_\"), so \
             it gives no member code: rename the file or set one with --member-code"
        ),
        "{}",
        stderr(&out)
    );
    // --member-code comes first, so the same file imports with it.
    let out = env.sluice(&[
        "import",
        &pipeline,
        "calls.csv",
        "--db",
        &db,
        "--member-code",
        "Fall",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.query("SELECT member_code FROM interactions ORDER BY id"),
        vec![vec!["Spring Gala".to_string()], vec!["Fall".to_string()]]
    );
}

/// The address columns of a contact, by id.
const ADDRESSES: &str = "SELECT id, address, address_line1, address_line2, city, state, zip \
                         FROM contacts ORDER BY id";

fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| (*c).to_string()).collect())
        .collect()
}

#[test]
fn address_parts_are_stored_follow_the_address_and_undo() {
    let env = Env::new();
    let pipeline = env
        .write(
            "p.toml",
            &format!("{PIPELINE}[match]\nplugin = \"contacts\"\n[match.append]\n\"Primary Address\" = \"replace\"\n"),
        )
        .display()
        .to_string();
    let import = |file: &str, text: &str| {
        let path = env.write(file, text).display().to_string();
        let db = env.db().display().to_string();
        let out = env.sluice(&["import", &pipeline, &path, "--db", &db]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    // A one-line address: no parts are invented.
    import(
        "one-line.csv",
        "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,Primary Address\n\
         Call,2025-03-01,individual,Maria,Gonzalez,maria@example.org,\"12 Main St, Springfield, IL 62701\"\n",
    );
    let before = env.query(ADDRESSES);
    assert_eq!(
        before,
        rows(&[&["1", "12 Main St, Springfield, IL 62701", "", "", "", "", ""]])
    );

    // Split columns: Maria's parts fill in (they join to her address); James is new.
    const SPLIT: &str =
        "Type,Date,Contact Type,First Name,Last Name,Email,Street,Apt,City,ST,Zip Code\n";
    import(
        "split.csv",
        &format!(
            "{SPLIT}Meeting,2025-03-02,individual,Maria,Gonzalez,maria@example.org,12  Main St,,Springfield,IL,62701\n\
             Call,2025-03-03,individual,James,Carter,jcarter@example.com,48 Oak Ave,Suite 2,Columbus,OH,43004\n"
        ),
    );
    let split = rows(&[
        &[
            "1",
            "12 Main St, Springfield, IL 62701",
            "12 Main St",
            "",
            "Springfield",
            "IL",
            "62701",
        ],
        &[
            "2",
            "48 Oak Ave, Suite 2, Columbus, OH 43004",
            "48 Oak Ave",
            "Suite 2",
            "Columbus",
            "OH",
            "43004",
        ],
    ]);
    assert_eq!(env.query(ADDRESSES), split);
    assert_eq!(
        env.query(
            "SELECT row_id, action, field, old_value, new_value FROM changes \
             WHERE import_id = 2 AND action != 'create' ORDER BY id"
        ),
        rows(&[
            &["1", "fill", "address_line1", "", "12 Main St"],
            &["1", "fill", "city", "", "Springfield"],
            &["1", "fill", "state", "", "IL"],
            &["1", "fill", "zip", "", "62701"],
        ])
    );

    // Maria moves: under `replace` the address and its parts change together.
    import(
        "moved.csv",
        &format!(
            "{SPLIT}Thank,2025-03-04,individual,Maria,Gonzalez,maria@example.org,9 Elm St,,Peoria,IL,61602\n"
        ),
    );
    assert_eq!(
        env.query(ADDRESSES)[0],
        rows(&[&[
            "1",
            "9 Elm St, Peoria, IL 61602",
            "9 Elm St",
            "",
            "Peoria",
            "IL",
            "61602"
        ]])[0]
    );

    let db = env.db().display().to_string();
    for (id, expected) in [("3", &split), ("2", &before)] {
        let out = env.sluice(&["undo", id, "--db", &db]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(&env.query(ADDRESSES), expected, "after undoing import {id}");
    }
}

#[test]
fn the_store_refuses_address_parts_without_an_address() {
    // Without the mapping transform nothing joins the parts: the host guard rejects the row.
    let env = Env::new();
    let pipeline = env
        .write(
            "raw.toml",
            "[pipeline]\nname = \"raw\"\n[source]\nplugin = \"csv\"\n",
        )
        .display()
        .to_string();
    let file = env
        .write(
            "raw.csv",
            "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email,Primary Address,City\n\
             Call,2025-03-01T15:00:00Z,individual,Ann,Lee,ann@example.org,,Boston\n\
             Call,2025-03-01T16:00:00Z,individual,Bo,Kim,bo@example.org,\"1 Plaza, Boston, MA\",Boston\n",
        )
        .display()
        .to_string();
    let db = env.db().display().to_string();
    let out = env.sluice(&["import", &pipeline, &file, "--db", &db]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        env.query("SELECT row_number, status, reasons_json FROM import_exceptions"),
        rows(&[&[
            "2",
            "rejected",
            r#"["cannot store City \"Boston\" without a Primary Address: the address parts are kept only beside the whole address (the `mapping` transform joins them)"]"#
        ]])
    );
    assert_eq!(
        env.query("SELECT first_name, address, city FROM contacts"),
        rows(&[&["Bo", "1 Plaza, Boston, MA", "Boston"]])
    );
}

#[test]
fn the_xlsx_template_imports_through_the_excel_source() {
    let env = Env::new();
    let out = env.sluice(&["template", "interactions", "--xlsx", "-o", "template.xlsx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bytes = std::fs::read(env.path("template.xlsx")).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a zip file");
    // To a pipe without -o: the same workbook.
    let out = env.sluice(&["template", "interactions", "--xlsx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.starts_with(b"PK\x03\x04"));

    // The example pipeline picks the excel source by extension and stores both rows exactly
    // as from the CSV template: the date cells read in the pipeline's time zone.
    let pipeline = repo()
        .join("configs/interactions.toml")
        .display()
        .to_string();
    let db = env.db().display().to_string();
    let out = env.sluice(&["import", &pipeline, "template.xlsx", "--db", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        env.query(
            "SELECT i.kind, i.occurred_at, i.member_code, i.call_result, i.notes, c.contact_type, \
             c.first_name, c.last_name, c.suffix, c.address, c.email, c.phone, c.employer, \
             c.occupation FROM interactions i JOIN contacts c ON c.id = i.contact_id ORDER BY i.id"
        ),
        rows(&[
            &[
                "Call",
                "2025-03-14T14:30:00Z",
                "2024 Cycle",
                "spoke",
                "Interested in volunteering",
                "individual",
                "Maria",
                "Gonzalez",
                "",
                "12 Main St, Springfield, IL 62701",
                "maria.gonzalez@example.org",
                "+12175550143",
                "Springfield Schools",
                "Teacher",
            ],
            &[
                "Meeting",
                "2025-03-20T04:00:00Z",
                "2024 Cycle",
                "pledge",
                "Pledged at the spring breakfast",
                "individual",
                "James",
                "Carter",
                "Jr.",
                "48 Oak Ave, Columbus, OH 43004",
                "jcarter@example.com",
                "+16145550199",
                "Carter Hardware",
                "Owner",
            ],
        ])
    );
    assert_eq!(
        env.query("SELECT amount_cents, commitment, expected_date, source_code FROM pledges"),
        rows(&[&["125000", "Monthly", "2025-04-30", "SPRING25"]])
    );
}

#[test]
fn the_xlsx_template_is_not_written_to_a_terminal() {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use std::process::Stdio;
    let env = Env::new();
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let terminal = std::fs::OpenOptions::new()
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();
    let out = env
        .command(&["template", "interactions", "--xlsx"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(terminal))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "sluice: refusing to write a binary workbook to the terminal\n  fix: name a file with -o \
         FILE.xlsx, or redirect stdout to a file or a pipe\n"
    );
    drop(master);
}
