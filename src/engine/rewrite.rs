//! The rewrite of one `Location`: read its query once, decide each param's outcome, measure
//! the output, then write it into one buffer of that length.
//!
//! Every byte not changed is copied verbatim (scheme, authority, path, every other pair with
//! its original encoding, empty pairs, the fragment).

use std::borrow::Cow;

use super::edit::{Edit, MergedValue, Op};
use super::merge::{SCRATCH_LEN, Scratch, merge_in};
use super::report::{DropReason, Outcome};
use crate::config::Mode;
use crate::text::{Parts, RawPairs, Scan, Written, decoded_bytes_in, decoded_name};

/// The name lengths some edit (or `request`, `request_uri`) has: a plain name of another
/// length is passed over without being looked at.
struct NameLengths {
    /// Bit `n` for length `n` < 64.
    short: u64,
    /// Whether some name is 64 bytes or longer.
    long: bool,
}

impl NameLengths {
    fn new(edits: &[Edit<'_>]) -> Self {
        let mut lengths = NameLengths {
            short: 0,
            long: false,
        };
        for len in edits
            .iter()
            .map(|e| e.name.len())
            .chain(["request".len(), "request_uri".len()])
        {
            match 1u64.checked_shl(len as u32).filter(|_| len < 64) {
                Some(bit) => lengths.short |= bit,
                None => lengths.long = true,
            }
        }
        lengths
    }

    fn may_be(&self, len: usize) -> bool {
        if len < 64 {
            self.short & (1 << len) != 0
        } else {
            self.long
        }
    }
}

/// Pairs that bear an edit's name, recorded while the query is read so that writing it
/// needs no second pass: the copy runs from one to the next.
const MAX_MATCHES: usize = 16;

struct Matches {
    /// `(start, end, edit)` of each pair, in query order.
    at: [(u32, u32, u32); MAX_MATCHES],
    /// How many pairs matched; past [`MAX_MATCHES`], [`write`] reads the query again.
    len: usize,
}

impl Matches {
    fn push(&mut self, start: usize, end: usize, edit: usize) {
        let small = |n: usize| u32::try_from(n).ok();
        match (
            self.at.get_mut(self.len),
            small(start),
            small(end),
            small(edit),
        ) {
            (Some(slot), Some(start), Some(end), Some(edit)) => *slot = (start, end, edit),
            // Past what fits: `write` reads the query again.
            _ => self.len = MAX_MATCHES,
        }
        self.len += 1;
    }

