//! The layer at work, on loopback with no outside services.
//!
//! Starts a small identity provider (it answers with the query it received) and two brokers
//! that redirect to it: one bare, one wrapped in `UpstreamParamsLayer` with the WordPress, X
//! and Google cases of the Auth0 and Kinde docs. Each login is followed to the IdP, and the
//! table shows what the IdP received without and with the layer.
//!
//! Run with `cargo run -p demo` from the repository root. The demo is a package of its own,
//! on plain hyper 1 with a hand-written tower service as the broker, so that this first
//! command compiles only what it uses; `cargo run --example axum` shows the layer on axum.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HOST, LOCATION};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower_layer::Layer;
use tower_service::Service;
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

/// The IdP: every authorization endpoint echoes the query it received.
async fn idp(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let endpoints = ["/oauth2/authorize", "/oauth/authorize", "/o/oauth2/v2/auth"];
    if !endpoints.contains(&request.uri().path()) {
        let mut response = Response::new(Full::default());
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    let query = request.uri().query().unwrap_or_default().to_owned();
    Ok(Response::new(Full::new(Bytes::from(query))))
}

/// The broker: `/login/{connection}` redirects to the IdP as a broker would. A tower service,
/// which is what `UpstreamParamsLayer` wraps (an axum `Router` is one too).
#[derive(Clone, Debug)]
struct Broker {
    idp: SocketAddr,
}

impl<B> Service<Request<B>> for Broker {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let idp = self.idp;
        let connection = request.uri().path().strip_prefix("/login/").unwrap_or("");
        let location = match connection {
            "wordpress" => format!(
                "http://{idp}/oauth2/authorize?client_id=42&response_type=code\
                 &redirect_uri=http%3A%2F%2Fbroker%2Fcb&state=Zm9v%2Bbar"
            ),
            "twitter" => format!("http://{idp}/oauth/authorize?oauth_token=T-123"),
            "google" | "google-typed" => format!(
                "http://{idp}/o/oauth2/v2/auth?client_id=google-client&response_type=code\
                 &scope=openid%20email&prompt=consent&state=s%20t"
            ),
            _ => {
                let mut response = Response::new(Full::default());
                *response.status_mut() = StatusCode::NOT_FOUND;
                return ready(Ok(response));
            }
        };
        let mut response = Response::new(Full::default());
        *response.status_mut() = StatusCode::SEE_OTHER;
        let location = HeaderValue::from_str(&location).expect("an ASCII Location");
        response.headers_mut().insert(LOCATION, location);
        if connection == "google-typed" {
            // The email the user typed on the broker's own page: a broker-provided value.
            response
                .extensions_mut()
                .insert(UpstreamValues::new().with("login_hint", "typed@example.com"));
        }
        ready(Ok(response))
    }
}

fn config(idp: SocketAddr) -> Config {
    let json = format!(
        r#"{{
  "connections": {{
    "wordpress": {{
      "authorization_url": "http://{idp}/oauth2/authorize",
      "upstream_params": {{ "blog": {{ "value": "myblog.wordpress.com" }} }}
    }},
    "twitter": {{
      "protocol": "oauth1",
      "authorization_url": "http://{idp}/oauth/authorize",
      "upstream_params": {{ "screen_name": {{ "alias": "login_hint" }} }}
    }},
    "google": {{
      "protocol": "oidc",
      "authorization_url": "http://{idp}/o/oauth2/v2/auth",
      "upstream_params": {{
        "prompt": {{ "value": "select_account" }},
        "login_hint": {{ "alias": "login_hint" }}
      }}
    }}
  }}
}}"#
    );
    match Config::from_json(&json) {
        Ok(config) => config,
        Err(e) => panic!("the demo's configuration is invalid: {e}"),
    }
}

/// Serves `service` (a hyper service) on a loopback port, one task per connection.
async fn serve<S>(service: S) -> SocketAddr
where
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let served = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(e) = served {
                    eprintln!("connection error: {e}");
                }
            });
        }
    });
    addr
}

/// `GET http://{addr}{path_and_query}` on a new connection: the status, the `Location` if
/// any, and the body.
async fn get(addr: SocketAddr, path_and_query: &str) -> (StatusCode, Option<String>, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let request = Request::get(path_and_query)
        .header(HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("a valid request");
    let response = sender.send_request(request).await.expect("an answer");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().expect("ASCII Location").to_owned());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body")
        .to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// Logs in through `broker` and returns what the IdP received.
async fn idp_received(broker: SocketAddr, path: &str) -> String {
    let (status, location, _) = get(broker, path).await;
    let location = location.unwrap_or_else(|| panic!("{path}: {status} without a Location"));
    let uri: Uri = location.parse().expect("absolute Location");
    let idp: SocketAddr = uri
        .authority()
        .and_then(|a| a.as_str().parse().ok())
        .expect("the IdP's loopback address");
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let (status, _, body) = get(idp, target).await;
    assert_eq!(status, StatusCode::OK, "the IdP answers {target}");
    body
}

/// Runs the cases; the number that the layer did not rewrite.
async fn run() -> usize {
    let idp_addr = serve(service_fn(idp)).await;
    let bare = serve(TowerToHyperService::new(Broker { idp: idp_addr })).await;
    let layer = UpstreamParamsLayer::new(config(idp_addr));
    let layered = serve(TowerToHyperService::new(
        layer.layer(Broker { idp: idp_addr }),
    ))
    .await;

    println!(
        "IdP on {idp_addr}; bare broker on {bare}; broker with UpstreamParamsLayer on {layered}\n"
    );
    let cases = [
        ("WordPress, static blog", "/login/wordpress"),
        (
            "X, screen_name from login_hint",
            "/login/twitter?client_id=abc&response_type=token&login_hint=john@gmail.com",
        ),
        (
            "Google, prompt replaced + login_hint",
            "/login/google?login_hint=hello%40example.com",
        ),
        (
            "Google, broker-typed email wins",
            "/login/google-typed?login_hint=query%40example.com",
        ),
    ];
    let mut failures = 0;
    for (name, path) in cases {
        let before = idp_received(bare, path).await;
        let after = idp_received(layered, path).await;
        println!("{name}\n  request   GET {path}\n  before    {before}\n  after     {after}\n");
        if after == before {
            failures += 1;
        }
    }
    failures
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let failures = runtime.block_on(run());
    if failures > 0 {
        eprintln!("{failures} case(s) were not rewritten");
        std::process::exit(1);
    }
}
