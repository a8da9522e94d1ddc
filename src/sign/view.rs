//! Signing without `http`: a request as the signer reads it
//! ([`RequestView`]), and what signing says to add to it
//! ([`SigningInstructions`] for the `Authorization` header,
//! [`PresignInstructions`] for a presigned URL).
//!
//! The `http::Request` methods of [`Signer`](crate::Signer) are built on
//! these: they make a view of the request, compute the instructions, turn
//! them into `http` values, and only then change the request. Another
//! request type does the same with its own last step.

use std::fmt;

use crate::core::canonical::{check_headers, check_method, Header};
use crate::core::error::SigningError;
use crate::core::payload::PayloadHash;
use crate::core::signature::Signature;

/// A request as the signer reads it: no HTTP library's types.
///
/// - `method`, as sent (`GET`);
/// - `path` and `query` as they appear in the request target, percent-encoded
///   as sent (`query` without its `?`);
/// - `headers`: every header of the request, names in any case, values as
///   bytes; the signer leaves out the excluded ones and replaces its own;
/// - the host to sign when `headers` has no `host`: see
///   [`with_uri_authority`](Self::with_uri_authority).
///
/// The payload is given to the signing call ([`Payload`](crate::Payload)).
///
/// # Examples
///
/// Signing a request type of one's own, then setting what the
/// instructions say:
///
/// ```
/// use sigv4::{Credentials, Payload, RequestView, Signer, SigningTime};
///
/// /// A request type that is not `http`'s.
/// struct MyRequest {
///     method: &'static str,
///     target: String,
///     headers: Vec<(String, Vec<u8>)>,
///     body: Vec<u8>,
/// }
///
/// let mut request = MyRequest {
///     method: "POST",
///     target: "/sparql".into(),
///     headers: vec![
///         ("Host".into(), b"db.example.com:8182".to_vec()),
///         ("Content-Type".into(), b"application/x-www-form-urlencoded".to_vec()),
///     ],
///     body: b"query=ASK%20%7B%7D".to_vec(),
/// };
///
/// let signer = Signer::neptune("us-east-1")?;
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
///
/// let headers: Vec<(&str, &[u8])> =
///     request.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
/// let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
/// let view = RequestView::new(request.method, path, query, &headers);
/// let instructions = signer.sign_view(&view, Payload::Bytes(&request.body), &creds, time)?;
///
/// // Computing is done; now change the request (owned values, so the
/// // view's borrows end here).
/// let stale: Vec<&str> = instructions.replaced_headers().collect();
/// let added: Vec<(String, Vec<u8>)> = instructions
///     .headers()
///     .map(|(name, value)| (name.to_owned(), value.to_vec()))
///     .collect();
/// request.headers.retain(|(name, _)| !stale.iter().any(|s| name.eq_ignore_ascii_case(s)));
/// request.headers.extend(added);
///
/// let authorization = &request.headers.iter().find(|(n, _)| n == "authorization").unwrap().1;
/// assert!(authorization.starts_with(b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/neptune-db/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestView<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: ViewHeaders<'a>,
    /// The URI's scheme and authority, whose host is signed for a request
    /// without a `host` header (worked out only then).
    pub(crate) uri: Option<(Option<&'a str>, &'a str)>,
}

/// A view's headers: pairs a caller listed, or an `http::HeaderMap` read
/// in place (no list is built for an `http::Request`). A map's names are
/// lowercase tokens (`http`'s constructors check them), so they are matched
/// against excluded and owned names without folding case. The headers that
/// are signed are checked by `CheckedHeaders` either way.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ViewHeaders<'a> {
    Pairs(&'a [Header<'a>]),
    Http(&'a http::HeaderMap),
}

