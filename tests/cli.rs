//! The `sigv4` command-line tool, driven as a user drives it: a separate
//! process, arguments, environment variables, stdin and stdout.
//!
//! - The whole official AWS suite goes through `sigv4 sign`: 38 CRT cases
//!   in header and presign mode (76 signatures), and the 2 legacy
//!   double-encoding cases through `--explain`. The flags map from
//!   `context.json` as tests/aws_suite.rs maps it to settings.
//! - Bad input gives one `sigv4: error: ...` line, a non-zero exit and
//!   nothing on stdout.
//! - `--explain` never shows the secret key or the session token.
//! - stdin works as well as a file, and the flags mean what the library
//!   means by them.
//! - Credentials come from the default chain when the environment has
//!   none, and `--profile` picks a profile. Tests never read the real home
//!   (the shared files point at a temporary path) nor instance metadata.
//! - `sigv4 verify` accepts what `sign` prints for every suite request, in
//!   both modes, with the same options (80 signatures), and rejects each
//!   one-byte change to method, path, Host header or body (320), naming
//!   the check and showing the canonical request and string to sign.
//! - `sigv4 curl` talks to a mock server on 127.0.0.1 that verifies every
//!   signature with our `Verifier`: GET, POST with `-d`, `-d @file`, `-H`,
//!   `-i`, `--presign` (the URL fetched and verified), and its errors.
#![cfg(feature = "cli")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{cases, Case, Context};
use sigv4::tools::raw;
use sigv4::{
    Credentials, Payload, Region, Service, Signer, SigningSettings, SigningTime, UriEncoding,
};

/// The binary under test, built by cargo for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_sigv4");

/// The example credentials of the AWS suite.
const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A small request with a body, for the tests that need any valid input.
const POST: &[u8] = b"POST /path?a=1 HTTP/1.1\nHost:example.amazonaws.com\nContent-Type:application/x-www-form-urlencoded\n\nParam1=value1";

/// `sigv4` with an empty environment but `PATH`, so the developer's own
/// `AWS_*` variables cannot leak into a test. The default chain is kept
/// off the real home and off instance metadata: the shared files point at
/// a path that does not exist, and `AWS_EC2_METADATA_DISABLED` is set.
fn sigv4() -> Command {
    let mut command = Command::new(BIN);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let nowhere = std::env::temp_dir().join("sigv4-cli-test-no-such-aws-dir");
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", nowhere.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials"));
    command
}

/// `sigv4` with the suite's example credentials in the environment.
fn sigv4_with_credentials() -> Command {
    let mut command = sigv4();
    command
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    command
}

/// Runs `command`, feeding `stdin` (an empty stdin when `None`).
fn run(command: &mut Command, stdin: Option<&[u8]>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sigv4");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(input) = stdin {
        // The tool may rightly exit before reading (a usage error).
        if let Err(e) = pipe.write_all(input) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(pipe);
    child.wait_with_output().expect("wait for sigv4")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `Signature=` part of an `Authorization` header.
fn header_signature(request: &http::Request<Vec<u8>>) -> Option<String> {
    let authorization = request.headers().get("authorization")?.to_str().ok()?;
    authorization
        .split(", ")
        .find_map(|part| part.strip_prefix("Signature="))
        .map(str::to_owned)
}

/// Query parameters as sorted (key, value) pairs, still encoded.
fn query_params(uri: &http::Uri) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (k, v) = s.split_once('=').unwrap_or((s, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    params.sort();
    params
}

/// The value of the `X-Amz-Signature` query parameter.
fn query_signature(request: &http::Request<Vec<u8>>) -> Option<String> {
    query_params(request.uri())
        .into_iter()
        .find_map(|(k, v)| (k == "X-Amz-Signature").then_some(v))
}

// ---------------------------------------------------------------------------
// 1. The official suite through the binary.

#[derive(Clone, Copy, Debug)]
enum Mode {
    Header,
    Query,
}

impl Mode {
    /// The prefix of the suite's expectation files for this mode.
    fn prefix(self) -> &'static str {
        match self {
            Mode::Header => "header",
            Mode::Query => "query",
        }
    }
}

/// What the suite run found.
#[derive(Default)]
struct SuiteRun {
    failures: Vec<String>,
    /// Signatures actually compared with the suite's (equal or not).
    signatures: usize,
}

impl SuiteRun {
    fn fail(&mut self, case: &str, mode: Mode, what: &str) {
        self.failures.push(format!("{case}: {mode:?}: {what}"));
    }

    fn compare(&mut self, case: &str, mode: Mode, what: &str, ours: &str, theirs: &str) {
        if ours != theirs {
            self.fail(
                case,
                mode,
                &format!("{what} differs\n  ours:  {ours}\n  suite: {theirs}"),
            );
        }
    }

    /// Signs one CRT case in `mode` with the flags its context asks for,
    /// and checks the signature and the signed request against the suite.
    fn crt_case(&mut self, case: &Case, ctx: &Context, mode: Mode) {
        let name = &case.name;
        let mut command = sigv4();
        command
            .env("AWS_ACCESS_KEY_ID", &ctx.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &ctx.secret_access_key)
            .args(["sign", "--uri-encoding", "single"])
            .args(["--time", &ctx.timestamp])
            .args(["--region", &ctx.region, "--service", &ctx.service]);
        if let Some(token) = &ctx.session_token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        if !ctx.normalize {
            command.arg("--no-normalize-path");
        }
        if ctx.sign_body {
            command.arg("--content-sha256-header");
        }
        if ctx.omit_session_token {
            command.arg("--omit-session-token");
        }
        if let Mode::Query = mode {
            command.args(["--presign", "--expires"]);
            command.arg(ctx.expiration_in_seconds.to_string());
        }
        command.arg(case.dir.join("request.txt"));

        let output = run(&mut command, None);
        if !output.status.success() {
            let stderr = text(&output.stderr);
            return self.fail(name, mode, &format!("exit {}: {stderr}", output.status));
        }
        let signed = match raw::parse_request(&output.stdout) {
            Ok(signed) => signed,
            Err(e) => return self.fail(name, mode, &format!("unparsable output: {e}")),
        };
        let file = |suffix: &str| {
            case.text(&format!("{}-{suffix}", mode.prefix()))
                .unwrap_or_else(|| panic!("{name}: no {}-{suffix}", mode.prefix()))
        };
        let expected_signature = file("signature.txt");
        let expected_request =
            raw::parse_request(file("signed-request.txt").as_bytes()).expect("suite request");

        let ours = match mode {
            Mode::Header => header_signature(&signed),
            Mode::Query => query_signature(&signed),
        };
        let Some(ours) = ours else {
            return self.fail(name, mode, "no signature in the output");
        };
        self.compare(name, mode, "signature", &ours, expected_signature.trim());
        self.signatures += 1;

        // The rest of the signed request: what carries the signature, and
        // the body, which must come through untouched.
        match mode {
            Mode::Header => {
                let header = |r: &http::Request<Vec<u8>>| {
                    r.headers()
                        .get("authorization")
                        .map(|v| text(v.as_bytes()))
                        .unwrap_or_default()
                };
                self.compare(
                    name,
                    mode,
                    "authorization",
                    &header(&signed),
                    &header(&expected_request),
                );
            }
            Mode::Query => self.compare(
                name,
                mode,
                "query parameters",
                &format!("{:?}", query_params(signed.uri())),
                &format!("{:?}", query_params(expected_request.uri())),
            ),
        }
        let request = raw::parse_request(&case.read("request.txt").expect("request.txt"))
            .expect("suite request");
        self.compare(
            name,
            mode,
            "body",
            &text(signed.body()),
            &text(request.body()),
        );
    }

    /// A legacy case: only its header canonical request is known; it must
    /// be what `--explain` prints.
    fn legacy_case(&mut self, case: &Case) {
        let output = run(
            sigv4_with_credentials()
                .args(["sign", "--uri-encoding", "double"])
                .args(["--time", "2021-05-11T15:40:45Z", "--explain"])
                .args(["--region", "us-east-1", "--service", "service"])
                .arg(case.dir.join("request.txt")),
            None,
        );
        let mode = Mode::Header;
        if !output.status.success() {
            let stderr = text(&output.stderr);
            return self.fail(
                &case.name,
                mode,
                &format!("exit {}: {stderr}", output.status),
            );
        }
        let expected = case
            .text("header-canonical-request.txt")
            .expect("header-canonical-request.txt");
        // Framed by the explanation's headings, so a truncated or extended
        // canonical request does not pass.
        let framed = format!("canonical request:\n{expected}\n\nstring to sign:\n");
        let stderr = text(&output.stderr);
        if !stderr.contains(&framed) {
            self.fail(
                &case.name,
                mode,
                &format!("canonical request not in stderr\n--- expected\n{expected}\n--- stderr\n{stderr}"),
            );
        }
        if raw::parse_request(&output.stdout).is_err() {
            self.fail(&case.name, mode, "unparsable output");
        }
    }
}

#[test]
fn official_suite_through_the_binary() {
    let mut suite = SuiteRun::default();
    let mut crt = 0;
    let mut legacy = Vec::new();
    for case in cases() {
        match case.context() {
            Some(json) => {
                let ctx = Context::from_json(&json);
                suite.crt_case(&case, &ctx, Mode::Header);
                suite.crt_case(&case, &ctx, Mode::Query);
                crt += 1;
            }
            None => {
                suite.legacy_case(&case);
                legacy.push(case.name.clone());
            }
        }
    }
    assert!(
        suite.failures.is_empty(),
        "{} failures:\n{}",
        suite.failures.len(),
        suite.failures.join("\n")
    );
    assert_eq!(crt, 38, "CRT cases (with context.json)");
    assert_eq!(suite.signatures, 76, "38 cases x header and presign mode");
    assert_eq!(legacy, ["double-encode-path", "double-url-encode"]);
}

/// A check of the check: with a wrong secret every comparison that depends
/// on it must fail, so the suite run cannot pass by comparing nothing.
#[test]
fn suite_run_detects_a_wrong_signature() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "get-vanilla-with-session-token")
        .expect("case exists");
    let mut ctx = Context::from_json(&case.context().expect("context.json"));
    ctx.secret_access_key.push('x');
    let mut suite = SuiteRun::default();
    suite.crt_case(&case, &ctx, Mode::Header);
    suite.crt_case(&case, &ctx, Mode::Query);
    assert_eq!(suite.signatures, 2);
    let first_lines: Vec<&str> = suite
        .failures
        .iter()
        .filter_map(|f| f.lines().next())
        .collect();
    assert_eq!(
        first_lines,
        [
            "get-vanilla-with-session-token: Header: signature differs",
            "get-vanilla-with-session-token: Header: authorization differs",
            "get-vanilla-with-session-token: Query: signature differs",
            "get-vanilla-with-session-token: Query: query parameters differs",
        ]
    );
}

// ---------------------------------------------------------------------------
// 2. Errors: one line on stderr, a non-zero exit, nothing on stdout.

/// Asserts `output` is a clean failure with exit status `code` whose one
/// stderr line contains `phrase`.
fn assert_error(output: &Output, code: i32, phrase: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "stdout: {}", text(&output.stdout));
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    assert!(stderr.starts_with("sigv4: error: "), "{stderr:?}");
    assert!(stderr.contains(phrase), "{phrase:?} not in {stderr:?}");
}

