//! Names (issue 17, item 1; DESIGN.md "JSON configuration", **Names**): a param name, an
//! alias name and a `query_aliases` entry are 1 to 256 bytes of visible ASCII; connection
//! names and `client_id` hold no control character. Proved against the real thing: PHP's own
//! `parse_str` reads every one-byte mutation of every reserved name, and every name it reads
//! as reserved must be refused at load.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use tower_upstream_params::config::{Connection, Param, Source};
use tower_upstream_params::{Config, ConfigError};

use crate::reserved::{RESERVED, SCOPE};

/// DESIGN.md's reserved targets, and `scope` (reserved in every mode but `merge`; the
/// configurations below use the default mode, `replace`).
fn reserved() -> impl Iterator<Item = &'static str> {
    RESERVED.into_iter().chain([SCOPE])
}

const INSTALL_PHP: &str = "`php` is not on the PATH: this test asks PHP's own parse_str what a \
    PHP IdP reads each name as. Install it (Debian: `apt-get update -qq && apt-get install -y \
    -qq php-cli`; .ci/run does).";

/// The key PHP's `parse_str` reads for each query (`None`: no key at all), through one `php`
/// process: every query a line on its stdin, every answer a line (hex) on its stdout.
fn php_keys(queries: &[String]) -> Vec<Option<Vec<u8>>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/php/parse_str.php");
    let mut child = Command::new("php")
        .args(["-d", "display_errors=stderr"])
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{INSTALL_PHP} ({e})"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = queries.iter().map(|q| format!("{q}\n")).collect();
    // Written from another thread, so that neither pipe fills up while the other waits.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("piped stdout");
    let answers: Vec<Option<Vec<u8>>> = BufReader::new(stdout)
        .lines()
        .map(|line| {
            let line = line.expect("php's answer is a line");
            (line != "-").then(|| hex(&line))
        })
        .collect();
    writer
        .join()
        .expect("writer thread")
        .expect("write the queries to php");
    let status = child.wait().expect("wait for php");
    assert!(status.success(), "php {}: {status}", script.display());
    assert_eq!(
        answers.len(),
        queries.len(),
        "one answer per query from php"
    );
    answers
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("php printed hex"))
        .collect()
}

/// Every name one byte away from `name`: a byte inserted at every position (the first is a
/// prefix, the last a suffix) and every byte replaced, with every byte 0x00-0xFF. A byte
/// from 0x80 up cannot stand alone in a JSON or Rust string: it is the char U+0080..U+00FF,
/// whose UTF-8 bytes are what the rewrite sends.
fn mutations(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    for byte in 0..=255u8 {
        let c = char::from(byte);
        for at in 0..=chars.len() {
            let mut inserted = chars.clone();
            inserted.insert(at, c);
            out.push(inserted.into_iter().collect());
        }
        for at in 0..chars.len() {
            let mut replaced = chars.clone();
            replaced[at] = c;
            out.push(replaced.into_iter().collect());
        }
    }
    out
}

fn with_param(name: &str) -> String {
    format!(
        r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
            "upstream_params": {{{}: {{"value": "x"}}}}}}}}}}"#,
        serde_json::to_string(name).expect("a string")
    )
}

