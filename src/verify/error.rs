//! Why a request failed verification, with the AWS error code that fits.

use std::fmt;

use crate::core::time::SigningTime;

/// A request did not verify. [`code`](Self::code) gives the AWS error code
/// a server should answer with. Messages never contain a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Neither an `Authorization` header nor `X-Amz-Signature` is present.
    MissingAuthentication,
    /// The signature's parts are incomplete or malformed.
    IncompleteSignature {
        /// What is missing or malformed.
        reason: &'static str,
    },
    /// The algorithm is not `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm,
    /// The credential scope names another date, region or service.
    ScopeMismatch {
        /// `date`, `region` or `service`.
        field: &'static str,
        /// The value the request claimed.
        claimed: String,
    },
    /// The request's time is outside the allowed skew, or a presigned URL
    /// has expired.
    RequestExpired {
        /// When the request says it was signed.
        signed_at: SigningTime,
        /// The verifier's time.
        now: SigningTime,
    },
    /// `X-Amz-Expires` is not a number in 1..=604800.
    ExpiresOutOfRange {
        /// The value, when it was a number.
        seconds: Option<u64>,
    },
    /// `host` or an `x-amz-*` header is present but not signed.
    UnsignedHeader {
        /// The header's name.
        name: String,
    },
    /// A header listed in `SignedHeaders` is not in the request.
    SignedHeaderMissing {
        /// The header's name.
        name: String,
    },
    /// The access key id is not known.
    UnknownAccessKey {
        /// The access key id.
        access_key_id: String,
    },
    /// The key needs a session token and the request carries none.
    MissingSessionToken,
    /// The session token is not the one the key needs.
    InvalidSessionToken,
    /// `x-amz-content-sha256` does not match the body.
    ContentSha256Mismatch,
    /// The request is signed both by the `Authorization` header and by
    /// presigned query parameters (S3: "Only one auth mechanism allowed").
    MultipleAuthMechanisms,
    /// `x-amz-content-sha256` names a `STREAMING-*` payload, whose chunks
    /// this verifier does not check (see
    /// [`Verifier::with_unchecked_streaming`](super::Verifier::with_unchecked_streaming)).
    StreamingPayloadRefused {
        /// The constant the request named.
        payload: &'static str,
    },
    /// The verifier requires a checked payload hash and the signature does
    /// not cover the body's (see
    /// [`Verifier::with_checked_payload_required`](super::Verifier::with_checked_payload_required)).
    PayloadNotChecked {
        /// How the body was authenticated instead.
        payload: super::PayloadCheck,
    },
    /// The request carries more header lines or bytes than the verifier
    /// accepts (see [`Verifier::with_header_limits`](super::Verifier::with_header_limits)).
    HeadersTooLarge {
        /// The most header lines accepted.
        max_headers: usize,
        /// The most bytes of header names and values accepted.
        max_bytes: usize,
    },
    /// The request could not be canonicalized (for example, a method that
    /// is not an HTTP token).
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// An aws-chunked body failed its checks: a chunk or trailer signature,
    /// the framing, a length or the trailer checksum.
    Chunked(crate::core::chunked::ChunkedError),
    /// An aws-chunked request the verifier cannot check: no
    /// `x-amz-decoded-content-length`, a trailer without a checksum it
    /// knows, or a trailer checksum without feature `checksums`.
    ChunkedUnsupported {
        /// What is missing or unsupported.
        reason: &'static str,
    },
    /// The signature does not match. Carries what the verifier computed, so
    /// a client can diff its own (the session token is redacted).
    SignatureDoesNotMatch {
        /// The canonical request the verifier computed.
        canonical_request: String,
        /// The string to sign the verifier computed.
        string_to_sign: String,
    },
}

impl VerifyError {
    /// The AWS error code for this failure.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthentication => "MissingAuthenticationToken",
            Self::IncompleteSignature { .. } | Self::UnsupportedAlgorithm => "IncompleteSignature",
            Self::ExpiresOutOfRange { .. } => "AuthorizationQueryParametersError",
            Self::RequestExpired { .. } => "RequestExpired",
            Self::UnknownAccessKey { .. }
            | Self::MissingSessionToken
            | Self::InvalidSessionToken => "InvalidClientTokenId",
            Self::ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            Self::Malformed { .. } => "InvalidRequest",
            Self::MultipleAuthMechanisms => "InvalidArgument",
            Self::StreamingPayloadRefused { .. } => "NotImplemented",
            Self::PayloadNotChecked { .. } => "AccessDenied",
            Self::HeadersTooLarge { .. } => "RequestHeaderSectionTooLarge",
            Self::Chunked(e) => chunked_code(e),
            Self::ChunkedUnsupported { .. } => "InvalidRequest",
            Self::ScopeMismatch { .. }
            | Self::UnsignedHeader { .. }
            | Self::SignedHeaderMissing { .. }
            | Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
        }
    }
}

