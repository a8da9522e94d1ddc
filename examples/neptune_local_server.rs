//! A local Neptune-like server that requires IAM (SigV4) authentication on
//! every request, for trying the `neptune_iam` example and your own client
//! without a cluster.
//!
//! ```text
//! cargo run --example neptune_local_server --features tower -- [PORT]
//! ```
//!
//! It listens on 127.0.0.1 (PORT, default 8182; 0 picks a free port) and
//! prints the NEPTUNE_ENDPOINT to use. It knows two demo keys (the access
//! key ids are printed; the secrets are in tests/support/neptune_server.rs)
//! and, when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
//! AWS_SESSION_TOKEN) are set, those too, so a client with the same
//! environment is accepted. Requests must be signed for `neptune-db` in
//! SERVICE_REGION, AWS_REGION or AWS_DEFAULT_REGION (default us-east-1).

#[path = "../tests/support/neptune_server.rs"]
mod neptune_server;

use std::net::SocketAddr;
use std::process::ExitCode;

use neptune_server::{demo_credentials, KeyTable, ServerConfig};
use sigv4::credentials::{Env, EnvironmentProvider, ProvideCredentials};

#[tokio::main]
async fn main() -> ExitCode {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        None => 8182,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("error: the port must be a number in 0..=65535");
            return ExitCode::from(2);
        }
    };
    let region = match Env::process().region() {
        Ok(r) => r.map_or_else(|| "us-east-1".to_owned(), |r| r.as_str().to_owned()),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut keys = Vec::new();
    if let Ok(creds) = EnvironmentProvider::new().provide_credentials() {
        keys.push(creds);
    }
    keys.extend(demo_credentials());
    for key in &keys {
        let temporary = if key.session_token().is_some() {
            " (needs its session token)"
        } else {
            ""
        };
        println!("accepting access key id {}{temporary}", key.access_key_id());
    }
    let config = ServerConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        region: region.clone(),
        service: "neptune-db".to_owned(),
        keys: KeyTable::new(keys),
        gremlin_max_age: None,
        ..ServerConfig::default()
    };
    match neptune_server::start(config).await {
        Ok(server) => {
            println!("service neptune-db, region {region}");
            println!("NEPTUNE_ENDPOINT={}", server.endpoint());
            server.wait().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}
