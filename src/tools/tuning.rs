//! Entry points for `benches/thresholds.rs`, which times both sides of the
//! thresholds in `core::tuned` (see the table there). Not part of the API:
//! hidden from the docs, and may change in any release.

use crate::core::canonical::{remembered_order_for_bench, sort_fresh_by, Header};

/// How [`sort_header_names`] orders the headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderSort {
    /// The insertion sort on whole names.
    Insertion,
    /// The keyed sort on integer words of the names.
    Keyed,
    /// This thread's remembered order (sorting on a miss), as signing does
    /// for 4 to 32 headers.
    Remembered,
}

/// Sorts lowercase, valid `headers` as `how` says and returns the length of
/// their signed-headers list (so the work cannot be optimised away).
#[must_use]
pub fn sort_header_names(headers: &[Header<'_>], how: HeaderSort) -> usize {
    let order = match how {
        HeaderSort::Insertion => sort_fresh_by(headers, true, false),
        HeaderSort::Keyed => sort_fresh_by(headers, true, true),
        HeaderSort::Remembered => match remembered_order_for_bench(headers) {
            Some(order) => order,
            None => return 0,
        },
    };
    order.signed_headers_len()
}
