//! Validation of the JSON form: every problem is collected with its JSON path, so that an
//! operator sees all of them at once. What passes is handed to [`compile`](super::compile)
//! as [`Spec`]s and [`EndpointSpec`]s.
use super::Protocol;
use super::index::{EndpointSpec, MAX_WILD_SEGMENTS, Pattern};
use super::json::Node;
use super::limits::{DEFAULT_MAX_LOCATION_LEN, DEFAULT_MAX_VALUE_LEN, Limits};
use super::names::{FORBIDDEN_SOURCES, control_problem, name_problem};
use super::param::{Spec, compile_param};
use super::problems::{Problems, boolean, enum_value, join, object, positive, string};
use crate::text::{MAX_HOST_LEN, OriginKey};

/// The keys of a connection, in the order the canonical form writes them.
pub(crate) const CONNECTION_KEYS: [&str; 5] = [
    "authorization_url",
    "client_id",
    "protocol",
    "dry_run",
    "upstream_params",
];

/// A connection's validated params, by target name, in configuration order.
pub(crate) type ParamSpecs<'n> = Vec<(&'n str, Spec<'n>)>;

/// The keys of the root object, in the order the canonical form writes them.
pub(crate) const ROOT_KEYS: [&str; 4] = ["connections", "query_aliases", "limits", "dry_run"];

/// A root key that is accepted and ignored: the JSON Schema an editor validates the file
/// with (`"$schema": "./config.schema.json"`). It must be a string (as the schema says);
/// the canonical form drops it, so [`Config::to_json`](super::Config::to_json), equality and
/// the fingerprint do not see it.
pub(crate) const SCHEMA_KEY: &str = "$schema";

/// What the root object sets for every connection.
pub(crate) struct RootSettings<'n> {
    pub(crate) limits: Limits,
    pub(crate) query_aliases: Vec<&'n str>,
    /// The top-level `"dry_run"`: every connection is a dry run.
    pub(crate) dry_run: bool,
}

/// The root object's keys, `limits`, `query_aliases` and `dry_run`, validated.
pub(crate) fn root_settings<'n>(
    root: &'n Node,
    problems: &mut Problems,
) -> Option<RootSettings<'n>> {
    let mut known = vec![SCHEMA_KEY];
    known.extend(ROOT_KEYS);
    object(root, "", &known, problems)?;
    if let Some(node) = root.get(SCHEMA_KEY) {
        if !matches!(node, Node::String(_)) {
            problems.add(
                SCHEMA_KEY,
                format!("expected a string, found {}", node.kind()),
            );
        }
    }

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
                    if let Some(problem) = name_problem("a query_aliases entry", name) {
                        problems.add(&path, problem);
                    } else if FORBIDDEN_SOURCES
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
    let dry_run = root
        .get("dry_run")
        .and_then(|node| boolean(node, "dry_run", problems))
        .unwrap_or(false);
    Some(RootSettings {
        limits,
        query_aliases,
        dry_run,
    })
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
                if let Some(problem) = client_id
                    .as_deref()
                    .and_then(|id| control_problem("a client_id", id))
                {
                    problems.add(&here, problem);
                    client_id = None;
                }
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
            "dry_run" => match boolean(value, &here, problems) {
                Some(b) => dry_run = b,
                None => ok = false,
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
