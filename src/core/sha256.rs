//! SHA-256 and keyed HMAC-SHA256 for the signing hot path, built on the
//! `sha2` crate's compression function.
//!
//! Why not `sha2::Sha256` and `hmac::Hmac` here: the canonical request
//! reaches the hasher as dozens of short pieces, and each `update` through
//! the generic block buffer costs more than copying the piece. This stream
//! copies short pieces into one block and compresses whole blocks straight
//! from the input. HMAC keeps its two keyed states (after the ipad and opad
//! blocks) as 32 bytes each, so signing with a derived key starts from a
//! copy of a state instead of a clone of two hashers.
//!
//! The compression function is `sha2`'s (with its SHA-NI and ARMv8 paths);
//! only the Merkle–Damgård padding lives here. Tests check both types
//! against `sha2` and `hmac` over every length that crosses a block edge.

use sha2::block_api::compress256;
use zeroize::Zeroize;

use crate::core::encoding::Sink;

const BLOCK: usize = 64;

/// SHA-256 initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A streaming SHA-256 that takes many small writes cheaply.
#[derive(Clone)]
pub(crate) struct Sha256Stream {
    state: [u32; 8],
    block: [u8; BLOCK],
    filled: usize,
    /// Whole blocks compressed so far.
    blocks: u64,
}

impl Sha256Stream {
    pub(crate) const fn new() -> Self {
        Self::resume(IV, 0)
    }

    /// Continues from a state reached after `blocks` whole blocks.
    const fn resume(state: [u32; 8], blocks: u64) -> Self {
        Self {
            state,
            block: [0; BLOCK],
            filled: 0,
            blocks,
        }
    }

    #[inline]
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let end = self.filled + bytes.len();
        if end < BLOCK {
            self.block[self.filled..end].copy_from_slice(bytes);
            self.filled = end;
        } else {
            self.update_across_blocks(bytes);
        }
    }

    fn update_across_blocks(&mut self, bytes: &[u8]) {
        let (head, rest) = bytes.split_at(BLOCK - self.filled);
        self.block[self.filled..].copy_from_slice(head);
        compress256(&mut self.state, core::slice::from_ref(&self.block));
        let (whole, tail) = rest.as_chunks::<BLOCK>();
        if !whole.is_empty() {
            compress256(&mut self.state, whole);
        }
        self.blocks += 1 + whole.len() as u64;
        self.block[..tail.len()].copy_from_slice(tail);
        self.filled = tail.len();
    }

    /// Zeroes the state and the buffered input, for a stream kept while
    /// it holds a keyed state (see `signing_key`'s cached prefixes).
    pub(crate) fn wipe(&mut self) {
        self.state.zeroize();
        self.block.zeroize();
    }

    /// Pads, compresses the last block(s) and returns the digest. The
    /// buffered input stays in memory: for public input (canonical
    /// requests, bodies, strings to sign) only; see
    /// [`finish_wiping`](Self::finish_wiping).
    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.finish_in_place()
    }

    /// [`finish`](Self::finish), then wipes the buffered input: for input
    /// that is or derives from a secret (key derivation).
    pub(crate) fn finish_wiping(mut self) -> [u8; 32] {
        let digest = self.finish_in_place();
        self.block.zeroize();
        digest
    }

    fn finish_in_place(&mut self) -> [u8; 32] {
        let bit_len = (self.blocks * BLOCK as u64 + self.filled as u64) * 8;
        self.block[self.filled] = 0x80;
        self.block[self.filled + 1..].fill(0);
        if self.filled + 1 > BLOCK - 8 {
            compress256(&mut self.state, core::slice::from_ref(&self.block));
            self.block.fill(0);
        }
        self.block[BLOCK - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress256(&mut self.state, core::slice::from_ref(&self.block));
        digest_of(&self.state)
    }
}

