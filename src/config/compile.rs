//! Validation of the JSON form and its compilation into the lookup form.
//!
//! Every problem is collected with its JSON path, so that an operator sees all of them at once.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::num::NonZeroU32;

use regex::{Regex, RegexBuilder};

use super::index::{Index, Pattern, Refused};
use super::json::Node;
use super::{Mode, Protocol, Source};
use crate::rewrite::{MAX_HOST_LEN, OriginKey};

/// Default of `limits.max_value_len`, in bytes.
pub(crate) const DEFAULT_MAX_VALUE_LEN: usize = 2048;
/// Default of `limits.max_location_len`, in bytes.
pub(crate) const DEFAULT_MAX_LOCATION_LEN: usize = 8192;
/// How much memory one compiled `pattern` may take (the `regex` crate's size limit).
pub(crate) const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// How deeply a `pattern` may nest.
pub(crate) const PATTERN_NEST_LIMIT: u32 = 64;

/// The query names an alias may read with `"source": "any"` or `"query"`, besides
/// `query_aliases`: the ones Auth0 allows.
pub(crate) const QUERY_SOURCES: [&str; 12] = [
    "acr_values",
    "audience",
    "client_id",
    "display",
    "id_token_hint",
    "login_hint",
    "max_age",
    "prompt",
    "resource",
    "response_mode",
    "response_type",
    "ui_locales",
];

/// Names never read from the query (compared case-insensitively in `query_aliases`).
pub(crate) const FORBIDDEN_SOURCES: [&str; 13] = [
    "state",
    "code",
    "nonce",
    "redirect_uri",
    "code_verifier",
    "code_challenge",
    "client_secret",
    "client_assertion",
    "request",
    "request_uri",
    "access_token",
    "refresh_token",
    "id_token",
];

/// Names no param may add, replace or remove (compared case-insensitively). `scope` is
/// reserved too, but for `"mode": "merge"`.
pub(crate) const RESERVED_TARGETS: [&str; 22] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "redirect_uri",
    "response_type",
    "response_mode",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "request",
    "request_uri",
    "oauth_token",
    "oauth_callback",
    "oauth_signature",
    "SAMLRequest",
    "SAMLResponse",
    "RelayState",
    "SigAlg",
    "Signature",
];

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_value_len: usize,
    pub(crate) max_location_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            max_location_len: DEFAULT_MAX_LOCATION_LEN,
        }
    }
}

/// `len` items from `start`: a string in [`Compiled`]'s text (or the index's), or a
/// connection's params in its param list. 32 bits each, so that a param takes a few dozen
/// bytes; loading refuses a configuration whose text or lists would not fit (more than 4 GiB
/// of names and values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// The span of `len` items from `start`, if both fit in 32 bits.
    pub(super) fn new(start: usize, len: usize) -> Option<Span> {
        let end = start.checked_add(len)?;
        u32::try_from(end).ok()?;
        Some(Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(len).ok()?,
        })
    }

    /// The positions covered, for `get`: out of range, `get` gives `None` (never a panic).
    pub(super) fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start.saturating_add(self.len as usize)
    }
}

/// A `pattern`'s position in [`Compiled::patterns`], stored plus one so that an
/// `Option<PatternId>` takes 4 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PatternId(NonZeroU32);

impl PatternId {
    /// The id of the pattern at `index`, if it fits in 32 bits.
    fn new(index: usize) -> Option<PatternId> {
        let stored = u32::try_from(index.checked_add(1)?).ok()?;
        NonZeroU32::new(stored).map(PatternId)
    }

