//! The `application/vnd.amazon.eventstream` binary message format:
//!
//! ```text
//! total length (u32) | headers length (u32) | prelude CRC32 (u32)
//! headers: name length (u8), name, value type (u8), value ...
//! payload
//! message CRC32 (u32, over everything before it)
//! ```
//!
//! all integers big-endian. Hand-written rather than taken from
//! `aws-smithy-eventstream`: that crate brings `aws-smithy-types` and its
//! dependency tree, and ties messages to the SDK's types, for a format
//! that takes a couple of hundred lines. CRC32 comes from `crc32fast`.
//! Decoding is bounded ([`MAX_MESSAGE_LEN`], [`MAX_HEADERS_LEN`]), never
//! panics (the `eventstream` fuzz target), and checks both CRCs.

use std::fmt;

/// The longest message accepted or written: 16 MiB, AWS's limit.
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// The longest header section accepted or written: 128 KiB, AWS's limit.
pub const MAX_HEADERS_LEN: usize = 128 * 1024;

/// Prelude (12 bytes) and message CRC (4).
const OVERHEAD: usize = 16;

/// An event-stream header value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderValue {
    /// Type 0 (`true`) or 1 (`false`).
    Bool(bool),
    /// Type 2.
    Byte(i8),
    /// Type 3.
    Int16(i16),
    /// Type 4.
    Int32(i32),
    /// Type 5.
    Int64(i64),
    /// Type 6: at most 65,535 bytes.
    Bytes(Vec<u8>),
    /// Type 7: UTF-8, at most 65,535 bytes.
    String(String),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Type 9.
    Uuid([u8; 16]),
}

/// One message: headers in order, then the payload.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Message {
    /// `(name, value)`, names at most 255 bytes.
    pub headers: Vec<(String, HeaderValue)>,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

/// A message that cannot be written or read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventStreamError {
    /// Fewer bytes than the prelude says (decoding a whole buffer).
    Truncated,
    /// A length outside the format's bounds or this codec's limits.
    BadLength {
        /// What is wrong.
        reason: &'static str,
    },
    /// The prelude's CRC does not match.
    PreludeCrc,
    /// The message's CRC does not match.
    MessageCrc,
    /// A header that cannot be read: a bad type, a value running past the
    /// header section, a name or string that is not UTF-8.
    BadHeader {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for EventStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("event stream: the message is cut short"),
            Self::BadLength { reason } => write!(f, "event stream: bad length: {reason}"),
            Self::PreludeCrc => f.write_str("event stream: the prelude's CRC does not match"),
            Self::MessageCrc => f.write_str("event stream: the message's CRC does not match"),
            Self::BadHeader { reason } => write!(f, "event stream: bad header: {reason}"),
        }
    }
}

impl std::error::Error for EventStreamError {}

impl Message {
    /// A message with `payload` and no headers.
    #[must_use]
    pub fn new(payload: impl Into<Vec<u8>>) -> Self {
        Self {
            headers: Vec::new(),
            payload: payload.into(),
        }
    }

    /// The same message with one more header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: HeaderValue) -> Self {
        self.headers.push((name.into(), value));
        self
    }

    /// The value of header `name`, the first if repeated.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Appends the encoded message to `out`.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::BadLength`] or [`EventStreamError::BadHeader`]
    /// for a message the format cannot carry (a name over 255 bytes, a value
    /// over 65,535, headers over [`MAX_HEADERS_LEN`], a message over
    /// [`MAX_MESSAGE_LEN`]); `out` is then unchanged.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EventStreamError> {
        let start = out.len();
        let result = self.encode_inner(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), EventStreamError> {
        let start = out.len();
        out.extend_from_slice(&[0; 12]);
        for (name, value) in &self.headers {
            write_header(out, name, value)?;
        }
        let headers_len = out.len() - start - 12;
        if headers_len > MAX_HEADERS_LEN {
            return Err(EventStreamError::BadLength {
                reason: "headers over 128 KiB",
            });
        }
        out.extend_from_slice(&self.payload);
        let total = out.len() - start + 4;
        if total > MAX_MESSAGE_LEN {
            return Err(EventStreamError::BadLength {
                reason: "a message over 16 MiB",
            });
        }
        finish_message(out, start, total, headers_len);
        Ok(())
    }

    /// Reads one whole message from the start of `bytes`; returns it and
    /// how many bytes it took.
    ///
    /// # Errors
    ///
    /// An [`EventStreamError`] for anything but one well-formed message
    /// (bytes after it are left alone); [`EventStreamError::Truncated`] when
    /// `bytes` holds less than the message.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), EventStreamError> {
        let total = message_len(bytes)?.ok_or(EventStreamError::Truncated)?;
        let frame = bytes.get(..total).ok_or(EventStreamError::Truncated)?;
        Ok((decode_frame(frame)?, total))
    }
}

