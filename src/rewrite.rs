//! Pure functions over `Location` strings and query strings.
//!
//! Nothing here knows about tower or HTTP messages: the functions take `&str` and return
//! borrowed slices or one newly built `String`, so they are unit-tested with tables below and
//! benchmarked on their own.
//!
//! The rewrite copies every byte it does not change verbatim (scheme, authority, path, every
//! other pair with its original encoding, empty pairs, the fragment) into one buffer allocated
//! with its final capacity: the output is measured first, then written, by the same code.

use std::borrow::Cow;

use url::form_urlencoded::{self, byte_serialize};

use crate::config::Mode;

/// A `Location` cut at its first `#` and at the first `?` before that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// Everything before the query (scheme, authority, path).
    pub(crate) base: &'a str,
    /// The text between `?` and `#`, if there is a `?`.
    pub(crate) query: Option<&'a str>,
    /// The text after `#`, if there is one.
    pub(crate) fragment: Option<&'a str>,
}

/// Cuts a URL into base, query and fragment, as a browser does.
pub(crate) fn split(location: &str) -> Parts<'_> {
    let (rest, fragment) = match location.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (location, None),
    };
    let (base, query) = match rest.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (rest, None),
    };
    Parts {
        base,
        query,
        fragment,
    }
}

/// The raw `name=value` pairs of a query, in order, empty pairs included. An empty query has
/// no pairs.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = &str> {
    let query = if query.is_empty() { None } else { Some(query) };
    query.into_iter().flat_map(|q| q.split('&'))
}

fn raw_name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(name, _)| name)
}

fn needs_decoding(raw: &str) -> bool {
    raw.bytes().any(|b| b == b'%' || b == b'+')
}

/// Whether a raw pair's name, decoded as `application/x-www-form-urlencoded`, is `name`.
/// Compares case-sensitively and allocates only for a name that is percent-encoded.
pub(crate) fn name_is(pair: &str, name: &str) -> bool {
    let raw = raw_name(pair);
    if !needs_decoding(raw) {
        return raw == name;
    }
    form_urlencoded::parse(raw.as_bytes())
        .next()
        .is_some_and(|(decoded, _)| decoded == name)
}

/// The decoded value of a raw pair (`""` for a pair without `=`).
pub(crate) fn decoded_value(pair: &str) -> Cow<'_, str> {
    let raw = pair.split_once('=').map_or("", |(_, value)| value);
    if !needs_decoding(raw) {
        return Cow::Borrowed(raw);
    }
    form_urlencoded::parse(pair.as_bytes())
        .next()
        .map_or(Cow::Borrowed(""), |(_, value)| value)
}

/// What a query holds under one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    /// The name is not there.
    Missing,
    /// The name is there more than once.
    Ambiguous,
    /// The name is there once, with this decoded value (possibly empty).
    Found(Cow<'a, str>),
}

/// Looks a decoded name up in a raw query. Only the value found is decoded.
pub(crate) fn lookup<'a>(query: &'a str, name: &str) -> Lookup<'a> {
    let mut found = None;
    for pair in pairs(query) {
        if name_is(pair, name) {
            if found.is_some() {
                return Lookup::Ambiguous;
            }
            found = Some(pair);
        }
    }
    match found {
        Some(pair) => Lookup::Found(decoded_value(pair)),
        None => Lookup::Missing,
    }
}

/// Why a param was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// No source had a (non-empty) value; for `remove`, the redirect did not carry the param.
    Missing,
    /// The query carried the source name more than once.
    Ambiguous,
    /// The value was longer than its `max_len`.
    TooLong,
    /// The value did not match its `pattern`.
    Pattern,
    /// The rewritten `Location` would have been longer than `limits.max_location_len`.
    LocationTooLong,
    /// The redirect carries `request` or `request_uri` (JAR / PAR).
    ParOrJar,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Ambiguous => "ambiguous",
            Reason::TooLong => "too_long",
            Reason::Pattern => "pattern",
            Reason::LocationTooLong => "location_too_long",
            Reason::ParOrJar => "par_or_jar",
        }
    }
}

