//! `sigv4 curl`: sign a request with the default credential chain and send
//! it (or print a presigned URL), in the manner of `awscurl`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, Uri};
use sigv4::credentials::net::{HttpTransport, HyperTransport, TransportError};
use sigv4::{Region, Service, Signer, SigningError, SigningTime, MAX_PRESIGN_EXPIRY};

use crate::common::{self, CliError};
use crate::sign::DEFAULT_EXPIRES_SECS;

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the whole response once connected: long, since a
/// database query may well take minutes.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(600);

/// The content type curl sends with `-d` unless told otherwise.
const FORM: &str = "application/x-www-form-urlencoded";

/// The options of `sigv4 curl`.
#[derive(Debug, Args)]
#[command(
    after_help = "Credentials come from --access-key/--secret-key/--session-token, else from\n\
                  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN),\n\
                  else from the default chain (profile, web identity, container, instance metadata);\n\
                  --profile uses that profile only.\n\
                  The region comes from --region, else SERVICE_REGION, AWS_REGION or AWS_DEFAULT_REGION,\n\
                  else the profile's region (--profile, AWS_PROFILE or default).\n\
                  Without --service, the service is read from an AWS host name (neptune-db for\n\
                  *.neptune.amazonaws.com, s3 for S3 hosts, else the first label of\n\
                  SERVICE.REGION.amazonaws.com); for any other host --service is required.\n\
                  S3 (--s3, or service s3): the path is encoded once and not normalized,\n\
                  x-amz-content-sha256 is always sent, and presigned URLs sign UNSIGNED-PAYLOAD.\n\
                  Only the response body goes to stdout (-i adds the status line and headers).\n\
                  The exit status is 0 whenever a response arrives, whatever its status, as with curl;\n\
                  with -f or --fail-with-body an HTTP status of 400 or more exits with 22.\n\
                  Errors (bad URL or header, no credentials, no connection) exit with 1, or 2 for a\n\
                  usage error."
)]
pub struct CurlArgs {
    /// The URL, http:// or https://.
    #[arg(value_name = "URL")]
    url: String,

    /// The method [default: GET, or POST with -d].
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,

    /// A request header, as 'Name: value'; may be repeated.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,

    /// The request body, as curl's -d: @FILE reads a file (@- stdin) and drops its CR and LF
    /// bytes. Repeated -d and --data-binary are joined with '&', in order.
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        allow_hyphen_values = true
    )]
    data: Vec<String>,

    /// The request body, as curl's --data-binary: @FILE reads a file (@- stdin) byte for byte.
    #[arg(long = "data-binary", value_name = "DATA", allow_hyphen_values = true)]
    data_binary: Vec<String>,

    /// Where each -d and --data-binary stood on the command line (set by main).
    #[arg(skip)]
    pub data_order: Vec<DataKind>,

    /// Print the response's status line and headers before its body.
    #[arg(short = 'i', long = "include")]
    include: bool,

    /// On an HTTP status of 400 or more, print no body and exit with 22.
    #[arg(short = 'f', long = "fail", conflicts_with = "fail_with_body")]
    fail: bool,

    /// On an HTTP status of 400 or more, print the body and exit with 22.
    #[arg(long = "fail-with-body")]
    fail_with_body: bool,

    /// Write the output to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<std::path::PathBuf>,

    /// Print the canonical request and string to sign (the session token redacted), and the
    /// request and response heads, to stderr.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,

    /// Accept any TLS certificate, for any name (a test server's own).
    #[arg(short = 'k', long = "insecure")]
    insecure: bool,

    /// Follow redirects (3xx with Location), signing each hop again.
    #[arg(short = 'L', long = "location")]
    location: bool,

    /// With -L: the most redirects to follow.
    #[arg(long = "max-redirs", value_name = "N", default_value_t = 50)]
    max_redirs: u32,

    /// The access key id to sign with (needs --secret-key).
    #[arg(
        long = "access-key",
        value_name = "ID",
        requires = "secret_key",
        conflicts_with = "profile"
    )]
    access_key: Option<String>,

    /// The secret access key to sign with (needs --access-key). Visible to other users of
    /// this machine in the process list: prefer the environment or a profile.
    #[arg(long = "secret-key", value_name = "KEY", requires = "access_key")]
    secret_key: Option<String>,

    /// The session token of temporary credentials (with --access-key and --secret-key).
    #[arg(long = "session-token", value_name = "TOKEN", requires = "access_key")]
    session_token: Option<String>,

    /// S3 rules: single URI encoding, no path normalization, x-amz-content-sha256 always
    /// sent, presigned URLs with UNSIGNED-PAYLOAD (on by itself for service s3).
    #[arg(long)]
    s3: bool,

    /// The region to sign for [default: $SERVICE_REGION, $AWS_REGION, $AWS_DEFAULT_REGION or the profile's].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The service to sign for, such as neptune-db [default: read from an AWS host name].
    #[arg(long, value_name = "SERVICE")]
    service: Option<Service>,

    /// Take the credentials from this profile of the shared config files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Print a presigned URL instead of sending the request.
    #[arg(long)]
    presign: bool,

    /// With --presign: how long the URL stays valid, in seconds, 1 to 604800 [default: 3600].
    #[arg(
        long,
        value_name = "SECS",
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(u64).range(1..=MAX_PRESIGN_EXPIRY.as_secs())
    )]
    expires: Option<u64>,

    /// aws-chunked uploads: with `-d @FILE` the file is streamed, a chunk
    /// at a time, never read whole.
    #[command(flatten)]
    chunked: common::ChunkedArgs,

    /// SigV4a.
    #[command(flatten)]
    sigv4a: common::SigV4aArgs,
}

