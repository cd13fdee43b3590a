//! The response side of the layer: is this a redirect the rules apply to? Its `Location` is
//! handed to [`decide`] (the decision every door renders), written back, reported.

use arc_swap::ArcSwap;
use http::header::LOCATION;
use http::{HeaderValue, Response, StatusCode};

use super::decide::{decide, selected_name};
use super::events::{Named, TARGET};
use super::report::UpstreamReport;
use super::sources::AliasSources;
use crate::config::FirstLook;
use crate::{Config, UpstreamConnection, UpstreamValues};

/// Whether the layer looks at a response at all: `301`, `302`, `303`, `307`, `308`.
#[inline]
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Rewrites `response`'s `Location` if it is a redirect to a configured connection, and
/// inserts and records the [`UpstreamReport`]. `query` and `request_values` are what the
/// request carried; `dry_run` the layer's own.
///
/// A response that already carries an `UpstreamReport` for the connection its `Location`
/// selects (the broker applied the params itself: a pushed authorization request) is left
/// as it is, and that report recorded (once). A report for another connection is foreign:
/// the layer decides as for any redirect and its report replaces the foreign one; on a
/// `Location` that selects no connection the foreign report stays and the response is left
/// as it is. Either way a `WARN` `foreign_report` event names it.
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
    let (Some(header), None) = (locations.next(), locations.next()) else {
        return;
    };
    let config = config.load();
    let extensions = response.extensions();
    let named = extensions
        .get::<UpstreamConnection>()
        .map(UpstreamConnection::name);
    let found = extensions.get::<UpstreamReport>();
    // Most redirects go elsewhere (back to the broker's clients): where the first bytes
    // show an origin no connection has, and no extension asks for more, nothing else is
    // read. (Nothing is reported for such a redirect, but a `Location` that is not visible
    // ASCII, to whoever listens at DEBUG.)
    let look = config.compiled.index.first_look(header.as_bytes());
    if look == FirstLook::Elsewhere && named.is_none() && found.is_none() {
        if debug_enabled() && header.to_str().is_err() {
            non_ascii();
        }
        return;
    }
    let Ok(location) = header.to_str() else {
        non_ascii();
        return;
    };
    if let Some(report) = found {
        let selected = selected_name(&config, location, named, look);
        if selected == Some(report.connection()) {
            report.record();
            return;
        }
        foreign(report, selected, &config);
        if selected.is_none() {
            return;
        }
    }
    let mut sources = AliasSources::new().query(query);
    if let Some(values) = response.extensions().get::<UpstreamValues>() {
        sources.push(values);
    }
    if let Some(values) = request_values {
        sources.push(values);
    }
    let decision = decide(&config, location, named, &sources, dry_run, look);
    let Some(report) = decision.report else {
        return;
    };
    report.record();
    // The new URL's own buffer becomes the header value (no copy); never in a dry run.
    let planned = decision.planned.filter(|_| !report.dry_run());
    if let Some(value) = planned.and_then(|s| HeaderValue::try_from(s).ok()) {
        // The one `Location` read above takes the new value in place.
        if let Some(location) = response.headers_mut().get_mut(LOCATION) {
            *location = value;
        }
    }
    response.extensions_mut().insert(report);
}

/// Whether a `DEBUG` event of this crate could be seen by any subscriber (the check the
/// `tracing` macros make first).
fn debug_enabled() -> bool {
    tracing::level_filters::STATIC_MAX_LEVEL >= tracing::Level::DEBUG
        && tracing::level_filters::LevelFilter::current() >= tracing::Level::DEBUG
}

/// The event for a `Location` that is not visible ASCII.
#[cold]
fn non_ascii() {
    tracing::debug!(
        target: TARGET,
        reason = "non_ascii_location",
        "redirect Location is not visible ASCII; passed through"
    );
}

/// The event for a report that is not the selected connection's.
fn foreign(report: &UpstreamReport, selected: Option<&str>, config: &Config) {
    tracing::warn!(
        target: TARGET,
        reason = "foreign_report",
        report_connection = %Named(report.connection(), config),
        selected = %selected.unwrap_or("(none)"),
        "redirect carries an UpstreamReport for another connection than its Location selects"
    );
    #[cfg(feature = "metrics")]
    crate::metrics::miss("foreign_report");
}
