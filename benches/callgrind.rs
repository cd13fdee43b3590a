//! Instruction counts of the benches' cases, for `valgrind --tool=callgrind`: repeatable on a
//! busy machine, where criterion's medians are not.
//!
//! `callgrind CASE [ITERATIONS]` runs CASE a few times to warm up, then ITERATIONS times
//! (default 1000) inside `callgrind_measured_region`, the only function callgrind is told to
//! count (`--toggle-collect`). Without a case (as `cargo bench` runs it) it runs every case
//! a few times and lists them. The `load/...` cases load a configuration per iteration:
//! run them with ITERATIONS 1. The `judged/...` cases are the loop of `benches/judged.rs`
//! (`common/judged.rs`). See BENCHMARKS.md for the exact commands.

use std::hint::black_box;

use http::{Request, Response};
use tower::Service;
use tower_upstream_params::Config;

mod common;
#[path = "common/judged.rs"]
mod judged_loop;

use common::{
    Answer, GOOGLE, GOOGLE_ALIAS, Requests, SHAPES, Shape, TARGET, UNCONFIGURED, WILD_SHAPES, bare,
    call, check, layer_rewrite, layered, lower_bound, naive, naive_rewrite, rewrite_cases, runtime,
    scale_config, scale_expected, tower_http,
};

type Case = Box<dyn FnMut()>;

#[inline(never)]
fn callgrind_measured_region(case: &mut dyn FnMut(), iterations: usize) {
    for _ in 0..iterations {
        case();
    }
}

