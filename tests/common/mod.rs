//! Shared test helpers: finding the official AWS SigV4 test suite that ships
//! inside the published `aws-sigv4` crate (a pinned dev-dependency), and
//! reading its cases.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sigv4::{Credentials, Region, Service, SessionTokenMode, Signer, SigningSettings, UriEncoding};

/// The `aws-signing-test-suite/v4` folder inside the `aws-sigv4` crate that
/// cargo downloaded, found through `cargo metadata` (no copy is kept here).
pub fn suite_dir() -> PathBuf {
    suite_dir_of("v4")
}

/// The `aws-signing-test-suite/v4a` folder (SigV4a).
pub fn suite_dir_v4a() -> PathBuf {
    suite_dir_of("v4a")
}

fn suite_dir_of(version: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages array")
        .iter()
        .find(|p| p["name"] == "aws-sigv4" && p["version"] == "1.6.4")
        .expect("aws-sigv4 1.6.4 is a dev-dependency")["manifest_path"]
        .as_str()
        .expect("manifest_path")
        .to_owned();
    let dir = Path::new(&manifest)
        .parent()
        .expect("crate folder")
        .join("aws-signing-test-suite")
        .join(version);
    assert!(dir.is_dir(), "no test suite at {}", dir.display());
    dir
}

/// One folder of the suite.
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
}

impl Case {
    pub fn read(&self, file: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join(file)).ok()
    }

    pub fn text(&self, file: &str) -> Option<String> {
        self.read(file)
            .map(|b| String::from_utf8(b).expect("suite files are UTF-8"))
    }

    pub fn context(&self) -> Option<serde_json::Value> {
        self.read("context.json")
            .map(|b| serde_json::from_slice(&b).expect("context.json is JSON"))
    }
}

/// Every case folder, sorted by name.
pub fn cases() -> Vec<Case> {
    cases_in(&suite_dir())
}

/// Every SigV4a case folder, sorted by name.
pub fn cases_v4a() -> Vec<Case> {
    cases_in(&suite_dir_v4a())
}

fn cases_in(dir: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(dir)
        .expect("read suite folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .map(|dir| Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// How `context.json` maps to signing inputs. See tests/aws_suite.rs for
/// the reasoning behind each field.
pub struct Context {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    pub service: String,
    pub timestamp: String,
    pub normalize: bool,
    pub sign_body: bool,
    pub omit_session_token: bool,
    pub expiration_in_seconds: u64,
}

impl Context {
    pub fn from_json(c: &serde_json::Value) -> Self {
        let creds = &c["credentials"];
        Self {
            access_key_id: creds["access_key_id"].as_str().unwrap().into(),
            secret_access_key: creds["secret_access_key"].as_str().unwrap().into(),
            session_token: creds["token"].as_str().map(Into::into),
            region: c["region"].as_str().unwrap().into(),
            service: c["service"].as_str().unwrap().into(),
            timestamp: c["timestamp"].as_str().unwrap().into(),
            normalize: c["normalize"].as_bool().unwrap_or(true),
            sign_body: c["sign_body"].as_bool().unwrap_or(false),
            omit_session_token: c["omit_session_token"].as_bool().unwrap_or(false),
            expiration_in_seconds: c["expiration_in_seconds"].as_u64().unwrap_or(3600),
        }
    }
}

/// The signer `context.json` asks for (see tests/aws_suite.rs for the
/// mapping).
pub fn signer_for(ctx: &Context) -> Signer {
    Signer::new(
        Region::new(&ctx.region).unwrap(),
        Service::new(&ctx.service).unwrap(),
    )
    .with_settings(settings_for(ctx))
}

/// The signing settings `context.json` asks for.
pub fn settings_for(ctx: &Context) -> SigningSettings {
    SigningSettings::default()
        .with_uri_encoding(UriEncoding::Single)
        .with_path_normalization(ctx.normalize)
        .with_content_sha256_header(ctx.sign_body)
        .with_session_token_mode(if ctx.omit_session_token {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        })
}

/// The credentials of `context.json`.
pub fn credentials_for(ctx: &Context) -> Credentials {
    let creds = Credentials::new(&ctx.access_key_id, &ctx.secret_access_key).unwrap();
    match &ctx.session_token {
        Some(token) => creds.with_session_token(token).unwrap(),
        None => creds,
    }
}
