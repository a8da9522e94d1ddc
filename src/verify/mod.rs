//! The server side: parse what a request claims, run the signer's pipeline
//! on the same request, and compare in constant time.
//!
//! One canonicalizer serves both sides, so client and server cannot drift.

mod claims;
mod error;
#[cfg(feature = "tower")]
pub mod tower;

use std::time::Duration;

use http::Request;
use subtle::ConstantTimeEq;

use crate::core::canonical::{CanonicalRequest, Header};
use crate::core::chunked::{ChecksumAlgorithm, ChunkDecoder, ChunkSigner, ChunkedFraming};
use crate::core::credentials::Credentials;
use crate::core::inline_vec::InlineVec;
use crate::core::payload::{
    Payload, PayloadHash, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
use crate::core::scope::{CredentialScope, Region, Service};
use crate::core::settings::{SessionTokenMode, SigningSettings};
use crate::core::signature::Signature;
use crate::core::signing_key::SigningKeyCache;
use crate::core::string_to_sign::StringToSign;
use crate::core::time::SigningTime;
use crate::sign::RequestView;

pub use crate::sign::SignatureLocation;
pub use error::VerifyError;

/// Finds the credentials behind an access key id: what the server knows.
///
/// Return the credentials with their secret key, and with the session token
/// when the key is temporary and requests must present that token. `None`
/// means the key is unknown.
///
/// Implemented for closures, so a map lookup is one line:
///
/// ```
/// use sigv4::{Credentials, verify::SecretLookup};
///
/// let known = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let lookup = move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone());
/// assert!(lookup.credentials_for("AKIDEXAMPLE").is_some());
/// assert!(lookup.credentials_for("AKIDOTHER").is_none());
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
pub trait SecretLookup: Send + Sync {
    /// The credentials for `access_key_id`, or `None` if it is unknown.
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials>;

    /// The SigV4a public key for `access_key_id`, when the lookup knows it
    /// without the secret (feature `sigv4a`). By default `None`: the key is
    /// derived from the secret [`credentials_for`](Self::credentials_for)
    /// returns.
    #[cfg(feature = "sigv4a")]
    fn public_key_for(&self, access_key_id: &str) -> Option<crate::core::sigv4a::PublicKey> {
        let _ = access_key_id;
        None
    }
}

impl<F> SecretLookup for F
where
    F: Fn(&str) -> Option<Credentials> + Send + Sync,
{
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self(access_key_id)
    }
}

/// What a verified request was signed with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Verified {
    /// The access key id that signed it.
    pub access_key_id: String,
    /// The signing time the request claimed.
    pub time: SigningTime,
    /// Header or presigned URL.
    pub location: SignatureLocation,
    /// The signed headers list.
    pub signed_headers: String,
    /// How the body was authenticated.
    pub payload: PayloadCheck,
    /// The algorithm: `AWS4-HMAC-SHA256` or `AWS4-ECDSA-P256-SHA256`.
    pub algorithm: &'static str,
    /// SigV4a's region set, as signed.
    pub region_set: Option<String>,
}

/// How the body of a verified request was authenticated: what a verified
/// signature says about the bytes that follow the headers.
///
/// # Examples
///
/// ```
/// use sigv4::{Credentials, Signer, SigningTime, verify::{PayloadCheck, Verifier}};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let mut request = http::Request::post("https://db.example.com:8182/sparql").body(b"query=ASK{}".to_vec())?;
/// Signer::neptune("us-east-1")?.sign(&mut request, &creds, time)?;
///
/// let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(creds.clone()))?;
/// assert_eq!(verifier.verify(&request, time)?.payload, PayloadCheck::Checked);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadCheck {
    /// The signed hash is the body's: the verifier hashed the body it was
    /// given ([`Payload::Bytes`]), or the caller gave its hash
    /// ([`Payload::Precomputed`]).
    Checked,
    /// The signed hash is the one `x-amz-content-sha256` claims, and no
    /// body was given to check it against: the caller must hash the body
    /// and compare before trusting it.
    Claimed(PayloadHash),
    /// `UNSIGNED-PAYLOAD`: the signature does not cover the body at all.
    Unsigned,
    /// A `STREAMING-*` payload (aws-chunked): the seed signature is checked,
    /// the chunks are not. Only with
    /// [`Verifier::with_unchecked_streaming`].
    Streaming(&'static str),
    /// An aws-chunked body, returned by
    /// [`Verifier::verify_chunked`] with the [`ChunkDecoder`] that checks
    /// it chunk by chunk as it streams: the data is checked as the decoder
    /// hands it over, and whole when it ends.
    Chunked(ChunkedFraming),
    /// An event stream, returned by `Verifier::verify_event_stream` with
    /// the `EventStreamChecker` that checks each message as it arrives.
    EventStream,
}

/// Checks the signed envelopes of an event stream, with the verifier's
/// key cache (feature `eventstream`). Made by
/// [`Verifier::verify_event_stream`].
#[cfg(feature = "eventstream")]
pub struct EventStreamChecker {
    keys: std::sync::Arc<SigningKeyCache>,
    region: Region,
    service: Service,
    credentials: Credentials,
    verifier: crate::core::eventstream::EventVerifier,
}

