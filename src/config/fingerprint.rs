//! [`Config::fingerprint`](super::Config::fingerprint): a stable hash of a configuration's
//! meaning, for replicas to compare.
//!
//! The configuration's JSON form is first brought to a **normal form** in which two
//! configurations that behave alike are the same tree:
//!
//! - every default is written out: `limits.max_value_len` (2048) and
//!   `limits.max_location_len` (8192); the top-level `dry_run` (`false`); a connection's
//!   `protocol` (`"oauth2"`), `dry_run`
//!   (`false`) and `upstream_params` (`{}`); a param's `mode` (`"replace"`, but not beside
//!   `remove`, where it does not apply); an alias's `source` (`"any"`) and `max_len` (the
//!   effective `limits.max_value_len`); `connections` (`{}`) and `query_aliases` (`[]`).
//!   What has no default (`client_id`, `default`, `pattern`, `transform`) stays absent when
//!   absent (so adding `transform` to the crate left every other fingerprint as it was);
//! - every object's keys are sorted (by their UTF-8 bytes), connections by name among them,
//!   but for `upstream_params`, whose order is the order params are applied in;
//! - `query_aliases` is sorted and each name kept once (listing a name twice means what
//!   listing it once does);
//! - numbers are written as integers.
//!
//! Strings are kept as written (an `authorization_url` is not normalized), and a key this
//! module does not know is kept as it is, so that anything else that differs makes the
//! fingerprint differ.
//!
//! The normal form is written as compact JSON and hashed with 128-bit FNV-1a. Both are
//! defined byte for byte, so the fingerprint is the same on every platform, Rust version and
//! run (unlike `std`'s `DefaultHasher`). FNV is not a cryptographic hash: it tells honest
//! versions apart, it does not authenticate a configuration.

use std::io;

use super::json::Node;
use super::limits::{DEFAULT_MAX_LOCATION_LEN, DEFAULT_MAX_VALUE_LEN};

/// The fingerprint of a configuration's JSON form (which must be valid): 32 lowercase hex
/// digits.
pub(crate) fn fingerprint(root: &Node) -> String {
    let mut hash = Fnv1a128::new();
    // Writing into the hash cannot fail, nor can a `Node` fail to serialize (its keys are
    // strings); an error would only leave the hash of what was written.
    let _ = serde_json::to_writer(&mut hash, &normal_form(root));
    format!("{:032x}", hash.finish())
}