    /// The position in [`Compiled::patterns`].
    fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

/// One connection: its name and its params.
#[derive(Debug)]
struct Connection {
    /// In [`Compiled::text`].
    name: Span,
    /// In [`Compiled::params`].
    params: Span,
}

/// One param, ready to resolve; its strings live in [`Compiled::text`].
#[derive(Debug)]
struct Param {
    name: Span,
    kind: Kind,
}

/// What a param sends, as stored ([`ParamKind`] is what it reads as).
#[derive(Debug)]
enum Kind {
    Static {
        value: Span,
        mode: Mode,
    },
    Alias {
        alias: Span,
        source: Source,
        default: Option<Span>,
        pattern: Option<PatternId>,
        /// Validated to fit in 32 bits.
        max_len: u32,
        mode: Mode,
    },
    Remove,
}

/// What a param sends, with its strings and pattern.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ParamKind<'a> {
    /// A static `value`.
    Static { value: &'a str, mode: Mode },
    /// An `alias`, with its options.
    Alias {
        alias: &'a str,
        source: Source,
        default: Option<&'a str>,
        pattern: Option<&'a Regex>,
        max_len: usize,
        mode: Mode,
    },
    /// `"remove": true`.
    Remove,
}

/// One param of a connection, as [`Params::iter`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamView<'a> {
    /// The target name.
    pub(crate) name: &'a str,
    /// What it sends.
    pub(crate) kind: ParamKind<'a>,
}

/// The params of one connection, in configuration order.
#[derive(Clone, Copy)]
pub(crate) struct Params<'a> {
    compiled: &'a Compiled,
    params: &'a [Param],
}

impl<'a> Params<'a> {
    /// How many params there are.
    pub(crate) fn len(&self) -> usize {
        self.params.len()
    }

    /// Each param, in configuration order.
    pub(crate) fn iter(self) -> impl ExactSizeIterator<Item = ParamView<'a>> {
        let compiled = self.compiled;
        self.params.iter().map(move |param| compiled.param(param))
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One connection, as [`Compiled::connection`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionView<'a> {
    /// The connection's name (its key in `connections`).
    pub(crate) name: &'a str,
    /// Its params, in configuration order.
    pub(crate) params: Params<'a>,
}

/// The compiled configuration: limits, connections and the lookup by endpoint.
///
/// Compact, because a broker may configure many thousands of connections: every name, value,
/// alias and default is stored once, in one text, and referred to by position; the params of
/// all connections are one list, each connection a run of it; only aliases with a `pattern`
/// have a regular expression.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) limits: Limits,
    /// Every distinct string of the connections, once.
    text: Box<str>,
    /// In configuration order; a connection's id is its position.
    connections: Box<[Connection]>,
    /// The params of every connection, connection after connection.
    params: Box<[Param]>,
    /// The compiled `pattern`s.
    patterns: Box<[Regex]>,
    pub(crate) index: Index,
}

impl Compiled {
    /// Connection `id` (as [`Selection::Selected`](super::Selection::Selected) names it).
    pub(crate) fn connection(&self, id: usize) -> Option<ConnectionView<'_>> {
        let connection = self.connections.get(id)?;
        Some(ConnectionView {
            name: self.str(connection.name),
            params: Params {
                compiled: self,
                params: self.params.get(connection.params.range()).unwrap_or(&[]),
            },
        })
    }

    /// The name of connection `id`.
    pub(crate) fn connection_name(&self, id: usize) -> Option<&str> {
        self.connections.get(id).map(|c| self.str(c.name))
    }

    /// The names of the connections, in configuration order.
    pub(crate) fn connection_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.connections.iter().map(|c| self.str(c.name))
    }

    /// The string at `span` (never out of range: spans are made by [`Builder`]).
    fn str(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn param(&self, param: &Param) -> ParamView<'_> {
        let kind = match param.kind {
            Kind::Static { value, mode } => ParamKind::Static {
                value: self.str(value),
                mode,
            },
            Kind::Alias {
                alias,
                source,
                default,
                pattern,
                max_len,
                mode,
            } => ParamKind::Alias {
                alias: self.str(alias),
                source,
                default: default.map(|d| self.str(d)),
                pattern: pattern.and_then(|p| self.patterns.get(p.index())),
                max_len: max_len as usize,
                mode,
            },
            Kind::Remove => ParamKind::Remove,
        };
        ParamView {
            name: self.str(param.name),
            kind,
        }
    }
}

/// A validated param, before its strings join the compiled text.
enum Spec<'n> {
    Static {
        value: &'n str,
        mode: Mode,
    },
    Alias {
        alias: &'n str,
        source: Source,
        default: Option<&'n str>,
        pattern: Option<Regex>,
        max_len: usize,
        mode: Mode,
    },
    Remove,
}

