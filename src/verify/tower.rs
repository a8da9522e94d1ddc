//! A tower [`Layer`] that requires SigV4 on an HTTP service (feature
//! `tower`): put it in front of an axum router or a hyper service and every
//! request must be signed by a key your [`SecretLookup`] knows.
//!
//! The layer reads the request body (up to a limit, 10 MiB by default),
//! because the signature covers its hash; verifies the request as of the
//! clock's "now"; and on success calls the inner service with the checked
//! body as a [`VerifiedBody`] and the [`Verified`] claims in the request's
//! extensions. An aws-chunked upload (`x-amz-content-sha256:
//! STREAMING-*`) is not read first: its headers and seed signature are
//! verified, and the service reads a body that checks each chunk's
//! signature before handing over its data and fails at the first chunk
//! that does not check (see [`VerifiedBody`]). On failure it answers itself, by default like Amazon
//! Neptune: `403` with
//! `{"requestId": "…", "code": "AccessDeniedException", "detailedMessage": "…"}`,
//! where the detailed message starts with the AWS error code of the check
//! that failed (for example `SignatureDoesNotMatch: …`).
//!
//! # Examples
//!
//! A hyper server that answers `/status` only for signed requests:
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::future::Future;
//! use std::pin::Pin;
//! use std::task::{Context, Poll};
//!
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use sigv4::verify::tower::{SigV4Layer, VerifiedBody};
//! use sigv4::verify::{Verified, Verifier};
//! use sigv4::Credentials;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! /// The protected service: it only ever sees verified requests.
//! #[derive(Clone)]
//! struct Status;
//!
//! impl Service<http::Request<VerifiedBody>> for Status {
//!     type Response = http::Response<Full<Bytes>>;
//!     type Error = Infallible;
//!     type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;
//!
//!     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
//!         Poll::Ready(Ok(()))
//!     }
//!
//!     fn call(&mut self, request: http::Request<VerifiedBody>) -> Self::Future {
//!         let who = request
//!             .extensions()
//!             .get::<Verified>()
//!             .map(|v| v.access_key_id.clone())
//!             .unwrap_or_default();
//!         Box::pin(async move {
//!             Ok(http::Response::new(Full::new(Bytes::from(format!(
//!                 "{{\"status\":\"healthy\",\"caller\":\"{who}\"}}"
//!             )))))
//!         })
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let known = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
//! let lookup = move |id: &str| (id == known.access_key_id()).then(|| known.clone());
//! let layer = SigV4Layer::new(Verifier::neptune("us-east-1", lookup)?)
//!     .with_body_limit(1024 * 1024);
//! let service = layer.layer(Status);
//! // Serve `service` with hyper (wrap it in `hyper_util::service::TowerToHyperService`),
//! // or give the layer to axum 0.8: `Router::new().route(...).layer(layer)`, where
//! // handlers take `Extension<Verified>`.
//! # let _ = service;
//! # Ok(()) }
//! ```
//!
//! Tests fix the time instead of reading the system clock:
//!
//! ```
//! use sigv4::verify::{tower::SigV4Layer, Verifier};
//! use sigv4::{Credentials, SigningTime};
//!
//! let lookup = |_: &str| -> Option<Credentials> { None };
//! let layer = SigV4Layer::new(Verifier::neptune("us-east-1", lookup)?)
//!     .with_fixed_time(SigningTime::parse("20150830T123600Z")?);
//! # let _ = layer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Buf, Bytes};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::{SecretLookup, Verified, Verifier, VerifyError};
use crate::clock::Clock;
use crate::core::chunked::{ChunkDecoder, ChunkedError, Decoded, DEFAULT_MAX_CHUNK_SIZE};
use crate::core::time::SigningTime;

/// The default body limit: 10 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Builds the response for a rejected request.
type RejectFn = dyn Fn(&Rejection) -> Response<Full<Bytes>> + Send + Sync;

/// The future a [`SigV4Service`] returns.
pub type ResponseFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// Why the layer answered a request itself instead of passing it on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The request did not verify.
    Unverified(VerifyError),
    /// The body is longer than the layer's limit.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read.
    BodyUnreadable {
        /// What went wrong.
        reason: String,
    },
}

