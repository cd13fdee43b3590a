//! The `upstream-params` command (feature `cli`), run as built: output, and exit statuses
//! 0 (success), 1 (invalid configuration), 2 (usage or I/O error).

#![cfg(feature = "cli")]

use tower_upstream_params::{AliasSources, Config, UpstreamValues};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config.json");
const INVALID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/invalid-config.json");
const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json");

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com&prompt=consent&state=xyz%20s";

#[path = "support/run.rs"]
mod run;

use run::{Run, path_str, run, run_shell, run_with_stdin, temp_file};

const MISSING: &str = "/nonexistent/upstream-params/config.json";

const AUTH0: &str = r#"[
  {"name": "WPConn", "strategy": "wordpress", "options": {
    "client_id": "42", "client_secret": "do-not-print-me",
    "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}},
  {"name": "corp", "strategy": "waad", "options": {
    "client_id": "c1", "tenant_domain": "acme.onmicrosoft.com",
    "upstream_params": {"domain_hint": {"value": "acme.com"},
                        "login_hint": {"alias": "login_hint"}}}},
  {"name": "GitHub", "strategy": "github", "options": {}}
]"#;

#[test]
fn validate_accepts_the_example_with_a_summary() {
    let out = run(&["validate", EXAMPLE]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok: "), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let config = Config::from_path(EXAMPLE).unwrap();
    assert!(
        out.stdout.contains("4 connections, 6 params"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&config.fingerprint()));
    for name in config.connection_names() {
        assert!(out.stdout.contains(name), "{name} in {}", out.stdout);
    }
    for line in [
        "twitter (oauth1) https://api.twitter.com/oauth/authorize",
        "  blog: static \"myblog.wordpress.com\" (replace)",
        "  hd: alias \"org_domain\" from broker-provided values only (replace)",
        "client_id=acme.apps.googleusercontent.com",
        "default \"acme.com\"",
    ] {
        assert!(out.stdout.contains(line), "{line:?} in {}", out.stdout);
    }
}

#[test]
fn validate_prints_every_error_with_its_path_and_exits_1() {
    let out = run(&["validate", INVALID]);
    assert_eq!(out.status, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    for path in [
        "connections.x.authorization_url",
        "connections.x.upstream_params.state",
    ] {
        assert!(out.stderr.contains(path), "{path} in {}", out.stderr);
    }
    // One line per problem, exactly the library's, naming the file.
    let error = Config::from_path(INVALID).unwrap_err();
    let expected: Vec<String> = error
        .problems()
        .map(|(path, message)| format!("error: {INVALID}: {path}: {message}"))
        .collect();
    assert_eq!(out.stderr.lines().collect::<Vec<_>>(), expected);

    // Many problems in many places, conflicts between connections included.
    let many = temp_file(
        "many-errors.json",
        br#"{"connections": {
            "a": {"authorization_url": "https://idp.example/authorize",
                  "upstream_params": {"blog": {"alais": "login_hint"},
                                      "redirect_uri": {"value": "x"}}},
            "b": {"authorization_url": "https://idp.example/authorize"},
            "c": {"authorization_url": "ftp://idp.example/", "protocl": "oidc"}},
           "limits": {"max_value_len": "big"}}"#,
    );
    let out = run(&["validate", path_str(&many)]);
    assert_eq!(out.status, 1);
    let error = Config::from_path(&many).unwrap_err();
    assert!(error.problems().count() >= 5, "{error}");
    for (path, message) in error.problems() {
        let line = format!("error: {}: {path}: {message}", path_str(&many));
        assert!(
            out.stderr.lines().any(|l| l == line),
            "{line} in {}",
            out.stderr
        );
    }
}

#[test]
fn each_file_is_read_once_pipes_and_standard_input_included() {
    let text = std::fs::read(EXAMPLE).unwrap();
    let fingerprint = Config::from_path(EXAMPLE).unwrap().fingerprint();
    // `cat config.json | upstream-params validate /dev/stdin`, and `-`.
    for file in ["/dev/stdin", "-"] {
        let out = run_with_stdin(&["validate", file], &text);
        assert_eq!(out.status, 0, "{file}: {}", out.stderr);
        assert!(out.stdout.contains(&fingerprint), "{}", out.stdout);
        let out = run_with_stdin(&["fingerprint", file], &text);
        assert_eq!(out.stdout, format!("{fingerprint}\n"), "{}", out.stderr);
        let out = run_with_stdin(&["explain", file, GOOGLE], &text);
        assert_eq!(out.status, 0, "{file}: {}", out.stderr);
    }
    // `validate <(...)`: a pipe that can be read once.
    let out = run_shell(&format!("\"$BIN\" validate <(cat '{EXAMPLE}')"));
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&fingerprint), "{}", out.stdout);
    // A message about standard input names it.
    let out = run_with_stdin(&["validate", "-"], b"{\"connections\": ");
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.starts_with("error: <stdin>: invalid JSON"),
        "{}",
        out.stderr
    );
    // Standard input cannot be read twice.
    let out = run_with_stdin(&["validate", "-", "-"], &text);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("only once"), "{}", out.stderr);
}