/// What [`Builder`] says when the configuration does not fit in 32-bit positions.
const TOO_LARGE: &str = "configuration too large: more than 4 GiB of names and values";

/// Builds the compact form of [`Compiled`], connection by connection.
struct Builder<'n> {
    text: String,
    /// Where each string already in `text` is.
    interned: HashMap<&'n str, Span>,
    connections: Vec<Connection>,
    params: Vec<Param>,
    patterns: Vec<Regex>,
}

impl<'n> Builder<'n> {
    fn new() -> Self {
        Builder {
            text: String::new(),
            interned: HashMap::new(),
            connections: Vec::new(),
            params: Vec::new(),
            patterns: Vec::new(),
        }
    }

    /// Where `s` is in the text, added if it is not there yet; `None` past 4 GiB.
    fn intern(&mut self, s: &'n str) -> Option<Span> {
        if let Some(&span) = self.interned.get(s) {
            return Some(span);
        }
        let span = Span::new(self.text.len(), s.len())?;
        self.text.push_str(s);
        self.interned.insert(s, span);
        Some(span)
    }

    /// Adds a connection, whose id is the number of connections added before; `None` past
    /// 4 GiB (then loading fails).
    fn push(&mut self, name: &'n str, params: Vec<(&'n str, Spec<'n>)>) -> Option<()> {
        let first = self.params.len();
        for (name, spec) in params {
            let param = self.param(name, spec)?;
            self.params.push(param);
        }
        let params = Span::new(first, self.params.len() - first)?;
        let name = self.intern(name)?;
        self.connections.push(Connection { name, params });
        Some(())
    }

    fn param(&mut self, name: &'n str, spec: Spec<'n>) -> Option<Param> {
        let name = self.intern(name)?;
        let kind = match spec {
            Spec::Static { value, mode } => Kind::Static {
                value: self.intern(value)?,
                mode,
            },
            Spec::Alias {
                alias,
                source,
                default,
                pattern,
                max_len,
                mode,
            } => {
                let default = match default {
                    Some(d) => Some(self.intern(d)?),
                    None => None,
                };
                let pattern = match pattern {
                    Some(re) => {
                        let at = PatternId::new(self.patterns.len())?;
                        self.patterns.push(re);
                        Some(at)
                    }
                    None => None,
                };
                Kind::Alias {
                    alias: self.intern(alias)?,
                    source,
                    default,
                    pattern,
                    max_len: u32::try_from(max_len).ok()?,
                    mode,
                }
            }
            Spec::Remove => Kind::Remove,
        };
        Some(Param { name, kind })
    }

    /// The name of connection `id`, if added.
    fn name(&self, id: usize) -> &str {
        self.connections
            .get(id)
            .and_then(|c| self.text.get(c.name.range()))
            .unwrap_or("")
    }

    /// The compiled form, each part allocated to its exact size.
    fn finish(self, limits: Limits, index: Index) -> Compiled {
        Compiled {
            limits,
            text: self.text.into_boxed_str(),
            connections: self.connections.into_boxed_slice(),
            params: self.params.into_boxed_slice(),
            patterns: self.patterns.into_boxed_slice(),
            index,
        }
    }
}

struct Problems(Vec<(String, String)>);

impl Problems {
    fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push((path.to_owned(), message.into()));
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The entries of an object, each key once (the first), with repeated and unknown keys
/// reported. `None` (reported) if `node` is not an object. Linear in the number of keys.
fn object<'n>(
    node: &'n Node,
    path: &str,
    known: &[&str],
    problems: &mut Problems,
) -> Option<Vec<&'n (String, Node)>> {
    let Node::Object(entries) = node else {
        problems.add(path, format!("expected an object, found {}", node.kind()));
        return None;
    };
    let mut seen = HashSet::with_capacity(entries.len());
    let mut unique = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = entry.0.as_str();
        if !seen.insert(key) {
            problems.add(&join(path, key), "key given twice");
        } else {
            if !known.is_empty() && !known.contains(&key) {
                problems.add(
                    &join(path, key),
                    format!("unknown key; expected one of {}", quoted_list(known)),
                );
            }
            unique.push(entry);
        }
    }
    Some(unique)
}