#[test]
fn every_name_php_reads_as_reserved_is_refused() {
    let all: Vec<&str> = reserved().collect();
    let mut names: Vec<String> = all.iter().map(|n| n.to_string()).collect();
    let mut seen: HashSet<String> = names.iter().cloned().collect();
    for &reserved in &all {
        for name in mutations(reserved) {
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
    }
    // As the rewrite writes a new pair: the name through `byte_serialize`.
    let queries: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                "{}=x",
                url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let keys = php_keys(&queries);

    let mut read_as_reserved = 0;
    let mut nul_forms = 0;
    let mut loaded = Vec::new();
    for (name, key) in names.iter().zip(&keys) {
        let Some(key) = key else { continue };
        let Some(reserved) = all.iter().find(|r| r.as_bytes().eq_ignore_ascii_case(key)) else {
            continue;
        };
        read_as_reserved += 1;
        nul_forms += usize::from(name.contains('\0'));
        match Config::from_json(&with_param(name)) {
            Ok(_) => loaded.push(format!("{name:?} (PHP reads {reserved:?})")),
            Err(err) => {
                let path = format!("connections.c.upstream_params.{name}");
                assert!(
                    err.problems().any(|(p, _)| p == path),
                    "{name:?}: refused, but not at its path: {err}"
                );
            }
        }
    }
    // PHP was asked and answered as PHP does: every reserved name is itself, and the NUL
    // forms (`state\0`, `state\0x`: PHP cuts a name at NUL) read as reserved.
    for (name, key) in names.iter().zip(&keys).take(all.len()) {
        assert_eq!(key.as_deref(), Some(name.as_bytes()), "PHP reads {name:?}");
    }
    for &reserved in &all {
        let suffixed = format!("{reserved}\0");
        let at = names
            .iter()
            .position(|n| *n == suffixed)
            .expect("a mutation");
        assert_eq!(
            keys[at].as_deref(),
            Some(reserved.as_bytes()),
            "{suffixed:?}"
        );
    }
    assert!(nul_forms > all.len(), "{nul_forms} NUL forms");
    assert!(read_as_reserved > nul_forms, "{read_as_reserved}");
    assert!(
        loaded.is_empty(),
        "{} of {} names PHP reads as reserved loaded:\n{}",
        loaded.len(),
        read_as_reserved,
        loaded.join("\n")
    );
}

fn refused_at(result: Result<Config, ConfigError>, path: &str, words: &str) {
    match result {
        Ok(_) => panic!("loaded, but {path} is not a valid name"),
        Err(err) => assert!(
            err.problems().any(|(p, m)| p == path && m.contains(words)),
            "expected `{path}: ...{words}...`, got: {err}"
        ),
    }
}

/// The names a param, an alias or a `query_aliases` entry may not have, and a word of the
/// message each gets.
fn bad_names() -> Vec<(String, &'static str)> {
    vec![
        ("blog\0".to_owned(), "visible ASCII"),
        ("\0".to_owned(), "visible ASCII"),
        ("a b".to_owned(), "visible ASCII"),
        (" blog".to_owned(), "visible ASCII"),
        ("blog\t".to_owned(), "visible ASCII"),
        ("blog\n".to_owned(), "visible ASCII"),
        ("blog\u{7f}".to_owned(), "visible ASCII"),
        ("blög".to_owned(), "visible ASCII"),
        ("blog\u{85}".to_owned(), "visible ASCII"),
        ("\u{feff}blog".to_owned(), "visible ASCII"),
        ("x".repeat(257), "256"),
        (String::new(), "empty"),
    ]
}

#[test]
fn param_names_are_visible_ascii_in_json_builder_and_patches() {
    let base = Config::from_json(
        r#"{"connections": {"c": {"authorization_url": "https://idp.example/a"}}}"#,
    )
    .unwrap();
    for (name, words) in bad_names() {
        let path = format!("connections.c.upstream_params.{name}");
        refused_at(Config::from_json(&with_param(&name)), &path, words);
        refused_at(
            Config::builder()
                .connection(
                    "c",
                    Connection::new("https://idp.example/a").param(name.clone(), Param::value("x")),
                )
                .build(),
            &path,
            words,
        );
        let patch = format!(
            r#"{{"connections": {{"c": {{"upstream_params": {{{}: {{"remove": true}}}}}}}}}}"#,
            serde_json::to_string(&name).unwrap()
        );
        refused_at(base.merge_patch(&patch), &path, words);
    }
    // Every visible ASCII byte, and 256 bytes of them, may be a name.
    let all: String = (b'!'..=b'~').map(char::from).collect();
    for name in [all.as_str(), &"x".repeat(256), "!", "~", "a.b", "x[y]"] {
        Config::from_json(&with_param(name)).unwrap_or_else(|e| panic!("{name:?}: {e}"));
    }
}

#[test]
fn alias_names_and_query_aliases_are_visible_ascii() {
    for (name, words) in bad_names() {
        let alias = serde_json::to_string(&name).unwrap();
        let json = format!(
            r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
                "upstream_params": {{"p": {{"alias": {alias}, "source": "broker"}}}}}}}},
                "query_aliases": ["domain_hint", {alias}]}}"#
        );
        let err = Config::from_json(&json).unwrap_err();
        for path in ["connections.c.upstream_params.p.alias", "query_aliases[1]"] {
            assert!(
                err.problems().any(|(p, m)| p == path && m.contains(words)),
                "{name:?}: expected `{path}: ...{words}...`, got: {err}"
            );
        }
        refused_at(
            Config::builder()
                .query_alias(name.clone())
                .connection(
                    "c",
                    Connection::new("https://idp.example/a")
                        .param("p", Param::alias(name.clone()).source(Source::Broker)),
                )
                .build(),
            "connections.c.upstream_params.p.alias",
            words,
        );
        let base = Config::from_json(r#"{"query_aliases": ["domain_hint"]}"#).unwrap();
        refused_at(
            base.merge_patch(&format!(r#"{{"query_aliases": [{alias}]}}"#)),
            "query_aliases[0]",
            words,
        );
    }
    // A broker alias of any visible ASCII name loads.
    let json = r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
        "upstream_params": {"p": {"alias": "org.domain[0]", "source": "broker"}}}},
        "query_aliases": ["x-hint", "~"]}"#;
    Config::from_json(json).unwrap();
}

