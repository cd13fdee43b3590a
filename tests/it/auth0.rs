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
    // Located in the input: one object alone is the document's root.
    assert_eq!(err.path(), "options.upstream_params.state");
    assert!(Config::from_auth0_connections("42").is_err());
    assert!(Config::from_auth0_connections(r#"[{"strategy": "github"}]"#).is_err());
}

#[test]
fn the_management_api_s_paginated_list_is_read() {
    let list = format!(
        r#"{{"total": 3, "start": 0, "limit": 50, "connections": [{}, {}, {}]}}"#,
        social("github", r#"{"login": {"alias": "login_hint"}}"#),
        social(
            "wordpress",
            r#"{"blog": {"value": "myblog.wordpress.com"}}"#
        ),
        social("facebook", "{}"),
    );
    let import = Config::import_auth0(&list).unwrap();
    assert_eq!(
        import.config().connection_names().collect::<Vec<_>>(),
        ["github-conn", "wordpress-conn"]
    );
    let skipped = import.skipped();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].connection(), "facebook-conn");
    assert_eq!(skipped[0].path(), "connections[2]");
    assert_eq!(skipped[0].reason(), "options.upstream_params is empty");
    assert_eq!(
        Config::from_auth0_connections(&list).unwrap(),
        import.into_config()
    );
    // Errors in the list are located under `connections`.
    let bad = format!(
        r#"{{"total": 2, "connections": [{}, {}]}}"#,
        social("github", r#"{"login": {"alias": "login_hint"}}"#),
        social(
            "wordpress",
            r#"{"redirect_uri": {"value": "https://evil.example/cb"}}"#
        ),
    );
    let err = Config::from_auth0_connections(&bad).unwrap_err();
    assert_eq!(
        err.path(),
        "connections[1].options.upstream_params.redirect_uri",
        "{err}"
    );
    // Checkpoint pagination (`next` instead of totals) is the same list.
    let next = format!(
        r#"{{"next": "cursor", "connections": [{}]}}"#,
        social("github", r#"{"a": {"value": "1"}}"#)
    );
    assert_eq!(
        Config::from_auth0_connections(&next)
            .unwrap()
            .connection_names()
            .collect::<Vec<_>>(),
        ["github-conn"]
    );
}

#[tokio::test]
async fn an_oauth2_twitter_connection_goes_to_x_s_oauth2_endpoint() {
    let import = |protocol: &str| {
        Config::from_auth0_connections(&format!(
            r#"[{{"name": "x", "strategy": "twitter", "options": {{{protocol}
                "client_id": "x-client", "client_secret": "s",
                "upstream_params": {{"screen_name": {{"alias": "login_hint"}}}}}}}}]"#
        ))
        .unwrap()
    };
    let oauth2 = import(r#""protocol": "oauth2","#);
    let json = exported(&oauth2, "x");
    assert_eq!(
        json["authorization_url"],
        "https://x.com/i/oauth2/authorize"
    );
    assert_eq!(json["protocol"], "oauth2");
    assert_eq!(json["client_id"], "x-client");
    let got = location(
        oauth2,
        "/authorize?login_hint=jack",
        "https://x.com/i/oauth2/authorize?response_type=code&client_id=x-client&state=s",
    )
    .await;
    assert_eq!(
        got,
        "https://x.com/i/oauth2/authorize?response_type=code&client_id=x-client&state=s&screen_name=jack"
    );

    // OAuth 1.0a, by default or by name: the old endpoint, no client_id.
    for protocol in ["", r#""protocol": "oauth1","#] {
        let json = exported(&import(protocol), "x");
        assert_eq!(
            json["authorization_url"],
            "https://api.twitter.com/oauth/authorize"
        );
        assert_eq!(json["protocol"], "oauth1");
        assert!(json.get("client_id").is_none());
    }
}

