//! Signing on the way out: a tower layer for HTTP clients such as hyper's
//! (feature `tower`, `SignLayer`) and reqwest (feature `reqwest`,
//! `SigV4Middleware` and `sign_reqwest`).
//!
//! Both adapters follow the same rules, kept here once:
//!
//! - **Every send is signed afresh.** Each request (and each retry of one)
//!   is signed with the time of that send and the credentials the provider
//!   has then. `authorization`, `x-amz-date`, `x-amz-security-token` and
//!   `x-amz-content-sha256` already on the request, from the caller or an
//!   earlier attempt, are replaced, never kept.
//! - **Bodies** follow a [`BodyPolicy`]: a body is read into memory up to
//!   a limit (10 MiB by default) and hashed; one above the limit is, as the
//!   policy says ([`OverLimit`]), refused with [`ClientError::BodyTooLarge`],
//!   sent as `UNSIGNED-PAYLOAD` (streamed through, unread), or sent as
//!   aws-chunked with each chunk signed (feature `streaming-body`; needs a
//!   known length). Nothing is read without bound.
//! - **Sign host**: [`ClientOptions::with_sign_host`] signs and sends a
//!   given `host` instead of the one in the URL, for a tunnel or a proxy in
//!   front of the service.
//!
//! With feature `proxy`, the `proxy` module puts the tower layer in a
//! signing reverse proxy (`proxy::SigningProxy`), what `sigv4 proxy` runs.
//!
//! Errors say which step failed ([`ClientError`]), so a proxy can answer
//! each with its own status.
//!
//! Credentials come from a provider for every request: give the adapters an
//! [`AsyncCachingProvider`](crate::credentials::AsyncCachingProvider) (or
//! another cache), so that is a read of the cache, and a long-lived client
//! keeps working across credential rotation.

use std::convert::Infallible;
use std::fmt;

use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::{HeaderMap, Request};

use crate::core::credentials::Credentials;
use crate::core::error::{InvalidInput, SigningError};
use crate::core::payload::{Payload, UNSIGNED_PAYLOAD};
use crate::core::signature::Signature;
use crate::core::time::SigningTime;
use crate::credentials::CredentialsError;
use crate::sign::Signer;

#[cfg(feature = "proxy")]
pub mod proxy;
#[cfg(feature = "reqwest")]
mod reqwest;
#[cfg(feature = "tower")]
mod tower;

#[cfg(feature = "reqwest")]
pub use self::reqwest::{sign_reqwest, SigV4Middleware};
#[cfg(feature = "tower")]
pub use self::tower::{ResponseFuture, SignLayer, SignService, SignedBody};

/// What [`ClientError::Body`] and the bodies the adapters send fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// The headers a signature owns: replaced on every send, never kept.
const REPLACED: [HeaderName; 4] = [
    AUTHORIZATION,
    X_AMZ_DATE,
    X_AMZ_SECURITY_TOKEN,
    X_AMZ_CONTENT_SHA256,
];

/// What to do with a body above the [`BodyPolicy`]'s limit, or one the
/// adapter cannot read (a reqwest streaming body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverLimit {
    /// Refuse the request with [`ClientError::BodyTooLarge`] (or, for a
    /// reqwest streaming body, [`ClientError::StreamingBody`]). The default.
    Refuse,
    /// Sign `UNSIGNED-PAYLOAD` and stream the body through unread. The
    /// signature then covers the headers only; the service must accept it.
    Unsigned,
    /// Send the body as aws-chunked, each chunk signed as it streams
    /// ([`Signer::sign_chunked`], [`AwsChunkedBody`](crate::AwsChunkedBody)),
    /// in chunks of `chunk_size` bytes (feature `streaming-body`). The
    /// body's length must be known from its size hint, or the request fails
    /// with [`ClientError::UnknownLength`].
    #[cfg(feature = "streaming-body")]
    Chunked {
        /// The size of each chunk but the last (64 KiB is usual).
        chunk_size: usize,
    },
}