/// Which data option a body part came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// `-d`/`--data`: a file's CR and LF bytes are dropped, as curl does.
    Data,
    /// `--data-binary`: a file is sent byte for byte.
    Binary,
}

/// The exit status for an HTTP error under `-f` or `--fail-with-body`, as curl's.
const EXIT_HTTP_ERROR: u8 = 22;

/// Runs `sigv4 curl`.
///
/// # Errors
///
/// A bad URL, method or header (usage, exit 2); missing region or
/// credentials, an unreadable data file, or no connection (exit 1).
pub fn run(args: &CurlArgs) -> Result<std::process::ExitCode, CliError> {
    let expiry = match (args.presign, args.expires) {
        (true, expires) => Some(Duration::from_secs(expires.unwrap_or(DEFAULT_EXPIRES_SECS))),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(CliError::usage(
                "--expires only applies to presigned URLs: add --presign",
            ))
        }
    };
    let uri = parse_url(&args.url)?;
    let has_data = !args.data.is_empty() || !args.data_binary.is_empty();
    let method = parse_method(args.method.as_deref(), has_data)?;
    let headers = args
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| parse_header(i + 1, header))
        .collect::<Result<Vec<_>, _>>()?;
    let service = match &args.service {
        Some(service) => service.clone(),
        None => service_from_host(uri.host().unwrap_or_default())?,
    };
    let s3 = args.s3 || service.as_str() == "s3";
    let settings = if s3 {
        sigv4::SigningSettings::s3()
    } else {
        sigv4::SigningSettings::default()
    };
    let region = match &args.region {
        Some(region) => Some(region.clone()),
        None => common::region_or_profile(args.profile.as_deref())?,
    };
    let signer = args.sigv4a.signer(region.as_ref(), &service, settings)?;
    let credentials_source = CredentialsSource::from_args(args)?;
    if let Some(upload) = args.chunked.upload()? {
        let common::AnySigner::V4(signer) = signer else {
            return Err(CliError::usage("--chunked cannot go with --sigv4a"));
        };
        if args.presign {
            return Err(CliError::usage("--chunked cannot go with --presign"));
        }
        if !has_data {
            return Err(CliError::usage(
                "--chunked needs a body: add -d @FILE or -d DATA",
            ));
        }
        return send_chunked(
            args,
            method,
            uri,
            headers,
            signer,
            upload,
            &credentials_source,
        );
    }
    let body = read_data(&data_items(args))?;

    let runtime = common::runtime()?;
    runtime.block_on(async {
        let credentials = credentials_source.get().await?;
        let mut hop = Hop {
            method,
            uri,
            headers,
            body,
            has_data,
        };
        if let Some(expires_in) = expiry {
            let mut request = hop.request();
            let payload = if s3 {
                sigv4::Payload::Unsigned
            } else {
                sigv4::Payload::Bytes(&hop.body)
            };
            let time = SigningTime::now();
            if args.verbose {
                let location = sigv4::SignatureLocation::Query {
                    expires: expires_in.as_secs(),
                };
                let text = signer
                    .explain(&request, payload, &credentials, time, location)
                    .map_err(signing_error)?;
                verbose(&format!("{text}\n"));
            }
            signer
                .presign(&mut request, payload, &credentials, time, expires_in)
                .map_err(signing_error)?;
            common::write_stdout(format!("{}\n", request.uri()).as_bytes())?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
        let mut redirects = 0;
        loop {
            let mut request = hop.request();
            let time = SigningTime::now();
            let payload = sigv4::Payload::Bytes(&hop.body);
            if args.verbose {
                let text = signer
                    .explain(
                        &request,
                        payload,
                        &credentials,
                        time,
                        sigv4::SignatureLocation::Header,
                    )
                    .map_err(signing_error)?;
                verbose(&format!("{text}\n"));
            }
            signer
                .sign(&mut request, payload, &credentials, time)
                .map_err(signing_error)?;
            if args.verbose {
                verbose(&request_head(&request));
            }
            let response = send(request, args.insecure).await?;
            if args.verbose {
                verbose(&response_head(&response));
            }
            if args.location {
                if let Some(next) = redirect(&hop, &response)? {
                    if redirects >= args.max_redirs {
                        return Err(CliError::failure(format!(
                            "too many redirects: more than {} (--max-redirs)",
                            args.max_redirs
                        )));
                    }
                    redirects += 1;
                    hop = next;
                    continue;
                }
            }
            return emit(args, &response);
        }
    })
}

