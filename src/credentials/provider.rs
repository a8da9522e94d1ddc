//! The provider traits, chains of providers, and signing straight from a
//! provider.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Request;

use super::error::{CredentialsError, SignFromProviderError};
use super::Credentials;
use crate::core::signature::Signature;
use crate::core::time::SigningTime;
use crate::sign::Signer;

/// The future returned by [`ProvideCredentialsAsync`]: boxed, `Send`, and
/// tied to no runtime.
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// Finds credentials without blocking on the network: static keys, the
/// environment, profile files, a `credential_process`.
///
/// Answer `Ok` with credentials, [`CredentialsError::NotFound`] for "not
/// here" (a chain moves on), or another error (a chain stops). Every
/// `ProvideCredentials` is also a [`ProvideCredentialsAsync`].
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{CredentialsError, ProvideCredentials};
/// use sigv4::Credentials;
///
/// struct FromVault;
/// impl ProvideCredentials for FromVault {
///     fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
///         Credentials::new("AKIDEXAMPLE", "secret")
///             .map_err(|source| CredentialsError::InvalidCredentials { provider: "vault", source })
///     }
/// }
///
/// let boxed: Box<dyn ProvideCredentials> = Box::new(FromVault);
/// assert_eq!(boxed.provide_credentials()?.access_key_id(), "AKIDEXAMPLE");
/// # Ok::<(), CredentialsError>(())
/// ```
pub trait ProvideCredentials: Send + Sync {
    /// Looks for credentials.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::NotFound`] when there are none here; another
    /// [`CredentialsError`] when they are configured but broken.
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError>;
}

/// Finds credentials asynchronously (instance metadata, containers, STS).
/// Needs no particular runtime: it returns a boxed future.
///
/// Implemented for every [`ProvideCredentials`] (as a ready future) and for
/// `&dyn`, `Box<dyn>` and `Arc<dyn ProvideCredentialsAsync>`.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{CredentialsFuture, ProvideCredentialsAsync};
/// use sigv4::Credentials;
///
/// struct Slow(Credentials);
/// impl ProvideCredentialsAsync for Slow {
///     fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
///         Box::pin(async move { Ok(self.0.clone()) })
///     }
/// }
///
/// // Static credentials are a synchronous provider, hence an async one too.
/// let creds = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let providers: Vec<Box<dyn ProvideCredentialsAsync>> =
///     vec![Box::new(Slow(creds.clone())), Box::new(creds)];
/// assert_eq!(providers.len(), 2);
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
pub trait ProvideCredentialsAsync: Send + Sync {
    /// Looks for credentials.
    ///
    /// # Errors
    ///
    /// As for [`ProvideCredentials::provide_credentials`].
    fn provide_credentials_async(&self) -> CredentialsFuture<'_>;
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentialsAsync for T {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        let result = self.provide_credentials();
        Box::pin(std::future::ready(result))
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for &T {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide_credentials()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Box<T> {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide_credentials()
    }
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        (**self).provide_credentials()
    }
}

// Generic `&T`, `Box<T>` and `Arc<T>` impls for async-only providers would
// overlap the blanket impl above; the `dyn` forms do not.
impl ProvideCredentialsAsync for &dyn ProvideCredentialsAsync {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).provide_credentials_async()
    }
}

impl ProvideCredentialsAsync for Box<dyn ProvideCredentialsAsync> {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).provide_credentials_async()
    }
}

impl ProvideCredentialsAsync for Arc<dyn ProvideCredentialsAsync> {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        (**self).provide_credentials_async()
    }
}

/// Static credentials are their own provider.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }
}

/// Fetches credentials from `provider` and signs `request` with the
/// `Authorization` header, like [`Signer::sign`].
///
/// # Errors
///
/// [`SignFromProviderError::Credentials`] if the provider has none;
/// [`SignFromProviderError::Signing`] if signing fails (including
/// credentials that have expired at `time`). On error the request is
/// unchanged.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::sign_with_provider;
/// use sigv4::{Credentials, Signer, SigningTime};
///
/// let signer = Signer::neptune("us-east-1")?;
/// let provider = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let mut request = http::Request::get("https://db.example.com:8182/status").body(Vec::new())?;
/// sign_with_provider(&signer, &mut request, &provider, SigningTime::parse("20150830T123600Z")?)?;
/// assert!(request.headers().contains_key("authorization"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_with_provider<B: AsRef<[u8]>, P: ProvideCredentials + ?Sized>(
    signer: &Signer,
    request: &mut Request<B>,
    provider: &P,
    time: SigningTime,
) -> Result<Signature, SignFromProviderError> {
    let credentials = provider.provide_credentials()?;
    Ok(signer.sign(request, &credentials, time)?)
}

/// The async form of [`sign_with_provider`].
///
/// # Errors
///
/// As for [`sign_with_provider`].
///
/// # Examples
///
/// ```
/// use sigv4::credentials::sign_with_provider_async;
/// use sigv4::{Credentials, Signer, SigningTime};
///
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let waker = std::task::Waker::noop();
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(&waker)) {
/// #         std::task::Poll::Ready(v) => v,
/// #         std::task::Poll::Pending => unreachable!(),
/// #     }
/// # }
/// let signer = Signer::neptune("us-east-1")?;
/// let provider = Credentials::new("AKIDEXAMPLE", "secret")?;
/// let mut request = http::Request::get("https://db.example.com:8182/status").body(Vec::new())?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// block_on(sign_with_provider_async(&signer, &mut request, &provider, time))?;
/// assert!(request.headers().contains_key("authorization"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn sign_with_provider_async<B: AsRef<[u8]>, P: ProvideCredentialsAsync + ?Sized>(
    signer: &Signer,
    request: &mut Request<B>,
    provider: &P,
    time: SigningTime,
) -> Result<Signature, SignFromProviderError> {
    let credentials = provider.provide_credentials_async().await?;
    Ok(signer.sign(request, &credentials, time)?)
}

