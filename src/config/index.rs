//! The lookup form: which connection a redirect goes to, in time independent of how many
//! connections there are (a hash of origin and path; then of `client_id`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::hash::{KeyHash, PassThrough, Table, is_lowercase_of};
use super::span::Span;
use crate::text::{self, Lookup, Scan};

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
}

/// No endpoint or connection (in a `u32` link or slot).
const NONE: u32 = u32::MAX;

/// One configured endpoint: an origin and a path pattern.
#[derive(Debug)]
struct EndpointRec {
    https: bool,
    port: u16,
    /// Lowercase.
    host: Span,
    path: Span,
    /// For a path with `*` segments: each segment, `None` for `*`.
    segments: Option<Box<[Option<Span>]>>,
    /// The connection configured without a `client_id`, or [`NONE`].
    without: u32,
    /// How many connections the endpoint has, and one of them (the only one when it has one).
    count: u32,
    some: u32,
    /// The next endpoint whose exact key hashes alike.
    next: u32,
}

/// One connection, as the index knows it.
#[derive(Debug)]
struct ConnectionRec {
    endpoint: u32,
    /// Its `client_id`, if it has one.
    client_id: Option<Span>,
    name: Span,
    /// The next connections whose `(endpoint, client_id)` and whose name hash alike.
    next_by_client_id: u32,
    next_by_name: u32,
}
/// A connection's endpoint, before it joins the index.
#[derive(Debug)]
pub(crate) struct EndpointSpec {
    pub(crate) origin: String,
    pub(crate) pattern: Pattern,
    pub(crate) client_id: Option<String>,
}

/// Connections by endpoint and by name.
///
/// Every string lives in one `text`; endpoints and connections are flat vectors; three hash
/// tables (exact endpoint, `client_id` per endpoint, name) map a key's hash to the first
/// entry with that hash. Memory is a few dozen bytes per connection beyond its strings, and a
/// lookup hashes the origin and path once, whatever the number of connections.
#[derive(Debug, Default)]
pub(crate) struct Index {
    text: String,
    endpoints: Vec<EndpointRec>,
    connections: Vec<ConnectionRec>,
    /// `(origin, path)` of endpoints without `*` segments.
    exact: Table,
    /// Origin -> endpoints with `*` segments there, most specific first (compared in full:
    /// origins that hash alike share a list).
    wildcards: HashMap<u64, Vec<u32>, BuildHasherDefault<PassThrough>>,
    /// `(endpoint, client_id)`.
    by_client_id: Table,
    by_name: Table,
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

/// An origin: scheme, port, host (any case: hashed and compared ignoring it).
#[derive(Clone, Copy, Debug)]
struct Origin<'a> {
    https: bool,
    port: u16,
    host: &'a str,
}

impl<'a> Origin<'a> {
    /// Reads `scheme://host:port` as [`OriginKey`](crate::text::OriginKey) writes it.
    fn parse(key: &'a str) -> Option<Self> {
        let (https, rest) = match key.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, key.strip_prefix("http://")?),
        };
        let (host, port) = rest.rsplit_once(':')?;
        Some(Origin {
            https,
            port: port.parse().ok()?,
            host,
        })
    }

    fn of(endpoint: &'a text::Endpoint<'_>) -> Self {
        Origin {
            https: endpoint.https,
            port: endpoint.port,
            host: &endpoint.host,
        }
    }
}

fn exact_key(origin: Origin<'_>, path: &str) -> u64 {
    KeyHash::new()
        .origin(origin.https, origin.port, origin.host)
        .str(path)
        .finish()
}

fn origin_key(origin: Origin<'_>) -> u64 {
    KeyHash::new()
        .origin(origin.https, origin.port, origin.host)
        .finish()
}

fn client_id_key(endpoint: u32, client_id: &str) -> u64 {
    KeyHash::new()
        .word(u64::from(endpoint))
        .str(client_id)
        .finish()
}

fn name_key(name: &str) -> u64 {
    KeyHash::new().str(name).finish()
}

/// Why [`Index::insert`] refused a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// It cannot be told apart from this connection (same endpoint and `client_id`).
    SameAs(usize),
    /// The index's text or lists would pass 32-bit offsets (4 GiB).
    TooLarge,
}

/// An index value (`u32`, below [`NONE`]), or [`Refused::TooLarge`].
fn small(n: usize) -> Result<u32, Refused> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n != NONE)
        .ok_or(Refused::TooLarge)
}

impl Index {
    fn text(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or_default()
    }

    fn push(&mut self, s: &str) -> Result<Span, Refused> {
        let span = Span::new(self.text.len(), s.len()).ok_or(Refused::TooLarge)?;
        self.text.push_str(s);
        Ok(span)
    }

    fn endpoint(&self, e: u32) -> Option<&EndpointRec> {
        self.endpoints.get(e as usize)
    }

    fn connection(&self, c: u32) -> Option<&ConnectionRec> {
        self.connections.get(c as usize)
    }

    fn is_at(&self, rec: &EndpointRec, origin: Origin<'_>) -> bool {
        rec.https == origin.https
            && rec.port == origin.port
            && is_lowercase_of(self.text(rec.host), origin.host)
    }

