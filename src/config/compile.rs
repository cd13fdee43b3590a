//! The compiled form of a validated configuration: its strings in one text, its params in
//! one list, and the [`Index`] by endpoint.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use regex::Regex;

use super::index::{EndpointSpec, Index, Refused};
use super::json::Node;
use super::limits::Limits;
use super::names::control_problem;
use super::param::{PARAM_KEYS, Spec};
use super::problems::{Problems, join, object};
use super::span::Span;
use super::validate::{
    CONNECTION_KEYS, ROOT_KEYS, RootSettings, SCHEMA_KEY, compile_connection, root_settings,
};
use super::{Mode, Source, Transform};

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

/// One connection: its name, its params and whether it is a canary (`dry_run`).
///
/// The name is shared (`Arc<str>`), so that a report names its connection without copying.
#[derive(Debug)]
struct Connection {
    name: Arc<str>,
    /// In [`Compiled::params`].
    params: Span,
    dry_run: bool,
}

/// One param, ready to resolve; its strings live in [`Compiled::text`], its name in
/// [`Compiled::names`] (shared, so that a report names its params without copying).
#[derive(Debug)]
struct Param {
    name: u32,
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
        transform: Option<Transform>,
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
        transform: Option<Transform>,
    },
    /// `"remove": true`.
    Remove,
}

/// One param of a connection, as [`Params::iter`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamView<'a> {
    /// The target name.
    pub(crate) name: &'a str,
    /// The same, shared.
    pub(crate) shared_name: &'a Arc<str>,
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

    /// Each param's shared target name, in configuration order (what a report needs,
    /// without the rest of [`ParamView`]).
    pub(crate) fn shared_names(self) -> impl ExactSizeIterator<Item = &'a Arc<str>> {
        let compiled = self.compiled;
        self.params
            .iter()
            .map(move |param| compiled.shared_name(param))
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
    /// The connection's name (its key in `connections`), shared.
    pub(crate) name: &'a Arc<str>,
    /// Whether this connection is in a dry run (resolved and reported, never changed): its
    /// own `"dry_run": true`, or the configuration's top-level one.
    pub(crate) dry_run: bool,
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
    /// Every distinct string of the connections (but their names), once.
    text: Box<str>,
    /// Every distinct param name, once.
    names: Box<[Arc<str>]>,
    /// In configuration order; a connection's id is its position.
    connections: Box<[Connection]>,
    /// The params of every connection, connection after connection.
    params: Box<[Param]>,
    /// The compiled `pattern`s.
    patterns: Box<[Regex]>,
    pub(crate) index: Index,
    /// What a name out of range reads as (never, but no index is trusted to panic).
    empty: Arc<str>,
}

impl Compiled {
    /// Connection `id` (as [`Selection::Selected`](super::Selection::Selected) names it).
    pub(crate) fn connection(&self, id: usize) -> Option<ConnectionView<'_>> {
        let connection = self.connections.get(id)?;
        Some(ConnectionView {
            name: &connection.name,
            dry_run: connection.dry_run,
            params: Params {
                compiled: self,
                params: self.params.get(connection.params.range()).unwrap_or(&[]),
            },
        })
    }

    /// The name of connection `id`.
    pub(crate) fn connection_name(&self, id: usize) -> Option<&str> {
        self.connections.get(id).map(|c| &*c.name)
    }

    /// The names of the connections, in configuration order.
    pub(crate) fn connection_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.connections.iter().map(|c| &*c.name)
    }

    /// The string at `span` (never out of range: spans are made by [`Builder`]).
    fn str(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn shared_name(&self, param: &Param) -> &Arc<str> {
        self.names.get(param.name as usize).unwrap_or(&self.empty)
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
                transform,
            } => ParamKind::Alias {
                alias: self.str(alias),
                source,
                default: default.map(|d| self.str(d)),
                pattern: pattern.and_then(|p| self.patterns.get(p.index())),
                max_len: max_len as usize,
                mode,
                transform,
            },
            Kind::Remove => ParamKind::Remove,
        };
        let shared_name = self.shared_name(param);
        ParamView {
            name: shared_name,
            shared_name,
            kind,
        }
    }
}

