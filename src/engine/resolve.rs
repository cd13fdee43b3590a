//! Resolving a param: its static value, or an alias looked up in the sources it may read.

use std::borrow::Cow;

use super::edit::Op;
use super::report::{DropReason, ValueSource};
use super::sources::AliasSources;
use crate::config::{ParamKind, Source, Transform};
use crate::text::{PairLookup, decoded_text_in, lookup_pair};

/// What a param sends, after looking at the sources its configuration allows.
///
/// A percent-encoded value read from the query is decoded into the front of `free` (which
/// then starts after it) when it fits there, else into a new `String`; one that is not UTF-8
/// once decoded is refused (`not_utf8`) and resolution falls through to the next source.
/// A `transform` derives the value from each value found, before `pattern` and `max_len`
/// judge it; a derived value that differs from a borrowed one (it was lowercased) is written
/// into `free` too when it fits. A value the transform cannot read falls through like any
/// refused value (`missing`). The `default` is sent as written.
pub(crate) fn resolve<'a>(
    kind: ParamKind<'a>,
    sources: &AliasSources<'a>,
    free: &mut &'a mut [u8],
) -> (Op<'a>, Option<ValueSource>) {
    let (alias, source, default, pattern, max_len, mode, transform) = match kind {
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
            transform,
        } => (alias, source, default, pattern, max_len, mode, transform),
    };
    // The value to send from a value found, or why there is none.
    let judge =
        |found: Cow<'a, str>, free: &mut &'a mut [u8]| -> Result<Cow<'a, str>, DropReason> {
            let value = match transform {
                None => found,
                Some(transform) => derive(found, transform, free).ok_or(DropReason::Missing)?,
            };
            if value.is_empty() {
                Err(DropReason::Missing)
            } else if value.len() > max_len {
                Err(DropReason::TooLong)
            } else if pattern.is_some_and(|re| !re.is_match(&value)) {
                Err(DropReason::Pattern)
            } else {
                Ok(value)
            }
        };
    let mut refused = None;
    if source != Source::Query {
        for values in sources.value_sets() {
            if let Some(value) = values.get(alias) {
                match judge(Cow::Borrowed(value), free) {
                    Ok(value) => return (Op::Set(value, mode), Some(ValueSource::Broker)),
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
                Some(value) => match judge(value, free) {
                    Ok(value) => return (Op::Set(value, mode), Some(ValueSource::Query)),
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

/// The value `transform` derives from `value`, or `None` when it cannot read one (an email
/// domain from a value with no `@`, or nothing after the last one). Lowercasing is ASCII
/// only (see [`Transform`]).
fn derive<'a>(
    value: Cow<'a, str>,
    transform: Transform,
    free: &mut &'a mut [u8],
) -> Option<Cow<'a, str>> {
    let part = match transform {
        Transform::EmailDomain => {
            let at = value.rfind('@')?;
            if at + 1 >= value.len() {
                return None;
            }
            // After an ASCII `@`: a char boundary.
            match value {
                Cow::Borrowed(s) => Cow::Borrowed(s.get(at + 1..)?),
                Cow::Owned(mut s) => {
                    s.drain(..=at);
                    Cow::Owned(s)
                }
            }
        }
        Transform::Lowercase => value,
    };
    Some(ascii_lowercase_in(part, free))
}

/// `text` with `A`-`Z` made lowercase: as it is when it has none; lowercased in place when
/// owned; else copied into the front of `free` (which then starts after it) when it fits
/// there, or into a new `String`.
fn ascii_lowercase_in<'a>(text: Cow<'a, str>, free: &mut &'a mut [u8]) -> Cow<'a, str> {
    if !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return text;
    }
    match text {
        Cow::Owned(mut s) => {
            s.make_ascii_lowercase();
            Cow::Owned(s)
        }
        Cow::Borrowed(s) if s.len() <= free.len() => {
            let (head, tail) = std::mem::take(free).split_at_mut(s.len());
            *free = tail;
            head.copy_from_slice(s.as_bytes());
            // ASCII lowercasing keeps UTF-8 valid: this never falls back.
            match std::str::from_utf8_mut(head) {
                Ok(lower) => {
                    lower.make_ascii_lowercase();
                    Cow::Borrowed(lower)
                }
                Err(_) => Cow::Owned(s.to_ascii_lowercase()),
            }
        }
        Cow::Borrowed(s) => Cow::Owned(s.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(value: &str, transform: Transform, space: usize) -> (Option<String>, bool) {
        let mut buf = vec![0u8; space];
        let mut free: &mut [u8] = &mut buf;
        let before = free.len();
        let out = derive(Cow::Borrowed(value), transform, &mut free);
        let borrowed = matches!(out, Some(Cow::Borrowed(_)));
        let used = before - free.len();
        let out = out.map(Cow::into_owned);
        if let Some(v) = &out {
            // Space is taken only for a copy, and exactly its length.
            assert!(used == 0 || used == v.len(), "{value:?}: {used}");
        }
        (out, borrowed)
    }

    #[test]
    fn email_domain_is_after_the_last_at_ascii_lowercased() {
        use Transform::EmailDomain;
        for (value, domain) in [
            ("jane@acme.com", Some("acme.com")),
            ("Jane@Acme.COM", Some("acme.com")),
            ("\"a@b\"@Acme.com", Some("acme.com")),
            ("a@b@c.example", Some("c.example")),
            ("@acme.com", Some("acme.com")),
            ("jane@XN--BCHER-KVA.example", Some("xn--bcher-kva.example")),
            ("jane@Bücher.Example", Some("bücher.example")),
            ("jane@BÜCHER.example", Some("bÜcher.example")),
            ("jane", None),
            ("jane@", None),
            ("a@b@", None),
            ("", None),
            ("@", None),
        ] {
            for space in [0, 4, 64] {
                assert_eq!(
                    derived(value, EmailDomain, space).0.as_deref(),
                    domain,
                    "{value:?}"
                );
            }
        }
        // Already lowercase: borrowed, no copy at all; uppercase: a copy in the space when it
        // fits, on the heap when it does not.
        assert_eq!(
            derived("Jane@acme.com", EmailDomain, 0),
            (Some("acme.com".into()), true)
        );
        assert_eq!(
            derived("jane@ACME.com", EmailDomain, 64),
            (Some("acme.com".into()), true)
        );
        assert_eq!(
            derived("jane@ACME.com", EmailDomain, 4),
            (Some("acme.com".into()), false)
        );
    }

    #[test]
    fn lowercase_is_ascii_only() {
        for (value, lower) in [
            ("acme.com", "acme.com"),
            ("ACME.Com", "acme.com"),
            ("ÀÉ-Straße", "ÀÉ-straße"),
            ("", ""),
        ] {
            assert_eq!(
                derived(value, Transform::Lowercase, 64).0.as_deref(),
                Some(lower)
            );
        }
        // An owned value is lowercased in place.
        let mut free: &mut [u8] = &mut [];
        let out = derive(
            Cow::Owned("Jane@ACME.com".to_owned()),
            Transform::EmailDomain,
            &mut free,
        );
        assert_eq!(out, Some(Cow::Owned("acme.com".to_owned())));
    }
}
