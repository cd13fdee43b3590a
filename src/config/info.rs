//! One connection as loaded, for admin pages, debugging and tools:
//! [`Config::connection`](crate::Config::connection) and
//! [`Config::connections`](crate::Config::connections).
//!
//! It is read from the configuration's canonical JSON form (what
//! [`Config::to_json`](crate::Config::to_json) prints), so it says exactly what was
//! configured; defaults that were not written read as their defaults (`protocol` `oauth2`,
//! `mode` `replace`, `source` `any`).

use std::fmt;

use super::json::Node;
use super::{Mode, Protocol, Source, Transform};

/// One configured connection, as loaded: its endpoint, how it is told apart from others on
/// that endpoint, and what each of its params does.
///
/// `Debug` prints names, the endpoint, the `client_id`, kinds, modes, aliases, sources,
/// patterns and lengths: never a static `value` or a `default` (read those with
/// [`ParamInfo::value`] and [`ParamInfo::default_value`], where an admin page shows them on
/// purpose). They are configuration, not a user's data, but a `{:?}` in a log line should not
/// carry what an operator typed as a value.
///
/// ```
/// use tower_upstream_params::Config;
/// use tower_upstream_params::config::{Kind, Mode, Protocol};
///
/// let config = Config::from_json(r#"{"connections": {"twitter": {
///     "protocol": "oauth1",
///     "authorization_url": "https://api.twitter.com/oauth/authorize",
///     "upstream_params": {"screen_name": {"alias": "login_hint"},
///                         "lang": {"value": "fr", "mode": "keep"}}}}}"#)?;
/// let twitter = config.connection("twitter").expect("configured");
/// assert_eq!(twitter.authorization_url(), "https://api.twitter.com/oauth/authorize");
/// assert_eq!(twitter.protocol(), Protocol::OAuth1);
/// assert_eq!(twitter.client_id(), None);
/// assert!(!twitter.dry_run());
/// let names: Vec<&str> = twitter.params().iter().map(|p| p.name()).collect();
/// assert_eq!(names, ["screen_name", "lang"]);
/// assert_eq!(twitter.params()[0].kind(), Kind::Alias);
/// assert_eq!(twitter.params()[0].alias(), Some("login_hint"));
/// assert_eq!(twitter.params()[1].mode(), Some(Mode::Keep));
/// assert!(!format!("{twitter:?}").contains("\"fr\""));
/// assert!(config.connection("github").is_none());
/// # Ok::<(), tower_upstream_params::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    name: String,
    authorization_url: String,
    client_id: Option<String>,
    protocol: Protocol,
    dry_run: bool,
    params: Vec<ParamInfo>,
}

impl ConnectionInfo {
    /// The connection's name (its key under `connections`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its `authorization_url`, as configured (`*` segments and wildcard hosts included).
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// Its `client_id`, if it has one.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Its `protocol` (`oauth2` when not written).
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Whether the configuration makes it a dry run (reported, never changed): its own
    /// `"dry_run": true`, or the configuration's top-level one. A layer built with
    /// [`UpstreamParamsLayer::dry_run`](crate::UpstreamParamsLayer::dry_run) is a dry run
    /// too, whatever this says.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Its params, in configuration order (the order they are applied in).
    pub fn params(&self) -> &[ParamInfo] {
        &self.params
    }

    /// Its param named `name` (compared as written, case included).
    pub fn param(&self, name: &str) -> Option<&ParamInfo> {
        self.params.iter().find(|p| p.name == name)
    }
}

impl fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionInfo")
            .field("name", &self.name)
            .field("authorization_url", &self.authorization_url)
            .field("client_id", &self.client_id)
            .field("protocol", &self.protocol)
            .field("dry_run", &self.dry_run)
            .field("params", &self.params)
            .finish()
    }
}

/// What kind of param: it sends a static value, an alias's value, or removes the param.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `"value"`: a static value.
    Value,
    /// `"alias"`: a value read from the broker's values or the request query.
    Alias,
    /// `"remove": true`: the param is removed from the broker's redirect.
    Remove,
}

