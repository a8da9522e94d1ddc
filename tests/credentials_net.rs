//! Network providers against mock servers started here on 127.0.0.1 with
//! ephemeral ports: IMDSv2 (refuses calls without a valid token), container
//! credentials (checks the authorization token), STS (checks the SigV4
//! signature of AssumeRole by recomputing it with this crate, answers with
//! the real XML shapes; tests/support/aws_mocks.rs), the configured STS
//! endpoints, profiles that assume roles, and the default chain.

#[path = "support/aws_mocks.rs"]
mod mocks;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use mocks::*;
use sigv4::credentials::net::{
    AssumeRoleProvider, ContainerProvider, DefaultChain, HttpTransport, ImdsProvider,
    ProfileProvider, WebIdentityProvider,
};
use sigv4::credentials::{CredentialsError, ProvideCredentialsAsync};
use sigv4::{Credentials, Region};

// ---------------------------------------------------------------- IMDSv2

const IMDS_TOKEN: &str = "imds-session-token-123";

fn imds_handler(issued_token: &'static str) -> Arc<Handler> {
    Arc::new(move |req| {
        let path = req.uri().path().to_owned();
        if req.method() == http::Method::PUT && path == "/latest/api/token" {
            return match req.headers().get("x-aws-ec2-metadata-token-ttl-seconds") {
                Some(ttl) if ttl.to_str().unwrap().parse::<u32>().is_ok() => {
                    (200, issued_token.to_owned())
                }
                _ => (400, String::new()),
            };
        }
        // IMDSv2 only: no valid token, no answer.
        if req
            .headers()
            .get("x-aws-ec2-metadata-token")
            .and_then(|v| v.to_str().ok())
            != Some(IMDS_TOKEN)
        {
            return (401, String::new());
        }
        match (req.method().as_str(), path.as_str()) {
            ("GET", "/latest/meta-data/iam/security-credentials/") => (200, "NeptuneRole".into()),
            ("GET", "/latest/meta-data/iam/security-credentials/NeptuneRole") => (
                200,
                r#"{"Code":"Success","LastUpdated":"2024-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"2100-01-01T00:00:00Z"}"#.into(),
            ),
            _ => (404, String::new()),
        }
    })
}

#[test]
fn imds_v2_flow_gives_credentials() {
    runtime().block_on(async {
        let (endpoint, count) = serve(imds_handler(IMDS_TOKEN)).await;
        let env = empty_env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint)]);
        let creds = ImdsProvider::new(transport())
            .with_env(env)
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAIMDS");
        assert_eq!(creds.session_token(), Some("imdstoken"));
        assert!(creds.expiry().is_some());
        assert_eq!(count.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn imds_calls_without_the_valid_token_are_refused() {
    runtime().block_on(async {
        // The token endpoint hands out a token the other endpoints refuse.
        let (endpoint, _) = serve(imds_handler("stale-token")).await;
        let err = ImdsProvider::new(transport())
            .with_env(empty_env(&[]))
            .with_endpoint(endpoint.clone())
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::HttpStatus { status: 401, .. }),
            "{err}"
        );
        // And the mock does refuse a bare GET.
        let response = transport()
            .send(
                http::Request::get(format!(
                    "{endpoint}/latest/meta-data/iam/security-credentials/"
                ))
                .body(Vec::new())
                .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    });
}

#[test]
fn imds_disabled_unreachable_and_bad_mode() {
    runtime().block_on(async {
        let err = ImdsProvider::new(transport())
            .with_env(empty_env(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");

        // A port with nothing listening: NotFound, quickly.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let started = std::time::Instant::now();
        let err = ImdsProvider::new(transport())
            .with_env(empty_env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &dead)]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(3));

        let err = ImdsProvider::new(transport())
            .with_env(empty_env(&[(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
                "IPv5",
            )]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfig { .. }),
            "{err}"
        );
    });
}

