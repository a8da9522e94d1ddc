//! aws-chunked signing against data nobody here wrote: the AWS
//! documentation's worked example ("Transferring payload in multiple
//! chunks": 66,560 bytes of `a` in 64 KiB chunks, its seed signature and
//! three chunk signatures, byte for byte), and aws-sigv4 1.6.4's
//! `sign_chunk` and `sign_trailer` over generated chunk sequences.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::sign::v4 as aws;
use aws_smithy_runtime_api::client::identity::Identity;
use proptest::prelude::*;
use sigv4::{
    chunked_length, signed_chunked_length, write_unsigned_chunk_header, write_unsigned_final_chunk,
    ChunkDecoder, ChunkSigner, ChunkedError, ChunkedFraming, CredentialScope, Credentials, Decoded,
    Payload, Region, Service, Signature, Signer, SigningKey, SigningSettings, SigningTime,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The whole example: the request's headers as the documentation lists
/// them, signed with the streaming payload, then the body encoded.
#[test]
fn the_aws_documentation_example() {
    let decoded = 66_560u64;
    let chunk_size = 64 * 1024;
    let encoded_len = signed_chunked_length(decoded, chunk_size).unwrap();
    assert_eq!(encoded_len, 66_824, "the example's Content-Length");

    let mut request = http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
        .header("host", "s3.amazonaws.com")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-decoded-content-length", decoded.to_string())
        .header("content-length", encoded_len.to_string())
        .body(())
        .unwrap();
    let signer = Signer::new(
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
    )
    .with_settings(SigningSettings::s3());
    let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET).unwrap();
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let seed = signer
        .sign_with_payload(&mut request, Payload::StreamingSigned, &creds, time)
        .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
         x-amz-decoded-content-length;x-amz-storage-class, \
         Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );

    let body = vec![b'a'; decoded as usize];
    let mut chunks = signer.chunk_signer(&creds, time, seed);
    let mut encoded = Vec::new();
    for chunk in body.chunks(chunk_size as usize) {
        chunks.write_chunk_header(chunk, &mut encoded);
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    chunks.write_final_chunk(&mut encoded);

    let mut expected = Vec::new();
    expected.extend_from_slice(
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
    );
    expected.extend_from_slice(&body[..65_536]);
    expected.extend_from_slice(
        b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
    );
    expected.extend_from_slice(&body[65_536..]);
    expected.extend_from_slice(
        b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
    );
    assert!(
        encoded == expected,
        "the encoded body differs from the example"
    );
    assert_eq!(encoded.len() as u64, encoded_len);
}

fn aws_identity(token: Option<&str>) -> Identity {
    AwsCredentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        SECRET,
        token.map(str::to_owned),
        None,
        "test",
    )
    .into()
}

