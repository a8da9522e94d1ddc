//! What can go wrong while looking for credentials.

use std::fmt;
use std::path::PathBuf;

use crate::core::error::{InvalidInput, SigningError};

/// A credentials provider could not answer with credentials.
///
/// [`NotFound`](Self::NotFound) means "not here": a chain moves on to its
/// next provider. Every other variant is a hard error that stops a chain, as
/// in the AWS SDKs: credentials were configured, but are broken.
///
/// Messages are lower case and never contain a secret key or a session
/// token.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::CredentialsError;
///
/// let e = CredentialsError::not_found("environment", "AWS_ACCESS_KEY_ID is not set");
/// assert!(e.is_not_found());
/// assert_eq!(e.to_string(), "no credentials from environment: AWS_ACCESS_KEY_ID is not set");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The provider has no credentials to give; a chain tries the next one.
    NotFound {
        /// The provider that looked.
        provider: &'static str,
        /// Where it looked, or why it did not.
        reason: String,
    },
    /// A shared config or credentials file is malformed.
    InvalidProfileFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What was wrong (never the line's text, which may be a secret).
        reason: String,
    },
    /// A profile is inconsistent: a `role_arn` without a source, a loop of
    /// `source_profile`s, an unknown `credential_source`, ...
    InvalidProfile {
        /// The profile's name.
        profile: String,
        /// What was wrong.
        reason: String,
    },
    /// A setting (environment variable or profile key) has an unusable value.
    InvalidConfig {
        /// The setting's name.
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// A file the provider was told to read could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        reason: String,
    },
    /// A file the provider keeps up to date (the SSO token cache) could not
    /// be written.
    WriteFailed {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        reason: String,
    },
    /// A `credential_process` command could not be run or failed.
    ProcessFailed {
        /// The profile that named the command.
        profile: String,
        /// What went wrong (exit status, and the start of its stderr).
        reason: String,
    },
    /// A `credential_process` command ran past its timeout and was killed.
    ProcessTimeout {
        /// The profile that named the command.
        profile: String,
        /// The timeout it ran past.
        timeout: std::time::Duration,
    },
    /// A JSON or XML document holding credentials could not be read.
    InvalidResponse {
        /// The provider that received it.
        provider: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// Credentials were found but are not valid.
    InvalidCredentials {
        /// The provider that found them.
        provider: &'static str,
        /// Which part was rejected.
        source: InvalidInput,
    },
    /// The credentials found had already expired.
    Expired {
        /// The provider that found them.
        provider: &'static str,
        /// When they expired, as Unix seconds.
        expired_at: i64,
    },
    /// The HTTP transport failed (connection refused, timeout, TLS, ...).
    Transport {
        /// The provider that sent the request.
        provider: &'static str,
        /// What the transport said.
        reason: String,
    },
    /// A credentials endpoint answered with an unexpected HTTP status.
    HttpStatus {
        /// The provider that sent the request.
        provider: &'static str,
        /// The status code.
        status: u16,
        /// The error code and message from the body, when it had them.
        detail: String,
    },
    /// AWS STS refused a call, with its error code and message.
    Sts {
        /// The STS action (`AssumeRole`, `AssumeRoleWithWebIdentity`).
        action: &'static str,
        /// The HTTP status.
        status: u16,
        /// The STS error code, such as `AccessDenied`.
        code: String,
        /// The STS error message.
        message: String,
    },
    /// No usable AWS IAM Identity Center (SSO) access token is cached for a
    /// profile: none was found, it expired and could not be refreshed, or
    /// the SSO portal refused it. Signing in again fixes it.
    SsoLoginRequired {
        /// The profile whose SSO settings were used.
        profile: String,
        /// What was wrong with the cached token (never the token itself).
        reason: String,
        /// The command that signs in again: `aws sso login --sso-session
        /// NAME` or `aws sso login --profile NAME`.
        login_command: String,
    },
    /// AWS IAM Identity Center (the SSO portal or SSO OIDC) refused a call,
    /// with its error code and message.
    Sso {
        /// The service and call: `sso GetRoleCredentials` or `sso-oidc
        /// CreateToken`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The error code, such as `ForbiddenException` or `invalid_grant`.
        code: String,
        /// The error message.
        message: String,
    },
    /// Another library's provider failed (see the `aws-sdk-adapter` feature).
    External {
        /// The adapter that called it.
        provider: &'static str,
        /// What it said.
        reason: String,
    },
    /// The provider cannot do what the configuration asks in this build or
    /// mode (for example, assuming a role from the synchronous profile
    /// provider, which has no network).
    Unsupported {
        /// The provider asked.
        provider: &'static str,
        /// What it cannot do, and what to use instead.
        reason: String,
    },
}

/// The most characters of a server's or a process's own text that an error
/// message repeats.
pub(crate) const MAX_QUOTED_CHARS: usize = 512;

