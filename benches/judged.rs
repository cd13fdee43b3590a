//! The loop that judges the issue "Performance, restated": what the layer adds to a redirect
//! and to a response it leaves alone, against what a hand-written layer adds.
//!
//! Each iteration builds a request whose URI is a slice of a shared read buffer (as hyper
//! leaves it), runs `ready().call()` under `futures::executor::block_on`, checks the status
//! and the `Location`'s length, and drops the response.
//!
//! - `judged/200/{bare,layer}`: a `200` (3 connections configured);
//! - `judged/302/{bare,layer,naive}`: the bare service answers a `302` to Google's authorize
//!   endpoint with `prompt=consent` last; the layer's connection replaces `prompt` with
//!   `select_account` and appends `access_type=offline`, `hd=acme.com` and `login_hint`
//!   (aliased from the request); the naive layer is `tower::util::MapResponseLayer` over what
//!   a user writes by hand with `url`;
//! - `judged/302/layer_100001`: the layer's rewrite with 100,000 more connections.
//!
//! `judged CASE [ITERATIONS]` runs CASE 10 times, then ITERATIONS times (default 1000) inside
//! `callgrind_measured_region` (for `valgrind --tool=callgrind
//! --toggle-collect='*callgrind_measured_region*'`); without a case, as `cargo bench` runs it,
//! every case is timed with criterion. See BENCHMARKS.md. The loop itself is
//! `common/judged.rs`; the reference cases that measure floors are in `floors.rs` (their own
//! binary, so that this one's code is only what is judged).

use http::header::LOCATION;
use http::{HeaderValue, Response, StatusCode};
use tower::Layer;
use tower::util::MapResponseLayer;
use tower_upstream_params::{Config, UpstreamParamsLayer};
use url::Url;

mod common;
#[path = "common/judged.rs"]
mod judged_loop;

use common::{Answer, bare};
use judged_loop::{Case, case, config_json, expected, location};

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

fn cases(only: Option<&str>) -> Vec<(&'static str, Case)> {
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
    cases
}

fn main() {
    judged_loop::main_with(
        cases,
        "judged/200/{bare,layer}, judged/302/{bare,layer,naive,layer_100001}",
    );
}
