//! Property tests of the rewrite (issue 4, item 1).
//!
//! Two levels:
//!
//! - the pure rewrite (`__private::rewrite`), on arbitrary `Location`s (random pairs, odd and
//!   invalid percent-encodings, empty segments `&&`, keys without `=`, fragments holding `?`,
//!   `&` and `#`) and arbitrary params (any Unicode value, every mode, removals, small and
//!   large length limits), checked against the contract's rules one by one and against a
//!   small reference model written from DESIGN.md alone;
//! - the whole service, on arbitrary configurations (static, alias and remove entries, every
//!   mode and source, patterns, defaults, `max_len`, attempts at reserved names in any letter
//!   case, SAML connections) with arbitrary request queries and broker-provided values.
//!
//! Decoding and encoding here are written out by hand (no `url` crate) so that the checks do
//! not share code with what they check. Case counts are set in code and keep the whole file
//! within a few seconds of a debug build on two cores.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use http::header::LOCATION;
use http::{HeaderValue, Request, Response};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use tower::{ServiceExt, service_fn};
use tower_upstream_params::__private::{rewrite, select};
use tower_upstream_params::config::Mode;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

/// Cases per property of the pure rewrite (each case is a few microseconds of work).
const REWRITE_CASES: u32 = 2_000;
/// Cases per property through the service (each case also loads a configuration).
const SERVICE_CASES: u32 = 600;

// ---------------------------------------------------------------------------------------
// The reference model (hand-written form encoding and the rewrite as DESIGN.md describes
// it), shared with the fuzz targets so that both check the crate against the same thing.

#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/lib.rs"]
mod reference;

use reference::{Op, cut, decode, encode, model, pairs_of, raw_name, raw_value};

// ---------------------------------------------------------------------------------------
// Generators.

/// Names that params and pairs share, so that replace, keep, merge and remove meet
/// existing pairs.
const NAMES: &[&str] = &[
    "prompt",
    "login_hint",
    "screen_name",
    "blog",
    "hd",
    "a b",
    "a+b",
    "x=y",
    "é",
    "p%q",
    "scope",
];

/// A name written the way some broker might write it: plain, `+` for spaces, or with some
/// bytes percent-encoded in upper or lower case.
fn raw_name_strategy() -> impl Strategy<Value = String> {
    let known = prop::sample::select(NAMES).prop_map(str::to_owned);
    let other = "[a-zA-Z_]{1,6}";
    (
        prop_oneof![4 => known, 1 => other],
        prop::collection::vec(any::<u8>(), 8),
    )
        .prop_map(|(name, dice)| {
            let mut raw = String::new();
            for (i, &b) in name.as_bytes().iter().enumerate() {
                let d = dice[i % dice.len()];
                match b {
                    b' ' if d % 2 == 0 => raw.push('+'),
                    b'a'..=b'z' | b'A'..=b'Z' | b'_' if d % 5 != 0 => raw.push(b as char),
                    _ if d % 3 == 0 => raw.push_str(&format!("%{b:02x}")),
                    _ => raw.push_str(&format!("%{b:02X}")),
                }
            }
            raw
        })
}

/// A raw value: visible ASCII except `&` and `#`, with odd escapes (`%`, `%2`, `%zz`, `%FF`,
/// a cut UTF-8 sequence).
fn raw_value_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z0-9._~!$'()*,;:@/?=+-]{1,6}",
        1 => Just("%".to_owned()),
        1 => Just("%2".to_owned()),
        1 => Just("%zz".to_owned()),
        1 => Just("%FF".to_owned()),
        1 => Just("%E2%82".to_owned()),
        1 => Just("%20".to_owned()),
        1 => Just("%2B".to_owned()),
        1 => Just("%26".to_owned()),
        1 => Just("%23".to_owned()),
        1 => Just("none".to_owned()),
        1 => Just("login".to_owned()),
        1 => Just("+".to_owned()),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

/// One raw pair: `name=value`, a key without `=`, `=value`, or an empty segment.
fn raw_pair_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (raw_name_strategy(), raw_value_strategy()).prop_map(|(n, v)| format!("{n}={v}")),
        2 => raw_name_strategy(),
        1 => raw_value_strategy().prop_map(|v| format!("={v}")),
        1 => Just(String::new()),
        1 => Just("state=a%20b+c%2Bd".to_owned()),
        1 => Just("client_id=c".to_owned()),
        1 => Just("prompt=none".to_owned()),
        1 => Just("prompt=login%20consent".to_owned()),
    ]
}

