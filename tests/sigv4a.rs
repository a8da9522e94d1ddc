//! SigV4a refusals: a changed byte anywhere in a signed request, a
//! signature under another key, a region outside the set, an empty or
//! malformed set; and a lookup that gives the public key.

use sigv4::verify::{SecretLookup, Verifier, VerifyError};
use sigv4::{
    Credentials, EcdsaKey, PublicKey, Region, RegionSet, Service, SigV4aSigner, SigningTime,
};

fn time() -> SigningTime {
    SigningTime::parse("20150830T123600Z").unwrap()
}

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .unwrap()
        .with_session_token("FwoGZXIvYXdzEXAMPLE/+=token")
        .unwrap()
}

fn signer(set: &str) -> SigV4aSigner {
    SigV4aSigner::new(Service::new("s3").unwrap(), RegionSet::new(set).unwrap())
}

fn verifier(region: &str) -> Verifier<impl SecretLookup> {
    let known = creds();
    Verifier::new(
        Region::new(region).unwrap(),
        Service::new("s3").unwrap(),
        move |_: &str| Some(known.clone()),
    )
}

fn signed(set: &str) -> http::Request<Vec<u8>> {
    let mut request =
        http::Request::post("https://mrap.accesspoint.s3-global.amazonaws.com/a/b?x=1&y=two")
            .header("content-type", "text/plain")
            .header("x-amz-meta-note", "hello world")
            .body(b"the body".to_vec())
            .unwrap();
    signer(set).sign(&mut request, &creds(), time()).unwrap();
    request
}

#[test]
fn a_signed_request_verifies_and_any_change_fails() {
    let request = signed("us-east-1,eu-*");
    for region in ["us-east-1", "eu-west-3"] {
        let verified = verifier(region).verify(&request, time()).unwrap();
        assert_eq!(verified.algorithm, "AWS4-ECDSA-P256-SHA256");
    }
    // Every byte of each signed part, changed.
    let mut changes: Vec<http::Request<Vec<u8>>> = Vec::new();
    for i in 0..request.body().len() {
        let mut r = request.clone();
        r.body_mut()[i] ^= 1;
        changes.push(r);
    }
    for (name, value) in request.headers() {
        if name == "authorization" {
            continue;
        }
        for i in 0..value.len() {
            let mut bytes = value.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            if let Ok(v) = http::HeaderValue::from_bytes(&bytes) {
                let mut r = request.clone();
                r.headers_mut().insert(name.clone(), v);
                changes.push(r);
            }
        }
    }
    for target in [
        "/a/c?x=1&y=two",
        "/a/b?x=2&y=two",
        "/a/b?x=1&y=tw0",
        "/a/b?x=1",
    ] {
        let mut r = request.clone();
        *r.uri_mut() = format!("https://mrap.accesspoint.s3-global.amazonaws.com{target}")
            .parse()
            .unwrap();
        changes.push(r);
    }
    let mut put = request.clone();
    *put.method_mut() = http::Method::PUT;
    changes.push(put);
    assert!(changes.len() > 100);
    for (i, changed) in changes.iter().enumerate() {
        assert!(
            verifier("us-east-1").verify(changed, time()).is_err(),
            "change {i} verified"
        );
    }
}

#[test]
fn other_keys_regions_and_sets_are_refused() {
    let request = signed("us-east-1");
    // Signed under another secret (same key id): the signature fails.
    let other = Credentials::new("AKIDEXAMPLE", "another secret")
        .unwrap()
        .with_session_token("FwoGZXIvYXdzEXAMPLE/+=token")
        .unwrap();
    let mut forged = http::Request::get("https://mrap.accesspoint.s3-global.amazonaws.com/")
        .body(Vec::new())
        .unwrap();
    signer("us-east-1")
        .sign(&mut forged, &other, time())
        .unwrap();
    assert!(matches!(
        verifier("us-east-1").verify(&forged, time()),
        Err(VerifyError::SignatureDoesNotMatch { .. })
    ));
    // A region outside the set.
    assert!(matches!(
        verifier("us-west-2").verify(&request, time()),
        Err(VerifyError::ScopeMismatch {
            field: "region set",
            ..
        })
    ));
    // A set that is empty or malformed, signed as it is.
    for set in ["", "us-east-1,,eu-west-1", "us east"] {
        let mut request = http::Request::get("https://mrap.accesspoint.s3-global.amazonaws.com/")
            .body(Vec::new())
            .unwrap();
        signer("us-east-1")
            .sign(&mut request, &creds(), time())
            .unwrap();
        // The set replaced after signing: it is refused as malformed,
        // before the signature is looked at.
        request.headers_mut().insert(
            "x-amz-region-set",
            http::HeaderValue::from_str(set).unwrap(),
        );
        let result = verifier("us-east-1").verify(&request, time());
        assert!(
            matches!(result, Err(VerifyError::IncompleteSignature { .. })),
            "{set:?}: {result:?}"
        );
    }
}

/// A lookup that knows the public key is used instead of deriving it.
#[test]
fn the_lookup_may_give_the_public_key() {
    struct ByPublicKey(PublicKey);
    impl SecretLookup for ByPublicKey {
        fn credentials_for(&self, _: &str) -> Option<Credentials> {
            // The session token is still checked against the credentials:
            // here, a secret the request was not signed with.
            Some(
                Credentials::new("AKIDEXAMPLE", "not the signing secret")
                    .unwrap()
                    .with_session_token("FwoGZXIvYXdzEXAMPLE/+=token")
                    .unwrap(),
            )
        }
        fn public_key_for(&self, _: &str) -> Option<PublicKey> {
            Some(self.0)
        }
    }
    let request = signed("us-east-1");
    let key = EcdsaKey::derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let verifier = Verifier::new(
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
        ByPublicKey(key.public_key()),
    );
    verifier.verify(&request, time()).unwrap();
    let wrong = EcdsaKey::derive("AKIDEXAMPLE", "x").public_key();
    let verifier = Verifier::new(
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
        ByPublicKey(wrong),
    );
    assert!(verifier.verify(&request, time()).is_err());
}
