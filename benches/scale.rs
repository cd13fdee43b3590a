//! Cost in the number of configured connections: a rewrite and a no-match through the layer,
//! and the endpoint selection alone, with 1, 10, 1,000 and 100,000 connections, on distinct
//! hosts and on one endpoint told apart by `client_id`; the same with `*` in the
//! `authorization_url`s (a `*` path segment on one host, Entra ID's `/*/` tenant told apart
//! by `client_id`, one wildcard host `*.okta.com`), with a redirect to `/logout` on that host;
//! then `Config::from_json`'s time for 1k, 10k and 100k connections (distinct hosts, and each
//! wildcard shape), and the memory a loaded configuration holds.
//!
//! This bench counts allocations (`stats_alloc`) to report memory; the counting adds a few
//! relaxed atomic additions per allocation to every timing here alike.

#![allow(missing_docs)] // criterion_group! makes an undocumented `pub fn`.

use std::alloc::System;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::Layer;
use tower_upstream_params::{Config, UpstreamParamsLayer};

mod common;

use common::{
    Answer, Requests, SHAPES, Shape, TARGET, UNCONFIGURED, WILD_SHAPES, bare, call, check, runtime,
    scale_config, scale_expected,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SIZES: [usize; 4] = [1, 10, 1_000, 100_000];

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn scale(c: &mut Criterion) {
    let rt = runtime();
    let requests = Requests::new(TARGET);
    for shape in SHAPES {
        let mut rewrite = c.benchmark_group(format!("scale/{}/rewrite", shape.name()));
        let mut no_match = Vec::new();
        let mut configs = Vec::new();
        for n in SIZES {
            let config = Config::from_json(&scale_config(n, shape)).unwrap();
            let i = n / 2;
            let location = leak(shape.location(i));
            let expected = scale_expected(location, i);
            let layer = UpstreamParamsLayer::new(config.clone());
            let mut service = layer.layer(bare(Answer::Redirect(location)));
            rewrite.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| {
                    let response = call(&rt, &mut service, black_box(requests.make()));
                    check(&response, Some(&expected));
                    response
                })
            });
            no_match.push((n, layer));
            configs.push((n, i, location, config));
        }
        rewrite.finish();

        let mut group = c.benchmark_group(format!("scale/{}/no_match", shape.name()));
        for (n, layer) in &no_match {
            let mut service = layer.layer(bare(Answer::Redirect(UNCONFIGURED)));
            group.bench_with_input(BenchmarkId::from_parameter(n), n, |b, _| {
                b.iter(|| {
                    let response = call(&rt, &mut service, black_box(requests.make()));
                    check(&response, Some(UNCONFIGURED));
                    response
                })
            });
        }
        group.finish();

        if let Some(logout) = shape.logout() {
            let mut group = c.benchmark_group(format!("scale/{}/logout", shape.name()));
            for (n, layer) in &no_match {
                let mut service = layer.layer(bare(Answer::Redirect(logout)));
                group.bench_with_input(BenchmarkId::from_parameter(n), n, |b, _| {
                    b.iter(|| {
                        let response = call(&rt, &mut service, black_box(requests.make()));
                        check(&response, Some(logout));
                        response
                    })
                });
            }
            group.finish();
        }
        drop(no_match);

        let mut group = c.benchmark_group(format!("scale/{}/select", shape.name()));
        for (n, i, location, config) in &configs {
            let name = format!("tenant-{i}");
            group.bench_with_input(BenchmarkId::from_parameter(n), n, |b, _| {
                b.iter(|| {
                    let selected =
                        tower_upstream_params::__private::select(config, black_box(location));
                    assert_eq!(selected, Some(name.as_str()));
                })
            });
        }
        group.finish();
        drop(configs);
    }
}

/// Bytes and blocks a loaded configuration of `n` connections in `shape` holds (not timed).
fn config_memory(n: usize, shape: Shape) {
    let json = scale_config(n, shape);
    let region = Region::new(GLOBAL);
    let config = Config::from_json(&json).unwrap();
    let change = region.change();
    // `stats_alloc` counts a realloc's growth in `bytes_allocated` (and its shrinking in
    // `bytes_deallocated`) already.
    let bytes = change.bytes_allocated as isize - change.bytes_deallocated as isize;
    let blocks = change.allocations as isize - change.deallocations as isize;
    eprintln!(
        "config memory: {:<10} {n:>6} connections: {bytes:>10} bytes in {blocks:>8} blocks, \
         {} B/connection",
        shape.name(),
        bytes / n as isize,
    );
    drop(config);
}

fn config_load(c: &mut Criterion) {
    // `scale/config_from_json` (distinct hosts), then `scale/config_from_json/<wild shape>`.
    let shapes = std::iter::once(None).chain(WILD_SHAPES.map(Some));
    for wild in shapes {
        let (name, shape) = match wild {
            None => ("scale/config_from_json".to_owned(), Shape::Hosts),
            Some(shape) => (format!("scale/config_from_json/{}", shape.name()), shape),
        };
        let mut group = c.benchmark_group(name);
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
        for n in [1_000, 10_000, 100_000] {
            let json = scale_config(n, shape);
            let mut reported = false;
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                // Memory first, once, and only for the sizes criterion's filter selects.
                if !reported {
                    match wild {
                        None => {
                            config_memory(n, Shape::Hosts);
                            config_memory(n, Shape::ClientIds);
                        }
                        Some(shape) => config_memory(n, shape),
                    }
                    reported = true;
                }
                b.iter_with_large_drop(|| {
                    let config = Config::from_json(black_box(&json)).unwrap();
                    assert_eq!(config.connection_names().count(), n);
                    config
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = scale, config_load
}
criterion_main!(benches);
