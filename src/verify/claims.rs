//! What a signed request claims: algorithm, credential, date, signed
//! headers, signature, and for presigned URLs the expiry and token. Parsed
//! from the `Authorization` header or from the `X-Amz-*` query parameters.

use std::borrow::Cow;

use super::VerifyError;
use crate::core::encoding::Decoded;
use crate::core::string_to_sign::ALGORITHM;
use crate::core::time::SigningTime;
use crate::sign::RequestView;
use crate::sign::SignatureLocation;

/// The algorithm a request claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// `AWS4-HMAC-SHA256`.
    V4,
    /// `AWS4-ECDSA-P256-SHA256` (feature `sigv4a`).
    #[cfg(feature = "sigv4a")]
    V4a,
}

impl Algorithm {
    fn parse(name: &str) -> Result<Self, VerifyError> {
        match name {
            ALGORITHM => Ok(Self::V4),
            #[cfg(feature = "sigv4a")]
            crate::core::sigv4a::ALGORITHM_V4A => Ok(Self::V4a),
            _ => Err(VerifyError::UnsupportedAlgorithm),
        }
    }
}

/// The parsed claims of a signed request.
#[derive(Debug)]
pub(crate) struct Claims<'r> {
    pub(crate) algorithm: Algorithm,
    /// SigV4a's `x-amz-region-set` (header) or `X-Amz-Region-Set` (query).
    pub(crate) region_set: Option<String>,
    pub(crate) location: SignatureLocation,
    pub(crate) access_key_id: String,
    pub(crate) scope_date: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) time: SigningTime,
    /// The header the time came from (`x-amz-date` or `date`), which must
    /// be signed; `None` for presigned URLs (`X-Amz-Date` is signed as part
    /// of the query).
    pub(crate) time_header: Option<&'static str>,
    pub(crate) signed_headers: Cow<'r, str>,
    /// 64 lowercase hex digits, checked here.
    pub(crate) signature: &'r str,
    /// The query with `X-Amz-Signature` removed (presigned URLs only).
    pub(crate) signed_query: Option<String>,
    /// `X-Amz-Security-Token` from the query (presigned URLs only).
    pub(crate) query_token: Option<String>,
}

/// A query key or value decoded as the canonical query reads it (`%XX`,
/// and `+` as a space).
fn decode(bytes: &str) -> Cow<'_, str> {
    if !bytes.contains(['%', '+']) {
        return Cow::Borrowed(bytes);
    }
    let decoded: Vec<u8> = Decoded::new(bytes.as_bytes()).collect();
    match String::from_utf8(decoded) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Optional whitespace around a field value or a list element (RFC 9110
/// §5.6.1 and §5.5): spaces and tabs.
fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// `AKID/20150830/us-east-1/service/aws4_request` into its four values;
/// for SigV4a `AKID/20150830/service/aws4_request`, the region empty.
fn split_credential(credential: &str, algorithm: Algorithm) -> Result<[String; 4], VerifyError> {
    let malformed = || VerifyError::IncompleteSignature {
        reason: "the credential is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request \
                 (SigV4a: ACCESS_KEY/DATE/SERVICE/aws4_request)",
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [id, date, region, service, terminator] = (match algorithm {
        Algorithm::V4 => parts[..].try_into().ok(),
        #[cfg(feature = "sigv4a")]
        Algorithm::V4a => match parts[..] {
            [id, date, service, terminator] => Some([id, date, "", service, terminator]),
            _ => None,
        },
    })
    .ok_or_else(malformed)?;
    if terminator != "aws4_request" || id.is_empty() || date.len() != 8 {
        return Err(malformed());
    }
    Ok([id.into(), date.into(), region.into(), service.into()])
}

/// A signature as SigV4 writes it: exactly 64 lowercase hex digits. Any
/// other spelling (uppercase, percent-encoded, padded) is refused, so a
/// replay cache or a log keyed on the text sees one form per signature.
/// SigV4a's: DER in lowercase hex, at most 72 bytes.
fn check_signature(text: &str, algorithm: Algorithm) -> Result<&str, VerifyError> {
    let lowercase_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    let length_ok = match algorithm {
        Algorithm::V4 => text.len() == 64,
        #[cfg(feature = "sigv4a")]
        Algorithm::V4a => (16..=144).contains(&text.len()) && text.len().is_multiple_of(2),
    };
    if length_ok && text.as_bytes().iter().all(lowercase_hex) {
        Ok(text)
    } else {
        Err(VerifyError::IncompleteSignature {
            reason: "the signature is not 64 lowercase hex digits",
        })
    }
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

/// The one value of header `name`, trimmed; `None` when absent.
fn single_header<'r>(
    request: &RequestView<'r>,
    name: &'static str,
    several: &'static str,
    not_text: &'static str,
) -> Result<Option<&'r str>, VerifyError> {
    let mut values = request.headers.get_all(name);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(VerifyError::IncompleteSignature { reason: several });
    }
    let text = core::str::from_utf8(value)
        .map_err(|_| VerifyError::IncompleteSignature { reason: not_text })?;
    Ok(Some(trim_ows(text)))
}