#[test]
fn imds_error_code_surfaces() {
    runtime().block_on(async {
        let (endpoint, _) = serve(Arc::new(|req: http::Request<Vec<u8>>| {
            match req.uri().path() {
                "/latest/api/token" => (200, IMDS_TOKEN.into()),
                "/latest/meta-data/iam/security-credentials/" => (200, "R\n".into()),
                _ => (
                    200,
                    r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"cannot assume"}"#.into(),
                ),
            }
        }))
        .await;
        let text = imds_error_at(endpoint).await.to_string();
        assert!(
            text.contains("AssumeRoleUnauthorizedAccess") && text.contains("cannot assume"),
            "{text}"
        );
    });
}

/// What the instance metadata provider fails with against `endpoint`.
async fn imds_error_at(endpoint: String) -> CredentialsError {
    ImdsProvider::new(transport())
        .with_env(empty_env(&[]))
        .with_endpoint(endpoint)
        .provide_credentials_async()
        .await
        .unwrap_err()
}

#[test]
fn imds_refusing_a_token_means_not_found_but_a_server_error_does_not() {
    runtime().block_on(async {
        for (status, not_found) in [(403, true), (404, true), (405, true), (500, false)] {
            let (endpoint, _) = serve(Arc::new(move |_req: http::Request<Vec<u8>>| {
                (status, "no".into())
            }))
            .await;
            let err = imds_error_at(endpoint).await;
            assert_eq!(err.is_not_found(), not_found, "status {status}: {err}");
        }
    });
}

// ------------------------------------------------------------ containers

