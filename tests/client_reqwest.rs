//! `client::SigV4Middleware` and `client::sign_reqwest` against the local
//! verifying Neptune-like server (tests/support/neptune_server.rs) on
//! 127.0.0.1: SPARQL GET and POST verify; a bytes body is hashed; a
//! streaming body is refused, sent unsigned or aws-chunked as the policy
//! says (each checked at the server); a retry through the middleware chain
//! is signed again; headers a caller or an earlier signature left are
//! replaced.

#[path = "support/flaky_server.rs"]
mod flaky_server;
#[path = "support/neptune_server.rs"]
mod neptune_server;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Extensions, StatusCode};
use http_body::{Body, Frame, SizeHint};
use neptune_server::{demo_credentials, ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_TEMP_ACCESS_KEY_ID};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use sigv4::client::{
    sign_reqwest, BodyPolicy, ClientError, ClientOptions, OverLimit, SigV4Middleware,
};
use sigv4::credentials::{
    AsyncCachingProvider, Clock, CredentialsError, CredentialsFuture, ProvideCredentialsAsync,
};
use sigv4::neptune::{Endpoint, NeptuneService};
use sigv4::{Credentials, Signer, SigningTime};

fn long_term() -> Credentials {
    demo_credentials()
        .into_iter()
        .find(|c| c.access_key_id() == DEMO_ACCESS_KEY_ID)
        .unwrap()
}

fn temporary() -> Credentials {
    demo_credentials()
        .into_iter()
        .find(|c| c.access_key_id() == DEMO_TEMP_ACCESS_KEY_ID)
        .unwrap()
}

fn cached(credentials: Credentials) -> Arc<dyn ProvideCredentialsAsync> {
    let source: Arc<dyn ProvideCredentialsAsync> = Arc::new(credentials);
    Arc::new(AsyncCachingProvider::new(source))
}

fn signer() -> Signer {
    Signer::neptune("us-east-1").unwrap()
}

/// A plain reqwest client (rustls with ring, as the crate uses it).
fn reqwest_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn with_middleware(middleware: SigV4Middleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest_client())
        .with(middleware)
        .build()
}

async fn server() -> (neptune_server::RunningServer, Endpoint) {
    let server = neptune_server::start(ServerConfig::default())
        .await
        .unwrap();
    let endpoint =
        Endpoint::from_url(&server.endpoint(), "us-east-1", NeptuneService::Database).unwrap();
    (server, endpoint)
}

fn reqwest_request(request: http::Request<Vec<u8>>) -> reqwest::Request {
    reqwest::Request::try_from(request).unwrap()
}

/// What came back: the status, the headers and the body as text.
struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Self {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// The openCypher query the server echoes back.
    fn echoed(&self) -> String {
        let json: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        json["results"][0]["n"]["~properties"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A streaming body: a byte at a time, with an exact size hint or none.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    hint: bool,
}

impl Body for Trickle {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let at = self.at;
        if at == self.data.len() {
            return Poll::Ready(None);
        }
        self.at += 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
            &self.data[at..=at],
        )))))
    }

    fn size_hint(&self) -> SizeHint {
        if self.hint {
            SizeHint::with_exact((self.data.len() - self.at) as u64)
        } else {
            SizeHint::new()
        }
    }
}

const QUERY: &str = "MATCH (n) WHERE n.name = 'streamed' RETURN n";

/// `POST /openCypher` with `QUERY` as a streaming form body.
fn streaming_cypher(endpoint: &Endpoint, hint: bool) -> reqwest::Request {
    let mut request = reqwest::Request::new(
        reqwest::Method::POST,
        format!("{}/openCypher", endpoint.base()).parse().unwrap(),
    );
    request.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let data = format!("query={}", QUERY.replace(' ', "+")).into_bytes();
    *request.body_mut() = Some(reqwest::Body::wrap(Trickle { data, at: 0, hint }));
    request
}