const BASES: &[&str] = &[
    "https://idp.example/authorize",
    "HTTPS://IDP.Example:443/o/oauth2/v2/auth",
    "http://127.0.0.1:8080/a/b",
    "https://[::1]:8443/oauth2/authorize",
    "https://user@idp.example/a%20b",
    "https://idp.example",
    "https:idp.example/a",
];

/// A visible-ASCII `Location`.
fn location_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(BASES),
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Vec::new())),
            6 => prop::collection::vec(raw_pair_strategy(), 1..10).prop_map(Some),
        ],
        prop::option::of("[a-zA-Z0-9?&#=%+/ -]{0,12}"),
    )
        .prop_map(|(base, pairs, fragment)| {
            let mut s = base.to_owned();
            if let Some(pairs) = pairs {
                s.push('?');
                s.push_str(&pairs.join("&"));
            }
            if let Some(f) = fragment {
                s.push('#');
                s.push_str(&f);
            }
            s
        })
}

/// Any value: arbitrary Unicode, or one made of the characters that break naive encoders.
fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        3 => "[a-z+&=%# \r\n\u{0}é😀/?]{0,12}",
        2 => "[a-z_]{1,8}( [a-z_]{1,8}){0,3}",
        1 => Just("none".to_owned()),
        1 => Just("login none".to_owned()),
    ]
}

fn mode_strategy() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Replace), Just(Mode::Keep), Just(Mode::Merge)]
}

/// Params with unique, non-empty names (as a configuration has them).
fn ops_strategy() -> impl Strategy<Value = Vec<Op>> {
    let name = prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ];
    let op = (
        name,
        prop_oneof![5 => value_strategy().prop_map(Some), 1 => Just(None)],
        mode_strategy(),
    );
    prop::collection::vec(op, 0..6).prop_map(|ops| {
        let mut seen: Vec<String> = Vec::new();
        ops.into_iter()
            .filter(|(n, _, _)| {
                if seen.contains(n) {
                    false
                } else {
                    seen.push(n.clone());
                    true
                }
            })
            .collect()
    })
}

fn max_len_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(usize::MAX), 1 => 0usize..400]
}

fn run(location: &str, ops: &[Op], max_len: usize) -> Option<String> {
    let params: Vec<(&str, Option<&str>, Mode)> = ops
        .iter()
        .map(|(n, v, m)| (n.as_str(), v.as_deref(), *m))
        .collect();
    rewrite(location, &params, max_len)
}

fn touched(ops: &[Op], name: &str) -> bool {
    ops.iter().any(|(n, _, _)| n == name)
}