impl<'a> ViewHeaders<'a> {
    /// Every header, in order, as `(name, value)`.
    pub(crate) fn iter(self) -> HeaderPairs<'a> {
        match self {
            Self::Pairs(pairs) => HeaderPairs::Pairs(pairs.iter()),
            Self::Http(map) => HeaderPairs::Http(map.iter()),
        }
    }

    /// The values of header `name` (lowercase), in order.
    pub(crate) fn get_all<'n>(self, name: &'n str) -> HeaderValues<'a, 'n> {
        match self {
            Self::Pairs(pairs) => HeaderValues::Pairs(pairs.iter(), name),
            Self::Http(map) => HeaderValues::Http(map.get_all(name).iter()),
        }
    }

    /// How many header values there are.
    pub(crate) fn len(self) -> usize {
        match self {
            Self::Pairs(pairs) => pairs.len(),
            Self::Http(map) => map.len(),
        }
    }

    /// Whether every name is lowercase (as `http` keeps them).
    pub(crate) fn lowercase(self) -> bool {
        match self {
            Self::Pairs(pairs) => pairs
                .iter()
                .all(|(name, _)| !name.bytes().any(|b| b.is_ascii_uppercase())),
            Self::Http(_) => true,
        }
    }

    fn has_host(self) -> bool {
        match self {
            Self::Pairs(pairs) => pairs
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("host")),
            Self::Http(map) => map.contains_key(http::header::HOST),
        }
    }
}

/// The iterator of [`ViewHeaders::get_all`].
pub(crate) enum HeaderValues<'a, 'n> {
    Pairs(core::slice::Iter<'a, Header<'a>>, &'n str),
    Http(http::header::ValueIter<'a, http::HeaderValue>),
}

impl<'a> Iterator for HeaderValues<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::Pairs(pairs, name) => pairs
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|&(_, value)| value),
            Self::Http(values) => values.next().map(http::HeaderValue::as_bytes),
        }
    }
}

/// The iterator of [`ViewHeaders::iter`].
pub(crate) enum HeaderPairs<'a> {
    Pairs(core::slice::Iter<'a, Header<'a>>),
    Http(http::header::Iter<'a, http::HeaderValue>),
}

impl<'a> Iterator for HeaderPairs<'a> {
    type Item = Header<'a>;

    #[inline]
    fn next(&mut self) -> Option<Header<'a>> {
        match self {
            Self::Pairs(pairs) => pairs.next().copied(),
            Self::Http(map) => map
                .next()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        }
    }
}

impl<'a> RequestView<'a> {
    /// A view of a request in origin form (`/path?query`): `headers` must
    /// then hold `host`, or signing fails with
    /// [`SigningError::MissingHost`].
    #[must_use]
    pub fn new(method: &'a str, path: &'a str, query: &'a str, headers: &'a [Header<'a>]) -> Self {
        Self {
            method,
            path,
            query,
            headers: ViewHeaders::Pairs(headers),
            uri: None,
        }
    }

    /// A view of an `http::Request`, its header map read in place.
    pub(crate) fn of_http<B>(request: &'a http::Request<B>) -> Self {
        Self::of_http_parts(request.method(), request.uri(), request.headers())
    }

    /// A view of a request's `http` parts, the header map read in place.
    pub(crate) fn of_http_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
    ) -> Self {
        let view = Self {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: ViewHeaders::Http(headers),
            uri: None,
        };
        match uri.authority() {
            Some(authority) => view.with_uri_authority(uri.scheme_str(), authority.as_str()),
            None => view,
        }
    }

    /// Whether every header name is known to be lowercase, as an `http`
    /// map's are. (A list of pairs may hold any case: names are then
    /// matched case-blind. The names that are signed are checked, with
    /// their values, by [`CheckedHeaders::new`](crate::CheckedHeaders::new).)
    pub(crate) fn names_are_lowercase(&self) -> bool {
        matches!(self.headers, ViewHeaders::Http(_))
    }

    /// Checks the method and every header as
    /// [`CanonicalRequest::new`](crate::CanonicalRequest::new) does, unless
    /// `http` did (for the verifier, which refuses any malformed header).
    pub(crate) fn check(&self) -> Result<(), SigningError> {
        match self.headers {
            ViewHeaders::Http(_) => Ok(()),
            ViewHeaders::Pairs(pairs) => {
                check_method(self.method)?;
                check_headers(pairs)
            }
        }
    }

