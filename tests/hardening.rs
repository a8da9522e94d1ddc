//! Hardening: the properties an attacker or a log reader would probe.
//!
//! - Tampering: changing any single byte of a signed part (method, path,
//!   query, a signed header's name or value, body, date, scope, signature)
//!   makes verification fail, in header and query mode, with and without a
//!   session token: exhaustively for fixed requests, and for generated ones.
//! - Sign then verify over a wider space than `tests/verify.rs` (S3
//!   settings, `UNSIGNED-PAYLOAD`, repeated and mixed-case headers, values
//!   with tabs and runs of spaces, non-ASCII bytes, dot segments).
//! - Canonicalization: idempotent where SigV4 says it is (a normalized path
//!   normalizes to itself; a canonical query canonicalizes to itself); the
//!   canonical query equals a slow reference whatever the parameters' order
//!   and encoding (the signer passes canonical parts through untouched); and
//!   the text `to_bytes` and `Signer::explain` give hashes to exactly what
//!   `CanonicalRequest::hash` streams and what is signed.
//! - Secrets: no `Debug` or `Display` of credentials, keys, settings,
//!   signers, errors or explanations shows the secret key or the session
//!   token; the headers that carry the signature and the token are marked
//!   sensitive.
//! - Concurrency: bounded stress tests of the signing-key cache and of the
//!   credentials cache, checked against single-threaded references and
//!   counting derivations and fetches exactly.
//!
//! Not here: loom. Both caches are built on `std` primitives (`Mutex`,
//! `RwLock`, `Condvar`, `thread_local!`); model-checking them would mean
//! swapping those for loom's behind a `cfg(loom)` throughout `src/`, which
//! costs more than it buys for two small lock-based structures. The stress
//! tests below check their observable contracts instead.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, SystemTime};

use http::{HeaderName, HeaderValue, Request};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use sigv4::credentials::{
    CacheSettings, CachingProvider, Clock, CredentialsError, Env, EnvironmentProvider,
    ProfileProvider, ProfileSet, ProvideCredentials, SignFromProviderError,
};
use sigv4::verify::{Verifier, VerifyError};
use sigv4::SignatureLocation;
use sigv4::{
    CanonicalRequest, CredentialScope, Credentials, Payload, Region, Service, Signer, SigningKey,
    SigningKeyCache, SigningSettings, SigningTime, UriEncoding,
};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// `/`, `+` and `=` make the token's query-encoded form differ from it.
const TOKEN: &str = "FwoGZXIvYXdzEPT//////////wEaDEXAMPLE+token/with+reserved=chars==";

fn time() -> SigningTime {
    SigningTime::parse("20150830T123600Z").unwrap()
}

fn creds(token: bool) -> Credentials {
    let c = Credentials::new(ACCESS_KEY, SECRET).unwrap();
    if token {
        c.with_session_token(TOKEN).unwrap()
    } else {
        c
    }
}

/// The token as it appears in a presigned URL (every reserved byte
/// percent-encoded).
fn token_encoded() -> String {
    let mut out = String::new();
    for b in TOKEN.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Asserts that `shown` carries neither the secret nor the token, raw or
/// encoded.
fn assert_no_secret(what: &str, shown: &str) {
    for secret in [SECRET, TOKEN, &token_encoded()] {
        assert!(!shown.contains(secret), "{what} shows a secret: {shown}");
    }
    // Nor any long piece of them (a truncated secret is still a leak).
    for secret in [SECRET, TOKEN] {
        for piece in secret.as_bytes().windows(16) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !shown.contains(piece),
                "{what} shows part of a secret: {shown}"
            );
        }
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<Credentials> + Send + Sync>;

fn verifier(known: Credentials, s3: bool) -> Verifier<Lookup> {
    let v = Verifier::neptune(
        "us-east-1",
        Box::new(move |id: &str| (id == known.access_key_id()).then(|| known.clone())) as Lookup,
    )
    .unwrap();
    if s3 {
        v.with_settings(SigningSettings::s3())
    } else {
        v
    }
}

fn sign(request: &mut Request<Vec<u8>>, token: bool, presign: bool) {
    let signer = Signer::neptune("us-east-1").unwrap();
    if presign {
        signer
            .presign(request, &creds(token), time(), Duration::from_secs(900))
            .unwrap();
    } else {
        signer.sign(request, &creds(token), time()).unwrap();
    }
}

// ---------------------------------------------------------------------------
// Tampering

/// A letter or digit replaced by the next of its kind (`z`→`a`, `9`→`0`).
/// Staying within letters and digits keeps every part parseable (a URI, a
/// header value, a method), and never turns a change into a no-op through
/// case folding, space collapsing or path normalization.
fn rotate(b: u8) -> u8 {
    match b {
        b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => b + 1,
        b'z' => b'a',
        b'Z' => b'A',
        b'9' => b'0',
        other => other,
    }
}

fn alnum_positions(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_alphanumeric())
        .map(|(i, _)| i)
}

/// One byte of one part of a signed request.
#[derive(Debug, Clone)]
enum Byte {
    Method(usize),
    /// Path and query: in query mode this includes the date, the scope,
    /// the signed headers list, the token and the signature.
    Target(usize),
    /// The n-th value of a header: signed headers (including `x-amz-date`
    /// and the token) and `authorization` (scope, signed headers list,
    /// signature).
    Value(HeaderName, usize, usize),
    /// The name of a signed header.
    Name(HeaderName, usize),
    /// Any byte of the body, flipped (not only letters and digits).
    Body(usize),
}