/// `sigv4 sign` with credentials, a region and a service, plus `args`.
fn sign(args: &[&str]) -> Command {
    let mut command = sigv4_with_credentials();
    command.args(["sign", "--region", "us-east-1", "--service", "service"]);
    command.args(args);
    command
}

#[test]
fn malformed_request_line() {
    let output = run(
        &mut sign(&[]),
        Some(b"GET /index.html\nHost:example.com\n\n"),
    );
    assert_error(&output, 1, "malformed request line on line 1");
    let output = run(&mut sign(&[]), Some(b""));
    assert_error(&output, 1, "empty request");
}

#[test]
fn header_without_colon() {
    let output = run(
        &mut sign(&[]),
        Some(b"GET / HTTP/1.1\nHost:example.com\nX-Broken value\n\n"),
    );
    assert_error(&output, 1, "header without a colon on line 3");
}

#[test]
fn unknown_option() {
    let output = run(&mut sign(&["--bogus"]), Some(POST));
    assert_error(&output, 2, "unexpected argument '--bogus'");
    assert_error(&output, 2, "sigv4 sign --help");
    let output = run(&mut sign(&["--regoin", "x"]), Some(POST));
    assert_error(&output, 2, "a similar argument exists: '--region'");
    let output = run(sigv4().args(["sign", "--region", "r"]), Some(POST));
    assert_error(&output, 2, "--service");
    let output = run(&mut sign(&["--uri-encoding", "triple"]), Some(POST));
    assert_error(&output, 2, "possible values: double, single");
    let output = run(sigv4().arg("resign"), Some(POST));
    assert_error(&output, 2, "unrecognized subcommand 'resign'");
}

#[test]
fn missing_credentials() {
    let mut command = sigv4();
    command.args(["sign", "--region", "us-east-1", "--service", "service"]);
    let output = run(&mut command, Some(POST));
    assert_error(
        &output,
        1,
        "missing credentials: AWS_ACCESS_KEY_ID is not set",
    );

    // Blank counts as unset.
    let output = run(
        command
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", "  "),
        Some(POST),
    );
    assert_error(&output, 1, "AWS_SECRET_ACCESS_KEY is not set");

    let output = run(
        command
            .env("AWS_ACCESS_KEY_ID", "AKID/EXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", SECRET),
        Some(POST),
    );
    assert_error(&output, 1, "invalid access key id");
    assert!(!text(&output.stderr).contains(SECRET));
}

#[test]
fn missing_region() {
    let mut command = sigv4_with_credentials();
    command.args(["sign", "--service", "service"]);
    let output = run(&mut command, Some(POST));
    assert_error(
        &output,
        2,
        "no region: pass --region, set SERVICE_REGION, AWS_REGION or AWS_DEFAULT_REGION, or give the profile a region",
    );
    // Blank values count as unset.
    command
        .env("SERVICE_REGION", "")
        .env("AWS_REGION", " ")
        .env("AWS_DEFAULT_REGION", "");
    assert_error(&run(&mut command, Some(POST)), 2, "no region");
    command.env("AWS_REGION", "us east");
    assert_error(
        &run(&mut command, Some(POST)),
        2,
        "AWS_REGION: invalid region",
    );
}

#[test]
fn bad_time() {
    let output = run(&mut sign(&["--time", "yesterday"]), Some(POST));
    assert_error(&output, 2, "invalid signing time \"yesterday\"");
    let output = run(&mut sign(&["--time", "2015-02-30T12:36:00Z"]), Some(POST));
    assert_error(&output, 2, "invalid signing time");
}

#[test]
fn expires_out_of_range() {
    for bad in ["0", "604801", "-1", "soon"] {
        let output = run(&mut sign(&["--presign", "--expires", bad]), Some(POST));
        assert_error(&output, 2, &format!("invalid value '{bad}' for '--expires"));
    }
    let output = run(&mut sign(&["--presign", "--expires", "604801"]), Some(POST));
    assert_error(&output, 2, "1..=604800");
    // The bounds themselves are accepted.
    for good in ["1", "604800"] {
        let output = run(&mut sign(&["--presign", "--expires", good]), Some(POST));
        assert!(output.status.success(), "{}", text(&output.stderr));
        let signed = raw::parse_request(&output.stdout).expect("signed request");
        assert!(query_params(signed.uri()).contains(&("X-Amz-Expires".into(), good.into())));
    }
    // Without --presign it would mean nothing: refused rather than ignored.
    let output = run(&mut sign(&["--expires", "60"]), Some(POST));
    assert_error(&output, 2, "--expires only applies to presigned requests");
}

#[test]
fn other_failures() {
    let output = run(
        &mut sign(&[]),
        Some(b"GET /status HTTP/1.1\nAccept:*/*\n\n"),
    );
    assert_error(&output, 1, "no Host header");
    let output = run(&mut sign(&["/no/such/request.txt"]), None);
    assert_error(&output, 1, "cannot read /no/such/request.txt");
    let output = run(
        sigv4_with_credentials().args(["sign", "--region", "us-east-1", "--service", "s3/x"]),
        Some(POST),
    );
    assert_error(&output, 2, "invalid service");
}

// ---------------------------------------------------------------------------
// 3. Secrets.

#[test]
fn explain_never_shows_the_secret_or_the_token() {
    // A token with characters that get percent-encoded in a query string.
    let token = "FwoGZXIvYXdzEXAMPLE/TOKEN+with=padding";
    let encoded_token = "FwoGZXIvYXdzEXAMPLE%2FTOKEN%2Bwith%3Dpadding";
    let encoded_secret = "wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY";
    for (flags, token_in_stdout, redacted) in [
        (&[][..], format!("X-Amz-Security-Token:{token}\n"), true),
        (
            &["--presign"][..],
            format!("X-Amz-Security-Token={encoded_token}"),
            true,
        ),
        (
            &["--omit-session-token"][..],
            format!("X-Amz-Security-Token:{token}\n"),
            false,
        ),
    ] {
        let mut command = sign(&["--explain", "--time", "20150830T123600Z"]);
        command.args(flags).env("AWS_SESSION_TOKEN", token);
        let output = run(&mut command, Some(POST));
        let stderr = text(&output.stderr);
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{flags:?}: {stderr}");
        assert!(
            stderr.contains("canonical request:\n"),
            "{flags:?}: {stderr}"
        );
        for secret in [SECRET, encoded_secret, token, encoded_token] {
            assert!(!stderr.contains(secret), "{flags:?}: {secret} in {stderr}");
        }
        // The token was signed, so its place shows, redacted; unless it is
        // added after signing, when it is not in the canonical request.
        assert_eq!(
            stderr.contains("x-amz-security-token:<redacted>\n")
                || stderr.contains("X-Amz-Security-Token=<redacted>"),
            redacted,
            "{flags:?}: {stderr}"
        );
        // The request itself carries the token: that is its job.
        assert!(stdout.contains(&token_in_stdout), "{flags:?}: {stdout}");
        assert!(!stdout.contains(SECRET), "{flags:?}: {stdout}");
    }
}

// ---------------------------------------------------------------------------
// 4. Input and output.

#[test]
fn stdin_file_and_dash_agree() {
    let dir = std::env::temp_dir().join(format!("sigv4-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("request.txt");
    std::fs::write(&file, POST).expect("write request");

    let args = ["--time", "2015-08-30T12:36:00Z"];
    let from_stdin = run(&mut sign(&args), Some(POST));
    let from_file = run(sign(&args).arg(&file), None);
    let from_dash = run(sign(&args).arg("-"), Some(POST));
    std::fs::remove_dir_all(&dir).ok();

    for output in [&from_stdin, &from_file, &from_dash] {
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    }
    assert_eq!(text(&from_stdin.stdout), text(&from_file.stdout));
    assert_eq!(text(&from_stdin.stdout), text(&from_dash.stdout));

    let signed = raw::parse_request(&from_stdin.stdout).expect("signed request");
    assert_eq!(signed.uri(), "/path?a=1");
    assert_eq!(signed.body(), b"Param1=value1");
    assert_eq!(signed.headers()["x-amz-date"], "20150830T123600Z");
    assert!(header_signature(&signed).is_some_and(|s| s.len() == 64));

    // Signing the signed request again changes nothing: the stale
    // signature headers are replaced, not duplicated.
    let again = run(&mut sign(&args), Some(&from_stdin.stdout));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout), text(&from_stdin.stdout));
}

/// The flags mean what the library means: the binary's output equals the
/// library's own signing of the same request with the same settings.
#[test]
fn flags_match_the_library() {
    let request = b"PUT /my bucket/a/../key.txt?b=2&a=1 HTTP/1.1\nHost:s3.amazonaws.com\nContent-Type:text/plain\n\nhello";
    let time = SigningTime::parse("20150830T123600Z").expect("time");
    let creds = Credentials::new(KEY_ID, SECRET).expect("credentials");
    let signer = |settings: SigningSettings| {
        Signer::new(
            Region::new("eu-west-1").expect("region"),
            Service::new("s3").expect("service"),
        )
        .with_settings(settings)
    };
    let cases: [(&[&str], SigningSettings, bool, Option<u64>); 5] = [
        (&[], SigningSettings::default(), false, None),
        (
            &["--uri-encoding", "single", "--no-normalize-path"],
            SigningSettings::default()
                .with_uri_encoding(UriEncoding::Single)
                .with_path_normalization(false),
            false,
            None,
        ),
        (
            &["--unsigned-payload", "--content-sha256-header"],
            SigningSettings::default().with_content_sha256_header(true),
            true,
            None,
        ),
        (
            &["--presign"],
            SigningSettings::default(),
            false,
            Some(3600),
        ),
        (
            &["--presign", "--expires", "900", "--unsigned-payload"],
            SigningSettings::default(),
            true,
            Some(900),
        ),
    ];
    let mut signatures = Vec::new();
    for (flags, settings, unsigned, expires) in cases {
        let mut command = sigv4_with_credentials();
        command
            .args(["sign", "--region", "eu-west-1", "--service", "s3"])
            .args(["--time", "20150830T123600Z"])
            .args(flags);
        let output = run(&mut command, Some(request));
        assert!(
            output.status.success(),
            "{flags:?}: {}",
            text(&output.stderr)
        );

        let mut expected = raw::parse_request(request).expect("request");
        let body = expected.body().clone();
        let payload = if unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(&body)
        };
        let signature = match expires {
            None => signer(settings).sign_with_payload(&mut expected, payload, &creds, time),
            Some(secs) => signer(settings).presign_with_payload(
                &mut expected,
                payload,
                &creds,
                time,
                Duration::from_secs(secs),
            ),
        }
        .expect("library signs");
        assert_eq!(
            text(&output.stdout),
            text(&raw::write_request(&expected)),
            "{flags:?}"
        );
        signatures.push(signature.to_string());
    }
    // Each flag set signs something different, so none is being ignored.
    let mut distinct = signatures.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), signatures.len(), "{signatures:?}");
}

