//! `sigv4 diff`: where a client's canonical request and the one a server
//! says it computed part, with a hint at the usual cause.
//!
//! S3 (and services behind the same front end) answer a bad signature with
//! `SignatureDoesNotMatch` and the canonical request and string to sign
//! they computed, as XML elements or inside a message ("The Canonical
//! String for this request should have been ..."). The client's side comes
//! from the request as sent: a raw HTTP request, whose own claims
//! (`SignedHeaders`, scope, date) give its canonical request through
//! `sigv4::verify::explain_claimed` with no secret, or a canonical request
//! as `sigv4 curl -v` and `sign --explain` print it.
//!
//! The error body is read with quick-xml (entities and all) or serde_json;
//! the comparison is our own: it knows the canonical request's sections.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::common::{self, CliError, UriEncodingArg};

/// The most bytes read from either input.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// The options of `sigv4 diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints each place where the two canonical requests differ, the first first, with a\n\
                  one-line hint at the usual cause (double encoding, a + in the query, an unsigned or\n\
                  changed header, the host's port, the payload hash). Session tokens are redacted.\n\
                  Exit status: 0 when the two agree, 1 when they differ or an input cannot be read,\n\
                  2 for a usage error."
)]
pub struct DiffArgs {
    /// The server's error body (S3's SignatureDoesNotMatch XML, or a JSON or text message
    /// carrying the canonical string); - for stdin.
    #[arg(value_name = "ERROR")]
    error: PathBuf,

    /// The request as sent: a raw HTTP request with its signature (as `sigv4 sign` prints
    /// it), or a canonical request (as `sigv4 curl -v` prints it); - for stdin.
    #[arg(value_name = "REQUEST")]
    request: PathBuf,

    /// The request was signed with S3's rules (single encoding, no path normalization).
    #[arg(long)]
    s3: bool,

    /// How the client encoded the path (as for `sigv4 sign`).
    #[arg(long, value_name = "MODE", value_enum, default_value_t = UriEncodingArg::Double)]
    uri_encoding: UriEncodingArg,

    /// The client signed the path without normalization (as for `sigv4 sign`).
    #[arg(long)]
    no_normalize_path: bool,
}

/// Runs `sigv4 diff`.
///
/// # Errors
///
/// Both inputs on stdin (usage); an unreadable input, an error body with no
/// canonical request in it, or a request whose signature parts are missing.
pub fn run(args: &DiffArgs) -> Result<ExitCode, CliError> {
    let dash = Path::new("-");
    if args.error == dash && args.request == dash {
        return Err(CliError::usage(
            "only one of ERROR and REQUEST can be read from stdin",
        ));
    }
    let error = read_input(&args.error)?;
    let server = server_side(&String::from_utf8_lossy(&error)).ok_or_else(|| {
        CliError::failure(format!(
            "no canonical request in {}: expected S3's <CanonicalRequest> or a message with \
             'The Canonical String for this request should have been'",
            name(&args.error)
        ))
    })?;
    let request = read_input(&args.request)?;
    let client = client_side(args, &request)?;
    let report = compare(&client, &server);
    common::write_stdout(report.text.as_bytes())?;
    Ok(if report.differs {
        ExitCode::from(common::EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT).read_to_end(&mut bytes))
    };
    result.map_err(|e| CliError::failure(format!("cannot read {}: {e}", name(path))))?;
    Ok(bytes)
}

/// One side: its canonical request, and its string to sign when known.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Side {
    canonical_request: String,
    string_to_sign: Option<String>,
}

/// What the server says it computed, from S3's XML elements (the `...Bytes`
/// hex forms preferred: they keep every byte), a JSON `message`, XML
/// `<Message>`, or plain text with the "should have been" phrasing.
fn server_side(body: &str) -> Option<Side> {
    if let Some(side) = from_xml(body) {
        return Some(side);
    }
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|json| {
            ["message", "Message"]
                .iter()
                .find_map(|key| json.get(key).and_then(|m| m.as_str()).map(str::to_owned))
        })
        .unwrap_or_else(|| body.to_owned());
    from_message(&message).or_else(|| from_explanation(&message))
}

