//! Stage 1: the canonical request, streamed into SHA-256.
//!
//! ```text
//! METHOD \n canonical URI \n canonical query \n canonical headers \n
//! signed headers \n payload hash
//! ```
//!
//! Signing never builds this text: [`CanonicalRequest::hash`] feeds each piece
//! to the hasher as it is produced. [`CanonicalRequest::to_bytes`] runs the
//! very same writers into a buffer, for explaining a signature mismatch.

pub(in crate::core) mod headers;
mod path;
mod presigned;
pub(in crate::core) mod query;

use std::fmt;

use crate::core::encoding::Sink;
use crate::core::error::SigningError;
use crate::core::payload::PayloadHash;
use crate::core::settings::{SigningSettings, UriEncoding};
use crate::core::sha256::Sha256Stream;

pub(crate) use headers::{check as check_headers, is_token};
#[cfg(feature = "tools")]
pub(crate) use headers::{remembered_order_for_bench, sort_fresh_by};
pub use headers::{CheckedHeaders, Header};
pub use presigned::PresignQuery;
use query::OwnParam;

/// A request in the neutral shape the SigV4 core needs: no `http` types, so
/// other SDK layers can embed it.
///
/// `headers` lists exactly the headers to sign (including `host` and
/// `x-amz-date`), in any order and any case; repeated names are joined in
/// the order given.
///
/// # Examples
///
/// The canonical request from the AWS documentation's IAM `ListUsers` example:
///
/// ```
/// use sigv4::{CanonicalRequest, Payload, SigningSettings, UriEncoding};
///
/// let payload = Payload::Bytes(b"").hash()?;
/// let headers = [
///     ("Host", "iam.amazonaws.com".as_bytes()),
///     ("Content-Type", b"application/x-www-form-urlencoded; charset=utf-8"),
///     ("X-Amz-Date", b"20150830T123600Z"),
/// ];
/// let canonical = CanonicalRequest::new(
///     "GET",
///     "/",
///     "Action=ListUsers&Version=2010-05-08",
///     &headers,
///     &payload,
/// )?
/// .with_settings(&SigningSettings::default().with_uri_encoding(UriEncoding::Single));
/// assert_eq!(
///     canonical.to_string(),
///     "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
///      content-type:application/x-www-form-urlencoded; charset=utf-8\n\
///      host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
///      content-type;host;x-amz-date\n\
///      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// assert_eq!(
///     hex::encode(canonical.hash()),
///     "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CanonicalRequest<'a> {
    method: &'a str,
    path: &'a str,
    /// As it appears in the URI; bytes, since presigning builds it as such.
    query: &'a [u8],
    /// Presigning's own parameters at the end of `query`, written
    /// canonical and sorted by this crate; empty for a caller's query.
    own_params: &'a [OwnParam],
    headers: Held<'a>,
    payload_hash: &'a PayloadHash,
    uri_encoding: UriEncoding,
    normalize_path: bool,
}

