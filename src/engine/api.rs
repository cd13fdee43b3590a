//! The engine without a redirect: [`Config::rewrite_location`] for a whole URL (a single-page
//! app's, or one built by hand) and [`Config::resolve`] for one connection's params (a pushed
//! authorization request's body, JAR claims, `add_extra_param`).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::decide::{decide, header_text};
use super::edit::Op;
use super::events::TARGET;
use super::miss::Miss;
use super::pairs::apply_to_pairs;
use super::report::{DropReason, ParamReport, UpstreamReport, ValueSource};
use super::resolve::resolve;
use super::sources::AliasSources;
use crate::Config;
use crate::config::Mode;

/// What [`Config::rewrite_location`] makes of a URL.
///
/// `Debug` prints whether there is a new URL and its length, the report, and the miss:
/// never the URL (its query holds the values sent).
#[derive(Clone, Default)]
pub struct Rewrite {
    /// The URL the rules produce, when it differs (in a dry run too).
    planned: Option<String>,
    report: Option<UpstreamReport>,
    miss: Option<Miss>,
}

impl Rewrite {
    /// The new URL: `Some` only when the rules changed it (never in a dry run).
    pub fn location(&self) -> Option<&str> {
        self.planned.as_deref().filter(|_| !self.dry_run())
    }

    /// In a dry run, the URL the rules would have produced (`None` when they would change
    /// nothing, and outside a dry run: see [`location`](Self::location)).
    pub fn dry_run_location(&self) -> Option<&str> {
        self.planned.as_deref().filter(|_| self.dry_run())
    }

    /// The outcomes: `None` when the URL selects no connection (see [`miss`](Self::miss)).
    pub fn report(&self) -> Option<&UpstreamReport> {
        self.report.as_ref()
    }

    /// Why the URL selects no connection: `None` when it selects one.
    pub fn miss(&self) -> Option<Miss> {
        self.miss
    }

    /// The new URL, owned (`None` when unchanged, and in a dry run).
    pub fn into_location(self) -> Option<String> {
        let dry_run = self.dry_run();
        self.planned.filter(|_| !dry_run)
    }

    /// The outcomes, owned.
    pub fn into_report(self) -> Option<UpstreamReport> {
        self.report
    }

    fn dry_run(&self) -> bool {
        self.report.as_ref().is_some_and(UpstreamReport::dry_run)
    }
}

impl fmt::Debug for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rewrite")
            .field("url_len", &self.planned.as_ref().map(String::len))
            .field("report", &self.report)
            .field("miss", &self.miss)
            .finish()
    }
}

/// One param of a [`Resolved`] connection.
#[derive(Clone)]
struct ResolvedParam {
    name: Arc<str>,
    action: Action,
}

#[derive(Clone)]
enum Action {
    Set {
        value: String,
        mode: Mode,
        source: ValueSource,
    },
    Remove,
    Drop(DropReason),
}

/// One connection's params, resolved from [`AliasSources`]: what the layer would send, for
/// a request the broker builds itself (a pushed authorization request, JAR claims, the
/// `oauth2` crate's `add_extra_param`).
///
/// `Debug` prints names and what each param does, never a value.
#[derive(Clone)]
pub struct Resolved {
    connection: Arc<str>,
    fingerprint: Arc<str>,
    dry_run: bool,
    params: Vec<ResolvedParam>,
}