fn container_handler(expected_auth: &'static str) -> Arc<Handler> {
    Arc::new(move |req| {
        if req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(expected_auth)
        {
            return (
                401,
                r#"{"Code":"AccessDenied","Message":"bad token"}"#.into(),
            );
        }
        if req.uri().path() != "/v1/credentials" {
            return (404, String::new());
        }
        (200, r#"{"AccessKeyId":"ASIACONT","SecretAccessKey":"contsecret","Token":"conttoken","Expiration":"2100-01-01T00:00:00Z","RoleArn":"arn:aws:iam::1:role/T"}"#.into())
    })
}

#[test]
fn container_full_uri_with_token_and_token_file() {
    runtime().block_on(async {
        let (endpoint, _) = serve(container_handler("Bearer good")).await;
        let uri = format!("{endpoint}/v1/credentials");
        let creds = ContainerProvider::new(transport())
            .with_env(empty_env(&[
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer good"),
            ]))
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIACONT");
        assert_eq!(creds.session_token(), Some("conttoken"));

        // The token file wins over the variable.
        let dir = TempDir::new();
        let file = dir.write("token", "Bearer good\n");
        let creds = ContainerProvider::new(transport())
            .with_env(empty_env(&[
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong"),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
            ]))
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIACONT");

        // A wrong token is refused, and the answer's code and message surface.
        let err = ContainerProvider::new(transport())
            .with_env(empty_env(&[
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong"),
            ]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::HttpStatus { status: 401, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("AccessDenied: bad token"), "{err}");
        assert!(!err.to_string().contains("wrong"), "{err}");
    });
}

#[test]
fn container_host_rules_and_absence() {
    runtime().block_on(async {
        for uri in [
            "http://example.com/creds",
            "http://169.254.169.254/x",
            "ftp://127.0.0.1/x",
        ] {
            let err = ContainerProvider::new(transport())
                .with_env(empty_env(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)]))
                .provide_credentials_async()
                .await
                .unwrap_err();
            assert!(
                matches!(err, CredentialsError::InvalidConfig { .. }),
                "{uri}: {err}"
            );
        }
        let err = ContainerProvider::new(transport())
            .with_env(empty_env(&[]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
    });
}

/// EKS Pod Identity: the agent's token rotates, so the token file is read
/// again on every fetch; its trailing newline is not part of the header.
#[test]
fn pod_identity_token_file_is_read_on_every_fetch() {
    runtime().block_on(async {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let (endpoint, calls) = serve(Arc::new(move |req: http::Request<Vec<u8>>| {
            if req.uri().path() != "/v1/credentials" {
                return (404, String::new());
            }
            let auth = req.headers().get("authorization").map(|v| v.as_bytes().to_vec());
            log.lock().unwrap().push(auth);
            (200, r#"{"AccessKeyId":"ASIAPOD","SecretAccessKey":"podsecret","Token":"podtoken","Expiration":"2100-01-01T00:00:00Z"}"#.into())
        }))
        .await;
        let dir = TempDir::new();
        let file = dir.write("eks-pod-identity-token", "eyJhbGciOiJSUzI1NiJ9.first\n");
        let uri = format!("{endpoint}/v1/credentials");
        let provider = ContainerProvider::new(transport()).with_env(empty_env(&[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
        ]));
        let creds = provider.provide_credentials_async().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIAPOD");
        std::fs::write(&file, "eyJhbGciOiJSUzI1NiJ9.second\r\n").unwrap();
        provider.provide_credentials_async().await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                Some(b"eyJhbGciOiJSUzI1NiJ9.first".to_vec()),
                Some(b"eyJhbGciOiJSUzI1NiJ9.second".to_vec()),
            ]
        );

        // A line break inside the token (header injection) is refused
        // before anything is sent, and the error does not repeat it.
        for text in ["podsecret\r\nx-injected: 1\n", "podsecret\nmore", "pod\rsecret"] {
            std::fs::write(&file, text).unwrap();
            let err = provider.provide_credentials_async().await.unwrap_err();
            assert!(matches!(err, CredentialsError::InvalidConfig { .. }), "{err}");
            assert!(err.to_string().ends_with("it contains a line break"), "{err}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("secret") && !shown.contains("injected"), "{err}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A token file that cannot be read is a hard error naming it.
        std::fs::remove_file(&file).unwrap();
        let err = provider.provide_credentials_async().await.unwrap_err();
        assert!(matches!(err, CredentialsError::Io { .. }), "{err}");
    });
}

/// Answers every request with container credentials and records its URI
/// and `Authorization` header; no network.
#[derive(Default)]
struct Recorder {
    seen: std::sync::Mutex<Vec<(String, Option<Vec<u8>>)>>,
}

impl HttpTransport for Recorder {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> sigv4::credentials::net::TransportFuture<'_> {
        let auth = request
            .headers()
            .get("authorization")
            .map(|v| v.as_bytes().to_vec());
        self.seen
            .lock()
            .unwrap()
            .push((request.uri().to_string(), auth));
        Box::pin(async {
            Ok(http::Response::new(
                br#"{"AccessKeyId":"ASIAPOD","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z"}"#.to_vec(),
            ))
        })
    }
}

/// The EKS Pod Identity agent's addresses, IPv4 and IPv6, over plain http.
#[test]
fn pod_identity_agent_addresses_are_accepted() {
    runtime().block_on(async {
        let dir = TempDir::new();
        let file = dir.write("token", "agent-token\n");
        for uri in [
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://[fd00:ec2::23]:80/v1/credentials",
        ] {
            let recorder = Arc::new(Recorder::default());
            let creds = ContainerProvider::new(recorder.clone())
                .with_env(empty_env(&[
                    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri),
                    ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file),
                ]))
                .provide_credentials_async()
                .await
                .unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert_eq!(creds.access_key_id(), "ASIAPOD");
            assert_eq!(
                *recorder.seen.lock().unwrap(),
                [(uri.to_owned(), Some(b"agent-token".to_vec()))]
            );
        }
        for uri in [
            "http://169.254.170.24/v1/credentials",
            "http://[fd00:ec2::24]/v1/credentials",
        ] {
            let recorder = Arc::new(Recorder::default());
            let err = ContainerProvider::new(recorder.clone())
                .with_env(empty_env(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)]))
                .provide_credentials_async()
                .await
                .unwrap_err();
            assert!(
                matches!(err, CredentialsError::InvalidConfig { .. }),
                "{uri}: {err}"
            );
            assert!(recorder.seen.lock().unwrap().is_empty());
        }
    });
}

// ------------------------------------------------------------------- STS

