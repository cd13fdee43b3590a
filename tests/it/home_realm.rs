//! Home-realm hints (issue 19): `"transform"` derives an upstream param from the email a user
//! typed. Google's `hd`, Entra ID's `domain_hint` and AD FS's `whr` end to end through the
//! layer (`oneshot`; each also through `Config::rewrite_location`, which `common::respond`
//! compares), the edge cases of an email, broker-provided values, and load errors.

use tower_upstream_params::config::{Connection, Param, Source, Transform};
use tower_upstream_params::{
    AliasSources, Config, DropReason, Outcome, UpstreamReport, UpstreamValues, ValueSource,
};

use crate::common::{Extras, config, location_and_report, one};

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const ENTRA: &str = "https://login.microsoftonline.com/*/oauth2/v2.0/authorize";
const ADFS: &str = "https://adfs.contoso.com/adfs/ls/";

/// The Location the layer writes for a redirect to `location` answering `uri`, and its
/// report.
async fn through_layer(
    config: Config,
    uri: &str,
    location: &str,
    response_values: Option<UpstreamValues>,
    request_values: Option<UpstreamValues>,
) -> (String, UpstreamReport) {
    let extras = Extras {
        values: response_values,
        ..Extras::default()
    };
    location_and_report(config, uri, location, extras, request_values).await
}

fn source_of(report: &UpstreamReport, name: &str) -> Option<ValueSource> {
    report
        .params()
        .iter()
        .find(|p| p.name() == name)
        .and_then(|p| p.source())
}

#[tokio::test]
async fn google_gets_hd_from_the_login_hint() {
    let config = one(
        "google",
        GOOGLE,
        r#"{"login_hint": {"alias": "login_hint"},
            "hd": {"alias": "login_hint", "transform": "email_domain"}}"#,
    );
    let (location, report) = through_layer(
        config,
        "/login?login_hint=Jane%40Acme.COM",
        &format!("{GOOGLE}?client_id=web&response_type=code&state=s"),
        None,
        None,
    )
    .await;
    assert_eq!(
        location,
        format!(
            "{GOOGLE}?client_id=web&response_type=code&state=s\
             &login_hint=Jane%40Acme.COM&hd=acme.com"
        )
    );
    assert_eq!(report.outcome("hd"), Some(Outcome::Added));
    assert_eq!(source_of(&report, "hd"), Some(ValueSource::Query));
}

#[tokio::test]
async fn entra_id_gets_domain_hint_on_any_tenant_from_a_broker_value() {
    let config = one(
        "entra",
        ENTRA,
        r#"{"domain_hint": {"alias": "login_hint", "source": "broker",
                            "transform": "email_domain"}}"#,
    );
    for tenant in ["organizations", "common", "contoso.onmicrosoft.com"] {
        let location = format!(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize?client_id=app&state=s"
        );
        let typed = UpstreamValues::new().with("login_hint", "Jane.Doe@Contoso.com");
        // The query's login_hint is never read: only the broker's value.
        let (after, report) = through_layer(
            config.clone(),
            "/login?login_hint=mallory%40evil.example",
            &location,
            Some(typed),
            None,
        )
        .await;
        assert_eq!(after, format!("{location}&domain_hint=contoso.com"));
        assert_eq!(source_of(&report, "domain_hint"), Some(ValueSource::Broker));
    }
}

#[tokio::test]
async fn ad_fs_gets_whr_on_a_ws_federation_sign_in() {
    let config = one(
        "adfs",
        ADFS,
        r#"{"whr": {"alias": "login_hint", "transform": "email_domain"}}"#,
    );
    let location = format!("{ADFS}?wa=wsignin1.0&wtrealm=urn%3Abroker&wctx=rm%3D0");
    let (after, report) = through_layer(
        config,
        "/login",
        &location,
        None,
        Some(UpstreamValues::new().with("login_hint", "JOHN@CONTOSO.COM")),
    )
    .await;
    assert_eq!(after, format!("{location}&whr=contoso.com"));
    assert_eq!(report.outcome("whr"), Some(Outcome::Added));
}

/// Derived from the same login_hint, for each value a user may type.
async fn hd_of(login_hint: &str, params: &str) -> (Option<String>, UpstreamReport) {
    let config = one("google", GOOGLE, params);
    let values = UpstreamValues::new().with("login_hint", login_hint);
    let location = format!("{GOOGLE}?client_id=web");
    let (after, report) = through_layer(config, "/login", &location, Some(values), None).await;
    let hd = url::Url::parse(&after)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "hd")
        .map(|(_, v)| v.into_owned());
    (hd, report)
}

const HD: &str = r#"{"hd": {"alias": "login_hint", "transform": "email_domain"}}"#;

