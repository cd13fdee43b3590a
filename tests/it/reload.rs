//! Hot reload through `ConfigHandle`, and dry runs.

use http::header::LOCATION;
use http::{Request, Response};
use tower::{Service, ServiceExt, service_fn};
use tower_layer::Layer;
use tower_upstream_params::UpstreamParamsLayer;

use crate::common::{Extras, one, respond};

const IDP: &str = "https://idp.example/authorize";

fn inner() -> impl Service<
    Request<()>,
    Response = Response<()>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    service_fn(|_req: Request<()>| async {
        Ok(Response::builder()
            .status(302)
            .header(LOCATION, IDP)
            .body(())
            .unwrap())
    })
}

async fn call<S>(service: &mut S) -> String
where
    S: Service<Request<()>, Response = Response<()>>,
    S::Error: std::fmt::Debug,
{
    let response = service
        .ready()
        .await
        .unwrap()
        .call(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_stored_config_is_seen_by_every_service_and_clone() {
    let layer = UpstreamParamsLayer::new(one("idp", IDP, r#"{"v": {"value": "1"}}"#));
    let clone = layer.clone();
    let mut a = layer.layer(inner());
    let mut b = clone.layer(inner());
    let mut c = a.clone();
    for s in [&mut a, &mut b, &mut c] {
        assert_eq!(call(s).await, format!("{IDP}?v=1"));
    }
    clone
        .handle()
        .store(one("idp", IDP, r#"{"v": {"value": "2"}}"#));
    for s in [&mut a, &mut b, &mut c] {
        assert_eq!(call(s).await, format!("{IDP}?v=2"));
    }
    assert_eq!(
        layer.handle().load().to_json(),
        one("idp", IDP, r#"{"v": {"value": "2"}}"#).to_json()
    );
}

#[tokio::test]
async fn the_config_is_read_when_the_response_is_ready() {
    // A request in flight when the config changes gets the new one: each response is
    // processed wholly under the configuration current when it completed.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(Some(rx)));
    let slow = service_fn(move |_req: Request<()>| {
        let rx = rx.clone();
        async move {
            if let Some(rx) = rx.lock().await.take() {
                let _ = rx.await;
            }
            Ok::<_, std::convert::Infallible>(
                Response::builder()
                    .status(302)
                    .header(LOCATION, IDP)
                    .body(())
                    .unwrap(),
            )
        }
    });
    let layer = UpstreamParamsLayer::new(one("idp", IDP, r#"{"v": {"value": "old"}}"#));
    let handle = layer.handle();
    let pending = tokio::spawn(
        layer
            .layer(slow)
            .oneshot(Request::get("/").body(()).unwrap()),
    );
    tokio::task::yield_now().await;
    handle.store(one("idp", IDP, r#"{"v": {"value": "new"}}"#));
    tx.send(()).unwrap();
    let response = pending.await.unwrap().unwrap();
    assert_eq!(response.headers()[LOCATION], format!("{IDP}?v=new"));
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let layer = UpstreamParamsLayer::new(one(
        "idp",
        IDP,
        r#"{"v": {"value": "1"}, "x": {"alias": "login_hint"}}"#,
    ))
    .dry_run(true);
    let response = respond(
        layer.clone(),
        "/?login_hint=a@b",
        IDP,
        Extras::default(),
        None,
    )
    .await;
    assert_eq!(response.headers()[LOCATION], IDP);
    // Turning it off again on a clone rewrites.
    let response = respond(
        layer.dry_run(false),
        "/?login_hint=a@b",
        IDP,
        Extras::default(),
        None,
    )
    .await;
    assert_eq!(response.headers()[LOCATION], format!("{IDP}?v=1&x=a%40b"));
}
