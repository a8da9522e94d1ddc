//! Per-thread memos, and the one policy for what they may keep.
//!
//! A memo keeps, per thread, a value that repeats from one signature to the
//! next, so the next signature compares instead of recomputing. Per thread,
//! so no lock and no shared counter is touched on the hot path.
//!
//! The policy, for every per-thread cache in the crate:
//!
//! - A memo that holds something secret (a key, a keyed HMAC state, a
//!   session token in any form) keeps it only in storage that is wiped
//!   when it is replaced and when the thread ends: [`zeroize::Zeroizing`],
//!   or a type that zeroizes on drop (`SigningKey`, `Hmac`), or for `http`
//!   header values, bytes owned by [`WipedBytes`].
//! - A memo is keyed by the credentials it came from (by identity, not by
//!   comparing secrets), and replaced when other credentials sign on the
//!   thread.
//! - A memo that cannot be reached (the thread is ending, or a re-entrant
//!   call) is skipped: the work is done afresh, and the result is the same.
//!
//! The per-thread caches, all following it:
//!
//! | memo | keeps | where |
//! | --- | --- | --- |
//! | [`LAST_ORDER`] | the last header names sorted and their order (not secret) | here |
//! | `ENCODED_TOKEN` | the percent-encoded session token of a presign | here, [`put_encoded_token`] |
//! | [`LOCAL_KEYS`] | derived signing keys, each with the HMAC state after the string to sign's first lines | here, [`with_local_key`] |
//! | `x-amz-date` and token header values | `http` values of the current second and credentials | `sign::headers` (`REUSED`) |

use std::cell::RefCell;
use std::thread::LocalKey;

use zeroize::{Zeroize, Zeroizing};

use crate::core::canonical::headers::{Header, Order};
use crate::core::credentials::{Credentials, CredentialsRef};
use crate::core::encoding::{write_encoded, Sink};
use crate::core::inline_vec::InlineVec;
use crate::core::signing_key::{SignedPrefix, SigningKey, Slot};

/// Runs `f` on this thread's memo `key`, or returns `None` when it cannot
/// be reached (the thread is being torn down, or a re-entrant call): then
/// the caller does the work afresh.
pub(crate) fn with_memo<T: 'static, R>(
    key: &'static LocalKey<RefCell<T>>,
    f: impl FnOnce(&mut T) -> R,
) -> Option<R> {
    key.try_with(|cell| cell.try_borrow_mut().ok().map(|mut memo| f(&mut memo)))
        .ok()
        .flatten()
}

