//! A cache in front of any provider that keeps temporary credentials fresh.
//!
//! - Refreshes ahead of expiry (by default between 5 and 6 minutes before:
//!   5 minutes plus up to 1 minute of jitter, so a fleet does not refresh at
//!   once).
//! - One refresh at a time, however many threads or tasks ask: the others
//!   keep using the current credentials while they are still valid, or wait
//!   for the refresh when they are not.
//! - When a refresh fails, still-valid credentials keep being served; the
//!   next attempt waits out an exponential backoff. The error is remembered
//!   only until the backoff ends.
//! - Never hands out credentials that expire within
//!   [`CacheSettings::min_remaining`] of the clock's now.
//!
//! The hot path (credentials valid and outside the refresh window) takes a
//! read lock on an `RwLock` (shared, so readers do not block each other) and
//! clones an `Arc`.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
// In the unit tests under `--cfg sigv4_loom` the locks are loom's, so the
// models in `loom_models` explore every interleaving of the refresh logic.
#[cfg(all(test, sigv4_loom))]
use loom::sync::{Condvar, Mutex, RwLock};
#[cfg(not(all(test, sigv4_loom)))]
use std::sync::{Condvar, Mutex, RwLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use super::error::CredentialsError;
use super::provider::{CredentialsFuture, ProvideCredentials, ProvideCredentialsAsync};
use super::Credentials;
use crate::clock::{Clock, SystemClock};

/// How a cache refreshes.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use sigv4::credentials::CacheSettings;
///
/// let settings = CacheSettings::default().with_refresh_before(Duration::from_secs(600));
/// assert_eq!(settings.refresh_before, Duration::from_secs(600));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheSettings {
    /// Refresh this long before the credentials expire (default 5 minutes).
    pub refresh_before: Duration,
    /// Up to this much more, chosen at random per refresh (default 1 minute).
    pub jitter: Duration,
    /// Never hand out credentials expiring within this of now (default 10 s).
    pub min_remaining: Duration,
    /// How long to keep credentials that have no expiry before asking the
    /// provider again (default 15 minutes).
    pub no_expiry_lifetime: Duration,
    /// The wait after the first failed refresh; it doubles after each
    /// further failure (default 1 s).
    pub backoff_initial: Duration,
    /// The longest wait between failed refreshes (default 1 minute).
    pub backoff_max: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            refresh_before: Duration::from_secs(300),
            jitter: Duration::from_secs(60),
            min_remaining: Duration::from_secs(10),
            no_expiry_lifetime: Duration::from_secs(900),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

impl CacheSettings {
    /// Sets [`refresh_before`](Self::refresh_before).
    #[must_use]
    pub fn with_refresh_before(mut self, d: Duration) -> Self {
        self.refresh_before = d;
        self
    }

    /// Sets [`jitter`](Self::jitter) (zero turns it off).
    #[must_use]
    pub fn with_jitter(mut self, d: Duration) -> Self {
        self.jitter = d;
        self
    }

    /// Sets [`min_remaining`](Self::min_remaining).
    #[must_use]
    pub fn with_min_remaining(mut self, d: Duration) -> Self {
        self.min_remaining = d;
        self
    }

    /// Sets [`no_expiry_lifetime`](Self::no_expiry_lifetime).
    #[must_use]
    pub fn with_no_expiry_lifetime(mut self, d: Duration) -> Self {
        self.no_expiry_lifetime = d;
        self
    }

    /// Sets the backoff after failed refreshes.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = max;
        self
    }
}

/// A cache in front of a synchronous provider. See the module docs for the
/// rules; [`AsyncCachingProvider`] is the same for asynchronous providers.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{CachingProvider, ProvideCredentials};
/// use sigv4::Credentials;
///
/// let cached = CachingProvider::new(Credentials::new("AKIDEXAMPLE", "secret")?);
/// let a = cached.provide_credentials()?;
/// let b = cached.provide_credentials()?;
/// assert_eq!(a.access_key_id(), b.access_key_id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachingProvider<P> {
    inner: P,
    core: Core,
}

impl<P: ProvideCredentials> CachingProvider<P> {
    /// Caches `inner` with default settings and the system clock.
    pub fn new(inner: P) -> Self {
        Self::with_settings(inner, CacheSettings::default(), Arc::new(SystemClock))
    }

