//! Event streams (`STREAMING-AWS4-HMAC-SHA256-EVENTS`; feature
//! `eventstream`): each message a client sends is wrapped in an envelope
//! message whose headers are `:chunk-signature` (32 bytes) and `:date` (a
//! timestamp), and whose payload is the encoded message. The signature is
//! over the one before it, starting from the request's seed signature:
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD
//! <the message's x-amz-date>
//! <scope of that date>
//! <previous signature>
//! <SHA-256 of the encoded :date header>
//! <SHA-256 of the payload>
//! ```
//!
//! The stream ends with a signed envelope of empty payload. This module
//! is sans-IO: [`EventSigner`] writes envelopes into the caller's buffer,
//! [`EventVerifier`] checks them, [`FrameReader`] splits a byte stream
//! into messages. [`codec`] is the binary format.

use std::fmt;
use std::time::Duration;

use subtle::ConstantTimeEq;

pub mod codec;

use codec::{finish_message, split_frame, write_header, EventStreamError, HeaderValue};

use crate::core::encoding::{hex32, Sink};
use crate::core::scope::CredentialScope;
use crate::core::sha256::sha256;
use crate::core::signature::Signature;
use crate::core::signing_key::SigningKey;
use crate::core::time::SigningTime;

/// The first line of an event's string to sign.
const EVENT_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The `:date` header of an event signed at `time`, encoded: what the
/// string to sign hashes.
fn date_header(millis: i64) -> [u8; 15] {
    let mut out = [0u8; 15];
    out[0] = 5;
    out[1..6].copy_from_slice(b":date");
    out[6] = 8;
    out[7..].copy_from_slice(&millis.to_be_bytes());
    out
}

/// The signature of an event with `payload` at `millis` (a time in whole
/// seconds, as milliseconds), over `previous`.
fn event_signature(
    key: &SigningKey,
    time: &SigningTime,
    scope: &CredentialScope<'_>,
    previous: &Signature,
    date_header: &[u8],
    payload: &[u8],
) -> Signature {
    let mut stream = key.stream();
    stream.put(EVENT_ALGORITHM.as_bytes());
    stream.put(b"\n");
    stream.put(time.amz_bytes());
    stream.put(b"\n");
    scope.write_to(&mut stream);
    stream.put(b"\n");
    stream.put(&previous.to_hex());
    stream.put(b"\n");
    stream.put(&hex32(&sha256(date_header)));
    stream.put(b"\n");
    stream.put(&hex32(&sha256(payload)));
    Signature::from_bytes(stream.finish())
}

/// Signs the messages of one event stream, each over the signature before
/// it, starting from the request's seed signature.
///
/// Each call takes the key for the scope of its time: a stream that runs
/// past midnight UTC signs later messages with the next day's key.
/// [`Signer::event_signer`](crate::Signer::event_signer) does this with
/// the signer's key cache.
#[derive(Clone)]
pub struct EventSigner {
    previous: Signature,
}

impl fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSigner")
            .field("previous", &self.previous)
            .finish()
    }
}

impl EventSigner {
    /// A signer whose first message is signed over `seed`.
    #[must_use]
    pub fn new(seed: Signature) -> Self {
        Self { previous: seed }
    }

    /// The last signature of the chain.
    #[must_use]
    pub fn previous(&self) -> Signature {
        self.previous
    }

