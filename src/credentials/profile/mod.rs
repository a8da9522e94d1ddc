//! Shared config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`): parsing, merging, and resolving a profile to where
//! its credentials come from; the profile's region and endpoint settings.

pub(crate) mod parser;
pub(crate) mod process;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use parser::ProfileFileKind;
use parser::Properties;
pub use process::{DEFAULT_PROCESS_TIMEOUT, MAX_PROCESS_OUTPUT};

use super::env::Env;
use super::error::CredentialsError;
use super::provider::ProvideCredentials;
use super::Credentials;
use crate::core::scope::Region;

const PROVIDER: &str = "profile";

/// The profiles of the config file and the credentials file, merged: for the
/// same profile and key, the credentials file wins. The config file's
/// `[sso-session name]` and `[services name]` sections are kept too, for
/// the profiles that name them.
///
/// `Debug` shows section names and keys, never values.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::ProfileSet;
///
/// let set = ProfileSet::parse(
///     "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1 ; a comment\n",
///     "[dev]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
/// )?;
/// assert_eq!(set.get("dev", "region"), Some("eu-west-1"));
/// assert_eq!(set.get("dev", "aws_access_key_id"), Some("AKIDEXAMPLE"));
/// assert_eq!(set.get("default", "region"), Some("us-east-1"));
/// # Ok::<(), sigv4::credentials::CredentialsError>(())
/// ```
#[derive(Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Properties>,
    sso_sessions: BTreeMap<String, Properties>,
    services: BTreeMap<String, Properties>,
}

impl ProfileSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the texts of a config file and a credentials file (named
    /// `config` and `credentials` in errors).
    ///
    /// # Errors
    ///
    /// [`CredentialsError::InvalidProfileFile`] naming the file and line.
    pub fn parse(config: &str, credentials: &str) -> Result<Self, CredentialsError> {
        let mut set = Self::new();
        set.add_file(ProfileFileKind::Config, Path::new("config"), config)?;
        set.add_file(
            ProfileFileKind::Credentials,
            Path::new("credentials"),
            credentials,
        )?;
        Ok(set)
    }

    /// Parses one file and merges it in: its keys replace those already
    /// held for the same profile. Add the config file first, then the
    /// credentials file.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::InvalidProfileFile`] naming `path` and the line.
    pub fn add_file(
        &mut self,
        kind: ProfileFileKind,
        path: &Path,
        text: &str,
    ) -> Result<(), CredentialsError> {
        let sections = parser::parse(text, path, kind)?;
        for (mine, theirs) in [
            (&mut self.profiles, sections.profiles),
            (&mut self.sso_sessions, sections.sso_sessions),
            (&mut self.services, sections.services),
        ] {
            for (name, properties) in theirs {
                mine.entry(name).or_default().extend(properties);
            }
        }
        Ok(())
    }

    /// Reads the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and
    /// the credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/credentials`) named by `env`. Missing files count as empty.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::Io`] if a file exists but cannot be read;
    /// [`CredentialsError::InvalidProfileFile`] if one is malformed.
    pub fn load(env: &Env) -> Result<Self, CredentialsError> {
        let mut set = Self::new();
        for (kind, path) in [
            (ProfileFileKind::Config, config_path(env)),
            (ProfileFileKind::Credentials, credentials_path(env)),
        ] {
            let Some(path) = path else { continue };
            if let Some(text) = read_optional(&path)? {
                set.add_file(kind, &path, &text)?;
            }
        }
        Ok(set)
    }

    /// Whether `profile` exists.
    #[must_use]
    pub fn contains(&self, profile: &str) -> bool {
        self.profiles.contains_key(profile)
    }

    /// The names of all profiles, sorted.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// The value of `key` (lower case) in `profile`.
    #[must_use]
    pub fn get(&self, profile: &str, key: &str) -> Option<&str> {
        lookup(&self.profiles, profile, key)
    }

    /// The `region` of `profile`: `None` if the profile or its `region` is
    /// missing.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::InvalidProfile`] naming the profile and the value
    /// when the value is not a region name.
    ///
    /// # Examples
    ///
    /// ```
    /// use sigv4::credentials::ProfileSet;
    ///
    /// let set = ProfileSet::parse("[profile dev]\nregion = eu-west-1\n[profile bad]\nregion = eu west\n", "")?;
    /// assert_eq!(set.region("dev")?.unwrap().as_str(), "eu-west-1");
    /// assert_eq!(set.region("nowhere")?, None);
    /// assert!(set.region("bad").unwrap_err().to_string().contains("\"bad\""));
    /// # Ok::<(), sigv4::credentials::CredentialsError>(())
    /// ```
    pub fn region(&self, profile: &str) -> Result<Option<Region>, CredentialsError> {
        let Some(value) = self.get(profile, "region") else {
            return Ok(None);
        };
        Region::new(value.trim())
            .map(Some)
            .map_err(|e| CredentialsError::InvalidProfile {
                profile: profile.to_owned(),
                reason: format!("its region is unusable: {e}"),
            })
    }

    /// The value of `key` in the `[sso-session name]` section.
    pub(crate) fn sso_session(&self, name: &str, key: &str) -> Option<&str> {
        lookup(&self.sso_sessions, name, key)
    }

    /// Whether an `[sso-session name]` section exists.
    pub(crate) fn has_sso_session(&self, name: &str) -> bool {
        self.sso_sessions.contains_key(name)
    }

    /// `setting` of `service` in the `[services name]` section that
    /// `profile` names with `services = name`: the `sub_key` line nested
    /// under `service =`. A missing section counts as unset, as in the AWS
    /// SDKs.
    #[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
    pub(crate) fn service_setting(
        &self,
        profile: &str,
        service: &str,
        sub_key: &str,
    ) -> Option<&str> {
        let section = self.get(profile, "services")?.trim();
        let nested = lookup(&self.services, section, service)?;
        parser::sub_property(nested, sub_key)
    }
}