/// One request of a `-L` chain: what is signed and sent.
struct Hop {
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    has_data: bool,
}

impl Hop {
    fn request(&self) -> Request<Vec<u8>> {
        build_request(
            self.method.clone(),
            self.uri.clone(),
            self.headers.clone(),
            self.has_data,
            self.body.clone(),
        )
    }
}

/// The next hop when `response` is a redirect with a `Location`, as curl
/// follows one: 303, and 301 or 302 after a POST, become a GET without a
/// body; 307 and 308 keep the method and body. A `Host` given with -H is
/// dropped when the redirect leaves that host.
fn redirect(hop: &Hop, response: &Response<Vec<u8>>) -> Result<Option<Hop>, CliError> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = response.headers().get(http::header::LOCATION) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| CliError::failure("the redirect's Location is not text"))?;
    let uri = resolve(&hop.uri, location)?;
    let to_get = status == 303 && hop.method != Method::HEAD
        || matches!(status, 301 | 302) && hop.method == Method::POST;
    let same_host = uri.authority() == hop.uri.authority();
    let headers = hop
        .headers
        .iter()
        .filter(|(name, _)| same_host || name != http::header::HOST)
        .filter(|(name, _)| {
            !to_get || (name != CONTENT_TYPE && name != http::header::CONTENT_LENGTH)
        })
        .cloned()
        .collect();
    Ok(Some(Hop {
        method: if to_get {
            Method::GET
        } else {
            hop.method.clone()
        },
        uri,
        headers,
        body: if to_get { Vec::new() } else { hop.body.clone() },
        has_data: hop.has_data && !to_get,
    }))
}

/// A `Location` resolved against the URL that answered with it: absolute,
/// scheme-relative (`//host/x`), absolute-path (`/x`) or relative (`x`).
fn resolve(base: &Uri, location: &str) -> Result<Uri, CliError> {
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let absolute = if location.contains("://") {
        location.to_owned()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{scheme}://{authority}{dir}{location}")
    };
    parse_url(&absolute)
        .map_err(|_| CliError::failure("the redirect's Location is not a usable http or https URL"))
}