impl Rejection {
    /// The HTTP status the default response uses: `403` for a request that
    /// did not verify, `413` for a body over the limit, `400` for a body
    /// that could not be read.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unverified(_) => StatusCode::FORBIDDEN,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyUnreadable { .. } => StatusCode::BAD_REQUEST,
        }
    }

    /// The AWS error code of the failed check (see [`VerifyError::code`]),
    /// or `RequestEntityTooLarge` / `IncompleteBody` for the body.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unverified(e) => e.code(),
            Self::BodyTooLarge { .. } => "RequestEntityTooLarge",
            Self::BodyUnreadable { .. } => "IncompleteBody",
        }
    }

    /// Amazon Neptune's error response: [`status`](Self::status), and the
    /// JSON body `{"requestId", "code", "detailedMessage"}` where `code` is
    /// `AccessDeniedException` (or `BadRequestException` for body
    /// problems) and the detailed message is `"<AWS code>: <what failed>"`.
    /// The request id is also in the `x-amzn-requestid` header.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::verify::{tower::Rejection, VerifyError};
    ///
    /// let response = Rejection::Unverified(VerifyError::MissingAuthentication).neptune_response();
    /// assert_eq!(response.status(), 403);
    /// ```
    #[must_use]
    pub fn neptune_response(&self) -> Response<Full<Bytes>> {
        let request_id = request_id();
        let code = match self {
            Self::Unverified(_) => "AccessDeniedException",
            Self::BodyTooLarge { .. } | Self::BodyUnreadable { .. } => "BadRequestException",
        };
        let mut body = String::with_capacity(160);
        body.push_str("{\"requestId\":");
        push_json_string(&mut body, &request_id);
        body.push_str(",\"code\":");
        push_json_string(&mut body, code);
        body.push_str(",\"detailedMessage\":");
        push_json_string(&mut body, &format!("{}: {self}", self.code()));
        body.push('}');
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amzn-requestid", id);
        }
        response
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unverified(e) => e.fmt(f),
            Self::BodyTooLarge { limit } => {
                write!(f, "the request body is longer than {limit} bytes")
            }
            Self::BodyUnreadable { reason } => write!(f, "cannot read the request body: {reason}"),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unverified(e) => Some(e),
            _ => None,
        }
    }
}

/// Where the layer's "now" comes from.
#[derive(Clone)]
enum Now {
    System,
    Fixed(SigningTime),
    Clock(Arc<dyn Clock>),
}

impl Now {
    fn get(&self) -> SigningTime {
        match self {
            Self::System => SigningTime::now(),
            Self::Fixed(time) => *time,
            // A clock outside years 0000..=9999 cannot be represented; the
            // system clock is the only sensible stand-in.
            Self::Clock(clock) => {
                SigningTime::try_from(clock.now()).unwrap_or_else(|_| SigningTime::now())
            }
        }
    }
}

/// A [`Layer`] that verifies every request with a [`Verifier`] before the
/// inner service sees it. See the [module docs](self).
///
/// Cheap to clone: the verifier (and its signing-key cache) is shared.
pub struct SigV4Layer<L> {
    verifier: Arc<Verifier<L>>,
    body_limit: usize,
    max_chunk_size: usize,
    checked_payload_required: bool,
    now: Now,
    reject: Arc<RejectFn>,
}

impl<L> Clone for SigV4Layer<L> {
    fn clone(&self) -> Self {
        Self {
            verifier: Arc::clone(&self.verifier),
            body_limit: self.body_limit,
            max_chunk_size: self.max_chunk_size,
            checked_payload_required: self.checked_payload_required,
            now: self.now.clone(),
            reject: Arc::clone(&self.reject),
        }
    }
}

impl<L> fmt::Debug for SigV4Layer<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Layer")
            .field("verifier", &self.verifier)
            .field("body_limit", &self.body_limit)
            .field("checked_payload_required", &self.checked_payload_required)
            .finish_non_exhaustive()
    }
}

impl<L: SecretLookup> SigV4Layer<L> {
    /// A layer verifying with `verifier`, reading the system clock, with
    /// a 10 MiB body limit and Neptune's error responses.
    #[must_use]
    pub fn new(verifier: Verifier<L>) -> Self {
        Self {
            verifier: Arc::new(verifier),
            body_limit: DEFAULT_BODY_LIMIT,
            max_chunk_size: DEFAULT_MAX_CHUNK_SIZE,
            checked_payload_required: false,
            now: Now::System,
            reject: Arc::new(Rejection::neptune_response),
        }
    }

