//! Paths with `*` segments: a configured path's pattern and mask, and how the index counts,
//! keys, matches and orders them (see the index's "How a lookup is bounded").

use std::cmp::Ordering;

use super::hash::KeyHash;

/// The most segments a path with `*` segments may have, the empty one before its first `/`
/// included (`/a/*` has three): its mask is a `u64`.
pub(crate) const MAX_WILD_SEGMENTS: usize = 64;

/// An `authorization_url` path: literal, or with `*` segments that match any one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(super) path: String,
    /// Bit `i` set: segment `i` is `*`. Zero for a literal path.
    pub(super) wild: u64,
    /// How many segments the path has, for a path with `*` segments (else 0).
    pub(super) segments: u8,
}

impl Pattern {
    /// The pattern of `path`; `None` for a path with `*` segments and more than
    /// [`MAX_WILD_SEGMENTS`] segments.
    pub(crate) fn new(path: &str) -> Option<Self> {
        let mut wild = 0u64;
        let mut count = 0usize;
        for (i, segment) in path.split('/').enumerate() {
            count = i + 1;
            if segment == "*" {
                wild |= 1u64.checked_shl(u32::try_from(i).ok()?)?;
            }
        }
        let segments = if wild == 0 {
            0
        } else if count <= MAX_WILD_SEGMENTS {
            u8::try_from(count).ok()?
        } else {
            return None;
        };
        Some(Pattern {
            path: path.to_owned(),
            wild,
            segments,
        })
    }
}

/// The segments of a path, as bytes: a plain loop over a few dozen bytes costs less than
/// `str::split`'s searcher (a `memchr` call per segment).
fn segments_of(path: &str) -> impl Iterator<Item = &[u8]> {
    path.as_bytes().split(|&b| b == b'/')
}

/// How many segments `path` has (one more than its `/`), if at most [`MAX_WILD_SEGMENTS`].
pub(super) fn segment_count(path: &str) -> Option<u8> {
    let count = path.bytes().filter(|&b| b == b'/').count() + 1;
    u8::try_from(count)
        .ok()
        .filter(|&n| usize::from(n) <= MAX_WILD_SEGMENTS)
}

/// All the segments' bits of a path of `segments` segments.
fn all_segments(segments: u8) -> u64 {
    1u64.checked_shl(u32::from(segments))
        .map_or(u64::MAX, |bit| bit.wrapping_sub(1))
}

/// The key of an endpoint with `*` segments, or of a `Location` path seen through a mask:
/// the origin, the segment count, the mask, and the segments the mask keeps (literal).
pub(super) fn masked_key(origin: u32, segments: u8, wild: u64, path: &str) -> u64 {
    let mut key = KeyHash::new()
        .word(u64::from(origin))
        .word(u64::from(segments))
        .word(wild);
    let mut literal = !wild & all_segments(segments);
    for segment in segments_of(path) {
        if literal & 1 == 1 {
            key = key.raw(segment);
        }
        literal >>= 1;
    }
    key.finish()
}

/// Whether `path` matches `pattern` (a path with `*` segments, `wild` its mask): as many
/// segments, and the same wherever the pattern's is not `*`.
pub(super) fn wildcard_matches(pattern: &str, wild: u64, path: &str) -> bool {
    let (mut pattern, mut path) = (segments_of(pattern), segments_of(path));
    let mut i = 0u32;
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) => {
                let is_wild = wild.checked_shr(i).is_some_and(|w| w & 1 == 1);
                if !is_wild && p != s {
                    return false;
                }
                i = i.saturating_add(1);
            }
            _ => return false,
        }
    }
}

/// Which of two masks of one segment count is the more specific (`Less`: `a` first): more
/// literal segments; then the one whose leftmost differing segment is literal.
pub(super) fn specificity(a: u64, b: u64) -> Ordering {
    a.count_ones().cmp(&b.count_ones()).then_with(|| {
        let differ = a ^ b;
        let first = differ & differ.wrapping_neg();
        match (differ, a & first) {
            (0, _) => Ordering::Equal,
            (_, 0) => Ordering::Less,
            _ => Ordering::Greater,
        }
    })
}
