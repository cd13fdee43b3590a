//! One policy behind every door (DESIGN.md, "One policy behind every door"; issue 18).
//!
//! A property test generates configurations (connections sharing an endpoint, with and
//! without `client_id`, canaries on and off), redirect URLs (configured or not, with the
//! params already there or not, PAR, a raw non-ASCII byte) and alias sources (a request
//! query, broker-provided values), and checks that every door gives the same decision:
//!
//! - the layer (a `302` through `tower::ServiceExt::oneshot`, the layer's own dry run on or
//!   off);
//! - `Config::rewrite_location` (when the layer is not a dry run) and
//!   `ConfigHandle::rewrite_location` (the handle of that same layer);
//! - `ConfigHandle::resolve` of the selected connection: `apply_to` on the URL's decoded
//!   pairs, and `values()` / `removals()`.
//!
//! They must agree on the connection, every outcome, `rewritten`, `dry_run` and the
//! resulting pairs. The URL's pairs are decoded with the `url` crate's form decoder, not with
//! the crate's own.

use http::HeaderValue;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use tower_upstream_params::{
    AliasSources, Config, Miss, Outcome, UpstreamParamsLayer, UpstreamReport, UpstreamValues,
};

#[path = "support/doors.rs"]
mod doors;

use doors::{config_strategy, decoded_pairs, sources_strategy, through_layer, url_strategy};

const CASES: u32 = 400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn every_door_gives_the_same_decision(
        json in config_strategy(),
        url in url_strategy(),
        (query, values) in sources_strategy(),
        layer_dry_run in any::<bool>(),
    ) {
        let config = Config::from_json(&json).unwrap();
        let values: Option<UpstreamValues> = values.map(|v| v.into_iter().collect());
        let mut sources = AliasSources::new();
        if let Some(values) = &values {
            sources = sources.values(values);
        }
        let sources = sources.query(Some(query.as_str()));

        let layer = UpstreamParamsLayer::new(config.clone()).dry_run(layer_dry_run);
        let handle = layer.handle();
        let by_handle = handle.rewrite_location(&url, None, &sources);
        if !layer_dry_run {
            // Without the layer's flag the two URL doors are one.
            let by_config = config.rewrite_location(&url, None, &sources);
            prop_assert_eq!(by_config.report(), by_handle.report());
            prop_assert_eq!(by_config.location(), by_handle.location());
            prop_assert_eq!(by_config.miss(), by_handle.miss());
        }

        let Some((written, layer_report)) = through_layer(&layer, &url, &query, values.as_ref())
        else {
            // Not even a header value: the URL door leaves it too.
            prop_assert_eq!(by_handle.miss(), Some(Miss::NotAscii));
            prop_assert!(by_handle.report().is_none());
            return Ok(());
        };
        prop_assert_eq!(layer_report.as_ref(), by_handle.report(), "{}", url);
        prop_assert_eq!(
            &written,
            by_handle.location().unwrap_or(&url),
            "the layer writes what rewrite_location gives"
        );
        let Some(report) = layer_report else {
            prop_assert!(by_handle.miss().is_some());
            prop_assert!(by_handle.location().is_none());
            return Ok(());
        };
        prop_assert!(by_handle.miss().is_none());
        let dry_run = report.dry_run();
        prop_assert_eq!(dry_run, layer_dry_run || canary(&json, report.connection()));
        // A dry run changes nothing; its would-be URL is what a live run writes.
        if dry_run {
            prop_assert_eq!(&written, &url);
            let live = config.rewrite_location(&url, None, &sources);
            if !live.report().unwrap().dry_run() {
                prop_assert_eq!(by_handle.dry_run_location(), live.location());
            }
        }
        // `rewritten` is whether the bytes change.
        let planned = by_handle.location().or(by_handle.dry_run_location());
        prop_assert_eq!(report.rewritten(), planned.is_some());
        if let Some(planned) = planned {
            prop_assert_ne!(planned, url.as_str());
        }

        // The pairs door: the selected connection's params on the URL's decoded pairs.
        let resolved = handle.resolve(report.connection(), &sources).unwrap();
        prop_assert_eq!(resolved.dry_run(), dry_run);
        let before = decoded_pairs(&url);
        let mut pairs = before.clone();
        let pairs_report = resolved.apply_to(&mut pairs);
        prop_assert_eq!(pairs_report.connection(), report.connection());
        prop_assert_eq!(pairs_report.dry_run(), dry_run);
        let outcomes = |r: &UpstreamReport| -> Vec<(String, Outcome, Option<_>)> {
            r.params().iter().map(|p| (p.name().to_owned(), p.outcome(), p.source())).collect()
        };
        prop_assert_eq!(outcomes(&pairs_report), outcomes(&report), "{}", url);
        prop_assert_eq!(pairs_report.rewritten(), report.rewritten());
        if dry_run {
            prop_assert_eq!(&pairs, &before);
            prop_assert_eq!(resolved.values().count(), 0);
            prop_assert_eq!(resolved.removals().count(), 0);
        } else {
            prop_assert_eq!(&pairs, &decoded_pairs(&written), "{}", url);
            // What values() and removals() say is what the pairs door applied.
            for (name, value) in resolved.values() {
                let outcome = report.outcome(name).unwrap();
                if matches!(outcome, Outcome::Added | Outcome::Replaced) {
                    prop_assert!(pairs.iter().any(|(n, v)| n == name && v == value));
                }
            }
            for name in resolved.removals() {
                prop_assert!(!pairs.iter().any(|(n, _)| n == name) || par(&url));
            }
        }
        // `report()` is `apply_to` on no pairs.
        let mut none = Vec::new();
        prop_assert_eq!(resolved.report(), resolved.apply_to(&mut none));
    }
}

