//! The pure core: the four SigV4 stages and what they need, with no `http`
//! types, no clock, no environment and no I/O. Time and credentials are
//! always arguments; what SDK layers with request types of their own embed.
//!
//! | stage | file |
//! | --- | --- |
//! | 1. canonical request (path, query, headers; streamed into SHA-256) | `canonical/` |
//! | 2. string to sign | `string_to_sign.rs` |
//! | 3. signing key (derivation and cache) | `signing_key.rs` |
//! | 4. signature (constant-time comparison) | `signature.rs` |
//! | then, for aws-chunked bodies: the chain of chunk signatures | `chunked/` |
//! | and for event streams: the chain of message signatures, and the message format | `eventstream/` |
//!
//! What the stages need: the credential `scope.rs` (region, service, date),
//! the signing `time.rs`, the `payload.rs` line, `encoding.rs`
//! (percent-encoding, hex), `settings.rs`, `error.rs`, the plain
//! `credentials.rs` data, and `sha256.rs` (the hasher the canonical request
//! is streamed into). `inline_vec.rs` keeps small lists off the heap.
//!
//! Speed work that changes nothing signed sits apart, in `tuned/`: the
//! word-at-a-time scanners, the integer-keyed sorts, the per-thread memos
//! (and the policy that wipes secrets they hold), each beside the plain
//! function it must equal and the oracle that checks it.

pub(crate) mod canonical;
pub(crate) mod chunked;
pub(crate) mod credentials;
pub(crate) mod encoding;
pub(crate) mod error;
#[cfg(feature = "eventstream")]
pub(crate) mod eventstream;
pub(crate) mod inline_vec;
pub(crate) mod payload;
pub(crate) mod scope;
pub(crate) mod settings;
pub(crate) mod sha256;
pub(crate) mod signature;
pub(crate) mod signing_key;
#[cfg(feature = "sigv4a")]
pub(crate) mod sigv4a;
pub(crate) mod string_to_sign;
pub(crate) mod time;
pub(crate) mod tuned;
