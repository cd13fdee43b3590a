//! Operations: `Config::from_path`, `Config::fingerprint`, `ConfigHandle::update`,
//! `ConfigHandle::watch_file`, and every problem of a configuration in one error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tower_upstream_params::{Config, ConfigError, UpstreamParamsLayer};

use crate::common::config;

/// A directory of this test's own under the system's temporary directory, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tower-upstream-params-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `file` the way deployment tools do: a temporary file in the same directory,
    /// renamed over it.
    pub(crate) fn replace(&self, file: &str, text: &str) {
        let tmp = self.0.join(format!(".{file}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.0.join(file)).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `done` until it holds, for at most 10 s.
pub(crate) fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const IDP: &str = "https://idp.example/authorize";

fn version(v: &str) -> String {
    format!(
        r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
            "upstream_params": {{"ver": {{"value": "{v}"}}}}}}}}}}"#
    )
}

// ---------------------------------------------------------------------------------------
// Config::from_path

#[test]
fn from_path_reads_a_file_like_from_json() {
    let dir = TempDir::new("from-path");
    let file = dir.path().join("config.json");
    std::fs::write(&file, version("1")).unwrap();
    assert_eq!(Config::from_path(&file).unwrap(), config(&version("1")));
    // A byte order mark, as some editors write, is skipped.
    std::fs::write(&file, format!("\u{feff}{}", version("1"))).unwrap();
    assert_eq!(Config::from_path(&file).unwrap(), config(&version("1")));
}

#[test]
fn from_path_names_the_file_it_cannot_read_or_parse() {
    let dir = TempDir::new("from-path-errors");
    let missing = dir.path().join("missing.json");
    let err = Config::from_path(&missing).unwrap_err();
    assert_eq!(err.path(), "", "{err}");
    assert!(
        err.to_string().contains(&*missing.to_string_lossy()),
        "{err}"
    );
    assert!(err.message().starts_with("cannot read the file: "), "{err}");
    assert_eq!(err.file(), Some(missing.as_path()));
    assert_eq!(err.problems().count(), 1);

    // A directory is not a file.
    let err = Config::from_path(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains(&*dir.path().to_string_lossy()),
        "{err}"
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"connections": {"#).unwrap();
    let err = Config::from_path(&broken).unwrap_err();
    assert_eq!(err.path(), "");
    let text = err.to_string();
    assert!(text.contains(&*broken.to_string_lossy()), "{text}");
    assert!(
        text.contains("invalid JSON") && text.contains("line 1"),
        "{text}"
    );

    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, b"{\"connections\": {\"\xff\": 1}}").unwrap();
    let err = Config::from_path(&binary).unwrap_err();
    assert!(
        err.to_string().contains(&*binary.to_string_lossy()),
        "{err}"
    );

    // Validation errors keep their JSON paths, as from_json gives them.
    let invalid = dir.path().join("invalid.json");
    let text = r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
        "upstream_params": {"state": {"value": "x"}, "blog": {"alais": "login_hint"}}}}}"#;
    std::fs::write(&invalid, text).unwrap();
    let err = Config::from_path(&invalid).unwrap_err();
    let from_json = Config::from_json(text).unwrap_err();
    assert!(err.problems().eq(from_json.problems()), "{err}");
    assert_eq!(err.file(), Some(invalid.as_path()));
    assert_eq!(err.path(), "connections.c.upstream_params.state");
}

/// A named pipe at `path`, made with the system's `mkfifo` (the test fails if it cannot).
pub(crate) fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}: {status}", path.display());
}

/// Runs `f` on a thread of its own and returns what it returns; fails the test if it takes
/// more than 10 s. `fifo` is opened for writing then, so that a reader blocked on it ends.
pub(crate) fn within_seconds<T: Send + 'static>(
    what: &str,
    fifo: &Path,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(_) => {
            // Unblock the reader (it has the other end), then fail.
            let _ = std::fs::OpenOptions::new().write(true).open(fifo);
            panic!("{what} blocked for 10 s");
        }
    }
}

