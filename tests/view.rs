//! Signing without `http`: `Signer::sign_view` and `presign_view` over a
//! `RequestView`. The official suite through views whose header names keep
//! the case the suite writes them in; agreement with the `http::Request`
//! methods (which are built on the view); what the instructions say to add
//! and remove; and the checks a view's parts go through.

mod common;

use std::time::Duration;

use common::{cases, credentials_for, settings_for, signer_for, Context};
use sigv4::tools::raw;
use sigv4::verify::{Verifier, VerifyError};
use sigv4::{
    Credentials, Payload, Region, RequestView, Service, Signer, SigningError, SigningSettings,
    SigningTime,
};

fn time() -> SigningTime {
    SigningTime::parse("20150830T123600Z").unwrap()
}

fn creds(token: bool) -> Credentials {
    let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
    if token {
        c.with_session_token("FwoGZXIvYXdzEXAMPLE/+=token").unwrap()
    } else {
        c
    }
}

/// The header lines of a suite `request.txt` as written: names in their
/// case, continuation lines folded into the value before them.
fn suite_headers(raw_request: &[u8]) -> Vec<(String, Vec<u8>)> {
    let text = String::from_utf8_lossy(raw_request);
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.split('\n').skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().expect("a header before");
            value.push(b' ');
            value.extend_from_slice(line.trim().as_bytes());
            continue;
        }
        let (name, value) = line.split_once(':').expect("Name:value");
        headers.push((name.to_owned(), value.as_bytes().to_vec()));
    }
    headers
}

/// Every CRT case of the suite, in header and query mode, signed through a
/// view with the suite's own header-name case: the suite's signatures.
#[test]
fn the_suite_through_views() {
    let mut checked = 0;
    for case in cases() {
        let (Some(context), Some(expected)) = (case.context(), case.text("header-signature.txt"))
        else {
            continue;
        };
        let ctx = Context::from_json(&context);
        let raw_request = case.read("request.txt").unwrap();
        let parsed = raw::parse_request(&raw_request).unwrap();
        let headers = suite_headers(&raw_request);
        let headers: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_slice()))
            .collect();
        let view = RequestView::new(
            parsed.method().as_str(),
            parsed.uri().path(),
            parsed.uri().query().unwrap_or(""),
            &headers,
        );
        let signer = signer_for(&ctx);
        let creds = credentials_for(&ctx);
        let time = SigningTime::parse(&ctx.timestamp).unwrap();
        let body = Payload::Bytes(parsed.body());

        let signed = signer
            .sign_view(&view, body, &creds, time)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            signed.signature().to_string(),
            expected.trim(),
            "{}",
            case.name
        );

        let expires = Duration::from_secs(ctx.expiration_in_seconds);
        let presigned = signer
            .presign_view(&view, body, &creds, time, expires)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let expected = case.text("query-signature.txt").unwrap();
        assert_eq!(
            presigned.signature().to_string(),
            expected.trim(),
            "{}",
            case.name
        );
        checked += 2;
    }
    assert_eq!(checked, 76);
}

/// Header names as a client of any case might send them: `X-Amz-Date`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn pairs(headers: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_slice()))
        .collect()
}

fn assert_refused(result: &Result<sigv4::verify::Verified, VerifyError>, case: &str) {
    assert!(
        matches!(result, Err(VerifyError::SignatureDoesNotMatch { .. })),
        "{case}: {result:?}"
    );
}

