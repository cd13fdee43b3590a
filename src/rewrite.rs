//! Pure functions over `Location` strings and query strings.
//!
//! Nothing here knows about tower or HTTP messages: the functions take `&str` and return
//! borrowed slices or one newly built `String`, so they are unit-tested with tables below and
//! benchmarked on their own.
//!
//! The rewrite copies every byte it does not change verbatim (scheme, authority, path, every
//! other pair with its original encoding, empty pairs, the fragment) into one buffer allocated
//! with its final capacity: the output is measured first, then written, by the same code.

use std::borrow::Cow;

use url::form_urlencoded::{self, byte_serialize};

use crate::config::Mode;

/// A `Location` cut at its first `#` and at the first `?` before that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// Everything before the query (scheme, authority, path).
    pub(crate) base: &'a str,
    /// The text between `?` and `#`, if there is a `?`.
    pub(crate) query: Option<&'a str>,
    /// The text after `#`, if there is one.
    pub(crate) fragment: Option<&'a str>,
}

/// Cuts a URL into base, query and fragment, as a browser does.
pub(crate) fn split(location: &str) -> Parts<'_> {
    // The base ends at the first `?` or `#`; a query, if any, at the first `#` after it.
    let base_len = base_len(location);
    let base = &location[..base_len];
    match location.as_bytes().get(base_len) {
        None => Parts {
            base,
            query: None,
            fragment: None,
        },
        Some(b'#') => Parts {
            base,
            query: None,
            fragment: Some(&location[base_len + 1..]),
        },
        Some(_) => {
            let rest = &location[base_len + 1..];
            match find_byte(rest.as_bytes(), b'#') {
                Some(end) => Parts {
                    base,
                    query: Some(&rest[..end]),
                    fragment: Some(&rest[end + 1..]),
                },
                None => Parts {
                    base,
                    query: Some(rest),
                    fragment: None,
                },
            }
        }
    }
}

/// What [`split`] calls the base: up to the first `?` or `#`.
pub(crate) fn base(location: &str) -> &str {
    location.get(..base_len(location)).unwrap_or(location)
}

/// The length of what [`split`] calls the base: up to the first `?` or `#`.
fn base_len(location: &str) -> usize {
    find_either(location.as_bytes(), b'?', b'#').unwrap_or(location.len())
}

// Eight bytes at a time ("SWAR"), in safe code: a `u64` per eight bytes of input, and the
// classic test for a zero byte. `zero_bytes` flags the high bit of each byte that may be
// zero; the lowest flag is exact (false flags only appear above a true one), so `first`
// finds the first match.

const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// Eight bytes (exactly) as a little-endian word.
pub(crate) fn load(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    u64::from_le_bytes(bytes)
}

fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(splat(0x01)) & !x & splat(0x80)
}

/// The eight bytes of `word` with ASCII `A`-`Z` made lowercase (others unchanged).
pub(crate) fn lowercase_word(word: u64) -> u64 {
    // Per byte, on its low seven bits (no carry crosses bytes): the high bit is set from `A`
    // up, and from just past `Z` up; ASCII bytes only.
    let low = word & splat(0x7f);
    let from_a = low + splat(0x80 - b'A');
    let past_z = low + splat(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & !word & splat(0x80);
    word | upper >> 2
}

/// The index of the byte flagged lowest in `flags` (not zero).
fn first(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The offset of the first `needle` in `bytes`, eight bytes at a time (it serves short
/// inputs: a host's labels, a path's segments, the base).
fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let found = zero_bytes(load(word) ^ splat(needle));
        if found != 0 {
            return Some(offset + first(found));
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| offset + i)
}

/// The offset of the first `a` or `b` in `bytes`: sixteen bytes a step, then eight, then one.
#[inline(always)]
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let found = |word: u64| zero_bytes(word ^ splat(a)) | zero_bytes(word ^ splat(b));
    let mut pairs = bytes.chunks_exact(16);
    let mut offset = 0;
    for pair in &mut pairs {
        let (low, high) = pair.split_at(8);
        let (low, high) = (found(load(low)), found(load(high)));
        if low | high != 0 {
            return Some(
                offset
                    + if low != 0 {
                        first(low)
                    } else {
                        8 + first(high)
                    },
            );
        }
        offset += 16;
    }
    let mut words = pairs.remainder().chunks_exact(8);
    for word in &mut words {
        let flags = found(load(word));
        if flags != 0 {
            return Some(offset + first(flags));
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|i| offset + i)
}

/// Reads the raw name starting at `start` (up to `=`, `&` or the end): its end, and whether
/// it has a `%` or `+` (so must be decoded to be compared).
fn scan_name(bytes: &[u8], start: usize) -> (usize, bool) {
    scan_name_to(bytes, start, b'=')
}

/// Like [`scan_name`], for a query that ends at a `#`: the name also stops there.
fn scan_query_name(bytes: &[u8], start: usize) -> (usize, bool) {
    scan_name_to(bytes, start, b'#')
}

/// Reads a raw name from `start` up to `=`, `&`, `stop` or the end, eight bytes at a time
/// from wherever it starts: its end, and whether it has a `%` or `+`.
#[inline(always)]
fn scan_name_to(bytes: &[u8], start: usize, stop: u8) -> (usize, bool) {
    let tail = bytes.get(start..).unwrap_or_default();
    let mut words = tail.chunks_exact(8);
    let mut offset = start;
    let mut encoded = false;
    for word in &mut words {
        let word = load(word);
        let stops = zero_bytes(word ^ splat(b'='))
            | zero_bytes(word ^ splat(b'&'))
            | zero_bytes(word ^ splat(stop));
        let escape = zero_bytes(word ^ splat(b'%')) | zero_bytes(word ^ splat(b'+'));
        if stops != 0 {
            // Flags below the first stop: a flagged byte, true or not, means a true `%` or
            // `+` at or below it.
            let below = (stops & stops.wrapping_neg()) - 1;
            return (offset + first(stops), encoded || escape & below != 0);
        }
        encoded |= escape != 0;
        offset += 8;
    }
    for &b in words.remainder() {
        if b == b'=' || b == b'&' || b == stop {
            break;
        }
        encoded |= b == b'%' || b == b'+';
        offset += 1;
    }
    (offset, encoded)
}

/// The index of the first `&` or `#` at or after `start`, or the end.
fn scan_query_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_either(tail, b'&', b'#').map_or(bytes.len(), |i| start + i)
}

/// Whether `bytes` has a `%` or a `+` (so must be decoded), eight bytes at a time.
fn has_escape(bytes: &[u8]) -> bool {
    let escape = |word: u64| zero_bytes(word ^ splat(b'%')) | zero_bytes(word ^ splat(b'+'));
    let mut words = bytes.chunks_exact(8);
    words.any(|word| escape(load(word)) != 0)
        || words.remainder().iter().any(|&b| b == b'%' || b == b'+')
}

/// The index of the first `&` at or after `start`, or the end.
fn scan_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_either(tail, b'&', b'&').map_or(bytes.len(), |i| start + i)
}

/// The raw `name=value` pairs of a query, in order, empty pairs included. An empty query has
/// no pairs.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = &str> {
    RawPairs::new(query).map(|p| p.pair)
}

/// One raw pair of a query, as [`RawPairs`] finds it.
#[derive(Clone, Copy, Debug)]
struct RawPair<'a> {
    /// Where the pair starts in the query.
    start: usize,
    /// `name=value`, `name`, or empty, as it stands in the query.
    pair: &'a str,
    /// The raw name: up to the first `=`.
    name: &'a str,
    /// Whether the raw name has a `%` or `+`, so that it must be decoded to be compared.
    encoded: bool,
}

impl<'a> RawPair<'a> {
    /// The decoded name; allocates only for an encoded one. `None` for what decodes to no
    /// name at all.
    fn decoded_name(&self) -> Option<Cow<'a, str>> {
        if !self.encoded {
            return Some(Cow::Borrowed(self.name));
        }
        form_urlencoded::parse(self.name.as_bytes())
            .next()
            .map(|(decoded, _)| decoded)
    }

    /// Whether the decoded name is `name`, without allocating for a plain name.
    fn is(&self, name: &str) -> bool {
        if self.encoded {
            self.decoded_name().is_some_and(|decoded| decoded == name)
        } else {
            self.name == name
        }
    }
}

/// The pairs of a query in one pass over its bytes: each name is read byte by byte (it is
/// short, and whether it needs decoding is noted on the way), each value is skipped eight
/// bytes at a time.
#[derive(Clone, Debug)]
struct RawPairs<'a> {
    query: &'a str,
    /// Where the next pair starts; `None` once the last one was read.
    pos: Option<usize>,
}

impl<'a> RawPairs<'a> {
    fn new(query: &'a str) -> Self {
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

/// Pairs a [`Scan`] records (in 512 bytes of stack); the pairs after them are read again
/// where needed, from where the record stops.
const SCANNED_PAIRS: usize = 64;

/// One pair as a [`Scan`] records it: offsets into the query (pairs that end past 64 KiB
/// are not recorded).
#[derive(Clone, Copy, Debug, Default)]
struct Rec {
    start: u16,
    name_end: u16,
    end: u16,
    encoded: bool,
}

/// A `Location` read once: its parts, where each pair of its query starts and ends (for up
/// to [`SCANNED_PAIRS`] pairs), and the pair holding `client_id`. Choosing the connection
/// and rewriting both use it, so the query is read once per redirect.
#[derive(Debug)]
pub(crate) struct Scan<'a> {
    pub(crate) parts: Parts<'a>,
    recs: [Rec; SCANNED_PAIRS],
    /// How many pairs the query has; the first `recorded` are in `recs`.
    count: usize,
    recorded: usize,
    /// Where the first pair not recorded starts in the query, if there is one.
    resume: usize,
    /// Where the `client_id` pair is in the query.
    client_id: ClientIdAt,
}

/// Where a [`Scan`] found `client_id`.
#[derive(Clone, Copy, Debug)]
enum ClientIdAt {
    Missing,
    /// Once: the pair's start, the end of its name, its end (offsets into the query).
    Once(usize, usize, usize),
    Repeated,
}

impl<'a> Scan<'a> {
    /// A scan of nothing yet, to [`read`](Self::read) into where it is kept (a `Scan` is
    /// half a kilobyte: it is filled in place rather than returned).
    pub(crate) const EMPTY: Scan<'static> = Scan {
        parts: Parts {
            base: "",
            query: None,
            fragment: None,
        },
        recs: [Rec {
            start: 0,
            name_end: 0,
            end: 0,
            encoded: false,
        }; SCANNED_PAIRS],
        count: 0,
        recorded: 0,
        resume: 0,
        client_id: ClientIdAt::Missing,
    };