fn string<'n>(node: &'n Node, path: &str, problems: &mut Problems) -> Option<&'n str> {
    match node {
        Node::String(s) if s.is_empty() => {
            problems.add(path, "must not be empty");
            None
        }
        Node::String(s) => Some(s),
        other => {
            problems.add(path, format!("expected a string, found {}", other.kind()));
            None
        }
    }
}

fn positive(node: &Node, path: &str, problems: &mut Problems) -> Option<usize> {
    let n = match node {
        Node::Number(n) => n.as_u64(),
        _ => None,
    };
    match n.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n > 0 && n <= u32::MAX as usize => Some(n),
        _ => {
            problems.add(
                path,
                format!(
                    "expected a whole number from 1 to {}, found {}",
                    u32::MAX,
                    node.kind()
                ),
            );
            None
        }
    }
}

fn enum_value<T: Copy>(
    node: &Node,
    path: &str,
    options: &[(&str, T)],
    problems: &mut Problems,
) -> Option<T> {
    let found = match node {
        Node::String(s) => options.iter().find(|(name, _)| name == s).map(|(_, v)| *v),
        _ => None,
    };
    if found.is_none() {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        problems.add(path, format!("expected one of {}", quoted_list(&names)));
    }
    found
}

/// Compiles an anchored pattern, bounded in size.
///
/// The pattern is first compiled on its own, so that it cannot close the anchoring group
/// early: `[a-z]+)|(?:.*` is unbalanced alone, and refused, where wrapped it would compile to
/// `^(?:[a-z]+)|(?:.*)$` and accept anything.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    let build = |text: &str| {
        RegexBuilder::new(text)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .nest_limit(PATTERN_NEST_LIMIT)
            .build()
    };
    build(pattern)
        .and_then(|_| build(&format!("^(?:{pattern})$")))
        .map_err(|e| {
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!("not a valid regular expression: {}", last.trim())
        })
}

/// Validates a configuration's JSON form and compiles it.
pub(crate) fn compile(root: &Node) -> Result<Compiled, crate::ConfigError> {
    let mut problems = Problems(Vec::new());
    let compiled = compile_root(root, &mut problems);
    match compiled {
        Some(compiled) if problems.0.is_empty() => Ok(compiled),
        _ => {
            if problems.0.is_empty() {
                problems.add("", "invalid configuration");
            }
            Err(crate::ConfigError::from_problems(problems.0))
        }
    }
}

