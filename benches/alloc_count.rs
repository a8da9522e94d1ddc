//! Allocations per signed request, `sigv4` beside `aws-sigv4` 1.6.4, for
//! the workloads W1..W5 (see `benches/common/mod.rs`), and for each stage of
//! the `sigv4` core. Prints Markdown tables; counts are deterministic.
//!
//! A counting global allocator (`benches/common/counting.rs`) counts, on
//! this thread only, every `alloc`/`alloc_zeroed`/`realloc` inside the
//! measured call. The request is cloned before counting starts and dropped
//! after it stops. `sigv4` is measured after one warm-up signature (which
//! fills the signer's key cache); each figure is checked to be the same over
//! `RUNS` repetitions (otherwise the table shows `min..max`).
//!
//! Run:
//!
//! ```text
//! cargo bench --bench alloc_count
//! ALLOC_TRACE=1 cargo bench --bench alloc_count   # also print call sites
//! ```

#[path = "common/mod.rs"]
mod common;
#[path = "common/counting.rs"]
mod counting;

use std::time::Duration;

use counting::Count;
use http::Request;
use sigv4::{
    CanonicalRequest, CredentialScope, PayloadHash, Region, Service, SigningKey, SigningKeyCache,
    StringToSign,
};

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

/// Repetitions per figure (to check determinism).
const RUNS: usize = 20;

/// Counts over `RUNS` calls of `f`: (min, max). `prepare` builds each
/// call's input outside the count.
fn measure<I, R>(mut prepare: impl FnMut() -> I, mut f: impl FnMut(&mut I) -> R) -> (Count, Count) {
    let mut min = Count {
        allocs: u64::MAX,
        bytes: u64::MAX,
    };
    let mut max = Count::default();
    for _ in 0..RUNS {
        let mut input = prepare();
        let (result, count) = counting::count(|| f(&mut input));
        drop(result);
        drop(input);
        min.allocs = min.allocs.min(count.allocs);
        min.bytes = min.bytes.min(count.bytes);
        max.allocs = max.allocs.max(count.allocs);
        max.bytes = max.bytes.max(count.bytes);
    }
    (min, max)
}

fn show(range: (Count, Count)) -> (String, String) {
    let (min, max) = range;
    let one = |a: u64, b: u64| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}..{b}")
        }
    };
    (one(min.allocs, max.allocs), one(min.bytes, max.bytes))
}

fn print_traces(title: &str, f: impl FnOnce()) {
    let ((), count, traces) = counting::trace(f);
    println!(
        "\n#### Call sites: {title} ({} allocations)\n",
        count.allocs
    );
    for (i, (size, trace)) in traces.iter().enumerate() {
        println!("{}. {size} bytes", i + 1);
        for frame in counting::call_sites(trace, 4) {
            println!("   - {frame}");
        }
    }
}

