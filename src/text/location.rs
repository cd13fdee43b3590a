//! Reading a `Location` as a browser does: the whitespace around it, and where its base,
//! query and fragment are.

use std::borrow::Cow;
use std::fmt::{self, Write};

use super::redact::Redacted;

use super::bytes::{find_byte, find_either, has_tab_or_newline};

/// A URL as a browser reads it: C0 controls and spaces around it ignored, and every tab
/// and line break in it deleted (the URL Standard's first steps). Borrows unless there is
/// something to delete inside.
pub(crate) fn browser_form(url: &str) -> Cow<'_, str> {
    let url = url.trim_matches(|c: char| c <= ' ');
    if has_tab_or_newline(url.as_bytes()) {
        Cow::Owned(
            url.chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect(),
        )
    } else {
        Cow::Borrowed(url)
    }
}

/// A rewritten URL whose end a browser would read otherwise than the same bytes inside it:
/// where a rewrite took out the pairs after one that ends in C0 controls or spaces, those
/// bytes are now last, and a browser trims them (it keeps them, percent-encoded, anywhere
/// else in a query). They are written percent-encoded, as a browser sends them, so that
/// the pair keeps its meaning and the URL reads the same when rewritten again. Any other
/// URL is returned as it is.
pub(crate) fn keep_tail(mut url: String) -> String {
    if url.as_bytes().last().is_none_or(|&b| b > b' ') {
        return url;
    }
    let kept = url.trim_end_matches(|c: char| c <= ' ').len();
    let tail = url.split_off(kept);
    url.reserve(tail.len() * 3);
    for byte in tail.bytes() {
        // Writing into a `String` does not fail.
        let _ = write!(url, "%{byte:02X}");
    }
    url
}

/// A `Location` cut at its first `#` and at the first `?` before that. `Debug` prints the
/// parts' lengths only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// Everything before the query (scheme, authority, path).
    pub(crate) base: &'a str,
    /// The text between `?` and `#`, if there is a `?`.
    pub(crate) query: Option<&'a str>,
    /// The text after `#`, if there is one.
    pub(crate) fragment: Option<&'a str>,
}

impl fmt::Debug for Parts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parts")
            .field("base", &Redacted::str(self.base))
            .field("query", &self.query.map(Redacted::str))
            .field("fragment", &self.fragment.map(Redacted::str))
            .finish()
    }
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
