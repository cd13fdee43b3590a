//! Tests of the text functions, against the plain `str` methods and the `url` crate.

use std::borrow::Cow;

use super::endpoint::*;
use super::location::*;
use super::origin::*;
use super::query::*;
use super::scan::*;

#[test]
fn split_cuts_at_first_hash_then_question_mark() {
    let cases = [
        ("https://a/p", "https://a/p", None, None),
        ("https://a/p?", "https://a/p", Some(""), None),
        ("https://a/p?x=1#f", "https://a/p", Some("x=1"), Some("f")),
        ("https://a/p#f?x=1", "https://a/p", None, Some("f?x=1")),
        (
            "https://a/p?x=1?y#f#g",
            "https://a/p",
            Some("x=1?y"),
            Some("f#g"),
        ),
    ];
    for (input, base, query, fragment) in cases {
        let expected = Parts {
            base,
            query,
            fragment,
        };
        assert_eq!(split(input), expected, "{input}");
        assert_eq!(Scan::new(input).parts, expected, "scan of {input}");
    }
}

/// A scan cuts as `split` does, finds the pairs `RawPairs` finds (recorded or, past
/// `SCANNED_PAIRS`, read again), and the `client_id` that `lookup` finds.
#[test]
fn scan_reads_what_split_pairs_and_lookup_read() {
    let many = format!("https://a/p?{}#f", vec!["k=v"; SCANNED_PAIRS + 3].join("&"));
    // Offsets past 64 KiB are not recorded: the pairs from there on are read again.
    let long = format!(
        "https://a/p?a=1&big={}&client_id=z&b=2#f",
        "x".repeat(70_000)
    );
    let cases = [
        "https://a/p",
        "https://a/p?",
        "https://a/p?#",
        "https://a/p?&",
        "https://a/p?a=1&&b&=c&client_id=x#f&client_id=y",
        "https://a/p?client%5Fid=x%20y&client_id=z",
        "https://a/p?client+id=1&client_id=%41%42",
        "https://a/p?x=1?y=%zz#f#g",
        "https://a/p#f?client_id=1",
        "https://a/p?long_name_of_more_than_eight=value_of_more_than_eight_bytes&=",
        many.as_str(),
        long.as_str(),
    ];
    for input in cases {
        let scan = Scan::new(input);
        assert_eq!(scan.parts, split(input), "{input}");
        let query = split(input).query.unwrap_or("");
        let scanned: Vec<_> = scan
            .pairs()
            .map(|p| {
                let (pair, name) = (&query[p.start..p.end], &query[p.start..p.name_end]);
                (p.start, pair, name, p.encoded)
            })
            .collect();
        let read: Vec<_> = RawPairs::new(query)
            .map(|p| (p.start, p.pair, p.name, p.encoded))
            .collect();
        assert_eq!(scanned, read, "{input}");
        assert_eq!(scan.count, read.len(), "{input}");
        assert_eq!(scan.client_id(), lookup(query, "client_id"), "{input}");
    }
}

#[test]
fn names_and_values_are_decoded_as_forms_are() {
    let cases = [
        ("login_hint=a%40b.c", "login_hint", true, "a@b.c"),
        ("login%5Fhint=x+y", "login_hint", true, "x y"),
        ("login_hint", "login_hint", true, ""),
        ("login_hint=", "login_hint", true, ""),
        ("Login_hint=x", "login_hint", false, "x"),
        ("a=b=c", "a", true, "b=c"),
        ("a+b=1", "a b", true, "1"),
        ("a%2Bb=%2B", "a+b", true, "+"),
        ("", "", true, ""),
    ];
    for (pair, name, is, value) in cases {
        assert_eq!(name_is(pair, name), is, "{pair} is {name}");
        assert_eq!(decoded_value(pair), value, "{pair}");
    }
}