impl<'a> CanonicalRequest<'a> {
    /// Validates and sorts the parts of a request.
    ///
    /// `path` and `query` are as they appear in the request URI (percent-
    /// encoded once, `query` without its `?`). Path normalization is on and
    /// URI encoding is double, the defaults for every service but S3.
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidMethod`] for a method that is not an HTTP token;
    /// [`SigningError::InvalidHeaderName`] and
    /// [`SigningError::InvalidHeaderValue`] for a name that is not a token or
    /// a value holding CR, LF or NUL.
    pub fn new(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a [Header<'a>],
        payload_hash: &'a PayloadHash,
    ) -> Result<Self, SigningError> {
        check_method(method)?;
        let headers = Held::Owned(CheckedHeaders::new(headers)?);
        Ok(Self::with_parts(method, path, query, headers, payload_hash))
    }

    /// [`new`](Self::new) with headers checked already: for a signer that
    /// lists the headers to sign itself (as this crate's does, adding its
    /// own to the caller's) and checks them once.
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidMethod`] for a method that is not an HTTP
    /// token.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{CanonicalRequest, CheckedHeaders, Payload};
    ///
    /// let payload = Payload::Bytes(b"").hash()?;
    /// let headers = [("host", &b"db.example.com:8182"[..]), ("x-amz-date", b"20150830T123600Z")];
    /// let checked = CheckedHeaders::new(&headers)?;
    /// let canonical = CanonicalRequest::from_checked("GET", "/status", "", &checked, &payload)?;
    /// assert!(canonical.to_string().ends_with("\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_checked(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a CheckedHeaders<'a>,
        payload_hash: &'a PayloadHash,
    ) -> Result<Self, SigningError> {
        check_method(method)?;
        let headers = Held::Borrowed(headers);
        Ok(Self::with_parts(method, path, query, headers, payload_hash))
    }

    fn with_parts(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: Held<'a>,
        payload_hash: &'a PayloadHash,
    ) -> Self {
        Self {
            method,
            path,
            query: query.as_bytes(),
            own_params: &[],
            headers,
            payload_hash,
            uri_encoding: UriEncoding::Double,
            normalize_path: true,
        }
    }

    /// Takes the URI encoding and path normalization of `settings` (single
    /// encoding and no normalization for S3, the defaults for every other
    /// service). The other settings decide which headers are signed, which
    /// is the caller's to apply when listing them.
    #[must_use]
    pub fn with_settings(mut self, settings: &SigningSettings) -> Self {
        self.apply(settings);
        self
    }

    /// [`with_settings`](Self::with_settings), in place (moving the value
    /// would copy the sorted header order).
    pub(crate) fn apply(&mut self, settings: &SigningSettings) {
        self.uri_encoding = settings.uri_encoding;
        self.normalize_path = settings.normalize_path;
    }

    /// The same request over the query of a presigned URL (presigning
    /// adds its parameters once the signed headers are known, so the
    /// request is built first with an empty query). The parameters `query`
    /// pushed in rising key order are merged with the caller's as written.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{CanonicalRequest, CheckedHeaders, Payload, PresignQuery};
    ///
    /// let payload = Payload::Unsigned.hash()?;
    /// let headers = [("host", &b"db.example.com:8182"[..])];
    /// let checked = CheckedHeaders::new(&headers)?;
    /// let canonical = CanonicalRequest::from_checked("GET", "/status", "", &checked, &payload)?;
    /// let mut query = PresignQuery::new("/status", "z=1", 0, |_| true);
    /// query.push("X-Amz-Expires", &[b"900"]);
    /// query.push_signed_headers("X-Amz-SignedHeaders", &checked);
    /// let canonical = canonical.with_presign_query(&query);
    /// assert!(canonical
    ///     .to_string()
    ///     .starts_with("GET\n/status\nX-Amz-Expires=900&X-Amz-SignedHeaders=host&z=1\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_presign_query(self, query: &'a PresignQuery) -> Self {
        let (query, own_params) = query.parts();
        Self {
            query,
            own_params,
            ..self
        }
    }

    /// SHA-256 of the canonical request, computed without building it.
    #[must_use]
    pub fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256Stream::sha256();
        self.write_to(&mut hasher);
        hasher.finish()
    }

    /// [`hash`](Self::hash), appending the signed-headers list to `out` on
    /// the way and hashing it from there: a signer that puts the list in
    /// an `Authorization` value writes it once.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{CanonicalRequest, Payload};
    ///
    /// let payload = Payload::Bytes(b"").hash()?;
    /// let headers = [("Host", &b"db.example.com:8182"[..]), ("X-Amz-Date", b"20150830T123600Z")];
    /// let canonical = CanonicalRequest::new("GET", "/status", "", &headers, &payload)?;
    /// let mut authorization = b"... SignedHeaders=".to_vec();
    /// let hash = canonical.hash_appending_signed_headers(&mut authorization);
    /// assert_eq!(hash, canonical.hash());
    /// assert_eq!(authorization, b"... SignedHeaders=host;x-amz-date");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hash_appending_signed_headers(&self, out: &mut Vec<u8>) -> [u8; 32] {
        let from = out.len();
        self.write_signed_headers(out);
        let mut hasher = Sha256Stream::sha256();
        self.write_up_to_signed_headers(&mut hasher);
        hasher.put(&out[from..]);
        self.write_payload_line(&mut hasher);
        hasher.finish()
    }

    /// The canonical request as bytes, exactly as hashed. Header values that
    /// are signed appear verbatim: this can include a session token.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_to(&mut out);
        out
    }

    /// The signed headers list, `host;x-amz-date;...`.
    #[must_use]
    pub fn signed_headers(&self) -> String {
        let mut out = Vec::new();
        self.write_signed_headers(&mut out);
        // Header names were checked to be tokens, which are ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The length of [`signed_headers`](Self::signed_headers), known
    /// without writing it (to size a buffer for it).
    #[must_use]
    pub fn signed_headers_len(&self) -> usize {
        self.headers.get().signed_headers_len()
    }

    pub(crate) fn write_signed_headers<S: Sink + ?Sized>(&self, sink: &mut S) {
        let checked = self.headers.get();
        headers::write_signed_headers(sink, checked.headers, &checked.order);
    }

    pub(crate) fn write_to<S: Sink + ?Sized>(&self, sink: &mut S) {
        self.write_up_to_signed_headers(sink);
        self.write_signed_headers(sink);
        self.write_payload_line(sink);
    }

    /// Method, path, query and canonical headers lines, and the blank line
    /// after them.
    fn write_up_to_signed_headers<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(self.method.as_bytes());
        sink.put(b"\n");
        path::write_path(sink, self.path, self.normalize_path, self.uri_encoding);
        sink.put(b"\n");
        query::write_query(sink, self.query, self.own_params);
        sink.put(b"\n");
        headers::write_canonical_headers(sink, self.headers.get());
        sink.put(b"\n");
    }

    fn write_payload_line<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(b"\n");
        sink.put(self.payload_hash.as_bytes());
    }
}

