//! Extensions by which the inner service (or an earlier layer) tells the layer more.

use std::fmt;
use std::sync::Arc;

/// Names the connection a redirect goes to: put it in the **response** extensions when the
/// endpoint alone cannot tell connections apart.
///
/// Among the connections whose `authorization_url` matches the `Location`, the one named is
/// used. If it names a connection that is not among them (an unknown name, or one for another
/// endpoint), nothing is rewritten and a `WARN` event is emitted: a wrong name must not send
/// one IdP's params to another.
///
/// ```
/// use tower_upstream_params::UpstreamConnection;
///
/// let mut response = http::Response::new(());
/// response.extensions_mut().insert(UpstreamConnection::new("google-acme"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UpstreamConnection(Arc<str>);

impl UpstreamConnection {
    /// Names connection `name` (a key of the configuration's `connections`).
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        UpstreamConnection(name.into())
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UpstreamConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UpstreamConnection")
            .field(&&*self.0)
            .finish()
    }
}

/// Values the broker itself vouches for ("broker-provided"): the email a user typed on the
/// broker's page, an organization's domain, ...
///
/// An alias reads them before the request query (with `"source": "any"`), or only them (with
/// `"source": "broker"`). The layer looks in the **response** extensions first (set by the
/// handler that answers with the redirect), then in the **request** extensions (set by an
/// earlier layer). Cloning is cheap (one reference count).
///
/// Built like [`http::HeaderMap`] and [`HashMap`](std::collections::HashMap) are:
/// [`with`](Self::with) as a builder, [`insert`](Self::insert) in place, or collected from
/// `(name, value)` pairs. A name is unique: inserting it again replaces its value.
///
/// `Debug` prints the names only: values are often personal data.
///
/// ```
/// use tower_upstream_params::UpstreamValues;
///
/// let mut values = UpstreamValues::new()
///     .with("login_hint", "typed@example.com")
///     .with("org_domain", String::from("acme.com"));
/// assert_eq!(values.insert("org_domain", "acme.example"), Some("acme.com".to_owned()));
/// assert_eq!(values.get("org_domain"), Some("acme.example"));
/// assert_eq!(values.get("missing"), None);
///
/// let collected: UpstreamValues = [("login_hint", "typed@example.com")].into();
/// assert_eq!(collected.get("login_hint"), Some("typed@example.com"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UpstreamValues(Arc<Vec<(Box<str>, Box<str>)>>);

impl UpstreamValues {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// These values and `name` with `value` (replacing an earlier value of that name): the
    /// builder form of [`insert`](Self::insert).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets `name` to `value` in place; returns the value it replaced, if any (as
    /// [`HashMap::insert`](std::collections::HashMap::insert) does).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        let (name, value) = (name.into(), value.into());
        let values = Arc::make_mut(&mut self.0);
        match values.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, v)) => Some(std::mem::replace(v, value.into_boxed_str()).into_string()),
            None => {
                values.push((name.into_boxed_str(), value.into_boxed_str()));
                None
            }
        }
    }

    /// The value of `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, v)| &**v)
    }

    /// The names that have a value, in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| &**n)
    }

    /// How many names have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no name has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for UpstreamValues {
    /// Inserts each pair in turn: a later value of a name replaces an earlier one.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (name, value) in iter {
            self.insert(name, value);
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for UpstreamValues {
    /// The pairs, inserted in turn: a later value of a name replaces an earlier one.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut values = UpstreamValues::new();
        values.extend(iter);
        values
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for UpstreamValues {
    /// The pairs, inserted in turn: a later value of a name replaces an earlier one.
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl fmt::Debug for UpstreamValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamValues")
            .field("names", &self.names().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
