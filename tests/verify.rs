//! The verifier against the signer: what one signs the other accepts, in
//! header and query mode, with and without a session token; and every
//! tampered part, stale clock, wrong secret or missing token is rejected
//! with the right AWS error code.

use std::time::Duration;

use http::Request;
use proptest::prelude::*;
use sigv4::verify::{PayloadCheck, SignatureLocation, Verifier, VerifyError};
use sigv4::{Credentials, Signer, SigningTime};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn time() -> SigningTime {
    SigningTime::parse("20150830T123600Z").unwrap()
}

fn creds(token: bool) -> Credentials {
    let c = Credentials::new("AKIDEXAMPLE", SECRET).unwrap();
    if token {
        c.with_session_token(TOKEN).unwrap()
    } else {
        c
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<Credentials> + Send + Sync>;

fn verifier(known: Credentials) -> Verifier<Lookup> {
    Verifier::neptune(
        "us-east-1",
        Box::new(move |id: &str| (id == known.access_key_id()).then(|| known.clone())) as Lookup,
    )
    .unwrap()
}

fn sparql_post() -> Request<Vec<u8>> {
    Request::post("https://db.example.com:8182/sparql?format=json&x=a%20b")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-amz-meta-trace", "abc")
        .body(b"query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D".to_vec())
        .unwrap()
}

fn signed(token: bool, presign: bool) -> Request<Vec<u8>> {
    let signer = Signer::neptune("us-east-1").unwrap();
    let mut request = sparql_post();
    if presign {
        signer
            .presign(
                &mut request,
                &creds(token),
                time(),
                Duration::from_secs(900),
            )
            .unwrap();
    } else {
        signer.sign(&mut request, &creds(token), time()).unwrap();
    }
    request
}

/// The `&'static str` constant spelled `value`.
fn value_static(value: &str) -> &'static str {
    [
        sigv4::STREAMING_SIGNED_PAYLOAD,
        sigv4::STREAMING_SIGNED_PAYLOAD_TRAILER,
        sigv4::STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        sigv4::UNSIGNED_PAYLOAD,
    ]
    .into_iter()
    .find(|c| *c == value)
    .expect("a payload constant")
}

fn code(result: Result<sigv4::verify::Verified, VerifyError>) -> &'static str {
    result.expect_err("must be rejected").code()
}

#[test]
fn accepts_what_the_signer_signs_in_every_mode() {
    for token in [false, true] {
        for presign in [false, true] {
            let request = signed(token, presign);
            let verified = verifier(creds(token))
                .verify(&request, time())
                .unwrap_or_else(|e| panic!("token={token} presign={presign}: {e}"));
            assert_eq!(verified.access_key_id, "AKIDEXAMPLE");
            assert_eq!(
                matches!(verified.location, SignatureLocation::Query { expires: 900 }),
                presign
            );
        }
    }
}

#[test]
fn rejects_any_changed_signed_part() {
    for presign in [false, true] {
        let v = verifier(creds(true));
        let base = signed(true, presign);
        let mut cases: Vec<(&str, Request<Vec<u8>>)> = Vec::new();

        let mut r = base.clone();
        *r.method_mut() = http::Method::PUT;
        cases.push(("method", r));

        let mut r = base.clone();
        let uri = r.uri().to_string().replace("/sparql", "/sparqL");
        *r.uri_mut() = uri.parse().unwrap();
        cases.push(("path", r));

        let mut r = base.clone();
        let uri = r.uri().to_string().replace("format=json", "format=xml");
        *r.uri_mut() = uri.parse().unwrap();
        cases.push(("query", r));

        let mut r = base.clone();
        r.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        cases.push(("signed header", r));

        let mut r = base.clone();
        r.body_mut().push(b'!');
        cases.push(("body", r));

        for (what, request) in cases {
            assert_eq!(
                code(v.verify(&request, time())),
                "SignatureDoesNotMatch",
                "{what} (presign={presign})"
            );
        }
    }
}