/// What happened to one param.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Appended after the existing pairs.
    Added,
    /// Written in place of the first existing pair of that name; further ones removed.
    Replaced,
    /// Merged into the first existing pair of that name; further ones removed.
    Merged,
    /// The existing pair was left as it was.
    Kept,
    /// Every existing pair of that name was removed.
    Removed,
    /// Not sent, for this reason.
    Dropped(Reason),
}

impl Outcome {
    fn changes(self) -> bool {
        matches!(
            self,
            Outcome::Added | Outcome::Replaced | Outcome::Merged | Outcome::Removed
        )
    }
}

/// What to do with one param, once its value is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op<'a> {
    /// Send this (decoded) value, under this conflict mode.
    Set(Cow<'a, str>, Mode),
    /// Remove the param from the redirect.
    Remove,
    /// Do not send it; the redirect's own pair, if any, stays as it was.
    Drop(Reason),
}

/// One param to apply to a `Location`, and, after [`rewrite`], what happened to it.
#[derive(Clone, Debug)]
pub(crate) struct Edit<'a> {
    pub(crate) name: &'a str,
    pub(crate) op: Op<'a>,
    pub(crate) outcome: Outcome,
    occurrences: u32,
    merged: Option<String>,
    seen: bool,
}

impl<'a> Edit<'a> {
    pub(crate) fn new(name: &'a str, op: Op<'a>) -> Self {
        Self {
            name,
            op,
            outcome: Outcome::Dropped(Reason::Missing),
            occurrences: 0,
            merged: None,
            seen: false,
        }
    }
}

/// Applies `edits`, in order, to the query of `location`.
///
/// Returns the new `Location` if anything changed and it is at most `max_len` bytes long;
/// `None` leaves the `Location` as it is. Either way each edit's `outcome` says what happened
/// (or, for `None` with changes planned, `Dropped(LocationTooLong)`).
pub(crate) fn rewrite(location: &str, edits: &mut [Edit<'_>], max_len: usize) -> Option<String> {
    let parts = split(location);
    let query = parts.query.unwrap_or("");

    if pairs(query).any(|p| name_is(p, "request") || name_is(p, "request_uri")) {
        for edit in edits.iter_mut() {
            edit.outcome = match edit.op {
                Op::Drop(reason) => Outcome::Dropped(reason),
                _ => Outcome::Dropped(Reason::ParOrJar),
            };
        }
        return None;
    }

    for pair in pairs(query) {
        if let Some(edit) = edits.iter_mut().find(|e| name_is(pair, e.name)) {
            edit.occurrences = edit.occurrences.saturating_add(1);
        }
    }
    for edit in edits.iter_mut() {
        edit.outcome = decide(edit, query);
    }
    if !edits.iter().any(|e| e.outcome.changes()) {
        return None;
    }

    let mut len = Counter(0);
    emit(&parts, edits, &mut len);
    if len.0 > max_len {
        for edit in edits.iter_mut().filter(|e| e.outcome.changes()) {
            edit.outcome = Outcome::Dropped(Reason::LocationTooLong);
        }
        return None;
    }
    let mut out = String::with_capacity(len.0);
    emit(&parts, edits, &mut out);
    debug_assert_eq!(out.len(), len.0);
    Some(out)
}

fn decide(edit: &mut Edit<'_>, query: &str) -> Outcome {
    let present = edit.occurrences > 0;
    match &edit.op {
        Op::Drop(reason) => Outcome::Dropped(*reason),
        Op::Remove if present => Outcome::Removed,
        Op::Remove => Outcome::Dropped(Reason::Missing),
        Op::Set(..) if !present => Outcome::Added,
        Op::Set(_, Mode::Replace) => Outcome::Replaced,
        Op::Set(_, Mode::Keep) => Outcome::Kept,
        Op::Set(value, Mode::Merge) => {
            let existing = pairs(query)
                .filter(|p| name_is(p, edit.name))
                .map(decoded_value);
            match merge(existing, value) {
                Some(merged) if merged.added || edit.occurrences > 1 => {
                    edit.merged = Some(merged.value);
                    Outcome::Merged
                }
                // Nothing new to say, or OIDC's `none` would stand beside another value.
                _ => Outcome::Kept,
            }
        }
    }
}

/// The space-delimited union of existing values (first, in order) and new ones.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Merged {
    pub(crate) value: String,
    /// Whether any new token was added to the existing ones.
    pub(crate) added: bool,
}

