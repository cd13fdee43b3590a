//! The loop that judges the issue "Performance, restated", shared by `benches/judged.rs` (the
//! judged cases) and `benches/floors.rs` (the reference cases that measure floors): the
//! broker's request, the configuration, the `Location`s, one iteration, and the driver that
//! runs a case under callgrind or every case under criterion.
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
use tower::{Service, ServiceExt};

use crate::common::{GOOGLE, Requests};

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
