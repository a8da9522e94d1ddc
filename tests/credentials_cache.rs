//! The caching provider, with an injected clock: the refresh window, one
//! fetch for 64 concurrent callers (threads and tasks), still-valid
//! credentials served while the source fails, backoff, and never handing
//! out credentials that are about to expire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, SystemTime};

use sigv4::credentials::{
    AsyncCachingProvider, CacheSettings, CachingProvider, Clock, CredentialsError,
    CredentialsFuture, ProvideCredentials, ProvideCredentialsAsync,
};
use sigv4::Credentials;

const T0: u64 = 1_700_000_000;

#[derive(Clone)]
struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(at(0))))
    }
    fn set(&self, offset: u64) {
        *self.0.lock().unwrap() = at(offset);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

fn at(offset: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + offset)
}

/// Hands out credentials `AKID<n>` expiring `lifetime` after the clock's
/// now, or fails while `failing` is set; counts calls.
struct Source {
    clock: TestClock,
    calls: AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
    lifetime: Option<Duration>,
    delay: Duration,
}

impl Source {
    fn new(clock: &TestClock, lifetime: Option<u64>) -> Arc<Self> {
        Arc::new(Self {
            clock: clock.clone(),
            calls: AtomicUsize::new(0),
            failing: false.into(),
            lifetime: lifetime.map(Duration::from_secs),
            delay: Duration::ZERO,
        })
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    fn fail(&self, on: bool) {
        self.failing.store(on, Ordering::SeqCst);
    }
    fn make(&self) -> Result<Credentials, CredentialsError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.failing.load(Ordering::SeqCst) {
            return Err(CredentialsError::Transport {
                provider: "test",
                reason: format!("failure {n}"),
            });
        }
        let c = Credentials::new(format!("AKID{n}"), "secret").unwrap();
        Ok(match self.lifetime {
            Some(l) => c.with_expiry(self.clock.now() + l),
            None => c,
        })
    }
}

impl ProvideCredentials for Source {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        std::thread::sleep(self.delay);
        self.make()
    }
}

/// The same source, asynchronous, yielding to the runtime while "fetching".
struct AsyncSource(Arc<Source>);

impl ProvideCredentialsAsync for AsyncSource {
    fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            tokio::time::sleep(self.0.delay).await;
            self.0.make()
        })
    }
}

fn settings() -> CacheSettings {
    CacheSettings::default()
        .with_jitter(Duration::ZERO)
        .with_refresh_before(Duration::from_secs(300))
        .with_min_remaining(Duration::from_secs(10))
        .with_backoff(Duration::from_secs(1), Duration::from_secs(8))
}

fn cache(source: &Arc<Source>, clock: &TestClock) -> CachingProvider<Arc<Source>> {
    CachingProvider::with_settings(source.clone(), settings(), Arc::new(clock.clone()))
}

#[test]
fn refreshes_in_the_window_before_expiry_and_not_before() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(3600));
    let cache = cache(&source, &clock);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    clock.set(1000);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    clock.set(3299);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    assert_eq!(source.calls(), 1);
    clock.set(3300);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID2"
    );
    assert_eq!(source.calls(), 2);
    // The new credentials expire at 3300 + 3600.
    clock.set(6599);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID2"
    );
    clock.set(6600);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID3"
    );
}

#[test]
fn jitter_moves_the_refresh_earlier_but_within_bounds() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(3600));
    let cache = CachingProvider::with_settings(
        source.clone(),
        settings().with_jitter(Duration::from_secs(60)),
        Arc::new(clock.clone()),
    );
    cache.provide_credentials().unwrap();
    clock.set(3600 - 361);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 1, "no refresh more than 6 minutes ahead");
    clock.set(3600 - 300);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 2, "refreshed by 5 minutes ahead");
}

#[test]
fn credentials_without_expiry_are_refetched_after_the_default_lifetime() {
    let clock = TestClock::new();
    let source = Source::new(&clock, None);
    let cache = cache(&source, &clock);
    cache.provide_credentials().unwrap();
    clock.set(899);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 1);
    clock.set(900);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 2);
}

#[test]
fn sixty_four_threads_cause_exactly_one_fetch() {
    let clock = TestClock::new();
    let source = Arc::new(Source {
        delay: Duration::from_millis(200),
        ..Arc::into_inner(Source::new(&clock, Some(3600))).unwrap()
    });
    let cache = Arc::new(cache(&source, &clock));
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let cache = cache.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                cache
                    .provide_credentials()
                    .unwrap()
                    .access_key_id()
                    .to_owned()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "AKID1");
    }
    assert_eq!(source.calls(), 1);
}

#[test]
fn threads_in_the_refresh_window_keep_the_current_credentials_during_a_refresh() {
    let clock = TestClock::new();
    let source = Arc::new(Source {
        delay: Duration::from_millis(300),
        ..Arc::into_inner(Source::new(&clock, Some(3600))).unwrap()
    });
    let cache = Arc::new(cache(&source, &clock));
    cache.provide_credentials().unwrap();
    clock.set(3400);
    let refresher = {
        let cache = cache.clone();
        std::thread::spawn(move || cache.provide_credentials().unwrap())
    };
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    // A refresh is running: this call must not wait for it.
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_eq!(refresher.join().unwrap().access_key_id(), "AKID2");
    assert_eq!(source.calls(), 2);
}

