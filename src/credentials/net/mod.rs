//! Network credentials providers (feature `credentials-http`): EC2 instance
//! metadata, container endpoints, STS `AssumeRole` and
//! `AssumeRoleWithWebIdentity`, profiles that assume roles or sign in
//! through AWS IAM Identity Center (SSO), and the default chain.
//!
//! They send HTTP through an [`HttpTransport`] you inject, so this module
//! brings no runtime and no TLS of its own. The `credentials-hyper` feature
//! adds [`HyperTransport`] (hyper + rustls with the `ring` provider, on
//! tokio).

/// The two impls every network provider has, written once: the async
/// provider impl, which runs the provider's `async fn fetch`, and a
/// `Debug` that shows the named fields (none of which holds a secret).
macro_rules! fetching_provider {
    ($provider:ident { $($field:ident),* $(,)? }) => {
        impl $crate::credentials::ProvideCredentialsAsync for $provider {
            fn provide_credentials_async(&self) -> $crate::credentials::CredentialsFuture<'_> {
                Box::pin(self.fetch())
            }
        }

        impl std::fmt::Debug for $provider {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($provider))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
use fetching_provider;

mod chain;
pub(crate) mod container;
mod endpoint;
#[cfg(feature = "credentials-hyper")]
mod hyper_transport;
pub(crate) mod imds;
mod profile;
pub(crate) mod sso;
pub(crate) mod sts;
mod transport;

pub use chain::DefaultChain;
pub use container::ContainerProvider;
#[cfg(feature = "credentials-hyper")]
pub use hyper_transport::HyperTransport;
pub use imds::ImdsProvider;
pub use profile::ProfileProvider;
pub use sts::{AssumeRoleProvider, WebIdentityProvider};
pub use transport::{
    HttpTransport, RequestTimeouts, ResponseLimit, TransportError, TransportFuture,
    MAX_RESPONSE_BYTES,
};
