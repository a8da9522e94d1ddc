//! Runs every fuzz target's checks over its committed seed corpus
//! (`fuzz/corpus/<target>/`), on the stable toolchain, as an ordinary test.
//! The checks themselves live in `fuzz/src/lib.rs`, shared with the
//! cargo-fuzz binaries, so CI and the fuzzer test the same thing.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::path::Path;

fn run(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{target}: empty corpus");
    for path in &inputs {
        let data = std::fs::read(path).expect("read corpus file");
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            std::panic::resume_unwind(Box::new(format!(
                "{target}: {} fails: {:?}",
                path.display(),
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or(panic.downcast_ref::<&str>().copied())
            )));
        }
    }
}

#[test]
fn canonical_corpus() {
    run("canonical", targets::canonical);
}

#[test]
fn sign_verify_corpus() {
    run("sign_verify", targets::sign_verify);
}

#[test]
fn verify_corpus() {
    run("verify", targets::verify);
}

#[test]
fn raw_request_corpus() {
    run("raw_request", targets::raw_request);
}

#[test]
fn profile_corpus() {
    run("profile", targets::profile);
}

#[test]
fn credentials_json_corpus() {
    run("credentials_json", targets::credentials_json);
}

#[test]
fn sts_corpus() {
    run("sts", targets::sts);
}

#[test]
fn chunked_corpus() {
    run("chunked", targets::chunked);
}

#[test]
fn eventstream_corpus() {
    run("eventstream", targets::eventstream);
}
