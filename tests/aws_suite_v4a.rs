//! The official SigV4a suite (`aws-signing-test-suite/v4a`, 38 folders in
//! aws-sigv4 1.6.4), none skipped, in header and query modes. For every
//! case: the key derived from the credentials has the public key of
//! `public-key.json`; the canonical request and string to sign equal the
//! suite's files; our signature verifies under the suite's public key;
//! and the suite's own signatures verify under our checks (ECDSA
//! signatures are randomized in the suite, so they are compared by
//! verifying, not by bytes).
//!
//! `context.json` maps to settings as in `tests/aws_suite.rs`
//! (`common::settings_for`: single URI encoding, `normalize`,
//! `sign_body` as `x-amz-content-sha256`, `omit_session_token` as the
//! token added after signing); its `region` is the region set.

mod common;

use std::time::Duration;

use common::{cases_v4a, credentials_for, settings_for, Context};
use sha2::{Digest, Sha256};
use sigv4::tools::raw;
use sigv4::verify::{Verifier, VerifyError};
use sigv4::{
    EcdsaKey, EcdsaSignature, Payload, PublicKey, Region, RegionSet, Service, SigV4aSigner,
    SignatureLocation, SigningTime, StringToSignV4a,
};

fn public_key(case: &common::Case) -> ([u8; 32], [u8; 32]) {
    let json: serde_json::Value =
        serde_json::from_slice(&case.read("public-key.json").unwrap()).unwrap();
    let coordinate = |name: &str| {
        let mut out = [0u8; 32];
        hex::decode_to_slice(json[name].as_str().unwrap(), &mut out).unwrap();
        out
    };
    (coordinate("X"), coordinate("Y"))
}

#[test]
fn the_official_v4a_suite() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let cases = cases_v4a();
    assert_eq!(cases.len(), 38, "the suite has 38 folders");
    for case in &cases {
        let name = &case.name;
        let ctx = Context::from_json(&case.context().unwrap());
        let creds = credentials_for(&ctx);
        let (x, y) = public_key(case);
        let key = EcdsaKey::derive(&ctx.access_key_id, &ctx.secret_access_key);
        if key.public_key_xy() != (x, y) {
            failures.push(format!("{name}: the derived public key differs"));
        }
        let suite_key = PublicKey::from_xy(&x, &y).unwrap();
        let service = Service::new(&ctx.service).unwrap();
        let signer = SigV4aSigner::new(service.clone(), RegionSet::new(&ctx.region).unwrap())
            .with_settings(settings_for(&ctx));
        let request = raw::parse_request(&case.read("request.txt").unwrap()).unwrap();
        let time = SigningTime::parse(&ctx.timestamp).unwrap();
        let body = request.body().clone();
        let expires = Duration::from_secs(ctx.expiration_in_seconds);
        for (mode, location) in [
            ("header", SignatureLocation::Header),
            ("query", SignatureLocation::presigned(expires)),
        ] {
            let file = |f: &str| case.text(&format!("{mode}-{f}")).unwrap();
            let explained = signer
                .explain(&request, Payload::Bytes(&body), &creds, time, location)
                .unwrap_or_else(|e| panic!("{name}: {mode}: {e}"));
            if explained.canonical_request() != file("canonical-request.txt").as_bytes() {
                failures.push(format!(
                    "{name}: {mode} canonical request differs\n--- ours\n{}\n--- suite\n{}",
                    String::from_utf8_lossy(explained.canonical_request()),
                    file("canonical-request.txt")
                ));
            }
            if explained.string_to_sign() != file("string-to-sign.txt") {
                failures.push(format!(
                    "{name}: {mode} string to sign differs\n--- ours\n{}\n--- suite\n{}",
                    explained.string_to_sign(),
                    file("string-to-sign.txt")
                ));
            }
            let hash: [u8; 32] = Sha256::digest(explained.canonical_request()).into();
            let sts = StringToSignV4a::new(&time, &service, &hash);
            if !suite_key.verifies(&sts, &explained.signature()) {
                failures.push(format!("{name}: {mode}: our signature does not verify"));
            }
            let theirs = EcdsaSignature::from_hex(file("signature.txt").trim()).unwrap();
            if !suite_key.verifies(&sts, &theirs) {
                failures.push(format!(
                    "{name}: {mode}: the suite's signature does not verify"
                ));
            }
            checked += 1;

            // The suite's own signed request passes our verifier, and so
            // does ours; a changed byte of the suite's signature does not.
            let known = creds.clone();
            let verifier = Verifier::new(
                Region::new(&ctx.region).unwrap(),
                service.clone(),
                move |_: &str| Some(known.clone()),
            )
            .with_settings(settings_for(&ctx));
            let theirs =
                raw::parse_request(&case.read(&format!("{mode}-signed-request.txt")).unwrap())
                    .unwrap();
            let result = verifier.verify(&theirs, time);
            match &result {
                Ok(verified) => {
                    assert_eq!(verified.algorithm, "AWS4-ECDSA-P256-SHA256");
                    assert_eq!(verified.region_set.as_deref(), Some(ctx.region.as_str()));
                }
                Err(e) => failures.push(format!("{name}: {mode}: the suite's signed request: {e}")),
            }
            let mut ours = request.clone();
            match location {
                SignatureLocation::Header => signer.sign(&mut ours, &creds, time).map(|_| ()),
                SignatureLocation::Query { .. } => {
                    signer.presign(&mut ours, &creds, time, expires).map(|_| ())
                }
            }
            .unwrap();
            if let Err(e) = verifier.verify(&ours, time) {
                failures.push(format!("{name}: {mode}: our signed request: {e}"));
            }
            // Another region is refused.
            let known = creds.clone();
            let elsewhere = Verifier::new(
                Region::new("eu-central-1").unwrap(),
                service.clone(),
                move |_: &str| Some(known.clone()),
            )
            .with_settings(settings_for(&ctx));
            if !matches!(
                elsewhere.verify(&ours, time),
                Err(VerifyError::ScopeMismatch {
                    field: "region set",
                    ..
                })
            ) {
                failures.push(format!("{name}: {mode}: accepted outside its region set"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 76);
}
