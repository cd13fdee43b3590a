//! `validate`'s summary of a configuration that loads: each connection, its endpoint and
//! what each param sends.
//!
//! It reads the configuration's own JSON form ([`Config::to_json`]), whose connections and
//! params are in configuration order; [`Ordered`] keeps that order (a `serde_json::Map`
//! sorts its keys unless serde_json's `preserve_order` feature is on, which this tool does
//! not turn on for the library's users).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use tower_upstream_params::Config;

use crate::output::{Out, quoted};

/// A JSON object's members, in document order.
#[derive(Debug)]
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Members<T> {
            type Value = Ordered<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, T>()? {
                    members.push(member);
                }
                Ok(Ordered(members))
            }
        }

        deserializer.deserialize_map(Members(PhantomData))
    }
}

/// The JSON form, as far as the summary reads it (other keys are ignored).
#[derive(Debug, Default, Deserialize)]
struct Document {
    #[serde(default)]
    connections: Ordered<Connection>,
    #[serde(default)]
    query_aliases: Vec<String>,
    #[serde(default)]
    limits: Limits,
}

#[derive(Debug, Default, Deserialize)]
struct Limits {
    max_value_len: Option<u64>,
    max_location_len: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Connection {
    #[serde(default)]
    authorization_url: String,
    client_id: Option<String>,
    protocol: Option<String>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    upstream_params: Ordered<Param>,
}

#[derive(Debug, Deserialize)]
struct Param {
    value: Option<String>,
    alias: Option<String>,
    #[serde(default)]
    remove: bool,
    default: Option<String>,
    source: Option<String>,
    mode: Option<String>,
    pattern: Option<String>,
    max_len: Option<u64>,
}

/// Writes `validate`'s report of a configuration that loaded from `file`: a first line
/// `ok: FILE: N connection(s), M param(s), fingerprint F`, then one block per connection.
///
/// Everything printed is configuration (names, endpoints, `client_id`, static values,
/// aliases, patterns), which holds no secret: the format has no key for one, and the Auth0
/// import ignores `client_secret`.
pub(crate) fn write(out: &mut Out, file: &str, config: &Config) {
    // The crate wrote this JSON itself: it reads back. Were it not to, the summary says
    // only what `Config` itself tells.
    let document: Document = serde_json::from_str(&config.to_json()).unwrap_or_default();
    let connections = &document.connections.0;
    let params: usize = connections
        .iter()
        .map(|(_, c)| c.upstream_params.0.len())
        .sum();
    out.line(&format!(
        "ok: {}: {}, {}, fingerprint {}",
        file,
        plural(config.connection_names().count(), "connection"),
        plural(params, "param"),
        config.fingerprint(),
    ));
    for (name, connection) in connections {
        write_connection(out, name, connection);
    }
    if !document.query_aliases.is_empty() {
        out.line(&format!(
            "query_aliases: {}",
            document.query_aliases.join(", ")
        ));
    }
    let Limits {
        max_value_len,
        max_location_len,
    } = document.limits;
    out.line(&format!(
        "limits: max_value_len {}, max_location_len {}",
        max_value_len.map_or_else(|| "2048 bytes (default)".to_owned(), bytes),
        max_location_len.map_or_else(|| "8192 bytes (default)".to_owned(), bytes),
    ));
}

fn write_connection(out: &mut Out, name: &str, connection: &Connection) {
    let mut line = format!(
        "{name} ({}) {}",
        connection.protocol.as_deref().unwrap_or("oauth2"),
        connection.authorization_url
    );
    if let Some(client_id) = &connection.client_id {
        line.push_str(&format!(" client_id={client_id}"));
    }
    if connection.dry_run {
        line.push_str(" [dry run: reported, never changed]");
    }
    out.line(&line);
    if connection.upstream_params.0.is_empty() {
        out.line("  (no params)");
    }
    for (param, entry) in &connection.upstream_params.0 {
        out.line(&format!("  {param}: {}", describe(entry)));
    }
}

/// What one param sends, in words.
fn describe(param: &Param) -> String {
    if param.remove {
        return "removed from the broker's redirect".to_owned();
    }
    let mode = param.mode.as_deref().unwrap_or("replace");
    if let Some(value) = &param.value {
        return format!("static {} ({mode})", quoted(value));
    }
    let alias = param.alias.as_deref().unwrap_or_default();
    let source = match param.source.as_deref() {
        Some("broker") => "broker-provided values only",
        Some("query") => "the request query only",
        _ => "broker-provided values, then the request query",
    };
    let mut line = format!("alias {} from {source} ({mode})", quoted(alias));
    if let Some(pattern) = &param.pattern {
        line.push_str(&format!(", must match {}", quoted(pattern)));
    }
    if let Some(max_len) = param.max_len {
        line.push_str(&format!(", at most {max_len} bytes"));
    }
    if let Some(default) = &param.default {
        line.push_str(&format!(", default {}", quoted(default)));
    }
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn bytes(n: u64) -> String {
    format!("{n} bytes")
}
