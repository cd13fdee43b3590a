//! `*` in an `authorization_url` (DESIGN.md, "Matching" rule 2 and 3): a `*` path segment
//! matches any one segment, a `*` first host label any one DNS label; where several endpoints
//! match, the literal host wins, then the more specific path.
//!
//! Matching is checked against a reference matcher written here the plain way (label by
//! label, segment by segment, every connection compared) over generated configurations and
//! every `Location` of a grid, not on a few examples.

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use tower_upstream_params::__private::select;
use tower_upstream_params::Config;

use crate::common::{Extras, config, location, location_with};

// ---- the reference matcher ----

/// One configured connection, as the reference reads it.
#[derive(Clone, Debug)]
struct Conn {
    name: String,
    https: bool,
    port: u16,
    /// Lowercase; a first label `*` is a host wildcard.
    host: String,
    path: String,
}

impl Conn {
    fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let default = if self.https { 443 } else { 80 };
        let port = if self.port == default {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!("{scheme}://{}{port}{}", self.host, self.path)
    }

    fn wild_host(&self) -> bool {
        self.host.starts_with("*.")
    }

    /// Whether a segment of the path is literal, segment by segment.
    fn literal_segments(&self) -> Vec<bool> {
        self.path.split('/').map(|s| s != "*").collect()
    }
}

/// A label a host wildcard stands for: 1 to 63 ASCII letters, digits, `-` or `_`.
fn dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let host: Vec<&str> = host.split('.').collect();
    pattern.len() == host.len()
        && pattern.iter().zip(&host).enumerate().all(|(i, (p, h))| {
            if i == 0 && *p == "*" {
                dns_label(h)
            } else {
                p.eq_ignore_ascii_case(h)
            }
        })
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len() && pattern.iter().zip(&path).all(|(p, s)| *p == "*" || p == s)
}

/// The connection a `Location` without `client_id` selects among connections without
/// `client_id`: the most specific candidate (literal host first, then more literal
/// segments, then the leftmost literal segment).
fn reference(conns: &[Conn], location: &str) -> Option<String> {
    let url = url::Url::parse(location).ok()?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let (host, port, path) = (url.host_str()?, url.port_or_known_default()?, url.path());
    conns
        .iter()
        .filter(|c| {
            c.https == https
                && c.port == port
                && host_matches(&c.host, host)
                && path_matches(&c.path, path)
        })
        .min_by(|a, b| {
            let (la, lb) = (a.literal_segments(), b.literal_segments());
            let count = |l: &[bool]| l.iter().filter(|x| **x).count();
            a.wild_host()
                .cmp(&b.wild_host())
                .then(count(&lb).cmp(&count(&la)))
                .then(lb.cmp(&la))
        })
        .map(|c| c.name.clone())
}

