//! [`ConfigHandle`]: the configuration a layer serves, replaced while it serves.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::Config;

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
#[derive(Clone)]
pub struct ConfigHandle {
    config: Arc<ArcSwap<Config>>,
}

impl fmt::Debug for ConfigHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigHandle")
            .field("config", &**self.config.load())
            .finish()
    }
}

impl ConfigHandle {
    pub(crate) fn new(config: Arc<ArcSwap<Config>>) -> Self {
        ConfigHandle { config }
    }

    /// Replaces the configuration.
    pub fn store(&self, config: Config) {
        self.config.store(Arc::new(config));
    }

    /// The current configuration.
    pub fn load(&self) -> Arc<Config> {
        self.config.load_full()
    }
}