fn aws_params(identity: &Identity, unix: u64) -> aws::SigningParams<'_, ()> {
    aws::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("s3")
        .time(UNIX_EPOCH + Duration::from_secs(unix))
        .settings(())
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every chunk signature, and the trailer's, equals aws-sigv4's for
    /// the same running signature, over chunk sequences with sizes from 0
    /// to 300 KiB (edges at exact multiples of the chunk size).
    #[test]
    fn chunk_signatures_equal_aws_sigv4s(
        sizes in prop::collection::vec(
            prop_oneof![Just(0usize), Just(8192), Just(65_536), 0usize..300 * 1024],
            0..5,
        ),
        fill in any::<u8>(),
        seed in any::<[u8; 32]>(),
        unix in 1_000_000_000u64..2_000_000_000,
        token in prop::option::of("[A-Za-z0-9/+=]{1,64}"),
        checksum in "[A-Za-z0-9+/]{8}==",
    ) {
        let identity = aws_identity(token.as_deref());
        let params = aws_params(&identity, unix);
        let time = SigningTime::from_unix(unix as i64).unwrap();
        let (region, service) = (Region::new("us-east-1").unwrap(), Service::new("s3").unwrap());
        let scope = CredentialScope::new(&time, &region, &service);
        let key = SigningKey::derive(SECRET, &scope);
        let seed_hex = hex::encode(seed);
        let seed = Signature::from_hex(&seed_hex).unwrap();

        let mut ours = ChunkSigner::new(&key, &time, &scope, seed);
        let mut running = seed_hex;
        for size in sizes.iter().copied().chain([0]) {
            let chunk = vec![fill; size];
            let theirs = aws::sign_chunk(&bytes::Bytes::from(chunk.clone()), &running, &params)
                .unwrap()
                .signature()
                .to_owned();
            let mine = ours.sign_chunk(&chunk).to_string();
            prop_assert_eq!(&mine, &theirs, "chunk of {} bytes", size);
            running = theirs;
        }

        let mut headers = aws_smithy_runtime_api::http::Headers::new();
        headers.insert("x-amz-checksum-crc32", checksum.clone());
        let theirs = aws::sign_trailer(&headers, &running, &params)
            .unwrap()
            .signature()
            .to_owned();
        // `write_final_chunk_with_trailer` signs the final empty chunk
        // itself: replay the chain up to just before it.
        let mut out = Vec::new();
        let mut replay = ChunkSigner::new(&key, &time, &scope, seed);
        for size in &sizes {
            replay.sign_chunk(&vec![fill; *size]);
        }
        let trailer_signature = replay
            .write_final_chunk_with_trailer(&[("x-amz-checksum-crc32", &checksum)], &mut out);
        prop_assert_eq!(trailer_signature.to_string(), theirs);
        let text = String::from_utf8(out).unwrap();
        let expected_tail = format!(
            "0;chunk-signature={running}\r\nx-amz-checksum-crc32:{checksum}\r\nx-amz-trailer-signature:{trailer_signature}\r\n\r\n"
        );
        prop_assert_eq!(text, expected_tail);
    }
}

// ---- The decoder: the server side. ----

fn example_key() -> (SigningTime, Region, Service) {
    (
        SigningTime::parse("20130524T000000Z").unwrap(),
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
    )
}

fn seed() -> Signature {
    Signature::from_hex("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9").unwrap()
}

/// A chunk signer for the example's key, time and scope.
fn chain() -> ChunkSigner {
    let (time, region, service) = example_key();
    let scope = CredentialScope::new(&time, &region, &service);
    let key = SigningKey::derive(SECRET, &scope);
    ChunkSigner::new(&key, &time, &scope, seed())
}

/// `body` encoded as `framing` in chunks of `chunk_size`.
fn encode(
    framing: ChunkedFraming,
    body: &[u8],
    chunk_size: usize,
    trailer: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut signer = chain();
    for chunk in body.chunks(chunk_size) {
        match framing {
            ChunkedFraming::UnsignedWithTrailer => {
                write_unsigned_chunk_header(chunk.len(), &mut out)
            }
            _ => {
                signer.write_chunk_header(chunk, &mut out);
            }
        }
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        ChunkedFraming::Signed => {
            signer.write_final_chunk(&mut out);
        }
        ChunkedFraming::SignedWithTrailer => {
            signer.write_final_chunk_with_trailer(trailer, &mut out);
        }
        _ => write_unsigned_final_chunk(trailer, &mut out),
    }
    out
}

fn decoder(framing: ChunkedFraming) -> ChunkDecoder {
    match framing {
        ChunkedFraming::Signed => ChunkDecoder::signed(chain(), false),
        ChunkedFraming::SignedWithTrailer => ChunkDecoder::signed(chain(), true),
        _ => ChunkDecoder::unsigned_with_trailer(),
    }
}

