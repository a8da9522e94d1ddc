//! Header signing: `x-amz-date`, `x-amz-security-token`,
//! `x-amz-content-sha256` and `authorization`.

use std::cell::RefCell;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, HOST};
use http::Request;

use super::scheme::Scheme;
use super::view::{RequestView, SigningInstructions};
use super::{check_expiry, Explanation, Signer};
use crate::core::canonical::{CanonicalRequest, CheckedHeaders, Header};
use crate::core::credentials::{Credentials, CredentialsRef};
use crate::core::encoding::Sink;
use crate::core::error::SigningError;
use crate::core::inline_vec::InlineVec;
use crate::core::payload::PayloadHash;
use crate::core::settings::{SessionTokenMode, SigningSettings};
use crate::core::signature::Signature;
use crate::core::time::SigningTime;
use crate::core::tuned::memo::{with_memo, WipedBytes};

pub(crate) const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
pub(crate) const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
pub(crate) const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// Whether the signer owns a header of this name: it writes its own value
/// and never signs one found on the request.
fn owned(name: &str, lowercase: bool, settings: &SigningSettings, extra: Option<&str>) -> bool {
    let is = |owned: &str| {
        if lowercase {
            name == owned
        } else {
            name.eq_ignore_ascii_case(owned)
        }
    };
    is("authorization")
        || is("x-amz-date")
        || is("x-amz-security-token")
        || (settings.content_sha256_header && is("x-amz-content-sha256"))
        || extra.is_some_and(is)
}

/// One header signature's inputs.
struct Job<'a, Sc> {
    signer: &'a Signer,
    scheme: &'a Sc,
    payload: &'a PayloadHash,
    credentials: &'a Credentials,
    time: &'a SigningTime,
}

/// Runs `f` on the canonical request header signing would sign for
/// `view`, with `host` added when the view has none.
fn with_canonical<R, Sc: Scheme>(
    job: &Job<'_, Sc>,
    view: &RequestView<'_>,
    host: Option<&str>,
    f: impl FnOnce(&CanonicalRequest<'_>) -> R,
) -> Result<R, SigningError> {
    let Job {
        signer,
        scheme,
        payload,
        credentials,
        time,
    } = *job;
    let settings = &signer.settings;
    let lowercase = view.names_are_lowercase();
    let token = credentials
        .session_token()
        .filter(|_| settings.session_token == SessionTokenMode::Signed);

    let mut headers: InlineVec<Header<'_>, 32> = InlineVec::new();
    // Headers the signer owns are replaced, never signed as found.
    let payload =
        &super::signed_headers(view, settings, lowercase, payload, &mut headers, |name| {
            owned(
                name,
                lowercase,
                settings,
                scheme.extra().map(|(header, _, _)| header),
            )
        })?;
    // Then the signer's own: checked with the rest (a host from a view's
    // URI authority can hold anything).
    if let Some(host) = host {
        headers.push(("host", host.as_bytes()));
    }
    headers.push(("x-amz-date", time.amz_bytes()));
    if let Some((header, _, value)) = scheme.extra() {
        headers.push((header, value.as_bytes()));
    }
    if let Some(token) = token {
        headers.push(("x-amz-security-token", token.as_bytes()));
    }
    if settings.content_sha256_header {
        headers.push(("x-amz-content-sha256", payload.as_bytes()));
    }

    let checked = CheckedHeaders::new(headers.as_slice())?;
    let mut canonical =
        CanonicalRequest::from_checked(view.method, view.path, view.query, &checked, payload)?;
    canonical.apply(settings);
    Ok(f(&canonical))
}

/// Signs `canonical` and returns the signature with its `authorization`
/// value, `<algorithm> Credential=AKID/scope, SignedHeaders=a;b,
/// Signature=hex`, built in one buffer sized for it. The signed-headers
/// list is written once, there, and hashed from there.
fn sign_canonical<Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    canonical: &CanonicalRequest<'_>,
    credentials: &Credentials,
    time: &SigningTime,
) -> (Sc::Signature, Vec<u8>) {
    let algorithm = scheme.algorithm();
    let len = algorithm.len()
        + " Credential=".len()
        + credentials.access_key_id().len()
        + 1
        + ", SignedHeaders=".len()
        + ", Signature=".len()
        + Sc::MAX_HEX
        + canonical.signed_headers_len()
        + scheme.scope_len(signer, time);
    let mut value = Vec::with_capacity(len);
    value.put(algorithm.as_bytes());
    value.put(b" Credential=");
    value.put(credentials.access_key_id().as_bytes());
    value.put(b"/");
    scheme.write_scope(signer, time, &mut value);
    value.put(b", SignedHeaders=");
    let hash = canonical.hash_appending_signed_headers(&mut value);
    let signature = scheme.sign(signer, &hash, credentials, time);
    value.put(b", Signature=");
    Sc::write_hex(&signature, &mut value);
    debug_assert!(value.len() <= len, "authorization sized for its longest");
    (signature, value)
}

