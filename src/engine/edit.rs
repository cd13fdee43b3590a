//! One param to apply: its name, what to do with it, and what the reading pass found.

use std::borrow::Cow;
use std::fmt;

use super::report::{DropReason, Outcome, ValueSource};
use crate::config::Mode;
use crate::text::Redacted;

/// What to do with one param, once its value is resolved. `Debug` prints a value's length
/// only (so does every type holding one: [`Edit`], [`MergedValue`]).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    /// Send this (decoded) value, under this conflict mode.
    Set(Cow<'a, str>, Mode),
    /// Remove the param from the redirect.
    Remove,
    /// Do not send it; the redirect's own pair, if any, stays as it was.
    Drop(DropReason),
}

impl Op<'_> {
    /// The outcome of this op where the URL (or list of pairs) holds `occurrences` pairs of
    /// its name: the rules of every rewrite, in one place. `same` tells whether the one pair
    /// of the name already holds the new value, decoded (called for a `replace` of a name
    /// present once only): such a replace changes nothing and is `kept`. `merge` merges the
    /// new value with the existing ones (called for a present param in `merge` mode only):
    /// whether a token was added, or `None` where OIDC's `none` would stand beside another
    /// value.
    pub(crate) fn outcome(
        &self,
        occurrences: u32,
        same: impl FnOnce(&str) -> bool,
        merge: impl FnOnce(&str) -> Option<bool>,
    ) -> Outcome {
        let present = occurrences > 0;
        match self {
            Op::Drop(reason) => Outcome::Dropped(*reason),
            Op::Remove if present => Outcome::Removed,
            Op::Remove => Outcome::Dropped(DropReason::Missing),
            Op::Set(..) if !present => Outcome::Added,
            // `blog=b+v` for the value `b v`: nothing to write.
            Op::Set(value, Mode::Replace) if occurrences == 1 && same(value) => Outcome::Kept,
            Op::Set(_, Mode::Replace) => Outcome::Replaced,
            Op::Set(_, Mode::Keep) => Outcome::Kept,
            Op::Set(value, Mode::Merge) => match merge(value) {
                Some(added) if added || occurrences > 1 => Outcome::Merged,
                // Nothing new to say, or `none` would stand beside another value.
                _ => Outcome::Kept,
            },
        }
    }
}

/// One param to apply to a `Location`, and, after [`rewrite`], what happened to it.
#[derive(Clone, Debug)]
pub(crate) struct Edit<'a> {
    pub(crate) name: &'a str,
    pub(crate) op: Op<'a>,
    /// Where the value of a [`Op::Set`] came from.
    pub(crate) source: Option<ValueSource>,
    pub(crate) outcome: Outcome,
    /// How many pairs of the query bear this name.
    pub(crate) occurrences: u32,
    /// Their bytes, all together (separators not counted).
    pub(crate) matched_len: usize,
    /// The bytes of the first one's raw name (kept as it was by `replace` and `merge`).
    pub(crate) first_name_len: usize,
    pub(crate) merged: Option<MergedValue>,
    pub(crate) seen: bool,
    /// Whether the name and the new value are written as they are (no byte to encode),
    /// found once by [`output_len`] for [`write`].
    pub(crate) plain_name: bool,
    pub(crate) plain_value: bool,
}

impl<'a> Edit<'a> {
    /// A placeholder, overwritten before use.
    pub(crate) const EMPTY: Edit<'static> = Edit::new("", Op::Remove);

    /// `name`, to be given `op`; what happened is filled in by the rewrite.
    pub(crate) const fn new(name: &'a str, op: Op<'a>) -> Self {
        Self {
            name,
            op,
            source: None,
            outcome: Outcome::Dropped(DropReason::Missing),
            occurrences: 0,
            matched_len: 0,
            first_name_len: 0,
            merged: None,
            seen: false,
            plain_name: false,
            plain_value: false,
        }
    }
}

/// Where a merged value is kept while the `Location` is written.
#[derive(Clone)]
pub(crate) enum MergedValue {
    /// `len` bytes at `start` of the rewrite's [`Scratch`].
    Scratch { start: usize, len: usize },
    /// On the heap, for values too long for the scratch space.
    Heap(Vec<u8>),
}

impl fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Set(value, mode) => f
                .debug_tuple("Set")
                .field(&Redacted::str(value))
                .field(mode)
                .finish(),
            Op::Remove => f.write_str("Remove"),
            Op::Drop(reason) => f.debug_tuple("Drop").field(reason).finish(),
        }
    }
}

impl fmt::Debug for MergedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergedValue::Scratch { start, len } => f
                .debug_struct("Scratch")
                .field("start", start)
                .field("len", len)
                .finish(),
            MergedValue::Heap(bytes) => f.debug_tuple("Heap").field(&Redacted(bytes)).finish(),
        }
    }
}
