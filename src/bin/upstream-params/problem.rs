//! A problem with a file (an error or a warning), located twice: by the library's dotted path
//! (`connections.google.upstream_params.hd`) and by a JSON Pointer (RFC 6901,
//! `/connections/google/upstream_params/hd`), which stays unambiguous where names hold dots,
//! spaces or brackets.

use serde::Serialize;
use serde_json::Value;

/// One problem, as printed (`FILE: PATH: MESSAGE`) and as written in JSON.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Problem {
    /// The file it is about (`<stdin>` for `-`), or `null` for a problem with the command
    /// line itself.
    pub(crate) file: Option<String>,
    /// The library's dotted path; empty for a problem with the whole document.
    pub(crate) path: String,
    /// The same place as a JSON Pointer; empty for the whole document.
    pub(crate) pointer: String,
    /// What is wrong there.
    pub(crate) message: String,
}

impl Problem {
    /// A problem with the whole of `file` (or, without a file, with the command line).
    pub(crate) fn whole(file: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.map(str::to_owned),
            path: String::new(),
            pointer: String::new(),
            message: message.into(),
        }
    }

    /// A problem at a place given by its keys, from the root (a connection name is one key,
    /// dots and all).
    pub(crate) fn at(file: &str, keys: &[&str], message: impl Into<String>) -> Problem {
        Problem {
            file: Some(file.to_owned()),
            path: keys.join("."),
            pointer: pointer(keys),
            message: message.into(),
        }
    }

    /// `FILE: PATH: MESSAGE`, without what is empty.
    pub(crate) fn text(&self) -> String {
        let mut line = String::new();
        for part in [self.file.as_deref().unwrap_or(""), &self.path] {
            if !part.is_empty() {
                line.push_str(part);
                line.push_str(": ");
            }
        }
        line.push_str(&self.message);
        line
    }
}

/// The JSON Pointer of a list of keys: each `/`-prefixed, `~` written `~0` and `/` `~1`.
pub(crate) fn pointer<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> String {
    let mut pointer = String::new();
    for key in keys {
        pointer.push('/');
        pointer.push_str(&key.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    pointer
}

/// The keys a dotted path (`connections.acme.com google.upstream_params.hd`,
/// `query_aliases[0]`, `[2].options`) names in `document`.
///
/// A dotted path is ambiguous where a key holds a dot or a bracket, so it is read against the
/// document: at each object, a key of the object that the path continues with (followed by
/// `.`, `[` or the end) is taken, the longest first, backtracking when the rest does not
/// follow; a complete reading wins, else the one that goes furthest. What is left past the
/// document (a missing key: `connections.x.authorization_url` where `x` has none) is split at
/// its dots.
pub(crate) fn keys_of(document: Option<&Value>, path: &str) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    let mut best = Reading::default();
    if let Some(document) = document {
        let mut walk = Walk {
            path_len: path.len(),
            keys: Vec::new(),
            best: &mut best,
        };
        walk.read(document, path);
    }
    let rest = path.get(best.consumed..).unwrap_or("");
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let mut keys = best.keys;
    keys.extend(split(rest));
    keys
}

/// The furthest reading found so far: the keys, and how many bytes of the path they took.
#[derive(Default)]
struct Reading {
    keys: Vec<String>,
    consumed: usize,
}

/// A search for the reading of one path.
struct Walk<'b> {
    path_len: usize,
    keys: Vec<String>,
    best: &'b mut Reading,
}

impl Walk<'_> {
    /// Reads `rest` (the end of the path, after `self.keys`) from `node`; `true` once the whole
    /// path is read.
    fn read(&mut self, node: &Value, rest: &str) -> bool {
        let consumed = self.path_len - rest.len();
        if consumed > self.best.consumed || self.best.keys.is_empty() {
            self.best.keys.clone_from(&self.keys);
            self.best.consumed = consumed;
        }
        if rest.is_empty() {
            return true;
        }
        match node {
            Value::Object(members) => {
                let rest = if self.keys.is_empty() {
                    rest
                } else {
                    match rest.strip_prefix('.') {
                        Some(rest) => rest,
                        None => return false,
                    }
                };
                let mut fitting: Vec<(&String, &Value)> = members
                    .iter()
                    .filter(|(key, _)| {
                        rest.strip_prefix(key.as_str())
                            .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
                    })
                    .collect();
                fitting.sort_by_key(|(key, _)| std::cmp::Reverse(key.len()));
                for (key, child) in fitting {
                    self.keys.push(key.clone());
                    if self.read(child, rest.get(key.len()..).unwrap_or("")) {
                        return true;
                    }
                    self.keys.pop();
                }
                false
            }
            Value::Array(items) => {
                let Some((index, after)) = rest.strip_prefix('[').and_then(|r| r.split_once(']'))
                else {
                    return false;
                };
                let Some(child) = index.parse::<usize>().ok().and_then(|i| items.get(i)) else {
                    return false;
                };
                self.keys.push(index.to_owned());
                if self.read(child, after) {
                    return true;
                }
                self.keys.pop();
                false
            }
            _ => false,
        }
    }
}

/// A dotted path's keys, read naively: split at dots, `[i]` as its own key.
fn split(path: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for mut part in path.split('.').filter(|p| !p.is_empty()) {
        if let Some(at) = part.find('[') {
            if at > 0 {
                keys.push(part[..at].to_owned());
            }
            part = &part[at..];
            while let Some((index, after)) = part.strip_prefix('[').and_then(|r| r.split_once(']'))
            {
                keys.push(index.to_owned());
                part = after;
            }
            if !part.is_empty() {
                keys.push(part.to_owned());
            }
        } else {
            keys.push(part.to_owned());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(document: &str, path: &str) -> String {
        let document: Value = serde_json::from_str(document).unwrap();
        pointer(keys_of(Some(&document), path))
    }

    #[test]
    fn dotted_paths_are_read_against_the_document() {
        let doc = r#"{"connections": {
            "acme.com google": {"upstream_params": {"hd": {"alais": "x"}}},
            "acme": {"com google": 1},
            "a/b~c": {}},
            "query_aliases": ["state"]}"#;
        assert_eq!(
            read(doc, "connections.acme.com google.upstream_params.hd.alais"),
            "/connections/acme.com google/upstream_params/hd/alais"
        );
        assert_eq!(read(doc, "connections.acme"), "/connections/acme");
        assert_eq!(
            read(doc, "connections.acme.com google"),
            "/connections/acme.com google"
        );
        assert_eq!(read(doc, "query_aliases[0]"), "/query_aliases/0");
        assert_eq!(read(doc, "connections.a/b~c"), "/connections/a~1b~0c");
        // Past the document: a key that is missing.
        assert_eq!(
            read(doc, "connections.a/b~c.authorization_url"),
            "/connections/a~1b~0c/authorization_url"
        );
        assert_eq!(read(doc, "limits.max_value_len"), "/limits/max_value_len");
        assert_eq!(read("[{\"options\": {}}]", "[0].options.x"), "/0/options/x");
        assert_eq!(read(doc, ""), "");
        assert_eq!(pointer(split("x[1][2].y")), "/x/1/2/y");
        assert_eq!(keys_of(None, "a.b"), ["a", "b"]);
    }
}
