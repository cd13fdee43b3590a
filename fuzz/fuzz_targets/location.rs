//! A whole URL through the engine's public API (`Config::rewrite_location`), as the layer
//! reads a `Location`: differentially against a browser. The `url` crate resolves the input
//! against the broker's own page, once over `http` and once over `https`, as a browser
//! resolves a redirect; the engine must select a connection exactly when every page lands on
//! that connection's endpoint and the query has at most one `client_id`, and a rewritten URL
//! must take the browser to the same place with each added param exactly once, without tabs
//! or line breaks, and be stable when rewritten again.
//!
//! Connection `a`'s `login_hint` is aliased from the broker's query: what it sends (or why
//! it drops it) must be what decoding every pair of that query says.
//!
//! Input: the first line is the URL; the rest, if any, is the broker's query.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tower_upstream_params::{AliasSources, Config, DropReason, Outcome};
use tower_upstream_params_fuzz::{decode, decode_bytes, raw_name, raw_value};
use url::Url;

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_json(
        r#"{"connections": {
            "a": {"authorization_url": "https://idp.example/authorize",
                  "upstream_params": {"prompt": {"value": "select_account", "mode": "merge"},
                                      "login_hint": {"alias": "login_hint"}}},
            "b": {"authorization_url": "http://127.0.0.1:8080/a/*/b",
                  "upstream_params": {"ui_locales": {"value": "de fr", "mode": "merge"}}},
            "c": {"authorization_url": "https://[::1]:8443/x",
                  "upstream_params": {"hd": {"value": "acme.com"},
                                      "display": {"remove": true}}},
            "d": {"authorization_url": "https://b\u00fccher.example/auth",
                  "upstream_params": {"x": {"value": "\u00e9 &=#", "mode": "keep"}}}
        }}"#,
    )
    .expect("the fuzz config loads")
});

const PAGES: [&str; 2] = [
    "http://broker.example/authorize?client_id=web",
    "https://broker.example/authorize?client_id=web",
];

fn connection_at(url: &Url) -> Option<&'static str> {
    let path = url.path();
    let segments: Vec<&str> = path.split('/').collect();
    match (url.scheme(), url.host_str()?, url.port_or_known_default()?) {
        ("https", "idp.example", 443) if path == "/authorize" => Some("a"),
        ("http", "127.0.0.1", 8080)
            if segments.len() == 4 && segments[1] == "a" && segments[3] == "b" =>
        {
            Some("b")
        }
        ("https", "[::1]", 8443) if path == "/x" => Some("c"),
        ("https", "xn--bcher-kva.example", 443) if path == "/auth" => Some("d"),
        _ => None,
    }
}

