//! Stage 2: the string to sign.
//!
//! ```text
//! AWS4-HMAC-SHA256 \n 20150830T123600Z \n 20150830/us-east-1/iam/aws4_request \n
//! hex(SHA-256(canonical request))
//! ```

use std::fmt;

use crate::core::encoding::{ascii_str, hex32, Sink};
use crate::core::scope::CredentialScope;
use crate::core::time::SigningTime;

/// The SigV4 algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The string to sign, held as its parts; written straight into the HMAC.
///
/// # Examples
///
/// The AWS documentation's IAM example:
///
/// ```
/// use sigv4::{CredentialScope, Region, Service, SigningTime, StringToSign};
///
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("iam")?);
/// let mut hash = [0u8; 32];
/// hex::decode_to_slice(
///     "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
///     &mut hash,
/// )?;
/// let sts = StringToSign::new(&time, CredentialScope::new(&time, &region, &service), &hash);
/// assert_eq!(
///     sts.to_string(),
///     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
///      f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StringToSign<'a> {
    time: &'a SigningTime,
    scope: CredentialScope<'a>,
    canonical_request_hash: [u8; 64],
}

impl<'a> StringToSign<'a> {
    /// Assembles the string to sign from the signing time, the scope and the
    /// SHA-256 of the canonical request.
    #[must_use]
    pub fn new(
        time: &'a SigningTime,
        scope: CredentialScope<'a>,
        canonical_request_hash: &[u8; 32],
    ) -> Self {
        Self {
            time,
            scope,
            canonical_request_hash: hex32(canonical_request_hash),
        }
    }

    /// The credential scope in this string to sign.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope<'a> {
        &self.scope
    }

    pub(crate) fn write_to<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_prefix(sink);
        sink.put(&self.canonical_request_hash);
    }

    /// The lines before the canonical request's hash: the same for every
    /// request signed in one second for one scope.
    pub(crate) fn write_prefix<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(ALGORITHM.as_bytes());
        sink.put(b"\n");
        sink.put(self.time.amz_bytes());
        sink.put(b"\n");
        self.scope.write_to(sink);
        sink.put(b"\n");
    }

    /// `x-amz-date` as bytes: with the scope, what [`write_prefix`](Self::write_prefix) depends on.
    pub(crate) fn amz_bytes(&self) -> &[u8; 16] {
        self.time.amz_bytes()
    }

    /// The last line: the canonical request's hash in lowercase hex.
    pub(crate) fn hash_hex(&self) -> &[u8; 64] {
        &self.canonical_request_hash
    }
}

impl fmt::Display for StringToSign<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM}\n{}\n{}\n{}",
            self.time.amz_date(),
            self.scope,
            ascii_str(&self.canonical_request_hash)
        )
    }
}
