//! One upstream param entry, validated into a [`Spec`].

use regex::{Regex, RegexBuilder};

use super::json::Node;
use super::limits::Limits;
use super::names::{FORBIDDEN_SOURCES, QUERY_SOURCES, name_problem, reserved_as, reserved_as_php};
use super::problems::{Problems, enum_value, join, object, positive, string};
use super::{Mode, Source, Transform};

/// How much memory one compiled `pattern` may take (the `regex` crate's size limit).
pub(crate) const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// How deeply a `pattern` may nest.
pub(crate) const PATTERN_NEST_LIMIT: u32 = 64;

/// A validated param, before its strings join the compiled text.
pub(crate) enum Spec<'n> {
    Static {
        value: &'n str,
        mode: Mode,
    },
    Alias {
        alias: &'n str,
        source: Source,
        default: Option<&'n str>,
        pattern: Option<Regex>,
        max_len: usize,
        mode: Mode,
        transform: Option<Transform>,
    },
    Remove,
}

/// The keys of a param, in the order the canonical form writes them.
pub(crate) const PARAM_KEYS: [&str; 9] = [
    "value",
    "alias",
    "remove",
    "default",
    "source",
    "mode",
    "pattern",
    "max_len",
    "transform",
];

/// The keys allowed only beside `alias`.
const ALIAS_ONLY: [&str; 5] = ["default", "source", "pattern", "max_len", "transform"];

/// Compiles an anchored pattern, bounded in size.
///
/// The pattern is first compiled on its own, so that it cannot close the anchoring group
/// early: `[a-z]+)|(?:.*` is unbalanced alone, and refused, where wrapped it would compile to
/// `^(?:[a-z]+)|(?:.*)$` and accept anything.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    let build = |text: &str| {
        RegexBuilder::new(text)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .nest_limit(PATTERN_NEST_LIMIT)
            .build()
    };
    // A pattern that ends inside an `(?x)` comment (`(?x) [a-z]+ # letters`) would swallow
    // the closing `)$`; such a wrapping does not compile, and the same wrapping with a line
    // break before `)$` ends the comment (in `(?x)` mode a line break is not matched).
    // Any other pattern compiles wrapped as it is: its groups are balanced (it compiled
    // alone), so the `)` closes the anchoring group and `$` is outside every flag group.
    build(pattern)
        .and_then(|_| {
            build(&format!("^(?:{pattern})$"))
                .or_else(|e| build(&format!("^(?:{pattern}\n)$")).map_err(|_| e))
        })
        .map_err(|e| {
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            format!("not a valid regular expression: {}", last.trim())
        })
}

