//! The engine: which redirects are rewritten, and how. It knows configuration, `http`
//! messages and text, and nothing of tower: the service in [`crate::service`] hands it each
//! response.
//!
//! In the order a redirect passes through it:
//!
//! - [`redirect`]: is the response a redirect to a configured endpoint, which connection does
//!   it select, and the `Location` written back (with the `tracing` event);
//! - [`resolve`]: each param's value, from the sources its configuration allows;
//! - [`rewrite`]: the query read once, each param's [`outcome`] decided, the new `Location`
//!   measured and written;
//! - [`merge`]: `"mode": "merge"`'s space-delimited union;
//! - [`edit`]: one param on its way through, [`outcome`]: what happened to it.

mod edit;
mod merge;
mod outcome;
mod redirect;
mod resolve;
mod rewrite;
#[cfg(test)]
mod tests;

pub(crate) use edit::{Edit, Op};
pub(crate) use redirect::{is_redirect, process};
pub(crate) use rewrite::rewrite;
