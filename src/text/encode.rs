//! Writing the result: names and values encoded as `application/x-www-form-urlencoded`.

use url::form_urlencoded::byte_serialize;

/// Whether `byte_serialize` leaves `s` as it is (ASCII alphanumerics and `*-._`).
fn is_plain(s: &[u8]) -> bool {
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
    s.iter().fold(0, |any, &b| any | ENCODED[usize::from(b)]) == 0
}

/// The length of `s` once written, and whether it is written as it is. Bytes, not text: a
/// merged value keeps the bytes of a token that is not UTF-8.
pub(crate) fn encoded_len(s: &[u8]) -> (usize, bool) {
    if is_plain(s) {
        return (s.len(), true);
    }
    (byte_serialize(s).map(str::len).sum(), false)
}

/// Writes `s` form-encoded (`plain`: it has nothing to encode, so it is ASCII).
pub(crate) fn put_encoded(out: &mut String, s: &[u8], plain: bool) {
    match std::str::from_utf8(s) {
        Ok(plain_text) if plain => out.push_str(plain_text),
        _ => out.extend(byte_serialize(s)),
    }
}