/// What [`Builder`] says when the configuration does not fit in 32-bit positions.
const TOO_LARGE: &str = "configuration too large: more than 4 GiB of names and values";

/// Builds the compact form of [`Compiled`], connection by connection.
struct Builder<'n> {
    text: String,
    /// Where each string already in `text` is.
    interned: HashMap<&'n str, Span>,
    /// Param names, and where each is in `names`.
    names: Vec<Arc<str>>,
    name_ids: HashMap<&'n str, u32>,
    connections: Vec<Connection>,
    params: Vec<Param>,
    patterns: Vec<Regex>,
}

impl<'n> Builder<'n> {
    fn new() -> Self {
        Builder {
            text: String::new(),
            interned: HashMap::new(),
            names: Vec::new(),
            name_ids: HashMap::new(),
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
    fn push(
        &mut self,
        name: &'n str,
        dry_run: bool,
        params: Vec<(&'n str, Spec<'n>)>,
    ) -> Option<()> {
        let first = self.params.len();
        for (name, spec) in params {
            let param = self.param(name, spec)?;
            self.params.push(param);
        }
        let params = Span::new(first, self.params.len() - first)?;
        self.connections.push(Connection {
            name: Arc::from(name),
            params,
            dry_run,
        });
        Some(())
    }

    fn param(&mut self, name: &'n str, spec: Spec<'n>) -> Option<Param> {
        let name = match self.name_ids.get(name) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.names.len()).ok()?;
                self.names.push(Arc::from(name));
                self.name_ids.insert(name, id);
                id
            }
        };
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
                transform,
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
                    transform,
                }
            }
            Spec::Remove => Kind::Remove,
        };
        Some(Param { name, kind })
    }

    /// The name of connection `id`, if added.
    fn name(&self, id: usize) -> &str {
        self.connections.get(id).map_or("", |c| &*c.name)
    }

    /// The compiled form, each part allocated to its exact size.
    fn finish(self, limits: Limits, index: Index) -> Compiled {
        Compiled {
            limits,
            text: self.text.into_boxed_str(),
            names: self.names.into_boxed_slice(),
            connections: self.connections.into_boxed_slice(),
            params: self.params.into_boxed_slice(),
            patterns: self.patterns.into_boxed_slice(),
            index,
            empty: Arc::from(""),
        }
    }
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
    let RootSettings {
        limits,
        query_aliases,
        dry_run: all_dry_run,
    } = root_settings(root, problems)?;

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
                if let Some(problem) = control_problem("a connection name", name) {
                    problems.add(&path, problem);
                }
                let before = problems.0.len();
                let (endpoint, dry_run, params) =
                    match compile_connection(conn, &path, &limits, &query_aliases, problems) {
                        Some(compiled) => compiled,
                        None => {
                            if problems.0.len() == before {
                                problems.add(&path, "invalid connection");
                            }
                            // Its params are wrong, but its endpoint may be right: it still
                            // joins the check for connections that cannot be told apart, so
                            // that every problem is reported in one pass. (The configuration
                            // is refused anyway: it joins with no params.)
                            match endpoint_only(conn, &path, &limits, &query_aliases) {
                                Some(endpoint) => (endpoint, false, Vec::new()),
                                None => continue,
                            }
                        }
                    };
                let id = connections.connections.len();
                match index.insert(endpoint, id, name) {
                    Ok(()) => {
                        // The compiled `dry_run` is the effective one: the connection's own,
                        // or the configuration's.
                        if connections
                            .push(name, dry_run || all_dry_run, params)
                            .is_none()
                        {
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

/// The endpoint of a connection that does not compile, if its `authorization_url` and
/// `client_id` are valid on their own; what else is wrong with it is reported already.
fn endpoint_only(
    conn: &Node,
    path: &str,
    limits: &Limits,
    query_aliases: &[&str],
) -> Option<EndpointSpec> {
    let Node::Object(entries) = conn else {
        return None;
    };
    let mut keys: Vec<(String, Node)> = Vec::with_capacity(2);
    for key in ["authorization_url", "client_id"] {
        if let Some((k, v)) = entries.iter().find(|(k, _)| k == key) {
            keys.push((k.clone(), v.clone()));
        }
    }
    let mut scratch = Problems(Vec::new());
    compile_connection(
        &Node::Object(keys),
        path,
        limits,
        query_aliases,
        &mut scratch,
    )
    .map(|(endpoint, _, _)| endpoint)
}

/// The keys of each level of the JSON form, in the order [`canonical`] writes them (the
/// root's and a connection's are [`ROOT_KEYS`] and [`CONNECTION_KEYS`]).
const LIMIT_KEYS: [&str; 2] = ["max_value_len", "max_location_len"];

/// A valid configuration's JSON form with every object's keys in one order, so that equal
/// configurations print the same, and without `"$schema"` (accepted and ignored). The order
/// of connections and of params is kept: it matters.
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
    let mut root = sort(root, &ROOT_KEYS);
    root.retain(|(key, _)| key != SCHEMA_KEY);
    map(root, |key, node| match (key, node) {
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
    use crate::config::limits::{DEFAULT_MAX_LOCATION_LEN, DEFAULT_MAX_VALUE_LEN};

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
                               "pattern": "[a-z.]+", "max_len": 20, "mode": "keep",
                               "transform": "lowercase"},
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
        assert_eq!(&**a.name, "a");
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
            transform,
        } = params[1].kind
        else {
            panic!("not an alias: {:?}", params[1]);
        };
        assert_eq!(transform, Some(crate::config::Transform::Lowercase));
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
                transform: None,
            }
        ));
        assert!(matches!(params[3].kind, ParamKind::Remove));

        let b = compiled.connection(1).unwrap();
        assert_eq!(
            (&**b.name, b.params.len(), b.params.iter().count()),
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
        // Values and aliases once: "select_account", "login_hint".
        assert_eq!(compiled.text.len(), "select_accountlogin_hint".len());
        // Param names once, shared: "prompt", "login_hint".
        let names: Vec<&str> = compiled.names.iter().map(|n| &**n).collect();
        assert_eq!(names, ["prompt", "login_hint"]);
        assert_eq!(compiled.params.len(), 6);
        assert!(std::mem::size_of::<Param>() <= 40);
        assert!(std::mem::size_of::<Connection>() <= 32);
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
    fn conflicts_are_reported_beside_problems_inside_connections() {
        let node = super::super::json::parse(
            r#"{"connections": {
                "a": {"authorization_url": "https://x.example/authorize",
                      "upstream_params": {"blog": {"alais": "login_hint"}}},
                "b": {"authorization_url": "https://y.example/authorize", "client_id": "web"},
                "c": {"authorization_url": "https://y.example/authorize", "client_id": "web",
                      "upstream_params": {"v": {"value": "1"}}},
                "d": {"authorization_url": "https://x.example/authorize"},
                "e": {"authorization_url": "not a url",
                      "upstream_params": {"state": {"value": "s"}}},
                "f": {"authorization_url": "https://x.example/authorize", "client_id": ""}
            }}"#,
        )
        .unwrap();
        let err = compile(&node).unwrap_err();
        let paths: Vec<&str> = err.problems().map(|(path, _)| path).collect();
        assert_eq!(
            paths,
            [
                "connections.a.upstream_params.blog.alais",
                "connections.a.upstream_params.blog",
                "connections.c",
                "connections.d",
                "connections.e.authorization_url",
                "connections.e.upstream_params.state",
                "connections.f.client_id",
            ],
            "{err}"
        );
        let messages: Vec<&str> = err.problems().map(|(_, message)| message).collect();
        assert!(messages[2].contains("connection \"b\""), "{err}");
        assert!(messages[3].contains("connection \"a\""), "{err}");
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