    /// Sets the longest body the layer reads, in bytes. A longer body is
    /// rejected (by default with `413`) without being verified.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets the largest aws-chunked chunk the layer accepts (default
    /// [`DEFAULT_MAX_CHUNK_SIZE`], 16 MiB): a chunk is held whole until its
    /// signature is checked, so this bounds the memory of each upload. An
    /// aws-chunked body is not held to [`with_body_limit`](Self::with_body_limit):
    /// it streams.
    #[must_use]
    pub fn with_max_chunk_size(mut self, bytes: usize) -> Self {
        self.max_chunk_size = bytes;
        self
    }

    /// Passes on only requests whose signature covers the body's hash,
    /// which the layer computes: `UNSIGNED-PAYLOAD` (and streaming
    /// payloads, should the verifier accept them) are rejected with
    /// [`VerifyError::PayloadNotChecked`]. Off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::verify::{tower::SigV4Layer, Verifier};
    /// use sigv4::Credentials;
    ///
    /// let lookup = |_: &str| -> Option<Credentials> { None };
    /// let layer = SigV4Layer::new(Verifier::neptune("us-east-1", lookup)?)
    ///     .with_checked_payload_required(true);
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_checked_payload_required(mut self, required: bool) -> Self {
        self.checked_payload_required = required;
        self
    }

    /// Verifies as of `clock`'s time instead of the system clock's.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.now = Now::Clock(clock);
        self
    }

    /// Verifies every request as of `time` (for tests).
    #[must_use]
    pub fn with_fixed_time(mut self, time: SigningTime) -> Self {
        self.now = Now::Fixed(time);
        self
    }

    /// Replaces the response to a rejected request (by default
    /// [`Rejection::neptune_response`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http_body_util::Full;
    /// use sigv4::verify::{tower::SigV4Layer, Verifier};
    /// use sigv4::Credentials;
    ///
    /// let lookup = |_: &str| -> Option<Credentials> { None };
    /// let layer = SigV4Layer::new(Verifier::neptune("us-east-1", lookup)?).with_rejection(|r| {
    ///     let mut response = http::Response::new(Full::new(Bytes::from(r.code())));
    ///     *response.status_mut() = r.status();
    ///     response
    /// });
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_rejection<F>(mut self, reject: F) -> Self
    where
        F: Fn(&Rejection) -> Response<Full<Bytes>> + Send + Sync + 'static,
    {
        self.reject = Arc::new(reject);
        self
    }
}

impl<S, L> Layer<S> for SigV4Layer<L> {
    type Service = SigV4Service<S, L>;

    fn layer(&self, inner: S) -> Self::Service {
        SigV4Service {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service a [`SigV4Layer`] wraps around `S`.
///
/// It takes requests with any body and answers with either the inner
/// service's response body or the rejection's [`Full<Bytes>`].
pub struct SigV4Service<S, L> {
    inner: S,
    layer: SigV4Layer<L>,
}

impl<S: Clone, L> Clone for SigV4Service<S, L> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, L> fmt::Debug for SigV4Service<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Service")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, L, B, ResBody> Service<Request<B>> for SigV4Service<S, L>
where
    S: Service<Request<VerifiedBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    L: SecretLookup + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<ResBody, Full<Bytes>>>;
    type Error = S::Error;
    type Future = ResponseFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request; a fresh
        // clone stays behind for the next one.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let layer = self.layer.clone();
        Box::pin(async move {
            let reject = |r: Rejection| Ok((layer.reject)(&r).map(Either::Right));
            let (parts, body) = request.into_parts();
            if is_chunked(&parts.headers) {
                // aws-chunked: the headers and seed now, the chunks as the
                // service reads them.
                let request = Request::from_parts(parts, ());
                let (verified, decoder) =
                    match layer.verifier.verify_chunked(&request, layer.now.get()) {
                        Ok(checked) => checked,
                        Err(e) => return reject(Rejection::Unverified(e)),
                    };
                let (mut parts, ()) = request.into_parts();
                parts.extensions.insert(verified);
                let decoder = decoder.with_max_chunk_size(layer.max_chunk_size);
                let request = Request::from_parts(parts, VerifiedBody::chunked(body, decoder));
                let response = inner.call(request).await?;
                return Ok(response.map(Either::Left));
            }
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > layer.body_limit as u64) {
                return reject(Rejection::BodyTooLarge {
                    limit: layer.body_limit,
                });
            }
            let body = match Limited::new(body, layer.body_limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                    return reject(Rejection::BodyTooLarge {
                        limit: layer.body_limit,
                    });
                }
                Err(e) => {
                    return reject(Rejection::BodyUnreadable {
                        reason: e.to_string(),
                    })
                }
            };
            let mut request = Request::from_parts(parts, body);
            let verified =
                layer
                    .verifier
                    .verify(&request, layer.now.get())
                    .and_then(|verified: Verified| {
                        if layer.checked_payload_required {
                            super::require_checked_payload(verified.payload)?;
                        }
                        Ok(verified)
                    });
            let verified = match verified {
                Ok(v) => v,
                Err(e) => return reject(Rejection::Unverified(e)),
            };
            request.extensions_mut().insert(verified);
            let request = request.map(VerifiedBody::whole);
            let response = inner.call(request).await?;
            Ok(response.map(Either::Left))
        })
    }
}