#[test]
fn from_path_refuses_a_named_pipe_at_once() {
    let dir = TempDir::new("from-path-fifo");
    let fifo = dir.path().join("config.json");
    mkfifo(&fifo);
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    for path in [fifo.clone(), link] {
        let started = Instant::now();
        let read = path.clone();
        let err = within_seconds("Config::from_path of a FIFO", &fifo, move || {
            Config::from_path(&read)
        })
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(err.path(), "");
        assert_eq!(err.file(), Some(path.as_path()));
        assert!(err.message().contains("named pipe"), "{err}");
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    }
}

#[test]
fn from_path_reads_only_regular_files_of_at_most_16_mib() {
    let dir = TempDir::new("from-path-kinds");
    // A character device that reads as empty: not read at all.
    let err = Config::from_path("/dev/null").unwrap_err();
    assert!(err.message().contains("character device"), "{err}");
    let err = Config::from_path(dir.path()).unwrap_err();
    assert!(err.message().contains("a directory"), "{err}");

    // One byte over 16 MiB (sparse: nothing is written).
    let large = dir.path().join("large.json");
    let file = std::fs::File::create(&large).unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    let err = Config::from_path(&large).unwrap_err();
    assert!(err.message().contains("larger than 16 MiB"), "{err}");
    assert_eq!(err.file(), Some(large.as_path()));
    // 16 MiB exactly is read (and is not JSON: zero bytes).
    file.set_len(16 * 1024 * 1024).unwrap();
    let err = Config::from_path(&large).unwrap_err();
    assert!(err.message().starts_with("invalid JSON"), "{err}");
    // Through a symlink, a regular file is read.
    let real = dir.path().join("real.json");
    std::fs::write(&real, version("1")).unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(Config::from_path(&link).unwrap(), config(&version("1")));
}

#[test]
fn a_watched_named_pipe_never_blocks_and_the_watch_drops_at_once() {
    let dir = TempDir::new("watch-fifo");
    let fifo = dir.path().join("config.json");
    mkfifo(&fifo);
    let layer = UpstreamParamsLayer::new(config(&version("0")));
    let handle = layer.handle();
    let path = fifo.clone();
    let started = Instant::now();
    let (error, took_to_drop) = within_seconds("watch_file of a FIFO", &fifo, move || {
        let watch = handle.watch_file(&path, Duration::from_millis(1));
        // Give the thread many reads of the pipe.
        std::thread::sleep(Duration::from_millis(50));
        let error = watch.error();
        let dropping = Instant::now();
        drop(watch);
        (error, dropping.elapsed())
    });
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(took_to_drop < Duration::from_secs(2), "{took_to_drop:?}");
    let error = error.expect("a FIFO is an error");
    assert!(error.message().contains("named pipe"), "{error}");
    assert_eq!(*layer.handle().load(), config(&version("0")));
}

