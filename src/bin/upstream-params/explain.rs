//! `explain`: one URL through [`Config::rewrite_location`], and what happened to it.

use std::path::PathBuf;

use clap::Args;
use clap::builder::{NonEmptyStringValueParser, TypedValueParser};
use clap::error::ErrorKind;
use tower_upstream_params::{AliasSources, Config, UpstreamReport, UpstreamValues};

use crate::Failure;
use crate::output::Out;

/// `explain`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The configuration file.
    pub(crate) file: PathBuf,
    /// The authorization URL, as the broker would redirect to it (the `Location`).
    url: String,
    /// The broker's own authorize request query, raw as in a URI (without `?`), for aliases
    /// that read the query, e.g. 'client_id=web&login_hint=jane%40acme.com'.
    #[arg(long, value_name = "QUERY")]
    query: Option<String>,
    /// A broker-provided value (an `UpstreamValues` entry), for aliases that read them; may
    /// be repeated. Never printed, except inside the new URL.
    #[arg(long = "value", value_name = "NAME=VALUE", value_parser = NameValue)]
    values: Vec<(String, String)>,
    /// The connection the broker names (an `UpstreamConnection`); without it, the connection
    /// is chosen by endpoint and `client_id`.
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    connection: Option<String>,
}

/// Parses `NAME=VALUE` (split at the first `=`; `NAME` not empty). Its error never repeats
/// the argument, which may hold a value.
#[derive(Clone, Copy, Debug)]
struct NameValue;

impl TypedValueParser for NameValue {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refuse = |why: &str| {
            let mut cmd = cmd.clone();
            cmd.error(
                ErrorKind::ValueValidation,
                format!("--value takes NAME=VALUE: {why}"),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("the argument is not UTF-8"))?;
        match text.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
            Some(_) => Err(refuse("NAME is empty")),
            None => Err(refuse("there is no '='")),
        }
    }
}

/// Writes what the configuration does to `args.url`: the connection, each param's outcome
/// and source, the new URL.
pub(crate) fn write(out: &mut Out, config: &Config, args: &ExplainArgs) -> Result<(), Failure> {
    let mut values = UpstreamValues::new();
    for (i, (name, value)) in args.values.iter().enumerate() {
        if args.values[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(Failure::Usage(format!("--value {name}=... is given twice")));
        }
        values.insert(name.as_str(), value.as_str());
    }
    let mut sources = AliasSources::new().query(args.query.as_deref());
    if !args.values.is_empty() {
        sources = sources.values(&values);
    }
    let rewrite = config.rewrite_location(&args.url, args.connection.as_deref(), &sources);
    let Some(report) = rewrite.report() else {
        write_unselected(out, config, args);
        return Ok(());
    };
    write_report(out, report);
    match rewrite.location() {
        Some(location) => out.line(&format!("new URL: {location}")),
        None if report.dry_run() && report.rewritten() => {
            out.line("new URL: unchanged (dry run: the rules would change it)");
        }
        None => out.line("new URL: unchanged"),
    }
    Ok(())
}

/// The connection and each param's outcome and source.
fn write_report(out: &mut Out, report: &UpstreamReport) {
    let mut line = format!("connection: {}", report.connection());
    if report.dry_run() {
        line.push_str(" (dry run: reported, never changed)");
    }
    out.line(&line);
    if report.params().is_empty() {
        out.line("params: none configured");
        return;
    }
    out.line("params:");
    let rows: Vec<(&str, String, Option<&str>)> = report
        .params()
        .iter()
        .map(|p| {
            let source = p.source().map(|s| s.as_str());
            (p.name(), p.outcome().to_string(), source)
        })
        .collect();
    let name_width = rows.iter().map(|(name, ..)| name.len()).max().unwrap_or(0);
    let outcome_width = rows.iter().map(|(_, o, _)| o.len()).max().unwrap_or(0);
    for (name, outcome, source) in rows {
        let line = match source {
            Some(source) => {
                format!("  {name:name_width$}  {outcome:outcome_width$}  source: {source}")
            }
            None => format!("  {name:name_width$}  {outcome}"),
        };
        out.line(line.trim_end());
    }
}

/// Why no connection was selected, as far as can be told without the WARN events.
fn write_unselected(out: &mut Out, config: &Config, args: &ExplainArgs) {
    let why = match &args.connection {
        Some(name) if !config.connection_names().any(|n| n == name) => {
            format!("no connection is named {name:?}")
        }
        Some(name) => format!(
            "the URL is not at the authorization_url of connection {name:?} \
             (the layer reports this as WARN not_candidate)"
        ),
        None => "the URL is not at any connection's authorization_url, or its client_id \
                 selects none of the connections there (WARN no_connection)"
            .to_owned(),
    };
    out.line(&format!("connection: none selected: {why}"));
    out.line("new URL: unchanged");
}