#[tokio::test]
async fn the_domain_is_after_the_last_at_and_ascii_lowercased() {
    for (typed, hd) in [
        ("jane@acme.com", "acme.com"),
        ("Jane@ACME.Com", "acme.com"),
        ("\"jane@home\"@Acme.COM", "acme.com"),
        ("a@b@c@Acme.example", "acme.example"),
        // Punycode is ASCII: lowercased like any domain.
        ("jane@XN--BCHER-KVA.Example", "xn--bcher-kva.example"),
        // Unicode is sent as typed, ASCII letters lowercased, nothing else folded.
        ("jane@Bücher.Example", "bücher.example"),
        ("jane@BÜCHER.EXAMPLE", "bÜcher.example"),
    ] {
        let (got, report) = hd_of(typed, HD).await;
        assert_eq!(got.as_deref(), Some(hd), "{typed}");
        assert_eq!(report.outcome("hd"), Some(Outcome::Added));
    }
}

#[tokio::test]
async fn pattern_and_max_len_judge_the_derived_value() {
    // The typed value fails both; the domain passes both.
    let params = r#"{"hd": {"alias": "login_hint", "transform": "email_domain",
                            "pattern": "[a-z0-9.-]+", "max_len": 8}}"#;
    assert_eq!(
        hd_of("Jane.Doe@ACME.COM", params).await.0.as_deref(),
        Some("acme.com")
    );
    let (got, report) = hd_of("jane@acme.example", params).await;
    assert_eq!(got, None);
    assert_eq!(
        report.outcome("hd"),
        Some(Outcome::Dropped(DropReason::TooLong))
    );
    // An ASCII-only pattern refuses a Unicode domain, which then falls back to the default.
    let params = r#"{"hd": {"alias": "login_hint", "transform": "email_domain",
                            "pattern": "[a-z0-9.-]+", "default": "example.com"}}"#;
    let (got, report) = hd_of("jane@Bücher.example", params).await;
    assert_eq!(got.as_deref(), Some("example.com"));
    assert_eq!(source_of(&report, "hd"), Some(ValueSource::Default));
}

#[tokio::test]
async fn a_value_without_a_domain_falls_back_to_the_default_as_written() {
    let with_default = r#"{"hd": {"alias": "login_hint", "transform": "email_domain",
                                  "default": "Acme.COM"}}"#;
    for typed in ["jane", "jane@", "a@b@", "@", " "] {
        let (got, report) = hd_of(typed, with_default).await;
        assert_eq!(got.as_deref(), Some("Acme.COM"), "{typed:?}");
        assert_eq!(source_of(&report, "hd"), Some(ValueSource::Default));
        let (got, report) = hd_of(typed, HD).await;
        assert_eq!(got, None, "{typed:?}");
        assert_eq!(
            report.outcome("hd"),
            Some(Outcome::Dropped(DropReason::Missing)),
            "{typed:?}"
        );
    }
}

#[tokio::test]
async fn an_unreadable_value_falls_through_to_the_next_source() {
    let config = one("google", GOOGLE, HD);
    let location = format!("{GOOGLE}?client_id=web");
    // The response's value has no domain: the request's is next.
    let (after, report) = through_layer(
        config.clone(),
        "/login?login_hint=q%40Query.example",
        &location,
        Some(UpstreamValues::new().with("login_hint", "jane")),
        Some(UpstreamValues::new().with("login_hint", "jane@Request.example")),
    )
    .await;
    assert_eq!(after, format!("{location}&hd=request.example"));
    assert_eq!(source_of(&report, "hd"), Some(ValueSource::Broker));
    // Neither broker value has one: the query is next.
    let (after, report) = through_layer(
        config,
        "/login?login_hint=q%40Query.example",
        &location,
        Some(UpstreamValues::new().with("login_hint", "jane")),
        Some(UpstreamValues::new().with("login_hint", "jane@")),
    )
    .await;
    assert_eq!(after, format!("{location}&hd=query.example"));
    assert_eq!(source_of(&report, "hd"), Some(ValueSource::Query));
}

#[tokio::test]
async fn lowercase_on_a_broker_value() {
    let config = one(
        "google",
        GOOGLE,
        r#"{"hd": {"alias": "org_domain", "source": "broker", "transform": "lowercase"}}"#,
    );
    let location = format!("{GOOGLE}?client_id=web");
    let (after, report) = through_layer(
        config,
        // Never from the query, whatever it says.
        "/login?org_domain=evil.example",
        &location,
        Some(UpstreamValues::new().with("org_domain", "ACME.Com")),
        None,
    )
    .await;
    assert_eq!(after, format!("{location}&hd=acme.com"));
    assert_eq!(source_of(&report, "hd"), Some(ValueSource::Broker));
}