#[test]
fn a_config_error_debug_prints_one_problem_a_line_naming_the_file() {
    let dir = TempDir::new("debug");
    let file = dir.path().join("config.json");
    std::fs::write(
        &file,
        r#"{"connections": {"c": {"authorization_url": "https://idp.example/a",
            "upstream_params": {"state": {"value": "x"}, "blog": {"alais": "login_hint"}},
            "dry_run": 1}}}"#,
    )
    .unwrap();
    let err = Config::from_path(&file).unwrap_err();
    // What `fn main() -> Result<(), Box<dyn Error>>` prints after "Error: ".
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    let debug = format!("{boxed:?}");
    let lines: Vec<&str> = debug.lines().collect();
    let file = file.display().to_string();
    let expected: Vec<String> = err
        .problems()
        .map(|(path, message)| format!("{file}: {path}: {message}"))
        .collect();
    assert_eq!(lines, expected);
    assert!(lines.len() >= 3, "{debug}");
    assert!(!debug.contains("ConfigError"), "{debug}");
    assert!(!debug.contains("Problem"), "{debug}");
    // Display: the same, on one line.
    assert_eq!(err.to_string(), expected.join("; "));
    // Without a file, and for a problem with the whole document.
    let err = Config::from_json("[]").unwrap_err();
    assert_eq!(format!("{err:?}"), "expected an object, found an array");
    let missing = dir.path().join("missing.json");
    let err = Config::from_path(&missing).unwrap_err();
    assert!(
        format!("{err:?}").starts_with(&format!("{}: cannot read the file: ", missing.display())),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// ConfigError: every problem in one pass

#[test]
fn conflicts_are_reported_with_every_other_problem_at_once() {
    let err = Config::from_json(
        r#"{"connections": {
            "a": {"authorization_url": "https://x.example/authorize",
                  "upstream_params": {"blog": {"value": "b", "mode": "sometimes"}}},
            "b": {"authorization_url": "https://y.example/authorize", "client_id": "web",
                  "upstream_params": {"p": {"value": "1"}}},
            "c": {"authorization_url": "https://Y.example:443/authorize", "client_id": "web"},
            "d": {"authorization_url": "https://x.example/authorize",
                  "upstream_params": {"redirect_uri": {"value": "https://evil.example/"}}}
        }}"#,
    )
    .unwrap_err();
    let problems: Vec<(&str, &str)> = err.problems().collect();
    let at = |path: &str, says: &str| problems.iter().any(|(p, m)| *p == path && m.contains(says));
    assert!(
        at("connections.a.upstream_params.blog.mode", "expected one of"),
        "{err}"
    );
    assert!(at("connections.c", "connection \"b\""), "{err}");
    assert!(at("connections.d", "connection \"a\""), "{err}");
    assert!(
        at("connections.d.upstream_params.redirect_uri", "reserved"),
        "{err}"
    );
    assert_eq!(problems.len(), 4, "{err}");
}

// ---------------------------------------------------------------------------------------
// Config::fingerprint

/// A tiny deterministic generator (xorshift64*), so that failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A configuration that uses every key, with and without its default.
fn base() -> Value {
    json!({
        "connections": {
            "wordpress": {
                "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
                "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}
            },
            "twitter": {
                "protocol": "oauth1",
                "authorization_url": "https://api.twitter.com/oauth/authorize",
                "upstream_params": {"screen_name": {"alias": "login_hint"}}
            },
            "google-acme": {
                "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "client_id": "acme.apps.googleusercontent.com",
                "upstream_params": {
                    "prompt": {"value": "select_account", "mode": "merge"},
                    "hd": {"alias": "org_domain", "source": "broker", "default": "acme.com"},
                    "login_hint": {"alias": "login_hint", "pattern": "[^@]+@acme\\.com",
                                   "max_len": 254},
                    "domain_hint": {"alias": "domain_hint", "source": "query", "mode": "keep"},
                    "display": {"remove": true}
                }
            },
            "google": {
                "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                "protocol": "oidc"
            },
            "saml": {
                "protocol": "saml",
                "authorization_url": "https://idp.example/saml/sso",
                "upstream_params": {"ForceAuthn": {"value": "true"}}
            }
        },
        "query_aliases": ["domain_hint", "org_hint"],
        "limits": {"max_value_len": 1024}
    })
}

