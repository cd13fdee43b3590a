//! Tower middleware that passes operator-configured parameters to upstream identity providers.
//!
//! An identity broker sends its users to upstream identity providers (Google, Entra ID, X,
//! WordPress, a SAML IdP) with redirect responses. [`UpstreamParamsLayer`] wraps the broker's
//! service, lets every request through, and rewrites only redirects whose `Location` points at
//! a configured IdP, so that the IdP also receives the "upstream params" configured for that
//! connection:
//!
//! - a **static** value: `{"blog": {"value": "myblog.wordpress.com"}}` adds
//!   `blog=myblog.wordpress.com`;
//! - a **dynamic** value, aliased from the original request:
//!   `{"screen_name": {"alias": "login_hint"}}` sends the client's `login_hint` to the IdP as
//!   `screen_name`, or the value the broker vouches for in [`UpstreamValues`].
//!
//! The JSON is the one Auth0 (`options.upstream_params`) and Kinde use; see [`config`] for
//! the whole format.
//!
//! # Example
//!
//! ```
//! use http::{header::LOCATION, Request, Response, StatusCode};
//! use tower::{service_fn, ServiceExt};
//! use tower_upstream_params::{Config, UpstreamParamsLayer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_json(r#"{
//!   "connections": {
//!     "twitter": {
//!       "protocol": "oauth1",
//!       "authorization_url": "https://api.twitter.com/oauth/authorize",
//!       "upstream_params": { "screen_name": { "alias": "login_hint" } }
//!     }
//!   }
//! }"#)?;
//!
//! // The broker: answers its /authorize with a redirect to the IdP.
//! let broker = service_fn(|_req: Request<()>| async {
//!     Response::builder()
//!         .status(StatusCode::FOUND)
//!         .header(LOCATION, "https://api.twitter.com/oauth/authorize?oauth_token=T")
//!         .body(())
//! });
//! let service = tower::ServiceBuilder::new()
//!     .layer(UpstreamParamsLayer::new(config))
//!     .service(broker);
//!
//! let request = Request::get("/authorize?client_id=abc&login_hint=john@gmail.com").body(())?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(
//!     response.headers()[LOCATION],
//!     "https://api.twitter.com/oauth/authorize?oauth_token=T&screen_name=john%40gmail.com",
//! );
//! # Ok(())
//! # }
//! ```
//!
//! With axum: `Router::new().route(...).layer(UpstreamParamsLayer::new(config))`.
//!
//! # Which redirects are rewritten
//!
//! A response with status 301, 302, 303, 307 or 308 and exactly one `Location` header that is
//! visible ASCII and an absolute `http(s)` URL whose origin (scheme, host, port) and path
//! match a connection's `authorization_url` (a `*` path segment matches any one segment; a
//! first host label `*` any one DNS label). Everything else passes through untouched.
//!
//! The `Location` is read exactly as the browser will read it: the whitespace around it is
//! ignored and every tab is deleted (`pro\tmpt` is `prompt` at the IdP); hosts are compared
//! as the `url` crate normalizes them, so `https://idp.example@evil.example/` is
//! `evil.example`; and `https:idp.example/x` or `https:/idp.example/x`, which a browser on the
//! broker's `https` page resolves against the broker's own URL, pass through. A rewritten
//! `Location` has no tab.
//!
//! Among connections on the matching endpoint, an [`UpstreamConnection`] response extension
//! picks one by name; otherwise the `Location`'s `client_id` does, else the connection
//! configured without `client_id`; a redirect to a configured endpoint that selects no
//! connection is left alone and reported (`WARN`, `no_connection`).
//!
//! # What the rewrite does
//!
//! Params are resolved in configuration order. An alias reads the response's
//! [`UpstreamValues`], then the request's, then the request query (as its `source` allows),
//! then its `default`; a value that is empty, repeated in the query, longer than `max_len` or
//! not matching `pattern` is not used. A param with no usable value is not sent, and a pair the
//! broker already sent under that name is left as it was. Existing pairs are replaced in
//! place (`mode: replace`), kept (`keep`) or merged as space-delimited lists (`merge`, token
//! by token, byte for byte); `{"remove": true}` deletes the broker's pair.
//!
//! Every byte not changed is copied as it was (`state` and `redirect_uri` are never
//! re-encoded); new pairs are appended, encoded as `application/x-www-form-urlencoded`. A
//! `Location` with `request` or `request_uri` (JAR / PAR), or one that would grow past
//! `limits.max_location_len`, is left unchanged and reported. Bodies are never touched.
//!
//! # What was sent: the report
//!
//! Every redirect that selects a connection carries an [`UpstreamReport`] in its response
//! extensions (dry runs included): the connection, whether the `Location` changed, and each
//! param's [`Outcome`] and [`ValueSource`], never a value. Tests and the broker read it:
//!
//! ```
//! # use http::{header::LOCATION, Request, Response, StatusCode};
//! # use tower::{service_fn, ServiceExt};
//! use tower_upstream_params::{Config, Outcome, UpstreamParamsLayer, UpstreamReport};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let config = Config::from_json(r#"{"connections": {"twitter": {"protocol": "oauth1",
//! #   "authorization_url": "https://api.twitter.com/oauth/authorize",
//! #   "upstream_params": {"screen_name": {"alias": "login_hint"}}}}}"#)?;
//! # let broker = service_fn(|_req: Request<()>| async {
//! #     Response::builder().status(StatusCode::FOUND)
//! #         .header(LOCATION, "https://api.twitter.com/oauth/authorize?oauth_token=T").body(())
//! # });
//! # let service = tower::ServiceBuilder::new().layer(UpstreamParamsLayer::new(config)).service(broker);
//! let request = Request::get("/authorize?login_hint=john@gmail.com").body(())?;
//! let response = service.oneshot(request).await?;
//! let report = response.extensions().get::<UpstreamReport>().expect("a redirect to an IdP");
//! assert_eq!(report.connection(), "twitter");
//! assert_eq!(report.outcome("screen_name"), Some(Outcome::Added));
//! # Ok(())
//! # }
//! ```
//!
//! # Without a redirect
//!
//! The same rules serve brokers with no `Location` to rewrite: [`Config::rewrite_location`]
//! rewrites a whole URL (one handed to a single-page app, or built by a library), and
//! [`Config::resolve`] gives one connection's params for a pushed authorization request's
//! body, JAR claims or `add_extra_param` ([`Resolved::apply_to`] applies them to decoded
//! pairs). [`AliasSources`] says what aliases read. A broker that pushed its request inserts
//! the report `apply_to` returned into its redirect: the layer then leaves that response
//! alone and logs that report.
//!
//! # Operations
//!
//! [`Config::from_path`] loads a file; [`ConfigHandle::watch_file`] reloads it when it
//! changes, keeping the last good configuration ([`FileWatch`]); [`ConfigHandle::update`]
//! patches it without losing a concurrent patch; [`Config::fingerprint`] lets replicas
//! compare what they run. A connection with `"dry_run": true` is a canary: reported, never
//! changed. With the feature `cli`, the `upstream-params` command validates, explains,
//! fingerprints and imports configurations; with `metrics`, outcomes are counted through the
//! `metrics` facade.
//!
//! # Observability
//!
//! `tracing` events under the target `tower_upstream_params`: one `INFO` event per redirect
//! that selects a connection, with the connection name and, per param, `added`, `replaced`,
//! `merged`, `kept`, `removed` or `dropped(reason)` (`missing`, `ambiguous`, `too_long`,
//! `pattern`, `location_too_long`, `par_or_jar`), e.g. `params=screen_name:added` (the
//! report's `Display`); `WARN` events with `reason = "no_connection"` (a configured endpoint,
//! no connection selected) and `"not_candidate"` (an [`UpstreamConnection`] naming a
//! connection whose endpoint the `Location` does not match, whatever its origin); `DEBUG`
//! events for a configured origin whose path matches no endpoint (`"no_endpoint"`: a
//! trailing slash, a typo) and for a non-ASCII `Location`. [`UpstreamParamsLayer::dry_run`]
//! reports without changing anything. A file watch reports `config_loaded`, then
//! `config_reloaded` (`INFO`, with the `fingerprint`), and `config_rejected` (`ERROR`, every
//! problem's path and message, never a value).
//!
//! # Features
//!
//! Both off by default; the library needs neither.
//!
//! - `metrics`: the layer also counts, through the [`metrics`](https://docs.rs/metrics)
//!   facade (whatever recorder the application installs), each redirect that selects a
//!   connection, as `upstream_params_redirects_total` {`connection`, `rewritten`,
//!   `dry_run`}, and each of its params, as `upstream_params_params_total` {`connection`,
//!   `param`, `outcome`}, `outcome` spelled as in the event (`added`, `dropped(missing)`).
//!   Labels are configuration names, outcomes and booleans, never a value. Without the
//!   feature, no metrics code is built.
//! - `cli`: the `upstream-params` command for operators and their CI
//!   (`cargo install tower-upstream-params --features cli`): `validate FILE [--auth0]`,
//!   `explain FILE URL [--query QUERY] [--value NAME=VALUE]... [--connection NAME]`,
//!   `fingerprint FILE`, `import-auth0 FILE`, `schema`. Exit status 0 on success, 1 for an
//!   invalid configuration (every problem printed with its JSON path), 2 for a usage or I/O
//!   error.
//!
//! # How it works
//!
//! Two halves: the **tower adapter** captures what a request carries and hands each response
//! to the **engine**, which knows configuration, `http` messages and text, and nothing of
//! tower. Dependencies run one way: adapter -> engine -> configuration -> text functions. In
//! the order a redirect passes through them:
//!
//! 1. `layer.rs`, `service.rs`, `future.rs` (the adapter): [`UpstreamParamsLayer`] builds
//!    [`UpstreamParams`], whose `call` keeps the request's query and [`UpstreamValues`];
//!    its [`future::ResponseFuture`] hands the response to the engine.
//! 2. `engine/redirect.rs`: is it a redirect with one `Location`? Does it already carry the
//!    broker's own report? It hands the `Location` to `engine/decide.rs`, writes the new one
//!    back, inserts the report and records it ([`UpstreamReport::record`], once).
//! 3. `engine/decide.rs`: the one decision every door renders (the layer,
//!    [`Config::rewrite_location`], [`ConfigHandle::rewrite_location`], `explain`): the
//!    connection selected or the [`Miss`] (`engine/miss.rs`; its events and counts in
//!    `engine/events.rs`), then the rules for the URL:
//!    `text/location.rs` reads the URL as a browser does (tabs deleted; base, query,
//!    fragment), `text/endpoint.rs` its scheme, host, port and path, `config/index.rs` (with
//!    `config/hash.rs`) finds the candidate endpoints and chooses the connection,
//!    `text/scan.rs` and `text/query.rs` read the query once.
//! 4. `engine/resolve.rs` (with `engine/sources.rs`): each param's value, from the sources
//!    its configuration allows.
//! 5. `engine/rewrite.rs` and `engine/merge.rs`: each param's outcome decided
//!    (`engine/edit.rs`), the new `Location` measured, then written in one buffer
//!    (`text/encode.rs` encodes; `text/swar.rs` and `text/bytes.rs` find bytes);
//!    `engine/report.rs` holds the outcomes.
//!
//! Without a redirect, `engine/api.rs` is [`Config::rewrite_location`] and
//! [`Config::resolve`] (and `handle.rs` the same two under a layer's dry run);
//! `engine/pairs.rs` applies the same outcomes to decoded pairs.
//!
//! Configuration is loaded once: `config/json.rs` reads the JSON tree (order and repeated
//! keys kept), `config/validate.rs` checks it with the path of every problem (the name rules
//! in `config/names.rs`, one param in `config/param.rs`, the limits in `config/limits.rs`),
//! `config/compile.rs` builds the compact form and its index (`config/span.rs`);
//! `config/builder.rs` is the Rust builder, `config/auth0.rs` the Auth0 import,
//! `config/fingerprint.rs` the canonical hash, `config/info.rs` [`ConnectionInfo`] for
//! admin pages, `config/file.rs` what `from_path` reads (regular files only).
//! [`ConfigHandle`] (`handle.rs`) swaps the configuration while the layer serves; `watch.rs`
//! is the file watch.
//!
//! With the feature `metrics`, `metrics.rs` holds the counters and the gauge that the engine
//! and the file watch record beside their events (a leaf: it knows names and strings only),
//! and `describe_metrics()`. With the feature
//! `cli`, `src/bin/upstream-params/` is the command, a user of the public API like any other.
//!
//! # Security
//!
//! - **Values are never logged**, nor are queries: a `login_hint` is an email address. Events
//!   carry connection and param names, outcomes and reasons only; `Debug` of
//!   [`UpstreamValues`], [`AliasSources`], [`Rewrite`], [`Resolved`] and [`UpstreamReport`]
//!   prints names, outcomes and lengths only. An [`UpstreamConnection`] name that is not
//!   configured (often a client's `?connection=`) is logged as `unknown` and its length, and
//!   no client input becomes a metrics label.
//! - **Names are visible ASCII**: a param name, an alias name and a `query_aliases` entry are
//!   1 to 256 bytes of `!` to `~` (a NUL would cut a name short at a PHP IdP); connection
//!   names and `client_id` hold no control character.
//! - **Reserved params cannot be touched**: `state`, `redirect_uri`, `client_id`, `nonce`,
//!   PKCE, JAR/PAR, OAuth 1 and SAML signature params (and `scope`, but for `merge`) are
//!   rejected as targets when the configuration loads, in any letter case and in any
//!   spelling a PHP server reads as one of them (`redirect.uri`, `code challenge`).
//! - **Client-controlled values are opt-in**: only the twelve query names Auth0 allows (and
//!   `query_aliases`) may be read from the query, never `state`, `code`, `nonce`,
//!   `redirect_uri` or token-like names; `"source": "broker"` restricts an alias to values the
//!   broker vouches for, and `pattern` / `max_len` validate what is forwarded. `scope` and
//!   `id_token_hint` only ever come from the broker; `limits.max_value_len` bounds every
//!   value sent.
//! - **A canary is never live**: a dry run (the connection's, the configuration's or the
//!   layer's) holds on every door: the layer, `rewrite_location`, and
//!   [`Resolved::values`], which is empty then.
//! - **Origins are compared whole** and as the browser will read them: `idp.example.evil.com`
//!   is not `idp.example`, userinfo tricks resolve to the real host.
//! - **Nothing panics** on any input: bad configuration is a [`ConfigError`]; a response the
//!   layer cannot handle passes through unchanged.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod config;
mod engine;
mod error;
mod extensions;
pub mod future;
mod handle;
mod layer;
#[cfg(feature = "metrics")]
mod metrics;
mod service;
mod text;
mod watch;

