//! The Neptune workflows with IAM authentication, as a small client: build
//! a request, sign it (or presign it), send it. One copy, used by
//! `examples/neptune_iam.rs` and by `tests/neptune_e2e.rs` through
//! `#[path]`, so the tests send exactly what the example sends.
//!
//! HTTP goes through the crate's own `HyperTransport` (hyper + rustls,
//! feature `credentials-hyper`); Gremlin through tokio-tungstenite, over
//! tokio-rustls for `https://` endpoints.

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{header, HeaderValue, Request, Response};
use sigv4::credentials::net::{HttpTransport, HyperTransport};
use sigv4::{Credentials, Signer, SigningTime};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Errors are shown to a person, never matched on.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// A SPARQL query every Neptune cluster can answer.
pub const SPARQL_QUERY: &str = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10";
/// An openCypher query every Neptune cluster can answer.
pub const CYPHER_QUERY: &str = "MATCH (n) RETURN n LIMIT 1";
/// A Gremlin script every Neptune cluster can answer.
pub const GREMLIN_QUERY: &str = "g.V().limit(1).count()";

/// A Neptune endpoint, its signer and the credentials to sign with.
pub struct NeptuneClient {
    /// `https://host:8182` or `http://127.0.0.1:PORT`, without a trailing `/`.
    pub endpoint: String,
    /// Signs for `neptune-db` in the endpoint's region.
    pub signer: Signer,
    /// The credentials requests are signed with.
    pub credentials: Credentials,
    transport: HyperTransport,
}

impl NeptuneClient {
    /// A client for `endpoint` (scheme, host and port) in `region`.
    ///
    /// # Errors
    ///
    /// An invalid region or endpoint, or no usable TLS root certificates.
    pub fn new(endpoint: &str, region: &str, credentials: Credentials) -> Result<Self, BoxError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let uri: http::Uri = endpoint.parse()?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(format!("NEPTUNE_ENDPOINT {endpoint:?} is not http(s)://host:port").into());
        }
        Ok(Self {
            endpoint,
            signer: Signer::neptune(region)?,
            credentials,
            transport: HyperTransport::with_timeouts(
                Duration::from_secs(5),
                Duration::from_secs(30),
            )?,
        })
    }

    /// `GET /sparql?query=…`, unsigned.
    pub fn sparql_get(&self, query: &str) -> Result<Request<Vec<u8>>, BoxError> {
        Ok(Request::get(format!(
            "{}/sparql?query={}",
            self.endpoint,
            form_encode(query)
        ))
        .header(header::ACCEPT, "application/sparql-results+json")
        .body(Vec::new())?)
    }

    /// `POST /sparql` with the query in a form body, unsigned.
    pub fn sparql_post(&self, query: &str) -> Result<Request<Vec<u8>>, BoxError> {
        Ok(Request::post(format!("{}/sparql", self.endpoint))
            .header(header::ACCEPT, "application/sparql-results+json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("query={}", form_encode(query)).into_bytes())?)
    }

    /// `POST /openCypher` with the query in a form body, unsigned.
    pub fn open_cypher(&self, query: &str) -> Result<Request<Vec<u8>>, BoxError> {
        Ok(Request::post(format!("{}/openCypher", self.endpoint))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("query={}", form_encode(query)).into_bytes())?)
    }

    /// `GET /status`, unsigned.
    pub fn status(&self) -> Result<Request<Vec<u8>>, BoxError> {
        Ok(Request::get(format!("{}/status", self.endpoint)).body(Vec::new())?)
    }

    /// Signs `request` with the `Authorization` header, as of now.
    pub fn sign(&self, request: &mut Request<Vec<u8>>) -> Result<(), BoxError> {
        self.sign_at(request, SigningTime::now())
    }

    /// Signs `request` with the `Authorization` header, as of `time`.
    pub fn sign_at(
        &self,
        request: &mut Request<Vec<u8>>,
        time: SigningTime,
    ) -> Result<(), BoxError> {
        self.signer.sign(request, &self.credentials, time)?;
        Ok(())
    }

    /// Presigns `request` (its URI gets the `X-Amz-*` parameters), as of
    /// `time`, valid for `expires_in`. The URI is the presigned URL.
    pub fn presign_at(
        &self,
        request: &mut Request<Vec<u8>>,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<(), BoxError> {
        self.signer
            .presign(request, &self.credentials, time, expires_in)?;
        Ok(())
    }

    /// Sends `request` as it is; any status is a response, not an error.
    pub async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, BoxError> {
        Ok(self.transport.send(request).await?)
    }

    /// Fetches a presigned URL with a plain `GET` and no other headers.
    pub async fn fetch(&self, url: &str) -> Result<Response<Vec<u8>>, BoxError> {
        self.send(Request::get(url).body(Vec::new())?).await
    }

    /// The WebSocket handshake for `/gremlin`, signed as of `time`: a `GET`
    /// whose `host` includes the port (`:8182` on Neptune), with the
    /// upgrade headers added after signing (they need not be signed).
    pub fn gremlin_handshake(&self, time: SigningTime) -> Result<Request<()>, BoxError> {
        let mut signed = Request::get(format!("{}/gremlin", self.endpoint)).body(Vec::new())?;
        self.sign_at(&mut signed, time)?;
        let ws_uri = if let Some(rest) = self.endpoint.strip_prefix("https://") {
            format!("wss://{rest}/gremlin")
        } else {
            format!(
                "ws://{}/gremlin",
                self.endpoint.trim_start_matches("http://")
            )
        };
        let (parts, _) = signed.into_parts();
        let mut request = Request::get(ws_uri).body(())?;
        *request.headers_mut() = parts.headers;
        let headers = request.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_str(&generate_key())?,
        );
        Ok(request)
    }

    /// Connects with `handshake` (see [`gremlin_handshake`](Self::gremlin_handshake)),
    /// sends one Gremlin request frame for `script` and returns the first
    /// reply frame as text.
    pub async fn gremlin(&self, handshake: Request<()>, script: &str) -> Result<String, BoxError> {
        let uri: http::Uri = self.endpoint.parse()?;
        let host = uri.host().ok_or("the endpoint has no host")?.to_owned();
        let tls = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        if tls {
            let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config()?));
            let name = rustls::pki_types::ServerName::try_from(host)?;
            let stream = connector.connect(name, tcp).await?;
            let (ws, _) = tokio_tungstenite::client_async(handshake, stream)
                .await
                .map_err(refused)?;
            exchange(ws, script).await
        } else {
            let (ws, _) = tokio_tungstenite::client_async(handshake, tcp)
                .await
                .map_err(refused)?;
            exchange(ws, script).await
        }
    }
}

