//! Canonical headers and the signed-headers list: names lowercased, sorted,
//! repeated names joined with commas in their original order, values trimmed
//! with inner runs of spaces collapsed. Values are bytes: non-UTF-8 values
//! are signed as they are.

use core::cmp::Ordering;

use crate::encoding::Sink;
use crate::error::SigningError;
use crate::inline_vec::InlineVec;

/// A header to sign: name (any case) and value bytes.
pub type Header<'a> = (&'a str, &'a [u8]);

/// Header positions in sorted order. Inline up to 32 headers.
pub(crate) type Order = InlineVec<u32, 32>;

/// `tchar` from RFC 9110: the bytes allowed in a header name or method.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Validates names and values, then sorts positions by lowercase name,
/// keeping the original order among equal names.
pub(crate) fn sort(headers: &[Header<'_>]) -> Result<Order, SigningError> {
    let mut order = Order::new();
    for (i, (name, value)) in headers.iter().enumerate() {
        if !is_token(name.as_bytes()) {
            return Err(SigningError::InvalidHeaderName {
                name: name.chars().take(128).collect(),
            });
        }
        if value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(SigningError::InvalidHeaderValue {
                name: name.to_string(),
            });
        }
        // More than u32::MAX headers cannot fit in memory as slices anyway.
        order.push(i as u32);
    }
    order.as_mut_slice().sort_unstable_by(|&a, &b| {
        cmp_ignore_case(headers[a as usize].0, headers[b as usize].0).then(a.cmp(&b))
    });
    Ok(order)
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    // Header names from `http` are already lowercase: compare directly.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if !a.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_uppercase) {
        return a.cmp(b);
    }
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

fn write_lowercase<S: Sink + ?Sized>(sink: &mut S, name: &str) {
    let bytes = name.as_bytes();
    if !bytes.iter().any(u8::is_ascii_uppercase) {
        sink.put(bytes);
        return;
    }
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(buf.len()) {
        let out = &mut buf[..chunk.len()];
        out.copy_from_slice(chunk);
        out.make_ascii_lowercase();
        sink.put(out);
    }
}

/// Trims spaces and tabs at both ends (as HTTP parsers strip them on the
/// server) and collapses inner runs of spaces to one.
fn write_trimmed<S: Sink + ?Sized>(sink: &mut S, value: &[u8]) {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    let value = &value[start..end];

    let mut run_start = 0;
    let mut i = 0;
    while i < value.len() {
        if value[i] == b' ' && value.get(i + 1) == Some(&b' ') {
            sink.put(&value[run_start..=i]);
            i += 1;
            while value.get(i) == Some(&b' ') {
                i += 1;
            }
            run_start = i;
        } else {
            i += 1;
        }
    }
    sink.put(&value[run_start..]);
}

/// Groups of equal names in sorted order: (first position in `order`, end).
fn groups<'o>(headers: &'o [Header<'o>], order: &'o [u32]) -> impl Iterator<Item = &'o [u32]> + 'o {
    let mut rest = order;
    core::iter::from_fn(move || {
        let (&first, _) = rest.split_first()?;
        let name = headers[first as usize].0;
        let len = rest
            .iter()
            .take_while(|&&i| headers[i as usize].0.eq_ignore_ascii_case(name))
            .count();
        let (group, tail) = rest.split_at(len);
        rest = tail;
        Some(group)
    })
}

/// `name:value[,value...]\n` for every distinct name.
pub(crate) fn write_canonical_headers<S: Sink + ?Sized>(
    sink: &mut S,
    headers: &[Header<'_>],
    order: &[u32],
) {
    for group in groups(headers, order) {
        write_lowercase(sink, headers[group[0] as usize].0);
        sink.put(b":");
        for (n, &i) in group.iter().enumerate() {
            if n > 0 {
                sink.put(b",");
            }
            write_trimmed(sink, headers[i as usize].1);
        }
        sink.put(b"\n");
    }
}

/// `name;name;...`, each distinct name once.
pub(crate) fn write_signed_headers<S: Sink + ?Sized>(
    sink: &mut S,
    headers: &[Header<'_>],
    order: &[u32],
) {
    for (n, group) in groups(headers, order).enumerate() {
        if n > 0 {
            sink.put(b";");
        }
        write_lowercase(sink, headers[group[0] as usize].0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(headers: &[Header<'_>]) -> (String, String) {
        let order = sort(headers).unwrap();
        let mut text = Vec::new();
        write_canonical_headers(&mut text, headers, order.as_slice());
        let mut signed = Vec::new();
        write_signed_headers(&mut signed, headers, order.as_slice());
        (
            String::from_utf8_lossy(&text).into_owned(),
            String::from_utf8(signed).unwrap(),
        )
    }

    #[test]
    fn sorts_lowercases_and_joins_in_order() {
        let (text, signed) = canonical(&[
            ("My-Header1", b"value4"),
            ("host", b"example.amazonaws.com"),
            ("my-header1", b"value1"),
            ("MY-HEADER1", b"value3"),
            ("X-Amz-Date", b"20150830T123600Z"),
        ]);
        assert_eq!(
            text,
            "host:example.amazonaws.com\nmy-header1:value4,value1,value3\nx-amz-date:20150830T123600Z\n"
        );
        assert_eq!(signed, "host;my-header1;x-amz-date");
    }

    #[test]
    fn trims_and_collapses_spaces() {
        let (text, _) = canonical(&[
            ("a", b"  value1  "),
            ("b", b"\"a   b   c\""),
            ("c", b"   "),
            ("d", b"\tx \t y\t"),
        ]);
        assert_eq!(text, "a:value1\nb:\"a b c\"\nc:\nd:x \t y\n");
    }

    #[test]
    fn signs_non_utf8_values_as_bytes() {
        let headers: [Header<'_>; 1] = [("x-bin", &[0xff, 0xfe, b'a'])];
        let order = sort(&headers).unwrap();
        let mut text = Vec::new();
        write_canonical_headers(&mut text, &headers, order.as_slice());
        assert_eq!(text, b"x-bin:\xff\xfea\n");
    }

    #[test]
    fn rejects_bad_names_and_line_breaks() {
        assert!(matches!(
            sort(&[("bad name", b"v")]),
            Err(SigningError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            sort(&[("", b"v")]),
            Err(SigningError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            sort(&[("x", b"a\r\nx-amz-date:1")]),
            Err(SigningError::InvalidHeaderValue { .. })
        ));
    }

    #[test]
    fn many_headers_spill_and_stay_sorted() {
        let names: Vec<String> = (0..40).rev().map(|i| format!("x-h{i:02}")).collect();
        let headers: Vec<Header<'_>> = names.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
        let (_, signed) = canonical(&headers);
        let expected: Vec<String> = (0..40).map(|i| format!("x-h{i:02}")).collect();
        assert_eq!(signed, expected.join(";"));
    }
}
