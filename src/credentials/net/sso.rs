//! AWS IAM Identity Center (SSO): role credentials from the SSO portal's
//! `GetRoleCredentials`, with the access token `aws sso login` cached in
//! `~/.aws/sso/cache`, refreshed through SSO OIDC `CreateToken` when it is
//! about to expire.
//!
//! As in the AWS CLI and SDKs:
//! - the cache file is `<hex SHA-1 of the key>.json`, the key being the
//!   `sso_session` name, or the start URL in the legacy form (`sso_start_url`
//!   in the profile);
//! - only the `sso_session` form is refreshed: it needs `refreshToken`,
//!   `clientId`, `clientSecret` and an unexpired `registrationExpiresAt`.
//!   A token refreshed is written back to the cache, so the CLI and the
//!   SDKs see it too; a refresh that fails while the old token is still
//!   valid is not an error (aws-sdk-rust does the same);
//! - the refresh starts [`REFRESH_WINDOW`] before the token expires.
//!
//! Tokens, refresh tokens and client secrets live in zeroized buffers and
//! never reach an error or `Debug`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use percent_encoding::utf8_percent_encode;
use sha1::{Digest as _, Sha1};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::sts::{error_code, service_endpoint, FORM};
use super::transport::{build, send, transport_error, HttpTransport};
use crate::clock::{Clock, SystemClock};
use crate::credentials::env::{parse_rfc3339, Env};
use crate::credentials::error::{quoted, CredentialsError};
use crate::credentials::json;
use crate::credentials::profile::SsoSource;
use crate::credentials::Credentials;

/// How long before its expiry a cached token is refreshed (aws-sdk-rust's
/// window; botocore's is 15 minutes).
pub(crate) const REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

const PORTAL: &str = "sso";
const OIDC: &str = "sso-oidc";
const GET_ROLE_CREDENTIALS: &str = "sso GetRoleCredentials";
const CREATE_TOKEN: &str = "sso-oidc CreateToken";

/// The settings of the providers that reach SSO: endpoint overrides (for
/// tests and private endpoints) and the clock that decides expiry.
#[derive(Clone)]
pub(crate) struct SsoOptions {
    pub(crate) portal_endpoint: Option<String>,
    pub(crate) oidc_endpoint: Option<String>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Default for SsoOptions {
    fn default() -> Self {
        Self {
            portal_endpoint: None,
            oidc_endpoint: None,
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for SsoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoOptions")
            .field("portal_endpoint", &self.portal_endpoint)
            .field("oidc_endpoint", &self.oidc_endpoint)
            .finish_non_exhaustive()
    }
}

/// Role credentials for `source`: the cached token (refreshed if it must
/// and can be), then `GetRoleCredentials`.
pub(crate) async fn role_credentials(
    transport: &dyn HttpTransport,
    env: &Env,
    source: &SsoSource,
    options: &SsoOptions,
) -> Result<Credentials, CredentialsError> {
    let path = cache_path(env, source.cache_key())?;
    let token = fresh_token(transport, &path, source, options).await?;
    get_role_credentials(transport, source, options, &token.access_token).await
}

/// `~/.aws/sso/cache/<hex SHA-1 of key>.json`.
fn cache_path(env: &Env, key: &str) -> Result<PathBuf, CredentialsError> {
    let home = env
        .home_dir()
        .ok_or_else(|| CredentialsError::InvalidConfig {
            name: "the SSO token cache".to_owned(),
            reason: "no home folder (HOME or USERPROFILE) to find ~/.aws/sso/cache in".to_owned(),
        })?;
    let name = format!("{}.json", hex::encode(Sha1::digest(key.as_bytes())));
    Ok(home.join(".aws").join("sso").join("cache").join(name))
}

fn login_required(source: &SsoSource, reason: String) -> CredentialsError {
    CredentialsError::SsoLoginRequired {
        profile: source.profile.clone(),
        reason,
        login_command: source.login_command(),
    }
}

/// A token of the cache file, read or refreshed.
struct CachedToken {
    access_token: Zeroizing<String>,
    expires_at: SystemTime,
    refresh_token: Option<Zeroizing<String>>,
    client_id: Option<String>,
    client_secret: Option<Zeroizing<String>>,
    registration_expires_at: Option<SystemTime>,
    region: Option<String>,
    start_url: Option<String>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("expires_at", &self.expires_at)
            .field("refreshable", &self.refresh_token.is_some())
            .field("registration_expires_at", &self.registration_expires_at)
            .field("region", &self.region)
            .field("start_url", &self.start_url)
            .finish_non_exhaustive()
    }
}

/// Reads the cache file; a missing or unusable one means signing in again.
fn read_token(path: &Path, source: &SsoSource) -> Result<CachedToken, CredentialsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => Zeroizing::new(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(login_required(
                source,
                format!("no token is cached in {}", path.display()),
            ))
        }
        Err(e) => {
            return Err(CredentialsError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        }
    };
    parse_token(&bytes).map_err(|reason| {
        login_required(
            source,
            format!("the cached token {} is unusable: {reason}", path.display()),
        )
    })
}

