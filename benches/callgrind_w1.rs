//! A fixed loop for instruction counting: signs W1 (see
//! `benches/common/mod.rs`) N times with `sigv4` or with `aws-sigv4`, after
//! 10 warm-up signatures, for running under callgrind. Not a timing bench.
//!
//! Instructions per signature are the difference between a run with N and
//! a run with 0 (both do the same setup and warm-up), divided by N. Each
//! signature includes cloning and dropping its request, the same for both
//! signers (measured on its own by `clone`).
//!
//! ```text
//! cargo bench --bench callgrind_w1 --no-run      # prints the binary path
//! valgrind --tool=callgrind --callgrind-out-file=cg.ours.1000 <binary> ours 1000
//! valgrind --tool=callgrind --callgrind-out-file=cg.ours.0 <binary> ours 0
//! callgrind_annotate --inclusive=no cg.ours.1000 | head -40
//! ```
//!
//! `view` signs a `RequestView` of the request and applies the result to
//! nothing; `floor` is the hashing floor of `benches/signing.rs`.
//!
//! `benches/run.sh` does all of this. Arguments: `ours|aws|view|floor|clone [N [Wn]]`
//! (default: all three, N = 1000, W1); flags such as cargo's `--bench` are
//! ignored.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let which: Vec<&str> = match args.first().map(String::as_str) {
        Some(w) => vec![w],
        None => vec!["ours", "aws", "clone"],
    };
    let n: u64 = args
        .get(1)
        .map_or(1000, |n| n.parse().expect("N is a number"));

    // Another workload can be named as a third argument (W1..W5).
    let w = match args.get(2).map(String::as_str) {
        None | Some("W1") => common::w1(),
        Some("W2") => common::w2(),
        Some("W3") => common::w3(),
        Some("W4") => common::w4(),
        Some("W5") => common::w5(),
        Some(other) => panic!("unknown workload {other:?}"),
    };
    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let identity = common::aws_identity();
    let params = common::aws_params(&identity, w.presign);
    let headers = common::view_headers(&w.request);
    let view = common::view(&w.request, &headers);
    let floor = common::Floor::new(&w);

    for which in which {
        let mut sign: Box<dyn FnMut()> = match which {
            "ours" => Box::new(|| {
                let mut request = w.request.clone();
                black_box(common::sign_ours(
                    &signer,
                    &creds,
                    time,
                    w.presign,
                    &mut request,
                ));
                black_box(request);
            }),
            "aws" => Box::new(|| {
                let mut request = w.request.clone();
                black_box(common::sign_aws(&params, &mut request));
                black_box(request);
            }),
            "view" => Box::new(|| {
                black_box(common::sign_view(
                    &signer,
                    &creds,
                    time,
                    w.presign,
                    &view,
                    w.request.body(),
                ));
            }),
            "floor" => Box::new(|| {
                black_box(floor.run());
            }),
            "clone" => Box::new(|| {
                black_box(w.request.clone());
            }),
            other => panic!("unknown signer {other:?}: use ours, aws, view, floor or clone"),
        };
        for _ in 0..10 {
            sign();
        }
        for _ in 0..n {
            sign();
        }
    }
}