/// Text from outside (an endpoint's error message, a process's stderr) as
/// an error may repeat it: on one line, control and bidirectional
/// formatting characters and runs of whitespace turned into single spaces,
/// cut to [`MAX_QUOTED_CHARS`] characters (the last one `…` when cut).
/// Errors end up in logs; a misbehaving source must not flood them or
/// rewrite what they show.
pub(crate) fn quoted(text: &str) -> String {
    let separator = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    let mut chars = text
        .split(separator)
        .filter(|word| !word.is_empty())
        .enumerate()
        .flat_map(|(i, word)| (i > 0).then_some(' ').into_iter().chain(word.chars()))
        .peekable();
    let mut out = String::new();
    let mut count = 0;
    while let Some(c) = chars.next() {
        if count == MAX_QUOTED_CHARS - 1 && chars.peek().is_some() {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

impl CredentialsError {
    /// A [`NotFound`](Self::NotFound) error.
    pub fn not_found(provider: &'static str, reason: impl Into<String>) -> Self {
        Self::NotFound {
            provider,
            reason: reason.into(),
        }
    }

    /// Whether a chain should move on to its next provider.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { provider, reason } => {
                write!(f, "no credentials from {provider}: {reason}")
            }
            Self::InvalidProfileFile { path, line, reason } => {
                write!(
                    f,
                    "invalid profile file {}:{line}: {reason}",
                    path.display()
                )
            }
            Self::InvalidProfile { profile, reason } => {
                write!(f, "invalid profile {profile:?}: {reason}")
            }
            Self::InvalidConfig { name, reason } => write!(f, "invalid {name}: {reason}"),
            Self::Io { path, reason } => write!(f, "cannot read {}: {reason}", path.display()),
            Self::WriteFailed { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
            Self::ProcessFailed { profile, reason } => write!(
                f,
                "credential_process of profile {profile:?} failed: {reason}"
            ),
            Self::ProcessTimeout { profile, timeout } => write!(
                f,
                "credential_process of profile {profile:?} ran longer than {:.3} s and was killed",
                timeout.as_secs_f64()
            ),
            Self::InvalidResponse { provider, reason } => {
                write!(f, "invalid credentials response from {provider}: {reason}")
            }
            Self::InvalidCredentials { provider, source } => {
                write!(f, "invalid credentials from {provider}: {source}")
            }
            Self::Expired {
                provider,
                expired_at,
            } => write!(
                f,
                "credentials from {provider} expired at unix time {expired_at}"
            ),
            Self::Transport { provider, reason } => {
                write!(f, "http transport error in {provider}: {reason}")
            }
            Self::HttpStatus {
                provider,
                status,
                detail,
            } => {
                write!(f, "{provider} answered http status {status}")?;
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            Self::Sts {
                action,
                status,
                code,
                message,
            } => write!(
                f,
                "sts {action} failed with http status {status}: {code}: {message}"
            ),
            Self::SsoLoginRequired {
                profile,
                reason,
                login_command,
            } => write!(
                f,
                "profile {profile:?} needs a new AWS IAM Identity Center (SSO) sign-in: {reason}; run `{login_command}`"
            ),
            Self::Sso {
                operation,
                status,
                code,
                message,
            } => write!(
                f,
                "{operation} failed with http status {status}: {code}: {message}"
            ),
            Self::External { provider, reason } => write!(f, "{provider} failed: {reason}"),
            Self::Unsupported { provider, reason } => {
                write!(f, "unsupported by {provider}: {reason}")
            }
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidCredentials { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Signing straight from a provider failed: either no credentials, or the
/// signing itself (the request is then untouched).
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{CredentialsError, SignFromProviderError};
///
/// let e = SignFromProviderError::from(CredentialsError::not_found("chain", "nothing configured"));
/// assert!(e.to_string().starts_with("cannot sign: no credentials from chain"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignFromProviderError {
    /// The provider gave no credentials.
    Credentials(CredentialsError),
    /// Signing with the credentials failed.
    Signing(SigningError),
}

impl fmt::Display for SignFromProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Credentials(e) => write!(f, "cannot sign: {e}"),
            Self::Signing(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SignFromProviderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Credentials(e) => Some(e),
            Self::Signing(e) => Some(e),
        }
    }
}

impl From<CredentialsError> for SignFromProviderError {
    fn from(value: CredentialsError) -> Self {
        Self::Credentials(value)
    }
}

impl From<SigningError> for SignFromProviderError {
    fn from(value: SigningError) -> Self {
        Self::Signing(value)
    }
}

#[cfg(test)]
mod quoted_tests {
    use super::*;

    #[test]
    fn quoted_text_is_one_bounded_line() {
        assert_eq!(
            quoted("  a\n\r\tb\u{7}\u{1b}[31mc\u{202e}d  "),
            "a b [31mc d"
        );
        assert_eq!(quoted(""), "");
        let exact = "x".repeat(MAX_QUOTED_CHARS);
        assert_eq!(quoted(&exact), exact);
        let long = quoted(&"é".repeat(MAX_QUOTED_CHARS + 1));
        assert_eq!(long.chars().count(), MAX_QUOTED_CHARS);
        assert!(long.ends_with('…'));
    }
}