/// The order of `headers` from this thread's memo when they carry the
/// names it last sorted, in the same order; else `fresh`'s, remembered
/// when it is `Ok`. `fresh` checks the names as it sorts them, so names
/// the memo holds are known to be valid: a hit needs no check. Equals
/// `fresh(headers)` always (a debug assertion checks it on every hit;
/// `canonical::headers::tests::remembered_orders_serve_only_the_same_names`
/// checks hits and misses, bad names among them).
pub(crate) fn remembered_order<E>(
    headers: &[Header<'_>],
    fresh: fn(&[Header<'_>]) -> Result<Order, E>,
) -> Result<Order, E> {
    if headers.len() < MEMO_FROM || headers.len() > MEMO_UP_TO {
        return fresh(headers);
    }
    remembered_order_any_size(headers, fresh)
}

/// [`remembered_order`] without its size thresholds.
pub(crate) fn remembered_order_any_size<E>(
    headers: &[Header<'_>],
    fresh: fn(&[Header<'_>]) -> Result<Order, E>,
) -> Result<Order, E> {
    with_memo(&LAST_ORDER, |memo| {
        if let Some(order) = memo.order_for(headers) {
            debug_assert!(
                fresh(headers).is_ok_and(|f| f.entries.as_slice() == order.entries.as_slice()
                    && f.lowercase == order.lowercase),
                "a remembered order is the order"
            );
            return Ok(order);
        }
        let order = fresh(headers)?;
        memo.remember(headers, &order);
        Ok(order)
    })
    .unwrap_or_else(|| fresh(headers))
}

/// Fewer headers than this sort faster than their names compare.
pub(crate) const MEMO_FROM: usize = 4;

/// More headers than this are sorted afresh each time: the memo stays
/// small and its order fits [`Order`]'s inline entries.
pub(crate) const MEMO_UP_TO: usize = 32;

/// Names longer than this in all are not remembered.
const MEMO_NAME_BYTES: usize = 2048;

thread_local! {
    /// The header names this thread last sorted, and their order.
    static LAST_ORDER: RefCell<OrderMemo> = const { RefCell::new(OrderMemo::new()) };
}

/// A set of header names (in the order given) and the [`Order`] sorting
/// gave them. Header names are not secret; values are never kept.
struct OrderMemo {
    /// The names, one after another.
    names: Vec<u8>,
    /// Where each name ends in `names`.
    ends: Vec<u32>,
    /// [`Order`] entries, group marks included.
    entries: Vec<u32>,
    /// Whether every name is lowercase.
    lowercase: bool,
    signed_headers_len: usize,
}

impl OrderMemo {
    const fn new() -> Self {
        Self {
            names: Vec::new(),
            ends: Vec::new(),
            entries: Vec::new(),
            lowercase: false,
            signed_headers_len: 0,
        }
    }

    /// The remembered order, when `headers` carry exactly the remembered
    /// names in the remembered order.
    fn order_for(&self, headers: &[Header<'_>]) -> Option<Order> {
        if self.ends.len() != headers.len() {
            return None;
        }
        let mut start = 0;
        for ((name, _), &end) in headers.iter().zip(&self.ends) {
            let end = end as usize;
            if self.names.get(start..end) != Some(name.as_bytes()) {
                return None;
            }
            start = end;
        }
        let mut entries = InlineVec::new();
        for &entry in &self.entries {
            entries.push(entry);
        }
        Some(Order {
            entries,
            lowercase: self.lowercase,
            signed_headers_len: self.signed_headers_len,
        })
    }

    /// Keeps `headers`' names and their `order`, in place of the last.
    fn remember(&mut self, headers: &[Header<'_>], order: &Order) {
        self.names.clear();
        self.ends.clear();
        self.entries.clear();
        let total: usize = headers.iter().map(|(name, _)| name.len()).sum();
        if total > MEMO_NAME_BYTES {
            return;
        }
        for (name, _) in headers {
            self.names.extend_from_slice(name.as_bytes());
            // At most MEMO_NAME_BYTES.
            self.ends.push(self.names.len() as u32);
        }
        self.entries.extend_from_slice(order.entries.as_slice());
        self.lowercase = order.lowercase;
        self.signed_headers_len = order.signed_headers_len;
    }
}

thread_local! {
    /// The percent-encoded session token of the credentials this thread
    /// last presigned with: encoding a ~1 KiB token is most of the work left
    /// in a presign, and it only changes with the credentials.
    static ENCODED_TOKEN: RefCell<Option<(CredentialsRef, Zeroizing<Vec<u8>>)>> =
        const { RefCell::new(None) };
}

/// Writes `token` (of `credentials`) percent-encoded, from this thread's
/// copy when it has one for these credentials. Equals
/// `write_encoded(sink, token, false)`; `tests/presign.rs` presigns with
/// changing credentials on one thread against aws-sigv4's URLs.
pub(crate) fn put_encoded_token<S: Sink + ?Sized>(
    sink: &mut S,
    credentials: &Credentials,
    token: &str,
) {
    let kept = with_memo(&ENCODED_TOKEN, |slot| {
        if !matches!(&*slot, Some((from, _)) if from.is(credentials)) {
            let mut encoded = Zeroizing::new(Vec::with_capacity(token.len() + token.len() / 2));
            write_encoded(&mut *encoded, token.as_bytes(), false);
            // The copy this replaces is wiped as it drops.
            *slot = Some((CredentialsRef::to(credentials), encoded));
        }
        if let Some((_, encoded)) = &*slot {
            sink.put(encoded);
        }
    });
    if kept.is_none() {
        write_encoded(sink, token.as_bytes(), false);
    }
}

/// Bytes that are zeroized when dropped, for `http` header values made with
/// `bytes::Bytes::from_owner`: the value and every clone of it share these
/// bytes, wiped when the last of them goes.
pub(crate) struct WipedBytes(Vec<u8>);

impl WipedBytes {
    /// A copy of `bytes`.
    pub(crate) fn copy_of(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl AsRef<[u8]> for WipedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for WipedBytes {
    fn drop(&mut self) {
        self.0.zeroize();
        #[cfg(test)]
        tests::WIPED.with(|wiped| wiped.set(wiped.get() + 1));
    }
}

/// Per-thread signing keys: few, because a thread signs for few scopes at a
/// time (not timed: a capacity).
const LOCAL_KEY_ENTRIES: usize = 4;

/// One per-thread entry: a `SigningKeyCache`'s key for one slot, and the
/// prefix last signed with it. Both zeroize on drop.
struct LocalKeyEntry {
    cache: u64,
    slot: Slot,
    key: SigningKey,
    prefix: Option<SignedPrefix>,
}

struct LocalKeys {
    entries: Vec<LocalKeyEntry>,
    next: usize,
}

thread_local! {
    /// Keys of every `SigningKeyCache` this thread signs with, in front of
    /// each cache's shared table: no lock on the hot path.
    static LOCAL_KEYS: RefCell<LocalKeys> =
        const { RefCell::new(LocalKeys { entries: Vec::new(), next: 0 }) };
}

/// Runs `f` on this thread's key of cache `cache` for the slot `matches`
/// picks, made by `make` when missing (replacing the oldest entry when the
/// table is full), with the prefix slot kept beside it. Hands `f` back when
/// the memo cannot be reached. Equals `f(&make().1, None)`: the
/// `core::signing_key` tests sign on many threads and check keys and
/// derivation counts (`tests/loom.rs` models the shared table).
pub(crate) fn with_local_key<R, F>(
    cache: u64,
    matches: impl Fn(&Slot) -> bool,
    make: impl FnOnce() -> (Slot, SigningKey),
    f: F,
) -> Result<R, F>
where
    F: FnOnce(&SigningKey, Option<&mut Option<SignedPrefix>>) -> R,
{
    let mut f = Some(f);
    let result = with_memo(&LOCAL_KEYS, |table| {
        let f = f.take()?;
        let found = table
            .entries
            .iter()
            .position(|entry| entry.cache == cache && matches(&entry.slot));
        let at = match found {
            Some(at) => at,
            None => {
                let (slot, key) = make();
                let entry = LocalKeyEntry {
                    cache,
                    slot,
                    key,
                    prefix: None,
                };
                if table.entries.len() < LOCAL_KEY_ENTRIES {
                    table.entries.push(entry);
                    table.entries.len() - 1
                } else {
                    let next = table.next;
                    // The key it replaces is zeroized as it drops.
                    table.entries[next] = entry;
                    table.next = (next + 1) % LOCAL_KEY_ENTRIES;
                    next
                }
            }
        };
        let entry = &mut table.entries[at];
        Some(f(&entry.key, Some(&mut entry.prefix)))
    })
    .flatten();
    match (result, f) {
        (Some(result), _) => Ok(result),
        (None, Some(f)) => Err(f),
        // `f` ran exactly when `result` was set.
        (None, None) => unreachable!("the key closure ran without a result"),
    }
}

/// Drops (and so zeroizes) this thread's keys of cache `cache`; other
/// threads' entries are replaced as those threads sign, and zeroized then.
pub(crate) fn forget_local_keys(cache: u64) {
    with_memo(&LOCAL_KEYS, |table| {
        table.entries.retain(|entry| entry.cache != cache);
        table.next = 0;
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use bytes::Bytes;

    use super::*;

    thread_local! {
        /// `WipedBytes` dropped (and zeroized) on this thread.
        pub(super) static WIPED: Cell<u64> = const { Cell::new(0) };
    }

    /// How many `WipedBytes` this thread has wiped.
    pub(crate) fn wiped() -> u64 {
        WIPED.with(Cell::get)
    }

    #[test]
    fn wiped_bytes_go_when_the_last_clone_does() {
        let before = wiped();
        let bytes = Bytes::from_owner(WipedBytes::copy_of(b"secret token"));
        let clone = bytes.clone();
        drop(bytes);
        assert_eq!(&clone[..], b"secret token");
        assert_eq!(wiped(), before);
        drop(clone);
        assert_eq!(wiped(), before + 1);
    }

    /// A memo that cannot be reached (here: already borrowed, as in a
    /// re-entrant call) is skipped, and the work is done afresh.
    #[test]
    fn an_unreachable_memo_is_skipped() {
        let headers = [("a", &b"1"[..]), ("b", b"2"), ("c", b"3"), ("d", b"4")];
        fn fresh(headers: &[Header<'_>]) -> Result<Order, ()> {
            Ok(crate::core::canonical::headers::sort_fresh_by(
                headers, true, false,
            ))
        }
        let nested = with_memo(&LAST_ORDER, |_| {
            // Inside: the memo is taken, so this sorts afresh.
            assert!(with_memo(&LAST_ORDER, |_| ()).is_none());
            remembered_order(&headers, fresh).map(|o| o.signed_headers_len())
        });
        assert_eq!(nested, Some(Ok("a;b;c;d".len())));
    }
}
