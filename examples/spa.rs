//! A single-page app's login: the app asks the broker's API for the identity provider's
//! authorize URL and navigates there itself, so there is no redirect for the layer to
//! rewrite. The API passes the URL through `ConfigHandle::rewrite_location` (the layer's
//! configuration and dry run), the same decision the layer makes for a `Location`, returns it
//! in JSON with the report's outcomes, and records the report (no layer sees this URL).
//!
//! `cargo run --example spa` serves the API on loopback, calls it once, prints and checks the
//! JSON, and exits.

use std::error::Error;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tower_upstream_params::{AliasSources, Config, ConfigHandle, UpstreamParamsLayer};

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";

/// `GET /api/login-url?login_hint=...`: `{"url": ..., "connection": ..., "params": [{"name",
/// "outcome"}]}`. Names and outcomes only: the report never holds a value, and the JSON
/// carries none beside the URL itself.
async fn login_url(State(handle): State<ConfigHandle>, request: Request) -> Json<Value> {
    // The URL the broker would have redirected to (a real broker makes a fresh state and
    // PKCE challenge per login and keeps them in its session).
    let authorize = format!(
        "{GOOGLE}?client_id=acme.apps.googleusercontent.com&response_type=code\
         &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid%20email\
         &state=af0ifjsldkj&prompt=consent"
    );
    // The configuration the layer serves (hot reloads included), under its dry run.
    let rewrite = handle.rewrite_location(
        &authorize,
        Some("google"),
        &AliasSources::from_request(&request),
    );
    let url = rewrite.location().unwrap_or(&authorize);
    let (connection, params) = match rewrite.report() {
        Some(report) => (
            {
                // Counted as the layer counts a redirect: the INFO event and the counters.
                report.record();
                json!(report.connection())
            },
            report
                .params()
                .iter()
                .map(|p| json!({"name": p.name(), "outcome": p.outcome().to_string()}))
                .collect(),
        ),
        None => (Value::Null, Vec::new()),
    };
    Json(json!({"url": url, "connection": connection, "params": params}))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = Config::from_json(&format!(
        r#"{{"connections": {{"google": {{
            "protocol": "oidc",
            "authorization_url": "{GOOGLE}",
            "upstream_params": {{
                "login_hint": {{"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}},
                "prompt": {{"value": "select_account"}},
                "hd": {{"value": "acme.com"}}
            }}}}}}}}"#
    ))?;
    // The same layer rewrites the broker's redirects elsewhere on the router; the JSON route
    // reads its configuration through the handle.
    let layer = UpstreamParamsLayer::new(config);
    let app = Router::new()
        .route("/api/login-url", get(login_url))
        .with_state(layer.handle())
        .layer(layer);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("http://{addr}/api/login-url?login_hint=jane%40acme.com");
    let response = client.get(uri.parse()?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    server.abort();
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)).into());
    }
    let answer: Value = serde_json::from_slice(&body)?;
    println!("{}", serde_json::to_string_pretty(&answer)?);

    let url = answer["url"].as_str().ok_or("no url in the JSON")?;
    let expected_url = format!(
        "{GOOGLE}?client_id=acme.apps.googleusercontent.com&response_type=code\
         &redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid%20email\
         &state=af0ifjsldkj&prompt=select_account&login_hint=jane%40acme.com&hd=acme.com"
    );
    if url != expected_url {
        return Err(format!("url {url}, expected {expected_url}").into());
    }
    let expected = json!({
        "url": expected_url,
        "connection": "google",
        "params": [
            {"name": "login_hint", "outcome": "added"},
            {"name": "prompt", "outcome": "replaced"},
            {"name": "hd", "outcome": "added"},
        ],
    });
    if answer != expected {
        return Err(format!("answer {answer}, expected {expected}").into());
    }
    Ok(())
}
