//! `sigv4 verify`: check one signed raw request as a server would, and say
//! which check failed, with the canonical request and string to sign the
//! verifier computed, so they can be diffed against the client's
//! (`sigv4 sign --explain` prints the signer's).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use http::Request;
use sigv4::verify::{Verifier, VerifyError};
use sigv4::{Credentials, Payload, Region, Service, SigningTime};

use crate::common::{self, CliError, UriEncodingArg};

/// The clock skew allowed unless `--max-skew` says otherwise: five
/// minutes, as AWS allows.
const DEFAULT_MAX_SKEW_SECS: u64 = 300;

/// The secret the diagnosis re-runs the verifier with: any value will do,
/// only the computed canonical request and string to sign are kept.
const PROBE_SECRET: &str = "sigv4-verify-probe-not-the-real-secret";

/// The session token's header and query parameter, for the probe.
const TOKEN_HEADER: &str = "x-amz-security-token";
const TOKEN_PARAM: &str = "X-Amz-Security-Token";

/// The options of `sigv4 verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "The secret key comes from AWS_SECRET_ACCESS_KEY; the request's access key id must\n\
                  be AWS_ACCESS_KEY_ID when that is set, and its session token must be\n\
                  AWS_SESSION_TOKEN (both present or both absent).\n\
                  Prints OK, or the failed check (AWS error code and message) followed by the canonical\n\
                  request and the string to sign the verifier computed.\n\
                  Exit status: 0 when the request verifies, 1 when it does not (or cannot be read),\n\
                  2 for a usage error."
)]
pub struct VerifyArgs {
    /// The signed raw HTTP/1.1 request [default: stdin; `-` also means stdin].
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// The region the request must be signed for [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The service the request must be signed for, such as neptune-db or s3.
    #[arg(long, value_name = "SERVICE")]
    service: Service,

    /// Verify as of this time, as 2015-08-30T12:36:00Z or 20150830T123600Z [default: now].
    #[arg(long, value_name = "TIME", value_parser = SigningTime::parse)]
    time: Option<SigningTime>,

    /// How far the request's time may be from --time, either way, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MAX_SKEW_SECS)]
    max_skew: u64,

    /// How the path was encoded in the canonical request (as for `sigv4 sign`).
    #[arg(long, value_name = "MODE", value_enum, default_value_t = UriEncodingArg::Double)]
    uri_encoding: UriEncodingArg,

    /// The path was signed as given, without normalization (as for `sigv4 sign`).
    #[arg(long)]
    no_normalize_path: bool,

    /// The request was signed with UNSIGNED-PAYLOAD instead of the hash of its body.
    #[arg(long)]
    unsigned_payload: bool,

    /// The session token was added after signing: it is checked, but not signed.
    #[arg(long)]
    omit_session_token: bool,
}

/// What the environment says the request must have been signed with.
struct Known {
    access_key_id: Option<String>,
    secret: String,
    session_token: Option<String>,
}

/// Runs `sigv4 verify`: exit status 0 when the request verifies, 1 when it
/// does not.
///
/// # Errors
///
/// Missing region or secret, or an unreadable or unparsable request.
pub fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let region = common::region(args.region.as_ref())?;
    let known = known_from_env()?;
    let now = args.time.unwrap_or_else(SigningTime::now);
    let request = common::read_request(args.file.as_deref())?;

    let lookup = lookup(
        known.access_key_id.clone(),
        known.secret.clone(),
        known.session_token.clone(),
    );
    let verifier = verifier(args, region.clone(), lookup);
    let outcome = verifier
        .verify_with_payload(&request, payload(args, &request), now)
        .map(|_| ());
    // A streaming payload is for the chunked check, which reads the body.
    if let Err(VerifyError::StreamingPayloadRefused { .. }) = outcome {
        return verify_chunked(&verifier, request, now);
    }

    match outcome {
        Ok(()) => {
            common::write_stdout(b"OK\n")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let report = failure_report(args, &region, &request, &error);
            common::write_stdout(report.as_bytes())?;
            Ok(ExitCode::from(common::EXIT_FAILURE))
        }
    }
}

/// Verifies an aws-chunked request: the headers and seed signature, then
/// every chunk of its body, the trailer and the lengths.
fn verify_chunked<L: sigv4::verify::SecretLookup>(
    verifier: &Verifier<L>,
    request: Request<Vec<u8>>,
    now: SigningTime,
) -> Result<ExitCode, CliError> {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, ());
    let failed = |report: String| -> Result<ExitCode, CliError> {
        common::write_stdout(report.as_bytes())?;
        Ok(ExitCode::from(common::EXIT_FAILURE))
    };
    let mut decoder = match verifier.verify_chunked(&request, now) {
        Ok((_, decoder)) => decoder,
        Err(error) => return failed(format!("FAILED {}: {error}\n", error.code())),
    };
    let mut input = body.as_slice();
    let outcome = loop {
        match decoder.decode(input) {
            Ok((used, _)) if used == input.len() => break decoder.finish(),
            Ok((used, _)) => input = &input[used..],
            Err(e) => break Err(e),
        }
    };
    match outcome {
        Ok(()) => {
            common::write_stdout(b"OK\n")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let error = VerifyError::from(e);
            failed(format!(
                "FAILED {}: {error}\n\n(the headers and the seed signature verified; the aws-chunked body did not)\n",
                error.code()
            ))
        }
    }
}

