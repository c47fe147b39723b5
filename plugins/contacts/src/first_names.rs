//! What the matcher knows of first names: nickname equivalence (Bill ~ William, Peggy ~
//! Margaret) from a vendored, Apache-2.0 licensed list (`data/nicknames.csv` from the
//! `nicknames` package by Carlton Northern and Nick Crews, licence in
//! `data/LICENSE-nicknames.txt`), and which spellings are given names at all (that list's
//! names and the 1990 US Census first names in `data/given-names.txt`, public domain).

// A fast hash with no random state: the keys are the matcher's own normalised values.
use rustc_hash::FxHashMap as HashMap;

/// The vendored list: `name1,relationship,name2` lines, `name2` a nickname of `name1`.
const LIST: &str = include_str!("../data/nicknames.csv");

/// The 1990 US Census female and male first names, lower case, one per line, each with the
/// sex that bears it: `f` or `m` when the other sex's share is under a tenth of it, `-` for
/// names both carry (Jean, Terry, Angel).
const GIVEN_NAMES: &str = include_str!("../data/given-names.txt");

/// Which sex bears a given name, as far as the Census tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sex {
    Female,
    Male,
    Either,
}

/// Which formal names each name stands for, and which spellings are known given names.
pub struct FirstNames {
    /// Name → the formal names it is (a formal name maps to itself too).
    formal: HashMap<String, Vec<u32>>,
    /// The ids of names listed as formal names themselves.
    ids: HashMap<String, u32>,
    /// The length of each formal name, by id.
    lengths: Vec<usize>,
    /// Each formal name (normalised), by id.
    names: Vec<String>,
    /// The Census names and their sex (the nickname list's names are the keys of `formal`).
    census: HashMap<&'static str, Sex>,
}

impl FirstNames {
    /// Reads the vendored lists.
    #[must_use]
    pub fn load() -> Self {
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let mut formal: HashMap<String, Vec<u32>> = HashMap::default();
        for line in LIST.lines().skip(1) {
            let mut parts = line.split(',');
            let (Some(name), Some(_), Some(nick)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            let id = *ids.entry(name).or_insert(next);
            for n in [name, nick] {
                let list = formal.entry(super::normalise::name(n)).or_default();
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
        let mut lengths = vec![0; ids.len()];
        let mut names = vec![String::new(); ids.len()];
        for (name, id) in &ids {
            if let Some(l) = lengths.get_mut(*id as usize) {
                *l = name.len();
            }
            if let Some(n) = names.get_mut(*id as usize) {
                *n = super::normalise::name(name);
            }
        }
        let ids = ids
            .into_iter()
            .map(|(k, v)| (super::normalise::name(k), v))
            .collect();
        Self {
            formal,
            ids,
            lengths,
            names,
            census: GIVEN_NAMES
                .lines()
                .filter_map(|line| {
                    let (name, sex) = line.split_once(' ')?;
                    let sex = match sex {
                        "f" => Sex::Female,
                        "m" => Sex::Male,
                        _ => Sex::Either,
                    };
                    Some((name, sex))
                })
                .collect(),
        }
    }

    /// Whether a normalised name is a known given name: one of the nickname list or the
    /// Census list. "Sophi" and "Blak" are not; "Sophie", "Blake" and "Louis" are.
    #[must_use]
    pub fn is_given_name(&self, name: &str) -> bool {
        self.census.contains_key(name) || self.formal.contains_key(name)
    }

    /// Whether two normalised names are borne by opposite sexes (Mark/Mary, Louis/Louise,
    /// Edwin/Edwina): two people, whatever the nickname list relates (it lists Louise as a
    /// nickname of Louis) or however alike they are spelt.
    #[must_use]
    pub fn opposite_sexes(&self, a: &str, b: &str) -> bool {
        matches!(
            (self.census.get(a), self.census.get(b)),
            (Some(Sex::Female), Some(Sex::Male)) | (Some(Sex::Male), Some(Sex::Female))
        )
    }

    /// Whether the shorter of two related first names is a given name of its own that
    /// both sexes bear (Sam for Samuel and Samantha, Alex, Chris, Casey, Pat): then it is
    /// no proof that the longer one is the same person, inside a household above all.
    /// Both sexes bear it when the census says so, or when it clips formal names of both
    /// sexes (Sam: Samuel, Samantha): a clipped name is one word for either, while a pet
    /// form with its own spelling is marked (Tony for Anthony, where Antonia is Toni;
    /// Andy for Andrew, where Andrea is Andi).
    #[must_use]
    pub fn ambiguous_short_form(&self, a: &str, b: &str) -> bool {
        let short = if a.len() <= b.len() { a } else { b };
        let Some(sex) = self.census.get(short) else {
            return false;
        };
        if *sex == Sex::Either {
            return true;
        }
        let mut sexes = self
            .formal
            .get(short)
            .into_iter()
            .flatten()
            .filter_map(|id| self.names.get(*id as usize))
            .filter(|n| n.starts_with(short))
            .filter_map(|n| self.census.get(n.as_str()));
        let first = sexes.next();
        sexes.any(|s| Some(s) != first || *s == Sex::Either)
    }

    /// Whether two different normalised first names can be the same person's: one is a
    /// nickname of the other, or both are nicknames of one longer formal name (Billy and
    /// Will of William). The list also relates names through shorter ones (Robert and
    /// William through Bill), which does not make them one name.
    #[must_use]
    pub fn equivalent(&self, a: &str, b: &str) -> bool {
        let (Some(x), Some(y)) = (self.formal.get(a), self.formal.get(b)) else {
            return false;
        };
        let (ida, idb) = (self.ids.get(a), self.ids.get(b));
        let direct = ida.is_some_and(|id| y.contains(id)) || idb.is_some_and(|id| x.contains(id));
        let longest = a.len().max(b.len());
        direct
            || x.iter().any(|id| {
                y.contains(id) && self.lengths.get(*id as usize).is_some_and(|l| *l > longest)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_pairs() {
        let n = FirstNames::load();
        for (a, b) in [
            ("bill", "william"),
            ("william", "bill"),
            ("billy", "will"),
            ("peggy", "margaret"),
            ("bob", "robert"),
            ("liz", "elizabeth"),
            ("jim", "james"),
            ("kate", "katherine"),
        ] {
            assert!(n.equivalent(a, b), "{a} ~ {b}");
        }
        for (a, b) in [
            ("bill", "mary"),
            ("aaron", "ronald"),
            ("mary", "john"),
            ("robert", "william"),
        ] {
            assert!(!n.equivalent(a, b), "{a} !~ {b}");
        }
    }

    #[test]
    fn given_names() {
        let n = FirstNames::load();
        for name in ["sophie", "louis", "louise", "daniela", "bill", "aleksandr"] {
            assert!(n.is_given_name(name), "{name}");
        }
        for name in ["sophi", "blak", "emm", "", "okafor"] {
            assert!(!n.is_given_name(name), "{name}");
        }
    }

    #[test]
    fn opposite_sexes() {
        let n = FirstNames::load();
        for (a, b) in [
            ("mark", "mary"),
            ("louise", "louis"),
            ("edwin", "edwina"),
            ("jo", "joe"),
            ("john", "joan"),
        ] {
            assert!(n.opposite_sexes(a, b), "{a}/{b}");
        }
        for (a, b) in [
            ("mary", "maria"),
            ("terry", "terri"),
            ("jean", "john"),
            ("mark", "marc"),
            ("sophi", "john"),
        ] {
            assert!(!n.opposite_sexes(a, b), "{a}/{b}");
        }
    }
}
