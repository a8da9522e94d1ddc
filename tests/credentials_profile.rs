//! Profile files: the grammar's corner cases, malformed files (errors name
//! the file and line), resolution of role chains, and `credential_process`.
//! Files are written to a fresh temporary folder; the real `~/.aws` and the
//! process environment are never read.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use sigv4::credentials::{
    profile_region, CredentialsError, Env, ProfileFileKind, ProfileProvider, ProfileSet,
    ProvideCredentials,
};

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sigv4-profile-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An environment pointing at `config` and `credentials` in `dir`, with a
/// fake HOME inside it.
fn env_for(dir: &TempDir, extra: &[(&str, &str)]) -> Env {
    let mut pairs: Vec<(String, String)> = vec![
        ("HOME".into(), dir.0.join("home").display().to_string()),
        (
            "AWS_CONFIG_FILE".into(),
            dir.0.join("config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            dir.0.join("credentials").display().to_string(),
        ),
    ];
    pairs.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    Env::from_pairs(pairs)
}

fn parse_err(kind: ProfileFileKind, text: &str) -> (PathBuf, usize, String) {
    let mut set = ProfileSet::new();
    match set.add_file(kind, Path::new("/x/config"), text) {
        Err(CredentialsError::InvalidProfileFile { path, line, reason }) => (path, line, reason),
        other => panic!("expected an invalid-file error for {text:?}, got {other:?}"),
    }
}

#[test]
fn config_sections_need_the_profile_prefix_and_credentials_sections_do_not() {
    let set = ProfileSet::parse(
        "[profile a]\nregion = r-a\n[b]\nregion = r-b\n[sso-session s]\nregion = r-s\n[profile  spaced  ]\nregion = r-sp\n",
        "[c]\nregion = r-c\n[profile d]\nregion = r-d\n",
    )
    .unwrap();
    assert_eq!(set.get("a", "region"), Some("r-a"));
    assert_eq!(
        set.get("b", "region"),
        None,
        "bare [b] is skipped in config"
    );
    assert_eq!(set.get("s", "region"), None);
    assert_eq!(set.get("spaced", "region"), Some("r-sp"));
    assert_eq!(set.get("c", "region"), Some("r-c"));
    assert_eq!(
        set.get("d", "region"),
        None,
        "[profile d] is skipped in credentials"
    );
}

#[test]
fn default_forms_and_precedence() {
    let set = ProfileSet::parse("[default]\nregion = bare\n", "").unwrap();
    assert_eq!(set.get("default", "region"), Some("bare"));
    let set = ProfileSet::parse(
        "[default]\nregion = bare\noutput = json\n[profile default]\nregion = prefixed\n",
        "",
    )
    .unwrap();
    assert_eq!(set.get("default", "region"), Some("prefixed"));
    assert_eq!(
        set.get("default", "output"),
        None,
        "[profile default] replaces [default]"
    );
    let set =
        ProfileSet::parse("[profile default]\nregion = c\n", "[default]\nregion = k\n").unwrap();
    assert_eq!(
        set.get("default", "region"),
        Some("k"),
        "credentials file wins"
    );
}

#[test]
fn comments_whitespace_and_case() {
    let set = ProfileSet::parse(
        "\u{20}\n# c1\n  ; c2 (indented comment)\n[profile p] # after header\nRegion\t=\tus-west-2\t; c\nurl = http://h/a;b#c\nempty =\nspaced key = v\n",
        "",
    )
    .unwrap();
    assert_eq!(set.get("p", "region"), Some("us-west-2"));
    assert_eq!(set.get("p", "url"), Some("http://h/a;b#c"));
    assert_eq!(set.get("p", "empty"), None);
    assert_eq!(
        set.get("p", "spaced key"),
        None,
        "invalid key names are skipped"
    );
}

#[test]
fn continuation_lines_extend_the_previous_value() {
    let set = ProfileSet::parse(
        "[profile p]\ns3 =\n  max_concurrent_requests = 20\n\tsignature_version = s3v4\nregion = eu-west-1\nlong = one\n two\n",
        "",
    )
    .unwrap();
    assert_eq!(
        set.get("p", "s3"),
        Some("\nmax_concurrent_requests = 20\nsignature_version = s3v4")
    );
    assert_eq!(set.get("p", "region"), Some("eu-west-1"));
    assert_eq!(set.get("p", "long"), Some("one\ntwo"));
}

#[test]
fn repeated_sections_merge_and_later_keys_win() {
    let set = ProfileSet::parse(
        "[profile p]\na = 1\nb = 1\n[profile q]\n[profile p]\nb = 2\n",
        "[p]\nc = 3\n",
    )
    .unwrap();
    assert_eq!(set.get("p", "a"), Some("1"));
    assert_eq!(set.get("p", "b"), Some("2"));
    assert_eq!(set.get("p", "c"), Some("3"));
    assert!(set.contains("q"));
    let names: Vec<_> = set.profile_names().collect();
    assert_eq!(names, ["p", "q"]);
}

#[test]
fn crlf_line_endings() {
    let set = ProfileSet::parse("[default]\r\nregion = us-east-1\r\n", "").unwrap();
    assert_eq!(set.get("default", "region"), Some("us-east-1"));
}

#[test]
fn malformed_files_name_file_and_line_and_never_echo_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("aws_secret_access_key = SECRETVALUE\n", 1, "section header"),
        ("[default]\n\n# c\nSECRETVALUE\n", 4, "key = value"),
        ("[default\nregion = x\n", 1, "closing ']'"),
        ("[default] SECRETVALUE\n", 1, "after the section header"),
        ("[]\n", 1, "no name"),
        ("[profile ]\n", 1, "no profile name"),
        ("[default]\n= SECRETVALUE\n", 2, "no name before '='"),
        ("[default]\n  SECRETVALUE\n", 2, "continuation"),
        ("  SECRETVALUE\n[default]\n", 1, "section header"),
    ];
    for (text, line, needle) in cases {
        let (path, got_line, reason) = parse_err(ProfileFileKind::Config, text);
        assert_eq!(path, Path::new("/x/config"));
        assert_eq!(got_line, *line, "{text:?}: {reason}");
        assert!(reason.contains(needle), "{text:?}: {reason}");
        let shown = CredentialsError::InvalidProfileFile {
            path,
            line: got_line,
            reason,
        }
        .to_string();
        assert!(
            shown.starts_with(&format!("invalid profile file /x/config:{line}: ")),
            "{shown}"
        );
        assert!(!shown.contains("SECRETVALUE"), "{shown}");
    }
}

