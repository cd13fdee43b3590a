//! Configuration: which identity providers get which upstream params.
//!
//! A [`Config`] is parsed and validated once ([`Config::from_json`], [`Config::builder`], or
//! serde), then compiled into a lookup form; it is immutable and shared behind an `Arc`.
//! The JSON form is the one Auth0 (`options.upstream_params`) and Kinde use, keyed by
//! connection name:
//!
//! ```json
//! {
//!   "connections": {
//!     "wordpress": {
//!       "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
//!       "upstream_params": { "blog": { "value": "myblog.wordpress.com" } }
//!     },
//!     "twitter": {
//!       "protocol": "oauth1",
//!       "authorization_url": "https://api.twitter.com/oauth/authorize",
//!       "upstream_params": { "screen_name": { "alias": "login_hint" } }
//!     }
//!   },
//!   "query_aliases": ["domain_hint"],
//!   "limits": { "max_value_len": 2048, "max_location_len": 8192 }
//! }
//! ```
//!
//! The README has the full reference of keys and rules. Choices made where the design leaves
//! room:
//!
//! - `connections` may be absent (no connection); `upstream_params` may be absent (no params).
//! - A static `value`, an `alias`, a `default`, a `client_id` and a connection or param name
//!   must not be empty: an empty value is never sent, so configuring one is a mistake.
//! - A param name, an alias name and a `query_aliases` entry are 1 to 256 bytes of visible
//!   ASCII (`!` to `~`): no space, no control character, no byte past ASCII (a PHP IdP cuts
//!   a name at a NUL, so `state\u0000x` would be `state` there). A connection name and a
//!   `client_id` hold no control character (Unicode `Cc`), so that logs, metrics labels and
//!   the command line print them as they are; other Unicode is fine there. A message about a
//!   bad name gives the offending byte or code point and its offset, not the name again.
//! - An alias with `"source": "any"` (the default) or `"query"` must name one of the twelve
//!   query sources or a `query_aliases` entry; any other name is an error (it could never be
//!   read from the query), and the message suggests `"source": "broker"`.
//! - `limits.max_value_len` is the longest value ever sent: an alias `max_len` above it, and
//!   a `default` longer than it, are load errors (as a static value longer than it is).
//! - An alias whose target is `scope` (any letter case) loads only with `"source":
//!   "broker"`, and so does an alias reading `id_token_hint`: a client's query must never
//!   widen the broker's upstream grant, nor have the broker forward its own ID token.
//! - A top-level `"dry_run": true` makes every connection a dry run, whatever its own
//!   `dry_run` (a connection cannot opt out of it); the canonical form and the fingerprint
//!   keep the two apart, as written.
//! - A top-level `"$schema"` (a string: the JSON Schema an editor validates the file with)
//!   is accepted and ignored: [`Config::to_json`] does not write it back, and neither
//!   equality nor [`Config::fingerprint`] sees it.
//! - `pattern` is compiled anchored (`^(?:pattern)$`), with the `regex` crate's size limit set
//!   to 1 MiB and nesting to 64, so no configuration can make matching slow or large.
//! - [`ConfigError`] reports every problem found, not just the first.

mod auth0;
mod builder;
mod compile;
mod file;
mod fingerprint;
mod hash;
mod index;
mod info;
mod json;
mod limits;
mod names;
mod param;
mod pattern;
mod problems;
mod span;
mod validate;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};

pub use auth0::{Auth0Import, SkippedConnection};
pub use builder::{ConfigBuilder, Connection, Param};
pub(crate) use compile::{Compiled, ParamKind};
pub(crate) use index::{FirstLook, Miss, Selection};
pub use info::{ConnectionInfo, Kind, ParamInfo};
use json::Node;

use crate::ConfigError;

/// What to do when the broker's redirect already carries the param.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Replace the first occurrence in place and remove further ones (the default).
    #[default]
    Replace,
    /// Leave the broker's pair as it is.
    Keep,
    /// Space-delimited union (for `prompt`, `acr_values`, `scope`, `ui_locales`): the existing
    /// values first, then each new one not already there.
    Merge,
}