/// The byte ranges of the path segments that survive normalization (the
/// default): a segment a later `..` removes is not signed, so changing it
/// must not be expected to break the signature.
fn kept_path_bytes(path: &str) -> Vec<std::ops::Range<usize>> {
    let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for segment in path.split('/') {
        let range = start..start + segment.len();
        start = range.end + 1;
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            _ => kept.push(range),
        }
    }
    kept
}

/// Every byte of `request` whose change must break its signature.
fn signed_bytes(request: &Request<Vec<u8>>, signed_headers: &str) -> Vec<Byte> {
    let mut out: Vec<Byte> = alnum_positions(request.method().as_str().as_bytes())
        .map(Byte::Method)
        .collect();
    let target = request.uri().path_and_query().unwrap().as_str();
    let path_len = target.find('?').unwrap_or(target.len());
    let kept = kept_path_bytes(&target[..path_len]);
    out.extend(
        alnum_positions(target.as_bytes())
            .filter(|&i| i >= path_len || kept.iter().any(|r| r.contains(&i)))
            .map(Byte::Target),
    );
    let signed: BTreeSet<&str> = signed_headers.split(';').collect();
    for name in request.headers().keys() {
        let is_signed = signed.contains(name.as_str());
        if !is_signed && name != "authorization" {
            continue;
        }
        if is_signed {
            out.extend(
                alnum_positions(name.as_str().as_bytes()).map(|i| Byte::Name(name.clone(), i)),
            );
        }
        for (n, value) in request.headers().get_all(name).iter().enumerate() {
            out.extend(alnum_positions(value.as_bytes()).map(|i| Byte::Value(name.clone(), n, i)));
        }
    }
    out.extend((0..request.body().len()).map(Byte::Body));
    out
}

fn tampered(request: &Request<Vec<u8>>, byte: &Byte) -> Request<Vec<u8>> {
    let mut r = request.clone();
    match byte {
        Byte::Method(i) => {
            let mut m = r.method().as_str().as_bytes().to_vec();
            m[*i] = rotate(m[*i]);
            *r.method_mut() = http::Method::from_bytes(&m).unwrap();
        }
        Byte::Target(i) => {
            let uri = r.uri();
            let mut t = uri.path_and_query().unwrap().as_str().as_bytes().to_vec();
            t[*i] = rotate(t[*i]);
            let t = String::from_utf8(t).unwrap();
            *r.uri_mut() = format!(
                "{}://{}{t}",
                uri.scheme_str().unwrap(),
                uri.authority().unwrap()
            )
            .parse()
            .unwrap();
        }
        Byte::Value(name, n, i) => {
            let mut values: Vec<HeaderValue> = r.headers().get_all(name).iter().cloned().collect();
            let mut v = values[*n].as_bytes().to_vec();
            v[*i] = rotate(v[*i]);
            values[*n] = HeaderValue::from_bytes(&v).unwrap();
            r.headers_mut().remove(name);
            for v in values {
                r.headers_mut().append(name.clone(), v);
            }
        }
        Byte::Name(name, i) => {
            let values: Vec<HeaderValue> = r.headers().get_all(name).iter().cloned().collect();
            let mut n = name.as_str().as_bytes().to_vec();
            n[*i] = rotate(n[*i]);
            r.headers_mut().remove(name);
            for v in values {
                r.headers_mut()
                    .append(HeaderName::from_bytes(&n).unwrap(), v);
            }
        }
        Byte::Body(i) => r.body_mut()[*i] ^= 0x01,
    }
    r
}

fn neptune_post() -> Request<Vec<u8>> {
    Request::post("https://db.example.com:8182/sparql/a%20b?format=json&explain=dynamic&x=1&x=2")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-amz-meta-trace", "abc 123")
        .header("accept", "application/json")
        .body(b"query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D".to_vec())
        .unwrap()
}

