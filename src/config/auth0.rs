//! Import of Auth0 Management API connection objects.
//!
//! The options read are those the Management API returns (`GET /api/v2/connections`); none
//! is fetched from the network (no discovery document, no federation metadata). Where the
//! endpoint cannot be known from the object itself, the error names the option to add.

use std::collections::HashMap;

use super::compile;
use super::json::Node;
use crate::{Config, ConfigError};

/// Authorization endpoints of Auth0 strategies whose URL is fixed, with the protocol each
/// speaks. `options.authorizationURL` (or `authorization_endpoint`) in a connection object
/// overrides the table.
pub(crate) const KNOWN_ENDPOINTS: [(&str, &str, &str); 16] = [
    (
        "google-oauth2",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc",
    ),
    // Google Workspace signs in at Google's own endpoint; its `options.domain` is the
    // Workspace domain (sent as `hd`), not a host.
    (
        "google-apps",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc",
    ),
    (
        "github",
        "https://github.com/login/oauth/authorize",
        "oauth2",
    ),
    (
        "twitter",
        "https://api.twitter.com/oauth/authorize",
        "oauth1",
    ),
    (
        "wordpress",
        "https://public-api.wordpress.com/oauth2/authorize",
        "oauth2",
    ),
    // Facebook versions its dialog path (`/v19.0/dialog/oauth`).
    (
        "facebook",
        "https://www.facebook.com/*/dialog/oauth",
        "oauth2",
    ),
    (
        "windowslive",
        "https://login.live.com/oauth20_authorize.srf",
        "oauth2",
    ),
    (
        "linkedin",
        "https://www.linkedin.com/oauth/v2/authorization",
        "oauth2",
    ),
    ("apple", "https://appleid.apple.com/auth/authorize", "oidc"),
    ("amazon", "https://www.amazon.com/ap/oa", "oauth2"),
    (
        "dropbox",
        "https://www.dropbox.com/oauth2/authorize",
        "oauth2",
    ),
    (
        "bitbucket",
        "https://bitbucket.org/site/oauth2/authorize",
        "oauth2",
    ),
    (
        "paypal",
        "https://www.paypal.com/signin/authorize",
        "oauth2",
    ),
    (
        "salesforce",
        "https://login.salesforce.com/services/oauth2/authorize",
        "oauth2",
    ),
    (
        "yahoo",
        "https://api.login.yahoo.com/oauth2/request_auth",
        "oauth2",
    ),
    (
        "box",
        "https://account.box.com/api/oauth2/authorize",
        "oauth2",
    ),
];

/// Strategies that sign users in without redirecting them to an identity provider.
const NO_REDIRECT: [&str; 6] = ["auth0", "email", "sms", "ad", "auth0-adldap", "ip"];

/// Microsoft Entra ID's sign-in host (global cloud).
const ENTRA: &str = "https://login.microsoftonline.com";

fn string(node: Option<&Node>) -> Option<&str> {
    match node {
        Some(Node::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The `options` object of one connection (absent, or not an object, reads as empty).
#[derive(Clone, Copy)]
struct Options<'a>(Option<&'a Node>);

impl<'a> Options<'a> {
    fn get(self, key: &str) -> Option<&'a Node> {
        self.0.and_then(|o| o.get(key))
    }

    /// A non-empty string option.
    fn string(self, key: &str) -> Option<&'a str> {
        string(self.get(key))
    }

    /// A boolean option that is `true` (anything else is `false`).
    fn flag(self, key: &str) -> bool {
        matches!(self.get(key), Some(Node::Bool(true)))
    }
}

/// Whether `s` can stand as a host, or as the tenant segment of an Entra ID path, in a URL
/// built from it: dot-separated labels of ASCII letters, digits and `-` (a domain name or a
/// tenant ID), nothing that would add a scheme, port, path, query or `*` wildcard.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `s` is an `http(s)://` URL a path can be appended to: no query, fragment, `*`
/// or whitespace.
fn is_base_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !s
            .bytes()
            .any(|b| matches!(b, b'?' | b'#' | b'*') || b.is_ascii_whitespace())
}

