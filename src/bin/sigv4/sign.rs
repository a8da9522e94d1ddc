//! `sigv4 sign`: read one raw HTTP/1.1 request, print it signed, by the
//! `Authorization` header or (with `--presign`) in the query string.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sigv4::{
    ChunkedUpload, Payload, Region, Service, SignatureLocation, Signer, SigningError,
    SigningSettings, SigningTime, MAX_PRESIGN_EXPIRY,
};

use crate::common::{self, CliError, UriEncodingArg};

/// How long a presigned URL stays valid unless `--expires` says otherwise:
/// one hour, as in the AWS SDKs.
pub const DEFAULT_EXPIRES_SECS: u64 = 3600;

/// The options of `sigv4 sign`.
#[derive(Debug, Args)]
#[command(
    after_help = "Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,\n\
                  else from the default chain (profile, web identity, container, instance metadata);\n\
                  --profile uses that profile only.\n\
                  The request layout is that of the AWS SigV4 test suite: request line, Name:value\n\
                  headers, a blank line, then the body."
)]
pub struct SignArgs {
    /// The raw HTTP/1.1 request to sign [default: stdin; `-` also means stdin].
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// The region to sign for [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The service to sign for, such as neptune-db or s3.
    #[arg(long, value_name = "SERVICE")]
    service: Service,

    /// Take the credentials from this profile of the shared config files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// The signing time, as 2015-08-30T12:36:00Z or 20150830T123600Z [default: now].
    #[arg(long, value_name = "TIME", value_parser = SigningTime::parse)]
    time: Option<SigningTime>,

    /// Sign in the query string (a presigned URL) instead of the Authorization header.
    #[arg(long)]
    presign: bool,

    /// With --presign: how long the URL stays valid, in seconds, 1 to 604800 [default: 3600].
    #[arg(
        long,
        value_name = "SECS",
        // So `--expires -1` is reported as a bad value, not a stray option.
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(u64).range(1..=MAX_PRESIGN_EXPIRY.as_secs())
    )]
    expires: Option<u64>,

    /// How the path is encoded in the canonical request.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = UriEncodingArg::Double)]
    uri_encoding: UriEncodingArg,

    /// Sign the path as given, without removing `.`/`..` segments and repeated slashes (S3).
    #[arg(long)]
    no_normalize_path: bool,

    /// Add and sign an x-amz-content-sha256 header carrying the payload hash (S3).
    #[arg(long)]
    content_sha256_header: bool,

    /// Sign UNSIGNED-PAYLOAD instead of the SHA-256 of the body.
    #[arg(long)]
    unsigned_payload: bool,

    /// Add the session token after signing, leaving it out of the signature.
    #[arg(long)]
    omit_session_token: bool,

    /// Also print the canonical request and the string to sign to stderr
    /// (the session token is shown as <redacted>).
    #[arg(long)]
    explain: bool,

    /// aws-chunked signing of the body.
    #[command(flatten)]
    chunked: common::ChunkedArgs,

    /// SigV4a.
    #[command(flatten)]
    sigv4a: common::SigV4aArgs,
}

impl SignArgs {
    /// The signing settings the flags ask for.
    fn settings(&self) -> SigningSettings {
        common::signing_settings(
            self.uri_encoding,
            self.no_normalize_path,
            self.omit_session_token,
        )
        .with_content_sha256_header(self.content_sha256_header)
    }
}