/// Merges space-delimited values; `None` where the result would put `none` beside another
/// value (OIDC forbids it).
pub(crate) fn merge<'a, I>(existing: I, new: &str) -> Option<Merged>
where
    I: IntoIterator<Item = Cow<'a, str>>,
{
    fn push(value: &mut String, token: &str) -> bool {
        if token.is_empty() || value.split(' ').any(|t| t == token) {
            return false;
        }
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(token);
        true
    }
    let mut value = String::new();
    for existing in existing {
        for token in existing.split(' ') {
            push(&mut value, token);
        }
    }
    let mut added = false;
    for token in new.split(' ') {
        added |= push(&mut value, token);
    }
    let has_none = value.split(' ').any(|t| t == "none");
    if has_none && value.contains(' ') {
        return None;
    }
    Some(Merged { value, added })
}

trait Sink {
    fn put(&mut self, s: &str);
}

struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, s: &str) {
        self.0 += s.len();
    }
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

fn put_encoded(out: &mut impl Sink, s: &str) {
    for chunk in byte_serialize(s.as_bytes()) {
        out.put(chunk);
    }
}

/// Writes (or measures) the rewritten `Location`. Run twice with the same edits, it gives the
/// same bytes: `seen` is reset at the start.
fn emit(parts: &Parts<'_>, edits: &mut [Edit<'_>], out: &mut impl Sink) {
    fn separate(out: &mut impl Sink, first: &mut bool) {
        if !*first {
            out.put("&");
        }
        *first = false;
    }
    for edit in edits.iter_mut() {
        edit.seen = false;
    }
    out.put(parts.base);
    if parts.query.is_some() || edits.iter().any(|e| e.outcome == Outcome::Added) {
        out.put("?");
    }
    let mut first = true;
    for pair in pairs(parts.query.unwrap_or("")) {
        let edit = edits
            .iter_mut()
            .filter(|e| {
                matches!(
                    e.outcome,
                    Outcome::Replaced | Outcome::Merged | Outcome::Removed
                )
            })
            .find(|e| name_is(pair, e.name));
        match edit {
            None => {
                separate(out, &mut first);
                out.put(pair);
            }
            Some(edit) if edit.outcome == Outcome::Removed || edit.seen => {}
            Some(edit) => {
                edit.seen = true;
                let value = match (&edit.merged, &edit.op) {
                    (Some(merged), _) => merged.as_str(),
                    (None, Op::Set(value, _)) => value.as_ref(),
                    (None, _) => "",
                };
                separate(out, &mut first);
                out.put(raw_name(pair));
                out.put("=");
                put_encoded(out, value);
            }
        }
    }
    for edit in edits.iter().filter(|e| e.outcome == Outcome::Added) {
        if let Op::Set(value, _) = &edit.op {
            separate(out, &mut first);
            put_encoded(out, edit.name);
            out.put("=");
            put_encoded(out, value);
        }
    }
    if let Some(fragment) = parts.fragment {
        out.put("#");
        out.put(fragment);
    }
}

/// The longest host a `Location` may name and still match (DNS allows 253 bytes).
pub(crate) const MAX_HOST_LEN: usize = 253;
const KEY_CAP: usize = "https://".len() + MAX_HOST_LEN + ":65535".len();