#[test]
fn connection_names_and_client_ids_hold_no_control_character() {
    for bad in [
        "acme\0",
        "acme\n",
        "\u{1b}[31macme",
        "acme\u{7f}",
        "acme\u{9b}",
    ] {
        let name = serde_json::to_string(bad).unwrap();
        let json = format!(
            r#"{{"connections": {{{name}: {{"authorization_url": "https://idp.example/a"}}}}}}"#
        );
        let path = format!("connections.{bad}");
        refused_at(Config::from_json(&json), &path, "control character");
        refused_at(
            Config::builder()
                .connection(bad, Connection::new("https://idp.example/a"))
                .build(),
            &path,
            "control character",
        );
        refused_at(
            Config::default().merge_patch(&format!(
                r#"{{"connections": {{{name}: {{"authorization_url": "https://idp.example/a"}}}}}}"#
            )),
            &path,
            "control character",
        );

        let json = format!(
            r#"{{"connections": {{"c": {{"authorization_url": "https://idp.example/a",
                "client_id": {name}}}}}}}"#
        );
        refused_at(
            Config::from_json(&json),
            "connections.c.client_id",
            "control character",
        );
        refused_at(
            Config::builder()
                .connection("c", Connection::new("https://idp.example/a").client_id(bad))
                .build(),
            "connections.c.client_id",
            "control character",
        );
        let base = Config::from_json(
            r#"{"connections": {"c": {"authorization_url": "https://idp.example/a"}}}"#,
        )
        .unwrap();
        refused_at(
            base.merge_patch(&format!(
                r#"{{"connections": {{"c": {{"client_id": {name}}}}}}}"#
            )),
            "connections.c.client_id",
            "control character",
        );
    }
    // Spaces, dots and any other Unicode are fine there: they are printed as they are.
    let json = r#"{"connections": {"acme.com google (ü)": {
        "authorization_url": "https://idp.example/a", "client_id": "acme app ☃"}}}"#;
    let config = Config::from_json(json).unwrap();
    assert_eq!(
        config.connection_names().collect::<Vec<_>>(),
        ["acme.com google (ü)"]
    );
}

#[test]
fn a_message_never_holds_the_bad_name_itself() {
    // The name is in the path already; the message says what is wrong without repeating
    // its bytes (a terminal escape in a name must not reach a log twice).
    let err = Config::from_json(&with_param("\u{1b}[2Jx")).unwrap_err();
    let (_, message) = err
        .problems()
        .find(|(p, _)| p.ends_with("x"))
        .expect("a problem at the name");
    assert!(!message.contains('\u{1b}'), "{message:?}");
    assert!(message.contains("0x1b"), "{message:?}");
}