#[test]
fn sixty_four_tasks_cause_exactly_one_fetch() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    let clock = TestClock::new();
    let source = Arc::new(Source {
        delay: Duration::from_millis(200),
        ..Arc::into_inner(Source::new(&clock, Some(3600))).unwrap()
    });
    let cache = Arc::new(AsyncCachingProvider::with_settings(
        AsyncSource(source.clone()),
        settings(),
        Arc::new(clock.clone()),
    ));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .provide_credentials_async()
                        .await
                        .unwrap()
                        .access_key_id()
                        .to_owned()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "AKID1");
        }
    });
    assert_eq!(source.calls(), 1);
}

#[test]
fn a_cancelled_async_refresh_hands_over_to_the_next_caller() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let clock = TestClock::new();
    let source = Arc::new(Source {
        delay: Duration::from_millis(100),
        ..Arc::into_inner(Source::new(&clock, Some(3600))).unwrap()
    });
    let cache = AsyncCachingProvider::with_settings(
        AsyncSource(source.clone()),
        settings(),
        Arc::new(clock.clone()),
    );
    runtime.block_on(async {
        let first =
            tokio::time::timeout(Duration::from_millis(20), cache.provide_credentials_async())
                .await;
        assert!(first.is_err(), "the first call was cancelled mid-refresh");
        let second = cache.provide_credentials_async().await.unwrap();
        assert_eq!(second.access_key_id(), "AKID1");
    });
    assert_eq!(source.calls(), 1);
}

#[test]
fn serves_still_valid_credentials_while_the_source_fails_then_gives_up_at_expiry() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(3600));
    let cache = cache(&source, &clock);
    cache.provide_credentials().unwrap();
    source.fail(true);
    clock.set(3400);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    assert_eq!(source.calls(), 2);
    // In the backoff: no new attempt, still the old credentials.
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    assert_eq!(source.calls(), 2);
    clock.set(3401);
    assert_eq!(
        cache.provide_credentials().unwrap().access_key_id(),
        "AKID1"
    );
    assert_eq!(source.calls(), 3);
    // Within min_remaining (10 s) of expiry: never handed out any more.
    clock.set(3590);
    let err = cache.provide_credentials().unwrap_err();
    assert!(matches!(err, CredentialsError::Transport { .. }), "{err}");
    // Recovery.
    source.fail(false);
    clock.set(3700);
    assert!(cache.provide_credentials().is_ok());
}

#[test]
fn backs_off_exponentially_and_never_caches_an_error_forever() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(3600));
    source.fail(true);
    let cache = cache(&source, &clock);
    let mut expected_calls = 0;
    let mut t = 0;
    // Backoff: 1, 2, 4, 8, 8 seconds.
    for wait in [1u64, 2, 4, 8, 8] {
        assert!(cache.provide_credentials().is_err());
        expected_calls += 1;
        assert_eq!(source.calls(), expected_calls);
        // During the backoff the error is answered without calling the source.
        clock.set(t + wait - 1);
        let err = cache.provide_credentials().unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("failure {expected_calls}")),
            "{err}"
        );
        assert_eq!(source.calls(), expected_calls);
        t += wait;
        clock.set(t);
    }
    source.fail(false);
    assert!(cache.provide_credentials().is_ok());
    assert_eq!(source.calls(), expected_calls + 1);
    // Success resets the backoff.
    source.fail(true);
    clock.set(t + 3400);
    assert!(cache.provide_credentials().is_ok());
    clock.set(t + 3401);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), expected_calls + 3);
}

#[test]
fn never_hands_out_credentials_about_to_expire() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(5));
    let cache = cache(&source, &clock);
    let err = cache.provide_credentials().unwrap_err();
    assert!(matches!(err, CredentialsError::Expired { .. }), "{err}");
}

#[test]
fn short_lived_credentials_refresh_halfway() {
    let clock = TestClock::new();
    let source = Source::new(&clock, Some(200));
    let cache = cache(&source, &clock);
    cache.provide_credentials().unwrap();
    clock.set(99);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 1);
    clock.set(100);
    cache.provide_credentials().unwrap();
    assert_eq!(source.calls(), 2);
}

/// A source whose first answer lives until `at(600)`; every later call
/// moves the clock to `at(move_to)` (a refresh that takes that long) and
/// fails.
struct SlowFailure {
    clock: TestClock,
    calls: AtomicUsize,
    move_to: u64,
}

impl ProvideCredentials for SlowFailure {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(Credentials::new("AKID1", "secret")
                .unwrap()
                .with_expiry(at(600)));
        }
        self.clock.set(self.move_to);
        Err(CredentialsError::Transport {
            provider: "test",
            reason: "slow and failed".into(),
        })
    }
}

/// The credentials held when a refresh starts are valid then; when the
/// refresh fails after they expired (or came within `min_remaining` of
/// it), the failure is returned, not the stale fallback.
#[test]
fn a_failed_refresh_never_returns_a_fallback_that_expired_meanwhile() {
    for (move_to, fallback_ok) in [(400, true), (595, false), (600, false), (700, false)] {
        let clock = TestClock::new();
        let cache = CachingProvider::with_settings(
            SlowFailure {
                clock: clock.clone(),
                calls: AtomicUsize::new(0),
                move_to,
            },
            CacheSettings::default().with_jitter(Duration::ZERO),
            Arc::new(clock.clone()),
        );
        assert_eq!(
            cache.provide_credentials().unwrap().access_key_id(),
            "AKID1"
        );
        // Inside the refresh window (300 s before expiry), still valid.
        clock.set(350);
        let result = cache.provide_credentials();
        if fallback_ok {
            assert_eq!(result.unwrap().access_key_id(), "AKID1", "{move_to}");
        } else {
            let err = result.expect_err("no stale credentials");
            assert!(
                matches!(err, CredentialsError::Transport { .. }),
                "{move_to}: {err:?}"
            );
        }
    }
}
