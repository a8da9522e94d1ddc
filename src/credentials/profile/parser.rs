//! The grammar of `~/.aws/config` and `~/.aws/credentials`.
//!
//! - Blank lines, and lines whose first non-blank character is `#` or `;`,
//!   are ignored.
//! - `[name]` starts a section. A comment may follow the `]`. In the config
//!   file a profile is `[profile name]` (`[default]` is also accepted, and
//!   `[profile default]` wins over it); `[sso-session name]` and
//!   `[services name]` are kept in their own tables; other sections (a bare
//!   `[name]`, an unknown kind) are skipped. In the credentials file a
//!   profile is `[name]`, and `[profile name]` is skipped.
//! - `key = value` sets a property. The key is trimmed and lower-cased; the
//!   value is trimmed, and a `#` or `;` preceded by whitespace starts a
//!   comment.
//! - A line starting with a space or tab continues the previous property:
//!   its trimmed text is appended after a newline (this is how nested
//!   sub-properties such as `sts =` followed by indented lines are kept;
//!   [`sub_property`] reads them back).
//! - A repeated profile adds to the earlier one; a repeated key replaces the
//!   earlier value.
//! - Names (profiles and keys) with characters outside
//!   `A-Z a-z 0-9 _ - / . % @ : +` are skipped, as the AWS SDKs do.
//!
//! Errors name the file and the 1-based line and never repeat the line's
//! text, which may hold a secret.

use std::collections::BTreeMap;
use std::path::Path;

use zeroize::Zeroizing;

use crate::credentials::error::CredentialsError;

/// Which of the two shared files a text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFileKind {
    /// `~/.aws/config`: `[profile name]` sections.
    Config,
    /// `~/.aws/credentials`: `[name]` sections.
    Credentials,
}

/// Properties of one profile: lower-cased key to value.
pub(crate) type Properties = BTreeMap<String, Zeroizing<String>>;

/// The sections of one file: its profiles and, from a config file, its
/// `[sso-session name]` and `[services name]` sections.
#[derive(Debug, Default)]
pub(crate) struct Sections {
    pub(crate) profiles: BTreeMap<String, Properties>,
    pub(crate) sso_sessions: BTreeMap<String, Properties>,
    pub(crate) services: BTreeMap<String, Properties>,
}

/// Which table of [`Sections`] a section goes to.
#[derive(Clone, Copy)]
enum Table {
    Profiles,
    SsoSessions,
    Services,
}

impl Sections {
    fn table(&mut self, table: Table) -> &mut BTreeMap<String, Properties> {
        match table {
            Table::Profiles => &mut self.profiles,
            Table::SsoSessions => &mut self.sso_sessions,
            Table::Services => &mut self.services,
        }
    }
}

/// Parses one file into its sections.
#[allow(clippy::too_many_lines)] // one pass over the lines, one arm per line kind
pub(crate) fn parse(
    text: &str,
    path: &Path,
    kind: ProfileFileKind,
) -> Result<Sections, CredentialsError> {
    #[derive(Clone)]
    enum Section {
        None,
        Skipped,
        Named(Table, String),
        BareDefault,
    }
    let mut sections = Sections::default();
    // `[default]` in a config file, kept aside: `[profile default]` wins.
    let mut bare_default: Option<Properties> = None;
    let mut section = Section::None;
    // The key that a continuation line would extend.
    let mut last_key: Option<String> = None;

    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let error = |reason: &str| CredentialsError::InvalidProfileFile {
            path: path.to_owned(),
            line: line_no,
            reason: reason.to_owned(),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous property.
            let properties = match &section {
                Section::None => {
                    return Err(error(
                        "expected a section header such as [default], found an indented line",
                    ))
                }
                Section::Skipped => continue,
                Section::Named(table, name) => sections.table(*table).get_mut(name),
                Section::BareDefault => bare_default.as_mut(),
            };
            let Some(key) = &last_key else {
                return Err(error(
                    "expected a property definition, found an indented continuation line",
                ));
            };
            if let Some(value) = properties.and_then(|p| p.get_mut(key)) {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(close) = rest.find(']') else {
                return Err(error("section header is missing its closing ']'"));
            };
            let after = rest[close + 1..].trim_start();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(error("unexpected text after the section header's ']'"));
            }
            let header = rest[..close].trim();
            if header.is_empty() {
                return Err(error("section header has no name"));
            }
            last_key = None;
            section = match classify(header, kind) {
                Header::Named(table, name) if valid_name(name) => {
                    sections.table(table).entry(name.to_owned()).or_default();
                    Section::Named(table, name.to_owned())
                }
                Header::BareDefault => {
                    bare_default.get_or_insert_with(Properties::new);
                    Section::BareDefault
                }
                Header::Named(..) | Header::Other => Section::Skipped,
                Header::Empty => return Err(error("section header has no profile name")),
            };
            continue;
        }
        // A property.
        let Some((key, value)) = line.split_once('=') else {
            return Err(error("expected a property such as 'key = value'"));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(error("property has no name before '='"));
        }
        let properties = match &section {
            Section::None => {
                return Err(error(
                    "expected a section header such as [default] before the first property",
                ))
            }
            Section::Skipped => {
                last_key = Some(key);
                continue;
            }
            Section::Named(table, name) => sections.table(*table).entry(name.clone()).or_default(),
            Section::BareDefault => bare_default.get_or_insert_with(Properties::new),
        };
        if valid_name(&key) {
            properties.insert(key.clone(), Zeroizing::new(strip_comment(value).to_owned()));
        }
        last_key = Some(key);
    }

    if let Some(bare) = bare_default {
        sections
            .profiles
            .entry("default".to_owned())
            .or_insert(bare);
    }
    Ok(sections)
}

