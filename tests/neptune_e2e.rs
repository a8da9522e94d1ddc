//! Neptune with IAM authentication, end to end and offline: a local
//! Neptune-like server (tests/support/neptune_server.rs) behind the tower
//! layer on 127.0.0.1, and the example's client code
//! (tests/support/neptune_client.rs), and the example binary itself.
//!
//! Every workflow's request is accepted; every change to a signed part, a
//! wrong secret or key, a missing or wrong session token, a stale clock and
//! an expired presigned URL is refused with 403 and Neptune's error body
//! naming the failed check; the Gremlin WebSocket upgrade works only when
//! signed.

#[path = "support/neptune_client.rs"]
mod neptune_client;
#[path = "support/neptune_server.rs"]
mod neptune_server;

use std::time::Duration;

use http::{HeaderValue, Method, Request, Response, StatusCode};
use neptune_client::{NeptuneClient, UpgradeRefused, CYPHER_QUERY, GREMLIN_QUERY, SPARQL_QUERY};
use neptune_server::{
    demo_credentials, RunningServer, ServerConfig, DEMO_ACCESS_KEY_ID, DEMO_SESSION_TOKEN,
    DEMO_TEMP_ACCESS_KEY_ID, DEMO_TEMP_SECRET,
};
use sigv4::{Credentials, SigningTime};

async fn server() -> RunningServer {
    neptune_server::start(ServerConfig::default())
        .await
        .expect("the local server starts on 127.0.0.1")
}

fn long_term() -> Credentials {
    demo_credentials()
        .into_iter()
        .find(|c| c.access_key_id() == DEMO_ACCESS_KEY_ID)
        .unwrap()
}

fn temporary() -> Credentials {
    demo_credentials()
        .into_iter()
        .find(|c| c.access_key_id() == DEMO_TEMP_ACCESS_KEY_ID)
        .unwrap()
}

fn client(server: &RunningServer, credentials: Credentials) -> NeptuneClient {
    NeptuneClient::new(&server.endpoint(), "us-east-1", credentials).unwrap()
}

fn now_plus(seconds: i64) -> SigningTime {
    SigningTime::from_unix(SigningTime::now().unix_seconds() + seconds).unwrap()
}

fn json(response: &Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(response.body())
        )
    })
}

/// 403 with Neptune's error body, whose detailed message starts with `code`.
fn assert_denied(response: &Response<Vec<u8>>, code: &str, case: &str) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{case}");
    assert_denied_body(&json(response), code, case);
}

fn assert_denied_body(body: &serde_json::Value, code: &str, case: &str) {
    assert_eq!(body["code"], "AccessDeniedException", "{case}: {body}");
    let id = body["requestId"].as_str().unwrap_or_default();
    assert_eq!(id.len(), 36, "{case}: {body}");
    let message = body["detailedMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("{code}: ")),
        "{case}: expected {code}, got {body}"
    );
}

/// Sends `request` after signing it, and checks the answer is a success.
async fn accepted(client: &NeptuneClient, mut request: Request<Vec<u8>>) -> serde_json::Value {
    client.sign(&mut request).unwrap();
    let response = client.send(request).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    json(&response)
}

#[tokio::test]
async fn every_workflow_is_accepted() {
    let server = server().await;
    for credentials in [long_term(), temporary()] {
        let client = client(&server, credentials);

        let body = accepted(&client, client.sparql_get(SPARQL_QUERY).unwrap()).await;
        assert!(body["results"]["bindings"].is_array(), "{body}");
        let body = accepted(&client, client.sparql_post(SPARQL_QUERY).unwrap()).await;
        assert!(body["results"]["bindings"].is_array(), "{body}");
        let body = accepted(&client, client.open_cypher(CYPHER_QUERY).unwrap()).await;
        assert_eq!(
            body["results"][0]["n"]["~properties"]["text"], CYPHER_QUERY,
            "{body}"
        );
        let body = accepted(&client, client.status().unwrap()).await;
        assert_eq!(body["status"], "healthy");

        // Presigned URL: fetched with no header but host.
        let mut request = client.status().unwrap();
        client
            .presign_at(&mut request, SigningTime::now(), Duration::from_secs(300))
            .unwrap();
        let url = request.uri().to_string();
        assert!(url.contains("X-Amz-Signature="), "{url}");
        if client.credentials.session_token().is_some() {
            assert!(url.contains(DEMO_SESSION_TOKEN), "{url}");
            let shown = neptune_client::redact_token(&url);
            assert!(!shown.contains(DEMO_SESSION_TOKEN), "{shown}");
            assert!(
                shown.contains("X-Amz-Security-Token=<redacted>&"),
                "{shown}"
            );
        }
        let response = client.fetch(&url).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json(&response)["status"], "healthy");

        // Gremlin over a signed WebSocket upgrade.
        let handshake = client.gremlin_handshake(SigningTime::now()).unwrap();
        let reply = client.gremlin(handshake, GREMLIN_QUERY).await.unwrap();
        let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["status"]["code"], 200, "{reply}");
        assert_eq!(reply["result"]["data"]["@value"][0], GREMLIN_QUERY);
    }
}

