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
    after_help = "Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,\n\
                  else from the default chain (profile, web identity, container, instance metadata);\n\
                  --profile uses that profile only.\n\
                  Prints the response's status line and body (with -i, its headers too); the exit\n\
                  status is 0 whenever a response arrives, whatever its status, as with curl.\n\
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

    /// The request body; @FILE reads a file (@- stdin) as is. Repeated -d are joined with '&'.
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        allow_hyphen_values = true
    )]
    data: Vec<String>,

    /// Also print the response headers.
    #[arg(short = 'i', long = "include")]
    include: bool,

    /// The region to sign for [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The service to sign for, such as neptune-db.
    #[arg(long, value_name = "SERVICE")]
    service: Service,

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

/// Runs `sigv4 curl`.
///
/// # Errors
///
/// A bad URL, method or header (usage, exit 2); missing region or
/// credentials, an unreadable data file, or no connection (exit 1).
pub fn run(args: &CurlArgs) -> Result<(), CliError> {
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
    let method = parse_method(args.method.as_deref(), !args.data.is_empty())?;
    let headers = args
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| parse_header(i + 1, header))
        .collect::<Result<Vec<_>, _>>()?;
    let signer = args.sigv4a.signer(
        args.region.as_ref(),
        &args.service,
        sigv4::SigningSettings::default(),
    )?;
    if let Some(upload) = args.chunked.upload()? {
        let common::AnySigner::V4(signer) = signer else {
            return Err(CliError::usage("--chunked cannot go with --sigv4a"));
        };
        if args.presign {
            return Err(CliError::usage("--chunked cannot go with --presign"));
        }
        if args.data.is_empty() {
            return Err(CliError::usage(
                "--chunked needs a body: add -d @FILE or -d DATA",
            ));
        }
        return send_chunked(args, method, uri, headers, signer, upload);
    }
    let body = read_data(&args.data)?;
    let mut request = build_request(method, uri, headers, !args.data.is_empty(), body);

    let runtime = common::runtime()?;
    runtime.block_on(async {
        let credentials = common::credentials(args.profile.as_deref()).await?;
        let time = SigningTime::now();
        // The body is moved out while the signer borrows the request.
        let body = std::mem::take(request.body_mut());
        let payload = sigv4::Payload::Bytes(&body);
        match expiry {
            Some(expires_in) => {
                signer
                    .presign(&mut request, payload, &credentials, time, expires_in)
                    .map_err(signing_error)?;
                common::write_stdout(format!("{}\n", request.uri()).as_bytes())
            }
            None => {
                signer
                    .sign(&mut request, payload, &credentials, time)
                    .map_err(signing_error)?;
                *request.body_mut() = body;
                let response = send(request).await?;
                common::write_stdout(&render(&response, args.include))
            }
        }
    })
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

/// The body from the `-d` values: text as is, `@FILE` and `@-` read whole.
fn read_data(data: &[String]) -> Result<Vec<u8>, CliError> {
    let mut body = Vec::new();
    for (i, item) in data.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
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
            None => body.extend_from_slice(item.as_bytes()),
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
) -> Result<(), CliError> {
    let file = match args.data.as_slice() {
        [one] => one.strip_prefix('@').filter(|f| *f != "-"),
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
        None => UploadBody::Memory(Some(hyper::body::Bytes::from(read_data(&args.data)?))),
    };
    let upload = upload.with_decoded_length(body.len());
    let mut request = build_request(method, uri, headers, true, ());
    let target = request
        .uri()
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let runtime = common::runtime()?;
    runtime.block_on(async {
        let credentials = common::credentials(args.profile.as_deref()).await?;
        let encoder = signer
            .sign_chunked(&mut request, &credentials, SigningTime::now(), &upload)
            .map_err(signing_error)?;
        let request = request.map(|()| sigv4::AwsChunkedBody::new(body, encoder));
        let transport = HyperTransport::with_timeouts(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
            .map_err(|e| CliError::failure(format!("cannot set up the HTTP client: {e}")))?;
        let response = transport
            .send_streaming(request)
            .await
            .map_err(|e| transport_failure(&target, e))?;
        common::write_stdout(&render(&response, args.include))
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

/// Sends the signed request over hyper and rustls.
async fn send(request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, CliError> {
    let target = request
        .uri()
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let transport = HyperTransport::with_timeouts(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
        .map_err(|e| CliError::failure(format!("cannot set up the HTTP client: {e}")))?;
    let transport: Arc<dyn HttpTransport> = Arc::new(transport);
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

/// The status line, with `-i` the headers and a blank line, then the body.
fn render(response: &Response<Vec<u8>>, include: bool) -> Vec<u8> {
    let status = response.status();
    let mut line = format!("{:?} {}", response.version(), status.as_str());
    if let Some(reason) = status.canonical_reason() {
        line.push(' ');
        line.push_str(reason);
    }
    line.push('\n');
    let mut out = line.into_bytes();
    if include {
        for (name, value) in response.headers() {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(response.body());
    out
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
        let data = ["a=1".to_owned(), "b=2".to_owned()];
        assert_eq!(read_data(&data).ok(), Some(b"a=1&b=2".to_vec()));
        assert_eq!(read_data(&[]).ok(), Some(Vec::new()));
        assert!(read_data(&["@/no/such/file".to_owned()]).is_err());
    }

    #[test]
    fn responses_render_like_curl() {
        let response = Response::builder()
            .status(404)
            .header("x-a", "1")
            .body(b"gone".to_vec())
            .expect("response");
        assert_eq!(render(&response, false), b"HTTP/1.1 404 Not Found\ngone");
        assert_eq!(
            render(&response, true),
            b"HTTP/1.1 404 Not Found\nx-a: 1\n\ngone"
        );
        let odd = Response::builder()
            .status(599)
            .body(Vec::new())
            .expect("response");
        assert_eq!(render(&odd, false), b"HTTP/1.1 599\n");
    }
}
