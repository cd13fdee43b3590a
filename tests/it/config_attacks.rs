//! Configuration attacks (issue 4, item 4): invalid configurations, each refused with a
//! `ConfigError` that names its place in the JSON; nothing panics, nothing overflows the
//! stack, nothing takes time or memory out of proportion to the input.

use tower_upstream_params::{Config, ConfigError, UpstreamParamsLayer};

use crate::common::config;

fn error(json: &str) -> ConfigError {
    match Config::from_json(json) {
        Ok(_) => panic!(
            "loaded, but should not have: {}",
            &json[..json.len().min(300)]
        ),
        Err(e) => e,
    }
}

/// Asserts that `json` is refused with a problem at `path` whose message contains `words`,
/// and that the message names the path.
fn refused(json: &str, path: &str, words: &str) {
    let err = error(json);
    assert!(
        err.problems().any(|(p, m)| p == path && m.contains(words)),
        "expected `{path}: ...{words}...` for {}\ngot: {}",
        &json[..json.len().min(300)],
        &err.to_string()[..err.to_string().len().min(600)],
    );
    if !path.is_empty() {
        assert!(err.to_string().contains(&format!("{path}: ")), "{err}");
    }
}

fn with_params(params: &str) -> String {
    format!(
        r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
            "upstream_params": {params}}}}}}}"#
    )
}

