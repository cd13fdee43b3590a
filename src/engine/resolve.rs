//! Resolving a param: its static value, or an alias looked up in the sources it may read.

use std::borrow::Cow;

use super::edit::Op;
use super::report::{DropReason, ValueSource};
use super::sources::AliasSources;
use crate::config::{ParamKind, Source};
use crate::text::{PairLookup, decoded_text_in, lookup_pair};

/// What a param sends, after looking at the sources its configuration allows.
///
/// A percent-encoded value read from the query is decoded into the front of `free` (which
/// then starts after it) when it fits there, else into a new `String`; one that is not UTF-8
/// once decoded is refused (`not_utf8`) and resolution falls through to the next source.
pub(crate) fn resolve<'a>(
    kind: ParamKind<'a>,
    sources: &AliasSources<'a>,
    free: &mut &'a mut [u8],
) -> (Op<'a>, Option<ValueSource>) {
    let (alias, source, default, pattern, max_len, mode) = match kind {
        ParamKind::Static { value, mode } => {
            return (
                Op::Set(Cow::Borrowed(value), mode),
                Some(ValueSource::Static),
            );
        }
        ParamKind::Remove => return (Op::Remove, None),
        ParamKind::Alias {
            alias,
            source,
            default,
            pattern,
            max_len,
            mode,
        } => (alias, source, default, pattern, max_len, mode),
    };
    let check = |value: &str| -> Result<(), DropReason> {
        if value.is_empty() {
            Err(DropReason::Missing)
        } else if value.len() > max_len {
            Err(DropReason::TooLong)
        } else if pattern.is_some_and(|re| !re.is_match(value)) {
            Err(DropReason::Pattern)
        } else {
            Ok(())
        }
    };
    let mut refused = None;
    if source != Source::Query {
        for values in sources.value_sets() {
            if let Some(value) = values.get(alias) {
                match check(value) {
                    Ok(()) => {
                        return (
                            Op::Set(Cow::Borrowed(value), mode),
                            Some(ValueSource::Broker),
                        );
                    }
                    Err(reason) => refused = Some(reason),
                }
            }
        }
    }
    if source != Source::Broker {
        match sources
            .raw_query()
            .map_or(PairLookup::Missing, |q| lookup_pair(q, alias))
        {
            // A value that is not UTF-8 once decoded is refused as such, never read as
            // replacement text.
            PairLookup::Found(pair) => match decoded_text_in(pair, free) {
                Some(value) => match check(&value) {
                    Ok(()) => return (Op::Set(value, mode), Some(ValueSource::Query)),
                    Err(reason) => refused = Some(reason),
                },
                None => refused = Some(DropReason::NotUtf8),
            },
            PairLookup::Ambiguous => refused = Some(DropReason::Ambiguous),
            PairLookup::Missing => {}
        }
    }
    match default {
        Some(value) => (
            Op::Set(Cow::Borrowed(value), mode),
            Some(ValueSource::Default),
        ),
        None => (Op::Drop(refused.unwrap_or(DropReason::Missing)), None),
    }
}