fn config_of(conns: &[Conn]) -> Config {
    let entries: Vec<String> = conns
        .iter()
        .map(|c| {
            format!(
                r#""{}": {{"authorization_url": "{}", "upstream_params": {{"w": {{"value": "{}"}}}}}}"#,
                c.name,
                c.url(),
                c.name
            )
        })
        .collect();
    config(&format!(r#"{{"connections": {{{}}}}}"#, entries.join(",")))
}

// ---- generated configurations against the reference ----

const HOSTS: [&str; 8] = [
    "okta.com",
    "acme.okta.com",
    "*.okta.com",
    "a.b.okta.com",
    "*.b.okta.com",
    "*.example.org",
    "acme.example.org",
    "*.okta.com.",
];

const ORIGINS: [(bool, u16); 3] = [(true, 443), (false, 80), (true, 8443)];

const PATHS: [&str; 13] = [
    "/", "/a", "/*", "/a/b", "/*/b", "/a/*", "/*/*", "/a/b/c", "/*/b/c", "/a/*/c", "/*/*/c",
    "/a/b/*", "/*/*/*",
];

const LOCATION_ORIGINS: [&str; 5] = [
    "https://{h}",
    "http://{h}",
    "https://{h}:8443",
    "HTTPS://{h}:443",
    "http://{h}:443",
];

const LOCATION_HOSTS: [&str; 16] = [
    "okta.com",
    "acme.okta.com",
    "ACME.Okta.COM",
    "globex.okta.com",
    "b.okta.com",
    "a.b.okta.com",
    "x.a.b.okta.com",
    "acme.example.org",
    "example.org",
    "x_y-z.example.org",
    "b\u{fc}cher.okta.com",
    "xn--bcher-kva.okta.com",
    "a!b.okta.com",
    "acme.okta.com.",
    "acme.okta.com.evil.com",
    "evil.com%2F.okta.com",
];

const LOCATION_PATHS: [&str; 15] = [
    "/", "", "/a", "/b", "/a/b", "/b/b", "/a/c", "/a/b/c", "/x/b/c", "/a/x/c", "/a/b/x", "/x/y/z",
    "/a/b/c/d", "/a/", "//",
];

fn conns_strategy() -> impl Strategy<Value = Vec<Conn>> {
    prop::collection::vec((0..ORIGINS.len(), 0..HOSTS.len(), 0..PATHS.len()), 1..12).prop_map(
        |picks| {
            let mut seen = std::collections::HashSet::new();
            picks
                .into_iter()
                .filter(|pick| seen.insert(*pick))
                .enumerate()
                .map(|(k, (o, h, p))| Conn {
                    name: format!("c{k}"),
                    https: ORIGINS[o].0,
                    port: ORIGINS[o].1,
                    host: HOSTS[h].to_owned(),
                    path: PATHS[p].to_owned(),
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every `Location` of the grid (5 origins x 16 hosts x 15 paths) selects what the
    /// reference selects, for generated sets of literal and wildcard hosts and paths.
    #[test]
    fn selection_is_the_reference_matchers(conns in conns_strategy()) {
        let config = config_of(&conns);
        for origin in LOCATION_ORIGINS {
            for host in LOCATION_HOSTS {
                for path in LOCATION_PATHS {
                    let location = format!("{}{path}?state=s", origin.replace("{h}", host));
                    let expected = reference(&conns, &location);
                    let got = select(&config, &location).map(str::to_owned);
                    prop_assert_eq!(got, expected, "{} with {:#?}", location, conns);
                }
            }
        }
    }
}

/// The same through the layer, for a fixed mixed configuration: the rewritten `Location`
/// names the reference's winner.
#[tokio::test]
async fn the_layer_rewrites_for_the_reference_winner() {
    let mut conns = Vec::new();
    for (k, (host, path)) in [
        ("*.okta.com", "/oauth2/*/v1/authorize"),
        ("*.okta.com", "/oauth2/default/v1/authorize"),
        ("acme.okta.com", "/oauth2/*/v1/authorize"),
        ("*.okta.com", "/*/*/v1/authorize"),
        ("login.example.com", "/*/oauth2/v2.0/authorize"),
        ("*.b2clogin.com", "/*/oauth2/v2.0/authorize"),
    ]
    .into_iter()
    .enumerate()
    {
        conns.push(Conn {
            name: format!("c{k}"),
            https: true,
            port: 443,
            host: host.to_owned(),
            path: path.to_owned(),
        });
    }
    let config = config_of(&conns);
    for host in [
        "acme.okta.com",
        "globex.okta.com",
        "okta.com",
        "a.b.okta.com",
        "login.example.com",
        "contoso.b2clogin.com",
        "b2clogin.com",
    ] {
        for path in [
            "/oauth2/default/v1/authorize",
            "/oauth2/aus1/v1/authorize",
            "/x/y/v1/authorize",
            "/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
            "/logout",
        ] {
            let loc = format!("https://{host}{path}?client_id=web");
            let expected = match reference(&conns, &loc) {
                Some(name) => format!("{loc}&w={name}"),
                None => loc.clone(),
            };
            assert_eq!(location(config.clone(), "/", &loc).await, expected, "{loc}");
        }
    }
}

// ---- load errors ----

fn refused_at_url(url: &str) -> String {
    let json = format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{url}", "upstream_params": {{}}}}}}}}"#
    );
    match Config::from_json(&json) {
        Ok(_) => panic!("{url} loaded"),
        Err(e) => {
            let problem = e
                .problems()
                .find(|(path, _)| *path == "connections.c.authorization_url")
                .map(|(_, message)| message.to_owned());
            problem.unwrap_or_else(|| panic!("{url}: no problem at authorization_url: {e}"))
        }
    }
}

fn loads(url: &str) -> bool {
    Config::from_json(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{url}"}}}}}}"#
    ))
    .is_ok()
}

#[test]
fn every_misplaced_host_wildcard_is_a_load_error() {
    for url in [
        "https://*/x",
        "https://*.com/x",
        "https://*.com./x",
        "http://*.localhost:8080/x",
        "https://a*.okta.com/x",
        "https://*a.okta.com/x",
        "https://**.okta.com/x",
        "https://a.*.com/x",
        "https://*.*.okta.com/x",
        "https://acme.okta.*/x",
        "https://acme.*/x",
        "https://acme.okta.com*/x",
        "https://*..okta.com/x",
        "https://*.okta..com/x",
    ] {
        let message = refused_at_url(url);
        assert!(message.contains('*'), "{url}: {message}");
        assert!(message.contains("*.okta.com"), "{url}: says how: {message}");
    }
}

/// A path with `*` segments has at most 63 segments (its mask is one machine word); a
/// literal path may have any number.
#[test]
fn a_wildcard_path_of_more_than_63_segments_is_a_load_error() {
    let url = format!("https://idp.example{}/*", "/a".repeat(63));
    let message = refused_at_url(&url);
    assert!(message.contains("at most 63 segments"), "{message}");
    assert!(loads(&format!("https://idp.example{}/*", "/a".repeat(62))));
    assert!(loads(&format!("https://idp.example{}", "/a".repeat(500))));
}

/// Generated hosts of 1 to 4 labels with a `*` in every place and form: only a whole first
/// label before at least two labels loads.
#[test]
fn host_wildcards_load_only_as_a_whole_first_label_before_two() {
    let labels = ["acme", "okta", "com", "example"];
    for count in 1..=4 {
        for at in 0..count {
            for form in ["*", "x*", "*x", "**", "x*y"] {
                let mut host: Vec<&str> = labels[..count].to_vec();
                host[at] = form;
                let host = host.join(".");
                let url = format!("https://{host}/oauth2/v1/authorize");
                let fine = form == "*" && at == 0 && count >= 3;
                if fine {
                    assert!(loads(&url), "{url} should load");
                } else {
                    let message = refused_at_url(&url);
                    assert!(message.contains(&host), "{url}: names the host: {message}");
                }
            }
        }
    }
}

#[test]
fn host_wildcards_load_and_round_trip() {
    for url in [
        "https://*.okta.com/oauth2/v1/authorize",
        "https://*.b2clogin.com/*/oauth2/v2.0/authorize",
        "https://*.OKTA.com/x",
        "https://%2A.okta.com/x",
        "http://*.a.example:8080/*/x",
        "https://*.okta.com./x",
        "https://*.m\u{fc}nchen.de/x",
    ] {
        assert!(loads(url), "{url}");
        let json = format!(r#"{{"connections": {{"c": {{"authorization_url": "{url}"}}}}}}"#);
        let config = config(&json);
        let again = Config::from_json(&config.to_json()).expect("to_json loads");
        assert_eq!(again.to_json(), config.to_json());
    }
}

// ---- precedence and selection ----

fn precedence_config() -> Config {
    config(
        r#"{"connections": {
            "wild": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                     "upstream_params": {"w": {"value": "wild"}}},
            "wild-shared": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                            "client_id": "shared", "upstream_params": {"w": {"value": "wild-shared"}}},
            "acme": {"authorization_url": "https://acme.okta.com/oauth2/v1/authorize",
                     "client_id": "acme", "upstream_params": {"w": {"value": "acme"}}},
            "acme-any": {"authorization_url": "https://acme.okta.com/oauth2/*/authorize",
                         "upstream_params": {"w": {"value": "acme-any"}}},
            "wild-path": {"authorization_url": "https://*.okta.com/oauth2/*/authorize",
                          "client_id": "acme", "upstream_params": {"w": {"value": "wild-path"}}}
        }}"#,
    )
}

/// A literal host beats a wildcard host at every step of the selection; the wildcard host's
/// connections stay candidates for the steps no literal one passes (the reading written in
/// `config/index.rs`: hosts are ranked as paths are).
#[test]
fn a_literal_host_beats_a_wildcard_host() {
    let config = precedence_config();
    let base = "https://acme.okta.com/oauth2/v1/authorize";
    let cases = [
        // The literal host's connection with that client_id.
        (format!("{base}?client_id=acme"), Some("acme")),
        // Without client_id: the literal host's connection without one (on its `*` path)
        // beats the wildcard host's literal path.
        (format!("{base}?scope=openid"), Some("acme-any")),
        // A client_id only the wildcard host has: its connection.
        (format!("{base}?client_id=shared"), Some("wild-shared")),
        // An unknown client_id: the most specific connection without one.
        (format!("{base}?client_id=other"), Some("acme-any")),
        // Another tenant: the wildcard host only.
        (
            "https://globex.okta.com/oauth2/v1/authorize?client_id=acme".to_owned(),
            Some("wild-path"),
        ),
        (
            "https://globex.okta.com/oauth2/v1/authorize?scope=openid".to_owned(),
            Some("wild"),
        ),
        (
            "https://globex.okta.com/oauth2/v2/authorize?client_id=acme".to_owned(),
            Some("wild-path"),
        ),
        (
            "https://globex.okta.com/oauth2/v2/authorize?client_id=shared".to_owned(),
            None,
        ),
        (
            "https://acme.okta.com/oauth2/v2/authorize?client_id=acme".to_owned(),
            Some("wild-path"),
        ),
        // Not a tenant: `okta.com` itself, two labels.
        (
            "https://okta.com/oauth2/v1/authorize?scope=openid".to_owned(),
            None,
        ),
        (
            "https://a.b.okta.com/oauth2/v1/authorize?scope=openid".to_owned(),
            None,
        ),
    ];
    for (location, expected) in cases {
        assert_eq!(select(&config, &location), expected, "{location}");
    }
}

/// The path rules rank a wildcard host's endpoints among themselves, and below any of the
/// literal host's.
#[test]
fn specificity_among_a_wildcard_hosts_paths() {
    let config = config(
        r#"{"connections": {
            "any": {"authorization_url": "https://*.okta.com/*/*/auth"},
            "left": {"authorization_url": "https://*.okta.com/t/*/auth"},
            "right": {"authorization_url": "https://*.okta.com/*/x/auth"},
            "exact": {"authorization_url": "https://*.okta.com/t/x/auth"},
            "literal-any": {"authorization_url": "https://acme.okta.com/*/*/auth"}
        }}"#,
    );
    let cases = [
        ("https://globex.okta.com/t/x/auth", Some("exact")),
        ("https://globex.okta.com/t/y/auth", Some("left")),
        ("https://globex.okta.com/u/x/auth", Some("right")),
        ("https://globex.okta.com/u/y/auth", Some("any")),
        ("https://globex.okta.com/u/y/z/auth", None),
        // The literal host's least specific path beats the wildcard host's exact one.
        ("https://acme.okta.com/t/x/auth", Some("literal-any")),
        ("https://ACME.okta.com/u/y/auth", Some("literal-any")),
    ];
    for (location, expected) in cases {
        assert_eq!(select(&config, location), expected, "{location}");
    }
}