#[cfg(feature = "eventstream")]
impl std::fmt::Debug for EventStreamChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStreamChecker")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "eventstream")]
impl EventStreamChecker {
    /// Checks one whole envelope (from a
    /// [`FrameReader`](crate::eventstream::FrameReader)) as of `now`, and
    /// returns the message it carries (empty for the end).
    ///
    /// # Errors
    ///
    /// An [`EventError`](crate::eventstream::EventError) at the first
    /// thing wrong; every later call fails too.
    pub fn check<'e>(
        &mut self,
        envelope: &'e [u8],
        now: SigningTime,
    ) -> Result<crate::core::eventstream::CheckedEvent<'e>, crate::core::eventstream::EventError>
    {
        let time = crate::core::eventstream::EventVerifier::time_of(envelope)?;
        let scope = CredentialScope::new(&time, &self.region, &self.service);
        let verifier = &mut self.verifier;
        self.keys.with_key(&self.credentials, &scope, |key| {
            verifier.verify(key, &scope, envelope, now)
        })
    }

    /// Whether the end message was checked.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.verifier.is_done()
    }

    /// Says the stream has no more bytes.
    ///
    /// # Errors
    ///
    /// `EventError::Truncated` unless the end message was checked.
    pub fn finish(&self) -> Result<(), crate::core::eventstream::EventError> {
        self.verifier.finish()
    }
}

/// What a successful check found, for the entry points to finish.
struct Checked {
    verified: Verified,
    credentials: Credentials,
    /// The SigV4 signature, the seed of a stream's chain (`None` for
    /// SigV4a, whose streams are not supported).
    signature: Option<Signature>,
}

impl Checked {
    /// The seed of a stream's chain.
    fn seed(&self) -> Result<Signature, VerifyError> {
        self.signature.ok_or(VerifyError::ChunkedUnsupported {
            reason: "streaming payloads signed with SigV4a",
        })
    }
}

/// Sets the decoder to check the trailer's checksum (feature `checksums`).
#[cfg(feature = "checksums")]
#[allow(clippy::unnecessary_wraps)] // fallible without the feature
fn with_checksum(
    decoder: ChunkDecoder,
    algorithm: ChecksumAlgorithm,
) -> Result<ChunkDecoder, VerifyError> {
    Ok(decoder.with_trailer_checksum(algorithm))
}

/// Without feature `checksums` a trailer's checksum cannot be checked, so
/// such a body is refused rather than passed unchecked.
#[cfg(not(feature = "checksums"))]
fn with_checksum(
    _decoder: ChunkDecoder,
    _algorithm: ChecksumAlgorithm,
) -> Result<ChunkDecoder, VerifyError> {
    Err(VerifyError::ChunkedUnsupported {
        reason: "checking a trailer checksum needs feature `checksums`",
    })
}

impl PayloadCheck {
    /// True when the signature covers the body's actual hash.
    #[must_use]
    pub fn is_checked(&self) -> bool {
        matches!(self, Self::Checked)
    }
}

/// The most header lines a request may carry by default (see
/// [`Verifier::with_header_limits`]).
pub const DEFAULT_MAX_HEADERS: usize = 200;
/// The most bytes of header names and values a request may carry by
/// default (see [`Verifier::with_header_limits`]).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// Verifies SigV4-signed requests for one region and service.
///
/// Defaults match [`Signer`](crate::Signer)'s: double URI encoding, path
/// normalization, five minutes of allowed clock skew either way. Streaming
/// (`STREAMING-*`) payloads are refused, and requests with more than
/// [`DEFAULT_MAX_HEADERS`] header lines or [`DEFAULT_MAX_HEADER_BYTES`]
/// bytes of headers are refused before anything else is looked at.
///
/// # Examples
///
/// ```
/// use sigv4::{Credentials, Signer, SigningTime, verify::Verifier};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
///
/// let mut request = http::Request::get("https://db.example.com:8182/status").body(Vec::new())?;
/// Signer::neptune("us-east-1")?.sign(&mut request, &creds, time)?;
///
/// let known = creds.clone();
/// let verifier = Verifier::neptune("us-east-1", move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone()))?;
/// let verified = verifier.verify(&request, time)?;
/// assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
///
/// // Any change to a signed part fails, with the AWS error code.
/// *request.uri_mut() = "https://db.example.com:8182/status?x=1".parse()?;
/// let err = verifier.verify(&request, time).unwrap_err();
/// assert_eq!(err.code(), "SignatureDoesNotMatch");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<L> {
    region: Region,
    service: Service,
    settings: SigningSettings,
    max_skew: Duration,
    max_headers: usize,
    max_header_bytes: usize,
    unchecked_streaming: bool,
    checked_payload_required: bool,
    lookup: L,
    keys: std::sync::Arc<SigningKeyCache>,
    /// SigV4a public keys derived from secrets, per credentials.
    #[cfg(feature = "sigv4a")]
    public_keys: std::sync::Mutex<Vec<(u64, crate::core::sigv4a::PublicKey)>>,
}

impl<L> std::fmt::Debug for Verifier<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("settings", &self.settings)
            .field("max_skew", &self.max_skew)
            .field("max_headers", &self.max_headers)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("unchecked_streaming", &self.unchecked_streaming)
            .field("checked_payload_required", &self.checked_payload_required)
            .finish_non_exhaustive()
    }
}

