//! AWS Signature Version 4 for Rust: exact, fast, allocation-light.
//!
//! # Scope
//!
//! In: SigV4 (`AWS4-HMAC-SHA256`) header signing and presigned URLs over
//! [`http::Request`]; each stage of the algorithm as a public piece (the
//! [`CanonicalRequest`], the [`StringToSign`], the [`SigningKey`] and its
//! [`SigningKeyCache`], the [`Signature`]); [`Credentials`] with session
//! tokens and expiry; the raw request layout of the AWS test suite
//! ([`raw`]).
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

// Entry points for fuzz/ into parsers the API reaches only through I/O.
// Not part of the API.
#[doc(hidden)]
pub mod __fuzz;
mod canonical;
pub mod credentials;
mod encoding;
mod error;
mod inline_vec;
mod payload;
pub mod raw;
mod scope;
mod settings;
mod sha256;
mod sign;
mod signature;
mod signing_key;
mod signing_time;
mod string_to_sign;
pub mod verify;

pub use canonical::{CanonicalRequest, Header};
pub use credentials::Credentials;
pub use error::{InvalidInput, SigningError};
pub use payload::{
    Payload, PayloadHash, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
pub use scope::{CredentialScope, Region, Service};
pub use settings::{ExcludedHeaders, SessionTokenMode, SigningSettings, UriEncoding};
pub use sign::{Explanation, Signer, MAX_PRESIGN_EXPIRY};
pub use signature::Signature;
pub use signing_key::{SigningKey, SigningKeyCache};
pub use signing_time::SigningTime;
pub use string_to_sign::{StringToSign, ALGORITHM};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
