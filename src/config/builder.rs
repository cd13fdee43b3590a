//! [`ConfigBuilder`]: a configuration written in Rust, key for key like the JSON form.

use super::json::Node;
use super::{Config, Mode, Protocol, Source, Transform};
use crate::ConfigError;

/// Builds a [`Config`] in Rust, key for key like the JSON form; [`build`](Self::build)
/// validates it exactly as [`Config::from_json`] does.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    connections: Vec<(String, Connection)>,
    query_aliases: Vec<String>,
    max_value_len: Option<usize>,
    max_location_len: Option<usize>,
    dry_run: Option<bool>,
}

impl ConfigBuilder {
    /// Adds a connection (`connections.<name>`; a name holds no control character).
    pub fn connection(mut self, name: impl Into<String>, connection: Connection) -> Self {
        self.connections.push((name.into(), connection));
        self
    }

    /// Allows one more query name as an alias source (`query_aliases`; 1 to 256 bytes of
    /// visible ASCII).
    pub fn query_alias(mut self, name: impl Into<String>) -> Self {
        self.query_aliases.push(name.into());
        self
    }

    /// Sets `limits.max_value_len` (bytes; default 2048).
    pub fn max_value_len(mut self, bytes: usize) -> Self {
        self.max_value_len = Some(bytes);
        self
    }

    /// Sets `limits.max_location_len` (bytes; default 8192).
    pub fn max_location_len(mut self, bytes: usize) -> Self {
        self.max_location_len = Some(bytes);
        self
    }

    /// With `true`, every connection is a dry run (the top-level `"dry_run": true`): resolved
    /// and reported (`dry_run = true`), never changed, whatever its own `dry_run`. Default
    /// `false`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }

    /// Validates and compiles the configuration.
    ///
    /// # Errors
    ///
    /// The same [`ConfigError`] that [`Config::from_json`] gives for the same configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let mut root = Vec::new();
        let connections = self
            .connections
            .into_iter()
            .map(|(name, c)| (name, c.into_node()))
            .collect();
        root.push(("connections".to_owned(), Node::Object(connections)));
        if !self.query_aliases.is_empty() {
            root.push((
                "query_aliases".to_owned(),
                Node::Array(self.query_aliases.into_iter().map(Node::String).collect()),
            ));
        }
        let mut limits = Vec::new();
        if let Some(n) = self.max_value_len {
            limits.push(("max_value_len".to_owned(), number(n)));
        }
        if let Some(n) = self.max_location_len {
            limits.push(("max_location_len".to_owned(), number(n)));
        }
        if !limits.is_empty() {
            root.push(("limits".to_owned(), Node::Object(limits)));
        }
        if let Some(dry_run) = self.dry_run {
            root.push(("dry_run".to_owned(), Node::Bool(dry_run)));
        }
        Config::from_node(Node::Object(root))
    }
}

fn number(n: usize) -> Node {
    Node::Number((n as u64).into())
}

fn string(s: impl Into<String>) -> Node {
    Node::String(s.into())
}

/// One connection, for [`ConfigBuilder::connection`]: an upstream IdP's authorization
/// endpoint and the params it gets.
#[derive(Clone, Debug)]
#[must_use]
pub struct Connection {
    authorization_url: String,
    client_id: Option<String>,
    protocol: Option<Protocol>,
    dry_run: Option<bool>,
    params: Vec<(String, Param)>,
}

impl Connection {
    /// A connection to this authorization endpoint (absolute http(s), no query or fragment;
    /// a path segment that is exactly `*` matches any one segment; a first host label that
    /// is exactly `*`, before at least two more labels, matches any one DNS label:
    /// `https://*.okta.com/oauth2/v1/authorize`).
    pub fn new(authorization_url: impl Into<String>) -> Self {
        Connection {
            authorization_url: authorization_url.into(),
            client_id: None,
            protocol: None,
            dry_run: None,
            params: Vec::new(),
        }
    }

