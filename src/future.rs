//! The response future of [`UpstreamParams`](crate::UpstreamParams).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::Response;
use http::uri::PathAndQuery;
use pin_project_lite::pin_project;

use crate::{ConfigHandle, UpstreamValues, engine};

pin_project! {
    /// Response future of [`UpstreamParams`](crate::UpstreamParams): polls the inner future,
    /// then rewrites the response's `Location` if it is a redirect to a configured identity
    /// provider. No boxing; nothing is allocated for a response that is not rewritten.
    pub struct ResponseFuture<F> {
        #[pin]
        pub(crate) inner: F,
        pub(crate) data: Option<RequestData>,
    }
}

impl<F: fmt::Debug> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("inner", &self.inner)
            .field("data", &self.data)
            .finish()
    }
}

/// What the response side needs from the request.
pub(crate) struct RequestData {
    /// The layer's configuration cell and dry run.
    pub(crate) shared: Arc<ConfigHandle>,
    pub(crate) query: Option<PathAndQuery>,
    pub(crate) values: Option<UpstreamValues>,
}

impl fmt::Debug for RequestData {
    // The query holds personal data (a login_hint is an email address): never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestData")
            .field("dry_run", &self.shared.dry_run())
            .field("has_query", &self.query.is_some())
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    // Inlined for the same reason as `UpstreamParams::call`: the pass-through is this check.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        // Anything but a redirect leaves at once (the request's data goes with the future).
        if !engine::is_redirect(response.status()) {
            return Poll::Ready(Ok(response));
        }
        if let Some(data) = this.data.take() {
            let query = data.query.as_ref().and_then(PathAndQuery::query);
            engine::process(
                data.shared.cell(),
                data.shared.dry_run(),
                query,
                data.values.as_ref(),
                &mut response,
            );
        }
        Poll::Ready(Ok(response))
    }
}
