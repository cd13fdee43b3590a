//! DESIGN.md's matching and rewriting rules, one by one.

use tower_upstream_params::UpstreamValues;

use crate::common::{Extras, config, location, location_with, one};

const IDP: &str = "https://idp.example/authorize";

async fn with_params(params: &str, uri: &str, loc: &str) -> String {
    location(one("idp", IDP, params), uri, loc).await
}

#[tokio::test]
async fn default_is_used_when_no_source_has_a_value() {
    let params = r#"{"hd": {"alias": "login_hint", "default": "acme.com"}}"#;
    assert_eq!(
        with_params(params, "/a", IDP).await,
        format!("{IDP}?hd=acme.com")
    );
    assert_eq!(
        with_params(params, "/a?login_hint=x.org", IDP).await,
        format!("{IDP}?hd=x.org")
    );
}

#[tokio::test]
async fn source_broker_never_reads_the_query() {
    let params = r#"{"hd": {"alias": "org_domain", "source": "broker"}}"#;
    let cfg = one("idp", IDP, params);
    // `org_domain` in the query is ignored: the param is dropped.
    assert_eq!(
        location(cfg.clone(), "/a?org_domain=evil.com", IDP).await,
        IDP
    );
    let extras = Extras::values(UpstreamValues::new().with("org_domain", "acme.com"));
    assert_eq!(
        location_with(cfg, "/a?org_domain=evil.com", IDP, extras, None).await,
        format!("{IDP}?hd=acme.com")
    );
}

#[tokio::test]
async fn source_query_ignores_broker_values() {
    let cfg = one(
        "idp",
        IDP,
        r#"{"lh": {"alias": "login_hint", "source": "query"}}"#,
    );
    let extras = Extras::values(UpstreamValues::new().with("login_hint", "broker@x"));
    assert_eq!(
        location_with(cfg.clone(), "/a?login_hint=q@x", IDP, extras.clone(), None).await,
        format!("{IDP}?lh=q%40x")
    );
    assert_eq!(location_with(cfg, "/a", IDP, extras, None).await, IDP);
}

#[tokio::test]
async fn source_any_falls_through_a_refused_broker_value_to_the_query() {
    let cfg = one(
        "idp",
        IDP,
        r#"{"lh": {"alias": "login_hint", "pattern": "[a-z]+@acme\\.com"}}"#,
    );
    let extras = Extras::values(UpstreamValues::new().with("login_hint", "bad@other.com"));
    assert_eq!(
        location_with(cfg, "/a?login_hint=ok@acme.com", IDP, extras, None).await,
        format!("{IDP}?lh=ok%40acme.com")
    );
}

