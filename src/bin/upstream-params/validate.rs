//! `validate FILE...`: load each file, print a summary or every error, and the warnings.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use serde_json::Value;
use tower_upstream_params::{Config, ConnectionInfo};

use crate::input::{self, Input};
use crate::output::Out;
use crate::problem::Problem;
use crate::{Failure, Format, summary, warnings};

/// `validate --format json`'s shape, for `--help`.
pub(crate) const JSON_HELP: &str = "\
JSON output (--format json): one document on stdout, whatever the files hold:
  {\"ok\": bool,                 true when the exit status is 0
   \"strict\": bool,
   \"files\": [{\"file\": string,  as given; \"<stdin>\" for -
              \"status\": \"ok\" | \"invalid\" | \"unreadable\",
              \"fingerprint\": string | null,
              \"connections\": [{\"name\", \"authorization_url\", \"client_id\": string | null,
                               \"protocol\", \"dry_run\": bool,
                               \"params\": [{\"name\", \"kind\": \"value\" | \"alias\" | \"remove\",
                                           \"mode\": string | null, \"alias\": string | null,
                                           \"source\": string | null}]}],
              \"errors\": [PROBLEM], \"warnings\": [PROBLEM],
              \"hint\": string | null}]}
  PROBLEM: {\"file\": string | null, \"path\": string (dotted, as in text),
            \"pointer\": string (RFC 6901 JSON Pointer; \"\" for the whole document),
            \"message\": string}
Static values are never in it.";

/// `validate`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The configuration files (this crate's JSON, or Auth0 connections with --auth0); `-`
    /// is standard input. Each is read once, so pipes and `<(...)` work.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Read Auth0 Management API connection objects (`GET /api/v2/connections`, an
    /// array, or one object) instead of this crate's JSON.
    #[arg(long)]
    auth0: bool,
    /// Warnings count as errors: exit status 1 when any file has one.
    #[arg(long)]
    strict: bool,
    /// Text for people (the default), or one JSON document for CI (see below).
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document {
    ok: bool,
    strict: bool,
    files: Vec<FileReport>,
}

/// What one file holds.
#[derive(Debug, Serialize)]
struct FileReport {
    file: String,
    status: Status,
    fingerprint: Option<String>,
    connections: Vec<ConnectionSummary>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    hint: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Invalid,
    Unreadable,
}

/// One connection, as `validate --format json` lists it: no static value.
#[derive(Debug, Serialize)]
struct ConnectionSummary {
    name: String,
    authorization_url: String,
    client_id: Option<String>,
    protocol: String,
    dry_run: bool,
    params: Vec<ParamSummary>,
}

#[derive(Debug, Serialize)]
struct ParamSummary {
    name: String,
    kind: &'static str,
    mode: Option<String>,
    alias: Option<String>,
    source: Option<String>,
}

impl ConnectionSummary {
    fn new(info: &ConnectionInfo) -> Self {
        ConnectionSummary {
            name: info.name().to_owned(),
            authorization_url: info.authorization_url().to_owned(),
            client_id: info.client_id().map(str::to_owned),
            protocol: crate::protocol_name(info.protocol()),
            dry_run: info.dry_run(),
            params: info
                .params()
                .iter()
                .map(|p| ParamSummary {
                    name: p.name().to_owned(),
                    kind: p.kind().as_str(),
                    mode: p.mode().map(crate::mode_name),
                    alias: p.alias().map(str::to_owned),
                    source: p.source().map(crate::source_name),
                })
                .collect(),
        }
    }
}

/// Validates every file; the exit status is the worst of theirs (2 for a file that cannot be
/// read, else 1 for one that is invalid, or has a warning under `--strict`).
pub(crate) fn run(args: &ValidateArgs, out: &mut Out) -> Result<u8, Failure> {
    input::stdin_once(args.files.iter().map(PathBuf::as_path))?;
    let mut reports = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let (report, config) = check(path, args.auth0);
        match args.format {
            Format::Text => write_text(out, &report, config.as_ref(), args.strict),
            Format::Json => {}
        }
        reports.push(report);
    }
    let status = reports
        .iter()
        .map(|r| match r.status {
            Status::Unreadable => 2,
            Status::Invalid => 1,
            Status::Ok if args.strict && !r.warnings.is_empty() => 1,
            Status::Ok => 0,
        })
        .max()
        .unwrap_or(0);
    if args.format == Format::Json {
        out.json(&Document {
            ok: status == 0,
            strict: args.strict,
            files: reports,
        })?;
    }
    Ok(status)
}

/// Reads and loads one file.
fn check(path: &std::path::Path, auth0: bool) -> (FileReport, Option<Config>) {
    let mut report = FileReport {
        file: path.display().to_string(),
        status: Status::Ok,
        fingerprint: None,
        connections: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        hint: None,
    };
    let input = match Input::read(path) {
        Ok(input) => input,
        Err(failure) => {
            report.status = Status::Unreadable;
            report.errors = failure.problems();
            return (report, None);
        }
    };
    report.file.clone_from(&input.name);
    let loaded = if auth0 {
        input.load_auth0()
    } else {
        input.load()
    };
    match loaded {
        Ok(config) => {
            report.fingerprint = Some(config.fingerprint());
            report.connections = config
                .connections()
                .map(|c| ConnectionSummary::new(&c))
                .collect();
            report.warnings = warnings::warnings(&input.name, &config);
            (report, Some(config))
        }
        Err(failure) => {
            report.status = Status::Invalid;
            report.errors = failure.problems();
            report.hint = hint(input.document().as_ref(), auth0);
            (report, None)
        }
    }
}

/// A hint for a file of the other format: Auth0 connection objects read without `--auth0`,
/// or this crate's configuration read with it.
fn hint(document: Option<&Value>, auth0: bool) -> Option<String> {
    let document = document?;
    let looks_auth0 = match document {
        Value::Array(_) => true,
        Value::Object(members) => {
            members.contains_key("strategy")
                || members.contains_key("options")
                || members.get("connections").is_some_and(Value::is_array)
        }
        _ => false,
    };
    let looks_ours = match document {
        Value::Object(members) => members.get("connections").is_some_and(Value::is_object),
        _ => false,
    };
    if !auth0 && looks_auth0 {
        Some(
            "this looks like Auth0 Management API connection objects: did you mean --auth0?"
                .to_owned(),
        )
    } else if auth0 && looks_ours {
        Some(
            "this looks like this crate's configuration, not Auth0 connection objects: \
             did you mean it without --auth0?"
                .to_owned(),
        )
    } else {
        None
    }
}

/// The text report of one file: its summary on stdout; errors, the hint and warnings on
/// stderr.
fn write_text(out: &mut Out, report: &FileReport, config: Option<&Config>, strict: bool) {
    if let Some(config) = config {
        summary::write(out, &report.file, config);
    }
    for problem in &report.errors {
        if report.status == Status::Unreadable {
            // The message names the file already: `cannot read FILE: ...`.
            out.err_line(&format!("error: {}", problem.message));
        } else {
            out.err_line(&format!("error: {}", problem.text()));
        }
    }
    if let Some(hint) = &report.hint {
        out.err_line(&format!("hint: {}: {hint}", report.file));
    }
    for problem in &report.warnings {
        out.err_line(&format!("warning: {}", problem.text()));
    }
    if strict && report.status == Status::Ok && !report.warnings.is_empty() {
        out.err_line(&format!(
            "error: {}: {} with --strict",
            report.file,
            match report.warnings.len() {
                1 => "1 warning".to_owned(),
                n => format!("{n} warnings"),
            }
        ));
    }
}
