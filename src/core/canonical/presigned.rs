//! The path and query of a presigned URL, as presigning writes it: the
//! caller's parameters, then presigning's own, each encoded here as it is
//! written. Because this type writes its parameters canonical, and notes
//! whether their keys rise, the canonical query merges them with the
//! caller's without scanning them again (a session token is hundreds of
//! bytes).

use crate::core::canonical::headers::{write_signed_headers, CheckedHeaders};
use crate::core::canonical::query::OwnParam;
use crate::core::credentials::Credentials;
use crate::core::encoding::{write_encoded, Sink};
use crate::core::tuned::memo::put_encoded_token;

/// At most this many parameters are noted for merging; more are still
/// written, and then the canonical query sorts everything.
const MAX_NOTED: usize = 8;

/// A presigned URL's path and query, being built: the path, `?`, the
/// caller's parameters, then the parameters added with the `push` methods,
/// each percent-encoded as SigV4 encodes (every byte but the unreserved
/// ones).
///
/// Give it to [`CanonicalRequest::with_presign_query`]: parameters pushed
/// in rising key order are merged with the caller's as they are, without a
/// second scan. (Any order is correct; rising order is fast.)
///
/// [`CanonicalRequest::with_presign_query`]: crate::CanonicalRequest::with_presign_query
///
/// # Examples
///
/// ```
/// use sigv4::PresignQuery;
///
/// let mut query = PresignQuery::new("/status", "b=1&X-Amz-Signature=old", 64, |segment| {
///     !segment.starts_with(b"X-Amz-")
/// });
/// query.push("X-Amz-Credential", &[b"AKIDEXAMPLE", b"/", b"20150830/us-east-1"]);
/// query.push("X-Amz-Date", &[b"20150830T123600Z"]);
/// assert_eq!(
///     query.query(),
///     "b=1&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1&X-Amz-Date=20150830T123600Z"
/// );
/// assert_eq!(&query.as_str()[..8], "/status?");
/// ```
pub struct PresignQuery {
    bytes: Vec<u8>,
    query_start: usize,
    own_start: usize,
    noted: [OwnParam; MAX_NOTED],
    count: usize,
    /// Every pushed parameter is noted and their keys rise strictly.
    mergeable: bool,
}

impl PresignQuery {
    /// Starts with `path`, `?` and each non-empty segment of `query` (as it
    /// appears in the URI, without its `?`) that `keep` accepts, as it is,
    /// followed by `&`. `capacity` bytes more are reserved for the
    /// parameters to come.
    pub fn new(path: &str, query: &str, capacity: usize, keep: impl Fn(&[u8]) -> bool) -> Self {
        let mut bytes = Vec::with_capacity(path.len() + 1 + query.len() + capacity);
        bytes.put(path.as_bytes());
        bytes.put(b"?");
        let query_start = bytes.len();
        for segment in query.as_bytes().split(|&b| b == b'&') {
            if !segment.is_empty() && keep(segment) {
                bytes.put(segment);
                bytes.put(b"&");
            }
        }
        let own_start = bytes.len();
        Self {
            bytes,
            query_start,
            own_start,
            noted: [OwnParam::default(); MAX_NOTED],
            count: 0,
            mergeable: true,
        }
    }

    /// Adds `key=value`, `value` given in pieces written one after another;
    /// key and value are both percent-encoded.
    #[inline(always)]
    pub fn push(&mut self, key: &str, value: &[&[u8]]) {
        self.push_with(key, |bytes| {
            for piece in value {
                write_encoded(bytes, piece, false);
            }
        });
    }

    /// Adds `key=` and the session token of `credentials`, percent-encoded
    /// (from this thread's copy when it has one for these credentials);
    /// nothing when they have no token.
    pub fn push_session_token(&mut self, key: &str, credentials: &Credentials) {
        if let Some(token) = credentials.session_token() {
            self.push_with(key, |bytes| put_encoded_token(bytes, credentials, token));
        }
    }

    /// Adds `key=` and the signed-headers list of `headers`,
    /// percent-encoded (`;` as `%3B`).
    pub fn push_signed_headers(&mut self, key: &str, headers: &CheckedHeaders<'_>) {
        self.push_with(key, |bytes| {
            write_signed_headers(&mut Encoding(bytes), headers.headers, &headers.order);
        });
    }

