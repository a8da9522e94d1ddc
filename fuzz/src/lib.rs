//! What each fuzz target checks, as plain functions of the input bytes.
//!
//! The cargo-fuzz binaries in `fuzz_targets/` call these, and the main
//! crate's `tests/fuzz_corpus.rs` includes this file and runs every function
//! over its committed seed corpus (`fuzz/corpus/<target>/`) on the stable
//! toolchain, so CI exercises the same checks without a fuzzer.
//!
//! Every function must not panic for any input; where a property must hold
//! (hash of the explained text equals the streamed hash; a signed request
//! verifies), it is asserted.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Request};
use sha2::{Digest, Sha256};
use sigv4::verify::Verifier;
use sigv4::{
    raw, CanonicalRequest, Credentials, Payload, Region, Service, Signer, SigningSettings,
    SigningTime, UriEncoding,
};

/// Reads length-prefixed pieces from the fuzzer's bytes.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.data.len());
        let (piece, rest) = self.data.split_at(len);
        self.data = rest;
        piece
    }

    fn text(&mut self) -> &'a str {
        let piece = self.bytes();
        match std::str::from_utf8(piece) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&piece[..e.valid_up_to()]).unwrap_or_default(),
        }
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

fn time() -> SigningTime {
    SigningTime::from_unix(1_440_938_160).expect("a valid fixed time")
}

fn credentials(with_token: bool) -> Credentials {
    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .expect("valid example credentials");
    if with_token {
        creds
            .with_session_token("FwoGZXIvYXdzEXAMPLE/+=token")
            .expect("valid token")
    } else {
        creds
    }
}

/// Canonicalization of an arbitrary method, path, query, headers and
/// payload: no panic, and the streamed hash equals the hash of the text.
pub fn canonical(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let method = input.text();
    let path = input.text();
    let query = input.text();
    let count = usize::from(input.byte() % 40);
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        headers.push((input.text(), input.bytes()));
    }
    let payload = match flags % 4 {
        0 => Payload::Bytes(input.rest()),
        1 => Payload::Precomputed(input.text()),
        2 => Payload::Unsigned,
        _ => Payload::StreamingSigned,
    };
    let Ok(payload) = payload.hash() else { return };
    let Ok(canonical) = CanonicalRequest::new(method, path, query, &headers, &payload) else {
        return;
    };
    let canonical = canonical
        .with_uri_encoding(if flags & 4 == 0 {
            UriEncoding::Double
        } else {
            UriEncoding::Single
        })
        .with_path_normalization(flags & 8 == 0);
    let text = canonical.to_bytes();
    let streamed = canonical.hash();
    let of_text: [u8; 32] = Sha256::digest(&text).into();
    assert_eq!(streamed, of_text, "explained text and streamed hash differ");
    let _ = canonical.signed_headers();
}

/// Builds an `http::Request` from fuzzer bytes, skipping parts `http`
/// rejects (those never reach a signer).
fn request(input: &mut Input<'_>) -> Option<Request<Vec<u8>>> {
    let method = input.text();
    let target = input.text();
    let mut builder = Request::builder()
        .method(http::Method::from_bytes(method.as_bytes()).ok()?)
        .uri(format!("https://db.example.com:8182/{target}"));
    for _ in 0..usize::from(input.byte() % 24) {
        let (name, value) = (input.bytes(), input.bytes());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            builder = builder.header(name, value);
        }
    }
    builder.body(input.rest().to_vec()).ok()
}

/// Header signing and presigning of arbitrary requests: no panic, and every
/// request the signer accepts verifies.
pub fn sign_verify(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let Some(mut request) = request(&mut input) else {
        return;
    };
    let presign = flags & 1 == 1;
    let creds = credentials(flags & 2 == 2);
    let settings = SigningSettings::default().with_content_sha256_header(flags & 4 == 4);
    let signer = Signer::neptune("us-east-1")
        .expect("valid region")
        .with_settings(settings);
    // A presigned request that also carries an Authorization header is
    // ambiguous (servers reject it); the verifier reads the header first.
    let ambiguous = presign && request.headers().contains_key("authorization");
    let signed = if presign {
        signer.presign(&mut request, &creds, time(), Duration::from_secs(600))
    } else {
        signer.sign(&mut request, &creds, time())
    };
    if signed.is_err() || ambiguous {
        return;
    }
    let known = creds.clone();
    let verifier =
        Verifier::neptune("us-east-1", move |_: &str| Some(known.clone())).expect("valid region");
    if let Err(e) = verifier.verify(&request, time()) {
        panic!("a request the signer signed does not verify: {e:?}");
    }
}

/// The verifier on arbitrary raw requests (Authorization header and
/// presigned forms): no panic.
pub fn verify(data: &[u8]) {
    let Ok(request) = raw::parse_request(data) else {
        return;
    };
    let known = credentials(data.first().is_some_and(|b| b & 1 == 1));
    let verifier = Verifier::new(
        Region::new("us-east-1").expect("valid region"),
        Service::new("service").expect("valid service"),
        move |_: &str| Some(known.clone()),
    );
    let _ = verifier.verify(&request, time());
}

/// The command's raw-request parser: no panic, and writing then parsing
/// again is stable.
pub fn raw_request(data: &[u8]) {
    let Ok(request) = raw::parse_request(data) else {
        return;
    };
    let written = raw::write_request(&request);
    let again = raw::parse_request(&written).expect("written requests parse");
    assert_eq!(
        raw::write_request(&again),
        written,
        "write/parse is not stable"
    );
}
