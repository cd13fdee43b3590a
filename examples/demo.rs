//! The layer at work, on loopback with no outside services.
//!
//! Starts a small identity provider (it answers with the query it received) and two brokers
//! that redirect to it: one bare, one wrapped in `UpstreamParamsLayer` with the WordPress, X
//! and Google cases of the Auth0 and Kinde docs. Each login is followed to the IdP, and the
//! table shows what the IdP received without and with the layer.
//!
//! Run with `cargo run --example demo`.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

type HttpClient = Client<HttpConnector, Empty<bytes::Bytes>>;

/// The IdP: every authorization endpoint echoes the query it received.
fn idp() -> Router {
    let echo = |RawQuery(query): RawQuery| async move { query.unwrap_or_default() };
    Router::new()
        .route("/oauth2/authorize", get(echo))
        .route("/oauth/authorize", get(echo))
        .route("/o/oauth2/v2/auth", get(echo))
}

/// The broker: `/login/{connection}` redirects to the IdP as a broker would.
fn broker(idp: SocketAddr) -> Router {
    Router::new().route(
        "/login/{connection}",
        get(move |Path(connection): Path<String>| async move {
            let location = match connection.as_str() {
                "wordpress" => format!(
                    "http://{idp}/oauth2/authorize?client_id=42&response_type=code\
                     &redirect_uri=http%3A%2F%2Fbroker%2Fcb&state=Zm9v%2Bbar"
                ),
                "twitter" => format!("http://{idp}/oauth/authorize?oauth_token=T-123"),
                "google" | "google-typed" => format!(
                    "http://{idp}/o/oauth2/v2/auth?client_id=google-client&response_type=code\
                     &scope=openid%20email&prompt=consent&state=s%20t"
                ),
                _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
            };
            let mut response: Response = Redirect::to(&location).into_response();
            if connection == "google-typed" {
                // The email the user typed on the broker's own page: a broker-provided value.
                response
                    .extensions_mut()
                    .insert(UpstreamValues::new().with("login_hint", "typed@example.com"));
            }
            response
        }),
    )
}

fn config(idp: SocketAddr) -> Config {
    let json = format!(
        r#"{{
  "connections": {{
    "wordpress": {{
      "authorization_url": "http://{idp}/oauth2/authorize",
      "upstream_params": {{ "blog": {{ "value": "myblog.wordpress.com" }} }}
    }},
    "twitter": {{
      "protocol": "oauth1",
      "authorization_url": "http://{idp}/oauth/authorize",
      "upstream_params": {{ "screen_name": {{ "alias": "login_hint" }} }}
    }},
    "google": {{
      "protocol": "oidc",
      "authorization_url": "http://{idp}/o/oauth2/v2/auth",
      "upstream_params": {{
        "prompt": {{ "value": "select_account" }},
        "login_hint": {{ "alias": "login_hint" }}
      }}
    }}
  }}
}}"#
    );
    match Config::from_json(&json) {
        Ok(config) => config,
        Err(e) => panic!("the demo's configuration is invalid: {e}"),
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Logs in through `broker` and returns what the IdP received.
async fn idp_received(client: &HttpClient, broker: SocketAddr, path: &str) -> String {
    let response = client
        .get(format!("http://{broker}{path}").parse().expect("uri"))
        .await
        .expect("broker answers");
    let location = response.headers()["location"]
        .to_str()
        .expect("ASCII Location")
        .to_owned();
    let response = client
        .get(location.parse().expect("absolute Location"))
        .await
        .expect("IdP answers");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("IdP body")
        .to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

#[tokio::main]
async fn main() {
    let idp_addr = serve(idp()).await;
    let bare = serve(broker(idp_addr)).await;
    let layered = serve(broker(idp_addr).layer(UpstreamParamsLayer::new(config(idp_addr)))).await;
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    println!(
        "IdP on {idp_addr}; bare broker on {bare}; broker with UpstreamParamsLayer on {layered}\n"
    );
    let cases = [
        ("WordPress, static blog", "/login/wordpress"),
        (
            "X, screen_name from login_hint",
            "/login/twitter?client_id=abc&response_type=token&login_hint=john@gmail.com",
        ),
        (
            "Google, prompt replaced + login_hint",
            "/login/google?login_hint=hello%40example.com",
        ),
        (
            "Google, broker-typed email wins",
            "/login/google-typed?login_hint=query%40example.com",
        ),
    ];
    let mut failures = 0;
    for (name, path) in cases {
        let before = idp_received(&client, bare, path).await;
        let after = idp_received(&client, layered, path).await;
        println!("{name}\n  request   GET {path}\n  before    {before}\n  after     {after}\n");
        if after == before {
            failures += 1;
        }
    }
    if failures > 0 {
        eprintln!("{failures} case(s) were not rewritten");
        std::process::exit(1);
    }
}