/// Tries synchronous providers in order: the first credentials win, a
/// [`NotFound`](CredentialsError::NotFound) moves on, any other error stops.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{ChainProvider, Env, EnvironmentProvider, ProvideCredentials};
/// use sigv4::Credentials;
///
/// let chain = ChainProvider::new()
///     .with("environment", EnvironmentProvider::with_env(Env::from_pairs([("HOME", "/nowhere")])))
///     .with("fallback", Credentials::new("AKIDEXAMPLE", "secret")?);
/// assert_eq!(chain.provide_credentials()?.access_key_id(), "AKIDEXAMPLE");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct ChainProvider {
    links: Vec<(&'static str, Box<dyn ProvideCredentials>)>,
}

impl ChainProvider {
    /// An empty chain (it answers `NotFound`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a provider, named for "not found" reports.
    #[must_use]
    pub fn with(mut self, name: &'static str, provider: impl ProvideCredentials + 'static) -> Self {
        self.links.push((name, Box::new(provider)));
        self
    }
}

impl ProvideCredentials for ChainProvider {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut reasons = Vec::new();
        for (name, link) in &self.links {
            match link.provide_credentials() {
                Err(CredentialsError::NotFound { reason, .. }) => {
                    reasons.push(format!("{name}: {reason}"));
                }
                other => return other,
            }
        }
        Err(not_found_in_chain(&reasons))
    }
}

impl fmt::Debug for ChainProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.links.iter().map(|(n, _)| *n).collect();
        f.debug_struct("ChainProvider")
            .field("links", &names)
            .finish()
    }
}

/// Tries asynchronous providers in order, like [`ChainProvider`].
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{AsyncChainProvider, ProvideCredentialsAsync};
/// use sigv4::Credentials;
///
/// let chain = AsyncChainProvider::new().with("static", Credentials::new("AKIDEXAMPLE", "secret")?);
/// let _future = chain.provide_credentials_async();
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Default)]
pub struct AsyncChainProvider {
    links: Vec<(&'static str, Box<dyn ProvideCredentialsAsync>)>,
}

impl AsyncChainProvider {
    /// An empty chain (it answers `NotFound`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a provider, named for "not found" reports.
    #[must_use]
    pub fn with(
        mut self,
        name: &'static str,
        provider: impl ProvideCredentialsAsync + 'static,
    ) -> Self {
        self.links.push((name, Box::new(provider)));
        self
    }
}

impl ProvideCredentialsAsync for AsyncChainProvider {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let mut reasons = Vec::new();
            for (name, link) in &self.links {
                match link.provide_credentials_async().await {
                    Err(CredentialsError::NotFound { reason, .. }) => {
                        reasons.push(format!("{name}: {reason}"));
                    }
                    other => return other,
                }
            }
            Err(not_found_in_chain(&reasons))
        })
    }
}

impl fmt::Debug for AsyncChainProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.links.iter().map(|(n, _)| *n).collect();
        f.debug_struct("AsyncChainProvider")
            .field("links", &names)
            .finish()
    }
}

fn not_found_in_chain(reasons: &[String]) -> CredentialsError {
    let reason = if reasons.is_empty() {
        "the chain is empty".to_owned()
    } else {
        reasons.join("; ")
    };
    CredentialsError::not_found("the chain", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Missing;
    impl ProvideCredentials for Missing {
        fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
            Err(CredentialsError::not_found("missing", "nothing"))
        }
    }

    struct Broken;
    impl ProvideCredentials for Broken {
        fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
            Err(CredentialsError::InvalidConfig {
                name: "X".into(),
                reason: "bad".into(),
            })
        }
    }

    #[test]
    fn chain_moves_on_after_not_found_and_stops_at_errors() {
        let creds = Credentials::new("AKID", "secret").unwrap();
        let chain = ChainProvider::new()
            .with("a", Missing)
            .with("b", creds.clone());
        assert_eq!(chain.provide_credentials().unwrap().access_key_id(), "AKID");
        let chain = ChainProvider::new().with("a", Broken).with("b", creds);
        assert!(matches!(
            chain.provide_credentials(),
            Err(CredentialsError::InvalidConfig { .. })
        ));
        let chain = ChainProvider::new().with("a", Missing).with("b", Missing);
        let err = chain.provide_credentials().unwrap_err();
        assert!(err.is_not_found());
        assert!(err.to_string().contains("a: nothing; b: nothing"), "{err}");
    }

    #[test]
    fn works_through_references_boxes_and_arcs() {
        fn takes_async<P: ProvideCredentialsAsync + ?Sized>(_: &P) {}
        let creds = Credentials::new("AKID", "secret").unwrap();
        let arc: Arc<dyn ProvideCredentials> = Arc::new(creds.clone());
        let boxed: Box<dyn ProvideCredentials> = Box::new(creds.clone());
        let async_arc: Arc<dyn ProvideCredentialsAsync> = Arc::new(creds.clone());
        takes_async(&arc);
        takes_async(&boxed);
        takes_async(&&creds);
        takes_async(&async_arc);
        takes_async(&*async_arc);
        assert!(arc.provide_credentials().is_ok());
    }
}
