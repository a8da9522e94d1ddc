//! A local stand-in for Amazon Neptune's HTTP endpoints, with IAM
//! authentication: every request goes through
//! [`SigV4Layer`](sigv4::verify::tower::SigV4Layer) first, and is answered
//! like Neptune answers it.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /sparql?query=…`, `POST /sparql` (form `query=` or `update=`) | SPARQL results JSON |
//! | `GET` or `POST /openCypher` (`query=`) | `{"results": [...]}` |
//! | `GET /status` | `{"status": "healthy", ...}` |
//! | `GET /gremlin` with a WebSocket upgrade | one Gremlin response frame per request frame |
//! | anything unsigned or tampered | `403 {"requestId", "code": "AccessDeniedException", "detailedMessage"}` |
//!
//! One copy, used by `examples/neptune_local_server.rs` and by
//! `tests/neptune_e2e.rs` through `#[path]`. Service `neptune-db`; the keys
//! it knows are in a small in-memory table ([`KeyTable`]).

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sigv4::verify::tower::{SigV4Layer, VerifiedBody};
use sigv4::verify::{SecretLookup, Verifier};
use sigv4::Credentials;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tower_layer::Layer;
use tower_service::Service;

/// The demo long-term key the local server always knows.
pub const DEMO_ACCESS_KEY_ID: &str = "AKIDNEPTUNELOCAL";
/// The demo temporary key: requests signed with it must carry
/// [`DEMO_SESSION_TOKEN`].
pub const DEMO_TEMP_ACCESS_KEY_ID: &str = "ASIANEPTUNELOCAL";
/// The session token that goes with [`DEMO_TEMP_ACCESS_KEY_ID`].
pub const DEMO_SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE-local-neptune-session-token";
/// The demo long-term key's secret: a test fixture that only opens this
/// local server.
pub const DEMO_SECRET: &str = "neptuneLocalDemoSecretKeyEXAMPLE0000000000";
/// The demo temporary key's secret (a test fixture too).
pub const DEMO_TEMP_SECRET: &str = "neptuneLocalDemoTempSecretEXAMPLE000000000";

/// The demo keys: one long-term, one temporary with a session token.
pub fn demo_credentials() -> Vec<Credentials> {
    let long_term = Credentials::new(DEMO_ACCESS_KEY_ID, DEMO_SECRET);
    let temporary = Credentials::new(DEMO_TEMP_ACCESS_KEY_ID, DEMO_TEMP_SECRET)
        .and_then(|c| c.with_session_token(DEMO_SESSION_TOKEN));
    long_term.into_iter().chain(temporary).collect()
}

/// The keys the server knows, by access key id.
#[derive(Clone, Default)]
pub struct KeyTable(Vec<Credentials>);

impl KeyTable {
    /// A table of `credentials`; a later entry for the same id loses.
    pub fn new(credentials: Vec<Credentials>) -> Self {
        Self(credentials)
    }
}

impl SecretLookup for KeyTable {
    fn credentials_for(&self, access_key_id: &str) -> Option<Credentials> {
        self.0
            .iter()
            .find(|c| c.access_key_id() == access_key_id)
            .cloned()
    }
}

/// How to run the server.
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The region requests must be signed for.
    pub region: String,
    /// The service requests must be signed for: `neptune-db`, or
    /// `neptune-graph` to stand in for Neptune Analytics.
    pub service: String,
    /// The keys it accepts.
    pub keys: KeyTable,
    /// Gremlin WebSocket connections are closed by the server this long
    /// after they open (as Neptune closes idle or old ones), to test
    /// reconnects; `None` keeps them open.
    pub gremlin_max_age: Option<std::time::Duration>,
    /// The longest body read (and verified); longer ones are refused with
    /// 413. 10 MiB, as `SigV4Layer`'s default.
    pub body_limit: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            region: "us-east-1".to_owned(),
            service: "neptune-db".to_owned(),
            keys: KeyTable::new(demo_credentials()),
            gremlin_max_age: None,
            body_limit: 10 * 1024 * 1024,
        }
    }
}

