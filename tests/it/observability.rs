//! `tracing` events: what is reported, and that values never are.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::sync::Once;

use tower_upstream_params::{UpstreamParamsLayer, UpstreamValues};

use crate::common::{Extras, config, one, respond};

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static CAPTURED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Writes into the buffer of the thread that emits the event.
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if CAPTURING.get() {
            CAPTURED.with(|c| c.borrow_mut().extend_from_slice(buf));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns every event (all levels) it emitted on this thread.
///
/// One global subscriber, installed once, writes each event into a buffer of the thread that
/// emitted it. (A subscriber per test with `set_default` races with tests running in parallel
/// on other threads: tracing caches a call site's interest globally, and a call site first
/// hit on a thread without a subscriber can be cached as "never".) Each `#[tokio::test]`
/// runs its future on its own thread, so the buffer holds this test's events only.
async fn captured<F: std::future::Future<Output = ()>>(f: F) -> String {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| Capture)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
    CAPTURED.with(|c| c.borrow_mut().clear());
    CAPTURING.set(true);
    f.await;
    CAPTURING.set(false);
    let bytes = CAPTURED.with(|c| std::mem::take(&mut *c.borrow_mut()));
    String::from_utf8(bytes).unwrap()
}

const IDP: &str = "https://idp.example/authorize";
const SECRET: &str = "very.private.person@example.com";

#[tokio::test]
async fn each_param_outcome_is_reported_without_values() {
    let cfg = one(
        "acme",
        IDP,
        r#"{"lh": {"alias": "login_hint"}, "prompt": {"value": "select_account"},
            "hd": {"alias": "org", "source": "broker"}, "ui": {"alias": "ui_locales", "pattern": "[a-z]{2}"},
            "audience": {"remove": true}, "keep": {"value": "v", "mode": "keep"}}"#,
    );
    let output = captured(async {
        let extras = Extras::values(UpstreamValues::new().with("org", "secret-org.example"));
        let uri = format!("/authorize?login_hint={SECRET}&ui_locales=english-please");
        let loc = format!("{IDP}?prompt=consent&audience=api&keep=k&state=opaque-state-value");
        let response = respond(UpstreamParamsLayer::new(cfg), &uri, &loc, extras, None).await;
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.contains("very.private.person%40example.com"));
    })
    .await;
    assert!(output.contains("tower_upstream_params"), "{output}");
    assert!(output.contains("connection=acme"), "{output}");
    for outcome in [
        "lh:added",
        "prompt:replaced",
        "hd:added",
        "ui:dropped(pattern)",
        "audience:removed",
        "keep:kept",
    ] {
        assert!(output.contains(outcome), "missing {outcome} in {output}");
    }
    for secret in [
        SECRET,
        "very.private.person%40example.com",
        "secret-org.example",
        "english-please",
        "opaque-state-value",
        "consent",
    ] {
        assert!(!output.contains(secret), "{secret} leaked: {output}");
    }
}

#[tokio::test]
async fn dropped_reasons_are_reported() {
    let cfg = config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}", "upstream_params": {{
            "a": {{"alias": "login_hint"}},
            "b": {{"alias": "prompt"}},
            "c": {{"alias": "display", "max_len": 2}},
            "d": {{"alias": "max_age"}}
        }}}}}}}}"#
    ));
    let output = captured(async {
        let uri = format!("/a?prompt=x&prompt=y&display=popup&max_age=&login_hint={SECRET}x");
        respond(
            UpstreamParamsLayer::new(cfg.clone()),
            "/a?prompt=x&prompt=y&display=popup&max_age=",
            IDP,
            Extras::default(),
            None,
        )
        .await;
        // PAR: every param dropped with par_or_jar.
        respond(
            UpstreamParamsLayer::new(cfg),
            &uri,
            &format!("{IDP}?request_uri=urn%3Ax"),
            Extras::default(),
            None,
        )
        .await;
    })
    .await;
    for outcome in [
        "a:dropped(missing)",
        "b:dropped(ambiguous)",
        "c:dropped(too_long)",
        "d:dropped(missing)",
        "a:dropped(par_or_jar)",
    ] {
        assert!(output.contains(outcome), "missing {outcome} in {output}");
    }
    assert!(!output.contains(SECRET), "{output}");
}

