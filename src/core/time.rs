//! The signing time, formatted once into the two shapes SigV4 uses:
//! `20150830T123600Z` (`x-amz-date`) and `20150830` (the credential scope).
//!
//! The core never reads the clock: a [`SigningTime`] is always an input.
//! [`SigningTime::now`] is defined outside the core, in `src/clock.rs`.

use std::fmt;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::core::encoding::ascii_str;
use crate::core::error::InvalidInput;

/// An instant to sign at, already formatted as SigV4 needs it.
///
/// # Examples
///
/// ```
/// use sigv4::SigningTime;
///
/// let t = SigningTime::parse("20150830T123600Z")?;
/// assert_eq!(t.amz_date(), "20150830T123600Z");
/// assert_eq!(t.date(), "20150830");
/// assert_eq!(SigningTime::parse("2015-08-30T12:36:00Z")?, t);
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigningTime {
    unix: i64,
    amz: [u8; 16],
}

impl SigningTime {
    /// Builds a signing time from Unix seconds.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Time`] if the instant is outside years 0000..=9999.
    pub fn from_unix(seconds: i64) -> Result<Self, InvalidInput> {
        let dt = OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| InvalidInput::Time {
            value: format!("unix time {seconds}"),
        })?;
        Self::from_offset(dt)
    }

    pub(crate) fn from_unix_clamped(seconds: i64) -> Self {
        Self::from_unix(seconds).unwrap_or(Self {
            unix: 0,
            amz: *b"19700101T000000Z",
        })
    }

    fn from_offset(dt: OffsetDateTime) -> Result<Self, InvalidInput> {
        let dt = dt.to_offset(time::UtcOffset::UTC);
        let year = dt.year();
        if !(0..=9999).contains(&year) {
            return Err(InvalidInput::Time {
                value: format!("year {year}"),
            });
        }
        let mut amz = *b"00000000T000000Z";
        write_digits(&mut amz[0..4], year as u32);
        write_digits(&mut amz[4..6], u32::from(u8::from(dt.month())));
        write_digits(&mut amz[6..8], u32::from(dt.day()));
        write_digits(&mut amz[9..11], u32::from(dt.hour()));
        write_digits(&mut amz[11..13], u32::from(dt.minute()));
        write_digits(&mut amz[13..15], u32::from(dt.second()));
        Ok(Self {
            unix: dt.unix_timestamp(),
            amz,
        })
    }

    /// Parses `20150830T123600Z` (the `x-amz-date` form) or RFC 3339
    /// (`2015-08-30T12:36:00Z`, any offset; fractions of a second are dropped).
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Time`] naming the text when it is neither form.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let invalid = || InvalidInput::Time {
            value: text.chars().take(64).collect(),
        };
        let b = text.as_bytes();
        if b.len() == 16 && b[8] == b'T' && b[15] == b'Z' {
            let num = |r: core::ops::Range<usize>| -> Result<u8, InvalidInput> {
                let digits = &b[r];
                if !digits.iter().all(u8::is_ascii_digit) {
                    return Err(invalid());
                }
                Ok(digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')) as u8)
            };
            if !b[0..4].iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            let year = b[0..4]
                .iter()
                .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
            let month = time::Month::try_from(num(4..6)?).map_err(|_| invalid())?;
            let date =
                time::Date::from_calendar_date(year, month, num(6..8)?).map_err(|_| invalid())?;
            let clock = time::Time::from_hms(num(9..11)?, num(11..13)?, num(13..15)?)
                .map_err(|_| invalid())?;
            return Self::from_offset(date.with_time(clock).assume_utc());
        }
        let dt = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid())?;
        Self::from_offset(dt)
    }

    /// Parses an HTTP date in the IMF-fixdate form RFC 9110 §5.6.7 requires
    /// senders to use (`Sun, 30 Aug 2015 12:36:00 GMT`): what a `Date`
    /// header carries when a request has no `x-amz-date`. The weekday must
    /// be the date's.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::SigningTime;
    ///
    /// let t = SigningTime::parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT")?;
    /// assert_eq!(t.amz_date(), "20150830T123600Z");
    /// assert!(SigningTime::parse_http_date("Mon, 30 Aug 2015 12:36:00 GMT").is_err());
    /// # Ok::<(), sigv4::InvalidInput>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Time`] naming the text when it is not an IMF-fixdate.
    pub fn parse_http_date(text: &str) -> Result<Self, InvalidInput> {
        const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let invalid = || InvalidInput::Time {
            value: text.chars().take(64).collect(),
        };
        // Www, DD Mon YYYY HH:MM:SS GMT
        let Some(
            &[w0, w1, w2, b',', b' ', d0, d1, b' ', m0, m1, m2, b' ', y0, y1, y2, y3, b' ', h0, h1, b':', n0, n1, b':', s0, s1, b' ', b'G', b'M', b'T'],
        ) = text
            .as_bytes()
            .first_chunk::<29>()
            .filter(|_| text.len() == 29)
        else {
            return Err(invalid());
        };
        let number = |digits: &[u8]| -> Result<u32, InvalidInput> {
            digits.iter().try_fold(0u32, |acc, &d| {
                d.is_ascii_digit()
                    .then(|| acc * 10 + u32::from(d - b'0'))
                    .ok_or_else(invalid)
            })
        };
        let month = MONTHS
            .iter()
            .position(|m| **m == [m0, m1, m2])
            .ok_or_else(invalid)?;
        let month = time::Month::try_from(month as u8 + 1).map_err(|_| invalid())?;
        let year = number(&[y0, y1, y2, y3])? as i32;
        let day = number(&[d0, d1])? as u8;
        let date = time::Date::from_calendar_date(year, month, day).map_err(|_| invalid())?;
        let weekday = WEEKDAYS[usize::from(date.weekday().number_days_from_monday())];
        if *weekday != [w0, w1, w2] {
            return Err(invalid());
        }
        let clock = time::Time::from_hms(
            number(&[h0, h1])? as u8,
            number(&[n0, n1])? as u8,
            number(&[s0, s1])? as u8,
        )
        .map_err(|_| invalid())?;
        Self::from_offset(date.with_time(clock).assume_utc())
    }

    /// `YYYYMMDDTHHMMSSZ`, the value of `x-amz-date` and `X-Amz-Date`.
    #[must_use]
    pub fn amz_date(&self) -> &str {
        ascii_str(&self.amz)
    }

    /// `YYYYMMDD`, the date in the credential scope.
    #[must_use]
    pub fn date(&self) -> &str {
        ascii_str(&self.amz[..8])
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub fn unix_seconds(&self) -> i64 {
        self.unix
    }

    pub(crate) fn amz_bytes(&self) -> &[u8; 16] {
        &self.amz
    }

    pub(crate) fn date_bytes(&self) -> [u8; 8] {
        let mut d = [0u8; 8];
        d.copy_from_slice(&self.amz[..8]);
        d
    }
}

