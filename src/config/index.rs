//! The lookup form: which connection a redirect goes to, in time independent of how many
//! connections there are (hash by origin, then by path; then by `client_id`).

use std::cmp::Ordering;
use std::collections::HashMap;

use super::compile::EndpointSpec;
use crate::rewrite::{self, Lookup};

/// An `authorization_url` path: literal, or with `*` segments that match any one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    path: String,
    /// For a path with `*` segments: each segment, `None` for `*`.
    segments: Option<Vec<Option<String>>>,
}

impl Pattern {
    pub(crate) fn new(path: &str) -> Self {
        let wild = path.split('/').any(|s| s == "*");
        Pattern {
            path: path.to_owned(),
            segments: wild.then(|| {
                path.split('/')
                    .map(|s| (s != "*").then(|| s.to_owned()))
                    .collect()
            }),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match &self.segments {
            None => self.path == path,
            Some(segments) => {
                let mut given = path.split('/');
                for segment in segments {
                    match (segment, given.next()) {
                        (_, None) => return false,
                        (None, Some(_)) => {}
                        (Some(literal), Some(s)) if literal == s => {}
                        (Some(_), Some(_)) => return false,
                    }
                }
                given.next().is_none()
            }
        }
    }

    /// More literal segments first; then the one whose first differing segment is literal.
    fn specificity(&self, other: &Pattern) -> Ordering {
        let literals = |p: &Pattern| -> Vec<bool> {
            match &p.segments {
                None => p.path.split('/').map(|_| true).collect(),
                Some(s) => s.iter().map(Option::is_some).collect(),
            }
        };
        let (a, b) = (literals(self), literals(other));
        let count = |v: &[bool]| v.iter().filter(|l| **l).count();
        count(&a).cmp(&count(&b)).then_with(|| a.cmp(&b))
    }
}

#[derive(Debug)]
struct Endpoint {
    pattern: Pattern,
    by_client_id: HashMap<String, usize>,
    without: Option<usize>,
}

#[derive(Debug, Default)]
struct Origin {
    exact: HashMap<String, usize>,
    /// Endpoints with `*` segments, most specific first.
    wildcards: Vec<usize>,
}

/// Connections by endpoint and by name.
#[derive(Debug, Default)]
pub(crate) struct Index {
    origins: HashMap<String, Origin>,
    endpoints: Vec<Endpoint>,
    by_name: HashMap<String, usize>,
    endpoint_of: Vec<usize>,
}

/// Which connection, if any, a redirect selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// The `Location` is not a configured endpoint: not ours to touch or report.
    NotConfigured,
    /// This connection (its index).
    Selected(usize),
    /// A configured endpoint, but no connection is selected (`no_connection`).
    NoConnection,
    /// The `UpstreamConnection` extension names a connection that is not a candidate.
    NotCandidate,
}

impl Index {
    /// Adds connection `id`, or returns the connection it cannot be told apart from. Connections must be inserted with consecutive ids from 0.
    pub(crate) fn insert(
        &mut self,
        spec: EndpointSpec,
        id: usize,
        name: &str,
    ) -> Result<(), usize> {
        let origin = self.origins.entry(spec.origin).or_default();
        let existing = if spec.pattern.segments.is_none() {
            origin.exact.get(&spec.pattern.path).copied()
        } else {
            origin
                .wildcards
                .iter()
                .copied()
                .find(|&e| self.endpoints[e].pattern == spec.pattern)
        };
        let endpoint = match existing {
            Some(e) => e,
            None => {
                let e = self.endpoints.len();
                if spec.pattern.segments.is_none() {
                    origin.exact.insert(spec.pattern.path.clone(), e);
                } else {
                    origin.wildcards.push(e);
                }
                self.endpoints.push(Endpoint {
                    pattern: spec.pattern,
                    by_client_id: HashMap::new(),
                    without: None,
                });
                e
            }
        };
        let entry = &mut self.endpoints[endpoint];
        match spec.client_id {
            Some(client_id) => {
                if let Some(&other) = entry.by_client_id.get(&client_id) {
                    return Err(other);
                }
                entry.by_client_id.insert(client_id, id);
            }
            None => {
                if let Some(other) = entry.without {
                    return Err(other);
                }
                entry.without = Some(id);
            }
        }
        self.by_name.insert(name.to_owned(), id);
        self.endpoint_of.push(endpoint);
        Ok(())
    }

    /// Orders wildcard endpoints, most specific first. Called once, after the last insert.
    pub(crate) fn finish(&mut self) {
        let endpoints = &self.endpoints;
        for origin in self.origins.values_mut() {
            origin
                .wildcards
                .sort_by(|&a, &b| endpoints[b].pattern.specificity(&endpoints[a].pattern));
        }
    }

    /// The connection a redirect to `location` selects. `named` is the connection the inner
    /// service named with `UpstreamConnection`, if any.
    pub(crate) fn select(&self, location: &str, named: Option<&str>) -> Selection {
        let Some(endpoint) = rewrite::endpoint(location) else {
            return Selection::NotConfigured;
        };
        let Some(origin) = self.origins.get(endpoint.origin.as_str()) else {
            return Selection::NotConfigured;
        };
        let path = endpoint.path.as_ref();
        // Candidate endpoints, most specific first: the exact path, then wildcards in order.
        let candidates = || {
            origin
                .exact
                .get(path)
                .copied()
                .into_iter()
                .chain(
                    origin
                        .wildcards
                        .iter()
                        .copied()
                        .filter(|&e| self.endpoints[e].pattern.matches(path)),
                )
                .map(|e| (e, &self.endpoints[e]))
        };
        if candidates().next().is_none() {
            return Selection::NotConfigured;
        }

        if let Some(name) = named {
            return match self.by_name.get(name) {
                Some(&id) if candidates().any(|(e, _)| e == self.endpoint_of[id]) => {
                    Selection::Selected(id)
                }
                _ => Selection::NotCandidate,
            };
        }

        let without = || candidates().find_map(|(_, e)| e.without);
        let query = rewrite::split(location).query.unwrap_or("");
        let found = match rewrite::lookup(query, "client_id") {
            Lookup::Found(client_id) => candidates()
                .find_map(|(_, e)| e.by_client_id.get(client_id.as_ref()).copied())
                .or_else(without),
            Lookup::Ambiguous => None,
            Lookup::Missing => without().or_else(|| {
                let mut all = candidates().flat_map(|(_, e)| {
                    e.without
                        .into_iter()
                        .chain(e.by_client_id.values().copied())
                });
                match (all.next(), all.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }),
        };
        found.map_or(Selection::NoConnection, Selection::Selected)
    }
}