#[test]
fn assume_role_is_signed_and_parsed() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (endpoint, _) = serve(sts_handler(base_keys(), log.clone())).await;
        let source = Credentials::new("AKIDBASE", "basesecret")
            .unwrap()
            .with_session_token("basetoken")
            .unwrap();
        let provider = AssumeRoleProvider::new(
            transport(),
            Arc::new(source),
            "arn:aws:iam::123456789012:role/Reader",
            Region::new("eu-west-1").unwrap(),
        )
        .with_session_name("test-session")
        .with_duration(std::time::Duration::from_secs(900))
        .with_endpoint(endpoint);
        let creds = provider.provide_credentials_async().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIAREADER");
        assert_eq!(creds.secret_access_key(), "secret-Reader");
        assert_eq!(creds.session_token(), Some("token-Reader"));
        assert!(creds.expiry().is_some());
        assert_eq!(*log.lock().unwrap(), ["AssumeRole Reader in eu-west-1"]);
    });
}

#[test]
fn assume_role_errors_surface_code_and_message() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (endpoint, _) = serve(sts_handler(base_keys(), log)).await;
        let good = Credentials::new("AKIDBASE", "basesecret").unwrap().with_session_token("basetoken").unwrap();
        let err = AssumeRoleProvider::new(transport(), Arc::new(good), "arn:aws:iam::1:role/Forbidden", Region::new("us-east-1").unwrap())
            .with_endpoint(endpoint.clone())
            .provide_credentials_async()
            .await
            .unwrap_err();
        match &err {
            CredentialsError::Sts { action, status, code, message } => {
                assert_eq!((*action, *status, code.as_str()), ("AssumeRole", 403, "AccessDenied"));
                assert!(message.contains("sts:AssumeRole"));
            }
            other => panic!("{other:?}"),
        }
        // A wrong secret: the mock's signature check refuses it.
        let wrong = Credentials::new("AKIDBASE", "not-the-secret").unwrap().with_session_token("basetoken").unwrap();
        let err = AssumeRoleProvider::new(transport(), Arc::new(wrong), "arn:aws:iam::1:role/Reader", Region::new("us-east-1").unwrap())
            .with_endpoint(endpoint)
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CredentialsError::Sts { code, message, .. } if code == "SignatureDoesNotMatch" && message == "signature mismatch"),
            "{err}"
        );
        assert!(!err.to_string().contains("not-the-secret"));
    });
}

#[test]
fn web_identity_is_unsigned_and_reads_the_token_file() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (endpoint, _) = serve(sts_handler(HashMap::new(), log.clone())).await;
        let dir = TempDir::new();
        let token_file = dir.write("token", "oidc-token\n");
        let creds = WebIdentityProvider::new(transport())
            .with_env(empty_env(&[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/Pod"),
                ("AWS_ROLE_SESSION_NAME", "pod-session"),
            ]))
            .with_endpoint(endpoint)
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAWEB");
        assert_eq!(
            *log.lock().unwrap(),
            ["AssumeRoleWithWebIdentity Pod as pod-session"]
        );
        let err = WebIdentityProvider::new(transport())
            .with_env(empty_env(&[("AWS_ROLE_ARN", "arn:aws:iam::1:role/Pod")]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
    });
}

// -------------------------------------------------- profiles and the chain

#[test]
fn profile_role_chain_is_followed_through_sts() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (endpoint, _) = serve(sts_handler(base_keys(), log.clone())).await;
        let dir = TempDir::new();
        let config = dir.write(
            "config",
            "[profile app]\nrole_arn = arn:aws:iam::1:role/App\nsource_profile = middle\nrole_session_name = app-session\nregion = ap-south-1\n\
             [profile middle]\nrole_arn = arn:aws:iam::1:role/Middle\nsource_profile = base\n\
             [profile from-env]\nrole_arn = arn:aws:iam::1:role/FromEnv\ncredential_source = Environment\n",
        );
        let credentials = dir.write(
            "credentials",
            "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\naws_session_token = basetoken\n",
        );
        let env = empty_env(&[("AWS_CONFIG_FILE", &config), ("AWS_SHARED_CREDENTIALS_FILE", &credentials)]);
        let creds = ProfileProvider::new(transport())
            .with_env(env.clone())
            .with_profile("app")
            .with_sts_endpoint(endpoint.clone())
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAAPP");
        assert_eq!(
            *log.lock().unwrap(),
            ["AssumeRole Middle in ap-south-1", "AssumeRole App in ap-south-1"]
        );

        let env = empty_env(&[
            ("AWS_CONFIG_FILE", &config),
            ("AWS_SHARED_CREDENTIALS_FILE", &credentials),
            ("AWS_PROFILE", "from-env"),
            ("AWS_ACCESS_KEY_ID", "AKIDBASE"),
            ("AWS_SECRET_ACCESS_KEY", "basesecret"),
            ("AWS_SESSION_TOKEN", "basetoken"),
            ("AWS_REGION", "us-west-2"),
        ]);
        let creds = ProfileProvider::new(transport())
            .with_env(env)
            .with_sts_endpoint(endpoint)
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAFROMENV");
        assert_eq!(log.lock().unwrap().last().unwrap(), "AssumeRole FromEnv in us-west-2");
    });
}

