//! aws-chunked payload signing, sans-IO: the chain of chunk signatures
//! that follows a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` seed signature
//! (AWS, "Transferring payload in multiple chunks"), and the trailer
//! signature of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
//!
//! Each chunk's string to sign is
//!
//! ```text
//! AWS4-HMAC-SHA256-PAYLOAD
//! <x-amz-date>
//! <scope>
//! <previous signature>
//! <SHA-256 of the empty string>
//! <SHA-256 of the chunk>
//! ```
//!
//! so each signature covers every chunk before it, and the stream ends with
//! a signed empty chunk. The first three lines are the same for the whole
//! stream: the signer hashes them once, into a keyed state it clones for
//! each chunk. No I/O and no allocation per chunk: the caller owns every
//! buffer.

use std::fmt;

mod checksum;
mod decode;

#[cfg(feature = "checksums")]
pub use checksum::Checksum;
pub use checksum::ChecksumAlgorithm;

pub use decode::{ChunkDecoder, ChunkedError, Decoded, DEFAULT_MAX_CHUNK_SIZE, MAX_TRAILER_BYTES};

use crate::core::encoding::{hex32, Sink};
use crate::core::error::InvalidInput;
use crate::core::payload::{
    Payload, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
};
use crate::core::scope::CredentialScope;
use crate::core::sha256::{sha256, HmacStream};
use crate::core::signature::Signature;
use crate::core::signing_key::SigningKey;
use crate::core::time::SigningTime;

/// The first line of a chunk's string to sign.
pub const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";

/// The first line of a trailer's string to sign.
pub const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";

/// SHA-256 of the empty string, the fifth line of every chunk's string to
/// sign.
const EMPTY_SHA256_HEX: &[u8; 64] =
    b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The extension of a signed chunk's size line, after the `;`.
pub(crate) const CHUNK_SIGNATURE: &str = "chunk-signature=";

/// How an aws-chunked body is framed, after the request's
/// `x-amz-content-sha256`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkedFraming {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailer.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then a
    /// signed trailer.
    SignedWithTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then a
    /// trailer (its checksum covers the data).
    UnsignedWithTrailer,
}

/// The longest chunk header [`ChunkSigner::write_chunk_header`] writes:
/// sixteen hex digits of size, `;chunk-signature=`, 64 hex digits, CRLF.
pub const MAX_CHUNK_HEADER_LEN: usize = 16 + ";chunk-signature=".len() + 64 + 2;

/// Signs the chunks of one aws-chunked body, in order, each over the
/// signature before it, starting from the request's seed signature.
///
/// # Examples
///
/// The AWS documentation's example: 66,560 bytes of `a` in 64 KiB chunks.
///
/// ```
/// use sigv4::{ChunkSigner, CredentialScope, Region, Service, Signature, SigningKey, SigningTime};
///
/// let time = SigningTime::parse("20130524T000000Z")?;
/// let (region, service) = (Region::new("us-east-1")?, Service::new("s3")?);
/// let scope = CredentialScope::new(&time, &region, &service);
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &scope);
/// let seed = Signature::from_hex("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
///     .expect("64 hex digits");
///
/// let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
/// let body = vec![b'a'; 66_560];
/// let mut encoded = Vec::new();
/// for chunk in body.chunks(64 * 1024) {
///     signer.write_chunk_header(chunk, &mut encoded);
///     encoded.extend_from_slice(chunk);
///     encoded.extend_from_slice(b"\r\n");
/// }
/// let last = signer.write_final_chunk(&mut encoded);
/// assert!(encoded.starts_with(
///     b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
/// ));
/// assert_eq!(last.to_string(), "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
/// assert_eq!(encoded.len() as u64, sigv4::signed_chunked_length(66_560, 64 * 1024).unwrap());
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone)]
pub struct ChunkSigner {
    /// Keyed, with the chunk string to sign's first three lines absorbed.
    chunk: HmacStream,
    /// The same for the trailer's string to sign.
    trailer: HmacStream,
    previous: Signature,
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The states are keyed: only the public running signature shows.
        f.debug_struct("ChunkSigner")
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// A signer for the chunks of a request signed at `time` for `scope`
    /// with `key`, whose seed signature (the request's own) is `seed`.
    #[must_use]
    pub fn new(
        key: &SigningKey,
        time: &SigningTime,
        scope: &CredentialScope<'_>,
        seed: Signature,
    ) -> Self {
        let prefixed = |algorithm: &str| {
            let mut stream = key.stream();
            stream.put(algorithm.as_bytes());
            stream.put(b"\n");
            stream.put(time.amz_bytes());
            stream.put(b"\n");
            scope.write_to(&mut stream);
            stream.put(b"\n");
            stream.flush();
            stream
        };
        Self {
            chunk: prefixed(CHUNK_ALGORITHM),
            trailer: prefixed(TRAILER_ALGORITHM),
            previous: seed,
        }
    }

