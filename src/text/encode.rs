//! Writing the result: names and values encoded as `application/x-www-form-urlencoded`.

use url::form_urlencoded::byte_serialize;

/// What `byte_serialize` makes of each byte, as bits: [`CHANGED`] where it writes
/// something else (`+` for a space), [`ESCAPED`] where that is `%XX` (two bytes more).
const CHANGED: u8 = 1;
const ESCAPED: u8 = 2;

const SERIALIZED: [u8; 256] = {
    let mut table = [CHANGED | ESCAPED; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_') {
            table[b] = 0;
        } else if c == b' ' {
            table[b] = CHANGED;
        }
        b += 1;
    }
    table
};

/// A name or value to write: text (a configured name, a resolved value), or the bytes of a
/// merged value (whose tokens need not be UTF-8). `Debug` prints its length only.
#[derive(Clone, Copy)]
pub(crate) enum Written<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl std::fmt::Debug for Written<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Written")
            .field(&super::Redacted(self.bytes()))
            .finish()
    }
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
        // What kinds of bytes there are first (an OR over a table, which the compiler
        // vectorizes); only a value with something to encode is counted byte by byte, from
        // the same table: the length `byte_serialize` gives, without running it twice (it
        // writes the value in `put`).
        let bytes = self.bytes();
        let kinds = bytes
            .iter()
            .fold(0, |kinds, &b| kinds | SERIALIZED[usize::from(b)]);
        if kinds == 0 {
            return (bytes.len(), true);
        }
        let escaped = if kinds & ESCAPED == 0 {
            0
        } else {
            bytes
                .iter()
                .map(|&b| usize::from(SERIALIZED[usize::from(b)] & ESCAPED))
                .sum()
        };
        (bytes.len() + escaped, false)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The length and plainness `encoded_len` gives are `byte_serialize`'s, for every byte
    /// value alone and in company.
    #[test]
    fn encoded_len_is_byte_serialize_s() {
        let mut inputs: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        inputs.push((0..=255u8).collect());
        inputs.push(b"john.doe@acme.com".to_vec());
        inputs.push(b"a b+c%20d*e-f_g~h".to_vec());
        inputs.push(Vec::new());
        for input in inputs {
            let serialized: String = byte_serialize(&input).collect();
            let expected = (serialized.len(), serialized.as_bytes() == input);
            assert_eq!(Written::Bytes(&input).encoded_len(), expected, "{input:?}");
        }
    }
}