/// `scheme://host:port` of an endpoint, normalized (lowercase, port always written), built on
/// the stack: the key of the configuration's lookup by host.
#[derive(Clone, Copy)]
pub(crate) struct OriginKey {
    buf: [u8; KEY_CAP],
    len: usize,
}

impl std::fmt::Debug for OriginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OriginKey").field(&self.as_str()).finish()
    }
}

impl OriginKey {
    /// `None` for a host longer than [`MAX_HOST_LEN`] or that is not ASCII.
    pub(crate) fn new(https: bool, host: &str, port: u16) -> Option<Self> {
        if host.len() > MAX_HOST_LEN || !host.is_ascii() {
            return None;
        }
        let mut key = OriginKey {
            buf: [0; KEY_CAP],
            len: 0,
        };
        key.push(if https { "https://" } else { "http://" });
        let start = key.len;
        key.push(host);
        key.buf[start..key.len].make_ascii_lowercase();
        key.push(":");
        let mut digits = [0u8; 5];
        let mut n = port;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            key.buf[key.len] = d;
            key.len += 1;
        }
        Some(key)
    }

    fn push(&mut self, s: &str) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this never fails.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Where a `Location` points: its normalized origin and its path.
#[derive(Debug)]
pub(crate) struct Endpoint<'a> {
    pub(crate) origin: OriginKey,
    pub(crate) path: Cow<'a, str>,
}

/// The endpoint an absolute `http(s)` URL points at, as a browser would read it; `None` for a
/// relative URL, another scheme, or a URL that does not parse.
///
/// Ordinary URLs (`https://host[:port]/path`, a lowercase-able DNS name or a dotted-quad IPv4
/// address, a plain path) are read without allocating. Anything a browser would normalize
/// (userinfo, IPv6, percent-encoded or IDNA hosts, backslashes, `.` segments, `https:host`)
/// is handed to [`url::Url`], so that the endpoint compared is the one the browser goes to.
pub(crate) fn endpoint(location: &str) -> Option<Endpoint<'_>> {
    match fast_endpoint(location) {
        Fast::Endpoint(endpoint) => Some(endpoint),
        Fast::Never => None,
        Fast::Unsure => slow_endpoint(location),
    }
}

// Boxing the endpoint would allocate on the hot path; it lives on the stack for one call.
#[allow(clippy::large_enum_variant)]
enum Fast<'a> {
    Endpoint(Endpoint<'a>),
    Never,
    Unsure,
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn fast_endpoint(location: &str) -> Fast<'_> {
    // A scheme is a letter followed by letters, digits, `+`, `-`, `.`, then `:`.
    let scheme_len = location
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
    match scheme_len {
        Some(n) if n > 0 && location.as_bytes()[n] == b':' => {
            if !location.as_bytes()[0].is_ascii_alphabetic() {
                return Fast::Never;
            }
        }
        // Leading spaces or controls: a browser strips them; let `url` decide.
        _ if location.starts_with(|c: char| c.is_ascii_whitespace() || c.is_ascii_control()) => {
            return Fast::Unsure;
        }
        _ => return Fast::Never,
    }
    let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(location, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(location, "http://") {
        (false, rest)
    } else if strip_prefix_ignore_case(location, "https:").is_some()
        || strip_prefix_ignore_case(location, "http:").is_some()
    {
        return Fast::Unsure;
    } else {
        return Fast::Never;
    };
    let base = split(rest).base;
    let (authority, path) = match base.find('/') {
        Some(i) => (&base[..i], &base[i..]),
        None => (base, "/"),
    };
    if !authority
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return Fast::Unsure;
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if host.is_empty() || !plain_host(host) {
        return Fast::Unsure;
    }
    let default = if https { 443 } else { 80 };
    let port = match port {
        None | Some("") => default,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.trim_start_matches('0').parse::<u16>() {
                Ok(n) => n,
                Err(_) if p.trim_start_matches('0').is_empty() => 0,
                Err(_) => return Fast::Never,
            }
        }
        Some(_) => return Fast::Unsure,
    };
    if !plain_path(path) {
        return Fast::Unsure;
    }
    match OriginKey::new(https, host, port) {
        Some(origin) => Fast::Endpoint(Endpoint {
            origin,
            path: Cow::Borrowed(path),
        }),
        None => Fast::Never,
    }
}

