//! A Gremlin session that outlives its signature and its credentials: a
//! `neptune::Connector` signs every (re)connect of the WebSocket with the
//! credentials its provider has at that moment. Here, against the local
//! Neptune-like server started in-process, which closes each connection
//! after a second (as Neptune closes old ones), with a provider that
//! rotates between two keys: each query after a server-side close
//! reconnects, signed with the new key, and succeeds.
//!
//! ```text
//! cargo run --example gremlin_session --features neptune,tower
//! ```
//!
//! Against a real cluster, build the endpoint with `Endpoint::database`
//! and give the connector a caching provider (`DefaultChain::new(..).cached()`):
//! it refreshes temporary credentials before they expire.

#[path = "../tests/support/neptune_server.rs"]
mod neptune_server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use neptune_server::{demo_credentials, ServerConfig};
use sigv4::credentials::{CredentialsFuture, ProvideCredentialsAsync};
use sigv4::neptune::{gremlin_eval_frame, Connector, Endpoint, NeptuneService};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Stands in for a refreshing provider: the next key at every call.
struct Rotating(AtomicUsize);

impl ProvideCredentialsAsync for Rotating {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        let keys = demo_credentials();
        let creds = keys[self.0.fetch_add(1, Ordering::SeqCst) % keys.len()].clone();
        Box::pin(async move { Ok(creds) })
    }
}

async fn run() -> Result<(), BoxError> {
    let server = neptune_server::start(ServerConfig {
        gremlin_max_age: Some(Duration::from_secs(1)),
        ..ServerConfig::default()
    })
    .await?;
    let endpoint = Endpoint::from_url(&server.endpoint(), "us-east-1", NeptuneService::Database)?;
    let connector = Connector::new(endpoint, Arc::new(Rotating(AtomicUsize::new(0))));

    let mut socket = None;
    for query in ["g.V().count()", "g.E().count()", "g.V().limit(1)"] {
        loop {
            let ws = match socket.as_mut() {
                Some(ws) => ws,
                None => {
                    let mut handshake = connector.endpoint().gremlin_url().into_client_request()?;
                    let expiry = connector.sign_handshake(&mut handshake).await?;
                    let key = handshake.headers()["authorization"].to_str()?.to_owned();
                    let key = key.split('/').next().unwrap_or_default().to_owned();
                    println!(
                        "connected ({key}), signature good until {}",
                        expiry.signature
                    );
                    let (ws, _) = tokio_tungstenite::connect_async(handshake).await?;
                    socket.insert(ws)
                }
            };
            if ws
                .send(Message::binary(gremlin_eval_frame(query)))
                .await
                .is_err()
            {
                println!("the connection is gone; reconnecting");
                socket = None;
                continue;
            }
            match ws.next().await {
                Some(Ok(Message::Text(reply))) => {
                    println!("{query} -> {}", reply.as_str());
                    break;
                }
                // Closed by the server: reconnect, signed afresh.
                _ => {
                    println!("the server closed the connection; reconnecting");
                    socket = None;
                }
            }
        }
        // Long enough for the server to close the connection.
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gremlin_session: {e}");
            ExitCode::FAILURE
        }
    }
}
