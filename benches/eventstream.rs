//! Event-stream signing: `sigv4` beside `aws-sigv4` 1.6.4
//! (`event_stream::sign_message`, feature `sign-eventstream`) in the same
//! run, for a 1 KiB and a 32 KiB audio event. Both produce the envelope's
//! wire bytes (aws-sigv4 returns a `Message`, written with
//! `aws-smithy-eventstream`), so both do the work a client must. The
//! bench first asserts the two envelopes are byte for byte the same.
//!
//! ```text
//! cargo bench --features eventstream --bench eventstream -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::event_stream as aws;
use criterion::{criterion_group, criterion_main, Criterion};
use sigv4::eventstream::{HeaderValue, Message};
use sigv4::{Credentials, Region, Service, Signature, Signer, SigningTime};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const UNIX: u64 = 1_440_938_160;

fn events(c: &mut Criterion) {
    let signer = Signer::new(
        Region::new("us-west-2").unwrap(),
        Service::new("transcribe").unwrap(),
    );
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    let time = SigningTime::from_unix(UNIX as i64).unwrap();
    let seed_hex = "0".repeat(64);
    let seed = Signature::from_hex(&seed_hex).unwrap();
    let identity: Identity = AwsCredentials::new("AKIDEXAMPLE", SECRET, None, None, "bench").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-west-2")
        .name("transcribe")
        .time(UNIX_EPOCH + Duration::from_secs(UNIX))
        .settings(())
        .build()
        .unwrap();

    for size in [1024usize, 32 * 1024] {
        let audio = vec![0x5au8; size];
        let ours = Message::new(audio.clone())
            .with_header(":event-type", HeaderValue::String("AudioEvent".into()))
            .with_header(":message-type", HeaderValue::String("event".into()));
        let theirs = aws::Message::new(audio)
            .add_header(aws::Header::new(
                ":event-type",
                aws::HeaderValue::String("AudioEvent".into()),
            ))
            .add_header(aws::Header::new(
                ":message-type",
                aws::HeaderValue::String("event".into()),
            ));
        let mut inner = Vec::new();
        ours.encode(&mut inner).unwrap();

        // Same bytes from both, before timing anything.
        let mut mine = Vec::new();
        signer
            .event_signer(&creds, seed)
            .sign_message(&inner, time, &mut mine)
            .unwrap();
        let (envelope, _) = aws_sigv4::event_stream::sign_message(&theirs, &seed_hex, &params)
            .unwrap()
            .into_parts();
        let mut wire = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&envelope, &mut wire).unwrap();
        assert_eq!(mine, wire, "the same envelope");

        let mut group = c.benchmark_group(format!("eventstream/{}KiB", size / 1024));
        group.bench_function("sigv4", |b| {
            let mut events = signer.event_signer(&creds, seed);
            let mut out = Vec::with_capacity(inner.len() + 100);
            b.iter(|| {
                out.clear();
                events
                    .sign_message(black_box(&inner), time, &mut out)
                    .unwrap();
                black_box(&out);
            })
        });
        group.bench_function("aws-sigv4", |b| {
            let mut running = seed_hex.clone();
            let mut out = Vec::with_capacity(inner.len() + 100);
            b.iter(|| {
                let (envelope, signature) =
                    aws_sigv4::event_stream::sign_message(black_box(&theirs), &running, &params)
                        .unwrap()
                        .into_parts();
                out.clear();
                aws_smithy_eventstream::frame::write_message_to(&envelope, &mut out).unwrap();
                running = signature;
                black_box(&out);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, events);
criterion_main!(benches);
