//! Where a `Location` points, as a browser reads it: scheme, host, port and path.

use std::borrow::Cow;

use super::bytes::find_byte;
use super::location::browser_form;
#[cfg(test)]
use super::location::split;

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

/// Where a `Location` points: scheme, host, port (the origin) and path.
#[derive(Debug)]
pub(crate) struct Endpoint<'a> {
    pub(crate) https: bool,
    /// As the `Location` writes it: compare it ignoring ASCII case.
    pub(crate) host: Cow<'a, str>,
    /// The port, the scheme's default when none is written.
    pub(crate) port: u16,
    pub(crate) path: Cow<'a, str>,
}

impl Endpoint<'_> {
    /// `scheme://host:port`, lowercase, as [`OriginKey`] writes a configured origin.
    #[cfg(test)]
    pub(crate) fn origin_key(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!(
            "{scheme}://{}:{}",
            self.host.to_ascii_lowercase(),
            self.port
        )
    }
}

/// The endpoint an absolute `http(s)` URL points at, as a browser would read it; `None` for a
/// relative URL, another scheme, or a URL that does not parse.
#[cfg(test)]
pub(crate) fn endpoint(location: &str) -> Option<Endpoint<'_>> {
    endpoint_in(location, split(location).base)
}

/// The endpoint of `location`, given its base as [`split`] cuts it (an endpoint is made of
/// nothing else).
///
/// Ordinary URLs (`https://host[:port]/path`, a DNS name or a dotted-quad IPv4 address, a
/// plain path) are read from the base alone, without allocating or copying. Anything a
/// browser would normalize (userinfo, IPv6, percent-encoded or IDNA hosts, backslashes, `.`
/// segments, `https:host`, tabs) is handed to [`url::Url`], so that the endpoint compared is
/// the one the browser goes to.
pub(crate) fn endpoint_in<'a>(location: &'a str, base: &'a str) -> Option<Endpoint<'a>> {
    match fast_endpoint(base) {
        Fast::Endpoint(endpoint) => Some(endpoint),
        Fast::Never => None,
        Fast::Unsure => slow_endpoint(location),
    }
}

pub(super) enum Fast<'a> {
    Endpoint(Endpoint<'a>),
    Never,
    Unsure,
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Reads the base of a `Location` (up to its first `?` or `#`: all an endpoint is made of).
pub(super) fn fast_endpoint(location: &str) -> Fast<'_> {
    // A browser deletes tabs anywhere in a URL (`ht\ttps://...` is `https://...`); where
    // they are in the query or fragment, they change no endpoint.
    if find_byte(location.as_bytes(), b'\t').is_some() {
        return Fast::Unsure;
    }
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
    // The authority: ASCII alphanumerics, `.` and `-`, then `:port`; what kinds of bytes it
    // has first, without a branch per byte.
    let bytes = rest.as_bytes();
    let end = find_byte(bytes, b'/').unwrap_or(bytes.len());
    let kinds = bytes[..end]
        .iter()
        .fold(0, |kinds, &b| kinds | AUTHORITY_BYTES[usize::from(b)]);
    if kinds & AUTHORITY_OTHER != 0 {
        return Fast::Unsure;
    }
    let colon = if kinds & AUTHORITY_COLON != 0 {
        find_byte(&bytes[..end], b':')
    } else {
        None
    };
    let host_bytes = &bytes[..colon.unwrap_or(end)];
    // Its host, label by label: a DNS name `url` leaves as it is (but for case), or a
    // canonical dotted-quad IPv4 address (numeric hosts are IPv4 to a browser).
    let (mut start, mut labels, mut canonical) = (0, 0, true);
    let last = loop {
        let label_end =
            find_byte(&host_bytes[start..], b'.').map_or(host_bytes.len(), |i| start + i);
        let label = &host_bytes[start..label_end];
        let (fine, octet) = host_label(label);
        if !fine {
            return Fast::Unsure;
        }
        labels += 1;
        canonical &= octet;
        if label_end == host_bytes.len() {
            break label;
        }
        start = label_end + 1;
    };
    if !(last[0].is_ascii_alphabetic() || canonical && labels == 4) {
        return Fast::Unsure;
    }
    let (authority, path) = rest.split_at(end);
    let path = if path.is_empty() { "/" } else { path };
    let (host, port) = match colon {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority, None),
    };
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
    if host.len() > MAX_HOST_LEN {
        return Fast::Never;
    }
    Fast::Endpoint(Endpoint {
        https,
        host: Cow::Borrowed(host),
        port,
        path: Cow::Borrowed(path),
    })
}