/// Every letter and digit of every signed part, one at a time, in both
/// modes, with and without a token: none survives verification.
#[test]
fn every_single_byte_change_to_a_signed_part_fails() {
    let mut checked = 0;
    for token in [false, true] {
        for presign in [false, true] {
            let mut request = neptune_post();
            sign(&mut request, token, presign);
            let v = verifier(creds(token), false);
            let verified = v.verify(&request, time()).unwrap();
            let bytes = signed_bytes(&request, &verified.signed_headers);
            // Method, path, query, date, scope, signed headers, body.
            for part in ["Method", "Target", "Value", "Name", "Body"] {
                assert!(
                    bytes.iter().any(|b| format!("{b:?}").starts_with(part)),
                    "no {part} bytes (token={token} presign={presign})"
                );
            }
            for byte in &bytes {
                let r = tampered(&request, byte);
                assert!(
                    v.verify(&r, time()).is_err(),
                    "{byte:?} changed and still verifies (token={token} presign={presign})"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} changes checked");
}

/// The date and scope in particular, in both modes: a day, a region, a
/// service or the terminator changed by one letter or digit.
#[test]
fn changing_the_date_or_the_scope_fails() {
    for presign in [false, true] {
        let mut request = neptune_post();
        sign(&mut request, true, presign);
        let v = verifier(creds(true), false);
        let mut changed = 0;
        let text = if presign {
            request.uri().to_string()
        } else {
            format!(
                "{} {}",
                request.headers()["authorization"].to_str().unwrap(),
                request.headers()["x-amz-date"].to_str().unwrap()
            )
        };
        for (from, to) in [
            ("20150830T123600Z", "20150830T123601Z"),
            ("20150830%2Fus", "20150831%2Fus"),
            ("20150830/us", "20150831/us"),
            ("us-east-1", "us-east-2"),
            ("neptune-db", "neptune-dc"),
            ("aws4_request", "aws4_requesu"),
        ] {
            if !text.contains(from) {
                continue;
            }
            changed += 1;
            let mut r = request.clone();
            if presign {
                *r.uri_mut() = r.uri().to_string().replacen(from, to, 1).parse().unwrap();
            } else {
                for name in ["authorization", "x-amz-date"] {
                    let value = r.headers()[name].to_str().unwrap().replacen(from, to, 1);
                    r.headers_mut().insert(name, value.parse().unwrap());
                }
            }
            assert!(
                v.verify(&r, time()).is_err(),
                "{from} -> {to} still verifies (presign={presign})"
            );
        }
        // The time, the day of the scope, region, service, terminator.
        assert_eq!(changed, 5, "presign={presign}");
    }
}

/// Requests with the shapes that trip canonicalizers: mixed-case and
/// repeated headers, values with tabs, runs of spaces and non-ASCII bytes,
/// dot segments, encoded slashes and non-ASCII in paths, repeated and empty
/// query parameters, `+` and `%2B`.
fn arb_request() -> impl Strategy<Value = Request<Vec<u8>>> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
    let segment = prop_oneof![
        "[a-zA-Z0-9._~-]{1,6}",
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
        Just("%2F".to_owned()),
        Just("%E2%82%AC".to_owned()),
        Just("a%20b".to_owned()),
        Just("@:!$'()*,;=".to_owned()),
    ];
    let path = prop::collection::vec(segment, 0..6).prop_map(|s| format!("/{}", s.join("/")));
    let query = prop::collection::vec(
        (
            prop_oneof!["[a-zA-Z0-9._~-]{0,5}", Just("X-Amz-Meta".to_owned())],
            prop_oneof![
                "[a-zA-Z0-9._~-]{0,6}",
                Just("a+b".to_owned()),
                Just("a%2Bb".to_owned()),
                Just("%E2%82%AC".to_owned()),
                Just("x=y".to_owned()),
            ],
            any::<bool>(),
        ),
        0..5,
    )
    .prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v, eq)| if eq { format!("{k}={v}") } else { k })
            .collect::<Vec<_>>()
            .join("&")
    });
    let header = (
        prop::sample::select(vec![
            "X-Custom",
            "x-custom",
            "Accept",
            "x-amz-meta-a",
            "X-Amz-Meta-B",
            "content-type",
            "user-agent",
            "x-forwarded-for",
        ]),
        prop::collection::vec(
            prop_oneof![
                4 => prop::char::range('!', '~'),
                1 => Just(' '),
                1 => Just('\t'),
            ],
            0..16,
        ),
        prop::collection::vec(0x80u8..=0xff, 0..3),
    );
    let headers = prop::collection::vec(header, 0..6);
    let body = prop::collection::vec(any::<u8>(), 0..96);
    (method, path, query, headers, body).prop_map(|(m, p, q, h, b)| {
        let target = if q.is_empty() { p } else { format!("{p}?{q}") };
        let mut builder = Request::builder()
            .method(m)
            .uri(format!("https://db.example.com:8182{target}"));
        for (name, chars, high) in h {
            let mut value: Vec<u8> = chars.into_iter().collect::<String>().into_bytes();
            value.extend(high);
            builder = builder.header(name, HeaderValue::from_bytes(&value).unwrap());
        }
        builder.body(b).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Generated requests, any mode, token or not: sign, verify, then
    /// change one signed byte chosen at random and see it rejected.
    #[test]
    fn a_random_single_byte_change_fails(
        request in arb_request(),
        token: bool,
        presign: bool,
        pick: prop::sample::Index,
    ) {
        let mut request = request;
        sign(&mut request, token, presign);
        let v = verifier(creds(token), false);
        let verified = v.verify(&request, time());
        prop_assert!(verified.is_ok(), "{:?}", verified.err());
        let bytes = signed_bytes(&request, &verified.unwrap().signed_headers);
        let byte = pick.get(&bytes);
        let r = tampered(&request, byte);
        prop_assert!(v.verify(&r, time()).is_err(), "{:?} still verifies", byte);
    }

    /// Sign then verify, wider than tests/verify.rs: Neptune or S3 settings,
    /// hashed body or `UNSIGNED-PAYLOAD`, `x-amz-content-sha256` or not.
    #[test]
    fn sign_then_verify_with_every_setting(
        request in arb_request(),
        token: bool,
        presign: bool,
        s3: bool,
        unsigned: bool,
        content_sha256: bool,
    ) {
        let mut request = request;
        let settings = if s3 { SigningSettings::s3() } else { SigningSettings::default() }
            .with_content_sha256_header(content_sha256 || unsigned);
        let signer = Signer::neptune("us-east-1").unwrap().with_settings(settings);
        let body = request.body().clone();
        let payload = if unsigned { Payload::Unsigned } else { Payload::Bytes(&body) };
        if presign {
            signer
                .presign_with_payload(&mut request, payload, &creds(token), time(), Duration::from_secs(60))
                .unwrap();
        } else {
            signer.sign_with_payload(&mut request, payload, &creds(token), time()).unwrap();
        }
        let v = verifier(creds(token), s3);
        // A presigned URL carries no x-amz-content-sha256: the server says
        // what it expects.
        let result = if presign && unsigned {
            v.verify_with_payload(&request, Payload::Unsigned, time())
        } else {
            v.verify(&request, time())
        };
        prop_assert!(result.is_ok(), "{:?}", result.err());
    }
}

// ---------------------------------------------------------------------------
// Canonicalization

fn payload() -> sigv4::PayloadHash {
    Payload::Bytes(b"").hash().unwrap()
}

/// The lines of a canonical request (method, path, query, headers...).
fn lines(canonical: &CanonicalRequest<'_>) -> Vec<String> {
    String::from_utf8(canonical.to_bytes())
        .unwrap()
        .split('\n')
        .map(str::to_owned)
        .collect()
}

fn canonical_path(path: &str, encoding: UriEncoding) -> String {
    let p = payload();
    let c = CanonicalRequest::new("GET", path, "", &[], &p)
        .unwrap()
        .with_settings(&SigningSettings::default().with_uri_encoding(encoding));
    lines(&c)[1].clone()
}

fn canonical_query(query: &str) -> String {
    let p = payload();
    let c = CanonicalRequest::new("GET", "/", query, &[], &p).unwrap();
    lines(&c)[2].clone()
}

fn arb_path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9._~-]{0,5}",
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just(String::new()),
            Just("%2E%2E".to_owned()),
            Just("a b".to_owned()),
            Just("é".to_owned()),
        ],
        0..8,
    )
    .prop_flat_map(|segments| {
        (Just(segments.join("/")), any::<bool>()).prop_map(|(p, absolute)| {
            if absolute {
                format!("/{p}")
            } else {
                p
            }
        })
    })
}

