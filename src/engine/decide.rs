//! The one decision every door renders: for a configuration, a URL (or one connection's
//! params) and the alias sources, the connection, each param's outcome, the report and the
//! new bytes.
//!
//! The layer ([`process`](super::process)), [`Config::rewrite_location`],
//! [`ConfigHandle::rewrite_location`](crate::ConfigHandle::rewrite_location) and the
//! `upstream-params explain` command call [`decide`]; [`Config::resolve`] and
//! [`ConfigHandle::resolve`](crate::ConfigHandle::resolve) call [`resolve_connection`].
//! Each only renders what it gets: a header written back, a [`Rewrite`](super::Rewrite), a
//! [`Resolved`](super::Resolved), lines of text.

use std::fmt;

use super::edit::Edit;
use super::events::report_miss;
use super::miss::Miss;
use super::report::{ParamReport, UpstreamReport};
use super::resolve::resolve;
use super::rewrite::{rewrite_scanned, too_long};
use super::sources::AliasSources;
use crate::Config;
use crate::config::{FirstLook, Miss as IndexMiss, Selection};
use crate::text::{Redacted, Scan, base, browser_form, keep_tail};

/// Params whose edits live on the stack; a connection with more puts them in a `Vec`.
const INLINE_EDITS: usize = 8;

/// Bytes of stack space for the percent-decoded alias values of one rewrite.
const DECODE_SPACE: usize = 512;

/// What the rules make of one URL. `Debug` prints the new URL's length, not the URL.
#[derive(Default)]
pub(crate) struct Decision {
    /// The URL the rules produce, when it differs from the one given; in a dry run too (the
    /// doors write it only when the report's `dry_run` is false).
    pub(crate) planned: Option<String>,
    /// The outcomes, when a connection was selected.
    pub(crate) report: Option<UpstreamReport>,
    /// Why no connection was selected.
    pub(crate) miss: Option<Miss>,
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decision")
            .field("planned", &self.planned.as_deref().map(Redacted::str))
            .field("report", &self.report)
            .field("miss", &self.miss)
            .finish()
    }
}

impl Decision {
    fn miss(miss: Miss) -> Self {
        Decision {
            miss: Some(miss),
            ..Decision::default()
        }
    }
}

/// Whether a URL is what a `Location` header can hold and `HeaderValue::to_str` accepts
/// (visible ASCII, spaces and tabs): the layer never sees anything else, so no door
/// rewrites anything else.
pub(crate) fn header_text(url: &str) -> bool {
    url.bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The connection `url` selects: its id, or why there is none. `scan` is filled with the
/// URL's query on the way; `look` is the layer's first look at the same URL. Emits nothing.
fn select<'u>(
    config: &Config,
    url: &'u str,
    named: Option<&str>,
    look: FirstLook,
    scan: &mut Scan<'u>,
) -> Result<usize, Miss> {
    let index = &config.compiled.index;
    // Its base first: most redirects go elsewhere, and their query is never read.
    let base = base(url);
    let candidates = match index.candidates(url, base, look) {
        Ok(candidates) => candidates,
        // The broker meant that connection: a typo in its `authorization_url` must not fail
        // silently, whatever the origin.
        Err(_) if named.is_some() => return Err(Miss::NotCandidate),
        Err(IndexMiss::NoEndpoint) => return Err(Miss::NoEndpoint),
        Err(IndexMiss::NotConfigured) => return Err(Miss::NotConfigured),
    };
    // Then the query, once, for choosing the connection and for rewriting.
    scan.read_after(url, base);
    match index.choose(&candidates, scan, named) {
        Selection::Selected(id) => Ok(id),
        Selection::NotConfigured => Err(Miss::NotConfigured),
        Selection::NoConnection => Err(Miss::NoConnection),
        Selection::NotCandidate => Err(Miss::NotCandidate),
    }
}

/// The name of the connection `url` (a `Location` as the header holds it) selects, if any:
/// for a report found in a response, to tell the broker's own from a foreign one.
pub(crate) fn selected_name<'c>(
    config: &'c Config,
    url: &str,
    named: Option<&str>,
    look: FirstLook,
) -> Option<&'c str> {
    let url = browser_form(url);
    let mut scan = Scan::EMPTY;
    let id = select(config, &url, named, look, &mut scan).ok()?;
    config.compiled.connection_name(id)
}

/// Applies `config` to `url` (a `Location` as the header holds it: the caller has checked
/// [`header_text`]), as a browser reads it: the whitespace around it ignored, tabs and line
/// breaks deleted.
///
/// `named` is the connection an [`UpstreamConnection`](crate::UpstreamConnection) names;
/// `dry_run` the caller's own dry run (the connection's and the configuration's are read
/// here); `look` what the index's first look (`Index::first_look`) found in
/// the same URL (every door takes it; [`FirstLook::Unsure`] reads the URL whole). A miss is reported here, as the layer reports it: `WARN` `no_connection` and
/// `not_candidate`, `DEBUG` `no_endpoint` (and, with `metrics`, the miss counter); the
/// report of a selected connection is the caller's to record.
pub(crate) fn decide(
    config: &Config,
    url: &str,
    named: Option<&str>,
    sources: &AliasSources<'_>,
    dry_run: bool,
    look: FirstLook,
) -> Decision {
    let url = browser_form(url);
    let url: &str = &url;
    let mut scan = Scan::EMPTY;
    let id = match select(config, url, named, look, &mut scan) {
        Ok(id) => id,
        Err(miss) => {
            report_miss(miss, url, named, config, &scan);
            return Decision::miss(miss);
        }
    };
    let compiled = &config.compiled;
    let Some(connection) = compiled.connection(id) else {
        return Decision::miss(Miss::NotConfigured);
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
    let planned = match rewrite_scanned(&scan, edits, max_len).map(keep_tail) {
        Some(new) if new.len() > max_len => {
            too_long(edits);
            None
        }
        // A URL that comes out byte for byte as it came in is not rewritten.
        Some(new) if new == url => None,
        planned => planned,
    };
    let report = UpstreamReport::new(
        connection.name.clone(),
        config.fingerprint_shared(),
        planned.is_some(),
        dry_run || connection.dry_run,
        params
            .shared_names()
            .zip(edits.iter())
            .map(|(name, edit)| ParamReport::new(name.clone(), edit.outcome, edit.source))
            .collect(),
    );
    Decision {
        planned,
        report: Some(report),
        miss: None,
    }
}
