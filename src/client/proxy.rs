//! A signing reverse proxy as a tower service (feature `proxy`):
//! [`SigningProxy`] takes the requests a local server receives, from tools
//! that cannot sign, and forwards each one to a single upstream (a Neptune
//! cluster, any AWS HTTP service), signed by a [`SignLayer`]. `sigv4
//! proxy` is a thin shell over it; another program mounts the same service
//! in its own hyper or axum server.
//!
//! What it does to a request, in order:
//!
//! - **Hop-by-hop headers are dropped** (RFC 9110 §7.6.1): those the
//!   `Connection` header lists, `Connection`, `Keep-Alive`, `TE`,
//!   `Trailer`, `Transfer-Encoding` (hyper frames the forwarded body
//!   itself), `Upgrade` and every `Proxy-*`. `Expect` goes too: the local
//!   server answers `100-continue` itself when the body is first read.
//! - **`host` is the upstream's** (or the layer's sign host), and the
//!   request goes to the upstream's scheme and authority with the client's
//!   path and query.
//! - **Signed by the layer**: the signature's own headers from the client
//!   (`authorization`, `x-amz-date`, `x-amz-security-token`,
//!   `x-amz-content-sha256`) are replaced; the body follows the layer's
//!   [`BodyPolicy`](super::BodyPolicy) (hashed up to a limit, or
//!   [`BodyPolicy::unsigned`](super::BodyPolicy::unsigned) to stream).
//!
//! The upstream's response comes back as it was sent (status, headers but
//! the hop-by-hop ones, body streamed), errors included: Neptune's 403
//! reaches the client. The proxy's own failures are answered with a short
//! JSON body, `{"error":"<code>","message":"<what went wrong>"}`, and
//! reported to the [`on_failure`](ProxyBuilder::on_failure) hook; no
//! message carries a secret:
//!
//! | failure | status | `error` |
//! | --- | --- | --- |
//! | body over the limit (never sent upstream) | 413 | `body_too_large` |
//! | length needed but unknown (aws-chunked policy) | 411 | `length_required` |
//! | the client's body failed while read | 400 | `bad_request_body` |
//! | `CONNECT` | 405 | `method_not_allowed` |
//! | no credentials | 502 | `credentials` |
//! | signing failed | 502 | `signing` |
//! | upstream unreachable | 502 | `upstream_unreachable` |
//! | upstream exchange failed | 502 | `upstream_failed` |
//! | WebSocket asked for, no upgrade from the server | 502 | `upgrade_unavailable` |
//!
//! **WebSocket** handshakes (`Connection: upgrade`, `Upgrade: websocket`)
//! keep their upgrade headers; `Sec-WebSocket-*` (key, version, protocol,
//! extensions such as permessage-deflate) are relayed untouched. The
//! handshake is signed like any bodiless request. After the upstream's
//! `101`, both connections are taken over and bytes are copied both ways,
//! unframed, until either side closes. The server in front must hand over
//! upgraded connections (hyper: `serve_connection(..).with_upgrades()`).
//!
//! **Upstream connections** are pooled by hyper-util's client: at most
//! [`ProxyBuilder::DEFAULT_MAX_IDLE`] idle connections are kept (one
//! upstream, so that bounds the pool), each closed after
//! [`ProxyBuilder::DEFAULT_IDLE_TIMEOUT`] unused; both can be set. The
//! service must run inside a tokio runtime.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tower_layer::Layer;
use tower_service::Service;

use super::{BoxError, ClientError, SignLayer, SignService, SignedBody};
use crate::core::error::InvalidInput;

/// The body the proxy hands the signing layer: any server's request body.
type Outgoing = UnsyncBoxBody<Bytes, BoxError>;
/// hyper-util's client under the signing layer.
type Upstream<C> = SignService<Client<C, SignedBody<Outgoing>>>;
/// What the proxy calls with each failure.
type FailureHook = Arc<dyn Fn(&ProxyFailure) + Send + Sync>;