/// The canonical query string as SigV4 defines it, written the slow,
/// obvious way: split on `&` (skipping empty segments), split each at the
/// first `=`, percent-decode (`+` is a space, as AWS services read a query;
/// a `%` without two hex digits stands for itself), re-encode all but the unreserved bytes as `%XX`, sort by key
/// then value, join.
fn reference_query(query: &str) -> String {
    fn decode(part: &[u8]) -> Vec<u8> {
        let hex = |b: u8| char::from(b).to_digit(16);
        let mut out = Vec::new();
        let mut i = 0;
        while i < part.len() {
            if part[i] == b'+' {
                out.push(b' ');
                i += 1;
                continue;
            }
            if part[i] == b'%' && i + 2 < part.len() {
                if let (Some(h), Some(l)) = (hex(part[i + 1]), hex(part[i + 2])) {
                    out.push(u8::try_from(h * 16 + l).unwrap());
                    i += 3;
                    continue;
                }
            }
            out.push(part[i]);
            i += 1;
        }
        out
    }
    fn encode(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
    let mut pairs: Vec<(String, String)> = query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (
                encode(&decode(&segment[..eq])),
                encode(&decode(&segment[eq + 1..])),
            ),
            None => (encode(&decode(segment)), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Query parts as clients write them: canonical already, or with
/// lowercase or needless escapes, reserved and non-ASCII characters left
/// bare, and broken escapes.
fn arb_query_part() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9._~-]{1,4}",
            1 => prop::sample::select(vec![
                "%2F", "%2f", "%20", "%41", "%7E", "%7e", "%2B", "%2b", "%3D", "%25",
                "%C3%A9", "%c3%a9", "%FF", "%00", "%", "%2", "%zz", "%%41", "+", " ",
                "/", ":", "?", "@", "!", "*", "é", "€", "=",
            ])
            .prop_map(str::to_owned),
        ],
        0..5,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The canonical query equals the reference above, whatever mix of
    /// canonical and non-canonical parts, and whatever their order.
    #[test]
    fn canonical_query_matches_the_reference(
        pairs in prop::collection::vec((arb_query_part(), arb_query_part(), any::<bool>()), 0..8),
        rotation: prop::sample::Index,
    ) {
        let segments: Vec<String> = pairs
            .iter()
            .map(|(k, v, eq)| if *eq { format!("{k}={v}") } else { k.clone() })
            .collect();
        let query = segments.join("&");
        prop_assert_eq!(canonical_query(&query), reference_query(&query), "{}", query);
        // Another order of the same parameters: the same canonical form.
        let mut turned = segments.clone();
        if !turned.is_empty() {
            let by = rotation.index(turned.len());
            turned.rotate_left(by);
            turned.reverse();
        }
        prop_assert_eq!(canonical_query(&turned.join("&")), canonical_query(&query));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// RFC 3986 dot-segment removal and slash collapsing are idempotent:
    /// a normalized path normalizes to itself, and under double encoding
    /// canonicalizing a path or its normalized form gives the same URI.
    #[test]
    fn path_normalization_is_idempotent(path in arb_path()) {
        let once = canonical_path(&path, UriEncoding::Single);
        prop_assert_eq!(&canonical_path(&once, UriEncoding::Single), &once);
        prop_assert_eq!(
            canonical_path(&once, UriEncoding::Double),
            canonical_path(&path, UriEncoding::Double)
        );
    }

    /// A canonical query string is its own canonical form (decoded and
    /// re-encoded the same, already sorted).
    #[test]
    fn query_canonicalization_is_idempotent(
        query in prop::collection::vec("[a-zA-Z0-9=&+% ._~/é-]{0,8}", 0..6).prop_map(|v| v.join("&"))
    ) {
        let once = canonical_query(&query);
        prop_assert_eq!(canonical_query(&once), once);
    }

    /// The text of a canonical request hashes to what `hash` streams, for
    /// every encoding and normalization choice; and `Signer::explain` shows
    /// the canonical request whose hash is in the string to sign, with the
    /// signature `sign` / `presign` put on the request.
    #[test]
    fn explained_text_hashes_to_what_is_signed(request in arb_request(), token: bool, presign: bool) {
        let headers: Vec<(String, Vec<u8>)> = request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        let borrowed: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let p = Payload::Bytes(request.body()).hash().unwrap();
        let uri = request.uri().clone();
        for encoding in [UriEncoding::Double, UriEncoding::Single] {
            for normalize in [true, false] {
                let c = CanonicalRequest::new(
                    request.method().as_str(),
                    uri.path(),
                    uri.query().unwrap_or(""),
                    &borrowed,
                    &p,
                )
                .unwrap()
                .with_settings(
                    &SigningSettings::default()
                        .with_uri_encoding(encoding)
                        .with_path_normalization(normalize),
                );
                prop_assert_eq!(c.hash(), <[u8; 32]>::from(Sha256::digest(c.to_bytes())));
            }
        }

        let signer = Signer::neptune("us-east-1").unwrap();
        let expiry = presign.then(|| Duration::from_secs(300));
        let explained = signer
            .explain(&request, Payload::Bytes(request.body()), &creds(token), time(), expiry.map_or(SignatureLocation::Header, SignatureLocation::presigned))
            .unwrap();
        let hash = hex::encode(Sha256::digest(explained.canonical_request()));
        prop_assert_eq!(explained.string_to_sign().rsplit('\n').next().unwrap(), hash.as_str());
        let mut signed = request.clone();
        let signature = match expiry {
            Some(e) => signer.presign(&mut signed, &creds(token), time(), e),
            None => signer.sign(&mut signed, &creds(token), time()),
        }
        .unwrap();
        prop_assert!(signature == explained.signature());
    }
}

// ---------------------------------------------------------------------------
// Secrets

#[test]
fn credentials_keys_settings_and_signers_never_show_secrets() {
    let c = creds(true).with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000));
    assert_no_secret("Credentials Debug", &format!("{c:?} {c:#?}"));

    let (region, service) = (
        Region::new("us-east-1").unwrap(),
        Service::new("neptune-db").unwrap(),
    );
    let t = time();
    let scope = CredentialScope::new(&t, &region, &service);
    let key = SigningKey::derive(SECRET, &scope);
    let key_hex = hex::encode(*key.to_bytes());
    let shown = format!("{key:?} {key:#?}");
    assert_no_secret("SigningKey Debug", &shown);
    assert!(
        !shown.contains(&key_hex[..16]),
        "SigningKey Debug shows the key"
    );

    let cache = SigningKeyCache::new();
    cache.with_key(&c, &scope, |_| ());
    let shown = format!("{cache:?} {cache:#?}");
    assert_no_secret("SigningKeyCache Debug", &shown);
    assert!(!shown.contains(&key_hex[..16]));

    let settings = SigningSettings::default();
    assert_no_secret("SigningSettings Debug", &format!("{settings:?}"));

    let signer = Signer::neptune("us-east-1").unwrap();
    let mut request = neptune_post();
    signer
        .sign(
            &mut request,
            &c.clone()
                .with_expiry(SystemTime::now() + Duration::from_secs(3600)),
            time(),
        )
        .unwrap();
    let shown = format!("{signer:?} {signer:#?}");
    assert_no_secret("Signer Debug", &shown);
    assert!(
        !shown.contains(&key_hex[..16]),
        "Signer Debug shows a derived key"
    );

    let v = verifier(creds(true), false);
    v.verify(&request, time()).unwrap();
    assert_no_secret("Verifier Debug", &format!("{v:?}"));
}