/// The secret, and the key id and token to insist on, from the environment.
fn known_from_env() -> Result<Known, CliError> {
    let Some(secret) = common::env_var("AWS_SECRET_ACCESS_KEY")? else {
        return Err(CliError::failure(
            "missing secret: AWS_SECRET_ACCESS_KEY is not set (verify needs the secret key \
             the request was signed with)",
        ));
    };
    let access_key_id = common::env_var("AWS_ACCESS_KEY_ID")?;
    let session_token = common::env_var("AWS_SESSION_TOKEN")?;
    // Checked once here, so the lookup below cannot fail on them later and
    // be mistaken for an unknown key.
    let checked = Credentials::new(access_key_id.as_deref().unwrap_or("AKID"), secret.as_str())
        .map_err(|e| CliError::failure(format!("bad credentials in the environment: {e}")))?;
    if let Some(token) = &session_token {
        checked
            .with_session_token(token.as_str())
            .map_err(|e| CliError::failure(format!("bad AWS_SESSION_TOKEN: {e}")))?;
    }
    Ok(Known {
        access_key_id,
        secret,
        session_token,
    })
}

/// The secret lookup: any key id (or only `access_key_id` when given) has
/// `secret`, and must present `token`.
fn lookup(
    access_key_id: Option<String>,
    secret: String,
    token: Option<String>,
) -> impl Fn(&str) -> Option<Credentials> + Send + Sync {
    move |id: &str| {
        if access_key_id.as_deref().is_some_and(|known| known != id) {
            return None;
        }
        let credentials = Credentials::new(id, secret.as_str()).ok()?;
        match &token {
            Some(token) => credentials.with_session_token(token.as_str()).ok(),
            None => Some(credentials),
        }
    }
}

/// A verifier with the region, service and canonicalization options asked for.
fn verifier<L: sigv4::verify::SecretLookup>(
    args: &VerifyArgs,
    region: Region,
    lookup: L,
) -> Verifier<L> {
    let settings = common::signing_settings(
        args.uri_encoding,
        args.no_normalize_path,
        args.omit_session_token,
    );
    Verifier::new(region, args.service.clone(), lookup)
        .with_settings(settings)
        .with_max_skew(Duration::from_secs(args.max_skew))
}

fn payload<'a>(args: &VerifyArgs, request: &'a Request<Vec<u8>>) -> Payload<'a> {
    if args.unsigned_payload {
        Payload::Unsigned
    } else {
        Payload::Bytes(request.body())
    }
}

/// `FAILED Code: message`, then the canonical request and the string to
/// sign. The session token is redacted in them by the library.
fn failure_report(
    args: &VerifyArgs,
    region: &Region,
    request: &Request<Vec<u8>>,
    error: &VerifyError,
) -> String {
    let mut report = format!("FAILED {}: {error}\n", error.code());
    let computed = match error {
        VerifyError::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
            ..
        } => Some((canonical_request.clone(), string_to_sign.clone())),
        _ => probe(args, region, request),
    };
    match computed {
        Some((canonical_request, string_to_sign)) => {
            let _ = write!(
                report,
                "\ncanonical request:\n{canonical_request}\n\nstring to sign:\n{string_to_sign}\n"
            );
        }
        None => report.push_str(
            "\n(no canonical request: the request fails this check before one can be computed)\n",
        ),
    }
    report
}

/// The canonical request and string to sign for a request that failed a
/// check made before them (time, key id, session token, content hash): the verifier is run
/// again as of the request's own time, accepting any key id and the token
/// it presents, with a stand-in secret, and what it computed is kept.
fn probe(
    args: &VerifyArgs,
    region: &Region,
    request: &Request<Vec<u8>>,
) -> Option<(String, String)> {
    let time = claimed_time(request)?;
    let token = presented_token(request);
    let lookup = lookup(None, PROBE_SECRET.to_owned(), token);
    // With x-amz-content-sha256 the verifier signs the hash it claims; a
    // payload that is not the body makes it skip comparing the two.
    let payload = if request.headers().contains_key("x-amz-content-sha256") {
        Payload::Unsigned
    } else {
        payload(args, request)
    };
    match verifier(args, region.clone(), lookup).verify_with_payload(request, payload, time) {
        Err(VerifyError::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
            ..
        }) => Some((canonical_request, string_to_sign)),
        _ => None,
    }
}

/// `X-Amz-Date` from the header, else from the query.
fn claimed_time(request: &Request<Vec<u8>>) -> Option<SigningTime> {
    if let Some(value) = request.headers().get("x-amz-date") {
        return SigningTime::parse(value.to_str().ok()?).ok();
    }
    let value = query_param(request, "X-Amz-Date")?;
    SigningTime::parse(&value).ok()
}

/// The session token the request carries, header or query.
fn presented_token(request: &Request<Vec<u8>>) -> Option<String> {
    if let Some(value) = request.headers().get(TOKEN_HEADER) {
        return Some(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    query_param(request, TOKEN_PARAM)
}

/// A query parameter's decoded value.
fn query_param(request: &Request<Vec<u8>>, name: &str) -> Option<String> {
    request.uri().query()?.split('&').find_map(|param| {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> Request<Vec<u8>> {
        let mut builder = Request::get(target);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Vec::new()).expect("request")
    }

    #[test]
    fn the_claimed_time_comes_from_the_header_or_the_query() {
        let time = |r: &Request<Vec<u8>>| claimed_time(r).map(|t| t.amz_date().to_owned());
        let r = request("/", &[("x-amz-date", "20150830T123600Z")]);
        assert_eq!(time(&r).as_deref(), Some("20150830T123600Z"));
        let r = request("/?X-Amz-Date=20150830T123600Z", &[]);
        assert_eq!(time(&r).as_deref(), Some("20150830T123600Z"));
        assert_eq!(time(&request("/?X-Amz-Date=soon", &[])), None);
        assert_eq!(time(&request("/", &[])), None);
    }
}
