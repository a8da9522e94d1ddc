//! Environment variables, read through [`Env`] so tests can hand in a map
//! instead of touching the process environment.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::CredentialsError;
use super::provider::ProvideCredentials;
use super::Credentials;
use crate::core::error::InvalidInput;
use crate::core::scope::Region;

/// Where environment variables come from: the process, or a fixed map.
///
/// Blank values (empty or only whitespace) count as unset. `Debug` shows
/// the names in a map, never the values.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::Env;
///
/// let env = Env::from_pairs([("AWS_REGION", "eu-west-1"), ("AWS_PROFILE", "  ")]);
/// assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
/// assert_eq!(env.get("AWS_PROFILE"), None);
/// assert_eq!(env.region()?.unwrap().as_str(), "eu-west-1");
/// # Ok::<(), sigv4::InvalidInput>(())
/// ```
#[derive(Clone)]
pub struct Env(Source);

#[derive(Clone)]
enum Source {
    Process,
    Map(Arc<HashMap<String, String>>),
}

impl Env {
    /// The real process environment.
    #[must_use]
    pub fn process() -> Self {
        Self(Source::Process)
    }

    /// A fixed set of variables; nothing else is set.
    #[must_use]
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self(Source::Map(Arc::new(map)))
    }

    /// The value of `name`, or `None` when it is unset, blank, or not UTF-8.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.0 {
            Source::Process => std::env::var(name).ok()?,
            Source::Map(map) => map.get(name)?.clone(),
        };
        if value.trim().is_empty() {
            None
        } else {
            Some(value)
        }
    }

    /// The home folder: `HOME`, else `USERPROFILE`, else `HOMEDRIVE` +
    /// `HOMEPATH`.
    #[must_use]
    pub fn home_dir(&self) -> Option<PathBuf> {
        if let Some(home) = self.get("HOME").or_else(|| self.get("USERPROFILE")) {
            return Some(PathBuf::from(home));
        }
        match (self.get("HOMEDRIVE"), self.get("HOMEPATH")) {
            (Some(drive), Some(path)) => Some(PathBuf::from(drive + &path)),
            _ => None,
        }
    }

    /// The region: `SERVICE_REGION` (the name the Neptune documentation
    /// uses), then `AWS_REGION`, then `AWS_DEFAULT_REGION`.
    ///
    /// # Errors
    ///
    /// [`InvalidInput::Region`] if the first one set is not a region name.
    pub fn region(&self) -> Result<Option<Region>, InvalidInput> {
        ["SERVICE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|name| self.get(name))
            .map(|r| Region::new(r.trim()))
            .transpose()
    }

    /// Expands a leading `~/` (or a lone `~`) to the home folder.
    pub(crate) fn expand_home(&self, path: &str) -> PathBuf {
        let rest = if path == "~" {
            Some("")
        } else {
            path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\"))
        };
        match (rest, self.home_dir()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::process()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Process => f.write_str("Env::Process"),
            Source::Map(map) => {
                let mut names: Vec<_> = map.keys().collect();
                names.sort();
                f.debug_tuple("Env::Map").field(&names).finish()
            }
        }
    }
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and
/// optionally `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` (RFC 3339).
///
/// Answers `NotFound` unless both keys are set (blank counts as unset).
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{Env, EnvironmentProvider, ProvideCredentials};
///
/// let env = Env::from_pairs([
///     ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
///     ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
///     ("AWS_SESSION_TOKEN", "token"),
///     ("AWS_CREDENTIAL_EXPIRATION", "2100-01-01T00:00:00Z"),
/// ]);
/// let creds = EnvironmentProvider::with_env(env).provide_credentials()?;
/// assert_eq!(creds.session_token(), Some("token"));
/// assert!(creds.expiry().is_some());
/// # Ok::<(), sigv4::credentials::CredentialsError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EnvironmentProvider {
    env: Env,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the given environment.
    #[must_use]
    pub fn with_env(env: Env) -> Self {
        Self { env }
    }
}

