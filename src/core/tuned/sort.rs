//! Integer-keyed sorts: header names and query segments sorted as
//! integers (their first eight bytes as a big-endian word, with the
//! position alongside), whole byte strings compared only where words tie.

use core::cmp::Ordering;

use crate::core::canonical::headers::{Header, GROUP_START};
use crate::core::inline_vec::InlineVec;

/// Bytes `8 * index ..` of `bytes` as a big-endian word, zero-padded: for
/// names and keys, which hold no zero byte, words order as the bytes do, so
/// sorting integers sorts the text.
#[inline]
pub(crate) fn be_word(bytes: &[u8], index: usize) -> u64 {
    let rest = bytes.get(index * 8..).unwrap_or_default();
    if let Some(word) = rest.first_chunk::<8>() {
        u64::from_be_bytes(*word)
    } else if rest.is_empty() {
        0
    } else if let Some(last) = bytes.last_chunk::<8>() {
        // Fewer than 8 bytes left of a longer string: its last eight bytes,
        // shifted so the ones before `rest` fall off the top.
        u64::from_be_bytes(*last) << (8 * (8 - rest.len()))
    } else {
        rest.iter()
            .enumerate()
            .fold(0, |word, (i, &b)| word | u64::from(b) << (56 - 8 * i))
    }
}

/// Sorts the integer records (header names, query segments) of one
/// request: an insertion sort up to 32 of them (integers move cheaply, and
/// it needs no setup), the library sort past that.
pub(crate) fn sort_integers(records: &mut [u128]) {
    if records.len() > 32 {
        records.sort_unstable();
        return;
    }
    for i in 1..records.len() {
        let record = records[i];
        let mut j = i;
        while j > 0 && record < records[j - 1] {
            records[j] = records[j - 1];
            j -= 1;
        }
        records[j] = record;
    }
}

/// Sorts `records` by their high 64 bits (a key's first eight bytes),
/// then each run that ties there by `tie`. Equals a stable sort by
/// `(record >> 64, tie)` for records whose low bits are unique positions;
/// checked against plain sorting by
/// `canonical::query::tests::canonical_segments_sort_like_everything_else`.
pub(crate) fn sort_by_prefix(records: &mut [u128], tie: impl Fn(&u128, &u128) -> Ordering) {
    sort_integers(records);
    let mut start = 0;
    while start < records.len() {
        let prefix = records[start] >> 64;
        let len = records[start..]
            .iter()
            .take_while(|&&r| r >> 64 == prefix)
            .count();
        if len > 1 {
            records[start..start + len].sort_unstable_by(&tie);
        }
        start += len;
    }
}

/// Above this many headers, names are sorted by [`NameKey`]s; below, the
/// keys cost more to build than the comparisons they save.
pub(crate) const KEYED_SORT_FROM: usize = 12;

/// A record of the keyed sort: eight bytes of a lowercase name as a
/// big-endian word (zero-padded: names hold no zero byte, so words order as
/// the bytes do) in the high half; the header's position in the low 32 bits,
/// so equal words keep the headers' order; [`STARTS_GROUP`] once placed.
type Record = u128;

const RECORD_POSITION: Record = u32::MAX as Record;

/// Set on a record whose name differs from the one before it.
const STARTS_GROUP: Record = 1 << 32;

/// Words of a name compared as integers before whole names are: past this
/// many bytes, the few names that still tie are compared as slices.
const KEYED_LEVELS: usize = 8;

