//! A small, strict reader for the flat JSON objects that carry credentials
//! (`credential_process` output, instance metadata, container endpoints).
//!
//! Only the top-level object's string, number, boolean and null members are
//! kept; nested arrays and objects are checked and skipped. It never panics
//! and bounds its nesting depth. Errors give a byte offset, never the text
//! (which holds secrets).

use zeroize::Zeroizing;

/// A kept member value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(Zeroizing<String>),
    /// The number as written.
    Number(String),
    Bool(bool),
    Null,
    /// An array or object, skipped.
    Nested,
}

/// The members of a top-level JSON object, in order.
#[derive(Debug, Default)]
pub(crate) struct Object(Vec<(String, Value)>);

impl Object {
    /// The last value of `key` (JSON allows duplicates; the last wins).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string value of `key`: `Ok(None)` if absent or null, `Err` with
    /// a reason if it has another type.
    pub(crate) fn string(&self, key: &str) -> Result<Option<&str>, String> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("{key} is not a string")),
        }
    }
}

/// Builds credentials from the usual members: `AccessKeyId`,
/// `SecretAccessKey`, the session token under `token_key`, and `Expiration`
/// (RFC 3339). Both keys are required; the rest are optional.
pub(crate) fn credentials_from(
    object: &Object,
    provider: &'static str,
    token_key: &str,
) -> Result<super::Credentials, super::CredentialsError> {
    let bad = |reason: String| super::CredentialsError::InvalidResponse { provider, reason };
    let required = |key: &str| {
        object
            .string(key)
            .map_err(bad)?
            .ok_or_else(|| bad(format!("{key} is missing")))
    };
    let invalid = |source| super::CredentialsError::InvalidCredentials { provider, source };
    let mut creds = super::Credentials::new(required("AccessKeyId")?, required("SecretAccessKey")?)
        .map_err(invalid)?;
    if let Some(token) = object.string(token_key).map_err(bad)? {
        creds = creds.with_session_token(token).map_err(invalid)?;
    }
    if let Some(expiration) = object.string("Expiration").map_err(bad)? {
        let expiry = super::env::parse_rfc3339("Expiration", expiration)
            .map_err(|_| bad("Expiration is not an RFC 3339 timestamp".to_owned()))?;
        creds = creds.with_expiry(expiry);
    }
    Ok(creds)
}

const MAX_DEPTH: usize = 64;

/// Parses `text` as one JSON object.
pub(crate) fn parse_object(text: &[u8]) -> Result<Object, String> {
    let mut p = Parser { b: text, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.err("expected a JSON object"));
    }
    let members = p.object(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("unexpected text after the JSON object"));
    }
    Ok(Object(members))
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("{what} at byte {}", self.i)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    /// At `{`: the members, with values kept only at depth 0.
    fn object(&mut self, depth: usize) -> Result<Vec<(String, Value)>, String> {
        if depth >= MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(members);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a member name"));
            }
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value(depth)?;
            if depth == 0 {
                members.push((key.to_string(), value));
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(members);
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), String> {
        if depth >= MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        self.ws();
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'{') => {
                self.object(depth + 1)?;
                Ok(Value::Nested)
            }
            Some(b'[') => {
                self.array(depth + 1)?;
                Ok(Value::Nested)
            }
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, String> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > s
        };
        if !digits(self) {
            return Err(self.err("expected digits"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.err("expected digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.err("expected exponent digits"));
            }
        }
        // The slice holds only ASCII digits and signs.
        let text = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
        Ok(Value::Number(text))
    }

    /// At `"`: the unescaped string.
    fn string(&mut self) -> Result<Zeroizing<String>, String> {
        self.i += 1;
        let mut out = Zeroizing::new(Vec::new());
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.err("invalid escape")),
                    };
                    if let Some(b) = simple {
                        out.push(b);
                        continue;
                    }
                    let ch = self.unicode_escape()?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => out.push(c),
            }
        }
        match std::str::from_utf8(&out) {
            Ok(s) => Ok(Zeroizing::new(s.to_owned())),
            Err(_) => Err(self.err("string is not UTF-8")),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            return Err(self.err("short \\u escape"));
        };
        let mut v = 0u32;
        for d in digits {
            let n = (*d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v * 16 + n;
        }
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.b[self.i..].starts_with(b"\\u") {
                return Err(self.err("lone surrogate in \\u escape"));
            }
            self.i += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.err("lone surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.err("lone surrogate in \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_members_and_skips_nested() {
        let o = parse_object(
            br#" {"Version": 1, "A": "x\"y\u00e9\ud83d\ude00", "N": null, "B": true,
                 "Nested": {"a": [1, 2.5e3, {"b": []}]}, "A2": "z"} "#,
        )
        .unwrap();
        assert_eq!(o.get("Version"), Some(&Value::Number("1".into())));
        assert_eq!(o.string("A").unwrap(), Some("x\"y\u{e9}\u{1F600}"));
        assert_eq!(o.string("N").unwrap(), None);
        assert_eq!(o.get("Nested"), Some(&Value::Nested));
        assert!(o.string("B").is_err());
    }

    #[test]
    fn rejects_malformed_without_panicking() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\\u12\"}",
            b"{\"a\":01x}",
            b"{\"a\":-}",
            b"{\"a\":1} x",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":tru}",
        ] {
            assert!(
                parse_object(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(parse_object(deep.as_bytes()).is_err());
    }
}
