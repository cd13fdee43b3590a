//! What happened to each param: the outcomes a rewrite reports, as [`UpstreamReport`].
//!
//! The same types serve the layer (which inserts the report into the response extensions
//! and logs it), [`Config::rewrite_location`](crate::Config::rewrite_location) and
//! [`Resolved::apply_to`](crate::Resolved::apply_to). Names and outcomes only: no value is
//! ever kept in a report, so printing one (`Debug` included) never leaks a `login_hint`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::events::TARGET;

/// Why a param was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// No source had a (non-empty) value; for `remove`, the redirect did not carry the param.
    Missing,
    /// The query carried the source name more than once.
    Ambiguous,
    /// The value was longer than its `max_len`.
    TooLong,
    /// The value did not match its `pattern`.
    Pattern,
    /// The value, percent-decoded, was not UTF-8 (`login_hint=%FF%FE`): it is never sent as
    /// U+FFFD replacement text, nor judged by `pattern` as such.
    NotUtf8,
    /// The rewritten `Location` would have been longer than `limits.max_location_len`.
    LocationTooLong,
    /// The redirect carries `request` or `request_uri` (JAR / PAR): the IdP ignores the
    /// params beside them.
    ParOrJar,
}

impl DropReason {
    /// The spelling in `tracing` events and metrics: `missing`, `ambiguous`, `too_long`,
    /// `pattern`, `not_utf8`, `location_too_long`, `par_or_jar`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Missing => "missing",
            DropReason::Ambiguous => "ambiguous",
            DropReason::TooLong => "too_long",
            DropReason::Pattern => "pattern",
            DropReason::NotUtf8 => "not_utf8",
            DropReason::LocationTooLong => "location_too_long",
            DropReason::ParOrJar => "par_or_jar",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What happened to one param.
///
/// `Display` is the spelling of `tracing` events: `added`, `replaced`, `merged`, `kept`,
/// `removed`, `dropped(missing)`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Appended after the existing pairs.
    Added,
    /// Written in place of the first existing pair of that name; further ones removed.
    Replaced,
    /// Merged into the first existing pair of that name; further ones removed.
    Merged,
    /// The existing pair was left as it was (`"mode": "keep"`, or a merge with nothing new to
    /// add, or one that would put OIDC's `none` beside another value).
    Kept,
    /// Every existing pair of that name was removed (`"remove": true`).
    Removed,
    /// Not sent, for this reason; a pair the broker sent under that name stays as it was.
    Dropped(DropReason),
}

impl Outcome {
    /// Whether this outcome changes the URL.
    pub(crate) fn changes(self) -> bool {
        matches!(
            self,
            Outcome::Added | Outcome::Replaced | Outcome::Merged | Outcome::Removed
        )
    }

    /// The spelling in `tracing` events and metrics, but for a drop's reason.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Replaced => "replaced",
            Outcome::Merged => "merged",
            Outcome::Kept => "kept",
            Outcome::Removed => "removed",
            Outcome::Dropped(_) => "dropped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Padded only when asked for a width: no string is built to log an outcome.
            Outcome::Dropped(reason) if f.width().is_some() => f.pad(&format!("dropped({reason})")),
            Outcome::Dropped(reason) => write!(f, "dropped({reason})"),
            other => f.pad(other.kind()),
        }
    }
}

/// Where a param's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueSource {
    /// A static `"value"`.
    Static,
    /// An [`UpstreamValues`](crate::UpstreamValues) the broker vouches for.
    Broker,
    /// The broker's own authorize request query.
    Query,
    /// The alias's `"default"`.
    Default,
}

impl ValueSource {
    /// `static`, `broker`, `query` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueSource::Static => "static",
            ValueSource::Broker => "broker",
            ValueSource::Query => "query",
            ValueSource::Default => "default",
        }
    }
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What happened to one param of a connection: its name, its [`Outcome`], and where its value
/// came from. Never the value itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ParamReport {
    name: Arc<str>,
    outcome: Outcome,
    source: Option<ValueSource>,
}

impl ParamReport {
    pub(crate) fn new(name: Arc<str>, outcome: Outcome, source: Option<ValueSource>) -> Self {
        // A value that is not used has no source to speak of.
        let source = match outcome {
            Outcome::Removed | Outcome::Dropped(_) => None,
            _ => source,
        };
        ParamReport {
            name,
            outcome,
            source,
        }
    }

    /// The target name, as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What happened to it.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Where its value came from: `Some` wherever a value was resolved (added, replaced,
    /// merged, kept), `None` for removed and dropped params.
    pub fn source(&self) -> Option<ValueSource> {
        self.source
    }
}

impl fmt::Debug for ParamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamReport")
            .field("name", &self.name())
            .field("outcome", &self.outcome)
            .field("source", &self.source)
            .finish()
    }
}

