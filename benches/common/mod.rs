//! The fixed workloads W1..W5, defined once for every bench in `benches/`
//! and for `tests/alloc_budget.rs` (each includes this file with
//! `#[path = ...] mod common;`).
//!
//! Every workload is an `http::Request<Vec<u8>>` for a Neptune cluster,
//! signed at 2015-08-30T12:36:00Z with `AKIDEXAMPLE` and a fixed 300-byte
//! session token, for `us-east-1` / `neptune-db`:
//!
//! | id | request                                                       | signing |
//! |----|---------------------------------------------------------------|---------|
//! | W1 | `GET /sparql?query=...` with host, accept, user-agent, no body | header  |
//! | W2 | `POST /sparql`, form content type, 1024-byte body (hashed)     | header  |
//! | W3 | `GET /gremlin` WebSocket upgrade (connection, upgrade, sec-*) | header  |
//! | W4 | W1, presigned for 900 s                                       | query   |
//! | W5 | `GET /status` with 20 `x-amz-meta-*` headers, 10 query params  | header  |
//!
//! Every request carries an explicit `host` header, so neither signer has to
//! derive one from the URI.
//!
//! The same requests are signed by `sigv4` and by `aws-sigv4` 1.6.4. To make
//! both sign the same bytes, `aws-sigv4` is given this crate's default list
//! of excluded headers (it otherwise signs `connection` and `upgrade`);
//! [`check_same_signatures`] asserts that both produce the same signature
//! for every workload, so the benches compare equal work.
#![allow(dead_code)]

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    self as aws, SignableBody, SignableRequest, SignatureLocation, SigningSettings as AwsSettings,
};
use aws_smithy_runtime_api::client::identity::Identity;
use hmac::{Hmac, KeyInit, Mac};
use http::Request;
use sha2::{Digest, Sha256};
use sigv4::{
    CredentialScope, Credentials, Explanation, Payload, Region, RequestView, Service, Signature,
    Signer, SigningKey, SigningTime,
};

/// The signing time, as `x-amz-date` spells it.
pub const AMZ_DATE: &str = "20150830T123600Z";
/// The signing time in Unix seconds (2015-08-30T12:36:00Z).
pub const UNIX_SECONDS: u64 = 1_440_938_160;
/// The access key id of the AWS documentation examples.
pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
/// The secret access key of the AWS documentation examples.
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// A fixed 300-character session token (visible ASCII, with `/` and `+` so
/// presigning has to percent-encode it).
pub const SESSION_TOKEN: &str = concat!(
    "IQoJb3JpZ2luX2VjEvh7zTXOKwt0mBm/PJ6r1a8gVNB3F0yUv09qtc1TS1xJ9tgIyz36+fmM",
    "CDwL1SEHZ19ALlwkVgbOXyyw4CqqhmAj8x/T92SwN8OabhbOjIysLszVi2riKqIVvjTccmLc",
    "ag2FLWSPbUCXgjk3Mdl5LzWLnHAYTAwd935u/RqsPnN4sAbShU517u/fIRRNgh8M/BSgK8EI",
    "o/MwXikpFP+/NQHGPHJEibaK6DVekVaL7au5+W82S11fvHKqEoNAi4vkzUuyCEtt4LEs9soQ",
    "N6QJUC7ESrW4",
);
/// The region signed for.
pub const REGION: &str = "us-east-1";
/// The service signed for.
pub const SERVICE: &str = "neptune-db";
/// The Neptune endpoint, with its port.
pub const HOST: &str = "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182";
/// How long the presigned W4 URL stays valid.
pub const PRESIGN_EXPIRY: Duration = Duration::from_secs(900);

/// Requests cloned per criterion batch (`BatchSize::NumIterations`): few
/// enough that the signed requests of a batch, freed together, never reach
/// glibc's heap trim threshold, so a batch is not timing page faults (see
/// `benches/batch_faults.rs`, which measures them per batch size).
pub const BATCH: u64 = 8;
/// The W1 query (already percent-encoded, as it appears in the URI).
pub const W1_QUERY: &str =
    "query=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%2010";

