//! What each fuzz target checks, as plain functions of the input bytes.
//!
//! The cargo-fuzz binaries in `fuzz_targets/` call these, and the main
//! crate's `tests/fuzz_corpus.rs` includes this file and runs every function
//! over its committed seed corpus (`fuzz/corpus/<target>/`) on the stable
//! toolchain, so CI exercises the same checks without a fuzzer.
//!
//! Every function must not panic for any input; where a property must hold
//! (hash of the explained text equals the streamed hash; a signed request
//! verifies), it is asserted.

use std::ops::Range;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Request};
use sha2::{Digest, Sha256};
use sigv4::credentials::{CredentialsError, ProfileFileKind, ProfileSet};
use sigv4::tools::raw;
use sigv4::verify::{Verifier, VerifyError};
use sigv4::{
    CanonicalRequest, Credentials, Payload, Region, Service, SignatureLocation, Signer,
    SigningSettings, SigningTime, UriEncoding,
};

/// Reads length-prefixed pieces from the fuzzer's bytes.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.data.len());
        let (piece, rest) = self.data.split_at(len);
        self.data = rest;
        piece
    }

    fn text(&mut self) -> &'a str {
        let piece = self.bytes();
        match std::str::from_utf8(piece) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&piece[..e.valid_up_to()]).unwrap_or_default(),
        }
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

fn time() -> SigningTime {
    SigningTime::from_unix(1_440_938_160).expect("a valid fixed time")
}

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE/+=token";
/// The token as it appears in a presigned URL's query.
const TOKEN_ENCODED: &str = "FwoGZXIvYXdzEXAMPLE%2F%2B%3Dtoken";

fn credentials(with_token: bool) -> Credentials {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET).expect("valid example credentials");
    if with_token {
        creds.with_session_token(TOKEN).expect("valid token")
    } else {
        creds
    }
}

/// A query key or value decoded as AWS services read it: `%XX` is the
/// byte, `+` a space, any other `%` itself.
fn decode(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if text[i] == b'%' {
            let digit = |at: usize| text.get(at).copied().and_then(hex);
            if let (Some(h), Some(l)) = (digit(i + 1), digit(i + 2)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// The canonical query by the SigV4 rules, written plainly and
/// independently of the crate's fast paths: split on `&` (empty segments
/// carry nothing), key and value at the first `=`, each percent-decoded
/// (`+` is a space, as in form encoding; `%` without two hex digits
/// stands for itself) and encoded
/// again with only unreserved bytes bare, pairs sorted by key then value.
fn reference_query(query: &str) -> Vec<u8> {
    fn encode(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in bytes {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(b);
            } else {
                out.extend_from_slice(format!("%{b:02X}").as_bytes());
            }
        }
        out
    }
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (key, value) = match segment.iter().position(|&b| b == b'=') {
                Some(eq) => (&segment[..eq], &segment[eq + 1..]),
                None => (segment, &b""[..]),
            };
            (encode(&decode(key)), encode(&decode(value)))
        })
        .collect();
    pairs.sort();
    let mut out = Vec::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(key);
        out.push(b'=');
        out.extend_from_slice(value);
    }
    out
}

/// The canonical headers block and signed-headers list by the SigV4 rules,
/// written plainly: names lowercased and sorted (stable, so repeated names
/// keep their values' order), values trimmed of spaces and tabs at both ends
/// with inner runs of spaces collapsed to one, repeated names joined by `,`.
fn reference_headers(headers: &[(&str, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    fn trimmed(mut value: &[u8]) -> Vec<u8> {
        while let [b' ' | b'\t', rest @ ..] = value {
            value = rest;
        }
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        let mut out: Vec<u8> = Vec::new();
        for &b in value {
            if !(b == b' ' && out.last() == Some(&b' ')) {
                out.push(b);
            }
        }
        out
    }
    let mut sorted: Vec<(String, &[u8])> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), *value))
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut block, mut signed) = (Vec::new(), Vec::new());
    for (i, (name, value)) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].0 == *name {
            block.push(b',');
        } else {
            if i > 0 {
                block.push(b'\n');
                signed.push(b';');
            }
            block.extend_from_slice(name.as_bytes());
            block.push(b':');
            signed.extend_from_slice(name.as_bytes());
        }
        block.extend_from_slice(&trimmed(value));
    }
    if !sorted.is_empty() {
        block.push(b'\n');
    }
    (block, signed)
}

