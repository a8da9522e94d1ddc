//! Word-at-a-time scanners: eight bytes per step over header values,
//! queries and tokens. Each equals the plain byte loop named in its docs,
//! and a test here checks it against that loop on every placement of the
//! bytes it looks for.

/// Whether some byte of `word` is `needle`: the classic zero-byte test on
/// `word ^ needle` repeated (may not say which byte).
#[inline]
fn word_has_byte(word: &[u8; 8], needle: u8) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let x = u64::from_ne_bytes(*word) ^ u64::from_ne_bytes([needle; 8]);
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// What a header value needs before it is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueClass {
    /// No byte at or below a space: signed exactly as it is.
    Plain,
    /// A space, a tab or another control byte, but no CR, LF or NUL: signed
    /// after trimming and collapsing runs of spaces.
    Spaced,
    /// CR, LF or NUL, which no header value may hold.
    Invalid,
}

/// Classifies a header value, eight bytes a step, without a branch per
/// word: each word adds to two borrow tests, "a byte at or below a space"
/// and "a byte below 0x0E" (CR, LF and NUL all are; so is a tab). Only a
/// value with such a control byte goes through the exact byte loop. The
/// same as [`classify_value_plain`]
/// (`tests::values_classified_like_a_plain_scan`).
#[inline]
pub(crate) fn classify_value(bytes: &[u8]) -> ValueClass {
    let (words, tail) = bytes.as_chunks::<8>();
    let (mut low, mut control) = (0, 0);
    for word in words {
        let x = u64::from_ne_bytes(*word);
        low |= bytes_below(x, 0x21);
        control |= bytes_below(x, 0x0e);
    }
    if !tail.is_empty() {
        // The last eight bytes again, overlapping: the tests are of the
        // whole, so a byte seen twice changes nothing.
        let Some(last) = bytes.last_chunk::<8>() else {
            return classify_value_plain(bytes);
        };
        let x = u64::from_ne_bytes(*last);
        low |= bytes_below(x, 0x21);
        control |= bytes_below(x, 0x0e);
    }
    if control != 0 {
        classify_value_plain(bytes)
    } else if low != 0 {
        ValueClass::Spaced
    } else {
        ValueClass::Plain
    }
}

/// Non-zero when some byte of `x` is below `n` (`n` at most 128): the
/// classic borrow test, exact as a whole (which byte it flags may be off).
#[inline]
fn bytes_below(x: u64, n: u8) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// The plain byte loop [`classify_value`] must equal.
pub(crate) fn classify_value_plain(bytes: &[u8]) -> ValueClass {
    let mut class = ValueClass::Plain;
    for &b in bytes {
        match b {
            b'\r' | b'\n' | 0 => return ValueClass::Invalid,
            ..=b' ' => class = ValueClass::Spaced,
            _ => {}
        }
    }
    class
}

/// Position of the first `needle` in `bytes`, eight bytes at a time (the
/// session token in a presigned query is hundreds of bytes long).
#[inline]
pub(crate) fn find_byte(bytes: &[u8], needle: u8) -> Option<usize> {
    let (words, _) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        if word_has_byte(word, needle) {
            return word.iter().position(|&b| b == needle).map(|j| i * 8 + j);
        }
    }
    let tail = words.len() * 8;
    bytes[tail..]
        .iter()
        .position(|&b| b == needle)
        .map(|j| tail + j)
}

/// Whether `bytes` holds `needle`, eight bytes at a time: for header
/// values, which rarely hold a space.
#[inline]
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    let (words, rest) = bytes.as_chunks::<8>();
    words.iter().any(|word| word_has_byte(word, needle)) || rest.contains(&needle)
}

