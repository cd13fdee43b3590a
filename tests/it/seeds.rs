//! The cases of the Auth0 and Kinde pages the crate grew from.

use tower_upstream_params::UpstreamValues;

use crate::common::{Extras, config, location, location_with, one};

const WORDPRESS: &str = "https://public-api.wordpress.com/oauth2/authorize";
const TWITTER: &str = "https://api.twitter.com/oauth/authorize";
const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";

#[tokio::test]
async fn wordpress_static_blog_is_appended_and_nothing_else_changes() {
    let cfg = one(
        "wordpress",
        WORDPRESS,
        r#"{"blog": {"value": "myblog.wordpress.com"}}"#,
    );
    let before = format!(
        "{WORDPRESS}?client_id=42&redirect_uri=https%3A%2F%2Fbroker.example%2Fcb\
         &response_type=code&state=a%20b%2Bc&scope=auth"
    );
    let after = location(cfg, "/authorize", &before).await;
    assert_eq!(after, format!("{before}&blog=myblog.wordpress.com"));
}

#[tokio::test]
async fn twitter_screen_name_is_aliased_from_login_hint() {
    let cfg = config(&format!(
        r#"{{"connections": {{"twitter": {{"protocol": "oauth1",
            "authorization_url": "{TWITTER}",
            "upstream_params": {{"screen_name": {{"alias": "login_hint"}}}}}}}}}}"#
    ));
    let after = location(
        cfg,
        "/authorize?client_id=abc&response_type=token&login_hint=john@gmail.com",
        &format!("{TWITTER}?oauth_token=T"),
    )
    .await;
    assert_eq!(
        after,
        format!("{TWITTER}?oauth_token=T&screen_name=john%40gmail.com")
    );
}

#[tokio::test]
async fn google_mixed_static_and_alias_in_configuration_order() {
    let cfg = one(
        "google",
        GOOGLE,
        r#"{"prompt": {"value": "login"}, "username": {"alias": "login_hint"}}"#,
    );
    let after = location(
        cfg,
        "/authorize?login_hint=hello%40example.com",
        &format!("{GOOGLE}?client_id=g&state=s"),
    )
    .await;
    assert_eq!(
        after,
        format!("{GOOGLE}?client_id=g&state=s&prompt=login&username=hello%40example.com")
    );
}

#[tokio::test]
async fn google_select_account_replaces_consent_in_place() {
    let cfg = one(
        "google",
        GOOGLE,
        r#"{"prompt": {"value": "select_account"}}"#,
    );
    let after = location(
        cfg,
        "/authorize",
        &format!("{GOOGLE}?client_id=g&prompt=consent&state=s"),
    )
    .await;
    assert_eq!(
        after,
        format!("{GOOGLE}?client_id=g&prompt=select_account&state=s")
    );
}

#[tokio::test]
async fn broker_value_in_response_extensions_wins_over_the_query() {
    let cfg = one(
        "entra",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        r#"{"login_hint": {"alias": "login_hint"}}"#,
    );
    let extras = Extras::values(UpstreamValues::new().with("login_hint", "typed@example.com"));
    let after = location_with(
        cfg,
        "/authorize?login_hint=query@example.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=e",
        extras,
        None,
    )
    .await;
    assert!(
        after.ends_with("&login_hint=typed%40example.com"),
        "{after}"
    );
    assert!(!after.contains("query%40example.com"), "{after}");
}

#[tokio::test]
async fn broker_value_in_request_extensions_wins_over_the_query() {
    let cfg = one(
        "entra",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        r#"{"login_hint": {"alias": "login_hint"}}"#,
    );
    let after = location_with(
        cfg,
        "/authorize?login_hint=query@example.com",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=e",
        Extras::default(),
        Some(UpstreamValues::new().with("login_hint", "layer@example.com")),
    )
    .await;
    assert!(
        after.ends_with("&login_hint=layer%40example.com"),
        "{after}"
    );
}

#[tokio::test]
async fn response_values_come_before_request_values() {
    let cfg = one(
        "x",
        TWITTER,
        r#"{"screen_name": {"alias": "login_hint", "source": "broker"}}"#,
    );
    let extras = Extras::values(UpstreamValues::new().with("login_hint", "response"));
    let after = location_with(
        cfg,
        "/authorize",
        TWITTER,
        extras,
        Some(UpstreamValues::new().with("login_hint", "request")),
    )
    .await;
    assert_eq!(after, format!("{TWITTER}?screen_name=response"));
}

#[tokio::test]
async fn kinde_username_remaps_login_hint() {
    let cfg = one(
        "idp",
        "https://idp.example/oauth2/auth",
        r#"{"username": {"alias": "login_hint"}}"#,
    );
    let after = location(
        cfg,
        "/oauth2/auth?response_type=code&client_id=k&scope=openid%20profile%20email&state=abc&login_hint=hello@example.com",
        "https://idp.example/oauth2/auth?state=xyz",
    )
    .await;
    assert_eq!(
        after,
        "https://idp.example/oauth2/auth?state=xyz&username=hello%40example.com"
    );
}