/// S3's codes for aws-chunked failures.
fn chunked_code(e: &crate::core::chunked::ChunkedError) -> &'static str {
    use crate::core::chunked::ChunkedError as E;
    match e {
        E::ChunkSignatureMismatch { .. } | E::TrailerSignatureMismatch => "SignatureDoesNotMatch",
        E::ChecksumMismatch { .. } => "BadDigest",
        E::Truncated | E::DecodedLengthMismatch { .. } | E::EncodedLengthMismatch { .. } => {
            "IncompleteBody"
        }
        _ => "InvalidRequest",
    }
}

impl From<crate::core::chunked::ChunkedError> for VerifyError {
    fn from(e: crate::core::chunked::ChunkedError) -> Self {
        Self::Chunked(e)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingAuthentication => {
                f.write_str("the request has no authorization header and no X-Amz-Signature")
            }
            Self::IncompleteSignature { reason } => write!(f, "incomplete signature: {reason}"),
            Self::UnsupportedAlgorithm => {
                f.write_str("unsupported signing algorithm: expected AWS4-HMAC-SHA256")
            }
            Self::ScopeMismatch { field, claimed } => write!(
                f,
                "the credential scope's {field} {claimed:?} is not the one this endpoint expects"
            ),
            Self::RequestExpired { signed_at, now } => {
                write!(f, "request expired: signed at {signed_at}, now {now}")
            }
            Self::ExpiresOutOfRange { seconds: Some(s) } => {
                write!(f, "X-Amz-Expires {s} is outside 1..=604800 seconds")
            }
            Self::ExpiresOutOfRange { seconds: None } => {
                f.write_str("X-Amz-Expires is not a whole number of seconds")
            }
            Self::UnsignedHeader { name } => {
                write!(f, "the header {name:?} is present but not signed")
            }
            Self::SignedHeaderMissing { name } => {
                write!(f, "the signed header {name:?} is not in the request")
            }
            Self::UnknownAccessKey { access_key_id } => {
                write!(f, "the access key id {access_key_id:?} is not known")
            }
            Self::MissingSessionToken => {
                f.write_str("the key requires a session token and the request has none")
            }
            Self::InvalidSessionToken => f.write_str("the session token is not valid for this key"),
            Self::ContentSha256Mismatch => {
                f.write_str("x-amz-content-sha256 does not match the body")
            }
            Self::Malformed { reason } => write!(f, "malformed request: {reason}"),
            Self::MultipleAuthMechanisms => f.write_str(
                "only one auth mechanism allowed: the request is signed by the authorization \
                 header and by X-Amz-* query parameters",
            ),
            Self::StreamingPayloadRefused { payload } => write!(
                f,
                "x-amz-content-sha256 {payload} is a streaming payload: verify it with \
                 verify_chunked, which checks its chunks"
            ),
            Self::PayloadNotChecked { payload } => {
                let how = match payload {
                    super::PayloadCheck::Unsigned => "the payload is UNSIGNED-PAYLOAD",
                    super::PayloadCheck::Streaming(_) => "the payload is streamed unchecked",
                    super::PayloadCheck::Chunked(_) => "the payload is checked chunk by chunk",
                    super::PayloadCheck::EventStream => "the payload is an event stream",
                    _ => "the payload hash was not checked against the body",
                };
                write!(f, "a checked payload hash is required: {how}")
            }
            Self::HeadersTooLarge {
                max_headers,
                max_bytes,
            } => write!(
                f,
                "the request headers exceed {max_headers} lines or {max_bytes} bytes"
            ),
            Self::SignatureDoesNotMatch { .. } => {
                f.write_str("the signature does not match the one computed for this request")
            }
            Self::Chunked(e) => e.fmt(f),
            Self::ChunkedUnsupported { reason } => {
                write!(f, "aws-chunked body not verifiable: {reason}")
            }
        }
    }
}

impl std::error::Error for VerifyError {}
