//! The last line of the canonical request: what stands for the body.

use std::fmt;

use crate::core::encoding::{ascii_str, hex32};
use crate::core::error::InvalidInput;

/// SHA-256 of the empty string, in hex.
const EMPTY_SHA256_HEX: &[u8; 64] =
    b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// S3 chunked upload whose chunks are each signed.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// S3 chunked upload with signed chunks and signed trailers.
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// S3 chunked upload with unsigned chunks and a trailer.
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// An event stream whose messages are each signed (Transcribe streaming,
/// Bedrock bidirectional streams, Lex, ...).
pub const STREAMING_EVENTS: &str = "STREAMING-AWS4-HMAC-SHA256-EVENTS";

/// How a request's body is represented in the signature.
///
/// # Examples
///
/// ```
/// use sigv4::Payload;
///
/// let empty = Payload::Bytes(b"").hash()?;
/// assert_eq!(
///     empty.as_str(),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// assert_eq!(Payload::Unsigned.hash()?.as_str(), "UNSIGNED-PAYLOAD");
/// assert!(Payload::Precomputed("not hex").hash().is_err());
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// The body bytes, hashed with SHA-256 (the default, and Neptune's).
    Bytes(&'a [u8]),
    /// A SHA-256 the caller already has, as 64 hex digits.
    Precomputed(&'a str),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
    /// `STREAMING-AWS4-HMAC-SHA256-EVENTS`: an event stream of signed
    /// messages.
    StreamingEvents,
}

impl Payload<'_> {
    /// Resolves the payload to the text that ends the canonical request.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::PayloadHash`] when a precomputed hash is not 64 hex digits.
    pub fn hash(&self) -> Result<PayloadHash, InvalidInput> {
        Ok(match *self {
            Payload::Bytes(bytes) => PayloadHash::of_bytes(bytes),
            Payload::Precomputed(hex) => PayloadHash::from_hex(hex)?,
            Payload::Unsigned => PayloadHash::Constant(UNSIGNED_PAYLOAD),
            Payload::StreamingSigned => PayloadHash::Constant(STREAMING_SIGNED_PAYLOAD),
            Payload::StreamingSignedTrailer => {
                PayloadHash::Constant(STREAMING_SIGNED_PAYLOAD_TRAILER)
            }
            Payload::StreamingUnsignedTrailer => {
                PayloadHash::Constant(STREAMING_UNSIGNED_PAYLOAD_TRAILER)
            }
            Payload::StreamingEvents => PayloadHash::Constant(STREAMING_EVENTS),
        })
    }
}

/// The resolved payload line: a lowercase hex SHA-256 or one of the
/// documented constants. Stored inline; no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PayloadHash {
    /// Lowercase hex of a SHA-256 digest.
    Sha256([u8; 64]),
    /// `UNSIGNED-PAYLOAD` or a `STREAMING-*` constant.
    Constant(&'static str),
}

impl PayloadHash {
    /// SHA-256 of `bytes`.
    #[must_use]
    pub fn of_bytes(bytes: &[u8]) -> Self {
        if bytes.is_empty() {
            // Most signed requests (GETs, WebSocket handshakes) have no body.
            return Self::Sha256(*EMPTY_SHA256_HEX);
        }
        Self::Sha256(hex32(&crate::core::sha256::sha256(bytes)))
    }

    /// Accepts 64 hex digits in either case (stored lowercase).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::PayloadHash`] for anything else.
    pub fn from_hex(hex: &str) -> Result<Self, InvalidInput> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(InvalidInput::PayloadHash);
        }
        let mut out = [0u8; 64];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
        Ok(Self::Sha256(out))
    }

    /// The documented constant (`UNSIGNED-PAYLOAD`, `STREAMING-*`) spelled
    /// exactly `text`, if it is one: how a server reads a constant in
    /// `x-amz-content-sha256`.
    pub(crate) fn constant(text: &[u8]) -> Option<Self> {
        [
            UNSIGNED_PAYLOAD,
            STREAMING_SIGNED_PAYLOAD,
            STREAMING_SIGNED_PAYLOAD_TRAILER,
            STREAMING_UNSIGNED_PAYLOAD_TRAILER,
            STREAMING_EVENTS,
        ]
        .into_iter()
        .find(|c| c.as_bytes() == text)
        .map(Self::Constant)
    }

    /// [`as_str`](Self::as_str) as bytes, without re-checking they are
    /// ASCII (the hot path writes them straight into the hasher).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(hex) => hex,
            Self::Constant(c) => c.as_bytes(),
        }
    }

    /// The text as it appears in the canonical request and in
    /// `x-amz-content-sha256`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha256(hex) => ascii_str(hex),
            Self::Constant(c) => c,
        }
    }
}

impl fmt::Debug for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadHash({})", self.as_str())
    }
}

impl fmt::Display for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn empty_body_constant_is_the_hash_of_nothing() {
        use sha2::Digest;
        let expected = hex::encode(sha2::Sha256::digest(b""));
        assert_eq!(PayloadHash::of_bytes(b"").as_str(), expected);
        assert_eq!(
            PayloadHash::of_bytes(b"x").as_str(),
            hex::encode(sha2::Sha256::digest(b"x"))
        );
    }

    use super::*;

    #[test]
    fn precomputed_is_lowercased_and_checked() {
        let upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(
            Payload::Precomputed(upper).hash().unwrap(),
            Payload::Bytes(b"").hash().unwrap()
        );
        assert!(PayloadHash::from_hex(&upper[1..]).is_err());
        assert!(PayloadHash::from_hex(&format!("{}g", &upper[1..])).is_err());
    }

    #[test]
    fn constants_spell_as_documented() {
        assert_eq!(
            Payload::StreamingSigned.hash().unwrap().as_str(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        );
        assert_eq!(
            Payload::StreamingUnsignedTrailer.hash().unwrap().as_str(),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        );
    }
}