/// The non-blank value of `key` in section `name` of `table`.
fn lookup<'a>(table: &'a BTreeMap<String, Properties>, name: &str, key: &str) -> Option<&'a str> {
    table
        .get(name)?
        .get(key)
        .map(|v| v.as_str())
        .filter(|v| !v.is_empty())
}

impl fmt::Debug for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (name, props) in &self.profiles {
            m.entry(name, &props.keys().collect::<Vec<_>>());
        }
        for (kind, table) in [
            ("sso-session", &self.sso_sessions),
            ("services", &self.services),
        ] {
            for (name, props) in table {
                m.entry(&format!("{kind} {name}"), &props.keys().collect::<Vec<_>>());
            }
        }
        m.finish()
    }
}

/// The profile to use: `profile` if given, else `AWS_PROFILE`, else
/// `default`.
pub(crate) fn selected_profile(env: &Env, profile: Option<&str>) -> String {
    profile
        .map(str::to_owned)
        .or_else(|| env.get("AWS_PROFILE").map(|p| p.trim().to_owned()))
        .unwrap_or_else(|| "default".to_owned())
}

/// The `region` of a profile of the shared files: `profile` if given, else
/// `AWS_PROFILE`, else `default`; the files are found and read as
/// [`ProfileSet::load`] does. Missing files, a missing profile or a profile
/// without `region` give `Ok(None)`.
///
/// Environment variables (`AWS_REGION`, ...) are not consulted: see
/// [`Env::region`] for those, which the AWS SDKs check first.
///
/// # Errors
///
/// [`CredentialsError::Io`] or [`CredentialsError::InvalidProfileFile`] as
/// for [`ProfileSet::load`]; [`CredentialsError::InvalidProfile`] if the
/// region is not a region name.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{profile_region, Env};
///
/// let dir = std::env::temp_dir().join(format!("sigv4-doc-region-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let config = dir.join("config");
/// std::fs::write(&config, "[default]\nregion = us-east-1\n[profile eu]\nregion = eu-west-1\n")?;
/// let env = Env::from_pairs([
///     ("AWS_CONFIG_FILE", config.to_str().unwrap()),
///     ("AWS_SHARED_CREDENTIALS_FILE", dir.join("none").to_str().unwrap()),
///     ("AWS_PROFILE", "eu"),
/// ]);
/// assert_eq!(profile_region(&env, None)?.unwrap().as_str(), "eu-west-1");
/// assert_eq!(profile_region(&env, Some("default"))?.unwrap().as_str(), "us-east-1");
/// assert_eq!(profile_region(&env, Some("elsewhere"))?, None);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn profile_region(
    env: &Env,
    profile: Option<&str>,
) -> Result<Option<Region>, CredentialsError> {
    ProfileSet::load(env)?.region(&selected_profile(env, profile))
}

