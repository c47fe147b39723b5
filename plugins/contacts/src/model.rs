//! The Fellegi–Sunter model behind the scores: for each compared field and each of its
//! comparison levels, `m` (the chance the field lands on that level when the two records are
//! one person) and `u` (when they are two people), and `lambda`, the share of blocked
//! candidate pairs that are one person.
//!
//! The weight of a level is the log2 Bayes factor `log2(m / u)`; a pair's match weight is
//! the sum over its fields plus the prior log-odds `log2(lambda / (1 - lambda))`, and its
//! score the posterior `1 / (1 + 2^-weight)` (Fellegi and Sunter, "A Theory for Record
//! Linkage", JASA 1969). The parameters are estimated from the data as Splink does: `u` from
//! random pairs of records and stored contacts, `m` and `lambda` by expectation–maximisation
//! over the blocked candidate pairs (Winkler, "Using the EM Algorithm for Weight Computation
//! in the Fellegi–Sunter Model of Record Linkage", 1988). Priors act as pseudo-counts, so a
//! small sample moves them little and a store too small to estimate from decides with them.

use std::fmt::Write as _;

/// A compared field: one column of a pair's comparison vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    FirstName,
    LastName,
    Suffix,
    Address,
    Email,
    Phone,
    Employer,
    Occupation,
    Organisation,
}

/// Every field, in comparison-vector order.
pub const FIELDS: [Field; 9] = [
    Field::FirstName,
    Field::LastName,
    Field::Suffix,
    Field::Address,
    Field::Email,
    Field::Phone,
    Field::Employer,
    Field::Occupation,
    Field::Organisation,
];

/// The prior `(level name, m, u)` of each level of a field, best agreement first. A field
/// missing on either side is no level: it adds no weight.
#[must_use]
pub fn prior_levels(field: Field) -> &'static [(&'static str, f64, f64)] {
    match field {
        Field::FirstName => &[
            ("exact", 0.86, 0.006),
            ("nickname", 0.04, 0.0008),
            ("close", 0.05, 0.001),
            ("similar", 0.02, 0.003),
            ("initial", 0.02, 0.004),
            ("differs", 0.01, 0.9852),
        ],
        Field::LastName => &[
            ("exact", 0.88, 0.003),
            ("close", 0.06, 0.0008),
            ("similar", 0.02, 0.002),
            ("sounds-alike", 0.02, 0.004),
            ("differs", 0.02, 0.9902),
        ],
        Field::Suffix => &[("exact", 0.97, 0.4), ("differs", 0.03, 0.6)],
        Field::Address => &[
            ("exact", 0.6, 0.000_02),
            ("street-and-number", 0.15, 0.000_02),
            ("street-other-number", 0.06, 0.000_2),
            ("number-and-postcode", 0.04, 0.000_1),
            ("locality", 0.05, 0.03),
            ("differs", 0.10, 0.969_66),
        ],
        Field::Email => &[
            ("exact", 0.85, 0.000_01),
            ("same-local-part", 0.04, 0.000_05),
            ("same-domain", 0.03, 0.05),
            ("differs", 0.08, 0.949_94),
        ],
        Field::Phone => &[
            ("exact", 0.8, 0.000_01),
            ("last-7", 0.05, 0.000_01),
            ("one-digit-off", 0.05, 0.000_05),
            ("differs", 0.10, 0.999_93),
        ],
        Field::Employer => &[
            ("exact", 0.7, 0.01),
            ("similar", 0.1, 0.005),
            ("differs", 0.2, 0.985),
        ],
        Field::Occupation => &[("exact", 0.7, 0.03), ("differs", 0.3, 0.97)],
        Field::Organisation => &[
            ("exact", 0.8, 0.001),
            ("close", 0.1, 0.001),
            ("similar", 0.05, 0.005),
            ("differs", 0.05, 0.993),
        ],
    }
}

/// The name of a field in the model's text form.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::FirstName => "first_name",
        Field::LastName => "last_name",
        Field::Suffix => "suffix",
        Field::Address => "address",
        Field::Email => "email",
        Field::Phone => "phone",
        Field::Employer => "employer",
        Field::Occupation => "occupation",
        Field::Organisation => "organisation",
    }
}

/// Per level of field `f` (with `n` levels), the summed weights of the pairs at that level.
fn level_sums<'a>(pairs: impl Iterator<Item = (f64, &'a Gamma)>, f: usize, n: usize) -> Vec<f64> {
    let mut sums = vec![0.0; n];
    for (weight, g) in pairs {
        if let Some(Some(l)) = g.get(f)
            && let Some(s) = sums.get_mut(usize::from(*l))
        {
            *s += weight;
        }
    }
    sums
}