/// How a request body is signed: read and hashed up to a limit, and past
/// it what [`OverLimit`] says; or, with [`BodyPolicy::unsigned`], never
/// read and always `UNSIGNED-PAYLOAD`.
///
/// A body exactly at the limit is read and hashed; one byte more is over
/// it. A body whose size hint already says it is over the limit is not
/// read at all. Bytes already in memory (a reqwest bytes body) are always
/// hashed, unless the policy is [`unsigned`](BodyPolicy::unsigned): the
/// limit bounds what the adapter reads, not what it was given.
///
/// # Examples
///
/// ```
/// use sigv4::client::{BodyPolicy, OverLimit};
///
/// let policy = BodyPolicy::default()
///     .with_limit(1024 * 1024)
///     .with_over_limit(OverLimit::Unsigned);
/// assert_eq!(policy.limit(), 1024 * 1024);
/// assert_eq!(BodyPolicy::default().limit(), BodyPolicy::DEFAULT_LIMIT);
/// assert_eq!(BodyPolicy::default().over_limit(), OverLimit::Refuse);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPolicy {
    limit: usize,
    over_limit: OverLimit,
    always_unsigned: bool,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            over_limit: OverLimit::Refuse,
            always_unsigned: false,
        }
    }
}

impl BodyPolicy {
    /// The default limit: 10 MiB.
    pub const DEFAULT_LIMIT: usize = 10 * 1024 * 1024;

    /// Every request signed `UNSIGNED-PAYLOAD`, its body (if any, of any
    /// size) streamed through and never read by the adapter: what a
    /// streaming proxy needs, when the service accepts unsigned payloads
    /// (Neptune does). [`limit`](Self::limit) is then 0; a later
    /// [`with_limit`](Self::with_limit) or
    /// [`with_over_limit`](Self::with_over_limit) goes back to reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::client::{BodyPolicy, OverLimit};
    ///
    /// let policy = BodyPolicy::unsigned();
    /// assert!(policy.always_unsigned());
    /// assert_eq!(policy.over_limit(), OverLimit::Unsigned);
    /// assert!(!policy.with_limit(1024).always_unsigned());
    /// ```
    #[must_use]
    pub fn unsigned() -> Self {
        Self {
            limit: 0,
            over_limit: OverLimit::Unsigned,
            always_unsigned: true,
        }
    }

    /// Sets the most bytes read into memory and hashed.
    #[must_use]
    pub fn with_limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self.always_unsigned = false;
        self
    }

    /// Sets what happens to a body over the limit.
    #[must_use]
    pub fn with_over_limit(mut self, over_limit: OverLimit) -> Self {
        self.over_limit = over_limit;
        self.always_unsigned = false;
        self
    }

    /// Whether every body goes unread, as `UNSIGNED-PAYLOAD`
    /// ([`unsigned`](Self::unsigned)).
    #[must_use]
    pub fn always_unsigned(&self) -> bool {
        self.always_unsigned
    }

    /// The most bytes read into memory and hashed.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// What happens to a body over the limit.
    #[must_use]
    pub fn over_limit(&self) -> OverLimit {
        self.over_limit
    }

    /// How to sign a body that is not read whole, whose length is
    /// `length` when known.
    pub(crate) fn unread(&self, length: Option<u64>) -> Result<Plan, ClientError> {
        #[cfg(not(feature = "streaming-body"))]
        let _ = length;
        match self.over_limit {
            OverLimit::Refuse => Ok(Plan::Refuse),
            OverLimit::Unsigned => Ok(Plan::Unsigned),
            #[cfg(feature = "streaming-body")]
            OverLimit::Chunked { chunk_size } => {
                let length = length.ok_or(ClientError::UnknownLength { limit: self.limit })?;
                let upload = crate::core::chunked::ChunkedUpload::signed(length, chunk_size)?;
                Ok(Plan::Chunked(upload))
            }
        }
    }
}

