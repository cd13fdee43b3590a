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

/// The longest param name, alias name or `query_aliases` entry, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// What is wrong with `name` as a param name, an alias name or a `query_aliases` entry
/// (`what` says which, for the message), if anything: each is 1 to [`MAX_NAME_LEN`] bytes of
/// visible ASCII (`!` to `~`).
///
/// No space, no control character, no byte past ASCII: PHP cuts a name at a NUL (so
/// `state\0x` is `state` at a PHP IdP), drops leading spaces, and a name that is not
/// printable cannot be logged or read as it is. The message names the first byte refused by
/// its value and offset, never the name itself (the JSON path holds it already, and a
/// terminal escape must not reach a log twice).
pub(crate) fn name_problem(what: &str, name: &str) -> Option<String> {
    const RULE: &str = "1 to 256 bytes of visible ASCII (\"!\" to \"~\")";
    if name.is_empty() {
        return Some(format!("{what} must not be empty: it is {RULE}"));
    }
    if let Some((at, byte)) = name
        .bytes()
        .enumerate()
        .find(|&(_, b)| !b.is_ascii_graphic())
    {
        let kind = match byte {
            b' ' => "a space",
            0x80.. => "a byte past ASCII",
            _ => "a control character",
        };
        return Some(format!(
            "{what} is {RULE}: byte {at} is {kind} (0x{byte:02x})"
        ));
    }
    (name.len() > MAX_NAME_LEN)
        .then(|| format!("{what} is {RULE}: this one is {} bytes long", name.len()))
}

/// What is wrong with `text` as a connection name or a `client_id` (`what` says which), if
/// anything: it holds no control character (Unicode `Cc`: U+0000 to U+001F, U+007F to
/// U+009F), so that logs, metrics labels and the command line print it as it is. Spaces,
/// dots and any other Unicode are fine. The message names the character by its code point,
/// not the text.
pub(crate) fn control_problem(what: &str, text: &str) -> Option<String> {
    text.chars()
        .enumerate()
        .find(|(_, c)| c.is_control())
        .map(|(at, c)| {
            format!(
                "{what} must not contain a control character: character {at} is U+{:04X}",
                u32::from(c)
            )
        })
}
