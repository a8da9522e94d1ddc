//! The canonical URI: the request path, optionally normalized (RFC 3986
//! dot-segment removal plus collapsing of repeated slashes), then encoded
//! once more under double encoding.

use crate::core::encoding::{is_unreserved, write_encoded, Sink};
use crate::core::inline_vec::InlineVec;
use crate::core::settings::UriEncoding;

/// Writes the canonical URI for `path` (as it appears in the request URI,
/// i.e. already percent-encoded once).
pub(crate) fn write_path<S: Sink + ?Sized>(
    sink: &mut S,
    path: &str,
    normalize: bool,
    encoding: UriEncoding,
) {
    if is_plain(path.as_bytes()) {
        sink.put(path.as_bytes());
        return;
    }
    write_path_general(sink, path, normalize, encoding);
}

/// A path that is its own canonical URI under every setting, as most are
/// (`/sparql`, `/gremlin`): absolute, only unreserved bytes and single
/// slashes, no segment starting with a dot. One pass.
fn is_plain(bytes: &[u8]) -> bool {
    let [b'/', rest @ ..] = bytes else {
        return false;
    };
    let mut previous = b'/';
    for &b in rest {
        let plain = if b == b'/' {
            previous != b'/'
        } else {
            is_unreserved(b) && !(b == b'.' && previous == b'/')
        };
        if !plain {
            return false;
        }
        previous = b;
    }
    true
}

fn write_path_general<S: Sink + ?Sized>(
    sink: &mut S,
    path: &str,
    normalize: bool,
    encoding: UriEncoding,
) {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        sink.put(b"/");
        return;
    }
    let emit = |sink: &mut S, piece: &[u8]| match encoding {
        UriEncoding::Double => write_encoded(sink, piece, true),
        UriEncoding::Single => sink.put(piece),
    };
    if !normalize {
        emit(sink, bytes);
        return;
    }
    let absolute = bytes[0] == b'/';
    let body = if absolute { &bytes[1..] } else { bytes };
    if is_normal(body) {
        if !absolute {
            sink.put(b"/");
        }
        emit(sink, bytes);
        return;
    }

    // Slow path: keep a stack of the surviving segments.
    let mut kept: InlineVec<&[u8], 32> = InlineVec::new();
    let mut len = 0usize;
    for segment in body.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => len = len.saturating_sub(1),
            _ => {
                // Overwrite popped slots instead of growing past them.
                if len < kept.as_slice().len() {
                    kept.as_mut_slice()[len] = segment;
                } else {
                    kept.push(segment);
                }
                len += 1;
            }
        }
    }
    let kept = &kept.as_slice()[..len];
    sink.put(b"/");
    for (i, segment) in kept.iter().enumerate() {
        if i > 0 {
            sink.put(b"/");
        }
        emit(sink, segment);
    }
    // RFC 3986 5.2.4: a path ending in "/", "/." or "/.." keeps a trailing slash.
    if !kept.is_empty() && ends_in_directory(bytes) {
        sink.put(b"/");
    }
}

/// True when no segment is empty (except a trailing one), `.` or `..`, so
/// normalization would change nothing.
fn is_normal(body: &[u8]) -> bool {
    let mut segments = body.split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if (segment.is_empty() && !last) || segment == b"." || segment == b".." {
            return false;
        }
    }
    true
}

fn ends_in_directory(path: &[u8]) -> bool {
    path.ends_with(b"/") || path.ends_with(b"/.") || path.ends_with(b"/..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(path: &str, normalize: bool, encoding: UriEncoding) -> String {
        let mut out = Vec::new();
        write_path(&mut out, path, normalize, encoding);
        String::from_utf8(out).unwrap()
    }

    fn normalized(path: &str) -> String {
        canonical(path, true, UriEncoding::Single)
    }

    /// Every path the one-pass check takes comes out unchanged from the
    /// general code, under every setting; and it takes the common ones.
    #[test]
    fn plain_paths_are_their_own_canonical_form() {
        let pieces = ["/", "a", ".", "..", "%20", " ", "~", "-", "b.c", "//"];
        let mut plain = 0;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let path = format!("{a}{b}{c}{d}");
                        if !is_plain(path.as_bytes()) {
                            continue;
                        }
                        plain += 1;
                        for normalize in [true, false] {
                            for encoding in [UriEncoding::Double, UriEncoding::Single] {
                                let mut out = Vec::new();
                                write_path_general(&mut out, &path, normalize, encoding);
                                assert_eq!(out, path.as_bytes(), "{path:?}");
                            }
                        }
                    }
                }
            }
        }
        assert!(plain > 100, "{plain}");
        for path in ["/sparql", "/gremlin", "/", "/a/b.c/", "/status"] {
            assert!(is_plain(path.as_bytes()), "{path}");
        }
        for path in [
            "",
            "a",
            "//",
            "/./a",
            "/a/..",
            "/a%20b",
            "/a b",
            "/.well-known",
        ] {
            assert!(!is_plain(path.as_bytes()), "{path}");
        }
    }

    #[test]
    fn removes_dot_segments_and_repeated_slashes() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/.", "/"),
            ("/..", "/"),
            ("/../..", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/./d/", "/a/c/d/"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/a/.b/..c", "/a/.b/..c"),
            ("a/b", "/a/b"),
            ("./a", "/a"),
            ("/foo/bar/", "/foo/bar/"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalized(input), expected, "{input:?}");
        }
    }

    #[test]
    fn many_segments_spill_without_losing_any() {
        let path: String = (0..100).map(|i| format!("/s{i}/x/..")).collect();
        let expected: String = (0..100).map(|i| format!("/s{i}")).collect();
        // Ends in "/..", so the result keeps a trailing slash.
        assert_eq!(normalized(&path), expected + "/");
    }

    #[test]
    fn unnormalized_paths_are_kept() {
        assert_eq!(
            canonical("//example//", false, UriEncoding::Single),
            "//example//"
        );
        assert_eq!(canonical("/a/../b", false, UriEncoding::Single), "/a/../b");
    }

    #[test]
    fn double_encoding_reencodes_escapes() {
        // The legacy suite's double-encode-path case.
        assert_eq!(
            canonical(
                "/test/@connections/JBDvjfGEIAMCERw%3D",
                true,
                UriEncoding::Double
            ),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(
            canonical("/example%20space/", true, UriEncoding::Double),
            "/example%2520space/"
        );
        assert_eq!(
            canonical("/example%20space/", true, UriEncoding::Single),
            "/example%20space/"
        );
    }
}