pub(crate) fn compile_param<'n>(
    name: &str,
    node: &'n Node,
    path: &str,
    limits: &Limits,
    query_aliases: &[&str],
    problems: &mut Problems,
) -> Option<Spec<'n>> {
    let before = problems.0.len();
    if let Some(problem) = name_problem("a param name", name) {
        problems.add(path, problem);
    }
    let reserved = reserved_as(name);
    let entries = object(node, path, &PARAM_KEYS, problems)?;
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let (value, alias, remove) = (get("value"), get("alias"), get("remove"));
    let kinds = [value, alias, remove]
        .iter()
        .filter(|n| n.is_some())
        .count();
    if kinds != 1 {
        problems.add(path, "exactly one of \"value\", \"alias\" or \"remove\"");
        return None;
    }
    if alias.is_none() {
        for key in ALIAS_ONLY {
            if get(key).is_some() {
                problems.add(&join(path, key), "allowed only beside \"alias\"");
            }
        }
    }
    let mode = match get("mode") {
        Some(_) if remove.is_some() => {
            problems.add(&join(path, "mode"), "not allowed beside \"remove\"");
            Mode::Replace
        }
        Some(node) => enum_value(
            node,
            &join(path, "mode"),
            &[
                ("replace", Mode::Replace),
                ("keep", Mode::Keep),
                ("merge", Mode::Merge),
            ],
            problems,
        )
        .unwrap_or_default(),
        None => Mode::Replace,
    };
    if let Some(reserved) = reserved {
        let read_as = if reserved.eq_ignore_ascii_case(name) {
            String::new()
        } else {
            format!(" (a PHP server such as WordPress.com reads \"{name}\" as \"{reserved}\")")
        };
        problems.add(
            path,
            format!(
                "\"{reserved}\" is reserved: it can be neither added, replaced nor removed{read_as}"
            ),
        );
    } else if reserved_as_php(name, "scope") && (mode != Mode::Merge || remove.is_some()) {
        problems.add(path, "\"scope\" is reserved but for \"mode\": \"merge\"");
    }

    let kind = if let Some(node) = remove {
        if !matches!(node, Node::Bool(true)) {
            problems.add(&join(path, "remove"), "must be true");
        }
        Spec::Remove
    } else if let Some(node) = value {
        let value = string(node, &join(path, "value"), problems).unwrap_or_default();
        if value.len() > limits.max_value_len {
            problems.add(
                &join(path, "value"),
                format!(
                    "{} bytes, longer than limits.max_value_len ({})",
                    value.len(),
                    limits.max_value_len
                ),
            );
        }
        Spec::Static { value, mode }
    } else {
        let alias_path = join(path, "alias");
        let alias = alias
            .and_then(|node| string(node, &alias_path, problems))
            .unwrap_or_default();
        let source = match get("source") {
            Some(node) => enum_value(
                node,
                &join(path, "source"),
                &[
                    ("any", Source::Any),
                    ("broker", Source::Broker),
                    ("query", Source::Query),
                ],
                problems,
            )
            .unwrap_or_default(),
            None => Source::Any,
        };
        // An empty alias is reported already, as any empty string.
        let bad_name = match name_problem("an alias name", alias) {
            Some(problem) if !alias.is_empty() => {
                problems.add(&alias_path, problem);
                true
            }
            _ => false,
        };
        if source != Source::Broker
            && !alias.is_empty()
            && !bad_name
            && !QUERY_SOURCES.contains(&alias)
            && !query_aliases.contains(&alias)
        {
            let why = if FORBIDDEN_SOURCES
                .iter()
                .any(|f| f.eq_ignore_ascii_case(alias))
            {
                format!("\"{alias}\" can never be read from the query; use \"source\": \"broker\"")
            } else {
                format!(
                    "\"{alias}\" cannot be read from the query: list it in query_aliases, \
                     or use \"source\": \"broker\""
                )
            };
            problems.add(&alias_path, why);
        }
        if source != Source::Broker {
            query_only_problems(name, alias, path, &alias_path, problems);
        }
        let max_len = match get("max_len") {
            Some(node) => {
                let here = join(path, "max_len");
                match positive(node, &here, problems) {
                    Some(n) if n > limits.max_value_len => {
                        problems.add(
                            &here,
                            format!(
                                "{n} is above limits.max_value_len ({}), the longest value ever \
                                 sent",
                                limits.max_value_len
                            ),
                        );
                        limits.max_value_len
                    }
                    Some(n) => n,
                    None => limits.max_value_len,
                }
            }
            None => limits.max_value_len,
        };
        let pattern = match get("pattern") {
            Some(Node::String(p)) => match compile_pattern(p) {
                Ok(re) => Some(re),
                Err(e) => {
                    problems.add(&join(path, "pattern"), e);
                    None
                }
            },
            Some(other) => {
                problems.add(
                    &join(path, "pattern"),
                    format!("expected a string, found {}", other.kind()),
                );
                None
            }
            None => None,
        };
        let default = match get("default") {
            Some(node) => {
                let here = join(path, "default");
                let default = string(node, &here, problems);
                if let Some(d) = default {
                    if d.len() > limits.max_value_len {
                        problems.add(
                            &here,
                            format!(
                                "{} bytes, longer than limits.max_value_len ({}), the longest \
                                 value ever sent",
                                d.len(),
                                limits.max_value_len
                            ),
                        );
                    } else if d.len() > max_len {
                        problems.add(&here, format!("longer than its max_len ({max_len})"));
                    }
                    if pattern.as_ref().is_some_and(|re| !re.is_match(d)) {
                        problems.add(&here, "does not match its pattern");
                    }
                }
                default
            }
            None => None,
        };
        let transform = get("transform")
            .and_then(|node| enum_value(node, &join(path, "transform"), &Transform::ALL, problems));
        Spec::Alias {
            alias,
            source,
            default,
            pattern,
            max_len,
            mode,
            transform,
        }
    };
    (problems.0.len() == before).then_some(kind)
}

/// What an alias read from the query (`"source"` `"any"` or `"query"`) may not do: feed
/// `scope` (a client's link must never widen the broker's upstream grant), or read
/// `id_token_hint` (the broker's own ID token). Both are compared ignoring ASCII case (`scope`
/// also as a PHP server reads the target), so no spelling or `query_aliases` entry gets around
/// them.
fn query_only_problems(
    name: &str,
    alias: &str,
    path: &str,
    alias_path: &str,
    problems: &mut Problems,
) {
    if reserved_as_php(name, "scope") {
        problems.add(
            path,
            "\"scope\" may be fed only with \"source\": \"broker\": a value from the client's \
             query would let any link widen the broker's upstream grant (offline_access, mail \
             scopes)",
        );
    }
    if alias.eq_ignore_ascii_case("id_token_hint") {
        problems.add(
            alias_path,
            "\"id_token_hint\" is read only with \"source\": \"broker\": it carries the \
             broker's own ID token, personal data that no upstream IdP can verify",
        );
    }
}
