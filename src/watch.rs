//! [`FileWatch`]: a configuration file, loaded again whenever it changes.
//!
//! A plain thread (no async runtime): it reads the file every interval and compares the bytes
//! with those of its last read that loaded; when they differ it loads them and, if they are
//! a valid configuration, stores it. A read that fails (the file missing for a moment, not a
//! regular file) or bytes that do not load (half written) never replace those bytes: when
//! the file comes back as it was, nothing is loaded again, and a
//! [`ConfigHandle::store`](crate::ConfigHandle::store) or
//! [`update`](crate::ConfigHandle::update) made meanwhile stays. It is told to stop through a channel whose sender the
//! [`FileWatch`] holds: dropping it wakes the thread at once.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::{Config, ConfigError};

/// The shortest interval between two reads (a shorter one is taken as this).
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// A background thread that loads a configuration file into a
/// [`ConfigHandle`](crate::ConfigHandle) whenever the file changes; made by
/// [`ConfigHandle::watch_file`](crate::ConfigHandle::watch_file).
///
/// Dropping it stops the thread: the drop wakes the thread and waits for it to end, which
/// takes at most the read and load it may be in the middle of, never a whole interval. It
/// never hangs: the file is read only if it is a regular file (never a named pipe or a
/// device), and should a read still block (a stalled network file system), the drop waits
/// one second at most and lets the thread end on its own; either way nothing is stored
/// from the file once the drop has returned. Keep the watch for as long as the
/// configuration should follow the file (for a server, as long as it serves).
///
/// It also says what became of the file's current content: [`FileWatch::fingerprint`] of
/// the configuration it last stored, and [`FileWatch::error`] when the file, as last read,
/// did not load.
#[must_use = "dropping a FileWatch stops watching the file"]
pub struct FileWatch {
    path: PathBuf,
    interval: Duration,
    status: Arc<Mutex<Status>>,
    /// Dropped to stop the thread (its receiver then wakes, disconnected).
    stop: Option<mpsc::Sender<()>>,
    /// Disconnected when the thread ends (it holds the sender).
    /// (In a mutex only so that a `FileWatch` is `Sync`; only the drop takes it.)
    done: Option<Mutex<mpsc::Receiver<()>>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// How long dropping a [`FileWatch`] waits for its thread, at most (1 s).
const DROP_WAIT: Duration = Duration::from_secs(1);

/// What the thread last saw, for [`FileWatch`]'s accessors.
#[derive(Default)]
struct Status {
    error: Option<ConfigError>,
    fingerprint: Option<String>,
    /// Set when the [`FileWatch`] is dropped: the thread stores nothing after.
    stopped: bool,
}

impl fmt::Debug for FileWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileWatch")
            .field("path", &self.path)
            .field("interval", &self.interval)
            .field("running", &self.thread.is_some())
            .field("fingerprint", &self.fingerprint())
            .field("rejected", &self.error().is_some())
            .finish()
    }
}

impl FileWatch {
    /// Reads `path` once on the calling thread, then starts the thread that reads it again
    /// every `interval`.
    pub(crate) fn start(
        config: Arc<ArcSwap<Config>>,
        path: PathBuf,
        interval: Duration,
    ) -> FileWatch {
        let interval = interval.max(MIN_INTERVAL);
        let status = Arc::new(Mutex::new(Status::default()));
        let mut watcher = Watcher {
            path: path.clone(),
            config,
            status: Arc::clone(&status),
            loaded: None,
            failure: None,
            loaded_once: false,
        };
        watcher.check();
        let (stop, stopped) = mpsc::channel::<()>();
        let (done, ended) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("upstream-params-watch".to_owned())
            .spawn(move || {
                // Dropped when the thread ends, however it ends.
                let _done = done;
                watcher.run(&stopped, interval);
            });
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                tracing::error!(
                    target: "tower_upstream_params",
                    reason = "watch_not_started",
                    path = %path.display(),
                    error = %e,
                    "cannot start the thread that watches the configuration file; it was read once"
                );
                None
            }
        };
        FileWatch {
            path,
            interval,
            status,
            stop: Some(stop),
            done: Some(Mutex::new(ended)),
            thread,
        }
    }

    /// The file watched, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long the thread waits between two reads (at least 1 ms).
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Why the file, as last read, did not load (it is missing, unreadable, not JSON, or not
    /// a valid configuration); `None` when it loaded. The configuration stored before stays
    /// live meanwhile.
    pub fn error(&self) -> Option<ConfigError> {
        self.status().error.clone()
    }

    /// The [`Config::fingerprint`] of the configuration this watch last stored; `None` until
    /// the file has loaded once.
    ///
    /// This is what the watch stored, not necessarily what the handle holds now: a
    /// [`ConfigHandle::store`](crate::ConfigHandle::store) or
    /// [`update`](crate::ConfigHandle::update) since then replaces it (until the file changes
    /// again).
    pub fn fingerprint(&self) -> Option<String> {
        self.status().fingerprint.clone()
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        // From now on the thread stores nothing (it checks this under the same lock).
        self.status().stopped = true;
        // Disconnects the channel: the thread's wait ends at once.
        drop(self.stop.take());
        let (Some(thread), Some(done)) = (self.thread.take(), self.done.take()) else {
            return;
        };
        if thread.thread().id() == thread::current().id() {
            return;
        }
        let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
        match done.recv_timeout(DROP_WAIT) {
            // The thread has ended (it only returns, or panics, caught): reap it.
            Err(RecvTimeoutError::Disconnected) | Ok(()) => {
                let _ = thread.join();
            }
            // Still in a read: let it end on its own; it will store nothing.
            Err(RecvTimeoutError::Timeout) => {
                tracing::warn!(
                    target: "tower_upstream_params",
                    reason = "watch_detached",
                    path = %self.path.display(),
                    "the thread watching the configuration file is still reading it; \
                     it will end on its own and store nothing"
                );
            }
        }
    }
}