/// One workload: a request and how to sign it.
#[derive(Clone, Debug)]
pub struct Workload {
    /// `W1` .. `W5`.
    pub id: &'static str,
    /// A short description for tables.
    pub label: &'static str,
    /// The unsigned request; clone it for every signature.
    pub request: Request<Vec<u8>>,
    /// `Some(expiry)` for query signing (presigned URL), `None` for the
    /// `Authorization` header.
    pub presign: Option<Duration>,
}

fn url(path_and_query: &str) -> String {
    format!("https://{HOST}{path_and_query}")
}

/// W1: a SPARQL `GET`, header signing, empty body.
pub fn w1() -> Workload {
    let request = Request::get(url(&format!("/sparql?{W1_QUERY}")))
        .header("host", HOST)
        .header("accept", "application/sparql-results+json")
        .header("user-agent", "sigv4-bench/0.1 (neptune; rust)")
        .body(Vec::new())
        .expect("W1 is a valid request");
    Workload {
        id: "W1",
        label: "GET /sparql, header signing",
        request,
        presign: None,
    }
}

/// The 1024-byte form body of W2.
pub fn w2_body() -> Vec<u8> {
    let mut body = b"query=SELECT%20%3Fs%20%3Fp%20%3Fo%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%2010&pad="
        .to_vec();
    let mut i = 0u8;
    while body.len() < 1024 {
        body.push(b'a' + i % 26);
        i = i.wrapping_add(1);
    }
    body
}

/// W2: a SPARQL `POST` with a 1024-byte form body, header signing.
pub fn w2() -> Workload {
    let request = Request::post(url("/sparql"))
        .header("host", HOST)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(w2_body())
        .expect("W2 is a valid request");
    Workload {
        id: "W2",
        label: "POST /sparql 1 KiB body, header signing",
        request,
        presign: None,
    }
}

/// W3: the Gremlin WebSocket upgrade, header signing.
pub fn w3() -> Workload {
    let request = Request::get(format!("wss://{HOST}/gremlin"))
        .header("host", HOST)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(Vec::new())
        .expect("W3 is a valid request");
    Workload {
        id: "W3",
        label: "GET /gremlin WebSocket upgrade, header signing",
        request,
        presign: None,
    }
}

/// W4: W1 presigned for 900 seconds (query signing).
pub fn w4() -> Workload {
    Workload {
        id: "W4",
        label: "W1 presigned (query signing, 900 s)",
        request: w1().request,
        presign: Some(PRESIGN_EXPIRY),
    }
}

/// W5: 20 custom `x-amz-meta-*` headers and 10 query parameters, given out
/// of order (so both signers really sort), header signing.
pub fn w5() -> Workload {
    let mut query = String::new();
    for i in (0..10).rev() {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("param{i:02}=value%20{i}%2Fx"));
    }
    let mut builder = Request::get(url(&format!("/status?{query}"))).header("host", HOST);
    for i in 0..20 {
        // Interleaved order: 19, 0, 18, 1, ...
        let n = if i % 2 == 0 { 19 - i / 2 } else { i / 2 };
        builder = builder.header(
            format!("x-amz-meta-field{n:02}"),
            format!("value number {n}  with  spaces"),
        );
    }
    let request = builder.body(Vec::new()).expect("W5 is a valid request");
    Workload {
        id: "W5",
        label: "GET 20 x-amz-meta-* headers + 10 query params, header signing",
        request,
        presign: None,
    }
}

/// All five workloads, in order.
pub fn all() -> Vec<Workload> {
    vec![w1(), w2(), w3(), w4(), w5()]
}

/// The signing time for `sigv4`.
pub fn signing_time() -> SigningTime {
    SigningTime::parse(AMZ_DATE).expect("valid signing time")
}