/// Canonicalization of an arbitrary method, path, query, headers and
/// payload: no panic, the streamed hash equals the hash of the text, and
/// the canonical query and headers are the ones [`reference_query`] and
/// [`reference_headers`] write.
pub fn canonical(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let method = input.text();
    let path = input.text();
    let query = input.text();
    let count = usize::from(input.byte() % 40);
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        headers.push((input.text(), input.bytes()));
    }
    let payload = match flags % 4 {
        0 => Payload::Bytes(input.rest()),
        1 => Payload::Precomputed(input.text()),
        2 => Payload::Unsigned,
        _ => Payload::StreamingSigned,
    };
    let Ok(payload) = payload.hash() else { return };
    let Ok(canonical) = CanonicalRequest::new(method, path, query, &headers, &payload) else {
        return;
    };
    let canonical = canonical.with_settings(
        &SigningSettings::default()
            .with_uri_encoding(if flags & 4 == 0 {
                UriEncoding::Double
            } else {
                UriEncoding::Single
            })
            .with_path_normalization(flags & 8 == 0),
    );
    let text = canonical.to_bytes();
    let streamed = canonical.hash();
    let of_text: [u8; 32] = Sha256::digest(&text).into();
    assert_eq!(streamed, of_text, "explained text and streamed hash differ");
    // The query is line 3 when the method and path hold no newline (single
    // encoding leaves a path's bytes as they are).
    if !method.contains('\n') && !path.contains('\n') {
        let query_line = text.split(|&b| b == b'\n').nth(2).unwrap_or_default();
        assert_eq!(
            query_line,
            reference_query(query).as_slice(),
            "canonical query of {query:?}"
        );
        // After the query line: the headers block, a blank line, the
        // signed-headers list.
        let (block, signed) = reference_headers(&headers);
        let mut expected = block;
        expected.push(b'\n');
        expected.extend_from_slice(&signed);
        expected.push(b'\n');
        let after_query = text.splitn(4, |&b| b == b'\n').nth(3).unwrap_or_default();
        assert!(
            after_query.starts_with(&expected),
            "canonical headers of {:?}",
            headers.iter().map(|(name, _)| name).collect::<Vec<_>>()
        );
        assert_eq!(canonical.signed_headers().as_bytes(), signed.as_slice());
    }
}

/// Builds an `http::Request` from fuzzer bytes, skipping parts `http`
/// rejects (those never reach a signer).
fn request(input: &mut Input<'_>) -> Option<Request<Vec<u8>>> {
    let method = input.text();
    let target = input.text();
    let mut builder = Request::builder()
        .method(http::Method::from_bytes(method.as_bytes()).ok()?)
        .uri(format!("https://db.example.com:8182/{target}"));
    for _ in 0..usize::from(input.byte() % 24) {
        let (name, value) = (input.bytes(), input.bytes());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            builder = builder.header(name, value);
        }
    }
    builder.body(input.rest().to_vec()).ok()
}