    /// The endpoint without `*` segments at `origin` and `path`, or [`NONE`].
    fn find_exact(&self, origin: Origin<'_>, path: &str) -> u32 {
        let mut e = self
            .exact
            .get(&exact_key(origin, path))
            .copied()
            .unwrap_or(NONE);
        while let Some(rec) = self.endpoint(e) {
            if self.text(rec.path) == path && self.is_at(rec, origin) {
                return e;
            }
            e = rec.next;
        }
        NONE
    }

    /// The endpoints with `*` segments at `origin` (and at origins that hash alike).
    fn wildcards_at(&self, origin: Origin<'_>) -> &[u32] {
        if self.wildcards.is_empty() {
            return &[];
        }
        self.wildcards
            .get(&origin_key(origin))
            .map_or(&[], Vec::as_slice)
    }

    fn wildcard_matches(&self, rec: &EndpointRec, origin: Origin<'_>, path: &str) -> bool {
        let Some(segments) = &rec.segments else {
            return false;
        };
        if !self.is_at(rec, origin) {
            return false;
        }
        let mut given = path.split('/');
        for segment in segments.iter() {
            match (segment, given.next()) {
                (_, None) => return false,
                (None, Some(_)) => {}
                (Some(literal), Some(s)) if self.text(*literal) == s => {}
                (Some(_), Some(_)) => return false,
            }
        }
        given.next().is_none()
    }

    /// Adds connection `id`, or says why not (the connection it cannot be told apart from).
    /// Connections must be inserted with consecutive ids from 0.
    pub(crate) fn insert(
        &mut self,
        spec: EndpointSpec,
        id: usize,
        name: &str,
    ) -> Result<(), Refused> {
        let id = small(id)?;
        // The compiler writes the key; one it did not write joins no endpoint a redirect
        // could match.
        let key = spec.origin.to_ascii_lowercase();
        let origin = Origin::parse(&key).unwrap_or(Origin {
            https: false,
            port: 0,
            host: &key,
        });
        let existing = match &spec.pattern.segments {
            None => self.find_exact(origin, &spec.pattern.path),
            Some(_) => self
                .wildcards_at(origin)
                .iter()
                .copied()
                .find(|&e| {
                    self.endpoint(e).is_some_and(|rec| {
                        self.is_at(rec, origin) && self.text(rec.path) == spec.pattern.path
                    })
                })
                .unwrap_or(NONE),
        };
        let endpoint = if existing != NONE {
            existing
        } else {
            let e = small(self.endpoints.len())?;
            let host = self.push(origin.host)?;
            let path = self.push(&spec.pattern.path)?;
            let segments = match &spec.pattern.segments {
                Some(segments) => Some(
                    segments
                        .iter()
                        .map(|s| s.as_deref().map(|s| self.push(s)).transpose())
                        .collect::<Result<Box<[_]>, _>>()?,
                ),
                None => None,
            };
            let mut next = NONE;
            if segments.is_some() {
                self.wildcards
                    .entry(origin_key(origin))
                    .or_default()
                    .push(e);
            } else {
                let slot = self
                    .exact
                    .entry(exact_key(origin, &spec.pattern.path))
                    .or_insert(NONE);
                next = std::mem::replace(slot, e);
            }
            self.endpoints.push(EndpointRec {
                https: origin.https,
                port: origin.port,
                host,
                path,
                segments,
                without: NONE,
                count: 0,
                some: NONE,
                next,
            });
            e
        };

        let client_id = match &spec.client_id {
            Some(client_id) => {
                if let Some(other) = self.find_client_id(endpoint, client_id) {
                    return Err(Refused::SameAs(other as usize));
                }
                Some(self.push(client_id)?)
            }
            None => {
                if let Some(other) = self.endpoint(endpoint).map(|rec| rec.without)
                    && other != NONE
                {
                    return Err(Refused::SameAs(other as usize));
                }
                None
            }
        };
        let next_by_client_id = match &spec.client_id {
            Some(client_id) => self
                .by_client_id
                .insert(client_id_key(endpoint, client_id), id)
                .unwrap_or(NONE),
            None => NONE,
        };
        let next_by_name = self.by_name.insert(name_key(name), id).unwrap_or(NONE);
        let name = self.push(name)?;
        if let Some(rec) = self.endpoints.get_mut(endpoint as usize) {
            if client_id.is_none() {
                rec.without = id;
            }
            rec.count += 1;
            rec.some = id;
        }
        self.connections.push(ConnectionRec {
            endpoint,
            client_id,
            name,
            next_by_client_id,
            next_by_name,
        });
        Ok(())
    }

    fn find_client_id(&self, endpoint: u32, client_id: &str) -> Option<u32> {
        let mut c = self
            .by_client_id
            .get(&client_id_key(endpoint, client_id))
            .copied()
            .unwrap_or(NONE);
        while let Some(rec) = self.connection(c) {
            if rec.endpoint == endpoint
                && rec
                    .client_id
                    .is_some_and(|span| self.text(span) == client_id)
            {
                return Some(c);
            }
            c = rec.next_by_client_id;
        }
        None
    }

