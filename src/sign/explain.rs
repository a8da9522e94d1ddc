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
    pub(crate) fn new(
        canonical_request: Vec<u8>,
        string_to_sign: String,
        signature: S,
        session_token: Option<&str>,
    ) -> Self {
        let redacted = redacted_text(&canonical_request, session_token);
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

/// A canonical request as text, with the session token (as it is, and
/// percent-encoded) replaced by `<redacted>`.
pub(crate) fn redacted_text(canonical_request: &[u8], session_token: Option<&str>) -> String {
    let mut redacted = String::from_utf8_lossy(canonical_request).into_owned();
    if let Some(token) = session_token {
        redacted = redacted.replace(token, "<redacted>");
        let mut encoded = Vec::new();
        crate::core::encoding::write_encoded(&mut encoded, token.as_bytes(), false);
        if let Ok(encoded) = String::from_utf8(encoded) {
            redacted = redacted.replace(&encoded, "<redacted>");
        }
    }
    redacted
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
