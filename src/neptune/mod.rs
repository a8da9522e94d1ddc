//! Amazon Neptune with IAM authentication (feature `neptune`): an
//! [`Endpoint`], signed request builders for its HTTP APIs, the Gremlin
//! WebSocket handshake, and the Bolt auth token, each reporting when what
//! it signed stops being accepted ([`Expiry`]).
//!
//! The HTTP APIs, as Neptune documents them (all signed for `neptune-db`,
//! Neptune Analytics for `neptune-graph`):
//!
//! | builder | method and path | body |
//! | --- | --- | --- |
//! | [`Endpoint::sparql_query`] | `POST /sparql` | form: `query=...`, `Accept: application/sparql-results+json` |
//! | [`Endpoint::sparql_query_get`] | `GET /sparql?query=...` | none |
//! | [`Endpoint::sparql_update`] | `POST /sparql` | form: `update=...` |
//! | [`Endpoint::open_cypher`] | `POST /openCypher` | form: `query=...`, optionally `parameters=<JSON>` |
//! | [`Endpoint::gremlin`] | `POST /gremlin` | JSON: `{"gremlin": "..."}` |
//! | [`Endpoint::status`] | `GET /status` | none |
//! | [`Endpoint::loader_status`] | `GET /loader` or `GET /loader/{loadId}` | none |
//! | [`Endpoint::start_load`] | `POST /loader` | JSON: the load request |
//! | [`Endpoint::stream`] | `GET /sparql/stream` or `GET /propertygraph/stream`, with `limit`, `commitNum`, `opNum`, `iteratorType` | none |
//! | [`Endpoint::analytics_query`] | `POST /queries` (Neptune Analytics) | JSON: `{"query": "...", "language": "OPEN_CYPHER"}`, optionally `"parameters"` |
//!
//! Each builder returns an unsigned `http::Request`; [`Endpoint::sign`]
//! signs it, for the host to sign when it differs from the one connected
//! to ([`Endpoint::with_sign_host`]: a load balancer, a proxy, an SSH
//! tunnel), and says when the signature expires.
//!
//! Form bodies carry their content type (`application/x-www-form-urlencoded`):
//! Neptune refuses a SPARQL form POST without it.

use std::fmt;
use std::time::Duration;

use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, HOST};
use http::{Method, Request};

use crate::core::credentials::Credentials;
use crate::core::error::{InvalidInput, SigningError};
use crate::core::scope::{Region, Service};
use crate::core::time::SigningTime;
use crate::sign::Signer;

mod bolt;
mod connector;

pub use bolt::{verify_bolt_token, BoltToken, BOLT_USERNAME};
pub use connector::{Connector, ConnectorError};

/// Neptune's port.
pub const DEFAULT_PORT: u16 = 8182;

/// How long Neptune accepts a signature after its time: five minutes.
pub const SIGNATURE_LIFETIME: Duration = Duration::from_secs(300);

/// The form content type of SPARQL and openCypher POSTs.
const FORM: &str = "application/x-www-form-urlencoded";

/// Which Neptune.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeptuneService {
    /// Neptune Database, signed for `neptune-db`.
    Database,
    /// Neptune Analytics, signed for `neptune-graph`.
    Analytics,
}

impl NeptuneService {
    /// The service name signed for.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Database => "neptune-db",
            Self::Analytics => "neptune-graph",
        }
    }
}

/// When what was signed stops being accepted: the signature's five
/// minutes, or the credentials' expiry if that comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    /// When the signature stops being accepted (its time plus five minutes).
    pub signature: SigningTime,
    /// When the credentials expire, as Unix seconds, for temporary ones.
    pub credentials: Option<i64>,
}

impl Expiry {
    fn new(time: &SigningTime, credentials: &Credentials) -> Self {
        let lifetime = i64::try_from(SIGNATURE_LIFETIME.as_secs()).unwrap_or(300);
        let at = time.unix_seconds().saturating_add(lifetime);
        Self {
            signature: SigningTime::from_unix(at).unwrap_or(*time),
            credentials: credentials.expiry_unix(),
        }
    }

    /// The earlier of the two, as Unix seconds: reconnect or re-sign before.
    #[must_use]
    pub fn earliest(&self) -> i64 {
        let signature = self.signature.unix_seconds();
        self.credentials.map_or(signature, |c| c.min(signature))
    }
}