/// The config file's path: `AWS_CONFIG_FILE`, else `~/.aws/config`.
pub(crate) fn config_path(env: &Env) -> Option<PathBuf> {
    match env.get("AWS_CONFIG_FILE") {
        Some(p) => Some(env.expand_home(p.trim())),
        None => env.home_dir().map(|h| h.join(".aws").join("config")),
    }
}

/// The credentials file's path: `AWS_SHARED_CREDENTIALS_FILE`, else
/// `~/.aws/credentials`.
pub(crate) fn credentials_path(env: &Env) -> Option<PathBuf> {
    match env.get("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => Some(env.expand_home(p.trim())),
        None => env.home_dir().map(|h| h.join(".aws").join("credentials")),
    }
}

/// Reads a UTF-8 file; `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, CredentialsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CredentialsError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.split(|&b| b == b'\n').count();
            Err(CredentialsError::InvalidProfileFile {
                path: path.to_owned(),
                line,
                reason: "the file is not valid UTF-8".to_owned(),
            })
        }
    }
}

/// Where a profile's credentials ultimately come from.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
pub(crate) enum BaseSource {
    Static(Credentials),
    Process {
        command: String,
        profile: String,
    },
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
    WebIdentity {
        role_arn: String,
        token_file: PathBuf,
        session_name: Option<String>,
    },
    Sso(SsoSource),
}

/// An AWS IAM Identity Center (SSO) profile, resolved: which cached token
/// to use, and which account and role to ask the SSO portal for.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
pub(crate) struct SsoSource {
    /// The profile that holds the `sso_*` settings.
    pub(crate) profile: String,
    /// `sso_session`; `None` in the legacy form (`sso_start_url` in the
    /// profile), whose token is cached under the start URL and is never
    /// refreshed.
    pub(crate) session: Option<String>,
    pub(crate) start_url: String,
    /// `sso_region`: where the portal and SSO OIDC are.
    pub(crate) region: Region,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
}

impl SsoSource {
    /// What the AWS CLI caches the token under: the session name, else
    /// the start URL.
    #[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
    pub(crate) fn cache_key(&self) -> &str {
        self.session.as_deref().unwrap_or(&self.start_url)
    }

    /// The command that signs in for this profile.
    #[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
    pub(crate) fn login_command(&self) -> String {
        match &self.session {
            Some(session) => format!("aws sso login --sso-session {session}"),
            None => format!("aws sso login --profile {}", self.profile),
        }
    }
}

/// One role to assume with the credentials obtained so far.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
pub(crate) struct RoleStep {
    pub(crate) profile: String,
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) duration_seconds: Option<u32>,
}

/// A resolved profile: the base source, then the roles to assume in order.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "credentials-http"), allow(dead_code))]
pub(crate) struct Plan {
    pub(crate) base: BaseSource,
    pub(crate) roles: Vec<RoleStep>,
}

impl Plan {
    /// Whether following the plan needs the network.
    pub(crate) fn needs_network(&self) -> bool {
        !self.roles.is_empty()
            || !matches!(
                self.base,
                BaseSource::Static(_) | BaseSource::Process { .. }
            )
    }
}