/// Every CRT case of the suite, signed through a view in header and in
/// query mode, then verified through a view: the added headers in title
/// case beside the suite's own, the presigned query as the target's. A
/// changed header value or query parameter then fails to verify.
#[test]
fn the_verifier_reads_views() {
    let mut verified = 0;
    for case in cases() {
        let Some(context) = case.context() else {
            continue;
        };
        let ctx = Context::from_json(&context);
        let raw_request = case.read("request.txt").unwrap();
        let parsed = raw::parse_request(&raw_request).unwrap();
        let (method, path) = (parsed.method().as_str(), parsed.uri().path());
        let query = parsed.uri().query().unwrap_or("");
        let signer = signer_for(&ctx);
        let creds = credentials_for(&ctx);
        let time = SigningTime::parse(&ctx.timestamp).unwrap();
        let body = Payload::Bytes(parsed.body());
        let known = creds.clone();
        let verifier = Verifier::new(
            Region::new(&ctx.region).unwrap(),
            Service::new(&ctx.service).unwrap(),
            move |_: &str| Some(known.clone()),
        )
        .with_settings(settings_for(&ctx))
        .with_unchecked_streaming(true);

        // Header signing.
        let mut headers = suite_headers(&raw_request);
        let added: Vec<(String, Vec<u8>)> = {
            let pairs = pairs(&headers);
            signer
                .sign_view(
                    &RequestView::new(method, path, query, &pairs),
                    body,
                    &creds,
                    time,
                )
                .unwrap()
                .headers()
                .map(|(name, value)| (title_case(name), value.to_vec()))
                .collect()
        };
        headers.extend(added);
        let signed = pairs(&headers);
        let view = RequestView::new(method, path, query, &signed);
        let result = verifier.verify_view(&view, body, time);
        assert!(result.is_ok(), "{}: {result:?}", case.name);
        // A value changed after signing (the first header's) is caught.
        let mut changed = headers.clone();
        changed[0].1.push(b'x');
        let changed = pairs(&changed);
        let view = RequestView::new(method, path, query, &changed);
        assert_refused(&verifier.verify_view(&view, body, time), &case.name);

        // Query signing.
        let original = suite_headers(&raw_request);
        let original = pairs(&original);
        let expires = Duration::from_secs(ctx.expiration_in_seconds);
        let presigned = signer
            .presign_view(
                &RequestView::new(method, path, query, &original),
                body,
                &creds,
                time,
                expires,
            )
            .unwrap();
        let target = presigned.path_and_query().to_owned();
        let (path, query) = target.split_once('?').unwrap();
        let view = RequestView::new(method, path, query, &original);
        let result = verifier.verify_view(&view, body, time);
        assert!(result.is_ok(), "{}: {result:?}", case.name);
        let tampered = format!("{query}&extra=1");
        let view = RequestView::new(method, path, &tampered, &original);
        assert_refused(&verifier.verify_view(&view, body, time), &case.name);
        verified += 2;
    }
    assert_eq!(verified, 76);
}

/// What a view's headers say is read whatever their case: an `x-amz-*`
/// header left unsigned is refused as `X-Amz-Meta-Note` too, and a view
/// no HTTP request could carry is malformed, not verified.
#[test]
fn the_verifier_checks_views_as_it_checks_requests() {
    let signer = Signer::neptune("us-east-1").unwrap();
    let creds = creds(true);
    let known = creds.clone();
    let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(known.clone())).unwrap();
    let mut headers = vec![("Host".to_owned(), b"db.example.com:8182".to_vec())];
    let added: Vec<(String, Vec<u8>)> = {
        let pairs = pairs(&headers);
        signer
            .sign_view(
                &RequestView::new("GET", "/status", "", &pairs),
                Payload::Bytes(b""),
                &creds,
                time(),
            )
            .unwrap()
            .headers()
            .map(|(name, value)| (title_case(name), value.to_vec()))
            .collect()
    };
    headers.extend(added);
    let verify = |headers: &[(String, Vec<u8>)]| {
        let pairs = pairs(headers);
        verifier.verify_view(
            &RequestView::new("GET", "/status", "", &pairs),
            Payload::Bytes(b""),
            time(),
        )
    };
    verify(&headers).unwrap();

    let mut unsigned = headers.clone();
    unsigned.push(("X-Amz-Meta-Note".into(), b"added later".to_vec()));
    assert!(matches!(
        verify(&unsigned),
        Err(VerifyError::UnsignedHeader { name }) if name == "X-Amz-Meta-Note"
    ));

    // Signed headers are found whatever case the view gives their names.
    let mut shouting = headers.clone();
    for (name, _) in &mut shouting {
        name.make_ascii_uppercase();
    }
    verify(&shouting).unwrap();

    let mut broken = headers.clone();
    broken.push(("x-note".into(), b"a\r\nb".to_vec()));
    assert!(matches!(
        verify(&broken),
        Err(VerifyError::Malformed { .. })
    ));
    let mut bad_name = headers.clone();
    bad_name.push(("bad name".into(), b"1".to_vec()));
    assert!(matches!(
        verify(&bad_name),
        Err(VerifyError::Malformed { .. })
    ));
}

