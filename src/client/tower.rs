//! The tower layer that signs outgoing requests (feature `tower`): put
//! [`SignLayer`] in front of an HTTP client that is a tower service, such
//! as hyper-util's `Client`, and every request it sends is signed.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, Request};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tower_layer::Layer;
use tower_service::Service;

use super::{now, sign_head, BodyPolicy, BoxError, ClientError, ClientOptions, Plan};
use crate::clock::Clock;
use crate::credentials::ProvideCredentialsAsync;
use crate::sign::Signer;

/// The future a [`SignService`] returns.
pub type ResponseFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// A [`Layer`] that signs every request with credentials from a provider,
/// as of the time it is sent. See the [module docs](crate::client) for the
/// rules (fresh signature per send, body policy, sign host).
///
/// Credentials are asked for on every request: give it an
/// [`AsyncCachingProvider`](crate::credentials::AsyncCachingProvider)
/// (the network providers' `.cached()` is one), which answers from memory
/// and refreshes ahead of expiry, so a long-lived client survives
/// rotation. Cheap to clone: the signer, the provider and the options are
/// shared.
///
/// # Examples
///
/// With hyper-util's client (a tower service), the client's body type is
/// [`SignedBody`] over the caller's:
///
/// ```text
/// let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
///     .build_http::<SignedBody<Full<Bytes>>>();
/// let service = ServiceBuilder::new().layer(layer).service(client);
/// ```
///
/// Here the inner service only shows what it was sent:
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use sigv4::client::{SignLayer, SignedBody};
/// use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
/// use sigv4::{Credentials, Signer};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // In production: DefaultChain::new(transport).cached().
/// let source: Arc<dyn ProvideCredentialsAsync> =
///     Arc::new(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?);
/// let provider = Arc::new(AsyncCachingProvider::new(source));
/// let layer = SignLayer::new(Signer::neptune("us-east-1")?, provider);
///
/// let client = ServiceBuilder::new().layer(layer).service(tower::service_fn(
///     |request: http::Request<SignedBody<Full<Bytes>>>| async move {
///         let authorization = request.headers()["authorization"].clone();
///         Ok::<_, std::convert::Infallible>(authorization)
///     },
/// ));
/// let request = http::Request::post("https://db.example.com:8182/sparql")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(Full::new(Bytes::from_static(b"query=ASK%20%7B%7D")))?;
/// let authorization = client.oneshot(request).await?;
/// assert!(authorization.to_str()?.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
/// # Ok(()) }
/// ```
pub struct SignLayer<P: ?Sized = dyn ProvideCredentialsAsync> {
    signer: Signer,
    provider: Arc<P>,
    options: Arc<ClientOptions>,
    clock: Option<Arc<dyn Clock>>,
}

impl<P: ?Sized> Clone for SignLayer<P> {
    fn clone(&self) -> Self {
        Self {
            signer: self.signer.clone(),
            provider: Arc::clone(&self.provider),
            options: Arc::clone(&self.options),
            clock: self.clock.clone(),
        }
    }
}

impl<P: ?Sized> fmt::Debug for SignLayer<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignLayer")
            .field("signer", &self.signer)
            .field("options", &self.options)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

impl<P: ProvideCredentialsAsync + ?Sized> SignLayer<P> {
    /// A layer signing with `signer` and credentials from `provider`, with
    /// default [`ClientOptions`] (10 MiB hashed, larger bodies refused) and
    /// the system clock.
    #[must_use]
    pub fn new(signer: Signer, provider: Arc<P>) -> Self {
        Self {
            signer,
            provider,
            options: Arc::new(ClientOptions::default()),
            clock: None,
        }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = Arc::new(options);
        self
    }

    /// Replaces the body policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sigv4::client::{BodyPolicy, OverLimit, SignLayer};
    /// use sigv4::{Credentials, Signer};
    ///
    /// let provider = Arc::new(Credentials::new("AKIDEXAMPLE", "secret")?);
    /// let layer = SignLayer::new(Signer::neptune("us-east-1")?, provider).with_body_policy(
    ///     BodyPolicy::default().with_limit(1024 * 1024).with_over_limit(OverLimit::Unsigned),
    /// );
    /// assert_eq!(layer.options().body_policy().limit(), 1024 * 1024);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_body_policy(mut self, body: BodyPolicy) -> Self {
        self.options = Arc::new((*self.options).clone().with_body_policy(body));
        self
    }

    /// Signs and sends `host` instead of the URL's host (see
    /// [`ClientOptions::with_sign_host`]).
    ///
    /// # Errors
    ///
    /// As for [`ClientOptions::with_sign_host`].
    pub fn with_sign_host(mut self, host: &str) -> Result<Self, crate::InvalidInput> {
        self.options = Arc::new((*self.options).clone().with_sign_host(host)?);
        Ok(self)
    }

    /// Signs as of `clock`'s time instead of the system clock's.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The options in use.
    #[must_use]
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The signer.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

