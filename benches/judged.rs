//! The loop that judges the issue "Performance, restated": what the layer adds to a redirect
//! and to a response it leaves alone, against what a hand-written layer adds.
//!
//! Each iteration builds a request whose URI is a slice of a shared read buffer (as hyper
//! leaves it), runs `ready().call()` under `futures::executor::block_on`, checks the status
//! and the `Location`'s length, and drops the response.
//!
//! - `judged/200/{bare,layer}`: a `200` (3 connections configured);
//! - `judged/302/{bare,layer,naive}`: the bare service answers a `302` to Google's authorize
//!   endpoint with `prompt=consent` last; the layer's connection replaces `prompt` with
//!   `select_account` and appends `access_type=offline`, `hd=acme.com` and `login_hint`
//!   (aliased from the request); the naive layer is `tower::util::MapResponseLayer` over what
//!   a user writes by hand with `url`;
//! - `judged/302/layer_100001`: the layer's rewrite with 100,000 more connections;
//! - `judged/302_elsewhere/{bare,layer}`: the same 302 with its host replaced by one of the
//!   same length that no connection is configured on (`clients.example.com`): what a
//!   broker's redirect back to its own client costs.
//!
//! `judged CASE [ITERATIONS]` runs CASE 10 times, then ITERATIONS times (default 1000) inside
//! `callgrind_measured_region` (for `valgrind --tool=callgrind
//! --toggle-collect='*callgrind_measured_region*'`); without a case, as `cargo bench` runs it,
//! every case is timed with criterion. See BENCHMARKS.md. The loop itself is
//! `common/judged.rs`; the reference cases that measure floors are in `floors.rs` (their own
//! binary, so that this one's code is only what is judged).

mod common;
#[path = "common/judged.rs"]
mod judged_loop;

fn main() {
    judged_loop::main_with(judged_loop::judged_cases, judged_loop::JUDGED_CASES);
}
