//! AWS IAM Identity Center (SSO) profiles against mocks of the SSO portal
//! and SSO OIDC started here on 127.0.0.1 (and the STS mock of
//! tests/support/aws_mocks.rs), with the config file and the token cache
//! in a temporary HOME and an injected clock. The mocks check each request:
//! method, path, query, bearer header, JSON body.

#[path = "support/aws_mocks.rs"]
mod mocks;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mocks::*;
use sigv4::credentials::net::{DefaultChain, ProfileProvider};
use sigv4::credentials::{
    Clock, CredentialsError, Env, ProvideCredentials, ProvideCredentialsAsync,
};

const START_URL: &str = "https://d-abc123.awsapps.com/start";
// `printf %s my-sso | sha1sum`, `printf %s https://d-abc123.awsapps.com/start | sha1sum`
const SESSION_FILE: &str = "0ad374308c5a4e22f723adf10145eafad7c4031c.json";
const LEGACY_FILE: &str = "40a89917e3175433e361b710a9d43528d7f1890a.json";

// Every secret holds SECRET, which no error or Debug may show.
const ACCESS: &str = "access-token-SECRET-1";
const REFRESHED: &str = "access-token-SECRET-2";
const REFRESH: &str = "refresh-token-SECRET-3";
const NEW_REFRESH: &str = "refresh-token-SECRET-4";
const CLIENT_SECRET: &str = "client-secret-SECRET-5";
const CLIENT_ID: &str = "client-id-1";

/// 2030-03-17T17:46:40Z.
const NOW: u64 = 1_900_000_000;

const CONFIG: &str = "\
[profile dev]
sso_session = my-sso
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = eu-west-1

[sso-session my-sso]
sso_start_url = https://d-abc123.awsapps.com/start
sso_region = us-east-2
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://d-abc123.awsapps.com/start
sso_region = us-east-2
sso_account_id = 123456789012
sso_role_name = ReadOnly

[profile forbidden]
sso_session = my-sso
sso_account_id = 999999999999
sso_role_name = ReadOnly

[profile admin]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = dev
region = eu-west-1
";

struct Fixed(SystemTime);

