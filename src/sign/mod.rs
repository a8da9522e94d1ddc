//! The http adapter: signs `http::Request`s with the pure core, by header
//! (`Authorization`) or by query string (presigned URLs).
//!
//! Every entry point computes first and mutates last: on error the request
//! is untouched.

#[cfg(feature = "streaming-body")]
mod chunked_body;
#[cfg(feature = "eventstream")]
mod events;
mod explain;
mod headers;
mod presign;
mod scheme;
#[cfg(feature = "sigv4a")]
mod v4a;
mod view;

use std::sync::Arc;
use std::time::Duration;

use http::Request;

use crate::core::canonical::{CanonicalRequest, Header};
use crate::core::credentials::Credentials;
use crate::core::error::{InvalidInput, SigningError};
use crate::core::inline_vec::InlineVec;
use crate::core::payload::{Payload, PayloadHash};
use crate::core::scope::{CredentialScope, Region, Service};
use crate::core::settings::SigningSettings;
use crate::core::signature::Signature;
use crate::core::signing_key::SigningKeyCache;
use crate::core::string_to_sign::StringToSign;
use crate::core::time::SigningTime;
use crate::core::tuned::scope_tail;
use view::ViewHeaders;

#[cfg(feature = "streaming-body")]
pub use chunked_body::{AwsChunkedBody, AwsChunkedBodyError};
#[cfg(feature = "eventstream")]
pub use events::EventStreamSigner;
pub(crate) use explain::redacted_text;
pub use explain::Explanation;
#[cfg(feature = "sigv4a")]
pub use v4a::SigV4aSigner;
pub use view::{PresignInstructions, RequestView, SigningInstructions};

/// Where a signature goes: the `Authorization` header, or the query of a
/// presigned URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// The `X-Amz-*` query parameters of a presigned URL.
    Query {
        /// `X-Amz-Expires`, in seconds.
        expires: u64,
    },
}

impl SignatureLocation {
    /// A presigned URL valid for `expires_in` (whole seconds; fractions are
    /// dropped).
    #[must_use]
    pub fn presigned(expires_in: Duration) -> Self {
        Self::Query {
            expires: expires_in.as_secs(),
        }
    }
}

/// The longest a presigned URL may stay valid: seven days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(604_800);

/// Signs requests for one region and service, with a shared signing-key
/// cache. Cheap to clone; clones share the cache. `Send + Sync`: one signer
/// serves every thread.
///
/// # Examples
///
/// Sign a Neptune SPARQL query with the `Authorization` header:
///
/// ```
/// use sigv4::{Credentials, Signer, SigningTime};
///
/// let signer = Signer::neptune("us-east-1")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let mut request = http::Request::get(
///     "https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182/sparql?query=ASK%20%7B%7D",
/// )
/// .body(Vec::new())?;
/// signer.sign(&mut request, &creds, SigningTime::parse("20150830T123600Z")?)?;
///
/// let headers = request.headers();
/// assert_eq!(
///     headers["host"],
///     "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182"
/// );
/// assert_eq!(headers["x-amz-date"], "20150830T123600Z");
/// assert!(headers["authorization"]
///     .to_str()?
///     .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, SignedHeaders=host;x-amz-date, Signature="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Signer {
    region: Region,
    service: Service,
    /// `/region/service/aws4_request`, rendered once for every signature.
    scope_tail: Arc<str>,
    settings: SigningSettings,
    keys: Arc<SigningKeyCache>,
}

impl Signer {
    /// A signer for `service` in `region`, with default settings.
    #[must_use]
    pub fn new(region: Region, service: Service) -> Self {
        Self {
            scope_tail: scope_tail(&region, &service).into(),
            region,
            service,
            settings: SigningSettings::default(),
            keys: Arc::new(SigningKeyCache::new()),
        }
    }

    /// A signer for Amazon Neptune (`neptune-db`) in `region`.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Region`] for an invalid region name.
    pub fn neptune(region: &str) -> Result<Self, InvalidInput> {
        Ok(Self::new(Region::new(region)?, Service::new("neptune-db")?))
    }

    /// Replaces the settings.
    #[must_use]
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The region signed for.
    #[must_use]
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The service signed for.
    #[must_use]
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The settings in use.
    #[must_use]
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// The signing-key cache (shared by clones of this signer).
    #[must_use]
    pub fn key_cache(&self) -> &SigningKeyCache {
        &self.keys
    }

