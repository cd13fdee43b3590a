//! The SAML HTTP-Redirect binding promise, checked with a real SAML library: samlify (npm),
//! run from `tests/saml/` with the machine's Node.js.
//!
//! A samlify service provider signs an AuthnRequest for the HTTP-Redirect binding; the layer
//! rewrites that URL as the `Location` of a broker's redirect; a samlify identity provider then
//! verifies the signature over the query as a browser would deliver it. `SAMLRequest`,
//! `RelayState`, `SigAlg` and `Signature` must come out byte for byte, the new params after
//! them, and the signature must still verify. A tampered URL must not.
//!
//! Needs `node` and `npm` on the PATH; installs `tests/saml/node_modules` with `npm ci` when
//! it is missing. Without them the test fails, saying how to install them: it never skips.

#[path = "support/npm.rs"]
mod npm;

use std::path::{Path, PathBuf};
use std::process::Output;

use http::header::LOCATION;
use http::{Request, Response, StatusCode};
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_upstream_params::{Config, UpstreamParamsLayer};

const SSO_URL: &str = "https://idp.example.test/saml/sso";
/// The RelayState `saml.mjs` signs, decoded.
const RELAY_STATE: &str = "/after-login?next=/a/b~c(1)!*&n=2";
const SAML_NAMES: [&str; 4] = ["SAMLRequest", "RelayState", "SigAlg", "Signature"];

const CONFIG: &str = r#"{"connections": {"saml-idp": {
    "protocol": "saml",
    "authorization_url": "https://idp.example.test/saml/sso",
    "upstream_params": {
        "login_hint": {"alias": "login_hint"},
        "domain_hint": {"value": "acme.com"}
    }}}}"#;

fn saml_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saml")
}

/// `node` and `npm` must be there; `node_modules` is installed by the folder's own lockfile.
fn install_saml() {
    npm::install(
        &saml_dir(),
        "node_modules/samlify/package.json",
        "the SAML test signs and verifies with samlify",
    );
}

/// Runs `node saml.mjs ARGS` to its end (no process outlives the call). Blocking: the tests
/// run on a current-thread runtime with nothing else to do meanwhile.
fn saml(args: &[&str]) -> Output {
    install_saml();
    std::process::Command::new("node")
        .arg("saml.mjs")
        .args(args)
        .current_dir(saml_dir())
        .output()
        .expect("run node tests/saml/saml.mjs")
}

/// A fresh AuthnRequest URL, signed by the SP for the HTTP-Redirect binding.
fn sign() -> String {
    let output = saml(&["sign"]);
    assert!(
        output.status.success(),
        "saml.mjs sign failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let url = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(url.starts_with(&format!("{SSO_URL}?SAMLRequest=")), "{url}");
    url
}

/// The IdP's verdict on `url`: `Ok(what it received besides the AuthnRequest)` or
/// `Err(its error)`.
fn verify(url: &str) -> Result<Value, String> {
    let output = saml(&["verify", url]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(0) => {
            let mut lines = stdout.lines();
            assert_eq!(lines.next(), Some("ok"), "{stdout}");
            Ok(serde_json::from_str(lines.next().expect("a JSON line after ok")).unwrap())
        }
        Some(1) => Err(stderr),
        _ => panic!("saml.mjs verify did not run: {:?}\n{stderr}", output.status),
    }
}

/// The `name=value` pairs of `url`'s query as they are written.
fn raw_pairs(url: &str) -> Vec<(&str, &str)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

fn raw_value<'u>(url: &'u str, name: &str) -> &'u str {
    let found: Vec<&str> = raw_pairs(url)
        .into_iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(found.len(), 1, "{name} in {url}");
    found[0]
}

/// Sends `GET uri` through the layer to a broker answering `302 Location: location`.
async fn redirect(config: Config, uri: &str, location: String) -> Response<String> {
    let broker = service_fn(move |_req: Request<String>| {
        let location = location.clone();
        async move {
            Ok::<_, std::convert::Infallible>(
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(LOCATION, location)
                    .body(String::from("to the IdP"))
                    .unwrap(),
            )
        }
    });
    let service = ServiceBuilder::new()
        .layer(UpstreamParamsLayer::new(config))
        .service(broker);
    let request = Request::get(uri).body(String::new()).unwrap();
    service.oneshot(request).await.unwrap()
}

