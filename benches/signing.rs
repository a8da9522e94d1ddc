//! End-to-end signing: `sigv4` beside `aws-sigv4` 1.6.4 on the fixed
//! workloads W1..W5 (see `benches/common/mod.rs`), plus a two-thread
//! throughput case for `sigv4`.
//!
//! One criterion group per workload (`W1` .. `W5`), each with:
//!
//! - `sigv4`: `Signer::sign` (or `presign` for W4). The signer is built once
//!   outside the loop: its signing-key cache is part of the design.
//! - `aws-sigv4`: `SignableRequest::new` over the request (URI turned into a
//!   string), `http_request::sign`, `apply_to_request_http1x`. Its params
//!   are built once; it has no key cache, so it derives the key every time.
//! - `view`: `Signer::sign_view` (or `presign_view`) over a `RequestView`
//!   of the request: everything signing computes, before it is applied to
//!   any request type (the instructions are dropped).
//! - `floor`: the cryptography no SigV4 signer can skip: SHA-256 of the
//!   body, SHA-256 of the exact canonical request bytes, and one HMAC-SHA256
//!   of the string to sign with an already-keyed HMAC state. (`sigv4` does
//!   slightly less: an empty body's hash is a constant, and the string to
//!   sign's first lines (algorithm, time, scope: more than one SHA-256
//!   block), the same all second, are hashed once per thread and second. The fixed signing time keeps that warm here, as signing
//!   more than once a second per thread does in a load test.)
//!
//! - `http_apply`: only the changes to the `http::Request` that signing the
//!   workload makes, with every value already computed: for header signing,
//!   an `authorization` `HeaderValue` from its bytes (allocated and
//!   validated, as every signer must) and inserting it with `x-amz-date`
//!   and `x-amz-security-token` (values cloned from ready ones, the
//!   cheapest way there is); for presigning, a `PathAndQuery` from the
//!   presigned string (validated by `http`) and the new `Uri`. This is
//!   `http`'s share of any signer's time through this API, which no
//!   signer can cut: `floor + http_apply` is the least a signer of an
//!   `http::Request` can take. The bench checks that the result equals
//!   the request `sigv4` signs.
//!
//! `reqsign-aws-v4` 3.3.1 is not an arm here: it signs at
//! `Timestamp::now()`, and its one way to set the time (`with_time`) is
//! `#[cfg(test)]`, so it cannot sign the fixed workloads without a patch.
//! (Checked against its source; see the README.)
//!
//! Each iteration signs a fresh clone of the request; cloning happens in
//! `iter_batched` setup, outside the timing, and the signed request is
//! dropped outside it too. Before timing anything, the bench asserts that
//! both signers produce the same signature for every workload.
//!
//! Batches hold `common::BATCH` (8) requests, not criterion's
//! `SmallInput` (a tenth of a sample: thousands of live requests). With
//! thousands, the signed requests' grown header maps are freed together,
//! glibc returns that memory to the kernel, and the next batch faults it in
//! again: about 1.4 minor page faults per W5 signature for `sigv4` and 1.0
//! for `aws-sigv4`, at several microseconds each on this VM, which would
//! time the kernel more than either signer. `benches/batch_faults.rs`
//! measures both signers at batches of 8, 64 and 1000.
//!
//! The `threads/W1` group signs W1 with one shared `Signer`: `1 thread`
//! signs 2N requests, `2 threads` sign N each, concurrently. Both report the
//! time per 2 signatures (wall clock), so `1 thread / 2 threads` is the
//! throughput ratio (2.0 is perfect scaling). Here each signature includes
//! cloning (and dropping) its request, identically in both cases.
//!
//! Run (short, as in `benches/run.sh`):
//!
//! ```text
//! cargo bench --bench signing -- --warm-up-time 1 --measurement-time 3
//! ```

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use common::BATCH;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::uri::PathAndQuery;
use http::{Request, Uri};
use sigv4::{Credentials, Signer};

/// The request changes signing one workload makes, with every value
/// computed beforehand (see the module docs, `http_apply`).
enum HttpApply {
    /// Header signing: headers added from ready values, then
    /// `authorization` built from its bytes.
    Headers {
        added: Vec<(HeaderName, HeaderValue)>,
        authorization: Vec<u8>,
    },
    /// Presigning: the new path and query, from its string.
    Uri { path_and_query: String },
}

