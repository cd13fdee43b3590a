//! `test CONFIG CASES`: expectations kept beside the configuration, checked like
//! `promtool test rules` checks alerting rules.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tower_upstream_params::{AliasSources, Config, UpstreamValues};

use crate::input::{self, Input};
use crate::output::{Out, quoted};
use crate::problem::{Problem, pointer};
use crate::{Failure, Format, explain};

/// The cases file and `--format json`, for `--help`.
pub(crate) const HELP: &str = "\
CASES file: {\"cases\": [CASE, ...]} (a \"$schema\" key is allowed), each CASE:
  {\"name\": string (optional, printed with the case),
   \"url\": string (the authorization URL, as the broker redirects to it),
   \"query\": string (optional: the broker's authorize request query; a leading '?' or a
            whole URL is read as its query),
   \"values\": {NAME: VALUE} (optional: UpstreamValues the broker vouches for),
   \"connection\": string (optional: the UpstreamConnection the broker names),
   \"expect\": {\"connection\": string | null (required: the connection selected, or none),
              \"params\": {NAME: OUTCOME} (optional: exactly the params reported, each with
                        its outcome as tracing spells it: added, replaced, merged, kept,
                        removed, dropped(missing), dropped(ambiguous), dropped(too_long),
                        dropped(pattern), dropped(not_utf8), dropped(location_too_long),
                        dropped(par_or_jar)),
              \"url\": string | null (optional: the new URL; null: unchanged)}}
Unknown keys are errors. A case fails when anything it expects differs.

JSON output (--format json):
  {\"ok\": bool, \"config\": {\"file\": string, \"fingerprint\": string},
   \"cases_file\": string, \"total\": int, \"passed\": int, \"failed\": int,
   \"results\": [{\"index\": int, \"name\": string | null, \"ok\": bool,
                \"failures\": [{\"path\": string (dotted, e.g. cases[2].expect.params.hd),
                              \"pointer\": string (JSON Pointer into CASES),
                              \"expected\": JSON value, \"actual\": JSON value,
                              \"message\": string}]}]}";

/// Every outcome a case may expect, as tracing spells it.
const OUTCOMES: [&str; 12] = [
    "added",
    "replaced",
    "merged",
    "kept",
    "removed",
    "dropped(missing)",
    "dropped(ambiguous)",
    "dropped(too_long)",
    "dropped(pattern)",
    "dropped(not_utf8)",
    "dropped(location_too_long)",
    "dropped(par_or_jar)",
];

/// `test`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// The configuration file; `-` is standard input.
    config: PathBuf,
    /// The cases file (see below); `-` is standard input.
    cases: PathBuf,
    /// Text (the default), or one JSON document (see below).
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// The cases file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    name: Option<String>,
    url: String,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    connection: Option<String>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Required, `null` allowed.
    #[serde(deserialize_with = "nullable")]
    connection: Option<String>,
    #[serde(default)]
    params: Option<BTreeMap<String, String>>,
    /// Absent: not checked; `null`: unchanged.
    #[serde(default, deserialize_with = "present")]
    url: Option<Option<String>>,
}

/// A key that must be there, `null` or a string.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// A key that is there, `null` or a string (its absence is the outer `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document {
    ok: bool,
    config: ConfigRef,
    cases_file: String,
    total: usize,
    passed: usize,
    failed: usize,
    results: Vec<CaseResult>,
}

#[derive(Debug, Serialize)]
struct ConfigRef {
    file: String,
    fingerprint: String,
}

#[derive(Debug, Serialize)]
struct CaseResult {
    index: usize,
    name: Option<String>,
    ok: bool,
    failures: Vec<Mismatch>,
}

/// One expectation that was not met.
#[derive(Debug, Serialize)]
struct Mismatch {
    path: String,
    pointer: String,
    expected: Value,
    actual: Value,
    message: String,
}

impl Mismatch {
    fn new(index: usize, keys: &[&str], expected: Value, actual: Value, message: String) -> Self {
        let mut path = format!("cases[{index}]");
        for key in keys {
            path.push('.');
            path.push_str(key);
        }
        let index = index.to_string();
        let all = ["cases", index.as_str()]
            .into_iter()
            .chain(keys.iter().copied());
        Mismatch {
            path,
            pointer: pointer(all),
            expected,
            actual,
            message,
        }
    }
}

/// Checks every case; exit status 1 if any fails.
pub(crate) fn run(args: &TestArgs, out: &mut Out) -> Result<u8, Failure> {
    input::stdin_once([args.config.as_path(), args.cases.as_path()])?;
    let config_input = Input::read(&args.config)?;
    let cases_input = Input::read(&args.cases)?;
    let config = config_input.load()?;
    let cases = load_cases(&cases_input)?;
    let results: Vec<CaseResult> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| check(&config, index, case))
        .collect();
    let failed = results.iter().filter(|r| !r.ok).count();
    let document = Document {
        ok: failed == 0,
        config: ConfigRef {
            file: config_input.name.clone(),
            fingerprint: config.fingerprint(),
        },
        cases_file: cases_input.name.clone(),
        total: results.len(),
        passed: results.len() - failed,
        failed,
        results,
    };
    match args.format {
        Format::Text => write_text(out, &document, &cases),
        Format::Json => out.json(&document)?,
    }
    Ok(u8::from(failed > 0))
}