/// A cache file described with `Debug` (which redacts the tokens), for the
/// fuzz target.
#[cfg(feature = "tools")]
pub(crate) fn describe_cached_token(bytes: &[u8]) -> Result<String, String> {
    parse_token(bytes).map(|t| format!("{t:?}"))
}

fn parse_token(bytes: &[u8]) -> Result<CachedToken, String> {
    let o = json::parse_object(bytes)?;
    let secret = |key: &str| -> Result<Option<Zeroizing<String>>, String> {
        Ok(o.string(key)?
            .filter(|v| !v.is_empty())
            .map(|v| Zeroizing::new(v.to_owned())))
    };
    let plain = |key: &str| -> Result<Option<String>, String> {
        Ok(o.string(key)?.filter(|v| !v.is_empty()).map(str::to_owned))
    };
    Ok(CachedToken {
        access_token: secret("accessToken")?.ok_or("accessToken is missing")?,
        expires_at: timestamp(&o, "expiresAt")?.ok_or("expiresAt is missing")?,
        refresh_token: secret("refreshToken")?,
        client_id: plain("clientId")?,
        client_secret: secret("clientSecret")?,
        registration_expires_at: timestamp(&o, "registrationExpiresAt")?,
        region: plain("region")?,
        start_url: plain("startUrl")?,
    })
}

/// An RFC 3339 member; older AWS CLI versions wrote `...UTC` for `...Z`.
fn timestamp(o: &json::Object, key: &str) -> Result<Option<SystemTime>, String> {
    let Some(text) = o.string(key)?.map(str::trim) else {
        return Ok(None);
    };
    let fixed = text.strip_suffix("UTC").map(|t| format!("{t}Z"));
    parse_rfc3339(key, fixed.as_deref().unwrap_or(text))
        .map(Some)
        .map_err(|_| format!("{key} is not an RFC 3339 timestamp"))
}

