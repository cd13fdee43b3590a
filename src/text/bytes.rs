//! Finding bytes: where a query's names, values and pairs end, and whether a `Location` has
//! what a browser deletes.
//!
//! The short runs (names, values, host labels) are searched eight bytes at a time by
//! [`super::swar`], which callgrind shows to beat `memchr` and a byte-class table by 10 to
//! 20 % on the bench cases (see that module). A whole `Location`, searched once for tabs and
//! line breaks, goes to `memchr`.

pub(crate) use super::swar::{
    find_byte, find_either, has_escape, scan_name, scan_query_name, scan_query_value,
    scan_value,
};

/// Whether `bytes` has a tab or a line break (which a browser deletes from a URL).
#[inline]
pub(crate) fn has_tab_or_newline(bytes: &[u8]) -> bool {
    memchr::memchr3(b'\t', b'\n', b'\r', bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, at every position of names of a few lengths (around the eight-byte
    /// steps), against a plain loop.
    #[test]
    fn names_stop_and_escapes_show_as_a_plain_loop_says() {
        for b in 0..=255u8 {
            for len in [0usize, 1, 7, 8, 9, 15, 16, 17] {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    if at < len {
                        bytes[at] = b;
                    }
                    for fragment in [false, true] {
                        let stop = |c: u8| c == b'=' || c == b'&' || (fragment && c == b'#');
                        let end = bytes.iter().position(|&c| stop(c)).unwrap_or(len);
                        let encoded = bytes[..end].iter().any(|&c| c == b'%' || c == b'+');
                        let got = if fragment {
                            scan_query_name(&bytes, 0)
                        } else {
                            scan_name(&bytes, 0)
                        };
                        assert_eq!(got, (end, encoded), "{bytes:?}");
                        let either = bytes.iter().position(|&c| c == b'&' || c == b'#');
                        assert_eq!(find_either(&bytes, b'&', b'#'), either);
                        assert_eq!(find_byte(&bytes, b), bytes.iter().position(|&c| c == b));
                        let escape = bytes.iter().any(|&c| c == b'%' || c == b'+');
                        assert_eq!(has_escape(&bytes), escape);
                        let tab = bytes.iter().any(|&c| matches!(c, b'\t' | b'\n' | b'\r'));
                        assert_eq!(has_tab_or_newline(&bytes), tab);
                    }
                }
            }
        }
        assert_eq!(scan_value(b"a=b&c", 2), 3);
        assert_eq!(scan_query_value(b"a=b#c", 2), 3);
        assert_eq!(scan_query_value(b"a=b", 9), 3);
    }
}