/// `lookup_pair` (which reads only the pairs whose first byte could begin the name) finds
/// what decoding every pair's name finds: generated queries of up to three pairs, names
/// plain, escaped anywhere, with `+` for a space, empty, or longer, and names
/// holding `=` or `+` (which no raw name spells as it is).
#[test]
fn lookup_pair_agrees_with_decoding_every_name() {
    let pieces = [
        "login_hint=a%40b",
        "login%5Fhint=x",
        "%6Cogin_hint",
        "login_hint",
        "login_hint2=y",
        "l=1",
        "a+b=2",
        "a%20b",
        "+a=3",
        "%25=4",
        "=5",
        "d==6",
        "d%3D=7",
        "a%2Bb=8",
        "",
    ];
    let names = ["login_hint", "a b", " a", "%", "l", "d=", "a+b"];
    fn oracle<'q>(query: &'q str, name: &str) -> PairLookup<'q> {
        let mut hits = query
            .split('&')
            .filter(|pair| form_urlencoded_name(pair).is_some_and(|decoded| decoded == name));
        match (hits.next(), hits.next()) {
            (None, _) => PairLookup::Missing,
            (Some(pair), None) => PairLookup::Found(pair),
            (Some(_), Some(_)) => PairLookup::Ambiguous,
        }
    }
    let mut queries = vec![String::new()];
    for a in pieces {
        queries.push(a.to_owned());
        for b in pieces {
            queries.push(format!("{a}&{b}"));
            for c in pieces {
                queries.push(format!("{a}&{b}&{c}"));
            }
        }
    }
    for query in &queries {
        for name in names {
            let expected = if query.is_empty() {
                PairLookup::Missing
            } else {
                oracle(query, name)
            };
            assert_eq!(lookup_pair(query, name), expected, "{name} in {query:?}");
        }
    }
}

/// A raw pair's name decoded by `url`'s form parser, `None` where it finds no pair.
fn form_urlencoded_name(pair: &str) -> Option<String> {
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
}

#[test]
fn lookup_finds_once_or_calls_it_ambiguous() {
    let q = "a=1&b=2&b=3&c=&d%3D=4&e=x%20y";
    assert_eq!(lookup(q, "a"), Lookup::Found(Cow::Borrowed("1")));
    assert_eq!(lookup(q, "b"), Lookup::Ambiguous);
    assert_eq!(lookup(q, "c"), Lookup::Found(Cow::Borrowed("")));
    assert_eq!(lookup(q, "d="), Lookup::Found(Cow::Borrowed("4")));
    assert_eq!(lookup(q, "e"), Lookup::Found(Cow::Borrowed("x y")));
    assert_eq!(lookup(q, "z"), Lookup::Missing);
    assert_eq!(lookup("", "a"), Lookup::Missing);
}

#[test]
fn endpoint_table() {
    // (location, origin key, path) or None: what a browser would go to.
    let cases = [
        (
            "https://idp.example/a",
            Some(("https://idp.example:443", "/a")),
        ),
        (
            "HTTPS://IDP.Example:443/a?x#y",
            Some(("https://idp.example:443", "/a")),
        ),
        (
            "http://idp.example:8080",
            Some(("http://idp.example:8080", "/")),
        ),
        (
            "http://idp.example:0080/",
            Some(("http://idp.example:80", "/")),
        ),
        ("https://127.0.0.1:9/a", Some(("https://127.0.0.1:9", "/a"))),
        ("https://0x7f.1/a", Some(("https://127.0.0.1:443", "/a"))),
        (
            "https://idp.example@evil.example/a",
            Some(("https://evil.example:443", "/a")),
        ),
        (
            "https://evil.example\\@idp.example/a",
            Some(("https://evil.example:443", "/@idp.example/a")),
        ),
        ("https://[::1]:8443/a", Some(("https://[::1]:8443", "/a"))),
        (
            "https://idp.example/a/../b",
            Some(("https://idp.example:443", "/b")),
        ),
        (
            "https://idp.example/a/%2e/b",
            Some(("https://idp.example:443", "/a/b")),
        ),
        // Relative to the broker's page for a browser on an `https` page: not the IdP's.
        ("https:idp.example/a", None),
        ("http:/idp.example/a", None),
        ("HTTPS:\\idp.example/a", None),
        (
            "https:\\\\idp.example/a",
            Some(("https://idp.example:443", "/a")),
        ),
        (
            "https:/\\idp.example/a",
            Some(("https://idp.example:443", "/a")),
        ),
        (
            "https:///idp.example/a",
            Some(("https://idp.example:443", "/a")),
        ),
        (
            "https://xn--bcher-kva.example/a",
            Some(("https://xn--bcher-kva.example:443", "/a")),
        ),
        (
            "https://b%C3%BCcher.example/a",
            Some(("https://xn--bcher-kva.example:443", "/a")),
        ),
        ("https://idp.example:99999/a", None),
        ("/authorize?x=1", None),
        ("//idp.example/a", None),
        ("mailto:x@idp.example", None),
        ("ftp://idp.example/a", None),
        ("https://", None),
    ];
    for (location, expected) in cases {
        let got = endpoint(location);
        let got = got.as_ref().map(|e| (e.origin_key(), e.path.as_ref()));
        let got = got.as_ref().map(|(origin, path)| (origin.as_str(), *path));
        assert_eq!(got, expected, "{location}");
    }
}