#[test]
fn resolve_derives_the_same_values() {
    let config = one(
        "google",
        GOOGLE,
        r#"{"hd": {"alias": "login_hint", "transform": "email_domain"},
            "login_hint": {"alias": "login_hint", "transform": "lowercase"},
            "org": {"alias": "login_hint", "transform": "email_domain",
                    "pattern": "[a-z]+\\.org", "default": "fallback.org"}}"#,
    );
    let long = format!("{}@ACME.COM", "J".repeat(3000));
    for (query, hd) in [
        ("login_hint=Jane%40ACME.COM", "acme.com"),
        // Decoded on the heap (longer than any stack space), lowercased there too.
        (&*format!("login_hint={long}"), "acme.com"),
    ] {
        let sources = AliasSources::new().query(Some(query));
        let resolved = config.resolve("google", &sources).expect("configured");
        let values: Vec<(&str, &str)> = resolved.values().collect();
        let lower = query["login_hint=".len()..]
            .replace("%40", "@")
            .to_ascii_lowercase();
        if lower.len() <= 2048 {
            assert_eq!(
                values,
                [
                    ("hd", hd),
                    ("login_hint", lower.as_str()),
                    ("org", "fallback.org")
                ]
            );
        } else {
            assert_eq!(values, [("hd", hd), ("org", "fallback.org")]);
        }
    }
}

#[test]
fn load_errors_name_the_transform() {
    let err = Config::from_json(&format!(
        r#"{{"connections": {{"g": {{"authorization_url": "{GOOGLE}",
            "upstream_params": {{"hd": {{"alias": "login_hint", "transform": "domain"}}}}}}}}}}"#
    ))
    .unwrap_err();
    let path = "connections.g.upstream_params.hd.transform";
    assert!(
        err.problems().any(|(p, m)| p == path
            && m.contains("\"email_domain\"")
            && m.contains("\"lowercase\"")),
        "{err}"
    );
    for (param, key) in [
        (
            r#"{"value": "Acme.com", "transform": "lowercase"}"#,
            "transform",
        ),
        (
            r#"{"remove": true, "transform": "email_domain"}"#,
            "transform",
        ),
    ] {
        let err = Config::from_json(&format!(
            r#"{{"connections": {{"g": {{"authorization_url": "{GOOGLE}",
                "upstream_params": {{"hd": {param}}}}}}}}}"#
        ))
        .unwrap_err();
        let path = format!("connections.g.upstream_params.hd.{key}");
        assert!(
            err.problems()
                .any(|(p, m)| p == path && m.contains("only beside \"alias\"")),
            "{param}: {err}"
        );
    }
    let err = Config::builder()
        .connection(
            "g",
            Connection::new(GOOGLE).param("hd", Param::value("x").transform(Transform::Lowercase)),
        )
        .build()
        .unwrap_err();
    assert!(
        err.problems()
            .any(|(p, _)| p == "connections.g.upstream_params.hd.transform"),
        "{err}"
    );
}

#[test]
fn json_builder_round_trip_fingerprint_and_patches() {
    let json = format!(
        r#"{{"connections": {{"g": {{"authorization_url": "{GOOGLE}",
            "upstream_params": {{
              "hd": {{"alias": "login_hint", "transform": "email_domain"}},
              "org": {{"alias": "org_domain", "source": "broker", "transform": "lowercase"}}}}}}}}}}"#
    );
    let from_json = config(&json);
    let built = Config::builder()
        .connection(
            "g",
            Connection::new(GOOGLE)
                .param(
                    "hd",
                    Param::alias("login_hint").transform(Transform::EmailDomain),
                )
                .param(
                    "org",
                    Param::alias("org_domain")
                        .source(Source::Broker)
                        .transform(Transform::Lowercase),
                ),
        )
        .build()
        .unwrap();
    assert_eq!(built, from_json);
    assert_eq!(built.fingerprint(), from_json.fingerprint());
    assert_eq!(config(&from_json.to_json()), from_json);
    assert!(
        from_json
            .to_json()
            .contains(r#""transform": "email_domain""#)
    );

    let without = from_json
        .merge_patch(r#"{"connections": {"g": {"upstream_params": {"hd": {"transform": null}}}}}"#)
        .unwrap();
    assert!(!without.to_json().contains("email_domain"));
    assert_ne!(without.fingerprint(), from_json.fingerprint());
    let other = from_json
        .merge_patch(
            r#"{"connections": {"g": {"upstream_params": {"hd": {"transform": "lowercase"}}}}}"#,
        )
        .unwrap();
    assert_ne!(other.fingerprint(), from_json.fingerprint());
    let back = without
        .merge_patch(
            r#"{"connections": {"g": {"upstream_params": {"hd": {"transform": "email_domain"}}}}}"#,
        )
        .unwrap();
    assert_eq!(back.fingerprint(), from_json.fingerprint());
    assert!(
        from_json
            .merge_patch(
                r#"{"connections": {"g": {"upstream_params": {"hd": {"transform": "upper"}}}}}"#
            )
            .is_err()
    );
    assert_eq!(Transform::EmailDomain.as_str(), "email_domain");
    assert_eq!(Transform::Lowercase.as_str(), "lowercase");
}
