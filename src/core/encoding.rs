//! Byte-level helpers shared by every stage: where bytes go (a [`Sink`]),
//! percent-encoding as SigV4 defines it, and lowercase hex.
//!
//! SigV4 percent-encodes everything except the RFC 3986 unreserved set
//! (`A-Z a-z 0-9 - . _ ~`), with uppercase hex digits. Encoding and decoding
//! are `percent-encoding`'s; what is ours is the canonical-form checks (one
//! table lookup a byte, so canonical input is hashed as it is) and the
//! re-encoding of query parts, which writes runs of untouched bytes as one
//! slice so the hasher sees few, long updates.

use percent_encoding::{percent_decode, percent_encode, AsciiSet, PercentDecode, NON_ALPHANUMERIC};

/// Where canonical bytes go: a hasher when signing, a buffer when explaining.
///
/// Both paths share every writer in this crate, so the bytes hashed and the
/// bytes shown are the same by construction.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts bytes instead of keeping them: sizes a buffer exactly before it
/// is filled, so building a header value costs one allocation.
#[derive(Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// True for the RFC 3986 unreserved characters, the only ones SigV4 leaves
/// unencoded.
#[inline]
pub(crate) const fn is_unreserved(b: u8) -> bool {
    UNRESERVED[b as usize]
}

/// [`is_unreserved`] as a table: one load per byte in the encoding loops.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// `%XX` with uppercase hex, as SigV4 requires.
#[inline]
pub(crate) const fn percent_triplet(b: u8) -> [u8; 3] {
    [
        b'%',
        UPPER_HEX[(b >> 4) as usize],
        UPPER_HEX[(b & 0x0f) as usize],
    ]
}

/// Every byte but the RFC 3986 unreserved characters: what SigV4 encodes.
/// (`percent-encoding` always encodes bytes past ASCII.)
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// [`SIGV4_ENCODE`] but `/`: a path's segments keep their separators.
const SIGV4_ENCODE_PATH: &AsciiSet = &SIGV4_ENCODE.remove(b'/');

/// Percent-encodes `bytes` into `sink` with uppercase hex (as SigV4
/// requires), keeping unreserved characters (and `/` when `keep_slash`).
#[inline(always)]
pub(crate) fn write_encoded<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    // Most pieces (keys, dates, scope parts) have nothing to encode.
    if bytes.iter().all(|&b| is_unreserved(b)) {
        sink.put(bytes);
    } else {
        write_encoded_slow(sink, bytes, keep_slash);
    }
}

/// [`write_encoded`] for bytes with something to encode: `percent-encoding`
/// hands runs of kept bytes over as one slice each.
#[inline(never)]
fn write_encoded_slow<S: Sink + ?Sized>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    let set = if keep_slash {
        SIGV4_ENCODE_PATH
    } else {
        SIGV4_ENCODE
    };
    for piece in percent_encode(bytes, set) {
        sink.put(piece.as_bytes());
    }
}

/// The bytes of a query key or value, decoded as AWS services read it
/// (`application/x-www-form-urlencoded`): `%XX` is the byte XX, `+` is a
/// space, and a `%` not followed by two hex digits stands for itself. A
/// literal plus travels as `%2B`. `percent-encoding` decodes the escapes;
/// it knows nothing of `+`, so the text is split at each `+` first.
#[derive(Clone)]
pub(crate) struct Decoded<'a> {
    pieces: core::slice::Split<'a, u8, fn(&u8) -> bool>,
    current: PercentDecode<'a>,
}

impl<'a> Decoded<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let is_plus: fn(&u8) -> bool = |&b| b == b'+';
        let mut pieces = bytes.split(is_plus);
        let first = pieces.next().unwrap_or_default();
        Self {
            pieces,
            current: percent_decode(first),
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if let Some(b) = self.current.next() {
            return Some(b);
        }
        // The end of a piece: a `+` (a space) and the next piece, or the end.
        let next = self.pieces.next()?;
        self.current = percent_decode(next);
        Some(b' ')
    }
}

/// Writes a query key or value as SigV4 canonical form: decoded (see
/// [`Decoded`]), then re-encoded with only unreserved characters left bare.
/// `a%2fb`, `a%2Fb` and `a/b` all come out as `a%2Fb`; `%41` comes out as
/// `A`; `a+b` and `a b` as `a%20b`.
pub(crate) fn write_reencoded<S: Sink + ?Sized>(sink: &mut S, encoded: &[u8]) {
    // Fast path: nothing to decode, so plain encoding gives the same bytes.
    if !has_escape(encoded) {
        write_encoded(sink, encoded, false);
        return;
    }
    // Clients usually send the canonical form already: pass it through.
    if is_canonically_encoded(encoded) {
        sink.put(encoded);
        return;
    }
    // Buffer locally so the sink sees few, long writes.
    let mut buf = [0u8; 128];
    let mut len = 0;
    for b in Decoded::new(encoded) {
        if len + 3 > buf.len() {
            sink.put(&buf[..len]);
            len = 0;
        }
        if is_unreserved(b) {
            buf[len] = b;
            len += 1;
        } else {
            buf[len..len + 3].copy_from_slice(&percent_triplet(b));
            len += 3;
        }
    }
    sink.put(&buf[..len]);
}

/// Whether decoding (see [`Decoded`]) could change `bytes`: a `%` or a `+`.
#[inline]
fn has_escape(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, b'%' | b'+'))
}

/// True when `encoded` is already in SigV4 canonical form: unreserved
/// characters bare, every other byte as `%XX` with uppercase hex.
pub(crate) fn is_canonically_encoded(encoded: &[u8]) -> bool {
    canonical_prefix_len(encoded) == encoded.len()
}