#[test]
fn explanations_never_show_secrets() {
    let signer = Signer::neptune("us-east-1").unwrap();
    for presign in [false, true] {
        let request = neptune_post();
        let e = signer
            .explain(
                &request,
                Payload::Bytes(request.body()),
                &creds(true),
                time(),
                presign
                    .then(|| Duration::from_secs(60))
                    .map_or(SignatureLocation::Header, SignatureLocation::presigned),
            )
            .unwrap();
        assert_no_secret("Explanation", &format!("{e} {e:?} {e:#?}"));
        assert_no_secret("Explanation text", e.canonical_request_text());
        assert_no_secret("string to sign", e.string_to_sign());
        // The exact bytes do carry the token: that is what was hashed.
        let raw = String::from_utf8_lossy(e.canonical_request()).into_owned();
        assert!(raw.contains(TOKEN) || raw.contains(&token_encoded()));
    }
}

#[test]
fn signing_errors_never_show_secrets() {
    // Expired temporary credentials.
    let expired = creds(true).with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
    let mut request = neptune_post();
    let err = Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut request, &expired, time())
        .unwrap_err();
    assert_no_secret("SigningError", &format!("{err} {err:?}"));
    // A token-carrying header value that cannot be signed.
    let p = payload();
    let bad = format!("{TOKEN}\n");
    let headers = [
        ("host", &b"h"[..]),
        ("x-amz-security-token", bad.as_bytes()),
    ];
    let err = CanonicalRequest::new("GET", "/", "", &headers, &p)
        .err()
        .unwrap();
    assert_no_secret("SigningError", &format!("{err} {err:?}"));
    // Signing straight from a provider that fails.
    let env = Env::from_pairs([
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        (
            "AWS_SESSION_TOKEN",
            "not a valid token FwoGZXIvYXdzEPT//////////wEaDEXAMPLE",
        ),
    ]);
    let err = sigv4::credentials::sign_with_provider(
        &Signer::neptune("us-east-1").unwrap(),
        &mut neptune_post(),
        &EnvironmentProvider::with_env(env),
        time(),
    )
    .unwrap_err();
    assert!(matches!(err, SignFromProviderError::Credentials(_)));
    assert_no_secret("SignFromProviderError", &format!("{err} {err:?}"));
    assert!(!format!("{err} {err:?}").contains("not a valid token"));
}