impl<S, P: ?Sized> Layer<S> for SignLayer<P> {
    type Service = SignService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        SignService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service a [`SignLayer`] wraps around `S`: it takes requests with
/// any body `B`, signs them, and calls `S` with a [`SignedBody<B>`]. The
/// response is the inner service's, untouched.
pub struct SignService<S, P: ?Sized = dyn ProvideCredentialsAsync> {
    inner: S,
    layer: SignLayer<P>,
}

impl<S: Clone, P: ?Sized> Clone for SignService<S, P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, P: ?Sized> fmt::Debug for SignService<S, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, P, B> Service<Request<B>> for SignService<S, P>
where
    S: Service<Request<SignedBody<B>>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    P: ProvideCredentialsAsync + ?Sized + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = ClientError<S::Error>;
    type Future = ResponseFuture<S::Response, ClientError<S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(ClientError::Service)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was polled ready serves this request; a fresh
        // clone stays behind for the next one.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let layer = self.layer.clone();
        Box::pin(async move {
            let request = sign(&layer, request).await.map_err(ClientError::widen)?;
            inner.call(request).await.map_err(ClientError::Service)
        })
    }
}

/// Reads the body as the policy says, fetches credentials, signs.
async fn sign<B, P>(
    layer: &SignLayer<P>,
    request: Request<B>,
) -> Result<Request<SignedBody<B>>, ClientError>
where
    P: ProvideCredentialsAsync + ?Sized,
    B: Body,
    B::Error: Into<BoxError>,
{
    let policy = layer.options.body_policy();
    let (parts, body) = request.into_parts();
    let read = if policy.always_unsigned() {
        Read::Unread { body, length: None }
    } else {
        read(body, policy.limit()).await?
    };
    let (plan, pending) = match read {
        Read::Whole { data, trailers } => (Plan::Hash, Pending::Whole { data, trailers }),
        Read::Unread { body, length } => match policy.unread(length)? {
            Plan::Refuse => {
                return Err(ClientError::BodyTooLarge {
                    limit: policy.limit(),
                    length,
                })
            }
            plan => (plan, Pending::Unread(body)),
        },
        Read::Over { prefix, rest } => match policy.unread(None)? {
            Plan::Refuse => {
                return Err(ClientError::BodyTooLarge {
                    limit: policy.limit(),
                    length: None,
                })
            }
            plan => (plan, Pending::Over { prefix, rest }),
        },
    };
    let credentials = layer.provider.provide_credentials_async().await?;
    // Read after the body and the credentials, so the signature is as
    // fresh as it can be when it leaves.
    let time = now(layer.clock.as_deref());
    let mut head = Request::from_parts(parts, ());
    let hashed = match &pending {
        Pending::Whole { data, .. } => &data[..],
        _ => &[],
    };
    let signed = sign_head(
        &layer.signer,
        &mut head,
        &layer.options,
        plan,
        hashed,
        &credentials,
        time,
    )?;
    let body = match (signed, pending) {
        (_, Pending::Whole { data, trailers }) => Kind::Whole {
            data: (!data.is_empty()).then_some(data),
            trailers,
        },
        #[cfg(feature = "streaming-body")]
        (super::Signed::Chunked(encoder), Pending::Unread(body)) => {
            Kind::Chunked(Box::new(crate::sign::AwsChunkedBody::new(body, encoder)))
        }
        (_, Pending::Unread(body)) => Kind::Stream {
            prefix: VecDeque::new(),
            rest: Box::pin(body),
        },
        (_, Pending::Over { prefix, rest }) => Kind::Stream {
            prefix: prefix.into(),
            rest,
        },
    };
    let (parts, ()) = head.into_parts();
    Ok(Request::from_parts(parts, SignedBody { kind: body }))
}

/// A body as [`read`] left it.
enum Read<B> {
    /// Read to the end, within the limit.
    Whole {
        data: Bytes,
        trailers: Option<HeaderMap>,
    },
    /// Not read: its size hint is over the limit.
    Unread { body: B, length: Option<u64> },
    /// Read past the limit: what was read, and the rest.
    Over {
        prefix: Vec<Bytes>,
        rest: Pin<Box<B>>,
    },
}

/// A body waiting for the signature.
enum Pending<B> {
    Whole {
        data: Bytes,
        trailers: Option<HeaderMap>,
    },
    Unread(B),
    Over {
        prefix: Vec<Bytes>,
        rest: Pin<Box<B>>,
    },
}

