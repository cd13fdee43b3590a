//! Scanning a query: its raw pairs, their names and values decoded as
//! `application/x-www-form-urlencoded`, and looking one name up.

use std::borrow::Cow;
use std::fmt;

use url::form_urlencoded;

use super::bytes::{find_byte, has_escape, scan_name, scan_value};
use super::redact::Redacted;

/// The raw `name=value` pairs of a query, in order, empty pairs included. An empty query has
/// no pairs.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = &str> {
    RawPairs::new(query).map(|p| p.pair)
}

/// One raw pair of a query, as [`RawPairs`] finds it. `Debug` prints lengths, not the pair.
#[derive(Clone, Copy)]
pub(crate) struct RawPair<'a> {
    /// Where the pair starts in the query.
    pub(crate) start: usize,
    /// `name=value`, `name`, or empty, as it stands in the query.
    pub(crate) pair: &'a str,
    /// The raw name: up to the first `=`.
    pub(crate) name: &'a str,
    /// Whether the raw name has a `%` or `+`, so that it must be decoded to be compared.
    pub(crate) encoded: bool,
}

impl<'a> RawPair<'a> {
    /// The decoded name; allocates only for an encoded one. `None` for what decodes to no
    /// name at all.
    pub(crate) fn decoded_name(&self) -> Option<Cow<'a, str>> {
        if !self.encoded {
            return Some(Cow::Borrowed(self.name));
        }
        form_urlencoded::parse(self.name.as_bytes())
            .next()
            .map(|(decoded, _)| decoded)
    }
}

/// The pairs of a query in one pass over its bytes: each name is read byte by byte (it is
/// short, and whether it needs decoding is noted on the way), each value is skipped eight
/// bytes at a time.
#[derive(Clone)]
pub(crate) struct RawPairs<'a> {
    pub(crate) query: &'a str,
    /// Where the next pair starts; `None` once the last one was read.
    pub(crate) pos: Option<usize>,
}

impl<'a> RawPairs<'a> {
    pub(crate) fn new(query: &'a str) -> Self {
        RawPairs {
            query,
            pos: (!query.is_empty()).then_some(0),
        }
    }
}

impl<'a> Iterator for RawPairs<'a> {
    type Item = RawPair<'a>;

    fn next(&mut self) -> Option<RawPair<'a>> {
        let start = self.pos?;
        let bytes = self.query.as_bytes();
        let (name_end, encoded) = scan_name(bytes, start);
        let end = match bytes.get(name_end) {
            Some(b'=') => scan_value(bytes, name_end + 1),
            _ => name_end,
        };
        self.pos = (end < bytes.len()).then_some(end + 1);
        // Cut at ASCII bytes or the end: char boundaries.
        Some(RawPair {
            start,
            pair: self.query.get(start..end).unwrap_or(""),
            name: self.query.get(start..name_end).unwrap_or(""),
            encoded,
        })
    }
}

/// A raw pair's name: up to its first `=` (found eight bytes at a time: names are short).
fn raw_name(pair: &str) -> &str {
    let end = find_byte(pair.as_bytes(), b'=').unwrap_or(pair.len());
    // Cut at `=` or the end: a char boundary.
    pair.get(..end).unwrap_or(pair)
}

/// A raw pair's value: after its first `=` (empty without one).
fn raw_value(pair: &str) -> &str {
    find_byte(pair.as_bytes(), b'=')
        .and_then(|i| pair.get(i + 1..))
        .unwrap_or("")
}

fn needs_decoding(raw: &str) -> bool {
    has_escape(raw.as_bytes())
}

/// A raw name, decoded as `application/x-www-form-urlencoded`; allocates only for a name
/// that is percent-encoded. `None` for what decodes to no name at all.
pub(crate) fn decoded_name(raw: &str) -> Option<Cow<'_, str>> {
    if !needs_decoding(raw) {
        return Some(Cow::Borrowed(raw));
    }
    form_urlencoded::parse(raw.as_bytes())
        .next()
        .map(|(decoded, _)| decoded)
}

/// Whether a raw pair's name, decoded as `application/x-www-form-urlencoded`, is `name`.
/// Compares case-sensitively and allocates only for a name that is percent-encoded.
pub(crate) fn name_is(pair: &str, name: &str) -> bool {
    decoded_name(raw_name(pair)).is_some_and(|decoded| decoded == name)
}

/// The decoded value of a raw pair (`""` for a pair without `=`).
pub(crate) fn decoded_value(pair: &str) -> Cow<'_, str> {
    let raw = raw_value(pair);
    if !needs_decoding(raw) {
        return Cow::Borrowed(raw);
    }
    form_urlencoded::parse(pair.as_bytes())
        .next()
        .map_or(Cow::Borrowed(""), |(_, value)| value)
}

/// The bytes `raw` decodes to (`+` as a space, then `%XX` escapes, as `form_urlencoded`
/// does), one at a time.
struct Decoded<'a> {
    raw: &'a [u8],
    at: usize,
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        fn hex(b: u8) -> Option<u8> {
            char::from(b).to_digit(16).map(|d| d as u8)
        }
        let byte = match *self.raw.get(self.at)? {
            b'+' => b' ',
            b'%' => match (
                self.raw.get(self.at + 1).and_then(|&b| hex(b)),
                self.raw.get(self.at + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    self.at += 2;
                    high * 16 + low
                }
                _ => b'%',
            },
            byte => byte,
        };
        self.at += 1;
        Some(byte)
    }
}

fn decoded(raw: &str) -> Decoded<'_> {
    Decoded {
        raw: raw.as_bytes(),
        at: 0,
    }
}