/// Feeds `encoded` in pieces of `piece` bytes; the data handed over, or
/// the first error (with the data handed over before it).
fn decode_all(
    decoder: &mut ChunkDecoder,
    encoded: &[u8],
    piece: usize,
) -> (Vec<u8>, Result<(), ChunkedError>) {
    let mut data = Vec::new();
    for part in encoded.chunks(piece.max(1)) {
        let mut input = part;
        loop {
            match decoder.decode(input) {
                Ok((used, decoded)) => {
                    if let Decoded::Data(bytes) = decoded {
                        data.extend_from_slice(bytes);
                    }
                    input = &input[used..];
                    if input.is_empty() && !matches!(decoded, Decoded::Data(_)) {
                        break;
                    }
                }
                Err(e) => return (data, Err(e)),
            }
        }
    }
    let end = decoder.finish();
    (data, end)
}

#[test]
fn the_aws_example_decodes_and_checks() {
    let body = vec![b'a'; 66_560];
    let encoded = encode(ChunkedFraming::Signed, &body, 64 * 1024, &[]);
    assert!(encoded.starts_with(
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
    ));
    for piece in [1, 7, 4096, 70_000] {
        let mut decoder = ChunkDecoder::signed(chain(), false).with_decoded_length(66_560);
        let (data, end) = decode_all(&mut decoder, &encoded, piece);
        assert_eq!(end, Ok(()), "pieces of {piece}");
        assert!(data == body);
        assert!(decoder.is_done());
    }
}

const CRC: (&str, &str) = ("x-amz-checksum-crc32", "sOO8/Q==");

