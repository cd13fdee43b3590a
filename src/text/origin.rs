//! A `Location`'s origin read from its first bytes alone: the layer's first look at every
//! redirect, so that one to an origin no connection has (most of them: a broker sends its
//! users back to its own clients far more often than to an identity provider) costs a hash
//! of that origin and little else, not a browser's reading of the whole URL.

use std::borrow::Cow;

use super::endpoint::{Endpoint, MAX_HOST_LEN, endpoint_in, plain_path};

/// What the first bytes of a `Location` say of where it points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuickOrigin {
    /// No `http` or `https` endpoint, as a browser reads it and
    /// [`endpoint_in`] with it: a first byte that is visible and not a
    /// letter (a relative URL, `/cb?code=...`), or a scheme other than `http` and `https`
    /// (`com.example.app:/cb`).
    Nowhere,
    /// `http://` or `https://` (any case), a host, an optional `:port`, then `/`, `?`, `#` or
    /// the end: the origin a browser goes to, for a host that `url` leaves as it is but for
    /// its case (a DNS name of ASCII letters, digits and `-`, labels not empty and not
    /// `xn--`, the last one beginning with a letter).
    Plain(PlainOrigin),
    /// Anything else (spaces or controls first, tabs, userinfo, IP addresses, IDNA or
    /// percent-encoded hosts, backslashes, `https:host`): only the full reading can tell.
    Unsure,
}

/// Where a plain `http(s)://host[:port]` is in the `Location` [`quick_origin`] read, and
/// what it is: the same offsets hold in the URL a browser reads from it (nothing before the
/// path is trimmed or deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PlainOrigin {
    /// `https` rather than `http`.
    pub(crate) https: bool,
    /// The port, the scheme's default when none is written.
    pub(crate) port: u16,
    /// Where the host ends (it begins after `://`).
    host_end: usize,
    /// Where the path begins: after the host and port (at `/`, `?`, `#` or the end).
    path_start: usize,
}

impl PlainOrigin {
    /// The host, as written (ASCII: compare it ignoring case), in `location` (the bytes it
    /// was read from, or the URL a browser reads from them).
    pub(crate) fn host<'a>(&self, location: &'a [u8]) -> &'a [u8] {
        let start = if self.https { 8 } else { 7 };
        location.get(start..self.host_end).unwrap_or_default()
    }

    /// The endpoint of `location` (the URL a browser reads from the bytes this origin was
    /// read from, whose base is `base`): the host and port are not read again, only the path
    /// (a path `url` would rewrite sends it all to [`endpoint_in`]).
    pub(crate) fn endpoint<'a>(&self, location: &'a str, base: &'a str) -> Option<Endpoint<'a>> {
        let start = if self.https { 8 } else { 7 };
        let (Some(host), Some(path)) = (
            location.get(start..self.host_end),
            base.get(self.path_start..),
        ) else {
            return endpoint_in(location, base);
        };
        let path = if path.is_empty() { "/" } else { path };
        if !plain_path(path) {
            return endpoint_in(location, base);
        }
        Some(Endpoint {
            https: self.https,
            host: Cow::Borrowed(host),
            port: self.port,
            path: Cow::Borrowed(path),
        })
    }
}

/// Kinds of bytes after `//`, for [`quick_origin`].
const HOST: u8 = 0;
const DOT: u8 = 1;
const COLON: u8 = 2;
const END: u8 = 3;
const OTHER: u8 = 4;