impl Resolved {
    /// The connection's name.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Whether this is a dry run: the connection's `"dry_run": true`, the configuration's
    /// top-level `"dry_run": true`, or a [`ConfigHandle`](crate::ConfigHandle) of a layer
    /// built with [`dry_run(true)`](crate::UpstreamParamsLayer::dry_run). Then
    /// [`values`](Self::values) and [`removals`](Self::removals) are empty,
    /// [`apply_to`](Self::apply_to) changes nothing, and every report says what would have
    /// been done: a canary is never live through this door either.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// `(name, value)` of each param that has a value, decoded, in configuration order
    /// (params whose alias found no usable value are not there; see
    /// [`report`](Self::report) for why). Empty in a [dry run](Self::dry_run).
    ///
    /// A broker that sends these itself (the `oauth2` crate's `add_extra_param`, JAR claims)
    /// inserts [`report`](Self::report) into its redirect, so that the layer leaves it and
    /// records it once; with no layer to see it, it calls
    /// [`UpstreamReport::record`] itself.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.params
            .iter()
            .filter(|_| !self.dry_run)
            .filter_map(|p| match &p.action {
                Action::Set { value, .. } => Some((&*p.name, value.as_str())),
                _ => None,
            })
    }

    /// The names configured with `"remove": true`, in configuration order. Empty in a
    /// [dry run](Self::dry_run).
    pub fn removals(&self) -> impl Iterator<Item = &str> + '_ {
        self.params
            .iter()
            .filter(|p| !self.dry_run && matches!(p.action, Action::Remove))
            .map(|p| &*p.name)
    }

    /// What [`values`](Self::values) and [`removals`](Self::removals) do to an authorize
    /// request that carries none of the params: the report of [`apply_to`](Self::apply_to)
    /// on no pairs (a value is `added`, a removal `dropped(missing)`; in a dry run, what
    /// would have been done, with [`dry_run`](UpstreamReport::dry_run) `true`).
    pub fn report(&self) -> UpstreamReport {
        self.apply_to(&mut Vec::new())
    }

    /// Applies the params to `pairs` (decoded `(name, value)`, in order, as a request body
    /// or a URL's query holds them), by the rules of a rewrite: a new pair is appended;
    /// `replace` writes the first pair of that name and removes the others; `keep` leaves
    /// it; `merge` makes a space-delimited union (never `none` beside another value);
    /// `remove` removes every pair of the name. Names are compared as they are, case
    /// included. Pairs holding `request` or `request_uri` (JAR / PAR) are left unchanged
    /// and the params reported `dropped(par_or_jar)`. With the connection's `"dry_run":
    /// true`, nothing changes and the report says what would have.
    ///
    /// Reserved names (`state`, `redirect_uri`, ...) are never a param's target, so their
    /// pairs are never touched.
    pub fn apply_to(&self, pairs: &mut Vec<(String, String)>) -> UpstreamReport {
        let ops: Vec<(&str, Op<'_>)> = self
            .params
            .iter()
            .map(|p| {
                let op = match &p.action {
                    Action::Set { value, mode, .. } => Op::Set(Cow::Borrowed(value), *mode),
                    Action::Remove => Op::Remove,
                    Action::Drop(reason) => Op::Drop(*reason),
                };
                (&*p.name, op)
            })
            .collect();
        let (outcomes, changed) = if self.dry_run {
            let mut copy = pairs.clone();
            apply_to_pairs(&ops, &mut copy)
        } else {
            apply_to_pairs(&ops, pairs)
        };
        let params = self
            .params
            .iter()
            .zip(outcomes)
            .map(|(p, outcome)| {
                let source = match p.action {
                    Action::Set { source, .. } => Some(source),
                    _ => None,
                };
                ParamReport::new(p.name.clone(), outcome, source)
            })
            .collect();
        UpstreamReport::new(
            self.connection.clone(),
            self.fingerprint.clone(),
            changed,
            self.dry_run,
            params,
        )
    }
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'a>(&'a [ResolvedParam]);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|p| {
                        let action = match &p.action {
                            Action::Set { mode, source, .. } => format!("set ({mode:?}, {source})"),
                            Action::Remove => "remove".to_owned(),
                            Action::Drop(reason) => format!("dropped({reason})"),
                        };
                        (&*p.name, action)
                    }))
                    .finish()
            }
        }
        f.debug_struct("Resolved")
            .field("connection", &self.connection())
            .field("dry_run", &self.dry_run)
            .field("params", &Params(&self.params))
            .finish()
    }
}

impl Config {
    /// Applies this configuration to a whole URL, exactly as the layer rewrites a redirect's
    /// `Location` to it: the same matching, resolution, limits and report.
    ///
    /// `connection` names the connection as an
    /// [`UpstreamConnection`](crate::UpstreamConnection) would (`None`: chosen by endpoint
    /// and `client_id`). For a URL handed to a single-page app, or built by a library:
    ///
    /// ```
    /// use tower_upstream_params::{AliasSources, Config, Outcome};
    ///
    /// let config = Config::from_json(r#"{"connections": {"google": {
    ///     "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
    ///     "upstream_params": {"login_hint": {"alias": "login_hint"},
    ///                         "prompt": {"value": "select_account"}}}}}"#)?;
    /// let sources = AliasSources::new().query(Some("login_hint=jane%40acme.com"));
    /// let rewrite = config.rewrite_location(
    ///     "https://accounts.google.com/o/oauth2/v2/auth?client_id=web&state=s",
    ///     None,
    ///     &sources,
    /// );
    /// assert_eq!(
    ///     rewrite.location(),
    ///     Some("https://accounts.google.com/o/oauth2/v2/auth?client_id=web&state=s\
    ///           &login_hint=jane%40acme.com&prompt=select_account"),
    /// );
    /// let report = rewrite.report().unwrap();
    /// assert_eq!(report.connection(), "google");
    /// assert_eq!(report.outcome("login_hint"), Some(Outcome::Added));
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// The URL is read as a browser reads it (whitespace around it ignored, tabs and line
    /// breaks deleted); a rewritten URL has neither, and never ends in what a browser trims:
    /// a pair ending in spaces or control characters that the rewrite leaves last has them
    /// percent-encoded, as a browser sends them. A URL that selects no connection gives
    /// an empty [`Rewrite`] (and the WARN events the layer would emit for it).
    ///
    /// A URL that is not visible ASCII (a raw `ö`, a DEL byte) is what the layer never
    /// receives as a `Location` (`HeaderValue::to_str` refuses it): it is left as it is, with
    /// no report and [`Miss::NotAscii`]. A URL that would come out byte for byte as it came
    /// in (a `replace` whose value is already there) has no new [`location`](Rewrite::location).
    ///
    /// The report is not [recorded](UpstreamReport::record): insert it into the redirect
    /// that carries the URL (the layer records it), or record it yourself.
    pub fn rewrite_location(
        &self,
        url: &str,
        connection: Option<&str>,
        sources: &AliasSources<'_>,
    ) -> Rewrite {
        self.rewrite_with(url, connection, sources, false)
    }

