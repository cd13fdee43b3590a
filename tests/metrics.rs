//! The counters of the feature `metrics`, read from `metrics-util`'s in-memory recorder:
//! `upstream_params_redirects_total` {`connection`, `rewritten`, `dry_run`} and
//! `upstream_params_params_total` {`connection`, `param`, `outcome`}.

#![cfg(feature = "metrics")]

use std::collections::BTreeMap;

use http::header::LOCATION;
use http::{Request, Response, StatusCode};
use metrics_util::MetricKind;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tower::{ServiceExt, service_fn};
use tower_upstream_params::{
    AliasSources, Config, UpstreamConnection, UpstreamParamsLayer, UpstreamReport, UpstreamValues,
};

const CONFIG: &str = r#"{"connections": {
    "twitter": {"protocol": "oauth1",
        "authorization_url": "https://api.twitter.com/oauth/authorize",
        "upstream_params": {"screen_name": {"alias": "login_hint"}}},
    "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "upstream_params": {"prompt": {"value": "select_account", "mode": "merge"},
                            "hd": {"alias": "org_domain", "source": "broker"},
                            "login_hint": {"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}}},
    "canary": {"dry_run": true,
        "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
        "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}}}"#;

const TWITTER: &str = "https://api.twitter.com/oauth/authorize?oauth_token=T";
const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=web&prompt=consent";
const WORDPRESS: &str = "https://public-api.wordpress.com/oauth2/authorize?client_id=1";

/// A counter's name and labels, sorted by label name.
type Counter = (String, Vec<(String, String)>);

/// One redirect to `location` through the layer, for a request to `uri`; the counters the
/// layer recorded meanwhile.
fn counters(
    layer: UpstreamParamsLayer,
    uri: &str,
    status: StatusCode,
    location: &'static str,
    report: Option<UpstreamReport>,
) -> BTreeMap<Counter, u64> {
    counters_named(layer, uri, status, location, report, None)
}

/// [`counters`], with the redirect naming its connection with an `UpstreamConnection`.
fn counters_named(
    layer: UpstreamParamsLayer,
    uri: &str,
    status: StatusCode,
    location: &str,
    report: Option<UpstreamReport>,
    named: Option<&str>,
) -> BTreeMap<Counter, u64> {
    let location = location.to_owned();
    let named = named.map(UpstreamConnection::new);
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let request = Request::get(uri).body(()).unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let broker = service_fn(move |_: Request<()>| {
                let (report, named) = (report.clone(), named.clone());
                let location = location.clone();
                async move {
                    let mut response = Response::builder()
                        .status(status)
                        .header(LOCATION, location)
                        .body(())?;
                    if let Some(report) = report {
                        response.extensions_mut().insert(report);
                    }
                    if let Some(named) = named {
                        response.extensions_mut().insert(named);
                    }
                    Ok::<_, http::Error>(response)
                }
            });
            tower::ServiceBuilder::new()
                .layer(layer)
                .service(broker)
                .oneshot(request)
                .await
                .unwrap()
        })
    });
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            assert_eq!(key.kind(), MetricKind::Counter);
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let DebugValue::Counter(count) = value else {
                panic!("not a counter: {value:?}");
            };
            ((key.name().to_owned(), labels), count)
        })
        .collect()
}

fn redirects(connection: &str, rewritten: bool, dry_run: bool) -> Counter {
    (
        "upstream_params_redirects_total".to_owned(),
        vec![
            ("connection".to_owned(), connection.to_owned()),
            ("dry_run".to_owned(), dry_run.to_string()),
            ("rewritten".to_owned(), rewritten.to_string()),
        ],
    )
}

fn params(connection: &str, param: &str, outcome: &str) -> Counter {
    (
        "upstream_params_params_total".to_owned(),
        vec![
            ("connection".to_owned(), connection.to_owned()),
            ("outcome".to_owned(), outcome.to_owned()),
            ("param".to_owned(), param.to_owned()),
        ],
    )
}

fn layer() -> UpstreamParamsLayer {
    UpstreamParamsLayer::new(Config::from_json(CONFIG).unwrap())
}