#[test]
fn every_error_is_reported_in_one_pass_located_in_the_input() {
    let err = Config::from_auth0_connections(
        r#"[{"name": "ok", "strategy": "github", "options": {"client_id": "gh",
                "upstream_params": {"a": {"value": "1"}}}},
            {"name": "mystery", "strategy": "oauth2", "options": {"upstream_params": {"a": {"value": "1"}}}},
            {"strategy": "github", "options": {"upstream_params": {"a": {"value": "1"}}}},
            {"name": "wp", "strategy": "wordpress", "options": {"upstream_params": {
                "blog": {"value": "b"}, "redirect_uri": {"value": "https://evil.example/cb"},
                "x": {"alias": "secret_alias"}}}},
            {"name": "ok", "strategy": "github", "options": {"upstream_params": {"a": {"value": "1"}}}},
            {"name": "twin", "strategy": "github", "options": {"client_id": "gh",
                "upstream_params": {"b": {"value": "2"}}}},
            {"name": "bad-url", "strategy": "oauth2", "options": {
                "authorizationURL": "ftp://idp.example/authorize",
                "upstream_params": {"a": {"value": "1"}}}},
            42]"#,
    )
    .unwrap_err();
    let paths: Vec<&str> = err.problems().map(|(path, _)| path).collect();
    assert_eq!(
        paths,
        [
            "[1].options",
            "[2].name",
            "[3].options.upstream_params.redirect_uri",
            "[3].options.upstream_params.x.alias",
            "[4].name",
            "[6].options.authorizationURL",
            "[7]",
            "[5]",
        ],
        "{err:?}"
    );
    let messages: Vec<&str> = err.problems().map(|(_, message)| message).collect();
    assert!(
        messages[4].contains("given twice (first at [0])"),
        "{err:?}"
    );
    assert!(messages[7].contains("\"ok\""), "{err:?}");
    assert!(!format!("{err:?}").contains("evil.example"), "{err:?}");
}

#[test]
fn every_skipped_connection_is_listed_with_why() {
    let import = Config::import_auth0(
        r#"[{"name": "a", "strategy": "github", "options": {"client_secret": "hunter2"}},
            {"name": "b", "strategy": "github", "options": {"upstream_params": null}},
            {"name": "c", "strategy": "github", "options": {"upstream_params": {}}},
            {"name": "d", "strategy": "auth0"},
            {"name": "e", "strategy": "github", "options": {"upstream_params": {"p": {"value": "1"}}}}]"#,
    )
    .unwrap();
    let skipped: Vec<(&str, &str, &str)> = import
        .skipped()
        .iter()
        .map(|s| (s.connection(), s.path(), s.reason()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("a", "[0]", "no options.upstream_params"),
            ("b", "[1]", "no options.upstream_params"),
            ("c", "[2]", "options.upstream_params is empty"),
            ("d", "[3]", "no options.upstream_params"),
        ]
    );
    assert_eq!(
        import.config().connection_names().collect::<Vec<_>>(),
        ["e"]
    );
    assert!(!format!("{:?}", import.skipped()).contains("hunter2"));
}

#[test]
fn this_crate_s_own_configuration_is_told_apart() {
    let own = r#"{"connections": {"wordpress": {
        "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
        "upstream_params": {"blog": {"value": "b"}}}}}"#;
    let err = Config::from_auth0_connections(own).unwrap_err();
    assert_eq!(err.path(), "connections");
    assert!(
        err.message().contains("this crate's own configuration"),
        "{err}"
    );
}

/// The imported connection `name` as this crate's JSON form writes it.
fn exported(config: &Config, name: &str) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_str(&config.to_json()).unwrap();
    json["connections"][name].clone()
}

/// An Entra ID connection shaped as `GET /api/v2/connections` returns one; `extra` holds the
/// options that choose the endpoint.
fn waad(name: &str, client_id: &str, extra: &str) -> String {
    format!(
        r#"{{"id": "con_{name}", "name": "{name}", "strategy": "waad",
            "options": {{"client_id": "{client_id}", "client_secret": "s3cr3t", "strategy_version": 2,
              {extra},
              "app_domain": "acme.us.auth0.com", "domain_aliases": ["contoso.com"],
              "api_enable_users": true, "basic_profile": true, "ext_profile": true,
              "ext_groups": false, "userid_attribute": "oid", "thumbprints": [],
              "should_trust_email_verified_connection": "never_set_emails_as_verified",
              "upstream_params": {{"domain_hint": {{"value": "contoso.com"}},
                                   "login_hint": {{"alias": "login_hint"}}}}}},
            "provisioning_ticket_url": "https://acme.us.auth0.com/p/waad/AbCd1234",
            "is_domain_connection": false, "show_as_button": true, "realms": ["{name}"]}}"#
    )
}

