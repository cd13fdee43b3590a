//! Why a URL selects no connection, and what was nearest: read from the configured
//! connections ([`ConnectionInfo`]), the way the layer matches (scheme, host with its
//! wildcard first label, port, path with its `*` segments, then `client_id`).
//!
//! The layer decides; this module only explains. [`classify`] retraces the layer's checks to
//! find the first that failed and the configured connection nearest to passing it.

use tower_upstream_params::ConnectionInfo;
use url::Url;

/// The check a URL failed, with what was nearest.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// Not visible ASCII: a `Location` the layer cannot read (`to_str` refuses it).
    NotAscii,
    /// A form a browser reads relative to the broker's page (`http:idp.example/x`), or not
    /// `http(s)` at all: not an identity provider's URL to the layer.
    NotHttp,
    /// No connection is configured on this origin. `nearest`: a connection on the same host
    /// (another scheme or port), if any.
    NoOrigin {
        origin: String,
        nearest: Option<Nearest>,
    },
    /// A configured origin, but no `authorization_url` there has this path.
    PathDiffers {
        origin: String,
        path: String,
        nearest: Option<Nearest>,
        trailing_slash: bool,
    },
    /// A configured endpoint, but its `client_id` selects none of the connections there.
    ClientId {
        client_id: ClientId,
        configured: Vec<(String, Option<String>)>,
    },
    /// The named connection (`UpstreamConnection`) is not configured for this endpoint.
    NotCandidate {
        named: String,
        authorization_url: String,
    },
}

/// The configured connection nearest to the URL, and its `authorization_url`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Nearest {
    pub(crate) connection: String,
    pub(crate) authorization_url: String,
}

/// The URL's `client_id`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ClientId {
    /// None in the query (OAuth 1, SAML).
    Absent,
    /// Exactly one.
    One(String),
    /// Given more than once: ambiguous, so it selects nothing.
    Repeated,
}

/// A URL broken up as the layer compares it.
struct Parts {
    https: bool,
    host: String,
    port: Option<u16>,
    path: String,
}

impl Parts {
    fn of(url: &Url) -> Option<Parts> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        Some(Parts {
            https,
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default(),
            path: url.path().to_owned(),
        })
    }

    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match (self.port, self.https) {
            (Some(443), true) | (Some(80), false) | (None, _) => {
                format!("{scheme}://{}", self.host)
            }
            (Some(port), _) => format!("{scheme}://{}:{port}", self.host),
        }
    }

    /// Whether a configured host (`*.okta.com`: any one label in place of `*`) is this one.
    fn host_matches(&self, configured: &str) -> bool {
        match configured.strip_prefix("*.") {
            Some(suffix) => self
                .host
                .strip_suffix(suffix)
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => self.host == configured,
        }
    }

    fn same_origin(&self, configured: &Parts) -> bool {
        self.https == configured.https
            && self.port == configured.port
            && self.host_matches(&configured.host)
    }

    /// Whether a configured path (`*` segments match any one segment) is this one.
    fn path_matches(&self, configured: &str) -> bool {
        let (mut ours, mut theirs) = (self.path.split('/'), configured.split('/'));
        loop {
            match (ours.next(), theirs.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a == b || b == "*" => {}
                _ => return false,
            }
        }
    }
}

/// Retraces the layer's checks for `url` (the connection `named`, if the broker names one)
/// and says which failed. `None` when every check passes: then the layer selects a
/// connection, and there is nothing to explain.
pub(crate) fn classify(
    raw: &str,
    named: Option<&str>,
    connections: &[ConnectionInfo],
) -> Option<Why> {
    if !raw.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        return Some(Why::NotAscii);
    }
    let url = Url::parse(raw).ok();
    let parts = url
        .as_ref()
        .filter(|_| !relative_form(raw))
        .and_then(Parts::of);
    let configured: Vec<(&ConnectionInfo, Parts)> = connections
        .iter()
        .filter_map(|c| {
            let url = Url::parse(c.authorization_url()).ok()?;
            Some((c, Parts::of(&url)?))
        })
        .collect();
    if let Some(name) = named {
        let named_here = configured.iter().find(|(c, _)| c.name() == name);
        let candidate = match (&parts, named_here) {
            (Some(parts), Some((_, theirs))) => {
                parts.same_origin(theirs) && parts.path_matches(&theirs.path)
            }
            _ => false,
        };
        if candidate {
            return None;
        }
        let authorization_url = connections
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.authorization_url().to_owned())
            .unwrap_or_default();
        return Some(Why::NotCandidate {
            named: name.to_owned(),
            authorization_url,
        });
    }
    let Some(parts) = parts else {
        return Some(Why::NotHttp);
    };
    let on_origin: Vec<&(&ConnectionInfo, Parts)> = configured
        .iter()
        .filter(|(_, theirs)| parts.same_origin(theirs))
        .collect();
    if on_origin.is_empty() {
        let nearest = configured
            .iter()
            .find(|(_, theirs)| parts.host_matches(&theirs.host))
            .map(|(c, _)| nearest(c));
        return Some(Why::NoOrigin {
            origin: parts.origin(),
            nearest,
        });
    }
    let at_endpoint: Vec<&ConnectionInfo> = on_origin
        .iter()
        .filter(|(_, theirs)| parts.path_matches(&theirs.path))
        .map(|(c, _)| *c)
        .collect();
    if at_endpoint.is_empty() {
        let closest = on_origin
            .iter()
            .min_by_key(|(_, theirs)| distance(&parts.path, &theirs.path));
        let trailing_slash = closest.is_some_and(|(_, theirs)| {
            let (a, b) = (parts.path.as_str(), theirs.path.as_str());
            a.strip_suffix('/') == Some(b) || b.strip_suffix('/') == Some(a)
        });
        return Some(Why::PathDiffers {
            origin: parts.origin(),
            path: parts.path.clone(),
            nearest: closest.map(|(c, _)| nearest(c)),
            trailing_slash,
        });
    }
    let client_id = client_id(url.as_ref());
    let selects = match &client_id {
        ClientId::One(id) => at_endpoint
            .iter()
            .any(|c| c.client_id() == Some(id) || c.client_id().is_none()),
        ClientId::Absent => {
            at_endpoint.len() == 1 || at_endpoint.iter().any(|c| c.client_id().is_none())
        }
        ClientId::Repeated => false,
    };
    if selects {
        return None;
    }
    Some(Why::ClientId {
        client_id,
        configured: at_endpoint
            .iter()
            .map(|c| (c.name().to_owned(), c.client_id().map(str::to_owned)))
            .collect(),
    })
}

