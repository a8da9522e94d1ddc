//! `sigv4 proxy`, the built binary, driven as a user drives it: started
//! with `--listen 127.0.0.1:0`, its `listening on http://ADDR` line read
//! from stdout, plain unsigned clients sent through it to the local
//! verifying Neptune server (tests/support/neptune_server.rs) on loopback:
//!
//! - SPARQL GET and POST, openCypher, /status, a 5 MiB hashed POST sent
//!   with `Expect: 100-continue` as curl sends it, a Gremlin WebSocket
//!   session of several requests; stdout holds only the `listening on`
//!   line;
//! - a 50 MiB upload with `--unsigned-payload`, the proxy's peak memory
//!   (VmHWM in /proc) growing by under 10 MiB;
//! - `--max-body` at its edge for `content-length` and chunked bodies;
//! - credentials rotating while it runs (a container credentials endpoint
//!   on loopback hands out short-lived keys, then others);
//! - the upstream down: 502 JSON, one stderr line, served again once the
//!   upstream is back;
//! - `--sign-host` over https: the certificate is checked against, and
//!   SNI names, the sign host (a test CA through `SSL_CERT_FILE`);
//! - a bounded load test: 64 concurrent clients, 10,000 requests, each
//!   verified; the proxy's file descriptors and memory checked before and
//!   after.
#![cfg(feature = "cli")]

#[path = "support/neptune_server.rs"]
mod neptune_server;
#[path = "support/raw_http.rs"]
mod raw_http;
#[path = "support/recording_server.rs"]
mod recording_server;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use neptune_server::{KeyTable, ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_SECRET};
use raw_http::{chunked, exchange, form_of_len, head, with_body, Conn};
use sigv4::Credentials;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The binary under test, built by cargo for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_sigv4");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const MIB: usize = 1024 * 1024;

/// A running `sigv4 proxy`, killed on drop.
struct Proxy {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
    stdout_rest: Option<std::thread::JoinHandle<String>>,
}

