//! `sigv4 proxy --upstream URL`: a local signing proxy, so tools that
//! cannot sign (Gremlin Console, workbenches, notebooks, curl) reach an
//! IAM-protected service. A thin shell over the library's
//! `client::proxy::SigningProxy`: this file parses the options, finds the
//! credentials, builds the TLS connector and runs the listener.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::{TokioIo, TokioTimer};
use sigv4::client::proxy::{ProxyBuilder, ProxyFailure, SigningProxy};
use sigv4::client::{BodyPolicy, SignLayer};
use sigv4::credentials::net::{DefaultChain, HyperTransport};
use sigv4::credentials::ProvideCredentialsAsync;
use sigv4::{Region, Service, Signer};
use tokio::net::TcpListener;
use tower_service::Service as _;

use crate::common::{self, CliError};

/// How long a connection to the upstream may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The options of `sigv4 proxy`.
#[derive(Debug, Args)]
#[command(
    after_help = "Listens on ADDR and forwards every request to URL, signed (SigV4, service\n\
                  neptune-db unless --service says otherwise), with credentials from the\n\
                  environment or the default chain, refreshed as they rotate. Prints\n\
                  `listening on http://ADDR` on stdout once ready; each failure of its own\n\
                  (answered 502, 413, ... with a JSON body) is one line on stderr.\n\
                  Bodies are hashed, up to --max-body bytes (413 above it), or streamed\n\
                  unsigned with --unsigned-payload. WebSocket upgrades (Gremlin's /gremlin)\n\
                  are signed and relayed. Idle upstream connections: at most 64 are kept,\n\
                  each for 30 s."
)]
pub struct ProxyArgs {
    /// Where to forward: http(s)://host:port, no path.
    #[arg(long, value_name = "URL")]
    upstream: String,

    /// The address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,

    /// The region [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// The service signed for.
    #[arg(long, value_name = "SERVICE", default_value = "neptune-db")]
    service: String,

    /// Sign for, send as Host, and check the TLS certificate against, HOST or
    /// HOST:PORT instead of the upstream's (an SSH tunnel, a load balancer).
    #[arg(long, value_name = "HOST")]
    sign_host: Option<String>,

    /// Stream bodies through unread, signed UNSIGNED-PAYLOAD (--max-body
    /// does not apply).
    #[arg(long)]
    unsigned_payload: bool,

    /// The largest body read and hashed; larger ones are refused with 413.
    #[arg(long, value_name = "BYTES", default_value_t = BodyPolicy::DEFAULT_LIMIT)]
    max_body: usize,
}

/// Runs `sigv4 proxy` until it is stopped.
///
/// # Errors
///
/// Bad options (usage), a missing region, credentials in the environment
/// that are half set or malformed, no TLS roots for an https upstream, or
/// an address that cannot be bound.
pub fn run(args: &ProxyArgs) -> Result<(), CliError> {
    let region = common::region(args.region.as_ref())?;
    let service =
        Service::new(&args.service).map_err(|e| CliError::usage(format!("--service: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let mut layer = SignLayer::new(Signer::new(region, service), provider()?);
        if let Some(host) = &args.sign_host {
            layer = layer
                .with_sign_host(host)
                .map_err(|e| CliError::usage(format!("--sign-host: {e}")))?;
        }
        let policy = if args.unsigned_payload {
            BodyPolicy::unsigned()
        } else {
            BodyPolicy::default().with_limit(args.max_body)
        };
        let builder = SigningProxy::builder(&args.upstream, layer.with_body_policy(policy))
            .map_err(|e| CliError::usage(format!("--upstream: {e}")))?
            .on_failure(log);
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        if args.upstream.starts_with("https:") {
            http.enforce_http(false);
            serve(
                builder,
                https(http, args.sign_host.as_deref())?,
                &args.listen,
            )
            .await
        } else {
            serve(builder, http, &args.listen).await
        }
    })
}

/// The environment's credentials when either key is set there (as
/// `common::credentials` decides), else the default chain behind the
/// refreshing cache, asked on every request.
fn provider() -> Result<Arc<dyn ProvideCredentialsAsync>, CliError> {
    if common::env_var("AWS_ACCESS_KEY_ID")?.is_some()
        || common::env_var("AWS_SECRET_ACCESS_KEY")?.is_some()
    {
        return Ok(Arc::new(common::credentials_from_env()?));
    }
    let transport = HyperTransport::new()
        .map_err(|e| CliError::failure(format!("cannot look for credentials: {e}")))?;
    Ok(Arc::new(DefaultChain::new(Arc::new(transport)).cached()))
}

/// hyper-rustls over `http`, checking the certificate against (and
/// sending as SNI) the sign host's name when there is one, else the
/// upstream's.
fn https(
    http: HttpConnector,
    sign_host: Option<&str>,
) -> Result<hyper_rustls::HttpsConnector<HttpConnector>, CliError> {
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(Arc::new(rustls::crypto::ring::default_provider()))
        .map_err(|e| CliError::failure(format!("TLS setup failed: {e}")))?
        .https_or_http();
    let builder = match sign_host {
        Some(host) => {
            let authority: http::uri::Authority = host
                .parse()
                .map_err(|e| CliError::usage(format!("--sign-host: {e}")))?;
            let name = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let name = rustls::pki_types::ServerName::try_from(name.to_owned())
                .map_err(|e| CliError::usage(format!("--sign-host: {e}")))?;
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name))
        }
        None => builder,
    };
    Ok(builder.enable_http1().wrap_connector(http))
}

/// Binds `listen`, says so on stdout, and serves each connection with the
/// proxy (HTTP/1.1, upgrades allowed) until the process is stopped.
async fn serve<C>(builder: ProxyBuilder, connector: C, listen: &str) -> Result<(), CliError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let proxy = builder.build(connector);
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::failure(format!("cannot listen on {listen}: {e}")))?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| CliError::failure(format!("cannot listen on {listen}: {e}")))?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{addr}")
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
    }
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait for some to close.
                eprintln!("sigv4 proxy: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let mut proxy = proxy.clone();
                async move { proxy.call(request).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// One stderr line per failure of the proxy's own.
fn log(failure: &ProxyFailure) {
    let _ = writeln!(std::io::stderr().lock(), "sigv4 proxy: {failure}");
}
