//! One param to apply: its name, what to do with it, and what the reading pass found.

use std::borrow::Cow;

use super::outcome::{Outcome, Reason};
use crate::config::Mode;

/// What to do with one param, once its value is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    /// Send this (decoded) value, under this conflict mode.
    Set(Cow<'a, str>, Mode),
    /// Remove the param from the redirect.
    Remove,
    /// Do not send it; the redirect's own pair, if any, stays as it was.
    Drop(Reason),
}

/// One param to apply to a `Location`, and, after [`rewrite`], what happened to it.
#[derive(Clone, Debug)]
pub(crate) struct Edit<'a> {
    pub(crate) name: &'a str,
    pub(crate) op: Op<'a>,
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
            outcome: Outcome::Dropped(Reason::Missing),
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
#[derive(Clone, Debug)]
pub(crate) enum MergedValue {
    /// `len` bytes at `start` of the rewrite's [`Scratch`].
    Scratch { start: usize, len: usize },
    /// On the heap, for values too long for the scratch space.
    Heap(String),
}