pub use config::{Config, ConnectionInfo};
pub use engine::{
    AliasSources, DropReason, Miss, Outcome, ParamReport, Resolved, Rewrite, UpstreamReport,
    ValueSource,
};
pub use error::ConfigError;
pub use extensions::{UpstreamConnection, UpstreamValues};
pub use handle::ConfigHandle;
pub use layer::UpstreamParamsLayer;
pub use service::UpstreamParams;
pub use watch::FileWatch;

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use self::metrics::describe_metrics;

/// Entry points for this crate's own benchmarks and fuzz targets. Not part of the API: no
/// stability promise, hidden from the docs.
#[doc(hidden)]
pub mod __private {
    use std::borrow::Cow;

    use crate::config::Mode;
    use crate::engine::{Edit, Op};

    /// What one param does in [`rewrite`]: `Some(value)` sets it under `mode`, `None` removes
    /// it.
    pub type ParamOp<'a> = (&'a str, Option<&'a str>, Mode);

    /// The pure rewrite of `location` (no tower, no matching): the new `Location` if it
    /// changed and fits in `max_len` bytes.
    ///
    /// Like the layer, it keeps up to 8 edits on the stack, so that what is measured is the
    /// rewrite's own allocation only.
    pub fn rewrite(location: &str, params: &[ParamOp<'_>], max_len: usize) -> Option<String> {
        fn edit<'a>((name, value, mode): &ParamOp<'a>) -> Edit<'a> {
            let op = match value {
                Some(v) => Op::Set(Cow::Borrowed(*v), *mode),
                None => Op::Remove,
            };
            Edit::new(name, op)
        }
        let mut inline = [const { Edit::EMPTY }; 8];
        let mut heap: Vec<Edit<'_>>;
        let edits: &mut [Edit<'_>] = match inline.get_mut(..params.len()) {
            Some(slots) => {
                for (slot, param) in slots.iter_mut().zip(params) {
                    *slot = edit(param);
                }
                slots
            }
            None => {
                heap = params.iter().map(edit).collect();
                &mut heap
            }
        };
        crate::engine::rewrite(location, edits, max_len)
    }

    /// The name of the connection a redirect to `location` selects, if any.
    /// The `Location` is read as the layer reads it (as a browser does: whitespace around it
    /// ignored, tabs and line breaks deleted).
    pub fn select<'c>(config: &'c crate::Config, location: &str) -> Option<&'c str> {
        let location = crate::text::browser_form(location);
        match config.compiled.index.select(&location, None) {
            crate::config::Selection::Selected(id) => config.compiled.connection_name(id),
            _ => None,
        }
    }
}