fn objects_mut(value: &mut Value, f: &mut impl FnMut(&str, &mut Map<String, Value>)) {
    fn walk(key: &str, value: &mut Value, f: &mut impl FnMut(&str, &mut Map<String, Value>)) {
        match value {
            Value::Object(map) => {
                f(key, map);
                for (k, v) in map.iter_mut() {
                    walk(k, v, f);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(key, v, f)),
            _ => {}
        }
    }
    walk("", value, f);
}

/// The same configuration with every object's keys in another order, but `upstream_params`
/// (whose order is meaningful), and `query_aliases` in another order.
fn reorder(value: &Value, rng: &mut Rng) -> Value {
    let mut value = value.clone();
    objects_mut(&mut value, &mut |key, map| {
        if key == "upstream_params" {
            return;
        }
        let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
        rng.shuffle(&mut entries);
        map.extend(entries);
    });
    if let Some(Value::Array(aliases)) = value.get_mut("query_aliases") {
        rng.shuffle(aliases);
    }
    value
}

/// The same configuration with some defaults written out and some written ones left out.
fn toggle_defaults(value: &Value, rng: &mut Rng) -> Value {
    let mut value = value.clone();
    let max_value_len = value["limits"]["max_value_len"].as_u64().unwrap_or(2048);
    let root = value.as_object_mut().unwrap();
    let limits = root
        .entry("limits")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap();
    if rng.coin() {
        limits.insert("max_location_len".into(), json!(8192));
    }
    if rng.coin() && !root.contains_key("query_aliases") {
        root.insert("query_aliases".into(), json!([]));
    }
    for connection in root["connections"].as_object_mut().unwrap().values_mut() {
        let connection = connection.as_object_mut().unwrap();
        if !connection.contains_key("protocol") && rng.coin() {
            connection.insert("protocol".into(), json!("oauth2"));
        }
        if !connection.contains_key("upstream_params") && rng.coin() {
            connection.insert("upstream_params".into(), json!({}));
        }
        let Some(Value::Object(params)) = connection.get_mut("upstream_params") else {
            continue;
        };
        for param in params.values_mut() {
            let param = param.as_object_mut().unwrap();
            if param.contains_key("remove") {
                continue;
            }
            match param.get("mode") {
                None if rng.coin() => {
                    param.insert("mode".into(), json!("replace"));
                }
                Some(m) if m == "replace" && rng.coin() => {
                    param.remove("mode");
                }
                _ => {}
            }
            if param.contains_key("alias") {
                if !param.contains_key("source") && rng.coin() {
                    param.insert("source".into(), json!("any"));
                }
                if !param.contains_key("max_len") && rng.coin() {
                    param.insert("max_len".into(), json!(max_value_len));
                }
            }
        }
    }
    value
}

/// Writes JSON with random whitespace between tokens.
fn write_spaced(value: &Value, rng: &mut Rng, out: &mut String) {
    const SPACE: [&str; 5] = ["", " ", "\n", "\t", "\r\n  "];
    let space = |out: &mut String, rng: &mut Rng| out.push_str(SPACE[rng.below(SPACE.len())]);
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(out, rng);
                out.push_str(&serde_json::to_string(k).unwrap());
                space(out, rng);
                out.push(':');
                space(out, rng);
                write_spaced(v, rng, out);
                space(out, rng);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(out, rng);
                write_spaced(v, rng, out);
            }
            space(out, rng);
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn load(value: &Value) -> Config {
    config(&value.to_string())
}

#[test]
fn the_fingerprint_ignores_whitespace_order_and_written_defaults() {
    let base = base();
    let expected = load(&base).fingerprint();
    assert_eq!(expected.len(), 32);
    assert!(
        expected
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{expected}"
    );
    for seed in 1..=200u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let variant = toggle_defaults(&reorder(&base, &mut rng), &mut rng);
        let mut text = String::new();
        write_spaced(&variant, &mut rng, &mut text);
        let config = config(&text);
        assert_eq!(config.fingerprint(), expected, "seed {seed}: {text}");
        // Through to_json and back: the same.
        assert_eq!(
            Config::from_json(&config.to_json()).unwrap().fingerprint(),
            expected
        );
    }
    // A query alias listed twice means what listing it once does.
    let mut twice = base.clone();
    twice["query_aliases"] = json!(["org_hint", "domain_hint", "org_hint"]);
    assert_eq!(load(&twice).fingerprint(), expected);
    // No connections whichever way it is written.
    let empty = Config::default().fingerprint();
    for text in [
        "{}",
        r#"{"connections": {}}"#,
        r#"{"query_aliases": [], "limits": {"max_value_len": 2048, "max_location_len": 8192}}"#,
    ] {
        assert_eq!(config(text).fingerprint(), empty, "{text}");
    }
}

