//! The verifier against the signer: what one signs the other accepts, in
//! header and query mode, with and without a session token; and every
//! tampered part, stale clock, wrong secret or missing token is rejected
//! with the right AWS error code.

use std::time::Duration;

use http::Request;
use proptest::prelude::*;
use sigv4::verify::{SignatureLocation, Verifier, VerifyError};
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
            if accepted {
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

    // Two copies that disagree are refused too.
    let mut request = sparql_post();
    request
        .headers_mut()
        .append("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    request
        .headers_mut()
        .append("x-amz-content-sha256", body_hash.as_str().parse().unwrap());
    assert!(matches!(
        signer.sign(&mut request, &creds(false), time()),
        Err(sigv4::SigningError::ContentSha256Mismatch { .. })
    ));
}