#[test]
fn every_message_names_the_file() {
    for (name, contents) in [
        ("null.json", "null"),
        ("array.json", "[]"),
        ("number.json", "1"),
        ("invalid.json", r#"{"connections": {"x": {}}}"#),
    ] {
        let file = temp_file(name, contents.as_bytes());
        for command in ["validate", "fingerprint"] {
            let out = run(&[command, path_str(&file)]);
            assert_eq!(out.status, 1, "{command} {name}: {}", out.stderr);
            assert!(!out.stderr.is_empty());
            for line in out.stderr.lines() {
                let names = ["error", "hint"]
                    .iter()
                    .any(|kind| line.starts_with(&format!("{kind}: {}: ", path_str(&file))));
                assert!(names, "{command} {name}: {line}");
            }
        }
    }
}

#[test]
fn names_are_printed_with_control_characters_escaped() {
    // A connection name and a file name that would drive the terminal.
    let file = temp_file(
        "evil\u{1b}[2J\nname.json",
        "{\"connections\": {\"evil\\u001b[31m\": {\"authorization_url\": \"https://idp.example/a\",
            \"upstream_params\": {\"blog\": {\"value\": \"b\"}}}}}"
            .as_bytes(),
    );
    for args in [
        vec!["validate", path_str(&file)],
        vec!["explain", path_str(&file), "https://idp.example/a"],
        vec![
            "explain",
            path_str(&file),
            "https://idp.example/a",
            "--connection",
            "x\u{1b}",
        ],
    ] {
        let out = run(&args);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains('\u{1b}'), "{args:?}: {all}");
        assert!(
            all.contains("\\u{1b}") || all.contains("\\u001b"),
            "{args:?}: {all}"
        );
    }
    let missing = format!("{}/no\u{7}such\u{1b}.json", env!("CARGO_TARGET_TMPDIR"));
    let out = run(&["validate", &missing]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("no\\u{7}such\\u{1b}.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_that_is_not_json_or_not_text_is_an_invalid_configuration() {
    for (name, contents) in [
        ("not-json.json", &b"{\"connections\": "[..]),
        ("not-utf8.json", &b"{\"connections\": {\"\xff\": 1}}"[..]),
    ] {
        let file = temp_file(name, contents);
        for command in ["validate", "fingerprint", "import-auth0"] {
            let out = run(&[command, path_str(&file)]);
            assert_eq!(out.status, 1, "{command} {name}: {}", out.stderr);
            assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
            assert!(out.stderr.contains(name), "names the file: {}", out.stderr);
        }
    }
}

#[test]
fn a_file_that_cannot_be_read_is_an_io_error() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    for file in [MISSING, dir] {
        for args in [
            vec!["validate", file],
            vec!["validate", "--auth0", file],
            vec!["fingerprint", file],
            vec!["import-auth0", file],
            vec!["explain", file, GOOGLE],
        ] {
            let out = run(&args);
            assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
            assert!(out.stdout.is_empty());
            assert!(
                out.stderr.contains(&format!("cannot read {file}")),
                "{}",
                out.stderr
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["validate"],
        &["validate", EXAMPLE, "--strict=yes"],
        &["validate", EXAMPLE, "--format", "yaml"],
        &["explain", EXAMPLE, "not a url"],
        &["explain", EXAMPLE, "/o/oauth2/v2/auth?client_id=x"],
        &["explain", EXAMPLE, GOOGLE, "--connection", "nope"],
        &["diff", EXAMPLE],
        &["test", EXAMPLE],
        &["explain", EXAMPLE],
        &["explain", EXAMPLE, GOOGLE, "--value", "org_domain"],
        &["explain", EXAMPLE, GOOGLE, "--value", "=x"],
        &["explain", EXAMPLE, GOOGLE, "--connection"],
        &["fingerprint"],
        &["schema", "extra"],
    ] {
        let out = run(args);
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        // clap's message (the help, when no subcommand is given at all), on stderr.
        assert!(
            out.stderr.starts_with("error: ") || out.stderr.contains("Usage:"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A malformed --value never repeats the argument: it may hold a value.
    let out = run(&["explain", EXAMPLE, GOOGLE, "--value", "jane-secret"]);
    assert_eq!(out.status, 2);
    assert!(!out.stderr.contains("jane-secret"), "{}", out.stderr);
    // A name given twice is ambiguous.
    let out = run(&[
        "explain", EXAMPLE, GOOGLE, "--value", "a=1", "--value", "a=2",
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
}

#[test]
fn help_documents_the_exit_statuses() {
    for args in [
        &["--help"][..],
        &["validate", "--help"],
        &["explain", "--help"],
    ] {
        let out = run(args);
        assert_eq!(out.status, 0);
        assert!(out.stdout.contains("Exit status"), "{}", out.stdout);
        assert!(out.stdout.contains("invalid configuration"));
        assert!(out.stdout.contains("not valid JSON"));
        assert!(out.stdout.contains("cannot be read"));
    }
    // Each command with --format json documents its document's shape.
    for command in ["validate", "explain", "fingerprint", "test", "diff"] {
        let out = run(&[command, "--help"]);
        assert_eq!(out.status, 0);
        assert!(
            out.stdout.contains("JSON output (--format json)"),
            "{command}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("\"pointer\""), "{command}");
    }
    let out = run(&["--version"]);
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn explain_prints_the_connection_outcomes_sources_and_new_url() {
    let secret = "acme-org-secret.example";
    let out = run(&[
        "explain",
        EXAMPLE,
        GOOGLE,
        "--query",
        "client_id=web&login_hint=jane%40acme.com",
        "--value",
        &format!("org_domain={secret}"),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let config = Config::from_path(EXAMPLE).unwrap();
    let values = UpstreamValues::new().with("org_domain", secret);
    let sources = AliasSources::new()
        .query(Some("client_id=web&login_hint=jane%40acme.com"))
        .values(&values);
    let rewrite = config.rewrite_location(GOOGLE, None, &sources);
    let location = rewrite.location().unwrap();
    assert!(location.contains(&format!("hd={secret}")));

    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("config: {EXAMPLE} (fingerprint {})", config.fingerprint())
    );
    assert_eq!(lines[1], "connection: google-acme");
    assert_eq!(
        lines[2],
        "event: INFO redirect to upstream identity provider (rewritten=true, dry_run=false)"
    );
    assert!(
        lines.contains(&format!("new URL: {location}").as_str()),
        "{}",
        out.stdout
    );
    let param_line = |name: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {}", out.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        param_line("prompt"),
        ["prompt", "merged", "source:", "static"]
    );
    assert_eq!(param_line("hd"), ["hd", "added", "source:", "broker"]);
    assert_eq!(
        param_line("login_hint"),
        ["login_hint", "added", "source:", "query"]
    );
    // Each param the library reports, with its outcome and source.
    for param in rewrite.report().unwrap().params() {
        let line = param_line(param.name());
        assert_eq!(line[1], param.outcome().to_string());
        assert_eq!(line.get(3).copied(), param.source().map(|s| s.as_str()));
    }
    // The --value (and the query's values) nowhere but inside the new URL.
    let outside: String = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with("new URL: "))
        .collect();
    assert!(!outside.contains(secret), "{}", out.stdout);
    assert!(!outside.contains("jane"), "{}", out.stdout);
}

#[test]
fn explain_reports_drops_and_unchanged_urls() {
    // No source for the aliases: dropped; the merge alone changes the URL.
    let out = run(&["explain", EXAMPLE, GOOGLE]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("dropped(missing)"), "{}", out.stdout);
    // A value refused by its pattern falls through; nothing changes where nothing applies.
    let twitter = "https://api.twitter.com/oauth/authorize?oauth_token=T";
    let out = run(&["explain", EXAMPLE, twitter]);
    assert_eq!(out.status, 0);
    assert!(
        out.stdout.contains("\nconnection: twitter\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("screen_name  dropped(missing)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("new URL: unchanged\n"),
        "{}",
        out.stdout
    );

    // --connection names the connection as UpstreamConnection would.
    let entra =
        "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/authorize?client_id=x";
    let out = run(&["explain", EXAMPLE, entra, "--connection", "entra"]);
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains("domain_hint  added"), "{}", out.stdout);
    assert!(out.stdout.contains("source: default"), "{}", out.stdout);
    assert!(
        out.stdout.contains("&domain_hint=acme.com\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn explain_of_a_dry_run_connection_changes_nothing() {
    let file = temp_file(
        "dry-run.json",
        br#"{"connections": {"wp": {"dry_run": true,
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}}}"#,
    );
    let out = run(&[
        "explain",
        path_str(&file),
        "https://public-api.wordpress.com/oauth2/authorize?client_id=1",
    ]);
    assert_eq!(out.status, 0);
    assert!(
        out.stdout.contains("\nconnection: wp (dry run"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("blog  added"), "{}", out.stdout);
    assert!(
        out.stdout.contains("new URL: unchanged (dry run"),
        "{}",
        out.stdout
    );
}

#[test]
fn fingerprint_is_the_library_s() {
    let out = run(&["fingerprint", EXAMPLE]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("{}\n", Config::from_path(EXAMPLE).unwrap().fingerprint())
    );
    let out = run(&["fingerprint", INVALID]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("connections.x.upstream_params.state"));
}

#[test]
fn import_auth0_prints_this_crate_s_json_and_round_trips() {
    let file = temp_file("auth0.json", AUTH0.as_bytes());
    let out = run(&["import-auth0", path_str(&file)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let imported = Config::from_auth0_connections(AUTH0).unwrap();
    assert_eq!(out.stdout, format!("{}\n", imported.to_json()));
    let reloaded = Config::from_json(&out.stdout).unwrap();
    assert_eq!(reloaded, imported);
    assert_eq!(reloaded.fingerprint(), imported.fingerprint());
    assert!(!out.stdout.contains("do-not-print-me"));

    // And it validates, with --auth0, as the same configuration.
    let out = run(&["validate", "--auth0", path_str(&file)]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok: "));
    assert!(out.stdout.contains(&imported.fingerprint()));
    assert!(!out.stdout.contains("do-not-print-me"));

    // An endpoint that cannot be known names the option to add; exit 1.
    let bad = temp_file(
        "auth0-bad.json",
        br#"[{"name": "corp-oidc", "strategy": "oidc", "options": {
            "discovery_url": "https://idp.example/.well-known/openid-configuration",
            "upstream_params": {"a": {"value": "b"}}}}]"#,
    );
    for args in [
        vec!["import-auth0", path_str(&bad)],
        vec!["validate", "--auth0", path_str(&bad)],
    ] {
        let out = run(&args);
        assert_eq!(out.status, 1, "{}", out.stderr);
        assert!(out.stderr.contains("[0].options"), "{}", out.stderr);
        assert!(out.stderr.contains("options.authorization_endpoint"));
    }
}

#[test]
fn schema_is_the_file() {
    let out = run(&["schema"]);
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout, std::fs::read_to_string(SCHEMA).unwrap());
}

/// The documented shapes of `--format json`, as serde types: every key required (`req` on
/// the nullable ones), no other key allowed. Parsing a command's stdout into one of these
/// proves it is one JSON document of that shape.
mod shape {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A key that must be there, even when its value is `null`.
    fn req<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Problem {
        #[serde(deserialize_with = "req")]
        pub(crate) file: Option<String>,
        pub(crate) path: String,
        pub(crate) pointer: String,
        pub(crate) message: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Failure {
        pub(crate) status: u8,
        pub(crate) errors: Vec<Problem>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Validate {
        pub(crate) ok: bool,
        pub(crate) strict: bool,
        pub(crate) files: Vec<File>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct File {
        pub(crate) file: String,
        pub(crate) status: String,
        #[serde(deserialize_with = "req")]
        pub(crate) fingerprint: Option<String>,
        pub(crate) connections: Vec<Connection>,
        pub(crate) errors: Vec<Problem>,
        pub(crate) warnings: Vec<Problem>,
        #[serde(deserialize_with = "req")]
        pub(crate) hint: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Connection {
        pub(crate) name: String,
        pub(crate) authorization_url: String,
        #[serde(deserialize_with = "req")]
        pub(crate) client_id: Option<String>,
        pub(crate) protocol: String,
        pub(crate) dry_run: bool,
        pub(crate) params: Vec<Param>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Param {
        pub(crate) name: String,
        pub(crate) kind: String,
        #[serde(deserialize_with = "req")]
        pub(crate) mode: Option<String>,
        #[serde(deserialize_with = "req")]
        pub(crate) alias: Option<String>,
        #[serde(deserialize_with = "req")]
        pub(crate) source: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Fingerprint {
        pub(crate) file: String,
        pub(crate) fingerprint: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ConfigRef {
        pub(crate) file: String,
        pub(crate) fingerprint: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Explain {
        pub(crate) config: ConfigRef,
        pub(crate) url: String,
        #[serde(deserialize_with = "req")]
        pub(crate) connection: Option<String>,
        pub(crate) dry_run: bool,
        #[serde(deserialize_with = "req")]
        pub(crate) event: Option<Event>,
        #[serde(deserialize_with = "req")]
        pub(crate) miss: Option<Miss>,
        pub(crate) params: Vec<Outcome>,
        pub(crate) rewritten: bool,
        #[serde(deserialize_with = "req")]
        pub(crate) location: Option<String>,
        #[serde(deserialize_with = "req")]
        pub(crate) dry_run_location: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Event {
        pub(crate) level: String,
        #[serde(deserialize_with = "req")]
        pub(crate) reason: Option<String>,
        pub(crate) message: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Miss {
        pub(crate) kind: String,
        pub(crate) message: String,
        #[serde(deserialize_with = "req")]
        pub(crate) nearest: Option<Nearest>,
        pub(crate) client_ids: Vec<ClientId>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Nearest {
        pub(crate) connection: String,
        pub(crate) authorization_url: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ClientId {
        pub(crate) connection: String,
        #[serde(deserialize_with = "req")]
        pub(crate) client_id: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Outcome {
        pub(crate) name: String,
        pub(crate) outcome: String,
        #[serde(deserialize_with = "req")]
        pub(crate) source: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Test {
        pub(crate) ok: bool,
        pub(crate) config: ConfigRef,
        pub(crate) cases_file: String,
        pub(crate) total: usize,
        pub(crate) passed: usize,
        pub(crate) failed: usize,
        pub(crate) results: Vec<CaseResult>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct CaseResult {
        pub(crate) index: usize,
        #[serde(deserialize_with = "req")]
        pub(crate) name: Option<String>,
        pub(crate) ok: bool,
        pub(crate) failures: Vec<Mismatch>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Mismatch {
        pub(crate) path: String,
        pub(crate) pointer: String,
        pub(crate) expected: Value,
        pub(crate) actual: Value,
        pub(crate) message: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Diff {
        pub(crate) equal: bool,
        pub(crate) old: ConfigRef,
        pub(crate) new: ConfigRef,
        pub(crate) connections: Vec<ConnectionChange>,
        pub(crate) settings: Vec<Change>,
        pub(crate) undetailed: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ConnectionChange {
        pub(crate) name: String,
        pub(crate) change: String,
        pub(crate) fields: Vec<Change>,
        pub(crate) params: Vec<ParamChange>,
        pub(crate) params_reordered: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ParamChange {
        pub(crate) name: String,
        pub(crate) change: String,
        pub(crate) changes: Vec<Change>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct Change {
        pub(crate) attribute: String,
        pub(crate) old: Value,
        pub(crate) new: Value,
        pub(crate) redacted: bool,
    }
}

/// `out`'s stdout as one JSON document of shape `T`.
fn json<T: serde::de::DeserializeOwned>(out: &Run) -> T {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one document of the documented shape: {e}\n{}{}",
            out.stdout, out.stderr
        )
    })
}

/// A configuration with every warning `validate` gives, and nothing wrong.
const WARNINGS: &str = r#"{"connections": {
    "slash": {"authorization_url": "https://idp.example/authorize/"},
    "plain": {"authorization_url": "http://idp.example/authorize"},
    "local": {"authorization_url": "http://localhost:8080/authorize"},
    "hint": {"authorization_url": "https://hint.example/authorize",
             "upstream_params": {"login_hint": {"value": "jane@acme.com"}}},
    "okta": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
             "upstream_params": {"login_hint": {"alias": "login_hint"}}},
    "okta-pinned": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize",
             "client_id": "acme",
             "upstream_params": {"login_hint": {"alias": "login_hint"}}}
}}"#;

#[test]
fn validate_takes_several_files_and_the_worst_status_wins() {
    let out = run(&["validate", EXAMPLE, INVALID]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!("ok: {EXAMPLE}: ")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!(
            "error: {INVALID}: connections.x.authorization_url: "
        )),
        "{}",
        out.stderr
    );
    let out = run(&["validate", INVALID, MISSING, EXAMPLE]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("error: cannot read {MISSING}"))
    );
    assert!(out.stdout.contains(&format!("ok: {EXAMPLE}: ")));
    let out = run(&["validate", EXAMPLE, EXAMPLE]);
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout.matches("ok: ").count(), 2);
}

#[test]
fn validate_warns_without_changing_the_status_unless_strict() {
    let file = temp_file("warnings.json", WARNINGS.as_bytes());
    let name = path_str(&file);
    let out = run(&["validate", name]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    let expected = [
        "connections.slash.authorization_url: the path ends in '/'",
        "connections.plain.authorization_url: an http URL off loopback",
        "connections.hint.upstream_params.login_hint: a static login_hint",
        "connections.okta.upstream_params.login_hint: a wildcard host without client_id",
    ];
    assert_eq!(warnings.len(), expected.len(), "{}", out.stderr);
    for (line, start) in warnings.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("warning: {name}: {start}")),
            "{line}"
        );
    }
    let out = run(&["validate", "--strict", name]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("error: {name}: 4 warnings with --strict"))
    );

    // An empty configuration loads, with a warning.
    let empty = temp_file("empty.json", b"{}");
    let out = run(&["validate", path_str(&empty)]);
    assert_eq!(out.status, 0);
    assert!(
        out.stderr.starts_with(&format!(
            "warning: {}: the configuration has no connection",
            path_str(&empty)
        )),
        "{}",
        out.stderr
    );
    assert_eq!(run(&["validate", "--strict", path_str(&empty)]).status, 1);
    // The example has none.
    let out = run(&["validate", "--strict", EXAMPLE]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn validate_hints_at_the_other_format() {
    let auth0 = temp_file("hint-auth0.json", AUTH0.as_bytes());
    let out = run(&["validate", path_str(&auth0)]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains(&format!("hint: {}: ", path_str(&auth0)))
            && out.stderr.contains("did you mean --auth0?"),
        "{}",
        out.stderr
    );
    let one = temp_file(
        "hint-auth0-one.json",
        br#"{"name": "WPConn", "strategy": "wordpress", "options": {}}"#,
    );
    assert!(
        run(&["validate", path_str(&one)])
            .stderr
            .contains("did you mean --auth0?")
    );
    let out = run(&["validate", "--auth0", EXAMPLE]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("without --auth0?"), "{}", out.stderr);
    // No hint where the format is right and only the content is wrong.
    assert!(!run(&["validate", INVALID]).stderr.contains("hint:"));
}

#[test]
fn validate_json_has_the_documented_shape_and_status() {
    let config = Config::from_path(EXAMPLE).unwrap();
    let out = run(&["validate", "--format", "json", EXAMPLE]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc: shape::Validate = json(&out);
    assert!(doc.ok && !doc.strict);
    let [file] = &doc.files[..] else {
        panic!("{doc:?}")
    };
    assert_eq!((file.file.as_str(), file.status.as_str()), (EXAMPLE, "ok"));
    assert_eq!(
        file.fingerprint.as_deref(),
        Some(config.fingerprint().as_str())
    );
    assert!(file.errors.is_empty() && file.warnings.is_empty() && file.hint.is_none());
    let names: Vec<&str> = file.connections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, config.connection_names().collect::<Vec<_>>());
    let google = &file.connections[2];
    assert_eq!(
        google.authorization_url,
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(google.params[1].alias.as_deref(), Some("org_domain"));
    assert_eq!(google.params[0].alias, None);
    assert_eq!(
        google.client_id.as_deref(),
        Some("acme.apps.googleusercontent.com")
    );
    assert_eq!(
        (google.protocol.as_str(), google.dry_run),
        ("oauth2", false)
    );
    let kinds: Vec<(&str, &str, Option<&str>, Option<&str>)> = google
        .params
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.kind.as_str(),
                p.mode.as_deref(),
                p.source.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("prompt", "value", Some("merge"), None),
            ("hd", "alias", Some("replace"), Some("broker")),
            ("login_hint", "alias", Some("replace"), Some("any")),
        ]
    );
    // No static value anywhere in it.
    assert!(!out.stdout.contains("select_account"), "{}", out.stdout);
    assert!(!out.stdout.contains("myblog.wordpress.com"));

    // Problems located by JSON Pointer, where names hold dots and spaces.
    let dotted = temp_file(
        "dotted.json",
        br#"{"connections": {
            "acme.com google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "upstream_params": {"hd": {"alais": "org_domain"}}},
            "acme": {"authorization_url": "https://a.example/authorize"}}}"#,
    );
    let warned = temp_file("warned.json", WARNINGS.as_bytes());
    let out = run(&[
        "validate",
        "--format",
        "json",
        path_str(&dotted),
        path_str(&warned),
        MISSING,
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    let doc: shape::Validate = json(&out);
    assert!(!doc.ok);
    let statuses: Vec<&str> = doc.files.iter().map(|f| f.status.as_str()).collect();
    assert_eq!(statuses, ["invalid", "ok", "unreadable"]);
    let invalid = &doc.files[0];
    assert!(invalid.fingerprint.is_none());
    let pointers: Vec<&str> = invalid.errors.iter().map(|p| p.pointer.as_str()).collect();
    assert!(
        pointers.contains(&"/connections/acme.com google/upstream_params/hd/alais"),
        "{pointers:?}"
    );
    for problem in &invalid.errors {
        assert_eq!(problem.file.as_deref(), Some(path_str(&dotted)));
        assert!(
            problem.path.starts_with("connections.acme.com google."),
            "{problem:?}"
        );
    }
    let warnings: Vec<(&str, &str)> = doc.files[1]
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.pointer.as_str()))
        .collect();
    assert_eq!(
        warnings[0],
        (
            "connections.slash.authorization_url",
            "/connections/slash/authorization_url"
        )
    );
    assert_eq!(warnings.len(), 4);
    let unreadable = &doc.files[2];
    assert!(
        unreadable.errors[0]
            .message
            .starts_with(&format!("cannot read {MISSING}"))
    );
    assert_eq!(unreadable.errors[0].pointer, "");
    assert_eq!(unreadable.errors[0].file.as_deref(), Some(MISSING));

    // --strict: the warnings fail the run, and the document says so.
    let out = run(&[
        "validate",
        "--format",
        "json",
        "--strict",
        path_str(&warned),
    ]);
    assert_eq!(out.status, 1);
    let doc: shape::Validate = json(&out);
    assert!(!doc.ok && doc.strict);
    // A file of the other format: its hint.
    let auth0 = temp_file("json-auth0.json", AUTH0.as_bytes());
    let out = run(&["validate", "--format", "json", path_str(&auth0)]);
    assert_eq!(out.status, 1);
    let doc: shape::Validate = json(&out);
    assert!(
        doc.files[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("--auth0")
    );
    // A usage error clap finds prints nothing on stdout.
    let out = run(&["validate", "--format", "json"]);
    assert_eq!(out.status, 2);
    assert!(out.stdout.is_empty());
}

#[test]
fn fingerprint_json_has_the_documented_shape_and_status() {
    let out = run(&["fingerprint", "--format", "json", EXAMPLE]);
    assert_eq!(out.status, 0);
    let doc: shape::Fingerprint = json(&out);
    assert_eq!(doc.file, EXAMPLE);
    assert_eq!(
        doc.fingerprint,
        Config::from_path(EXAMPLE).unwrap().fingerprint()
    );
    let out = run(&["fingerprint", "--format", "json", INVALID]);
    assert_eq!(out.status, 1);
    let doc: shape::Failure = json(&out);
    assert_eq!(doc.status, 1);
    let pointers: Vec<&str> = doc.errors.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/connections/x/authorization_url",
            "/connections/x/upstream_params/state"
        ]
    );
    let out = run(&["fingerprint", "--format", "json", MISSING]);
    assert_eq!(out.status, 2);
    let doc: shape::Failure = json(&out);
    assert_eq!(doc.status, 2);
    assert!(doc.errors[0].message.contains(MISSING));
    assert_eq!(doc.errors[0].file.as_deref(), Some(MISSING));
}

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cases.json");

#[test]
fn test_passes_the_example_cases() {
    let out = run(&["test", EXAMPLE, CASES]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let fingerprint = Config::from_path(EXAMPLE).unwrap().fingerprint();
    assert_eq!(
        out.stdout,
        format!("config: {EXAMPLE} (fingerprint {fingerprint})\nok: {CASES}: 9 cases passed\n")
    );
    let out = run(&["test", "--format", "json", EXAMPLE, CASES]);
    assert_eq!(out.status, 0);
    let doc: shape::Test = json(&out);
    assert!(doc.ok);
    assert_eq!((doc.total, doc.passed, doc.failed), (9, 9, 0));
    assert_eq!(doc.config.fingerprint, fingerprint);
    assert_eq!(doc.cases_file, CASES);
    assert!(doc.results.iter().all(|r| r.ok && r.failures.is_empty()));
    assert_eq!(doc.results[4].index, 4);
    assert_eq!(
        doc.results[4].name.as_deref(),
        Some("WordPress gets its static blog")
    );
}

#[test]
fn test_prints_every_failing_case_with_expected_and_actual() {
    let cases = temp_file(
        "failing-cases.json",
        br#"{"$schema": "ignored", "cases": [
          {"name": "passes", "url": "https://api.twitter.com/oauth/authorize?oauth_token=T",
           "query": "login_hint=jack",
           "expect": {"connection": "twitter", "params": {"screen_name": "added"}}},
          {"name": "wrong outcome and URL",
           "url": "https://public-api.wordpress.com/oauth2/authorize?client_id=1",
           "expect": {"connection": "wordpress", "params": {"blog": "replaced", "extra": "added"},
                      "url": null}},
          {"url": "https://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com",
           "values": {"org_domain": "acme.com"},
           "expect": {"connection": null, "params": {}}}
        ]}"#,
    );
    let out = run(&["test", EXAMPLE, path_str(&cases)]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    let name = path_str(&cases);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1..],
        [
            format!(
                "FAILED: {name}: case 1 \"wrong outcome and URL\" \
                 (https://public-api.wordpress.com/oauth2/authorize?client_id=1):"
            )
            .as_str(),
            "  params.blog: expected replaced, got added",
            "  params.extra: expected added, got no report of it",
            "  url: expected unchanged, got \"https://public-api.wordpress.com/oauth2/authorize?client_id=1&blog=myblog.wordpress.com\"",
            format!(
                "FAILED: {name}: case 2 \
                 (https://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com):"
            )
            .as_str(),
            "  connection: expected none, got \"google-acme\"",
            "  params.hd: not expected, got added",
            "  params.login_hint: not expected, got dropped(missing)",
            "  params.prompt: not expected, got added",
            format!("FAILED: {name}: 2 of 3 cases failed").as_str(),
        ],
        "{}",
        out.stdout
    );

    let out = run(&["test", "--format", "json", EXAMPLE, name]);
    assert_eq!(out.status, 1);
    let doc: shape::Test = json(&out);
    assert!(!doc.ok);
    assert_eq!((doc.total, doc.passed, doc.failed), (3, 1, 2));
    let failure = &doc.results[1].failures[0];
    assert_eq!(failure.path, "cases[1].expect.params.blog");
    assert_eq!(failure.message, "params.blog: expected replaced, got added");
    assert_eq!(failure.pointer, "/cases/1/expect/params/blog");
    assert_eq!(failure.expected, serde_json::json!("replaced"));
    assert_eq!(failure.actual, serde_json::json!("added"));
    let url = &doc.results[1].failures[2];
    assert_eq!(
        (url.pointer.as_str(), &url.expected),
        ("/cases/1/expect/url", &serde_json::Value::Null)
    );
    assert_eq!(
        doc.results[2].failures[0].actual,
        serde_json::json!("google-acme")
    );
}

#[test]
fn test_refuses_a_cases_file_it_cannot_read_as_cases() {
    for (name, contents, what) in [
        (
            "cases-typo.json",
            r#"{"cases": [{"url": "https://x.example/", "expct": {}}]}"#,
            "expct",
        ),
        (
            "cases-no-expect-connection.json",
            r#"{"cases": [{"url": "https://x.example/", "expect": {}}]}"#,
            "connection",
        ),
        (
            "cases-outcome.json",
            r#"{"cases": [{"url": "https://x.example/", "expect": {"connection": null, "params": {"a": "add"}}}]}"#,
            "unknown outcome \"add\"",
        ),
        ("cases-empty.json", r#"{"cases": []}"#, "no case"),
        ("cases-array.json", r#"[]"#, "not a cases file"),
    ] {
        let file = temp_file(name, contents.as_bytes());
        let out = run(&["test", EXAMPLE, path_str(&file)]);
        assert_eq!(out.status, 1, "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .starts_with(&format!("error: {}: ", path_str(&file))),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(what), "{name}: {}", out.stderr);
        let out = run(&["test", "--format", "json", EXAMPLE, path_str(&file)]);
        let doc: shape::Failure = json(&out);
        assert_eq!((out.status, doc.status), (1, 1));
    }
    let out = run(&["test", "--format", "json", EXAMPLE, MISSING]);
    assert_eq!(out.status, 2);
    assert_eq!(json::<shape::Failure>(&out).status, 2);
    let out = run(&["test", INVALID, CASES]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains(&format!("error: {INVALID}: connections.x"))
    );
}

#[test]
fn diff_says_what_a_change_does_without_printing_a_value() {
    let old = temp_file(
        "diff-old.json",
        br#"{"connections": {
          "wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
                        "upstream_params": {"blog": {"value": "old-secretish-blog"}}},
          "twitter": {"protocol": "oauth1", "authorization_url": "https://api.twitter.com/oauth/authorize"},
          "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                     "client_id": "a",
                     "upstream_params": {"prompt": {"value": "select_account", "mode": "merge"},
                                         "hd": {"alias": "login_hint", "source": "broker", "default": "old-default"}}}},
          "limits": {"max_value_len": 2048}}"#,
    );
    let new = temp_file(
        "diff-new.json",
        br#"{"connections": {
          "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                     "client_id": "b", "dry_run": true,
                     "upstream_params": {"hd": {"alias": "login_hint", "source": "any", "default": "new-default"},
                                         "prompt": {"value": "select_account"},
                                         "display": {"remove": true}}},
          "wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
                        "upstream_params": {"blog": {"value": "new-secretish-blog"}}},
          "okta": {"authorization_url": "https://*.okta.com/oauth2/v1/authorize", "client_id": "c",
                   "upstream_params": {"acr_values": {"value": "phr-secretish"}}}},
          "query_aliases": ["domain_hint"], "limits": {"max_value_len": 4096}}"#,
    );
    let (old, new) = (path_str(&old), path_str(&new));
    let fingerprint = |f: &str| Config::from_path(f).unwrap().fingerprint();
    let out = run(&["diff", old, new]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            format!("old: {old} (fingerprint {})", fingerprint(old)).as_str(),
            format!("new: {new} (fingerprint {})", fingerprint(new)).as_str(),
            "~ connection \"wordpress\"",
            "    ~ param \"blog\": value changed",
            "- connection \"twitter\"",
            "~ connection \"google\"",
            "    client_id: \"a\" -> \"b\"",
            "    dry_run: false -> true",
            "    ~ param \"prompt\": mode: \"merge\" -> \"replace\"",
            "    ~ param \"hd\": source: \"broker\" -> \"any\", default changed",
            "    + param \"display\": kind \"remove\"",
            "    params reordered (they are applied in order)",
            "+ connection \"okta\"",
            "    authorization_url: \"https://*.okta.com/oauth2/v1/authorize\"",
            "    client_id: \"c\"",
            "    protocol: \"oauth2\"",
            "    dry_run: false",
            "    + param \"acr_values\": kind \"value\", mode \"replace\", value set",
            "~ limits.max_value_len: 2048 -> 4096",
            "~ query_aliases: (none) -> [\"domain_hint\"]",
            "connections: 1 to add, 2 to change, 1 to remove",
        ],
        "{}",
        out.stdout
    );
    let out_json = run(&["diff", "--format", "json", old, new]);
    assert_eq!(out_json.status, 1);
    for output in [&out.stdout, &out_json.stdout] {
        for value in ["secretish", "old-default", "new-default", "select_account"] {
            assert!(!output.contains(value), "{value} in {output}");
        }
    }
    let doc: shape::Diff = json(&out_json);
    assert!(!doc.equal && !doc.undetailed);
    assert_eq!(doc.old.fingerprint, fingerprint(old));
    assert_eq!(doc.new.file, new);
    let changes: Vec<(&str, &str)> = doc
        .connections
        .iter()
        .map(|c| (c.name.as_str(), c.change.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("wordpress", "changed"),
            ("twitter", "removed"),
            ("google", "changed"),
            ("okta", "added")
        ]
    );
    let google = &doc.connections[2];
    let fields: Vec<&str> = google.fields.iter().map(|c| c.attribute.as_str()).collect();
    assert_eq!(fields, ["client_id", "dry_run"]);
    let params: Vec<(&str, &str)> = google
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.change.as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("prompt", "changed"),
            ("hd", "changed"),
            ("display", "added")
        ]
    );
    let blog = &doc.connections[0].params[0].changes[0];
    assert_eq!((blog.attribute.as_str(), blog.redacted), ("value", true));
    assert!(blog.old.is_null() && blog.new.is_null());
    assert!(doc.connections[2].params_reordered);
    let settings: Vec<&str> = doc.settings.iter().map(|c| c.attribute.as_str()).collect();
    assert_eq!(settings, ["limits.max_value_len", "query_aliases"]);
}

#[test]
fn diff_of_equal_configurations_exits_0_and_errors_exit_1_or_2() {
    // Another order, defaults written out: the same configuration.
    let same = temp_file(
        "diff-same.json",
        br#"{"limits": {"max_location_len": 8192, "max_value_len": 2048},
             "query_aliases": ["domain_hint", "domain_hint"],
             "connections": {
          "entra": {"authorization_url": "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
                    "protocol": "oauth2", "dry_run": false,
                    "upstream_params": {"domain_hint": {"alias": "domain_hint", "default": "acme.com",
                                                        "source": "any", "mode": "replace"}}},
          "google-acme": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "client_id": "acme.apps.googleusercontent.com",
            "upstream_params": {
              "prompt": {"value": "select_account", "mode": "merge"},
              "hd": {"alias": "org_domain", "source": "broker"},
              "login_hint": {"alias": "login_hint", "pattern": "[^@]+@acme\\.com", "max_len": 254}}},
          "twitter": {"protocol": "oauth1", "authorization_url": "https://api.twitter.com/oauth/authorize",
                      "upstream_params": {"screen_name": {"alias": "login_hint"}}},
          "wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
                        "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}}}"#,
    );
    let out = run(&["diff", EXAMPLE, path_str(&same)]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .ends_with("no changes: the two configurations are equal\n")
    );
    let out = run(&["diff", "--format", "json", EXAMPLE, path_str(&same)]);
    assert_eq!(out.status, 0);
    let doc: shape::Diff = json(&out);
    assert!(doc.equal && doc.connections.is_empty() && doc.settings.is_empty());
    assert_eq!(doc.old.fingerprint, doc.new.fingerprint);

    let out = run(&["diff", EXAMPLE, INVALID]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains(&format!("error: {INVALID}: ")));
    assert!(out.stdout.is_empty());
    let out = run(&["diff", "--format", "json", MISSING, EXAMPLE]);
    assert_eq!(out.status, 2);
    assert_eq!(json::<shape::Failure>(&out).status, 2);
    let text = std::fs::read(EXAMPLE).unwrap();
    let out = run_with_stdin(&["diff", "-", EXAMPLE], &text);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("old: <stdin> (fingerprint "));
    assert_eq!(run_with_stdin(&["diff", "-", "-"], &text).status, 2);
}