#[tokio::test]
async fn a_small_skew_is_accepted() {
    let server = server().await;
    let client = client(&server, long_term());
    for offset in [-240, 240] {
        let mut request = client.status().unwrap();
        client.sign_at(&mut request, now_plus(offset)).unwrap();
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "offset {offset}");
    }
}

type Tamper = fn(&mut Request<Vec<u8>>);

fn edit_uri(request: &mut Request<Vec<u8>>, edit: impl FnOnce(String) -> String) {
    let uri = edit(request.uri().to_string());
    *request.uri_mut() = uri.parse().unwrap();
}

#[tokio::test]
async fn changing_any_signed_part_is_refused() {
    let server = server().await;
    let client = client(&server, temporary());
    let get = || client.sparql_get(SPARQL_QUERY).unwrap();
    let post = || client.sparql_post(SPARQL_QUERY).unwrap();
    let cases: Vec<(&str, Request<Vec<u8>>, Tamper, &str)> = vec![
        (
            "method",
            client.status().unwrap(),
            |r| *r.method_mut() = Method::POST,
            "SignatureDoesNotMatch",
        ),
        (
            "path",
            get(),
            |r| edit_uri(r, |u| u.replace("/sparql?", "/openCypher?")),
            "SignatureDoesNotMatch",
        ),
        (
            "query value",
            get(),
            |r| edit_uri(r, |u| u.replace("LIMIT%2010", "LIMIT%2011")),
            "SignatureDoesNotMatch",
        ),
        (
            "query added",
            get(),
            |r| edit_uri(r, |u| u + "&format=json"),
            "SignatureDoesNotMatch",
        ),
        (
            "signed header",
            get(),
            |r| {
                r.headers_mut()
                    .insert("accept", HeaderValue::from_static("text/csv"));
            },
            "SignatureDoesNotMatch",
        ),
        (
            "host",
            get(),
            |r| {
                let host = r.headers()["host"]
                    .to_str()
                    .unwrap()
                    .replace("127.0.0.1", "localhost");
                r.headers_mut().insert("host", host.parse().unwrap());
            },
            "SignatureDoesNotMatch",
        ),
        (
            "body",
            post(),
            |r| r.body_mut().extend_from_slice(b"%20"),
            "SignatureDoesNotMatch",
        ),
        (
            "date",
            get(),
            |r| {
                let date = r.headers()["x-amz-date"].to_str().unwrap().to_owned();
                let later = SigningTime::parse(&date).unwrap().unix_seconds() + 1;
                let later = SigningTime::from_unix(later).unwrap();
                r.headers_mut()
                    .insert("x-amz-date", later.amz_date().parse().unwrap());
            },
            "SignatureDoesNotMatch",
        ),
        (
            "signature",
            get(),
            |r| {
                let auth = r.headers()["authorization"].to_str().unwrap().to_owned();
                let (head, sig) = auth.split_at(auth.len() - 1);
                let flipped = if sig == "0" { "1" } else { "0" };
                r.headers_mut()
                    .insert("authorization", format!("{head}{flipped}").parse().unwrap());
            },
            "SignatureDoesNotMatch",
        ),
        (
            "unsigned x-amz header added",
            get(),
            |r| {
                r.headers_mut()
                    .insert("x-amz-meta-extra", HeaderValue::from_static("1"));
            },
            "SignatureDoesNotMatch",
        ),
        (
            "session token changed",
            get(),
            |r| {
                r.headers_mut().insert(
                    "x-amz-security-token",
                    HeaderValue::from_static("IQoJother"),
                );
            },
            "InvalidClientTokenId",
        ),
        (
            "session token removed",
            get(),
            |r| {
                r.headers_mut().remove("x-amz-security-token");
            },
            "InvalidClientTokenId",
        ),
        (
            "authorization removed",
            get(),
            |r| {
                r.headers_mut().remove("authorization");
            },
            "MissingAuthenticationToken",
        ),
    ];
    // Each base request is accepted untouched, so a refusal is the edit's doing.
    accepted(&client, get()).await;
    accepted(&client, post()).await;
    accepted(&client, client.status().unwrap()).await;
    for (case, mut request, tamper, code) in cases {
        client.sign(&mut request).unwrap();
        tamper(&mut request);
        let response = client.send(request).await.unwrap();
        assert_denied(&response, code, case);
    }
}

