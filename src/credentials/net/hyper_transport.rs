//! The ready-made transport (feature `credentials-hyper`): hyper's client
//! with rustls on the `ring` crypto provider and the system's trust store,
//! on tokio.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::transport::{
    HttpTransport, RequestTimeouts, ResponseLimit, TransportError, TransportFuture,
};

type Body = Full<Cursor<Vec<u8>>>;

/// An [`HttpTransport`] over hyper and rustls (`ring` provider, the
/// system's root certificates). Needs a tokio runtime with I/O and time
/// enabled. Cheap to clone; clones share the connection pool.
///
/// Connections time out after 1 s by default; responses after 10 s, or
/// after the [`RequestTimeouts`] a request carries (1 s for metadata
/// endpoints).
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use sigv4::credentials::net::{DefaultChain, HyperTransport};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = Arc::new(HyperTransport::new()?);
/// let credentials = DefaultChain::new(transport).cached();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    connector: HttpsConnector<HttpConnector>,
    client: Client<HttpsConnector<HttpConnector>, Body>,
    read_timeout: Duration,
    connect_timeout: Duration,
}

impl HyperTransport {
    /// A transport with a 1 s connect timeout and a 10 s read timeout.
    ///
    /// # Errors
    ///
    /// [`TransportError::Other`] if the system's root certificates cannot
    /// be loaded.
    pub fn new() -> Result<Self, TransportError> {
        Self::with_timeouts(Duration::from_secs(1), Duration::from_secs(10))
    }

    /// A transport with the given default timeouts.
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub fn with_timeouts(connect: Duration, read: Duration) -> Result<Self, TransportError> {
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| TransportError::Other {
                reason: format!("cannot load the system's root certificates: {e}"),
            })?;
        Ok(Self::from_builder(builder, connect, read))
    }

    /// A transport with the given default timeouts that makes TLS
    /// connections with `tls` (its roots, or its own certificate checks;
    /// ALPN is left as the config sets it).
    #[must_use]
    pub fn with_tls_config(tls: rustls::ClientConfig, connect: Duration, read: Duration) -> Self {
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        Self::from_builder(builder, connect, read)
    }

    fn from_builder(
        builder: hyper_rustls::HttpsConnectorBuilder<hyper_rustls::builderstates::WantsSchemes>,
        connect: Duration,
        read: Duration,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect));
        let https = builder.https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https.clone());
        Self {
            connector: https,
            client,
            read_timeout: read,
            connect_timeout: connect,
        }
    }
}

impl HyperTransport {
    /// Sends a request whose body streams (an upload from a file, an
    /// [`AwsChunkedBody`](crate::AwsChunkedBody)), and reads the response
    /// whole. Only the connection is timed: an upload takes as long as it
    /// takes.
    ///
    /// # Errors
    ///
    /// [`TransportError::Connect`] when no connection could be made;
    /// [`TransportError::Other`] when the exchange failed, or the request
    /// body did.
    pub async fn send_streaming<B>(
        &self,
        request: http::Request<B>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>
    where
        B: http_body::Body + Send + Unpin + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let client: Client<_, B> =
            Client::builder(TokioExecutor::new()).build(self.connector.clone());
        let response = client.request(request).await.map_err(exchange_error)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| TransportError::Other {
            reason: format!("cannot read the response body: {e}"),
        })?;
        Ok(http::Response::from_parts(parts, body.to_bytes().to_vec()))
    }
}

impl HttpTransport for HyperTransport {
    fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
        let timeouts = request.extensions().get::<RequestTimeouts>().copied();
        let (connect, read) = timeouts.map_or((self.connect_timeout, self.read_timeout), |t| {
            (t.connect, t.read)
        });
        let limit = request.extensions().get::<ResponseLimit>().map(|l| l.bytes);
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Cursor::new(body)));
        Box::pin(async move {
            let exchange = async {
                let response = self.client.request(request).await.map_err(exchange_error)?;
                let (parts, body) = response.into_parts();
                let limit = limit.unwrap_or(usize::MAX);
                let body = Limited::new(body, limit).collect().await.map_err(|e| {
                    if e.downcast_ref::<LengthLimitError>().is_some() {
                        TransportError::ResponseTooLarge { limit }
                    } else {
                        TransportError::Other {
                            reason: format!("cannot read the response body: {e}"),
                        }
                    }
                })?;
                Ok(http::Response::from_parts(parts, body.to_bytes().to_vec()))
            };
            tokio::time::timeout(connect + read, exchange)
                .await
                .map_err(|_| TransportError::Timeout)?
        })
    }
}

/// A failed exchange: no connection, or anything after it.
fn exchange_error(e: hyper_util::client::legacy::Error) -> TransportError {
    if e.is_connect() {
        TransportError::Connect {
            reason: error_chain(&e),
        }
    } else {
        TransportError::Other {
            reason: error_chain(&e),
        }
    }
}

/// An error and its sources, joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}