#[test]
fn parser_never_panics_on_odd_bytes() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let alphabet = b"[]=#; \t\n\rprofile default ab\xc3\xa9";
    for _ in 0..2000 {
        let len = (state % 60) as usize;
        let mut text = Vec::with_capacity(len);
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let text = String::from_utf8_lossy(&text);
        for kind in [ProfileFileKind::Config, ProfileFileKind::Credentials] {
            let _ = ProfileSet::new().add_file(kind, Path::new("f"), &text);
        }
    }
}

#[test]
fn loads_from_env_named_files_and_credentials_file_wins() {
    let dir = TempDir::new();
    dir.write(
        "config",
        "[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s1\nregion = eu-west-1\n",
    );
    dir.write(
        "credentials",
        "[dev]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s2\naws_session_token = tok\n",
    );
    let env = env_for(&dir, &[("AWS_PROFILE", "dev")]);
    let creds = ProfileProvider::with_env(env)
        .provide_credentials()
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKIDCREDS");
    assert_eq!(creds.secret_access_key(), "s2");
    assert_eq!(creds.session_token(), Some("tok"));
}

#[test]
fn default_paths_come_from_home() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.0.join("home/.aws")).unwrap();
    std::fs::write(
        dir.0.join("home/.aws/credentials"),
        "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n",
    )
    .unwrap();
    let env = Env::from_pairs([("HOME", dir.0.join("home").display().to_string())]);
    let creds = ProfileProvider::with_env(env)
        .provide_credentials()
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKIDHOME");
}