    /// Reads `location` once: cuts it as [`split`] does and records its query's pairs.
    #[cfg(test)]
    pub(crate) fn new(location: &'a str) -> Self {
        let mut scan = Scan::EMPTY;
        scan.read(location);
        scan
    }

    /// Reads `location` into this (empty) scan: cuts it as [`split`] does and records its
    /// query's pairs.
    pub(crate) fn read(&mut self, location: &'a str) {
        self.read_after(location, base(location));
    }

    /// [`read`](Self::read), given the base of `location` as [`base`] cuts it (read first, to
    /// know whether the rest is needed at all).
    pub(crate) fn read_after(&mut self, location: &'a str, base: &'a str) {
        let scan = self;
        scan.parts.base = base;
        let bytes = location.as_bytes();
        let base_end = base.len();
        match bytes.get(base_end) {
            None => return,
            Some(b'#') => {
                scan.parts.fragment = location.get(base_end + 1..);
                return;
            }
            Some(_) => {}
        }
        // The query runs from after the `?` to the first `#`; each pair is read as it comes.
        let query_start = base_end + 1;
        let rest = bytes.get(query_start..).unwrap_or_default();
        let mut query_end = 0;
        if !matches!(rest.first(), None | Some(b'#')) {
            let mut start = 0;
            loop {
                let (name_end, encoded) = scan_query_name(rest, start);
                let end = match rest.get(name_end) {
                    Some(b'=') => scan_query_value(rest, name_end + 1),
                    _ => name_end,
                };
                scan.record(rest, start, name_end, end, encoded);
                match rest.get(end) {
                    Some(b'&') => start = end + 1,
                    _ => {
                        query_end = end;
                        break;
                    }
                }
            }
        }
        let query = location
            .get(query_start..query_start + query_end)
            .unwrap_or_default();
        scan.parts.query = Some(query);
        if rest.get(query_end) == Some(&b'#') {
            scan.parts.fragment = location.get(query_start + query_end + 1..);
        }
    }

    /// Notes the pair at `start..end` of the query `rest` (its name ends at `name_end`).
    fn record(&mut self, rest: &[u8], start: usize, name_end: usize, end: usize, encoded: bool) {
        let offset = |n: usize| u16::try_from(n).ok();
        if self.recorded == self.count {
            match (
                self.recs.get_mut(self.count),
                offset(start),
                offset(name_end),
                offset(end),
            ) {
                (Some(slot), Some(start), Some(name_end), Some(end)) => {
                    *slot = Rec {
                        start,
                        name_end,
                        end,
                        encoded,
                    };
                    self.recorded += 1;
                }
                _ => self.resume = start,
            }
        }
        self.count += 1;
        let name = rest.get(start..name_end).unwrap_or_default();
        let is_client_id = if encoded {
            std::str::from_utf8(name)
                .ok()
                .and_then(decoded_name)
                .is_some_and(|n| n == "client_id")
        } else {
            name == b"client_id"
        };
        if is_client_id {
            self.client_id = match self.client_id {
                ClientIdAt::Missing => ClientIdAt::Once(start, name_end, end),
                _ => ClientIdAt::Repeated,
            };
        }
    }

    /// The query's `client_id`, decoded.
    pub(crate) fn client_id(&self) -> Lookup<'a> {
        let query = self.parts.query.unwrap_or("");
        match self.client_id {
            ClientIdAt::Missing => Lookup::Missing,
            ClientIdAt::Repeated => Lookup::Ambiguous,
            ClientIdAt::Once(start, name_end, end) => {
                // No `=`: an empty value (the range is then empty or reversed).
                let value = query.get(name_end + 1..end).unwrap_or_default();
                if has_escape(value.as_bytes()) {
                    Lookup::Found(decoded_value(query.get(start..end).unwrap_or_default()))
                } else {
                    Lookup::Found(Cow::Borrowed(value))
                }
            }
        }
    }

    /// The query's pairs: those recorded, then the others read again.
    fn pairs(&self) -> ScanPairs<'_, 'a> {
        let query = self.parts.query.unwrap_or("");
        let rest = RawPairs {
            query,
            pos: (self.recorded < self.count).then_some(self.resume),
        };
        ScanPairs {
            recorded: self.recs.get(..self.recorded).unwrap_or_default().iter(),
            rest,
        }
    }
}

/// Where a pair of a [`Scan`]'s query is: offsets into the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PairAt {
    start: usize,
    name_end: usize,
    end: usize,
    /// Whether the raw name has a `%` or `+`.
    encoded: bool,
}

/// The pairs of a [`Scan`]'s query: those recorded, then the rest read again.
struct ScanPairs<'s, 'a> {
    recorded: std::slice::Iter<'s, Rec>,
    rest: RawPairs<'a>,
}

impl Iterator for ScanPairs<'_, '_> {
    type Item = PairAt;

    fn next(&mut self) -> Option<PairAt> {
        if let Some(rec) = self.recorded.next() {
            return Some(PairAt {
                start: usize::from(rec.start),
                name_end: usize::from(rec.name_end),
                end: usize::from(rec.end),
                encoded: rec.encoded,
            });
        }
        self.rest.next().map(|raw| PairAt {
            start: raw.start,
            name_end: raw.start + raw.name.len(),
            end: raw.start + raw.pair.len(),
            encoded: raw.encoded,
        })
    }
}

/// The name lengths some edit (or `request`, `request_uri`) has: a plain name of another
/// length is passed over without being looked at.
struct NameLengths {
    /// Bit `n` for length `n` < 64.
    short: u64,
    /// Whether some name is 64 bytes or longer.
    long: bool,
}

impl NameLengths {
    fn new(edits: &[Edit<'_>]) -> Self {
        let mut lengths = NameLengths {
            short: 0,
            long: false,
        };
        for len in edits
            .iter()
            .map(|e| e.name.len())
            .chain(["request".len(), "request_uri".len()])
        {
            match 1u64.checked_shl(len as u32).filter(|_| len < 64) {
                Some(bit) => lengths.short |= bit,
                None => lengths.long = true,
            }
        }
        lengths
    }

    fn may_be(&self, len: usize) -> bool {
        if len < 64 {
            self.short & (1 << len) != 0
        } else {
            self.long
        }
    }
}

fn raw_name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(name, _)| name)
}

fn raw_value(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(_, value)| value)
}

fn needs_decoding(raw: &str) -> bool {
    has_escape(raw.as_bytes())
}

/// A raw name, decoded as `application/x-www-form-urlencoded`; allocates only for a name
/// that is percent-encoded. `None` for what decodes to no name at all.
fn decoded_name(raw: &str) -> Option<Cow<'_, str>> {
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

/// Decodes `raw` (`+` as a space, then `%XX` escapes, as `form_urlencoded` does) into the
/// start of `buf`; the decoded length, or `None` if `buf` may be too short.
fn decode_bytes(raw: &str, buf: &mut [u8]) -> Option<usize> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).map(|d| d as u8)
    }
    let raw = raw.as_bytes();
    if raw.len() > buf.len() {
        return None;
    }
    let (mut i, mut n) = (0, 0);
    while i < raw.len() {
        let byte = match raw[i] {
            b'+' => b' ',
            b'%' => match (
                raw.get(i + 1).and_then(|&b| hex(b)),
                raw.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    i += 2;
                    high * 16 + low
                }
                _ => b'%',
            },
            byte => byte,
        };
        buf[n] = byte;
        n += 1;
        i += 1;
    }
    Some(n)
}

/// The decoded value of a raw pair, like [`decoded_value`], but written into the front of
/// the stack space `free` (which then starts after it) rather than into a new `String`. Falls
/// back to [`decoded_value`] when `free` is too short or the bytes are not UTF-8 (which
/// `form_urlencoded` replaces with U+FFFD).
pub(crate) fn decoded_value_in<'a>(pair: &'a str, free: &mut &'a mut [u8]) -> Cow<'a, str> {
    let raw = raw_value(pair);
    if !needs_decoding(raw) {
        return Cow::Borrowed(raw);
    }
    let Some(n) = decode_bytes(raw, free) else {
        return decoded_value(pair);
    };
    if std::str::from_utf8(&free[..n]).is_err() {
        return decoded_value(pair);
    }
    let (head, tail) = std::mem::take(free).split_at_mut(n);
    *free = tail;
    match std::str::from_utf8(head) {
        Ok(value) => Cow::Borrowed(value),
        Err(_) => decoded_value(pair),
    }
}

/// What a query holds under one name.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
pub(crate) fn lookup_pair<'a>(query: &'a str, name: &str) -> PairLookup<'a> {
    let mut found = None;
    for pair in RawPairs::new(query) {
        if pair.is(name) {
            if found.is_some() {
                return PairLookup::Ambiguous;
            }
            found = Some(pair.pair);
        }
    }
    match found {
        Some(pair) => PairLookup::Found(pair),
        None => PairLookup::Missing,
    }
}

