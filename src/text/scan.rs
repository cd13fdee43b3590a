//! A `Location` read once: where each pair of its query is, and where `client_id` is.

use std::borrow::Cow;

use super::bytes::{has_escape, scan_query_name, scan_query_value};
use super::location::{Parts, base};
use super::query::{Lookup, RawPairs, decoded_name, decoded_value};

/// Pairs a [`Scan`] records (in 512 bytes of stack); the pairs after them are read again
/// where needed, from where the record stops.
pub(super) const SCANNED_PAIRS: usize = 64;

/// One pair as a [`Scan`] records it: offsets into the query (pairs that end past 64 KiB
/// are not recorded).
#[derive(Clone, Copy, Debug, Default)]
struct Rec {
    start: u16,
    name_end: u16,
    end: u16,
    encoded: bool,
}

/// A `Location` read once: its parts, where each pair of its query starts and ends (for up
/// to [`SCANNED_PAIRS`] pairs), and the pair holding `client_id`. Choosing the connection
/// and rewriting both use it, so the query is read once per redirect.
#[derive(Debug)]
pub(crate) struct Scan<'a> {
    pub(crate) parts: Parts<'a>,
    recs: [Rec; SCANNED_PAIRS],
    /// How many pairs the query has; the first `recorded` are in `recs`.
    pub(crate) count: usize,
    recorded: usize,
    /// Where the first pair not recorded starts in the query, if there is one.
    resume: usize,
    /// Where the `client_id` pair is in the query.
    client_id: ClientIdAt,
}

/// Where a [`Scan`] found `client_id`.
#[derive(Clone, Copy, Debug)]
enum ClientIdAt {
    Missing,
    /// Once: the pair's start, the end of its name, its end (offsets into the query).
    Once(usize, usize, usize),
    Repeated,
}

