//! `upstream-params import-auth0 FILE [--format json]`: Auth0 Management API connection
//! objects converted to this crate's JSON, with an audit of what was left out.
//!
//! Text (the default): the configuration on stdout; on stderr one line per connection
//! skipped (`skipped: [2] "GitHub": no options.upstream_params`), or per problem
//! (`error: FILE: [3].options.upstream_params.redirect_uri: MESSAGE`), and a `hint:` line
//! for a file of this crate's own format.
//!
//! `--format json`: one JSON document on stdout, nothing on stderr (see [`Report`]).
//!
//! Exit status: 0 imported, 1 the input is not valid Auth0 connections (or not JSON, or not
//! UTF-8), 2 the file cannot be read or the output cannot be written.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use tower_upstream_params::Config;

/// The arguments of `import-auth0`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Auth0 connections as `GET /api/v2/connections` returns them (an array, or with
    /// `include_totals=true` the list `{"total": .., "connections": [..]}`), or one
    /// connection (`GET /api/v2/connections/{id}`). `-` is standard input; pipes and
    /// `/dev/stdin` work (the file is read once).
    file: PathBuf,
    /// `text`: the configuration on stdout, what was skipped and every error on stderr.
    /// `json`: one JSON document on stdout, `{"file", "ok", "config", "fingerprint",
    /// "skipped": [{"connection", "path", "pointer", "reason"}], "errors": [{"path",
    /// "pointer", "message"}], "hint"}`, pointers per RFC 6901 into the input.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How the result is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people: the configuration on stdout, the audit on stderr.
    Text,
    /// For CI: one JSON document on stdout.
    Json,
}

/// The `--format json` document.
///
/// - `file`: the input as named on the command line (`-` for standard input);
/// - `ok`: whether the import succeeded (exit status 0);
/// - `config`: this crate's configuration (what text mode prints), `null` on failure;
/// - `fingerprint`: its [`Config::fingerprint`], `null` on failure;
/// - `skipped`: each connection left out: its `connection` name, its `path` and JSON
///   `pointer` in the input, and the `reason` (which names options, never a value);
/// - `errors`: each problem: `path` (dotted, as in text mode), `pointer` (RFC 6901, into
///   the input; `""` for the whole document) and `message`;
/// - `hint`: a sentence for a file of the other format, else `null`.
#[derive(Debug, Serialize)]
struct Report {
    file: String,
    ok: bool,
    /// (A `Config` serializes its params in their order, which a `Value` may not keep.)
    config: Option<Config>,
    fingerprint: Option<String>,
    skipped: Vec<Skipped>,
    errors: Vec<Problem>,
    hint: Option<String>,
}

#[derive(Debug, Serialize)]
struct Skipped {
    connection: String,
    path: String,
    pointer: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    pointer: String,
    message: String,
}

/// Why the import failed, and so its exit status.
enum Failure {
    /// The input is not what it should be: exit status 1.
    Invalid,
    /// The file cannot be read: exit status 2.
    Io,
}

/// Runs `import-auth0` and returns its exit status.
pub(crate) fn main(args: &ImportArgs) -> ExitCode {
    let name = if args.file.as_os_str() == "-" {
        "-".to_owned()
    } else {
        args.file.display().to_string()
    };
    let mut report = Report {
        file: name.clone(),
        ok: false,
        config: None,
        fingerprint: None,
        skipped: Vec::new(),
        errors: Vec::new(),
        hint: None,
    };
    let outcome = import(args, &name, &mut report);
    report.ok = outcome.is_ok();
    let (stdout, stderr) = match args.format {
        Format::Json => (json(&report), String::new()),
        Format::Text => text(&report, &name),
    };
    let written = std::io::stdout()
        .lock()
        .write_all(stdout.as_bytes())
        .and_then(|()| std::io::stdout().lock().flush());
    let _ = std::io::stderr().lock().write_all(stderr.as_bytes());
    if let Err(e) = written {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: cannot write the output: {e}"
        );
        return ExitCode::from(2);
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid) => ExitCode::from(1),
        Err(Failure::Io) => ExitCode::from(2),
    }
}

/// Reads, converts and fills `report`.
fn import(args: &ImportArgs, name: &str, report: &mut Report) -> Result<(), Failure> {
    let whole = |report: &mut Report, message: String| {
        report.errors.push(Problem {
            path: String::new(),
            pointer: String::new(),
            message,
        });
    };
    let bytes = match read(args) {
        Ok(bytes) => bytes,
        Err(e) => {
            whole(report, format!("cannot read {name}: {e}"));
            return Err(Failure::Io);
        }
    };
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            whole(report, format!("not UTF-8 text: {e}"));
            return Err(Failure::Invalid);
        }
    };
    let document: Option<Value> = serde_json::from_str(text).ok();
    match Config::import_auth0(text) {
        Ok(import) => {
            let config = import.config();
            report.config = Some(config.clone());
            report.fingerprint = Some(config.fingerprint());
            report.skipped = import
                .skipped()
                .iter()
                .map(|skipped| Skipped {
                    connection: skipped.connection().to_owned(),
                    path: skipped.path().to_owned(),
                    pointer: pointer(document.as_ref(), skipped.path()),
                    reason: skipped.reason().to_owned(),
                })
                .collect();
            Ok(())
        }
        Err(error) => {
            report.errors = error
                .problems()
                .map(|(path, message)| Problem {
                    path: path.to_owned(),
                    pointer: pointer(document.as_ref(), path),
                    message: message.to_owned(),
                })
                .collect();
            if document.as_ref().is_some_and(is_own_format) {
                report.hint = Some(format!(
                    "{name} holds this crate's own configuration, not Auth0 connections: \
                     did you mean 'upstream-params validate {name}'?"
                ));
            }
            Err(Failure::Invalid)
        }
    }
}