/// A Neptune endpoint: where to connect, what to sign for.
///
/// # Examples
///
/// ```
/// use sigv4::neptune::Endpoint;
/// use sigv4::{Credentials, SigningTime};
///
/// let endpoint = Endpoint::database("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com", "us-east-1")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let mut request = endpoint.sparql_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")?;
/// let expiry = endpoint.sign(&mut request, &creds, SigningTime::parse("20150830T123600Z")?)?;
/// assert_eq!(request.uri(), "https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182/sparql");
/// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
/// assert_eq!(expiry.signature.amz_date(), "20150830T124100Z");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
    service: NeptuneService,
    sign_host: Option<String>,
    signer: Signer,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base())
            .field("service", &self.service)
            .field("sign_host", &self.sign_host)
            .field("region", self.signer.region())
            .finish()
    }
}

impl Endpoint {
    /// Neptune Database at `host` (a cluster or instance endpoint), port
    /// 8182, over HTTPS, in `region`.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Region`] or [`InvalidInput::Endpoint`].
    pub fn database(host: &str, region: &str) -> Result<Self, InvalidInput> {
        Self::new(true, host, DEFAULT_PORT, region, NeptuneService::Database)
    }

    /// Neptune Analytics at `host` (`g-xxxx.region.neptune-graph.amazonaws.com`),
    /// port 443, over HTTPS, in `region`.
    ///
    /// # Errors
    ///
    /// As for [`database`](Self::database).
    pub fn analytics(host: &str, region: &str) -> Result<Self, InvalidInput> {
        Self::new(true, host, 443, region, NeptuneService::Analytics)
    }

    /// An endpoint from a URL, `https://host:port` or `http://host:port`
    /// (a local server), for `service` in `region`.
    ///
    /// # Errors
    ///
    /// As for [`database`](Self::database); a URL that is not http(s)
    /// with a host is [`InvalidInput::Endpoint`].
    pub fn from_url(
        url: &str,
        region: &str,
        service: NeptuneService,
    ) -> Result<Self, InvalidInput> {
        let bad = || InvalidInput::Endpoint {
            value: url.chars().take(128).collect(),
        };
        let uri: http::Uri = url.parse().map_err(|_| bad())?;
        let tls = match uri.scheme_str() {
            Some("https" | "wss") => true,
            Some("http" | "ws") => false,
            _ => return Err(bad()),
        };
        let host = uri.host().ok_or_else(bad)?;
        let port = uri.port_u16().unwrap_or(match service {
            NeptuneService::Database => DEFAULT_PORT,
            NeptuneService::Analytics => 443,
        });
        Self::new(tls, host, port, region, service)
    }

