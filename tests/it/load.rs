//! Hot reload under load on a real server (issue 4, item 5).
//!
//! A hyper server on 127.0.0.1 (port 0) with the layer; clients in the same test send 100,000
//! requests over 8 keep-alive connections while another task swaps the configuration 1,000
//! times between two versions that add different params. Every response must arrive, be the
//! redirect, and carry a `Location` that is exactly what one of the two versions makes of it
//! (never a mix, never another request's). Bounded in count (and, as a guard against a hang,
//! in time); loopback only; it stops by itself.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, LOCATION};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower::service_fn;
use tower_upstream_params::{Config, UpstreamParamsLayer};

use crate::common::one;

const IDP: &str = "https://idp.example/oauth2/authorize";
const CONNECTIONS: usize = 8;
const PER_CONNECTION: usize = 12_500;
const TOTAL: usize = CONNECTIONS * PER_CONNECTION;
const SWAPS: usize = 1_000;
/// Not a measurement: only a guard so that a hang fails instead of running forever.
const GUARD: Duration = Duration::from_secs(600);

fn version_a() -> Config {
    one(
        "idp",
        IDP,
        r#"{"ver": {"value": "A"}, "a_only": {"value": "1"}, "lh": {"alias": "login_hint"}}"#,
    )
}

fn version_b() -> Config {
    one(
        "idp",
        IDP,
        r#"{"ver": {"value": "B"}, "b_only": {"value": "2 2"}, "prompt": {"value": "login", "mode": "merge"}}"#,
    )
}

/// What the broker redirects request `id` to, and what each version makes of it.
fn expected(id: &str, login_hint: &str) -> (String, String, String) {
    let broker = format!("{IDP}?client_id=app&state={id}&prompt=consent");
    let a = format!("{broker}&ver=A&a_only=1&lh={login_hint}");
    let b = format!("{IDP}?client_id=app&state={id}&prompt=consent+login&ver=B&b_only=2+2");
    (broker, a, b)
}

/// The broker: redirects to the IdP with the request's `id` as `state`.
async fn broker(req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    let id = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("id=")))
        .unwrap_or("none")
        .to_owned();
    let (location, _, _) = expected(&id, "");
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header(LOCATION, location)
        .body(Empty::new())
        .unwrap())
}

#[derive(Default)]
struct Tally {
    done: AtomicUsize,
    version_a: AtomicUsize,
    version_b: AtomicUsize,
    flips: AtomicUsize,
    errors: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn error(&self, e: String) {
        let mut errors = self.errors.lock().unwrap();
        if errors.len() < 10 {
            errors.push(e);
        }
    }
}

async fn client(addr: std::net::SocketAddr, c: usize, tally: Arc<Tally>) -> usize {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(conn);
    let mut received = 0;
    let mut last = None;
    for i in 0..PER_CONNECTION {
        let id = format!("{c}-{i}");
        let login_hint = format!("u{c}.{i}%40x.org");
        let request = Request::get(format!("/authorize?id={id}&login_hint={login_hint}"))
            .header(HOST, addr.to_string())
            .body(Empty::<Bytes>::new())
            .unwrap();
        if let Err(e) = sender.ready().await {
            tally.error(format!("{id}: connection not ready: {e}"));
            break;
        }
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                tally.error(format!("{id}: {e}"));
                continue;
            }
        };
        received += 1;
        let status = response.status();
        let locations: Vec<String> = response
            .headers()
            .get_all(LOCATION)
            .iter()
            .map(|v| v.to_str().unwrap_or("(not ASCII)").to_owned())
            .collect();
        if let Err(e) = response.into_body().collect().await {
            tally.error(format!("{id}: body: {e}"));
        }
        let (_, a, b) = expected(&id, &login_hint);
        let version = match &locations[..] {
            [l] if status == StatusCode::FOUND && *l == a => 'A',
            [l] if status == StatusCode::FOUND && *l == b => 'B',
            _ => {
                tally.error(format!("{id}: {status} {locations:?}"));
                continue;
            }
        };
        match version {
            'A' => tally.version_a.fetch_add(1, Ordering::Relaxed),
            _ => tally.version_b.fetch_add(1, Ordering::Relaxed),
        };
        if last.is_some_and(|v| v != version) {
            tally.flips.fetch_add(1, Ordering::Relaxed);
        }
        last = Some(version);
        tally.done.fetch_add(1, Ordering::Relaxed);
    }
    drop(sender);
    let _ = driver.await;
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_under_load_on_a_real_server() {
    let started = Instant::now();
    let (a, b) = (version_a(), version_b());
    let layer = UpstreamParamsLayer::new(a.clone());
    let handle = layer.handle();
    let service = tower::ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(broker));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let server = tokio::spawn(async move {
        let mut connections = Vec::new();
        // Exactly the clients' connections, then no more.
        for _ in 0..CONNECTIONS {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let service = TowerToHyperService::new(service.clone());
            connections.push(tokio::spawn(async move {
                hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
            }));
        }
        let mut failed = 0;
        for c in connections {
            if !matches!(c.await, Ok(Ok(()))) {
                failed += 1;
            }
        }
        failed
    });

    let tally = Arc::new(Tally::default());
    // The swapper: 1,000 stores spread over the run, driven by the clients' progress.
    let swapper = {
        let tally = tally.clone();
        tokio::spawn(async move {
            for i in 0..SWAPS {
                let at = (i + 1) * TOTAL / (SWAPS + 1);
                while tally.done.load(Ordering::Relaxed) < at
                    && tally.errors.lock().unwrap().is_empty()
                {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                handle.store(if i % 2 == 0 { b.clone() } else { a.clone() });
            }
            SWAPS
        })
    };

    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|c| tokio::spawn(client(addr, c, tally.clone())))
        .collect();
    let run = async {
        let mut received = 0;
        for c in clients {
            received += c.await.unwrap();
        }
        (received, swapper.await.unwrap(), server.await.unwrap())
    };
    let (received, swaps, failed_connections) = tokio::time::timeout(GUARD, run)
        .await
        .expect("the load test hung");

    let errors = tally.errors.lock().unwrap().clone();
    let (va, vb) = (
        tally.version_a.load(Ordering::Relaxed),
        tally.version_b.load(Ordering::Relaxed),
    );
    eprintln!(
        "load: {received} responses over {CONNECTIONS} connections, {swaps} swaps, \
         A {va} / B {vb}, {} version flips seen, {} errors, {:?}",
        tally.flips.load(Ordering::Relaxed),
        errors.len(),
        started.elapsed()
    );
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(received, TOTAL, "dropped requests");
    assert_eq!(tally.done.load(Ordering::Relaxed), TOTAL);
    assert_eq!(va + vb, TOTAL);
    assert_eq!(swaps, SWAPS);
    assert_eq!(failed_connections, 0);
    // Both versions served, and they alternated many times on the connections.
    assert!(va > 0 && vb > 0, "A {va} / B {vb}");
    assert!(tally.flips.load(Ordering::Relaxed) >= 100);
}