/// Header signing and presigning of arbitrary requests, with the default
/// (Neptune) settings or S3's: no panic; every request the signer accepts
/// verifies; `explain` computes the same signature; the headers carrying
/// the signature or the token are marked sensitive; and neither the secret
/// key nor the session token shows in the explanation.
pub fn sign_verify(data: &[u8]) {
    let mut input = Input { data };
    let flags = input.byte();
    let Some(mut request) = request(&mut input) else {
        return;
    };
    let presign = flags & 1 == 1;
    let with_token = flags & 2 == 2;
    let s3 = flags & 8 == 8;
    let creds = credentials(with_token);
    let settings = if s3 {
        SigningSettings::s3()
    } else {
        SigningSettings::default()
    }
    .with_content_sha256_header(flags & 4 == 4);
    let signer = Signer::neptune("us-east-1")
        .expect("valid region")
        .with_settings(settings.clone());
    // A presigned request that also carries an Authorization header is
    // ambiguous (servers reject it); the verifier reads the header first.
    let ambiguous = presign && request.headers().contains_key("authorization");
    // A header-signed request whose query holds presign parameters is
    // signed two ways, which the verifier refuses.
    let presign_params = request.uri().query().is_some_and(|query| {
        query.split('&').any(|segment| {
            let key = decode(segment.split('=').next().unwrap_or_default().as_bytes());
            [
                &b"X-Amz-Algorithm"[..],
                b"X-Amz-Credential",
                b"X-Amz-Signature",
            ]
            .contains(&&key[..])
        })
    });
    let expiry = presign.then(|| Duration::from_secs(600));
    let explained = signer.explain(
        &request,
        Payload::Bytes(request.body()),
        &creds,
        time(),
        expiry.map_or(SignatureLocation::Header, SignatureLocation::presigned),
    );
    let signed = match expiry {
        Some(expiry) => signer.presign(&mut request, &creds, time(), expiry),
        None => signer.sign(&mut request, &creds, time()),
    };
    let (signature, explained) = match (signed, explained) {
        (Ok(signature), Ok(explained)) => (signature, explained),
        (Err(_), Err(_)) => return,
        (signed, explained) => panic!(
            "sign and explain disagree: {:?} vs {:?}",
            signed.err(),
            explained.err()
        ),
    };
    assert!(
        signature == explained.signature(),
        "explain computed another signature"
    );
    let shown = format!("{explained} {explained:?}");
    if !contains(data, SECRET.as_bytes()) {
        assert!(!shown.contains(SECRET), "the explanation shows the secret");
    }
    if with_token {
        for token in [TOKEN, TOKEN_ENCODED] {
            assert!(!shown.contains(token), "the explanation shows the token");
        }
    }
    for name in ["authorization", "x-amz-security-token"] {
        for value in request.headers().get_all(name) {
            assert!(value.is_sensitive(), "{name} is not marked sensitive");
        }
    }
    if ambiguous {
        return;
    }
    let known = creds.clone();
    let verifier = Verifier::neptune("us-east-1", move |_: &str| Some(known.clone()))
        .expect("valid region")
        .with_settings(settings)
        // The target checks the seed signature of streaming payloads too,
        // and bounds nothing the signer does not.
        .with_unchecked_streaming(true)
        .with_header_limits(usize::MAX, usize::MAX);
    match verifier.verify(&request, time()) {
        Ok(_) => {}
        Err(VerifyError::MultipleAuthMechanisms) if presign_params && !presign => {}
        Err(e) => panic!("a request the signer signed does not verify: {e:?}"),
    }
}

/// The verifier on arbitrary raw requests (Authorization header and
/// presigned forms): no panic; a rejection maps to an AWS error code, and
/// its message never shows the secret key, nor the session token unless
/// the request itself carries it.
pub fn verify(data: &[u8]) {
    let Ok(request) = raw::parse_request(data) else {
        return;
    };
    let with_token = data.first().is_some_and(|b| b & 1 == 1);
    let known = credentials(with_token);
    // Only the one known key id: the id is not part of the string to sign
    // (SigV4 signs the scope without it), so a lookup that answered every id
    // with the same secret would accept any id.
    let verifier = Verifier::new(
        Region::new("us-east-1").expect("valid region"),
        Service::new("service").expect("valid service"),
        move |id: &str| (id == "AKIDEXAMPLE").then(|| known.clone()),
    );
    match verifier.verify(&request, time()) {
        Ok(verified) => assert_eq!(verified.access_key_id, "AKIDEXAMPLE"),
        Err(e) => {
            assert!(!e.code().is_empty());
            let shown = format!("{e} {e:?}");
            if !contains(data, SECRET.as_bytes()) {
                assert!(!shown.contains(SECRET), "a verify error shows the secret");
            }
            if with_token
                && !contains(data, TOKEN.as_bytes())
                && !contains(data, TOKEN_ENCODED.as_bytes())
            {
                assert!(
                    !shown.contains(TOKEN) && !shown.contains(TOKEN_ENCODED),
                    "a verify error shows the token"
                );
            }
        }
    }
}

