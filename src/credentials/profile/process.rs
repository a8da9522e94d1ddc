//! `credential_process`: run a command, read credentials from its JSON
//! output.

use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use crate::credentials::error::CredentialsError;
use crate::credentials::json;
use crate::credentials::Credentials;

const PROVIDER: &str = "credential_process";

/// Runs `command` through the shell (`sh -c`, or `cmd /C` on Windows) and
/// parses its standard output:
/// `{"Version": 1, "AccessKeyId": .., "SecretAccessKey": .., "SessionToken": .., "Expiration": ..}`
/// (the last two optional).
pub(crate) fn run(command: &str, profile: &str) -> Result<Credentials, CredentialsError> {
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
    let output = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| failed(format!("cannot start the shell: {e}")))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr: String = stderr.trim().chars().take(300).collect();
        let mut reason = format!("it exited with {}", output.status);
        if !stderr.is_empty() {
            reason.push_str(": ");
            reason.push_str(&stderr);
        }
        return Err(failed(reason));
    }
    parse_output(&stdout)
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