/// What [`quick_origin`] says of a `Location` is what a browser's full reading says: no
/// endpoint for [`QuickOrigin::Nowhere`], the same origin for [`QuickOrigin::Plain`] (and
/// [`PlainOrigin::endpoint`] the same endpoint as [`endpoint_in`]).
fn check_quick_origin(location: &str) -> Result<(), String> {
    let read = browser_form(location);
    let full = endpoint_in(&read, base(&read));
    match quick_origin(location.as_bytes()) {
        QuickOrigin::Unsure => Ok(()),
        QuickOrigin::Nowhere if full.is_none() => Ok(()),
        QuickOrigin::Nowhere => Err(format!("{location:?}: no endpoint, but {full:?}")),
        QuickOrigin::Plain(origin) => {
            let Some(full) = full else {
                return Err(format!("{location:?}: {origin:?}, but no endpoint"));
            };
            let host = origin.host(location.as_bytes());
            let same = full.https == origin.https
                && full.port == origin.port
                && full.host.as_bytes().eq_ignore_ascii_case(host);
            let at = origin.endpoint(&read, base(&read));
            let same_at = at.as_ref().is_some_and(|at| {
                at.https == full.https
                    && at.port == full.port
                    && at.host.eq_ignore_ascii_case(&full.host)
                    && at.path == full.path
            });
            if same && same_at {
                Ok(())
            } else {
                Err(format!("{location:?}: {origin:?} / {at:?}, but {full:?}"))
            }
        }
    }
}

#[test]
fn quick_origin_table() {
    let plain = [
        "https://idp.example/a",
        "HTTPS://IDP.Example:443/a?x#y",
        "http://idp.example:8080",
        "http://idp.example:0080/",
        "http://idp.example:/x",
        "https://idp.example?x=1",
        "https://idp.example#f",
        "https://a-b.c--d.example/a\tb?c\nd",
        "hTtP://idp.example/a/../b",
    ];
    let nowhere = [
        "",
        "/authorize?x=1",
        "//idp.example/a",
        "?x",
        "mailto:x@idp.example",
        "ftp://idp.example/a",
        "com.example.app:/cb?code=1",
        "cb?code=1",
        "\u{e9}https://idp.example/a",
    ];
    let unsure = [
        " https://idp.example/a",
        "\thttps://idp.example/a",
        "ht\ttps://idp.example/a",
        "https:idp.example/a",
        "http:/idp.example/a",
        "https:\\\\idp.example/a",
        "https://idp.example@evil.example/a",
        "https://evil.example\\@idp.example/a",
        "https://127.0.0.1:9/a",
        "https://0x7f.1/a",
        "https://[::1]:8443/a",
        "https://xn--bcher-kva.example/a",
        "https://b%C3%BCcher.example/a",
        "https://idp.example:99999/a",
        "https://idp.example:8x/a",
        "https://idp..example/a",
        "https://idp.example./a",
        "https://.idp.example/a",
        "https://",
        "https:///idp.example/a",
        "https://idp.exa\tmple/a",
        "https://idp_x.example/a",
    ];
    for (locations, expected) in [
        (&plain[..], "plain"),
        (&nowhere, "nowhere"),
        (&unsure, "unsure"),
    ] {
        for location in locations {
            let got = match quick_origin(location.as_bytes()) {
                QuickOrigin::Plain(_) => "plain",
                QuickOrigin::Nowhere => "nowhere",
                QuickOrigin::Unsure => "unsure",
            };
            assert_eq!(got, expected, "{location:?}");
            check_quick_origin(location).unwrap();
        }
    }
}

