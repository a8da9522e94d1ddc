//! `client::SignLayer` over hyper-util's client, against the local
//! verifying Neptune-like server (tests/support/neptune_server.rs) on
//! 127.0.0.1: SPARQL GET and POST verify; tower's retry middleware around
//! the layer re-signs the retry; a caching provider's rotation reaches
//! later requests; bodies over the limit are refused, sent unsigned or
//! aws-chunked as the policy says (each checked at the server); headers a
//! caller or an earlier signature left are replaced.

#[path = "support/flaky_server.rs"]
mod flaky_server;
#[path = "support/neptune_server.rs"]
mod neptune_server;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use neptune_server::{demo_credentials, ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_TEMP_ACCESS_KEY_ID};
use sigv4::client::{BodyPolicy, ClientError, OverLimit, SignLayer, SignService, SignedBody};
use sigv4::credentials::{
    AsyncCachingProvider, CacheSettings, Clock, CredentialsError, CredentialsFuture,
    ProvideCredentialsAsync,
};
use sigv4::neptune::{Endpoint, NeptuneService};
use sigv4::{Credentials, Signer, SigningTime};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type AnyBody = BoxBody<Bytes, BoxError>;
type HyperClient<B> = Client<HttpConnector, SignedBody<B>>;

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

fn client<B>() -> HyperClient<B>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    Client::builder(TokioExecutor::new()).build_http()
}

fn layer(provider: Arc<dyn ProvideCredentialsAsync>) -> SignLayer {
    SignLayer::new(Signer::neptune("us-east-1").unwrap(), provider)
}

fn boxed<B>(request: Request<B>) -> Request<AnyBody>
where
    B: Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    request.map(|b| b.map_err(Into::into).boxed())
}

fn full(request: Request<Vec<u8>>) -> Request<AnyBody> {
    boxed(request.map(|b| Full::new(Bytes::from(b))))
}

/// What came back: the status, the headers and the body as text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }
}

async fn answer<B: Body>(response: Response<B>) -> Answer
where
    B::Error: std::fmt::Debug,
{
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn send<B>(
    service: &SignService<HyperClient<B>>,
    request: Request<B>,
) -> Result<Answer, ClientError<hyper_util::client::legacy::Error>>
where
    B: Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let response = service.clone().oneshot(request).await?;
    Ok(answer(response).await)
}

async fn server() -> (neptune_server::RunningServer, Endpoint) {
    let server = neptune_server::start(ServerConfig::default())
        .await
        .unwrap();
    let endpoint =
        Endpoint::from_url(&server.endpoint(), "us-east-1", NeptuneService::Database).unwrap();
    (server, endpoint)
}

/// A form body of exactly `len` bytes: `query=<the query><spaces>`.
fn form_of_len(query: &str, len: usize) -> Vec<u8> {
    let mut body = format!("query={}", query.replace(' ', "+")).into_bytes();
    assert!(body.len() <= len);
    body.resize(len, b'+');
    body
}

/// The openCypher query the server echoes back for `body`.
fn echoed(answer: &Answer) -> String {
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    json["results"][0]["n"]["~properties"]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A body given a byte at a time with no size hint (`hint` false) or an
/// exact one.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    hint: bool,
}