impl Clock for Fixed {
    fn now(&self) -> SystemTime {
        self.0
    }
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn rfc3339(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A temporary HOME with `~/.aws/config` and an empty `~/.aws/sso/cache`.
struct Home {
    dir: TempDir,
    env: Env,
}

impl Home {
    fn new() -> Self {
        let dir = TempDir::new();
        let home = dir.0.join("home");
        std::fs::create_dir_all(home.join(".aws/sso/cache")).unwrap();
        std::fs::write(home.join(".aws/config"), CONFIG).unwrap();
        let env = Env::from_pairs([("HOME", home.display().to_string())]);
        Self { dir, env }
    }

    fn cache(&self, file: &str) -> PathBuf {
        self.dir.0.join("home/.aws/sso/cache").join(file)
    }

    fn write_token(&self, file: &str, text: &str) {
        std::fs::write(self.cache(file), text).unwrap();
    }

    fn cache_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.0.join("home/.aws/sso/cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A cached token as `aws sso login` writes it, expiring at `expires`, its
/// client registration at `registration` (`None`: no refresh fields).
fn token_json(expires: u64, registration: Option<u64>) -> String {
    let mut members = vec![
        ("startUrl".to_owned(), START_URL.to_owned()),
        ("region".to_owned(), "us-east-2".to_owned()),
        ("accessToken".to_owned(), ACCESS.to_owned()),
        ("expiresAt".to_owned(), rfc3339(expires)),
    ];
    if let Some(registration) = registration {
        members.extend([
            ("clientId".to_owned(), CLIENT_ID.to_owned()),
            ("clientSecret".to_owned(), CLIENT_SECRET.to_owned()),
            ("registrationExpiresAt".to_owned(), rfc3339(registration)),
            ("refreshToken".to_owned(), REFRESH.to_owned()),
        ]);
    }
    let map: serde_json::Map<String, serde_json::Value> = members
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    serde_json::to_string_pretty(&map).unwrap()
}

/// The SSO portal and SSO OIDC mocks, and what they saw.
struct Mocks {
    portal: String,
    oidc: String,
    sts: String,
    /// The bearer tokens the portal was sent.
    bearers: Arc<Mutex<Vec<String>>>,
    oidc_calls: Arc<AtomicUsize>,
    /// Whether OIDC refuses the refresh (as for a revoked refresh token).
    oidc_refuses: Arc<AtomicBool>,
    sts_log: Arc<Mutex<Vec<String>>>,
}

const ROLE_SECRET: &str = "role-secret-SECRET-6";
const ROLE_TOKEN: &str = "role-token-SECRET-7";

async fn mocks() -> Mocks {
    let bearers = Arc::new(Mutex::new(Vec::new()));
    let seen = bearers.clone();
    let (portal, _) = serve_with_headers(Arc::new(move |req: http::Request<Vec<u8>>| {
        let bearer = req
            .headers()
            .get("x-amz-sso_bearer_token")
            .map(|v| v.to_str().unwrap().to_owned());
        if req.method() != http::Method::GET || req.uri().path() != "/federation/credentials" {
            return (404, vec![], String::new());
        }
        let query: HashMap<String, String> = form(req.uri().query().unwrap_or_default().as_bytes());
        if query.len() != 2 || query.get("role_name").map(String::as_str) != Some("ReadOnly") {
            return (400, vec![("x-amzn-errortype", "InvalidRequestException".into())], r#"{"message":"bad query"}"#.into());
        }
        let Some(bearer) = bearer else {
            return (400, vec![], r#"{"message":"no token"}"#.into());
        };
        seen.lock().unwrap().push(bearer.clone());
        if bearer != ACCESS && bearer != REFRESHED {
            return (
                401,
                vec![("x-amzn-errortype", "UnauthorizedException:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/".into())],
                r#"{"message":"Session token not found or invalid"}"#.into(),
            );
        }
        match query["account_id"].as_str() {
            "123456789012" => (
                200,
                vec![("content-type", "application/json".into())],
                format!(
                    r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO","secretAccessKey":"{ROLE_SECRET}","sessionToken":"{ROLE_TOKEN}","expiration":4102444800000}}}}"#
                ),
            ),
            _ => (
                403,
                vec![("x-amzn-errortype", "ForbiddenException".into())],
                r#"{"message":"No access"}"#.into(),
            ),
        }
    }))
    .await;

    let oidc_refuses = Arc::new(AtomicBool::new(false));
    let refuses = oidc_refuses.clone();
    let (oidc, oidc_calls) = serve_with_headers(Arc::new(move |req: http::Request<Vec<u8>>| {
        let json = req.headers().get("content-type").map(|v| v.as_bytes()) == Some(b"application/json");
        if req.method() != http::Method::POST || req.uri().path() != "/token" || !json {
            return (404, vec![], String::new());
        }
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        let expected = serde_json::json!({
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "grantType": "refresh_token",
            "refreshToken": REFRESH,
        });
        if body != expected || refuses.load(Ordering::SeqCst) {
            return (
                400,
                vec![("x-amzn-errortype", "InvalidGrantException".into())],
                r#"{"error":"invalid_grant","error_description":"Invalid refresh token provided"}"#.into(),
            );
        }
        (
            200,
            vec![],
            format!(r#"{{"accessToken":"{REFRESHED}","expiresIn":28800,"refreshToken":"{NEW_REFRESH}","tokenType":"Bearer"}}"#),
        )
    }))
    .await;

    let sts_log = Arc::new(Mutex::new(Vec::new()));
    let known = HashMap::from([(
        "ASIASSO".to_owned(),
        (ROLE_SECRET.to_owned(), Some(ROLE_TOKEN.to_owned())),
    )]);
    let (sts, _) = serve(sts_handler(known, sts_log.clone())).await;
    Mocks {
        portal,
        oidc,
        sts,
        bearers,
        oidc_calls,
        oidc_refuses,
        sts_log,
    }
}

impl Mocks {
    fn provider(&self, home: &Home, profile: &str) -> ProfileProvider {
        ProfileProvider::new(transport())
            .with_env(home.env.clone())
            .with_profile(profile)
            .with_sso_portal_endpoint(self.portal.clone())
            .with_sso_oidc_endpoint(self.oidc.clone())
            .with_sts_endpoint(self.sts.clone())
            .with_clock(Arc::new(Fixed(at(NOW))))
    }

    fn last_bearer(&self) -> Option<String> {
        self.bearers.lock().unwrap().last().cloned()
    }
}

/// The error's text and Debug, checked to hold no secret.
fn shown(err: &CredentialsError) -> String {
    let shown = format!("{err} | {err:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    shown
}

#[test]
fn sso_session_token_from_the_cache_gives_role_credentials() {
    runtime().block_on(async {
        let m = mocks().await;
        let home = Home::new();
        let cached = token_json(NOW + 3600, Some(NOW + 86_400));
        home.write_token(SESSION_FILE, &cached);
        let provider = m.provider(&home, "dev");
        assert!(!format!("{provider:?}").contains("SECRET"));
        let creds = provider.provide_credentials_async().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIASSO");
        assert_eq!(creds.secret_access_key(), ROLE_SECRET);
        assert_eq!(creds.session_token(), Some(ROLE_TOKEN));
        assert_eq!(creds.expiry(), Some(at(4_102_444_800)));
        assert_eq!(m.last_bearer().as_deref(), Some(ACCESS));
        // Valid for an hour: no refresh, the cache untouched.
        assert_eq!(m.oidc_calls.load(Ordering::SeqCst), 0);
        assert_eq!(
            std::fs::read_to_string(home.cache(SESSION_FILE)).unwrap(),
            cached
        );

        // USERPROFILE finds the home folder too.
        let env = Env::from_pairs([("USERPROFILE", home.dir.0.join("home").display().to_string())]);
        let creds = m
            .provider(&home, "dev")
            .with_env(env)
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIASSO");
    });
}

#[test]
fn legacy_profiles_use_the_start_url_cache_and_never_refresh() {
    runtime().block_on(async {
        let m = mocks().await;
        let home = Home::new();
        // Only the session's file: the legacy profile does not read it.
        home.write_token(SESSION_FILE, &token_json(NOW + 3600, Some(NOW + 86_400)));
        let err = m
            .provider(&home, "legacy")
            .provide_credentials_async()
            .await
            .unwrap_err();
        let text = shown(&err);
        assert!(
            text.contains(LEGACY_FILE) && text.contains("run `aws sso login --profile legacy`"),
            "{text}"
        );

        // Due for a refresh, with refresh fields: used as it is.
        home.write_token(LEGACY_FILE, &token_json(NOW + 60, Some(NOW + 86_400)));
        let creds = m
            .provider(&home, "legacy")
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIASSO");
        assert_eq!(m.last_bearer().as_deref(), Some(ACCESS));
        // Expired: sign in again.
        home.write_token(LEGACY_FILE, &token_json(NOW - 1, Some(NOW + 86_400)));
        let err = m
            .provider(&home, "legacy")
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, CredentialsError::SsoLoginRequired { profile, login_command, .. }
            if profile == "legacy" && login_command == "aws sso login --profile legacy"),
            "{err}"
        );
        assert!(shown(&err).contains("never refreshed"), "{err}");
        assert_eq!(m.oidc_calls.load(Ordering::SeqCst), 0);
        assert_eq!(m.bearers.lock().unwrap().len(), 1);
    });
}

#[test]
fn a_token_about_to_expire_is_refreshed_and_written_back() {
    runtime().block_on(async {
        let m = mocks().await;
        for expires in [NOW + 120, NOW - 3600] {
            let home = Home::new();
            home.write_token(SESSION_FILE, &token_json(expires, Some(NOW + 86_400)));
            let calls = m.oidc_calls.load(Ordering::SeqCst);
            let creds = m
                .provider(&home, "dev")
                .provide_credentials_async()
                .await
                .unwrap();
            assert_eq!(creds.access_key_id(), "ASIASSO");
            assert_eq!(m.oidc_calls.load(Ordering::SeqCst), calls + 1);
            assert_eq!(m.last_bearer().as_deref(), Some(REFRESHED));

            // The cache holds the new token, as the AWS CLI would write it.
            let path = home.cache(SESSION_FILE);
            let written: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(
                written,
                serde_json::json!({
                    "startUrl": START_URL,
                    "region": "us-east-2",
                    "accessToken": REFRESHED,
                    "expiresAt": rfc3339(NOW + 28_800),
                    "clientId": CLIENT_ID,
                    "clientSecret": CLIENT_SECRET,
                    "registrationExpiresAt": rfc3339(NOW + 86_400),
                    "refreshToken": NEW_REFRESH,
                })
            );
            // Replaced whole (no temporary file left), readable by the owner only.
            assert_eq!(home.cache_files(), [SESSION_FILE]);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{mode:o}");
            }
            // Fresh now: the next call does not refresh again.
            m.provider(&home, "dev")
                .provide_credentials_async()
                .await
                .unwrap();
            assert_eq!(m.oidc_calls.load(Ordering::SeqCst), calls + 1);
        }
    });
}

#[test]
fn without_a_usable_token_the_error_says_to_run_aws_sso_login() {
    runtime().block_on(async {
        let m = mocks().await;
        let home = Home::new();
        let login = |err: &CredentialsError| {
            let text = shown(err);
            assert!(
                matches!(err, CredentialsError::SsoLoginRequired { login_command, .. } if login_command == "aws sso login --sso-session my-sso"),
                "{text}"
            );
            assert!(text.contains("run `aws sso login --sso-session my-sso`"), "{text}");
            text
        };
        let fetch = || async { m.provider(&home, "dev").provide_credentials_async().await };

        // Nothing cached.
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("no token is cached in") && text.contains(SESSION_FILE), "{text}");

        // Expired, and the client registration too.
        home.write_token(SESSION_FILE, &token_json(NOW - 1, Some(NOW - 1)));
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("client registration has expired"), "{text}");
        // Expired, no refresh token.
        home.write_token(SESSION_FILE, &token_json(NOW - 1, None));
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("no refresh token"), "{text}");
        assert_eq!(m.oidc_calls.load(Ordering::SeqCst), 0);

        // Expired, and SSO OIDC refuses the refresh: the cache is kept.
        m.oidc_refuses.store(true, Ordering::SeqCst);
        let cached = token_json(NOW - 1, Some(NOW + 86_400));
        home.write_token(SESSION_FILE, &cached);
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("refreshing it was refused") && text.contains("InvalidGrantException: Invalid refresh token provided"), "{text}");
        assert_eq!(std::fs::read_to_string(home.cache(SESSION_FILE)).unwrap(), cached);
        // Not yet expired: the refusal is no error, the old token serves.
        home.write_token(SESSION_FILE, &token_json(NOW + 60, Some(NOW + 86_400)));
        fetch().await.unwrap();
        assert_eq!(m.last_bearer().as_deref(), Some(ACCESS));
        assert_eq!(m.oidc_calls.load(Ordering::SeqCst), 2);

        // The portal refuses the token.
        let revoked = token_json(NOW + 3600, None).replace(ACCESS, "revoked-SECRET-8");
        home.write_token(SESSION_FILE, &revoked);
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("UnauthorizedException: Session token not found or invalid"), "{text}");

        // A cache file that is not a token.
        home.write_token(SESSION_FILE, "{\"accessToken\": \"x-SECRET-9\"");
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("is unusable"), "{text}");
        home.write_token(SESSION_FILE, "{\"accessToken\": \"x-SECRET-9\"}");
        let text = login(&fetch().await.unwrap_err());
        assert!(text.contains("expiresAt is missing"), "{text}");
    });
}