fn compile_root(root: &Node, problems: &mut Problems) -> Option<Compiled> {
    object(
        root,
        "",
        &["connections", "query_aliases", "limits"],
        problems,
    )?;

    let mut limits = Limits {
        max_value_len: DEFAULT_MAX_VALUE_LEN,
        max_location_len: DEFAULT_MAX_LOCATION_LEN,
    };
    if let Some(node) = root.get("limits") {
        if let Some(entries) = object(
            node,
            "limits",
            &["max_value_len", "max_location_len"],
            problems,
        ) {
            for (key, value) in entries {
                let path = join("limits", key);
                match key.as_str() {
                    "max_value_len" => {
                        if let Some(n) = positive(value, &path, problems) {
                            limits.max_value_len = n;
                        }
                    }
                    "max_location_len" => {
                        if let Some(n) = positive(value, &path, problems) {
                            limits.max_location_len = n;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    let mut query_aliases: Vec<&str> = Vec::new();
    match root.get("query_aliases") {
        None => {}
        Some(Node::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("query_aliases[{i}]");
                if let Some(name) = string(item, &path, problems) {
                    if FORBIDDEN_SOURCES
                        .iter()
                        .any(|f| f.eq_ignore_ascii_case(name))
                    {
                        problems.add(
                            &path,
                            format!("\"{name}\" can never be read from the query"),
                        );
                    } else {
                        query_aliases.push(name);
                    }
                }
            }
        }
        Some(other) => problems.add(
            "query_aliases",
            format!("expected an array of strings, found {}", other.kind()),
        ),
    }

    let mut connections = Builder::new();
    let mut index = Index::default();
    if let Some(node) = root.get("connections") {
        if let Some(entries) = object(node, "connections", &[], problems) {
            for (name, conn) in entries {
                let path = join("connections", name);
                if name.is_empty() {
                    problems.add(&path, "a connection name must not be empty");
                    continue;
                }
                let Some((endpoint, params)) =
                    compile_connection(conn, &path, &limits, &query_aliases, problems)
                else {
                    continue;
                };
                let id = connections.connections.len();
                match index.insert(endpoint, id, name) {
                    Ok(()) => {
                        if connections.push(name, params).is_none() {
                            problems.add(&path, TOO_LARGE);
                            return None;
                        }
                    }
                    Err(Refused::SameAs(other)) => problems.add(
                        &path,
                        format!(
                            "same authorization_url and client_id as connection \"{}\": \
                             the two cannot be told apart",
                            connections.name(other)
                        ),
                    ),
                    Err(Refused::TooLarge) => {
                        problems.add(&path, TOO_LARGE);
                        return None;
                    }
                }
            }
        }
    }
    index.finish();
    Some(connections.finish(limits, index))
}

/// A connection's endpoint, before it joins the index.
#[derive(Debug)]
pub(crate) struct EndpointSpec {
    pub(crate) origin: String,
    pub(crate) pattern: Pattern,
    pub(crate) client_id: Option<String>,
}

fn compile_connection<'n>(
    node: &'n Node,
    path: &str,
    limits: &Limits,
    query_aliases: &[&str],
    problems: &mut Problems,
) -> Option<(EndpointSpec, Vec<(&'n str, Spec<'n>)>)> {
    let entries = object(
        node,
        path,
        &[
            "authorization_url",
            "client_id",
            "protocol",
            "upstream_params",
        ],
        problems,
    )?;
    let mut endpoint = None;
    let mut client_id = None;
    let mut params = Vec::new();
    let mut ok = true;
    let mut saw_url = false;
    for (key, value) in entries {
        let here = join(path, key);
        match key.as_str() {
            "authorization_url" => {
                saw_url = true;
                endpoint = string(value, &here, problems)
                    .and_then(|url| parse_endpoint(url, &here, problems));
            }
            "client_id" => {
                client_id = string(value, &here, problems).map(str::to_owned);
                ok &= client_id.is_some();
            }
            "protocol" => {
                ok &= enum_value(
                    value,
                    &here,
                    &[
                        ("oauth2", Protocol::OAuth2),
                        ("oidc", Protocol::Oidc),
                        ("oauth1", Protocol::OAuth1),
                        ("saml", Protocol::Saml),
                    ],
                    problems,
                )
                .is_some();
            }
            "upstream_params" => {
                let Some(entries) = object(value, &here, &[], problems) else {
                    ok = false;
                    continue;
                };
                for (name, param) in entries {
                    let at = join(&here, name);
                    match compile_param(name, param, &at, limits, query_aliases, problems) {
                        Some(spec) => params.push((name.as_str(), spec)),
                        None => ok = false,
                    }
                }
            }
            _ => ok = false,
        }
    }
    if !saw_url {
        problems.add(path, "missing \"authorization_url\"");
    }
    let (origin, pattern) = endpoint?;
    ok.then_some((
        EndpointSpec {
            origin,
            pattern,
            client_id,
        },
        params,
    ))
}

fn parse_endpoint(text: &str, path: &str, problems: &mut Problems) -> Option<(String, Pattern)> {
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(e) => {
            problems.add(path, format!("not an absolute URL: {e}"));
            return None;
        }
    };
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => {
            problems.add(
                path,
                format!("scheme must be http or https, not \"{other}\""),
            );
            return None;
        }
    };
    let mut fine = true;
    if url.query().is_some() {
        problems.add(path, "must not have a query");
        fine = false;
    }
    if url.fragment().is_some() {
        problems.add(path, "must not have a fragment");
        fine = false;
    }
    if !url.username().is_empty() || url.password().is_some() {
        problems.add(path, "must not have user information");
        fine = false;
    }
    let Some(host) = url.host_str() else {
        problems.add(path, "must have a host");
        return None;
    };
    let port = url
        .port_or_known_default()
        .unwrap_or(if https { 443 } else { 80 });
    let Some(origin) = OriginKey::new(https, host, port) else {
        problems.add(path, format!("host longer than {MAX_HOST_LEN} bytes"));
        return None;
    };
    fine.then(|| (origin.as_str().to_owned(), Pattern::new(url.path())))
}

fn compile_param<'n>(
    name: &str,
    node: &'n Node,
    path: &str,
    limits: &Limits,
    query_aliases: &[&str],
    problems: &mut Problems,
) -> Option<Spec<'n>> {
    let before = problems.0.len();
    if name.is_empty() {
        problems.add(path, "a param name must not be empty");
    }
    let reserved = RESERVED_TARGETS
        .iter()
        .find(|r| r.eq_ignore_ascii_case(name));
    let entries = object(
        node,
        path,
        &[
            "value", "alias", "remove", "default", "source", "mode", "pattern", "max_len",
        ],
        problems,
    )?;
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let (value, alias, remove) = (get("value"), get("alias"), get("remove"));
    let kinds = [value, alias, remove]
        .iter()
        .filter(|n| n.is_some())
        .count();
    if kinds != 1 {
        problems.add(path, "exactly one of \"value\", \"alias\" or \"remove\"");
        return None;
    }
    if alias.is_none() {
        for key in ["default", "source", "pattern", "max_len"] {
            if get(key).is_some() {
                problems.add(&join(path, key), "allowed only beside \"alias\"");
            }
        }
    }
    let mode = match get("mode") {
        Some(_) if remove.is_some() => {
            problems.add(&join(path, "mode"), "not allowed beside \"remove\"");
            Mode::Replace
        }
        Some(node) => enum_value(
            node,
            &join(path, "mode"),
            &[
                ("replace", Mode::Replace),
                ("keep", Mode::Keep),
                ("merge", Mode::Merge),
            ],
            problems,
        )
        .unwrap_or_default(),
        None => Mode::Replace,
    };
    if let Some(reserved) = reserved {
        problems.add(
            path,
            format!("\"{reserved}\" is reserved: it can be neither added, replaced nor removed"),
        );
    } else if name.eq_ignore_ascii_case("scope") && (mode != Mode::Merge || remove.is_some()) {
        problems.add(path, "\"scope\" is reserved but for \"mode\": \"merge\"");
    }

    let kind = if let Some(node) = remove {
        if !matches!(node, Node::Bool(true)) {
            problems.add(&join(path, "remove"), "must be true");
        }
        Spec::Remove
    } else if let Some(node) = value {
        let value = string(node, &join(path, "value"), problems).unwrap_or_default();
        if value.len() > limits.max_value_len {
            problems.add(
                &join(path, "value"),
                format!(
                    "{} bytes, longer than limits.max_value_len ({})",
                    value.len(),
                    limits.max_value_len
                ),
            );
        }
        Spec::Static { value, mode }
    } else {
        let alias_path = join(path, "alias");
        let alias = alias
            .and_then(|node| string(node, &alias_path, problems))
            .unwrap_or_default();
        let source = match get("source") {
            Some(node) => enum_value(
                node,
                &join(path, "source"),
                &[
                    ("any", Source::Any),
                    ("broker", Source::Broker),
                    ("query", Source::Query),
                ],
                problems,
            )
            .unwrap_or_default(),
            None => Source::Any,
        };
        if source != Source::Broker
            && !alias.is_empty()
            && !QUERY_SOURCES.contains(&alias)
            && !query_aliases.contains(&alias)
        {
            let why = if FORBIDDEN_SOURCES
                .iter()
                .any(|f| f.eq_ignore_ascii_case(alias))
            {
                format!("\"{alias}\" can never be read from the query; use \"source\": \"broker\"")
            } else {
                format!(
                    "\"{alias}\" cannot be read from the query: list it in query_aliases, \
                     or use \"source\": \"broker\""
                )
            };
            problems.add(&alias_path, why);
        }
        let max_len = match get("max_len") {
            Some(node) => {
                positive(node, &join(path, "max_len"), problems).unwrap_or(limits.max_value_len)
            }
            None => limits.max_value_len,
        };
        let pattern = match get("pattern") {
            Some(Node::String(p)) => match compile_pattern(p) {
                Ok(re) => Some(re),
                Err(e) => {
                    problems.add(&join(path, "pattern"), e);
                    None
                }
            },
            Some(other) => {
                problems.add(
                    &join(path, "pattern"),
                    format!("expected a string, found {}", other.kind()),
                );
                None
            }
            None => None,
        };
        let default = match get("default") {
            Some(node) => {
                let here = join(path, "default");
                let default = string(node, &here, problems);
                if let Some(d) = default {
                    if d.len() > max_len {
                        problems.add(&here, format!("longer than its max_len ({max_len})"));
                    }
                    if pattern.as_ref().is_some_and(|re| !re.is_match(d)) {
                        problems.add(&here, "does not match its pattern");
                    }
                }
                default
            }
            None => None,
        };
        Spec::Alias {
            alias,
            source,
            default,
            pattern,
            max_len,
            mode,
        }
    };
    (problems.0.len() == before).then_some(kind)
}

