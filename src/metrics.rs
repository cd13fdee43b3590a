//! Counters through the [`metrics`] facade (feature `metrics`): whatever recorder the
//! application installs (Prometheus, StatsD, ...) receives them.
//!
//! - `upstream_params_redirects_total` {`connection`, `rewritten`, `dry_run`}: one per
//!   redirect that selects a connection, as its `INFO` event;
//! - `upstream_params_params_total` {`connection`, `param`, `outcome`}: one per param of
//!   such a redirect; `outcome` is spelled as in the event (`added`, `dropped(missing)`).
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

/// The name of the counter of redirects that selected no connection, by reason.
pub(crate) const MISSES: &str = "upstream_params_misses_total";

/// Counts a redirect that selected no connection (`no_connection`, `no_endpoint`,
/// `not_candidate`) or carried a foreign report (`foreign_report`): the reason is the only
/// label, so no client input becomes one.
pub(crate) fn miss(reason: &'static str) {
    metrics::counter!(MISSES, "reason" => reason).increment(1);
}