/// X's OAuth 2.0 authorize endpoint, for a `twitter` connection whose `options.protocol` is
/// `"oauth2"` (X's developer documentation, "OAuth 2.0 Authorization Code Flow with PKCE").
pub(crate) const X_OAUTH2: &str = "https://x.com/i/oauth2/authorize";

/// The endpoint and protocol of one Auth0 connection, with the place in the connection object
/// the URL came from (for errors about it); or what is missing.
fn endpoint(
    strategy: &str,
    options: Option<&Node>,
) -> Result<(String, &'static str, &'static str), String> {
    endpoint_and_protocol(strategy, options).map(|(url, protocol)| {
        let options = Options(options);
        let from = [
            "signInEndpoint",
            "authorizationURL",
            "authorization_endpoint",
            "pingFederateBaseUrl",
        ]
        .into_iter()
        .zip([
            "options.signInEndpoint",
            "options.authorizationURL",
            "options.authorization_endpoint",
            "options.pingFederateBaseUrl",
        ])
        .find(|(key, _)| options.string(key).is_some())
        .map_or_else(
            || {
                if strategy == "twitter" && protocol == "oauth2" {
                    "options.protocol"
                } else if KNOWN_ENDPOINTS.iter().any(|(name, _, _)| *name == strategy) {
                    "strategy"
                } else {
                    "options"
                }
            },
            |(_, from)| from,
        );
        (url, protocol, from)
    })
}

fn endpoint_and_protocol(
    strategy: &str,
    options: Option<&Node>,
) -> Result<(String, &'static str), String> {
    let options = Options(options);
    if matches!(strategy, "samlp" | "adfs" | "pingfederate") {
        return sign_in_endpoint(strategy, options).map(|url| (url, "saml"));
    }
    let known = KNOWN_ENDPOINTS
        .iter()
        .find(|(name, _, _)| *name == strategy);
    // X (Twitter) speaks OAuth 1.0a or, when the connection says so, OAuth 2.0.
    let x_oauth2 = strategy == "twitter" && options.string("protocol") == Some("oauth2");
    let protocol = match strategy {
        "oidc" | "okta" | "waad" => "oidc",
        _ if x_oauth2 => "oauth2",
        _ => known.map_or("oauth2", |(_, _, protocol)| *protocol),
    };
    if let Some(url) = options
        .string("authorizationURL")
        .or_else(|| options.string("authorization_endpoint"))
    {
        return Ok((url.to_owned(), protocol));
    }
    if x_oauth2 {
        return Ok((X_OAUTH2.to_owned(), protocol));
    }
    match strategy {
        "oidc" | "okta" => {
            // What Auth0 stored from the discovery document, when it ran discovery.
            let metadata = options.get("oidc_metadata");
            if let Some(url) = string(metadata.and_then(|m| m.get("authorization_endpoint"))) {
                return Ok((url.to_owned(), protocol));
            }
            if strategy == "okta" {
                return match options.string("domain") {
                    Some(domain) if is_dns_name(domain) => {
                        Ok((format!("https://{domain}/oauth2/v1/authorize"), protocol))
                    }
                    Some(_) => Err("options.domain of strategy \"okta\" is not a domain name \
                                    (no scheme, port or path): set options.authorization_endpoint"
                        .to_owned()),
                    None => Err("strategy \"okta\" needs options.authorization_endpoint \
                                 (or options.domain)"
                        .to_owned()),
                };
            }
            Err(if options.string("discovery_url").is_some() {
                "strategy \"oidc\" needs options.authorization_endpoint: the discovery document \
                 at options.discovery_url is not fetched"
            } else {
                "strategy \"oidc\" needs options.authorization_endpoint"
            }
            .to_owned())
        }
        "waad" => entra(options),
        _ if NO_REDIRECT.contains(&strategy) => Err(format!(
            "strategy \"{strategy}\" signs users in without redirecting them to an identity \
             provider: it has no authorization endpoint"
        )),
        _ => known
            .map(|(_, url, protocol)| ((*url).to_owned(), *protocol))
            .ok_or_else(|| {
                format!(
                    "the authorization endpoint of strategy \"{strategy}\" is not known: \
                     set options.authorizationURL"
                )
            }),
    }
}