/// A signed AuthnRequest, rewritten by the layer for `/login?login_hint=jane%40acme.com`:
/// (what the SP signed, what the layer wrote).
async fn signed_and_rewritten() -> (String, String) {
    let signed = sign();
    let response = redirect(
        Config::from_json(CONFIG).unwrap(),
        "/login?login_hint=jane%40acme.com",
        signed.clone(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let rewritten = response.headers()[LOCATION].to_str().unwrap().to_owned();
    (signed, rewritten)
}

#[tokio::test]
async fn a_signed_authn_request_still_verifies_after_the_rewrite() {
    let (signed, rewritten) = signed_and_rewritten().await;
    // The SP's own URL verifies: the check below is about the layer, not the pair.
    let before = verify(&signed).unwrap_or_else(|e| panic!("the signed URL: {e}\n{signed}"));
    assert_eq!(before["relayState"], RELAY_STATE);
    assert_eq!(before["params"], serde_json::json!({}));

    assert_ne!(rewritten, signed, "the layer changed nothing");
    // Everything the SP wrote, byte for byte, then the new pairs.
    let added = rewritten
        .strip_prefix(&signed)
        .and_then(|rest| rest.strip_prefix('&'))
        .unwrap_or_else(|| panic!("not appended after the signed query:\n{signed}\n{rewritten}"));
    let names: Vec<&str> = raw_pairs(&rewritten).iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "SAMLRequest",
            "RelayState",
            "SigAlg",
            "Signature",
            "login_hint",
            "domain_hint"
        ],
        "{rewritten}"
    );
    for name in SAML_NAMES {
        assert_eq!(
            raw_value(&rewritten, name),
            raw_value(&signed, name),
            "{name}"
        );
    }
    // The RelayState's `~`, `(`, `)`, `!` and `*` are still bare: not re-encoded.
    assert_eq!(
        raw_value(&rewritten, "RelayState"),
        "%2Fafter-login%3Fnext%3D%2Fa%2Fb~c(1)!*%26n%3D2"
    );
    let decoded: Vec<(String, String)> = url::form_urlencoded::parse(added.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        decoded,
        [
            ("login_hint".to_owned(), "jane@acme.com".to_owned()),
            ("domain_hint".to_owned(), "acme.com".to_owned())
        ]
    );

    // The IdP accepts the rewritten request and receives the params.
    let after =
        verify(&rewritten).unwrap_or_else(|e| panic!("the rewritten URL: {e}\n{rewritten}"));
    assert_eq!(after["relayState"], RELAY_STATE);
    assert_eq!(
        after["params"],
        serde_json::json!({"login_hint": "jane@acme.com", "domain_hint": "acme.com"})
    );
}

#[tokio::test]
async fn a_tampered_authn_request_fails_verification() {
    let (_, rewritten) = signed_and_rewritten().await;
    let relay_state = raw_value(&rewritten, "RelayState");
    for tampered_relay_state in [
        // What a layer that re-encoded the query would send: the same RelayState, decoded.
        relay_state.replace('~', "%7E"),
        // Another RelayState.
        relay_state.replace("next", "neXt"),
    ] {
        assert_ne!(tampered_relay_state, relay_state);
        let tampered = rewritten.replace(
            &format!("&RelayState={relay_state}&"),
            &format!("&RelayState={tampered_relay_state}&"),
        );
        assert_ne!(tampered, rewritten);
        match verify(&tampered) {
            Ok(received) => panic!("the IdP accepted a tampered request: {received}\n{tampered}"),
            Err(error) => assert!(
                error.contains("ERR_FAILED_MESSAGE_SIGNATURE_VERIFICATION"),
                "refused, but not for its signature: {error}"
            ),
        }
    }
}

#[test]
fn a_replaced_param_cannot_target_the_saml_names() {
    for name in SAML_NAMES.into_iter().chain(["relaystate"]) {
        let json = CONFIG.replace(
            r#""domain_hint": {"value": "acme.com"}"#,
            &format!(r#""{name}": {{"value": "x", "mode": "replace"}}"#),
        );
        let error = Config::from_json(&json).expect_err(name).to_string();
        assert!(
            error.contains(&format!("connections.saml-idp.upstream_params.{name}"))
                && error.contains("reserved"),
            "{name}: {error}"
        );
    }
}
