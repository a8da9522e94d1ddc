//! AWS Signature Version 4 for Rust: exact, fast, allocation-light.
//!
//! # Scope
//!
//! In: SigV4 (`AWS4-HMAC-SHA256`) header signing and presigned URLs over
//! [`http::Request`]; each stage of the algorithm as a public piece (the
//! [`CanonicalRequest`], the [`StringToSign`], the [`SigningKey`] and its
//! [`SigningKeyCache`], the [`Signature`]); [`Credentials`] with session
//! tokens and expiry; with feature `tools`, the raw request layout of the
//! AWS test suite (`tools::raw`).
//!
//! Out: reading the clock, the environment or the network in the core. Time
//! ([`SigningTime`]) and credentials are always arguments. SigV4a and S3
//! chunk signing are not implemented.
//!
//! # The pipeline
//!
//! ```text
//! request ─► canonical request ─► string to sign ─► signature ─► headers or query
//!            (streamed into       (algorithm, date,  (HMAC with
//!             SHA-256)             scope, hash)        the cached key)
//! ```
//!
//! The canonical request is never built as a string when signing: it is fed
//! to SHA-256 piece by piece. [`Signer::explain`] runs the same writers into
//! a buffer when you need to see it.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use sigv4::{Credentials, Signer, SigningTime};
//!
//! let signer = Signer::neptune("us-east-1")?;
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let time = SigningTime::parse("20150830T123600Z")?;
//!
//! // Header signing.
//! let mut request = http::Request::post("https://my-cluster.example.com:8182/openCypher")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(b"query=MATCH (n) RETURN n LIMIT 1".to_vec())?;
//! signer.sign(&mut request, &creds, time)?;
//! assert!(request.headers().contains_key("authorization"));
//!
//! // A presigned URL, valid for 15 minutes.
//! let mut request = http::Request::get("https://my-cluster.example.com:8182/status").body(())?;
//! signer.presign_with_payload(&mut request, sigv4::Payload::Bytes(b""), &creds, time, Duration::from_secs(900))?;
//! assert!(request.uri().query().unwrap().contains("X-Amz-Signature="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(any(feature = "tower", feature = "reqwest"))]
pub mod client;
mod clock;
mod core;
pub mod credentials;
#[cfg(feature = "neptune")]
pub mod neptune;
mod sign;
#[cfg(feature = "tools")]
pub mod tools;
pub mod verify;

pub use crate::core::canonical::{CanonicalRequest, CheckedHeaders, Header, PresignQuery};
#[cfg(feature = "checksums")]
pub use crate::core::chunked::Checksum;
pub use crate::core::chunked::{
    chunked_length, signed_chunked_length, write_unsigned_chunk_header, write_unsigned_final_chunk,
    ChecksumAlgorithm, ChunkDecoder, ChunkSigner, ChunkedEncoder, ChunkedError, ChunkedFraming,
    ChunkedUpload, Decoded, CHUNK_ALGORITHM, DEFAULT_MAX_CHUNK_SIZE, MAX_CHUNK_HEADER_LEN,
    MAX_TRAILER_BYTES, TRAILER_ALGORITHM,
};
pub use crate::core::credentials::Credentials;
/// Event streams: the message format and signed envelopes (feature
/// `eventstream`).
#[cfg(feature = "eventstream")]
pub mod eventstream {
    pub use crate::core::eventstream::codec::{
        EventStreamError, HeaderValue, Message, MAX_HEADERS_LEN, MAX_MESSAGE_LEN,
    };
    pub use crate::core::eventstream::{
        CheckedEvent, EventError, EventSigner, EventVerifier, FrameReader,
    };
}
pub use crate::core::error::{InvalidInput, SigningError};
pub use crate::core::payload::{
    Payload, PayloadHash, STREAMING_EVENTS, STREAMING_SIGNED_PAYLOAD,
    STREAMING_SIGNED_PAYLOAD_TRAILER, STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
pub use crate::core::scope::{CredentialScope, Region, Service};
pub use crate::core::settings::{ExcludedHeaders, SessionTokenMode, SigningSettings, UriEncoding};
pub use crate::core::signature::Signature;
pub use crate::core::signing_key::{SigningKey, SigningKeyCache};
#[cfg(feature = "sigv4a")]
pub use crate::core::sigv4a::{
    EcdsaKey, EcdsaSignature, PublicKey, RegionSet, StringToSignV4a, ALGORITHM_V4A,
};
pub use crate::core::string_to_sign::{StringToSign, ALGORITHM};
pub use crate::core::time::SigningTime;
#[cfg(feature = "eventstream")]
pub use sign::EventStreamSigner;
#[cfg(feature = "sigv4a")]
pub use sign::SigV4aSigner;
#[cfg(feature = "streaming-body")]
pub use sign::{AwsChunkedBody, AwsChunkedBodyError};
pub use sign::{
    Explanation, PresignInstructions, RequestView, SignatureLocation, Signer, SigningInstructions,
    MAX_PRESIGN_EXPIRY,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
