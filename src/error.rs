//! The error returned when a configuration cannot be loaded.

use std::fmt;

/// A configuration that cannot be loaded.
///
/// Every problem found is kept, each with the place in the JSON it concerns, written as a
/// dotted path from the root (`connections.wordpress.upstream_params.blog`; array items as
/// `query_aliases[0]`). [`Display`](fmt::Display) prints them as `path: message`, separated by
/// `; ` when there are several. A syntax error in the JSON text itself has an empty path and
/// names the line and column instead; so does a file that
/// [`Config::from_path`](crate::Config::from_path) cannot read or parse, whose message names
/// the file.
///
/// ```
/// use tower_upstream_params::Config;
///
/// let err = Config::from_json(r#"{"connections": {"wordpress": {
///     "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
///     "upstream_params": {"blog": {"alais": "login_hint"}}}}}"#).unwrap_err();
/// assert!(err.to_string().starts_with("connections.wordpress.upstream_params.blog"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Problem {
    path: String,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                path: path.into(),
                message: message.into(),
            }],
        }
    }

    pub(crate) fn from_problems(problems: Vec<(String, String)>) -> Self {
        Self {
            problems: problems
                .into_iter()
                .map(|(path, message)| Problem { path, message })
                .collect(),
        }
    }

    /// The JSON path of the first problem (empty for a JSON syntax error).
    pub fn path(&self) -> &str {
        self.problems.first().map_or("", |p| p.path.as_str())
    }

    /// What is wrong at [`path`](Self::path), without the path.
    pub fn message(&self) -> &str {
        self.problems.first().map_or("", |p| p.message.as_str())
    }

    /// Every problem found, as `(path, message)` pairs in document order.
    pub fn problems(&self) -> impl Iterator<Item = (&str, &str)> {
        self.problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if p.path.is_empty() {
                f.write_str(&p.message)?;
            } else {
                write!(f, "{}: {}", p.path, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