/// The signing proxy: a tower [`Service`] from any server's requests (a
/// body of [`Bytes`]: hyper's `Incoming`, axum's `Body`) to responses with
/// a [`ProxyBody`]. It never fails as a service: its own failures are
/// responses (see the [module docs](self)). Cheap to clone.
///
/// # Examples
///
/// Mounted in a hyper server (with upgrades, for WebSockets):
///
/// ```no_run
/// use std::sync::Arc;
/// use hyper_util::rt::TokioIo;
/// use tower::Service;
/// use sigv4::client::proxy::SigningProxy;
/// use sigv4::client::{BodyPolicy, SignLayer};
/// use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
/// use sigv4::{Credentials, Signer};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // In production: DefaultChain::new(transport).cached().
/// let source: Arc<dyn ProvideCredentialsAsync> =
///     Arc::new(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?);
/// let provider: Arc<dyn ProvideCredentialsAsync> = Arc::new(AsyncCachingProvider::new(source));
/// let layer = SignLayer::new(Signer::neptune("us-east-1")?, provider)
///     .with_body_policy(BodyPolicy::default());
/// let proxy = SigningProxy::builder("http://127.0.0.1:8182", layer)?
///     .on_failure(|failure| eprintln!("proxy: {failure}"))
///     .build_http();
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (stream, _) = listener.accept().await?;
///     let proxy = proxy.clone();
///     let service = hyper::service::service_fn(move |request| proxy.clone().call(request));
///     tokio::spawn(
///         hyper::server::conn::http1::Builder::new()
///             .serve_connection(TokioIo::new(stream), service)
///             .with_upgrades(),
///     );
/// }
/// # }
/// ```
pub struct SigningProxy<C = HttpConnector> {
    shared: Arc<Shared<C>>,
}

struct Shared<C> {
    upstream: Target,
    service: Upstream<C>,
    on_failure: Option<FailureHook>,
}

impl<C> Clone for SigningProxy<C> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C> fmt::Debug for SigningProxy<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningProxy")
            .field("upstream", &self.shared.upstream.base)
            .finish_non_exhaustive()
    }
}

impl SigningProxy {
    /// A builder for a proxy to `upstream` (`http://host:port` or
    /// `https://host:port`, no path), signing with `layer` (whose
    /// provider is an `Arc<dyn ProvideCredentialsAsync>`).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Endpoint`] for anything but an `http` or `https`
    /// URL with a host, and no user info, path (but `/`) or query.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sigv4::client::proxy::SigningProxy;
    /// use sigv4::client::SignLayer;
    /// use sigv4::credentials::ProvideCredentialsAsync;
    /// use sigv4::{Credentials, Signer};
    ///
    /// let provider: Arc<dyn ProvideCredentialsAsync> = Arc::new(Credentials::new("AKID", "secret")?);
    /// let layer = SignLayer::new(Signer::neptune("us-east-1")?, provider);
    /// assert!(SigningProxy::builder("https://db.example.com:8182", layer.clone()).is_ok());
    /// assert!(SigningProxy::builder("https://db.example.com:8182/sparql", layer.clone()).is_err());
    /// assert!(SigningProxy::builder("ftp://db.example.com", layer).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(upstream: &str, layer: SignLayer) -> Result<ProxyBuilder, InvalidInput> {
        Ok(ProxyBuilder {
            upstream: Target::parse(upstream)?,
            layer,
            max_idle: ProxyBuilder::DEFAULT_MAX_IDLE,
            idle_timeout: ProxyBuilder::DEFAULT_IDLE_TIMEOUT,
            on_failure: None,
        })
    }
}

/// How a [`SigningProxy`] is made: the upstream, the signing layer, the
/// pool of upstream connections, the failure hook.
pub struct ProxyBuilder {
    upstream: Target,
    layer: SignLayer,
    max_idle: usize,
    idle_timeout: Duration,
    on_failure: Option<FailureHook>,
}

