//! Running the `upstream-params` binary as built, for `tests/cli.rs` and
//! `tests/cli_import.rs`: its exit status and output, a file in the test's temporary folder.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_upstream-params");

pub(crate) fn run(args: &[&str]) -> Run {
    finish(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs"),
    )
}

/// Runs the command with `stdin` on its standard input.
pub(crate) fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().expect("a stdin pipe");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The command may stop reading early (a usage error): a broken pipe is fine.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("the binary ends");
    writer.join().expect("the writer thread ends");
    finish(output)
}

/// Runs a bash command line, with `$BIN` the command, as an operator's shell would.
pub(crate) fn run_shell(script: &str) -> Run {
    finish(
        Command::new("bash")
            .args(["-c", script])
            .env("BIN", BIN)
            .stdin(Stdio::null())
            .output()
            .expect("bash runs (the tests need it for process substitution)"),
    )
}

pub(crate) fn finish(output: Output) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    Run {
        status: status.code().expect("an exit status, not a signal"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// A file under the test's own temporary folder (`name` unique among the CLI tests).
pub(crate) fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::write(&path, contents).expect("the temporary folder is writable");
    path
}

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}
