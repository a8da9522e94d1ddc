//! Errors, one enum per concern. Messages are lower case, say what was wrong
//! and with which input, and never contain a secret key, a session token or
//! a header value (any of which may be secret).

use std::fmt;

/// A value given to build signing inputs (region, service, credentials,
/// time, expiry, payload hash) was not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidInput {
    /// A region must be non-empty and made of `A-Z a-z 0-9 - _ .`.
    Region {
        /// The rejected value.
        value: String,
    },
    /// A service name must be non-empty and made of `A-Z a-z 0-9 - _ .`.
    Service {
        /// The rejected value.
        value: String,
    },
    /// An access key id must be non-empty visible ASCII without `/`, `,` or `=`.
    AccessKeyId,
    /// A secret access key must be non-empty.
    SecretKey,
    /// A session token must be non-empty visible ASCII, usable as a header value.
    SessionToken,
    /// A signing time could not be parsed or is outside years 0000..=9999.
    Time {
        /// The rejected value, or a description of it.
        value: String,
    },
    /// A precomputed payload hash must be 64 hex digits.
    PayloadHash,
    /// A presigned URL's expiry must be 1..=604800 seconds (seven days).
    Expires {
        /// The rejected number of seconds.
        seconds: u64,
    },
    /// A SigV4a region set must be `*` or comma-separated region names
    /// and patterns (letters, digits, `-`, `_`, `.`, `*`), none empty.
    RegionSet {
        /// The rejected value (at most 128 characters of it).
        value: String,
    },
    /// A SigV4a public key that is not a point on P-256.
    PublicKey,
    /// A Neptune endpoint (URL, host or load id) that cannot be used.
    Endpoint {
        /// The rejected value (at most 128 characters of it).
        value: String,
    },
    /// An aws-chunked body written other than as its `ChunkedUpload` says:
    /// a chunk size of zero, a chunk larger than the chunk size, or more or
    /// fewer bytes than the decoded length.
    ChunkedUpload {
        /// What was wrong.
        reason: &'static str,
    },
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Region { value } => write!(
                f,
                "invalid region {value:?}: expected a non-empty name of letters, digits, '-', '_' or '.'"
            ),
            Self::Service { value } => write!(
                f,
                "invalid service {value:?}: expected a non-empty name of letters, digits, '-', '_' or '.'"
            ),
            Self::AccessKeyId => f.write_str(
                "invalid access key id: expected non-empty visible ASCII without '/', ',' or '='",
            ),
            Self::SecretKey => f.write_str("invalid secret access key: it is empty"),
            Self::SessionToken => f.write_str(
                "invalid session token: expected non-empty visible ASCII usable as a header value",
            ),
            Self::Time { value } => write!(
                f,
                "invalid signing time {value:?}: expected 20150830T123600Z or RFC 3339 within years 0000..=9999"
            ),
            Self::PayloadHash => {
                f.write_str("invalid precomputed payload hash: expected 64 hex digits")
            }
            Self::Expires { seconds } => write!(
                f,
                "invalid presigned URL expiry {seconds} s: expected 1..=604800 seconds"
            ),
            Self::ChunkedUpload { reason } => write!(f, "aws-chunked body: {reason}"),
            Self::RegionSet { value } => write!(
                f,
                "invalid region set {value:?}: expected `*` or comma-separated region names or patterns"
            ),
            Self::PublicKey => f.write_str("invalid SigV4a public key: not a point on P-256"),
            Self::Endpoint { value } => write!(f, "invalid endpoint {value:?}"),
        }
    }
}

impl std::error::Error for InvalidInput {}

/// Signing could not be done; the request was left untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningError {
    /// The method is not an HTTP token.
    InvalidMethod {
        /// The rejected method.
        method: String,
    },
    /// A header name is empty or not an HTTP token.
    InvalidHeaderName {
        /// The rejected name.
        name: String,
    },
    /// A header value holds a CR, LF or NUL byte, which would let it forge
    /// lines of the canonical request. (The value is not repeated here: it
    /// may be secret.)
    InvalidHeaderValue {
        /// The header's name.
        name: String,
    },
    /// The request has neither a `host` header nor a URI authority.
    MissingHost,
    /// More headers than the canonical request can index (2^31).
    TooManyHeaders,
    /// The credentials had expired at the signing time.
    CredentialsExpired {
        /// When the credentials expired, as Unix seconds.
        expired_at: i64,
        /// The signing time, as Unix seconds.
        signing_time: i64,
    },
    /// An input value was invalid.
    InvalidInput(InvalidInput),
    /// The signed URI could not be rebuilt (for example, the presigned query
    /// made it too long for the URI type).
    InvalidUri {
        /// What `http` said.
        reason: String,
    },
    /// The request carries an `x-amz-content-sha256` header that disagrees
    /// with the payload being signed. Servers take that header as the
    /// payload line, so the signature could never verify. Set the payload
    /// to match (for example [`Payload::Unsigned`](crate::Payload::Unsigned)),
    /// remove the header, or let the signer write it
    /// ([`SigningSettings::with_content_sha256_header`](crate::SigningSettings::with_content_sha256_header)).
    ContentSha256Mismatch {
        /// The header's value (at most 80 characters of it).
        header: String,
        /// The payload line the signer was given.
        payload: String,
    },
    /// The request carries `x-amz-content-sha256` more than once. A server
    /// reads one payload line (the verifier refuses such a request), so
    /// none of the copies can be signed as meant.
    RepeatedContentSha256,
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMethod { method } => {
                write!(f, "invalid method {method:?}: expected an HTTP token")
            }
            Self::InvalidHeaderName { name } => {
                write!(f, "invalid header name {name:?}: expected an HTTP token")
            }
            Self::InvalidHeaderValue { name } => write!(
                f,
                "invalid value for header {name:?}: it contains CR, LF or NUL"
            ),
            Self::MissingHost => f.write_str(
                "cannot sign: the request has no host header and its URI has no authority",
            ),
            Self::TooManyHeaders => f.write_str("too many headers to sign: the limit is 2^31 - 1"),
            Self::CredentialsExpired {
                expired_at,
                signing_time,
            } => write!(
                f,
                "credentials expired at unix time {expired_at}, before the signing time {signing_time}"
            ),
            Self::InvalidInput(inner) => inner.fmt(f),
            Self::InvalidUri { reason } => write!(f, "cannot build the signed URI: {reason}"),
            Self::ContentSha256Mismatch { header, payload } => write!(
                f,
                "the request's x-amz-content-sha256 header {header:?} disagrees with the payload \
                 being signed ({payload}): servers would take the header and reject the signature"
            ),
            Self::RepeatedContentSha256 => f.write_str(
                "the request carries x-amz-content-sha256 more than once: servers read one \
                 payload line, so remove the copies",
            ),
        }
    }
}

impl std::error::Error for SigningError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidInput(inner) => Some(inner),
            _ => None,
        }
    }
}

impl From<InvalidInput> for SigningError {
    fn from(value: InvalidInput) -> Self {
        Self::InvalidInput(value)
    }
}