#[test]
fn region_from_the_environment() {
    let scope = |command: &mut Command| {
        let output = run(command, Some(POST));
        assert!(output.status.success(), "{}", text(&output.stderr));
        let signed = raw::parse_request(&output.stdout).expect("signed request");
        let authorization = text(signed.headers()["authorization"].as_bytes());
        let credential = authorization
            .split(", ")
            .next()
            .and_then(|p| p.strip_prefix("AWS4-HMAC-SHA256 Credential="))
            .expect("credential")
            .to_owned();
        credential
    };
    let mut command = sigv4_with_credentials();
    command.args([
        "sign",
        "--service",
        "neptune-db",
        "--time",
        "20150830T123600Z",
    ]);
    command.env("AWS_DEFAULT_REGION", "ap-south-1");
    assert_eq!(
        scope(&mut command),
        "AKIDEXAMPLE/20150830/ap-south-1/neptune-db/aws4_request"
    );
    command.env("AWS_REGION", "us-west-2");
    assert!(scope(&mut command).contains("/us-west-2/"));
    command.env("SERVICE_REGION", "eu-west-1");
    assert!(scope(&mut command).contains("/eu-west-1/"));
    command.env("SERVICE_REGION", " ");
    assert!(scope(&mut command).contains("/us-west-2/"));
    command.args(["--region", "ca-central-1"]);
    assert!(scope(&mut command).contains("/ca-central-1/"));
}

#[test]
fn time_defaults_to_now() {
    let before = SigningTime::now();
    let output = run(&mut sign(&[]), Some(POST));
    let after = SigningTime::now();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let signed = raw::parse_request(&output.stdout).expect("signed request");
    let date = text(signed.headers()["x-amz-date"].as_bytes());
    // The x-amz-date form sorts like the time it names.
    assert!(
        before.amz_date() <= date.as_str() && date.as_str() <= after.amz_date(),
        "{} <= {date} <= {}",
        before.amz_date(),
        after.amz_date()
    );
}

#[test]
fn help_and_version_succeed() {
    let output = run(sigv4().args(["sign", "--help"]), None);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for option in [
        "--region",
        "--service",
        "--time",
        "--presign",
        "--expires",
        "--uri-encoding",
        "--no-normalize-path",
        "--content-sha256-header",
        "--unsigned-payload",
        "--omit-session-token",
        "--explain",
    ] {
        assert!(help.contains(option), "{option} not in help:\n{help}");
    }
    // The other commands' options: public interface, kept by name.
    for (command, options) in [
        (
            "verify",
            &[
                "--region",
                "--service",
                "--time",
                "--max-skew",
                "--uri-encoding",
                "--no-normalize-path",
                "--unsigned-payload",
                "--omit-session-token",
            ][..],
        ),
        (
            "curl",
            &[
                "-X, --request",
                "-H, --header",
                "-d, --data",
                "-i, --include",
                "--region",
                "--service",
                "--profile",
                "--presign",
                "--expires",
            ][..],
        ),
    ] {
        let output = run(sigv4().args([command, "--help"]), None);
        assert!(output.status.success());
        let help = text(&output.stdout);
        for option in options {
            assert!(
                help.contains(option),
                "{option} not in {command} help:\n{help}"
            );
        }
    }
    assert!(text(&run(sigv4().args(["sign", "--help"]), None).stdout).contains("--profile"));
    let output = run(sigv4().arg("--version"), None);
    assert!(output.status.success());
    assert!(text(&output.stdout).starts_with("sigv4 "));
}

// ---------------------------------------------------------------------------
// 5. Credentials from the default chain and from --profile.

/// A temporary folder, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sigv4-cli-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn file(&self, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// The access key id in the `Authorization` header `sign` printed.
fn signed_key_id(output: &Output) -> String {
    assert!(output.status.success(), "{}", text(&output.stderr));
    let signed = raw::parse_request(&output.stdout).expect("signed request");
    let authorization = text(signed.headers()["authorization"].as_bytes());
    authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .and_then(|rest| rest.split('/').next())
        .expect("credential")
        .to_owned()
}

const PROFILE_SECRET: &str = "profileSecretKeyEXAMPLEprofileSecretKeyEX";

/// A shared credentials file with a `default` and an `other` profile.
fn profiles(dir: &TempDir) -> std::path::PathBuf {
    let credentials = format!(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = {PROFILE_SECRET}\n\n\
         [other]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    );
    dir.file("credentials", credentials.as_bytes())
}

/// Without credentials in the environment the chain reads the profile
/// files; `--profile` picks one and wins over the environment.
#[test]
fn credentials_from_profiles() {
    let dir = TempDir::new("profiles");
    let file = profiles(&dir);
    let with_files = |command: &mut Command| {
        command
            .env("AWS_SHARED_CREDENTIALS_FILE", &file)
            .env("AWS_CONFIG_FILE", dir.0.join("no-config"));
    };

    let mut command = sigv4();
    with_files(&mut command);
    command.args(["sign", "--region", "us-east-1", "--service", "service"]);
    assert_eq!(signed_key_id(&run(&mut command, Some(POST))), "AKIDDEFAULT");

    let mut named = sigv4();
    with_files(&mut named);
    named.args(["sign", "--region", "us-east-1", "--service", "service"]);
    named.args(["--profile", "other"]);
    assert_eq!(signed_key_id(&run(&mut named, Some(POST))), KEY_ID);
    // --profile wins over the environment, as with the AWS CLI.
    named
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    assert_eq!(signed_key_id(&run(&mut named, Some(POST))), KEY_ID);

    // Without --profile the environment comes first, then AWS_PROFILE.
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    assert_eq!(signed_key_id(&run(&mut command, Some(POST))), "AKIDFROMENV");
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_PROFILE", "other");
    assert_eq!(signed_key_id(&run(&mut command, Some(POST))), KEY_ID);

    // An unknown profile is one line, naming it, with no secret.
    let mut missing = sigv4();
    with_files(&mut missing);
    missing.args(["sign", "--region", "us-east-1", "--service", "service"]);
    missing.args(["--profile", "nope"]);
    let output = run(&mut missing, Some(POST));
    assert_error(&output, 1, "\"nope\"");
    for secret in [SECRET, PROFILE_SECRET] {
        assert!(!text(&output.stderr).contains(secret));
    }
}

