//! [`ConfigHandle`]: the configuration a layer serves, replaced while it serves.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::watch::FileWatch;
use crate::{AliasSources, Config, ConfigError, Resolved, Rewrite};

/// Reloads a layer's configuration while it serves ("hot reload").
///
/// A stored configuration is seen by every service built from the layer (and its clones) on
/// the next response; each response is processed wholly under one configuration, the one
/// current when its inner future completed.
///
/// ```
/// use tower_upstream_params::{Config, UpstreamParamsLayer};
///
/// let layer = UpstreamParamsLayer::new(Config::default());
/// let handle = layer.handle();
/// handle.store(Config::from_json(r#"{"connections": {}}"#)?);
/// assert_eq!(handle.load().connection_names().count(), 0);
/// # Ok::<(), tower_upstream_params::ConfigError>(())
/// ```
///
/// A handle also carries its layer's [`dry_run`](crate::UpstreamParamsLayer::dry_run): the
/// doors on it, [`resolve`](Self::resolve) and [`rewrite_location`](Self::rewrite_location),
/// apply the current configuration as that layer would, so that a pushed authorization
/// request under a dry-run layer is a dry run too.
#[derive(Clone)]
pub struct ConfigHandle {
    config: Arc<ArcSwap<Config>>,
    dry_run: bool,
}

impl fmt::Debug for ConfigHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigHandle")
            .field("config", &**self.config.load())
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

impl ConfigHandle {
    pub(crate) fn new(config: Arc<ArcSwap<Config>>, dry_run: bool) -> Self {
        ConfigHandle { config, dry_run }
    }

    /// The cell the layer's services load the configuration from.
    #[inline]
    pub(crate) fn cell(&self) -> &ArcSwap<Config> {
        &self.config
    }

    /// This handle with another dry run, sharing its configuration.
    pub(crate) fn with_dry_run(&self, dry_run: bool) -> Self {
        ConfigHandle::new(Arc::clone(&self.config), dry_run)
    }

    /// Whether the layer this handle came from is a dry run
    /// ([`UpstreamParamsLayer::dry_run`](crate::UpstreamParamsLayer::dry_run)).
    #[inline]
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// [`Config::resolve`] on the current configuration, under this handle's dry run: the
    /// door for a pushed authorization request or JAR claims that the layer's own redirect
    /// will not carry.
    ///
    /// ```
    /// use tower_upstream_params::{AliasSources, Config, UpstreamParamsLayer};
    ///
    /// let config = Config::from_json(r#"{"connections": {"google": {
    ///     "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
    ///     "upstream_params": {"prompt": {"value": "select_account"}}}}}"#)?;
    /// let layer = UpstreamParamsLayer::new(config).dry_run(true);
    /// let resolved = layer.handle().resolve("google", &AliasSources::new()).unwrap();
    /// assert!(resolved.dry_run());
    /// assert_eq!(resolved.values().count(), 0); // a canary never sends
    /// assert!(resolved.report().rewritten()); // but says what it would have done
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    pub fn resolve(&self, connection: &str, sources: &AliasSources<'_>) -> Option<Resolved> {
        self.config
            .load()
            .resolve_with(connection, sources, self.dry_run)
    }

    /// [`Config::rewrite_location`] on the current configuration, under this handle's dry
    /// run.
    pub fn rewrite_location(
        &self,
        url: &str,
        connection: Option<&str>,
        sources: &AliasSources<'_>,
    ) -> Rewrite {
        self.config
            .load()
            .rewrite_with(url, connection, sources, self.dry_run)
    }

    /// Replaces the configuration.
    pub fn store(&self, config: Config) {
        self.config.store(Arc::new(config));
    }