// ---------------------------------------------------------------------------------------
// Properties of the pure rewrite.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(REWRITE_CASES))]

    /// Every pair the params do not name is byte-identical and in the same order; scheme,
    /// authority, path and fragment are unchanged.
    #[test]
    fn untouched_pairs_base_and_fragment_are_byte_identical(
        location in location_strategy(),
        ops in ops_strategy(),
        max_len in max_len_strategy(),
    ) {
        let Some(out) = run(&location, &ops, max_len) else { return Ok(()) };
        let (before, after) = (cut(&location), cut(&out));
        prop_assert_eq!(before.base, after.base);
        prop_assert_eq!(before.fragment, after.fragment);
        // A query that is one empty pair is an empty query.
        let keep = |q| -> Vec<&str> {
            let kept: Vec<&str> =
                pairs_of(q).into_iter().filter(|p| !touched(&ops, &decode(raw_name(p)))).collect();
            if kept == [""] { Vec::new() } else { kept }
        };
        prop_assert_eq!(keep(before.query), keep(after.query));
    }

    /// Decoding each added (or replacing) value gives back exactly the source value.
    #[test]
    fn set_values_decode_to_the_source_value(
        location in location_strategy(),
        ops in ops_strategy(),
    ) {
        let Some(out) = run(&location, &ops, usize::MAX) else { return Ok(()) };
        let after = pairs_of(cut(&out).query);
        let before = pairs_of(cut(&location).query);
        for (name, value, mode) in &ops {
            let Some(value) = value else { continue };
            let was_there = before.iter().any(|p| decode(raw_name(p)) == *name);
            let found: Vec<String> = after
                .iter()
                .filter(|p| decode(raw_name(p)) == *name)
                .map(|p| decode(raw_value(p)))
                .collect();
            if !was_there || *mode == Mode::Replace {
                prop_assert_eq!(found, vec![value.clone()], "{}", name);
            }
        }
    }

    /// No decoded key appears twice in the output unless it appeared as often in the input
    /// and was left untouched (keep, or a merge that had nothing to add).
    #[test]
    fn no_key_is_duplicated_by_the_rewrite(
        location in location_strategy(),
        ops in ops_strategy(),
    ) {
        let out = run(&location, &ops, usize::MAX).unwrap_or_else(|| location.clone());
        let count = |s: &str, name: &str| {
            pairs_of(cut(s).query).into_iter().filter(|p| decode(raw_name(p)) == name).count()
        };
        let mut names: Vec<String> =
            pairs_of(cut(&out).query).iter().map(|p| decode(raw_name(p))).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (b, a) = (count(&location, &name), count(&out, &name));
            if a > 1 {
                prop_assert_eq!(a, b, "{} duplicated", name);
                let op = ops.iter().find(|(n, _, _)| *n == name);
                prop_assert!(
                    matches!(op, None | Some((_, Some(_), Mode::Keep | Mode::Merge))),
                    "{} kept twice by {:?}", name, op
                );
                if out != location {
                    // Untouched: the same raw pairs.
                    let raw = |s: &str| -> Vec<String> {
                        pairs_of(cut(s).query).into_iter()
                            .filter(|p| decode(raw_name(p)) == name)
                            .map(str::to_owned).collect()
                    };
                    prop_assert_eq!(raw(&location), raw(&out));
                }
            }
        }
        for (name, value, mode) in &ops {
            let a = count(&out, name);
            match (value, mode) {
                (None, _) => prop_assert!(a == 0 || out == location, "{} not removed", name),
                (Some(_), Mode::Replace) => prop_assert_eq!(a, 1, "{}", name),
                (Some(_), _) => prop_assert!(a >= 1, "{} lost", name),
            }
        }
    }

    /// Rewriting twice with `replace` gives the same result as once (and so does every other
    /// mode and removal).
    #[test]
    fn rewriting_twice_is_rewriting_once(
        location in location_strategy(),
        ops in ops_strategy(),
        replace_only in any::<bool>(),
    ) {
        let ops: Vec<Op> = if replace_only {
            ops.into_iter().map(|(n, v, _)| (n, v, Mode::Replace)).collect()
        } else {
            ops
        };
        let once = run(&location, &ops, usize::MAX).unwrap_or_else(|| location.clone());
        let twice = run(&once, &ops, usize::MAX).unwrap_or_else(|| once.clone());
        prop_assert_eq!(once, twice);
    }

    /// A visible-ASCII `Location` stays a valid header value, which reads back as visible
    /// ASCII.
    #[test]
    fn the_output_is_a_valid_header_value(
        location in location_strategy(),
        ops in ops_strategy(),
        max_len in max_len_strategy(),
    ) {
        prop_assume!(HeaderValue::from_str(&location).is_ok_and(|v| v.to_str().is_ok()));
        if let Some(out) = run(&location, &ops, max_len) {
            prop_assert!(out.len() <= max_len);
            let value = HeaderValue::try_from(out.as_str());
            prop_assert!(value.is_ok(), "{:?}", out);
            prop_assert!(value.unwrap().to_str().is_ok());
        }
    }

    /// The rewrite is exactly the reference model (order, encoding, merge, limits, JAR/PAR).
    #[test]
    fn the_rewrite_is_the_reference_model(
        location in location_strategy(),
        ops in ops_strategy(),
        max_len in max_len_strategy(),
    ) {
        prop_assert_eq!(run(&location, &ops, max_len), model(&location, &ops, max_len));
    }

    /// The `max_location_len` limit is inclusive: the exact length fits, one byte less does
    /// not.
    #[test]
    fn the_length_limit_is_exact(location in location_strategy(), ops in ops_strategy()) {
        if let Some(out) = run(&location, &ops, usize::MAX) {
            prop_assert_eq!(run(&location, &ops, out.len()), Some(out.clone()));
            prop_assert_eq!(run(&location, &ops, out.len() - 1), None);
        }
    }

    /// Any string at all (non-ASCII, controls, lone `%`): no panic, and what changes is
    /// only the query.
    #[test]
    fn arbitrary_strings_never_panic(
        location in prop_oneof![any::<String>(), "[?&#=%+ a-zé\u{0}\r\n]{0,24}"],
        ops in ops_strategy(),
        max_len in max_len_strategy(),
    ) {
        let out = run(&location, &ops, max_len);
        prop_assert_eq!(&out, &model(&location, &ops, max_len));
        if let Some(out) = out {
            prop_assert_eq!(cut(&location).base, cut(&out).base);
            prop_assert_eq!(cut(&location).fragment, cut(&out).fragment);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Through the service, with arbitrary configurations.

/// Runs a future that never waits (every service here answers at once).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the service did not answer at once"),
    }
}