/// Why the server refused the WebSocket upgrade, with its error body.
#[derive(Debug)]
pub struct UpgradeRefused {
    /// The HTTP status instead of `101 Switching Protocols`.
    pub status: http::StatusCode,
    /// The response body, as far as it was read.
    pub body: String,
}

impl std::fmt::Display for UpgradeRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the WebSocket upgrade was refused: {} {}",
            self.status, self.body
        )
    }
}

impl Error for UpgradeRefused {}

fn refused(e: tokio_tungstenite::tungstenite::Error) -> BoxError {
    match e {
        tokio_tungstenite::tungstenite::Error::Http(response) => Box::new(UpgradeRefused {
            status: response.status(),
            body: response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        }),
        other => Box::new(other),
    }
}

/// Sends one request frame, waits for the first reply, closes.
async fn exchange<S>(mut ws: WebSocketStream<S>, script: &str) -> Result<String, BoxError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    ws.send(Message::binary(gremlin_frame(script))).await?;
    let reply = loop {
        match ws
            .next()
            .await
            .ok_or("the server closed the connection")??
        {
            Message::Text(text) => break text.as_str().to_owned(),
            Message::Binary(bytes) => break String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => return Err("the server closed the connection".into()),
            _ => {}
        }
    };
    let _ = ws.close(None).await;
    Ok(reply)
}

/// A Gremlin Server request frame (`sigv4::neptune::gremlin_eval_frame`).
pub fn gremlin_frame(script: &str) -> Vec<u8> {
    sigv4::neptune::gremlin_eval_frame(script)
}

/// `url` with the value of `X-Amz-Security-Token` replaced, for showing:
/// the session token is a credential.
pub fn redact_token(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("X-Amz-Security-Token", _)) => "X-Amz-Security-Token=<redacted>".to_owned(),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// rustls with the `ring` provider and the system's root certificates.
fn tls_config() -> Result<rustls::ClientConfig, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err("no system root certificates found".into());
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// Form encoding for a query parameter or form field: unreserved bytes
/// as they are, everything else `%XX` (so the URI and the body agree).
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