/// `UpstreamConnection` picks among the candidates, the wildcard host's included; one naming
/// a connection whose endpoint the `Location` does not match rewrites nothing.
#[tokio::test]
async fn upstream_connection_selects_among_literal_and_wildcard_hosts() {
    let config = precedence_config();
    let acme = "https://acme.okta.com/oauth2/v1/authorize?client_id=acme";
    let globex = "https://globex.okta.com/oauth2/v1/authorize?client_id=acme";
    let cases = [
        (acme, "acme", Some("acme")),
        // Its endpoint matches the Location: a candidate, though the literal host wins
        // without the extension.
        (acme, "wild", Some("wild")),
        (acme, "wild-shared", Some("wild-shared")),
        (globex, "wild", Some("wild")),
        // acme.okta.com's connections are not candidates for globex.okta.com.
        (globex, "acme", None),
        (globex, "acme-any", None),
        (globex, "unknown", None),
    ];
    for (loc, named, expected) in cases {
        let extras = Extras::named(named);
        let out = location_with(config.clone(), "/", loc, extras, None).await;
        let want = match expected {
            Some(name) => format!("{loc}&w={name}"),
            None => loc.to_owned(),
        };
        assert_eq!(out, want, "{loc} named {named}");
    }
}

/// A `Location` is read as a browser reads it before its host meets a wildcard: case,
/// IDNA, tabs, userinfo.
#[tokio::test]
async fn wildcard_hosts_see_the_host_the_browser_goes_to() {
    let config = config(
        r#"{"connections": {"okta": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
            "upstream_params": {"w": {"value": "okta"}}}}}"#,
    );
    let cases = [
        ("https://ACME.OKTA.COM/oauth2/v1/authorize?x=1", true),
        (
            "https://xn--bcher-kva.okta.com/oauth2/v1/authorize?x=1",
            true,
        ),
        ("https://acme.ok\tta.com/oauth2/v1/authorize?x=1", true),
        ("https://acme.okta.com:443/oauth2/v1/authorize?x=1", true),
        (
            "https://okta.com@acme.okta.com/oauth2/v1/authorize?x=1",
            true,
        ),
        (
            "https://acme.okta.com@evil.com/oauth2/v1/authorize?x=1",
            false,
        ),
        (
            "https://acme.okta.com.evil.com/oauth2/v1/authorize?x=1",
            false,
        ),
        ("https://acme.okta.com:8443/oauth2/v1/authorize?x=1", false),
        ("http://acme.okta.com/oauth2/v1/authorize?x=1", false),
        ("https://a.b.okta.com/oauth2/v1/authorize?x=1", false),
        ("https://okta.com/oauth2/v1/authorize?x=1", false),
    ];
    for (loc, rewritten) in cases {
        let out = location(config.clone(), "/", loc).await;
        if rewritten {
            assert!(out.ends_with("?x=1&w=okta"), "{loc} -> {out}");
        } else {
            assert_eq!(out, loc);
        }
    }
}
