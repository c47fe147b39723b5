//! Small files about a handful of people, shared by the tests that need a store with known
//! contacts and a file that meets them (hostile plugins, plugin-error recovery).

use super::{Env, stderr};

/// The header of every file below.
pub const HEADER: &str = "Interaction Type,Date,Contact Type,First Name,Last Name,Primary Email\n";

/// Imports two people (Ana Lima, Ben Okafor) into `store.db` with a plain pipeline.
pub fn seed_two_people(env: &Env) {
    let clean = env.write(
        "clean.toml",
        "[pipeline]\nname = \"clean\"\n[source]\nplugin = \"csv\"\n[[transform]]\nplugin = \"mapping\"\n\
         [[validate]]\nplugin = \"interactions\"\n[store]\npath = \"store.db\"\n",
    );
    let seed = env.write(
        "seed.csv",
        &format!(
            "{HEADER}Call,3/14/2025,individual,Ana,Lima,ana@example.org\n\
             Email,2025-03-15,individual,Ben,Okafor,ben@example.org\n"
        ),
    );
    let out = env.sluice(&["import", clean.to_str().unwrap(), seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Six rows (file rows 2-7); row 5 is about Ana, whom [`seed_two_people`] stored.
pub fn six_people(env: &Env) -> String {
    env.write(
        "six.csv",
        &format!(
            "{HEADER}Call,3/14/2025,individual,Cara,Diaz,cara@example.org\n\
             Email,2025-03-15,individual,Dev,Patel,dev@example.org\n\
             Meeting,2025-03-16,individual,Eve,Moreau,eve@example.org\n\
             Text,2025-03-17,individual,Ana,Lima,ana@example.org\n\
             Mail,2025-03-18,individual,Gus,Ortiz,gus@example.org\n\
             Thank,2025-03-19,individual,Hana,Sato,hana@example.org\n"
        ),
    )
    .display()
    .to_string()
}

/// Two new people: no row 5, and nothing for a matcher to score.
pub fn two_new_people(env: &Env) -> String {
    env.write(
        "next.csv",
        &format!(
            "{HEADER}Call,2025-05-01,individual,Ivy,Nakamura,ivy@example.org\n\
             Email,2025-05-02,individual,Jon,Berg,jon@example.org\n"
        ),
    )
    .display()
    .to_string()
}