/// With nothing configured the chain ends quickly (instance metadata is
/// disabled by the test environment) with one line listing where it looked.
#[test]
fn empty_chain_is_one_line() {
    let started = std::time::Instant::now();
    let output = run(
        sigv4().args(["sign", "--region", "us-east-1", "--service", "service"]),
        Some(POST),
    );
    assert_error(
        &output,
        1,
        "missing credentials: AWS_ACCESS_KEY_ID is not set",
    );
    assert_error(
        &output,
        1,
        "instance metadata: AWS_EC2_METADATA_DISABLED is true",
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// 6. `sigv4 verify`: what `sign` prints verifies with the same options, and
//    a one-byte change fails, naming the check.

/// The options `sign` and `verify` share for one suite case, and the
/// environment both run in.
struct Options {
    env: Vec<(&'static str, String)>,
    shared: Vec<String>,
    sign_only: Vec<String>,
    /// `x-amz-content-sha256` is signed: a changed body is caught by it.
    content_sha256: bool,
}

impl Options {
    fn crt(ctx: &Context, mode: Mode) -> Self {
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", ctx.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", ctx.secret_access_key.clone()),
        ];
        if let Some(token) = &ctx.session_token {
            env.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        let mut shared: Vec<String> = [
            "--uri-encoding",
            "single",
            "--time",
            &ctx.timestamp,
            "--region",
            &ctx.region,
            "--service",
            &ctx.service,
        ]
        .map(String::from)
        .to_vec();
        if !ctx.normalize {
            shared.push("--no-normalize-path".into());
        }
        if ctx.omit_session_token {
            shared.push("--omit-session-token".into());
        }
        let mut sign_only = Vec::new();
        if ctx.sign_body {
            sign_only.push("--content-sha256-header".into());
        }
        if let Mode::Query = mode {
            sign_only.extend(["--presign".into(), "--expires".into()]);
            sign_only.push(ctx.expiration_in_seconds.to_string());
        }
        Self {
            env,
            shared,
            sign_only,
            // Presigned URLs carry no such header.
            content_sha256: ctx.sign_body && matches!(mode, Mode::Header),
        }
    }

    /// The legacy cases, signed as `legacy_case` signs them.
    fn legacy(mode: Mode) -> Self {
        let shared = [
            "--uri-encoding",
            "double",
            "--time",
            "2021-05-11T15:40:45Z",
            "--region",
            "us-east-1",
            "--service",
            "service",
        ]
        .map(String::from)
        .to_vec();
        let sign_only = match mode {
            Mode::Header => Vec::new(),
            Mode::Query => vec!["--presign".into()],
        };
        Self {
            env: vec![
                ("AWS_ACCESS_KEY_ID", KEY_ID.into()),
                ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
            ],
            shared,
            sign_only,
            content_sha256: false,
        }
    }

    fn command(&self, subcommand: &str) -> Command {
        let mut command = sigv4();
        command.arg(subcommand).args(&self.shared);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if subcommand == "sign" {
            command.args(&self.sign_only);
        }
        command
    }
}

/// One-byte changes to a signed raw request, each with what it changes.
fn tamperings(signed: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let line_end = signed
        .iter()
        .position(|&b| b == b'\n')
        .expect("request line");
    let head_end = signed
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("blank line")
        + 2;
    let mut out = Vec::new();

    // The method's first byte, moved one letter on.
    let mut method = signed.to_vec();
    method[0] += 1;
    out.push(("method", method));

    // A byte added at the end of the path: no normalization can drop it,
    // where a byte changed inside a `..`-removed segment would rightly not
    // matter.
    let target_start = signed.iter().position(|&b| b == b' ').expect("space") + 1;
    let target_end = target_start
        + signed[target_start..line_end]
            .iter()
            .position(|&b| b == b'?' || b == b' ')
            .expect("end of path");
    let mut path = signed.to_vec();
    path.insert(target_end, b'z');
    out.push(("path", path));

    // The last byte of the Host header's value.
    let host_line = signed[..head_end]
        .split(|&b| b == b'\n')
        .scan(0, |start, line| {
            let at = *start;
            *start += line.len() + 1;
            Some((at, line))
        })
        .find(|(_, line)| line.to_ascii_lowercase().starts_with(b"host:"))
        .map(|(at, line)| at + line.len() - 1)
        .expect("host line");
    let mut host = signed.to_vec();
    host[host_line] = if host[host_line] == b'x' { b'y' } else { b'x' };
    out.push(("header", host));

    // The body's first byte, or one byte added to an empty body.
    let mut body = signed.to_vec();
    if head_end < body.len() {
        body[head_end] ^= 0x01;
    } else {
        body.push(b'x');
    }
    out.push(("body", body));
    out
}

#[derive(Default)]
struct VerifyRun {
    failures: Vec<String>,
    verified: usize,
    tampered: usize,
}

impl VerifyRun {
    fn case(&mut self, case: &Case, options: &Options, mode: Mode) {
        let name = &case.name;
        let signed = run(
            options.command("sign").arg(case.dir.join("request.txt")),
            None,
        );
        if !signed.status.success() {
            let stderr = text(&signed.stderr);
            return self
                .failures
                .push(format!("{name}: {mode:?}: sign failed: {stderr}"));
        }
        let output = run(&mut options.command("verify"), Some(&signed.stdout));
        if output.status.code() != Some(0) || output.stdout != b"OK\n" {
            return self.failures.push(format!(
                "{name}: {mode:?}: does not verify: {}{}\n--- signed\n{}",
                text(&output.stdout),
                text(&output.stderr),
                text(&signed.stdout)
            ));
        }
        self.verified += 1;

        for (what, tampered) in tamperings(&signed.stdout) {
            let output = run(&mut options.command("verify"), Some(&tampered));
            let stdout = text(&output.stdout);
            let check = if what == "body" && options.content_sha256 {
                "FAILED XAmzContentSHA256Mismatch: "
            } else {
                "FAILED SignatureDoesNotMatch: "
            };
            let computed = stdout.contains("\ncanonical request:\n")
                && stdout.contains("\n\nstring to sign:\nAWS4-HMAC-SHA256\n");
            if output.status.code() != Some(1) || !stdout.starts_with(check) || !computed {
                self.failures.push(format!(
                    "{name}: {mode:?}: changed {what}: exit {:?}, expected {check:?} with the \
                     canonical request\n{stdout}{}",
                    output.status.code(),
                    text(&output.stderr)
                ));
            }
            self.tampered += 1;
        }
    }
}

/// The property: `sign`'s output for every suite request, in both modes,
/// verifies with the same options; and every one-byte change to its
/// method, path, Host header or body is caught.
#[test]
fn suite_signatures_verify_and_tampering_fails() {
    let mut suite = VerifyRun::default();
    for case in cases() {
        for mode in [Mode::Header, Mode::Query] {
            let options = match case.context() {
                Some(json) => Options::crt(&Context::from_json(&json), mode),
                None => Options::legacy(mode),
            };
            suite.case(&case, &options, mode);
        }
    }
    assert!(
        suite.failures.is_empty(),
        "{} failures:\n{}",
        suite.failures.len(),
        suite.failures.join("\n")
    );
    assert_eq!(suite.verified, 80, "40 cases x header and presign mode");
    assert_eq!(suite.tampered, 320, "4 changes to each");
}

/// `sigv4 verify` over `sign`'s output for [`POST`] at a fixed time.
fn signed_post(extra: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let mut command = sign(&["--time", "20150830T123600Z"]);
    command.args(extra);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = run(&mut command, Some(POST));
    assert!(output.status.success(), "{}", text(&output.stderr));
    output.stdout
}

/// `sigv4 verify` with the suite's credentials, a region, a service and a
/// time five seconds after [`signed_post`]'s.
fn verify(args: &[&str]) -> Command {
    let mut command = sigv4_with_credentials();
    command.args(["verify", "--region", "us-east-1", "--service", "service"]);
    if !args.contains(&"--time") {
        command.args(["--time", "20150830T123605Z"]);
    }
    command.args(args);
    command
}

/// Asserts a verification failure: exit 1, stdout naming the check, and
/// (when `computed`) the canonical request and string to sign.
fn assert_fails(output: &Output, check: &str, computed: bool) {
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.starts_with(&format!("FAILED {check}")), "{stdout}");
    assert_eq!(
        stdout.contains("\ncanonical request:\n"),
        computed,
        "{stdout}"
    );
    assert_eq!(stdout.contains("\nstring to sign:\n"), computed, "{stdout}");
    assert!(!stdout.contains(SECRET), "{stdout}");
}

/// A request as captured from the wire (`Name: value` with CRLF line ends)
/// verifies like the suite's `Name:value` layout: the whitespace after the
/// colon is not part of any value (RFC 9110 §5.5).
#[test]
fn verify_reads_wire_text() {
    let signed = text(&signed_post(&[], &[]));
    let (head, body) = signed.split_once("\n\n").expect("headers, then the body");
    let mut wire = String::new();
    for (i, line) in head.lines().enumerate() {
        if i == 0 {
            wire.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("Name:value");
            wire.push_str(&format!("{name}: {value} "));
        }
        wire.push_str("\r\n");
    }
    wire.push_str("\r\n");
    wire.push_str(body);
    assert!(
        wire.contains("\r\nAuthorization: AWS4-HMAC-SHA256 Credential="),
        "{wire}"
    );
    let output = run(&mut verify(&[]), Some(wire.as_bytes()));
    assert_eq!(text(&output.stdout), "OK\n", "{}", text(&output.stderr));
}

/// Each check the verifier makes is reported by its AWS code, with what
/// the verifier computed whenever it got that far.
#[test]
fn verify_names_the_failed_check() {
    let signed = signed_post(&[], &[]);
    let ok = run(&mut verify(&[]), Some(&signed));
    assert_eq!(text(&ok.stdout), "OK\n", "{}", text(&ok.stderr));
    assert_eq!(ok.status.code(), Some(0));
    assert!(ok.stderr.is_empty());

    // Time: outside the skew, unless the skew is widened.
    let late = ["--time", "20150830T124200Z"];
    let output = run(&mut verify(&late), Some(&signed));
    assert_fails(&output, "RequestExpired: request expired", true);
    let output = run(verify(&late).args(["--max-skew", "600"]), Some(&signed));
    assert_eq!(text(&output.stdout), "OK\n");

    // Scope: another region or service.
    let output = run(
        sigv4_with_credentials()
            .args(["verify", "--region", "eu-west-1", "--service", "service"])
            .args(["--time", "20150830T123605Z"]),
        Some(&signed),
    );
    assert_fails(
        &output,
        "SignatureDoesNotMatch: the credential scope's region",
        false,
    );

    // Another key id or secret.
    let output = run(
        verify(&[]).env("AWS_ACCESS_KEY_ID", "AKIDOTHER"),
        Some(&signed),
    );
    assert_fails(
        &output,
        "InvalidClientTokenId: the access key id \"AKIDEXAMPLE\"",
        true,
    );
    let output = run(
        verify(&[]).env("AWS_SECRET_ACCESS_KEY", "another-secret"),
        Some(&signed),
    );
    assert_fails(
        &output,
        "SignatureDoesNotMatch: the signature does not match",
        true,
    );
    // Without AWS_ACCESS_KEY_ID any key id is accepted with the secret.
    let output = run(verify(&[]).env_remove("AWS_ACCESS_KEY_ID"), Some(&signed));
    assert_eq!(text(&output.stdout), "OK\n");

    // Session tokens: both or neither, and equal; never shown.
    let token = "FwoGZXIvYXdzEXAMPLE/TOKEN+with=padding";
    let with_token = signed_post(&[], &[("AWS_SESSION_TOKEN", token)]);
    let output = run(
        verify(&[]).env("AWS_SESSION_TOKEN", token),
        Some(&with_token),
    );
    assert_eq!(text(&output.stdout), "OK\n");
    let output = run(&mut verify(&[]), Some(&with_token));
    assert_fails(
        &output,
        "InvalidClientTokenId: the session token is not valid",
        true,
    );
    assert!(!text(&output.stdout).contains("FwoGZXIvYXdzEXAMPLE"));
    let output = run(verify(&[]).env("AWS_SESSION_TOKEN", "other"), Some(&signed));
    assert_fails(
        &output,
        "InvalidClientTokenId: the key requires a session token",
        true,
    );
    let presigned = signed_post(&["--presign"], &[("AWS_SESSION_TOKEN", token)]);
    let output = run(
        verify(&[]).env("AWS_SESSION_TOKEN", "other"),
        Some(&presigned),
    );
    assert_fails(&output, "InvalidClientTokenId", true);
    assert!(!text(&output.stdout).contains("FwoGZXIvYXdzEXAMPLE"));

    // A token added after signing verifies only with --omit-session-token.
    let omitted = signed_post(&["--omit-session-token"], &[("AWS_SESSION_TOKEN", token)]);
    let output = run(verify(&[]).env("AWS_SESSION_TOKEN", token), Some(&omitted));
    assert_fails(
        &output,
        "SignatureDoesNotMatch: the header \"x-amz-security-token\" is present but not signed",
        false,
    );
    let output = run(
        verify(&["--omit-session-token"]).env("AWS_SESSION_TOKEN", token),
        Some(&omitted),
    );
    assert_eq!(text(&output.stdout), "OK\n");
    let output = run(
        verify(&["--omit-session-token"]).env("AWS_SESSION_TOKEN", "other"),
        Some(&omitted),
    );
    assert_fails(&output, "InvalidClientTokenId", true);

    // Payload options mirror sign's.
    let unsigned = signed_post(&["--unsigned-payload"], &[]);
    assert_fails(
        &run(&mut verify(&[]), Some(&unsigned)),
        "SignatureDoesNotMatch",
        true,
    );
    let output = run(&mut verify(&["--unsigned-payload"]), Some(&unsigned));
    assert_eq!(text(&output.stdout), "OK\n");

    // Encoding options mirror sign's.
    let s3_flags = ["--uri-encoding", "single", "--no-normalize-path"];
    let s3 = run(
        sign(&["--time", "20150830T123600Z"]).args(s3_flags),
        Some(b"GET /my%20doc/../key HTTP/1.1\nHost:example.amazonaws.com\n\n"),
    )
    .stdout;
    assert_fails(
        &run(&mut verify(&[]), Some(&s3)),
        "SignatureDoesNotMatch",
        true,
    );
    let output = run(&mut verify(&s3_flags), Some(&s3));
    assert_eq!(text(&output.stdout), "OK\n");

    // Not signed at all.
    let output = run(&mut verify(&[]), Some(POST));
    assert_fails(&output, "MissingAuthenticationToken", false);
}

/// Problems with the command rather than the request: one line on stderr,
/// nothing on stdout; 2 for usage, 1 otherwise.
#[test]
fn verify_errors_are_one_line() {
    let signed = signed_post(&[], &[]);
    let output = run(&mut verify(&["--max-skew", "soon"]), Some(&signed));
    assert_error(&output, 2, "invalid value 'soon' for '--max-skew");
    assert_error(&output, 2, "sigv4 verify --help");
    let output = run(&mut verify(&["--time", "yesterday"]), Some(&signed));
    assert_error(&output, 2, "invalid signing time");
    let output = run(
        sigv4_with_credentials().args(["verify", "--service", "service"]),
        Some(&signed),
    );
    assert_error(&output, 2, "no region");
    let output = run(
        sigv4().args(["verify", "--region", "us-east-1", "--service", "service"]),
        Some(&signed),
    );
    assert_error(
        &output,
        1,
        "missing secret: AWS_SECRET_ACCESS_KEY is not set",
    );
    let output = run(&mut verify(&[]), Some(b"GET /index.html\n\n"));
    assert_error(&output, 1, "cannot parse the request in <stdin>");
    let output = run(&mut verify(&["/no/such/request.txt"]), None);
    assert_error(&output, 1, "cannot read /no/such/request.txt");
}

// ---------------------------------------------------------------------------
// 7. `sigv4 curl` against a mock Neptune that verifies every signature.

/// A server on 127.0.0.1 that verifies each request's SigV4 signature
/// (header or presigned) for `neptune-db` in `us-east-1` with the suite's
/// key, and answers 200 with what it received, or 403 with the AWS error
/// code and message. Stopped when dropped.
struct MockNeptune {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl MockNeptune {
    fn start() -> Self {
        Self::start_as(false)
    }

    /// With `s3`, it verifies as S3 does: service `s3`, the path encoded
    /// once and not normalized, and `x-amz-content-sha256` required.
    fn start_as(s3: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |r| Self::answer(r, s3));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            port,
            _runtime: runtime,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The same server over TLS, with the self-signed certificate for
    /// localhost in tests/data (no system trusts it): `https://` URLs.
    fn start_tls() -> Self {
        use rustls::pki_types::pem::PemObject;
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let certs =
            rustls::pki_types::CertificateDer::pem_file_iter(format!("{data}/localhost.crt"))
                .expect("certificate")
                .collect::<Result<Vec<_>, _>>()
                .expect("certificate");
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(format!("{data}/localhost.key"))
            .expect("key");
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |r| Self::answer(r, false));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            port,
            _runtime: runtime,
        }
    }

    async fn answer(
        request: http::Request<hyper::body::Incoming>,
        s3: bool,
    ) -> Result<http::Response<http_body_util::Full<hyper::body::Bytes>>, std::convert::Infallible>
    {
        use http_body_util::BodyExt;
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes().to_vec());
        let request = http::Request::from_parts(parts, body.unwrap_or_default());
        let known = Credentials::new(KEY_ID, SECRET).expect("credentials");
        let lookup = move |id: &str| (id == KEY_ID).then(|| known.clone());
        let verifier = if s3 {
            if !request.headers().contains_key("x-amz-content-sha256")
                && !request
                    .uri()
                    .query()
                    .is_some_and(|q| q.contains("X-Amz-Signature="))
            {
                return Ok(http::Response::builder()
                    .status(400)
                    .body(http_body_util::Full::new(hyper::body::Bytes::from(
                        "MissingContentSHA256: x-amz-content-sha256 is required",
                    )))
                    .expect("response"));
            }
            sigv4::verify::Verifier::new(
                Region::new("us-east-1").expect("region"),
                Service::new("s3").expect("service"),
                lookup,
            )
            .with_settings(SigningSettings::s3())
        } else {
            sigv4::verify::Verifier::neptune("us-east-1", lookup).expect("verifier")
        };
        let chunked = request
            .headers()
            .get("x-amz-content-sha256")
            .is_some_and(|v| v.as_bytes().starts_with(b"STREAMING-"));
        if chunked {
            let text = Self::check_chunked(&verifier, &request);
            return Ok(http::Response::new(http_body_util::Full::new(
                hyper::body::Bytes::from(text),
            )));
        }
        // S3 signs presigned URLs over UNSIGNED-PAYLOAD.
        let presigned = request
            .uri()
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature="));
        let payload = if s3 && presigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(request.body())
        };
        let (status, text) =
            match verifier.verify_with_payload(&request, payload, SigningTime::now()) {
                Ok(verified) => {
                    let header = |name: &str| {
                        request
                            .headers()
                            .get(name)
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            .unwrap_or_default()
                    };
                    (
                        200,
                        format!(
                        "{} {} signed-by={} signed-headers={} content-type={} x-test={} body={}",
                        request.method(),
                        request.uri(),
                        verified.access_key_id,
                        verified.signed_headers,
                        header("content-type"),
                        header("x-test"),
                        String::from_utf8_lossy(request.body())
                    ),
                    )
                }
                Err(e) => (403, format!("{}: {e}", e.code())),
            };
        // Verified requests to these paths redirect, or fail, as asked.
        let path = request.uri().path();
        let (status, location) = match (status, path) {
            (200, "/redirect-302") => (302, Some("/status")),
            (200, "/redirect-307") => (307, Some("/status?after=307")),
            (200, "/redirect-loop") => (302, Some("/redirect-loop")),
            (200, "/missing") => (404, None),
            (status, _) => (status, None),
        };
        let mut response = http::Response::builder()
            .status(status)
            .header("x-mock", "neptune");
        if let Some(location) = location {
            response = response.header("location", location);
        }
        let response = response
            .body(http_body_util::Full::new(hyper::body::Bytes::from(text)))
            .expect("response");
        Ok(response)
    }
}

