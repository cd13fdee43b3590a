//! Heap allocations of the layer, counted exactly by a counting global allocator.
//!
//! This is its own test binary because it installs a global allocator. Everything runs in
//! one `#[test]` so that no other test thread allocates while a region is being counted.
//! Nothing here is timed: the counts are exact and the same on every machine.
//!
//! The request URI is built as hyper builds it, from a slice of its shared read buffer, so
//! that the layer's clone of the query is a reference-count increment. The inner service's own
//! allocations (its response's header map) are counted by running the bare service the same
//! way, and subtracted.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use tower::{Layer, Service, service_fn};
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A Google authorize redirect as a broker sends it (about 420 bytes).
const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth\
    ?client_id=1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com\
    &redirect_uri=https%3A%2F%2Fbroker.example.com%2Flogin%2Fcallback\
    &response_type=code&scope=openid%20email%20profile\
    &state=af0ifjsldkjAbCdEfGhIjKlMnOpQrStUvWx_yz0123456789\
    &nonce=n-0S6_WzA2Mj4fVd3s8Q&prompt=consent\
    &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

const CONFIG: &str = r#"{
  "connections": {
    "google": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
      "upstream_params": {
        "hd": { "value": "acme.com" },
        "access_type": { "value": "offline" }
      }
    },
    "google-alias": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "alias.apps.googleusercontent.com",
      "upstream_params": {
        "login_hint": { "alias": "login_hint" },
        "hd": { "alias": "org_domain", "source": "broker" },
        "access_type": { "value": "offline" }
      }
    },
    "google-replace": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "replace.apps.googleusercontent.com",
      "upstream_params": {
        "prompt": { "value": "select_account" },
        "hd": { "value": "acme.com" },
        "include_granted_scopes": { "value": "true" }
      }
    },
    "google-merge": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "merge.apps.googleusercontent.com",
      "upstream_params": {
        "prompt": { "value": "select_account", "mode": "merge" },
        "scope": { "value": "https://www.googleapis.com/auth/calendar", "mode": "merge" }
      }
    },
    "google-realm": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "realm.apps.googleusercontent.com",
      "upstream_params": {
        "login_hint": { "alias": "login_hint" },
        "hd": { "alias": "login_hint", "transform": "email_domain" },
        "whr": { "alias": "org_domain", "source": "broker", "transform": "lowercase" }
      }
    },
    "google-keep": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "keep.apps.googleusercontent.com",
      "upstream_params": { "prompt": { "value": "login", "mode": "keep" } }
    }
  }
}"#;

/// The request line's target as hyper hands it over: a slice of the shared read buffer.
fn hyper_uri(target: &str) -> Uri {
    let mut buf = BytesMut::with_capacity(4096);
    buf.extend_from_slice(b"GET ");
    buf.extend_from_slice(target.as_bytes());
    buf.extend_from_slice(b" HTTP/1.1\r\nhost: broker.example.com\r\n\r\n");
    let head: Bytes = buf.split_to(buf.len()).freeze();
    let uri = head.slice(4..4 + target.len());
    drop(head);
    match Uri::from_maybe_shared(uri) {
        Ok(uri) => uri,
        Err(e) => panic!("{target}: {e}"),
    }
}

fn request(target: &str, values: Option<&UpstreamValues>) -> Request<()> {
    let mut request = Request::new(());
    *request.uri_mut() = hyper_uri(target);
    if let Some(values) = values {
        request.extensions_mut().insert(values.clone());
    }
    request
}

/// `poll_ready`, `call`, one poll: the inner services here answer at once.
fn call<S>(service: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let future = pin!(service.call(request));
    match future.poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => panic!("the inner service answers at once"),
    }
}

/// Allocations (and reallocations) made by `f`, and its result.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let region = Region::new(GLOBAL);
    let result = f();
    let change = region.change();
    (change.allocations + change.reallocations, result)
}