const ORIGIN_BYTES: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() || c == b'-' {
            HOST
        } else if c == b'.' {
            DOT
        } else if c == b':' {
            COLON
        } else if c == b'/' || c == b'?' || c == b'#' {
            END
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// `https://` and `http://`, and which of their bytes are letters (compared ignoring case),
/// as little-endian words.
const HTTPS: u64 = u64::from_le_bytes(*b"https://");
const HTTP: u64 = u64::from_le_bytes(*b"http://\0");
const HTTPS_LETTERS: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0x20, 0, 0, 0]);
const HTTP_LETTERS: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0, 0, 0, 0]);
const SEVEN_BYTES: u64 = u64::from_le_bytes([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);

/// Reads where `location` (a `Location` header's bytes, untrimmed) points from its first
/// bytes, without looking at the rest: [`QuickOrigin::Unsure`] whenever a browser could read
/// the origin otherwise than those bytes say.
pub(crate) fn quick_origin(location: &[u8]) -> QuickOrigin {
    let Some(&first) = location.first() else {
        return QuickOrigin::Nowhere;
    };
    if !first.is_ascii_alphabetic() {
        // A browser trims spaces and controls first; anything else visible (or not ASCII)
        // begins no scheme.
        return if first > b' ' {
            QuickOrigin::Nowhere
        } else {
            QuickOrigin::Unsure
        };
    }
    // `https://` or `http://`, any case, as one word.
    let Some(word) = location.first_chunk::<8>().map(|w| u64::from_le_bytes(*w)) else {
        return other_scheme(location);
    };
    let (https, rest) = if word | HTTPS_LETTERS == HTTPS {
        (true, &location[8..])
    } else if (word | HTTP_LETTERS) & SEVEN_BYTES == HTTP {
        (false, &location[7..])
    } else {
        return other_scheme(location);
    };
    // The host, label by label, up to `:`, `/`, `?`, `#` or the end.
    let mut at = 0;
    let mut label = 0;
    let (end, terminator) = loop {
        let kind = match rest.get(at) {
            Some(&b) => ORIGIN_BYTES[usize::from(b)],
            None => END,
        };
        if kind == HOST {
            at += 1;
            continue;
        }
        if !fine_label(&rest[label..at]) {
            return QuickOrigin::Unsure;
        }
        match kind {
            DOT => label = at + 1,
            COLON | END => break (at, kind),
            _ => return QuickOrigin::Unsure,
        }
        at += 1;
    };
    // A host that ends in a number is an IPv4 address to a browser.
    if !rest.get(label).is_some_and(u8::is_ascii_alphabetic) || end > MAX_HOST_LEN {
        return QuickOrigin::Unsure;
    }
    let (port, path_start) = if terminator == COLON {
        match port(&rest[end + 1..]) {
            Some((port, digits)) => (port.unwrap_or(default_port(https)), end + 1 + digits),
            None => return QuickOrigin::Unsure,
        }
    } else {
        (default_port(https), end)
    };
    let scheme_len = location.len() - rest.len();
    QuickOrigin::Plain(PlainOrigin {
        https,
        port,
        host_end: scheme_len + end,
        path_start: scheme_len + path_start,
    })
}

fn default_port(https: bool) -> u16 {
    if https { 443 } else { 80 }
}

/// A label `url` copies as it is (but for case): not empty, not IDNA's `xn--`.
fn fine_label(label: &[u8]) -> bool {
    let idna = label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--");
    !(label.is_empty() || idna)
}

/// The digits after `:`, up to `/`, `?`, `#` or the end, and how many there are: `None`
/// for none (the default port); `None` altogether for anything else or a number past 65535.
fn port(rest: &[u8]) -> Option<(Option<u16>, usize)> {
    let digits = rest
        .iter()
        .position(|&b| ORIGIN_BYTES[usize::from(b)] == END)
        .map_or(rest, |end| &rest[..end]);
    if digits.is_empty() {
        return Some((None, 0));
    }
    let mut port = 0u32;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        port = port * 10 + u32::from(d - b'0');
        if port > u32::from(u16::MAX) {
            return None;
        }
    }
    u16::try_from(port)
        .ok()
        .map(|port| (Some(port), digits.len()))
}

/// A `Location` that begins with a letter but not with `http://` or `https://`: another
/// scheme (letters, digits, `+`, `-`, `.`, then `:`), or none, is [`QuickOrigin::Nowhere`];
/// `http:` or `https:` without `//`, or a tab or line break inside the scheme, is left to the
/// full reading.
fn other_scheme(location: &[u8]) -> QuickOrigin {
    let scheme_len = location
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
    match scheme_len {
        Some(n) if location[n] == b':' => {
            let scheme = &location[..n];
            if scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https") {
                QuickOrigin::Unsure
            } else {
                QuickOrigin::Nowhere
            }
        }
        // A browser deletes these: `ht\ttps://` is `https://`.
        Some(n) if matches!(location[n], b'\t' | b'\n' | b'\r') => QuickOrigin::Unsure,
        // No scheme (`cb?code=...`): relative.
        _ => QuickOrigin::Nowhere,
    }
}
