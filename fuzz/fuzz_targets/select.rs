//! Matching a `Location` to a connection, differentially: the crate's fast path (no parsing
//! of ordinary URLs) must pick exactly the connection that the `url` crate's reading of the
//! `Location` (the browser's, WHATWG, resolved against the broker's page) points at, and
//! nothing for anything else.
//!
//! Input: the `Location` (visible ASCII only, as the layer reads it).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tower_upstream_params::__private::select;
use tower_upstream_params::Config;
use tower_upstream_params_fuzz::{cut, decode, pairs_of, raw_name};

static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_json(
        r#"{"connections": {
            "a": {"authorization_url": "https://idp.example/authorize"},
            "b": {"authorization_url": "http://127.0.0.1:8080/a/*/b"},
            "c": {"authorization_url": "https://[::1]:8443/x"},
            "d": {"authorization_url": "https://b\u00fccher.example/auth"},
            "e": {"authorization_url": "https://login.example:444/t/*/authorize"}
        }}"#,
    )
    .expect("the fuzz config loads")
});

/// The connection the browser's reading of `location` points at, from the broker's page
/// over `http` and over `https` alike (a form such as `https:idp.example/x` is relative to
/// an `https` page: no connection).
fn expected(location: &str) -> Option<&'static str> {
    let mut landed = [
        "http://broker.example/authorize?client_id=web",
        "https://broker.example/authorize?client_id=web",
    ]
    .map(|page| {
        let base = url::Url::parse(page).ok()?;
        let url = url::Url::options().base_url(Some(&base)).parse(location).ok()?;
        connection_at(&url)
    })
    .into_iter();
    let first = landed.next()??;
    landed.all(|other| other == Some(first)).then_some(first)
}

/// The connection whose endpoint `url` is.
fn connection_at(url: &url::Url) -> Option<&'static str> {
    let scheme = url.scheme();
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    let path = url.path();
    let segments: Vec<&str> = path.split('/').collect();
    let wild = |pattern: &str| {
        let p: Vec<&str> = pattern.split('/').collect();
        p.len() == segments.len() && p.iter().zip(&segments).all(|(p, s)| *p == "*" || p == s)
    };
    match (scheme, host, port) {
        ("https", "idp.example", 443) if path == "/authorize" => Some("a"),
        ("http", "127.0.0.1", 8080) if wild("/a/*/b") => Some("b"),
        ("https", "[::1]", 8443) if path == "/x" => Some("c"),
        ("https", "xn--bcher-kva.example", 443) if path == "/auth" => Some("d"),
        ("https", "login.example", 444) if wild("/t/*/authorize") => Some("e"),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = http::HeaderValue::from_bytes(data) else {
        return;
    };
    let Ok(location) = value.to_str() else { return };
    let got = select(&CONFIG, location);
    // The browser deletes tabs: `cli\tent_id` is a `client_id`.
    let read = location.replace('\t', "");
    let client_ids = pairs_of(cut(&read).query)
        .into_iter()
        .filter(|p| decode(raw_name(p)) == "client_id")
        .count();
    // A `client_id` given twice is ambiguous: no connection is selected.
    let want = if client_ids > 1 {
        None
    } else {
        expected(location)
    };
    assert_eq!(got, want, "{location:?}");
});
