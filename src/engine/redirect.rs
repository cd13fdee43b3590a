//! The response side: is this a redirect to a configured IdP, and what does it become?

use std::fmt;

use arc_swap::ArcSwap;
use http::header::LOCATION;
use http::{HeaderValue, Response, StatusCode};

use super::edit::Edit;
use super::outcome::Outcome;
use super::resolve::resolve;
use super::rewrite::rewrite_scanned;
use crate::config::Selection;
use crate::text::{Scan, base, split};
use crate::{Config, UpstreamConnection, UpstreamValues};

/// The `tracing` target of every event the layer emits.
pub(crate) const TARGET: &str = "tower_upstream_params";

/// Params whose edits live on the stack; a connection with more puts them in a `Vec`.
const INLINE_EDITS: usize = 8;

/// Bytes of stack space for the percent-decoded alias values of one rewrite.
const DECODE_SPACE: usize = 512;

/// Whether the layer looks at a response at all: `301`, `302`, `303`, `307`, `308`.
#[inline]
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Rewrites `response`'s `Location` if it is a redirect to a configured connection.
/// `query` and `request_values` are what the request carried.
pub(crate) fn process<B>(
    config: &ArcSwap<Config>,
    dry_run: bool,
    query: Option<&str>,
    request_values: Option<&UpstreamValues>,
    response: &mut Response<B>,
) {
    if !is_redirect(response.status()) {
        return;
    }
    let mut locations = response.headers().get_all(LOCATION).iter();
    let (Some(location), None) = (locations.next(), locations.next()) else {
        return;
    };
    let Ok(location) = location.to_str() else {
        tracing::debug!(
            target: TARGET,
            reason = "non_ascii_location",
            "redirect Location is not visible ASCII; passed through"
        );
        return;
    };
    // A browser ignores the whitespace around a URL; read and rewrite the URL itself, so that
    // nothing is appended after a trailing space (which would become part of the last pair).
    let location = location.trim_matches([' ', '\t']);
    let config = config.load();
    let compiled = &config.compiled;
    let named = response.extensions().get::<UpstreamConnection>();
    // Its base first: most redirects go elsewhere, and their query is never read.
    let base = base(location);
    // Not a configured endpoint (`Miss::NotConfigured`), or a configured origin whose path
    // matches no endpoint (`Miss::NoEndpoint`): not rewritten.
    let Ok(candidates) = compiled.index.candidates(location, base) else {
        return;
    };
    // Then the query, once, for choosing the connection and for rewriting.
    let mut scan = Scan::EMPTY;
    scan.read_after(location, base);
    let connection =
        match compiled
            .index
            .choose(&candidates, &scan, named.map(UpstreamConnection::name))
        {
            Selection::NotConfigured => return,
            Selection::Selected(id) => match compiled.connection(id) {
                Some(connection) => connection,
                None => return,
            },
            Selection::NoConnection => {
                tracing::warn!(
                    target: TARGET,
                    reason = "no_connection",
                    endpoint = %Endpoint(location),
                    "redirect to a configured endpoint selects no connection; nothing rewritten"
                );
                return;
            }
            Selection::NotCandidate => {
                tracing::warn!(
                    target: TARGET,
                    reason = "not_candidate",
                    connection = named.map_or("", UpstreamConnection::name),
                    endpoint = %Endpoint(location),
                    "UpstreamConnection names a connection that is not configured for this \
                     endpoint; nothing rewritten"
                );
                return;
            }
        };

    let rewritten = {
        let response_values = response.extensions().get::<UpstreamValues>();
        // Aliases' percent-decoded values go here, and the edits on the stack too: a rewrite
        // allocates its output and nothing else (but for longer values or more params).
        let mut decoded = [0u8; DECODE_SPACE];
        let mut free: &mut [u8] = &mut decoded;
        let params = &connection.params;
        let mut resolved = params.iter().map(|param| {
            let op = resolve(
                param.kind,
                response_values,
                request_values,
                query,
                &mut free,
            );
            Edit::new(param.name, op)
        });
        let mut inline: [Edit<'_>; INLINE_EDITS];
        let mut heap: Vec<Edit<'_>>;
        let edits: &mut [Edit<'_>] = if params.len() <= INLINE_EDITS {
            inline = [const { Edit::EMPTY }; INLINE_EDITS];
            for (slot, edit) in inline.iter_mut().zip(&mut resolved) {
                *slot = edit;
            }
            &mut inline[..params.len()]
        } else {
            heap = resolved.collect();
            &mut heap
        };
        let rewritten = rewrite_scanned(&scan, edits, compiled.limits.max_location_len);
        tracing::info!(
            target: TARGET,
            connection = %connection.name,
            dry_run,
            rewritten = rewritten.is_some(),
            params = %Report(edits),
            "redirect to upstream identity provider"
        );
        rewritten
    };
    if dry_run {
        return;
    }
    if let Some(value) = rewritten.and_then(|s| HeaderValue::try_from(s).ok()) {
        // The one `Location` read above takes the new value in place.
        if let Some(location) = response.headers_mut().get_mut(LOCATION) {
            *location = value;
        }
    }
}

/// `name:outcome` for each param, e.g. `blog:added, screen_name:dropped(missing)`. Names
/// only: values are never logged.
struct Report<'a, 'e>(&'a [Edit<'e>]);

impl fmt::Display for Report<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, edit) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let outcome = match edit.outcome {
                Outcome::Added => "added",
                Outcome::Replaced => "replaced",
                Outcome::Merged => "merged",
                Outcome::Kept => "kept",
                Outcome::Removed => "removed",
                Outcome::Dropped(reason) => {
                    write!(f, "{}:dropped({})", edit.name, reason.as_str())?;
                    continue;
                }
            };
            write!(f, "{}:{outcome}", edit.name)?;
        }
        Ok(())
    }
}

/// A `Location` without its query and fragment (which hold personal data) or user
/// information, for WARN events.
struct Endpoint<'a>(&'a str);

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