#[tokio::test]
async fn entra_id_endpoints_follow_the_tenant_the_protocol_and_the_identity_api() {
    let json = format!(
        "[{}, {}, {}, {}, {}]",
        waad(
            "entra-v2",
            "0b7a5c1e-1111-4a2b-9c3d-000000000001",
            r#""domain": "contoso.onmicrosoft.com", "tenant_domain": "contoso.onmicrosoft.com",
               "identity_api": "microsoft-identity-platform-v2.0", "waad_protocol": "openid-connect",
               "use_wsfed": false, "useCommonEndpoint": false, "waad_common_endpoint": false"#
        ),
        waad(
            "entra-v1",
            "0b7a5c1e-1111-4a2b-9c3d-000000000002",
            r#""domain": "fabrikam.onmicrosoft.com", "tenant_domain": "fabrikam.onmicrosoft.com",
               "identity_api": "azure-active-directory-v1.0", "waad_protocol": "openid-connect",
               "use_wsfed": false, "useCommonEndpoint": false"#
        ),
        waad(
            "entra-common",
            "0b7a5c1e-1111-4a2b-9c3d-000000000003",
            r#""domain": "contoso.onmicrosoft.com", "tenant_domain": "contoso.onmicrosoft.com",
               "identity_api": "microsoft-identity-platform-v2.0", "useCommonEndpoint": true,
               "userid_attribute": "sub""#
        ),
        waad(
            "entra-wsfed",
            "0b7a5c1e-1111-4a2b-9c3d-000000000004",
            r#""domain": "northwind.onmicrosoft.com", "tenant_domain": "northwind.onmicrosoft.com",
               "identity_api": "azure-active-directory-v1.0", "waad_protocol": "ws-federation",
               "use_wsfed": true"#
        ),
        waad(
            "entra-by-id",
            "0b7a5c1e-1111-4a2b-9c3d-000000000005",
            r#""tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47""#
        ),
    );
    let config = Config::from_auth0_connections(&json).unwrap();
    let host = "https://login.microsoftonline.com";
    let cases = [
        (
            "entra-v2",
            format!("{host}/contoso.onmicrosoft.com/oauth2/v2.0/authorize"),
            "oidc",
        ),
        (
            "entra-v1",
            format!("{host}/fabrikam.onmicrosoft.com/oauth2/authorize"),
            "oidc",
        ),
        (
            "entra-common",
            format!("{host}/common/oauth2/v2.0/authorize"),
            "oidc",
        ),
        (
            "entra-wsfed",
            format!("{host}/northwind.onmicrosoft.com/wsfed"),
            "saml",
        ),
        (
            "entra-by-id",
            format!("{host}/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize"),
            "oidc",
        ),
    ];
    for (name, url, protocol) in &cases {
        let exported = exported(&config, name);
        assert_eq!(exported["authorization_url"], **url, "{name}");
        assert_eq!(exported["protocol"], *protocol, "{name}");
        assert_eq!(
            exported["upstream_params"]["login_hint"]["alias"], "login_hint",
            "{name}"
        );
    }
    // OpenID Connect redirects carry the app's client_id; WS-Federation ones carry none.
    assert_eq!(
        exported(&config, "entra-v2")["client_id"],
        "0b7a5c1e-1111-4a2b-9c3d-000000000001"
    );
    assert!(exported(&config, "entra-wsfed").get("client_id").is_none());

    let locations = [
        format!(
            "{}?client_id=0b7a5c1e-1111-4a2b-9c3d-000000000001&response_type=code&state=s",
            cases[0].1
        ),
        format!(
            "{}?client_id=0b7a5c1e-1111-4a2b-9c3d-000000000002&response_type=code&state=s",
            cases[1].1
        ),
        format!(
            "{}?client_id=0b7a5c1e-1111-4a2b-9c3d-000000000003&response_type=code&state=s",
            cases[2].1
        ),
        format!(
            "{}?wa=wsignin1.0&wtrealm=urn%3Aauth0%3Aacme%3Aentra-wsfed&wctx=c",
            cases[3].1
        ),
        format!(
            "{}?client_id=0b7a5c1e-1111-4a2b-9c3d-000000000005&response_type=code&state=s",
            cases[4].1
        ),
    ];
    for loc in locations {
        assert_eq!(
            location(
                config.clone(),
                "/authorize?connection=x&login_hint=alice@contoso.com",
                &loc
            )
            .await,
            format!("{loc}&domain_hint=contoso.com&login_hint=alice%40contoso.com")
        );
    }
}