const IDP: &str = "https://idp.example/authorize";

/// Names the contract reserves (never a target).
#[path = "support/reserved.rs"]
mod reserved;

use reserved::RESERVED;
const SAML: &[&str] = &["SAMLRequest", "RelayState", "SigAlg", "Signature"];

const PATTERNS: &[&str] = &["[a-z]+", "[^@]+@acme\\.com", ".{1,5}", "(?i)[A-Z ]+"];

#[derive(Clone, Debug)]
enum Kind {
    Static(String),
    Alias {
        alias: &'static str,
        source: Option<&'static str>,
        default: Option<String>,
        pattern: Option<&'static str>,
        max_len: Option<usize>,
    },
    Remove,
}

#[derive(Clone, Debug)]
struct ParamSpec {
    name: String,
    kind: Kind,
    mode: Option<Mode>,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Replace => "replace",
        Mode::Keep => "keep",
        Mode::Merge => "merge",
        mode => unreachable!("this test knows no JSON name for {mode:?}"),
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

impl ParamSpec {
    fn json(&self) -> String {
        let mut fields = Vec::new();
        match &self.kind {
            Kind::Static(v) => fields.push(format!(r#""value": {}"#, json_string(v))),
            Kind::Remove => fields.push(r#""remove": true"#.to_owned()),
            Kind::Alias {
                alias,
                source,
                default,
                pattern,
                max_len,
            } => {
                fields.push(format!(r#""alias": "{alias}""#));
                if let Some(s) = source {
                    fields.push(format!(r#""source": "{s}""#));
                }
                if let Some(d) = default {
                    fields.push(format!(r#""default": {}"#, json_string(d)));
                }
                if let Some(p) = pattern {
                    fields.push(format!(r#""pattern": {}"#, json_string(p)));
                }
                if let Some(m) = max_len {
                    fields.push(format!(r#""max_len": {m}"#));
                }
            }
        }
        if let Some(mode) = self.mode {
            fields.push(format!(r#""mode": "{}""#, mode_name(mode)));
        }
        format!("{}: {{{}}}", json_string(&self.name), fields.join(", "))
    }

    fn mode(&self) -> Mode {
        self.mode.unwrap_or_default()
    }
}

fn config_json(saml: bool, params: &[ParamSpec], max_location_len: usize) -> String {
    let params: Vec<String> = params.iter().map(ParamSpec::json).collect();
    format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}", "protocol": "{}",
            "upstream_params": {{{}}}}}}}, "query_aliases": ["domain_hint"],
            "limits": {{"max_location_len": {max_location_len}}}}}"#,
        if saml { "saml" } else { "oidc" },
        params.join(", ")
    )
}

fn param_strategy() -> impl Strategy<Value = ParamSpec> {
    let target = prop_oneof![
        3 => prop::sample::select(&["blog", "screen_name", "prompt", "login_hint", "hd",
            "acr_values", "ui_locales", "a&b", "x+y", "a=b%"][..]).prop_map(str::to_owned),
        1 => "[a-z_]{1,8}".prop_filter("not reserved", |n| {
            !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(n)) && !n.eq_ignore_ascii_case("scope")
        }),
    ];
    let non_empty = value_strategy().prop_filter("non-empty", |v| !v.is_empty());
    let alias = (
        prop::sample::select(
            &[
                "login_hint",
                "prompt",
                "ui_locales",
                "domain_hint",
                "org_domain",
            ][..],
        ),
        prop::option::of(prop::sample::select(&["any", "broker", "query"][..])),
        prop::option::of(prop_oneof![Just("dflt".to_owned()), Just("d e".to_owned())]),
        prop::option::of(prop::sample::select(PATTERNS)),
        prop::option::of(1usize..16),
    )
        .prop_map(|(alias, source, default, pattern, max_len)| {
            // `org_domain` is no query name: only the broker may provide it.
            let source = if alias == "org_domain" {
                Some("broker")
            } else {
                source
            };
            Kind::Alias {
                alias,
                source,
                default,
                pattern,
                max_len,
            }
        })
        .prop_filter("a default the pattern and max_len accept", |k| match k {
            Kind::Alias {
                default: Some(d),
                pattern,
                max_len,
                ..
            } => max_len.is_none_or(|m| d.len() <= m) && pattern.is_none_or(|p| regex_match(p, d)),
            _ => true,
        });
    let kind = prop_oneof![
        2 => non_empty.prop_map(Kind::Static),
        3 => alias,
        1 => Just(Kind::Remove),
    ];
    (target, kind, prop::option::of(mode_strategy())).prop_map(|(name, kind, mode)| {
        let mode = if matches!(kind, Kind::Remove) {
            None
        } else {
            mode
        };
        ParamSpec { name, kind, mode }
    })
}

fn regex_match(pattern: &str, value: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .unwrap()
        .is_match(value)
}

fn params_strategy() -> impl Strategy<Value = Vec<ParamSpec>> {
    prop::collection::vec(param_strategy(), 0..6).prop_map(|params| {
        let mut seen: Vec<String> = Vec::new();
        params
            .into_iter()
            .filter(|p| {
                let new = !seen.contains(&p.name);
                seen.push(p.name.clone());
                new
            })
            .collect()
    })
}

/// A reserved name in a random letter case.
fn reserved_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&RESERVED[..]),
        prop::collection::vec(any::<bool>(), 24),
    )
        .prop_map(|(name, upper)| {
            name.chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| {
                    if u {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        })
}

/// A broker redirect to the IdP: reserved pairs (SAML ones for a SAML connection) with odd
/// encodings, plus random pairs.
fn broker_location_strategy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop_oneof![
                2 => (prop::sample::select(&RESERVED[..]), raw_value_strategy())
                    .prop_map(|(n, v)| format!("{n}={v}")),
                3 => raw_pair_strategy(),
            ],
            0..10,
        ),
        prop::option::of("[a-z=&?]{0,6}"),
    )
        .prop_map(|(pairs, fragment)| {
            let mut s = IDP.to_owned();
            if !pairs.is_empty() {
                s.push('?');
                s.push_str(&pairs.join("&"));
            }
            if let Some(f) = fragment {
                s.push('#');
                s.push_str(&f);
            }
            s
        })
}

/// A request query: each source name zero, one or two times, values encoded with `+` or
/// `%20` for spaces.
fn request_query_strategy() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(
                &[
                    "login_hint",
                    "prompt",
                    "ui_locales",
                    "domain_hint",
                    "org_domain",
                    "state",
                ][..],
            ),
            value_strategy(),
        ),
        0..5,
    )
}

