//! What every subcommand shares: credentials (the environment, else the
//! default chain) and region, the URI encoding options, reading the raw
//! request, writing the result, and reporting errors as one line on stderr.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::ValueEnum;
use sigv4::credentials::net::{DefaultChain, HyperTransport, ProfileProvider};
use sigv4::credentials::{CredentialsError, ProvideCredentialsAsync};
use sigv4::{Credentials, Region, UriEncoding};

/// Exit status for bad input, a failed signature or an I/O error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status for a usage error: the command line itself is wrong.
const EXIT_USAGE: u8 = 2;

/// Every message starts with this, so it stands out among other tools' output.
const PREFIX: &str = "sigv4: error: ";

/// Environment variables holding the region, first match wins: the
/// service-specific one, then the two the AWS SDKs read.
pub const REGION_VARS: [&str; 3] = ["SERVICE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"];

/// A failure to report: what went wrong, and the exit status it earns.
#[derive(Debug)]
pub struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// The command line is wrong (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }

    /// A failure with its own exit status (curl's 22 for an HTTP error
    /// under `--fail`).
    pub fn with_code(message: impl Into<String>, code: u8) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }

    /// The input, the environment or the signing failed (exit status 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_FAILURE,
        }
    }
}

/// Prints `error` as one line on stderr and gives the exit status.
pub fn report(error: &CliError) -> ExitCode {
    print_error(&error.message);
    ExitCode::from(error.code)
}

/// Writes one `sigv4: error: ...` line. Line breaks are folded so scripts
/// reading stderr line by line get the whole message.
fn print_error(message: &str) {
    let one_line = message.replace(['\r', '\n'], " ");
    // Nothing sensible is left to do if stderr itself is gone.
    let _ = writeln!(std::io::stderr().lock(), "{PREFIX}{one_line}");
}

/// Reports a clap error. Help and version requests print as clap intends;
/// real usage errors are squeezed into one line: clap's message, its tips,
/// and which `--help` to read (`command`, such as `sigv4 sign`).
pub fn report_clap_error(error: &clap::Error, command: &str) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
    }
    let message = summarize_clap_error(&error.render().to_string());
    print_error(&format!("{message} (see '{command} --help')"));
    ExitCode::from(EXIT_USAGE)
}

/// Turns clap's rendered error (message, blank line, tips, usage, hint)
/// into one sentence: the message and its tips. The usage and the hint are
/// dropped; the caller points to `--help` instead.
fn summarize_clap_error(rendered: &str) -> String {
    let mut message = String::new();
    for paragraph in rendered.split("\n\n") {
        let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() || text.starts_with("Usage:") || text.starts_with("For more information")
        {
            continue;
        }
        if message.is_empty() {
            message.push_str(text.strip_prefix("error: ").unwrap_or(&text));
        } else {
            message.push_str("; ");
            message.push_str(&text);
        }
    }
    message
}

/// An environment variable, with unset, empty and all-blank treated alike.
///
/// # Errors
///
/// When the value is not UTF-8.
pub fn env_var(name: &str) -> Result<Option<String>, CliError> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(CliError::failure(format!("{name} is not valid UTF-8")))
        }
    }
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, for
/// temporary credentials, `AWS_SESSION_TOKEN`.
///
/// # Errors
///
/// When either key is missing or a value is malformed. Messages name the
/// variable, never its value.
pub fn credentials_from_env() -> Result<Credentials, CliError> {
    let key_id = env_var("AWS_ACCESS_KEY_ID")?;
    let secret = env_var("AWS_SECRET_ACCESS_KEY")?;
    let (key_id, secret) = match (key_id, secret) {
        (Some(key_id), Some(secret)) => (key_id, secret),
        (key_id, _) => {
            let missing = if key_id.is_none() {
                "AWS_ACCESS_KEY_ID"
            } else {
                "AWS_SECRET_ACCESS_KEY"
            };
            return Err(CliError::failure(format!(
                "missing credentials: {missing} is not set (set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, and AWS_SESSION_TOKEN for temporary credentials)"
            )));
        }
    };
    let credentials = Credentials::new(key_id, secret)
        .map_err(|e| CliError::failure(format!("bad credentials in the environment: {e}")))?;
    // AWS_SECURITY_TOKEN is the older name, read as botocore and awscurl do.
    let token = match env_var("AWS_SESSION_TOKEN")? {
        Some(token) => Some(token),
        None => env_var("AWS_SECURITY_TOKEN")?,
    };
    match token {
        Some(token) => credentials
            .with_session_token(token)
            .map_err(|e| CliError::failure(format!("bad AWS_SESSION_TOKEN: {e}"))),
        None => Ok(credentials),
    }
}