/// Kinds of authority bytes, as bits, for [`fast_endpoint`]: an authority with an
/// [`AUTHORITY_OTHER`] byte is left to `url`.
const AUTHORITY_HOST: u8 = 1;
const AUTHORITY_COLON: u8 = 2;
const AUTHORITY_OTHER: u8 = 4;

const AUTHORITY_BYTES: [u8; 256] = {
    let mut table = [AUTHORITY_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c == b':' {
            table[b] = AUTHORITY_COLON;
        } else if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' {
            table[b] = AUTHORITY_HOST;
        }
        b += 1;
    }
    table
};

/// One label of a host: whether `url` leaves it as it is (not empty, not IDNA's `xn--`),
/// and whether it is a canonical IPv4 number (`0` to `255`, no leading zero).
fn host_label(label: &[u8]) -> (bool, bool) {
    let Some(&first) = label.first() else {
        return (false, false);
    };
    let fine = !(label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"));
    let octet = first.is_ascii_digit()
        && label.len() <= 3
        && label.iter().all(u8::is_ascii_digit)
        && (label == b"0" || first != b'0')
        && label
            .iter()
            .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'))
            <= 255;
    (fine, octet)
}

/// Kinds of path bytes, as bits: `url` copies a path as it is when it has no
/// [`PATH_OTHER`] byte (and no dot segment, which only [`PATH_DOT_OR_PERCENT`] bytes make).
const PATH_PLAIN: u8 = 1;
const PATH_DOT_OR_PERCENT: u8 = 2;
const PATH_OTHER: u8 = 4;

const PATH_BYTES: [u8; 256] = {
    let mut table = [PATH_OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c == b'.' || c == b'%' {
            table[b] = PATH_DOT_OR_PERCENT;
        } else if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'/' | b'-'
                    | b'_'
                    | b'~'
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
        {
            table[b] = PATH_PLAIN;
        }
        b += 1;
    }
    table
};

/// A path `url` would copy as it is: no backslash, no dot segment, nothing to percent-encode.
pub(super) fn plain_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    // First what kinds of bytes there are, without a branch per byte.
    let kinds = bytes
        .iter()
        .fold(0, |kinds, &b| kinds | PATH_BYTES[usize::from(b)]);
    if kinds & PATH_OTHER != 0 {
        return false;
    }
    if kinds & PATH_DOT_OR_PERCENT == 0 {
        return true;
    }
    // Only a segment that starts with `.` or `%` can be a dot segment.
    path.split('/').all(|segment| !is_dot_segment(segment))
}

/// Whether a path segment is `.` or `..`, literally or percent-encoded (`%2e`).
pub(super) fn is_dot_segment(segment: &str) -> bool {
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

/// Whether `url` (as a browser reads it) is `http:` or `https:` followed by fewer than two
/// `/` or `\` (`http:idp.example/x`, `https:/idp.example`, `http:\idp.example`): on a
/// page of the same scheme, a browser resolves it against the page's own URL, so it goes to
/// the broker, not to the host it seems to name. Parsed alone it would read as absolute.
pub(crate) fn relative_to_page(url: &str) -> bool {
    let rest =
        strip_prefix_ignore_case(url, "https:").or_else(|| strip_prefix_ignore_case(url, "http:"));
    rest.is_some_and(|rest| {
        rest.bytes()
            .take(2)
            .take_while(|&b| b == b'/' || b == b'\\')
            .count()
            < 2
    })
}

fn slow_endpoint(location: &str) -> Option<Endpoint<'_>> {
    if relative_to_page(&browser_form(location)) {
        return None;
    }
    let url = url::Url::parse(location).ok()?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let port = url.port_or_known_default()?;
    let host = url.host_str()?;
    if host.len() > MAX_HOST_LEN || !host.is_ascii() {
        return None;
    }
    Some(Endpoint {
        https,
        host: Cow::Owned(host.to_owned()),
        port,
        path: Cow::Owned(url.path().to_owned()),
    })
}
