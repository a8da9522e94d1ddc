//! Speed work, in one place: the word-at-a-time scanners ([`scan`]), the
//! integer-keyed sorts ([`sort`]), the per-thread memos and the one policy
//! for the secrets they hold ([`memo`]), and the pre-rendered scope tail.
//!
//! Nothing here changes what is signed. Each fast function equals a plain
//! one, and an oracle checks that it does:
//!
//! | fast | equals | oracle |
//! | --- | --- | --- |
//! | [`scan::classify_value`] | [`scan::classify_value_plain`] (a byte loop) | `scan::tests::values_classified_like_a_plain_scan` (every byte at every place) |
//! | [`scan::find_byte`], [`scan::contains_byte`] | `bytes.iter().position(\|&b\| b == needle)` | `scan::tests::find_byte_finds_the_first_and_only_the_needle` |
//! | [`scan::find_double_space`] | `bytes.windows(2).position(\|p\| p == b"  ")` | `scan::tests::find_double_space_agrees_with_a_plain_scan` |
//! | [`sort::be_word`] | the bytes `8 * i..` zero-padded to eight, big-endian | `sort::tests::be_word_orders_as_the_bytes_do` |
//! | [`sort::sort_names_keyed`] | a stable sort by lowercase name | `canonical::headers::tests::keyed_and_plain_sorting_agree`, the official suite, the differential proptests against aws-sigv4 (`tests/differential.rs`) |
//! | [`sort::sort_by_prefix`] | a stable sort by `(prefix, tie)` | `canonical::query::tests::canonical_segments_sort_like_everything_else` |
//! | [`memo::remembered_order`] | sorting afresh | a debug assertion on every hit, `canonical::headers::tests::remembered_orders_serve_only_the_same_names` |
//! | [`memo::put_encoded_token`] | percent-encoding the token each time | `tests/presign.rs`, `tests/view.rs` (presigning with changing credentials on one thread) |
//! | [`scope_tail`] | writing `/region/service/aws4_request` each time | a debug assertion in `CredentialScope::with_tail`; the official suite |
//!
//! Tuned thresholds, and the bench that set each:
//!
//! | threshold | value | set by |
//! | --- | --- | --- |
//! | [`memo::MEMO_FROM`] | 4 headers | `benches/thresholds.rs`, group `order_memo`: where comparing the remembered names starts to beat sorting |
//! | [`memo::MEMO_UP_TO`] | 32 headers | not timed: the inline capacity of an `Order` |
//! | [`sort::KEYED_SORT_FROM`] | 12 headers | `benches/thresholds.rs`, group `header_sort`: where keyed records overtake the insertion sort on names with a shared prefix (`x-amz-meta-*`); on short distinct names the insertion sort stays close |
//! | [`sort::KEYED_LEVELS`] | 8 words | not timed: names that tie on 64 bytes fall back to whole-name compares |
//! | `sort::sort_integers`' 32 | 32 records | not timed: the inline capacity of the record lists |
//! | `sha256::BUFFER` | 4 blocks | `benches/callgrind_w1.rs` (W1, instructions outside SHA-256, one block against four) |
//!
//! The figures each was set from are in `benches/RESULTS.md`, with the
//! command that reruns them.

pub(crate) mod memo;
pub(crate) mod scan;
pub(crate) mod sort;

use crate::core::scope::{Region, Service, TERMINATOR};

/// `/region/service/aws4_request`: the part of a credential scope that
/// stays the same for a signer, rendered once, so a scope is written in two
/// pieces rather than seven. Equals what `CredentialScope::write_to` writes
/// after the date.
pub(crate) fn scope_tail(region: &Region, service: &Service) -> Box<str> {
    format!("/{region}/{service}/{TERMINATOR}").into_boxed_str()
}
