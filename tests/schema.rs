//! `config.schema.json` against the loader: every configuration the loader accepts validates
//! against the schema; the structurally invalid ones fail both; the semantic errors that a
//! JSON Schema cannot express are the loader's alone.
//!
//! The corpus is the test suite's own: the example configurations, the README's JSON, and
//! the configurations of `tests/it/` (seeds, rules, config, config_attacks), copied here and
//! sorted into three lists, plus configurations generated key by key. Each list asserts what
//! the loader does with its entries too, so that the corpus cannot rot: an entry the loader
//! starts to treat differently fails here and has to move.

use std::sync::OnceLock;

use serde_json::Value;
use tower_upstream_params::Config;

#[path = "support/reserved.rs"]
mod reserved;

use reserved::RESERVED;

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json");

/// The schema, compiled once (boon checks it against the draft 2020-12 meta-schema).
struct Compiled {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

fn schema_json() -> Value {
    let text = std::fs::read_to_string(SCHEMA_PATH).expect("config.schema.json is readable");
    serde_json::from_str(&text).expect("config.schema.json is JSON")
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("file:///config.schema.json", schema_json())
            .expect("the schema is added");
        let index = compiler
            .compile("file:///config.schema.json", &mut schemas)
            .unwrap_or_else(|e| panic!("config.schema.json does not compile: {e:#}"));
        Compiled { schemas, index }
    })
}

/// Validates `json` (JSON text) against the schema: `Err` with boon's message if it fails.
fn schema(json: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("corpus entry is not JSON ({e}): {}", short(json)));
    let compiled = compiled();
    compiled
        .schemas
        .validate(&value, compiled.index)
        .map_err(|e| format!("{e}"))
}

fn loader(json: &str) -> Result<(), String> {
    Config::from_json(json).map(drop).map_err(|e| e.to_string())
}

fn short(json: &str) -> String {
    let mut end = json.len().min(240);
    while !json.is_char_boundary(end) {
        end -= 1;
    }
    let cut = if end < json.len() { " ..." } else { "" };
    format!("{}{cut}", &json[..end])
}

/// Panics with every failure at once, so that one run shows all entries to fix.
fn report(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} {what}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------
// Building blocks for the corpus.

const IDP: &str = "https://idp.example/a";
const WORDPRESS: &str = "https://public-api.wordpress.com/oauth2/authorize";
const TWITTER: &str = "https://api.twitter.com/oauth/authorize";
const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const ENTRA: &str = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize";

