//! Tests of the rewrite: a table of cases, and a property test against the rewrite as it
//! was first written (the oracle).

use std::borrow::Cow;

use super::edit::{Edit, Op};
use super::merge::{Merged, SCRATCH_LEN, merge};
use super::report::{DropReason, Outcome};
use super::rewrite::rewrite;
use crate::config::Mode;

fn set(value: &str, mode: Mode) -> Op<'_> {
    Op::Set(Cow::Borrowed(value), mode)
}

fn run<'a>(location: &str, edits: &mut [Edit<'a>], max: usize) -> Option<String> {
    rewrite(location, edits, max)
}

#[test]
fn rewrite_table() {
    use Mode::*;
    // (location, [(name, op)], expected location, expected outcomes)
    type Case<'a> = (&'a str, Vec<(&'a str, Op<'a>)>, &'a str, Vec<Outcome>);
    let cases: Vec<Case<'_>> = vec![
        (
            "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b",
            vec![("blog", set("myblog.wordpress.com", Replace))],
            "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b&blog=myblog.wordpress.com",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a",
            vec![("x", set("a b&c=d#e", Replace))],
            "https://idp/a?x=a+b%26c%3Dd%23e",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a?",
            vec![("x", set("1", Replace))],
            "https://idp/a?x=1",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a#frag",
            vec![("x", set("1", Replace))],
            "https://idp/a?x=1#frag",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a?prompt=consent&state=s&prompt=login#f",
            vec![("prompt", set("select_account", Replace))],
            "https://idp/a?prompt=select_account&state=s#f",
            vec![Outcome::Replaced],
        ),
        (
            "https://idp/a?prompt=consent",
            vec![("prompt", set("select_account", Keep))],
            "https://idp/a?prompt=consent",
            vec![Outcome::Kept],
        ),
        (
            "https://idp/a?prompt=consent&x=1",
            vec![("prompt", set("select_account login", Merge))],
            "https://idp/a?prompt=consent+select_account+login&x=1",
            vec![Outcome::Merged],
        ),
        (
            "https://idp/a?scope=openid%20email",
            vec![("scope", set("email", Merge))],
            "https://idp/a?scope=openid%20email",
            vec![Outcome::Kept],
        ),
        (
            "https://idp/a?prompt=none",
            vec![("prompt", set("login", Merge))],
            "https://idp/a?prompt=none",
            vec![Outcome::Kept],
        ),
        (
            "https://idp/a?x=1",
            vec![("prompt", set("login", Merge))],
            "https://idp/a?x=1&prompt=login",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a?x=1&audience=a&y=2&audience=b",
            vec![("audience", Op::Remove)],
            "https://idp/a?x=1&y=2",
            vec![Outcome::Removed],
        ),
        (
            "https://idp/a?x=1",
            vec![("audience", Op::Remove)],
            "https://idp/a?x=1",
            vec![Outcome::Dropped(DropReason::Missing)],
        ),
        (
            "https://idp/a?x=1&&y&=z&screen_name=old",
            vec![("screen_name", Op::Drop(DropReason::Pattern))],
            "https://idp/a?x=1&&y&=z&screen_name=old",
            vec![Outcome::Dropped(DropReason::Pattern)],
        ),
        (
            "https://idp/a?x=%7e&&y&=z",
            vec![("b", set("é", Replace))],
            "https://idp/a?x=%7e&&y&=z&b=%C3%A9",
            vec![Outcome::Added],
        ),
        (
            "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
            vec![
                ("a", set("1", Replace)),
                ("b", Op::Drop(DropReason::Missing)),
            ],
            "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
            vec![
                Outcome::Dropped(DropReason::ParOrJar),
                Outcome::Dropped(DropReason::Missing),
            ],
        ),
        (
            "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D",
            vec![("a", set("1", Replace)), ("b", set("2", Replace))],
            "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D&a=1&b=2",
            vec![Outcome::Added, Outcome::Added],
        ),
    ];
    for (location, ops, expected, outcomes) in cases {
        let mut edits: Vec<Edit<'_>> = ops.into_iter().map(|(n, op)| Edit::new(n, op)).collect();
        let out = run(location, &mut edits, 8192);
        assert_eq!(out.as_deref().unwrap_or(location), expected, "{location}");
        let got: Vec<Outcome> = edits.iter().map(|e| e.outcome).collect();
        assert_eq!(got, outcomes, "{location}");
        if out.is_some() {
            assert_ne!(expected, location, "changed output for {location}");
        }
    }
}