/// The command's raw-request parser: no panic, and writing then parsing
/// again is stable.
pub fn raw_request(data: &[u8]) {
    let Ok(request) = raw::parse_request(data) else {
        return;
    };
    let written = raw::write_request(&request);
    let again = raw::parse_request(&written).expect("written requests parse");
    assert_eq!(
        raw::write_request(&again),
        written,
        "write/parse is not stable"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A letter or digit replaced by another of the same kind (`a`→`b`,
/// `z`→`a`, `9`→`0`); every other byte kept. Swapping a secret's text for
/// its rotation changes nothing a parser may act on but the secret itself.
fn rotate(b: u8) -> u8 {
    match b {
        b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => b + 1,
        b'z' => b'a',
        b'Z' => b'A',
        b'9' => b'0',
        other => other,
    }
}

/// `data` with the bytes of every span rotated.
fn rotated(data: &[u8], spans: &[Range<usize>]) -> Vec<u8> {
    let mut out = data.to_vec();
    for span in spans {
        for b in &mut out[span.clone()] {
            *b = rotate(*b);
        }
    }
    out
}

/// Asserts that two results read from documents that differ only in their
/// secrets are the same: same error text, or credentials that differ only
/// in the secret and token. So no error message and no `Debug` output
/// depends on (let alone shows) a secret.
fn same_but_secrets(
    what: &str,
    a: &Result<Credentials, CredentialsError>,
    b: &Result<Credentials, CredentialsError>,
) {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.access_key_id(), b.access_key_id(), "{what}");
            assert_eq!(a.expiry(), b.expiry(), "{what}");
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "{what}: Debug shows a secret"
            );
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                a.to_string(),
                b.to_string(),
                "{what}: an error shows a secret"
            );
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "{what}: an error shows a secret"
            );
        }
        _ => panic!("{what}: the secret's letters changed the outcome: {a:?} vs {b:?}"),
    }
}

/// What the credentials parsers promise about credentials they return.
fn well_formed(creds: &Credentials) {
    let id = creds.access_key_id();
    assert!(!id.is_empty() && !id.contains('/') && id.bytes().all(|b| b.is_ascii_graphic()));
    assert!(!creds.secret_access_key().is_empty());
    if let Some(token) = creds.session_token() {
        assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()));
    }
    // That `Debug` hides the secret and the token is checked by
    // `same_but_secrets`: a plain `contains` would also flag a secret that
    // happens to spell part of the `Debug` text.
}

/// The spans of `key = value` values in a profile file, for every key when
/// `secrets_only` is false, else for `aws_secret_access_key` and
/// `aws_session_token`. Section headers and comments are left alone, and so
/// are continuation lines when `secrets_only` (they extend another key).
/// Lines are read as the parser reads them (Unicode trimming).
fn profile_value_spans(text: &str, secrets_only: bool) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        let end = start + line.len();
        let trimmed = line.trim_start();
        let skip =
            trimmed.starts_with(['[', '#', ';']) || (secrets_only && line.starts_with([' ', '\t']));
        if let (false, Some(eq)) = (skip, line.find('=')) {
            let key = line[..eq].trim().to_ascii_lowercase();
            let secret = key == "aws_secret_access_key" || key == "aws_session_token";
            if secret || !secrets_only {
                spans.push(start + eq + 1..end);
            }
        }
        start = end + 1;
    }
    spans
}

