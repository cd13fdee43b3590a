//! `explain`: one URL through [`Config::rewrite_location`], and what happened to it: the
//! connection, the event the layer would emit, each param, the new URL; or, when nothing is
//! selected, exactly why ([`near`]).

use std::path::PathBuf;

use clap::Args;
use clap::builder::{NonEmptyStringValueParser, TypedValueParser};
use clap::error::ErrorKind;
use serde::Serialize;
use tower_upstream_params::{
    AliasSources, Config, ConnectionInfo, Miss as Missed, UpstreamReport, UpstreamValues,
};

use crate::near::{self, ClientId, Why};
use crate::output::{Out, quoted};
use crate::{Failure, Format};

/// `explain --format json`'s shape, for `--help`.
pub(crate) const JSON_HELP: &str = "\
JSON output (--format json):
  {\"config\": {\"file\": string, \"fingerprint\": string},
   \"url\": string (as given; with --redact, each query value as its length),
   \"connection\": string | null (the connection selected),
   \"dry_run\": bool,
   \"event\": {\"level\": \"INFO\" | \"WARN\" | \"DEBUG\", \"reason\": string | null,
             \"message\": string} | null (the tracing event the layer emits; null: none),
   \"miss\": null (a connection was selected) |
           {\"kind\": \"not_ascii\" | \"not_configured\" | \"no_endpoint\" | \"no_connection\" |
                     \"not_candidate\",
            \"message\": string (why, in words),
            \"nearest\": {\"connection\": string, \"authorization_url\": string} | null,
            \"client_ids\": [{\"connection\": string, \"client_id\": string | null}]
                          (no_connection: the connections on that endpoint)},
   \"params\": [{\"name\": string, \"outcome\": string (as tracing spells it),
               \"source\": \"static\" | \"broker\" | \"query\" | \"default\" | null}],
   \"rewritten\": bool (the rules change the URL; in a dry run: would change it),
   \"location\": string | null (the new URL; null: unchanged),
   \"dry_run_location\": string | null (in a dry run: the URL the rules would produce)}
Values from --value and --query appear only inside the URLs (as lengths with --redact).";

/// `explain`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The configuration file; `-` is standard input.
    pub(crate) file: PathBuf,
    /// The authorization URL, as the broker would redirect to it (the `Location`): an
    /// absolute URL.
    url: String,
    /// The broker's own authorize request query, for aliases that read the query, e.g.
    /// 'client_id=web&login_hint=jane%40acme.com'; a leading '?', or a whole URL, is read as
    /// its query.
    #[arg(long, value_name = "QUERY")]
    query: Option<String>,
    /// A broker-provided value (an `UpstreamValues` entry), for aliases that read them; may
    /// be repeated. Never printed, except inside a URL.
    #[arg(long = "value", value_name = "NAME=VALUE", value_parser = NameValue)]
    values: Vec<(String, String)>,
    /// The connection the broker names (an `UpstreamConnection`); without it, the connection
    /// is chosen by endpoint and `client_id`. A name no connection has is a usage error.
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    connection: Option<String>,
    /// Print every value in a URL (query and fragment) as its length in bytes, so that the
    /// output can be pasted into an incident channel.
    #[arg(long)]
    redact: bool,
    /// Text (the default), or one JSON document (see below).
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
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

/// What `explain` found, as JSON writes it (the text output renders the same).
#[derive(Debug, Serialize)]
struct Explanation {
    config: ConfigRef,
    url: String,
    connection: Option<String>,
    dry_run: bool,
    event: Option<Event>,
    miss: Option<Miss>,
    params: Vec<ParamLine>,
    rewritten: bool,
    location: Option<String>,
    dry_run_location: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConfigRef {
    file: String,
    fingerprint: String,
}

/// The tracing event the layer emits for this redirect.
#[derive(Debug, Serialize)]
struct Event {
    level: String,
    reason: Option<&'static str>,
    message: &'static str,
}

/// Why no connection was selected.
#[derive(Debug, Serialize)]
struct Miss {
    kind: &'static str,
    message: String,
    nearest: Option<NearestRef>,
    client_ids: Vec<ClientIdRef>,
}

#[derive(Debug, Serialize)]
struct NearestRef {
    connection: String,
    authorization_url: String,
}

#[derive(Debug, Serialize)]
struct ClientIdRef {
    connection: String,
    client_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct ParamLine {
    name: String,
    outcome: String,
    source: Option<&'static str>,
}

/// Explains what the configuration does to `args.url`.
pub(crate) fn run(
    out: &mut Out,
    file: &str,
    config: &Config,
    args: &ExplainArgs,
) -> Result<(), Failure> {
    if url::Url::parse(&args.url).is_err() {
        return Err(Failure::Usage(
            "URL is not an absolute URL (scheme://host/path...): explain reads it as the \
             Location of a redirect to an identity provider"
                .to_owned(),
        ));
    }
    let named = args.connection.as_deref();
    if let Some(name) = named {
        if !config.connection_names().any(|n| n == name) {
            return Err(Failure::Usage(format!(
                "--connection {}: no connection has that name (configured: {})",
                quoted(name),
                config
                    .connection_names()
                    .map(quoted)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut values = UpstreamValues::new();
    for (i, (name, value)) in args.values.iter().enumerate() {
        if args.values[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(Failure::Usage(format!("--value {name}=... is given twice")));
        }
        values.insert(name.as_str(), value.as_str());
    }
    let sources = AliasSources::new()
        .query(args.query.as_deref().map(query_part))
        .values(&values);
    let mut explanation = Explanation {
        config: ConfigRef {
            file: file.to_owned(),
            fingerprint: config.fingerprint(),
        },
        url: args.url.clone(),
        connection: None,
        dry_run: false,
        event: None,
        miss: None,
        params: Vec::new(),
        rewritten: false,
        location: None,
        dry_run_location: None,
    };
    let rewrite = config.rewrite_location(&args.url, named, &sources);
    match rewrite.report() {
        Some(report) => {
            selected(&mut explanation, report);
            explanation.location = rewrite.location().map(str::to_owned);
            explanation.dry_run_location = rewrite.dry_run_location().map(str::to_owned);
        }
        None => {
            let why = match rewrite.miss() {
                Some(Missed::NotAscii) | None => None,
                Some(_) => {
                    let connections: Vec<ConnectionInfo> = config.connections().collect();
                    near::classify(&args.url, named, &connections)
                }
            };
            missed(&mut explanation, rewrite.miss(), why, args.redact);
        }
    }
    if args.redact {
        explanation.url = redact(&explanation.url);
        for url in [&mut explanation.location, &mut explanation.dry_run_location]
            .into_iter()
            .flatten()
        {
            *url = redact(url);
        }
    }
    match args.format {
        Format::Text => write_text(out, &explanation),
        Format::Json => out.json(&explanation)?,
    }
    Ok(())
}

/// A selected connection: its report, and the INFO event.
fn selected(explanation: &mut Explanation, report: &UpstreamReport) {
    explanation.connection = Some(report.connection().to_owned());
    explanation.dry_run = report.dry_run();
    explanation.rewritten = report.rewritten();
    explanation.event = Some(Event {
        level: "INFO".to_owned(),
        reason: None,
        message: "redirect to upstream identity provider",
    });
    explanation.params = report
        .params()
        .iter()
        .map(|p| ParamLine {
            name: p.name().to_owned(),
            outcome: p.outcome().to_string(),
            source: p.source().map(|s| s.as_str()),
        })
        .collect();
}

/// Nothing selected: the check that failed and the event the layer emits for it (the
/// engine's [`Rewrite::miss`](tower_upstream_params::Rewrite::miss)), and, where this
/// command's reading of the configuration agrees, what was nearest ([`near`]).
fn missed(explanation: &mut Explanation, miss: Option<Missed>, why: Option<Why>, redact: bool) {
    explanation.event = miss.and_then(|miss| {
        Some(Event {
            level: miss.level()?.to_string(),
            reason: miss.reason(),
            message: event_message(miss),
        })
    });
    let why = why.filter(|why| agrees(why, miss));
    let message = match (&why, miss) {
        (Some(why), _) => describe(why, redact),
        (None, Some(Missed::NotAscii)) => "the URL is not visible ASCII: no Location header \
                                           can hold it as it is, and the layer passes such a \
                                           redirect through"
            .to_owned(),
        (None, Some(miss)) => miss.to_string(),
        (None, None) => "the layer selects no connection for this URL".to_owned(),
    };
    let nearest = match &why {
        Some(Why::NoOrigin { nearest, .. } | Why::PathDiffers { nearest, .. }) => {
            nearest.as_ref().map(|n| NearestRef {
                connection: n.connection.clone(),
                authorization_url: n.authorization_url.clone(),
            })
        }
        _ => None,
    };
    let client_ids = match &why {
        Some(Why::ClientId { configured, .. }) => configured
            .iter()
            .map(|(connection, client_id)| ClientIdRef {
                connection: connection.clone(),
                client_id: client_id.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    explanation.miss = Some(Miss {
        kind: kind(miss),
        message,
        nearest,
        client_ids,
    });
}

/// The engine's miss, spelled for JSON.
fn kind(miss: Option<Missed>) -> &'static str {
    match miss {
        Some(Missed::NotAscii) => "not_ascii",
        Some(Missed::NotConfigured) => "not_configured",
        Some(Missed::NoEndpoint) => "no_endpoint",
        Some(Missed::NoConnection) => "no_connection",
        Some(Missed::NotCandidate) => "not_candidate",
        _ => "other",
    }
}

/// The message of the layer's event for `miss`.
fn event_message(miss: Missed) -> &'static str {
    match miss {
        Missed::NotAscii => "redirect Location is not visible ASCII; passed through",
        Missed::NoEndpoint => {
            "redirect to a configured origin matches no endpoint path; nothing rewritten"
        }
        Missed::NoConnection => {
            "redirect to a configured endpoint selects no connection; nothing rewritten"
        }
        Missed::NotCandidate => {
            "UpstreamConnection names a connection that is not configured for this endpoint; \
             nothing rewritten"
        }
        _ => "",
    }
}

/// Whether this command's reading names the check the engine says failed (else its details
/// would explain another failure than the layer's).
fn agrees(why: &Why, miss: Option<Missed>) -> bool {
    matches!(
        (why, miss),
        (Why::NotAscii, Some(Missed::NotAscii))
            | (
                Why::NotHttp | Why::NoOrigin { .. },
                Some(Missed::NotConfigured)
            )
            | (Why::PathDiffers { .. }, Some(Missed::NoEndpoint))
            | (Why::ClientId { .. }, Some(Missed::NoConnection))
            | (Why::NotCandidate { .. }, Some(Missed::NotCandidate))
    )
}

/// Why, in words, with what was nearest.
fn describe(why: &Why, redact: bool) -> String {
    match why {
        Why::NotAscii => "the URL is not visible ASCII: no Location header can hold it as it \
                          is, and the layer passes such a redirect through"
            .to_owned(),
        Why::NotHttp => "the URL is not an absolute http(s) URL as a browser reads it \
                         ('http:host/path' is relative to the broker's page): the layer leaves \
                         it alone"
            .to_owned(),
        Why::NoOrigin { origin, nearest } => {
            let mut message = format!("no connection is configured on {origin}");
            if let Some(nearest) = nearest {
                message.push_str(&format!(
                    "; nearest: connection {} on the same host, at {} (another scheme or port)",
                    quoted(&nearest.connection),
                    nearest.authorization_url
                ));
            }
            message
        }
        Why::PathDiffers {
            origin,
            path,
            nearest,
            trailing_slash,
        } => {
            let mut message = format!(
                "{origin} is a configured origin, but no authorization_url there has the path {}",
                quoted(path)
            );
            if let Some(nearest) = nearest {
                message.push_str(&format!(
                    "; nearest: connection {} at {}",
                    quoted(&nearest.connection),
                    nearest.authorization_url
                ));
                if *trailing_slash {
                    message.push_str(" (the paths differ only by a trailing slash)");
                }
            }
            message
        }
        Why::ClientId {
            client_id,
            configured,
        } => {
            let theirs: Vec<String> = configured
                .iter()
                .map(|(name, id)| match id {
                    Some(id) => format!("{} (client_id {})", quoted(name), quoted(id)),
                    None => format!("{} (no client_id)", quoted(name)),
                })
                .collect();
            let ours = match client_id {
                ClientId::Absent => "the URL has no client_id".to_owned(),
                ClientId::Repeated => {
                    "the URL's client_id is given more than once (ambiguous)".to_owned()
                }
                ClientId::One(id) if redact => format!("the URL's client_id (<{}>)", id.len()),
                ClientId::One(id) => format!("the URL's client_id {}", quoted(id)),
            };
            format!(
                "the URL is at a configured endpoint, but {ours} selects none of the \
                 connections there: {}",
                theirs.join(", ")
            )
        }
        Why::NotCandidate {
            named,
            authorization_url,
        } => format!(
            "the broker names connection {}, whose authorization_url is {}: the URL is not at \
             that endpoint",
            quoted(named),
            authorization_url
        ),
    }
}

fn write_text(out: &mut Out, explanation: &Explanation) {
    out.line(&format!(
        "config: {} (fingerprint {})",
        explanation.config.file, explanation.config.fingerprint
    ));
    match &explanation.connection {
        Some(name) if explanation.dry_run => {
            out.line(&format!(
                "connection: {name} (dry run: reported, never changed)"
            ));
        }
        Some(name) => out.line(&format!("connection: {name}")),
        None => out.line("connection: none selected"),
    }
    match &explanation.event {
        Some(Event {
            level,
            reason: Some(reason),
            ..
        }) => out.line(&format!("event: {level} {reason}")),
        Some(Event { level, message, .. }) => out.line(&format!(
            "event: {level} {message} (rewritten={}, dry_run={})",
            explanation.rewritten, explanation.dry_run
        )),
        None => out.line("event: none (the layer does not report this redirect)"),
    }
    if let Some(miss) = &explanation.miss {
        out.line(&format!("why: {}", miss.message));
    }
    if explanation.connection.is_some() {
        write_params(out, &explanation.params);
    }
    match &explanation.location {
        Some(location) => out.line(&format!("new URL: {location}")),
        None if explanation.dry_run && explanation.rewritten => {
            out.line("new URL: unchanged (dry run: the rules would change it)");
        }
        None => out.line("new URL: unchanged"),
    }
    if let Some(location) = &explanation.dry_run_location {
        out.line(&format!("dry-run URL: {location}"));
    }
}

/// Each param's outcome and source, in aligned columns.
fn write_params(out: &mut Out, params: &[ParamLine]) {
    if params.is_empty() {
        out.line("params: none configured");
        return;
    }
    out.line("params:");
    let name_width = params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let outcome_width = params.iter().map(|p| p.outcome.len()).max().unwrap_or(0);
    for ParamLine {
        name,
        outcome,
        source,
    } in params
    {
        let line = match source {
            Some(source) => {
                format!("  {name:name_width$}  {outcome:outcome_width$}  source: {source}")
            }
            None => format!("  {name:name_width$}  {outcome}"),
        };
        out.line(line.trim_end());
    }
}

/// The query in `text`: without a leading `?`; the query of a whole `http(s)` URL; else
/// `text` as it is.
pub(crate) fn query_part(text: &str) -> &str {
    if let Some(query) = text.strip_prefix('?') {
        return query;
    }
    let is_url = ["http://", "https://"].iter().any(|scheme| {
        text.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    if !is_url {
        return text;
    }
    let query = text.split_once('?').map_or("", |(_, query)| query);
    query.split_once('#').map_or(query, |(query, _)| query)
}

/// `url` with every value of its query and its fragment written as its length in bytes
/// (decoded): `login_hint=<13>`; names and everything before the query are kept.
fn redact(url: &str) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let mut redacted = match rest.split_once('?') {
        Some((base, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, value)) => format!("{name}=<{}>", decoded_len(value)),
                    None => pair.to_owned(),
                })
                .collect();
            format!("{base}?{}", pairs.join("&"))
        }
        None => rest.to_owned(),
    };
    if let Some(fragment) = fragment {
        redacted.push_str(&format!("#<{}>", fragment.len()));
    }
    redacted
}

/// The length in bytes of a query value once decoded.
fn decoded_len(value: &str) -> usize {
    url::form_urlencoded::parse(format!("x={value}").as_bytes())
        .next()
        .map_or(value.len(), |(_, v)| v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_read_with_or_without_its_url() {
        assert_eq!(query_part("login_hint=a%40b"), "login_hint=a%40b");
        assert_eq!(query_part("?login_hint=a%40b"), "login_hint=a%40b");
        assert_eq!(
            query_part("https://broker.example/authorize?client_id=web&x=1#f"),
            "client_id=web&x=1"
        );
        assert_eq!(query_part("HTTP://broker.example/authorize"), "");
        assert_eq!(query_part("redirect=https://x"), "redirect=https://x");
    }

    #[test]
    fn redaction_keeps_names_and_lengths() {
        assert_eq!(
            redact("https://idp.example/a?client_id=web&login_hint=jane%40acme.com&flag#frag"),
            "https://idp.example/a?client_id=<3>&login_hint=<13>&flag#<4>"
        );
        assert_eq!(redact("https://idp.example/a"), "https://idp.example/a");
    }
}