/// Applies header instructions to an `http::Request` by their own words.
fn apply(request: &mut http::Request<Vec<u8>>, instructions: &sigv4::SigningInstructions<'_>) {
    for name in instructions.replaced_headers() {
        request.headers_mut().remove(name);
    }
    for (name, value) in instructions.headers() {
        request
            .headers_mut()
            .append(name, http::HeaderValue::from_bytes(value).unwrap());
    }
}

fn http_view<'a>(
    request: &'a http::Request<Vec<u8>>,
    headers: &'a [(&'a str, &'a [u8])],
) -> RequestView<'a> {
    let uri = request.uri();
    let view = RequestView::new(
        request.method().as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        headers,
    );
    match uri.authority() {
        Some(authority) => view.with_uri_authority(uri.scheme_str(), authority.as_str()),
        None => view,
    }
}

/// The view, its instructions applied, gives the request the
/// `http::Request` method gives, for every setting that changes what is
/// added; header names in any case sign alike.
#[test]
fn views_agree_with_the_http_methods() {
    let requests = [
        http::Request::post("https://db.example.com:8182/sparql?b=2&a=1")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-amz-meta-a", "  x   y ")
            .body(b"query=ASK%20%7B%7D".to_vec())
            .unwrap(),
        http::Request::get("https://db.example.com/status")
            .header("host", "db.example.com")
            .header("x-amz-date", "19990101T000000Z")
            .header("authorization", "stale")
            .header("x-amz-security-token", "stale")
            .body(Vec::new())
            .unwrap(),
        http::Request::get("wss://db.example.com:8182/gremlin")
            .header("upgrade", "websocket")
            .body(Vec::new())
            .unwrap(),
    ];
    for settings in [
        SigningSettings::default(),
        SigningSettings::s3(),
        SigningSettings::default()
            .with_session_token_mode(sigv4::SessionTokenMode::AddedAfterSigning),
    ] {
        let signer = Signer::neptune("us-east-1")
            .unwrap()
            .with_settings(settings);
        for token in [false, true] {
            let creds = creds(token);
            for request in &requests {
                let mut by_http = request.clone();
                let signature = signer.sign(&mut by_http, &creds, time()).unwrap();

                // Names as a client might write them.
                let names: Vec<String> = request
                    .headers()
                    .keys()
                    .map(|n| n.as_str().to_ascii_uppercase())
                    .collect();
                let headers: Vec<(&str, &[u8])> = names
                    .iter()
                    .zip(request.headers().values())
                    .map(|(n, v)| (n.as_str(), v.as_bytes()))
                    .collect();
                let view = http_view(request, &headers);
                let instructions = signer
                    .sign_view(&view, Payload::Bytes(request.body()), &creds, time())
                    .unwrap();
                assert_eq!(instructions.signature(), signature);
                let mut by_view = request.clone();
                apply(&mut by_view, &instructions);
                assert_eq!(by_view.headers(), by_http.headers(), "{request:?}");

                let mut presigned = request.clone();
                let expires = Duration::from_secs(900);
                let signature = signer
                    .presign(&mut presigned, &creds, time(), expires)
                    .unwrap();
                let instructions = signer
                    .presign_view(
                        &view,
                        Payload::Bytes(request.body()),
                        &creds,
                        time(),
                        expires,
                    )
                    .unwrap();
                assert_eq!(instructions.signature(), signature);
                assert_eq!(
                    instructions.path_and_query(),
                    presigned.uri().path_and_query().unwrap().as_str()
                );
                assert_eq!(instructions.host(), view.host_to_add());
            }
        }
    }
}