impl Sink for Sha256Stream {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// The digest for a final state: its words, big-endian.
#[inline]
fn digest_of(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-256 of one byte string.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut stream = Sha256Stream::new();
    stream.update(bytes);
    stream.finish()
}

/// An HMAC-SHA256 key held as its two keyed states. Zeroized on drop.
#[derive(Clone)]
pub(crate) struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    /// Keys HMAC-SHA256; a key longer than a block is hashed first, as
    /// HMAC prescribes.
    pub(crate) fn new(key: &[u8]) -> Self {
        if key.len() > BLOCK {
            let mut stream = Sha256Stream::new();
            stream.update(key);
            let mut hashed = stream.finish_wiping();
            let this = Self::from_block_key(&hashed);
            hashed.zeroize();
            this
        } else {
            Self::from_block_key(key)
        }
    }

    fn from_block_key(key: &[u8]) -> Self {
        let mut pad = [0u8; BLOCK];
        let mut inner = IV;
        let mut outer = IV;
        for (p, k) in pad.iter_mut().zip(key.iter().chain(core::iter::repeat(&0))) {
            *p = k ^ 0x36;
        }
        compress256(&mut inner, core::slice::from_ref(&pad));
        for p in &mut pad {
            // Turns each `k ^ 0x36` into `k ^ 0x5c`.
            *p ^= 0x36 ^ 0x5c;
        }
        compress256(&mut outer, core::slice::from_ref(&pad));
        pad.zeroize();
        Self { inner, outer }
    }

    /// A stream that, once `finish_mac`ed, yields the HMAC of what was put.
    pub(crate) fn stream(&self) -> Sha256Stream {
        Sha256Stream::resume(self.inner, 1)
    }

    /// Completes the HMAC started by [`HmacKey::stream`], over public data
    /// (a string to sign): the result is a signature, not a key, so the
    /// buffers are not wiped.
    pub(crate) fn finish_mac(&self, stream: Sha256Stream) -> [u8; 32] {
        let inner = stream.finish();
        let block = outer_block(&inner);
        let mut outer = self.outer;
        compress256(&mut outer, core::slice::from_ref(&block));
        digest_of(&outer)
    }

    /// HMAC-SHA256 of one byte string, for key derivation: the result is
    /// the next key, so every buffer that held part of it is wiped.
    pub(crate) fn mac_wiping(&self, data: &[u8]) -> [u8; 32] {
        let mut stream = self.stream();
        stream.update(data);
        let mut inner = stream.finish_wiping();
        let mut block = outer_block(&inner);
        inner.zeroize();
        let mut outer = self.outer;
        compress256(&mut outer, core::slice::from_ref(&block));
        block.zeroize();
        let digest = digest_of(&outer);
        outer.zeroize();
        digest
    }
}

/// The outer hash's only block after the keyed one: the inner digest and
/// the padding for a 96-byte message (64 key bytes + 32).
#[inline]
fn outer_block(inner: &[u8; 32]) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    block[..32].copy_from_slice(inner);
    block[32] = 0x80;
    block[BLOCK - 8..].copy_from_slice(&((BLOCK as u64 + 32) * 8).to_be_bytes());
    block
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    #[test]
    fn matches_sha2_at_every_length_around_block_edges() {
        for len in 0..=300 {
            let data = bytes(len);
            assert_eq!(
                sha256(&data),
                <[u8; 32]>::from(Sha256::digest(&data)),
                "{len}"
            );
        }
    }

    #[test]
    fn many_small_writes_equal_one_write() {
        let data = bytes(1000);
        for step in [1, 3, 7, 63, 64, 65, 200] {
            let mut stream = Sha256Stream::new();
            for chunk in data.chunks(step) {
                stream.update(chunk);
            }
            assert_eq!(stream.finish(), sha256(&data), "step {step}");
        }
    }

    #[test]
    fn hmac_matches_the_hmac_crate() {
        for key_len in [0, 1, 32, 63, 64, 65, 200] {
            let key = bytes(key_len);
            let ours = HmacKey::new(&key);
            for len in [0, 1, 55, 56, 64, 119, 120, 500] {
                let data = bytes(len);
                let mut theirs = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                theirs.update(&data);
                let theirs: [u8; 32] = theirs.finalize().into_bytes().into();
                assert_eq!(ours.mac_wiping(&data), theirs, "key {key_len}, data {len}");
            }
        }
    }

    #[test]
    fn rfc4231_case_2() {
        let key = HmacKey::new(b"Jefe");
        assert_eq!(
            hex::encode(key.mac_wiping(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