#[test]
fn the_fingerprint_changes_with_anything_else() {
    let base = base();
    type Change = fn(&mut Value);
    let changes: &[(&str, Change)] = &[
        ("a static value", |v| {
            v["connections"]["wordpress"]["upstream_params"]["blog"]["value"] = json!("other");
        }),
        ("an alias", |v| {
            v["connections"]["twitter"]["upstream_params"]["screen_name"]["alias"] =
                json!("ui_locales");
        }),
        ("a param name", |v| {
            let params = v["connections"]["wordpress"]["upstream_params"]
                .as_object_mut()
                .unwrap();
            let blog = params.remove("blog").unwrap();
            params.insert("Blog".into(), blog);
        }),
        ("a connection name", |v| {
            let connections = v["connections"].as_object_mut().unwrap();
            let wp = connections.remove("wordpress").unwrap();
            connections.insert("wordpress2".into(), wp);
        }),
        ("the order of two params", |v| {
            let params = v["connections"]["google-acme"]["upstream_params"]
                .as_object_mut()
                .unwrap();
            let mut entries: Vec<(String, Value)> = std::mem::take(params).into_iter().collect();
            entries.swap(1, 2);
            params.extend(entries);
        }),
        ("a param added", |v| {
            v["connections"]["google"]["upstream_params"] = json!({"x": {"value": "1"}});
        }),
        ("a param removed", |v| {
            v["connections"]["google-acme"]["upstream_params"]
                .as_object_mut()
                .unwrap()
                .remove("display");
        }),
        ("a connection removed", |v| {
            v["connections"].as_object_mut().unwrap().remove("google");
        }),
        ("a client_id", |v| {
            v["connections"]["google-acme"]["client_id"] = json!("other.apps");
        }),
        ("a client_id added", |v| {
            v["connections"]["google"]["client_id"] = json!("plain.apps");
        }),
        ("an authorization_url", |v| {
            v["connections"]["saml"]["authorization_url"] = json!("https://idp.example/saml/sso2");
        }),
        ("a protocol", |v| {
            v["connections"]["google"]["protocol"] = json!("oauth2");
        }),
        ("a mode", |v| {
            v["connections"]["google-acme"]["upstream_params"]["prompt"]["mode"] = json!("keep");
        }),
        ("a source", |v| {
            v["connections"]["google-acme"]["upstream_params"]["domain_hint"]["source"] =
                json!("any");
        }),
        ("a default", |v| {
            v["connections"]["google-acme"]["upstream_params"]["hd"]["default"] = json!("acme.org");
        }),
        ("a default removed", |v| {
            v["connections"]["google-acme"]["upstream_params"]["hd"]
                .as_object_mut()
                .unwrap()
                .remove("default");
        }),
        ("a pattern", |v| {
            v["connections"]["google-acme"]["upstream_params"]["login_hint"]["pattern"] =
                json!("[^@]+@acme\\.org");
        }),
        ("a max_len", |v| {
            v["connections"]["google-acme"]["upstream_params"]["login_hint"]["max_len"] =
                json!(253);
        }),
        ("an alias's default max_len, through limits", |v| {
            v["limits"]["max_value_len"] = json!(1023);
        }),
        ("max_location_len", |v| {
            v["limits"]["max_location_len"] = json!(8191);
        }),
        ("a query alias added", |v| {
            v["query_aliases"] = json!(["domain_hint", "org_hint", "tenant_hint"]);
        }),
        ("remove turned into a value", |v| {
            v["connections"]["google-acme"]["upstream_params"]["display"] =
                json!({"value": "page"});
        }),
    ];
    let expected = load(&base).fingerprint();
    let mut seen = HashSet::from([expected.clone()]);
    for (what, change) in changes {
        let mut changed = base.clone();
        change(&mut changed);
        let fingerprint = load(&changed).fingerprint();
        assert_ne!(fingerprint, expected, "{what}");
        assert!(seen.insert(fingerprint), "{what}: same as another change");
    }
}

