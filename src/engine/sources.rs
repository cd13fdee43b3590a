//! [`AliasSources`]: what an alias may read.

use std::fmt;

use crate::UpstreamValues;

/// What aliases may read: the broker's own authorize request query and the
/// [`UpstreamValues`] it vouches for, in the order they were added.
///
/// An alias resolves exactly as in the layer: each value set in the order added (as its
/// `source` allows), then the query, then its `default`; an empty, ambiguous, too long or
/// pattern-refused value falls through to the next source. The layer adds the response's
/// `UpstreamValues`, then the request's, then takes the request's query.
///
/// ```
/// use tower_upstream_params::{AliasSources, UpstreamValues};
///
/// let typed = UpstreamValues::new().with("login_hint", "jane@acme.com");
/// let sources = AliasSources::new()
///     .query(Some("client_id=web&login_hint=other%40acme.com")) // raw query, as in a URI
///     .values(&typed); // before the query; call again for lower-priority sets
/// # let _ = sources;
/// ```
///
/// It borrows the query and the value sets only, so it may be held across an `.await` like
/// any `&str`. `Debug` prints the query's length and the value sets' names, never a value.
#[derive(Clone, Default)]
pub struct AliasSources<'a> {
    /// The first two value sets (the layer's response and request values) without a `Vec`.
    first: [Option<&'a UpstreamValues>; 2],
    more: Vec<&'a UpstreamValues>,
    query: Option<&'a str>,
}

impl fmt::Debug for AliasSources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliasSources")
            .field("values", &self.value_sets().collect::<Vec<_>>())
            .field("query_len", &self.query.map(str::len))
            .finish()
    }
}

impl<'a> AliasSources<'a> {
    /// No sources: every alias falls back to its `default`, or is dropped as `missing`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The broker's own authorize request query, raw (as it stands in a URI, without `?`),
    /// decoded as `application/x-www-form-urlencoded` when read. Replaces an earlier one.
    #[must_use]
    pub fn query(mut self, query: impl Into<Option<&'a str>>) -> Self {
        self.query = query.into();
        self
    }

    /// Values the broker vouches for, read before the query and after the sets added
    /// earlier.
    #[must_use]
    pub fn values(mut self, values: &'a UpstreamValues) -> Self {
        self.push(values);
        self
    }

    /// The sources a request carries: its [`UpstreamValues`] extension, if any, and its
    /// query.
    pub fn from_request<B>(request: &'a http::Request<B>) -> Self {
        let mut sources = AliasSources::new().query(request.uri().query());
        if let Some(values) = request.extensions().get::<UpstreamValues>() {
            sources.push(values);
        }
        sources
    }

    pub(crate) fn push(&mut self, values: &'a UpstreamValues) {
        match self.first.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(values),
            None => self.more.push(values),
        }
    }

    /// The value sets, in the order added.
    pub(crate) fn value_sets(&self) -> impl Iterator<Item = &'a UpstreamValues> + '_ {
        self.first
            .iter()
            .flatten()
            .copied()
            .chain(self.more.iter().copied())
    }

    /// The raw query, if any.
    pub(crate) fn raw_query(&self) -> Option<&'a str> {
        self.query
    }
}
