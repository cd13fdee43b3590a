//! `diff OLD NEW`: what a change does, connection by connection, like `terraform plan`. A
//! static value or a `default` is never printed: only that it changed.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use serde_json::Value;
use tower_upstream_params::config::{ParamInfo, Transform};
use tower_upstream_params::{Config, ConnectionInfo};

use crate::input::{self, Input};
use crate::output::{Out, quoted};
use crate::{Failure, Format, mode_name, protocol_name, source_name};

/// `diff --format json`'s shape, for `--help`.
pub(crate) const JSON_HELP: &str = "\
JSON output (--format json):
  {\"equal\": bool (the fingerprints are equal),
   \"old\": {\"file\": string, \"fingerprint\": string}, \"new\": {the same},
   \"connections\": [{\"name\": string, \"change\": \"added\" | \"removed\" | \"changed\",
                    \"fields\": [CHANGE] (authorization_url, client_id, protocol, dry_run),
                    \"params\": [{\"name\": string,
                                \"change\": \"added\" | \"removed\" | \"changed\",
                                \"changes\": [CHANGE] (kind, value, alias, source, default,
                                                     pattern, max_len, mode)}],
                    \"params_reordered\": bool}],
   \"settings\": [CHANGE] (the top-level settings, each limit on its own:
                limits.max_value_len, limits.max_location_len, query_aliases, ...),
   \"undetailed\": bool (the fingerprints differ in a way not listed above)}
  CHANGE: {\"attribute\": string, \"old\": JSON value | null, \"new\": JSON value | null,
           \"redacted\": bool (a static value or default: old and new are null)}
An added connection lists its fields (old null) and its params (added); a removed one
lists nothing.";

/// `diff`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The configuration as it is (deployed); `-` is standard input.
    old: PathBuf,
    /// The configuration as it will be; `-` is standard input.
    new: PathBuf,
    /// Text (the default), or one JSON document (see below).
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct Document {
    equal: bool,
    old: Side,
    new: Side,
    connections: Vec<ConnectionChange>,
    settings: Vec<Change>,
    undetailed: bool,
}

#[derive(Debug, Serialize)]
struct Side {
    file: String,
    fingerprint: String,
}

#[derive(Debug, Serialize)]
struct ConnectionChange {
    name: String,
    change: &'static str,
    fields: Vec<Change>,
    params: Vec<ParamChange>,
    params_reordered: bool,
}

#[derive(Debug, Serialize)]
struct ParamChange {
    name: String,
    change: &'static str,
    changes: Vec<Change>,
}

/// One attribute that differs.
#[derive(Debug, Serialize)]
struct Change {
    attribute: String,
    old: Value,
    new: Value,
    redacted: bool,
}

impl Change {
    fn shown(attribute: &str, old: impl Into<Value>, new: impl Into<Value>) -> Change {
        Change {
            attribute: attribute.to_owned(),
            old: old.into(),
            new: new.into(),
            redacted: false,
        }
    }

    fn redacted(attribute: &str) -> Change {
        Change {
            attribute: attribute.to_owned(),
            old: Value::Null,
            new: Value::Null,
            redacted: true,
        }
    }

    /// `attribute: OLD -> NEW`, or `attribute changed` where redacted.
    fn text(&self) -> String {
        if self.redacted {
            format!("{} changed", self.attribute)
        } else {
            format!(
                "{}: {} -> {}",
                self.attribute,
                shown(&self.old),
                shown(&self.new)
            )
        }
    }
}

/// A JSON value as the text output shows it: `(none)` for null.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

/// Compares the two files; exit status 0 when equal, 1 when they differ.
pub(crate) fn run(args: &DiffArgs, out: &mut Out) -> Result<u8, Failure> {
    input::stdin_once([args.old.as_path(), args.new.as_path()])?;
    let old_input = Input::read(&args.old)?;
    let new_input = Input::read(&args.new)?;
    let old = old_input.load()?;
    let new = new_input.load()?;
    let document = compare(&old_input.name, &old, &new_input.name, &new);
    match args.format {
        Format::Text => write_text(out, &document),
        Format::Json => out.json(&document)?,
    }
    Ok(u8::from(!document.equal))
}

fn compare(old_name: &str, old: &Config, new_name: &str, new: &Config) -> Document {
    let before: Vec<ConnectionInfo> = old.connections().collect();
    let after: Vec<ConnectionInfo> = new.connections().collect();
    let mut connections = Vec::new();
    for connection in &before {
        match after.iter().find(|c| c.name() == connection.name()) {
            None => connections.push(ConnectionChange {
                name: connection.name().to_owned(),
                change: "removed",
                fields: Vec::new(),
                params: Vec::new(),
                params_reordered: false,
            }),
            Some(now) => {
                if let Some(change) = changed(connection, now) {
                    connections.push(change);
                }
            }
        }
    }
    for connection in &after {
        if !before.iter().any(|c| c.name() == connection.name()) {
            connections.push(added(connection));
        }
    }
    let settings = settings(old, new);
    let (old_fingerprint, new_fingerprint) = (old.fingerprint(), new.fingerprint());
    let equal = old_fingerprint == new_fingerprint;
    Document {
        equal,
        undetailed: !equal && connections.is_empty() && settings.is_empty(),
        old: Side {
            file: old_name.to_owned(),
            fingerprint: old_fingerprint,
        },
        new: Side {
            file: new_name.to_owned(),
            fingerprint: new_fingerprint,
        },
        connections,
        settings,
    }
}

/// The fields of a connection, each compared with `before` (`None` for an added one).
fn fields(before: Option<&ConnectionInfo>, after: &ConnectionInfo) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut field = |attribute: &str, old: Option<Value>, new: Value| {
        if old.as_ref() != Some(&new) {
            changes.push(Change::shown(attribute, old.unwrap_or(Value::Null), new));
        }
    };
    field(
        "authorization_url",
        before.map(|c| c.authorization_url().into()),
        after.authorization_url().into(),
    );
    field(
        "client_id",
        before.map(|c| c.client_id().into()),
        after.client_id().into(),
    );
    field(
        "protocol",
        before.map(|c| protocol_name(c.protocol()).into()),
        protocol_name(after.protocol()).into(),
    );
    field(
        "dry_run",
        before.map(|c| c.dry_run().into()),
        after.dry_run().into(),
    );
    changes
}