/// A pair's comparison vector: per field (in [`FIELDS`] order) the level, `None` when the
/// field is missing on either side.
pub type Gamma = [Option<u8>; 9];

/// The prior share of blocked pairs that are one person, before any estimate.
pub const PRIOR_LAMBDA: f64 = 0.01;
/// The bounds of `lambda`: a file of nothing but duplicates must not make every blocked
/// pair look like one (most candidates of a crowded name block are other people), nor a
/// file of new people make a true match unreachable.
const LAMBDA_RANGE: (f64, f64) = (1e-4, 0.2);
/// How many matching pairs the prior `m` counts as: with fewer true pairs than this in the
/// sample, the prior dominates.
const M_PSEUDO: f64 = 50.0;
/// How many random pairs the prior `u` counts as.
const U_PSEUDO: f64 = 2000.0;
/// The floor of any `m` or `u`, so no level weighs infinitely.
const FLOOR: f64 = 1e-7;

/// The estimated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The share of blocked candidate pairs that are one person.
    pub lambda: f64,
    /// `m[field][level]`.
    pub m: Vec<Vec<f64>>,
    /// `u[field][level]`.
    pub u: Vec<Vec<f64>>,
    /// How many blocked pairs and random pairs the estimate saw (0 for the priors).
    pub pairs: u64,
    pub random_pairs: u64,
}

/// The text form's first line: a model of another format is not read.
const HEADER: &str = "sluice-contacts-model 1";

impl Default for Model {
    fn default() -> Self {
        Self::priors()
    }
}

impl Model {
    /// The priors: what a store too small to estimate from decides with.
    #[must_use]
    pub fn priors() -> Self {
        let levels = |pick: fn(&(&str, f64, f64)) -> f64| {
            FIELDS
                .iter()
                .map(|&f| prior_levels(f).iter().map(pick).collect())
                .collect()
        };
        Self {
            lambda: PRIOR_LAMBDA,
            m: levels(|l| l.1),
            u: levels(|l| l.2),
            pairs: 0,
            random_pairs: 0,
        }
    }

    /// The log2 Bayes factor of `level` of field number `field`.
    #[must_use]
    pub fn weight(&self, field: usize, level: u8) -> f64 {
        let get = |t: &Vec<Vec<f64>>| {
            t.get(field)
                .and_then(|l| l.get(usize::from(level)))
                .copied()
                .unwrap_or(1.0)
                .max(FLOOR)
        };
        (get(&self.m) / get(&self.u)).log2()
    }

    /// `u` of `level` of field number `field`: the chance two different people land there.
    #[must_use]
    pub fn u(&self, field: usize, level: u8) -> f64 {
        self.u
            .get(field)
            .and_then(|l| l.get(usize::from(level)))
            .copied()
            .unwrap_or(1.0)
            .max(FLOOR)
    }

