//! Finding bytes in short runs, eight bytes at a time ("SWAR", in safe code): where a
//! query's values, names and pairs end.
//!
//! Why hand-written and not `memchr`: the runs searched here are short (a name, a value of a
//! few dozen bytes, a host label), and a call into `memchr`'s vector routines costs more than
//! the search. Measured with callgrind on the bench cases (BENCHMARKS.md, "The house"):
//! `memchr` / `memchr2` and a 256-entry class table for names cost 10 to 20 % more
//! instructions on every rewrite case and 2 to 20 % on matching than these. `memchr` is used
//! where a whole `Location` is searched once (`memchr3` for tabs and line breaks).

/// Eight bytes (exactly) as a little-endian word.
fn load(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    u64::from_le_bytes(bytes)
}

// A `u64` per eight bytes of input, and the
// classic test for a zero byte. `zero_bytes` flags the high bit of each byte that may be
// zero; the lowest flag is exact (false flags only appear above a true one), so `first`
// finds the first match.

const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}


fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(splat(0x01)) & !x & splat(0x80)
}


/// The index of the byte flagged lowest in `flags` (not zero).
fn first(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The offset of the first `needle` in `bytes`, eight bytes at a time (it serves short
/// inputs: a host's labels, a path's segments, the base).
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
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
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
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
pub(crate) fn scan_name(bytes: &[u8], start: usize) -> (usize, bool) {
    scan_name_to(bytes, start, b'=')
}

/// Like [`scan_name`], for a query that ends at a `#`: the name also stops there.
pub(crate) fn scan_query_name(bytes: &[u8], start: usize) -> (usize, bool) {
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
pub(crate) fn scan_query_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_either(tail, b'&', b'#').map_or(bytes.len(), |i| start + i)
}

/// Whether `bytes` has a `%` or a `+` (so must be decoded), eight bytes at a time.
pub(crate) fn has_escape(bytes: &[u8]) -> bool {
    let escape = |word: u64| zero_bytes(word ^ splat(b'%')) | zero_bytes(word ^ splat(b'+'));
    let mut words = bytes.chunks_exact(8);
    words.any(|word| escape(load(word)) != 0)
        || words.remainder().iter().any(|&b| b == b'%' || b == b'+')
}

/// The index of the first `&` at or after `start`, or the end.
pub(crate) fn scan_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_either(tail, b'&', b'&').map_or(bytes.len(), |i| start + i)
}