#[tokio::test]
async fn wrong_keys_tokens_and_clocks_are_refused() {
    let server = server().await;
    let wrong_secret = Credentials::new(DEMO_ACCESS_KEY_ID, "notTheSecretEXAMPLE").unwrap();
    let unknown = Credentials::new("AKIDUNKNOWN", "anySecretEXAMPLE").unwrap();
    for (case, credentials, code) in [
        ("wrong secret", wrong_secret, "SignatureDoesNotMatch"),
        ("unknown key", unknown, "InvalidClientTokenId"),
        (
            "token for a long-term key",
            long_term().with_session_token("IQoJunexpected").unwrap(),
            "InvalidClientTokenId",
        ),
        (
            "wrong secret for a temporary key",
            Credentials::new(DEMO_TEMP_ACCESS_KEY_ID, "notTheSecretEXAMPLE")
                .unwrap()
                .with_session_token(DEMO_SESSION_TOKEN)
                .unwrap(),
            "SignatureDoesNotMatch",
        ),
        (
            "wrong session token",
            Credentials::new(DEMO_TEMP_ACCESS_KEY_ID, DEMO_TEMP_SECRET)
                .unwrap()
                .with_session_token("IQoJsomeOtherToken")
                .unwrap(),
            "InvalidClientTokenId",
        ),
        (
            "missing session token",
            Credentials::new(DEMO_TEMP_ACCESS_KEY_ID, DEMO_TEMP_SECRET).unwrap(),
            "InvalidClientTokenId",
        ),
    ] {
        let client = client(&server, credentials);
        let mut request = client.status().unwrap();
        client.sign(&mut request).unwrap();
        let response = client.send(request).await.unwrap();
        assert_denied(&response, code, case);
    }

    let client = client(&server, temporary());
    // Clocks outside the five-minute skew, either way.
    for offset in [-600, 600] {
        let mut request = client.status().unwrap();
        client.sign_at(&mut request, now_plus(offset)).unwrap();
        let response = client.send(request).await.unwrap();
        assert_denied(
            &response,
            "RequestExpired",
            &format!("clock {offset} s off"),
        );
    }

    // A presigned URL past its expiry, and one tampered with.
    let mut request = client.status().unwrap();
    client
        .presign_at(&mut request, now_plus(-3600), Duration::from_secs(900))
        .unwrap();
    let response = client.fetch(&request.uri().to_string()).await.unwrap();
    assert_denied(&response, "RequestExpired", "expired presigned URL");

    let mut request = client.status().unwrap();
    client
        .presign_at(&mut request, SigningTime::now(), Duration::from_secs(900))
        .unwrap();
    let url = request
        .uri()
        .to_string()
        .replace("X-Amz-Expires=900", "X-Amz-Expires=901");
    let response = client.fetch(&url).await.unwrap();
    assert_denied(
        &response,
        "SignatureDoesNotMatch",
        "presigned URL with a new expiry",
    );
}

/// The upgrade is refused with 403; the same request over plain HTTP gets
/// Neptune's error body naming `code`.
async fn assert_upgrade_refused(
    client: &NeptuneClient,
    handshake: Request<()>,
    code: &str,
    case: &str,
) {
    let copy = {
        let mut copy = Request::get(handshake.uri().clone()).body(()).unwrap();
        *copy.headers_mut() = handshake.headers().clone();
        copy
    };
    let err = client.gremlin(copy, GREMLIN_QUERY).await.expect_err(case);
    let refused = err
        .downcast_ref::<UpgradeRefused>()
        .unwrap_or_else(|| panic!("{case}: not a refused upgrade: {err}"));
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{case}");

    let (parts, ()) = handshake.into_parts();
    let mut request = Request::get(format!(
        "{}{}",
        client.endpoint,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    ))
    .body(Vec::new())
    .unwrap();
    *request.headers_mut() = parts.headers;
    let response = client.send(request).await.unwrap();
    assert_denied(&response, code, case);
}

