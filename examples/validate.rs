//! Checks a configuration file, for operators' CI.
//!
//! ```sh
//! cargo run --example validate -- config.json           # this crate's JSON form
//! cargo run --example validate -- --auth0 connections.json   # Auth0 Management API objects
//! ```
//!
//! Prints each connection and the params it would send, or every error with its JSON path;
//! exits with status 1 on errors, 2 on bad usage.

use serde_json::Value;
use tower_upstream_params::Config;

/// The report for a configuration text: `Ok` with one block per connection, or `Err` with
/// one `path: message` line per problem.
pub fn report(text: &str, auth0: bool) -> Result<String, String> {
    let loaded = if auth0 {
        Config::from_auth0_connections(text)
    } else {
        Config::from_json(text)
    };
    let config = loaded.map_err(|e| {
        e.problems()
            .map(|(path, message)| {
                if path.is_empty() {
                    format!("error: {message}")
                } else {
                    format!("error: {path}: {message}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let json: Value = serde_json::from_str(&config.to_json()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let empty = serde_json::Map::new();
    let connections = json["connections"].as_object().unwrap_or(&empty);
    for (name, connection) in connections {
        let protocol = connection["protocol"].as_str().unwrap_or("oauth2");
        out.push_str(&format!(
            "{name} ({protocol}) {}",
            connection["authorization_url"].as_str().unwrap_or("")
        ));
        if let Some(client_id) = connection["client_id"].as_str() {
            out.push_str(&format!(" client_id={client_id}"));
        }
        out.push('\n');
        let params = connection["upstream_params"].as_object().unwrap_or(&empty);
        if params.is_empty() {
            out.push_str("  (no params)\n");
        }
        for (param, entry) in params {
            out.push_str(&format!("  {param}: {}\n", describe(entry)));
        }
    }
    out.push_str(&format!("ok: {} connection(s)\n", connections.len()));
    Ok(out)
}

fn describe(entry: &Value) -> String {
    let text = |key: &str| entry[key].as_str().map(str::to_owned);
    let mode = text("mode").unwrap_or_else(|| "replace".into());
    if entry["remove"] == Value::Bool(true) {
        return "removed from the broker's redirect".into();
    }
    if let Some(value) = text("value") {
        return format!("sends {value:?} (static, {mode})");
    }
    let alias = text("alias").unwrap_or_default();
    let source = match text("source").as_deref() {
        Some("broker") => "broker-provided values only",
        Some("query") => "the request query only",
        _ => "broker-provided values, then the request query",
    };
    let derived = match text("transform").as_deref() {
        Some("email_domain") => "the email domain of ",
        Some("lowercase") => "the lowercased value of ",
        _ => "the value of ",
    };
    let mut line = format!("sends {derived}{alias:?} from {source} ({mode})");
    if let Some(pattern) = text("pattern") {
        line.push_str(&format!(", must match {pattern:?}"));
    }
    if let Some(max_len) = entry["max_len"].as_u64() {
        line.push_str(&format!(", at most {max_len} bytes"));
    }
    if let Some(default) = text("default") {
        line.push_str(&format!(", default {default:?}"));
    }
    line
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let auth0 = args.iter().any(|a| a == "--auth0");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--auth0").collect();
    let [file] = files.as_slice() else {
        eprintln!("usage: validate [--auth0] CONFIG.json");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {file}: {e}");
            std::process::exit(2);
        }
    };
    match report(&text, auth0) {
        Ok(report) => print!("{report}"),
        Err(errors) => {
            eprintln!("{errors}");
            std::process::exit(1);
        }
    }
}