impl<L: SecretLookup> Verifier<L> {
    /// A verifier for `service` in `region`, finding secrets with `lookup`.
    pub fn new(region: Region, service: Service, lookup: L) -> Self {
        Self {
            region,
            service,
            settings: SigningSettings::default(),
            max_skew: Duration::from_secs(300),
            max_headers: DEFAULT_MAX_HEADERS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            unchecked_streaming: false,
            checked_payload_required: false,
            lookup,
            keys: std::sync::Arc::new(SigningKeyCache::new()),
            #[cfg(feature = "sigv4a")]
            public_keys: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A verifier for Amazon Neptune (`neptune-db`) in `region`.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Region`](crate::InvalidInput::Region) for an invalid region.
    pub fn neptune(region: &str, lookup: L) -> Result<Self, crate::InvalidInput> {
        Ok(Self::new(
            Region::new(region)?,
            Service::new("neptune-db")?,
            lookup,
        ))
    }

    /// Verifies requests signed with `settings`, the ones the clients'
    /// [`Signer`](crate::Signer)s use (default: Neptune's and every
    /// service's but S3's; [`SigningSettings::s3`] for S3): the URI
    /// encoding and path normalization, the session-token mode (with
    /// [`SessionTokenMode::AddedAfterSigning`] the token is checked but not
    /// signed), and the excluded headers (an excluded `x-amz-*` header may
    /// be present unsigned).
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{SigningSettings, verify::Verifier, Credentials};
    ///
    /// let lookup = |_: &str| -> Option<Credentials> { None };
    /// let s3 = Verifier::new("us-east-1".parse()?, "s3".parse()?, lookup)
    ///     .with_settings(SigningSettings::s3());
    /// # let _ = s3;
    /// # Ok::<(), sigv4::InvalidInput>(())
    /// ```
    #[must_use]
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets how far a request's time may be from the server's, either way.
    #[must_use]
    pub fn with_max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Sets the most header lines (each value of a repeated header counts)
    /// and the most bytes of header names and values a request may carry.
    /// A request over either is refused
    /// ([`VerifyError::HeadersTooLarge`]) before its claims are parsed.
    #[must_use]
    pub fn with_header_limits(mut self, max_headers: usize, max_bytes: usize) -> Self {
        self.max_headers = max_headers;
        self.max_header_bytes = max_bytes;
        self
    }

    /// Accepts `STREAMING-*` (aws-chunked) payloads on the strength of the
    /// seed signature alone, reporting [`PayloadCheck::Streaming`]. Off by
    /// default: this crate does not yet verify chunk signatures, and
    /// without them anyone who has seen a request's headers can replay
    /// them, inside the skew window, with another body. Turn it on only
    /// where something else checks the chunks.
    #[must_use]
    pub fn with_unchecked_streaming(mut self, accept: bool) -> Self {
        self.unchecked_streaming = accept;
        self
    }

    /// Refuses every request whose body is not covered by a checked hash
    /// ([`PayloadCheck::is_checked`]): `UNSIGNED-PAYLOAD`, streaming, or a
    /// claimed hash with no body given. Off by default.
    #[must_use]
    pub fn with_checked_payload_required(mut self, required: bool) -> Self {
        self.checked_payload_required = required;
        self
    }

    /// Verifies `request`, hashing its body, as of `now`.
    ///
    /// # Errors
    ///
    /// A [`VerifyError`] naming the check that failed; see
    /// [`VerifyError::code`] for the AWS error code.
    pub fn verify<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: SigningTime,
    ) -> Result<Verified, VerifyError> {
        self.verify_with_payload(request, Payload::Bytes(request.body().as_ref()), now)
    }

    /// Verifies `request` with its payload given explicitly (a body held
    /// elsewhere, or a hash). A request carrying `x-amz-content-sha256` is
    /// checked against a [`Payload::Bytes`] body.
    ///
    /// # Errors
    ///
    /// As for [`verify`](Self::verify).
    pub fn verify_with_payload<B>(
        &self,
        request: &Request<B>,
        payload: Payload<'_>,
        now: SigningTime,
    ) -> Result<Verified, VerifyError> {
        self.verify_view(&RequestView::of_http(request), payload, now)
    }

    /// Verifies a request of any type, seen through a [`RequestView`] (as
    /// the signer reads one), with its payload, as of `now`. The `http`
    /// methods are built on it.
    ///
    /// # Errors
    ///
    /// As for [`verify`](Self::verify); a view whose method or headers no
    /// HTTP request could carry is [`VerifyError::Malformed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::verify::Verifier;
    /// use sigv4::{Credentials, Payload, RequestView, Signer, SigningTime};
    ///
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let time = SigningTime::parse("20150830T123600Z")?;
    ///
    /// // A request of one's own type, as header pairs, signed through a view.
    /// let mut headers: Vec<(String, Vec<u8>)> = vec![("Host".into(), b"db.example.com:8182".to_vec())];
    /// let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    /// let signer = Signer::neptune("us-east-1")?;
    /// let view = RequestView::new("GET", "/status", "", &pairs);
    /// let added: Vec<(String, Vec<u8>)> = signer
    ///     .sign_view(&view, Payload::Bytes(b""), &creds, time)?
    ///     .headers()
    ///     .map(|(n, v)| (n.to_owned(), v.to_vec()))
    ///     .collect();
    /// headers.extend(added);
    ///
    /// // The server side reads the same kind of view.
    /// let known = creds.clone();
    /// let verifier = Verifier::neptune("us-east-1", move |id: &str| {
    ///     (id == "AKIDEXAMPLE").then(|| known.clone())
    /// })?;
    /// let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    /// let view = RequestView::new("GET", "/status", "", &pairs);
    /// let verified = verifier.verify_view(&view, Payload::Bytes(b""), time)?;
    /// assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_view(
        &self,
        request: &RequestView<'_>,
        payload: Payload<'_>,
        now: SigningTime,
    ) -> Result<Verified, VerifyError> {
        self.check(request, payload, now, false)
            .map(|checked| checked.verified)
    }

