//! Assumes an IAM role through STS with this crate's own signer, then signs
//! a Neptune request with the role's temporary credentials, kept fresh by
//! the cache.
//!
//! ```text
//! AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//!   cargo run --example assume_role --features credentials-hyper -- \
//!   arn:aws:iam::123456789012:role/NeptuneReader us-east-1
//! ```
//!
//! Profiles do the same declaratively (`net::ProfileProvider`):
//!
//! ```ini
//! [profile neptune]
//! role_arn = arn:aws:iam::123456789012:role/NeptuneReader
//! source_profile = default
//! region = us-east-1
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use sigv4::credentials::net::{AssumeRoleProvider, HyperTransport};
use sigv4::credentials::{sign_with_provider_async, AsyncCachingProvider, EnvironmentProvider};
use sigv4::{Region, Signer, SigningTime};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(role_arn), region) = (args.next(), args.next()) else {
        eprintln!("usage: assume_role ROLE_ARN [REGION]");
        return ExitCode::FAILURE;
    };
    let region = region.unwrap_or_else(|| "us-east-1".to_owned());
    let result = async {
        let region = Region::new(&region).map_err(|e| e.to_string())?;
        let transport = Arc::new(HyperTransport::new().map_err(|e| e.to_string())?);
        let role = AssumeRoleProvider::new(
            transport,
            Arc::new(EnvironmentProvider::new()),
            role_arn,
            region.clone(),
        )
        .with_session_name("sigv4-example")
        .with_duration(Duration::from_secs(900));
        let credentials = AsyncCachingProvider::new(role);
        let signer = Signer::neptune(region.as_str()).map_err(|e| e.to_string())?;
        let mut request = http::Request::get(format!(
            "https://my-cluster.cluster-abc.{}.neptune.amazonaws.com:8182/status",
            region.as_str()
        ))
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
        sign_with_provider_async(&signer, &mut request, &credentials, SigningTime::now())
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(request)
    }
    .await;
    match result {
        Ok(request) => {
            println!("signed with the role's credentials: {}", request.uri());
            for name in ["authorization", "x-amz-date"] {
                if let Some(v) = request.headers().get(name) {
                    println!("{name}: {}", v.to_str().unwrap_or("(binary)"));
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
