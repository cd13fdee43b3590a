//! Generators and the layer's door, shared by `tests/doors.rs` and `tests/doors_cli.rs`: the
//! configurations, URLs and alias sources that every door is given.

#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use http::header::LOCATION;
use http::{HeaderValue, Request, Response};
use proptest::prelude::*;
use tower::{Layer, ServiceExt, service_fn};
use tower_upstream_params::{UpstreamParamsLayer, UpstreamReport, UpstreamValues};

/// The endpoints: two connections share the first, told apart by `client_id`.
pub(crate) const SHARED: &str = "https://idp.example/authorize";
pub(crate) const OTHER: &str = "https://other.example/o/auth";

pub(crate) fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the service is ready at once"),
    }
}

/// One param of a generated connection, as JSON.
pub(crate) fn param_strategy() -> impl Strategy<Value = String> {
    let value = prop::sample::select(vec!["select_account", "b v", "login", "acme.com", "none"]);
    let mode = prop::sample::select(vec!["", "replace", "keep", "merge"]);
    let with_mode = |mode: &str| {
        if mode.is_empty() {
            String::new()
        } else {
            format!(r#", "mode": "{mode}""#)
        }
    };
    prop_oneof![
        (value, mode.clone())
            .prop_map(move |(v, m)| format!(r#"{{"value": "{v}"{}}}"#, with_mode(m))),
        (
            prop::sample::select(vec!["login_hint", "prompt", "org"]),
            prop::sample::select(vec!["any", "broker", "query"]),
            prop::option::of(prop::sample::select(vec!["fallback", "x y"])),
            mode,
        )
            .prop_map(move |(alias, source, default, m)| {
                // `org` is no query alias: broker-provided only.
                let source = if alias == "org" { "broker" } else { source };
                let default = default.map_or(String::new(), |d| format!(r#", "default": "{d}""#));
                format!(
                    r#"{{"alias": "{alias}", "source": "{source}"{default}{}}}"#,
                    with_mode(m)
                )
            }),
        Just(r#"{"remove": true}"#.to_owned()),
    ]
}

/// A connection's params: a few of the target names, each with an entry.
pub(crate) fn params_strategy() -> impl Strategy<Value = String> {
    prop::sample::subsequence(
        vec!["prompt", "login_hint", "hd", "blog", "screen_name"],
        0..=4,
    )
    .prop_flat_map(|names| {
        let n = names.len();
        (Just(names), prop::collection::vec(param_strategy(), n))
    })
    .prop_map(|(names, entries)| {
        let body: Vec<String> = names
            .iter()
            .zip(entries)
            .map(|(name, entry)| format!(r#""{name}": {entry}"#))
            .collect();
        format!("{{{}}}", body.join(", "))
    })
}

pub(crate) fn config_strategy() -> impl Strategy<Value = String> {
    (
        [params_strategy(), params_strategy(), params_strategy()],
        [any::<bool>(), any::<bool>(), any::<bool>()],
    )
        .prop_map(|([a, b, c], [da, db, dc])| {
            format!(
                r#"{{"connections": {{
                    "a": {{"authorization_url": "{SHARED}", "client_id": "ca",
                           "dry_run": {da}, "upstream_params": {a}}},
                    "b": {{"authorization_url": "{SHARED}", "dry_run": {db},
                           "upstream_params": {b}}},
                    "c": {{"authorization_url": "{OTHER}", "dry_run": {dc},
                           "upstream_params": {c}}}}}}}"#
            )
        })
}

/// A pair of the broker's redirect: the params' names among others, values spelled in
/// several ways.
pub(crate) fn pair_strategy() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "prompt",
        "login_hint",
        "hd",
        "blog",
        "state",
        "scope",
        "hd",
    ]);
    let value = prop::sample::select(vec![
        "login",
        "consent",
        "b+v",
        "b%20v",
        "select_account",
        "none",
        "acme.com",
        "",
        "a%2Bb",
        "login+consent",
    ]);
    (name, value).prop_map(|(n, v)| format!("{n}={v}"))
}

pub(crate) fn url_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![SHARED, SHARED, OTHER, "https://elsewhere.example/cb"]),
        prop::sample::select(vec!["client_id=ca&", "client_id=cb&", "", "client_id=ca&"]),
        prop::collection::vec(pair_strategy(), 0..5),
        0u8..20,
    )
        .prop_map(|(base, client_id, pairs, dice)| {
            let mut url = format!("{base}?{client_id}{}", pairs.join("&"));
            match dice {
                0 => url.push_str("&request_uri=urn%3Apar%3A1"),
                // What no `Location` header holds: every door passes it through.
                1 => url.push_str("&x=\u{f6}"),
                _ => {}
            }
            url
        })
}

pub(crate) fn sources_strategy()
-> impl Strategy<Value = (String, Option<Vec<(&'static str, String)>>)> {
    let query_value = prop::sample::select(vec!["jane%40acme.com", "login", "", "a+b", "consent"]);
    (
        prop::collection::vec(
            (
                prop::sample::select(vec!["login_hint", "prompt", "org"]),
                query_value,
            ),
            0..3,
        ),
        prop::option::of(prop::collection::vec(
            (
                prop::sample::select(vec!["login_hint", "prompt", "org"]),
                prop::sample::select(vec!["typed@acme.com", "select_account", "acme.com", ""])
                    .prop_map(str::to_owned),
            ),
            0..3,
        )),
    )
        .prop_map(|(query, values)| {
            let query = query
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            (query, values)
        })
}

/// The URL's query pairs, decoded as a browser's form decoder does.
pub(crate) fn decoded_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

/// The layer's answer for `url`: the `Location` written and the report inserted.
pub(crate) fn through_layer(
    layer: &UpstreamParamsLayer,
    url: &str,
    query: &str,
    values: Option<&UpstreamValues>,
) -> Option<(String, Option<UpstreamReport>)> {
    let location = HeaderValue::from_bytes(url.as_bytes()).ok()?;
    let inner = service_fn(move |_req: Request<()>| {
        let response = Response::builder()
            .status(302)
            .header(LOCATION, location.clone())
            .body(())
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let service = layer.layer(inner);
    let mut request = Request::get(format!("/authorize?{query}"))
        .body(())
        .unwrap();
    if let Some(values) = values {
        request.extensions_mut().insert(values.clone());
    }
    let response = now(service.oneshot(request)).unwrap();
    let written = response.headers()[LOCATION].as_bytes().to_vec();
    Some((
        String::from_utf8_lossy(&written).into_owned(),
        response.extensions().get::<UpstreamReport>().cloned(),
    ))
}