/// One connection `c` on [`IDP`] with `rest` after its `authorization_url` (nothing, or
/// `, "key": value` pairs).
fn connection_with(rest: &str) -> String {
    format!(r#"{{"connections": {{"c": {{"authorization_url": "{IDP}"{rest}}}}}}}"#)
}

/// One connection `c` whose body is exactly `body`.
fn connection(body: &str) -> String {
    format!(r#"{{"connections": {{"c": {{{body}}}}}}}"#)
}

/// One connection `name` on `url` with `params` (a JSON object's text).
fn one(name: &str, url: &str, params: &str) -> String {
    format!(
        r#"{{"connections": {{"{name}": {{"authorization_url": "{url}", "upstream_params": {params}}}}}}}"#
    )
}

fn with_params(params: &str) -> String {
    one("c", IDP, params)
}

/// One param named `p`.
fn with_param(param: &str) -> String {
    with_named("p", param)
}

fn with_named(name: &str, param: &str) -> String {
    with_params(&format!(r#"{{{}: {param}}}"#, json_string(name)))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The ```json blocks of a Markdown file.
fn markdown_json_blocks(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```json") => current = Some(String::new()),
            None => {}
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push((
                    format!("{path} block {}", blocks.len() + 1),
                    std::mem::take(block),
                ));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

/// The configurations in `examples/` (`*.json` but the cases files of `upstream-params test`,
/// `*cases.json`).
fn example_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.to_string_lossy().ends_with("cases.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples/*.json");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect()
}

fn labelled(jsons: impl IntoIterator<Item = String>) -> Vec<(String, String)> {
    jsons.into_iter().map(|j| (short(&j), j)).collect()
}

// ---------------------------------------------------------------------------------------
// (a) Configurations the loader accepts: each must validate.

/// The design example (tests/it/config.rs `FULL`, README, DESIGN.md).
const FULL: &str = r#"{
  "connections": {
    "wordpress": {
      "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
      "upstream_params": { "blog": { "value": "myblog.wordpress.com" } }
    },
    "twitter": {
      "protocol": "oauth1",
      "authorization_url": "https://api.twitter.com/oauth/authorize",
      "upstream_params": { "screen_name": { "alias": "login_hint" } }
    },
    "google-acme": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "acme.apps.googleusercontent.com",
      "upstream_params": {
        "prompt": { "value": "select_account", "mode": "merge" },
        "hd": { "alias": "org_domain", "source": "broker" },
        "login_hint": { "alias": "login_hint", "pattern": "[^@]+@acme\\.com", "max_len": 254 }
      }
    }
  },
  "query_aliases": ["domain_hint"],
  "limits": { "max_value_len": 2048, "max_location_len": 8192 }
}"#;

fn valid() -> Vec<(String, String)> {
    let mut all = vec![("tests/it/config.rs FULL".to_owned(), FULL.to_owned())];
    all.extend(example_files());
    // The README's configurations (its JSON blocks with a "connections" key).
    all.extend(
        markdown_json_blocks(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .into_iter()
            .filter(|(_, json)| {
                serde_json::from_str::<Value>(json).is_ok_and(|v| v.get("connections").is_some())
            }),
    );

    let mut literal: Vec<String> = vec![
        // Empty and minimal.
        "{}".into(),
        r#"{"connections": {}}"#.into(),
        r#"{"query_aliases": []}"#.into(),
        r#"{"limits": {}}"#.into(),
        r#"{"connections": {}, "query_aliases": [], "limits": {}}"#.into(),
        connection_with(""),
        connection_with(r#", "upstream_params": {}"#),
        connection_with(r#", "client_id": "c1", "protocol": "oidc""#),
        // Limits at their bounds.
        r#"{"limits": {"max_value_len": 1, "max_location_len": 1}}"#.into(),
        r#"{"limits": {"max_value_len": 4294967295, "max_location_len": 4294967295}}"#.into(),
        // tests/it/seeds.rs
        one("wordpress", WORDPRESS, r#"{"blog": {"value": "myblog.wordpress.com"}}"#),
        format!(
            r#"{{"connections": {{"twitter": {{"protocol": "oauth1",
                "authorization_url": "{TWITTER}",
                "upstream_params": {{"screen_name": {{"alias": "login_hint"}}}}}}}}}}"#
        ),
        one(
            "google",
            GOOGLE,
            r#"{"prompt": {"value": "login"}, "username": {"alias": "login_hint"}}"#,
        ),
        one("google", GOOGLE, r#"{"prompt": {"value": "select_account"}}"#),
        one("entra", ENTRA, r#"{"login_hint": {"alias": "login_hint"}}"#),
        one(
            "x",
            TWITTER,
            r#"{"screen_name": {"alias": "login_hint", "source": "broker"}}"#,
        ),
        one(
            "idp",
            "https://idp.example/oauth2/auth",
            r#"{"username": {"alias": "login_hint"}}"#,
        ),
        // tests/it/rules.rs
        with_params(r#"{"hd": {"alias": "login_hint", "default": "acme.com"}}"#),
        with_params(r#"{"hd": {"alias": "org_domain", "source": "broker"}}"#),
        with_params(r#"{"lh": {"alias": "login_hint", "source": "query"}}"#),
        with_params(r#"{"lh": {"alias": "login_hint", "pattern": "[a-z]+@acme\\.com"}}"#),
        with_params(r#"{"prompt": {"value": "select_account", "mode": "keep"}}"#),
        with_params(r#"{"audience": {"remove": true}}"#),
        with_params(r#"{"scope": {"value": "offline_access", "mode": "merge"}}"#),
        with_params(r#"{"lh": {"alias": "login_hint", "max_len": 5}}"#),
        with_params(r#"{"lh": {"alias": "login_hint", "default": "d"}}"#),
        format!(
            r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
                "upstream_params": {{"lh": {{"alias": "login_hint"}}}}}}}},
                "limits": {{"max_value_len": 3}}}}"#
        ),
        format!(
            r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
                "upstream_params": {{"b": {{"value": "2"}}}}}}}},
                "limits": {{"max_location_len": 40}}}}"#
        ),
        format!(
            r#"{{"connections": {{"entra": {{"authorization_url": "{IDP}",
                "upstream_params": {{"domain_hint": {{"alias": "domain_hint"}}}}}}}},
                "query_aliases": ["domain_hint"]}}"#
        ),
        one(
            "entra",
            "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
            r#"{"domain_hint": {"value": "acme.com"}}"#,
        ),
        r#"{"connections": {
            "any": {"authorization_url": "https://idp.example/*/*/auth", "upstream_params": {"w": {"value": "any"}}},
            "left": {"authorization_url": "https://idp.example/t/*/auth", "upstream_params": {"w": {"value": "left"}}},
            "right": {"authorization_url": "https://idp.example/*/x/auth", "upstream_params": {"w": {"value": "right"}}},
            "exact": {"authorization_url": "https://idp.example/t/x/auth", "upstream_params": {"w": {"value": "exact"}}}
        }}"#
        .into(),
        r#"{"connections": {
            "acme": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                     "client_id": "acme", "upstream_params": {"hd": {"value": "acme.com"}}},
            "globex": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                       "client_id": "globex", "upstream_params": {"hd": {"value": "globex.com"}}},
            "plain": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                      "upstream_params": {"prompt": {"value": "select_account"}}}
        }}"#
        .into(),
        r#"{"connections": {
            "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                       "upstream_params": {"a": {"value": "1"}}},
            "github": {"authorization_url": "https://github.com/login/oauth/authorize",
                       "upstream_params": {"b": {"value": "2"}}}
        }}"#
        .into(),
        r#"{"connections": {"saml": {"protocol": "saml",
            "authorization_url": "https://idp.example/saml2/sso",
            "upstream_params": {"login_hint": {"alias": "login_hint"}, "forceAuthn": {"value": "true"}}}}}"#
            .into(),
        one("b", "https://bücher.example/auth", r#"{"x": {"value": "1"}}"#),
        // tests/it/config.rs
        with_param(r#"{"alias": "state", "source": "broker"}"#),
        with_param(r#"{"alias": "org_domain", "source": "broker"}"#),
        r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
            "upstream_params": {"p": {"alias": "domain_hint", "source": "query"}}}},
            "query_aliases": ["domain_hint"]}"#
            .into(),
        // tests/it/config_attacks.rs: scope merges; patterns a backtracking engine fears.
        with_named("scope", r#"{"value": "email", "mode": "merge"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "(a+)+$"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "(a|a)*b"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "(a|aa)+c"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "(.*a){20}"}"#),
        format!(
            r#"{{"connections": {{"c": {{"authorization_url": "{IDP}",
                "upstream_params": {{"p": {{"value": "{}"}}}}}}}},
                "limits": {{"max_value_len": 4096}}}}"#,
            "v".repeat(4096)
        ),
        // tests/props.rs: odd but valid endpoints.
        r#"{"connections": {
            "a": {"authorization_url": "https://idp.example/authorize"},
            "b": {"authorization_url": "http://127.0.0.1:8080/a/*/b"},
            "c": {"authorization_url": "https://[::1]:8443/x"},
            "d": {"authorization_url": "https://b\u00fccher.example/auth"}
        }}"#
        .into(),
        // The whole option set of an alias.
        with_param(
            r#"{"alias": "org", "source": "broker", "default": "acme.com",
                "pattern": "[a-z.]+", "max_len": 20, "mode": "keep"}"#,
        ),
        format!(
            r#"{{"connections": {{"c": {{"authorization_url": "{IDP}",
                "upstream_params": {{"p": {{"alias": "login_hint", "max_len": 4294967295}}}}}}}},
                "limits": {{"max_value_len": 4294967295}}}}"#
        ),
        // An empty pattern matches only the empty value (which is never sent): pointless, but
        // it loads.
        with_param(r#"{"alias": "login_hint", "pattern": ""}"#),
        // Names beside the reserved ones (param names are visible ASCII; values any script).
        with_params(
            r#"{"state_hint": {"value": "x"}, "xstate": {"value": "x"}, "states": {"value": "x"},
                "redirect-uri": {"value": "x"}, "redirect__uri": {"value": "x"},
                "client_idx": {"value": "x"}, "scopes": {"value": "x"}, "oauth": {"value": "x"},
                "nonce_": {"value": "x"}, "_state": {"value": "x"}, "param~1!": {"value": "é"}}"#,
        ),
        with_named(
            "SCOPE",
            r#"{"alias": "org", "source": "broker", "mode": "merge"}"#,
        ),
        // Issue 19: transforms on aliases, with every other alias key.
        with_named(
            "domain_hint",
            r#"{"alias": "login_hint", "transform": "email_domain"}"#,
        ),
        with_named(
            "hd",
            r#"{"alias": "org_domain", "source": "broker", "transform": "lowercase",
                "default": "acme.com", "pattern": "[a-z.]+", "max_len": 253, "mode": "keep"}"#,
        ),
        // Issue 22: "$schema" is accepted (and ignored); id_token_hint from the broker.
        format!(
            r#"{{"$schema": "./config.schema.json", {}"#,
            &with_param(r#"{"value": "x"}"#)[1..]
        ),
        r#"{"$schema": "https://example.com/s.json"}"#.into(),
        with_param(r#"{"alias": "id_token_hint", "source": "broker"}"#),
        with_param(r#"{"alias": "login_hint", "max_len": 2048, "default": "d"}"#),
        r#"{"connections": {"with space": {"authorization_url": "https://idp.example/a"},
            "ünïcode": {"authorization_url": "https://idp.example/b"}},
            "query_aliases": ["state_hint", "codes", "id_token_hint", "Login_Hint", "code~"]}"#
            .into(),
    ];
    // Generated: every protocol, every mode of every kind that has one, every source.
    for protocol in ["oauth2", "oidc", "oauth1", "saml"] {
        literal.push(connection_with(&format!(r#", "protocol": "{protocol}""#)));
    }
    for mode in ["replace", "keep", "merge"] {
        literal.push(with_param(&format!(
            r#"{{"value": "v", "mode": "{mode}"}}"#
        )));
        literal.push(with_param(&format!(
            r#"{{"alias": "login_hint", "mode": "{mode}"}}"#
        )));
    }
    for source in ["any", "broker", "query"] {
        literal.push(with_param(&format!(
            r#"{{"alias": "login_hint", "source": "{source}"}}"#
        )));
    }
    all.extend(labelled(literal));
    all
}

// ---------------------------------------------------------------------------------------
// (b) Structurally invalid configurations: each must fail the schema and the loader.

fn invalid() -> Vec<(String, String)> {
    let mut all = vec![(
        ".ci/invalid-config.json".to_owned(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/.ci/invalid-config.json"
        ))
        .unwrap(),
    )];
    let url = format!(r#""authorization_url": "{IDP}""#);
    let mut list: Vec<String> = vec![
        // Issue 19: a transform is one of two names, and only beside alias.
        with_param(r#"{"alias": "login_hint", "transform": "domain"}"#),
        with_param(r#"{"alias": "login_hint", "transform": "Email_Domain"}"#),
        with_param(r#"{"alias": "login_hint", "transform": ["lowercase"]}"#),
        with_param(r#"{"alias": "login_hint", "transform": null}"#),
        with_param(r#"{"value": "Acme.com", "transform": "lowercase"}"#),
        with_param(r#"{"remove": true, "transform": "email_domain"}"#),
        // Issue 22: "$schema" is a string; scope and id_token_hint only from the broker.
        r#"{"$schema": 3}"#.into(),
        r#"{"$schema": {}}"#.into(),
        with_named("scope", r#"{"alias": "acr_values", "mode": "merge"}"#),
        with_named(
            "Scope",
            r#"{"alias": "acr_values", "mode": "merge", "source": "query"}"#,
        ),
        with_named(
            "SCOPE",
            r#"{"alias": "acr_values", "mode": "merge", "source": "any"}"#,
        ),
        with_param(r#"{"alias": "id_token_hint"}"#),
        with_param(r#"{"alias": "id_token_hint", "source": "any"}"#),
        with_param(r#"{"alias": "Id_Token_Hint", "source": "query"}"#),
        // Unknown keys, at every level.
        r#"{"conections": {}}"#.into(),
        r#"{"limits": {"max_location": 10}}"#.into(),
        connection_with(r#", "upstrem_params": {}"#),
        connection_with(r#", "clientId": "x""#),
        connection(r#""authorisation_url": "https://idp.example/a""#),
        with_param(r#"{"alais": "login_hint"}"#),
        with_param(r#"{"value": "a", "Mode": "keep"}"#),
        // A missing authorization_url.
        connection(""),
        connection(r#""client_id": "x", "upstream_params": {}"#),
        // None, or two or three, of value / alias / remove.
        with_param("{}"),
        with_param(r#"{"mode": "keep"}"#),
        with_param(r#"{"default": "d"}"#),
        with_param(r#"{"value": "a", "alias": "login_hint"}"#),
        with_param(r#"{"value": "a", "remove": true}"#),
        with_param(r#"{"alias": "login_hint", "remove": true}"#),
        with_param(r#"{"value": "a", "alias": "login_hint", "remove": true}"#),
        with_param(r#"{"value": "a", "alias": "login_hint", "default": "d"}"#),
        // Options beside the wrong kind.
        with_param(r#"{"value": "a", "default": "b"}"#),
        with_param(r#"{"value": "a", "source": "broker"}"#),
        with_param(r#"{"value": "a", "pattern": "x"}"#),
        with_param(r#"{"value": "a", "max_len": 3}"#),
        with_param(r#"{"remove": true, "default": "b"}"#),
        with_param(r#"{"remove": true, "source": "any"}"#),
        with_param(r#"{"remove": true, "pattern": "x"}"#),
        with_param(r#"{"remove": true, "max_len": 3}"#),
        with_param(r#"{"remove": true, "mode": "keep"}"#),
        with_param(r#"{"remove": true, "mode": "replace"}"#),
        // Not an object where one goes.
        with_param(r#""x""#),
        with_params("null"),
        with_params("[]"),
        r#"{"connections": {"c": null}}"#.into(),
        r#"{"connections": {"c": "https://idp.example/a"}}"#.into(),
        r#"{"connections": [], "query_aliases": []}"#.into(),
        // Empty names.
        r#"{"connections": {"": {"authorization_url": "https://idp.example/x"}}}"#.into(),
        with_named("", r#"{"value": "x"}"#),
        // Reserved targets (the schema knows them, in any letter case) and scope outside merge.
        with_named("state", r#"{"value": "x"}"#),
        with_named("State", r#"{"value": "x"}"#),
        with_named("Redirect_Uri", r#"{"value": "x"}"#),
        with_named("samlrequest", r#"{"remove": true}"#),
        with_named("RelayState", r#"{"value": "x"}"#),
        with_named("scope", r#"{"value": "x"}"#),
        with_named("Scope", r#"{"value": "x", "mode": "replace"}"#),
        with_named("scope", r#"{"alias": "login_hint", "mode": "keep"}"#),
        with_named("SCOPE", r#"{"remove": true}"#),
        with_named("sCoPe", r#"{"remove": true, "mode": "merge"}"#),
        // Forbidden query sources in query_aliases, in any case.
        r#"{"query_aliases": ["NONCE"]}"#.into(),
        r#"{"query_aliases": ["Redirect_URI"]}"#.into(),
        r#"{"query_aliases": ["domain_hint", "Id_Token"]}"#.into(),
        // Endpoints whose scheme is not http(s).
        connection(r#""authorization_url": "/relative""#),
        connection(r#""authorization_url": "ftp://idp.example/a""#),
        connection(r#""authorization_url": "javascript:alert(1)""#),
        connection(r#""authorization_url": "nope""#),
        connection(r#""authorization_url": "//idp.example/a""#),
        connection(r#""authorization_url": "idp.example/a""#),
        connection(r#""authorization_url": "httpx://idp.example/a""#),
        connection(r#""authorization_url": "ws://idp.example/a""#),
        connection(r#""authorization_url": "\u00a0https://idp.example/a""#),
    ];
    // Generated: each key of a connection with values of the wrong type or out of range.
    let connection_keys: [(&str, &[&str]); 5] = [
        (
            "authorization_url",
            &["null", "1", "true", "[]", "{}", r#""""#],
        ),
        ("client_id", &["null", "1", "true", "[]", "{}", r#""""#]),
        (
            "protocol",
            &[
                "null",
                "1",
                "true",
                r#""OAUTH2""#,
                r#""ws-fed""#,
                r#""""#,
                r#"["oidc"]"#,
            ],
        ),
        (
            "upstream_params",
            &[
                "null",
                "[]",
                r#""x""#,
                "1",
                "true",
                r#"[{"blog": {"value": "x"}}]"#,
            ],
        ),
        ("dry_run", &["null", "1", r#""true""#, "[]", "{}"]),
    ];
    for (key, bads) in connection_keys {
        for bad in bads {
            list.push(if key == "authorization_url" {
                connection(&format!(r#""{key}": {bad}"#))
            } else {
                connection(&format!(r#"{url}, "{key}": {bad}"#))
            });
        }
    }
    // Each key of a param, beside the kind it belongs with.
    let param_keys: [(&str, &str, &[&str]); 8] = [
        (
            "",
            "value",
            &["null", "1", "true", "[]", "{}", r#""""#, r#"["a"]"#],
        ),
        ("", "alias", &["null", "1", "true", "[]", "{}", r#""""#]),
        (
            "",
            "remove",
            &["false", "null", r#""true""#, "1", "{}", "[]"],
        ),
        (
            r#""alias": "login_hint", "#,
            "default",
            &["null", "1", r#""""#, "[]", "false"],
        ),
        (
            r#""alias": "login_hint", "#,
            "source",
            &[
                "null",
                "1",
                r#""client""#,
                r#""ANY""#,
                r#""""#,
                r#"["broker"]"#,
            ],
        ),
        (
            r#""value": "x", "#,
            "mode",
            &[
                "null",
                "1",
                r#""upsert""#,
                r#""MERGE""#,
                r#""remove""#,
                r#""""#,
            ],
        ),
        (
            r#""alias": "login_hint", "#,
            "pattern",
            &["null", "1", "[]", "true", "{}"],
        ),
        (
            r#""alias": "login_hint", "#,
            "max_len",
            &[
                "null",
                "0",
                "-1",
                "-0",
                "1.5",
                "4294967296",
                r#""5""#,
                "true",
                "[]",
            ],
        ),
    ];
    for (beside, key, bads) in param_keys {
        for bad in bads {
            list.push(with_param(&format!(r#"{{{beside}"{key}": {bad}}}"#)));
        }
    }
    // The root's keys, and the root itself.
    for bad in ["null", "[]", r#""x""#, "1", "true"] {
        list.push(format!(r#"{{"connections": {bad}}}"#));
        list.push(format!(r#"{{"limits": {bad}}}"#));
        list.push(bad.to_owned());
    }
    for bad in [
        "null",
        r#""domain_hint""#,
        "{}",
        "[null]",
        "[1]",
        r#"[""]"#,
        "[[]]",
        "[true]",
        r#"[{"name": "domain_hint"}]"#,
    ] {
        list.push(format!(r#"{{"query_aliases": {bad}}}"#));
    }
    for key in ["max_value_len", "max_location_len"] {
        for bad in [
            "null",
            "0",
            "-1",
            "-0",
            "0.5",
            "1.5",
            "4294967296",
            "18446744073709551616",
            "-4294967295",
            r#""8192""#,
            "true",
            "[]",
            "{}",
        ] {
            list.push(format!(r#"{{"limits": {{"{key}": {bad}}}}}"#));
        }
    }
    all.extend(labelled(list));
    all
}

// ---------------------------------------------------------------------------------------
// (c) Semantic errors: the loader refuses these, the schema cannot see why.

fn semantic() -> Vec<(String, String)> {
    let url = format!(r#""authorization_url": "{IDP}""#);
    let nested = format!("{}a{}", "(".repeat(100), ")".repeat(100));
    let list: Vec<String> = vec![
        // A key given twice: a JSON Schema validator sees the parsed value, in which only
        // one of the two is left.
        r#"{"connections": {}, "connections": {}}"#.into(),
        format!(r#"{{"connections": {{"c": {{{url}}}, "c": {{{url}}}}}}}"#),
        format!(r#"{{"connections": {{"c": {{{url}, {url}}}}}}}"#),
        format!(
            r#"{{"connections": {{"c": {{{url}, "upstream_params": {{}}, "upstream_params": {{}}}}}}}}"#
        ),
        with_params(r#"{"blog": {"value": "a"}, "blog": {"value": "b"}}"#),
        with_named("blog", r#"{"value": "a", "value": "a"}"#),
        with_named("blog", r#"{"value": "", "value": "a"}"#),
        with_named(
            "blog",
            r#"{"alias": "login_hint", "pattern": "a", "pattern": ".*"}"#,
        ),
        r#"{"limits": {"max_value_len": 10, "max_value_len": 20}}"#.into(),
        r#"{"limits": {}, "limits": {}}"#.into(),
        r#"{"query_aliases": [], "query_aliases": []}"#.into(),
        // An alias the query cannot provide (a cross-reference to query_aliases).
        with_param(r#"{"alias": "favourite_colour"}"#),
        with_param(r#"{"alias": "Login_Hint"}"#),
        with_param(r#"{"alias": "state"}"#),
        with_param(r#"{"alias": "state", "source": "query"}"#),
        with_param(r#"{"alias": "nonce", "source": "any"}"#),
        with_param(r#"{"alias": "domain_hint"}"#),
        r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
            "upstream_params": {"p": {"alias": "domain_hint", "source": "query"}}}},
            "query_aliases": ["Domain_Hint"]}"#
            .into(),
        // Regular expressions the regex crate refuses, or that would escape the anchoring.
        with_param(r#"{"alias": "login_hint", "pattern": "("}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "[a-"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "a{2,1}"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "\\p{Nope}"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "(?<n>a)(?<n>b)"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "*"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "[a-z]+)|(?:.*"}"#),
        with_param(r#"{"alias": "login_hint", "pattern": ")|("}"#),
        with_param(r#"{"alias": "login_hint", "pattern": "a{1000}{1000}"}"#),
        with_param(&format!(
            r#"{{"alias": "login_hint", "pattern": "{nested}"}}"#
        )),
        // A default that fails its own pattern or max_len.
        with_param(r#"{"alias": "login_hint", "pattern": "[a-z]+", "default": "ABC"}"#),
        with_param(r#"{"alias": "login_hint", "max_len": 2, "default": "abc"}"#),
        // Issue 22: limits.max_value_len is the longest value ever sent (a cross-reference).
        with_param(r#"{"alias": "login_hint", "max_len": 2049}"#),
        format!(
            r#"{{"connections": {{"c": {{{url}, "upstream_params": {{"p": {{"alias": "login_hint",
                "max_len": 60}}}}}}}}, "limits": {{"max_value_len": 10}}}}"#
        ),
        format!(
            r#"{{"connections": {{"c": {{{url}, "upstream_params": {{"p": {{"alias": "login_hint",
                "default": "0123456789a"}}}}}}}}, "limits": {{"max_value_len": 10}}}}"#
        ),
        // A static value longer than limits.max_value_len (a cross-reference, in bytes).
        with_param(&format!(r#"{{"value": "{}"}}"#, "x".repeat(2049))),
        format!(
            r#"{{"connections": {{"c": {{{url}, "upstream_params": {{"p": {{"value": "abcd"}}}}}}}},
                "limits": {{"max_value_len": 3}}}}"#
        ),
        // Endpoints with an http(s) scheme that do not load.
        connection(r#""authorization_url": "https://idp.example/a?x=1""#),
        connection(r#""authorization_url": "https://idp.example/a?""#),
        connection(r#""authorization_url": "https://idp.example/a#f""#),
        connection(r#""authorization_url": "https://idp.example/a#""#),
        connection(r#""authorization_url": "https://u:p@idp.example/a""#),
        connection(r#""authorization_url": "https://user@idp.example/a""#),
        connection(r#""authorization_url": "https://idp.example:99999/a""#),
        connection(&format!(
            r#""authorization_url": "https://{}.example/a""#,
            "h".repeat(300)
        )),
        connection(r#""authorization_url": "https://""#),
        connection(r#""authorization_url": "http:""#),
        // Two connections that cannot be told apart.
        r#"{"connections": {"a": {"authorization_url": "https://idp.example/x"},
            "b": {"authorization_url": "https://IDP.example:443/x"}}}"#
            .into(),
        r#"{"connections": {"a": {"authorization_url": "https://idp.example/x", "client_id": "1"},
            "b": {"authorization_url": "https://idp.example/x", "client_id": "1"}}}"#
            .into(),
        // Whole numbers written as floats: JSON Schema counts 1.0 and 1e3 as integers.
        r#"{"limits": {"max_value_len": 1.0}}"#.into(),
        r#"{"limits": {"max_location_len": 1e3}}"#.into(),
        with_param(r#"{"alias": "login_hint", "max_len": 5.0}"#),
        with_param(r#"{"alias": "login_hint", "max_len": 2E1}"#),
    ];
    labelled(list)
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn the_schema_is_draft_2020_12_with_an_id_a_title_and_descriptions() {
    let schema = schema_json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["$id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(schema["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        schema["description"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    // It compiles (boon validates it against the draft 2020-12 meta-schema first).
    compiled();

    // Every property, at every level, and every definition has a description.
    fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    let here = format!("{path}/{key}");
                    if matches!(key.as_str(), "properties" | "$defs") {
                        for (name, sub) in value.as_object().into_iter().flatten() {
                            if sub.get("description").and_then(Value::as_str).is_none() {
                                missing.push(format!("{here}/{name}"));
                            }
                        }
                    }
                    walk(value, &here, missing);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&schema, "#", &mut missing);
    assert!(missing.is_empty(), "no description: {missing:#?}");

    // No `format`: validators may assert it, and the loader's URLs (with `*`) and patterns
    // (Rust syntax, not ECMA-262) are not what `uri` and `regex` mean.
    assert!(
        !serde_json::to_string(&schema)
            .unwrap()
            .contains("\"format\""),
        "the schema must not use `format`"
    );
}

#[test]
fn the_corpus_is_large_enough() {
    let (valid, invalid, semantic) = (valid().len(), invalid().len(), semantic().len());
    assert!(valid >= 40, "{valid} valid configurations");
    assert!(invalid >= 60, "{invalid} invalid configurations");
    assert!(semantic >= 20, "{semantic} semantic errors");
}

#[test]
fn every_configuration_the_loader_accepts_validates() {
    let mut failures = Vec::new();
    for (label, json) in valid() {
        if let Err(e) = loader(&json) {
            failures.push(format!(
                "{label}\n  the loader refuses it (move it to another list): {e}"
            ));
        }
        if let Err(e) = schema(&json) {
            failures.push(format!("{label}\n  the schema refuses it: {e}"));
        }
    }
    report("valid configurations not accepted by both", failures);
}

#[test]
fn every_structurally_invalid_configuration_fails_both() {
    let mut failures = Vec::new();
    for (label, json) in invalid() {
        if schema(&json).is_ok() {
            failures.push(format!("{label}\n  the schema accepts it"));
        }
        if loader(&json).is_ok() {
            failures.push(format!("{label}\n  the loader accepts it"));
        }
    }
    report("invalid configurations accepted", failures);
}

#[test]
fn semantic_errors_are_the_loaders_alone() {
    let mut failures = Vec::new();
    for (label, json) in semantic() {
        if loader(&json).is_ok() {
            failures.push(format!("{label}\n  the loader accepts it"));
        }
    }
    report("semantic errors the loader does not refuse", failures);
}

/// The one promise, over the whole corpus: the schema never refuses what the loader accepts.
#[test]
fn the_schema_never_refuses_what_the_loader_accepts() {
    let mut all = valid();
    all.extend(invalid());
    all.extend(semantic());
    all.extend(labelled(endpoint_variants().into_iter().map(|url| {
        connection(&format!(r#""authorization_url": {}"#, json_string(&url)))
    })));
    let mut failures = Vec::new();
    let mut accepted = 0;
    for (label, json) in &all {
        if loader(json).is_ok() {
            accepted += 1;
            if let Err(e) = schema(json) {
                failures.push(format!("{label}\n  loads, but the schema refuses it: {e}"));
            }
        }
    }
    report("configurations that load but fail the schema", failures);
    assert!(accepted >= 40, "only {accepted} configurations load");
}

/// Spellings of an endpoint a URL parser reads as http(s) (the schema's `pattern` must let
/// each through when the loader takes it) and some it does not.
fn endpoint_variants() -> Vec<String> {
    [
        "https://idp.example/a",
        " https://idp.example/a",
        "\u{1}\u{1f} https://idp.example/a",
        "\u{b}https://idp.example/a",
        "\thttps://idp.example/a",
        "\n\r https://idp.example/a",
        "ht\ttps://idp.example/a",
        "h\nt\rtp\ts\t://idp.example/a",
        "http\n://idp.example/a",
        "HTTPS://IDP.EXAMPLE/a",
        "HtTp://idp.example/a",
        "https:idp.example/a",
        "https:/idp.example/a",
        "https:\\\\idp.example\\a",
        "https:///idp.example/a",
        "https://idp.example/a ",
        "https://idp.example/a\t",
        "https://idp.exa\nmple/a",
        "https://idp.example",
        "https://idp.example:443",
        "http://idp.example:80/",
        "https://idp.example/%7Ea/b%20c",
        "https://*.okta.com/oauth2/v1/authorize",
        "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
        "https://xn--bcher-kva.example/auth",
        "https://192.168.0.1/a",
        "https://[::1]/a",
        "\u{a0}https://idp.example/a",
        "\u{feff}https://idp.example/a",
        "ftp://idp.example/a",
        "file:///etc/passwd",
        "data:text/plain,https://idp.example/a",
        "xhttps://idp.example/a",
        "https",
        "",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

#[test]
fn odd_spellings_of_http_urls_that_load_validate() {
    // The ones a URL parser reads as http(s) with a host: the loader takes them, so the
    // schema must; checked here by name so that the pattern cannot quietly reject them.
    for url in [
        " https://idp.example/a",
        "\u{1}\u{1f} https://idp.example/a",
        "ht\ttps://idp.example/a",
        "h\nt\rtp\ts\t://idp.example/a",
        "HTTPS://IDP.EXAMPLE/a",
        "https:idp.example/a",
        "https:\\\\idp.example\\a",
    ] {
        let json = connection(&format!(r#""authorization_url": {}"#, json_string(url)));
        assert_eq!(loader(&json), Ok(()), "{url:?}");
        assert_eq!(schema(&json), Ok(()), "{url:?}");
    }
}

/// Every reserved target of DESIGN.md in several letter cases, as each kind of param: the
/// schema and the loader refuse each; names that only look alike pass both.
#[test]
fn reserved_targets_fail_both_in_any_case() {
    let alternate = |name: &str| -> String {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let mut failures = Vec::new();
    for name in RESERVED {
        for cased in [
            name.to_owned(),
            name.to_ascii_lowercase(),
            name.to_ascii_uppercase(),
            alternate(name),
        ] {
            for param in [
                r#"{"value": "x"}"#,
                r#"{"alias": "login_hint"}"#,
                r#"{"alias": "org", "source": "broker", "mode": "merge"}"#,
                r#"{"remove": true}"#,
            ] {
                let json = with_named(&cased, param);
                if schema(&json).is_ok() {
                    failures.push(format!("the schema accepts {cased}: {param}"));
                }
                if loader(&json).is_ok() {
                    failures.push(format!("the loader accepts {cased}: {param}"));
                }
            }
        }
        // Look-alikes beyond visible ASCII (non-ASCII case folding, a final newline) are
        // not valid names at all (DESIGN.md, **Names**): both refuse them.
        for lookalike in [
            name.replace(['s', 'S'], "ſ"),
            name.replace('k', "\u{212a}"),
            format!("{name}\n"),
        ] {
            if lookalike == name {
                continue;
            }
            let json = with_named(&lookalike, r#"{"value": "x"}"#);
            if loader(&json).is_ok() {
                failures.push(format!("the loader accepts {lookalike:?}"));
            }
            if schema(&json).is_ok() {
                failures.push(format!("the schema accepts {lookalike:?}"));
            }
        }
        // Look-alikes: a prefix or suffix, another separator.
        for lookalike in [
            format!("x{name}"),
            format!("{name}x"),
            format!("{name}_"),
            name.replace('_', "-"),
            name.replace('_', "__"),
        ] {
            if lookalike == name {
                continue;
            }
            let json = with_named(&lookalike, r#"{"value": "x"}"#);
            if let Err(e) = loader(&json) {
                failures.push(format!("the loader refuses look-alike {lookalike}: {e}"));
            }
            if let Err(e) = schema(&json) {
                failures.push(format!("the schema refuses look-alike {lookalike}: {e}"));
            }
        }
    }
    report("reserved-name disagreements", failures);
}

/// Names PHP (WordPress.com) reads as reserved ones (`.`, space and `[` become `_`): load
/// errors in DESIGN.md, which the schema refuses too.
#[test]
fn php_spellings_of_reserved_targets_fail_the_schema() {
    let mut failures = Vec::new();
    for name in [
        "redirect.uri",
        "redirect uri",
        "redirect[uri",
        "Redirect[Uri",
        "code challenge",
        "CODE.CHALLENGE.METHOD",
        "client[assertion.type",
        "client.id",
        "Client Secret",
        "response.type",
        "oauth[token",
        "request.uri",
    ] {
        let json = with_named(name, r#"{"value": "x"}"#);
        if schema(&json).is_ok() {
            failures.push(format!("the schema accepts {name:?}"));
        }
        if loader(&json).is_ok() {
            failures.push(format!("the loader accepts {name:?}"));
        }
    }
    // What PHP also reads as a reserved name, beyond DESIGN.md's rule: leading spaces
    // dropped, `name[...]` an array of that name. The loader refuses them; the schema,
    // weaker here, may accept them (it never refuses what the loader accepts).
    for name in [
        " client_id",
        "  state",
        "redirect_uri[]",
        "state[x]",
        "Nonce[0]",
    ] {
        let json = with_named(name, r#"{"value": "x"}"#);
        if loader(&json).is_ok() {
            failures.push(format!("the loader accepts {name:?}"));
        }
    }
    // A bracket that closes is PHP's array syntax, and other separators stay as they are:
    // not reserved, by the schema as by the loader.
    for name in [
        "redirect-uri",
        "redirect_uri_hint",
        "redirecturi",
        "state.hint",
    ] {
        let json = with_named(name, r#"{"value": "x"}"#);
        if let Err(e) = schema(&json) {
            failures.push(format!("the schema refuses {name:?}: {e}"));
        }
        if let Err(e) = loader(&json) {
            failures.push(format!("the loader refuses {name:?}: {e}"));
        }
    }
    report("PHP spellings", failures);
}

/// Configurations DESIGN.md made valid after the loader was first written: the schema and
/// the loader both take them.
///
/// - `dry_run`, a connection key new in DESIGN.md, and the top-level one (issue 18);
/// - a `(?x)` pattern whose comment runs to its end (DESIGN.md's own example: "every pattern
///   the `regex` crate accepts loads, flags and `(?x)` comments included"), which the
///   loader's anchoring `^(?:...)$` turns into an unclosed group.
#[test]
fn configurations_the_design_makes_valid_validate() {
    for json in [
        connection_with(r#", "dry_run": true"#),
        connection_with(r#", "dry_run": false, "upstream_params": {"blog": {"value": "x"}}"#),
        r#"{"dry_run": true}"#.to_owned(),
        format!(
            r#"{{"dry_run": false, {}"#,
            &connection_with(r#", "dry_run": true"#)[1..]
        ),
        with_param(r#"{"alias": "login_hint", "pattern": "(?x) [a-z]+ @acme\\.com  # acme only"}"#),
    ] {
        assert_eq!(schema(&json), Ok(()), "{json}");
        assert_eq!(loader(&json), Ok(()), "{json}");
    }
    assert!(schema(&connection_with(r#", "dry_run": "true""#)).is_err());
    assert!(loader(&connection_with(r#", "dry_run": "true""#)).is_err());
    assert!(schema(&connection_with(r#", "dry_run": null"#)).is_err());
    for bad in [r#""true""#, "null", "1"] {
        let json = format!(r#"{{"dry_run": {bad}}}"#);
        assert!(schema(&json).is_err(), "{json}");
        assert!(loader(&json).is_err(), "{json}");
    }
}

/// DESIGN.md's **Names** (issue 17): a param name, an alias name and a `query_aliases` entry
/// are 1 to 256 bytes of visible ASCII; a connection name and a `client_id` hold no control
/// character. The schema refuses what the loader refuses for these, and both take every
/// visible ASCII byte, 256 of them, and Unicode without controls where it is allowed.
#[test]
fn names_outside_the_rules_fail_both() {
    let bad_names = [
        "blog\0",
        "state\0x",
        "a b",
        " blog",
        "blog\t",
        "blog\n",
        "blog\u{7f}",
        "blög",
        "blog\u{85}",
        &"x".repeat(257),
    ];
    let broker = |alias: &str| {
        with_param(&format!(
            r#"{{"alias": {}, "source": "broker"}}"#,
            json_string(alias)
        ))
    };
    let mut failures = Vec::new();
    let mut check = |json: String, should_load: bool| {
        let (s, l) = (schema(&json).is_ok(), loader(&json).is_ok());
        if s != should_load || l != should_load {
            failures.push(format!(
                "{}\n  schema {s}, loader {l}, expected {should_load}",
                short(&json)
            ));
        }
    };
    for name in bad_names {
        check(with_named(name, r#"{"value": "x"}"#), false);
        check(broker(name), false);
        check(
            format!(r#"{{"query_aliases": [{}]}}"#, json_string(name)),
            false,
        );
    }
    for bad in [
        "acme\0",
        "acme\n",
        "\u{1b}[31macme",
        "acme\u{7f}",
        "acme\u{9b}",
    ] {
        check(
            format!(
                r#"{{"connections": {{{}: {{"authorization_url": "{IDP}"}}}}}}"#,
                json_string(bad)
            ),
            false,
        );
        check(
            connection_with(&format!(r#", "client_id": {}"#, json_string(bad))),
            false,
        );
    }
    let all: String = (b'!'..=b'~').map(char::from).collect();
    for name in [all.as_str(), &"x".repeat(256), "x-hint", "a.b"] {
        check(with_named(name, r#"{"value": "x"}"#), true);
        check(broker(name), true);
    }
    check(
        format!(r#"{{"query_aliases": [{}]}}"#, json_string(&all)),
        true,
    );
    check(
        format!(
            r#"{{"connections": {{"acme.com google (ü) ☃": {{"authorization_url": "{IDP}",
                "client_id": "app ☃ 1"}}}}}}"#
        ),
        true,
    );
    report(
        "name rules where the schema and the loader disagree",
        failures,
    );
}