#[test]
fn location_limit_is_inclusive() {
    let location = "https://idp/a?x=1";
    let full = "https://idp/a?x=1&b=2";
    let mut edits = [Edit::new("b", set("2", Mode::Replace))];
    assert_eq!(run(location, &mut edits, full.len()).as_deref(), Some(full));
    let mut edits = [Edit::new("b", set("2", Mode::Replace))];
    assert_eq!(run(location, &mut edits, full.len() - 1), None);
    assert_eq!(
        edits[0].outcome,
        Outcome::Dropped(DropReason::LocationTooLong)
    );
}

#[test]
fn merge_table() {
    let cases = [
        (
            vec!["login"],
            "select_account",
            Some(("login select_account", true)),
        ),
        (
            vec!["login consent"],
            "consent",
            Some(("login consent", false)),
        ),
        (vec!["a  b", "c"], "b d", Some(("a b c d", true))),
        (vec![], "login", Some(("login", true))),
        (vec!["none"], "none", Some(("none", false))),
        (vec!["none"], "login", None),
        (vec!["login"], "none", None),
    ];
    for (existing, new, expected) in cases {
        let got = merge(existing.iter().map(|s| Cow::Borrowed(*s)), new);
        let expected = expected.map(|(value, added)| Merged {
            value: value.to_owned(),
            added,
        });
        assert_eq!(got, expected, "{existing:?} + {new}");
    }
}

/// DESIGN.md: no `Debug` prints a query, a value or a URL with its query, the engine's and
/// the text functions' own types included (an event or a panic message may print one).
#[test]
fn internal_debug_prints_lengths_not_values() {
    use super::edit::MergedValue;
    use crate::text::{Lookup, PairLookup, RawPairs, Scan, Written, lookup_pair};
    const SECRET: &str = "jane.secret@acme.example";
    let url = format!("https://idp.example/a?login_hint={SECRET}&x=1#frag-{SECRET}");
    let query = format!("login_hint={SECRET}");
    let mut edit = Edit::new("login_hint", set(SECRET, Mode::Merge));
    edit.merged = Some(MergedValue::Heap(SECRET.as_bytes().to_vec()));
    let printed = [
        format!("{:?}", Scan::new(&url)),
        format!("{edit:?}"),
        format!(
            "{:?}",
            Merged {
                value: SECRET.to_owned(),
                added: true
            }
        ),
        format!("{:?}", Written::Text(SECRET)),
        format!("{:?}", Lookup::Found(Cow::Borrowed(SECRET))),
        format!("{:?}", lookup_pair(&query, "login_hint")),
        format!("{:?}", PairLookup::Found(&query)),
        format!("{:?}", RawPairs::new(&query).next()),
        format!("{:?}", RawPairs::new(&query)),
    ];
    for text in printed {
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("bytes>") || text.contains("len"), "{text}");
    }
}

/// The rewrite as it was first written (four passes over the query, one to measure the
/// output and one to write it, a `String` per merge), kept as the oracle that the
/// one-pass rewrite above must agree with, byte for byte and outcome for outcome.
mod reference {
    use super::super::edit::Op;
    use super::super::report::{DropReason, Outcome};
    use crate::config::Mode;
    use crate::text::{Parts, split};
    use url::form_urlencoded::{self, byte_serialize};

