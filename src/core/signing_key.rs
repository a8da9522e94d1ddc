//! Stage 3: the signing key, and the cache that derives it once per
//! (secret, date, region, service).
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, date)
//! kRegion  = HMAC(kDate, region)
//! kService = HMAC(kRegion, service)
//! kSigning = HMAC(kService, "aws4_request")
//! ```
//!
//! Deriving costs four HMACs and a key setup; signing with a cached key
//! costs one HMAC pass. The cache has two levels: a small per-thread table read with
//! no lock and no shared atomic (the hot path), in front of one mutex-guarded
//! table that makes sure each key is derived once for all threads.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::Digest;
use zeroize::Zeroizing;

use crate::core::credentials::Credentials;
use crate::core::scope::{CredentialScope, Region, Service, TERMINATOR};
use crate::core::sha256::{hmac_key, HmacSha256, HmacStream};
use crate::core::signature::Signature;
use crate::core::string_to_sign::StringToSign;
use crate::core::tuned::memo::{forget_local_keys, with_local_key};

/// One step of the derivation: the result is the next key.
fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = hmac_key(key);
    hmac::Mac::update(&mut mac, data);
    Zeroizing::new(hmac::Mac::finalize(mac).into_bytes().into())
}

/// A derived SigV4 signing key, kept ready to sign: the two HMAC states
/// with the key already absorbed, so each signature costs one HMAC pass and
/// no key setup. `Debug` never shows it; it is zeroized on drop.
///
/// # Examples
///
/// The AWS documentation's example key derivation:
///
/// ```
/// use sigv4::{CredentialScope, Region, Service, SigningKey, SigningTime};
///
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("iam")?);
/// let key = SigningKey::derive(
///     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
///     &CredentialScope::new(&time, &region, &service),
/// );
/// assert_eq!(
///     hex::encode(key.to_bytes()),
///     "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
/// );
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    key: Zeroizing<[u8; 32]>,
    mac: HmacSha256,
}

impl SigningKey {
    /// Derives the key for a secret access key and a credential scope.
    #[must_use]
    pub fn derive(secret_access_key: &str, scope: &CredentialScope<'_>) -> Self {
        // "AWS4" + secret, without an allocation. HMAC hashes keys longer
        // than a block (64 bytes); doing that here keeps the buffer fixed.
        let secret = secret_access_key.as_bytes();
        let mut first_key = Zeroizing::new([0u8; 64]);
        let first_key: &[u8] = if 4 + secret.len() <= 64 {
            first_key[..4].copy_from_slice(b"AWS4");
            first_key[4..4 + secret.len()].copy_from_slice(secret);
            &first_key[..4 + secret.len()]
        } else {
            // HMAC would hash this long key itself; hashing "AWS4" + secret
            // here needs no buffer of the secret's length.
            let hashed = sha2::Sha256::new()
                .chain_update(b"AWS4")
                .chain_update(secret)
                .finalize();
            first_key[..32].copy_from_slice(&hashed);
            &first_key[..32]
        };
        let k_date = hmac(first_key, scope.date().as_bytes());
        let k_region = hmac(&*k_date, scope.region().as_str().as_bytes());
        let k_service = hmac(&*k_region, scope.service().as_str().as_bytes());
        let key = hmac(&*k_service, TERMINATOR.as_bytes());
        Self {
            mac: hmac_key(&*key),
            key,
        }
    }

    /// Signs a string to sign.
    #[must_use]
    pub fn sign(&self, string_to_sign: &StringToSign<'_>) -> Signature {
        let mut stream = self.stream();
        string_to_sign.write_to(&mut stream);
        Signature::from_bytes(stream.finish())
    }

    /// An HMAC under this key, ready for input.
    pub(crate) fn stream(&self) -> HmacStream {
        HmacStream::new(self.mac.clone())
    }

