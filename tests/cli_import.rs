//! `upstream-params import-auth0 FILE [--format json]`, run as built: the configuration on
//! stdout, the audit (what was skipped, every error located in the input) on stderr, or one
//! JSON document; exit statuses 0, 1 (invalid input), 2 (usage or I/O).

#![cfg(feature = "cli")]

use serde::Deserialize;
use tower_upstream_params::Config;

#[path = "support/run.rs"]
mod run;

use run::{Run, path_str, run, run_with_stdin as run_with, temp_file};

const AUTH0: &str = r#"[
  {"name": "WPConn", "strategy": "wordpress", "options": {
    "client_id": "42", "client_secret": "do-not-print-me",
    "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}},
  {"name": "corp", "strategy": "waad", "options": {
    "client_id": "c1", "tenant_domain": "acme.onmicrosoft.com",
    "upstream_params": {"domain_hint": {"value": "acme.com"},
                        "login_hint": {"alias": "login_hint"}}}},
  {"name": "GitHub", "strategy": "github", "options": {"client_secret": "do-not-print-me"}},
  {"name": "Empty", "strategy": "github", "options": {"upstream_params": {}}}
]"#;

/// Errors in four connections, and a secret in the params' values.
const BAD: &str = r#"[
  {"name": "ok", "strategy": "github", "options": {"upstream_params": {"a": {"value": "1"}}}},
  {"name": "corp-oidc", "strategy": "oidc", "options": {
    "discovery_url": "https://idp.example/.well-known/openid-configuration",
    "upstream_params": {"a": {"value": "b"}}}},
  {"strategy": "github", "options": {"upstream_params": {"a": {"value": "1"}}}},
  {"name": "wp", "strategy": "wordpress", "options": {"upstream_params": {
    "redirect_uri": {"value": "https://evil.example/do-not-print-me"},
    "a.b": {"value": "do-not-print-me", "mode": "sometimes"}}}}
]"#;

