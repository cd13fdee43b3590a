//! The upstream params in an authorize URL built by the `oauth2` crate: the broker asks the
//! engine for the params (`ConfigHandle::resolve`, so the layer's dry run counts too), hands
//! each one to `add_extra_param`, and puts the report into its redirect, so that the layer
//! leaves that redirect as it is and records the report once.
//!
//! `cargo run --example oauth2` builds the URL (no network), sends the redirect through the
//! layer, prints the URL and the report, and exits non-zero if the URL does not carry each
//! param exactly once or the layer changed the redirect.

use std::collections::HashMap;
use std::error::Error;

use http::{Response, StatusCode, header::LOCATION};
use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use tower::{ServiceExt, service_fn};
use tower_upstream_params::{
    AliasSources, Config, Outcome, UpstreamParamsLayer, UpstreamReport, UpstreamValues, ValueSource,
};

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const CLIENT_ID: &str = "acme.apps.googleusercontent.com";

/// The params `oauth2` writes itself.
const OAUTH: [&str; 7] = [
    "response_type",
    "client_id",
    "state",
    "code_challenge",
    "code_challenge_method",
    "redirect_uri",
    "scope",
];

/// What the broker sends of its own accord, beside the OAuth params `oauth2` writes.
const BROKER_EXTRAS: [(&str, &str); 3] = [
    ("access_type", "offline"),
    ("prompt", "consent"),
    ("include_granted_scopes", "true"),
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = Config::from_json(&format!(
        r#"{{"connections": {{"google-acme": {{
            "protocol": "oidc",
            "authorization_url": "{GOOGLE}",
            "client_id": "{CLIENT_ID}",
            "upstream_params": {{
                "login_hint": {{"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}},
                "hd": {{"alias": "org_domain", "source": "broker"}},
                "prompt": {{"value": "select_account"}},
                "include_granted_scopes": {{"remove": true}}
            }}}}}}}}"#
    ))?;

    // What aliases may read: the query of the broker's own /authorize request, and the value
    // the broker vouches for (the organization it resolved from the email domain).
    let vouched = UpstreamValues::new().with("org_domain", "acme.com");
    let sources = AliasSources::new()
        .query(Some("client_id=web&login_hint=jane%40acme.com"))
        .values(&vouched);
    // The layer that wraps the broker; its handle resolves under the layer's own dry run.
    let layer = UpstreamParamsLayer::new(config);
    let handle = layer.handle();
    let resolved = handle
        .resolve("google-acme", &sources)
        .ok_or("no connection named google-acme")?;

    let client = BasicClient::new(ClientId::new(CLIENT_ID.to_owned()))
        .set_auth_uri(AuthUrl::new(GOOGLE.to_owned())?)
        .set_redirect_uri(RedirectUrl::new(
            "https://broker.example/callback".to_owned(),
        )?);
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge);

    // `oauth2` writes response_type, client_id, state, PKCE, redirect_uri and scope itself:
    // reserved names, which no configuration may change or remove. Removals are honored for
    // what the broker adds: a name configured with "remove" is not added, and a configured
    // value takes the place of the broker's own (as "replace" does; for "keep" or "merge"
    // against the broker's extras, add the pairs `apply_to` leaves in them instead).
    let configured = |name: &str| {
        resolved.removals().any(|n| n == name) || resolved.values().any(|(n, _)| n == name)
    };
    for (name, value) in BROKER_EXTRAS {
        if !configured(name) {
            request = request.add_extra_param(name, value);
        }
    }
    for (name, value) in resolved.values() {
        request = request.add_extra_param(name, value);
    }
    let (url, _state) = request.url();

    // The report of what was sent: the same params applied to the broker's extras.
    let mut extras: Vec<(String, String)> = BROKER_EXTRAS
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let report = resolved.apply_to(&mut extras);

    // The redirect carries the report: the layer leaves it as it is and records it once
    // (without it, the layer would apply the params a second time to what is already there).
    let mut redirect = Response::new(String::new());
    *redirect.status_mut() = StatusCode::FOUND;
    redirect
        .headers_mut()
        .insert(LOCATION, url.as_str().parse()?);
    redirect.extensions_mut().insert(report.clone());
    let broker = service_fn(move |_request: http::Request<String>| {
        let redirect = redirect.clone();
        async move { Ok::<_, std::convert::Infallible>(redirect) }
    });
    let request = http::Request::get("/authorize?client_id=web&login_hint=jane%40acme.com")
        .body(String::new())?;
    let response = tower::Layer::layer(&layer, broker).oneshot(request).await?;
    if response.headers()[LOCATION] != url.as_str() {
        return Err("the layer changed a redirect that carries its report".into());
    }
    if response.extensions().get::<UpstreamReport>() != Some(&report) {
        return Err("the layer replaced the broker's report".into());
    }

    println!("{url}");
    println!("connection {}: {report}", report.connection());
    for param in report.params() {
        let source = param.source().map_or("-", ValueSource::as_str);
        println!(
            "  {:<24} {:<10} {source}",
            param.name(),
            param.outcome().to_string()
        );
    }

    check_url(&url, &resolved, &extras)?;
    let expected = [
        ("login_hint", Outcome::Added, Some(ValueSource::Query)),
        ("hd", Outcome::Added, Some(ValueSource::Broker)),
        ("prompt", Outcome::Replaced, Some(ValueSource::Static)),
        ("include_granted_scopes", Outcome::Removed, None),
    ];
    let outcomes: Vec<_> = report
        .params()
        .iter()
        .map(|p| (p.name(), p.outcome(), p.source()))
        .collect();
    if outcomes != expected {
        return Err(format!("report {outcomes:?}, expected {expected:?}").into());
    }
    Ok(())
}

/// Every param exactly once with its value, no removed name, the OAuth params once each,
/// and the extras exactly what `apply_to` makes of the broker's own.
fn check_url(
    url: &url::Url,
    resolved: &tower_upstream_params::Resolved,
    extras: &[(String, String)],
) -> Result<(), Box<dyn Error>> {
    let mut pairs: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in url.query_pairs() {
        pairs
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    for (name, value) in resolved.values() {
        if pairs.get(name) != Some(&vec![value.to_owned()]) {
            return Err(format!("{name}: {:?} in the URL, expected once", pairs.get(name)).into());
        }
    }
    for name in resolved.removals() {
        if pairs.contains_key(name) {
            return Err(format!("{name} was removed but is in the URL").into());
        }
    }
    for name in OAUTH {
        if pairs.get(name).map(Vec::len) != Some(1) {
            return Err(format!("{name}: {:?} in the URL, expected once", pairs.get(name)).into());
        }
    }
    let mut sent: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !OAUTH.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut expected = extras.to_vec();
    sent.sort();
    expected.sort();
    if sent != expected {
        return Err(format!("extras {sent:?}, apply_to gives {expected:?}").into());
    }
    Ok(())
}