/// Writes what the response earns to stdout or `-o FILE`: with `-i` the
/// status line and headers, then the body; under `-f` an HTTP error writes
/// nothing, and under either fail option it exits with 22.
fn emit(args: &CurlArgs, response: &Response<Vec<u8>>) -> Result<std::process::ExitCode, CliError> {
    let status = response.status();
    let failed = status.as_u16() >= 400 && (args.fail || args.fail_with_body);
    if !(failed && args.fail) {
        let mut out = Vec::new();
        if args.include {
            out.extend_from_slice(head(response).as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(response.body());
        match &args.output {
            Some(path) => std::fs::write(path, &out)
                .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?,
            None => common::write_stdout(&out)?,
        }
    }
    if failed {
        let reason = status.canonical_reason().unwrap_or("");
        return Err(CliError::with_code(
            format!("the server answered HTTP {} {reason}", status.as_str())
                .trim_end()
                .to_owned(),
            EXIT_HTTP_ERROR,
        ));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// The status line and headers, one per line.
fn head(response: &Response<Vec<u8>>) -> String {
    let status = response.status();
    let mut out = format!("{:?} {}", response.version(), status.as_str());
    if let Some(reason) = status.canonical_reason() {
        out.push(' ');
        out.push_str(reason);
    }
    out.push('\n');
    for (name, value) in response.headers() {
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push('\n');
    }
    out
}

/// `-v`: the signed request's head as `> ` lines, the session token redacted.
fn request_head(request: &Request<Vec<u8>>) -> String {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let mut out = format!("> {} {target} HTTP/1.1\n", request.method());
    for (name, value) in request.headers() {
        let value = if name == "x-amz-security-token" {
            "<redacted>".into()
        } else {
            String::from_utf8_lossy(value.as_bytes())
        };
        out.push_str(&format!("> {name}: {value}\n"));
    }
    out.push_str(">\n");
    out
}

/// `-v`: the response's head as `< ` lines.
fn response_head(response: &Response<Vec<u8>>) -> String {
    let mut out: String = head(response).lines().map(|l| format!("< {l}\n")).collect();
    out.push_str("<\n");
    out
}

/// Writes `-v` text to stderr.
fn verbose(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The service an AWS host name names: `neptune-db` for Neptune clusters,
/// `neptune-graph` for Neptune Analytics, `s3` for S3 (virtual-hosted or
/// path style), else the first label of `SERVICE.REGION.amazonaws.com`.
fn service_from_host(host: &str) -> Result<Service, CliError> {
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let aws =
        labels.ends_with(&["amazonaws", "com"]) || labels.ends_with(&["amazonaws", "com", "cn"]);
    let name = if !aws {
        None
    } else if labels.contains(&"neptune-graph") {
        Some("neptune-graph")
    } else if labels.contains(&"neptune") {
        Some("neptune-db")
    } else if labels.iter().any(|l| *l == "s3" || l.starts_with("s3-")) {
        Some("s3")
    } else {
        labels.first().copied()
    };
    match name {
        Some(name) => Service::new(name).map_err(|e| CliError::usage(format!("--service: {e}"))),
        None => Err(CliError::usage(
            "no service: pass --service (such as neptune-db); it is read from the host only \
             for AWS host names",
        )),
    }
}

/// The `-d` and `--data-binary` values in command-line order.
fn data_items(args: &CurlArgs) -> Vec<(DataKind, &str)> {
    let mut data = args.data.iter();
    let mut binary = args.data_binary.iter();
    let mut items: Vec<(DataKind, &str)> = args
        .data_order
        .iter()
        .filter_map(|kind| {
            let value = match kind {
                DataKind::Data => data.next(),
                DataKind::Binary => binary.next(),
            };
            value.map(|v| (*kind, v.as_str()))
        })
        .collect();
    // Whatever main did not order (a caller that set no order) follows.
    items.extend(data.map(|v| (DataKind::Data, v.as_str())));
    items.extend(binary.map(|v| (DataKind::Binary, v.as_str())));
    items
}

/// Where the signing credentials come from: the command line, or the
/// environment, profile and chain.
enum CredentialsSource {
    Given(sigv4::Credentials),
    Found(Option<String>),
}

impl CredentialsSource {
    fn from_args(args: &CurlArgs) -> Result<Self, CliError> {
        let (Some(id), Some(secret)) = (&args.access_key, &args.secret_key) else {
            return Ok(Self::Found(args.profile.clone()));
        };
        let credentials = sigv4::Credentials::new(id.as_str(), secret.as_str())
            .map_err(|e| CliError::usage(format!("bad --access-key or --secret-key: {e}")))?;
        Ok(Self::Given(match &args.session_token {
            Some(token) => credentials
                .with_session_token(token.as_str())
                .map_err(|e| CliError::usage(format!("bad --session-token: {e}")))?,
            None => credentials,
        }))
    }

    async fn get(&self) -> Result<sigv4::Credentials, CliError> {
        match self {
            Self::Given(credentials) => Ok(credentials.clone()),
            Self::Found(profile) => common::credentials(profile.as_deref()).await,
        }
    }
}

/// An absolute `http` or `https` URL with a host. The URL itself is not
/// repeated in messages: it may carry a presigned token.
fn parse_url(url: &str) -> Result<Uri, CliError> {
    let bad = |why: &str| CliError::usage(format!("bad URL: {why}"));
    let uri: Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        Some(_) => return Err(bad("only http:// and https:// are supported")),
        None => return Err(bad("expected http://HOST/PATH or https://HOST/PATH")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    // Not signed by SigV4, and a password there would end up in messages.
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(bad("user info (user:password@) is not supported"));
    }
    Ok(uri)
}

/// `-X`, else GET, or POST when there is data.
fn parse_method(method: Option<&str>, has_data: bool) -> Result<Method, CliError> {
    match method {
        Some(method) => Method::from_bytes(method.as_bytes())
            .map_err(|_| CliError::usage(format!("bad method {method:?}: expected an HTTP token"))),
        None if has_data => Ok(Method::POST),
        None => Ok(Method::GET),
    }
}

/// `Name: value`. Only a valid name is repeated in messages, never a value
/// (it may be a credential).
fn parse_header(index: usize, header: &str) -> Result<(HeaderName, HeaderValue), CliError> {
    let Some((name, value)) = header.split_once(':') else {
        return Err(CliError::usage(format!(
            "bad header (-H number {index}): no colon; expected 'Name: value'"
        )));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        CliError::usage(format!(
            "bad header (-H number {index}): the name is not an HTTP token"
        ))
    })?;
    let mut value = HeaderValue::from_str(value.trim()).map_err(|_| {
        CliError::usage(format!(
            "bad header {name}: the value holds a character not allowed in HTTP"
        ))
    })?;
    value.set_sensitive(true);
    Ok((name, value))
}

/// The body from the `-d` and `--data-binary` values, joined with `&`:
/// text as is, `@FILE` and `@-` read whole (for `-d`, without CR and LF).
fn read_data(data: &[(DataKind, &str)]) -> Result<Vec<u8>, CliError> {
    let mut body = Vec::new();
    for (i, (kind, item)) in data.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        let start = body.len();
        match item.strip_prefix('@') {
            Some("-") => {
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut body)
                    .map_err(|e| CliError::failure(format!("cannot read <stdin>: {e}")))?;
            }
            Some(file) => {
                let bytes = std::fs::read(Path::new(file))
                    .map_err(|e| CliError::failure(format!("cannot read {file}: {e}")))?;
                body.extend_from_slice(&bytes);
            }
            None => {
                body.extend_from_slice(item.as_bytes());
                continue;
            }
        }
        if *kind == DataKind::Data {
            let mut kept = start;
            for i in start..body.len() {
                if body[i] != b'\r' && body[i] != b'\n' {
                    body[kept] = body[i];
                    kept += 1;
                }
            }
            body.truncate(kept);
        }
    }
    Ok(body)
}

/// The request to sign: method, URI, the `-H` headers, and with data the
/// form content type unless a header set one.
fn build_request<B>(
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    has_data: bool,
    body: B,
) -> Request<B> {
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    for (name, value) in headers {
        request.headers_mut().append(name, value);
    }
    if has_data && !request.headers().contains_key(CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
    }
    request
}

/// Signs and sends the body as aws-chunked: a single `-d @FILE` streams
/// from the file, a chunk at a time; other data is framed from memory.
fn send_chunked(
    args: &CurlArgs,
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    signer: Signer,
    upload: sigv4::ChunkedUpload,
    credentials: &CredentialsSource,
) -> Result<std::process::ExitCode, CliError> {
    let items = data_items(args);
    let file = match items.as_slice() {
        [(DataKind::Binary, one)] => one.strip_prefix('@').filter(|f| *f != "-"),
        _ => None,
    };
    let body = match file {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| CliError::failure(format!("cannot read {path}: {e}")))?;
            let len = file
                .metadata()
                .map_err(|e| CliError::failure(format!("cannot read {path}: {e}")))?
                .len();
            UploadBody::File(FileBody {
                file,
                remaining: len,
            })
        }
        None => UploadBody::Memory(Some(hyper::body::Bytes::from(read_data(&items)?))),
    };
    let upload = upload.with_decoded_length(body.len());
    let mut request = build_request(method, uri, headers, true, ());
    let target = request
        .uri()
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let runtime = common::runtime()?;
    runtime.block_on(async {
        let credentials = credentials.get().await?;
        let encoder = signer
            .sign_chunked(&mut request, &credentials, SigningTime::now(), &upload)
            .map_err(signing_error)?;
        let request = request.map(|()| sigv4::AwsChunkedBody::new(body, encoder));
        let response = transport(args.insecure)?
            .send_streaming(request)
            .await
            .map_err(|e| transport_failure(&target, e))?;
        emit(args, &response)
    })
}