/// How one request's body is signed, decided by the [`BodyPolicy`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Plan {
    /// Hashed (bytes at hand).
    Hash,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// aws-chunked, framed as the upload says.
    #[cfg(feature = "streaming-body")]
    Chunked(crate::core::chunked::ChunkedUpload),
    /// Not sent.
    Refuse,
}

/// What both adapters take besides the signer and the credentials: the
/// [`BodyPolicy`] and an optional sign host.
///
/// # Examples
///
/// ```
/// use sigv4::client::{BodyPolicy, ClientOptions};
///
/// let options = ClientOptions::default()
///     .with_body_policy(BodyPolicy::default().with_limit(64 * 1024))
///     .with_sign_host("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182")?;
/// assert_eq!(options.sign_host(), Some("my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182"));
/// assert!(ClientOptions::default().with_sign_host("user@host").is_err());
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    body: BodyPolicy,
    sign_host: Option<HeaderValue>,
}

impl ClientOptions {
    /// Sets the body policy.
    #[must_use]
    pub fn with_body_policy(mut self, body: BodyPolicy) -> Self {
        self.body = body;
        self
    }

    /// Signs (and sends, as `host`) `host` rather than the URL's host: for
    /// an SSH tunnel, a load balancer or a proxy in front of the service,
    /// whose certificate and signature name the service's own host. `host`
    /// is `name` or `name:port`, as the service is reached
    /// (`my-cluster....amazonaws.com:8182`).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Endpoint`] for a value that is not `host` or
    /// `host:port` (empty, with user info, a path, spaces or control
    /// characters).
    pub fn with_sign_host(mut self, host: &str) -> Result<Self, InvalidInput> {
        let bad = || InvalidInput::Endpoint {
            value: host.chars().take(128).collect(),
        };
        let authority: http::uri::Authority = host.parse().map_err(|_| bad())?;
        // Exactly `host` or `host:port` (a number): no user info, and no
        // port `http` would have dropped.
        let rebuilt = match authority.port_u16() {
            Some(port) => format!("{}:{port}", authority.host()),
            None => authority.host().to_owned(),
        };
        if authority.host().is_empty() || rebuilt != host {
            return Err(bad());
        }
        self.sign_host = Some(HeaderValue::from_str(host).map_err(|_| bad())?);
        Ok(self)
    }

    /// The body policy.
    #[must_use]
    pub fn body_policy(&self) -> BodyPolicy {
        self.body
    }

    /// The sign host, when one is set.
    #[must_use]
    pub fn sign_host(&self) -> Option<&str> {
        self.sign_host.as_ref().and_then(|h| h.to_str().ok())
    }
}

/// Why a request was not sent, or what the inner service said. `E` is the
/// inner service's error ([`Infallible`] where there is none).
///
/// Messages are lower case and never contain a secret, a session token or
/// a header value. It is a [`std::error::Error`] when `E` is one (a
/// `Box<dyn Error>` is not, by std's rules: map such an inner error to a
/// concrete type, or print it).
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError<E = Infallible> {
    /// The credentials provider failed.
    Credentials(CredentialsError),
    /// Signing failed (for example invalid header values, or credentials
    /// expired at the signing time).
    Signing(SigningError),
    /// The body is over the policy's limit, which refuses such bodies (a
    /// proxy answers `413 Payload Too Large`).
    BodyTooLarge {
        /// The limit exceeded, in bytes.
        limit: usize,
        /// The body's length, when its size hint knew it.
        length: Option<u64>,
    },
    /// The body streams (a reqwest body not held as bytes) and the policy
    /// refuses bodies it cannot hash.
    StreamingBody,
    /// The body is over the limit and is to be sent as aws-chunked, which
    /// needs its length, but its size hint does not know it (a proxy
    /// answers `411 Length Required`).
    UnknownLength {
        /// The limit exceeded, in bytes.
        limit: usize,
    },
    /// The body failed while it was read to be hashed.
    Body(BoxError),
    /// The inner service failed.
    Service(E),
}