    /// The last signature of the chain: the seed before any chunk.
    #[must_use]
    pub fn previous(&self) -> Signature {
        self.previous
    }

    /// Signs the next chunk (an empty one ends the stream) and makes its
    /// signature the one the next chunk is signed over.
    pub fn sign_chunk(&mut self, chunk: &[u8]) -> Signature {
        self.sign_hashed_chunk(&sha256(chunk))
    }

    /// [`sign_chunk`](Self::sign_chunk) for a chunk whose SHA-256 the
    /// caller computed as the data streamed by.
    pub(crate) fn sign_hashed_chunk(&mut self, hash: &[u8; 32]) -> Signature {
        let mut stream = self.chunk.clone();
        stream.put(&self.previous.to_hex());
        stream.put(b"\n");
        stream.put(EMPTY_SHA256_HEX);
        stream.put(b"\n");
        stream.put(&hex32(hash));
        self.previous = Signature::from_bytes(stream.finish());
        self.previous
    }

    /// Signs `chunk` and appends its header,
    /// `hex-size;chunk-signature=SIG\r\n` (at most
    /// [`MAX_CHUNK_HEADER_LEN`] bytes), to `out`. The caller then writes the
    /// chunk and `\r\n`.
    pub fn write_chunk_header(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Signature {
        let signature = self.sign_chunk(chunk);
        write_size(out, chunk.len() as u64);
        out.put(b";chunk-signature=");
        out.put(&signature.to_hex());
        out.put(b"\r\n");
        signature
    }

    /// Ends a body without a trailer: appends the signed empty chunk and
    /// the blank line, `0;chunk-signature=SIG\r\n\r\n`. Consumes the signer:
    /// nothing can be signed after the end.
    pub fn write_final_chunk(mut self, out: &mut Vec<u8>) -> Signature {
        let signature = self.write_chunk_header(&[], out);
        out.put(b"\r\n");
        signature
    }

    /// Ends a body with a signed trailer: the signed empty chunk
    /// (`0;chunk-signature=SIG\r\n`), each trailer header as `name:value\r\n`,
    /// `x-amz-trailer-signature:SIG\r\n` and the blank line. The trailer
    /// signature is over the SHA-256 of the headers as `name:value\n`
    /// (names lowercase, values trimmed). Returns the trailer signature.
    pub fn write_final_chunk_with_trailer(
        mut self,
        trailer: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Signature {
        self.write_chunk_header(&[], out);
        for (name, value) in trailer {
            out.put(name.as_bytes());
            out.put(b":");
            out.put(value.trim().as_bytes());
            out.put(b"\r\n");
        }
        let signature = self.sign_trailer(trailer);
        out.put(b"x-amz-trailer-signature:");
        out.put(&signature.to_hex());
        out.put(b"\r\n\r\n");
        signature
    }

    /// The trailer signature over the previous (final chunk's) signature.
    pub(crate) fn sign_trailer(&mut self, trailer: &[(&str, &str)]) -> Signature {
        let mut canonical = crate::core::sha256::Sha256Stream::sha256();
        for (name, value) in trailer {
            for b in name.bytes() {
                canonical.put(&[b.to_ascii_lowercase()]);
            }
            canonical.put(b":");
            canonical.put(value.trim().as_bytes());
            canonical.put(b"\n");
        }
        let mut stream = self.trailer.clone();
        stream.put(&self.previous.to_hex());
        stream.put(b"\n");
        stream.put(&hex32(&canonical.finish()));
        self.previous = Signature::from_bytes(stream.finish());
        self.previous
    }
}

/// Appends `n` as lowercase hex without leading zeros (`0` for zero).
fn write_size(out: &mut Vec<u8>, n: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = DIGITS[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.put(&digits[at..]);
}

/// Number of hex digits of `n` (at least one).
fn hex_len(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}

/// How a body is sent as aws-chunked: its framing, decoded length, chunk
/// size and trailer checksum. The signer sets the headers it implies
/// ([`Signer::sign_chunked`](crate::Signer::sign_chunked)) and the
/// [`ChunkedEncoder`] it returns writes the framing.
///
/// # Examples
///
/// ```
/// use sigv4::ChunkedUpload;
///
/// let upload = ChunkedUpload::signed(66_560, 64 * 1024)?;
/// assert_eq!(upload.encoded_length(), Some(66_824));
/// assert_eq!(upload.content_sha256(), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkedUpload {
    framing: ChunkedFraming,
    decoded_length: u64,
    chunk_size: usize,
    checksum: Option<ChecksumAlgorithm>,
}

impl ChunkedUpload {
    /// Signed chunks, no trailer (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`):
    /// `decoded_length` bytes in chunks of `chunk_size` (the last shorter).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::ChunkedUpload`] for a chunk size of zero.
    pub fn signed(decoded_length: u64, chunk_size: usize) -> Result<Self, InvalidInput> {
        if chunk_size == 0 {
            return Err(InvalidInput::ChunkedUpload {
                reason: "a chunk size of zero",
            });
        }
        Ok(Self {
            framing: ChunkedFraming::Signed,
            decoded_length,
            chunk_size,
            checksum: None,
        })
    }

    /// Unsigned chunks with a trailer checksum
    /// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`; feature `checksums`).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::ChunkedUpload`] for a chunk size of zero.
    #[cfg(feature = "checksums")]
    pub fn unsigned_with_trailer(
        decoded_length: u64,
        chunk_size: usize,
        checksum: ChecksumAlgorithm,
    ) -> Result<Self, InvalidInput> {
        let signed = Self::signed(decoded_length, chunk_size)?;
        Ok(Self {
            framing: ChunkedFraming::UnsignedWithTrailer,
            checksum: Some(checksum),
            ..signed
        })
    }

    /// The same upload with a signed trailer carrying `checksum`
    /// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`; feature `checksums`).
    /// On unsigned chunks it changes only the checksum.
    #[cfg(feature = "checksums")]
    #[must_use]
    pub fn with_trailer_checksum(mut self, checksum: ChecksumAlgorithm) -> Self {
        if self.framing == ChunkedFraming::Signed {
            self.framing = ChunkedFraming::SignedWithTrailer;
        }
        self.checksum = Some(checksum);
        self
    }

    /// The same upload for a body of `decoded_length` bytes.
    #[must_use]
    pub fn with_decoded_length(mut self, decoded_length: u64) -> Self {
        self.decoded_length = decoded_length;
        self
    }

    /// The payload the request is signed with: one of the `STREAMING-*`
    /// constants.
    #[must_use]
    pub fn payload(&self) -> Payload<'static> {
        match self.framing {
            ChunkedFraming::Signed => Payload::StreamingSigned,
            ChunkedFraming::SignedWithTrailer => Payload::StreamingSignedTrailer,
            ChunkedFraming::UnsignedWithTrailer => Payload::StreamingUnsignedTrailer,
        }
    }

    /// The framing.
    #[must_use]
    pub fn framing(&self) -> ChunkedFraming {
        self.framing
    }

    /// The decoded length, `x-amz-decoded-content-length`.
    #[must_use]
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }

