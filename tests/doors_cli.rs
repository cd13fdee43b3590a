//! The last door: `upstream-params explain` renders the decision the layer makes (DESIGN.md,
//! "One policy behind every door"). The same generated configurations, URLs and sources as
//! `tests/doors.rs`, fewer cases (each runs the command): the layer and `explain --format
//! json` agree on the connection, every outcome and source, `rewritten`, `dry_run`, the new
//! URL (or the dry run's would-be URL) and, where nothing is selected, the check that failed.

use std::io::Write;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::Value;
use tower_upstream_params::{
    AliasSources, Config, Miss, UpstreamParamsLayer, UpstreamValues, ValueSource,
};

#[path = "support/doors.rs"]
mod doors;

use doors::{config_strategy, sources_strategy, through_layer, url_strategy};

const BIN: &str = env!("CARGO_BIN_EXE_upstream-params");

/// `explain --format json` for `url`, with the request query and broker values.
fn explain(json: &str, url: &str, query: &str, values: &[(&str, String)]) -> (i32, Value) {
    let mut file = tempfile();
    file.1.write_all(json.as_bytes()).unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["explain", "--format", "json"])
        .arg(&file.0)
        .arg(url);
    if !query.is_empty() {
        command.args(["--query", query]);
    }
    for (name, value) in values {
        command.arg("--value").arg(format!("{name}={value}"));
    }
    let output = command.output().expect("the upstream-params binary runs");
    let _ = std::fs::remove_file(&file.0);
    let status = output.status.code().unwrap_or(-1);
    let document = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (status, document)
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "doors-cli-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}

fn miss_kind(miss: Miss) -> &'static str {
    match miss {
        Miss::NotAscii => "not_ascii",
        Miss::NotConfigured => "not_configured",
        Miss::NoEndpoint => "no_endpoint",
        Miss::NoConnection => "no_connection",
        Miss::NotCandidate => "not_candidate",
        _ => "unknown",
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn explain_renders_the_layers_decision(
        json in config_strategy(),
        url in url_strategy(),
        (query, values) in sources_strategy(),
    ) {
        // `--value NAME=VALUE` takes a name once; in a value set a later value of a name
        // replaces an earlier one, so the last of each is what both doors read.
        let mut given: Vec<(&str, String)> = Vec::new();
        for (name, value) in values.into_iter().flatten() {
            given.retain(|(n, _)| *n != name);
            given.push((name, value));
        }
        let values: UpstreamValues = given.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let config = Config::from_json(&json).unwrap();
        let layer = UpstreamParamsLayer::new(config.clone());
        let sources = AliasSources::new().values(&values).query(Some(query.as_str()));
        let rewrite = config.rewrite_location(&url, None, &sources);
        let (status, explained) = explain(&json, &url, &query, &given);

        let Some((written, report)) = through_layer(&layer, &url, &query, Some(&values)) else {
            // What no Location header holds: explain says which check failed.
            prop_assert_eq!(status, 0, "{}", explained);
            prop_assert_eq!(&explained["miss"]["kind"], "not_ascii");
            return Ok(());
        };
        prop_assert_eq!(status, 0, "{}", explained);
        match &report {
            None => {
                prop_assert_eq!(&explained["connection"], &Value::Null);
                let kind = rewrite.miss().map(miss_kind).unwrap();
                prop_assert_eq!(&explained["miss"]["kind"], kind, "{}", explained);
                prop_assert_eq!(&explained["location"], &Value::Null);
            }
            Some(report) => {
                prop_assert_eq!(&explained["connection"], report.connection());
                prop_assert_eq!(&explained["dry_run"], report.dry_run());
                prop_assert_eq!(&explained["rewritten"], report.rewritten());
                let params: Vec<(String, String, Option<String>)> = report
                    .params()
                    .iter()
                    .map(|p| {
                        (
                            p.name().to_owned(),
                            p.outcome().to_string(),
                            p.source().map(|s| ValueSource::as_str(s).to_owned()),
                        )
                    })
                    .collect();
                let shown: Vec<(String, String, Option<String>)> = explained["params"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap().to_owned(),
                            p["outcome"].as_str().unwrap().to_owned(),
                            p["source"].as_str().map(str::to_owned),
                        )
                    })
                    .collect();
                prop_assert_eq!(shown, params);
                let location = explained["location"].as_str();
                if report.dry_run() {
                    prop_assert_eq!(location, None);
                    prop_assert_eq!(
                        explained["dry_run_location"].as_str(),
                        rewrite.dry_run_location()
                    );
                } else {
                    prop_assert_eq!(location.unwrap_or(&url), written.as_str());
                }
            }
        }
    }
}