impl MockNeptune {
    /// An aws-chunked request: `chunked framing=... decoded=N sha256=HEX`,
    /// or `failed: ...`.
    fn check_chunked<L: sigv4::verify::SecretLookup>(
        verifier: &sigv4::verify::Verifier<L>,
        request: &http::Request<Vec<u8>>,
    ) -> String {
        use sha2::Digest;
        let head = http::Request::builder()
            .method(request.method().clone())
            .uri(request.uri().clone());
        let mut head = head.body(()).expect("request");
        *head.headers_mut() = request.headers().clone();
        let (verified, mut decoder) = match verifier.verify_chunked(&head, SigningTime::now()) {
            Ok(checked) => checked,
            Err(e) => return format!("failed: {}: {e}", e.code()),
        };
        let mut data = Vec::new();
        let mut input = request.body().as_slice();
        loop {
            match decoder.decode(input) {
                Ok((used, decoded)) => {
                    if let sigv4::Decoded::Data(d) = decoded {
                        data.extend_from_slice(d);
                    }
                    input = &input[used..];
                    if input.is_empty() && !matches!(decoded, sigv4::Decoded::Data(_)) {
                        break;
                    }
                }
                Err(e) => return format!("failed: {e}"),
            }
        }
        if let Err(e) = decoder.finish() {
            return format!("failed: {e}");
        }
        format!(
            "chunked {:?} decoded={} sha256={} content-type={}",
            verified.payload,
            data.len(),
            hex::encode(sha2::Sha256::digest(&data)),
            request
                .headers()
                .get("content-type")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default()
        )
    }
}

