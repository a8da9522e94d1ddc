//! Where STS calls go, following the AWS SDKs' configured-endpoint
//! settings, so that a local STS (LocalStack, a test double, a VPC
//! endpoint) set for the SDKs is honoured here too.
//!
//! In order, the first one set wins:
//!
//! 1. `AWS_ENDPOINT_URL_STS`
//! 2. `AWS_ENDPOINT_URL`
//! 3. the profile's `[services NAME]` section (`services = NAME` in the
//!    profile), its `sts =` property with the indented sub-property
//!    `endpoint_url = ...`
//! 4. the profile's `endpoint_url`
//! 5. the regional endpoint, `https://sts.{region}.amazonaws.com`
//!    (`.amazonaws.com.cn` in China)
//!
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`, else the profile's
//! `ignore_configured_endpoint_urls = true`, skips 1 to 4. A provider's
//! explicit `with_endpoint` / `with_sts_endpoint` is not a configured
//! endpoint: it wins over all of them.

use super::sts::regional_endpoint;
use crate::core::scope::Region;
use crate::credentials::env::Env;
use crate::credentials::error::CredentialsError;
use crate::credentials::profile::{selected_profile, ProfileSet};

const IGNORE_VAR: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
const IGNORE_KEY: &str = "ignore_configured_endpoint_urls";

/// The STS endpoint for `profile` of `set`, with the variables of `env`,
/// for calls in `region`.
pub(crate) fn sts_endpoint(
    env: &Env,
    set: &ProfileSet,
    profile: &str,
    region: &Region,
) -> Result<String, CredentialsError> {
    if ignore_configured(env, set, profile)? {
        return Ok(regional_endpoint(region));
    }
    for name in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.get(name) {
            return checked(name.to_owned(), &url);
        }
    }
    if let Some(url) = set.service_setting(profile, "sts", "endpoint_url") {
        let section = set.get(profile, "services").unwrap_or_default().trim();
        return checked(
            format!("endpoint_url of sts in [services {section}] (profile {profile:?})"),
            url,
        );
    }
    if let Some(url) = set.get(profile, "endpoint_url") {
        return checked(format!("endpoint_url of profile {profile:?}"), url);
    }
    Ok(regional_endpoint(region))
}

/// The STS endpoint for the profile `env` selects (`AWS_PROFILE`, else
/// `default`), loading the shared files `env` names.
pub(crate) fn sts_endpoint_for_env(env: &Env, region: &Region) -> Result<String, CredentialsError> {
    let set = ProfileSet::load(env)?;
    sts_endpoint(env, &set, &selected_profile(env, None), region)
}

/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` if set, else the profile's
/// `ignore_configured_endpoint_urls`, else false.
fn ignore_configured(env: &Env, set: &ProfileSet, profile: &str) -> Result<bool, CredentialsError> {
    let (name, value) = match env.get(IGNORE_VAR) {
        Some(v) => (IGNORE_VAR.to_owned(), v),
        None => match set.get(profile, IGNORE_KEY) {
            Some(v) => (format!("{IGNORE_KEY} of profile {profile:?}"), v.to_owned()),
            None => return Ok(false),
        },
    };
    let value = value.trim();
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(CredentialsError::InvalidConfig {
            name,
            reason: format!("expected true or false, got {value:?}"),
        })
    }
}

/// A configured endpoint, checked to be an http or https URL with a host.
fn checked(name: String, url: &str) -> Result<String, CredentialsError> {
    let url = url.trim();
    let ok = url.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some()
    });
    if ok {
        Ok(url.to_owned())
    } else {
        Err(CredentialsError::InvalidConfig {
            name,
            reason: format!(
                "expected an http or https URL such as https://sts.example.com, got {:?}",
                url.chars().take(80).collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(env: &[(&str, &str)], config: &str) -> Result<String, CredentialsError> {
        let set = ProfileSet::parse(config, "").unwrap();
        let env = Env::from_pairs(env.iter().copied());
        sts_endpoint(&env, &set, "p", &Region::new("eu-west-1").unwrap())
    }

    const CONFIG: &str = "[profile p]\nservices = local\nendpoint_url = http://global:1\n\
        [services local]\nsts =\n  endpoint_url = http://service:2\ns3 =\n  endpoint_url = http://s3:3\n";

    #[test]
    fn order() {
        let both = [
            ("AWS_ENDPOINT_URL_STS", "http://env-sts:4"),
            ("AWS_ENDPOINT_URL", "http://env:5"),
        ];
        assert_eq!(resolve(&both, CONFIG).unwrap(), "http://env-sts:4");
        assert_eq!(resolve(&both[1..], CONFIG).unwrap(), "http://env:5");
        assert_eq!(resolve(&[], CONFIG).unwrap(), "http://service:2");
        let without_services = CONFIG.replace("services = local", "");
        assert_eq!(resolve(&[], &without_services).unwrap(), "http://global:1");
        // A services section without sts, or a missing section, is unset.
        let other_section = CONFIG.replace("services = local", "services = none");
        assert_eq!(resolve(&[], &other_section).unwrap(), "http://global:1");
        assert_eq!(
            resolve(&[], "[profile p]\nregion = x\n").unwrap(),
            "https://sts.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn ignore_flag_env_then_profile() {
        let ignored = format!("{CONFIG}[profile p]\nignore_configured_endpoint_urls = true\n");
        let regional = "https://sts.eu-west-1.amazonaws.com";
        assert_eq!(resolve(&[], &ignored).unwrap(), regional);
        let env = [
            ("AWS_ENDPOINT_URL_STS", "http://env-sts:4"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ];
        assert_eq!(resolve(&env, CONFIG).unwrap(), regional);
        // The variable wins over the profile, both ways.
        let env = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")];
        assert_eq!(resolve(&env, &ignored).unwrap(), "http://service:2");
        let err = resolve(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes")], CONFIG).unwrap_err();
        assert!(
            err.to_string()
                .contains("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"),
            "{err}"
        );
    }

    #[test]
    fn bad_urls_name_their_setting() {
        let err = resolve(&[("AWS_ENDPOINT_URL", "localhost:4566")], "").unwrap_err();
        assert!(
            err.to_string().contains("invalid AWS_ENDPOINT_URL:"),
            "{err}"
        );
        let err = resolve(&[], &CONFIG.replace("http://service:2", "not a url")).unwrap_err();
        assert!(
            err.to_string()
                .contains("endpoint_url of sts in [services local]"),
            "{err}"
        );
    }
}
