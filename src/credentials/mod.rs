//! Credentials: the plain data the signer needs ([`Credentials`]), the
//! provider traits that find them, the providers, and a cache that keeps
//! temporary credentials fresh. The signer only ever sees resolved
//! [`Credentials`].
//!
//! # Providers
//!
//! | provider | where it looks | needs |
//! | --- | --- | --- |
//! | [`Credentials`] itself | static keys | |
//! | [`EnvironmentProvider`] | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION` | |
//! | [`ProfileProvider`] | `~/.aws/credentials` and `~/.aws/config`: static keys, `credential_process` | |
//! | `net::ProfileProvider` | the same, plus `role_arn` through STS (from a `source_profile`, a `credential_source` or a `web_identity_token_file`) and AWS IAM Identity Center (`sso_session` or legacy `sso_start_url`: the token `aws sso login` cached in `~/.aws/sso/cache`, refreshed through SSO OIDC) | `credentials-http` |
//! | `net::WebIdentityProvider` | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` | `credentials-http` |
//! | `net::ContainerProvider` | ECS (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`), EKS Pod Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read at each fetch), Lambda endpoints | `credentials-http` |
//! | `net::ImdsProvider` | EC2 instance metadata (`IMDSv2`) | `credentials-http` |
//! | `net::AssumeRoleProvider` | STS `AssumeRole` from other credentials | `credentials-http` |
//! | `net::DefaultChain` | all of the above, in the AWS SDKs' order | `credentials-http` |
//!
//! The network providers take an `HttpTransport`; `credentials-hyper`
//! adds a ready-made one. STS calls go to the endpoint the AWS SDKs would
//! use: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's
//! `[services]` section, the profile's `endpoint_url` (unless
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's
//! `ignore_configured_endpoint_urls` is `true`), else the regional
//! endpoint, `https://sts.{region}.amazonaws.com`.
//!
//! # Regions
//!
//! [`profile_region`] (and [`ProfileSet::region`]) read a profile's
//! `region`; [`Env::region`] reads `AWS_REGION` and its kin.
//!
//! # Sync and async
//!
//! [`ProvideCredentials`] is synchronous; [`ProvideCredentialsAsync`]
//! returns a boxed future and needs no particular runtime. Every synchronous
//! provider is also an asynchronous one. A provider answers with
//! credentials, with [`CredentialsError::NotFound`] (a chain moves on), or
//! with another error (a chain stops).
//!
//! # Example
//!
//! ```
//! use sigv4::credentials::{sign_with_provider, CachingProvider, ChainProvider, Env, EnvironmentProvider, ProfileProvider};
//! use sigv4::{Signer, SigningTime};
//!
//! let env = Env::from_pairs([
//!     ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
//!     ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
//! ]);
//! let provider = CachingProvider::new(
//!     ChainProvider::new()
//!         .with("environment", EnvironmentProvider::with_env(env.clone()))
//!         .with("profile", ProfileProvider::with_env(env)),
//! );
//! let signer = Signer::neptune("us-east-1")?;
//! let mut request = http::Request::get("https://db.example.com:8182/status").body(Vec::new())?;
//! sign_with_provider(&signer, &mut request, &provider, SigningTime::now())?;
//! assert!(request.headers().contains_key("authorization"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "aws-sdk-adapter")]
mod aws_sdk;
mod cache;
mod env;
mod error;
mod json;
#[cfg(feature = "credentials-http")]
pub mod net;
pub(crate) mod profile;
mod provider;

pub use crate::clock::{Clock, SystemClock};
#[cfg(feature = "aws-sdk-adapter")]
pub use aws_sdk::AwsSdkProvider;
pub use cache::{AsyncCachingProvider, CacheSettings, CachingProvider};
pub use env::{Env, EnvironmentProvider};
pub use error::{CredentialsError, SignFromProviderError};
pub use profile::{
    profile_region, ProfileFileKind, ProfileProvider, ProfileSet, DEFAULT_PROCESS_TIMEOUT,
    MAX_PROCESS_OUTPUT,
};
pub use provider::{
    sign_with_provider, sign_with_provider_async, AsyncChainProvider, ChainProvider,
    CredentialsFuture, ProvideCredentials, ProvideCredentialsAsync,
};

pub use crate::core::credentials::Credentials;