impl Mode {
    /// The JSON spelling: `replace`, `keep` or `merge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Replace => "replace",
            Mode::Keep => "keep",
            Mode::Merge => "merge",
        }
    }
}

/// Where an alias may take its value from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// Broker-provided [`UpstreamValues`](crate::UpstreamValues) first, then the request query
    /// (the default).
    #[default]
    Any,
    /// Only [`UpstreamValues`](crate::UpstreamValues): never the client-controlled query.
    Broker,
    /// Only the request query.
    Query,
}

impl Source {
    /// The JSON spelling: `any`, `broker` or `query`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Any => "any",
            Source::Broker => "broker",
            Source::Query => "query",
        }
    }
}

/// How an alias derives the value it sends from the value it found (`"transform"`), before
/// `pattern` and `max_len` judge it.
///
/// For home-realm discovery from the email a user typed: Google's `hd`, Entra ID's
/// `domain_hint` and AD FS / WS-Federation's `whr` all from one `login_hint`:
///
/// ```
/// use tower_upstream_params::config::{Connection, Param, Transform};
/// use tower_upstream_params::{AliasSources, Config};
///
/// let config = Config::builder()
///     .connection(
///         "google",
///         Connection::new("https://accounts.google.com/o/oauth2/v2/auth").param(
///             "hd",
///             Param::alias("login_hint").transform(Transform::EmailDomain),
///         ),
///     )
///     .build()?;
/// let sources = AliasSources::new().query(Some("login_hint=Jane%40Acme.COM"));
/// let resolved = config.resolve("google", &sources).expect("configured");
/// assert_eq!(resolved.values().collect::<Vec<_>>(), [("hd", "acme.com")]);
/// # Ok::<(), tower_upstream_params::ConfigError>(())
/// ```
///
/// Lowercasing is ASCII only: `A`-`Z` become `a`-`z`, and every other character is left as
/// it is. So a domain in punycode (`xn--bcher-kva.example`, the ASCII form IdPs compare) is
/// lowercased like any ASCII domain, while a domain typed in Unicode (`Bücher.Example`) is
/// not converted to punycode nor case-folded beyond ASCII (`bücher.example`; `Ü` stays `Ü`):
/// it is sent as typed, percent-encoded UTF-8. Where an IdP wants ASCII only, say so with a
/// `pattern` (`"[a-z0-9.-]+"`): a Unicode domain then falls through to the next source and
/// the `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transform {
    /// `"email_domain"`: the part after the last `@`, ASCII-lowercased (`Jane@Acme.COM` ->
    /// `acme.com`; `"a@b"@Acme.com` -> `acme.com`). A value with no `@`, or nothing after the
    /// last one, yields no value: resolution falls through to the next source, then the
    /// `default` (sent as written); with none left the param is dropped as `missing`.
    EmailDomain,
    /// `"lowercase"`: the whole value, ASCII-lowercased.
    Lowercase,
}

impl Transform {
    /// Every transform, as the JSON spells it.
    pub(crate) const ALL: [(&'static str, Transform); 2] = [
        ("email_domain", Transform::EmailDomain),
        ("lowercase", Transform::Lowercase),
    ];

    /// The JSON spelling: `email_domain` or `lowercase`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::EmailDomain => "email_domain",
            Transform::Lowercase => "lowercase",
        }
    }
}

/// The protocol of a connection. `OAuth2`, `Oidc` and `OAuth1` behave alike and only
/// document the connection; with `Saml` (HTTP-Redirect binding) the signed `SAMLRequest`,
/// `RelayState`, `SigAlg` and `Signature` are never touched (they are reserved names for every
/// protocol) and params are appended after them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// OAuth 2.0 (the default).
    #[default]
    OAuth2,
    /// OpenID Connect.
    Oidc,
    /// OAuth 1.0a.
    OAuth1,
    /// SAML 2.0, HTTP-Redirect binding.
    Saml,
}