/// Why a param was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// No source had a (non-empty) value; for `remove`, the redirect did not carry the param.
    Missing,
    /// The query carried the source name more than once.
    Ambiguous,
    /// The value was longer than its `max_len`.
    TooLong,
    /// The value did not match its `pattern`.
    Pattern,
    /// The rewritten `Location` would have been longer than `limits.max_location_len`.
    LocationTooLong,
    /// The redirect carries `request` or `request_uri` (JAR / PAR).
    ParOrJar,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Ambiguous => "ambiguous",
            Reason::TooLong => "too_long",
            Reason::Pattern => "pattern",
            Reason::LocationTooLong => "location_too_long",
            Reason::ParOrJar => "par_or_jar",
        }
    }
}

/// What happened to one param.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Appended after the existing pairs.
    Added,
    /// Written in place of the first existing pair of that name; further ones removed.
    Replaced,
    /// Merged into the first existing pair of that name; further ones removed.
    Merged,
    /// The existing pair was left as it was.
    Kept,
    /// Every existing pair of that name was removed.
    Removed,
    /// Not sent, for this reason.
    Dropped(Reason),
}

impl Outcome {
    fn changes(self) -> bool {
        matches!(
            self,
            Outcome::Added | Outcome::Replaced | Outcome::Merged | Outcome::Removed
        )
    }
}

/// What to do with one param, once its value is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    /// Send this (decoded) value, under this conflict mode.
    Set(Cow<'a, str>, Mode),
    /// Remove the param from the redirect.
    Remove,
    /// Do not send it; the redirect's own pair, if any, stays as it was.
    Drop(Reason),
}

/// One param to apply to a `Location`, and, after [`rewrite`], what happened to it.
#[derive(Clone, Debug)]
pub(crate) struct Edit<'a> {
    pub(crate) name: &'a str,
    pub(crate) op: Op<'a>,
    pub(crate) outcome: Outcome,
    /// How many pairs of the query bear this name.
    occurrences: u32,
    /// Their bytes, all together (separators not counted).
    matched_len: usize,
    /// The bytes of the first one's raw name (kept as it was by `replace` and `merge`).
    first_name_len: usize,
    merged: Option<MergedValue>,
    seen: bool,
    /// Whether the name and the new value are written as they are (no byte to encode),
    /// found once by [`output_len`] for [`write`].
    plain_name: bool,
    plain_value: bool,
}

impl<'a> Edit<'a> {
    /// A placeholder, overwritten before use.
    pub(crate) const EMPTY: Edit<'static> = Edit {
        name: "",
        op: Op::Remove,
        outcome: Outcome::Dropped(Reason::Missing),
        occurrences: 0,
        matched_len: 0,
        first_name_len: 0,
        merged: None,
        seen: false,
        plain_name: false,
        plain_value: false,
    };

    pub(crate) fn new(name: &'a str, op: Op<'a>) -> Self {
        Self {
            name,
            op,
            outcome: Outcome::Dropped(Reason::Missing),
            occurrences: 0,
            matched_len: 0,
            first_name_len: 0,
            merged: None,
            seen: false,
            plain_name: false,
            plain_value: false,
        }
    }
}

/// Where a merged value is kept while the `Location` is written.
#[derive(Clone, Debug)]
enum MergedValue {
    /// `len` bytes at `start` of the rewrite's [`Scratch`].
    Scratch { start: usize, len: usize },
    /// On the heap, for values too long for the scratch space.
    Heap(String),
}

/// Bytes of stack space for merged values (and for decoding the values they merge with), so
/// that a merge allocates nothing but the output.
const SCRATCH_LEN: usize = 512;

/// Stack space for the merged values of one rewrite (none when nothing is merged).
struct Scratch<'b> {
    buf: &'b mut [u8],
    used: usize,
}

/// Pairs that bear an edit's name, recorded while the query is read so that writing it
/// needs no second pass: the copy runs from one to the next.
const MAX_MATCHES: usize = 16;

struct Matches {
    /// `(start, end, edit)` of each pair, in query order.
    at: [(u32, u32, u32); MAX_MATCHES],
    /// How many pairs matched; past [`MAX_MATCHES`], [`write`] reads the query again.
    len: usize,
}

impl Matches {
    fn push(&mut self, start: usize, end: usize, edit: usize) {
        let small = |n: usize| u32::try_from(n).ok();
        match (
            self.at.get_mut(self.len),
            small(start),
            small(end),
            small(edit),
        ) {
            (Some(slot), Some(start), Some(end), Some(edit)) => *slot = (start, end, edit),
            // Past what fits: `write` reads the query again.
            _ => self.len = MAX_MATCHES,
        }
        self.len += 1;
    }

    fn all(&self) -> Option<&[(u32, u32, u32)]> {
        self.at.get(..self.len)
    }
}

/// Applies `edits`, in order, to the query of `location`.
///
/// Returns the new `Location` if anything changed and it is at most `max_len` bytes long;
/// `None` leaves the `Location` as it is. Either way each edit's `outcome` says what happened
/// (or, for `None` with changes planned, `Dropped(LocationTooLong)`).
///
/// The query is read once (JAR / PAR detection, each name's occurrences and bytes), the
/// output's length is computed from that, and the output is written into one buffer of that
/// capacity. When no existing pair changes, the query is copied as one slice.
pub(crate) fn rewrite(location: &str, edits: &mut [Edit<'_>], max_len: usize) -> Option<String> {
    let mut scan = Scan::EMPTY;
    scan.read(location);
    rewrite_scanned(&scan, edits, max_len)
}

/// [`rewrite`], with the `Location` already read by a [`Scan`].
pub(crate) fn rewrite_scanned(
    scan: &Scan<'_>,
    edits: &mut [Edit<'_>],
    max_len: usize,
) -> Option<String> {
    let parts = scan.parts;
    let query = parts.query.unwrap_or("");

    for edit in edits.iter_mut() {
        edit.occurrences = 0;
        edit.matched_len = 0;
        edit.first_name_len = 0;
        edit.merged = None;
    }
    let pair_count = scan.count;
    let mut matches = Matches {
        at: [(0, 0, 0); MAX_MATCHES],
        len: 0,
    };
    let lengths = NameLengths::new(edits);
    for pair in scan.pairs() {
        // Most pairs are none of ours, and their name's length says so.
        if !pair.encoded && !lengths.may_be(pair.name_end - pair.start) {
            continue;
        }
        let raw = query.get(pair.start..pair.name_end).unwrap_or("");
        let name = if pair.encoded {
            match decoded_name(raw) {
                Some(name) => name,
                None => continue,
            }
        } else {
            Cow::Borrowed(raw)
        };
        let (start, pair_len) = (pair.start, pair.end - pair.start);
        if name == "request" || name == "request_uri" {
            for edit in edits.iter_mut() {
                edit.outcome = match edit.op {
                    Op::Drop(reason) => Outcome::Dropped(reason),
                    _ => Outcome::Dropped(Reason::ParOrJar),
                };
            }
            return None;
        }
        if let Some((i, edit)) = edits.iter_mut().enumerate().find(|(_, e)| e.name == name) {
            if edit.occurrences == 0 {
                edit.first_name_len = raw.len();
            }
            edit.occurrences = edit.occurrences.saturating_add(1);
            edit.matched_len += pair_len;
            matches.push(start, start + pair_len, i);
        }
    }

    // Stack space only where something may be merged.
    let mut space: [u8; SCRATCH_LEN];
    let buf: &mut [u8] = if edits
        .iter()
        .any(|e| matches!(e.op, Op::Set(_, Mode::Merge)))
    {
        space = [0; SCRATCH_LEN];
        &mut space
    } else {
        &mut []
    };
    let mut scratch = Scratch { buf, used: 0 };
    for edit in edits.iter_mut() {
        edit.outcome = decide(edit, query, &mut scratch);
    }
    if !edits.iter().any(|e| e.outcome.changes()) {
        return None;
    }

    let len = output_len(&parts, pair_count, edits, &scratch);
    if len > max_len {
        for edit in edits.iter_mut().filter(|e| e.outcome.changes()) {
            edit.outcome = Outcome::Dropped(Reason::LocationTooLong);
        }
        return None;
    }
    let mut out = String::with_capacity(len);
    write(&parts, edits, &scratch, &matches, &mut out);
    debug_assert_eq!(out.len(), len);
    Some(out)
}

fn decide(edit: &mut Edit<'_>, query: &str, scratch: &mut Scratch<'_>) -> Outcome {
    let present = edit.occurrences > 0;
    match &edit.op {
        Op::Drop(reason) => Outcome::Dropped(*reason),
        Op::Remove if present => Outcome::Removed,
        Op::Remove => Outcome::Dropped(Reason::Missing),
        Op::Set(..) if !present => Outcome::Added,
        Op::Set(_, Mode::Replace) => Outcome::Replaced,
        Op::Set(_, Mode::Keep) => Outcome::Kept,
        Op::Set(value, Mode::Merge) => match merge_in(edit.name, query, value, scratch) {
            Some((merged, added)) if added || edit.occurrences > 1 => {
                edit.merged = Some(merged);
                Outcome::Merged
            }
            // Nothing new to say, or OIDC's `none` would stand beside another value.
            _ => Outcome::Kept,
        },
    }
}

/// Merges the values of `name`'s pairs in `query` with `new`, in the scratch space if it
/// fits, else on the heap: the merged value and whether a token was added, or `None` where
/// `none` would stand beside another value. Only a merge that is used keeps its space.
fn merge_in(
    name: &str,
    query: &str,
    new: &str,
    scratch: &mut Scratch<'_>,
) -> Option<(MergedValue, bool)> {
    let start = scratch.used;
    let mut value = Slot {
        buf: scratch.buf.get_mut(start..).unwrap_or_default(),
        len: 0,
        overflow: false,
    };
    let mut decoded = [0u8; SCRATCH_LEN];
    for pair in pairs(query).filter(|p| name_is(p, name)) {
        let mut free: &mut [u8] = &mut decoded;
        merge_existing(&mut value, &decoded_value_in(pair, &mut free));
    }
    let added = merge_new(&mut value, new);
    if value.overflow {
        let existing = pairs(query).filter(|p| name_is(p, name)).map(decoded_value);
        return merge(existing, new).map(|m| (MergedValue::Heap(m.value), m.added));
    }
    if !merge_allowed(value.bytes()) {
        return None;
    }
    let len = value.len;
    scratch.used += len;
    Some((MergedValue::Scratch { start, len }, added))
}

/// The space-delimited union of existing values (first, in order) and new ones.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Merged {
    pub(crate) value: String,
    /// Whether any new token was added to the existing ones.
    pub(crate) added: bool,
}

/// Merges space-delimited values; `None` where the result would put `none` beside another
/// value (OIDC forbids it).
pub(crate) fn merge<'a, I>(existing: I, new: &str) -> Option<Merged>
where
    I: IntoIterator<Item = Cow<'a, str>>,
{
    // Tokens seen are hashed: a value of many tokens merges in linear time.
    let existing: Vec<Cow<'a, str>> = existing.into_iter().collect();
    let tokens = existing
        .iter()
        .flat_map(|value| value.split(' ').map(|token| (token, false)))
        .chain(new.split(' ').map(|token| (token, true)));
    let mut seen = std::collections::HashSet::new();
    let mut value = String::new();
    let mut added = false;
    for (token, is_new) in tokens {
        if token.is_empty() || !seen.insert(token) {
            continue;
        }
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(token);
        added |= is_new;
    }
    merge_allowed(value.as_bytes()).then_some(Merged { value, added })
}

/// A value being merged: a `String`, or a [`Slot`] of stack space.
trait Tokens {
    fn bytes(&self) -> &[u8];
    fn append(&mut self, s: &str);
}

impl Tokens for String {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn append(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Stack space for one merged value; `overflow` once something did not fit.
struct Slot<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl Tokens for Slot<'_> {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    fn append(&mut self, s: &str) {
        match self.buf.get_mut(self.len..self.len + s.len()) {
            Some(dst) if !self.overflow => {
                dst.copy_from_slice(s.as_bytes());
                self.len += s.len();
            }
            _ => self.overflow = true,
        }
    }
}

/// Adds `token` unless it is empty or already there; whether it was added.
fn push_token(value: &mut impl Tokens, token: &str) -> bool {
    if token.is_empty()
        || value
            .bytes()
            .split(|&b| b == b' ')
            .any(|t| t == token.as_bytes())
    {
        return false;
    }
    if !value.bytes().is_empty() {
        value.append(" ");
    }
    value.append(token);
    true
}

fn merge_existing(value: &mut impl Tokens, existing: &str) {
    for token in existing.split(' ') {
        push_token(value, token);
    }
}

fn merge_new(value: &mut impl Tokens, new: &str) -> bool {
    let mut added = false;
    for token in new.split(' ') {
        added |= push_token(value, token);
    }
    added
}

/// Whether a merged value is allowed: never `none` beside another value.
fn merge_allowed(value: &[u8]) -> bool {
    let has_none = value.split(|&b| b == b' ').any(|t| t == b"none");
    !(has_none && value.contains(&b' '))
}

/// What a replaced or merged pair's value becomes.
fn new_value<'s>(edit: &'s Edit<'_>, scratch: &'s Scratch<'_>) -> &'s str {
    match (&edit.merged, &edit.op) {
        (Some(MergedValue::Heap(merged)), _) => merged,
        (Some(MergedValue::Scratch { start, len }), _) => {
            // Whole tokens of `str`s joined by spaces: always UTF-8.
            let bytes = scratch.buf.get(*start..start + len).unwrap_or_default();
            std::str::from_utf8(bytes).unwrap_or("")
        }
        (None, Op::Set(value, _)) => value,
        (None, _) => "",
    }
}

/// Whether `byte_serialize` leaves `s` as it is (ASCII alphanumerics and `*-._`).
fn is_plain(s: &str) -> bool {
    // 1 for a byte that must be encoded; OR-ed without a branch per byte.
    const ENCODED: [u8; 256] = {
        let mut table = [1; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            if c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_') {
                table[b] = 0;
            }
            b += 1;
        }
        table
    };
    s.bytes().fold(0, |any, b| any | ENCODED[usize::from(b)]) == 0
}

