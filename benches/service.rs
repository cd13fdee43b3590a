//! `ready().call()` of a bare `service_fn` against the same in the layer, in tower-http's
//! `SetResponseHeaderLayer` (a reference point: about the least a response layer does) and
//! in a naive `url`-based layer.
//!
//! Each iteration makes the request as hyper does (its URI a slice of a shared buffer), runs
//! `ready().call()` on a current-thread tokio runtime built once, outside the timed loop, and
//! checks the response's `Location`.

#![allow(missing_docs)] // criterion_group! makes an undocumented `pub fn`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

mod common;

use common::{
    Answer, GOOGLE, GOOGLE_ALIAS, Requests, TARGET, UNCONFIGURED, bare, call, check, layered,
    naive, runtime, tower_http,
};

fn service(c: &mut Criterion) {
    let rt = runtime();
    let requests = Requests::new(TARGET);
    let rewritten = format!("{GOOGLE}&hd=acme.com&access_type=offline");
    let alias_rewritten = format!("{GOOGLE_ALIAS}&login_hint=john.doe%40acme.com&hd=acme.com");

    macro_rules! bench {
        ($group:expr, $name:literal, $service:expr, $expected:expr) => {{
            let mut service = $service;
            let expected: Option<&str> = $expected;
            $group.bench_function($name, |b| {
                b.iter(|| {
                    let response = call(&rt, &mut service, black_box(requests.make()));
                    check(&response, expected);
                    response
                })
            });
        }};
    }

    let mut group = c.benchmark_group("service/200");
    bench!(group, "bare", bare(Answer::Ok), None);
    bench!(group, "layer", layered(Answer::Ok), None);
    bench!(group, "tower_http_set_header", tower_http(Answer::Ok), None);
    group.finish();

    let mut group = c.benchmark_group("service/302_unconfigured");
    let answer = Answer::Redirect(UNCONFIGURED);
    bench!(group, "bare", bare(answer), Some(UNCONFIGURED));
    bench!(group, "layer", layered(answer), Some(UNCONFIGURED));
    bench!(group, "naive_url", naive(answer), Some(UNCONFIGURED));
    group.finish();

    let mut group = c.benchmark_group("service/302_rewrite");
    let answer = Answer::Redirect(GOOGLE);
    bench!(group, "bare", bare(answer), Some(GOOGLE));
    bench!(group, "layer", layered(answer), Some(&rewritten));
    let naive_rewritten = common::naive_rewrite(
        GOOGLE,
        &[
            (
                "hd",
                Some("acme.com"),
                tower_upstream_params::config::Mode::Replace,
            ),
            (
                "access_type",
                Some("offline"),
                tower_upstream_params::config::Mode::Replace,
            ),
        ],
    );
    bench!(
        group,
        "naive_url",
        naive(answer),
        Some(naive_rewritten.to_str().unwrap())
    );
    group.finish();

    let mut group = c.benchmark_group("service/302_rewrite_alias");
    let answer = Answer::Redirect(GOOGLE_ALIAS);
    bench!(group, "bare", bare(answer), Some(GOOGLE_ALIAS));
    bench!(group, "layer", layered(answer), Some(&alias_rewritten));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = service
}
criterion_main!(benches);
