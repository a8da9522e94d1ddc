//! Allocation budget of `sigv4`, checked with a counting global allocator
//! (`benches/common/counting.rs`) on the bench workloads
//! (`benches/common/mod.rs`):
//!
//! - header signing of W1, W2, W3 and W5 allocates once per header value
//!   it adds (`x-amz-date`, `x-amz-security-token`, `authorization`), plus
//!   whatever making room for three entries costs that request's own
//!   `HeaderMap` (zero when the map has room), once a warm-up call
//!   has filled the signer's key cache;
//! - presigning W4 allocates the new path-and-query and nothing else (two
//!   allocations: the buffer and `http`'s shared handle to it);
//! - the core stages (`CanonicalRequest::new` + `hash`, `StringToSign::new`,
//!   `SigningKey::sign` with a pre-derived key, `SigningKeyCache::sign` on a
//!   warm cache) allocate nothing;
//! - aws-chunked chunk signing and checking allocate nothing per chunk.
//!
//! Counting is per thread and only around the measured call, so tests
//! running in parallel on the harness's threads cannot disturb each other:
//! each test warms up, measures and checks on its own thread. When a budget
//! is exceeded, the failure message lists the call site of every
//! allocation.
//!
//! Run: `cargo test --test alloc_budget` (add `-- --include-ignored` for
//! budgets marked as not met yet).

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "../benches/common/counting.rs"]
mod counting;

use sigv4::{
    CanonicalRequest, CredentialScope, PayloadHash, Region, Service, SigningKey, SigningKeyCache,
    StringToSign,
};

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

/// Header values one signature of the workloads adds: `x-amz-date`,
/// `x-amz-security-token` and `authorization` (the workloads carry `host`).
const ADDED_VALUES: u64 = 3;

/// The call sites of every allocation `f` makes, one line each.
fn explain_allocations(f: impl FnOnce()) -> String {
    let ((), _, traces) = counting::trace(f);
    traces
        .iter()
        .enumerate()
        .map(|(i, (size, trace))| {
            format!(
                "  {}. {size} bytes: {}\n",
                i + 1,
                counting::call_sites(trace, 3).join(" <- ")
            )
        })
        .collect()
}

