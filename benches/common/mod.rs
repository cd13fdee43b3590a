//! Cases shared by the benches (criterion's and the callgrind driver's), so that both measure
//! the very same work.

#![allow(dead_code)]

use std::convert::Infallible;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use tower::util::MapResponseLayer;
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_upstream_params::__private::ParamOp;
use tower_upstream_params::config::Mode;
use tower_upstream_params::{Config, UpstreamParamsLayer};
use url::Url;

/// A Google authorize redirect as a broker sends it (367 bytes): client_id, redirect_uri,
/// response_type, scope, state, nonce, code_challenge, code_challenge_method.
pub(crate) const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth\
    ?client_id=1234567890-abc123def456.apps.googleusercontent.com\
    &redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcallback\
    &response_type=code&scope=openid%20email%20profile\
    &state=af0ifjsldkjAbCdEfGhIjKlMnOpQrStUvWx\
    &nonce=n-0S6_WzA2Mj4fVd3s8Q\
    &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// The same with the broker's own `prompt=consent` in the middle.
pub(crate) fn google_with_prompt() -> String {
    GOOGLE.replace("&nonce=", "&prompt=consent&nonce=")
}

/// The same with a query of about 4 KB (3,921 bytes): 56 more pairs of 64 bytes, then
/// `prompt`.
pub(crate) fn google_4k() -> String {
    let mut location = GOOGLE.to_owned();
    for i in 0..56 {
        location.push_str(&format!("&ext_{i:02}={:0>56}", i));
    }
    location.push_str("&prompt=consent");
    location
}

/// One pure-rewrite case: the `Location`, the params, the output expected.
pub(crate) struct RewriteCase {
    pub(crate) name: &'static str,
    pub(crate) location: String,
    pub(crate) params: Vec<ParamOp<'static>>,
    /// Expected output of the layer's rewrite.
    pub(crate) expected: String,
    /// Expected output of the naive `url` rewrite (which re-encodes every pair).
    pub(crate) naive_expected: String,
    /// The pre-encoded suffix the lower bound appends, and the final length.
    pub(crate) suffix: String,
    pub(crate) final_len: usize,
}

fn rewrite_case(
    name: &'static str,
    location: String,
    params: Vec<ParamOp<'static>>,
    expected: String,
) -> RewriteCase {
    let naive_expected = naive_rewrite(&location, &params)
        .to_str()
        .unwrap()
        .to_owned();
    let suffix = expected[location.len().min(expected.len())..].to_owned();
    let final_len = expected.len();
    let suffix = if expected.starts_with(&location) {
        suffix
    } else {
        // A replace: the lower bound copies the Location and appends what makes up the
        // final length, as if the change were a pure append.
        "x".repeat(final_len - location.len())
    };
    RewriteCase {
        name,
        location,
        params,
        expected,
        naive_expected,
        suffix,
        final_len,
    }
}

/// The four cases of the issue: (a) 2 static params appended, (b) 1 alias + 1 static,
/// (c) 3 params of which one replaces an existing `prompt`, (d) (c) on a 4 KiB query.
pub(crate) fn rewrite_cases() -> Vec<RewriteCase> {
    let with_prompt = google_with_prompt();
    let big = google_4k();
    vec![
        rewrite_case(
            "a_2_static",
            GOOGLE.to_owned(),
            vec![
                ("hd", Some("acme.com"), Mode::Replace),
                ("access_type", Some("offline"), Mode::Replace),
            ],
            format!("{GOOGLE}&hd=acme.com&access_type=offline"),
        ),
        rewrite_case(
            // The alias's value as resolved (decoded), re-encoded on the way out.
            "b_alias_static",
            GOOGLE.to_owned(),
            vec![
                ("login_hint", Some("john.doe@acme.com"), Mode::Replace),
                ("hd", Some("acme.com"), Mode::Replace),
            ],
            format!("{GOOGLE}&login_hint=john.doe%40acme.com&hd=acme.com"),
        ),
        rewrite_case(
            "c_replace_prompt",
            with_prompt.clone(),
            vec![
                ("prompt", Some("select_account"), Mode::Replace),
                ("hd", Some("acme.com"), Mode::Replace),
                ("access_type", Some("offline"), Mode::Replace),
            ],
            format!(
                "{}&hd=acme.com&access_type=offline",
                with_prompt.replace("prompt=consent", "prompt=select_account")
            ),
        ),
        rewrite_case(
            "d_4k_query",
            big.clone(),
            vec![
                ("prompt", Some("select_account"), Mode::Replace),
                ("hd", Some("acme.com"), Mode::Replace),
                ("access_type", Some("offline"), Mode::Replace),
            ],
            format!(
                "{}&hd=acme.com&access_type=offline",
                big.replace("prompt=consent", "prompt=select_account")
            ),
        ),
    ]
}