fn with_param(name: &str, param: &str) -> String {
    with_params(&format!(r#"{{"{name}": {param}}}"#))
}

const P: &str = "connections.c.upstream_params";

/// Every reserved target of DESIGN.md, each in an odd letter case, as a static value, an
/// alias and a removal.
#[test]
fn reserved_targets_in_any_case_are_refused() {
    let names = [
        "CLIENT_ID",
        "Client_Secret",
        "client_ASSERTION",
        "Client_Assertion_Type",
        "Redirect_Uri",
        "RESPONSE_type",
        "Response_Mode",
        "STATE",
        "Nonce",
        "code_CHALLENGE",
        "Code_Challenge_Method",
        "CODE_VERIFIER",
        "Request",
        "REQUEST_URI",
        "OAuth_Token",
        "OAUTH_CALLBACK",
        "oauth_Signature",
        "samlrequest",
        "SAMLRESPONSE",
        "relaystate",
        "SIGALG",
        "signature",
    ];
    for name in names {
        for param in [
            r#"{"value": "x"}"#,
            r#"{"alias": "login_hint"}"#,
            r#"{"alias": "org", "source": "broker", "mode": "merge"}"#,
            r#"{"remove": true}"#,
        ] {
            refused(&with_param(name, param), &format!("{P}.{name}"), "reserved");
        }
    }
    // `scope` only merges.
    for (name, param) in [
        ("SCOPE", r#"{"value": "openid"}"#),
        ("Scope", r#"{"value": "openid", "mode": "replace"}"#),
        ("scope", r#"{"value": "openid", "mode": "keep"}"#),
        ("sCoPe", r#"{"remove": true}"#),
    ] {
        refused(&with_param(name, param), &format!("{P}.{name}"), "scope");
    }
    // ... and merging it is allowed.
    config(&with_param(
        "scope",
        r#"{"value": "email", "mode": "merge"}"#,
    ));
}

/// Names never read from the query, in any case, in `query_aliases`; and as aliases.
#[test]
fn forbidden_sources_are_refused() {
    let names = [
        "STATE",
        "Code",
        "nOnce",
        "Redirect_Uri",
        "CODE_verifier",
        "Code_Challenge",
        "client_SECRET",
        "Client_Assertion",
        "REQUEST",
        "Request_Uri",
        "ACCESS_TOKEN",
        "refresh_Token",
        "Id_Token",
    ];
    for (i, name) in names.iter().enumerate() {
        let json = format!(r#"{{"query_aliases": ["domain_hint", "{name}"]}}"#);
        refused(&json, "query_aliases[1]", "never be read");
        let lower = name.to_ascii_lowercase();
        for source in ["", r#", "source": "any""#, r#", "source": "query""#] {
            refused(
                &with_param("p", &format!(r#"{{"alias": "{lower}"{source}}}"#)),
                &format!("{P}.p.alias"),
                "never be read",
            );
        }
        let _ = i;
    }
}

/// Nesting: 100 levels (serde_json's limit is 128) is a type error at its path; 100,000 is
/// a JSON error, not a stack overflow.
#[test]
fn deep_nesting_is_refused_without_overflow() {
    let arrays = format!("{}\"x\"{}", "[".repeat(100), "]".repeat(100));
    refused(
        &with_param("p", &format!(r#"{{"value": {arrays}}}"#)),
        &format!("{P}.p.value"),
        "expected a string, found an array",
    );
    let objects = format!("{}1{}", r#"{"a":"#.repeat(100), "}".repeat(100));
    refused(
        &with_param("p", &format!(r#"{{"value": {objects}}}"#)),
        &format!("{P}.p.value"),
        "expected a string, found an object",
    );
    refused(
        &format!(r#"{{"connections": {objects}}}"#),
        "connections.a.a",
        "unknown key",
    );
    for deep in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!(
            "{}null{}",
            r#"{"connections": "#.repeat(100_000),
            "}".repeat(100_000)
        ),
        with_param(
            "p",
            &format!(
                r#"{{"value": {}1{}}}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
    ] {
        let err = error(&deep);
        assert!(err.to_string().contains("invalid JSON"), "{err}");
        assert!(err.to_string().contains(" column "), "{err}");
        // The path of a JSON syntax error is the root.
        assert_eq!(err.path(), "");
    }
    // The same through a merge patch.
    let base = config(&with_param("p", r#"{"value": "x"}"#));
    let err = base
        .merge_patch(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)))
        .unwrap_err();
    assert!(err.to_string().contains("invalid JSON"), "{err}");
}

/// 10 MB: one static value that long, a pattern that long, and ten megabytes of
/// connections with one bad param at the end.
#[test]
fn ten_megabyte_configs_are_refused_at_their_path() {
    const MB10: usize = 10 << 20;
    let value = "v".repeat(MB10);
    refused(
        &with_param("p", &format!(r#"{{"value": "{value}"}}"#)),
        &format!("{P}.p.value"),
        "max_value_len",
    );
    // Raising the limit does not make the value fit under `max_value_len` of 4 GiB - 1 either
    // way: it loads, and is sent whole.
    let big = config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
            "upstream_params": {{"p": {{"value": "{value}"}}}}}}}},
            "limits": {{"max_value_len": {MB10}}}}}"#
    ));
    assert_eq!(big.connection_names().count(), 1);
    drop(big);

    let pattern = "a".repeat(MB10);
    refused(
        &with_param(
            "p",
            &format!(r#"{{"alias": "login_hint", "pattern": "{pattern}"}}"#),
        ),
        &format!("{P}.p.pattern"),
        "regular expression",
    );
    drop(pattern);

    // 10,000 connections of 1 KB each, the last one with a reserved target.
    let mut json = String::from(r#"{"connections": {"#);
    let mut n = 0;
    let filler = "f".repeat(900);
    while json.len() < MB10 {
        json.push_str(&format!(
            r#""c{n}": {{"authorization_url": "https://idp{n}.example/authorize", "upstream_params": {{"x": {{"value": "{filler}"}}}}}},"#
        ));
        n += 1;
    }
    json.push_str(
        r#""last": {"authorization_url": "https://idp.example/a", "upstream_params": {"State": {"value": "x"}}}}}"#,
    );
    assert!(json.len() > MB10);
    refused(&json, "connections.last.upstream_params.State", "reserved");
    // Without the bad one, all of them load.
    let good = json.replace(r#""State""#, r#""state_hint""#);
    let loaded = config(&good);
    assert_eq!(loaded.connection_names().count(), n + 1);
}

/// Many keys: 30,000 params in one connection, and 30,000 connections. Finding a repeated
/// key must not compare every key with every other (a quadratic check takes minutes here in
/// a debug build; a linear one, well under a second).
#[test]
fn thirty_thousand_keys_load_in_linear_time() {
    let mut params = String::from("{");
    for i in 0..30_000 {
        params.push_str(&format!(r#""p{i}": {{"value": "{i}"}},"#));
    }
    params.push_str(r#""STATE": {"remove": true}}"#);
    refused(&with_params(&params), &format!("{P}.STATE"), "reserved");

    let mut json = String::from(r#"{"connections": {"#);
    for i in 0..30_000 {
        json.push_str(&format!(
            r#""c{i}": {{"authorization_url": "https://idp{i}.example/a"}},"#
        ));
    }
    json.push_str(r#""c0": {"authorization_url": "https://idp.example/a"}}}"#);
    refused(&json, "connections.c0", "given twice");
}

/// A JSON key given twice, at every level, is an error at that key, not "last one wins".
#[test]
fn duplicate_keys_are_refused_at_every_level() {
    let url = r#""authorization_url": "https://idp.example/a""#;
    let cases = [
        (
            r#"{"connections": {}, "connections": {}}"#.to_owned(),
            "connections",
        ),
        (
            format!(r#"{{"connections": {{"c": {{{url}}}, "c": {{{url}}}}}}}"#),
            "connections.c",
        ),
        (
            format!(r#"{{"connections": {{"c": {{{url}, {url}}}}}}}"#),
            "connections.c.authorization_url",
        ),
        (
            format!(
                r#"{{"connections": {{"c": {{{url}, "upstream_params": {{}}, "upstream_params": {{}}}}}}}}"#
            ),
            "connections.c.upstream_params",
        ),
        (
            with_params(r#"{"blog": {"value": "a"}, "blog": {"value": "b"}}"#),
            "connections.c.upstream_params.blog",
        ),
        (
            with_param("blog", r#"{"value": "a", "value": "a"}"#),
            "connections.c.upstream_params.blog.value",
        ),
        (
            with_param(
                "blog",
                r#"{"alias": "login_hint", "pattern": "a", "pattern": ".*"}"#,
            ),
            "connections.c.upstream_params.blog.pattern",
        ),
        (
            r#"{"limits": {"max_value_len": 10, "max_value_len": 20}}"#.to_owned(),
            "limits.max_value_len",
        ),
        (r#"{"limits": {}, "limits": {}}"#.to_owned(), "limits"),
        (
            r#"{"query_aliases": [], "query_aliases": []}"#.to_owned(),
            "query_aliases",
        ),
    ];
    for (json, path) in &cases {
        refused(json, path, "given twice");
    }
}

/// Patterns: the `regex` crate has no catastrophic backtracking, so `(a+)+$` loads and
/// matches in linear time; what is bounded is size (1 MiB compiled) and nesting (64).
#[test]
fn regular_expressions_are_bounded() {
    let at = format!("{P}.p.pattern");
    for pattern in [
        r"a{1000}{1000}",
        r"(?:\w{100}){100}",
        r"[\p{L}\p{N}]{5000}",
        r"(?:(?:(?:a{50}){50}){50})",
    ] {
        let json = with_param(
            "p",
            &format!(
                r#"{{"alias": "login_hint", "pattern": {}}}"#,
                serde_json::to_string(pattern).unwrap()
            ),
        );
        refused(&json, &at, "regular expression");
    }
    let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    refused(
        &with_param(
            "p",
            &format!(r#"{{"alias": "login_hint", "pattern": "{nested}"}}"#),
        ),
        &at,
        "regular expression",
    );
    for pattern in ["(", "[a-", "a{2,1}", r"\p{Nope}", "(?<n>a)(?<n>b)", "*"] {
        let json = with_param(
            "p",
            &format!(
                r#"{{"alias": "login_hint", "pattern": {}}}"#,
                serde_json::to_string(pattern).unwrap()
            ),
        );
        refused(&json, &at, "regular expression");
    }
    // Accepted: exponential for a backtracking engine, linear here.
    for pattern in ["(a+)+$", "(a|a)*b", "(a|aa)+c", "(.*a){20}"] {
        config(&with_param(
            "p",
            &format!(r#"{{"alias": "login_hint", "pattern": "{pattern}"}}"#),
        ));
    }
}

/// A pattern that is not a regular expression on its own must not load, even when wrapping
/// it in the anchors `^(?:` and `)$` would make it one: `[a-z]+)|(?:.*` would otherwise be
/// compiled as `^(?:[a-z]+)|(?:.*)$`, which accepts any value at all, anchors gone.
#[test]
fn a_pattern_cannot_escape_its_anchors() {
    let at = format!("{P}.p.pattern");
    for pattern in [r"[a-z]+)|(?:.*", r"x)|(.*", r"a)(?:", r")|("] {
        let json = with_param(
            "p",
            &format!(
                r#"{{"alias": "login_hint", "pattern": {}}}"#,
                serde_json::to_string(pattern).unwrap()
            ),
        );
        refused(&json, &at, "regular expression");
    }
}

/// The same pattern through the service: a value that does not match the pattern the operator
/// meant is never forwarded, whatever the loader did with it.
#[tokio::test]
async fn an_escaped_pattern_never_forwards_an_unmatched_value() {
    let json = with_param(
        "lh",
        r#"{"alias": "login_hint", "pattern": "[a-z]+)|(?:.*"}"#,
    );
    let Ok(loaded) = Config::from_json(&json) else {
        return;
    };
    let response = crate::common::respond(
        UpstreamParamsLayer::new(loaded),
        "/?login_hint=EVIL%40attacker.example",
        "https://idp.example/a",
        Default::default(),
        None,
    )
    .await;
    assert_eq!(response.headers()["location"], "https://idp.example/a");
}

/// `null` where a string, an object, an array or a number goes.
#[test]
fn nulls_where_values_go_are_refused() {
    let url = r#""authorization_url": "https://idp.example/a""#;
    let conn = |rest: &str| format!(r#"{{"connections": {{"c": {{{rest}}}}}}}"#);
    let cases: Vec<(String, String, &str)> = vec![
        (
            with_param("p", r#"{"value": null}"#),
            format!("{P}.p.value"),
            "expected a string, found null",
        ),
        (
            with_param("p", r#"{"alias": null}"#),
            format!("{P}.p.alias"),
            "expected a string, found null",
        ),
        (
            with_param("p", r#"{"alias": "login_hint", "default": null}"#),
            format!("{P}.p.default"),
            "found null",
        ),
        (
            with_param("p", r#"{"alias": "login_hint", "pattern": null}"#),
            format!("{P}.p.pattern"),
            "found null",
        ),
        (
            with_param("p", r#"{"alias": "login_hint", "source": null}"#),
            format!("{P}.p.source"),
            "expected one of",
        ),
        (
            with_param("p", r#"{"value": "x", "mode": null}"#),
            format!("{P}.p.mode"),
            "expected one of",
        ),
        (
            with_param("p", r#"{"alias": "login_hint", "max_len": null}"#),
            format!("{P}.p.max_len"),
            "found null",
        ),
        (
            with_param("p", r#"{"remove": null}"#),
            format!("{P}.p.remove"),
            "must be true",
        ),
        (
            with_param("p", "null"),
            format!("{P}.p"),
            "expected an object, found null",
        ),
        (
            with_params("null"),
            P.to_owned(),
            "expected an object, found null",
        ),
        (
            conn(r#""authorization_url": null"#),
            "connections.c.authorization_url".into(),
            "found null",
        ),
        (
            conn(&format!(r#"{url}, "client_id": null"#)),
            "connections.c.client_id".into(),
            "found null",
        ),
        (
            conn(&format!(r#"{url}, "protocol": null"#)),
            "connections.c.protocol".into(),
            "expected one of",
        ),
        (
            r#"{"connections": {"c": null}}"#.into(),
            "connections.c".into(),
            "expected an object, found null",
        ),
        (
            r#"{"connections": null}"#.into(),
            "connections".into(),
            "expected an object, found null",
        ),
        (
            r#"{"query_aliases": [null]}"#.into(),
            "query_aliases[0]".into(),
            "found null",
        ),
        (
            r#"{"query_aliases": null}"#.into(),
            "query_aliases".into(),
            "found null",
        ),
        (r#"{"limits": null}"#.into(), "limits".into(), "found null"),
        (
            r#"{"limits": {"max_location_len": null}}"#.into(),
            "limits.max_location_len".into(),
            "found null",
        ),
    ];
    for (json, path, words) in &cases {
        refused(json, path, words);
    }
    // The document itself being null.
    refused("null", "", "expected an object, found null");
}

/// Numbers out of range, odd JSON, odd URLs.
#[test]
fn odd_numbers_strings_and_urls_are_refused() {
    let conn =
        |url: &str| format!(r#"{{"connections": {{"c": {{"authorization_url": "{url}"}}}}}}"#);
    let cases: Vec<(String, String, &str)> = vec![
        (r#"{"limits": {"max_value_len": 18446744073709551616}}"#.into(), "limits.max_value_len".into(), "whole number"),
        (r#"{"limits": {"max_value_len": 4294967296}}"#.into(), "limits.max_value_len".into(), "whole number"),
        (r#"{"limits": {"max_location_len": -0}}"#.into(), "limits.max_location_len".into(), "whole number"),
        (r#"{"limits": {"max_location_len": 1e3}}"#.into(), "limits.max_location_len".into(), "whole number"),
        (r#"{"limits": {"max_location_len": "8192"}}"#.into(), "limits.max_location_len".into(), "whole number"),
        (with_param("p", r#"{"alias": "login_hint", "max_len": true}"#), format!("{P}.p.max_len"), "whole number"),
        (with_param("p", r#"{"value": ["a"]}"#), format!("{P}.p.value"), "expected a string"),
        (with_param("p", r#"{"remove": "true"}"#), format!("{P}.p.remove"), "must be true"),
        (with_param("p", r#"{"remove": 1}"#), format!("{P}.p.remove"), "must be true"),
        (with_param("p", r#"{"value": "x", "mode": "MERGE"}"#), format!("{P}.p.mode"), "expected one of"),
        (with_param("p", r#"{"alias": "Login_Hint"}"#), format!("{P}.p.alias"), "query"),
        (conn(&format!("https://{}.example/a", "h".repeat(300))), "connections.c.authorization_url".into(), "host"),
        (conn("https://idp.example:99999/a"), "connections.c.authorization_url".into(), "absolute URL"),
        (conn("javascript:alert(1)"), "connections.c.authorization_url".into(), "scheme"),
        (conn("https://idp.example/a?"), "connections.c.authorization_url".into(), "query"),
        (conn("https://idp.example/a#"), "connections.c.authorization_url".into(), "fragment"),
        (conn("https://user@idp.example/a"), "connections.c.authorization_url".into(), "user"),
        (conn(""), "connections.c.authorization_url".into(), "empty"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": []}}}"#.into(), P.into(), "expected an object"),
    ];
    for (json, path, words) in &cases {
        refused(json, path, words);
    }
    // JSON-level problems: the root path, with line and column.
    for json in [
        "",
        "\u{feff}{}",
        r#"{"connections": {"c": {"authorization_url": "\ud800"}}}"#,
        r#"{"connections": {}} trailing"#,
        r#"{"connections": {},}"#,
        r#"{'connections': {}}"#,
        "{\"connections\": {\"c\u{0}\": {}}}",
    ] {
        let err = error(json);
        assert_eq!(err.path(), "", "{json:?}: {err}");
        assert!(err.to_string().contains("invalid JSON"), "{err}");
    }
}

/// A merge patch that makes the configuration invalid is refused at its path, and the
/// configuration it was applied to is unchanged.
#[test]
fn bad_merge_patches_leave_the_config_unchanged() {
    let base = config(&with_param("p", r#"{"value": "x"}"#));
    let before = base.to_json();
    for (patch, path, words) in [
        (
            r#"{"connections": {"c": {"authorization_url": null}}}"#,
            "connections.c",
            "authorization_url",
        ),
        (
            r#"{"connections": {"c": {"upstream_params": {"STATE": {"value": "s"}}}}}"#,
            "connections.c.upstream_params.STATE",
            "reserved",
        ),
        (
            r#"{"connections": {"c": {"upstream_params": {"p": {"alias": "login_hint"}}}}}"#,
            "connections.c.upstream_params.p",
            "exactly one of",
        ),
        (
            r#"{"limits": {"max_value_len": 0}}"#,
            "limits.max_value_len",
            "whole number",
        ),
        (
            r#"{"query_aliases": ["Nonce"]}"#,
            "query_aliases[0]",
            "never be read",
        ),
    ] {
        let err = base.merge_patch(patch).unwrap_err();
        assert!(
            err.problems()
                .any(|(p, m)| (p == path || path.is_empty()) && m.contains(words)),
            "{patch}: {err}"
        );
        assert_eq!(base.to_json(), before);
    }
}

/// A merge patch is JSON the operator writes too: a key given twice in it is refused, as in a
/// configuration, rather than applied "last one wins".
#[test]
fn a_merge_patch_with_a_repeated_key_is_refused() {
    let base = config(&with_param("p", r#"{"value": "x"}"#));
    let before = base.to_json();
    for (patch, path) in [
        (
            r#"{"connections": {"c": {"upstream_params": {"q": {"value": "x", "value": "y"}}}}}"#,
            "connections.c.upstream_params.q.value",
        ),
        (
            r#"{"connections": {"c": {"upstream_params": {"p": {"value": "x", "value": "y"}}}}}"#,
            "connections.c.upstream_params.p.value",
        ),
        (
            r#"{"connections": {"d": {"authorization_url": "https://idp.example/d"}, "d": null}}"#,
            "connections.d",
        ),
    ] {
        match base.merge_patch(patch) {
            Ok(patched) => panic!("{patch} applied: {}", patched.to_json()),
            Err(err) => assert!(
                err.problems()
                    .any(|(p, m)| p == path && m.contains("given twice")),
                "{patch}: {err}"
            ),
        }
        assert_eq!(base.to_json(), before);
    }
}

/// Issue 22, item 3: `limits.max_value_len` is the longest value ever sent. An alias's
/// `max_len` above it, and a `default` longer than it, are load errors that say so; at or
/// below it they load.
#[test]
fn max_value_len_bounds_every_alias_and_default() {
    let limited = |param: &str| {
        format!(
            r#"{{"limits": {{"max_value_len": 10}}, "connections": {{"c": {{
                "authorization_url": "https://idp.example/a",
                "upstream_params": {{"p": {param}}}}}}}}}"#
        )
    };
    refused(
        &limited(r#"{"alias": "login_hint", "max_len": 60}"#),
        &format!("{P}.p.max_len"),
        "limits.max_value_len (10)",
    );
    refused(
        &limited(r#"{"alias": "login_hint", "max_len": 60, "default": "0123456789abc"}"#),
        &format!("{P}.p.default"),
        "limits.max_value_len (10)",
    );
    // Without a max_len, the default is held to the limit as before.
    refused(
        &limited(r#"{"alias": "login_hint", "default": "0123456789a"}"#),
        &format!("{P}.p.default"),
        "10",
    );
    config(&limited(
        r#"{"alias": "login_hint", "max_len": 10, "default": "0123456789"}"#,
    ));
    config(&limited(r#"{"alias": "login_hint", "max_len": 3}"#));
    // The default limit (2048) too.
    refused(
        &with_param("p", r#"{"alias": "login_hint", "max_len": 2049}"#),
        &format!("{P}.p.max_len"),
        "limits.max_value_len (2048)",
    );
    // A merge patch that lowers the limit below a configured max_len is refused.
    let base = config(&with_param(
        "p",
        r#"{"alias": "login_hint", "max_len": 100}"#,
    ));
    let err = base
        .merge_patch(r#"{"limits": {"max_value_len": 50}}"#)
        .unwrap_err();
    assert!(
        err.problems()
            .any(|(p, m)| p == format!("{P}.p.max_len") && m.contains("max_value_len (50)")),
        "{err}"
    );
}

/// Issue 22, item 3, at run time: under a limit of 10, no alias sends the 60 bytes a client
/// puts in its query (the configuration that did it no longer loads; the default max_len is
/// the limit).
#[test]
fn no_value_longer_than_max_value_len_is_sent() {
    let config = config(
        r#"{"limits": {"max_value_len": 10}, "connections": {"c": {
            "authorization_url": "https://idp.example/a",
            "upstream_params": {"login_hint": {"alias": "login_hint"}}}}}"#,
    );
    let long = "x".repeat(60);
    let query = format!("login_hint={long}");
    let sources = tower_upstream_params::AliasSources::new().query(Some(query.as_str()));
    let rewrite = config.rewrite_location("https://idp.example/a?client_id=w", None, &sources);
    assert_eq!(rewrite.location(), None);
    assert_eq!(
        rewrite.report().and_then(|r| r.outcome("login_hint")),
        Some(tower_upstream_params::Outcome::Dropped(
            tower_upstream_params::DropReason::TooLong
        ))
    );
}

/// Issue 22, item 4: `scope` fed from the client's query would let any relying party's link
/// widen the broker's upstream grant (`offline_access`, mail scopes). An alias whose target
/// is `scope` (in any letter case) loads only with `"source": "broker"`; the error says why.
#[test]
fn scope_is_fed_only_by_the_broker() {
    for name in ["scope", "SCOPE", "Scope"] {
        for source in ["", r#", "source": "any""#, r#", "source": "query""#] {
            refused(
                &with_param(
                    name,
                    &format!(r#"{{"alias": "acr_values", "mode": "merge"{source}}}"#),
                ),
                &format!("{P}.{name}"),
                "\"source\": \"broker\"",
            );
        }
        let err = error(&with_param(
            name,
            r#"{"alias": "acr_values", "mode": "merge"}"#,
        ));
        assert!(err.to_string().contains("grant"), "{err}");
        config(&with_param(
            name,
            r#"{"alias": "extra_scopes", "source": "broker", "mode": "merge"}"#,
        ));
    }
    // A static scope, merged, is the operator's own: it loads.
    config(&with_param(
        "scope",
        r#"{"value": "openid email", "mode": "merge"}"#,
    ));
}

/// Issue 22, item 5: `id_token_hint` carries the broker's own ID token (personal data no
/// upstream IdP can verify): an alias reads it only with `"source": "broker"`; the error says
/// why.
#[test]
fn id_token_hint_is_read_only_from_the_broker() {
    for source in ["", r#", "source": "any""#, r#", "source": "query""#] {
        refused(
            &with_param("hint", &format!(r#"{{"alias": "id_token_hint"{source}}}"#)),
            &format!("{P}.hint.alias"),
            "\"source\": \"broker\"",
        );
    }
    let err = error(&with_param("hint", r#"{"alias": "id_token_hint"}"#));
    assert!(err.to_string().contains("ID token"), "{err}");
    // Listed in query_aliases in another case, it is still refused.
    let json = r#"{"query_aliases": ["ID_TOKEN_HINT"], "connections": {"c": {
        "authorization_url": "https://idp.example/a",
        "upstream_params": {"hint": {"alias": "ID_TOKEN_HINT", "source": "query"}}}}}"#;
    refused(json, &format!("{P}.hint.alias"), "\"source\": \"broker\"");
    config(&with_param(
        "id_token_hint",
        r#"{"alias": "id_token_hint", "source": "broker"}"#,
    ));
}

/// Issue 22: a top-level `"$schema"` (so editors validate the file) is accepted and
/// ignored: not kept by `to_json`, not in the fingerprint, not in equality. It must be a
/// string, as the schema says.
#[test]
fn a_top_level_schema_key_is_accepted_and_ignored() {
    let plain = with_param("blog", r#"{"value": "x"}"#);
    let with_schema = format!(
        r#"{{"$schema": "https://example.com/config.schema.json", {}"#,
        &plain[1..]
    );
    let a = config(&plain);
    let b = config(&with_schema);
    assert_eq!(a, b);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert!(!b.to_json().contains("$schema"), "{}", b.to_json());
    let patched = a
        .merge_patch(r#"{"$schema": "./config.schema.json"}"#)
        .unwrap();
    assert_eq!(patched, a);
    let via_serde: tower_upstream_params::Config = serde_json::from_str(&with_schema).unwrap();
    assert_eq!(via_serde, a);
    refused(r#"{"$schema": 3}"#, "$schema", "expected a string");
    refused(
        r#"{"$schema": "x", "$schema": "y"}"#,
        "$schema",
        "given twice",
    );
    // Only at the top: elsewhere it is an unknown key like any other.
    refused(
        &with_param("blog", r#"{"value": "x", "$schema": "y"}"#),
        &format!("{P}.blog.$schema"),
        "unknown key",
    );
}
