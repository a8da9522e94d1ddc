//! The tower layer in front of an axum router, served on 127.0.0.1: axum
//! accepts `SigV4Layer` as it is (its request body, response body and error
//! types fit axum's), handlers see the verified caller, and unsigned or
//! tampered requests never reach them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Extension;
use axum::routing::{get, post};
use axum::Router;
use http::{Request, StatusCode};
use sigv4::credentials::net::{HttpTransport, HyperTransport};
use sigv4::verify::tower::SigV4Layer;
use sigv4::verify::{Verified, Verifier};
use sigv4::{Credentials, Signer, SigningTime};

fn credentials() -> Credentials {
    Credentials::new("AKIDAXUMTEST", "axum/secret+key").unwrap()
}

/// Starts the router on an ephemeral port; returns its base URL and how
/// many times a handler ran.
async fn serve() -> (String, Arc<AtomicUsize>) {
    let known = credentials();
    let verifier = Verifier::neptune("us-east-1", move |id: &str| {
        (id == known.access_key_id()).then(|| known.clone())
    })
    .unwrap();
    let handled = Arc::new(AtomicUsize::new(0));
    let (status_count, sparql_count) = (handled.clone(), handled.clone());
    let app = Router::new()
        .route(
            "/status",
            get(move |Extension(caller): Extension<Verified>| async move {
                status_count.fetch_add(1, Ordering::SeqCst);
                format!("healthy; caller {}", caller.access_key_id)
            }),
        )
        .route(
            "/sparql",
            post(move |body: String| async move {
                sparql_count.fetch_add(1, Ordering::SeqCst);
                format!("query of {} bytes", body.len())
            }),
        )
        .layer(SigV4Layer::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, handled)
}

async fn send(request: Request<Vec<u8>>) -> (StatusCode, String) {
    let response = HyperTransport::new().unwrap().send(request).await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (
        status,
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

fn signed(mut request: Request<Vec<u8>>) -> Request<Vec<u8>> {
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut request, &credentials(), SigningTime::now())
        .unwrap();
    request
}

#[tokio::test]
async fn signed_requests_reach_axum_handlers_with_the_caller() {
    let (url, handled) = serve().await;

    let status = signed(
        Request::get(format!("{url}/status"))
            .body(Vec::new())
            .unwrap(),
    );
    let (code, body) = send(status).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body, "healthy; caller AKIDAXUMTEST");

    let query = b"query=ASK%20%7B%7D".to_vec();
    let sparql = signed(
        Request::post(format!("{url}/sparql"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query.clone())
            .unwrap(),
    );
    let (code, body) = send(sparql).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body, format!("query of {} bytes", query.len()));
    assert_eq!(handled.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unsigned_and_tampered_requests_never_reach_axum_handlers() {
    let (url, handled) = serve().await;

    let (code, body) = send(
        Request::get(format!("{url}/status"))
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "AccessDeniedException");

    // Signed for one body, sent with another.
    let mut sparql = signed(
        Request::post(format!("{url}/sparql"))
            .body(b"query=ASK%20%7B%7D".to_vec())
            .unwrap(),
    );
    *sparql.body_mut() = b"update=DROP%20ALL".to_vec();
    let (code, body) = send(sparql).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    let detail = error["detailedMessage"].as_str().unwrap();
    assert!(detail.starts_with("SignatureDoesNotMatch"), "{detail}");

    // A key the server does not know.
    let mut other = Request::get(format!("{url}/status"))
        .body(Vec::new())
        .unwrap();
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(
            &mut other,
            &Credentials::new("AKIDSTRANGER", "axum/secret+key").unwrap(),
            SigningTime::now(),
        )
        .unwrap();
    let (code, body) = send(other).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert!(body.contains("InvalidClientTokenId"), "{body}");

    assert_eq!(handled.load(Ordering::SeqCst), 0);
}
