//! AWS STS over the Query API: `AssumeRole` (signed by this crate's own
//! signer, service `sts`) and `AssumeRoleWithWebIdentity` (unsigned).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use quick_xml::events::Event;
use quick_xml::Reader;
use zeroize::Zeroizing;

use super::transport::{build, send, transport_error, HttpTransport};
use crate::core::scope::{Region, Service};
use crate::core::time::SigningTime;
use crate::credentials::env::Env;
use crate::credentials::error::{quoted, CredentialsError};
use crate::credentials::provider::ProvideCredentialsAsync;
use crate::credentials::Credentials;
use crate::sign::Signer;

const API_VERSION: &str = "2011-06-15";
pub(crate) const ASSUME_ROLE: &str = "AssumeRole";
pub(crate) const WEB_IDENTITY: &str = "AssumeRoleWithWebIdentity";

/// Form encoding: everything but `A-Z a-z 0-9 - _ . ~` is escaped.
pub(crate) const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The regional STS endpoint: `https://sts.{region}.amazonaws.com`
/// (`.amazonaws.com.cn` in China).
pub(crate) fn regional_endpoint(region: &Region) -> String {
    service_endpoint("sts", region)
}

/// `https://{host_prefix}.{region}.amazonaws.com`, `.amazonaws.com.cn` in
/// China.
pub(crate) fn service_endpoint(host_prefix: &str, region: &Region) -> String {
    let r = region.as_str();
    let suffix = if r.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{host_prefix}.{r}.{suffix}")
}

/// A session name when none is configured: `sigv4-rust-<unix seconds>`.
fn default_session_name() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("sigv4-rust-{secs}")
}

fn form(pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{}={}",
            utf8_percent_encode(k, FORM),
            utf8_percent_encode(v, FORM)
        );
    }
    out
}

/// The parameters of one `AssumeRole` call.
#[derive(Debug, Clone)]
pub(crate) struct RoleRequest {
    pub(crate) role_arn: String,
    pub(crate) session_name: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) duration: Option<Duration>,
}

/// Calls `AssumeRole` with `source` credentials.
pub(crate) async fn assume_role(
    transport: &dyn HttpTransport,
    endpoint: &str,
    region: &Region,
    source: &Credentials,
    role: &RoleRequest,
) -> Result<Credentials, CredentialsError> {
    let session_name = role
        .session_name
        .clone()
        .unwrap_or_else(default_session_name);
    let duration = role.duration.map(|d| d.as_secs().to_string());
    let mut pairs = vec![
        ("Action", ASSUME_ROLE),
        ("Version", API_VERSION),
        ("RoleArn", role.role_arn.as_str()),
        ("RoleSessionName", session_name.as_str()),
    ];
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    if let Some(id) = &role.external_id {
        pairs.push(("ExternalId", id));
    }
    let body = form(&pairs);
    let mut request = build(
        http::Request::post(format!("{}/", endpoint.trim_end_matches('/'))).header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        body.as_bytes().to_vec(),
        "sts",
    )?;
    let service = Service::new("sts").map_err(|source| CredentialsError::InvalidCredentials {
        provider: "sts",
        source,
    })?;
    let signer = Signer::new(region.clone(), service);
    signer
        .sign(&mut request, source, SigningTime::now())
        .map_err(|e| CredentialsError::InvalidConfig {
            name: "the AssumeRole request".to_owned(),
            reason: e.to_string(),
        })?;
    call(transport, request, ASSUME_ROLE).await
}