    /// [`sign`](Self::sign), starting from `prefix` when it holds this
    /// string to sign's first lines, and leaving them there otherwise.
    /// The caller keeps `prefix` with this key, for one scope.
    fn sign_reusing(
        &self,
        string_to_sign: &StringToSign<'_>,
        prefix: &mut Option<SignedPrefix>,
    ) -> Signature {
        let amz_date = string_to_sign.amz_bytes();
        let mut stream = match prefix {
            Some(prefix) if prefix.amz_date == *amz_date => prefix.stream.clone(),
            _ => {
                let mut stream = self.stream();
                string_to_sign.write_prefix(&mut stream);
                stream.flush();
                *prefix = Some(SignedPrefix {
                    amz_date: *amz_date,
                    stream: stream.clone(),
                });
                stream
            }
        };
        stream.update(string_to_sign.hash_hex());
        let signature = Signature::from_bytes(stream.finish());
        debug_assert_eq!(signature.as_bytes(), self.sign(string_to_sign).as_bytes());
        signature
    }

    /// HMAC-SHA256 of arbitrary bytes under this key (for chunk signatures).
    #[must_use]
    pub fn sign_bytes(&self, data: &[u8]) -> Signature {
        let mut stream = self.stream();
        stream.update(data);
        Signature::from_bytes(stream.finish())
    }

    /// The raw key. Handle with care: it signs anything for its scope's day.
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.key.clone()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

/// Where a derived key belongs: the secret's identity and the scope.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    secret_id: u64,
    date: [u8; 8],
    region: Region,
    service: Service,
}

impl Slot {
    pub(crate) fn matches(&self, secret_id: u64, scope: &CredentialScope<'_>) -> bool {
        self.secret_id == secret_id
            && self.date == *scope.date_bytes()
            && self.region == *scope.region()
            && self.service == *scope.service()
    }
}

/// A signing key's HMAC stream after a string to sign's first lines
/// (algorithm, `x-amz-date`, scope), which are the same for every request
/// signed in one second for one scope: kept per thread beside the key, so a
/// signature hashes only the canonical request's hash (one compression
/// fewer). Holds a keyed state, so it is zeroized on drop.
pub(crate) struct SignedPrefix {
    amz_date: [u8; 16],
    stream: HmacStream,
}

impl Drop for SignedPrefix {
    fn drop(&mut self) {
        self.stream.wipe();
    }
}

/// Shared entries, across all credentials and scopes of one cache.
const SHARED_ENTRIES: usize = 64;

static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// Caches derived signing keys per (secret, date, region, service), for all
/// threads. A key for a new date replaces the old date's key.
///
/// A [`Signer`](crate::Signer) owns one; SDK layers that drive the stages
/// themselves can own their own.
///
/// # Examples
///
/// ```
/// use sigv4::{CredentialScope, Credentials, Region, Service, SigningKeyCache, SigningTime};
///
/// let cache = SigningKeyCache::new();
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("neptune-db")?);
/// let scope = CredentialScope::new(&time, &region, &service);
/// let a = cache.with_key(&creds, &scope, |key| key.sign_bytes(b"x"));
/// let b = cache.with_key(&creds, &scope, |key| key.sign_bytes(b"x"));
/// assert_eq!(a, b);
/// assert_eq!(cache.derivations(), 1);
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
pub struct SigningKeyCache {
    id: u64,
    shared: Mutex<Vec<(Slot, SigningKey)>>,
    derivations: AtomicU64,
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("derivations", &self.derivations())
            .finish_non_exhaustive()
    }
}

