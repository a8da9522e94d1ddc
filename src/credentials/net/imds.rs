//! EC2 instance metadata, `IMDSv2` only.

use std::sync::Arc;

use http::Method;

use super::transport::{
    build, send, transport_error, HttpTransport, RequestTimeouts, TransportError,
};
use crate::credentials::env::Env;
use crate::credentials::error::{quoted, CredentialsError};
use crate::credentials::json;
use crate::credentials::Credentials;

const PROVIDER: &str = "instance metadata";
const IPV4: &str = "http://169.254.169.254";
const IPV6: &str = "http://[fd00:ec2::254]";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// Credentials of the instance profile from the EC2 instance metadata
/// service, `IMDSv2` only: a session token from `PUT /latest/api/token`, then
/// the role name, then the role's credentials.
///
/// Honours `AWS_EC2_METADATA_DISABLED` (`true` means `NotFound`),
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT`, and
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` (`IPv4`, the default, is
/// `http://169.254.169.254`; `IPv6` is `http://[fd00:ec2::254]`). Requests
/// carry one-second [`RequestTimeouts`]; when the service cannot be reached
/// the answer is `NotFound`, so a chain ends quickly off EC2.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::Env;
/// use sigv4::credentials::net::{HttpTransport, ImdsProvider};
///
/// fn on_ec2(transport: Arc<dyn HttpTransport>) -> ImdsProvider {
///     ImdsProvider::new(transport).with_env(Env::from_pairs([("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")]))
/// }
/// ```
#[derive(Clone)]
pub struct ImdsProvider {
    transport: Arc<dyn HttpTransport>,
    env: Env,
    endpoint: Option<String>,
    token_ttl_seconds: u32,
}

impl ImdsProvider {
    /// Reads the process environment; sends through `transport`.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        Self {
            transport,
            env: Env::process(),
            endpoint: None,
            token_ttl_seconds: 21_600,
        }
    }

    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Uses `endpoint` (such as `http://127.0.0.1:8080`), overriding the
    /// environment.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The lifetime asked for the session token (default 21600 s).
    #[must_use]
    pub fn with_token_ttl_seconds(mut self, seconds: u32) -> Self {
        self.token_ttl_seconds = seconds;
        self
    }

    fn endpoint(&self) -> Result<String, CredentialsError> {
        if let Some(e) = &self.endpoint {
            return Ok(e.trim_end_matches('/').to_owned());
        }
        if let Some(e) = self.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            return Ok(e.trim().trim_end_matches('/').to_owned());
        }
        match self.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") {
            None => Ok(IPV4.to_owned()),
            Some(mode) if mode.trim().eq_ignore_ascii_case("ipv4") => Ok(IPV4.to_owned()),
            Some(mode) if mode.trim().eq_ignore_ascii_case("ipv6") => Ok(IPV6.to_owned()),
            Some(mode) => Err(CredentialsError::InvalidConfig {
                name: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE".to_owned(),
                reason: format!("expected IPv4 or IPv6, got {:?}", mode.trim()),
            }),
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        if self
            .env
            .get("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            return Err(CredentialsError::not_found(
                PROVIDER,
                "AWS_EC2_METADATA_DISABLED is true",
            ));
        }
        let endpoint = self.endpoint()?;
        let unreachable = |e: &TransportError| match e {
            TransportError::Connect { .. } | TransportError::Timeout => {
                CredentialsError::not_found(
                    PROVIDER,
                    format!("no instance metadata service at {endpoint}: {e}"),
                )
            }
            _ => transport_error(PROVIDER, e),
        };

        let mut request = build(
            http::Request::builder()
                .method(Method::PUT)
                .uri(format!("{endpoint}/latest/api/token"))
                .header(
                    "x-aws-ec2-metadata-token-ttl-seconds",
                    self.token_ttl_seconds.to_string(),
                ),
            Vec::new(),
            PROVIDER,
        )?;
        request.extensions_mut().insert(RequestTimeouts::metadata());
        let answer = send(&*self.transport, request)
            .await
            .map_err(|e| unreachable(&e))?;
        // 403 is what an instance with IMDS turned off (or a proxy that is
        // not EC2) answers; botocore, too, then moves on without credentials.
        if (403..=405).contains(&answer.status) {
            return Err(CredentialsError::not_found(
                PROVIDER,
                format!(
                    "instance metadata at {endpoint} refused a session token (http status {}): \
                     it is disabled or not EC2's",
                    answer.status
                ),
            ));
        }
        if answer.status != 200 {
            return Err(status_error(answer.status, "the session token request"));
        }
        let token = String::from_utf8(answer.body).map_err(|_| bad("the token is not UTF-8"))?;
        let token = zeroize::Zeroizing::new(token.trim().to_owned());

        let get = |path: String| -> Result<http::Request<Vec<u8>>, CredentialsError> {
            let mut request = build(
                http::Request::builder()
                    .uri(format!("{endpoint}{path}"))
                    .header("x-aws-ec2-metadata-token", token.as_str()),
                Vec::new(),
                PROVIDER,
            )?;
            request.extensions_mut().insert(RequestTimeouts::metadata());
            Ok(request)
        };

        let answer = send(&*self.transport, get(CREDENTIALS_PATH.to_owned())?)
            .await
            .map_err(|e| transport_error(PROVIDER, &e))?;
        if answer.status == 404 {
            return Err(CredentialsError::not_found(
                PROVIDER,
                "the instance has no IAM role attached",
            ));
        }
        if answer.status != 200 {
            return Err(status_error(answer.status, "the role listing"));
        }
        let listing =
            String::from_utf8(answer.body).map_err(|_| bad("the role name is not UTF-8"))?;
        let Some(role) = listing.lines().map(str::trim).find(|l| !l.is_empty()) else {
            return Err(CredentialsError::not_found(
                PROVIDER,
                "the instance has no IAM role attached",
            ));
        };
        if !role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        {
            return Err(bad("the role name has unexpected characters"));
        }

        let answer = send(&*self.transport, get(format!("{CREDENTIALS_PATH}{role}"))?)
            .await
            .map_err(|e| transport_error(PROVIDER, &e))?;
        let body = zeroize::Zeroizing::new(answer.body);
        credentials_answer(answer.status, &body)
    }
}

/// Reads the answer to the role's credentials request: status 200 and
/// `{"Code": "Success", "AccessKeyId": .., "SecretAccessKey": .., "Token": ..,
/// "Expiration": ..}`.
pub(crate) fn credentials_answer(
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    if status != 200 {
        return Err(status_error(status, "the role's credentials"));
    }
    let object = json::parse_object(body).map_err(|r| bad(&r))?;
    let code = object.string("Code").map_err(|r| bad(&r))?;
    if code != Some("Success") {
        let message = object.string("Message").ok().flatten().unwrap_or_default();
        return Err(CredentialsError::InvalidResponse {
            provider: PROVIDER,
            reason: quoted(&format!(
                "the service answered Code {:?}: {message}",
                code.unwrap_or("(none)")
            )),
        });
    }
    json::credentials_from(&object, PROVIDER, "Token")
}

fn bad(reason: &str) -> CredentialsError {
    CredentialsError::InvalidResponse {
        provider: PROVIDER,
        reason: reason.to_owned(),
    }
}

fn status_error(status: u16, what: &str) -> CredentialsError {
    CredentialsError::HttpStatus {
        provider: PROVIDER,
        status,
        detail: format!("for {what}"),
    }
}

super::fetching_provider!(ImdsProvider {
    env,
    endpoint,
    token_ttl_seconds
});