    pub(crate) fn find_name(&self, name: &str) -> Option<u32> {
        let mut c = self.by_name.get(&name_key(name)).copied().unwrap_or(NONE);
        while let Some(rec) = self.connection(c) {
            if self.text(rec.name) == name {
                return Some(c);
            }
            c = rec.next_by_name;
        }
        None
    }

    /// Orders wildcard endpoints, most specific first, and gives back what growing left
    /// unused. Called once, after the last insert.
    pub(crate) fn finish(&mut self) {
        let specificity = |index: &Index, e: u32| -> Vec<bool> {
            index
                .endpoint(e)
                .and_then(|rec| rec.segments.as_ref())
                .map(|s| s.iter().map(Option::is_some).collect())
                .unwrap_or_default()
        };
        let mut wildcards = std::mem::take(&mut self.wildcards);
        for list in wildcards.values_mut() {
            // More literal segments first; then the one whose first differing segment is
            // literal.
            list.sort_by(|&a, &b| {
                let (a, b) = (specificity(self, a), specificity(self, b));
                let count = |v: &[bool]| v.iter().filter(|l| **l).count();
                count(&b).cmp(&count(&a)).then_with(|| b.cmp(&a))
            });
            list.shrink_to_fit();
        }
        self.wildcards = wildcards;
        self.text.shrink_to_fit();
        self.endpoints.shrink_to_fit();
        self.connections.shrink_to_fit();
        self.exact.shrink_to_fit();
        self.by_client_id.shrink_to_fit();
        self.by_name.shrink_to_fit();
    }

    /// The connection a redirect to `location` selects. `named` is the connection the inner
    /// service named with `UpstreamConnection`, if any.
    pub(crate) fn select(&self, location: &str, named: Option<&str>) -> Selection {
        let base = text::base(location);
        match self.candidates(location, base) {
            Some(candidates) => {
                let mut scan = Scan::EMPTY;
                scan.read_after(location, base);
                self.choose(&candidates, &scan, named)
            }
            None => Selection::NotConfigured,
        }
    }

    /// The configured endpoints a redirect to `location` (whose base, as [`text::split`]
    /// cuts it, is `base`) may go to; `None` if there are none (the redirect is not ours).
    /// Reads the base only: the query is read later, and only for a configured endpoint.
    pub(crate) fn candidates<'a>(
        &'a self,
        location: &'a str,
        base: &'a str,
    ) -> Option<Candidates<'a>> {
        let endpoint = text::endpoint_in(location, base)?;
        let origin = Origin::of(&endpoint);
        let exact = self.find_exact(origin, &endpoint.path);
        let wildcards = self.wildcards_at(origin);
        let candidates = Candidates {
            index: self,
            exact,
            wildcards,
            endpoint,
        };
        let any = candidates.iter().next().is_some();
        any.then_some(candidates)
    }

    /// The connection chosen among `candidates`, by `named` or by the query's `client_id`.
    pub(crate) fn choose(
        &self,
        candidates: &Candidates<'_>,
        scan: &Scan<'_>,
        named: Option<&str>,
    ) -> Selection {
        if let Some(name) = named {
            return match self.find_name(name) {
                Some(id)
                    if self
                        .connection(id)
                        .is_some_and(|c| candidates.iter().any(|e| e == c.endpoint)) =>
                {
                    Selection::Selected(id as usize)
                }
                _ => Selection::NotCandidate,
            };
        }

        let recs = || candidates.iter().filter_map(|e| self.endpoint(e));
        let without = || recs().map(|rec| rec.without).find(|&c| c != NONE);
        let found = match scan.client_id() {
            Lookup::Found(client_id) => candidates
                .iter()
                .find_map(|e| self.find_client_id(e, &client_id))
                .or_else(without),
            Lookup::Ambiguous => None,
            Lookup::Missing => without().or_else(|| {
                let mut count = 0u32;
                let mut only = NONE;
                for rec in recs() {
                    count = count.saturating_add(rec.count);
                    only = rec.some;
                }
                (count == 1).then_some(only)
            }),
        };
        found.map_or(Selection::NoConnection, |c| Selection::Selected(c as usize))
    }
}

/// The configured endpoints a redirect may go to, from [`Index::candidates`].
#[derive(Debug)]
pub(crate) struct Candidates<'a> {
    index: &'a Index,
    /// The endpoint without `*` segments, or [`NONE`].
    exact: u32,
    /// Endpoints with `*` segments at the origin, most specific first (not all match).
    wildcards: &'a [u32],
    endpoint: text::Endpoint<'a>,
}

impl Candidates<'_> {
    /// The endpoints, most specific first: the exact path, then the wildcards that match.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let (origin, path) = (Origin::of(&self.endpoint), self.endpoint.path.as_ref());
        (self.exact != NONE)
            .then_some(self.exact)
            .into_iter()
            .chain(self.wildcards.iter().copied().filter(move |&e| {
                self.index
                    .endpoint(e)
                    .is_some_and(|rec| self.index.wildcard_matches(rec, origin, path))
            }))
    }
}