/// Calls `AssumeRoleWithWebIdentity` (unsigned).
pub(crate) async fn assume_role_with_web_identity(
    transport: &dyn HttpTransport,
    endpoint: &str,
    role_arn: &str,
    session_name: Option<&str>,
    token_file: &PathBuf,
) -> Result<Credentials, CredentialsError> {
    let token = std::fs::read_to_string(token_file).map_err(|e| CredentialsError::Io {
        path: token_file.clone(),
        reason: e.to_string(),
    })?;
    let token = Zeroizing::new(token.trim().to_owned());
    let session_name = session_name.map_or_else(default_session_name, str::to_owned);
    let body = form(&[
        ("Action", WEB_IDENTITY),
        ("Version", API_VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", &session_name),
        ("WebIdentityToken", &token),
    ]);
    let request = build(
        http::Request::post(format!("{}/", endpoint.trim_end_matches('/'))).header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        body.as_bytes().to_vec(),
        "sts",
    )?;
    call(transport, request, WEB_IDENTITY).await
}

async fn call(
    transport: &dyn HttpTransport,
    request: http::Request<Vec<u8>>,
    action: &'static str,
) -> Result<Credentials, CredentialsError> {
    let answer = send(transport, request)
        .await
        .map_err(|e| transport_error("sts", &e))?;
    let body = Zeroizing::new(answer.body);
    parse_answer(answer.status, &body, action)
}

/// Reads an STS answer: credentials on 2xx, the error document otherwise.
pub(crate) fn parse_answer(
    status: u16,
    body: &[u8],
    action: &'static str,
) -> Result<Credentials, CredentialsError> {
    if (200..300).contains(&status) {
        parse_credentials(body)
    } else {
        Err(parse_error(body, status, action))
    }
}

fn bad(reason: impl Into<String>) -> CredentialsError {
    CredentialsError::InvalidResponse {
        provider: "sts",
        reason: reason.into(),
    }
}

/// The text of elements whose path ends with one of `wanted` (local names,
/// namespaces ignored), in `wanted`'s order, and the root element's name.
#[allow(clippy::type_complexity)] // (root name, one text per wanted path)
fn xml_texts(
    body: &[u8],
    wanted: &[&[&str]],
) -> Result<(String, Vec<Option<Zeroizing<String>>>), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the XML is not UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut root = String::new();
    let mut found: Vec<Option<Zeroizing<String>>> = vec![None; wanted.len()];
    let mut current: Option<(usize, Zeroizing<String>)> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "invalid XML at byte {}: {}",
                reader.buffer_position(),
                describe_xml_error(&e)
            )
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if !is_plain_name(e.name().as_ref()) => {
                // A broken tag such as `<a"...>` reads on to the next quote,
                // swallowing text (secrets included) into its "name".
                return Err(format!(
                    "invalid XML at byte {}: an element name is not a plain XML name",
                    reader.buffer_position()
                ));
            }
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    root.clone_from(&name);
                }
                path.push(name);
                if path.len() > 32 {
                    return Err("XML nested too deeply".to_owned());
                }
                current = wanted
                    .iter()
                    .position(|w| {
                        path.ends_with(&w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                    })
                    .map(|i| (i, Zeroizing::new(String::new())));
            }
            Event::End(_) => {
                if let Some((i, value)) = current.take() {
                    found[i] = Some(value);
                }
                path.pop();
            }
            Event::Empty(e) if path.is_empty() => {
                root = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            }
            Event::Text(t) => {
                if let Some((_, value)) = &mut current {
                    let s = t.decode().map_err(|_| "invalid XML text".to_owned())?;
                    value.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some((_, value)) = &mut current {
                    let s = t.decode().map_err(|_| "invalid XML text".to_owned())?;
                    value.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = &mut current {
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match r
                            .decode()
                            .map_err(|_| "invalid XML entity".to_owned())?
                            .as_ref()
                        {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            _ => return Err("unknown XML entity".to_owned()),
                        },
                        // Its message would show the number, from the text.
                        Err(_) => return Err("invalid XML character reference".to_owned()),
                    };
                    value.push(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((root, found))
}

/// What is wrong with a malformed document, without quoting it. quick-xml's
/// own messages repeat tag names, and in a broken document a "tag name" can
/// run on over the text after it, a secret key included (`</a="..>` reads
/// to the next quote): found by the `sts` fuzz target.
fn describe_xml_error(e: &quick_xml::Error) -> String {
    use quick_xml::errors::IllFormedError;
    match e {
        // Fixed texts ("tag not closed: `>` not found before end of input").
        quick_xml::Error::Syntax(e) => e.to_string(),
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { .. }) => {
            "an end tag does not match its start tag".to_owned()
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(_)) => {
            "an end tag has no start tag".to_owned()
        }
        quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(_)) => {
            "a start tag is never closed".to_owned()
        }
        quick_xml::Error::IllFormed(_) => "ill-formed document".to_owned(),
        quick_xml::Error::Encoding(_) => "invalid text encoding".to_owned(),
        quick_xml::Error::Escape(_) => "invalid escape".to_owned(),
        _ => "malformed document".to_owned(),
    }
}

/// Whether an element name (with its prefix) is a plain XML name, as every
/// STS element's is, and not text a broken tag swallowed.
fn is_plain_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(b))
}

