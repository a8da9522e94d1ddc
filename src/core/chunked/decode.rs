//! The server side of aws-chunked: a sans-IO decoder that checks every
//! chunk signature in order, the final empty chunk and the trailer, and
//! hands over a chunk's data only once its signature has been checked.
//!
//! Hand-written: no crate parses aws-chunked (it is not HTTP chunked
//! transfer coding: each size line carries a signature, and a trailer
//! follows the empty chunk). Everything is bounded: the size line, the
//! chunk size, the trailer.

use std::fmt;

use sha2::{Digest, Sha256};

#[cfg(feature = "checksums")]
use super::{Checksum, ChecksumAlgorithm};
use super::{ChunkSigner, ChunkedFraming, CHUNK_SIGNATURE};
use crate::core::signature::Signature;

/// The longest chunk a decoder accepts by default: a chunk is held whole
/// until its signature is checked. SDKs send 64 KiB; S3 takes chunks of
/// at least 8 KiB.
pub const DEFAULT_MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;

/// The most bytes of trailer (every line) a decoder accepts.
pub const MAX_TRAILER_BYTES: usize = 4096;

/// The longest line a decoder reads before the data or in the trailer: a
/// size line is at most 16 hex digits, `;chunk-signature=` and 64 hex.
const MAX_LINE: usize = 256;

/// What is wrong with an aws-chunked body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkedError {
    /// A size line that is not `hex-size[;chunk-signature=64-hex]`.
    BadChunkHeader {
        /// Which chunk (0 is the first).
        chunk: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk larger than the decoder accepts.
    ChunkTooLarge {
        /// Which chunk.
        chunk: u64,
        /// The most the decoder accepts.
        max: usize,
    },
    /// A chunk's data is not followed by CRLF: its size line lied.
    MissingChunkEnd {
        /// Which chunk.
        chunk: u64,
    },
    /// A chunk's signature is not the one its data, and every chunk before
    /// it, sign to.
    ChunkSignatureMismatch {
        /// Which chunk.
        chunk: u64,
    },
    /// The body ended before its final empty chunk and trailer.
    Truncated,
    /// Bytes after the body's end.
    DataAfterEnd,
    /// The decoded body is not as long as `x-amz-decoded-content-length`
    /// says.
    DecodedLengthMismatch {
        /// What the header says.
        expected: u64,
        /// What the chunks hold (so far, when it is already longer).
        actual: u64,
    },
    /// A trailer line that is not `name:value`, a trailer too large, or a
    /// trailer where the body has none.
    BadTrailer {
        /// What is wrong.
        reason: &'static str,
    },
    /// The trailer's signature is not the one its headers sign to.
    TrailerSignatureMismatch,
    /// The encoded body is not as long as `content-length` says.
    EncodedLengthMismatch {
        /// What the header says.
        expected: u64,
        /// What the body holds (so far, when it is already longer).
        actual: u64,
    },
    /// The trailer's checksum is not the data's.
    ChecksumMismatch {
        /// The trailer header, `x-amz-checksum-crc32`, ...
        header: &'static str,
    },
    /// The decoder was used again after it returned an error.
    AlreadyFailed,
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadChunkHeader { chunk, reason } => {
                write!(f, "aws-chunked: chunk {chunk}: bad size line: {reason}")
            }
            Self::ChunkTooLarge { chunk, max } => {
                write!(f, "aws-chunked: chunk {chunk} is larger than {max} bytes")
            }
            Self::MissingChunkEnd { chunk } => {
                write!(
                    f,
                    "aws-chunked: chunk {chunk}'s data does not end with CRLF"
                )
            }
            Self::ChunkSignatureMismatch { chunk } => {
                write!(f, "aws-chunked: chunk {chunk}'s signature does not match")
            }
            Self::Truncated => f.write_str("aws-chunked: the body ends before its final chunk"),
            Self::DataAfterEnd => f.write_str("aws-chunked: bytes after the body's end"),
            Self::DecodedLengthMismatch { expected, actual } => write!(
                f,
                "aws-chunked: x-amz-decoded-content-length is {expected}, the chunks hold {actual}"
            ),
            Self::BadTrailer { reason } => write!(f, "aws-chunked: bad trailer: {reason}"),
            Self::TrailerSignatureMismatch => {
                f.write_str("aws-chunked: the trailer's signature does not match")
            }
            Self::EncodedLengthMismatch { expected, actual } => write!(
                f,
                "aws-chunked: content-length is {expected}, the body holds {actual}"
            ),
            Self::ChecksumMismatch { header } => {
                write!(f, "aws-chunked: the trailer's {header} is not the data's")
            }
            Self::AlreadyFailed => f.write_str("aws-chunked: the decoder already failed"),
        }
    }
}