/// Whether the request names an aws-chunked payload (`STREAMING-*`).
fn is_chunked(headers: &http::HeaderMap) -> bool {
    headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("STREAMING-"))
}

/// The body the inner service receives: checked bytes, whole or streamed.
///
/// - A body signed by its hash (or `UNSIGNED-PAYLOAD`) was read whole and
///   checked before the service is called: [`bytes`](Self::bytes) has it.
/// - An aws-chunked body streams: each chunk's data comes out only after
///   its signature is checked, and the body fails (a
///   [`VerifiedBodyError`]) at the first chunk that does not check, or if
///   it ends early. Data read before a failure was checked, but the upload
///   as a whole was not: act on it only once the body has ended cleanly.
pub struct VerifiedBody {
    kind: Kind,
}

enum Kind {
    Whole(Option<Bytes>),
    Chunked(Box<ChunkedStream>),
}

struct ChunkedStream {
    inner: http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>,
    decoder: ChunkDecoder,
    /// Received, not yet decoded.
    input: Bytes,
    inner_done: bool,
    finished: bool,
}

impl fmt::Debug for VerifiedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Whole(bytes) => f
                .debug_struct("VerifiedBody")
                .field("len", &bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Chunked(stream) => f
                .debug_struct("VerifiedBody")
                .field("chunked", &stream.decoder)
                .finish(),
        }
    }
}

impl VerifiedBody {
    fn whole(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Whole(Some(bytes)),
        }
    }

    fn chunked<B>(body: B, decoder: ChunkDecoder) -> Self
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let inner = body
            .map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
            .map_err(Into::into)
            .boxed_unsync();
        Self {
            kind: Kind::Chunked(Box::new(ChunkedStream {
                inner,
                decoder,
                input: Bytes::new(),
                inner_done: false,
                finished: false,
            })),
        }
    }

    /// The whole body, already checked, when it was read whole (`None`
    /// for an aws-chunked body, which streams, and once polled).
    #[must_use]
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Whole(bytes) => bytes.as_ref(),
            Kind::Chunked(_) => None,
        }
    }

    /// Whether the body is aws-chunked, checked as it streams.
    #[must_use]
    pub fn is_chunked(&self) -> bool {
        matches!(self.kind, Kind::Chunked(_))
    }
}

/// Why a [`VerifiedBody`] failed: a chunk that did not check, or the
/// connection's body failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifiedBodyError {
    /// An aws-chunked check failed (see [`VerifyError::code`] for its AWS
    /// code through `VerifyError::from`).
    Chunked(ChunkedError),
    /// The body could not be read.
    Body(BoxError),
}

impl fmt::Display for VerifiedBodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chunked(e) => e.fmt(f),
            Self::Body(e) => write!(f, "the request body could not be read: {e}"),
        }
    }
}

impl std::error::Error for VerifiedBodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Chunked(e) => Some(e),
            Self::Body(e) => Some(&**e),
        }
    }
}

