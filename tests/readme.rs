//! Every Rust snippet in README.md is an excerpt of a file that CI compiles and runs (an
//! example, a test, the crate's own doc tests): so no snippet shows an API that does not
//! exist, or that changed under it.
//!
//! A ```` ```rust ```` block starts with a comment naming its file (`// examples/axum.rs`).
//! Its other lines, read without their indentation and with blank lines passed over, must
//! stand in that file in the same order and next to one another; a line `// ...` in the
//! snippet marks code left out, so the part after it may stand further down. In a source
//! file, a doc comment's `//! ` or `/// ` is not part of the line.

use std::path::Path;

/// One snippet: the README line where it starts, the file it names, its lines.
struct Snippet {
    line: usize,
    file: String,
    body: Vec<String>,
}

fn snippets(readme: &str) -> Vec<Snippet> {
    let mut out = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if !line.trim_start().starts_with("```rust") {
            continue;
        }
        let mut body = Vec::new();
        for (_, line) in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            body.push(line.to_owned());
        }
        let file = body
            .first()
            .and_then(|first| first.trim().strip_prefix("// "))
            .unwrap_or_else(|| {
                panic!(
                    "README.md:{}: a Rust snippet starts with `// FILE`, the file it comes from",
                    n + 1
                )
            })
            .to_owned();
        out.push(Snippet {
            line: n + 1,
            file,
            body: body.into_iter().skip(1).collect(),
        });
    }
    out
}

/// A line as compared: no indentation, no doc-comment marker.
fn normal(line: &str) -> &str {
    let line = line.trim();
    for marker in ["//! ", "/// ", "//!", "///"] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim();
        }
    }
    line
}

/// Where `part` (lines) first stands in `file` (lines) at or after `from`: the index after it.
fn find(file: &[&str], part: &[&str], from: usize) -> Option<usize> {
    if part.is_empty() {
        return Some(from);
    }
    (from..file.len())
        .find(|&start| file.get(start..start + part.len()) == Some(part))
        .map(|start| start + part.len())
}

#[test]
fn every_rust_snippet_in_the_readme_is_compiled_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let snippets = snippets(&readme);
    assert!(
        snippets.len() >= 6,
        "the README's snippets were found: {}",
        snippets.len()
    );
    for snippet in snippets {
        let path = root.join(&snippet.file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("README.md:{}: {}: {e}", snippet.line, snippet.file);
        });
        let file: Vec<&str> = text.lines().map(normal).filter(|l| !l.is_empty()).collect();
        let mut at = 0;
        for part in snippet.body.split(|line| line.trim() == "// ...") {
            let part: Vec<&str> = part
                .iter()
                .map(|l| normal(l))
                .filter(|l| !l.is_empty())
                .collect();
            at = find(&file, &part, at).unwrap_or_else(|| {
                let missing = part
                    .iter()
                    .enumerate()
                    .find(|(i, _)| find(&file, &part[..=*i], at).is_none())
                    .map_or("", |(_, line)| line);
                panic!(
                    "README.md:{}: this part of the snippet is not in {} (from line `{missing}` on):\n{}",
                    snippet.line,
                    snippet.file,
                    part.join("\n")
                )
            });
        }
    }
}

#[test]
fn the_checker_finds_what_is_missing() {
    let file = ["a", "b", "c", "d"];
    assert_eq!(find(&file, &["b", "c"], 0), Some(3));
    assert_eq!(find(&file, &["c", "b"], 0), None);
    assert_eq!(find(&file, &["b"], 2), None);
    assert_eq!(normal("    /// let x = 1;"), "let x = 1;");
    let found = snippets("x\n```rust\n// examples/a.rs\nlet a = 1;\n```\n");
    assert_eq!(found[0].file, "examples/a.rs");
    assert_eq!(found[0].body, ["let a = 1;"]);
}