/// The length of `s` once written, and whether it is written as it is.
fn encoded_len(s: &str) -> (usize, bool) {
    if is_plain(s) {
        return (s.len(), true);
    }
    (byte_serialize(s.as_bytes()).map(str::len).sum(), false)
}

/// Whether an outcome takes pairs out of the query (the first one may be written anew).
fn consumes(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Replaced | Outcome::Merged | Outcome::Removed
    )
}

/// The length of what [`write`] writes, from what the reading pass counted.
fn output_len(
    parts: &Parts<'_>,
    pair_count: usize,
    edits: &mut [Edit<'_>],
    scratch: &Scratch<'_>,
) -> usize {
    let query = parts.query.unwrap_or("");
    // Pairs written, and their bytes without separators: first the query's as it is.
    let mut items = pair_count;
    let mut item_bytes = query.len() - pair_count.saturating_sub(1);
    let mut question_mark = parts.query.is_some();
    for edit in edits {
        let occurrences = edit.occurrences as usize;
        match edit.outcome {
            Outcome::Replaced | Outcome::Merged => {
                let (value_len, plain) = encoded_len(new_value(edit, scratch));
                edit.plain_value = plain;
                items = items + 1 - occurrences;
                item_bytes = item_bytes + edit.first_name_len + 1 + value_len - edit.matched_len;
            }
            Outcome::Removed => {
                items -= occurrences;
                item_bytes -= edit.matched_len;
            }
            Outcome::Added => {
                let (name_len, plain_name) = encoded_len(edit.name);
                let (value_len, plain_value) = encoded_len(new_value(edit, scratch));
                (edit.plain_name, edit.plain_value) = (plain_name, plain_value);
                question_mark = true;
                items += 1;
                item_bytes += name_len + 1 + value_len;
            }
            Outcome::Kept | Outcome::Dropped(_) => {}
        }
    }
    parts.base.len()
        + usize::from(question_mark)
        + item_bytes
        + items.saturating_sub(1)
        + parts.fragment.map_or(0, |f| 1 + f.len())
}

/// Writes `s` form-encoded (`plain`: it has nothing to encode).
fn put_encoded(out: &mut String, s: &str, plain: bool) {
    if plain {
        out.push_str(s);
    } else {
        out.extend(byte_serialize(s.as_bytes()));
    }
}

/// Writes the rewritten `Location`.
fn write(
    parts: &Parts<'_>,
    edits: &mut [Edit<'_>],
    scratch: &Scratch<'_>,
    matches: &Matches,
    out: &mut String,
) {
    fn separate(out: &mut String, first: &mut bool) {
        if !*first {
            out.push('&');
        }
        *first = false;
    }
    out.push_str(parts.base);
    if parts.query.is_some() || edits.iter().any(|e| e.outcome == Outcome::Added) {
        out.push('?');
    }
    let query = parts.query.unwrap_or("");
    let mut first = true;
    let consuming = edits.iter().any(|e| consumes(e.outcome));
    for edit in edits.iter_mut() {
        edit.seen = false;
    }
    if let (true, Some(matches)) = (consuming, matches.all()) {
        // Untouched pairs are copied as runs, from after one taken pair to before the next
        // (a run holds the `&` between its pairs). `from` is where the next run starts.
        let mut from = 0;
        for &(start, end, i) in matches {
            let (start, end, i) = (start as usize, end as usize, i as usize);
            let edit = &mut edits[i];
            if !consumes(edit.outcome) {
                continue;
            }
            if start > from {
                separate(out, &mut first);
                out.push_str(&query[from..start - 1]);
            }
            if edit.outcome != Outcome::Removed && !edit.seen {
                edit.seen = true;
                separate(out, &mut first);
                out.push_str(&query[start..start + edit.first_name_len]);
                out.push('=');
                put_encoded(out, new_value(edit, scratch), edit.plain_value);
            }
            from = end + 1;
        }
        if from <= query.len() {
            separate(out, &mut first);
            out.push_str(&query[from..]);
        }
    } else if consuming {
        for raw in RawPairs::new(query) {
            let name = raw.decoded_name();
            let (pair, raw) = (raw.pair, raw.name);
            let edit = edits
                .iter_mut()
                .filter(|e| consumes(e.outcome))
                .find(|e| name.as_deref() == Some(e.name));
            match edit {
                None => {
                    separate(out, &mut first);
                    out.push_str(pair);
                }
                Some(edit) if edit.outcome == Outcome::Removed || edit.seen => {}
                Some(edit) => {
                    edit.seen = true;
                    separate(out, &mut first);
                    out.push_str(raw);
                    out.push('=');
                    put_encoded(out, new_value(edit, scratch), edit.plain_value);
                }
            }
        }
    } else if !query.is_empty() {
        // Nothing taken out: the query stays as it is, in one copy.
        out.push_str(query);
        first = false;
    }
    for edit in edits.iter().filter(|e| e.outcome == Outcome::Added) {
        separate(out, &mut first);
        put_encoded(out, edit.name, edit.plain_name);
        out.push('=');
        put_encoded(out, new_value(edit, scratch), edit.plain_value);
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        out.push_str(fragment);
    }
}

/// The longest host a `Location` may name and still match (DNS allows 253 bytes).
pub(crate) const MAX_HOST_LEN: usize = 253;
const KEY_CAP: usize = "https://".len() + MAX_HOST_LEN + ":65535".len();

/// `scheme://host:port` of an endpoint, normalized (lowercase, port always written), built on
/// the stack: the key of the configuration's lookup by host.
#[derive(Clone, Copy)]
pub(crate) struct OriginKey {
    buf: [u8; KEY_CAP],
    len: usize,
}

impl std::fmt::Debug for OriginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OriginKey").field(&self.as_str()).finish()
    }
}

