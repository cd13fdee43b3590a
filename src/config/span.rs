//! Positions in the compiled configuration's text and lists, in 32 bits.

/// `len` items from `start`: a string in [`Compiled`]'s text (or the index's), or a
/// connection's params in its param list. 32 bits each, so that a param takes a few dozen
/// bytes; loading refuses a configuration whose text or lists would not fit (more than 4 GiB
/// of names and values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Span {
    /// The span of `len` items from `start`, if both fit in 32 bits.
    pub(crate) fn new(start: usize, len: usize) -> Option<Span> {
        let end = start.checked_add(len)?;
        u32::try_from(end).ok()?;
        Some(Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(len).ok()?,
        })
    }

    /// The positions covered, for `get`: out of range, `get` gives `None` (never a panic).
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start.saturating_add(self.len as usize)
    }
}