fn options(over_limit: OverLimit) -> ClientOptions {
    ClientOptions::default().with_body_policy(BodyPolicy::default().with_over_limit(over_limit))
}

#[tokio::test]
async fn the_middleware_signs_sparql_get_and_post() {
    let (_server, endpoint) = server().await;
    let client = with_middleware(SigV4Middleware::new(signer(), cached(long_term())));

    let get = reqwest_request(
        endpoint
            .sparql_query_get("SELECT ?s WHERE { ?s ?p ?o }")
            .unwrap(),
    );
    let got = Answer::of(client.execute(get).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(got.body.contains("\"bindings\""), "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
    assert_eq!(got.header("x-local-payload"), "Checked");

    // Through reqwest's own builder: a form body is bytes, hashed.
    let got = client
        .post(format!("{}/sparql", endpoint.base()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=ASK%20%7B%7D")
        .send()
        .await
        .unwrap();
    let got = Answer::of(got).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body, r#"{"boolean":true,"head":{}}"#);
    assert_eq!(got.header("x-local-payload"), "Checked");
}

#[tokio::test]
async fn sign_reqwest_hashes_a_bytes_body() {
    let (_server, endpoint) = server().await;
    let mut request = reqwest_request(endpoint.sparql_query("ASK {}").unwrap());
    sign_reqwest(
        &signer(),
        &mut request,
        &temporary(),
        SigningTime::now(),
        &ClientOptions::default(),
    )
    .unwrap();
    let got = Answer::of(reqwest_client().execute(request).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-payload"), "Checked");
    assert_eq!(got.header("x-local-access-key"), DEMO_TEMP_ACCESS_KEY_ID);

    // The hash covers the body: another body with the same signature fails.
    let mut request = reqwest_request(endpoint.sparql_query("ASK {}").unwrap());
    sign_reqwest(
        &signer(),
        &mut request,
        &long_term(),
        SigningTime::now(),
        &ClientOptions::default(),
    )
    .unwrap();
    *request.body_mut() = Some(reqwest::Body::from("update=DROP+ALL"));
    let got = Answer::of(reqwest_client().execute(request).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
}

#[tokio::test]
async fn a_streaming_body_is_refused_by_default() {
    let (_server, endpoint) = server().await;
    let mut request = streaming_cypher(&endpoint, true);
    let before = request.headers().clone();
    let err = sign_reqwest(
        &signer(),
        &mut request,
        &long_term(),
        SigningTime::now(),
        &ClientOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::StreamingBody), "{err:?}");
    assert_eq!(request.headers(), &before, "unchanged on error");

    // Through the middleware: the error is the middleware's, and says why.
    let client = with_middleware(SigV4Middleware::new(signer(), cached(long_term())));
    let err = client
        .execute(streaming_cypher(&endpoint, true))
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(err) = err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            err.downcast_ref::<ClientError>(),
            Some(ClientError::StreamingBody)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_streaming_body_can_go_unsigned_or_aws_chunked() {
    let (_server, endpoint) = server().await;
    for hint in [true, false] {
        let client = with_middleware(
            SigV4Middleware::new(signer(), cached(long_term()))
                .with_options(options(OverLimit::Unsigned)),
        );
        let got = Answer::of(
            client
                .execute(streaming_cypher(&endpoint, hint))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.header("x-local-payload"), "Unsigned");
        assert_eq!(got.echoed(), QUERY);
    }

    let chunked = options(OverLimit::Chunked { chunk_size: 8 });
    let mut request = streaming_cypher(&endpoint, true);
    sign_reqwest(
        &signer(),
        &mut request,
        &temporary(),
        SigningTime::now(),
        &chunked,
    )
    .unwrap();
    let got = Answer::of(reqwest_client().execute(request).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-payload"), "Chunked(Signed)");
    assert_eq!(got.echoed(), QUERY);

    let mut request = streaming_cypher(&endpoint, false);
    let err = sign_reqwest(
        &signer(),
        &mut request,
        &temporary(),
        SigningTime::now(),
        &chunked,
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::UnknownLength { .. }), "{err:?}");
}

/// Sends a request again when the answer is 503, through the rest of the
/// chain (as reqwest-retry does).
struct RetryOn503;

#[async_trait::async_trait]
impl Middleware for RetryOn503 {
    async fn handle(
        &self,
        request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let again = request.try_clone();
        let response = next.clone().run(request, extensions).await?;
        match again {
            Some(again) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                next.run(again, extensions).await
            }
            _ => Ok(response),
        }
    }
}

/// A second later at every reading.
struct Ticking {
    start: SystemTime,
    ticks: AtomicU64,
}

impl Clock for Ticking {
    fn now(&self) -> SystemTime {
        self.start + Duration::from_secs(self.ticks.fetch_add(1, Ordering::SeqCst))
    }
}

#[tokio::test]
async fn a_retry_through_the_chain_is_signed_again_and_verifies() {
    let (url, seen) = flaky_server::start().await;
    let clock = Arc::new(Ticking {
        start: SystemTime::now(),
        ticks: AtomicU64::new(0),
    });
    let client = ClientBuilder::new(reqwest_client())
        .with(RetryOn503)
        .with(SigV4Middleware::new(signer(), cached(long_term())).with_clock(clock))
        .build();
    let response = client
        .post(format!("{url}/sparql"))
        .body("query=ASK%20%7B%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "both attempts verified: {seen:?}");
    assert_ne!(seen[0], seen[1], "the retry carries a new signature");
}

#[tokio::test]
async fn signature_headers_already_on_the_request_are_replaced() {
    let (_server, endpoint) = server().await;
    let client = with_middleware(SigV4Middleware::new(signer(), cached(long_term())));

    let mut request = reqwest_request(endpoint.sparql_query("ASK {}").unwrap());
    for (name, value) in [
        ("authorization", "Bearer not-this"),
        ("x-amz-date", "19990101T000000Z"),
        ("x-amz-security-token", "not-this-either"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        request.headers_mut().append(name, value.parse().unwrap());
    }
    let got = Answer::of(client.execute(request).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
    assert_eq!(got.header("x-local-payload"), "Checked");

    // Signed before with temporary credentials, then sent through the
    // middleware: its token must not stay behind.
    let mut request = reqwest_request(endpoint.sparql_query("ASK {}").unwrap());
    sign_reqwest(
        &signer(),
        &mut request,
        &temporary(),
        SigningTime::now(),
        &ClientOptions::default(),
    )
    .unwrap();
    assert!(request.headers().contains_key("x-amz-security-token"));
    let got = Answer::of(client.execute(request).await.unwrap()).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
}

#[tokio::test]
async fn the_sign_host_is_signed_and_sent() {
    let (_server, endpoint) = server().await;
    let options = ClientOptions::default()
        .with_sign_host("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182")
        .unwrap();
    let client =
        with_middleware(SigV4Middleware::new(signer(), cached(long_term())).with_options(options));
    let got = Answer::of(
        client
            .execute(reqwest_request(endpoint.status().unwrap()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        got.header("x-local-host"),
        "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182"
    );
}

struct NoCredentials;

impl ProvideCredentialsAsync for NoCredentials {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async { Err(CredentialsError::not_found("test", "none here")) })
    }
}

#[tokio::test]
async fn a_credentials_failure_is_the_middlewares_error() {
    let (_server, endpoint) = server().await;
    let client = with_middleware(SigV4Middleware::new(signer(), Arc::new(NoCredentials)));
    let err = client
        .execute(reqwest_request(endpoint.status().unwrap()))
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(err) = err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            err.downcast_ref::<ClientError>(),
            Some(ClientError::Credentials(_))
        ),
        "{err:?}"
    );
}