fn values_strategy() -> impl Strategy<Value = Option<Vec<(&'static str, String)>>> {
    prop::option::of(prop::collection::vec(
        (
            prop::sample::select(&["login_hint", "prompt", "org_domain", "domain_hint"][..]),
            value_strategy(),
        ),
        0..3,
    ))
}

fn upstream_values(values: &Option<Vec<(&'static str, String)>>) -> Option<UpstreamValues> {
    values
        .as_ref()
        .map(|vs| vs.iter().map(|(n, v)| (*n, v.as_str())).collect())
}

/// What an alias resolves to, from DESIGN.md's "Rewriting" section.
fn resolve(
    kind: &Kind,
    response: Option<&UpstreamValues>,
    request: Option<&UpstreamValues>,
    query: &[(&str, String)],
    max_value_len: usize,
) -> Option<Option<String>> {
    match kind {
        Kind::Static(v) => Some(Some(v.clone())),
        Kind::Remove => Some(None),
        Kind::Alias {
            alias,
            source,
            default,
            pattern,
            max_len,
        } => {
            let max_len = max_len.unwrap_or(max_value_len);
            let ok = |v: &str| {
                !v.is_empty() && v.len() <= max_len && pattern.is_none_or(|p| regex_match(p, v))
            };
            let source = source.unwrap_or("any");
            if source != "query" {
                for values in [response, request].into_iter().flatten() {
                    match values.get(alias) {
                        Some(v) if ok(v) => return Some(Some(v.to_owned())),
                        _ => {}
                    }
                }
            }
            if source != "broker" {
                let found: Vec<&String> = query
                    .iter()
                    .filter(|(n, _)| n == alias)
                    .map(|(_, v)| v)
                    .collect();
                match found[..] {
                    [v] if ok(v) => return Some(Some(v.clone())),
                    _ => {}
                }
            }
            default.clone().map(Some)
        }
    }
}

fn request_uri(query: &[(&str, String)], plus: bool) -> String {
    let mut uri = "/authorize".to_owned();
    for (i, (name, value)) in query.iter().enumerate() {
        uri.push(if i == 0 { '?' } else { '&' });
        uri.push_str(name);
        uri.push('=');
        let encoded = encode(value);
        uri.push_str(&if plus {
            encoded
        } else {
            encoded.replace('+', "%20")
        });
    }
    uri
}

fn through_service(
    config: Config,
    uri: &str,
    location: &str,
    response_values: Option<UpstreamValues>,
    request_values: Option<UpstreamValues>,
) -> String {
    let location = HeaderValue::from_str(location).unwrap();
    let inner = service_fn(move |_req: Request<()>| {
        let mut response = Response::builder()
            .status(302)
            .header(LOCATION, location.clone())
            .body(())
            .unwrap();
        if let Some(values) = response_values.clone() {
            response.extensions_mut().insert(values);
        }
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let service = tower::ServiceBuilder::new()
        .layer(UpstreamParamsLayer::new(config))
        .service(inner);
    let mut request = Request::get(uri).body(()).unwrap();
    if let Some(values) = request_values {
        request.extensions_mut().insert(values);
    }
    let response = now(service.oneshot(request)).unwrap();
    let mut all = response.headers().get_all(LOCATION).iter();
    let value = all.next().unwrap();
    assert!(all.next().is_none());
    value.to_str().unwrap().to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(SERVICE_CASES))]

    /// Reserved names are rejected at load in any letter case, naming the param's JSON path;
    /// through the service, reserved and SAML pairs of the broker's redirect are never added,
    /// changed, removed or moved, and SAML params come after the signed ones.
    #[test]
    fn reserved_and_saml_params_are_never_touched(
        params in params_strategy(),
        reserved in reserved_strategy(),
        reserved_kind in param_strategy(),
        at in any::<prop::sample::Index>(),
        saml in any::<bool>(),
        location in broker_location_strategy(),
        query in request_query_strategy(),
    ) {
        // With a reserved target anywhere in it, the configuration does not load.
        let mut bad = params.clone();
        let reserved_param = ParamSpec { name: reserved.clone(), ..reserved_kind };
        bad.insert(at.index(bad.len() + 1), reserved_param);
        let err = Config::from_json(&config_json(saml, &bad, 8192)).unwrap_err();
        let path = format!("connections.c.upstream_params.{reserved}");
        prop_assert!(err.problems().any(|(p, _)| p == path), "{} not in {}", path, err);

        let config = Config::from_json(&config_json(saml, &params, 1 << 20)).unwrap();
        let out = through_service(config, &request_uri(&query, true), &location, None, None);
        let reserved_pairs = |s: &str| -> Vec<String> {
            pairs_of(cut(s).query)
                .into_iter()
                .filter(|p| RESERVED.iter().any(|r| decode(raw_name(p)) == *r))
                .map(str::to_owned)
                .collect()
        };
        prop_assert_eq!(reserved_pairs(&location), reserved_pairs(&out));
        if saml && out != location {
            // Every SAML pair comes before every pair the layer added.
            let before = pairs_of(cut(&location).query).len();
            let after = pairs_of(cut(&out).query);
            let last_saml = after
                .iter()
                .rposition(|p| SAML.iter().any(|s| decode(raw_name(p)) == *s));
            if let Some(last) = last_saml {
                let added = after.len().saturating_sub(before);
                prop_assert!(last < after.len() - added, "{}", out);
            }
        }
    }

    /// Arbitrary configuration, request query and broker values: the service's `Location` is
    /// the reference model's rewrite of the values DESIGN.md's resolution rules pick, and it
    /// is a valid header value.
    #[test]
    fn the_service_resolves_and_rewrites_as_the_contract_says(
        params in params_strategy(),
        saml in any::<bool>(),
        location in broker_location_strategy(),
        query in request_query_strategy(),
        plus in any::<bool>(),
        response_values in values_strategy(),
        request_values in values_strategy(),
        max_location_len in prop_oneof![3 => Just(1usize << 20), 1 => 1usize..300],
    ) {
        let config = Config::from_json(&config_json(saml, &params, max_location_len)).unwrap();
        let (response_values, request_values) =
            (upstream_values(&response_values), upstream_values(&request_values));
        let ops: Vec<Op> = params
            .iter()
            .filter_map(|p| {
                resolve(&p.kind, response_values.as_ref(), request_values.as_ref(), &query, 2048)
                    .map(|v| (p.name.clone(), v, p.mode()))
            })
            .collect();
        // Selection: the one connection has no `client_id`, so any one `client_id` selects it;
        // a `client_id` given twice is ambiguous and selects nothing (`no_connection`).
        let client_ids = pairs_of(cut(&location).query)
            .into_iter()
            .filter(|p| decode(raw_name(p)) == "client_id")
            .count();
        let expected = if client_ids > 1 {
            location.clone()
        } else {
            model(&location, &ops, max_location_len).unwrap_or_else(|| location.clone())
        };
        let out = through_service(
            config,
            &request_uri(&query, plus),
            &location,
            response_values,
            request_values,
        );
        prop_assert_eq!(out, expected);
    }
}

// ---------------------------------------------------------------------------------------
// A few fixed checks of the hand-written helpers themselves.

#[test]
fn the_helpers_agree_with_the_form_encoding() {
    assert_eq!(decode("a+b%20c%2B%zz%"), "a b c+%zz%");
    assert_eq!(decode("%C3%A9%FF"), "é\u{FFFD}");
    assert_eq!(
        encode("a b&c=d#e%+é*-._~"),
        "a+b%26c%3Dd%23e%25%2B%C3%A9*-._%7E"
    );
    for s in ["", "a b", "\r\n\0", "😀 + & = % #", "%zz"] {
        assert_eq!(decode(&encode(s)), s);
    }
    assert_eq!(
        model(
            "https://i/a?x=1&&y#f?g",
            &[("b".into(), Some("é".into()), Mode::Replace)],
            99
        ),
        Some("https://i/a?x=1&&y&b=%C3%A9#f?g".to_owned())
    );
}

// ---------------------------------------------------------------------------------------
// Matching: the connection a `Location` selects is the one the browser goes to.

fn matching_config() -> Config {
    Config::from_json(
        r#"{"connections": {
            "a": {"authorization_url": "https://idp.example/authorize"},
            "b": {"authorization_url": "http://127.0.0.1:8080/a/*/b"},
            "c": {"authorization_url": "https://[::1]:8443/x"},
            "d": {"authorization_url": "https://b\u00fccher.example/auth"}
        }}"#,
    )
    .unwrap()
}