/// The `--format json` document, every key known.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    file: String,
    ok: bool,
    config: Option<serde_json::Value>,
    fingerprint: Option<String>,
    skipped: Vec<Skipped>,
    errors: Vec<Problem>,
    hint: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Skipped {
    connection: String,
    path: String,
    pointer: String,
    reason: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Problem {
    path: String,
    pointer: String,
    message: String,
}

fn report(out: &Run) -> Report {
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(out.stdout.ends_with("}\n"), "{}", out.stdout);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn the_configuration_goes_to_stdout_and_every_skipped_connection_to_stderr() {
    let file = temp_file("import-auth0.json", AUTH0.as_bytes());
    let out = run(&["import-auth0", path_str(&file)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let imported = Config::from_auth0_connections(AUTH0).unwrap();
    assert_eq!(out.stdout, format!("{}\n", imported.to_json()));
    assert_eq!(
        out.stderr,
        "skipped: [2] \"GitHub\": no options.upstream_params\n\
         skipped: [3] \"Empty\": options.upstream_params is empty\n"
    );
    assert!(!out.stdout.contains("do-not-print-me"));
}

#[test]
fn the_file_is_read_once_from_a_pipe_dev_stdin_or_dash() {
    let list = format!(r#"{{"total": 4, "start": 0, "limit": 50, "connections": {AUTH0}}}"#);
    let imported = Config::from_auth0_connections(AUTH0).unwrap();
    for file in ["-", "/dev/stdin"] {
        let out = run_with(&["import-auth0", file], list.as_bytes());
        assert_eq!(out.status, 0, "{file}: {}", out.stderr);
        assert_eq!(out.stdout, format!("{}\n", imported.to_json()), "{file}");
        assert!(
            out.stderr
                .contains("skipped: connections[2] \"GitHub\": no options.upstream_params"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn every_error_is_reported_in_one_pass_located_in_the_input() {
    let file = temp_file("import-bad.json", BAD.as_bytes());
    let name = path_str(&file);
    let out = run(&["import-auth0", name]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let prefix = format!("error: {name}: ");
    let located: Vec<&str> = lines
        .iter()
        .map(|line| {
            let rest = line
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{line}"));
            rest.split(": ").next().unwrap_or(rest)
        })
        .collect();
    assert_eq!(
        located,
        [
            "[1].options",
            "[2].name",
            "[3].options.upstream_params.redirect_uri",
            "[3].options.upstream_params.a.b.mode",
        ],
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("options.authorization_endpoint"));
    assert!(!out.stderr.contains("do-not-print-me"), "{}", out.stderr);
}

#[test]
fn json_output_is_one_document_with_pointers_into_the_input() {
    let file = temp_file("import-auth0-json.json", AUTH0.as_bytes());
    let out = run(&["import-auth0", path_str(&file), "--format", "json"]);
    assert_eq!(out.status, 0);
    let got = report(&out);
    let imported = Config::from_auth0_connections(AUTH0).unwrap();
    assert!(got.ok);
    assert_eq!(got.file, path_str(&file));
    let config: Config = serde_json::from_value(got.config.expect("the configuration")).unwrap();
    assert_eq!(config, imported);
    assert_eq!(got.fingerprint, Some(imported.fingerprint()));
    assert_eq!(
        got.skipped,
        [
            Skipped {
                connection: "GitHub".to_owned(),
                path: "[2]".to_owned(),
                pointer: "/2".to_owned(),
                reason: "no options.upstream_params".to_owned(),
            },
            Skipped {
                connection: "Empty".to_owned(),
                path: "[3]".to_owned(),
                pointer: "/3".to_owned(),
                reason: "options.upstream_params is empty".to_owned(),
            },
        ]
    );
    assert!(got.errors.is_empty());
    assert_eq!(got.hint, None);

    // Invalid, in the paginated list: exit 1, every problem with its pointer.
    let list = format!(r#"{{"total": 4, "connections": {BAD}}}"#);
    let out = run_with(&["import-auth0", "-", "--format", "json"], list.as_bytes());
    assert_eq!(out.status, 1);
    let got = report(&out);
    assert!(!got.ok);
    assert_eq!(got.file, "-");
    assert_eq!(got.config, None);
    assert_eq!(got.fingerprint, None);
    let located: Vec<(&str, &str)> = got
        .errors
        .iter()
        .map(|p| (p.path.as_str(), p.pointer.as_str()))
        .collect();
    assert_eq!(
        located,
        [
            ("connections[1].options", "/connections/1/options"),
            ("connections[2].name", "/connections/2/name"),
            (
                "connections[3].options.upstream_params.redirect_uri",
                "/connections/3/options/upstream_params/redirect_uri"
            ),
            (
                "connections[3].options.upstream_params.a.b.mode",
                "/connections/3/options/upstream_params/a.b/mode"
            ),
        ]
    );
    assert!(got.errors.iter().all(|p| !p.message.is_empty()));
    assert!(!out.stdout.contains("do-not-print-me"));
}

#[test]
fn a_file_of_this_crate_s_own_format_gets_a_hint() {
    let own = temp_file(
        "own.json",
        br#"{"connections": {"wordpress": {
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "b"}}}}}"#,
    );
    let name = path_str(&own);
    let out = run(&["import-auth0", name]);
    assert_eq!(out.status, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(&format!(
            "hint: {name} holds this crate's own configuration, not Auth0 connections: \
             did you mean 'upstream-params validate {name}'?"
        )),
        "{}",
        out.stderr
    );
    let out = run(&["import-auth0", name, "--format", "json"]);
    assert_eq!(out.status, 1);
    let got = report(&out);
    assert!(got.hint.is_some_and(|h| h.contains("validate")));
    assert_eq!(got.errors.len(), 1);
    assert_eq!(got.errors[0].pointer, "/connections");
}

#[test]
fn names_are_printed_with_control_characters_escaped() {
    let evil = temp_file(
        "evil.json",
        br#"[{"name": "x\u001b[31m\nerror: forged", "strategy": "github", "options": {}}]"#,
    );
    let out = run(&["import-auth0", path_str(&evil)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(
        out.stderr.contains(r"\u{1b}[31m\nerror: forged"),
        "{}",
        out.stderr
    );
}

#[test]
fn exit_statuses() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let missing = "/nonexistent/upstream-params/auth0.json";
    for file in [missing, dir] {
        let out = run(&["import-auth0", file]);
        assert_eq!(out.status, 2, "{file}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr
                .starts_with(&format!("error: cannot read {file}: ")),
            "{}",
            out.stderr
        );
        let out = run(&["import-auth0", file, "--format", "json"]);
        assert_eq!(out.status, 2);
        let got = report(&out);
        assert!(!got.ok);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].pointer, "");
    }
    // Not JSON, not UTF-8: invalid input, naming the file.
    for (name, contents) in [
        ("not-json.json", &b"[{\"name\": "[..]),
        ("not-utf8.json", &b"[{\"name\": \"\xff\"}]"[..]),
    ] {
        let file = temp_file(name, contents);
        let out = run(&["import-auth0", path_str(&file)]);
        assert_eq!(out.status, 1, "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .starts_with(&format!("error: {}: ", path_str(&file))),
            "{}",
            out.stderr
        );
    }
    // Usage errors.
    for args in [
        vec!["import-auth0"],
        vec!["import-auth0", "-", "--format", "yaml"],
        vec!["import-auth0", "a.json", "b.json"],
    ] {
        let out = run(&args);
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}
