//! The engine without a redirect (DESIGN.md, "Beyond the redirect"): `AliasSources`,
//! `Config::rewrite_location`, `Config::resolve` and `Resolved::apply_to`, and the
//! `UpstreamReport` the layer inserts. (Every rewrite test of this suite also runs through
//! `rewrite_location`: see `common::respond`.)

use http::{Request, StatusCode};
use tower_upstream_params::{
    AliasSources, Config, DropReason, Outcome, UpstreamParamsLayer, UpstreamReport, UpstreamValues,
    ValueSource,
};

use crate::common::{Extras, config, respond};

const IDP: &str = "https://idp.example/authorize";

fn cfg() -> Config {
    config(&format!(
        r#"{{"connections": {{
            "idp": {{"authorization_url": "{IDP}",
                "upstream_params": {{
                    "login_hint": {{"alias": "login_hint", "pattern": "[^@]+@acme\\.com", "max_len": 30}},
                    "hd": {{"alias": "org", "source": "broker", "default": "acme.com"}},
                    "prompt": {{"value": "select_account", "mode": "merge"}},
                    "ui_locales": {{"alias": "ui_locales", "mode": "keep"}},
                    "display": {{"remove": true}}}}}},
            "canary": {{"authorization_url": "https://canary.example/authorize", "dry_run": true,
                "upstream_params": {{"hd": {{"value": "acme.com"}}}}}}}}}}"#
    ))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn resolve_reads_value_sets_in_order_then_the_query_then_the_default() {
    let config = cfg();
    let first = UpstreamValues::new().with("login_hint", "first@acme.com");
    let second = UpstreamValues::new()
        .with("login_hint", "second@acme.com")
        .with("org", "org.example");
    let sources = AliasSources::new()
        .query(Some("login_hint=query%40acme.com&ui_locales=fr"))
        .values(&first)
        .values(&second);
    let resolved = config.resolve("idp", &sources).expect("configured");
    let values: Vec<(&str, &str)> = resolved.values().collect();
    assert_eq!(
        values,
        [
            ("login_hint", "first@acme.com"),
            ("hd", "org.example"),
            ("prompt", "select_account"),
            ("ui_locales", "fr"),
        ]
    );
    assert_eq!(resolved.removals().collect::<Vec<_>>(), ["display"]);
    assert_eq!(resolved.connection(), "idp");
    assert!(!resolved.dry_run());

    // A refused broker value falls through to the query; a broker-only alias never reads it.
    let bad = UpstreamValues::new().with("login_hint", "x@evil.example");
    let sources = AliasSources::new()
        .query(Some("login_hint=q%40acme.com&org=from-query"))
        .values(&bad);
    let resolved = config.resolve("idp", &sources).unwrap();
    let values: Vec<(&str, &str)> = resolved.values().collect();
    assert_eq!(values[0], ("login_hint", "q@acme.com"));
    assert_eq!(
        values[1],
        ("hd", "acme.com"),
        "the default, never the query"
    );
}

#[test]
fn an_unknown_connection_is_none() {
    let config = cfg();
    for name in ["", "IDP", "idp ", "nope", "\u{0}"] {
        assert!(
            config.resolve(name, &AliasSources::new()).is_none(),
            "{name:?}"
        );
    }
    let rewrite =
        config.rewrite_location(&format!("{IDP}?a=1"), Some("nope"), &AliasSources::new());
    assert!(rewrite.location().is_none() && rewrite.report().is_none());
}

#[test]
fn apply_to_follows_the_rewrite_rules_and_reports_sources() {
    let config = cfg();
    let values = UpstreamValues::new().with("org", "org.example");
    let sources = AliasSources::new()
        .query(Some("login_hint=jane%40acme.com&ui_locales=de"))
        .values(&values);
    let resolved = config.resolve("idp", &sources).unwrap();
    let mut body = pairs(&[
        ("client_id", "web"),
        ("prompt", "login"),
        ("state", "s t"),
        ("ui_locales", "fr"),
        ("display", "page"),
        ("redirect_uri", "https://broker.example/cb"),
        ("display", "popup"),
    ]);
    let report = resolved.apply_to(&mut body);
    assert_eq!(
        body,
        pairs(&[
            ("client_id", "web"),
            ("prompt", "login select_account"),
            ("state", "s t"),
            ("ui_locales", "fr"),
            ("redirect_uri", "https://broker.example/cb"),
            ("login_hint", "jane@acme.com"),
            ("hd", "org.example"),
        ])
    );
    assert_eq!(report.connection(), "idp");
    assert!(report.rewritten() && !report.dry_run());
    let got: Vec<(&str, Outcome, Option<ValueSource>)> = report
        .params()
        .iter()
        .map(|p| (p.name(), p.outcome(), p.source()))
        .collect();
    assert_eq!(
        got,
        [
            ("login_hint", Outcome::Added, Some(ValueSource::Query)),
            ("hd", Outcome::Added, Some(ValueSource::Broker)),
            ("prompt", Outcome::Merged, Some(ValueSource::Static)),
            ("ui_locales", Outcome::Kept, Some(ValueSource::Query)),
            ("display", Outcome::Removed, None),
        ]
    );
}