impl<'a> Scan<'a> {
    /// A scan of nothing yet, to [`read`](Self::read) into where it is kept (a `Scan` is
    /// half a kilobyte: it is filled in place rather than returned).
    pub(crate) const EMPTY: Scan<'static> = Scan {
        parts: Parts {
            base: "",
            query: None,
            fragment: None,
        },
        recs: [Rec {
            start: 0,
            name_end: 0,
            end: 0,
            encoded: false,
        }; SCANNED_PAIRS],
        count: 0,
        recorded: 0,
        resume: 0,
        client_id: ClientIdAt::Missing,
    };

    /// Reads `location` once: cuts it as [`split`] does and records its query's pairs.
    #[cfg(test)]
    pub(crate) fn new(location: &'a str) -> Self {
        let mut scan = Scan::EMPTY;
        scan.read(location);
        scan
    }

    /// Reads `location` into this (empty) scan: cuts it as [`split`] does and records its
    /// query's pairs.
    pub(crate) fn read(&mut self, location: &'a str) {
        self.read_after(location, base(location));
    }

    /// [`read`](Self::read), given the base of `location` as [`base`] cuts it (read first, to
    /// know whether the rest is needed at all).
    pub(crate) fn read_after(&mut self, location: &'a str, base: &'a str) {
        let scan = self;
        scan.parts.base = base;
        let bytes = location.as_bytes();
        let base_end = base.len();
        match bytes.get(base_end) {
            None => return,
            Some(b'#') => {
                scan.parts.fragment = location.get(base_end + 1..);
                return;
            }
            Some(_) => {}
        }
        // The query runs from after the `?` to the first `#`; each pair is read as it comes.
        let query_start = base_end + 1;
        let rest = bytes.get(query_start..).unwrap_or_default();
        let mut query_end = 0;
        if !matches!(rest.first(), None | Some(b'#')) {
            let mut start = 0;
            loop {
                let (name_end, encoded) = scan_query_name(rest, start);
                let end = match rest.get(name_end) {
                    Some(b'=') => scan_query_value(rest, name_end + 1),
                    _ => name_end,
                };
                scan.record(rest, start, name_end, end, encoded);
                match rest.get(end) {
                    Some(b'&') => start = end + 1,
                    _ => {
                        query_end = end;
                        break;
                    }
                }
            }
        }
        let query = location
            .get(query_start..query_start + query_end)
            .unwrap_or_default();
        scan.parts.query = Some(query);
        if rest.get(query_end) == Some(&b'#') {
            scan.parts.fragment = location.get(query_start + query_end + 1..);
        }
    }

    /// Notes the pair at `start..end` of the query `rest` (its name ends at `name_end`).
    fn record(&mut self, rest: &[u8], start: usize, name_end: usize, end: usize, encoded: bool) {
        let offset = |n: usize| u16::try_from(n).ok();
        if self.recorded == self.count {
            match (
                self.recs.get_mut(self.count),
                offset(start),
                offset(name_end),
                offset(end),
            ) {
                (Some(slot), Some(start), Some(name_end), Some(end)) => {
                    *slot = Rec {
                        start,
                        name_end,
                        end,
                        encoded,
                    };
                    self.recorded += 1;
                }
                _ => self.resume = start,
            }
        }
        self.count += 1;
        let name = rest.get(start..name_end).unwrap_or_default();
        let is_client_id = if encoded {
            std::str::from_utf8(name)
                .ok()
                .and_then(decoded_name)
                .is_some_and(|n| n == "client_id")
        } else {
            name == b"client_id"
        };
        if is_client_id {
            self.client_id = match self.client_id {
                ClientIdAt::Missing => ClientIdAt::Once(start, name_end, end),
                _ => ClientIdAt::Repeated,
            };
        }
    }

    /// The query's `client_id`, decoded.
    pub(crate) fn client_id(&self) -> Lookup<'a> {
        let query = self.parts.query.unwrap_or("");
        match self.client_id {
            ClientIdAt::Missing => Lookup::Missing,
            ClientIdAt::Repeated => Lookup::Ambiguous,
            ClientIdAt::Once(start, name_end, end) => {
                // No `=`: an empty value (the range is then empty or reversed).
                let value = query.get(name_end + 1..end).unwrap_or_default();
                if has_escape(value.as_bytes()) {
                    Lookup::Found(decoded_value(query.get(start..end).unwrap_or_default()))
                } else {
                    Lookup::Found(Cow::Borrowed(value))
                }
            }
        }
    }

    /// The query's pairs: those recorded, then the others read again.
    pub(crate) fn pairs(&self) -> ScanPairs<'_, 'a> {
        let query = self.parts.query.unwrap_or("");
        let rest = RawPairs {
            query,
            pos: (self.recorded < self.count).then_some(self.resume),
        };
        ScanPairs {
            recorded: self.recs.get(..self.recorded).unwrap_or_default().iter(),
            rest,
        }
    }
}

/// Where a pair of a [`Scan`]'s query is: offsets into the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PairAt {
    pub(crate) start: usize,
    pub(crate) name_end: usize,
    pub(crate) end: usize,
    /// Whether the raw name has a `%` or `+`.
    pub(crate) encoded: bool,
}

/// The pairs of a [`Scan`]'s query: those recorded, then the rest read again.
pub(crate) struct ScanPairs<'s, 'a> {
    recorded: std::slice::Iter<'s, Rec>,
    rest: RawPairs<'a>,
}

impl Iterator for ScanPairs<'_, '_> {
    type Item = PairAt;

    fn next(&mut self) -> Option<PairAt> {
        if let Some(rec) = self.recorded.next() {
            return Some(PairAt {
                start: usize::from(rec.start),
                name_end: usize::from(rec.name_end),
                end: usize::from(rec.end),
                encoded: rec.encoded,
            });
        }
        self.rest.next().map(|raw| PairAt {
            start: raw.start,
            name_end: raw.start + raw.name.len(),
            end: raw.start + raw.pair.len(),
            encoded: raw.encoded,
        })
    }
}