#[test]
fn the_fingerprint_covers_dry_run() {
    let with = |dry_run: &str| {
        Config::from_json(&format!(
            r#"{{"connections": {{"a": {{"authorization_url": "{IDP}"{dry_run}}}}}}}"#
        ))
    };
    let (absent, off, on) = (
        with(""),
        with(r#", "dry_run": false"#),
        with(r#", "dry_run": true"#),
    );
    match (absent, off, on) {
        (Ok(absent), Ok(off), Ok(on)) => {
            assert_eq!(absent.fingerprint(), off.fingerprint());
            assert_ne!(absent.fingerprint(), on.fingerprint());
        }
        // Until the connection key `dry_run` lands in the loader it is refused as an unknown
        // key; the fingerprint's handling of it is tested on the JSON tree in
        // src/config/fingerprint.rs meanwhile.
        (Ok(_), Err(e), _) | (Ok(_), _, Err(e)) if e.path() == "connections.a.dry_run" => {}
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// ConfigHandle::update

#[test]
fn concurrent_updates_never_lose_one_another() {
    const THREADS: usize = 8;
    const EACH: usize = 50;
    let layer = UpstreamParamsLayer::new(config(&format!(
        r#"{{"connections": {{"c": {{"authorization_url": "{IDP}"}}}}}}"#
    )));
    let calls = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let handle = layer.handle();
            let calls = &calls;
            scope.spawn(move || {
                for i in 0..EACH {
                    // Even threads add a param to "c", odd threads add a connection.
                    let patch = if t % 2 == 0 {
                        format!(
                            r#"{{"connections": {{"c": {{"upstream_params":
                                {{"p{t}_{i}": {{"value": "{t}.{i}"}}}}}}}}}}"#
                        )
                    } else {
                        format!(
                            r#"{{"connections": {{"c{t}_{i}": {{
                                "authorization_url": "https://idp{t}-{i}.example/authorize"}}}}}}"#
                        )
                    };
                    let stored = handle
                        .update(|current| {
                            calls.fetch_add(1, Ordering::Relaxed);
                            current.merge_patch(&patch)
                        })
                        .unwrap();
                    assert!(stored.to_json().contains(&format!("{t}_{i}")));
                }
            });
        }
    });
    let end = layer.handle().load();
    let json = end.to_json();
    let tree: Value = serde_json::from_str(&json).unwrap();
    let params = tree["connections"]["c"]["upstream_params"]
        .as_object()
        .map_or(0, Map::len);
    assert_eq!(params, THREADS / 2 * EACH, "params lost");
    assert_eq!(
        end.connection_names().count(),
        1 + THREADS / 2 * EACH,
        "connections lost"
    );
    for t in 0..THREADS {
        for i in 0..EACH {
            assert!(json.contains(&format!("{t}_{i}\"")), "{t}_{i} lost");
        }
    }
    eprintln!("update: {} calls", calls.load(Ordering::Relaxed));
    // Each update ran at least once; some ran again after losing a race.
    assert!(calls.load(Ordering::Relaxed) >= THREADS * EACH);
}