#[tokio::test]
async fn google_workspace_signs_in_at_google_whatever_its_domain() {
    // `options.domain` is the Workspace domain, not a host; `client_id` is empty while the
    // connection uses Auth0's development keys.
    let json = r#"[
      {"id": "con_gw1", "name": "acme-workspace", "strategy": "google-apps",
       "options": {"client_id": "1234-acme.apps.googleusercontent.com", "client_secret": "s",
         "domain": "acme.com", "tenant_domain": "acme.com", "domain_aliases": ["acme.com", "acme.co.uk"],
         "ext_profile": true, "ext_groups": true, "api_enable_users": true, "map_user_id_to_id": true,
         "email": true, "profile": true, "scope": ["email", "profile"], "handle_login_from_social": true,
         "upstream_params": {"prompt": {"value": "select_account"}, "login_hint": {"alias": "login_hint"}}},
       "is_domain_connection": false, "show_as_button": false, "realms": ["acme-workspace"]},
      {"id": "con_gw2", "name": "dev-workspace", "strategy": "google-apps",
       "options": {"client_id": "", "client_secret": "", "domain": "dev.example", "tenant_domain": "dev.example",
         "upstream_params": {"hl": {"value": "fr"}}}}
    ]"#;
    let config = Config::from_auth0_connections(json).unwrap();
    let google = "https://accounts.google.com/o/oauth2/v2/auth";
    let acme = exported(&config, "acme-workspace");
    assert_eq!(acme["authorization_url"], google);
    assert_eq!(acme["client_id"], "1234-acme.apps.googleusercontent.com");
    assert_eq!(acme["protocol"], "oidc");
    assert_eq!(acme["upstream_params"]["prompt"]["value"], "select_account");
    let dev = exported(&config, "dev-workspace");
    assert_eq!(dev["authorization_url"], google);
    assert!(dev.get("client_id").is_none());

    let loc = format!(
        "{google}?response_type=code&client_id=1234-acme.apps.googleusercontent.com&hd=acme.com&state=s"
    );
    assert_eq!(
        location(config.clone(), "/authorize?login_hint=bob@acme.com", &loc).await,
        format!("{loc}&prompt=select_account&login_hint=bob%40acme.com")
    );
    let loc = format!("{google}?response_type=code&client_id=auth0-dev-keys&state=s");
    assert_eq!(location(config, "/", &loc).await, format!("{loc}&hl=fr"));
}