    /// The chunk size.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The trailer checksum, if any (`x-amz-trailer` names its header).
    #[must_use]
    pub fn checksum(&self) -> Option<ChecksumAlgorithm> {
        self.checksum
    }

    /// The payload line, `x-amz-content-sha256`.
    #[must_use]
    pub fn content_sha256(&self) -> &'static str {
        match self.framing {
            ChunkedFraming::Signed => STREAMING_SIGNED_PAYLOAD,
            ChunkedFraming::SignedWithTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
            ChunkedFraming::UnsignedWithTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
        }
    }

    /// The encoded length, `content-length`; `None` if it overflows.
    #[must_use]
    pub fn encoded_length(&self) -> Option<u64> {
        // A checksum's base64 is as long for every value.
        let placeholder = "A".repeat(self.checksum.map_or(0, base64_len));
        let trailer: Vec<(&str, &str)> = self
            .checksum
            .map(|c| (c.header_name(), placeholder.as_str()))
            .into_iter()
            .collect();
        chunked_length(
            self.decoded_length,
            self.chunk_size as u64,
            self.framing,
            &trailer,
        )
    }
}

/// Length of a checksum's base64: 4 bytes for the CRCs, 20 for SHA-1, 32
/// for SHA-256.
fn base64_len(checksum: ChecksumAlgorithm) -> usize {
    let bytes: usize = match checksum {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    };
    bytes.div_ceil(3) * 4
}

