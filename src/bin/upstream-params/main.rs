//! `upstream-params`: check, explain, test, compare and convert `tower-upstream-params`
//! configurations, for operators and their CI.
//!
//! Built with the crate feature `cli`:
//!
//! ```sh
//! cargo install tower-upstream-params --features cli
//! upstream-params validate --strict config.json
//! upstream-params test config.json cases.json
//! upstream-params diff deployed.json config.json
//! upstream-params explain config.json 'https://accounts.google.com/o/oauth2/v2/auth?client_id=web' \
//!     --query 'login_hint=jane%40acme.com'
//! ```
//!
//! Every FILE is read exactly once (pipes, `/dev/stdin` and `<(...)` work; `-` is standard
//! input), every message names it, and text output escapes control characters. `validate`,
//! `explain`, `fingerprint`, `test` and `diff` take `--format json`: one JSON document on
//! stdout, whose shape each command's `--help` documents, with problems located by JSON
//! Pointer (RFC 6901) beside the dotted path.
//!
//! Exit status: 0 on success, 1 for an invalid configuration (or a warning under `--strict`,
//! a failing case, a differing diff), 2 for a usage or I/O error.

#![forbid(unsafe_code)]

mod cases;
mod diff;
mod explain;
mod import;
mod input;
mod near;
mod output;
mod problem;
mod summary;
mod validate;
mod warnings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use tower_upstream_params::config::{Mode, Protocol, Source};

use crate::input::Input;
use crate::output::{Out, write_stderr};
use crate::problem::Problem;

/// The exit statuses and what makes each, as `--help` prints them.
const EXIT_STATUS: &str = "\
Exit status:
  0  success: every file loads (validate: warnings allowed, unless --strict; explain: also
     when the URL selects no connection; test: every case passes; diff: no difference)
  1  invalid configuration: a file was read but is not valid JSON, not UTF-8 text, or not
     a valid configuration (every problem is printed to stderr, one per line, with its
     file and JSON path); validate --strict: a warning; test: a failing case (or a cases
     file that does not load); diff: the two configurations differ
  2  usage error (unknown subcommand or option, missing argument; explain: a URL that is
     not absolute, an unknown --connection), or I/O error: a file that cannot be read
     (missing, a directory, no permission, over 16 MiB) or output that cannot be written

With --format json, a command that fails before its result (exit status 1 or 2) prints
  {\"status\": 1 | 2, \"errors\": [PROBLEM]}
on stdout instead (validate always prints its own document); a usage error clap finds
prints nothing on stdout. PROBLEM: {\"file\": string | null, \"path\": string (the dotted
path), \"pointer\": string (RFC 6901 JSON Pointer, \"\" for the whole document), \"message\":
string}.";

/// `EXIT_STATUS`, then a command's JSON shape, for its `--help`.
fn long_help(json: &str) -> String {
    format!("{EXIT_STATUS}\n\n{json}")
}

/// Check, explain, test, compare and convert tower-upstream-params configurations.
#[derive(Debug, Parser)]
#[command(name = "upstream-params", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How a command writes its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Text for people.
    #[default]
    Text,
    /// One JSON document on stdout, for CI (its shape is in the command's --help).
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load configurations and print a summary of each, or every error with its path.
    ///
    /// For each FILE: `ok`, the number of connections and params and the fingerprint, then
    /// each connection with its endpoint and what each param sends. On an invalid file,
    /// every problem as `error: FILE: PATH: MESSAGE` on stderr (exit status 1). Warnings
    /// (`warning: FILE: PATH: MESSAGE`, on stderr) never change the exit status, unless
    /// --strict: an authorization_url path ending in '/', an http URL off loopback, a static
    /// login_hint, a wildcard host whose connection has no client_id and reads an alias from
    /// the query, a configuration with no connection.
    #[command(after_help = EXIT_STATUS, after_long_help = long_help(validate::JSON_HELP))]
    Validate(validate::ValidateArgs),
    /// Show what the configuration does to one authorization URL.
    ///
    /// Prints the fingerprint of the configuration, the connection the URL selects, the event
    /// the layer would emit, each param's outcome and where its value came from, and the new
    /// URL (or `unchanged`, or the URL a dry run would have produced); when no connection is
    /// selected, exactly why, with the nearest miss. Values given with --value or --query are
    /// never printed, except inside a URL; --redact prints every value in a URL as its
    /// length.
    #[command(after_help = EXIT_STATUS, after_long_help = long_help(explain::JSON_HELP))]
    Explain(explain::ExplainArgs),
    /// Print the configuration's fingerprint (32 hex digits), for replicas to compare.
    #[command(after_help = EXIT_STATUS, after_long_help = long_help(FINGERPRINT_JSON_HELP))]
    Fingerprint {
        /// The configuration file; `-` is standard input.
        file: PathBuf,
        /// Text (the default), or one JSON document (see below).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check a configuration against expected outcomes, like `promtool test rules`.
    ///
    /// CASES is a JSON file of cases, each a URL (with the broker's query, values and
    /// connection) and what must come of it: the connection (or none), each param's outcome
    /// and optionally the new URL. Every failing case is printed with what was expected and
    /// what came; exit status 1 if any fails.
    #[command(after_help = EXIT_STATUS, after_long_help = long_help(cases::HELP))]
    Test(cases::TestArgs),
    /// Show what changes from one configuration to another, like `terraform plan`.
    ///
    /// Connection by connection: added, removed, and for a changed one its endpoint,
    /// client_id, protocol, dry_run and each param added, removed or changed (a static value
    /// is never printed: `value changed`); then the top-level settings, and the fingerprints
    /// of both. Exit status 0 when they are equal, 1 when they differ.
    #[command(after_help = EXIT_STATUS, after_long_help = long_help(diff::JSON_HELP))]
    Diff(diff::DiffArgs),
    /// Convert Auth0 Management API connection objects to this crate's JSON (on stdout).
    ///
    /// Lists on stderr every connection skipped and why, and every error located in the
    /// input (`[3].options.upstream_params.redirect_uri`).
    #[command(name = "import-auth0", after_help = EXIT_STATUS)]
    ImportAuth0(import::ImportArgs),
    /// Print the JSON Schema (draft 2020-12) of the configuration.
    #[command(after_help = EXIT_STATUS)]
    Schema,
}

