//! Two replicas of a broker on loopback, each with its own layer and its own `watch_file` on
//! one shared configuration file, as a fleet behind a load balancer runs with one ConfigMap.
//!
//! An operator edits the file (by rename, in place, with mistakes, by a ConfigMap's symlink
//! swap) while clients keep sending requests to both: every request must succeed, every
//! `Location` must be exactly what one valid version of the file makes of it, and both
//! replicas must converge to the same fingerprint and the same rewrite. Waiting is polling
//! with a deadline, never a sleep that decides the outcome.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::IntoResponse;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_upstream_params::{Config, ConfigHandle, FileWatch, UpstreamParamsLayer};

use crate::ops::TempDir;

const IDP: &str = "https://idp.example/oauth2/authorize";
const INTERVAL: Duration = Duration::from_millis(50);

/// Version `v` of the configuration file: its params say which version they are.
fn version(v: u32) -> String {
    let extra = match v % 3 {
        0 => r#", "lh": {"alias": "login_hint"}"#,
        1 => r#", "extra": {"value": "x y"}"#,
        _ => r#", "prompt": {"value": "login", "mode": "merge"}"#,
    };
    format!(
        r#"{{
  "connections": {{
    "idp": {{
      "authorization_url": "{IDP}",
      "upstream_params": {{"ver": {{"value": "{v}"}}{extra}}}
    }}
  }}
}}
"#
    )
}

fn fingerprint(v: u32) -> String {
    Config::from_json(&version(v)).unwrap().fingerprint()
}

/// What the broker redirects request `id` to.
fn broker_location(id: &str) -> String {
    format!("{IDP}?client_id=app&state={id}&prompt=consent")
}

/// What version `v` makes of it, for a request with `login_hint=jo%40x.org`.
fn expected(v: u32, id: &str) -> String {
    let base = format!("{IDP}?client_id=app&state={id}");
    match v % 3 {
        0 => format!("{base}&prompt=consent&ver={v}&lh=jo%40x.org"),
        1 => format!("{base}&prompt=consent&ver={v}&extra=x+y"),
        _ => format!("{base}&prompt=consent+login&ver={v}"),
    }
}

/// One replica: a broker on its own loopback port, its own layer and handle, and its own
/// watch of the shared file.
struct Replica {
    addr: SocketAddr,
    handle: ConfigHandle,
    watch: Option<FileWatch>,
    server: tokio::task::JoinHandle<()>,
}

impl Replica {
    async fn start(file: &Path) -> Replica {
        // Starts with no configuration: what it serves comes from the file.
        let layer = UpstreamParamsLayer::new(Config::default());
        let handle = layer.handle();
        let watch = handle.watch_file(file, INTERVAL);
        let app = Router::new()
            .route(
                "/authorize",
                get(|RawQuery(query): RawQuery| async move {
                    let id = query
                        .as_deref()
                        .unwrap_or("")
                        .split('&')
                        .find_map(|p| p.strip_prefix("id="))
                        .unwrap_or("none")
                        .to_owned();
                    (StatusCode::FOUND, [(LOCATION, broker_location(&id))]).into_response()
                }),
            )
            .layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Replica {
            addr,
            handle,
            watch: Some(watch),
            server,
        }
    }

    fn fingerprint(&self) -> String {
        self.handle.load().fingerprint()
    }

