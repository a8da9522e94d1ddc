//! Profiles that need the network: `role_arn` (through STS), with
//! `source_profile`, `credential_source` or `web_identity_token_file`, and
//! AWS IAM Identity Center (`sso_*`).

use std::sync::Arc;
use std::time::Duration;

use super::container::ContainerProvider;
use super::endpoint;
use super::imds::ImdsProvider;
use super::sso::{self, SsoOptions};
use super::sts::{self, RoleRequest};
use super::transport::HttpTransport;
use crate::clock::Clock;
use crate::core::scope::Region;
use crate::credentials::env::{Env, EnvironmentProvider};
use crate::credentials::error::CredentialsError;
use crate::credentials::profile::{process, BaseSource, ProfileProvider as SyncProfileProvider};
use crate::credentials::provider::{ProvideCredentials, ProvideCredentialsAsync};
use crate::credentials::Credentials;

/// Credentials from a profile of the shared files, following everything the
/// profile says: static keys, `credential_process`, AWS IAM Identity Center
/// (SSO), and `role_arn` assumed through STS from a `source_profile` (chains
/// followed, loops rejected; the source may be an SSO profile), a
/// `credential_source` (`Environment`, `Ec2InstanceMetadata`,
/// `EcsContainer`) or a `web_identity_token_file`.
///
/// # SSO
///
/// Either form the AWS CLI writes: `sso_session = NAME` with an
/// `[sso-session NAME]` section holding `sso_start_url` and `sso_region`,
/// or the legacy `sso_start_url` and `sso_region` in the profile; with
/// `sso_account_id` and `sso_role_name` in the profile. The access token is
/// the one `aws sso login` cached in `~/.aws/sso/cache`; an `sso_session`
/// token that expires within five minutes is refreshed through SSO OIDC and
/// written back to the cache, as the AWS CLI and SDKs do (legacy tokens are
/// not refreshable). Without a usable token the answer is
/// [`CredentialsError::SsoLoginRequired`], which names the `aws sso login`
/// command to run.
///
/// # STS
///
/// STS is called in the profile's `region`, else the environment's, else
/// `us-east-1` (whose regional endpoint also serves what the global
/// `sts.amazonaws.com` did). The endpoint is
/// [`with_sts_endpoint`](Self::with_sts_endpoint)'s, else the AWS SDKs'
/// configured one for the profile (`AWS_ENDPOINT_URL_STS`,
/// `AWS_ENDPOINT_URL`, the profile's `[services]` section, its
/// `endpoint_url`; `ignore_configured_endpoint_urls` turns them off), else
/// the regional one, `https://sts.{region}.amazonaws.com`.
///
/// The files are re-read on every call: wrap the provider in an
/// [`AsyncCachingProvider`](crate::credentials::AsyncCachingProvider).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::net::{HttpTransport, ProfileProvider};
///
/// fn reporting(transport: Arc<dyn HttpTransport>) -> ProfileProvider {
///     ProfileProvider::new(transport).with_profile("reporting")
/// }
/// ```
#[derive(Clone)]
pub struct ProfileProvider {
    transport: Arc<dyn HttpTransport>,
    /// The files, the profile and the process timeout: the synchronous
    /// provider's settings, which resolves the profile.
    files: SyncProfileProvider,
    sts_endpoint: Option<String>,
    sso: SsoOptions,
}