    fn new(
        tls: bool,
        host: &str,
        port: u16,
        region: &str,
        service: NeptuneService,
    ) -> Result<Self, InvalidInput> {
        let ok = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'[' | b']' | b':')
            });
        if !ok {
            return Err(InvalidInput::Endpoint {
                value: host.chars().take(128).collect(),
            });
        }
        let signer = Signer::new(Region::new(region)?, Service::new(service.name())?);
        Ok(Self {
            tls,
            host: host.to_owned(),
            port,
            service,
            sign_host: None,
            signer,
        })
    }

    /// The same endpoint on another port.
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Signs (and sends, as `Host`) `host` rather than the address
    /// connected to: for a load balancer, a proxy or an SSH tunnel in
    /// front of the cluster. `host` is `name` or `name:port`, as the
    /// cluster is reached (`my-cluster....amazonaws.com:8182`).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Endpoint`] for a value that is not a host.
    pub fn with_sign_host(mut self, host: &str) -> Result<Self, InvalidInput> {
        if host.is_empty() || HeaderValue::from_str(host).is_err() || host.contains(['/', ' ']) {
            return Err(InvalidInput::Endpoint {
                value: host.chars().take(128).collect(),
            });
        }
        self.sign_host = Some(host.to_owned());
        Ok(self)
    }

    /// Which Neptune.
    #[must_use]
    pub fn service(&self) -> NeptuneService {
        self.service
    }

    /// The signer it signs with (its region and service).
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// `https://host:port`, where requests go.
    #[must_use]
    pub fn base(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}:{}", self.host, self.port)
    }

    /// `wss://host:port/gremlin` (`ws://` without TLS), for the Gremlin
    /// WebSocket.
    #[must_use]
    pub fn gremlin_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}:{}/gremlin", self.host, self.port)
    }

    fn request(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&'static str>,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, InvalidInput> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base()));
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(body).map_err(|_| InvalidInput::Endpoint {
            value: path_and_query.chars().take(128).collect(),
        })
    }

    /// `POST /sparql`, the query in a form body, asking for SPARQL JSON
    /// results.
    ///
    /// # Errors
    ///
    /// None in practice (the endpoint was checked); the type is the
    /// builders'.
    pub fn sparql_query(&self, query: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
        let mut request = self.request(
            Method::POST,
            "/sparql",
            Some(FORM),
            form(&[("query", query)]).into_bytes(),
        )?;
        request.headers_mut().insert(
            ACCEPT,
            HeaderValue::from_static("application/sparql-results+json"),
        );
        Ok(request)
    }

    /// `GET /sparql?query=...`.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn sparql_query_get(&self, query: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
        let mut request = self.request(
            Method::GET,
            &format!("/sparql?{}", form(&[("query", query)])),
            None,
            Vec::new(),
        )?;
        request.headers_mut().insert(
            ACCEPT,
            HeaderValue::from_static("application/sparql-results+json"),
        );
        Ok(request)
    }

    /// `POST /sparql`, the update in a form body.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn sparql_update(&self, update: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
        self.request(
            Method::POST,
            "/sparql",
            Some(FORM),
            form(&[("update", update)]).into_bytes(),
        )
    }

    /// `POST /openCypher`, the query (and `parameters`, a JSON object, if
    /// any) in a form body.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn open_cypher(
        &self,
        query: &str,
        parameters: Option<&str>,
    ) -> Result<Request<Vec<u8>>, InvalidInput> {
        let mut fields = vec![("query", query)];
        if let Some(parameters) = parameters {
            fields.push(("parameters", parameters));
        }
        self.request(
            Method::POST,
            "/openCypher",
            Some(FORM),
            form(&fields).into_bytes(),
        )
    }

    /// `POST /gremlin` with `{"gremlin": script}`.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn gremlin(&self, script: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
        let body = format!("{{\"gremlin\":{}}}", json_string(script));
        self.request(
            Method::POST,
            "/gremlin",
            Some("application/json"),
            body.into_bytes(),
        )
    }

    /// `GET /status`.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn status(&self) -> Result<Request<Vec<u8>>, InvalidInput> {
        self.request(Method::GET, "/status", None, Vec::new())
    }

    /// `GET /loader` (the list of loads), or `GET /loader/{id}` (one).
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query), and
    /// [`InvalidInput::Endpoint`] for a load id with other than letters,
    /// digits and `-`.
    pub fn loader_status(&self, load_id: Option<&str>) -> Result<Request<Vec<u8>>, InvalidInput> {
        let path = match load_id {
            None => "/loader".to_owned(),
            Some(id)
                if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                format!("/loader/{id}")
            }
            Some(id) => {
                return Err(InvalidInput::Endpoint {
                    value: id.chars().take(128).collect(),
                })
            }
        };
        self.request(Method::GET, &path, None, Vec::new())
    }

    /// `POST /loader` with a load request (JSON: `source`, `format`,
    /// `iamRoleArn`, `region`, ...), as given.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn start_load(&self, load_request_json: &str) -> Result<Request<Vec<u8>>, InvalidInput> {
        self.request(
            Method::POST,
            "/loader",
            Some("application/json"),
            load_request_json.as_bytes().to_vec(),
        )
    }

    /// `GET /sparql/stream` or `GET /propertygraph/stream` (Neptune
    /// streams), with query parameters such as `limit`, `commitNum`,
    /// `opNum`, `iteratorType`.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn stream(
        &self,
        kind: StreamKind,
        parameters: &[(&str, &str)],
    ) -> Result<Request<Vec<u8>>, InvalidInput> {
        let path = match kind {
            StreamKind::Sparql => "/sparql/stream",
            StreamKind::PropertyGraph => "/propertygraph/stream",
        };
        let target = if parameters.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", form(parameters))
        };
        self.request(Method::GET, &target, None, Vec::new())
    }

    /// Neptune Analytics: `POST /queries` with
    /// `{"query": ..., "language": "OPEN_CYPHER", "parameters": ...}`.
    ///
    /// # Errors
    ///
    /// As for [`sparql_query`](Self::sparql_query).
    pub fn analytics_query(
        &self,
        query: &str,
        parameters_json: Option<&str>,
    ) -> Result<Request<Vec<u8>>, InvalidInput> {
        let mut body = format!(
            "{{\"query\":{},\"language\":\"OPEN_CYPHER\"",
            json_string(query)
        );
        if let Some(parameters) = parameters_json {
            body.push_str(",\"parameters\":");
            body.push_str(parameters);
        }
        body.push('}');
        self.request(
            Method::POST,
            "/queries",
            Some("application/json"),
            body.into_bytes(),
        )
    }

    /// Sets the sign host, when there is one, as the request's `Host`.
    fn set_host<B>(&self, request: &mut Request<B>) -> Result<(), SigningError> {
        if let Some(host) = &self.sign_host {
            let value = HeaderValue::from_str(host).map_err(|_| SigningError::MissingHost)?;
            request.headers_mut().insert(HOST, value);
        }
        Ok(())
    }

    /// Signs `request` (from a builder, or any other for this endpoint)
    /// as of `time`, for the sign host when one is set; returns when the
    /// signature stops being accepted.
    ///
    /// # Errors
    ///
    /// As for [`Signer::sign`]; on error the request is unchanged but for
    /// `Host`, set to the sign host.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<Expiry, SigningError> {
        self.set_host(request)?;
        self.signer.sign(request, credentials, time)?;
        Ok(Expiry::new(&time, credentials))
    }

    /// Signs a WebSocket handshake for `/gremlin` (a `GET` made by the
    /// WebSocket library, such as tokio-tungstenite's
    /// `endpoint.gremlin_url().into_client_request()`), as of `time`. Make
    /// a fresh one for every connection: a signature is accepted for five
    /// minutes, and credentials rotate. The upgrade headers are not
    /// signed (the default excluded headers leave out `connection` and
    /// `upgrade`).
    ///
    /// # Errors
    ///
    /// As for [`sign`](Self::sign).
    pub fn sign_gremlin_handshake<B>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<Expiry, SigningError> {
        self.set_host(request)?;
        self.signer
            .sign_with_payload(request, crate::Payload::Bytes(b""), credentials, time)?;
        Ok(Expiry::new(&time, credentials))
    }

    /// The Bolt auth token for this endpoint (see [`BoltToken`]).
    ///
    /// # Errors
    ///
    /// As for [`sign`](Self::sign).
    pub fn bolt_token(
        &self,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<BoltToken, SigningError> {
        bolt::token(self, credentials, time)
    }

    /// `host[:port]` as signed: the sign host, else the endpoint's host
    /// with its port unless it is the scheme's default.
    fn signed_host(&self) -> String {
        if let Some(host) = &self.sign_host {
            return host.clone();
        }
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Which Neptune stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamKind {
    /// `GET /sparql/stream`.
    Sparql,
    /// `GET /propertygraph/stream` (Gremlin and openCypher changes).
    PropertyGraph,
}

/// `key=value&...`, form-encoded (`application/x-www-form-urlencoded`, a
/// space as `%20`, which every server reads alike).
fn form(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_component(key));
        out.push('=');
        out.push_str(&encode_component(value));
    }
    out
}

