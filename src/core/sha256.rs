//! SHA-256 and HMAC-SHA256 for the stages: `sha2::Sha256` and
//! `hmac::Hmac<Sha256>`, each behind a small buffer of our own.
//!
//! Why the buffer: the canonical request and the string to sign reach the
//! hasher as dozens of short pieces (a name, a colon, a value, a newline),
//! and each `update` through the hasher's generic block buffer costs more
//! than copying the piece. [`Buffered`] gathers short pieces into a few
//! blocks and hands the hasher whole blocks only, so the hasher's own buffer
//! stays empty and it compresses them straight from ours (or from the input,
//! for a long piece such as a body): each byte is copied once at most. The last
//! partial block goes to the hasher at the end, which pads it. Nothing here
//! pads, compresses or keys by hand: that is `sha2`'s and `hmac`'s work.

use hmac::{Hmac, KeyInit, Mac};
use sha2::digest::Update;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::core::encoding::Sink;

/// HMAC-SHA256, keyed once and cloned per use: a keyed `Hmac` holds the
/// inner and outer states after the key blocks, so a clone signs with no
/// key setup. Its states are zeroized on drop (the `zeroize` features).
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// SHA-256's block size.
const BLOCK: usize = 64;

/// How much [`Buffered`] gathers: whole blocks, so what it hands over
/// leaves the hasher's own buffer empty. Four blocks hand a typical
/// canonical request over in one or two calls (set with
/// `benches/callgrind_w1.rs` over W1..W5: one block cost W1 about 500
/// instructions more a signature; eight blocks, more to copy when the
/// per-thread prefix is cloned).
const BUFFER: usize = 4 * BLOCK;

/// A buffer of whole blocks in front of a SHA-256 hasher or an HMAC-SHA256,
/// which has been given a whole number of blocks (none, or HMAC's key block).
#[derive(Clone)]
pub(crate) struct Buffered<H> {
    inner: H,
    buf: [u8; BUFFER],
    len: usize,
}

impl<H: Update> Buffered<H> {
    pub(crate) const fn new(inner: H) -> Self {
        Self {
            inner,
            buf: [0; BUFFER],
            len: 0,
        }
    }

    // Inlined into every writer: most writes are a copy of a few bytes.
    #[inline(always)]
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if end <= BUFFER {
            copy_short(&mut self.buf[self.len..end], bytes);
            self.len = end;
        } else {
            self.hand_over(bytes);
        }
    }

    /// Tops the buffer up and hands it over, then the whole blocks of the
    /// rest straight from `bytes`; the tail (less than a block) waits.
    #[inline(never)]
    fn hand_over(&mut self, bytes: &[u8]) {
        let (head, rest) = bytes.split_at(BUFFER - self.len);
        self.buf[self.len..].copy_from_slice(head);
        self.inner.update(&self.buf);
        let whole = rest.len() - rest.len() % BLOCK;
        self.inner.update(&rest[..whole]);
        let tail = &rest[whole..];
        self.buf[..tail.len()].copy_from_slice(tail);
        self.len = tail.len();
    }

    /// Hands over the buffered whole blocks, keeping the tail: for a stream
    /// kept to be cloned and continued, so the clones start past them.
    pub(crate) fn flush(&mut self) {
        let whole = self.len - self.len % BLOCK;
        if whole > 0 {
            self.inner.update(&self.buf[..whole]);
            self.buf.copy_within(whole..self.len, 0);
            self.len -= whole;
        }
    }

    /// The hasher, with every byte written handed to it.
    fn into_inner(mut self) -> H {
        self.inner.update(&self.buf[..self.len]);
        self.inner
    }
}

/// `dst.copy_from_slice(src)` (the two are the same length), without a
/// call to `memcpy` for the short pieces most writes are: two overlapping
/// fixed-size copies cover any length from 4 to 16.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 16 || n != dst.len() {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

impl<H: Update> Sink for Buffered<H> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// A streaming SHA-256 that takes many small writes cheaply.
pub(crate) type Sha256Stream = Buffered<Sha256>;

impl Sha256Stream {
    pub(crate) fn sha256() -> Self {
        Self::new(Sha256::new())
    }

    /// The digest of everything written. For public input (canonical
    /// requests, bodies): the buffer is not wiped.
    pub(crate) fn finish(self) -> [u8; 32] {
        self.into_inner().finalize().into()
    }
}

/// An HMAC-SHA256 in progress, from a keyed [`HmacSha256`].
pub(crate) type HmacStream = Buffered<HmacSha256>;

impl HmacStream {
    /// The MAC of everything written. For public input (strings to sign,
    /// chunk data): the result is a signature, not a key, and the buffer is
    /// not wiped; the MAC's own states are, on drop.
    pub(crate) fn finish(self) -> [u8; 32] {
        self.into_inner().finalize().into_bytes().into()
    }

    /// Wipes the buffered bytes, for a stream kept (per thread) past its
    /// use; the keyed states wipe themselves on drop.
    pub(crate) fn wipe(&mut self) {
        self.buf.zeroize();
        self.len = 0;
    }
}

/// SHA-256 of one byte string.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// HMAC-SHA256 keyed with `key` (a key longer than a block is hashed first,
/// as HMAC prescribes; `hmac` does it).
pub(crate) fn hmac_key(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    /// Writes of every size, split every way around the buffer's edge,
    /// give `sha2`'s digest of the whole.
    #[test]
    fn buffered_writes_equal_one_write() {
        let data = bytes(1000);
        for step in [1, 3, 7, 63, 64, 65, 127, 128, 129, 200, 1000] {
            // Also with a flush after every write, as the kept prefixes do.
            let mut flushed = Sha256Stream::sha256();
            for chunk in data.chunks(step) {
                flushed.update(chunk);
                flushed.flush();
            }
            assert_eq!(flushed.finish(), sha256(&data), "flushed, step {step}");
            let mut stream = Sha256Stream::sha256();
            for chunk in data.chunks(step) {
                stream.update(chunk);
            }
            assert_eq!(stream.finish(), sha256(&data), "step {step}");
        }
        for len in 0..=300 {
            let data = bytes(len);
            let mut stream = Sha256Stream::sha256();
            let (a, b) = data.split_at(len / 3);
            stream.update(a);
            stream.update(b);
            assert_eq!(stream.finish(), sha256(&data), "{len}");
        }
    }

    #[test]
    fn rfc4231_case_2() {
        let mut mac = HmacStream::new(hmac_key(b"Jefe"));
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finish()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// RFC 4231 case 6: a key longer than a block.
    #[test]
    fn rfc4231_case_6() {
        let mut mac = HmacStream::new(hmac_key(&[0xaa; 131]));
        mac.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex::encode(mac.finish()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
