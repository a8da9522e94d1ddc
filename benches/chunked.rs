//! aws-chunked signing of a 64 MiB body in 64 KiB chunks beside its
//! physical floor, SHA-256 over the same bytes, in the same run (the
//! framing is written into one reused buffer; the data is not copied);
//! and verification: the encoded body through a `ChunkDecoder`, fed in
//! 16 KiB pieces as a socket would, every chunk checked and handed over.
//!
//! ```text
//! cargo bench --bench chunked -- --warm-up-time 1 --measurement-time 5
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sha2::{Digest, Sha256};
use sigv4::{
    ChunkDecoder, ChunkSigner, CredentialScope, Decoded, Region, Service, Signature, SigningKey,
    SigningTime,
};

const BODY: usize = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn chunked(c: &mut Criterion) {
    let body = vec![b'a'; BODY];
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let (region, service) = (
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
    );
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &scope);
    let seed = Signature::from_hex(&"0".repeat(64)).unwrap();

    let mut group = c.benchmark_group("chunked/64MiB");
    group.throughput(Throughput::Bytes(BODY as u64));
    group.sample_size(10);
    group.bench_function("sigv4", |b| {
        let mut framing = Vec::with_capacity(sigv4::MAX_CHUNK_HEADER_LEN + 2);
        b.iter(|| {
            let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
            for chunk in body.chunks(CHUNK) {
                framing.clear();
                signer.write_chunk_header(chunk, &mut framing);
                black_box(&framing);
            }
            framing.clear();
            signer.write_final_chunk(&mut framing)
        })
    });
    let mut encoded = Vec::with_capacity(BODY + BODY / 500);
    let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
    for chunk in body.chunks(CHUNK) {
        signer.write_chunk_header(chunk, &mut encoded);
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    signer.write_final_chunk(&mut encoded);
    group.bench_function("verify", |b| {
        b.iter(|| {
            let checker = ChunkSigner::new(&key, &time, &scope, seed);
            let mut decoder = ChunkDecoder::signed(checker, false);
            let mut handed = 0usize;
            for piece in encoded.chunks(16 * 1024) {
                let mut input = piece;
                while !input.is_empty() {
                    let (used, decoded) = decoder.decode(input).expect("a signed body");
                    if let Decoded::Data(data) = decoded {
                        handed += data.len();
                    }
                    input = &input[used..];
                }
            }
            decoder.finish().expect("complete");
            assert_eq!(handed, BODY);
        })
    });
    group.bench_function("sha256_floor", |b| {
        b.iter(|| Sha256::digest(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, chunked);
criterion_main!(benches);
