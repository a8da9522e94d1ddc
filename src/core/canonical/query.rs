//! The canonical query string: every parameter decoded and re-encoded
//! (unreserved characters bare, everything else `%XX`), sorted by encoded
//! key then encoded value, repeated keys and empty values kept.
//!
//! Decoding reads the query as AWS services do, as
//! `application/x-www-form-urlencoded`: a `+` is a space, so `a+b` and
//! `a%20b` are both signed as `a%20b`, and a literal plus must travel as
//! `%2B`. aws-sigv4, aws-sdk-go-v2, botocore's `requests` and Neptune all
//! agree; so does S3 for the SDKs, which never send a raw `+`.

use core::cmp::Ordering;

use crate::core::encoding::{
    canonical_prefix_len, cmp_reencoded, is_canonically_encoded, write_reencoded, Sink,
};
use crate::core::inline_vec::InlineVec;
use crate::core::tuned::scan::find_byte;
use crate::core::tuned::sort::{be_word, sort_by_prefix};

/// One part (key or value) of a parameter as it appears in the URI, and
/// whether it is already in canonical form (then it sorts and is written as
/// it is, the common case).
#[derive(Clone, Copy, Default)]
struct Part<'a> {
    raw: &'a [u8],
    canonical: bool,
}

impl<'a> Part<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Self {
            raw,
            canonical: is_canonically_encoded(raw),
        }
    }

    /// A part this crate wrote itself, already canonical: not scanned again.
    fn trusted(raw: &'a [u8]) -> Self {
        debug_assert!(is_canonically_encoded(raw), "{raw:?}");
        Self {
            raw,
            canonical: true,
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        if self.canonical && other.canonical {
            self.raw.cmp(other.raw)
        } else {
            cmp_reencoded(self.raw, other.raw)
        }
    }

    fn write<S: Sink + ?Sized>(&self, sink: &mut S) {
        if self.canonical {
            sink.put(self.raw);
        } else {
            write_reencoded(sink, self.raw);
        }
    }
}

/// A segment's key and value: split at the first `=`; without one, the
/// whole segment is the key and the value is empty.
fn split_segment(segment: &[u8]) -> (&[u8], &[u8]) {
    match segment.iter().position(|&b| b == b'=') {
        Some(eq) => (&segment[..eq], &segment[eq + 1..]),
        None => (segment, &[]),
    }
}

/// Splits a raw query into (key, value) pairs, into `out`. Empty segments
/// (`a=1&&b=2`) carry no parameter and are skipped; a segment without `=`
/// is a key with an empty value. Segments starting at or after byte
/// `trusted_from` are already canonical (presigning's own `X-Amz-*`
/// parameters).
fn pairs<'q>(out: &mut InlineVec<(Part<'q>, Part<'q>), 32>, query: &'q [u8], trusted_from: usize) {
    let mut start = 0;
    for segment in query.split(|&b| b == b'&') {
        let trusted = start >= trusted_from;
        start += segment.len() + 1;
        if segment.is_empty() {
            continue;
        }
        let (key, value) = split_segment(segment);
        out.push(if trusted {
            (Part::trusted(key), Part::trusted(value))
        } else {
            (Part::new(key), Part::new(value))
        });
    }
}

/// Takes the `key=value` segment `rest` starts with when both parts are
/// canonical as they are, leaving `rest` at the `&` after it (or empty);
/// `None`, with `rest` unchanged, for a segment that needs rewriting (no
/// `=`, or a byte to encode or re-encode).
#[inline]
fn canonical_pair<'q>(rest: &mut &'q [u8]) -> Option<(&'q [u8], &'q [u8])> {
    let key_len = canonical_prefix_len(rest);
    let Some((b'=', after)) = rest.get(key_len..).and_then(<[u8]>::split_first) else {
        return None;
    };
    let (value, tail) = after.split_at(canonical_prefix_len(after));
    if !matches!(tail.first(), None | Some(b'&')) {
        return None;
    }
    let key = &rest[..key_len];
    *rest = tail;
    Some((key, value))
}