/// S3's `<Error>` body.
fn from_xml(body: &str) -> Option<Side> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut current = String::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => {
                current = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
            }
            Event::Text(text) => {
                fields.push((current.clone(), text.decode().ok()?.into_owned()));
            }
            Event::CData(text) => {
                fields.push((current.clone(), text.decode().ok()?.into_owned()));
            }
            Event::GeneralRef(reference) => {
                // An entity between text pieces: keep it as its character.
                let ch = match reference.resolve_char_ref().ok()? {
                    Some(c) => c,
                    None => match reference.decode().ok()?.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => return None,
                    },
                };
                fields.push((current.clone(), ch.to_string()));
            }
            Event::End(_) => current.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    let field = |name: &str| -> Option<String> {
        let parts: Vec<&str> = fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .collect();
        (!parts.is_empty()).then(|| parts.concat())
    };
    let from_hex = |text: String| -> Option<String> {
        let bytes: Option<Vec<u8>> = text
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).ok())
            .collect();
        bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let canonical = field("CanonicalRequestBytes")
        .and_then(from_hex)
        .or_else(|| field("CanonicalRequest"));
    let Some(canonical) = canonical else {
        return field("Message").and_then(|m| from_message(&m));
    };
    let string_to_sign = field("StringToSignBytes")
        .and_then(from_hex)
        .or_else(|| field("StringToSign"));
    Some(Side {
        canonical_request: canonical,
        string_to_sign,
    })
}

/// "The Canonical String for this request should have been\n'...'\n\nThe
/// String-to-Sign should have been\n'...'".
fn from_message(message: &str) -> Option<Side> {
    let quoted = |after: &str| -> Option<String> {
        let start = message.find(after)? + after.len();
        let rest = message[start..].trim_start_matches([' ', '\n', '\r']);
        let rest = rest.strip_prefix('\'')?;
        // The quoted text ends at the last quote before the next sentence.
        let end = rest
            .find("'\n\nThe String-to-Sign")
            .or_else(|| rest.rfind('\''))?;
        Some(rest[..end].to_owned())
    };
    let canonical = quoted("Canonical String for this request should have been")?;
    let string_to_sign = quoted("String-to-Sign should have been");
    Some(Side {
        canonical_request: canonical,
        string_to_sign,
    })
}

/// This crate's own text: "canonical request:\n...\n\nstring to sign:\n...".
fn from_explanation(text: &str) -> Option<Side> {
    let start = text.find("canonical request:\n")? + "canonical request:\n".len();
    let rest = &text[start..];
    let (canonical, after) = match rest.find("\n\nstring to sign:\n") {
        Some(end) => (
            &rest[..end],
            Some(&rest[end + "\n\nstring to sign:\n".len()..]),
        ),
        None => (rest.trim_end_matches('\n'), None),
    };
    let string_to_sign = after.map(|s| {
        let end = s.find("\n\n").unwrap_or(s.len());
        s[..end].to_owned()
    });
    Some(Side {
        canonical_request: canonical.to_owned(),
        string_to_sign,
    })
}

/// The client's side: a canonical request given as text, or worked out
/// from a signed raw request.
fn client_side(args: &DiffArgs, input: &[u8]) -> Result<Side, CliError> {
    let text = String::from_utf8_lossy(input);
    if let Some(side) = from_explanation(&text) {
        return Ok(side);
    }
    let first = text.lines().next().unwrap_or("");
    if !first.contains(" /") && !first.contains(" http") {
        // A bare canonical request: its first line is the method alone.
        return Ok(Side {
            canonical_request: text.trim_end_matches(['\n', '\r']).to_owned(),
            string_to_sign: None,
        });
    }
    let request = sigv4::tools::raw::parse_request(input).map_err(|e| {
        CliError::failure(format!(
            "cannot parse the request in {}: {e}",
            name(&args.request)
        ))
    })?;
    let settings = if args.s3 {
        sigv4::SigningSettings::s3()
    } else {
        common::signing_settings(args.uri_encoding, args.no_normalize_path, false)
    };
    let headers: Vec<(&str, &[u8])> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let view = sigv4::RequestView::new(
        request.method().as_str(),
        request.uri().path(),
        request.uri().query().unwrap_or(""),
        &headers,
    );
    let claimed =
        sigv4::verify::explain_claimed(&view, sigv4::Payload::Bytes(request.body()), &settings)
            .map_err(|e| {
                CliError::failure(format!(
                    "cannot work out what {} was signed over: {e}",
                    name(&args.request)
                ))
            })?;
    Ok(Side {
        canonical_request: claimed.canonical_request,
        string_to_sign: Some(claimed.string_to_sign),
    })
}

