//! Black-box tests of the layer: through `tower::ServiceExt::oneshot`, axum's
//! `Router::layer`, `tower-test` and a real hyper server on loopback.

mod common;
#[path = "../support/reserved.rs"]
mod reserved;

mod auth0;
mod browser;
mod config;
mod engine;
mod examples;
mod observability;
mod ops;
mod passthrough;
mod readiness;
mod reload;
mod replicas;
mod router;
mod rules;
mod seeds;
mod wildcards;

mod adversarial;
mod config_attacks;
mod home_realm;
mod load;
mod names;
mod not_utf8;
