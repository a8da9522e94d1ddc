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
    signed_chunked_length, ChunkSigner, CredentialScope, Credentials, Payload, Region, Service,
    Signature, Signer, SigningKey, SigningSettings, SigningTime,
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
