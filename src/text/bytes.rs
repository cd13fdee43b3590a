//! Finding bytes: where a query's names, values and pairs end.
//!
//! One or two needle bytes are found with [`memchr`] (which reads a word or a vector register
//! at a time); a name, which stops at any of three bytes and must also say whether it holds an
//! escape, is read byte by byte through a 256-entry class table, one lookup and one branch per
//! byte. Names are short (`login_hint`, `client_id`), so that loop never runs long; values,
//! which may run to kilobytes, are skipped with `memchr`.

/// Byte classes for reading a name: bits of [`NAME_CLASS`].
const STOP_PAIR: u8 = 1; // `=` and `&`: a name ends there
const STOP_FRAGMENT: u8 = 2; // `#`: a query (and so a name) ends there
const ESCAPE: u8 = 4; // `%` and `+`: the name must be decoded to be compared

const NAME_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'=' as usize] = STOP_PAIR;
    table[b'&' as usize] = STOP_PAIR;
    table[b'#' as usize] = STOP_FRAGMENT;
    table[b'%' as usize] = ESCAPE;
    table[b'+' as usize] = ESCAPE;
    table
};

/// The offset of the first `needle` in `bytes`.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, bytes)
}

/// The offset of the first `a` or `b` in `bytes`.
#[inline]
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    memchr::memchr2(a, b, bytes)
}

/// Whether `bytes` has a tab or a line break (which a browser deletes from a URL).
#[inline]
pub(crate) fn has_tab_or_newline(bytes: &[u8]) -> bool {
    memchr::memchr3(b'\t', b'\n', b'\r', bytes).is_some()
}

/// Whether `bytes` has a `%` or a `+` (so must be decoded).
#[inline]
pub(crate) fn has_escape(bytes: &[u8]) -> bool {
    find_either(bytes, b'%', b'+').is_some()
}

/// Reads a raw name from `start` up to a byte of class `stops` or the end: its end, and
/// whether it has a `%` or `+`.
#[inline(always)]
fn scan_name_to(bytes: &[u8], start: usize, stops: u8) -> (usize, bool) {
    let tail = bytes.get(start..).unwrap_or_default();
    let mut encoded = false;
    for (i, &b) in tail.iter().enumerate() {
        let class = NAME_CLASS[usize::from(b)];
        if class & stops != 0 {
            return (start + i, encoded);
        }
        encoded |= class & ESCAPE != 0;
    }
    (start + tail.len(), encoded)
}

/// Reads the raw name starting at `start` (up to `=`, `&` or the end): its end, and whether
/// it has a `%` or `+` (so must be decoded to be compared).
pub(crate) fn scan_name(bytes: &[u8], start: usize) -> (usize, bool) {
    scan_name_to(bytes, start, STOP_PAIR)
}

/// Like [`scan_name`], for a query that ends at a `#`: the name also stops there.
pub(crate) fn scan_query_name(bytes: &[u8], start: usize) -> (usize, bool) {
    scan_name_to(bytes, start, STOP_PAIR | STOP_FRAGMENT)
}

/// The index of the first `&` or `#` at or after `start`, or the end.
pub(crate) fn scan_query_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_either(tail, b'&', b'#').map_or(bytes.len(), |i| start + i)
}

/// The index of the first `&` at or after `start`, or the end.
pub(crate) fn scan_value(bytes: &[u8], start: usize) -> usize {
    let tail = bytes.get(start..).unwrap_or_default();
    find_byte(tail, b'&').map_or(bytes.len(), |i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, at every position of names of a few lengths, against a plain loop.
    #[test]
    fn names_stop_and_escapes_show_as_a_plain_loop_says() {
        for b in 0..=255u8 {
            for len in [0usize, 1, 7, 8, 9, 17] {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    if at < len {
                        bytes[at] = b;
                    }
                    for (stops, fragment) in [(STOP_PAIR, false), (STOP_PAIR | STOP_FRAGMENT, true)]
                    {
                        let stop = |c: u8| c == b'=' || c == b'&' || (fragment && c == b'#');
                        let end = bytes.iter().position(|&c| stop(c)).unwrap_or(len);
                        let encoded = bytes[..end].iter().any(|&c| c == b'%' || c == b'+');
                        assert_eq!(scan_name_to(&bytes, 0, stops), (end, encoded), "{bytes:?}");
                    }
                }
            }
        }
        assert_eq!(scan_value(b"a=b&c", 2), 3);
        assert_eq!(scan_query_value(b"a=b#c", 2), 3);
        assert_eq!(scan_query_value(b"a=b", 9), 3);
        assert!(has_escape(b"a+b") && has_escape(b"%") && !has_escape(b"ab"));
    }
}
