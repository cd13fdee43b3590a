//! Where the command writes: its output gathered, then written to stdout and stderr at once,
//! so that a closed pipe is an I/O error (exit status 2), never a panic.
//!
//! Text lines are written with their control characters escaped ([`escape`]): a connection
//! name, a file name or a message quoting a key can never move the terminal's cursor, change
//! its colours or forge a line. JSON documents are written as serde_json writes them (it
//! escapes control characters itself).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use crate::Failure;

/// The command's standard output and standard error, gathered.
#[derive(Debug, Default)]
pub(crate) struct Out {
    text: String,
    errors: String,
}

impl Out {
    /// Appends `text` as it is (the schema, a JSON document).
    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends `text`, its control characters escaped, and a line break.
    pub(crate) fn line(&mut self, text: &str) {
        self.text.push_str(&escape(text));
        self.text.push('\n');
    }

    /// Appends `text` to standard error, its control characters escaped, and a line break.
    pub(crate) fn err_line(&mut self, text: &str) {
        self.errors.push_str(&escape(text));
        self.errors.push('\n');
    }

    /// Appends `value` as one JSON document (pretty-printed) and a line break.
    pub(crate) fn json(&mut self, value: &impl Serialize) -> Result<(), Failure> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Failure::Io(format!("cannot write the JSON output: {e}")))?;
        self.text.push_str(&text);
        self.text.push('\n');
        Ok(())
    }

    /// Writes what was gathered: standard error first (it is short), then standard output.
    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        write_stderr(&self.errors);
        self.errors.clear();
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(self.text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| Failure::Io(format!("cannot write the output: {e}")))?;
        self.text.clear();
        Ok(())
    }
}

/// Writes `text` to stderr; if even that fails, there is no one left to tell.
pub(crate) fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A string as JSON writes it (quoted, `"` and `\\` escaped): names in messages.
pub(crate) fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// `text` with every control character (Unicode `Cc`: C0, DEL, C1) and every bidirectional
/// formatting character written as an escape: `\n`, `\r`, `\t`, else `\u{1b}`. Everything
/// else, backslashes included, is kept as it is.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// A control character, or a character that reorders the text around it on a terminal.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(escape("acme.com google"), "acme.com google");
        assert_eq!(escape("a\\b ö"), "a\\b ö");
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(escape("\u{7f}\u{85}\u{202e}"), "\\u{7f}\\u{85}\\u{202e}");
    }
}