mod agrees_with_reference {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn raw_pairs_split_as_str_split_does(query in "[a=&%+\u{e9}]{0,40}") {
            let expected: Vec<(&str, &str)> = if query.is_empty() {
                Vec::new()
            } else {
                query
                    .split('&')
                    .map(|p| (p, p.split_once('=').map_or(p, |(n, _)| n)))
                    .collect()
            };
            let got: Vec<(&str, &str)> =
                RawPairs::new(&query).map(|p| (p.pair, p.name)).collect();
            prop_assert_eq!(got, expected);
            for pair in RawPairs::new(&query) {
                prop_assert_eq!(pair.encoded, pair.name.contains(['%', '+']));
            }
        }
    }

    proptest! {
        #[test]
        fn raw_pairs_read_long_names_as_str_split_does(
            query in "([a-c%+\u{e9}]{0,20}[=&]?){0,5}",
        ) {
            let expected: Vec<(&str, &str, bool)> = if query.is_empty() {
                Vec::new()
            } else {
                query
                    .split('&')
                    .map(|p| {
                        let name = p.split_once('=').map_or(p, |(n, _)| n);
                        (p, name, name.contains(['%', '+']))
                    })
                    .collect()
            };
            let got: Vec<(&str, &str, bool)> =
                RawPairs::new(&query).map(|p| (p.pair, p.name, p.encoded)).collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn split_is_the_reference_split(location in "[a?#/.]{0,30}") {
            prop_assert_eq!(split(&location), oracle::split(&location));
        }

        #[test]
        fn plain_host_is_the_reference(host in "([a0-9xX\\-]{0,5}[.]?){0,6}|([0-9]{1,4}[.]?){1,5}") {
            // The host is read inside `fast_endpoint`, with and without a port.
            let plain = !host.is_empty() && oracle::plain_host(&host);
            for location in [format!("https://{host}/p"), format!("https://{host}:8443/p")] {
                let read = matches!(fast_endpoint(&location), Fast::Endpoint(_));
                prop_assert_eq!(read, plain, "{}", location);
            }
        }

        #[test]
        fn quick_origin_is_the_full_reading(
            scheme in prop_oneof![
                4 => "(https?|HtTpS?)://",
                1 => "([a-z.+]{1,6}|ht\ttps|https?)(://|:/|:|:\\\\|//|/)?",
            ],
            lead in prop_oneof![6 => "", 1 => "[ \t]"],
            host in "([a0-9nxX\\-]{0,5}[.]?){0,4}|([0-9]{1,4}[.]?){1,5}|[a@%_\\[\\]:\t.]{0,6}",
            port in "(:[0-9]{0,6}|:x)?",
            tail in "([/?#][a.%/\\@:\t ]{0,6})?",
        ) {
            let location = format!("{lead}{scheme}{host}{port}{tail}");
            if let Err(e) = check_quick_origin(&location) {
                prop_assert!(false, "{}", e);
            }
        }

        #[test]
        fn plain_path_is_the_reference(path in "(/[a.%2eE\\\\ ]{0,6}){0,5}") {
            prop_assert_eq!(plain_path(&path), oracle::plain_path(&path), "{}", path);
        }
    }

    /// `split`, `plain_host` and `plain_path` as they were first written.
    mod oracle {
        use crate::text::{Parts, endpoint::is_dot_segment};

        pub(super) fn split(location: &str) -> Parts<'_> {
            let (rest, fragment) = match location.split_once('#') {
                Some((rest, fragment)) => (rest, Some(fragment)),
                None => (location, None),
            };
            let (base, query) = match rest.split_once('?') {
                Some((base, query)) => (base, Some(query)),
                None => (rest, None),
            };
            Parts {
                base,
                query,
                fragment,
            }
        }

        pub(super) fn plain_host(host: &str) -> bool {
            let labels = host.split('.');
            if host.ends_with('.') || host.split('.').any(|l| l.is_empty()) {
                return false;
            }
            if labels
                .clone()
                .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"))
            {
                return false;
            }
            let last = host.rsplit('.').next().unwrap_or("");
            if last.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return true;
            }
            let mut count = 0;
            for label in labels {
                count += 1;
                let canonical = label.len() <= 3
                    && label.bytes().all(|b| b.is_ascii_digit())
                    && (label == "0" || !label.starts_with('0'))
                    && label.parse::<u16>().is_ok_and(|n| n <= 255);
                if !canonical {
                    return false;
                }
            }
            count == 4
        }

        pub(super) fn plain_path(path: &str) -> bool {
            let chars_ok = path.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'/' | b'-'
                            | b'.'
                            | b'_'
                            | b'~'
                            | b'%'
                            | b'!'
                            | b'$'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                            | b':'
                            | b'@'
                    )
            });
            chars_ok && !path.split('/').any(is_dot_segment)
        }
    }

    #[test]
    fn decoding_in_place_is_decoding_and_refuses_what_is_not_utf8() {
        for raw in [
            "a",
            "a%40b",
            "a+b",
            "%",
            "%4",
            "%4g",
            "%%41",
            "+%2B+",
            "%C3%A9",
            "%FF",
            "%e9",
            "%+41",
            "a=b%3D",
            "%C3",
            "%ED%A0%80",
            "%F0%9F%98%80",
        ] {
            let pair = format!("n={raw}");
            let bytes: Vec<u8> = url::form_urlencoded::parse(pair.as_bytes())
                .next()
                .map(|(_, v)| v.into_owned().into_bytes())
                .unwrap_or_default();
            let strict = percent_encoding::percent_decode(raw.replace('+', " ").as_bytes())
                .collect::<Vec<u8>>();
            let expected = String::from_utf8(strict).ok();
            if let Some(text) = &expected {
                assert_eq!(text.as_bytes(), bytes, "{raw}");
            }
            let mut space = [0u8; 64];
            let mut free: &mut [u8] = &mut space;
            assert_eq!(
                decoded_text_in(&pair, &mut free).map(|t| t.into_owned()),
                expected,
                "{raw}"
            );
            let mut tiny = [0u8; 1];
            let mut free: &mut [u8] = &mut tiny;
            assert_eq!(
                decoded_text_in(&pair, &mut free).map(|t| t.into_owned()),
                expected,
                "{raw}"
            );
        }
    }
}

/// `value_is` says what decoding the value and comparing it would say.
#[test]
fn value_is_agrees_with_decoding() {
    use super::query::value_is;
    let raws = [
        "b=b+v", "b=b%20v", "b=b v", "b=", "b", "b=%", "b=%4", "b=%41", "b=%e9", "b=a%2Bb",
        "b=a+b+", "b==x", "b=%zz",
    ];
    let values = [
        "b v", "", "%", "%4", "A", "\u{e9}", "a+b", "a b ", "=x", "%zz", "b+v",
    ];
    for raw in raws {
        let value = raw.split_once('=').map_or("", |(_, v)| v);
        let decoded: Vec<u8> = url::form_urlencoded::parse(format!("b={value}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())
            .unwrap_or_default();
        for want in values {
            // form_urlencoded replaces bytes that are not UTF-8: compare where it kept them.
            if std::str::from_utf8(&decoded).is_ok() {
                assert_eq!(
                    value_is(raw, want),
                    decoded == want.as_bytes(),
                    "{raw} {want}"
                );
            }
        }
    }
    assert!(
        !value_is("b=%E9", "\u{e9}"),
        "one byte 0xE9 is not the two of U+00E9"
    );
    assert!(value_is("b=%C3%A9", "\u{e9}"));
}