/// The shared config and credentials files (`~/.aws/config`,
/// `~/.aws/credentials`): the config text, then optionally a NUL byte and
/// the credentials text. No panic; every name and key kept is one the
/// grammar allows and every value is trimmed; the merged set holds what
/// each file gave, the credentials file winning; errors and `Debug` never
/// depend on a value (so never show a secret); resolving every profile
/// terminates and never shows a secret.
pub fn profile(data: &[u8]) {
    let (config, credentials) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &b""[..]),
    };
    let (Ok(config), Ok(credentials)) = (
        std::str::from_utf8(config),
        std::str::from_utf8(credentials),
    ) else {
        return;
    };
    let files = [
        (config, ProfileFileKind::Config),
        (credentials, ProfileFileKind::Credentials),
    ];
    let mut parsed = Vec::new();
    for (text, kind) in files {
        let result = sigv4::tools::fuzz::profile_file(text, kind);
        // Errors never depend on a value.
        let other = rotated(text.as_bytes(), &profile_value_spans(text, false));
        let other = String::from_utf8(other).expect("rotation keeps UTF-8");
        match (&result, sigv4::tools::fuzz::profile_file(&other, kind)) {
            (Ok(a), Ok(b)) => {
                let names = |p: &[(String, Vec<(String, String)>)]| {
                    p.iter()
                        .map(|(n, props)| {
                            (
                                n.clone(),
                                props.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(names(a), names(&b), "a value changed the names");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "an error shows a value"),
            (a, b) => panic!("a value changed the outcome: {a:?} vs {b:?}"),
        }
        match result {
            Ok(profiles) => parsed.push(profiles),
            Err(e) => {
                let lines = text.split('\n').count();
                assert!(
                    matches!(e, CredentialsError::InvalidProfileFile { line, .. } if (1..=lines).contains(&line)),
                    "{e:?}"
                );
                return;
            }
        }
    }
    let allowed = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-/.%@:+".contains(&b))
    };
    for profiles in &parsed {
        for (name, properties) in profiles {
            assert!(allowed(name), "profile name {name:?}");
            for (key, value) in properties {
                assert!(
                    allowed(key) && !key.bytes().any(|b| b.is_ascii_uppercase()),
                    "key {key:?}"
                );
                let mut lines = value.split('\n');
                let first = lines.next().unwrap_or_default();
                assert_eq!(first, first.trim(), "value not trimmed");
                for line in lines {
                    assert!(
                        !line.is_empty() && line == line.trim(),
                        "continuation not trimmed"
                    );
                }
            }
        }
    }

    let set = ProfileSet::parse(config, credentials).expect("both files parse on their own");
    // Merged: the credentials file wins; empty values read as absent.
    let (from_config, from_credentials) = (&parsed[0], &parsed[1]);
    for (name, properties) in from_config.iter().chain(from_credentials) {
        assert!(set.contains(name));
        for (key, _) in properties {
            let winner = from_credentials
                .iter()
                .chain(from_config)
                .filter(|(n, _)| n == name)
                .find_map(|(_, props)| props.iter().find(|(k, _)| k == key))
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty());
            assert_eq!(set.get(name, key), winner, "{name}/{key}");
        }
    }

    // Resolving: terminates, and what it shows does not depend on secrets.
    let secrets = |text: &str| {
        let other = rotated(text.as_bytes(), &profile_value_spans(text, true));
        String::from_utf8(other).expect("rotation keeps UTF-8")
    };
    let other = ProfileSet::parse(&secrets(config), &secrets(credentials))
        .expect("rotated secrets parse as well");
    assert_eq!(
        format!("{set:?}"),
        format!("{other:?}"),
        "Debug shows a value"
    );
    for name in set.profile_names().take(64) {
        let a = sigv4::tools::fuzz::profile_plan(&set, name);
        let b = sigv4::tools::fuzz::profile_plan(&other, name);
        match (&a, &b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "a plan shows a secret"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "an error shows a secret"),
            _ => panic!("a secret changed the outcome: {a:?} vs {b:?}"),
        }
    }
}

/// The spans of the JSON string values of members named by `keys`.
/// Strings with escapes are left alone (rotating an escape changes it).
fn json_value_spans(text: &[u8], keys: &[&[u8]]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for key in keys {
        let mut from = 0;
        while let Some(at) = text[from..].windows(key.len()).position(|w| w == *key) {
            let mut i = from + at + key.len();
            from = i;
            let skip_ws = |i: &mut usize| {
                while text.get(*i).is_some_and(|b| b" \t\r\n".contains(b)) {
                    *i += 1;
                }
            };
            skip_ws(&mut i);
            if text.get(i) != Some(&b':') {
                continue;
            }
            i += 1;
            skip_ws(&mut i);
            if text.get(i) != Some(&b'"') {
                continue;
            }
            let start = i + 1;
            let Some(len) = text[start..].iter().position(|&b| b == b'"') else {
                continue;
            };
            if !text[start..start + len].contains(&b'\\') {
                spans.push(start..start + len);
            }
        }
    }
    spans
}

