//! Mock AWS endpoints for the credentials tests, served on 127.0.0.1 with
//! ephemeral ports: a generic server, and an STS that checks the SigV4
//! signature of `AssumeRole` by recomputing it with this crate and answers
//! with the real XML shapes. Included with `#[path]` by the tests that use
//! it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sigv4::credentials::net::{HttpTransport, HyperTransport};
use sigv4::credentials::Env;
use sigv4::{Credentials, Payload, Region, Service, Signer, SigningTime};

/// A mock's answer to a request: status and body.
pub type Handler = dyn Fn(http::Request<Vec<u8>>) -> (u16, String) + Send + Sync;

/// A mock's answer with response headers too.
pub type HeaderHandler =
    dyn Fn(http::Request<Vec<u8>>) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync;

/// Serves `handler` on 127.0.0.1 with an ephemeral port until the runtime
/// ends; returns `http://127.0.0.1:port` and a request counter.
pub async fn serve(handler: Arc<Handler>) -> (String, Arc<AtomicUsize>) {
    serve_with_headers(Arc::new(move |req| {
        let (status, body) = handler(req);
        (status, Vec::new(), body)
    }))
    .await
}

/// [`serve`], with response headers.
pub async fn serve_with_headers(handler: Arc<HeaderHandler>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes().to_vec())
                            .unwrap_or_default();
                        let (status, headers, text) =
                            handler(http::Request::from_parts(parts, body));
                        let mut response = http::Response::builder().status(status);
                        for (name, value) in headers {
                            response = response.header(name, value);
                        }
                        let response = response
                            .body(Full::new(Cursor::new(text.into_bytes())))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

pub fn transport() -> Arc<dyn HttpTransport> {
    Arc::new(HyperTransport::new().unwrap())
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An environment with nothing but a HOME where no `.aws` exists.
pub fn empty_env(extra: &[(&str, &str)]) -> Env {
    let mut pairs: Vec<(String, String)> = vec![("HOME".into(), "/nonexistent-sigv4-home".into())];
    pairs.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    Env::from_pairs(pairs)
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sigv4-net-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ------------------------------------------------------------------- STS

pub fn form(body: &[u8]) -> HashMap<String, String> {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8()
                .unwrap()
                .into_owned();
            (k.to_owned(), v)
        })
        .collect()
}

/// Checks the SigV4 signature of a received request against `secrets`
/// (access key id to secret and token) by recomputing it with this crate.
pub fn verify_sigv4(
    req: &http::Request<Vec<u8>>,
    secrets: &HashMap<String, (String, Option<String>)>,
) -> Result<String, String> {
    let auth = req
        .headers()
        .get("authorization")
        .ok_or("no authorization header")?
        .to_str()
        .unwrap()
        .to_owned();
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not AWS4-HMAC-SHA256")?;
    let mut fields = HashMap::new();
    for part in rest.split(", ") {
        let (k, v) = part.split_once('=').ok_or("bad authorization field")?;
        fields.insert(k, v);
    }
    let credential: Vec<&str> = fields["Credential"].split('/').collect();
    let [akid, date, region, service, terminator] = credential[..] else {
        return Err("bad scope".into());
    };
    if service != "sts" || terminator != "aws4_request" {
        return Err(format!("bad scope service {service}"));
    }
    let amz_date = req.headers()["x-amz-date"].to_str().unwrap();
    if !amz_date.starts_with(date) {
        return Err("scope date differs from x-amz-date".into());
    }
    let signed: Vec<&str> = fields["SignedHeaders"].split(';').collect();
    for needed in ["content-type", "host", "x-amz-date"] {
        if !signed.contains(&needed) {
            return Err(format!("{needed} is not signed"));
        }
    }
    let (secret, token) = secrets.get(akid).ok_or("unknown access key")?;
    if token.is_some() != signed.contains(&"x-amz-security-token") {
        return Err("session token not signed".into());
    }
    let mut creds = Credentials::new(akid, secret.as_str()).unwrap();
    if let Some(t) = token {
        if req.headers()["x-amz-security-token"] != t.as_str() {
            return Err("wrong session token".into());
        }
        creds = creds.with_session_token(t.as_str()).unwrap();
    }
    // Rebuild the request from the signed headers only, and recompute.
    let host = req.headers()["host"].to_str().unwrap();
    let mut rebuilt = http::Request::builder()
        .method(req.method())
        .uri(format!("http://{host}{}", req.uri()));
    for name in &signed {
        rebuilt = rebuilt.header(*name, req.headers()[*name].clone());
    }
    let rebuilt = rebuilt.body(()).unwrap();
    let signer = Signer::new(Region::new(region).unwrap(), Service::new("sts").unwrap());
    let explained = signer
        .explain(
            &rebuilt,
            Payload::Bytes(req.body()),
            &creds,
            SigningTime::parse(amz_date).unwrap(),
            sigv4::SignatureLocation::Header,
        )
        .map_err(|e| e.to_string())?;
    if explained.signature().to_string() != fields["Signature"] {
        return Err("signature mismatch".into());
    }
    Ok(region.to_owned())
}

