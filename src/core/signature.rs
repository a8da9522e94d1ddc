//! Stage 4: the signature, HMAC-SHA256 of the string to sign under the
//! signing key. Compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;

use crate::core::encoding::{ascii_str, hex32};

/// A SigV4 signature (32 bytes; shown as 64 lowercase hex digits).
///
/// Equality is constant-time, so a verifier comparing a computed signature
/// with a claimed one leaks nothing about where they first differ.
///
/// # Examples
///
/// ```
/// use sigv4::Signature;
///
/// let hex = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
/// let sig = Signature::from_hex(hex).unwrap();
/// assert_eq!(sig.to_string(), hex);
/// assert!(sig.matches_hex(hex));
/// assert!(!sig.matches_hex(&hex[1..]));
/// ```
#[derive(Clone, Copy)]
pub struct Signature([u8; 32]);

impl Signature {
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex digits (either case). `None` for anything else.
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex, &mut out).ok()?;
        Some(Self(out))
    }

    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits, on the stack.
    #[must_use]
    pub fn to_hex(&self) -> [u8; 64] {
        hex32(&self.0)
    }

    /// Constant-time comparison with a claimed signature given as hex. A
    /// claim that is not 64 hex digits never matches.
    #[must_use]
    pub fn matches_hex(&self, claimed: &str) -> bool {
        match Signature::from_hex(claimed) {
            Some(other) => *self == other,
            None => false,
        }
    }
}

impl Signature {
    /// The one comparison of signature bytes in this crate: `subtle`'s
    /// constant-time equality, which looks at all 32 bytes whatever they
    /// hold. Unit tests count the calls, to show that verifying goes
    /// through here.
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        #[cfg(test)]
        tests::CT_COMPARISONS.with(|n| n.set(n.get() + 1));
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Signature {}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ascii_str(&self.to_hex()))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Calls of `Signature::ct_eq` on this thread.
        pub(super) static CT_COMPARISONS: Cell<u64> = const { Cell::new(0) };
    }

    fn comparisons() -> u64 {
        CT_COMPARISONS.with(Cell::get)
    }

    /// Runs `f` and returns how many constant-time comparisons it made.
    pub(crate) fn counting<R>(f: impl FnOnce() -> R) -> (R, u64) {
        let before = comparisons();
        let result = f();
        (result, comparisons() - before)
    }

    /// `==` itself is the constant-time comparison: signatures that differ
    /// in the first byte or only in the last are both told apart by one call
    /// of `ct_eq` (`subtle`), never by a short-circuiting slice compare.
    #[test]
    fn equality_is_the_constant_time_comparison() {
        let base = Signature::from_bytes([0x5a; 32]);
        let mut first = [0x5a; 32];
        first[0] ^= 1;
        let mut last = [0x5a; 32];
        last[31] ^= 1;
        for (other, equal) in [
            (base, true),
            (Signature(first), false),
            (Signature(last), false),
        ] {
            let (result, calls) = counting(|| base == other);
            assert_eq!(result, equal);
            assert_eq!(calls, 1);
        }
        let hex = base.to_string();
        let (matched, calls) = counting(|| base.matches_hex(&hex));
        assert!(matched);
        assert_eq!(calls, 1);
        // A claim that is not 64 hex digits is rejected before any comparison.
        let (matched, calls) = counting(|| base.matches_hex(&hex[1..]));
        assert!(!matched);
        assert_eq!(calls, 0);
    }
}