    fn all(&self) -> Option<&[(u32, u32, u32)]> {
        self.at.get(..self.len)
    }
}

/// Applies `edits`, in order, to the query of `location`.
///
/// Returns the new `Location` if anything changed and it is at most `max_len` bytes long;
/// `None` leaves the `Location` as it is. Either way each edit's `outcome` says what happened
/// (or, for `None` with changes planned, `Dropped(LocationTooLong)`).
///
/// The query is read once (JAR / PAR detection, each name's occurrences and bytes), the
/// output's length is computed from that, and the output is written into one buffer of that
/// capacity. When no existing pair changes, the query is copied as one slice.
pub(crate) fn rewrite(location: &str, edits: &mut [Edit<'_>], max_len: usize) -> Option<String> {
    let mut scan = Scan::EMPTY;
    scan.read(location);
    rewrite_scanned(&scan, edits, max_len)
}

/// [`rewrite`], with the `Location` already read by a [`Scan`].
pub(crate) fn rewrite_scanned(
    scan: &Scan<'_>,
    edits: &mut [Edit<'_>],
    max_len: usize,
) -> Option<String> {
    let parts = scan.parts;
    let query = parts.query.unwrap_or("");

    for edit in edits.iter_mut() {
        edit.occurrences = 0;
        edit.matched_len = 0;
        edit.first_name_len = 0;
        edit.merged = None;
    }
    let pair_count = scan.count;
    let mut matches = Matches {
        at: [(0, 0, 0); MAX_MATCHES],
        len: 0,
    };
    let lengths = NameLengths::new(edits);
    for pair in scan.pairs() {
        // Most pairs are none of ours, and their name's length says so.
        if !pair.encoded && !lengths.may_be(pair.name_end - pair.start) {
            continue;
        }
        let raw = query.get(pair.start..pair.name_end).unwrap_or("");
        let name = if pair.encoded {
            match decoded_name(raw) {
                Some(name) => name,
                None => continue,
            }
        } else {
            Cow::Borrowed(raw)
        };
        let (start, pair_len) = (pair.start, pair.end - pair.start);
        if name == "request" || name == "request_uri" {
            for edit in edits.iter_mut() {
                edit.outcome = match edit.op {
                    Op::Drop(reason) => Outcome::Dropped(reason),
                    _ => Outcome::Dropped(DropReason::ParOrJar),
                };
            }
            return None;
        }
        if let Some((i, edit)) = edits.iter_mut().enumerate().find(|(_, e)| e.name == name) {
            if edit.occurrences == 0 {
                edit.first_name_len = raw.len();
            }
            edit.occurrences = edit.occurrences.saturating_add(1);
            edit.matched_len += pair_len;
            matches.push(start, start + pair_len, i);
        }
    }

    // Stack space only where something may be merged.
    let mut space: [u8; SCRATCH_LEN];
    let buf: &mut [u8] = if edits
        .iter()
        .any(|e| matches!(e.op, Op::Set(_, Mode::Merge)))
    {
        space = [0; SCRATCH_LEN];
        &mut space
    } else {
        &mut []
    };
    let mut scratch = Scratch { buf, used: 0 };
    for (i, edit) in edits.iter_mut().enumerate() {
        edit.outcome = decide(edit, i, query, &matches, &mut scratch);
    }
    if !edits.iter().any(|e| e.outcome.changes()) {
        return None;
    }

    let len = output_len(&parts, pair_count, edits, &scratch);
    if len > max_len {
        too_long(edits);
        return None;
    }
    let mut out = String::with_capacity(len);
    write(&parts, edits, &scratch, &matches, &mut out);
    debug_assert_eq!(out.len(), len);
    Some(out)
}

/// Every change planned is dropped: the new `Location` would be longer than allowed.
pub(crate) fn too_long(edits: &mut [Edit<'_>]) {
    for edit in edits.iter_mut().filter(|e| e.outcome.changes()) {
        edit.outcome = Outcome::Dropped(DropReason::LocationTooLong);
    }
}

fn decide(
    edit: &mut Edit<'_>,
    i: usize,
    query: &str,
    matches: &Matches,
    scratch: &mut Scratch<'_>,
) -> Outcome {
    let mut merged = None;
    let name = edit.name;
    let same = |value: &str| {
        only_pair(query, matches, i, name).is_some_and(|pair| {
            let mut none: &mut [u8] = &mut [];
            *decoded_bytes_in(pair, &mut none) == *value.as_bytes()
        })
    };
    let outcome = edit.op.outcome(edit.occurrences, same, |value| {
        merge_in(edit.name, query, value, scratch).map(|(value, added)| {
            merged = Some(value);
            added
        })
    });
    if outcome == Outcome::Merged {
        edit.merged = merged;
    }
    outcome
}

/// The one pair of the query named `name` (edit `i`'s), raw: from the pairs recorded while
/// reading, or, past what they hold, read again.
fn only_pair<'q>(query: &'q str, matches: &Matches, i: usize, name: &str) -> Option<&'q str> {
    match matches.all() {
        Some(all) => all
            .iter()
            .find(|&&(_, _, edit)| edit as usize == i)
            .and_then(|&(start, end, _)| query.get(start as usize..end as usize)),
        None => RawPairs::new(query)
            .find(|raw| raw.decoded_name().as_deref() == Some(name))
            .map(|raw| raw.pair),
    }
}

/// What a replaced or merged pair's value becomes.
fn new_value<'s>(edit: &'s Edit<'_>, scratch: &'s Scratch<'_>) -> Written<'s> {
    match (&edit.merged, &edit.op) {
        (Some(MergedValue::Heap(merged)), _) => Written::Bytes(merged),
        (Some(MergedValue::Scratch { start, len }), _) => {
            Written::Bytes(scratch.buf.get(*start..start + len).unwrap_or_default())
        }
        (None, Op::Set(value, _)) => Written::Text(value),
        (None, _) => Written::Text(""),
    }
}

/// Whether an outcome takes pairs out of the query (the first one may be written anew).
fn consumes(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Replaced | Outcome::Merged | Outcome::Removed
    )
}

/// The length of what [`write`] writes, from what the reading pass counted.
fn output_len(
    parts: &Parts<'_>,
    pair_count: usize,
    edits: &mut [Edit<'_>],
    scratch: &Scratch<'_>,
) -> usize {
    let query = parts.query.unwrap_or("");
    // Pairs written, and their bytes without separators: first the query's as it is.
    let mut items = pair_count;
    let mut item_bytes = query.len() - pair_count.saturating_sub(1);
    let mut question_mark = parts.query.is_some();
    for edit in edits {
        let occurrences = edit.occurrences as usize;
        match edit.outcome {
            Outcome::Replaced | Outcome::Merged => {
                let (value_len, plain) = new_value(edit, scratch).encoded_len();
                edit.plain_value = plain;
                items = items + 1 - occurrences;
                item_bytes = item_bytes + edit.first_name_len + 1 + value_len - edit.matched_len;
            }
            Outcome::Removed => {
                items -= occurrences;
                item_bytes -= edit.matched_len;
            }
            Outcome::Added => {
                let (name_len, plain_name) = Written::Text(edit.name).encoded_len();
                let (value_len, plain_value) = new_value(edit, scratch).encoded_len();
                (edit.plain_name, edit.plain_value) = (plain_name, plain_value);
                question_mark = true;
                items += 1;
                item_bytes += name_len + 1 + value_len;
            }
            Outcome::Kept | Outcome::Dropped(_) => {}
        }
    }
    parts.base.len()
        + usize::from(question_mark)
        + item_bytes
        + items.saturating_sub(1)
        + parts.fragment.map_or(0, |f| 1 + f.len())
}

/// Writes the rewritten `Location`.
fn write(
    parts: &Parts<'_>,
    edits: &mut [Edit<'_>],
    scratch: &Scratch<'_>,
    matches: &Matches,
    out: &mut String,
) {
    fn separate(out: &mut String, first: &mut bool) {
        if !*first {
            out.push('&');
        }
        *first = false;
    }
    out.push_str(parts.base);
    if parts.query.is_some() || edits.iter().any(|e| e.outcome == Outcome::Added) {
        out.push('?');
    }
    let query = parts.query.unwrap_or("");
    let mut first = true;
    let consuming = edits.iter().any(|e| consumes(e.outcome));
    for edit in edits.iter_mut() {
        edit.seen = false;
    }
    if let (true, Some(matches)) = (consuming, matches.all()) {
        // Untouched pairs are copied as runs, from after one taken pair to before the next
        // (a run holds the `&` between its pairs). `from` is where the next run starts.
        let mut from = 0;
        for &(start, end, i) in matches {
            let (start, end, i) = (start as usize, end as usize, i as usize);
            let edit = &mut edits[i];
            if !consumes(edit.outcome) {
                continue;
            }
            if start > from {
                separate(out, &mut first);
                out.push_str(&query[from..start - 1]);
            }
            if edit.outcome != Outcome::Removed && !edit.seen {
                edit.seen = true;
                separate(out, &mut first);
                out.push_str(&query[start..start + edit.first_name_len]);
                out.push('=');
                new_value(edit, scratch).put(out, edit.plain_value);
            }
            from = end + 1;
        }
        if from <= query.len() {
            separate(out, &mut first);
            out.push_str(&query[from..]);
        }
    } else if consuming {
        for raw in RawPairs::new(query) {
            let name = raw.decoded_name();
            let (pair, raw) = (raw.pair, raw.name);
            let edit = edits
                .iter_mut()
                .filter(|e| consumes(e.outcome))
                .find(|e| name.as_deref() == Some(e.name));
            match edit {
                None => {
                    separate(out, &mut first);
                    out.push_str(pair);
                }
                Some(edit) if edit.outcome == Outcome::Removed || edit.seen => {}
                Some(edit) => {
                    edit.seen = true;
                    separate(out, &mut first);
                    out.push_str(raw);
                    out.push('=');
                    new_value(edit, scratch).put(out, edit.plain_value);
                }
            }
        }
    } else if !query.is_empty() {
        // Nothing taken out: the query stays as it is, in one copy.
        out.push_str(query);
        first = false;
    }
    for edit in edits.iter().filter(|e| e.outcome == Outcome::Added) {
        separate(out, &mut first);
        Written::Text(edit.name).put(out, edit.plain_name);
        out.push('=');
        new_value(edit, scratch).put(out, edit.plain_value);
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        out.push_str(fragment);
    }
}
