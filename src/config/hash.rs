//! The index's string hash, eight bytes at a time.
//!
//! Hosts are hashed and compared ignoring ASCII case, a word at a time (`lowercase_word`
//! lowers eight bytes in a few instructions): a lookup hashes the host and the path of every
//! redirect to a configured endpoint, so this is on the hot path.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// Eight bytes (exactly) as a little-endian word.
pub(crate) fn load(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    u64::from_le_bytes(bytes)
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

/// A string hash of a few instructions per eight bytes, for the index's tables.
///
/// It is not keyed, and need not be: the tables are filled from the configuration (which the
/// operator writes) and only *looked up* with what a redirect carries. A crafted `Location`
/// can at worst hash like a configured key and be compared with it; it cannot make a chain
/// longer. Keys that hash alike within a configuration are chained and compared in full.
#[derive(Clone, Copy)]
pub(crate) struct KeyHash(u64);

impl KeyHash {
    pub(crate) const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

    pub(crate) fn new() -> Self {
        KeyHash(0x243f_6a88_85a3_08d3)
    }

    pub(crate) fn word(self, word: u64) -> Self {
        KeyHash((self.0.rotate_left(26) ^ word).wrapping_mul(Self::MULTIPLIER))
    }

    pub(crate) fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes(), |word| word)
    }

    /// Bytes hashed as [`KeyHash::str`] hashes the string they are.
    pub(crate) fn raw(self, s: &[u8]) -> Self {
        self.bytes(s, |word| word)
    }

    /// Bytes hashed as their ASCII lowercase would be.
    pub(crate) fn lowercase(self, s: &[u8]) -> Self {
        self.bytes(s, lowercase_word)
    }

    fn bytes(mut self, s: &[u8], map: impl Fn(u64) -> u64) -> Self {
        let mut words = s.chunks_exact(8);
        for word in &mut words {
            self = self.word(map(load(word)));
        }
        let mut last = [0u8; 8];
        let rest = words.remainder();
        last[..rest.len()].copy_from_slice(rest);
        // The length ends the string, so that `("ab", "c")` and `("a", "bc")` differ.
        self.word(map(u64::from_le_bytes(last)))
            .word(s.len() as u64)
    }

    pub(crate) fn origin(self, https: bool, port: u16, host: &[u8]) -> Self {
        self.word(u64::from(https) | u64::from(port) << 8)
            .lowercase(host)
    }

    /// Mixes every bit into the high and low ones (the table uses both).
    pub(crate) fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Whether `lower` (lowercase) is `s` made lowercase, eight bytes at a time.
pub(crate) fn is_lowercase_of(lower: &str, s: &[u8]) -> bool {
    let lower = lower.as_bytes();
    if lower.len() != s.len() {
        return false;
    }
    let (mut l, mut w) = (lower.chunks_exact(8), s.chunks_exact(8));
    (&mut l)
        .zip(&mut w)
        .all(|(l, w)| load(l) == lowercase_word(load(w)))
        && l.remainder()
            .iter()
            .zip(w.remainder())
            .all(|(l, w)| *l == w.to_ascii_lowercase())
}

/// Hands a key that is already a [`KeyHash`] to the table as it is.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; this keeps any other key correct all the same.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(KeyHash::MULTIPLIER);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Key hash -> the first endpoint or connection with that hash (the others are chained).
pub(crate) type Table = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

#[cfg(test)]
mod tests {
    use super::*;

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
}