#[tokio::test]
async fn adfs_and_pingfederate_use_their_sign_in_endpoint() {
    let json = r#"[
      {"id": "con_adfs", "name": "contoso-adfs", "strategy": "adfs",
       "options": {"strategy_version": 2, "tenant_domain": "contoso.com", "domain_aliases": ["contoso.com"],
         "adfs_server": "https://adfs.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml",
         "signInEndpoint": "https://adfs.contoso.com/adfs/ls/", "thumbprints": ["2ed8047f8e84097e9e4579912efc013c96a07f0c"],
         "api_enable_users": false, "should_trust_email_verified_connection": "always_set_emails_as_verified",
         "upstream_params": {"username": {"alias": "login_hint"}}}},
      {"id": "con_ping1", "name": "fabrikam-ping", "strategy": "pingfederate",
       "options": {"pingFederateBaseUrl": "https://sso.fabrikam.com:9031",
         "signInEndpoint": "https://sso.fabrikam.com:9031/idp/SSO.saml2",
         "signSAMLRequest": true, "signatureAlgorithm": "rsa-sha256", "digestAlgorithm": "sha256",
         "tenant_domain": "fabrikam.com", "thumbprints": ["b93611bf2cfdb64110c7aae1485718cc9385e151"],
         "idpinitiated": {"enabled": false, "client_id": "not-an-idp-client", "client_protocol": "samlp"},
         "upstream_params": {"ForceAuthn": {"value": "true"}}}},
      {"id": "con_ping2", "name": "northwind-ping", "strategy": "pingfederate",
       "options": {"pingFederateBaseUrl": "https://pf.northwind.example/", "tenant_domain": "northwind.example",
         "upstream_params": {"IdpAdapterId": {"value": "HTMLForm"}}}}
    ]"#;
    let config = Config::from_auth0_connections(json).unwrap();
    let cases = [
        (
            "contoso-adfs",
            "https://adfs.contoso.com/adfs/ls/",
            "?wa=wsignin1.0&wtrealm=urn%3Aauth0%3Aacme&wctx=c",
            "&username=carol%40contoso.com",
        ),
        (
            "fabrikam-ping",
            "https://sso.fabrikam.com:9031/idp/SSO.saml2",
            "?SAMLRequest=fZJNT&RelayState=r&SigAlg=x&Signature=y",
            "&ForceAuthn=true",
        ),
        (
            "northwind-ping",
            "https://pf.northwind.example/idp/SSO.saml2",
            "?SAMLRequest=fZJNT&RelayState=r",
            "&IdpAdapterId=HTMLForm",
        ),
    ];
    for (name, url, query, added) in cases {
        let exported = exported(&config, name);
        assert_eq!(exported["authorization_url"], url, "{name}");
        assert_eq!(exported["protocol"], "saml", "{name}");
        assert!(exported.get("client_id").is_none(), "{name}");
        let loc = format!("{url}{query}");
        assert_eq!(
            location(
                config.clone(),
                "/authorize?login_hint=carol@contoso.com",
                &loc
            )
            .await,
            format!("{loc}{added}"),
            "{name}"
        );
    }
}

#[test]
fn oidc_and_okta_read_the_endpoint_auth0_stored_from_discovery() {
    let json = r#"[
      {"name": "corp-oidc", "strategy": "oidc", "options": {"type": "front_channel", "client_id": "corp",
        "discovery_url": "https://sso.corp.example/.well-known/openid-configuration",
        "oidc_metadata": {"issuer": "https://sso.corp.example",
          "authorization_endpoint": "https://sso.corp.example/connect/authorize",
          "token_endpoint": "https://sso.corp.example/connect/token"},
        "upstream_params": {"acr_values": {"alias": "acr_values"}}}},
      {"name": "acme-okta", "strategy": "okta", "options": {"client_id": "0oa1b2c3", "domain": "acme.okta.com",
        "oidc_metadata": {"issuer": "https://acme.okta.com/oauth2/default",
          "authorization_endpoint": "https://acme.okta.com/oauth2/default/v1/authorize"},
        "upstream_params": {"idp": {"value": "0oa-social"}}}}
    ]"#;
    let config = Config::from_auth0_connections(json).unwrap();
    assert_eq!(
        exported(&config, "corp-oidc")["authorization_url"],
        "https://sso.corp.example/connect/authorize"
    );
    let okta = exported(&config, "acme-okta");
    assert_eq!(
        okta["authorization_url"],
        "https://acme.okta.com/oauth2/default/v1/authorize"
    );
    assert_eq!(okta["client_id"], "0oa1b2c3");
    assert_eq!(okta["protocol"], "oidc");
}

