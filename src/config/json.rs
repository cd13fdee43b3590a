//! The JSON form of a configuration, as a tree that keeps key order and repeated keys.
//!
//! `serde_json::Value` keeps only the last of two equal keys; the contract makes a repeated
//! key an error, and needs `upstream_params` in document order, so configurations are read
//! into [`Node`] first and validated from there, with the JSON path of every problem.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their keys in order, repeated keys included.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The name of the JSON type, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    /// The value under `key` in an object (the first, if repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// RFC 7396 JSON merge patch: `patch` applied to `self`. Linear in the sizes of both.
    pub(crate) fn merge_patch(self, patch: &Node) -> Node {
        let Node::Object(patch_entries) = patch else {
            return patch.clone();
        };
        let entries = match self {
            Node::Object(entries) => entries,
            _ => Vec::new(),
        };
        // Entries by key; a deleted one leaves `None` behind, so positions stay put.
        let mut at: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        let mut slots: Vec<Option<(String, Node)>> = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            at.entry(key.clone()).or_insert(slots.len());
            slots.push(Some((key, value)));
        }
        for (key, value) in patch_entries {
            match (value, at.get(key).copied()) {
                (Node::Null, Some(i)) => {
                    slots[i] = None;
                    at.remove(key);
                }
                (Node::Null, None) => {}
                (value, Some(i)) => {
                    if let Some((_, old)) = &mut slots[i] {
                        let previous = std::mem::replace(old, Node::Null);
                        *old = previous.merge_patch(value);
                    }
                }
                (value, None) => {
                    at.insert(key.clone(), slots.len());
                    slots.push(Some((key.clone(), Node::Null.merge_patch(value))));
                }
            }
        }
        Node::Object(slots.into_iter().flatten().collect())
    }

    /// Reports every key given twice in an object, anywhere below `self`, as `(path, message)`.
    pub(crate) fn repeated_keys(&self, path: &str, problems: &mut Vec<(String, String)>) {
        let join = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match self {
            Node::Object(entries) => {
                let mut seen = HashSet::with_capacity(entries.len());
                for (key, value) in entries {
                    if !seen.insert(key.as_str()) {
                        problems.push((join(key), "key given twice".to_owned()));
                    }
                    value.repeated_keys(&join(key), problems);
                }
            }
            Node::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.repeated_keys(&format!("{path}[{i}]"), problems);
                }
            }
            _ => {}
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, Node::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Node>()? {
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// Parses JSON text into a [`Node`]; a syntax error is a [`ConfigError`](crate::ConfigError)
/// with the line and column.
pub(crate) fn parse(text: &str) -> Result<Node, crate::ConfigError> {
    serde_json::from_str(text)
        .map_err(|e| crate::ConfigError::new("", format!("invalid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_repeats() {
        let node = parse(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
        let Node::Object(entries) = node else {
            panic!("not an object")
        };
        let keys: Vec<_> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396, appendix A, that involve objects.
        let cases = [
            (r#"{"a":"b"}"#, r#"{"a":"c"}"#, r#"{"a":"c"}"#),
            (r#"{"a":"b"}"#, r#"{"b":"c"}"#, r#"{"a":"b","b":"c"}"#),
            (r#"{"a":"b"}"#, r#"{"a":null}"#, r#"{}"#),
            (r#"{"a":"b","b":"c"}"#, r#"{"a":null}"#, r#"{"b":"c"}"#),
            (r#"{"a":["b"]}"#, r#"{"a":"c"}"#, r#"{"a":"c"}"#),
            (r#"{"a":"c"}"#, r#"{"a":["b"]}"#, r#"{"a":["b"]}"#),
            (
                r#"{"a":{"b":"c"}}"#,
                r#"{"a":{"b":"d","c":null}}"#,
                r#"{"a":{"b":"d"}}"#,
            ),
            (r#"{"a":[{"b":"c"}]}"#, r#"{"a":[1]}"#, r#"{"a":[1]}"#),
            (r#"{"e":null}"#, r#"{"a":1}"#, r#"{"e":null,"a":1}"#),
            (r#"[1,2]"#, r#"{"a":"b","c":null}"#, r#"{"a":"b"}"#),
            (
                r#"{}"#,
                r#"{"a":{"bb":{"ccc":null}}}"#,
                r#"{"a":{"bb":{}}}"#,
            ),
            (r#"{"a":"foo"}"#, r#"null"#, r#"null"#),
        ];
        for (target, patch, expected) in cases {
            let got = parse(target).unwrap().merge_patch(&parse(patch).unwrap());
            assert_eq!(got, parse(expected).unwrap(), "{target} + {patch}");
        }
    }
}