/// The input's bytes, read once: standard input for `-`, else the path (a pipe,
/// `/dev/stdin` and `<(...)` included).
fn read(args: &ImportArgs) -> std::io::Result<Vec<u8>> {
    if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(&args.file)
    }
}

/// Whether `document` is this crate's configuration: `connections` keyed by name.
fn is_own_format(document: &Value) -> bool {
    matches!(document.get("connections"), Some(Value::Object(_)))
}

/// The text output: the configuration for stdout, the audit for stderr.
fn text(report: &Report, name: &str) -> (String, String) {
    let mut stderr = String::new();
    for skipped in &report.skipped {
        let at = if skipped.path.is_empty() {
            String::new()
        } else {
            format!("{} ", printable(&skipped.path))
        };
        stderr.push_str(&format!(
            "skipped: {at}{:?}: {}\n",
            skipped.connection, skipped.reason
        ));
    }
    for problem in &report.errors {
        let line = if problem.path.is_empty() {
            // A file that cannot be read names itself; anything else gets the file first.
            if problem.message.starts_with("cannot read ") {
                problem.message.clone()
            } else {
                format!("{name}: {}", problem.message)
            }
        } else {
            format!("{name}: {}: {}", problem.path, problem.message)
        };
        stderr.push_str(&format!("error: {}\n", printable(&line)));
    }
    if let Some(hint) = &report.hint {
        stderr.push_str(&format!("hint: {}\n", printable(hint)));
    }
    let stdout = match &report.config {
        Some(config) => config.to_json() + "\n",
        None => String::new(),
    };
    (stdout, stderr)
}

/// The JSON output, one document and a line break.
fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report)
        .map(|json| json + "\n")
        .unwrap_or_default()
}

/// `text` with every control character escaped (`\n`, `\u{1b}`), so that a name from the
/// input cannot forge lines or drive a terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The RFC 6901 JSON Pointer, into `document`, of the dotted `path` (`[3].options.x`,
/// `connections[3].name`). A key holding a dot is found by reading `document`: at each
/// object, the longest of its keys that the path continues with. Where the document has no
/// such key (a missing `name`), the path's next segment is taken as it is.
fn pointer(document: Option<&Value>, path: &str) -> String {
    let mut out = String::new();
    let mut node = document;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some((index, after)) = array_index(rest) {
            out.push('/');
            out.push_str(index);
            node = node
                .and_then(Value::as_array)
                .and_then(|items| items.get(index.parse::<usize>().ok()?));
            rest = after.strip_prefix('.').unwrap_or(after);
            continue;
        }
        let ends = |key: &str| {
            rest.strip_prefix(key)
                .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
        };
        let known = node
            .and_then(Value::as_object)
            .and_then(|object| {
                object
                    .keys()
                    .filter(|key| !key.is_empty() && ends(key))
                    .max_by_key(|key| key.len())
            })
            .map(String::as_str);
        let key = known.unwrap_or_else(|| {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            &rest[..end]
        });
        out.push('/');
        out.push_str(&key.replace('~', "~0").replace('/', "~1"));
        node = node.and_then(|n| n.get(key));
        let after = &rest[key.len()..];
        rest = after.strip_prefix('.').unwrap_or(after);
        if key.is_empty() && after.len() == rest.len() {
            // Nothing consumed: stop rather than loop.
            break;
        }
    }
    out
}

/// `[digits]` at the start of `path`: the digits and what follows the `]`.
fn array_index(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_prefix('[')?;
    let close = inner.find(']')?;
    let index = &inner[..close];
    (!index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (index, &inner[close + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_follow_the_document_where_keys_hold_dots() {
        let doc: Value = serde_json::from_str(
            r#"{"connections": [{"options": {"upstream_params": {"a.b": {"value": "1"},
                "x/y~z": {}}}}]}"#,
        )
        .unwrap();
        let doc = Some(&doc);
        assert_eq!(pointer(doc, ""), "");
        assert_eq!(pointer(doc, "connections[0]"), "/connections/0");
        assert_eq!(
            pointer(doc, "connections[0].options.upstream_params.a.b.value"),
            "/connections/0/options/upstream_params/a.b/value"
        );
        assert_eq!(
            pointer(doc, "connections[0].options.upstream_params.x/y~z"),
            "/connections/0/options/upstream_params/x~1y~0z"
        );
        assert_eq!(pointer(doc, "connections[0].name"), "/connections/0/name");
        assert_eq!(pointer(None, "[3].options.a"), "/3/options/a");
        assert_eq!(pointer(None, "a..b"), "/a//b");
    }
}