impl Proxy {
    /// `sigv4 proxy --listen 127.0.0.1:0 --region us-east-1 ARGS` with a
    /// clean environment (no home files, no instance metadata) plus `env`.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BIN);
        command.env_clear();
        let nowhere = std::env::temp_dir().join("sigv4-proxy-test-no-such-aws-dir");
        command
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", nowhere.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"))
            .envs(env.iter().copied())
            .args(["proxy", "--listen", "127.0.0.1:0", "--region", "us-east-1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start sigv4 proxy");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let Some(addr) = first
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("listening on http://"))
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no listening line: {first:?}; stderr: {:?}",
                stderr.lock().unwrap()
            );
        };
        let addr: SocketAddr = addr.parse().unwrap();
        assert_ne!(addr.port(), 0, "the real port is printed");
        let stdout_rest = Some(std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
            rest
        }));
        Self {
            child,
            addr,
            stderr,
            stdout_rest,
        }
    }

    /// With the demo long-term key in the environment.
    fn with_demo_key(args: &[&str]) -> Self {
        Self::start(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID),
                ("AWS_SECRET_ACCESS_KEY", DEMO_SECRET),
            ],
        )
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The stderr lines once there are `n` (they may lag the responses a
    /// little), or after a few seconds, what there is.
    async fn stderr_lines(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.stderr.lock().unwrap().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A moment more, for a line too many.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.stderr()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it; what it printed on stdout after the listening line.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stdout_rest.take().unwrap().join().unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/PID/status` figure, in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// How many file descriptors the process has open.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

async fn neptune() -> neptune_server::RunningServer {
    neptune_server::start(ServerConfig::default())
        .await
        .unwrap()
}

fn assert_verified(reply: &raw_http::Reply, payload: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-local-access-key"), Some(DEMO_ACCESS_KEY_ID));
    assert_eq!(reply.header("x-local-payload"), Some(payload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_clients_reach_neptune_through_the_command() {
    let server = neptune().await;
    let proxy = Proxy::with_demo_key(&["--upstream", &server.endpoint()]);
    let at = proxy.addr;

    let get = "/sparql?query=SELECT+%3Fs+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D+LIMIT+1";
    let reply = exchange(at, &head("GET", get, &[])).await;
    assert_verified(&reply, "Checked");
    assert!(reply.text().contains("\"bindings\""), "{}", reply.text());

    let post = with_body(
        "POST",
        "/sparql",
        &[FORM],
        b"query=ASK+%7B+%3Fs+%3Fp+%3Fo+%7D",
    );
    let reply = exchange(at, &post).await;
    assert_verified(&reply, "Checked");
    assert_eq!(reply.text(), r#"{"boolean":true,"head":{}}"#);

    let cypher = with_body(
        "POST",
        "/openCypher",
        &[FORM],
        b"query=MATCH+(n)+RETURN+n+LIMIT+1",
    );
    let reply = exchange(at, &cypher).await;
    assert_verified(&reply, "Checked");
    assert_eq!(
        reply.json()["results"][0]["n"]["~properties"]["text"],
        "MATCH (n) RETURN n LIMIT 1"
    );
    let reply = exchange(at, &head("GET", "/openCypher?query=RETURN+1", &[])).await;
    assert_verified(&reply, "Checked");

    let reply = exchange(at, &head("GET", "/status", &[])).await;
    assert_verified(&reply, "Checked");
    assert_eq!(reply.json()["status"], "healthy");
    assert_eq!(
        reply.header("x-local-host"),
        Some(server.addr.to_string().as_str())
    );

    // 5 MiB, hashed (under the 10 MiB default), sent as curl sends a large
    // upload: headers, wait for 100 Continue, then the body.
    let body = form_of_len("update", "INSERT DATA { <a> <b> <c> }", 5 * MIB);
    let length = body.len().to_string();
    let mut conn = Conn::open(at).await;
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
    conn.send(&body).await;
    let reply = conn.reply().await;
    assert_verified(&reply, "Checked");

    // A client's `Connection: close` closes that connection.
    conn.send(&head("GET", "/status", &[("connection", "close")]))
        .await;
    assert_verified(&conn.reply().await, "Checked");
    assert!(conn.closed_by_server().await);

    // Gremlin over WebSocket: an unsigned handshake, several requests.
    let request = format!("ws://{at}/gremlin").into_client_request().unwrap();
    let tcp = tokio::net::TcpStream::connect(at).await.unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    assert_eq!(response.status(), 101);
    for i in 0..5 {
        let query = format!("g.V().has('n', {i}).count()");
        ws.send(Message::binary(sigv4::neptune::gremlin_eval_frame(&query)))
            .await
            .unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
        assert_eq!(json["status"]["code"], 200, "{json}");
        assert_eq!(json["result"]["data"]["@value"][0], query.as_str());
    }
    ws.close(None).await.unwrap();

    assert!(proxy.stderr().is_empty(), "{:?}", proxy.stderr());
    assert_eq!(proxy.stop(), "", "stdout carries only the listening line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_payload_streams_50_mib_in_bounded_memory() {
    let server = neptune_server::start(ServerConfig {
        body_limit: 64 * MIB,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let proxy = Proxy::with_demo_key(&["--upstream", &server.endpoint(), "--unsigned-payload"]);
    // Warm up (threads, pools, the first signature), then measure.
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_verified(&reply, "Unsigned");
    let before = status_kib(proxy.pid(), "VmHWM");

    let body = form_of_len("update", "INSERT DATA { <a> <b> <c> }", 50 * MIB);
    let reply = exchange(proxy.addr, &with_body("POST", "/sparql", &[FORM], &body)).await;
    assert_verified(&reply, "Unsigned");
    // Chunked too (20 MiB), streamed as it comes.
    let mut request = head("POST", "/sparql", &[FORM, ("transfer-encoding", "chunked")]);
    request.extend_from_slice(&chunked(&body[..20 * MIB], 256 * 1024));
    let reply = exchange(proxy.addr, &request).await;
    assert_verified(&reply, "Unsigned");

    let after = status_kib(proxy.pid(), "VmHWM");
    let growth = after.saturating_sub(before);
    eprintln!(
        "proxy peak RSS (VmHWM): {before} KiB before, {after} KiB after 50 + 20 MiB: +{growth} KiB"
    );
    assert!(growth < 10 * 1024, "peak memory grew by {growth} KiB");
    // --max-body does not apply with --unsigned-payload.
    let proxy = Proxy::with_demo_key(&[
        "--upstream",
        &server.endpoint(),
        "--unsigned-payload",
        "--max-body",
        "10",
    ]);
    let small = form_of_len("update", "INSERT DATA {}", 100);
    let reply = exchange(proxy.addr, &with_body("POST", "/sparql", &[FORM], &small)).await;
    assert_verified(&reply, "Unsigned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_body_is_exact_for_content_length_and_chunked_bodies() {
    let upstream = recording_server::start().await;
    let proxy = Proxy::with_demo_key(&["--upstream", &upstream.url(), "--max-body", "4096"]);
    let at = form_of_len("update", "INSERT DATA {}", 4096);
    let over = form_of_len("update", "INSERT DATA {}", 4097);
    let chunked_request = |body: &[u8]| {
        let mut request = head("POST", "/sparql", &[FORM, ("transfer-encoding", "chunked")]);
        request.extend_from_slice(&chunked(body, 1000));
        request
    };
    for (request, status) in [
        (with_body("POST", "/sparql", &[FORM], &at), 200),
        (with_body("POST", "/sparql", &[FORM], &over), 413),
        (chunked_request(&at), 200),
        (chunked_request(&over), 413),
    ] {
        let reply = exchange(proxy.addr, &request).await;
        assert_eq!(reply.status, status, "{}", reply.text());
        if status == 413 {
            assert_eq!(reply.json()["error"], "body_too_large");
        }
    }
    assert_eq!(upstream.arrived().len(), 2, "refused bodies never reach it");
    assert!(upstream.verified().iter().all(|v| v.body_len == 4096));
    let stderr = proxy.stderr_lines(2).await;
    assert_eq!(stderr.len(), 2, "{stderr:?}");
    assert!(stderr
        .iter()
        .all(|l| l.starts_with("sigv4 proxy: 413 POST /sparql: ")));
}

/// A container credentials endpoint on loopback: hands out `current`'s
/// credentials, each expiring 12 s after it is asked (so the cache, which
/// never serves credentials within 10 s of expiry, asks again 2 s later).
async fn container_endpoint(
    current: Arc<Mutex<Credentials>>,
    calls: Arc<AtomicUsize>,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let current = current.clone();
            let calls = calls.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_: http::Request<_>| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let creds = current.lock().unwrap().clone();
                    let expiration = (time::OffsetDateTime::now_utc() + Duration::from_secs(12))
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap();
                    let json = serde_json::json!({
                        "AccessKeyId": creds.access_key_id(),
                        "SecretAccessKey": creds.secret_access_key(),
                        "Token": creds.session_token(),
                        "Expiration": expiration,
                    });
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from(json.to_string()),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_rotate_while_the_proxy_runs() {
    let first = Credentials::new(
        "ASIAROTATEFIRST",
        "rotateFirstSecretEXAMPLE0000000000000000",
    )
    .and_then(|c| c.with_session_token("first-session-token-EXAMPLE"))
    .unwrap();
    let second = Credentials::new(
        "ASIAROTATESECOND",
        "rotateSecondSecretEXAMPLE000000000000000",
    )
    .and_then(|c| c.with_session_token("second-session-token-EXAMPLE"))
    .unwrap();
    let server = neptune_server::start(ServerConfig {
        keys: KeyTable::new(vec![first.clone(), second.clone()]),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let current = Arc::new(Mutex::new(first));
    let calls = Arc::new(AtomicUsize::new(0));
    let endpoint = container_endpoint(current.clone(), calls.clone()).await;
    let uri = format!("http://{endpoint}/credentials");
    let proxy = Proxy::start(
        &["--upstream", &server.endpoint()],
        &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri)],
    );
    let key = |reply: &raw_http::Reply| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.header("x-local-access-key").unwrap().to_owned()
    };
    for _ in 0..3 {
        let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
        assert_eq!(key(&reply), "ASIAROTATEFIRST");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "served from the cache");

    *current.lock().unwrap() = second;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    for _ in 0..3 {
        let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
        assert_eq!(key(&reply), "ASIAROTATESECOND");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let stderr = proxy.stderr();
    assert!(stderr.is_empty(), "{stderr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_is_a_502_with_one_stderr_line_and_the_proxy_serves_again() {
    let parked = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = parked.local_addr().unwrap();
    drop(parked);
    let proxy = Proxy::with_demo_key(&["--upstream", &format!("http://{addr}")]);
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 502, "{}", reply.text());
    let json = reply.json();
    assert_eq!(json["error"], "upstream_unreachable", "{json}");
    assert_eq!(json.as_object().unwrap().len(), 2, "short: {json}");
    let stderr = proxy.stderr_lines(1).await;
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(
        stderr[0].starts_with("sigv4 proxy: 502 GET /status: cannot reach the upstream"),
        "{stderr:?}"
    );
    assert!(!stderr[0].contains(DEMO_SECRET));

    let server = neptune_server::start(ServerConfig {
        addr,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_verified(&reply, "Checked");
    drop(server);
    assert_eq!(proxy.stop(), "");
}

/// A TLS front on 127.0.0.1 for `backend`, with the test certificate for
/// the sign host; records the SNI each handshake named.
async fn tls_front(backend: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls/");
    let cert = std::fs::read(format!("{dir}server.crt.der")).unwrap();
    let key = std::fs::read(format!("{dir}server.key.der")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(cert)],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let names = Arc::new(Mutex::new(Vec::new()));
    let seen = names.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().unwrap_or("").to_owned();
                seen.lock().unwrap().push(sni);
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_host_is_signed_sent_and_checked_over_tls() {
    let server = neptune().await;
    let (front, names) = tls_front(server.addr).await;
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/tls/ca.pem");
    let host = "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182";
    let env = [
        ("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", DEMO_SECRET),
        ("SSL_CERT_FILE", ca),
    ];
    let upstream = format!("https://{front}");
    let proxy = Proxy::start(&["--upstream", &upstream, "--sign-host", host], &env);
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_verified(&reply, "Checked");
    assert_eq!(reply.header("x-local-host"), Some(host), "signed and sent");
    assert_eq!(
        names.lock().unwrap().as_slice(),
        ["my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com"],
        "SNI"
    );
    drop(proxy);

    // Without it, the certificate (for the cluster's name) does not match
    // 127.0.0.1: refused, a 502.
    let proxy = Proxy::start(&["--upstream", &upstream], &env);
    let reply = exchange(proxy.addr, &head("GET", "/status", &[])).await;
    assert_eq!(reply.status, 502, "{}", reply.text());
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("certificate"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_64_clients_10000_requests_every_one_verified_nothing_leaks() {
    const CLIENTS: usize = 64;
    const REQUESTS: usize = 10_000;
    let server = neptune().await;
    let proxy = Proxy::with_demo_key(&["--upstream", &server.endpoint()]);
    let pid = proxy.pid();
    let base = format!("http://{}", proxy.addr);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CLIENTS)
        .build_http();

    async fn one(
        client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
        base: &str,
        i: usize,
    ) {
        let mut request = if i.is_multiple_of(4) {
            http::Request::post(format!("{base}/sparql"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from_static(b"query=ASK+%7B%7D")))
        } else {
            http::Request::get(format!("{base}/status")).body(Full::new(Bytes::new()))
        }
        .unwrap();
        // One in ten closes its connection: connections open and close
        // throughout, so a leak per connection shows as well as one per
        // request.
        if i.is_multiple_of(10) {
            request
                .headers_mut()
                .insert("connection", http::HeaderValue::from_static("close"));
        }
        let response = client.request(request).await.expect("a response");
        let status = response.status();
        let key = response
            .headers()
            .get("x-local-access-key")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "request {i}: {body:?}");
        assert_eq!(key.as_deref(), Some(DEMO_ACCESS_KEY_ID), "request {i}");
    }

    async fn round(
        client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
        base: &str,
        total: usize,
    ) {
        let next = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let client = client.clone();
                let base = base.to_owned();
                let next = next.clone();
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        one(&client, &base, i).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }

    let fds_start = open_fds(pid);
    // Warm up: every client connection and upstream connection opened.
    round(&client, &base, 4 * CLIENTS).await;
    let fds_before = open_fds(pid);
    let rss_before = status_kib(pid, "VmRSS");

    let started = Instant::now();
    round(&client, &base, REQUESTS).await;
    let elapsed = started.elapsed();
    // At most 64 client connections (the test client's pool) and 64
    // upstream ones (the proxy's) are open between rounds; connections
    // closed at the last responses may still be closing.
    let bound = fds_start + 2 * CLIENTS + 4;
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut fds_after = open_fds(pid);
    while fds_after > bound && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        fds_after = open_fds(pid);
    }
    let rss_after = status_kib(pid, "VmRSS");
    eprintln!(
        "load: {REQUESTS} requests, {CLIENTS} clients in {:.2} s ({:.0} requests/s); \
         proxy fds {fds_start} at start, {fds_before} -> {fds_after}, RSS {rss_before} -> {rss_after} KiB",
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
    // A connection is a descriptor: none may be left over, after the
    // thousand or so opened and closed in the round. Memory settles at the
    // working set; allow allocator slack.
    assert!(
        fds_after <= bound,
        "fds {fds_start} at start, {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after <= rss_before + 8 * 1024,
        "RSS {rss_before} -> {rss_after} KiB"
    );

    // The clients leave: their connections close at the proxy too, and
    // what is left are the idle upstream connections, at most the pool's
    // bound (64).
    drop(client);
    let bound = fds_start + 64 + 4;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut fds_idle = open_fds(pid);
    while fds_idle > bound && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        fds_idle = open_fds(pid);
    }
    assert!(
        fds_idle <= bound,
        "fds {fds_start} at the start, {fds_idle} with the clients gone"
    );
    assert!(proxy.stderr().is_empty(), "{:?}", proxy.stderr());
}
