//! SigV4a (`AWS4-ECDSA-P256-SHA256`, feature `sigv4a`): one signature
//! for a set of regions, by an ECDSA P-256 key derived from the secret.
//!
//! - The key: NIST SP 800-108 counter-mode KDF with HMAC-SHA256 keyed with
//!   `"AWS4A" + secret`, over `1 (u32) | "AWS4-ECDSA-P256-SHA256" | 0 |
//!   access key id | counter (u8) | 256 (u32)`; the first candidate not
//!   above n - 2 (n the curve order), plus one, is the private scalar. It
//!   depends on the credentials only.
//! - The string to sign: `AWS4-ECDSA-P256-SHA256`, the `x-amz-date`, the
//!   scope `date/service/aws4_request` (no region), and the hash of the
//!   canonical request, which signs `x-amz-region-set` (a header, or
//!   `X-Amz-Region-Set` in a presigned URL).
//! - The signature: ECDSA over SHA-256 of the string to sign (RFC 6979
//!   nonces), DER-encoded, in lowercase hex.
//!
//! Curve arithmetic and ECDSA are RustCrypto's `p256`; this module only
//! compares and increments the KDF's 32-byte candidate.

use std::fmt;

use hmac::Mac;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{DerSignature, Signature as EcdsaSig, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::core::encoding::{hex32, Sink};
use crate::core::error::InvalidInput;
use crate::core::scope::{Service, TERMINATOR};
use crate::core::sha256::{hmac_key, Sha256Stream};
use crate::core::time::SigningTime;

/// The algorithm, as the `Authorization` header and `X-Amz-Algorithm` say.
pub const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";

/// The P-256 group order less two, big-endian: the KDF's bound.
const N_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// A set of regions a SigV4a signature is good for: `*`, or region names
/// and patterns such as `us-*`, comma-separated.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "sigv4a")] {
/// use sigv4::RegionSet;
///
/// let set = RegionSet::new("us-east-1, us-west-*")?;
/// assert_eq!(set.as_str(), "us-east-1,us-west-*");
/// assert!(set.contains("us-west-2") && !set.contains("eu-west-1"));
/// assert!(RegionSet::new("*")?.contains("ap-south-1"));
/// assert!(RegionSet::new("").is_err() && RegionSet::new("us-east-1,,x").is_err());
/// # }
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegionSet(Box<str>);

impl RegionSet {
    /// A region set from its text (spaces around entries are dropped).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::RegionSet`] for an empty set, an empty entry, or an
    /// entry of other than letters, digits, `-`, `_`, `.` and `*`.
    pub fn new(text: &str) -> Result<Self, InvalidInput> {
        let bad = || InvalidInput::RegionSet {
            value: text.chars().take(128).collect(),
        };
        let mut out = String::with_capacity(text.len());
        for (i, entry) in text.split(',').map(str::trim).enumerate() {
            let ok = !entry.is_empty()
                && entry
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*'));
            if !ok {
                return Err(bad());
            }
            if i > 0 {
                out.push(',');
            }
            out.push_str(entry);
        }
        Ok(Self(out.into_boxed_str()))
    }

    /// The set as signed: entries joined by `,`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `region` is in the set: listed, matched by a pattern
    /// (`*` stands for any run of characters), or the set is `*`.
    #[must_use]
    pub fn contains(&self, region: &str) -> bool {
        self.0
            .split(',')
            .any(|entry| matches_pattern(entry, region))
    }
}

impl fmt::Debug for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionSet({:?})", self.0)
    }
}

impl fmt::Display for RegionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Glob match with `*` only, iteratively (no backtracking blow-up: the
/// last `*` seen is the only one retried).
fn matches_pattern(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i].eq_ignore_ascii_case(&t[j]) {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&b| b == b'*')
}

/// A SigV4a key: the P-256 private key derived from a secret. Zeroized on
/// drop (`p256` does it); `Debug` shows only the public key.
#[derive(Clone)]
pub struct EcdsaKey {
    signing: SigningKey,
}

impl fmt::Debug for EcdsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, y) = self.public_key_xy();
        f.debug_struct("EcdsaKey")
            .field("public_x", &hex::encode(x))
            .field("public_y", &hex::encode(y))
            .finish_non_exhaustive()
    }
}