fn encode_component(text: &str) -> String {
    let mut out = Vec::new();
    crate::core::encoding::write_encoded(&mut out, text.as_bytes(), false);
    String::from_utf8(out).unwrap_or_default()
}

/// A Gremlin Server request frame for `script`, to send as one binary
/// WebSocket message on `/gremlin`: the mime type (length-prefixed), then a
/// GraphSON 2 `eval` request with a fresh UUID-shaped `requestId`.
///
/// # Examples
///
/// ```
/// let frame = sigv4::neptune::gremlin_eval_frame("g.V().limit(1)");
/// assert!(frame[1..].starts_with(b"application/vnd.gremlin-v2.0+json{"));
/// ```
#[must_use]
pub fn gremlin_eval_frame(script: &str) -> Vec<u8> {
    const MIME: &[u8] = b"application/vnd.gremlin-v2.0+json";
    let request = serde_json::json!({
        "requestId": request_id(),
        "op": "eval",
        "processor": "",
        "args": {"gremlin": script, "bindings": {}, "language": "gremlin-groovy"}
    });
    let mut frame = Vec::with_capacity(1 + MIME.len() + 128);
    // 34 bytes: fits the one-byte length.
    frame.push(MIME.len() as u8);
    frame.extend_from_slice(MIME);
    frame.extend_from_slice(request.to_string().as_bytes());
    frame
}

/// A UUID-shaped id (version 4 layout) from the clock and a counter:
/// unique within a process, not secret.
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let a = (nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let b = (a ^ (a >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 50),
        b & 0xffff_ffff_ffff
    )
}

/// `text` as a JSON string literal (serde_json's escaping).
pub(crate) fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