/// Static keys of a profile, if it has them.
fn static_keys(set: &ProfileSet, name: &str) -> Result<Option<Credentials>, CredentialsError> {
    let invalid = |reason: &str| CredentialsError::InvalidProfile {
        profile: name.to_owned(),
        reason: reason.to_owned(),
    };
    let id = set.get(name, "aws_access_key_id");
    let secret = set.get(name, "aws_secret_access_key");
    let (id, secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            return Err(invalid(
                "aws_access_key_id is set but aws_secret_access_key is not",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "aws_secret_access_key is set but aws_access_key_id is not",
            ))
        }
    };
    let bad = |source| CredentialsError::InvalidCredentials {
        provider: PROVIDER,
        source,
    };
    let mut creds = Credentials::new(id, secret).map_err(bad)?;
    if let Some(token) = set.get(name, "aws_session_token") {
        creds = creds.with_session_token(token).map_err(bad)?;
    }
    Ok(Some(creds))
}

const SSO_KEYS: [&str; 5] = [
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// The SSO settings of profile `name`, if it has any: either `sso_session`
/// naming an `[sso-session]` section (which holds `sso_start_url` and
/// `sso_region`), or the legacy `sso_start_url` and `sso_region` in the
/// profile; `sso_account_id` and `sso_role_name` in the profile in both.
fn sso_source(set: &ProfileSet, name: &str) -> Result<Option<SsoSource>, CredentialsError> {
    let get = |key: &str| set.get(name, key).map(str::trim);
    if SSO_KEYS.iter().all(|k| get(k).is_none()) {
        return Ok(None);
    }
    let invalid = |reason: String| CredentialsError::InvalidProfile {
        profile: name.to_owned(),
        reason,
    };
    let (start_url, region, region_from, session) = if let Some(session) = get("sso_session") {
        if !set.has_sso_session(session) {
            return Err(invalid(format!(
                "sso_session {session:?} names no [sso-session {session}] section in the config file"
            )));
        }
        let mut values = Vec::new();
        for key in ["sso_start_url", "sso_region"] {
            let Some(value) = set.sso_session(session, key).map(str::trim) else {
                return Err(invalid(format!(
                    "its [sso-session {session}] section has no {key}"
                )));
            };
            // As in the AWS CLI: the profile may repeat a value, not change it.
            if get(key).is_some_and(|mine| mine != value) {
                return Err(invalid(format!(
                    "its {key} differs from the one in [sso-session {session}]"
                )));
            }
            values.push(value);
        }
        (
            values[0],
            values[1],
            format!("[sso-session {session}]"),
            Some(session.to_owned()),
        )
    } else {
        match (get("sso_start_url"), get("sso_region")) {
            (Some(url), Some(region)) => (url, region, "the profile".to_owned(), None),
            (None, _) => {
                return Err(invalid(
                    "it has sso_* settings but neither sso_session nor sso_start_url".to_owned(),
                ))
            }
            (Some(_), None) => {
                return Err(invalid("it has sso_start_url but no sso_region".to_owned()))
            }
        }
    };
    let (account_id, role_name) = match (get("sso_account_id"), get("sso_role_name")) {
        (Some(account), Some(role)) => (account.to_owned(), role.to_owned()),
        (None, None) => {
            return Err(invalid(
                "it signs in to AWS IAM Identity Center but has no sso_account_id and sso_role_name, which AWS credentials need"
                    .to_owned(),
            ))
        }
        (Some(_), None) => {
            return Err(invalid(
                "sso_account_id is set but sso_role_name is not".to_owned(),
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "sso_role_name is set but sso_account_id is not".to_owned(),
            ))
        }
    };
    let region = Region::new(region)
        .map_err(|e| invalid(format!("the sso_region of {region_from} is unusable: {e}")))?;
    Ok(Some(SsoSource {
        profile: name.to_owned(),
        session,
        start_url: start_url.to_owned(),
        region,
        account_id,
        role_name,
    }))
}

/// Follows `start` through `source_profile` links to its base source.
#[allow(clippy::too_many_lines)] // one loop over the chain, one arm per source kind
pub(crate) fn resolve(set: &ProfileSet, start: &str) -> Result<Plan, CredentialsError> {
    let invalid = |profile: &str, reason: String| CredentialsError::InvalidProfile {
        profile: profile.to_owned(),
        reason,
    };
    if !set.contains(start) {
        return Err(CredentialsError::not_found(
            PROVIDER,
            format!("no profile named {start:?} in the config or credentials file"),
        ));
    }
    let mut visited: Vec<String> = Vec::new();
    let mut roles = Vec::new();
    let mut name = start.to_owned();
    let base = loop {
        if visited.contains(&name) {
            visited.push(name);
            return Err(invalid(
                start,
                format!("source_profile loop: {}", visited.join(" -> ")),
            ));
        }
        visited.push(name.clone());
        let first = visited.len() == 1;
        // Past the first profile, static keys win over anything else.
        if !first {
            if let Some(creds) = static_keys(set, &name)? {
                break BaseSource::Static(creds);
            }
        }
        let get = |key: &str| set.get(&name, key).map(str::to_owned);
        let Some(role_arn) = get("role_arn") else {
            // SSO before the rest, as in the AWS SDKs.
            if let Some(sso) = sso_source(set, &name)? {
                break BaseSource::Sso(sso);
            }
            if let Some(command) = get("credential_process") {
                break BaseSource::Process {
                    command,
                    profile: name,
                };
            }
            if let Some(creds) = static_keys(set, &name)? {
                break BaseSource::Static(creds);
            }
            let reason = "it has no aws_access_key_id, credential_process, sso_* or role_arn";
            if first {
                return Err(CredentialsError::not_found(
                    PROVIDER,
                    format!("profile {name:?} has no credentials: {reason}"),
                ));
            }
            return Err(invalid(
                &name,
                format!("as a source profile it gives no credentials: {reason}"),
            ));
        };
        let session_name = get("role_session_name");
        if let Some(token_file) = get("web_identity_token_file") {
            break BaseSource::WebIdentity {
                role_arn,
                token_file: PathBuf::from(token_file),
                session_name,
            };
        }
        let duration_seconds = match get("duration_seconds") {
            None => None,
            Some(d) => Some(d.trim().parse::<u32>().map_err(|_| {
                invalid(
                    &name,
                    "duration_seconds is not a whole number of seconds".to_owned(),
                )
            })?),
        };
        roles.push(RoleStep {
            profile: name.clone(),
            role_arn,
            session_name,
            external_id: get("external_id"),
            duration_seconds,
        });
        match (get("source_profile"), get("credential_source")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    &name,
                    "it has both source_profile and credential_source".to_owned(),
                ))
            }
            (None, None) => {
                return Err(invalid(
                    &name,
                    "it has role_arn but neither source_profile nor credential_source".to_owned(),
                ))
            }
            (None, Some(source)) => {
                break match source.as_str() {
                    "Environment" => BaseSource::Environment,
                    "Ec2InstanceMetadata" => BaseSource::Ec2InstanceMetadata,
                    "EcsContainer" => BaseSource::EcsContainer,
                    other => {
                        return Err(invalid(
                            &name,
                            format!(
                                "unknown credential_source {other:?}: expected Environment, Ec2InstanceMetadata or EcsContainer"
                            ),
                        ))
                    }
                };
            }
            (Some(source), None) if source == name => {
                // A profile may name itself to assume a role with its own
                // keys, or with its own SSO credentials.
                if let Some(creds) = static_keys(set, &name)? {
                    break BaseSource::Static(creds);
                }
                match sso_source(set, &name)? {
                    Some(sso) => break BaseSource::Sso(sso),
                    None => return Err(invalid(
                        &name,
                        "source_profile names the profile itself, which has no aws_access_key_id or sso_* settings"
                            .to_owned(),
                    )),
                }
            }
            (Some(source), None) => {
                if !set.contains(&source) {
                    return Err(invalid(
                        &name,
                        format!("source_profile {source:?} does not exist"),
                    ));
                }
                name = source;
            }
        }
    };
    roles.reverse();
    Ok(Plan { base, roles })
}