    /// Sets the URI's scheme and authority (`user@host:port`), whose host
    /// is signed, and added, when `headers` has no `host`: the host with
    /// its port, unless that port is the scheme's default (so Neptune's
    /// `:8182` stays and `https://x:443` signs as `x`, as clients send it).
    /// User info is never part of it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::RequestView;
    ///
    /// let view = RequestView::new("GET", "/status", "", &[])
    ///     .with_uri_authority(Some("https"), "user@db.example.com:443");
    /// assert_eq!(view.host_to_add(), Some("db.example.com"));
    /// ```
    #[must_use]
    pub fn with_uri_authority(mut self, scheme: Option<&'a str>, authority: &'a str) -> Self {
        self.uri = Some((scheme, authority));
        self
    }

    /// The host the URI names, if it names one.
    fn uri_host(&self) -> Option<&'a str> {
        let (scheme, authority) = self.uri?;
        host_of(scheme, authority)
    }

    /// The `host` value signing adds: the URI's, when the headers have no
    /// `host` (`None` when they do, or when the URI names none).
    #[must_use]
    pub fn host_to_add(&self) -> Option<&'a str> {
        if self.has_host_header() {
            None
        } else {
            self.uri_host()
        }
    }

    /// The host to add, or the error for a request that names none.
    pub(crate) fn require_host(&self) -> Result<Option<&'a str>, SigningError> {
        if self.has_host_header() {
            return Ok(None);
        }
        self.uri_host().map(Some).ok_or(SigningError::MissingHost)
    }

    fn has_host_header(&self) -> bool {
        self.headers.has_host()
    }
}

fn default_port(scheme: Option<&str>) -> Option<&'static str> {
    match scheme? {
        s if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => Some("443"),
        s if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => Some("80"),
        _ => None,
    }
}

/// `host[:port]` of an authority, without user info and without the
/// scheme's default port (or a port that is not a number from 0 to 65535): always a piece of `authority`, so nothing is
/// copied. `None` when the host is empty.
fn host_of<'a>(scheme: Option<&str>, authority: &'a str) -> Option<&'a str> {
    // Byte scans: an authority is a few dozen bytes, too short for the
    // generic substring search to pay off.
    let bytes = authority.as_bytes();
    let start = bytes
        .iter()
        .rposition(|&b| b == b'@')
        .map_or(0, |at| at + 1);
    let host_port = &authority[start..];
    // A port follows the last `:`, unless that `:` is inside an IPv6
    // literal's brackets.
    let port_at = host_port
        .bytes()
        .rposition(|b| b == b':')
        .filter(|&at| !host_port.as_bytes()[at..].contains(&b']'));
    let host = match port_at {
        Some(at) => {
            let port = &host_port[at + 1..];
            // An empty port means none (RFC 3986 §3.2.3); one that is not a
            // port number cannot be sent either, and hyper sends the host
            // alone for it.
            let no_port = port.parse::<u16>().is_err() || port.starts_with('+');
            if no_port || Some(port) == default_port(scheme) {
                &host_port[..at]
            } else {
                host_port
            }
        }
        None => host_port,
    };
    (!host.is_empty()).then_some(host)
}

/// What header signing says to add to a request: the values of
/// `authorization`, `x-amz-date`, `x-amz-security-token` (temporary
/// credentials), `x-amz-content-sha256` (when the settings ask) and `host`
/// (when the request has none). Values borrow from the view, the
/// credentials and the time; only `authorization` is built, in one buffer.
///
/// To apply: remove the request's headers named by
/// [`replaced_headers`](Self::replaced_headers) (stale copies from an
/// earlier signature), then add each of [`headers`](Self::headers). Mark
/// `authorization` and `x-amz-security-token` sensitive if the HTTP library
/// can.
///
/// `S` is the signature's type: [`Signature`] for SigV4, `EcdsaSignature`
/// for SigV4a (whose instructions also add `x-amz-region-set`).
#[derive(Clone)]
pub struct SigningInstructions<'a, S = Signature> {
    pub(crate) host: Option<&'a str>,
    pub(crate) amz_date: [u8; 16],
    pub(crate) security_token: Option<&'a str>,
    pub(crate) content_sha256: Option<PayloadHash>,
    /// A header the algorithm adds (`x-amz-region-set`), with its value.
    pub(crate) extra: Option<(&'static str, std::sync::Arc<str>)>,
    pub(crate) authorization: Vec<u8>,
    pub(crate) signature: S,
}

