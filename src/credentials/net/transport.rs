//! The injected HTTP transport.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};

use crate::credentials::error::CredentialsError;

/// The future an [`HttpTransport`] returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send + 'a>>;

/// Sends one HTTP request and reads the whole response. Bring your own
/// client, or use `HyperTransport` (feature `credentials-hyper`).
///
/// A transport should honour a [`RequestTimeouts`] found in the request's
/// extensions: the metadata providers set short ones so a machine that is
/// not on EC2 never stalls.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::net::{HttpTransport, TransportError, TransportFuture};
///
/// /// Answers every request with 404, as if nothing were there.
/// struct Nowhere;
/// impl HttpTransport for Nowhere {
///     fn send(&self, _request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
///         Box::pin(async {
///             http::Response::builder()
///                 .status(404)
///                 .body(Vec::new())
///                 .map_err(|e| TransportError::Other { reason: e.to_string() })
///         })
///     }
/// }
/// ```
pub trait HttpTransport: Send + Sync {
    /// Sends `request`.
    ///
    /// # Errors
    ///
    /// [`TransportError`] when no response was received.
    fn send(&self, request: Request<Vec<u8>>) -> TransportFuture<'_>;
}

impl<T: HttpTransport + ?Sized> HttpTransport for &T {
    fn send(&self, request: Request<Vec<u8>>) -> TransportFuture<'_> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Box<T> {
    fn send(&self, request: Request<Vec<u8>>) -> TransportFuture<'_> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    fn send(&self, request: Request<Vec<u8>>) -> TransportFuture<'_> {
        (**self).send(request)
    }
}

/// Why a transport got no response.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::net::TransportError;
///
/// assert_eq!(TransportError::Timeout.to_string(), "timed out");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (refused, unreachable, DNS, TLS).
    Connect {
        /// What failed.
        reason: String,
    },
    /// The connection or the response took too long.
    Timeout,
    /// The response body is longer than the request's [`ResponseLimit`].
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Anything else.
    Other {
        /// What failed.
        reason: String,
    },
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect { reason } => write!(f, "cannot connect: {reason}"),
            Self::Timeout => f.write_str("timed out"),
            Self::ResponseTooLarge { limit } => {
                write!(f, "the response body is longer than {limit} bytes")
            }
            Self::Other { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for TransportError {}

/// Timeouts a provider asks for, carried in the request's extensions.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use sigv4::credentials::net::RequestTimeouts;
///
/// let mut request = http::Request::get("http://169.254.169.254/").body(Vec::<u8>::new())?;
/// request.extensions_mut().insert(RequestTimeouts::metadata());
/// assert_eq!(request.extensions().get::<RequestTimeouts>().unwrap().read, Duration::from_secs(1));
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestTimeouts {
    /// The longest wait for a connection.
    pub connect: Duration,
    /// The longest wait for the whole response once connected.
    pub read: Duration,
}

impl RequestTimeouts {
    /// Builds timeouts.
    #[must_use]
    pub fn new(connect: Duration, read: Duration) -> Self {
        Self { connect, read }
    }

    /// One second each: for metadata endpoints on the local link.
    #[must_use]
    pub fn metadata() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(1))
    }
}

/// The longest response body the providers read: credentials documents
/// are a few KiB, and a misbehaving endpoint must not make a provider read
/// without bound (the AWS SDK for Java caps `credential_process` output
/// the same way).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The most body bytes a transport should read, carried in the request's
/// extensions like [`RequestTimeouts`]: past it, a transport stops reading
/// and fails with [`TransportError::ResponseTooLarge`]. The providers set
/// [`MAX_RESPONSE_BYTES`] on every request, and check the body again
/// whatever the transport did.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::net::{ResponseLimit, MAX_RESPONSE_BYTES};
///
/// let mut request = http::Request::get("http://169.254.169.254/").body(Vec::<u8>::new())?;
/// request.extensions_mut().insert(ResponseLimit::new(MAX_RESPONSE_BYTES));
/// assert_eq!(request.extensions().get::<ResponseLimit>().unwrap().bytes, 65536);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseLimit {
    /// The most body bytes to read.
    pub bytes: usize,
}

impl ResponseLimit {
    /// A limit of `bytes`.
    #[must_use]
    pub fn new(bytes: usize) -> Self {
        Self { bytes }
    }
}

/// A response, read.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Sends through `transport` and reads the answer, at most
/// [`MAX_RESPONSE_BYTES`] of it.
pub(crate) async fn send(
    transport: &dyn HttpTransport,
    mut request: Request<Vec<u8>>,
) -> Result<Answer, TransportError> {
    let limit = MAX_RESPONSE_BYTES;
    request.extensions_mut().insert(ResponseLimit::new(limit));
    let response = transport.send(request).await?;
    if response.body().len() > limit {
        return Err(TransportError::ResponseTooLarge { limit });
    }
    let (parts, body) = response.into_parts();
    Ok(Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// A transport failure as a hard error.
pub(crate) fn transport_error(provider: &'static str, e: &TransportError) -> CredentialsError {
    CredentialsError::Transport {
        provider,
        reason: e.to_string(),
    }
}

/// Builds a request, mapping `http` errors.
pub(crate) fn build(
    builder: http::request::Builder,
    body: Vec<u8>,
    provider: &'static str,
) -> Result<Request<Vec<u8>>, CredentialsError> {
    builder
        .body(body)
        .map_err(|e| CredentialsError::InvalidConfig {
            name: format!("{provider} endpoint"),
            reason: e.to_string(),
        })
}