/// Credentials for signing.
///
/// With `profile`, that profile of the shared files only (as the AWS CLI's
/// `--profile` does, it wins over the environment). Without it: the
/// environment when either key is set there ([`credentials_from_env`]; a
/// half-set environment is an error rather than a reason to sign with
/// other credentials), else the crate's default chain (profile, web
/// identity, container, instance metadata; its network calls time out
/// after about a second each off AWS).
///
/// # Errors
///
/// No credentials anywhere, or broken ones. Messages name where the chain
/// looked, never a secret.
pub async fn credentials(profile: Option<&str>) -> Result<Credentials, CliError> {
    if profile.is_none()
        && (env_var("AWS_ACCESS_KEY_ID")?.is_some() || env_var("AWS_SECRET_ACCESS_KEY")?.is_some())
    {
        return credentials_from_env();
    }
    let transport = Arc::new(
        HyperTransport::new()
            .map_err(|e| CliError::failure(format!("cannot look for credentials: {e}")))?,
    );
    let found = match profile {
        Some(name) => {
            ProfileProvider::new(transport)
                .with_profile(name)
                .provide_credentials_async()
                .await
        }
        None => {
            DefaultChain::new(transport)
                .provide_credentials_async()
                .await
        }
    };
    found.map_err(|error| match (&error, profile) {
        (CredentialsError::NotFound { reason, .. }, None) => CliError::failure(format!(
            "missing credentials: AWS_ACCESS_KEY_ID is not set and the default chain found \
             none ({reason}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile"
        )),
        (CredentialsError::NotFound { reason, .. }, Some(name)) => CliError::failure(format!(
            "missing credentials: profile {name:?} has none ({reason})"
        )),
        _ => CliError::failure(format!("cannot get credentials: {error}")),
    })
}

/// [`credentials`] for a command that has no runtime of its own.
///
/// # Errors
///
/// As for [`credentials`], or when no runtime can be started.
pub fn credentials_blocking(profile: Option<&str>) -> Result<Credentials, CliError> {
    runtime()?.block_on(credentials(profile))
}

/// A single-threaded tokio runtime with I/O and timers, for the network.
///
/// # Errors
///
/// When the operating system refuses the resources it needs.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

/// `--chunked`, `--trailer-checksum` and `--unsigned-chunks`, shared by
/// `sign` and `curl`.
#[derive(Debug, clap::Args)]
pub struct ChunkedArgs {
    /// Send the body as aws-chunked in chunks of SIZE bytes (content-encoding,
    /// content-length and x-amz-decoded-content-length are set and signed).
    #[arg(long, value_name = "SIZE", value_parser = clap::value_parser!(u64).range(1..=16 * 1024 * 1024))]
    chunked: Option<u64>,

    /// With --chunked: end the body with a signed trailer carrying this
    /// checksum of the data.
    #[arg(long, value_name = "ALG", value_enum, requires = "chunked")]
    trailer_checksum: Option<ChecksumArg>,

    /// With --chunked and --trailer-checksum: leave the chunks unsigned
    /// (STREAMING-UNSIGNED-PAYLOAD-TRAILER); the checksum covers the data.
    #[arg(long)]
    unsigned_chunks: bool,
}

impl ChunkedArgs {
    /// The upload the options ask for (its decoded length still 0: the
    /// caller sets it once it knows the body), or `None` without --chunked.
    ///
    /// # Errors
    ///
    /// A usage error for `--unsigned-chunks` without `--trailer-checksum`.
    pub fn upload(&self) -> Result<Option<sigv4::ChunkedUpload>, CliError> {
        let Some(size) = self.chunked else {
            if self.unsigned_chunks {
                return Err(CliError::usage(
                    "--unsigned-chunks needs --chunked SIZE and --trailer-checksum ALG",
                ));
            }
            return Ok(None);
        };
        if self.unsigned_chunks && self.trailer_checksum.is_none() {
            return Err(CliError::usage(
                "--unsigned-chunks needs --trailer-checksum ALG: without signatures or a \
                 checksum nothing would cover the data",
            ));
        }
        // Bounded to 16 MiB by the parser.
        let size =
            usize::try_from(size).map_err(|_| CliError::usage("--chunked SIZE is too large"))?;
        let upload = match (self.trailer_checksum, self.unsigned_chunks) {
            (None, _) => sigv4::ChunkedUpload::signed(0, size),
            (Some(alg), false) => sigv4::ChunkedUpload::signed(0, size)
                .map(|u| u.with_trailer_checksum(alg.algorithm())),
            (Some(alg), true) => {
                sigv4::ChunkedUpload::unsigned_with_trailer(0, size, alg.algorithm())
            }
        }
        .map_err(|e| CliError::usage(e.to_string()))?;
        Ok(Some(upload))
    }
}

