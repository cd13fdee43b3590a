//! The lookup form: which connection a redirect goes to, in time independent of how many
//! connections there are.
//!
//! # How a lookup is bounded
//!
//! Every configured origin (scheme, lowercase host, port) is an [`OriginRec`], found by a
//! hash of the `Location`'s origin. A host wildcard (`https://*.okta.com`) is an origin too,
//! keyed by what follows `*.` and marked as a wildcard: a `Location` host `acme.okta.com` is
//! looked up twice, as the literal host `acme.okta.com` and, when its first label is a DNS
//! label (1 to 63 ASCII letters, digits, `-` or `_`), as the wildcard host `*.okta.com`. Two
//! hash probes, whatever the number of hosts (the second only when some host is a wildcard).
//!
//! At each origin found, the endpoints whose path matches are probed, not scanned:
//!
//! - a literal path is one probe of a table keyed by (origin, path);
//! - a path with `*` segments is stored under its **mask** (which of its segments are `*`), its
//!   segment count and its literal segments. The origin keeps, per segment count, the
//!   distinct masks configured there. For a `Location` path of `n` segments, each distinct
//!   mask at (origin, `n`) is one probe: the path's segments that the mask keeps are hashed
//!   and looked up. At most one endpoint matches per mask (two with the same mask and
//!   literals are the same endpoint).
//!
//! So a lookup costs two origin probes, then per origin one exact probe and one probe per
//! distinct mask at (origin, segment count), each hashing the path once: **independent of
//! the number of connections and endpoints**, but not of the *shapes* of the configured
//! paths. The number of distinct masks for `n` segments is at most `2^(n-1)` (the first,
//! empty segment is always literal) and at most the number of wildcard endpoints at that
//! origin with `n` segments; in practice one or two (`/*/oauth2/v2.0/authorize`): 100,000
//! tenants that differ in a literal segment or in `client_id` share one mask and cost what
//! one does. The masks come from the configuration
//! only: no `Location` can make a lookup probe more. A path with `*` segments has at most
//! [`MAX_WILD_SEGMENTS`] segments (a load error beyond), so a mask is a `u64` and a
//! `Location` path with more segments matches literal paths only.
//!
//! The endpoints found are kept (up to eight) for the selection's passes over them
//! ([`Index::choose`] reads them up to three times), so they are probed once per redirect.
//!
//! Loading is linear: an insert probes the same tables (and a set of the masks already
//! seen), and [`Index::finish`] sorts each (origin, segment count)'s distinct masks, most
//! specific first.
//!
//! # Which endpoints are candidates
//!
//! Every endpoint that matches the `Location` is a candidate (DESIGN.md, "Matching" rule 2),
//! ordered most specific first ([`Candidates::iter`]): the literal host's endpoints before
//! the wildcard host's ("a literal host beats a wildcard host"), then, at one host, the
//! path with more literal segments, then the one whose leftmost differing segment is literal
//! (rule 3). So where a literal host and a wildcard host both have an endpoint for the path,
//! the literal host's connections win every step of [`Index::choose`] that one of them
//! passes, and the wildcard host's connections remain candidates for the steps none of them
//! passes: a `client_id` configured only on the wildcard host still selects its connection,
//! and an `UpstreamConnection` naming the wildcard host's connection selects it (its
//! endpoint matches the `Location`, so it is no `not_candidate`). This is the reading that
//! treats hosts as paths are treated: a less specific `*` path is likewise still a candidate
//! beside a literal one.

use std::collections::HashSet;

use super::hash::{KeyHash, Table, is_lowercase_of};
pub(crate) use super::pattern::{MAX_WILD_SEGMENTS, Pattern};
use super::pattern::{masked_key, segment_count, specificity, wildcard_matches};
use super::span::Span;
use crate::text::{self, Lookup, QuickOrigin, Scan};

/// No origin, endpoint or connection (in a `u32` link or slot).
const NONE: u32 = u32::MAX;

/// One configured origin: a literal host, or a host wildcard (`*.okta.com`).
#[derive(Debug)]
struct OriginRec {
    https: bool,
    /// A host wildcard: `host` is what follows `*.`.
    wild: bool,
    port: u16,
    /// Lowercase.
    host: Span,
    /// The next origin whose key hashes alike.
    next: u32,
    /// Its first [`Group`] (one per segment count of its paths with `*` segments), or
    /// [`NONE`].
    groups: u32,
}

/// The distinct masks of the paths with `*` segments of one segment count, at one origin,
/// most specific first once [`Index::finish`] has run.
#[derive(Debug)]
struct Group {
    segments: u8,
    masks: Vec<u64>,
    /// The origin's next group (at most [`MAX_WILD_SEGMENTS`] in all), or [`NONE`].
    next: u32,
}