    /// Appends to `out` the envelope of `message` (an encoded message, or
    /// empty for the end of the stream), signed at `time` (whole seconds)
    /// with `key` for `scope` (the scope of `time`'s date).
    ///
    /// # Errors
    ///
    /// [`EventStreamError::BadLength`] when the envelope would exceed
    /// [`codec::MAX_MESSAGE_LEN`]; `out` is then unchanged.
    pub fn sign(
        &mut self,
        key: &SigningKey,
        time: &SigningTime,
        scope: &CredentialScope<'_>,
        message: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Signature, EventStreamError> {
        // Prelude 12; `:chunk-signature`: 1 + 16 + 1 + 2 + 32; `:date`: 15;
        // CRC 4.
        let total = message.len() + 83;
        if total > codec::MAX_MESSAGE_LEN {
            return Err(EventStreamError::BadLength {
                reason: "a message over 16 MiB",
            });
        }
        let millis = time.unix_seconds().saturating_mul(1000);
        let date = date_header(millis);
        let signature = event_signature(key, time, scope, &self.previous, &date, message);
        let start = out.len();
        out.reserve(total);
        out.extend_from_slice(&[0; 12]);
        write_header(
            out,
            ":chunk-signature",
            &HeaderValue::Bytes(signature.as_bytes().to_vec()),
        )?;
        out.extend_from_slice(&date);
        let headers_len = out.len() - start - 12;
        out.extend_from_slice(message);
        finish_message(out, start, total, headers_len);
        debug_assert_eq!(
            out.len() - start,
            total,
            "the envelope is as long as its prelude says"
        );
        self.previous = signature;
        Ok(signature)
    }
}

/// What is wrong with a signed event stream.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// An envelope that is not a well-formed message.
    Malformed(EventStreamError),
    /// An envelope without exactly `:chunk-signature` (32 bytes) and
    /// `:date` (a timestamp).
    BadEnvelope {
        /// What is wrong.
        reason: &'static str,
    },
    /// A message's `:date` is outside the allowed skew of the verifier's
    /// time, or earlier than the message before it.
    BadTime,
    /// A message's signature is not the one its payload and every message
    /// before it sign to.
    SignatureMismatch {
        /// Which message (0 is the first).
        message: u64,
    },
    /// A message after the stream's end (its empty signed message).
    AfterEnd,
    /// The stream ended before its empty signed message.
    Truncated,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::BadEnvelope { reason } => write!(f, "event stream: bad envelope: {reason}"),
            Self::BadTime => f.write_str("event stream: a message's :date is out of range"),
            Self::SignatureMismatch { message } => {
                write!(
                    f,
                    "event stream: message {message}'s signature does not match"
                )
            }
            Self::AfterEnd => f.write_str("event stream: a message after the end"),
            Self::Truncated => f.write_str("event stream: the stream ends before its end message"),
        }
    }
}

impl std::error::Error for EventError {}

impl From<EventStreamError> for EventError {
    fn from(e: EventStreamError) -> Self {
        Self::Malformed(e)
    }
}

/// A checked envelope: the time it was signed at, and its payload (the
/// encoded message, or empty for the end).
#[derive(Debug, PartialEq, Eq)]
pub struct CheckedEvent<'a> {
    /// The message's `:date`.
    pub time: SigningTime,
    /// The encoded message the envelope carries; empty at the end.
    pub payload: &'a [u8],
}

/// Checks the envelopes of one event stream in order, each over the
/// signature before it, starting from the request's (checked) seed.
#[derive(Clone)]
pub struct EventVerifier {
    previous: Signature,
    max_skew: Duration,
    last_time: Option<i64>,
    count: u64,
    ended: bool,
}