/// The request time of a header-signed request: `x-amz-date`, or when it
/// is absent `Date`, in the ISO 8601 basic form or as an HTTP date.
fn header_time(request: &RequestView<'_>) -> Result<(SigningTime, &'static str), VerifyError> {
    let amz = single_header(
        request,
        "x-amz-date",
        "the request has more than one x-amz-date header",
        "the x-amz-date header is not text",
    )?;
    if let Some(amz) = amz {
        return Ok((parse_time(amz)?, "x-amz-date"));
    }
    let date = single_header(
        request,
        "date",
        "the request has more than one date header",
        "the date header is not text",
    )?
    .ok_or(VerifyError::IncompleteSignature {
        reason: "the request has neither an x-amz-date nor a date header",
    })?;
    let time = if date.len() == 16 {
        parse_time(date)
    } else {
        SigningTime::parse_http_date(date).map_err(|_| VerifyError::IncompleteSignature {
            reason: "the date header is neither 20150830T123600Z nor an HTTP date",
        })
    }?;
    Ok((time, "date"))
}

/// The query parameters that carry a presigned signature.
const PRESIGN_KEYS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];

/// Keys and values of the query's non-empty segments, keys decoded.
fn query_params(query: &str) -> impl Iterator<Item = (&str, Cow<'_, str>, &str)> {
    query.split('&').filter(|s| !s.is_empty()).map(|segment| {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        (segment, decode(key), value)
    })
}

/// The claims of `request`. `token_signed` says whether a presigned URL's
/// `X-Amz-Security-Token` is part of what was signed (it is not when the
/// token is added after signing).
pub(crate) fn parse<'r>(
    request: &RequestView<'r>,
    token_signed: bool,
) -> Result<Claims<'r>, VerifyError> {
    let mut authorization = request.headers.get_all("authorization");
    let header = authorization.next();
    if authorization.next().is_some() {
        return Err(VerifyError::IncompleteSignature {
            reason: "the request has more than one authorization header",
        });
    }
    let query = request.query;
    let presigned = query_params(query).any(|(_, key, _)| PRESIGN_KEYS.contains(&&*key));
    match (header, presigned) {
        (Some(_), true) => Err(VerifyError::MultipleAuthMechanisms),
        (Some(value), false) => parse_header(request, value),
        (None, true) => parse_query(query, token_signed),
        (None, false) => Err(VerifyError::MissingAuthentication),
    }
}