    /// The prior log-odds of a blocked pair being one person.
    #[must_use]
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Estimates a model from the comparison vectors of blocked candidate pairs (`blocked`)
    /// and of random pairs (`random`), starting from the priors.
    #[must_use]
    pub fn estimate(blocked: &[Gamma], random: &[Gamma]) -> Self {
        let mut model = Self::priors();
        model.pairs = blocked.len() as u64;
        model.random_pairs = random.len() as u64;
        // u starts from the level counts among random pairs (known non-matches), with the
        // prior as pseudo-counts.
        let random_counts: Vec<Vec<f64>> = model
            .u
            .iter()
            .enumerate()
            .map(|(f, levels)| level_sums(random.iter().map(|g| (1.0, g)), f, levels.len()))
            .collect();
        let priors = Self::priors();
        let update = |table: &mut Vec<Vec<f64>>,
                      prior: &[Vec<f64>],
                      pseudo: f64,
                      sums: &dyn Fn(usize, usize) -> Vec<f64>| {
            for (f, levels) in table.iter_mut().enumerate() {
                let s = sums(f, levels.len());
                let present: f64 = s.iter().sum();
                let p0 = prior.get(f).cloned().unwrap_or_default();
                for ((v, s), v0) in levels.iter_mut().zip(&s).zip(&p0) {
                    *v = ((s + pseudo * v0) / (present + pseudo)).max(FLOOR);
                }
            }
        };
        update(&mut model.u, &priors.u, U_PSEUDO, &|f, _| {
            random_counts.get(f).cloned().unwrap_or_default()
        });
        // EM over the blocked pairs: each is a match with its posterior, a non-match with
        // the rest. The non-match side of `u` is fitted too, with the random pairs as known
        // non-matches: blocked pairs that are two people share the fields they were blocked
        // on (a name block's last names) far more often than random pairs do, and a `u`
        // held at the random pairs' rate would make the EM call them matches.
        let mut posterior = vec![0.0; blocked.len()];
        for _ in 0..50 {
            let before = (model.lambda, model.m.clone());
            for (p, g) in posterior.iter_mut().zip(blocked) {
                let w = model.prior_weight() + model.pair_weight(g);
                *p = 1.0 / (1.0 + (-w).exp2());
            }
            let total: f64 = posterior.iter().sum();
            model.lambda = if blocked.is_empty() {
                PRIOR_LAMBDA
            } else {
                (total / blocked.len() as f64).clamp(LAMBDA_RANGE.0, LAMBDA_RANGE.1)
            };
            let matches =
                |f: usize, n: usize| level_sums(posterior.iter().copied().zip(blocked), f, n);
            update(&mut model.m, &priors.m, M_PSEUDO, &matches);
            let others = |f: usize, n: usize| {
                let mut s = level_sums(posterior.iter().map(|p| 1.0 - p).zip(blocked), f, n);
                for (x, r) in s.iter_mut().zip(random_counts.get(f).into_iter().flatten()) {
                    *x += r;
                }
                s
            };
            update(&mut model.u, &priors.u, U_PSEUDO, &others);
            let moved = (model.lambda - before.0).abs()
                + model
                    .m
                    .iter()
                    .flatten()
                    .zip(before.1.iter().flatten())
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f64>();
            if moved < 1e-6 {
                break;
            }
        }
        model
    }

    /// The sum of the level weights of a comparison vector (no term-frequency adjustment).
    #[must_use]
    pub fn pair_weight(&self, g: &Gamma) -> f64 {
        g.iter()
            .enumerate()
            .filter_map(|(f, l)| l.map(|l| self.weight(f, l)))
            .sum()
    }

    /// The model as text: what the host stores and hands back.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{HEADER}\nlambda {:e}\npairs {} {}\n",
            self.lambda, self.pairs, self.random_pairs
        );
        for (f, field) in FIELDS.iter().enumerate() {
            for (name, table) in [("m", &self.m), ("u", &self.u)] {
                let _ = write!(out, "{} {name}", field_name(*field));
                for v in table.get(f).into_iter().flatten() {
                    let _ = write!(out, " {v:e}");
                }
                out.push('\n');
            }
        }
        out
    }

    /// Reads [`Model::to_text`]'s form back; `None` when it is not one of this version.
    #[must_use]
    pub fn from_text(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut model = Self::priors();
        for line in lines {
            let mut words = line.split(' ');
            match (words.next()?, words.next()) {
                ("lambda", Some(v)) => model.lambda = v.parse().ok()?,
                ("pairs", Some(v)) => {
                    model.pairs = v.parse().ok()?;
                    model.random_pairs = words.next()?.parse().ok()?;
                }
                (name, Some(table)) => {
                    let f = FIELDS.iter().position(|f| field_name(*f) == name)?;
                    let values: Vec<f64> = words.map(str::parse).collect::<Result<_, _>>().ok()?;
                    let target = match table {
                        "m" => model.m.get_mut(f)?,
                        "u" => model.u.get_mut(f)?,
                        _ => return None,
                    };
                    if values.len() != target.len()
                        || values.iter().any(|v| !v.is_finite() || *v <= 0.0)
                    {
                        return None;
                    }
                    *target = values;
                }
                _ => return None,
            }
        }
        (model.lambda > 0.0 && model.lambda < 1.0).then_some(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priors_are_distributions_and_round_trip() {
        for f in FIELDS {
            let (m, u): (f64, f64) = prior_levels(f)
                .iter()
                .fold((0.0, 0.0), |(m, u), l| (m + l.1, u + l.2));
            assert!(
                (m - 1.0).abs() < 1e-9 && (u - 1.0).abs() < 1e-9,
                "{f:?}: {m} {u}"
            );
        }
        let p = Model::priors();
        assert_eq!(Model::from_text(&p.to_text()), Some(p));
        assert_eq!(Model::from_text("something else"), None);
    }
}