#[test]
fn default_chain_order() {
    runtime().block_on(async {
        let (imds, imds_calls) = serve(imds_handler(IMDS_TOKEN)).await;
        // Nothing else configured: instance metadata answers.
        let chain = DefaultChain::new(transport())
            .with_env(empty_env(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)]));
        assert_eq!(
            chain
                .provide_credentials_async()
                .await
                .unwrap()
                .access_key_id(),
            "ASIAIMDS"
        );
        assert_eq!(imds_calls.load(Ordering::SeqCst), 3);

        // Container credentials come before instance metadata.
        let (container, _) = serve(container_handler("tok")).await;
        let uri = format!("{container}/v1/credentials");
        let chain = DefaultChain::new(transport()).with_env(empty_env(&[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"),
        ]));
        assert_eq!(
            chain
                .provide_credentials_async()
                .await
                .unwrap()
                .access_key_id(),
            "ASIACONT"
        );

        // The environment comes first, without any network call.
        let chain = DefaultChain::new(transport()).with_env(empty_env(&[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds),
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
        ]));
        assert_eq!(
            chain
                .provide_credentials_async()
                .await
                .unwrap()
                .access_key_id(),
            "AKIDENV"
        );
        assert_eq!(imds_calls.load(Ordering::SeqCst), 3);

        // A hard error stops the chain before instance metadata.
        let chain = DefaultChain::new(transport()).with_env(empty_env(&[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/"),
        ]));
        let err = chain.provide_credentials_async().await.unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfig { .. }),
            "{err}"
        );

        // Nothing anywhere: NotFound listing each link.
        let chain = DefaultChain::new(transport())
            .with_env(empty_env(&[("AWS_EC2_METADATA_DISABLED", "true")]));
        let err = chain.provide_credentials_async().await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
        for link in [
            "environment:",
            "profile:",
            "web identity:",
            "container:",
            "instance metadata:",
        ] {
            assert!(err.to_string().contains(link), "{err}");
        }
    });
}