#[tokio::test]
async fn location_too_long_is_reported() {
    let cfg = config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}", "upstream_params": {{"a": {{"alias": "login_hint"}}}}}}}},
            "limits": {{"max_location_len": 40}}}}"#
    ));
    let output = captured(async {
        let response = respond(
            UpstreamParamsLayer::new(cfg),
            &format!("/?login_hint={SECRET}"),
            IDP,
            Extras::default(),
            None,
        )
        .await;
        assert_eq!(response.headers()["location"], IDP);
    })
    .await;
    assert!(output.contains("a:dropped(location_too_long)"), "{output}");
    assert!(!output.contains(SECRET), "{output}");
}

#[tokio::test]
async fn no_connection_and_non_candidates_are_warnings() {
    let cfg = config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}", "client_id": "right",
            "upstream_params": {{"a": {{"value": "1"}}}}}},
            "d": {{"authorization_url": "{IDP}", "client_id": "other"}}}}}}"#
    ));
    let output = captured(async {
        let loc = format!("{IDP}?client_id=mistyped&login_hint={SECRET}");
        let response = respond(
            UpstreamParamsLayer::new(cfg.clone()),
            "/",
            &loc,
            Extras::default(),
            None,
        )
        .await;
        assert_eq!(response.headers()["location"], loc.as_str());
        let named = Extras::named("ghost");
        respond(
            UpstreamParamsLayer::new(cfg),
            "/",
            &format!("{IDP}?client_id=right"),
            named,
            None,
        )
        .await;
    })
    .await;
    let warns: Vec<&str> = output.lines().filter(|l| l.contains("WARN")).collect();
    assert!(
        warns.iter().any(|l| l.contains("no_connection")),
        "{output}"
    );
    // The name is the broker's (often a client's `?connection=`): not configured, it is
    // logged as `unknown` and its length, never as the string.
    assert!(
        warns
            .iter()
            .any(|l| l.contains("not_candidate") && l.contains("unknown (5 bytes)")),
        "{output}"
    );
    assert!(!output.contains("ghost"), "{output}");
    assert!(!output.contains(SECRET), "{output}");
}

#[tokio::test]
async fn non_ascii_locations_are_a_debug_event() {
    // To a configured endpoint, to an origin no connection has (which the layer otherwise
    // leaves after reading its first bytes), and relative.
    for location in [
        &b"https://idp.example/authorize?x=\xe9"[..],
        b"https://elsewhere.example/cb?x=\xe9",
        b"/cb?x=\xe9",
    ] {
        let output = captured(async {
            let inner = tower::service_fn(move |_req: http::Request<()>| async move {
                let mut response = http::Response::new(());
                *response.status_mut() = http::StatusCode::FOUND;
                response
                    .headers_mut()
                    .insert("location", http::HeaderValue::from_bytes(location).unwrap());
                Ok::<_, std::convert::Infallible>(response)
            });
            let service = tower::ServiceBuilder::new()
                .layer(UpstreamParamsLayer::new(one(
                    "c",
                    IDP,
                    r#"{"a": {"value": "1"}}"#,
                )))
                .service(inner);
            tower::ServiceExt::oneshot(service, http::Request::new(()))
                .await
                .unwrap();
        })
        .await;
        assert!(
            output
                .lines()
                .any(|l| l.contains("DEBUG") && l.contains("non_ascii_location")),
            "{}: {output}",
            String::from_utf8_lossy(location)
        );
    }
}

