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
#![cfg(feature = "cli")]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{cases, Case, Context};
use sigv4::{
    raw, Credentials, Payload, Region, Service, Signer, SigningSettings, SigningTime, UriEncoding,
};

/// The binary under test, built by cargo for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_sigv4");

/// The example credentials of the AWS suite.
const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A small request with a body, for the tests that need any valid input.
const POST: &[u8] = b"POST /path?a=1 HTTP/1.1\nHost:example.amazonaws.com\nContent-Type:application/x-www-form-urlencoded\n\nParam1=value1";

/// `sigv4` with an empty environment but `PATH`, so the developer's own
/// `AWS_*` variables cannot leak into a test.
fn sigv4() -> Command {
    let mut command = Command::new(BIN);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
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
        "no region: pass --region or set SERVICE_REGION, AWS_REGION or AWS_DEFAULT_REGION",
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
    let output = run(sigv4().arg("--version"), None);
    assert!(output.status.success());
    assert!(text(&output.stdout).starts_with("sigv4 "));
}