/// Credentials from a profile of the shared files: static keys or a
/// `credential_process`. The profile is the one given, else `AWS_PROFILE`,
/// else `default`; the files are re-read on every call (wrap the provider in
/// a [`CachingProvider`](super::CachingProvider)).
///
/// Profiles that assume a role (`role_arn`) or sign in through AWS IAM
/// Identity Center (`sso_*`) need the network: this provider answers
/// [`CredentialsError::Unsupported`] for them; the `credentials-http`
/// feature's `net::ProfileProvider` follows them.
///
/// # Examples
///
/// ```
/// use sigv4::credentials::{Env, ProfileProvider, ProvideCredentials};
///
/// let dir = std::env::temp_dir().join(format!("sigv4-doc-profile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("credentials");
/// std::fs::write(&file, "[work]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n")?;
/// let env = Env::from_pairs([
///     ("AWS_SHARED_CREDENTIALS_FILE", file.to_str().unwrap()),
///     ("AWS_CONFIG_FILE", dir.join("none").to_str().unwrap()),
///     ("AWS_PROFILE", "work"),
/// ]);
/// let creds = ProfileProvider::with_env(env).provide_credentials()?;
/// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProfileProvider {
    env: Env,
    profile: Option<String>,
    process_timeout: Duration,
}

impl Default for ProfileProvider {
    fn default() -> Self {
        Self::with_env(Env::default())
    }
}