/// What `--chunked` uploads: a file, streamed, or data in memory.
enum UploadBody {
    File(FileBody),
    Memory(Option<hyper::body::Bytes>),
}

impl UploadBody {
    fn len(&self) -> u64 {
        match self {
            Self::File(file) => file.remaining,
            Self::Memory(bytes) => bytes.as_ref().map_or(0, |b| b.len() as u64),
        }
    }
}

/// A file read 64 KiB at a time as it is sent. Reads block (a local file,
/// for a command sending one request), and a file that shrinks meanwhile
/// fails the upload rather than sending less than was signed.
struct FileBody {
    file: std::fs::File,
    remaining: u64,
}

impl http_body::Body for UploadBody {
    type Data = hyper::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let frame = match &mut *self {
            Self::Memory(bytes) => bytes.take().map(|b| Ok(http_body::Frame::data(b))),
            Self::File(file) => file.next_piece().map(|r| r.map(http_body::Frame::data)),
        };
        std::task::Poll::Ready(frame)
    }
}

impl FileBody {
    fn next_piece(&mut self) -> Option<Result<hyper::body::Bytes, std::io::Error>> {
        if self.remaining == 0 {
            return None;
        }
        let want = usize::try_from(self.remaining.min(64 * 1024)).unwrap_or(64 * 1024);
        let mut piece = vec![0u8; want];
        match self.file.read(&mut piece) {
            Ok(0) => Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was sent",
            ))),
            Ok(n) => {
                piece.truncate(n);
                self.remaining -= n as u64;
                Some(Ok(hyper::body::Bytes::from(piece)))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The HTTP client: hyper over rustls, with the system's roots, or with
/// no certificate check for `-k`.
fn transport(insecure: bool) -> Result<HyperTransport, CliError> {
    if insecure {
        let tls = common::tls_config(true)?;
        return Ok(HyperTransport::with_tls_config(
            tls,
            CONNECT_TIMEOUT,
            RESPONSE_TIMEOUT,
        ));
    }
    HyperTransport::with_timeouts(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
        .map_err(|e| CliError::failure(format!("cannot set up the HTTP client: {e}")))
}

/// Sends the signed request over hyper and rustls.
async fn send(request: Request<Vec<u8>>, insecure: bool) -> Result<Response<Vec<u8>>, CliError> {
    let target = request
        .uri()
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let transport: Arc<dyn HttpTransport> = Arc::new(transport(insecure)?);
    transport
        .send(request)
        .await
        .map_err(|e| transport_failure(&target, e))
}

/// One line saying why the request to `target` got no response.
fn transport_failure(target: &str, error: TransportError) -> CliError {
    match error {
        TransportError::Connect { reason } => {
            CliError::failure(format!("cannot connect to {target}: {reason}"))
        }
        TransportError::Timeout => CliError::failure(format!("{target} did not answer in time")),
        other => CliError::failure(format!("request to {target} failed: {other}")),
    }
}

/// Explains a signing failure.
fn signing_error(error: SigningError) -> CliError {
    CliError::failure(format!("cannot sign the request: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_colon_value() {
        let (name, value) = parse_header(1, "X-Test:  a b ").expect("header");
        assert_eq!(name, "x-test");
        assert_eq!(value, "a b");
        assert!(value.is_sensitive());
        let (_, value) = parse_header(1, "X-Empty:").expect("header");
        assert_eq!(value, "");
        let (_, value) = parse_header(1, "X-Url: http://a:1/").expect("header");
        assert_eq!(value, "http://a:1/");
        assert!(parse_header(1, "no colon").is_err());
        assert!(parse_header(1, "bad name: x").is_err());
        assert!(parse_header(1, ": x").is_err());
        assert!(parse_header(1, "X: a\u{7f}").is_err());
    }

    #[test]
    fn urls_are_absolute_http_or_https() {
        assert!(parse_url("https://db.example.com:8182/status").is_ok());
        assert!(parse_url("HTTP://db.example.com").is_ok());
        for bad in [
            "",
            "db.example.com/x",
            "/x",
            "ftp://h/",
            "http:///x",
            "http://u:p@h/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_method_follows_curl() {
        assert_eq!(parse_method(None, false).ok(), Some(Method::GET));
        assert_eq!(parse_method(None, true).ok(), Some(Method::POST));
        assert_eq!(parse_method(Some("PUT"), true).ok(), Some(Method::PUT));
        assert!(parse_method(Some("G T"), false).is_err());
        assert!(parse_method(Some(""), false).is_err());
    }

    #[test]
    fn data_items_are_joined_with_ampersands() {
        let data = [(DataKind::Data, "a=1"), (DataKind::Binary, "b=2\n")];
        assert_eq!(read_data(&data).ok(), Some(b"a=1&b=2\n".to_vec()));
        assert_eq!(read_data(&[]).ok(), Some(Vec::new()));
        assert!(read_data(&[(DataKind::Data, "@/no/such/file")]).is_err());
    }

    #[test]
    fn responses_render_like_curl() {
        let response = Response::builder()
            .status(404)
            .header("x-a", "1")
            .body(b"gone".to_vec())
            .expect("response");
        assert_eq!(head(&response), "HTTP/1.1 404 Not Found\nx-a: 1\n");
        let odd = Response::builder()
            .status(599)
            .body(Vec::new())
            .expect("response");
        assert_eq!(head(&odd), "HTTP/1.1 599\n");
    }

    #[test]
    fn the_service_is_read_from_aws_host_names() {
        for (host, service) in [
            (
                "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com",
                "neptune-db",
            ),
            (
                "g-abc.us-east-1.neptune-graph.amazonaws.com",
                "neptune-graph",
            ),
            ("bucket.s3.eu-west-1.amazonaws.com", "s3"),
            ("s3.amazonaws.com", "s3"),
            ("s3-us-west-2.amazonaws.com", "s3"),
            ("sts.us-east-1.amazonaws.com", "sts"),
            ("execute-api.cn-north-1.amazonaws.com.cn", "execute-api"),
        ] {
            assert_eq!(
                service_from_host(host).ok().as_ref().map(Service::as_str),
                Some(service),
                "{host}"
            );
        }
        for host in ["127.0.0.1", "example.com", "amazonaws.com.evil.org"] {
            assert!(service_from_host(host).is_err(), "{host}");
        }
    }

    #[test]
    fn redirects_resolve_as_browsers_do() {
        let base: Uri = "https://h:1/a/b?x=1".parse().expect("uri");
        for (location, expected) in [
            ("https://o/p", "https://o/p"),
            ("//o:2/p", "https://o:2/p"),
            ("/p?q=1", "https://h:1/p?q=1"),
            ("c", "https://h:1/a/c"),
        ] {
            assert_eq!(
                resolve(&base, location).ok().map(|u| u.to_string()),
                Some(expected.to_owned())
            );
        }
        assert!(resolve(&base, "ftp://o/").is_err());
    }
}
