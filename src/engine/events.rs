//! What the engine logs: the `tracing` target, and how a miss, an endpoint, a connection's
//! name and a `client_id` are written into events (never a value or a query).

use std::fmt;

use super::miss::Miss;
use crate::Config;
use crate::text::{Lookup, Scan, split};

/// The `tracing` target of every event the crate emits.
pub(crate) const TARGET: &str = "tower_upstream_params";

/// The event (and, with `metrics`, the count) of a URL that selects no connection.
pub(super) fn report_miss(
    miss: Miss,
    url: &str,
    named: Option<&str>,
    config: &Config,
    scan: &Scan<'_>,
) {
    match miss {
        Miss::NoEndpoint => tracing::debug!(
            target: TARGET,
            reason = "no_endpoint",
            endpoint = %Endpoint(url),
            "redirect to a configured origin matches no endpoint path; nothing rewritten"
        ),
        Miss::NoConnection => tracing::warn!(
            target: TARGET,
            reason = "no_connection",
            endpoint = %Endpoint(url),
            client_id = %ClientId(scan.client_id()),
            "redirect to a configured endpoint selects no connection; nothing rewritten"
        ),
        Miss::NotCandidate => tracing::warn!(
            target: TARGET,
            reason = "not_candidate",
            connection = %Named(named.unwrap_or(""), config),
            endpoint = %Endpoint(url),
            "UpstreamConnection names a connection that is not configured for this endpoint; \
             nothing rewritten"
        ),
        Miss::NotAscii | Miss::NotConfigured => {}
    }
    #[cfg(feature = "metrics")]
    if let (Some(reason), false) = (miss.reason(), miss == Miss::NotAscii) {
        crate::metrics::miss(reason);
    }
}

/// A URL without its query and fragment (which hold personal data) or user information, for
/// events.
pub(crate) struct Endpoint<'a>(pub(crate) &'a str);

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = split(self.0).base;
        if base.contains('@') {
            f.write_str("(redacted: user information)")
        } else {
            f.write_str(base)
        }
    }
}

/// An [`UpstreamConnection`](crate::UpstreamConnection) name for events: a configured name as
/// it is, anything else (often a client's `?connection=`) as `unknown` and its length, never
/// the string.
pub(crate) struct Named<'a>(pub(crate) &'a str, pub(crate) &'a Config);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1.compiled.index.find_name(self.0).is_some() {
            f.write_str(self.0)
        } else {
            write!(f, "unknown ({} bytes)", self.0.len())
        }
    }
}

/// A `Location`'s `client_id` for the `no_connection` event: an identifier the client sent
/// in the clear, printed with control characters escaped.
struct ClientId<'a>(Lookup<'a>);

impl fmt::Display for ClientId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Lookup::Missing => f.write_str("(none)"),
            Lookup::Ambiguous => f.write_str("(repeated)"),
            Lookup::Found(id) => write!(f, "{:?}", &**id),
        }
    }
}