/// A time as RFC 3339 in whole seconds (`2030-01-01T00:00:00Z`), as the
/// AWS CLI writes it.
fn rfc3339(t: SystemTime) -> Option<String> {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

fn shown(t: SystemTime) -> String {
    rfc3339(t).unwrap_or_else(|| "a time out of range".to_owned())
}

/// The cached token, refreshed first if it expires within
/// [`REFRESH_WINDOW`] and can be refreshed.
async fn fresh_token(
    transport: &dyn HttpTransport,
    path: &Path,
    source: &SsoSource,
    options: &SsoOptions,
) -> Result<CachedToken, CredentialsError> {
    let token = read_token(path, source)?;
    let now = options.clock.now();
    let expired = token.expires_at <= now;
    if now
        .checked_add(REFRESH_WINDOW)
        .is_some_and(|soon| token.expires_at > soon)
    {
        return Ok(token);
    }
    let unrefreshable = if source.session.is_none() {
        Some("a legacy profile's token (sso_start_url in the profile, no sso_session) is never refreshed")
    } else if token.refresh_token.is_none()
        || token.client_id.is_none()
        || token.client_secret.is_none()
        || token.registration_expires_at.is_none()
    {
        Some("it has no refresh token and client registration to refresh it with")
    } else if token.registration_expires_at.is_some_and(|t| t <= now) {
        Some("its client registration has expired, so it cannot be refreshed")
    } else {
        None
    };
    if let Some(why) = unrefreshable {
        if expired {
            return Err(login_required(
                source,
                format!(
                    "the cached token expired at {}; {why}",
                    shown(token.expires_at)
                ),
            ));
        }
        return Ok(token);
    }
    match refresh(transport, source, options, &token, now).await {
        Ok(refreshed) => {
            write_token(path, &refreshed)?;
            Ok(refreshed)
        }
        // Still valid: use it, as aws-sdk-rust does.
        Err(_) if !expired => Ok(token),
        Err(e @ CredentialsError::Sso { status, .. }) if (400..500).contains(&status) => {
            Err(login_required(
                source,
                format!(
                    "the cached token expired at {} and refreshing it was refused: {e}",
                    shown(token.expires_at)
                ),
            ))
        }
        Err(e) => Err(e),
    }
}

/// SSO OIDC `CreateToken` with the refresh token.
async fn refresh(
    transport: &dyn HttpTransport,
    source: &SsoSource,
    options: &SsoOptions,
    token: &CachedToken,
    now: SystemTime,
) -> Result<CachedToken, CredentialsError> {
    let (Some(client_id), Some(client_secret), Some(refresh_token)) =
        (&token.client_id, &token.client_secret, &token.refresh_token)
    else {
        // The caller checked these; say so rather than panic.
        return Err(login_required(
            source,
            "the cached token cannot be refreshed".to_owned(),
        ));
    };
    let endpoint = options
        .oidc_endpoint
        .clone()
        .unwrap_or_else(|| service_endpoint("oidc", &source.region));
    let body = json::write_object(&[
        ("clientId", client_id),
        ("clientSecret", client_secret),
        ("grantType", "refresh_token"),
        ("refreshToken", refresh_token),
    ]);
    let request = build(
        http::Request::post(format!("{}/token", endpoint.trim_end_matches('/')))
            .header("content-type", "application/json")
            .header("accept", "application/json"),
        body.as_bytes().to_vec(),
        OIDC,
    )?;
    let answer = send(transport, request)
        .await
        .map_err(|e| transport_error(OIDC, &e))?;
    let body = Zeroizing::new(answer.body);
    if !(200..300).contains(&answer.status) {
        return Err(service_error(CREATE_TOKEN, answer.status, &answer.headers, &body).1);
    }
    let bad = |reason: String| CredentialsError::InvalidResponse {
        provider: OIDC,
        reason,
    };
    let o = json::parse_object(&body).map_err(bad)?;
    let access_token = o
        .string("accessToken")
        .map_err(bad)?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("accessToken is missing".to_owned()))?;
    let expires_in = o
        .unsigned("expiresIn")
        .map_err(bad)?
        .ok_or_else(|| bad("expiresIn is missing".to_owned()))?;
    // An Integer in the API: seconds up to 2^31 - 1.
    let expires_at = (expires_in <= i32::MAX as u64)
        .then(|| now.checked_add(Duration::from_secs(expires_in)))
        .flatten()
        .ok_or_else(|| bad("expiresIn is out of range".to_owned()))?;
    let new_refresh = o
        .string("refreshToken")
        .map_err(bad)?
        .filter(|t| !t.is_empty())
        .map(|t| Zeroizing::new(t.to_owned()));
    Ok(CachedToken {
        access_token: Zeroizing::new(access_token.to_owned()),
        expires_at,
        refresh_token: new_refresh.or_else(|| token.refresh_token.clone()),
        client_id: token.client_id.clone(),
        client_secret: token.client_secret.clone(),
        registration_expires_at: token.registration_expires_at,
        region: Some(source.region.as_str().to_owned()),
        start_url: Some(source.start_url.clone()),
    })
}