#[test]
fn apply_to_drops_refused_values_with_their_reason() {
    let config = cfg();
    for (query, reason) in [
        ("login_hint=jane%40evil.example", DropReason::Pattern),
        (
            "login_hint=a-very-long-name-indeed%40acme.com",
            DropReason::TooLong,
        ),
        (
            "login_hint=a%40acme.com&login_hint=b%40acme.com",
            DropReason::Ambiguous,
        ),
        ("login_hint=", DropReason::Missing),
        ("", DropReason::Missing),
    ] {
        let resolved = config
            .resolve("idp", &AliasSources::new().query(Some(query)))
            .unwrap();
        let mut body = pairs(&[("login_hint", "broker@acme.com")]);
        let report = resolved.apply_to(&mut body);
        assert_eq!(
            report.outcome("login_hint"),
            Some(Outcome::Dropped(reason)),
            "{query}"
        );
        assert_eq!(report.params()[0].source(), None);
        assert_eq!(
            body[0],
            ("login_hint".to_owned(), "broker@acme.com".to_owned())
        );
        // The default of `hd` is still used.
        assert_eq!(report.params()[1].source(), Some(ValueSource::Default));
    }
}

#[test]
fn apply_to_leaves_jar_and_par_requests_and_reserved_pairs_alone() {
    let config = cfg();
    let resolved = config
        .resolve(
            "idp",
            &AliasSources::new().query(Some("login_hint=j%40acme.com")),
        )
        .unwrap();
    for name in ["request", "request_uri"] {
        let before = pairs(&[("client_id", "web"), (name, "x"), ("display", "page")]);
        let mut body = before.clone();
        let report = resolved.apply_to(&mut body);
        assert_eq!(body, before);
        assert!(!report.rewritten());
        assert_eq!(
            report.outcome("login_hint"),
            Some(Outcome::Dropped(DropReason::ParOrJar))
        );
    }
    let reserved = pairs(&[
        ("state", "a"),
        ("nonce", "b"),
        ("redirect_uri", "c"),
        ("code_challenge", "d"),
        ("client_id", "e"),
        ("state", "f"),
    ]);
    let mut body = reserved.clone();
    resolved.apply_to(&mut body);
    assert_eq!(&body[..reserved.len()], &reserved[..]);
}

#[test]
fn a_dry_run_connection_reports_what_apply_to_would_do() {
    let config = cfg();
    let resolved = config.resolve("canary", &AliasSources::new()).unwrap();
    assert!(resolved.dry_run());
    let mut body = pairs(&[("client_id", "web")]);
    let report = resolved.apply_to(&mut body);
    assert_eq!(body, pairs(&[("client_id", "web")]));
    assert!(report.dry_run() && report.rewritten());
    assert_eq!(report.outcome("hd"), Some(Outcome::Added));
    let rewrite = config.rewrite_location(
        "https://canary.example/authorize?a=1",
        None,
        &AliasSources::new(),
    );
    assert_eq!(rewrite.location(), None);
    assert!(
        rewrite
            .report()
            .is_some_and(|r| r.dry_run() && r.rewritten())
    );
}