#[test]
fn portal_refusals_other_than_the_token_are_typed_errors() {
    runtime().block_on(async {
        let m = mocks().await;
        let home = Home::new();
        home.write_token(SESSION_FILE, &token_json(NOW + 3600, None));
        let err = m
            .provider(&home, "forbidden")
            .provide_credentials_async()
            .await
            .unwrap_err();
        shown(&err);
        match &err {
            CredentialsError::Sso {
                operation,
                status,
                code,
                message,
            } => {
                assert_eq!((*operation, *status), ("sso GetRoleCredentials", 403));
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("ForbiddenException", "No access")
                );
            }
            other => panic!("{other:?}"),
        }
        // The portal unreachable: a transport error, not a sign-in problem.
        let err = m
            .provider(&home, "dev")
            .with_sso_portal_endpoint("http://127.0.0.1:1")
            .provide_credentials_async()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CredentialsError::Transport {
                    provider: "sso",
                    ..
                }
            ),
            "{err}"
        );
    });
}

#[test]
fn an_sso_profile_is_the_source_of_a_role() {
    runtime().block_on(async {
        let m = mocks().await;
        let home = Home::new();
        home.write_token(SESSION_FILE, &token_json(NOW + 3600, None));
        let creds = m
            .provider(&home, "admin")
            .provide_credentials_async()
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAADMIN");
        // STS checked that the call was signed with the SSO credentials.
        assert_eq!(
            *m.sts_log.lock().unwrap(),
            ["AssumeRole Admin in eu-west-1"]
        );
        assert_eq!(m.last_bearer().as_deref(), Some(ACCESS));

        // And through the default chain, on the system clock.
        home.write_token(SESSION_FILE, &token_json(4_102_444_800, None));
        let chain = DefaultChain::new(transport())
            .with_env(Env::from_pairs([
                ("HOME", home.dir.0.join("home").display().to_string()),
                ("AWS_PROFILE", "admin".to_owned()),
                ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ]))
            .with_sso_portal_endpoint(m.portal.clone())
            .with_sso_oidc_endpoint(m.oidc.clone())
            .with_sts_endpoint(m.sts.clone());
        let creds = chain.provide_credentials_async().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIAADMIN");
        assert_eq!(m.sts_log.lock().unwrap().len(), 2);
        // An SSO failure stops the chain with its own error.
        std::fs::remove_file(home.cache(SESSION_FILE)).unwrap();
        let err = chain.provide_credentials_async().await.unwrap_err();
        assert!(
            matches!(err, CredentialsError::SsoLoginRequired { .. }),
            "{err}"
        );
        assert_eq!(m.oidc_calls.load(Ordering::SeqCst), 0);
    });
}

