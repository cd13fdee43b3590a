//! `Config::from_auth0_connections`: Auth0 Management API objects, as they are.

use tower_upstream_params::{Config, UpstreamValues};

use crate::common::{Extras, location, location_with};

fn social(strategy: &str, params: &str) -> String {
    format!(
        r#"{{"id": "con_1", "name": "{strategy}-conn", "strategy": "{strategy}",
            "enabled_clients": ["abc"],
            "options": {{"client_id": "idp-client", "client_secret": "secret", "scope": ["email"],
                        "upstream_params": {params}}}}}"#
    )
}

#[tokio::test]
async fn every_well_known_social_strategy_has_its_endpoint() {
    // (strategy, a Location the broker would send, whether it carries client_id)
    let cases = [
        (
            "google-oauth2",
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=idp-client",
        ),
        (
            "github",
            "https://github.com/login/oauth/authorize?client_id=idp-client",
        ),
        (
            "twitter",
            "https://api.twitter.com/oauth/authorize?oauth_token=T",
        ),
        (
            "wordpress",
            "https://public-api.wordpress.com/oauth2/authorize?client_id=idp-client",
        ),
        (
            "facebook",
            "https://www.facebook.com/v19.0/dialog/oauth?client_id=idp-client",
        ),
        (
            "windowslive",
            "https://login.live.com/oauth20_authorize.srf?client_id=idp-client",
        ),
        (
            "linkedin",
            "https://www.linkedin.com/oauth/v2/authorization?client_id=idp-client",
        ),
        (
            "apple",
            "https://appleid.apple.com/auth/authorize?client_id=idp-client",
        ),
        (
            "amazon",
            "https://www.amazon.com/ap/oa?client_id=idp-client",
        ),
        (
            "dropbox",
            "https://www.dropbox.com/oauth2/authorize?client_id=idp-client",
        ),
        (
            "bitbucket",
            "https://bitbucket.org/site/oauth2/authorize?client_id=idp-client",
        ),
        (
            "paypal",
            "https://www.paypal.com/signin/authorize?client_id=idp-client",
        ),
        (
            "salesforce",
            "https://login.salesforce.com/services/oauth2/authorize?client_id=idp-client",
        ),
        (
            "yahoo",
            "https://api.login.yahoo.com/oauth2/request_auth?client_id=idp-client",
        ),
        (
            "box",
            "https://account.box.com/api/oauth2/authorize?client_id=idp-client",
        ),
    ];
    for (strategy, loc) in cases {
        let config =
            Config::from_auth0_connections(&social(strategy, r#"{"x": {"alias": "login_hint"}}"#))
                .unwrap_or_else(|e| panic!("{strategy}: {e}"));
        assert_eq!(
            config.connection_names().collect::<Vec<_>>(),
            [format!("{strategy}-conn")]
        );
        assert_eq!(
            location(config, "/authorize?login_hint=a@b.c", loc).await,
            format!("{loc}&x=a%40b.c"),
            "{strategy}"
        );
    }
}

#[tokio::test]
async fn the_seed_objects_load_as_they_are() {
    // The Management API bodies of the Auth0 pages the crate grew from.
    let json = r#"[
      {"name": "WPConn", "strategy": "wordpress", "options": {"client_id": "${account.clientId}",
        "client_secret": "YOUR_CLIENT_SECRET", "upstream_params": {"blog": {"value": "myblog.wordpress.com"}},
        "authorizationURL": "https://public-api.wordpress.com/oauth2/authorize",
        "tokenURL": "https://public-api.wordpress.com/oauth2/token"}},
      {"name": "TwitterConn", "strategy": "twitter", "options": {"client_id": "${account.clientId}",
        "client_secret": "YOUR_CLIENT_SECRET", "upstream_params": {"screen_name": {"alias": "login_hint"}},
        "authorizationURL": "https://api.twitter.com/oauth/authorize",
        "tokenURL": "https://api.twitter.com/oauth/request_token"}}
    ]"#;
    let config = Config::from_auth0_connections(json).unwrap();
    let wp = "https://public-api.wordpress.com/oauth2/authorize?client_id=%24%7Baccount.clientId%7D&state=s";
    assert_eq!(
        location(config.clone(), "/", wp).await,
        format!("{wp}&blog=myblog.wordpress.com")
    );
    assert_eq!(
        location(
            config,
            "/?login_hint=john@gmail.com",
            "https://api.twitter.com/oauth/authorize?oauth_token=T"
        )
        .await,
        "https://api.twitter.com/oauth/authorize?oauth_token=T&screen_name=john%40gmail.com"
    );
}

#[tokio::test]
async fn custom_oauth2_oidc_and_saml_take_their_endpoint_from_options() {
    let json = r#"[
      {"name": "custom", "strategy": "oauth2", "options": {"authorizationURL": "https://idp.example/authorize",
        "upstream_params": {"a": {"value": "1"}}}},
      {"name": "corp-oidc", "strategy": "oidc", "options": {"client_id": "corp", "type": "front_channel",
        "authorization_endpoint": "https://sso.corp.example/oauth2/authorize",
        "upstream_params": {"b": {"value": "2"}}}},
      {"name": "okta", "strategy": "okta", "options": {"domain": "acme.okta.com",
        "upstream_params": {"c": {"value": "3"}}}},
      {"name": "saml", "strategy": "samlp", "options": {"signInEndpoint": "https://idp.example/saml/sso",
        "upstream_params": {"d": {"value": "4"}}}}
    ]"#;
    let config = Config::from_auth0_connections(json).unwrap();
    let cases = [
        ("https://idp.example/authorize?x=1", "&a=1"),
        (
            "https://sso.corp.example/oauth2/authorize?client_id=corp",
            "&b=2",
        ),
        (
            "https://acme.okta.com/oauth2/v1/authorize?client_id=o",
            "&c=3",
        ),
        (
            "https://idp.example/saml/sso?SAMLRequest=abc&Signature=x",
            "&d=4",
        ),
    ];
    for (loc, added) in cases {
        assert_eq!(
            location(config.clone(), "/", loc).await,
            format!("{loc}{added}")
        );
    }
    let exported: serde_json::Value = serde_json::from_str(&config.to_json()).unwrap();
    assert_eq!(exported["connections"]["saml"]["protocol"], "saml");
    assert_eq!(exported["connections"]["corp-oidc"]["client_id"], "corp");
}