/// Splits the next `key=value` segment off a query known to be canonical
/// (no empty segment, an `=` in each). The `&` that ends it is found 8
/// bytes at a time.
#[inline]
fn next_segment<'q>(rest: &mut &'q [u8]) -> Option<(&'q [u8], &'q [u8])> {
    if rest.is_empty() {
        return None;
    }
    let end = find_byte(rest, b'&').unwrap_or(rest.len());
    let segment = &rest[..end];
    *rest = rest.get(end + 1..).unwrap_or_default();
    Some(split_segment(segment))
}

/// One `key=value` segment of a query, both parts canonical as they are,
/// as one integer: the key's first 8 bytes big-endian (zero-padded: a
/// canonical key holds no zero byte, so integers order as the bytes do) in
/// the high half, then the segment's start and end in the query (32 bits
/// each). Integers sort and move cheaply; the `=` is found again only for
/// the few segments whose key prefixes tie.
type Segment = u128;

fn segment(prefix: u64, start: u32, end: u32) -> Segment {
    Segment::from(prefix) << 64 | Segment::from(start) << 32 | Segment::from(end)
}

/// A segment's bytes in `query`: `key=value`.
fn segment_bytes(query: &[u8], segment: Segment) -> &[u8] {
    let (start, end) = ((segment >> 32) as u32, segment as u32);
    &query[start as usize..end as usize]
}

/// What presigning promises of its own parameters: they fill `query` from
/// the first key on, joined by `&`, each `key=value` canonical with a
/// non-empty key, in sorted order. (No allocation: debug builds check it
/// on every presign, and the allocation budget test runs those.)
fn own_params_hold(query: &[u8], own: &[OwnParam]) -> bool {
    let Some(first) = own.first() else {
        return true;
    };
    let mut at = first.key;
    let mut previous: Option<(&[u8], &[u8])> = None;
    for param in own {
        let &OwnParam { key, eq, end } = param;
        let (Some(k), Some(b"="), Some(v)) = (
            query.get(key..eq),
            query.get(eq..eq + 1),
            query.get(eq + 1..end),
        ) else {
            return false;
        };
        let canonical = !k.is_empty() && is_canonically_encoded(k) && is_canonically_encoded(v);
        if key != at || !canonical || previous.is_some_and(|p| p > (k, v)) {
            return false;
        }
        previous = Some((k, v));
        at = end + 1;
        if end < query.len() && query[end] != b'&' {
            return false;
        }
    }
    at == query.len() + 1
}

/// Collects into `segments` the segments of a query whose every non-empty
/// segment is `key=value` with both parts canonical, in query order, and
/// returns true; false (with `segments` partly filled) for any other query.
/// One pass; nothing is re-encoded or copied. (Filled in place: a moved
/// `InlineVec` is a copy of all its slots.)
fn canonical_segments(query: &[u8], segments: &mut InlineVec<Segment, 32>) -> bool {
    // Offsets fit in u32: `http` caps a URI at 64 KiB.
    let offset = |rest: &[u8]| u32::try_from(query.len() - rest.len()).ok();
    let mut rest = query;
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'&' {
            // An empty segment carries no parameter.
            rest = tail;
            continue;
        }
        let Some(start) = offset(rest) else {
            return false;
        };
        let Some((key, _)) = canonical_pair(&mut rest) else {
            return false;
        };
        let Some(end) = offset(rest) else {
            return false;
        };
        segments.push(segment(be_word(key, 0), start, end));
    }
    true
}

/// Sorts canonical segments as SigV4 orders parameters (key bytes, then
/// value bytes): by key prefix, whole parts compared only where prefixes
/// tie (keys sharing their first 8 bytes).
fn sort_segments(query: &[u8], segments: &mut [Segment]) {
    // Key, then value (a canonical key holds no `=`).
    let whole = |&segment: &Segment| split_segment(segment_bytes(query, segment));
    sort_by_prefix(segments, |a, b| whole(a).cmp(&whole(b)));
}

/// Where one of presigning's own parameters lies in its query: offsets of
/// the key's first byte, of the `=` and of the end (the `&` after it, or
/// the query's end). Presigning writes these parameters canonical and
/// sorted, and records where each lies as it writes it, so they are neither
/// split nor checked again here.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in crate::core) struct OwnParam {
    pub(in crate::core) key: usize,
    pub(in crate::core) eq: usize,
    pub(in crate::core) end: usize,
}