/// The value of an uppercase hex digit; 0xFF for any other byte.
const UPPER_HEX_VALUE: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut d = 0;
    while d < 16 {
        table[UPPER_HEX[d] as usize] = d as u8;
        d += 1;
    }
    table
};

/// Length of the longest prefix of `bytes` in canonical form (see
/// [`is_canonically_encoded`]): a table lookup per byte, a few more per
/// escape.
#[inline]
pub(crate) fn canonical_prefix_len(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    loop {
        match rest {
            [b, tail @ ..] if is_unreserved(*b) => rest = tail,
            [b'%', h, l, tail @ ..] if is_canonical_escape(*h, *l) => rest = tail,
            _ => return bytes.len() - rest.len(),
        }
    }
}

/// `%` followed by `h` and `l` is canonical: both uppercase hex digits, for
/// a byte that must be escaped.
#[inline]
fn is_canonical_escape(h: u8, l: u8) -> bool {
    let (h, l) = (UPPER_HEX_VALUE[h as usize], UPPER_HEX_VALUE[l as usize]);
    (h | l) <= 0x0F && !is_unreserved(h << 4 | l)
}

/// Sort key of one decoded byte under SigV4 encoding: an encoded byte starts
/// with `%` (0x25), which sorts before every unreserved character, and two
/// encoded bytes compare by their hex digits, i.e. by value.
#[inline]
fn encoded_sort_key(b: u8) -> u16 {
    (u16::from(is_unreserved(b)) << 8) | u16::from(b)
}

/// Compares two percent-encoded strings by their canonical (re-encoded)
/// forms, without building those forms.
pub(crate) fn cmp_reencoded(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    if !has_escape(a) && !has_escape(b) {
        return a
            .iter()
            .map(|&x| encoded_sort_key(x))
            .cmp(b.iter().map(|&x| encoded_sort_key(x)));
    }
    Decoded::new(a)
        .map(encoded_sort_key)
        .cmp(Decoded::new(b).map(encoded_sort_key))
}

/// The two lowercase hex digits of every byte: one load per byte in
/// [`hex32`], which runs twice per signature.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = [LOWER_HEX[b >> 4], LOWER_HEX[b & 0x0f]];
        b += 1;
    }
    table
};

/// Lowercase hex of a 32-byte digest.
#[inline]
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &b) in out.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
        *pair = HEX_PAIRS[b as usize];
    }
    out
}

/// Views ASCII bytes made by this module as `&str`.
#[inline]
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    // Only ever called on hex or digits produced in this crate; fall back to
    // an empty string instead of panicking should that invariant ever break.
    core::str::from_utf8(bytes).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reencoded(s: &str) -> String {
        let mut out = Vec::new();
        write_reencoded(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_input_passes_through_and_the_rest_is_reencoded() {
        for (input, expected) in [
            ("a%20b%3F", "a%20b%3F"),
            ("%41", "A"),
            ("%7E", "~"),
            ("%2f", "%2F"),
            ("%2F", "%2F"),
            ("%", "%25"),
            ("%2", "%252"),
            ("%G1", "%25G1"),
            ("a+b", "a%20b"),
            ("a%2Bb", "a%2Bb"),
            ("+%2b+", "%20%2B%20"),
            ("%E2%82%AC", "%E2%82%AC"),
            ("%e2%82%ac", "%E2%82%AC"),
        ] {
            assert_eq!(reencoded(input), expected, "{input}");
            let decoded: Vec<u8> = Decoded::new(input.as_bytes()).collect();
            let mut slow = Vec::new();
            write_encoded(&mut slow, &decoded, false);
            assert_eq!(reencoded(input).as_bytes(), &slow[..], "{input}");
        }
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        let mut out = Vec::new();
        write_encoded(&mut out, b"a b/c~d+e%", false);
        assert_eq!(out, b"a%20b%2Fc~d%2Be%25");
        out.clear();
        write_encoded(&mut out, "/\u{1234}/x".as_bytes(), true);
        assert_eq!(out, b"/%E1%88%B4/x");
    }

    #[test]
    fn reencoding_normalizes_escapes() {
        assert_eq!(reencoded("a%2fb"), "a%2Fb");
        assert_eq!(reencoded("a/b"), "a%2Fb");
        assert_eq!(reencoded("%41%7e"), "A~");
        assert_eq!(reencoded("a+b"), "a%20b");
        assert_eq!(reencoded("a%2bb"), "a%2Bb");
        assert_eq!(reencoded("100%"), "100%25");
        assert_eq!(reencoded("%zz%4"), "%25zz%254");
        let long = "%20".repeat(100);
        assert_eq!(reencoded(&long), long);
    }

    #[test]
    fn ordering_matches_encoded_strings() {
        let samples = [
            "",
            "a",
            "A",
            "-",
            "~",
            "%2F",
            "/",
            " ",
            "a-b",
            "a%20",
            "%E1%88%B4",
            "Param",
            "Param-3",
            "_",
            ".",
            "%7E",
            "+",
            "%2B",
            "%",
        ];
        for a in samples {
            for b in samples {
                assert_eq!(
                    cmp_reencoded(a.as_bytes(), b.as_bytes()),
                    reencoded(a).cmp(&reencoded(b)),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn hex_is_lowercase() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x0f;
        let hex = hex32(&bytes);
        assert!(hex.starts_with(b"ab00"));
        assert!(hex.ends_with(b"000f"));
    }
}