/// `curl --chunked SIZE -d @FILE` streams the file as aws-chunked; the
/// server checks every chunk and the trailer.
#[test]
fn curl_uploads_a_file_as_aws_chunked() {
    use sha2::Digest;
    let server = MockNeptune::start();
    let dir = std::env::temp_dir().join(format!("sigv4-cli-chunked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("upload.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let file = format!("@{}", path.display());
    let url = server.url("/upload");
    let expected = format!(
        "decoded=300000 sha256={}",
        hex::encode(sha2::Sha256::digest(&data))
    );
    for extra in [
        &[][..],
        &["--trailer-checksum", "crc32c"][..],
        &["--trailer-checksum", "sha256", "--unsigned-chunks"][..],
    ] {
        let mut args = vec![
            "-X",
            "PUT",
            "--chunked",
            "65536",
            "--data-binary",
            &file,
            "-H",
            "Content-Type: application/octet-stream",
        ];
        args.extend_from_slice(extra);
        args.push(&url);
        let stdout = curl_ok(&mut curl(&args), None);
        assert!(stdout.contains(&expected), "{extra:?}: {stdout}");
        assert!(
            stdout.contains("content-type=application/octet-stream"),
            "{stdout}"
        );
    }
    // Data from the command line is framed from memory.
    let stdout = curl_ok(
        &mut curl(&["--chunked", "4", "-d", "hello world", &url]),
        None,
    );
    assert!(stdout.contains("decoded=11"), "{stdout}");
    // Usage: --chunked without a body, or with --presign.
    let output = run(&mut curl(&["--chunked", "8192", &url]), None);
    assert_error(&output, 2, "--chunked needs a body");
    let output = run(
        &mut curl(&["--chunked", "8192", "--presign", "-d", "x", &url]),
        None,
    );
    assert_error(&output, 2, "--chunked cannot go with --presign");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `sigv4 curl` with the suite's credentials, for neptune-db in us-east-1.
fn curl(args: &[&str]) -> Command {
    let mut command = sigv4_with_credentials();
    command.args(["curl", "--service", "neptune-db", "--region", "us-east-1"]);
    command.args(args);
    command
}

/// Runs `command` and returns its stdout, asserting it succeeded quietly.
fn curl_ok(command: &mut Command, stdin: Option<&[u8]>) -> String {
    let output = run(command, stdin);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn curl_get_and_post() {
    let server = MockNeptune::start();
    let url = server.url("/status");
    let stdout = curl_ok(&mut curl(&[&url]), None);
    assert_eq!(
        stdout,
        "GET /status signed-by=AKIDEXAMPLE signed-headers=host;x-amz-date \
         content-type= x-test= body="
    );

    // -d: POST, form content type, the body signed and sent as given.
    let query = "query=MATCH (n) RETURN n LIMIT 1";
    let stdout = curl_ok(&mut curl(&["-d", query, &server.url("/openCypher")]), None);
    assert_eq!(
        stdout,
        format!(
            "POST /openCypher signed-by=AKIDEXAMPLE \
             signed-headers=content-type;host;x-amz-date \
             content-type=application/x-www-form-urlencoded x-test= body={query}"
        )
    );

    // Repeated -d are joined with '&'; -X overrides the method.
    let stdout = curl_ok(
        &mut curl(&["-X", "PUT", "-d", "a=1", "-d", "b=2", &url]),
        None,
    );
    assert!(stdout.starts_with("PUT /status "), "{stdout}");
    assert!(stdout.ends_with(" body=a=1&b=2"), "{stdout}");

    // Query strings are signed too.
    let stdout = curl_ok(
        &mut curl(&[&server.url("/gremlin?gremlin=g.V().count()")]),
        None,
    );
    assert!(
        stdout.starts_with("GET /gremlin?gremlin=g.V().count() "),
        "{stdout}"
    );
}

#[test]
fn curl_data_from_a_file_and_stdin() {
    let server = MockNeptune::start();
    let dir = TempDir::new("curl-data");
    let body = b"{\"gremlin\": \"g.V().limit(1)\"}\nsecond line\r\n";
    let file = dir.file("query.json", body);
    let at_file = format!("@{}", file.display());
    let stdout = curl_ok(
        &mut curl(&[
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &at_file,
            &server.url("/gremlin"),
        ]),
        None,
    );
    assert!(stdout.starts_with("POST /gremlin "), "{stdout}");
    assert!(
        stdout.contains(" content-type=application/json "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!(" body={}", text(body))),
        "{stdout}"
    );

    // -d @FILE drops CR and LF, as curl does; --data-binary keeps them.
    let stdout = curl_ok(&mut curl(&["-d", &at_file, &server.url("/gremlin")]), None);
    assert!(
        stdout.ends_with(" body={\"gremlin\": \"g.V().limit(1)\"}second line"),
        "{stdout}"
    );
    // Mixed, joined with '&' in command-line order.
    let stdout = curl_ok(
        &mut curl(&[
            "--data-binary",
            "a=1\n",
            "-d",
            "b=2",
            "--data-binary",
            "c=3",
            &server.url("/sparql"),
        ]),
        None,
    );
    assert!(stdout.ends_with(" body=a=1\n&b=2&c=3"), "{stdout}");

    let stdout = curl_ok(
        &mut curl(&["-d", "@-", &server.url("/sparql")]),
        Some(b"query=ASK{}\n"),
    );
    assert!(stdout.ends_with(" body=query=ASK{}"), "{stdout}");
    let stdout = curl_ok(
        &mut curl(&["--data-binary", "@-", &server.url("/sparql")]),
        Some(b"query=ASK{}\n"),
    );
    assert!(stdout.ends_with(" body=query=ASK{}\n"), "{stdout}");

    let output = run(&mut curl(&["-d", "@/no/such/file", &server.url("/")]), None);
    assert_error(&output, 1, "cannot read /no/such/file");
}

#[test]
fn curl_headers_and_include() {
    let server = MockNeptune::start();
    let url = server.url("/status");
    // -H headers are sent and signed; names are trimmed of spaces.
    let stdout = curl_ok(
        &mut curl(&[
            "-H",
            "X-Test:  hello world ",
            "-H",
            "accept: text/plain",
            &url,
        ]),
        None,
    );
    assert!(
        stdout.contains(" signed-headers=accept;host;x-amz-date;x-test "),
        "{stdout}"
    );
    assert!(stdout.contains(" x-test=hello world "), "{stdout}");

    // -i: the status line, the headers, a blank line, the body.
    let stdout = curl_ok(&mut curl(&["-i", &url]), None);
    let (head, body) = stdout
        .split_once("\n\n")
        .expect("blank line after the headers");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let headers: Vec<&str> = lines.collect();
    assert!(headers.contains(&"x-mock: neptune"), "{headers:?}");
    assert!(
        headers.iter().any(|h| h.starts_with("content-length: ")),
        "{headers:?}"
    );
    assert!(body.starts_with("GET /status "), "{body}");
}

/// The mock really verifies: a wrong secret is answered 403, which curl
/// prints (exit 0, as curl does for any response).
#[test]
fn curl_wrong_secret_is_refused_by_the_server() {
    let server = MockNeptune::start();
    let stdout = curl_ok(
        curl(&[&server.url("/status")]).env("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        None,
    );
    assert!(stdout.starts_with("SignatureDoesNotMatch: "), "{stdout}");
    assert!(!stdout.contains("not-the-secret"));
}

/// Credentials from a profile, chosen with --profile over the environment.
#[test]
fn curl_with_a_profile() {
    let server = MockNeptune::start();
    let dir = TempDir::new("curl-profile");
    let file = profiles(&dir);
    let stdout = curl_ok(
        curl(&["--profile", "other", &server.url("/status")])
            .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
            .env("AWS_SHARED_CREDENTIALS_FILE", &file),
        None,
    );
    assert!(
        stdout.starts_with("GET /status signed-by=AKIDEXAMPLE "),
        "{stdout}"
    );
}

/// Sends a raw GET for `url` (http://127.0.0.1:PORT/...) with no signing of
/// its own, and returns the status line and the body.
fn fetch(url: &str) -> (String, String) {
    use std::io::Read;
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, target) = rest.split_at(rest.find('/').expect("path"));
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn curl_presign() {
    let server = MockNeptune::start();
    let output = run(&mut curl(&["--presign", &server.url("/status?a=1")]), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let url = stdout.strip_suffix('\n').expect("one line");
    assert!(!url.contains('\n'), "{stdout}");
    assert!(url.contains("&X-Amz-Expires=3600&"), "{url}");
    assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE%2F"), "{url}");
    assert!(
        !url.contains(SECRET) && !url.contains("wJalrXUtnFEMI%2F"),
        "{url}"
    );

    // Nothing was sent: the URL works when fetched by someone else.
    let (status, body) = fetch(url);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(
        body.starts_with("GET /status?a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"),
        "{body}"
    );
    assert!(body.contains(" signed-headers=host "), "{body}");

    // --expires; and a tampered URL is refused.
    let stdout = curl_ok(
        &mut curl(&["--presign", "--expires", "60", &server.url("/status")]),
        None,
    );
    let url = stdout.trim_end();
    assert!(url.contains("&X-Amz-Expires=60&"), "{url}");
    assert_eq!(fetch(url).0, "HTTP/1.1 200 OK");
    let (status, body) = fetch(&url.replace("/status?", "/stat?"));
    assert_eq!(status, "HTTP/1.1 403 Forbidden", "{body}");
    assert!(body.starts_with("SignatureDoesNotMatch"), "{body}");

    let output = run(&mut curl(&["--expires", "60", &server.url("/")]), None);
    assert_error(&output, 2, "--expires only applies to presigned URLs");
    let output = run(
        &mut curl(&["--presign", "--expires", "0", &server.url("/")]),
        None,
    );
    assert_error(&output, 2, "invalid value '0' for '--expires");
}

#[test]
fn curl_errors_are_one_line() {
    for (url, phrase) in [
        ("not a url", "bad URL"),
        ("ftp://example.com/x", "bad URL: only http:// and https://"),
        ("/status", "bad URL: expected http://HOST/PATH"),
        ("127.0.0.1:8182/status", "bad URL"),
        ("http://user:hunter2@127.0.0.1:1/", "bad URL: user info"),
    ] {
        let output = run(&mut curl(&[url]), None);
        assert_error(&output, 2, phrase);
        assert!(!text(&output.stderr).contains("hunter2"));
    }
    // A header's value is never echoed: it may be a credential.
    let output = run(
        &mut curl(&["-H", "X-Api-Key s3cr3t", "http://127.0.0.1:1/"]),
        None,
    );
    assert_error(&output, 2, "bad header (-H number 1): no colon");
    assert!(!text(&output.stderr).contains("s3cr3t"));
    let output = run(
        &mut curl(&["-H", "a: 1", "-H", "bad name: x", "http://127.0.0.1:1/"]),
        None,
    );
    assert_error(
        &output,
        2,
        "bad header (-H number 2): the name is not an HTTP token",
    );
    let output = run(&mut curl(&["-X", "GE T", "http://127.0.0.1:1/"]), None);
    assert_error(&output, 2, "bad method");
    let output = run(
        sigv4().args(["curl", "--region", "us-east-1", "http://127.0.0.1:1/"]),
        None,
    );
    assert_error(&output, 2, "--service");

    // No credentials anywhere.
    let output = run(
        sigv4().args([
            "curl",
            "--service",
            "neptune-db",
            "--region",
            "us-east-1",
            "http://127.0.0.1:1/",
        ]),
        None,
    );
    assert_error(&output, 1, "missing credentials");

    // Connection refused: a port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let output = run(
        &mut curl(&[&format!("http://127.0.0.1:{port}/status")]),
        None,
    );
    assert_error(&output, 1, &format!("cannot connect to 127.0.0.1:{port}"));
    assert!(!text(&output.stderr).contains(SECRET));
}

// 3. aws-chunked: `sign --chunked`, `--trailer-checksum`, `--unsigned-chunks`,
// and `verify` of what they write.

/// The AWS documentation's chunked example through the command: the same
/// seed signature and body as the library gives, and `verify` accepts it.
#[test]
fn sign_chunked_reproduces_the_aws_example() {
    let mut request = b"PUT /examplebucket/chunkObject.txt HTTP/1.1\nHost:s3.amazonaws.com\nx-amz-storage-class:REDUCED_REDUNDANCY\nContent-Length:66560\n\n".to_vec();
    request.extend(std::iter::repeat_n(b'a', 66_560));
    let mut command = sigv4();
    command
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .args([
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--time",
            "20130524T000000Z",
            "--uri-encoding",
            "single",
            "--no-normalize-path",
            "--chunked",
            "65536",
        ]);
    let output = run(&mut command, Some(&request));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let signed = raw::parse_request(&output.stdout).unwrap();
    let headers = signed.headers();
    assert_eq!(
        headers["content-length"], "66824",
        "the input's length is replaced"
    );
    assert_eq!(headers["content-encoding"], "aws-chunked");
    assert_eq!(headers["x-amz-decoded-content-length"], "66560");
    assert_eq!(
        header_signature(&signed).as_deref(),
        Some("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
    );
    assert!(signed.body().starts_with(
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
    ));
    assert!(signed.body().ends_with(
        b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
    ));
    // No header beyond the ones aws-chunked names.
    assert!(headers.get("x-amz-sdk-checksum-algorithm").is_none());
    assert!(headers.get("x-amz-trailer").is_none());
}

/// Every variant signs, keeps an existing encoding after aws-chunked, and
/// verifies; a changed body byte then fails verification.
#[test]
fn chunked_variants_sign_and_verify() {
    let body: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut request =
        b"PUT /bucket/key HTTP/1.1\nHost:s3.amazonaws.com\nContent-Encoding:gzip\n\n".to_vec();
    request.extend_from_slice(&body);
    for variant in [
        &[][..],
        &["--trailer-checksum", "crc32"][..],
        &["--trailer-checksum", "crc32c"][..],
        &["--trailer-checksum", "sha1"][..],
        &["--trailer-checksum", "sha256", "--unsigned-chunks"][..],
    ] {
        let mut args = vec!["--time", "20150830T123600Z", "--chunked", "8192"];
        args.extend_from_slice(variant);
        let output = run(&mut sign(&args), Some(&request));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{variant:?}: {}",
            text(&output.stderr)
        );
        let signed = raw::parse_request(&output.stdout).unwrap();
        assert_eq!(signed.headers()["content-encoding"], "aws-chunked,gzip");
        assert_eq!(
            signed.headers()["content-length"],
            signed.body().len().to_string().as_str(),
            "{variant:?}"
        );
        let authorization = signed.headers()["authorization"].to_str().unwrap();
        assert!(authorization.contains("content-length;"), "{authorization}");

        let verify = |input: &[u8]| {
            let mut command = sigv4_with_credentials();
            command.args([
                "verify",
                "--region",
                "us-east-1",
                "--service",
                "service",
                "--time",
                "20150830T123600Z",
            ]);
            run(&mut command, Some(input))
        };
        let output = verify(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{variant:?}: {}",
            text(&output.stdout)
        );
        assert_eq!(text(&output.stdout), "OK\n");

        let mut tampered = raw::write_request(&signed);
        let at = tampered.len() - 300;
        tampered[at] ^= 1;
        let output = verify(&tampered);
        assert_eq!(output.status.code(), Some(1), "{variant:?}");
        assert!(
            text(&output.stdout).starts_with("FAILED "),
            "{}",
            text(&output.stdout)
        );
    }
}

#[test]
fn chunked_usage_errors() {
    let output = run(
        &mut sign(&["--unsigned-chunks", "--chunked", "8192"]),
        Some(POST),
    );
    assert_error(&output, 2, "--unsigned-chunks needs --trailer-checksum");
    let output = run(&mut sign(&["--unsigned-chunks"]), Some(POST));
    assert_error(&output, 2, "--unsigned-chunks needs");
    let output = run(&mut sign(&["--trailer-checksum", "crc32"]), Some(POST));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = run(&mut sign(&["--chunked", "0"]), Some(POST));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = run(&mut sign(&["--chunked", "8192", "--presign"]), Some(POST));
    assert_error(&output, 2, "--chunked cannot go with --presign");
    let output = run(
        &mut sign(&["--chunked", "8192", "--trailer-checksum", "md5"]),
        Some(POST),
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

// 4. SigV4a: `sign --sigv4a`, `--region-set`, `verify`, `curl --sigv4a`.

/// Every case of the official v4a suite through `sign --sigv4a --explain`
/// (the canonical request and string to sign equal the suite's) and then
/// `verify` (which recognises SigV4a from the request), in both modes; a
/// changed byte of the signature then fails.
#[test]
fn sigv4a_suite_through_the_binary() {
    let mut checked = 0;
    for case in common::cases_v4a() {
        let ctx = Context::from_json(&case.context().unwrap());
        for presign in [false, true] {
            let mut command = sigv4();
            command
                .env("AWS_ACCESS_KEY_ID", &ctx.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &ctx.secret_access_key)
                .args(["sign", "--sigv4a", "--uri-encoding", "single", "--explain"])
                .args(["--time", &ctx.timestamp])
                .args(["--region-set", &ctx.region, "--service", &ctx.service]);
            if let Some(token) = &ctx.session_token {
                command.env("AWS_SESSION_TOKEN", token);
            }
            if !ctx.normalize {
                command.arg("--no-normalize-path");
            }
            if ctx.sign_body {
                command.arg("--content-sha256-header");
            }
            if ctx.omit_session_token {
                command.arg("--omit-session-token");
            }
            let mode = if presign {
                command.args(["--presign", "--expires"]);
                command.arg(ctx.expiration_in_seconds.to_string());
                "query"
            } else {
                "header"
            };
            command.arg(case.dir.join("request.txt"));
            let output = run(&mut command, None);
            assert!(
                output.status.success(),
                "{}: {}",
                case.name,
                text(&output.stderr)
            );
            let explained = text(&output.stderr);
            let canonical = case.text(&format!("{mode}-canonical-request.txt")).unwrap();
            let sts = case.text(&format!("{mode}-string-to-sign.txt")).unwrap();
            let shown_canonical = match &ctx.session_token {
                Some(token) if !ctx.omit_session_token || !presign => {
                    let mut encoded = String::new();
                    for b in token.bytes() {
                        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                            encoded.push(b as char);
                        } else {
                            encoded.push_str(&format!("%{b:02X}"));
                        }
                    }
                    canonical
                        .replace(&encoded, "<redacted>")
                        .replace(token.as_str(), "<redacted>")
                }
                _ => canonical.clone(),
            };
            assert!(
                explained.contains(&format!("canonical request:\n{shown_canonical}\n")),
                "{}: {mode}: {explained}",
                case.name
            );
            assert!(
                explained.contains(&format!("string to sign:\n{sts}\n")),
                "{}: {mode}",
                case.name
            );

            let mut verify = sigv4();
            verify
                .env("AWS_ACCESS_KEY_ID", &ctx.access_key_id)
                .env("AWS_SECRET_ACCESS_KEY", &ctx.secret_access_key)
                .args([
                    "verify",
                    "--uri-encoding",
                    "single",
                    "--time",
                    &ctx.timestamp,
                ])
                .args(["--region", &ctx.region, "--service", &ctx.service]);
            if let Some(token) = &ctx.session_token {
                verify.env("AWS_SESSION_TOKEN", token);
            }
            if !ctx.normalize {
                verify.arg("--no-normalize-path");
            }
            if ctx.omit_session_token {
                verify.arg("--omit-session-token");
            }
            let result = run(&mut verify, Some(&output.stdout));
            assert_eq!(text(&result.stdout), "OK\n", "{}: {mode}", case.name);

            // The suite's own signed request verifies too.
            let theirs = case.read(&format!("{mode}-signed-request.txt")).unwrap();
            let result = run(&mut verify, Some(&theirs));
            assert_eq!(
                text(&result.stdout),
                "OK\n",
                "{}: {mode}: the suite's",
                case.name
            );

            // A changed signature byte fails.
            let mut tampered = output.stdout.clone();
            let at = tampered
                .windows(b"Signature=".len())
                .rposition(|w| w == b"Signature=")
                .unwrap()
                + b"Signature=".len()
                + 20;
            tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
            let result = run(&mut verify, Some(&tampered));
            assert_eq!(result.status.code(), Some(1), "{}: {mode}", case.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 76);
}

#[test]
fn sigv4a_options() {
    // The set defaults to --region; --region is not needed with --region-set.
    let request = b"GET / HTTP/1.1\nHost:example.amazonaws.com\n\n";
    let output = run(
        &mut sign(&["--sigv4a", "--time", "20150830T123600Z"]),
        Some(request),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let signed = raw::parse_request(&output.stdout).unwrap();
    assert_eq!(signed.headers()["x-amz-region-set"], "us-east-1");
    let mut command = sigv4_with_credentials();
    command.args([
        "sign",
        "--service",
        "s3",
        "--sigv4a",
        "--region-set",
        "us-*,eu-west-1",
    ]);
    let output = run(&mut command, Some(request));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let signed = raw::parse_request(&output.stdout).unwrap();
    assert_eq!(signed.headers()["x-amz-region-set"], "us-*,eu-west-1");
    assert!(signed.headers()["authorization"]
        .to_str()
        .unwrap()
        .starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/"));
    // Usage errors: --region-set without --sigv4a, a malformed set.
    let output = run(&mut sign(&["--region-set", "us-east-1"]), Some(request));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = run(
        &mut sign(&["--sigv4a", "--region-set", "us-east-1,,x"]),
        Some(request),
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = run(&mut sign(&["--sigv4a", "--chunked", "8192"]), Some(POST));
    assert_error(&output, 2, "--chunked cannot go with --sigv4a");
}

/// `curl --sigv4a` is verified by the mock (serving us-east-1); a region
/// set without it is refused by the server.
#[test]
fn curl_with_sigv4a() {
    let server = MockNeptune::start();
    let url = server.url("/status");
    let stdout = curl_ok(&mut curl(&["--sigv4a", &url]), None);
    assert!(
        stdout.starts_with(
            "GET /status signed-by=AKIDEXAMPLE signed-headers=host;x-amz-date;x-amz-region-set"
        ),
        "{stdout}"
    );
    let stdout = curl_ok(
        &mut curl(&["--sigv4a", "--region-set", "us-*", "-d", "q=1", &url]),
        None,
    );
    assert!(stdout.starts_with("POST"), "{stdout}");
    let stdout = curl_ok(
        &mut curl(&["--sigv4a", "--region-set", "eu-west-1", &url]),
        None,
    );
    assert!(stdout.starts_with("SignatureDoesNotMatch"), "{stdout}");
    assert!(stdout.contains("SignatureDoesNotMatch"), "{stdout}");
}

// 5. Neptune: `bolt-token`.

/// `sigv4 bolt-token URL` prints a password the Bolt check accepts, for
/// the URL's host with its port; --neptune-analytics signs for
/// neptune-graph; a bad URL is a usage error.
#[test]
fn bolt_token_prints_a_checkable_password() {
    let mut command = sigv4_with_credentials();
    command.args([
        "bolt-token",
        "--region",
        "us-east-1",
        "--time",
        "20150830T123600Z",
        "https://my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182",
    ]);
    let output = run(&mut command, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let password = text(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(password.trim()).unwrap();
    assert_eq!(
        json["Host"],
        "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com:8182"
    );
    assert_eq!(json["HttpMethod"], "GET");
    let known = Credentials::new(KEY_ID, SECRET).unwrap();
    let verifier =
        sigv4::verify::Verifier::neptune("us-east-1", move |_: &str| Some(known.clone())).unwrap();
    sigv4::neptune::verify_bolt_token(
        &verifier,
        password.trim(),
        SigningTime::parse("20150830T123600Z").unwrap(),
    )
    .unwrap();

    let mut command = sigv4_with_credentials();
    command.args([
        "bolt-token",
        "--region",
        "us-east-1",
        "--neptune-analytics",
        "bolt://g-abc.us-east-1.neptune-graph.amazonaws.com",
    ]);
    let output = run(&mut command, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("/neptune-graph/aws4_request"),
        "{}",
        text(&output.stdout)
    );

    let mut command = sigv4_with_credentials();
    command.args(["bolt-token", "--region", "us-east-1", "ftp://x"]);
    assert_eq!(run(&mut command, None).status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// 9. `sigv4 curl` with curl's and awscurl's habits (issue 19).

/// Only the body goes to stdout, so `| jq` works; -i adds the head.
#[test]
fn curl_prints_only_the_body_by_default() {
    let server = MockNeptune::start();
    let stdout = curl_ok(&mut curl(&[&server.url("/status")]), None);
    assert!(stdout.starts_with("GET /status signed-by="), "{stdout}");
    assert!(!stdout.contains("HTTP/1.1"), "{stdout}");
    let stdout = curl_ok(&mut curl(&["-i", &server.url("/status")]), None);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
    assert!(stdout.contains("\nx-mock: neptune\n"), "{stdout}");
}

/// -f and --fail-with-body: exit 22 on an HTTP error, with no body or
/// with it; without them any response exits 0.
#[test]
fn curl_fail_options() {
    let server = MockNeptune::start();
    let url = server.url("/missing");
    let output = run(&mut curl(&[&url]), None);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).starts_with("GET /missing "));

    for fail in ["-f", "--fail"] {
        let output = run(&mut curl(&[fail, &url]), None);
        assert_eq!(output.status.code(), Some(22), "{}", text(&output.stderr));
        assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
        assert_eq!(
            text(&output.stderr),
            "sigv4: error: the server answered HTTP 404 Not Found\n"
        );
    }
    let output = run(&mut curl(&["--fail-with-body", &url]), None);
    assert_eq!(output.status.code(), Some(22));
    assert!(text(&output.stdout).starts_with("GET /missing "));
    // A success is a success.
    let output = run(&mut curl(&["-f", &server.url("/status")]), None);
    assert_eq!(output.status.code(), Some(0));
    // A refused signature is an HTTP error too.
    let output = run(
        curl(&["-f", &server.url("/status")]).env("AWS_SECRET_ACCESS_KEY", "wrong"),
        None,
    );
    assert_eq!(output.status.code(), Some(22));
    assert!(text(&output.stderr).contains("HTTP 403 Forbidden"));
}

/// -o FILE takes the output (with -i, the head too); -f writes no file.
#[test]
fn curl_output_file() {
    let server = MockNeptune::start();
    let dir = TempDir::new("curl-output");
    let out = dir.0.join("out.txt");
    let out_arg = out.to_str().expect("path");
    let stdout = curl_ok(&mut curl(&["-o", out_arg, &server.url("/status")]), None);
    assert_eq!(stdout, "");
    let written = std::fs::read_to_string(&out).expect("output file");
    assert!(written.starts_with("GET /status signed-by="), "{written}");
    curl_ok(
        &mut curl(&["-i", "--output", out_arg, &server.url("/status")]),
        None,
    );
    let written = std::fs::read_to_string(&out).expect("output file");
    assert!(written.starts_with("HTTP/1.1 200 OK\n"), "{written}");
    let missing = dir.0.join("never.txt");
    let output = run(
        &mut curl(&[
            "-f",
            "-o",
            missing.to_str().expect("path"),
            &server.url("/missing"),
        ]),
        None,
    );
    assert_eq!(output.status.code(), Some(22));
    assert!(!missing.exists());
}

/// -v: the canonical request and string to sign on stderr, the token
/// redacted; stdout unchanged.
#[test]
fn curl_verbose_shows_what_was_signed() {
    let server = MockNeptune::start();
    let token = "FQoGZXIvYXdzEXAMPLETOKEN";
    let output = run(
        curl(&["-v", &server.url("/status?a=1")]).env("AWS_SESSION_TOKEN", token),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("canonical request:\nGET\n/status\na=1\nhost:127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nx-amz-security-token:<redacted>\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nstring to sign:\nAWS4-HMAC-SHA256\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n> GET /status?a=1 HTTP/1.1\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\n> x-amz-security-token: <redacted>\n"),
        "{stderr}"
    );
    // The mock knows no token, so it refuses it: this checks the output.
    assert!(stderr.contains("\n< HTTP/1.1 403 Forbidden\n"), "{stderr}");
    assert!(
        !stderr.contains(token) && !stderr.contains(SECRET),
        "{stderr}"
    );
    assert!(
        text(&output.stdout).starts_with("InvalidClientTokenId"),
        "{}",
        text(&output.stdout)
    );
}

/// -L follows redirects, each hop signed again (the mock verifies every
/// hop); 302 after a POST becomes a GET, 307 keeps the method and body.
#[test]
fn curl_follows_redirects_signing_each_hop() {
    let server = MockNeptune::start();
    let output = run(&mut curl(&["-i", &server.url("/redirect-302")]), None);
    assert!(text(&output.stdout).starts_with("HTTP/1.1 302 Found\n"));

    let stdout = curl_ok(&mut curl(&["-L", &server.url("/redirect-302")]), None);
    assert!(
        stdout.starts_with("GET /status signed-by=AKIDEXAMPLE"),
        "{stdout}"
    );
    let stdout = curl_ok(
        &mut curl(&["-L", "-d", "q=1", &server.url("/redirect-302")]),
        None,
    );
    assert!(stdout.starts_with("GET /status "), "{stdout}");
    assert!(stdout.ends_with(" body="), "{stdout}");
    let stdout = curl_ok(
        &mut curl(&["--location", "-d", "q=1", &server.url("/redirect-307")]),
        None,
    );
    assert!(stdout.starts_with("POST /status?after=307 "), "{stdout}");
    assert!(stdout.ends_with(" body=q=1"), "{stdout}");

    let output = run(
        &mut curl(&["-L", "--max-redirs", "3", &server.url("/redirect-loop")]),
        None,
    );
    assert_error(&output, 1, "too many redirects: more than 3");
}

/// --access-key, --secret-key and --session-token win over the
/// environment; AWS_SECURITY_TOKEN is read when AWS_SESSION_TOKEN is not.
#[test]
fn curl_credentials_from_flags_and_security_token() {
    let server = MockNeptune::start();
    let url = server.url("/status");
    let stdout = curl_ok(
        sigv4()
            .args(["curl", "--service", "neptune-db", "--region", "us-east-1"])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET, &url]),
        None,
    );
    assert!(
        stdout.starts_with("GET /status signed-by=AKIDEXAMPLE"),
        "{stdout}"
    );
    // The flags beat a wrong secret in the environment.
    let stdout = curl_ok(
        curl(&["--access-key", KEY_ID, "--secret-key", SECRET, &url])
            .env("AWS_SECRET_ACCESS_KEY", "wrong"),
        None,
    );
    assert!(stdout.starts_with("GET /status "), "{stdout}");
    // A session token is signed: the mock knows none, so it refuses it,
    // which shows the token was sent.
    for command in [
        curl(&[
            "--access-key",
            KEY_ID,
            "--secret-key",
            SECRET,
            "--session-token",
            "tok",
            "-v",
            &url,
        ]),
        {
            let mut c = curl(&["-v", &url]);
            c.env("AWS_SECURITY_TOKEN", "tok");
            c
        },
    ] {
        let mut command = command;
        let output = run(&mut command, None);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("x-amz-security-token:<redacted>"),
            "{stderr}"
        );
        assert!(!stderr.contains(":tok\n"), "{stderr}");
    }
    let output = run(&mut curl(&["--access-key", KEY_ID, &url]), None);
    assert_error(&output, 2, "--secret-key");
    let output = run(&mut curl(&["--session-token", "t", &url]), None);
    assert_error(&output, 2, "--access-key");
}

/// The region comes from the profile when neither the flag nor the
/// environment gives one; without --service it is read from AWS host
/// names, and any other host needs --service.
#[test]
fn curl_region_from_the_profile_and_service_defaults() {
    let server = MockNeptune::start();
    let dir = TempDir::new("curl-region");
    let config = dir.file(
        "config",
        b"[default]\nregion = us-east-1\n[profile far]\nregion = eu-west-1\n",
    );
    let base = || {
        let mut c = sigv4_with_credentials();
        c.env("AWS_CONFIG_FILE", &config);
        c.args(["curl", "--service", "neptune-db"]);
        c
    };
    let stdout = curl_ok(base().arg(server.url("/status")), None);
    assert!(stdout.starts_with("GET /status signed-by="), "{stdout}");
    // Another profile's region is not the server's: refused.
    let stdout = curl_ok(
        base().env("AWS_PROFILE", "far").arg(server.url("/status")),
        None,
    );
    assert!(stdout.starts_with("SignatureDoesNotMatch"), "{stdout}");
    // The environment beats the profile.
    let stdout = curl_ok(
        base()
            .env("AWS_PROFILE", "far")
            .env("AWS_REGION", "us-east-1")
            .arg(server.url("/status")),
        None,
    );
    assert!(stdout.starts_with("GET /status "), "{stdout}");
    // No region anywhere.
    let output = run(
        sigv4_with_credentials().args(["curl", "--service", "neptune-db", &server.url("/")]),
        None,
    );
    assert_error(&output, 2, "no region");
    // No service for a host that names none.
    let output = run(
        sigv4_with_credentials().args(["curl", "--region", "us-east-1", &server.url("/")]),
        None,
    );
    assert_error(&output, 2, "no service: pass --service");
    // An AWS host name gives the service: the presigned URL says which.
    let output = run(
        sigv4_with_credentials().args([
            "curl",
            "--region",
            "us-east-1",
            "--presign",
            "https://c.cluster-x.us-east-1.neptune.amazonaws.com:8182/status",
        ]),
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("%2Fus-east-1%2Fneptune-db%2Faws4_request"));
}

/// S3 mode (--s3, or service s3) against a mock that verifies as S3 does:
/// the path encoded once, x-amz-content-sha256 required, and presigned
/// URLs signing UNSIGNED-PAYLOAD.
#[test]
fn curl_s3_mode() {
    let server = MockNeptune::start_as(true);
    let s3 = |args: &[&str]| {
        let mut c = sigv4_with_credentials();
        c.args(["curl", "--region", "us-east-1"]);
        c.args(args);
        c
    };
    let url = server.url("/bucket/my%20photo.jpg");
    for service in [&["--service", "s3"][..], &["--s3", "--service", "s3"][..]] {
        let mut args = service.to_vec();
        args.push(&url);
        let stdout = curl_ok(&mut s3(&args), None);
        assert!(
            stdout.starts_with("GET /bucket/my%20photo.jpg signed-by="),
            "{stdout}"
        );
        assert!(
            stdout.contains("x-amz-content-sha256;x-amz-date"),
            "{stdout}"
        );
    }
    let stdout = curl_ok(
        &mut s3(&["--service", "s3", "-X", "PUT", "-d", "data", &url]),
        None,
    );
    assert!(
        stdout.starts_with("PUT /bucket/my%20photo.jpg "),
        "{stdout}"
    );
    // Presigned: UNSIGNED-PAYLOAD, fetched by someone else.
    let output = run(&mut s3(&["--service", "s3", "--presign", "-v", &url]), None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("\nUNSIGNED-PAYLOAD\n"),
        "{}",
        text(&output.stderr)
    );
    let presigned = text(&output.stdout);
    let (status, body) = fetch(presigned.trim_end());
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    // The Neptune rules (double encoding, no content hash) fail here.
    let output = run(&mut curl(&[&url]), None);
    assert!(
        text(&output.stdout).starts_with("MissingContentSHA256"),
        "{}",
        text(&output.stdout)
    );
}

// ---------------------------------------------------------------------------
// 10. `sigv4 diff` on real-shaped error bodies.

/// The checked-in S3 `SignatureDoesNotMatch` body (S3 encoded the path
/// once), against a request the client signed with double encoding: the
/// first difference is the path, with the double-encoding hint.
#[test]
fn diff_points_at_the_first_differing_line() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/s3_signature_does_not_match.xml"
    );
    let raw = b"GET /examplebucket/my%20photo.jpg HTTP/1.1\nHost:s3.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\n";
    let signed = |extra: &[&str]| {
        let mut command = sigv4_with_credentials();
        command.args([
            "sign",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--time",
            "20150830T123600Z",
        ]);
        command.args(extra);
        let output = run(&mut command, Some(raw));
        assert!(output.status.success(), "{}", text(&output.stderr));
        output.stdout
    };
    let double = signed(&[]);
    let output = run(sigv4().args(["diff", sample, "-"]), Some(&double));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with(
            "line 2 (path):\n  client: /examplebucket/my%2520photo.jpg\n  server: /examplebucket/my%20photo.jpg\n  hint: double encoding"
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("line ").count(),
        1,
        "only the path differs: {stdout}"
    );

    // Signed with S3's rules, the canonical requests agree: the hint is
    // then the secret key. The error body can come from stdin too.
    let single = signed(&["--uri-encoding", "single", "--no-normalize-path"]);
    let dir = TempDir::new("diff");
    let request = dir.file("request.txt", &single);
    let body = std::fs::read(sample).expect("sample");
    let output = run(
        sigv4()
            .args(["diff", "-", request.to_str().expect("path")])
            .arg("--s3"),
        Some(&body),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("another secret key"),
        "{}",
        text(&output.stdout)
    );

    // `sigv4 curl -v` text works as the request; a changed host port and a
    // token header are named, the token redacted.
    let verbose = b"canonical request:\nGET\n/examplebucket/my%20photo.jpg\n\nhost:s3.amazonaws.com:443\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20150830T123600Z\nx-amz-security-token:<redacted>\n\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\nstring to sign:\nAWS4-HMAC-SHA256\n";
    let output = run(sigv4().args(["diff", sample, "-"]), Some(verbose));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("the host's port"), "{stdout}");
    assert!(
        stdout.contains("the client signed x-amz-security-token"),
        "{stdout}"
    );
    assert!(stdout.contains("line 9 (signed headers)"), "{stdout}");

    // Not an error body with a canonical request; both inputs on stdin.
    let output = run(
        sigv4().args(["diff", "-", request.to_str().expect("path")]),
        Some(b"<Error><Code>AccessDenied</Code></Error>"),
    );
    assert_error(&output, 1, "no canonical request in <stdin>");
    let output = run(sigv4().args(["diff", "-", "-"]), None);
    assert_error(&output, 2, "only one of ERROR and REQUEST");
}

/// -k/--insecure accepts a certificate no system trusts; without it the
/// connection fails and says why.
#[test]
fn curl_insecure_accepts_a_self_signed_certificate() {
    let server = MockNeptune::start_tls();
    let url = format!("https://localhost:{}/status", server.port);
    let output = run(&mut curl(&[&url]), None);
    assert_error(&output, 1, &format!("localhost:{}", server.port));
    assert!(output.stdout.is_empty());
    for k in ["-k", "--insecure"] {
        let stdout = curl_ok(&mut curl(&[k, &url]), None);
        assert!(
            stdout.starts_with("GET /status signed-by=AKIDEXAMPLE"),
            "{stdout}"
        );
    }
}