#[test]
fn unknown_endpoints_are_errors_naming_the_connection() {
    let err = Config::from_auth0_connections(
        r#"[{"name": "ok", "strategy": "github", "options": {"upstream_params": {"a": {"value": "1"}}}},
            {"name": "mystery", "strategy": "oauth2", "options": {"upstream_params": {"a": {"value": "1"}}}},
            {"name": "sso", "strategy": "samlp", "options": {"upstream_params": {"a": {"value": "1"}}}}]"#,
    )
    .unwrap_err();
    let problems: Vec<(String, String)> = err
        .problems()
        .map(|(p, m)| (p.to_owned(), m.to_owned()))
        .collect();
    assert_eq!(problems.len(), 2, "{err}");
    assert_eq!(problems[0].0, "[1].options");
    assert!(
        problems[0].1.contains("\"mystery\"") && problems[0].1.contains("authorizationURL"),
        "{err}"
    );
    assert_eq!(problems[1].0, "[2].options");
    assert!(problems[1].1.contains("signInEndpoint"), "{err}");
}

#[test]
fn connections_without_upstream_params_are_skipped_and_bad_params_are_reported() {
    let config = Config::from_auth0_connections(
        r#"[{"name": "a", "strategy": "github", "options": {}},
            {"name": "b", "strategy": "github", "options": {"upstream_params": null}},
            {"name": "c", "strategy": "github", "options": {"upstream_params": {}}},
            {"name": "d", "strategy": "github"}]"#,
    )
    .unwrap();
    assert_eq!(config.connection_names().count(), 0);
    let err = Config::from_auth0_connections(&social("github", r#"{"state": {"value": "x"}}"#))
        .unwrap_err();
    assert_eq!(err.path(), "connections.github-conn.upstream_params.state");
    assert!(Config::from_auth0_connections("42").is_err());
    assert!(Config::from_auth0_connections(r#"[{"strategy": "github"}]"#).is_err());
}

#[tokio::test]
async fn kinde_documented_examples_behave_as_documented() {
    // Kinde's upstream params JSON already is `upstream_params`.
    let idp = "https://accounts.google.com/o/oauth2/v2/auth";
    let kinde = |params: &str| {
        Config::from_json(&format!(
            r#"{{"connections": {{"google": {{"authorization_url": "{idp}", "upstream_params": {params}}}}}}}"#
        ))
        .unwrap()
    };
    let broker = format!("{idp}?client_id=k&response_type=code&state=abc");
    // "Force the google account selector": appends &prompt=select_account.
    assert_eq!(
        location(
            kinde(r#"{"prompt": {"value": "select_account"}}"#),
            "/",
            &broker
        )
        .await,
        format!("{broker}&prompt=select_account")
    );
    let auth_url = "/oauth2/auth?response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fapp%2Fcb\
                    &scope=openid%20profile%20email&state=abc&login_hint=hello@example.com";
    // Same name on both sides.
    assert_eq!(
        location(
            kinde(r#"{"login_hint": {"alias": "login_hint"}}"#),
            auth_url,
            &broker
        )
        .await,
        format!("{broker}&login_hint=hello%40example.com")
    );
    // Remapped to `username`.
    assert_eq!(
        location(
            kinde(r#"{"username": {"alias": "login_hint"}}"#),
            auth_url,
            &broker
        )
        .await,
        format!("{broker}&username=hello%40example.com")
    );
    // Multiple parameters: "&prompt=login&username=hello@example.com".
    assert_eq!(
        location(
            kinde(r#"{"prompt": {"value": "login"}, "username": {"alias": "login_hint"}}"#),
            auth_url,
            &broker
        )
        .await,
        format!("{broker}&prompt=login&username=hello%40example.com")
    );
    // Kinde-provided alias: the email typed during the flow, without any login_hint in the URL.
    let typed = Extras::values(UpstreamValues::new().insert("login_hint", "hello@example.com"));
    assert_eq!(
        location_with(
            kinde(r#"{"login_hint": {"alias": "login_hint"}}"#),
            "/oauth2/auth",
            &broker,
            typed,
            None
        )
        .await,
        format!("{broker}&login_hint=hello%40example.com")
    );
}