#[test]
fn verify_errors_never_show_secrets() {
    for presign in [false, true] {
        let mut request = neptune_post();
        sign(&mut request, true, presign);
        // Same key id, another secret: the verifier explains its own
        // canonical request, which carries the (redacted) token.
        let other = Credentials::new(ACCESS_KEY, "another-secret")
            .unwrap()
            .with_session_token(TOKEN)
            .unwrap();
        let err = verifier(other, false).verify(&request, time()).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureDoesNotMatch { .. }));
        assert_no_secret("VerifyError", &format!("{err} {err:?}"));
        // Another token.
        let other = creds(false)
            .with_session_token("AnotherTokenEXAMPLE")
            .unwrap();
        let err = verifier(other, false).verify(&request, time()).unwrap_err();
        assert_eq!(err, VerifyError::InvalidSessionToken);
        assert_no_secret("VerifyError", &format!("{err} {err:?}"));
    }
}

/// Every way a provider reads secrets from text, fed text that is broken
/// right next to (or inside) the secret: the error never repeats it.
#[test]
fn credentials_errors_never_show_secrets() {
    let mut errors: Vec<CredentialsError> = Vec::new();

    // Profile files: a malformed line holding the secret.
    for text in [
        format!("[default]\naws_secret_access_key {SECRET}\n"),
        format!("aws_secret_access_key = {SECRET}\n"),
        format!("  aws_session_token = {TOKEN}\n"),
        format!("[default {SECRET}\n"),
        format!("[default] {TOKEN}\n"),
    ] {
        errors.push(ProfileSet::parse("", &text).unwrap_err());
        errors.push(ProfileSet::parse(&text, "").unwrap_err());
    }

    // Environment: a token that is not visible ASCII.
    let env = Env::from_pairs([
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", &format!("{TOKEN} x") as &str),
    ]);
    errors.push(
        EnvironmentProvider::with_env(env)
            .provide_credentials()
            .unwrap_err(),
    );

    // Profile provider: static keys with a broken token, and a
    // credential_process whose output is broken around the secret.
    let dir = std::env::temp_dir().join(format!("sigv4-hardening-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let outputs = [
        format!(
            r#"{{"Version":1,"AccessKeyId":"{ACCESS_KEY}","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}","Expiration":"soon"}}"#
        ),
        format!(
            r#"{{"Version":1,"AccessKeyId":"{ACCESS_KEY}","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN} x"}}"#
        ),
        format!(r#"{{"Version":1,"AccessKeyId":"{ACCESS_KEY}","SecretAccessKey":"{SECRET}"#),
        format!(r#"{{"Version":2,"SecretAccessKey":"{SECRET}"}}"#),
        format!(r#"{{"Version":1,"SecretAccessKey":"{SECRET}\q"}}"#),
    ];
    let mut credentials_file = format!(
        "[broken-token]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN} x\n"
    );
    for (i, output) in outputs.iter().enumerate() {
        let file = dir.join(format!("output-{i}.json"));
        std::fs::write(&file, output).unwrap();
        credentials_file.push_str(&format!(
            "[process-{i}]\ncredential_process = cat {}\n",
            file.display()
        ));
    }
    let credentials_path = dir.join("credentials");
    std::fs::write(&credentials_path, credentials_file).unwrap();
    let profiles = std::iter::once("broken-token".to_owned())
        .chain((0..outputs.len()).map(|i| format!("process-{i}")));
    for profile in profiles {
        let env = Env::from_pairs([
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials_path.to_str().unwrap(),
            ),
            ("AWS_CONFIG_FILE", dir.join("none").to_str().unwrap()),
        ]);
        let err = ProfileProvider::with_env(env)
            .with_profile(&profile)
            .provide_credentials()
            .unwrap_err();
        assert!(!err.is_not_found(), "{profile}: {err}");
        errors.push(err);
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // The network providers' documents (through the fuzzing entry points,
    // which call the providers' own parsers).
    #[cfg(feature = "credentials-http")]
    {
        let json = format!(
            r#"{{"Code":"Success","AccessKeyId":"{ACCESS_KEY}","SecretAccessKey":"{SECRET}","Token":"{TOKEN} x","Expiration":"2030-01-01T00:00:00Z"}}"#
        );
        errors.push(sigv4::tools::fuzz::imds(200, json.as_bytes()).unwrap_err());
        errors.push(sigv4::tools::fuzz::container(200, json.as_bytes()).unwrap_err());
        errors.push(
            sigv4::tools::fuzz::container(200, &json.as_bytes()[..json.len() - 20]).unwrap_err(),
        );
        let xml = format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{ACCESS_KEY}</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN} x</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
        );
        errors.push(sigv4::tools::fuzz::sts(200, xml.as_bytes(), false).unwrap_err());
        let broken = xml.replace("</SecretAccessKey>", "</SecretAccessKeyX>");
        errors.push(sigv4::tools::fuzz::sts(200, broken.as_bytes(), false).unwrap_err());
        let broken = xml.replace("</SessionToken>", "&bogus;</SessionToken>");
        errors.push(sigv4::tools::fuzz::sts(200, broken.as_bytes(), true).unwrap_err());
    }

    assert!(errors.len() >= 16, "{}", errors.len());
    for err in &errors {
        assert_no_secret("CredentialsError", &format!("{err} {err:?}"));
    }
}

/// What carries the signature or the token in a header is marked
/// sensitive, so `http`'s `Debug` and tracing layers do not print it.
/// (A presigned URL has no such flag: it is the secret-bearing part of its
/// request, by design.)
#[test]
fn headers_carrying_signatures_and_tokens_are_sensitive() {
    let signer = Signer::neptune("us-east-1").unwrap();
    for token in [false, true] {
        let mut request = neptune_post();
        signer.sign(&mut request, &creds(token), time()).unwrap();
        // Signing again replaces the headers; they stay sensitive.
        signer.sign(&mut request, &creds(token), time()).unwrap();
        let headers = request.headers();
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(headers.contains_key("x-amz-security-token"), token);
        for value in headers.get_all("x-amz-security-token") {
            assert!(value.is_sensitive());
        }
        assert!(!headers["x-amz-date"].is_sensitive());
        let shown = format!("{request:?}");
        assert_no_secret("http::Request Debug", &shown);
        assert!(!shown.contains("Signature="), "{shown}");
    }
    // Presigning leaves the caller's own token and authorization headers on
    // the request (found by the sign_verify fuzz target), marked sensitive.
    let mut request = neptune_post();
    for (name, value) in [
        ("x-amz-security-token", "caller-token-1"),
        ("x-amz-security-token", "caller-token-2"),
        ("authorization", "Bearer caller"),
    ] {
        request
            .headers_mut()
            .append(name, http::HeaderValue::from_static(value));
    }
    signer
        .presign(&mut request, &creds(false), time(), Duration::from_secs(60))
        .unwrap();
    for name in ["x-amz-security-token", "authorization"] {
        let values: Vec<_> = request.headers().get_all(name).iter().collect();
        assert!(!values.is_empty());
        assert!(values.iter().all(|v| v.is_sensitive()), "{name}");
    }
    assert!(!format!("{request:?}").contains("caller-token"));
}

// ---------------------------------------------------------------------------
// Concurrency

const THREADS: usize = 8;
const ITERATIONS: usize = 2000;

/// 8 threads × 2000 signatures through one `SigningKeyCache`, with four
/// credentials × three regions (more than a thread's local table holds),
/// then all on the next day, then dates interleaved: every signature equals
/// the single-threaded reference (a fresh derivation), and each
/// (secret, date, region) key is derived exactly once while its day lasts.
#[test]
fn signing_key_cache_under_threads() {
    let credentials: Vec<Credentials> = (0..4)
        .map(|i| Credentials::new(format!("AKID{i}"), format!("secret-{i}")).unwrap())
        .collect();
    let regions: Vec<Region> = ["us-east-1", "eu-west-1", "ap-south-1"]
        .iter()
        .map(|r| Region::new(r).unwrap())
        .collect();
    let service = Service::new("neptune-db").unwrap();
    let days = [
        SigningTime::parse("20250101T000000Z").unwrap(),
        SigningTime::parse("20250102T000000Z").unwrap(),
    ];
    let combos = credentials.len() * regions.len();
    // Single-threaded reference: derive every key afresh.
    let reference = |c: usize, r: usize, d: usize, msg: &[u8]| {
        let scope = CredentialScope::new(&days[d], &regions[r], &service);
        SigningKey::derive(credentials[c].secret_access_key(), &scope).sign_bytes(msg)
    };
    let expected: Vec<Vec<Vec<sigv4::Signature>>> = (0..credentials.len())
        .map(|c| {
            (0..regions.len())
                .map(|r| (0..2).map(|d| reference(c, r, d, b"payload")).collect())
                .collect()
        })
        .collect();

    let cache = SigningKeyCache::new();
    let barrier = Barrier::new(THREADS);
    let phase_derivations = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cache, barrier, credentials, regions, service, expected, phase_derivations) = (
                &cache,
                &barrier,
                &credentials,
                &regions,
                &service,
                &expected,
                &phase_derivations,
            );
            s.spawn(move || {
                let sign = |i: usize, day: usize| {
                    let (c, r) = (
                        i % credentials.len(),
                        (i / credentials.len()) % regions.len(),
                    );
                    let scope = CredentialScope::new(&days[day], &regions[r], service);
                    let sig = cache.with_key(&credentials[c], &scope, |k| k.sign_bytes(b"payload"));
                    assert!(
                        sig == expected[c][r][day],
                        "thread {t}: wrong signature for {c}/{r}/{day}"
                    );
                };
                // Phase 1: day 0 only. Phase 2: day 1 only.
                for day in 0..2 {
                    for i in 0..ITERATIONS / 4 {
                        sign(i + t, day);
                    }
                    if barrier.wait().is_leader() {
                        phase_derivations.lock().unwrap().push(cache.derivations());
                    }
                    barrier.wait();
                }
                // Phase 3: both days interleaved (keys get replaced and
                // derived again; signatures must stay right).
                for i in 0..ITERATIONS / 2 {
                    sign(i + t, (i / 7 + t) % 2);
                }
            });
        }
    });
    let phases = phase_derivations.into_inner().unwrap();
    assert_eq!(
        phases,
        vec![combos as u64, 2 * combos as u64],
        "derivations per phase"
    );
    assert!(cache.derivations() <= (2 * combos + THREADS * ITERATIONS / 2) as u64);
}