/// Fills in the prelude and appends the message CRC of the message that
/// starts at `start` in `out`.
pub(crate) fn finish_message(out: &mut Vec<u8>, start: usize, total: usize, headers_len: usize) {
    // Both fit in u32: bounded by MAX_MESSAGE_LEN above.
    out[start..start + 4].copy_from_slice(&(total as u32).to_be_bytes());
    out[start + 4..start + 8].copy_from_slice(&(headers_len as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out[start..start + 8]);
    out[start + 8..start + 12].copy_from_slice(&prelude_crc.to_be_bytes());
    let message_crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&message_crc.to_be_bytes());
}

pub(crate) fn write_header(
    out: &mut Vec<u8>,
    name: &str,
    value: &HeaderValue,
) -> Result<(), EventStreamError> {
    let name_len = u8::try_from(name.len()).map_err(|_| EventStreamError::BadHeader {
        reason: "a name over 255 bytes",
    })?;
    if name.is_empty() {
        return Err(EventStreamError::BadHeader {
            reason: "an empty name",
        });
    }
    out.push(name_len);
    out.extend_from_slice(name.as_bytes());
    let long = |bytes: &[u8]| {
        u16::try_from(bytes.len()).map_err(|_| EventStreamError::BadHeader {
            reason: "a value over 65,535 bytes",
        })
    };
    match value {
        HeaderValue::Bool(true) => out.push(0),
        HeaderValue::Bool(false) => out.push(1),
        HeaderValue::Byte(v) => {
            out.push(2);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int16(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int32(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Int64(v) => {
            out.push(5);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Bytes(v) => {
            let len = long(v)?;
            out.push(6);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(v);
        }
        HeaderValue::String(v) => {
            let len = long(v.as_bytes())?;
            out.push(7);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        HeaderValue::Timestamp(v) => {
            out.push(8);
            out.extend_from_slice(&v.to_be_bytes());
        }
        HeaderValue::Uuid(v) => {
            out.push(9);
            out.extend_from_slice(v);
        }
    }
    Ok(())
}

/// The total length of the message starting `bytes`, once its first four
/// bytes are there (`None` before), checked against the format's bounds.
pub(crate) fn message_len(bytes: &[u8]) -> Result<Option<usize>, EventStreamError> {
    let Some(len) = bytes.first_chunk::<4>() else {
        return Ok(None);
    };
    let total = u32::from_be_bytes(*len) as usize;
    if total < OVERHEAD {
        return Err(EventStreamError::BadLength {
            reason: "a message shorter than its prelude and CRC",
        });
    }
    if total > MAX_MESSAGE_LEN {
        return Err(EventStreamError::BadLength {
            reason: "a message over 16 MiB",
        });
    }
    Ok(Some(total))
}

/// Decodes exactly one whole message, `frame` (its total length checked).
pub(crate) fn decode_frame(frame: &[u8]) -> Result<Message, EventStreamError> {
    let (headers, payload) = split_frame(frame)?;
    let mut out = Vec::new();
    let mut rest = headers;
    while !rest.is_empty() {
        let (name, value, tail) = read_header(rest)?;
        out.push((name.to_owned(), value));
        rest = tail;
    }
    Ok(Message {
        headers: out,
        payload: payload.to_vec(),
    })
}

/// Checks a whole frame's prelude, lengths and CRCs; returns its header
/// section and payload.
pub(crate) fn split_frame(frame: &[u8]) -> Result<(&[u8], &[u8]), EventStreamError> {
    let bad = |reason| EventStreamError::BadLength { reason };
    if frame.len() < OVERHEAD {
        return Err(EventStreamError::Truncated);
    }
    let word =
        |at: usize| u32::from_be_bytes([frame[at], frame[at + 1], frame[at + 2], frame[at + 3]]);
    if word(0) as usize != frame.len() {
        return Err(bad("the total length is not the frame's"));
    }
    if crc32fast::hash(&frame[..8]) != word(8) {
        return Err(EventStreamError::PreludeCrc);
    }
    let crc_at = frame.len() - 4;
    if crc32fast::hash(&frame[..crc_at]) != word(crc_at) {
        return Err(EventStreamError::MessageCrc);
    }
    let headers_len = word(4) as usize;
    if headers_len > MAX_HEADERS_LEN {
        return Err(bad("headers over 128 KiB"));
    }
    let body = &frame[12..crc_at];
    if headers_len > body.len() {
        return Err(bad("headers longer than the message"));
    }
    Ok(body.split_at(headers_len))
}

/// Reads one header from the start of `bytes`.
pub(crate) fn read_header(bytes: &[u8]) -> Result<(&str, HeaderValue, &[u8]), EventStreamError> {
    let bad = |reason| EventStreamError::BadHeader { reason };
    let (&name_len, rest) = bytes.split_first().ok_or(bad("an empty header"))?;
    if name_len == 0 {
        return Err(bad("an empty name"));
    }
    let (name, rest) = rest
        .split_at_checked(usize::from(name_len))
        .ok_or(bad("a name running past the headers"))?;
    let name = core::str::from_utf8(name).map_err(|_| bad("a name that is not UTF-8"))?;
    let (&kind, rest) = rest.split_first().ok_or(bad("no value type"))?;
    let fixed = |n: usize| {
        rest.split_at_checked(n)
            .ok_or(bad("a value running past the headers"))
    };
    let (value, rest) = match kind {
        0 => (HeaderValue::Bool(true), rest),
        1 => (HeaderValue::Bool(false), rest),
        2 => {
            let (v, r) = fixed(1)?;
            (HeaderValue::Byte(v[0] as i8), r)
        }
        3 => {
            let (v, r) = fixed(2)?;
            (HeaderValue::Int16(i16::from_be_bytes([v[0], v[1]])), r)
        }
        4 => {
            let (v, r) = fixed(4)?;
            (
                HeaderValue::Int32(i32::from_be_bytes([v[0], v[1], v[2], v[3]])),
                r,
            )
        }
        5 | 8 => {
            let (v, r) = fixed(8)?;
            let mut word = [0u8; 8];
            word.copy_from_slice(v);
            let n = i64::from_be_bytes(word);
            let value = if kind == 5 {
                HeaderValue::Int64(n)
            } else {
                HeaderValue::Timestamp(n)
            };
            (value, r)
        }
        6 | 7 => {
            let (len, r) = fixed(2)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let (v, r) = r
                .split_at_checked(len)
                .ok_or(bad("a value running past the headers"))?;
            let value = if kind == 6 {
                HeaderValue::Bytes(v.to_vec())
            } else {
                HeaderValue::String(
                    core::str::from_utf8(v)
                        .map_err(|_| bad("a string that is not UTF-8"))?
                        .to_owned(),
                )
            };
            (value, r)
        }
        9 => {
            let (v, r) = fixed(16)?;
            let mut uuid = [0u8; 16];
            uuid.copy_from_slice(v);
            (HeaderValue::Uuid(uuid), r)
        }
        _ => return Err(bad("an unknown value type")),
    };
    Ok((name, value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value type round-trips, and the bytes are the format's:
    /// lengths, type codes and big-endian integers, checked by hand.
    #[test]
    fn every_header_type_round_trips() {
        let message = Message::new(b"payload".to_vec())
            .with_header("t", HeaderValue::Bool(true))
            .with_header("f", HeaderValue::Bool(false))
            .with_header("b", HeaderValue::Byte(-2))
            .with_header("s", HeaderValue::Int16(-300))
            .with_header("i", HeaderValue::Int32(70_000))
            .with_header("l", HeaderValue::Int64(-5_000_000_000))
            .with_header("y", HeaderValue::Bytes(vec![1, 2, 3]))
            .with_header("str", HeaderValue::String("hé".into()))
            .with_header("ts", HeaderValue::Timestamp(1_369_353_600_000))
            .with_header("u", HeaderValue::Uuid([7; 16]));
        let mut out = Vec::new();
        message.encode(&mut out).unwrap();
        let (decoded, used) = Message::decode(&out).unwrap();
        assert_eq!(decoded, message);
        assert_eq!(used, out.len());
        // The prelude: total length, headers length, then the CRC.
        assert_eq!(
            u32::from_be_bytes(out[..4].try_into().unwrap()) as usize,
            out.len()
        );
        let headers_len = u32::from_be_bytes(out[4..8].try_into().unwrap()) as usize;
        assert_eq!(&out[12 + headers_len..out.len() - 4], b"payload");
        // `s`: name length 1, `s`, type 3, -300 big-endian.
        let s = out.windows(5).position(|w| w == [1, b's', 3, 0xfe, 0xd4]);
        assert!(s.is_some());
    }

    /// A message with no headers and no payload is 16 bytes, the smallest.
    #[test]
    fn the_empty_message() {
        let mut out = Vec::new();
        Message::default().encode(&mut out).unwrap();
        assert_eq!(out.len(), 16);
        assert_eq!(&out[..8], &[0, 0, 0, 16, 0, 0, 0, 0]);
        assert_eq!(Message::decode(&out).unwrap().0, Message::default());
    }

    #[test]
    fn damage_is_refused() {
        let mut out = Vec::new();
        Message::new(b"abc".to_vec())
            .with_header(":event-type", HeaderValue::String("x".into()))
            .encode(&mut out)
            .unwrap();
        for at in 0..out.len() {
            let mut bad = out.clone();
            bad[at] ^= 0x10;
            assert!(Message::decode(&bad).is_err(), "byte {at}");
        }
        for len in 0..out.len() {
            assert!(Message::decode(&out[..len]).is_err(), "length {len}");
        }
        let long = "n".repeat(256);
        assert!(Message::default()
            .with_header(long, HeaderValue::Bool(true))
            .encode(&mut Vec::new())
            .is_err());
    }
}
