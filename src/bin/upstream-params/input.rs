//! A FILE argument, read exactly once: a regular file, a pipe, `/dev/stdin`, a process
//! substitution (`<(...)`), or `-` for standard input. Every problem with it names it.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tower_upstream_params::{Config, ConfigError};

use crate::Failure;
use crate::problem::{Problem, keys_of, pointer};

/// The most a FILE may hold, as [`Config::from_path`] allows.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// What `-` is called in messages.
pub(crate) const STDIN: &str = "<stdin>";

/// Whether standard input was read already: it can be read only once.
static STDIN_READ: AtomicBool = AtomicBool::new(false);

/// Refuses `-` given more than once among a command's FILEs, before any is read.
pub(crate) fn stdin_once<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), Failure> {
    let stdin = paths.into_iter().filter(|p| p.as_os_str() == "-").count();
    if stdin > 1 {
        return Err(stdin_twice());
    }
    Ok(())
}

fn stdin_twice() -> Failure {
    Failure::Usage("standard input ('-') is given twice: it can be read only once".to_owned())
}

/// A file's name and bytes.
#[derive(Debug)]
pub(crate) struct Input {
    /// The file as given (`<stdin>` for `-`), for messages (escaped when printed as text).
    pub(crate) name: String,
    bytes: Vec<u8>,
}

impl Input {
    /// Reads `path` once, whole (`-`: standard input). A file that cannot be read, or holds
    /// more than 16 MiB, is an I/O error naming it (exit status 2).
    pub(crate) fn read(path: &Path) -> Result<Input, Failure> {
        if path.as_os_str() == "-" {
            if STDIN_READ.swap(true, Ordering::SeqCst) {
                return Err(stdin_twice());
            }
            let bytes = read_at_most(std::io::stdin().lock(), STDIN)?;
            return Ok(Input {
                name: STDIN.to_owned(),
                bytes,
            });
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| unreadable(&name, &e.to_string()))?;
        let bytes = read_at_most(file, &name)?;
        Ok(Input { name, bytes })
    }

    /// Its text: UTF-8, a leading byte order mark skipped (as [`Config::from_path`] reads a
    /// file). Anything else is an invalid file (exit status 1).
    pub(crate) fn text(&self) -> Result<&str, Failure> {
        let bytes = self
            .bytes
            .strip_prefix("\u{feff}".as_bytes())
            .unwrap_or(&self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            Failure::Invalid(vec![Problem::whole(
                Some(&self.name),
                format!("not UTF-8 text: {e}"),
            )])
        })
    }

    /// Its JSON, where it is JSON (to locate problems in it).
    pub(crate) fn document(&self) -> Option<Value> {
        self.text().ok().and_then(|t| serde_json::from_str(t).ok())
    }

    /// This crate's configuration, from this file.
    pub(crate) fn load(&self) -> Result<Config, Failure> {
        Config::from_json(self.text()?).map_err(|error| self.invalid(&error))
    }

    /// Auth0 Management API connection objects, from this file.
    pub(crate) fn load_auth0(&self) -> Result<Config, Failure> {
        Config::from_auth0_connections(self.text()?).map_err(|error| self.invalid(&error))
    }

    /// Every problem of `error`, naming this file and located in it.
    pub(crate) fn invalid(&self, error: &ConfigError) -> Failure {
        Failure::Invalid(self.problems(error))
    }

    /// Every problem of `error`, naming this file, each located by its dotted path and by a
    /// JSON Pointer read against the file's own JSON.
    pub(crate) fn problems(&self, error: &ConfigError) -> Vec<Problem> {
        let document = self.document();
        let mut problems: Vec<Problem> = error
            .problems()
            .map(|(path, message)| Problem {
                file: Some(self.name.clone()),
                path: path.to_owned(),
                pointer: pointer(keys_of(document.as_ref(), path)),
                message: message.to_owned(),
            })
            .collect();
        if problems.is_empty() {
            problems.push(Problem::whole(Some(&self.name), error.to_string()));
        }
        problems
    }
}

/// Reads `reader` to its end, refusing more than [`MAX_BYTES`].
fn read_at_most(reader: impl Read, name: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(name, &e.to_string()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(unreadable(name, "larger than 16 MiB"));
    }
    Ok(bytes)
}

/// `cannot read FILE: WHY`, exit status 2.
fn unreadable(name: &str, why: &str) -> Failure {
    Failure::Unreadable {
        file: name.to_owned(),
        message: format!("cannot read {name}: {why}"),
    }
}
