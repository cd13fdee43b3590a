//! The layer on an axum `Router`, with a broker-provided value and hot reload.
//!
//! `cargo run --example axum` starts the broker on loopback, logs in once through it,
//! prints where the browser would be sent before and after a reload, and exits.

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";

/// The broker's login route: redirects to Google as any broker would, and vouches for the
/// user's organization with a broker-provided value.
async fn login_google() -> Response {
    let mut response = Redirect::to(&format!(
        "{GOOGLE}?client_id=acme.apps.googleusercontent.com&response_type=code\
         &scope=openid%20email&state=af0ifjsldkj&prompt=consent"
    ))
    .into_response();
    response
        .extensions_mut()
        .insert(UpstreamValues::new().with("org_domain", "acme.com"));
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_json(
        r#"{
          "connections": {
            "google-acme": {
              "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
              "client_id": "acme.apps.googleusercontent.com",
              "upstream_params": {
                "prompt": { "value": "select_account", "mode": "merge" },
                "hd": { "alias": "org_domain", "source": "broker" },
                "login_hint": { "alias": "login_hint", "pattern": "[^@]+@acme\\.com" }
              }
            }
          }
        }"#,
    )?;
    let layer = UpstreamParamsLayer::new(config);
    let handle = layer.handle(); // hot reload: handle.store(new_config)
    let app = Router::new()
        .route("/login/google", get(login_google)) // answers with a redirect to the IdP
        .layer(layer);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let login = format!("http://{addr}/login/google?login_hint=jane%40acme.com");
    let response = client.get(login.parse()?).await?;
    println!("Location: {}", response.headers()["location"].to_str()?);

    // Hot reload: the next response sees the new configuration.
    let reloaded = handle.load().merge_patch(
        r#"{"connections": {"google-acme": {"upstream_params": {"prompt": null}}}}"#,
    )?;
    handle.store(reloaded);
    let response = client.get(login.parse()?).await?;
    println!(
        "Location after reload: {}",
        response.headers()["location"].to_str()?
    );
    Ok(())
}