fn main() {
    common::check_same_signatures();
    let trace = std::env::var_os("ALLOC_TRACE").is_some();
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let identity = common::aws_identity();

    // Warm-up: fills the signer's key cache on this thread.
    for w in common::all() {
        let mut request = w.request.clone();
        common::sign_ours(&signer, &creds, time, w.presign, &mut request);
    }

    println!("### Allocations per signature (warm key cache for sigv4)\n");
    println!("| workload | sigv4 allocs | sigv4 bytes | aws-sigv4 allocs | aws-sigv4 bytes |");
    println!("|---|---:|---:|---:|---:|");
    for w in common::all() {
        let ours = show(measure(
            || w.request.clone(),
            |request| common::sign_ours(&signer, &creds, time, w.presign, request),
        ));
        let params = common::aws_params(&identity, w.presign);
        let theirs = show(measure(
            || w.request.clone(),
            |request| common::sign_aws(&params, request),
        ));
        println!(
            "| {} {} | {} | {} | {} | {} |",
            w.id, w.label, ours.0, ours.1, theirs.0, theirs.1
        );
    }

    println!("\n### sigv4 variants (W1)\n");
    println!("| case | allocs | bytes |");
    println!("|---|---:|---:|");
    {
        // First signature of a new signer: derives the key and fills both
        // cache levels.
        let w = common::w1();
        let cold = show(measure(
            || (common::signer(), w.request.clone()),
            |(signer, request)| common::sign_ours(signer, &creds, time, None, request),
        ));
        println!(
            "| W1, first signature of a new Signer (cold key cache) | {} | {} |",
            cold.0, cold.1
        );
        let mut no_host = w.request.clone();
        no_host.headers_mut().remove("host");
        let r = show(measure(
            || no_host.clone(),
            |request| common::sign_ours(&signer, &creds, time, None, request),
        ));
        println!(
            "| W1 without a host header (taken from the URI) | {} | {} |",
            r.0, r.1
        );
        let r = show(measure(
            || w.request.clone(),
            |request| signer.presign(request, &creds, time, Duration::from_secs(900)),
        ));
        println!("| W1 presign (= W4) | {} | {} |", r.0, r.1);
        // A request that already has room for the signing headers.
        let r = show(measure(
            || {
                let mut request = w.request.clone();
                request.headers_mut().reserve(8);
                request
            },
            |request| common::sign_ours(&signer, &creds, time, None, request),
        ));
        println!(
            "| W1 with `headers_mut().reserve(8)` before signing | {} | {} |",
            r.0, r.1
        );
        let r = show(measure(|| (), |()| w.request.clone()));
        println!("| (for scale) cloning the W1 request | {} | {} |", r.0, r.1);
    }

    println!(
        "\n### http::HeaderMap growth alone: inserting 3 prebuilt values into a fresh clone\n"
    );
    println!(
        "(What header signing's three inserts cost in map growth, without building any value.)\n"
    );
    println!("| workload | headers before | plain inserts | `reserve(3)` then inserts |");
    println!("|---|---:|---:|---:|");
    for w in common::all().into_iter().filter(|w| w.presign.is_none()) {
        let insert3 = |request: &mut Request<Vec<u8>>, reserve: bool| {
            let headers = request.headers_mut();
            if reserve {
                headers.reserve(3);
            }
            headers.insert(
                http::HeaderName::from_static("x-amz-date"),
                http::HeaderValue::from_static(common::AMZ_DATE),
            );
            headers.insert(
                http::HeaderName::from_static("x-amz-security-token"),
                http::HeaderValue::from_static(common::SESSION_TOKEN),
            );
            headers.insert(
                http::header::AUTHORIZATION,
                http::HeaderValue::from_static("x"),
            );
        };
        let plain = show(measure(|| w.request.clone(), |r| insert3(r, false)));
        if trace && w.id == "W1" {
            let mut request = w.request.clone();
            print_traces("W1 clone: 3 plain inserts", || insert3(&mut request, false));
        }
        let reserved = show(measure(|| w.request.clone(), |r| insert3(r, true)));
        println!(
            "| {} | {} | {} | {} |",
            w.id,
            w.request.headers().len(),
            plain.0,
            reserved.0
        );
    }

    println!("\n### sigv4 core stages (pre-derived key, warm cache)\n");
    println!("| stage | W1 allocs | W1 bytes | W5 allocs | W5 bytes |");
    println!("|---|---:|---:|---:|---:|");
    let region = Region::new(common::REGION).expect("region");
    let service = Service::new(common::SERVICE).expect("service");
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive(common::SECRET_ACCESS_KEY, &scope);
    let cache = SigningKeyCache::new();
    cache.with_key(&creds, &scope, |_| ());
    let w1 = common::w1();
    let w5 = common::w5();
    let rows: Vec<(&str, Vec<(String, String)>)> = {
        let mut rows: Vec<(&str, Vec<(String, String)>)> = vec![
            ("PayloadHash::of_bytes(body)", vec![]),
            ("CanonicalRequest::new", vec![]),
            ("CanonicalRequest::hash", vec![]),
            ("StringToSign::new", vec![]),
            ("SigningKeyCache::with_key (hit) + SigningKey::sign", vec![]),
            ("SigningKey::sign", vec![]),
            ("SigningKeyCache::sign (hit)", vec![]),
            (
                "core total: new + hash + string to sign + SigningKeyCache::sign",
                vec![],
            ),
            ("SigningKey::derive (cold)", vec![]),
        ];
        for w in [&w1, &w5] {
            let r: &Request<Vec<u8>> = &w.request;
            let headers = common::core_headers(r);
            let payload = PayloadHash::of_bytes(r.body());
            let (method, path) = (r.method().as_str(), r.uri().path());
            let query = r.uri().query().unwrap_or("");
            let canonical = || {
                CanonicalRequest::new(method, path, query, &headers, &payload)
                    .expect("valid canonical request")
            };
            let built = canonical();
            let hash = built.hash();
            let sts = StringToSign::new(&time, scope, &hash);
            let figures = [
                show(measure(|| (), |()| PayloadHash::of_bytes(r.body()))),
                show(measure(
                    || (),
                    |()| {
                        canonical();
                    },
                )),
                show(measure(|| (), |()| built.hash())),
                show(measure(|| (), |()| StringToSign::new(&time, scope, &hash))),
                show(measure(
                    || (),
                    |()| cache.with_key(&creds, &scope, |k| k.sign(&sts)),
                )),
                show(measure(|| (), |()| key.sign(&sts))),
                show(measure(|| (), |()| cache.sign(&creds, &sts))),
                show(measure(
                    || (),
                    |()| {
                        let hash = canonical().hash();
                        let sts = StringToSign::new(&time, scope, &hash);
                        cache.sign(&creds, &sts)
                    },
                )),
                show(measure(
                    || (),
                    |()| SigningKey::derive(common::SECRET_ACCESS_KEY, &scope),
                )),
            ];
            for (row, figure) in rows.iter_mut().zip(figures) {
                row.1.push(figure);
            }
        }
        rows
    };
    for (stage, figures) in rows {
        println!(
            "| {stage} | {} | {} | {} | {} |",
            figures[0].0, figures[0].1, figures[1].0, figures[1].1
        );
    }

    println!("\n### aws-sigv4 breakdown (W1)\n");
    println!("| step | allocs | bytes |");
    println!("|---|---:|---:|");
    {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
        let w = common::w1();
        let params = common::aws_params(&identity, None);
        fn signable(request: &Request<Vec<u8>>) -> SignableRequest<'_> {
            SignableRequest::new(
                request.method().as_str(),
                request.uri().to_string(),
                request
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.to_str().expect("ASCII"))),
                SignableBody::Bytes(&[]),
            )
            .expect("signable")
        }
        let r = show(measure(|| (), |()| w.request.uri().to_string()));
        println!("| `uri.to_string()` | {} | {} |", r.0, r.1);
        let r = show(measure(|| (), |()| signable(&w.request)));
        println!(
            "| `SignableRequest::new` (incl. `uri.to_string()`) | {} | {} |",
            r.0, r.1
        );
        let r = show(measure(
            || Some(signable(&w.request)),
            |s| sign(s.take().expect("signable"), &params).expect("sign"),
        ));
        println!("| `http_request::sign` | {} | {} |", r.0, r.1);
        let r = show(measure(
            || {
                let out = sign(signable(&w.request), &params).expect("sign");
                (w.request.clone(), Some(out.into_parts().0))
            },
            |(request, instructions)| {
                instructions
                    .take()
                    .expect("instructions")
                    .apply_to_request_http1x(request);
            },
        ));
        println!("| `apply_to_request_http1x` | {} | {} |", r.0, r.1);
    }

    if trace {
        let w = common::w1();
        let mut request = w.request.clone();
        print_traces("sigv4 W1 sign", || {
            common::sign_ours(&signer, &creds, time, None, &mut request);
        });
        let mut request = w.request.clone();
        request.headers_mut().remove("host");
        print_traces("sigv4 W1 sign, no host header", || {
            common::sign_ours(&signer, &creds, time, None, &mut request);
        });
        let w = common::w3();
        let mut request = w.request.clone();
        print_traces("sigv4 W3 sign", || {
            common::sign_ours(&signer, &creds, time, None, &mut request);
        });
        let w = common::w4();
        let mut request = w.request.clone();
        print_traces("sigv4 W4 presign", || {
            common::sign_ours(&signer, &creds, time, w.presign, &mut request);
        });
    }
}