/// The normal form of a valid configuration's JSON form (see the module docs).
pub(crate) fn normal_form(root: &Node) -> Node {
    let max_value_len = number(root.get("limits").and_then(|l| l.get("max_value_len")))
        .unwrap_or(DEFAULT_MAX_VALUE_LEN as u64);
    let max_location_len = number(root.get("limits").and_then(|l| l.get("max_location_len")))
        .unwrap_or(DEFAULT_MAX_LOCATION_LEN as u64);

    let mut query_aliases: Vec<&str> = match root.get("query_aliases") {
        Some(Node::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Node::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    query_aliases.sort_unstable();
    query_aliases.dedup();

    let connections = match root.get("connections") {
        Some(Node::Object(entries)) => entries
            .iter()
            .map(|(name, connection)| (name.clone(), normal_connection(connection, max_value_len)))
            .collect(),
        _ => Vec::new(),
    };

    let mut limits = vec![
        (
            "max_value_len".to_owned(),
            Node::Number(max_value_len.into()),
        ),
        (
            "max_location_len".to_owned(),
            Node::Number(max_location_len.into()),
        ),
    ];
    if let Some(Node::Object(entries)) = root.get("limits") {
        others(entries, &["max_value_len", "max_location_len"], &mut limits);
    }
    let mut out = vec![
        ("connections".to_owned(), sorted(connections)),
        (
            "query_aliases".to_owned(),
            Node::Array(
                query_aliases
                    .into_iter()
                    .map(|s| Node::String(s.to_owned()))
                    .collect(),
            ),
        ),
        ("limits".to_owned(), sorted(limits)),
        (
            "dry_run".to_owned(),
            root.get("dry_run").cloned().unwrap_or(Node::Bool(false)),
        ),
    ];
    if let Node::Object(entries) = root {
        others(
            entries,
            &["connections", "query_aliases", "limits", "dry_run"],
            &mut out,
        );
    }
    sorted(out)
}

fn normal_connection(connection: &Node, max_value_len: u64) -> Node {
    let Node::Object(entries) = connection else {
        return connection.clone();
    };
    let mut out = Vec::with_capacity(entries.len() + 3);
    let mut default = |key: &str, value: Node| {
        let value = connection.get(key).cloned().unwrap_or(value);
        out.push((key.to_owned(), value));
    };
    default("protocol", Node::String("oauth2".to_owned()));
    default("dry_run", Node::Bool(false));
    let params = match connection.get("upstream_params") {
        Some(Node::Object(params)) => Node::Object(
            params
                .iter()
                .map(|(name, param)| (name.clone(), normal_param(param, max_value_len)))
                .collect(),
        ),
        Some(other) => other.clone(),
        None => Node::Object(Vec::new()),
    };
    out.push(("upstream_params".to_owned(), params));
    others(
        entries,
        &["protocol", "dry_run", "upstream_params"],
        &mut out,
    );
    sorted(out)
}

fn normal_param(param: &Node, max_value_len: u64) -> Node {
    let Node::Object(entries) = param else {
        return param.clone();
    };
    let mut out = Vec::with_capacity(entries.len() + 3);
    let mut handled: Vec<&str> = Vec::new();
    if param.get("remove").is_none() {
        out.push((
            "mode".to_owned(),
            param
                .get("mode")
                .cloned()
                .unwrap_or_else(|| Node::String("replace".to_owned())),
        ));
        handled.push("mode");
    }
    if param.get("alias").is_some() {
        out.push((
            "source".to_owned(),
            param
                .get("source")
                .cloned()
                .unwrap_or_else(|| Node::String("any".to_owned())),
        ));
        let max_len = number(param.get("max_len")).unwrap_or(max_value_len);
        out.push(("max_len".to_owned(), Node::Number(max_len.into())));
        handled.extend(["source", "max_len"]);
    }
    others(entries, &handled, &mut out);
    sorted(out)
}

/// A whole number as the loader reads it.
fn number(node: Option<&Node>) -> Option<u64> {
    match node {
        Some(Node::Number(n)) => n.as_u64(),
        _ => None,
    }
}

/// Adds the entries of `entries` whose key is not in `handled`, numbers written as integers
/// where they are whole.
fn others(entries: &[(String, Node)], handled: &[&str], out: &mut Vec<(String, Node)>) {
    for (key, value) in entries {
        if !handled.contains(&key.as_str()) {
            let value = match value {
                Node::Number(n) => n
                    .as_u64()
                    .map_or_else(|| value.clone(), |n| Node::Number(n.into())),
                _ => value.clone(),
            };
            out.push((key.clone(), value));
        }
    }
}

/// An object with its keys sorted by their bytes.
fn sorted(mut entries: Vec<(String, Node)>) -> Node {
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    Node::Object(entries)
}

/// 128-bit FNV-1a (Fowler, Noll, Vo), as specified at <http://www.isthe.com/chongo/tech/comp/fnv/>.
struct Fnv1a128(u128);

impl Fnv1a128 {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    fn new() -> Self {
        Fnv1a128(Self::OFFSET_BASIS)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u128 {
        self.0
    }
}

impl io::Write for Fnv1a128 {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::parse;
    use super::*;

    fn hash(bytes: &[u8]) -> String {
        let mut h = Fnv1a128::new();
        h.update(bytes);
        format!("{:032x}", h.finish())
    }

    fn print(json: &str) -> String {
        fingerprint(&parse(json).unwrap())
    }

    #[test]
    fn fnv1a_128_matches_its_reference_vectors() {
        assert_eq!(hash(b""), "6c62272e07bb014262b821756295c58d");
        assert_eq!(hash(b"a"), "d228cb696f1a8caf78912b704e4a8964");
        assert_eq!(hash(b"foobar"), "343e1662793c64bf6f0d3597ba446f18");
    }

    #[test]
    fn the_normal_form_writes_every_default() {
        let node = parse(
            r#"{"connections": {
                "b": {"authorization_url": "https://b.example/authorize",
                      "upstream_params": {
                        "z": {"alias": "login_hint"},
                        "a": {"remove": true},
                        "m": {"value": "v"}}},
                "a": {"authorization_url": "https://a.example/authorize", "client_id": "c"}},
                "query_aliases": ["y", "x", "y"],
                "limits": {"max_value_len": 100}}"#,
        )
        .unwrap();
        let text = serde_json::to_string(&normal_form(&node)).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"connections":{"#,
                r#""a":{"authorization_url":"https://a.example/authorize","client_id":"c","#,
                r#""dry_run":false,"protocol":"oauth2","upstream_params":{}},"#,
                r#""b":{"authorization_url":"https://b.example/authorize","#,
                r#""dry_run":false,"protocol":"oauth2","upstream_params":{"#,
                r#""z":{"alias":"login_hint","max_len":100,"mode":"replace","source":"any"},"#,
                r#""a":{"remove":true},"#,
                r#""m":{"mode":"replace","value":"v"}}}},"#,
                r#""dry_run":false,"#,
                r#""limits":{"max_location_len":8192,"max_value_len":100},"#,
                r#""query_aliases":["x","y"]}"#
            )
        );
        // Pinned: the fingerprint of a configuration never changes between platforms, runs
        // or Rust versions.
        assert_eq!(fingerprint(&node), hash(text.as_bytes()));
        assert_eq!(
            print("{}"),
            print(r#"{"connections": {}, "query_aliases": []}"#)
        );
        assert_eq!(
            print("{}"),
            hash(
                br#"{"connections":{},"dry_run":false,"limits":{"max_location_len":8192,"max_value_len":2048},"query_aliases":[]}"#
            )
        );
        assert_eq!(print("{}"), "584ed77be0f20346cfd85e538b0c2ee1");
    }

    #[test]
    fn dry_run_is_part_of_the_fingerprint_and_false_by_default() {
        let with = |dry_run: &str| {
            print(&format!(
                r#"{{"connections": {{"a": {{"authorization_url": "https://a.example/x"{dry_run}}}}}}}"#
            ))
        };
        assert_eq!(with(""), with(r#", "dry_run": false"#));
        assert_ne!(with(""), with(r#", "dry_run": true"#));
    }

    #[test]
    fn the_top_level_dry_run_is_part_of_the_fingerprint_and_false_by_default() {
        assert_eq!(print("{}"), print(r#"{"dry_run": false}"#));
        assert_ne!(print("{}"), print(r#"{"dry_run": true}"#));
        // Not the same as every connection's own dry_run: another configuration text, though
        // it behaves alike.
        let one = r#""a": {"authorization_url": "https://a.example/x""#;
        assert_ne!(
            print(&format!(
                r#"{{"dry_run": true, "connections": {{{one}}}}}}}"#
            )),
            print(&format!(
                r#"{{"connections": {{{one}, "dry_run": true}}}}}}"#
            ))
        );
    }

    #[test]
    fn unknown_keys_are_kept() {
        assert_ne!(
            print(r#"{"connections": {"a": {"authorization_url": "https://a.example/x"}}}"#),
            print(
                r#"{"connections": {"a": {"authorization_url": "https://a.example/x", "new": 1}}}"#
            )
        );
    }
}