/// Header signing of a view: everything computed, nothing applied.
pub(super) fn instructions<'a, Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    view: &RequestView<'a>,
    payload: &PayloadHash,
    credentials: &'a Credentials,
    time: &SigningTime,
) -> Result<SigningInstructions<'a, Sc::Signature>, SigningError> {
    check_expiry(credentials, time)?;
    let host = view.require_host()?;
    let job = Job {
        signer,
        scheme,
        payload,
        credentials,
        time,
    };
    let (signature, authorization) = with_canonical(&job, view, host, |canonical| {
        sign_canonical(signer, scheme, canonical, credentials, time)
    })?;
    Ok(SigningInstructions {
        host,
        amz_date: *time.amz_bytes(),
        security_token: credentials.session_token(),
        content_sha256: signer.settings.content_sha256_header.then_some(*payload),
        extra: scheme
            .extra()
            .map(|(header, _, value)| (header, std::sync::Arc::<str>::from(value))),
        authorization,
        signature,
    })
}

/// The `host` header value of instructions that add one.
pub(super) fn host_value(host: Option<&str>) -> Result<Option<HeaderValue>, SigningError> {
    host.map(|host| HeaderValue::from_str(host).map_err(|_| SigningError::MissingHost))
        .transpose()
}

/// The `http` values of a request's signature, ready to set: building them
/// is the last step that can fail, [`apply`](Self::apply) cannot.
pub(super) struct PreparedHeaders<S = Signature> {
    host: Option<HeaderValue>,
    amz_date: HeaderValue,
    extra: Option<(&'static str, HeaderValue)>,
    token: Option<HeaderValue>,
    content_sha256: Option<HeaderValue>,
    authorization: HeaderValue,
    signature: S,
}

impl<S: Copy> PreparedHeaders<S> {
    pub(super) fn new(
        instructions: SigningInstructions<'_, S>,
        credentials: &Credentials,
    ) -> Result<Self, SigningError> {
        let invalid = |name: &str| SigningError::InvalidHeaderValue { name: name.into() };
        let host = host_value(instructions.host)?;
        let amz_date = amz_date_value(&instructions.amz_date)?;
        let token = match instructions.security_token {
            Some(token) => Some(session_token_value(credentials, token)?),
            None => None,
        };
        let content_sha256 = match &instructions.content_sha256 {
            Some(payload) => Some(
                HeaderValue::from_str(payload.as_str())
                    .map_err(|_| invalid("x-amz-content-sha256"))?,
            ),
            None => None,
        };
        let extra = match &instructions.extra {
            Some((name, value)) => Some((
                *name,
                HeaderValue::from_str(value).map_err(|_| invalid(name))?,
            )),
            None => None,
        };
        let signature = instructions.signature;
        let mut authorization = HeaderValue::try_from(instructions.into_authorization())
            .map_err(|_| invalid("authorization"))?;
        authorization.set_sensitive(true);
        Ok(Self {
            host,
            amz_date,
            extra,
            token,
            content_sha256,
            authorization,
            signature,
        })
    }