/// Writes `token` to `path` as the AWS CLI lays it out: to a new file
/// readable by the owner only, then renamed over the old one, so a reader
/// never sees half a token.
fn write_token(path: &Path, token: &CachedToken) -> Result<(), CredentialsError> {
    let failed = |reason: String| CredentialsError::WriteFailed {
        path: path.to_owned(),
        reason,
    };
    let expires_at =
        rfc3339(token.expires_at).ok_or_else(|| failed("the expiry is out of range".to_owned()))?;
    let registration = token.registration_expires_at.and_then(rfc3339);
    let mut members: Vec<(&str, &str)> = vec![
        ("startUrl", token.start_url.as_deref().unwrap_or_default()),
        ("region", token.region.as_deref().unwrap_or_default()),
        ("accessToken", &token.access_token),
        ("expiresAt", &expires_at),
    ];
    let optional = [
        ("clientId", token.client_id.as_deref()),
        (
            "clientSecret",
            token.client_secret.as_ref().map(|s| s.as_str()),
        ),
        ("registrationExpiresAt", registration.as_deref()),
        (
            "refreshToken",
            token.refresh_token.as_ref().map(|s| s.as_str()),
        ),
    ];
    members.extend(optional.iter().filter_map(|(k, v)| Some((*k, (*v)?))));
    members.retain(|(_, v)| !v.is_empty());
    let text = json::write_object(&members);
    atomic_write(path, text.as_bytes()).map_err(|e| failed(e.to_string()))
}

fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The SSO portal's `GetRoleCredentials`.
async fn get_role_credentials(
    transport: &dyn HttpTransport,
    source: &SsoSource,
    options: &SsoOptions,
    access_token: &str,
) -> Result<Credentials, CredentialsError> {
    let endpoint = options
        .portal_endpoint
        .clone()
        .unwrap_or_else(|| service_endpoint("portal.sso", &source.region));
    let uri = format!(
        "{}/federation/credentials?account_id={}&role_name={}",
        endpoint.trim_end_matches('/'),
        utf8_percent_encode(&source.account_id, FORM),
        utf8_percent_encode(&source.role_name, FORM),
    );
    let mut bearer = http::HeaderValue::from_str(access_token).map_err(|_| {
        login_required(
            source,
            "the cached access token is not a valid header value".to_owned(),
        )
    })?;
    bearer.set_sensitive(true);
    let request = build(
        http::Request::get(uri)
            .header("accept", "application/json")
            .header("x-amz-sso_bearer_token", bearer),
        Vec::new(),
        PORTAL,
    )?;
    let answer = send(transport, request)
        .await
        .map_err(|e| transport_error(PORTAL, &e))?;
    let body = Zeroizing::new(answer.body);
    portal_answer(answer.status, &answer.headers, &body).map_err(|error| match &error {
        CredentialsError::Sso { status, code, .. }
            if *status == 401 || code == "UnauthorizedException" =>
        {
            login_required(
                source,
                format!("the SSO portal refused the cached token: {error}"),
            )
        }
        _ => error,
    })
}

/// Reads the portal's answer: credentials on 2xx, else its error.
pub(crate) fn portal_answer(
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    if (200..300).contains(&status) {
        role_credentials_answer(body)
    } else {
        Err(service_error(GET_ROLE_CREDENTIALS, status, headers, body).1)
    }
}

/// Reads `{"roleCredentials": {"accessKeyId", "secretAccessKey",
/// "sessionToken", "expiration" (Unix milliseconds)}}`.
fn role_credentials_answer(body: &[u8]) -> Result<Credentials, CredentialsError> {
    let bad = |reason: String| CredentialsError::InvalidResponse {
        provider: PORTAL,
        reason,
    };
    let o = json::parse_object(body).map_err(bad)?;
    let role = o
        .object("roleCredentials")
        .map_err(bad)?
        .ok_or_else(|| bad("roleCredentials is missing".to_owned()))?;
    let required = |key: &str| {
        role.string(key)
            .map_err(bad)?
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad(format!("roleCredentials.{key} is missing")))
    };
    let expiration = role
        .unsigned("expiration")
        .map_err(bad)?
        .ok_or_else(|| bad("roleCredentials.expiration is missing".to_owned()))?;
    let expiry = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_millis(expiration))
        .ok_or_else(|| bad("roleCredentials.expiration is out of range".to_owned()))?;
    let invalid = |source| CredentialsError::InvalidCredentials {
        provider: PORTAL,
        source,
    };
    Ok(
        Credentials::new(required("accessKeyId")?, required("secretAccessKey")?)
            .map_err(invalid)?
            .with_session_token(required("sessionToken")?)
            .map_err(invalid)?
            .with_expiry(expiry),
    )
}

