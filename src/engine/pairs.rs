//! The rules over decoded `(name, value)` pairs, for [`Resolved::apply_to`](crate::Resolved::apply_to):
//! the same outcomes as a rewrite of a `Location` ([`Op::outcome`]), the same merge.

use std::borrow::Cow;

use super::edit::Op;
use super::merge::merge;
use super::report::{DropReason, Outcome};

/// Applies `ops` (each a target name and what to do), in order, to `pairs`: the outcome of
/// each, and whether `pairs` changed. Pairs holding `request` or `request_uri` (JAR / PAR)
/// are left alone and every op that would act is `dropped(par_or_jar)`.
pub(crate) fn apply_to_pairs(
    ops: &[(&str, Op<'_>)],
    pairs: &mut Vec<(String, String)>,
) -> (Vec<Outcome>, bool) {
    if pairs
        .iter()
        .any(|(name, _)| name == "request" || name == "request_uri")
    {
        let outcomes = ops
            .iter()
            .map(|(_, op)| match op {
                Op::Drop(reason) => Outcome::Dropped(*reason),
                _ => Outcome::Dropped(DropReason::ParOrJar),
            })
            .collect();
        return (outcomes, false);
    }
    let mut changed = false;
    let outcomes = ops
        .iter()
        .map(|(name, op)| {
            let outcome = apply_one(name, op, pairs);
            changed |= outcome.changes();
            outcome
        })
        .collect();
    (outcomes, changed)
}

fn apply_one(name: &str, op: &Op<'_>, pairs: &mut Vec<(String, String)>) -> Outcome {
    let occurrences = pairs.iter().filter(|(n, _)| n == name).count();
    let mut merged = None;
    let same = |new: &str| pairs.iter().any(|(n, v)| n == name && v == new);
    let outcome = op.outcome(
        u32::try_from(occurrences).unwrap_or(u32::MAX),
        same,
        |new| {
            let existing = pairs
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| Cow::Borrowed(v.as_str()));
            merge(existing, new).map(|m| {
                merged = Some(m.value);
                m.added
            })
        },
    );
    let new_value = match (outcome, op) {
        (Outcome::Merged, _) => merged,
        (Outcome::Added | Outcome::Replaced, Op::Set(value, _)) => Some(value.clone().into_owned()),
        _ => None,
    };
    match outcome {
        Outcome::Added => pairs.push((name.to_owned(), new_value.unwrap_or_default())),
        Outcome::Replaced | Outcome::Merged => {
            // The first pair of the name takes the value; the others go.
            let mut value = new_value;
            pairs.retain_mut(|(n, v)| {
                if n != name {
                    return true;
                }
                match value.take() {
                    Some(new) => {
                        *v = new;
                        true
                    }
                    None => false,
                }
            });
        }
        Outcome::Removed => pairs.retain(|(n, _)| n != name),
        _ => {}
    }
    outcome
}