/// The JSON documents that carry credentials: `credential_process` output,
/// the EC2 instance metadata answer, a container endpoint's answer, the SSO
/// portal's answer (first byte: which one, and the HTTP status), and a
/// token file of the SSO cache (first byte `0x40`). No panic; credentials
/// returned are well formed; errors and `Debug` never depend on the secret
/// or the tokens.
pub fn credentials_json(data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    #[cfg(feature = "credentials-http")]
    if flags & 0x40 != 0 {
        let spans = json_value_spans(
            body,
            &[b"\"accessToken\"", b"\"refreshToken\"", b"\"clientSecret\""],
        );
        let result = sigv4::tools::fuzz::sso_cached_token(body);
        assert_eq!(
            result,
            sigv4::tools::fuzz::sso_cached_token(&rotated(body, &spans)),
            "SSO token cache: an error or Debug shows a token"
        );
        return;
    }
    let status = if flags & 4 == 0 {
        200
    } else {
        [400, 403, 404, 500][usize::from(flags >> 3) & 3]
    };
    // Without the network providers, only `credential_process` is there.
    #[cfg(not(feature = "credentials-http"))]
    let _ = status;
    let parse = |body: &[u8]| -> Result<Credentials, CredentialsError> {
        #[cfg(feature = "credentials-http")]
        if flags & 0x80 != 0 {
            return sigv4::tools::fuzz::sso_portal(status, body);
        }
        match flags % 3 {
            #[cfg(feature = "credentials-http")]
            1 => sigv4::tools::fuzz::imds(status, body),
            #[cfg(feature = "credentials-http")]
            2 => sigv4::tools::fuzz::container(status, body),
            _ => sigv4::tools::fuzz::credential_process(body),
        }
    };
    let result = parse(body);
    if let Ok(creds) = &result {
        well_formed(creds);
    }
    let spans = json_value_spans(
        body,
        &[
            b"\"SecretAccessKey\"",
            b"\"SessionToken\"",
            b"\"Token\"",
            b"\"secretAccessKey\"",
            b"\"sessionToken\"",
        ],
    );
    if !spans.is_empty() {
        same_but_secrets("credentials JSON", &result, &parse(&rotated(body, &spans)));
    }
}

/// The spans of the text right after the opening tags named by `names`
/// (any namespace prefix), up to the next `<` or `>`. Texts with entity or
/// character references are left alone.
fn xml_text_spans(text: &[u8], names: &[&[u8]]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    for name in names {
        let mut from = 0;
        while let Some(at) = text[from..].windows(name.len()).position(|w| w == *name) {
            let begin = from + at;
            let start = begin + name.len();
            from = start;
            // `<Name>` or `<prefix:Name>`: the `<` must really open a tag
            // (a `prefix:Name>` in text is no tag).
            let mut at = begin;
            if at > 0 && text[at - 1] == b':' {
                at -= 1;
                while at > 0
                    && (text[at - 1].is_ascii_alphanumeric() || b"_-.".contains(&text[at - 1]))
                {
                    at -= 1;
                }
            }
            let opening = at > 0 && text[at - 1] == b'<';
            if !opening || text.get(start) != Some(&b'>') {
                continue;
            }
            let start = start + 1;
            // Up to the next `<` or `>`: a marker inside a comment or a
            // processing instruction must not run on past its end.
            let len = text[start..]
                .iter()
                .position(|&b| b == b'<' || b == b'>')
                .unwrap_or(text.len() - start);
            if !text[start..start + len].contains(&b'&') {
                spans.push(start..start + len);
            }
        }
    }
    spans
}

