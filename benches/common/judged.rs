//! The loop that judges the issue "Performance, restated" and its cases, shared by
//! `benches/judged.rs` (the judged cases under criterion or callgrind), `benches/callgrind.rs`
//! (the same cases beside the others) and `benches/floors.rs` (reference cases that measure
//! floors): the broker's request, the configuration, the `Location`s, one iteration, the
//! cases, and the driver that runs a case under callgrind or every case under criterion.
//!
//! Each iteration builds a request whose URI is a slice of a shared read buffer (as hyper
//! leaves it), runs `ready().call()` under `futures::executor::block_on`, checks the status
//! and the `Location`'s length, and drops the response.

#![allow(dead_code)]

use std::convert::Infallible;
use std::hint::black_box;

use criterion::Criterion;
use futures_executor::block_on;
use http::header::LOCATION;
use http::{HeaderValue, Request, Response, StatusCode};
use tower::util::MapResponseLayer;
use tower::{Layer, Service, ServiceExt};
use tower_upstream_params::{Config, UpstreamParamsLayer};
use url::Url;

use crate::common::{Answer, GOOGLE, Requests, bare};

/// The names of [`judged_cases`], for messages.
pub(crate) const JUDGED_CASES: &str = "judged/200/{bare,layer}, judged/302/{bare,layer,naive,layer_100001}, \
     judged/302_elsewhere/{bare,layer}";

/// The broker's authorize request.
pub(crate) const TARGET: &str = "/authorize?client_id=app123&response_type=code\
    &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20email&state=xyz789\
    &login_hint=john%40acme.com&ui_locales=fr-CA&prompt=login";

/// The connection under test, and two more.
pub(crate) fn config_json(more: usize) -> String {
    let mut json = String::from(
        r#"{"connections": {
        "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "upstream_params": {
                "prompt": {"value": "select_account"},
                "access_type": {"value": "offline"},
                "hd": {"value": "acme.com"},
                "login_hint": {"alias": "login_hint"}}},
        "entra": {"authorization_url": "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
            "upstream_params": {"domain_hint": {"value": "acme.com"}}},
        "wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}"#,
    );
    for i in 0..more {
        json.push_str(&format!(
            r#", "tenant-{i}": {{"authorization_url": "https://idp{i}.example.com/authorize",
                "upstream_params": {{"prompt": {{"value": "login"}}}}}}"#
        ));
    }
    json.push_str("}}");
    json
}

pub(crate) fn location() -> &'static str {
    Box::leak(format!("{GOOGLE}&prompt=consent").into_boxed_str())
}

/// The judged 302's `Location` with its host replaced by one of the same length that no
/// connection is configured on: a broker's redirect back to its own client after a login.
pub(crate) fn elsewhere() -> &'static str {
    let location = location().replacen("accounts.google.com", "clients.example.com", 1);
    assert_eq!(location.len(), self::location().len());
    Box::leak(location.into_boxed_str())
}

pub(crate) fn expected() -> String {
    format!(
        "{GOOGLE}&prompt=select_account&access_type=offline&hd=acme.com&login_hint=john%40acme.com"
    )
}

/// One case: an iteration of the loop.
pub(crate) type Case = Box<dyn FnMut()>;

/// One iteration through `service`, checking the status and the `Location`'s length.
pub(crate) fn case<S>(mut service: S, status: StatusCode, location_len: Option<usize>) -> Case
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible> + 'static,
{
    let requests = Requests::new(TARGET);
    Box::new(move || {
        let response = block_on(async {
            let ready = service.ready().await.unwrap();
            ready.call(black_box(requests.make())).await.unwrap()
        });
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers().get(LOCATION).map(HeaderValue::len),
            location_len
        );
        drop(black_box(response));
    })
}