/// Reads `<...Response><...Result><Credentials>` out of a success answer.
pub(crate) fn parse_credentials(body: &[u8]) -> Result<Credentials, CredentialsError> {
    let (root, found) = xml_texts(
        body,
        &[
            &["Credentials", "AccessKeyId"],
            &["Credentials", "SecretAccessKey"],
            &["Credentials", "SessionToken"],
            &["Credentials", "Expiration"],
        ],
    )
    .map_err(bad)?;
    if !root.ends_with("Response") {
        return Err(bad(format!("unexpected XML root element {root:?}")));
    }
    let mut found = found.into_iter();
    let mut next = |name: &str| {
        found
            .next()
            .flatten()
            .map(|v| Zeroizing::new(v.trim().to_owned()))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad(format!("Credentials/{name} is missing")))
    };
    let (id, secret, token, expiration) = (
        next("AccessKeyId")?,
        next("SecretAccessKey")?,
        next("SessionToken")?,
        next("Expiration")?,
    );
    let invalid = |source| CredentialsError::InvalidCredentials {
        provider: "sts",
        source,
    };
    let expiry = crate::credentials::env::parse_rfc3339("Expiration", &expiration)
        .map_err(|_| bad("Credentials/Expiration is not an RFC 3339 timestamp"))?;
    Ok(Credentials::new(id.as_str(), secret.as_str())
        .map_err(invalid)?
        .with_session_token(token.as_str())
        .map_err(invalid)?
        .with_expiry(expiry))
}

/// Reads `<ErrorResponse><Error><Code>` and `<Message>`.
pub(crate) fn parse_error(body: &[u8], status: u16, action: &'static str) -> CredentialsError {
    match xml_texts(body, &[&["Error", "Code"], &["Error", "Message"]]) {
        Ok((_, found)) if found[0].is_some() => {
            let mut found = found.into_iter();
            let mut next = || found.next().flatten().unwrap_or_default();
            let (code, message) = (next(), next());
            CredentialsError::Sts {
                action,
                status,
                code: error_code(&code),
                message: quoted(&message),
            }
        }
        _ => CredentialsError::HttpStatus {
            provider: "sts",
            status,
            detail: format!("{action} answered without an STS error document"),
        },
    }
}

/// STS error codes are identifiers (`AccessDenied`, `ExpiredTokenException`);
/// anything else is not repeated, whatever the document says.
pub(crate) fn error_code(code: &str) -> String {
    let code = code.trim();
    let plain = code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if !code.is_empty() && code.len() <= MAX_CODE && plain {
        code.to_owned()
    } else {
        "(not a plain error code)".to_owned()
    }
}

/// Longest STS error code repeated in an error.
const MAX_CODE: usize = 64;