/// `--sigv4a` and `--region-set`, shared by `sign` and `curl`.
#[derive(Debug, clap::Args)]
pub struct SigV4aArgs {
    /// Sign with SigV4a (AWS4-ECDSA-P256-SHA256), for a set of regions.
    #[arg(long)]
    sigv4a: bool,

    /// With --sigv4a: the regions the signature is good for, comma-separated,
    /// with patterns such as us-* or * [default: the region].
    #[arg(long, value_name = "SET", requires = "sigv4a", value_parser = sigv4::RegionSet::new)]
    region_set: Option<sigv4::RegionSet>,
}

/// The signer a command asked for: SigV4 for a region, or SigV4a for a
/// region set.
#[derive(Debug)]
pub enum AnySigner {
    /// SigV4.
    V4(sigv4::Signer),
    /// SigV4a.
    V4a(sigv4::SigV4aSigner),
}

impl SigV4aArgs {
    /// The signer: SigV4a with the set (`--region-set`, else the region),
    /// or SigV4 for the region. The region is looked up only when needed.
    ///
    /// # Errors
    ///
    /// A usage error when no region can be found and one is needed.
    pub fn signer(
        &self,
        region: Option<&Region>,
        service: &sigv4::Service,
        settings: sigv4::SigningSettings,
    ) -> Result<AnySigner, CliError> {
        if !self.sigv4a {
            let region = self::region(region)?;
            return Ok(AnySigner::V4(
                sigv4::Signer::new(region, service.clone()).with_settings(settings),
            ));
        }
        let set = match &self.region_set {
            Some(set) => set.clone(),
            None => {
                let region = self::region(region)?;
                sigv4::RegionSet::new(region.as_str())
                    .map_err(|e| CliError::usage(e.to_string()))?
            }
        };
        Ok(AnySigner::V4a(
            sigv4::SigV4aSigner::new(service.clone(), set).with_settings(settings),
        ))
    }
}

impl AnySigner {
    /// Signs by the `Authorization` header.
    ///
    /// # Errors
    ///
    /// What the signer says.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: sigv4::Payload<'_>,
        credentials: &sigv4::Credentials,
        time: sigv4::SigningTime,
    ) -> Result<(), sigv4::SigningError> {
        match self {
            Self::V4(s) => s
                .sign_with_payload(request, payload, credentials, time)
                .map(drop),
            Self::V4a(s) => s
                .sign_with_payload(request, payload, credentials, time)
                .map(drop),
        }
    }

    /// Presigns.
    ///
    /// # Errors
    ///
    /// What the signer says.
    pub fn presign<B>(
        &self,
        request: &mut http::Request<B>,
        payload: sigv4::Payload<'_>,
        credentials: &sigv4::Credentials,
        time: sigv4::SigningTime,
        expires_in: std::time::Duration,
    ) -> Result<(), sigv4::SigningError> {
        match self {
            Self::V4(s) => s
                .presign_with_payload(request, payload, credentials, time, expires_in)
                .map(drop),
            Self::V4a(s) => s
                .presign_with_payload(request, payload, credentials, time, expires_in)
                .map(drop),
        }
    }

    /// The explanation, as text (the session token redacted).
    ///
    /// # Errors
    ///
    /// What the signer says.
    pub fn explain<B>(
        &self,
        request: &http::Request<B>,
        payload: sigv4::Payload<'_>,
        credentials: &sigv4::Credentials,
        time: sigv4::SigningTime,
        location: sigv4::SignatureLocation,
    ) -> Result<String, sigv4::SigningError> {
        Ok(match self {
            Self::V4(s) => s
                .explain(request, payload, credentials, time, location)?
                .to_string(),
            Self::V4a(s) => s
                .explain(request, payload, credentials, time, location)?
                .to_string(),
        })
    }
}

/// `--trailer-checksum` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChecksumArg {
    /// CRC-32, x-amz-checksum-crc32.
    Crc32,
    /// CRC-32C, x-amz-checksum-crc32c.
    Crc32c,
    /// SHA-1, x-amz-checksum-sha1.
    Sha1,
    /// SHA-256, x-amz-checksum-sha256.
    Sha256,
}

impl ChecksumArg {
    /// The library's algorithm.
    pub fn algorithm(self) -> sigv4::ChecksumAlgorithm {
        match self {
            Self::Crc32 => sigv4::ChecksumAlgorithm::Crc32,
            Self::Crc32c => sigv4::ChecksumAlgorithm::Crc32c,
            Self::Sha1 => sigv4::ChecksumAlgorithm::Sha1,
            Self::Sha256 => sigv4::ChecksumAlgorithm::Sha256,
        }
    }
}

/// `--uri-encoding` values, shared by every command that signs or checks
/// a signature, so the same flags give the same canonical path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UriEncodingArg {
    /// Encode the path once more: %20 becomes %2520 (every service but S3).
    Double,
    /// Use the path as it appears in the request (S3).
    Single,
}