    fn pairs(query: &str) -> impl Iterator<Item = &str> {
        let query = if query.is_empty() { None } else { Some(query) };
        query.into_iter().flat_map(|q| q.split('&'))
    }

    fn raw_name(pair: &str) -> &str {
        pair.split_once('=').map_or(pair, |(name, _)| name)
    }

    fn needs_decoding(raw: &str) -> bool {
        raw.bytes().any(|b| b == b'%' || b == b'+')
    }

    fn name_is(pair: &str, name: &str) -> bool {
        let raw = raw_name(pair);
        if !needs_decoding(raw) {
            return raw == name;
        }
        form_urlencoded::parse(raw.as_bytes())
            .next()
            .is_some_and(|(decoded, _)| decoded == name)
    }

    /// A pair's value decoded to bytes (`+` a space, then `%XX`): a merged token that is not
    /// UTF-8 keeps its bytes (DESIGN.md, Rewriting).
    fn decoded_bytes(pair: &str) -> Vec<u8> {
        let raw = pair.split_once('=').map_or("", |(_, value)| value);
        percent_encoding::percent_decode_str(&raw.replace('+', " ")).collect()
    }

    fn merge(existing: Vec<Vec<u8>>, new: &str) -> Option<(Vec<u8>, bool)> {
        fn push(value: &mut Vec<u8>, token: &[u8]) -> bool {
            if token.is_empty() || value.split(|&b| b == b' ').any(|t| t == token) {
                return false;
            }
            if !value.is_empty() {
                value.push(b' ');
            }
            value.extend_from_slice(token);
            true
        }
        let mut value = Vec::new();
        for existing in existing {
            for token in existing.split(|&b| b == b' ') {
                push(&mut value, token);
            }
        }
        let mut added = false;
        for token in new.split(' ') {
            added |= push(&mut value, token.as_bytes());
        }
        let has_none = value.split(|&b| b == b' ').any(|t| t == b"none");
        if has_none && value.contains(&b' ') {
            return None;
        }
        Some((value, added))
    }