    /// Caches `inner` with the given settings and clock.
    pub fn with_settings(inner: P, settings: CacheSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            core: Core::new(settings, clock),
        }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: ProvideCredentials> ProvideCredentials for CachingProvider<P> {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        loop {
            match self.core.next_step() {
                Step::Answer(answer) => return answer,
                // `_refreshing` ends the refresh after `finish` has stored it.
                Step::Fetch(_refreshing, fallback) => {
                    return self.core.finish(self.inner.provide_credentials(), fallback);
                }
                Step::Wait(generation) => self.core.flight.wait(generation),
            }
        }
    }
}

impl<P> fmt::Debug for CachingProvider<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("settings", &self.core.settings)
            .finish_non_exhaustive()
    }
}

/// A cache in front of an asynchronous provider; the rules of
/// [`CachingProvider`]. Waiting tasks are woken when the refresh ends, and a
/// refresh whose task is dropped hands over to the next caller.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::{AsyncCachingProvider, ProvideCredentialsAsync};
/// use sigv4::Credentials;
///
/// let source: Arc<dyn ProvideCredentialsAsync> = Arc::new(Credentials::new("AKIDEXAMPLE", "secret")?);
/// let cached = AsyncCachingProvider::new(source);
/// let _future = cached.provide_credentials_async();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncCachingProvider<P> {
    inner: P,
    core: Core,
}

impl<P: ProvideCredentialsAsync> AsyncCachingProvider<P> {
    /// Caches `inner` with default settings and the system clock.
    pub fn new(inner: P) -> Self {
        Self::with_settings(inner, CacheSettings::default(), Arc::new(SystemClock))
    }

    /// Caches `inner` with the given settings and clock.
    pub fn with_settings(inner: P, settings: CacheSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            core: Core::new(settings, clock),
        }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: ProvideCredentialsAsync> ProvideCredentialsAsync for AsyncCachingProvider<P> {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            loop {
                match self.core.next_step() {
                    Step::Answer(answer) => return answer,
                    Step::Fetch(_refreshing, fallback) => {
                        let result = self.inner.provide_credentials_async().await;
                        return self.core.finish(result, fallback);
                    }
                    Step::Wait(generation) => {
                        WaitFlight {
                            flight: &self.core.flight,
                            generation,
                        }
                        .await;
                    }
                }
            }
        })
    }
}

impl<P> fmt::Debug for AsyncCachingProvider<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncCachingProvider")
            .field("settings", &self.core.settings)
            .finish_non_exhaustive()
    }
}

/// The state shared by both caches.
struct Core {
    settings: CacheSettings,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    flight: Flight,
}

#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    /// When to start refreshing the credentials held.
    refresh_at: Option<SystemTime>,
    failures: u32,
    /// No new attempt before this, after a failure.
    retry_at: Option<SystemTime>,
    last_error: Option<CredentialsError>,
}

enum Decision {
    /// Serve these credentials, or fail with the remembered error.
    Answer(Result<Credentials, CredentialsError>),
    /// Refresh; `fallback` is still valid meanwhile.
    Refresh { fallback: Option<Credentials> },
}

/// What a caller does next, the same for the sync and the async cache.
enum Step<'a> {
    /// Answer with this.
    Answer(Result<Credentials, CredentialsError>),
    /// Fetch (this caller runs the one refresh; the guard ends it), then
    /// [`Core::finish`] with the fallback.
    Fetch(FlightGuard<'a>, Option<Credentials>),
    /// Another caller is refreshing and there is nothing valid to serve
    /// meanwhile: wait for the refresh of this generation, then look again.
    Wait(u64),
}