#[test]
fn a_failed_update_stores_nothing() {
    let layer = UpstreamParamsLayer::new(config(&version("1")));
    let handle = layer.handle();
    let before = handle.load();
    let err = handle
        .update(|c| {
            c.merge_patch(
                r#"{"connections": {"idp": {"upstream_params": {"state": {"value": "x"}}}}}"#,
            )
        })
        .unwrap_err();
    assert_eq!(err.path(), "connections.idp.upstream_params.state");
    assert!(std::sync::Arc::ptr_eq(&before, &handle.load()));
    let err = handle
        .update(|_| Err::<Config, _>(Config::from_json("[]").unwrap_err()))
        .unwrap_err();
    assert_eq!(err.message(), "expected an object, found an array");
    assert!(std::sync::Arc::ptr_eq(&before, &handle.load()));

    let stored = handle.update(|_| Ok(config(&version("2")))).unwrap();
    assert!(std::sync::Arc::ptr_eq(&stored, &handle.load()));
    assert_eq!(*stored, config(&version("2")));
}

// ---------------------------------------------------------------------------------------
// ConfigHandle::watch_file

fn fingerprint_of(layer: &UpstreamParamsLayer) -> String {
    layer.handle().load().fingerprint()
}

#[test]
fn a_missing_file_keeps_the_configuration_until_it_appears() {
    let dir = TempDir::new("watch-missing");
    let file = dir.path().join("config.json");
    let layer = UpstreamParamsLayer::new(config(&version("0")));
    let watch = layer.handle().watch_file(&file, Duration::from_millis(10));
    assert_eq!(watch.path(), file);
    assert_eq!(watch.interval(), Duration::from_millis(10));
    // Read once before watch_file returned.
    let err = watch.error().expect("a missing file is an error");
    assert!(err.to_string().contains(&*file.to_string_lossy()), "{err}");
    assert_eq!(watch.fingerprint(), None);
    assert_eq!(*layer.handle().load(), config(&version("0")));

    dir.replace("config.json", &version("1"));
    let v1 = config(&version("1")).fingerprint();
    eventually("the file to load", || fingerprint_of(&layer) == v1);
    eventually("the watch to say so", || watch.error().is_none());
    assert_eq!(watch.fingerprint().as_deref(), Some(v1.as_str()));

    // Deleted: the configuration stays.
    std::fs::remove_file(&file).unwrap();
    eventually("the deletion to be seen", || watch.error().is_some());
    assert_eq!(fingerprint_of(&layer), v1);
    // Back, with the same bytes: loaded again.
    dir.replace("config.json", &version("1"));
    eventually("the file to be read again", || watch.error().is_none());
    assert_eq!(fingerprint_of(&layer), v1);
}

#[test]
fn a_file_that_does_not_load_leaves_the_configuration_in_place() {
    let dir = TempDir::new("watch-invalid");
    let file = dir.path().join("config.json");
    dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer.handle().watch_file(&file, Duration::from_millis(5));
    let v1 = config(&version("1")).fingerprint();
    // Loaded before watch_file returned.
    assert_eq!(fingerprint_of(&layer), v1);
    assert_eq!(watch.fingerprint().as_deref(), Some(v1.as_str()));
    assert_eq!(watch.error(), None);

    // Cut short, as a reader may see a file written in place.
    let text = version("2");
    dir.replace("config.json", &text[..text.len() / 2]);
    eventually("the cut file to be rejected", || watch.error().is_some());
    assert_eq!(watch.error().unwrap().path(), "");
    assert_eq!(fingerprint_of(&layer), v1);

    // JSON, but not a valid configuration.
    dir.replace(
        "config.json",
        &format!(
            r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
                "upstream_params": {{"state": {{"value": "x"}}}}}}}}}}"#
        ),
    );
    eventually("the invalid configuration to be rejected", || {
        watch
            .error()
            .is_some_and(|e| e.path() == "connections.idp.upstream_params.state")
    });
    assert_eq!(fingerprint_of(&layer), v1);
    assert_eq!(watch.fingerprint().as_deref(), Some(v1.as_str()));

    // Fixed: loaded.
    dir.replace("config.json", &version("2"));
    let v2 = config(&version("2")).fingerprint();
    eventually("the fixed file to load", || fingerprint_of(&layer) == v2);
    eventually("the watch to say so", || watch.error().is_none());
}

