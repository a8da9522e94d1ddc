//! `credential_process`: run a command, read credentials from its JSON
//! output.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::credentials::error::{quoted, CredentialsError};
use crate::credentials::json;
use crate::credentials::Credentials;

const PROVIDER: &str = "credential_process";

/// How long a `credential_process` may run before it is killed: one
/// minute, as in the AWS SDK for Go v2. A hung process would otherwise
/// block every signer once the current credentials expire.
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The most output read from a `credential_process`, as the AWS SDK for
/// Java reads: 64 KiB. Credentials are a few hundred bytes.
pub const MAX_PROCESS_OUTPUT: usize = 64 * 1024;

/// The most of its stderr kept for an error message (the rest is read and
/// dropped, so a chatty process cannot block on a full pipe).
const KEPT_STDERR: usize = 4096;

/// What a reader thread found on one of the child's pipes.
enum Pipe {
    /// Standard output, whole (at most [`MAX_PROCESS_OUTPUT`] bytes).
    Stdout(std::io::Result<Zeroizing<Vec<u8>>>),
    /// Standard output was longer than [`MAX_PROCESS_OUTPUT`].
    StdoutTooLong,
    /// The start of standard error.
    Stderr(Vec<u8>),
}

/// Runs `command` through the shell (`sh -c`, or `cmd /C` on Windows) and
/// parses its standard output:
/// `{"Version": 1, "AccessKeyId": .., "SecretAccessKey": .., "SessionToken": .., "Expiration": ..}`
/// (the last two optional).
///
/// The process is killed when it runs past `timeout` or writes more than
/// [`MAX_PROCESS_OUTPUT`] bytes. Only the shell is killed: a grandchild
/// that keeps the pipes open is left alone, and so are the threads reading
/// them, which end when it does (they keep no more than the caps).
pub(crate) fn run(
    command: &str,
    profile: &str,
    timeout: Duration,
) -> Result<Credentials, CredentialsError> {
    let failed = |reason: String| CredentialsError::ProcessFailed {
        profile: profile.to_owned(),
        reason,
    };
    let mut cmd = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(command);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(command);
        c
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot start the shell: {e}")))?;
    let deadline = Instant::now() + timeout;
    let (sender, pipes) = mpsc::channel();
    if let Some(mut stdout) = child.stdout.take() {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let _ = sender.send(read_stdout(&mut stdout));
        });
    }
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = sender.send(Pipe::Stderr(read_stderr(&mut stderr)));
        });
    }

    let timed_out = || CredentialsError::ProcessTimeout {
        profile: profile.to_owned(),
        timeout,
    };
    let (mut stdout, mut stderr) = (None, None);
    while stdout.is_none() || stderr.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match pipes.recv_timeout(left) {
            Ok(Pipe::Stdout(read)) => {
                stdout = Some(read.map_err(|e| failed(format!("cannot read its output: {e}")))?)
            }
            Ok(Pipe::StdoutTooLong) => {
                kill(&mut child);
                return Err(failed(format!(
                    "its output is longer than {MAX_PROCESS_OUTPUT} bytes"
                )));
            }
            Ok(Pipe::Stderr(text)) => stderr = Some(text),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill(&mut child);
                return Err(timed_out());
            }
            // A pipe that could not be taken: nothing more will come.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill(&mut child);
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(failed(format!("cannot wait for it: {e}"))),
        }
    };
    if !status.success() {
        let stderr = String::from_utf8_lossy(stderr.as_deref().unwrap_or_default()).into_owned();
        let stderr = quoted(&stderr);
        let mut reason = format!("it exited with {status}");
        if !stderr.is_empty() {
            reason.push_str(": ");
            reason.push_str(&stderr);
        }
        return Err(failed(reason));
    }
    parse_output(stdout.as_deref().map_or(&[][..], |v| v.as_slice()))
}

/// Kills the child and reaps it.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads all of stdout into a buffer allocated once (so no copy of the
/// secret is left behind by a reallocation), up to [`MAX_PROCESS_OUTPUT`].
fn read_stdout(pipe: &mut impl Read) -> Pipe {
    let mut buf = Zeroizing::new(vec![0u8; MAX_PROCESS_OUTPUT + 1]);
    let mut len = 0;
    loop {
        if len == buf.len() {
            return Pipe::StdoutTooLong;
        }
        match pipe.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Pipe::Stdout(Err(e)),
        }
    }
    buf.truncate(len);
    Pipe::Stdout(Ok(buf))
}

/// Reads stderr to its end, keeping the first [`KEPT_STDERR`] bytes.
fn read_stderr(pipe: &mut impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let room = KEPT_STDERR.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&chunk[..room]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept
}

/// Parses the JSON a `credential_process` prints.
pub(crate) fn parse_output(stdout: &[u8]) -> Result<Credentials, CredentialsError> {
    let bad = |reason: String| CredentialsError::InvalidResponse {
        provider: PROVIDER,
        reason,
    };
    let object = json::parse_object(stdout).map_err(bad)?;
    match object.get("Version") {
        Some(json::Value::Number(v)) if v == "1" => {}
        Some(_) => return Err(bad("unsupported Version: expected 1".to_owned())),
        None => return Err(bad("Version is missing".to_owned())),
    }
    json::credentials_from(&object, PROVIDER, "SessionToken")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_minimal_output() {
        let c = parse_output(
            br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.session_token(), Some("t"));
        assert!(c.expiry().is_some());
        let c =
            parse_output(br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s"}"#).unwrap();
        assert!(c.expiry().is_none());
    }

    #[test]
    fn rejects_bad_versions_and_shapes() {
        for bad in [
            &br#"{"AccessKeyId":"AKID","SecretAccessKey":"s"}"#[..],
            br#"{"Version":2,"AccessKeyId":"AKID","SecretAccessKey":"s"}"#,
            br#"{"Version":"1","AccessKeyId":"AKID","SecretAccessKey":"s"}"#,
            br#"{"Version":1,"SecretAccessKey":"s"}"#,
            br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"soon"}"#,
            b"not json",
        ] {
            let err = parse_output(bad).unwrap_err();
            assert!(!err.to_string().contains("\"s\""), "{err}");
        }
    }
}
