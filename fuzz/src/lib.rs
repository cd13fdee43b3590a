//! Helpers shared by the fuzz targets: a hand-written form decoder and encoder, and a
//! reference model of the rewrite written from DESIGN.md, so that every target checks the
//! crate against something that shares no code with it.

#![forbid(unsafe_code)]

use tower_upstream_params::config::Mode;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte, anything else
/// itself; invalid UTF-8 becomes U+FFFD.
pub fn decode(raw: &str) -> String {
    String::from_utf8_lossy(&decode_bytes(raw)).into_owned()
}

/// [`decode`] to bytes, invalid UTF-8 kept as it is (how merged tokens are compared).
pub fn decode_bytes(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// `byte_serialize` as documented: `*-._` and ASCII alphanumerics as they are, a space as
/// `+`, every other byte `%XX`.
pub fn encode(s: &str) -> String {
    encode_bytes(s.as_bytes())
}

/// [`encode`] of bytes.
pub fn encode_bytes(s: &[u8]) -> String {
    let mut out = String::new();
    for &b in s {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn raw_name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(n, _)| n)
}

pub fn raw_value(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(_, v)| v)
}

/// A `Location` cut at its first `#`, then at the first `?` before it.
pub struct Cut<'a> {
    pub base: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

pub fn cut(location: &str) -> Cut<'_> {
    let (rest, fragment) = match location.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (location, None),
    };
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    Cut {
        base,
        query,
        fragment,
    }
}

pub fn pairs_of(query: Option<&str>) -> Vec<&str> {
    match query {
        None | Some("") => Vec::new(),
        Some(q) => q.split('&').collect(),
    }
}

/// One param of the pure rewrite: name, `Some(value)` to set or `None` to remove, mode.
pub type Op = (String, Option<String>, Mode);

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Added(String),
    Replaced(String),
    Merged(Vec<u8>),
    Kept,
    Removed,
    Nothing,
}

/// Merges byte for byte: existing tokens are decoded to bytes, never to text.
fn merge(existing: &[Vec<u8>], new: &str) -> Option<(Vec<u8>, bool)> {
    let mut tokens: Vec<&[u8]> = Vec::new();
    for value in existing {
        for t in value.split(|&b| b == b' ') {
            if !t.is_empty() && !tokens.contains(&t) {
                tokens.push(t);
            }
        }
    }
    let mut added = false;
    for t in new.split(' ') {
        if !t.is_empty() && !tokens.contains(&t.as_bytes()) {
            tokens.push(t.as_bytes());
            added = true;
        }
    }
    if tokens.contains(&&b"none"[..]) && tokens.len() > 1 {
        return None;
    }
    Some((tokens.join(&b' '), added))
}

/// The rewrite as DESIGN.md describes it: `None` when nothing changes, JAR/PAR, or the
/// result is longer than `max_len`.
pub fn model(location: &str, ops: &[Op], max_len: usize) -> Option<String> {
    let c = cut(location);
    let pairs = pairs_of(c.query);
    let names: Vec<String> = pairs.iter().map(|p| decode(raw_name(p))).collect();
    if names.iter().any(|n| n == "request" || n == "request_uri") {
        return None;
    }
    let outcomes: Vec<Outcome> = ops
        .iter()
        .map(|(name, value, mode)| {
            let existing: Vec<Vec<u8>> = pairs
                .iter()
                .zip(&names)
                .filter(|(_, n)| *n == name)
                .map(|(p, _)| decode_bytes(raw_value(p)))
                .collect();
            match (value, mode) {
                (None, _) if existing.is_empty() => Outcome::Nothing,
                (None, _) => Outcome::Removed,
                (Some(v), _) if existing.is_empty() => Outcome::Added(v.clone()),
                // The value is already the only pair, decoded: nothing to write.
                (Some(v), Mode::Replace) if existing == [v.as_bytes().to_vec()] => Outcome::Kept,
                (Some(v), Mode::Replace) => Outcome::Replaced(v.clone()),
                (Some(_), Mode::Keep) => Outcome::Kept,
                (Some(v), Mode::Merge) => match merge(&existing, v) {
                    Some((merged, added)) if added || existing.len() > 1 => Outcome::Merged(merged),
                    _ => Outcome::Kept,
                },
                (Some(_), mode) => unreachable!("the reference model knows no {mode:?}"),
            }
        })
        .collect();
    if outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Kept | Outcome::Nothing))
    {
        return None;
    }
    let mut written: Vec<String> = Vec::new();
    let mut done = vec![false; ops.len()];
    for (pair, name) in pairs.iter().zip(&names) {
        let hit = ops.iter().position(|(n, _, _)| n == name).filter(|&i| {
            matches!(
                outcomes[i],
                Outcome::Replaced(_) | Outcome::Merged(_) | Outcome::Removed
            )
        });
        match hit {
            None => written.push((*pair).to_owned()),
            Some(i) => {
                if done[i] {
                    continue;
                }
                done[i] = true;
                match &outcomes[i] {
                    Outcome::Replaced(v) => {
                        written.push(format!("{}={}", raw_name(pair), encode(v)));
                    }
                    Outcome::Merged(v) => {
                        written.push(format!("{}={}", raw_name(pair), encode_bytes(v)));
                    }
                    _ => {}
                }
            }
        }
    }
    let mut any_added = false;
    for ((name, _, _), outcome) in ops.iter().zip(&outcomes) {
        if let Outcome::Added(v) = outcome {
            written.push(format!("{}={}", encode(name), encode(v)));
            any_added = true;
        }
    }
    let mut out = c.base.to_owned();
    if c.query.is_some() || any_added {
        out.push('?');
        out.push_str(&written.join("&"));
    }
    if let Some(f) = c.fragment {
        out.push('#');
        out.push_str(f);
    }
    (out.len() <= max_len).then_some(out)
}

/// Reads the `rewrite` target's input: line 1 the `Location`, line 2 `max_len` (decimal,
/// anything else is no limit), then one param a line: a mode letter (`r`eplace, `k`eep,
/// `m`erge, `-` remove; anything else is replace), the name, a tab, the value.
pub fn parse_rewrite_input(text: &str) -> (String, usize, Vec<Op>) {
    let mut lines = text.split('\n');
    let location = lines.next().unwrap_or("").to_owned();
    let max_len = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(usize::MAX);
    let mut ops: Vec<Op> = Vec::new();
    for line in lines.take(16) {
        let mut chars = line.chars();
        let (mode, remove) = match chars.next() {
            Some('k') => (Mode::Keep, false),
            Some('m') => (Mode::Merge, false),
            Some('-') => (Mode::Replace, true),
            _ => (Mode::Replace, false),
        };
        let rest = chars.as_str();
        let (name, value) = rest.split_once('\t').unwrap_or((rest, ""));
        if name.is_empty() || ops.iter().any(|(n, _, _)| n == name) {
            continue;
        }
        let value = (!remove).then(|| value.to_owned());
        ops.push((name.to_owned(), value, mode));
    }
    (location, max_len, ops)
}
