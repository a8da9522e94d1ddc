//! Query signing (presigned URLs): `X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, optionally
//! `X-Amz-Security-Token`, and last `X-Amz-Signature`.

use std::time::Duration;

use http::header::{Entry, AUTHORIZATION, HOST};
use http::uri::PathAndQuery;
use http::{Request, Uri};

use super::headers::{host_value, X_AMZ_SECURITY_TOKEN};
use super::scheme::Scheme;
use super::view::{PresignInstructions, RequestView};
use super::{check_expiry, Explanation, Signer, MAX_PRESIGN_EXPIRY};
use crate::core::canonical::{CanonicalRequest, CheckedHeaders, Header, PresignQuery};
use crate::core::credentials::Credentials;
use crate::core::encoding::Sink;
use crate::core::error::{InvalidInput, SigningError};
use crate::core::inline_vec::InlineVec;
use crate::core::payload::PayloadHash;
use crate::core::settings::SessionTokenMode;
use crate::core::time::SigningTime;
use crate::core::tuned::memo::put_encoded_token;

/// Query parameters a presign owns; copies from an earlier presign are
/// dropped so a URL can be presigned again.
const OWNED_PARAMS: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Region-Set",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

fn is_owned_param(segment: &[u8]) -> bool {
    let key = segment.split(|&b| b == b'=').next().unwrap_or_default();
    OWNED_PARAMS
        .iter()
        .any(|p| p.as_bytes().eq_ignore_ascii_case(key))
}

/// Expiry as whole seconds within 1..=604800.
fn expiry_seconds(expires_in: Duration) -> Result<u64, InvalidInput> {
    let seconds = expires_in.as_secs();
    if seconds == 0 || expires_in > MAX_PRESIGN_EXPIRY {
        return Err(InvalidInput::Expires { seconds });
    }
    Ok(seconds)
}

/// One presign's inputs.
struct Presign<'a, Sc> {
    signer: &'a Signer,
    scheme: &'a Sc,
    payload: &'a PayloadHash,
    credentials: &'a Credentials,
    time: &'a SigningTime,
    /// `X-Amz-Expires`, checked to be in 1..=604800.
    seconds: u64,
}

impl<'a, Sc: Scheme> Presign<'a, Sc> {
    fn new(
        signer: &'a Signer,
        scheme: &'a Sc,
        payload: &'a PayloadHash,
        credentials: &'a Credentials,
        time: &'a SigningTime,
        expires_in: Duration,
    ) -> Result<Self, SigningError> {
        let seconds = expiry_seconds(expires_in)?;
        check_expiry(credentials, time)?;
        Ok(Self {
            signer,
            scheme,
            payload,
            credentials,
            time,
            seconds,
        })
    }

    /// Builds the new path-and-query with every `X-Amz-*` parameter except
    /// the signature, and runs `f` on the canonical request over it, with
    /// `host` added when the view has none.
    fn with_canonical<R>(
        &self,
        view: &RequestView<'_>,
        host: Option<&str>,
        f: impl FnOnce(&CanonicalRequest<'_>) -> R,
    ) -> Result<(R, PresignQuery), SigningError> {
        let Self {
            signer,
            scheme,
            payload,
            credentials,
            time,
            seconds,
        } = *self;
        let settings = &signer.settings;
        let lowercase = view.names_are_lowercase();

        let mut headers: InlineVec<Header<'_>, 32> = InlineVec::new();
        let payload =
            &super::signed_headers(view, settings, lowercase, payload, &mut headers, |_| false)?;
        if let Some(host) = host {
            headers.push(("host", host.as_bytes()));
        }

        let path = match view.path {
            "" => "/",
            path => path,
        };
        let checked = CheckedHeaders::new(headers.as_slice())?;
        let mut canonical =
            CanonicalRequest::from_checked(view.method, path, "", &checked, payload)?;
        canonical.apply(settings);

        let token_len = credentials.session_token().map_or(0, str::len);
        let mut query = PresignQuery::new(path, view.query, 320 + 3 * token_len, |segment| {
            !is_owned_param(segment)
        });
        // In sorted order, so canonicalization merges them with the
        // caller's as they are.
        query.push("X-Amz-Algorithm", &[scheme.algorithm().as_bytes()]);
        let scope = scheme.scope_parts(signer, time);
        let mut credential: InlineVec<&[u8], 10> = InlineVec::new();
        credential.push(credentials.access_key_id().as_bytes());
        for part in scope.iter() {
            credential.push(b"/");
            credential.push(part.as_bytes());
        }
        query.push("X-Amz-Credential", credential.as_slice());
        query.push("X-Amz-Date", &[time.amz_bytes()]);
        let mut digits = [0u8; 20];
        query.push("X-Amz-Expires", &[decimal(seconds, &mut digits)]);
        if let Some((_, param, value)) = scheme.extra() {
            query.push(param, &[value.as_bytes()]);
        }
        if settings.session_token == SessionTokenMode::Signed {
            query.push_session_token("X-Amz-Security-Token", credentials);
        }
        query.push_signed_headers("X-Amz-SignedHeaders", &checked);

        let result = f(&canonical.with_presign_query(&query));
        Ok((result, query))
    }
}

/// `n` in decimal, written into `digits` without allocating a `String`.
fn decimal(n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[at..]
}

/// Presigning of a view: everything computed, nothing applied.
pub(super) fn instructions<'a, Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    view: &RequestView<'a>,
    payload: &PayloadHash,
    credentials: &Credentials,
    time: &SigningTime,
    expires_in: Duration,
) -> Result<PresignInstructions<'a, Sc::Signature>, SigningError> {
    let presign = Presign::new(signer, scheme, payload, credentials, time, expires_in)?;
    let host = view.require_host()?;
    let (signature, query) = presign.with_canonical(view, host, |canonical| {
        scheme.sign(signer, &canonical.hash(), credentials, time)
    })?;
    let (query_start, own_start) = (query.query_start(), query.pushed_start());
    let mut pq = query.into_bytes();
    pq.put(b"&X-Amz-Signature=");
    Sc::write_hex(&signature, &mut pq);
    if let (Some(token), SessionTokenMode::AddedAfterSigning) =
        (credentials.session_token(), signer.settings.session_token)
    {
        pq.put(b"&X-Amz-Security-Token=");
        put_encoded_token(&mut pq, credentials, token);
    }
    Ok(PresignInstructions {
        path_and_query: pq,
        query_start,
        own_start,
        host,
        signature,
    })
}

