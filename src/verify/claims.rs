//! What a signed request claims: algorithm, credential, date, signed
//! headers, signature, and for presigned URLs the expiry and token. Parsed
//! from the `Authorization` header or from the `X-Amz-*` query parameters.

use std::borrow::Cow;

use http::header::AUTHORIZATION;
use http::Request;

use super::VerifyError;
use crate::encoding::Decoded;
use crate::signing_time::SigningTime;
use crate::string_to_sign::ALGORITHM;

/// Where the signature came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// The `X-Amz-*` query parameters of a presigned URL.
    Query {
        /// `X-Amz-Expires`, in seconds.
        expires: u64,
    },
}

/// The parsed claims of a signed request.
#[derive(Debug)]
pub(crate) struct Claims<'r> {
    pub(crate) location: SignatureLocation,
    pub(crate) access_key_id: String,
    pub(crate) scope_date: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) time: SigningTime,
    pub(crate) signed_headers: Cow<'r, str>,
    pub(crate) signature: Cow<'r, str>,
    /// The query with `X-Amz-Signature` removed (presigned URLs only).
    pub(crate) signed_query: Option<String>,
    /// `X-Amz-Security-Token` from the query (presigned URLs only).
    pub(crate) query_token: Option<String>,
}

fn decode(bytes: &str) -> Cow<'_, str> {
    if !bytes.contains('%') {
        return Cow::Borrowed(bytes);
    }
    let decoded: Vec<u8> = Decoded::new(bytes.as_bytes()).collect();
    match String::from_utf8(decoded) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// `AKID/20150830/us-east-1/service/aws4_request` into its four values.
fn split_credential(credential: &str) -> Result<[String; 4], VerifyError> {
    let malformed = || VerifyError::IncompleteSignature {
        reason: "the credential is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request",
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [id, date, region, service, terminator] = parts[..] else {
        return Err(malformed());
    };
    if terminator != "aws4_request" || id.is_empty() || date.len() != 8 {
        return Err(malformed());
    }
    Ok([id.into(), date.into(), region.into(), service.into()])
}

fn parse_time(text: &str) -> Result<SigningTime, VerifyError> {
    if text.len() != 16 {
        return Err(VerifyError::IncompleteSignature {
            reason: "the date is not in the form 20150830T123600Z",
        });
    }
    SigningTime::parse(text).map_err(|_| VerifyError::IncompleteSignature {
        reason: "the date is not in the form 20150830T123600Z",
    })
}

pub(crate) fn parse<B>(request: &Request<B>) -> Result<Claims<'_>, VerifyError> {
    if let Some(value) = request.headers().get(AUTHORIZATION) {
        return parse_header(request, value.as_bytes());
    }
    let query = request.uri().query().unwrap_or("");
    let has_presign = query
        .split('&')
        .any(|p| p.split('=').next() == Some("X-Amz-Signature"));
    if has_presign {
        return parse_query(query);
    }
    Err(VerifyError::MissingAuthentication)
}

fn parse_header<'r, B>(
    request: &'r Request<B>,
    value: &'r [u8],
) -> Result<Claims<'r>, VerifyError> {
    let value = core::str::from_utf8(value).map_err(|_| VerifyError::IncompleteSignature {
        reason: "the authorization header is not text",
    })?;
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm);
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (key, val) = part.split_once('=').unwrap_or((part, ""));
        match key {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed_headers = Some(val),
            "Signature" => signature = Some(val),
            _ => {}
        }
    }
    let missing = |what| VerifyError::IncompleteSignature { reason: what };
    let credential = credential.ok_or(missing("the authorization header has no Credential"))?;
    let signed_headers =
        signed_headers.ok_or(missing("the authorization header has no SignedHeaders"))?;
    let signature = signature.ok_or(missing("the authorization header has no Signature"))?;
    let date = request
        .headers()
        .get("x-amz-date")
        .ok_or(missing("the request has no x-amz-date header"))?;
    let date = date
        .to_str()
        .map_err(|_| missing("the x-amz-date header is not text"))?;
    let [access_key_id, scope_date, region, service] = split_credential(credential)?;
    Ok(Claims {
        location: SignatureLocation::Header,
        access_key_id,
        scope_date,
        region,
        service,
        time: parse_time(date)?,
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        signed_query: None,
        query_token: None,
    })
}

