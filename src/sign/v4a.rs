//! The SigV4a signer (feature `sigv4a`): [`SigV4aSigner`], on the same
//! header signer, presigner and explain as SigV4 (`sign::scheme`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Request;

use super::scheme::V4a;
use super::view::{PresignInstructions, RequestView, SigningInstructions};
use super::{headers, presign, Explanation, SignatureLocation, Signer};
use crate::core::credentials::Credentials;
use crate::core::error::SigningError;
use crate::core::payload::{Payload, PayloadHash};
use crate::core::scope::{Region, Service};
use crate::core::settings::SigningSettings;
use crate::core::sigv4a::{EcdsaKey, EcdsaSignature, RegionSet};
use crate::core::time::SigningTime;

/// Keys kept per cache: a key depends on the credentials only.
const KEYS_KEPT: usize = 16;

/// Signs requests with SigV4a (`AWS4-ECDSA-P256-SHA256`) for a set of
/// regions: the same settings, payload modes, checks and all-or-nothing
/// rule as [`Signer`], and the header `x-amz-region-set` (or the
/// `X-Amz-Region-Set` parameter) signed with the rest. Keys are derived
/// once per credentials and kept (zeroized when dropped).
///
/// # Examples
///
/// ```
/// use sigv4::{Credentials, RegionSet, Service, SigV4aSigner, SigningTime};
///
/// let signer = SigV4aSigner::new(Service::new("s3")?, RegionSet::new("us-east-1,us-west-2")?);
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let mut request = http::Request::get("https://mrap.accesspoint.s3-global.amazonaws.com/key")
///     .body(Vec::new())?;
/// let signature = signer.sign(&mut request, &creds, SigningTime::parse("20150830T123600Z")?)?;
/// let headers = request.headers();
/// assert_eq!(headers["x-amz-region-set"], "us-east-1,us-west-2");
/// assert!(headers["authorization"].to_str()?.starts_with(
///     "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/s3/aws4_request, \
///      SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=30"));
/// assert!(signature.to_hex().starts_with("30"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SigV4aSigner {
    /// Settings and service; its region is never signed (SigV4a scopes
    /// have none) and its HMAC key cache is not used.
    signer: Signer,
    region_set: RegionSet,
    keys: Arc<Mutex<Vec<(u64, EcdsaKey)>>>,
}

impl SigV4aSigner {
    /// A signer for `service` and the regions of `region_set`, with default
    /// settings.
    #[must_use]
    pub fn new(service: Service, region_set: RegionSet) -> Self {
        // Any valid name: SigV4a never writes the signer's region.
        let region = Region::new("aws-global").unwrap_or_else(|_| unreachable!("a valid name"));
        Self {
            signer: Signer::new(region, service),
            region_set,
            keys: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Replaces the settings.
    #[must_use]
    pub fn with_settings(mut self, settings: SigningSettings) -> Self {
        self.signer = self.signer.with_settings(settings);
        self
    }

    /// The region set signed.
    #[must_use]
    pub fn region_set(&self) -> &RegionSet {
        &self.region_set
    }

    /// The service signed for.
    #[must_use]
    pub fn service(&self) -> &Service {
        self.signer.service()
    }

    /// The SigV4a key of `credentials`, derived once and kept.
    #[must_use]
    pub fn key(&self, credentials: &Credentials) -> EcdsaKey {
        let id = credentials.secret_id();
        // A poisoned lock only means another thread panicked holding it;
        // every entry is written whole.
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, key)) = keys.iter().find(|(k, _)| *k == id) {
            return key.clone();
        }
        let key = EcdsaKey::derive(credentials.access_key_id(), credentials.secret_access_key());
        if keys.len() >= KEYS_KEPT {
            keys.remove(0);
        }
        keys.push((id, key.clone()));
        key
    }

    fn with_scheme<R>(&self, credentials: &Credentials, f: impl FnOnce(&V4a<'_>) -> R) -> R {
        let key = self.key(credentials);
        f(&V4a {
            region_set: &self.region_set,
            key: &key,
        })
    }

    /// Signs `request` by the `Authorization` header, hashing its body.
    ///
    /// # Errors
    ///
    /// As for [`Signer::sign`]; on error the request is unchanged.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<EcdsaSignature, SigningError> {
        let payload = PayloadHash::of_bytes(request.body().as_ref());
        self.sign_hashed(request, &payload, credentials, time)
    }