    /// Signs `request` with the `Authorization` header, hashing its body.
    ///
    /// Adds `x-amz-date`, `x-amz-security-token` (for temporary
    /// credentials), `x-amz-content-sha256` (if the settings ask) and
    /// `authorization`, replacing stale copies from an earlier signature;
    /// adds `host` from the URI when it is missing. Returns the signature.
    ///
    /// # Errors
    ///
    /// See [`SigningError`]; on error the request is unchanged.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<Signature, SigningError> {
        let payload = PayloadHash::of_bytes(request.body().as_ref());
        headers::sign(self, &scheme::V4, request, &payload, credentials, &time)
    }

    /// Like [`sign`](Self::sign), for any body type, with the payload given
    /// explicitly (a precomputed hash, `UNSIGNED-PAYLOAD`, streaming, or
    /// bytes held elsewhere).
    ///
    /// # Errors
    ///
    /// See [`SigningError`]; on error the request is unchanged.
    pub fn sign_with_payload<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<Signature, SigningError> {
        let payload = payload.hash()?;
        headers::sign(self, &scheme::V4, request, &payload, credentials, &time)
    }

    /// Presigns `request`: the `X-Amz-*` query parameters, ending with
    /// `X-Amz-Signature`, are added to its URI (replacing any from an earlier
    /// presign). The body is hashed.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Expires`] unless `expires_in` is 1..=604800 whole
    /// seconds (fractions are dropped); see [`SigningError`] otherwise. On
    /// error the request is unchanged.
    pub fn presign<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<Signature, SigningError> {
        let payload = PayloadHash::of_bytes(request.body().as_ref());
        presign::presign(
            self,
            &scheme::V4,
            request,
            &payload,
            credentials,
            &time,
            expires_in,
        )
    }

    /// Like [`presign`](Self::presign), with the payload given explicitly
    /// (S3 presigned URLs use [`Payload::Unsigned`]).
    ///
    /// # Errors
    ///
    /// As for [`presign`](Self::presign).
    pub fn presign_with_payload<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<Signature, SigningError> {
        let payload = payload.hash()?;
        presign::presign(
            self,
            &scheme::V4,
            request,
            &payload,
            credentials,
            &time,
            expires_in,
        )
    }

    /// Signs a request of any type, seen through a [`RequestView`]: the
    /// result says what to add ([`SigningInstructions`]); nothing is
    /// changed. What [`sign_with_payload`](Self::sign_with_payload) does
    /// for an `http::Request`, before its last step.
    ///
    /// # Errors
    ///
    /// See [`SigningError`]. Every header signed is checked as
    /// [`CheckedHeaders::new`](crate::CheckedHeaders::new) checks it, the
    /// host taken from the URI authority included; headers that are not
    /// signed (excluded, or the signer's own to replace) are not.
    pub fn sign_view<'a>(
        &self,
        view: &RequestView<'a>,
        payload: Payload<'_>,
        credentials: &'a Credentials,
        time: SigningTime,
    ) -> Result<SigningInstructions<'a>, SigningError> {
        let payload = payload.hash()?;
        headers::instructions(self, &scheme::V4, view, &payload, credentials, &time)
    }

    /// Presigns a request of any type, seen through a [`RequestView`]: the
    /// result is its new path and query ([`PresignInstructions`]); nothing
    /// is changed.
    ///
    /// # Errors
    ///
    /// As for [`presign`](Self::presign).
    pub fn presign_view<'a>(
        &self,
        view: &RequestView<'a>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<PresignInstructions<'a>, SigningError> {
        let payload = payload.hash()?;
        presign::instructions(
            self,
            &scheme::V4,
            view,
            &payload,
            credentials,
            &time,
            expires_in,
        )
    }

    /// Computes what [`sign_with_payload`](Self::sign_with_payload) (for
    /// [`SignatureLocation::Header`]) or
    /// [`presign_with_payload`](Self::presign_with_payload) (for
    /// [`SignatureLocation::Query`]) would sign, without touching the
    /// request: the canonical request, the string to sign and the
    /// signature, for diffing against a server's.
    ///
    /// # Errors
    ///
    /// As for the signing call it explains.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{Credentials, Payload, SignatureLocation, Signer, SigningTime};
    ///
    /// let signer = Signer::neptune("us-east-1")?;
    /// let creds = Credentials::new("AKIDEXAMPLE", "secret")?.with_session_token("TOKEN")?;
    /// let request = http::Request::get("https://db.example.com:8182/status").body(())?;
    /// let time = SigningTime::parse("20150830T123600Z")?;
    /// let explained =
    ///     signer.explain(&request, Payload::Bytes(b""), &creds, time, SignatureLocation::Header)?;
    /// assert!(explained.canonical_request_text().starts_with("GET\n/status\n\nhost:db.example.com:8182\n"));
    /// // Shown text never carries the session token.
    /// assert!(!explained.to_string().contains("TOKEN"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain<B>(
        &self,
        request: &Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        location: SignatureLocation,
    ) -> Result<Explanation, SigningError> {
        let payload = payload.hash()?;
        let view = RequestView::of_http(request);
        match location {
            SignatureLocation::Header => {
                headers::explain(self, &scheme::V4, &view, &payload, credentials, &time)
            }
            SignatureLocation::Query { expires } => presign::explain(
                self,
                &scheme::V4,
                &view,
                &payload,
                credentials,
                &time,
                Duration::from_secs(expires),
            ),
        }
    }

    /// Signs `request` for a body sent as aws-chunked, as `upload` says, and
    /// returns the encoder that writes the body's framing. Sets and signs
    /// `content-encoding: aws-chunked` (in front of an encoding the request
    /// already has, such as `gzip`), `x-amz-decoded-content-length`,
    /// `content-length` (the encoded length, replacing the request's),
    /// `x-amz-content-sha256` (the upload's `STREAMING-*` constant, which
    /// tells the server the framing, whatever the settings say of that
    /// header) and, with a trailer, `x-amz-trailer`.
    ///
    /// # Errors
    ///
    /// As for [`sign_with_payload`](Self::sign_with_payload), and
    /// [`InvalidInput::ChunkedUpload`] when the encoded length overflows. On
    /// error the request is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{ChunkedUpload, Credentials, Region, Service, Signer, SigningSettings, SigningTime};
    ///
    /// let signer = Signer::new(Region::new("us-east-1")?, Service::new("s3")?)
    ///     .with_settings(SigningSettings::s3());
    /// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?;
    /// let body = vec![b'a'; 66_560];
    /// let mut request = http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
    ///     .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
    ///     .body(())?;
    /// let upload = ChunkedUpload::signed(body.len() as u64, 64 * 1024)?;
    /// let mut encoder = signer.sign_chunked(
    ///     &mut request, &creds, SigningTime::parse("20130524T000000Z")?, &upload)?;
    ///
    /// let mut encoded = Vec::new();
    /// for chunk in body.chunks(upload.chunk_size()) {
    ///     encoder.write_chunk_header(chunk, &mut encoded)?;
    ///     encoded.extend_from_slice(chunk);
    ///     encoded.extend_from_slice(b"\r\n");
    /// }
    /// encoder.finish(&mut encoded)?;
    /// assert_eq!(request.headers()["content-length"], encoded.len().to_string().as_str());
    /// assert!(request.headers()["authorization"].to_str()?.ends_with(
    ///     "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_chunked<B>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
        upload: &crate::core::chunked::ChunkedUpload,
    ) -> Result<crate::core::chunked::ChunkedEncoder, SigningError> {
        use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH};
        const DECODED: HeaderName = HeaderName::from_static("x-amz-decoded-content-length");
        const TRAILER: HeaderName = HeaderName::from_static("x-amz-trailer");
        const CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
        let encoded = upload.encoded_length().ok_or(InvalidInput::ChunkedUpload {
            reason: "the encoded length overflows",
        })?;
        let headers = request.headers_mut();
        let saved: Vec<(HeaderName, Vec<HeaderValue>)> = [
            CONTENT_ENCODING,
            CONTENT_LENGTH,
            DECODED,
            TRAILER,
            CONTENT_SHA256,
        ]
        .into_iter()
        .map(|name| {
            let values = headers.get_all(&name).iter().cloned().collect();
            (name, values)
        })
        .collect();
        // aws-chunked goes first: it is the outermost coding, undone first.
        let existing: Vec<&str> = saved[0]
            .1
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        let encoding = std::iter::once("aws-chunked")
            .chain(existing)
            .collect::<Vec<_>>()
            .join(",");
        let number = |n: u64| HeaderValue::from(n);
        let invalid = |name: &str| SigningError::InvalidHeaderValue { name: name.into() };
        let encoding = HeaderValue::from_str(&encoding).map_err(|_| invalid("content-encoding"))?;
        headers.insert(CONTENT_ENCODING, encoding);
        headers.insert(CONTENT_LENGTH, number(encoded));
        headers.insert(DECODED, number(upload.decoded_length()));
        // The server reads the framing from this header: it is sent
        // whatever the settings say of x-amz-content-sha256.
        headers.insert(
            CONTENT_SHA256,
            HeaderValue::from_static(upload.content_sha256()),
        );
        match upload.checksum() {
            Some(checksum) => {
                headers.insert(TRAILER, HeaderValue::from_static(checksum.header_name()));
            }
            None => {
                headers.remove(TRAILER);
            }
        }
        match self.sign_with_payload(request, upload.payload(), credentials, time) {
            Ok(seed) => {
                let signer = (upload.framing()
                    != crate::core::chunked::ChunkedFraming::UnsignedWithTrailer)
                    .then(|| self.chunk_signer(credentials, time, seed));
                Ok(crate::core::chunked::ChunkedEncoder::new(*upload, signer))
            }
            Err(e) => {
                let headers = request.headers_mut();
                for (name, values) in saved {
                    headers.remove(&name);
                    for value in values {
                        headers.append(name.clone(), value);
                    }
                }
                Err(e)
            }
        }
    }

    /// The signer of an event stream's messages, for a request this signer
    /// signed with [`Payload::StreamingEvents`] and `credentials`, whose
    /// signature, the seed of the chain, is `seed` (feature
    /// `eventstream`). Keys come from this signer's cache, per message
    /// date.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::eventstream::{HeaderValue, Message};
    /// use sigv4::{Credentials, Payload, Region, Service, Signer, SigningTime};
    ///
    /// let signer = Signer::new(Region::new("us-east-1")?, Service::new("transcribe")?);
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let time = SigningTime::parse("20150830T123600Z")?;
    /// let mut request = http::Request::post("https://transcribestreaming.us-east-1.amazonaws.com/stream-transcription")
    ///     .body(())?;
    /// let seed = signer.sign_with_payload(&mut request, Payload::StreamingEvents, &creds, time)?;
    ///
    /// let mut events = signer.event_signer(&creds, seed);
    /// let mut message = Vec::new();
    /// Message::new(b"audio bytes".to_vec())
    ///     .with_header(":event-type", HeaderValue::String("AudioEvent".into()))
    ///     .encode(&mut message)?;
    /// let mut wire = Vec::new();
    /// events.sign_message(&message, time, &mut wire)?;
    /// events.finish(time, &mut wire)?;
    /// let (envelope, used) = Message::decode(&wire)?;
    /// assert_eq!(envelope.payload, message);
    /// assert_eq!(Message::decode(&wire[used..])?.0.payload, b"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "eventstream")]
    #[must_use]
    pub fn event_signer(
        &self,
        credentials: &Credentials,
        seed: Signature,
    ) -> events::EventStreamSigner {
        events::EventStreamSigner::new(self.clone(), credentials.clone(), seed)
    }

    /// The signer of the chunks of an aws-chunked body, for a request this
    /// signer signed at `time` with `credentials` (its payload
    /// [`Payload::StreamingSigned`] or [`Payload::StreamingSignedTrailer`]),
    /// whose signature, the seed of the chain, is `seed`. The key comes
    /// from this signer's cache: it is not derived again.
    ///
    /// See [`ChunkSigner`](crate::ChunkSigner) for an example.
    #[must_use]
    pub fn chunk_signer(
        &self,
        credentials: &Credentials,
        time: SigningTime,
        seed: Signature,
    ) -> crate::core::chunked::ChunkSigner {
        let scope = self.scope(&time);
        self.keys.with_key(credentials, &scope, |key| {
            crate::core::chunked::ChunkSigner::new(key, &time, &scope, seed)
        })
    }

    fn scope<'a>(&'a self, time: &SigningTime) -> CredentialScope<'a> {
        CredentialScope::new(time, &self.region, &self.service).with_tail(&self.scope_tail)
    }

    /// Stages 2 to 4 from the canonical request's hash, for `scope` (this
    /// signer's at `time`).
    #[inline]
    fn sign_hash(
        &self,
        scope: CredentialScope<'_>,
        canonical_request_hash: &[u8; 32],
        credentials: &Credentials,
        time: &SigningTime,
    ) -> Signature {
        let string_to_sign = StringToSign::new(time, scope, canonical_request_hash);
        self.keys.sign(credentials, &string_to_sign)
    }

    fn explanation<Sc: scheme::Scheme>(
        &self,
        scheme: &Sc,
        canonical: &CanonicalRequest<'_>,
        credentials: &Credentials,
        time: &SigningTime,
    ) -> Explanation<Sc::Signature> {
        let hash = canonical.hash();
        Explanation::new(
            canonical.to_bytes(),
            scheme.string_to_sign(self, &hash, time),
            scheme.sign(self, &hash, credentials, time),
        )
    }
}

