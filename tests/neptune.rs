//! `sigv4::neptune` against the local Neptune-like server
//! (tests/support/neptune_server.rs, behind `SigV4Layer`) on 127.0.0.1:
//! every builder's signed request is accepted and any change to a signed
//! part refused; the Gremlin WebSocket handshake signed for a fresh
//! connection works; Bolt tokens verify as Neptune checks them and are
//! refused tampered, expired, under a wrong secret or without a required
//! token; a loopback proxy in front of the server, signed for the
//! server's host, is accepted.

#[path = "support/neptune_client.rs"]
mod neptune_client;
#[path = "support/neptune_server.rs"]
mod neptune_server;

use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use neptune_server::{
    demo_credentials, RunningServer, ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_TEMP_ACCESS_KEY_ID,
};
use sigv4::credentials::net::{HttpTransport, HyperTransport};
use sigv4::neptune::{verify_bolt_token, Endpoint, NeptuneService, StreamKind};
use sigv4::verify::{Verifier, VerifyError};
use sigv4::{Credentials, SigningTime};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

async fn server() -> RunningServer {
    neptune_server::start(ServerConfig::default())
        .await
        .unwrap()
}

fn credentials(id: &str) -> Credentials {
    demo_credentials()
        .into_iter()
        .find(|c| c.access_key_id() == id)
        .unwrap()
}

fn endpoint(server: &RunningServer) -> Endpoint {
    Endpoint::from_url(&server.endpoint(), "us-east-1", NeptuneService::Database).unwrap()
}