#[test]
fn an_oidc_connection_with_only_a_discovery_url_names_the_option_to_add() {
    let err = Config::from_auth0_connections(&format!(
        r#"[{}, {},
            {{"name": "corp-oidc", "strategy": "oidc", "options": {{"client_id": "corp",
              "type": "back_channel", "scope": "openid profile email",
              "discovery_url": "https://sso.corp.example/.well-known/openid-configuration",
              "upstream_params": {{"a": {{"value": "1"}}}}}}}}]"#,
        social("github", r#"{"a": {"value": "1"}}"#),
        waad("entra", "app", r#""domain": "contoso.onmicrosoft.com""#),
    ))
    .unwrap_err();
    let problems: Vec<(String, String)> = err
        .problems()
        .map(|(p, m)| (p.to_owned(), m.to_owned()))
        .collect();
    assert_eq!(problems.len(), 1, "{err}");
    assert_eq!(problems[0].0, "[2].options");
    assert!(
        problems[0].1.contains("\"corp-oidc\"")
            && problems[0].1.contains("options.authorization_endpoint"),
        "{err}"
    );
}

#[test]
fn enterprise_connections_missing_their_endpoint_name_the_option() {
    let params = r#""upstream_params": {"a": {"value": "1"}}"#;
    let cases = [
        // Entra ID without any tenant.
        (
            r#""strategy": "waad", "options": {"client_id": "app", "identity_api": "microsoft-identity-platform-v2.0", "#,
            "options.domain",
        ),
        // A tenant that would smuggle a path or a wildcard into the URL.
        (
            r#""strategy": "waad", "options": {"domain": "contoso.com/evil", "#,
            "options.domain",
        ),
        (
            r#""strategy": "waad", "options": {"tenant_domain": "*.onmicrosoft.com", "#,
            "options.tenant_domain",
        ),
        (
            r#""strategy": "waad", "options": {"domain": "contoso.com", "identity_api": "v3", "#,
            "options.identity_api",
        ),
        (
            r#""strategy": "adfs", "options": {"adfs_server": "https://adfs.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml", "#,
            "options.signInEndpoint",
        ),
        (
            r#""strategy": "pingfederate", "options": {"#,
            "options.signInEndpoint",
        ),
        (
            r#""strategy": "pingfederate", "options": {"pingFederateBaseUrl": "sso.fabrikam.com", "#,
            "options.signInEndpoint",
        ),
        (
            r#""strategy": "okta", "options": {"domain": "https://acme.okta.com", "#,
            "options.authorization_endpoint",
        ),
        (
            r#""strategy": "okta", "options": {"#,
            "options.authorization_endpoint",
        ),
        (
            r#""strategy": "auth0", "options": {"#,
            "without redirecting",
        ),
    ];
    let json = cases
        .iter()
        .enumerate()
        .map(|(i, (options, _))| format!(r#"{{"name": "c{i}", {options}{params}}}}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let err = Config::from_auth0_connections(&format!("[{json}]")).unwrap_err();
    let problems: Vec<(String, String)> = err
        .problems()
        .map(|(p, m)| (p.to_owned(), m.to_owned()))
        .collect();
    assert_eq!(problems.len(), cases.len(), "{err}");
    for (i, ((path, message), (_, names))) in problems.iter().zip(cases).enumerate() {
        assert_eq!(*path, format!("[{i}].options"), "{err}");
        assert!(
            message.contains(&format!("\"c{i}\"")) && message.contains(names),
            "{i}: {message}"
        );
    }
}

#[test]
fn no_connection_object_makes_the_import_panic() {
    let strategies = [
        "waad",
        "google-apps",
        "adfs",
        "pingfederate",
        "samlp",
        "oidc",
        "okta",
        "oauth2",
        "auth0",
        "github",
        "unknown",
        "",
    ];
    let keys = [
        "domain",
        "tenant_domain",
        "tenantId",
        "identity_api",
        "waad_protocol",
        "use_wsfed",
        "useCommonEndpoint",
        "signInEndpoint",
        "pingFederateBaseUrl",
        "authorizationURL",
        "authorization_endpoint",
        "oidc_metadata",
        "discovery_url",
        "client_id",
    ];
    let values = [
        "null",
        "true",
        "42",
        "\"\"",
        "\"*\"",
        "\"..\"",
        "\"a/b?c#d\"",
        "\"https:/\u{ff}\u{ff}\u{ff}\"",
        "\"http://[::1\"",
        "\"\u{130}stanbul.example\"",
        "[\"x\"]",
        "{\"authorization_endpoint\": {}}",
    ];
    for strategy in strategies {
        for value in values {
            let bare = format!(r#"{{"name": "c", "strategy": "{strategy}", "options": {value}}}"#);
            let _ = Config::from_auth0_connections(&bare);
            for key in keys {
                let json = format!(
                    r#"{{"name": "c", "strategy": "{strategy}", "options": {{"{key}": {value},
                        "upstream_params": {{"a": {{"value": "1"}}}}}}}}"#
                );
                if let Err(e) = Config::from_auth0_connections(&json) {
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
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
    let typed = Extras::values(UpstreamValues::new().with("login_hint", "hello@example.com"));
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