/// Metadata and container answers are read to 64 KiB at most, by the
/// hyper transport (it stops reading) and by the providers whatever the
/// transport does; an endpoint's error text is repeated on one line of at
/// most 512 characters.
#[test]
fn responses_are_bounded() {
    use sigv4::credentials::net::{
        ResponseLimit, TransportError, TransportFuture, MAX_RESPONSE_BYTES,
    };
    let huge = format!(
        r#"{{"AccessKeyId":"ASIACONT","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z","Pad":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    runtime().block_on(async {
        let body = huge.clone();
        let (endpoint, _) = serve(Arc::new(move |_| (200, body.clone()))).await;
        let container = |uri: String, transport: Arc<dyn HttpTransport>| {
            ContainerProvider::new(transport)
                .with_env(empty_env(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)]))
        };
        let err = container(format!("{endpoint}/v1/credentials"), transport())
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("the response body is longer than 65536 bytes"),
            "{err}"
        );
        let err = ImdsProvider::new(transport())
            .with_env(empty_env(&[(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                &endpoint,
            )]))
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("longer than 65536 bytes"), "{err}");

        // A transport that reads everything: the provider still refuses,
        // and it was told the limit.
        struct Greedy(String);
        impl HttpTransport for Greedy {
            fn send(&self, request: http::Request<Vec<u8>>) -> TransportFuture<'_> {
                let limit = request.extensions().get::<ResponseLimit>().copied();
                Box::pin(async move {
                    assert_eq!(limit, Some(ResponseLimit::new(MAX_RESPONSE_BYTES)));
                    http::Response::builder()
                        .body(self.0.clone().into_bytes())
                        .map_err(|e| TransportError::Other {
                            reason: e.to_string(),
                        })
                })
            }
        }
        let err = container(
            "http://127.0.0.1:1/v1/credentials".into(),
            Arc::new(Greedy(huge.clone())),
        )
        .provide_credentials_async()
        .await
        .unwrap_err();
        assert!(err.to_string().contains("longer than 65536 bytes"), "{err}");

        // Error text from the endpoint: one line, bounded.
        let message = format!("\u{1b}[2J{}\n\rend", "m".repeat(2000));
        let error_body = format!(
            r#"{{"Code":"Denied","Message":"{}"}}"#,
            message
                .replace('\n', "\\n")
                .replace('\r', "\\r")
                .replace('\u{1b}', "\\u001b")
        );
        let (endpoint, _) = serve(Arc::new(move |_| (403, error_body.clone()))).await;
        let err = container(format!("{endpoint}/v1/credentials"), transport())
            .provide_credentials_async()
            .await
            .unwrap_err();
        let CredentialsError::HttpStatus { detail, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(detail.starts_with("Denied: [2Jmmm"), "{detail}");
        assert_eq!(detail.chars().count(), 512);
        assert!(!detail.chars().any(char::is_control));
    });
}

// ------------------------------------------------- configured STS endpoints

/// A profile `app` assuming role `App` from static keys in `base`, with
/// `extra` lines in its config section (and any sections after it).
fn role_files(dir: &TempDir, extra: &str) -> Vec<(String, String)> {
    let config = dir.write(
        "config",
        &format!(
            "[profile app]\nrole_arn = arn:aws:iam::1:role/App\nsource_profile = base\nregion = ap-south-1\n{extra}"
        ),
    );
    let credentials = dir.write(
        "credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = basesecret\naws_session_token = basetoken\n",
    );
    vec![
        ("AWS_CONFIG_FILE".to_owned(), config),
        ("AWS_SHARED_CREDENTIALS_FILE".to_owned(), credentials),
        ("AWS_PROFILE".to_owned(), "app".to_owned()),
    ]
}

/// Variables added to an environment.
type Vars<'a> = Vec<(&'a str, &'a str)>;

fn env_of(files: &[(String, String)], extra: &[(&str, &str)]) -> sigv4::credentials::Env {
    let mut pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.extend_from_slice(extra);
    empty_env(&pairs)
}