impl<'a, S: Copy> SigningInstructions<'a, S> {
    /// The headers to add, `(name, value)`, names lowercase: `host` (if
    /// missing), `x-amz-date`, `x-amz-region-set` (SigV4a),
    /// `x-amz-security-token`, `x-amz-content-sha256`, then `authorization`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &[u8])> {
        let host = self.host.map(|h| ("host", h.as_bytes()));
        let token = self
            .security_token
            .map(|t| ("x-amz-security-token", t.as_bytes()));
        let content = self
            .content_sha256
            .as_ref()
            .map(|p| ("x-amz-content-sha256", p.as_bytes()));
        let extra = self
            .extra
            .as_ref()
            .map(|(name, value)| (*name, value.as_bytes()));
        host.into_iter()
            .chain([("x-amz-date", self.amz_date.as_slice())])
            .chain(extra)
            .chain(token)
            .chain(content)
            .chain([("authorization", self.authorization.as_slice())])
    }

    /// The headers to remove before adding [`headers`](Self::headers): the
    /// ones this signature sets, and `x-amz-security-token` in any case (an
    /// earlier signature's, which credentials without a token must not
    /// leave behind).
    pub fn replaced_headers(&self) -> impl Iterator<Item = &'static str> {
        ["authorization", "x-amz-date", "x-amz-security-token"]
            .into_iter()
            .chain(self.content_sha256.map(|_| "x-amz-content-sha256"))
            .chain(self.extra.as_ref().map(|(name, _)| *name))
    }

    /// The `authorization` value.
    #[must_use]
    pub fn authorization(&self) -> &str {
        // Built from ASCII only: the algorithm, the key id (visible ASCII),
        // the scope, the signed names (tokens) and hex.
        core::str::from_utf8(&self.authorization).unwrap_or_default()
    }

    /// The `x-amz-date` value.
    #[must_use]
    pub fn amz_date(&self) -> &str {
        core::str::from_utf8(&self.amz_date).unwrap_or_default()
    }

    /// The `x-amz-security-token` value, for temporary credentials.
    #[must_use]
    pub fn security_token(&self) -> Option<&'a str> {
        self.security_token
    }

    /// The `x-amz-content-sha256` value, when the settings ask for it.
    #[must_use]
    pub fn content_sha256(&self) -> Option<&PayloadHash> {
        self.content_sha256.as_ref()
    }

    /// The `host` value, when the request has none.
    #[must_use]
    pub fn host(&self) -> Option<&'a str> {
        self.host
    }

    /// The signature.
    #[must_use]
    pub fn signature(&self) -> S {
        self.signature
    }

    /// The `authorization` value's bytes, to hand to an HTTP library
    /// without a copy.
    #[must_use]
    pub fn into_authorization(self) -> Vec<u8> {
        self.authorization
    }
}

/// Shows what is added, but neither the session token nor the signature
/// (`authorization` holds it): a signature replays, within its time.
impl<S> fmt::Debug for SigningInstructions<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| present.then_some("** redacted **");
        f.debug_struct("SigningInstructions")
            .field("host", &self.host)
            .field(
                "amz_date",
                &core::str::from_utf8(&self.amz_date).unwrap_or_default(),
            )
            .field("security_token", &redacted(self.security_token.is_some()))
            .field("content_sha256", &self.content_sha256)
            .field("authorization", &"** redacted **")
            .finish()
    }
}

/// What presigning says to do to a request: its new path and query (the
/// caller's parameters, less any `X-Amz-*` of an earlier presign, then
/// `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`,
/// `-Security-Token`, `-SignedHeaders` and `-Signature`, percent-encoded),
/// and the `host` header to add when the request has none.
#[derive(Clone)]
pub struct PresignInstructions<'a, S = Signature> {
    pub(crate) path_and_query: Vec<u8>,
    /// Where the query starts (after the `?`).
    pub(crate) query_start: usize,
    /// Where presigning's own parameters start.
    pub(crate) own_start: usize,
    pub(crate) host: Option<&'a str>,
    pub(crate) signature: S,
}