impl Body for VerifiedBody {
    type Data = Bytes;
    type Error = VerifiedBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, VerifiedBodyError>>> {
        let stream = match &mut self.kind {
            Kind::Whole(bytes) => {
                return Poll::Ready(bytes.take().map(|b| Ok(http_body::Frame::data(b))));
            }
            Kind::Chunked(stream) => stream,
        };
        loop {
            if stream.finished {
                return Poll::Ready(None);
            }
            if !stream.input.is_empty() {
                let ChunkedStream { decoder, input, .. } = &mut **stream;
                match decoder.decode(input) {
                    Ok((used, Decoded::Data(data))) => {
                        let data = Bytes::copy_from_slice(data);
                        input.advance(used);
                        return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
                    }
                    Ok((used, _)) => input.advance(used),
                    Err(e) => {
                        stream.finished = true;
                        return Poll::Ready(Some(Err(VerifiedBodyError::Chunked(e))));
                    }
                }
                continue;
            }
            if stream.inner_done {
                stream.finished = true;
                return Poll::Ready(
                    stream
                        .decoder
                        .finish()
                        .err()
                        .map(|e| Err(VerifiedBodyError::Chunked(e))),
                );
            }
            match Pin::new(&mut stream.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => stream.inner_done = true,
                Poll::Ready(Some(Err(e))) => {
                    stream.finished = true;
                    return Poll::Ready(Some(Err(VerifiedBodyError::Body(e))));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        stream.input = data;
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Whole(bytes) => bytes.is_none(),
            Kind::Chunked(stream) => stream.finished,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.kind {
            Kind::Whole(bytes) => {
                http_body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Kind::Chunked(_) => http_body::SizeHint::default(),
        }
    }
}

/// A fresh id shaped like a UUID (version 4 layout), for `requestId`. Not
/// secret and not a security token: unique enough to find a log line.
fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let a = splitmix(nanos ^ count.rotate_left(32));
    let b = splitmix(a ^ count);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Appends `text` as a JSON string literal.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::core::credentials::Credentials;
    use crate::Signer;

    /// Answers `<what it says of the claims>:<the body it got>`.
    #[derive(Clone)]
    struct Echo(fn(&Verified) -> String);

    /// Says who signed.
    const WHO: Echo = Echo(|verified| verified.access_key_id.clone());

    impl Service<Request<VerifiedBody>> for Echo {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = ResponseFuture<Self::Response, Infallible>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<VerifiedBody>) -> Self::Future {
            let who = request
                .extensions()
                .get::<Verified>()
                .map(self.0)
                .unwrap_or_default();
            Box::pin(async move {
                let mut text = who.into_bytes();
                text.push(b':');
                match request.into_body().collect().await {
                    Ok(body) => text.extend_from_slice(&body.to_bytes()),
                    Err(e) => text.extend_from_slice(format!("body failed: {e}").as_bytes()),
                }
                Ok(Response::new(Full::new(Bytes::from(text))))
            })
        }
    }

    fn time() -> SigningTime {
        SigningTime::parse("20150830T123600Z").unwrap()
    }

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
    }

    type Lookup = Box<dyn Fn(&str) -> Option<Credentials> + Send + Sync>;

    fn service() -> SigV4Service<Echo, Lookup> {
        let known = creds();
        let lookup: Lookup = Box::new(move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone()));
        SigV4Layer::new(Verifier::neptune("us-east-1", lookup).unwrap())
            .with_fixed_time(time())
            .with_body_limit(64)
            .layer(WHO)
    }

    /// Drives a future that never waits on I/O to completion.
    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    fn send(request: Request<Vec<u8>>) -> (StatusCode, String) {
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let response = block_on(service().call(request)).unwrap();
        let status = response.status();
        let body = block_on(response.into_body().collect()).unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn signed_post(body: &[u8]) -> Request<Vec<u8>> {
        let mut request = Request::post("https://db.example.com:8182/openCypher")
            .body(body.to_vec())
            .unwrap();
        Signer::neptune("us-east-1")
            .unwrap()
            .sign(&mut request, &creds(), time())
            .unwrap();
        request
    }

    #[test]
    fn passes_verified_requests_on_with_body_and_claims() {
        let (status, body) = send(signed_post(b"query=RETURN 1"));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "AKIDEXAMPLE:query=RETURN 1");
    }