impl ProfileProvider {
    /// Reads the process environment; sends through `transport`.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        Self {
            transport,
            files: SyncProfileProvider::with_env(Env::process()),
            sts_endpoint: None,
            sso: SsoOptions::default(),
        }
    }

    /// Kills a `credential_process` that runs longer than `timeout`
    /// (default [`DEFAULT_PROCESS_TIMEOUT`](crate::credentials::DEFAULT_PROCESS_TIMEOUT),
    /// one minute). The process runs on the calling thread, so the timeout
    /// also bounds how long it holds an executor thread.
    #[must_use]
    pub fn with_process_timeout(mut self, timeout: Duration) -> Self {
        self.files = self.files.with_process_timeout(timeout);
        self
    }

    /// Reads `env` (file locations, `AWS_PROFILE`, and the environment of
    /// `credential_source`s) instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.files = self.files.with_env_replaced(env);
        self
    }

    /// Uses `profile` instead of `AWS_PROFILE` or `default`.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.files = self.files.with_profile(profile);
        self
    }

    /// Sends STS calls to `endpoint` instead of the configured or regional
    /// endpoint.
    #[must_use]
    pub fn with_sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// Sends SSO portal calls (`GetRoleCredentials`) to `endpoint` instead
    /// of `https://portal.sso.{sso_region}.amazonaws.com`.
    #[must_use]
    pub fn with_sso_portal_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sso.portal_endpoint = Some(endpoint.into());
        self
    }

    /// Sends SSO OIDC calls (`CreateToken`, which refreshes a cached token)
    /// to `endpoint` instead of `https://oidc.{sso_region}.amazonaws.com`.
    #[must_use]
    pub fn with_sso_oidc_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sso.oidc_endpoint = Some(endpoint.into());
        self
    }

    /// Reads the time from `clock` (default: the system clock) to decide
    /// whether a cached SSO token has expired or is due for a refresh.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.sso.clock = clock;
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let (set, plan) = self.files.load()?;
        let env = self.files.env().clone();
        let profile = self.files.profile_name();
        // Only a plan that calls STS needs a usable region and endpoint.
        let sts = || -> Result<(Region, String), CredentialsError> {
            let region = match set.region(&profile)? {
                Some(r) => r,
                None => sts::region_or_default(&env)?,
            };
            let endpoint = match &self.sts_endpoint {
                Some(e) => e.clone(),
                None => endpoint::sts_endpoint(&env, &set, &profile, &region)?,
            };
            Ok((region, endpoint))
        };
        let transport = &*self.transport;
        let mut creds = match plan.base {
            BaseSource::Static(c) => c,
            BaseSource::Process { command, profile } => {
                process::run(&command, &profile, self.files.process_timeout())?
            }
            BaseSource::Environment => {
                EnvironmentProvider::with_env(env.clone()).provide_credentials()?
            }
            BaseSource::Ec2InstanceMetadata => {
                ImdsProvider::new(self.transport.clone())
                    .with_env(env.clone())
                    .provide_credentials_async()
                    .await?
            }
            BaseSource::EcsContainer => {
                ContainerProvider::new(self.transport.clone())
                    .with_env(env.clone())
                    .provide_credentials_async()
                    .await?
            }
            BaseSource::WebIdentity {
                role_arn,
                token_file,
                session_name,
            } => {
                let (_, endpoint) = sts()?;
                sts::assume_role_with_web_identity(
                    transport,
                    &endpoint,
                    &role_arn,
                    session_name.as_deref(),
                    &token_file,
                )
                .await?
            }
            BaseSource::Sso(source) => {
                sso::role_credentials(transport, &env, &source, &self.sso).await?
            }
        };
        if plan.roles.is_empty() {
            return Ok(creds);
        }
        let (region, endpoint) = sts()?;
        for step in &plan.roles {
            let role = RoleRequest {
                role_arn: step.role_arn.clone(),
                session_name: step.session_name.clone(),
                external_id: step.external_id.clone(),
                duration: step.duration_seconds.map(|s| Duration::from_secs(s.into())),
            };
            creds = sts::assume_role(transport, &endpoint, &region, &creds, &role)
                .await
                .map_err(|e| match e {
                    // Name the profile whose role could not be assumed.
                    CredentialsError::Sts { .. } | CredentialsError::Transport { .. } => e,
                    other => CredentialsError::InvalidProfile {
                        profile: step.profile.clone(),
                        reason: other.to_string(),
                    },
                })?;
        }
        Ok(creds)
    }
}

super::fetching_provider!(ProfileProvider {
    files,
    sts_endpoint,
    sso
});