#[test]
fn rejects_a_changed_date() {
    let v = verifier(creds(false));
    let mut r = signed(false, false);
    r.headers_mut()
        .insert("x-amz-date", "20150830T123601Z".parse().unwrap());
    assert_eq!(code(v.verify(&r, time())), "SignatureDoesNotMatch");

    let r = signed(false, true);
    let uri = r
        .uri()
        .to_string()
        .replace("X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T123601Z");
    let mut r2 = r.clone();
    *r2.uri_mut() = uri.parse().unwrap();
    assert_eq!(code(v.verify(&r2, time())), "SignatureDoesNotMatch");
}

#[test]
fn rejects_wrong_secret_and_unknown_key() {
    let other = Credentials::new("AKIDEXAMPLE", "another-secret").unwrap();
    let request = signed(false, false);
    let err = verifier(other).verify(&request, time()).unwrap_err();
    let VerifyError::SignatureDoesNotMatch {
        canonical_request,
        string_to_sign,
    } = &err
    else {
        panic!("expected SignatureDoesNotMatch, got {err:?}");
    };
    assert!(canonical_request.starts_with("POST\n/sparql\nformat=json&x=a%20b\n"));
    assert!(string_to_sign.starts_with("AWS4-HMAC-SHA256\n20150830T123600Z\n"));

    let stranger = Credentials::new("AKIDOTHER", SECRET).unwrap();
    assert_eq!(
        code(verifier(stranger).verify(&request, time())),
        "InvalidClientTokenId"
    );
}

#[test]
fn enforces_clock_skew_and_presign_expiry() {
    let v = verifier(creds(false));
    let at = |s: i64| SigningTime::from_unix(time().unix_seconds() + s).unwrap();
    let header = signed(false, false);
    assert!(v.verify(&header, at(300)).is_ok());
    assert!(v.verify(&header, at(-300)).is_ok());
    assert_eq!(code(v.verify(&header, at(301))), "RequestExpired");
    assert_eq!(code(v.verify(&header, at(-301))), "RequestExpired");

    let presigned = signed(false, true);
    assert!(v.verify(&presigned, at(900)).is_ok());
    assert_eq!(code(v.verify(&presigned, at(901))), "RequestExpired");
    assert_eq!(code(v.verify(&presigned, at(-301))), "RequestExpired");
    let tight = verifier(creds(false)).with_max_skew(Duration::from_secs(10));
    assert_eq!(code(tight.verify(&header, at(11))), "RequestExpired");
}

#[test]
fn requires_the_session_token_the_key_needs() {
    // Signed without a token, but the key is temporary.
    let request = signed(false, false);
    let err = verifier(creds(true)).verify(&request, time()).unwrap_err();
    assert_eq!(err, VerifyError::MissingSessionToken);
    let request = signed(false, true);
    let err = verifier(creds(true)).verify(&request, time()).unwrap_err();
    assert_eq!(err, VerifyError::MissingSessionToken);

    // A token the key does not have.
    let wrong = Credentials::new("AKIDEXAMPLE", SECRET)
        .unwrap()
        .with_session_token("another-token")
        .unwrap();
    let request = signed(true, false);
    assert_eq!(
        verifier(wrong).verify(&request, time()).unwrap_err(),
        VerifyError::InvalidSessionToken
    );
}