/// Writes an aws-chunked body as its [`ChunkedUpload`] says, a chunk at a
/// time into buffers the caller owns: size lines (signed or not), then the
/// final chunk and the trailer. Made by
/// [`Signer::sign_chunked`](crate::Signer::sign_chunked).
///
/// Each chunk but the last must be exactly the chunk size, and the chunks
/// must add up to the decoded length: the `content-length` already sent
/// says so.
#[derive(Clone, Debug)]
pub struct ChunkedEncoder {
    upload: ChunkedUpload,
    signer: Option<ChunkSigner>,
    written: u64,
    short_seen: bool,
    #[cfg(feature = "checksums")]
    checksum: Option<Checksum>,
}

impl ChunkedEncoder {
    /// An encoder for `upload`; signed framings need the `signer` of the
    /// request's chunks.
    pub(crate) fn new(upload: ChunkedUpload, signer: Option<ChunkSigner>) -> Self {
        Self {
            #[cfg(feature = "checksums")]
            checksum: upload.checksum.map(Checksum::new),
            upload,
            signer,
            written: 0,
            short_seen: false,
        }
    }

    /// The upload this encoder writes.
    #[must_use]
    pub fn upload(&self) -> &ChunkedUpload {
        &self.upload
    }

    /// Appends the size line of `chunk` (signing it, for signed framings);
    /// the caller then writes the chunk and `\r\n`. An empty chunk is not
    /// a data chunk: end with [`finish`](Self::finish).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::ChunkedUpload`] for an empty chunk, a chunk larger
    /// than the chunk size, a short chunk before the last, or more data
    /// than the decoded length.
    pub fn write_chunk_header(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), InvalidInput> {
        let bad = |reason| InvalidInput::ChunkedUpload { reason };
        if chunk.is_empty() {
            return Err(bad("an empty data chunk (end the body with finish)"));
        }
        if chunk.len() > self.upload.chunk_size {
            return Err(bad("a chunk larger than the chunk size"));
        }
        if self.short_seen {
            return Err(bad("a chunk after a short one"));
        }
        let total = self.written.saturating_add(chunk.len() as u64);
        if total > self.upload.decoded_length {
            return Err(bad("more data than the decoded length"));
        }
        self.short_seen = chunk.len() < self.upload.chunk_size;
        self.written = total;
        #[cfg(feature = "checksums")]
        if let Some(checksum) = &mut self.checksum {
            checksum.update(chunk);
        }
        match &mut self.signer {
            Some(signer) => {
                signer.write_chunk_header(chunk, out);
            }
            None => write_unsigned_chunk_header(chunk.len(), out),
        }
        Ok(())
    }

    /// Appends the end of the body: the final chunk, and the trailer with
    /// the checksum of the data written.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::ChunkedUpload`] when the data written is shorter
    /// than the decoded length.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), InvalidInput> {
        if self.written != self.upload.decoded_length {
            return Err(InvalidInput::ChunkedUpload {
                reason: "less data than the decoded length",
            });
        }
        #[cfg(feature = "checksums")]
        let value = self
            .checksum
            .map(|c| (c.algorithm().header_name(), c.finish()));
        #[cfg(not(feature = "checksums"))]
        let value: Option<(&str, String)> = None;
        let trailer: Vec<(&str, &str)> = value
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        match (self.signer, self.upload.framing) {
            (Some(signer), ChunkedFraming::Signed) => {
                signer.write_final_chunk(out);
            }
            (Some(signer), _) => {
                signer.write_final_chunk_with_trailer(&trailer, out);
            }
            (None, _) => write_unsigned_final_chunk(&trailer, out),
        }
        Ok(())
    }
}

