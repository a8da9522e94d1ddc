//! The grammar of `~/.aws/config` and `~/.aws/credentials`.
//!
//! - Blank lines, and lines whose first non-blank character is `#` or `;`,
//!   are ignored.
//! - `[name]` starts a section. A comment may follow the `]`. In the config
//!   file a profile is `[profile name]` (`[default]` is also accepted, and
//!   `[profile default]` wins over it); other sections (`[sso-session x]`,
//!   `[services x]`, or a bare `[name]`) are skipped. In the credentials
//!   file a profile is `[name]`, and `[profile name]` is skipped.
//! - `key = value` sets a property. The key is trimmed and lower-cased; the
//!   value is trimmed, and a `#` or `;` preceded by whitespace starts a
//!   comment.
//! - A line starting with a space or tab continues the previous property:
//!   its trimmed text is appended after a newline (this is how nested
//!   sub-properties such as `s3 =` followed by indented lines are kept).
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

/// Parses one file into its profiles.
#[allow(clippy::too_many_lines)] // one pass over the lines, one arm per line kind
pub(crate) fn parse(
    text: &str,
    path: &Path,
    kind: ProfileFileKind,
) -> Result<BTreeMap<String, Properties>, CredentialsError> {
    #[derive(Clone)]
    enum Section {
        None,
        Skipped,
        Profile(String),
        BareDefault,
    }
    let mut profiles: BTreeMap<String, Properties> = BTreeMap::new();
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
                Section::Profile(name) => profiles.get_mut(name),
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
                Header::Profile(name) if valid_name(name) => {
                    profiles.entry(name.to_owned()).or_default();
                    Section::Profile(name.to_owned())
                }
                Header::BareDefault => {
                    bare_default.get_or_insert_with(Properties::new);
                    Section::BareDefault
                }
                Header::Profile(_) | Header::Other => Section::Skipped,
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
            Section::Profile(name) => profiles.entry(name.clone()).or_default(),
            Section::BareDefault => bare_default.get_or_insert_with(Properties::new),
        };
        if valid_name(&key) {
            properties.insert(key.clone(), Zeroizing::new(strip_comment(value).to_owned()));
        }
        last_key = Some(key);
    }

    if let Some(bare) = bare_default {
        profiles.entry("default".to_owned()).or_insert(bare);
    }
    Ok(profiles)
}

enum Header<'a> {
    Profile(&'a str),
    BareDefault,
    Empty,
    Other,
}

fn classify(header: &str, kind: ProfileFileKind) -> Header<'_> {
    let prefixed = header
        .strip_prefix("profile")
        .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        .map(str::trim);
    match (kind, prefixed) {
        (ProfileFileKind::Config, Some("")) => Header::Empty,
        (ProfileFileKind::Config, Some(name)) => Header::Profile(name),
        (ProfileFileKind::Config, None) if header == "default" => Header::BareDefault,
        (ProfileFileKind::Config, None) | (ProfileFileKind::Credentials, Some(_)) => Header::Other,
        (ProfileFileKind::Credentials, None) => Header::Profile(header),
    }
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
    fn strip_comment_needs_whitespace() {
        assert_eq!(strip_comment(" a ;b"), "a");
        assert_eq!(strip_comment("a;b"), "a;b");
        assert_eq!(strip_comment("\tx\t#"), "x");
        assert_eq!(strip_comment(""), "");
    }
}
