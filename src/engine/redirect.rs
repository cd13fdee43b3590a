//! The response side of the layer: is this a redirect the rules apply to? The `Location` is
//! handed to [`apply`] (the rules every caller shares), written back, reported.

use arc_swap::ArcSwap;
use http::header::LOCATION;
use http::{HeaderValue, Response, StatusCode};

use super::apply::{TARGET, apply};
use super::report::UpstreamReport;
use super::sources::AliasSources;
use crate::{Config, UpstreamConnection, UpstreamValues};

/// Whether the layer looks at a response at all: `301`, `302`, `303`, `307`, `308`.
#[inline]
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Rewrites `response`'s `Location` if it is a redirect to a configured connection, and
/// inserts the [`UpstreamReport`] into its extensions. `query` and `request_values` are what
/// the request carried.
///
/// A response that already carries an `UpstreamReport` (the broker applied the params
/// itself, to a pushed authorization request) is left as it is: its report is logged.
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
    if let Some(report) = response.extensions().get::<UpstreamReport>() {
        log(report);
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
    let config = config.load();
    let named = response
        .extensions()
        .get::<UpstreamConnection>()
        .map(UpstreamConnection::name);
    let mut sources = AliasSources::new().query(query);
    if let Some(values) = response.extensions().get::<UpstreamValues>() {
        sources.push(values);
    }
    if let Some(values) = request_values {
        sources.push(values);
    }
    let applied = apply(&config.compiled, location, named, &sources, dry_run);
    let Some(report) = applied.report else {
        return;
    };
    log(&report);
    if let Some(value) = applied.location.and_then(|s| HeaderValue::try_from(s).ok()) {
        // The one `Location` read above takes the new value in place.
        if let Some(location) = response.headers_mut().get_mut(LOCATION) {
            *location = value;
        }
    }
    response.extensions_mut().insert(report);
}

/// The event for one redirect to an upstream identity provider: names and outcomes only,
/// never a value. With the feature `metrics`, the same as counters.
fn log(report: &UpstreamReport) {
    tracing::info!(
        target: TARGET,
        connection = %report.connection(),
        dry_run = report.dry_run(),
        rewritten = report.rewritten(),
        params = %report,
        "redirect to upstream identity provider"
    );
    #[cfg(feature = "metrics")]
    {
        crate::metrics::redirect(report.connection(), report.rewritten(), report.dry_run());
        for param in report.params() {
            crate::metrics::param(
                report.connection(),
                param.name(),
                param.outcome().to_string(),
            );
        }
    }
}
