//! Text functions: a `Location` and a query read as a browser and a form decoder read them,
//! and the result written. Nothing here knows HTTP types, configuration or tower: functions
//! over `&str` that return borrowed slices or positions.
//!
//! In the order a redirect meets them:
//!
//! - [`location`]: the `Location` cut into base, query and fragment;
//! - [`endpoint`]: scheme, host, port and path of the base, as the browser will read them
//!   (plain URLs read in place, anything unusual handed to the `url` crate);
//! - [`scan`]: the query read once, recording where its pairs and its `client_id` are;
//! - [`query`]: raw pairs, names and values decoded, one name looked up;
//! - [`encode`]: names and values written `application/x-www-form-urlencoded`;
//! - [`bytes`]: where the others find bytes ([`swar`]: eight bytes at a time; `memchr`).

mod bytes;
mod encode;
mod endpoint;
mod location;
mod origin;
mod query;
mod redact;
mod scan;
mod swar;
#[cfg(test)]
mod tests;

pub(crate) use encode::Written;
pub(crate) use endpoint::{Endpoint, MAX_HOST_LEN, OriginKey, endpoint_in};
pub(crate) use location::{Parts, base, browser_form, keep_tail, split};
pub(crate) use origin::{PlainOrigin, QuickOrigin, quick_origin};
pub(crate) use query::{
    Lookup, PairLookup, RawPairs, decoded_bytes_in, decoded_name, decoded_text_in, lookup_pair,
    name_is, pairs, value_is,
};
pub(crate) use redact::Redacted;
pub(crate) use scan::Scan;