    pub(super) struct Edit<'a> {
        pub(super) name: &'a str,
        pub(super) op: Op<'a>,
        pub(super) outcome: Outcome,
        occurrences: u32,
        merged: Option<Vec<u8>>,
        seen: bool,
    }

    impl<'a> Edit<'a> {
        pub(super) fn new(name: &'a str, op: Op<'a>) -> Self {
            Self {
                name,
                op,
                outcome: Outcome::Dropped(DropReason::Missing),
                occurrences: 0,
                merged: None,
                seen: false,
            }
        }
    }

    pub(super) fn rewrite(
        location: &str,
        edits: &mut [Edit<'_>],
        max_len: usize,
    ) -> Option<String> {
        let parts = split(location);
        let query = parts.query.unwrap_or("");
        if pairs(query).any(|p| name_is(p, "request") || name_is(p, "request_uri")) {
            for edit in edits.iter_mut() {
                edit.outcome = match edit.op {
                    Op::Drop(reason) => Outcome::Dropped(reason),
                    _ => Outcome::Dropped(DropReason::ParOrJar),
                };
            }
            return None;
        }
        for pair in pairs(query) {
            if let Some(edit) = edits.iter_mut().find(|e| name_is(pair, e.name)) {
                edit.occurrences = edit.occurrences.saturating_add(1);
            }
        }
        for edit in edits.iter_mut() {
            edit.outcome = decide(edit, query);
        }
        if !edits.iter().any(|e| e.outcome.changes()) {
            return None;
        }
        let mut len = String::new();
        emit(&parts, edits, &mut len);
        if len.len() > max_len {
            for edit in edits.iter_mut().filter(|e| e.outcome.changes()) {
                edit.outcome = Outcome::Dropped(DropReason::LocationTooLong);
            }
            return None;
        }
        let mut out = String::new();
        emit(&parts, edits, &mut out);
        Some(out)
    }

    fn decide(edit: &mut Edit<'_>, query: &str) -> Outcome {
        let present = edit.occurrences > 0;
        match &edit.op {
            Op::Drop(reason) => Outcome::Dropped(*reason),
            Op::Remove if present => Outcome::Removed,
            Op::Remove => Outcome::Dropped(DropReason::Missing),
            Op::Set(..) if !present => Outcome::Added,
            // DESIGN "Rewriting": a replace whose value is already the only pair, decoded,
            // changes nothing.
            Op::Set(value, Mode::Replace)
                if edit.occurrences == 1
                    && pairs(query)
                        .filter(|p| name_is(p, edit.name))
                        .all(|p| decoded_bytes(p) == value.as_bytes()) =>
            {
                Outcome::Kept
            }
            Op::Set(_, Mode::Replace) => Outcome::Replaced,
            Op::Set(_, Mode::Keep) => Outcome::Kept,
            Op::Set(value, Mode::Merge) => {
                let existing = pairs(query)
                    .filter(|p| name_is(p, edit.name))
                    .map(decoded_bytes)
                    .collect();
                match merge(existing, value) {
                    Some((merged, added)) if added || edit.occurrences > 1 => {
                        edit.merged = Some(merged);
                        Outcome::Merged
                    }
                    _ => Outcome::Kept,
                }
            }
        }
    }

    fn put_encoded(out: &mut String, s: &[u8]) {
        for chunk in byte_serialize(s) {
            out.push_str(chunk);
        }
    }

    fn emit(parts: &Parts<'_>, edits: &mut [Edit<'_>], out: &mut String) {
        fn separate(out: &mut String, first: &mut bool) {
            if !*first {
                out.push('&');
            }
            *first = false;
        }
        for edit in edits.iter_mut() {
            edit.seen = false;
        }
        out.push_str(parts.base);
        if parts.query.is_some() || edits.iter().any(|e| e.outcome == Outcome::Added) {
            out.push('?');
        }
        let mut first = true;
        for pair in pairs(parts.query.unwrap_or("")) {
            let edit = edits
                .iter_mut()
                .filter(|e| {
                    matches!(
                        e.outcome,
                        Outcome::Replaced | Outcome::Merged | Outcome::Removed
                    )
                })
                .find(|e| name_is(pair, e.name));
            match edit {
                None => {
                    separate(out, &mut first);
                    out.push_str(pair);
                }
                Some(edit) if edit.outcome == Outcome::Removed || edit.seen => {}
                Some(edit) => {
                    edit.seen = true;
                    let value = match (&edit.merged, &edit.op) {
                        (Some(merged), _) => merged.as_slice(),
                        (None, Op::Set(value, _)) => value.as_bytes(),
                        (None, _) => b"",
                    };
                    separate(out, &mut first);
                    out.push_str(raw_name(pair));
                    out.push('=');
                    put_encoded(out, value);
                }
            }
        }
        for edit in edits.iter().filter(|e| e.outcome == Outcome::Added) {
            if let Op::Set(value, _) = &edit.op {
                separate(out, &mut first);
                put_encoded(out, edit.name.as_bytes());
                out.push('=');
                put_encoded(out, value.as_bytes());
            }
        }
        if let Some(fragment) = parts.fragment {
            out.push('#');
            out.push_str(fragment);
        }
    }
}

