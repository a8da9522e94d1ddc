//! Why the criterion benches in `signing.rs` and `stages.rs` prepare their
//! requests in batches of 8 (`BATCH` there), not with criterion's
//! `BatchSize::SmallInput`.
//!
//! `SmallInput` clones a tenth of a sample's iterations up front: thousands
//! of live requests for a workload of a few microseconds. Signing adds
//! three headers, which grows each request's `HeaderMap`, and the signed
//! requests stay alive until the batch ends. The heap then grows by a few
//! KiB per signature, and when the batch is dropped glibc hands the top of
//! the heap back to the kernel (its trim threshold), so the next batch
//! page-faults the same memory in again. A batch then measures the page
//! fault handler as much as the signer, and not evenly: `aws-sigv4` frees
//! ~90 temporary allocations per signature, whose chunks its map growth
//! reuses, while `sigv4`, which allocates almost nothing of its own, takes
//! fresh memory for the growth.
//!
//! This binary signs one workload in batches of several sizes, cloned
//! before the clock starts and dropped after it stops (as criterion does),
//! and prints, per signature, the wall time and the minor page faults
//! (`/proc/self/stat`; Linux only). Signing each request soon after it is
//! built, as clients do, is the small-batch case.
//!
//! ```text
//! cargo bench --bench batch_faults              # W5 and W1, both signers
//! cargo bench --bench batch_faults -- W4 20000  # one workload, signatures per size
//! ```

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Minor page faults of this process so far, or `None` off Linux.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (in parentheses, which may hold
    // spaces): state is field 3, minflt field 10.
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split(' ').nth(7)?.parse().ok()
}

/// Signs `total` clones of `workload` in batches of `batch`; returns the
/// time per signature and the minor faults per signature.
fn run(
    workload: &common::Workload,
    batch: usize,
    total: usize,
    mut sign: impl FnMut(&mut http::Request<Vec<u8>>),
) -> (Duration, Option<f64>) {
    let faults_before = minor_faults();
    let mut elapsed = Duration::ZERO;
    let mut done = 0;
    while done < total {
        let mut inputs: Vec<_> = (0..batch).map(|_| workload.request.clone()).collect();
        let mut outputs = Vec::with_capacity(batch);
        let start = Instant::now();
        for mut request in inputs.drain(..) {
            sign(&mut request);
            outputs.push(black_box(request));
        }
        elapsed += start.elapsed();
        drop(outputs);
        done += batch;
    }
    let faults = match (faults_before, minor_faults()) {
        (Some(before), Some(after)) => Some((after - before) as f64 / done as f64),
        _ => None,
    };
    (elapsed / done as u32, faults)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let workloads = match args.first().map(String::as_str) {
        None => vec![common::w5(), common::w1()],
        Some(id) => common::all().into_iter().filter(|w| w.id == id).collect(),
    };
    assert!(!workloads.is_empty(), "unknown workload: use W1..W5");
    let total: usize = args
        .get(1)
        .map_or(20_000, |n| n.parse().expect("a number of signatures"));

    let signer = common::signer();
    let creds = common::credentials();
    let time = common::signing_time();
    let identity = common::aws_identity();
    println!("| workload | batch | sigv4 | faults/sig | aws-sigv4 | faults/sig |");
    println!("|---|---:|---:|---:|---:|---:|");
    for workload in &workloads {
        let params = common::aws_params(&identity, workload.presign);
        for batch in [8, 64, 1000] {
            let ours = run(workload, batch, total, |request| {
                black_box(common::sign_ours(
                    &signer,
                    &creds,
                    time,
                    workload.presign,
                    request,
                ));
            });
            let theirs = run(workload, batch, total / 4, |request| {
                black_box(common::sign_aws(&params, request));
            });
            let faults = |f: Option<f64>| f.map_or("n/a".to_string(), |f| format!("{f:.2}"));
            println!(
                "| {} | {batch} | {:.2} µs | {} | {:.2} µs | {} |",
                workload.id,
                ours.0.as_secs_f64() * 1e6,
                faults(ours.1),
                theirs.0.as_secs_f64() * 1e6,
                faults(theirs.1),
            );
        }
    }
}