impl From<UriEncodingArg> for UriEncoding {
    fn from(arg: UriEncodingArg) -> Self {
        match arg {
            UriEncodingArg::Double => UriEncoding::Double,
            UriEncodingArg::Single => UriEncoding::Single,
        }
    }
}

/// The region: `--region` if given, else the first of [`REGION_VARS`] set,
/// else the region of the profile `AWS_PROFILE` names (or `default`).
///
/// # Errors
///
/// When none is set, or a value is not a region name.
pub fn region(flag: Option<&Region>) -> Result<Region, CliError> {
    if let Some(region) = flag {
        return Ok(region.clone());
    }
    if let Some(region) = region_or_profile(None)? {
        return Ok(region);
    }
    let [first, second, third] = REGION_VARS;
    Err(CliError::usage(format!(
        "no region: pass --region, set {first}, {second} or {third}, or give the profile a region"
    )))
}

/// The region from the environment ([`REGION_VARS`]), else the region of
/// `profile` (or of `AWS_PROFILE`, else `default`) in the shared config
/// files; `None` when neither names one.
///
/// # Errors
///
/// A variable or profile value that is not a region name, or an
/// unreadable config file.
pub fn region_or_profile(profile: Option<&str>) -> Result<Option<Region>, CliError> {
    for name in REGION_VARS {
        if let Some(value) = env_var(name)? {
            return Region::new(value)
                .map(Some)
                .map_err(|e| CliError::usage(format!("{name}: {e}")));
        }
    }
    sigv4::credentials::profile_region(&sigv4::credentials::Env::process(), profile)
        .map_err(|e| CliError::failure(format!("cannot read the profile's region: {e}")))
}

/// `-` names stdin, as is customary.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Where the input came from, for messages.
fn input_name(path: Option<&Path>) -> String {
    match path {
        Some(path) if !is_stdin(path) => path.display().to_string(),
        _ => "<stdin>".to_owned(),
    }
}

/// Reads a raw HTTP request from `path`, or from stdin when it is `None`
/// or `-`, and parses it.
///
/// # Errors
///
/// When the input cannot be read or is not a raw request; the message
/// names the input and the offending line.
pub fn read_request(path: Option<&Path>) -> Result<http::Request<Vec<u8>>, CliError> {
    let name = input_name(path);
    let bytes = match path {
        Some(path) if !is_stdin(path) => std::fs::read(path),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        }
    }
    .map_err(|e| CliError::failure(format!("cannot read {name}: {e}")))?;
    sigv4::tools::raw::parse_request(&bytes)
        .map_err(|e| CliError::failure(format!("cannot parse the request in {name}: {e}")))
}

/// Writes `bytes` to stdout in one go, so a failure leaves nothing half done
/// by our own hand.
///
/// # Errors
///
/// When stdout is closed or full.
pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))
}

/// The settings `sign` and `verify` share: URI encoding, path
/// normalization, and whether the session token is signed.
pub fn signing_settings(
    uri_encoding: UriEncodingArg,
    no_normalize_path: bool,
    omit_session_token: bool,
) -> sigv4::SigningSettings {
    let token_mode = if omit_session_token {
        sigv4::SessionTokenMode::AddedAfterSigning
    } else {
        sigv4::SessionTokenMode::Signed
    };
    sigv4::SigningSettings::default()
        .with_uri_encoding(uri_encoding.into())
        .with_path_normalization(!no_normalize_path)
        .with_session_token_mode(token_mode)
}

#[cfg(test)]
mod tests {
    use super::summarize_clap_error;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  \
                        --service <SERVICE>\n\nUsage: sigv4 sign --service <SERVICE> [FILE]\n\n\
                        For more information, try '--help'.\n";
        assert_eq!(
            summarize_clap_error(rendered),
            "the following required arguments were not provided: --service <SERVICE>"
        );
        let rendered = "error: unexpected argument '--regoin' found\n\n  tip: a similar \
                        argument exists: '--region'\n\nUsage: sigv4 sign [OPTIONS]\n";
        assert_eq!(
            summarize_clap_error(rendered),
            "unexpected argument '--regoin' found; tip: a similar argument exists: \
             '--region'"
        );
    }
}

/// rustls with the `ring` provider and the system's root certificates; or,
/// with `insecure` (curl's `-k`), with no check of the server's
/// certificate at all (its handshake signatures are still checked).
///
/// # Errors
///
/// No root certificates on the system, or a TLS setup failure.
pub fn tls_config(insecure: bool) -> Result<rustls::ClientConfig, CliError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::failure(format!("TLS setup failed: {e}")))?;
    if insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(CliError::failure("no system root certificates found"));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `-k`: accepts any certificate for any name, as curl's `--insecure`
/// does, while still checking that the server holds the certificate's key.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