enum Header<'a> {
    Named(Table, &'a str),
    BareDefault,
    Empty,
    Other,
}

fn classify(header: &str, kind: ProfileFileKind) -> Header<'_> {
    // `[word name]`: the name after `word` and whitespace, if it is `word`.
    let prefixed = |word: &str| {
        header
            .strip_prefix(word)
            .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            .map(str::trim)
    };
    if kind == ProfileFileKind::Config {
        for (word, table) in [
            ("sso-session", Table::SsoSessions),
            ("services", Table::Services),
        ] {
            match prefixed(word) {
                Some("") => return Header::Other,
                Some(name) => return Header::Named(table, name),
                None => {}
            }
        }
    }
    match (kind, prefixed("profile")) {
        (ProfileFileKind::Config, Some("")) => Header::Empty,
        (ProfileFileKind::Config, Some(name)) => Header::Named(Table::Profiles, name),
        (ProfileFileKind::Config, None) if header == "default" => Header::BareDefault,
        (ProfileFileKind::Config, None) | (ProfileFileKind::Credentials, Some(_)) => Header::Other,
        (ProfileFileKind::Credentials, None) => Header::Named(Table::Profiles, header),
    }
}

/// The sub-property `key` of a nested value (`sts =` followed by indented
/// `endpoint_url = ...` lines, kept as one value with a line each): its
/// trimmed value without a trailing comment, if set and not blank.
pub(crate) fn sub_property<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    value
        .split('\n')
        .skip(1)
        .filter_map(|line| line.split_once('='))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| strip_comment(v))
        .last()
        .filter(|v| !v.is_empty())
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-/.%@:+".contains(&b))
}

/// Trims a value and cuts a comment: `#` or `;` after whitespace.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    let cut = (0..bytes.len())
        .find(|&i| matches!(bytes[i], b'#' | b';') && i > 0 && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(bytes.len());
    value[..cut].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str, kind: ProfileFileKind) -> BTreeMap<String, BTreeMap<String, String>> {
        parse(text, Path::new("f"), kind)
            .unwrap()
            .profiles
            .into_iter()
            .map(|(p, props)| {
                (
                    p,
                    props
                        .into_iter()
                        .map(|(k, v)| (k, v.as_str().to_owned()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn comments_and_values() {
        let p = parse_ok(
            "# top\n; also\n[default] ; trailing\nregion = us-east-1 # note\nkey=a#b;c\n\n  \n",
            ProfileFileKind::Credentials,
        );
        assert_eq!(p["default"]["region"], "us-east-1");
        assert_eq!(p["default"]["key"], "a#b;c");
    }

    #[test]
    fn sso_session_and_services_sections_are_kept_from_config_files_only() {
        let text = "[sso-session my-sso]\nsso_region = us-east-1\n[services  dev ]\nsts =\n  endpoint_url = http://localhost:4566 # local\n  other = x\ns3 =\n endpoint_url = http://s3\n[sso-session]\nx = y\n[profile p]\nservices = dev\n";
        let config = parse(text, Path::new("f"), ProfileFileKind::Config).unwrap();
        assert_eq!(
            config.sso_sessions["my-sso"]["sso_region"].as_str(),
            "us-east-1"
        );
        let sts = config.services["dev"]["sts"].as_str();
        assert_eq!(
            sub_property(sts, "endpoint_url"),
            Some("http://localhost:4566")
        );
        assert_eq!(sub_property(sts, "other"), Some("x"));
        assert_eq!(sub_property(sts, "missing"), None);
        assert_eq!(
            sub_property(config.services["dev"]["s3"].as_str(), "ENDPOINT_URL"),
            Some("http://s3")
        );
        assert_eq!(config.profiles["p"]["services"].as_str(), "dev");
        assert_eq!(config.sso_sessions.len(), 1);
        // `[sso-session x]` in a credentials file is not a section kind there.
        let credentials = parse(text, Path::new("f"), ProfileFileKind::Credentials).unwrap();
        assert!(credentials.sso_sessions.is_empty() && credentials.services.is_empty());
        // The first line of a nested value is the parent's own text.
        assert_eq!(sub_property("endpoint_url = x", "endpoint_url"), None);
    }

    #[test]
    fn strip_comment_needs_whitespace() {
        assert_eq!(strip_comment(" a ;b"), "a");
        assert_eq!(strip_comment("a;b"), "a;b");
        assert_eq!(strip_comment("\tx\t#"), "x");
        assert_eq!(strip_comment(""), "");
    }
}
