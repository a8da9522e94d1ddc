//! Container credentials: ECS tasks, EKS Pod Identity, Lambda `SnapStart`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::transport::{build, send, transport_error, HttpTransport, RequestTimeouts};
use crate::credentials::env::Env;
use crate::credentials::error::{quoted, CredentialsError};
use crate::credentials::json;
use crate::credentials::Credentials;

const PROVIDER: &str = "container credentials";
const ECS_HOST: &str = "http://169.254.170.2";

/// Credentials from a container credentials endpoint.
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: `http://169.254.170.2` + the
///   path (ECS).
/// - else `AWS_CONTAINER_CREDENTIALS_FULL_URI`: any `https` URL, or an
///   `http` URL to a loopback address, `169.254.170.2`, `169.254.170.23` or
///   `fd00:ec2::23` (EKS Pod Identity); other hosts are refused.
/// - The `Authorization` header comes from the file named by
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, else from
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
///
/// Neither URI set means `NotFound`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::Env;
/// use sigv4::credentials::net::{ContainerProvider, HttpTransport};
///
/// fn in_ecs(transport: Arc<dyn HttpTransport>) -> ContainerProvider {
///     ContainerProvider::new(transport).with_env(Env::from_pairs([
///         ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"),
///     ]))
/// }
/// ```
#[derive(Clone)]
pub struct ContainerProvider {
    transport: Arc<dyn HttpTransport>,
    env: Env,
}

impl ContainerProvider {
    /// Reads the process environment; sends through `transport`.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        Self {
            transport,
            env: Env::process(),
        }
    }

    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    fn uri(&self) -> Result<Option<String>, CredentialsError> {
        if let Some(relative) = self.env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let relative = relative.trim();
            let sep = if relative.starts_with('/') { "" } else { "/" };
            return Ok(Some(format!("{ECS_HOST}{sep}{relative}")));
        }
        let Some(full) = self.env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            return Ok(None);
        };
        let full = full.trim().to_owned();
        let invalid = |reason: String| CredentialsError::InvalidConfig {
            name: "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
            reason,
        };
        let uri: http::Uri = full
            .parse()
            .map_err(|_| invalid(format!("{full:?} is not a URL")))?;
        match uri.scheme_str() {
            Some("https") => Ok(Some(full)),
            Some("http") => {
                let host = uri.host().unwrap_or_default();
                if allowed_http_host(host) {
                    Ok(Some(full))
                } else {
                    Err(invalid(format!(
                        "http is only allowed to a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, not {host:?}; use https"
                    )))
                }
            }
            _ => Err(invalid(format!("{full:?} is not an http or https URL"))),
        }
    }

    fn authorization(&self) -> Result<Option<Zeroizing<String>>, CredentialsError> {
        let token = if let Some(file) = self.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            let path = PathBuf::from(file.trim());
            let text = std::fs::read_to_string(&path).map_err(|e| CredentialsError::Io {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            Zeroizing::new(text.trim().to_owned())
        } else if let Some(token) = self.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            Zeroizing::new(token.trim().to_owned())
        } else {
            return Ok(None);
        };
        if token.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(CredentialsError::InvalidConfig {
                name: "the container authorization token".to_owned(),
                reason: "it contains a line break".to_owned(),
            });
        }
        Ok(Some(token))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let Some(uri) = self.uri()? else {
            return Err(CredentialsError::not_found(
                PROVIDER,
                "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
            ));
        };
        let mut builder = http::Request::builder()
            .uri(uri.as_str())
            .header("accept", "application/json");
        if let Some(token) = self.authorization()? {
            let mut value = http::HeaderValue::from_str(&token).map_err(|_| {
                CredentialsError::InvalidConfig {
                    name: "the container authorization token".to_owned(),
                    reason: "it is not a valid header value".to_owned(),
                }
            })?;
            value.set_sensitive(true);
            builder = builder.header(http::header::AUTHORIZATION, value);
        }
        let mut request = build(builder, Vec::new(), PROVIDER)?;
        request.extensions_mut().insert(RequestTimeouts::new(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_secs(5),
        ));
        let answer = send(&*self.transport, request)
            .await
            .map_err(|e| transport_error(PROVIDER, &e))?;
        let body = Zeroizing::new(answer.body);
        credentials_answer(answer.status, &body)
    }
}

/// Reads the endpoint's answer: on 2xx, `{"AccessKeyId": ..,
/// "SecretAccessKey": .., "Token": .., "Expiration": ..}`; otherwise an
/// [`HttpStatus`](CredentialsError::HttpStatus) error with the `Code` and
/// `Message` of a JSON error body, when it has them.
pub(crate) fn credentials_answer(
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    if !(200..300).contains(&status) {
        let detail = json::parse_object(body)
            .ok()
            .map(|o| {
                let code = o
                    .string("Code")
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_owned();
                let message = o.string("Message").ok().flatten().unwrap_or_default();
                quoted(&format!("{code}: {message}"))
            })
            .unwrap_or_default();
        return Err(CredentialsError::HttpStatus {
            provider: PROVIDER,
            status,
            detail,
        });
    }
    let object = json::parse_object(body).map_err(|reason| CredentialsError::InvalidResponse {
        provider: PROVIDER,
        reason,
    })?;
    json::credentials_from(&object, PROVIDER, "Token")
}

/// Hosts that may be reached over plain http.
fn allowed_http_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => true,
        Ok(IpAddr::V4(v4)) => {
            v4.octets() == [169, 254, 170, 2] || v4.octets() == [169, 254, 170, 23]
        }
        Ok(IpAddr::V6(v6)) => v6.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23],
        Err(_) => false,
    }
}

super::fetching_provider!(ContainerProvider { env });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts() {
        for ok in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "localhost",
            "169.254.170.2",
            "169.254.170.23",
            "[fd00:ec2::23]",
            "[FD00:0EC2:0:0:0:0:0:0023]",
        ] {
            assert!(allowed_http_host(ok), "{ok}");
        }
        for bad in [
            "169.254.169.254",
            "169.254.170.24",
            "example.com",
            "10.0.0.1",
            "[fd00:ec2::254]",
            "[fd00:ec2::23:0]",
            "[::ffff:169.254.170.23]",
            "127.0.0.1.evil.com",
        ] {
            assert!(!allowed_http_host(bad), "{bad}");
        }
    }

    #[test]
    fn pod_identity_uris() {
        let uri = |full: &str| {
            ContainerProvider::new(std::sync::Arc::new(NoTransport))
                .with_env(Env::from_pairs([(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    full,
                )]))
                .uri()
        };
        for ok in [
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            " http://[fd00:ec2::23]:80/v1/credentials\n",
        ] {
            assert_eq!(uri(ok).unwrap().as_deref(), Some(ok.trim()), "{ok}");
        }
        for bad in [
            "http://fd00:ec2::23/v1/credentials",
            "http://[fd00:ec2::24]/v1/credentials",
            "http://169.254.170.23.nip.io/v1/credentials",
        ] {
            assert!(uri(bad).is_err(), "{bad}");
        }
    }

    struct NoTransport;

    impl HttpTransport for NoTransport {
        fn send(&self, _: http::Request<Vec<u8>>) -> super::super::TransportFuture<'_> {
            Box::pin(async { Err(super::super::TransportError::Timeout) })
        }
    }
}