/// STS `AssumeRole` and `AssumeRoleWithWebIdentity` answers (first byte:
/// which action, and the HTTP status). No panic; success documents give
/// complete temporary credentials (token and expiry); a 2xx answer never
/// turns into an STS error nor an error status into credentials; errors
/// and `Debug` never depend on the secret or the token.
pub fn sts(data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    #[cfg(feature = "credentials-http")]
    {
        let web_identity = flags & 1 == 1;
        let status = if flags & 2 == 0 {
            200
        } else {
            [400, 403, 500, 503][usize::from(flags >> 2) & 3]
        };
        let parse = |body: &[u8]| sigv4::tools::fuzz::sts(status, body, web_identity);
        let result = parse(body);
        match &result {
            Ok(creds) => {
                assert_eq!(status, 200, "an error status gave credentials");
                well_formed(creds);
                assert!(creds.session_token().is_some() && creds.expiry().is_some());
            }
            Err(
                CredentialsError::Sts { status: s, .. }
                | CredentialsError::HttpStatus { status: s, .. },
            ) => {
                assert!(*s == status && status != 200, "{result:?}");
            }
            Err(
                CredentialsError::InvalidResponse { .. }
                | CredentialsError::InvalidCredentials { .. },
            ) => {
                assert_eq!(status, 200, "{result:?}");
            }
            Err(other) => panic!("unexpected error kind: {other:?}"),
        }
        if let Err(CredentialsError::Sts { code, message, .. }) = &result {
            // An error document's Code and Message are repeated, but only
            // as one bounded line and a plain identifier.
            assert!(
                code.len() <= 64 && !code.contains(char::is_control),
                "{code:?}"
            );
            assert!(message.chars().count() <= 513, "{result:?}");
            assert!(
                !message.contains(|c: char| c.is_control() || c == '\n'),
                "{message:?}"
            );
        }
        // Secrets arrive only in success answers; an error document's own
        // Code and Message are STS's words and are shown as such, so the
        // "nothing depends on the secret" property is checked on 2xx only.
        let spans = xml_text_spans(body, &[b"SecretAccessKey", b"SessionToken"]);
        if status == 200 && !spans.is_empty() {
            same_but_secrets("STS XML", &result, &parse(&rotated(body, &spans)));
        }
    }
    #[cfg(not(feature = "credentials-http"))]
    let _ = (flags, body);
}

/// aws-chunked: arbitrary bytes fed to the decoder, in every framing and in
/// pieces of a size the input picks, never panic, and the decoder never
/// hands over more data than the chunks it checked hold; and the input's
/// bytes, encoded by the signer, decode back to themselves.
pub fn chunked(data: &[u8]) {
    use sigv4::{
        ChunkDecoder, ChunkSigner, ChunkedFraming, CredentialScope, Decoded, Signature, SigningKey,
    };
    let mut input = Input { data };
    let choice = input.byte();
    let piece = usize::from(input.byte()).max(1);
    let chunk_size = usize::from(input.byte()).max(1);
    let body = input.rest();

    let time = SigningTime::parse("20130524T000000Z").expect("valid time");
    let region = Region::new("us-east-1").expect("valid region");
    let service = Service::new("s3").expect("valid service");
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive("secret", &scope);
    let seed = Signature::from_hex(&"0".repeat(64)).expect("hex");
    let signer = || ChunkSigner::new(&key, &time, &scope, seed);
    let framing = match choice % 3 {
        0 => ChunkedFraming::Signed,
        1 => ChunkedFraming::SignedWithTrailer,
        _ => ChunkedFraming::UnsignedWithTrailer,
    };
    let decoder = || {
        match framing {
            ChunkedFraming::Signed => ChunkDecoder::signed(signer(), false),
            ChunkedFraming::SignedWithTrailer => ChunkDecoder::signed(signer(), true),
            _ => ChunkDecoder::unsigned_with_trailer(),
        }
        .with_max_chunk_size(1 << 16)
    };

    // Arbitrary bytes: no panic, bounded output.
    let feed = |decoder: &mut ChunkDecoder, bytes: &[u8]| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for part in bytes.chunks(piece) {
            let mut rest = part;
            loop {
                match decoder.decode(rest) {
                    Ok((used, decoded)) => {
                        assert!(used <= rest.len());
                        let data = matches!(decoded, Decoded::Data(_));
                        if let Decoded::Data(d) = decoded {
                            out.extend_from_slice(d);
                        }
                        rest = &rest[used..];
                        if rest.is_empty() && !data {
                            break;
                        }
                    }
                    Err(_) => return None,
                }
            }
        }
        assert!(out.len() as u64 == decoder.decoded_len());
        decoder.finish().ok().map(|()| out)
    };
    let _ = feed(&mut decoder(), body);

    // The body encoded properly round-trips.
    let trailer: &[(&str, &str)] = &[("x-amz-checksum-crc32", "AAAAAA==")];
    let mut encoded = Vec::new();
    let mut chain = signer();
    for chunk in body.chunks(chunk_size) {
        match framing {
            ChunkedFraming::UnsignedWithTrailer => {
                sigv4::write_unsigned_chunk_header(chunk.len(), &mut encoded)
            }
            _ => {
                chain.write_chunk_header(chunk, &mut encoded);
            }
        }
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    match framing {
        ChunkedFraming::Signed => {
            chain.write_final_chunk(&mut encoded);
        }
        ChunkedFraming::SignedWithTrailer => {
            chain.write_final_chunk_with_trailer(trailer, &mut encoded);
        }
        _ => sigv4::write_unsigned_final_chunk(trailer, &mut encoded),
    }
    let decoded = feed(&mut decoder(), &encoded);
    assert!(
        decoded.as_deref() == Some(body),
        "a signed body decodes back"
    );
}