impl Trickle {
    fn new(data: Vec<u8>, hint: bool) -> Self {
        Self { data, at: 0, hint }
    }
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

fn cypher_post(
    endpoint: &Endpoint,
    body: impl Body<Data = Bytes, Error = std::convert::Infallible> + Send + Sync + 'static,
) -> Request<AnyBody> {
    boxed(
        Request::post(format!("{}/openCypher", endpoint.base()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .unwrap(),
    )
}

#[tokio::test]
async fn sparql_get_and_post_are_signed_and_verify() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(long_term())).layer(client::<AnyBody>());

    let get = full(
        endpoint
            .sparql_query_get("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
            .unwrap(),
    );
    let got = send(&service, get).await.unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(got.body.contains("\"bindings\""), "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
    assert_eq!(got.header("x-local-payload"), "Checked");

    let post = full(endpoint.sparql_query("ASK { ?s ?p ?o }").unwrap());
    let got = send(&service, post).await.unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body, r#"{"boolean":true,"head":{}}"#);
    assert_eq!(got.header("x-local-payload"), "Checked");

    // Temporary credentials: the session token is signed and sent.
    let service = layer(cached(temporary())).layer(client::<AnyBody>());
    let post = full(endpoint.sparql_query("ASK { ?s ?p ?o }").unwrap());
    let got = send(&service, post).await.unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_TEMP_ACCESS_KEY_ID);
}

/// A clock a second later at every reading: each signature has its own
/// time, as retries a second apart would.
struct Ticking {
    start: SystemTime,
    ticks: AtomicU64,
}

impl Clock for Ticking {
    fn now(&self) -> SystemTime {
        self.start + Duration::from_secs(self.ticks.fetch_add(1, Ordering::SeqCst))
    }
}

/// Retries a 503 once.
#[derive(Clone)]
struct RetryOnce(Arc<AtomicUsize>);

impl<B, E> tower::retry::Policy<Request<Full<Bytes>>, Response<B>, E> for RetryOnce {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut Request<Full<Bytes>>,
        result: &mut Result<Response<B>, E>,
    ) -> Option<Self::Future> {
        let unavailable = matches!(result, Ok(r) if r.status() == StatusCode::SERVICE_UNAVAILABLE);
        (unavailable && self.0.fetch_add(1, Ordering::SeqCst) == 0).then(|| std::future::ready(()))
    }

    fn clone_request(&mut self, request: &Request<Full<Bytes>>) -> Option<Request<Full<Bytes>>> {
        let mut clone = Request::new(request.body().clone());
        *clone.method_mut() = request.method().clone();
        *clone.uri_mut() = request.uri().clone();
        *clone.headers_mut() = request.headers().clone();
        Some(clone)
    }
}

#[tokio::test]
async fn a_retry_through_tower_retry_is_signed_again_and_verifies() {
    let (url, seen) = flaky_server::start().await;
    let clock = Arc::new(Ticking {
        start: SystemTime::now(),
        ticks: AtomicU64::new(0),
    });
    let retries = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        .retry(RetryOnce(retries.clone()))
        .layer(layer(cached(long_term())).with_clock(clock))
        .service(client::<Full<Bytes>>());
    let request = Request::post(format!("{url}/sparql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"query=ASK%20%7B%7D")))
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(retries.load(Ordering::SeqCst), 1);
    let seen = seen.lock().unwrap();
    // Both attempts reached the service behind the verifier: both verified.
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_ne!(seen[0], seen[1], "the retry carries a new signature");
}

/// A source that hands out `long_term()` first, expiring 15 minutes after
/// its clock's now, then `temporary()`: what a rotating role looks like to
/// the cache in front of it.
struct Rotating {
    clock: Arc<Stepped>,
    calls: AtomicUsize,
}

impl ProvideCredentialsAsync for Rotating {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        let now = self.clock.now();
        let creds = match self.calls.fetch_add(1, Ordering::SeqCst) {
            0 => long_term(),
            _ => temporary(),
        };
        Box::pin(async move { Ok(creds.with_expiry(now + Duration::from_secs(900))) })
    }
}

/// A clock moved by hand.
struct Stepped(Mutex<SystemTime>);

impl Clock for Stepped {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn rotated_credentials_reach_later_requests() {
    let (_server, endpoint) = server().await;
    let clock = Arc::new(Stepped(Mutex::new(SystemTime::now())));
    let source = Arc::new(Rotating {
        clock: clock.clone(),
        calls: AtomicUsize::new(0),
    });
    let source_dyn: Arc<dyn ProvideCredentialsAsync> = source.clone();
    let provider: Arc<dyn ProvideCredentialsAsync> = Arc::new(AsyncCachingProvider::with_settings(
        source_dyn,
        CacheSettings::default().with_jitter(Duration::ZERO),
        clock.clone(),
    ));
    let service =
        SignLayer::new(Signer::neptune("us-east-1").unwrap(), provider).layer(client::<AnyBody>());
    let status = || full(endpoint.status().unwrap());

    for _ in 0..2 {
        let got = send(&service, status()).await.unwrap();
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
    }
    assert_eq!(
        source.calls.load(Ordering::SeqCst),
        1,
        "served from the cache"
    );

    // Into the refresh window: the cache asks again, and gets the new key.
    *clock.0.lock().unwrap() += Duration::from_secs(700);
    for _ in 0..2 {
        let got = send(&service, status()).await.unwrap();
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.header("x-local-access-key"), DEMO_TEMP_ACCESS_KEY_ID);
    }
    assert_eq!(source.calls.load(Ordering::SeqCst), 2);
}

const LIMIT: usize = 64;

fn policy(over_limit: OverLimit) -> BodyPolicy {
    BodyPolicy::default()
        .with_limit(LIMIT)
        .with_over_limit(over_limit)
}

#[tokio::test]
async fn bodies_up_to_the_limit_are_hashed_and_larger_ones_refused() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(long_term()))
        .with_body_policy(policy(OverLimit::Refuse))
        .layer(client::<AnyBody>());

    for hint in [true, false] {
        let at = form_of_len("MATCH (n) RETURN n", LIMIT);
        let got = send(&service, cypher_post(&endpoint, Trickle::new(at, hint)))
            .await
            .unwrap();
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.header("x-local-payload"), "Checked");
        assert!(echoed(&got).starts_with("MATCH (n) RETURN n"));

