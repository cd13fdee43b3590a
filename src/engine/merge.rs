//! `"mode": "merge"`: space-delimited union of the broker's values and the new ones, on the
//! stack where it fits.

use std::borrow::Cow;

use super::edit::MergedValue;
use crate::text::{decoded_bytes_in, name_is, pairs};

/// Bytes of stack space for merged values (and for decoding the values they merge with), so
/// that a merge allocates nothing but the output.
pub(crate) const SCRATCH_LEN: usize = 512;

/// Stack space for the merged values of one rewrite (none when nothing is merged).
pub(crate) struct Scratch<'b> {
    pub(crate) buf: &'b mut [u8],
    pub(crate) used: usize,
}

/// Merges the values of `name`'s pairs in `query` with `new`, in the scratch space if it
/// fits, else on the heap: the merged value and whether a token was added, or `None` where
/// `none` would stand beside another value. Only a merge that is used keeps its space.
pub(crate) fn merge_in(
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
        merge_existing(&mut value, &decoded_bytes_in(pair, &mut free));
    }
    let added = merge_new(&mut value, new.as_bytes());
    if value.overflow {
        let existing = pairs(query).filter(|p| name_is(p, name)).map(|pair| {
            let mut free: &mut [u8] = &mut [];
            decoded_bytes_in(pair, &mut free)
        });
        return merge_bytes(existing, new.as_bytes())
            .map(|(value, added)| (MergedValue::Heap(value), added));
    }
    if !merge_allowed(value.bytes()) {
        return None;
    }
    let len = value.len;
    scratch.used += len;
    Some((MergedValue::Scratch { start, len }, added))
}

/// The space-delimited union of existing values (first, in order) and new ones. `Debug`
/// prints the value's length only.
#[derive(PartialEq, Eq)]
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
    let existing = existing.into_iter().map(|value| match value {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    });
    let (value, added) = merge_bytes(existing, new.as_bytes())?;
    // Whole tokens of UTF-8 strings joined by spaces are UTF-8.
    String::from_utf8(value)
        .ok()
        .map(|value| Merged { value, added })
}

/// [`merge`] over bytes: tokens are compared and kept byte for byte (a token that is not
/// UTF-8 stays as it was). The merged value and whether a token was added.
pub(crate) fn merge_bytes<'a, I>(existing: I, new: &[u8]) -> Option<(Vec<u8>, bool)>
where
    I: IntoIterator<Item = Cow<'a, [u8]>>,
{
    // Tokens seen are hashed: a value of many tokens merges in linear time.
    let existing: Vec<Cow<'a, [u8]>> = existing.into_iter().collect();
    let tokens = existing
        .iter()
        .flat_map(|value| value.split(|&b| b == b' ').map(|token| (token, false)))
        .chain(new.split(|&b| b == b' ').map(|token| (token, true)));
    let mut seen = std::collections::HashSet::new();
    let mut value = Vec::new();
    let mut added = false;
    for (token, is_new) in tokens {
        if token.is_empty() || !seen.insert(token) {
            continue;
        }
        if !value.is_empty() {
            value.push(b' ');
        }
        value.extend_from_slice(token);
        added |= is_new;
    }
    merge_allowed(&value).then_some((value, added))
}

/// Stack space for one merged value; `overflow` once something did not fit.
struct Slot<'b> {
    buf: &'b mut [u8],
    len: usize,
    overflow: bool,
}

impl Slot<'_> {
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn append(&mut self, s: &[u8]) {
        match self.buf.get_mut(self.len..self.len + s.len()) {
            Some(dst) if !self.overflow => {
                dst.copy_from_slice(s);
                self.len += s.len();
            }
            _ => self.overflow = true,
        }
    }
}

/// Adds `token` unless it is empty or already there; whether it was added.
fn push_token(value: &mut Slot<'_>, token: &[u8]) -> bool {
    if token.is_empty() || value.bytes().split(|&b| b == b' ').any(|t| t == token) {
        return false;
    }
    if !value.bytes().is_empty() {
        value.append(b" ");
    }
    value.append(token);
    true
}

fn merge_existing(value: &mut Slot<'_>, existing: &[u8]) {
    for token in existing.split(|&b| b == b' ') {
        push_token(value, token);
    }
}

fn merge_new(value: &mut Slot<'_>, new: &[u8]) -> bool {
    let mut added = false;
    for token in new.split(|&b| b == b' ') {
        added |= push_token(value, token);
    }
    added
}

/// Whether a merged value is allowed: never `none` beside another value.
fn merge_allowed(value: &[u8]) -> bool {
    let has_none = value.split(|&b| b == b' ').any(|t| t == b"none");
    !(has_none && value.contains(&b' '))
}

impl std::fmt::Debug for Merged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merged")
            .field("value", &crate::text::Redacted::str(&self.value))
            .field("added", &self.added)
            .finish()
    }
}