mod agrees_with_reference {
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 12] = [
        "a",
        "prompt",
        "p%72ompt",
        "scope",
        "a+b",
        "x",
        "",
        "request",
        "request_uri",
        "%E9",
        "%C3%A9",
        "Prompt",
    ];
    const VALUES: [&str; 14] = [
        "",
        "1",
        "none",
        "login",
        "consent",
        "a%20b",
        "x+y",
        "%zz",
        "%C3%A9",
        "%FF",
        "login+consent",
        "none%20login",
        "openid%20email",
        "%",
    ];
    const EDIT_NAMES: [&str; 6] = ["a", "prompt", "scope", "a b", "\u{e9}", "x"];
    const EDIT_VALUES: [&str; 8] = [
        "1",
        "login",
        "none",
        "select_account login",
        "a b&c=d#e",
        "\u{e9}",
        "openid",
        " ",
    ];

    fn pair() -> impl Strategy<Value = String> {
        (0..NAMES.len(), prop::option::of(0..VALUES.len())).prop_map(|(n, v)| match v {
            Some(v) => format!("{}={}", NAMES[n], VALUES[v]),
            None => NAMES[n].to_owned(),
        })
    }

    fn location() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "https://idp/a",
                "https://idp.example/o/oauth2/v2/auth",
            ]),
            prop::option::of(prop::collection::vec(pair(), 0..24)),
            prop::option::of(prop::sample::select(vec!["", "f", "f?x=1&y"])),
        )
            .prop_map(|(base, query, fragment)| {
                let mut location = base.to_owned();
                if let Some(query) = query {
                    location.push('?');
                    location.push_str(&query.join("&"));
                }
                if let Some(fragment) = fragment {
                    location.push('#');
                    location.push_str(fragment);
                }
                location
            })
    }

    #[derive(Clone, Debug)]
    enum Spec {
        Set(&'static str, Mode),
        Remove,
        Drop(DropReason),
    }

    fn spec() -> impl Strategy<Value = (&'static str, Spec)> {
        let mode = prop::sample::select(vec![Mode::Replace, Mode::Keep, Mode::Merge]);
        let op = prop_oneof![
            4 => (prop::sample::select(EDIT_VALUES.to_vec()), mode)
                .prop_map(|(v, m)| Spec::Set(v, m)),
            1 => Just(Spec::Remove),
            1 => Just(Spec::Drop(DropReason::Pattern)),
        ];
        (prop::sample::select(EDIT_NAMES.to_vec()), op)
    }

    fn op(spec: &Spec) -> Op<'static> {
        match spec {
            Spec::Set(value, mode) => Op::Set(Cow::Borrowed(value), *mode),
            Spec::Remove => Op::Remove,
            Spec::Drop(reason) => Op::Drop(*reason),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn one_pass_rewrite_is_the_reference_rewrite(
            location in location(),
            specs in prop::collection::vec(spec(), 0..5),
            max_len in prop_oneof![Just(usize::MAX), 0usize..200],
        ) {
            let mut edits: Vec<Edit<'_>> =
                specs.iter().map(|(n, s)| Edit::new(n, op(s))).collect();
            let mut expected: Vec<reference::Edit<'_>> =
                specs.iter().map(|(n, s)| reference::Edit::new(n, op(s))).collect();
            let got = rewrite(&location, &mut edits, max_len);
            let want = reference::rewrite(&location, &mut expected, max_len);
            prop_assert_eq!(&got, &want);
            if let Some(got) = &got {
                prop_assert_eq!(got.capacity(), got.len(), "capacity is final");
            }
            let got: Vec<Outcome> = edits.iter().map(|e| e.outcome).collect();
            let want: Vec<Outcome> = expected.iter().map(|e| e.outcome).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn long_merges_and_values_spill_to_the_heap_alike() {
        let long = "t".repeat(SCRATCH_LEN);
        let location = format!("https://idp/a?prompt={long}&x=1&prompt=b%20{long}x");
        for value in ["login", long.as_str()] {
            let mut edits = [Edit::new(
                "prompt",
                Op::Set(Cow::Borrowed(value), Mode::Merge),
            )];
            let mut expected = [reference::Edit::new(
                "prompt",
                Op::Set(Cow::Borrowed(value), Mode::Merge),
            )];
            assert_eq!(
                rewrite(&location, &mut edits, usize::MAX),
                reference::rewrite(&location, &mut expected, usize::MAX)
            );
            assert_eq!(edits[0].outcome, expected[0].outcome);
        }
    }
}
