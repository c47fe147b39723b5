//! Nickname equivalence (Bill ~ William, Peggy ~ Margaret) from a vendored, Apache-2.0
//! licensed list: `data/nicknames.csv` from the `nicknames` package (Carlton Northern and
//! Nick Crews), licence in `data/LICENSE-nicknames.txt`.

use std::collections::HashMap;

/// The vendored list: `name1,relationship,name2` lines, `name2` a nickname of `name1`.
const LIST: &str = include_str!("../data/nicknames.csv");

/// Which formal names each name stands for.
pub struct Nicknames {
    /// Name → the formal names it is (a formal name maps to itself too).
    formal: HashMap<String, Vec<u32>>,
    /// The ids of names listed as formal names themselves.
    ids: HashMap<String, u32>,
    /// The length of each formal name, by id.
    lengths: Vec<usize>,
}

impl Nicknames {
    /// Reads the vendored list.
    #[must_use]
    pub fn load() -> Self {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut formal: HashMap<String, Vec<u32>> = HashMap::new();
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
        for (name, id) in &ids {
            if let Some(l) = lengths.get_mut(*id as usize) {
                *l = name.len();
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
        }
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
        let n = Nicknames::load();
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
}