    /// Verifies a request whose body is aws-chunked (`x-amz-content-sha256`
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `...-PAYLOAD-TRAILER` or
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`): its headers and seed signature
    /// now, and returns the [`ChunkDecoder`] that checks its body as it
    /// streams, every chunk signature in order, the final chunk, the
    /// trailer and its checksum, `x-amz-decoded-content-length` and
    /// `content-length`. Trust the body's data only as the decoder hands it
    /// over, and only once it has ended.
    ///
    /// # Errors
    ///
    /// As for [`verify`](Self::verify); a request that is not aws-chunked is
    /// [`VerifyError::ChunkedUnsupported`], and so is one without
    /// `x-amz-decoded-content-length`, or with a trailer whose checksum
    /// cannot be checked (`x-amz-trailer` must name `x-amz-checksum-crc32`,
    /// `-crc32c`, `-sha1` or `-sha256`, and checking it needs feature
    /// `checksums`).
    pub fn verify_chunked<B>(
        &self,
        request: &Request<B>,
        now: SigningTime,
    ) -> Result<(Verified, ChunkDecoder), VerifyError> {
        self.verify_chunked_view(&RequestView::of_http(request), now)
    }

    /// [`verify_chunked`](Self::verify_chunked) for a request seen through a
    /// [`RequestView`].
    ///
    /// # Errors
    ///
    /// As for [`verify_chunked`](Self::verify_chunked).
    pub fn verify_chunked_view(
        &self,
        request: &RequestView<'_>,
        now: SigningTime,
    ) -> Result<(Verified, ChunkDecoder), VerifyError> {
        let mut checked = self.check(request, Payload::Unsigned, now, true)?;
        let PayloadCheck::Streaming(constant) = checked.verified.payload else {
            return Err(VerifyError::ChunkedUnsupported {
                reason: "x-amz-content-sha256 does not name an aws-chunked payload",
            });
        };
        let framing = match constant {
            STREAMING_SIGNED_PAYLOAD => ChunkedFraming::Signed,
            STREAMING_SIGNED_PAYLOAD_TRAILER => ChunkedFraming::SignedWithTrailer,
            STREAMING_UNSIGNED_PAYLOAD_TRAILER => ChunkedFraming::UnsignedWithTrailer,
            _ => {
                return Err(VerifyError::ChunkedUnsupported {
                    reason: "an event stream, not an aws-chunked body",
                })
            }
        };
        let number = |name: &'static str, what: &'static str| -> Result<Option<u64>, VerifyError> {
            let mut values = request.headers.get_all(name);
            let value = values.next();
            if values.next().is_some() {
                return Err(VerifyError::ChunkedUnsupported { reason: what });
            }
            value
                .map(|v| {
                    core::str::from_utf8(v)
                        .ok()
                        .and_then(|t| t.trim_matches([' ', '\t']).parse().ok())
                        .ok_or(VerifyError::ChunkedUnsupported { reason: what })
                })
                .transpose()
        };
        let decoded = number(
            "x-amz-decoded-content-length",
            "x-amz-decoded-content-length is not one number",
        )?
        .ok_or(VerifyError::ChunkedUnsupported {
            reason: "no x-amz-decoded-content-length",
        })?;
        let encoded = number("content-length", "content-length is not one number")?;

        let time = checked.verified.time;
        let scope = CredentialScope::new(&time, &self.region, &self.service);
        let mut decoder = match framing {
            ChunkedFraming::UnsignedWithTrailer => ChunkDecoder::unsigned_with_trailer(),
            _ => {
                let seed = checked.seed()?;
                let signer = self.keys.with_key(&checked.credentials, &scope, |key| {
                    ChunkSigner::new(key, &time, &scope, seed)
                });
                ChunkDecoder::signed(signer, framing == ChunkedFraming::SignedWithTrailer)
            }
        }
        .with_decoded_length(decoded);
        if let Some(encoded) = encoded {
            decoder = decoder.with_encoded_length(encoded);
        }
        if framing != ChunkedFraming::Signed {
            let trailer = request.headers.get_all("x-amz-trailer").next();
            let algorithm = trailer
                .and_then(|t| core::str::from_utf8(t).ok())
                .and_then(ChecksumAlgorithm::from_header_name)
                .ok_or(VerifyError::ChunkedUnsupported {
                    reason: "x-amz-trailer does not name one checksum this verifier knows",
                })?;
            decoder = with_checksum(decoder, algorithm)?;
        }
        checked.verified.payload = PayloadCheck::Chunked(framing);
        Ok((checked.verified, decoder))
    }

    /// Verifies a request that opens an event stream
    /// (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-EVENTS`; feature
    /// `eventstream`): its headers and seed signature now, and returns the
    /// [`EventStreamChecker`] that checks each message envelope as it
    /// arrives.
    ///
    /// # Errors
    ///
    /// As for [`verify`](Self::verify); a request that does not name the
    /// events payload is [`VerifyError::ChunkedUnsupported`].
    #[cfg(feature = "eventstream")]
    pub fn verify_event_stream<B>(
        &self,
        request: &Request<B>,
        now: SigningTime,
    ) -> Result<(Verified, EventStreamChecker), VerifyError> {
        let view = RequestView::of_http(request);
        let checked = self.check(&view, Payload::Unsigned, now, true)?;
        if checked.verified.payload
            != PayloadCheck::Streaming(crate::core::payload::STREAMING_EVENTS)
        {
            return Err(VerifyError::ChunkedUnsupported {
                reason: "x-amz-content-sha256 does not name an event stream",
            });
        }
        let seed = checked.seed()?;
        let checker = EventStreamChecker {
            keys: std::sync::Arc::clone(&self.keys),
            region: self.region.clone(),
            service: self.service.clone(),
            credentials: checked.credentials,
            verifier: crate::core::eventstream::EventVerifier::new(seed)
                .with_max_skew(self.max_skew),
        };
        let mut verified = checked.verified;
        verified.payload = PayloadCheck::EventStream;
        Ok((verified, checker))
    }

