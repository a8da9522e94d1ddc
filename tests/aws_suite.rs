//! The official AWS SigV4 test suite (`aws-signing-test-suite/v4`, shipped
//! inside the published `aws-sigv4` 1.6.4 crate), run through the library.
//!
//! Every one of the 40 folders is checked, none skipped:
//! - 38 CRT-derived cases: canonical request, string to sign and signature,
//!   in header mode and in query (presign) mode: 76 signatures. The signed
//!   request files are checked too: the `Authorization` header, and the set
//!   of presigned query parameters.
//! - 2 legacy cases (`double-encode-path`, `double-url-encode`) hold only a
//!   header canonical request: that is checked.
//!
//! How `context.json` maps to settings:
//! - `credentials` -> `Credentials` (`token` -> session token).
//! - `region`, `service`, `timestamp` -> the signer's scope and time.
//! - `normalize` -> `SigningSettings::normalize_path`.
//! - `sign_body: true` -> `content_sha256_header` (an `x-amz-content-sha256`
//!   header is added and signed in header mode). The payload hash is always
//!   the SHA-256 of the body, in both modes.
//! - `omit_session_token: true` -> `SessionTokenMode::AddedAfterSigning`.
//! - `expiration_in_seconds` -> the presign expiry.
//! - URI encoding: the CRT expectations hold under single encoding (their
//!   paths are never encoded twice: `/example%20space/` stays as is); the
//!   two legacy cases exercise double encoding (`%3D` -> `%253D`), signed at
//!   2021-05-11T15:40:45Z, the date in their canonical requests.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{cases, credentials_for, signer_for, Case, Context};
use sigv4::tools::raw;
use sigv4::SignatureLocation;
use sigv4::{
    Credentials, Payload, Region, Service, Signer, SigningSettings, SigningTime, UriEncoding,
};

/// Query parameters as a sorted multiset of (key, value) strings.
fn query_params(uri: &http::Uri) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap_or((s, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    params.sort();
    params
}

struct Checker {
    failures: Vec<String>,
    signatures: usize,
}

impl Checker {
    fn eq(&mut self, case: &str, what: &str, ours: &[u8], theirs: &[u8]) {
        if ours != theirs {
            self.failures.push(format!(
                "{case}: {what} differs\n--- ours\n{}\n--- suite\n{}\n",
                String::from_utf8_lossy(ours),
                String::from_utf8_lossy(theirs)
            ));
        }
    }

    fn crt_case(&mut self, case: &Case, ctx: &Context) {
        let name = &case.name;
        let request = raw::parse_request(&case.read("request.txt").unwrap()).unwrap();
        let signer = signer_for(ctx);
        let creds = credentials_for(ctx);
        let time = SigningTime::parse(&ctx.timestamp).unwrap();
        let body = request.body().clone();
        let expires = Duration::from_secs(ctx.expiration_in_seconds);

        for (mode, expiry) in [("header", None), ("query", Some(expires))] {
            let explained = signer
                .explain(
                    &request,
                    Payload::Bytes(&body),
                    &creds,
                    time,
                    expiry.map_or(SignatureLocation::Header, SignatureLocation::presigned),
                )
                .unwrap_or_else(|e| panic!("{name}: {mode}: {e}"));
            let file = |f: &str| case.read(&format!("{mode}-{f}")).unwrap();
            self.eq(
                name,
                &format!("{mode} canonical request"),
                explained.canonical_request(),
                &file("canonical-request.txt"),
            );
            self.eq(
                name,
                &format!("{mode} string to sign"),
                explained.string_to_sign().as_bytes(),
                &file("string-to-sign.txt"),
            );
            self.eq(
                name,
                &format!("{mode} signature"),
                explained.signature().to_string().as_bytes(),
                &file("signature.txt"),
            );
            self.signatures += 1;
        }

        // The signed requests themselves.
        let expected =
            raw::parse_request(&case.read("header-signed-request.txt").unwrap()).unwrap();
        let mut signed = request.clone();
        signer.sign(&mut signed, &creds, time).unwrap();
        for header in ["authorization", "x-amz-date", "x-amz-security-token"] {
            self.eq(
                name,
                &format!("signed {header} header"),
                signed
                    .headers()
                    .get(header)
                    .map_or(&b""[..], |v| v.as_bytes()),
                expected
                    .headers()
                    .get(header)
                    .map_or(&b""[..], |v| v.as_bytes()),
            );
        }

        let expected = raw::parse_request(&case.read("query-signed-request.txt").unwrap()).unwrap();
        let mut presigned = request.clone();
        signer
            .presign(&mut presigned, &creds, time, expires)
            .unwrap();
        let ours = format!("{:?}", query_params(presigned.uri()));
        let theirs = format!("{:?}", query_params(expected.uri()));
        self.eq(
            name,
            "presigned query parameters",
            ours.as_bytes(),
            theirs.as_bytes(),
        );
    }

    fn legacy_case(&mut self, case: &Case) {
        let request = raw::parse_request(&case.read("request.txt").unwrap()).unwrap();
        let signer = Signer::new(
            Region::new("us-east-1").unwrap(),
            Service::new("service").unwrap(),
        )
        .with_settings(SigningSettings::default().with_uri_encoding(UriEncoding::Double));
        let creds =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let time = SigningTime::parse("2021-05-11T15:40:45Z").unwrap();
        let explained = signer
            .explain(
                &request,
                Payload::Bytes(request.body()),
                &creds,
                time,
                SignatureLocation::Header,
            )
            .unwrap();
        self.eq(
            &case.name,
            "header canonical request",
            explained.canonical_request(),
            &case.read("header-canonical-request.txt").unwrap(),
        );
    }
}

#[test]
fn official_suite_matches_every_case() {
    let cases = cases();
    assert_eq!(cases.len(), 40, "the v4 suite has 40 folders");
    let mut checker = Checker {
        failures: Vec::new(),
        signatures: 0,
    };
    let mut legacy = Vec::new();
    for case in &cases {
        match case.context() {
            Some(json) => checker.crt_case(case, &Context::from_json(&json)),
            None => {
                checker.legacy_case(case);
                legacy.push(case.name.clone());
            }
        }
    }
    assert!(
        checker.failures.is_empty(),
        "{} mismatches:\n{}",
        checker.failures.len(),
        checker.failures.join("\n")
    );
    assert_eq!(checker.signatures, 76, "38 cases x header and query mode");
    assert_eq!(legacy, ["double-encode-path", "double-url-encode"]);
}

/// A check of the checker: a wrong secret must make the suite fail, so the
/// runner cannot pass by comparing nothing.
#[test]
fn suite_runner_detects_a_wrong_signature() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla")
        .unwrap();
    let mut ctx = Context::from_json(&case.context().unwrap());
    ctx.secret_access_key.push('x');
    let mut checker = Checker {
        failures: Vec::new(),
        signatures: 0,
    };
    checker.crt_case(&case, &ctx);
    let failed: BTreeMap<_, _> = checker
        .failures
        .iter()
        .map(|f| (f.lines().next().unwrap().to_owned(), ()))
        .collect();
    assert!(failed.contains_key("get-vanilla: header signature differs"));
    assert!(failed.contains_key("get-vanilla: query signature differs"));
    // Canonical requests and strings to sign do not depend on the secret.
    assert!(!failed.contains_key("get-vanilla: header canonical request differs"));
}
