//! An admin route that changes the live configuration with a JSON merge patch (RFC 7396).
//!
//! Auth0's `PATCH /connections/{id}` replaces the whole `options` object, so a forgotten key
//! loses params. Here a patch names only what changes, and `null` deletes:
//!
//! ```sh
//! ADMIN_TOKEN=s3cret cargo run --example admin
//! curl -X PATCH -H 'Authorization: Bearer s3cret' -H 'Content-Type: application/merge-patch+json' \
//!   --data '{"connections": {"google": {"upstream_params": {"hd": {"value": "acme.com"}}}}}' \
//!   http://127.0.0.1:3000/admin/config
//! ```
//!
//! Answers 200 with the new configuration, 400 with every error and its JSON path (the live
//! configuration is unchanged), 401 without the right bearer token. Patches are applied one
//! at a time, so two concurrent patches cannot lose each other's change.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_upstream_params::{Config, ConfigHandle, UpstreamParamsLayer};

#[derive(Clone)]
struct Admin {
    handle: ConfigHandle,
    token: Arc<str>,
    // Serializes read-patch-store, so concurrent patches do not overwrite each other.
    writing: Arc<tokio::sync::Mutex<()>>,
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(admin: &Admin, headers: &HeaderMap) -> bool {
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|t| same(t.as_bytes(), admin.token.as_bytes()))
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Bearer")],
        "missing or wrong bearer token\n",
    )
        .into_response()
}

async fn show(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if !authorized(&admin, &headers) {
        return unauthorized();
    }
    json(StatusCode::OK, admin.handle.load().to_json())
}

async fn patch(State(admin): State<Admin>, headers: HeaderMap, body: String) -> Response {
    if !authorized(&admin, &headers) {
        return unauthorized();
    }
    let _writing = admin.writing.lock().await;
    match admin.handle.load().merge_patch(&body) {
        Ok(config) => {
            let body = config.to_json();
            admin.handle.store(config);
            json(StatusCode::OK, body)
        }
        Err(error) => {
            let errors: Vec<serde_json::Value> = error
                .problems()
                .map(|(path, message)| serde_json::json!({"path": path, "message": message}))
                .collect();
            json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "errors": errors }).to_string(),
            )
        }
    }
}

/// `GET` and `PATCH /admin/config`, guarded by `Authorization: Bearer <token>`.
pub fn admin_router(handle: ConfigHandle, token: impl Into<Arc<str>>) -> Router {
    let admin = Admin {
        handle,
        token: token.into(),
        writing: Arc::default(),
    };
    Router::new()
        .route("/admin/config", get(show).patch(patch))
        .with_state(admin)
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let Some(token) = std::env::var("ADMIN_TOKEN").ok().filter(|t| t.len() >= 8) else {
        eprintln!(
            "set ADMIN_TOKEN (8 characters or more) to the bearer token the admin route accepts"
        );
        std::process::exit(2);
    };
    let config = Config::from_json(
        r#"{"connections": {"google": {
            "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "upstream_params": {"prompt": {"value": "select_account"}}}}}"#,
    )
    .expect("the example's configuration is valid");
    let layer = UpstreamParamsLayer::new(config);
    let app = Router::new()
        .route(
            "/login/google",
            get(|| async {
                Redirect::to("https://accounts.google.com/o/oauth2/v2/auth?client_id=c&state=s")
            }),
        )
        .layer(layer.clone())
        .merge(admin_router(layer.handle(), token));
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("bind ADDR");
    println!("broker on http://{addr}/login/google, admin on http://{addr}/admin/config");
    axum::serve(listener, app).await.expect("serve");
}