#[tokio::test]
async fn mode_replace_keep_merge_and_remove() {
    let loc = format!("{IDP}?prompt=consent&state=s%20t&prompt=login&audience=api");
    assert_eq!(
        with_params(r#"{"prompt": {"value": "select_account"}}"#, "/", &loc).await,
        format!("{IDP}?prompt=select_account&state=s%20t&audience=api")
    );
    assert_eq!(
        with_params(
            r#"{"prompt": {"value": "select_account", "mode": "keep"}}"#,
            "/",
            &loc
        )
        .await,
        loc
    );
    assert_eq!(
        with_params(
            r#"{"prompt": {"value": "select_account", "mode": "merge"}}"#,
            "/",
            &loc
        )
        .await,
        format!("{IDP}?prompt=consent+login+select_account&state=s%20t&audience=api")
    );
    assert_eq!(
        with_params(r#"{"audience": {"remove": true}}"#, "/", &loc).await,
        format!("{IDP}?prompt=consent&state=s%20t&prompt=login")
    );
    // keep and merge append when the param is absent.
    assert_eq!(
        with_params(
            r#"{"prompt": {"value": "login", "mode": "keep"}}"#,
            "/",
            IDP
        )
        .await,
        format!("{IDP}?prompt=login")
    );
}

#[tokio::test]
async fn merge_never_puts_none_beside_another_value() {
    let loc = format!("{IDP}?prompt=none");
    assert_eq!(
        with_params(
            r#"{"prompt": {"value": "select_account", "mode": "merge"}}"#,
            "/",
            &loc
        )
        .await,
        loc
    );
}

#[tokio::test]
async fn scope_may_be_merged() {
    let loc = format!("{IDP}?scope=openid%20email&state=s");
    assert_eq!(
        with_params(
            r#"{"scope": {"value": "offline_access", "mode": "merge"}}"#,
            "/",
            &loc
        )
        .await,
        format!("{IDP}?scope=openid+email+offline_access&state=s")
    );
}

#[tokio::test]
async fn pattern_is_anchored() {
    let params = r#"{"lh": {"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}}"#;
    assert_eq!(
        with_params(params, "/a?login_hint=jo@acme.com", IDP).await,
        format!("{IDP}?lh=jo%40acme.com")
    );
    // A match inside a longer value is not a match.
    assert_eq!(
        with_params(params, "/a?login_hint=jo@acme.com.evil", IDP).await,
        IDP
    );
    assert_eq!(
        with_params(params, "/a?login_hint=jo@acme.com%0A", IDP).await,
        IDP
    );
    assert_eq!(
        with_params(params, "/a?login_hint=evil.com%0Ajo@acme.com", IDP).await,
        format!("{IDP}?lh=evil.com%0Ajo%40acme.com")
    );
}

#[tokio::test]
async fn max_len_counts_decoded_bytes() {
    let params = r#"{"lh": {"alias": "login_hint", "max_len": 5}}"#;
    // "a@b.c" is 5 decoded bytes though "a%40b.c" is 7 encoded.
    assert_eq!(
        with_params(params, "/a?login_hint=a%40b.c", IDP).await,
        format!("{IDP}?lh=a%40b.c")
    );
    assert_eq!(
        with_params(params, "/a?login_hint=ab%40b.c", IDP).await,
        IDP
    );
}

#[tokio::test]
async fn limits_max_value_len_is_the_default_max_len() {
    let cfg = config(&format!(
        r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
            "upstream_params": {{"lh": {{"alias": "login_hint"}}}}}}}},
            "limits": {{"max_value_len": 3}}}}"#
    ));
    assert_eq!(
        location(cfg.clone(), "/a?login_hint=abc", IDP).await,
        format!("{IDP}?lh=abc")
    );
    assert_eq!(location(cfg, "/a?login_hint=abcd", IDP).await, IDP);
}

#[tokio::test]
async fn max_location_len_allows_exactly_the_limit() {
    let grown = format!("{IDP}?x=1&b=2");
    let json = |limit: usize| {
        format!(
            r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
                "upstream_params": {{"b": {{"value": "2"}}}}}}}},
                "limits": {{"max_location_len": {limit}}}}}"#
        )
    };
    let loc = format!("{IDP}?x=1");
    assert_eq!(location(config(&json(grown.len())), "/", &loc).await, grown);
    assert_eq!(
        location(config(&json(grown.len() - 1)), "/", &loc).await,
        loc
    );
}

#[tokio::test]
async fn query_aliases_extend_the_query_sources() {
    let cfg = config(&format!(
        r#"{{"connections": {{"entra": {{"authorization_url": "{IDP}",
            "upstream_params": {{"domain_hint": {{"alias": "domain_hint"}}}}}}}},
            "query_aliases": ["domain_hint"]}}"#
    ));
    assert_eq!(
        location(cfg, "/a?domain_hint=acme.com", IDP).await,
        format!("{IDP}?domain_hint=acme.com")
    );
}

#[tokio::test]
async fn source_names_are_compared_case_sensitively_after_decoding() {
    let params = r#"{"lh": {"alias": "login_hint"}}"#;
    assert_eq!(with_params(params, "/a?Login_Hint=x", IDP).await, IDP);
    assert_eq!(
        with_params(params, "/a?login%5Fhint=x", IDP).await,
        format!("{IDP}?lh=x")
    );
}