/// One configured endpoint: an origin and a path pattern.
#[derive(Debug)]
struct EndpointRec {
    origin: u32,
    path: Span,
    /// As [`Pattern`]'s: bit `i` set for a `*` segment `i`, zero for a literal path.
    wild: u64,
    segments: u8,
    /// The connection configured without a `client_id`, or [`NONE`].
    without: u32,
    /// How many connections the endpoint has, and one of them (the only one when it has one).
    count: u32,
    some: u32,
    /// The next endpoint whose key (exact, or masked) hashes alike.
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

/// Connections by origin, endpoint and name.
///
/// Every string lives in one `text`; origins, endpoints and connections are flat vectors;
/// hash tables (origin, exact endpoint, masked endpoint, `client_id` per endpoint, name) map
/// a key's hash to the first entry with that hash, the others chained. Memory is a few dozen
/// bytes per connection beyond its strings; a lookup's cost is bounded as the module docs
/// say, whatever the number of connections.
#[derive(Debug, Default)]
pub(crate) struct Index {
    text: String,
    origins: Vec<OriginRec>,
    groups: Vec<Group>,
    endpoints: Vec<EndpointRec>,
    connections: Vec<ConnectionRec>,
    /// Origin (and whether it is a host wildcard).
    by_origin: Table,
    /// `(origin, path)` of endpoints without `*` segments.
    exact: Table,
    /// `(origin, segments, mask, literal segments)` of endpoints with `*` segments.
    masked: Table,
    /// `(endpoint, client_id)`.
    by_client_id: Table,
    by_name: Table,
    /// Whether some origin is a host wildcard (else a lookup never tries one).
    wild_hosts: bool,
    /// While loading: the (origin, segments, mask) already in their group.
    masks_seen: HashSet<(u32, u8, u64)>,
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

/// Why [`Index::candidates`] found no endpoint for a redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Miss {
    /// Not an absolute `http(s)` URL, or an origin no connection is configured on: not ours.
    NotConfigured,
    /// A configured origin (a wildcard host counting where it matches the `Location`'s
    /// host), but no endpoint there matches the path: a trailing slash, a typo
    /// (`no_endpoint`).
    NoEndpoint,
}

/// What a `Location`'s first bytes say of the configured origins it may go to
/// ([`Index::first_look`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FirstLook {
    /// Surely none: the redirect is not the layer's.
    Elsewhere,
    /// Its plain origin's configured entries, literal then wildcard host (at least one), and
    /// where that origin is in the URL.
    Origins([u32; 2], text::PlainOrigin),
    /// Its first bytes cannot tell: the full reading decides.
    Unsure,
}

/// An origin: scheme, port, host (any case: hashed and compared ignoring it).
#[derive(Clone, Copy, Debug)]
struct Origin<'a> {
    https: bool,
    /// A host wildcard: `host` is what follows `*.`.
    wild: bool,
    port: u16,
    host: &'a [u8],
}

impl<'a> Origin<'a> {
    /// Reads `scheme://host:port` as [`OriginKey`](crate::text::OriginKey) writes it; a host
    /// `*.rest` is the wildcard host `rest` (returned beside, as text, for the index's text).
    fn parse(key: &'a str) -> Option<(Self, &'a str)> {
        let (https, rest) = match key.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, key.strip_prefix("http://")?),
        };
        let (host, port) = rest.rsplit_once(':')?;
        let (wild, host) = match host.strip_prefix("*.") {
            Some(suffix) => (true, suffix),
            None => (false, host),
        };
        let origin = Origin {
            https,
            wild,
            port: port.parse().ok()?,
            host: host.as_bytes(),
        };
        Some((origin, host))
    }
}

/// What follows the first label of a `Location`'s host, where that label is one a host
/// wildcard matches: 1 to 63 ASCII letters, digits, `-` or `_` (any DNS label as `url`
/// writes it, IDNA's `xn--` form included; not empty, and nothing `url` would keep in a
/// host but DNS cannot carry, such as `*` or `!`).
fn wildcard_suffix(host: &[u8]) -> Option<&[u8]> {
    let dot = host.iter().position(|&b| b == b'.')?;
    let (label, suffix) = (&host[..dot], &host[dot + 1..]);
    let fine = (1..=63).contains(&label.len())
        && label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    fine.then_some(suffix)
}

fn origin_key(origin: Origin<'_>) -> u64 {
    KeyHash::new()
        .word(u64::from(origin.wild))
        .origin(origin.https, origin.port, origin.host)
        .finish()
}

fn exact_key(origin: u32, path: &str) -> u64 {
    KeyHash::new().word(u64::from(origin)).str(path).finish()
}

