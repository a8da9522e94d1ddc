//! `sigv4 gremlin URL QUERY`: a Gremlin query over a signed WebSocket
//! (Neptune's `/gremlin`), printing the result data of every response
//! message, partial (206) ones first, as one JSON value per line.

use std::sync::Arc;

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use sigv4::neptune::{Endpoint, NeptuneService};
use sigv4::{Region, SigningTime};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{self, CliError};

/// The options of `sigv4 gremlin`.
#[derive(Debug, Args)]
#[command(
    after_help = "Opens a WebSocket to URL (wss://host:8182/gremlin, or ws:// for a local server),\n\
                  signed for neptune-db, sends QUERY as a Gremlin eval request and prints the\n\
                  result data of each response message as JSON, one per line. Credentials as for\n\
                  `sign`. Exits 1 when the handshake is refused or Gremlin answers an error status."
)]
pub struct GremlinArgs {
    /// The Gremlin endpoint: wss://host:8182/gremlin (https:// works too).
    #[arg(value_name = "URL")]
    url: String,

    /// The Gremlin query.
    #[arg(value_name = "QUERY")]
    query: String,

    /// The region [default: $SERVICE_REGION, $AWS_REGION or $AWS_DEFAULT_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,

    /// Take the credentials from this profile of the shared config files.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
}

/// Runs `sigv4 gremlin`.
///
/// # Errors
///
/// A bad URL (usage), missing region or credentials, no connection, a
/// refused handshake (naming its HTTP status) or a Gremlin error status.
pub fn run(args: &GremlinArgs) -> Result<(), CliError> {
    let region = common::region(args.region.as_ref())?;
    let endpoint = Endpoint::from_url(&args.url, region.as_str(), NeptuneService::Database)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.url)))?;
    let runtime = common::runtime()?;
    runtime.block_on(async {
        let credentials = common::credentials(args.profile.as_deref()).await?;
        let mut handshake = http::Request::get(endpoint.gremlin_url())
            .header(http::header::CONNECTION, "Upgrade")
            .header(http::header::UPGRADE, "websocket")
            .header(http::header::SEC_WEBSOCKET_VERSION, "13")
            .header(http::header::SEC_WEBSOCKET_KEY, generate_key())
            .body(())
            .map_err(|e| CliError::usage(format!("{}: {e}", args.url)))?;
        endpoint
            .sign_gremlin_handshake(&mut handshake, &credentials, SigningTime::now())
            .map_err(|e| CliError::failure(format!("cannot sign the handshake: {e}")))?;
        let uri: http::Uri = endpoint
            .gremlin_url()
            .parse()
            .map_err(|e| CliError::usage(format!("{}: {e}", args.url)))?;
        let host = uri.host().unwrap_or_default().to_owned();
        let tls = uri.scheme_str() == Some("wss");
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| CliError::failure(format!("cannot connect to {host}:{port}: {e}")))?;
        let lines = if tls {
            let connector = tokio_rustls::TlsConnector::from(Arc::new(common::tls_config(false)?));
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| CliError::usage(format!("{host}: {e}")))?;
            let stream = connector
                .connect(name, tcp)
                .await
                .map_err(|e| CliError::failure(format!("TLS with {host}:{port} failed: {e}")))?;
            exchange(handshake, stream, &args.query).await?
        } else {
            exchange(handshake, tcp, &args.query).await?
        };
        common::write_stdout(lines.as_bytes())
    })
}

/// Opens the WebSocket with `handshake` over `stream`, sends `query`, and
/// collects each response message's data, until the final status.
async fn exchange<S>(
    handshake: http::Request<()>,
    stream: S,
    query: &str,
) -> Result<String, CliError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut ws, _) = tokio_tungstenite::client_async(handshake, stream)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(response) => CliError::failure(format!(
                "the WebSocket handshake was refused: HTTP {}",
                response.status()
            )),
            other => CliError::failure(format!("the WebSocket handshake failed: {other}")),
        })?;
    let frame = sigv4::neptune::gremlin_eval_frame(query);
    ws.send(Message::binary(frame))
        .await
        .map_err(|e| CliError::failure(format!("cannot send the query: {e}")))?;
    let mut out = String::new();
    loop {
        let message = match ws.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(CliError::failure(format!("the connection failed: {e}"))),
            None => return Err(CliError::failure("the server closed the connection")),
        };
        let text = match message {
            Message::Text(text) => text.as_str().to_owned(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => return Err(CliError::failure("the server closed the connection")),
            _ => continue,
        };
        let reply: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| CliError::failure("the server's reply is not JSON"))?;
        let code = reply
            .pointer("/status/code")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        match code {
            200 | 204 | 206 => {
                let data = reply.pointer("/result/data").cloned().unwrap_or_default();
                out.push_str(&data.to_string());
                out.push('\n');
                if code != 206 {
                    let _ = ws.close(None).await;
                    return Ok(out);
                }
            }
            _ => {
                let message = reply
                    .pointer("/status/message")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                return Err(CliError::failure(format!(
                    "Gremlin status {code}: {}",
                    message.chars().take(200).collect::<String>()
                )));
            }
        }
    }
}
