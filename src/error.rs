//! The error returned when a configuration cannot be loaded.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A configuration that cannot be loaded.
///
/// Every problem found is kept, each with the place in the JSON it concerns, written as a
/// dotted path from the root (`connections.wordpress.upstream_params.blog`; array items as
/// `query_aliases[0]`). A problem with the document as a whole (a JSON syntax error, a file
/// that cannot be read) has an empty path; a syntax error names the line and column.
///
/// An error from [`Config::from_path`](crate::Config::from_path) (or a
/// [`FileWatch`](crate::FileWatch)) also names the file, [`ConfigError::file`].
///
/// [`Display`](fmt::Display) prints the problems on one line, as `path: message`, separated
/// by `; ` (each prefixed with `FILE: ` when there is a file); [`Debug`](fmt::Debug) prints
/// the same, one problem a line, so that `fn main() -> Result<(), Box<dyn Error>>` shows
/// an operator every problem and where it is:
///
/// ```text
/// Error: /etc/broker/upstream-params.json: connections.wordpress.upstream_params.state: "state" is reserved: it can be neither added, replaced nor removed
/// /etc/broker/upstream-params.json: connections.wordpress.upstream_params.blog.alais: unknown key; expected one of "value", "alias", ...
/// ```
///
/// No message holds a configured value (a param's `value` or `default`, a `pattern`, a
/// `client_id`): they name keys, connections and params only, so an error may be logged.
///
/// ```
/// use tower_upstream_params::Config;
///
/// let err = Config::from_json(r#"{"connections": {"wordpress": {
///     "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
///     "upstream_params": {"blog": {"alais": "login_hint"}}}}}"#).unwrap_err();
/// assert!(err.to_string().starts_with("connections.wordpress.upstream_params.blog"));
/// // Debug: one problem a line (here the unknown key, and the param that has no kind).
/// assert_eq!(format!("{err:?}").lines().count(), err.problems().count());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<Problem>,
    /// The file the problems are in, for an error from a file.
    file: Option<Arc<Path>>,
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
            file: None,
        }
    }

    pub(crate) fn from_problems(problems: Vec<(String, String)>) -> Self {
        Self {
            problems: problems
                .into_iter()
                .map(|(path, message)| Problem { path, message })
                .collect(),
            file: None,
        }
    }

    /// The same problems, in the file `path`.
    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        self.file = Some(Arc::from(path));
        self
    }

    /// The JSON path of the first problem (empty for a problem with the whole document).
    pub fn path(&self) -> &str {
        self.problems.first().map_or("", |p| p.path.as_str())
    }

    /// What is wrong at [`path`](Self::path), without the path (nor the file).
    pub fn message(&self) -> &str {
        self.problems.first().map_or("", |p| p.message.as_str())
    }

    /// Every problem found, as `(path, message)` pairs in document order (without the file,
    /// which is [`file`](Self::file)).
    pub fn problems(&self) -> impl Iterator<Item = (&str, &str)> {
        self.problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
    }

    /// The file the problems are in: the path given to
    /// [`Config::from_path`](crate::Config::from_path) or
    /// [`ConfigHandle::watch_file`](crate::ConfigHandle::watch_file); `None` for an error
    /// from text ([`Config::from_json`](crate::Config::from_json) and the like).
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Writes the problems, each as `[FILE: ][PATH: ]MESSAGE`, separated by `separator`.
    fn write(&self, f: &mut fmt::Formatter<'_>, separator: &str) -> fmt::Result {
        let file = self.file.as_deref().map(Path::display);
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str(separator)?;
            }
            if let Some(file) = &file {
                write!(f, "{file}: ")?;
            }
            if !p.path.is_empty() {
                write!(f, "{}: ", p.path)?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

impl fmt::Display for ConfigError {
    /// Every problem, on one line: `[FILE: ][PATH: ]MESSAGE`, separated by `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "; ")
    }
}

impl fmt::Debug for ConfigError {
    /// Like [`Display`](fmt::Display), one problem a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "\n")
    }
}

impl std::error::Error for ConfigError {}