impl Kind {
    /// The JSON key that makes it: `value`, `alias` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Value => "value",
            Kind::Alias => "alias",
            Kind::Remove => "remove",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One param of a [`ConnectionInfo`], as configured.
///
/// `Debug` never prints the static value or the `default` (see [`ConnectionInfo`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ParamInfo {
    name: String,
    kind: Kind,
    mode: Option<Mode>,
    value: Option<String>,
    alias: Option<String>,
    source: Option<Source>,
    default: Option<String>,
    pattern: Option<String>,
    max_len: Option<usize>,
    transform: Option<Transform>,
}

impl ParamInfo {
    /// The target name (its key under `upstream_params`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it sends a static value, an alias's value, or removes the param.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What it does when the broker's redirect already carries the param (`replace` when not
    /// written); `None` for a removal, which has no mode.
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// The static value ([`Kind::Value`]). Configuration, not a user's data; kept out of
    /// `Debug` all the same, so that only a caller who asks for it shows it.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// The alias's name ([`Kind::Alias`]): the broker value or query param it reads.
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// Where the alias may read its value (`any` when not written); `None` unless an alias.
    pub fn source(&self) -> Option<Source> {
        self.source
    }

    /// The alias's `default`, sent when no source has a usable value. Kept out of `Debug`,
    /// like [`value`](Self::value).
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// The alias's `pattern`, as written (it is matched anchored, as a whole).
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_deref()
    }

    /// The alias's `max_len` in bytes, where it is written (else `limits.max_value_len`
    /// applies).
    pub fn max_len(&self) -> Option<usize> {
        self.max_len
    }

    /// The alias's `transform`, where it has one.
    pub fn transform(&self) -> Option<Transform> {
        self.transform
    }
}

impl fmt::Debug for ParamInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ParamInfo");
        s.field("name", &self.name).field("kind", &self.kind);
        if let Some(mode) = self.mode {
            s.field("mode", &mode);
        }
        if let Some(alias) = &self.alias {
            s.field("alias", alias);
        }
        if let Some(source) = self.source {
            s.field("source", &source);
        }
        if self.default.is_some() {
            s.field("has_default", &true);
        }
        if let Some(pattern) = &self.pattern {
            s.field("pattern", pattern);
        }
        if let Some(transform) = self.transform {
            s.field("transform", &transform);
        }
        if let Some(max_len) = self.max_len {
            s.field("max_len", &max_len);
        }
        s.finish()
    }
}

/// Every connection of a valid configuration's JSON form, in configuration order.
pub(super) fn connections(root: &Node) -> Vec<ConnectionInfo> {
    let everywhere = matches!(root.get("dry_run"), Some(Node::Bool(true)));
    match root.get("connections") {
        Some(Node::Object(entries)) => entries
            .iter()
            .map(|(name, node)| connection(name, node, everywhere))
            .collect(),
        _ => Vec::new(),
    }
}

/// The connection `name` of a valid configuration's JSON form.
pub(super) fn find(root: &Node, name: &str) -> Option<ConnectionInfo> {
    let everywhere = matches!(root.get("dry_run"), Some(Node::Bool(true)));
    let node = root.get("connections")?.get(name)?;
    Some(connection(name, node, everywhere))
}

fn connection(name: &str, node: &Node, everywhere: bool) -> ConnectionInfo {
    let protocol = match text(node, "protocol") {
        Some("oidc") => Protocol::Oidc,
        Some("oauth1") => Protocol::OAuth1,
        Some("saml") => Protocol::Saml,
        _ => Protocol::OAuth2,
    };
    let params = match node.get("upstream_params") {
        Some(Node::Object(entries)) => entries.iter().map(|(n, p)| param(n, p)).collect(),
        _ => Vec::new(),
    };
    ConnectionInfo {
        name: name.to_owned(),
        authorization_url: text(node, "authorization_url")
            .unwrap_or_default()
            .to_owned(),
        client_id: text(node, "client_id").map(str::to_owned),
        protocol,
        dry_run: everywhere || matches!(node.get("dry_run"), Some(Node::Bool(true))),
        params,
    }
}

