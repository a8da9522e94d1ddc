//! reqwest (feature `reqwest`): [`sign_reqwest`] signs a
//! `reqwest::Request` in place with credentials at hand, and
//! [`SigV4Middleware`] does it for every request of a `reqwest-middleware`
//! client, with credentials from a provider.
//!
//! A bytes body (`body().as_bytes()` is `Some`) is hashed; a streaming
//! body cannot be hashed without reading it, so it goes as the
//! [`BodyPolicy`](super::BodyPolicy)'s [`OverLimit`](super::OverLimit)
//! says: refused (the default), `UNSIGNED-PAYLOAD`, or aws-chunked when its
//! size hint gives its length.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use super::{now, sign_head, ClientError, ClientOptions, Plan, Signed};
use crate::clock::Clock;
use crate::core::credentials::Credentials;
use crate::core::error::SigningError;
use crate::core::time::SigningTime;
use crate::credentials::ProvideCredentialsAsync;
use crate::sign::Signer;

/// Signs `request` with the `Authorization` header, as of `time`, under
/// the shared rules of [`crate::client`]: the signature's own headers
/// already on it are replaced, the body goes as `options` say, and the sign
/// host, when set, is signed and sent as `host`.
///
/// # Errors
///
/// [`ClientError::StreamingBody`] for a streaming body the policy refuses;
/// [`ClientError::UnknownLength`] for one to send as aws-chunked whose
/// length is unknown; [`ClientError::Signing`] if signing fails. On error
/// the request is unchanged.
///
/// # Examples
///
/// ```
/// use sigv4::client::{sign_reqwest, ClientOptions};
/// use sigv4::{Credentials, Signer, SigningTime};
///
/// let signer = Signer::neptune("us-east-1")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let mut request = reqwest::Request::new(
///     reqwest::Method::POST,
///     "https://db.example.com:8182/sparql".parse()?,
/// );
/// *request.body_mut() = Some(reqwest::Body::from("query=ASK%20%7B%7D"));
/// sign_reqwest(&signer, &mut request, &creds, SigningTime::parse("20150830T123600Z")?, &ClientOptions::default())?;
/// assert!(request.headers()["authorization"].to_str()?.starts_with(
///     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, SignedHeaders=host;x-amz-date, "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_reqwest(
    signer: &Signer,
    request: &mut reqwest::Request,
    credentials: &Credentials,
    time: SigningTime,
    options: &ClientOptions,
) -> Result<(), ClientError> {
    let plan = match request.body() {
        _ if options.body_policy().always_unsigned() => Plan::Unsigned,
        Some(body) if body.as_bytes().is_none() => {
            let length = http_body::Body::size_hint(body).exact();
            match options.body_policy().unread(length)? {
                Plan::Refuse => return Err(ClientError::StreamingBody),
                plan => plan,
            }
        }
        _ => Plan::Hash,
    };
    // The URI reqwest sends: it parses the URL's text the same way.
    let uri: http::Uri = request
        .url()
        .as_str()
        .parse()
        .map_err(|e: http::uri::InvalidUri| SigningError::InvalidUri {
            reason: e.to_string(),
        })?;
    let mut head = http::Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = uri;
    *head.headers_mut() = std::mem::take(request.headers_mut());
    let bytes = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let signed = sign_head(signer, &mut head, options, plan, bytes, credentials, time);
    // Signed or not, the headers go back (unchanged on error).
    *request.headers_mut() = std::mem::take(head.headers_mut());
    match signed? {
        Signed::Plain => {}
        #[cfg(feature = "streaming-body")]
        Signed::Chunked(encoder) => {
            if let Some(body) = request.body_mut().take() {
                *request.body_mut() = Some(reqwest::Body::wrap(crate::sign::AwsChunkedBody::new(
                    body, encoder,
                )));
            }
        }
    }
    Ok(())
}

/// A `reqwest-middleware` middleware that signs every request with
/// [`sign_reqwest`], with credentials from a provider, as of the time it is
/// sent.
///
/// Credentials are asked for on every request: give it an
/// [`AsyncCachingProvider`](crate::credentials::AsyncCachingProvider),
/// which answers from memory and refreshes ahead of expiry. Add it after a
/// retry middleware, so that each attempt passes through it and is signed
/// afresh. Its errors are `reqwest_middleware::Error::Middleware` holding a
/// [`ClientError`] (`err.downcast_ref::<ClientError>()` on the inner error).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::client::SigV4Middleware;
/// use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
/// use sigv4::{Credentials, Signer};
///
/// # let _ = rustls::crypto::ring::default_provider().install_default();
/// // In production: DefaultChain::new(transport).cached().
/// let source: Arc<dyn ProvideCredentialsAsync> =
///     Arc::new(Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?);
/// let provider = Arc::new(AsyncCachingProvider::new(source));
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(SigV4Middleware::new(Signer::neptune("us-east-1")?, provider))
///     .build();
/// // client.post("https://my-cluster...:8182/sparql").form(...).send().await
/// # let _ = client;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SigV4Middleware<P: ?Sized = dyn ProvideCredentialsAsync> {
    signer: Signer,
    provider: Arc<P>,
    options: ClientOptions,
    clock: Option<Arc<dyn Clock>>,
}

impl<P: ?Sized> fmt::Debug for SigV4Middleware<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Middleware")
            .field("signer", &self.signer)
            .field("options", &self.options)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

impl<P: ProvideCredentialsAsync + ?Sized> SigV4Middleware<P> {
    /// A middleware signing with `signer` and credentials from `provider`,
    /// with default [`ClientOptions`] (streaming bodies refused) and the
    /// system clock.
    #[must_use]
    pub fn new(signer: Signer, provider: Arc<P>) -> Self {
        Self {
            signer,
            provider,
            options: ClientOptions::default(),
            clock: None,
        }
    }

    /// Replaces the options.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use sigv4::client::{BodyPolicy, ClientOptions, OverLimit, SigV4Middleware};
    /// use sigv4::{Credentials, Signer};
    ///
    /// let provider = Arc::new(Credentials::new("AKIDEXAMPLE", "secret")?);
    /// let middleware = SigV4Middleware::new(Signer::neptune("us-east-1")?, provider).with_options(
    ///     ClientOptions::default().with_body_policy(BodyPolicy::default().with_over_limit(OverLimit::Unsigned)),
    /// );
    /// assert_eq!(middleware.options().body_policy().over_limit(), OverLimit::Unsigned);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
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
}

#[async_trait::async_trait]
impl<P: ProvideCredentialsAsync + ?Sized + 'static> Middleware for SigV4Middleware<P> {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let credentials = self
            .provider
            .provide_credentials_async()
            .await
            .map_err(|e| reqwest_middleware::Error::middleware(ClientError::from(e)))?;
        let time = now(self.clock.as_deref());
        sign_reqwest(
            &self.signer,
            &mut request,
            &credentials,
            time,
            &self.options,
        )
        .map_err(reqwest_middleware::Error::middleware)?;
        next.run(request, extensions).await
    }
}
