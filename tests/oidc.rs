//! End to end against a real, OpenID Certified provider: panva's `oidc-provider` (npm), run
//! on loopback from `tests/idp/` with the machine's Node.js.
//!
//! An axum broker with the layer redirects to the provider's real authorization endpoint (read
//! from its discovery document); the test follows the redirects like a browser, logs in, and
//! checks what the provider received, accepted and put in the ID token.
//!
//! Needs `node` and `npm` on the PATH; installs `tests/idp/node_modules` with `npm ci` when it
//! is missing. Without them the test fails, saying how to install them: it never skips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::extract::RawQuery;
use axum::response::Redirect;
use axum::routing::get;
use base64::Engine;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tower_upstream_params::{Config, UpstreamParamsLayer};

const CLIENT_ID: &str = "broker";
const CLIENT_SECRET: &str = "broker-secret";

fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/idp")
}

/// `node` and `npm` must be there; `node_modules` is installed by the project's own lockfile.
fn install_idp() {
    for tool in ["node", "npm"] {
        let found = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{tool}` is not on the PATH: the end-to-end test runs the OpenID provider with \
             Node.js. Install Node.js 18 or later with npm (Debian: `apt-get install nodejs npm`)."
        );
    }
    // Several tests may race here; a lock file would be overkill for one test binary, so the
    // install happens under a process-wide mutex.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if idp_dir()
        .join("node_modules/oidc-provider/package.json")
        .exists()
    {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(idp_dir())
        .status()
        .expect("run npm ci in tests/idp");
    assert!(status.success(), "`npm ci` in tests/idp failed: {status}");
}

/// The provider, killed when dropped.
struct Idp {
    issuer: String,
    _child: Child,
}

async fn start_idp(redirect_uri: &str) -> Idp {
    install_idp();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(idp_dir())
        .env("PORT", "0")
        .env("REDIRECT_URI", redirect_uri)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start node tests/idp/server.mjs");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the OpenID provider did not start within 60 s")
        .expect("read the provider's stdout")
        .expect("the provider exited before listening");
    let issuer = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line from the provider: {line}"))
        .to_owned();
    Idp {
        issuer,
        _child: child,
    }
}

type HttpClient = Client<HttpConnector, Full<bytes::Bytes>>;

/// A minimal browser: sends the cookies it was given, follows nothing by itself.
struct Browser {
    client: HttpClient,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Browser {
            client: Client::builder(TokioExecutor::new()).build_http(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, mut request: Request<Full<bytes::Bytes>>) -> (Response<()>, String) {
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request
                .headers_mut()
                .insert(COOKIE, cookie.join("; ").parse().unwrap());
        }
        let response = self.client.request(request).await.expect("HTTP request");
        for set in response.headers().get_all(SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies
                    .insert(name.trim().to_owned(), value.to_owned());
            }
        }
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (
            Response::from_parts(parts, ()),
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    async fn get(&mut self, url: &str) -> (Response<()>, String) {
        let request = Request::get(url).body(Full::default()).unwrap();
        self.send(request).await
    }

    async fn post_form(
        &mut self,
        url: &str,
        form: &str,
        auth: Option<&str>,
    ) -> (Response<()>, String) {
        let mut request = Request::post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::from(form.to_owned()))
            .unwrap();
        if let Some(auth) = auth {
            request
                .headers_mut()
                .insert(AUTHORIZATION, auth.parse().unwrap());
        }
        self.send(request).await
    }
}

fn location(response: &Response<()>) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

fn absolute(issuer: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{issuer}{location}")
    } else {
        location.to_owned()
    }
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Starts the broker on `listener`: `/login` redirects to the provider like a broker that
/// sends `prompt=consent` by default; `/callback` answers with what it received.
fn broker(authorization_endpoint: &str, redirect_uri: &str, config: Config) -> Router {
    let target = format!(
        "{authorization_endpoint}?client_id={CLIENT_ID}&response_type=code&scope=openid\
         &redirect_uri={}&state=xyz%2Fstate&nonce=n-1&prompt=consent",
        url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect::<String>()
    );
    Router::new()
        .route(
            "/login",
            get(move || {
                let target = target.clone();
                async move { Redirect::to(&target) }
            }),
        )
        .route(
            "/callback",
            get(|RawQuery(q): RawQuery| async move { q.unwrap_or_default() }),
        )
        .layer(UpstreamParamsLayer::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certified_openid_provider_accepts_the_rewritten_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker_base = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{broker_base}/callback");
    let idp = start_idp(&redirect_uri).await;
    let mut browser = Browser::new();

    // The provider's real authorization endpoint, from its discovery document.
    let (response, discovery) = browser
        .get(&format!("{}/.well-known/openid-configuration", idp.issuer))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let discovery: Value = serde_json::from_str(&discovery).unwrap();
    let authorization_endpoint = discovery["authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap().to_owned();

    let config = Config::from_json(&format!(
        r#"{{"connections": {{"op": {{
            "protocol": "oidc",
            "authorization_url": "{authorization_endpoint}",
            "client_id": "{CLIENT_ID}",
            "upstream_params": {{
                "login_hint": {{"alias": "login_hint", "pattern": "[^@]+@example\\.com"}},
                "ui_locales": {{"alias": "ui_locales"}},
                "prompt": {{"value": "select_account"}},
                "max_age": {{"alias": "max_age", "pattern": "[0-9]+"}},
                "acr_values": {{"alias": "acr_values"}},
                "screen_name": {{"alias": "login_hint"}}
            }}}}}}}}"#
    ))
    .unwrap();
    let app = broker(&authorization_endpoint, &redirect_uri, config);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // 1. The broker's redirect, rewritten by the layer.
    let (response, _) = browser
        .get(&format!(
            "{broker_base}/login?login_hint=hello%40example.com&ui_locales=fr-CA&max_age=300\
             &acr_values=urn%3Aexample%3Aloa%3A2"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to_idp = location(&response);
    assert!(to_idp.starts_with(&authorization_endpoint), "{to_idp}");
    assert!(
        to_idp.contains("state=xyz%2Fstate&"),
        "state re-encoded: {to_idp}"
    );

    // 2. The provider accepts it and asks for a login.
    let (response, _) = browser.get(&to_idp).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let interaction = absolute(&idp.issuer, &location(&response));
    assert!(
        !interaction.contains("error="),
        "the provider refused: {interaction}"
    );

    let (_, received) = browser
        .get(&format!("{}/_test/last-authorization", idp.issuer))
        .await;
    let received: Value = serde_json::from_str(&received).unwrap();
    assert_eq!(received["accepted"], true, "{received}");
    let query = &received["query"];
    for (name, value) in [
        ("login_hint", "hello@example.com"),
        ("ui_locales", "fr-CA"),
        ("prompt", "select_account"),
        ("max_age", "300"),
        ("acr_values", "urn:example:loa:2"),
        ("screen_name", "hello@example.com"),
        ("state", "xyz/state"),
        ("redirect_uri", redirect_uri.as_str()),
    ] {
        // Exactly one value each: the provider rejects repeated params.
        assert_eq!(
            query[name],
            serde_json::json!([value]),
            "{name} in {received}"
        );
    }

    // 3. Its login page shows the forwarded login_hint.
    let (response, page) = browser.get(&interaction).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        page.contains(r#"name="login" value="hello@example.com""#),
        "{page}"
    );

    // 4. Log in; back at the broker's callback with a code and no error.
    let (response, _) = browser
        .post_form(
            &format!("{interaction}/login"),
            "login=hello%40example.com",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let resume = absolute(&idp.issuer, &location(&response));
    let (response, _) = browser.get(&resume).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let callback = location(&response);
    assert!(callback.starts_with(&redirect_uri), "{callback}");
    let params = query_of(&callback);
    assert!(!params.contains_key("error"), "{callback}");
    assert_eq!(params["state"], "xyz/state");
    let code = params["code"].clone();
    let (response, echoed) = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(echoed.contains("code="), "{echoed}");

    // 5. The ID token's acr is the forwarded acr_values.
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect::<String>()
    );
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let (response, tokens) = browser
        .post_form(&token_endpoint, &form, Some(&format!("Basic {basic}")))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{tokens}");
    let tokens: Value = serde_json::from_str(&tokens).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["acr"], "urn:example:loa:2", "{claims}");
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["sub"], "hello@example.com");

    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_rejects_what_the_layer_avoids() {
    // Why `replace` matters: a repeated prompt, or `none` beside another value, is refused.
    let redirect_uri = "http://127.0.0.1:9/callback";
    let idp = start_idp(redirect_uri).await;
    let mut browser = Browser::new();
    let base = format!(
        "{}/auth?client_id={CLIENT_ID}&response_type=code&scope=openid&redirect_uri={}&state=s",
        idp.issuer,
        url::form_urlencoded::byte_serialize(redirect_uri.as_bytes()).collect::<String>()
    );
    for (extra, error) in [
        ("&prompt=consent&prompt=select_account", "invalid_request"),
        ("&prompt=none+login", "invalid_request"),
        (
            "&login_hint=a%40example.com&login_hint=b%40example.com",
            "invalid_request",
        ),
    ] {
        let (response, _) = browser.get(&format!("{base}{extra}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, received) = browser
            .get(&format!("{}/_test/last-authorization", idp.issuer))
            .await;
        let received: Value = serde_json::from_str(&received).unwrap();
        assert_eq!(received["accepted"], false, "{extra}: {received}");
        assert_eq!(received["error"], error, "{extra}: {received}");
    }
    // And what the layer sends instead is accepted.
    let (_, _) = browser
        .get(&format!(
            "{base}&prompt=select_account&login_hint=a%40example.com"
        ))
        .await;
    let (_, received) = browser
        .get(&format!("{}/_test/last-authorization", idp.issuer))
        .await;
    let received: Value = serde_json::from_str(&received).unwrap();
    assert_eq!(received["accepted"], true, "{received}");
}