fn parse_header<'r>(request: &RequestView<'r>, value: &'r [u8]) -> Result<Claims<'r>, VerifyError> {
    let value = core::str::from_utf8(value).map_err(|_| VerifyError::IncompleteSignature {
        reason: "the authorization header is not text",
    })?;
    let value = trim_ows(value);
    let (algorithm, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    let algorithm = Algorithm::parse(algorithm)?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(trim_ows).filter(|p| !p.is_empty()) {
        let (key, val) = part.split_once('=').unwrap_or((part, ""));
        let (slot, twice) = match key {
            "Credential" => (&mut credential, "Credential appears more than once"),
            "SignedHeaders" => (&mut signed_headers, "SignedHeaders appears more than once"),
            "Signature" => (&mut signature, "Signature appears more than once"),
            _ => continue,
        };
        if slot.replace(val).is_some() {
            return Err(VerifyError::IncompleteSignature { reason: twice });
        }
    }
    let missing = |what| VerifyError::IncompleteSignature { reason: what };
    let credential = credential.ok_or(missing("the authorization header has no Credential"))?;
    let signed_headers =
        signed_headers.ok_or(missing("the authorization header has no SignedHeaders"))?;
    let signature = signature.ok_or(missing("the authorization header has no Signature"))?;
    let signature = check_signature(signature, algorithm)?;
    let (time, time_header) = header_time(request)?;
    let [access_key_id, scope_date, region, service] = split_credential(credential, algorithm)?;
    let region_set = single_header(
        request,
        "x-amz-region-set",
        "the request has more than one x-amz-region-set header",
        "the x-amz-region-set header is not text",
    )?
    .map(str::to_owned);
    Ok(Claims {
        algorithm,
        region_set,
        location: SignatureLocation::Header,
        access_key_id,
        scope_date,
        region,
        service,
        time,
        time_header: Some(time_header),
        signed_headers: Cow::Borrowed(signed_headers),
        signature,
        signed_query: None,
        query_token: None,
    })
}

fn parse_query(query: &str, token_signed: bool) -> Result<Claims<'_>, VerifyError> {
    let (mut algorithm, mut credential, mut date, mut expires) = (None, None, None, None);
    let (mut signed_headers, mut signature, mut token) = (None, None, None);
    let mut region_set = None;
    let mut signed_query = String::with_capacity(query.len());
    for (segment, key, value) in query_params(query) {
        let slot = match &*key {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Security-Token" => &mut token,
            "X-Amz-Signature" => &mut signature,
            "X-Amz-Region-Set" => &mut region_set,
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
        let unsigned =
            &*key == "X-Amz-Signature" || (&*key == "X-Amz-Security-Token" && !token_signed);
        if !unsigned {
            push_segment(&mut signed_query, segment);
        }
    }
    let missing = |what| VerifyError::IncompleteSignature { reason: what };
    let algorithm = Algorithm::parse(&decode(
        algorithm.ok_or(missing("the query has no X-Amz-Algorithm"))?,
    ))?;
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
    let signature = check_signature(
        signature.ok_or(missing("the query has no X-Amz-Signature"))?,
        algorithm,
    )?;
    let [access_key_id, scope_date, region, service] = split_credential(&credential, algorithm)?;
    Ok(Claims {
        algorithm,
        region_set: region_set.map(|r| decode(r).into_owned()),
        location: SignatureLocation::Query { expires },
        access_key_id,
        scope_date,
        region,
        service,
        time: parse_time(&date)?,
        time_header: None,
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
    use http::Request;

    use super::*;

    const SIG: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    fn req(auth: &str, date: &str) -> Request<()> {
        Request::get("/")
            .header("authorization", auth)
            .header("x-amz-date", date)
            .body(())
            .unwrap()
    }

    fn header(signature: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}")
    }

    fn parse_http<B>(request: &Request<B>, token_signed: bool) -> Result<Claims<'_>, VerifyError> {
        parse(&RequestView::of_http(request), token_signed)
    }

    fn parse_signed<B>(request: &Request<B>) -> Result<Claims<'_>, VerifyError> {
        parse_http(request, true)
    }

    fn reason(result: Result<Claims<'_>, VerifyError>) -> &'static str {
        match result {
            Err(VerifyError::IncompleteSignature { reason }) => reason,
            other => panic!("expected IncompleteSignature, got {other:?}"),
        }
    }

    #[test]
    fn parses_authorization_header() {
        let r = req(&header(SIG), "20150830T123600Z");
        let c = parse_http(&r, true).unwrap();
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.scope_date, "20150830");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.service, "service");
        assert_eq!(c.signed_headers, "host;x-amz-date");
        assert_eq!(c.signature, SIG);
        assert_eq!(c.location, SignatureLocation::Header);
        assert_eq!(c.time_header, Some("x-amz-date"));
    }

    /// Whitespace around the field value and around list elements is not
    /// part of them (RFC 9110 §5.5): a value taken from the wire as is.
    #[test]
    fn strips_optional_whitespace() {
        let padded = format!(" \t{} \t", header(SIG).replace(", ", " ,\t "));
        let r = req(&padded, " 20150830T123600Z ");
        let c = parse_http(&r, true).unwrap();
        assert_eq!(c.signature, SIG);
        assert_eq!(c.signed_headers, "host;x-amz-date");
        assert_eq!(c.time.amz_date(), "20150830T123600Z");
    }

    #[test]
    fn reports_incomplete_headers() {
        for (auth, date) in [
            ("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host".to_owned(), "20150830T123600Z"),
            (format!("AWS4-HMAC-SHA256 SignedHeaders=host, Signature={SIG}"), "20150830T123600Z"),
            (format!("AWS4-HMAC-SHA256 Credential=A/2015/r/s/aws4_request, SignedHeaders=host, Signature={SIG}"), "20150830T123600Z"),
            (header(SIG), "yesterday"),
        ] {
            assert!(matches!(
                parse_signed(&req(&auth, date)),
                Err(VerifyError::IncompleteSignature { .. })
            ), "{auth}");
        }
        assert!(matches!(
            parse_signed(&req("AWS4-HMAC-SHA512 Credential=x", "20150830T123600Z")),
            Err(VerifyError::UnsupportedAlgorithm)
        ));
        assert!(matches!(
            parse_http(&Request::get("/").body(()).unwrap(), true),
            Err(VerifyError::MissingAuthentication)
        ));
    }

    /// Each claim has one meaning: nothing given twice, one spelling of the
    /// signature, one mechanism.
    #[test]
    fn refuses_ambiguous_claims() {
        for (auth, expected) in [
            (
                format!("{}, Signature={SIG}", header(SIG)),
                "Signature appears more than once",
            ),
            (
                header(SIG).replace(
                    "SignedHeaders=host;x-amz-date",
                    "SignedHeaders=host, SignedHeaders=host;x-amz-date",
                ),
                "SignedHeaders appears more than once",
            ),
            (
                format!(
                    "{}, Credential=B/20150830/us-east-1/service/aws4_request",
                    header(SIG)
                ),
                "Credential appears more than once",
            ),
            (
                header(&SIG.to_uppercase()),
                "the signature is not 64 lowercase hex digits",
            ),
            (
                header(&SIG[..63]),
                "the signature is not 64 lowercase hex digits",
            ),
            (
                header(&format!("{SIG}0")),
                "the signature is not 64 lowercase hex digits",
            ),
            (
                header(&format!("%35{}", &SIG[1..])),
                "the signature is not 64 lowercase hex digits",
            ),
        ] {
            assert_eq!(
                reason(parse_signed(&req(&auth, "20150830T123600Z"))),
                expected,
                "{auth}"
            );
        }

        let mut two = req(&header(SIG), "20150830T123600Z");
        two.headers_mut()
            .append("authorization", header(SIG).parse().unwrap());
        assert_eq!(
            reason(parse_http(&two, true)),
            "the request has more than one authorization header"
        );
        let mut two_dates = req(&header(SIG), "20150830T123600Z");
        two_dates
            .headers_mut()
            .append("x-amz-date", "20150830T123601Z".parse().unwrap());
        assert_eq!(
            reason(parse_http(&two_dates, true)),
            "the request has more than one x-amz-date header"
        );

        for presign_key in [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Signatur%65",
        ] {
            let both = Request::get(format!("/?{presign_key}=x"))
                .header("authorization", header(SIG))
                .header("x-amz-date", "20150830T123600Z")
                .body(())
                .unwrap();
            assert_eq!(
                parse_http(&both, true).unwrap_err(),
                VerifyError::MultipleAuthMechanisms,
                "{presign_key}"
            );
        }
    }

    /// Without `x-amz-date`, the time comes from `Date`, in either form.
    #[test]
    fn takes_the_time_from_date_when_x_amz_date_is_absent() {
        for date in ["20150830T123600Z", "Sun, 30 Aug 2015 12:36:00 GMT"] {
            let r = Request::get("/")
                .header("authorization", header(SIG))
                .header("date", date)
                .body(())
                .unwrap();
            let c = parse_http(&r, true).unwrap();
            assert_eq!(c.time.amz_date(), "20150830T123600Z", "{date}");
            assert_eq!(c.time_header, Some("date"));
        }
        // x-amz-date wins over Date.
        let r = Request::get("/")
            .header("authorization", header(SIG))
            .header("date", "Mon, 31 Aug 2015 12:36:00 GMT")
            .header("x-amz-date", "20150830T123600Z")
            .body(())
            .unwrap();
        assert_eq!(parse_http(&r, true).unwrap().time.date(), "20150830");
        let bad = Request::get("/")
            .header("authorization", header(SIG))
            .header("date", "30 Aug 2015")
            .body(())
            .unwrap();
        assert_eq!(
            reason(parse_http(&bad, true)),
            "the date header is neither 20150830T123600Z nor an HTTP date"
        );
        let none = Request::get("/")
            .header("authorization", header(SIG))
            .body(())
            .unwrap();
        assert_eq!(
            reason(parse_http(&none, true)),
            "the request has neither an x-amz-date nor a date header"
        );
    }

    fn presigned(extra: &str) -> String {
        format!("a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}&X-Amz-Security-Token=t%2Bk+x{extra}")
    }

    #[test]
    fn parses_presigned_query_and_drops_only_the_signature() {
        let q = presigned("");
        let r = Request::get(format!("/?{q}")).body(()).unwrap();
        let c = parse_http(&r, true).unwrap();
        assert_eq!(c.location, SignatureLocation::Query { expires: 900 });
        assert_eq!(c.access_key_id, "AKID");
        assert_eq!(c.signature, SIG);
        assert_eq!(c.time_header, None);
        // `+` is a space, as in the canonical query.
        assert_eq!(c.query_token.as_deref(), Some("t+k x"));
        let signed = c.signed_query.unwrap();
        assert!(!signed.contains("X-Amz-Signature"));
        assert!(signed.starts_with("a=1&X-Amz-Algorithm="));
        let too_long = q.replace("X-Amz-Expires=900", "X-Amz-Expires=604801");
        let r = Request::get(format!("/?{too_long}")).body(()).unwrap();
        assert!(matches!(
            parse_http(&r, true),
            Err(VerifyError::ExpiresOutOfRange {
                seconds: Some(604_801)
            })
        ));
    }

    #[test]
    fn refuses_repeated_or_respelled_presign_parameters() {
        for extra in [
            "&X-Amz-Date=20150830T123600Z",
            "&X-Amz-Signatur%65=00",
            &format!("&X-Amz-Signature={SIG}"),
            "&X-Amz-Security-Token=t",
        ] {
            let r = Request::get(format!("/?{}", presigned(extra)))
                .body(())
                .unwrap();
            assert_eq!(
                reason(parse_http(&r, true)),
                "an X-Amz-* parameter appears more than once",
                "{extra}"
            );
        }
        for signature in [SIG.to_uppercase(), format!("%35{}", &SIG[1..])] {
            let q = presigned("").replace(SIG, &signature);
            let r = Request::get(format!("/?{q}")).body(()).unwrap();
            assert_eq!(
                reason(parse_http(&r, true)),
                "the signature is not 64 lowercase hex digits"
            );
        }
        // Presign parameters without a signature are an incomplete
        // signature, not a missing one.
        let r = Request::get("/?X-Amz-Algorithm=AWS4-HMAC-SHA256")
            .body(())
            .unwrap();
        assert!(matches!(
            parse_http(&r, true),
            Err(VerifyError::IncompleteSignature { .. })
        ));
    }
}
