//! `poll_ready` is forwarded, and errors are passed through, checked with `tower-test`.

use std::task::Poll;

use http::{Request, Response};
use tower_test::mock;
use tower_upstream_params::UpstreamParamsLayer;

use crate::common::one;

#[tokio::test]
async fn readiness_follows_the_inner_service() {
    let layer = UpstreamParamsLayer::new(one(
        "c",
        "https://idp.example/a",
        r#"{"x": {"value": "1"}}"#,
    ));
    let (mut service, mut handle) =
        mock::spawn_layer::<Request<&'static str>, Response<&'static str>, _>(layer);

    handle.allow(0);
    assert!(service.poll_ready().is_pending());

    handle.allow(1);
    assert!(matches!(service.poll_ready(), Poll::Ready(Ok(()))));
    let response = service.call(Request::get("/authorize").body("req").unwrap());
    let request = handle.next_request().await.unwrap();
    let (req, send) = request;
    assert_eq!(req.uri(), "/authorize");
    assert_eq!(*req.body(), "req");
    send.send_response(
        Response::builder()
            .status(302)
            .header("location", "https://idp.example/a")
            .body("resp")
            .unwrap(),
    );
    let response = response.await.unwrap();
    assert_eq!(response.headers()["location"], "https://idp.example/a?x=1");
    assert_eq!(*response.body(), "resp");

    // An error from poll_ready comes out unchanged.
    handle.send_error("not ready");
    match service.poll_ready() {
        Poll::Ready(Err(e)) => assert_eq!(e.to_string(), "not ready"),
        other => panic!(
            "expected the inner error, got {:?}",
            other.map(|r| r.is_ok())
        ),
    }
}
