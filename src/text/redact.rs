//! [`Redacted`]: text as its length, for the `Debug` of every type that holds a query, a
//! value or a URL. DESIGN.md: no `Debug` prints one (a `login_hint` is an email address).

use std::fmt;

/// Prints `<N bytes>` in place of the text it holds.
pub(crate) struct Redacted<'a>(pub(crate) &'a [u8]);

impl<'a> Redacted<'a> {
    /// The text `s`, as its length.
    pub(crate) fn str(s: &'a str) -> Self {
        Redacted(s.as_bytes())
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}