impl SigningKeyCache {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            shared: Mutex::new(Vec::new()),
            derivations: AtomicU64::new(0),
        }
    }

    /// How many keys this cache has derived so far.
    #[must_use]
    pub fn derivations(&self) -> u64 {
        self.derivations.load(Ordering::Relaxed)
    }

    /// Runs `f` with the signing key for these credentials and scope,
    /// deriving it only if no thread has yet.
    pub fn with_key<R>(
        &self,
        credentials: &Credentials,
        scope: &CredentialScope<'_>,
        f: impl FnOnce(&SigningKey) -> R,
    ) -> R {
        self.with_entry(credentials, scope, |key, _| f(key))
    }

    /// Signs a string to sign with the cached key for these credentials and
    /// its scope. The same as [`with_key`](Self::with_key) and
    /// [`SigningKey::sign`], but faster when a thread signs many requests in
    /// one second: the string to sign's first lines are hashed once per
    /// second and scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::{CredentialScope, Credentials, Region, Service, SigningKeyCache, SigningTime, StringToSign};
    ///
    /// let cache = SigningKeyCache::new();
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    /// let time = SigningTime::parse("20150830T123600Z")?;
    /// let (region, service) = (Region::new("us-east-1")?, Service::new("iam")?);
    /// let scope = CredentialScope::new(&time, &region, &service);
    /// let mut hash = [0u8; 32];
    /// hex::decode_to_slice(
    ///     "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
    ///     &mut hash,
    /// )?;
    /// let signature = cache.sign(&creds, &StringToSign::new(&time, scope, &hash));
    /// assert_eq!(
    ///     signature.to_string(),
    ///     "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self, credentials: &Credentials, string_to_sign: &StringToSign<'_>) -> Signature {
        self.with_entry(
            credentials,
            string_to_sign.scope(),
            |key, prefix| match prefix {
                Some(prefix) => key.sign_reusing(string_to_sign, prefix),
                None => key.sign(string_to_sign),
            },
        )
    }

    /// Runs `f` with the key for these credentials and scope, and with the
    /// per-thread prefix slot kept beside it (`None` when only the shared
    /// table serves: while the thread is torn down, or in a nested call).
    fn with_entry<R>(
        &self,
        credentials: &Credentials,
        scope: &CredentialScope<'_>,
        f: impl FnOnce(&SigningKey, Option<&mut Option<SignedPrefix>>) -> R,
    ) -> R {
        let secret_id = credentials.secret_id();
        let local = with_local_key(
            self.id,
            |slot| slot.matches(secret_id, scope),
            || {
                (
                    slot_for(secret_id, scope),
                    self.shared_key(credentials, scope),
                )
            },
            f,
        );
        // The per-thread table cannot be reached (the thread is torn down,
        // or a key is used inside another's closure): the shared one serves.
        local.unwrap_or_else(|f| f(&self.shared_key(credentials, scope), None))
    }

    fn shared_key(&self, credentials: &Credentials, scope: &CredentialScope<'_>) -> SigningKey {
        let secret_id = credentials.secret_id();
        // A poisoned lock only means another thread panicked while holding
        // it; the table is still consistent (every write is a whole entry).
        let mut shared = self
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, key)) = shared
            .iter()
            .find(|(slot, _)| slot.matches(secret_id, scope))
        {
            return key.clone();
        }
        let key = SigningKey::derive(credentials.secret_access_key(), scope);
        self.derivations.fetch_add(1, Ordering::Relaxed);
        let slot = slot_for(secret_id, scope);
        // A new day's key replaces the old day's for the same secret and scope.
        shared.retain(|(old, _)| {
            !(old.secret_id == slot.secret_id
                && old.region == slot.region
                && old.service == slot.service)
        });
        if shared.len() >= SHARED_ENTRIES {
            shared.remove(0);
        }
        shared.push((slot, key.clone()));
        key
    }
}

fn slot_for(secret_id: u64, scope: &CredentialScope<'_>) -> Slot {
    Slot {
        secret_id,
        date: *scope.date_bytes(),
        region: scope.region().clone(),
        service: scope.service().clone(),
    }
}

