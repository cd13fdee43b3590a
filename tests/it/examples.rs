//! The examples' own code, exercised: the admin route's answers and the validator's report.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_upstream_params::{Config, UpstreamParamsLayer};

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/admin.rs"]
mod admin;

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/validate.rs"]
mod validate;

const TOKEN: &str = "test-token-123";

fn layer() -> UpstreamParamsLayer {
    UpstreamParamsLayer::new(
        Config::from_json(
            r#"{"connections": {"google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "upstream_params": {"prompt": {"value": "select_account"}, "hd": {"value": "acme.com"}}}}}"#,
        )
        .unwrap(),
    )
}

async fn admin_call(
    layer: &UpstreamParamsLayer,
    method: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri("/admin/config");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = admin::admin_router(layer.handle(), TOKEN)
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn admin_patch_answers_200_400_401() {
    let layer = layer();
    let before = layer.handle().load().to_json();

    // 401: no token, wrong token, a token of another length.
    for token in [None, Some("test-token-124"), Some("x")] {
        let (status, _) = admin_call(&layer, "PATCH", token, r#"{"connections": {}}"#).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = admin_call(&layer, "GET", token, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(layer.handle().load().to_json(), before);

    // 400: invalid JSON, and a patch that makes the config invalid; nothing changes.
    let (status, body) = admin_call(&layer, "PATCH", Some(TOKEN), "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid JSON"), "{body}");
    let (status, body) = admin_call(
        &layer,
        "PATCH",
        Some(TOKEN),
        r#"{"connections": {"google": {"upstream_params": {"state": {"value": "x"}}}}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        errors["errors"][0]["path"],
        "connections.google.upstream_params.state"
    );
    assert_eq!(layer.handle().load().to_json(), before);

    // 200: one param deleted, one added, the rest kept; the layer sees it at once.
    let (status, body) = admin_call(
        &layer,
        "PATCH",
        Some(TOKEN),
        r#"{"connections": {"google": {"upstream_params": {"hd": null, "login_hint": {"alias": "login_hint"}}}}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let live = layer.handle().load().to_json();
    assert_eq!(body, live);
    assert!(
        live.contains("select_account")
            && live.contains("login_hint")
            && !live.contains("acme.com"),
        "{live}"
    );
    let (status, body) = admin_call(&layer, "GET", Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, live);
}

#[test]
fn validate_reports_connections_or_every_error() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/config.json"))
            .unwrap();
    let report = validate::report(&text, false).unwrap();
    assert!(
        report.contains("wordpress (oauth2) https://public-api.wordpress.com/oauth2/authorize"),
        "{report}"
    );
    assert!(
        report.contains(r#"blog: sends "myblog.wordpress.com" (static, replace)"#),
        "{report}"
    );
    assert!(
        report.contains(
            r#"hd: sends the value of "org_domain" from broker-provided values only (replace)"#
        ),
        "{report}"
    );
    assert!(report.contains("ok: 4 connection(s)"), "{report}");

    let errors = validate::report(
        r#"{"connections": {"x": {"authorization_url": "https://idp.example/a?q=1",
            "upstream_params": {"state": {"value": "s"}, "p": {"alais": "login_hint"}}}}}"#,
        false,
    )
    .unwrap_err();
    let lines: Vec<&str> = errors.lines().collect();
    assert!(
        lines.contains(&"error: connections.x.authorization_url: must not have a query"),
        "{errors}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("error: connections.x.upstream_params.state: ")),
        "{errors}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("error: connections.x.upstream_params.p.alais: unknown key")),
        "{errors}"
    );

    let auth0 = validate::report(
        r#"[{"name": "gh", "strategy": "github", "options": {"upstream_params": {"allow_signup": {"value": "false"}}}}]"#,
        true,
    )
    .unwrap();
    assert!(
        auth0.contains("gh (oauth2) https://github.com/login/oauth/authorize"),
        "{auth0}"
    );
}
