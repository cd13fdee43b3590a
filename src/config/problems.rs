//! Collecting problems with their JSON paths, and reading the JSON form's basic values
//! (objects without repeated or unknown keys, strings, numbers, enumerations).

use std::collections::HashSet;

use super::json::Node;

pub(crate) struct Problems(pub(crate) Vec<(String, String)>);

impl Problems {
    pub(crate) fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push((path.to_owned(), message.into()));
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The entries of an object, each key once (the first), with repeated and unknown keys
/// reported. `None` (reported) if `node` is not an object. Linear in the number of keys.
pub(crate) fn object<'n>(
    node: &'n Node,
    path: &str,
    known: &[&str],
    problems: &mut Problems,
) -> Option<Vec<&'n (String, Node)>> {
    let Node::Object(entries) = node else {
        problems.add(path, format!("expected an object, found {}", node.kind()));
        return None;
    };
    let mut seen = HashSet::with_capacity(entries.len());
    let mut unique = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = entry.0.as_str();
        if !seen.insert(key) {
            problems.add(&join(path, key), "key given twice");
        } else {
            if !known.is_empty() && !known.contains(&key) {
                problems.add(
                    &join(path, key),
                    format!("unknown key; expected one of {}", quoted_list(known)),
                );
            }
            unique.push(entry);
        }
    }
    Some(unique)
}

pub(crate) fn string<'n>(node: &'n Node, path: &str, problems: &mut Problems) -> Option<&'n str> {
    match node {
        Node::String(s) if s.is_empty() => {
            problems.add(path, "must not be empty");
            None
        }
        Node::String(s) => Some(s),
        other => {
            problems.add(path, format!("expected a string, found {}", other.kind()));
            None
        }
    }
}

pub(crate) fn boolean(node: &Node, path: &str, problems: &mut Problems) -> Option<bool> {
    match node {
        Node::Bool(b) => Some(*b),
        other => {
            problems.add(path, format!("expected a boolean, found {}", other.kind()));
            None
        }
    }
}

pub(crate) fn positive(node: &Node, path: &str, problems: &mut Problems) -> Option<usize> {
    let n = match node {
        Node::Number(n) => n.as_u64(),
        _ => None,
    };
    match n.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n > 0 && n <= u32::MAX as usize => Some(n),
        _ => {
            problems.add(
                path,
                format!(
                    "expected a whole number from 1 to {}, found {}",
                    u32::MAX,
                    node.kind()
                ),
            );
            None
        }
    }
}

pub(crate) fn enum_value<T: Copy>(
    node: &Node,
    path: &str,
    options: &[(&str, T)],
    problems: &mut Problems,
) -> Option<T> {
    let found = match node {
        Node::String(s) => options.iter().find(|(name, _)| name == s).map(|(_, v)| *v),
        _ => None,
    };
    if found.is_none() {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        problems.add(path, format!("expected one of {}", quoted_list(&names)));
    }
    found
}