/// Header names built before counting starts: inserting with a `&str` key
/// would allocate a custom name (`x-amz-date`) inside the count, and
/// inflate the measured map growth.
fn static_names(names: &[&'static str]) -> Vec<http::HeaderName> {
    names
        .iter()
        .map(|n| http::HeaderName::from_static(n))
        .collect()
}

/// Checks one header-signed workload against its budget, listing the
/// call site of every allocation when it is over.
fn check_sign_budget(w: &common::Workload) {
    assert!(w.presign.is_none());
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    // Warm-up: derives the key and fills both cache levels.
    let mut warm = w.request.clone();
    common::sign_ours(&signer, &creds, time, None, &mut warm);

    let mut request = w.request.clone();
    let (_, count) = counting::count(|| {
        common::sign_ours(&signer, &creds, time, None, &mut request);
    });
    // Deterministic: a second signature allocates the same.
    let mut again = w.request.clone();
    let (_, second) = counting::count(|| {
        common::sign_ours(&signer, &creds, time, None, &mut again);
    });
    assert_eq!(count, second, "{}: allocation count is not stable", w.id);

    // What the request's own map costs to make room for the new entries:
    // the signer reserves once, so this is the most growth can add.
    // Measured by inserting three static (allocation-free) values into a
    // map in the same state as the one being signed.
    let mut map = w.request.clone().headers().clone();
    let names = static_names(&["x-amz-date", "x-amz-security-token", "authorization"]);
    let (_, growth) = counting::count(|| {
        map.reserve(ADDED_VALUES as usize);
        for name in names {
            map.insert(name, http::HeaderValue::from_static("-"));
        }
    });
    let budget = ADDED_VALUES + growth.allocs;
    if count.allocs > budget {
        let mut request = w.request.clone();
        let sites = explain_allocations(|| {
            common::sign_ours(&signer, &creds, time, None, &mut request);
        });
        panic!(
            "{} ({}): {} allocations ({} bytes) per signature, budget {budget} \
             ({ADDED_VALUES} header values + {} for map growth):\n{sites}",
            w.id, w.label, count.allocs, count.bytes, growth.allocs
        );
    }
}

#[test]
fn w1_header_signing_within_budget() {
    check_sign_budget(&common::w1());
}

#[test]
fn w2_header_signing_within_budget() {
    check_sign_budget(&common::w2());
}

#[test]
fn w3_header_signing_within_budget() {
    check_sign_budget(&common::w3());
}

#[test]
fn w5_header_signing_within_budget() {
    check_sign_budget(&common::w5());
}

/// Presigning adds no header: its budget is the new path-and-query, one
/// buffer, plus the shared handle `http` keeps it in (`Bytes` from a `Vec`
/// whose capacity exceeds its length).
const PRESIGN_BUDGET: u64 = 2;

#[test]
fn w4_presigning_within_budget() {
    let w = common::w4();
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let mut warm = w.request.clone();
    common::sign_ours(&signer, &creds, time, w.presign, &mut warm);

    let mut request = w.request.clone();
    let (_, count) = counting::count(|| {
        common::sign_ours(&signer, &creds, time, w.presign, &mut request);
    });
    assert!(request.uri().query().unwrap().contains("X-Amz-Signature="));
    if count.allocs > PRESIGN_BUDGET {
        let mut request = w.request.clone();
        let sites = explain_allocations(|| {
            common::sign_ours(&signer, &creds, time, w.presign, &mut request);
        });
        panic!(
            "{}: {} allocations ({} bytes) per presigned URL, budget {PRESIGN_BUDGET}:\n{sites}",
            w.id, count.allocs, count.bytes
        );
    }
}

#[test]
fn core_stages_do_not_allocate() {
    let time = common::signing_time();
    let region = Region::new(common::REGION).expect("region");
    let service = Service::new(common::SERVICE).expect("service");
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive(common::SECRET_ACCESS_KEY, &scope);
    // A warm cache: its first use on a thread sets up that thread's table.
    let cache = SigningKeyCache::new();
    let creds = common::credentials();
    cache.with_key(&creds, &scope, |_| ());
    for w in common::all().into_iter().filter(|w| w.presign.is_none()) {
        let request = &w.request;
        let headers = common::core_headers(request);
        let payload = PayloadHash::of_bytes(request.body());
        let query = request.uri().query().unwrap_or("");
        let expected = common::explain(&w).signature();

        let (signature, count) = counting::count(|| {
            let canonical = CanonicalRequest::new(
                request.method().as_str(),
                request.uri().path(),
                query,
                &headers,
                &payload,
            )
            .expect("valid canonical request");
            let hash = canonical.hash();
            let string_to_sign = StringToSign::new(&time, scope, &hash);
            (
                key.sign(&string_to_sign),
                cache.sign(&creds, &string_to_sign),
            )
        });
        let (signature, cached) = signature;
        assert_eq!(signature, expected, "{}: the stages sign differently", w.id);
        assert_eq!(cached, expected, "{}: the cache signs differently", w.id);
        assert_eq!(
            count.allocs, 0,
            "{}: core stages allocated {} times ({} bytes)",
            w.id, count.allocs, count.bytes
        );
    }
}

/// W1 as `http::Request::get(url)` builds it, without a `host` header: the
/// signer adds one from the URI, one more header value for the budget.
#[test]
fn w1_without_host_within_budget() {
    let w = common::w1();
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let mut base = w.request.clone();
    base.headers_mut().remove("host");
    let mut warm = base.clone();
    common::sign_ours(&signer, &creds, time, None, &mut warm);

    let mut request = base.clone();
    let (_, count) = counting::count(|| {
        common::sign_ours(&signer, &creds, time, None, &mut request);
    });
    assert_eq!(request.headers()["host"], common::HOST);
    let added = ADDED_VALUES + 1;
    // Of the four values, `x-amz-date` and the token are reused from the
    // thread's last signature (same time, same token): only `host` and
    // `authorization` are new buffers, one allocation each.
    let fresh = 2;
    let mut map = base.headers().clone();
    let names = static_names(&[
        "host",
        "x-amz-date",
        "x-amz-security-token",
        "authorization",
    ]);
    let (_, growth) = counting::count(|| {
        map.reserve(added as usize);
        for name in names {
            map.insert(name, http::HeaderValue::from_static("-"));
        }
    });
    let budget = fresh + growth.allocs;
    if count.allocs > budget {
        let mut request = base.clone();
        let sites = explain_allocations(|| {
            common::sign_ours(&signer, &creds, time, None, &mut request);
        });
        panic!(
            "W1 without host: {} allocations, budget {budget} ({fresh} new header values + {} for map growth):\n{sites}",
            count.allocs, growth.allocs
        );
    }
}

/// aws-chunked: signing chunks into a buffer with room, and checking
/// them with the decoder (its chunk buffer grown once), allocate nothing
/// per chunk, however long the body: 16 chunks and 256 chunks cost the
/// same (none).
#[test]
fn chunked_signing_and_checking_allocate_nothing_per_chunk() {
    use sigv4::{ChunkDecoder, ChunkSigner, Decoded, Signature, SigningTime};
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let (region, service) = (
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
    );
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive("secret", &scope);
    let seed = Signature::from_hex(&"0".repeat(64)).unwrap();
    let chunk = vec![b'x'; 8192];
    for chunks in [16usize, 256] {
        let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
        let mut encoded = Vec::with_capacity(chunks * (8192 + 100) + 100);
        let (_, signing) = counting::count(|| {
            for _ in 0..chunks {
                signer.write_chunk_header(&chunk, &mut encoded);
                encoded.extend_from_slice(&chunk);
                encoded.extend_from_slice(b"\r\n");
            }
        });
        signer.write_final_chunk(&mut encoded);
        assert_eq!(signing.allocs, 0, "signing {chunks} chunks");

        let mut decoder = ChunkDecoder::signed(ChunkSigner::new(&key, &time, &scope, seed), false);
        // The first chunk grows the decoder's buffers; every later one reuses them.
        let first = encoded.iter().position(|&b| b == b'\n').unwrap() + 1 + 8192 + 2;
        let (used, decoded) = decoder.decode(&encoded[..first]).unwrap();
        assert_eq!((used, matches!(decoded, Decoded::Data(_))), (first, true));
        let (_, checking) = counting::count(|| {
            let mut input = &encoded[first..];
            while !input.is_empty() {
                let (used, _) = decoder.decode(input).unwrap();
                input = &input[used..];
            }
        });
        assert!(decoder.is_done());
        assert_eq!(checking.allocs, 0, "checking {chunks} chunks");
    }
}