/// A running server; dropping it stops accepting connections.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`, the value for `NEPTUNE_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the accept loop ends (it does not, short of a panic).
    pub async fn wait(self) {
        let _ = (&mut { self }.accept).await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts the server on a tokio runtime (with I/O enabled).
///
/// # Errors
///
/// An invalid region, or an address that cannot be bound.
pub async fn start(config: ServerConfig) -> io::Result<RunningServer> {
    let invalid = |e: sigv4::InvalidInput| io::Error::new(io::ErrorKind::InvalidInput, e);
    let verifier = Verifier::new(
        sigv4::Region::new(&config.region).map_err(invalid)?,
        sigv4::Service::new(&config.service).map_err(invalid)?,
        config.keys,
    );
    let service = SigV4Layer::new(verifier)
        .with_body_limit(config.body_limit)
        .layer(Neptune {
            gremlin_max_age: config.gremlin_max_age,
        });
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors, say: wait rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let hyper_service =
                    hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                        let mut service = service.clone();
                        async move {
                            std::future::poll_fn(|cx| {
                                Service::<Request<hyper::body::Incoming>>::poll_ready(
                                    &mut service,
                                    cx,
                                )
                            })
                            .await?;
                            service.call(request).await
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper_service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok(RunningServer { addr, accept })
}

/// The Neptune endpoints, behind the SigV4 layer: they only see verified
/// requests.
#[derive(Clone, Copy, Debug)]
struct Neptune {
    gremlin_max_age: Option<std::time::Duration>,
}

type Reply = Response<Full<Bytes>>;

impl Service<Request<VerifiedBody>> for Neptune {
    type Response = Reply;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Reply, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<VerifiedBody>) -> Self::Future {
        let max_age = self.gremlin_max_age;
        let seen = verified_headers(&request);
        Box::pin(async move {
            let mut response = route(request, max_age).await;
            response.headers_mut().extend(seen);
            Ok(response)
        })
    }
}

/// What the server verified, echoed in response headers so that a test
/// can check it at the server: `x-local-access-key` (who signed),
/// `x-local-payload` (how the body was checked: `Checked`, `Unsigned`,
/// `Chunked(Signed)`, ...), `x-local-host` (the `host` that was signed).
fn verified_headers(request: &Request<VerifiedBody>) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    if let Some(verified) = request.extensions().get::<sigv4::verify::Verified>() {
        put("x-local-access-key", &verified.access_key_id);
        put("x-local-payload", &format!("{:?}", verified.payload));
    }
    if let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        put("x-local-host", host);
    }
    headers
}

async fn route(
    mut request: Request<VerifiedBody>,
    gremlin_max_age: Option<std::time::Duration>,
) -> Reply {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    if path == "/gremlin" && method == Method::GET {
        return gremlin_upgrade(&mut request, gremlin_max_age);
    }
    let query_string = request.uri().query().unwrap_or("").to_owned();
    let body = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                &format!("the body did not verify: {e}"),
            )
        }
    };
    // Parameters come from the query string (GET) or a form body (POST).
    let params = match method {
        Method::GET => form_pairs(&query_string),
        Method::POST => form_pairs(&String::from_utf8_lossy(&body)),
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedException",
                "unsupported method",
            )
        }
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // Neptune Analytics' query API: JSON in, JSON out.
    if path == "/queries" && method == Method::POST {
        let query = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_owned));
        return match query {
            Some(q) => json(
                StatusCode::OK,
                serde_json::json!({"results": [{"query": q}]}),
            ),
            None => error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                "the body is not {\"query\": ...}",
            ),
        };
    }
    match path.as_str() {
        "/status" if method == Method::GET => json(StatusCode::OK, status_json()),
        "/sparql" => match param("query").or_else(|| param("update")) {
            Some(q) => json(StatusCode::OK, sparql_json(&q)),
            None => error(
                StatusCode::BAD_REQUEST,
                "MissingParameterException",
                "the request has no query or update parameter",
            ),
        },
        "/openCypher" | "/opencypher" => match param("query") {
            Some(q) => json(StatusCode::OK, open_cypher_json(&q)),
            None => error(
                StatusCode::BAD_REQUEST,
                "MissingParameterException",
                "the request has no query parameter",
            ),
        },
        _ => error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "unknown endpoint",
        ),
    }
}

fn status_json() -> serde_json::Value {
    serde_json::json!({
        "status": "healthy",
        "startTime": "Mon Nov 23 00:00:00 UTC 2026",
        "dbEngineVersion": "local-sigv4-test",
        "role": "writer",
        "dfeQueryEngine": "viaQueryHint",
        "gremlin": {"version": "tinkerpop-3.7.2"},
        "sparql": {"version": "sparql-1.1"},
        "opencypher": {"version": "Neptune-9.0.20190305-1.0"},
        "labMode": {},
        "features": {},
        "settings": {}
    })
}