impl OriginKey {
    /// `None` for a host longer than [`MAX_HOST_LEN`] or that is not ASCII.
    pub(crate) fn new(https: bool, host: &str, port: u16) -> Option<Self> {
        if host.len() > MAX_HOST_LEN || !host.is_ascii() {
            return None;
        }
        let mut key = OriginKey {
            buf: [0; KEY_CAP],
            len: 0,
        };
        key.push(if https { "https://" } else { "http://" });
        let start = key.len;
        key.push(host);
        key.buf[start..key.len].make_ascii_lowercase();
        key.push(":");
        let mut digits = [0u8; 5];
        let mut n = port;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            key.buf[key.len] = d;
            key.len += 1;
        }
        Some(key)
    }

    fn push(&mut self, s: &str) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this never fails.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Where a `Location` points: scheme, host, port (the origin) and path.
#[derive(Debug)]
pub(crate) struct Endpoint<'a> {
    pub(crate) https: bool,
    /// As the `Location` writes it: compare it ignoring ASCII case.
    pub(crate) host: Cow<'a, str>,
    /// The port, the scheme's default when none is written.
    pub(crate) port: u16,
    pub(crate) path: Cow<'a, str>,
}

impl Endpoint<'_> {
    /// `scheme://host:port`, lowercase, as [`OriginKey`] writes a configured origin.
    #[cfg(test)]
    pub(crate) fn origin_key(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!(
            "{scheme}://{}:{}",
            self.host.to_ascii_lowercase(),
            self.port
        )
    }
}

/// The endpoint an absolute `http(s)` URL points at, as a browser would read it; `None` for a
/// relative URL, another scheme, or a URL that does not parse.
#[cfg(test)]
pub(crate) fn endpoint(location: &str) -> Option<Endpoint<'_>> {
    endpoint_in(location, split(location).base)
}

/// The endpoint of `location`, given its base as [`split`] cuts it (an endpoint is made of
/// nothing else).
///
/// Ordinary URLs (`https://host[:port]/path`, a DNS name or a dotted-quad IPv4 address, a
/// plain path) are read from the base alone, without allocating or copying. Anything a
/// browser would normalize (userinfo, IPv6, percent-encoded or IDNA hosts, backslashes, `.`
/// segments, `https:host`, tabs) is handed to [`url::Url`], so that the endpoint compared is
/// the one the browser goes to.
pub(crate) fn endpoint_in<'a>(location: &'a str, base: &'a str) -> Option<Endpoint<'a>> {
    match fast_endpoint(base) {
        Fast::Endpoint(endpoint) => Some(endpoint),
        Fast::Never => None,
        Fast::Unsure => slow_endpoint(location),
    }
}

enum Fast<'a> {
    Endpoint(Endpoint<'a>),
    Never,
    Unsure,
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Reads the base of a `Location` (up to its first `?` or `#`: all an endpoint is made of).
fn fast_endpoint(location: &str) -> Fast<'_> {
    // A browser deletes tabs anywhere in a URL (`ht\ttps://...` is `https://...`); where
    // they are in the query or fragment, they change no endpoint.
    if find_byte(location.as_bytes(), b'\t').is_some() {
        return Fast::Unsure;
    }
    // A scheme is a letter followed by letters, digits, `+`, `-`, `.`, then `:`.
    let scheme_len = location
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
    match scheme_len {
        Some(n) if n > 0 && location.as_bytes()[n] == b':' => {
            if !location.as_bytes()[0].is_ascii_alphabetic() {
                return Fast::Never;
            }
        }
        // Leading spaces or controls: a browser strips them; let `url` decide.
        _ if location.starts_with(|c: char| c.is_ascii_whitespace() || c.is_ascii_control()) => {
            return Fast::Unsure;
        }
        _ => return Fast::Never,
    }
    let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(location, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(location, "http://") {
        (false, rest)
    } else if strip_prefix_ignore_case(location, "https:").is_some()
        || strip_prefix_ignore_case(location, "http:").is_some()
    {
        return Fast::Unsure;
    } else {
        return Fast::Never;
    };
    // The authority: ASCII alphanumerics, `.` and `-`, then `:port`; what kinds of bytes it
    // has first, without a branch per byte.
    let bytes = rest.as_bytes();
    let end = find_byte(bytes, b'/').unwrap_or(bytes.len());
    let kinds = bytes[..end]
        .iter()
        .fold(0, |kinds, &b| kinds | AUTHORITY_BYTES[usize::from(b)]);
    if kinds & AUTHORITY_OTHER != 0 {
        return Fast::Unsure;
    }
    let colon = if kinds & AUTHORITY_COLON != 0 {
        find_byte(&bytes[..end], b':')
    } else {
        None
    };
    let host_bytes = &bytes[..colon.unwrap_or(end)];
    // Its host, label by label: a DNS name `url` leaves as it is (but for case), or a
    // canonical dotted-quad IPv4 address (numeric hosts are IPv4 to a browser).
    let (mut start, mut labels, mut canonical) = (0, 0, true);
    let last = loop {
        let label_end =
            find_byte(&host_bytes[start..], b'.').map_or(host_bytes.len(), |i| start + i);
        let label = &host_bytes[start..label_end];
        let (fine, octet) = host_label(label);
        if !fine {
            return Fast::Unsure;
        }
        labels += 1;
        canonical &= octet;
        if label_end == host_bytes.len() {
            break label;
        }
        start = label_end + 1;
    };
    if !(last[0].is_ascii_alphabetic() || canonical && labels == 4) {
        return Fast::Unsure;
    }
    let (authority, path) = rest.split_at(end);
    let path = if path.is_empty() { "/" } else { path };
    let (host, port) = match colon {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority, None),
    };
    let default = if https { 443 } else { 80 };
    let port = match port {
        None | Some("") => default,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.trim_start_matches('0').parse::<u16>() {
                Ok(n) => n,
                Err(_) if p.trim_start_matches('0').is_empty() => 0,
                Err(_) => return Fast::Never,
            }
        }
        Some(_) => return Fast::Unsure,
    };
    if !plain_path(path) {
        return Fast::Unsure;
    }
    if host.len() > MAX_HOST_LEN {
        return Fast::Never;
    }
    Fast::Endpoint(Endpoint {
        https,
        host: Cow::Borrowed(host),
        port,
        path: Cow::Borrowed(path),
    })
}

/// Kinds of authority bytes, as bits, for [`fast_endpoint`]: an authority with an
/// [`AUTHORITY_OTHER`] byte is left to `url`.
const AUTHORITY_HOST: u8 = 1;
const AUTHORITY_COLON: u8 = 2;
const AUTHORITY_OTHER: u8 = 4;

const AUTHORITY_BYTES: [u8; 256] = {
    let mut table = [AUTHORITY_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c == b':' {
            table[b] = AUTHORITY_COLON;
        } else if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' {
            table[b] = AUTHORITY_HOST;
        }
        b += 1;
    }
    table
};

/// One label of a host: whether `url` leaves it as it is (not empty, not IDNA's `xn--`),
/// and whether it is a canonical IPv4 number (`0` to `255`, no leading zero).
fn host_label(label: &[u8]) -> (bool, bool) {
    let Some(&first) = label.first() else {
        return (false, false);
    };
    let fine = !(label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"));
    let octet = first.is_ascii_digit()
        && label.len() <= 3
        && label.iter().all(u8::is_ascii_digit)
        && (label == b"0" || first != b'0')
        && label
            .iter()
            .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'))
            <= 255;
    (fine, octet)
}

/// Kinds of path bytes, as bits: `url` copies a path as it is when it has no
/// [`PATH_OTHER`] byte (and no dot segment, which only [`PATH_DOT_OR_PERCENT`] bytes make).
const PATH_PLAIN: u8 = 1;
const PATH_DOT_OR_PERCENT: u8 = 2;
const PATH_OTHER: u8 = 4;

const PATH_BYTES: [u8; 256] = {
    let mut table = [PATH_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c == b'.' || c == b'%' {
            table[b] = PATH_DOT_OR_PERCENT;
        } else if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'/' | b'-'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            )
        {
            table[b] = PATH_PLAIN;
        }
        b += 1;
    }
    table
};

/// A path `url` would copy as it is: no backslash, no dot segment, nothing to percent-encode.
fn plain_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    // First what kinds of bytes there are, without a branch per byte.
    let kinds = bytes
        .iter()
        .fold(0, |kinds, &b| kinds | PATH_BYTES[usize::from(b)]);
    if kinds & PATH_OTHER != 0 {
        return false;
    }
    if kinds & PATH_DOT_OR_PERCENT == 0 {
        return true;
    }
    // Only a segment that starts with `.` or `%` can be a dot segment.
    path.split('/').all(|segment| !is_dot_segment(segment))
}