#[cfg(test)]
thread_local! {
    /// Table probes and chained records compared by lookups on this thread (tests only).
    static PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one probe or comparison (in tests; nothing otherwise).
#[inline(always)]
fn probe() {
    #[cfg(test)]
    PROBES.with(|p| p.set(p.get() + 1));
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

    fn origin(&self, o: u32) -> Option<&OriginRec> {
        self.origins.get(o as usize)
    }

    fn endpoint(&self, e: u32) -> Option<&EndpointRec> {
        self.endpoints.get(e as usize)
    }

    fn connection(&self, c: u32) -> Option<&ConnectionRec> {
        self.connections.get(c as usize)
    }

    /// The configured origin `origin`, or [`NONE`].
    fn find_origin(&self, origin: Origin<'_>) -> u32 {
        probe();
        let mut o = self
            .by_origin
            .get(&origin_key(origin))
            .copied()
            .unwrap_or(NONE);
        while let Some(rec) = self.origin(o) {
            probe();
            if rec.https == origin.https
                && rec.wild == origin.wild
                && rec.port == origin.port
                && is_lowercase_of(self.text(rec.host), origin.host)
            {
                return o;
            }
            o = rec.next;
        }
        NONE
    }

    /// The endpoint without `*` segments at `origin` and `path`, or [`NONE`].
    fn find_exact(&self, origin: u32, path: &str) -> u32 {
        probe();
        let mut e = self
            .exact
            .get(&exact_key(origin, path))
            .copied()
            .unwrap_or(NONE);
        while let Some(rec) = self.endpoint(e) {
            probe();
            if rec.origin == origin && rec.wild == 0 && self.text(rec.path) == path {
                return e;
            }
            e = rec.next;
        }
        NONE
    }

    /// The endpoint with mask `wild` at `origin` that `path` (of `segments` segments)
    /// matches, or [`NONE`].
    fn find_masked(&self, origin: u32, segments: u8, wild: u64, path: &str) -> u32 {
        probe();
        let mut e = self
            .masked
            .get(&masked_key(origin, segments, wild, path))
            .copied()
            .unwrap_or(NONE);
        while let Some(rec) = self.endpoint(e) {
            probe();
            if rec.origin == origin
                && rec.segments == segments
                && rec.wild == wild
                && wildcard_matches(self.text(rec.path), wild, path)
            {
                return e;
            }
            e = rec.next;
        }
        NONE
    }

    /// The distinct masks at `origin` of paths with `segments` segments, most specific
    /// first (once [`Index::finish`] has run).
    fn masks(&self, origin: u32, segments: u8) -> &[u64] {
        self.group(origin, segments)
            .and_then(|g| self.groups.get(g as usize))
            .map_or(&[], |g| g.masks.as_slice())
    }

    /// The group of `origin`'s paths with `*` segments and `segments` segments.
    fn group(&self, origin: u32, segments: u8) -> Option<u32> {
        let mut g = self.origin(origin).map_or(NONE, |rec| rec.groups);
        while let Some(group) = self.groups.get(g as usize) {
            if group.segments == segments {
                return Some(g);
            }
            g = group.next;
        }
        None
    }

    /// Adds `origin`, whose host is `host`.
    fn add_origin(&mut self, origin: Origin<'_>, host: &str) -> Result<u32, Refused> {
        let o = small(self.origins.len())?;
        let host = self.push(host)?;
        let next = self.by_origin.insert(origin_key(origin), o).unwrap_or(NONE);
        self.origins.push(OriginRec {
            https: origin.https,
            wild: origin.wild,
            port: origin.port,
            host,
            next,
            groups: NONE,
        });
        self.wild_hosts |= origin.wild;
        Ok(o)
    }

    fn add_endpoint(&mut self, origin: u32, pattern: &Pattern, next: u32) -> Result<u32, Refused> {
        let e = small(self.endpoints.len())?;
        let path = self.push(&pattern.path)?;
        self.endpoints.push(EndpointRec {
            origin,
            path,
            wild: pattern.wild,
            segments: pattern.segments,
            without: NONE,
            count: 0,
            some: NONE,
            next,
        });
        Ok(e)
    }

    /// The endpoint of `pattern` at `origin`, added if it is new.
    fn endpoint_for(&mut self, origin: u32, pattern: &Pattern) -> Result<u32, Refused> {
        if pattern.wild == 0 {
            let found = self.find_exact(origin, &pattern.path);
            if found != NONE {
                return Ok(found);
            }
            let e = small(self.endpoints.len())?;
            let next = self
                .exact
                .insert(exact_key(origin, &pattern.path), e)
                .unwrap_or(NONE);
            return self.add_endpoint(origin, pattern, next);
        }
        let segments = segment_count(&pattern.path).unwrap_or(0);
        if segments != pattern.segments {
            // `Pattern::new` counted otherwise: never, but such a pattern matches nothing.
            return self.add_endpoint(origin, pattern, NONE);
        }
        let found = self.find_masked(origin, segments, pattern.wild, &pattern.path);
        if found != NONE {
            return Ok(found);
        }
        let e = small(self.endpoints.len())?;
        let next = self
            .masked
            .insert(masked_key(origin, segments, pattern.wild, &pattern.path), e)
            .unwrap_or(NONE);
        let e = self.add_endpoint(origin, pattern, next)?;
        if self.masks_seen.insert((origin, segments, pattern.wild)) {
            match self.group(origin, segments) {
                Some(g) => {
                    if let Some(group) = self.groups.get_mut(g as usize) {
                        group.masks.push(pattern.wild);
                    }
                }
                None => {
                    let g = small(self.groups.len())?;
                    if let Some(rec) = self.origins.get_mut(origin as usize) {
                        let next = std::mem::replace(&mut rec.groups, g);
                        self.groups.push(Group {
                            segments,
                            masks: vec![pattern.wild],
                            next,
                        });
                    }
                }
            }
        }
        Ok(e)
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
        let (origin, host) = Origin::parse(&key).unwrap_or((
            Origin {
                https: false,
                wild: false,
                port: 0,
                host: key.as_bytes(),
            },
            &key,
        ));
        let o = match self.find_origin(origin) {
            NONE => self.add_origin(origin, host)?,
            o => o,
        };
        let endpoint = self.endpoint_for(o, &spec.pattern)?;

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

    /// Orders each origin's masks, most specific first, and gives back what growing left
    /// unused. Called once, after the last insert.
    pub(crate) fn finish(&mut self) {
        for group in &mut self.groups {
            group.masks.sort_unstable_by(|&a, &b| specificity(a, b));
            group.masks.shrink_to_fit();
        }
        self.groups.shrink_to_fit();
        self.masks_seen = HashSet::new();
        self.text.shrink_to_fit();
        self.origins.shrink_to_fit();
        self.endpoints.shrink_to_fit();
        self.connections.shrink_to_fit();
        self.by_origin.shrink_to_fit();
        self.exact.shrink_to_fit();
        self.masked.shrink_to_fit();
        self.by_client_id.shrink_to_fit();
        self.by_name.shrink_to_fit();
    }

    /// The connection a redirect to `location` selects. `named` is the connection the inner
    /// service named with `UpstreamConnection`, if any.
    pub(crate) fn select(&self, location: &str, named: Option<&str>) -> Selection {
        let base = text::base(location);
        // The first look, as the layer takes it (so that what benches and fuzzes this
        // reads a URL as the layer does).
        match self.candidates(location, base, self.first_look(location.as_bytes())) {
            Ok(candidates) => {
                let mut scan = Scan::EMPTY;
                scan.read_after(location, base);
                self.choose(&candidates, &scan, named)
            }
            Err(Miss::NotConfigured | Miss::NoEndpoint) => Selection::NotConfigured,
        }
    }

    /// What a redirect to `location` (a `Location` header's bytes) goes to, as its first
    /// bytes alone say ([`text::quick_origin`]): one hash of its origin (two with wildcard
    /// hosts), the rest of the URL unread. [`Index::candidates`] takes it, so that the origin
    /// is not looked up twice.
    pub(crate) fn first_look(&self, location: &[u8]) -> FirstLook {
        match text::quick_origin(location) {
            QuickOrigin::Nowhere => FirstLook::Elsewhere,
            QuickOrigin::Unsure => FirstLook::Unsure,
            QuickOrigin::Plain(origin) => {
                match self.origins(origin.https, origin.host(location), origin.port) {
                    [NONE, NONE] => FirstLook::Elsewhere,
                    origins => FirstLook::Origins(origins, origin),
                }
            }
        }
    }

    /// The configured origins `scheme://host:port` is: the literal one, then the wildcard
    /// host it matches ([`NONE`] where there is none).
    fn origins(&self, https: bool, host: &[u8], port: u16) -> [u32; 2] {
        let origin = |wild, host| Origin {
            https,
            wild,
            port,
            host,
        };
        let literal = self.find_origin(origin(false, host));
        let wild = if self.wild_hosts {
            wildcard_suffix(host).map_or(NONE, |suffix| self.find_origin(origin(true, suffix)))
        } else {
            NONE
        };
        [literal, wild]
    }

    /// The configured endpoints a redirect to `location` (whose base, as [`text::split`]
    /// cuts it, is `base`) may go to, or why there are none. Reads the base only: the query
    /// is read later, and only for a configured endpoint. `look` is what
    /// [`Index::first_look`] made of the same `Location` ([`FirstLook::Unsure`] when there
    /// was no first look).
    pub(crate) fn candidates<'a>(
        &'a self,
        location: &'a str,
        base: &'a str,
        look: FirstLook,
    ) -> Result<Candidates<'a>, Miss> {
        let (endpoint, [literal, wild]) = match look {
            FirstLook::Origins(origins, origin) => (
                origin.endpoint(location, base).ok_or(Miss::NotConfigured)?,
                origins,
            ),
            FirstLook::Elsewhere => return Err(Miss::NotConfigured),
            FirstLook::Unsure => {
                let endpoint = text::endpoint_in(location, base).ok_or(Miss::NotConfigured)?;
                let origins = self.origins(endpoint.https, endpoint.host.as_bytes(), endpoint.port);
                (endpoint, origins)
            }
        };
        if literal == NONE && wild == NONE {
            return Err(Miss::NotConfigured);
        }
        let mut candidates = Candidates {
            index: self,
            origins: [literal, wild],
            segments: 0,
            found: [NONE; CACHED],
            found_len: 0,
            overflow: false,
            endpoint,
        };
        // The path's segments are counted only where paths with `*` segments are configured.
        let has_groups = |o: u32| self.origin(o).is_some_and(|rec| rec.groups != NONE);
        if (has_groups(literal) || has_groups(wild))
            && let Some(segments) = segment_count(&candidates.endpoint.path)
        {
            candidates.segments = segments;
        }
        if candidates.segments == 0 && wild == NONE {
            // The common case, without the general loop: one literal host, literal paths.
            let e = self.find_exact(literal, &candidates.endpoint.path);
            if e == NONE {
                return Err(Miss::NoEndpoint);
            }
            candidates.found[0] = e;
            candidates.found_len = 1;
            return Ok(candidates);
        }
        // Probed once here; `choose` reads them again up to three times.
        let (mut found, mut len, mut overflow) = ([NONE; CACHED], 0, false);
        for e in candidates.probe() {
            match found.get_mut(len) {
                Some(slot) => *slot = e,
                None => {
                    overflow = true;
                    break;
                }
            }
            len += 1;
        }
        if len == 0 {
            return Err(Miss::NoEndpoint);
        }
        candidates.found = found;
        candidates.found_len = len;
        candidates.overflow = overflow;
        Ok(candidates)
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
                        .is_some_and(|c| candidates.contains(c.endpoint)) =>
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

/// How many matching endpoints [`Candidates`] keeps, probed once; more are probed again at
/// each pass (a configuration with that many `*` path shapes matching one path).
const CACHED: usize = 8;

/// The configured endpoints a redirect may go to, from [`Index::candidates`].
#[derive(Debug)]
pub(crate) struct Candidates<'a> {
    index: &'a Index,
    /// The `Location`'s literal host and the wildcard host that matches it, each configured
    /// or [`NONE`]: the literal host first.
    origins: [u32; 2],
    /// The path's segment count where some origin has paths with `*` segments (else 0: none
    /// can match).
    segments: u8,
    /// The first [`CACHED`] matching endpoints, most specific first, unless `overflow`.
    found: [u32; CACHED],
    found_len: usize,
    /// More than [`CACHED`] endpoints match: [`Candidates::iter`] probes every time.
    overflow: bool,
    endpoint: text::Endpoint<'a>,
}

impl Candidates<'_> {
    /// The endpoints that match, most specific first: the literal host's, then the wildcard
    /// host's; at each, the literal path, then the paths with `*` segments by their masks'
    /// specificity.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let cached = match (self.overflow, self.found.get(..self.found_len)) {
            (false, Some(found)) => found,
            _ => &[],
        };
        let probed = self.overflow.then(|| self.probe());
        cached.iter().copied().chain(probed.into_iter().flatten())
    }

    /// [`Candidates::iter`]'s endpoints, probed: one probe per origin and path, then one per
    /// distinct mask there, not one comparison per endpoint.
    fn probe(&self) -> impl Iterator<Item = u32> + '_ {
        let path: &str = &self.endpoint.path;
        let index = self.index;
        self.origins
            .iter()
            .copied()
            .filter(|&o| o != NONE)
            .flat_map(move |o| {
                let exact = index.find_exact(o, path);
                let masks = index.masks(o, self.segments).iter();
                std::iter::once(exact)
                    .chain(masks.map(move |&wild| index.find_masked(o, self.segments, wild, path)))
            })
            .filter(|&e| e != NONE)
    }

    /// Whether endpoint `e` is one of [`Candidates::iter`]'s: at one of the origins, its path
    /// matching (without probing every mask).
    fn contains(&self, e: u32) -> bool {
        let Some(rec) = self.index.endpoint(e) else {
            return false;
        };
        let path: &str = &self.endpoint.path;
        let pattern = self.index.text(rec.path);
        self.origins.contains(&rec.origin)
            && if rec.wild == 0 {
                pattern == path
            } else {
                wildcard_matches(pattern, rec.wild, path)
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes() -> u64 {
        PROBES.with(std::cell::Cell::get)
    }

    fn spec(url_origin: &str, path: &str, client_id: Option<String>) -> EndpointSpec {
        EndpointSpec {
            origin: url_origin.to_owned(),
            pattern: Pattern::new(path).expect("a test pattern"),
            client_id,
        }
    }

    /// An index of `n` connections from `make(i)`, and the probes its loading made.
    fn index(n: usize, make: impl Fn(usize) -> EndpointSpec) -> (Index, u64) {
        let mut index = Index::default();
        let before = probes();
        for i in 0..n {
            index
                .insert(make(i), i, &format!("c{i}"))
                .expect("distinct connections");
        }
        index.finish();
        (index, probes() - before)
    }

    /// The selection of `location` and the probes it took.
    fn select(index: &Index, location: &str) -> (Selection, u64) {
        let before = probes();
        let selection = index.select(location, None);
        (selection, probes() - before)
    }

    fn selected(index: &Index, location: &str) -> Option<String> {
        match index.select(location, None) {
            Selection::Selected(id) => index
                .connection(small(id).ok()?)
                .map(|c| index.text(c.name).to_owned()),
            _ => None,
        }
    }

    fn miss(index: &Index, location: &str) -> Option<Miss> {
        index
            .candidates(location, text::base(location), FirstLook::Unsure)
            .err()
    }

    const ENTRA: &str = "https://login.microsoftonline.com:443";

    /// The shapes of the issue: many connections on one host with `*` segments, told apart by
    /// `client_id`, by a literal segment, or on one wildcard host. A lookup probes as much
    /// for 100,000 connections as for one, to the probe (a `/logout` on that host too).
    #[test]
    fn lookups_probe_as_much_for_100_000_connections_as_for_one() {
        type Shape = (
            &'static str,
            fn(usize) -> EndpointSpec,
            fn(usize) -> String,
            &'static str,
        );
        let shapes: [Shape; 4] = [
            (
                "one endpoint, client_ids",
                |i| {
                    spec(
                        ENTRA,
                        "/*/oauth2/v2.0/authorize",
                        Some(format!("client-{i}")),
                    )
                },
                |i| {
                    format!(
                        "https://login.microsoftonline.com/tenant-{i}/oauth2/v2.0/authorize\
                         ?client_id=client-{i}&state=s"
                    )
                },
                "https://login.microsoftonline.com/logout",
            ),
            (
                "one host, a literal segment each",
                |i| {
                    spec(
                        "https://login.example.com:443",
                        &format!("/*/t{i}/authorize"),
                        None,
                    )
                },
                |i| format!("https://login.example.com/anything/t{i}/authorize?state=s"),
                "https://login.example.com/logout",
            ),
            (
                "one wildcard host, client_ids",
                |i| {
                    spec(
                        "https://*.okta.com:443",
                        "/oauth2/*/v1/authorize",
                        Some(format!("client-{i}")),
                    )
                },
                |i| {
                    format!(
                        "https://tenant{i}.okta.com/oauth2/default/v1/authorize?client_id=client-{i}"
                    )
                },
                "https://acme.okta.com/logout",
            ),
            (
                "wildcard hosts, one each",
                |i| {
                    spec(
                        &format!("https://*.okta{i}.com:443"),
                        "/oauth2/*/authorize",
                        None,
                    )
                },
                |i| format!("https://acme.okta{i}.com/oauth2/default/authorize"),
                "https://acme.okta0.com/logout",
            ),
        ];
        for (shape, make, location, logout) in shapes {
            let mut costs = Vec::new();
            for n in [1, 100_000] {
                let (index, loaded) = index(n, make);
                let i = n / 2;
                let (selection, cost) = select(&index, &location(i));
                assert_eq!(selection, Selection::Selected(i), "{shape}, {n}");
                let (selection, logout_cost) = select(&index, logout);
                assert_eq!(selection, Selection::NotConfigured, "{shape}, {n}");
                assert_eq!(miss(&index, logout), Some(Miss::NoEndpoint), "{shape}");
                costs.push((cost, logout_cost, loaded as f64 / n as f64));
            }
            let [(one, one_logout, _), (many, many_logout, per_insert)] = costs[..] else {
                unreachable!()
            };
            assert_eq!(
                one, many,
                "{shape}: probes for 1 and for 100,000 connections"
            );
            assert_eq!(one_logout, many_logout, "{shape}: /logout");
            assert!(one < 16, "{shape}: {one} probes");
            // Loading: a few probes per connection, not one per connection before it.
            assert!(per_insert < 8.0, "{shape}: {per_insert} probes per insert");
        }
    }

    /// Distinct masks are what a lookup probes: as many as the configuration has shapes of
    /// path at that host and segment count, never more, whatever the `Location`.
    #[test]
    fn a_lookup_probes_per_distinct_mask_not_per_endpoint() {
        let paths = ["/*/b/c", "/a/*/c", "/a/b/*", "/*/*/c", "/*/*/*"];
        let mut costs = Vec::new();
        for n in [paths.len(), paths.len() * 1000] {
            // Five shapes, told apart by `client_id`.
            let (index, _) = index(n, |i| {
                spec(
                    "https://idp.example:443",
                    paths[i % paths.len()],
                    Some(format!("{i}")),
                )
            });
            let mut cost = Vec::new();
            for i in 0..paths.len() {
                let (selection, c) =
                    select(&index, &format!("https://idp.example/a/b/c?client_id={i}"));
                assert_eq!(selection, Selection::Selected(i));
                cost.push(c);
            }
            // Per origin probed, per pass over the candidates: one exact probe, then a probe
            // and at most one record per mask.
            assert!(
                cost.iter()
                    .all(|&c| c <= 2 + 2 * (1 + 2 * paths.len() as u64))
            );
            costs.push(cost);
        }
        assert_eq!(costs[0], costs[1]);
    }

    #[test]
    fn misses_say_whether_the_origin_is_configured() {
        let (index, _) = index(3, |i| match i {
            0 => spec("https://idp.example:443", "/authorize", None),
            1 => spec("https://*.okta.com:443", "/oauth2/*/v1/authorize", None),
            _ => spec("https://login.example.com:443", "/*/authorize", None),
        });
        let cases = [
            ("https://idp.example/authorize", None),
            ("https://idp.example/authorize/", Some(Miss::NoEndpoint)),
            ("https://IDP.example/logout?x", Some(Miss::NoEndpoint)),
            (
                "https://idp.example:8443/authorize",
                Some(Miss::NotConfigured),
            ),
            ("http://idp.example/authorize", Some(Miss::NotConfigured)),
            ("https://other.example/authorize", Some(Miss::NotConfigured)),
            ("/authorize", Some(Miss::NotConfigured)),
            ("not a url", Some(Miss::NotConfigured)),
            ("https://acme.okta.com/oauth2/default/v1/authorize", None),
            (
                "https://acme.okta.com/oauth2/v1/authorize",
                Some(Miss::NoEndpoint),
            ),
            (
                "https://okta.com/oauth2/default/v1/authorize",
                Some(Miss::NotConfigured),
            ),
            (
                "https://a.b.okta.com/oauth2/default/v1/authorize",
                Some(Miss::NotConfigured),
            ),
            ("https://login.example.com/t/authorize", None),
            (
                "https://login.example.com/authorize",
                Some(Miss::NoEndpoint),
            ),
            (
                "https://login.example.com/a/b/authorize",
                Some(Miss::NoEndpoint),
            ),
        ];
        for (location, expected) in cases {
            assert_eq!(miss(&index, location), expected, "{location}");
        }
    }

    /// Host wildcards: any one DNS label in place of `*`, compared ignoring case; the literal
    /// host first, then path specificity.
    #[test]
    fn host_wildcards_match_one_label_and_lose_to_literal_hosts() {
        let (index, _) = index(5, |i| match i {
            0 => spec("https://*.okta.com:443", "/oauth2/v1/authorize", None),
            1 => spec("https://*.okta.com:443", "/oauth2/*/authorize", None),
            2 => spec("https://acme.okta.com:443", "/*/v1/authorize", None),
            3 => spec("https://*.b.okta.com:443", "/oauth2/v1/authorize", None),
            _ => spec("https://*.okta.com:8443", "/oauth2/v1/authorize", None),
        });
        let cases = [
            ("https://globex.okta.com/oauth2/v1/authorize", Some("c0")),
            ("https://GLOBEX.Okta.COM/oauth2/v1/authorize", Some("c0")),
            ("https://x--y_z.okta.com/oauth2/v1/authorize", Some("c0")),
            ("https://globex.okta.com/oauth2/v2/authorize", Some("c1")),
            // The literal host beats the wildcard host's more specific path.
            ("https://acme.okta.com/oauth2/v1/authorize", Some("c2")),
            // Where the literal host has no endpoint for the path, the wildcard host's.
            ("https://acme.okta.com/oauth2/v2/authorize", Some("c1")),
            ("https://a.b.okta.com/oauth2/v1/authorize", Some("c3")),
            ("https://b.okta.com/oauth2/v1/authorize", Some("c0")),
            ("https://okta.com/oauth2/v1/authorize", None),
            ("https://x.a.b.okta.com/oauth2/v1/authorize", None),
            ("https://acme.okta.com:8443/oauth2/v1/authorize", Some("c4")),
            ("https://a!b.okta.com/oauth2/v1/authorize", None),
            ("https://bücher.okta.com/oauth2/v1/authorize", Some("c0")),
            ("https://evil.com/.okta.com/oauth2/v1/authorize", None),
            ("https://acme.okta.com.evil.com/oauth2/v1/authorize", None),
            ("https://acme.okta.com@evil.com/oauth2/v1/authorize", None),
        ];
        for (location, expected) in cases {
            assert_eq!(
                selected(&index, location).as_deref(),
                expected,
                "{location}"
            );
        }
    }

    /// More matching endpoints than [`Candidates`] keeps: the same selection, probed again.
    #[test]
    fn more_candidates_than_cached_select_alike() {
        // Every mask of `/a/b/c/d` (16 paths, the literal one included), each with a
        // `client_id`, and the least specific one also without.
        let paths: Vec<String> = (0..16u32)
            .map(|m| {
                ["a", "b", "c", "d"]
                    .iter()
                    .enumerate()
                    .map(|(i, s)| if m >> i & 1 == 1 { "*" } else { *s })
                    .fold(String::new(), |path, s| path + "/" + s)
            })
            .collect();
        let (index, _) = index(17, |i| match paths.get(i) {
            Some(path) => spec("https://idp.example:443", path, Some(format!("{i}"))),
            None => spec("https://idp.example:443", "/*/*/*/*", None),
        });
        let location = "https://idp.example/a/b/c/d";
        let Ok(candidates) = index.candidates(location, location, FirstLook::Unsure) else {
            panic!("no candidates");
        };
        assert!(candidates.overflow);
        let order: Vec<u32> = candidates.iter().collect();
        assert_eq!(order.len(), 16);
        // The literal path first, the all-`*` one last.
        assert_eq!(order.first(), Some(&index.connections[0].endpoint));
        assert_eq!(order.last(), Some(&index.connections[15].endpoint));
        for i in 0..16 {
            let (selection, _) = select(&index, &format!("{location}?client_id={i}"));
            assert_eq!(selection, Selection::Selected(i));
        }
        assert_eq!(select(&index, location).0, Selection::Selected(16));
        assert_eq!(
            select(&index, &format!("{location}?client_id=x")).0,
            Selection::Selected(16)
        );
        assert_eq!(
            selected(&index, "https://idp.example/x/y/z/w").as_deref(),
            Some("c16")
        );
    }

    #[test]
    fn masks_order_by_literal_count_then_leftmost_literal() {
        // Bit i: segment i is `*`.
        let mut masks = vec![0b1110, 0b0110, 0b1010, 0b1100, 0b0010, 0b0100, 0b1000];
        masks.sort_by(|&a, &b| specificity(a, b));
        assert_eq!(
            masks,
            vec![0b1000, 0b0100, 0b0010, 0b1100, 0b1010, 0b0110, 0b1110]
        );
    }

    #[test]
    fn patterns_with_too_many_segments_are_refused() {
        let long = "/a".repeat(MAX_WILD_SEGMENTS - 1);
        assert!(Pattern::new(&format!("{long}/*")).is_none());
        assert!(Pattern::new(&format!("{}/*", "/a".repeat(MAX_WILD_SEGMENTS - 2))).is_some());
        assert_eq!(
            Pattern::new(&"/a".repeat(1000)).map(|p| p.wild),
            Some(0),
            "a literal path may be as long as it likes"
        );
        // And a `Location` with more segments than any mask matches literal paths only.
        let (index, _) = index(2, |i| match i {
            0 => spec(
                "https://idp.example:443",
                &format!("{}/*", "/a".repeat(62)),
                None,
            ),
            _ => spec("https://idp.example:443", &"/a".repeat(100), None),
        });
        let location = format!("https://idp.example{}/z", "/a".repeat(62));
        assert_eq!(selected(&index, &location).as_deref(), Some("c0"));
        let location = format!("https://idp.example{}", "/a".repeat(100));
        assert_eq!(selected(&index, &location).as_deref(), Some("c1"));
        let location = format!("https://idp.example{}/z", "/a".repeat(100));
        assert_eq!(miss(&index, &location), Some(Miss::NoEndpoint));
    }
}
