//! Helpers shared by the tests.

#![allow(dead_code)]

use http::header::LOCATION;
use http::{Request, Response, StatusCode};
use tower::{ServiceExt, service_fn};
use tower_upstream_params::{
    AliasSources, Config, UpstreamConnection, UpstreamParamsLayer, UpstreamReport, UpstreamValues,
};

pub(crate) fn config(json: &str) -> Config {
    match Config::from_json(json) {
        Ok(config) => config,
        Err(e) => panic!("test config does not load: {e}\n{json}"),
    }
}

/// A config with one connection `name` on `url` with `params` (a JSON object's text).
pub(crate) fn one(name: &str, url: &str, params: &str) -> Config {
    config(&format!(
        r#"{{"connections": {{"{name}": {{"authorization_url": "{url}", "upstream_params": {params}}}}}}}"#
    ))
}

/// What the inner service adds to its redirect response.
#[derive(Clone, Default)]
pub(crate) struct Extras {
    pub(crate) status: Option<StatusCode>,
    pub(crate) values: Option<UpstreamValues>,
    pub(crate) connection: Option<&'static str>,
}

impl Extras {
    /// A redirect carrying these broker-provided values.
    pub(crate) fn values(values: UpstreamValues) -> Self {
        Extras {
            values: Some(values),
            ..Extras::default()
        }
    }

    /// A redirect naming its connection with `UpstreamConnection`.
    pub(crate) fn named(name: &'static str) -> Self {
        Extras {
            connection: Some(name),
            ..Extras::default()
        }
    }
}

/// Sends `GET uri` through the layer to a service answering `302 Location: location`, and
/// returns the final `Location`.
pub(crate) async fn location(config: Config, uri: &str, location: &str) -> String {
    location_with(config, uri, location, Extras::default(), None).await
}

pub(crate) async fn location_with(
    config: Config,
    uri: &str,
    location: &str,
    extras: Extras,
    request_values: Option<UpstreamValues>,
) -> String {
    let response = respond(
        UpstreamParamsLayer::new(config),
        uri,
        location,
        extras,
        request_values,
    )
    .await;
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

pub(crate) async fn respond(
    layer: UpstreamParamsLayer,
    uri: &str,
    location: &str,
    extras: Extras,
    request_values: Option<UpstreamValues>,
) -> Response<String> {
    let config = layer.handle().load();
    let original = location.to_owned();
    let (engine_extras, engine_values) = (extras.clone(), request_values.clone());
    let location = location.to_owned();
    let inner = service_fn(move |_req: Request<String>| {
        let location = location.clone();
        let extras = extras.clone();
        async move {
            let mut response = Response::builder()
                .status(extras.status.unwrap_or(StatusCode::FOUND))
                .header(LOCATION, location)
                .body(String::from("redirecting"))
                .unwrap();
            if let Some(values) = extras.values {
                response.extensions_mut().insert(values);
            }
            if let Some(name) = extras.connection {
                response
                    .extensions_mut()
                    .insert(UpstreamConnection::new(name));
            }
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let service = tower::ServiceBuilder::new().layer(layer).service(inner);
    let mut request = Request::get(uri).body(String::new()).unwrap();
    if let Some(values) = request_values {
        request.extensions_mut().insert(values);
    }
    let response = service.oneshot(request).await.unwrap();
    agrees_with_the_engine(
        &config,
        uri,
        &original,
        &engine_extras,
        engine_values.as_ref(),
        &response,
    );
    response
}

/// [`respond`], and what a test of one rewrite reads of its answer: the final `Location`
/// and the report the layer inserted (which it must have: the redirect selects a
/// connection).
pub(crate) async fn location_and_report(
    config: Config,
    uri: &str,
    location: &str,
    extras: Extras,
    request_values: Option<UpstreamValues>,
) -> (String, UpstreamReport) {
    let response = respond(
        UpstreamParamsLayer::new(config),
        uri,
        location,
        extras,
        request_values,
    )
    .await;
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let report = response
        .extensions()
        .get::<UpstreamReport>()
        .expect("the layer's report")
        .clone();
    (location, report)
}

/// Every rewrite the tests drive through the layer is also driven through the engine's
/// public API, [`Config::rewrite_location`], with the same sources: the new `Location` and
/// the report must be the same (one rule set). A layer in dry run reports `dry_run` and
/// changes nothing; the engine is asked without one.
fn agrees_with_the_engine(
    config: &Config,
    uri: &str,
    original: &str,
    extras: &Extras,
    request_values: Option<&UpstreamValues>,
    response: &Response<String>,
) {
    let status = extras.status.unwrap_or(StatusCode::FOUND);
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        assert!(response.extensions().get::<UpstreamReport>().is_none());
        return;
    }
    let query = uri
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(q));
    let mut sources = AliasSources::new().query(query);
    if let Some(values) = &extras.values {
        sources = sources.values(values);
    }
    if let Some(values) = request_values {
        sources = sources.values(values);
    }
    let rewrite = config.rewrite_location(original, extras.connection, &sources);
    let layer_report = response.extensions().get::<UpstreamReport>();
    let layer_location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok());
    match (layer_report, rewrite.report()) {
        (None, None) => {
            assert_eq!(layer_location, Some(original), "no connection, no change");
        }
        (Some(layer), Some(engine)) => {
            assert_eq!(layer.connection(), engine.connection(), "{original}");
            assert_eq!(layer.params(), engine.params(), "{original}");
            assert_eq!(layer.rewritten(), engine.rewritten(), "{original}");
            if layer.dry_run() && !engine.dry_run() {
                assert_eq!(layer_location, Some(original), "a dry run changes nothing");
            } else {
                assert_eq!(layer.dry_run(), engine.dry_run(), "{original}");
                let expected = rewrite.location().unwrap_or(original);
                assert_eq!(layer_location, Some(expected), "{original}");
            }
        }
        (layer, engine) => panic!(
            "the layer and the engine disagree on {original:?}: layer {layer:?}, engine {engine:?}"
        ),
    }
}