/// The keys of each level of the JSON form, in the order [`canonical`] writes them.
const ROOT_KEYS: [&str; 3] = ["connections", "query_aliases", "limits"];
const CONNECTION_KEYS: [&str; 4] = [
    "authorization_url",
    "client_id",
    "protocol",
    "upstream_params",
];
const PARAM_KEYS: [&str; 8] = [
    "value", "alias", "remove", "default", "source", "mode", "pattern", "max_len",
];
const LIMIT_KEYS: [&str; 2] = ["max_value_len", "max_location_len"];

/// A valid configuration's JSON form with every object's keys in one order, so that equal
/// configurations print the same. The order of connections and of params is kept: it
/// matters.
pub(crate) fn canonical(root: Node) -> Node {
    fn sort(node: Node, keys: &[&str]) -> Vec<(String, Node)> {
        let Node::Object(mut entries) = node else {
            return Vec::new();
        };
        entries.sort_by_key(|(k, _)| keys.iter().position(|known| known == k));
        entries
    }
    fn map(entries: Vec<(String, Node)>, f: impl Fn(&str, Node) -> Node) -> Node {
        Node::Object(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let v = f(&k, v);
                    (k, v)
                })
                .collect(),
        )
    }
    map(sort(root, &ROOT_KEYS), |key, node| match (key, node) {
        ("connections", Node::Object(connections)) => map(connections, |_, connection| {
            map(sort(connection, &CONNECTION_KEYS), |key, node| {
                match (key, node) {
                    ("upstream_params", Node::Object(params)) => {
                        map(params, |_, param| Node::Object(sort(param, &PARAM_KEYS)))
                    }
                    (_, other) => other,
                }
            })
        }),
        ("limits", limits) => Node::Object(sort(limits, &LIMIT_KEYS)),
        (_, other) => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(json: &str) -> Compiled {
        let node = super::super::json::parse(json).unwrap();
        compile(&node).unwrap()
    }

    #[test]
    fn params_read_back_as_configured() {
        let compiled = compiled(
            r#"{"connections": {
                "a": {"authorization_url": "https://a.example/authorize",
                      "upstream_params": {
                        "prompt": {"value": "login", "mode": "merge"},
                        "hd": {"alias": "org", "source": "broker", "default": "acme.com",
                               "pattern": "[a-z.]+", "max_len": 20, "mode": "keep"},
                        "login_hint": {"alias": "login_hint"},
                        "display": {"remove": true}}},
                "b": {"authorization_url": "https://b.example/authorize"},
                "c": {"authorization_url": "https://c.example/authorize",
                      "upstream_params": {"hint": {"alias": "login_hint",
                                                   "pattern": "[^@]+@acme\\.com"}}}
            }}"#,
        );
        assert_eq!(
            compiled.connection_names().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(compiled.connection_name(1), Some("b"));
        assert_eq!(compiled.connection_name(3), None);
        assert!(compiled.connection(3).is_none());
        assert!(compiled.connection(usize::MAX).is_none());

        let a = compiled.connection(0).unwrap();
        assert_eq!(a.name, "a");
        assert_eq!(a.params.len(), 4);
        let params: Vec<_> = a.params.iter().collect();
        let names: Vec<_> = params.iter().map(|p| p.name).collect();
        assert_eq!(names, ["prompt", "hd", "login_hint", "display"]);
        assert!(matches!(
            params[0].kind,
            ParamKind::Static {
                value: "login",
                mode: Mode::Merge
            }
        ));
        let ParamKind::Alias {
            alias,
            source,
            default,
            pattern,
            max_len,
            mode,
        } = params[1].kind
        else {
            panic!("not an alias: {:?}", params[1]);
        };
        assert_eq!(
            (alias, source, default, max_len, mode),
            ("org", Source::Broker, Some("acme.com"), 20, Mode::Keep)
        );
        let pattern = pattern.unwrap();
        assert!(pattern.is_match("acme.com") && !pattern.is_match("ACME"));
        assert!(matches!(
            params[2].kind,
            ParamKind::Alias {
                alias: "login_hint",
                source: Source::Any,
                default: None,
                pattern: None,
                max_len: DEFAULT_MAX_VALUE_LEN,
                mode: Mode::Replace,
            }
        ));
        assert!(matches!(params[3].kind, ParamKind::Remove));

        let b = compiled.connection(1).unwrap();
        assert_eq!(
            (b.name, b.params.len(), b.params.iter().count()),
            ("b", 0, 0)
        );

        // Each alias has its own pattern.
        let c = compiled.connection(2).unwrap();
        let Some(ParamKind::Alias {
            pattern: Some(pattern),
            ..
        }) = c.params.iter().next().map(|p| p.kind)
        else {
            panic!("no pattern: {c:?}");
        };
        assert!(pattern.is_match("j@acme.com") && !pattern.is_match("acme.com"));
    }

    #[test]
    fn strings_are_stored_once_and_compactly() {
        let connection = |i: usize| {
            format!(
                r#""tenant-{i}": {{"authorization_url": "https://idp{i}.example/authorize",
                   "upstream_params": {{
                     "prompt": {{"value": "select_account", "mode": "merge"}},
                     "login_hint": {{"alias": "login_hint"}}}}}}"#
            )
        };
        let json = format!(
            r#"{{"connections": {{{}}}}}"#,
            (0..3).map(connection).collect::<Vec<_>>().join(",")
        );
        let compiled = compiled(&json);
        // "prompt", "select_account", "login_hint" once; the three names.
        assert_eq!(
            compiled.text.len(),
            "promptselect_accountlogin_hint".len() + 3 * "tenant-0".len()
        );
        assert_eq!(compiled.params.len(), 6);
        assert!(std::mem::size_of::<Param>() <= 40);
        assert!(std::mem::size_of::<Connection>() <= 16);
    }

    #[test]
    fn spans_and_pattern_ids_fit_in_32_bits() {
        assert_eq!(Span::new(1, 2), Some(Span { start: 1, len: 2 }));
        assert_eq!(
            Span::new(u32::MAX as usize, 0).map(Span::range),
            Some(u32::MAX as usize..u32::MAX as usize)
        );
        assert_eq!(Span::new(u32::MAX as usize, 1), None);
        assert_eq!(Span::new(usize::MAX, 1), None);
        assert_eq!(PatternId::new(0).map(PatternId::index), Some(0));
        assert_eq!(
            PatternId::new(u32::MAX as usize - 1).map(PatternId::index),
            Some(u32::MAX as usize - 1)
        );
        assert_eq!(PatternId::new(u32::MAX as usize), None);
        assert_eq!(PatternId::new(usize::MAX), None);
    }

    #[test]
    fn the_empty_configuration_has_no_connection() {
        let compiled = Compiled::default();
        assert_eq!(compiled.connection_names().count(), 0);
        assert!(compiled.connection(0).is_none());
        assert_eq!(compiled.limits.max_value_len, DEFAULT_MAX_VALUE_LEN);
        assert_eq!(compiled.limits.max_location_len, DEFAULT_MAX_LOCATION_LEN);
    }
}