impl fmt::Debug for EventVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventVerifier")
            .field("count", &self.count)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl EventVerifier {
    /// A verifier whose first envelope is signed over `seed`; each
    /// message's `:date` must be within five minutes of the time given to
    /// [`verify`](Self::verify).
    #[must_use]
    pub fn new(seed: Signature) -> Self {
        Self {
            previous: seed,
            max_skew: Duration::from_secs(300),
            last_time: None,
            count: 0,
            ended: false,
        }
    }

    /// Sets the allowed skew between a message's `:date` and "now".
    #[must_use]
    pub fn with_max_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Whether the end message was checked.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.ended
    }

    /// Says the stream has no more bytes.
    ///
    /// # Errors
    ///
    /// [`EventError::Truncated`] unless the end message was checked.
    pub fn finish(&self) -> Result<(), EventError> {
        if self.ended {
            Ok(())
        } else {
            Err(EventError::Truncated)
        }
    }

    /// The time of an envelope, read without checking it, so the caller
    /// can find the key for its scope.
    ///
    /// # Errors
    ///
    /// As for [`verify`](Self::verify), for the envelope's form.
    pub fn time_of(envelope: &[u8]) -> Result<SigningTime, EventError> {
        Ok(parse_envelope(envelope)?.time)
    }

    /// Checks one whole envelope (a frame from [`FrameReader`]) with `key`
    /// for the scope of its time ([`time_of`](Self::time_of)), as of `now`.
    ///
    /// # Errors
    ///
    /// An [`EventError`] at the first thing wrong; the verifier is then
    /// spent (every later call fails).
    pub fn verify<'e>(
        &mut self,
        key: &SigningKey,
        scope: &CredentialScope<'_>,
        envelope: &'e [u8],
        now: SigningTime,
    ) -> Result<CheckedEvent<'e>, EventError> {
        let result = self.verify_inner(key, scope, envelope, now);
        if result.is_err() {
            self.ended = true;
            self.previous = Signature::from_bytes([0; 32]);
        }
        result
    }

    fn verify_inner<'e>(
        &mut self,
        key: &SigningKey,
        scope: &CredentialScope<'_>,
        envelope: &'e [u8],
        now: SigningTime,
    ) -> Result<CheckedEvent<'e>, EventError> {
        if self.ended {
            return Err(EventError::AfterEnd);
        }
        let Envelope {
            time,
            millis,
            signature: claimed,
            payload,
        } = parse_envelope(envelope)?;
        let skew = i64::try_from(self.max_skew.as_secs()).unwrap_or(i64::MAX);
        let seconds = time.unix_seconds();
        if (seconds - now.unix_seconds()).abs() > skew
            || self.last_time.is_some_and(|last| seconds < last)
        {
            return Err(EventError::BadTime);
        }
        let date = date_header(millis);
        let expected = event_signature(key, &time, scope, &self.previous, &date, payload);
        if !bool::from(expected.as_bytes().ct_eq(&claimed)) {
            return Err(EventError::SignatureMismatch {
                message: self.count,
            });
        }
        self.previous = expected;
        self.last_time = Some(seconds);
        self.count += 1;
        self.ended = payload.is_empty();
        Ok(CheckedEvent { time, payload })
    }
}

/// An envelope's parts.
struct Envelope<'e> {
    time: SigningTime,
    /// `:date` as sent, in milliseconds.
    millis: i64,
    signature: [u8; 32],
    payload: &'e [u8],
}

fn parse_envelope(envelope: &[u8]) -> Result<Envelope<'_>, EventError> {
    let bad = |reason| EventError::BadEnvelope { reason };
    let (mut headers, payload) = split_frame(envelope)?;
    let (mut signature, mut date) = (None, None);
    while !headers.is_empty() {
        let (name, value, rest) = codec::read_header(headers)?;
        headers = rest;
        match (name, value) {
            (":chunk-signature", HeaderValue::Bytes(bytes)) if signature.is_none() => {
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| bad("a :chunk-signature that is not 32 bytes"))?;
                signature = Some(bytes);
            }
            (":date", HeaderValue::Timestamp(millis)) if date.is_none() => date = Some(millis),
            _ => {
                return Err(bad(
                    "a header other than one :chunk-signature and one :date",
                ))
            }
        }
    }
    let signature = signature.ok_or(bad("no :chunk-signature"))?;
    let millis = date.ok_or(bad("no :date"))?;
    let time = SigningTime::from_unix(millis.div_euclid(1000)).map_err(|_| EventError::BadTime)?;
    Ok(Envelope {
        time,
        millis,
        signature,
        payload,
    })
}

/// Splits a byte stream into whole messages, a frame at a time, holding at
/// most one message ([`codec::MAX_MESSAGE_LEN`]).
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out.
    taken: usize,
}

impl FrameReader {
    /// An empty reader.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.taken > 0 {
            self.buf.drain(..self.taken);
            self.taken = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, if all of it has arrived.
    ///
    /// # Errors
    ///
    /// [`EventStreamError::BadLength`] for a length outside the format's
    /// bounds (checked as soon as its four bytes arrive).
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, EventStreamError> {
        if self.taken > 0 {
            self.buf.drain(..self.taken);
            self.taken = 0;
        }
        let Some(total) = codec::message_len(&self.buf)? else {
            return Ok(None);
        };
        if self.buf.len() < total {
            return Ok(None);
        }
        self.taken = total;
        Ok(Some(&self.buf[..total]))
    }

    /// Whether bytes of a message not yet whole are held.
    #[must_use]
    pub fn has_partial(&self) -> bool {
        self.buf.len() > self.taken
    }
}
