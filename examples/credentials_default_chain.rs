//! Signs an Amazon Neptune openCypher request with credentials from the
//! default chain (environment, profile, web identity, container, instance
//! metadata), cached.
//!
//! ```text
//! SERVICE_REGION=us-east-1 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//!   cargo run --example credentials_default_chain --features credentials-hyper -- \
//!   https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182
//! ```
//!
//! It prints the signed request's headers (the signature, never the secret)
//! and sends nothing. Off AWS and with nothing configured it says so and
//! exits 0; set `AWS_EC2_METADATA_DISABLED=true` to skip the instance
//! metadata probe.

use std::process::ExitCode;
use std::sync::Arc;

use sigv4::credentials::net::{DefaultChain, HyperTransport};
use sigv4::credentials::{sign_with_provider_async, Env, SignFromProviderError};
use sigv4::{Signer, SigningTime};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let endpoint = std::env::args().nth(1).unwrap_or_else(|| {
        "https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182".into()
    });
    let region = match Env::process().region() {
        Ok(Some(r)) => r.as_str().to_owned(),
        Ok(None) => "us-east-1".to_owned(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let transport = match HyperTransport::new() {
        Ok(t) => Arc::new(t),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let credentials = DefaultChain::new(transport).cached();
    let signer = match Signer::neptune(&region) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let request = http::Request::post(format!("{}/openCypher", endpoint.trim_end_matches('/')))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"query=MATCH (n) RETURN n LIMIT 1".to_vec());
    let mut request = match request {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: invalid endpoint {endpoint:?}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match sign_with_provider_async(&signer, &mut request, &credentials, SigningTime::now()).await {
        Ok(_) => {
            println!("{} {}", request.method(), request.uri());
            for (name, value) in request.headers() {
                if value.is_sensitive() {
                    println!("{name}: ** redacted **");
                } else {
                    println!("{name}: {}", value.to_str().unwrap_or("(binary)"));
                }
            }
            ExitCode::SUCCESS
        }
        Err(SignFromProviderError::Credentials(e)) if e.is_not_found() => {
            println!("no AWS credentials found, nothing signed.\n{e}");
            println!(
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, and run again."
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