impl Core {
    fn new(settings: CacheSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings,
            clock,
            state: RwLock::new(State::default()),
            flight: Flight::default(),
        }
    }

    fn usable(&self, c: &Credentials, now: SystemTime) -> bool {
        c.expiry()
            .is_none_or(|e| e > now + self.settings.min_remaining)
    }

    fn next_step(&self) -> Step<'_> {
        let fallback = match self.decide() {
            Decision::Answer(now) => return Step::Answer(now),
            Decision::Refresh { fallback } => fallback,
        };
        match self.flight.try_start() {
            // Someone may have refreshed between our look and the start.
            Ok(guard) => match self.decide() {
                Decision::Answer(now) => Step::Answer(now),
                Decision::Refresh { fallback } => Step::Fetch(guard, fallback),
            },
            // Still-valid credentials are served during another's refresh.
            Err(generation) => match fallback {
                Some(c) => Step::Answer(Ok(c)),
                None => Step::Wait(generation),
            },
        }
    }

    fn decide(&self) -> Decision {
        let now = self.clock.now();
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let usable = state
            .credentials
            .as_ref()
            .filter(|c| self.usable(c, now))
            .cloned();
        if let Some(c) = &usable {
            if state.refresh_at.is_some_and(|at| now < at) {
                return Decision::Answer(Ok(c.clone()));
            }
        }
        if state.retry_at.is_some_and(|at| now < at) {
            return match (usable, &state.last_error) {
                (Some(c), _) => Decision::Answer(Ok(c)),
                (None, Some(e)) => Decision::Answer(Err(e.clone())),
                (None, None) => Decision::Refresh { fallback: None },
            };
        }
        Decision::Refresh { fallback: usable }
    }

    fn finish(
        &self,
        result: Result<Credentials, CredentialsError>,
        fallback: Option<Credentials>,
    ) -> Result<Credentials, CredentialsError> {
        let now = self.clock.now();
        let result = result.and_then(|c| {
            if self.usable(&c, now) {
                Ok(c)
            } else {
                Err(CredentialsError::Expired {
                    provider: "the cached provider",
                    expired_at: c.expiry_unix().unwrap_or_default(),
                })
            }
        });
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(c) => {
                state.refresh_at = Some(self.refresh_at(&c, now));
                state.credentials = Some(c.clone());
                state.failures = 0;
                state.retry_at = None;
                state.last_error = None;
                Ok(c)
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                let wait = self
                    .settings
                    .backoff_initial
                    .saturating_mul(1u32 << (state.failures - 1).min(20))
                    .min(self.settings.backoff_max);
                state.retry_at = Some(now + wait);
                state.last_error = Some(e.clone());
                // The fallback was valid when the refresh began; a refresh
                // that outlasted it must not hand it out now.
                fallback.filter(|c| self.usable(c, now)).ok_or(e)
            }
        }
    }

    fn refresh_at(&self, c: &Credentials, now: SystemTime) -> SystemTime {
        let Some(expiry) = c.expiry() else {
            return now + self.settings.no_expiry_lifetime;
        };
        let ahead = self.settings.refresh_before + jitter(self.settings.jitter);
        match expiry.checked_sub(ahead) {
            Some(at) if at > now => at,
            // Short-lived credentials: refresh halfway through what is left.
            _ => now + expiry.duration_since(now).unwrap_or_default() / 2,
        }
    }
}

/// A random duration in `0..max`, without a random-number dependency:
/// `RandomState` is seeded randomly per process, and the hash mixes in the
/// time and thread.
fn jitter(max: Duration) -> Duration {
    let nanos = max.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    let seed = RandomState::new().hash_one((SystemTime::now(), std::thread::current().id()));
    Duration::from_nanos(seed % nanos)
}

/// One refresh at a time: a flag, a generation counter bumped when a
/// refresh ends, and the threads (condvar) and tasks (wakers) waiting.
#[derive(Default)]
struct Flight {
    state: Mutex<FlightState>,
    done: Condvar,
}

#[derive(Default)]
struct FlightState {
    running: bool,
    generation: u64,
    wakers: Vec<Waker>,
}

impl Flight {
    /// Starts a refresh, or tells the generation of the one running.
    fn try_start(&self) -> Result<FlightGuard<'_>, u64> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.running {
            Err(s.generation)
        } else {
            s.running = true;
            Ok(FlightGuard(self))
        }
    }

    #[cfg(test)]
    fn ended(&self, generation: u64) -> bool {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.generation != generation
    }

    /// Blocks until the refresh of `generation` ends.
    fn wait(&self, generation: u64) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while s.running && s.generation == generation {
            s = self.done.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Ends the refresh when dropped, even if the refreshing task was cancelled.
struct FlightGuard<'a>(&'a Flight);

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let wakers = {
            let mut s = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
            s.running = false;
            s.generation = s.generation.wrapping_add(1);
            std::mem::take(&mut s.wakers)
        };
        self.0.done.notify_all();
        for w in wakers {
            w.wake();
        }
    }
}

/// Resolves when the refresh of `generation` ends.
struct WaitFlight<'a> {
    flight: &'a Flight,
    generation: u64,
}