    /// The current configuration.
    pub fn load(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// Replaces the configuration with what `f` makes of the current one, atomically: if
    /// another update (or a [`store`](Self::store), or a [`FileWatch`]) replaced it while `f`
    /// ran, `f` runs again on the newer one. So two concurrent updates never lose one another
    /// (say, two admin requests each applying a [`Config::merge_patch`]): the second applies
    /// to the result of the first. Returns the configuration stored.
    ///
    /// `f` may run more than once, and should do nothing but compute the new configuration.
    ///
    /// ```
    /// use tower_upstream_params::{Config, UpstreamParamsLayer};
    ///
    /// let layer = UpstreamParamsLayer::new(Config::from_json(r#"{"connections": {"google": {
    ///     "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth"}}}"#)?);
    /// let patch = r#"{"connections": {"google": {"upstream_params": {
    ///     "hd": {"value": "acme.com"}}}}}"#;
    /// let stored = layer.handle().update(|config| config.merge_patch(patch))?;
    /// assert!(stored.to_json().contains("acme.com"));
    ///
    /// // A patch that does not validate changes nothing.
    /// let bad = r#"{"connections": {"google": {"upstream_params": {"state": {"value": "x"}}}}}"#;
    /// assert!(layer.handle().update(|config| config.merge_patch(bad)).is_err());
    /// assert_eq!(*layer.handle().load(), *stored);
    /// # Ok::<(), tower_upstream_params::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The first error `f` returns; nothing is stored then.
    pub fn update<F>(&self, mut f: F) -> Result<Arc<Config>, ConfigError>
    where
        F: FnMut(&Config) -> Result<Config, ConfigError>,
    {
        let mut current = self.config.load_full();
        loop {
            let new = Arc::new(f(&current)?);
            let previous = self.config.compare_and_swap(&current, Arc::clone(&new));
            if Arc::ptr_eq(&previous, &current) {
                return Ok(new);
            }
            // Someone else stored in between: apply `f` to theirs.
            current = arc_swap::Guard::into_inner(previous);
        }
    }

    /// Loads the configuration file at `path` into this handle now and whenever it changes,
    /// until the returned [`FileWatch`] is dropped.
    ///
    /// `path` is read once before this returns (so that, if the file loads, its
    /// configuration is live when this returns), then by a background thread every
    /// `interval` (no async runtime needed; an interval under 1 ms is taken as 1 ms).
    /// Whenever the bytes read differ from those of the last read that loaded (the first
    /// read included), they are loaded as by [`Config::from_path`] and, if valid, stored. The
    /// first configuration stored is reported at `INFO` with `reason = "config_loaded"`,
    /// every later one with `reason = "config_reloaded"`; both with `path`, the
    /// configuration's `fingerprint` and its number of `connections`.
    ///
    /// Only a regular file (symlinks followed) of at most 16 MiB is read: a named pipe, a
    /// device or a directory at `path` is an error at once, never a blocked thread, and
    /// dropping the [`FileWatch`] never hangs.
    ///
    /// A file that does not load (missing, unreadable, not a regular file, JSON cut short by
    /// a write in progress, an invalid configuration) leaves the live configuration as it
    /// is, and is reported once at `ERROR` with `reason = "config_rejected"`, `path`, and
    /// `errors`: every problem as `PATH: MESSAGE` (just `MESSAGE` for a problem with the whole
    /// document, such as `invalid JSON: EOF while parsing an object at line 3 column 0`).
    /// No message holds a configured value: they name keys, connections and params, never a
    /// param's `value`, `default` or `pattern`. The file is tried again when its bytes
    /// change; [`FileWatch::error`] says the same to code.
    ///
    /// With the feature `metrics`, each configuration stored counts
    /// `upstream_params_config_reloads_total{result="loaded"}` and each rejection
    /// `{result="rejected"}`; the gauge `upstream_params_config_last_reload_successful` is 1
    /// while the file, as last read, is live and 0 while it is rejected (a replica serving an
    /// older configuration than its file). See
    #[cfg_attr(
        feature = "metrics",
        doc = "[`describe_metrics`](crate::describe_metrics)."
    )]
    #[cfg_attr(not(feature = "metrics"), doc = "`describe_metrics`.")]
    ///
    /// The path is opened anew at every read, following symlinks, and no descriptor is kept:
    /// a file replaced by a rename (what editors and deployment tools do), and a Kubernetes
    /// ConfigMap volume, whose update atomically swaps the `..data` symlink that the file's
    /// path goes through, are both seen at the next read. Write the file by a rename where
    /// you can: a file written in place may be read half-written, which is rejected (and
    /// loaded at the next read, once complete).
    ///
    /// The file is the source of truth: a [`store`](Self::store) or [`update`](Self::update)
    /// on this handle lasts until the file's content really changes. The watch compares
    /// what it reads with the bytes of its last read that loaded; a read that fails (the
    /// file missing for a moment) or bytes that do not load (half written) never replace
    /// them, so a file that comes back as it was loads nothing, and the watch's
    /// [`error`](FileWatch::error) clears.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tower_upstream_params::{Config, UpstreamParamsLayer};
    ///
    /// let layer = UpstreamParamsLayer::new(Config::default());
    /// let watch = layer
    ///     .handle()
    ///     .watch_file("/etc/broker/upstream-params.json", Duration::from_secs(5));
    /// if let Some(error) = watch.error() {
    ///     eprintln!("starting without the file's configuration: {error}");
    /// }
    /// // Serve with `layer`, keeping `watch` alive for as long.
    /// # drop(watch);
    /// ```
    pub fn watch_file(&self, path: impl AsRef<Path>, interval: Duration) -> FileWatch {
        FileWatch::start(
            Arc::clone(&self.config),
            path.as_ref().to_path_buf(),
            interval,
        )
    }
}
