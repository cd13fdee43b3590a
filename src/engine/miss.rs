//! [`Miss`]: why a URL selected no connection.

use std::fmt;

/// Why a redirect's `Location` (or a URL given to
/// [`Config::rewrite_location`](crate::Config::rewrite_location)) selected no connection,
/// and so was left as it is: [`Rewrite::miss`](crate::Rewrite::miss).
///
/// Each is the check that failed, in the order the layer makes them (DESIGN's "Matching"):
/// what [`reason`](Self::reason) and [`level`](Self::level) give is the event the layer
/// emits for it, and the `upstream-params explain` command names the nearest miss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Miss {
    /// Not visible ASCII (a raw `ö`, a DEL byte): a `Location` header that
    /// `HeaderValue::to_str` refuses. `DEBUG` `non_ascii_location`.
    NotAscii,
    /// Not an absolute `http(s)` URL, or an origin no connection is configured on: not ours,
    /// and no event.
    NotConfigured,
    /// A configured origin whose path matches no endpoint (a trailing slash, a typo).
    /// `DEBUG` `no_endpoint`.
    NoEndpoint,
    /// A configured endpoint where no connection is selected: the `Location`'s `client_id`
    /// is none of those configured there (or is given twice). `WARN` `no_connection`.
    NoConnection,
    /// The [`UpstreamConnection`](crate::UpstreamConnection) names a connection whose
    /// endpoint the `Location` does not match (or no connection at all). `WARN`
    /// `not_candidate`.
    NotCandidate,
}

impl Miss {
    /// The `reason` field of the layer's event for this miss (`non_ascii_location`,
    /// `no_endpoint`, `no_connection`, `not_candidate`); `None` where there is no event.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Miss::NotAscii => Some("non_ascii_location"),
            Miss::NotConfigured => None,
            Miss::NoEndpoint => Some("no_endpoint"),
            Miss::NoConnection => Some("no_connection"),
            Miss::NotCandidate => Some("not_candidate"),
        }
    }

    /// The level of the layer's event for this miss; `None` where there is no event.
    pub fn level(self) -> Option<tracing::Level> {
        match self {
            Miss::NotConfigured => None,
            Miss::NotAscii | Miss::NoEndpoint => Some(tracing::Level::DEBUG),
            Miss::NoConnection | Miss::NotCandidate => Some(tracing::Level::WARN),
        }
    }
}

impl fmt::Display for Miss {
    /// What failed, in a few words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Miss::NotAscii => "the URL is not visible ASCII",
            Miss::NotConfigured => "no connection is configured on this origin",
            Miss::NoEndpoint => "a configured origin, but no endpoint matches the path",
            Miss::NoConnection => "a configured endpoint, but its client_id selects no connection",
            Miss::NotCandidate => "the named connection is not configured for this endpoint",
        })
    }
}