fn added(connection: &ConnectionInfo) -> ConnectionChange {
    ConnectionChange {
        name: connection.name().to_owned(),
        change: "added",
        fields: fields(None, connection)
            .into_iter()
            .filter(|c| !c.new.is_null())
            .collect(),
        params: connection
            .params()
            .iter()
            .map(|p| ParamChange {
                name: p.name().to_owned(),
                change: "added",
                changes: param_changes(None, p),
            })
            .collect(),
        params_reordered: false,
    }
}

fn changed(before: &ConnectionInfo, after: &ConnectionInfo) -> Option<ConnectionChange> {
    let mut params = Vec::new();
    for param in before.params() {
        match after.param(param.name()) {
            None => params.push(ParamChange {
                name: param.name().to_owned(),
                change: "removed",
                changes: Vec::new(),
            }),
            Some(now) => {
                let changes = param_changes(Some(param), now);
                if !changes.is_empty() {
                    params.push(ParamChange {
                        name: param.name().to_owned(),
                        change: "changed",
                        changes,
                    });
                }
            }
        }
    }
    for param in after.params() {
        if before.param(param.name()).is_none() {
            params.push(ParamChange {
                name: param.name().to_owned(),
                change: "added",
                changes: param_changes(None, param),
            });
        }
    }
    // The params both have, in each one's order: applied in another order, they may give
    // another URL.
    let kept = |of: &ConnectionInfo, other: &ConnectionInfo| -> Vec<String> {
        of.params()
            .iter()
            .filter(|p| other.param(p.name()).is_some())
            .map(|p| p.name().to_owned())
            .collect()
    };
    let params_reordered = kept(before, after) != kept(after, before);
    let fields = fields(Some(before), after);
    if fields.is_empty() && params.is_empty() && !params_reordered {
        return None;
    }
    Some(ConnectionChange {
        name: after.name().to_owned(),
        change: "changed",
        fields,
        params,
        params_reordered,
    })
}

/// What differs in a param (`before` `None`: what an added param is).
fn param_changes(before: Option<&ParamInfo>, after: &ParamInfo) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut shown = |attribute: &str, old: Option<Value>, new: Value| {
        if old.as_ref() != Some(&new) && !(old.is_none() && new.is_null()) {
            changes.push(Change::shown(attribute, old.unwrap_or(Value::Null), new));
        }
    };
    shown(
        "kind",
        before.map(|p| p.kind().as_str().into()),
        after.kind().as_str().into(),
    );
    shown(
        "alias",
        before.map(|p| p.alias().into()),
        after.alias().into(),
    );
    shown(
        "source",
        before.map(|p| p.source().map(source_name).into()),
        after.source().map(source_name).into(),
    );
    shown(
        "pattern",
        before.map(|p| p.pattern().into()),
        after.pattern().into(),
    );
    shown(
        "max_len",
        before.map(|p| p.max_len().into()),
        after.max_len().into(),
    );
    shown(
        "transform",
        before.map(|p| p.transform().map(Transform::as_str).into()),
        after.transform().map(Transform::as_str).into(),
    );
    shown(
        "mode",
        before.map(|p| p.mode().map(mode_name).into()),
        after.mode().map(mode_name).into(),
    );
    // Values are never shown: only that there is one, or that it changed.
    for (attribute, old, new) in [
        ("value", before.map(ParamInfo::value), after.value()),
        (
            "default",
            before.map(ParamInfo::default_value),
            after.default_value(),
        ),
    ] {
        if old.is_some_and(|old| old != new) || (old.is_none() && new.is_some()) {
            changes.push(Change::redacted(attribute));
        }
    }
    changes
}

