//! A small, strict reader for the JSON objects that carry credentials
//! (`credential_process` output, instance metadata, container endpoints,
//! the SSO portal and token cache), and a writer for the SSO token cache.
//!
//! Objects are kept with their string, number, boolean, null and object
//! members; arrays are checked and skipped. It never panics and bounds its
//! nesting depth. Errors give a byte offset, never the text (which holds
//! secrets). Strings are read into and written from zeroized buffers,
//! which is why this is not `serde_json`.

use zeroize::Zeroizing;

/// A kept member value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(Zeroizing<String>),
    /// The number as written.
    Number(String),
    Bool(bool),
    Null,
    Object(Object),
    /// An array, skipped.
    Nested,
}

/// The members of a JSON object, in order.
#[derive(Debug, Default, Clone, PartialEq)]
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

    /// The object value of `key`, as [`string`](Self::string) does it.
    #[cfg_attr(not(feature = "credentials-http"), allow(dead_code))] // the SSO provider's
    pub(crate) fn object(&self, key: &str) -> Result<Option<&Object>, String> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(format!("{key} is not an object")),
        }
    }

    /// The value of `key` as a whole number from 0 to `u64::MAX`, as
    /// [`string`](Self::string) does it.
    #[cfg_attr(not(feature = "credentials-http"), allow(dead_code))] // the SSO provider's
    pub(crate) fn unsigned(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{key} is not a whole number from 0 to 2^64-1")),
            Some(_) => Err(format!("{key} is not a number")),
        }
    }
}

/// Writes a JSON object of string members, in order, into one buffer sized
/// up front (so no copy of a secret is left behind by a reallocation).
#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))] // the SSO provider's
pub(crate) fn write_object(members: &[(&str, &str)]) -> Zeroizing<String> {
    let escaped_len = |s: &str| -> usize {
        s.chars()
            .map(|c| match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                '\0'..='\u{1f}' => 6,
                c => c.len_utf8(),
            })
            .sum::<usize>()
            + 2
    };
    // Braces, a colon a member, a comma between members.
    let len = 2
        + members.len().saturating_sub(1)
        + members
            .iter()
            .map(|(k, v)| escaped_len(k) + escaped_len(v) + 1)
            .sum::<usize>();
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(&mut out, k);
        out.push(':');
        write_string(&mut out, v);
    }
    out.push('}');
    debug_assert_eq!(out.len(), len, "the buffer was sized for the whole object");
    out
}

#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))] // the SSO provider's
fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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

    /// At `{`: the members.
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
            members.push((key.to_string(), value));
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
            Some(b'{') => Ok(Value::Object(Object(self.object(depth + 1)?))),
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
    fn reads_members_and_objects_and_skips_arrays() {
        let o = parse_object(
            br#" {"Version": 1, "A": "x\"y\u00e9\ud83d\ude00", "N": null, "B": true,
                 "Nested": {"a": [1, 2.5e3, {"b": []}], "s": "t"}, "A2": "z"} "#,
        )
        .unwrap();
        assert_eq!(o.get("Version"), Some(&Value::Number("1".into())));
        assert_eq!(o.unsigned("Version").unwrap(), Some(1));
        assert_eq!(o.string("A").unwrap(), Some("x\"y\u{e9}\u{1F600}"));
        assert_eq!(o.string("N").unwrap(), None);
        let nested = o.object("Nested").unwrap().unwrap();
        assert_eq!(nested.get("a"), Some(&Value::Nested));
        assert_eq!(nested.string("s").unwrap(), Some("t"));
        assert!(o.string("B").is_err());
        assert!(o.object("A").is_err());
        assert!(o.unsigned("A").is_err());
        for bad in ["-1", "1.5", "1e3", "18446744073709551616"] {
            let o = parse_object(format!("{{\"n\": {bad}}}").as_bytes()).unwrap();
            assert!(o.unsigned("n").is_err(), "{bad}");
        }
    }

    #[test]
    fn written_objects_read_back_and_match_serde_json() {
        let awkward = "q\"b\\s/\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é😀\u{2028}";
        // In serde_json's (sorted) order, to compare the texts.
        let members = [("", ""), ("accessToken", awkward), ("k\"", "v")];
        let text = write_object(&members);
        assert_eq!(text.capacity(), text.len(), "sized exactly");
        let back = parse_object(text.as_bytes()).unwrap();
        assert_eq!(back.string("accessToken").unwrap(), Some(awkward));
        assert_eq!(back.string("k\"").unwrap(), Some("v"));
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(theirs["accessToken"], awkward);
        let mut expected = serde_json::Map::new();
        for (k, v) in members {
            expected.insert(k.to_owned(), serde_json::Value::from(v));
        }
        assert_eq!(text.as_str(), serde_json::to_string(&expected).unwrap());
        assert_eq!(write_object(&[]).as_str(), "{}");
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