const PROVIDER: &str = "environment";

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let id = self.env.get("AWS_ACCESS_KEY_ID");
        let secret = self.env.get("AWS_SECRET_ACCESS_KEY");
        let (id, secret) = match (id, secret) {
            (Some(id), Some(secret)) => (id, secret),
            (None, None) => {
                return Err(CredentialsError::not_found(
                    PROVIDER,
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                ))
            }
            (Some(_), None) => {
                return Err(CredentialsError::not_found(
                    PROVIDER,
                    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                ))
            }
            (None, Some(_)) => {
                return Err(CredentialsError::not_found(
                    PROVIDER,
                    "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                ))
            }
        };
        let invalid = |source| CredentialsError::InvalidCredentials {
            provider: PROVIDER,
            source,
        };
        let mut creds = Credentials::new(id.trim(), secret.trim()).map_err(invalid)?;
        if let Some(token) = self.env.get("AWS_SESSION_TOKEN") {
            creds = creds.with_session_token(token.trim()).map_err(invalid)?;
        }
        if let Some(expiry) = self.env.get("AWS_CREDENTIAL_EXPIRATION") {
            let expiry = parse_rfc3339("AWS_CREDENTIAL_EXPIRATION", expiry.trim())?;
            creds = creds.with_expiry(expiry);
        }
        Ok(creds)
    }
}

/// Parses an RFC 3339 timestamp, naming the setting it came from on error.
pub(crate) fn parse_rfc3339(
    name: &str,
    text: &str,
) -> Result<std::time::SystemTime, CredentialsError> {
    // `SystemTime::from(OffsetDateTime)` panics where the platform's clock
    // cannot hold the time (before 1601 on Windows); convert with checks.
    let since_epoch = |t: OffsetDateTime| {
        let offset = t - OffsetDateTime::UNIX_EPOCH;
        let magnitude = offset.unsigned_abs();
        if offset.is_negative() {
            std::time::SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        } else {
            std::time::SystemTime::UNIX_EPOCH.checked_add(magnitude)
        }
    };
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(since_epoch)
        .ok_or_else(|| CredentialsError::InvalidConfig {
            name: name.to_owned(),
            reason: format!(
                "expected an RFC 3339 timestamp such as 2030-01-01T00:00:00Z, got {:?}",
                text.chars().take(40).collect::<String>()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_extremes_never_panic() {
        // Year 0 is before what Windows' clock holds: an error there, a time
        // here; never a panic.
        for text in [
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59.999999999-23:59",
        ] {
            match parse_rfc3339("Expiration", text) {
                Ok(_) | Err(CredentialsError::InvalidConfig { .. }) => {}
                Err(other) => panic!("{text}: {other}"),
            }
        }
        assert!(parse_rfc3339("Expiration", "2030-01-01T00:00:00Z").is_ok());
        assert!(parse_rfc3339("Expiration", "soon").is_err());
    }

    #[test]
    fn blank_values_are_unset() {
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", " \t"),
        ]);
        let err = EnvironmentProvider::with_env(env)
            .provide_credentials()
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn region_order() {
        let env = Env::from_pairs([
            ("AWS_REGION", "us-west-2"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("SERVICE_REGION", ""),
        ]);
        assert_eq!(env.region().unwrap().unwrap().as_str(), "us-west-2");
        let env = Env::from_pairs([("SERVICE_REGION", "ap-south-1"), ("AWS_REGION", "x")]);
        assert_eq!(env.region().unwrap().unwrap().as_str(), "ap-south-1");
        assert!(Env::from_pairs([("AWS_REGION", "bad region")])
            .region()
            .is_err());
        assert!(Env::from_pairs::<&str, &str>([])
            .region()
            .unwrap()
            .is_none());
    }

    #[test]
    fn bad_expiration_is_a_hard_error() {
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_CREDENTIAL_EXPIRATION", "tomorrow"),
        ]);
        let err = EnvironmentProvider::with_env(env)
            .provide_credentials()
            .unwrap_err();
        assert!(
            err.to_string().contains("AWS_CREDENTIAL_EXPIRATION"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_values() {
        let env = Env::from_pairs([("AWS_SECRET_ACCESS_KEY", "hunter2")]);
        assert!(!format!("{env:?}").contains("hunter2"));
    }
}