#[test]
fn missing_files_and_profiles_are_not_found() {
    let dir = TempDir::new();
    let err = ProfileProvider::with_env(env_for(&dir, &[]))
        .provide_credentials()
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    dir.write("config", "[profile other]\nregion = x\n");
    let err = ProfileProvider::with_env(env_for(&dir, &[]))
        .with_profile("nope")
        .provide_credentials()
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("\"nope\""), "{err}");
    let err = ProfileProvider::with_env(env_for(&dir, &[]))
        .with_profile("other")
        .provide_credentials()
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn malformed_file_on_disk_names_its_path() {
    let dir = TempDir::new();
    let path = dir.write("credentials", "[default]\nregion = x\nbroken line\n");
    let err = ProfileProvider::with_env(env_for(&dir, &[]))
        .provide_credentials()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid profile file {}:3: expected a property such as 'key = value'",
            path.display()
        )
    );
    let path = dir.write("credentials", "[default]\nregion = \u{e9}\n");
    std::fs::write(&path, b"[default]\nregion = x\nkey = \xff\n").unwrap();
    match ProfileProvider::with_env(env_for(&dir, &[])).provide_credentials() {
        Err(CredentialsError::InvalidProfileFile { line: 3, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn profile_region_follows_the_selected_profile() {
    let dir = TempDir::new();
    // No files at all: no region, and no error.
    assert_eq!(profile_region(&env_for(&dir, &[]), None).unwrap(), None);
    assert_eq!(
        profile_region(&env_for(&dir, &[]), Some("eu")).unwrap(),
        None
    );
    dir.write(
        "config",
        "[default]\nregion = us-east-1\n[profile eu]\nregion = eu-west-1 # a comment\n\
         [profile bad]\nregion = eu west 1\n[profile quiet]\noutput = json\n",
    );
    let region = |extra: &[(&str, &str)], profile: Option<&str>| {
        profile_region(&env_for(&dir, extra), profile).map(|r| r.map(|r| r.as_str().to_owned()))
    };
    assert_eq!(region(&[], None).unwrap().as_deref(), Some("us-east-1"));
    assert_eq!(
        region(&[("AWS_PROFILE", "eu")], None).unwrap().as_deref(),
        Some("eu-west-1")
    );
    // The given profile wins over AWS_PROFILE.
    assert_eq!(
        region(&[("AWS_PROFILE", "bad")], Some("eu"))
            .unwrap()
            .as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(region(&[], Some("quiet")).unwrap(), None);
    assert_eq!(region(&[], Some("missing")).unwrap(), None);
    // The environment's region variables are not the profile's.
    assert_eq!(
        region(&[("AWS_REGION", "ap-south-1")], Some("quiet")).unwrap(),
        None
    );
    let err = region(&[("AWS_PROFILE", "bad")], None).unwrap_err();
    assert!(
        matches!(&err, CredentialsError::InvalidProfile { profile, .. } if profile == "bad"),
        "{err}"
    );
    assert!(err.to_string().contains("\"eu west 1\""), "{err}");
    let set = ProfileSet::load(&env_for(&dir, &[])).unwrap();
    assert_eq!(set.region("eu").unwrap().unwrap().as_str(), "eu-west-1");
    assert!(set.region("bad").is_err());
    // A malformed file is an error, not "no region".
    dir.write("config", "region = us-east-1\n");
    assert!(matches!(
        profile_region(&env_for(&dir, &[]), None),
        Err(CredentialsError::InvalidProfileFile { line: 1, .. })
    ));
}

#[test]
fn half_static_keys_are_a_hard_error() {
    let dir = TempDir::new();
    dir.write("credentials", "[default]\naws_access_key_id = AKID\n");
    let err = ProfileProvider::with_env(env_for(&dir, &[]))
        .provide_credentials()
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidProfile { .. }),
        "{err}"
    );
}

#[test]
fn role_profiles_need_the_network_provider() {
    let dir = TempDir::new();
    dir.write(
        "config",
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = base\n[profile base]\naws_access_key_id = AKID\naws_secret_access_key = s\n",
    );
    let err = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "r")]))
        .provide_credentials()
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Unsupported { .. }), "{err}");
}

