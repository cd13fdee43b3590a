//! The Node.js packages an end-to-end test needs, installed by the project's own lockfile.
//! Shared by `tests/oidc.rs` and `tests/saml.rs` (`#[path = "support/npm.rs"] mod npm;`).

use std::path::Path;
use std::sync::Mutex;

/// Makes sure `node` and `npm` are on the PATH (failing loudly, with how to install them,
/// where they are not: the test never skips), then runs `npm ci` in `dir` unless `marker`
/// (a file under it) is already there. `what` says what needs Node.js, for the message.
pub(crate) fn install(dir: &Path, marker: &str, what: &str) {
    for tool in ["node", "npm"] {
        let found = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "`{tool}` is not on the PATH: {what} with Node.js. Install Node.js 18 or later \
             with npm (Debian: `apt-get install nodejs npm`)."
        );
    }
    // The tests of one binary run in parallel: one installs, the others wait.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join(marker).exists() {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("run npm ci in {}: {e}", dir.display()));
    assert!(
        status.success(),
        "`npm ci` in {} failed: {status}",
        dir.display()
    );
}
