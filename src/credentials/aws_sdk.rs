//! The AWS SDK's credentials providers (`aws-credential-types`) as ours
//! (feature `aws-sdk-adapter`), so `aws-config`'s default chain plugs in.

use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError as SdkError;
use aws_credential_types::provider::ProvideCredentials as SdkProvideCredentials;

use super::cache::{AsyncCachingProvider, CacheSettings};
use super::error::CredentialsError;
use super::provider::{CredentialsFuture, ProvideCredentialsAsync};
use super::Credentials;
use crate::clock::{Clock, SystemClock};

const PROVIDER: &str = "the aws sdk provider";

/// An AWS SDK credentials provider seen as a [`ProvideCredentialsAsync`].
///
/// It is only ever built wrapped in our cache ([`cached`](Self::cached)),
/// because the SDK's chains do not cache by themselves. The SDK's
/// `CredentialsNotLoaded` becomes [`CredentialsError::NotFound`]; its other
/// errors become [`CredentialsError::External`].
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{AwsSdkProvider, ProvideCredentialsAsync};
///
/// // Any `aws_credential_types::provider::ProvideCredentials`, such as
/// // `aws_config::load_defaults(..).await.credentials_provider()`.
/// let sdk = aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "example");
/// let provider = AwsSdkProvider::cached(sdk);
/// let _future = provider.provide_credentials_async();
/// ```
#[derive(Debug)]
pub struct AwsSdkProvider<P>(P);

impl<P: SdkProvideCredentials> AwsSdkProvider<P> {
    /// Wraps `provider` in an [`AsyncCachingProvider`] with default settings.
    pub fn cached(provider: P) -> AsyncCachingProvider<Self> {
        Self::cached_with(provider, CacheSettings::default(), Arc::new(SystemClock))
    }

    /// Wraps `provider` in an [`AsyncCachingProvider`] with the given
    /// settings and clock.
    pub fn cached_with(
        provider: P,
        settings: CacheSettings,
        clock: Arc<dyn Clock>,
    ) -> AsyncCachingProvider<Self> {
        AsyncCachingProvider::with_settings(Self(provider), settings, clock)
    }

    /// The SDK provider.
    pub fn sdk_provider(&self) -> &P {
        &self.0
    }
}

impl<P: SdkProvideCredentials> ProvideCredentialsAsync for AwsSdkProvider<P> {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let sdk = self
                .0
                .provide_credentials()
                .await
                .map_err(|e| convert_error(&e))?;
            convert(&sdk)
        })
    }
}

fn convert(sdk: &aws_credential_types::Credentials) -> Result<Credentials, CredentialsError> {
    let invalid = |source| CredentialsError::InvalidCredentials {
        provider: PROVIDER,
        source,
    };
    let mut creds =
        Credentials::new(sdk.access_key_id(), sdk.secret_access_key()).map_err(invalid)?;
    if let Some(token) = sdk.session_token() {
        creds = creds.with_session_token(token).map_err(invalid)?;
    }
    if let Some(expiry) = sdk.expiry() {
        creds = creds.with_expiry(expiry);
    }
    Ok(creds)
}

fn convert_error(e: &SdkError) -> CredentialsError {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    match e {
        SdkError::CredentialsNotLoaded(_) => CredentialsError::not_found(PROVIDER, reason),
        _ => CredentialsError::External {
            provider: PROVIDER,
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_errors() {
        assert!(convert_error(&SdkError::not_loaded("no env")).is_not_found());
        let e = convert_error(&SdkError::provider_error("sts said no"));
        assert!(matches!(e, CredentialsError::External { .. }));
        assert!(e.to_string().contains("sts said no"), "{e}");
    }
}