/// The SAML (`samlp`, `pingfederate`) or WS-Federation (`adfs`) sign-in endpoint.
fn sign_in_endpoint(strategy: &str, options: Options<'_>) -> Result<String, String> {
    if let Some(url) = options.string("signInEndpoint") {
        return Ok(url.to_owned());
    }
    let why = match (strategy, options.string("pingFederateBaseUrl")) {
        // PingFederate's SAML 2.0 single sign-on service is at a fixed path of its base URL.
        ("pingfederate", Some(base)) if is_base_url(base) => {
            return Ok(format!("{}/idp/SSO.saml2", base.trim_end_matches('/')));
        }
        ("pingfederate", Some(_)) => {
            "options.pingFederateBaseUrl of strategy \"pingfederate\" is not an http(s) URL \
             without query or fragment: set options.signInEndpoint"
        }
        ("pingfederate", None) => {
            "strategy \"pingfederate\" needs options.signInEndpoint (or options.pingFederateBaseUrl)"
        }
        ("adfs", _) => {
            "strategy \"adfs\" needs options.signInEndpoint: the federation metadata \
             (options.adfs_server, options.fedMetadataXml) is not read"
        }
        _ => "strategy \"samlp\" needs options.signInEndpoint",
    };
    Err(why.to_owned())
}

/// Entra ID (`waad`): `https://login.microsoftonline.com/{tenant}/...`.
///
/// The tenant is `common` when `options.useCommonEndpoint` (or the older
/// `waad_common_endpoint`) is `true`; else `options.domain` (the Dashboard's "Microsoft Azure
/// AD Domain", e.g. `contoso.onmicrosoft.com`), else `options.tenant_domain`, else
/// `options.tenantId` (the tenant's UUID). `options.app_domain` is the Auth0 tenant's own
/// domain and is never read. The path is `/wsfed` (WS-Federation, no `client_id`) when
/// `options.use_wsfed` is `true` or `options.waad_protocol` is `"ws-federation"`; else
/// `/oauth2/authorize` for `options.identity_api` `"azure-active-directory-v1.0"`, and
/// `/oauth2/v2.0/authorize` for `"microsoft-identity-platform-v2.0"` or none (the API's
/// default).
fn entra(options: Options<'_>) -> Result<(String, &'static str), String> {
    let tenant = if options.flag("useCommonEndpoint") || options.flag("waad_common_endpoint") {
        "common"
    } else {
        let (key, tenant) = ["domain", "tenant_domain", "tenantId"]
            .into_iter()
            .find_map(|key| options.string(key).map(|tenant| (key, tenant)))
            .ok_or_else(|| {
                "strategy \"waad\" needs options.domain, the Entra ID tenant \
                 (or options.tenant_domain, options.tenantId, or options.useCommonEndpoint: true)"
                    .to_owned()
            })?;
        if !is_dns_name(tenant) {
            return Err(format!(
                "options.{key} of strategy \"waad\" is not an Entra ID tenant \
                 (a domain name or a tenant ID)"
            ));
        }
        tenant
    };
    if options.flag("use_wsfed") || options.string("waad_protocol") == Some("ws-federation") {
        return Ok((format!("{ENTRA}/{tenant}/wsfed"), "saml"));
    }
    let path = match options.get("identity_api") {
        None | Some(Node::Null) => "oauth2/v2.0/authorize",
        Some(Node::String(api)) if api.is_empty() || api == "microsoft-identity-platform-v2.0" => {
            "oauth2/v2.0/authorize"
        }
        Some(Node::String(api)) if api == "azure-active-directory-v1.0" => "oauth2/authorize",
        Some(_) => {
            return Err("options.identity_api of strategy \"waad\" is neither \
                        \"microsoft-identity-platform-v2.0\" nor \"azure-active-directory-v1.0\""
                .to_owned());
        }
    };
    Ok((format!("{ENTRA}/{tenant}/{path}"), "oidc"))
}

