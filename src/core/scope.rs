//! The credential scope, `20150830/us-east-1/service/aws4_request`, and the
//! validated names it is made of.

use std::fmt;
use std::sync::Arc;

use crate::core::encoding::Sink;
use crate::core::error::InvalidInput;
use crate::core::time::SigningTime;

/// The last component of every SigV4 credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

macro_rules! scope_name {
    ($(#[$doc:meta])* $name:ident, $variant:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates and wraps a name.
            ///
            /// # Errors
            ///
            #[doc = concat!("[`InvalidInput::", stringify!($variant), "`] when the name is empty or")]
            /// holds anything but letters, digits, `-`, `_` and `.`.
            pub fn new(name: impl AsRef<str>) -> Result<Self, InvalidInput> {
                let name = name.as_ref();
                if name.is_empty() || !name.bytes().all(is_name_byte) {
                    return Err(InvalidInput::$variant {
                        value: name.chars().take(64).collect(),
                    });
                }
                Ok(Self(Arc::from(name)))
            }

            /// The name as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl core::str::FromStr for $name {
            type Err = InvalidInput;

            fn from_str(s: &str) -> Result<Self, InvalidInput> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

scope_name!(
    /// An AWS region name such as `us-east-1`.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = sigv4::Region::new("us-east-1")?;
    /// assert_eq!(region.as_str(), "us-east-1");
    /// assert!(sigv4::Region::new("us-east-1/evil").is_err());
    /// # Ok::<(), sigv4::InvalidInput>(())
    /// ```
    Region,
    Region
);

scope_name!(
    /// A signing service name such as `neptune-db`, `s3` or `sts`.
    ///
    /// # Examples
    ///
    /// ```
    /// let service = sigv4::Service::new("neptune-db")?;
    /// assert_eq!(service.to_string(), "neptune-db");
    /// # Ok::<(), sigv4::InvalidInput>(())
    /// ```
    Service,
    Service
);

/// The credential scope: date, region and service, ending in `aws4_request`.
///
/// # Examples
///
/// ```
/// use sigv4::{CredentialScope, Region, Service, SigningTime};
///
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let region = Region::new("us-east-1")?;
/// let service = Service::new("iam")?;
/// let scope = CredentialScope::new(&time, &region, &service);
/// assert_eq!(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone, Copy)]
pub struct CredentialScope<'a> {
    date: [u8; 8],
    region: &'a Region,
    service: &'a Service,
    /// `/region/service/aws4_request`, when a signer rendered it once for
    /// all its signatures: the scope is then written in two pieces, not
    /// seven. Not part of the scope's identity.
    tail: Option<&'a str>,
}

impl PartialEq for CredentialScope<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.date == other.date && self.region == other.region && self.service == other.service
    }
}

impl Eq for CredentialScope<'_> {}

impl fmt::Debug for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialScope")
            .field("date", &self.date())
            .field("region", self.region)
            .field("service", self.service)
            .finish()
    }
}

impl<'a> CredentialScope<'a> {
    /// The scope for a signing time, region and service.
    #[must_use]
    pub fn new(time: &SigningTime, region: &'a Region, service: &'a Service) -> Self {
        Self {
            date: time.date_bytes(),
            region,
            service,
            tail: None,
        }
    }

    /// The same scope, written with a pre-rendered
    /// [`scope_tail`](crate::core::tuned::scope_tail) of its region and service.
    pub(crate) fn with_tail(mut self, tail: &'a str) -> Self {
        debug_assert!(
            (|| {
                let rest = tail.strip_prefix('/')?.strip_prefix(self.region.as_str())?;
                let rest = rest
                    .strip_prefix('/')?
                    .strip_prefix(self.service.as_str())?;
                Some(rest.strip_prefix('/')? == TERMINATOR)
            })() == Some(true),
            "the tail is this scope's"
        );
        self.tail = Some(tail);
        self
    }

    /// Length of the scope as written.
    pub(crate) fn len(&self) -> usize {
        match self.tail {
            Some(tail) => self.date.len() + tail.len(),
            None => {
                let mut count = crate::core::encoding::Counter::default();
                self.write_to(&mut count);
                count.0
            }
        }
    }

    /// The scope's date, `YYYYMMDD`.
    #[must_use]
    pub fn date(&self) -> &str {
        crate::core::encoding::ascii_str(&self.date)
    }

    /// [`date`](Self::date) as bytes, without re-checking they are ASCII.
    pub(crate) fn date_bytes(&self) -> &[u8; 8] {
        &self.date
    }

    /// The scope's region.
    #[must_use]
    pub fn region(&self) -> &'a Region {
        self.region
    }

    /// The scope's service.
    #[must_use]
    pub fn service(&self) -> &'a Service {
        self.service
    }

    pub(crate) fn write_to<S: Sink + ?Sized>(&self, sink: &mut S) {
        sink.put(&self.date);
        if let Some(tail) = self.tail {
            sink.put(tail.as_bytes());
            return;
        }
        sink.put(b"/");
        sink.put(self.region.as_str().as_bytes());
        sink.put(b"/");
        sink.put(self.service.as_str().as_bytes());
        sink.put(b"/");
        sink.put(TERMINATOR.as_bytes());
    }
}

impl fmt::Display for CredentialScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{TERMINATOR}",
            self.date(),
            self.region,
            self.service
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reject_separators_and_blanks() {
        for bad in ["", " ", "us east", "a/b", "é", "a\n"] {
            assert!(Region::new(bad).is_err(), "{bad:?}");
            assert!(Service::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Service::new("neptune-db").unwrap().as_str(), "neptune-db");
    }

    #[test]
    fn writes_scope_bytes() {
        let t = SigningTime::parse("20150830T123600Z").unwrap();
        let r = Region::new("us-east-1").unwrap();
        let s = Service::new("iam").unwrap();
        let mut out = Vec::new();
        CredentialScope::new(&t, &r, &s).write_to(&mut out);
        assert_eq!(out, b"20150830/us-east-1/iam/aws4_request");
    }
}
