//! The credentials the signer needs, as plain data: an access key id, a
//! secret access key, and for temporary credentials a session token and an
//! expiry. Finding them (environment, files, processes, the network) is the
//! `credentials` module's work, outside the core.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::core::error::InvalidInput;
use crate::core::time::SigningTime;

/// Gives every distinct secret an identity, so derived signing keys can be
/// cached by it without keeping extra copies of the secret around.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An access key id, a secret access key, and for temporary credentials a
/// session token and an expiry.
///
/// Cloning is cheap (one reference count). `Debug` never shows the secret
/// or the token, and both are zeroized when the last clone is dropped.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sigv4::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?
///     .with_session_token("FwoGZXIvYXdzEXAMPLE")?
///     .with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000));
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// let shown = format!("{creds:?}");
/// assert!(!shown.contains("EXAMPLEKEY") && !shown.contains("FwoG"));
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone)]
pub struct Credentials(Arc<Inner>);

struct Inner {
    id: u64,
    access_key_id: Box<str>,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expiry: Option<SystemTime>,
}

/// Which credentials something was made from, without keeping them alive:
/// a weak reference, so their address cannot be reused by other
/// credentials while it is held, and their secrets are still zeroized and
/// freed when the last [`Credentials`] clone goes. Credentials never change
/// once built, so the same address means the same token.
pub(crate) struct CredentialsRef(std::sync::Weak<Inner>);

impl CredentialsRef {
    pub(crate) fn to(credentials: &Credentials) -> Self {
        Self(Arc::downgrade(&credentials.0))
    }

    /// True for clones of the credentials this was made from.
    pub(crate) fn is(&self, credentials: &Credentials) -> bool {
        std::ptr::eq(self.0.as_ptr(), Arc::as_ptr(&credentials.0))
    }
}

fn is_visible_ascii(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

impl Credentials {
    /// Long-term credentials: an access key id and a secret access key.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::AccessKeyId`] unless the id is visible ASCII without
    /// `/`, `,` or `=` (the separators of the `Authorization` header's
    /// `Credential=ID/...,` and of the credential scope: an id holding one
    /// signs requests no server can read back);
    /// [`InvalidInput::SecretKey`] if the secret is empty.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Result<Self, InvalidInput> {
        let access_key_id = access_key_id.into();
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        if !is_visible_ascii(&access_key_id) || access_key_id.contains(['/', ',', '=']) {
            return Err(InvalidInput::AccessKeyId);
        }
        if secret_access_key.is_empty() {
            return Err(InvalidInput::SecretKey);
        }
        Ok(Self(Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            access_key_id: access_key_id.into_boxed_str(),
            secret_access_key,
            session_token: None,
            expiry: None,
        })))
    }

    /// Adds the session token of temporary credentials.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::SessionToken`] unless the token is visible ASCII.
    pub fn with_session_token(self, token: impl Into<String>) -> Result<Self, InvalidInput> {
        let token = Zeroizing::new(token.into());
        if !is_visible_ascii(&token) {
            return Err(InvalidInput::SessionToken);
        }
        Ok(self.rebuild(|inner| inner.session_token = Some(token)))
    }

    /// Sets when the credentials stop working.
    #[must_use]
    pub fn with_expiry(self, expiry: SystemTime) -> Self {
        self.rebuild(|inner| inner.expiry = Some(expiry))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            id: self.0.id,
            access_key_id: self.0.access_key_id.clone(),
            secret_access_key: self.0.secret_access_key.clone(),
            session_token: self.0.session_token.clone(),
            expiry: self.0.expiry,
        };
        change(&mut inner);
        Self(Arc::new(inner))
    }

    /// The access key id (not secret: it is sent in every request).
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    /// The secret access key. Handle with care: never log it.
    #[must_use]
    pub fn secret_access_key(&self) -> &str {
        &self.0.secret_access_key
    }

    /// The session token of temporary credentials.
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.0.session_token.as_deref().map(String::as_str)
    }

    /// When the credentials expire, if they do.
    #[must_use]
    pub fn expiry(&self) -> Option<SystemTime> {
        self.0.expiry
    }

    /// Whether the credentials have expired at `time`.
    #[must_use]
    pub fn is_expired_at(&self, time: &SigningTime) -> bool {
        self.expiry_unix()
            .is_some_and(|expiry| expiry <= time.unix_seconds())
    }

    /// The expiry as Unix seconds (saturating), for comparisons and errors.
    pub(crate) fn expiry_unix(&self) -> Option<i64> {
        self.0
            .expiry
            .map(|e| match e.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
            })
    }

    /// Identity of the secret, for caching derived keys.
    pub(crate) fn secret_id(&self) -> u64 {
        self.0.id
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id())
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.0.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiry", &self.0.expiry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_inputs() {
        assert_eq!(
            Credentials::new("", "s").unwrap_err(),
            InvalidInput::AccessKeyId
        );
        assert_eq!(
            Credentials::new("A/B", "s").unwrap_err(),
            InvalidInput::AccessKeyId
        );
        // Whatever would split `Credential=ID/DATE/...,` differently on
        // the server, and whitespace or control characters.
        for id in [
            "A B", "AK,ID", "AK=ID", "AKID,", "=", "A\tB", "A\nB", "A\u{7f}", "AKÉ",
        ] {
            assert_eq!(
                Credentials::new(id, "s").unwrap_err(),
                InvalidInput::AccessKeyId,
                "{id:?}"
            );
        }
        for id in ["AKIDEXAMPLE", "ASIA-x_y.z~+!*", "a"] {
            assert!(Credentials::new(id, "s").is_ok(), "{id}");
        }
        assert_eq!(
            Credentials::new("AKID", "").unwrap_err(),
            InvalidInput::SecretKey
        );
        let c = Credentials::new("AKID", "secret").unwrap();
        assert_eq!(
            c.clone().with_session_token("bad token").unwrap_err(),
            InvalidInput::SessionToken
        );
        assert_eq!(
            c.clone().with_session_token("").unwrap_err(),
            InvalidInput::SessionToken
        );
    }

    #[test]
    fn same_secret_keeps_identity_across_additions() {
        let c = Credentials::new("AKID", "secret").unwrap();
        let with_token = c.clone().with_session_token("tok").unwrap();
        assert_eq!(c.secret_id(), with_token.secret_id());
        assert_ne!(
            c.secret_id(),
            Credentials::new("AKID", "secret").unwrap().secret_id()
        );
    }

    #[test]
    fn expiry_is_checked_at_the_signing_time() {
        let t = SigningTime::from_unix(1000).unwrap();
        let c = Credentials::new("AKID", "secret").unwrap();
        assert!(!c.is_expired_at(&t));
        let at = |s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s);
        assert!(c.clone().with_expiry(at(1000)).is_expired_at(&t));
        assert!(!c.with_expiry(at(1001)).is_expired_at(&t));
    }
}
