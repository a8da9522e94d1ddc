//! Raw HTTP/1.1 requests in the layout of the AWS signing test suite's
//! `request.txt` files, to and from `http::Request<Vec<u8>>`.
//!
//! ```text
//! METHOD TARGET HTTP/1.1        TARGET: everything between the first space
//! Name:value                    and the last " HTTP/"; raw spaces and UTF-8
//!   continued value             are allowed and get percent-encoded
//!                               (a line starting with whitespace continues
//! body bytes...                 the previous header's value)
//! ```
//!
//! # Examples
//!
//! ```
//! let raw = b"GET /example space/?a=1 HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n\n";
//! let request = sigv4::tools::raw::parse_request(raw)?;
//! assert_eq!(request.uri(), "/example%20space/?a=1");
//! assert_eq!(request.headers()["my-header1"], "value1 value2");
//! assert_eq!(
//!     String::from_utf8(sigv4::tools::raw::write_request(&request))?,
//!     "GET /example%20space/?a=1 HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1 value2\n\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use http::header::{HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, Request, Uri, Version};

use crate::core::encoding::percent_triplet;

/// A raw request could not be parsed. Line numbers start at 1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawRequestError {
    /// The input is empty.
    Empty,
    /// The request line is not `METHOD TARGET HTTP/x.y`.
    MalformedRequestLine {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The method is not an HTTP token.
    InvalidMethod,
    /// The target could not be made into a URI.
    InvalidTarget {
        /// What `http` said.
        reason: String,
    },
    /// A header line has no `:`.
    MissingColon {
        /// The line number.
        line: usize,
    },
    /// A header name is not an HTTP token.
    InvalidHeaderName {
        /// The line number.
        line: usize,
    },
    /// A header value holds a byte not allowed in HTTP.
    InvalidHeaderValue {
        /// The line number.
        line: usize,
    },
    /// A continuation line comes before any header.
    ContinuationWithoutHeader {
        /// The line number.
        line: usize,
    },
}

impl fmt::Display for RawRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty request: expected a request line"),
            Self::MalformedRequestLine { reason } => {
                write!(f, "malformed request line on line 1: {reason}")
            }
            Self::InvalidMethod => f.write_str("invalid method on line 1: expected an HTTP token"),
            Self::InvalidTarget { reason } => {
                write!(f, "invalid request target on line 1: {reason}")
            }
            Self::MissingColon { line } => {
                write!(f, "header without a colon on line {line}")
            }
            Self::InvalidHeaderName { line } => write!(f, "invalid header name on line {line}"),
            Self::InvalidHeaderValue { line } => write!(f, "invalid header value on line {line}"),
            Self::ContinuationWithoutHeader { line } => {
                write!(f, "continuation line {line} does not follow a header")
            }
        }
    }
}

impl std::error::Error for RawRequestError {}

/// Splits off one line, without its `\n` or `\r\n`.
fn take_line(input: &[u8]) -> (&[u8], Option<&[u8]>) {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let line = &input[..i];
            (
                line.strip_suffix(b"\r").unwrap_or(line),
                Some(&input[i + 1..]),
            )
        }
        None => (input.strip_suffix(b"\r").unwrap_or(input), None),
    }
}

/// A field value without the optional whitespace (spaces and tabs) around
/// it, which is not part of the value (RFC 9110 §5.5): `Name: value`, as
/// requests are written on the wire, and `Name:value`, as the test suite
/// writes them, give the same value.
fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| !matches!(b, b' ' | b'\t'));
    let end = value.iter().rposition(|&b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(start), Some(end)) => &value[start..=end],
        _ => &[],
    }
}

/// Percent-encodes the bytes `http::Uri` does not take raw (spaces,
/// controls, non-ASCII and a few delimiters); existing escapes stay.
fn encode_target(target: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(target.len());
    for &b in target {
        if b <= b' '
            || b >= 0x7f
            || matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.extend_from_slice(&percent_triplet(b));
        } else {
            out.push(b);
        }
    }
    out
}

