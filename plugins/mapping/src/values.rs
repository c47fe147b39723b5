//! Evidence read from a column's values: what kind of field they look like (a column
//! headed `Type` that holds `Individual` and `org` is Contact Type), and the day/month order
//! of its numeric dates (`17.03.2025` can only be day-first).
//!
//! It reads only the samples `prepare` is given (the file's first rows); what the values
//! say is combined with what the header says in `plan_columns`.

use sluice_sdk::Batch;

use crate::headers::{HeaderMatch, Target};
use crate::normalise::{self, DateOrder, Decimal, INTERACTION_TYPES};

/// A kind of value that identifies a template field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    InteractionType,
    ContactType,
    Date,
    Email,
    Amount,
}

impl Kind {
    /// The field a column of such values is.
    fn target(self) -> Target {
        Target::Field(match self {
            Kind::InteractionType => 0,
            Kind::Date => 1,
            Kind::ContactType => 2,
            Kind::Email => 7,
            Kind::Amount => 13,
        })
    }

    fn name(self) -> &'static str {
        self.target().name()
    }

    /// Whether a column mapped to `target` may hold values of this kind.
    fn fits(self, target: Target) -> bool {
        target == self.target()
            // Pledge Expected Date holds dates; Notes and the free-text fields anything.
            || (self == Kind::Date && target == Target::Field(15))
    }
}

/// What kind of value `raw` is, if any. A bare number is none: it may be an id, a ZIP
/// code, a count or an amount.
fn kind_of(raw: &str) -> Option<Kind> {
    let s = raw.trim();
    if s.is_empty() || s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.contains('@') {
        return crate::contact::email(s).is_ok().then_some(Kind::Email);
    }
    let itype = normalise::interaction_type(s);
    if INTERACTION_TYPES.contains(&itype.as_ref()) {
        return Some(Kind::InteractionType);
    }
    if matches!(
        normalise::contact_type(s).as_ref(),
        "individual" | "organization"
    ) {
        return Some(Kind::ContactType);
    }
    if normalise::date(s, DateOrder::Mdy, chrono_tz::Tz::UTC).is_some()
        || normalise::date(s, DateOrder::Dmy, chrono_tz::Tz::UTC).is_some()
    {
        return Some(Kind::Date);
    }
    // An amount: money with a currency sign or cents, in either decimal convention.
    let money = [Decimal::Point, Decimal::Comma]
        .iter()
        .any(|d| normalise::money_cents(s, *d).is_some());
    let looks_monetary = s.contains(['$', '€', '£', '¥'])
        || s.rsplit_once(['.', ',']).is_some_and(|(_, cents)| {
            cents.len() == 2 && cents.bytes().all(|b| b.is_ascii_digit())
        });
    (money && looks_monetary).then_some(Kind::Amount)
}

/// The share of a column's values of one kind that makes the column that kind.
const TYPICAL: f64 = 0.8;

/// What a column's sample values say it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Vote {
    pub kind: Kind,
    /// Samples of that kind, and non-empty samples.
    pub matched: usize,
    pub total: usize,
}

impl Vote {
    /// How sure the values alone make a mapping: one sample is a hint, two or more that all
    /// agree are as good as a synonym of the header.
    pub fn confidence(self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // At most PREPARE_SAMPLES samples.
        let share = self.matched as f64 / self.total.max(1) as f64;
        if self.total < 2 {
            0.75 * share
        } else {
            0.95 * share
        }
    }

    fn says(self) -> String {
        format!(
            "values look like {}: {} of {} samples",
            self.kind.name(),
            self.matched,
            self.total
        )
    }
}

/// The kind most of column `column`'s non-empty samples are, when at least [`TYPICAL`] of
/// them are.
#[must_use]
pub fn vote(samples: &Batch, column: usize) -> Option<Vote> {
    let mut counts: Vec<(Kind, usize)> = Vec::new();
    let mut total = 0;
    for row in samples.iter() {
        let value = row.get(column);
        if value.trim().is_empty() {
            continue;
        }
        total += 1;
        if let Some(kind) = kind_of(value) {
            match counts.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((kind, 1)),
            }
        }
    }
    let (kind, matched) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    #[allow(clippy::cast_precision_loss)] // At most PREPARE_SAMPLES samples.
    let typical = matched as f64 >= TYPICAL * total as f64;
    typical.then_some(Vote {
        kind,
        matched,
        total,
    })
}