/// The layer's rewrite, as the layer hands it to the response: a `HeaderValue`.
pub(crate) fn layer_rewrite(location: &str, params: &[ParamOp<'_>]) -> HeaderValue {
    let out = tower_upstream_params::__private::rewrite(location, params, 8192).unwrap();
    HeaderValue::try_from(out).unwrap()
}

/// What a user would write by hand with `url`: parse, drop the keys that will be set,
/// append the new pairs, print, and make a header value of it.
pub(crate) fn naive_rewrite(location: &str, params: &[ParamOp<'_>]) -> HeaderValue {
    let mut url = Url::parse(location).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !params.iter().any(|(n, _, _)| n == name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        for (name, value, _) in params {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    HeaderValue::from_str(url.as_str()).unwrap()
}

/// The least any rewrite can do: copy the `Location` into a buffer of the final size and
/// append a pre-encoded suffix.
pub(crate) fn lower_bound(location: &str, suffix: &str, final_len: usize) -> HeaderValue {
    let mut out = String::with_capacity(final_len);
    out.push_str(location);
    out.push_str(suffix);
    HeaderValue::try_from(out).unwrap()
}

// ---- services ----

/// The broker's authorize request target (client's query, with a `login_hint`).
pub(crate) const TARGET: &str = "/authorize?response_type=code&client_id=web-app\
    &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&login_hint=john.doe%40acme.com\
    &state=xyzABC123";

/// The request as hyper makes it: its URI a slice of the connection's shared read buffer,
/// so that cloning the query is a reference-count increment.
pub(crate) struct Requests {
    head: Bytes,
    target: std::ops::Range<usize>,
}

impl Requests {
    pub(crate) fn new(target: &str) -> Self {
        let mut buf = BytesMut::with_capacity(8192);
        buf.extend_from_slice(b"GET ");
        buf.extend_from_slice(target.as_bytes());
        buf.extend_from_slice(b" HTTP/1.1\r\nhost: broker.example.com\r\n\r\n");
        let head = buf.split().freeze();
        Requests {
            head,
            target: 4..4 + target.len(),
        }
    }

    pub(crate) fn make(&self) -> Request<()> {
        let uri = Uri::from_maybe_shared(self.head.slice(self.target.clone())).unwrap();
        let mut request = Request::new(());
        *request.uri_mut() = uri;
        request
    }
}

/// What the inner service answers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer {
    /// `200 OK` with a `content-type`.
    Ok,
    /// `302 Found` to this `Location`.
    Redirect(&'static str),
}

impl Answer {
    pub(crate) fn build(self) -> Response<()> {
        let mut response = Response::new(());
        match self {
            Answer::Ok => {
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
            }
            Answer::Redirect(location) => {
                *response.status_mut() = StatusCode::FOUND;
                response
                    .headers_mut()
                    .insert(LOCATION, HeaderValue::from_static(location));
            }
        }
        response
    }
}

/// The bare inner service: a `service_fn` that builds its response.
pub(crate) fn bare(
    answer: Answer,
) -> impl Service<Request<()>, Response = Response<()>, Error = Infallible> + Clone {
    service_fn(move |_request: Request<()>| std::future::ready(Ok(answer.build())))
}

/// The service bench's configuration: Google with two static params.
pub(crate) const SERVICE_CONFIG: &str = r#"{
  "connections": {
    "google": {
      "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
      "client_id": "1234567890-abc123def456.apps.googleusercontent.com",
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
        "hd": { "value": "acme.com" }
      }
    }
  }
}"#;

pub(crate) const UNCONFIGURED: &str = "https://login.example.org/oauth2/authorize\
    ?client_id=abc&response_type=code&state=xyz&redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcb";

pub(crate) const GOOGLE_ALIAS: &str = "https://accounts.google.com/o/oauth2/v2/auth\
    ?client_id=alias.apps.googleusercontent.com\
    &redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcallback\
    &response_type=code&scope=openid%20email%20profile\
    &state=af0ifjsldkjAbCdEfGhIjKlMnOpQrStUvWx\
    &nonce=n-0S6_WzA2Mj4fVd3s8Q\
    &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

pub(crate) fn layered(
    answer: Answer,
) -> impl Service<Request<()>, Response = Response<()>, Error = Infallible> {
    UpstreamParamsLayer::new(Config::from_json(SERVICE_CONFIG).unwrap()).layer(bare(answer))
}

pub(crate) fn tower_http(
    answer: Answer,
) -> impl Service<Request<()>, Response = Response<()>, Error = Infallible> {
    tower_http::set_header::SetResponseHeaderLayer::overriding(
        http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    )
    .layer(bare(answer))
}

pub(crate) type NaiveFn = fn(Response<()>) -> Response<()>;

/// The layer a user would write by hand with `url` (as `tower::util::MapResponse`, no
/// boxing): parse every redirect's `Location`, and on Google's endpoint drop and append
/// `hd` and `access_type`.
pub(crate) fn naive(
    answer: Answer,
) -> impl Service<Request<()>, Response = Response<()>, Error = Infallible> {
    MapResponseLayer::new(naive_map as NaiveFn).layer(bare(answer))
}

fn naive_map(mut response: Response<()>) -> Response<()> {
    const PARAMS: [(&str, &str); 2] = [("hd", "acme.com"), ("access_type", "offline")];
    if !response.status().is_redirection() {
        return response;
    }
    let Some(location) = response.headers().get(LOCATION) else {
        return response;
    };
    let Ok(location) = location.to_str() else {
        return response;
    };
    let Ok(mut url) = Url::parse(location) else {
        return response;
    };
    if url.host_str() != Some("accounts.google.com") || url.path() != "/o/oauth2/v2/auth" {
        return response;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !PARAMS.iter().any(|(n, _)| n == name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        for (name, value) in PARAMS {
            query.append_pair(name, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// `ready().call()` of `service` for one request, on `rt`; the response's `Location`.
pub(crate) fn call<S>(
    rt: &tokio::runtime::Runtime,
    service: &mut S,
    request: Request<()>,
) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    rt.block_on(async {
        let ready = service.ready().await.unwrap();
        ready.call(request).await.unwrap()
    })
}

/// Checks what a service answered (inside the timed loop: a broken layer cannot look fast).
pub(crate) fn check(response: &Response<()>, location: Option<&str>) {
    let got = response.headers().get(LOCATION).map(HeaderValue::as_bytes);
    assert_eq!(got, location.map(str::as_bytes));
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

// ---- scale ----

/// How the connections of a scale config are laid out.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// Each on its own host.
    Hosts,
    /// All on Google's endpoint, told apart by `client_id`.
    ClientIds,
    /// All on one host, each on its own path with a `*` segment:
    /// `https://login.example.com/*/t{i:06}/authorize`.
    WildPaths,
    /// All on Entra ID's `https://login.microsoftonline.com/*/oauth2/v2.0/authorize`, told
    /// apart by `client_id`.
    WildClientIds,
    /// All on one wildcard host, `https://*.okta.com/oauth2/*/v1/authorize`, told apart by
    /// `client_id`.
    WildHosts,
}

/// The shapes with `*` in their `authorization_url`s.
pub(crate) const WILD_SHAPES: [Shape; 3] =
    [Shape::WildPaths, Shape::WildClientIds, Shape::WildHosts];

/// Every shape.
pub(crate) const SHAPES: [Shape; 5] = [
    Shape::Hosts,
    Shape::ClientIds,
    Shape::WildPaths,
    Shape::WildClientIds,
    Shape::WildHosts,
];

/// The query of the scale redirects but for `client_id`.
const SCALE_QUERY: &str = "&response_type=code&scope=openid&state=af0ifjsldkjAbCdEfGhIjKlMnOp\
    &redirect_uri=https%3A%2F%2Fbroker.example.com%2Fcallback";

impl Shape {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Shape::Hosts => "hosts",
            Shape::ClientIds => "client_ids",
            Shape::WildPaths => "wild_paths",
            Shape::WildClientIds => "wild_client_ids",
            Shape::WildHosts => "wild_hosts",
        }
    }

    /// The `Location` of a redirect to connection `i`.
    pub(crate) fn location(self, i: usize) -> String {
        match self {
            Shape::Hosts => format!(
                "https://idp{i}.example.com/oauth2/v2.0/authorize?client_id=broker{SCALE_QUERY}"
            ),
            Shape::ClientIds => GOOGLE.replace(
                "1234567890-abc123def456.apps.googleusercontent.com",
                &format!("{i:08}-client.apps.googleusercontent.com"),
            ),
            Shape::WildPaths => format!(
                "https://login.example.com/tenant{i:06}/t{i:06}/authorize?client_id=broker{SCALE_QUERY}"
            ),
            Shape::WildClientIds => format!(
                "https://login.microsoftonline.com/{i:08}-tenant.onmicrosoft.com/oauth2/v2.0/\
                 authorize?client_id={i:08}-client{SCALE_QUERY}"
            ),
            Shape::WildHosts => format!(
                "https://tenant{i:06}.okta.com/oauth2/default/v1/authorize\
                 ?client_id={i:08}-client{SCALE_QUERY}"
            ),
        }
    }

    /// A redirect to a path no connection has on the shape's (wildcard) host: what a sign-out
    /// costs there.
    pub(crate) fn logout(self) -> Option<&'static str> {
        match self {
            Shape::Hosts | Shape::ClientIds => None,
            Shape::WildPaths => Some(
                "https://login.example.com/logout\
                 ?post_logout_redirect_uri=https%3A%2F%2Fbroker.example.com%2F",
            ),
            Shape::WildClientIds => Some(
                "https://login.microsoftonline.com/common/oauth2/v2.0/logout\
                 ?post_logout_redirect_uri=https%3A%2F%2Fbroker.example.com%2F",
            ),
            Shape::WildHosts => Some(
                "https://tenant7.okta.com/oauth2/default/v1/logout\
                 ?post_logout_redirect_uri=https%3A%2F%2Fbroker.example.com%2F",
            ),
        }
    }

    /// Connection `i`'s `authorization_url` and `client_id` (`""` for none).
    fn endpoint(self, i: usize) -> (String, String) {
        match self {
            Shape::Hosts => (
                format!("https://idp{i}.example.com/oauth2/v2.0/authorize"),
                String::new(),
            ),
            Shape::ClientIds => (
                "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
                format!("{i:08}-client.apps.googleusercontent.com"),
            ),
            Shape::WildPaths => (
                format!("https://login.example.com/*/t{i:06}/authorize"),
                String::new(),
            ),
            Shape::WildClientIds => (
                "https://login.microsoftonline.com/*/oauth2/v2.0/authorize".to_owned(),
                format!("{i:08}-client"),
            ),
            Shape::WildHosts => (
                "https://*.okta.com/oauth2/*/v1/authorize".to_owned(),
                format!("{i:08}-client"),
            ),
        }
    }
}

/// `n` typical connections (3 params, no `pattern`) in `shape`.
pub(crate) fn scale_config(n: usize, shape: Shape) -> String {
    let mut json = String::with_capacity(n * 400);
    json.push_str(r#"{"connections": {"#);
    for i in 0..n {
        if i > 0 {
            json.push(',');
        }
        let (url, client_id) = shape.endpoint(i);
        let client_id = if client_id.is_empty() {
            client_id
        } else {
            format!(r#""client_id": "{client_id}","#)
        };
        json.push_str(&format!(
            r#""tenant-{i}": {{
  "authorization_url": "{url}", {client_id}
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

/// What connection `i` of a scale config makes of `location` with the [`TARGET`] request.
pub(crate) fn scale_expected(location: &str, i: usize) -> String {
    format!(
        "{location}&prompt=select_account&login_hint=john.doe%40acme.com\
         &domain_hint=tenant{i}.example.com"
    )
}
