//! The pure rewrite on any input: it never panics, it is exactly the reference model of
//! DESIGN.md, it keeps base, fragment and untouched pairs byte for byte, added values decode
//! to their source, rewriting twice is rewriting once, and a visible-ASCII `Location` stays a
//! valid header value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_upstream_params::__private::rewrite;
use tower_upstream_params::config::Mode;
use tower_upstream_params_fuzz::{
    Op, cut, decode, model, pairs_of, parse_rewrite_input, raw_name, raw_value,
};

fn run(location: &str, ops: &[Op], max_len: usize) -> Option<String> {
    let params: Vec<(&str, Option<&str>, Mode)> = ops
        .iter()
        .map(|(n, v, m)| (n.as_str(), v.as_deref(), *m))
        .collect();
    rewrite(location, &params, max_len)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (location, max_len, ops) = parse_rewrite_input(&text);
    let out = run(&location, &ops, max_len);
    assert_eq!(
        out,
        model(&location, &ops, max_len),
        "model: {location:?} {ops:?}"
    );
    let Some(out) = out else { return };
    assert!(out.len() <= max_len);
    let (before, after) = (cut(&location), cut(&out));
    assert_eq!(before.base, after.base);
    assert_eq!(before.fragment, after.fragment);
    let touched = |p: &&str| ops.iter().any(|(n, _, _)| *n == decode(raw_name(p)));
    // A query that is one empty pair is an empty query.
    let untouched = |q| -> Vec<&str> {
        let kept: Vec<&str> = pairs_of(q).into_iter().filter(|p| !touched(p)).collect();
        if kept == [""] { Vec::new() } else { kept }
    };
    assert_eq!(untouched(before.query), untouched(after.query));
    for (name, value, mode) in &ops {
        let Some(value) = value else { continue };
        let was_there = pairs_of(before.query)
            .iter()
            .any(|p| decode(raw_name(p)) == *name);
        if !was_there || *mode == Mode::Replace {
            let found: Vec<String> = pairs_of(after.query)
                .iter()
                .filter(|p| decode(raw_name(p)) == *name)
                .map(|p| decode(raw_value(p)))
                .collect();
            assert_eq!(found, vec![value.clone()]);
        }
    }
    let twice = run(&out, &ops, usize::MAX).unwrap_or_else(|| out.clone());
    assert_eq!(twice, out, "not idempotent");
    if http::HeaderValue::from_str(&location).is_ok_and(|v| v.to_str().is_ok()) {
        let value = http::HeaderValue::try_from(out.as_str()).expect("a valid header value");
        assert!(value.to_str().is_ok());
    }
});
