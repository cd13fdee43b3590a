//! End to end against a real, OpenID Certified provider: panva's `oidc-provider` (npm), run
//! on loopback from `tests/idp/` with the machine's Node.js.
//!
//! An axum broker with the layer redirects to the provider's real authorization endpoint (read
//! from its discovery document); the test follows the redirects like a browser, logs in, and
//! checks what the provider received, accepted and put in the ID token. The same with a
//! pushed authorization request (RFC 9126): the broker applies the params to the request it
//! pushes (`Config::resolve`, `Resolved::apply_to`) and the layer leaves its redirect alone.
//!
//! Needs `node` and `npm` on the PATH; installs `tests/idp/node_modules` with `npm ci` when it
//! is missing. Without them the test fails, saying how to install them: it never skips.

#[path = "support/npm.rs"]
mod npm;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response as AxumResponse};
use axum::routing::get;
use base64::Engine;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tower::ServiceExt;
use tower_upstream_params::{
    AliasSources, Config, ConfigHandle, DropReason, Outcome, UpstreamParamsLayer, UpstreamReport,
    ValueSource,
};

const CLIENT_ID: &str = "broker";
const CLIENT_SECRET: &str = "broker-secret";

fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/idp")
}

/// `node` and `npm` must be there; `node_modules` is installed by the project's own lockfile.
fn install_idp() {
    npm::install(
        &idp_dir(),
        "node_modules/oidc-provider/package.json",
        "the end-to-end test runs the OpenID provider",
    );
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

/// The token request for `code` (client_secret_basic), and the ID token's claims.
async fn exchange_code(
    browser: &mut Browser,
    token_endpoint: &str,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Value {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri);
    if let Some(verifier) = code_verifier {
        form.append_pair("code_verifier", verifier);
    }
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let (response, tokens) = browser
        .post_form(
            token_endpoint,
            &form.finish(),
            Some(&format!("Basic {basic}")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{tokens}");
    let tokens: Value = serde_json::from_str(&tokens).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
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
    let claims = exchange_code(&mut browser, &token_endpoint, &code, &redirect_uri, None).await;
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

// ---------------------------------------------------------------------------------------------
// Pushed authorization requests (RFC 9126): no Location to rewrite, the engine as a library.
// ---------------------------------------------------------------------------------------------

/// A fixed PKCE verifier (43 characters): the test exchanges the code with it.
const PKCE_VERIFIER: &str = "par-test-verifier-0123456789-abcdefghijklmnopqrstuv";

/// The provider's endpoints, from its discovery document.
struct Endpoints {
    authorization: String,
    pushed_authorization_request: String,
    token: String,
}

async fn discover(browser: &mut Browser, issuer: &str) -> Endpoints {
    let (response, discovery) = browser
        .get(&format!("{issuer}/.well-known/openid-configuration"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let discovery: Value = serde_json::from_str(&discovery).unwrap();
    let endpoint = |name: &str| {
        discovery[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in the discovery document: {discovery}"))
            .to_owned()
    };
    Endpoints {
        authorization: endpoint("authorization_endpoint"),
        pushed_authorization_request: endpoint("pushed_authorization_request_endpoint"),
        token: endpoint("token_endpoint"),
    }
}

/// The connection of the PAR tests: a static `acr_values` (the ID token's `acr` shows it
/// arrived), the query's `login_hint` (acme.com only), `prompt` replacing the broker's
/// `consent`, `ui_locales` merged into the broker's `en`.
fn par_config(authorization_endpoint: &str) -> Config {
    Config::from_json(&format!(
        r#"{{"connections": {{"op": {{
            "protocol": "oidc",
            "authorization_url": "{authorization_endpoint}",
            "client_id": "{CLIENT_ID}",
            "upstream_params": {{
                "login_hint": {{"alias": "login_hint", "pattern": "[^@]+@acme\\.com"}},
                "acr_values": {{"value": "urn:example:loa:2"}},
                "prompt": {{"value": "login"}},
                "ui_locales": {{"alias": "ui_locales", "mode": "merge"}}
            }}}}}}}}"#
    ))
    .unwrap()
}

/// What the PAR broker needs to push a request.
#[derive(Clone)]
struct ParBroker {
    /// The layer's configuration, read through its handle: one source of truth.
    config: ConfigHandle,
    endpoints: Arc<Endpoints>,
    redirect_uri: String,
    /// `false` for the negative control: the request is pushed without the params.
    apply: bool,
    client: HttpClient,
    /// Every `Location` the broker wrote, in order, to compare with what the client gets.
    written: Arc<Mutex<Vec<String>>>,
}

/// `/login`: builds the authorization request, applies the upstream params to it (unless
/// `apply` is off), pushes it with client authentication, and redirects to the authorization
/// endpoint with the `request_uri`, the `UpstreamReport` in the response's extensions.
async fn par_login(
    State(broker): State<ParBroker>,
    request: axum::extract::Request,
) -> AxumResponse {
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
        PKCE_VERIFIER.to_owned(),
    ));
    let mut pairs: Vec<(String, String)> = [
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", broker.redirect_uri.as_str()),
        ("scope", "openid email"),
        ("state", "xyz/state"),
        ("nonce", "n-par"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        // The broker's own defaults, which the configuration replaces and merges into.
        ("prompt", "consent"),
        ("ui_locales", "en"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    // The layer's handle: its current configuration and its dry run.
    let report = broker.apply.then(|| {
        let resolved = broker
            .config
            .resolve("op", &AliasSources::from_request(&request))
            .expect("a configured connection");
        resolved.apply_to(&mut pairs) // decoded pairs, the rules of a rewrite
    });

    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let push = Request::post(&broker.endpoints.pushed_authorization_request)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(AUTHORIZATION, format!("Basic {basic}"))
        .body(Full::from(form))
        .unwrap();
    let pushed = broker.client.request(push).await.expect("push the request");
    let status = pushed.status();
    let body = pushed
        .into_body()
        .collect()
        .await
        .expect("PAR body")
        .to_bytes();
    if status != StatusCode::CREATED {
        return (
            StatusCode::BAD_GATEWAY,
            format!("PAR answered {status}: {}", String::from_utf8_lossy(&body)),
        )
            .into_response();
    }
    let pushed: Value = serde_json::from_slice(&body).expect("PAR JSON");
    let request_uri = pushed["request_uri"].as_str().expect("request_uri");

    let location = format!(
        "{}?client_id={CLIENT_ID}&request_uri={}",
        broker.endpoints.authorization,
        url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
    );
    broker.written.lock().unwrap().push(location.clone());
    let mut response = (StatusCode::FOUND, [(LOCATION, location)]).into_response();
    if let Some(report) = report {
        response.extensions_mut().insert(report);
    }
    response
}

fn par_broker(
    endpoints: Endpoints,
    redirect_uri: &str,
    config: Config,
    apply: bool,
) -> (Router, Arc<Mutex<Vec<String>>>) {
    let layer = UpstreamParamsLayer::new(config);
    let written = Arc::new(Mutex::new(Vec::new()));
    let state = ParBroker {
        config: layer.handle(),
        endpoints: Arc::new(endpoints),
        redirect_uri: redirect_uri.to_owned(),
        apply,
        client: Client::builder(TokioExecutor::new()).build_http(),
        written: written.clone(),
    };
    let router = Router::new()
        .route("/login", get(par_login))
        .route(
            "/callback",
            get(|RawQuery(q): RawQuery| async move { q.unwrap_or_default() }),
        )
        .with_state(state)
        .layer(layer);
    (router, written)
}

thread_local! {
    /// What `tracing` wrote on this thread (see [`ThreadBuffer`]).
    static EVENTS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A `tracing` writer into a buffer of the writing thread. One global subscriber serves every
/// test of this binary: a subscriber per test (`with_subscriber`) races the other tests over
/// `tracing`'s global call-site interest cache, and an event may go unseen.
struct ThreadBuffer;

impl std::io::Write for ThreadBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        EVENTS.with(|events| events.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_events() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadBuffer)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber of this test binary");
    });
    EVENTS.with(|events| events.borrow_mut().clear());
}