/// The named cases a bench binary offers.
pub(crate) type Cases = fn(Option<&str>) -> Vec<(&'static str, Case)>;

#[inline(never)]
fn callgrind_measured_region(case: &mut dyn FnMut(), iterations: usize) {
    for _ in 0..iterations {
        case();
    }
}

/// `BENCH CASE [ITERATIONS]` runs CASE 10 times, then ITERATIONS times (default 1000)
/// inside `callgrind_measured_region`; without a case, as `cargo bench` runs it, every case
/// is timed with criterion. `names` lists the cases for the error message.
pub(crate) fn main_with(cases: Cases, names: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(name) = args.first().filter(|a| !a.starts_with("--")) {
        let iterations = args.get(1).map_or(1000, |n| n.parse().unwrap_or(1000));
        let Some((_, mut case)) = cases(Some(name)).into_iter().next() else {
            eprintln!("no case {name}: {names}");
            std::process::exit(2);
        };
        for _ in 0..10 {
            case();
        }
        callgrind_measured_region(&mut case, iterations);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    for (name, mut case) in cases(None) {
        criterion.bench_function(name, |b| b.iter(&mut case));
    }
    criterion.final_summary();
}

/// The hand-written layer: `Url::parse`, drop the pairs being set, re-append the rest and
/// the new ones, `HeaderValue::from_str`. (It knows the `login_hint` beforehand, in its
/// favour: a `MapResponse` does not see the request.)
fn naive_map(mut response: Response<()>) -> Response<()> {
    const SET: [(&str, &str); 4] = [
        ("prompt", "select_account"),
        ("access_type", "offline"),
        ("hd", "acme.com"),
        ("login_hint", "john@acme.com"),
    ];
    if !response.status().is_redirection() {
        return response;
    }
    let Some(Ok(location)) = response.headers().get(LOCATION).map(|v| v.to_str()) else {
        return response;
    };
    let Ok(mut url) = Url::parse(location) else {
        return response;
    };
    if url.host_str() != Some("accounts.google.com") || url.path() != "/o/oauth2/v2/auth" {
        return response;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !SET.iter().any(|(n, _)| n == name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(SET);
    if let Ok(value) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// The judged cases (`judged/...`), or the one named `only`.
pub(crate) fn judged_cases(only: Option<&str>) -> Vec<(&'static str, Case)> {
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let layer =
        |more: usize| UpstreamParamsLayer::new(Config::from_json(&config_json(more)).unwrap());
    let location = location();
    let (bare_len, new_len) = (Some(location.len()), Some(expected().len()));
    let naive_len = Some(
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=1234567890-abc123def456.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcallback&response_type=code&scope=openid+email+profile&state=af0ifjsldkjAbCdEfGhIjKlMnOpQrStUvWx&nonce=n-0S6_WzA2Mj4fVd3s8Q&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&prompt=select_account&access_type=offline&hd=acme.com&login_hint=john%40acme.com".len(),
    );
    let mut cases: Vec<(&'static str, Case)> = Vec::new();
    let mut add = |name: &'static str, make: &dyn Fn() -> Case| {
        if wanted(name) {
            cases.push((name, make()));
        }
    };
    add("judged/200/bare", &|| {
        case(bare(Answer::Ok), StatusCode::OK, None)
    });
    add("judged/200/layer", &|| {
        case(layer(0).layer(bare(Answer::Ok)), StatusCode::OK, None)
    });
    add("judged/302/bare", &|| {
        case(
            bare(Answer::Redirect(location)),
            StatusCode::FOUND,
            bare_len,
        )
    });
    add("judged/302/layer", &|| {
        case(
            layer(0).layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            new_len,
        )
    });
    add("judged/302/naive", &|| {
        let naive = MapResponseLayer::new(naive_map as fn(Response<()>) -> Response<()>);
        case(
            naive.layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            naive_len,
        )
    });
    add("judged/302/layer_100001", &|| {
        case(
            layer(99_998).layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            new_len,
        )
    });
    let elsewhere = elsewhere();
    add("judged/302_elsewhere/bare", &|| {
        case(
            bare(Answer::Redirect(elsewhere)),
            StatusCode::FOUND,
            bare_len,
        )
    });
    add("judged/302_elsewhere/layer", &|| {
        case(
            layer(0).layer(bare(Answer::Redirect(elsewhere))),
            StatusCode::FOUND,
            bare_len,
        )
    });
    cases
}