/// A DNS name `url` leaves as it is (but for case), or a canonical dotted-quad IPv4 address.
fn plain_host(host: &str) -> bool {
    let labels = host.split('.');
    if host.ends_with('.') || host.split('.').any(|l| l.is_empty()) {
        return false;
    }
    if labels
        .clone()
        .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"))
    {
        return false;
    }
    let last = host.rsplit('.').next().unwrap_or("");
    if last.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return true;
    }
    // Numeric hosts are IPv4 to a browser; only the canonical form is read here.
    let mut count = 0;
    for label in labels {
        count += 1;
        let canonical = label.len() <= 3
            && label.bytes().all(|b| b.is_ascii_digit())
            && (label == "0" || !label.starts_with('0'))
            && label.parse::<u16>().is_ok_and(|n| n <= 255);
        if !canonical {
            return false;
        }
    }
    count == 4
}

/// A path `url` would copy as it is: no backslash, no dot segment, nothing to percent-encode.
fn plain_path(path: &str) -> bool {
    let chars_ok = path.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            )
    });
    chars_ok && !path.split('/').any(is_dot_segment)
}

/// Whether a path segment is `.` or `..`, literally or percent-encoded (`%2e`).
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if let Some(r) = strip_prefix_ignore_case(rest, "%2e") {
            rest = r;
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

fn slow_endpoint(location: &str) -> Option<Endpoint<'_>> {
    let url = url::Url::parse(location).ok()?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let port = url.port_or_known_default()?;
    let origin = OriginKey::new(https, url.host_str()?, port)?;
    Some(Endpoint {
        origin,
        path: Cow::Owned(url.path().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(value: &str, mode: Mode) -> Op<'_> {
        Op::Set(Cow::Borrowed(value), mode)
    }

    fn run<'a>(location: &str, edits: &mut [Edit<'a>], max: usize) -> Option<String> {
        rewrite(location, edits, max)
    }

    #[test]
    fn split_cuts_at_first_hash_then_question_mark() {
        let cases = [
            ("https://a/p", "https://a/p", None, None),
            ("https://a/p?", "https://a/p", Some(""), None),
            ("https://a/p?x=1#f", "https://a/p", Some("x=1"), Some("f")),
            ("https://a/p#f?x=1", "https://a/p", None, Some("f?x=1")),
            (
                "https://a/p?x=1?y#f#g",
                "https://a/p",
                Some("x=1?y"),
                Some("f#g"),
            ),
        ];
        for (input, base, query, fragment) in cases {
            assert_eq!(
                split(input),
                Parts {
                    base,
                    query,
                    fragment
                },
                "{input}"
            );
        }
    }

    #[test]
    fn names_and_values_are_decoded_as_forms_are() {
        let cases = [
            ("login_hint=a%40b.c", "login_hint", true, "a@b.c"),
            ("login%5Fhint=x+y", "login_hint", true, "x y"),
            ("login_hint", "login_hint", true, ""),
            ("login_hint=", "login_hint", true, ""),
            ("Login_hint=x", "login_hint", false, "x"),
            ("a=b=c", "a", true, "b=c"),
            ("a+b=1", "a b", true, "1"),
            ("a%2Bb=%2B", "a+b", true, "+"),
            ("", "", true, ""),
        ];
        for (pair, name, is, value) in cases {
            assert_eq!(name_is(pair, name), is, "{pair} is {name}");
            assert_eq!(decoded_value(pair), value, "{pair}");
        }
    }

    #[test]
    fn lookup_finds_once_or_calls_it_ambiguous() {
        let q = "a=1&b=2&b=3&c=&d%3D=4&e=x%20y";
        assert_eq!(lookup(q, "a"), Lookup::Found(Cow::Borrowed("1")));
        assert_eq!(lookup(q, "b"), Lookup::Ambiguous);
        assert_eq!(lookup(q, "c"), Lookup::Found(Cow::Borrowed("")));
        assert_eq!(lookup(q, "d="), Lookup::Found(Cow::Borrowed("4")));
        assert_eq!(lookup(q, "e"), Lookup::Found(Cow::Borrowed("x y")));
        assert_eq!(lookup(q, "z"), Lookup::Missing);
        assert_eq!(lookup("", "a"), Lookup::Missing);
    }

    #[test]
    fn rewrite_table() {
        use Mode::*;
        // (location, [(name, op)], expected location, expected outcomes)
        type Case<'a> = (&'a str, Vec<(&'a str, Op<'a>)>, &'a str, Vec<Outcome>);
        let cases: Vec<Case<'_>> = vec![
            (
                "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b",
                vec![("blog", set("myblog.wordpress.com", Replace))],
                "https://public-api.wordpress.com/oauth2/authorize?client_id=1&state=a%20b&blog=myblog.wordpress.com",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a",
                vec![("x", set("a b&c=d#e", Replace))],
                "https://idp/a?x=a+b%26c%3Dd%23e",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?",
                vec![("x", set("1", Replace))],
                "https://idp/a?x=1",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a#frag",
                vec![("x", set("1", Replace))],
                "https://idp/a?x=1#frag",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?prompt=consent&state=s&prompt=login#f",
                vec![("prompt", set("select_account", Replace))],
                "https://idp/a?prompt=select_account&state=s#f",
                vec![Outcome::Replaced],
            ),
            (
                "https://idp/a?prompt=consent",
                vec![("prompt", set("select_account", Keep))],
                "https://idp/a?prompt=consent",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?prompt=consent&x=1",
                vec![("prompt", set("select_account login", Merge))],
                "https://idp/a?prompt=consent+select_account+login&x=1",
                vec![Outcome::Merged],
            ),
            (
                "https://idp/a?scope=openid%20email",
                vec![("scope", set("email", Merge))],
                "https://idp/a?scope=openid%20email",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?prompt=none",
                vec![("prompt", set("login", Merge))],
                "https://idp/a?prompt=none",
                vec![Outcome::Kept],
            ),
            (
                "https://idp/a?x=1",
                vec![("prompt", set("login", Merge))],
                "https://idp/a?x=1&prompt=login",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?x=1&audience=a&y=2&audience=b",
                vec![("audience", Op::Remove)],
                "https://idp/a?x=1&y=2",
                vec![Outcome::Removed],
            ),
            (
                "https://idp/a?x=1",
                vec![("audience", Op::Remove)],
                "https://idp/a?x=1",
                vec![Outcome::Dropped(Reason::Missing)],
            ),
            (
                "https://idp/a?x=1&&y&=z&screen_name=old",
                vec![("screen_name", Op::Drop(Reason::Pattern))],
                "https://idp/a?x=1&&y&=z&screen_name=old",
                vec![Outcome::Dropped(Reason::Pattern)],
            ),
            (
                "https://idp/a?x=%7e&&y&=z",
                vec![("b", set("é", Replace))],
                "https://idp/a?x=%7e&&y&=z&b=%C3%A9",
                vec![Outcome::Added],
            ),
            (
                "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
                vec![("a", set("1", Replace)), ("b", Op::Drop(Reason::Missing))],
                "https://idp/a?request_uri=urn%3Apar%3A1&client_id=c",
                vec![
                    Outcome::Dropped(Reason::ParOrJar),
                    Outcome::Dropped(Reason::Missing),
                ],
            ),
            (
                "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D",
                vec![("a", set("1", Replace)), ("b", set("2", Replace))],
                "https://idp/saml?SAMLRequest=abc%2B&RelayState=r&SigAlg=s&Signature=t%3D&a=1&b=2",
                vec![Outcome::Added, Outcome::Added],
            ),
        ];
        for (location, ops, expected, outcomes) in cases {
            let mut edits: Vec<Edit<'_>> =
                ops.into_iter().map(|(n, op)| Edit::new(n, op)).collect();
            let out = run(location, &mut edits, 8192);
            assert_eq!(out.as_deref().unwrap_or(location), expected, "{location}");
            let got: Vec<Outcome> = edits.iter().map(|e| e.outcome).collect();
            assert_eq!(got, outcomes, "{location}");
            if out.is_some() {
                assert_ne!(expected, location, "changed output for {location}");
            }
        }
    }

    #[test]
    fn location_limit_is_inclusive() {
        let location = "https://idp/a?x=1";
        let full = "https://idp/a?x=1&b=2";
        let mut edits = [Edit::new("b", set("2", Mode::Replace))];
        assert_eq!(run(location, &mut edits, full.len()).as_deref(), Some(full));
        let mut edits = [Edit::new("b", set("2", Mode::Replace))];
        assert_eq!(run(location, &mut edits, full.len() - 1), None);
        assert_eq!(edits[0].outcome, Outcome::Dropped(Reason::LocationTooLong));
    }

    #[test]
    fn merge_table() {
        let cases = [
            (
                vec!["login"],
                "select_account",
                Some(("login select_account", true)),
            ),
            (
                vec!["login consent"],
                "consent",
                Some(("login consent", false)),
            ),
            (vec!["a  b", "c"], "b d", Some(("a b c d", true))),
            (vec![], "login", Some(("login", true))),
            (vec!["none"], "none", Some(("none", false))),
            (vec!["none"], "login", None),
            (vec!["login"], "none", None),
        ];
        for (existing, new, expected) in cases {
            let got = merge(existing.iter().map(|s| Cow::Borrowed(*s)), new);
            let expected = expected.map(|(value, added)| Merged {
                value: value.to_owned(),
                added,
            });
            assert_eq!(got, expected, "{existing:?} + {new}");
        }
    }

    #[test]
    fn endpoint_table() {
        // (location, origin key, path) or None: what a browser would go to.
        let cases = [
            (
                "https://idp.example/a",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "HTTPS://IDP.Example:443/a?x#y",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "http://idp.example:8080",
                Some(("http://idp.example:8080", "/")),
            ),
            (
                "http://idp.example:0080/",
                Some(("http://idp.example:80", "/")),
            ),
            ("https://127.0.0.1:9/a", Some(("https://127.0.0.1:9", "/a"))),
            ("https://0x7f.1/a", Some(("https://127.0.0.1:443", "/a"))),
            (
                "https://idp.example@evil.example/a",
                Some(("https://evil.example:443", "/a")),
            ),
            (
                "https://evil.example\\@idp.example/a",
                Some(("https://evil.example:443", "/@idp.example/a")),
            ),
            ("https://[::1]:8443/a", Some(("https://[::1]:8443", "/a"))),
            (
                "https://idp.example/a/../b",
                Some(("https://idp.example:443", "/b")),
            ),
            (
                "https://idp.example/a/%2e/b",
                Some(("https://idp.example:443", "/a/b")),
            ),
            (
                "https:idp.example/a",
                Some(("https://idp.example:443", "/a")),
            ),
            (
                "https://xn--bcher-kva.example/a",
                Some(("https://xn--bcher-kva.example:443", "/a")),
            ),
            (
                "https://b%C3%BCcher.example/a",
                Some(("https://xn--bcher-kva.example:443", "/a")),
            ),
            ("https://idp.example:99999/a", None),
            ("/authorize?x=1", None),
            ("//idp.example/a", None),
            ("mailto:x@idp.example", None),
            ("ftp://idp.example/a", None),
            ("https://", None),
        ];
        for (location, expected) in cases {
            let got = endpoint(location);
            let got = got.as_ref().map(|e| (e.origin.as_str(), e.path.as_ref()));
            assert_eq!(got, expected, "{location}");
        }
    }
}