#[tokio::test]
async fn dry_run_reports_what_would_change() {
    let output = captured(async {
        let layer =
            UpstreamParamsLayer::new(one("c", IDP, r#"{"a": {"value": "1"}}"#)).dry_run(true);
        let response = respond(layer, "/", IDP, Extras::default(), None).await;
        assert_eq!(response.headers()["location"], IDP);
    })
    .await;
    assert!(output.contains("dry_run=true"), "{output}");
    assert!(output.contains("a:added"), "{output}");
}

#[tokio::test]
async fn file_reloads_and_rejections_are_reported_without_values() {
    use std::time::Duration;
    use tower_upstream_params::Config;

    let dir = crate::ops::TempDir::new("events");
    let file = dir.path().join("config.json");
    let layer = UpstreamParamsLayer::new(Config::default());
    let interval = Duration::from_secs(3600);
    // The first read happens on the calling thread, before watch_file returns: its event
    // is this thread's.
    let missing = captured(async {
        drop(layer.handle().watch_file(&file, interval));
    })
    .await;
    let invalid = captured(async {
        // A secret where a param's value goes, in a param that is refused.
        dir.replace(
            "config.json",
            &format!(
                r#"{{"connections": {{"c": {{"authorization_url": "{IDP}",
                    "upstream_params": {{"state": {{"value": "{SECRET}"}},
                                         "blog": {{"alais": "{SECRET}"}}}}}}}}}}"#
            ),
        );
        drop(layer.handle().watch_file(&file, interval));
    })
    .await;
    let valid = one("c", IDP, r#"{"a": {"value": "1"}}"#);
    let reloaded = captured(async {
        dir.replace("config.json", &valid.to_json());
        drop(layer.handle().watch_file(&file, interval));
    })
    .await;

    let line = |output: &str, level: &str| -> String {
        output
            .lines()
            .find(|l| l.contains(level) && l.contains("tower_upstream_params"))
            .unwrap_or_else(|| panic!("no {level} event in {output}"))
            .to_owned()
    };
    let missing = line(&missing, "ERROR");
    assert!(missing.contains("reason=\"config_rejected\""), "{missing}");
    assert!(missing.contains(&*file.to_string_lossy()), "{missing}");
    assert!(
        missing.contains(r#"errors=["cannot read the file: "#),
        "{missing}"
    );

    let invalid = line(&invalid, "ERROR");
    assert!(invalid.contains("reason=\"config_rejected\""), "{invalid}");
    assert!(
        invalid.contains(r#"errors=["connections.c.upstream_params.state: \"state\" is reserved"#)
            && invalid.contains(r#"", "connections.c.upstream_params.blog.alais: unknown key"#),
        "{invalid}"
    );
    assert!(!invalid.contains(SECRET), "{invalid}");

    let reloaded = line(&reloaded, "INFO");
    assert!(reloaded.contains("reason=\"config_loaded\""), "{reloaded}");
    assert!(
        reloaded.contains(&format!("fingerprint={}", valid.fingerprint())),
        "{reloaded}"
    );
    assert_eq!(layer.handle().load().fingerprint(), valid.fingerprint());
}

/// Class 3 of the second correctness pass: no silent non-match. An `UpstreamConnection`
/// naming a connection whose endpoint the `Location` does not match is a WARN
/// `not_candidate` whatever the `Location`'s origin (a typo in `authorization_url`, a
/// trailing slash, another host altogether, a relative URL); a redirect to a configured
/// origin whose path matches no endpoint is a DEBUG `no_endpoint` (origin and path only).
#[tokio::test]
async fn named_non_candidates_and_unmatched_paths_are_never_silent() {
    let cfg = config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}",
            "upstream_params": {{"a": {{"value": "1"}}}}}}}}}}"#
    ));
    let typos = [
        format!("{IDP}/?x={SECRET}"),
        "https://idp.example/Authorize?x=1".to_owned(),
        "https://idp.example/authorise?x=1".to_owned(),
        "https://idp.example:8443/authorize?x=1".to_owned(),
        "http://idp.example/authorize?x=1".to_owned(),
        "https://other.example/authorize?x=1".to_owned(),
        "https://idp.example.evil.com/authorize?x=1".to_owned(),
        "/relative/authorize?x=1".to_owned(),
    ];
    for location in &typos {
        let output = captured(async {
            let response = respond(
                UpstreamParamsLayer::new(cfg.clone()),
                "/",
                location,
                Extras::named("c"),
                None,
            )
            .await;
            assert_eq!(response.headers()["location"], location.as_str());
        })
        .await;
        assert!(
            output
                .lines()
                .any(|l| l.contains("WARN") && l.contains("not_candidate") && l.contains("c")),
            "{location}: {output}"
        );
        assert!(!output.contains(SECRET), "{output}");
    }
    // Without a name: a configured origin's unmatched path is a DEBUG `no_endpoint`; another
    // origin is none of the layer's business.
    for (location, expected) in [
        (format!("{IDP}/?x={SECRET}"), true),
        ("https://IDP.example/authorize/x?x=1".to_owned(), true),
        ("https://idp.example/?x=1".to_owned(), true),
        ("https://other.example/authorize?x=1".to_owned(), false),
        ("https://idp.example:8443/authorize?x=1".to_owned(), false),
    ] {
        let output = captured(async {
            respond(
                UpstreamParamsLayer::new(cfg.clone()),
                "/",
                &location,
                Extras::default(),
                None,
            )
            .await;
        })
        .await;
        let debug = output
            .lines()
            .any(|l| l.contains("DEBUG") && l.contains("no_endpoint"));
        assert_eq!(debug, expected, "{location}: {output}");
        assert!(!output.contains(SECRET), "{output}");
        assert!(!output.contains("x=1"), "no query in the event: {output}");
    }
}

