//! A Neptune SPARQL query through `sigv4::client::SignLayer`: the layer
//! sits in front of hyper-util's client (a tower service) and signs every
//! request it sends, with credentials from a caching provider.
//!
//! ```text
//! cargo run --example tower_client --features tower,credentials-hyper,neptune
//! ```
//!
//! With NEPTUNE_ENDPOINT set (`https://my-cluster...:8182`), the query goes
//! there, signed for SERVICE_REGION, AWS_REGION or AWS_DEFAULT_REGION
//! (default us-east-1) with credentials from the default chain. Without
//! it, a local verifying Neptune-like server is started in-process on
//! 127.0.0.1 and the query is signed with its demo credentials.

#[path = "../tests/support/neptune_server.rs"]
mod neptune_server;

use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigv4::client::{SignLayer, SignedBody};
use sigv4::credentials::net::{DefaultChain, HyperTransport};
use sigv4::credentials::{AsyncCachingProvider, Env, ProvideCredentialsAsync};
use sigv4::neptune::{Endpoint, NeptuneService};
use tower::{ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const QUERY: &str = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10";

async fn run() -> Result<(), BoxError> {
    let region = Env::process().region()?;
    let region = region
        .as_ref()
        .map_or("us-east-1", |r| r.as_str())
        .to_owned();
    let ring = Arc::new(rustls::crypto::ring::default_provider());
    // The provider is asked on every request: a cache makes that a read
    // of memory, and refreshes temporary credentials before they expire.
    let (url, provider, https, _local): (_, Arc<dyn ProvideCredentialsAsync>, _, _) =
        match std::env::var("NEPTUNE_ENDPOINT") {
            Ok(url) => {
                let chain = DefaultChain::new(Arc::new(HyperTransport::new()?)).cached();
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(ring)?
                    .https_or_http()
                    .enable_http1()
                    .build();
                (url, Arc::new(chain), https, None)
            }
            Err(_) => {
                let server = neptune_server::start(neptune_server::ServerConfig {
                    region: region.clone(),
                    ..Default::default()
                })
                .await?;
                println!(
                    "# no NEPTUNE_ENDPOINT: a local server at {}",
                    server.endpoint()
                );
                let demo = neptune_server::demo_credentials().remove(0);
                let source: Arc<dyn ProvideCredentialsAsync> = Arc::new(demo);
                (
                    server.endpoint(),
                    Arc::new(AsyncCachingProvider::new(source)),
                    plain_http(ring)?,
                    Some(server),
                )
            }
        };
    let endpoint = Endpoint::from_url(&url, &region, NeptuneService::Database)?;

    let client: Client<HttpsConnector<HttpConnector>, SignedBody<Full<Bytes>>> =
        Client::builder(TokioExecutor::new()).build(https);
    let layer = SignLayer::new(endpoint.signer().clone(), provider);
    let service = ServiceBuilder::new().layer(layer).service(client);

    let request = endpoint
        .sparql_query(QUERY)?
        .map(|body| Full::new(Bytes::from(body)));
    println!("POST {}/sparql ({region})", endpoint.base());
    let response = service.oneshot(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    println!("{status}");
    println!("{}", String::from_utf8_lossy(&body));
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the server answered {status}").into())
    }
}

/// A connector for the local `http://` server: TLS is set up but needs no
/// root certificates (a fresh machine may have none).
fn plain_http(
    ring: Arc<rustls::crypto::CryptoProvider>,
) -> Result<HttpsConnector<HttpConnector>, BoxError> {
    let tls = rustls::ClientConfig::builder_with_provider(ring)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tower_client: {e}");
            ExitCode::FAILURE
        }
    }
}