impl ClientError {
    /// The same error under another inner service error type (none of
    /// these carry one).
    #[cfg(feature = "tower")]
    pub(crate) fn widen<F>(self) -> ClientError<F> {
        match self {
            Self::Credentials(e) => ClientError::Credentials(e),
            Self::Signing(e) => ClientError::Signing(e),
            Self::BodyTooLarge { limit, length } => ClientError::BodyTooLarge { limit, length },
            Self::StreamingBody => ClientError::StreamingBody,
            Self::UnknownLength { limit } => ClientError::UnknownLength { limit },
            Self::Body(e) => ClientError::Body(e),
            Self::Service(never) => match never {},
        }
    }
}

impl<E: fmt::Display> fmt::Display for ClientError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(e) => write!(f, "cannot sign the request: {e}"),
            Self::Signing(e) => write!(f, "cannot sign the request: {e}"),
            Self::BodyTooLarge {
                limit,
                length: Some(length),
            } => write!(
                f,
                "the request body ({length} bytes) is over the signing limit of {limit} bytes"
            ),
            Self::BodyTooLarge {
                limit,
                length: None,
            } => write!(
                f,
                "the request body is over the signing limit of {limit} bytes"
            ),
            Self::StreamingBody => f.write_str(
                "the request body streams and cannot be hashed without reading it: send bytes, \
                 or choose OverLimit::Unsigned",
            ),
            Self::UnknownLength { limit } => write!(
                f,
                "the request body is over the signing limit of {limit} bytes, and aws-chunked \
                 signing needs its length, which its size hint does not give"
            ),
            Self::Body(e) => write!(f, "cannot read the request body to sign it: {e}"),
            Self::Service(e) => e.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ClientError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            Self::Signing(e) => Some(e),
            Self::Body(e) => Some(&**e),
            Self::Service(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SigningError> for ClientError {
    fn from(e: SigningError) -> Self {
        Self::Signing(e)
    }
}

impl From<InvalidInput> for ClientError {
    fn from(e: InvalidInput) -> Self {
        Self::Signing(e.into())
    }
}

impl From<CredentialsError> for ClientError {
    fn from(e: CredentialsError) -> Self {
        Self::Credentials(e)
    }
}

/// What a signed request's body needs after signing: nothing, or the
/// aws-chunked framing. Moved once, straight into the body: not boxed.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Signed {
    /// Sent as it is (hashed or unsigned).
    Plain,
    /// Framed by this encoder as it streams.
    #[cfg(feature = "streaming-body")]
    Chunked(crate::core::chunked::ChunkedEncoder),
}

/// Signs a request's head as `plan` says, with the shared rules: the
/// signature's own headers on the request are dropped first (replaced,
/// never kept), the sign host is set, and an unsigned payload is named in
/// `x-amz-content-sha256` (servers read the payload line there).
/// `body` is the body to hash for [`Plan::Hash`].
///
/// All or nothing: on error the head is as it was.
pub(crate) fn sign_head(
    signer: &Signer,
    head: &mut Request<()>,
    options: &ClientOptions,
    plan: Plan,
    body: &[u8],
    credentials: &Credentials,
    time: SigningTime,
) -> Result<Signed, ClientError> {
    let saved = Saved::take(head.headers_mut(), options.sign_host.is_some());
    let headers = head.headers_mut();
    if let Some(host) = &options.sign_host {
        headers.insert(HOST, host.clone());
    }
    let result = match plan {
        Plan::Refuse => Err(ClientError::BodyTooLarge {
            limit: options.body.limit,
            length: None,
        }),
        Plan::Hash => signer
            .sign_with_payload(head, Payload::Bytes(body), credentials, time)
            .map(|_: Signature| Signed::Plain)
            .map_err(ClientError::from),
        Plan::Unsigned => {
            headers.insert(
                X_AMZ_CONTENT_SHA256,
                HeaderValue::from_static(UNSIGNED_PAYLOAD),
            );
            signer
                .sign_with_payload(head, Payload::Unsigned, credentials, time)
                .map(|_: Signature| Signed::Plain)
                .map_err(ClientError::from)
        }
        #[cfg(feature = "streaming-body")]
        Plan::Chunked(upload) => signer
            .sign_chunked(head, credentials, time, &upload)
            .map(Signed::Chunked)
            .map_err(ClientError::from),
    };
    if result.is_err() {
        saved.restore(head.headers_mut());
    }
    result
}