impl EcdsaKey {
    /// Derives the key for an access key id and secret.
    #[must_use]
    pub fn derive(access_key_id: &str, secret_access_key: &str) -> Self {
        let mut input_key = Zeroizing::new(Vec::with_capacity(5 + secret_access_key.len()));
        input_key.extend_from_slice(b"AWS4A");
        input_key.extend_from_slice(secret_access_key.as_bytes());
        let keyed = hmac_key(&input_key);
        for counter in 1..=u8::MAX {
            let mut mac = keyed.clone();
            mac.update(&1u32.to_be_bytes());
            mac.update(ALGORITHM_V4A.as_bytes());
            mac.update(&[0]);
            mac.update(access_key_id.as_bytes());
            mac.update(&[counter]);
            mac.update(&256u32.to_be_bytes());
            let mut candidate = Zeroizing::new([0u8; 32]);
            candidate.copy_from_slice(&mac.finalize().into_bytes());
            // Big-endian arrays compare as the numbers do.
            if *candidate <= N_MINUS_2 {
                increment(&mut candidate);
                let bytes = p256::FieldBytes::from(*candidate);
                // In 1..=n-1: a valid scalar.
                if let Ok(signing) = SigningKey::from_bytes(&bytes) {
                    return Self { signing };
                }
            }
        }
        // Each candidate is above n - 2 with probability about 2^-32: 255
        // in a row does not happen.
        unreachable!("the SigV4a key derivation found no key in 255 tries")
    }

    /// The public key's affine coordinates, big-endian.
    #[must_use]
    pub fn public_key_xy(&self) -> ([u8; 32], [u8; 32]) {
        public_xy(self.signing.verifying_key())
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.signing.verifying_key())
    }

    /// Signs a string to sign: ECDSA over its SHA-256, DER-encoded.
    #[must_use]
    pub fn sign(&self, string_to_sign: &StringToSignV4a<'_>) -> EcdsaSignature {
        let digest = string_to_sign.digest();
        let signature: EcdsaSig = match self.signing.sign_prehash(&digest) {
            Ok(signature) => signature,
            // RFC 6979 signing fails only for a zero digest scalar, which
            // SHA-256 output cannot be made to hit.
            Err(_) => unreachable!("ECDSA signing of a SHA-256 digest failed"),
        };
        EcdsaSignature::from_der_signature(&signature.to_der())
    }
}

fn public_xy(key: &VerifyingKey) -> ([u8; 32], [u8; 32]) {
    let point = key.to_sec1_point(false);
    let bytes = point.as_bytes();
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    // Uncompressed: 0x04 | X | Y.
    if bytes.len() == 65 {
        x.copy_from_slice(&bytes[1..33]);
        y.copy_from_slice(&bytes[33..65]);
    }
    (x, y)
}

/// Adds one to a 32-byte big-endian number known to be below 2^256 - 1.
fn increment(n: &mut [u8; 32]) {
    for byte in n.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            return;
        }
    }
}

/// A SigV4a public key, for verifying.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, y) = public_xy(&self.0);
        write!(f, "PublicKey(x={}, y={})", hex::encode(x), hex::encode(y))
    }
}

impl PublicKey {
    /// A public key from its affine coordinates (big-endian), as the AWS
    /// test suite's `public-key.json` gives them.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::PublicKey`] for a point not on the curve.
    pub fn from_xy(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, InvalidInput> {
        let mut sec1 = [0u8; 65];
        sec1[0] = 4;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        VerifyingKey::from_sec1_bytes(&sec1)
            .map(Self)
            .map_err(|_| InvalidInput::PublicKey)
    }

    /// The affine coordinates, big-endian.
    #[must_use]
    pub fn xy(&self) -> ([u8; 32], [u8; 32]) {
        public_xy(&self.0)
    }

    /// Whether `signature` signs `string_to_sign` under this key. The
    /// signature must be canonical DER (high and low S are both accepted:
    /// AWS signs with either).
    #[must_use]
    pub fn verifies(
        &self,
        string_to_sign: &StringToSignV4a<'_>,
        signature: &EcdsaSignature,
    ) -> bool {
        let Ok(parsed) = EcdsaSig::from_der(signature.as_der()) else {
            return false;
        };
        // Canonical DER only: what parses must encode back to the same bytes.
        if parsed.to_der().as_bytes() != signature.as_der() {
            return false;
        }
        self.0
            .verify_prehash(&string_to_sign.digest(), &parsed)
            .is_ok()
    }
}

/// A DER-encoded ECDSA signature (at most 72 bytes), shown and sent as
/// lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EcdsaSignature {
    der: [u8; 72],
    len: u8,
}

impl EcdsaSignature {
    fn from_der_signature(der: &DerSignature) -> Self {
        let bytes = der.as_bytes();
        let mut out = [0u8; 72];
        let len = bytes.len().min(72);
        out[..len].copy_from_slice(&bytes[..len]);
        Self {
            der: out,
            // At most 72.
            len: len as u8,
        }
    }