fn write_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl TryFrom<SystemTime> for SigningTime {
    type Error = InvalidInput;

    fn try_from(value: SystemTime) -> Result<Self, InvalidInput> {
        let unix = match value.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).ok(),
            Err(before) => i64::try_from(before.duration().as_secs())
                .ok()
                .map(|s| -s - i64::from(before.duration().subsec_nanos() > 0)),
        };
        let unix = unix.ok_or_else(|| InvalidInput::Time {
            value: "a system time out of range".into(),
        })?;
        Self::from_unix(unix)
    }
}

impl TryFrom<OffsetDateTime> for SigningTime {
    type Error = InvalidInput;

    fn try_from(value: OffsetDateTime) -> Result<Self, InvalidInput> {
        Self::from_offset(value)
    }
}

impl fmt::Debug for SigningTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningTime({})", self.amz_date())
    }
}

impl fmt::Display for SigningTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.amz_date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_documentation_example() {
        let t = SigningTime::from_unix(1_440_938_160).unwrap();
        assert_eq!(t.amz_date(), "20150830T123600Z");
        assert_eq!(t.date(), "20150830");
        let sys = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        assert_eq!(SigningTime::try_from(sys).unwrap(), t);
    }

    #[test]
    fn parses_both_forms_and_rejects_garbage() {
        let a = SigningTime::parse("20150830T123600Z").unwrap();
        let b = SigningTime::parse("2015-08-30T14:36:00+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.unix_seconds(), 1_440_938_160);
        for bad in [
            "",
            "20151330T123600Z",
            "20150830T253600Z",
            "2015083xT123600Z",
            "+0150830T123600Z",
            "yesterday",
            "20150830T123600",
        ] {
            assert!(SigningTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_imf_fixdates_only() {
        let t = SigningTime::parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(t.unix_seconds(), 1_440_938_160);
        let leap = SigningTime::parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT").unwrap();
        assert_eq!(leap.amz_date(), "20240229T235959Z");
        for bad in [
            "",
            "Sun, 30 Aug 2015 12:36:00 UTC",
            "Sun, 30 Aug 2015 12:36:00 GMT ",
            "Sun,30 Aug 2015 12:36:00 GMT",
            "sun, 30 Aug 2015 12:36:00 GMT",
            "Mon, 30 Aug 2015 12:36:00 GMT",
            "Sun, 30 aug 2015 12:36:00 GMT",
            "Sun, 31 Sep 2015 12:36:00 GMT",
            "Sun, 30 Aug 2015 24:36:00 GMT",
            "Sun, 3a Aug 2015 12:36:00 GMT",
            "Sunday, 30-Aug-15 12:36:00 GMT",
            "Sun Aug 30 12:36:00 2015",
            "20150830T123600Z",
            "Sun, 30 Aug 2015 12:36:00 GMTé",
        ] {
            assert!(SigningTime::parse_http_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_years_outside_four_digits() {
        assert!(SigningTime::from_unix(i64::MAX).is_err());
        assert!(SigningTime::from_unix(-62_167_219_201).is_err());
        assert!(SigningTime::from_unix(253_402_300_799).is_ok());
    }
}