fn parse_target(target: &[u8]) -> Result<Uri, RawRequestError> {
    let invalid = |e: &dyn fmt::Display| RawRequestError::InvalidTarget {
        reason: e.to_string(),
    };
    let encoded = encode_target(target);
    if encoded.first() == Some(&b'/') {
        // Origin form: parse as path-and-query so `//x` stays a path.
        let pq = PathAndQuery::try_from(encoded).map_err(|e| invalid(&e))?;
        Ok(Uri::from(pq))
    } else {
        Uri::try_from(encoded).map_err(|e| invalid(&e))
    }
}

fn parse_version(text: &[u8]) -> Result<Version, RawRequestError> {
    Ok(match text {
        b"HTTP/0.9" => Version::HTTP_09,
        b"HTTP/1.0" => Version::HTTP_10,
        b"HTTP/1.1" => Version::HTTP_11,
        b"HTTP/2" | b"HTTP/2.0" => Version::HTTP_2,
        b"HTTP/3" | b"HTTP/3.0" => Version::HTTP_3,
        _ => {
            return Err(RawRequestError::MalformedRequestLine {
                reason: "unknown HTTP version",
            })
        }
    })
}

/// Parses a raw request.
///
/// # Errors
///
/// A [`RawRequestError`] naming what was wrong and on which line.
pub fn parse_request(input: &[u8]) -> Result<Request<Vec<u8>>, RawRequestError> {
    if input.is_empty() {
        return Err(RawRequestError::Empty);
    }
    let (line, mut rest) = take_line(input);
    let space =
        line.iter()
            .position(|&b| b == b' ')
            .ok_or(RawRequestError::MalformedRequestLine {
                reason: "expected METHOD TARGET HTTP/1.1",
            })?;
    let after_method = &line[space + 1..];
    let version_at = after_method
        .windows(6)
        .rposition(|w| w == b" HTTP/")
        .ok_or(RawRequestError::MalformedRequestLine {
            reason: "expected the line to end with an HTTP version such as HTTP/1.1",
        })?;
    let target = &after_method[..version_at];
    if target.is_empty() {
        return Err(RawRequestError::MalformedRequestLine {
            reason: "the target is empty",
        });
    }
    let method = Method::from_bytes(&line[..space]).map_err(|_| RawRequestError::InvalidMethod)?;
    let version = parse_version(&after_method[version_at + 1..])?;
    let uri = parse_target(target)?;

    // Header lines, with continuations folded into the previous value.
    let mut fields: Vec<(HeaderName, Vec<u8>, usize)> = Vec::new();
    let mut line_no = 1;
    let mut body: &[u8] = &[];
    while let Some(input) = rest {
        let (line, next) = take_line(input);
        line_no += 1;
        rest = next;
        if line.is_empty() {
            body = next.unwrap_or_default();
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            let (_, value, _) = fields
                .last_mut()
                .ok_or(RawRequestError::ContinuationWithoutHeader { line: line_no })?;
            let continued = trim_ows(line);
            if !continued.is_empty() {
                value.push(b' ');
                value.extend_from_slice(continued);
            }
            continue;
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(RawRequestError::MissingColon { line: line_no })?;
        let name = HeaderName::from_bytes(&line[..colon])
            .map_err(|_| RawRequestError::InvalidHeaderName { line: line_no })?;
        fields.push((name, trim_ows(&line[colon + 1..]).to_vec(), line_no));
    }

    let mut request = Request::new(body.to_vec());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    let headers = request.headers_mut();
    for (name, value, line) in fields {
        let value = HeaderValue::from_bytes(trim_ows(&value))
            .map_err(|_| RawRequestError::InvalidHeaderValue { line })?;
        headers.append(name, value);
    }
    Ok(request)
}

/// `x-amz-date` becomes `X-Amz-Date`: the casing people expect to read.
fn title_case(name: &str, out: &mut Vec<u8>) {
    let mut upper = true;
    for b in name.bytes() {
        out.push(if upper { b.to_ascii_uppercase() } else { b });
        upper = b == b'-';
    }
}

fn version_text(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// Writes a request in the raw layout: request line, `Name:value` headers
/// (title-cased names), a blank line, then the body.
#[must_use]
pub fn write_request<B: AsRef<[u8]>>(request: &Request<B>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + request.body().as_ref().len());
    out.extend_from_slice(request.method().as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(request.uri().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(version_text(request.version()).as_bytes());
    out.push(b'\n');
    for (name, value) in request.headers() {
        title_case(name.as_str(), &mut out);
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(request.body().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suite_layouts() {
        let r = parse_request("GET /ሴ HTTP/1.1\nHost:example.amazonaws.com\n".as_bytes()).unwrap();
        assert_eq!(r.uri(), "/%E1%88%B4");
        let r = parse_request(b"GET // HTTP/1.1\r\nHost:h\r\n\r\nbody\r\n").unwrap();
        assert_eq!(r.uri().path(), "//");
        assert_eq!(r.body(), b"body\r\n");
        let r = parse_request(b"POST / HTTP/1.1\nA:1\nA:2\n\n").unwrap();
        let values: Vec<_> = r.headers().get_all("a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        let r = parse_request(b"GET / x HTTP/1.1 HTTP/1.0\n").unwrap();
        assert_eq!(r.uri().path(), "/%20x%20HTTP/1.1");
        assert_eq!(r.version(), Version::HTTP_10);
        let r = parse_request(b"GET https://h.example:8182/a?b HTTP/1.1\n").unwrap();
        assert_eq!(r.uri().authority().unwrap(), "h.example:8182");
    }

    #[test]
    fn reports_what_is_wrong() {
        use RawRequestError::*;
        let err = |s: &[u8]| parse_request(s).unwrap_err();
        assert_eq!(err(b""), Empty);
        assert!(matches!(err(b"GET"), MalformedRequestLine { .. }));
        assert!(matches!(err(b"GET /"), MalformedRequestLine { .. }));
        assert!(matches!(err(b"GET  HTTP/1.1"), MalformedRequestLine { .. }));
        assert!(matches!(err(b"GET / HTTP/7"), MalformedRequestLine { .. }));
        assert_eq!(err(b"G(T / HTTP/1.1\n"), InvalidMethod);
        assert_eq!(
            err(b"GET / HTTP/1.1\nHost example\n"),
            MissingColon { line: 2 }
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\nBad Name:x\n"),
            InvalidHeaderName { line: 2 }
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\n x\n"),
            ContinuationWithoutHeader { line: 2 }
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\nA:\x01\n"),
            InvalidHeaderValue { line: 2 }
        );
        assert_eq!(
            MissingColon { line: 2 }.to_string(),
            "header without a colon on line 2"
        );
    }

    /// Wire text has a space after the colon; it is not part of the value.
    #[test]
    fn strips_whitespace_around_field_values() {
        let r = parse_request(
            b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization: \tAWS4-HMAC-SHA256 Credential=x \t\r\nMy-Header1:  a\r\n  b  \r\nEmpty: \r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.headers()["host"], "h");
        assert_eq!(
            r.headers()["authorization"],
            "AWS4-HMAC-SHA256 Credential=x"
        );
        assert_eq!(r.headers()["my-header1"], "a b");
        assert_eq!(r.headers()["empty"], "");
        // Inner whitespace stays: canonicalization, not parsing, folds it.
        let r = parse_request(b"GET / HTTP/1.1\nX: a   b\t c\n\n").unwrap();
        assert_eq!(r.headers()["x"], "a   b\t c");
    }

    #[test]
    fn round_trips() {
        let raw = b"POST /a?b=c HTTP/1.1\nHost:h\nX-Amz-Date:20150830T123600Z\n\nParam1=value1";
        let r = parse_request(raw).unwrap();
        assert_eq!(write_request(&r), raw);
    }
}