/// Runs `sigv4 sign`.
///
/// # Errors
///
/// Missing region or credentials, an unreadable or malformed request, or a
/// request the signer rejects. Nothing is written to stdout then.
pub fn run(args: &SignArgs) -> Result<(), CliError> {
    // The environment is checked before reading: a missing setting should
    // not wait for stdin to close before it is reported.
    let signer = args
        .sigv4a
        .signer(args.region.as_ref(), &args.service, args.settings())?;
    let credentials = common::credentials_blocking(args.profile.as_deref())?;
    let time = args.time.unwrap_or_else(SigningTime::now);
    let expiry = match (args.presign, args.expires) {
        (true, expires) => Some(Duration::from_secs(expires.unwrap_or(DEFAULT_EXPIRES_SECS))),
        (false, None) => None,
        // Ignoring it would sign something other than what was asked for.
        (false, Some(_)) => {
            return Err(CliError::usage(
                "--expires only applies to presigned requests: add --presign",
            ))
        }
    };

    let upload = args.chunked.upload()?;
    if upload.is_some() && (args.presign || args.unsigned_payload) {
        return Err(CliError::usage(
            "--chunked cannot go with --presign or --unsigned-payload",
        ));
    }

    let mut request = common::read_request(args.file.as_deref())?;
    if let Some(upload) = upload {
        let common::AnySigner::V4(signer) = &signer else {
            return Err(CliError::usage("--chunked cannot go with --sigv4a"));
        };
        return sign_chunked(signer, request, &credentials, time, &upload, args.explain);
    }
    // The payload borrows the body while the signer borrows the request
    // mutably, so the body is held aside meanwhile (no copy is made).
    let body = std::mem::take(request.body_mut());
    let payload = if args.unsigned_payload {
        Payload::Unsigned
    } else {
        Payload::Bytes(&body)
    };

    if args.explain {
        let explanation = signer
            .explain(
                &request,
                payload,
                &credentials,
                time,
                expiry.map_or(SignatureLocation::Header, SignatureLocation::presigned),
            )
            .map_err(signing_error)?;
        // `Display` redacts the session token; the secret is never in it.
        // A closed stderr is no reason to withhold the signed request.
        let _ = writeln!(std::io::stderr().lock(), "{explanation}");
    }
    match expiry {
        None => signer.sign(&mut request, payload, &credentials, time),
        Some(expires_in) => signer.presign(&mut request, payload, &credentials, time, expires_in),
    }
    .map_err(signing_error)?;
    *request.body_mut() = body;

    common::write_stdout(&sigv4::tools::raw::write_request(&request))
}

/// Signs `request` as aws-chunked and writes it with its encoded body.
fn sign_chunked(
    signer: &Signer,
    request: http::Request<Vec<u8>>,
    credentials: &sigv4::Credentials,
    time: SigningTime,
    upload: &ChunkedUpload,
    explain: bool,
) -> Result<(), CliError> {
    let (parts, body) = request.into_parts();
    let upload = upload.with_decoded_length(body.len() as u64);
    let mut request = http::Request::from_parts(parts, ());
    let mut encoder = signer
        .sign_chunked(&mut request, credentials, time, &upload)
        .map_err(signing_error)?;
    if explain {
        let explanation = signer
            .explain(
                &without_signature(&request),
                upload.payload(),
                credentials,
                time,
                SignatureLocation::Header,
            )
            .map_err(signing_error)?;
        let _ = writeln!(std::io::stderr().lock(), "{explanation}");
    }
    let mut encoded =
        Vec::with_capacity(usize::try_from(upload.encoded_length().unwrap_or(0)).unwrap_or(0));
    for chunk in body.chunks(upload.chunk_size()) {
        encoder
            .write_chunk_header(chunk, &mut encoded)
            .map_err(|e| CliError::failure(e.to_string()))?;
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    encoder
        .finish(&mut encoded)
        .map_err(|e| CliError::failure(e.to_string()))?;
    let request = request.map(|()| encoded);
    common::write_stdout(&sigv4::tools::raw::write_request(&request))
}

/// The request as it was before the signer's own headers were added, for
/// `--explain`.
fn without_signature(request: &http::Request<()>) -> http::Request<()> {
    let mut bare = http::Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .body(())
        .unwrap_or_default();
    for (name, value) in request.headers() {
        if !matches!(
            name.as_str(),
            "authorization" | "x-amz-date" | "x-amz-security-token"
        ) {
            bare.headers_mut().append(name.clone(), value.clone());
        }
    }
    bare
}

/// Explains a signing failure, with a way out where there is an obvious one.
fn signing_error(error: SigningError) -> CliError {
    match error {
        SigningError::MissingHost => CliError::failure(
            "cannot sign: the request has no Host header and its target has no authority; \
             add a Host: line or use an absolute target such as https://example.com/path",
        ),
        other => CliError::failure(format!("cannot sign the request: {other}")),
    }
}
