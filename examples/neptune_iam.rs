//! Amazon Neptune with IAM authentication: each workflow signs its request
//! with this crate and sends it.
//!
//! ```text
//! NEPTUNE_ENDPOINT=https://my-cluster.cluster-xxx.us-east-1.neptune.amazonaws.com:8182 \
//! SERVICE_REGION=us-east-1 \
//!   cargo run --example neptune_iam --features credentials-hyper,neptune -- [WORKFLOW]
//! ```
//!
//! WORKFLOW is one of `sparql-get`, `sparql-post`, `opencypher`, `status`,
//! `gremlin`, `presign`, or `all` (the default). Credentials come from the
//! default chain (environment, profile, web identity, container, instance
//! metadata); the region from SERVICE_REGION, AWS_REGION or
//! AWS_DEFAULT_REGION (default us-east-1).
//!
//! To try it without a cluster, start the local server
//! (`cargo run --example neptune_local_server --features tower`) and point
//! NEPTUNE_ENDPOINT at the address it prints, with its demo keys or your own
//! (see that example).

#[path = "../tests/support/neptune_client.rs"]
mod neptune_client;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use neptune_client::{
    redact_token, BoxError, NeptuneClient, CYPHER_QUERY, GREMLIN_QUERY, SPARQL_QUERY,
};
use sigv4::credentials::net::{DefaultChain, HyperTransport};
use sigv4::credentials::{Env, ProvideCredentialsAsync};
use sigv4::SigningTime;

const WORKFLOWS: [&str; 6] = [
    "sparql-get",
    "sparql-post",
    "opencypher",
    "status",
    "gremlin",
    "presign",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let workflow = std::env::args().nth(1).unwrap_or_else(|| "all".to_owned());
    let chosen: Vec<&str> = match workflow.as_str() {
        "all" => WORKFLOWS.to_vec(),
        w if WORKFLOWS.contains(&w) => vec![w],
        w => {
            eprintln!("error: unknown workflow {w:?}; expected one of {WORKFLOWS:?} or \"all\"");
            return ExitCode::from(2);
        }
    };
    let client = match client().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for name in chosen {
        println!("== {name}");
        match run(&client, name).await {
            Ok(true) => {}
            Ok(false) => failed = true,
            Err(e) => {
                eprintln!("error: {name}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The endpoint and region from the environment, credentials from the
/// default chain (resolved once).
async fn client() -> Result<NeptuneClient, BoxError> {
    let endpoint = std::env::var("NEPTUNE_ENDPOINT").map_err(|_| {
        "set NEPTUNE_ENDPOINT to https://your-cluster:8182 (or the local server's address)"
    })?;
    let region = Env::process().region()?;
    let region = region.as_ref().map_or("us-east-1", |r| r.as_str());
    let chain = DefaultChain::new(Arc::new(HyperTransport::new()?)).cached();
    let credentials = chain.provide_credentials_async().await?;
    println!(
        "# {endpoint} ({region}), access key id {}",
        credentials.access_key_id()
    );
    NeptuneClient::new(&endpoint, region, credentials)
}

/// Runs one workflow; `Ok(false)` when the server said no.
async fn run(client: &NeptuneClient, workflow: &str) -> Result<bool, BoxError> {
    let mut request = match workflow {
        "sparql-get" => client.sparql_get(SPARQL_QUERY)?,
        "sparql-post" => client.sparql_post(SPARQL_QUERY)?,
        "opencypher" => client.open_cypher(CYPHER_QUERY)?,
        "status" => client.status()?,
        "gremlin" => {
            let handshake = client.gremlin_handshake(SigningTime::now())?;
            let reply = client.gremlin(handshake, GREMLIN_QUERY).await?;
            println!("{reply}");
            return Ok(true);
        }
        "presign" => {
            let mut request = client.status()?;
            client.presign_at(&mut request, SigningTime::now(), Duration::from_secs(300))?;
            // The URL lets anyone in for five minutes: share it with care. A
            // session token in it is a credential, so it is not shown.
            println!(
                "presigned URL: {}",
                redact_token(&request.uri().to_string())
            );
            let response = client.fetch(&request.uri().to_string()).await?;
            return Ok(show(&response));
        }
        other => return Err(format!("unknown workflow {other:?}").into()),
    };
    client.sign(&mut request)?;
    let response = client.send(request).await?;
    Ok(show(&response))
}

/// Prints the status and body; true for a 2xx status.
fn show(response: &http::Response<Vec<u8>>) -> bool {
    println!("{}", response.status());
    println!("{}", String::from_utf8_lossy(response.body()));
    response.status().is_success()
}
