//! What happened to each param: the outcomes a rewrite reports.

/// Why a param was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// No source had a (non-empty) value; for `remove`, the redirect did not carry the param.
    Missing,
    /// The query carried the source name more than once.
    Ambiguous,
    /// The value was longer than its `max_len`.
    TooLong,
    /// The value did not match its `pattern`.
    Pattern,
    /// The rewritten `Location` would have been longer than `limits.max_location_len`.
    LocationTooLong,
    /// The redirect carries `request` or `request_uri` (JAR / PAR).
    ParOrJar,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Ambiguous => "ambiguous",
            Reason::TooLong => "too_long",
            Reason::Pattern => "pattern",
            Reason::LocationTooLong => "location_too_long",
            Reason::ParOrJar => "par_or_jar",
        }
    }
}

/// What happened to one param.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Appended after the existing pairs.
    Added,
    /// Written in place of the first existing pair of that name; further ones removed.
    Replaced,
    /// Merged into the first existing pair of that name; further ones removed.
    Merged,
    /// The existing pair was left as it was.
    Kept,
    /// Every existing pair of that name was removed.
    Removed,
    /// Not sent, for this reason.
    Dropped(Reason),
}

impl Outcome {
    pub(crate) fn changes(self) -> bool {
        matches!(
            self,
            Outcome::Added | Outcome::Replaced | Outcome::Merged | Outcome::Removed
        )
    }
}