    /// Like [`sign`](Self::sign), with the payload given explicitly.
    ///
    /// # Errors
    ///
    /// As for [`Signer::sign_with_payload`].
    pub fn sign_with_payload<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<EcdsaSignature, SigningError> {
        self.sign_hashed(request, &payload.hash()?, credentials, time)
    }

    fn sign_hashed<B>(
        &self,
        request: &mut Request<B>,
        payload: &PayloadHash,
        credentials: &Credentials,
        time: SigningTime,
    ) -> Result<EcdsaSignature, SigningError> {
        self.with_scheme(credentials, |scheme| {
            headers::sign(&self.signer, scheme, request, payload, credentials, &time)
        })
    }

    /// Presigns `request` (the `X-Amz-*` parameters, `X-Amz-Region-Set`
    /// among them, added to its URI), hashing its body.
    ///
    /// # Errors
    ///
    /// As for [`Signer::presign`].
    pub fn presign<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<EcdsaSignature, SigningError> {
        let payload = PayloadHash::of_bytes(request.body().as_ref());
        self.presign_hashed(request, &payload, credentials, time, expires_in)
    }

    /// Like [`presign`](Self::presign), with the payload given explicitly.
    ///
    /// # Errors
    ///
    /// As for [`Signer::presign_with_payload`].
    pub fn presign_with_payload<B>(
        &self,
        request: &mut Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<EcdsaSignature, SigningError> {
        self.presign_hashed(request, &payload.hash()?, credentials, time, expires_in)
    }

    fn presign_hashed<B>(
        &self,
        request: &mut Request<B>,
        payload: &PayloadHash,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<EcdsaSignature, SigningError> {
        self.with_scheme(credentials, |scheme| {
            presign::presign(
                &self.signer,
                scheme,
                request,
                payload,
                credentials,
                &time,
                expires_in,
            )
        })
    }

    /// Header signing of a [`RequestView`]: what to add, applied to
    /// nothing.
    ///
    /// # Errors
    ///
    /// As for [`Signer::sign_view`].
    pub fn sign_view<'a>(
        &self,
        view: &RequestView<'a>,
        payload: Payload<'_>,
        credentials: &'a Credentials,
        time: SigningTime,
    ) -> Result<SigningInstructions<'a, EcdsaSignature>, SigningError> {
        let payload = payload.hash()?;
        self.with_scheme(credentials, |scheme| {
            headers::instructions(&self.signer, scheme, view, &payload, credentials, &time)
        })
    }

    /// Presigning of a [`RequestView`]: the new path and query.
    ///
    /// # Errors
    ///
    /// As for [`Signer::presign_view`].
    pub fn presign_view<'a>(
        &self,
        view: &RequestView<'a>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        expires_in: Duration,
    ) -> Result<PresignInstructions<'a, EcdsaSignature>, SigningError> {
        let payload = payload.hash()?;
        self.with_scheme(credentials, |scheme| {
            presign::instructions(
                &self.signer,
                scheme,
                view,
                &payload,
                credentials,
                &time,
                expires_in,
            )
        })
    }

    /// The canonical request and string to sign `request` would be signed
    /// over, and the signature.
    ///
    /// # Errors
    ///
    /// As for [`Signer::explain`].
    pub fn explain<B>(
        &self,
        request: &Request<B>,
        payload: Payload<'_>,
        credentials: &Credentials,
        time: SigningTime,
        location: SignatureLocation,
    ) -> Result<Explanation<EcdsaSignature>, SigningError> {
        let payload = payload.hash()?;
        let view = RequestView::of_http(request);
        self.with_scheme(credentials, |scheme| match location {
            SignatureLocation::Header => {
                headers::explain(&self.signer, scheme, &view, &payload, credentials, &time)
            }
            SignatureLocation::Query { expires } => presign::explain(
                &self.signer,
                scheme,
                &view,
                &payload,
                credentials,
                &time,
                Duration::from_secs(expires),
            ),
        })
    }
}