impl Protocol {
    /// The JSON spelling: `oauth2`, `oidc`, `oauth1` or `saml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OAuth2 => "oauth2",
            Protocol::Oidc => "oidc",
            Protocol::OAuth1 => "oauth1",
            Protocol::Saml => "saml",
        }
    }
}

/// A validated, immutable configuration.
///
/// Build one with [`Config::from_json`], [`Config::builder`] or serde's `Deserialize` (which
/// validates too); hand it to [`UpstreamParamsLayer::new`](crate::UpstreamParamsLayer::new) or
/// [`ConfigHandle::store`](crate::ConfigHandle::store). Cloning is cheap.
#[derive(Clone)]
pub struct Config {
    /// The canonical JSON form ([`compile::canonical`]), as compact text: a few hundred bytes
    /// per connection where the tree took several times that. Only the rare operations
    /// (printing, comparing, patching) read it; they parse it again where they need the tree.
    json: Arc<str>,
    /// [`Config::fingerprint`], computed once at load: every report carries it.
    fingerprint: Arc<str>,
    pub(crate) compiled: Arc<Compiled>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "connections",
                &self.compiled.connection_names().collect::<Vec<_>>(),
            )
            .field("limits", &self.compiled.limits)
            .finish()
    }
}

impl PartialEq for Config {
    /// Two configurations are equal when their JSON forms are. Both are canonical (each
    /// object's keys in one order, connections and params in theirs, no key twice), and
    /// serde_json writes equal trees as equal text, so comparing the text compares the trees.
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl Default for Config {
    /// A configuration with no connections: the layer changes nothing.
    fn default() -> Self {
        Config {
            json: Arc::from("{}"),
            fingerprint: Arc::from(fingerprint::fingerprint(&Node::Object(Vec::new()))),
            compiled: Arc::new(Compiled::default()),
        }
    }
}

impl Config {
    /// Parses and validates a configuration from its JSON text.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the JSON path of every problem: a syntax error, an unknown
    /// or repeated key, a reserved target, an alias that cannot be read, connections that
    /// cannot be told apart, ...
    pub fn from_json(json: &str) -> Result<Config, ConfigError> {
        Config::from_node(json::parse(json)?)
    }

    fn from_node(node: Node) -> Result<Config, ConfigError> {
        let compiled = compile::compile(&node)?;
        let canonical = compile::canonical(node);
        let json = serde_json::to_string(&canonical)
            .map_err(|e| ConfigError::new("", format!("cannot be written as JSON: {e}")))?;
        Ok(Config {
            json: Arc::from(json),
            fingerprint: Arc::from(fingerprint::fingerprint(&canonical)),
            compiled: Arc::new(compiled),
        })
    }

    /// The JSON form of this configuration (pretty-printed); [`Config::from_json`] reads it
    /// back to an equal `Config`.
    pub fn to_json(&self) -> String {
        self.tree()
            .and_then(|node| serde_json::to_string_pretty(&node).ok())
            .unwrap_or_default()
    }

    /// The JSON form as a tree, parsed again from the text (which this crate wrote, so it
    /// parses).
    fn tree(&self) -> Option<Node> {
        json::parse(&self.json).ok()
    }

