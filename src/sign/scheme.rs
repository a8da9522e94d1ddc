//! How a canonical request becomes a signature: SigV4 (HMAC-SHA256 with
//! the derived key) or, with feature `sigv4a`, SigV4a (ECDSA P-256). The
//! header signer, the presigner and explain are written once, over this
//! trait; each scheme says what differs: the algorithm's name, the
//! credential scope, a header it adds (`x-amz-region-set`), and the
//! signature itself.

use std::fmt;

use super::Signer;
use crate::core::credentials::Credentials;
use crate::core::encoding::Sink;
use crate::core::signature::Signature;
use crate::core::string_to_sign::{StringToSign, ALGORITHM};
use crate::core::time::SigningTime;

/// A signing algorithm. See the module docs.
pub(crate) trait Scheme {
    /// The signature it makes.
    type Signature: Copy + fmt::Display + fmt::Debug;

    /// The longest signature, in hex.
    const MAX_HEX: usize;

    /// The algorithm's name, `AWS4-HMAC-SHA256` or `AWS4-ECDSA-P256-SHA256`.
    fn algorithm(&self) -> &'static str;

    /// A header the scheme adds and signs, with its query parameter's name
    /// and its value: `x-amz-region-set` for SigV4a.
    fn extra(&self) -> Option<(&'static str, &'static str, &str)>;

    /// The parts of the credential scope, `date/.../aws4_request`, each
    /// written with `sink` (which may encode them).
    fn scope_parts<'s>(&self, signer: &'s Signer, time: &'s SigningTime) -> ScopeParts<'s>;

    /// Writes the credential scope, `date/.../aws4_request`.
    fn write_scope<S: Sink + ?Sized>(&self, signer: &Signer, time: &SigningTime, sink: &mut S) {
        self.scope_parts(signer, time).write_to(sink);
    }

    /// The credential scope's length.
    fn scope_len(&self, signer: &Signer, time: &SigningTime) -> usize {
        self.scope_parts(signer, time).len()
    }

    /// Signs the canonical request with hash `hash`.
    fn sign(
        &self,
        signer: &Signer,
        hash: &[u8; 32],
        credentials: &Credentials,
        time: &SigningTime,
    ) -> Self::Signature;

    /// The string to sign as text, for explain.
    fn string_to_sign(&self, signer: &Signer, hash: &[u8; 32], time: &SigningTime) -> String;

    /// Appends the signature in lowercase hex.
    fn write_hex(signature: &Self::Signature, out: &mut Vec<u8>);
}

/// A credential scope's parts: four for SigV4, three for SigV4a.
pub(crate) struct ScopeParts<'s> {
    parts: [&'s str; 4],
    count: usize,
}

impl<'s> ScopeParts<'s> {
    /// The parts, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'s str> + '_ {
        self.parts[..self.count].iter().copied()
    }

    /// Writes them joined by `/`.
    pub(crate) fn write_to<S: Sink + ?Sized>(&self, sink: &mut S) {
        for (i, part) in self.iter().enumerate() {
            if i > 0 {
                sink.put(b"/");
            }
            sink.put(part.as_bytes());
        }
    }

    /// Their length joined by `/`.
    pub(crate) fn len(&self) -> usize {
        self.iter().map(str::len).sum::<usize>() + self.count.saturating_sub(1)
    }
}

/// SigV4: HMAC-SHA256 with the key derived for date, region and service.
#[derive(Clone, Copy, Debug)]
pub(crate) struct V4;

impl Scheme for V4 {
    type Signature = Signature;
    const MAX_HEX: usize = 64;

    fn algorithm(&self) -> &'static str {
        ALGORITHM
    }

    fn extra(&self) -> Option<(&'static str, &'static str, &str)> {
        None
    }

    fn scope_parts<'s>(&self, signer: &'s Signer, time: &'s SigningTime) -> ScopeParts<'s> {
        ScopeParts {
            parts: [
                time.date(),
                signer.region.as_str(),
                signer.service.as_str(),
                crate::core::scope::TERMINATOR,
            ],
            count: 4,
        }
    }

    /// The signer's pre-rendered scope: two writes, not seven.
    #[inline]
    fn write_scope<S: Sink + ?Sized>(&self, signer: &Signer, time: &SigningTime, sink: &mut S) {
        signer.scope(time).write_to(sink);
    }

    #[inline]
    fn scope_len(&self, signer: &Signer, time: &SigningTime) -> usize {
        signer.scope(time).len()
    }

    #[inline]
    fn sign(
        &self,
        signer: &Signer,
        hash: &[u8; 32],
        credentials: &Credentials,
        time: &SigningTime,
    ) -> Signature {
        signer.sign_hash(signer.scope(time), hash, credentials, time)
    }

    fn string_to_sign(&self, signer: &Signer, hash: &[u8; 32], time: &SigningTime) -> String {
        StringToSign::new(time, signer.scope(time), hash).to_string()
    }

    #[inline]
    fn write_hex(signature: &Signature, out: &mut Vec<u8>) {
        out.put(&signature.to_hex());
    }
}

/// SigV4a: ECDSA P-256 with the key derived from the credentials alone,
/// for a set of regions.
#[cfg(feature = "sigv4a")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct V4a<'s> {
    pub(crate) region_set: &'s crate::core::sigv4a::RegionSet,
    pub(crate) key: &'s crate::core::sigv4a::EcdsaKey,
}

#[cfg(feature = "sigv4a")]
impl Scheme for V4a<'_> {
    type Signature = crate::core::sigv4a::EcdsaSignature;
    const MAX_HEX: usize = 144;

    fn algorithm(&self) -> &'static str {
        crate::core::sigv4a::ALGORITHM_V4A
    }

    fn extra(&self) -> Option<(&'static str, &'static str, &str)> {
        Some((
            "x-amz-region-set",
            "X-Amz-Region-Set",
            self.region_set.as_str(),
        ))
    }

    fn scope_parts<'s>(&self, signer: &'s Signer, time: &'s SigningTime) -> ScopeParts<'s> {
        ScopeParts {
            parts: [
                time.date(),
                signer.service.as_str(),
                crate::core::scope::TERMINATOR,
                "",
            ],
            count: 3,
        }
    }

    fn sign(
        &self,
        signer: &Signer,
        hash: &[u8; 32],
        _credentials: &Credentials,
        time: &SigningTime,
    ) -> Self::Signature {
        self.key.sign(&crate::core::sigv4a::StringToSignV4a::new(
            time,
            &signer.service,
            hash,
        ))
    }

    fn string_to_sign(&self, signer: &Signer, hash: &[u8; 32], time: &SigningTime) -> String {
        crate::core::sigv4a::StringToSignV4a::new(time, &signer.service, hash).to_string()
    }

    fn write_hex(signature: &Self::Signature, out: &mut Vec<u8>) {
        out.put(signature.to_hex().as_bytes());
    }
}