#[test]
fn the_file_wins_over_a_store_only_when_it_changes() {
    let dir = TempDir::new("watch-store");
    let file = dir.path().join("config.json");
    dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer.handle().watch_file(&file, Duration::from_millis(5));
    layer.handle().store(config(&version("stored")));
    // The file has not changed: what was stored stays (give the thread a few reads).
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(*layer.handle().load(), config(&version("stored")));
    dir.replace("config.json", &version("2"));
    let v2 = config(&version("2")).fingerprint();
    eventually("the changed file to load", || fingerprint_of(&layer) == v2);
    drop(watch);
}

#[test]
fn an_update_outlives_a_file_that_goes_away_and_comes_back_unchanged() {
    let dir = TempDir::new("watch-transient");
    let file = dir.path().join("config.json");
    dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    let handle = layer.handle();
    let watch = handle.watch_file(&file, Duration::from_millis(5));
    assert_eq!(*handle.load(), config(&version("1")));
    let updated = handle
        .update(|current| {
            current.merge_patch(
                r#"{"connections": {"idp": {"upstream_params": {"extra": {"value": "u"}}}}}"#,
            )
        })
        .unwrap();

    // Moved away for ~100 ms (a deployment tool's delete-then-write), then back as it was.
    let away = dir.path().join("config.json.moved");
    std::fs::rename(&file, &away).unwrap();
    eventually("the missing file to be seen", || watch.error().is_some());
    std::thread::sleep(Duration::from_millis(100));
    std::fs::rename(&away, &file).unwrap();
    eventually("the file to read again", || watch.error().is_none());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(*handle.load(), *updated, "the update was undone");

    // Half written, then whole again, the same bytes: the update still stays.
    let text = version("1");
    dir.replace("config.json", &text[..text.len() / 2]);
    eventually("the cut file to be rejected", || watch.error().is_some());
    dir.replace("config.json", &text);
    eventually("the whole file to read again", || watch.error().is_none());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(*handle.load(), *updated, "the update was undone");

    // A real change wins.
    dir.replace("config.json", &version("2"));
    let v2 = config(&version("2")).fingerprint();
    eventually("the changed file to load", || fingerprint_of(&layer) == v2);
}

#[test]
fn dropping_the_watch_stops_it_promptly() {
    let dir = TempDir::new("watch-drop");
    let file = dir.path().join("config.json");
    dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    // An interval far longer than the test: the drop must not wait for it.
    let watch = layer.handle().watch_file(&file, Duration::from_secs(3600));
    assert_eq!(fingerprint_of(&layer), config(&version("1")).fingerprint());
    assert!(format!("{watch:?}").contains("FileWatch"));
    let stops_promptly = |watch| {
        let started = Instant::now();
        drop(watch);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
    };
    stops_promptly(watch);
    // Even with an interval that no clock can add.
    stops_promptly(layer.handle().watch_file(&file, Duration::MAX));

    let watch = layer.handle().watch_file(&file, Duration::from_millis(1));
    drop(watch);
    // The thread has ended: the file's changes are no longer loaded.
    dir.replace("config.json", &version("2"));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(fingerprint_of(&layer), config(&version("1")).fingerprint());
}

#[test]
fn a_zero_interval_is_taken_as_a_millisecond() {
    let dir = TempDir::new("watch-zero");
    dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer
        .handle()
        .watch_file(dir.path().join("config.json"), Duration::ZERO);
    assert_eq!(watch.interval(), Duration::from_millis(1));
    dir.replace("config.json", &version("2"));
    let v2 = config(&version("2")).fingerprint();
    eventually("the change", || fingerprint_of(&layer) == v2);
}

#[test]
fn a_file_watch_can_be_kept_in_shared_state() {
    fn shared<T: Send + Sync + std::fmt::Debug + 'static>() {}
    shared::<tower_upstream_params::FileWatch>();
    shared::<ConfigError>();
}