/// Appends an unsigned chunk's size line, `hex-size\r\n`
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`); the caller then writes the
/// chunk and `\r\n`.
pub fn write_unsigned_chunk_header(len: usize, out: &mut Vec<u8>) {
    write_size(out, len as u64);
    out.put(b"\r\n");
}

/// Ends an unsigned body: `0\r\n`, each trailer header as
/// `name:value\r\n`, and the blank line.
pub fn write_unsigned_final_chunk(trailer: &[(&str, &str)], out: &mut Vec<u8>) {
    out.put(b"0\r\n");
    for (name, value) in trailer {
        out.put(name.as_bytes());
        out.put(b":");
        out.put(value.trim().as_bytes());
        out.put(b"\r\n");
    }
    out.put(b"\r\n");
}

/// The length of a body of `decoded` bytes sent as signed aws-chunked in
/// chunks of `chunk_size` (the last one shorter), ending with the signed
/// empty chunk and no trailer: the `content-length` to send before the
/// body. `None` when `chunk_size` is zero or the length overflows.
#[must_use]
pub fn signed_chunked_length(decoded: u64, chunk_size: u64) -> Option<u64> {
    chunked_length(decoded, chunk_size, ChunkedFraming::Signed, &[])
}

/// The encoded length of a body of `decoded` bytes in chunks of
/// `chunk_size`, framed as `framing`, with these trailer headers (ignored
/// for [`ChunkedFraming::Signed`]): what the signer and the
/// `write_unsigned_*` functions write. `None` when `chunk_size` is zero or
/// the length overflows.
#[must_use]
pub fn chunked_length(
    decoded: u64,
    chunk_size: u64,
    framing: ChunkedFraming,
    trailer: &[(&str, &str)],
) -> Option<u64> {
    if chunk_size == 0 {
        return None;
    }
    let signature = match framing {
        ChunkedFraming::UnsignedWithTrailer => 0,
        _ => 1 + CHUNK_SIGNATURE.len() as u64 + 64,
    };
    let framing_of = |size: u64| hex_len(size) + signature + 2;
    let full = decoded / chunk_size;
    let rest = decoded % chunk_size;
    let mut total = full.checked_mul(framing_of(chunk_size).checked_add(chunk_size)? + 2)?;
    if rest > 0 {
        total = total.checked_add(framing_of(rest) + rest + 2)?;
    }
    total = total.checked_add(framing_of(0))?;
    if framing != ChunkedFraming::Signed {
        for (name, value) in trailer {
            total = total.checked_add((name.len() + 1 + value.trim().len() + 2) as u64)?;
        }
        if framing == ChunkedFraming::SignedWithTrailer {
            total = total.checked_add(("x-amz-trailer-signature:".len() + 64 + 2) as u64)?;
        }
    }
    // The blank line that ends the body.
    total.checked_add(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::scope::{Region, Service};

    #[test]
    fn sizes_are_lowercase_hex_without_leading_zeros() {
        for (n, text) in [
            (0, "0"),
            (1, "1"),
            (1024, "400"),
            (65_536, "10000"),
            (u64::MAX, "ffffffffffffffff"),
        ] {
            let mut out = Vec::new();
            write_size(&mut out, n);
            assert_eq!(out, text.as_bytes());
            assert_eq!(hex_len(n), text.len() as u64);
        }
    }

    /// The encoded length equals what the signer writes, for sizes at and
    /// around multiples of the chunk size.
    #[test]
    fn encoded_length_matches_the_encoding() {
        let time = SigningTime::parse("20130524T000000Z").unwrap();
        let (region, service) = (
            Region::new("us-east-1").unwrap(),
            Service::new("s3").unwrap(),
        );
        let scope = CredentialScope::new(&time, &region, &service);
        let key = SigningKey::derive("secret", &scope);
        let seed = Signature::from_bytes([7; 32]);
        for chunk_size in [1usize, 7, 16, 255, 256, 4096] {
            for len in [
                0,
                1,
                chunk_size - 1,
                chunk_size,
                chunk_size + 1,
                3 * chunk_size,
                3 * chunk_size + 5,
            ] {
                let body = vec![b'x'; len];
                let mut signer = ChunkSigner::new(&key, &time, &scope, seed);
                let mut out = Vec::new();
                for chunk in body.chunks(chunk_size) {
                    signer.write_chunk_header(chunk, &mut out);
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                signer.write_final_chunk(&mut out);
                assert_eq!(
                    signed_chunked_length(len as u64, chunk_size as u64),
                    Some(out.len() as u64),
                    "{len} in chunks of {chunk_size}"
                );
            }
        }
        assert_eq!(signed_chunked_length(1, 0), None);
        assert_eq!(signed_chunked_length(u64::MAX, 1), None);
    }
}