fn sparql_json(query: &str) -> serde_json::Value {
    if query.trim_start().to_ascii_uppercase().starts_with("ASK") {
        return serde_json::json!({"head": {}, "boolean": true});
    }
    serde_json::json!({
        "head": {"vars": ["s", "p", "o"]},
        "results": {"bindings": [{
            "s": {"type": "uri", "value": "http://example.com/neptune-local"},
            "p": {"type": "uri", "value": "http://www.w3.org/2000/01/rdf-schema#label"},
            "o": {"type": "literal", "value": "local Neptune"}
        }]}
    })
}

fn open_cypher_json(query: &str) -> serde_json::Value {
    serde_json::json!({
        "results": [{
            "n": {
                "~id": "1",
                "~entityType": "node",
                "~labels": ["query"],
                "~properties": {"text": query}
            }
        }]
    })
}

fn json(status: StatusCode, value: serde_json::Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

/// Neptune's error body for errors after authentication.
fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    json(
        status,
        serde_json::json!({
            "requestId": "00000000-0000-4000-8000-000000000000",
            "code": code,
            "detailedMessage": message
        }),
    )
}

/// Answers a WebSocket upgrade and serves Gremlin frames on the upgraded
/// connection.
fn gremlin_upgrade(
    request: &mut Request<VerifiedBody>,
    max_age: Option<std::time::Duration>,
) -> Reply {
    let headers = request.headers();
    let has = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(token))
    };
    let is_upgrade = has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket");
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| k.as_bytes().to_vec());
    let (true, Some(key)) = (is_upgrade, key) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "/gremlin expects a WebSocket upgrade",
        );
    };
    let upgrade = hyper::upgrade::on(request);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else {
            return;
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        serve_gremlin(ws, max_age).await;
    });
    let accept = derive_accept_key(&key);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    headers.insert(header::UPGRADE, http::HeaderValue::from_static("websocket"));
    if let Ok(accept) = http::HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// One Gremlin response frame per request frame: a text frame (GraphSON
/// JSON) or a binary frame with the mime-type prefix Gremlin clients send.
/// The result is the script it was sent, so a client can see the round
/// trip; a script containing `partial` is answered in two messages, a 206
/// then the 200. After `max_age`, the server closes the connection.
async fn serve_gremlin<S>(mut ws: WebSocketStream<S>, max_age: Option<std::time::Duration>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    let deadline = max_age.map(|age| tokio::time::Instant::now() + age);
    loop {
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, ws.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let _ = ws.close(None).await;
                    break;
                }
            },
            None => ws.next().await,
        };
        let Some(Ok(message)) = next else { break };
        let payload: Vec<u8> = match message {
            Message::Text(text) => text.as_bytes().to_vec(),
            Message::Binary(bytes) => {
                let skip = bytes.first().map_or(0, |&n| 1 + usize::from(n));
                bytes.get(skip..).unwrap_or_default().to_vec()
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = gremlin_reply(&payload);
        let partial = reply
            .pointer("/result/data/@value/0")
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.contains("partial"));
        if partial {
            let mut first = reply.clone();
            first["status"]["code"] = 206.into();
            first["result"]["data"]["@value"] = serde_json::json!(["part 1"]);
            if ws.send(Message::text(first.to_string())).await.is_err() {
                break;
            }
        }
        if ws.send(Message::text(reply.to_string())).await.is_err() {
            break;
        }
    }
}

fn gremlin_reply(payload: &[u8]) -> serde_json::Value {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return serde_json::json!({
            "requestId": null,
            "status": {"message": "the frame is not a Gremlin JSON request", "code": 499, "attributes": {}},
            "result": {"data": null, "meta": {}}
        });
    };
    let id = request.get("requestId").cloned().unwrap_or_default();
    let script = request
        .pointer("/args/gremlin")
        .and_then(|g| g.as_str())
        .unwrap_or("")
        .to_owned();
    if script.contains("fail") {
        return serde_json::json!({
            "requestId": id,
            "status": {"message": "the script failed, as asked", "code": 597, "attributes": {}},
            "result": {"data": null, "meta": {}}
        });
    }
    serde_json::json!({
        "requestId": id,
        "status": {"message": "", "code": 200, "attributes": {"@type": "g:Map", "@value": []}},
        "result": {
            "data": {"@type": "g:List", "@value": [script]},
            "meta": {"@type": "g:Map", "@value": []}
        }
    })
}

/// `a=1&b=x+y` into decoded pairs (`+` is a space, `%XX` a byte).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
