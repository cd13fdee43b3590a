//! `validate`'s warnings: what loads, but is probably not what the operator meant. They never
//! change the exit status, unless `--strict`.

use tower_upstream_params::config::{Kind, Source};
use tower_upstream_params::{Config, ConnectionInfo};
use url::{Host, Url};

use crate::problem::Problem;

/// Every warning about `config`, loaded from `file`, in configuration order.
pub(crate) fn warnings(file: &str, config: &Config) -> Vec<Problem> {
    let connections: Vec<ConnectionInfo> = config.connections().collect();
    let mut found = Vec::new();
    if connections.is_empty() {
        found.push(Problem::whole(
            Some(file),
            "the configuration has no connection: the layer changes nothing",
        ));
    }
    for connection in &connections {
        connection_warnings(file, connection, &mut found);
    }
    found
}

fn connection_warnings(file: &str, connection: &ConnectionInfo, found: &mut Vec<Problem>) {
    let name = connection.name();
    let url_keys = ["connections", name, "authorization_url"];
    if let Ok(url) = Url::parse(connection.authorization_url()) {
        let path = url.path();
        if path.len() > 1 && path.ends_with('/') {
            found.push(Problem::at(
                file,
                &url_keys,
                "the path ends in '/': a redirect to the path without it matches no endpoint \
                 (the layer logs that only at DEBUG, as no_endpoint)",
            ));
        }
        if url.scheme() == "http" && !url.host().is_some_and(is_loopback) {
            found.push(Problem::at(
                file,
                &url_keys,
                "an http URL off loopback: the redirect, and every param in it, crosses the \
                 network in the clear, and a browser on an https page reads a Location such as \
                 'http:host/path' as absolute where the layer does not; use https",
            ));
        }
    }
    let wildcard_host = connection
        .authorization_url()
        .split_once("://")
        .is_some_and(|(_, rest)| rest.starts_with("*."));
    for param in connection.params() {
        let keys = ["connections", name, "upstream_params", param.name()];
        if param.kind() == Kind::Value && param.name().eq_ignore_ascii_case("login_hint") {
            found.push(Problem::at(
                file,
                &keys,
                "a static login_hint sends the same user hint for every user: it is a per-user \
                 param; use an alias",
            ));
        }
        let reads_query = matches!(param.source(), Some(Source::Any | Source::Query));
        if wildcard_host && connection.client_id().is_none() && reads_query {
            found.push(Problem::at(
                file,
                &keys,
                "a wildcard host without client_id, and this alias reads the request query: \
                 every tenant of that service, an attacker's own included, can be sent the \
                 value; add a client_id, or \"source\": \"broker\"",
            ));
        }
    }
}

/// `localhost`, a name under `.localhost` (RFC 6761), `127.0.0.0/8`, `::1`.
fn is_loopback(host: Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(json: &str) -> Vec<String> {
        let config = Config::from_json(json).unwrap();
        warnings("f", &config)
            .into_iter()
            .map(|p| p.pointer)
            .collect()
    }

    #[test]
    fn each_warning_is_found_where_it_applies() {
        assert_eq!(paths("{}"), [""]);
        assert_eq!(
            paths(
                r#"{"connections": {
                "slash": {"authorization_url": "https://idp.example/authorize/"},
                "root": {"authorization_url": "https://idp.example/"},
                "plain": {"authorization_url": "http://idp.example/a"},
                "local": {"authorization_url": "http://127.0.0.1:8080/a"},
                "dev": {"authorization_url": "http://app.localhost/a"},
                "v6": {"authorization_url": "http://[::1]/a"},
                "hint": {"authorization_url": "https://h.example/a",
                         "upstream_params": {"login_hint": {"value": "jane@acme.com"}}},
                "okta": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                         "upstream_params": {"login_hint": {"alias": "login_hint"},
                                             "hd": {"alias": "org", "source": "broker"}}},
                "okta-pinned": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                         "client_id": "c",
                         "upstream_params": {"login_hint": {"alias": "login_hint"}}}
            }}"#
            ),
            [
                "/connections/slash/authorization_url",
                "/connections/plain/authorization_url",
                "/connections/hint/upstream_params/login_hint",
                "/connections/okta/upstream_params/login_hint",
            ]
        );
    }
}
