//! Signing connections that outlive a signature and a credential: a
//! [`Connector`] takes fresh credentials from a provider (a caching one
//! refreshes them before they expire) and signs each connection's
//! handshake, or Bolt token, as of the moment it connects.

use std::fmt;
use std::sync::Arc;

use http::Request;

use super::{BoltToken, Endpoint, Expiry};
use crate::core::error::SigningError;
use crate::core::time::SigningTime;
use crate::credentials::{CredentialsError, ProvideCredentialsAsync};

/// Why a connection could not be signed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectorError {
    /// The provider had no credentials.
    Credentials(CredentialsError),
    /// Signing failed (expired credentials, say).
    Signing(SigningError),
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(e) => write!(f, "no credentials to sign the connection: {e}"),
            Self::Signing(e) => write!(f, "cannot sign the connection: {e}"),
        }
    }
}

impl std::error::Error for ConnectorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            Self::Signing(e) => Some(e),
        }
    }
}

/// Signs every connection to an [`Endpoint`] afresh, with credentials from
/// a provider. Cheap to clone.
///
/// # Examples
///
/// Every (re)connect of a Gremlin WebSocket signs its own handshake:
///
/// ```no_run
/// # #[cfg(feature = "credentials-hyper")]
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use std::sync::Arc;
/// use sigv4::credentials::net::{DefaultChain, HyperTransport};
/// use sigv4::neptune::{Connector, Endpoint};
///
/// let endpoint = Endpoint::database("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com", "us-east-1")?;
/// let credentials = DefaultChain::new(Arc::new(HyperTransport::new()?)).cached();
/// let connector = Connector::new(endpoint, Arc::new(credentials));
/// // With tokio-tungstenite, at each connect:
/// //   let mut handshake = connector.endpoint().gremlin_url().into_client_request()?;
/// //   let expiry = connector.sign_handshake(&mut handshake).await?;
/// //   let (ws, _) = tokio_tungstenite::connect_async(handshake).await?;
/// //   ... reconnect before expiry.earliest(), or when the server closes.
/// # let _ = connector;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connector {
    endpoint: Endpoint,
    credentials: Arc<dyn ProvideCredentialsAsync>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector for `endpoint`, signing with what `credentials` provides
    /// at each connect.
    #[must_use]
    pub fn new(endpoint: Endpoint, credentials: Arc<dyn ProvideCredentialsAsync>) -> Self {
        Self {
            endpoint,
            credentials,
        }
    }

    /// The endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Signs a Gremlin WebSocket handshake now, with the provider's current
    /// credentials; see [`Endpoint::sign_gremlin_handshake`].
    ///
    /// # Errors
    ///
    /// [`ConnectorError`].
    pub async fn sign_handshake<B>(
        &self,
        request: &mut Request<B>,
    ) -> Result<Expiry, ConnectorError> {
        let credentials = self
            .credentials
            .provide_credentials_async()
            .await
            .map_err(ConnectorError::Credentials)?;
        self.endpoint
            .sign_gremlin_handshake(request, &credentials, SigningTime::now())
            .map_err(ConnectorError::Signing)
    }

    /// A Bolt token now, with the provider's current credentials; see
    /// [`Endpoint::bolt_token`].
    ///
    /// # Errors
    ///
    /// [`ConnectorError`].
    pub async fn bolt_token(&self) -> Result<BoltToken, ConnectorError> {
        let credentials = self
            .credentials
            .provide_credentials_async()
            .await
            .map_err(ConnectorError::Credentials)?;
        self.endpoint
            .bolt_token(&credentials, SigningTime::now())
            .map_err(ConnectorError::Signing)
    }
}