/// Decodes `raw` into the start of `buf`; the decoded length, or `None` if `buf` may be too
/// short.
fn decode_bytes(raw: &str, buf: &mut [u8]) -> Option<usize> {
    if raw.len() > buf.len() {
        return None;
    }
    let mut n = 0;
    for (slot, byte) in buf.iter_mut().zip(decoded(raw)) {
        *slot = byte;
        n += 1;
    }
    Some(n)
}

/// Whether the decoded value of a raw pair is `value`, byte for byte: decoded as it is
/// compared, without a buffer.
pub(crate) fn value_is(pair: &str, value: &str) -> bool {
    decoded(raw_value(pair)).eq(value.bytes())
}

/// The decoded value of a raw pair as bytes (a value need not be UTF-8: `fr-%E9t%E9`), in
/// the front of the stack space `free` (which then starts after it) when it fits, else on
/// the heap.
pub(crate) fn decoded_bytes_in<'a>(pair: &'a str, free: &mut &'a mut [u8]) -> Cow<'a, [u8]> {
    let raw = raw_value(pair);
    if !needs_decoding(raw) {
        return Cow::Borrowed(raw.as_bytes());
    }
    if let Some(n) = decode_bytes(raw, free) {
        let (head, tail) = std::mem::take(free).split_at_mut(n);
        *free = tail;
        return Cow::Borrowed(head);
    }
    let mut heap = vec![0; raw.len()];
    let n = decode_bytes(raw, &mut heap).unwrap_or(0);
    heap.truncate(n);
    Cow::Owned(heap)
}

/// The decoded value of a raw pair as text, in the front of the stack space `free` (which
/// then starts after it) when it fits, else on the heap; `None` when the decoded bytes are
/// not UTF-8 (`%FF%FE`): such a value is never read as U+FFFD replacement text.
pub(crate) fn decoded_text_in<'a>(pair: &'a str, free: &mut &'a mut [u8]) -> Option<Cow<'a, str>> {
    match decoded_bytes_in(pair, free) {
        Cow::Borrowed(bytes) => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
    }
}

/// What a query holds under one name.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    /// The name is not there.
    Missing,
    /// The name is there more than once.
    Ambiguous,
    /// The name is there once, with this decoded value (possibly empty).
    Found(Cow<'a, str>),
}

/// Looks a decoded name up in a raw query. Only the value found is decoded.
#[cfg(test)]
pub(crate) fn lookup<'a>(query: &'a str, name: &str) -> Lookup<'a> {
    match lookup_pair(query, name) {
        PairLookup::Found(pair) => Lookup::Found(decoded_value(pair)),
        PairLookup::Ambiguous => Lookup::Ambiguous,
        PairLookup::Missing => Lookup::Missing,
    }
}

/// What a query holds under one name, undecoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairLookup<'a> {
    /// The name is not there.
    Missing,
    /// The name is there more than once.
    Ambiguous,
    /// The name is there once, in this raw pair.
    Found(&'a str),
}

/// Like [`lookup`], but finds the raw pair (`name=value` as it stands in the query), so that
/// the caller decides where to decode its value.
///
/// The pairs' ends are found with `memchr` over the whole query (one search, not one per
/// pair), and only a pair whose first byte could begin `name` once decoded (that byte itself,
/// a `%` escape, or a `+` for a space) has its name read and compared.
pub(crate) fn lookup_pair<'a>(query: &'a str, name: &str) -> PairLookup<'a> {
    let Some(&lead) = name.as_bytes().first() else {
        return PairLookup::Missing;
    };
    // A name that reads the same raw and decoded is found by comparing bytes.
    let plain = !name.bytes().any(|b| matches!(b, b'=' | b'&' | b'%' | b'+'));
    let is_plainly = |pair: &str| {
        plain
            && pair
                .as_bytes()
                .strip_prefix(name.as_bytes())
                .is_some_and(|rest| matches!(rest.first(), None | Some(b'=')))
    };
    let bytes = query.as_bytes();
    let ends = memchr::memchr_iter(b'&', bytes).chain((!bytes.is_empty()).then_some(bytes.len()));
    let mut start = 0;
    let mut found = None;
    for end in ends {
        let first = bytes.get(start).copied();
        // Cut at `&` or the end: char boundaries.
        let pair = query.get(start..end).unwrap_or("");
        start = end + 1;
        let may_be = matches!(first, Some(b) if b == lead || b == b'%' || b == b'+');
        if !may_be || !(is_plainly(pair) || name_is(pair, name)) {
            continue;
        }
        if found.is_some() {
            return PairLookup::Ambiguous;
        }
        found = Some(pair);
    }
    match found {
        Some(pair) => PairLookup::Found(pair),
        None => PairLookup::Missing,
    }
}

// No `Debug` here prints a pair, a name read from a query or a value: lengths only.

impl fmt::Debug for RawPair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPair")
            .field("start", &self.start)
            .field("pair", &Redacted::str(self.pair))
            .field("name", &Redacted::str(self.name))
            .field("encoded", &self.encoded)
            .finish()
    }
}

impl fmt::Debug for RawPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPairs")
            .field("query", &Redacted::str(self.query))
            .field("pos", &self.pos)
            .finish()
    }
}

impl fmt::Debug for Lookup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::Missing => f.write_str("Missing"),
            Lookup::Ambiguous => f.write_str("Ambiguous"),
            Lookup::Found(value) => f.debug_tuple("Found").field(&Redacted::str(value)).finish(),
        }
    }
}

impl fmt::Debug for PairLookup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairLookup::Missing => f.write_str("Missing"),
            PairLookup::Ambiguous => f.write_str("Ambiguous"),
            PairLookup::Found(pair) => f.debug_tuple("Found").field(&Redacted::str(pair)).finish(),
        }
    }
}