/// Position of the first of two neighbouring spaces in `bytes` (a run that
/// canonical header values collapse), eight bytes at a time: windows
/// overlap by one byte, so every neighbouring pair lies inside one.
#[inline]
pub(crate) fn find_double_space(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(window) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let pairs = space_pairs(window);
        if pairs != 0 {
            return Some(at + (pairs.trailing_zeros() / 8) as usize);
        }
        at += 7;
    }
    // Fewer than eight bytes from `at`: the last eight, with the pairs that
    // start before `at` (checked already) masked off.
    if let Some(last) = bytes.last_chunk::<8>() {
        let base = bytes.len() - 8;
        let pairs = space_pairs(last) & (u64::MAX << (8 * (at - base)));
        return (pairs != 0).then(|| base + (pairs.trailing_zeros() / 8) as usize);
    }
    bytes.windows(2).position(|pair| pair == b"  ")
}

/// For eight bytes read little-endian: 0x80 in byte `i` when bytes `i` and
/// `i + 1` are both spaces. This zero-byte test is the exact form (no false
/// positives from borrows, unlike [`word_has_byte`]'s), as neighbouring
/// flags are combined.
#[inline]
fn space_pairs(window: &[u8; 8]) -> u64 {
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    let x = u64::from_le_bytes(*window) ^ u64::from_ne_bytes([b' '; 8]);
    let spaces = !(((x & LOWS) + LOWS) | x | LOWS);
    spaces & (spaces >> 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_double_space_agrees_with_a_plain_scan() {
        // Every placement of one and two spaces, among letters or among
        // bytes that differ from a space in one bit, over lengths that
        // cross the window edges.
        for len in 0..40 {
            for filler in [b'a', b' ' ^ 0x80, b' ' ^ 0x01, 0, 0xff] {
                for a in 0..len {
                    for b in a..len {
                        let mut v = vec![filler; len];
                        v[a] = b' ';
                        v[b] = b' ';
                        let plain = v.windows(2).position(|pair| pair == b"  ");
                        assert_eq!(find_double_space(&v), plain, "{v:?}");
                    }
                }
            }
        }
        assert_eq!(find_double_space(b"a  b  c"), Some(1));
        assert_eq!(find_double_space(&[b' '; 20]), Some(0));
    }

    #[test]
    fn find_byte_finds_the_first_and_only_the_needle() {
        for len in 0..40 {
            let hay = vec![b'a'; len];
            assert_eq!(find_byte(&hay, b'&'), None);
            for at in 0..len {
                let mut v = hay.clone();
                v[at] = b'&';
                if at + 1 < len {
                    v[len - 1] = b'&';
                }
                assert_eq!(find_byte(&v, b'&'), Some(at), "{len} {at}");
                assert!(contains_byte(&v, b'&'));
                for near in [b'&' ^ 0x80, b'&' + 1, b'&' - 1, 0] {
                    let mut w = hay.clone();
                    w[at] = near;
                    assert_eq!(find_byte(&w, b'&'), None, "{len} {at} {near}");
                    assert!(!contains_byte(&w, b'&'), "{len} {at} {near}");
                }
            }
        }
    }

    #[test]
    fn values_classified_like_a_plain_scan() {
        // Every byte at every place, over lengths that cross the word and
        // block edges, on a plain filler and on one that is spaced already.
        for len in 0..80 {
            for filler in [b'a', b' '] {
                for at in 0..len {
                    for b in 0..=255u8 {
                        let mut v = vec![filler; len];
                        v[at] = b;
                        assert_eq!(classify_value(&v), classify_value_plain(&v), "{v:?}");
                    }
                }
            }
        }
        assert_eq!(classify_value(b""), ValueClass::Plain);
        assert_eq!(classify_value(b"a b"), ValueClass::Spaced);
        assert_eq!(classify_value(b"a\tb"), ValueClass::Spaced);
        assert_eq!(classify_value(b"a\r\nb"), ValueClass::Invalid);
        // A space early and a line break later: still invalid.
        let mut v = vec![b'a'; 70];
        v[1] = b' ';
        v[65] = b'\n';
        assert_eq!(classify_value(&v), ValueClass::Invalid);
    }
}