/// The broker pages a redirect may answer, one per scheme: a browser resolves a `Location`
/// against the page it was asked from.
const BROKER_PAGES: [&str; 2] = [
    "http://broker.example/authorize?client_id=web",
    "https://broker.example/authorize?client_id=web",
];

/// Where the browser goes from every broker page (the `url` crate resolves URLs as WHATWG
/// says browsers do): the connection if every page lands on the same one, else none (a form
/// such as `https:idp.example/a` lands on the IdP from an `http` page only; the layer must
/// not send params where a browser may not follow).
fn browser_connection(location: &str) -> Option<&'static str> {
    let mut landed = BROKER_PAGES.iter().map(|page| {
        let base = url::Url::parse(page).ok()?;
        let url = url::Url::options()
            .base_url(Some(&base))
            .parse(location)
            .ok()?;
        connection_at(&url)
    });
    let first = landed.next()?;
    landed.all(|other| other == first).then_some(first)?
}

/// The connection whose endpoint `url` is.
fn connection_at(url: &url::Url) -> Option<&'static str> {
    let segments: Vec<&str> = url.path().split('/').collect();
    match (url.scheme(), url.host_str()?, url.port_or_known_default()?) {
        ("https", "idp.example", 443) if url.path() == "/authorize" => Some("a"),
        ("http", "127.0.0.1", 8080)
            if segments.len() == 4 && segments[1] == "a" && segments[3] == "b" =>
        {
            Some("b")
        }
        ("https", "[::1]", 8443) if url.path() == "/x" => Some("c"),
        ("https", "xn--bcher-kva.example", 443) if url.path() == "/auth" => Some("d"),
        _ => None,
    }
}