/// Assumes a role through STS `AssumeRole`, with credentials from another
/// provider, signing the call with this crate's [`Signer`] (service `sts`).
///
/// The endpoint is, in order: [`with_endpoint`](Self::with_endpoint); the
/// configured endpoint of the AWS SDKs (`AWS_ENDPOINT_URL_STS`,
/// `AWS_ENDPOINT_URL`, then the `[services]` section and `endpoint_url` of
/// the profile `AWS_PROFILE` or `default`; none of them when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's
/// `ignore_configured_endpoint_urls` is `true`); else the regional one,
/// `https://sts.{region}.amazonaws.com` (`.amazonaws.com.cn` in China).
/// Wrap it in an [`AsyncCachingProvider`](crate::credentials::AsyncCachingProvider):
/// each call is a new `AssumeRole`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use sigv4::credentials::net::{AssumeRoleProvider, HttpTransport};
/// use sigv4::credentials::{AsyncCachingProvider, EnvironmentProvider};
/// use sigv4::Region;
///
/// fn role(transport: Arc<dyn HttpTransport>) -> Result<AsyncCachingProvider<AssumeRoleProvider>, sigv4::InvalidInput> {
///     let provider = AssumeRoleProvider::new(
///         transport,
///         Arc::new(EnvironmentProvider::new()),
///         "arn:aws:iam::123456789012:role/NeptuneReader",
///         Region::new("us-east-1")?,
///     )
///     .with_session_name("reporting")
///     .with_duration(Duration::from_secs(3600));
///     Ok(AsyncCachingProvider::new(provider))
/// }
/// ```
#[derive(Clone)]
pub struct AssumeRoleProvider {
    transport: Arc<dyn HttpTransport>,
    source: Arc<dyn ProvideCredentialsAsync>,
    region: Region,
    env: Env,
    endpoint: Option<String>,
    role: RoleRequest,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` in `region` with credentials from `source`.
    pub fn new(
        transport: Arc<dyn HttpTransport>,
        source: Arc<dyn ProvideCredentialsAsync>,
        role_arn: impl Into<String>,
        region: Region,
    ) -> Self {
        Self {
            transport,
            source,
            region,
            env: Env::process(),
            endpoint: None,
            role: RoleRequest {
                role_arn: role_arn.into(),
                session_name: None,
                external_id: None,
                duration: None,
            },
        }
    }

    /// The role session name (default `sigv4-rust-<unix seconds>`).
    #[must_use]
    pub fn with_session_name(mut self, name: impl Into<String>) -> Self {
        self.role.session_name = Some(name.into());
        self
    }

    /// The external id the role's trust policy asks for.
    #[must_use]
    pub fn with_external_id(mut self, id: impl Into<String>) -> Self {
        self.role.external_id = Some(id.into());
        self
    }

    /// How long the credentials should last (`DurationSeconds`).
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.role.duration = Some(duration);
        self
    }

    /// Sends to `endpoint` (such as `http://127.0.0.1:9000`) instead of the
    /// configured or regional endpoint.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Reads the configured endpoint settings (variables, and the profile
    /// files they name) from `env` instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let source = self.source.provide_credentials_async().await?;
        let endpoint = match &self.endpoint {
            Some(e) => e.clone(),
            None => super::endpoint::sts_endpoint_for_env(&self.env, &self.region)?,
        };
        assume_role(
            &*self.transport,
            &endpoint,
            &self.region,
            &source,
            &self.role,
        )
        .await
    }
}

super::fetching_provider!(AssumeRoleProvider {
    role,
    region,
    env,
    endpoint
});

/// Credentials from STS `AssumeRoleWithWebIdentity` (EKS IRSA, GitHub
/// Actions OIDC, ...): the token from `AWS_WEB_IDENTITY_TOKEN_FILE`, the role
/// from `AWS_ROLE_ARN`, the session name from `AWS_ROLE_SESSION_NAME`
/// (optional). The request is unsigned. Both required variables unset
/// means `NotFound`. The region is the environment's, else `us-east-1`;
/// the endpoint is chosen as [`AssumeRoleProvider`]'s is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use sigv4::credentials::net::{HttpTransport, WebIdentityProvider};
///
/// fn from_env(transport: Arc<dyn HttpTransport>) -> WebIdentityProvider {
///     WebIdentityProvider::new(transport)
/// }
/// ```
#[derive(Clone)]
pub struct WebIdentityProvider {
    transport: Arc<dyn HttpTransport>,
    env: Env,
    endpoint: Option<String>,
}

impl WebIdentityProvider {
    /// Reads the process environment; sends through `transport`.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        Self {
            transport,
            env: Env::process(),
            endpoint: None,
        }
    }

    /// Reads `env` instead of the process environment.
    #[must_use]
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Sends to `endpoint` instead of the configured or regional endpoint.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let (Some(token_file), Some(role_arn)) = (
            self.env.get("AWS_WEB_IDENTITY_TOKEN_FILE"),
            self.env.get("AWS_ROLE_ARN"),
        ) else {
            return Err(CredentialsError::not_found(
                "web identity",
                "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not both set",
            ));
        };
        let endpoint = match &self.endpoint {
            Some(e) => e.clone(),
            None => {
                super::endpoint::sts_endpoint_for_env(&self.env, &region_or_default(&self.env)?)?
            }
        };
        let session = self.env.get("AWS_ROLE_SESSION_NAME");
        assume_role_with_web_identity(
            &*self.transport,
            &endpoint,
            role_arn.trim(),
            session.as_deref().map(str::trim),
            &PathBuf::from(token_file.trim()),
        )
        .await
    }
}