/// The header's match and the values' vote combined: values agreeing with the header make
/// a guessed header surer; values typical of another field overrule the header (`Type`
/// holding `individual` and `org` is Contact Type). The header alone decides when the
/// values are not typical of any field.
#[must_use]
pub fn decide(header: Option<HeaderMatch>, vote: Option<Vote>) -> Option<HeaderMatch> {
    let Some(vote) = vote else { return header };
    let from_values = |also: &str| HeaderMatch {
        target: vote.kind.target(),
        confidence: vote.confidence(),
        reason: format!("{}{also}", vote.says()),
    };
    let Some(header) = header else {
        return Some(from_values(""));
    };
    if vote.kind.fits(header.target) {
        // Agreeing values are news only for a header that was a guess.
        if vote.confidence() <= header.confidence {
            return Some(header);
        }
        return Some(HeaderMatch {
            confidence: vote.confidence(),
            reason: format!("{}; {}", header.reason, vote.says()),
            ..header
        });
    }
    let suggested = format!(", not {} as the header suggests", header.target.name());
    Some(from_values(&suggested))
}

/// How a date column's day/month order was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderSource {
    /// `date_order` in the pipeline.
    Set,
    /// The file's values decided it.
    Evidence,
    /// Nothing decided: ambiguous dates are read month-first and flagged.
    Assumed,
}

/// A date column's order and why, as `sluice map` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateOrdering {
    pub order: DateOrder,
    pub source: OrderSource,
    /// Why, in words; empty when the column has no numeric dates the order matters for.
    pub why: String,
}

/// Reads the day/month order of column `column` from its samples: a first number above 12
/// proves day-first, a second above 12 month-first (the majority wins when both occur; the
/// rows that disagree are flagged when read); without such dates, dotted dates
/// (`04.03.2025`) or a decimal comma in the file's amounts mean day-first; else month-first,
/// assumed.
#[must_use]
pub fn date_order(samples: &Batch, column: usize, decimal_comma: bool) -> DateOrdering {
    let (mut day_first, mut month_first, mut numeric) = (0usize, 0usize, 0usize);
    let (mut day_example, mut month_example, mut dotted) = (None, None, None);
    for row in samples.iter() {
        let value = row.get(column).trim();
        let Some((x, y, is_dotted)) = normalise::day_month_numbers(value) else {
            continue;
        };
        numeric += 1;
        if is_dotted && dotted.is_none() {
            dotted = Some(value);
        }
        if x > 12 && y <= 12 {
            day_first += 1;
            day_example.get_or_insert((value, x));
        } else if y > 12 && x <= 12 {
            month_first += 1;
            month_example.get_or_insert((value, y));
        }
    }
    let decided = |order: DateOrder, why: String| DateOrdering {
        order,
        source: OrderSource::Evidence,
        why,
    };
    let disagree = |n: usize, order: &str| {
        if n == 0 {
            String::new()
        } else {
            format!("; {n} sample(s) are {order}, flagged")
        }
    };
    match (day_example, month_example) {
        (Some((value, day)), _) if day_first >= month_first => decided(
            DateOrder::Dmy,
            format!(
                "dates day-first: {value:?} has day {day}{}",
                disagree(month_first, "month-first")
            ),
        ),
        (_, Some((value, day))) => decided(
            DateOrder::Mdy,
            format!(
                "dates month-first: {value:?} has day {day}{}",
                disagree(day_first, "day-first")
            ),
        ),
        _ if numeric == 0 => DateOrdering {
            order: DateOrder::Mdy,
            source: OrderSource::Assumed,
            why: String::new(),
        },
        _ => match dotted {
            Some(value) => decided(
                DateOrder::Dmy,
                format!("dates day-first: dotted dates such as {value:?} are"),
            ),
            None if decimal_comma => decided(
                DateOrder::Dmy,
                "dates day-first: the file's amounts have a decimal comma".into(),
            ),
            None => DateOrdering {
                order: DateOrder::Mdy,
                source: OrderSource::Assumed,
                why: "no date in the first rows says which comes first, day or month: read \
                      month-first, ambiguous dates flagged"
                    .into(),
            },
        },
    }
}

/// Whether column `column`'s samples hold amounts written with a decimal comma (`12,50`,
/// `1.250,00`): evidence of a European file.
#[must_use]
pub fn has_decimal_comma(samples: &Batch, column: usize) -> bool {
    samples.iter().any(|row| {
        let value = row.get(column).trim();
        value.rsplit_once(',').is_some_and(|(_, cents)| {
            (1..=2).contains(&cents.len()) && cents.bytes().all(|b| b.is_ascii_digit())
        }) && normalise::money_cents(value, Decimal::Comma).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_values() {
        for (raw, kind) in [
            ("Individual", Some(Kind::ContactType)),
            ("org", Some(Kind::ContactType)),
            ("mtg", Some(Kind::InteractionType)),
            ("Call", Some(Kind::InteractionType)),
            ("a@example.org", Some(Kind::Email)),
            ("not@", None),
            ("17.03.2025", Some(Kind::Date)),
            ("2025-03-04 10:30", Some(Kind::Date)),
            ("$1,250.00", Some(Kind::Amount)),
            ("12,50 €", Some(Kind::Amount)),
            ("12345", None),
            ("Ann", None),
        ] {
            assert_eq!(kind_of(raw), kind, "{raw:?}");
        }
    }
}
