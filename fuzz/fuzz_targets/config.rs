//! `Config::from_json` (and `merge_patch`) on any input: never a panic; an error names its
//! JSON path in its message; a loaded configuration round-trips through `to_json`, and every
//! `authorization_url` it lists can be matched without a panic.
//!
//! Input: the configuration's JSON text, optionally followed by a NUL byte and a merge patch.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_upstream_params::__private::select;
use tower_upstream_params::Config;

fn check(result: Result<Config, tower_upstream_params::ConfigError>) -> Option<Config> {
    match result {
        Ok(config) => {
            let json = config.to_json();
            let again = Config::from_json(&json).expect("to_json reads back");
            assert_eq!(again, config, "round trip");
            assert_eq!(again.to_json(), json);
            for line in json.lines() {
                // `"authorization_url": "https://..."`: select must not panic on it, nor on
                // it with a query and a fragment.
                if let Some((_, url)) = line.split_once("\"authorization_url\": \"") {
                    let url = url.trim_end_matches([',', '"']);
                    let _ = select(&config, url);
                    let _ = select(&config, &format!("{url}?client_id=x&a=%zz#f"));
                }
            }
            Some(config)
        }
        Err(err) => {
            let text = err.to_string();
            assert!(!text.is_empty());
            assert!(
                text.starts_with(err.path()),
                "{text} does not start with {}",
                err.path()
            );
            assert_eq!(err.problems().next(), Some((err.path(), err.message())));
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (config, patch) = match text.split_once('\0') {
        Some((c, p)) => (c, Some(p)),
        None => (&text[..], None),
    };
    let loaded = check(Config::from_json(config));
    if let (Some(config), Some(patch)) = (loaded, patch) {
        let before = config.to_json();
        check(config.merge_patch(patch));
        assert_eq!(config.to_json(), before, "merge_patch changed self");
    }
});