/// The environment's region, else `us-east-1`.
pub(crate) fn region_or_default(env: &Env) -> Result<Region, CredentialsError> {
    let invalid = |source| CredentialsError::InvalidCredentials {
        provider: "sts",
        source,
    };
    match env.region().map_err(invalid)? {
        Some(r) => Ok(r),
        None => Region::new("us-east-1").map_err(invalid),
    }
}

super::fetching_provider!(WebIdentityProvider { env, endpoint });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("RoleArn", "arn:aws:iam::1:role/a b+c"), ("X", "~-_.")]).as_str(),
            "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc&X=~-_."
        );
    }

    #[test]
    fn parses_success_and_error_documents() {
        let ok = br#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/R/s</Arn><AssumedRoleId>ARO:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>se&amp;cret&#x41;</SecretAccessKey>
      <SessionToken><![CDATA[tok]]></SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;
        let c = parse_credentials(ok).unwrap();
        assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key(), "se&cretA");
        assert_eq!(c.session_token(), Some("tok"));
        let err = br#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed &lt;here&gt;</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        assert_eq!(
            parse_error(err, 403, ASSUME_ROLE).to_string(),
            "sts AssumeRole failed with http status 403: AccessDenied: not allowed <here>"
        );
        assert!(matches!(
            parse_error(b"<html>", 500, ASSUME_ROLE),
            CredentialsError::HttpStatus { status: 500, .. }
        ));
        for bad in [&b"<A><Credentials>"[..], b"", b"<x/>", b"\xff"] {
            assert!(parse_credentials(bad).is_err());
        }
    }

    #[test]
    fn error_code_and_message_are_repeated_on_one_bounded_line() {
        let long = "x ".repeat(2000);
        let body = format!(
            "<ErrorResponse><Error><Code> Access Denied\n</Code><Message>line one\n\r\tline\u{7}two {long}</Message></Error></ErrorResponse>"
        );
        match parse_error(body.as_bytes(), 403, ASSUME_ROLE) {
            CredentialsError::Sts { code, message, .. } => {
                assert_eq!(code, "(not a plain error code)");
                assert!(message.starts_with("line one line two x x"), "{message}");
                assert_eq!(
                    message.chars().count(),
                    crate::credentials::error::MAX_QUOTED_CHARS
                );
                assert!(message.ends_with('…'));
            }
            other => panic!("{other:?}"),
        }
        let ok = b"<ErrorResponse><Error><Code>ExpiredTokenException</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>";
        match parse_error(ok, 400, ASSUME_ROLE) {
            CredentialsError::Sts { code, message, .. } => {
                assert_eq!(code, "ExpiredTokenException");
                assert_eq!(
                    message,
                    "The security token included in the request is expired"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    /// A broken end tag or root tag swallows the text after it, secrets
    /// included; errors must not repeat it (found by the `sts` fuzz target).
    #[test]
    fn errors_do_not_quote_swallowed_text() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        for body in [
            format!("<AssumeRoleResponse><Credentials><SecretAccessKey>s</a=\"<SessionToken>{secret}</SessionToken>\"></Credentials></AssumeRoleResponse>"),
            format!("<a\"><SecretAccessKey>{secret}</SecretAccessKey>\"/>"),
            // The local part of a swallowing name, after its last ':'.
            format!("<a\"><SecretAccessKey>x:{} y=\"\"/>", secret.replace(['/', '+'], "")),
            format!("<AssumeRoleResponse><SecretAccessKey>{secret}&#xD800;</SecretAccessKey></AssumeRoleResponse>"),
        ] {
            let err = parse_credentials(body.as_bytes()).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
        }
    }
}
