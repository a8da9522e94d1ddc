//! SigV4a: `sigv4` beside `aws-sigv4` 1.6.4 (feature `sigv4a`) in the same
//! run, on W1 (a SPARQL GET with a session token), and the p256 floor.
//!
//! - `sign/sigv4`: `SigV4aSigner::sign` with its key cache warm;
//! - `sign/aws-sigv4`: `http_request::sign` with v4a params, which derives
//!   the key on every call (it has no cache), and applying the output;
//! - `sign/p256_floor`: one `SigningKey::sign_prehash` of a digest, the
//!   ECDSA every SigV4a signature costs;
//! - `derive/sigv4` and `derive/aws-sigv4`: the key derivation alone (ours
//!   includes computing the public key, which `EcdsaKey` holds);
//! - `verify/sigv4`: `Verifier::verify` of the signed request, public key
//!   cached; `verify/p256_floor`: one `verify_prehash`.
//!
//! ```text
//! cargo bench --features sigv4a --bench sigv4a -- --warm-up-time 1 --measurement-time 3
//! ```

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{self as aws, SignableBody, SignableRequest};
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use sigv4::verify::Verifier;
use sigv4::{EcdsaKey, Region, RegionSet, Service, SigV4aSigner};

fn sigv4a(c: &mut Criterion) {
    let w1 = common::w1();
    let creds = common::credentials();
    let time = common::signing_time();
    let service = Service::new(common::SERVICE).unwrap();
    let signer = SigV4aSigner::new(service.clone(), RegionSet::new(common::REGION).unwrap());
    let identity: Identity = AwsCredentials::new(
        common::ACCESS_KEY_ID,
        common::SECRET_ACCESS_KEY,
        Some(common::SESSION_TOKEN.to_owned()),
        None,
        "bench",
    )
    .into();
    let mut settings = common::aws_settings(None);
    settings.session_token_mode = aws::SessionTokenMode::Include;
    let params: aws::SigningParams<'_> = aws_sigv4::sign::v4a::SigningParams::builder()
        .identity(&identity)
        .region_set(common::REGION)
        .name(common::SERVICE)
        .time(UNIX_EPOCH + Duration::from_secs(common::UNIX_SECONDS))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let aws_sign = |request: &mut http::Request<Vec<u8>>| {
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.uri().to_string(),
            headers.into_iter(),
            SignableBody::Bytes(request.body()),
        )
        .unwrap();
        let (instructions, _) = aws::sign(signable, &params).unwrap().into_parts();
        instructions
    };

    // The same request from both, before timing anything.
    let mut ours = w1.request.clone();
    signer.sign(&mut ours, &creds, time).unwrap();
    let mut theirs = w1.request.clone();
    aws_sign(&mut theirs).apply_to_request_http1x(&mut theirs);
    assert_eq!(
        ours.headers()["authorization"],
        theirs.headers()["authorization"]
    );

    let mut group = c.benchmark_group("sigv4a/W1");
    group.bench_function("sign/sigv4", |b| {
        b.iter_batched(
            || w1.request.clone(),
            |mut request| {
                signer.sign(&mut request, &creds, time).unwrap();
                request
            },
            BatchSize::NumIterations(common::BATCH),
        )
    });
    group.bench_function("sign/aws-sigv4", |b| {
        b.iter_batched(
            || w1.request.clone(),
            |mut request| {
                aws_sign(&mut request).apply_to_request_http1x(&mut request);
                request
            },
            BatchSize::NumIterations(common::BATCH),
        )
    });
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let digest = [0x5au8; 32];
    let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
    group.bench_function("sign/p256_floor", |b| {
        b.iter(|| {
            let s: p256::ecdsa::Signature = key.sign_prehash(black_box(&digest)).unwrap();
            s
        })
    });
    group.bench_function("derive/sigv4", |b| {
        b.iter(|| EcdsaKey::derive(black_box(common::ACCESS_KEY_ID), common::SECRET_ACCESS_KEY))
    });
    group.bench_function("derive/aws-sigv4", |b| {
        b.iter(|| {
            aws_sigv4::sign::v4a::generate_signing_key(
                black_box(common::ACCESS_KEY_ID),
                common::SECRET_ACCESS_KEY,
            )
            .as_ref()
            .len()
        })
    });
    let known = creds.clone();
    let verifier = Verifier::new(
        Region::new(common::REGION).unwrap(),
        service,
        move |_: &str| Some(known.clone()),
    );
    verifier.verify(&ours, time).unwrap();
    group.bench_function("verify/sigv4", |b| {
        b.iter(|| verifier.verify(black_box(&ours), time).unwrap())
    });
    let public = *key.verifying_key();
    group.bench_function("verify/p256_floor", |b| {
        b.iter(|| {
            public
                .verify_prehash(black_box(&digest), &signature)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, sigv4a);
criterion_main!(benches);
