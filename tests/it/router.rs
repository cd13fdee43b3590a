//! Through axum's `Router::layer`, in process and on a real server on loopback.

use axum::Router;
use axum::extract::RawQuery;
use axum::http::{StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::ServiceExt;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

fn config(idp: &str) -> Config {
    Config::from_json(&format!(
        r#"{{"connections": {{"idp": {{"authorization_url": "{idp}/oauth2/authorize",
            "upstream_params": {{"blog": {{"value": "myblog.wordpress.com"}},
                                 "screen_name": {{"alias": "login_hint"}},
                                 "hd": {{"alias": "org", "source": "broker"}}}}}}}}}}"#
    ))
    .unwrap()
}

fn broker(idp: String) -> Router {
    Router::new()
        .route(
            "/authorize",
            get(move || {
                let idp = idp.clone();
                async move {
                    let mut response =
                        Redirect::to(&format!("{idp}/oauth2/authorize?client_id=b&state=x%2By"))
                            .into_response();
                    response
                        .extensions_mut()
                        .insert(UpstreamValues::new().with("org", "acme.com"));
                    response
                }
            }),
        )
        .route(
            "/other",
            get(|| async { Redirect::to("https://elsewhere.example/") }),
        )
        .route("/ok", get(|| async { "fine" }))
}

#[tokio::test]
async fn router_layer_rewrites_in_process() {
    let app = broker("https://idp.example".into())
        .layer(UpstreamParamsLayer::new(config("https://idp.example")));
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get("/authorize?login_hint=jo@x.org")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "https://idp.example/oauth2/authorize?client_id=b&state=x%2By&blog=myblog.wordpress.com&screen_name=jo%40x.org&hd=acme.com"
    );
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get("/other")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.headers()[LOCATION], "https://elsewhere.example/");
    let response = app
        .oneshot(
            axum::http::Request::get("/ok")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.into_body().collect().await.unwrap().to_bytes(),
        "fine"
    );
}

#[tokio::test]
async fn a_real_server_on_loopback_sends_the_idp_what_was_configured() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    // One server plays both parts: the broker, and an IdP that echoes the query it got.
    let app = broker(base.clone())
        .route(
            "/oauth2/authorize",
            get(|RawQuery(query): RawQuery| async move { query.unwrap_or_default() }),
        )
        .layer(UpstreamParamsLayer::new(config(&base)));
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let response = client
        .get(
            format!("{base}/authorize?login_hint=jo%40x.org")
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let followed = client.get(location.parse().unwrap()).await.unwrap();
    let received = followed.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        received,
        "client_id=b&state=x%2By&blog=myblog.wordpress.com&screen_name=jo%40x.org&hd=acme.com"
    );
    server.abort();
}