#[tokio::test]
async fn empty_values_are_never_sent() {
    let params = r#"{"lh": {"alias": "login_hint"}}"#;
    assert_eq!(with_params(params, "/a?login_hint=", IDP).await, IDP);
    assert_eq!(with_params(params, "/a?login_hint", IDP).await, IDP);
    // The broker's own pair of that name stays as it was.
    let loc = format!("{IDP}?lh=broker");
    assert_eq!(with_params(params, "/a?login_hint=", &loc).await, loc);
}

#[tokio::test]
async fn repeated_query_sources_are_ambiguous_and_not_used() {
    let params = r#"{"lh": {"alias": "login_hint", "default": "d"}}"#;
    assert_eq!(
        with_params(params, "/a?login_hint=a&login_hint=b", IDP).await,
        format!("{IDP}?lh=d")
    );
}

#[tokio::test]
async fn added_values_decode_to_exactly_the_source() {
    let params = r#"{"lh": {"alias": "login_hint"}}"#;
    let out = with_params(params, "/a?login_hint=a%2Bb+c%26d%3De%25f%23g%C3%A9", IDP).await;
    assert_eq!(out, format!("{IDP}?lh=a%2Bb+c%26d%3De%25f%23g%C3%A9"));
    let query = out.split_once('?').unwrap().1;
    let (_, value) = url::form_urlencoded::parse(query.as_bytes())
        .next()
        .unwrap();
    assert_eq!(value, "a+b c&d=e%f#gé");
}

#[tokio::test]
async fn wildcard_segments_match_any_one_segment() {
    let cfg = one(
        "entra",
        "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
        r#"{"domain_hint": {"value": "acme.com"}}"#,
    );
    for tenant in [
        "common",
        "organizations",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
    ] {
        let loc = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize?x=1");
        assert_eq!(
            location(cfg.clone(), "/", &loc).await,
            format!("{loc}&domain_hint=acme.com")
        );
    }
    let two = "https://login.microsoftonline.com/a/b/oauth2/v2.0/authorize?x=1";
    assert_eq!(location(cfg, "/", two).await, two);
}

#[tokio::test]
async fn the_more_specific_path_wins() {
    let cfg = config(
        r#"{"connections": {
            "any": {"authorization_url": "https://idp.example/*/*/auth", "upstream_params": {"w": {"value": "any"}}},
            "left": {"authorization_url": "https://idp.example/t/*/auth", "upstream_params": {"w": {"value": "left"}}},
            "right": {"authorization_url": "https://idp.example/*/x/auth", "upstream_params": {"w": {"value": "right"}}},
            "exact": {"authorization_url": "https://idp.example/t/x/auth", "upstream_params": {"w": {"value": "exact"}}}
        }}"#,
    );
    let cases = [
        ("https://idp.example/t/x/auth", "exact"),
        ("https://idp.example/t/y/auth", "left"),
        ("https://idp.example/u/x/auth", "right"),
        ("https://idp.example/u/y/auth", "any"),
    ];
    for (loc, winner) in cases {
        assert_eq!(
            location(cfg.clone(), "/", loc).await,
            format!("{loc}?w={winner}")
        );
    }
}

fn shared_endpoint() -> tower_upstream_params::Config {
    config(
        r#"{"connections": {
            "acme": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                     "client_id": "acme", "upstream_params": {"hd": {"value": "acme.com"}}},
            "globex": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                       "client_id": "globex", "upstream_params": {"hd": {"value": "globex.com"}}},
            "plain": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                      "upstream_params": {"prompt": {"value": "select_account"}}}
        }}"#,
    )
}

#[tokio::test]
async fn client_id_tells_connections_on_one_endpoint_apart() {
    let base = "https://accounts.google.com/o/oauth2/v2/auth";
    let cases = [
        (format!("{base}?client_id=acme"), "&hd=acme.com"),
        (format!("{base}?client_id=glo%62ex"), "&hd=globex.com"),
        // Another client_id: the connection without one.
        (format!("{base}?client_id=other"), "&prompt=select_account"),
        // No client_id at all: the connection without one.
        (format!("{base}?scope=openid"), "&prompt=select_account"),
    ];
    for (loc, added) in cases {
        assert_eq!(
            location(shared_endpoint(), "/", &loc).await,
            format!("{loc}{added}")
        );
    }
}

