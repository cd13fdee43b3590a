//! Adversarial inputs through the service (issue 4, item 3).
//!
//! Each case either passes through exactly as the inner service made it, or is rewritten so
//! that the browser still goes where the broker sent it, with every pair the configuration
//! does not name unchanged. Big inputs are checked by counting, never by timing: the inner
//! service runs once, the output is exactly the input plus the added pairs, every one of the
//! input's pairs is there.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response};
use tower::{Service, ServiceExt, service_fn};
use tower_upstream_params::{Config, UpstreamParamsLayer, UpstreamValues};

use crate::common::config;

const GOOGLE: &str = "https://accounts.google.com/o/oauth2/v2/auth";

/// Google with a static, an alias and a merged param; an IPv6 IdP.
fn layer() -> UpstreamParamsLayer {
    UpstreamParamsLayer::new(google(""))
}

fn google(limits: &str) -> Config {
    config(&format!(
        r#"{{"connections": {{
            "google": {{"authorization_url": "{GOOGLE}",
                "upstream_params": {{
                    "hd": {{"value": "acme.com"}},
                    "login_hint": {{"alias": "login_hint"}},
                    "prompt": {{"value": "select_account", "mode": "merge"}}}}}},
            "v6": {{"authorization_url": "https://[::1]:8443/authorize",
                "upstream_params": {{"x": {{"value": "1"}}}}}}}}
            {limits}}}"#
    ))
}

/// The response the inner service makes, and how many times it was called.
struct Outcome {
    response: Response<String>,
    calls: usize,
}

/// Sends `request` through `layer` to a service answering with `make()`.
async fn through(
    layer: UpstreamParamsLayer,
    request: Request<String>,
    make: impl Fn() -> Response<String> + Clone + Send + 'static,
) -> Outcome {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |_req: Request<String>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let response = make();
        async move { Ok::<_, Infallible>(response) }
    });
    let response = tower::ServiceBuilder::new()
        .layer(layer)
        .service(inner)
        .oneshot(request)
        .await
        .unwrap();
    Outcome {
        response,
        calls: calls.load(Ordering::SeqCst),
    }
}

fn get(uri: &str) -> Request<String> {
    Request::get(uri).body(String::new()).unwrap()
}

fn redirect(status: u16, location: HeaderValue) -> impl Fn() -> Response<String> + Clone {
    move || {
        Response::builder()
            .status(status)
            .header(LOCATION, location.clone())
            .header(SET_COOKIE, "sid=1")
            .body(String::from("body"))
            .unwrap()
    }
}