/// The comparison's outcome.
struct Report {
    text: String,
    differs: bool,
}

/// A canonical request cut into its sections.
struct Sections<'t> {
    lines: Vec<&'t str>,
    /// Index of the blank line that ends the headers.
    blank: Option<usize>,
}

impl<'t> Sections<'t> {
    fn new(text: &'t str) -> Self {
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        let blank = lines
            .iter()
            .skip(3)
            .position(|l| l.is_empty())
            .map(|i| i + 3);
        Self { lines, blank }
    }

    fn headers(&self) -> Vec<(&'t str, &'t str)> {
        let end = self.blank.unwrap_or(self.lines.len());
        self.lines
            .get(3..end)
            .unwrap_or_default()
            .iter()
            .map(|l| l.split_once(':').unwrap_or((l, "")))
            .collect()
    }

    fn line(&self, i: usize) -> &'t str {
        self.lines.get(i).copied().unwrap_or("")
    }

    fn after_blank(&self, n: usize) -> Option<&'t str> {
        self.blank.and_then(|b| self.lines.get(b + n).copied())
    }
}

/// Compares the two sides section by section.
fn compare(client: &Side, server: &Side) -> Report {
    let ours = Sections::new(&client.canonical_request);
    let theirs = Sections::new(&server.canonical_request);
    let mut out = String::new();
    let mut differs = false;
    let mut note = |what: &str, line: usize, a: &str, b: &str, hint: &str| {
        differs = true;
        out.push_str(&format!(
            "line {line} ({what}):\n  client: {}\n  server: {}\n  hint: {hint}\n",
            redact_line(a),
            redact_line(b)
        ));
    };
    for (i, what) in [(0, "method"), (1, "path"), (2, "query")] {
        let (a, b) = (ours.line(i), theirs.line(i));
        if a != b {
            note(what, i + 1, a, b, &hint_for(what, a, b));
        }
    }
    // Headers, by name.
    let (our_headers, their_headers) = (ours.headers(), theirs.headers());
    let mut names: Vec<&str> = our_headers
        .iter()
        .chain(their_headers.iter())
        .map(|(n, _)| *n)
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let a = our_headers.iter().find(|(n, _)| *n == name);
        let b = their_headers.iter().find(|(n, _)| *n == name);
        let index = our_headers
            .iter()
            .position(|(n, _)| *n == name)
            .or_else(|| their_headers.iter().position(|(n, _)| *n == name))
            .unwrap_or(0)
            + 4;
        let text =
            |h: Option<&(&str, &str)>| h.map_or("(absent)".to_owned(), |(n, v)| format!("{n}:{v}"));
        let hint = match (a, b) {
            (Some(_), None) => format!("the client signed {name} and the server did not see it: a proxy dropped it, or the server does not count it"),
            (None, Some(_)) => format!("the server signed {name} and the client did not: it was added on the way, or the client left it unsigned"),
            (Some((_, x)), Some((_, y))) if x == y => continue,
            (Some((_, x)), Some((_, y))) if name == "host" && host_name(x) == host_name(y) => {
                format!("the host's port: the client signed {x:?}, the server saw {y:?}; a default port (80, 443) is left out, any other kept, and a tunnel or load balancer changes Host (sign for the host the server sees)")
            }
            _ => format!("the value of {name} changed on the way (a proxy rewrote it, or spaces were folded differently)"),
        };
        note("header", index, &text(a), &text(b), &hint);
    }
    let (a, b) = (
        ours.after_blank(1).unwrap_or(""),
        theirs.after_blank(1).unwrap_or(""),
    );
    if a != b {
        let at = ours.blank.map_or(0, |i| i + 2);
        note(
            "signed headers",
            at,
            a,
            b,
            "the lists of signed headers differ: see the header lines above",
        );
    }
    let (a, b) = (
        ours.after_blank(2).unwrap_or(""),
        theirs.after_blank(2).unwrap_or(""),
    );
    if a != b {
        let at = ours.blank.map_or(0, |i| i + 3);
        note("payload hash", at, a, b, &payload_hint(a, b));
    }
    if differs {
        return Report { text: out, differs };
    }
    match (&client.string_to_sign, &server.string_to_sign) {
        (Some(a), Some(b)) if a != b => Report {
            text: format!(
                "the canonical requests agree; the strings to sign differ:\n  client: {}\n  server: {}\n  hint: the date, region or service in the credential scope differ (check --region and --service, and the clock)\n",
                a.replace('\n', "\\n"),
                b.replace('\n', "\\n")
            ),
            differs: true,
        },
        _ => Report {
            text: "the canonical requests agree: the signature was made with another secret key (or the session token does not belong to it)\n".to_owned(),
            differs: false,
        },
    }
}