impl Drop for SigningKeyCache {
    fn drop(&mut self) {
        // Drop this cache's keys from the current thread's table; other
        // threads' entries are replaced as those threads sign and are
        // zeroized when they go.
        forget_local_keys(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::SigningTime;

    fn scope_parts() -> (SigningTime, Region, Service) {
        (
            SigningTime::parse("20150830T123600Z").unwrap(),
            Region::new("us-east-1").unwrap(),
            Service::new("iam").unwrap(),
        )
    }

    #[test]
    fn derives_documentation_key() {
        let (t, r, s) = scope_parts();
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            &CredentialScope::new(&t, &r, &s),
        );
        assert_eq!(
            hex::encode(*key.to_bytes()),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(** redacted **)");
    }

    #[test]
    fn long_secrets_derive_like_plain_hmac() {
        let (t, r, s) = scope_parts();
        let secret = "x".repeat(200);
        let scope = CredentialScope::new(&t, &r, &s);
        let key = SigningKey::derive(&secret, &scope);
        // Reference: HMAC with the full "AWS4"+secret key.
        let full = format!("AWS4{secret}");
        let k = hmac(full.as_bytes(), b"20150830");
        let k = hmac(&*k, b"us-east-1");
        let k = hmac(&*k, b"iam");
        let k = hmac(&*k, b"aws4_request");
        assert_eq!(*key.to_bytes(), *k);
    }

    #[test]
    fn cache_derives_once_per_scope_and_replaces_old_dates() {
        let cache = SigningKeyCache::new();
        let creds = Credentials::new("AKID", "secret").unwrap();
        let (t, r, s) = scope_parts();
        let scope = CredentialScope::new(&t, &r, &s);
        for _ in 0..3 {
            cache.with_key(&creds, &scope, |_| ());
        }
        assert_eq!(cache.derivations(), 1);
        let next_day = SigningTime::parse("20150831T000000Z").unwrap();
        let scope2 = CredentialScope::new(&next_day, &r, &s);
        let k2 = cache.with_key(&creds, &scope2, |k| *k.to_bytes());
        assert_eq!(cache.derivations(), 2);
        assert_eq!(cache.shared.lock().unwrap().len(), 1);
        assert_eq!(k2, *SigningKey::derive("secret", &scope2).to_bytes());
    }

    /// The per-thread prefix is reused only for the same second, scope and
    /// key: every signature equals one from a freshly derived key.
    #[test]
    fn cached_prefixes_never_cross_seconds_scopes_or_keys() {
        let cache = SigningKeyCache::new();
        let a = Credentials::new("AKID", "secret-a").unwrap();
        let b = Credentials::new("AKID", "secret-b").unwrap();
        let times = ["20150830T123600Z", "20150830T123601Z", "20150831T123601Z"]
            .map(|t| SigningTime::parse(t).unwrap());
        let regions = ["us-east-1", "eu-west-1"].map(|r| Region::new(r).unwrap());
        let service = Service::new("neptune-db").unwrap();
        let mut checked = 0;
        // Twice over, in an order that revisits each second after others.
        for round in 0..2 {
            for (i, time) in times.iter().enumerate() {
                for region in &regions {
                    for (creds, secret) in [(&a, "secret-a"), (&b, "secret-b")] {
                        let scope = CredentialScope::new(time, region, &service);
                        let hash = [round as u8 ^ i as u8; 32];
                        let sts = StringToSign::new(time, scope, &hash);
                        let fresh = SigningKey::derive(secret, &scope).sign(&sts);
                        assert_eq!(cache.sign(creds, &sts), fresh);
                        assert_eq!(cache.sign(creds, &sts), fresh);
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 24);
    }

    /// A key used inside another key's closure (one thread signing for
    /// two scopes at once) works: the nested call is served without the
    /// thread's table, which the outer call holds.
    #[test]
    fn nested_use_on_one_thread() {
        let cache = SigningKeyCache::new();
        let creds = Credentials::new("AKID", "secret").unwrap();
        let (t, r, s) = scope_parts();
        let other = Region::new("eu-west-1").unwrap();
        let (outer, inner) = (
            CredentialScope::new(&t, &r, &s),
            CredentialScope::new(&t, &other, &s),
        );
        let sts = StringToSign::new(&t, inner, &[7; 32]);
        let (a, b) = cache.with_key(&creds, &outer, |key| {
            (*key.to_bytes(), cache.sign(&creds, &sts))
        });
        assert_eq!(a, *SigningKey::derive("secret", &outer).to_bytes());
        assert_eq!(b, SigningKey::derive("secret", &inner).sign(&sts));
        assert_eq!(cache.derivations(), 2);
    }

    #[test]
    fn threads_share_one_derivation() {
        let cache = std::sync::Arc::new(SigningKeyCache::new());
        let creds = Credentials::new("AKID", "secret").unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                let creds = creds.clone();
                std::thread::spawn(move || {
                    let (t, r, s) = scope_parts();
                    let scope = CredentialScope::new(&t, &r, &s);
                    let mut last = None;
                    for _ in 0..100 {
                        last = Some(cache.with_key(&creds, &scope, |k| *k.to_bytes()));
                    }
                    last
                })
            })
            .collect();
        let keys: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(cache.derivations(), 1);
    }
}
