//! Import of Auth0 Management API connection objects.

use super::json::Node;
use crate::ConfigError;

/// Authorization endpoints of Auth0 strategies whose URL Auth0 knows without being told, with
/// the protocol each speaks. `options.authorizationURL` (or `authorization_endpoint`) in a
/// connection object overrides the table.
pub(crate) const KNOWN_ENDPOINTS: [(&str, &str, &str); 15] = [
    (
        "google-oauth2",
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

fn string(node: Option<&Node>) -> Option<&str> {
    match node {
        Some(Node::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The endpoint and protocol of one Auth0 connection, or what is missing.
fn endpoint(strategy: &str, options: Option<&Node>) -> Result<(String, &'static str), String> {
    let option = |key: &str| string(options.and_then(|o| o.get(key)));
    let protocol = match strategy {
        "samlp" => "saml",
        "oidc" | "okta" | "google-oauth2" | "apple" => "oidc",
        "twitter" => "oauth1",
        _ => "oauth2",
    };
    if strategy == "samlp" {
        return option("signInEndpoint")
            .map(|url| (url.to_owned(), protocol))
            .ok_or_else(|| "strategy \"samlp\" needs options.signInEndpoint".to_owned());
    }
    if let Some(url) = option("authorizationURL").or_else(|| option("authorization_endpoint")) {
        return Ok((url.to_owned(), protocol));
    }
    if strategy == "okta" {
        if let Some(domain) = option("domain") {
            return Ok((format!("https://{domain}/oauth2/v1/authorize"), protocol));
        }
    }
    KNOWN_ENDPOINTS
        .iter()
        .find(|(name, _, _)| *name == strategy)
        .map(|(_, url, protocol)| ((*url).to_owned(), *protocol))
        .ok_or_else(|| {
            format!(
                "the authorization endpoint of strategy \"{strategy}\" is not known: \
                 set options.authorizationURL"
            )
        })
}

/// Turns Auth0 connection objects (one, or an array) into this crate's JSON form.
pub(crate) fn convert(root: &Node) -> Result<Node, ConfigError> {
    let items: Vec<(String, &Node)> = match root {
        Node::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("[{i}]"), item))
            .collect(),
        Node::Object(_) => vec![(String::new(), root)],
        other => {
            return Err(ConfigError::new(
                "",
                format!(
                    "expected an Auth0 connection object or an array of them, found {}",
                    other.kind()
                ),
            ));
        }
    };
    let at = |path: &str, key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    let mut problems = Vec::new();
    let mut connections: Vec<(String, Node)> = Vec::new();
    for (path, item) in items {
        let Some(name) = string(item.get("name")) else {
            problems.push((at(&path, "name"), "missing connection name".to_owned()));
            continue;
        };
        let options = item.get("options");
        let params = match options.and_then(|o| o.get("upstream_params")) {
            None | Some(Node::Null) => continue,
            Some(Node::Object(entries)) if entries.is_empty() => continue,
            Some(params) => params,
        };
        let Some(strategy) = string(item.get("strategy")) else {
            problems.push((
                at(&path, "strategy"),
                format!("connection \"{name}\": missing strategy"),
            ));
            continue;
        };
        let (url, protocol) = match endpoint(strategy, options) {
            Ok(found) => found,
            Err(why) => {
                problems.push((
                    at(&path, "options"),
                    format!("connection \"{name}\": {why}"),
                ));
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
        connections.push((name.to_owned(), Node::Object(entries)));
    }
    if !problems.is_empty() {
        return Err(ConfigError::from_problems(problems));
    }
    Ok(Node::Object(vec![(
        "connections".to_owned(),
        Node::Object(connections),
    )]))
}