/// The `Location` the layer gives for a 302 to `location` answering `GET uri`.
async fn rewrite(layer: UpstreamParamsLayer, uri: &str, location: &str) -> String {
    let out = through(
        layer,
        get(uri),
        redirect(302, HeaderValue::from_str(location).unwrap()),
    )
    .await;
    assert_eq!(out.calls, 1);
    assert_eq!(out.response.headers().get_all(LOCATION).iter().count(), 1);
    assert_eq!(out.response.headers()[SET_COOKIE], "sid=1");
    assert_eq!(out.response.body(), "body");
    out.response.headers()[LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts that `response` is exactly what `make()` makes.
fn assert_untouched(response: &Response<String>, make: &impl Fn() -> Response<String>) {
    let expected = make();
    assert_eq!(response.status(), expected.status());
    assert_eq!(response.headers(), expected.headers());
    assert_eq!(response.body(), expected.body());
}

/// Sends a 302 to `location` (any bytes) and asserts that it passes through untouched.
async fn assert_passes_through(location: &[u8]) {
    let make = redirect(302, HeaderValue::from_bytes(location).unwrap());
    let out = through(layer(), get("/authorize?login_hint=jo@x.org"), make.clone()).await;
    assert_eq!(out.calls, 1);
    assert_untouched(&out.response, &make);
}

/// A hand-written form decoder (`+` is a space, `%XX` a byte, invalid UTF-8 is U+FFFD).
fn decode(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The raw query pairs of a `Location` (between the first `?` and the first `#`).
fn raw_pairs(location: &str) -> Vec<&str> {
    let rest = location.split('#').next().unwrap_or("");
    match rest.split_once('?') {
        Some((_, "")) | None => Vec::new(),
        Some((_, q)) => q.split('&').collect(),
    }
}

/// The decoded values of `name` in `location`'s query.
fn values(location: &str, name: &str) -> Vec<String> {
    raw_pairs(location)
        .into_iter()
        .filter(|p| decode(p.split('=').next().unwrap_or("")) == name)
        .map(|p| decode(p.split_once('=').map_or("", |(_, v)| v)))
        .collect()
}

/// Where a browser goes for this `Location`, as it reads it: the HTTP client drops the
/// field's surrounding whitespace, then the WHATWG URL parser (the `url` crate) reads it.
/// Where a browser goes when the broker's `https` page answers with `location`: the `url`
/// crate resolves it against the page, as a browser resolves a redirect.
fn browser(location: &str) -> url::Url {
    let page = url::Url::parse("https://broker.example/authorize?client_id=web").unwrap();
    url::Url::options()
        .base_url(Some(&page))
        .parse(location.trim_matches([' ', '\t']))
        .unwrap()
}

/// The browser goes to the same place with the same pairs, but for those named `touched`.
fn assert_same_destination(before: &str, after: &str, touched: &[&str]) {
    let (b, a) = (browser(before), browser(after));
    assert_eq!(a.scheme(), b.scheme(), "{after}");
    assert_eq!(a.host_str(), b.host_str(), "{after}");
    assert_eq!(
        a.port_or_known_default(),
        b.port_or_known_default(),
        "{after}"
    );
    assert_eq!(a.path(), b.path(), "{after}");
    assert_eq!(a.fragment(), b.fragment(), "{after}");
    assert_eq!(a.username(), b.username(), "{after}");
    let keep = |u: &url::Url| -> Vec<(String, String)> {
        u.query_pairs()
            .filter(|(n, _)| !touched.contains(&n.as_ref()))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    };
    assert_eq!(keep(&a), keep(&b), "{before}\n=> {after}");
}

const TOUCHED: &[&str] = &["hd", "login_hint", "prompt", "x"];

// --- Locations that are not absolute http(s) URLs, or not visible ASCII: passed through ---

#[tokio::test]
async fn relative_locations_pass_through() {
    for location in [
        &b"/authorize?client_id=a"[..],
        b"authorize",
        b"?x=1",
        b"#f",
        b"",
        b"../o/oauth2/v2/auth",
    ] {
        assert_passes_through(location).await;
    }
}

#[tokio::test]
async fn protocol_relative_locations_pass_through() {
    // Not absolute: the contract rewrites absolute URLs only.
    assert_passes_through(b"//accounts.google.com/o/oauth2/v2/auth?client_id=a").await;
    assert_passes_through(b"///accounts.google.com/o/oauth2/v2/auth").await;
}

#[tokio::test]
async fn malformed_locations_pass_through() {
    for location in [
        &b"https://"[..],
        b"https://[::1/authorize",
        b"https://accounts.google.com:99999/o/oauth2/v2/auth",
        b"https://accounts.google.com:-1/o/oauth2/v2/auth",
        b"https://accounts google.com/o/oauth2/v2/auth",
        b"https://%zz/o/oauth2/v2/auth",
        b"http//accounts.google.com/o/oauth2/v2/auth",
        b"https//accounts.google.com/o/oauth2/v2/auth",
        b":",
        b"https:",
        b"javascript:alert(1)//accounts.google.com/o/oauth2/v2/auth",
        b"data:text/html,https://accounts.google.com/o/oauth2/v2/auth",
        b"ftp://accounts.google.com/o/oauth2/v2/auth",
    ] {
        assert_passes_through(location).await;
    }
}

#[tokio::test]
async fn non_ascii_locations_pass_through() {
    assert_passes_through("https://accounts.google.com/o/oauth2/v2/auth?x=é".as_bytes()).await;
    assert_passes_through("https://accounts.googlé.com/o/oauth2/v2/auth".as_bytes()).await;
    assert_passes_through("https://accounts.google.com/ö/oauth2/v2/auth".as_bytes()).await;
}

#[tokio::test]
async fn non_utf8_locations_pass_through() {
    assert_passes_through(b"https://accounts.google.com/o/oauth2/v2/auth?x=\xff").await;
    assert_passes_through(b"https://accounts.google.com/o/oauth2/v2/auth?x=\xc3").await;
    assert_passes_through(b"https://accounts.google.com\x80/o/oauth2/v2/auth").await;
}

// --- Authority tricks: the host is the one the browser goes to ---

#[tokio::test]
async fn userinfo_naming_the_idp_does_not_make_another_host_the_idp() {
    assert_passes_through(b"https://accounts.google.com@evil.example/o/oauth2/v2/auth").await;
    assert_passes_through(b"https://accounts.google.com:443@evil.example/o/oauth2/v2/auth").await;
    assert_passes_through(b"https://accounts.google.com.evil.example/o/oauth2/v2/auth").await;
    // A backslash is a slash to the browser: the host is evil.example.
    assert_passes_through(b"https://evil.example\\@accounts.google.com/o/oauth2/v2/auth").await;
}

#[tokio::test]
async fn userinfo_before_the_idp_host_still_goes_to_the_idp() {
    let before = "https://evil.example@accounts.google.com/o/oauth2/v2/auth?client_id=a";
    let after = rewrite(layer(), "/", before).await;
    assert_eq!(after, format!("{before}&hd=acme.com&prompt=select_account"));
    assert_same_destination(before, &after, TOUCHED);
}

#[tokio::test]
async fn uppercase_host_and_scheme_are_matched_and_kept() {
    let before = "HTTPS://ACCOUNTS.Google.COM/o/oauth2/v2/auth?client_id=a&state=S%2f";
    let after = rewrite(layer(), "/", before).await;
    assert_eq!(after, format!("{before}&hd=acme.com&prompt=select_account"));
    assert_same_destination(before, &after, TOUCHED);
}

#[tokio::test]
async fn explicit_default_port_is_matched_and_kept() {
    for port in [":443", ":0443", ":"] {
        let before = format!("https://accounts.google.com{port}/o/oauth2/v2/auth?client_id=a");
        let after = rewrite(layer(), "/", &before).await;
        assert_eq!(after, format!("{before}&hd=acme.com&prompt=select_account"));
        assert_same_destination(&before, &after, TOUCHED);
    }
    // Another port is another origin.
    assert_passes_through(b"https://accounts.google.com:8443/o/oauth2/v2/auth").await;
    assert_passes_through(b"http://accounts.google.com:443/o/oauth2/v2/auth").await;
}

#[tokio::test]
async fn ipv6_hosts_are_compared_as_addresses() {
    for host in ["[::1]", "[0:0::1]", "[0000:0:0:0:0:0:0:1]"] {
        let before = format!("https://{host}:8443/authorize?a=1#f");
        let after = rewrite(layer(), "/", &before).await;
        assert_eq!(after, format!("https://{host}:8443/authorize?a=1&x=1#f"));
        assert_same_destination(&before, &after, TOUCHED);
    }
    assert_passes_through(b"https://[::2]:8443/authorize").await;
    assert_passes_through(b"https://[::1]/authorize").await;
}

#[tokio::test]
async fn hosts_and_paths_the_browser_normalizes_are_matched() {
    for before in [
        "https://accounts.google%2Ecom/o/oauth2/v2/auth?client_id=a",
        "https://accounts.google.com./o/oauth2/v2/auth?client_id=a",
        "https://accounts.google.com/o/oauth2/x/../v2/auth?client_id=a",
        "https://accounts.google.com/o/oauth2/./v2/%2e/auth?client_id=a",
        "https:accounts.google.com/o/oauth2/v2/auth?client_id=a",
        "https:\\\\accounts.google.com\\o\\oauth2\\v2\\auth?client_id=a",
        " https://accounts.google.com/o/oauth2/v2/auth?client_id=a",
    ] {
        let after = rewrite(layer(), "/", before).await;
        let browser_goes_to_google = {
            let u = browser(before);
            u.host_str() == Some("accounts.google.com") && u.path() == "/o/oauth2/v2/auth"
        };
        if browser_goes_to_google {
            // The whitespace a browser ignores around a URL is dropped by the rewrite.
            let url = before.trim_matches([' ', '\t']);
            assert_eq!(after, format!("{url}&hd=acme.com&prompt=select_account"));
            assert_same_destination(before, &after, TOUCHED);
        } else {
            assert_eq!(after, before);
        }
    }
    // Not the configured path: a trailing slash, another case, an encoded slash.
    for location in [
        &b"https://accounts.google.com/o/oauth2/v2/auth/"[..],
        b"https://accounts.google.com/O/oauth2/v2/auth",
        b"https://accounts.google.com/o/oauth2%2Fv2/auth",
    ] {
        assert_passes_through(location).await;
    }
}

/// Found by fuzzing (`select`): the WHATWG parser removes every tab and newline from a URL,
/// so the browser follows `ht\ttps://accounts.google.com/...` to Google; the layer must read it
/// the same way, and writes the rewritten `Location` without them (DESIGN.md, Matching 1).
#[tokio::test]
async fn tabs_anywhere_are_ignored_as_the_browser_ignores_them() {
    for before in [
        "https://accounts.google.com/o/oauth2/v2/auth\t?client_id=a",
        "https://accounts.goo\tgle.com/o/oauth2/v2/auth?client_id=a",
        "ht\ttps://accounts.google.com/o/oauth2/v2/auth?client_id=a",
        "https\t://accounts.google.com/o/oauth2/v2/auth?client_id=a",
        "h\t\tttps:/\t/accounts.google.com/o/oauth2/v2/auth?client_id=a",
    ] {
        let after = rewrite(layer(), "/", before).await;
        assert_eq!(
            after,
            format!(
                "{}&hd=acme.com&prompt=select_account",
                before.replace('\t', "")
            ),
            "{before:?}"
        );
        assert_same_destination(before, &after, TOUCHED);
    }
}

/// A `Location` with trailing whitespace: the HTTP client drops it before reading the URL, so
/// nothing the layer appends may land after it (that would turn `state=s` into `state=s ` for
/// the IdP, and `/auth` into `/auth%20`).
#[tokio::test]
async fn trailing_whitespace_does_not_end_up_inside_the_url() {
    for before in [
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=a&state=s ",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=a&state=s \t ",
        "https://accounts.google.com/o/oauth2/v2/auth ",
    ] {
        let after = rewrite(layer(), "/", before).await;
        assert_same_destination(before, &after, TOUCHED);
        if after != before {
            assert_eq!(values(after.trim_end(), "hd"), ["acme.com"], "{after:?}");
        }
    }
}

// --- Queries: size, encodings, duplicates ---

/// 50,000 pairs, 1 MB: one pass, the output is the input and the added pairs, byte for byte.
#[tokio::test]
async fn a_1mb_query_is_rewritten_in_one_pass() {
    let mut before = format!("{GOOGLE}?client_id=a");
    let mut n = 0;
    while before.len() < 1 << 20 {
        before.push_str(&format!("&k{n}=v%20{n}+x"));
        n += 1;
    }
    let limits = r#", "limits": {"max_location_len": 4194304}"#;
    let after = rewrite(
        UpstreamParamsLayer::new(google(limits)),
        "/?login_hint=jo%40x.org",
        &before,
    )
    .await;
    let added = "&hd=acme.com&login_hint=jo%40x.org&prompt=select_account";
    assert_eq!(after.len(), before.len() + added.len());
    assert_eq!(after, format!("{before}{added}"));
    assert_eq!(raw_pairs(&after).len(), raw_pairs(&before).len() + 3);

    // With the default limit (8192 bytes), the same redirect is left as it is.
    let after = rewrite(layer(), "/?login_hint=jo%40x.org", &before).await;
    assert_eq!(after, before);
}

/// A 256 KB `prompt` of 37,000 distinct values to merge into: the merge is linear too. (A
/// merge that compares each value with all the others before it takes minutes here in a
/// debug build; a linear one, milliseconds.)
#[tokio::test]
async fn merging_into_a_256kb_prompt_is_linear() {
    let mut prompt = String::new();
    let mut n = 0;
    while prompt.len() < 256 << 10 {
        if n > 0 {
            prompt.push('+');
        }
        prompt.push_str(&format!("p{n}"));
        n += 1;
    }
    assert!(n > 35_000);
    let before = format!("{GOOGLE}?client_id=a&prompt={prompt}&state=s");
    let limits = r#", "limits": {"max_location_len": 4194304}"#;
    let after = rewrite(UpstreamParamsLayer::new(google(limits)), "/", &before).await;
    assert_eq!(
        after,
        format!("{GOOGLE}?client_id=a&prompt={prompt}+select_account&state=s&hd=acme.com")
    );
}

/// 10,000 pairs, among them 1,000 `hd` pairs (replaced once, in place of the first) and
/// 1,000 `prompt` pairs with the same value (merged into one).
#[tokio::test]
async fn ten_thousand_pairs() {
    let mut pairs = Vec::new();
    for i in 0..10_000 {
        pairs.push(match i % 10 {
            0 => format!("hd=old{i}"),
            1 => "prompt=consent".to_owned(),
            2 => String::new(),
            3 => format!("k{i}"),
            _ => format!("k{i}=%E2%82%AC{i}"),
        });
    }
    let before = format!("{GOOGLE}?client_id=a&{}#frag", pairs.join("&"));
    let limits = r#", "limits": {"max_location_len": 1048576}"#;
    let after = rewrite(UpstreamParamsLayer::new(google(limits)), "/", &before).await;
    assert_same_destination(&before, &after, TOUCHED);
    assert_eq!(values(&after, "hd"), ["acme.com"]);
    assert_eq!(values(&after, "prompt"), ["consent select_account"]);
    let untouched = |l: &str| -> Vec<String> {
        raw_pairs(l)
            .into_iter()
            .filter(|p| !p.starts_with("hd=") && !p.starts_with("prompt="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(untouched(&after), untouched(&before));
    // Counted: 1 + 10,000 pairs in, 1,998 removed.
    assert_eq!(raw_pairs(&before).len(), 10_001);
    assert_eq!(raw_pairs(&after).len(), 10_001 - 1_998);
    assert!(after.ends_with("#frag"));
}

#[tokio::test]
async fn invalid_percent_encoding_in_the_request_is_decoded_as_forms_are() {
    for (query, value) in [
        ("login_hint=%zz%", "%zz%"),
        ("login_hint=a%2", "a%2"),
        ("login_hint=%00%0D%0A", "\0\r\n"),
    ] {
        let before = format!("{GOOGLE}?client_id=a");
        let after = rewrite(layer(), &format!("/authorize?{query}"), &before).await;
        assert_eq!(values(&after, "login_hint"), [value], "{query}");
        assert_same_destination(&before, &after, TOUCHED);
        HeaderValue::from_str(&after).unwrap();
    }
    // Bytes that are not UTF-8 once decoded are not a value at all (`not_utf8`, issue 18):
    // never sent as U+FFFD.
    for query in ["login_hint=%E0%A4%A", "login_hint=%FF%FE"] {
        let before = format!("{GOOGLE}?client_id=a");
        let after = rewrite(layer(), &format!("/authorize?{query}"), &before).await;
        assert!(values(&after, "login_hint").is_empty(), "{query}: {after}");
    }
}

#[tokio::test]
async fn invalid_percent_encoding_in_the_location_is_copied_as_it_is() {
    let before = format!("{GOOGLE}?client_id=a&state=%zz%&nonce=%&x=%E2%82&login_hint=%G0");
    let after = rewrite(layer(), "/?login_hint=jo", &before).await;
    assert_eq!(
        after,
        format!(
            "{GOOGLE}?client_id=a&state=%zz%&nonce=%&x=%E2%82&login_hint=jo&hd=acme.com\
             &prompt=select_account"
        )
    );
}

#[tokio::test]
async fn a_source_given_twice_is_not_used() {
    let before = format!("{GOOGLE}?client_id=a&login_hint=broker");
    for query in [
        "login_hint=a@x&login_hint=b@x",
        "login_hint=a@x&login%5Fhint=a@x",
        "login_hint&login_hint=b",
    ] {
        let after = rewrite(layer(), &format!("/?{query}"), &before).await;
        assert_eq!(
            after,
            format!("{before}&hd=acme.com&prompt=select_account"),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_100kb_value() {
    let value: String = "é&=+%# ".repeat(100 * 1024 / 10);
    let before = format!("{GOOGLE}?client_id=a");
    let values_ext = UpstreamValues::new().with("login_hint", value.as_str());
    // Default limits: too long, not sent; the other params are.
    let out = through(
        layer(),
        get("/"),
        with_values(
            redirect(302, HeaderValue::from_str(&before).unwrap()),
            values_ext.clone(),
        ),
    )
    .await;
    let after = out.response.headers()[LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(after, format!("{before}&hd=acme.com&prompt=select_account"));
    // Limits raised: sent, and decodes to exactly the value.
    let limits = r#", "limits": {"max_value_len": 200000, "max_location_len": 1000000}"#;
    let out = through(
        UpstreamParamsLayer::new(google(limits)),
        get("/"),
        with_values(
            redirect(302, HeaderValue::from_str(&before).unwrap()),
            values_ext,
        ),
    )
    .await;
    let after = out.response.headers()[LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(values(&after, "login_hint"), std::slice::from_ref(&value));
    // Every byte of the value but the unreserved ones is encoded: 3 bytes each, but ' '.
    let encoded = url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    assert_eq!(
        after.len(),
        before.len()
            + "&hd=acme.com&login_hint=".len()
            + encoded.len()
            + "&prompt=select_account".len()
    );
}

fn with_values(
    make: impl Fn() -> Response<String> + Clone + Send + 'static,
    values: UpstreamValues,
) -> impl Fn() -> Response<String> + Clone + Send + 'static {
    move || {
        let mut response = make();
        response.extensions_mut().insert(values.clone());
        response
    }
}

#[tokio::test]
async fn cr_lf_and_nul_in_values_are_encoded_never_injected() {
    let before = format!("{GOOGLE}?client_id=a");
    let value = "jo\r\nSet-Cookie: admin=1\r\n\r\n\0<script>";
    let out = through(
        layer(),
        get("/"),
        with_values(
            redirect(302, HeaderValue::from_str(&before).unwrap()),
            UpstreamValues::new().with("login_hint", value),
        ),
    )
    .await;
    let headers = out.response.headers();
    assert_eq!(headers.get_all(LOCATION).iter().count(), 1);
    assert_eq!(
        headers.get_all(SET_COOKIE).iter().collect::<Vec<_>>(),
        ["sid=1"]
    );
    let after = headers[LOCATION].to_str().unwrap();
    assert!(!after.bytes().any(|b| b < 0x20 || b == 0x7f), "{after:?}");
    assert_eq!(values(after, "login_hint"), [value]);
    assert!(
        after.contains("login_hint=jo%0D%0ASet-Cookie%3A+admin%3D1%0D%0A%0D%0A%00%3Cscript%3E")
    );
}

// --- Responses: headers, statuses, methods ---

#[tokio::test]
async fn two_location_headers_pass_through() {
    let make = || {
        let mut response = redirect(302, HeaderValue::from_static(GOOGLE))();
        response
            .headers_mut()
            .append(LOCATION, HeaderValue::from_static("https://evil.example/"));
        response
    };
    let out = through(layer(), get("/?login_hint=a"), make).await;
    assert_untouched(&out.response, &make);
    assert_eq!(out.response.headers().get_all(LOCATION).iter().count(), 2);
}

#[tokio::test]
async fn not_modified_and_created_with_location_pass_through() {
    for status in [304, 201, 200, 300, 305, 306, 399, 400, 500] {
        let make = redirect(status, HeaderValue::from_static(GOOGLE));
        let out = through(layer(), get("/?login_hint=a"), make.clone()).await;
        assert_untouched(&out.response, &make);
    }
}

#[tokio::test]
async fn head_requests_are_rewritten_like_get() {
    for method in [Method::HEAD, Method::GET, Method::POST, Method::OPTIONS] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/authorize?login_hint=a%2Bb")
            .body(String::new())
            .unwrap();
        let make = || {
            Response::builder()
                .status(303)
                .header(LOCATION, GOOGLE)
                .body(String::new())
                .unwrap()
        };
        let out = through(layer(), request, make).await;
        assert_eq!(
            out.response.headers()[LOCATION],
            format!("{GOOGLE}?hd=acme.com&login_hint=a%2Bb&prompt=select_account"),
            "{method}"
        );
        assert_eq!(out.response.body(), "");
        assert_eq!(out.calls, 1);
    }
}

#[tokio::test]
async fn par_and_jar_redirects_are_left_alone() {
    for location in [
        &b"https://accounts.google.com/o/oauth2/v2/auth?client_id=a&request_uri=urn%3Ax"[..],
        b"https://accounts.google.com/o/oauth2/v2/auth?request=eyJ&client_id=a",
        b"https://accounts.google.com/o/oauth2/v2/auth?client_id=a&request%5Furi=urn",
    ] {
        assert_passes_through(location).await;
    }
}

#[tokio::test]
async fn fragments_with_query_characters_are_kept() {
    let before = format!("{GOOGLE}#?hd=evil&login_hint=x#y");
    let after = rewrite(layer(), "/", &before).await;
    assert_eq!(
        after,
        format!("{GOOGLE}?hd=acme.com&prompt=select_account#?hd=evil&login_hint=x#y")
    );
    assert_same_destination(&before, &after, TOUCHED);
}

#[tokio::test]
async fn a_client_id_given_twice_selects_no_connection() {
    for location in [
        &b"https://accounts.google.com/o/oauth2/v2/auth?client_id=a&client_id=b"[..],
        b"https://accounts.google.com/o/oauth2/v2/auth?client_id=a&client%5Fid=a",
    ] {
        assert_passes_through(location).await;
    }
}

// --- Inner services that fail or are not ready ---

#[tokio::test]
async fn an_erroring_service_passes_its_error_through() {
    #[derive(Debug, PartialEq)]
    struct Boom(&'static str);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |_req: Request<String>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Err::<Response<String>, _>(Boom("down")) }
    });
    let result = tower::ServiceBuilder::new()
        .layer(layer())
        .service(inner)
        .oneshot(get("/?login_hint=a"))
        .await;
    assert_eq!(result.unwrap_err(), Boom("down"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// A service that is not ready for its first `pending` polls, then fails readiness once if
/// asked to, then is ready.
#[derive(Clone)]
struct Reluctant {
    polls: Arc<AtomicUsize>,
    pending: usize,
    fail_at: Option<usize>,
}

impl Service<Request<String>> for Reluctant {
    type Response = Response<String>;
    type Error = &'static str;
    type Future = Pin<Box<dyn Future<Output = Result<Response<String>, &'static str>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let n = self.polls.fetch_add(1, Ordering::SeqCst);
        if self.fail_at == Some(n) {
            return Poll::Ready(Err("overloaded"));
        }
        if n < self.pending {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<String>) -> Self::Future {
        Box::pin(async { Ok(redirect(302, HeaderValue::from_static(GOOGLE))()) })
    }
}

#[tokio::test]
async fn a_service_that_is_not_ready_is_waited_for() {
    let polls = Arc::new(AtomicUsize::new(0));
    let inner = Reluctant {
        polls: polls.clone(),
        pending: 5,
        fail_at: None,
    };
    let mut service = tower::ServiceBuilder::new().layer(layer()).service(inner);
    // Each poll of the layer is one poll of the inner service: Pending five times, then ready.
    let mut cx = Context::from_waker(std::task::Waker::noop());
    for i in 0..5 {
        assert!(service.poll_ready(&mut cx).is_pending(), "poll {i}");
    }
    assert!(matches!(service.poll_ready(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(polls.load(Ordering::SeqCst), 6);
    let response = service.call(get("/?login_hint=a")).await.unwrap();
    assert_eq!(
        response.headers()[LOCATION],
        format!("{GOOGLE}?hd=acme.com&login_hint=a&prompt=select_account")
    );

    // Readiness errors come out unchanged.
    let inner = Reluctant {
        polls: Arc::new(AtomicUsize::new(0)),
        pending: 2,
        fail_at: Some(2),
    };
    let result = tower::ServiceBuilder::new()
        .layer(layer())
        .service(inner)
        .oneshot(get("/"))
        .await;
    assert_eq!(result.unwrap_err(), "overloaded");
}