/// `explain`'s `event:` and `why:` lines, and its JSON `miss.kind` and `event.reason`.
fn explain_miss(args: &[&str]) -> (String, String, String, Option<String>) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(out.status, 0, "{args:?}: {}", out.stderr);
    let line = |start: &str| {
        out.stdout
            .lines()
            .find_map(|l| l.strip_prefix(start))
            .unwrap_or_else(|| panic!("{start} in {}", out.stdout))
            .to_owned()
    };
    assert_eq!(line("connection: "), "none selected", "{}", out.stdout);
    assert!(
        out.stdout.ends_with("new URL: unchanged\n"),
        "{}",
        out.stdout
    );
    all.extend_from_slice(&["--format", "json"]);
    let doc: shape::Explain = json(&run(&all));
    assert!(doc.connection.is_none() && doc.params.is_empty() && doc.location.is_none());
    let miss = doc.miss.expect("a miss");
    assert_eq!(
        doc.event.as_ref().map(|e| e.reason.clone()),
        match line("event: ").as_str() {
            "none (the layer does not report this redirect)" => None,
            event => Some(event.split_once(' ').map(|(_, r)| r.to_owned())),
        },
        "{}",
        out.stdout
    );
    (
        line("event: "),
        line("why: "),
        miss.kind,
        doc.event.and_then(|e| e.reason),
    )
}