/// A redirect to `location` whose inner service inserted `report`, through `layers` layers
/// of `config` stacked on one another: the response and every event.
async fn with_report(
    config: &tower_upstream_params::Config,
    location: &str,
    report: Option<tower_upstream_params::UpstreamReport>,
    layers: usize,
) -> (http::Response<()>, String) {
    use tower::{Layer, ServiceExt};
    let location = location.to_owned();
    let inner = tower::service_fn(move |_req: http::Request<()>| {
        let mut response = http::Response::builder()
            .status(302)
            .header("location", location.clone())
            .body(())
            .unwrap();
        if let Some(report) = report.clone() {
            response.extensions_mut().insert(report);
        }
        async move { Ok::<_, std::convert::Infallible>(response) }
    });
    let mut response = None;
    let output = captured(async {
        let request = http::Request::get("/authorize?login_hint=jane%40x.example")
            .body(())
            .unwrap();
        let layer = UpstreamParamsLayer::new(config.clone());
        response = Some(match layers {
            1 => layer.layer(inner).oneshot(request).await.unwrap(),
            _ => layer
                .layer(layer.layer(inner))
                .oneshot(request)
                .await
                .unwrap(),
        });
    })
    .await;
    (response.unwrap(), output)
}

fn two_idps() -> tower_upstream_params::Config {
    config(
        r#"{"connections": {
            "g": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                  "upstream_params": {"prompt": {"value": "select_account"}}},
            "x": {"protocol": "oauth1", "authorization_url": "https://api.twitter.com/oauth/authorize",
                  "upstream_params": {"screen_name": {"alias": "login_hint"}}}}}"#,
    )
}

