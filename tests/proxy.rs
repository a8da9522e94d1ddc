//! `client::proxy::SigningProxy` mounted in a hyper server in this
//! process, as another program would mount it, driven by a raw HTTP/1.1
//! client (tests/support/raw_http.rs) so every byte sent is the test's:
//! hop-by-hop headers dropped both ways, clashing signature headers
//! replaced, the body limit at exactly its edge for `content-length` and
//! chunked bodies (the refused ones never reach the upstream),
//! `Expect: 100-continue`, a client's `Connection: close`, the proxy's own
//! failures as 502 JSON and its recovery, the upstream's errors passed
//! back, the sign host, and WebSocket upgrades relayed byte for byte
//! (extension headers untouched; a Gremlin session of several requests).
//! The upstreams verify every signature (tests/support/).

#[path = "support/neptune_server.rs"]
mod neptune_server;
#[path = "support/raw_http.rs"]
mod raw_http;
#[path = "support/recording_server.rs"]
mod recording_server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use neptune_server::{ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_SECRET};
use raw_http::{chunked, exchange, form_of_len, head, with_body, Conn};
use sigv4::client::proxy::SigningProxy;
use sigv4::client::{BodyPolicy, SignLayer};
use sigv4::credentials::{
    AsyncCachingProvider, CredentialsError, CredentialsFuture, ProvideCredentialsAsync,
};
use sigv4::{Credentials, Signer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tower::Service;

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn demo_provider() -> Arc<dyn ProvideCredentialsAsync> {
    let source: Arc<dyn ProvideCredentialsAsync> =
        Arc::new(Credentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET).unwrap());
    Arc::new(AsyncCachingProvider::new(source))
}

fn layer() -> SignLayer {
    SignLayer::new(Signer::neptune("us-east-1").unwrap(), demo_provider())
}

/// A proxy to `upstream` served on 127.0.0.1, and the failures it logged.
struct Running {
    addr: SocketAddr,
    failures: Arc<Mutex<Vec<String>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Running {
    fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }
}

