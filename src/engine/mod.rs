//! The engine: which redirects are rewritten, and how. It knows configuration, `http`
//! messages and text, and nothing of tower: the service in `service.rs` hands it each
//! response, and [`Config::rewrite_location`](crate::Config::rewrite_location) and
//! [`Config::resolve`](crate::Config::resolve) call it without one.
//!
//! In the order a redirect passes through it:
//!
//! - [`redirect`]: is the response a redirect the rules apply to; the new `Location` written
//!   back, the report inserted and logged;
//! - [`decide`]: the one decision every door renders (the layer, `rewrite_location`,
//!   `explain`): the connection selected or the [`Miss`], each param resolved, the URL
//!   rewritten, the [`UpstreamReport`];
//! - [`sources`]: [`AliasSources`], what aliases read; [`resolve`]: each param's value;
//! - [`rewrite`]: the query read once, each param's outcome decided, the new `Location`
//!   measured and written; [`merge`]: `"mode": "merge"`'s union;
//! - [`pairs`]: the same rules over decoded pairs ([`Resolved::apply_to`]), and [`api`]:
//!   the public entry points on [`Config`](crate::Config);
//! - [`edit`]: one param on its way through; [`report`]: what happened to it; [`miss`]: why
//!   no connection was selected; [`events`]: what is logged, and how.

mod api;
mod decide;
mod edit;
mod events;
mod merge;
mod miss;
mod pairs;
mod redirect;
mod report;
mod resolve;
mod rewrite;
mod sources;
#[cfg(test)]
mod tests;

pub use api::{Resolved, Rewrite};
pub use miss::Miss;
pub use report::{DropReason, Outcome, ParamReport, UpstreamReport, ValueSource};
pub use sources::AliasSources;

pub(crate) use edit::{Edit, Op};
pub(crate) use redirect::{is_redirect, process};
pub(crate) use rewrite::rewrite;
