//! Canonical headers and the signed-headers list: names lowercased, sorted,
//! repeated names joined with commas in their original order, values trimmed
//! with inner runs of spaces collapsed. Values are bytes: non-UTF-8 values
//! are signed as they are.

use crate::core::encoding::Sink;
use crate::core::error::SigningError;
use crate::core::inline_vec::InlineVec;
use crate::core::tuned::memo::remembered_order;
use crate::core::tuned::scan::{classify_value, contains_byte, find_double_space, ValueClass};
use crate::core::tuned::sort::{sort_names_keyed, KEYED_SORT_FROM};
use core::cmp::Ordering;

/// A header to sign: name (any case) and value bytes.
pub type Header<'a> = (&'a str, &'a [u8]);

/// Header positions in sorted order (inline up to 32 headers), and whether
/// every name is already lowercase.
pub(crate) struct Order {
    pub(in crate::core) entries: InlineVec<u32, 32>,
    pub(in crate::core) lowercase: bool,
    /// Length of `name;name;...`, known once names are sorted.
    pub(in crate::core) signed_headers_len: usize,
}

impl Order {
    /// Length of the signed-headers list this order writes.
    pub(crate) fn signed_headers_len(&self) -> usize {
        self.signed_headers_len
    }
}

/// The headers to sign, checked and sorted: every name an HTTP token, no
/// value holding CR, LF or NUL. What [`CanonicalRequest::new`] checks,
/// done once, so a signer that lists headers itself (an SDK layer, this
/// crate's own) hands them over already checked, with
/// [`CanonicalRequest::from_checked`].
///
/// Checking also notes which values need trimming (those with a space or a
/// control byte): the others are hashed without a second look.
///
/// [`CanonicalRequest::new`]: super::CanonicalRequest::new
/// [`CanonicalRequest::from_checked`]: super::CanonicalRequest::from_checked
///
/// # Examples
///
/// ```
/// use sigv4::{CheckedHeaders, SigningError};
///
/// let headers = [("Host", &b"db.example.com:8182"[..]), ("X-Amz-Date", b"20150830T123600Z")];
/// let checked = CheckedHeaders::new(&headers)?;
/// assert_eq!(checked.signed_headers(), "host;x-amz-date");
///
/// let split = [("X-Note", &b"a\r\nx-amz-date:19990101T000000Z"[..])];
/// assert!(matches!(
///     CheckedHeaders::new(&split),
///     Err(SigningError::InvalidHeaderValue { .. })
/// ));
/// # Ok::<(), SigningError>(())
/// ```
pub struct CheckedHeaders<'a> {
    pub(in crate::core) headers: &'a [Header<'a>],
    /// Sorted by name (from the names alone, so it can be remembered).
    pub(in crate::core) order: Order,
    /// Bit `i` set: the value of header `i` is [`ValueClass::Plain`], so it
    /// is written without a scan. Values past the 64th are always scanned.
    plain: u64,
}

