//! The layer's counters, scraped as Prometheus would (feature `metrics`).
//!
//! `cargo run --features metrics --example metrics` installs a recorder that renders the
//! Prometheus text format, serves it on `/metrics` beside a broker's login route (both on
//! loopback), logs in once, scrapes `/metrics` once, prints it, checks that both counters
//! are there and exits (status 1 if one is missing).

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use metrics_exporter_prometheus::PrometheusBuilder;
use tower_upstream_params::{Config, UpstreamParamsLayer};

/// The broker's login route: redirects to X (Twitter) with its request token.
async fn login_twitter() -> Redirect {
    Redirect::to("https://api.twitter.com/oauth/authorize?oauth_token=T")
}

/// Whether `text` has a sample of `counter` with these labels (in any order) and value 1.
fn has_sample(text: &str, counter: &str, labels: &[&str]) -> bool {
    text.lines().any(|line| {
        line.starts_with(&format!("{counter}{{"))
            && line.ends_with("} 1")
            && labels.iter().all(|label| line.contains(label))
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Any `metrics` recorder receives the counters; this one renders Prometheus' format.
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    // Descriptions are the application's to give (the crate only counts): `# HELP` lines.
    metrics::describe_counter!(
        "upstream_params_redirects_total",
        "Redirects to an upstream identity provider that selected a connection"
    );
    metrics::describe_counter!(
        "upstream_params_params_total",
        "Upstream params of those redirects, by outcome"
    );

    let config = Config::from_json(
        r#"{"connections": {"twitter": {
            "protocol": "oauth1",
            "authorization_url": "https://api.twitter.com/oauth/authorize",
            "upstream_params": {"screen_name": {"alias": "login_hint"},
                                "lang": {"alias": "ui_locales"}}}}}"#,
    )?;
    let app = Router::new()
        .route("/login/twitter", get(login_twitter))
        .layer(UpstreamParamsLayer::new(config))
        // Added after the layer: the scrape route is not wrapped by it.
        .route(
            "/metrics",
            get(move || std::future::ready(prometheus.render())),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let login = format!("http://{addr}/login/twitter?login_hint=jane%40example.com");
    let response = client.get(login.parse()?).await?;
    println!("Location: {}\n", response.headers()["location"].to_str()?);

    let response = client
        .get(format!("http://{addr}/metrics").parse()?)
        .await?;
    let scrape = String::from_utf8(response.into_body().collect().await?.to_bytes().to_vec())?;
    println!("GET /metrics:\n{scrape}");

    let expected = [
        (
            "upstream_params_redirects_total",
            &[
                r#"connection="twitter""#,
                r#"rewritten="true""#,
                r#"dry_run="false""#,
            ][..],
        ),
        (
            "upstream_params_params_total",
            &[
                r#"connection="twitter""#,
                r#"param="screen_name""#,
                r#"outcome="added""#,
            ],
        ),
        (
            "upstream_params_params_total",
            &[
                r#"connection="twitter""#,
                r#"param="lang""#,
                r#"outcome="dropped(missing)""#,
            ],
        ),
    ];
    for (counter, labels) in expected {
        if !has_sample(&scrape, counter, labels) {
            eprintln!("missing from /metrics: {counter} {labels:?} 1");
            std::process::exit(1);
        }
    }
    println!("ok: both counters scraped");
    Ok(())
}