    /// Everything [`verify_view`](Self::verify_view) checks; `chunked`
    /// lets a streaming payload through (its chunks are the caller's to
    /// check).
    fn check(
        &self,
        request: &RequestView<'_>,
        payload: Payload<'_>,
        now: SigningTime,
        chunked: bool,
    ) -> Result<Checked, VerifyError> {
        self.check_header_size(request)?;
        request.check().map_err(|e| VerifyError::Malformed {
            reason: e.to_string(),
        })?;
        let token_signed = self.settings.session_token == SessionTokenMode::Signed;
        let claims = claims::parse(request, token_signed)?;
        // Scope: the date must be the request's, region and service ours.
        if claims.scope_date != claims.time.date() {
            return Err(VerifyError::ScopeMismatch {
                field: "date",
                claimed: claims.scope_date.clone(),
            });
        }
        self.check_region(&claims)?;
        if claims.service != self.service.as_str() {
            return Err(VerifyError::ScopeMismatch {
                field: "service",
                claimed: claims.service.clone(),
            });
        }

        self.check_time(&claims, now)?;

        let signed: Vec<&str> = claims.signed_headers.split(';').collect();
        check_signed_headers(request, &signed, claims.time_header, &self.settings)?;

        let credentials = self
            .lookup
            .credentials_for(&claims.access_key_id)
            .ok_or_else(|| VerifyError::UnknownAccessKey {
                access_key_id: claims.access_key_id.clone(),
            })?;
        check_session_token(request, &credentials, &claims, &signed, &self.settings)?;

        let (payload_hash, payload_check) = payload_hash(request, payload)?;
        if let PayloadCheck::Streaming(constant) = payload_check {
            if !self.unchecked_streaming && !chunked {
                return Err(VerifyError::StreamingPayloadRefused { payload: constant });
            }
        }
        // A chunked body is checked chunk by chunk, by the caller's decoder.
        let chunks_checked = chunked && matches!(payload_check, PayloadCheck::Streaming(_));
        if self.checked_payload_required && !chunks_checked {
            require_checked_payload(payload_check)?;
        }
        let headers = signed_header_values(request, &signed)?;
        let canonical = claimed_canonical_request(
            request,
            &claims,
            headers.as_slice(),
            &payload_hash,
            &self.settings,
        )?;

        let hash = canonical.hash();
        let (matches, string_to_sign, expected) = match claims.algorithm {
            claims::Algorithm::V4 => {
                let scope = CredentialScope::new(&claims.time, &self.region, &self.service);
                let string_to_sign = StringToSign::new(&claims.time, scope, &hash);
                let expected = self.keys.sign(&credentials, &string_to_sign);
                let matches = Signature::from_hex(claims.signature)
                    .is_some_and(|claimed| claimed == expected);
                (matches, string_to_sign.to_string(), Some(expected))
            }
            #[cfg(feature = "sigv4a")]
            claims::Algorithm::V4a => {
                let string_to_sign =
                    crate::core::sigv4a::StringToSignV4a::new(&claims.time, &self.service, &hash);
                let key = self.public_key(&claims.access_key_id, &credentials);
                let matches = crate::core::sigv4a::EcdsaSignature::from_hex(claims.signature)
                    .is_some_and(|claimed| key.verifies(&string_to_sign, &claimed));
                (matches, string_to_sign.to_string(), None)
            }
        };
        if !matches {
            return Err(VerifyError::SignatureDoesNotMatch {
                canonical_request: crate::sign::redacted_text(&canonical.to_bytes()),
                string_to_sign,
            });
        }
        let verified = Verified {
            access_key_id: claims.access_key_id.clone(),
            time: claims.time,
            location: claims.location,
            signed_headers: claims.signed_headers.clone().into_owned(),
            payload: payload_check,
            algorithm: match claims.algorithm {
                claims::Algorithm::V4 => crate::core::string_to_sign::ALGORITHM,
                #[cfg(feature = "sigv4a")]
                claims::Algorithm::V4a => crate::core::sigv4a::ALGORITHM_V4A,
            },
            region_set: claims.region_set.clone(),
        };
        Ok(Checked {
            verified,
            credentials,
            signature: expected,
        })
    }

