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

/// A name or value to write: text (a configured name, a resolved value), or the bytes of a
/// merged value (whose tokens need not be UTF-8).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Written<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Written<'a> {
    fn bytes(self) -> &'a [u8] {
        match self {
            Written::Text(s) => s.as_bytes(),
            Written::Bytes(b) => b,
        }
    }

    /// Its length once written, and whether it is written as it is.
    pub(crate) fn encoded_len(self) -> (usize, bool) {
        let bytes = self.bytes();
        if is_plain(bytes) {
            return (bytes.len(), true);
        }
        (byte_serialize(bytes).map(str::len).sum(), false)
    }

    /// Writes it form-encoded (`plain`: [`encoded_len`](Self::encoded_len) found nothing to
    /// encode).
    pub(crate) fn put(self, out: &mut String, plain: bool) {
        match self {
            Written::Text(s) if plain => out.push_str(s),
            other => out.extend(byte_serialize(other.bytes())),
        }
    }
}
