//! The layer, and the handle through which its configuration is reloaded.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tower_layer::Layer;

use crate::{Config, ConfigHandle, UpstreamParams};

/// Adds configured upstream params to redirects towards identity providers.
///
/// Every request goes through; only a redirect response whose `Location` points at a
/// configured `authorization_url` is rewritten. See the [crate docs](crate) for the rules.
///
/// Clones share one configuration: [`handle`](Self::handle) reloads it for every service built
/// from this layer or any clone of it.
#[derive(Clone)]
#[must_use]
pub struct UpstreamParamsLayer {
    // The configuration's cell and the layer's dry run, behind one `Arc`: what each request
    // keeps for its response is this pointer, nothing more.
    shared: Arc<ConfigHandle>,
}

impl fmt::Debug for UpstreamParamsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamParamsLayer")
            .field("config", &**self.shared.cell().load())
            .field("dry_run", &self.shared.dry_run())
            .finish()
    }
}

impl UpstreamParamsLayer {
    /// A layer applying `config`.
    pub fn new(config: Config) -> Self {
        UpstreamParamsLayer {
            shared: Arc::new(ConfigHandle::new(
                Arc::new(ArcSwap::from_pointee(config)),
                false,
            )),
        }
    }

    /// With `true`, compute and report (as `tracing` events with `dry_run = true`) what would
    /// change, but never modify a response. Only this layer value and the services it builds
    /// afterwards are affected; the configuration stays shared with the clones.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.shared = Arc::new(self.shared.with_dry_run(dry_run));
        self
    }

    /// The handle that reloads this layer's configuration.
    pub fn handle(&self) -> ConfigHandle {
        ConfigHandle::clone(&self.shared)
    }
}

impl<S> Layer<S> for UpstreamParamsLayer {
    type Service = UpstreamParams<S>;

    fn layer(&self, inner: S) -> Self::Service {
        UpstreamParams::from_shared(inner, Arc::clone(&self.shared))
    }
}
