//! Counters and a gauge through the [`metrics`] facade (feature `metrics`): whatever
//! recorder the application installs (Prometheus, StatsD, ...) receives them.
//!
//! - `upstream_params_redirects_total` {`connection`, `rewritten`, `dry_run`}: one per
//!   redirect that selects a connection, as its `INFO` event;
//! - `upstream_params_params_total` {`connection`, `param`, `outcome`}: one per param of
//!   such a redirect; `outcome` is spelled as in the event (`added`, `dropped(missing)`);
//! - `upstream_params_misses_total` {`reason`}: one per redirect not rewritten for `reason`;
//! - `upstream_params_config_reloads_total` {`result`} and the gauge
//!   `upstream_params_config_last_reload_successful`: what a file watch made of its file.
//!
//! [`describe_metrics`] registers their descriptions.
//!
//! Every label is a name from the configuration, an outcome or a boolean, never a value, so
//! their number is bounded by the configuration. Without the feature this module is not
//! built and the layer records nothing: no code, no cost.

/// The name of the counter of redirects.
pub(crate) const REDIRECTS: &str = "upstream_params_redirects_total";

/// The name of the counter of params.
pub(crate) const PARAMS: &str = "upstream_params_params_total";

fn boolean(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Counts one redirect to `connection`.
pub(crate) fn redirect(connection: &str, rewritten: bool, dry_run: bool) {
    metrics::counter!(
        REDIRECTS,
        "connection" => connection.to_owned(),
        "rewritten" => boolean(rewritten),
        "dry_run" => boolean(dry_run),
    )
    .increment(1);
}

/// Counts what happened to one param of a redirect to `connection`.
pub(crate) fn param(connection: &str, param: &str, outcome: String) {
    metrics::counter!(
        PARAMS,
        "connection" => connection.to_owned(),
        "param" => param.to_owned(),
        "outcome" => outcome,
    )
    .increment(1);
}

/// The name of the counter of file reloads.
pub(crate) const RELOADS: &str = "upstream_params_config_reloads_total";

/// The name of the gauge of the last reload's result.
pub(crate) const LAST_RELOAD_SUCCESSFUL: &str = "upstream_params_config_last_reload_successful";

/// Records what a file watch made of the file: `loaded` (its configuration is live) or
/// `rejected` (the live configuration stays, older than the file).
pub(crate) fn reload(loaded: bool) {
    let result = if loaded { "loaded" } else { "rejected" };
    metrics::counter!(RELOADS, "result" => result).increment(1);
    last_reload(loaded);
}

/// Sets the gauge of the last reload: 1 when the file's configuration is live, 0 when the
/// file, as last read, does not load.
pub(crate) fn last_reload(successful: bool) {
    metrics::gauge!(LAST_RELOAD_SUCCESSFUL).set(if successful { 1.0 } else { 0.0 });
}

/// Registers the description (and unit) of every metric this crate records with the
/// installed recorder, so that an exporter prints them (Prometheus's `# HELP` lines).
///
/// Call it once, after installing the recorder (a recorder installed later does not know
/// them); recording works without it. Built with the feature `metrics`.
///
/// - `upstream_params_redirects_total` {`connection`, `rewritten`, `dry_run`}: redirects
///   that selected a connection;
/// - `upstream_params_params_total` {`connection`, `param`, `outcome`}: what became of each
///   param of those redirects;
/// - `upstream_params_misses_total` {`reason`}: redirects to a configured IdP that were not
///   rewritten: `no_connection` (a configured endpoint, no connection selected),
///   `no_endpoint` (a configured origin, no endpoint at that path), `not_candidate` (an
///   `UpstreamConnection` naming a connection whose endpoint the `Location` does not match),
///   `foreign_report` (a report the broker inserted, for a connection this configuration
///   does not have);
/// - `upstream_params_config_reloads_total` {`result`: `loaded`, `rejected`}: what a file
///   watch made of each new content of its file;
/// - `upstream_params_config_last_reload_successful` (gauge, 0 or 1): whether the file, as
///   last read, is live; 0 means the replica serves an older configuration than its file
///   (alert on it, as on Prometheus's own `prometheus_config_last_reload_successful`).
///
/// ```
/// // With a recorder installed (metrics-exporter-prometheus, ...):
/// tower_upstream_params::describe_metrics();
/// ```
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_counter!(
        REDIRECTS,
        Unit::Count,
        "Redirects to an upstream identity provider that selected a connection"
    );
    describe_counter!(
        PARAMS,
        Unit::Count,
        "Upstream params of those redirects, by connection, param and outcome"
    );
    describe_counter!(
        MISSES,
        Unit::Count,
        "Redirects towards a configured identity provider that were not rewritten, by reason"
    );
    describe_counter!(
        RELOADS,
        Unit::Count,
        "New contents of the watched configuration file, loaded or rejected"
    );
    describe_gauge!(
        LAST_RELOAD_SUCCESSFUL,
        "1 if the watched configuration file, as last read, is live; 0 if it was rejected"
    );
}

/// The name of the counter of redirects that selected no connection, by reason.
pub(crate) const MISSES: &str = "upstream_params_misses_total";

/// Counts a redirect that selected no connection (`no_connection`, `no_endpoint`,
/// `not_candidate`) or carried a foreign report (`foreign_report`): the reason is the only
/// label, so no client input becomes one.
pub(crate) fn miss(reason: &'static str) {
    metrics::counter!(MISSES, "reason" => reason).increment(1);
}