impl ProfileProvider {
    /// Reads the files and `AWS_PROFILE` named by the process environment.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the files and `AWS_PROFILE` named by `env`.
    #[must_use]
    pub fn with_env(env: Env) -> Self {
        Self {
            env,
            profile: None,
            process_timeout: DEFAULT_PROCESS_TIMEOUT,
        }
    }

    /// Kills a `credential_process` that runs longer than `timeout`
    /// (default [`DEFAULT_PROCESS_TIMEOUT`], one minute), answering
    /// [`CredentialsError::ProcessTimeout`]. Its output is read up to
    /// [`MAX_PROCESS_OUTPUT`] bytes in any case.
    #[must_use]
    pub fn with_process_timeout(mut self, timeout: Duration) -> Self {
        self.process_timeout = timeout;
        self
    }

    /// The `credential_process` timeout.
    #[must_use]
    pub fn process_timeout(&self) -> Duration {
        self.process_timeout
    }

    /// The same settings over another environment.
    #[cfg(feature = "credentials-http")]
    pub(crate) fn with_env_replaced(self, env: Env) -> Self {
        Self { env, ..self }
    }

    /// Uses `profile` instead of `AWS_PROFILE` or `default`.
    #[must_use]
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The profile used: the one given, else `AWS_PROFILE`, else `default`.
    #[must_use]
    pub fn profile_name(&self) -> String {
        selected_profile(&self.env, self.profile.as_deref())
    }

    /// The environment it reads.
    #[must_use]
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Loads the files and resolves the profile.
    pub(crate) fn plan(&self) -> Result<Plan, CredentialsError> {
        self.load().map(|(_, plan)| plan)
    }

    /// Loads the files and resolves the profile, keeping the files.
    pub(crate) fn load(&self) -> Result<(ProfileSet, Plan), CredentialsError> {
        let set = ProfileSet::load(&self.env)?;
        let plan = resolve(&set, &self.profile_name())?;
        Ok((set, plan))
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide_credentials(&self) -> Result<Credentials, CredentialsError> {
        let plan = self.plan()?;
        if plan.needs_network() {
            return Err(CredentialsError::Unsupported {
                provider: PROVIDER,
                reason: format!(
                    "profile {:?} needs the network (STS, AWS IAM Identity Center or a metadata endpoint); use the asynchronous net::ProfileProvider (feature credentials-http)",
                    self.profile_name()
                ),
            });
        }
        match plan.base {
            BaseSource::Static(creds) => Ok(creds),
            BaseSource::Process { command, profile } => {
                process::run(&command, &profile, self.process_timeout)
            }
            // needs_network() covers the other sources.
            _ => Err(CredentialsError::Unsupported {
                provider: PROVIDER,
                reason: "this profile needs the network".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_wins_and_static_keys_in_source_win() {
        let set = ProfileSet::parse(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n",
            "[b]\naws_access_key_id = AKID\naws_secret_access_key = s\n",
        )
        .unwrap();
        let plan = resolve(&set, "a").unwrap();
        assert!(matches!(plan.base, BaseSource::Static(_)));
        assert_eq!(plan.roles.len(), 1);
        assert_eq!(plan.roles[0].role_arn, "arn:aws:iam::1:role/A");
    }
}