impl<'a> CheckedHeaders<'a> {
    /// Checks `headers` (names in any case, repeated names joined in the
    /// order given) and sorts them by lowercase name.
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidHeaderName`] for a name that is not a token,
    /// [`SigningError::InvalidHeaderValue`] for a value holding CR, LF or
    /// NUL (the first such header is named), and
    /// [`SigningError::TooManyHeaders`] for 2^31 headers or more.
    pub fn new(headers: &'a [Header<'a>]) -> Result<Self, SigningError> {
        let mut plain = 0u64;
        for (i, (_, value)) in headers.iter().enumerate() {
            match classify_value(value) {
                ValueClass::Plain if i < 64 => plain |= 1 << i,
                ValueClass::Plain | ValueClass::Spaced => {}
                // Names first, in order, so the error names the first bad
                // header whatever is wrong with it.
                ValueClass::Invalid => {
                    return Err(check(headers).err().unwrap_or(SigningError::TooManyHeaders))
                }
            }
        }
        let order = remembered_order(headers, sort_checking_names)?;
        Ok(Self {
            headers,
            order,
            plain,
        })
    }

    fn is_plain(&self, at: usize) -> bool {
        at < 64 && self.plain >> at & 1 != 0
    }

    /// The headers, as given.
    #[must_use]
    pub fn headers(&self) -> &'a [Header<'a>] {
        self.headers
    }

    /// The signed-headers list, `host;x-amz-date;...`.
    #[must_use]
    pub fn signed_headers(&self) -> String {
        let mut out = Vec::with_capacity(self.order.signed_headers_len);
        write_signed_headers(&mut out, self.headers, &self.order);
        // Names are tokens, which are ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The length of [`signed_headers`](Self::signed_headers), known
    /// without writing it.
    #[must_use]
    pub fn signed_headers_len(&self) -> usize {
        self.order.signed_headers_len()
    }
}

impl std::fmt::Debug for CheckedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may hold a session token: names only.
        f.debug_struct("CheckedHeaders")
            .field("signed_headers", &self.signed_headers())
            .finish_non_exhaustive()
    }
}

/// `tchar` from RFC 9110: the bytes allowed in a header name or method.
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| TCHAR[b as usize] & TOKEN != 0)
}

/// [`TCHAR`] bits: a `tchar`, and an uppercase letter (also a `tchar`).
const TOKEN: u8 = 1;
const UPPER: u8 = 2;

/// One load a byte for header names: whether it is a `tchar`, and whether
/// it is uppercase.
const TCHAR: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let token = c.is_ascii_alphanumeric()
            || matches!(
                c,
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
            );
        table[b] = if token { TOKEN } else { 0 } | if c.is_ascii_uppercase() { UPPER } else { 0 };
        b += 1;
    }
    table
};

/// Whether `name` is a token, and whether it holds an uppercase letter.
#[inline]
fn name_class(name: &[u8]) -> (bool, bool) {
    let (mut all, mut any) = (TOKEN, 0);
    for &b in name {
        let class = TCHAR[b as usize];
        all &= class;
        any |= class;
    }
    (!name.is_empty() && all & TOKEN != 0, any & UPPER != 0)
}

/// Marks an entry of [`Order`] that starts a group of equal names.
pub(in crate::core) const GROUP_START: u32 = 1 << 31;

/// The header position an [`Order`] entry points at.
#[inline]
fn position(entry: u32) -> usize {
    (entry & !GROUP_START) as usize
}

/// Checks names and values as [`CheckedHeaders::new`] does, without
/// sorting them: the first header, in the order given, whose name or value
/// is bad is named. (The verifier refuses a request with any malformed
/// header, signed or not.)
pub(crate) fn check(headers: &[Header<'_>]) -> Result<(), SigningError> {
    for (name, value) in headers {
        check_name(name)?;
        if classify_value(value) == ValueClass::Invalid {
            return Err(SigningError::InvalidHeaderValue {
                name: name.to_string(),
            });
        }
    }
    check_count(headers)
}

/// Checks that `name` is a token; says whether it holds an uppercase letter.
fn check_name(name: &str) -> Result<bool, SigningError> {
    match name_class(name.as_bytes()) {
        (true, upper) => Ok(upper),
        (false, _) => Err(SigningError::InvalidHeaderName {
            name: name.chars().take(128).collect(),
        }),
    }
}

/// Fewer than 2^31 headers, so a position fits an [`Order`] entry.
fn check_count(headers: &[Header<'_>]) -> Result<(), SigningError> {
    if headers.len() >= GROUP_START as usize {
        return Err(SigningError::TooManyHeaders);
    }
    Ok(())
}

/// Checks that every name is a token and that there are fewer than 2^31
/// headers, then sorts positions by lowercase name, keeping the original
/// order among equal names. (Through the per-thread memo, names equal to
/// ones already checked and sorted are neither checked nor sorted again:
/// see [`remembered_order`].)
fn sort_checking_names(headers: &[Header<'_>]) -> Result<Order, SigningError> {
    let mut lowercase = true;
    for (name, _) in headers {
        lowercase &= !check_name(name)?;
    }
    check_count(headers)?;
    Ok(sort_fresh(headers, lowercase))
}

fn sort_fresh(headers: &[Header<'_>], lowercase: bool) -> Order {
    sort_fresh_by(headers, lowercase, headers.len() > KEYED_SORT_FROM)
}

/// The remembered order, whatever the number of headers (for
/// `tools::tuning`: the memo's threshold is what is being timed); `None`
/// for headers that are not valid.
#[cfg(feature = "tools")]
pub(crate) fn remembered_order_for_bench(headers: &[Header<'_>]) -> Option<Order> {
    crate::core::tuned::memo::remembered_order_any_size(headers, sort_checking_names).ok()
}

/// [`sort_fresh`] with the choice of the keyed sort (for lowercase names)
/// made by the caller: `benches/thresholds.rs` times both sides of
/// [`KEYED_SORT_FROM`] through `tools::tuning`.
pub(crate) fn sort_fresh_by(headers: &[Header<'_>], lowercase: bool, keyed: bool) -> Order {
    let mut order = InlineVec::new();
    for i in 0..headers.len() {
        // Fewer than 2^31 headers: checked by `sort`, and an `http` map
        // holds at most 32768.
        order.push(i as u32);
    }
    let entries = order.as_mut_slice();
    let signed_headers_len = if lowercase && keyed {
        sort_names_keyed(entries, headers)
    } else if lowercase {
        insertion_sort(entries, |a, b| {
            let (x, y) = (
                headers[a as usize].0.as_bytes(),
                headers[b as usize].0.as_bytes(),
            );
            // The first byte settles most comparisons without a `memcmp`.
            match x.first().cmp(&y.first()) {
                Ordering::Equal => x < y,
                order => order.is_lt(),
            }
        });
        mark_groups(
            entries,
            |a, b| headers[a as usize].0 == headers[b as usize].0,
            headers,
        )
    } else {
        entries.sort_unstable_by(|&a, &b| {
            cmp_ignore_case(headers[a as usize].0, headers[b as usize].0).then(a.cmp(&b))
        });
        mark_groups(
            entries,
            |a, b| {
                headers[a as usize]
                    .0
                    .eq_ignore_ascii_case(headers[b as usize].0)
            },
            headers,
        )
    };
    Order {
        entries: order,
        lowercase,
        signed_headers_len,
    }
}

/// A stable insertion sort: for the few headers of most requests, which
/// `http` often keeps in nearly sorted order, it does fewer comparisons
/// than the general sort and no setup.
fn insertion_sort(entries: &mut [u32], less: impl Fn(u32, u32) -> bool) {
    for i in 1..entries.len() {
        let entry = entries[i];
        let mut j = i;
        while j > 0 && less(entry, entries[j - 1]) {
            entries[j] = entries[j - 1];
            j -= 1;
        }
        entries[j] = entry;
    }
}

/// Marks where each name starts in sorted `entries`, so later passes need
/// no comparisons, and returns the length of the signed-headers list.
fn mark_groups(
    entries: &mut [u32],
    same_name: impl Fn(u32, u32) -> bool,
    headers: &[Header<'_>],
) -> usize {
    let mut len = 0;
    let mut previous = None;
    for entry in entries.iter_mut() {
        let this = *entry;
        if !previous.is_some_and(|p| same_name(p, this)) {
            len += headers[this as usize].0.len() + 1;
            *entry |= GROUP_START;
        }
        previous = Some(this);
    }
    // Names are joined with `;`: one fewer than there are names.
    len.saturating_sub(1)
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
}

fn write_name<S: Sink + ?Sized>(sink: &mut S, name: &str, lowercase: bool) {
    let bytes = name.as_bytes();
    if lowercase || !bytes.iter().any(u8::is_ascii_uppercase) {
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
    let mut rest = &value[start..end];
    // Most values (media types, hosts, dates) hold no space at all.
    if !contains_byte(rest, b' ') {
        sink.put(rest);
        return;
    }
    while let Some(at) = find_double_space(rest) {
        sink.put(&rest[..=at]);
        let run = rest[at..].iter().take_while(|&&b| b == b' ').count();
        rest = &rest[at + run..];
    }
    sink.put(rest);
}

/// `name:value[,value...]\n` for every distinct name: one pass over the
/// sorted entries, a name written where a group starts.
pub(crate) fn write_canonical_headers<S: Sink + ?Sized>(
    sink: &mut S,
    checked: &CheckedHeaders<'_>,
) {
    let CheckedHeaders { headers, order, .. } = checked;
    let entries = order.entries.as_slice();
    for (n, &entry) in entries.iter().enumerate() {
        let at = position(entry);
        let (name, value) = headers[at];
        if entry & GROUP_START != 0 {
            if n > 0 {
                sink.put(b"\n");
            }
            write_name(sink, name, order.lowercase);
            sink.put(b":");
        } else {
            sink.put(b",");
        }
        if checked.is_plain(at) {
            sink.put(value);
        } else {
            write_trimmed(sink, value);
        }
    }
    if !entries.is_empty() {
        sink.put(b"\n");
    }
}

/// `name;name;...`, each distinct name once.
pub(crate) fn write_signed_headers<S: Sink + ?Sized>(
    sink: &mut S,
    headers: &[Header<'_>],
    order: &Order,
) {
    let mut first = true;
    for &entry in order.entries.as_slice() {
        if entry & GROUP_START != 0 {
            if !first {
                sink.put(b";");
            }
            first = false;
            write_name(sink, headers[position(entry)].0, order.lowercase);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table equals RFC 9110's `tchar` list and ASCII's uppercase.
    #[test]
    fn name_classes_are_tchar_and_uppercase() {
        let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        for b in 0..=255u8 {
            assert_eq!(name_class(&[b]), (tchar(b), b.is_ascii_uppercase()), "{b}");
        }
        assert_eq!(name_class(b""), (false, false));
        assert_eq!(name_class(b"X-Amz-Date"), (true, true));
        assert_eq!(name_class(b"x-amz date"), (false, false));
    }

    fn canonical(headers: &[Header<'_>]) -> (String, String) {
        let checked = CheckedHeaders::new(headers).unwrap();
        let mut text = Vec::new();
        write_canonical_headers(&mut text, &checked);
        let mut signed = Vec::new();
        write_signed_headers(&mut signed, headers, &checked.order);
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
        let checked = CheckedHeaders::new(&headers).unwrap();
        let mut text = Vec::new();
        write_canonical_headers(&mut text, &checked);
        assert_eq!(text, b"x-bin:\xff\xfea\n");
    }

    #[test]
    fn rejects_bad_names_and_line_breaks() {
        let check = |headers: &[Header<'_>]| CheckedHeaders::new(headers).map(|_| ());
        assert!(matches!(
            check(&[("bad name", b"v")]),
            Err(SigningError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            check(&[("", b"v")]),
            Err(SigningError::InvalidHeaderName { .. })
        ));
        assert!(matches!(
            check(&[("x", b"a\r\nx-amz-date:1")]),
            Err(SigningError::InvalidHeaderValue { .. })
        ));
        // The first bad header is named, whatever is wrong with it.
        assert_eq!(
            check(&[("a", b"1"), ("b", b"\n"), ("bad name", b"v")]),
            Err(SigningError::InvalidHeaderValue { name: "b".into() })
        );
        assert_eq!(
            check(&[("a", b"1"), ("bad name", b"v"), ("b", b"\n")]),
            Err(SigningError::InvalidHeaderName {
                name: "bad name".into()
            })
        );
    }

    /// Both ways of sorting give the same order, around the size where
    /// one takes over from the other, with names sharing long prefixes.
    #[test]
    fn keyed_and_plain_sorting_agree() {
        let stems = [
            "",
            "a",
            "x-amz-meta-",
            "x-amz-meta-field",
            "x-amz-meta-field-long-n",
            "x-amz-meta-field-long-name-",
            "abcdefg",
            "abcdefghijklmno",
            // Past the words compared as integers: sorted as whole names.
            "x-amz-meta-a-name-so-long-that-it-shares-more-than-sixty-four-bytes-",
        ];
        let many = |n: usize| -> Vec<String> {
            (0..n)
                .map(|i| format!("{}{}", stems[i * 7 % stems.len()], (i * 13) % 4))
                .collect()
        };
        let few =
            |n: usize| -> Vec<String> { (0..n).map(|i| format!("h{}", (i * 7) % 3)).collect() };
        for names in [
            few(2),
            few(5),
            few(KEYED_SORT_FROM),
            many(KEYED_SORT_FROM),
            many(KEYED_SORT_FROM + 1),
            many(30),
            many(40),
            // Long names, repeated, with short ones among them.
            (0..20)
                .map(|i| format!("{}{}", stems[(i % 2) * 8], (i * 7) % 3))
                .collect(),
        ] {
            let n = names.len();
            let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let headers: Vec<Header<'_>> = names
                .iter()
                .zip(&values)
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect();
            let (text, signed) = canonical(&headers);
            let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(signed, expected.join(";"), "{n}");
            // Repeated names keep their values in the order given.
            let mut sorted: Vec<(&str, &str)> = names
                .iter()
                .map(String::as_str)
                .zip(values.iter().map(String::as_str))
                .collect();
            sorted.sort_by_key(|&(name, _)| name);
            let mut reference = String::new();
            for (i, (name, value)) in sorted.iter().enumerate() {
                if i > 0 && sorted[i - 1].0 == *name {
                    reference.push_str(&format!(",{value}"));
                } else {
                    if i > 0 {
                        reference.push('\n');
                    }
                    reference.push_str(&format!("{name}:{value}"));
                }
            }
            reference.push('\n');
            assert_eq!(text, reference, "{n}");
        }
    }

    /// The per-thread memo gives an order only for the very names it
    /// remembers: sets that differ in one name, in position, in case or
    /// in count, one after another, each sort as they would afresh.
    #[test]
    fn remembered_orders_serve_only_the_same_names() {
        let base: Vec<String> = (0..12).map(|i| format!("x-h{}", (i * 5) % 12)).collect();
        let mut sets = vec![base.clone()];
        // Same count and lengths as the set before each: only the bytes
        // (or their places) tell them apart.
        let mut same_lengths = base.clone();
        same_lengths[7] = same_lengths[7].replace("x-", "a-");
        sets.push(same_lengths);
        sets.push(base.clone());
        let mut swapped = base.clone();
        swapped.swap(1, 3);
        assert_eq!(swapped[1].len(), swapped[3].len());
        sets.push(swapped);
        let mut one_differs = base.clone();
        one_differs[7] = "a-first".into();
        sets.push(one_differs);
        let mut upper = base.clone();
        upper[3] = upper[3].to_uppercase();
        sets.push(upper);
        sets.push(base[..11].to_vec());
        let mut repeated = base.clone();
        repeated[4] = repeated[5].clone();
        sets.push(repeated);
        // Longer in all than the memo keeps.
        sets.push(
            (0..20)
                .map(|i| format!("x-{}-{i:02}", "n".repeat(120)))
                .collect(),
        );
        for round in 0..3 {
            for names in &sets {
                let headers: Vec<Header<'_>> =
                    names.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
                let lowercase = names
                    .iter()
                    .all(|n| !n.bytes().any(|b| b.is_ascii_uppercase()));
                let fresh = sort_fresh(&headers, lowercase);
                let served = remembered_order(&headers, sort_checking_names).unwrap();
                assert_eq!(served.lowercase, lowercase);
                assert_eq!(
                    served.entries.as_slice(),
                    fresh.entries.as_slice(),
                    "round {round}: {names:?}"
                );
                assert_eq!(served.signed_headers_len, fresh.signed_headers_len);
                // Served twice in a row: the second from the memo.
                let again = remembered_order(&headers, sort_checking_names).unwrap();
                assert_eq!(again.entries.as_slice(), fresh.entries.as_slice());
                // The same count and lengths with one name made invalid:
                // refused, not served from the memo.
                let mut bad = names.clone();
                bad[2].replace_range(0..1, " ");
                let bad_headers: Vec<Header<'_>> =
                    bad.iter().map(|n| (n.as_str(), &b"v"[..])).collect();
                assert!(matches!(
                    remembered_order(&bad_headers, sort_checking_names),
                    Err(SigningError::InvalidHeaderName { .. })
                ));
            }
        }
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