/// Whether the generated JSON makes `connection` a canary.
fn canary(json: &str, connection: &str) -> bool {
    let start = json.find(&format!(r#""{connection}": {{"#)).unwrap();
    json[start..]
        .split_once("\"dry_run\": ")
        .unwrap()
        .1
        .starts_with("true")
}

fn par(url: &str) -> bool {
    url.contains("request_uri=")
}

/// DESIGN.md: a canary is never live through any door, the layer's `dry_run(true)` reaches
/// `ConfigHandle::resolve`, and `values()` is empty there (issue 18, items 1 and 2).
#[test]
fn a_canary_is_never_live_through_values() {
    let config = Config::from_json(
        r#"{"connections": {"wp": {
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "dry_run": true,
            "upstream_params": {"blog": {"value": "myblog.wordpress.com"},
                                "prompt": {"remove": true}}}}}"#,
    )
    .unwrap();
    let resolved = config.resolve("wp", &AliasSources::new()).unwrap();
    assert!(resolved.dry_run());
    assert_eq!(resolved.values().count(), 0);
    assert_eq!(resolved.removals().count(), 0);
    let report = resolved.report();
    assert!(report.dry_run());
    assert_eq!(report.outcome("blog"), Some(Outcome::Added));

    // A live connection under a dry-run layer: its handle's doors are dry runs too.
    let live = Config::from_json(
        r#"{"connections": {"wp": {
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "myblog.wordpress.com"}}}}}"#,
    )
    .unwrap();
    assert_eq!(
        live.resolve("wp", &AliasSources::new())
            .unwrap()
            .values()
            .count(),
        1
    );
    let layer = UpstreamParamsLayer::new(live).dry_run(true);
    let resolved = layer.handle().resolve("wp", &AliasSources::new()).unwrap();
    assert!(resolved.dry_run());
    assert_eq!(resolved.values().count(), 0);
    let mut pairs = vec![("client_id".to_owned(), "x".to_owned())];
    let report = resolved.apply_to(&mut pairs);
    assert_eq!(
        pairs.len(),
        1,
        "a dry run leaves the pushed request as it is"
    );
    assert!(report.dry_run() && report.rewritten());
    let url = "https://public-api.wordpress.com/oauth2/authorize?client_id=x";
    let rewrite = layer
        .handle()
        .rewrite_location(url, None, &AliasSources::new());
    assert_eq!(rewrite.location(), None);
    assert_eq!(
        rewrite.dry_run_location(),
        Some(
            "https://public-api.wordpress.com/oauth2/authorize?client_id=x&blog=myblog.wordpress.com"
        )
    );
}