/// A read that did not load, remembered so that it is reported once.
#[derive(PartialEq, Eq)]
enum Failure {
    /// Bytes that are not a valid configuration.
    Bytes(Vec<u8>),
    /// The file could not be read, or is not a regular file (two different errors are two
    /// different reads, each reported once).
    Failed(ConfigError),
}

/// The thread's side.
struct Watcher {
    path: PathBuf,
    config: Arc<ArcSwap<Config>>,
    status: Arc<Mutex<Status>>,
    /// The bytes of the last read that loaded; `None` before the first. Only a read that
    /// loads replaces them.
    loaded: Option<Vec<u8>>,
    /// The last read, if it did not load.
    failure: Option<Failure>,
    /// Whether a configuration from the file was stored yet.
    loaded_once: bool,
}

impl Watcher {
    fn run(mut self, stop: &mpsc::Receiver<()>, interval: Duration) {
        loop {
            match stop.recv_timeout(interval) {
                Err(RecvTimeoutError::Timeout) => self.check(),
                // Told to stop, or the FileWatch is gone.
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Reads the file (following symlinks, anew each time: no descriptor is kept, so a
    /// replaced file or a swapped symlink is seen) and loads it if it changed.
    fn check(&mut self) {
        let checked = catch_unwind(AssertUnwindSafe(|| self.check_once()));
        if checked.is_err() {
            // Not expected: loading never panics. Keep watching; read the file again next
            // time.
            self.loaded = None;
            self.failure = None;
            tracing::error!(
                target: "tower_upstream_params",
                reason = "config_rejected",
                path = %self.path.display(),
                "loading the configuration file panicked; the live configuration stays"
            );
        }
    }

    fn check_once(&mut self) {
        match crate::config::read_file(&self.path) {
            Ok(bytes) => {
                if self.loaded.as_ref() == Some(&bytes) {
                    if self.failure.take().is_some() {
                        // Back as it was when it last loaded: nothing to load, nothing wrong.
                        self.recovered();
                    }
                    return;
                }
                if matches!(&self.failure, Some(Failure::Bytes(failed)) if *failed == bytes) {
                    // Rejected already: reported once.
                    return;
                }
                match Config::from_file_bytes(&self.path, &bytes) {
                    Ok(config) => {
                        self.loaded(config);
                        self.loaded = Some(bytes);
                        self.failure = None;
                    }
                    Err(error) => {
                        self.rejected(error);
                        self.failure = Some(Failure::Bytes(bytes));
                    }
                }
            }
            Err(error) => {
                let failure = Failure::Failed(error.clone());
                if self.failure.as_ref() == Some(&failure) {
                    return;
                }
                self.rejected(error);
                self.failure = Some(failure);
            }
        }
    }

    /// The file reads again as it was when it last loaded, after reads that did not load:
    /// the configuration it holds is the one stored (or what a `store` or `update` put in
    /// its place since), so nothing is reloaded; the watch no longer reports an error.
    fn recovered(&self) {
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.error = None;
        #[cfg(feature = "metrics")]
        crate::metrics::last_reload(true);
    }

    /// Stores a configuration the file loaded, and reports it: `config_loaded` the first
    /// time, `config_reloaded` after.
    fn loaded(&mut self, config: Config) {
        let fingerprint = config.fingerprint();
        let connections = config.connection_names().count();
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        if status.stopped {
            return;
        }
        self.config.store(Arc::new(config));
        let (reason, message) = if self.loaded_once {
            ("config_reloaded", "configuration file loaded again")
        } else {
            ("config_loaded", "configuration file loaded")
        };
        tracing::info!(
            target: "tower_upstream_params",
            reason,
            path = %self.path.display(),
            fingerprint = %fingerprint,
            connections,
            "{message}"
        );
        self.loaded_once = true;
        status.error = None;
        status.fingerprint = Some(fingerprint);
        #[cfg(feature = "metrics")]
        crate::metrics::reload(true);
    }

    /// Reports a file that does not load: every problem, as `PATH: MESSAGE` (just `MESSAGE`
    /// for a problem with the whole document). No message holds a configured value (see
    /// [`ConfigError`]).
    fn rejected(&self, error: ConfigError) {
        let errors: Vec<String> = error
            .problems()
            .map(|(path, message)| {
                if path.is_empty() {
                    message.to_owned()
                } else {
                    format!("{path}: {message}")
                }
            })
            .collect();
        tracing::error!(
            target: "tower_upstream_params",
            reason = "config_rejected",
            path = %self.path.display(),
            errors = ?errors,
            "configuration file rejected; the live configuration stays"
        );
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.error = Some(error);
        #[cfg(feature = "metrics")]
        crate::metrics::reload(false);
    }
}