fn service_case<S>(service: S, expected: Option<String>) -> Case
where
    S: Service<Request<()>, Response = Response<()>, Error = std::convert::Infallible> + 'static,
{
    let rt = runtime();
    let requests = Requests::new(TARGET);
    let mut service = service;
    Box::new(move || {
        let response = call(&rt, &mut service, black_box(requests.make()));
        check(&response, expected.as_deref());
        drop(black_box(response));
    })
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn cases(only: Option<&str>) -> Vec<(String, Case)> {
    let mut cases: Vec<(String, Case)> = Vec::new();
    let wanted = |name: &str| only.is_none_or(|o| o == name);

    for case in rewrite_cases() {
        let location: &'static str = leak(case.location.clone());
        let params: &'static [_] = Box::leak(case.params.clone().into_boxed_slice());
        let (expected, naive_expected) = (case.expected.clone(), case.naive_expected.clone());
        let (suffix, len) = (case.suffix.clone(), case.final_len);
        let lower_expected = format!("{location}{suffix}");
        let name = format!("rewrite/{}/layer", case.name);
        if wanted(&name) {
            cases.push((
                name,
                Box::new(move || {
                    let out = layer_rewrite(black_box(location), black_box(params));
                    assert_eq!(out.as_bytes(), expected.as_bytes());
                }),
            ));
        }
        let name = format!("rewrite/{}/naive_url", case.name);
        if wanted(&name) {
            cases.push((
                name,
                Box::new(move || {
                    let out = naive_rewrite(black_box(location), black_box(params));
                    assert_eq!(out.as_bytes(), naive_expected.as_bytes());
                }),
            ));
        }
        let name = format!("rewrite/{}/lower_bound", case.name);
        if wanted(&name) {
            cases.push((
                name,
                Box::new(move || {
                    let out = lower_bound(black_box(location), black_box(&suffix), len);
                    assert_eq!(out.as_bytes(), lower_expected.as_bytes());
                }),
            ));
        }
    }

    let rewritten = format!("{GOOGLE}&hd=acme.com&access_type=offline");
    let naive_rewritten = "https://accounts.google.com/o/oauth2/v2/auth\
        ?client_id=1234567890-abc123def456.apps.googleusercontent.com\
        &redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcallback\
        &response_type=code&scope=openid+email+profile\
        &state=af0ifjsldkjAbCdEfGhIjKlMnOpQrStUvWx&nonce=n-0S6_WzA2Mj4fVd3s8Q\
        &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
        &hd=acme.com&access_type=offline";
    let alias_rewritten = format!("{GOOGLE_ALIAS}&login_hint=john.doe%40acme.com&hd=acme.com");
    let redirect = |location: &'static str| Answer::Redirect(location);
    let unconfigured = Some(UNCONFIGURED.to_owned());
    let google = Some(GOOGLE.to_owned());
    type Make = Box<dyn Fn() -> Case>;
    let services: Vec<(&str, Make)> = vec![
        (
            "service/200/bare",
            Box::new(|| service_case(bare(Answer::Ok), None)),
        ),
        (
            "service/200/layer",
            Box::new(|| service_case(layered(Answer::Ok), None)),
        ),
        (
            "service/200/tower_http_set_header",
            Box::new(|| service_case(tower_http(Answer::Ok), None)),
        ),
        ("service/302_unconfigured/bare", {
            let e = unconfigured.clone();
            Box::new(move || service_case(bare(redirect(UNCONFIGURED)), e.clone()))
        }),
        ("service/302_unconfigured/layer", {
            let e = unconfigured.clone();
            Box::new(move || service_case(layered(redirect(UNCONFIGURED)), e.clone()))
        }),
        ("service/302_unconfigured/naive_url", {
            let e = unconfigured.clone();
            Box::new(move || service_case(naive(redirect(UNCONFIGURED)), e.clone()))
        }),
        ("service/302_rewrite/bare", {
            let e = google.clone();
            Box::new(move || service_case(bare(redirect(GOOGLE)), e.clone()))
        }),
        ("service/302_rewrite/layer", {
            let e = Some(rewritten.clone());
            Box::new(move || service_case(layered(redirect(GOOGLE)), e.clone()))
        }),
        ("service/302_rewrite/naive_url", {
            let e = Some(naive_rewritten.to_owned());
            Box::new(move || service_case(naive(redirect(GOOGLE)), e.clone()))
        }),
        ("service/302_rewrite_alias/bare", {
            let e = Some(GOOGLE_ALIAS.to_owned());
            Box::new(move || service_case(bare(redirect(GOOGLE_ALIAS)), e.clone()))
        }),
        ("service/302_rewrite_alias/layer", {
            let e = Some(alias_rewritten.clone());
            Box::new(move || service_case(layered(redirect(GOOGLE_ALIAS)), e.clone()))
        }),
    ];
    for (name, make) in services {
        if wanted(name) {
            cases.push((name.to_owned(), make()));
        }
    }

    for shape in SHAPES {
        // The sizes: 1 and 100,000 connections (valgrind runs the load too, in about
        // half a minute).
        for n in [1, 100_000] {
            for kind in ["rewrite", "no_match", "select", "logout"] {
                let logout = shape.logout();
                if kind == "logout" && logout.is_none() {
                    continue;
                }
                let name = format!("scale/{}/{kind}/{n}", shape.name());
                if !wanted(&name) {
                    continue;
                }
                let config = Config::from_json(&scale_config(n, shape)).unwrap();
                let i = n / 2;
                let location = leak(shape.location(i));
                let layer = tower_upstream_params::UpstreamParamsLayer::new(config.clone());
                let case: Case = match kind {
                    "rewrite" => service_case(
                        tower::Layer::layer(&layer, bare(Answer::Redirect(location))),
                        Some(scale_expected(location, i)),
                    ),
                    "no_match" => service_case(
                        tower::Layer::layer(&layer, bare(Answer::Redirect(UNCONFIGURED))),
                        Some(UNCONFIGURED.to_owned()),
                    ),
                    "logout" => {
                        let logout = logout.unwrap_or(UNCONFIGURED);
                        service_case(
                            tower::Layer::layer(&layer, bare(Answer::Redirect(logout))),
                            Some(logout.to_owned()),
                        )
                    }
                    _ => {
                        let tenant = format!("tenant-{i}");
                        Box::new(move || {
                            let selected = tower_upstream_params::__private::select(
                                &config,
                                black_box(location),
                            );
                            assert_eq!(selected, Some(tenant.as_str()));
                        })
                    }
                };
                cases.push((name, case));
            }
        }
    }

    // Loading (`Config::from_json`), for instructions per connection at 1k, 10k and 100k:
    // run these with ITERATIONS 1.
    for shape in std::iter::once(Shape::Hosts).chain(WILD_SHAPES) {
        for n in [1_000, 10_000, 100_000] {
            let name = format!("load/{}/{n}", shape.name());
            if !wanted(&name) {
                continue;
            }
            let json = scale_config(n, shape);
            cases.push((
                name,
                Box::new(move || {
                    let config = Config::from_json(black_box(&json)).unwrap();
                    assert_eq!(config.connection_names().count(), n);
                    drop(black_box(config));
                }),
            ));
        }
    }
    // The loop that judges the issue "Performance, restated" (also `benches/judged.rs`, under
    // criterion).
    for (name, case) in judged_loop::judged_cases(only) {
        cases.push((name.to_owned(), case));
    }
    cases
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first() {
        Some(name) => {
            let iterations = args.get(1).map_or(1000, |n| n.parse().unwrap());
            let mut cases = cases(Some(name));
            let Some((_, case)) = cases.first_mut() else {
                eprintln!("no case {name}; run without arguments for the list");
                std::process::exit(2);
            };
            // A load of 100,000 connections is warm after one run.
            let warm_up = if name.starts_with("load/") { 1 } else { 10 };
            for _ in 0..warm_up {
                case();
            }
            callgrind_measured_region(case, iterations);
        }
        None => {
            // As `cargo bench` runs it: every case a few times, and the list.
            for (name, mut case) in cases(None) {
                for _ in 0..3 {
                    case();
                }
                println!("{name}");
            }
        }
    }
}
