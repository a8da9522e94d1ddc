//! The checksums an aws-chunked trailer carries (`x-amz-checksum-*`),
//! base64 of the big-endian digest, as S3 sends and checks them. The
//! algorithms come from well-kept crates (`crc32fast`, `crc32c`, `sha1`,
//! `sha2`) behind feature `checksums`; naming them needs no feature.

/// A trailer checksum's algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE), `x-amz-checksum-crc32`.
    Crc32,
    /// CRC-32C (Castagnoli), `x-amz-checksum-crc32c`.
    Crc32c,
    /// SHA-1, `x-amz-checksum-sha1`.
    Sha1,
    /// SHA-256, `x-amz-checksum-sha256`.
    Sha256,
}

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: [Self; 4] = [Self::Crc32, Self::Crc32c, Self::Sha1, Self::Sha256];

    /// The short name: `crc32`, `crc32c`, `sha1`, `sha256`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    /// The trailer header that carries it: `x-amz-checksum-crc32`, ...
    #[must_use]
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm of a short name (`crc32`), in any case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The algorithm of a trailer header name (`x-amz-checksum-crc32`), in
    /// any case, as `x-amz-trailer` names it.
    #[must_use]
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A running checksum over a body's data (feature `checksums`).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "checksums")] {
/// use sigv4::{Checksum, ChecksumAlgorithm};
///
/// let mut crc = Checksum::new(ChecksumAlgorithm::Crc32);
/// crc.update(b"Hello world");
/// assert_eq!(crc.finish(), "i9aeUg==");
/// # }
/// ```
#[cfg(feature = "checksums")]
#[derive(Clone)]
pub struct Checksum {
    state: State,
}

#[cfg(feature = "checksums")]
#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

#[cfg(feature = "checksums")]
impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "checksums")]
impl Checksum {
    /// A checksum of nothing yet.
    #[must_use]
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        use sha2::Digest;
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Self { state }
    }

    /// Its algorithm.
    #[must_use]
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The checksum as the trailer carries it: base64 of the digest
    /// (big-endian for the CRCs).
    #[must_use]
    pub fn finish(self) -> String {
        use base64::Engine as _;
        use sha2::Digest;
        let engine = base64::engine::general_purpose::STANDARD;
        match self.state {
            State::Crc32(h) => engine.encode(h.finalize().to_be_bytes()),
            State::Crc32c(crc) => engine.encode(crc.to_be_bytes()),
            State::Sha1(h) => engine.encode(h.finalize()),
            State::Sha256(h) => engine.encode(h.finalize()),
        }
    }
}

#[cfg(all(test, feature = "checksums"))]
mod tests {
    use super::*;

    /// Known answers: the CRC check values of "123456789" (CRC-32
    /// 0xCBF43926, CRC-32C 0xE3069283) and the FIPS 180 SHA vectors of
    /// "abc".
    #[test]
    fn known_answers() {
        let sum = |a, data: &[u8]| {
            let mut c = Checksum::new(a);
            // In two pieces: the running state is what is tested.
            let (x, y) = data.split_at(data.len() / 2);
            c.update(x);
            c.update(y);
            c.finish()
        };
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(
            sum(ChecksumAlgorithm::Crc32, b"123456789"),
            b64(&0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            sum(ChecksumAlgorithm::Crc32c, b"123456789"),
            b64(&0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            sum(ChecksumAlgorithm::Sha1, b"abc"),
            b64(&hex::decode("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap())
        );
        assert_eq!(
            sum(ChecksumAlgorithm::Sha256, b"abc"),
            b64(
                &hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                    .unwrap()
            )
        );
    }

    #[test]
    fn names_round_trip() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(a.name()), Some(a));
            assert_eq!(
                ChecksumAlgorithm::from_header_name(&a.header_name().to_uppercase()),
                Some(a)
            );
        }
        assert_eq!(ChecksumAlgorithm::from_name("md5"), None);
    }
}