/// Each refusal, with its error; no data of a chunk that fails its check
/// is handed over, and a decoder that failed stays failed.
#[test]
fn bad_bodies_are_refused_each_with_its_error() {
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let signed = encode(ChunkedFraming::Signed, &body, 1000, &[]);
    let refused = |framing: ChunkedFraming, bytes: &[u8]| {
        let mut d = decoder(framing);
        decode_all(&mut d, bytes, 97)
    };
    // Sanity: the untouched body passes.
    assert_eq!(refused(ChunkedFraming::Signed, &signed).1, Ok(()));

    // A changed byte in the second chunk: the first chunk's data only.
    let header_len = signed.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut changed = signed.clone();
    changed[header_len + 1000 + 2 + header_len - 1 + 5] ^= 1;
    let (data, end) = refused(ChunkedFraming::Signed, &changed);
    assert_eq!(end, Err(ChunkedError::ChunkSignatureMismatch { chunk: 1 }));
    assert_eq!(data, &body[..1000]);

    // Chunks reordered (the first two swapped, both 1000 bytes).
    let one = header_len + 1000 + 2;
    let mut reordered = signed[one..2 * one].to_vec();
    reordered.extend_from_slice(&signed[..one]);
    reordered.extend_from_slice(&signed[2 * one..]);
    let (data, end) = refused(ChunkedFraming::Signed, &reordered);
    assert_eq!(end, Err(ChunkedError::ChunkSignatureMismatch { chunk: 0 }));
    assert!(data.is_empty());

    // Truncated before the final chunk, and at every byte of it.
    let final_at = signed.len() - (1 + 1 + 16 + 64 + 2 + 2);
    for cut in [one, final_at, signed.len() - 1] {
        assert_eq!(
            refused(ChunkedFraming::Signed, &signed[..cut]).1,
            Err(ChunkedError::Truncated)
        );
    }

    // Data after the end.
    let mut extra = signed.clone();
    extra.extend_from_slice(b"x");
    assert_eq!(
        refused(ChunkedFraming::Signed, &extra).1,
        Err(ChunkedError::DataAfterEnd)
    );

    // A size line that lies: one byte more, one byte less.
    for size in ["3e9", "3e7"] {
        let mut lying = signed.clone();
        lying[..3].copy_from_slice(size.as_bytes());
        assert!(
            matches!(
                refused(ChunkedFraming::Signed, &lying).1,
                Err(ChunkedError::MissingChunkEnd { chunk: 0 }
                    | ChunkedError::ChunkSignatureMismatch { chunk: 0 })
            ),
            "{size}"
        );
    }

    // A size line with no end: refused at 256 bytes, not read on.
    let endless = vec![b'1'; 100_000];
    assert!(matches!(
        refused(ChunkedFraming::Signed, &endless).1,
        Err(ChunkedError::BadChunkHeader { chunk: 0, .. })
    ));
    // A chunk larger than the bound, refused before its data.
    let mut d = ChunkDecoder::signed(chain(), false).with_max_chunk_size(999);
    assert_eq!(
        decode_all(&mut d, &signed, 97).1,
        Err(ChunkedError::ChunkTooLarge { chunk: 0, max: 999 })
    );
    // Sizes that are not hex, or too long; a missing signature.
    for line in [
        "zz;chunk-signature=",
        "10000000000000000;chunk-signature=",
        "3e8",
        "3e8;chunk-signature=abc",
    ] {
        let bad = format!("{line}\r\n");
        assert!(
            matches!(
                refused(ChunkedFraming::Signed, bad.as_bytes()).1,
                Err(ChunkedError::BadChunkHeader { .. })
            ),
            "{line}"
        );
    }
    // The decoded length differs from x-amz-decoded-content-length.
    for expected in [2999, 3001] {
        let mut d = ChunkDecoder::signed(chain(), false).with_decoded_length(expected);
        assert!(matches!(
            decode_all(&mut d, &signed, 97).1,
            Err(ChunkedError::DecodedLengthMismatch { .. })
        ));
    }

    // Trailers: a good one passes; missing, extra, or with a wrong
    // signature, it is refused.
    let trailed = encode(ChunkedFraming::SignedWithTrailer, &body, 1000, &[CRC]);
    let (_, end) = refused(ChunkedFraming::SignedWithTrailer, &trailed);
    assert_eq!(end, Ok(()));
    let mut d = decoder(ChunkedFraming::SignedWithTrailer);
    decode_all(&mut d, &trailed, 5).1.unwrap();
    assert_eq!(d.trailer(), &[(CRC.0.to_owned(), CRC.1.to_owned())]);
    // Missing: the body ends as an untrailed one does.
    assert!(matches!(
        refused(ChunkedFraming::SignedWithTrailer, &signed).1,
        Err(ChunkedError::BadTrailer { .. })
    ));
    // Extra: a trailer on a body that has none.
    assert!(matches!(
        refused(ChunkedFraming::Signed, &trailed).1,
        Err(ChunkedError::BadTrailer { .. })
    ));
    // A changed trailer value.
    let mut changed = trailed.clone();
    let at = changed.windows(8).position(|w| w == b"sOO8/Q==").unwrap();
    changed[at + 5] = b'R';
    assert_eq!(
        refused(ChunkedFraming::SignedWithTrailer, &changed).1,
        Err(ChunkedError::TrailerSignatureMismatch)
    );
    // Unsigned chunks with a trailer: framing checked, data handed over.
    let unsigned = encode(ChunkedFraming::UnsignedWithTrailer, &body, 1000, &[CRC]);
    let (data, end) = refused(ChunkedFraming::UnsignedWithTrailer, &unsigned);
    assert_eq!(end, Ok(()));
    assert_eq!(data, body);
    // Signed size lines where unsigned ones are due.
    assert!(matches!(
        refused(ChunkedFraming::UnsignedWithTrailer, &trailed).1,
        Err(ChunkedError::BadChunkHeader { .. })
    ));

    // After an error, nothing more.
    let mut d = decoder(ChunkedFraming::Signed);
    assert!(d.decode(b"zz\r\n").is_err());
    assert_eq!(d.decode(&signed).unwrap_err(), ChunkedError::AlreadyFailed);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every framing round-trips through the decoder, fed in pieces of any
    /// size, and is as long as `chunked_length` says.
    #[test]
    fn every_framing_round_trips(
        len in prop_oneof![Just(0usize), Just(4096), Just(8192), 0usize..20_000],
        chunk_size in prop_oneof![Just(4096usize), 1usize..5000],
        piece in 1usize..9000,
        framing in prop_oneof![
            Just(ChunkedFraming::Signed),
            Just(ChunkedFraming::SignedWithTrailer),
            Just(ChunkedFraming::UnsignedWithTrailer),
        ],
    ) {
        let body: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let trailer: &[(&str, &str)] = if framing == ChunkedFraming::Signed { &[] } else { &[CRC] };
        let encoded = encode(framing, &body, chunk_size, trailer);
        prop_assert_eq!(
            chunked_length(len as u64, chunk_size as u64, framing, trailer),
            Some(encoded.len() as u64)
        );
        let mut d = decoder(framing).with_decoded_length(len as u64);
        let (data, end) = decode_all(&mut d, &encoded, piece);
        prop_assert_eq!(end, Ok(()));
        prop_assert!(data == body);
    }
}