#[test]
fn a_rewrite_counts_the_redirect_and_each_param() {
    let got = counters(
        layer(),
        "/authorize?login_hint=jane%40gmail.com",
        StatusCode::FOUND,
        TWITTER,
        None,
    );
    let want = BTreeMap::from([
        (redirects("twitter", true, false), 1),
        (params("twitter", "screen_name", "added"), 1),
    ]);
    assert_eq!(got, want);
}

#[test]
fn outcomes_are_spelled_as_in_tracing_and_dropped_params_count() {
    // prompt merged; hd has no broker value; login_hint refused by its pattern.
    let got = counters(
        layer(),
        "/authorize?login_hint=jane%40gmail.com",
        StatusCode::SEE_OTHER,
        GOOGLE,
        None,
    );
    let want = BTreeMap::from([
        (redirects("google", true, false), 1),
        (params("google", "prompt", "merged"), 1),
        (params("google", "hd", "dropped(missing)"), 1),
        (params("google", "login_hint", "dropped(pattern)"), 1),
    ]);
    assert_eq!(got, want);

    // Nothing changes: rewritten="false".
    let got = counters(layer(), "/authorize", StatusCode::FOUND, TWITTER, None);
    let want = BTreeMap::from([
        (redirects("twitter", false, false), 1),
        (params("twitter", "screen_name", "dropped(missing)"), 1),
    ]);
    assert_eq!(got, want);
}

#[test]
fn dry_runs_are_labelled() {
    // The layer's dry run: what would change, labelled dry_run="true".
    let got = counters(
        layer().dry_run(true),
        "/authorize?login_hint=jane%40gmail.com",
        StatusCode::TEMPORARY_REDIRECT,
        TWITTER,
        None,
    );
    let want = BTreeMap::from([
        (redirects("twitter", true, true), 1),
        (params("twitter", "screen_name", "added"), 1),
    ]);
    assert_eq!(got, want);

    // A canary connection ("dry_run": true), the layer itself live.
    let got = counters(layer(), "/authorize", StatusCode::FOUND, WORDPRESS, None);
    let want = BTreeMap::from([
        (redirects("canary", true, true), 1),
        (params("canary", "blog", "added"), 1),
    ]);
    assert_eq!(got, want);
}

#[test]
fn labels_never_carry_a_value() {
    let got = counters(
        layer(),
        "/authorize?login_hint=jane%40acme.com",
        StatusCode::FOUND,
        GOOGLE,
        None,
    );
    assert_eq!(got.get(&params("google", "login_hint", "added")), Some(&1));
    for (_, labels) in got.keys() {
        for (_, value) in labels {
            assert!(!value.contains("jane"), "{value}");
            assert!(!value.contains("select_account"), "{value}");
        }
    }
}

#[test]
fn a_report_the_broker_inserted_is_counted() {
    // A pushed authorization request: the broker applied the params and inserted the report.
    let config = Config::from_json(CONFIG).unwrap();
    let values = UpstreamValues::new().with("org_domain", "acme.com");
    let resolved = config
        .resolve("google", &AliasSources::new().values(&values))
        .unwrap();
    let mut body = vec![("client_id".to_owned(), "web".to_owned())];
    let report = resolved.apply_to(&mut body);
    let got = counters(
        layer(),
        "/authorize",
        StatusCode::FOUND,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=web&request_uri=urn%3Ax",
        Some(report),
    );
    let want = BTreeMap::from([
        (redirects("google", true, false), 1),
        (params("google", "prompt", "added"), 1),
        (params("google", "hd", "added"), 1),
        (params("google", "login_hint", "dropped(missing)"), 1),
    ]);
    assert_eq!(got, want);
}

#[test]
fn what_selects_no_connection_counts_only_its_miss() {
    for (status, location, miss) in [
        (StatusCode::OK, TWITTER, None),
        // No connection on that origin: nothing at all.
        (StatusCode::FOUND, "https://idp.example/authorize", None),
        // A trailing slash: a configured origin, no endpoint.
        (
            StatusCode::FOUND,
            "https://accounts.google.com/o/oauth2/v2/auth/",
            Some("no_endpoint"),
        ),
    ] {
        let got = counters(layer(), "/authorize", status, location, None);
        let want: BTreeMap<Counter, u64> =
            miss.map(|reason| (misses(reason), 1)).into_iter().collect();
        assert_eq!(got, want, "{location}");
    }
}