#[test]
fn role_chain_errors() {
    let dir = TempDir::new();
    let cases: &[(&str, &str)] = &[
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n",
            "source_profile loop: a -> b -> a",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\n",
            "neither source_profile nor credential_source",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\ncredential_source = Environment\n[profile b]\n",
            "both source_profile and credential_source",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\ncredential_source = Moon\n",
            "unknown credential_source \"Moon\"",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = ghost\n",
            "source_profile \"ghost\" does not exist",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n",
            "names the profile itself",
        ),
        (
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nregion = x\n",
            "as a source profile it gives no credentials",
        ),
    ];
    for (config, needle) in cases {
        dir.write("config", config);
        let err = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "a")]))
            .provide_credentials()
            .unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidProfile { .. }),
            "{config}: {err}"
        );
        assert!(err.to_string().contains(needle), "{config}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn credential_process_runs_and_its_json_is_read() {
    let dir = TempDir::new();
    let script = dir.write(
        "creds.sh",
        "#!/bin/sh\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proctoken\", \"Expiration\": \"2100-01-01T00:00:00Z\"}'\n",
    );
    dir.write(
        "config",
        &format!(
            "[profile p]\ncredential_process = sh {} --flag \"quoted arg\"\n[profile fails]\ncredential_process = sh -c 'echo oops >&2; exit 3'\n[profile garbage]\ncredential_process = echo procsecret\n",
            script.display()
        ),
    );
    let creds = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "p")]))
        .provide_credentials()
        .unwrap();
    assert_eq!(creds.access_key_id(), "AKIDPROC");
    assert_eq!(creds.session_token(), Some("proctoken"));
    assert!(creds.expiry().is_some());

    let err = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "fails")]))
        .provide_credentials()
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::ProcessFailed { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("oops"), "{err}");

    let err = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "garbage")]))
        .provide_credentials()
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidResponse { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("procsecret"), "{err}");
}

/// A `credential_process` is bounded: killed past its timeout (typed
/// error), its output read to 64 KiB at most, and what it says on stderr
/// repeated on one line of at most 512 characters.
#[cfg(unix)]
#[test]
fn credential_process_is_bounded() {
    use std::time::{Duration, Instant};
    let dir = TempDir::new();
    let marker = dir.0.join("still-running");
    dir.write(
        "config",
        &format!(
            "[profile hangs]\ncredential_process = sleep 30\n\
             [profile floods]\ncredential_process = head -c 200000000 /dev/zero\n\
             [profile just-fits]\ncredential_process = sh -c 'printf \"{{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"AKID\\\", \\\"SecretAccessKey\\\": \\\"s\\\"}}\"; head -c 65000 /dev/zero | tr \"\\0\" \" \"'\n\
             [profile shouts]\ncredential_process = sh -c 'printf \"\\033[31m%0700d\\n\\r\" 0 >&2; exit 1'\n\
             [profile lingers]\ncredential_process = sh -c 'exec 1>&-; sleep 30; touch {}'\n",
            marker.display()
        ),
    );
    let provider = |profile: &str| {
        ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", profile)]))
            .with_process_timeout(Duration::from_millis(300))
    };
    assert_eq!(
        ProfileProvider::new().process_timeout(),
        sigv4::credentials::DEFAULT_PROCESS_TIMEOUT
    );

    for hung in ["hangs", "lingers"] {
        let started = Instant::now();
        let err = provider(hung).provide_credentials().unwrap_err();
        assert!(
            matches!(err, CredentialsError::ProcessTimeout { ref profile, timeout }
                if profile == hung && timeout == Duration::from_millis(300)),
            "{err:?}"
        );
        assert!(err.to_string().contains("ran longer than 0.300 s"), "{err}");
        // Not waited for: the process would have run 30 s.
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    assert!(!marker.exists(), "the killed process ran on");

    let err = provider("floods").provide_credentials().unwrap_err();
    assert!(
        err.to_string()
            .contains("its output is longer than 65536 bytes"),
        "{err}"
    );
    // 65,000 bytes of padding after the JSON: under the cap, still read.
    let fits = ProfileProvider::with_env(env_for(&dir, &[("AWS_PROFILE", "just-fits")]))
        .provide_credentials()
        .unwrap();
    assert_eq!(fits.access_key_id(), "AKID");

    let err = provider("shouts").provide_credentials().unwrap_err();
    let shown = err.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let (_, quoted) = shown.split_once("exited with exit status: 1: ").unwrap();
    assert!(quoted.starts_with("[31m000"), "{quoted}");
    assert_eq!(quoted.chars().count(), 512, "{quoted}");
    assert!(quoted.ends_with('…'));
}