async fn send(request: Request<Vec<u8>>) -> (StatusCode, String) {
    let response = HyperTransport::new().unwrap().send(request).await.unwrap();
    (
        response.status(),
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

/// Every builder, for the database.
fn requests(endpoint: &Endpoint) -> Vec<(&'static str, Request<Vec<u8>>)> {
    vec![
        (
            "sparql_query",
            endpoint
                .sparql_query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
                .unwrap(),
        ),
        (
            "sparql_query_get",
            endpoint.sparql_query_get("ASK { ?s ?p ?o }").unwrap(),
        ),
        (
            "sparql_update",
            endpoint
                .sparql_update("INSERT DATA { <a:b> <a:c> <a:d> }")
                .unwrap(),
        ),
        (
            "open_cypher",
            endpoint
                .open_cypher("MATCH (n) RETURN n LIMIT 1", None)
                .unwrap(),
        ),
        (
            "open_cypher with parameters",
            endpoint
                .open_cypher(
                    "MATCH (n {name: $name}) RETURN n",
                    Some(r#"{"name":"x y"}"#),
                )
                .unwrap(),
        ),
        (
            "gremlin",
            endpoint.gremlin("g.V().limit(1).count()").unwrap(),
        ),
        ("status", endpoint.status().unwrap()),
        ("loader_status", endpoint.loader_status(None).unwrap()),
        (
            "loader_status id",
            endpoint.loader_status(Some("ef4e5a2c-3b4f")).unwrap(),
        ),
        (
            "start_load",
            endpoint
                .start_load(r#"{"source":"s3://b/k","format":"csv"}"#)
                .unwrap(),
        ),
        (
            "stream",
            endpoint
                .stream(
                    StreamKind::PropertyGraph,
                    &[("limit", "10"), ("iteratorType", "TRIM_HORIZON")],
                )
                .unwrap(),
        ),
        (
            "sparql stream",
            endpoint.stream(StreamKind::Sparql, &[]).unwrap(),
        ),
    ]
}

#[tokio::test]
async fn every_builder_is_accepted_and_any_change_refused() {
    let server = server().await;
    let endpoint = endpoint(&server);
    for creds in [
        credentials(DEMO_ACCESS_KEY_ID),
        credentials(DEMO_TEMP_ACCESS_KEY_ID),
    ] {
        for (name, mut request) in requests(&endpoint) {
            let expiry = endpoint
                .sign(&mut request, &creds, SigningTime::now())
                .unwrap();
            assert!(
                expiry.earliest() > SigningTime::now().unix_seconds(),
                "{name}"
            );
            let (status, body) = send(request.clone()).await;
            assert_ne!(status, StatusCode::FORBIDDEN, "{name}: {body}");
            if matches!(
                name,
                "sparql_query" | "sparql_query_get" | "open_cypher" | "status"
            ) {
                assert_eq!(status, StatusCode::OK, "{name}: {body}");
            }
            // A changed body byte, path, query or signed header: refused.
            let mut changed = Vec::new();
            if !request.body().is_empty() {
                let mut r = request.clone();
                let last = r.body().len() - 1;
                r.body_mut()[last] ^= 1;
                changed.push(r);
            }
            let mut r = request.clone();
            *r.uri_mut() = format!("{}x", r.uri()).parse().unwrap();
            changed.push(r);
            let mut r = request.clone();
            r.headers_mut()
                .insert("x-amz-date", "20150830T123600Z".parse().unwrap());
            changed.push(r);
            for r in changed {
                let (status, body) = send(r).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{name}: changed: {body}");
            }
        }
    }
}

/// Neptune Analytics: `POST /queries`, signed for `neptune-graph`, is
/// accepted by a server standing in for it, and refused by one for
/// `neptune-db`.
#[tokio::test]
async fn analytics_queries_are_signed_for_neptune_graph() {
    let analytics = neptune_server::start(ServerConfig {
        service: "neptune-graph".to_owned(),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let creds = credentials(DEMO_TEMP_ACCESS_KEY_ID);
    let endpoint = Endpoint::from_url(
        &analytics.endpoint(),
        "us-east-1",
        NeptuneService::Analytics,
    )
    .unwrap();
    let mut request = endpoint
        .analytics_query("MATCH (n) RETURN n LIMIT 1", Some(r#"{"x":1}"#))
        .unwrap();
    endpoint
        .sign(&mut request, &creds, SigningTime::now())
        .unwrap();
    let (status, body) = send(request.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("MATCH (n) RETURN n LIMIT 1"), "{body}");
    // The same request to a Neptune Database server: the service differs.
    let database = server().await;
    let mut retargeted = request;
    *retargeted.uri_mut() = format!("{}/queries", database.endpoint()).parse().unwrap();
    let (status, body) = send(retargeted).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

/// A fresh signed handshake per connection, with tokio-tungstenite.
#[tokio::test]
async fn the_gremlin_handshake_is_signed_per_connection() {
    let server = server().await;
    let endpoint = endpoint(&server);
    for creds in [
        credentials(DEMO_ACCESS_KEY_ID),
        credentials(DEMO_TEMP_ACCESS_KEY_ID),
    ] {
        let mut handshake = endpoint.gremlin_url().into_client_request().unwrap();
        let expiry = endpoint
            .sign_gremlin_handshake(&mut handshake, &creds, SigningTime::now())
            .unwrap();
        let expected = creds
            .expiry()
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64);
        assert_eq!(expiry.credentials, expected);
        let (mut ws, response) = tokio_tungstenite::connect_async(handshake).await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        ws.send(Message::binary(neptune_client::gremlin_frame(
            "g.V().count()",
        )))
        .await
        .unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert!(reply.to_text().unwrap_or_default().contains("200") || reply.is_binary());
    }
    // Unsigned, the upgrade is refused.
    let handshake = endpoint.gremlin_url().into_client_request().unwrap();
    assert!(tokio_tungstenite::connect_async(handshake).await.is_err());
}

fn verifier() -> Verifier<neptune_server::KeyTable> {
    Verifier::neptune(
        "us-east-1",
        neptune_server::KeyTable::new(demo_credentials()),
    )
    .unwrap()
}

#[test]
fn bolt_tokens_verify_and_bad_ones_are_refused() {
    let endpoint = Endpoint::database(
        "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com",
        "us-east-1",
    )
    .unwrap();
    let time = SigningTime::now();
    let temporary = credentials(DEMO_TEMP_ACCESS_KEY_ID);
    let token = endpoint.bolt_token(&temporary, time).unwrap();
    assert_eq!(token.username(), "username");
    let json: serde_json::Value = serde_json::from_str(token.password()).unwrap();
    assert_eq!(json["HttpMethod"], "GET");
    assert_eq!(
        json["Host"],
        "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182"
    );
    assert!(json["Authorization"]
        .as_str()
        .unwrap()
        .contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"));
    assert!(!format!("{token:?}").contains(temporary.session_token().unwrap()));
    verify_bolt_token(&verifier(), token.password(), time).unwrap();

    // Without a session token the key is left out, not null.
    let long_term = credentials(DEMO_ACCESS_KEY_ID);
    let plain = endpoint.bolt_token(&long_term, time).unwrap();
    let json: serde_json::Value = serde_json::from_str(plain.password()).unwrap();
    assert!(json.get("X-Amz-Security-Token").is_none());
    verify_bolt_token(&verifier(), plain.password(), time).unwrap();

    // Tampered, expired, wrong secret, missing a required token.
    let mut tampered: serde_json::Value = serde_json::from_str(token.password()).unwrap();
    tampered["Host"] = "other.example.com:8182".into();
    assert!(verify_bolt_token(&verifier(), &tampered.to_string(), time).is_err());
    let later = SigningTime::from_unix(time.unix_seconds() + 600).unwrap();
    assert!(matches!(
        verify_bolt_token(&verifier(), token.password(), later),
        Err(VerifyError::RequestExpired { .. })
    ));
    let wrong = Credentials::new(DEMO_ACCESS_KEY_ID, "not the secret").unwrap();
    let forged = endpoint.bolt_token(&wrong, time).unwrap();
    assert!(matches!(
        verify_bolt_token(&verifier(), forged.password(), time),
        Err(VerifyError::SignatureDoesNotMatch { .. })
    ));
    let mut without: serde_json::Value = serde_json::from_str(token.password()).unwrap();
    without
        .as_object_mut()
        .unwrap()
        .remove("X-Amz-Security-Token");
    assert!(verify_bolt_token(&verifier(), &without.to_string(), time).is_err());
    for junk in ["", "[]", "{}", r#"{"HttpMethod":"POST"}"#, "not json"] {
        assert!(
            matches!(
                verify_bolt_token(&verifier(), junk, time),
                Err(VerifyError::Malformed { .. })
            ),
            "{junk}"
        );
    }
    // A default port is left off the host.
    let analytics =
        Endpoint::analytics("g-abc.us-east-1.neptune-graph.amazonaws.com", "us-east-1").unwrap();
    let token = analytics.bolt_token(&long_term, time).unwrap();
    let json: serde_json::Value = serde_json::from_str(token.password()).unwrap();
    assert_eq!(json["Host"], "g-abc.us-east-1.neptune-graph.amazonaws.com");
}

/// A loopback TCP proxy in front of the server: connect to the proxy,
/// sign (and send as Host) the server's address.
#[tokio::test]
async fn behind_a_proxy_the_sign_host_is_signed() {
    let server = server().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let upstream = server.addr;
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut up = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
            });
        }
    });
    let creds = credentials(DEMO_ACCESS_KEY_ID);
    let through_proxy = Endpoint::from_url(
        &format!("http://{proxy}"),
        "us-east-1",
        NeptuneService::Database,
    )
    .unwrap()
    .with_sign_host(&upstream.to_string())
    .unwrap();
    let mut request = through_proxy.status().unwrap();
    through_proxy
        .sign(&mut request, &creds, SigningTime::now())
        .unwrap();
    assert_eq!(request.headers()["host"], upstream.to_string().as_str());
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Credentials rotate between connections; the server closes the old
/// connection; the connector signs the reconnect with the new credentials,
/// and the request after it succeeds.
#[tokio::test]
async fn the_connector_reconnects_across_credential_rotation() {
    use sigv4::credentials::{CredentialsFuture, ProvideCredentialsAsync};
    use sigv4::neptune::Connector;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Hands out the demo keys in turn: a rotation at every call.
    struct Rotating(AtomicUsize);
    impl ProvideCredentialsAsync for Rotating {
        fn provide_credentials_async(&self) -> CredentialsFuture<'_> {
            let keys = demo_credentials();
            let at = self.0.fetch_add(1, Ordering::SeqCst) % keys.len();
            let creds = keys[at].clone();
            Box::pin(async move { Ok(creds) })
        }
    }

    let server = neptune_server::start(ServerConfig {
        gremlin_max_age: Some(std::time::Duration::from_millis(300)),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let provider = Arc::new(Rotating(AtomicUsize::new(0)));
    let connector = Connector::new(endpoint(&server), provider.clone());
    let mut signed_by = Vec::new();
    for round in 0..3 {
        let mut handshake = connector
            .endpoint()
            .gremlin_url()
            .into_client_request()
            .unwrap();
        connector.sign_handshake(&mut handshake).await.unwrap();
        let authorization = handshake.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        signed_by.push(authorization.split('/').next().unwrap().to_owned());
        let (mut ws, _) = tokio_tungstenite::connect_async(handshake).await.unwrap();
        ws.send(Message::binary(neptune_client::gremlin_frame(&format!(
            "g.V().limit({round})"
        ))))
        .await
        .unwrap();
        let reply = ws.next().await.unwrap().unwrap();
        assert!(reply
            .to_text()
            .unwrap()
            .contains(&format!("g.V().limit({round})")));
        // The server closes the connection once it is old.
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            }
        }
    }
    assert_eq!(provider.0.load(Ordering::SeqCst), 3);
    assert_ne!(
        signed_by[0], signed_by[1],
        "each reconnect used the rotated credentials"
    );
}

/// `sigv4 gremlin URL QUERY` against the local server: the data of every
/// response message (a 206 then the 200), one JSON line each; a Gremlin
/// error status and a refused handshake exit 1 with one error line that
/// shows no secret.
#[tokio::test]
async fn the_gremlin_command() {
    let server = server().await;
    let url = format!("ws://{}/gremlin", server.addr);
    let run = std::sync::Arc::new(move |query: &str, secret: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sigv4"))
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/config")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
            .args(["gremlin", "--region", "us-east-1", &url, query])
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    });
    let secret = neptune_server::DEMO_SECRET;
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("g.V().count()", secret)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "{\"@type\":\"g:List\",\"@value\":[\"g.V().count()\"]}\n"
    );
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("g.V() // partial", secret)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.starts_with("{\"@type\":\"g:List\",\"@value\":[\"part 1\"]}\n"),
        "{stdout}"
    );
    let (code, _, stderr) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("fail()", secret)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("sigv4: error: Gremlin status 597"),
        "{stderr}"
    );
    let (code, _, stderr) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run("g.V()", "wrong secret")
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1));
    assert!(stderr.contains("refused: HTTP 403"), "{stderr}");
    assert!(!stderr.contains("wrong secret"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