impl Command {
    /// The output format the command was asked for.
    fn format(&self) -> Format {
        match self {
            Command::Validate(args) => args.format,
            Command::Explain(args) => args.format,
            Command::Fingerprint { format, .. } => *format,
            Command::Test(args) => args.format,
            Command::Diff(args) => args.format,
            // `import-auth0` writes its own output (`import::main`).
            Command::ImportAuth0(_) | Command::Schema => Format::Text,
        }
    }
}

/// `fingerprint --format json`'s shape.
const FINGERPRINT_JSON_HELP: &str = "\
JSON output (--format json): {\"file\": string, \"fingerprint\": string}";

/// The configuration's JSON Schema, `config.schema.json` at the repository root.
const SCHEMA: &str = include_str!("../../../config.schema.json");

/// Why a command failed, and so its exit status.
#[derive(Debug)]
enum Failure {
    /// A file does not load: exit status 1. One problem a line, `FILE: PATH: MESSAGE`.
    Invalid(Vec<Problem>),
    /// A file cannot be read: exit status 2. The message names the file.
    Unreadable { file: String, message: String },
    /// The output cannot be written: exit status 2.
    Io(String),
    /// The arguments are wrong in a way clap cannot see: exit status 2.
    Usage(String),
}

impl Failure {
    fn status(&self) -> u8 {
        match self {
            Failure::Invalid(_) => 1,
            Failure::Unreadable { .. } | Failure::Io(_) | Failure::Usage(_) => 2,
        }
    }

    /// The problems, for JSON: those of an invalid file, else the message as a problem of the
    /// whole of the file it names (or, without one, of the command).
    fn problems(self) -> Vec<Problem> {
        match self {
            Failure::Invalid(problems) => problems,
            Failure::Unreadable { file, message } => vec![Problem::whole(Some(&file), message)],
            Failure::Io(message) | Failure::Usage(message) => vec![Problem::whole(None, message)],
        }
    }

    /// The lines for stderr: one per problem of an invalid file.
    fn message(&self) -> String {
        match self {
            Failure::Invalid(problems) => problems
                .iter()
                .map(|problem| format!("error: {}\n", output::escape(&problem.text())))
                .collect(),
            Failure::Unreadable { message, .. } | Failure::Io(message) => {
                format!("error: {}\n", output::escape(message))
            }
            Failure::Usage(message) => format!(
                "error: {}\n\nFor more information, try '--help'.\n",
                output::escape(message)
            ),
        }
    }
}

/// What `--format json` prints when a command fails before its result.
#[derive(Debug, Serialize)]
struct FailureDocument {
    status: u8,
    errors: Vec<Problem>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    if let Command::ImportAuth0(args) = &cli.command {
        return import::main(args);
    }
    let format = cli.command.format();
    let mut out = Out::default();
    let status = match run(cli.command, &mut out) {
        Ok(status) => status,
        Err(failure) => {
            let status = failure.status();
            write_stderr(&failure.message());
            out = Out::default();
            if format == Format::Json {
                let errors = failure.problems();
                if let Err(failure) = out.json(&FailureDocument { status, errors }) {
                    write_stderr(&failure.message());
                }
            }
            status
        }
    };
    match out.flush() {
        Ok(()) => ExitCode::from(status),
        Err(failure) => {
            write_stderr(&failure.message());
            ExitCode::from(failure.status())
        }
    }
}

/// Runs a command; its exit status when it produced its result (0, or 1 for a result that
/// fails: an invalid file among several, a failing case, a difference).
fn run(command: Command, out: &mut Out) -> Result<u8, Failure> {
    match command {
        Command::Validate(args) => return validate::run(&args, out),
        Command::Explain(args) => {
            let input = Input::read(&args.file)?;
            let config = input.load()?;
            explain::run(out, &input.name, &config, &args)?;
        }
        Command::Fingerprint { file, format } => {
            let input = Input::read(&file)?;
            let fingerprint = input.load()?.fingerprint();
            match format {
                Format::Text => out.line(&fingerprint),
                Format::Json => out.json(&serde_json::json!({
                    "file": input.name,
                    "fingerprint": fingerprint,
                }))?,
            }
        }
        // Run by `import::main`, before `run`.
        Command::ImportAuth0(_) => {}
        Command::Test(args) => return cases::run(&args, out),
        Command::Diff(args) => return diff::run(&args, out),
        Command::Schema => out.push(SCHEMA),
    }
    Ok(0)
}

/// A protocol as the configuration spells it (`oauth2`, `oidc`, `oauth1`, `saml`).
fn protocol_name(protocol: Protocol) -> String {
    protocol.as_str().to_owned()
}

/// A mode as the configuration spells it (`replace`, `keep`, `merge`).
fn mode_name(mode: Mode) -> String {
    mode.as_str().to_owned()
}

/// A source as the configuration spells it (`any`, `broker`, `query`).
fn source_name(source: Source) -> String {
    source.as_str().to_owned()
}
