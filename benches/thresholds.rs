//! Both sides of the tuned thresholds in `core::tuned` (the table in its
//! module docs names this bench for each):
//!
//! - `header_sort/{insertion,keyed}/N`: sorting N lowercase header names
//!   (`x-amz-meta-fieldNN`, given interleaved as W5 gives them, and short
//!   distinct names as most requests carry) with the insertion sort or the
//!   keyed sort. `KEYED_SORT_FROM` sits where keyed overtakes insertion.
//! - `order_memo/{fresh,remembered}/N`: sorting N typical request header
//!   names afresh, or taking this thread's remembered order (the same
//!   names every time, as a client sends them). `MEMO_FROM` sits where
//!   remembering starts to pay.
//!
//! Run:
//!
//! ```text
//! cargo bench --features tools --bench thresholds -- --warm-up-time 1 --measurement-time 2
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sigv4::tools::tuning::{sort_header_names, HeaderSort};

/// `n` names sharing a long prefix, interleaved (19, 0, 18, 1, ...).
fn meta_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| if i % 2 == 0 { n - 1 - i / 2 } else { i / 2 })
        .map(|k| format!("x-amz-meta-field{k:02}"))
        .collect()
}

/// `n` names of the kind most requests carry, in `http`'s usual order.
fn common_names(n: usize) -> Vec<String> {
    const NAMES: [&str; 12] = [
        "host",
        "user-agent",
        "accept",
        "content-type",
        "x-amz-date",
        "x-amz-security-token",
        "accept-encoding",
        "connection",
        "content-length",
        "x-amz-content-sha256",
        "cache-control",
        "x-amz-user-agent",
    ];
    (0..n)
        .map(|i| match NAMES.get(i) {
            Some(name) => (*name).to_owned(),
            None => format!("x-extra-{i}"),
        })
        .collect()
}

fn headers(names: &[String]) -> Vec<(&str, &[u8])> {
    names.iter().map(|n| (n.as_str(), &b"v"[..])).collect()
}

fn header_sort(c: &mut Criterion) {
    let mut group = c.benchmark_group("header_sort");
    for n in [4, 8, 10, 12, 14, 16, 20, 24, 32] {
        for (kind, names) in [("meta", meta_names(n)), ("common", common_names(n))] {
            let headers = headers(&names);
            for (label, how) in [
                ("insertion", HeaderSort::Insertion),
                ("keyed", HeaderSort::Keyed),
            ] {
                group.bench_with_input(
                    BenchmarkId::new(format!("{label}/{kind}"), n),
                    &headers,
                    |b, h| b.iter(|| sort_header_names(black_box(h), how)),
                );
            }
        }
    }
    group.finish();
}

fn order_memo(c: &mut Criterion) {
    let mut group = c.benchmark_group("order_memo");
    for n in 1..=8 {
        let names = common_names(n);
        let headers = headers(&names);
        for (label, how) in [
            ("fresh", HeaderSort::Insertion),
            ("remembered", HeaderSort::Remembered),
        ] {
            group.bench_with_input(BenchmarkId::new(label, n), &headers, |b, h| {
                b.iter(|| sort_header_names(black_box(h), how))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, header_sort, order_memo);
criterion_main!(benches);
