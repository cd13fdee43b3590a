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
//! Three reference cases measure floors, for the note on what the goals leave room for:
//!
//! - `judged/200/capture`: a hand-written layer whose future only holds what the layer's
//!   must (the configuration's `Arc` and the request's query) and looks at the status;
//! - `judged/302/floor`: a `MapResponse` that copies the `Location`, appends the
//!   pre-encoded params and builds the new `HeaderValue` (no reading, no rules);
//! - `judged/302/floor_report`: the same, plus inserting an `UpstreamReport` of the four
//!   params into the response's extensions, as DESIGN.md requires of every such redirect.
//!
//! `judged CASE [ITERATIONS]` runs CASE 10 times, then ITERATIONS times (default 1000) inside
//! `callgrind_measured_region` (for `valgrind --tool=callgrind
//! --toggle-collect='*callgrind_measured_region*'`); without a case, as `cargo bench` runs it,
//! every case is timed with criterion. See BENCHMARKS.md.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use criterion::Criterion;
use futures_executor::block_on;
use http::header::LOCATION;
use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::util::MapResponseLayer;
use tower::{Layer, Service, ServiceExt};
use tower_upstream_params::{AliasSources, Config, UpstreamParamsLayer, UpstreamReport};
use url::Url;

mod common;

use common::{Answer, GOOGLE, Requests, bare};

/// The broker's authorize request.
const TARGET: &str = "/authorize?client_id=app123&response_type=code\
    &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20email&state=xyz789\
    &login_hint=john%40acme.com&ui_locales=fr-CA&prompt=login";

/// The connection under test, and two more.
fn config_json(more: usize) -> String {
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

fn location() -> &'static str {
    Box::leak(format!("{GOOGLE}&prompt=consent").into_boxed_str())
}

fn expected() -> String {
    format!(
        "{GOOGLE}&prompt=select_account&access_type=offline&hd=acme.com&login_hint=john%40acme.com"
    )
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

/// What the floor appends: the four params, pre-encoded (the broker's `prompt` stays).
const SUFFIX: &str = "&prompt=select_account&access_type=offline&hd=acme.com\
    &login_hint=john%40acme.com";

/// The floor of any rewrite: copy the `Location`, append [`SUFFIX`], build the new
/// `HeaderValue`, put it in place of the old one; with `report`, also insert it.
fn floor_map(report: Option<UpstreamReport>) -> impl FnMut(Response<()>) -> Response<()> + Clone {
    move |mut response: Response<()>| {
        let Some(location) = response.headers().get(LOCATION) else {
            return response;
        };
        let location = location.as_bytes();
        let mut out = Vec::with_capacity(location.len() + SUFFIX.len());
        out.extend_from_slice(location);
        out.extend_from_slice(SUFFIX.as_bytes());
        if let Ok(value) = HeaderValue::try_from(out) {
            if let Some(slot) = response.headers_mut().get_mut(LOCATION) {
                *slot = value;
            }
        }
        if let Some(report) = &report {
            response.extensions_mut().insert(report.clone());
        }
        response
    }
}

/// The report the layer inserts for this redirect, made once by the engine.
fn judged_report(config: &Config, location: &str) -> UpstreamReport {
    let query = TARGET.split_once('?').map(|(_, q)| q);
    let rewrite = config.rewrite_location(location, None, &AliasSources::new().query(query));
    rewrite
        .report()
        .cloned()
        .expect("the judged redirect selects a connection")
}

/// A hand-written layer's service that keeps, for each request, what the layer's future
/// keeps at the least: the configuration and the request's query. Its future does nothing
/// with them.
#[derive(Clone)]
struct Capture<S> {
    inner: S,
    config: Arc<Config>,
}

pin_project! {
    struct CaptureFuture<F> {
        #[pin]
        inner: F,
        kept: Option<(Arc<Config>, Option<PathAndQuery>)>,
    }
}

impl<S, B> Service<Request<B>> for Capture<S>
where
    S: Service<Request<B>, Response = Response<()>>,
{
    type Response = Response<()>;
    type Error = S::Error;
    type Future = CaptureFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let query = req
            .uri()
            .path_and_query()
            .filter(|pq| pq.query().is_some())
            .cloned();
        CaptureFuture {
            inner: self.inner.call(req),
            kept: Some((Arc::clone(&self.config), query)),
        }
    }
}

impl<F, E> Future for CaptureFuture<F>
where
    F: Future<Output = Result<Response<()>, E>>,
{
    type Output = Result<Response<()>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        if response.status().is_redirection() {
            black_box(this.kept.take());
        }
        Poll::Ready(Ok(response))
    }
}

type Case = Box<dyn FnMut()>;

fn case<S>(mut service: S, status: StatusCode, location_len: Option<usize>) -> Case
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
    add("judged/200/capture", &|| {
        let capture = Capture {
            inner: bare(Answer::Ok),
            config: Arc::new(Config::from_json(&config_json(0)).unwrap()),
        };
        case(capture, StatusCode::OK, None)
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
    let floor_len = Some(location.len() + SUFFIX.len());
    add("judged/302/floor", &|| {
        let floor = MapResponseLayer::new(floor_map(None));
        case(
            floor.layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            floor_len,
        )
    });
    add("judged/302/floor_report", &|| {
        let report = judged_report(&Config::from_json(&config_json(0)).unwrap(), location);
        let floor = MapResponseLayer::new(floor_map(Some(report)));
        case(
            floor.layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            floor_len,
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

#[inline(never)]
fn callgrind_measured_region(case: &mut dyn FnMut(), iterations: usize) {
    for _ in 0..iterations {
        case();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(name) = args.first().filter(|a| !a.starts_with("--")) {
        let iterations = args.get(1).map_or(1000, |n| n.parse().unwrap_or(1000));
        let Some((_, mut case)) = cases(Some(name)).into_iter().next() else {
            eprintln!(
                "no case {name}: judged/200/{{bare,layer,capture}}, \
                 judged/302/{{bare,layer,naive,layer_100001,floor,floor_report}}"
            );
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