#[test]
fn reports_never_hold_values_debug_included() {
    let config = cfg();
    let secret = "very.private.person@acme.com";
    let query = format!("login_hint={}", secret.replace('@', "%40"));
    let sources = AliasSources::new().query(Some(query.as_str()));
    let resolved = config.resolve("idp", &sources).unwrap();
    let report = resolved.apply_to(&mut Vec::new());
    let rewrite = config.rewrite_location(&format!("{IDP}?a=1"), None, &sources);
    for text in [
        format!("{report:?}"),
        format!("{report}"),
        format!("{:?}", rewrite.report()),
        format!("{resolved:?}"),
    ] {
        assert!(!text.contains("private"), "{text}");
        assert!(text.contains("login_hint"), "{text}");
    }
    assert!(
        rewrite
            .location()
            .unwrap()
            .contains("very.private.person%40acme.com")
    );
    assert_eq!(
        Outcome::Dropped(DropReason::TooLong).to_string(),
        "dropped(too_long)"
    );
    assert_eq!(Outcome::Merged.to_string(), "merged");
}

#[test]
fn from_request_takes_the_query_and_the_values_extension() {
    let config = cfg();
    let mut request = Request::get("/authorize?login_hint=q%40acme.com&ui_locales=de")
        .body(())
        .unwrap();
    request
        .extensions_mut()
        .insert(UpstreamValues::new().with("org", "org.example"));
    let sources = AliasSources::from_request(&request);
    let resolved = config.resolve("idp", &sources).unwrap();
    let values: Vec<(&str, &str)> = resolved.values().collect();
    assert_eq!(values[0], ("login_hint", "q@acme.com"));
    assert_eq!(values[1], ("hd", "org.example"));
    let bare = Request::get("/authorize").body(()).unwrap();
    let resolved = config
        .resolve("idp", &AliasSources::from_request(&bare))
        .unwrap();
    assert_eq!(
        resolved.values().count(),
        2,
        "the default and the static value"
    );
}

/// A broker that applied the params itself (PAR) inserts the report into its redirect: the
/// layer leaves that response as it is (no `par_or_jar`), and the report is what it carries.
#[tokio::test]
async fn a_response_carrying_a_report_is_left_alone() {
    let config = cfg();
    let resolved = config
        .resolve(
            "idp",
            &AliasSources::new().query(Some("login_hint=j%40acme.com")),
        )
        .unwrap();
    let report = resolved.apply_to(&mut pairs(&[("client_id", "web")]));
    let location =
        format!("{IDP}?client_id=web&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax");
    let layer = UpstreamParamsLayer::new(cfg());
    let inner = {
        let (location, report) = (location.clone(), report.clone());
        tower::service_fn(move |_req: Request<String>| {
            let mut response = http::Response::builder()
                .status(StatusCode::FOUND)
                .header("location", location.clone())
                .body(String::new())
                .unwrap();
            response.extensions_mut().insert(report.clone());
            async move { Ok::<_, std::convert::Infallible>(response) }
        })
    };
    let service = tower::ServiceBuilder::new().layer(layer).service(inner);
    let response =
        tower::ServiceExt::oneshot(service, Request::get("/").body(String::new()).unwrap())
            .await
            .unwrap();
    assert_eq!(response.headers()["location"], location.as_str());
    let carried = response.extensions().get::<UpstreamReport>().unwrap();
    assert_eq!(carried, &report);
    assert_eq!(carried.outcome("login_hint"), Some(Outcome::Added));
}

/// The layer inserts its report into every redirect that selects a connection, dry runs
/// included, and into nothing else.
#[tokio::test]
async fn the_layer_inserts_the_report_where_a_connection_is_selected() {
    let location = format!("{IDP}?client_id=web");
    let response = respond(
        UpstreamParamsLayer::new(cfg()).dry_run(true),
        "/a?login_hint=j%40acme.com",
        &location,
        Extras::default(),
        None,
    )
    .await;
    assert_eq!(response.headers()["location"], location.as_str());
    let report = response.extensions().get::<UpstreamReport>().unwrap();
    assert!(report.dry_run() && report.rewritten());
    for elsewhere in ["https://other.example/authorize?a=1", "/relative?a=1"] {
        let response = respond(
            UpstreamParamsLayer::new(cfg()),
            "/",
            elsewhere,
            Extras::default(),
            None,
        )
        .await;
        assert!(response.extensions().get::<UpstreamReport>().is_none());
    }
    let ok = respond(
        UpstreamParamsLayer::new(cfg()),
        "/",
        &location,
        Extras {
            status: Some(StatusCode::OK),
            ..Extras::default()
        },
        None,
    )
    .await;
    assert!(ok.extensions().get::<UpstreamReport>().is_none());
}