impl HttpApply {
    /// Takes the changes from `sigv4`'s signature of `workload`, and checks
    /// that applying them gives the same request.
    fn new(workload: &common::Workload) -> Self {
        let mut signed = workload.request.clone();
        common::sign_ours(
            &common::signer(),
            &common::credentials(),
            common::signing_time(),
            workload.presign,
            &mut signed,
        );
        let apply = if workload.presign.is_some() {
            Self::Uri {
                path_and_query: signed.uri().path_and_query().expect("a path").to_string(),
            }
        } else {
            let original = workload.request.headers();
            let added = signed
                .headers()
                .iter()
                .filter(|(name, _)| !original.contains_key(*name) && **name != AUTHORIZATION)
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            Self::Headers {
                added,
                authorization: signed.headers()[AUTHORIZATION].as_bytes().to_vec(),
            }
        };
        let mut request = workload.request.clone();
        apply.run(&mut request);
        assert_eq!(request.uri(), signed.uri(), "{}: same URI", workload.id);
        assert_eq!(
            request.headers(),
            signed.headers(),
            "{}: same headers",
            workload.id
        );
        apply
    }

    #[inline]
    fn run(&self, request: &mut Request<Vec<u8>>) {
        match self {
            Self::Headers {
                added,
                authorization,
            } => {
                let mut value = HeaderValue::try_from(black_box(authorization.clone()))
                    .expect("a valid authorization value");
                value.set_sensitive(true);
                let headers = request.headers_mut();
                headers.reserve(added.len() + 1);
                for (name, value) in added {
                    headers.insert(name.clone(), value.clone());
                }
                headers.insert(AUTHORIZATION, value);
            }
            Self::Uri { path_and_query } => {
                let mut parts = request.uri().clone().into_parts();
                parts.path_and_query = Some(
                    PathAndQuery::try_from(black_box(path_and_query.clone()))
                        .expect("a valid path and query"),
                );
                *request.uri_mut() = Uri::from_parts(parts).expect("a valid URI");
            }
        }
    }
}

fn workloads(c: &mut Criterion) {
    common::check_same_signatures();
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let identity = common::aws_identity();

    for workload in common::all() {
        let mut group = c.benchmark_group(workload.id);
        let presign = workload.presign;

        group.bench_function("sigv4", |b| {
            b.iter_batched(
                || workload.request.clone(),
                |mut request| {
                    let signature = common::sign_ours(&signer, &creds, time, presign, &mut request);
                    (signature, request)
                },
                BatchSize::NumIterations(BATCH),
            );
        });

        let params = common::aws_params(&identity, presign);
        group.bench_function("aws-sigv4", |b| {
            b.iter_batched(
                || workload.request.clone(),
                |mut request| {
                    let signature = common::sign_aws(&params, &mut request);
                    (signature, request)
                },
                BatchSize::NumIterations(BATCH),
            );
        });

        // The request seen through a `RequestView`, its header list built
        // once outside the timing (an adapter lists its own headers so):
        // signing computes the instructions, applied to nothing.
        let headers = common::view_headers(&workload.request);
        let view = common::view(&workload.request, &headers);
        let body = workload.request.body();
        group.bench_function("view", |b| {
            b.iter(|| common::sign_view(&signer, &creds, time, presign, &view, body))
        });

        let floor = common::Floor::new(&workload);
        group.bench_function("floor", |b| b.iter(|| floor.run()));

        let apply = HttpApply::new(&workload);
        group.bench_function("http_apply", |b| {
            b.iter_batched(
                || workload.request.clone(),
                |mut request| {
                    apply.run(&mut request);
                    request
                },
                BatchSize::NumIterations(BATCH),
            );
        });
        group.finish();
    }
}

/// Signs W1 `per_thread` times on each of `threads` threads sharing
/// `signer`; returns the wall time from the common start to the last join.
fn sign_on_threads(
    signer: &Signer,
    creds: &Credentials,
    threads: usize,
    per_thread: u64,
) -> Duration {
    let time = common::signing_time();
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    // Built per thread, so no reference count is shared
                    // between threads through the template's header values.
                    let template = common::w1().request;
                    // Fills this thread's key cache before the clock starts.
                    let mut warm = template.clone();
                    common::sign_ours(signer, creds, time, None, &mut warm);
                    barrier.wait();
                    for _ in 0..per_thread {
                        let mut request = template.clone();
                        black_box(common::sign_ours(signer, creds, time, None, &mut request));
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            handle.join().expect("signing thread");
        }
        start.elapsed()
    })
}

fn threads(c: &mut Criterion) {
    let signer = common::signer();
    let creds = common::credentials();
    let mut group = c.benchmark_group("threads/W1");
    // One criterion iteration = two signatures in both cases.
    group.throughput(Throughput::Elements(2));
    group.bench_function("1 thread", |b| {
        b.iter_custom(|iters| sign_on_threads(&signer, &creds, 1, 2 * iters));
    });
    group.bench_function("2 threads", |b| {
        b.iter_custom(|iters| sign_on_threads(&signer, &creds, 2, iters));
    });
    group.finish();
}

criterion_group!(benches, workloads, threads);
criterion_main!(benches);