/// A response the inner service builds anew on every call.
#[derive(Clone)]
enum Answer {
    Ok,
    Redirect(&'static str, Option<UpstreamValues>),
}

impl Answer {
    fn build(&self) -> Response<()> {
        match self {
            Answer::Ok => {
                let mut response = Response::new(());
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                response
            }
            Answer::Redirect(location, values) => {
                let mut response = Response::new(());
                *response.status_mut() = StatusCode::FOUND;
                response
                    .headers_mut()
                    .insert(LOCATION, HeaderValue::from_static(location));
                if let Some(values) = values {
                    response.extensions_mut().insert(values.clone());
                }
                response
            }
        }
    }
}

struct Case {
    name: &'static str,
    target: &'static str,
    request_values: Option<UpstreamValues>,
    answer: Answer,
    /// The `Location` expected out of the layer.
    expected: String,
}

/// (allocations of the bare service, of the same service in the layer) for one call, after
/// a first call that warms thread-local state (tracing's callsite registration, arc-swap's
/// per-thread slot).
fn measure(layer: &UpstreamParamsLayer, case: &Case) -> (usize, usize) {
    let answer = case.answer.clone();
    let mut bare = service_fn(move |_request: Request<()>| {
        std::future::ready(Ok::<_, Infallible>(answer.build()))
    });
    let mut layered = layer.layer(bare.clone());
    let mut runs = [0usize; 2];
    for round in 0..2 {
        let req = request(case.target, case.request_values.as_ref());
        let (bare_allocs, response) = count(|| call(&mut bare, req));
        drop(response);
        let req = request(case.target, case.request_values.as_ref());
        let (layered_allocs, response) = count(|| call(&mut layered, req));
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap());
        match &case.answer {
            Answer::Ok => assert_eq!(location, None, "{}", case.name),
            Answer::Redirect(..) => {
                assert_eq!(location, Some(case.expected.as_str()), "{}", case.name);
            }
        }
        drop(response);
        if round == 1 {
            runs = [bare_allocs, layered_allocs];
        }
    }
    (runs[0], runs[1])
}

fn google_with(client_id: &str, tail: &str) -> String {
    let location = GOOGLE.replace(
        "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
        client_id,
    );
    format!("{location}{tail}")
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn cases() -> (Vec<Case>, Vec<Case>) {
    let query = "/authorize?client_id=broker&login_hint=john.doe%40acme.com&state=xyz";
    let alias = leak(google_with("alias.apps.googleusercontent.com", ""));
    let replace = leak(google_with("replace.apps.googleusercontent.com", ""));
    let merge = leak(google_with("merge.apps.googleusercontent.com", ""));
    let keep = leak(google_with("keep.apps.googleusercontent.com", ""));
    let realm = leak(google_with("realm.apps.googleusercontent.com", ""));
    let unconfigured =
        "https://login.example.org/authorize?client_id=abc&state=xyz&redirect_uri=https%3A%2F%2Fb";
    let pass_through = vec![
        Case {
            name: "200",
            target: query,
            request_values: None,
            answer: Answer::Ok,
            expected: String::new(),
        },
        Case {
            name: "200 with request UpstreamValues",
            target: query,
            request_values: Some(UpstreamValues::new().with("org_domain", "acme.com")),
            answer: Answer::Ok,
            expected: String::new(),
        },
        Case {
            name: "302 to an unconfigured host",
            target: query,
            request_values: None,
            answer: Answer::Redirect(unconfigured, None),
            expected: unconfigured.to_owned(),
        },
    ];
    let rewrites = vec![
        Case {
            name: "302 to a configured endpoint, nothing to change (keep)",
            target: query,
            request_values: None,
            answer: Answer::Redirect(keep, None),
            expected: keep.to_owned(),
        },
        Case {
            name: "302 rewrite: 2 static params appended",
            target: query,
            request_values: None,
            answer: Answer::Redirect(GOOGLE, None),
            expected: format!("{GOOGLE}&hd=acme.com&access_type=offline"),
        },
        Case {
            name: "302 rewrite: percent-encoded alias from the query, broker value, static",
            target: query,
            request_values: None,
            answer: Answer::Redirect(
                alias,
                Some(UpstreamValues::new().with("org_domain", "acme.com")),
            ),
            expected: format!(
                "{alias}&login_hint=john.doe%40acme.com&hd=acme.com&access_type=offline"
            ),
        },
        Case {
            // The derived values are lowercased in the decode space: no allocation of their
            // own (issue 19).
            name: "302 rewrite: transforms of a query alias and a broker value",
            target: "/authorize?client_id=broker&login_hint=John.Doe%40Acme.COM&state=xyz",
            request_values: None,
            answer: Answer::Redirect(
                realm,
                Some(UpstreamValues::new().with("org_domain", "ACME.com")),
            ),
            expected: format!("{realm}&login_hint=John.Doe%40Acme.COM&hd=acme.com&whr=acme.com"),
        },
        Case {
            name: "302 rewrite: replace prompt, 2 appended",
            target: query,
            request_values: None,
            answer: Answer::Redirect(replace, None),
            expected: format!(
                "{}&hd=acme.com&include_granted_scopes=true",
                replace.replace("prompt=consent", "prompt=select_account")
            ),
        },
        Case {
            name: "302 rewrite: merge prompt and scope",
            target: query,
            request_values: None,
            answer: Answer::Redirect(merge, None),
            expected: merge
                .replace("prompt=consent", "prompt=consent+select_account")
                .replace(
                    "scope=openid%20email%20profile",
                    "scope=openid+email+profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar",
                ),
        },
    ];
    (pass_through, rewrites)
}

/// Most allocations allowed for a redirect that selects a connection: the output buffer
/// (`HeaderValue::try_from(String)` takes it over without copying), the report's list of
/// params, and what `http::Extensions::insert` takes for the report on a response that had
/// no extension (its map, the map's table, the boxed value). DESIGN.md asks for the report
/// on every such redirect; the output buffer stays the rewrite's one allocation.
const REWRITE_BUDGET: usize = 5;

/// Bytes a typical connection (3 params, no `pattern`) keeps in memory at most, malloc's
/// overhead included: issue 3's target. The configuration keeps its JSON form as one compact
/// text, its names and values in one string, and its index in flat vectors and three tables,
/// so the number of blocks does not grow with the connections.
const CONNECTION_BUDGET: usize = 1024;

/// Bytes `malloc` keeps beside each block (glibc: an 8-byte header, 16-byte granules).
const MALLOC_OVERHEAD: usize = 16;

/// A configuration of `n` typical connections: distinct hosts, 3 params, no `pattern`.
fn typical_config(n: usize) -> String {
    let mut json = String::from(r#"{"connections": {"#);
    for i in 0..n {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#""tenant-{i}": {{
  "authorization_url": "https://idp{i}.example.com/oauth2/v2.0/authorize",
  "client_id": "{i:08}-client.apps.example.com",
  "upstream_params": {{
    "prompt": {{"value": "select_account", "mode": "merge"}},
    "login_hint": {{"alias": "login_hint"}},
    "domain_hint": {{"value": "tenant{i}.example.com"}}
  }}
}}"#
        ));
    }
    json.push_str("}}");
    json
}