/// Issue 18, item 4: a report for another connection does not stop the layer.
#[tokio::test]
async fn a_foreign_report_does_not_stop_the_layer() {
    use tower_upstream_params::{AliasSources, Outcome, UpstreamReport};
    let cfg = two_idps();
    let foreign = cfg.resolve("g", &AliasSources::new()).unwrap().report();
    let to_x = "https://api.twitter.com/oauth/authorize?oauth_token=T";
    let (response, output) = with_report(&cfg, to_x, Some(foreign.clone()), 1).await;
    assert_eq!(
        response.headers()["location"],
        "https://api.twitter.com/oauth/authorize?oauth_token=T&screen_name=jane%40x.example"
    );
    let report = response.extensions().get::<UpstreamReport>().unwrap();
    assert_eq!(report.connection(), "x");
    assert_eq!(report.outcome("screen_name"), Some(Outcome::Added));
    let warn = output
        .lines()
        .find(|l| l.contains("foreign_report"))
        .unwrap_or_else(|| panic!("{output}"));
    assert!(
        warn.contains("WARN") && warn.contains("report_connection=g"),
        "{warn}"
    );
    assert!(warn.contains("selected=x"), "{warn}");
    // Recorded: the layer's own report, not g's.
    assert!(output.contains("connection=x"), "{output}");
    assert!(
        !output
            .lines()
            .any(|l| l.contains("INFO") && l.contains(" connection=g ")),
        "{output}"
    );

    // On a Location that selects no connection the foreign report stays, unchanged.
    let elsewhere = "https://broker.example/callback?code=c";
    let (response, output) = with_report(&cfg, elsewhere, Some(foreign.clone()), 1).await;
    assert_eq!(response.headers()["location"], elsewhere);
    assert_eq!(
        response.extensions().get::<UpstreamReport>(),
        Some(&foreign)
    );
    assert!(output.contains("foreign_report"), "{output}");
    assert!(
        !output.contains("redirect to upstream identity provider"),
        "{output}"
    );
}

/// The broker's own report (PAR, or a URL built from `values()`) is left and recorded once;
/// two stacked layers record a redirect once.
#[tokio::test]
async fn a_report_is_recorded_once() {
    use tower_upstream_params::{AliasSources, UpstreamReport};
    let cfg = two_idps();
    let own = cfg.resolve("g", &AliasSources::new()).unwrap().report();
    let par = "https://accounts.google.com/o/oauth2/v2/auth?client_id=w&request_uri=urn%3Ax";
    let (response, output) = with_report(&cfg, par, Some(own.clone()), 1).await;
    assert_eq!(response.headers()["location"], par);
    assert_eq!(response.extensions().get::<UpstreamReport>(), Some(&own));
    let infos = output
        .matches("redirect to upstream identity provider")
        .count();
    assert_eq!(infos, 1, "{output}");
    assert!(!output.contains("par_or_jar"), "{output}");
    assert!(
        output.contains(&format!("fingerprint={}", cfg.fingerprint())),
        "{output}"
    );

    // Recorded by the broker already: not again.
    own.record();
    let (_, output) = with_report(&cfg, par, Some(own.clone()), 1).await;
    assert_eq!(
        output
            .matches("redirect to upstream identity provider")
            .count(),
        0,
        "{output}"
    );

    // Two layers on one redirect: one event.
    let to_x = "https://api.twitter.com/oauth/authorize?oauth_token=T";
    let (response, output) = with_report(&cfg, to_x, None, 2).await;
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("screen_name=")
    );
    assert_eq!(
        output
            .matches("redirect to upstream identity provider")
            .count(),
        1,
        "{output}"
    );
}

/// The WARN `no_connection` event carries the `Location`'s `client_id`.
#[tokio::test]
async fn no_connection_names_the_client_id() {
    let cfg = config(
        r#"{"connections": {"a": {"authorization_url": "https://idp.example/authorize",
                                  "client_id": "right"}}}"#,
    );
    let (_, output) = with_report(
        &cfg,
        "https://idp.example/authorize?client_id=wr%0Aong",
        None,
        1,
    )
    .await;
    let warn = output
        .lines()
        .find(|l| l.contains("no_connection"))
        .unwrap();
    assert!(warn.contains(r#"client_id="wr\nong""#), "{warn}");
}