/// `content-length` is held to: one byte short or long is refused.
#[test]
fn the_encoded_length_is_checked() {
    let body = vec![7u8; 5000];
    let encoded = encode(ChunkedFraming::Signed, &body, 1024, &[]);
    let len = encoded.len() as u64;
    let mut exact = decoder(ChunkedFraming::Signed).with_encoded_length(len);
    assert_eq!(decode_all(&mut exact, &encoded, 333).1, Ok(()));
    for expected in [len - 1, len + 1] {
        let mut d = decoder(ChunkedFraming::Signed).with_encoded_length(expected);
        assert!(matches!(
            decode_all(&mut d, &encoded, 333).1,
            Err(ChunkedError::EncodedLengthMismatch { .. }) | Err(ChunkedError::Truncated)
        ));
    }
}

/// The trailer's checksum is the data's, for every algorithm, in both
/// trailer framings; a wrong value, another algorithm, or an extra header
/// is refused.
#[cfg(feature = "checksums")]
#[test]
fn trailer_checksums_are_checked() {
    use sigv4::{Checksum, ChecksumAlgorithm};
    let body: Vec<u8> = (0..70_000u32).map(|i| (i * 13 % 256) as u8).collect();
    for algorithm in ChecksumAlgorithm::ALL {
        let mut sum = Checksum::new(algorithm);
        sum.update(&body);
        let value = sum.finish();
        let header = algorithm.header_name();
        for framing in [
            ChunkedFraming::SignedWithTrailer,
            ChunkedFraming::UnsignedWithTrailer,
        ] {
            let check = |trailer: &[(&str, &str)]| {
                let encoded = encode(framing, &body, 8192, trailer);
                let mut d = decoder(framing).with_trailer_checksum(algorithm);
                decode_all(&mut d, &encoded, 4000).1
            };
            assert_eq!(check(&[(header, &value)]), Ok(()), "{header} {framing:?}");
            let mut wrong = value.clone().into_bytes();
            wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
            let wrong = String::from_utf8(wrong).unwrap();
            assert_eq!(
                check(&[(header, &wrong)]),
                Err(ChunkedError::ChecksumMismatch { header }),
                "{header} {framing:?}"
            );
            let other = if algorithm == ChecksumAlgorithm::Crc32 {
                ChecksumAlgorithm::Sha256
            } else {
                ChecksumAlgorithm::Crc32
            };
            assert!(matches!(
                check(&[(other.header_name(), &value)]),
                Err(ChunkedError::BadTrailer { .. })
            ));
            assert!(matches!(
                check(&[(header, &value), ("x-amz-meta-extra", "1")]),
                Err(ChunkedError::BadTrailer { .. })
            ));
        }
    }
}

// ---- Signer::sign_chunked and Verifier::verify_chunked, end to end. ----

fn s3_signer() -> Signer {
    Signer::new(
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
    )
    .with_settings(SigningSettings::s3())
}

fn example_credentials() -> Credentials {
    Credentials::new("AKIAIOSFODNN7EXAMPLE", SECRET).unwrap()
}

/// Signs `body` as `upload` says and encodes it: the request, and the body.
fn sign_upload(
    request: &mut http::Request<()>,
    upload: &sigv4::ChunkedUpload,
    body: &[u8],
) -> Vec<u8> {
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let mut encoder = s3_signer()
        .sign_chunked(request, &example_credentials(), time, upload)
        .unwrap();
    let mut encoded = Vec::new();
    for chunk in body.chunks(upload.chunk_size()) {
        encoder.write_chunk_header(chunk, &mut encoded).unwrap();
        encoded.extend_from_slice(chunk);
        encoded.extend_from_slice(b"\r\n");
    }
    encoder.finish(&mut encoded).unwrap();
    encoded
}

