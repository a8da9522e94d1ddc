//! `sigv4 proxy` on loopback against a trivial upstream (a hyper server
//! answering `200 ok` at once, unverified): the latency it adds at p50 and
//! p99 with one client, and the throughput with 1, 8 and 64 clients, each
//! beside the upstream reached directly. Then the signing step alone (the
//! proxy's `SignLayer` on the same `GET /status`, over an inner service
//! that answers at once), as a share of each p50: what signing adds, apart
//! from the extra hop. The proxy is the release binary,
//! in its own process; the upstream and the clients share this one. On a
//! two-core machine all three compete for the same cores, so the figures
//! are for the whole loopback system, not the proxy alone.
//!
//! ```text
//! cargo bench --bench proxy --features cli
//! ```
//!
//! Environment: `BENCH_SECONDS` (per measurement, default 3).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

const BIN: &str = env!("CARGO_BIN_EXE_sigv4");

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A hyper server that answers every request `200 ok`.
async fn trivial_upstream() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                        Bytes::from_static(b"ok"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Per-request latencies and the total time, from `clients` concurrent
/// loops of GET `url` for `seconds`.
async fn measure(
    client: &HttpClient,
    url: &str,
    clients: usize,
    seconds: f64,
) -> (Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let url: http::Uri = url.parse().unwrap();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let response = client.get(url.clone()).await.expect("a response");
                    assert_eq!(response.status(), 200);
                    response.into_body().collect().await.unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    (all, elapsed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let upstream = trivial_upstream().await;
        let mut child = Command::new(BIN)
            .args(["proxy", "--listen", "127.0.0.1:0", "--region", "us-east-1"])
            .args(["--upstream", &format!("http://{upstream}")])
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            )
            .stdout(Stdio::piped())
            .spawn()
            .expect("start sigv4 proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let proxy = line
            .trim()
            .strip_prefix("listening on ")
            .expect("the listening line")
            .to_owned();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build(connector);
        let direct = format!("http://{upstream}/status");
        let proxied = format!("{proxy}/status");
        // Warm both paths (connections, the first signature).
        measure(&client, &direct, 64, 0.5).await;
        measure(&client, &proxied, 64, 0.5).await;

        println!("| clients | path | requests/s | p50 | p99 |");
        println!("| ---: | --- | ---: | ---: | ---: |");
        for clients in [1, 8, 64] {
            for (name, url) in [("direct", &direct), ("proxy", &proxied)] {
                let (latencies, elapsed) = measure(&client, url, clients, seconds).await;
                println!(
                    "| {clients} | {name} | {:.0} | {:.1} µs | {:.1} µs |",
                    latencies.len() as f64 / elapsed.as_secs_f64(),
                    percentile(&latencies, 0.50).as_secs_f64() * 1e6,
                    percentile(&latencies, 0.99).as_secs_f64() * 1e6,
                );
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    });

    let signing = signing_cost();
    println!(
        "\nsigning alone (SignLayer, GET /status, warm cache): {:.2} µs a request",
        signing.as_secs_f64() * 1e6
    );
}

/// The mean time `SignLayer` takes for one proxied `GET /status`,
/// credentials cached, over an inner service that is ready at once.
fn signing_cost() -> Duration {
    use sigv4::client::{SignLayer, SignedBody};
    use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    use tower::{Layer, Service};

    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the inner service is always ready"),
        }
    }
    let credentials =
        sigv4::Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    let source: Arc<dyn ProvideCredentialsAsync> = Arc::new(credentials);
    let provider = Arc::new(AsyncCachingProvider::new(source));
    let signer = sigv4::Signer::neptune("us-east-1").unwrap();
    let mut service = SignLayer::new(signer, provider).layer(tower::service_fn(
        |request: http::Request<SignedBody<Empty<Bytes>>>| async move {
            Ok::<_, std::convert::Infallible>(request)
        },
    ));
    let request = || {
        http::Request::get("http://127.0.0.1:8182/status")
            .header("user-agent", "curl/8.5.0")
            .header("accept", "*/*")
            .body(Empty::<Bytes>::new())
            .unwrap()
    };
    const N: u32 = 100_000;
    for _ in 0..N / 10 {
        std::hint::black_box(ready(service.call(request())).unwrap());
    }
    let started = Instant::now();
    for _ in 0..N {
        std::hint::black_box(ready(service.call(request())).unwrap());
    }
    started.elapsed() / N
}