impl fmt::Debug for ProxyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyBuilder")
            .field("upstream", &self.upstream.base)
            .field("layer", &self.layer)
            .field("max_idle", &self.max_idle)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl ProxyBuilder {
    /// Idle upstream connections kept by default: 64 (as many as the
    /// concurrent clients a busy notebook or load test brings).
    pub const DEFAULT_MAX_IDLE: usize = 64;
    /// How long an idle upstream connection is kept by default: 30 s
    /// (shorter than the usual load balancer's 60 s, so the proxy closes
    /// first rather than reuse a connection the other side is closing).
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

    /// Keeps at most `connections` idle upstream connections (0: none,
    /// each request opens its own).
    #[must_use]
    pub fn with_max_idle(mut self, connections: usize) -> Self {
        self.max_idle = connections;
        self
    }

    /// Closes an idle upstream connection after `timeout`.
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Calls `hook` with every failure of the proxy's own (those answered
    /// with the JSON body), for a log line. Its `Display` is one line,
    /// without the query string or any header.
    #[must_use]
    pub fn on_failure(mut self, hook: impl Fn(&ProxyFailure) + Send + Sync + 'static) -> Self {
        self.on_failure = Some(Arc::new(hook));
        self
    }

    /// The proxy over hyper-util's plain `HttpConnector`: for an `http://`
    /// upstream (an `https://` one fails every request with a 502; use
    /// [`build`](Self::build) with a TLS connector).
    #[must_use]
    pub fn build_http(self) -> SigningProxy<HttpConnector> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        self.build(connector)
    }

    /// The proxy over `connector`, such as hyper-rustls' `HttpsConnector`
    /// (whose server name may be the sign host's, for a tunnel).
    #[must_use]
    pub fn build<C>(self, connector: C) -> SigningProxy<C>
    where
        C: Connect + Clone + Send + Sync + 'static,
    {
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(self.max_idle)
            .pool_idle_timeout(self.idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        SigningProxy {
            shared: Arc::new(Shared {
                upstream: self.upstream,
                service: self.layer.layer(client),
                on_failure: self.on_failure,
            }),
        }
    }
}

impl<C, B> Service<Request<B>> for SigningProxy<C>
where
    C: Connect + Clone + Send + Sync + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // hyper-util's client is always ready; requests wait for a
        // connection inside their own future.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let response = match shared.forward(request).await {
                Ok(response) => response,
                Err((status, error, message)) => {
                    let failure = ProxyFailure {
                        status,
                        error,
                        message,
                        method,
                        path,
                    };
                    if let Some(hook) = &shared.on_failure {
                        hook(&failure);
                    }
                    failure.response()
                }
            };
            Ok(response)
        })
    }
}

/// A failure as [`Shared::forward`] gives it: status, code, message.
type Refusal = (StatusCode, &'static str, String);

impl<C> Shared<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    async fn forward<B>(&self, request: Request<B>) -> Result<Response<ProxyBody>, Refusal>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        if parts.method == Method::CONNECT {
            return Err((
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "the proxy forwards requests to its upstream; it does not tunnel CONNECT".into(),
            ));
        }
        let websocket = websocket_upgrade(&parts.headers);
        let client_upgrade = match websocket {
            Some(_) => Some(parts.extensions.remove::<OnUpgrade>().ok_or((
                StatusCode::BAD_GATEWAY,
                "upgrade_unavailable",
                "the server in front of the proxy does not hand over upgraded connections".into(),
            ))?),
            None => None,
        };
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.remove(header::EXPECT);
        // The signer signs (and adds) the upstream's host, or the layer's
        // sign host replaces it.
        parts.headers.remove(header::HOST);
        if let Some(upgrade) = &websocket {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(header::UPGRADE, upgrade.clone());
        }
        let uri = self.upstream.uri_for(&parts.uri).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("cannot forward this request target: {e}"),
            )
        })?;
        let mut outgoing = Request::new(body.map_err(Into::into).boxed_unsync());
        *outgoing.method_mut() = parts.method;
        *outgoing.uri_mut() = uri;
        *outgoing.version_mut() = Version::HTTP_11;
        *outgoing.headers_mut() = parts.headers;

        let mut service = self.service.clone();
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(refusal)?;
        let response = service.call(outgoing).await.map_err(refusal)?;

        let (mut parts, body) = response.into_parts();
        let switched = parts.status == StatusCode::SWITCHING_PROTOCOLS;
        let upgrade = parts.headers.get(header::UPGRADE).cloned();
        strip_hop_by_hop(&mut parts.headers);
        if switched {
            let (Some(client), Some(upgrade)) = (client_upgrade, upgrade) else {
                return Err((
                    StatusCode::BAD_GATEWAY,
                    "upstream_failed",
                    "the upstream switched protocols without a WebSocket upgrade asked for".into(),
                ));
            };
            let upstream = parts.extensions.remove::<OnUpgrade>().ok_or((
                StatusCode::BAD_GATEWAY,
                "upstream_failed",
                "the upstream connection cannot be taken over after its 101".into(),
            ))?;
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(header::UPGRADE, upgrade);
            tokio::spawn(relay(client, upstream));
        }
        let mut response = Response::new(ProxyBody::upstream(body));
        *response.status_mut() = parts.status;
        *response.headers_mut() = parts.headers;
        Ok(response)
    }
}