fn put_request() -> http::Request<()> {
    http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(())
        .unwrap()
}

/// `sign_chunked` sets exactly the example's headers, so it signs to the
/// example's seed signature, and its encoder writes the example's body.
#[test]
fn sign_chunked_sets_the_example_headers() {
    let body = vec![b'a'; 66_560];
    let upload = sigv4::ChunkedUpload::signed(66_560, 64 * 1024).unwrap();
    let mut request = put_request();
    let encoded = sign_upload(&mut request, &upload, &body);
    let headers = request.headers();
    assert_eq!(headers["content-encoding"], "aws-chunked");
    assert_eq!(headers["content-length"], "66824");
    assert_eq!(headers["x-amz-decoded-content-length"], "66560");
    assert_eq!(
        headers["x-amz-content-sha256"],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    );
    assert!(headers.get("x-amz-trailer").is_none());
    assert!(headers["authorization"].to_str().unwrap().ends_with(
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
         x-amz-decoded-content-length;x-amz-storage-class, \
         Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    ));
    assert_eq!(
        encoded,
        encode(ChunkedFraming::Signed, &body, 64 * 1024, &[])
    );

    // An existing encoding stays, after aws-chunked; a stale
    // content-length is replaced.
    let mut gzipped = put_request();
    gzipped
        .headers_mut()
        .insert("content-encoding", "gzip".parse().unwrap());
    gzipped
        .headers_mut()
        .insert("content-length", "5".parse().unwrap());
    sign_upload(&mut gzipped, &upload, &body);
    assert_eq!(gzipped.headers()["content-encoding"], "aws-chunked,gzip");
    assert_eq!(gzipped.headers()["content-length"], "66824");
}

/// The encoder refuses to write other than the upload says.
#[test]
fn the_encoder_holds_to_the_upload() {
    let time = SigningTime::parse("20130524T000000Z").unwrap();
    let upload = sigv4::ChunkedUpload::signed(10, 4).unwrap();
    let encoder = || {
        s3_signer()
            .sign_chunked(&mut put_request(), &example_credentials(), time, &upload)
            .unwrap()
    };
    let mut out = Vec::new();
    assert!(
        encoder().write_chunk_header(&[0; 5], &mut out).is_err(),
        "larger than the chunk size"
    );
    assert!(
        encoder().write_chunk_header(&[], &mut out).is_err(),
        "empty"
    );
    let mut e = encoder();
    e.write_chunk_header(&[0; 3], &mut out).unwrap();
    assert!(
        e.write_chunk_header(&[0; 4], &mut out).is_err(),
        "after a short chunk"
    );
    let mut e = encoder();
    e.write_chunk_header(&[0; 4], &mut out).unwrap();
    assert!(e.finish(&mut out).is_err(), "less than the decoded length");
    assert!(sigv4::ChunkedUpload::signed(10, 0).is_err());
}

fn s3_verifier() -> sigv4::verify::Verifier<impl sigv4::verify::SecretLookup> {
    let known = example_credentials();
    sigv4::verify::Verifier::new(
        Region::new("us-east-1").unwrap(),
        Service::new("s3").unwrap(),
        move |id: &str| (id == known.access_key_id()).then(|| known.clone()),
    )
    .with_settings(SigningSettings::s3())
}

/// What the verifier makes of a signed chunked request and its body: the
/// data, or the first error's code.
fn verify_upload(request: &http::Request<()>, encoded: &[u8]) -> Result<Vec<u8>, &'static str> {
    let now = SigningTime::parse("20130524T000100Z").unwrap();
    let (verified, mut decoder) = s3_verifier()
        .verify_chunked(request, now)
        .map_err(|e| e.code())?;
    assert!(matches!(
        verified.payload,
        sigv4::verify::PayloadCheck::Chunked(_)
    ));
    let (data, end) = decode_all(&mut decoder, encoded, 1000);
    end.map_err(|e| sigv4::verify::VerifyError::from(e).code())?;
    Ok(data)
}