#[test]
fn requires_host_and_amz_headers_to_be_signed() {
    let v = verifier(creds(false));
    let mut r = signed(false, false);
    r.headers_mut()
        .insert("x-amz-extra", "added later".parse().unwrap());
    assert_eq!(
        v.verify(&r, time()).unwrap_err(),
        VerifyError::UnsignedHeader {
            name: "x-amz-extra".into()
        }
    );

    let mut r = signed(false, false);
    let auth = r.headers()["authorization"].to_str().unwrap().to_owned();
    let auth = auth.replace(
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    r.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    assert_eq!(
        v.verify(&r, time()).unwrap_err(),
        VerifyError::UnsignedHeader {
            name: "host".into()
        }
    );
}

#[test]
fn checks_content_sha256_against_the_body() {
    let signer = Signer::neptune("us-east-1")
        .unwrap()
        .with_settings(sigv4::SigningSettings::default().with_content_sha256_header(true));
    let mut r = sparql_post();
    signer.sign(&mut r, &creds(false), time()).unwrap();
    let v = verifier(creds(false));
    assert!(v.verify(&r, time()).is_ok());
    r.body_mut().push(b'!');
    assert_eq!(
        v.verify(&r, time()).unwrap_err(),
        VerifyError::ContentSha256Mismatch
    );
}

#[test]
fn rejects_other_scopes() {
    let request = signed(false, false);
    let known = creds(false);
    let elsewhere = Verifier::neptune("eu-west-1", move |_: &str| Some(known.clone())).unwrap();
    assert!(matches!(
        elsewhere.verify(&request, time()).unwrap_err(),
        VerifyError::ScopeMismatch {
            field: "region",
            ..
        }
    ));
}

#[test]
fn errors_never_show_secrets() {
    let request = signed(true, false);
    let wrong = Credentials::new("AKIDEXAMPLE", "other")
        .unwrap()
        .with_session_token(TOKEN)
        .unwrap();
    let err = verifier(wrong).verify(&request, time()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains(SECRET));
    assert!(shown.contains("<redacted>"));
}

fn arb_request() -> impl Strategy<Value = (String, String, Vec<(String, String)>, Vec<u8>)> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]);
    let segment = "[a-zA-Z0-9._~%-]{0,6}|\\.|\\.\\.|%2F|%20|@|:";
    let path = prop::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/")));
    let query = prop::collection::vec(("[a-zA-Z0-9._~-]{0,4}", "[a-zA-Z0-9._~%-]{0,6}"), 0..4)
        .prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| format!("{k}={}", v.replace('%', "%25")))
                .collect::<Vec<_>>()
                .join("&")
        });
    let headers = prop::collection::vec(
        (
            prop::sample::select(vec!["x-custom", "accept", "x-amz-meta-a", "content-type"]),
            "[ a-zA-Z0-9;=,]{0,12}",
        ),
        0..4,
    )
    .prop_map(|h| h.into_iter().map(|(n, v)| (n.to_owned(), v)).collect());
    let body = prop::collection::vec(any::<u8>(), 0..64);
    (method, path, query, headers, body).prop_map(|(m, p, q, h, b)| {
        let target = if q.is_empty() { p } else { format!("{p}?{q}") };
        (m.to_owned(), target, h, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Sign then verify succeeds for every generated request, in both modes,
    /// with and without a session token; flipping one byte of the body or
    /// of the path makes it fail.
    #[test]
    fn sign_then_verify((method, target, headers, body) in arb_request(), token: bool, presign: bool) {
        let mut builder = Request::builder()
            .method(method.as_str())
            .uri(format!("https://db.example.com:8182{target}"));
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut request = builder.body(body).unwrap();
        let signer = Signer::neptune("us-east-1").unwrap();
        if presign {
            signer.presign(&mut request, &creds(token), time(), Duration::from_secs(60)).unwrap();
        } else {
            signer.sign(&mut request, &creds(token), time()).unwrap();
        }
        let v = verifier(creds(token));
        prop_assert!(v.verify(&request, time()).is_ok());

        let mut tampered = request.clone();
        tampered.body_mut().push(0);
        prop_assert_eq!(code(v.verify(&tampered, time())), "SignatureDoesNotMatch");
    }
}

/// A caller-set `x-amz-content-sha256` is the payload line servers use:
/// the signer follows a documented constant there, accepts the body's own
/// hash, and refuses anything else (leaving the request untouched), so
/// what it signs is what the verifier accepts.
#[test]
fn caller_set_content_sha256_is_followed_or_refused() {
    let signer = Signer::neptune("us-east-1").unwrap();
    let v = verifier(creds(false));
    let body_hash = sigv4::PayloadHash::of_bytes(sparql_post().body());
    for presign in [false, true] {
        for (value, accepted) in [
            ("UNSIGNED-PAYLOAD", true),
            ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", true),
            (body_hash.as_str(), true),
            (&body_hash.as_str().to_ascii_uppercase(), true),
            ("0123", false),
            (&"0".repeat(64), false),
            ("unsigned-payload", false),
        ] {
            let mut request = sparql_post();
            request
                .headers_mut()
                .insert("x-amz-content-sha256", value.parse().unwrap());
            let before = request.clone();
            let result = if presign {
                signer.presign(&mut request, &creds(false), time(), Duration::from_secs(60))
            } else {
                signer.sign(&mut request, &creds(false), time())
            };
            if accepted && value.starts_with("STREAMING-") {
                // Signed as asked; refused by default by the verifier, which
                // does not check chunks, and accepted on the seed signature
                // alone only when asked to.
                result.unwrap_or_else(|e| panic!("{value}: {e}"));
                assert_eq!(code(v.verify(&request, time())), "NotImplemented");
                let lenient = verifier(creds(false)).with_unchecked_streaming(true);
                let verified = lenient.verify(&request, time()).unwrap();
                assert_eq!(
                    verified.payload,
                    PayloadCheck::Streaming(value_static(value))
                );
            } else if accepted {
                result.unwrap_or_else(|e| panic!("{value}: {e}"));
                v.verify(&request, time())
                    .unwrap_or_else(|e| panic!("{value}, presign {presign}: {e}"));
            } else {
                let err = result.unwrap_err();
                assert!(
                    matches!(err, sigv4::SigningError::ContentSha256Mismatch { .. }),
                    "{value}: {err:?}"
                );
                assert!(err.to_string().contains(body_hash.as_str()), "{err}");
                assert_eq!(request.uri(), before.uri());
                assert_eq!(request.headers(), before.headers());
            }
        }
    }

    // Two copies are refused, whether they agree or not: a server reads one.
    let mut request = sparql_post();
    request
        .headers_mut()
        .append("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    request
        .headers_mut()
        .append("x-amz-content-sha256", body_hash.as_str().parse().unwrap());
    assert!(matches!(
        signer.sign(&mut request, &creds(false), time()),
        Err(sigv4::SigningError::RepeatedContentSha256)
    ));
    let mut request = sparql_post();
    for _ in 0..2 {
        request
            .headers_mut()
            .append("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    }
    assert!(matches!(
        signer.sign(&mut request, &creds(false), time()),
        Err(sigv4::SigningError::RepeatedContentSha256)
    ));
}

/// Signs `request` by the stages, with the time in a `Date` header (as a
/// client that sends no `x-amz-date` does), signing `signed` headers.
fn signed_with_date_header(date: &str, signed: &[&str]) -> Request<Vec<u8>> {
    use sigv4::StringToSign;
    use sigv4::{CanonicalRequest, CredentialScope, PayloadHash, Region, Service, SigningKeyCache};
    let mut request = Request::get("https://db.example.com:8182/status")
        .header("host", "db.example.com:8182")
        .header("date", date)
        .body(Vec::new())
        .unwrap();
    let values: Vec<(&str, &[u8])> = signed
        .iter()
        .map(|name| (*name, request.headers()[*name].as_bytes()))
        .collect();
    let payload = PayloadHash::of_bytes(b"");
    let canonical = CanonicalRequest::new("GET", "/status", "", &values, &payload).unwrap();
    let (region, service) = (
        Region::new("us-east-1").unwrap(),
        Service::new("neptune-db").unwrap(),
    );
    let at = time();
    let scope = CredentialScope::new(&at, &region, &service);
    let string_to_sign = StringToSign::new(&at, scope, &canonical.hash());
    let signature = SigningKeyCache::new().sign(&creds(false), &string_to_sign);
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, SignedHeaders={}, Signature={signature}",
        canonical.signed_headers()
    );
    request
        .headers_mut()
        .insert("authorization", authorization.parse().unwrap());
    request
}

/// SigV4 takes the time from `Date` when `x-amz-date` is absent, in the
/// ISO 8601 basic form or as an HTTP date; the header must be signed.
#[test]
fn accepts_the_time_from_a_signed_date_header() {
    let v = verifier(creds(false));
    for date in ["20150830T123600Z", "Sun, 30 Aug 2015 12:36:00 GMT"] {
        let request = signed_with_date_header(date, &["date", "host"]);
        let verified = v
            .verify(&request, time())
            .unwrap_or_else(|e| panic!("{date}: {e}"));
        assert_eq!(verified.time, time());
        // The time is what the signature covers: another Date fails.
        let mut moved = request.clone();
        moved
            .headers_mut()
            .insert("date", "Sun, 30 Aug 2015 12:36:01 GMT".parse().unwrap());
        assert_eq!(code(v.verify(&moved, time())), "SignatureDoesNotMatch");
    }
    let unsigned = signed_with_date_header("Sun, 30 Aug 2015 12:36:00 GMT", &["host"]);
    assert_eq!(
        v.verify(&unsigned, time()).unwrap_err(),
        VerifyError::UnsignedHeader {
            name: "date".into()
        }
    );
    // The date is still checked against the clock and the scope.
    let request = signed_with_date_header("Sun, 30 Aug 2015 12:36:00 GMT", &["date", "host"]);
    let late = SigningTime::parse("20150830T124200Z").unwrap();
    assert_eq!(code(v.verify(&request, late)), "RequestExpired");
}

/// AWS services read a query as form data: a `+` is a space. A request
/// signed with `%20` (botocore) and sent with `+` (`requests`' params), as
/// AWS's own Neptune example does, verifies; a literal plus is `%2B`.
#[test]
fn plus_in_the_query_is_a_space() {
    let signer = Signer::neptune("us-east-1").unwrap();
    let v = verifier(creds(false));
    let mut request = Request::get("https://db.example.com:8182/sparql?query=ASK%20%7B%7D")
        .body(Vec::new())
        .unwrap();
    signer.sign(&mut request, &creds(false), time()).unwrap();
    let mut sent = request.clone();
    *sent.uri_mut() = "https://db.example.com:8182/sparql?query=ASK+%7B%7D"
        .parse()
        .unwrap();
    v.verify(&sent, time()).expect("a + is a space");
    *sent.uri_mut() = "https://db.example.com:8182/sparql?query=ASK%2B%7B%7D"
        .parse()
        .unwrap();
    assert_eq!(code(v.verify(&sent, time())), "SignatureDoesNotMatch");

    // Presigned the same way.
    let mut request = Request::get("https://db.example.com:8182/sparql?query=ASK+%7B%7D")
        .body(Vec::new())
        .unwrap();
    signer
        .presign(&mut request, &creds(true), time(), Duration::from_secs(60))
        .unwrap();
    verifier(creds(true)).verify(&request, time()).unwrap();
    let spaced = request.uri().to_string().replace("ASK+", "ASK%20");
    *request.uri_mut() = spaced.parse().unwrap();
    verifier(creds(true)).verify(&request, time()).unwrap();
}

/// `Verified::payload` says how the body was authenticated.
#[test]
fn reports_how_the_payload_was_authenticated() {
    let v = verifier(creds(false));
    let request = signed(false, false);
    assert_eq!(
        v.verify(&request, time()).unwrap().payload,
        PayloadCheck::Checked
    );
    let hash = sigv4::PayloadHash::of_bytes(request.body());
    let given = v
        .verify_with_payload(&request, sigv4::Payload::Precomputed(hash.as_str()), time())
        .unwrap();
    assert_eq!(given.payload, PayloadCheck::Checked);

    // A claimed hash with no body to check it against.
    let mut claimed = sparql_post();
    claimed
        .headers_mut()
        .insert("x-amz-content-sha256", hash.as_str().parse().unwrap());
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut claimed, &creds(false), time())
        .unwrap();
    let verified = v
        .verify_with_payload(&claimed, sigv4::Payload::Unsigned, time())
        .unwrap();
    assert_eq!(verified.payload, PayloadCheck::Claimed(hash));
    let strict = verifier(creds(false)).with_checked_payload_required(true);
    assert_eq!(
        code(strict.verify_with_payload(&claimed, sigv4::Payload::Unsigned, time())),
        "AccessDenied"
    );
    strict.verify(&claimed, time()).unwrap();

    let mut unsigned = sparql_post();
    unsigned
        .headers_mut()
        .insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut unsigned, &creds(false), time())
        .unwrap();
    assert_eq!(
        v.verify(&unsigned, time()).unwrap().payload,
        PayloadCheck::Unsigned
    );
    assert_eq!(
        strict.verify(&unsigned, time()).unwrap_err(),
        VerifyError::PayloadNotChecked {
            payload: PayloadCheck::Unsigned
        }
    );
}

/// Streaming payloads are refused, whatever the body: the seed signature
/// does not cover it. With `x-amz-content-sha256` repeated, too.
#[test]
fn refuses_streaming_payloads_by_default() {
    let v = verifier(creds(false));
    let mut request = sparql_post();
    request.headers_mut().insert(
        "x-amz-content-sha256",
        sigv4::STREAMING_SIGNED_PAYLOAD.parse().unwrap(),
    );
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut request, &creds(false), time())
        .unwrap();
    *request.body_mut() = b"another body".to_vec();
    assert_eq!(
        v.verify(&request, time()).unwrap_err(),
        VerifyError::StreamingPayloadRefused {
            payload: sigv4::STREAMING_SIGNED_PAYLOAD
        }
    );
    assert_eq!(code(v.verify(&request, time())), "NotImplemented");
    let mut twice = sparql_post();
    twice
        .headers_mut()
        .insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut twice, &creds(false), time())
        .unwrap();
    twice
        .headers_mut()
        .append("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    assert_eq!(code(v.verify(&twice, time())), "IncompleteSignature");
}

/// A request signed both ways is refused, with S3's code.
#[test]
fn refuses_two_auth_mechanisms() {
    let presigned = signed(false, true);
    let mut both = signed(false, false);
    *both.uri_mut() = presigned.uri().clone();
    assert_eq!(
        verifier(creds(false)).verify(&both, time()).unwrap_err(),
        VerifyError::MultipleAuthMechanisms
    );
    assert_eq!(
        code(verifier(creds(false)).verify(&both, time())),
        "InvalidArgument"
    );
}

/// Header count and size are bounded before any parsing: 20,000 signed
/// `x-amz-*` headers are refused at once by default, and with the bound
/// raised the signed-headers check is a binary search, not a scan per
/// header (once 0.6 s).
#[test]
fn bounds_the_headers_a_request_may_carry() {
    let mut request = sparql_post();
    for i in 0..20_000 {
        let name = http::HeaderName::try_from(format!("x-amz-meta-{i:05}")).unwrap();
        request.headers_mut().append(name, "v".parse().unwrap());
    }
    Signer::neptune("us-east-1")
        .unwrap()
        .sign(&mut request, &creds(false), time())
        .unwrap();
    assert_eq!(
        verifier(creds(false)).verify(&request, time()).unwrap_err(),
        VerifyError::HeadersTooLarge {
            max_headers: sigv4::verify::DEFAULT_MAX_HEADERS,
            max_bytes: sigv4::verify::DEFAULT_MAX_HEADER_BYTES,
        }
    );
    assert_eq!(
        code(verifier(creds(false)).verify(&request, time())),
        "RequestHeaderSectionTooLarge"
    );
    verifier(creds(false))
        .with_header_limits(30_000, 4 << 20)
        .verify(&request, time())
        .unwrap();

    // Bytes count too: one large header.
    let mut big = signed(false, false);
    big.headers_mut()
        .insert("x-custom", "v".repeat(70_000).parse().unwrap());
    assert_eq!(
        code(verifier(creds(false)).verify(&big, time())),
        "RequestHeaderSectionTooLarge"
    );
    let small = verifier(creds(false)).with_header_limits(3, 1 << 20);
    assert_eq!(
        code(small.verify(&signed(false, false), time())),
        "RequestHeaderSectionTooLarge"
    );
}

/// With `SessionTokenMode::AddedAfterSigning` (the verifier's settings,
/// as the signer's), the token travels unsigned, header or query, and is
/// still checked: missing, wrong or unknown tokens are refused.
#[test]
fn a_token_added_after_signing_is_checked_not_signed() {
    use sigv4::{SessionTokenMode, SigningSettings};
    let settings =
        SigningSettings::default().with_session_token_mode(SessionTokenMode::AddedAfterSigning);
    let signer = Signer::neptune("us-east-1")
        .unwrap()
        .with_settings(settings.clone());
    let v = verifier(creds(true)).with_settings(settings);
    for presign in [false, true] {
        let mut request = sparql_post();
        if presign {
            signer
                .presign(&mut request, &creds(true), time(), Duration::from_secs(60))
                .unwrap();
        } else {
            signer.sign(&mut request, &creds(true), time()).unwrap();
            let auth = request.headers()["authorization"].to_str().unwrap();
            assert!(!auth.contains("x-amz-security-token"), "{auth}");
        }
        v.verify(&request, time())
            .unwrap_or_else(|e| panic!("presign {presign}: {e}"));
        // The default verifier wants the token signed.
        assert!(verifier(creds(true)).verify(&request, time()).is_err());

        let mut wrong = request.clone();
        let mut missing = request.clone();
        if presign {
            let query = request.uri().query().unwrap();
            let without: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("X-Amz-Security-Token="))
                .collect();
            let base = format!("https://db.example.com:8182/sparql?{}", without.join("&"));
            *missing.uri_mut() = base.parse().unwrap();
            *wrong.uri_mut() = format!("{base}&X-Amz-Security-Token=other")
                .parse()
                .unwrap();
        } else {
            missing.headers_mut().remove("x-amz-security-token");
            wrong
                .headers_mut()
                .insert("x-amz-security-token", "other".parse().unwrap());
        }
        assert_eq!(
            v.verify(&missing, time()).unwrap_err(),
            VerifyError::MissingSessionToken
        );
        assert_eq!(
            v.verify(&wrong, time()).unwrap_err(),
            VerifyError::InvalidSessionToken
        );
        // Credentials without a token: a presented one is refused.
        let plain = verifier(creds(false)).with_settings(
            SigningSettings::default().with_session_token_mode(SessionTokenMode::AddedAfterSigning),
        );
        assert_eq!(
            plain.verify(&request, time()).unwrap_err(),
            VerifyError::InvalidSessionToken
        );
    }
}

/// An excluded `x-amz-*` header (the verifier's settings, as the
/// signer's) may be present unsigned.
#[test]
fn excluded_headers_may_go_unsigned() {
    use sigv4::{ExcludedHeaders, SigningSettings};
    let settings = SigningSettings::default()
        .with_excluded_headers(ExcludedHeaders::default().with("x-amz-trace-hop"));
    let mut request = sparql_post();
    request
        .headers_mut()
        .insert("x-amz-trace-hop", "3".parse().unwrap());
    Signer::neptune("us-east-1")
        .unwrap()
        .with_settings(settings.clone())
        .sign(&mut request, &creds(false), time())
        .unwrap();
    verifier(creds(false))
        .with_settings(settings)
        .verify(&request, time())
        .unwrap();
    assert_eq!(
        verifier(creds(false)).verify(&request, time()).unwrap_err(),
        VerifyError::UnsignedHeader {
            name: "x-amz-trace-hop".into()
        }
    );
}
