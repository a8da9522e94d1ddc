//! The SigV4 pipeline of `sigv4`, stage by stage, on W1 and W5 (see
//! `benches/common/mod.rs`), through the public core API:
//!
//! - `payload_hash`: `PayloadHash::of_bytes` of the body (empty for both);
//! - `canonical_request_hash`: `CanonicalRequest::new(..)` + `.hash()` over
//!   the header list header signing signs (validation, sorting, streaming
//!   into SHA-256);
//! - `string_to_sign`: `StringToSign::new` (hex of the hash);
//! - `key_derive_cold`: `SigningKey::derive` (four HMACs);
//! - `key_cached`: `SigningKeyCache::with_key` on a hit (the per-thread
//!   table);
//! - `signature`: `SigningKey::sign` (one HMAC from a pre-keyed state);
//! - `cache_sign`: `SigningKeyCache::sign`, the lookup and the signature as
//!   `Signer` runs them: the string to sign's first lines, the same within
//!   a second, are hashed once per thread (one compression fewer);
//! - `core_total`: canonical request hash, string to sign and `cache_sign`
//!   together, as `Signer` runs them;
//! - `signer_sign`: the whole `Signer::sign` on a fresh clone of the
//!   request (clone outside the timing), for the adapter's share:
//!   `signer_sign - payload_hash - core_total`.
//!
//! Before timing, the bench checks that the stages reproduce the signature
//! `Signer::explain` reports.
//!
//! Run:
//!
//! ```text
//! cargo bench --bench stages -- --warm-up-time 1 --measurement-time 3
//! ```

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sha2::{Digest, Sha256};
use sigv4::{
    CanonicalRequest, CredentialScope, PayloadHash, Region, Service, SigningKey, SigningKeyCache,
    StringToSign,
};

fn stages(c: &mut Criterion) {
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let region = Region::new(common::REGION).expect("region");
    let service = Service::new(common::SERVICE).expect("service");
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive(common::SECRET_ACCESS_KEY, &scope);
    let cache = SigningKeyCache::new();
    cache.with_key(&creds, &scope, |_| ());

    for workload in [common::w1(), common::w5()] {
        let request = &workload.request;
        let headers = common::core_headers(request);
        let payload = PayloadHash::of_bytes(request.body());
        let method = request.method().as_str();
        let path = request.uri().path();
        let query = request.uri().query().unwrap_or("");
        let canonical = || {
            CanonicalRequest::new(
                black_box(method),
                black_box(path),
                black_box(query),
                black_box(headers.as_slice()),
                black_box(&payload),
            )
            .expect("valid canonical request")
        };

        // The stages reproduce what `Signer` signs.
        let explained = common::explain(&workload);
        let hash = canonical().hash();
        assert_eq!(
            hash,
            <[u8; 32]>::from(Sha256::digest(explained.canonical_request()))
        );
        let sts = StringToSign::new(&time, scope, &hash);
        assert_eq!(sts.to_string(), explained.string_to_sign());
        assert_eq!(key.sign(&sts), explained.signature());
        assert_eq!(cache.sign(&creds, &sts), explained.signature());

        let mut group = c.benchmark_group(format!("stages/{}", workload.id));
        group.bench_function("payload_hash", |b| {
            b.iter(|| PayloadHash::of_bytes(black_box(request.body())));
        });
        group.bench_function("canonical_request_hash", |b| {
            b.iter(|| canonical().hash());
        });
        group.bench_function("string_to_sign", |b| {
            b.iter(|| StringToSign::new(&time, black_box(scope), black_box(&hash)));
        });
        group.bench_function("key_derive_cold", |b| {
            b.iter(|| SigningKey::derive(black_box(common::SECRET_ACCESS_KEY), &scope));
        });
        group.bench_function("key_cached", |b| {
            b.iter(|| {
                cache.with_key(&creds, black_box(&scope), |key| {
                    black_box(key);
                });
            });
        });
        group.bench_function("signature", |b| {
            b.iter(|| key.sign(black_box(&sts)));
        });
        group.bench_function("cache_sign", |b| {
            b.iter(|| cache.sign(&creds, black_box(&sts)));
        });
        group.bench_function("core_total", |b| {
            b.iter(|| {
                let hash = canonical().hash();
                let sts = StringToSign::new(&time, scope, &hash);
                cache.sign(&creds, &sts)
            });
        });
        group.bench_function("signer_sign", |b| {
            b.iter_batched(
                || request.clone(),
                |mut request| {
                    let signature = common::sign_ours(&signer, &creds, time, None, &mut request);
                    (signature, request)
                },
                BatchSize::NumIterations(common::BATCH),
            );
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
