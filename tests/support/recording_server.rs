//! An upstream for the proxy tests that records what reaches it: every
//! request's head as it arrived (before verification, so a request that
//! should never have been forwarded is seen), then, behind `SigV4Layer`
//! with the local Neptune server's demo keys, what verified. Its replies
//! carry hop-by-hop headers of their own (`Connection: x-resp-hop`,
//! `X-Resp-Hop`, `Keep-Alive`, `Proxy-Authenticate`) beside an end-to-end
//! `X-End-To-End`, so a test can see which ones the proxy passes back.
//!
//! `GET /ws` with a WebSocket upgrade is answered `101` with a
//! `Sec-WebSocket-Extensions` of its own, and the upgraded connection
//! echoes bytes, unframed: a test can see the relay is a byte relay.
//! Used by tests/proxy*.rs through `#[path]`, beside neptune_server.rs.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sigv4::verify::tower::{SigV4Layer, VerifiedBody};
use sigv4::verify::Verifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::{Layer, Service};

use super::neptune_server::{demo_credentials, KeyTable};

/// A request head as it reached the server.
#[derive(Clone, Debug)]
pub struct Arrived {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
}

/// What verified: path, how the payload was checked, the key, the body
/// length.
#[derive(Clone, Debug)]
pub struct Verified {
    pub path: String,
    pub payload: String,
    pub access_key: String,
    pub body_len: usize,
}

/// What a recording server saw.
#[derive(Default)]
pub struct Log {
    pub arrived: Vec<Arrived>,
    pub verified: Vec<Verified>,
}

/// A running recording server; dropping it stops accepting.
pub struct Recorder {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Log>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn arrived(&self) -> Vec<Arrived> {
        self.log.lock().unwrap().arrived.clone()
    }

    pub fn verified(&self) -> Vec<Verified> {
        self.log.lock().unwrap().verified.clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts a recording server on 127.0.0.1 (port 0: a free one).
pub async fn start() -> Recorder {
    start_on("127.0.0.1:0".parse().unwrap()).await
}

/// Starts a recording server on `addr`.
pub async fn start_on(addr: SocketAddr) -> Recorder {
    let log = Arc::new(Mutex::new(Log::default()));
    let verifier = Verifier::neptune("us-east-1", KeyTable::new(demo_credentials())).unwrap();
    let record = log.clone();
    let verified = SigV4Layer::new(verifier).layer(tower::service_fn(
        move |request: Request<VerifiedBody>| {
            let record = record.clone();
            async move { Ok::<_, std::convert::Infallible>(answer(request, record).await) }
        },
    ));
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let record = log.clone();
    let accept = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let verified = verified.clone();
            let record = record.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    record.lock().unwrap().arrived.push(Arrived {
                        method: request.method().to_string(),
                        path: request.uri().path().to_owned(),
                        headers: request.headers().clone(),
                    });
                    let mut verified = verified.clone();
                    async move {
                        std::future::poll_fn(|cx| {
                            Service::<Request<Incoming>>::poll_ready(&mut verified, cx)
                        })
                        .await?;
                        verified.call(request).await
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Recorder { addr, log, accept }
}

async fn answer(mut request: Request<VerifiedBody>, log: Arc<Mutex<Log>>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let (payload, access_key) = request
        .extensions()
        .get::<sigv4::verify::Verified>()
        .map(|v| (format!("{:?}", v.payload), v.access_key_id.clone()))
        .unwrap_or_default();
    if path == "/ws" {
        let upgrade = hyper::upgrade::on(&mut request);
        tokio::spawn(async move {
            let Ok(upgraded) = upgrade.await else { return };
            let mut io = TokioIo::new(upgraded);
            let mut buf = [0u8; 4096];
            // Echo until the client closes.
            while let Ok(n) = io.read(&mut buf).await {
                if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
        log.lock().unwrap().verified.push(Verified {
            path,
            payload,
            access_key,
            body_len: 0,
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert("connection", "Upgrade".parse().unwrap());
        headers.insert("upgrade", "websocket".parse().unwrap());
        headers.insert(
            "sec-websocket-accept",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".parse().unwrap(),
        );
        headers.insert(
            "sec-websocket-extensions",
            "permessage-deflate; server_no_context_takeover"
                .parse()
                .unwrap(),
        );
        return response;
    }
    let body_len = match request.into_body().collect().await {
        Ok(b) => b.to_bytes().len(),
        Err(e) => {
            let mut response = Response::new(Full::new(Bytes::from(format!("bad body: {e}"))));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return response;
        }
    };
    log.lock().unwrap().verified.push(Verified {
        path,
        payload,
        access_key,
        body_len,
    });
    let mut response = Response::new(Full::new(Bytes::from_static(b"recorded")));
    let headers = response.headers_mut();
    headers.insert("connection", "x-resp-hop".parse().unwrap());
    headers.insert("x-resp-hop", "1".parse().unwrap());
    headers.insert("keep-alive", "timeout=5".parse().unwrap());
    headers.insert(
        "proxy-authenticate",
        "Basic realm=\"upstream\"".parse().unwrap(),
    );
    headers.insert("x-end-to-end", "kept".parse().unwrap());
    response
}
