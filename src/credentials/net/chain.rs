//! The default chain, in the AWS SDKs' order.

use std::sync::Arc;

use super::container::ContainerProvider;
use super::imds::ImdsProvider;
use super::profile::ProfileProvider;
use super::sts::WebIdentityProvider;
use super::transport::HttpTransport;
use crate::credentials::cache::AsyncCachingProvider;
use crate::credentials::env::{Env, EnvironmentProvider};
use crate::credentials::provider::{
    AsyncChainProvider, CredentialsFuture, ProvideCredentialsAsync,
};

/// The AWS SDKs' default chain: environment variables, the shared profile
/// files (with SSO and roles, as [`ProfileProvider`] follows them), web
/// identity, container credentials, then EC2 instance metadata.
/// The first to find credentials wins; a hard error stops the chain.
///
/// It does not cache: use [`cached`](Self::cached).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::net::{DefaultChain, HttpTransport};
/// use sigv4::credentials::AsyncCachingProvider;
///
/// fn credentials(transport: Arc<dyn HttpTransport>) -> AsyncCachingProvider<DefaultChain> {
///     DefaultChain::new(transport).with_profile("neptune").cached()
/// }
/// ```
pub struct DefaultChain {
    transport: Arc<dyn HttpTransport>,
    env: Env,
    profile: Option<String>,
    sts_endpoint: Option<String>,
    sso_portal_endpoint: Option<String>,
    sso_oidc_endpoint: Option<String>,
    imds_endpoint: Option<String>,
    chain: AsyncChainProvider,
}

impl DefaultChain {
    /// The chain over the process environment, sending through `transport`.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        let mut chain = Self {
            transport,
            env: Env::process(),
            profile: None,
            sts_endpoint: None,
            sso_portal_endpoint: None,
            sso_oidc_endpoint: None,
            imds_endpoint: None,
            chain: AsyncChainProvider::new(),
        };
        chain.rebuild();
        chain
    }

    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self.rebuild();
        self
    }

    /// Uses `profile` instead of `AWS_PROFILE` or `default`.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self.rebuild();
        self
    }

    /// Sends STS calls to `endpoint` instead of the configured or regional
    /// endpoint.
    #[must_use]
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self.rebuild();
        self
    }

    /// Sends the SSO portal calls of SSO profiles to `endpoint` (see
    /// [`ProfileProvider::with_sso_portal_endpoint`]).
    #[must_use]
    pub fn with_sso_portal_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sso_portal_endpoint = Some(endpoint.into());
        self.rebuild();
        self
    }

    /// Sends the SSO OIDC calls of SSO profiles to `endpoint` (see
    /// [`ProfileProvider::with_sso_oidc_endpoint`]).
    #[must_use]
    pub fn with_sso_oidc_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sso_oidc_endpoint = Some(endpoint.into());
        self.rebuild();
        self
    }

    /// Sends instance metadata calls to `endpoint`.
    #[must_use]
    pub fn with_imds_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.imds_endpoint = Some(endpoint.into());
        self.rebuild();
        self
    }

    /// Wraps the chain in an [`AsyncCachingProvider`] with default settings.
    #[must_use]
    pub fn cached(self) -> AsyncCachingProvider<Self> {
        AsyncCachingProvider::new(self)
    }

    fn rebuild(&mut self) {
        let t = &self.transport;
        let mut profile = ProfileProvider::new(t.clone()).with_env(self.env.clone());
        if let Some(p) = &self.profile {
            profile = profile.with_profile(p.clone());
        }
        if let Some(e) = &self.sso_portal_endpoint {
            profile = profile.with_sso_portal_endpoint(e.clone());
        }
        if let Some(e) = &self.sso_oidc_endpoint {
            profile = profile.with_sso_oidc_endpoint(e.clone());
        }
        let mut web = WebIdentityProvider::new(t.clone()).with_env(self.env.clone());
        if let Some(e) = &self.sts_endpoint {
            profile = profile.with_sts_endpoint(e.clone());
            web = web.with_endpoint(e.clone());
        }
        let mut imds = ImdsProvider::new(t.clone()).with_env(self.env.clone());
        if let Some(e) = &self.imds_endpoint {
            imds = imds.with_endpoint(e.clone());
        }
        self.chain = AsyncChainProvider::new()
            .with(
                "environment",
                EnvironmentProvider::with_env(self.env.clone()),
            )
            .with("profile", profile)
            .with("web identity", web)
            .with(
                "container",
                ContainerProvider::new(t.clone()).with_env(self.env.clone()),
            )
            .with("instance metadata", imds);
    }
}

impl ProvideCredentialsAsync for DefaultChain {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        self.chain.provide_credentials_async()
    }
}

impl std::fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultChain")
            .field("env", &self.env)
            .field("profile", &self.profile)
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}