    /// The signature from its lowercase hex, as a request carries it.
    /// Whether it is canonical DER is checked when it is verified.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let lowercase = bytes
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
        if !lowercase || !bytes.len().is_multiple_of(2) || bytes.len() > 144 || bytes.len() < 16 {
            return None;
        }
        let mut der = [0u8; 72];
        hex::decode_to_slice(text, &mut der[..bytes.len() / 2]).ok()?;
        Some(Self {
            der,
            len: (bytes.len() / 2) as u8,
        })
    }

    /// The DER bytes.
    #[must_use]
    pub fn as_der(&self) -> &[u8] {
        &self.der[..usize::from(self.len)]
    }

    /// Lowercase hex, as sent.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_der())
    }
}

impl fmt::Display for EcdsaSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EcdsaSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcdsaSignature({self})")
    }
}

/// A SigV4a string to sign: algorithm, time, region-less scope, and the
/// canonical request's hash.
#[derive(Clone, Copy, Debug)]
pub struct StringToSignV4a<'a> {
    time: SigningTime,
    service: &'a Service,
    canonical_request_hash: [u8; 32],
}

impl<'a> StringToSignV4a<'a> {
    /// The string to sign for a canonical request (its SHA-256) signed at
    /// `time` for `service`.
    #[must_use]
    pub fn new(
        time: &SigningTime,
        service: &'a Service,
        canonical_request_hash: &[u8; 32],
    ) -> Self {
        Self {
            time: *time,
            service,
            canonical_request_hash: *canonical_request_hash,
        }
    }

    /// The scope, `date/service/aws4_request`.
    pub(crate) fn write_scope<S: Sink + ?Sized>(
        time: &SigningTime,
        service: &Service,
        sink: &mut S,
    ) {
        sink.put(time.date().as_bytes());
        sink.put(b"/");
        sink.put(service.as_str().as_bytes());
        sink.put(b"/");
        sink.put(TERMINATOR.as_bytes());
    }

    pub(crate) fn write_to<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(ALGORITHM_V4A.as_bytes());
        sink.put(b"\n");
        sink.put(self.time.amz_bytes());
        sink.put(b"\n");
        Self::write_scope(&self.time, self.service, sink);
        sink.put(b"\n");
        sink.put(&hex32(&self.canonical_request_hash));
    }

    /// SHA-256 of the text: what ECDSA signs.
    fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256Stream::sha256();
        self.write_to(&mut hasher);
        hasher.finish()
    }
}

impl fmt::Display for StringToSignV4a<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(160);
        self.write_to(&mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_minus_2_is_the_order_less_two() {
        // n = ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551.
        let mut n = N_MINUS_2;
        increment(&mut n);
        increment(&mut n);
        assert_eq!(
            hex::encode(n),
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
        );
        let mut carry = [0u8; 32];
        carry[31] = 0xff;
        carry[30] = 0xff;
        increment(&mut carry);
        assert_eq!(&carry[29..], &[1, 0, 0]);
    }

    #[test]
    fn patterns_match_as_globs() {
        assert!(matches_pattern("us-*", "us-east-1"));
        assert!(matches_pattern("*", ""));
        assert!(matches_pattern("us-*-1", "us-west-1"));
        assert!(!matches_pattern("us-*-1", "us-west-2"));
        assert!(matches_pattern("US-EAST-1", "us-east-1"));
        assert!(!matches_pattern("us-east-1", "us-east-10"));
        assert!(matches_pattern(
            "a*a*a*a*b",
            &"a".repeat(30).replace("aa", "ab")
        ));
        assert!(!matches_pattern("*a*a*a*a*a*a*c", &"a".repeat(5000)));
    }

    #[test]
    fn signatures_round_trip_through_hex_and_refuse_non_canonical_der() {
        let key = EcdsaKey::derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let service = Service::new("service").unwrap();
        let time = SigningTime::parse("20150830T123600Z").unwrap();
        let sts = StringToSignV4a::new(&time, &service, &[7; 32]);
        let signature = key.sign(&sts);
        let again = EcdsaSignature::from_hex(&signature.to_hex()).unwrap();
        assert_eq!(again, signature);
        assert!(key.public_key().verifies(&sts, &signature));
        // The same integers with a padded length byte form are not canonical.
        let der = signature.as_der();
        let mut padded = vec![0x30, 0x81, der[1]];
        padded.extend_from_slice(&der[2..]);
        let padded = EcdsaSignature::from_hex(&hex::encode(&padded)).unwrap();
        assert!(!key.public_key().verifies(&sts, &padded));
        let other = StringToSignV4a::new(&time, &service, &[8; 32]);
        assert!(!key.public_key().verifies(&other, &signature));
        assert!(EcdsaSignature::from_hex("ABCD").is_none());
    }
}