/// The headers [`sign_head`] removed or changes, kept to put back when
/// signing fails. Empty (no allocation) for a request that had none.
struct Saved {
    values: Vec<(HeaderName, HeaderValue)>,
    host: bool,
}

impl Saved {
    /// Removes the signature's own headers from `headers` (and `host`, when
    /// `host` is set, as the sign host replaces it), keeping them.
    fn take(headers: &mut HeaderMap, host: bool) -> Self {
        let mut values = Vec::new();
        for name in Self::names(host) {
            if let http::header::Entry::Occupied(entry) = headers.entry(name) {
                let (name, drained) = entry.remove_entry_mult();
                values.extend(drained.map(|value| (name.clone(), value)));
            }
        }
        Self { values, host }
    }

    /// The headers [`sign_head`] replaces: the signature's, and `host` with
    /// a sign host.
    fn names(host: bool) -> impl Iterator<Item = HeaderName> {
        REPLACED.into_iter().chain(host.then_some(HOST))
    }

    /// Puts `headers` back as they were before [`take`](Self::take).
    fn restore(self, headers: &mut HeaderMap) {
        for name in Self::names(self.host) {
            headers.remove(name);
        }
        for (name, value) in self.values {
            headers.append(name, value);
        }
    }
}

/// The time to sign with: `clock`'s now, or the system's when there is no
/// clock (or it reads outside years 0000..=9999).
pub(crate) fn now(clock: Option<&dyn crate::credentials::Clock>) -> SigningTime {
    clock
        .and_then(|clock| SigningTime::try_from(clock.now()).ok())
        .unwrap_or_else(SigningTime::now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Verifier;

    fn credentials() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap()
    }

    fn time() -> SigningTime {
        SigningTime::parse("20150830T123600Z").unwrap()
    }

    fn verify(head: &Request<()>, body: &[u8]) -> crate::verify::Verified {
        let creds = credentials();
        let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(creds.clone())).unwrap();
        let (parts, ()) = head.clone().into_parts();
        let request = Request::from_parts(parts, body.to_vec());
        verifier.verify(&request, time()).unwrap()
    }

    #[test]
    fn stale_signature_headers_are_replaced_never_kept() {
        let signer = Signer::neptune("us-east-1").unwrap();
        let mut head = Request::post("https://db.example.com:8182/sparql")
            .header("authorization", "Bearer stale")
            .header("authorization", "Bearer staler")
            .header("x-amz-date", "19990101T000000Z")
            .header("x-amz-security-token", "stale-token")
            .header("x-amz-content-sha256", "0000")
            .body(())
            .unwrap();
        let body = b"query=ASK%20%7B%7D";
        sign_head(
            &signer,
            &mut head,
            &ClientOptions::default(),
            Plan::Hash,
            body,
            &credentials(),
            time(),
        )
        .unwrap();
        let headers = head.headers();
        assert_eq!(headers.get_all("authorization").iter().count(), 1);
        assert_eq!(headers["x-amz-date"], "20150830T123600Z");
        assert!(!headers.contains_key("x-amz-security-token"));
        assert!(!headers.contains_key("x-amz-content-sha256"));
        verify(&head, body);
    }

    #[test]
    fn unsigned_names_its_payload_and_verifies() {
        let signer = Signer::neptune("us-east-1").unwrap();
        let mut head = Request::post("https://db.example.com:8182/sparql")
            .body(())
            .unwrap();
        sign_head(
            &signer,
            &mut head,
            &ClientOptions::default(),
            Plan::Unsigned,
            b"",
            &credentials(),
            time(),
        )
        .unwrap();
        assert_eq!(head.headers()["x-amz-content-sha256"], UNSIGNED_PAYLOAD);
        let verified = verify(&head, b"any body at all");
        assert_eq!(verified.payload, crate::verify::PayloadCheck::Unsigned);
    }

    #[test]
    fn the_sign_host_is_signed_and_sent() {
        let signer = Signer::neptune("us-east-1").unwrap();
        let options = ClientOptions::default()
            .with_sign_host("my-cluster.example.com:8182")
            .unwrap();
        let mut head = Request::get("http://127.0.0.1:9/status")
            .header("host", "127.0.0.1:9")
            .body(())
            .unwrap();
        sign_head(
            &signer,
            &mut head,
            &options,
            Plan::Hash,
            b"",
            &credentials(),
            time(),
        )
        .unwrap();
        assert_eq!(
            head.headers().get_all("host").iter().collect::<Vec<_>>(),
            ["my-cluster.example.com:8182"]
        );
        verify(&head, b"");
    }

    #[test]
    fn a_failed_signature_leaves_the_head_as_it_was() {
        let signer = Signer::neptune("us-east-1").unwrap();
        let options = ClientOptions::default().with_sign_host("other:1").unwrap();
        let mut head = Request::get("http://127.0.0.1:9/status")
            .header("host", "127.0.0.1:9")
            .header("authorization", "Bearer a")
            .header("authorization", "Bearer b")
            .header("x-amz-content-sha256", "0000")
            .body(())
            .unwrap();
        let before = head.headers().clone();
        let expired = credentials().with_expiry(std::time::SystemTime::UNIX_EPOCH);
        let err = sign_head(
            &signer,
            &mut head,
            &options,
            Plan::Unsigned,
            b"",
            &expired,
            time(),
        )
        .err()
        .unwrap();
        assert!(matches!(
            err,
            ClientError::Signing(SigningError::CredentialsExpired { .. })
        ));
        assert_eq!(head.headers(), &before);
        let refused = sign_head(
            &signer,
            &mut head,
            &options,
            Plan::Refuse,
            b"",
            &credentials(),
            time(),
        );
        assert!(matches!(refused, Err(ClientError::BodyTooLarge { .. })));
        assert_eq!(head.headers(), &before);
    }

    #[test]
    fn sign_hosts_are_host_or_host_port() {
        for good in [
            "db.example.com",
            "db.example.com:8182",
            "[::1]:8182",
            "127.0.0.1",
        ] {
            let options = ClientOptions::default().with_sign_host(good).unwrap();
            assert_eq!(options.sign_host(), Some(good));
        }
        for bad in ["", "u@h", "h/p", "h p", "h:port", "h\r\nx: y", ":80"] {
            assert!(
                ClientOptions::default().with_sign_host(bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unread_bodies_follow_the_policy() {
        let policy = BodyPolicy::default().with_limit(10);
        assert!(matches!(policy.unread(Some(11)), Ok(Plan::Refuse)));
        let unsigned = policy.with_over_limit(OverLimit::Unsigned);
        assert!(matches!(unsigned.unread(None), Ok(Plan::Unsigned)));
        #[cfg(feature = "streaming-body")]
        {
            let chunked = policy.with_over_limit(OverLimit::Chunked { chunk_size: 4 });
            assert!(matches!(chunked.unread(Some(11)), Ok(Plan::Chunked(_))));
            assert!(matches!(
                chunked.unread(None),
                Err(ClientError::UnknownLength { limit: 10 })
            ));
            let zero = policy.with_over_limit(OverLimit::Chunked { chunk_size: 0 });
            assert!(matches!(
                zero.unread(Some(11)),
                Err(ClientError::Signing(_))
            ));
        }
    }

    #[test]
    fn error_messages_say_which_limit() {
        let e: ClientError = ClientError::BodyTooLarge {
            limit: 10,
            length: Some(11),
        };
        assert_eq!(
            e.to_string(),
            "the request body (11 bytes) is over the signing limit of 10 bytes"
        );
        let e: ClientError = ClientError::UnknownLength { limit: 10 };
        assert!(e.to_string().contains("limit of 10 bytes"), "{e}");
    }
}