/// `Location`s built from pieces browsers normalize: scheme case and slashes, userinfo,
/// host case, trailing dots, percent-encoded and IDNA hosts, IPv4 and IPv6 forms, default
/// and odd ports, dot segments, backslashes, tabs, leading spaces.
fn matching_location_strategy() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(
        &[
            "https://",
            "HTTPS://",
            "https:",
            "https:/",
            "https:\\\\",
            "http://",
            "ht\ttps://",
            " https://",
            "https:///",
            "hTTp://",
        ][..],
    );
    let userinfo = prop::sample::select(
        &[
            "",
            "",
            "",
            "u@",
            "u:p@",
            "idp.example@",
            "evil.example\\@",
            "@",
        ][..],
    );
    let host = prop::sample::select(
        &[
            "idp.example",
            "IDP.Example",
            "idp.example.",
            "idp%2Eexample",
            "idp.exa\tmple",
            "idp.example.evil.com",
            "evil.com",
            "127.0.0.1",
            "0x7f.0.0.1",
            "127.1",
            "2130706433",
            "[::1]",
            "[0:0::1]",
            "[::2]",
            "xn--bcher-kva.example",
            "b%C3%BCcher.example",
            "BÜCHER.example",
        ][..],
    );
    let port = prop::sample::select(
        &[
            "", "", ":443", ":0443", ":8080", ":8443", ":80", ":", ":99999",
        ][..],
    );
    let path = prop::sample::select(
        &[
            "/authorize",
            "/x",
            "/auth",
            "/a/q/b",
            "/a/%2e/b",
            "/a/../a/q/b",
            "/authorize/",
            "/Authorize",
            "/x/../authorize",
            "/./x",
            "\\authorize",
            "/a\\q\\b",
            "/aut\thorize",
            "/a//b",
            "",
            "/%61uth",
            "/authorize ",
        ][..],
    );
    let query = prop::sample::select(
        &[
            "",
            "?",
            "?client_id=z",
            "?client_id=z&client_id=y",
            "?x=1#f",
            "#?a",
            "?a=%zz",
        ][..],
    );
    (scheme, userinfo, host, port, path, query)
        .prop_map(|(s, u, h, p, path, q)| format!("{s}{u}{h}{p}{path}{q}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(REWRITE_CASES))]

    /// The connection selected for a `Location` is the one whose endpoint the browser goes to,
    /// and none for anything else (a `client_id` given twice selects none).
    #[test]
    fn a_location_selects_the_connection_the_browser_goes_to(
        location in matching_location_strategy(),
    ) {
        prop_assume!(HeaderValue::from_str(&location).is_ok_and(|v| v.to_str().is_ok()));
        let config = matching_config();
        let client_ids = pairs_of(cut(&location).query)
            .into_iter()
            .filter(|p| decode(raw_name(p)) == "client_id")
            .count();
        let want = if client_ids > 1 { None } else { browser_connection(&location) };
        prop_assert_eq!(select(&config, &location), want, "{:?}", location);
    }
}
