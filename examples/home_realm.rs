//! Home-realm discovery in an identifier-first broker: the user types an email, the broker
//! picks the identity provider by its domain, and the layer sends that IdP the hints that
//! skip its own account picker: Google's `hd`, Entra ID's `domain_hint`, AD FS's `whr`, each
//! derived from the typed email with `"transform": "email_domain"`.
//!
//! `cargo run --example home_realm` starts the broker on loopback, posts the login form once
//! per IdP with a hyper client, prints each `Location` it gets, checks it, and exits 0.

use std::error::Error;

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

/// Every connection reads the email only from the broker (`"source": "broker"`): the value
/// the user typed into the broker's own form, never a client's query. `login_hint` is sent as
/// typed; the domain hint is derived from it, lowercased.
const CONFIG: &str = r#"{
  "connections": {
    "google-acme": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "acme.apps.googleusercontent.com",
      "upstream_params": {
        "login_hint": { "alias": "login_hint", "source": "broker" },
        "hd": { "alias": "login_hint", "source": "broker", "transform": "email_domain" }
      }
    },
    "entra-contoso": {
      "authorization_url": "https://login.microsoftonline.com/*/oauth2/v2.0/authorize",
      "upstream_params": {
        "login_hint": { "alias": "login_hint", "source": "broker" },
        "domain_hint": { "alias": "login_hint", "source": "broker", "transform": "email_domain" }
      }
    },
    "adfs-fabrikam": {
      "authorization_url": "https://adfs.fabrikam.com/adfs/ls/",
      "upstream_params": {
        "whr": { "alias": "login_hint", "source": "broker", "transform": "email_domain" }
      }
    }
  }
}"#;

/// The broker's own routing table: which IdP an email domain signs in with, and that IdP's
/// authorize request as the broker builds it (a real broker makes a fresh `state`, nonce and
/// PKCE challenge per login and keeps them in its session).
fn authorize_url(domain: &str) -> Option<&'static str> {
    match domain {
        "acme.com" => Some(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=acme.apps.googleusercontent.com\
             &response_type=code&scope=openid%20email&redirect_uri=https%3A%2F%2Fbroker.example%2Fcb\
             &state=s-acme",
        ),
        "contoso.com" => Some(
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=0000-app\
             &response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fbroker.example%2Fcb\
             &state=s-contoso",
        ),
        "fabrikam.com" => Some(
            "https://adfs.fabrikam.com/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3Abroker.example\
             &wctx=s-fabrikam",
        ),
        _ => None,
    }
}

async fn form() -> Html<&'static str> {
    Html(
        r#"<form method="post" action="/login">
  <label>Email <input name="email" type="email" autocomplete="username"></label>
  <button>Continue</button>
</form>"#,
    )
}

#[derive(Deserialize)]
struct Login {
    email: String,
}

/// `POST /login`: the identifier-first step. The broker picks the IdP by the email's domain
/// and redirects there; it vouches for the typed email with `UpstreamValues`, and the layer
/// adds `login_hint` and the IdP's domain hint to the redirect.
async fn login(Form(login): Form<Login>) -> Response {
    let domain = login
        .email
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_ascii_lowercase());
    let Some(url) = domain.as_deref().and_then(authorize_url) else {
        return (StatusCode::BAD_REQUEST, "no sign-in for that domain").into_response();
    };
    let mut response = Redirect::to(url).into_response();
    response
        .extensions_mut()
        .insert(UpstreamValues::new().with("login_hint", login.email));
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let app = Router::new()
        .route("/", get(form))
        .route("/login", axum::routing::post(login))
        .layer(UpstreamParamsLayer::new(Config::from_json(CONFIG)?));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let page = client.get(format!("http://{addr}/").parse()?).await?;
    let page = page.into_body().collect().await?.to_bytes();
    if !String::from_utf8_lossy(&page).contains(r#"name="email""#) {
        return Err("the login page has no email field".into());
    }
    for (email, expected_tail) in [
        (
            "Jane.Doe@Acme.COM",
            "&login_hint=Jane.Doe%40Acme.COM&hd=acme.com",
        ),
        (
            "john@CONTOSO.com",
            "&login_hint=john%40CONTOSO.com&domain_hint=contoso.com",
        ),
        ("amy@Fabrikam.com", "&whr=fabrikam.com"),
    ] {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email)
            .finish();
        let request = http::Request::post(format!("http://{addr}/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))?;
        let response = client.request(request).await?;
        let location = response
            .headers()
            .get(LOCATION)
            .ok_or("no Location in the broker's answer")?
            .to_str()?;
        println!("{email:<20} -> {location}");
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
        let before = domain
            .as_deref()
            .and_then(authorize_url)
            .ok_or("unrouted domain")?;
        if location != format!("{before}{expected_tail}") {
            return Err(format!("unexpected Location for {email}: {location}").into());
        }
    }
    Ok(())
}
