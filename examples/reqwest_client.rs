//! A Neptune SPARQL query through `sigv4::client::SigV4Middleware`: a
//! `reqwest-middleware` client signs every request it sends, with
//! credentials from a caching provider.
//!
//! ```text
//! cargo run --example reqwest_client --features reqwest,tower,credentials-hyper,neptune
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

use sigv4::client::SigV4Middleware;
use sigv4::credentials::net::{DefaultChain, HyperTransport};
use sigv4::credentials::{AsyncCachingProvider, Env, ProvideCredentialsAsync};
use sigv4::neptune::{Endpoint, NeptuneService};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const QUERY: &str = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10";

async fn run() -> Result<(), BoxError> {
    // reqwest over rustls, with ring as the crate's other TLS uses it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let region = Env::process().region()?;
    let region = region
        .as_ref()
        .map_or("us-east-1", |r| r.as_str())
        .to_owned();
    // The provider is asked on every request: a cache makes that a read
    // of memory, and refreshes temporary credentials before they expire.
    let (url, provider, _local): (_, Arc<dyn ProvideCredentialsAsync>, _) =
        match std::env::var("NEPTUNE_ENDPOINT") {
            Ok(url) => {
                let chain = DefaultChain::new(Arc::new(HyperTransport::new()?)).cached();
                (url, Arc::new(chain), None)
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
                    Some(server),
                )
            }
        };
    let endpoint = Endpoint::from_url(&url, &region, NeptuneService::Database)?;

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(SigV4Middleware::new(endpoint.signer().clone(), provider))
        .build();
    let request = reqwest::Request::try_from(endpoint.sparql_query(QUERY)?)?;
    println!("POST {}/sparql ({region})", endpoint.base());
    let response = client.execute(request).await?;
    let status = response.status();
    println!("{status}");
    println!("{}", response.text().await?);
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the server answered {status}").into())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reqwest_client: {e}");
            ExitCode::FAILURE
        }
    }
}