    /// Sets the values on `request`, replacing stale copies from an
    /// earlier signature.
    pub(super) fn apply<B>(self, request: &mut Request<B>) -> S {
        let headers = request.headers_mut();
        // `insert` below replaces earlier copies of the signer's own headers
        // (a retried request); only a token the new credentials lack must go.
        if self.token.is_none() {
            headers.remove(X_AMZ_SECURITY_TOKEN);
        }
        // Grow the map at most once, not once per insert.
        let added = 2
            + usize::from(self.extra.is_some())
            + usize::from(self.host.is_some())
            + usize::from(self.token.is_some())
            + usize::from(self.content_sha256.is_some());
        headers.reserve(added);
        if let Some(host) = self.host {
            headers.insert(HOST, host);
        }
        headers.insert(X_AMZ_DATE, self.amz_date);
        if let Some((name, value)) = self.extra {
            headers.insert(HeaderName::from_static(name), value);
        }
        if let Some(token) = self.token {
            headers.insert(X_AMZ_SECURITY_TOKEN, token);
        }
        if let Some(value) = self.content_sha256 {
            headers.insert(X_AMZ_CONTENT_SHA256, value);
        }
        headers.insert(AUTHORIZATION, self.authorization);
        self.signature
    }
}

pub(super) fn sign<B, Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    request: &mut Request<B>,
    payload: &PayloadHash,
    credentials: &Credentials,
    time: &SigningTime,
) -> Result<Sc::Signature, SigningError> {
    let prepared = {
        let view = RequestView::of_http(request);
        let instructions = instructions(signer, scheme, &view, payload, credentials, time)?;
        PreparedHeaders::new(instructions, credentials)?
    };
    // Every fallible step is done: from here on the request changes.
    Ok(prepared.apply(request))
}

/// Header values that repeat from one signature to the next on a thread:
/// the `x-amz-date` of the current second and the session token of the
/// current credentials. A clone shares the bytes of the kept value, so the
/// steady state neither allocates nor re-validates a ~1 KiB token. Kept per
/// thread, so the shared reference count is not contended between cores.
/// Under the memo policy (`core::tuned::memo`): the token's bytes are
/// [`WipedBytes`], zeroized when the last clone (here or in a request) drops.
struct Reused {
    amz_date: Option<HeaderValue>,
    /// Known by the credentials it came from: no compare of the token.
    session_token: Option<(CredentialsRef, HeaderValue)>,
}

thread_local! {
    static REUSED: RefCell<Reused> = const {
        RefCell::new(Reused {
            amz_date: None,
            session_token: None,
        })
    };
}

/// The `x-amz-date` value, reused when this thread's last one is the same.
fn amz_date_value(date: &[u8; 16]) -> Result<HeaderValue, SigningError> {
    let fresh = || {
        HeaderValue::from_bytes(date).map_err(|_| SigningError::InvalidHeaderValue {
            name: "x-amz-date".into(),
        })
    };
    with_memo(&REUSED, |reused| match &reused.amz_date {
        Some(value) if value.as_bytes() == date.as_slice() => Ok(value.clone()),
        _ => {
            let value = fresh()?;
            reused.amz_date = Some(value.clone());
            Ok(value)
        }
    })
    .unwrap_or_else(fresh)
}

/// The `x-amz-security-token` value (sensitive), reused when this thread's
/// last one came from the same credentials. Its bytes are wiped when the
/// last clone of it drops.
fn session_token_value(
    credentials: &Credentials,
    token: &str,
) -> Result<HeaderValue, SigningError> {
    let fresh = || {
        let wiped = WipedBytes::copy_of(token.as_bytes());
        let mut value = HeaderValue::from_maybe_shared(Bytes::from_owner(wiped)).map_err(|_| {
            SigningError::InvalidHeaderValue {
                name: "x-amz-security-token".into(),
            }
        })?;
        value.set_sensitive(true);
        Ok(value)
    };
    with_memo(&REUSED, |reused| match &reused.session_token {
        Some((from, value)) if from.is(credentials) => Ok(value.clone()),
        _ => {
            let value = fresh()?;
            reused.session_token = Some((CredentialsRef::to(credentials), value.clone()));
            Ok(value)
        }
    })
    .unwrap_or_else(fresh)
}