#[tokio::test]
async fn a_candidate_with_another_client_id_never_matches() {
    let cfg = one_with_client("acme");
    let loc = "https://accounts.google.com/o/oauth2/v2/auth?client_id=globex";
    assert_eq!(location(cfg.clone(), "/", loc).await, loc);
    // Without client_id in the Location, the only candidate is used.
    let loc = "https://accounts.google.com/o/oauth2/v2/auth?scope=openid";
    assert_eq!(location(cfg, "/", loc).await, format!("{loc}&hd=acme.com"));
}

fn one_with_client(client_id: &str) -> tower_upstream_params::Config {
    config(&format!(
        r#"{{"connections": {{"acme": {{"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "client_id": "{client_id}", "upstream_params": {{"hd": {{"value": "acme.com"}}}}}}}}}}"#
    ))
}

#[tokio::test]
async fn upstream_connection_picks_among_candidates_only() {
    let base = "https://accounts.google.com/o/oauth2/v2/auth?client_id=acme";
    let named = |name: &'static str| Extras::named(name);
    assert_eq!(
        location_with(shared_endpoint(), "/", base, named("globex"), None).await,
        format!("{base}&hd=globex.com")
    );
    // Unknown name: nothing rewritten.
    assert_eq!(
        location_with(shared_endpoint(), "/", base, named("nope"), None).await,
        base
    );
    // A connection on another endpoint is not a candidate.
    let cfg = config(
        r#"{"connections": {
            "google": {"authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                       "upstream_params": {"a": {"value": "1"}}},
            "github": {"authorization_url": "https://github.com/login/oauth/authorize",
                       "upstream_params": {"b": {"value": "2"}}}
        }}"#,
    );
    assert_eq!(
        location_with(cfg, "/", base, named("github"), None).await,
        base
    );
}

#[tokio::test]
async fn saml_signed_params_stay_and_params_come_after_them() {
    let cfg = config(
        r#"{"connections": {"saml": {"protocol": "saml",
            "authorization_url": "https://idp.example/saml2/sso",
            "upstream_params": {"login_hint": {"alias": "login_hint"}, "forceAuthn": {"value": "true"}}}}}"#,
    );
    let loc = "https://idp.example/saml2/sso?SAMLRequest=fZJNT%2BMw&RelayState=token%3D1&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=AbC%2B%2F%3D";
    assert_eq!(
        location(cfg, "/a?login_hint=u@idp.example", loc).await,
        format!("{loc}&login_hint=u%40idp.example&forceAuthn=true")
    );
}

#[tokio::test]
async fn par_and_jar_redirects_are_left_unchanged() {
    let params = r#"{"prompt": {"value": "login"}}"#;
    for loc in [
        format!("{IDP}?client_id=c&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Abwc4JK"),
        format!("{IDP}?client_id=c&request=eyJhbGciOiJub25lIn0.e30."),
    ] {
        assert_eq!(with_params(params, "/", &loc).await, loc);
    }
}

#[tokio::test]
async fn hosts_compare_case_insensitively_and_default_ports_normalize() {
    let params = r#"{"x": {"value": "1"}}"#;
    for loc in [
        "HTTPS://IDP.EXAMPLE/authorize",
        "https://idp.example:443/authorize",
        "https://Idp.Example:0443/authorize",
    ] {
        assert_eq!(with_params(params, "/", loc).await, format!("{loc}?x=1"));
    }
    // The path is exact.
    for loc in [
        "https://idp.example/Authorize",
        "https://idp.example/authorize/",
    ] {
        assert_eq!(with_params(params, "/", loc).await, loc);
    }
}

#[tokio::test]
async fn idna_hosts_match_as_url_normalizes_them() {
    let cfg = one(
        "b",
        "https://bücher.example/auth",
        r#"{"x": {"value": "1"}}"#,
    );
    let loc = "https://xn--bcher-kva.example/auth";
    assert_eq!(location(cfg, "/", loc).await, format!("{loc}?x=1"));
}
