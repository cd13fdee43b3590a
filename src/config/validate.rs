//! Validation of the JSON form: every problem is collected with its JSON path, so that an
//! operator sees all of them at once. What passes is handed to [`compile`](super::compile)
//! as [`Spec`]s and [`EndpointSpec`]s.

use std::collections::HashSet;

use regex::{Regex, RegexBuilder};

use super::index::{EndpointSpec, MAX_WILD_SEGMENTS, Pattern};
use super::json::Node;
use super::{Mode, Protocol, Source};
use crate::text::{MAX_HOST_LEN, OriginKey};

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

/// The keys of a connection, in the order the canonical form writes them.
pub(crate) const CONNECTION_KEYS: [&str; 5] = [
    "authorization_url",
    "client_id",
    "protocol",
    "dry_run",
    "upstream_params",
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

/// A connection's validated params, by target name, in configuration order.
pub(crate) type ParamSpecs<'n> = Vec<(&'n str, Spec<'n>)>;

/// A validated param, before its strings join the compiled text.
pub(crate) enum Spec<'n> {
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

pub(crate) struct Problems(pub(crate) Vec<(String, String)>);

impl Problems {
    pub(crate) fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push((path.to_owned(), message.into()));
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
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
pub(crate) fn object<'n>(
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

/// The reserved target `name` is, or is read as: compared ignoring ASCII case, as it is and
/// as a PHP server reads it (see [`php_names`]).
fn reserved_as(name: &str) -> Option<&'static str> {
    RESERVED_TARGETS
        .iter()
        .copied()
        .find(|reserved| reserved_as_php(name, reserved))
}

/// Whether `name`, or a name a PHP server reads it as, is `reserved` (ignoring ASCII case).
fn reserved_as_php(name: &str, reserved: &str) -> bool {
    name.eq_ignore_ascii_case(reserved)
        || php_names(name)
            .iter()
            .any(|read| read.eq_ignore_ascii_case(reserved))
}

/// The names a PHP server (WordPress.com is the seeds' own IdP) may read a query name as.
///
/// PHP drops leading spaces, turns `.` and ` ` into `_`, reads `name[...]` as the array
/// `name`, and turns an unclosed `[` into `_` (leaving what follows as it is). With two pairs
/// of one name it keeps the last, so a param read as `redirect_uri` would override the
/// broker's. This returns each reading: every `.`, ` ` and `[` turned into `_` (what PHP
/// documents), PHP's own conversion (which stops at an unclosed `[`), and the array's name.
/// A target matching any of them is refused.
fn php_names(name: &str) -> [String; 3] {
    let name = name.trim_start_matches(' ');
    let all: String = name
        .chars()
        .map(|c| if matches!(c, '.' | ' ' | '[') { '_' } else { c })
        .collect();
    let (php, array) = match name.find('[') {
        Some(open) => {
            let head: String = name[..open]
                .chars()
                .map(|c| if matches!(c, '.' | ' ') { '_' } else { c })
                .collect();
            if name[open..].contains(']') {
                (head.clone(), head)
            } else {
                (format!("{head}_{}", &name[open + 1..]), String::new())
            }
        }
        None => (all.clone(), String::new()),
    };
    [all, php, array]
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
    // A pattern that ends inside an `(?x)` comment (`(?x) [a-z]+ # letters`) would swallow
    // the closing `)$`; such a wrapping does not compile, and the same wrapping with a line
    // break before `)$` ends the comment (in `(?x)` mode a line break is not matched).
    // Any other pattern compiles wrapped as it is: its groups are balanced (it compiled
    // alone), so the `)` closes the anchoring group and `$` is outside every flag group.
    build(pattern)
        .and_then(|_| {
            build(&format!("^(?:{pattern})$"))
                .or_else(|e| build(&format!("^(?:{pattern}\n)$")).map_err(|_| e))
        })
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

/// The root object's keys, `limits` and `query_aliases`, validated.
pub(crate) fn root_settings<'n>(
    root: &'n Node,
    problems: &mut Problems,
) -> Option<(Limits, Vec<&'n str>)> {
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
    Some((limits, query_aliases))
}

pub(crate) fn compile_connection<'n>(
    node: &'n Node,
    path: &str,
    limits: &Limits,
    query_aliases: &[&str],
    problems: &mut Problems,
) -> Option<(EndpointSpec, bool, ParamSpecs<'n>)> {
    let entries = object(node, path, &CONNECTION_KEYS, problems)?;
    let mut endpoint = None;
    let mut client_id = None;
    let mut dry_run = false;
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
            "dry_run" => match value {
                Node::Bool(b) => dry_run = *b,
                other => {
                    problems.add(&here, format!("expected a boolean, found {}", other.kind()));
                    ok = false;
                }
            },
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
        dry_run,
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
    if host.contains('*')
        && let Err(message) = wildcard_host(host)
    {
        problems.add(path, message);
        return None;
    }
    let port = url
        .port_or_known_default()
        .unwrap_or(if https { 443 } else { 80 });
    let Some(origin) = OriginKey::new(https, host, port) else {
        problems.add(path, format!("host longer than {MAX_HOST_LEN} bytes"));
        return None;
    };
    let Some(pattern) = Pattern::new(url.path()) else {
        problems.add(
            path,
            format!(
                "a path with \"*\" segments may have at most {} segments",
                MAX_WILD_SEGMENTS - 1
            ),
        );
        return None;
    };
    fine.then(|| (origin.as_str().to_owned(), pattern))
}

/// Checks a host with a `*` (as `url` normalized it): a wildcard host is `*.` then at least
/// two labels (`*.okta.com`; a final `.` is no label), so that it never stands for a whole
/// top-level domain; a `*` anywhere else is a mistake, not a host that never matches.
fn wildcard_host(host: &str) -> Result<(), String> {
    let rest = if host == "*" {
        Some("")
    } else {
        host.strip_prefix("*.")
    };
    match rest {
        Some(rest) if !rest.contains('*') => {
            let rest = rest.strip_suffix('.').unwrap_or(rest);
            let labels = rest.split('.');
            if rest.is_empty() || labels.clone().any(str::is_empty) || labels.count() < 2 {
                Err(format!(
                    "host \"{host}\": a \"*\" first label must be followed by at least two \
                     labels (https://*.okta.com/...), so that it never matches a whole \
                     top-level domain"
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "host \"{host}\": \"*\" may only be the whole first label of a host \
             (https://*.okta.com/... matches any one label in its place)"
        )),
    }
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
    let reserved = reserved_as(name);
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
        let read_as = if reserved.eq_ignore_ascii_case(name) {
            String::new()
        } else {
            format!(" (a PHP server such as WordPress.com reads \"{name}\" as \"{reserved}\")")
        };
        problems.add(
            path,
            format!(
                "\"{reserved}\" is reserved: it can be neither added, replaced nor removed{read_as}"
            ),
        );
    } else if reserved_as_php(name, "scope") && (mode != Mode::Merge || remove.is_some()) {
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
