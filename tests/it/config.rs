//! Loading configuration: what loads, what does not, and where the error says it is.

use tower_upstream_params::Config;
use tower_upstream_params::config::{Connection, Mode, Param, Protocol, Source};

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

#[test]
fn the_design_example_loads_and_round_trips() {
    let config = Config::from_json(FULL).unwrap();
    assert_eq!(
        config.connection_names().collect::<Vec<_>>(),
        ["wordpress", "twitter", "google-acme"]
    );
    let again = Config::from_json(&config.to_json()).unwrap();
    assert_eq!(config, again);
    assert_eq!(config.to_json(), again.to_json());
    // serde Deserialize validates the same way.
    let via_serde: Config = serde_json::from_str(FULL).unwrap();
    assert_eq!(via_serde, config);
    assert_eq!(
        serde_json::to_string(&config).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn the_builder_mirrors_the_json() {
    let built = Config::builder()
        .connection(
            "wordpress",
            Connection::new("https://public-api.wordpress.com/oauth2/authorize")
                .param("blog", Param::value("myblog.wordpress.com")),
        )
        .connection(
            "twitter",
            Connection::new("https://api.twitter.com/oauth/authorize")
                .protocol(Protocol::OAuth1)
                .param("screen_name", Param::alias("login_hint")),
        )
        .connection(
            "google-acme",
            Connection::new("https://accounts.google.com/o/oauth2/v2/auth")
                .client_id("acme.apps.googleusercontent.com")
                .param("prompt", Param::value("select_account").mode(Mode::Merge))
                .param("hd", Param::alias("org_domain").source(Source::Broker))
                .param(
                    "login_hint",
                    Param::alias("login_hint")
                        .pattern("[^@]+@acme\\.com")
                        .max_len(254),
                ),
        )
        .query_alias("domain_hint")
        .max_value_len(2048)
        .max_location_len(8192)
        .build()
        .unwrap();
    assert_eq!(built, Config::from_json(FULL).unwrap());
    // And it validates like from_json.
    let err = Config::builder()
        .connection(
            "x",
            Connection::new("https://idp.example/a").param("state", Param::value("s")),
        )
        .build()
        .unwrap_err();
    assert_eq!(err.path(), "connections.x.upstream_params.state");
}

fn error(json: &str) -> tower_upstream_params::ConfigError {
    match Config::from_json(json) {
        Ok(_) => panic!("loaded, but should not have: {json}"),
        Err(e) => e,
    }
}

fn with_param(param: &str) -> String {
    format!(
        r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
            "upstream_params": {{"p": {param}}}}}}}}}"#
    )
}