/// What the instructions hold, named.
#[test]
fn instructions_name_what_to_add() {
    let signer = Signer::neptune("us-east-1")
        .unwrap()
        .with_settings(SigningSettings::default().with_content_sha256_header(true));
    let view = RequestView::new("GET", "/status", "", &[])
        .with_uri_authority(Some("https"), "db.example.com:8182");
    let creds = creds(true);
    let i = signer
        .sign_view(&view, Payload::Bytes(b""), &creds, time())
        .unwrap();
    let names: Vec<&str> = i.headers().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "host",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256",
            "authorization"
        ]
    );
    assert_eq!(i.host(), Some("db.example.com:8182"));
    assert_eq!(i.amz_date(), "20150830T123600Z");
    assert_eq!(i.security_token(), Some("FwoGZXIvYXdzEXAMPLE/+=token"));
    assert_eq!(
        i.content_sha256().unwrap().as_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(i.authorization().starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
    ));
    assert!(i.authorization().ends_with(&i.signature().to_string()));
    let replaced: Vec<&str> = i.replaced_headers().collect();
    assert_eq!(
        replaced,
        [
            "authorization",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-content-sha256"
        ]
    );
    // `Debug` shows neither the token nor the signature.
    let shown = format!("{i:?}");
    assert!(!shown.contains("FwoG"), "{shown}");
    assert!(!shown.contains(&i.signature().to_string()), "{shown}");

    let p = signer
        .presign_view(
            &view,
            Payload::Bytes(b""),
            &creds,
            time(),
            Duration::from_secs(60),
        )
        .unwrap();
    let keys: Vec<&str> = p.params().map(|(key, _)| key).collect();
    assert_eq!(
        keys,
        [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Security-Token",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature"
        ]
    );
    let value = |key: &str| p.params().find(|(k, _)| *k == key).unwrap().1.to_owned();
    assert_eq!(
        value("X-Amz-Credential"),
        "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fneptune-db%2Faws4_request"
    );
    assert_eq!(
        value("X-Amz-Security-Token"),
        "FwoGZXIvYXdzEXAMPLE%2F%2B%3Dtoken"
    );
    assert_eq!(value("X-Amz-Signature"), p.signature().to_string());
    let shown = format!("{p:?}");
    assert!(!shown.contains("FwoG"), "{shown}");
    assert!(!shown.contains(&p.signature().to_string()), "{shown}");
    assert!(shown.contains("\"/status\""), "{shown}");
    assert!(p.query().starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    assert!(p.path_and_query().starts_with("/status?X-Amz-Algorithm="));
}

/// A view's parts are checked as `CanonicalRequest::new` checks them.
#[test]
fn views_are_checked() {
    let signer = Signer::neptune("us-east-1").unwrap();
    let creds = creds(false);
    let sign = |view: RequestView<'_>| {
        signer
            .sign_view(&view, Payload::Bytes(b""), &creds, time())
            .map(|i| i.signature())
    };
    let host = [("Host", &b"h"[..])];
    assert!(sign(RequestView::new("GET", "/", "", &host)).is_ok());
    assert!(matches!(
        sign(RequestView::new("GET /", "/", "", &host)),
        Err(SigningError::InvalidMethod { .. })
    ));
    for bad in [
        [("Host", &b"h"[..]), ("Bad Name", b"v")],
        [("Host", &b"h"[..]), ("", b"v")],
    ] {
        assert!(matches!(
            sign(RequestView::new("GET", "/", "", &bad)),
            Err(SigningError::InvalidHeaderName { .. })
        ));
    }
    let split = [("Host", &b"h"[..]), ("X", b"a\r\nInjected: yes")];
    assert!(matches!(
        sign(RequestView::new("GET", "/", "", &split)),
        Err(SigningError::InvalidHeaderValue { .. })
    ));
    assert_eq!(
        sign(RequestView::new("GET", "/", "", &[])),
        Err(SigningError::MissingHost)
    );
    // Stale signer-owned headers, in any case, are never signed.
    let stale = [
        ("Host", &b"h"[..]),
        ("X-AMZ-DATE", b"19990101T000000Z"),
        ("Authorization", b"old"),
    ];
    assert_eq!(
        sign(RequestView::new("GET", "/", "", &stale)),
        sign(RequestView::new("GET", "/", "", &host))
    );
}