    /// The `client_id` that tells this connection apart from others on the same endpoint (no
    /// control character).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The protocol (default [`Protocol::OAuth2`]).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// With `true`, a canary (`"dry_run": true`): this connection's redirects are resolved
    /// and reported (`dry_run = true`) but never changed. Default `false`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }

    /// Adds an upstream param; params are applied and appended in the order added. A name
    /// is 1 to 256 bytes of visible ASCII (`!` to `~`).
    pub fn param(mut self, name: impl Into<String>, param: Param) -> Self {
        self.params.push((name.into(), param));
        self
    }

    fn into_node(self) -> Node {
        let mut entries = vec![(
            "authorization_url".to_owned(),
            string(self.authorization_url),
        )];
        if let Some(client_id) = self.client_id {
            entries.push(("client_id".to_owned(), string(client_id)));
        }
        if let Some(protocol) = self.protocol {
            entries.push(("protocol".to_owned(), string(protocol.as_str())));
        }
        if let Some(dry_run) = self.dry_run {
            entries.push(("dry_run".to_owned(), Node::Bool(dry_run)));
        }
        if !self.params.is_empty() {
            let params = self
                .params
                .into_iter()
                .map(|(name, p)| (name, p.into_node()))
                .collect();
            entries.push(("upstream_params".to_owned(), Node::Object(params)));
        }
        Node::Object(entries)
    }
}

/// One upstream param entry (`{"value": ...}`, `{"alias": ...}` or `{"remove": true}` and
/// its options), for [`Connection::param`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Param {
    value: Option<String>,
    alias: Option<String>,
    remove: bool,
    default: Option<String>,
    source: Option<Source>,
    mode: Option<Mode>,
    pattern: Option<String>,
    max_len: Option<usize>,
    transform: Option<Transform>,
}

impl Param {
    /// A static value (`{"value": ...}`).
    pub fn value(value: impl Into<String>) -> Self {
        Param {
            value: Some(value.into()),
            ..Param::default()
        }
    }

    /// A dynamic value read from `name` (`{"alias": ...}`; 1 to 256 bytes of visible ASCII).
    pub fn alias(name: impl Into<String>) -> Self {
        Param {
            alias: Some(name.into()),
            ..Param::default()
        }
    }

    /// Removes the param from the broker's redirect (`{"remove": true}`).
    pub fn remove() -> Self {
        Param {
            remove: true,
            ..Param::default()
        }
    }

    /// The value used when no source has one (alias only).
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Where the alias is read from (alias only; default [`Source::Any`]).
    pub fn source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// What to do when the redirect already carries the param (default [`Mode::Replace`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// A regular expression the whole value must match (alias only).
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// The longest value, in bytes, that is sent (alias only; default
    /// `limits.max_value_len`).
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = Some(bytes);
        self
    }

    /// Derives the value sent from the value found (alias only; `"transform"`), before
    /// `pattern` and `max_len` judge it: [`Transform::EmailDomain`] sends `acme.com` for
    /// `Jane@Acme.COM`.
    pub fn transform(mut self, transform: Transform) -> Self {
        self.transform = Some(transform);
        self
    }

    fn into_node(self) -> Node {
        let mut entries = Vec::new();
        if let Some(value) = self.value {
            entries.push(("value".to_owned(), string(value)));
        }
        if let Some(alias) = self.alias {
            entries.push(("alias".to_owned(), string(alias)));
        }
        if self.remove {
            entries.push(("remove".to_owned(), Node::Bool(true)));
        }
        if let Some(default) = self.default {
            entries.push(("default".to_owned(), string(default)));
        }
        if let Some(source) = self.source {
            entries.push(("source".to_owned(), string(source.as_str())));
        }
        if let Some(mode) = self.mode {
            entries.push(("mode".to_owned(), string(mode.as_str())));
        }
        if let Some(pattern) = self.pattern {
            entries.push(("pattern".to_owned(), string(pattern)));
        }
        if let Some(max_len) = self.max_len {
            entries.push(("max_len".to_owned(), number(max_len)));
        }
        if let Some(transform) = self.transform {
            entries.push(("transform".to_owned(), string(transform.as_str())));
        }
        Node::Object(entries)
    }
}