/// (live bytes requested, live blocks) that a loaded configuration of `n` connections holds.
fn config_memory(n: usize) -> (usize, usize) {
    let json = typical_config(n);
    let region = Region::new(GLOBAL);
    let config = Config::from_json(&json).unwrap();
    let change = region.change();
    // `stats_alloc` already counts a realloc's growth in `bytes_allocated` and its shrinking
    // in `bytes_deallocated` (`bytes_reallocated` is the same amount again).
    let bytes = change.bytes_allocated as isize - change.bytes_deallocated as isize;
    let blocks = change.allocations - change.deallocations;
    drop(config);
    (bytes as usize, blocks)
}

#[test]
fn allocations() {
    let layer = UpstreamParamsLayer::new(Config::from_json(CONFIG).unwrap());
    let (pass_through, rewrites) = cases();

    // Pass-through: not one allocation beyond the inner service's own.
    for case in &pass_through {
        let (bare, layered) = measure(&layer, case);
        println!("{:<60} bare {bare}, layered {layered}", case.name);
        assert_eq!(layered, bare, "{}: the layer allocated", case.name);
    }

    // Redirects that select a connection: the output buffer and the report.
    for case in &rewrites {
        let (bare, layered) = measure(&layer, case);
        let extra = layered - bare;
        println!(
            "{:<60} bare {bare}, layered {layered} (+{extra})",
            case.name
        );
        // With the feature `metrics`, each redirect's counters build their keys (labels are
        // names from the configuration): a few more allocations per redirect and per param,
        // the recorder's business. The budget is the layer's own, checked without the
        // feature (.ci/run runs this test without features too).
        assert!(
            extra <= REWRITE_BUDGET || cfg!(feature = "metrics"),
            "{}: {extra} allocations for a rewrite",
            case.name
        );
    }

    // Config memory: per connection, within budget, linear in the number of connections.
    let mut per_connection = Vec::new();
    for n in [1_000, 10_000] {
        let (bytes, blocks) = config_memory(n);
        let with_overhead = (bytes + blocks * MALLOC_OVERHEAD) / n;
        println!(
            "config of {n} connections: {} bytes requested, {} blocks, {} B/connection \
             ({with_overhead} B with malloc's overhead)",
            bytes,
            blocks,
            bytes / n
        );
        assert!(
            with_overhead <= CONNECTION_BUDGET,
            "{n} connections: {with_overhead} bytes per connection"
        );
        per_connection.push(with_overhead);
    }
    // Hash tables double as they grow: allow that much, not more.
    let (small, large) = (per_connection[0] as f64, per_connection[1] as f64);
    assert!(
        large / small < 1.25 && small / large < 1.25,
        "memory per connection not linear: {per_connection:?}"
    );
}