/// The error of a JSON (restJson1) answer: its code (the
/// `x-amzn-errortype` header, else the body's `error`, `__type` or `code`)
/// and the typed error with its message.
fn service_error(
    operation: &'static str,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> (String, CredentialsError) {
    let object = json::parse_object(body).ok();
    let field = |key: &str| {
        object
            .as_ref()
            .and_then(|o| o.string(key).ok().flatten())
            .map(str::to_owned)
    };
    // `UnauthorizedException:http://internal.amazon.com/...`, or
    // `com.amazon...#UnauthorizedException`.
    let code = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| field("error"))
        .or_else(|| field("__type"))
        .or_else(|| field("code"))
        .map(|c| {
            let c = c.split(':').next().unwrap_or_default();
            c.rsplit('#').next().unwrap_or_default().to_owned()
        });
    let message = field("error_description")
        .or_else(|| field("message"))
        .or_else(|| field("Message"))
        .unwrap_or_default();
    let code = code.map_or_else(|| "(no error code)".to_owned(), |c| error_code(&c));
    let error = CredentialsError::Sso {
        operation,
        status,
        code: code.clone(),
        message: quoted(&message),
    };
    (code, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_file_names_are_the_sha1_of_the_key() {
        let env = Env::from_pairs([("HOME", "/home/u")]);
        // `printf %s https://d-abc123.awsapps.com/start | sha1sum`
        assert_eq!(
            cache_path(&env, "https://d-abc123.awsapps.com/start").unwrap(),
            Path::new("/home/u/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json")
        );
        assert!(cache_path(&Env::from_pairs::<&str, &str>([]), "x").is_err());
    }

    #[test]
    fn role_credentials_answer_shapes() {
        let c = role_credentials_answer(
            br#"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s","sessionToken":"t","expiration":1893456000000}}"#,
        )
        .unwrap();
        assert_eq!(c.access_key_id(), "ASIASSO");
        assert_eq!(
            c.expiry(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000))
        );
        for bad in [
            &br#"{}"#[..],
            br#"{"roleCredentials":"x"}"#,
            br#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"}}"#,
            br#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t","expiration":-1}}"#,
            br#"{"roleCredentials":{"secretAccessKey":"s","sessionToken":"t","expiration":1}}"#,
        ] {
            assert!(role_credentials_answer(bad).is_err());
        }
    }

    #[test]
    fn service_error_codes() {
        let mut headers = http::HeaderMap::new();
        let (code, e) = service_error(
            GET_ROLE_CREDENTIALS,
            403,
            &headers,
            br#"{"message":"No access","__type":"com.amazonaws.switchboard.portal#ForbiddenException"}"#,
        );
        assert_eq!(code, "ForbiddenException");
        assert_eq!(
            e.to_string(),
            "sso GetRoleCredentials failed with http status 403: ForbiddenException: No access"
        );
        headers.insert(
            "x-amzn-errortype",
            http::HeaderValue::from_static("InvalidGrantException:http://internal.amazon.com/"),
        );
        let (code, e) = service_error(
            CREATE_TOKEN,
            400,
            &headers,
            br#"{"error":"invalid_grant","error_description":"Invalid refresh token provided"}"#,
        );
        assert_eq!(code, "InvalidGrantException");
        assert!(
            e.to_string().ends_with("Invalid refresh token provided"),
            "{e}"
        );
        let (code, _) = service_error(CREATE_TOKEN, 500, &http::HeaderMap::new(), b"<html>");
        assert_eq!(code, "(no error code)");
    }

    #[test]
    fn cached_tokens_parse_and_debug_hides_secrets() {
        let t = parse_token(
            br#"{"accessToken":"at-secret","expiresAt":"2030-01-01T00:00:00UTC","refreshToken":"rt-secret","clientId":"cid","clientSecret":"cs-secret","registrationExpiresAt":"2030-02-01T00:00:00Z","region":"us-east-1","startUrl":"https://x"}"#,
        )
        .unwrap();
        assert_eq!(rfc3339(t.expires_at).unwrap(), "2030-01-01T00:00:00Z");
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"), "{shown}");
        for bad in [
            &br#"{"expiresAt":"2030-01-01T00:00:00Z"}"#[..],
            br#"{"accessToken":"a"}"#,
            br#"{"accessToken":"a","expiresAt":"soon"}"#,
            b"not json",
        ] {
            let reason = parse_token(bad).unwrap_err();
            assert!(!reason.contains("soon"), "{reason}");
        }
    }
}