/// The host a view's URI authority gives is a header value like any other:
/// one that would split the canonical request is refused, in header and
/// query signing, and one with runs of spaces is signed as a server reads it.
#[test]
fn the_host_from_a_uri_authority_is_checked() {
    let signer = Signer::neptune("us-east-1").unwrap();
    let creds = creds(true);
    for authority in [
        "db.example.com\r\nx-amz-date:19990101T000000Z",
        "db.example.com\nx",
        "db\0.example.com",
    ] {
        let view = RequestView::new("GET", "/status", "", &[]).with_uri_authority(None, authority);
        assert!(
            matches!(
                signer.sign_view(&view, Payload::Bytes(b""), &creds, time()),
                Err(SigningError::InvalidHeaderValue { .. })
            ),
            "{authority:?}"
        );
        assert!(
            matches!(
                signer.presign_view(
                    &view,
                    Payload::Bytes(b""),
                    &creds,
                    time(),
                    Duration::from_secs(60)
                ),
                Err(SigningError::InvalidHeaderValue { .. })
            ),
            "{authority:?}"
        );
    }
    // Spaces: trimmed and collapsed as in any value, so the signature is
    // that of the header a server would read.
    let spaced = RequestView::new("GET", "/status", "", &[]).with_uri_authority(None, "a  b");
    let as_header = [("host", &b"a  b"[..])];
    let plain = RequestView::new("GET", "/status", "", &as_header);
    assert_eq!(
        signer
            .sign_view(&spaced, Payload::Bytes(b""), &creds, time())
            .unwrap()
            .signature(),
        signer
            .sign_view(&plain, Payload::Bytes(b""), &creds, time())
            .unwrap()
            .signature()
    );
}

use proptest::prelude::*;

/// Names as a client might write them: known ones (the signer's own and
/// excluded ones among them) and others, in any case.
fn header_name() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "host",
        "x-amz-date",
        "authorization",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "user-agent",
        "connection",
        "proxy-x",
        "content-type",
        "x-amz-meta-a",
        "x-custom",
        "accept",
    ]);
    (names, prop::collection::vec(any::<bool>(), 24)).prop_map(|(name, upper)| {
        name.chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the names' case, a view signs as the `http` method signs
    /// the same request (whose names `http` lowercases), in both modes.
    #[test]
    fn views_in_any_case_sign_as_http_does(
        headers in prop::collection::vec((header_name(), "[ -~]{0,12}"), 0..8),
        token in any::<bool>(),
        presign in any::<bool>(),
        s3 in any::<bool>(),
    ) {
        let settings = if s3 { SigningSettings::s3() } else { SigningSettings::default() };
        let signer = Signer::neptune("us-east-1").unwrap().with_settings(settings);
        let creds = creds(token);
        // One value per name: http would join repeats in its own order.
        let mut seen = std::collections::HashSet::new();
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(name, _)| seen.insert(name.to_ascii_lowercase()))
            // A caller's x-amz-content-sha256 must be the payload's: keep it so.
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("x-amz-content-sha256") {
                    (name, sigv4::PayloadHash::of_bytes(b"").as_str().to_owned())
                } else {
                    (name, value)
                }
            })
            .collect();
        let mut request = http::Request::get("https://db.example.com:8182/sparql?q=a+b&z=%2F")
            .body(Vec::new())
            .unwrap();
        for (name, value) in &headers {
            request.headers_mut().append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let pairs: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let view = http_view(&request, &pairs);
        let expires = Duration::from_secs(300);
        let by_http = {
            let mut signed = request.clone();
            if presign {
                signer.presign(&mut signed, &creds, time(), expires)
            } else {
                signer.sign(&mut signed, &creds, time())
            }
        };
        let by_view = if presign {
            signer
                .presign_view(&view, Payload::Bytes(b""), &creds, time(), expires)
                .map(|i| i.signature())
        } else {
            signer
                .sign_view(&view, Payload::Bytes(b""), &creds, time())
                .map(|i| i.signature())
        };
        prop_assert_eq!(by_http, by_view);
    }
}