pub(super) fn presign<B, Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    request: &mut Request<B>,
    payload: &PayloadHash,
    credentials: &Credentials,
    time: &SigningTime,
    expires_in: Duration,
) -> Result<Sc::Signature, SigningError> {
    let (uri, host, signature) = {
        let view = RequestView::of_http(request);
        let instructions = instructions(
            signer,
            scheme,
            &view,
            payload,
            credentials,
            time,
            expires_in,
        )?;
        let invalid = |e: &dyn std::fmt::Display| SigningError::InvalidUri {
            reason: e.to_string(),
        };
        let host = host_value(instructions.host())?;
        let signature = instructions.signature();
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = Some(
            PathAndQuery::try_from(instructions.into_path_and_query()).map_err(|e| invalid(&e))?,
        );
        (
            Uri::from_parts(parts).map_err(|e| invalid(&e))?,
            host,
            signature,
        )
    };

    // Every fallible step is done: from here on the request changes.
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    if let Some(host) = host {
        headers.insert(HOST, host);
    }
    // Presigning leaves the caller's headers as they are, but credentials
    // the caller put in them must not show up in logs either.
    for name in [AUTHORIZATION, X_AMZ_SECURITY_TOKEN] {
        if let Entry::Occupied(mut entry) = headers.entry(name) {
            entry.iter_mut().for_each(|v| v.set_sensitive(true));
        }
    }
    Ok(signature)
}

pub(super) fn explain<Sc: Scheme>(
    signer: &Signer,
    scheme: &Sc,
    view: &RequestView<'_>,
    payload: &PayloadHash,
    credentials: &Credentials,
    time: &SigningTime,
    expires_in: Duration,
) -> Result<Explanation<Sc::Signature>, SigningError> {
    let presign = Presign::new(signer, scheme, payload, credentials, time, expires_in)?;
    let host = view.require_host()?;
    presign
        .with_canonical(view, host, |canonical| {
            signer.explanation(scheme, canonical, credentials, time)
        })
        .map(|(explanation, _)| explanation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-thread copy of the encoded token never goes to a presign
    /// with other credentials, also when new credentials land where
    /// dropped ones were.
    #[test]
    fn encoded_token_always_belongs_to_these_credentials() {
        let signer = crate::Signer::neptune("us-east-1").unwrap();
        let time = SigningTime::parse("20150830T123600Z").unwrap();
        let token_in = |creds: &Credentials| {
            let mut request = http::Request::get("https://db.example.com:8182/status?a=1")
                .body(Vec::new())
                .unwrap();
            signer
                .presign(&mut request, creds, time, Duration::from_secs(60))
                .unwrap();
            let query = request.uri().query().unwrap().to_owned();
            query
                .split('&')
                .find_map(|p| p.strip_prefix("X-Amz-Security-Token="))
                .map(str::to_owned)
        };
        let with_token = |t: &str| {
            Credentials::new("AKID", "secret")
                .unwrap()
                .with_session_token(t)
                .unwrap()
        };
        let (a, b) = (with_token("A/+="), with_token("B"));
        assert_eq!(token_in(&a).as_deref(), Some("A%2F%2B%3D"));
        assert_eq!(token_in(&b).as_deref(), Some("B"));
        assert_eq!(token_in(&a.clone()).as_deref(), Some("A%2F%2B%3D"));
        assert_eq!(token_in(&Credentials::new("AKID", "secret").unwrap()), None);
        drop((a, b));
        for i in 0..200 {
            assert_eq!(
                token_in(&with_token(&format!("T{i}"))),
                Some(format!("T{i}"))
            );
        }
    }

    #[test]
    fn decimal_digits() {
        for n in [0, 1, 9, 10, 900, 3600, 604_800, u64::MAX] {
            let mut digits = [0u8; 20];
            assert_eq!(decimal(n, &mut digits), n.to_string().as_bytes());
        }
    }

    #[test]
    fn expiry_bounds() {
        assert!(expiry_seconds(Duration::ZERO).is_err());
        assert!(expiry_seconds(Duration::from_millis(999)).is_err());
        assert_eq!(expiry_seconds(Duration::from_secs(1)).unwrap(), 1);
        assert_eq!(
            expiry_seconds(Duration::from_secs(604_800)).unwrap(),
            604_800
        );
        assert!(expiry_seconds(Duration::from_millis(604_800_001)).is_err());
        assert!(expiry_seconds(Duration::MAX).is_err());
    }

    #[test]
    fn owned_params_match_by_key() {
        assert!(is_owned_param(b"X-Amz-Signature=abc"));
        assert!(is_owned_param(b"x-amz-date"));
        assert!(!is_owned_param(b"X-Amz-Meta=1"));
        assert!(!is_owned_param(b"query=X-Amz-Date"));
    }
}