/// The cases, each outcome it expects spelled as tracing spells one.
fn load_cases(input: &Input) -> Result<Vec<Case>, Failure> {
    let file: CasesFile = serde_json::from_str(input.text()?).map_err(|e| {
        Failure::Invalid(vec![Problem::whole(
            Some(&input.name),
            format!("not a cases file: {e}"),
        )])
    })?;
    let mut problems = Vec::new();
    if file.cases.is_empty() {
        problems.push(Problem::at(
            &input.name,
            &["cases"],
            "no case: a cases file that checks nothing proves nothing",
        ));
    }
    for (i, case) in file.cases.iter().enumerate() {
        let index = i.to_string();
        for (name, outcome) in case.expect.params.iter().flatten() {
            if !OUTCOMES.contains(&outcome.as_str()) {
                problems.push(Problem {
                    file: Some(input.name.clone()),
                    path: format!("cases[{i}].expect.params.{name}"),
                    pointer: pointer(["cases", &index, "expect", "params", name]),
                    message: format!(
                        "unknown outcome {}: expected one of {}",
                        quoted(outcome),
                        OUTCOMES.join(", ")
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(file.cases)
    } else {
        Err(Failure::Invalid(problems))
    }
}

/// Runs one case and compares what came with what it expects.
fn check(config: &Config, index: usize, case: &Case) -> CaseResult {
    let values: UpstreamValues = case.values.iter().collect();
    let query = case.query.as_deref().map(explain::query_part);
    let sources = AliasSources::new().query(query).values(&values);
    let rewrite = config.rewrite_location(&case.url, case.connection.as_deref(), &sources);
    let report = rewrite.report();
    let mut failures = Vec::new();

    let connection = report.map(|r| r.connection().to_owned());
    if connection != case.expect.connection {
        failures.push(Mismatch::new(
            index,
            &["expect", "connection"],
            Value::from(case.expect.connection.clone()),
            Value::from(connection.clone()),
            format!(
                "connection: expected {}, got {}",
                or_none(case.expect.connection.as_deref()),
                or_none(connection.as_deref())
            ),
        ));
    }
    if let Some(expected) = &case.expect.params {
        let actual: BTreeMap<&str, String> = report
            .map(|r| {
                r.params()
                    .iter()
                    .map(|p| (p.name(), p.outcome().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        for (name, outcome) in expected {
            let got = actual.get(name.as_str());
            if got != Some(outcome) {
                failures.push(Mismatch::new(
                    index,
                    &["expect", "params", name],
                    Value::from(outcome.as_str()),
                    Value::from(got.cloned()),
                    format!(
                        "params.{name}: expected {outcome}, got {}",
                        got.map_or("no report of it", String::as_str)
                    ),
                ));
            }
        }
        for (name, outcome) in &actual {
            if !expected.contains_key(*name) {
                failures.push(Mismatch::new(
                    index,
                    &["expect", "params", name],
                    Value::Null,
                    Value::from(outcome.as_str()),
                    format!("params.{name}: not expected, got {outcome}"),
                ));
            }
        }
    }
    if let Some(expected) = &case.expect.url {
        let actual = rewrite.location();
        if actual != expected.as_deref() {
            failures.push(Mismatch::new(
                index,
                &["expect", "url"],
                Value::from(expected.clone()),
                Value::from(actual),
                format!(
                    "url: expected {}, got {}",
                    expected.as_deref().map_or("unchanged".to_owned(), quoted),
                    actual.map_or("unchanged".to_owned(), quoted)
                ),
            ));
        }
    }
    CaseResult {
        index,
        name: case.name.clone(),
        ok: failures.is_empty(),
        failures,
    }
}

/// promtool's way: each failing case with what was expected and what came, then the count.
fn write_text(out: &mut Out, document: &Document, cases: &[Case]) {
    out.line(&format!(
        "config: {} (fingerprint {})",
        document.config.file, document.config.fingerprint
    ));
    for result in document.results.iter().filter(|r| !r.ok) {
        let mut title = format!("FAILED: {}: case {}", document.cases_file, result.index);
        if let Some(name) = &result.name {
            title.push_str(&format!(" {}", quoted(name)));
        }
        if let Some(case) = cases.get(result.index) {
            title.push_str(&format!(" ({})", case.url));
        }
        out.line(&format!("{title}:"));
        for failure in &result.failures {
            out.line(&format!("  {}", failure.message));
        }
    }
    if document.failed == 0 {
        out.line(&format!(
            "ok: {}: {} passed",
            document.cases_file,
            plural(document.total)
        ));
    } else {
        out.line(&format!(
            "FAILED: {}: {} of {} failed",
            document.cases_file,
            document.failed,
            plural(document.total)
        ));
    }
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 case".to_owned()
    } else {
        format!("{n} cases")
    }
}

fn or_none(name: Option<&str>) -> String {
    name.map_or("none".to_owned(), quoted)
}