impl Future for WaitFlight<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self
            .flight
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !s.running || s.generation != self.generation {
            return Poll::Ready(());
        }
        if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range() {
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        for _ in 0..100 {
            assert!(jitter(Duration::from_secs(60)) < Duration::from_secs(60));
        }
    }

    #[test]
    fn flight_generation_moves_on() {
        let f = Flight::default();
        let g = f.try_start().unwrap();
        let gen = f.try_start().err().unwrap();
        assert!(!f.ended(gen));
        drop(g);
        assert!(f.ended(gen));
        f.wait(gen);
    }
}

/// Loom models of the single-flight refresh: every interleaving of two or
/// three threads (bounded preemptions). Run with
/// `RUSTFLAGS="--cfg sigv4_loom" cargo test --lib loom_models` (CI does,
/// with its own target directory, `target/loom`).
#[cfg(all(test, sigv4_loom))]
mod loom_models {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex as StdMutex};
    use std::time::{Duration, SystemTime};

    use super::*;

    /// A clock the model moves by hand (not a synchronization point).
    struct Manual(StdMutex<SystemTime>);

    impl Clock for Manual {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    /// Hands out `AKID<n>` valid for an hour, or fails; counts fetches.
    struct Source {
        clock: Arc<Manual>,
        fetches: AtomicUsize,
        fail: bool,
    }

    impl ProvideCredentials for Source {
        fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
            if self.fail {
                return Err(CredentialsError::not_found("loom", "no credentials"));
            }
            Ok(Credentials::new(format!("AKID{n}"), "secret")
                .unwrap()
                .with_expiry(self.clock.now() + Duration::from_secs(3600)))
        }
    }

    fn cache(fail: bool) -> (Arc<CachingProvider<Source>>, Arc<Manual>) {
        let clock = Arc::new(Manual(StdMutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )));
        let source = Source {
            clock: clock.clone(),
            fetches: AtomicUsize::new(0),
            fail,
        };
        let settings = CacheSettings::default()
            .with_jitter(Duration::ZERO)
            .with_refresh_before(Duration::from_secs(300))
            .with_min_remaining(Duration::from_secs(10));
        let cache = CachingProvider::with_settings(source, settings, clock.clone());
        (Arc::new(cache), clock)
    }

    fn model(f: impl Fn() + Send + Sync + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    /// An empty cache asked by three threads at once: one fetch, and every
    /// caller gets its result (no lost wake-up, no second fetch).
    #[test]
    fn one_fetch_for_concurrent_first_calls() {
        model(|| {
            let (cache, _) = cache(false);
            let others: Vec<_> = (0..2)
                .map(|_| {
                    let cache = cache.clone();
                    loom::thread::spawn(move || cache.provide_credentials().unwrap())
                })
                .collect();
            let mine = cache.provide_credentials().unwrap();
            for other in others {
                assert_eq!(other.join().unwrap().access_key_id(), "AKID1");
            }
            assert_eq!(mine.access_key_id(), "AKID1");
            assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), 1);
        });
    }

    /// In the refresh window, one thread refreshes while the other keeps
    /// the still-valid credentials: exactly one more fetch.
    #[test]
    fn one_refresh_in_the_window_others_keep_serving() {
        model(|| {
            let (cache, clock) = cache(false);
            assert_eq!(
                cache.provide_credentials().unwrap().access_key_id(),
                "AKID1"
            );
            *clock.0.lock().unwrap() += Duration::from_secs(3600 - 120);
            let other = {
                let cache = cache.clone();
                loom::thread::spawn(move || cache.provide_credentials().unwrap())
            };
            let mine = cache.provide_credentials().unwrap();
            let theirs = other.join().unwrap();
            for c in [&mine, &theirs] {
                assert!(["AKID1", "AKID2"].contains(&c.access_key_id()));
            }
            assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), 2);
            assert_eq!(
                cache.provide_credentials().unwrap().access_key_id(),
                "AKID2"
            );
        });
    }

    /// A failing source, nothing cached: both callers get the error, the
    /// second without a second fetch (it waits for the first, then the
    /// backoff holds), and nobody blocks forever.
    #[test]
    fn a_failed_fetch_is_shared_not_repeated() {
        model(|| {
            let (cache, _) = cache(true);
            let other = {
                let cache = cache.clone();
                loom::thread::spawn(move || cache.provide_credentials().is_err())
            };
            assert!(cache.provide_credentials().is_err());
            assert!(other.join().unwrap());
            assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), 1);
        });
    }
}
