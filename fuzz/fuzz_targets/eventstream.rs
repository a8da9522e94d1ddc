#![no_main]
//! Fuzz target: see `sigv4_fuzz::eventstream` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigv4_fuzz::eventstream(data));