/// The broker's `/login` through `oneshot`, as the client would get it: the response, and
/// the layer's events while it ran (on this thread, which polls the response future).
async fn login_oneshot(router: &Router, uri: &str) -> (AxumResponse, String) {
    capture_events();
    let request = Request::get(uri).body(axum::body::Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let text = EVENTS.with(|events| String::from_utf8_lossy(&events.borrow()).into_owned());
    let events = text
        .lines()
        .filter(|line| line.contains("tower_upstream_params"))
        .collect::<Vec<_>>()
        .join("\n");
    (response, events)
}

/// The parameters the provider kept for the interaction, from its login page's
/// `<pre id="params">` (HTML-escaped JSON).
fn login_page_params(page: &str) -> Value {
    let start = page
        .find(r#"<pre id="params">"#)
        .expect("params on the login page")
        + r#"<pre id="params">"#.len();
    let end = start + page[start..].find("</pre>").expect("end of params");
    let json = page[start..end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

async fn last_pushed(browser: &mut Browser, issuer: &str) -> Value {
    let (response, record) = browser
        .get(&format!("{issuer}/_test/last-pushed-authorization"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{record}");
    serde_json::from_str(&record).unwrap()
}

/// What both PAR tests start from: the provider, a browser that discovered it, and the
/// broker (applying the params with `apply_to` or not) on a loopback port not served yet.
struct ParSetup {
    listener: tokio::net::TcpListener,
    broker_base: String,
    redirect_uri: String,
    idp: Idp,
    browser: Browser,
    token_endpoint: String,
    app: Router,
    written: Arc<Mutex<Vec<String>>>,
}

async fn par_setup(apply: bool) -> ParSetup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker_base = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{broker_base}/callback");
    let idp = start_idp(&redirect_uri).await;
    let mut browser = Browser::new();
    let endpoints = discover(&mut browser, &idp.issuer).await;
    let authorization_endpoint = endpoints.authorization.clone();
    let token_endpoint = endpoints.token.clone();
    let (app, written) = par_broker(
        endpoints,
        &redirect_uri,
        par_config(&authorization_endpoint),
        apply,
    );
    ParSetup {
        listener,
        broker_base,
        redirect_uri,
        idp,
        browser,
        token_endpoint,
        app,
        written,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_authorization_request_carries_the_params_and_the_layer_leaves_it() {
    let ParSetup {
        listener,
        broker_base,
        redirect_uri,
        idp,
        mut browser,
        token_endpoint,
        app,
        written,
    } = par_setup(true).await;
    let login = "/login?login_hint=jane%40acme.com&ui_locales=fr-CA";

    // 1. Through `oneshot`: the response the client gets carries the broker's report, not
    //    one of the layer's (which would say `dropped(par_or_jar)`), and the layer's event
    //    is that report.
    let (response, events) = login_oneshot(&app, login).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let sent = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        written.lock().unwrap().last(),
        Some(&sent),
        "Location changed"
    );
    let report = response
        .extensions()
        .get::<UpstreamReport>()
        .expect("the broker's report reaches the client side");
    assert_eq!(report.connection(), "op");
    assert!(report.rewritten() && !report.dry_run(), "{report:?}");
    let outcomes: Vec<(&str, Outcome, Option<ValueSource>)> = report
        .params()
        .iter()
        .map(|p| (p.name(), p.outcome(), p.source()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("login_hint", Outcome::Added, Some(ValueSource::Query)),
            ("acr_values", Outcome::Added, Some(ValueSource::Static)),
            ("prompt", Outcome::Replaced, Some(ValueSource::Static)),
            ("ui_locales", Outcome::Merged, Some(ValueSource::Query)),
        ]
    );
    assert!(events.contains(&format!("params={report}")), "{events}");
    assert!(events.contains("connection=op"), "{events}");
    assert!(!events.contains("par_or_jar"), "{events}");
    assert_eq!(
        events.lines().count(),
        1,
        "one event per redirect: {events}"
    );

    // 2. The real thing, over HTTP like a browser.
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (response, body) = browser.get(&format!("{broker_base}{login}")).await;
    assert_eq!(response.status(), StatusCode::FOUND, "{body}");
    let to_idp = location(&response);
    assert_eq!(
        written.lock().unwrap().last(),
        Some(&to_idp),
        "the layer changed the PAR redirect"
    );
    let front = query_of(&to_idp);
    assert_eq!(front.len(), 2, "only client_id and request_uri: {to_idp}");
    assert!(
        front["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"),
        "{to_idp}"
    );

    // What the provider received in the pushed request: each param exactly once.
    let pushed = last_pushed(&mut browser, &idp.issuer).await;
    assert_eq!(pushed["status"], 201, "{pushed}");
    assert_eq!(
        pushed["request_uri"].as_str(),
        Some(front["request_uri"].as_str())
    );
    for (name, value) in [
        ("login_hint", "jane@acme.com"),
        ("acr_values", "urn:example:loa:2"),
        ("prompt", "login"),
        ("ui_locales", "en fr-CA"),
        ("state", "xyz/state"),
        ("nonce", "n-par"),
        ("redirect_uri", redirect_uri.as_str()),
    ] {
        assert_eq!(
            pushed["body"][name],
            serde_json::json!([value]),
            "{name} in {pushed}"
        );
    }

    // 3. The provider accepts the front-channel request and asks for a login.
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
    assert!(received["query"].get("login_hint").is_none(), "{received}");

    // 4. Its login page shows the forwarded login_hint, and the request it resolved from the
    //    request_uri has the static and merged params.
    let (response, page) = browser.get(&interaction).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        page.contains(r#"name="login" value="jane@acme.com""#),
        "{page}"
    );
    let params = login_page_params(&page);
    assert_eq!(params["login_hint"], "jane@acme.com", "{params}");
    assert_eq!(params["acr_values"], "urn:example:loa:2", "{params}");
    assert_eq!(params["prompt"], "login", "{params}");
    assert_eq!(params["ui_locales"], "en fr-CA", "{params}");

    // 5. Log in; back at the broker's callback with a code; the ID token has the static acr.
    let (response, _) = browser
        .post_form(
            &format!("{interaction}/login"),
            "login=jane%40acme.com",
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
    let (response, echoed) = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(echoed.contains("code="), "{echoed}");
    let claims = exchange_code(
        &mut browser,
        &token_endpoint,
        &params["code"],
        &redirect_uri,
        Some(PKCE_VERIFIER),
    )
    .await;
    assert_eq!(claims["acr"], "urn:example:loa:2", "{claims}");
    assert_eq!(claims["nonce"], "n-par");
    assert_eq!(claims["sub"], "jane@acme.com");

    server.abort();
}

/// The negative control: the same broker, pushing its request without `apply_to`. The
/// provider never sees the login_hint, and the layer cannot help: it leaves a redirect with
/// `request_uri` alone and says so (`dropped(par_or_jar)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_apply_to_the_pushed_request_lacks_the_params() {
    let ParSetup {
        listener,
        broker_base,
        idp,
        mut browser,
        app,
        written,
        ..
    } = par_setup(false).await;
    let login = "/login?login_hint=jane%40acme.com&ui_locales=fr-CA";

    let (response, events) = login_oneshot(&app, login).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let sent = response.headers()[LOCATION].to_str().unwrap();
    assert_eq!(
        written.lock().unwrap().last().map(String::as_str),
        Some(sent)
    );
    let report = response
        .extensions()
        .get::<UpstreamReport>()
        .expect("the layer reports the redirect it selected");
    assert!(!report.rewritten(), "{report:?}");
    for param in report.params() {
        assert_eq!(
            param.outcome(),
            Outcome::Dropped(DropReason::ParOrJar),
            "{report:?}"
        );
    }
    assert!(events.contains("par_or_jar"), "{events}");

    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let (response, body) = browser.get(&format!("{broker_base}{login}")).await;
    assert_eq!(response.status(), StatusCode::FOUND, "{body}");
    let to_idp = location(&response);
    assert_eq!(written.lock().unwrap().last(), Some(&to_idp));

    let pushed = last_pushed(&mut browser, &idp.issuer).await;
    assert_eq!(pushed["status"], 201, "{pushed}");
    assert!(pushed["body"].get("login_hint").is_none(), "{pushed}");
    assert!(pushed["body"].get("acr_values").is_none(), "{pushed}");
    assert_eq!(pushed["body"]["prompt"], serde_json::json!(["consent"]));

    let (response, _) = browser.get(&to_idp).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let interaction = absolute(&idp.issuer, &location(&response));
    assert!(!interaction.contains("error="), "{interaction}");
    let (response, page) = browser.get(&interaction).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(page.contains(r#"name="login" value="""#), "{page}");
    let params = login_page_params(&page);
    assert!(params.get("login_hint").is_none(), "{params}");
    assert_eq!(params["ui_locales"], "en", "{params}");

    server.abort();
}