/// Copies bytes both ways between the two upgraded connections until
/// either side closes (or fails: nobody is left to tell).
async fn relay(client: OnUpgrade, upstream: OnUpgrade) {
    let (Ok(client), Ok(upstream)) = (client.await, upstream.await) else {
        return;
    };
    let mut client = TokioIo::new(client);
    let mut upstream = TokioIo::new(upstream);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The failure for what the signing layer or the client said.
fn refusal(error: ClientError<hyper_util::client::legacy::Error>) -> Refusal {
    let message = error.to_string();
    match error {
        ClientError::BodyTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", message)
        }
        ClientError::UnknownLength { .. } => {
            (StatusCode::LENGTH_REQUIRED, "length_required", message)
        }
        ClientError::Body(_) => (StatusCode::BAD_REQUEST, "bad_request_body", message),
        ClientError::Credentials(_) => (StatusCode::BAD_GATEWAY, "credentials", message),
        ClientError::Service(e) if e.is_connect() => (
            StatusCode::BAD_GATEWAY,
            "upstream_unreachable",
            format!("cannot reach the upstream: {}", chain(&e)),
        ),
        ClientError::Service(e) => (
            StatusCode::BAD_GATEWAY,
            "upstream_failed",
            format!("the exchange with the upstream failed: {}", chain(&e)),
        ),
        _ => (StatusCode::BAD_GATEWAY, "signing", message),
    }
}

/// `error` and its sources, joined: hyper-util's own message says only
/// "client error (Connect)".
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let more = e.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = e.source();
    }
    text
}

/// The upgrade protocol of a WebSocket handshake (`Connection: upgrade`
/// and `Upgrade: websocket`), or `None`.
fn websocket_upgrade(headers: &HeaderMap) -> Option<HeaderValue> {
    let lists = |name: HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    (lists(header::CONNECTION, "upgrade") && lists(header::UPGRADE, "websocket"))
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// The hop-by-hop headers, always dropped (besides those `Connection`
/// lists and every `proxy-*`).
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Drops the hop-by-hop headers (RFC 9110 §7.6.1).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for name in listed.into_iter().chain(HOP_BY_HOP) {
        headers.remove(name);
    }
    let proxy: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy {
        headers.remove(name);
    }
}

/// The upstream: scheme and authority.
struct Target {
    base: String,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
}

impl Target {
    fn parse(url: &str) -> Result<Self, InvalidInput> {
        let bad = || InvalidInput::Endpoint {
            value: url.chars().take(128).collect(),
        };
        let uri: Uri = url.parse().map_err(|_| bad())?;
        let parts = uri.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(bad());
        };
        let path = parts.path_and_query.as_ref().map_or("/", |p| p.as_str());
        let web = scheme == http::uri::Scheme::HTTP || scheme == http::uri::Scheme::HTTPS;
        if !web || authority.host().is_empty() || authority.as_str().contains('@') || path != "/" {
            return Err(bad());
        }
        Ok(Self {
            base: format!("{scheme}://{authority}"),
            scheme,
            authority,
        })
    }

    /// The upstream URI for a request target (origin-form, or absolute
    /// from a client that takes us for a forward proxy: its path and query
    /// are kept either way).
    fn uri_for(&self, target: &Uri) -> Result<Uri, http::Error> {
        let path = target
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
    }
}

