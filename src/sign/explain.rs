//! Explaining a signature: the canonical request and string to sign as
//! text, produced by the same writers that feed the hasher.

use std::fmt;

use crate::core::signature::Signature;

/// What a signature was computed over, for diffing against a server.
///
/// [`canonical_request`](Self::canonical_request) gives the exact bytes
/// hashed, which include the session token when it is signed. `Display` and
/// `Debug` show the same text with the token replaced by `<redacted>`, so an
/// explanation can be logged.
///
/// `S` is the signature's type: [`Signature`] for SigV4, `EcdsaSignature`
/// for SigV4a.
#[derive(Clone)]
pub struct Explanation<S = Signature> {
    canonical_request: Vec<u8>,
    redacted_canonical_request: String,
    string_to_sign: String,
    signature: S,
}

impl<S: Copy + fmt::Display + fmt::Debug> Explanation<S> {
    pub(crate) fn new(canonical_request: Vec<u8>, string_to_sign: String, signature: S) -> Self {
        let redacted = redacted_text(&canonical_request);
        Self {
            canonical_request,
            redacted_canonical_request: redacted,
            string_to_sign,
            signature,
        }
    }

    /// The exact canonical request bytes that were hashed. May contain the
    /// session token.
    #[must_use]
    pub fn canonical_request(&self) -> &[u8] {
        &self.canonical_request
    }

    /// The canonical request as text (non-UTF-8 bytes shown as U+FFFD), with
    /// the session token replaced by `<redacted>`.
    #[must_use]
    pub fn canonical_request_text(&self) -> &str {
        &self.redacted_canonical_request
    }

    /// The string to sign (holds no secret).
    #[must_use]
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The signature.
    #[must_use]
    pub fn signature(&self) -> S {
        self.signature
    }
}

/// A canonical request as text, with the session token replaced by
/// `<redacted>` where a canonical request carries it: the value of the
/// `x-amz-security-token` header line and of the `X-Amz-Security-Token`
/// query parameter. Only those places are touched, so a token that happens
/// to match other text (a header name, a path) leaves it alone.
/// The token itself is not needed: the positions are redacted whatever
/// they hold.
pub(crate) fn redacted_text(canonical_request: &[u8]) -> String {
    let text = String::from_utf8_lossy(canonical_request);
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i == 2 {
            out.push_str(&redacted_query(line));
        } else if i > 2 && line.starts_with("x-amz-security-token:") {
            out.push_str("x-amz-security-token:<redacted>");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// A canonical query with the `X-Amz-Security-Token` value redacted.
fn redacted_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("X-Amz-Security-Token", _)) => "X-Amz-Security-Token=<redacted>".into(),
            _ => std::borrow::Cow::Borrowed(pair),
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl<S: fmt::Display> fmt::Display for Explanation<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "canonical request:\n{}\n\nstring to sign:\n{}\n\nsignature: {}",
            self.redacted_canonical_request, self.string_to_sign, self.signature
        )
    }
}

impl<S: fmt::Debug> fmt::Debug for Explanation<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explanation")
            .field("canonical_request", &self.redacted_canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &self.signature)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_text;

    /// Only the token's own places are redacted: a short token that also
    /// spells part of a header name leaves the name alone.
    #[test]
    fn redaction_touches_only_the_token_places() {
        let canonical = b"GET\n/tok\nX-Amz-Date=1&X-Amz-Security-Token=tok%2F1\nhost:h\nx-amz-security-token:tok\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD";
        assert_eq!(
            redacted_text(canonical),
            "GET\n/tok\nX-Amz-Date=1&X-Amz-Security-Token=<redacted>\nhost:h\nx-amz-security-token:<redacted>\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
        );
    }
}
