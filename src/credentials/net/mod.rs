//! Network credentials providers (feature `credentials-http`): EC2 instance
//! metadata, container endpoints, STS `AssumeRole` and
//! `AssumeRoleWithWebIdentity`, profiles that assume roles, and the default
//! chain.
//!
//! They send HTTP through an [`HttpTransport`] you inject, so this module
//! brings no runtime and no TLS of its own. The `credentials-hyper` feature
//! adds [`HyperTransport`] (hyper + rustls with the `ring` provider, on
//! tokio).

mod chain;
pub(crate) mod container;
#[cfg(feature = "credentials-hyper")]
mod hyper_transport;
pub(crate) mod imds;
mod profile;
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