/// One failure of the proxy's own, as the [`on_failure`] hook sees it
/// and the client gets it (the JSON body).
///
/// [`on_failure`]: ProxyBuilder::on_failure
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProxyFailure {
    /// The status answered.
    pub status: StatusCode,
    /// A short code, such as `upstream_unreachable` (see the [module
    /// docs](self)).
    pub error: &'static str,
    /// What went wrong, in a sentence; never a secret or a header value.
    pub message: String,
    /// The request's method.
    pub method: Method,
    /// The request's path (without its query, which may carry anything).
    pub path: String,
}

impl ProxyFailure {
    /// The response: the status, `content-type: application/json` and
    /// `{"error":...,"message":...}`.
    fn response(&self) -> Response<ProxyBody> {
        let body = serde_json::json!({"error": self.error, "message": self.message}).to_string();
        let mut response = Response::new(ProxyBody::local(Bytes::from(body)));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.replace(['\r', '\n'], " ");
        write!(
            f,
            "{} {} {}: {}",
            self.status.as_u16(),
            self.method,
            self.path,
            message
        )
    }
}

/// A [`SigningProxy`] response's body: the upstream's, streamed as it
/// arrives, or the proxy's own JSON.
pub struct ProxyBody {
    kind: Kind,
}

enum Kind {
    Upstream(Incoming),
    Local(Option<Bytes>),
}

impl ProxyBody {
    fn upstream(body: Incoming) -> Self {
        Self {
            kind: Kind::Upstream(body),
        }
    }

    fn local(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Local(Some(bytes)),
        }
    }
}

impl fmt::Debug for ProxyBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Upstream(_) => "upstream",
            Kind::Local(_) => "local",
        };
        f.debug_struct("ProxyBody")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut self.get_mut().kind {
            Kind::Upstream(body) => Pin::new(body).poll_frame(cx),
            Kind::Local(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Upstream(body) => body.is_end_stream(),
            Kind::Local(bytes) => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Upstream(body) => body.size_hint(),
            Kind::Local(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_dropped_and_end_to_end_kept() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, X-Hop"),
            ("connection", "close"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic abc"),
            ("proxy-connection", "keep-alive"),
            ("content-type", "text/plain"),
            ("x-end", "2"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        strip_hop_by_hop(&mut headers);
        let mut left: Vec<_> = headers.keys().map(|n| n.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "x-end"]);
    }

    #[test]
    fn websocket_handshakes_are_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert("upgrade", HeaderValue::from_static("WebSocket"));
        assert_eq!(websocket_upgrade(&headers).unwrap(), "WebSocket");
        headers.insert("upgrade", HeaderValue::from_static("h2c"));
        assert!(websocket_upgrade(&headers).is_none());
        headers.remove("connection");
        headers.insert("upgrade", HeaderValue::from_static("websocket"));
        assert!(websocket_upgrade(&headers).is_none());
    }

    #[test]
    fn upstreams_are_scheme_and_authority() {
        let target = Target::parse("https://db.example.com:8182").unwrap();
        let uri = target
            .uri_for(&"http://elsewhere/sparql?query=x".parse().unwrap())
            .unwrap();
        assert_eq!(uri, "https://db.example.com:8182/sparql?query=x");
        let uri = target.uri_for(&"/status".parse().unwrap()).unwrap();
        assert_eq!(uri, "https://db.example.com:8182/status");
        assert!(Target::parse("http://127.0.0.1:8182/").is_ok());
        for bad in [
            "db.example.com:8182",
            "ws://db.example.com",
            "http://u@db.example.com",
            "http://db.example.com/base",
            "http://db.example.com/?q",
            "",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn failures_are_short_json_and_one_line() {
        let failure = ProxyFailure {
            status: StatusCode::BAD_GATEWAY,
            error: "upstream_unreachable",
            message: "cannot reach the upstream:\n\"refused\"".into(),
            method: Method::POST,
            path: "/sparql".into(),
        };
        assert_eq!(
            failure.to_string(),
            "502 POST /sparql: cannot reach the upstream: \"refused\""
        );
        let response = failure.response();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(response.headers()["content-type"], "application/json");
        let Kind::Local(Some(body)) = &response.body().kind else {
            panic!("not local")
        };
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(json["error"], "upstream_unreachable");
        assert_eq!(json["message"], "cannot reach the upstream:\n\"refused\"");
    }
}