impl std::error::Error for ChunkedError {}

/// What one call of [`ChunkDecoder::decode`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole chunk's data, its signature checked (for signed framing).
    Data(&'a [u8]),
    /// All input was consumed; give more.
    NeedMore,
    /// The body is complete and checked: every chunk, the final chunk and
    /// the trailer. Its trailer headers are in
    /// [`ChunkDecoder::trailer`].
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a size line.
    Size,
    /// Reading `remaining` more bytes of the current chunk's data.
    Data { remaining: usize },
    /// The CRLF after a chunk's data, `seen` bytes of it read.
    DataEnd { seen: usize },
    /// A whole chunk is held, its signature checked: hand it over.
    Ready,
    /// Reading trailer lines (after the final chunk), or the final CRLF.
    Trailer,
    /// Done.
    End,
    /// An error was returned: nothing more is accepted.
    Failed,
}

/// Decodes and checks one aws-chunked body, fed in pieces of any size.
///
/// # Examples
///
/// ```
/// use sigv4::{ChunkDecoder, ChunkSigner, CredentialScope, Decoded, Region,
///     Service, Signature, SigningKey, SigningTime};
///
/// let time = SigningTime::parse("20130524T000000Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("s3")?);
/// let scope = CredentialScope::new(&time, &region, &service);
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &scope);
/// let seed = Signature::from_hex(&"0".repeat(64)).expect("hex");
///
/// // A body signed as a client would...
/// let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
/// let mut body = Vec::new();
/// signer.write_chunk_header(b"hello", &mut body);
/// body.extend_from_slice(b"hello\r\n");
/// signer.write_final_chunk(&mut body);
///
/// // ...decoded and checked as a server does, in pieces of any size.
/// let checker = ChunkSigner::new(&key, &time, &scope, seed);
/// let mut decoder = ChunkDecoder::signed(checker, false);
/// let mut data = Vec::new();
/// for piece in body.chunks(3) {
///     let mut input = piece;
///     while !input.is_empty() {
///         let (used, decoded) = decoder.decode(input)?;
///         input = &input[used..];
///         if let Decoded::Data(bytes) = decoded {
///             data.extend_from_slice(bytes);
///         }
///     }
/// }
/// decoder.finish()?;
/// assert_eq!(data, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ChunkDecoder {
    framing: ChunkedFraming,
    /// Computes the expected signatures (signed framings only).
    signer: Option<ChunkSigner>,
    max_chunk: usize,
    expected_decoded: Option<u64>,
    state: State,
    /// The line being read (size line or trailer line).
    line: Vec<u8>,
    /// The current chunk: its data (held until checked), its hash, its
    /// claimed signature.
    data: Vec<u8>,
    hasher: Sha256,
    claimed: Option<Signature>,
    chunk: u64,
    decoded: u64,
    final_seen: bool,
    /// Trailer headers, `(lowercase name, trimmed value)`.
    trailer: Vec<(String, String)>,
    trailer_bytes: usize,
    trailer_signature: Option<Signature>,
    expected_encoded: Option<u64>,
    encoded: u64,
    /// The checksum the trailer must carry, computed over the data.
    #[cfg(feature = "checksums")]
    checksum: Option<Checksum>,
}

impl fmt::Debug for ChunkDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkDecoder")
            .field("framing", &self.framing)
            .field("state", &self.state)
            .field("chunk", &self.chunk)
            .field("decoded", &self.decoded)
            .finish_non_exhaustive()
    }
}

impl ChunkDecoder {
    /// A decoder for signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`,
    /// or with `trailer` `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
    /// `signer` computes the expected signatures: built from the request's
    /// key, time and scope, and its seed signature, checked first.
    #[must_use]
    pub fn signed(signer: ChunkSigner, trailer: bool) -> Self {
        let framing = if trailer {
            ChunkedFraming::SignedWithTrailer
        } else {
            ChunkedFraming::Signed
        };
        Self::new(framing, Some(signer))
    }

    /// A decoder for unsigned chunks with a trailer
    /// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`): framing and bounds are
    /// checked, and the trailer is read; only its checksum, checked by
    /// the caller, covers the data.
    #[must_use]
    pub fn unsigned_with_trailer() -> Self {
        Self::new(ChunkedFraming::UnsignedWithTrailer, None)
    }

