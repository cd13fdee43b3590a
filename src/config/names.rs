//! Names: the query names aliases may read, the reserved targets no param may touch, and
//! how a PHP server reads a name.

/// The query names an alias may read with `"source": "any"` or `"query"`, besides
/// `query_aliases`: the ones Auth0 allows.
pub(crate) const QUERY_SOURCES: [&str; 12] = [
    "acr_values",
    "audience",
    "client_id",
    "display",
    "id_token_hint",
    "login_hint",
    "max_age",
    "prompt",
    "resource",
    "response_mode",
    "response_type",
    "ui_locales",
];

/// Names never read from the query (compared case-insensitively in `query_aliases`).
pub(crate) const FORBIDDEN_SOURCES: [&str; 13] = [
    "state",
    "code",
    "nonce",
    "redirect_uri",
    "code_verifier",
    "code_challenge",
    "client_secret",
    "client_assertion",
    "request",
    "request_uri",
    "access_token",
    "refresh_token",
    "id_token",
];

/// Names no param may add, replace or remove (compared case-insensitively). `scope` is
/// reserved too, but for `"mode": "merge"`.
pub(crate) const RESERVED_TARGETS: [&str; 22] = [
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

/// The reserved target `name` is, or is read as: compared ignoring ASCII case, as it is and
/// as a PHP server reads it (see [`php_names`]).
pub(crate) fn reserved_as(name: &str) -> Option<&'static str> {
    RESERVED_TARGETS
        .iter()
        .copied()
        .find(|reserved| reserved_as_php(name, reserved))
}

/// Whether `name`, or a name a PHP server reads it as, is `reserved` (ignoring ASCII case).
pub(crate) fn reserved_as_php(name: &str, reserved: &str) -> bool {
    name.eq_ignore_ascii_case(reserved)
        || php_names(name)
            .iter()
            .any(|read| read.eq_ignore_ascii_case(reserved))
}

/// The names a PHP server (WordPress.com is the seeds' own IdP) may read a query name as.
///
/// PHP drops leading spaces, turns `.` and ` ` into `_`, reads `name[...]` as the array
/// `name`, and turns an unclosed `[` into `_` (leaving what follows as it is). With two pairs
/// of one name it keeps the last, so a param read as `redirect_uri` would override the
/// broker's. This returns each reading: every `.`, ` ` and `[` turned into `_` (what PHP
/// documents), PHP's own conversion (which stops at an unclosed `[`), and the array's name.
/// A target matching any of them is refused.
fn php_names(name: &str) -> [String; 3] {
    let name = name.trim_start_matches(' ');
    let all: String = name
        .chars()
        .map(|c| if matches!(c, '.' | ' ' | '[') { '_' } else { c })
        .collect();
    let (php, array) = match name.find('[') {
        Some(open) => {
            let head: String = name[..open]
                .chars()
                .map(|c| if matches!(c, '.' | ' ') { '_' } else { c })
                .collect();
            if name[open..].contains(']') {
                (head.clone(), head)
            } else {
                (format!("{head}_{}", &name[open + 1..]), String::new())
            }
        }
        None => (all.clone(), String::new()),
    };
    [all, php, array]
}