#[test]
fn explain_names_the_check_that_failed_and_the_nearest_miss() {
    // No configured origin.
    let (event, why, kind, _) = explain_miss(&[EXAMPLE, "https://idp.example/authorize?x=1"]);
    assert_eq!(event, "none (the layer does not report this redirect)");
    assert_eq!(why, "no connection is configured on https://idp.example");
    assert_eq!(kind, "not_configured");
    // The same host on another scheme: named as the nearest.
    let (_, why, kind, _) = explain_miss(&[
        EXAMPLE,
        "http://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com",
    ]);
    assert_eq!(kind, "not_configured");
    assert!(why.contains("nearest: connection \"google-acme\""), "{why}");

    // A configured origin whose path differs by a trailing slash.
    let (event, why, kind, reason) = explain_miss(&[
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth/?client_id=acme.apps.googleusercontent.com",
    ]);
    assert_eq!(
        (event.as_str(), kind.as_str()),
        ("DEBUG no_endpoint", "no_endpoint")
    );
    assert_eq!(reason.as_deref(), Some("no_endpoint"));
    assert_eq!(
        why,
        "https://accounts.google.com is a configured origin, but no authorization_url there \
         has the path \"/o/oauth2/v2/auth/\"; nearest: connection \"google-acme\" at \
         https://accounts.google.com/o/oauth2/v2/auth (the paths differ only by a trailing slash)"
    );
    let doc: shape::Explain = json(&run(&[
        "explain",
        "--format",
        "json",
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth/?client_id=acme.apps.googleusercontent.com",
    ]));
    let nearest = doc
        .miss
        .and_then(|m| m.nearest)
        .expect("the nearest connection");
    assert_eq!(
        (
            nearest.connection.as_str(),
            nearest.authorization_url.as_str()
        ),
        (
            "google-acme",
            "https://accounts.google.com/o/oauth2/v2/auth"
        )
    );
    // ... and the nearest of several paths on one origin.
    let (_, why, _, _) = explain_miss(&[
        EXAMPLE,
        "https://login.microsoftonline.com/acme.onmicrosoft.com/oauth2/v2.0/authorise",
    ]);
    assert!(why.contains("nearest: connection \"entra\""), "{why}");
    assert!(!why.contains("trailing slash"), "{why}");

    // A configured endpoint whose client_id selects no connection: the client_ids there.
    let (event, why, kind, _) = explain_miss(&[
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=other",
    ]);
    assert_eq!(
        (event.as_str(), kind.as_str()),
        ("WARN no_connection", "no_connection")
    );
    assert_eq!(
        why,
        "the URL is at a configured endpoint, but the URL's client_id \"other\" selects none \
         of the connections there: \"google-acme\" (client_id \"acme.apps.googleusercontent.com\")"
    );
    let out = run(&[
        "explain",
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=other",
        "--format",
        "json",
    ]);
    let doc: shape::Explain = json(&out);
    let ids: Vec<(String, Option<String>)> = doc
        .miss
        .expect("a miss")
        .client_ids
        .into_iter()
        .map(|c| (c.connection, c.client_id))
        .collect();
    assert_eq!(
        ids,
        [(
            "google-acme".to_owned(),
            Some("acme.apps.googleusercontent.com".to_owned())
        )]
    );
    let (_, why, kind, _) = explain_miss(&[
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=a&client_id=b",
    ]);
    assert_eq!(kind, "no_connection");
    assert!(why.contains("given more than once"), "{why}");

    // A named connection that is not a candidate.
    let (event, why, kind, _) = explain_miss(&[EXAMPLE, GOOGLE, "--connection", "twitter"]);
    assert_eq!(
        (event.as_str(), kind.as_str()),
        ("WARN not_candidate", "not_candidate")
    );
    assert_eq!(
        why,
        "the broker names connection \"twitter\", whose authorization_url is \
         https://api.twitter.com/oauth/authorize: the URL is not at that endpoint"
    );
    // A URL that is not visible ASCII, as the layer never receives it.
    let (event, _, kind, _) = explain_miss(&[
        EXAMPLE,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com&x=\u{f6}",
    ]);
    assert_eq!(
        (event.as_str(), kind.as_str()),
        ("DEBUG non_ascii_location", "not_ascii")
    );
}