/// The signing time for `aws-sigv4`.
pub fn system_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(UNIX_SECONDS)
}

/// `sigv4` credentials with the session token.
pub fn credentials() -> Credentials {
    Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        .and_then(|c| c.with_session_token(SESSION_TOKEN))
        .expect("valid credentials")
}

/// The `sigv4` signer (default settings: double URI encoding, path
/// normalization, session token signed).
pub fn signer() -> Signer {
    Signer::neptune(REGION).expect("valid region")
}

/// Signs `request` with `sigv4` as `workload` says (header or query).
#[inline]
pub fn sign_ours(
    signer: &Signer,
    credentials: &Credentials,
    time: SigningTime,
    presign: Option<Duration>,
    request: &mut Request<Vec<u8>>,
) -> Signature {
    match presign {
        None => signer.sign(request, credentials, time),
        Some(expiry) => signer.presign(request, credentials, time, expiry),
    }
    .expect("sigv4 signs the workload")
}

/// What `sigv4` would sign for a workload: its canonical request and string
/// to sign (for the floor and the stage benches).
pub fn explain(workload: &Workload) -> Explanation {
    signer()
        .explain(
            &workload.request,
            Payload::Bytes(workload.request.body()),
            &credentials(),
            signing_time(),
            workload.presign.map_or(
                sigv4::SignatureLocation::Header,
                sigv4::SignatureLocation::presigned,
            ),
        )
        .expect("sigv4 explains the workload")
}

/// The `aws-sigv4` identity with the session token.
pub fn aws_identity() -> Identity {
    aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        Some(SESSION_TOKEN.to_owned()),
        None,
        "bench",
    )
    .into()
}

/// `aws-sigv4` settings matching `sigv4`'s defaults: header or query
/// signing, and the same excluded headers.
pub fn aws_settings(presign: Option<Duration>) -> AwsSettings {
    let mut settings = AwsSettings::default();
    settings.excluded_headers = Some(
        sigv4::ExcludedHeaders::default_names()
            .iter()
            .map(|&name| Cow::Borrowed(name))
            .collect(),
    );
    if let Some(expiry) = presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expiry);
    }
    settings
}

/// `aws-sigv4` signing parameters for a workload (built once, outside the
/// timed loop, as an SDK would per operation).
pub fn aws_params(identity: &Identity, presign: Option<Duration>) -> aws::SigningParams<'_> {
    aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(REGION)
        .name(SERVICE)
        .time(system_time())
        .settings(aws_settings(presign))
        .build()
        .expect("valid aws-sigv4 params")
        .into()
}

/// Signs `request` with `aws-sigv4` the way an `http::Request` user does:
/// a `SignableRequest` over the request's parts (the URI has to be turned
/// into a string), `sign`, then `apply_to_request_http1x`. Returns the
/// signature (hex).
#[inline]
pub fn sign_aws(params: &aws::SigningParams<'_>, request: &mut Request<Vec<u8>>) -> String {
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        request.headers().iter().map(|(name, value)| {
            (
                name.as_str(),
                value.to_str().expect("workload headers are ASCII"),
            )
        }),
        SignableBody::Bytes(request.body()),
    )
    .expect("aws-sigv4 accepts the workload");
    let (instructions, signature) = aws::sign(signable, params)
        .expect("aws-sigv4 signs the workload")
        .into_parts();
    instructions.apply_to_request_http1x(request);
    signature
}

/// Asserts that `sigv4` and `aws-sigv4` produce the same signature for
/// every workload (so the benches compare the same work), and that the
/// shared constants agree with each other.
pub fn check_same_signatures() {
    assert_eq!(SESSION_TOKEN.len(), 300);
    assert_eq!(
        signing_time().unix_seconds(),
        i64::try_from(UNIX_SECONDS).expect("fits")
    );
    assert_eq!(w2_body().len(), 1024);
    let signer = signer();
    let creds = credentials();
    let identity = aws_identity();
    for w in all() {
        let mut ours = w.request.clone();
        let ours = sign_ours(&signer, &creds, signing_time(), w.presign, &mut ours);
        let params = aws_params(&identity, w.presign);
        let mut theirs = w.request.clone();
        let theirs = sign_aws(&params, &mut theirs);
        assert_eq!(
            ours.to_string(),
            theirs,
            "{}: sigv4 and aws-sigv4 disagree",
            w.id
        );
    }
}