    /// Applies an RFC 7396 JSON merge patch to the JSON form and validates the result like any
    /// configuration: `null` deletes a key (a connection, a param), objects merge, anything
    /// else replaces. `self` is unchanged either way.
    ///
    /// ```
    /// # use tower_upstream_params::Config;
    /// let config = Config::from_json(r#"{"connections": {"google": {
    ///     "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
    ///     "upstream_params": {"prompt": {"value": "select_account"}}}}}"#)?;
    /// let patched = config.merge_patch(
    ///     r#"{"connections": {"google": {"upstream_params": {"hd": {"value": "acme.com"}}}}}"#,
    /// )?;
    /// assert!(patched.to_json().contains("select_account"));
    /// assert!(patched.to_json().contains("acme.com"));
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] if the patch is not JSON, repeats a key (a patch must be as
    /// unambiguous as a configuration), or the patched configuration is invalid.
    pub fn merge_patch(&self, patch_json: &str) -> Result<Config, ConfigError> {
        let patch = json::parse(patch_json)?;
        let mut repeated = Vec::new();
        patch.repeated_keys("", &mut repeated);
        if !repeated.is_empty() {
            return Err(ConfigError::from_problems(repeated));
        }
        let tree = json::parse(&self.json)?;
        Config::from_node(tree.merge_patch(&patch))
    }

    /// A builder mirroring the JSON form.
    ///
    /// ```
    /// use tower_upstream_params::Config;
    /// use tower_upstream_params::config::{Connection, Param};
    ///
    /// let config = Config::builder()
    ///     .connection(
    ///         "wordpress",
    ///         Connection::new("https://public-api.wordpress.com/oauth2/authorize")
    ///             .param("blog", Param::value("myblog.wordpress.com")),
    ///     )
    ///     .build()?;
    /// assert_eq!(config, Config::from_json(&config.to_json())?);
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Imports Auth0 Management API connection objects: what `GET /api/v2/connections`
    /// returns (an array, or with `include_totals=true` the paginated list `{"total": ..,
    /// "start": .., "limit": .., "connections": [..]}`) or `GET /api/v2/connections/{id}`
    /// (one object), as they are. The same as [`Config::import_auth0`], without the list of
    /// connections skipped.
    ///
    /// Each connection with a non-empty `options.upstream_params` becomes a connection of the
    /// same `name`, its params taken verbatim; connections without upstream params are
    /// skipped. The endpoint comes from the object alone (no discovery document or federation
    /// metadata is fetched):
    ///
    /// - every strategy but `samlp`, `adfs` and `pingfederate`: `options.authorizationURL`
    ///   (custom `oauth2`) or `options.authorization_endpoint` (`oidc`, `okta`) when present;
    /// - `oidc`: else `options.oidc_metadata.authorization_endpoint` (what Auth0 stored from
    ///   discovery); one with only `options.discovery_url` is an error naming
    ///   `options.authorization_endpoint`;
    /// - `okta`: else `options.oidc_metadata.authorization_endpoint`, else
    ///   `https://{options.domain}/oauth2/v1/authorize`;
    /// - `waad` (Entra ID): `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize`;
    ///   `.../{tenant}/oauth2/authorize` when `options.identity_api` is
    ///   `"azure-active-directory-v1.0"`; `.../{tenant}/wsfed` when `options.use_wsfed` is
    ///   `true` or `options.waad_protocol` is `"ws-federation"`. The tenant is `common` when
    ///   `options.useCommonEndpoint` (or `waad_common_endpoint`) is `true`, else the first of
    ///   `options.domain`, `options.tenant_domain`, `options.tenantId` (a domain name or a
    ///   tenant ID); `options.app_domain` is Auth0's own domain and is not read;
    /// - `google-apps` (Google Workspace): `https://accounts.google.com/o/oauth2/v2/auth`
    ///   (`options.domain` is the Workspace domain, not a host);
    /// - `samlp`, `adfs` (WS-Federation) and `pingfederate`: `options.signInEndpoint`; for
    ///   `pingfederate` else `{options.pingFederateBaseUrl}/idp/SSO.saml2`;
    /// - `twitter` with `options.protocol` `"oauth2"`: X's OAuth 2.0 authorize endpoint,
    ///   `https://x.com/i/oauth2/authorize` (protocol `oauth2`, with its `client_id`); other
    ///   `twitter` connections use OAuth 1.0a at `https://api.twitter.com/oauth/authorize`;
    /// - else the well-known endpoint of the social strategy (`google-oauth2`, `github`,
    ///   `wordpress`, `facebook` (any API version), `windowslive`, `linkedin`, `apple`,
    ///   `amazon`, `dropbox`, `bitbucket`, `paypal`, `salesforce`, `yahoo`, `box`).
    ///
    /// A domain or tenant built into a URL must be a plain domain name (no scheme, port, path
    /// or `*`). The protocol is `saml` for `samlp`, `adfs`, `pingfederate` and `waad` over
    /// WS-Federation; `oidc` for `oidc`, `okta`, `waad`, `google-oauth2`, `google-apps` and
    /// `apple`; `oauth1` for `twitter` (but with `options.protocol` `"oauth2"`); else
    /// `oauth2`. `options.client_id` becomes `client_id` for OAuth 2 and OIDC connections,
    /// Entra ID and Google Workspace included (it is the client ID at the IdP, which the
    /// broker's redirect carries); not for OAuth 1, SAML or WS-Federation, whose redirects
    /// carry none. Other keys (`client_secret`, scopes, ...) are ignored.
    ///
    /// ```
    /// # use tower_upstream_params::Config;
    /// let config = Config::from_auth0_connections(r#"[
    ///   {"name": "WPConn", "strategy": "wordpress", "options": {
    ///     "client_id": "42", "client_secret": "s",
    ///     "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}},
    ///   {"name": "GitHub", "strategy": "github", "options": {}}
    /// ]"#)?;
    /// assert_eq!(config.connection_names().collect::<Vec<_>>(), ["WPConn"]);
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found in one pass, each located in the input:
    /// `[3].options.upstream_params.redirect_uri` in an array, `connections[3]...` in the
    /// paginated list, `options.upstream_params.redirect_uri` for one object alone. The
    /// problems: a connection whose endpoint cannot be known, at `[i].options`, naming the
    /// connection and the option to add (e.g. `[2].options: connection "corp-oidc":
    /// strategy "oidc" needs options.authorization_endpoint: the discovery document at
    /// options.discovery_url is not fetched`); a strategy that never redirects to an IdP
    /// (`auth0`, `email`, `sms`, `ad`, `auth0-adldap`, `ip`); a connection without a name, or
    /// whose name is given twice; params that do not validate
    /// (`[i].options.upstream_params.<param>`, with the messages of [`Config::from_json`]);
    /// an endpoint that does not (at the option it came from, or `[i].strategy`); two
    /// connections that cannot be told apart (at the second, `[i]`). This crate's own form
    /// (`connections` an object keyed by name) is an error at `connections` that says so.
    pub fn from_auth0_connections(json: &str) -> Result<Config, ConfigError> {
        Config::import_auth0(json).map(Auth0Import::into_config)
    }

    /// [`Config::from_auth0_connections`], also telling which connections were skipped and
    /// why (for a migration's audit): see [`Auth0Import`].
    ///
    /// # Errors
    ///
    /// As [`Config::from_auth0_connections`].
    pub fn import_auth0(json: &str) -> Result<Auth0Import, ConfigError> {
        auth0::import(&json::parse(json)?)
    }

    /// The names of the configured connections, in configuration order.
    pub fn connection_names(&self) -> impl Iterator<Item = &str> {
        self.compiled.connection_names()
    }

    /// The connection named `name`, as loaded (for admin pages and debugging); `None` if no
    /// connection has that name. See [`ConnectionInfo`] for what it tells, and what its
    /// `Debug` never prints. Each call reads the configuration's JSON form: to look at every
    /// connection, [`connections`](Self::connections) reads it once.
    pub fn connection(&self, name: &str) -> Option<ConnectionInfo> {
        info::find(&self.tree()?, name)
    }

    /// Every connection, as loaded, in configuration order.
    pub fn connections(&self) -> impl Iterator<Item = ConnectionInfo> + use<> {
        self.tree()
            .map(|root| info::connections(&root))
            .unwrap_or_default()
            .into_iter()
    }

    /// Reads a configuration from a file: its JSON text, in UTF-8 (a leading byte order mark
    /// is skipped).
    ///
    /// Only a regular file is read (symlinks followed), whole, once, and at most 16 MiB: a
    /// named pipe, a device, a socket or a directory is an error at once, before it is
    /// opened, so that no path can block the calling thread. To load the file again whenever
    /// it changes, see [`ConfigHandle::watch_file`](crate::ConfigHandle::watch_file).
    ///
    /// ```no_run
    /// # use tower_upstream_params::{Config, UpstreamParamsLayer};
    /// let config = Config::from_path("/etc/broker/upstream-params.json")?;
    /// let layer = UpstreamParamsLayer::new(config);
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] whose [`file`](ConfigError::file) is `path`, so that every problem
    /// names the file when printed:
    ///
    /// - when the file cannot be read (missing, no permission), is not a regular file or is
    ///   larger than 16 MiB, is not UTF-8, or its text is not JSON: one problem with the
    ///   whole document (an empty [`path`](ConfigError::path), as for a JSON syntax error
    ///   from [`Config::from_json`]), printed as, e.g., `/etc/broker/upstream-params.json:
    ///   cannot read the file: No such file or directory (os error 2)`,
    ///   `/etc/broker/upstream-params.json: not a regular file (a named pipe): only a regular
    ///   file is read` or `/etc/broker/upstream-params.json: invalid JSON: EOF while parsing
    ///   an object at line 3 column 0`;
    /// - when the JSON is not a valid configuration: the same problems, with the same JSON
    ///   paths and messages, as [`Config::from_json`] of the file's text, printed as
    ///   `/etc/broker/upstream-params.json: connections.wordpress.upstream_params.state:
    ///   ...`.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let bytes = file::read(path)?;
        Config::from_file_bytes(path, &bytes)
    }

    /// [`Config::from_path`] of a file already read into `bytes`.
    pub(crate) fn from_file_bytes(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ConfigError::new("", format!("not UTF-8 text: {e}")).in_file(path))?;
        json::parse(text)
            .and_then(Config::from_node)
            .map_err(|e| e.in_file(path))
    }

    /// A fingerprint of what this configuration means, for replicas to compare: 32
    /// lowercase hexadecimal digits (128 bits).
    ///
    /// It is a hash of the configuration's canonical form, in which every default is written
    /// out (the top-level `dry_run` `false`; a connection's `protocol` `"oauth2"` and
    /// `dry_run` `false`; a param's `mode` `"replace"`, an
    /// alias's `source` `"any"` and `max_len`, both `limits`), connections are sorted by name,
    /// `query_aliases` is sorted (a name listed twice counts once), and params stay in their
    /// order. So two configurations have the same fingerprint whatever their whitespace, the
    /// order of their connections or of any object's keys, and whether defaults are written;
    /// and different ones when anything else differs, the order of params included (they are
    /// applied in that order). Strings are compared as written: an `authorization_url` with
    /// an explicit default port is another text, so another fingerprint.
    ///
    /// The hash is 128-bit FNV-1a over the canonical form as compact JSON: the same on every
    /// platform, Rust version and run (it does not use `std`'s randomly seeded hashers). It is
    /// **not** a cryptographic hash: it tells honest versions apart, it does not prove where
    /// a configuration came from. A future version of this crate that adds a key to the
    /// configuration may change the fingerprints of configurations that do not use it, so
    /// compare fingerprints between replicas that run the same version.
    ///
    /// ```
    /// # use tower_upstream_params::Config;
    /// let a = Config::from_json(r#"{"connections": {
    ///     "x": {"authorization_url": "https://x.example/authorize"},
    ///     "y": {"authorization_url": "https://y.example/authorize",
    ///           "upstream_params": {"p": {"value": "1"}}}}}"#)?;
    /// let b = Config::from_json(r#"{"limits": {"max_value_len": 2048}, "connections": {
    ///     "y": {"upstream_params": {"p": {"value": "1", "mode": "replace"}},
    ///           "authorization_url": "https://y.example/authorize", "protocol": "oauth2"},
    ///     "x": {"authorization_url": "https://x.example/authorize"}}}"#)?;
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_eq!(a.fingerprint().len(), 32);
    ///
    /// let c = a.merge_patch(r#"{"connections": {"y": {"upstream_params": {"p": {"value": "2"}}}}}"#)?;
    /// assert_ne!(a.fingerprint(), c.fingerprint());
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    pub fn fingerprint(&self) -> String {
        self.fingerprint.to_string()
    }

    /// [`fingerprint`](Self::fingerprint), shared (every report carries it).
    pub(crate) fn fingerprint_shared(&self) -> Arc<str> {
        Arc::clone(&self.fingerprint)
    }
}