/// Rejects credentials that have expired at the signing time.
/// The payload line for a request on which the caller set
/// `x-amz-content-sha256` (and the signer is not writing its own): servers
/// take that header as the payload line (S3 does, botocore signs it so, and
/// so does [`Verifier`](crate::verify::Verifier)), so it must agree with
/// the payload being signed. A documented constant there (`UNSIGNED-PAYLOAD`,
/// `STREAMING-*`) is the payload line; the payload's own hash (any case)
/// changes nothing; anything else is an error, not a signature every server
/// would refuse.
fn payload_from_header(claimed: &[u8], payload: &PayloadHash) -> Result<PayloadHash, SigningError> {
    if claimed.eq_ignore_ascii_case(payload.as_bytes()) {
        return Ok(*payload);
    }
    PayloadHash::constant(claimed).ok_or_else(|| SigningError::ContentSha256Mismatch {
        header: String::from_utf8_lossy(claimed).chars().take(80).collect(),
        payload: payload.as_str().to_owned(),
    })
}

/// Lists into `headers` the view's headers that are signed: all but the
/// excluded ones and those `skip` names. Returns the payload line, which a
/// caller-set `x-amz-content-sha256` decides (see [`reconcile_payload`]).
fn signed_headers<'v>(
    view: &RequestView<'v>,
    settings: &SigningSettings,
    lowercase: bool,
    payload: &PayloadHash,
    headers: &mut InlineVec<Header<'v>, 32>,
    skip: impl Fn(&str) -> bool,
) -> Result<PayloadHash, SigningError> {
    // One loop per kind of header list, so the loop over a map does not
    // branch on the kind at every header.
    match view.headers {
        ViewHeaders::Pairs(pairs) => collect_signed(
            pairs.iter().copied(),
            settings,
            lowercase,
            payload,
            headers,
            skip,
        ),
        ViewHeaders::Http(map) => collect_signed(
            map.iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            settings,
            true,
            payload,
            headers,
            skip,
        ),
    }
}

