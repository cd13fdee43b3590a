//! Issue 18, item 8: an alias value that is not UTF-8 once percent-decoded
//! (`login_hint=%FF%FE`) is not used: dropped as `not_utf8`, falling through to the next
//! source like any refused value, never sent as U+FFFD, and never judged by `pattern` as
//! replacement text. Through the layer (`oneshot`) and through `Config::resolve`.

use tower_upstream_params::{
    AliasSources, DropReason, Outcome, UpstreamReport, UpstreamValues, ValueSource,
};

use crate::common::{Extras, location_and_report, one};

const IDP: &str = "https://idp.example/authorize";
const LOCATION: &str = "https://idp.example/authorize?client_id=web&state=s";

async fn through_layer(
    params: &str,
    query: &str,
    values: Option<UpstreamValues>,
) -> (String, UpstreamReport) {
    let config = one("c", IDP, params);
    let uri = format!("/login?{query}");
    location_and_report(config, &uri, LOCATION, Extras::default(), values).await
}

#[tokio::test]
async fn a_value_that_is_not_utf8_is_dropped_not_sent_as_replacement_text() {
    for query in [
        "login_hint=%FF%FE",
        "login_hint=jane%40acme.com%FF",
        "login_hint=%C3",
        "login_hint=%ED%A0%80", // a UTF-16 surrogate, encoded as UTF-8: not UTF-8
        // Longer than the layer's stack space for decoded values: decoded on the heap.
        &format!("login_hint={}%FF", "a".repeat(600)),
    ] {
        // A pattern that matches U+FFFD (what a lossy decoding makes of the bytes) and
        // nothing else: it must never be asked.
        for params in [
            r#"{"login_hint": {"alias": "login_hint"}}"#,
            r#"{"login_hint": {"alias": "login_hint", "pattern": "[\\x{FFFD}a-z@.]+"}}"#,
        ] {
            let (location, report) = through_layer(params, query, None).await;
            assert_eq!(location, LOCATION, "{query}");
            assert!(!location.contains("%EF%BF%BD"));
            assert_eq!(
                report.outcome("login_hint"),
                Some(Outcome::Dropped(DropReason::NotUtf8)),
                "{query} {params}"
            );
            assert_eq!(report.params()[0].source(), None);
            assert_eq!(
                report.outcome("login_hint").unwrap().to_string(),
                "dropped(not_utf8)"
            );
        }
    }
    assert_eq!(DropReason::NotUtf8.as_str(), "not_utf8");
}

#[tokio::test]
async fn it_falls_through_to_the_default_like_any_refused_value() {
    let (location, report) = through_layer(
        r#"{"login_hint": {"alias": "login_hint", "default": "someone@acme.com"}}"#,
        "login_hint=%FF%FE",
        None,
    )
    .await;
    assert_eq!(
        location,
        format!("{LOCATION}&login_hint=someone%40acme.com")
    );
    assert_eq!(report.outcome("login_hint"), Some(Outcome::Added));
    assert_eq!(report.params()[0].source(), Some(ValueSource::Default));

    // A broker value comes first; the query's bad bytes are never read then.
    let (location, report) = through_layer(
        r#"{"login_hint": {"alias": "login_hint"}}"#,
        "login_hint=%FF%FE",
        Some(UpstreamValues::new().with("login_hint", "jane@acme.com")),
    )
    .await;
    assert_eq!(location, format!("{LOCATION}&login_hint=jane%40acme.com"));
    assert_eq!(report.params()[0].source(), Some(ValueSource::Broker));

    // A broker value the pattern refuses, then a query value that is not UTF-8: the last
    // refusal is the reason.
    let (location, report) = through_layer(
        r#"{"login_hint": {"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}}"#,
        "login_hint=%FF",
        Some(UpstreamValues::new().with("login_hint", "jane@evil.example")),
    )
    .await;
    assert_eq!(location, LOCATION);
    assert_eq!(
        report.outcome("login_hint"),
        Some(Outcome::Dropped(DropReason::NotUtf8))
    );
}

#[tokio::test]
async fn utf8_values_and_other_params_are_unaffected() {
    let (location, report) = through_layer(
        r#"{"login_hint": {"alias": "login_hint"}, "ui_locales": {"alias": "ui_locales"}}"#,
        "login_hint=j%C3%A9r%C3%B4me%40acme.com&ui_locales=%FF",
        None,
    )
    .await;
    assert_eq!(
        location,
        format!("{LOCATION}&login_hint=j%C3%A9r%C3%B4me%40acme.com")
    );
    assert_eq!(report.outcome("login_hint"), Some(Outcome::Added));
    assert_eq!(
        report.outcome("ui_locales"),
        Some(Outcome::Dropped(DropReason::NotUtf8))
    );
}

#[test]
fn resolve_drops_it_too() {
    let config = one(
        "c",
        IDP,
        r#"{"login_hint": {"alias": "login_hint"},
            "hint2": {"alias": "login_hint", "default": "d"}}"#,
    );
    // Config::resolve has no stack space: its values are decoded on the heap.
    for query in [
        "login_hint=%FF%FE",
        &format!("login_hint={}%FE", "b".repeat(1000)),
    ] {
        let sources = AliasSources::new().query(Some(query));
        let resolved = config.resolve("c", &sources).expect("a connection");
        let values: Vec<(&str, &str)> = resolved.values().collect();
        assert_eq!(values, [("hint2", "d")], "{}", &query[..20]);
        let report = resolved.apply_to(&mut Vec::new());
        assert_eq!(
            report.outcome("login_hint"),
            Some(Outcome::Dropped(DropReason::NotUtf8))
        );
        assert_eq!(report.outcome("hint2"), Some(Outcome::Added));
        assert_eq!(report.params()[1].source(), Some(ValueSource::Default));
    }
}
