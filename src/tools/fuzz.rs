//! Entry points for the fuzz targets in `fuzz/` and their corpus tests
//! (`tests/fuzz_corpus.rs`): the parsers of untrusted documents that the
//! public API reaches only through files, processes or the network.
//!
//! Not part of the API: hidden from the docs, and may change in any release.
//! Each function is a thin call into the code the providers run.

use crate::credentials::{Credentials, CredentialsError, ProfileFileKind, ProfileSet};

/// The profiles of one config or credentials file, as the parser returns
/// them: `(profile, [(key, value)])`, sorted by name.
///
/// # Errors
///
/// [`CredentialsError::InvalidProfileFile`], naming the file `fuzz` and the line.
#[allow(clippy::type_complexity)] // (profile, [(key, value)])
pub fn profile_file(
    text: &str,
    kind: ProfileFileKind,
) -> Result<Vec<(String, Vec<(String, String)>)>, CredentialsError> {
    let sections =
        crate::credentials::profile::parser::parse(text, std::path::Path::new("fuzz"), kind)?;
    Ok(sections
        .profiles
        .into_iter()
        .map(|(name, properties)| {
            let properties = properties
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().to_owned()))
                .collect();
            (name, properties)
        })
        .collect())
}

/// Resolves `profile` in `set` as the profile providers do, and describes
/// the plan (where the credentials come from, the roles to assume) with
/// `Debug`, which redacts credentials.
///
/// # Errors
///
/// What the providers would answer: `NotFound`, `InvalidProfile`, or an
/// invalid-credentials error for malformed static keys.
pub fn profile_plan(set: &ProfileSet, profile: &str) -> Result<String, CredentialsError> {
    crate::credentials::profile::resolve(set, profile).map(|plan| format!("{plan:?}"))
}

/// The output of a `credential_process` command.
///
/// # Errors
///
/// [`CredentialsError::InvalidResponse`] or
/// [`CredentialsError::InvalidCredentials`].
pub fn credential_process(stdout: &[u8]) -> Result<Credentials, CredentialsError> {
    crate::credentials::profile::process::parse_output(stdout)
}

/// The EC2 instance metadata answer for the role's credentials.
///
/// # Errors
///
/// As the IMDS provider answers for this status and body.
#[cfg(feature = "credentials-http")]
pub fn imds(status: u16, body: &[u8]) -> Result<Credentials, CredentialsError> {
    crate::credentials::net::imds::credentials_answer(status, body)
}

/// A container credentials endpoint's answer.
///
/// # Errors
///
/// As the container provider answers for this status and body.
#[cfg(feature = "credentials-http")]
pub fn container(status: u16, body: &[u8]) -> Result<Credentials, CredentialsError> {
    crate::credentials::net::container::credentials_answer(status, body)
}

/// An STS answer to `AssumeRole` (or, with `web_identity`,
/// `AssumeRoleWithWebIdentity`): credentials on 2xx, the error otherwise.
///
/// # Errors
///
/// As the STS providers answer for this status and body.
#[cfg(feature = "credentials-http")]
pub fn sts(status: u16, body: &[u8], web_identity: bool) -> Result<Credentials, CredentialsError> {
    use crate::credentials::net::sts;
    let action = if web_identity {
        sts::WEB_IDENTITY
    } else {
        sts::ASSUME_ROLE
    };
    sts::parse_answer(status, body, action)
}

/// The SSO portal's answer to `GetRoleCredentials`: credentials on 2xx,
/// the typed error otherwise.
///
/// # Errors
///
/// As the SSO provider answers for this status and body (before it turns
/// a refused token into `SsoLoginRequired`).
#[cfg(feature = "credentials-http")]
pub fn sso_portal(status: u16, body: &[u8]) -> Result<Credentials, CredentialsError> {
    crate::credentials::net::sso::portal_answer(status, &http::HeaderMap::new(), body)
}

/// A token file of the SSO cache (`~/.aws/sso/cache/*.json`), described
/// with `Debug`, which redacts the tokens and the client secret.
///
/// # Errors
///
/// Why the SSO provider would not use the file.
#[cfg(feature = "credentials-http")]
pub fn sso_cached_token(text: &[u8]) -> Result<String, String> {
    crate::credentials::net::sso::describe_cached_token(text)
}