fn collect_signed<'v>(
    pairs: impl Iterator<Item = Header<'v>>,
    settings: &SigningSettings,
    lowercase: bool,
    payload: &PayloadHash,
    headers: &mut InlineVec<Header<'v>, 32>,
    skip: impl Fn(&str) -> bool,
) -> Result<PayloadHash, SigningError> {
    let mut from_header = None;
    for (name, value) in pairs {
        if settings.excluded_headers.excludes(name, lowercase) || skip(name) {
            continue;
        }
        if name.eq_ignore_ascii_case("x-amz-content-sha256") {
            reconcile_payload(&mut from_header, value, payload)?;
        }
        headers.push((name, value));
    }
    Ok(from_header.unwrap_or(*payload))
}

/// Takes the caller-set `x-amz-content-sha256` value as the payload line
/// (see [`payload_from_header`]); a second value is an error, as it is to
/// the verifier.
fn reconcile_payload(
    line: &mut Option<PayloadHash>,
    claimed: &[u8],
    payload: &PayloadHash,
) -> Result<(), SigningError> {
    if line.is_some() {
        return Err(SigningError::RepeatedContentSha256);
    }
    *line = Some(payload_from_header(claimed, payload)?);
    Ok(())
}

fn check_expiry(credentials: &Credentials, time: &SigningTime) -> Result<(), SigningError> {
    match credentials.expiry_unix() {
        Some(expired_at) if credentials.is_expired_at(time) => {
            Err(SigningError::CredentialsExpired {
                expired_at,
                signing_time: time.unix_seconds(),
            })
        }
        _ => Ok(()),
    }
}
