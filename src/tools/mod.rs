//! Tools for the `sigv4` command, the tests and the fuzz targets (feature
//! `tools`, which `cli` turns on): not part of signing or verifying.
//!
//! - [`raw`]: raw HTTP/1.1 requests in the layout of the AWS signing test
//!   suite's `request.txt` files (and as captured from the wire), to and
//!   from `http::Request`.
//! - `fuzz` (hidden): entry points for the fuzz targets into parsers the
//!   API reaches only through files, processes or the network.
//! - `tuning` (hidden): entry points for `benches/thresholds.rs` into the
//!   tuned sorts, to time both sides of each threshold.

// Hidden: entry points for the fuzz targets, not an API.
#[doc(hidden)]
pub mod fuzz;
pub mod raw;
// Hidden: entry points for `benches/thresholds.rs`, not an API.
#[doc(hidden)]
pub mod tuning;