impl OwnParam {
    fn key_value<'q>(&self, query: &'q [u8]) -> (&'q [u8], &'q [u8]) {
        (&query[self.key..self.eq], &query[self.eq + 1..self.end])
    }
}

/// Writes the canonical form of `query` (without the leading `?`). `own`
/// lists presigning's parameters, which fill the query from the first one's
/// key on (none when the query is the caller's alone).
pub(crate) fn write_query<S: Sink + ?Sized>(sink: &mut S, query: &[u8], own: &[OwnParam]) {
    match own.first() {
        Some(first) => {
            if !write_merged(sink, query, own) {
                write_sorted(sink, query, first.key);
            }
        }
        None if is_canonical_as_is(query) => sink.put(query),
        None => write_sorted(sink, query, usize::MAX),
    }
}

/// Presigning's query: the caller's parameters (each followed by `&`),
/// then presigning's own (`own`, not empty), which fill `query` from the
/// first one's key on. When the caller's are canonical as they are, the two
/// sorted runs are merged as they are written: nothing is re-scanned for
/// encoding, nothing sorted. Returns false, having written nothing, in any
/// other case.
fn write_merged<S: Sink + ?Sized>(sink: &mut S, query: &[u8], own: &[OwnParam]) -> bool {
    debug_assert!(own_params_hold(query, own), "presigning's own parameters");
    let theirs = &query[..own.first().map_or(0, |first| first.key)];
    let theirs = theirs.strip_suffix(b"&").unwrap_or(theirs);
    if !is_canonical_as_is(theirs) {
        return false;
    }

    // Canonical as they are: every segment is `key=value`, none empty.
    let mut rest = theirs;
    let mut theirs = core::iter::from_fn(|| next_segment(&mut rest)).peekable();
    let mut own = own.iter().map(|param| param.key_value(query)).peekable();
    let mut first = true;
    loop {
        let take_theirs = match (theirs.peek(), own.peek()) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_theirs {
            theirs.next()
        } else {
            own.next()
        };
        let Some((key, value)) = next else { break };
        if !first {
            sink.put(b"&");
        }
        first = false;
        sink.put(key);
        sink.put(b"=");
        sink.put(value);
    }
    true
}

/// True when `query` is its own canonical form, as most clients send it
/// (Neptune's `?query=...`): every segment is `key=value` with both parts
/// canonically encoded, in sorted order. One pass, nothing collected.
fn is_canonical_as_is(query: &[u8]) -> bool {
    let mut previous: Option<(&[u8], &[u8])> = None;
    let mut rest = query;
    loop {
        // No `=`, a part to rewrite, or an empty segment: the canonical
        // form differs.
        let Some(pair) = canonical_pair(&mut rest) else {
            return query.is_empty();
        };
        // Canonical parts sort as bytes: key first, then value.
        if previous.is_some_and(|p| p > pair) {
            return false;
        }
        previous = Some(pair);
        match rest.split_first() {
            None => return true,
            Some((_, next)) => rest = next,
        }
    }
}