#[test]
fn every_invalid_config_names_its_json_path() {
    let p = "connections.c.upstream_params.p";
    let cases: Vec<(String, &str, &str)> = vec![
        (with_param(r#"{"alais": "login_hint"}"#), "connections.c.upstream_params.p.alais", "unknown key"),
        (with_param(r#"{}"#), p, r#"exactly one of "value", "alias" or "remove""#),
        (with_param(r#"{"value": "a", "alias": "login_hint"}"#), p, "exactly one of"),
        (with_param(r#"{"value": "a", "remove": true}"#), p, "exactly one of"),
        (with_param(r#"{"remove": false}"#), "connections.c.upstream_params.p.remove", "must be true"),
        (with_param(r#"{"remove": true, "mode": "keep"}"#), "connections.c.upstream_params.p.mode", "not allowed"),
        (with_param(r#"{"value": "a", "default": "b"}"#), "connections.c.upstream_params.p.default", "only beside \"alias\""),
        (with_param(r#"{"value": "a", "source": "broker"}"#), "connections.c.upstream_params.p.source", "only beside"),
        (with_param(r#"{"value": "a", "pattern": "x"}"#), "connections.c.upstream_params.p.pattern", "only beside"),
        (with_param(r#"{"value": "a", "max_len": 3}"#), "connections.c.upstream_params.p.max_len", "only beside"),
        (with_param(r#"{"value": "a", "mode": "upsert"}"#), "connections.c.upstream_params.p.mode", "expected one of"),
        (with_param(r#"{"alias": "login_hint", "source": "client"}"#), "connections.c.upstream_params.p.source", "expected one of"),
        (with_param(r#"{"alias": "login_hint", "pattern": "("}"#), "connections.c.upstream_params.p.pattern", "regular expression"),
        (with_param(r#"{"alias": "login_hint", "pattern": "[a-z]+", "default": "ABC"}"#), "connections.c.upstream_params.p.default", "pattern"),
        (with_param(r#"{"alias": "login_hint", "max_len": 2, "default": "abc"}"#), "connections.c.upstream_params.p.default", "max_len"),
        (with_param(r#"{"alias": "login_hint", "max_len": 0}"#), "connections.c.upstream_params.p.max_len", "whole number"),
        (with_param(r#"{"alias": "state"}"#), "connections.c.upstream_params.p.alias", "never be read from the query"),
        (with_param(r#"{"alias": "favourite_colour"}"#), "connections.c.upstream_params.p.alias", "query_aliases"),
        (with_param(r#"{"value": null}"#), "connections.c.upstream_params.p.value", "expected a string"),
        (with_param(r#"{"value": ""}"#), "connections.c.upstream_params.p.value", "empty"),
        (with_param(r#"{"value": 3}"#), "connections.c.upstream_params.p.value", "expected a string"),
        (with_param(r#""x""#), p, "expected an object"),
        (with_param(r#"{"value": "a", "value": "b"}"#), "connections.c.upstream_params.p.value", "given twice"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"State": {"value": "x"}}}}}"#.into(),
            "connections.c.upstream_params.State", "reserved"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"Redirect_Uri": {"value": "x"}}}}}"#.into(),
            "connections.c.upstream_params.Redirect_Uri", "reserved"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"samlrequest": {"remove": true}}}}}"#.into(),
            "connections.c.upstream_params.samlrequest", "reserved"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"RelayState": {"value": "x"}}}}}"#.into(),
            "connections.c.upstream_params.RelayState", "reserved"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"scope": {"value": "x"}}}}}"#.into(),
            "connections.c.upstream_params.scope", "merge"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstream_params": {"SCOPE": {"remove": true}}}}}"#.into(),
            "connections.c.upstream_params.SCOPE", "merge"),
        (r#"{"connections": {"c": {"authorization_url": "/relative"}}}"#.into(), "connections.c.authorization_url", "absolute"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a?x=1"}}}"#.into(), "connections.c.authorization_url", "query"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a#f"}}}"#.into(), "connections.c.authorization_url", "fragment"),
        (r#"{"connections": {"c": {"authorization_url": "ftp://idp.example/a"}}}"#.into(), "connections.c.authorization_url", "http"),
        (r#"{"connections": {"c": {"authorization_url": "https://u:p@idp.example/a"}}}"#.into(), "connections.c.authorization_url", "user"),
        (r#"{"connections": {"c": {}}}"#.into(), "connections.c", "authorization_url"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "protocol": "ws-fed"}}}"#.into(), "connections.c.protocol", "expected one of"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "client_id": ""}}}"#.into(), "connections.c.client_id", "empty"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a", "upstrem_params": {}}}}"#.into(), "connections.c.upstrem_params", "unknown key"),
        (r#"{"connections": {"c": {"authorization_url": "https://idp.example/a"}, "c": {"authorization_url": "https://idp.example/b"}}}"#.into(),
            "connections.c", "given twice"),
        (r#"{"connections": {"a": {"authorization_url": "https://idp.example/x"}, "b": {"authorization_url": "https://IDP.example:443/x"}}}"#.into(),
            "connections.b", "cannot be told apart"),
        (r#"{"connections": {"a": {"authorization_url": "https://idp.example/x", "client_id": "1"}, "b": {"authorization_url": "https://idp.example/x", "client_id": "1"}}}"#.into(),
            "connections.b", "cannot be told apart"),
        (r#"{"connections": {"": {"authorization_url": "https://idp.example/x"}}}"#.into(), "connections.", "empty"),
        (r#"{"connections": [], "query_aliases": []}"#.into(), "connections", "expected an object"),
        (r#"{"query_aliases": ["NONCE"]}"#.into(), "query_aliases[0]", "never be read"),
        (r#"{"query_aliases": ["Redirect_URI"]}"#.into(), "query_aliases[0]", "never be read"),
        (r#"{"query_aliases": "domain_hint"}"#.into(), "query_aliases", "array"),
        (r#"{"limits": {"max_value_len": -1}}"#.into(), "limits.max_value_len", "whole number"),
        (r#"{"limits": {"max_location_len": 1.5}}"#.into(), "limits.max_location_len", "whole number"),
        (r#"{"limits": {"max_location": 10}}"#.into(), "limits.max_location", "unknown key"),
        (r#"{"conections": {}}"#.into(), "conections", "unknown key"),
        (r#"{"connections": {}, "connections": {}}"#.into(), "connections", "given twice"),
        (r#"[]"#.into(), "", "expected an object"),
        (r#"{"connections": {"#.into(), "", "invalid JSON"),
        (format!(r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a", "upstream_params": {{"p": {{"value": "{}"}}}}}}}}}}"#, "x".repeat(2049)),
            "connections.c.upstream_params.p.value", "max_value_len"),
    ];
    for (json, path, words) in &cases {
        let err = error(json);
        assert!(
            err.problems().any(|(p, m)| p == *path && m.contains(words)),
            "expected `{path}: ...{words}...` for {json}\ngot: {err}"
        );
        if !path.is_empty() {
            assert!(err.to_string().contains(path), "{err}");
        }
    }
}

#[test]
fn the_documented_message_for_a_missing_kind() {
    let err = error(
        r#"{"connections": {"wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {}}}}}"#,
    );
    assert_eq!(
        err.to_string(),
        r#"connections.wordpress.upstream_params.blog: exactly one of "value", "alias" or "remove""#
    );
}

#[test]
fn broker_aliases_may_have_any_name_and_query_aliases_allow_more() {
    Config::from_json(&with_param(r#"{"alias": "state", "source": "broker"}"#)).unwrap();
    Config::from_json(&with_param(
        r#"{"alias": "org_domain", "source": "broker"}"#,
    ))
    .unwrap();
    let json = r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
        "upstream_params": {"p": {"alias": "domain_hint", "source": "query"}}}},
        "query_aliases": ["domain_hint"]}"#;
    Config::from_json(json).unwrap();
    // Case matters for query sources: "Domain_Hint" is not "domain_hint".
    let json = json.replace(r#"["domain_hint"]"#, r#"["Domain_Hint"]"#);
    assert!(Config::from_json(&json).is_err());
}

#[test]
fn several_problems_are_all_reported() {
    let err = error(
        r#"{"connections": {"a": {"authorization_url": "nope", "upstream_params": {"state": {"value": "x"}, "p": {}}}}}"#,
    );
    let paths: Vec<&str> = err.problems().map(|(p, _)| p).collect();
    assert!(
        paths.contains(&"connections.a.authorization_url"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"connections.a.upstream_params.state"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"connections.a.upstream_params.p"),
        "{paths:?}"
    );
}

#[test]
fn merge_patch_changes_one_param_and_keeps_the_rest() {
    let config = Config::from_json(FULL).unwrap();
    let patched = config
        .merge_patch(
            r#"{"connections": {"google-acme": {"upstream_params": {"hd": null, "prompt": {"value": "consent"}}},
                "wordpress": null}}"#,
        )
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&patched.to_json()).unwrap();
    let google = &json["connections"]["google-acme"]["upstream_params"];
    assert_eq!(google["prompt"]["value"], "consent");
    assert_eq!(google["prompt"]["mode"], "merge");
    assert!(google.get("hd").is_none());
    assert_eq!(google["login_hint"]["max_len"], 254);
    assert!(json["connections"].get("wordpress").is_none());
    assert!(json["connections"].get("twitter").is_some());
    // An invalid result is an error, and the original is unchanged.
    let err = config
        .merge_patch(
            r#"{"connections": {"twitter": {"upstream_params": {"state": {"value": "x"}}}}}"#,
        )
        .unwrap_err();
    assert_eq!(err.path(), "connections.twitter.upstream_params.state");
    assert_eq!(config, Config::from_json(FULL).unwrap());
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    // Deep nesting.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Config::from_json(&deep).is_err());
    let nested = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let deep = format!(
        r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a", "upstream_params": {{"p": {nested}}}}}}}}}"#
    );
    assert!(Config::from_json(&deep).is_err());
    // A regex whose compiled form is huge is refused by the size limit.
    let err = error(&with_param(
        r#"{"alias": "login_hint", "pattern": "\\w{1000}{1000}"}"#,
    ));
    assert_eq!(err.path(), "connections.c.upstream_params.p.pattern");
    // Odd inputs.
    for json in [
        "",
        "null",
        "1",
        "\"x\"",
        "{\"connections\": null}",
        "\u{feff}{}",
        "{\"limits\": {\"max_value_len\": 1e400}}",
    ] {
        let _ = Config::from_json(json);
    }
}

/// Issue 18: a top-level `"dry_run": true` makes every connection a dry run, through every
/// door: the layer leaves each Location as it is and reports `dry_run`, `rewrite_location`
/// gives no new URL, `resolve` says `dry_run()`. JSON, builder, `to_json`, fingerprint and
/// merge patches all carry it.
mod top_level_dry_run {
    use tower_upstream_params::config::{Connection, Param};
    use tower_upstream_params::{AliasSources, Config, UpstreamParamsLayer, UpstreamReport};

    use crate::common::{Extras, respond};

    const TWO: &str = r#"{"dry_run": true, "connections": {
        "wordpress": {"authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
                      "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}},
        "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                   "dry_run": false,
                   "upstream_params": {"login_hint": {"alias": "login_hint"}}}}}"#;

    fn off() -> String {
        TWO.replacen(r#""dry_run": true, "#, "", 1)
    }

    #[tokio::test]
    async fn every_connection_is_a_dry_run_through_the_layer() {
        let config = Config::from_json(TWO).unwrap();
        for (uri, location) in [
            (
                "/login",
                "https://public-api.wordpress.com/oauth2/authorize?client_id=1",
            ),
            (
                "/login?login_hint=jane%40acme.com",
                "https://accounts.google.com/o/oauth2/v2/auth?client_id=web",
            ),
        ] {
            let response = respond(
                UpstreamParamsLayer::new(config.clone()),
                uri,
                location,
                Extras::default(),
                None,
            )
            .await;
            assert_eq!(response.headers()["location"], location);
            let report = response.extensions().get::<UpstreamReport>().unwrap();
            assert!(report.dry_run() && report.rewritten(), "{report:?}");

            let query = uri.split_once('?').map(|(_, q)| q);
            let sources = AliasSources::new().query(query);
            let rewrite = config.rewrite_location(location, None, &sources);
            assert_eq!(rewrite.location(), None);
            assert!(rewrite.report().unwrap().dry_run());
        }
        for name in ["wordpress", "google"] {
            assert!(
                config
                    .resolve(name, &AliasSources::new())
                    .unwrap()
                    .dry_run(),
                "{name}"
            );
        }
        // Without it, the same configuration rewrites.
        let live = Config::from_json(&off()).unwrap();
        let rewrite = live.rewrite_location(
            "https://public-api.wordpress.com/oauth2/authorize?client_id=1",
            None,
            &AliasSources::new(),
        );
        assert!(rewrite.location().is_some());
        assert!(!rewrite.report().unwrap().dry_run());
        assert!(
            !live
                .resolve("wordpress", &AliasSources::new())
                .unwrap()
                .dry_run()
        );
    }

    #[test]
    fn json_builder_to_json_fingerprint_and_patches_carry_it() {
        let config = Config::from_json(TWO).unwrap();
        let again = Config::from_json(&config.to_json()).unwrap();
        assert_eq!(config, again);
        assert!(config.to_json().contains(r#""dry_run": true"#));

        let built = Config::builder()
            .dry_run(true)
            .connection(
                "wordpress",
                Connection::new("https://public-api.wordpress.com/oauth2/authorize")
                    .param("blog", Param::value("myblog.wordpress.com")),
            )
            .connection(
                "google",
                Connection::new("https://accounts.google.com/o/oauth2/v2/auth")
                    .dry_run(false)
                    .param("login_hint", Param::alias("login_hint")),
            )
            .build()
            .unwrap();
        assert_eq!(built.fingerprint(), config.fingerprint());

        let live = Config::from_json(&off()).unwrap();
        assert_ne!(live.fingerprint(), config.fingerprint());
        let explicit_false = live.merge_patch(r#"{"dry_run": false}"#).unwrap();
        assert_eq!(explicit_false.fingerprint(), live.fingerprint());
        assert_eq!(
            live.merge_patch(r#"{"dry_run": true}"#)
                .unwrap()
                .fingerprint(),
            config.fingerprint()
        );
        let patched_off = config.merge_patch(r#"{"dry_run": null}"#).unwrap();
        assert_eq!(patched_off, live);
        assert!(
            !patched_off
                .resolve("wordpress", &AliasSources::new())
                .unwrap()
                .dry_run()
        );
    }

    #[test]
    fn it_is_a_boolean() {
        for bad in [r#""true""#, "1", "null", "{}"] {
            let err = Config::from_json(&format!(r#"{{"dry_run": {bad}}}"#)).unwrap_err();
            assert!(
                err.problems()
                    .any(|(p, m)| p == "dry_run" && m.contains("boolean")),
                "{bad}: {err}"
            );
        }
    }
}