        let over = form_of_len("MATCH (n) RETURN n", LIMIT + 1);
        let err = send(&service, cypher_post(&endpoint, Trickle::new(over, hint)))
            .await
            .err()
            .expect("refused");
        let length = hint.then_some(LIMIT as u64 + 1);
        assert!(
            matches!(err, ClientError::BodyTooLarge { limit: LIMIT, length: l } if l == length),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn bodies_over_the_limit_can_go_unsigned() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(long_term()))
        .with_body_policy(policy(OverLimit::Unsigned))
        .layer(client::<AnyBody>());
    let query = format!("MATCH (n) WHERE n.name = '{}' RETURN n", "x".repeat(100));
    for hint in [true, false] {
        let body = format!("query={}", query.replace(' ', "+")).into_bytes();
        let got = send(&service, cypher_post(&endpoint, Trickle::new(body, hint)))
            .await
            .unwrap();
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.header("x-local-payload"), "Unsigned");
        // Read past the limit or not, every byte arrives once.
        assert_eq!(echoed(&got), query);
    }
    // Within the limit, still hashed.
    let small = full(endpoint.sparql_query("ASK {}").unwrap());
    let got = send(&service, small).await.unwrap();
    assert_eq!(got.header("x-local-payload"), "Checked");
}

#[tokio::test]
async fn bodies_over_the_limit_can_go_aws_chunked() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(temporary()))
        .with_body_policy(policy(OverLimit::Chunked { chunk_size: 16 }))
        .layer(client::<AnyBody>());
    let query = format!("MATCH (n) WHERE n.name = '{}' RETURN n", "y".repeat(100));
    let body = format!("query={}", query.replace(' ', "+")).into_bytes();
    let got = send(
        &service,
        cypher_post(&endpoint, Trickle::new(body.clone(), true)),
    )
    .await
    .unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-payload"), "Chunked(Signed)");
    assert_eq!(got.header("x-local-access-key"), DEMO_TEMP_ACCESS_KEY_ID);
    assert_eq!(echoed(&got), query);

    // Without a known length, aws-chunked cannot be signed.
    let err = send(&service, cypher_post(&endpoint, Trickle::new(body, false)))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(err, ClientError::UnknownLength { limit: LIMIT }),
        "{err:?}"
    );
}

#[tokio::test]
async fn signature_headers_already_on_the_request_are_replaced() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(long_term())).layer(client::<AnyBody>());

    // Set by the caller.
    let mut request = endpoint.sparql_query("ASK {}").unwrap();
    for (name, value) in [
        ("authorization", "Bearer not-this"),
        ("x-amz-date", "19990101T000000Z"),
        ("x-amz-security-token", "not-this-either"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        request.headers_mut().append(name, value.parse().unwrap());
    }
    let got = send(&service, full(request)).await.unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
    assert_eq!(got.header("x-local-payload"), "Checked");

    // Left by an earlier signature with other (temporary) credentials.
    let mut request = endpoint.sparql_query("ASK {}").unwrap();
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut request, &temporary(), SigningTime::now())
        .unwrap();
    assert!(request.headers().contains_key("x-amz-security-token"));
    let got = send(&service, full(request)).await.unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("x-local-access-key"), DEMO_ACCESS_KEY_ID);
}

#[tokio::test]
async fn the_sign_host_is_signed_and_sent() {
    let (_server, endpoint) = server().await;
    let service = layer(cached(long_term()))
        .with_sign_host("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182")
        .unwrap()
        .layer(client::<AnyBody>());
    let got = send(&service, full(endpoint.status().unwrap()))
        .await
        .unwrap();
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
async fn failures_say_which_step_failed() {
    let (_server, endpoint) = server().await;
    let service = layer(Arc::new(NoCredentials)).layer(client::<AnyBody>());
    let err = send(&service, full(endpoint.status().unwrap()))
        .await
        .err()
        .expect("no credentials");
    assert!(matches!(err, ClientError::Credentials(_)), "{err:?}");

    // Nobody listens there: the inner client's error, as it is.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let mut service = layer(cached(long_term())).layer(client::<AnyBody>());
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .unwrap();
    let request = full(
        Request::get(format!("http://{addr}/status"))
            .body(Vec::new())
            .unwrap(),
    );
    let err = service.call(request).await.unwrap_err();
    let ClientError::Service(inner) = err else {
        panic!("{err:?}")
    };
    assert!(inner.is_connect(), "{inner:?}");
}

/// The layer's future and the service are `Send`, so it runs on any
/// executor, and the response body is the inner client's own type.
#[test]
fn the_service_is_send_and_passes_the_response_through() {
    fn send_future<F: Future + Send>(_: &F) {}
    type Service = SignService<HyperClient<AnyBody>>;
    fn response_is_incoming<S>(_: &S)
    where
        S: tower::Service<Request<AnyBody>, Response = Response<hyper::body::Incoming>>,
    {
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let mut service: Service = layer(cached(long_term())).layer(client::<AnyBody>());
    response_is_incoming(&service);
    let future = service.call(full(
        Request::get("http://127.0.0.1:9/")
            .body(Vec::new())
            .unwrap(),
    ));
    send_future(&future);
}
