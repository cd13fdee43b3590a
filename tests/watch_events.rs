//! The events of a file watch, from whichever thread emits them: `config_loaded` the first
//! time, `config_reloaded` after (both with the fingerprint), and `config_rejected` with
//! every problem's path and message, never a configured value.
//!
//! One global subscriber gathers every event of this binary; each test reads the lines that
//! name its own file (every event of a watch carries its `path`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use tower_upstream_params::{Config, UpstreamParamsLayer};

static EVENTS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        EVENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| Capture)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
}

/// Every event line so far that names `file`.
fn events_of(file: &Path) -> Vec<String> {
    let events = EVENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = file.to_string_lossy();
    String::from_utf8_lossy(&events)
        .lines()
        .filter(|line| line.contains(&*file))
        .map(str::to_owned)
        .collect()
}

/// Polls the events of `file` until one satisfies `found`, for at most 10 s.
fn wait_for(file: &Path, what: &str, found: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(line) = events_of(file).into_iter().find(|l| found(l)) {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} event for {}: {:#?}",
            file.display(),
            events_of(file)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tup-events-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `file` by a rename, as deployment tools do.
    fn replace(&self, file: &str, text: &str) -> PathBuf {
        let tmp = self.0.join(format!(".{file}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        let path = self.0.join(file);
        std::fs::rename(&tmp, &path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const IDP: &str = "https://idp.example/authorize";

/// A secret where configured values go. No event or error message may hold it.
const SECRET: &str = "s3cr3t-t0ken-9f8e7d";

fn version(v: &str) -> String {
    format!(
        r#"{{"connections": {{"idp": {{"authorization_url": "{IDP}",
            "upstream_params": {{"ver": {{"value": "{v}"}}}}}}}}}}"#
    )
}

#[test]
fn the_first_load_is_config_loaded_and_later_ones_config_reloaded() {
    install();
    let dir = TempDir::new("loaded");
    let file = dir.replace("config.json", &version("1"));
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer.handle().watch_file(&file, Duration::from_millis(2));
    let v1 = Config::from_json(&version("1")).unwrap().fingerprint();
    let loaded = wait_for(&file, "config_loaded", |l| {
        l.contains("reason=\"config_loaded\"")
    });
    assert!(loaded.contains(" INFO "), "{loaded}");
    assert!(loaded.contains(&format!("fingerprint={v1}")), "{loaded}");

    dir.replace("config.json", &version("2"));
    let v2 = Config::from_json(&version("2")).unwrap().fingerprint();
    let reloaded = wait_for(&file, "config_reloaded", |l| {
        l.contains("reason=\"config_reloaded\"")
    });
    assert!(reloaded.contains(" INFO "), "{reloaded}");
    assert!(
        reloaded.contains(&format!("fingerprint={v2}")),
        "{reloaded}"
    );
    drop(watch);
    let events = events_of(&file);
    assert_eq!(
        events
            .iter()
            .filter(|l| l.contains("reason=\"config_loaded\""))
            .count(),
        1,
        "{events:#?}"
    );
}

#[test]
fn a_file_that_first_fails_is_config_loaded_when_it_first_loads() {
    install();
    let dir = TempDir::new("first-fails");
    let file = dir.0.join("config.json");
    let layer = UpstreamParamsLayer::new(Config::default());
    let watch = layer.handle().watch_file(&file, Duration::from_millis(2));
    wait_for(&file, "config_rejected", |l| {
        l.contains("reason=\"config_rejected\"")
    });
    dir.replace("config.json", &version("1"));
    let loaded = wait_for(&file, "a load", |l| l.contains(" INFO "));
    assert!(loaded.contains("reason=\"config_loaded\""), "{loaded}");
    drop(watch);
}