async fn proxy(upstream: &str, layer: SignLayer) -> Running {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let log = failures.clone();
    let proxy = SigningProxy::builder(upstream, layer)
        .unwrap()
        .on_failure(move |failure| log.lock().unwrap().push(failure.to_string()))
        .build_http();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| proxy.clone().call(request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Running {
        addr,
        failures,
        accept,
    }
}

fn values<'a>(headers: &'a http::HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[tokio::test]
async fn hop_by_hop_headers_are_dropped_both_ways() {
    let upstream = recording_server::start().await;
    let proxy = proxy(&upstream.url(), layer()).await;
    let request = head(
        "GET",
        "/status?x=1",
        &[
            ("connection", "keep-alive, X-Hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic dXNlcjpwYXNz"),
            ("proxy-connection", "keep-alive"),
            ("x-end", "2"),
        ],
    );
    let reply = exchange(proxy.addr, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    let arrived = upstream.arrived();
    assert_eq!(arrived.len(), 1);
    let headers = &arrived[0].headers;
    for gone in [
        "x-hop",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
    ] {
        assert!(
            !headers.contains_key(gone),
            "{gone} was forwarded: {headers:?}"
        );
    }
    // hyper's own connection management may say keep-alive; nothing the
    // client listed is there.
    assert!(values(headers, "connection")
        .iter()
        .all(|v| !v.to_ascii_lowercase().contains("x-hop")));
    assert_eq!(values(headers, "x-end"), ["2"]);
    assert_eq!(values(headers, "host"), [upstream.addr.to_string()]);
    assert_eq!(upstream.verified().len(), 1, "it verified");

    // The upstream's own hop-by-hop headers stay on its side.
    for gone in [
        "x-resp-hop",
        "keep-alive",
        "proxy-authenticate",
        "connection",
    ] {
        assert!(reply.header(gone).is_none(), "{gone} came back: {reply:?}");
    }
    assert_eq!(reply.header("x-end-to-end"), Some("kept"));
    assert_eq!(reply.text(), "recorded");
}

#[tokio::test]
async fn clashing_signature_headers_are_replaced() {
    let upstream = recording_server::start().await;
    let proxy = proxy(&upstream.url(), layer()).await;
    let body = b"query=ASK+%7B%7D";
    let request = with_body(
        "POST",
        "/sparql",
        &[
            FORM,
            ("authorization", "Bearer not-this"),
            ("x-amz-date", "19990101T000000Z"),
            ("x-amz-security-token", "not-this-either"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
        body,
    );
    let reply = exchange(proxy.addr, &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let arrived = upstream.arrived();
    let headers = &arrived[0].headers;
    let authorization = values(headers, "authorization");
    assert_eq!(authorization.len(), 1);
    assert!(
        authorization[0].starts_with("AWS4-HMAC-SHA256 Credential=AKIDNEPTUNELOCAL/"),
        "{authorization:?}"
    );
    assert!(!headers.contains_key("x-amz-security-token"));
    assert!(!headers.contains_key("x-amz-content-sha256"));
    assert_ne!(values(headers, "x-amz-date"), ["19990101T000000Z"]);
    let verified = upstream.verified();
    assert_eq!(verified[0].payload, "Checked");
    assert_eq!(verified[0].body_len, body.len());
}

const LIMIT: usize = 1024;

#[tokio::test]
async fn a_body_of_exactly_the_limit_passes_and_one_byte_more_is_413_unsent() {
    let upstream = recording_server::start().await;
    let proxy = proxy(
        &upstream.url(),
        layer().with_body_policy(BodyPolicy::default().with_limit(LIMIT)),
    )
    .await;
    let at = form_of_len("update", "INSERT DATA {}", LIMIT);
    let over = form_of_len("update", "INSERT DATA {}", LIMIT + 1);

    // Content-Length.
    let reply = exchange(proxy.addr, &with_body("POST", "/sparql", &[FORM], &at)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = exchange(proxy.addr, &with_body("POST", "/sparql", &[FORM], &over)).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"], "body_too_large");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(upstream.arrived().len(), 1, "the refused body was not sent");

    // Chunked, in frames that do not line up with the limit.
    let chunked_head = |body: &[u8]| {
        let mut request = head("POST", "/sparql", &[FORM, ("transfer-encoding", "chunked")]);
        request.extend_from_slice(&chunked(body, 100));
        request
    };
    let reply = exchange(proxy.addr, &chunked_head(&at)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = exchange(proxy.addr, &chunked_head(&over)).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"], "body_too_large");
    assert_eq!(upstream.arrived().len(), 2, "the refused body was not sent");

    let verified = upstream.verified();
    assert_eq!(verified.len(), 2);
    for seen in &verified {
        assert_eq!(seen.body_len, LIMIT);
        assert_eq!(seen.payload, "Checked");
    }
    let failures = proxy.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures.iter().all(|f| f.starts_with("413 POST /sparql: ")));
}

#[tokio::test]
async fn expect_100_continue_is_answered_and_refused_bodies_are_not_asked_for() {
    let upstream = recording_server::start().await;
    let proxy = proxy(
        &upstream.url(),
        layer().with_body_policy(BodyPolicy::default().with_limit(LIMIT)),
    )
    .await;
    let body = form_of_len("update", "INSERT DATA {}", 600);
    let length = body.len().to_string();

    // Within the limit: 100 first, then the body, then the answer.
    let mut conn = Conn::open(proxy.addr).await;
    conn.send(&head(
        "POST",
        "/sparql",
        &[
            FORM,
            ("content-length", &length),
            ("expect", "100-continue"),
        ],
    ))
    .await;
    let interim = conn.reply().await;
    assert_eq!(interim.status, 100);
    conn.send(&body).await;
    let reply = conn.reply().await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let arrived = upstream.arrived();
    assert!(!arrived[0].headers.contains_key("expect"));
    assert_eq!(upstream.verified()[0].body_len, 600);

    // Over it: 413 at once, no 100, the body never asked for or sent.
    let mut conn = Conn::open(proxy.addr).await;
    conn.send(&head(
        "POST",
        "/sparql",
        &[
            FORM,
            ("content-length", "5000000"),
            ("expect", "100-continue"),
        ],
    ))
    .await;
    let reply = conn.reply().await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(upstream.arrived().len(), 1);

    // Streaming (unsigned): the 100 comes when the upstream wants the body.
    let proxy = self::proxy(
        &upstream.url(),
        layer().with_body_policy(BodyPolicy::unsigned()),
    )
    .await;
    let big = form_of_len("update", "INSERT DATA {}", 3 * 1024 * 1024);
    let length = big.len().to_string();
    let mut conn = Conn::open(proxy.addr).await;
    conn.send(&head(
        "POST",
        "/sparql",
        &[
            FORM,
            ("content-length", &length),
            ("expect", "100-continue"),
        ],
    ))
    .await;
    assert_eq!(conn.reply().await.status, 100);
    conn.send(&big).await;
    let reply = conn.reply().await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let last = upstream.verified().pop().unwrap();
    assert_eq!(last.payload, "Unsigned");
    assert_eq!(last.body_len, big.len());
    let arrived = upstream.arrived().pop().unwrap();
    assert_eq!(
        values(&arrived.headers, "x-amz-content-sha256"),
        ["UNSIGNED-PAYLOAD"]
    );
}

#[tokio::test]
async fn a_client_connection_close_closes_that_connection_only() {
    let upstream = recording_server::start().await;
    let proxy = proxy(&upstream.url(), layer()).await;

    // Kept alive: two requests on one connection.
    let mut conn = Conn::open(proxy.addr).await;
    for _ in 0..2 {
        conn.send(&head("GET", "/status", &[])).await;
        assert_eq!(conn.reply().await.status, 200);
    }
    // `Connection: close`: answered, then closed by the proxy.
    conn.send(&head("GET", "/status", &[("connection", "close")]))
        .await;
    let reply = conn.reply().await;
    assert_eq!(reply.status, 200);
    assert!(conn.closed_by_server().await, "the connection stayed open");
    // The upstream was not told to close (its connection is the proxy's).
    for arrived in upstream.arrived() {
        assert!(values(&arrived.headers, "connection")
            .iter()
            .all(|v| !v.eq_ignore_ascii_case("close")));
    }
    assert_eq!(upstream.verified().len(), 3);
}

#[tokio::test]
async fn upstream_down_is_a_502_json_and_the_proxy_serves_again_once_it_is_back() {
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = parked.local_addr().unwrap();
    drop(parked);
    let proxy = proxy(&format!("http://{addr}"), layer()).await;

    for _ in 0..2 {
        let reply = exchange(proxy.addr, &head("GET", "/status?secret=no", &[])).await;
        assert_eq!(reply.status, 502, "{}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let json = reply.json();
        assert_eq!(json["error"], "upstream_unreachable");
        let message = json["message"].as_str().unwrap();
        assert!(
            message.starts_with("cannot reach the upstream"),
            "{message}"
        );
        assert!(reply.body.len() < 400, "short: {}", reply.text());
        assert!(!reply.text().contains(DEMO_SECRET));
    }
    let failures = proxy.failures();
    assert_eq!(failures.len(), 2);
    assert!(
        failures[0].starts_with("502 GET /status: cannot reach the upstream"),
        "{failures:?}"
    );
    assert!(failures.iter().all(|f| !f.contains("secret")));

    // The upstream comes up where it was expected: served again.
    let upstream = recording_server::start_on(addr).await;
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(upstream.verified().len(), 1);
}

struct NoCredentials;

impl ProvideCredentialsAsync for NoCredentials {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async { Err(CredentialsError::not_found("test", "none here")) })
    }
}

#[tokio::test]
async fn no_credentials_is_a_502_json_and_nothing_is_sent() {
    let upstream = recording_server::start().await;
    let provider: Arc<dyn ProvideCredentialsAsync> = Arc::new(NoCredentials);
    let layer = SignLayer::new(Signer::neptune("us-east-1").unwrap(), provider);
    let proxy = proxy(&upstream.url(), layer).await;
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json()["error"], "credentials");
    assert!(upstream.arrived().is_empty());
    assert_eq!(proxy.failures().len(), 1);
}

#[tokio::test]
async fn the_upstreams_errors_come_back_unchanged() {
    // A server that does not know the proxy's key: Neptune's 403.
    let server = neptune_server::start(ServerConfig {
        keys: neptune_server::KeyTable::new(Vec::new()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let proxy = proxy(&server.endpoint(), layer()).await;
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["code"], "AccessDeniedException", "{json}");
    assert!(json["requestId"].is_string());
    assert!(proxy.failures().is_empty(), "not a failure of the proxy's");
}

#[tokio::test]
async fn the_sign_host_is_signed_and_sent() {
    let upstream = recording_server::start().await;
    let host = "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182";
    let proxy = proxy(&upstream.url(), layer().with_sign_host(host).unwrap()).await;
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(values(&upstream.arrived()[0].headers, "host"), [host]);
    assert_eq!(upstream.verified().len(), 1);
}

#[tokio::test]
async fn websocket_upgrades_are_relayed_byte_for_byte_with_their_extensions() {
    let upstream = recording_server::start().await;
    let proxy = proxy(&upstream.url(), layer()).await;
    let mut conn = Conn::open(proxy.addr).await;
    let extensions = "permessage-deflate; client_max_window_bits";
    conn.send(&head(
        "GET",
        "/ws",
        &[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-extensions", extensions),
            ("sec-websocket-protocol", "gremlin"),
        ],
    ))
    .await;
    let reply = conn.reply().await;
    assert_eq!(reply.status, 101, "{}", reply.text());
    assert_eq!(reply.header("upgrade"), Some("websocket"));
    assert_eq!(
        reply.header("sec-websocket-extensions"),
        Some("permessage-deflate; server_no_context_takeover")
    );
    assert_eq!(
        reply.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    let arrived = upstream.arrived();
    let headers = &arrived[0].headers;
    assert_eq!(values(headers, "sec-websocket-extensions"), [extensions]);
    assert_eq!(values(headers, "sec-websocket-protocol"), ["gremlin"]);
    assert_eq!(
        values(headers, "sec-websocket-key"),
        ["dGhlIHNhbXBsZSBub25jZQ=="]
    );
    assert_eq!(values(headers, "upgrade"), ["websocket"]);
    assert!(values(headers, "authorization")[0].starts_with("AWS4-HMAC-SHA256 "));
    assert_eq!(upstream.verified().len(), 1, "the handshake verified");

    // Whatever bytes (not frames) go through, both ways.
    let (mut stream, rest) = conn.into_stream();
    assert!(rest.is_empty());
    for message in [&b"not a websocket frame"[..], &[0u8, 255, 1, 254][..]] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0u8; message.len()];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, message);
    }
}

#[tokio::test]
async fn a_gremlin_session_of_several_requests_goes_through() {
    let server = neptune_server::start(ServerConfig::default())
        .await
        .unwrap();
    let proxy = proxy(&server.endpoint(), layer()).await;
    let request = format!("ws://{}/gremlin", proxy.addr)
        .into_client_request()
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(request, tcp)
        .await
        .expect("the unsigned handshake is signed by the proxy and accepted");
    assert_eq!(response.status(), 101);
    for i in 0..5 {
        let query = format!("g.V().limit({i})");
        ws.send(Message::binary(sigv4::neptune::gremlin_eval_frame(&query)))
            .await
            .unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
        assert_eq!(json["status"]["code"], 200, "{json}");
        assert_eq!(json["result"]["data"]["@value"][0], query.as_str());
    }
    ws.close(None).await.unwrap();
    assert!(proxy.failures().is_empty());
}