/// Reads `body` until it ends or has given more than `limit` bytes (never
/// more than that and the frame that crossed it), unless its size hint
/// already says it is longer than `limit`.
async fn read<B>(body: B, limit: usize) -> Result<Read<B>, ClientError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let limit = limit as u64;
    let hint = body.size_hint();
    if hint.lower() > limit {
        return Ok(Read::Unread {
            body,
            length: hint.exact(),
        });
    }
    let mut body = Box::pin(body);
    let mut frames = Vec::new();
    let mut total = 0u64;
    let mut trailers: Option<HeaderMap> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ClientError::Body(e.into()))?;
        match frame.into_data() {
            Ok(mut data) => {
                let data = data.copy_to_bytes(data.remaining());
                total += data.len() as u64;
                if !data.is_empty() {
                    frames.push(data);
                }
                if total > limit {
                    return Ok(Read::Over {
                        prefix: frames,
                        rest: body,
                    });
                }
            }
            Err(frame) => {
                if let Ok(more) = frame.into_trailers() {
                    trailers.get_or_insert_with(HeaderMap::new).extend(more);
                }
            }
        }
    }
    let data = match frames.len() {
        0 => Bytes::new(),
        1 => frames.pop().unwrap_or_default(),
        _ => {
            // `total` is at most `limit`, a `usize`.
            let mut joined = BytesMut::with_capacity(total as usize);
            for frame in frames {
                joined.extend_from_slice(&frame);
            }
            joined.freeze()
        }
    };
    Ok(Read::Whole { data, trailers })
}

/// The body a [`SignService`] sends: the bytes it read and hashed, the
/// caller's body streamed through (`UNSIGNED-PAYLOAD`, after what was read
/// before the limit was passed), or the caller's body framed as
/// aws-chunked.
pub struct SignedBody<B> {
    kind: Kind<B>,
}

enum Kind<B> {
    Whole {
        data: Option<Bytes>,
        trailers: Option<HeaderMap>,
    },
    Stream {
        prefix: VecDeque<Bytes>,
        rest: Pin<Box<B>>,
    },
    /// Boxed: the encoder's state is large, and most bodies are whole.
    #[cfg(feature = "streaming-body")]
    Chunked(Box<crate::sign::AwsChunkedBody<B>>),
}

impl<B> fmt::Debug for SignedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Whole { .. } => "whole",
            Kind::Stream { .. } => "stream",
            #[cfg(feature = "streaming-body")]
            Kind::Chunked(_) => "aws-chunked",
        };
        f.debug_struct("SignedBody")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl<B> Body for SignedBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Kind::Whole { data, trailers } => {
                if let Some(data) = data.take() {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Poll::Ready(trailers.take().map(|t| Ok(Frame::trailers(t))))
            }
            Kind::Stream { prefix, rest } => {
                if let Some(data) = prefix.pop_front() {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                rest.as_mut().poll_frame(cx).map(|frame| {
                    frame.map(|frame| {
                        frame
                            .map(|frame| frame.map_data(|mut d| d.copy_to_bytes(d.remaining())))
                            .map_err(Into::into)
                    })
                })
            }
            #[cfg(feature = "streaming-body")]
            Kind::Chunked(body) => Pin::new(&mut **body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Whole { data, trailers } => data.is_none() && trailers.is_none(),
            Kind::Stream { prefix, rest } => prefix.is_empty() && rest.is_end_stream(),
            #[cfg(feature = "streaming-body")]
            Kind::Chunked(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Whole { data, .. } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            Kind::Stream { prefix, rest } => {
                let read: u64 = prefix.iter().map(|d| d.len() as u64).sum();
                let rest = rest.size_hint();
                let mut hint = SizeHint::new();
                hint.set_lower(rest.lower().saturating_add(read));
                if let Some(upper) = rest.upper().and_then(|u| u.checked_add(read)) {
                    hint.set_upper(upper);
                }
                hint
            }
            #[cfg(feature = "streaming-body")]
            Kind::Chunked(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    /// A body of `n` one-byte frames with no size hint.
    struct Trickle(usize);

    impl Body for Trickle {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.0 == 0 {
                return Poll::Ready(None);
            }
            self.0 -= 1;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
        }
    }

    fn trickle(n: usize) -> Trickle {
        Trickle(n)
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(v) => v,
            Poll::Pending => unreachable!("the bodies here are always ready"),
        }
    }

    #[test]
    fn a_body_at_the_limit_is_read_one_byte_more_is_over() {
        let at = block_on(read(Full::new(Bytes::from(vec![1u8; 10])), 10)).unwrap();
        assert!(matches!(at, Read::Whole { ref data, .. } if data.len() == 10));
        let over = block_on(read(Full::new(Bytes::from(vec![1u8; 11])), 10)).unwrap();
        assert!(matches!(
            over,
            Read::Unread {
                length: Some(11),
                ..
            }
        ));

        let at = block_on(read(trickle(10), 10)).unwrap();
        assert!(matches!(at, Read::Whole { ref data, .. } if &data[..] == b"xxxxxxxxxx"));
        let over = block_on(read(trickle(11), 10)).unwrap();
        let Read::Over { prefix, rest } = over else {
            panic!("not over")
        };
        assert_eq!(prefix.len(), 11, "read up to the frame that crossed it");
        let body = SignedBody {
            kind: Kind::Stream {
                prefix: prefix.into(),
                rest,
            },
        };
        let sent = block_on(body.collect()).unwrap().to_bytes();
        assert_eq!(&sent[..], b"xxxxxxxxxxx", "nothing lost or repeated");
    }
}