/// A header value's host, without a port (`[::1]:8182` gives `[::1]`).
fn host_name(value: &str) -> &str {
    match value.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => value,
    }
}

/// The hint for a differing method, path or query line.
fn hint_for(what: &str, ours: &str, theirs: &str) -> String {
    match what {
        "method" => "the method changed on the way (a redirect or a proxy)".to_owned(),
        "path" if ours.replace("%25", "%") == theirs => {
            "double encoding: the client encoded the path twice and the server once; S3 wants it once (--s3, or --uri-encoding single)".to_owned()
        }
        "path" if theirs.replace("%25", "%") == ours => {
            "double encoding: the server encoded the path twice and the client once; every service but S3 wants it twice (--uri-encoding double)".to_owned()
        }
        "path" => "the path differs: normalization (/./, //, ..) or encoding; S3 uses the path as sent (--s3)".to_owned(),
        _ if ours.contains("%2B") != theirs.contains("%2B") || ours.replace("%2B", "%20") == theirs || theirs.replace("%2B", "%20") == ours => {
            "a + in the query: AWS reads + as a space (%20); send a literal plus as %2B".to_owned()
        }
        _ => "the query differs: a parameter added, dropped or encoded differently on the way".to_owned(),
    }
}

/// The hint for a differing payload hash line.
fn payload_hint(ours: &str, theirs: &str) -> String {
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    if ours == "UNSIGNED-PAYLOAD" || theirs == "UNSIGNED-PAYLOAD" {
        "one side signed UNSIGNED-PAYLOAD and the other a hash: send x-amz-content-sha256 with what was signed (S3 presigned URLs are UNSIGNED-PAYLOAD)".to_owned()
    } else if ours == EMPTY || theirs == EMPTY {
        "one side hashed an empty body: the body was not signed, or was dropped on the way"
            .to_owned()
    } else {
        "the payload hash: the body changed on the way, or x-amz-content-sha256 does not match it"
            .to_owned()
    }
}

/// A line with any session token hidden.
fn redact_line(line: &str) -> String {
    if line.starts_with("x-amz-security-token:") {
        return "x-amz-security-token:<redacted>".to_owned();
    }
    line.split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("X-Amz-Security-Token", _)) => "X-Amz-Security-Token=<redacted>".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_give_the_server_side() {
        let message = "The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/execute-api/aws4_request\nabc'\n";
        let json = serde_json::json!({ "message": message }).to_string();
        for body in [message.to_owned(), json] {
            let side = server_side(&body).expect("found");
            assert_eq!(
                side.canonical_request,
                "GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD"
            );
            assert_eq!(
                side.string_to_sign.as_deref(),
                Some("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/execute-api/aws4_request\nabc")
            );
        }
        assert!(server_side("<Error><Code>AccessDenied</Code></Error>").is_none());
        assert!(server_side("").is_none());
    }

    #[test]
    fn each_usual_cause_gets_its_hint() {
        let side = |text: &str| Side {
            canonical_request: text.to_owned(),
            string_to_sign: None,
        };
        let base = "GET\n/a%20b\nx=1\nhost:h\nx-amz-date:1\n\nhost;x-amz-date\nUNSIGNED-PAYLOAD";
        for (changed, phrase) in [
            (base.replace("/a%20b", "/a%2520b"), "double encoding"),
            (base.replace("x=1", "x=a%2Bb"), "a + in the query"),
            (base.replace("host:h", "host:h:8182"), "the host's port"),
            (
                base.replace("x-amz-date:1", "x-amz-date:2"),
                "changed on the way",
            ),
            (base.replace("UNSIGNED-PAYLOAD", "abc"), "UNSIGNED-PAYLOAD"),
        ] {
            let report = compare(&side(&changed), &side(base));
            assert!(report.differs);
            assert!(report.text.contains(phrase), "{phrase}: {}", report.text);
        }
        let report = compare(&side(base), &side(base));
        assert!(!report.differs);
        assert!(report.text.contains("another secret key"));
    }
}