#[test]
fn sts_endpoint_comes_from_each_configured_setting_in_order() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (right, right_calls) = serve(sts_handler(base_keys(), log.clone())).await;
        // Answers nothing an STS would: reaching it fails the test.
        let (wrong, wrong_calls) = serve(Arc::new(|_| (418, String::new()))).await;
        let dir = TempDir::new();
        let services = |url: &str| format!("services = local\n[services local]\nsts =\n  endpoint_url = {url}\ns3 =\n  endpoint_url = {wrong}\n");
        let cases: Vec<(&str, String, Vars)> = vec![
            (
                "AWS_ENDPOINT_URL_STS first",
                format!("endpoint_url = {wrong}\n{}", services(&wrong)),
                vec![("AWS_ENDPOINT_URL_STS", right.as_str()), ("AWS_ENDPOINT_URL", wrong.as_str())],
            ),
            (
                "then AWS_ENDPOINT_URL",
                format!("endpoint_url = {wrong}\n{}", services(&wrong)),
                vec![("AWS_ENDPOINT_URL", right.as_str())],
            ),
            (
                "then the profile's services section",
                format!("endpoint_url = {wrong}\n{}", services(&right)),
                vec![],
            ),
            ("then the profile's endpoint_url", format!("endpoint_url = {right}\n"), vec![]),
            (
                "false ignore flag",
                format!("endpoint_url = {right}\nignore_configured_endpoint_urls = false\n"),
                vec![],
            ),
        ];
        for (n, (what, extra, vars)) in cases.into_iter().enumerate() {
            let env = env_of(&role_files(&dir, &extra), &vars);
            let creds = ProfileProvider::new(transport())
                .with_env(env.clone())
                .provide_credentials_async()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(creds.access_key_id(), "ASIAAPP", "{what}");
            assert_eq!(right_calls.load(Ordering::SeqCst), n + 1, "{what}");
            assert_eq!(wrong_calls.load(Ordering::SeqCst), 0, "{what}");
            // The default chain's profile link resolves it the same way.
            let creds = DefaultChain::new(transport())
                .with_env(env)
                .provide_credentials_async()
                .await
                .unwrap_or_else(|e| panic!("{what} (chain): {e}"));
            assert_eq!(creds.access_key_id(), "ASIAAPP", "{what}");
            right_calls.fetch_sub(1, Ordering::SeqCst);
        }
        // The mock checked each signature; all were in the profile's region.
        assert!(log.lock().unwrap().iter().all(|l| l == "AssumeRole App in ap-south-1"));
        assert_eq!(log.lock().unwrap().len(), 10);

        // An explicit endpoint wins over every configured one.
        let env = env_of(
            &role_files(&dir, &format!("endpoint_url = {wrong}\n")),
            &[("AWS_ENDPOINT_URL_STS", wrong.as_str())],
        );
        ProfileProvider::new(transport())
            .with_env(env.clone())
            .with_sts_endpoint(right.clone())
            .provide_credentials_async()
            .await
            .unwrap();
        DefaultChain::new(transport())
            .with_env(env)
            .with_sts_endpoint(right.clone())
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(wrong_calls.load(Ordering::SeqCst), 0);

        // A configured endpoint that is not a URL names its setting.
        let env = env_of(&role_files(&dir, ""), &[("AWS_ENDPOINT_URL_STS", "localhost:4566")]);
        let err = ProfileProvider::new(transport())
            .with_env(env)
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with("invalid AWS_ENDPOINT_URL_STS:"), "{err}");
    });
}

/// Records where each request was meant to go, and delivers it to a local
/// mock instead (with its `host` header, so the mock checks the signature
/// made for the real host).
struct Redirect {
    to: String,
    inner: Arc<dyn HttpTransport>,
    seen: std::sync::Mutex<Vec<String>>,
}

impl HttpTransport for Redirect {
    fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> sigv4::credentials::net::TransportFuture<'_> {
        self.seen.lock().unwrap().push(request.uri().to_string());
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = format!("{}{path}", self.to).parse().unwrap();
        self.inner.send(request)
    }
}

#[test]
fn ignoring_configured_endpoints_and_the_regional_default() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (sts, _) = serve(sts_handler(base_keys(), log.clone())).await;
        let redirect = Arc::new(Redirect {
            to: sts,
            inner: transport(),
            seen: std::sync::Mutex::new(Vec::new()),
        });
        let dir = TempDir::new();
        let configured = "endpoint_url = http://127.0.0.1:1\nservices = s\n[services s]\nsts =\n  endpoint_url = http://127.0.0.1:1\n";
        let cases: Vec<(&str, String, Vars, &str)> = vec![
            (
                "the variable",
                configured.to_owned(),
                vec![
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                    ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
                ],
                "https://sts.ap-south-1.amazonaws.com/",
            ),
            (
                "the profile key",
                format!("ignore_configured_endpoint_urls = true\n{configured}"),
                vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
                "https://sts.ap-south-1.amazonaws.com/",
            ),
            (
                "nothing configured",
                String::new(),
                vec![],
                "https://sts.ap-south-1.amazonaws.com/",
            ),
        ];
        for (what, extra, vars, expected) in cases {
            let env = env_of(&role_files(&dir, &extra), &vars);
            let creds = ProfileProvider::new(redirect.clone())
                .with_env(env)
                .provide_credentials_async()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(creds.access_key_id(), "ASIAAPP");
            assert_eq!(redirect.seen.lock().unwrap().pop().as_deref(), Some(expected), "{what}");
        }
        // No region in the profile or the environment: us-east-1; China
        // has its own domain.
        for (region, expected) in [
            ("", "https://sts.us-east-1.amazonaws.com/"),
            ("region = cn-north-1\n", "https://sts.cn-north-1.amazonaws.com.cn/"),
        ] {
            let files = role_files(&dir, "");
            let config = std::fs::read_to_string(&files[0].1)
                .unwrap()
                .replace("region = ap-south-1\n", region);
            std::fs::write(&files[0].1, config).unwrap();
            ProfileProvider::new(redirect.clone())
                .with_env(env_of(&files, &[]))
                .provide_credentials_async()
                .await
                .unwrap();
            assert_eq!(redirect.seen.lock().unwrap().pop().as_deref(), Some(expected));
        }
        assert_eq!(
            log.lock().unwrap()[3..],
            ["AssumeRole App in us-east-1", "AssumeRole App in cn-north-1"]
        );
    });
}

