//! Signs an Amazon Neptune SPARQL query with IAM authentication and prints
//! the signed request and the canonical request it was signed over.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//! AWS_SESSION_TOKEN; with none set, the AWS documentation's example keys
//! are used. The region comes from SERVICE_REGION, AWS_REGION or
//! AWS_DEFAULT_REGION (default us-east-1); the endpoint from
//! NEPTUNE_ENDPOINT (host:port, default a placeholder cluster). Nothing is
//! sent: paste the printed request into your HTTP client, or use
//! `sigv4 curl` once it lands.

use std::env;
use std::error::Error;

use sigv4::{Credentials, Payload, SignatureLocation, Signer, SigningTime};

/// A variable's value, with blank counted as unset.
fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn credentials() -> Result<(Credentials, &'static str), Box<dyn Error>> {
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => {
            let creds = Credentials::new(id, secret)?;
            let creds = match var("AWS_SESSION_TOKEN") {
                Some(token) => creds.with_session_token(token)?,
                None => creds,
            };
            Ok((creds, "the environment"))
        }
        _ => Ok((
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?,
            "the AWS documentation's example keys (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to use yours)",
        )),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let region = ["SERVICE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(var)
        .unwrap_or_else(|| "us-east-1".to_owned());
    let endpoint = var("NEPTUNE_ENDPOINT")
        .unwrap_or_else(|| format!("my-cluster.cluster-abc.{region}.neptune.amazonaws.com:8182"));
    let (creds, source) = credentials()?;

    // SPARQL over HTTPS: GET /sparql?query=..., IAM-signed for `neptune-db`.
    let signer = Signer::neptune(&region)?;
    let mut request = http::Request::get(format!(
        "https://{endpoint}/sparql?query=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%2010"
    ))
    .header("accept", "application/sparql-results+json")
    .body(Vec::new())?;

    let time = SigningTime::now();
    let explanation = signer.explain(
        &request,
        Payload::Bytes(b""),
        &creds,
        time,
        SignatureLocation::Header,
    )?;
    signer.sign(&mut request, &creds, time)?;

    println!("# credentials from {source}; region {region}");
    println!("# signed request:");
    println!(
        "{} {} {:?}",
        request.method(),
        request.uri(),
        request.version()
    );
    for (name, value) in request.headers() {
        // The session token is a credential: show that it is there, not what it is.
        if name == "x-amz-security-token" {
            println!("{name}: <redacted, {} bytes>", value.len());
        } else {
            println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
    }
    println!();
    println!("# what was signed (session token redacted):");
    println!("{explanation}");
    Ok(())
}