    /// The scope's region (SigV4), or the region set (SigV4a), must name
    /// the region this verifier serves.
    fn check_region(&self, claims: &claims::Claims<'_>) -> Result<(), VerifyError> {
        match claims.algorithm {
            claims::Algorithm::V4 => {
                if claims.region != self.region.as_str() {
                    return Err(VerifyError::ScopeMismatch {
                        field: "region",
                        claimed: claims.region.clone(),
                    });
                }
            }
            #[cfg(feature = "sigv4a")]
            claims::Algorithm::V4a => {
                let claimed =
                    claims
                        .region_set
                        .as_deref()
                        .ok_or(VerifyError::IncompleteSignature {
                            reason: "a SigV4a request without x-amz-region-set",
                        })?;
                let set = crate::core::sigv4a::RegionSet::new(claimed).map_err(|_| {
                    VerifyError::IncompleteSignature {
                        reason: "the region set is empty or malformed",
                    }
                })?;
                if !set.contains(self.region.as_str()) {
                    return Err(VerifyError::ScopeMismatch {
                        field: "region set",
                        claimed: claimed.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The SigV4a public key for `access_key_id`: the lookup's, or derived
    /// from the secret it returned (and kept).
    #[cfg(feature = "sigv4a")]
    fn public_key(
        &self,
        access_key_id: &str,
        credentials: &Credentials,
    ) -> crate::core::sigv4a::PublicKey {
        if let Some(key) = self.lookup.public_key_for(access_key_id) {
            return key;
        }
        let id = credentials.secret_id();
        let mut keys = self
            .public_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, key)) = keys.iter().find(|(k, _)| *k == id) {
            return *key;
        }
        let key = crate::core::sigv4a::EcdsaKey::derive(
            credentials.access_key_id(),
            credentials.secret_access_key(),
        )
        .public_key();
        if keys.len() >= 64 {
            keys.remove(0);
        }
        keys.push((id, key));
        key
    }

    /// The header bound, counted before anything is parsed or sorted.
    fn check_header_size(&self, request: &RequestView<'_>) -> Result<(), VerifyError> {
        let headers = request.headers;
        let count = headers.len();
        let too_large = || VerifyError::HeadersTooLarge {
            max_headers: self.max_headers,
            max_bytes: self.max_header_bytes,
        };
        if count > self.max_headers {
            return Err(too_large());
        }
        let bytes = headers
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .fold(0usize, usize::saturating_add);
        if bytes > self.max_header_bytes {
            return Err(too_large());
        }
        Ok(())
    }

    fn check_time(&self, claims: &claims::Claims<'_>, now: SigningTime) -> Result<(), VerifyError> {
        let skew = i64::try_from(self.max_skew.as_secs()).unwrap_or(i64::MAX);
        let signed_at = claims.time.unix_seconds();
        let now_s = now.unix_seconds();
        match claims.location {
            SignatureLocation::Header => {
                if (now_s - signed_at).abs() > skew {
                    return Err(VerifyError::RequestExpired {
                        signed_at: claims.time,
                        now,
                    });
                }
            }
            SignatureLocation::Query { expires } => {
                // Not from the future (beyond the skew), and not yet expired.
                let expires = i64::try_from(expires).unwrap_or(i64::MAX);
                if signed_at - now_s > skew || now_s > signed_at.saturating_add(expires) {
                    return Err(VerifyError::RequestExpired {
                        signed_at: claims.time,
                        now,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Refuses a payload the signature does not cover by its actual hash.
pub(crate) fn require_checked_payload(payload: PayloadCheck) -> Result<(), VerifyError> {
    if payload.is_checked() {
        Ok(())
    } else {
        Err(VerifyError::PayloadNotChecked { payload })
    }
}

/// `host` must be signed, and so must every `x-amz-*` header present
/// (`authorization`, which carries the signature, is not an `x-amz-*` header)
/// and the `date` header when the time comes from it. `signed` is checked
/// to be strictly sorted first, so each look-up is a binary search: n log n
/// in all, whatever the request holds.
fn check_signed_headers(
    request: &RequestView<'_>,
    signed: &[&str],
    time_header: Option<&'static str>,
    settings: &SigningSettings,
) -> Result<(), VerifyError> {
    let well_formed = |n: &&str| {
        crate::core::canonical::is_token(n.as_bytes()) && !n.bytes().any(|b| b.is_ascii_uppercase())
    };
    if !signed.iter().all(well_formed) || !signed.windows(2).all(|w| w[0] < w[1]) {
        return Err(VerifyError::IncompleteSignature {
            reason: "SignedHeaders is not a sorted list of lowercase names",
        });
    }
    // `signed` is lowercase and sorted, so a case-blind comparison keeps
    // its order: view names may come in any case.
    let is_signed = |name: &str| {
        signed
            .binary_search_by(|s| s.bytes().cmp(name.bytes().map(|b| b.to_ascii_lowercase())))
            .is_ok()
    };
    let lowercase = request.headers.lowercase();
    for required in ["host"].into_iter().chain(time_header) {
        if !is_signed(required) {
            return Err(VerifyError::UnsignedHeader {
                name: required.into(),
            });
        }
    }
    // The token, when added after signing, is checked on its own.
    let token_unsigned = settings.session_token == SessionTokenMode::AddedAfterSigning;
    for (name, _) in request.headers.iter() {
        let amz = name
            .get(..6)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-amz-"));
        let may_go_unsigned = settings.excluded_headers.excludes(name, lowercase)
            || (token_unsigned && name.eq_ignore_ascii_case("x-amz-security-token"));
        if amz && !may_go_unsigned && !is_signed(name) {
            return Err(VerifyError::UnsignedHeader { name: name.into() });
        }
    }
    Ok(())
}

fn check_session_token(
    request: &RequestView<'_>,
    credentials: &Credentials,
    claims: &claims::Claims<'_>,
    signed: &[&str],
    settings: &SigningSettings,
) -> Result<(), VerifyError> {
    let must_be_signed = settings.session_token == SessionTokenMode::Signed;
    let presented: Option<&[u8]> = match claims.location {
        SignatureLocation::Header => {
            let header = request.headers.get_all("x-amz-security-token").next();
            if must_be_signed
                && header.is_some()
                && signed.binary_search(&"x-amz-security-token").is_err()
            {
                return Err(VerifyError::UnsignedHeader {
                    name: "x-amz-security-token".into(),
                });
            }
            header
        }
        // Every query parameter but the signature is signed.
        SignatureLocation::Query { .. } => claims.query_token.as_deref().map(str::as_bytes),
    };
    match (credentials.session_token(), presented) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(VerifyError::MissingSessionToken),
        (None, Some(_)) => Err(VerifyError::InvalidSessionToken),
        (Some(expected), Some(presented)) => {
            if bool::from(expected.as_bytes().ct_eq(presented)) {
                Ok(())
            } else {
                Err(VerifyError::InvalidSessionToken)
            }
        }
    }
}

/// The values of the headers `signed` names, in that order (a repeated
/// header keeps its order).
fn signed_header_values<'v>(
    request: &RequestView<'v>,
    signed: &[&'v str],
) -> Result<InlineVec<Header<'v>, 32>, VerifyError> {
    let mut headers: InlineVec<Header<'v>, 32> = InlineVec::new();
    for name in signed {
        let mut found = false;
        for value in request.headers.get_all(name) {
            headers.push((name, value));
            found = true;
        }
        if !found {
            return Err(VerifyError::SignedHeaderMissing {
                name: (*name).to_owned(),
            });
        }
    }
    Ok(headers)
}

/// The canonical request a request's claims imply: its signed headers,
/// and its query without `X-Amz-Signature` when presigned.
fn claimed_canonical_request<'c>(
    request: &'c RequestView<'_>,
    claims: &'c claims::Claims<'_>,
    headers: &'c [Header<'c>],
    payload_hash: &'c PayloadHash,
    settings: &SigningSettings,
) -> Result<CanonicalRequest<'c>, VerifyError> {
    let query = claims.signed_query.as_deref().unwrap_or(request.query);
    Ok(
        CanonicalRequest::new(request.method, request.path, query, headers, payload_hash)
            .map_err(|e| VerifyError::Malformed {
                reason: e.to_string(),
            })?
            .with_settings(settings),
    )
}

/// What a signed request says it was signed over, worked out from the
/// request alone (see [`explain_claimed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimedSigning {
    /// The canonical request its claims imply, the session token (header or
    /// query parameter) replaced by `<redacted>`.
    pub canonical_request: String,
    /// The string to sign its claims imply.
    pub string_to_sign: String,
    /// The signature it carries, as sent.
    pub signature: String,
    /// Header or presigned URL.
    pub location: SignatureLocation,
}

/// The canonical request and string to sign that a signed request implies,
/// from its own claims (`SignedHeaders`, credential scope, date), with no
/// secret: what its signer must have computed, if it canonicalized as
/// `settings` say. Diff it against what a server says it computed (S3's
/// `SignatureDoesNotMatch` body carries that) to find where the two parted.
/// The same canonicalizer as [`Verifier`] runs; nothing is verified.
///
/// # Errors
///
/// The request's signature parts are missing or malformed, a signed header
/// is absent, or `x-amz-content-sha256` contradicts a [`Payload::Bytes`]
/// body.
///
/// # Examples
///
/// ```
/// use sigv4::verify::explain_claimed;
/// use sigv4::{Credentials, Payload, RequestView, Signer, SigningSettings, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let mut headers: Vec<(String, Vec<u8>)> = vec![("host".into(), b"db.example.com:8182".to_vec())];
/// let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
/// let view = RequestView::new("GET", "/status", "", &pairs);
/// let signed = Signer::neptune("us-east-1")?.sign_view(&view, Payload::Bytes(b""), &creds, time)?;
/// let signature = signed.signature().to_string();
/// let added: Vec<(String, Vec<u8>)> = signed.headers().map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
/// headers.extend(added);
///
/// let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
/// let view = RequestView::new("GET", "/status", "", &pairs);
/// let claimed = explain_claimed(&view, Payload::Bytes(b""), &SigningSettings::default())?;
/// assert!(claimed.canonical_request.starts_with("GET\n/status\n\nhost:db.example.com:8182\n"));
/// let hash = sigv4::PayloadHash::of_bytes(claimed.canonical_request.as_bytes());
/// assert!(claimed.string_to_sign.ends_with(hash.as_str()));
/// assert_eq!(claimed.signature, signature);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain_claimed(
    request: &RequestView<'_>,
    payload: Payload<'_>,
    settings: &SigningSettings,
) -> Result<ClaimedSigning, VerifyError> {
    request.check().map_err(|e| VerifyError::Malformed {
        reason: e.to_string(),
    })?;
    let token_signed = settings.session_token == SessionTokenMode::Signed;
    let claims = claims::parse(request, token_signed)?;
    let signed: Vec<&str> = claims.signed_headers.split(';').collect();
    let headers = signed_header_values(request, &signed)?;
    let (payload_hash, _) = payload_hash(request, payload)?;
    let canonical = claimed_canonical_request(
        request,
        &claims,
        headers.as_slice(),
        &payload_hash,
        settings,
    )?;
    let hash = canonical.hash();
    let string_to_sign = match claims.algorithm {
        claims::Algorithm::V4 => {
            let malformed = |e: crate::InvalidInput| VerifyError::Malformed {
                reason: e.to_string(),
            };
            let region = Region::new(&claims.region).map_err(malformed)?;
            let service = Service::new(&claims.service).map_err(malformed)?;
            let scope = CredentialScope::new(&claims.time, &region, &service);
            StringToSign::new(&claims.time, scope, &hash).to_string()
        }
        #[cfg(feature = "sigv4a")]
        claims::Algorithm::V4a => {
            let service = Service::new(&claims.service).map_err(|e| VerifyError::Malformed {
                reason: e.to_string(),
            })?;
            crate::core::sigv4a::StringToSignV4a::new(&claims.time, &service, &hash).to_string()
        }
    };
    Ok(ClaimedSigning {
        canonical_request: crate::sign::redacted_text(&canonical.to_bytes()),
        string_to_sign,
        signature: claims.signature.to_owned(),
        location: claims.location,
    })
}

/// The payload line, and what it says about the body:
/// `x-amz-content-sha256` when present (checked against the body or its
/// given hash), else the given payload.
fn payload_hash(
    request: &RequestView<'_>,
    payload: Payload<'_>,
) -> Result<(PayloadHash, PayloadCheck), VerifyError> {
    let given = payload.hash().map_err(|e| VerifyError::Malformed {
        reason: e.to_string(),
    })?;
    let body_known = matches!(payload, Payload::Bytes(_) | Payload::Precomputed(_));
    let mut claims = request.headers.get_all("x-amz-content-sha256");
    let claimed = claims.next();
    if claims.next().is_some() {
        return Err(VerifyError::IncompleteSignature {
            reason: "the request has more than one x-amz-content-sha256 header",
        });
    }
    let line = match claimed {
        None => given,
        Some(claimed) => {
            let claimed = core::str::from_utf8(claimed)
                .unwrap_or_default()
                .trim_matches([' ', '\t']);
            match PayloadHash::constant(claimed.as_bytes()) {
                Some(constant) => constant,
                None => {
                    let claimed = PayloadHash::from_hex(claimed)
                        .map_err(|_| VerifyError::ContentSha256Mismatch)?;
                    if body_known && claimed != given {
                        return Err(VerifyError::ContentSha256Mismatch);
                    }
                    claimed
                }
            }
        }
    };
    let check = match line {
        PayloadHash::Constant(UNSIGNED_PAYLOAD) => PayloadCheck::Unsigned,
        PayloadHash::Constant(streaming) => PayloadCheck::Streaming(streaming),
        PayloadHash::Sha256(_) if body_known => PayloadCheck::Checked,
        hash @ PayloadHash::Sha256(_) => PayloadCheck::Claimed(hash),
    };
    Ok((line, check))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::signature::tests::counting;
    use crate::Signer;

    /// The verifier decides on the signature through exactly one
    /// constant-time comparison, whether the claimed signature is right,
    /// wrong in its first byte, or wrong only in its last.
    #[test]
    fn the_verifier_compares_signatures_in_constant_time() {
        let creds =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let time = SigningTime::parse("20150830T123600Z").unwrap();
        let mut request = http::Request::get("https://db.example.com:8182/status")
            .body(Vec::new())
            .unwrap();
        let signature = Signer::neptune("us-east-1")
            .unwrap()
            .sign(&mut request, &creds, time)
            .unwrap();
        let known = creds.clone();
        let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(known.clone())).unwrap();

        let (result, calls) = counting(|| verifier.verify(&request, time));
        assert!(result.is_ok());
        assert_eq!(calls, 1);

        let hex = signature.to_string();
        let flip = |c: char| if c == '0' { '1' } else { '0' };
        let mut first_wrong = hex.clone();
        first_wrong.replace_range(0..1, &flip(hex.chars().next().unwrap()).to_string());
        let mut last_wrong = hex.clone();
        last_wrong.replace_range(63..64, &flip(hex.chars().last().unwrap()).to_string());
        for claimed in [first_wrong, last_wrong] {
            let mut tampered = request.clone();
            let auth = tampered.headers()["authorization"]
                .to_str()
                .unwrap()
                .replace(&hex, &claimed);
            tampered
                .headers_mut()
                .insert("authorization", auth.parse().unwrap());
            let (result, calls) = counting(|| verifier.verify(&tampered, time));
            assert!(matches!(
                result,
                Err(VerifyError::SignatureDoesNotMatch { .. })
            ));
            assert_eq!(calls, 1, "one constant-time comparison for {claimed}");
        }
    }
}