#[test]
fn signed_chunked_requests_verify_and_changes_are_refused() {
    let body: Vec<u8> = (0..50_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let upload = sigv4::ChunkedUpload::signed(body.len() as u64, 8192).unwrap();
    let mut request = put_request();
    let encoded = sign_upload(&mut request, &upload, &body);
    assert_eq!(verify_upload(&request, &encoded), Ok(body.clone()));

    // A changed data byte, a truncated body, a body with more after it.
    let mut changed = encoded.clone();
    changed[20_000] ^= 0x40;
    assert_eq!(
        verify_upload(&request, &changed),
        Err("SignatureDoesNotMatch")
    );
    assert_eq!(
        verify_upload(&request, &encoded[..encoded.len() - 3]),
        Err("IncompleteBody")
    );
    let mut longer = encoded.clone();
    longer.extend_from_slice(b"\r\n");
    assert!(verify_upload(&request, &longer).is_err());

    // The plain entry point refuses it; a changed signed header fails the seed.
    let now = SigningTime::parse("20130524T000100Z").unwrap();
    assert!(matches!(
        s3_verifier().verify(&request.clone().map(|()| Vec::<u8>::new()), now),
        Err(sigv4::verify::VerifyError::StreamingPayloadRefused { .. })
    ));
    let mut lying = request.clone();
    lying
        .headers_mut()
        .insert("x-amz-decoded-content-length", "49999".parse().unwrap());
    assert_eq!(
        verify_upload(&lying, &encoded),
        Err("SignatureDoesNotMatch")
    );

    // Not chunked, or without its decoded length: not verifiable as chunked.
    let mut plain = http::Request::get("https://s3.amazonaws.com/x")
        .body(())
        .unwrap();
    s3_signer()
        .sign_with_payload(
            &mut plain,
            Payload::Unsigned,
            &example_credentials(),
            SigningTime::parse("20130524T000000Z").unwrap(),
        )
        .unwrap();
    assert_eq!(verify_upload(&plain, b""), Err("InvalidRequest"));
}

#[cfg(feature = "checksums")]
#[test]
fn trailer_uploads_verify_and_bad_checksums_are_refused() {
    use sigv4::ChecksumAlgorithm;
    let body: Vec<u8> = (0..30_000u32).map(|i| (i * 7 % 256) as u8).collect();
    for checksum in ChecksumAlgorithm::ALL {
        for upload in [
            sigv4::ChunkedUpload::signed(body.len() as u64, 8192)
                .unwrap()
                .with_trailer_checksum(checksum),
            sigv4::ChunkedUpload::unsigned_with_trailer(body.len() as u64, 8192, checksum).unwrap(),
        ] {
            let mut request = put_request();
            let encoded = sign_upload(&mut request, &upload, &body);
            assert_eq!(request.headers()["x-amz-trailer"], checksum.header_name());
            assert_eq!(
                request.headers()["content-length"],
                encoded.len().to_string().as_str(),
                "{upload:?}"
            );
            assert_eq!(
                verify_upload(&request, &encoded),
                Ok(body.clone()),
                "{upload:?}"
            );
            // The checksum's value changed: for signed trailers the trailer
            // signature fails first; for unsigned ones the checksum does.
            let header = format!("{}:", checksum.header_name());
            let at = encoded
                .windows(header.len())
                .rposition(|w| w == header.as_bytes())
                .unwrap()
                + header.len();
            let mut changed = encoded.clone();
            changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
            let expected = if upload.framing() == ChunkedFraming::UnsignedWithTrailer {
                "BadDigest"
            } else {
                "SignatureDoesNotMatch"
            };
            assert_eq!(
                verify_upload(&request, &changed),
                Err(expected),
                "{upload:?}"
            );
        }
    }
}