/// Where a browser on each broker page goes.
fn browser(url: &str) -> [Option<Url>; 2] {
    PAGES.map(|page| {
        let base = Url::parse(page).ok()?;
        Url::options().base_url(Some(&base)).parse(url).ok()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (url, query) = text.split_once('\n').unwrap_or((&text, ""));
    let sources = AliasSources::new().query(Some(query));
    let rewrite = CONFIG.rewrite_location(url, None, &sources);

    let landed = browser(url);
    let connections = landed
        .clone()
        .map(|u| u.as_ref().and_then(connection_at));
    // A `client_id` given twice is ambiguous (which one the IdP reads is not known): the
    // engine selects no connection (`no_connection`), as `tests/it/adversarial.rs` says.
    let client_ids = landed
        .iter()
        .flatten()
        .next()
        .map_or(0, |u| u.query_pairs().filter(|(n, _)| n == "client_id").count());
    // A URL a `Location` header cannot hold (not visible ASCII, tabs allowed) is refused
    // by every door, as the layer never sees one (DESIGN.md, "One reading of the URL").
    let header_text = url.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
    let want = match connections {
        [Some(a), Some(b)] if a == b && client_ids < 2 && header_text => Some(a),
        _ => None,
    };
    assert_eq!(
        rewrite.report().map(|r| r.connection().to_owned()).as_deref(),
        want,
        "{url:?}"
    );
    let Some(new) = rewrite.location() else {
        return;
    };
    assert!(!new.contains(['\t', '\n', '\r']), "{new:?}");
    let after = browser(new);
    for (before, after) in landed.iter().zip(&after) {
        let (Some(before), Some(after)) = (before, after) else {
            panic!("a rewritten URL the browser cannot follow: {url:?} -> {new:?}");
        };
        assert_eq!(
            (before.scheme(), before.host_str(), before.port_or_known_default(), before.path()),
            (after.scheme(), after.host_str(), after.port_or_known_default(), after.path()),
            "{url:?} -> {new:?}"
        );
        assert_eq!(before.fragment(), after.fragment(), "{url:?} -> {new:?}");
    }
    let report = rewrite.report().expect("a rewrite has a report");
    if let Some(after) = &after[1] {
        for param in report.params() {
            let count = after.query_pairs().filter(|(n, _)| n == param.name()).count();
            match param.outcome() {
                Outcome::Added | Outcome::Replaced | Outcome::Merged => {
                    assert_eq!(count, 1, "{}: {url:?} -> {new:?}", param.name())
                }
                Outcome::Removed => assert_eq!(count, 0, "{url:?} -> {new:?}"),
                _ => {}
            }
        }
    }
    if report.connection() == "a" {
        check_alias(
            report.outcome("login_hint"),
            query,
            landed[1].as_ref(),
            after[1].as_ref(),
            url,
            new,
        );
    }
    // Rewriting the result again changes nothing more.
    let again = CONFIG.rewrite_location(new, None, &sources);
    assert_eq!(again.location().unwrap_or(new), new, "not stable: {url:?} -> {new:?}");
});

/// The `login_hint` pairs of a raw query (names decoded), their values decoded to bytes.
fn login_hints(query: &str) -> Vec<Vec<u8>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && decode(raw_name(pair)) == "login_hint")
        .map(|pair| decode_bytes(raw_value(pair)))
        .collect()
}

/// The aliased `login_hint` against the broker's query decoded pair by pair: missing or empty
/// is `missing`, more than once is `ambiguous`, not UTF-8 once decoded is `not_utf8`, too
/// long is `too_long`, the `Location`'s only `login_hint` already (decoded) is `kept`; else
/// the one value, sent as it decodes.
fn check_alias(
    outcome: Option<Outcome>,
    query: &str,
    before: Option<&Url>,
    after: Option<&Url>,
    url: &str,
    new: &str,
) {
    let hints = login_hints(query);
    let outcome = outcome.expect("connection a has a login_hint");
    let Some(one) = (match hints.as_slice() {
        [_, _, ..] => {
            assert_eq!(outcome, Outcome::Dropped(DropReason::Ambiguous), "{query:?}");
            None
        }
        [] => {
            assert_eq!(outcome, Outcome::Dropped(DropReason::Missing), "{query:?}");
            None
        }
        [one] => Some(one),
    }) else {
        return;
    };
    let Ok(one) = std::str::from_utf8(one) else {
        assert_eq!(outcome, Outcome::Dropped(DropReason::NotUtf8), "{query:?}");
        return;
    };
    let already = before
        .and_then(Url::query)
        .map(login_hints)
        .is_some_and(|there| there == [one.as_bytes()]);
    if one.is_empty() {
        assert_eq!(outcome, Outcome::Dropped(DropReason::Missing), "{query:?}")
    } else if one.len() > 2048 {
        assert_eq!(outcome, Outcome::Dropped(DropReason::TooLong), "{query:?}")
    } else if already {
        assert_eq!(outcome, Outcome::Kept, "{url:?} with {query:?}")
    } else {
        assert!(
            matches!(outcome, Outcome::Added | Outcome::Replaced),
            "{outcome:?}: {query:?}"
        );
        let sent: Vec<String> = after
            .expect("a rewritten URL the browser follows")
            .query_pairs()
            .filter(|(name, _)| name == "login_hint")
            .map(|(_, value)| value.into_owned())
            .collect();
        assert_eq!(sent, [one.to_owned()], "{url:?} -> {new:?} with {query:?}");
    }
}