#[test]
fn explain_refuses_a_url_that_is_not_absolute_and_an_unknown_connection() {
    for (args, what) in [
        (vec!["explain", EXAMPLE, "not a url"], "not an absolute URL"),
        (
            vec!["explain", EXAMPLE, "/o/oauth2/v2/auth"],
            "not an absolute URL",
        ),
        (
            vec!["explain", EXAMPLE, GOOGLE, "--connection", "nope"],
            "--connection \"nope\": no connection has that name",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status, 2, "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains(what), "{}", out.stderr);
        let mut json_args = args.clone();
        json_args.extend(["--format", "json"]);
        let out = run(&json_args);
        assert_eq!(out.status, 2);
        let doc: shape::Failure = json(&out);
        assert_eq!(doc.status, 2);
        assert!(doc.errors[0].file.is_none() && doc.errors[0].message.contains(what));
    }
    // An invalid configuration: 1, its problems located.
    let out = run(&["explain", "--format", "json", INVALID, GOOGLE]);
    assert_eq!(out.status, 1);
    let doc: shape::Failure = json(&out);
    assert_eq!(doc.errors[0].pointer, "/connections/x/authorization_url");
}

#[test]
fn explain_json_reports_the_selection_and_the_dry_run_url() {
    let out = run(&[
        "explain",
        "--format",
        "json",
        EXAMPLE,
        GOOGLE,
        "--value",
        "org_domain=acme.com",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc: shape::Explain = json(&out);
    let config = Config::from_path(EXAMPLE).unwrap();
    assert_eq!(doc.config.fingerprint, config.fingerprint());
    assert_eq!(doc.config.file, EXAMPLE);
    assert_eq!(doc.url, GOOGLE);
    assert_eq!(doc.connection.as_deref(), Some("google-acme"));
    assert!(doc.miss.is_none() && !doc.dry_run && doc.rewritten);
    let event = doc.event.expect("an event");
    assert_eq!((event.level.as_str(), event.reason), ("INFO", None));
    assert_eq!(event.message, "redirect to upstream identity provider");
    let params: Vec<(&str, &str, Option<&str>)> = doc
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.outcome.as_str(), p.source.as_deref()))
        .collect();
    assert_eq!(
        params,
        [
            ("prompt", "merged", Some("static")),
            ("hd", "added", Some("broker")),
            ("login_hint", "dropped(missing)", None),
        ]
    );
    assert!(
        doc.location
            .as_deref()
            .unwrap_or("")
            .ends_with("&hd=acme.com")
    );
    assert!(doc.dry_run_location.is_none());

    // A dry run: no new URL, the URL the rules would produce beside it.
    let file = temp_file(
        "explain-dry-run.json",
        br#"{"connections": {"wp": {"dry_run": true,
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}}}"#,
    );
    let url = "https://public-api.wordpress.com/oauth2/authorize?client_id=1";
    let would_be = format!("{url}&blog=myblog.wordpress.com");
    let out = run(&["explain", path_str(&file), url]);
    assert!(
        out.stdout.contains("new URL: unchanged (dry run"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(&format!("dry-run URL: {would_be}\n")),
        "{}",
        out.stdout
    );
    let doc: shape::Explain = json(&run(&["explain", "--format", "json", path_str(&file), url]));
    assert!(doc.dry_run && doc.rewritten && doc.location.is_none());
    assert_eq!(doc.dry_run_location.as_deref(), Some(would_be.as_str()));
}