fn parse_query(query: &str) -> Result<Claims<'_>, VerifyError> {
    let (mut algorithm, mut credential, mut date, mut expires) = (None, None, None, None);
    let (mut signed_headers, mut signature, mut token) = (None, None, None);
    let mut signed_query = String::with_capacity(query.len());
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        let slot = match key {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Security-Token" => &mut token,
            "X-Amz-Signature" => {
                if signature.replace(value).is_some() {
                    return Err(VerifyError::IncompleteSignature {
                        reason: "X-Amz-Signature appears more than once",
                    });
                }
                continue;
            }
            _ => {
                push_segment(&mut signed_query, segment);
                continue;
            }
        };
        if slot.replace(value).is_some() {
            return Err(VerifyError::IncompleteSignature {
                reason: "an X-Amz-* parameter appears more than once",
            });
        }
        push_segment(&mut signed_query, segment);
    }
    let missing = |what| VerifyError::IncompleteSignature { reason: what };
    if decode(algorithm.ok_or(missing("the query has no X-Amz-Algorithm"))?) != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm);
    }
    let credential = decode(credential.ok_or(missing("the query has no X-Amz-Credential"))?);
    let date = decode(date.ok_or(missing("the query has no X-Amz-Date"))?);
    let expires = decode(expires.ok_or(missing("the query has no X-Amz-Expires"))?);
    let expires: u64 = expires
        .parse()
        .map_err(|_| VerifyError::ExpiresOutOfRange { seconds: None })?;
    if !(1..=604_800).contains(&expires) {
        return Err(VerifyError::ExpiresOutOfRange {
            seconds: Some(expires),
        });
    }
    let signed_headers =
        decode(signed_headers.ok_or(missing("the query has no X-Amz-SignedHeaders"))?);
    let signature = decode(signature.ok_or(missing("the query has no X-Amz-Signature"))?);
    let [access_key_id, scope_date, region, service] = split_credential(&credential)?;
    Ok(Claims {
        location: SignatureLocation::Query { expires },
        access_key_id,
        scope_date,
        region,
        service,
        time: parse_time(&date)?,
        signed_headers,
        signature,
        signed_query: Some(signed_query),
        query_token: token.map(|t| decode(t).into_owned()),
    })
}

fn push_segment(out: &mut String, segment: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(segment);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(auth: &str, date: &str) -> Request<()> {
        Request::get("/")
            .header("authorization", auth)
            .header("x-amz-date", date)
            .body(())
            .unwrap()
    }

    #[test]
    fn parses_authorization_header() {
        let r = req(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
            "20150830T123600Z",
        );
        let c = parse(&r).unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.scope_date, "20150830");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.service, "service");
        assert_eq!(c.signed_headers, "host;x-amz-date");
        assert_eq!(c.signature, "abc");
        assert_eq!(c.location, SignatureLocation::Header);
    }

    #[test]
    fn reports_incomplete_headers() {
        for (auth, date) in [
            ("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host", "20150830T123600Z"),
            ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x", "20150830T123600Z"),
            ("AWS4-HMAC-SHA256 Credential=A/2015/r/s/aws4_request, SignedHeaders=host, Signature=x", "20150830T123600Z"),
            ("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=x", "yesterday"),
        ] {
            assert!(matches!(
                parse(&req(auth, date)),
                Err(VerifyError::IncompleteSignature { .. })
            ), "{auth}");
        }
        assert!(matches!(
            parse(&req("AWS4-HMAC-SHA512 Credential=x", "20150830T123600Z")),
            Err(VerifyError::UnsupportedAlgorithm)
        ));
        assert!(matches!(
            parse(&Request::get("/").body(()).unwrap()),
            Err(VerifyError::MissingAuthentication)
        ));
    }

    #[test]
    fn parses_presigned_query_and_drops_only_the_signature() {
        let q = "a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=ff&X-Amz-Security-Token=t%2Bk";
        let r = Request::get(format!("/?{q}")).body(()).unwrap();
        let c = parse(&r).unwrap();
        assert_eq!(c.location, SignatureLocation::Query { expires: 900 });
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.query_token.as_deref(), Some("t+k"));
        let signed = c.signed_query.unwrap();
        assert!(!signed.contains("X-Amz-Signature"));
        assert!(signed.starts_with("a=1&X-Amz-Algorithm="));
        let too_long = q.replace("X-Amz-Expires=900", "X-Amz-Expires=604801");
        let r = Request::get(format!("/?{too_long}")).body(()).unwrap();
        assert!(matches!(
            parse(&r),
            Err(VerifyError::ExpiresOutOfRange {
                seconds: Some(604_801)
            })
        ));
    }
}