pub(super) fn explain<Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    view: &RequestView<'_>,
    payload: &PayloadHash,
    credentials: &Credentials,
    time: &SigningTime,
) -> Result<Explanation<Sc::Signature>, SigningError> {
    check_expiry(credentials, time)?;
    let host = view.require_host()?;
    let job = Job {
        signer,
        scheme,
        payload,
        credentials,
        time,
    };
    with_canonical(&job, view, host, |canonical| {
        signer.explanation(scheme, canonical, credentials, time)
    })
}

#[cfg(test)]
mod tests {
    use crate::{Credentials, Signer, SigningTime};

    fn signed(signer: &Signer, creds: &Credentials, time: &str) -> (String, Option<String>) {
        let mut request = http::Request::get("https://db.example.com:8182/status")
            .body(Vec::new())
            .unwrap();
        signer
            .sign(&mut request, creds, SigningTime::parse(time).unwrap())
            .unwrap();
        let headers = request.headers();
        (
            headers["x-amz-date"].to_str().unwrap().to_owned(),
            headers
                .get("x-amz-security-token")
                .map(|v| v.to_str().unwrap().to_owned()),
        )
    }

    /// The per-thread reuse of header values never hands one signature
    /// another's date or token: not across credentials, not across times,
    /// and not when new credentials land where dropped ones were.
    #[test]
    fn reused_values_always_belong_to_this_signature() {
        let signer = Signer::neptune("us-east-1").unwrap();
        let with_token = |t: &str| {
            Credentials::new("AKID", "secret")
                .unwrap()
                .with_session_token(t)
                .unwrap()
        };
        let a = with_token("TOKEN-A");
        let b = with_token("TOKEN-B");
        let t1 = "20150830T123600Z";
        let t2 = "20150830T123601Z";
        assert_eq!(signed(&signer, &a, t1), (t1.into(), Some("TOKEN-A".into())));
        assert_eq!(signed(&signer, &b, t1), (t1.into(), Some("TOKEN-B".into())));
        assert_eq!(signed(&signer, &a, t2), (t2.into(), Some("TOKEN-A".into())));
        assert_eq!(
            signed(&signer, &a.clone(), t2),
            (t2.into(), Some("TOKEN-A".into()))
        );
        let plain = Credentials::new("AKID", "secret").unwrap();
        assert_eq!(signed(&signer, &plain, t1), (t1.into(), None));
        drop((a, b));
        // Fresh credentials, each dropped right after use, so the allocator
        // is free to hand out the same addresses again.
        for i in 0..200 {
            let token = format!("TOKEN-{i}");
            let creds = with_token(&token);
            assert_eq!(signed(&signer, &creds, t1).1, Some(token));
        }
    }

    /// The reused token value is wiped, under the memo policy: once other
    /// credentials replace it on this thread and the request that carried
    /// it is dropped, its bytes are zeroized (before, an `http` value kept
    /// them until the allocator reused the memory).
    #[test]
    fn the_reused_token_value_is_wiped_when_its_last_copy_goes() {
        use crate::core::tuned::memo::tests::wiped;
        std::thread::spawn(|| {
            let signer = Signer::neptune("us-east-1").unwrap();
            let time = SigningTime::parse("20150830T123600Z").unwrap();
            let with_token = |t: &str| {
                Credentials::new("AKID", "secret")
                    .unwrap()
                    .with_session_token(t)
                    .unwrap()
            };
            let (a, b) = (with_token("TOKEN-A"), with_token("TOKEN-B"));
            let mut request = http::Request::get("https://db.example.com:8182/status")
                .body(Vec::new())
                .unwrap();
            let before = wiped();
            signer.sign(&mut request, &a, time).unwrap();
            // Replaced in the memo, but the request still holds a copy.
            signed(&signer, &b, "20150830T123600Z");
            assert_eq!(wiped(), before);
            drop(request);
            assert_eq!(wiped(), before + 1);
        })
        .join()
        .unwrap();
    }
}