/// Checked headers a canonical request checked itself, or was given.
enum Held<'a> {
    Owned(CheckedHeaders<'a>),
    Borrowed(&'a CheckedHeaders<'a>),
}

impl<'a> Held<'a> {
    fn get(&self) -> &CheckedHeaders<'a> {
        match self {
            Held::Owned(headers) => headers,
            Held::Borrowed(headers) => headers,
        }
    }
}

/// The text, with any non-UTF-8 header bytes shown as U+FFFD.
impl fmt::Display for CanonicalRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Debug for CanonicalRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may carry a session token: show names only.
        f.debug_struct("CanonicalRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &String::from_utf8_lossy(self.query))
            .field("signed_headers", &self.signed_headers())
            .field("payload_hash", self.payload_hash)
            .field("uri_encoding", &self.uri_encoding)
            .field("normalize_path", &self.normalize_path)
            .finish()
    }
}

/// A method must be an HTTP token.
pub(crate) fn check_method(method: &str) -> Result<(), SigningError> {
    if is_token(method.as_bytes()) {
        Ok(())
    } else {
        Err(SigningError::InvalidMethod {
            method: method.chars().take(64).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_method() {
        let payload = PayloadHash::of_bytes(b"");
        for method in ["", "GET /", "G\nET"] {
            assert!(matches!(
                CanonicalRequest::new(method, "/", "", &[], &payload),
                Err(SigningError::InvalidMethod { .. })
            ));
        }
    }

    #[test]
    fn streamed_hash_equals_hash_of_text() {
        let payload = PayloadHash::of_bytes(b"body");
        let headers = [("Host", &b"h"[..]), ("x-a", b" 1  2 ")];
        let c =
            CanonicalRequest::new("POST", "/a/../b c", "z=1&a=%2f", &headers, &payload).unwrap();
        let text = c.to_bytes();
        assert_eq!(
            c.hash(),
            <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(&text))
        );
        assert!(String::from_utf8(text)
            .unwrap()
            .starts_with("POST\n/b%20c\na=%2F&z=1\n"));
    }
}