/// Auth0 connection objects converted to a [`Config`]
/// ([`Config::import_auth0`]): the configuration, and the connections left out.
///
/// ```
/// use tower_upstream_params::Config;
///
/// let import = Config::import_auth0(r#"{"total": 2, "start": 0, "limit": 50, "connections": [
///   {"name": "WPConn", "strategy": "wordpress", "options": {
///     "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}},
///   {"name": "GitHub", "strategy": "github", "options": {}}
/// ]}"#)?;
/// assert_eq!(import.config().connection_names().collect::<Vec<_>>(), ["WPConn"]);
/// let skipped = &import.skipped()[0];
/// assert_eq!(
///     (skipped.connection(), skipped.path(), skipped.reason()),
///     ("GitHub", "connections[1]", "no options.upstream_params"),
/// );
/// # Ok::<(), tower_upstream_params::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Auth0Import {
    config: Config,
    skipped: Vec<SkippedConnection>,
}

impl Auth0Import {
    /// The configuration: one connection per Auth0 connection with upstream params.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, by value.
    pub fn into_config(self) -> Config {
        self.config
    }

    /// Every connection left out, in input order, with why.
    pub fn skipped(&self) -> &[SkippedConnection] {
        &self.skipped
    }
}

/// An Auth0 connection that [`Config::import_auth0`] left out, and why.
///
/// The reason names options, never a configured value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedConnection {
    connection: String,
    path: String,
    reason: &'static str,
}

impl SkippedConnection {
    /// The connection's `name`.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Where the connection object is in the input (`[3]`, `connections[3]`, or `""` for
    /// one object alone), written as [`ConfigError`] paths are.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Why it was left out: `no options.upstream_params` or `options.upstream_params is
    /// empty`.
    pub fn reason(&self) -> &str {
        self.reason
    }
}

/// `key` under the input path `path`.
fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The connection objects of the input, each with its path: an array (`[i]`), the
/// Management API's paginated list (`connections[i]`), or one object (`""`).
fn items(root: &Node) -> Result<Vec<(String, &Node)>, ConfigError> {
    fn list<'n>(items: &'n [Node], prefix: &str) -> Vec<(String, &'n Node)> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{prefix}[{i}]"), item))
            .collect()
    }
    match root {
        Node::Array(items) => Ok(list(items, "")),
        Node::Object(_) => match root.get("connections") {
            Some(Node::Array(items)) => Ok(list(items, "connections")),
            // This crate's own form: `connections` keyed by name.
            Some(Node::Object(_)) => Err(ConfigError::new(
                "connections",
                "an object of connections keyed by name is this crate's own configuration, \
                 not Auth0 connection objects: load it as such (Config::from_json)",
            )),
            Some(other) if root.get("strategy").is_none() => Err(ConfigError::new(
                "connections",
                format!(
                    "expected an array of Auth0 connection objects, found {}",
                    other.kind()
                ),
            )),
            _ => Ok(vec![(String::new(), root)]),
        },
        other => Err(ConfigError::new(
            "",
            format!(
                "expected an Auth0 connection object, an array of them, or the Management \
                 API's list ({{\"connections\": [...]}}), found {}",
                other.kind()
            ),
        )),
    }
}

/// One connection converted: its name, input path, where its URL came from, and its node in
/// this crate's form.
struct Converted {
    name: String,
    path: String,
    url_from: &'static str,
    node: Node,
}

impl Converted {
    /// The place in the input of a problem at `problem` (a path of this crate's form, under
    /// `connections.<name>`).
    fn locate(&self, problem: &str) -> String {
        let prefix = format!("connections.{}", self.name);
        let rest = match problem.strip_prefix(&prefix) {
            Some("") => return self.path.clone(),
            Some(rest) => rest.strip_prefix('.').unwrap_or(rest),
            None => return self.path.clone(),
        };
        let key = rest.split(['.', '[']).next().unwrap_or(rest);
        match key {
            "upstream_params" | "client_id" => at(&self.path, &format!("options.{rest}")),
            "authorization_url" => at(&self.path, self.url_from),
            _ => at(&self.path, "strategy"),
        }
    }
}