#[test]
fn explain_reads_a_query_with_its_question_mark_or_its_url_and_redacts_values() {
    for query in [
        "login_hint=jane%40acme.com",
        "?login_hint=jane%40acme.com",
        "https://broker.example/authorize?client_id=web&login_hint=jane%40acme.com#frag",
    ] {
        let out = run(&["explain", EXAMPLE, GOOGLE, "--query", query]);
        assert_eq!(out.status, 0);
        assert!(
            out.stdout
                .contains("login_hint  added             source: query"),
            "{query}: {}",
            out.stdout
        );
    }
    let out = run(&[
        "explain",
        EXAMPLE,
        GOOGLE,
        "--query",
        "login_hint=jane%40acme.com",
        "--value",
        "org_domain=acme-secret.example",
        "--redact",
    ]);
    assert_eq!(out.status, 0);
    for value in ["jane", "acme-secret", "xyz", "consent"] {
        assert!(!out.stdout.contains(value), "{value} in {}", out.stdout);
    }
    assert!(
        out.stdout.contains(
            "new URL: https://accounts.google.com/o/oauth2/v2/auth?client_id=<31>&prompt=<22>\
             &state=<5>&hd=<19>&login_hint=<13>\n"
        ),
        "{}",
        out.stdout
    );
    let doc: shape::Explain = json(&run(&[
        "explain", "--format", "json", EXAMPLE, GOOGLE, "--redact",
    ]));
    assert_eq!(
        doc.url,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=<31>&prompt=<7>&state=<5>"
    );
}

