//! The pure rewrite (no tower) against a naive `url::Url` rewrite and against a plain copy.
//!
//! Each closure checks its output against the expected `Location` (one `memcmp` of the
//! output, the same in all three), so that a broken rewrite cannot look fast.

#![allow(missing_docs)] // criterion_group! makes an undocumented `pub fn`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;

use common::{layer_rewrite, lower_bound, naive_rewrite, rewrite_cases};

fn rewrite(c: &mut Criterion) {
    for case in rewrite_cases() {
        let mut group = c.benchmark_group(format!("rewrite/{}", case.name));
        group.throughput(Throughput::Bytes(case.location.len() as u64));
        group.bench_function("layer", |b| {
            b.iter(|| {
                let out = layer_rewrite(black_box(&case.location), black_box(&case.params));
                assert_eq!(out.as_bytes(), case.expected.as_bytes());
                out
            })
        });
        group.bench_function("naive_url", |b| {
            b.iter(|| {
                let out = naive_rewrite(black_box(&case.location), black_box(&case.params));
                assert_eq!(out.as_bytes(), case.naive_expected.as_bytes());
                out
            })
        });
        let lower_expected = format!("{}{}", case.location, case.suffix);
        group.bench_function("lower_bound", |b| {
            b.iter(|| {
                let out = lower_bound(
                    black_box(&case.location),
                    black_box(&case.suffix),
                    case.final_len,
                );
                assert_eq!(out.as_bytes(), lower_expected.as_bytes());
                out
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = rewrite
}
criterion_main!(benches);
