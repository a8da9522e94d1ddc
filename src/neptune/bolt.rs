//! The Bolt auth token: Neptune takes openCypher over Bolt (neo4j drivers)
//! with IAM auth by a username of [`BOLT_USERNAME`] and, as the password,
//! a JSON object made from a SigV4-signed `GET /opencypher`:
//!
//! ```text
//! {"Authorization": "AWS4-HMAC-SHA256 Credential=...", "HttpMethod": "GET",
//!  "X-Amz-Date": "20150830T123600Z", "Host": "host:8182",
//!  "X-Amz-Security-Token": "..."}
//! ```
//!
//! Settled where AWS's samples disagree: `X-Amz-Security-Token` is left
//! out (not `null`) without a session token, and with one it is signed
//! (`SignedHeaders=host;x-amz-date;x-amz-security-token`); `Host` is the
//! host with its port unless the port is the scheme's default.

use std::fmt;

use http::Request;

use super::{json_string, Endpoint, Expiry};
use crate::core::credentials::Credentials;
use crate::core::error::SigningError;
use crate::core::time::SigningTime;
use crate::verify::{SecretLookup, Verified, Verifier, VerifyError};

/// The Bolt username Neptune expects with an IAM token.
pub const BOLT_USERNAME: &str = "username";

/// The longest Bolt password the verifier reads.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A Bolt auth token: the password JSON and when it stops being accepted.
/// `Debug` does not show the password (it replays for five minutes).
#[derive(Clone)]
pub struct BoltToken {
    password: String,
    expiry: Expiry,
}

impl fmt::Debug for BoltToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoltToken")
            .field("username", &BOLT_USERNAME)
            .field("password", &"** redacted **")
            .field("expiry", &self.expiry)
            .finish()
    }
}

impl BoltToken {
    /// The username, [`BOLT_USERNAME`].
    #[must_use]
    pub fn username(&self) -> &'static str {
        BOLT_USERNAME
    }

    /// The password: the JSON object.
    #[must_use]
    pub fn password(&self) -> &str {
        &self.password
    }

    /// When it stops being accepted.
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }
}

pub(super) fn token(
    endpoint: &Endpoint,
    credentials: &Credentials,
    time: SigningTime,
) -> Result<BoltToken, SigningError> {
    let host = endpoint.signed_host();
    let mut request = Request::get(format!("{}/opencypher", endpoint.base()))
        .header(http::header::HOST, host.as_str())
        .body(Vec::new())
        .map_err(|_| SigningError::MissingHost)?;
    endpoint.signer.sign(&mut request, credentials, time)?;
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut password = format!(
        "{{\"Authorization\":{},\"HttpMethod\":\"GET\",\"X-Amz-Date\":{},\"Host\":{}",
        json_string(&header("authorization")),
        json_string(&header("x-amz-date")),
        json_string(&host),
    );
    if let Some(token) = credentials.session_token() {
        password.push_str(",\"X-Amz-Security-Token\":");
        password.push_str(&json_string(token));
    }
    password.push('}');
    Ok(BoltToken {
        password,
        expiry: Expiry::new(&time, credentials),
    })
}

/// Verifies a Bolt password as Neptune does: the JSON, then the request it
/// describes (`GET /opencypher` to its `Host`, with its `Authorization`,
/// `X-Amz-Date` and `X-Amz-Security-Token`), then the signature, with
/// `verifier` as of `now`. For servers and tests that stand in for
/// Neptune.
///
/// # Errors
///
/// [`VerifyError::Malformed`] for a password that is not such a JSON
/// object (over 16 KiB, a missing or non-string field, an `HttpMethod`
/// other than `GET`); otherwise what the verifier finds.
///
/// # Examples
///
/// ```
/// use sigv4::neptune::{verify_bolt_token, Endpoint};
/// use sigv4::verify::Verifier;
/// use sigv4::{Credentials, SigningTime};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let token = Endpoint::database("db.example.com", "us-east-1")?.bolt_token(&creds, time)?;
/// let known = creds.clone();
/// let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(known.clone()))?;
/// assert!(verify_bolt_token(&verifier, token.password(), time).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_bolt_token<L: SecretLookup>(
    verifier: &Verifier<L>,
    password: &str,
    now: SigningTime,
) -> Result<Verified, VerifyError> {
    let malformed = |reason: &str| VerifyError::Malformed {
        reason: format!("Bolt token: {reason}"),
    };
    if password.len() > MAX_TOKEN_LEN {
        return Err(malformed("longer than 16 KiB"));
    }
    let json: serde_json::Value =
        serde_json::from_str(password).map_err(|_| malformed("not JSON"))?;
    let object = json
        .as_object()
        .ok_or_else(|| malformed("not a JSON object"))?;
    let field = |name: &str| -> Result<Option<&str>, VerifyError> {
        match object.get(name) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(malformed(&format!("{name} is not a string"))),
        }
    };
    let required = |name: &str| field(name)?.ok_or_else(|| malformed(&format!("no {name}")));
    if required("HttpMethod")? != "GET" {
        return Err(malformed("HttpMethod is not GET"));
    }
    let host = required("Host")?;
    let mut builder = Request::get("/opencypher")
        .header(http::header::HOST, host)
        .header("x-amz-date", required("X-Amz-Date")?)
        .header(http::header::AUTHORIZATION, required("Authorization")?);
    if let Some(token) = field("X-Amz-Security-Token")? {
        builder = builder.header("x-amz-security-token", token);
    }
    let request = builder
        .body(Vec::new())
        .map_err(|_| malformed("a field is not a valid header value"))?;
    verifier.verify(&request, now)
}