/// The header list `sigv4` signs for a header-signed workload, in the
/// neutral core shape (request headers minus the excluded ones, then
/// `x-amz-date` and `x-amz-security-token`), for the stage benches.
pub fn core_headers(request: &Request<Vec<u8>>) -> Vec<(&str, &[u8])> {
    let excluded = sigv4::ExcludedHeaders::default();
    let mut headers: Vec<(&str, &[u8])> = request
        .headers()
        .iter()
        .filter(|(name, _)| !excluded.contains(name.as_str()))
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    headers.push(("x-amz-date", AMZ_DATE.as_bytes()));
    headers.push(("x-amz-security-token", SESSION_TOKEN.as_bytes()));
    headers
}

/// The floor's inputs for one workload, prepared once.
pub struct Floor {
    body: Vec<u8>,
    canonical_request: Vec<u8>,
    string_to_sign: Vec<u8>,
    /// HMAC-SHA256 with the derived signing key already absorbed.
    keyed: Hmac<Sha256>,
}

impl Floor {
    pub fn new(workload: &Workload) -> Self {
        let explained = explain(workload);
        let time = signing_time();
        let region = Region::new(REGION).expect("region");
        let service = Service::new(SERVICE).expect("service");
        let key = SigningKey::derive(
            SECRET_ACCESS_KEY,
            &CredentialScope::new(&time, &region, &service),
        );
        let keyed = Hmac::<Sha256>::new_from_slice(&*key.to_bytes()).expect("any key length");
        let floor = Self {
            body: workload.request.body().clone(),
            canonical_request: explained.canonical_request().to_vec(),
            string_to_sign: explained.string_to_sign().as_bytes().to_vec(),
            keyed,
        };
        // The floor computes exactly the signature it stands for.
        let (_, creq_hash, signature) = floor.run();
        assert!(explained
            .string_to_sign()
            .ends_with(&hex::encode(creq_hash)));
        assert_eq!(hex::encode(signature), explained.signature().to_string());
        floor
    }

    #[inline]
    pub fn run(&self) -> ([u8; 32], [u8; 32], [u8; 32]) {
        let body = Sha256::digest(black_box(&self.body));
        let creq = Sha256::digest(black_box(&self.canonical_request));
        let mut mac = self.keyed.clone();
        mac.update(black_box(&self.string_to_sign));
        (body.into(), creq.into(), mac.finalize().into_bytes().into())
    }
}

/// The header list a `RequestView` of `request` borrows.
pub fn view_headers(request: &Request<Vec<u8>>) -> Vec<(&str, &[u8])> {
    request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect()
}

/// `request` seen through a `RequestView`, as an adapter of another request
/// type would build one.
pub fn view<'a>(
    request: &'a Request<Vec<u8>>,
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

/// Signs `view` as `presign` says and returns the signature: all the work
/// of signing, applied to no request.
#[inline]
pub fn sign_view(
    signer: &Signer,
    credentials: &Credentials,
    time: SigningTime,
    presign: Option<Duration>,
    view: &RequestView<'_>,
    body: &[u8],
) -> Signature {
    match presign {
        None => signer
            .sign_view(view, Payload::Bytes(body), credentials, time)
            .map(|i| i.signature()),
        Some(expires) => signer
            .presign_view(view, Payload::Bytes(body), credentials, time, expires)
            .map(|i| i.signature()),
    }
    .expect("sigv4 signs the workload view")
}

/// Keeps the optimiser from discarding a signature.
#[inline]
pub fn consume<T>(value: T) {
    black_box(value);
}