fn param(name: &str, node: &Node) -> ParamInfo {
    let value = text(node, "value").map(str::to_owned);
    let alias = text(node, "alias").map(str::to_owned);
    let kind = match (&value, &alias) {
        (Some(_), _) => Kind::Value,
        (None, Some(_)) => Kind::Alias,
        (None, None) => Kind::Remove,
    };
    let mode = match text(node, "mode") {
        _ if kind == Kind::Remove => None,
        Some("keep") => Some(Mode::Keep),
        Some("merge") => Some(Mode::Merge),
        _ => Some(Mode::Replace),
    };
    let source = match text(node, "source") {
        _ if kind != Kind::Alias => None,
        Some("broker") => Some(Source::Broker),
        Some("query") => Some(Source::Query),
        _ => Some(Source::Any),
    };
    let max_len = match node.get("max_len") {
        Some(Node::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    };
    ParamInfo {
        name: name.to_owned(),
        kind,
        mode,
        value,
        alias,
        source,
        default: text(node, "default").map(str::to_owned),
        pattern: text(node, "pattern").map(str::to_owned),
        max_len,
        transform: text(node, "transform").and_then(|t| {
            Transform::ALL
                .iter()
                .find(|(name, _)| *name == t)
                .map(|&(_, transform)| transform)
        }),
    }
}

/// The string under `key`, if it is one.
fn text<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match node.get(key) {
        Some(Node::String(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use crate::config::{Kind, Mode, Protocol, Source};

    const CONFIG: &str = r#"{"connections": {
        "google-acme": {
            "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "client_id": "acme.apps.googleusercontent.com",
            "protocol": "oidc",
            "dry_run": true,
            "upstream_params": {
                "prompt": {"value": "select_account", "mode": "merge"},
                "hd": {"alias": "org_domain", "source": "broker", "default": "acme-default.example",
                       "pattern": "[a-z.-]+", "max_len": 64, "mode": "keep"},
                "login_hint": {"alias": "login_hint"},
                "display": {"remove": true}}},
        "acme.com google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth"}
    }}"#;

    #[test]
    fn a_connection_reads_as_configured() {
        let config = Config::from_json(CONFIG).unwrap();
        let google = config.connection("google-acme").unwrap();
        assert_eq!(google.name(), "google-acme");
        assert_eq!(
            google.authorization_url(),
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(google.client_id(), Some("acme.apps.googleusercontent.com"));
        assert_eq!(google.protocol(), Protocol::Oidc);
        assert!(google.dry_run());
        let params = google.params();
        let summary: Vec<_> = params
            .iter()
            .map(|p| (p.name(), p.kind(), p.mode(), p.alias(), p.source()))
            .collect();
        assert_eq!(
            summary,
            [
                ("prompt", Kind::Value, Some(Mode::Merge), None, None),
                (
                    "hd",
                    Kind::Alias,
                    Some(Mode::Keep),
                    Some("org_domain"),
                    Some(Source::Broker)
                ),
                (
                    "login_hint",
                    Kind::Alias,
                    Some(Mode::Replace),
                    Some("login_hint"),
                    Some(Source::Any)
                ),
                ("display", Kind::Remove, None, None, None),
            ]
        );
        assert_eq!(params[0].value(), Some("select_account"));
        assert_eq!(params[1].default_value(), Some("acme-default.example"));
        assert_eq!(params[1].pattern(), Some("[a-z.-]+"));
        assert_eq!(params[1].max_len(), Some(64));
        assert_eq!(params[2].max_len(), None);
        assert_eq!(google.param("hd"), Some(&params[1]));
        assert_eq!(google.param("HD"), None);
        assert_eq!(Kind::Remove.to_string(), "remove");

        // A name with dots and spaces is one name; defaults read as defaults.
        let other = config.connection("acme.com google").unwrap();
        assert_eq!(
            (other.client_id(), other.protocol(), other.dry_run()),
            (None, Protocol::OAuth2, false)
        );
        assert!(other.params().is_empty());
        assert!(config.connection("acme").is_none());
        assert!(config.connection("").is_none());

        let all: Vec<_> = config.connections().collect();
        assert_eq!(all, [google, other]);
        assert_eq!(Config::default().connections().count(), 0);
    }

    #[test]
    fn debug_never_prints_a_value_or_a_default() {
        let config = Config::from_json(CONFIG).unwrap();
        let debug = format!("{:?}", config.connection("google-acme").unwrap());
        assert!(!debug.contains("select_account"), "{debug}");
        assert!(!debug.contains("acme-default.example"), "{debug}");
        for shown in [
            "google-acme",
            "org_domain",
            "Merge",
            "Broker",
            "[a-z.-]+",
            "has_default",
        ] {
            assert!(debug.contains(shown), "{shown} in {debug}");
        }
    }
}
