//! A verifying server that fails the first attempt: every request goes
//! through `SigV4Layer` (the local Neptune server's demo keys), and the
//! first verified one is answered `503 Service Unavailable`, the later ones
//! `200`. It records the `authorization` of each verified request, so a
//! test can see that a retry carried a new signature. Used by
//! tests/client_*.rs through `#[path]`, beside neptune_server.rs.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use sigv4::verify::tower::{SigV4Layer, VerifiedBody};
use sigv4::verify::Verifier;
use tower::Layer;

use super::neptune_server::{demo_credentials, KeyTable};

/// The `authorization` of every verified request a flaky server saw.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A verifying server that answers the first verified request 503 and the
/// later ones 200.
pub async fn start() -> (String, Seen) {
    let seen = Seen::default();
    let verifier = Verifier::neptune("us-east-1", KeyTable::new(demo_credentials())).unwrap();
    let record = seen.clone();
    let service = SigV4Layer::new(verifier).layer(tower::service_fn(
        move |request: Request<VerifiedBody>| {
            let record = record.clone();
            async move {
                let authorization = request.headers()["authorization"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let mut seen = record.lock().unwrap();
                seen.push(authorization);
                let status = if seen.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                };
                let mut response = Response::new(Full::new(Bytes::from("{}")));
                *response.status_mut() = status;
                Ok::<_, std::convert::Infallible>(response)
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let service = hyper_util::service::TowerToHyperService::new(service);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}
