//! The `host` header signed when a request has none: the URI's host, with
//! its port unless that port is the scheme's default (so Neptune's `:8182`
//! stays, and `https://x:443` signs as `x`, as clients send it).

use http::header::HOST;
use http::{HeaderValue, Request, Uri};

use crate::core::error::SigningError;

fn default_port(scheme: Option<&str>) -> Option<&'static str> {
    match scheme? {
        s if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => Some("443"),
        s if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => Some("80"),
        _ => None,
    }
}

/// The `host` value for `uri`. User info (`user@`) is never part of it.
pub(super) fn host_from_uri(uri: &Uri) -> Result<HeaderValue, SigningError> {
    let authority = uri.authority().ok_or(SigningError::MissingHost)?;
    let host = authority.host();
    if host.is_empty() {
        return Err(SigningError::MissingHost);
    }
    let port = authority
        .port()
        .filter(|port| Some(port.as_str()) != default_port(uri.scheme_str()));
    // One exactly-sized buffer, which `HeaderValue` then keeps as it is.
    let mut value =
        Vec::with_capacity(host.len() + port.as_ref().map_or(0, |p| 1 + p.as_str().len()));
    value.extend_from_slice(host.as_bytes());
    if let Some(port) = port {
        value.push(b':');
        value.extend_from_slice(port.as_str().as_bytes());
    }
    HeaderValue::try_from(value).map_err(|_| SigningError::MissingHost)
}

/// The `host` value to add, if the request lacks one.
pub(super) fn missing_host<B>(request: &Request<B>) -> Result<Option<HeaderValue>, SigningError> {
    if request.headers().contains_key(HOST) {
        Ok(None)
    } else {
        host_from_uri(request.uri()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(uri: &str) -> Result<String, SigningError> {
        host_from_uri(&uri.parse().unwrap()).map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn keeps_non_default_ports_only() {
        assert_eq!(
            host("https://db.example.com:8182/").unwrap(),
            "db.example.com:8182"
        );
        assert_eq!(
            host("wss://db.example.com:8182/gremlin").unwrap(),
            "db.example.com:8182"
        );
        assert_eq!(
            host("https://db.example.com:443/").unwrap(),
            "db.example.com"
        );
        assert_eq!(host("http://db.example.com:80/").unwrap(), "db.example.com");
        assert_eq!(
            host("http://db.example.com:443/").unwrap(),
            "db.example.com:443"
        );
        assert_eq!(host("wss://db.example.com/").unwrap(), "db.example.com");
        assert_eq!(host("http://[::1]:8182/").unwrap(), "[::1]:8182");
        assert_eq!(
            host("https://user:pw@db.example.com/").unwrap(),
            "db.example.com"
        );
    }

    #[test]
    fn needs_an_authority() {
        assert_eq!(host("/relative"), Err(SigningError::MissingHost));
    }
}