/// Whether a path segment is `.` or `..`, literally or percent-encoded (`%2e`).
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if let Some(r) = strip_prefix_ignore_case(rest, "%2e") {
            rest = r;
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

fn slow_endpoint(location: &str) -> Option<Endpoint<'_>> {
    let url = url::Url::parse(location).ok()?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let port = url.port_or_known_default()?;
    let host = url.host_str()?;
    if host.len() > MAX_HOST_LEN || !host.is_ascii() {
        return None;
    }
    Some(Endpoint {
        https,
        host: Cow::Owned(host.to_owned()),
        port,
        path: Cow::Owned(url.path().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(value: &str, mode: Mode) -> Op<'_> {
        Op::Set(Cow::Borrowed(value), mode)
    }

    fn run<'a>(location: &str, edits: &mut [Edit<'a>], max: usize) -> Option<String> {
        rewrite(location, edits, max)
    }

    #[test]
    fn split_cuts_at_first_hash_then_question_mark() {
        let cases = [
            ("https://a/p", "https://a/p", None, None),
            ("https://a/p?", "https://a/p", Some(""), None),
            ("https://a/p?x=1#f", "https://a/p", Some("x=1"), Some("f")),
            ("https://a/p#f?x=1", "https://a/p", None, Some("f?x=1")),
            (
                "https://a/p?x=1?y#f#g",
                "https://a/p",
                Some("x=1?y"),
                Some("f#g"),
            ),
        ];
        for (input, base, query, fragment) in cases {
            let expected = Parts {
                base,
                query,
                fragment,
            };
            assert_eq!(split(input), expected, "{input}");
            assert_eq!(Scan::new(input).parts, expected, "scan of {input}");
        }
    }

    /// `lowercase_word` lowers exactly what `to_ascii_lowercase` lowers, byte by byte, for
    /// every byte value and next to any other.
    #[test]
    fn lowercase_word_is_to_ascii_lowercase() {
        for b in 0..=255u8 {
            for other in [b'A', b'z', b'@', b'[', 0x00, 0x7f, 0xc1, 0xff] {
                let bytes = [b, other, b, b'Z', other, b'a', b, other];
                let lowered = bytes.map(|c| c.to_ascii_lowercase());
                assert_eq!(
                    lowercase_word(u64::from_le_bytes(bytes)),
                    u64::from_le_bytes(lowered),
                    "{bytes:?}"
                );
            }
        }
    }

    /// A scan cuts as `split` does, finds the pairs `RawPairs` finds (recorded or, past
    /// `SCANNED_PAIRS`, read again), and the `client_id` that `lookup` finds.
    #[test]
    fn scan_reads_what_split_pairs_and_lookup_read() {
        let many = format!("https://a/p?{}#f", vec!["k=v"; SCANNED_PAIRS + 3].join("&"));
        // Offsets past 64 KiB are not recorded: the pairs from there on are read again.
        let long = format!(
            "https://a/p?a=1&big={}&client_id=z&b=2#f",
            "x".repeat(70_000)
        );
        let cases = [
            "https://a/p",
            "https://a/p?",
            "https://a/p?#",
            "https://a/p?&",
            "https://a/p?a=1&&b&=c&client_id=x#f&client_id=y",
            "https://a/p?client%5Fid=x%20y&client_id=z",
            "https://a/p?client+id=1&client_id=%41%42",
            "https://a/p?x=1?y=%zz#f#g",
            "https://a/p#f?client_id=1",
            "https://a/p?long_name_of_more_than_eight=value_of_more_than_eight_bytes&=",
            many.as_str(),
            long.as_str(),
        ];
        for input in cases {
            let scan = Scan::new(input);
            assert_eq!(scan.parts, split(input), "{input}");
            let query = split(input).query.unwrap_or("");
            let scanned: Vec<_> = scan
                .pairs()
                .map(|p| {
                    let (pair, name) = (&query[p.start..p.end], &query[p.start..p.name_end]);
                    (p.start, pair, name, p.encoded)
                })
                .collect();
            let read: Vec<_> = RawPairs::new(query)
                .map(|p| (p.start, p.pair, p.name, p.encoded))
                .collect();
            assert_eq!(scanned, read, "{input}");
            assert_eq!(scan.count, read.len(), "{input}");
            assert_eq!(scan.client_id(), lookup(query, "client_id"), "{input}");
        }
    }

    #[test]
    fn names_and_values_are_decoded_as_forms_are() {
        let cases = [
            ("login_hint=a%40b.c", "login_hint", true, "a@b.c"),
            ("login%5Fhint=x+y", "login_hint", true, "x y"),
            ("login_hint", "login_hint", true, ""),
            ("login_hint=", "login_hint", true, ""),
            ("Login_hint=x", "login_hint", false, "x"),
            ("a=b=c", "a", true, "b=c"),
            ("a+b=1", "a b", true, "1"),
            ("a%2Bb=%2B", "a+b", true, "+"),
            ("", "", true, ""),
        ];
        for (pair, name, is, value) in cases {
            assert_eq!(name_is(pair, name), is, "{pair} is {name}");
            assert_eq!(decoded_value(pair), value, "{pair}");
        }
    }

    #[test]
    fn lookup_finds_once_or_calls_it_ambiguous() {
        let q = "a=1&b=2&b=3&c=&d%3D=4&e=x%20y";
        assert_eq!(lookup(q, "a"), Lookup::Found(Cow::Borrowed("1")));
        assert_eq!(lookup(q, "b"), Lookup::Ambiguous);
        assert_eq!(lookup(q, "c"), Lookup::Found(Cow::Borrowed("")));
        assert_eq!(lookup(q, "d="), Lookup::Found(Cow::Borrowed("4")));
        assert_eq!(lookup(q, "e"), Lookup::Found(Cow::Borrowed("x y")));
        assert_eq!(lookup(q, "z"), Lookup::Missing);
        assert_eq!(lookup("", "a"), Lookup::Missing);
    }

    #[test]
    fn rewrite_table() {
        use Mode::*;
        // (location, [(name, op)], expected location, expected outcomes)
        type Case<'a> = (&'a str, Vec<(&'a str, Op<'a>)>, &'a str, Vec<Outcome>);
        let cases: Vec<Case<'_>> = vec![
            (
                "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b",
                vec![("blog", set("myblog.wordpress.com", Replace))],
                "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b&blog=myblog.wordpress.com",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a",
                vec![("x", set("a b&c=d#e", Replace))],
                "https://idp/a?x=a+b%26c%3Dd%23e",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?",
                vec![("x", set("1", Replace))],
                "https://idp/a?x=1",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a#frag",
                vec![("x", set("1", Replace))],
                "https://idp/a?x=1#frag",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?prompt=consent&state=s&prompt=login#f",
                vec![("prompt", set("select_account", Replace))],
                "https://idp/a?prompt=select_account&state=s#f",
                vec![Outcome::Replaced],
            ),
            (
                "https://idp/a?prompt=consent",
                vec![("prompt", set("select_account", Keep))],
                "https://idp/a?prompt=consent",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?prompt=consent&x=1",
                vec![("prompt", set("select_account login", Merge))],
                "https://idp/a?prompt=consent+select_account+login&x=1",
                vec![Outcome::Merged],
            ),
            (
                "https://idp/a?scope=openid%20email",
                vec![("scope", set("email", Merge))],
                "https://idp/a?scope=openid%20email",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?prompt=none",
                vec![("prompt", set("login", Merge))],
                "https://idp/a?prompt=none",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?x=1",
                vec![("prompt", set("login", Merge))],
                "https://idp/a?x=1&prompt=login",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?x=1&audience=a&y=2&audience=b",
                vec![("audience", Op::Remove)],
                "https://idp/a?x=1&y=2",
                vec![Outcome::Removed],
            ),
            (
                "https://idp/a?x=1",
                vec![("audience", Op::Remove)],
                "https://idp/a?x=1",
                vec![Outcome::Dropped(Reason::Missing)],
            ),
            (
                "https://idp/a?x=1&&y&=z&screen_name=old",
                vec![("screen_name", Op::Drop(Reason::Pattern))],
                "https://idp/a?x=1&&y&=z&screen_name=old",
                vec![Outcome::Dropped(Reason::Pattern)],
            ),
            (
                "https://idp/a?x=%7e&&y&=z",
                vec![("b", set("é", Replace))],
                "https://idp/a?x=%7e&&y&=z&b=%C3%A9",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
                vec![("a", set("1", Replace)), ("b", Op::Drop(Reason::Missing))],
                "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
                vec![
                    Outcome::Dropped(Reason::ParOrJar),
                    Outcome::Dropped(Reason::Missing),
                ],
            ),
            (
                "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D",
                vec![("a", set("1", Replace)), ("b", set("2", Replace))],
                "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D&a=1&b=2",
                vec![Outcome::Added, Outcome::Added],
            ),
        ];
        for (location, ops, expected, outcomes) in cases {
            let mut edits: Vec<Edit<'_>> =
                ops.into_iter().map(|(n, op)| Edit::new(n, op)).collect();
            let out = run(location, &mut edits, 8192);
            assert_eq!(out.as_deref().unwrap_or(location), expected, "{location}");
            let got: Vec<Outcome> = edits.iter().map(|e| e.outcome).collect();
            assert_eq!(got, outcomes, "{location}");
            if out.is_some() {
                assert_ne!(expected, location, "changed output for {location}");
            }
        }
    }

    #[test]
    fn location_limit_is_inclusive() {
        let location = "https://idp/a?x=1";
        let full = "https://idp/a?x=1&b=2";
        let mut edits = [Edit::new("b", set("2", Mode::Replace))];
        assert_eq!(run(location, &mut edits, full.len()).as_deref(), Some(full));
        let mut edits = [Edit::new("b", set("2", Mode::Replace))];
        assert_eq!(run(location, &mut edits, full.len() - 1), None);
        assert_eq!(edits[0].outcome, Outcome::Dropped(Reason::LocationTooLong));
    }

    #[test]
    fn merge_table() {
        let cases = [
            (
                vec!["login"],
                "select_account",
                Some(("login select_account", true)),
            ),
            (
                vec!["login consent"],
                "consent",
                Some(("login consent", false)),
            ),
            (vec!["a  b", "c"], "b d", Some(("a b c d", true))),
            (vec![], "login", Some(("login", true))),
            (vec!["none"], "none", Some(("none", false))),
            (vec!["none"], "login", None),
            (vec!["login"], "none", None),
        ];
        for (existing, new, expected) in cases {
            let got = merge(existing.iter().map(|s| Cow::Borrowed(*s)), new);
            let expected = expected.map(|(value, added)| Merged {
                value: value.to_owned(),
                added,
            });
            assert_eq!(got, expected, "{existing:?} + {new}");
        }
    }

    #[test]
    fn endpoint_table() {
        // (location, origin key, path) or None: what a browser would go to.
        let cases = [
            (
                "https://idp.example/a",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "HTTPS://IDP.Example:443/a?x#y",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "http://idp.example:8080",
                Some(("http://idp.example:8080", "/")),
            ),
            (
                "http://idp.example:0080/",
                Some(("http://idp.example:80", "/")),
            ),
            ("https://127.0.0.1:9/a", Some(("https://127.0.0.1:9", "/a"))),
            ("https://0x7f.1/a", Some(("https://127.0.0.1:443", "/a"))),
            (
                "https://idp.example@evil.example/a",
                Some(("https://evil.example:443", "/a")),
            ),
            (
                "https://evil.example\\@idp.example/a",
                Some(("https://evil.example:443", "/@idp.example/a")),
            ),
            ("https://[::1]:8443/a", Some(("https://[::1]:8443", "/a"))),
            (
                "https://idp.example/a/../b",
                Some(("https://idp.example:443", "/b")),
            ),
            (
                "https://idp.example/a/%2e/b",
                Some(("https://idp.example:443", "/a/b")),
            ),
            (
                "https:idp.example/a",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "https://xn--bcher-kva.example/a",
                Some(("https://xn--bcher-kva.example:443", "/a")),
            ),
            (
                "https://b%C3%BCcher.example/a",
                Some(("https://xn--bcher-kva.example:443", "/a")),
            ),
            ("https://idp.example:99999/a", None),
            ("/authorize?x=1", None),
            ("//idp.example/a", None),
            ("mailto:x@idp.example", None),
            ("ftp://idp.example/a", None),
            ("https://", None),
        ];
        for (location, expected) in cases {
            let got = endpoint(location);
            let got = got.as_ref().map(|e| (e.origin_key(), e.path.as_ref()));
            let got = got.as_ref().map(|(origin, path)| (origin.as_str(), *path));
            assert_eq!(got, expected, "{location}");
        }
    }

    /// The rewrite as it was first written (four passes over the query, one to measure the
    /// output and one to write it, a `String` per merge), kept as the oracle that the
    /// one-pass rewrite above must agree with, byte for byte and outcome for outcome.
    mod reference {
        use super::super::{Merged, Op, Outcome, Parts, Reason, split};
        use crate::config::Mode;
        use std::borrow::Cow;
        use url::form_urlencoded::{self, byte_serialize};

        fn pairs(query: &str) -> impl Iterator<Item = &str> {
            let query = if query.is_empty() { None } else { Some(query) };
            query.into_iter().flat_map(|q| q.split('&'))
        }

        fn raw_name(pair: &str) -> &str {
            pair.split_once('=').map_or(pair, |(name, _)| name)
        }

        fn needs_decoding(raw: &str) -> bool {
            raw.bytes().any(|b| b == b'%' || b == b'+')
        }

        fn name_is(pair: &str, name: &str) -> bool {
            let raw = raw_name(pair);
            if !needs_decoding(raw) {
                return raw == name;
            }
            form_urlencoded::parse(raw.as_bytes())
                .next()
                .is_some_and(|(decoded, _)| decoded == name)
        }

        fn decoded_value(pair: &str) -> Cow<'_, str> {
            let raw = pair.split_once('=').map_or("", |(_, value)| value);
            if !needs_decoding(raw) {
                return Cow::Borrowed(raw);
            }
            form_urlencoded::parse(pair.as_bytes())
                .next()
                .map_or(Cow::Borrowed(""), |(_, value)| value)
        }

        fn merge<'a, I>(existing: I, new: &str) -> Option<Merged>
        where
            I: IntoIterator<Item = Cow<'a, str>>,
        {
            fn push(value: &mut String, token: &str) -> bool {
                if token.is_empty() || value.split(' ').any(|t| t == token) {
                    return false;
                }
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(token);
                true
            }
            let mut value = String::new();
            for existing in existing {
                for token in existing.split(' ') {
                    push(&mut value, token);
                }
            }
            let mut added = false;
            for token in new.split(' ') {
                added |= push(&mut value, token);
            }
            let has_none = value.split(' ').any(|t| t == "none");
            if has_none && value.contains(' ') {
                return None;
            }
            Some(Merged { value, added })
        }

        pub(super) struct Edit<'a> {
            pub(super) name: &'a str,
            pub(super) op: Op<'a>,
            pub(super) outcome: Outcome,
            occurrences: u32,
            merged: Option<String>,
            seen: bool,
        }

        impl<'a> Edit<'a> {
            pub(super) fn new(name: &'a str, op: Op<'a>) -> Self {
                Self {
                    name,
                    op,
                    outcome: Outcome::Dropped(Reason::Missing),
                    occurrences: 0,
                    merged: None,
                    seen: false,
                }
            }
        }

        pub(super) fn rewrite(
            location: &str,
            edits: &mut [Edit<'_>],
            max_len: usize,
        ) -> Option<String> {
            let parts = split(location);
            let query = parts.query.unwrap_or("");
            if pairs(query).any(|p| name_is(p, "request") || name_is(p, "request_uri")) {
                for edit in edits.iter_mut() {
                    edit.outcome = match edit.op {
                        Op::Drop(reason) => Outcome::Dropped(reason),
                        _ => Outcome::Dropped(Reason::ParOrJar),
                    };
                }
                return None;
            }
            for pair in pairs(query) {
                if let Some(edit) = edits.iter_mut().find(|e| name_is(pair, e.name)) {
                    edit.occurrences = edit.occurrences.saturating_add(1);
                }
            }
            for edit in edits.iter_mut() {
                edit.outcome = decide(edit, query);
            }
            if !edits.iter().any(|e| e.outcome.changes()) {
                return None;
            }
            let mut len = String::new();
            emit(&parts, edits, &mut len);
            if len.len() > max_len {
                for edit in edits.iter_mut().filter(|e| e.outcome.changes()) {
                    edit.outcome = Outcome::Dropped(Reason::LocationTooLong);
                }
                return None;
            }
            let mut out = String::new();
            emit(&parts, edits, &mut out);
            Some(out)
        }

        fn decide(edit: &mut Edit<'_>, query: &str) -> Outcome {
            let present = edit.occurrences > 0;
            match &edit.op {
                Op::Drop(reason) => Outcome::Dropped(*reason),
                Op::Remove if present => Outcome::Removed,
                Op::Remove => Outcome::Dropped(Reason::Missing),
                Op::Set(..) if !present => Outcome::Added,
                Op::Set(_, Mode::Replace) => Outcome::Replaced,
                Op::Set(_, Mode::Keep) => Outcome::Kept,
                Op::Set(value, Mode::Merge) => {
                    let existing = pairs(query)
                        .filter(|p| name_is(p, edit.name))
                        .map(decoded_value);
                    match merge(existing, value) {
                        Some(merged) if merged.added || edit.occurrences > 1 => {
                            edit.merged = Some(merged.value);
                            Outcome::Merged
                        }
                        _ => Outcome::Kept,
                    }
                }
            }
        }

        fn put_encoded(out: &mut String, s: &str) {
            for chunk in byte_serialize(s.as_bytes()) {
                out.push_str(chunk);
            }
        }

        fn emit(parts: &Parts<'_>, edits: &mut [Edit<'_>], out: &mut String) {
            fn separate(out: &mut String, first: &mut bool) {
                if !*first {
                    out.push('&');
                }
                *first = false;
            }
            for edit in edits.iter_mut() {
                edit.seen = false;
            }
            out.push_str(parts.base);
            if parts.query.is_some() || edits.iter().any(|e| e.outcome == Outcome::Added) {
                out.push('?');
            }
            let mut first = true;
            for pair in pairs(parts.query.unwrap_or("")) {
                let edit = edits
                    .iter_mut()
                    .filter(|e| {
                        matches!(
                            e.outcome,
                            Outcome::Replaced | Outcome::Merged | Outcome::Removed
                        )
                    })
                    .find(|e| name_is(pair, e.name));
                match edit {
                    None => {
                        separate(out, &mut first);
                        out.push_str(pair);
                    }
                    Some(edit) if edit.outcome == Outcome::Removed || edit.seen => {}
                    Some(edit) => {
                        edit.seen = true;
                        let value = match (&edit.merged, &edit.op) {
                            (Some(merged), _) => merged.as_str(),
                            (None, Op::Set(value, _)) => value.as_ref(),
                            (None, _) => "",
                        };
                        separate(out, &mut first);
                        out.push_str(raw_name(pair));
                        out.push('=');
                        put_encoded(out, value);
                    }
                }
            }
            for edit in edits.iter().filter(|e| e.outcome == Outcome::Added) {
                if let Op::Set(value, _) = &edit.op {
                    separate(out, &mut first);
                    put_encoded(out, edit.name);
                    out.push('=');
                    put_encoded(out, value);
                }
            }
            if let Some(fragment) = parts.fragment {
                out.push('#');
                out.push_str(fragment);
            }
        }
    }

    mod agrees_with_reference {
        use super::*;
        use proptest::prelude::*;

        const NAMES: [&str; 12] = [
            "a",
            "prompt",
            "p%72ompt",
            "scope",
            "a+b",
            "x",
            "",
            "request",
            "request_uri",
            "%E9",
            "%C3%A9",
            "Prompt",
        ];
        const VALUES: [&str; 14] = [
            "",
            "1",
            "none",
            "login",
            "consent",
            "a%20b",
            "x+y",
            "%zz",
            "%C3%A9",
            "%FF",
            "login+consent",
            "none%20login",
            "openid%20email",
            "%",
        ];
        const EDIT_NAMES: [&str; 6] = ["a", "prompt", "scope", "a b", "\u{e9}", "x"];
        const EDIT_VALUES: [&str; 8] = [
            "1",
            "login",
            "none",
            "select_account login",
            "a b&c=d#e",
            "\u{e9}",
            "openid",
            " ",
        ];

        fn pair() -> impl Strategy<Value = String> {
            (0..NAMES.len(), prop::option::of(0..VALUES.len())).prop_map(|(n, v)| match v {
                Some(v) => format!("{}={}", NAMES[n], VALUES[v]),
                None => NAMES[n].to_owned(),
            })
        }

        fn location() -> impl Strategy<Value = String> {
            (
                prop::sample::select(vec![
                    "https://idp/a",
                    "https://idp.example/o/oauth2/v2/auth",
                ]),
                prop::option::of(prop::collection::vec(pair(), 0..24)),
                prop::option::of(prop::sample::select(vec!["", "f", "f?x=1&y"])),
            )
                .prop_map(|(base, query, fragment)| {
                    let mut location = base.to_owned();
                    if let Some(query) = query {
                        location.push('?');
                        location.push_str(&query.join("&"));
                    }
                    if let Some(fragment) = fragment {
                        location.push('#');
                        location.push_str(fragment);
                    }
                    location
                })
        }

        #[derive(Clone, Debug)]
        enum Spec {
            Set(&'static str, Mode),
            Remove,
            Drop(Reason),
        }

        fn spec() -> impl Strategy<Value = (&'static str, Spec)> {
            let mode = prop::sample::select(vec![Mode::Replace, Mode::Keep, Mode::Merge]);
            let op = prop_oneof![
                4 => (prop::sample::select(EDIT_VALUES.to_vec()), mode)
                    .prop_map(|(v, m)| Spec::Set(v, m)),
                1 => Just(Spec::Remove),
                1 => Just(Spec::Drop(Reason::Pattern)),
            ];
            (prop::sample::select(EDIT_NAMES.to_vec()), op)
        }

        fn op(spec: &Spec) -> Op<'static> {
            match spec {
                Spec::Set(value, mode) => Op::Set(Cow::Borrowed(value), *mode),
                Spec::Remove => Op::Remove,
                Spec::Drop(reason) => Op::Drop(*reason),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn one_pass_rewrite_is_the_reference_rewrite(
                location in location(),
                specs in prop::collection::vec(spec(), 0..5),
                max_len in prop_oneof![Just(usize::MAX), 0usize..200],
            ) {
                let mut edits: Vec<Edit<'_>> =
                    specs.iter().map(|(n, s)| Edit::new(n, op(s))).collect();
                let mut expected: Vec<reference::Edit<'_>> =
                    specs.iter().map(|(n, s)| reference::Edit::new(n, op(s))).collect();
                let got = rewrite(&location, &mut edits, max_len);
                let want = reference::rewrite(&location, &mut expected, max_len);
                prop_assert_eq!(&got, &want);
                if let Some(got) = &got {
                    prop_assert_eq!(got.capacity(), got.len(), "capacity is final");
                }
                let got: Vec<Outcome> = edits.iter().map(|e| e.outcome).collect();
                let want: Vec<Outcome> = expected.iter().map(|e| e.outcome).collect();
                prop_assert_eq!(got, want);
            }
        }

        proptest! {
            #[test]
            fn raw_pairs_split_as_str_split_does(query in "[a=&%+\u{e9}]{0,40}") {
                let expected: Vec<(&str, &str)> = if query.is_empty() {
                    Vec::new()
                } else {
                    query
                        .split('&')
                        .map(|p| (p, p.split_once('=').map_or(p, |(n, _)| n)))
                        .collect()
                };
                let got: Vec<(&str, &str)> =
                    RawPairs::new(&query).map(|p| (p.pair, p.name)).collect();
                prop_assert_eq!(got, expected);
                for pair in RawPairs::new(&query) {
                    prop_assert_eq!(pair.encoded, pair.name.contains(['%', '+']));
                }
            }
        }

        proptest! {
            #[test]
            fn raw_pairs_read_long_names_as_str_split_does(
                query in "([a-c%+\u{e9}]{0,20}[=&]?){0,5}",
            ) {
                let expected: Vec<(&str, &str, bool)> = if query.is_empty() {
                    Vec::new()
                } else {
                    query
                        .split('&')
                        .map(|p| {
                            let name = p.split_once('=').map_or(p, |(n, _)| n);
                            (p, name, name.contains(['%', '+']))
                        })
                        .collect()
                };
                let got: Vec<(&str, &str, bool)> =
                    RawPairs::new(&query).map(|p| (p.pair, p.name, p.encoded)).collect();
                prop_assert_eq!(got, expected);
            }

            #[test]
            fn split_is_the_reference_split(location in "[a?#/.]{0,30}") {
                prop_assert_eq!(split(&location), oracle::split(&location));
            }

            #[test]
            fn plain_host_is_the_reference(host in "([a0-9xX\\-]{0,5}[.]?){0,6}|([0-9]{1,4}[.]?){1,5}") {
                // The host is read inside `fast_endpoint`, with and without a port.
                let plain = !host.is_empty() && oracle::plain_host(&host);
                for location in [format!("https://{host}/p"), format!("https://{host}:8443/p")] {
                    let read = matches!(fast_endpoint(&location), Fast::Endpoint(_));
                    prop_assert_eq!(read, plain, "{}", location);
                }
            }

            #[test]
            fn plain_path_is_the_reference(path in "(/[a.%2eE\\\\ ]{0,6}){0,5}") {
                prop_assert_eq!(plain_path(&path), oracle::plain_path(&path), "{}", path);
            }
        }

        /// `split`, `plain_host` and `plain_path` as they were first written.
        mod oracle {
            use super::super::super::{Parts, is_dot_segment};

            pub(super) fn split(location: &str) -> Parts<'_> {
                let (rest, fragment) = match location.split_once('#') {
                    Some((rest, fragment)) => (rest, Some(fragment)),
                    None => (location, None),
                };
                let (base, query) = match rest.split_once('?') {
                    Some((base, query)) => (base, Some(query)),
                    None => (rest, None),
                };
                Parts {
                    base,
                    query,
                    fragment,
                }
            }

            pub(super) fn plain_host(host: &str) -> bool {
                let labels = host.split('.');
                if host.ends_with('.') || host.split('.').any(|l| l.is_empty()) {
                    return false;
                }
                if labels
                    .clone()
                    .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"))
                {
                    return false;
                }
                let last = host.rsplit('.').next().unwrap_or("");
                if last.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    return true;
                }
                let mut count = 0;
                for label in labels {
                    count += 1;
                    let canonical = label.len() <= 3
                        && label.bytes().all(|b| b.is_ascii_digit())
                        && (label == "0" || !label.starts_with('0'))
                        && label.parse::<u16>().is_ok_and(|n| n <= 255);
                    if !canonical {
                        return false;
                    }
                }
                count == 4
            }

            pub(super) fn plain_path(path: &str) -> bool {
                let chars_ok = path.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'/' | b'-'
                                | b'.'
                                | b'_'
                                | b'~'
                                | b'%'
                                | b'!'
                                | b'$'
                                | b'&'
                                | b'\''
                                | b'('
                                | b')'
                                | b'*'
                                | b'+'
                                | b','
                                | b';'
                                | b'='
                                | b':'
                                | b'@'
                        )
                });
                chars_ok && !path.split('/').any(is_dot_segment)
            }
        }

        #[test]
        fn long_merges_and_values_spill_to_the_heap_alike() {
            let long = "t".repeat(SCRATCH_LEN);
            let location = format!("https://idp/a?prompt={long}&x=1&prompt=b%20{long}x");
            for value in ["login", long.as_str()] {
                let mut edits = [Edit::new(
                    "prompt",
                    Op::Set(Cow::Borrowed(value), Mode::Merge),
                )];
                let mut expected = [reference::Edit::new(
                    "prompt",
                    Op::Set(Cow::Borrowed(value), Mode::Merge),
                )];
                assert_eq!(
                    rewrite(&location, &mut edits, usize::MAX),
                    reference::rewrite(&location, &mut expected, usize::MAX)
                );
                assert_eq!(edits[0].outcome, expected[0].outcome);
            }
        }

        #[test]
        fn decoding_in_place_is_decoding() {
            for raw in [
                "a", "a%40b", "a+b", "%", "%4", "%4g", "%%41", "+%2B+", "%C3%A9", "%FF", "%e9",
                "%+41", "a=b%3D",
            ] {
                let pair = format!("n={raw}");
                let mut space = [0u8; 64];
                let mut free: &mut [u8] = &mut space;
                assert_eq!(
                    decoded_value_in(&pair, &mut free),
                    decoded_value(&pair),
                    "{raw}"
                );
                let mut tiny = [0u8; 1];
                let mut free: &mut [u8] = &mut tiny;
                assert_eq!(
                    decoded_value_in(&pair, &mut free),
                    decoded_value(&pair),
                    "{raw}"
                );
            }
        }
    }
}