/// Event streams: arbitrary bytes through the frame reader, the codec and
/// the envelope verifier never panic; whatever decodes re-encodes to the
/// same bytes; and a message made from the input, signed, checks.
pub fn eventstream(data: &[u8]) {
    use sigv4::eventstream::{EventSigner, EventVerifier, FrameReader, HeaderValue, Message};
    use sigv4::{CredentialScope, Signature, SigningKey};

    let mut input = Input { data };
    let piece = usize::from(input.byte()).max(1);
    let raw = input.bytes();
    let payload = input.rest();

    // Arbitrary bytes, as a stream of frames in pieces.
    let time = SigningTime::parse("20150830T123600Z").expect("valid time");
    let region = Region::new("us-east-1").expect("valid region");
    let service = Service::new("transcribe").expect("valid service");
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive("secret", &scope);
    let seed = Signature::from_hex(&"0".repeat(64)).expect("hex");
    let mut reader = FrameReader::new();
    let mut verifier = EventVerifier::new(seed);
    'feed: for part in raw.chunks(piece) {
        reader.push(part);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    if let Ok((message, used)) = Message::decode(frame) {
                        assert_eq!(used, frame.len());
                        let mut again = Vec::new();
                        message
                            .encode(&mut again)
                            .expect("a decoded message encodes");
                        assert_eq!(again, frame, "decoding and encoding round-trip");
                    }
                    let _ = verifier.verify(&key, &scope, frame, time);
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let _ = Message::decode(raw);

    // A message of the input's payload, signed, checks, and ends.
    let mut inner = Vec::new();
    let message = Message::new(payload.to_vec())
        .with_header(":event-type", HeaderValue::String("AudioEvent".into()));
    if message.encode(&mut inner).is_err() {
        return;
    }
    let mut signer = EventSigner::new(seed);
    let mut wire = Vec::new();
    signer
        .sign(&key, &time, &scope, &inner, &mut wire)
        .expect("a small message signs");
    signer
        .sign(&key, &time, &scope, &[], &mut wire)
        .expect("the end signs");
    let mut checker = EventVerifier::new(seed);
    let mut reader = FrameReader::new();
    reader.push(&wire);
    let first = reader
        .next_frame()
        .expect("framed")
        .expect("whole")
        .to_vec();
    let event = checker
        .verify(&key, &scope, &first, time)
        .expect("a signed message checks");
    assert_eq!(event.payload, &inner[..]);
    let end = reader
        .next_frame()
        .expect("framed")
        .expect("whole")
        .to_vec();
    assert!(checker
        .verify(&key, &scope, &end, time)
        .expect("the end checks")
        .payload
        .is_empty());
    assert!(checker.finish().is_ok());
}