    #[test]
    fn rejects_tampered_body_with_neptune_json() {
        let mut request = signed_post(b"query=RETURN 1");
        *request.body_mut() = b"query=RETURN 2".to_vec();
        let (status, body) = send(request);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.starts_with("{\"requestId\":\""), "{body}");
        assert!(
            body.contains(
                "\"code\":\"AccessDeniedException\",\"detailedMessage\":\"SignatureDoesNotMatch: "
            ),
            "{body}"
        );
    }

    #[test]
    fn rejects_bodies_over_the_limit() {
        let (status, body) = send(signed_post(&[b'x'; 65]));
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.contains("RequestEntityTooLarge"), "{body}");
    }

    /// A streaming payload the layer cannot check (here: no
    /// `x-amz-decoded-content-length`) is refused before the service sees
    /// any of it.
    #[test]
    fn refuses_streaming_payloads_it_cannot_check() {
        for constant in [
            crate::STREAMING_SIGNED_PAYLOAD,
            crate::STREAMING_SIGNED_PAYLOAD_TRAILER,
            crate::STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        ] {
            let mut request = Request::put("https://db.example.com:8182/x")
                .header("x-amz-content-sha256", constant)
                .body(b"anything at all".to_vec())
                .unwrap();
            Signer::neptune("us-east-1")
                .unwrap()
                .sign(&mut request, &creds(), time())
                .unwrap();
            let (status, body) = send(request);
            assert_eq!(status, StatusCode::FORBIDDEN, "{constant}");
            assert!(body.contains("InvalidRequest: "), "{body}");
            assert!(!body.contains("anything"), "{body}");
        }
    }

    /// An aws-chunked upload streams through to the service as its checked
    /// data; a changed chunk makes the service's read of the body fail,
    /// after only the chunks before it.
    #[test]
    fn streams_chunked_uploads_checked() {
        let body: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let upload = crate::ChunkedUpload::signed(body.len() as u64, 8192).unwrap();
        let mut request = Request::put("https://db.example.com:8182/x")
            .body(())
            .unwrap();
        let mut encoder = Signer::neptune("us-east-1")
            .unwrap()
            .sign_chunked(&mut request, &creds(), time(), &upload)
            .unwrap();
        let mut encoded = Vec::new();
        for chunk in body.chunks(8192) {
            encoder.write_chunk_header(chunk, &mut encoded).unwrap();
            encoded.extend_from_slice(chunk);
            encoded.extend_from_slice(b"\r\n");
        }
        encoder.finish(&mut encoded).unwrap();

        let good = request.clone().map(|()| encoded.clone());
        let (status, text) = send(good);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            text.as_bytes(),
            [b"AKIDEXAMPLE:".as_slice(), &body].concat()
        );

        let mut tampered = encoded.clone();
        tampered[12_000] ^= 1;
        let (status, text) = send(request.map(|()| tampered));
        assert_eq!(
            status,
            StatusCode::OK,
            "the service answers; its body read failed"
        );
        assert!(
            text.starts_with("AKIDEXAMPLE:body failed: aws-chunked: chunk 1's signature"),
            "{text}"
        );
    }

    /// `UNSIGNED-PAYLOAD` passes by default, reported as such, and is
    /// refused once a checked payload hash is required.
    #[test]
    fn can_require_a_checked_payload_hash() {
        let unsigned = || {
            let mut request = Request::post("https://db.example.com:8182/openCypher")
                .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
                .body(b"query=RETURN 1".to_vec())
                .unwrap();
            Signer::neptune("us-east-1")
                .unwrap()
                .sign(&mut request, &creds(), time())
                .unwrap();
            request.map(|b| Full::new(Bytes::from(b)))
        };
        let layer = |required| {
            let known = creds();
            let lookup: Lookup =
                Box::new(move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone()));
            SigV4Layer::new(Verifier::neptune("us-east-1", lookup).unwrap())
                .with_fixed_time(time())
                .with_checked_payload_required(required)
                .layer(Echo(|verified| format!("{:?}", verified.payload)))
        };
        let body = |response: Response<Either<Full<Bytes>, Full<Bytes>>>| {
            let bytes = block_on(response.into_body().collect()).unwrap().to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let response = block_on(layer(false).call(unsigned())).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body(response), "Unsigned:query=RETURN 1");
        let response = block_on(layer(true).call(unsigned())).unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(body(response).contains("AccessDenied: "));
        let hashed = signed_post(b"query=RETURN 1").map(|b| Full::new(Bytes::from(b)));
        let response = block_on(layer(true).call(hashed)).unwrap();
        assert_eq!(body(response), "Checked:query=RETURN 1");
    }

    #[test]
    fn uses_the_injected_time() {
        let request = signed_post(b"");
        let known = creds();
        let lookup = move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone());
        let late = SigningTime::from_unix(time().unix_seconds() + 3600).unwrap();
        let mut service = SigV4Layer::new(Verifier::neptune("us-east-1", lookup).unwrap())
            .with_fixed_time(late)
            .layer(WHO);
        let response = block_on(service.call(request.map(|b| Full::new(Bytes::from(b))))).unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn layer_and_service_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<SigV4Layer<Lookup>>();
        assert_send_sync::<SigV4Service<Echo, Lookup>>();
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