fn misses(reason: &str) -> Counter {
    (
        "upstream_params_misses_total".to_owned(),
        vec![("reason".to_owned(), reason.to_owned())],
    )
}

/// Issue 22: no client input becomes a label. Random `UpstreamConnection` names (a broker in
/// the Auth0 style takes it from the client's `?connection=`) and random `client_id`s (the
/// client's own link) count under `reason` alone.
#[test]
fn a_client_cannot_create_a_metrics_label() {
    let config = Config::from_json(
        r#"{"connections": {"acme": {"authorization_url": "https://idp.example/authorize",
                                     "client_id": "acme"}}}"#,
    )
    .unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = || {
        // xorshift: a different string each time, printable and not.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        format!("{seed:x}\u{1b}[31m{}", seed % 977)
    };
    for _ in 0..20 {
        let named = random();
        let client_id = random();
        let encoded: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
        let location = format!("https://idp.example/authorize?client_id={encoded}");
        let layer = UpstreamParamsLayer::new(config.clone());
        let got = counters_named(
            layer,
            "/authorize",
            StatusCode::FOUND,
            &location,
            None,
            None,
        );
        assert_eq!(got, BTreeMap::from([(misses("no_connection"), 1)]));
        let layer = UpstreamParamsLayer::new(config.clone());
        let got = counters_named(
            layer,
            "/authorize",
            StatusCode::FOUND,
            &location,
            None,
            Some(&named),
        );
        assert_eq!(got, BTreeMap::from([(misses("not_candidate"), 1)]));
    }
}

/// A report for another connection is counted as a miss, and the layer's own report as a
/// redirect: once.
#[test]
fn a_foreign_report_counts_as_a_miss() {
    let config = Config::from_json(CONFIG).unwrap();
    let foreign = config
        .resolve("google", &AliasSources::new())
        .unwrap()
        .report();
    let got = counters(
        layer(),
        "/authorize?login_hint=jane%40gmail.com",
        StatusCode::FOUND,
        TWITTER,
        Some(foreign),
    );
    assert_eq!(got.get(&misses("foreign_report")), Some(&1), "{got:?}");
    assert_eq!(
        got.get(&redirects("twitter", true, false)),
        Some(&1),
        "{got:?}"
    );
    assert!(
        !got.keys()
            .any(|(_, labels)| labels.iter().any(|(_, v)| v == "google"))
    );
}

// ---------------------------------------------------------------------------------------
// A file watch: upstream_params_config_reloads_total {result} and
// upstream_params_config_last_reload_successful.

const RELOADS: &str = "upstream_params_config_reloads_total";
const LAST_RELOAD: &str = "upstream_params_config_last_reload_successful";

/// Every metric of `snapshot`: (name, labels) -> value (a gauge as its number).
fn values(snapshotter: &metrics_util::debugging::Snapshotter) -> BTreeMap<Counter, f64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let value = match value {
                DebugValue::Counter(n) => n as f64,
                DebugValue::Gauge(g) => g.0,
                DebugValue::Histogram(_) => panic!("no histogram is recorded"),
            };
            ((key.name().to_owned(), labels), value)
        })
        .collect()
}

fn reloads(result: &str) -> Counter {
    (
        RELOADS.to_owned(),
        vec![("result".to_owned(), result.to_owned())],
    )
}

fn last_reload() -> Counter {
    (LAST_RELOAD.to_owned(), Vec::new())
}

/// A file of this test's own, written by a rename.
struct File(std::path::PathBuf);

impl File {
    fn new(name: &str, text: &str) -> File {
        let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("metrics-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = File(dir.join("config.json"));
        file.write(text);
        file
    }

    fn write(&self, text: &str) {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &self.0).unwrap();
    }
}

impl Drop for File {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

const REJECTED: &str = r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
    "upstream_params": {"state": {"value": "x"}}}}}"#;