/// The bytes of the configuration file at `path`: a regular file, at most 16 MiB, read
/// without blocking; an error names the file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    file::read(path)
}

impl<'de> Deserialize<'de> for Config {
    /// Reads the JSON form from any serde format and validates it; an invalid configuration
    /// is a deserialization error whose message is the [`ConfigError`]'s.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(deserializer)?;
        Config::from_node(node).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Config {
    /// Writes the JSON form (what [`Config::to_json`] prints).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.tree() {
            Some(node) => node.serialize(serializer),
            None => Err(serde::ser::Error::custom("the JSON form does not parse")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOGLE: &str = r#"{"limits": {"max_location_len": 4096},
        "connections": {"google": {
            "upstream_params": {
                "prompt": {"mode": "merge", "value": "select_account"},
                "hd": {"source": "broker", "alias": "org_domain"}},
            "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth"}}}"#;

    #[test]
    fn the_json_form_is_kept_canonical_and_compact() {
        let config = Config::from_json(GOOGLE).unwrap();
        let canonical = r#"{"connections":{"google":{"authorization_url":"https://accounts.google.com/o/oauth2/v2/auth","upstream_params":{"prompt":{"value":"select_account","mode":"merge"},"hd":{"alias":"org_domain","source":"broker"}}}},"limits":{"max_location_len":4096}}"#;
        assert_eq!(&*config.json, canonical);
        assert_eq!(serde_json::to_string(&config).unwrap(), canonical);
        assert_eq!(
            config.to_json(),
            serde_json::to_string_pretty(&json::parse(canonical).unwrap()).unwrap()
        );
        assert!(
            config
                .to_json()
                .starts_with("{\n  \"connections\": {\n    \"google\": {")
        );
    }

    #[test]
    fn equality_is_that_of_the_json_form() {
        let config = Config::from_json(GOOGLE).unwrap();
        // Keys of an object in another order: the same configuration.
        let reordered = Config::from_json(
            r#"{"connections": {"google": {
                "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "upstream_params": {
                    "prompt": {"value": "select_account", "mode": "merge"},
                    "hd": {"alias": "org_domain", "source": "broker"}}}},
                "limits": {"max_location_len": 4096}}"#,
        )
        .unwrap();
        assert_eq!(config, reordered);
        assert_eq!(config, Config::from_json(&config.to_json()).unwrap());
        // Params in another order: applied in another order, so not the same.
        let swapped = Config::from_json(
            r#"{"connections": {"google": {
                "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "upstream_params": {
                    "hd": {"alias": "org_domain", "source": "broker"},
                    "prompt": {"value": "select_account", "mode": "merge"}}}},
                "limits": {"max_location_len": 4096}}"#,
        )
        .unwrap();
        assert_ne!(config, swapped);
        // A default written out is not the same JSON form as a default left out.
        let explicit = config
            .merge_patch(r#"{"limits": {"max_value_len": 2048}}"#)
            .unwrap();
        assert_ne!(config, explicit);
    }

    #[test]
    fn patches_and_the_default_read_the_text() {
        let config = Config::from_json(GOOGLE).unwrap();
        let patched = config
            .merge_patch(r#"{"connections": {"google": {"upstream_params": {"hd": null}}}}"#)
            .unwrap();
        assert_eq!(
            patched.compiled.connection(0).map(|c| c.params.len()),
            Some(1)
        );
        assert_eq!(
            config.compiled.connection(0).map(|c| c.params.len()),
            Some(2)
        );
        let empty = Config::default();
        assert_eq!(empty.to_json(), "{}");
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        assert_eq!(empty.connection_names().count(), 0);
        assert_eq!(empty, Config::from_json("{}").unwrap());
        assert_eq!(
            empty.merge_patch(r#"{"connections": {}}"#).unwrap(),
            Config::from_json(r#"{"connections": {}}"#).unwrap()
        );
    }
}
