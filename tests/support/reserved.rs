//! DESIGN.md's reserved targets ("JSON configuration"), written out from the contract for
//! the tests, so that no test reads the list it checks from the code under test.

#![allow(dead_code)]

/// The names no param may add, replace or remove, in any letter case (`scope` aside: it is
/// reserved in every mode but `merge`, see [`SCOPE`]).
pub(crate) const RESERVED: [&str; 22] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "redirect_uri",
    "response_type",
    "response_mode",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "request",
    "request_uri",
    "oauth_token",
    "oauth_callback",
    "oauth_signature",
    "SAMLRequest",
    "SAMLResponse",
    "RelayState",
    "SigAlg",
    "Signature",
];

/// Reserved in every mode but `merge`.
pub(crate) const SCOPE: &str = "scope";
