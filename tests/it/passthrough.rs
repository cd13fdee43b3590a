//! Responses the layer must not touch come out exactly as the inner service made them.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use tower::{ServiceExt, service_fn};
use tower_upstream_params::UpstreamParamsLayer;

use crate::common::one;

const IDP: &str = "https://idp.example/authorize";

fn layer() -> UpstreamParamsLayer {
    UpstreamParamsLayer::new(one(
        "idp",
        IDP,
        r#"{"x": {"value": "1"}, "lh": {"alias": "login_hint"}}"#,
    ))
}

/// Runs a response built by `make` through the layer and returns (before, after).
async fn through(
    make: impl Fn() -> Response<String> + Clone + Send + 'static,
) -> (Response<String>, Response<String>) {
    let before = make();
    let inner = service_fn(move |_req: Request<String>| {
        let make = make.clone();
        async move { Ok::<_, Infallible>(make()) }
    });
    let after = tower::ServiceBuilder::new()
        .layer(layer())
        .service(inner)
        .oneshot(
            Request::get("/a?login_hint=a@b.c")
                .body(String::new())
                .unwrap(),
        )
        .await
        .unwrap();
    (before, after)
}

fn assert_same(before: &Response<String>, after: &Response<String>) {
    assert_eq!(before.status(), after.status());
    assert_eq!(before.version(), after.version());
    assert_eq!(before.headers(), after.headers());
    assert_eq!(before.body(), after.body());
}

fn redirect(status: u16, location: &'static [u8]) -> impl Fn() -> Response<String> + Clone {
    move || {
        Response::builder()
            .status(status)
            .header(LOCATION, HeaderValue::from_bytes(location).unwrap())
            .header(SET_COOKIE, "sid=1; HttpOnly")
            .body(String::from("body"))
            .unwrap()
    }
}

#[tokio::test]
async fn only_redirect_statuses_are_rewritten() {
    for status in [200, 201, 204, 300, 304, 305, 400, 404, 500] {
        let (before, after) = through(redirect(status, IDP.as_bytes())).await;
        assert_same(&before, &after);
    }
    for status in [301, 302, 303, 307, 308] {
        let (_, after) = through(redirect(status, IDP.as_bytes())).await;
        assert_eq!(
            after.headers()[LOCATION],
            format!("{IDP}?x=1&lh=a%40b.c"),
            "{status}"
        );
        assert_eq!(after.headers()[SET_COOKIE], "sid=1; HttpOnly");
        assert_eq!(after.body(), "body");
    }
}

#[tokio::test]
async fn other_locations_pass_through_untouched() {
    let cases: &[&[u8]] = &[
        b"https://idp.example.evil.com/authorize",
        b"https://evil.com/idp.example/authorize",
        b"https://idp.example/authorize/more",
        b"https://idp.example:8443/authorize",
        b"http://idp.example/authorize",
        b"https://idp.example@evil.example/authorize",
        b"/authorize?x=1",
        b"//idp.example/authorize",
        b"authorize",
        b"",
        b"https://",
        b"https://idp.example:99999/authorize",
        b"https://[::1/authorize",
        b"https://idp.example/authorize?request_uri=urn%3Ax",
        b"https://idp.\xc3\xa9xample/authorize",
        b"https://idp.example/authorize?x=\xff",
        b"myapp://callback?code=1",
    ];
    for location in cases {
        let (before, after) = through(redirect(302, location)).await;
        assert_same(&before, &after);
    }
}

#[tokio::test]
async fn two_location_headers_pass_through() {
    let make = || {
        let mut response = Response::builder()
            .status(302)
            .header(LOCATION, IDP)
            .body(String::new())
            .unwrap();
        response
            .headers_mut()
            .append(LOCATION, HeaderValue::from_static(IDP));
        response
    };
    let (before, after) = through(make).await;
    assert_same(&before, &after);
    assert_eq!(after.headers().get_all(LOCATION).iter().count(), 2);
}

#[tokio::test]
async fn a_redirect_without_location_passes_through() {
    let make = || Response::builder().status(302).body(String::new()).unwrap();
    let (before, after) = through(make).await;
    assert_same(&before, &after);
}

#[tokio::test]
async fn streaming_bodies_are_not_buffered() {
    // A body of three frames: it comes out as the same three frames, in order.
    let inner = service_fn(|_req: Request<String>| async {
        let chunks = ["one", "two", "three"]
            .into_iter()
            .map(|c| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(c.as_bytes()))));
        let body = StreamBody::new(futures_util::stream::iter(chunks));
        Ok::<_, Infallible>(
            Response::builder()
                .status(302)
                .header(LOCATION, IDP)
                .body(body)
                .unwrap(),
        )
    });
    let response = tower::ServiceBuilder::new()
        .layer(layer())
        .service(inner)
        .oneshot(Request::get("/a").body(String::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[LOCATION], format!("{IDP}?x=1"));
    let mut body = response.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        frames.push(frame.unwrap().into_data().unwrap());
    }
    assert_eq!(frames, ["one", "two", "three"]);
}

#[tokio::test]
async fn inner_errors_pass_through_unchanged() {
    #[derive(Debug, PartialEq)]
    struct Boom(u32);
    let inner = service_fn(|_req: Request<String>| async { Err::<Response<String>, _>(Boom(7)) });
    let result = tower::ServiceBuilder::new()
        .layer(layer())
        .service(inner)
        .oneshot(Request::get("/a").body(String::new()).unwrap())
        .await;
    assert_eq!(result.unwrap_err(), Boom(7));
}
