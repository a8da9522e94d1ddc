//! The per-request cost of `client::SignLayer` beside signing alone: a
//! Neptune SPARQL POST (a 30-byte form body) through the layer over an
//! inner service that answers at once, with credentials from a warm
//! `AsyncCachingProvider`; and the same request signed with
//! `Signer::sign`. The difference is the layer's own overhead (reading the
//! body, the provider, the boxed future, rebuilding the request).
//!
//! ```text
//! cargo bench --bench client_layer --features tower -- --warm-up-time 1 --measurement-time 3
//! ```

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::Full;
use sigv4::client::{SignLayer, SignedBody};
use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
use sigv4::{Credentials, Signer, SigningTime};
use tower::{Layer, Service};

const URL: &str = "https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182/sparql";
const BODY: &[u8] = b"query=SELECT+*+WHERE+{?s+?p+?o}";

/// Polls a future that never waits (everything here is ready at once).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the bench's futures are always ready"),
    }
}

fn request() -> http::Request<Full<Bytes>> {
    http::Request::post(URL)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(BODY)))
        .unwrap()
}

fn client_layer(c: &mut Criterion) {
    let credentials =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let signer = Signer::neptune("us-east-1").unwrap();
    let source: Arc<dyn ProvideCredentialsAsync> = Arc::new(credentials.clone());
    let provider = Arc::new(AsyncCachingProvider::new(source));
    let mut service = SignLayer::new(signer.clone(), provider).layer(tower::service_fn(
        |request: http::Request<SignedBody<Full<Bytes>>>| async move {
            Ok::<_, std::convert::Infallible>(request)
        },
    ));

    let mut group = c.benchmark_group("client/sparql_post");
    group.bench_function("sign_layer", |b| {
        b.iter(|| {
            ready(std::future::poll_fn(|cx| service.poll_ready(cx))).unwrap();
            black_box(ready(service.call(request())).unwrap())
        })
    });
    group.bench_function("signer_sign", |b| {
        b.iter(|| {
            let mut request = http::Request::post(URL)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(BODY)
                .unwrap();
            signer
                .sign(&mut request, &credentials, SigningTime::now())
                .unwrap();
            black_box(request)
        })
    });
    group.finish();
}

criterion_group!(benches, client_layer);
criterion_main!(benches);
