//! Where the command writes: its output gathered, then written to stdout at once, so that a
//! closed pipe is an I/O error (exit status 2), never a panic.

use std::io::Write;

use crate::Failure;

/// The command's standard output, gathered.
#[derive(Debug, Default)]
pub(crate) struct Out {
    text: String,
}

impl Out {
    /// Appends `text` as it is.
    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Appends `text` and a line break.
    pub(crate) fn line(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// Writes what was gathered to stdout.
    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
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