#[test]
fn explain_reports_the_event_the_engine_decides() {
    let config = Config::from_path(EXAMPLE).unwrap();
    for (url, named) in [
        (GOOGLE, None),
        ("https://idp.example/authorize", None),
        (
            "https://accounts.google.com/o/oauth2/v2/auth/?client_id=x",
            None,
        ),
        (
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x",
            None,
        ),
        (
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x",
            Some("twitter"),
        ),
        ("https://idp.example/authorize", Some("twitter")),
        (
            "https://accounts.google.com/o/oauth2/v2/auth?x=\u{7f}",
            None,
        ),
        ("http:accounts.google.com/o/oauth2/v2/auth", None),
    ] {
        let rewrite = config.rewrite_location(url, named, &AliasSources::new());
        let mut args = vec!["explain", "--format", "json", EXAMPLE, url];
        if let Some(name) = named {
            args.extend(["--connection", name]);
        }
        let out = run(&args);
        assert_eq!(out.status, 0, "{url}: {}", out.stderr);
        let doc: shape::Explain = json(&out);
        let miss = rewrite.miss();
        assert_eq!(doc.connection.is_none(), miss.is_some(), "{url}");
        let event = doc.event.as_ref();
        if let Some(miss) = miss {
            assert_eq!(
                event.and_then(|e| e.reason.as_deref()),
                miss.reason(),
                "{url}"
            );
            assert_eq!(
                event.map(|e| e.level.clone()),
                miss.level().map(|l| l.to_string()),
                "{url}"
            );
            assert!(!doc.miss.expect("a miss").message.is_empty());
        } else {
            assert_eq!(event.map(|e| e.level.as_str()), Some("INFO"), "{url}");
        }
    }
}

/// A transform is a setting of its own: `diff` names it, not "other changes".
#[test]
fn diff_names_a_changed_transform() {
    let old = temp_file(
        "diff-transform-old.json",
        br#"{"connections": {"entra": {
            "authorization_url": "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
            "upstream_params": {"domain_hint": {"alias": "login_hint"}}}}}"#,
    );
    let new = temp_file(
        "diff-transform-new.json",
        br#"{"connections": {"entra": {
            "authorization_url": "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
            "upstream_params": {"domain_hint": {"alias": "login_hint", "transform": "email_domain"}}}}}"#,
    );
    let out = run(&["diff", path_str(&old), path_str(&new)]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stdout.contains("transform"), "{}", out.stdout);
    assert!(out.stdout.contains("email_domain"), "{}", out.stdout);
    assert!(!out.stdout.contains("other changes"), "{}", out.stdout);
}