pub fn sts_success(action: &str, akid: &str, secret: &str, token: &str) -> String {
    format!(
        r#"<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <{action}Result>
    <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/R/s</Arn></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>{akid}</AccessKeyId>
      <SecretAccessKey>{secret}</SecretAccessKey>
      <SessionToken>{token}</SessionToken>
      <Expiration>2100-01-01T00:00:00Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </{action}Result>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</{action}Response>"#
    )
}

pub fn sts_error(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>"#
    )
}

/// An STS mock: AssumeRole must be correctly signed by a known key; each
/// role gives credentials `ASIA<role name>` that are known in turn.
pub fn sts_handler(
    known: HashMap<String, (String, Option<String>)>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
) -> Arc<Handler> {
    let known = Arc::new(std::sync::Mutex::new(known));
    Arc::new(move |req| {
        if req.method() != http::Method::POST || req.uri().path() != "/" {
            return (404, String::new());
        }
        let params = form(req.body());
        if params.get("Version").map(String::as_str) != Some("2011-06-15") {
            return (400, sts_error("InvalidAction", "bad version"));
        }
        let role_arn = params.get("RoleArn").cloned().unwrap_or_default();
        let role = role_arn.rsplit('/').next().unwrap_or_default().to_owned();
        match params.get("Action").map(String::as_str) {
            Some("AssumeRole") => {
                let secrets = known.lock().unwrap().clone();
                match verify_sigv4(&req, &secrets) {
                    Ok(region) => log
                        .lock()
                        .unwrap()
                        .push(format!("AssumeRole {role} in {region}")),
                    Err(why) => return (403, sts_error("SignatureDoesNotMatch", &why)),
                }
                if role == "Forbidden" {
                    return (
                        403,
                        sts_error(
                            "AccessDenied",
                            "User is not authorized to perform: sts:AssumeRole",
                        ),
                    );
                }
                let akid = format!("ASIA{}", role.to_uppercase());
                let (secret, token) = (format!("secret-{role}"), format!("token-{role}"));
                known
                    .lock()
                    .unwrap()
                    .insert(akid.clone(), (secret.clone(), Some(token.clone())));
                (200, sts_success("AssumeRole", &akid, &secret, &token))
            }
            Some("AssumeRoleWithWebIdentity") => {
                if req.headers().contains_key("authorization") {
                    return (
                        400,
                        sts_error("InvalidRequest", "web identity calls are unsigned"),
                    );
                }
                if params.get("WebIdentityToken").map(String::as_str) != Some("oidc-token") {
                    return (400, sts_error("InvalidIdentityToken", "bad token"));
                }
                log.lock().unwrap().push(format!(
                    "AssumeRoleWithWebIdentity {role} as {}",
                    params["RoleSessionName"]
                ));
                (
                    200,
                    sts_success(
                        "AssumeRoleWithWebIdentity",
                        "ASIAWEB",
                        "websecret",
                        "webtoken",
                    ),
                )
            }
            _ => (400, sts_error("InvalidAction", "unknown action")),
        }
    })
}

pub fn base_keys() -> HashMap<String, (String, Option<String>)> {
    HashMap::from([(
        "AKIDBASE".to_owned(),
        ("basesecret".to_owned(), Some("basetoken".to_owned())),
    )])
}