/// Configurations that do not load, with the secret in every place a configured value
/// goes, each making the validator (or the JSON parser) say something different.
fn rejected_files() -> Vec<String> {
    let conn = |params: &str| {
        format!(
            r#"{{"connections": {{"c": {{"authorization_url": "{IDP}", "client_id": "{SECRET}",
                "upstream_params": {params}}}}}}}"#
        )
    };
    let mut files = vec![
        conn(&format!(
            r#"{{"state": {{"value": "{SECRET}"}},
                "blog": {{"alais": "{SECRET}"}},
                "long": {{"value": "{SECRET}{SECRET}"}},
                "both": {{"value": "{SECRET}", "alias": "login_hint"}},
                "rm": {{"remove": "{SECRET}"}},
                "rm2": {{"remove": true, "mode": "{SECRET}"}},
                "src": {{"alias": "login_hint", "source": "{SECRET}"}},
                "ml": {{"alias": "login_hint", "max_len": "{SECRET}"}},
                "d1": {{"alias": "login_hint", "default": "{SECRET}", "pattern": "[a-z]{{2}}"}},
                "d2": {{"alias": "login_hint", "default": "{SECRET}", "max_len": 3}},
                "d3": {{"value": "{SECRET}", "default": "{SECRET}"}},
                "p1": {{"alias": "login_hint", "pattern": "{SECRET}(("}},
                "p2": {{"alias": "login_hint", "pattern": "{SECRET}[z-a]"}},
                "p3": {{"alias": "login_hint", "pattern": "(?x){SECRET} \\p{{{SECRET}}}"}},
                "p4": {{"alias": "login_hint", "pattern": "({SECRET}){{1000}}{{1000}}"}},
                "p5": {{"alias": "login_hint", "pattern": ["{SECRET}"]}},
                "v": {{"value": ["{SECRET}"]}}}}"#
        ))
        .replace(
            "\"c\": {",
            "\"c\": {\"dry_run\": \"s3cr3t-t0ken-9f8e7d\", \"protocol\": \"s3cr3t-t0ken-9f8e7d\", ",
        ),
        format!(
            r#"{{"limits": {{"max_value_len": 5, "max_location_len": "{SECRET}"}},
                "query_aliases": [["{SECRET}"]],
                "connections": {{
                "a": {{"authorization_url": "{IDP}", "client_id": "{SECRET}",
                       "upstream_params": {{"x": {{"value": "{SECRET}"}}}}}},
                "b": {{"authorization_url": "{IDP}", "client_id": "{SECRET}"}}}}}}"#
        ),
        // Not JSON: cut inside the secret, a control character in it, a bad escape.
        format!(r#"{{"connections": {{"c": {{"x": "{SECRET}"#),
        format!("{{\"connections\": {{\"c\": \"{SECRET}\u{1}\"}}}}"),
        format!(r#"{{"connections": {{"c": "{SECRET}\q"}}}}"#),
        format!(r#"{{"connections": {{"c": "{SECRET}"}} {SECRET}"#),
    ];
    files.push(conn(&format!(
        r#"{{"x": {{"value": "{SECRET}", "valeu": "{SECRET}"}}}}"#
    )));
    files
}

#[test]
fn config_rejected_carries_every_problem_s_path_and_message_never_a_value() {
    install();
    let dir = TempDir::new("rejected");
    for (i, text) in rejected_files().into_iter().enumerate() {
        let name = format!("config-{i}.json");
        let file = dir.replace(&name, &text);
        let error = Config::from_path(&file).expect_err(&text);
        let layer = UpstreamParamsLayer::new(Config::default());
        let watch = layer.handle().watch_file(&file, Duration::from_secs(3600));
        let line = wait_for(&file, "config_rejected", |l| {
            l.contains("reason=\"config_rejected\"")
        });
        drop(watch);
        assert!(line.contains(" ERROR "), "{line}");
        // Every problem, path and message (as Debug quotes them).
        for (path, message) in error.problems() {
            let entry = if path.is_empty() {
                message.to_owned()
            } else {
                format!("{path}: {message}")
            };
            let quoted = format!("{entry:?}");
            assert!(line.contains(&quoted), "{quoted} not in {line}");
        }
        assert!(error.problems().count() >= 1);
        // No configured value, in the event or in the error however it is printed.
        assert!(!line.contains(SECRET), "{line}");
        assert!(!error.to_string().contains(SECRET), "{error}");
        assert!(!format!("{error:?}").contains(SECRET), "{error:?}");
    }
}

#[test]
fn the_big_file_has_many_problems_each_in_the_event() {
    // The first file makes at least one problem per kind of message.
    let error = Config::from_json(&rejected_files()[0]).unwrap_err();
    let messages: Vec<&str> = error.problems().map(|(_, m)| m).collect();
    assert!(messages.len() >= 16, "{messages:#?}");
    for expected in [
        "is reserved",
        "unknown key",
        "longer than",
        "exactly one of",
        "must be true",
        "not allowed beside",
        "expected one of",
        "expected a whole number",
        "does not match its pattern",
        "allowed only beside",
        "not a valid regular expression",
        "expected a string",
        "expected a boolean",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "no message with {expected:?}: {messages:#?}"
        );
    }
}