#[test]
fn a_replica_whose_file_is_rejected_reports_it() {
    // The watch reads the file once on the calling thread: its metrics are this thread's.
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let file = File::new("rejected", REJECTED);
    let layer = UpstreamParamsLayer::new(Config::from_json(CONFIG).unwrap());
    metrics::with_local_recorder(&recorder, || {
        drop(
            layer
                .handle()
                .watch_file(&file.0, std::time::Duration::from_secs(3600)),
        );
    });
    let got = values(&snapshotter);
    assert_eq!(
        got,
        BTreeMap::from([(reloads("rejected"), 1.0), (last_reload(), 0.0)])
    );
    // The replica still serves its older configuration.
    assert_eq!(*layer.handle().load(), Config::from_json(CONFIG).unwrap());

    // A good file: loaded, 1.
    file.write(CONFIG);
    metrics::with_local_recorder(&recorder, || {
        drop(
            layer
                .handle()
                .watch_file(&file.0, std::time::Duration::from_secs(3600)),
        );
    });
    let got = values(&snapshotter);
    assert_eq!(
        got,
        BTreeMap::from([
            (reloads("rejected"), 1.0),
            (reloads("loaded"), 1.0),
            (last_reload(), 1.0)
        ])
    );
}

#[test]
fn the_watch_s_thread_reports_every_reload() {
    // The only test of this binary with a global recorder: the watch's own thread records
    // there. Only file watches record these two names.
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::set_global_recorder(recorder).expect("the only global recorder of this binary");
    let file = File::new("thread", CONFIG);
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer
        .handle()
        .watch_file(&file.0, std::time::Duration::from_millis(2));
    let wait = |want: BTreeMap<Counter, f64>| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let got: BTreeMap<Counter, f64> = values(&snapshotter)
                .into_iter()
                .filter(|((name, _), _)| name == RELOADS || name == LAST_RELOAD)
                .collect();
            if got == want {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{got:?} != {want:?}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    wait(BTreeMap::from([
        (reloads("loaded"), 1.0),
        (last_reload(), 1.0),
    ]));
    file.write(REJECTED);
    wait(BTreeMap::from([
        (reloads("loaded"), 1.0),
        (reloads("rejected"), 1.0),
        (last_reload(), 0.0),
    ]));
    // Back as it was when it last loaded: live again, nothing reloaded.
    file.write(CONFIG);
    wait(BTreeMap::from([
        (reloads("loaded"), 1.0),
        (reloads("rejected"), 1.0),
        (last_reload(), 1.0),
    ]));
    file.write(&CONFIG.replace("select_account", "consent"));
    wait(BTreeMap::from([
        (reloads("loaded"), 2.0),
        (reloads("rejected"), 1.0),
        (last_reload(), 1.0),
    ]));
    drop(watch);
}

/// One description: the metric's name, its kind, unit and text.
type Description = (String, &'static str, Option<metrics::Unit>, String);

/// Records which metrics were described, and how.
#[derive(Default)]
struct Descriptions(std::sync::Mutex<Vec<Description>>);

impl Descriptions {
    fn add(
        &self,
        kind: &'static str,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        text: metrics::SharedString,
    ) {
        self.0
            .lock()
            .unwrap()
            .push((key.as_str().to_owned(), kind, unit, text.to_string()));
    }
}

impl metrics::Recorder for Descriptions {
    fn describe_counter(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        text: metrics::SharedString,
    ) {
        self.add("counter", key, unit, text);
    }
    fn describe_gauge(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        text: metrics::SharedString,
    ) {
        self.add("gauge", key, unit, text);
    }
    fn describe_histogram(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        text: metrics::SharedString,
    ) {
        self.add("histogram", key, unit, text);
    }
    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::noop()
    }
    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(
        &self,
        _: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::noop()
    }
}

#[test]
fn describe_metrics_describes_every_counter_and_the_gauge() {
    let recorder = Descriptions::default();
    metrics::with_local_recorder(&recorder, tower_upstream_params::describe_metrics);
    let mut described = recorder.0.into_inner().unwrap();
    described.sort_by(|a, b| a.0.cmp(&b.0));
    let kinds: Vec<(&str, &str)> = described
        .iter()
        .map(|(name, kind, _, _)| (name.as_str(), *kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("upstream_params_config_last_reload_successful", "gauge"),
            ("upstream_params_config_reloads_total", "counter"),
            ("upstream_params_misses_total", "counter"),
            ("upstream_params_params_total", "counter"),
            ("upstream_params_redirects_total", "counter"),
        ]
    );
    for (name, kind, unit, text) in &described {
        assert!(text.len() > 20, "{name}: {text:?}");
        if *kind == "counter" {
            assert_eq!(*unit, Some(metrics::Unit::Count), "{name}");
        }
    }
}