/// Converts Auth0 connection objects into a configuration, every problem located in the
/// input.
pub(crate) fn import(root: &Node) -> Result<Auth0Import, ConfigError> {
    let items = items(root)?;
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut skipped = Vec::new();
    let mut converted: Vec<Converted> = Vec::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    for (path, item) in &items {
        if !matches!(item, Node::Object(_)) {
            problems.push((
                path.clone(),
                format!("expected an Auth0 connection object, found {}", item.kind()),
            ));
            continue;
        }
        let Some(name) = string(item.get("name")) else {
            problems.push((at(path, "name"), "missing connection name".to_owned()));
            continue;
        };
        if let Some(first) = names.insert(name, path) {
            problems.push((
                at(path, "name"),
                format!("connection \"{name}\" is given twice (first at {first})"),
            ));
            continue;
        }
        let options = item.get("options");
        if let Some(other) = options.filter(|o| !matches!(o, Node::Object(_) | Node::Null)) {
            problems.push((
                at(path, "options"),
                format!(
                    "connection \"{name}\": expected an object, found {}",
                    other.kind()
                ),
            ));
            continue;
        }
        let params = match options.and_then(|o| o.get("upstream_params")) {
            None | Some(Node::Null) => {
                skipped.push(skip(name, path, "no options.upstream_params"));
                continue;
            }
            Some(Node::Object(entries)) if entries.is_empty() => {
                skipped.push(skip(name, path, "options.upstream_params is empty"));
                continue;
            }
            Some(params) => params,
        };
        let Some(strategy) = string(item.get("strategy")) else {
            problems.push((
                at(path, "strategy"),
                format!("connection \"{name}\": missing strategy"),
            ));
            continue;
        };
        let (url, protocol, url_from) = match endpoint(strategy, options) {
            Ok(found) => found,
            Err(why) => {
                problems.push((at(path, "options"), format!("connection \"{name}\": {why}")));
                continue;
            }
        };
        let mut entries = vec![("authorization_url".to_owned(), Node::String(url))];
        if matches!(protocol, "oauth2" | "oidc") {
            if let Some(client_id) = string(options.and_then(|o| o.get("client_id"))) {
                entries.push(("client_id".to_owned(), Node::String(client_id.to_owned())));
            }
        }
        entries.push(("protocol".to_owned(), Node::String(protocol.to_owned())));
        entries.push(("upstream_params".to_owned(), params.clone()));
        let one = Converted {
            name: name.to_owned(),
            path: path.clone(),
            url_from,
            node: Node::Object(entries),
        };
        // Validated alone, so that each problem is located in this connection's object.
        match compile::compile(&config_of(std::slice::from_ref(&one))) {
            Ok(_) => converted.push(one),
            Err(error) => problems.extend(
                error
                    .problems()
                    .map(|(problem, message)| (one.locate(problem), message.to_owned())),
            ),
        }
    }
    // Then together: connections that cannot be told apart (and any limit of the whole).
    let root = config_of(&converted);
    if let Err(error) = compile::compile(&root) {
        problems.extend(error.problems().map(|(problem, message)| {
            let owner = converted
                .iter()
                .filter(|c| {
                    let prefix = format!("connections.{}", c.name);
                    problem == prefix || problem.starts_with(&format!("{prefix}."))
                })
                .max_by_key(|c| c.name.len());
            let located = owner.map_or_else(|| problem.to_owned(), |c| c.locate(problem));
            (located, message.to_owned())
        }));
    }
    if !problems.is_empty() {
        return Err(ConfigError::from_problems(problems));
    }
    Ok(Auth0Import {
        config: Config::from_node(root)?,
        skipped,
    })
}

fn skip(name: &str, path: &str, reason: &'static str) -> SkippedConnection {
    SkippedConnection {
        connection: name.to_owned(),
        path: path.to_owned(),
        reason,
    }
}

/// This crate's JSON form holding `connections`.
fn config_of(connections: &[Converted]) -> Node {
    let entries = connections
        .iter()
        .map(|c| (c.name.clone(), c.node.clone()))
        .collect();
    Node::Object(vec![("connections".to_owned(), Node::Object(entries))])
}