#[test]
fn web_identity_and_assume_role_providers_use_the_configured_endpoint() {
    runtime().block_on(async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (sts, calls) = serve(sts_handler(base_keys(), log.clone())).await;
        let dir = TempDir::new();
        let token_file = dir.write("token", "oidc-token\n");
        let config = dir.write(
            "config",
            &format!("[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = {sts}\n\
                      [profile pod]\nrole_arn = arn:aws:iam::1:role/ProfilePod\nweb_identity_token_file = {token_file}\nendpoint_url = {sts}\n"),
        );
        let files = [("AWS_CONFIG_FILE", config.as_str()), ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")];
        let web = |transport: Arc<dyn HttpTransport>, extra: &[(&str, &str)]| {
            let mut vars = files.to_vec();
            vars.extend_from_slice(&[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.as_str()),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/Pod"),
                ("AWS_ROLE_SESSION_NAME", "pod-session"),
            ]);
            vars.extend_from_slice(extra);
            WebIdentityProvider::new(transport).with_env(empty_env(&vars))
        };
        // The default profile's services section.
        web(transport(), &[]).provide_credentials_async().await.unwrap();
        // AWS_ENDPOINT_URL_STS, with a profile that would say otherwise.
        web(
            transport(),
            &[("AWS_ENDPOINT_URL_STS", sts.as_str()), ("AWS_PROFILE", "pod")],
        )
        .provide_credentials_async()
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // Ignored: the regional endpoint (us-east-1 without a region).
        let redirect = Arc::new(Redirect {
            to: sts.clone(),
            inner: transport(),
            seen: std::sync::Mutex::new(Vec::new()),
        });
        web(redirect.clone(), &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")])
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(
            *redirect.seen.lock().unwrap(),
            ["https://sts.us-east-1.amazonaws.com/"]
        );

        // A profile's web identity role, through its endpoint_url.
        let creds = ProfileProvider::new(transport())
            .with_env(empty_env(&files))
            .with_profile("pod")
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAWEB");

        // AssumeRoleProvider reads the environment it is given.
        let source = Credentials::new("AKIDBASE", "basesecret")
            .unwrap()
            .with_session_token("basetoken")
            .unwrap();
        let creds = AssumeRoleProvider::new(
            transport(),
            Arc::new(source),
            "arn:aws:iam::1:role/Direct",
            Region::new("eu-central-1").unwrap(),
        )
        .with_env(empty_env(&[("AWS_ENDPOINT_URL", sts.as_str())]))
        .provide_credentials_async()
        .await
        .unwrap();
        assert_eq!(creds.access_key_id(), "ASIADIRECT");
        let log = log.lock().unwrap();
        assert_eq!(log[..3], ["AssumeRoleWithWebIdentity Pod as pod-session"; 3]);
        assert!(
            log[3].starts_with("AssumeRoleWithWebIdentity ProfilePod as sigv4-rust-"),
            "{}",
            log[3]
        );
        assert_eq!(log[4..], ["AssumeRole Direct in eu-central-1"]);
    });
}