impl<'a, S: Copy> PresignInstructions<'a, S> {
    /// The new path and query, `/path?query`.
    #[must_use]
    pub fn path_and_query(&self) -> &str {
        // The path and the caller's parameters came from a `&str`, and
        // everything added is ASCII.
        core::str::from_utf8(&self.path_and_query).unwrap_or_default()
    }

    /// The new query, without its `?`.
    #[must_use]
    pub fn query(&self) -> &str {
        self.path_and_query()
            .get(self.query_start..)
            .unwrap_or_default()
    }

    /// Presigning's own parameters, `(key, value)` with values
    /// percent-encoded as they stand in the query, in order, ending with
    /// `X-Amz-Signature`.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        let own = self
            .path_and_query()
            .get(self.own_start..)
            .unwrap_or_default();
        own.split('&')
            .map(|param| param.split_once('=').unwrap_or((param, "")))
    }

    /// The `host` value to add, when the request has none.
    #[must_use]
    pub fn host(&self) -> Option<&'a str> {
        self.host
    }

    /// The signature.
    #[must_use]
    pub fn signature(&self) -> S {
        self.signature
    }

    /// The new path and query's bytes, to hand to an HTTP library without
    /// a copy.
    #[must_use]
    pub fn into_path_and_query(self) -> Vec<u8> {
        self.path_and_query
    }
}

/// Shows the path and the parameters' names, not their values (the
/// session token and the signature are among them).
impl<S: Copy> fmt::Debug for PresignInstructions<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self
            .path_and_query()
            .get(..self.query_start.saturating_sub(1))
            .unwrap_or_default();
        let params: Vec<&str> = self.params().map(|(key, _)| key).collect();
        f.debug_struct("PresignInstructions")
            .field("path", &path)
            .field("params", &params)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_keeps_non_default_ports_only() {
        for (scheme, authority, host) in [
            (
                Some("https"),
                "db.example.com:8182",
                Some("db.example.com:8182"),
            ),
            (
                Some("wss"),
                "db.example.com:8182",
                Some("db.example.com:8182"),
            ),
            (Some("https"), "db.example.com:443", Some("db.example.com")),
            (Some("HTTPS"), "db.example.com:443", Some("db.example.com")),
            (Some("http"), "db.example.com:80", Some("db.example.com")),
            (
                Some("http"),
                "db.example.com:443",
                Some("db.example.com:443"),
            ),
            (Some("wss"), "db.example.com", Some("db.example.com")),
            (Some("http"), "[::1]:8182", Some("[::1]:8182")),
            (Some("http"), "[::1]:80", Some("[::1]")),
            (Some("http"), "[::1]", Some("[::1]")),
            (
                Some("https"),
                "user:pw@db.example.com",
                Some("db.example.com"),
            ),
            (
                Some("https"),
                "u@v@db.example.com:1",
                Some("db.example.com:1"),
            ),
            (None, "db.example.com:443", Some("db.example.com:443")),
            (Some("https"), "db.example.com:", Some("db.example.com")),
            (Some("https"), "db.example.com:abc", Some("db.example.com")),
            (
                Some("https"),
                "db.example.com:65536",
                Some("db.example.com"),
            ),
            (Some("https"), "db.example.com:+1", Some("db.example.com")),
            (
                Some("https"),
                "db.example.com:0443",
                Some("db.example.com:0443"),
            ),
            (Some("https"), "", None),
            (Some("https"), "user@", None),
            (Some("https"), ":443", None),
        ] {
            assert_eq!(host_of(scheme, authority), host, "{scheme:?} {authority}");
        }
    }

    #[test]
    fn a_host_header_wins_over_the_uri() {
        let headers = [("Host", &b"h"[..])];
        let view = RequestView::new("GET", "/", "", &headers).with_uri_authority(None, "u");
        assert_eq!(view.host_to_add(), None);
        assert_eq!(view.require_host(), Ok(None));
        let bare = RequestView::new("GET", "/", "", &[]);
        assert_eq!(bare.require_host(), Err(SigningError::MissingHost));
    }
}