/// What the sync provider and config mistakes answer: no network needed.
#[test]
fn sso_config_mistakes_name_the_profile() {
    let home = Home::new();
    let path: &Path = &home.dir.0.join("home/.aws/config");
    let cases = [
        ("[profile p]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n", "names no [sso-session nope] section"),
        ("[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_region = us-east-1\n", "[sso-session s] section has no sso_start_url"),
        ("[profile p]\nsso_session = s\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_start_url = u\nsso_region = us-east-1\n", "its sso_region differs from the one in [sso-session s]"),
        ("[profile p]\nsso_start_url = u\nsso_account_id = 1\nsso_role_name = R\n", "sso_start_url but no sso_region"),
        ("[profile p]\nsso_account_id = 1\nsso_role_name = R\n", "neither sso_session nor sso_start_url"),
        ("[profile p]\nsso_session = s\n[sso-session s]\nsso_start_url = u\nsso_region = us-east-1\n", "no sso_account_id and sso_role_name"),
        ("[profile p]\nsso_start_url = u\nsso_region = us-east-1\nsso_account_id = 1\n", "sso_account_id is set but sso_role_name is not"),
        ("[profile p]\nsso_start_url = u\nsso_region = us east\nsso_account_id = 1\nsso_role_name = R\n", "the sso_region of the profile is unusable"),
    ];
    for (config, needle) in cases {
        std::fs::write(path, config).unwrap();
        let err = sigv4::credentials::ProfileProvider::with_env(home.env.clone())
            .with_profile("p")
            .provide_credentials()
            .unwrap_err();
        assert!(
            matches!(&err, CredentialsError::InvalidProfile { profile, .. } if profile == "p"),
            "{config}: {err}"
        );
        assert!(err.to_string().contains(needle), "{config}: {err}");
    }
    // A well-formed SSO profile needs the network provider.
    std::fs::write(path, CONFIG).unwrap();
    let err = sigv4::credentials::ProfileProvider::with_env(home.env.clone())
        .with_profile("dev")
        .provide_credentials()
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("AWS IAM Identity Center"), "{err}");
}