    /// Writes `[&]key=` and the value `write` encodes, noting where the
    /// parameter lies. `write` must write the value percent-encoded.
    #[inline(always)]
    fn push_with(&mut self, key: &str, write: impl FnOnce(&mut Vec<u8>)) {
        if self.bytes.len() > self.own_start {
            self.bytes.put(b"&");
        }
        let at = self.bytes.len() - self.query_start;
        write_encoded(&mut self.bytes, key.as_bytes(), false);
        let eq = self.bytes.len() - self.query_start;
        self.bytes.put(b"=");
        write(&mut self.bytes);
        let end = self.bytes.len() - self.query_start;
        let param = OwnParam { key: at, eq, end };
        let query = &self.bytes[self.query_start..];
        let rises = self.count.checked_sub(1).is_none_or(|last| {
            let before = self.noted[last];
            query[before.key..before.eq] < query[param.key..param.eq]
        });
        match self.noted.get_mut(self.count) {
            Some(slot) if rises && eq > at => {
                *slot = param;
                self.count += 1;
            }
            _ => self.mergeable = false,
        }
    }

    /// The query so far, without its `?`.
    #[must_use]
    pub fn query(&self) -> &str {
        self.str_from(self.query_start)
    }

    /// The path and query so far.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.str_from(0)
    }

    /// Where the query starts in [`as_str`](Self::as_str) (after the `?`).
    #[must_use]
    pub fn query_start(&self) -> usize {
        self.query_start
    }

    /// Where the pushed parameters start in [`as_str`](Self::as_str).
    #[must_use]
    pub fn pushed_start(&self) -> usize {
        self.own_start
    }

    /// The path and query, to add more to (the signature) and send.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The query, and where its pushed parameters lie when they can be
    /// merged as they are (empty when they cannot).
    pub(in crate::core) fn parts(&self) -> (&[u8], &[OwnParam]) {
        let query = &self.bytes[self.query_start..];
        if self.mergeable {
            (query, &self.noted[..self.count])
        } else {
            (query, &[])
        }
    }

    fn str_from(&self, from: usize) -> &str {
        // The path is a `&str`; everything after it is ASCII this type
        // wrote, or segments of the caller's `&str` split at `&`.
        core::str::from_utf8(&self.bytes[from..]).unwrap_or_default()
    }
}

impl std::fmt::Debug for PresignQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // It may hold a session token.
        f.debug_struct("PresignQuery")
            .field("len", &self.bytes.len())
            .field("pushed", &self.count)
            .finish_non_exhaustive()
    }
}

/// A [`Sink`] that percent-encodes what it is given.
struct Encoding<'a>(&'a mut Vec<u8>);

impl Sink for Encoding<'_> {
    fn put(&mut self, bytes: &[u8]) {
        write_encoded(self.0, bytes, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::canonical::query::write_query;

    fn canonical(q: &PresignQuery) -> String {
        let (query, own) = q.parts();
        let mut out = Vec::new();
        write_query(&mut out, query, own);
        String::from_utf8(out).unwrap()
    }

    /// Pushed in rising order, out of order, or repeated: the canonical
    /// query is the one sorting the whole query gives.
    #[test]
    fn pushed_parameters_canonicalize_like_any_query() {
        let orders: [&[&str]; 4] = [
            &["X-Amz-A", "X-Amz-B", "X-Amz-C"],
            &["X-Amz-B", "X-Amz-A", "X-Amz-C"],
            &["X-Amz-A", "X-Amz-A", "X-Amz-C"],
            &["a", "b c", "X/Y", "Z", "z", "~", "0", "1", "2", "3"],
        ];
        for caller in ["", "z=1&a=%2f", "q=a+b&&X-Amz-Signature=x"] {
            for keys in orders {
                let mut q = PresignQuery::new("/p", caller, 0, |_| true);
                for (i, key) in keys.iter().enumerate() {
                    q.push(key, &[b"v/", i.to_string().as_bytes(), b" +"]);
                }
                let mut whole = Vec::new();
                write_query(&mut whole, q.query().as_bytes(), &[]);
                assert_eq!(canonical(&q), String::from_utf8(whole).unwrap(), "{keys:?}");
            }
        }
        let mut q = PresignQuery::new("/", "", 0, |_| true);
        q.push("X-Amz-A", &[b"1"]);
        q.push("X-Amz-B", &[b"2"]);
        assert_eq!(q.parts().1.len(), 2, "rising keys are merged as they are");
        q.push("X-Amz-A", &[b"3"]);
        assert!(q.parts().1.is_empty(), "a key that does not rise: sorted");
    }

    #[test]
    fn keeps_what_keep_accepts() {
        let q = PresignQuery::new("/a b", "x=1&&X-Amz-Date=old&y", 0, |s| {
            !s.starts_with(b"X-Amz-")
        });
        assert_eq!(q.as_str(), "/a b?x=1&y&");
        assert_eq!(q.query(), "x=1&y&");
        assert_eq!(q.query_start(), 5);
        assert_eq!(q.pushed_start(), q.as_str().len());
    }
}