    /// [`rewrite_location`](Self::rewrite_location) under the caller's dry run too.
    pub(crate) fn rewrite_with(
        &self,
        url: &str,
        connection: Option<&str>,
        sources: &AliasSources<'_>,
        dry_run: bool,
    ) -> Rewrite {
        if !header_text(url) {
            tracing::debug!(
                target: TARGET,
                reason = "non_ascii_location",
                "URL is not visible ASCII; left as it is"
            );
            return Rewrite {
                miss: Some(Miss::NotAscii),
                ..Rewrite::default()
            };
        }
        // The layer's first look, here too: every door reads a URL the same way.
        let look = self.compiled.index.first_look(url.as_bytes());
        let decision = decide(self, url, connection, sources, dry_run, look);
        Rewrite {
            planned: decision.planned,
            report: decision.report,
            miss: decision.miss,
        }
    }

    /// The params of connection `connection`, resolved from `sources` as the layer would
    /// resolve them; `None` if there is no such connection.
    ///
    /// For a pushed authorization request (RFC 9126): apply them to the body, push it, and
    /// insert the report into the redirect that carries `request_uri`, so that the layer
    /// leaves that redirect alone and logs what was sent:
    ///
    /// ```
    /// use tower_upstream_params::{AliasSources, Config, Outcome, ValueSource};
    ///
    /// let config = Config::from_json(r#"{"connections": {"google": {
    ///     "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
    ///     "upstream_params": {"login_hint": {"alias": "login_hint"},
    ///                         "prompt": {"value": "select_account"}}}}}"#)?;
    /// let resolved = config
    ///     .resolve("google", &AliasSources::new().query(Some("login_hint=jane%40acme.com")))
    ///     .expect("a configured connection");
    /// let mut body = vec![
    ///     ("client_id".to_owned(), "web".to_owned()),
    ///     ("prompt".to_owned(), "consent".to_owned()),
    /// ];
    /// let report = resolved.apply_to(&mut body);
    /// assert_eq!(body[1], ("prompt".to_owned(), "select_account".to_owned()));
    /// assert_eq!(body[2], ("login_hint".to_owned(), "jane@acme.com".to_owned()));
    /// assert_eq!(report.outcome("prompt"), Some(Outcome::Replaced));
    /// assert_eq!(report.params()[0].source(), Some(ValueSource::Query));
    /// // response.extensions_mut().insert(report);
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// With the connection's or the configuration's `"dry_run": true`, the [`Resolved`] is a
    /// dry run: [`values`](Resolved::values) is empty and the reports say what would have
    /// been sent.
    pub fn resolve(&self, connection: &str, sources: &AliasSources<'_>) -> Option<Resolved> {
        self.resolve_with(connection, sources, false)
    }

    /// [`resolve`](Self::resolve) under the caller's dry run too.
    pub(crate) fn resolve_with(
        &self,
        connection: &str,
        sources: &AliasSources<'_>,
        dry_run: bool,
    ) -> Option<Resolved> {
        let id = self.compiled.index.find_name(connection)?;
        let view = self.compiled.connection(id as usize)?;
        let mut free: &mut [u8] = &mut [];
        let params = view
            .params
            .iter()
            .map(|param| {
                let action = match resolve(param.kind, sources, &mut free) {
                    (Op::Set(value, mode), source) => Action::Set {
                        value: value.into_owned(),
                        mode,
                        source: source.unwrap_or(ValueSource::Static),
                    },
                    (Op::Remove, _) => Action::Remove,
                    (Op::Drop(reason), _) => Action::Drop(reason),
                };
                ResolvedParam {
                    name: param.shared_name.clone(),
                    action,
                }
            })
            .collect();
        Some(Resolved {
            connection: view.name.clone(),
            fingerprint: self.fingerprint_shared(),
            dry_run: dry_run || view.dry_run,
            params,
        })
    }
}