fn nearest(connection: &ConnectionInfo) -> Nearest {
    Nearest {
        connection: connection.name().to_owned(),
        authorization_url: connection.authorization_url().to_owned(),
    }
}

/// `http:idp.example/x`, `https:\idp.example`: a scheme followed by fewer than two slashes
/// (`/` or `\`), which a browser on a page of the same scheme reads as relative; the layer
/// never rewrites these.
fn relative_form(raw: &str) -> bool {
    let text: String = raw
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let slashes = rest
        .chars()
        .take(2)
        .filter(|c| matches!(c, '/' | '\\'))
        .count();
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) && slashes < 2
}

/// The `client_id` in a URL's query.
fn client_id(url: Option<&Url>) -> ClientId {
    let mut found = url
        .into_iter()
        .flat_map(Url::query_pairs)
        .filter(|(name, _)| name == "client_id")
        .map(|(_, value)| value.into_owned());
    match (found.next(), found.next()) {
        (None, _) => ClientId::Absent,
        (Some(id), None) => ClientId::One(id),
        (Some(_), Some(_)) => ClientId::Repeated,
    }
}

/// The edit distance between two paths (Levenshtein, over bytes): how near a configured path
/// is.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(x != y))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use tower_upstream_params::Config;

    use super::*;

    fn why(url: &str, named: Option<&str>) -> Option<Why> {
        let config = Config::from_json(
            r#"{"connections": {
                "a": {"authorization_url": "https://idp.example/oauth/authorize"},
                "b": {"authorization_url": "https://idp.example/oauth/logout"},
                "okta": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                         "client_id": "x"},
                "okta-y": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
                           "client_id": "y"}}}"#,
        )
        .unwrap();
        let connections: Vec<ConnectionInfo> = config.connections().collect();
        classify(url, named, &connections)
    }

    #[test]
    fn each_check_is_retraced() {
        assert_eq!(why("https://idp.example/oauth/authorize", None), None);
        assert_eq!(
            why(
                "https://acme.okta.com/oauth2/v1/authorize?client_id=y",
                None
            ),
            None
        );
        assert!(matches!(
            why("https://idp.example/oauth/authorise", None),
            Some(Why::PathDiffers { nearest: Some(Nearest { connection, .. }), trailing_slash: false, .. })
                if connection == "a"
        ));
        assert!(matches!(
            why("https://idp.example/oauth/logout/", None),
            Some(Why::PathDiffers { nearest: Some(Nearest { connection, .. }), trailing_slash: true, .. })
                if connection == "b"
        ));
        // One label in place of `*`, no more, no fewer.
        for host in ["okta.com", "a.b.okta.com"] {
            assert!(matches!(
                why(
                    &format!("https://{host}/oauth2/v1/authorize?client_id=x"),
                    None
                ),
                Some(Why::NoOrigin { .. })
            ));
        }
        assert_eq!(
            why(
                "https://acme.okta.com/oauth2/v1/authorize?client_id=z",
                None
            ),
            Some(Why::ClientId {
                client_id: ClientId::One("z".to_owned()),
                configured: vec![
                    ("okta".to_owned(), Some("x".to_owned())),
                    ("okta-y".to_owned(), Some("y".to_owned())),
                ],
            })
        );
        assert!(matches!(
            why("https://acme.okta.com/oauth2/v1/authorize", None),
            Some(Why::ClientId {
                client_id: ClientId::Absent,
                ..
            })
        ));
        assert_eq!(
            why("http:idp.example/oauth/authorize", None),
            Some(Why::NotHttp)
        );
        assert_eq!(why("https://idp.example/\u{f6}", None), Some(Why::NotAscii));
        assert_eq!(why("https://idp.example/oauth/authorize", Some("a")), None);
        assert!(matches!(
            why("https://idp.example/oauth/authorize", Some("b")),
            Some(Why::NotCandidate { named, .. }) if named == "b"
        ));
    }

    #[test]
    fn the_edit_distance_is_levenshtein() {
        assert_eq!(distance("/authorize", "/authorize"), 0);
        assert_eq!(distance("/authorize/", "/authorize"), 1);
        assert_eq!(distance("/authorise", "/authorize"), 1);
        assert_eq!(distance("", "/ab"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
