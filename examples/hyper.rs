//! The layer on a plain hyper 1 server, through hyper-util's `TowerToHyperService`.
//!
//! `cargo run --example hyper` serves one connection on loopback, sends one request through
//! it, prints the rewritten `Location`, and exits.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header::LOCATION};
use http_body_util::{Empty, Full};
use hyper::server::conn::http1;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_upstream_params::{Config, UpstreamParamsLayer};

/// The broker: every request is answered with a redirect to X's authorization endpoint.
async fn broker(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header(
            LOCATION,
            "https://api.twitter.com/oauth/authorize?oauth_token=T",
        )
        .body(Full::default())
        .expect("a valid response"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_json(
        r#"{"connections": {"twitter": {"protocol": "oauth1",
            "authorization_url": "https://api.twitter.com/oauth/authorize",
            "upstream_params": {"screen_name": {"alias": "login_hint"}}}}}"#,
    )?;
    let service = ServiceBuilder::new()
        .layer(UpstreamParamsLayer::new(config))
        .service_fn(broker);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        // One connection is enough for the example; a server would loop here.
        if let Ok((stream, _)) = listener.accept().await {
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
            if let Err(e) = served {
                eprintln!("connection error: {e}");
            }
        }
    });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("http://{addr}/authorize?client_id=abc&login_hint=john%40gmail.com");
    let response = client.get(uri.parse()?).await?;
    println!("Location: {}", response.headers()[LOCATION].to_str()?);
    Ok(())
}