/// The top-level keys but `connections`, compared in the JSON forms as they mean (each limit
/// with its default, `query_aliases` as a set, `dry_run` false when absent): names and
/// numbers, never a value.
fn settings(old: &Config, new: &Config) -> Vec<Change> {
    let (before, after) = (settings_of(old), settings_of(new));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (old, new) = (before.get(key), after.get(key));
            (old != new).then(|| {
                let value = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null);
                Change::shown(key, value(old), value(new))
            })
        })
        .collect()
}

/// The limits' defaults, as the configuration reference gives them.
const LIMIT_DEFAULTS: [(&str, u64); 2] = [("max_value_len", 2048), ("max_location_len", 8192)];

/// A configuration's top-level settings, one entry per setting (`limits.max_value_len`).
fn settings_of(config: &Config) -> serde_json::Map<String, Value> {
    let mut members = match serde_json::from_str(&config.to_json()) {
        Ok(Value::Object(members)) => members,
        _ => serde_json::Map::new(),
    };
    members.remove("connections");
    let limits = members.remove("limits");
    for (name, default) in LIMIT_DEFAULTS {
        let value = limits
            .as_ref()
            .and_then(|l| l.get(name))
            .cloned()
            .unwrap_or(Value::from(default));
        members.insert(format!("limits.{name}"), value);
    }
    if let Some(Value::Array(names)) = members.get_mut("query_aliases") {
        names.sort_by_key(Value::to_string);
        names.dedup();
    }
    if members
        .get("query_aliases")
        .is_some_and(|v| v == &Value::Array(Vec::new()))
    {
        members.remove("query_aliases");
    }
    if members.get("dry_run") == Some(&Value::Bool(false)) {
        members.remove("dry_run");
    }
    members
}

/// `terraform plan`'s way: `+`, `-`, `~`, then the count.
fn write_text(out: &mut Out, document: &Document) {
    for (label, side) in [("old", &document.old), ("new", &document.new)] {
        out.line(&format!(
            "{label}: {} (fingerprint {})",
            side.file, side.fingerprint
        ));
    }
    if document.equal {
        out.line("no changes: the two configurations are equal");
        return;
    }
    for connection in &document.connections {
        let sign = match connection.change {
            "added" => "+",
            "removed" => "-",
            _ => "~",
        };
        out.line(&format!("{sign} connection {}", quoted(&connection.name)));
        for field in &connection.fields {
            if connection.change == "added" {
                out.line(&format!("    {}: {}", field.attribute, shown(&field.new)));
            } else {
                out.line(&format!("    {}", field.text()));
            }
        }
        for param in &connection.params {
            let sign = match param.change {
                "added" => "+",
                "removed" => "-",
                _ => "~",
            };
            let mut line = format!("    {sign} param {}", quoted(&param.name));
            let changes: Vec<String> = param
                .changes
                .iter()
                .map(|c| match (param.change, c.redacted) {
                    ("added", true) => format!("{} set", c.attribute),
                    ("added", false) => format!("{} {}", c.attribute, shown(&c.new)),
                    _ => c.text(),
                })
                .collect();
            if !changes.is_empty() {
                line.push_str(": ");
                line.push_str(&changes.join(", "));
            }
            out.line(&line);
        }
        if connection.params_reordered {
            out.line("    params reordered (they are applied in order)");
        }
    }
    for setting in &document.settings {
        out.line(&format!("~ {}", setting.text()));
    }
    if document.undetailed {
        out.line("~ other changes (the fingerprints differ)");
    }
    let count = |change: &str| {
        document
            .connections
            .iter()
            .filter(|c| c.change == change)
            .count()
    };
    out.line(&format!(
        "connections: {} to add, {} to change, {} to remove",
        count("added"),
        count("changed"),
        count("removed")
    ));
}
