//! `upstream-params`: check, explain and convert `tower-upstream-params` configurations, for
//! operators and their CI.
//!
//! Built with the crate feature `cli`:
//!
//! ```sh
//! cargo install tower-upstream-params --features cli
//! upstream-params validate config.json
//! upstream-params explain config.json 'https://accounts.google.com/o/oauth2/v2/auth?client_id=web' \
//!     --query 'login_hint=jane%40acme.com'
//! ```
//!
//! Exit status: 0 on success, 1 for an invalid configuration, 2 for a usage or I/O error.

#![forbid(unsafe_code)]

mod explain;
mod import;
mod output;
mod summary;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tower_upstream_params::{Config, ConfigError};

use crate::output::{Out, write_stderr};

/// The exit statuses and what makes each, as `--help` prints them.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (explain: also when the URL selects no connection)
  1  invalid configuration: the file was read but is not valid JSON, not UTF-8 text, or not
     a valid configuration; every problem is printed to stderr, one per line, with its
     JSON path
  2  usage error (unknown subcommand or option, missing argument), or I/O error: a file
     that cannot be read (missing, a directory, no permission) or output that cannot be
     written";

/// Check, explain and convert tower-upstream-params configurations.
#[derive(Debug, Parser)]
#[command(name = "upstream-params", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load a configuration and print a summary, or every error with its JSON path.
    ///
    /// Prints `ok`, the number of connections and params and the fingerprint, then each
    /// connection with its endpoint and what each param sends. On an invalid configuration,
    /// prints each problem as `error: PATH: MESSAGE` to stderr and exits with 1.
    #[command(after_help = EXIT_STATUS)]
    Validate {
        /// The configuration file (this crate's JSON, or Auth0 connections with --auth0).
        file: PathBuf,
        /// Read Auth0 Management API connection objects (`GET /api/v2/connections`, an
        /// array, or one object) instead of this crate's JSON.
        #[arg(long)]
        auth0: bool,
    },
    /// Show what the configuration does to one authorization URL.
    ///
    /// Prints the connection the URL selects, each param's outcome and where its value came
    /// from, and the new URL (or `unchanged`). Values given with --value or --query are never
    /// printed, except inside the new URL.
    #[command(after_help = EXIT_STATUS)]
    Explain(explain::ExplainArgs),
    /// Print the configuration's fingerprint (32 hex digits), for replicas to compare.
    #[command(after_help = EXIT_STATUS)]
    Fingerprint {
        /// The configuration file.
        file: PathBuf,
    },
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

/// The configuration's JSON Schema, `config.schema.json` at the repository root.
const SCHEMA: &str = include_str!("../../../config.schema.json");

/// Why a command failed, and so its exit status.
#[derive(Debug)]
enum Failure {
    /// The configuration does not load: exit status 1. One line per problem, `PATH: MESSAGE`
    /// (just `MESSAGE` for a problem with the whole document).
    Invalid(Vec<String>),
    /// A file cannot be read or the output cannot be written: exit status 2.
    Io(String),
    /// The arguments are wrong in a way clap cannot see: exit status 2.
    Usage(String),
}

impl Failure {
    fn status(&self) -> u8 {
        match self {
            Failure::Invalid(_) => 1,
            Failure::Io(_) | Failure::Usage(_) => 2,
        }
    }

    /// The lines for stderr: one per problem of an invalid configuration.
    fn message(&self) -> String {
        match self {
            Failure::Invalid(problems) => problems
                .iter()
                .map(|problem| format!("error: {problem}\n"))
                .collect(),
            Failure::Io(message) => format!("error: {message}\n"),
            Failure::Usage(message) => {
                format!("error: {message}\n\nFor more information, try '--help'.\n")
            }
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        let file = error.file().map(|file| file.display().to_string());
        Failure::Invalid(problems(&error, |message| match &file {
            Some(file) => format!("{file}: {message}"),
            None => message.to_owned(),
        }))
    }
}

/// One line per problem of `error`: `PATH: MESSAGE`, or `whole(MESSAGE)` for a problem with
/// the whole document (a JSON syntax error), whose path is empty.
fn problems(error: &ConfigError, whole: impl Fn(&str) -> String) -> Vec<String> {
    let mut lines: Vec<String> = error
        .problems()
        .map(|(path, message)| {
            if path.is_empty() {
                whole(message)
            } else {
                format!("{path}: {message}")
            }
        })
        .collect();
    if lines.is_empty() {
        lines.push(error.to_string());
    }
    lines
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
    let mut out = Out::default();
    match run(cli.command, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            write_stderr(&failure.message());
            ExitCode::from(failure.status())
        }
    }
}

fn run(command: Command, out: &mut Out) -> Result<(), Failure> {
    match command {
        Command::Validate { file, auth0 } => {
            let config = if auth0 {
                load_auth0(&file)?
            } else {
                load(&file)?
            };
            summary::write(out, &file, &config);
        }
        Command::Explain(args) => {
            let config = load(&args.file)?;
            explain::write(out, &config, &args)?;
        }
        Command::Fingerprint { file } => {
            out.line(&load(&file)?.fingerprint());
        }
        // Run by `import::main`, before `run`.
        Command::ImportAuth0(_) => {}
        Command::Schema => out.push(SCHEMA),
    }
    Ok(())
}

/// Loads a configuration file with [`Config::from_path`], after reading it once to tell an
/// I/O error (exit status 2) from an invalid configuration (1).
fn load(path: &Path) -> Result<Config, Failure> {
    read(path)?;
    Ok(Config::from_path(path)?)
}

/// Loads Auth0 connection objects from a file with [`Config::from_auth0_connections`]; a
/// problem with the whole document (not JSON) names the file, as [`Config::from_path`]'s do.
fn load_auth0(path: &Path) -> Result<Config, Failure> {
    Config::from_auth0_connections(&read_text(path)?).map_err(|error| {
        Failure::Invalid(problems(&error, |message| {
            format!("{}: {message}", path.display())
        }))
    })
}

/// The bytes of `path`; an error names the file.
fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Io(format!("cannot read {}: {e}", path.display())))
}

/// The text of `path`, as [`Config::from_path`] reads it (a leading byte order mark skipped);
/// text that is not UTF-8 is an invalid configuration.
fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = read(path)?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(Failure::Invalid(vec![format!(
            "{}: not UTF-8 text: {e}",
            path.display()
        )])),
    }
}
