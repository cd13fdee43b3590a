//! One URL through the rules: which connection it selects, each param resolved, the new URL
//! written, the [`UpstreamReport`]. The layer and
//! [`Config::rewrite_location`](crate::Config::rewrite_location) both call [`apply`]: one
//! rule set.

use std::fmt;

use super::edit::Edit;
use super::report::{ParamReport, UpstreamReport};
use super::resolve::resolve;
use super::rewrite::{rewrite_scanned, too_long};
use super::sources::AliasSources;
use crate::config::{Compiled, Miss, Selection};
use crate::text::{Scan, base, browser_form, keep_tail, split};

/// The `tracing` target of every event the crate emits.
pub(crate) const TARGET: &str = "tower_upstream_params";

/// Params whose edits live on the stack; a connection with more puts them in a `Vec`.
const INLINE_EDITS: usize = 8;

/// Bytes of stack space for the percent-decoded alias values of one rewrite.
const DECODE_SPACE: usize = 512;

/// What the rules make of one URL.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The new URL, when it changes (never in a dry run).
    pub(crate) location: Option<String>,
    /// The outcomes, when a connection was selected.
    pub(crate) report: Option<UpstreamReport>,
}

/// Applies the configuration to `url`, as a browser reads it (the whitespace around it
/// ignored, tabs and line breaks deleted).
///
/// `named` is the connection an [`UpstreamConnection`](crate::UpstreamConnection) names;
/// `dry_run` the caller's own dry run (a connection's `"dry_run": true` is read here). WARN
/// events for a redirect that selects no connection (`no_connection`) or that names a
/// connection whose endpoint it does not match (`not_candidate`), and the DEBUG event for an
/// unmatched path on a configured origin (`no_endpoint`), are emitted here; the event that
/// reports the outcomes is the caller's.
pub(crate) fn apply(
    compiled: &Compiled,
    url: &str,
    named: Option<&str>,
    sources: &AliasSources<'_>,
    dry_run: bool,
) -> Applied {
    let url = browser_form(url);
    let url: &str = &url;
    // Its base first: most redirects go elsewhere, and their query is never read.
    let base = base(url);
    let candidates = match compiled.index.candidates(url, base) {
        Ok(candidates) => candidates,
        Err(miss) => {
            if let Some(name) = named {
                // The broker meant that connection: a typo in its `authorization_url` must
                // not fail silently, whatever the origin.
                not_candidate(name, url);
            } else if miss == Miss::NoEndpoint {
                tracing::debug!(
                    target: TARGET,
                    reason = "no_endpoint",
                    endpoint = %Endpoint(url),
                    "redirect to a configured origin matches no endpoint path; nothing rewritten"
                );
            }
            return Applied::default();
        }
    };
    // Then the query, once, for choosing the connection and for rewriting.
    let mut scan = Scan::EMPTY;
    scan.read_after(url, base);
    let id = match compiled.index.choose(&candidates, &scan, named) {
        Selection::Selected(id) => id,
        Selection::NotConfigured => return Applied::default(),
        Selection::NoConnection => {
            tracing::warn!(
                target: TARGET,
                reason = "no_connection",
                endpoint = %Endpoint(url),
                "redirect to a configured endpoint selects no connection; nothing rewritten"
            );
            return Applied::default();
        }
        Selection::NotCandidate => {
            not_candidate(named.unwrap_or(""), url);
            return Applied::default();
        }
    };
    let Some(connection) = compiled.connection(id) else {
        return Applied::default();
    };

    // Aliases' percent-decoded values go here, and the edits on the stack too: a rewrite
    // allocates its output and its report, and nothing else (but for longer values or more
    // params).
    let mut decoded = [0u8; DECODE_SPACE];
    let mut free: &mut [u8] = &mut decoded;
    let params = connection.params;
    let mut resolved = params.iter().map(|param| {
        let (op, source) = resolve(param.kind, sources, &mut free);
        let mut edit = Edit::new(param.name, op);
        edit.source = source;
        edit
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
    let max_len = compiled.limits.max_location_len;
    // A pair that ends in what a browser trims, left last by the rewrite, keeps its bytes
    // percent-encoded (rare: never for a `Location` `HeaderValue` holds but for spaces).
    let rewritten = match rewrite_scanned(&scan, edits, max_len).map(keep_tail) {
        Some(url) if url.len() > max_len => {
            too_long(edits);
            None
        }
        rewritten => rewritten,
    };
    let dry_run = dry_run || connection.dry_run;
    let report = UpstreamReport::new(
        connection.name.clone(),
        rewritten.is_some(),
        dry_run,
        params
            .shared_names()
            .zip(edits.iter())
            .map(|(name, edit)| ParamReport::new(name.clone(), edit.outcome, edit.source))
            .collect(),
    );
    Applied {
        location: rewritten.filter(|_| !dry_run),
        report: Some(report),
    }
}

fn not_candidate(name: &str, url: &str) {
    tracing::warn!(
        target: TARGET,
        reason = "not_candidate",
        connection = name,
        endpoint = %Endpoint(url),
        "UpstreamConnection names a connection that is not configured for this endpoint; \
         nothing rewritten"
    );
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