/// One `Signer` shared by 8 threads signing whole requests with four
/// credentials at two times of one day: every `Authorization` header equals
/// the one a fresh single-threaded signer produces, and the shared cache
/// derived each secret's key exactly once.
#[test]
fn one_signer_shared_by_threads() {
    let credentials: Vec<Credentials> = (0..4)
        .map(|i| Credentials::new(format!("AKID{i}"), format!("secret-{i}")).unwrap())
        .collect();
    let times = [
        SigningTime::parse("20250101T101010Z").unwrap(),
        SigningTime::parse("20250101T235959Z").unwrap(),
    ];
    let request = |n: usize| {
        Request::post(format!("https://db.example.com:8182/gremlin?n={n}"))
            .header("content-type", "application/json")
            .body(format!("{{\"gremlin\":\"g.V({n})\"}}").into_bytes())
            .unwrap()
    };
    let reference = |c: usize, t: usize, n: usize| {
        let mut r = request(n);
        Signer::neptune("us-east-1")
            .unwrap()
            .sign(&mut r, &credentials[c], times[t])
            .unwrap();
        r.headers()["authorization"].clone()
    };
    let expected: Vec<Vec<Vec<HeaderValue>>> = (0..credentials.len())
        .map(|c| {
            (0..2)
                .map(|t| (0..16).map(|n| reference(c, t, n)).collect())
                .collect()
        })
        .collect();

    let signer = Signer::neptune("us-east-1").unwrap();
    let signed = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (signer, credentials, expected, signed) =
                (&signer, &credentials, &expected, &signed);
            let request = &request;
            s.spawn(move || {
                for i in 0..ITERATIONS / 4 {
                    let (c, tm, n) = ((i + t) % 4, (i / 3) % 2, i % 16);
                    let mut r = request(n);
                    signer.sign(&mut r, &credentials[c], times[tm]).unwrap();
                    assert_eq!(r.headers()["authorization"], expected[c][tm][n]);
                    signed.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(signed.into_inner(), THREADS * ITERATIONS / 4);
    // Both times fall on the same day: one key per secret, derived once.
    assert_eq!(signer.key_cache().derivations(), credentials.len() as u64);
}

#[derive(Clone)]
struct ManualClock(Arc<Mutex<SystemTime>>);

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// Hands out `AKID<n>` valid for an hour from the clock's now; counts
/// fetches.
struct CountingSource {
    clock: ManualClock,
    fetches: AtomicUsize,
}

impl ProvideCredentials for CountingSource {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        // Give other threads time to pile up behind the fetch.
        std::thread::sleep(Duration::from_millis(2));
        Ok(Credentials::new(format!("AKID{n}"), format!("secret-{n}"))
            .unwrap()
            .with_expiry(self.clock.now() + Duration::from_secs(3600)))
    }
}

/// 8 threads × 2000 calls of one `CachingProvider`, in 20 epochs. Between
/// epochs the clock moves: past the expiry (every caller must wait for the
/// one refresh) or into the refresh window (one caller refreshes, the
/// others may keep the current credentials meanwhile). Each epoch causes
/// exactly one fetch, and no caller ever gets credentials that have
/// expired or are older than the previous epoch's.
#[test]
fn credentials_cache_under_threads() {
    const EPOCHS: usize = 20;
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let clock = ManualClock(Arc::new(Mutex::new(t0)));
    let source = CountingSource {
        clock: clock.clone(),
        fetches: AtomicUsize::new(0),
    };
    let settings = CacheSettings::default()
        .with_jitter(Duration::ZERO)
        .with_refresh_before(Duration::from_secs(300))
        .with_min_remaining(Duration::from_secs(10));
    let cache = CachingProvider::with_settings(source, settings, Arc::new(clock.clone()));
    let barrier = Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (cache, barrier, clock) = (&cache, &barrier, &clock);
            s.spawn(move || {
                for epoch in 0..EPOCHS {
                    barrier.wait();
                    for _ in 0..ITERATIONS / EPOCHS {
                        let c = cache.provide_credentials().unwrap();
                        let n: usize = c.access_key_id()["AKID".len()..].parse().unwrap();
                        // This epoch's fetch, or (in a refresh window) the last one.
                        assert!(
                            n == epoch + 1 || (n == epoch && epoch % 2 == 0),
                            "epoch {epoch}: AKID{n}"
                        );
                        assert!(
                            c.expiry().unwrap() > clock.now(),
                            "expired credentials handed out"
                        );
                    }
                    barrier.wait();
                }
            });
        }
        for epoch in 0..EPOCHS {
            barrier.wait(); // the threads run the epoch
            barrier.wait(); // and are done
            assert_eq!(
                cache.inner().fetches.load(Ordering::SeqCst),
                epoch + 1,
                "fetches after epoch {epoch}"
            );
            // When the current credentials were fetched: an hour before
            // they expire (this call is served from the cache).
            let fetched_at =
                cache.provide_credentials().unwrap().expiry().unwrap() - Duration::from_secs(3600);
            // After an even epoch, past the expiry; after an odd one, into
            // the refresh window (150 s left).
            let advance = if epoch % 2 == 0 { 3600 } else { 3450 };
            *clock.0.lock().unwrap() = fetched_at + Duration::from_secs(advance);
        }
    });
    assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), EPOCHS);
}
