//! Reference cases for the issue "Performance, restated": floors that say what its goals
//! leave room for, measured with the very loop that judges them (`common/judged.rs`).
//!
//! - `floors/200/capture`: a hand-written layer whose future holds only what the layer's must
//!   (the configuration's `Arc` and the request's query) and looks at the status;
//! - `floors/302/copy`: a `MapResponse` that copies the `Location`, appends the pre-encoded
//!   params and builds the new `HeaderValue` (no reading, no rules);
//! - `floors/302/copy_report`: the same, plus inserting an `UpstreamReport` of the four
//!   params into the response's extensions, as DESIGN.md requires of every such redirect.
//!
//! `floors CASE [ITERATIONS]` runs one under callgrind as `judged` does. See BENCHMARKS.md.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::LOCATION;
use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::util::MapResponseLayer;
use tower::{Layer, Service};
use tower_upstream_params::{AliasSources, Config, UpstreamReport};

mod common;
#[path = "common/judged.rs"]
mod judged_loop;

use common::{Answer, bare};
use judged_loop::{Case, TARGET, case, config_json, location};

/// What the floor appends: the four params, pre-encoded (the broker's `prompt` stays).
const SUFFIX: &str = "&prompt=select_account&access_type=offline&hd=acme.com\
    &login_hint=john%40acme.com";

/// The floor of any rewrite: copy the `Location`, append [`SUFFIX`], build the new
/// `HeaderValue`, put it in place of the old one; with `report`, also insert it.
fn floor_map(report: Option<UpstreamReport>) -> impl FnMut(Response<()>) -> Response<()> + Clone {
    move |mut response: Response<()>| {
        let Some(location) = response.headers().get(LOCATION) else {
            return response;
        };
        let location = location.as_bytes();
        let mut out = Vec::with_capacity(location.len() + SUFFIX.len());
        out.extend_from_slice(location);
        out.extend_from_slice(SUFFIX.as_bytes());
        if let Ok(value) = HeaderValue::try_from(out) {
            if let Some(slot) = response.headers_mut().get_mut(LOCATION) {
                *slot = value;
            }
        }
        if let Some(report) = &report {
            response.extensions_mut().insert(report.clone());
        }
        response
    }
}

/// The report the layer inserts for this redirect, made once by the engine.
fn judged_report(config: &Config, location: &str) -> UpstreamReport {
    let query = TARGET.split_once('?').map(|(_, q)| q);
    let rewrite = config.rewrite_location(location, None, &AliasSources::new().query(query));
    rewrite
        .report()
        .cloned()
        .expect("the judged redirect selects a connection")
}

/// A hand-written layer's service that keeps, for each request, what the layer's future
/// keeps at the least: the configuration and the request's query. Its future does nothing
/// with them.
#[derive(Clone)]
struct Capture<S> {
    inner: S,
    config: Arc<Config>,
}

pin_project! {
    struct CaptureFuture<F> {
        #[pin]
        inner: F,
        kept: Option<(Arc<Config>, Option<PathAndQuery>)>,
    }
}

impl<S, B> Service<Request<B>> for Capture<S>
where
    S: Service<Request<B>, Response = Response<()>>,
{
    type Response = Response<()>;
    type Error = S::Error;
    type Future = CaptureFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let query = req
            .uri()
            .path_and_query()
            .filter(|pq| pq.query().is_some())
            .cloned();
        CaptureFuture {
            inner: self.inner.call(req),
            kept: Some((Arc::clone(&self.config), query)),
        }
    }
}

impl<F, E> Future for CaptureFuture<F>
where
    F: Future<Output = Result<Response<()>, E>>,
{
    type Output = Result<Response<()>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx))?;
        if response.status().is_redirection() {
            black_box(this.kept.take());
        }
        Poll::Ready(Ok(response))
    }
}

fn cases(only: Option<&str>) -> Vec<(&'static str, Case)> {
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let config = || Config::from_json(&config_json(0)).unwrap();
    let location = location();
    let floor_len = Some(location.len() + SUFFIX.len());
    let mut cases: Vec<(&'static str, Case)> = Vec::new();
    let mut add = |name: &'static str, make: &dyn Fn() -> Case| {
        if wanted(name) {
            cases.push((name, make()));
        }
    };
    add("floors/200/capture", &|| {
        let capture = Capture {
            inner: bare(Answer::Ok),
            config: Arc::new(config()),
        };
        case(capture, StatusCode::OK, None)
    });
    add("floors/302/copy", &|| {
        let floor = MapResponseLayer::new(floor_map(None));
        case(
            floor.layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            floor_len,
        )
    });
    add("floors/302/copy_report", &|| {
        let report = judged_report(&config(), location);
        let floor = MapResponseLayer::new(floor_map(Some(report)));
        case(
            floor.layer(bare(Answer::Redirect(location))),
            StatusCode::FOUND,
            floor_len,
        )
    });
    cases
}

fn main() {
    judged_loop::main_with(cases, "floors/200/capture, floors/302/{copy,copy_report}");
}