    fn new(framing: ChunkedFraming, signer: Option<ChunkSigner>) -> Self {
        Self {
            framing,
            signer,
            max_chunk: DEFAULT_MAX_CHUNK_SIZE,
            expected_decoded: None,
            state: State::Size,
            line: Vec::new(),
            data: Vec::new(),
            hasher: Sha256::new(),
            claimed: None,
            chunk: 0,
            decoded: 0,
            final_seen: false,
            trailer: Vec::new(),
            trailer_bytes: 0,
            trailer_signature: None,
            expected_encoded: None,
            encoded: 0,
            #[cfg(feature = "checksums")]
            checksum: None,
        }
    }

    /// Requires the encoded body to be `length` bytes (`content-length`).
    #[must_use]
    pub fn with_encoded_length(mut self, length: u64) -> Self {
        self.expected_encoded = Some(length);
        self
    }

    /// Requires the trailer to be exactly the checksum header of
    /// `algorithm` (as `x-amz-trailer` names it), and its value to be the
    /// checksum of the decoded data (feature `checksums`).
    #[cfg(feature = "checksums")]
    #[must_use]
    pub fn with_trailer_checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.checksum = Some(Checksum::new(algorithm));
        self
    }

    /// Accepts chunks of at most `max` bytes (default
    /// [`DEFAULT_MAX_CHUNK_SIZE`]); a chunk is held whole until checked.
    #[must_use]
    pub fn with_max_chunk_size(mut self, max: usize) -> Self {
        self.max_chunk = max;
        self
    }

    /// Requires the decoded body to be `length` bytes
    /// (`x-amz-decoded-content-length`).
    #[must_use]
    pub fn with_decoded_length(mut self, length: u64) -> Self {
        self.expected_decoded = Some(length);
        self
    }

    /// Bytes of decoded data handed over so far.
    #[must_use]
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// The trailer headers, `(lowercase name, value)`, once the body has
    /// ended.
    #[must_use]
    pub fn trailer(&self) -> &[(String, String)] {
        if self.state == State::End {
            &self.trailer
        } else {
            &[]
        }
    }

    /// Whether the body is complete and checked.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state == State::End
    }

    /// Reads from `input`; returns how many bytes it consumed and what they
    /// completed. Call again with the rest until it is consumed: at most
    /// one chunk's data is handed over per call.
    ///
    /// # Errors
    ///
    /// A [`ChunkedError`] at the first thing wrong; after an error the
    /// decoder must not be used again (it refuses everything).
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Decoded<'_>), ChunkedError> {
        if self.state == State::Failed {
            return Err(ChunkedError::AlreadyFailed);
        }
        let result = self.step(input).and_then(|(used, data)| {
            self.encoded = self.encoded.saturating_add(used as u64);
            if let Some(expected) = self.expected_encoded {
                let done = self.state == State::End;
                if self.encoded > expected || (done && self.encoded != expected) {
                    return Err(ChunkedError::EncodedLengthMismatch {
                        expected,
                        actual: self.encoded,
                    });
                }
            }
            Ok((used, data))
        });
        match result {
            Ok((used, true)) => Ok((used, Decoded::Data(&self.data))),
            Ok((used, false)) if self.state == State::End => Ok((used, Decoded::End)),
            Ok((used, false)) => Ok((used, Decoded::NeedMore)),
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// [`decode`](Self::decode)'s work: how much was used, and whether a
    /// checked chunk's data is ready in `self.data`.
    fn step(&mut self, input: &[u8]) -> Result<(usize, bool), ChunkedError> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.state {
                State::Ready => {
                    self.state = State::Size;
                    return Ok((used, true));
                }
                State::End => {
                    if rest.is_empty() {
                        return Ok((used, false));
                    }
                    return Err(ChunkedError::DataAfterEnd);
                }
                State::Failed => return Err(ChunkedError::AlreadyFailed),
                _ if rest.is_empty() => return Ok((used, false)),
                State::Size => {
                    let Some(taken) = self.read_line(rest)? else {
                        return Ok((input.len(), false));
                    };
                    used += taken;
                    self.size_line()?;
                }
                State::Data { remaining } => {
                    let take = remaining.min(rest.len());
                    let piece = &rest[..take];
                    self.hasher.update(piece);
                    self.data.extend_from_slice(piece);
                    used += take;
                    self.state = if take == remaining {
                        State::DataEnd { seen: 0 }
                    } else {
                        State::Data {
                            remaining: remaining - take,
                        }
                    };
                }
                State::DataEnd { seen } => {
                    // Exactly CRLF: anything else means the size line lied.
                    if rest[0] != b"\r\n"[seen] {
                        return Err(ChunkedError::MissingChunkEnd { chunk: self.chunk });
                    }
                    used += 1;
                    if seen == 0 {
                        self.state = State::DataEnd { seen: 1 };
                        continue;
                    }
                    self.check_chunk()?;
                    self.chunk += 1;
                    self.state = State::Ready;
                }
                State::Trailer => {
                    let Some(taken) = self.read_line(rest)? else {
                        return Ok((input.len(), false));
                    };
                    used += taken;
                    self.trailer_line()?;
                }
            }
        }
    }

    /// Says the body has no more bytes.
    ///
    /// # Errors
    ///
    /// [`ChunkedError::Truncated`] when it ended before its final chunk and
    /// trailer.
    pub fn finish(&self) -> Result<(), ChunkedError> {
        if self.state == State::End {
            Ok(())
        } else {
            Err(ChunkedError::Truncated)
        }
    }

    /// Takes bytes up to and including a CRLF into `self.line` (without
    /// it). `None`: all of `input` was taken and the line goes on.
    fn read_line(&mut self, input: &[u8]) -> Result<Option<usize>, ChunkedError> {
        let too_long = || ChunkedError::BadChunkHeader {
            chunk: self.chunk,
            reason: "a line longer than 256 bytes",
        };
        match input.iter().position(|&b| b == b'\n') {
            Some(at) => {
                if self.line.len() + at > MAX_LINE {
                    return Err(too_long());
                }
                self.line.extend_from_slice(&input[..at]);
                if self.line.pop() != Some(b'\r') {
                    return Err(ChunkedError::BadChunkHeader {
                        chunk: self.chunk,
                        reason: "a line ending in LF without CR",
                    });
                }
                Ok(Some(at + 1))
            }
            None => {
                if self.line.len() + input.len() > MAX_LINE {
                    return Err(too_long());
                }
                self.line.extend_from_slice(input);
                Ok(None)
            }
        }
    }

    /// Parses the size line in `self.line` and starts the chunk.
    fn size_line(&mut self) -> Result<(), ChunkedError> {
        let chunk = self.chunk;
        let bad = |reason| ChunkedError::BadChunkHeader { chunk, reason };
        let signed = self.framing != ChunkedFraming::UnsignedWithTrailer;
        let line = std::mem::take(&mut self.line);
        let (size, signature) = match line.iter().position(|&b| b == b';') {
            Some(at) => (&line[..at], Some(&line[at + 1..])),
            None => (&line[..], None),
        };
        if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad("the size is not 1 to 16 hex digits"));
        }
        let size = size
            .iter()
            .fold(0u64, |n, &b| n << 4 | u64::from(hex_value(b)));
        self.claimed = match (signed, signature) {
            (true, Some(extension)) => {
                let hex = extension
                    .strip_prefix(CHUNK_SIGNATURE.as_bytes())
                    .ok_or(bad("no chunk-signature="))?;
                let hex = core::str::from_utf8(hex).map_err(|_| bad("the signature is not hex"))?;
                let ok = hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !ok {
                    return Err(bad("the signature is not 64 lowercase hex digits"));
                }
                Signature::from_hex(hex)
            }
            (true, None) => return Err(bad("no chunk-signature")),
            (false, Some(_)) => return Err(bad("a chunk extension on an unsigned chunk")),
            (false, None) => None,
        };
        let size = usize::try_from(size)
            .ok()
            .filter(|&s| s <= self.max_chunk)
            .ok_or(ChunkedError::ChunkTooLarge {
                chunk,
                max: self.max_chunk,
            })?;
        if let Some(expected) = self.expected_decoded {
            let actual = self.decoded.saturating_add(size as u64);
            if actual > expected {
                return Err(ChunkedError::DecodedLengthMismatch { expected, actual });
            }
        }
        self.line = line;
        self.line.clear();
        self.data.clear();
        self.hasher = Sha256::new();
        if size == 0 {
            self.final_chunk()
        } else {
            self.state = State::Data { remaining: size };
            Ok(())
        }
    }

    /// Checks the chunk just read and makes its data ready.
    fn check_chunk(&mut self) -> Result<(), ChunkedError> {
        let hash: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        if let Some(signer) = &mut self.signer {
            let expected = signer.sign_hashed_chunk(&hash);
            if self.claimed != Some(expected) {
                return Err(ChunkedError::ChunkSignatureMismatch { chunk: self.chunk });
            }
        }
        self.decoded += self.data.len() as u64;
        #[cfg(feature = "checksums")]
        if let Some(checksum) = &mut self.checksum {
            checksum.update(&self.data);
        }
        Ok(())
    }

    /// The empty chunk: checked, then the trailer or the end.
    fn final_chunk(&mut self) -> Result<(), ChunkedError> {
        self.check_chunk()?;
        if let Some(expected) = self.expected_decoded {
            if self.decoded != expected {
                return Err(ChunkedError::DecodedLengthMismatch {
                    expected,
                    actual: self.decoded,
                });
            }
        }
        self.final_seen = true;
        self.state = State::Trailer;
        Ok(())
    }

    /// One line after the final chunk: a trailer header, the trailer
    /// signature, or the blank line that ends the body.
    fn trailer_line(&mut self) -> Result<(), ChunkedError> {
        let bad = |reason| ChunkedError::BadTrailer { reason };
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            return self.end();
        }
        self.trailer_bytes += line.len() + 2;
        if self.trailer_bytes > MAX_TRAILER_BYTES {
            return Err(bad("more than 4096 bytes"));
        }
        if self.framing == ChunkedFraming::Signed {
            return Err(bad("a trailer on a body that has none"));
        }
        if self.trailer_signature.is_some() {
            return Err(bad("a line after the trailer signature"));
        }
        let text = core::str::from_utf8(&line).map_err(|_| bad("a line that is not text"))?;
        let (name, value) = text.split_once(':').ok_or(bad("a line without ':'"))?;
        let name = name.to_ascii_lowercase();
        let value = value.trim_matches([' ', '\t']);
        if name.is_empty() || !crate::core::canonical::is_token(name.as_bytes()) {
            return Err(bad("a name that is not a token"));
        }
        if name == "x-amz-trailer-signature" {
            if self.framing != ChunkedFraming::SignedWithTrailer {
                return Err(bad("a trailer signature on unsigned chunks"));
            }
            let ok = value.len() == 64
                && value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            self.trailer_signature = Some(
                Signature::from_hex(value)
                    .filter(|_| ok)
                    .ok_or(bad("a signature that is not 64 lowercase hex digits"))?,
            );
        } else {
            if self.trailer.iter().any(|(n, _)| *n == name) {
                return Err(bad("a header given twice"));
            }
            self.trailer.push((name, value.to_owned()));
        }
        self.line = line;
        self.line.clear();
        Ok(())
    }

    /// The blank line: the trailer, if any, is checked, and the body ends.
    fn end(&mut self) -> Result<(), ChunkedError> {
        match self.framing {
            ChunkedFraming::Signed => {}
            ChunkedFraming::SignedWithTrailer => {
                let claimed = self.trailer_signature.ok_or(ChunkedError::BadTrailer {
                    reason: "no x-amz-trailer-signature",
                })?;
                let pairs: Vec<(&str, &str)> = self
                    .trailer
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let expected = self
                    .signer
                    .as_mut()
                    .map(|signer| signer.sign_trailer(&pairs));
                if expected != Some(claimed) {
                    return Err(ChunkedError::TrailerSignatureMismatch);
                }
            }
            ChunkedFraming::UnsignedWithTrailer => {}
        }
        if self.framing != ChunkedFraming::Signed && self.trailer.is_empty() {
            return Err(ChunkedError::BadTrailer {
                reason: "no trailer header",
            });
        }
        #[cfg(feature = "checksums")]
        if let Some(checksum) = self.checksum.take() {
            let header = checksum.algorithm().header_name();
            let [(name, value)] = self.trailer.as_slice() else {
                return Err(ChunkedError::BadTrailer {
                    reason: "not exactly the one checksum x-amz-trailer names",
                });
            };
            if name != header {
                return Err(ChunkedError::BadTrailer {
                    reason: "a checksum other than the one x-amz-trailer names",
                });
            }
            if *value != checksum.finish() {
                return Err(ChunkedError::ChecksumMismatch { header });
            }
        }
        self.state = State::End;
        Ok(())
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b.to_ascii_lowercase() - b'a' + 10,
    }
}
