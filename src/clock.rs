//! Where the outer layers read the time: [`SigningTime::now`], and the
//! injectable [`Clock`] the credentials cache and the verifier's tower
//! layer take. Everything in the core takes its time as an argument.

use std::time::SystemTime;

use crate::core::time::SigningTime;

impl SigningTime {
    /// The current time from the system clock.
    ///
    /// # Panics
    ///
    /// Never in practice: only if the system clock reads a year past 9999,
    /// in which case the Unix epoch is used instead of panicking.
    #[must_use]
    pub fn now() -> Self {
        Self::try_from(SystemTime::now()).unwrap_or_else(|_| Self::from_unix_clamped(0))
    }
}

/// A source of the current time, injectable for tests.
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
/// use sigv4::credentials::{Clock, SystemClock};
///
/// assert!(SystemClock.now() > SystemTime::UNIX_EPOCH);
/// ```
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