/// Issue 18, item 5: a `replace` whose value is already there changes nothing, on every
/// door.
#[test]
fn a_replace_that_changes_nothing_is_kept() {
    let config = Config::from_json(
        r#"{"connections": {"wp": {
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "b v"}}}}}"#,
    )
    .unwrap();
    for spelling in ["b+v", "b%20v"] {
        let url =
            format!("https://public-api.wordpress.com/oauth2/authorize?blog={spelling}&state=s");
        let rewrite = config.rewrite_location(&url, None, &AliasSources::new());
        let report = rewrite.report().unwrap();
        assert_eq!(report.outcome("blog"), Some(Outcome::Kept), "{url}");
        assert!(!report.rewritten());
        assert_eq!(rewrite.location(), None);
        let layer = UpstreamParamsLayer::new(config.clone());
        let (written, report) = through_layer(&layer, &url, "", None).unwrap();
        assert_eq!(written, url);
        assert!(!report.unwrap().rewritten());
    }
    // Two pairs: the second one goes, so it is a change.
    let url = "https://public-api.wordpress.com/oauth2/authorize?blog=b+v&blog=b+v";
    let rewrite = config.rewrite_location(url, None, &AliasSources::new());
    assert_eq!(
        rewrite.report().unwrap().outcome("blog"),
        Some(Outcome::Replaced)
    );
    let resolved = config.resolve("wp", &AliasSources::new()).unwrap();
    let mut pairs = vec![("blog".to_owned(), "b v".to_owned())];
    let report = resolved.apply_to(&mut pairs);
    assert_eq!(report.outcome("blog"), Some(Outcome::Kept));
    assert!(!report.rewritten());
}

/// Issue 18, item 6: what the layer cannot receive, `rewrite_location` leaves too.
#[test]
fn rewrite_location_leaves_what_no_location_header_holds() {
    let config = Config::from_json(
        r#"{"connections": {"wp": {
            "authorization_url": "https://public-api.wordpress.com/oauth2/authorize",
            "upstream_params": {"blog": {"value": "b"}}}}}"#,
    )
    .unwrap();
    for url in [
        "https://public-api.wordpress.com/oauth2/authorize?x=\u{f6}",
        "https://public-api.wordpress.com/oauth2/authorize?x=\u{7f}",
        "https://public-api.wordpress.com/oauth2/authorize?x=\u{1}",
    ] {
        let rewrite = config.rewrite_location(url, None, &AliasSources::new());
        assert_eq!(rewrite.miss(), Some(Miss::NotAscii), "{url:?}");
        assert!(rewrite.location().is_none() && rewrite.report().is_none());
        assert!(HeaderValue::from_str(url).map_or(true, |v| v.to_str().is_err()));
    }
}

/// Issue 18, item 7: no value in `Debug`.
#[test]
fn debug_prints_no_value() {
    let config = Config::from_json(
        r#"{"connections": {"g": {
            "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "upstream_params": {"login_hint": {"alias": "login_hint"}}}}}"#,
    )
    .unwrap();
    let values = UpstreamValues::new().with("org", "secret-org.example");
    let sources = AliasSources::new()
        .query(Some("login_hint=john%40gmail.com"))
        .values(&values);
    let rewrite = config.rewrite_location(
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=c",
        None,
        &sources,
    );
    assert!(rewrite.location().unwrap().contains("john%40gmail.com"));
    let resolved = config.resolve("g", &sources).unwrap();
    for printed in [
        format!("{sources:?}"),
        format!("{rewrite:?}"),
        format!("{resolved:?}"),
        format!("{:?}", rewrite.report()),
        format!("{values:?}"),
    ] {
        assert!(!printed.contains("john"), "{printed}");
        assert!(!printed.contains("gmail"), "{printed}");
        assert!(!printed.contains("secret-org"), "{printed}");
    }
}