#[tokio::test]
async fn gremlin_upgrade_needs_a_valid_signature() {
    let server = server().await;
    let client = client(&server, long_term());

    let mut unsigned = client.gremlin_handshake(SigningTime::now()).unwrap();
    for name in ["authorization", "x-amz-date"] {
        unsigned.headers_mut().remove(name);
    }
    assert_upgrade_refused(&client, unsigned, "MissingAuthenticationToken", "unsigned").await;

    let mut tampered = client.gremlin_handshake(SigningTime::now()).unwrap();
    *tampered.uri_mut() = format!("{}?session=1", tampered.uri()).parse().unwrap();
    assert_upgrade_refused(&client, tampered, "SignatureDoesNotMatch", "query added").await;

    let stale = client.gremlin_handshake(now_plus(-900)).unwrap();
    assert_upgrade_refused(&client, stale, "RequestExpired", "stale").await;

    let wrong = Credentials::new(DEMO_ACCESS_KEY_ID, "notTheSecretEXAMPLE").unwrap();
    let wrong_client = NeptuneClient::new(&client.endpoint, "us-east-1", wrong).unwrap();
    let handshake = wrong_client.gremlin_handshake(SigningTime::now()).unwrap();
    assert_upgrade_refused(&client, handshake, "SignatureDoesNotMatch", "wrong secret").await;

    // Signed for another region.
    let other = NeptuneClient::new(&client.endpoint, "eu-west-1", long_term()).unwrap();
    let handshake = other.gremlin_handshake(SigningTime::now()).unwrap();
    assert_upgrade_refused(&client, handshake, "SignatureDoesNotMatch", "other region").await;

    // And the untouched handshake still upgrades.
    let handshake = client.gremlin_handshake(SigningTime::now()).unwrap();
    client.gremlin(handshake, GREMLIN_QUERY).await.unwrap();
}

/// Builds the `neptune_iam` example (a no-op when `cargo test` already
/// did) and returns its path.
fn example_binary() -> std::path::PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--all-features",
            "--example",
            "neptune_iam",
            "--message-format=json",
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cannot build the neptune_iam example"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["target"]["name"] == "neptune_iam")
        .find_map(|m| m["executable"].as_str().map(std::path::PathBuf::from))
        .expect("cargo reports the example's executable")
}

/// Runs the example binary with credentials in the environment, as a user
/// would, and returns whether it succeeded and what it printed.
fn run_example(
    binary: &std::path::Path,
    endpoint: &str,
    secret: &str,
    workflow: &str,
) -> (bool, String) {
    let mut command = std::process::Command::new(binary);
    command.arg(workflow);
    for name in [
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        command.env_remove(name);
    }
    let output = command
        .env("NEPTUNE_ENDPOINT", endpoint)
        .env("SERVICE_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the example runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_binary_runs_every_workflow() {
    let server = server().await;
    let endpoint = server.endpoint();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        let binary = example_binary();
        run_example(&binary, &endpoint, neptune_server::DEMO_SECRET, "all")
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    for workflow in [
        "sparql-get",
        "sparql-post",
        "opencypher",
        "status",
        "gremlin",
        "presign",
    ] {
        assert!(out.contains(&format!("== {workflow}\n")), "{out}");
    }
    assert_eq!(out.matches("200 OK").count(), 5, "{out}");
    assert!(out.contains("presigned URL: http://127.0.0.1:"), "{out}");
    assert!(out.contains(GREMLIN_QUERY), "{out}");
    assert!(
        !out.contains(neptune_server::DEMO_SECRET),
        "the secret was printed"
    );

    // With a wrong secret every workflow is refused and the example fails.
    let endpoint = server.endpoint();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        let binary = example_binary();
        run_example(&binary, &endpoint, "notTheSecretEXAMPLE", "all")
    })
    .await
    .unwrap();
    assert!(!ok, "{out}");
    assert_eq!(out.matches("403 Forbidden").count(), 6, "{out}");
    assert!(
        out.contains("\"detailedMessage\":\"SignatureDoesNotMatch: "),
        "{out}"
    );
}