/// The general case: split, re-encode where needed, sort, join. Queries
/// that are canonical but out of order (the common case here) are sorted
/// as segments and each written in one piece.
#[inline(never)]
fn write_sorted<S: Sink + ?Sized>(sink: &mut S, query: &[u8], trusted_from: usize) {
    let mut segments = InlineVec::new();
    if canonical_segments(query, &mut segments) {
        let segments = segments.as_mut_slice();
        sort_segments(query, segments);
        for (i, &segment) in segments.iter().enumerate() {
            if i > 0 {
                sink.put(b"&");
            }
            sink.put(segment_bytes(query, segment));
        }
        return;
    }
    let mut all = InlineVec::new();
    pairs(&mut all, query, trusted_from);
    let pairs = all.as_mut_slice();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        key.write(sink);
        sink.put(b"=");
        value.write(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(query: &str) -> String {
        let mut out = Vec::new();
        write_query(&mut out, query.as_bytes(), &[]);
        String::from_utf8(out).unwrap()
    }

    /// Where the `key=value` segments of `query` from byte `from` on lie,
    /// as presigning notes its own parameters.
    fn own_params(query: &str, from: usize) -> Vec<OwnParam> {
        let mut params = Vec::new();
        let mut key = from;
        for segment in query[from..].split('&') {
            let eq = key + segment.find('=').expect("key=value");
            params.push(OwnParam {
                key,
                eq,
                end: key + segment.len(),
            });
            key += segment.len() + 1;
        }
        params
    }

    #[test]
    fn trusted_tail_is_written_as_is_and_sorted_with_the_rest() {
        let query = "z=a+b&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z";
        let from = query.find("X-Amz").unwrap();
        let mut out = Vec::new();
        write_query(&mut out, query.as_bytes(), &own_params(query, from));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z&z=a%20b"
        );
        assert_eq!(
            canonical(query),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z&z=a%20b"
        );
    }

    #[test]
    fn sorts_by_encoded_key_then_value() {
        assert_eq!(
            canonical("Param2=value2&Param1=value1"),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical("a=2&a=1&a=10"), "a=1&a=10&a=2");
        // Key first: "a" sorts before "a-b" although "a-b=" < "a=1" as text.
        assert_eq!(canonical("a-b=1&a=1"), "a=1&a-b=1");
    }

    /// The one-pass check takes exactly the queries that sorting would
    /// leave unchanged.
    #[test]
    fn as_is_fast_path_agrees_with_sorting() {
        let parts = [
            "", "a", "b", "A", "a-b", "%20", "%2f", "%2F", "%41", "+", "=", "~", "&",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let query = format!("{a}={b}&{c}{d}");
                        for q in [
                            query.as_str(),
                            &query[..query.len() / 2],
                            &format!("{a}{b}"),
                        ] {
                            let mut sorted = Vec::new();
                            write_sorted(&mut sorted, q.as_bytes(), usize::MAX);
                            let as_is = is_canonical_as_is(q.as_bytes());
                            assert_eq!(as_is, sorted == q.as_bytes(), "{q:?}");
                            assert_eq!(canonical(q).as_bytes(), sorted, "{q:?}");
                            checked += usize::from(as_is);
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "the fast path was taken {checked} times");
    }

    /// Merging the caller's parameters with presigning's own gives what
    /// sorting them all gives, whether or not the merge applies.
    #[test]
    fn merged_presign_query_agrees_with_sorting() {
        let ours = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2Fx\
                    &X-Amz-Date=20150830T123600Z&X-Amz-Expires=900\
                    &X-Amz-Security-Token=t%2Bk&X-Amz-SignedHeaders=host";
        let theirs = [
            "",
            "a=1&",
            "query=SELECT%20%3Fs&",
            "b=2&a=1&",
            "X-Amz-B=1&",
            "X-Amz-Date=0&",
            "X-Amz-Zz=1&",
            "Z=1&a=&",
            "q=a+b&",
            "x&",
            "=v&",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&",
        ];
        let mut merged = 0;
        for theirs in theirs {
            let query = format!("{theirs}{ours}");
            let from = theirs.len();
            let mut sorted = Vec::new();
            write_sorted(&mut sorted, query.as_bytes(), from);
            let own = own_params(&query, from);
            let mut out = Vec::new();
            write_query(&mut out, query.as_bytes(), &own);
            assert_eq!(out, sorted, "{query}");
            let mut probe = Vec::new();
            if write_merged(&mut probe, query.as_bytes(), &own) {
                merged += 1;
            } else {
                assert!(probe.is_empty(), "wrote before giving up: {query}");
            }
        }
        assert!(merged >= 8, "{merged}");
    }

    /// The debug check on presigning's notes rejects notes that do not
    /// match the query.
    #[test]
    fn own_params_are_checked() {
        let query = "a=1&X-Amz-Algorithm=A&X-Amz-Date=1";
        let own = own_params(query, 4);
        assert!(own_params_hold(query.as_bytes(), &own));
        assert!(own_params_hold(b"", &[]));
        // Out of order, not starting where noted, an `=` missed, a part
        // not canonical, or not reaching the end of the query.
        let unsorted = "a=1&X-Amz-Date=1&X-Amz-Algorithm=A";
        assert!(!own_params_hold(
            unsorted.as_bytes(),
            &own_params(unsorted, 4)
        ));
        let mut shifted = own.clone();
        shifted[1].key += 1;
        assert!(!own_params_hold(query.as_bytes(), &shifted));
        let mut no_eq = own.clone();
        no_eq[0].eq -= 1;
        assert!(!own_params_hold(query.as_bytes(), &no_eq));
        let raw = "X-Amz-Date=a b";
        assert!(!own_params_hold(raw.as_bytes(), &own_params(raw, 0)));
        assert!(!own_params_hold(query.as_bytes(), &own[..1]));
    }

    /// Canonical segments are ordered by integer key prefixes; that order
    /// is the general sort's, also for keys that share 8 bytes or more,
    /// repeated keys and empty parts.
    #[test]
    fn canonical_segments_sort_like_everything_else() {
        let keys = [
            "param0",
            "param01",
            "param010",
            "param0100",
            "a",
            "a-",
            "A",
            "%20",
            "",
            "x",
        ];
        let values = ["", "1", "10", "2", "%2F"];
        let mut segments = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for (j, v) in values.iter().enumerate() {
                if (i + j) % 3 != 0 {
                    segments.push(format!("{k}={v}"));
                }
            }
        }
        segments.reverse();
        segments.push(segments[3].clone());
        let query = segments.join("&") + "&&";
        let mut found = InlineVec::new();
        assert!(
            canonical_segments(query.as_bytes(), &mut found),
            "all canonical"
        );
        assert_eq!(found.as_slice().len(), segments.len());
        sort_segments(query.as_bytes(), found.as_mut_slice());
        let by_prefix: Vec<&str> = found
            .as_slice()
            .iter()
            .map(|&segment| ascii(segment_bytes(query.as_bytes(), segment)))
            .collect();

        let mut all = InlineVec::new();
        pairs(&mut all, query.as_bytes(), usize::MAX);
        let pairs = all.as_mut_slice();
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let sorted: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", ascii(k.raw), ascii(v.raw)))
            .collect();
        assert_eq!(by_prefix, sorted);
    }

    fn ascii(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    /// Only queries made entirely of canonical `key=value` segments take
    /// the segment path; the rest go the general way.
    #[test]
    fn canonical_segments_refuse_what_needs_rewriting() {
        for query in [
            "a",
            "a=1&b",
            "a=1&b=+",
            "a=%2f",
            "a=b=c",
            "a=1&%zz=2",
            "a b=1",
        ] {
            assert!(
                !canonical_segments(query.as_bytes(), &mut InlineVec::new()),
                "{query}"
            );
        }
        for query in ["", "&", "a=", "=", "b=2&a=1", "a=1&&b=%2F"] {
            assert!(
                canonical_segments(query.as_bytes(), &mut InlineVec::new()),
                "{query}"
            );
        }
        assert_eq!(canonical("b=2&&a=1&=x&a="), "=x&a=&a=1&b=2");
    }

    #[test]
    fn keeps_empty_values_and_keys() {
        assert_eq!(canonical("b&a="), "a=&b=");
        assert_eq!(canonical("=x"), "=x");
        assert_eq!(canonical("&&a=1&"), "a=1");
        assert_eq!(canonical(""), "");
    }

    #[test]
    fn reencodes_reserved_and_reads_plus_as_space() {
        assert_eq!(canonical("q=a+b c"), "q=a%20b%20c");
        assert_eq!(canonical("q=a%2Bb+c"), "q=a%2Bb%20c");
        assert_eq!(canonical("a+b=1&a%20b=0"), "a%20b=0&a%20b=1");
        assert_eq!(canonical("q=a%2bb%7e"), "q=a%2Bb~");
        assert_eq!(canonical("x=a=b"), "x=a%3Db");
        assert_eq!(
            canonical("X-Amz-Credential=AKID/20150830/us-east-1/s/aws4_request"),
            "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs%2Faws4_request"
        );
    }
}