    fn watch(&self) -> &FileWatch {
        self.watch.as_ref().unwrap()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        // Only what this test started: its own server task (the watch stops on drop).
        self.server.abort();
    }
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `GET /authorize` on `replica`: the status and `Location` it answered.
async fn get_location(client: &HttpClient, addr: SocketAddr, id: &str) -> Result<String, String> {
    let uri = format!("http://{addr}/authorize?id={id}&login_hint=jo%40x.org");
    let response = client
        .get(uri.parse().unwrap())
        .await
        .map_err(|e| format!("{id}: {e}"))?;
    let status = response.status();
    let locations: Vec<_> = response
        .headers()
        .get_all(LOCATION)
        .iter()
        .cloned()
        .collect();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{id}: body: {e}"))?;
    match &locations[..] {
        [l] if status == StatusCode::FOUND => l
            .to_str()
            .map(str::to_owned)
            .map_err(|_| format!("{id}: not ASCII")),
        _ => Err(format!("{id}: {status} {locations:?}")),
    }
}

/// Which version made `location`, if any.
fn version_of(location: &str, id: &str, versions: &[u32]) -> Option<u32> {
    versions
        .iter()
        .copied()
        .find(|&v| location == expected(v, id))
}

/// Polls `done` (async) until it holds, for at most 10 s.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until both replicas hold version `v` and answer with it.
async fn converge(replicas: &[&Replica], client: &HttpClient, v: u32) {
    let want = fingerprint(v);
    for (i, replica) in replicas.iter().enumerate() {
        eventually(&format!("replica {i} to load version {v}"), || {
            let loaded = replica.fingerprint() == want;
            async move { loaded }
        })
        .await;
        // The handle holds it, so the next response is made with it.
        let id = format!("check-{v}-{i}");
        assert_eq!(
            get_location(client, replica.addr, &id).await,
            Ok(expected(v, &id)),
            "replica {i}"
        );
    }
}

/// Four clients, each sending requests to both replicas in turn until told to stop.
struct Load {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(usize, Vec<String>)>,
}

impl Load {
    /// `versions`: every version the file may hold while it runs, valid or not (a response
    /// made by any other is an error).
    fn start(addrs: Vec<SocketAddr>, versions: Vec<u32>) -> Load {
        const CLIENTS: usize = 4;
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (stop, addrs, versions) = (stop.clone(), addrs.clone(), versions.clone());
                tokio::spawn(async move {
                    let client = client();
                    let mut errors = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) || n < 5 {
                        let addr = addrs[(n + c) % addrs.len()];
                        let id = format!("load-{c}-{n}");
                        match get_location(&client, addr, &id).await {
                            Ok(location) if version_of(&location, &id, &versions).is_some() => {}
                            Ok(location) => errors.push(format!("{id} from {addr}: {location}")),
                            Err(e) => errors.push(e),
                        }
                        n += 1;
                    }
                    (n, errors)
                })
            })
            .collect();
        let task = tokio::spawn(async move {
            let mut all = (0, Vec::new());
            for task in tasks {
                let (n, errors) = task.await.unwrap();
                all.0 += n;
                all.1.extend(errors);
            }
            all
        });
        Load { stop, task }
    }

    async fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_follow_one_file_and_keep_serving_through_bad_edits() {
    let dir = TempDir::new("replicas");
    let file = dir.path().join("config.json");
    dir.replace("config.json", &version(1));
    let (a, mut b) = (Replica::start(&file).await, Replica::start(&file).await);
    let client = client();
    // Each read the file before watch_file returned.
    assert_eq!(a.fingerprint(), fingerprint(1));
    assert_eq!(b.fingerprint(), fingerprint(1));
    converge(&[&a, &b], &client, 1).await;

    let load = Load::start(vec![a.addr, b.addr], vec![1, 2, 3]);

    // 1. An edit by rename: both replicas reload.
    dir.replace("config.json", &version(2));
    converge(&[&a, &b], &client, 2).await;
    assert_eq!(a.watch().fingerprint(), Some(fingerprint(2)));
    assert_eq!(a.fingerprint(), b.fingerprint());

    // 2. A broken edit: the JSON is cut short. Both reject it and keep serving version 2.
    let three = version(3);
    dir.replace("config.json", &three[..three.len() / 2]);
    for (i, replica) in [&a, &b].into_iter().enumerate() {
        eventually(&format!("replica {i} to reject the cut file"), || {
            let rejected = replica.watch().error().is_some_and(|e| e.path().is_empty());
            async move { rejected }
        })
        .await;
        assert_eq!(replica.fingerprint(), fingerprint(2), "replica {i}");
    }
    converge(&[&a, &b], &client, 2).await;

    // 3. Valid JSON, invalid configuration (a reserved target): rejected, version 2 stays.
    dir.replace(
        "config.json",
        &version(3).replace(r#""ver""#, r#""redirect_uri""#),
    );
    for (i, replica) in [&a, &b].into_iter().enumerate() {
        eventually(&format!("replica {i} to reject the invalid config"), || {
            let rejected = replica
                .watch()
                .error()
                .is_some_and(|e| e.path() == "connections.idp.upstream_params.redirect_uri");
            async move { rejected }
        })
        .await;
        assert_eq!(replica.fingerprint(), fingerprint(2), "replica {i}");
    }
    converge(&[&a, &b], &client, 2).await;

    // 4. A plain write in place (not atomic: a read may see it half-written, which is
    //    rejected, and the next read loads it).
    std::fs::write(&file, version(3)).unwrap();
    converge(&[&a, &b], &client, 3).await;
    assert!(a.watch().error().is_none() && b.watch().error().is_none());
    assert_eq!(a.fingerprint(), b.fingerprint());

    let (sent, errors) = load.finish().await;
    eprintln!(
        "replicas: {sent} requests during the edits, {} failed",
        errors.len()
    );
    assert_eq!(errors, Vec::<String>::new(), "{sent} requests");
    assert!(sent >= 20);

    // 5. Replica b stops watching: the next edit reaches a only.
    drop(b.watch.take());
    dir.replace("config.json", &version(4));
    converge(&[&a], &client, 4).await;
    assert_eq!(b.fingerprint(), fingerprint(3));
    let id = "after-drop";
    assert_eq!(get_location(&client, b.addr, id).await, Ok(expected(3, id)));
}

/// A Kubernetes ConfigMap volume: the file is `config.json -> ..data/config.json`, and an
/// update writes a new timestamped directory, points `..data_tmp` at it, and renames
/// `..data_tmp` over `..data` (an atomic symlink swap).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_see_a_configmap_symlink_swap() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new("configmap");
    let root = dir.path();
    std::fs::create_dir(root.join("..2026_v1")).unwrap();
    std::fs::write(root.join("..2026_v1/config.json"), version(1)).unwrap();
    symlink("..2026_v1", root.join("..data")).unwrap();
    symlink("..data/config.json", root.join("config.json")).unwrap();

    let file = root.join("config.json");
    let (a, b) = (Replica::start(&file).await, Replica::start(&file).await);
    let client = client();
    converge(&[&a, &b], &client, 1).await;
    let load = Load::start(vec![a.addr, b.addr], vec![1, 2, 3]);

    let swap = |from: &str, to: &str, v: u32| {
        std::fs::create_dir(root.join(to)).unwrap();
        std::fs::write(root.join(to).join("config.json"), version(v)).unwrap();
        symlink(to, root.join("..data_tmp")).unwrap();
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
        // The kubelet then removes the old directory.
        std::fs::remove_dir_all(root.join(from)).unwrap();
    };
    swap("..2026_v1", "..2026_v2", 2);
    converge(&[&a, &b], &client, 2).await;
    swap("..2026_v2", "..2026_v3", 3);
    converge(&[&a, &b], &client, 3).await;
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert!(a.watch().error().is_none() && b.watch().error().is_none());

    let (sent, errors) = load.finish().await;
    eprintln!(
        "configmap: {sent} requests during the swaps, {} failed",
        errors.len()
    );
    assert_eq!(errors, Vec::<String>::new(), "{sent} requests");
}