/// Sorts `entries` (all of `0..headers.len()`) by lowercase name, then
/// position, as integer records: by the names' first eight bytes, then each
/// run that ties by the next eight, and so on (most-significant-digit
/// radix order, a comparison sort per digit). Marks groups as
/// `canonical::headers::mark_groups` does and returns the signed-headers length.
pub(crate) fn sort_names_keyed(entries: &mut [u32], headers: &[Header<'_>]) -> usize {
    let mut records: InlineVec<Record, 32> = InlineVec::new();
    for &i in entries.iter() {
        let word = be_word(headers[i as usize].0.as_bytes(), 0);
        records.push(Record::from(word) << 64 | Record::from(i));
    }
    let records = records.as_mut_slice();
    sort_level(records, headers, 0);
    let mut len: usize = 0;
    for (entry, &record) in entries.iter_mut().zip(records.iter()) {
        *entry = (record & RECORD_POSITION) as u32;
        if record & STARTS_GROUP != 0 {
            len += headers[*entry as usize].0.len() + 1;
            *entry |= GROUP_START;
        }
    }
    len.saturating_sub(1)
}

/// Sorts `records`, whose names share their first `level` words, by word
/// `level` (already in each record), then every run that ties there by the
/// next word that tells its names apart; marks where names change.
fn sort_level(records: &mut [Record], headers: &[Header<'_>], level: usize) {
    let name = |record: Record| headers[(record & RECORD_POSITION) as usize].0.as_bytes();
    sort_integers(records);
    let mut start = 0;
    while start < records.len() {
        let word = records[start] >> 64;
        let len = 1 + records[start + 1..]
            .iter()
            .take_while(|&&r| r >> 64 == word)
            .count();
        let run = &mut records[start..start + len];
        start += len;
        // Names no longer than the words compared so far are equal when
        // their words are. A run of names that tie on the next word too
        // (a shared prefix such as `x-amz-meta-`) skips it without sorting.
        let mut next = level + 1;
        loop {
            if len == 1 || run.iter().all(|&r| name(r).len() <= next * 8) {
                run[0] |= STARTS_GROUP;
                break;
            }
            if next == KEYED_LEVELS {
                sort_by_whole_names(run, name);
                break;
            }
            for record in run.iter_mut() {
                let word = be_word(name(*record), next);
                *record = Record::from(word) << 64 | (*record & RECORD_POSITION);
            }
            let word = run[0] >> 64;
            if run.iter().any(|&r| r >> 64 != word) {
                sort_level(run, headers, next);
                break;
            }
            next += 1;
        }
    }
}

/// Last resort for names that tie on their first [`KEYED_LEVELS`] words.
fn sort_by_whole_names<'h>(run: &mut [Record], name: impl Fn(Record) -> &'h [u8]) {
    run.sort_unstable_by(|&a, &b| name(a).cmp(name(b)).then(a.cmp(&b)));
    let mut previous: Option<&[u8]> = None;
    for record in run.iter_mut() {
        let this = name(*record);
        if previous != Some(this) {
            *record |= STARTS_GROUP;
        }
        previous = Some(this);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn be_word_orders_as_the_bytes_do() {
        let word = |text: &[u8; 8]| u64::from_be_bytes(*text);
        assert_eq!(be_word(b"ab", 0), word(b"ab\0\0\0\0\0\0"));
        assert_eq!(be_word(b"0123456789", 0), word(b"01234567"));
        assert_eq!(be_word(b"0123456789", 1), word(b"89\0\0\0\0\0\0"));
        assert_eq!(be_word(b"0123456789abcdefXY", 2), word(b"XY\0\0\0\0\0\0"));
        assert_eq!(be_word(b"01234567", 1), 0);
        assert_eq!(be_word(b"0123", 3), 0);
        assert_eq!(be_word(b"", 0), 0);
        // Every length up to 20, both ways of padding a short tail.
        for len in 0..20 {
            let text: Vec<u8> = (0..len as u8).map(|i| b'a' + i).collect();
            for index in 0..3 {
                let mut padded = [0u8; 8];
                let rest = text.get(index * 8..).unwrap_or_default();
                let n = rest.len().min(8);
                padded[..n].copy_from_slice(&rest[..n]);
                assert_eq!(be_word(&text, index), word(&padded), "{len} {index}");
            }
        }
        assert!(be_word(b"a", 0) < be_word(b"a-", 0));
    }
}