/// The outcomes of one connection's params on one redirect (or URL, or list of pairs).
///
/// The layer inserts it into the response extensions of every redirect that selects a
/// connection (dry runs included), so that tests, metrics and the broker itself read what
/// was sent without parsing logs:
///
/// ```
/// use tower_upstream_params::{Outcome, UpstreamReport};
/// # fn check(response: http::Response<()>) {
/// let report = response.extensions().get::<UpstreamReport>().expect("a redirect to an IdP");
/// assert_eq!(report.connection(), "twitter");
/// assert_eq!(report.params()[0].outcome(), Outcome::Added);
/// # }
/// ```
///
/// A broker that applies the params itself (a pushed authorization request,
/// [`Resolved::apply_to`](crate::Resolved::apply_to), or a URL built from
/// [`Resolved::values`](crate::Resolved::values) with
/// [`Resolved::report`](crate::Resolved::report)) inserts the report it got into its
/// redirect: the layer then leaves that response unchanged and [records](Self::record) this
/// report, when its connection is the one the `Location` selects.
///
/// A report is [recorded](Self::record) once: the layer, a second layer stacked on it and
/// the broker may each call `record`, and the redirect is counted once. A clone carries
/// whether it was recorded when it was made.
///
/// `Debug` and [`Display`](fmt::Display) print names and outcomes only, never a value.
pub struct UpstreamReport {
    connection: Arc<str>,
    /// The fingerprint of the configuration that made the report.
    fingerprint: Arc<str>,
    rewritten: bool,
    dry_run: bool,
    params: Vec<ParamReport>,
    recorded: AtomicBool,
}

impl Clone for UpstreamReport {
    fn clone(&self) -> Self {
        UpstreamReport {
            connection: self.connection.clone(),
            fingerprint: self.fingerprint.clone(),
            rewritten: self.rewritten,
            dry_run: self.dry_run,
            params: self.params.clone(),
            recorded: AtomicBool::new(self.recorded.load(Ordering::Relaxed)),
        }
    }
}

impl PartialEq for UpstreamReport {
    /// Equal when they say the same: connection, configuration, `rewritten`, `dry_run` and
    /// every param (whether either was recorded does not count).
    fn eq(&self, other: &Self) -> bool {
        self.connection == other.connection
            && self.fingerprint == other.fingerprint
            && self.rewritten == other.rewritten
            && self.dry_run == other.dry_run
            && self.params == other.params
    }
}

impl Eq for UpstreamReport {}

impl UpstreamReport {
    pub(crate) fn new(
        connection: Arc<str>,
        fingerprint: Arc<str>,
        rewritten: bool,
        dry_run: bool,
        params: Vec<ParamReport>,
    ) -> Self {
        UpstreamReport {
            connection,
            fingerprint,
            rewritten,
            dry_run,
            params,
            recorded: AtomicBool::new(false),
        }
    }

    /// The connection's name (its key in `connections`).
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Whether the rules change the URL (or pairs); in a dry run, whether they would.
    pub fn rewritten(&self) -> bool {
        self.rewritten
    }

    /// Whether this was a dry run (the layer's, the configuration's or the connection's
    /// `"dry_run": true`): nothing was changed.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Each param's outcome, in configuration order.
    pub fn params(&self) -> &[ParamReport] {
        &self.params
    }

    /// The outcome of the param named `name`, if the connection has one.
    pub fn outcome(&self, name: &str) -> Option<Outcome> {
        self.params
            .iter()
            .find(|p| p.name() == name)
            .map(ParamReport::outcome)
    }

    /// Emits what the layer emits for each redirect it reports: the `INFO` event under the
    /// target `tower_upstream_params` (`connection`, the configuration's `fingerprint`,
    /// `dry_run`, `rewritten`, and `params` as `name:outcome`, never a value) and, with the
    /// feature `metrics`, the counters `upstream_params_redirects_total` and
    /// `upstream_params_params_total`.
    ///
    /// Once: a report already recorded (by this call, by a layer, by an inner layer) is not
    /// recorded again, so a redirect is counted once however many doors it passed. A broker
    /// that sends what [`Resolved::values`](crate::Resolved::values) gave, with no layer to
    /// see its redirect (a URL handed to a single-page app), records
    /// [`Resolved::report`](crate::Resolved::report) itself.
    pub fn record(&self) {
        if self.recorded.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::info!(
            target: TARGET,
            connection = %self.connection(),
            fingerprint = %self.fingerprint,
            dry_run = self.dry_run(),
            rewritten = self.rewritten(),
            params = %self,
            "redirect to upstream identity provider"
        );
        #[cfg(feature = "metrics")]
        {
            crate::metrics::redirect(self.connection(), self.rewritten(), self.dry_run());
            for param in self.params() {
                crate::metrics::param(self.connection(), param.name(), param.outcome().to_string());
            }
        }
    }
}

impl fmt::Debug for UpstreamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamReport")
            .field("connection", &self.connection())
            .field("rewritten", &self.rewritten)
            .field("dry_run", &self.dry_run)
            .field("params", &self.params)
            .finish()
    }
}

impl fmt::Display for UpstreamReport {
    /// `name:outcome` for each param, e.g. `blog:added, screen_name:dropped(missing)`: the
    /// `params` field of the layer's event.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, param) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}:{}", param.name(), param.outcome())?;
        }
        Ok(())
    }
}
